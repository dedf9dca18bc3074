"""Expected costs and capacity of the risk engine against the planner, on scenarios where
nothing is uncertain (every chance 1, fixed dates), so that the risk engine's expected cost
of a plan's routes must equal the plan's cost without lost margin, to the last car. (That
holds with as_of on 1 January, as here. With a part first year the rules engine rounds a
route's capacity to whole cars, which the planner uses, while the risk engine counts the
exact fraction: they can differ by under a car a year.)

Also: a route whose plant misses a fixed minimum capacity never starts when sampled on its
own, and ``risk --plan`` refuses ``--route`` and says when no route is usable.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import evfab
from evfab.plan import PlanOptions, PlanResult, plan
from evfab.risk import RiskOptions, RiskResult, plan_modules, plan_routes, sample_routes

BASE: dict[str, Any] = yaml.safe_load(
    """
name: tiny
as_of: 2024-01-01
horizon: 2027
currency: CNY
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
policy:
  - since: 2015-01-01
    name: base
    new_licences: true
    review_months: 6
    approval_probability: 1.0
    min_capacity: 0
    contract_manufacturing: true
    badge_names_manufacturer: false
    sources: [a]
companies:
  - {id: newco, name: NewCo, kind: newcomer, sources: [a]}
  - {id: hostco, name: HostCo, kind: automaker, sources: [a]}
licences:
  - {id: host-bev, holder: hostco, status: held, sources: [a]}
plants:
  - id: hp
    name: HP
    operator: hostco
    status: operating
    opened: 2010-01-01
    phases:
      - {capacity: 100000, ready: 2010-01-01}
    unit_cost: 0
    sources: [a]
programs:
  - id: car
    company: newco
    name: Car
    target_sop: 2026-06-01
    demand: {2024: 0, 2025: 0, 2026: 50000, 2027: 50000}
    badge: own
    lost_margin: 100000
    sources: [a]
offers:
  - id: cm
    kind: contract_manufacturing
    to: newco
    host: hostco
    plant: hp
    licence: host-bev
    fee_per_unit: 2000
    fixed_fee: 10000000
    badge: host
    badge_waiver_fee: 50000000
    lead_months: 24
    success_probability: 1.0
    sources: [a]
"""
)
"""NewCo has its car built by HostCo under HostCo's licence, paying to keep its own badge."""


def _world(doc: dict[str, Any]) -> evfab.World:
    return evfab.compile(evfab.loads(yaml.safe_dump(doc, sort_keys=False)))


def _plan_and_risk(doc: dict[str, Any]) -> tuple[PlanResult, RiskResult]:
    w = _world(doc)
    routes = evfab.derive_routes(w)
    result = plan(w, PlanOptions(alternatives=False, capacity_values=False), routes)
    picked, allocation = plan_routes(routes, result)
    res = sample_routes(
        w,
        picked,
        RiskOptions(samples=1000, seed=3),
        allocation=allocation,
        modules=plan_modules(result),
    )
    return result, res


def _plan_cost(result: PlanResult) -> float:
    """The plan's discounted cost without lost margin (the risk engine does not price it)."""
    costs = result.costs.set_index("category")["discounted"]
    return float(costs["total"] - costs["lost margin on unmet demand"])


def test_logistics_and_a_discounted_waiver_make_the_plans_cost() -> None:
    doc = copy.deepcopy(BASE)
    doc["discount_rate"] = 0.1
    doc["programs"][0]["logistics"] = {"hp": 1000}
    result, res = _plan_and_risk(doc)
    # By hand: signed 24 months (730 days) after as_of, on 2025-12-31, so the fee (10m)
    # and the waiver (50m) are paid in 2025, at 1 / 1.1; cars 50,000 in 2026 and 2027 at
    # 2,000 fee + 1,000 logistics: 150m / 1.21 + 150m / 1.331. 291.2m in all; the old
    # engine said 216.9m (no logistics, the waiver not discounted).
    by_hand = (10e6 + 50e6) / 1.1 + 150e6 / 1.1**2 + 150e6 / 1.1**3
    assert _plan_cost(result) == pytest.approx(by_hand, rel=1e-9)
    assert res.expected_cost_together == pytest.approx(by_hand, rel=1e-9)
    assert float(res.summary["expected_cost"].sum()) == pytest.approx(by_hand, rel=1e-9)


