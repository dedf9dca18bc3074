"""Who may re-decide their deals when an alternative or a deal is priced.

Pricing an alternative route (or a deal the plan does not take) is a re-solve of the plan's
model with one thing forced. In scope ``industry`` every company may re-decide everything:
the exact price, but each re-solve is a whole-industry MILP (13-22 s at 500 programs, where
most of it is the root LP). In scope ``company`` only the companies concerned (the
program's company and the takers of the offers its routes need; for a deal, its taker and
the companies whose programs it serves) re-decide their deals, modules, waivers, plants
and licences; every other company keeps the plan's, while all production, including
theirs, may still move. HiGHS's presolve then drops most of the model: a re-solve takes
0.2-0.5 s at 500 programs and ~2 s at 2,000 (against 13-22 s and 5 min; BENCHMARKS.md).

The company-scope price is that of a restriction of the exact re-solve, so it is never
below it: an alternative's cost is an upper bound on the exact one, and a deal's saving,
measured against the exact plan without the deal, a lower bound. On every row priced in
both scopes in BENCHMARKS.md the two agreed (to 1e-6); the tests pin a case where they do
not. When the restriction is infeasible (the others' deals as planned crowd the program
out), the price falls back to the industry re-solve.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

from evfab._milp import FloatArray, IntArray, Milp
from evfab._plan_model import PlanInputs

Scope = Literal["industry", "company"]
"""Who re-decides their deals in a re-solve that prices an alternative or a deal."""
SCOPES: tuple[str, ...] = get_args(Scope)
"""The scopes, the exact one first."""


def owners(m: Milp, d: PlanInputs) -> IntArray:
    """The company each integer column's decision belongs to (-1 for continuous columns).

    Offers, their modules and badge waivers belong to the offer's taker; route switches,
    single-source plant choices and licences kept belong to the program's company.

    Args:
        m: The model.
        d: Its planner arrays.

    Returns:
        A company index per column.
    """
    out = np.full(m.n_col, -1, np.int64)
    x0, x1 = m.col_blocks["x"]
    out[x0:x1] = d.offer_company
    if len(m.m_offer):
        out[m.m_of_offer[m.m_offer]] = d.offer_company[m.m_offer]
    z0, z1 = m.col_blocks["z"]
    out[z0:z1] = d.program_company[d.route_program[m.z_route]]
    w0, w1 = m.col_blocks["w"]
    out[w0:w1] = d.offer_company[d.waiver_offer]
    if len(m.s_q):
        out[m.s_col_of_q] = d.program_company[d.route_program[m.q_route[m.s_q]]]
    if len(m.k_route):
        out[m.k_of_route[m.k_route]] = d.program_company[d.route_program[m.k_route]]
    return out


def held_owners(m: Milp, d: PlanInputs, opts: object, col_value: FloatArray) -> IntArray | None:
    """:func:`owners` when the options ask for scope ``company`` and the plan has values
    to hold the others at; else None (every re-solve in scope ``industry``)."""
    held = getattr(opts, "alternatives_scope", "industry") == "company"
    return owners(m, d) if held and len(col_value) == m.n_col else None


def _offers_of(d: PlanInputs, routes: IntArray) -> IntArray:
    """The offers some routes need."""
    ptr = d.route_offer_ptr
    parts = [d.route_offer_idx[ptr[r] : ptr[r + 1]] for r in routes.tolist()]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def route_companies(d: PlanInputs, program: int) -> IntArray:
    """The companies concerned by a program's choice of route: its own and the takers of
    the offers its routes need (a subsidiary's licence serving its parent's program)."""
    offers = _offers_of(d, np.nonzero(d.route_program == program)[0])
    return np.union1d([d.program_company[program]], d.offer_company[offers])


def deal_companies(d: PlanInputs, offer: int) -> IntArray:
    """The companies concerned by a deal: its taker and those whose programs it serves."""
    ptr = d.route_offer_ptr
    per_route = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    served = d.route_program[per_route[d.route_offer_idx == offer]]
    return np.union1d([d.offer_company[offer]], d.program_company[served])


def hold_others(
    owner: IntArray,
    col_value: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    free: IntArray,
) -> bool:
    """Fix, in place, the integer columns of every company not in ``free`` at the plan's
    values (rounded: HiGHS leaves integers within its tolerance of a whole number).

    Args:
        owner: Company of each column, -1 for continuous ones (:func:`owners`).
        col_value: The plan's column values.
        lower: Lower bounds, changed in place.
        upper: Upper bounds, changed in place.
        free: The companies that re-decide.

    Returns:
        False if the plan's values contradict the bounds given (nothing is changed then):
        the caller should price in scope ``industry``.
    """
    held = (owner >= 0) & ~np.isin(owner, free)
    value = np.round(col_value[held])
    if ((value < lower[held]) | (value > upper[held])).any():
        return False
    lower[held] = upper[held] = value
    return True


__all__ = [
    "SCOPES",
    "Scope",
    "deal_companies",
    "held_owners",
    "hold_others",
    "owners",
    "route_companies",
]
