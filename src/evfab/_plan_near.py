"""Among a plan's equally cheap variants, the one closest to another plan's production.

An industry plan is rarely unique: programs of one company, or of several, can often swap
capacity and years at no cost. HiGHS returns one optimum, and which one depends on the
model's order and on everything else in it. Two plans compared side by side (a policy
what-if against its base) then differ in programs the change does not touch: a review
found 81 of 200 programs "changed" between a scenario and the same scenario with its
programs listed in reverse.

:func:`nearest` re-solves the LP with the plan's choices (its binaries, but the route
switches) fixed, minimising its cost plus a tiny weight on the cars moved from a reference
production table (an L1 distance over program, route and year). What differs after that is
what the change forces (or a different choice of deals, which stays as the MILP made it; so
does a single-source program's choice of plant each year, whose switch is a binary that the
LP could only split: two single-source programs on two identical plants may still swap
them). With the plan's own production as the reference, the same LP polishes a plan the
MILP stopped early (at a time limit or its gap): the cheapest for its deals, and otherwise
as it was (``PlanOptions.polish``).

Why a weight rather than a cap on the cost: a cap needs a slack (the cost row sums ~1e11
in floating point, and HiGHS found it infeasible without one), and the LP spends any slack
on moving a ten-thousandth of a car, which left "1 CNY" of lost margin in a plan.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from evfab._highs import Solution, SolveStatus, solve
from evfab._milp import FloatArray, Milp
from evfab._plan_model import PlanInputs
from evfab._plan_tables import Prepared

MOVE_WEIGHT = 1e-3
"""Cost of moving one car from the reference, currency: far below any real difference in
cost per car (fees, plant costs and lost margins are whole currency units, discounted),
so the plan stays the cheapest; above the LP's optimality tolerance (1e-7), so among
equally cheap plans the nearest wins."""


def targets(d: PlanInputs, m: Milp, p: Prepared, near: pd.DataFrame) -> FloatArray:
    """The reference's cars for each production column (0 where it has none).

    Args:
        d: Planner arrays.
        m: The model.
        p: The plan's prepared ids.
        near: The reference production: program, route, year, cars.

    Returns:
        Cars per ``q`` column.
    """
    cols = pd.DataFrame(
        {
            "program": p.program_ids[d.route_program[m.q_route]],
            "route": p.route_ids[m.q_route],
            "year": d.years[m.q_year].astype(np.int64),
        }
    )
    ref = (
        near.astype({"program": str, "route": str, "year": np.int64})
        .groupby(["program", "route", "year"], as_index=False)["cars"]
        .sum()
    )
    got = cols.merge(ref, how="left", on=["program", "route", "year"])
    return got["cars"].fillna(0.0).to_numpy(np.float64)


def nearest(m: Milp, sol: Solution, target: FloatArray) -> Solution:
    """``sol`` moved, at its least cost with the same choices, as close to ``target``
    (cars per ``q`` column) as that cost allows.

    Args:
        m: The model.
        sol: The plan's solution (with column values).
        target: Cars per ``q`` column of the reference plan.

    Returns:
        The moved solution (the objective recomputed, the bound kept); ``sol`` itself when
        the LP fails (which it should not: ``sol`` is feasible for it).
    """
    v = m.vectors()
    n = m.n_col
    integer = m.integrality()
    # The route switches z cost nothing and only pass on their offers' and waivers' x and
    # w (q <= big z, z <= x, z <= w): with those fixed, z in [0, 1] allows exactly the
    # production the binaries do, and production may move to a route whose deals are
    # already made (fixing z kept 13 of 40 programs "changed" in a reordered scenario).
    z0, z1 = m.col_blocks["z"]
    pinned = integer.copy()
    pinned[z0:z1] = False
    lower, upper, fixed = m.fixed_bounds(sol.col_value, pinned)
    # Except a route whose plant needs more modules for a new licence than were built: its
    # z in [0, 1] would let it build a share of its cars (min z <= m), so it is closed.
    upper[m.min_z[lower[m.min_m] < m.min_need - 1e-9]] = 0.0
    cost = v["cost"]
    q0, q1 = m.col_blocks["q"]
    k = q1 - q0
    lp = dataclasses.replace(
        m,
        cost=[cost],
        lower=[lower],
        upper=[upper],
        integer=[np.zeros(n, bool)],
        rows=list(m.rows),
        cols=list(m.cols),
        vals=list(m.vals),
        row_lower=list(m.row_lower),
        row_upper=list(m.row_upper),
        col_blocks=dict(m.col_blocks),
        row_blocks=dict(m.row_blocks),
    )
    # e_j >= |q_j - target_j|, the cars moved in column j, each at MOVE_WEIGHT.
    e0 = lp.add_cols("moved", np.full(k, MOVE_WEIGHT), np.zeros(k), np.full(k, np.inf), False)
    local = np.arange(k)
    q = np.arange(q0, q1)
    e = np.arange(e0, e0 + k)
    lp.add_rows(
        "moved",
        2 * k,
        np.concatenate([local, local, k + local, k + local]),
        np.concatenate([q, e, q, e]),
        np.concatenate([np.ones(k), -np.ones(k), -np.ones(k), -np.ones(k)]),
        np.full(2 * k, -np.inf),
        np.concatenate([target, -target]),
    )
    out = solve(lp, relax=True)
    if out.status is not SolveStatus.OPTIMAL or len(out.col_value) < n:
        return sol
    x = out.col_value[:n].copy()
    x[pinned] = fixed
    # A route switch reads as on wherever its route builds (the LP may leave it fractional).
    q_on = np.zeros(n, bool)
    zc = m.z_of_route[m.q_route]
    q_on[zc[(zc >= z0) & (zc < z1) & (x[q0:q1] > 1e-6)]] = True
    x[z0:z1] = np.where(q_on[z0:z1], 1.0, 0.0)
    objective = float(cost @ x)
    # The re-solve may lower the cost of a plan the MILP stopped early: its gap to the bound
    # is the new cost's.
    gap = sol.gap
    if np.isfinite(sol.bound) and objective != 0:
        gap = max(0.0, (objective - sol.bound) / abs(objective))
    return dataclasses.replace(sol, col_value=x, objective=objective, gap=gap)


__all__ = ["MOVE_WEIGHT", "nearest", "targets"]