def test_an_offer_two_programs_share_is_paid_once_together() -> None:
    doc = copy.deepcopy(BASE)
    suv = copy.deepcopy(doc["programs"][0]) | {"id": "suv", "name": "SUV"}
    suv["demand"] = {2024: 0, 2025: 0, 2026: 30000, 2027: 30000}
    doc["programs"].append(suv)
    result, res = _plan_and_risk(doc)
    # One contract, one waiver: 10m + 50m + 160,000 cars x 2,000 = 380m. Priced alone,
    # each route carries the fee and the waiver (60m each).
    assert _plan_cost(result) == pytest.approx(380e6)
    assert res.expected_cost_together == pytest.approx(380e6)
    assert sorted(res.summary["expected_cost"]) == pytest.approx([60e6 + 120e6, 60e6 + 200e6])


def _newco_builds(
    licence: dict[str, Any], target_sop: str, module_capacity: int, max_modules: int
) -> dict[str, Any]:
    """NewCo (licence ``licence``) builds a 50,000/yr plant (ready 2025-01) with optional
    modules (100m each) and wants 150,000 cars a year from 2025."""
    doc = copy.deepcopy(BASE)
    doc["licences"].append({"id": "newco-bev", "holder": "newco", **licence, "sources": ["a"]})
    doc["plants"].append(
        {
            "id": "np",
            "name": "NP",
            "operator": "newco",
            "status": "planned",
            "phases": [{"capacity": 50000, "months": 12}],
            "unit_cost": 0,
            "sources": ["a"],
        }
    )
    doc["programs"][0]["target_sop"] = target_sop
    doc["programs"][0]["demand"] = {2024: 0, 2025: 150000, 2026: 150000, 2027: 150000}
    doc["offers"] = [
        {
            "id": "build",
            "kind": "build_plant",
            "to": "newco",
            "plant": "np",
            "fixed_fee": 1_000_000_000,
            "lead_months": 0,
            "success_probability": 1.0,
            "module_capacity": module_capacity,
            "max_modules": max_modules,
            "module_fee": 100_000_000,
            "sources": ["a"],
        }
    ]
    return doc


def test_a_plans_extra_modules_add_capacity_and_their_fee() -> None:
    doc = _newco_builds({"status": "held"}, "2025-06-01", 50000, 2)
    result, res = _plan_and_risk(doc)
    assert plan_modules(result) == {"build": 2}
    # The plant is ready 2025-01-01 with 50,000 + 2 x 50,000 cars a year: all 450,000 cars
    # are built, for 1bn + 2 x 100m. Without the modules the risk engine saw 150,000.
    assert float(result.production["cars"].sum()) == pytest.approx(450_000)
    row = res.summary.iloc[0]
    assert float(row["expected_built"]) == pytest.approx(450_000)
    assert res.expected_cost_together == pytest.approx(1.2e9) == _plan_cost(result)


def test_a_route_below_a_fixed_minimum_capacity_never_starts() -> None:
    doc = copy.deepcopy(BASE)
    doc["policy"][0]["min_capacity"] = 200000
    doc["licences"].append(
        {
            "id": "newco-bev",
            "holder": "newco",
            "status": "applied",
            "applied_on": "2023-12-01",
            "sources": ["a"],
        }
    )
    doc["plants"].append(
        {
            "id": "p1",
            "name": "P1",
            "operator": "newco",
            "status": "operating",
            "opened": "2020-01-01",
            "phases": [{"capacity": 100000, "ready": "2020-01-01"}],
            "unit_cost": 0,
            "sources": ["a"],
        }
    )
    w = _world(doc)
    route = next(r for r in evfab.derive_routes(w) if r.id == "applied:newco-bev@own:p1")
    assert not route.legal and "minimum" in " ".join(route.why)
    res = sample_routes(w, [route], RiskOptions(samples=1000, seed=0))
    # It was 62 % before: the minimum only counted when it changed after as_of.
    assert float(res.summary.iloc[0]["p_success"]) == 0.0


