"""Run the planner benchmarks (``make bench``): generated sizes vs Pyomo, then OR-Library.

Usage::

    .venv/bin/python benchmarks/run.py              # full run (the large size takes a while)
    .venv/bin/python benchmarks/run.py --quick      # both scripts in quick mode (< 1 minute each)
    .venv/bin/python benchmarks/run.py --sizes small,medium --instances cap41,cap131 --repeat 3

Each script prints markdown tables and writes ``benchmarks/results/<name>.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orlib_bench
import plan_bench


def main(argv: list[str] | None = None) -> None:
    """Run both benchmarks with the given flags."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="quick mode for both scripts")
    ap.add_argument("--sizes", default=None, help="plan_bench sizes (small,medium,large)")
    ap.add_argument("--instances", default=None, help="orlib_bench instances, or 'all'")
    ap.add_argument("--repeat", type=int, default=None, help="repeats for both scripts")
    ap.add_argument("--no-memory", action="store_true", help="skip plan_bench's memory probes")
    args = ap.parse_args(argv)
    common = (["--quick"] if args.quick else []) + (
        ["--repeat", str(args.repeat)] if args.repeat else []
    )
    plan_argv = common + (["--sizes", args.sizes] if args.sizes else [])
    plan_argv += ["--no-memory"] if args.no_memory else []
    orlib_argv = common + (["--instances", args.instances] if args.instances else [])
    print("## Planner: evfab vs Pyomo on generated scenarios\n")
    plan_bench.main(plan_argv)
    print("\n## OR-Library: evfab vs direct HiGHS\n")
    orlib_bench.main(orlib_argv)


if __name__ == "__main__":
    main()
