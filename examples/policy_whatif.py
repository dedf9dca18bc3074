"""What if China had halted new EV licences again from 2023 to 2025? (xiaomi-2022)

The bundled xiaomi-2022 scenario is Xiaomi's position on 2022-08-26, with its own licence
application pending. This example adds a hypothetical policy period after that date (new
licences halted from 2023-01-01, granted again from 2025-01-01; cited as an assumption,
since it never happened) and compares, with and without it:

- each route's legality and earliest start of production (the rules engine),
- the plan at least discounted cost (the planner),
- each chosen route's chance of starting by Xiaomi's 2024-06 target (the risk engine).

Run::

    .venv/bin/python examples/policy_whatif.py
    .venv/bin/python examples/policy_whatif.py --write halt.yaml   # the what-if as a file,
    .venv/bin/evfab compare xiaomi-2022 halt.yaml                  # for `evfab compare`

``tests/test_examples.py`` runs it and compares its output with a golden file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

import evfab
from evfab.plan import PlanOptions, plan
from evfab.risk import RiskOptions, sample_routes

HALT = [
    {
        "since": "2023-01-01",
        "name": "what-if: new licences halted again",
        "new_licences": False,
        "sources": ["a-whatif-halt"],
    },
    {
        "since": "2025-01-01",
        "name": "what-if: halt lifted",
        "new_licences": True,
        "sources": ["a-whatif-halt"],
    },
]
SOURCE = {
    "id": "a-whatif-halt",
    "status": "assumption",
    "note": "hypothetical: a repeat of the 2017-2019 NDRC halt, for this example only",
}


def scenario_yaml(what_if: bool) -> str:
    """The bundled scenario as YAML, with the hypothetical halt added if ``what_if``."""
    doc: dict[str, Any] = yaml.safe_load(evfab.bundled()["xiaomi-2022"].read_text("utf-8"))
    if what_if:
        doc["name"] = f"{doc['name']}-halt"
        doc["sources"].append(SOURCE)
        doc["policy"] += HALT
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def scenario(what_if: bool) -> evfab.Scenario:
    """The bundled scenario, with the hypothetical halt added if ``what_if``."""
    return evfab.loads(scenario_yaml(what_if), file="xiaomi-2022 (what-if)")


def main() -> None:
    """Print the comparison (or, with ``--write FILE``, write the what-if scenario)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", type=Path, help="write the what-if scenario to this YAML file")
    args = ap.parse_args()
    if args.write is not None:
        args.write.write_text(scenario_yaml(True), encoding="utf-8")
        print(f"wrote {args.write}; compare it: evfab compare xiaomi-2022 {args.write}")
        return
    worlds = {name: evfab.compile(scenario(name == "halt")) for name in ("as is", "halt")}
    routes = {name: evfab.derive_routes(w) for name, w in worlds.items()}
    print("Routes of Xiaomi's EV: legal? earliest SOP (as is -> with the halt)")
    halted = {(r.program, r.id): r for r in routes["halt"]}

    def state(r: evfab.Route) -> str:
        return f"{'legal' if r.legal else 'ILLEGAL'} {r.earliest_sop}"

    for before in routes["as is"]:
        if before.program != "xiaomi-ev":
            continue
        after = halted[(before.program, before.id)]
        change = "" if state(before) == state(after) else "  <- changed"
        print(f"  {before.id:48s} {state(before):18s} -> {state(after)}{change}")
        if change:
            print(f"      {after.sop_driver}")
    print()
    opts = PlanOptions(alternatives=False)
    for name, w in worlds.items():
        res = plan(w, opts, routes=routes[name])
        chosen = res.choices[res.choices["program"] == "xiaomi-ev"]
        print(f"Plan {name}: {res.status}, discounted cost {res.objective / 1e9:,.2f} bn CNY")
        for _, c in chosen.iterrows():
            print(f"  {c['route']}: first year {c['first_year']}, {c['cars']:,.0f} cars")
        picked = [r for r in routes[name] if r.id in set(chosen["route"])]
        risk = sample_routes(w, picked, RiskOptions(samples=20_000, seed=1))
        for _, row in risk.summary.iterrows():
            print(
                f"    P(starts by {row['target_sop']}) = {row['p_on_target']:.0%}: {row['route']}"
            )
    print()
    print("The halt is an assumption of this example (source a-whatif-halt), not a fact.")


if __name__ == "__main__":
    main()
