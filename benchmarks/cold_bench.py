"""How much of evfab's fixed time on small models is this machine's cold-code penalty.

On the benchmark machine a piece of Python that has not run for a few milliseconds runs
several times slower than the same piece run again at once (caches and TLB refilled after
other work, here a HiGHS solve or even a Python spin loop). ``orlib_bench.py`` measures
evfab in exactly that state: every stage runs once, after a solve. This script measures
each stage twice in a row on identical inputs -- the first call "cold" (after a direct
HiGHS solve, as in ``orlib_bench.py``), the second "warm" -- and one small pandas table
built back to back, after a 15 ms sleep and after a 15 ms Python spin loop.

Usage::

    .venv/bin/python benchmarks/cold_bench.py                 # cap71 and cap131, 21 repeats
    .venv/bin/python benchmarks/cold_bench.py --instances cap41 --repeat 11
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import evfab
from evfab._frames import frame
from evfab._highs import new_highs, pass_milp, run, solve
from evfab._plan_model import build_milp
from evfab._plan_tables import prepare, write_back
from evfab._route_table import route_table
from evfab.plan import PlanOptions, plan_inputs
from orlib_bench import load_instance

GAP = PlanOptions().gap
STAGES = ["compile", "routes", "inputs", "build", "write_back"]


def _twice(s: dict[str, list[float]], key: str, fn: Callable[[int], Any]) -> list[Any]:
    """Call ``fn(0)`` then ``fn(1)`` at once; record the first as cold, the second as warm."""
    out = []
    for k, state in enumerate(("cold", "warm")):
        t0 = time.perf_counter()
        out.append(fn(k))
        s[f"{key} {state}"].append(time.perf_counter() - t0)
    return out


def _one_repeat(scenario: evfab.Scenario, milp: Any, s: dict[str, list[float]]) -> None:
    """One repetition: a direct HiGHS solve, then every stage cold and warm."""
    gc.collect()
    h = new_highs()
    pass_milp(h, milp)
    run(h, None, GAP)  # the state orlib_bench.py measures evfab in
    worlds = _twice(s, "compile", lambda _: evfab.compile(scenario))
    tables = _twice(s, "routes", lambda k: route_table(worlds[k]))
    inputs = _twice(s, "inputs", lambda k: plan_inputs(worlds[k], tables[k]))
    models = _twice(s, "build", lambda k: build_milp(inputs[k][0]))
    sol = solve(models[0], None, GAP)
    _twice(
        s,
        "write_back",
        lambda k: write_back(
            inputs[k][0],
            inputs[k][1],
            models[k],
            sol,
            prepare(worlds[k], inputs[k][0], inputs[k][1], models[k]),
        ),
    )


def bench_instance(name: str, repeat: int) -> dict[str, Any]:
    """Cold and warm time of each of evfab's stages on one OR-Library instance."""
    scenario = load_instance(name, None)
    w0 = evfab.compile(scenario)
    milp = build_milp(plan_inputs(w0, route_table(w0))[0])
    s: dict[str, list[float]] = defaultdict(list)
    for i in range(repeat):
        print(f"[{name}] repeat {i + 1}/{repeat}", file=sys.stderr, flush=True)
        _one_repeat(scenario, milp, s)
    med = {k: c.median(v) for k, v in s.items()}
    cold = sum(med[f"{st} cold"] for st in STAGES)
    warm = sum(med[f"{st} warm"] for st in STAGES)
    return {"instance": name, "seconds": c.summary(s), "cold_total": cold, "warm_total": warm}


def bench_table(repeat: int) -> dict[str, float]:
    """One 50-row, 6-column result table: back to back, after a sleep, after a spin."""
    n = 50
    ids = np.array([f"p{i}" for i in range(n)], dtype=object)

    def table() -> Any:
        ones = np.ones(n)
        return frame(
            {
                "plant": ids.copy(),
                "year": np.arange(n),
                "used": ones,
                "committed": ones.copy(),
                "capacity": ones.copy(),
                "utilization": ones.copy(),
            },
            text=("plant",),
        )

    def spin() -> None:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 0.015:
            pass

    out: dict[str, float] = {}
    for label, before in (
        ("back to back", lambda: None),
        ("after a 15 ms sleep", lambda: time.sleep(0.015)),
        ("after a 15 ms Python spin", spin),
    ):
        xs = []
        for _ in range(repeat):
            before()
            t0 = time.perf_counter()
            table()
            xs.append(time.perf_counter() - t0)
        out[label] = c.median(xs)
    return out


def report(results: list[dict[str, Any]], table: dict[str, float]) -> str:
    """Markdown tables of cold and warm medians."""
    rows = []
    for r in results:
        m = {k: v["median"] for k, v in r["seconds"].items()}
        for st in STAGES:
            cold, warm = m[f"{st} cold"], m[f"{st} warm"]
            rows.append([r["instance"], st, c.fmt_s(cold), c.fmt_s(warm), c.fmt_x(cold / warm)])
        rows.append(
            [
                r["instance"],
                "**sum**",
                c.fmt_s(r["cold_total"]),
                c.fmt_s(r["warm_total"]),
                c.fmt_x(r["cold_total"] / r["warm_total"]),
            ]
        )
    base = table["back to back"]
    trows = [[k, f"{v * 1e6:.0f} us", c.fmt_x(v / base)] for k, v in table.items()]
    return "\n".join(
        [
            "### Cold and warm: each stage run twice in a row on identical inputs (medians)",
            "cold = first call, after a direct HiGHS solve (the state orlib_bench.py measures); "
            "warm = the same call again at once.",
            c.table(["instance", "stage", "cold", "warm", "cold / warm"], rows),
            "",
            "### One 50-row result table (frame(), 6 columns)",
            c.table(["when", "median", "vs back to back"], trows),
        ]
    )


def main() -> None:
    """Run and report."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", default="cap71,cap131", help="comma-separated cap* names")
    ap.add_argument("--repeat", type=int, default=21, help="repeats (default 21)")
    ap.add_argument("--out", default="cold_bench", help="JSON name in results/")
    args = ap.parse_args()
    info = c.machine()
    results = [bench_instance(n, args.repeat) for n in args.instances.split(",")]
    table = bench_table(max(args.repeat, 30))
    text = report(results, table)
    c.finish(args.out, info, [*results, {"table": table}], text)


if __name__ == "__main__":
    main()
