"""Tests of :mod:`evfab._plan_near`: among equally cheap plans, the one nearest another's."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import evfab
from evfab.plan import PlanOptions, plan

TIE = """\
name: tie
as_of: 2030-01-01
horizon: 2031
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
policy:
  - {since: 2020-01-01, contract_manufacturing: true, sources: [a]}
companies:
  - {id: host, name: Host, kind: automaker}
  - {id: n1, name: N1, kind: newcomer}
  - {id: n2, name: N2, kind: newcomer}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
plants:
  - id: hp
    name: Host plant
    operator: host
    status: operating
    opened: 2020-01
    phases: [{capacity: 100000, ready: 2020-01}]
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 80000, 2031: 80000}, badge: any, lost_margin: 20000}
  - {id: g2, company: n2, name: G2, target_sop: 2030-01, demand: {2030: 80000, 2031: 80000}, badge: any, lost_margin: 20000}
offers:
  - {id: cm1, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 5000, lead_months: 0, sources: [a]}
  - {id: cm2, kind: contract_manufacturing, to: n2, host: host, plant: hp, fee_per_unit: 5000, lead_months: 0, sources: [a]}
"""
"""Two programs with the same margin and fee share 100,000 cars a year: every split with
neither above its 80,000 costs the same."""

OPTS = PlanOptions(capacity_values=False, alternatives=False)


def _near(cars: dict[tuple[str, int], float]) -> pd.DataFrame:
    routes = {"g1": "partner:cm1@partner:hp", "g2": "partner:cm2@partner:hp"}
    return pd.DataFrame(
        [
            {"program": g, "route": routes[g], "plant": "hp", "year": y, "cars": c}
            for (g, y), c in cars.items()
        ]
    )


def _built(r: evfab.plan.PlanResult) -> dict[tuple[str, int], float]:
    return {(p.program, int(p.year)): float(p.cars) for p in r.production.itertuples()}


@pytest.mark.parametrize(
    "want",
    [
        {("g1", 2030): 20000, ("g2", 2030): 80000, ("g1", 2031): 80000, ("g2", 2031): 20000},
        {("g1", 2030): 80000, ("g2", 2030): 20000, ("g1", 2031): 50000, ("g2", 2031): 50000},
    ],
)
def test_an_equally_cheap_split_follows_the_reference(want: dict[tuple[str, int], float]) -> None:
    w = evfab.compile(evfab.loads(TIE))
    free = plan(w, OPTS)
    near = plan(w, dataclasses.replace(OPTS, near=_near(want)))
    assert _built(near) == pytest.approx(want)
    assert near.objective == pytest.approx(free.objective, rel=1e-12)
    assert near.costs["discounted"].iloc[-1] == pytest.approx(free.objective, rel=1e-12)


def test_a_reference_the_plan_cannot_follow_is_followed_as_far_as_its_cost_allows() -> None:
    w = evfab.compile(evfab.loads(TIE))
    free = plan(w, OPTS)
    # 100,000 for g1 is over its demand; in 2031 g2 can take only 80,000 and the other
    # 20,000 are worth building for g1 (20,000 lost per car against a 5,000 fee).
    want = {("g1", 2030): 100000, ("g1", 2031): 0}
    near = plan(w, dataclasses.replace(OPTS, near=_near(want)))
    got = _built(near)
    assert got[("g1", 2030)] == pytest.approx(80000) and got[("g2", 2030)] == pytest.approx(20000)
    assert got[("g1", 2031)] == pytest.approx(20000)
    assert got[("g2", 2031)] == pytest.approx(80000)
    assert near.objective == pytest.approx(free.objective, rel=1e-12)


def test_a_route_short_of_its_modules_stays_closed_in_the_near_lp() -> None:
    """With the plan's choices fixed, a route needing 2 modules for a new licence's minimum
    capacity builds nothing when 1 was built, however much the reference wants it to.

    The choices below (the build and the application taken, 1 module, the route off, every
    car unmet) are feasible for the MILP; with the route's switch free in [0, 1], the LP
    would open it half way (2 z <= 1) and build 35,000 cars a year on it.
    """
    from evfab._highs import Solution, SolveStatus
    from evfab._plan_model import build_milp
    from evfab._plan_near import nearest
    from evfab.plan import plan_inputs
    from test_plan import _MIN_MODULES

    w = evfab.compile(evfab.loads(_MIN_MODULES))
    d, _ = plan_inputs(w, evfab.route_table(w))
    m = build_milp(d)
    assert len(m.min_z) == 1 and m.min_need.tolist() == [2.0]
    v = m.vectors()
    x = v["lower"].copy()
    x0, x1 = m.col_blocks["x"]
    x[x0:x1] = 1.0
    x[m.min_m] = 1.0
    u0, u1 = m.col_blocks["u"]
    x[u0:u1] = d.demand[m.u_program, m.u_year]
    sol = Solution(SolveStatus.OPTIMAL, float(v["cost"] @ x), 0.0, 0.0, x, x[:0], 0.0)
    q0, q1 = m.col_blocks["q"]
    out = nearest(m, sol, d.demand[d.route_program[m.q_route], m.q_year])
    assert out.col_value[q0:q1].sum() == pytest.approx(0.0, abs=1e-6)
    assert out.col_value[m.min_z].tolist() == [0.0]
