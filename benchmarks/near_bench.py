"""What keeping a compared plan near the base plan costs, and what it buys.

``evfab compare`` plans the second scenario with ``PlanOptions(near=<the first plan's
production>)``: among its equally cheap variants with the same deals, the one that moves
the fewest cars (:mod:`evfab._plan_near`, one more LP). For generated industries, the same
scenario with its programs listed in reverse (a change that changes nothing) is planned,
interleaved in one process, without and with ``near``:

* time of ``plan()`` of the reversed scenario, without and with ``near`` (medians), and
  their ratio;
* program-route pairs whose cars over the horizon differ from the base plan (whole cars):
  the changes ``compare`` would report although nothing changed.

Usage::

    .venv/bin/python benchmarks/near_bench.py                   # 40 and 200 programs, 3 repeats
    .venv/bin/python benchmarks/near_bench.py --sizes 40,200,500 --repeat 3
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import evfab
from evfab.generate import generate_yaml
from evfab.plan import PlanOptions, PlanResult, plan

OPTS = PlanOptions(capacity_values=False, alternatives=False)


def _totals(p: PlanResult) -> dict[tuple[str, str], float]:
    cars = p.production.groupby(["program", "route"])["cars"].sum().round()
    return {(str(g), str(r)): float(v) for (g, r), v in cars.items()}


def _moved(a: PlanResult, b: PlanResult) -> int:
    ta, tb = _totals(a), _totals(b)
    return sum(ta.get(k, 0.0) != tb.get(k, 0.0) for k in set(ta) | set(tb))


def bench(programs: int, repeat: int, seed: int) -> dict[str, Any]:
    """Measurements for one generated size."""
    plants = max(10, programs * 2 // 5)
    text = generate_yaml(programs=programs, plants=plants, years=10, seed=seed)
    doc = yaml.safe_load(text)
    doc["programs"].reverse()
    base = evfab.compile(evfab.loads(text))
    other = evfab.compile(evfab.loads(yaml.safe_dump(doc, sort_keys=False)))
    first = plan(base, OPTS)
    near = dataclasses.replace(OPTS, near=first.production)
    s: dict[str, list[float]] = {"plain": [], "near": []}
    moved: dict[str, int] = {}
    for i in range(repeat):
        order = ("plain", "near") if i % 2 == 0 else ("near", "plain")
        for how in order:
            gc.collect()
            t0 = time.perf_counter()
            res = plan(other, OPTS if how == "plain" else near)
            s[how].append(time.perf_counter() - t0)
            moved[how] = _moved(first, res)
            assert abs(res.objective - first.objective) <= 1e-6 * abs(first.objective)
    med = {k: c.median(v) for k, v in s.items()}
    return {
        "programs": programs,
        "plants": plants,
        "seconds": c.summary(s),
        "ratio": med["near"] / med["plain"],
        "moved_plain": moved["plain"],
        "moved_near": moved["near"],
        "pairs": len(_totals(first)),
    }


def report(results: list[dict[str, Any]]) -> str:
    """Markdown table of the medians and the pairs moved."""
    rows = [
        [
            str(r["programs"]),
            str(r["seconds"]["plain"]["n"]),
            c.fmt_s(r["seconds"]["plain"]["median"]),
            c.fmt_s(r["seconds"]["near"]["median"]),
            c.fmt_x(r["ratio"]),
            f"{r['moved_plain']} of {r['pairs']}",
            f"{r['moved_near']} of {r['pairs']}",
        ]
        for r in results
    ]
    return "\n".join(
        [
            "### compare: the second plan kept near the first (a scenario with its programs "
            "reversed)",
            c.table(
                [
                    "programs",
                    "repeats",
                    "plan() plain",
                    "plan() near",
                    "near / plain",
                    "program-route totals moved, plain",
                    "moved, near",
                ],
                rows,
            ),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write ``results/near_bench.json``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="40,200", help="programs per generated scenario")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--out", default="near_bench", help="JSON name in results/")
    args = ap.parse_args(argv)
    info = c.machine()
    results = []
    for k in (int(x) for x in args.sizes.split(",")):
        print(f"[{k} programs] ...", file=sys.stderr, flush=True)
        results.append(bench(k, args.repeat, args.seed))
        c.save_results(args.out, info, results)
    c.finish(args.out, info, results, report(results))


if __name__ == "__main__":
    main()
