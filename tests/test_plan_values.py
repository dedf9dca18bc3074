"""Capacity values (:mod:`evfab._plan_values`): the saving of one more car at a plant, worked
out by hand, where an agreement's capacity or the program's demand ties with the plant's."""

from __future__ import annotations

import pytest

import evfab
from evfab.plan import PlanOptions, PlanResult, plan

# NewCo holds a licence and buys a 100 % stake in OldCo's idle 100k plant, so the stake's
# capacity is the plant's; O2 offers its licence over the same plant at 3,000 a car (not
# taken). 0 % discount, 20,000 lost margin a car, 1,000 a car to build. DEMAND is set per
# test; EXTRA adds plants.
_STAKE = """\
name: t
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
as_of: 2030-01-01
horizon: 2031
policy: [{since: 2020-01-01, sources: [a]}]
companies:
  - {id: n1, name: N1, kind: newcomer}
  - {id: o1, name: O1, kind: automaker}
  - {id: o2, name: O2, kind: automaker}
licences:
  - {id: n1-bev, holder: n1, status: held, sources: [a]}
  - {id: o2-bev, holder: o2, status: held, sources: [a]}
plants:
  - {id: p1, name: P1, operator: o1, status: idle, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}], unit_cost: 1000}
EXTRA
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: DEMAND, badge: own, lost_margin: 20000}
offers:
  - {id: stake, kind: plant_stake, to: n1, plant: p1, share: 1.0, capacity_share: 1.0, fixed_fee: 1000000, lead_months: 0, sources: [a]}
  - {id: umb, kind: licence_umbrella, to: n1, partner: o2, licence: o2-bev, plants: [p1], fee_per_unit: 3000, badge: own, lead_months: 0, sources: [a]}
"""
# NewCo's own 50k plant, building at no cost a car.
_OWN = "  - {id: p0, name: P0, operator: n1, status: operating, opened: 2020-01, phases: [{capacity: 50000, ready: 2020-01}], unit_cost: 0}"


def _values(demand: str, extra: str = "") -> PlanResult:
    text = _STAKE.replace("DEMAND", demand).replace("EXTRA\n", extra + "\n" if extra else "")
    r = plan(evfab.compile(evfab.loads(text)), PlanOptions(alternatives=False))
    assert r.ok, r.status
    assert list(r.offers["offer"]) == ["stake"]
    return r


def test_a_plant_reached_through_a_stake_of_all_its_capacity_is_worth_the_margin() -> None:
    # 150k wanted, 100k built at P1: one more car there, which the stake brings, saves the
    # lost margin less the cost to build it, 20,000 - 1,000 = 19,000 (not 16,000, as if
    # it came through the umbrella at 3,000 a car, which the plan does not take).
    r = _values("{2030: 150000, 2031: 150000}")
    v = r.capacity_values.set_index(["plant", "year"])
    assert v.at[("p1", 2030), "value_per_car"] == pytest.approx(19_000)
    assert v.at[("p1", 2031), "value_per_car"] == pytest.approx(19_000)
    assert v["binding"].all()


def test_a_plant_whose_capacity_is_exactly_what_demand_needs_saves_nothing_more() -> None:
    # 150k wanted in 2030 and 50k + 100k built: a 100,001st car at P1 would stand idle, and
    # one more at P0 replaces a car at P1 (saving its 1,000). In 2031 200k are wanted: one
    # more car at P1 saves 19,000, at P0 20,000.
    r = _values("{2030: 150000, 2031: 200000}", _OWN)
    v = r.capacity_values.set_index(["plant", "year"])
    assert v.at[("p1", 2030), "value_per_car"] == 0.0
    assert not v.at[("p1", 2030), "binding"]
    assert v.at[("p0", 2030), "value_per_car"] == pytest.approx(1_000)
    assert v.at[("p1", 2031), "value_per_car"] == pytest.approx(19_000)
    assert v.at[("p0", 2031), "value_per_car"] == pytest.approx(20_000)
