"""How long the ``evfab`` command takes to answer, against a bare Python that loads typer.

Each case runs the console script's entry point in a fresh interpreter (the same Python as
this script), repeated and interleaved; the *floor* is a Python that only imports typer and
rich (what any typer CLI pays). With ``--rev REV`` the same cases also run on the package as
of that git revision, side by side.

Cases: ``evfab --help``, ``evfab plan --help``, an invalid option value (``plan xiaomi-2022
--time-limit 0``, exit 2) and a command that loads everything (``validate xiaomi-2022``).
Each run's exit code is checked: a broken tree is not timed.

Usage::

    .venv/bin/python benchmarks/cli_start_bench.py                # this tree, 11 repeats
    .venv/bin/python benchmarks/cli_start_bench.py --rev 93d4efe  # and that revision
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

CASES: dict[str, tuple[list[str], int]] = {
    "evfab --help": (["--help"], 0),
    "evfab plan --help": (["plan", "--help"], 0),
    "invalid option value (exit 2)": (["plan", "xiaomi-2022", "--time-limit", "0"], 2),
    "validate xiaomi-2022": (["validate", "xiaomi-2022"], 0),
}
"""Case -> (arguments, the exit code it must end with)."""
FLOOR = "floor: import typer, rich"
ENTRY = "import sys; sys.argv = ['evfab', *sys.argv[1:]]; from evfab._entry import main; main()"


def once(args: list[str], src: Path, code: int = 0) -> float:
    """Seconds for one fresh interpreter to run ``evfab ARGS`` with the package in ``src``
    (or the floor, ``args`` empty), which must exit with ``code``."""
    # Both trees on PYTHONPATH, so that both load the same way (this tree through the
    # editable install's path entry measured ~0.1 s slower on `validate`, for no reason of
    # its code).
    env = dict(os.environ, COLUMNS="100", PYTHONPATH=str(src))
    script = "import typer, rich.console, rich.text" if not args else ENTRY
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True)
    seconds = time.perf_counter() - t0
    if done.returncode != code:
        raise SystemExit(
            f"evfab {' '.join(args)} with {src} exited {done.returncode}, not {code}:\n"
            + done.stderr.decode(errors="replace")[-2000:]
        )
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeat", type=int, default=11)
    ap.add_argument("--rev", help="also measure the package as of this git revision")
    ap.add_argument("--out", default="cli_start_bench", help="results/<OUT>.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees: dict[str, Path] = {"this tree": c.ROOT / "src"}
        if args.rev:
            trees[args.rev] = c.export_src(args.rev, Path(tmp))
        s: dict[str, list[float]] = defaultdict(list)
        for i in range(args.repeat):
            print(f"repeat {i + 1}/{args.repeat}", file=sys.stderr, flush=True)
            s[FLOOR].append(once([], c.ROOT / "src"))
            order = list(trees.items()) if i % 2 == 0 else list(reversed(trees.items()))
            for label, src in order:
                for case, (argv, code) in CASES.items():
                    s[f"{case} [{label}]"].append(once(argv, src, code))
    med = {k: c.median(v) for k, v in s.items()}
    floor = med[FLOOR]
    rows: list[list[str]] = [[FLOOR, "", c.fmt_s(floor), "1.00x", ""]]
    results: list[dict[str, Any]] = []
    for case in CASES:
        for label in trees:
            key = f"{case} [{label}]"
            vs = "" if label == "this tree" else c.fmt_x(med[key] / med[f"{case} [this tree]"])
            rows.append([case, label, c.fmt_s(med[key]), c.fmt_x(med[key] / floor), vs])
            results.append({"case": case, "tree": label, "median_s": med[key], "samples": s[key]})
    results.append({"case": FLOOR, "tree": "", "median_s": floor, "samples": s[FLOOR]})
    text = "\n".join(
        [
            f"### evfab start-up (medians of {args.repeat}, fresh interpreter each)",
            c.table(["case", "tree", "median", "vs floor", "that tree / this tree"], rows),
        ]
    )
    c.finish(args.out, c.machine(), results, text)


if __name__ == "__main__":
    main()
