"""The HiGHS wrapper: statuses, bounds and gaps of MILPs and their LP relaxations."""

from __future__ import annotations

import pytest

import evfab
from evfab._highs import SolveStatus, solve
from evfab._plan_model import build_milp
from evfab._route_table import route_table
from evfab.plan import plan_inputs


@pytest.fixture(scope="module")
def milp():  # type: ignore[no-untyped-def]
    world = evfab.compile(evfab.load("xiaomi-2022"))
    d, _ = plan_inputs(world, route_table(world))
    return build_milp(d)


def test_lp_relaxation_reports_its_objective_as_bound(milp) -> None:  # type: ignore[no-untyped-def]
    lp = solve(milp, relax=True)
    assert lp.status is SolveStatus.OPTIMAL
    assert lp.bound == lp.objective
    assert lp.gap == 0.0
    assert len(lp.row_dual) == milp.n_row


def test_milp_bound_is_below_its_objective_and_above_the_lp(milp) -> None:  # type: ignore[no-untyped-def]
    lp = solve(milp, relax=True)
    mip = solve(milp, gap=1e-9)
    assert mip.status is SolveStatus.OPTIMAL
    tol = 1e-9 * abs(mip.objective)
    assert lp.objective - tol <= mip.bound <= mip.objective + tol
    assert mip.gap <= 1e-6
