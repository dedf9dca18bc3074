"""Pricing alternatives and deals in scope ``company`` against scope ``industry``.

``evfab plan --alternatives`` prices each alternative route, and each deal the plan does not
take, by a re-solve of the plan's model. In scope ``industry`` (the default, exact) every
company may re-decide its deals; in scope ``company`` only the companies concerned do, the
others keeping the plan's (:mod:`evfab._plan_scope`). For a generated industry the plan is
solved once; then, for some of its programs (picked with the seed), the program's
alternatives and the deals offered to its company are priced in both scopes, interleaved
(the order alternates between programs):

* seconds per program in each scope (alternatives plus deals) and their ratio;
* agreement: the largest relative difference between the two scopes' costs, and how many
  priced rows the company scope puts above the exact price (it can never be below).

Usage::

    .venv/bin/python benchmarks/scope_bench.py                          # medium, 3 programs
    .venv/bin/python benchmarks/scope_bench.py --programs 500 --plants 200 --pick 5
    .venv/bin/python benchmarks/scope_bench.py --programs 50 --plants 20 --pick 10   # quick
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import evfab
from evfab._highs import new_highs, pass_milp, run
from evfab._plan_deals import deal_values
from evfab._plan_explain import alternatives
from evfab._plan_model import build_milp
from evfab._route_table import route_table
from evfab.generate import generate
from evfab.plan import PlanOptions, plan_inputs

SCOPES = ("industry", "company")


def _agreement(exact: pd.DataFrame, held: pd.DataFrame, key: list[str], col: str) -> list[float]:
    """Relative differences (held - exact) of the rows both scopes priced."""
    both = exact.merge(held, on=key, suffixes=("", "_held"))
    ok = both["status"].isin(["optimal"]) & both["status_held"].isin(["optimal"])
    a, b = both[col][ok].to_numpy(float), both[f"{col}_held"][ok].to_numpy(float)
    scale = np.maximum(1.0, np.abs(a)) if col == "cost" else np.maximum(1.0, np.abs(a) + 1.0)
    return ((b - a) / scale).tolist()


def bench(programs: int, plants: int, pick: int, seed: int) -> dict[str, Any]:
    """Measurements for one generated industry."""
    t0 = time.perf_counter()
    world = evfab.compile(
        evfab.Scenario.model_validate(
            generate(programs=programs, plants=plants, years=10, seed=seed)
        )
    )
    d, ix = plan_inputs(world, route_table(world))
    m = build_milp(d)
    h = new_highs()
    pass_milp(h, m)
    sol = run(h, None, 1e-6)
    print(f"  plan: {sol.status.value} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    rng = np.random.default_rng(seed)
    n_routes = np.bincount(d.route_program, minlength=len(ix.programs))
    # Programs with a choice to price (two usable routes or more).
    candidates = np.nonzero(n_routes >= 2)[0]
    chosen = sorted(rng.choice(candidates, min(pick, len(candidates)), replace=False).tolist())
    kinds = ["offer"] * len(d.offer_company)
    s: dict[str, list[float]] = {k: [] for k in SCOPES}
    rows: list[dict[str, Any]] = []
    diffs: dict[str, list[float]] = {"alternatives": [], "deals": []}
    above = 0
    held = 0  # rows the company scope priced itself (not the plan's own, not fallen back)
    for i, g in enumerate(chosen):
        name = ix.programs[g]
        company = ix.companies[d.program_company[g]]
        got: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
        for scope in SCOPES if i % 2 == 0 else SCOPES[::-1]:
            opts = PlanOptions(alternatives_scope=scope)  # type: ignore[arg-type]
            gc.collect()
            t = time.perf_counter()
            alts = alternatives(d, ix, m, sol, opts, only={name})
            deals = deal_values(d, ix, m, sol.col_value, kinds, opts, companies={company}, plan=sol)
            s[scope].append(time.perf_counter() - t)
            got[scope] = (alts, deals)
        (ea, ed), (ha, hd) = got["industry"], got["company"]
        da = _agreement(ea, ha, ["program", "route"], "cost")
        dd = _agreement(ed, hd, ["offer"], "saves")
        diffs["alternatives"] += da
        diffs["deals"] += dd
        above += sum(x > 1e-9 for x in da)
        held += int((ha["scope"] == "company").sum() + (hd["scope"] == "company").sum())
        rows.append(
            {
                "program": name,
                "routes": len(ea),
                "deals": len(ed),
                "industry_s": s["industry"][-1],
                "company_s": s["company"][-1],
            }
        )
        print(
            f"  {name}: {len(ea)} routes, {len(ed)} deals; industry "
            f"{s['industry'][-1]:.1f} s, company {s['company'][-1]:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    med = {k: c.median(v) for k, v in s.items()}
    return {
        "programs": programs,
        "plants": plants,
        "rows x cols": f"{m.n_row} x {m.n_col}",
        "integers": int(m.integrality().sum()),
        "plan_seconds": sol.seconds,
        "per_program": rows,
        "seconds": c.summary(s),
        "ratio": med["industry"] / med["company"] if med["company"] else float("nan"),
        "max_rel_diff_cost": max((abs(x) for x in diffs["alternatives"]), default=0.0),
        "max_rel_diff_saves": max((abs(x) for x in diffs["deals"]), default=0.0),
        "priced_rows": len(diffs["alternatives"]) + len(diffs["deals"]),
        "company_above_exact": above,
        "rows_held": held,
    }


def report(results: list[dict[str, Any]]) -> str:
    """Markdown table of the medians, the ratio and the agreement."""
    rows = [
        [
            f"{r['programs']} / {r['plants']}",
            r["rows x cols"],
            str(r["seconds"]["industry"]["n"]),
            c.fmt_s(r["seconds"]["industry"]["median"]),
            c.fmt_s(r["seconds"]["company"]["median"]),
            c.fmt_x(r["ratio"]),
            f"{r['priced_rows']} ({r['rows_held']} held)",
            f"{r['max_rel_diff_cost']:.1e}",
            f"{r['max_rel_diff_saves']:.1e}",
            str(r["company_above_exact"]),
        ]
        for r in results
    ]
    return "\n".join(
        [
            "### Pricing one program's alternatives and its company's deals: scope industry "
            "(exact) vs company (medians per program)",
            c.table(
                [
                    "programs / plants",
                    "rows x cols",
                    "programs priced",
                    "industry",
                    "company",
                    "industry / company",
                    "rows priced",
                    "max rel. diff, cost",
                    "max rel. diff, saves",
                    "company above exact",
                ],
                rows,
            ),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write ``results/scope_bench.json``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--programs", type=int, default=500)
    ap.add_argument("--plants", type=int, default=200)
    ap.add_argument("--pick", type=int, default=3, help="programs to price")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="scope_bench", help="JSON name in results/")
    args = ap.parse_args(argv)
    info = c.machine()
    print(f"[{args.programs} programs] ...", file=sys.stderr, flush=True)
    results = [bench(args.programs, args.plants, args.pick, args.seed)]
    c.save_results(args.out, info, results)
    c.finish(args.out, info, results, report(results))


if __name__ == "__main__":
    main()
