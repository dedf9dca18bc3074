"""The HiGHS wrapper: statuses, bounds and gaps of MILPs and their LP relaxations."""

from __future__ import annotations

import itertools
import math
import os
import signal
from typing import Any

import pytest

import evfab
from evfab._highs import SolveStatus, new_highs, pass_milp, run, solve
from evfab._plan_model import build_milp
from evfab._route_table import route_table
from evfab._solve_watch import Progress
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


@pytest.fixture(scope="module")
def generated_milp(slow_to_prove: str):  # type: ignore[no-untyped-def]
    """The MILP of :func:`slow_to_prove`."""
    world = evfab.compile(evfab.loads(slow_to_prove))
    d, _ = plan_inputs(world, route_table(world))
    return build_milp(d)


def test_progress_reports_and_a_stop_keeps_the_best_plan(generated_milp) -> None:  # type: ignore[no-untyped-def]
    seen: list[Progress] = []

    def first_plan_will_do(p: Progress) -> bool:
        seen.append(p)
        return math.isfinite(p.objective)

    h = new_highs()
    pass_milp(h, generated_milp)
    sol = run(h, None, 1e-6, first_plan_will_do)
    assert sol.status is SolveStatus.TIME_LIMIT
    assert math.isfinite(sol.objective)
    assert sol.bound <= sol.objective
    assert sol.gap > 0.0
    assert seen and math.isfinite(seen[-1].objective)
    assert all(b.seconds >= a.seconds for a, b in itertools.pairwise(seen))
    # A stopped plan is still a plan: every column within its bounds.
    v = generated_milp.vectors()
    assert (sol.col_value >= v["lower"] - 1e-6).all()
    assert (sol.col_value <= v["upper"] + 1e-6).all()


def test_progress_that_never_stops_changes_nothing(milp) -> None:  # type: ignore[no-untyped-def]
    seen: list[Progress] = []
    h = new_highs()
    pass_milp(h, milp)
    sol = run(h, None, 1e-6, seen.append, every=0.0)
    ref = solve(milp, None, 1e-6)
    assert sol.status is SolveStatus.OPTIMAL
    assert sol.objective == ref.objective
    assert seen


def test_an_error_in_progress_stops_the_solve_and_is_raised(milp) -> None:  # type: ignore[no-untyped-def]
    def broken(p: Progress) -> bool:
        raise ZeroDivisionError("in the callback")

    h = new_highs()
    pass_milp(h, milp)
    with pytest.raises(ZeroDivisionError, match="in the callback"):
        run(h, None, 1e-6, broken, every=0.0)


def _watched(milp, progress):  # type: ignore[no-untyped-def]
    h = new_highs()
    pass_milp(h, milp)
    return run(h, None, 1e-6, progress)


def test_ctrl_c_while_watched_stops_with_the_best_plan(generated_milp) -> None:  # type: ignore[no-untyped-def]
    before = signal.getsignal(signal.SIGINT)
    seen: list[Progress] = []

    def press_once_a_plan_exists(p: Progress) -> None:
        seen.append(p)
        if math.isfinite(p.objective) and not any(s.stopping for s in seen):
            os.kill(os.getpid(), signal.SIGINT)  # as if the user pressed Ctrl-C

    sol = _watched(generated_milp, press_once_a_plan_exists)
    assert sol.status is SolveStatus.TIME_LIMIT
    assert math.isfinite(sol.objective) and sol.gap > 0.0
    assert seen[-1].stopping
    assert signal.getsignal(signal.SIGINT) is before


def test_a_second_ctrl_c_raises_once_the_solve_has_stopped(generated_milp) -> None:  # type: ignore[no-untyped-def]
    def press_twice(p: Progress) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        _watched(generated_milp, press_twice)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_stop_before_any_plan_is_interrupted_not_an_error(generated_milp) -> None:  # type: ignore[no-untyped-def]
    sol = _watched(generated_milp, lambda p: True)
    assert sol.status is SolveStatus.INTERRUPTED
    assert math.isnan(sol.objective)
    assert len(sol.col_value) == 0


class _PressAfterRun:
    """A HiGHS instance whose ``run()`` is followed by a Ctrl-C (after its last check)."""

    def __init__(self, h: Any) -> None:
        self._h = h

    def __getattr__(self, name: str) -> Any:
        return getattr(self._h, name)

    def run(self) -> Any:
        status = self._h.run()
        os.kill(os.getpid(), signal.SIGINT)
        return status


def test_a_ctrl_c_after_the_last_check_is_told_as_finished(milp) -> None:  # type: ignore[no-untyped-def]
    seen: list[Progress] = []
    h = new_highs()
    pass_milp(h, milp)
    sol = run(_PressAfterRun(h), None, 1e-6, seen.append)
    assert sol.status is SolveStatus.OPTIMAL
    assert [p.finished for p in seen if p.stopping] == [True]
    assert not any(p.finished for p in seen if not p.stopping)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_time_limit_before_any_plan_is_no_plan_not_an_error(generated_milp) -> None:  # type: ignore[no-untyped-def]
    sol = solve(generated_milp, time_limit=1e-9)
    assert sol.status in (SolveStatus.NO_PLAN, SolveStatus.TIME_LIMIT)
    if sol.status is SolveStatus.NO_PLAN:
        assert len(sol.col_value) == 0 and math.isnan(sol.objective)


def test_within_holds_only_for_a_plan_proven_optimal_inside_the_bounds() -> None:
    import numpy as np

    from evfab._highs import Solution, SolveStatus, within

    v = np.array([0.0, 1.0, 2.5])
    lower, upper = np.array([0.0, 1.0, 0.0]), np.array([0.0, 1.0, 3.0])

    def sol(status: SolveStatus = SolveStatus.OPTIMAL, gap: float = 0.0) -> Solution:
        return Solution(status, 1.0, 1.0, gap, v, np.zeros(0), 0.0)

    assert within(sol(), lower, upper)
    assert within(sol(), lower - 1e-7, upper + 1e-7)
    assert not within(sol(), lower, np.array([0.0, 1.0, 2.0]))  # 2.5 above its new bound
    assert not within(sol(SolveStatus.TIME_LIMIT), lower, upper)
    # A plan stopped at a requested gap of 5 % is not the optimum: a re-solve finds better.
    assert not within(sol(gap=0.05), lower, upper)
    assert within(sol(gap=1e-7), lower, upper)
