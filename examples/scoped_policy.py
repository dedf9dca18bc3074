"""A halt of new BEV makers only, and a minimum capacity reached with plant modules.

The 2017 NDRC halt stopped new *battery-electric* passenger-car makers; Order 22 (2019) asked
a new maker's plant for 100,000 cars a year. This example is an illustrative industry (every
number an assumption, not a fact) with two newcomers alike but for their cars: BEVCo builds
battery-electric cars, EREVCo range extenders. Each can apply for its own licence and build a
60,000-car plant with optional 20,000-car modules, or have a licensed host build its cars.

It shows, with the halt limited to BEV makers (``scopes: [bev_passenger]``) and then with the
halt for every maker:

- each route's legality, earliest start and the modules its plant needs (the rules engine),
- the plan at least discounted cost, with the modules it builds (the planner),
- what `evfab compare` says changed in the policy.

Run::

    .venv/bin/python examples/scoped_policy.py

``tests/test_examples.py`` runs it and compares its output with a golden file.
"""

from __future__ import annotations

import evfab
from evfab.compare import CompareOptions, compare
from evfab.plan import PlanOptions, plan

SCENARIO = """\
name: scoped-halt-example
as_of: 2017-01-01
horizon: 2022
discount_rate: 0.08
sources:
  - {id: a, status: assumption, note: "illustrative industry for this example, not facts"}
policy:
  - {since: 2015-07-10, name: BEV provisions, new_licences: true, review_months: 12,
     min_capacity: 0, contract_manufacturing: true, sources: [a]}
  - {since: 2017-06-01, name: halt of new BEV makers, scopes: [bev_passenger],
     new_licences: false, sources: [a]}
  - {since: 2019-01-10, name: Order 22-like minimum, new_licences: true, min_capacity: 100000,
     sources: [a]}
companies:
  - {id: bevco, name: BEVCo, kind: newcomer, sources: [a]}
  - {id: erevco, name: EREVCo, kind: newcomer, sources: [a]}
  - {id: host, name: HostAuto, kind: automaker, sources: [a]}
licences:
  - {id: host-bev, holder: host, scope: bev_passenger, status: held, sources: [a]}
  - {id: host-erev, holder: host, scope: erev_passenger, status: held, sources: [a]}
plants:
  - {id: host-plant, name: Host plant, operator: host, status: operating, opened: 2010-01,
     phases: [{capacity: 200000, ready: 2010-01}], unit_cost: 2000, sources: [a]}
  - {id: bev-plant, name: BEVCo plant, operator: bevco, status: planned,
     phases: [{capacity: 60000, months: 18}], sources: [a]}
  - {id: erev-plant, name: EREVCo plant, operator: erevco, status: planned,
     phases: [{capacity: 60000, months: 18}], sources: [a]}
programs:
  - {id: bev-car, company: bevco, name: BEV car, target_sop: 2018-07, badge: own,
     demand: {2018: 20000, 2019: 60000, 2020: 90000, 2021: 90000, 2022: 90000},
     lost_margin: 30000, sources: [a]}
  - {id: erev-car, company: erevco, name: EREV car, scope: erev_passenger, target_sop: 2018-07,
     badge: own, demand: {2018: 20000, 2019: 60000, 2020: 90000, 2021: 90000, 2022: 90000},
     lost_margin: 30000, sources: [a]}
offers:
  - {id: bev-apply, kind: apply_licence, to: bevco, lead_months: 3, sources: [a]}
  - {id: erev-apply, kind: apply_licence, to: erevco, scope: erev_passenger, lead_months: 3,
     sources: [a]}
  - {id: bev-build, kind: build_plant, to: bevco, plant: bev-plant, fixed_fee: 2000000000,
     lead_months: 0, module_capacity: 20000, max_modules: 3, module_fee: 300000000,
     sources: [a]}
  - {id: erev-build, kind: build_plant, to: erevco, plant: erev-plant, fixed_fee: 2000000000,
     lead_months: 0, module_capacity: 20000, max_modules: 3, module_fee: 300000000,
     sources: [a]}
  - {id: bev-contract, kind: contract_manufacturing, to: bevco, host: host, plant: host-plant,
     fee_per_unit: 8000, badge: co_brand, badge_waiver_fee: 500000000, lead_months: 6,
     sources: [a]}
  - {id: erev-contract, kind: contract_manufacturing, to: erevco, host: host,
     plant: host-plant, fee_per_unit: 8000, badge: co_brand, badge_waiver_fee: 500000000,
     lead_months: 6, sources: [a]}
"""

EVERY_MAKER = SCENARIO.replace("name: scoped-halt-example", "name: halt-for-every-maker").replace(
    "name: halt of new BEV makers, scopes: [bev_passenger],", "name: halt of new makers,"
)


def show(text: str) -> evfab.World:
    """Print one scenario's routes and plan; return its world."""
    world = evfab.compile(evfab.loads(text, file="scoped_policy.py"))
    print(f"== {world.name}")
    for r in evfab.derive_routes(world):
        state = "legal" if r.legal else "ILLEGAL"
        needs = f", needs {r.min_modules} modules" if r.min_modules else ""
        print(f"  {r.program:9s} {r.id:42s} {state:7s} SOP {r.earliest_sop}{needs}")
        for why in r.why:
            print(f"      {why}")
    res = plan(world, PlanOptions(alternatives=False, capacity_values=False))
    print(f"  plan: {res.status}, discounted cost {res.objective / 1e9:,.2f} bn CNY")
    for c in res.choices.to_dict("records"):
        print(f"    {c['program']:9s} {c['route']}: from {c['first_year']}, {c['cars']:,.0f} cars")
    for o in res.offers.to_dict("records"):
        if o["modules"]:
            print(f"    {o['offer']} builds {o['modules']} extra modules")
    for g, lines in res.explanations.items():
        for line in lines:
            if "module" in line:
                print(f"    {g}: {line}")
    return world


def main() -> None:
    """Print both scenarios and what changed in the policy between them."""
    scoped, every = show(SCENARIO), show(EVERY_MAKER)
    print("== what compare says changed in the policy")
    changed = compare(scoped, every, CompareOptions(risk_samples=0))
    for c in changed.policy.to_dict("records"):
        scopes = f" ({', '.join(c['scopes'])})" if c["scopes"] else " (every scope)"
        rules = c["rules_after"] or c["rules_before"]
        print(f"  {c['change']} {c['since']} {c['name']}{scopes}: {rules}")
    print()
    print("Every number here is an assumption of this example (source a), not a fact.")


if __name__ == "__main__":
    main()
