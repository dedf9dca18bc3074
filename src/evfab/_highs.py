"""A thin, typed wrapper over HiGHS (highspy) for the planner's MILPs and LPs."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from evfab._milp import Milp
from evfab._solve_watch import Progress, ProgressFn, Watch


class SolveStatus(StrEnum):
    """Outcome of a solve, in planner words.

    ``OPTIMAL`` means proven optimal within the requested gap (``gap`` says how close).
    ``TIME_LIMIT`` means stopped before optimality was proven, with a plan and its gap: at
    the time limit, or on request (a progress function, or Ctrl-C while one watches).
    ``INTERRUPTED`` means stopped on request before any plan was found; ``NO_PLAN`` means
    the time (or another solver limit) ran out before any plan was found.
    """

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    INTERRUPTED = "interrupted"
    NO_PLAN = "no_plan"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"


@dataclass(frozen=True)
class Solution:
    """What a solve returned.

    Attributes:
        status: Typed outcome.
        objective: Objective value of the incumbent (NaN if none).
        bound: Best proven lower bound (equals objective for LPs).
        gap: Relative MIP gap (0 for LPs and proven optima).
        col_value: Column values (empty if no solution).
        row_dual: Row duals (LPs only; empty otherwise).
        seconds: Wall time of the solve.
    """

    status: SolveStatus
    objective: float
    bound: float
    gap: float
    col_value: npt.NDArray[np.float64]
    row_dual: npt.NDArray[np.float64]
    seconds: float


def new_highs() -> Any:
    """A silent HiGHS instance."""
    # NOTE: highspy.Highs() prints a banner on stdout when constructed; the core class
    # does not, which keeps `--json` output clean.
    cls = getattr(getattr(highspy, "_core", None), "_Highs", highspy.Highs)
    h = cls()
    h.setOptionValue("output_flag", False)
    return h


_STATUS = {
    highspy.HighsModelStatus.kOptimal: SolveStatus.OPTIMAL,
    highspy.HighsModelStatus.kTimeLimit: SolveStatus.TIME_LIMIT,
    highspy.HighsModelStatus.kInterrupt: SolveStatus.TIME_LIMIT,
    highspy.HighsModelStatus.kIterationLimit: SolveStatus.TIME_LIMIT,
    highspy.HighsModelStatus.kSolutionLimit: SolveStatus.TIME_LIMIT,
    highspy.HighsModelStatus.kInfeasible: SolveStatus.INFEASIBLE,
    highspy.HighsModelStatus.kUnbounded: SolveStatus.UNBOUNDED,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: SolveStatus.INFEASIBLE,
    highspy.HighsModelStatus.kModelEmpty: SolveStatus.OPTIMAL,
}


@dataclass(frozen=True)
class HighsArrays:
    """Exactly the arrays handed to ``Highs.passModel`` (row-wise matrix, minimisation)."""

    n_col: int
    n_row: int
    cost: npt.NDArray[np.float64]
    lower: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]
    row_lower: npt.NDArray[np.float64]
    row_upper: npt.NDArray[np.float64]
    start: npt.NDArray[np.int32]
    index: npt.NDArray[np.int32]
    value: npt.NDArray[np.float64]
    integrality: npt.NDArray[np.int32]


def highs_arrays(m: Milp, relax: bool = False) -> HighsArrays:
    """The model as HiGHS's arrays.

    Args:
        m: The model.
        relax: Drop integrality (solve the LP).

    Returns:
        The arrays for :func:`pass_arrays`.
    """
    v = m.vectors()
    start, index, value = m.csr()
    integrality = np.zeros(m.n_col, np.int32) if relax else m.integrality().astype(np.int32)
    return HighsArrays(
        m.n_col,
        m.n_row,
        v["cost"],
        v["lower"],
        v["upper"],
        v["row_lower"],
        v["row_upper"],
        start.astype(np.int32),
        index,
        value,
        integrality,
    )


def pass_arrays(h: Any, a: HighsArrays) -> None:
    """Hand prepared arrays to a HiGHS instance."""
    h.passModel(
        a.n_col,
        a.n_row,
        len(a.value),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        a.cost,
        a.lower,
        a.upper,
        a.row_lower,
        a.row_upper,
        a.start,
        a.index,
        a.value,
        a.integrality,
    )


def pass_milp(h: Any, m: Milp, relax: bool = False) -> None:
    """Hand a model to HiGHS as one row-wise matrix.

    Args:
        h: A HiGHS instance.
        m: The model.
        relax: Drop integrality (solve the LP).
    """
    pass_arrays(h, highs_arrays(m, relax))


def run(
    h: Any,
    time_limit: float | None = None,
    gap: float | None = None,
    progress: ProgressFn | None = None,
    every: float = 0.5,
) -> Solution:
    """Solve the model already passed to ``h``.

    Args:
        h: A HiGHS instance with a model.
        time_limit: Seconds before HiGHS stops with its best solution.
        gap: Relative MIP gap at which to stop.
        progress: Called with the solve's state on every better plan and at most every
            ``every`` seconds otherwise (MIPs only; see :mod:`evfab._solve_watch`).
            Returning True stops the solve at HiGHS's next interrupt check: the result is
            ``TIME_LIMIT`` with the best plan, or ``INTERRUPTED`` if there was none yet.
            While it watches, Ctrl-C in the main thread stops the solve the same way (if
            Python's default handler is in place; under a
            :class:`evfab._solve_watch.Presses`, that counts instead); a Ctrl-C after
            HiGHS's last check is reported to it once after the solve.
        every: Seconds between progress reports when no better plan is found.

    Returns:
        The solution.

    Raises:
        BaseException: Whatever ``progress`` raised (the solve is stopped first), or
            ``KeyboardInterrupt`` after a second Ctrl-C during a watched solve.
    """
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if gap is not None:
        h.setOptionValue("mip_rel_gap", float(gap))
    t0 = time.perf_counter()
    if progress is None:
        h.run()
        return _read(h, time.perf_counter() - t0)
    # The watch (and its Ctrl-C handler) stays on while the solution is read, so that a
    # press after HiGHS's last check is counted and reported, not raised.
    with Watch(h, progress, every) as watch:
        h.run()
        seconds = time.perf_counter() - t0
        sol = _read(h, seconds)
        has = np.isfinite(sol.objective)
        watch.finish(
            Progress(
                seconds,
                sol.objective if has else np.inf,
                sol.bound if np.isfinite(sol.bound) else -np.inf,
                sol.gap if has else np.inf,
                max(0, int(h.getInfo().mip_node_count)),
            )
        )
    stopped = watch.stopping and h.getModelStatus() == highspy.HighsModelStatus.kInterrupt
    if stopped and sol.status is SolveStatus.NO_PLAN:  # stopped before HiGHS had a plan
        return dataclasses.replace(sol, status=SolveStatus.INTERRUPTED)
    return sol


def _read(h: Any, seconds: float) -> Solution:
    """The solution of a finished run, typed."""
    raw = h.getModelStatus()
    status = _STATUS.get(raw, SolveStatus.ERROR)
    info = h.getInfo()
    sol = h.getSolution()
    has_value = bool(sol.value_valid)
    if not has_value and status is SolveStatus.OPTIMAL and h.getNumCol() == 0:
        # An empty model (nothing to decide) is solved with cost 0, but HiGHS marks no
        # values valid: without this its plan had a NaN objective and status optimal.
        has_value = True
    col = np.asarray(sol.col_value, np.float64) if has_value else np.zeros(0)
    dual = np.asarray(sol.row_dual, np.float64) if bool(sol.dual_valid) else np.zeros(0)
    if status is SolveStatus.TIME_LIMIT and not has_value:
        status = SolveStatus.NO_PLAN
    obj = (float(info.objective_function_value) if len(col) else 0.0) if has_value else float("nan")
    # HiGHS reports -1 MIP nodes when it solved an LP (also for integrality all zero).
    is_mip = int(info.mip_node_count) >= 0
    bound = float(info.mip_dual_bound) if is_mip else obj
    mip_gap = float(info.mip_gap) if is_mip and status is not SolveStatus.OPTIMAL else 0.0
    if is_mip and status is SolveStatus.OPTIMAL:
        mip_gap = max(0.0, float(info.mip_gap)) if np.isfinite(info.mip_gap) else 0.0
    return Solution(status, obj, bound, mip_gap, col, dual, seconds)


def within(
    sol: Solution,
    lower: npt.NDArray[np.float64],
    upper: npt.NDArray[np.float64],
    max_gap: float = 1e-6,
) -> bool:
    """Whether a plan proven optimal also lies within tighter column bounds: then it is
    the optimum under them too (a re-solve would only find it again).

    Args:
        sol: The plan's solution.
        lower: The tighter lower bounds.
        upper: The tighter upper bounds.
        max_gap: The widest gap at which the plan counts as the optimum: a plan that
            stopped at a requested ``--gap`` of 5 % may be 5 % above it, and a re-solve
            finds better (a deal credited 2.64bn against its 754m).

    Returns:
        True if ``sol`` is optimal within ``max_gap`` and every column value is within its
        bounds (to HiGHS's feasibility tolerance).
    """
    v = sol.col_value
    if sol.status is not SolveStatus.OPTIMAL or sol.gap > max_gap or len(v) != len(lower):
        return False
    tol = 1e-6  # HiGHS's primal feasibility tolerance (and its integrality one)
    return bool(np.all(v >= lower - tol) and np.all(v <= upper + tol))


def solve(
    m: Milp, time_limit: float | None = None, gap: float | None = None, relax: bool = False
) -> Solution:
    """Pass and solve a model in a fresh HiGHS instance.

    Args:
        m: The model.
        time_limit: Seconds before stopping.
        gap: Relative MIP gap at which to stop.
        relax: Solve the LP relaxation.

    Returns:
        The solution.
    """
    h = new_highs()
    pass_milp(h, m, relax=relax)
    return run(h, time_limit, gap)