def _needs_modules(max_modules: int) -> dict[str, Any]:
    """A pending licence and a 50,000/year plant to build under a 100,000/year minimum,
    with 25,000-car modules (100m each); NewCo wants 150,000 cars a year from 2025."""
    pending = {"status": "applied", "applied_on": "2023-12-01"}
    doc = _newco_builds(pending, "2025-01-01", 25000, max_modules)
    doc["policy"][0]["min_capacity"] = 100000
    return doc


def test_a_route_that_needs_modules_for_the_minimum_starts_with_them() -> None:
    w = _world(_needs_modules(max_modules=4))
    route = next(r for r in evfab.derive_routes(w) if r.id == "applied:newco-bev@build:np")
    assert route.usable and route.min_modules == 2
    # Sampled on its own, the route starts (the modules reach the minimum) and has them:
    # 100,000 cars a year from 2025 (review 6 months from 2023-12, plant ready 2025-01),
    # for 1bn + 2 x 100m.
    res = sample_routes(w, [route], RiskOptions(samples=1000, seed=0))
    row = res.summary.iloc[0]
    assert float(row["p_success"]) == 1.0
    assert float(row["expected_built"]) == pytest.approx(300_000)
    assert float(row["expected_cost"]) == pytest.approx(1.2e9)
    # A plan builds all four modules for its 150,000 cars; the risk engine takes the plan's.
    result, planned = _plan_and_risk(_needs_modules(max_modules=4))
    assert plan_modules(result) == {"build": 4}
    assert float(planned.summary.iloc[0]["expected_built"]) == pytest.approx(450_000)
    assert planned.expected_cost_together == pytest.approx(1.4e9) == _plan_cost(result)
    # One module cannot reach the minimum: the route never starts.
    w1 = _world(_needs_modules(max_modules=1))
    out = next(r for r in evfab.derive_routes(w1) if r.id == "applied:newco-bev@build:np")
    assert not out.legal
    res1 = sample_routes(w1, [out], RiskOptions(samples=1000, seed=0))
    assert float(res1.summary.iloc[0]["p_success"]) == 0.0


def test_a_later_higher_minimum_is_judged_on_the_modules_the_route_needs() -> None:
    # A licence pending since 2023-12 (review 3/6/12 months, granted 2024-06 at the mode):
    # under the 100,000 minimum a 50,000 plant needs 2 of its 4 modules. From 2024-07 the
    # minimum is 150,000: a grant sampled after that finds a 100,000 plant (2 modules, as a
    # plan builds them), not the 150,000 all four would give, and the route never starts.
    doc = _needs_modules(max_modules=4)
    doc["policy"][0]["review_months"] = {"min": 3, "mode": 6, "max": 12}
    doc["policy"].append({"since": "2024-07-01", "min_capacity": 150000, "sources": ["a"]})
    w = _world(doc)
    route = next(r for r in evfab.derive_routes(w) if r.id == "applied:newco-bev@build:np")
    assert route.min_modules == 2
    res = sample_routes(w, [route], RiskOptions(samples=4000, seed=0))
    p = float(res.summary.iloc[0]["p_success"])
    # Granted before 2024-07-01: a review under 7 months of the triangle (3, 6, 12), 53.7 %.
    # (It was 100 %: the risk engine judged the plant with every module the offer allows.)
    assert p == pytest.approx(1 - (12 - 7) ** 2 / ((12 - 3) * (12 - 6)), abs=0.03)


def test_sop_samples_are_thinned_to_at_most_2000_points() -> None:
    w = _world(BASE)
    routes = [r for r in evfab.derive_routes(w) if r.usable]
    for n in (1999, 2000, 2001, 3999, 4001):
        res = sample_routes(w, routes, RiskOptions(samples=n, seed=0))
        assert all(len(v) <= 2000 for v in res.sop_samples.values()), n


