"""The planner's explanations: shortfalls, infeasibility causes, programs that build nothing,
and what `evfab plan --out` writes for a plan without a solution."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import evfab
from evfab._plan_explain import shortfalls
from evfab._route_table import route_table
from evfab.plan import PlanOptions, PlanStatus, plan, plan_inputs

EVFAB = str(Path(sys.executable).parent / "evfab")

_HEAD = """\
as_of: 2030-01-01
horizon: 2030
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
policy:
  - {since: 2020-01-01, contract_manufacturing: true, sources: [a]}
"""

BUDGET = (
    "name: budgetinf\n"
    + _HEAD
    + """\
companies:
  - {id: host, name: Host, kind: automaker}
  - {id: n1, name: N1, kind: newcomer, capital_budget: 1000000}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
plants:
  - {id: hp, name: HP, operator: host, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 50000}, badge: any, lost_margin: 10000, min_fill: 0.5}
offers:
  - {id: cm1, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 1000, fixed_fee: 2000000, lead_months: 0, sources: [a]}
"""
)
"""/tmp/review_plan/budget_inf.yaml: the only contract's 2m fee exceeds N1's 1m budget."""

EXCLUSIVE = (
    "name: exclinf\n"
    + _HEAD
    + """\
companies:
  - {id: host, name: Host, kind: automaker}
  - {id: n1, name: N1, kind: newcomer}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
plants:
  - {id: pa, name: PA, operator: host, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
  - {id: pb, name: PB, operator: host, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 50000}, badge: any, lost_margin: 10000, min_fill: 0.5}
offers:
  - {id: cma, kind: contract_manufacturing, to: n1, host: host, plant: pa, fee_per_unit: 1000, capacity: {2030: 10000}, lead_months: 0, excludes: [cmb], sources: [a]}
  - {id: cmb, kind: contract_manufacturing, to: n1, host: host, plant: pb, fee_per_unit: 1000, capacity: {2030: 20000}, lead_months: 0, sources: [a]}
"""
)
"""/tmp/review_plan/excl_inf.yaml: 25,000 cars needed, 10,000 + 20,000 on offer, but not both."""

SHARED = (
    "name: shared\n"
    + _HEAD
    + """\
companies:
  - {id: host, name: Host, kind: automaker}
  - {id: n1, name: N1, kind: newcomer}
  - {id: n2, name: N2, kind: newcomer}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
  - {id: n1-bev, holder: n1, status: held, sources: [a]}
