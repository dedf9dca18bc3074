"""The planner's formulation (:mod:`evfab._plan_model`): extra modules priced and budgeted as
worked out by hand, and properties of plans on small random scenarios (the costs table adds
up to the objective; production fits demand and capacity)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import evfab
from conftest import MINIMAL
from evfab.plan import PlanOptions, PlanResult, PlanStatus, plan
from test_plan_inputs import _WAIVER, HEAD

FAST = PlanOptions(capacity_values=False, alternatives=False)

# A planned 100k plant, ready when its build offer is signed (12 months after as_of, in
# 2031), with up to four 50k modules at 400m each; 260k cars wanted a year in 2031-33 at
# 10,000 lost margin a car; a 10% discount rate (2030 is year 0).
_MODULES = """\
name: t
discount_rate: 0.1
sources:
  - {id: a, status: assumption, note: test}
as_of: 2030-01-01
horizon: 2033
policy: [{since: 2020-01-01, sources: [a]}]
companies: [{id: n1, name: N1, kind: newcomer}]
licences: [{id: n1-bev, holder: n1, status: held, sources: [a]}]
plants:
  - {id: np, name: New plant, operator: n1, status: planned, phases: [{capacity: 100000, months: 0}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2031-01, demand: {2031: 260000, 2032: 260000, 2033: 260000}, badge: own, lost_margin: 10000}
offers:
  - {id: build, kind: build_plant, to: n1, plant: np, fixed_fee: 1000000000, lead_months: 12, module_capacity: 50000, max_modules: 4, module_fee: 400000000, sources: [a]}
"""
# A licence pending since 2029 under a 300,000/year minimum: the 100,000 plant needs all four
# modules (the demand alone would pay for three).
_MIN_MODULES = _MODULES.replace(
    "policy: [{since: 2020-01-01, sources: [a]}]",
    "policy: [{since: 2020-01-01, review_months: 0, min_capacity: 300000, sources: [a]}]",
).replace("status: held, sources", "status: applied, applied_on: 2029-06, sources")
_BUDGET = _MODULES.replace("kind: newcomer}", "kind: newcomer, capital_budget: 1800000000}")
# A badge waiver (100m) that a 50m budget cannot pay (test_plan_inputs.py's _WAIVER).
_WAIVER_BUDGET = (HEAD + _WAIVER).replace(
    "kind: newcomer}", "kind: newcomer, capital_budget: 50000000}"
)
# Discount factors of 2031, 2032, 2033 at 10%: 1/1.1 + 1/1.21 + 1/1.331 = 2.4868520...
_D3 = 1 / 1.1 + 1 / 1.21 + 1 / 1.331


def _plan(text: str) -> PlanResult:
    r = plan(evfab.compile(evfab.loads(text)), FAST)
    assert r.ok, r.status
    return r


def _discounted_total(r: PlanResult) -> float:
    return float(r.costs.set_index("category").loc["total", "discounted"])


def test_module_capex_is_discounted_to_the_build_offers_year() -> None:
    # A module (400m, paid with the offer in 2031: 400m/1.1 = 363.6m) saves 50k cars x
    # 10,000 x 2.48685 = 1.243bn while demand is unmet: the 3rd pays, the 4th would save
    # only 10k x 10,000 x 2.48685 = 248.7m. So 3 modules: 250k a year, 10k unmet a year.
    #   fees: (1e9 + 3 x 4e8) / 1.1               = 2,000,000,000.00
    #   lost margin: 1e8 x (1/1.1+1/1.21+1/1.331) =   248,685,199.10
    #   objective                                  = 2,248,685,199.10
    # (Undiscounted module capex would give 1e9/1.1 + 1.2e9 + 248.7m = 2,357,776,108.19.)
    r = _plan(_MODULES)
    assert r.offers["modules"].tolist() == [3]
    assert r.objective == pytest.approx(2.2e9 / 1.1 + 1e8 * _D3, rel=1e-9)
    assert r.objective == pytest.approx(2_248_685_199.10, abs=0.01)
    # The costs table prices the modules on its own; its total must be the objective.
    assert _discounted_total(r) == pytest.approx(r.objective, rel=1e-9)


def test_module_capex_counts_against_the_capital_budget() -> None:
    # A 1.8bn budget pays the plant (1bn) and two modules (0.8bn), not a third (2.2bn):
    # 200k a year, 60k unmet a year.
    #   fees: 1.8e9 / 1.1                              = 1,636,363,636.36
    #   lost margin: 60,000 x 10,000 x 2.4868520       = 1,492,111,194.59
    #   objective                                      = 3,128,474,830.95
    r = _plan(_BUDGET)
    assert r.offers["modules"].tolist() == [2]
    assert r.objective == pytest.approx(1.8e9 / 1.1 + 6e8 * _D3, rel=1e-9)
    assert r.objective == pytest.approx(3_128_474_830.95, abs=0.01)
    assert r.production["cars"].tolist() == pytest.approx([200_000] * 3)


# --- properties on small random scenarios --------------------------------------------


@st.composite
def _scenarios(draw: Any) -> tuple[dict[str, Any], dict[str, float]]:
    """A small scenario dict: 1-3 newcomer programs, 1-3 host plants with contract offers
    (co-brand terms, some with a badge waiver), newcomers' own planned plants with build
    offers and modules, a positive discount rate and some capital budgets. Also returns
    each plant's most cars a year (nameplate less committed load, before modules)."""
    n_years = draw(st.integers(2, 3))
    horizon = 2030 + n_years - 1
    n_prog = draw(st.integers(1, 3))
    n_host = draw(st.integers(1, 3))
    money = st.sampled_from([0, 1e7, 5e7, 2e8, 1e9])
    d: dict[str, Any] = {
        "name": "prop",
        "as_of": "2030-01-01",
        "horizon": horizon,
        "discount_rate": draw(st.sampled_from([0.03, 0.08, 0.15])),
        "sources": [{"id": "a", "status": "assumption", "note": "test"}],
        "policy": [
            {
                "since": "2020-01-01",
                "contract_manufacturing": True,
                "review_months": 0,
                # A pending licence at a newcomer's planned plant may need its modules.
                "min_capacity": draw(st.sampled_from([0, 50_000, 100_000])),
                "sources": ["a"],
            }
        ],
        "companies": [{"id": "host", "name": "Host", "kind": "automaker"}],
        "licences": [{"id": "host-bev", "holder": "host", "status": "held", "sources": ["a"]}],
        "plants": [],
        "programs": [],
        "offers": [],
    }
    most: dict[str, float] = {}
    for h in range(n_host):
        cap = draw(st.sampled_from([20_000, 50_000, 100_000]))
        committed = draw(st.sampled_from([0, 10_000]))
        d["plants"].append(
            {
                "id": f"h{h}",
                "name": f"H{h}",
                "operator": "host",
                "status": "operating",
                "opened": "2020-01",
                "unit_cost": draw(st.sampled_from([0, 500, 2000])),
                "phases": [{"capacity": cap, "ready": "2020-01"}],
                "committed": {y: committed for y in range(2030, horizon + 1)},
            }
        )
        most[f"h{h}"] = cap - committed
    for g in range(n_prog):
        c = f"n{g}"
        company: dict[str, Any] = {"id": c, "name": c.upper(), "kind": "newcomer"}
        if draw(st.booleans()):
            company["capital_budget"] = draw(st.sampled_from([5e7, 3e8, 1.5e9]))
        d["companies"].append(company)
        d["programs"].append(
            {
                "id": f"g{g}",
                "company": c,
                "name": f"G{g}",
                "target_sop": "2030-01",
                # Some demand in every scenario: with no demand and no usable route the model
                # has no column, and HiGHS's empty "optimal" solution has a NaN objective.
                "demand": {
                    y: draw(
                        st.sampled_from(
                            [10_000, 40_000, 120_000]
                            if g + y == 2030
                            else [0, 10_000, 40_000, 120_000]
                        )
                    )
                    for y in range(2030, horizon + 1)
                },
                "badge": draw(st.sampled_from(["own", "own", "co_brand", "any"])),
                "lost_margin": draw(st.sampled_from([3000, 10_000])),
            }
        )
        for h in range(n_host):
            if not draw(st.booleans()):
                continue
            cm: dict[str, Any] = {
                "id": f"cm{g}{h}",
                "kind": "contract_manufacturing",
                "to": c,
                "host": "host",
                "plant": f"h{h}",
                "fee_per_unit": draw(st.sampled_from([100, 1000])),
                "fixed_fee": draw(money),
                "badge": "co_brand",
                "lead_months": draw(st.sampled_from([0, 6, 12])),
                "sources": ["a"],
            }
            if draw(st.integers(0, 3)):
                cm["badge_waiver_fee"] = draw(st.sampled_from([1e6, 1e7, 1e8]))
            d["offers"].append(cm)
        if draw(st.booleans()):
            lic: dict[str, Any] = {"id": f"{c}-bev", "holder": c, "status": "held"}
            if draw(st.booleans()):  # a new licence: the minimum capacity applies
                lic |= {"status": "applied", "applied_on": "2029-06"}
            d["licences"].append(lic | {"sources": ["a"]})
            cap = draw(st.sampled_from([30_000, 60_000]))
            d["plants"].append(
                {
                    "id": f"p{g}",
                    "name": f"P{g}",
                    "operator": c,
                    "status": "planned",
                    "unit_cost": draw(st.sampled_from([0, 800])),
                    "phases": [{"capacity": cap, "months": draw(st.sampled_from([0, 6]))}],
                }
            )
            most[f"p{g}"] = cap
            d["offers"].append(
                {
                    "id": f"build{g}",
                    "kind": "build_plant",
                    "to": c,
                    "plant": f"p{g}",
                    "fixed_fee": draw(money),
                    "lead_months": draw(st.sampled_from([0, 12])),
                    "module_capacity": draw(st.sampled_from([10_000, 40_000])),
                    "max_modules": draw(st.integers(1, 3)),
                    "module_fee": draw(st.sampled_from([1e7, 1e8, 5e8])),
                    "sources": ["a"],
                }
            )
    return d, most


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=_scenarios())
# Always also the hand-worked cases above (a module bought in a discounted year, a budget).
@example(case=(yaml.safe_load(_MODULES), {"np": 100_000}))
@example(case=(yaml.safe_load(_BUDGET), {"np": 100_000}))
@example(case=(yaml.safe_load(_MIN_MODULES), {"np": 100_000}))
@example(case=(yaml.safe_load(_WAIVER_BUDGET), {"pa": 50_000, "pb": 50_000}))
def test_small_plans_cost_their_objective_and_fit_demand_and_capacity(
    case: tuple[dict[str, Any], dict[str, float]],
) -> None:
    d, most = case
    r = plan(evfab.compile(evfab.loads(yaml.safe_dump(d, sort_keys=False))), FAST)
    assert r.ok, r.status
    # Every cost the objective counts is in the costs table, discounted alike.
    assert _discounted_total(r) == pytest.approx(r.objective, rel=1e-6, abs=1e-3)
    # Never more cars than wanted, per program and year.
    demand = {(g["id"], int(y)): float(v) for g in d["programs"] for y, v in g["demand"].items()}
    made = r.production.groupby(["program", "year"])["cars"].sum()
    for (g, y), cars in made.items():
        assert cars <= demand[(str(g), int(y))] + 1e-6
    # A plant-year never builds more than its free nameplate plus the modules built there.
    module_cap = {
        str(o["id"]): (str(o["plant"]), float(o["module_capacity"]))
        for o in d["offers"]
        if o["kind"] == "build_plant"
    }
    extra = dict.fromkeys(most, 0.0)
    for o, k in zip(r.offers["offer"], r.offers["modules"], strict=True):
        if str(o) in module_cap:
            pid, size = module_cap[str(o)]
            extra[pid] += int(k) * size
    for (p, _y), cars in r.production.groupby(["plant", "year"])["cars"].sum().items():
        assert cars <= most[str(p)] + extra[str(p)] + 1e-6
    # A company's one-off spending (fees, modules, waivers; undiscounted) fits its budget.
    offers = {str(o["id"]): o for o in d["offers"]}
    spent = {str(c["id"]): 0.0 for c in d["companies"]}
    for o, k in zip(r.offers["offer"], r.offers["modules"], strict=True):
        row = offers[str(o)]
        spent[row["to"]] += row.get("fixed_fee", 0.0) + int(k) * row.get("module_fee", 0.0)
    waived = {
        o
        for badge, used in zip(r.choices["badge"], r.choices["offers"], strict=True)
        if "waived" in str(badge)
        for o in str(used).split(", ")
        if offers[o].get("badge_waiver_fee")
    }
    for o in waived:
        spent[offers[o]["to"]] += offers[o]["badge_waiver_fee"]
    for c in d["companies"]:
        if c.get("capital_budget") is not None:
            assert spent[c["id"]] <= c["capital_budget"] * (1 + 1e-9)
    # And the utilization table agrees: used never above the capacity it reports.
    u = r.utilization
    assert (u["used"] <= u["capacity"] + 1e-6).all()
    # A pending licence's planned plant below the minimum capacity is used only with the
    # modules that reach it (and never if they cannot).
    minimum = d["policy"][0].get("min_capacity", 0)
    built = dict(zip(r.offers["offer"], r.offers["modules"], strict=True))
    for route in set(r.choices["route"]):
        if not (str(route).startswith("applied:") and "@build:" in str(route)):
            continue
        pid = str(route).split("@build:")[1]
        o = next(o for o in d["offers"] if o["kind"] == "build_plant" and o["plant"] == pid)
        short = minimum - most[pid]
        if short > 0:
            need = -(-short // o["module_capacity"])
            assert need <= o["max_modules"], route
            assert built[o["id"]] >= need, (route, built)


def test_a_plan_with_nothing_to_decide_costs_zero() -> None:
    # No demand and no legal route: the model has no columns. HiGHS solves it but marks no
    # values valid; the plan used to be "optimal" with a NaN objective.
    text = MINIMAL.replace("demand: {2023: 10000, 2024: 50000}", "demand: {2023: 0, 2024: 0}")
    text = text.replace("contract_manufacturing: true", "contract_manufacturing: false")
    r = plan(evfab.compile(evfab.loads(text)), PlanOptions(alternatives=False))
    assert r.size["columns"] == 0
    assert r.status is PlanStatus.OPTIMAL and r.ok and r.objective == 0.0
    assert float(r.costs.set_index("category").loc["total", "discounted"]) == 0.0


# NewCo holds a licence and runs a 100k plant; from as_of (16 March 2030) 291 of 2030's 365
# days are left: 79,726.03 cars. Its own route shows 79,726 (whole cars). OldCo's umbrella
# over the same plant costs 3,000 a car; the lost margin is 30,000 a car.
_PART_YEAR = """\
name: t
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
as_of: 2030-03-16
horizon: 2031
policy: [{since: 2020-01-01, sources: [a]}]
companies:
  - {id: n1, name: N1, kind: newcomer}
  - {id: o1, name: O1, kind: automaker}
licences:
  - {id: n1-bev, holder: n1, status: held, sources: [a]}
  - {id: o1-bev, holder: o1, status: held, sources: [a]}
plants:
  - {id: p1, name: P1, operator: n1, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-04, demand: {2030: 200000, 2031: 200000}, badge: own, lost_margin: 30000}
offers:
  - {id: umb, kind: licence_umbrella, to: n1, partner: o1, licence: o1-bev, plants: [p1], fee_per_unit: 3000, badge: own, lead_months: 0, sources: [a]}
"""


def test_a_part_year_fraction_of_a_car_takes_no_second_route() -> None:
    # The plant's 0.03 cars above the own route's whole cars are rounding: no umbrella
    # route is chosen for them, and one more car at the plant saves the whole lost margin
    # (30,000), not the margin less the umbrella's fee (27,000).
    r = plan(evfab.compile(evfab.loads(_PART_YEAR)), PlanOptions(alternatives=False))
    assert r.ok, r.status
    assert set(r.choices["route"]) == {"own:n1-bev@own:p1"}
    assert list(r.offers["offer"]) == []
    v = r.capacity_values.set_index(["plant", "year"])["value_per_car"]
    assert v[("p1", 2030)] == pytest.approx(30_000)
    assert v[("p1", 2031)] == pytest.approx(30_000)


# One company, two programs, its own 120k plant and a licence applied for on as_of
# (2022-01-01): 9 months to file, then the 16-month review the policy's defaults give,
# granted 2024-02-04. In 2024 the licence allows 332 of 366 days, 120,000 x 332 / 366 =
# 108,852 cars, for both programs together.
_SHARED = """\
name: t
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
as_of: 2022-01-01
horizon: 2025
policy: [{since: 2015-01-01, sources: [a]}]
companies: [{id: n1, name: N1, kind: newcomer}]
plants:
  - {id: p1, name: P1, operator: n1, status: operating, opened: 2010-01, phases: [{capacity: 120000, ready: 2010-01}], unit_cost: 100}
programs:
  - {id: a, company: n1, name: A, target_sop: 2022-01, demand: {2024: 100000, 2025: 60000}, badge: own, lost_margin: 50000}
  - {id: b, company: n1, name: B, target_sop: 2022-01, demand: {2024: 100000, 2025: 60000}, badge: own, lost_margin: 50000}
offers:
  - {id: apply, kind: apply_licence, to: n1, fixed_fee: 1000, lead_months: 9, sources: [a]}
"""


def test_programs_on_one_route_share_its_first_years_capacity() -> None:
    # The fuzz's min_sop_overbuild.yaml: each program's route may build 108,852 cars in
    # 2024, and the plan built 120,000 between them, 11,148 before the licence existed.
    r = plan(evfab.compile(evfab.loads(_SHARED)), FAST)
    assert r.ok, r.status
    (route,) = set(r.production["route"])
    assert route == "apply:apply@own:p1"
    by_year = r.production.groupby("year")["cars"].sum()
    assert by_year[2024] == pytest.approx(round(120_000 * 332 / 366))  # 108,852
    assert by_year[2025] == pytest.approx(120_000)


# A planned 100k plant built 3 + 8 months after as_of (ready 2022-12-02), with up to two
# 50k modules too dear to build; the program ramps up linearly over 10 months (304.375 days).
_RAMP_MODULES = """\
name: t
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
as_of: 2022-01-01
horizon: 2024
policy: [{since: 2015-01-01, sources: [a]}]
companies: [{id: n1, name: N1, kind: newcomer}]
licences: [{id: n1-bev, holder: n1, status: held, sources: [a]}]
plants:
  - {id: np, name: NP, operator: n1, status: planned, phases: [{capacity: 100000, months: 8}]}
programs:
  - {id: g, company: n1, name: G, target_sop: 2022-01, demand: {2022: 50000, 2023: 100000, 2024: 100000}, badge: own, lost_margin: 50000, ramp_months: 10}
offers:
  - {id: build, kind: build_plant, to: n1, plant: np, fixed_fee: 1000, lead_months: 3, module_capacity: 50000, max_modules: 2, module_fee: 100000000000, sources: [a]}
"""


def test_a_ramp_up_holds_back_the_modules_built_not_those_that_could_be() -> None:
    from evfab.risk import RiskOptions, plan_modules, plan_routes, sample_routes

    # The fuzz's min_ramp_modules.yaml. No module is built; in 2022 the ramp allows
    # 100,000 / 365 x 30^2 / (2 x 304.375) = 405 cars over the 30 days from 2022-12-02. The
    # plan built 810: the ramp-up of the plant with both modules it never built.
    world = evfab.compile(evfab.loads(_RAMP_MODULES))
    r = plan(world, FAST)
    assert r.ok, r.status
    assert int(r.offers.set_index("offer").at["build", "modules"]) == 0
    cars = r.production.groupby("year")["cars"].sum()
    assert cars[2022] == pytest.approx(100_000 / 365 * 30**2 / (2 * 304.375), abs=0.5)
    # The risk engine, sampling the plan at its modes, builds what the plan builds.
    routes, allocation = plan_routes(evfab.derive_routes(world), r)
    risk = sample_routes(
        world, routes, RiskOptions(samples=200), allocation=allocation, modules=plan_modules(r)
    )
    built = risk.volumes.set_index("year")["built_mean"]
    for year in (2022, 2023, 2024):
        assert built[year] == pytest.approx(cars[year], abs=1.0)
