"""Shortfall explanations tell the truth: legal capacity counts no route under a licence the
dormancy rule withdraws, an infeasible plan says how many cars cannot be built, and where
cars could come from names only what would add cars, legally."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import evfab
from evfab.plan import PlanOptions, PlanStatus, plan

EVFAB = str(Path(sys.executable).parent / "evfab")

_HEAD = """\
as_of: 2030-01-01
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
"""

KEEP = (
    "name: keep\nhorizon: 2032\n"
    + _HEAD
    + """\
policy:
  - {since: 2020-01-01, contract_manufacturing: true, dormant_exit_months: 24, sources: [a]}
companies:
  - {id: host, name: Host, kind: automaker}
  - {id: oldco, name: OldCo, kind: automaker}
  - {id: n1, name: N1, kind: newcomer}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
  - {id: old-bev, holder: oldco, status: held, dormant_since: 2029-06, sources: [a]}
plants:
  - {id: hp, name: HP, operator: host, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
  - {id: pa, name: PA, operator: oldco, status: idle, opened: 2020-01, phases: [{capacity: 50000, ready: 2020-01}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2032: 200000}, badge: any, lost_margin: 30000}
offers:
  - {id: cm, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 1000, lead_months: 0, sources: [a]}
  - {id: buy, kind: acquire_company, to: n1, target: oldco, fixed_fee: 1000000, lead_months: 0, closing_months: 0, transfer_months: 0, sources: [a]}
"""
)
"""OldCo's licence, dormant since 2029-06, is withdrawn on 2031-06-01 (24 months): the
route through buying OldCo builds at PA (50,000 cars) after 2031 only if cars are built
under that licence in 2030 or 2031. HP's contract gives 100,000 cars."""


def _plan(text: str) -> evfab.plan.PlanResult:
    return plan(evfab.compile(evfab.loads(text)))


def _shortfalls(text: str) -> dict[tuple[str, int], str]:
    r = _plan(text)
    return {
        (str(g), int(y)): str(e)
        for g, y, e in zip(
            r.shortfalls["program"], r.shortfalls["year"], r.shortfalls["explanation"], strict=True
        )
    }


# --- A. legal capacity after the dormancy deadline ------------------------------------------


WANTS_2031 = KEEP.replace("demand: {2032: 200000}", "demand: {2031: 10000, 2032: 200000}")
"""As KEEP, with 10,000 cars wanted in 2031, before old-bev is withdrawn."""

BUSY = WANTS_2031.replace(
    "status: idle, opened: 2020-01, phases: [{capacity: 50000, ready: 2020-01}]}",
    "status: operating, opened: 2020-01, phases: [{capacity: 50000, ready: 2020-01}], "
    "committed: {2030: 50000, 2031: 50000}}",
)
"""As WANTS_2031, with OldCo's own cars filling PA in 2030 and 2031: no car can be built
under old-bev before it is withdrawn."""


def test_a_licence_lost_before_a_car_can_be_built_under_it_adds_no_legal_capacity() -> None:
    # G1 wants cars only in 2032: nothing can be built under old-bev in 2030-31, so it is
    # withdrawn and PA's 50,000 cars do not count; HP's 100,000 do, and all are used.
    # (Whether the route through buying OldCo is then shown as blocked is the rules
    # engine's call; the legal capacity is 100,000 either way.)
    lost = "usable routes offer at most 100,000 cars of legal capacity that year, at 1 plant."
    short = _shortfalls(KEEP)
    assert short[("g1", 2032)].startswith(
        "G1 (g1, N1) in 2032: 100,000 of 200,000 cars cannot be built; " + lost
    )
    # With cars wanted in 2031, building one under old-bev at PA then keeps it: PA's 50,000
    # cars count in 2032 (and the plan uses them: 150,000 of 200,000 built).
    short = _shortfalls(WANTS_2031)
    assert short[("g1", 2032)].startswith(
        "G1 (g1, N1) in 2032: 50,000 of 200,000 cars cannot be built; usable routes offer "
        "at most 150,000 cars of legal capacity that year, at 2 plants."
    )
    # If PA is full in 2030 and 2031, the licence goes on 2031-06-01 and PA adds nothing
    # in 2032 (the plan builds 10,000 in 2031 and 100,000 in 2032, both at HP).
    short = _shortfalls(BUSY)
    assert short[("g1", 2032)].startswith(
        "G1 (g1, N1) in 2032: 100,000 of 200,000 cars cannot be built; " + lost
    )


def test_an_infeasible_plan_counts_no_capacity_it_cannot_use() -> None:
    # A 90 % minimum (180,000) against 100,000 legal cars: 100,000 cannot be built, 80,000
    # of them below the minimum - never "at most 150,000" beside "100,000 cannot be built".
    r = _plan(BUSY.replace("lost_margin: 30000}", "lost_margin: 30000, min_fill: 0.9}"))
    assert r.status is PlanStatus.INFEASIBLE
    assert list(r.shortfalls["year"]) == [2032]
    assert list(r.shortfalls["missing"]) == [pytest.approx(80000)]
    assert (
        r.shortfalls["explanation"]
        .iloc[0]
        .startswith(
            "G1 (g1, N1) in 2032: 100,000 of 200,000 cars cannot be built, 80,000 below the "
            "minimum: the program must build at least 90% of demand (180,000 cars); usable routes "
            "offer at most 100,000 cars of legal capacity that year, at 1 plant."
        )
    )


# --- B. an infeasible plan says how many cars cannot be built --------------------------------

MINIMUM = (
    "name: minimum\nhorizon: 2030\n"
    + _HEAD
    + """\
policy:
  - {since: 2020-01-01, contract_manufacturing: true, sources: [a]}
companies:
  - {id: host, name: Host, kind: automaker}
  - {id: n1, name: N1, kind: newcomer}
  - {id: n2, name: N2, kind: newcomer}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
plants:
  - {id: hp, name: HP, operator: host, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}], committed: {2030: 70000}}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 50000}, badge: any, lost_margin: 10000, min_fill: 0.9}
  - {id: g2, company: n2, name: G2, target_sop: 2030-01, demand: {2030: 10000}, badge: any, lost_margin: 10000, min_fill: 0.5}
offers:
  - {id: cm1, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 1000, lead_months: 0, sources: [a]}
"""
)
"""HP has 30,000 cars free (100,000 less Host's own 70,000): G1 builds them all and misses
20,000 of 50,000, 15,000 below its 45,000 minimum. G2 (N2: no licence, plant or offer)
misses all 10,000, 5,000 below its 5,000 minimum."""


def test_infeasible_shortfall_counts_unbuilt_cars_and_those_below_the_minimum() -> None:
    r = _plan(MINIMUM)
    assert r.status is PlanStatus.INFEASIBLE
    missing = dict(zip(r.shortfalls["program"], r.shortfalls["missing"], strict=True))
    # The missing column stays the cars below the minimum.
    assert missing == {"g1": pytest.approx(15000), "g2": pytest.approx(5000)}
    why = dict(zip(r.shortfalls["program"], r.shortfalls["explanation"], strict=True))
    assert why["g1"] == (
        "G1 (g1, N1) in 2030: 20,000 of 50,000 cars cannot be built, 15,000 below the "
        "minimum: the program must build at least 90% of demand (45,000 cars); usable routes "
        "offer at most 30,000 cars of legal capacity that year, at 1 plant. No plant or offer "
        "in the scenario could supply them."
    )
    assert why["g2"] == (
        "G2 (g2, N2) in 2030: 10,000 of 10,000 cars cannot be built, 5,000 below the "
        "minimum: the program must build at least 50% of demand (5,000 cars); it has no route "
        "at all: N2 holds no bev_passenger licence and has no plant, and no offer to it "
        "brings either. No plant or offer in the scenario could supply them."
    )


def test_cli_prints_the_cars_that_cannot_be_built(write_scenario) -> None:  # type: ignore[no-untyped-def]
    path = write_scenario(MINIMUM)
    out = subprocess.run([EVFAB, "plan", str(path)], capture_output=True, text=True)
    assert out.returncode == 3, out.stderr
    assert (
        "G2 (g2, N2) in 2030: 10,000 of 10,000 cars cannot be built, 5,000 below the minimum"
        in out.stderr
    )
    assert out.stderr.count("must build at least") == 2
    res = subprocess.run([EVFAB, "plan", str(path), "--json"], capture_output=True, text=True)
    assert res.returncode == 3, res.stderr
    rows = json.loads(res.stdout)["shortfalls"]
    assert [(s["program"], s["missing"]) for s in rows] == [("g1", 15000.0), ("g2", 5000.0)]
    assert rows[0]["explanation"].startswith(
        "G1 (g1, N1) in 2030: 20,000 of 50,000 cars cannot be built, 15,000 below the minimum"
    )


CROWDED = (
    "name: crowded\nhorizon: 2030\n"
    + _HEAD
    + """\
policy: [{since: 2020-01-01, sources: [a]}]
companies: [{id: n1, name: N1, kind: newcomer}]
licences: [{id: n1-bev, holder: n1, status: held, sources: [a]}]
plants:
  - {id: p1, name: P1, operator: n1, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 80000}, badge: own, lost_margin: 30000, min_fill: 1.0}
  - {id: g2, company: n1, name: G2, target_sop: 2030-01, demand: {2030: 60000}, badge: own, lost_margin: 10000, min_fill: 1.0}
"""
)
"""P1's 100,000 cars cannot hold both programs' full demand (140,000): building the most
cars, G1 (the dearer to lose) takes 80,000 and G2 is left 20,000."""


def test_an_infeasible_shortfall_says_what_other_programs_build_at_its_plants() -> None:
    r = _plan(CROWDED)
    assert r.status is PlanStatus.INFEASIBLE
    why = dict(zip(r.shortfalls["program"], r.shortfalls["explanation"], strict=True))
    assert set(why) == {"g2"}
    # Without the last sentence, 100,000 cars of legal capacity against 40,000 that cannot
    # be built read as a contradiction.
    assert why["g2"] == (
        "G2 (g2, N1) in 2030: 40,000 of 60,000 cars cannot be built, 40,000 below the "
        "minimum: the program must build at least 100% of demand (60,000 cars); usable routes "
        "offer at most 100,000 cars of legal capacity that year, at 1 plant. In the plan that "
        "comes closest to every minimum, other programs build 80,000 cars at its plant that year "
        "(g1). No other plant or offer in the scenario could supply them."
    )


# --- C. where cars could come from -----------------------------------------------------------

BLOCKED = (
    "name: blocked\nhorizon: 2030\n"
    + _HEAD
    + """\
policy:
  - {since: 2020-01-01, contract_manufacturing: true, badge_names_manufacturer: true, sources: [a]}
companies:
  - {id: host, name: Host, kind: automaker}
  - {id: n1, name: N1, kind: newcomer}
  - {id: n2, name: N2, kind: newcomer}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
  - {id: n1-bev, holder: n1, status: held, sources: [a]}
plants:
  - {id: p1, name: P1, operator: n1, status: operating, opened: 2020-01, phases: [{capacity: 50000, ready: 2020-01}]}
  - {id: hp, name: HP, operator: host, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 200000}, badge: own, lost_margin: 30000}
  - {id: g2, company: n2, name: G2, target_sop: 2030-01, demand: {2030: 70000}, badge: any, lost_margin: 30000}
offers:
  - {id: umb, kind: licence_umbrella, to: n1, partner: host, plants: [p1], fee_per_unit: 1000, badge: host, lead_months: 0, sources: [a]}
  - {id: cmh, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 1000, badge: host, lead_months: 0, sources: [a]}
  - {id: cm2, kind: contract_manufacturing, to: n2, host: host, plant: hp, fee_per_unit: 1000, lead_months: 0, sources: [a]}
"""
)
"""G1 needs its own badge: its routes through Host (an umbrella at its own P1, a contract at
HP) give Host's badge and are blocked. G1 fills P1 (50,000 cars); G2 takes 70,000 of HP's
100,000, leaving 30,000."""


def test_a_blocked_route_offers_only_the_capacity_left_free_at_its_plant() -> None:
    text = _shortfalls(BLOCKED)[("g1", 2030)]
    assert text.startswith(
        "G1 (g1, N1) in 2030: 150,000 of 200,000 cars cannot be built; usable routes offer "
        "at most 50,000 cars of legal capacity that year, at 1 plant."
    )
    # The contract at HP adds the 30,000 cars G2 leaves there, not HP's 100,000; the
    # umbrella at P1, which G1 already fills, adds none and is not offered.
    assert text.endswith(
        " Could come from: route partner:cmh@partner:hp (30,000 cars in 2030), now blocked: "
        "program needs its own badge; the offer gives the Host badge and no waiver."
    )
    assert "partner:umb" not in text


IDLE = (
    "name: idle\nhorizon: 2031\n"
    + _HEAD
    + """\
policy:
  - {since: 2020-01-01, contract_manufacturing: true, dormant_exit_months: 24, sources: [a]}
  - {since: 2031-01-01, contract_manufacturing: false, sources: [a]}
companies:
  - {id: iceco, name: IceCo, kind: automaker}
  - {id: dormco, name: DormCo, kind: automaker}
  - {id: group, name: Group, kind: group}
  - {id: groupev, name: GroupEV, kind: automaker, parent: group}
  - {id: ghost, name: Ghost, kind: newcomer}
  - {id: lic, name: LicCo, kind: newcomer}
licences:
  - {id: ice, holder: iceco, scope: ice_passenger, status: held, sources: [a]}
  - {id: dorm-bev, holder: dormco, status: held, dormant_since: 2029-01, sources: [a]}
  - {id: groupev-bev, holder: groupev, status: held, sources: [a]}
  - {id: lic-bev, holder: lic, status: held, sources: [a]}
plants:
  - {id: ip, name: IP, operator: iceco, status: operating, opened: 2020-01, phases: [{capacity: 300000, ready: 2020-01}]}
  - {id: dp, name: DP, operator: dormco, status: idle, opened: 2020-01, phases: [{capacity: 200000, ready: 2020-01}]}
  - {id: gp, name: GP, operator: group, status: operating, opened: 2020-01, phases: [{capacity: 50000, ready: 2020-01}]}
programs:
  - {id: g1, company: ghost, name: G1, target_sop: 2030-01, demand: {2030: 10000, 2031: 10000}, badge: any, lost_margin: 30000}
  - {id: g2, company: lic, name: G2, target_sop: 2030-01, demand: {2030: 10000, 2031: 10000}, badge: any, lost_margin: 30000}
"""
)
"""No program has a route. IceCo holds only a combustion-car licence; DormCo's licence,
dormant since 2029-01, is withdrawn on 2031-01-01 (24 months); Group's unit GroupEV holds a
BEV licence; contract manufacturing is banned from 2031-01-01. Ghost holds no licence,
LicCo holds a BEV licence."""


def test_idle_capacity_is_offered_only_through_a_legal_contract() -> None:
    short = _shortfalls(IDLE)
    # 2030: IP (300,000 free) has no BEV licence behind it; DormCo's licence is in force
    # until 2031-01-01, and Group's through its unit GroupEV. A stake gives Ghost no licence.
    assert short[("g1", 2030)] == (
        "G1 (g1, Ghost) in 2030: 10,000 of 10,000 cars cannot be built; it has no route at "
        "all: Ghost holds no bev_passenger licence and has no plant, and no offer to it "
        "brings either. Could come from: idle capacity at dp (DormCo, 200,000 free in 2030) through "
        "a contract with DormCo; idle capacity at gp (Group, 50,000 free in 2030) through a "
        "contract with Group."
    )
    # 2031: DormCo's licence is gone and no contract is allowed: nothing is legal.
    assert short[("g1", 2031)] == (
        "G1 (g1, Ghost) in 2031: 10,000 of 10,000 cars cannot be built; it has no route at "
        "all: Ghost holds no bev_passenger licence and has no plant, and no offer to it "
        "brings either. No plant or offer in the scenario could supply them."
    )


def test_idle_capacity_under_the_programs_own_licence_is_offered_through_a_stake() -> None:
    short = _shortfalls(IDLE)
    own = "a stake or purchase, under LicCo's own bev_passenger licence"
    assert short[("g2", 2030)].endswith(
        f" Could come from: idle capacity at ip (IceCo, 300,000 free in 2030) through {own}; "
        f"idle capacity at dp (DormCo, 200,000 free in 2030) through a contract with DormCo "
        f"or {own}; idle capacity at gp (Group, 50,000 free in 2030) through a contract with "
        f"Group or {own}."
    )
    # No contract in 2031, but LicCo's own licence still allows a stake or purchase.
    assert short[("g2", 2031)].endswith(
        f" Could come from: idle capacity at ip (IceCo, 300,000 free in 2031) through {own}; "
        f"idle capacity at dp (DormCo, 200,000 free in 2031) through {own}; idle capacity at "
        f"gp (Group, 50,000 free in 2031) through {own}."
    )


SHARED = (
    "name: shared\nhorizon: 2031\n"
    + _HEAD
    + """\
policy: [{since: 2020-01-01, sources: [a]}]
companies: [{id: n1, name: N1, kind: newcomer}]
licences: [{id: n1-bev, holder: n1, status: held, sources: [a]}]
plants:
  - {id: p1, name: P1, operator: n1, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
  - {id: p2, name: P2, operator: n1, status: planned, phases: [{capacity: 50000, months: 12}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 100000, 2031: 100000}, badge: own, lost_margin: 30000}
  - {id: g2, company: n1, name: G2, target_sop: 2030-01, demand: {2030: 40000, 2031: 40000}, badge: own, lost_margin: 10000}
offers:
  - {id: build2, kind: build_plant, to: n1, plant: p2, fixed_fee: 1000, lead_months: 0, sources: [a]}
"""
)


def test_a_shortfall_says_what_other_programs_build_at_its_plants_and_what_holds_a_route_up() -> (
    None
):
    # P1's 100k go to g1 (30,000 a car lost, against g2's 10,000); P2 is ready only a year
    # after its build starts, 2031-01-01. g2 in 2030: all 40,000 missing.
    text = _shortfalls(SHARED)[("g2", 2030)]
    assert "Other programs build 100,000 cars at its plant that year (g1)." in text
    assert (
        "route own:n1-bev@build:p2, which starts only 2031-01 (decision 0 months + first phase build)."
        in text
    )
    assert "faster deals" not in text


@pytest.mark.parametrize(("lead", "usable"), [(0, True), (14, False)])
def test_a_licence_is_kept_only_by_a_route_that_starts_while_cars_are_wanted(
    lead: int, usable: bool
) -> None:
    # 10,000 cars wanted in 2030, none in 2031, 200,000 in 2032; old-bev goes on 2031-06-01.
    # Bought at once, OldCo builds in 2030 and keeps it. After 14 months of negotiation the
    # route starts on 2031-03-03: nothing is wanted before the licence goes, so routes, risk
    # and plan all count it out (routes and risk took it as usable, the plan built nothing).
    text = KEEP.replace("demand: {2032: 200000}", "demand: {2030: 10000, 2032: 200000}")
    text = text.replace(
        "fixed_fee: 1000000, lead_months: 0,", f"fixed_fee: 1000000, lead_months: {lead},"
    )
    world = evfab.compile(evfab.loads(text))
    (r,) = [r for r in evfab.derive_routes(world) if r.id == "acquired:buy@acquired:pa"]
    assert r.usable is usable
    if not usable:
        assert r.why[-1] == (
            "licence old-bev is withdrawn on 2031-06-01 under the dormancy rule unless cars are "
            "built under it first, and N1 wants none from 2031 (the earliest start under it) "
            "to 2031"
        )
    built = plan(world).production
    assert bool((built["route"] == r.id).any()) is usable


def test_a_budget_short_of_the_modules_a_new_licence_needs_is_named() -> None:
    # The build (1bn) and the 2 modules the 100,000/year minimum needs (2 x 100m): 1.2bn
    # against a 1.15bn budget. The text said no plant or offer could supply the cars.
    from test_plan import _MIN_MODULES

    text = _MIN_MODULES.replace("kind: newcomer}", "kind: newcomer, capital_budget: 1150000000}")
    r = plan(evfab.compile(evfab.loads(text)), PlanOptions(alternatives=False))
    assert r.production.empty
    said = " ".join(r.shortfalls["explanation"])
    assert (
        "N1's capital budget of 1.15bn CNY is below the one-off fees of its only route with "
        "capacity that year (apply:apply@build:np, needs 1.2bn)."
    ) in said


OPTIONAL = CROWDED.replace(
    "demand: {2030: 80000}, badge: own, lost_margin: 30000, min_fill: 1.0}",
    "demand: {2030: 80000}, badge: own, lost_margin: 30000}",
).replace(
    "  - {id: g2,",
    "  - {id: g3, company: n1, name: G3, target_sop: 2030-01, demand: {2030: 50000}, "
    "badge: own, lost_margin: 20000, min_fill: 1.0}\n  - {id: g2,",
)
"""P1's 100,000 cars against G2's and G3's minimums (60,000 and 50,000) and G1's 80,000
optional cars (no minimum, the dearest to lose): only 10,000 minimum cars are out of reach."""


def test_optional_cars_give_way_to_minimums_in_an_infeasible_plans_shortfalls() -> None:
    r = _plan(OPTIONAL)
    assert r.status is PlanStatus.INFEASIBLE
    # Pricing every unbuilt car alike let G1's optional 80,000 cars take P1 and reported
    # 90,000 cars below the minimums, blaming G1 for them.
    assert r.shortfalls["missing"].sum() == pytest.approx(10000)
    why = dict(zip(r.shortfalls["program"], r.shortfalls["explanation"], strict=True))
    assert set(why) == {"g2"}  # the cheaper of the two to leave short
    assert why["g2"] == (
        "G2 (g2, N1) in 2030: 10,000 of 60,000 cars cannot be built, 10,000 below the "
        "minimum: the program must build at least 100% of demand (60,000 cars); usable routes "
        "offer at most 100,000 cars of legal capacity that year, at 1 plant. In the plan that "
        "comes closest to every minimum, other programs build 50,000 cars at its plant that "
        "year (g3). No other plant or offer in the scenario could supply them."
    )


def test_a_shortfall_names_the_programs_that_build_most_at_its_plants() -> None:
    from evfab._plan_shortfalls import _most

    assert _most({}) == ""
    assert _most({"g2": 0.2}) == ""  # under half a car: none
    assert _most({"g2": 80000.0}) == " (g2)"
    assert _most({"g3": 20000.0, "g2": 80000.0}) == " (g2 80,000, g3 20,000)"
    # The most first, ties by id; beyond three, a count.
    cars = {"g5": 10.0, "g4": 30.0, "g3": 30.0, "g2": 40.0, "g1": 5.0}
    assert _most(cars) == " (g2 40, g3 30, g4 30 and 2 more)"