plants:
  - {id: p1, name: P1, operator: n1, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
  - {id: hp, name: HP, operator: host, status: operating, opened: 2020-01, phases: [{capacity: 240000, ready: 2020-01}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 150000}, badge: any, lost_margin: 30000}
  - {id: g2, company: n2, name: G2, target_sop: 2030-01, demand: {2030: 200000}, badge: any, lost_margin: 30000}
offers:
  - {id: umb, kind: licence_umbrella, to: n1, partner: host, plants: [p1], fee_per_unit: 1000, lead_months: 0, sources: [a]}
  - {id: cm2, kind: contract_manufacturing, to: n2, host: host, plant: hp, fee_per_unit: 1000, lead_months: 0, sources: [a]}
"""
)
"""As /tmp/review_plan/xiaomi_short.yaml: two routes of g1 share its plant P1 (100,000 cars),
and g2 uses 200,000 of HP's 240,000 free cars."""

NO_ROUTE = (
    "name: noroute\n"
    + _HEAD
    + """\
companies:
  - {id: host, name: Host, kind: automaker}
  - {id: maker1, name: Maker1, kind: automaker}
  - {id: n1, name: N1, kind: newcomer}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
  - {id: maker1-bev, holder: maker1, status: held, sources: [a]}
plants:
  - {id: hp, name: HP, operator: host, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
programs:
  - {id: g3, company: maker1, name: G3, target_sop: 2030-01, demand: {2030: 28000}, badge: co_brand, lost_margin: 18000}
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 10000}, badge: own, lost_margin: 18000}
offers:
  - {id: cm1, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 1000, badge: host, lead_months: 0, sources: [a]}
"""
)
"""As program g3 of /tmp/review_plan/gen5.yaml: Maker1 holds a licence but has no plant and
no offer; N1's only route gives the host's badge to a program that needs its own."""


def _plan(text: str, opts: PlanOptions | None = None) -> evfab.plan.PlanResult:
    return plan(evfab.compile(evfab.loads(text)), opts)


def _shortfall(text: str) -> str:
    r = _plan(text)
    assert len(r.shortfalls) == 1, r.shortfalls
    return str(r.shortfalls["explanation"].iloc[0])


# --- 1. `evfab plan --out` on a plan without a solution ------------------------------------


@pytest.mark.parametrize("text", [BUDGET, EXCLUSIVE])
def test_out_dir_on_an_infeasible_plan_exits_3_and_writes_the_explanation(
    text: str, write_scenario, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    res = subprocess.run(
        [EVFAB, "plan", str(write_scenario(text)), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 3, res.stderr
    assert "internal error" not in res.stderr
    assert "G1 (g1, N1) in 2030" in res.stderr
    # Only what an infeasible plan has: its explanation, as CSV and in plan.json.
    assert sorted(p.name for p in out.iterdir()) == ["plan.json", "shortfalls.csv"]
    data = json.loads((out / "plan.json").read_text())
    assert data["status"] == "infeasible"
    assert data["shortfalls"][0]["program"] == "g1"
    csv = (out / "shortfalls.csv").read_text()
    assert csv.startswith("program,year,missing,explanation\n") and "G1 (g1, N1)" in csv


def test_out_dir_keeps_no_table_of_an_earlier_plan(write_scenario, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    feasible = write_scenario(BUDGET.replace("min_fill: 0.5", "min_fill: 0.0"), "ok.yaml")
    res = subprocess.run(
        [EVFAB, "plan", str(feasible), "--out", str(out)], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert {"choices.csv", "production.csv", "timeline.png"} <= {p.name for p in out.iterdir()}
    (out / "notes.txt").write_text("mine")
    res = subprocess.run(
        [EVFAB, "plan", str(write_scenario(BUDGET)), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 3, res.stderr
    # The earlier plan's tables and charts would read as this plan's: they are gone; a
    # file evfab does not write stays.
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "plan.json", "shortfalls.csv"]


# --- 2. infeasibility names budgets and exclusive offers -----------------------------------


def test_infeasible_plan_names_the_binding_budget() -> None:
    r = _plan(BUDGET)
    assert r.status is PlanStatus.INFEASIBLE
    text = " ".join(r.shortfalls["explanation"])
    # The budget blocks the only offer: all 50,000 are missing, 25,000 below the minimum.
    assert "50,000 of 50,000 cars cannot be built, 25,000 below the minimum" in text
    assert (
        "N1's capital budget of 1m CNY binds: meeting every minimum needs 2m CNY of "
        "one-off spending (offer cm1: 2m)." in text
    )
    assert "No plant or offer in the scenario could supply them" not in text


def test_infeasible_plan_names_the_exclusive_offers() -> None:
    r = _plan(EXCLUSIVE)
    assert r.status is PlanStatus.INFEASIBLE
    text = " ".join(r.shortfalls["explanation"])
    assert "at most 30,000 cars of legal capacity that year, at 2 plants" in text
    assert (
        "Offers cma and cmb exclude each other, yet meeting every minimum needs both: "
        "cma (contract manufacturing at PA) and cmb (contract manufacturing at PB)." in text
    )
    assert "No plant or offer in the scenario could supply them" not in text


def test_infeasible_plan_needing_both_budget_and_exclusion_lifted_says_so() -> None:
    # Each contract costs 1m against a 1.5m budget, and they exclude each other: lifting
    # either the budget or the exclusion alone still leaves one contract, 20,000 cars short
    # of the 25,000 minimum at best.
    text = EXCLUSIVE.replace(
        "{id: n1, name: N1, kind: newcomer}",
        "{id: n1, name: N1, kind: newcomer, capital_budget: 1500000}",
    ).replace("fee_per_unit: 1000, capacity", "fee_per_unit: 1000, fixed_fee: 1000000, capacity")
    r = _plan(text)
    assert r.status is PlanStatus.INFEASIBLE
    why = " ".join(r.shortfalls["explanation"])
    assert "N1's capital budget of 1.5m CNY binds: meeting every minimum needs 2m CNY" in why
    assert "Offers cma and cmb exclude each other" in why
    assert "Only lifting both the budget and the exclusion would be enough." in why


def test_infeasible_plan_lifted_by_either_budget_or_exclusion_says_so() -> None:
    # A third contract at PC (20,000 cars) costs 2m against a 1m budget: with the budget
    # lifted, cmb and cmc give 40,000 cars; with the exclusion lifted, cma and cmb 30,000.
    text = EXCLUSIVE.replace(
        "{id: n1, name: N1, kind: newcomer}",
        "{id: n1, name: N1, kind: newcomer, capital_budget: 1000000}",
    ).replace(
        "programs:",
        "  - {id: pc, name: PC, operator: host, status: operating, opened: 2020-01, "
        "phases: [{capacity: 100000, ready: 2020-01}]}\nprograms:",
    )
    text += (
        "  - {id: cmc, kind: contract_manufacturing, to: n1, host: host, plant: pc, "
        "fee_per_unit: 1000, fixed_fee: 2000000, capacity: {2030: 20000}, lead_months: 0, "
        "sources: [a]}\n"
    )
    r = _plan(text)
    assert r.status is PlanStatus.INFEASIBLE
    why = " ".join(r.shortfalls["explanation"])
    assert "N1's capital budget of 1m CNY binds: meeting every minimum needs 2m CNY" in why
    assert "(offer cmc: 2m)" in why
    assert "Offers cma and cmb exclude each other" in why
    assert "Lifting the budget or the exclusion alone would be enough." in why


def test_infeasible_on_capacity_alone_names_no_budget_or_exclusion() -> None:
    # A budget that is not binding and no exclusion: capacity is the cause.
    text = BUDGET.replace("capital_budget: 1000000", "capital_budget: 5000000").replace(
        "min_fill: 0.5",
        "min_fill: 0.5}\n  - {id: g2, company: n1, name: G2, target_sop: 2030-01, "
        "demand: {2030: 200000}, badge: any, lost_margin: 10000, min_fill: 0.9",
    )
    r = _plan(text)
    assert r.status is PlanStatus.INFEASIBLE
    why = " ".join(r.shortfalls["explanation"])
    assert "capital budget" not in why and "exclude" not in why


def test_shortfall_of_a_feasible_plan_names_a_blocking_budget_and_exclusion() -> None:
    budget = _shortfall(BUDGET.replace("min_fill: 0.5", "min_fill: 0.0"))
    assert (
        "N1's capital budget of 1m CNY is below the one-off fees of its only route with "
        "capacity that year (partner:cm1@partner:hp, needs 2m)." in budget
    )
    assert "No plant or offer in the scenario could supply them" not in budget
    exclusive = _shortfall(EXCLUSIVE.replace("min_fill: 0.5", "min_fill: 0.0"))
    assert "Offers cma and cmb, which its routes need, exclude each other." in exclusive
    assert "No plant or offer in the scenario could supply them" not in exclusive


# --- 3. capacity counted once per plant; idle capacity net of the plan ----------------------


def test_shortfall_counts_each_plant_once_and_idle_capacity_net_of_the_plan() -> None:
    text = _shortfall(SHARED)
    assert text.startswith("G1 (g1, N1) in 2030: 50,000 of 150,000 cars cannot be built")
    # Two routes on P1 (own licence, umbrella) share its 100,000 cars.
    assert (
        "usable routes offer at most 100,000 cars of legal capacity that year, at 1 plant." in text
    )
    # G2 builds 200,000 of HP's 240,000 free cars in the plan.
    assert "idle capacity at hp (Host, 40,000 free in 2030)" in text
    assert "240,000" not in text


def test_shortfalls_given_the_production_table_net_out_exactly_what_the_plan_builds() -> None:
    world = evfab.compile(evfab.loads(SHARED))
    r = plan(world)
    table = route_table(world)
    d, ix = plan_inputs(world, table)
    exact = shortfalls(world, d, ix, r.unmet, table, production=r.production)
    assert "idle capacity at hp (Host, 40,000 free in 2030)" in exact["explanation"].iloc[0]
    # Had the plan built less at HP, more would be idle there.
    less = r.production.assign(
        cars=r.production["cars"].where(r.production["plant"] != "hp", 150000)
    )
    text = shortfalls(world, d, ix, r.unmet, table, production=less)["explanation"].iloc[0]
    assert "idle capacity at hp (Host, 90,000 free in 2030)" in text


def test_single_source_program_counts_its_best_plant() -> None:
    text = SHARED.replace(
        "demand: {2030: 150000}, badge: any, lost_margin: 30000}",
        "demand: {2030: 200000}, badge: any, lost_margin: 30000, single_source: true}",
    )
    # A second plant of N1's: 60,000 more cars, but a single-source program uses one plant.
    text = text.replace(
        "  - {id: hp,",
        "  - {id: p2, name: P2, operator: n1, status: operating, opened: 2020-01, "
        "phases: [{capacity: 60000, ready: 2020-01}]}\n  - {id: hp,",
    )
    assert "at most 100,000 cars of legal capacity that year, at 1 plant." in _shortfall(text)
    plain = _shortfall(text.replace(", single_source: true", ""))
    assert "at most 160,000 cars of legal capacity that year, at 2 plants." in plain


# --- 4. programs that build nothing ---------------------------------------------------------


def test_program_without_any_route_is_told_why() -> None:
    r = _plan(NO_ROUTE)
    assert r.ok
    g3 = r.explanations["g3"]
    assert g3 == [
        "Builds nothing: it has no route at all: Maker1 has a licence (maker1-bev) but no "
        "plant, and no offer to it brings one (a plant to build, a stake, a company with "
        "plants, or contract manufacturing)."
    ]
    assert not any("pays for itself" in line for line in g3)
    short = dict(zip(r.shortfalls["program"], r.shortfalls["explanation"], strict=True))
    assert short["g3"].startswith(
        "G3 (g3, Maker1) in 2030: 28,000 of 28,000 cars cannot be built; it has no route at "
        "all: Maker1 has a licence (maker1-bev) but no plant, and no offer to it brings one"
    )


def test_program_with_no_usable_route_is_told_the_main_reason() -> None:
    r = _plan(NO_ROUTE)
    assert r.explanations["g1"][0] == (
        "Builds nothing: it has no usable route (its one route, partner:cm1@partner:hp, is "
        "not usable: program needs its own badge; the offer gives the Host badge and no waiver)."
    )


def test_program_with_usable_routes_that_do_not_pay_names_the_cheapest() -> None:
    text = NO_ROUTE.replace("badge: own, lost_margin: 18000", "badge: any, lost_margin: 10")
    r = _plan(text)
    assert r.explanations["g1"][0] == (
        "Builds nothing: no usable route pays for itself: the cheapest per car, "
        "partner:cm1@partner:hp, costs 1,000 CNY a car, against 10 CNY of margin lost per "
        "car unbuilt."
    )


def test_program_whose_cheap_route_goes_to_others_is_told_so() -> None:
    # Two programs on one 100k contract; g2 loses more per car unbuilt, so it gets it all.
    r = _plan(
        """\
name: t
as_of: 2030-01-01
horizon: 2030
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
policy:
  - {since: 2020-01-01, contract_manufacturing: true, sources: [a]}
companies:
  - {id: host, name: Host, kind: automaker}
  - {id: n1, name: N1, kind: newcomer}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
plants:
  - {id: hp, name: HP, operator: host, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 100000}, badge: any, lost_margin: 20000}
  - {id: g2, company: n1, name: G2, target_sop: 2030-01, demand: {2030: 100000}, badge: any, lost_margin: 30000}
offers:
  - {id: cm, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 1000, lead_months: 0, sources: [a]}
"""
    )
    assert r.explanations["g1"][0] == (
        "Builds nothing: the cheapest per car, partner:cm@partner:hp, costs 1,000 CNY a car, "
        "less than the 20,000 CNY lost per car unbuilt, but the plan gives the capacity of its "
        "routes to programs that lose more per car."
    )


def test_program_without_a_licence_or_plant_is_told_so() -> None:
    text = NO_ROUTE.replace(
        "  - {id: maker1-bev, holder: maker1, status: held, sources: [a]}\n", ""
    )
    r = _plan(text)
    assert r.explanations["g3"] == [
        "Builds nothing: it has no route at all: Maker1 holds no bev_passenger licence and "
        "has no plant, and no offer to it brings either."
    ]


def test_an_alternative_over_budget_is_said_to_be() -> None:
    r = _plan(
        """\
name: t
as_of: 2030-01-01
horizon: 2030
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
policy:
  - {since: 2020-01-01, contract_manufacturing: true, sources: [a]}
companies:
  - {id: host, name: Host, kind: automaker}
  - {id: n1, name: N1, kind: newcomer, capital_budget: 1000000}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
plants:
  - {id: pa, name: PA, operator: host, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
  - {id: pb, name: PB, operator: host, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 50000}, badge: any, lost_margin: 20000}
offers:
  - {id: cm1, kind: contract_manufacturing, to: n1, host: host, plant: pa, fee_per_unit: 500, fixed_fee: 2000000, lead_months: 0, sources: [a]}
  - {id: cm2, kind: contract_manufacturing, to: n1, host: host, plant: pb, fee_per_unit: 1000, lead_months: 0, sources: [a]}
""",
        PlanOptions(alternatives=True),
    )
    assert (
        "Using only partner:cm1@partner:pa is not feasible: its one-off costs of 2m CNY "
        "exceed N1's capital budget of 1m CNY." in r.explanations["g1"]
    )


def test_a_waiver_is_counted_once_in_the_explanation() -> None:
    r = _plan(
        """\
name: t
as_of: 2030-01-01
horizon: 2030
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
policy:
  - {since: 2020-01-01, contract_manufacturing: true, sources: [a]}
companies:
  - {id: partner, name: Partner, kind: automaker}
  - {id: n1, name: N1, kind: newcomer}
licences:
  - {id: p-bev, holder: partner, status: held, sources: [a]}
plants:
  - {id: pa, name: PA, operator: n1, status: operating, opened: 2020-01, phases: [{capacity: 50000, ready: 2020-01}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 100000}, badge: own, lost_margin: 1500}
offers:
  - {id: umb, kind: licence_umbrella, to: n1, partner: partner, plants: [pa], fee_per_unit: 1000, badge: co_brand, badge_waiver_fee: 100000000, lead_months: 0, sources: [a]}
"""
    )
    assert "(from 100m CNY)" in r.explanations["g1"][0]


def test_a_program_whose_licence_dies_before_it_wants_cars_is_told_so() -> None:
    r = _plan(
        """\
name: t
as_of: 2030-01-01
horizon: 2033
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
policy:
  - {since: 2020-01-01, dormant_exit_months: 24, sources: [a]}
companies:
  - {id: oldco, name: OldCo, kind: automaker}
  - {id: n1, name: N1, kind: newcomer}
licences:
  - {id: old-bev, holder: oldco, status: held, dormant_since: 2029-06, sources: [a]}
plants:
  - {id: pa, name: PA, operator: oldco, status: idle, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2031-01, demand: {2033: 100000}, badge: any, lost_margin: 10000}
offers:
  - {id: buy, kind: acquire_company, to: n1, target: oldco, fixed_fee: 1000000, lead_months: 0, closing_months: 0, transfer_months: 0, sources: [a]}
"""
    )
    assert r.explanations["g1"][0] == (
        "Builds nothing: it has no usable route (its one route, acquired:buy@acquired:pa, is "
        "not usable: licence old-bev is withdrawn on 2031-06-01 under the dormancy rule "
        "unless cars are built under it first, and N1 wants none before 2033)."
    )


def test_an_infeasible_plan_still_says_why_programs_have_no_usable_route() -> None:
    # NO_ROUTE with a minimum on g3: no plan, yet each program's routes are explained.
    r = _plan(NO_ROUTE.replace("lost_margin: 18000}", "lost_margin: 18000, min_fill: 0.5}", 1))
    assert r.status is PlanStatus.INFEASIBLE
    assert r.explanations["g3"] == [
        "It has no route at all: Maker1 has a licence (maker1-bev) but no plant, and no offer "
        "to it brings one (a plant to build, a stake, a company with plants, or contract "
        "manufacturing)."
    ]
    assert r.explanations["g1"][0].startswith(
        "It has no usable route (its one route, partner:cm1@partner:hp, is not usable: program "
        "needs its own badge"
    )


def test_a_program_that_loses_nothing_unbuilt_says_so() -> None:
    # It said "costs 0 CNY a car, against 0 CNY of margin lost per car unbuilt", which
    # hid the 1.2bn of one-off costs no margin pays back.
    from test_plan import _MIN_MODULES

    text = _MIN_MODULES.replace(", lost_margin: 10000}", "}")
    r = plan(evfab.compile(evfab.loads(text)), PlanOptions(alternatives=False))
    assert r.production.empty
    assert r.explanations["g1"][0] == (
        "Builds nothing: the program loses nothing per car unbuilt (no lost_margin, no "
        "min_fill), so no route's costs are worth paying (the cheapest per car, "
        "apply:apply@build:np, costs 0 CNY a car, 1.2bn CNY one-off)."
    )
