"""Capacity values of a plan: what one more car of capacity at a plant and year would save.

The MILP has no duals, so the LP is re-solved with every binary fixed at its value in the
plan; the dual of each plant-year capacity row is then the marginal value. Limits that
only repeat a plant's capacity are dropped from that LP first (see :func:`_implied`), and
every plant has half a car more: the duals are those of the next car, not of the last.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from evfab._highs import Solution, SolveStatus, solve
from evfab._milp import BoolArray, FloatArray, Milp
from evfab._plan_model import HALF_CAR, PlanInputs


def capacity_values(d: PlanInputs, ix: object, m: Milp, sol: Solution) -> pd.DataFrame:
    """Discounted saving from one more car of capacity at each plant and year.

    A contract, stake or purchase whose capacity is the plant's free capacity follows the
    plant: one more car at the plant is one more car through it. Without that, the LP
    splits the value between the plant's row and the agreement's as it pleases (a plant
    reached through a stake showed 0 one run and the whole margin the next).

    Args:
        d: Planner arrays.
        ix: Index of ids (``plants`` used).
        m: The model.
        sol: The plan's solution.

    Returns:
        Columns plant, year, value_per_car (currency per car, discounted to as_of), binding.
    """
    v = m.vectors()
    integer = m.integrality()
    lower, upper, fixed = m.fixed_bounds(sol.col_value, integer)
    values = np.zeros(m.n_col)
    values[integer] = fixed
    row_upper, upper = _implied(d, m, values, integer, v["row_lower"], v["row_upper"], upper)
    # The value of one more car is the dual at a little more capacity: where the plan uses
    # exactly all of a plant to meet exactly its demand, one more car saves nothing, but the
    # LP at the plant's capacity may put its dual on the plant's row or on the demand's.
    p0, p1 = m.row_blocks["plant"]
    row_upper[p0:p1] += HALF_CAR
    lp = solve(
        dataclasses.replace(m, lower=[lower], upper=[upper], row_upper=[row_upper]), relax=True
    )
    cols = ["plant", "year", "value_per_car", "binding"]
    if lp.status is not SolveStatus.OPTIMAL or len(lp.row_dual) == 0:
        return pd.DataFrame(columns=cols)
    dual = lp.row_dual[p0:p1]
    plants: list[str] = ix.plants  # type: ignore[attr-defined]
    out = pd.DataFrame(
        {
            "plant": [plants[p] for p in m.plant_row_plant],
            "year": d.years[m.plant_row_year],
            # A <= row in a minimisation has a non-positive dual: relaxing it saves -dual.
            "value_per_car": np.maximum(-dual, 0.0),
            "binding": np.abs(dual) > 1e-9,
        },
        columns=cols,
    )
    return out.sort_values(
        ["value_per_car", "plant", "year"], ascending=[False, True, True]
    ).reset_index(drop=True)


def _implied(
    d: PlanInputs,
    m: Milp,
    values: FloatArray,
    integer: BoolArray,
    row_lower: FloatArray,
    row_upper: FloatArray,
    col_upper: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Row and column upper bounds with the limits the plant rows and demand imply dropped.

    With the binaries fixed at ``values``, a row whose other columns are ``q`` columns of
    one plant-year (coefficient 1) and whose right-hand side is at least that plant's
    capacity (with its built modules) cannot bind before the plant's row: an agreement's
    capacity equal to the plant's free capacity, a route's on/off big-M. Nor can a row or
    bound on one ``q`` column at least its program's demand, which the demand row already
    caps. Both are dropped so that the plant row alone carries the capacity's value.
    """
    if m.n_row == 0 or not len(m.q_route):
        return row_upper, col_upper
    rows = np.concatenate(m.rows)
    cols = np.concatenate(m.cols)
    vals = np.concatenate(m.vals)
    q0, q1 = m.col_blocks["q"]
    n_y = len(d.years)
    # Each q column's plant-year and demand.
    q_key = d.route_plant[m.q_route] * n_y + m.q_year
    q_demand = d.demand[d.route_program[m.q_route], m.q_year]
    # Right-hand sides once the fixed binaries move to them.
    fix = integer[cols]
    rhs = row_upper - np.bincount(rows[fix], vals[fix] * values[cols[fix]], minlength=m.n_row)
    # Plant capacity (with built modules) by plant-year key.
    p0, p1 = m.row_blocks["plant"]
    plant_cap = dict(
        zip(
            (m.plant_row_plant * n_y + m.plant_row_year).tolist(),
            rhs[p0:p1].tolist(),
            strict=True,
        )
    )
    cap_of_q = np.array([plant_cap.get(k, np.inf) for k in q_key.tolist()])
    # Rows whose continuous part is q columns of one plant-year with coefficient 1.
    cont = ~fix
    is_q = (cols >= q0) & (cols < q1)
    bad = np.bincount(rows[cont & ~(is_q & (vals == 1.0))], minlength=m.n_row) > 0
    qe = cont & is_q
    key = q_key[cols[qe] - q0]
    lo = np.full(m.n_row, np.iinfo(np.int64).max)
    hi = np.full(m.n_row, -1)
    np.minimum.at(lo, rows[qe], key)
    np.maximum.at(hi, rows[qe], key)
    n_q = np.bincount(rows[qe], minlength=m.n_row)
    one = (n_q > 0) & ~bad & (lo == hi)
    # The limit each such row must reach to be implied: the plant's capacity, or for a row
    # on one column, its program's demand if that is lower.
    limit = np.full(m.n_row, np.inf)
    first = np.full(m.n_row, -1)
    first[rows[qe]] = cols[qe] - q0
    idx = np.nonzero(one)[0]
    limit[idx] = cap_of_q[first[idx]]
    single = idx[n_q[idx] == 1]
    limit[single] = np.minimum(limit[single], q_demand[first[single]])
    keep = np.ones(m.n_row, bool)
    for name in ("plant", "demand"):
        a, b = m.row_blocks.get(name, (0, 0))
        keep[a:b] = False
    drop = one & keep & ~np.isfinite(row_lower) & (rhs >= limit - HALF_CAR)
    row_upper = np.where(drop, np.inf, row_upper)
    col_upper = col_upper.copy()
    bound = col_upper[q0:q1]
    col_upper[q0:q1] = np.where(bound >= np.minimum(cap_of_q, q_demand) - HALF_CAR, np.inf, bound)
    return row_upper, col_upper