def _evfab(*args: str) -> subprocess.CompletedProcess[str]:
    evfab_bin = str(Path(sys.executable).parent / "evfab")
    return subprocess.run([evfab_bin, *args], capture_output=True, text=True)


def _write(tmp_path: Path, doc: dict[str, Any]) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return str(path)


def test_cli_risk_plan_refuses_route(tmp_path: Path) -> None:
    out = _evfab("risk", _write(tmp_path, BASE), "--plan", "--route", "x", "-n", "200")
    assert out.returncode == 2
    assert "--route cannot be combined with" in out.stderr


def test_cli_risk_plan_without_a_usable_route_says_so(tmp_path: Path) -> None:
    doc = copy.deepcopy(BASE)
    doc["policy"][0]["contract_manufacturing"] = False
    out = _evfab("risk", _write(tmp_path, doc), "--plan", "-n", "200")
    assert out.returncode == 3
    assert "no usable route" in out.stderr and "costs more than the margin" not in out.stderr


def test_a_waiver_shared_by_routes_is_paid_if_any_of_them_starts() -> None:
    # One umbrella (waiver 100m) over two plants, each reached through its own stake that
    # closes with chance 0.5, independently: the waiver is paid unless both stakes fail,
    # 1 - 0.5 x 0.5 = 75 % of the time (it was counted at the likelier route's 50 %).
    doc = copy.deepcopy(BASE)
    doc["companies"] += [
        {"id": "o1", "name": "O1", "kind": "automaker", "sources": ["a"]},
        {"id": "o2", "name": "O2", "kind": "automaker", "sources": ["a"]},
    ]
    doc["plants"] = [
        {
            "id": p,
            "name": p.upper(),
            "operator": owner,
            "status": "operating",
            "opened": "2010-01-01",
            "phases": [{"capacity": 100000, "ready": "2010-01-01"}],
            "unit_cost": 0,
            "sources": ["a"],
        }
        for p, owner in (("pa", "o1"), ("pb", "o2"))
    ]
    doc["offers"] = [
        {
            "id": f"stake-{p}",
            "kind": "plant_stake",
            "to": "newco",
            "plant": p,
            "share": 1.0,
            "lead_months": 0,
            "success_probability": 0.5,
            "sources": ["a"],
        }
        for p in ("pa", "pb")
    ] + [
        {
            "id": "umb",
            "kind": "licence_umbrella",
            "to": "newco",
            "partner": "hostco",
            "plants": ["pa", "pb"],
            "badge": "co_brand",
            "badge_waiver_fee": 100_000_000,
            "lead_months": 0,
            "success_probability": 1.0,
            "sources": ["a"],
        }
    ]
    w = _world(doc)
    routes = [r for r in evfab.derive_routes(w) if r.usable]
    assert sorted(r.id for r in routes) == ["partner:umb@stake:pa", "partner:umb@stake:pb"]
    n = 20_000
    res = sample_routes(w, routes, RiskOptions(samples=n, seed=5))
    per_car = float(res.summary["expected_cost"].sum()) - 2 * float(
        res.summary["p_success"].mean() * 100e6
    )
    waiver = res.expected_cost_together - per_car
    se = 100e6 * (0.75 * 0.25 / n) ** 0.5
    assert abs(waiver - 75e6) < 4 * se


def test_sampling_a_legal_route_that_is_not_usable_says_so() -> None:
    # Through the API any route can be sampled; one the rules rule out for the program
    # (DormantCo's licence lapses before Xiaomi wants cars) is sampled on its own timing,
    # and the result says that it is not usable, and why.
    world = evfab.compile(evfab.load("xiaomi-2022"))
    routes = [r for r in evfab.derive_routes(world) if r.legal and not r.usable]
    assert routes
    res = sample_routes(world, routes, RiskOptions(samples=200))
    for r in routes:
        assert any(
            n.startswith(f"{r.id} ({r.program}) is legal but not usable (licence dormant-bev")
            and n.endswith("sampled as if it were")
            for n in res.notes
        ), r.id
