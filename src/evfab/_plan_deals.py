"""What each deal a plan does not take would save it: the break-even price of an offer.

"Which idle plant is worth a stake?" The capacity values (:mod:`evfab._plan_values`) say
what one more car of capacity saves where the plan already builds; a plant reached only
through a deal the plan does not take adds nothing there, however cheap its cars would
be. So each offer left untaken is priced by a re-solve: the plan's other deals stay as
they are (taken or not), this one is taken at no fee, and everything else that follows a
deal (routes needing several offers, modules, waivers, one plant a year, licences kept)
may change. What the plan then saves is the most the deal is worth to it with the other
deals as planned: it pays below that price, not above. A re-solve that cannot take the
deal says why in its status: ``infeasible`` when it excludes a deal the plan takes or its
fee breaks the company's budget.

The saving is measured against the same re-solve without the deal, not against the plan
itself: a plan stopped at its gap or time limit would otherwise lend the deal savings
that its other choices could have had anyway.

In scope ``company`` (:mod:`evfab._plan_scope`) only the companies the deal concerns
re-decide what follows from the deals; the others keep the plan's. The saving is then
measured against the exact reference (the plan itself when it is proven optimal, else one
re-solve in scope industry, shared by every deal), so that it is a lower bound on the exact
saving: the restricted re-solve with the deal costs at least what the exact one does. (A
reference restricted in the same way could cost more than the deal's, and credit the deal
with what only the held choices lose, when the plan is not optimal.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from evfab._highs import Solution, SolveStatus, new_highs, pass_milp, run, within
from evfab._milp import FloatArray, Milp
from evfab._plan_model import PlanInputs
from evfab._plan_scope import deal_companies, held_owners, hold_others
from evfab._solve_watch import Presses, Progress

DEAL_COLUMNS = ["offer", "kind", "to", "saves", "fee", "status", "scope"]
"""Columns of :func:`deal_values`: ``saves`` is the discounted cost the plan saves with
the deal taken for free (NaN unless the re-solve found a plan), ``fee`` the deal's
one-off fee discounted to as_of as the plan counts it, ``scope`` how it was priced
(``company``: ``saves`` is a lower bound; ``industry``: exact; None: not priced)."""
NOT_PRICED = "not_priced"
"""Status of a deal left unpriced because the pricing was stopped (Ctrl-C)."""


def _solve(
    m: Milp,
    lower: FloatArray,
    upper: FloatArray,
    cost: FloatArray,
    opts: object,
    watch: Callable[[Progress], bool],
) -> tuple[SolveStatus, float]:
    """Status and objective of ``m`` with other bounds and costs."""
    h = new_highs()
    pass_milp(h, dataclasses.replace(m, lower=[lower], upper=[upper], cost=[cost]))
    res = run(h, getattr(opts, "time_limit", None), getattr(opts, "gap", None), watch)
    return res.status, res.objective


def deal_values(
    d: PlanInputs,
    ix: object,
    m: Milp,
    col_value: FloatArray,
    kinds: list[str],
    opts: object,
    each: Callable[[int, int], None] | None = None,
    companies: set[str] | None = None,
    plan: Solution | None = None,
) -> pd.DataFrame:
    """Price every offer the plan does not take (see the module's docstring).

    Args:
        d: Planner arrays.
        ix: Index of ids (``offers``, ``companies``).
        m: The model.
        col_value: The plan's column values.
        kinds: Each offer's kind, in ``ix.offers`` order.
        opts: Planner options (time limit and gap are reused; ``alternatives_scope``
            says who re-decides, see :mod:`evfab._plan_scope`).
        each: Called with (position, number of deals) before each re-solve.
        companies: Price only the offers made to these companies (None: every offer).
        plan: The plan's solution: when it is proven optimal, it is the reference re-solve's
            answer (the plan's deals as planned), which is then not run.

    Returns:
        One row per untaken offer (columns :data:`DEAL_COLUMNS`), the largest saving first.
        Ctrl-C in the main thread stops the pricing, not the plan: the deals not reached
        are ``not_priced``; a second Ctrl-C aborts.
    """
    offers: list[str] = ix.offers  # type: ignore[attr-defined]
    names: list[str] = ix.companies  # type: ignore[attr-defined]
    x0, x1 = m.col_blocks["x"]
    taken = col_value[x0:x1] > 0.5
    to = [names[c] for c in d.offer_company.tolist()]
    todo = [i for i in np.nonzero(~taken)[0].tolist() if companies is None or to[i] in companies]
    if not todo:
        return pd.DataFrame(columns=DEAL_COLUMNS)
    v = m.vectors()
    cost = v["cost"]
    lower, upper = v["lower"].copy(), v["upper"].copy()
    # The plan's deals as they are; what follows from them is free to change.
    lower[x0:x1] = upper[x0:x1] = taken.astype(np.float64)
    owner = held_owners(m, d, opts, col_value)
    refs: list[tuple[SolveStatus, float]] = []
    # Deals infeasible in either scope, as the deals are fixed in both: those that exclude
    # one the plan takes, and those whose fee, with the taker's deals as planned, breaks
    # its budget (waivers and modules only add to it). A restricted re-solve that says so
    # needs no exact one after it.
    doomed = np.zeros(len(offers), bool)
    for a, b in d.exclusive.tolist():
        doomed[a] |= bool(taken[b])
        doomed[b] |= bool(taken[a])
    spent = np.bincount(
        d.offer_company[taken], weights=d.offer_fixed[taken], minlength=len(d.budget)
    )
    limit = d.budget[d.offer_company]
    doomed |= spent[d.offer_company] + d.offer_fixed > limit + 1e-9 * np.abs(limit)
    rows = []
    # NOTE: Ctrl-C is counted, not raised (see _plan_explain.alternatives).
    with Presses() as presses:

        def watch(p: Progress) -> bool:
            return presses.count > 0

        optimal = plan is not None and within(plan, lower, upper)

        def reference() -> tuple[SolveStatus, float]:
            """The exact re-solve without the deal (the plan, if proven optimal), once."""
            if optimal:
                assert plan is not None
                return plan.status, plan.objective
            if not refs:
                refs.append(_solve(m, lower, upper, cost, opts, watch))
            return refs[0]

        for k, i in enumerate(todo):
            presses.check()
            if each is not None and not presses.count:
                each(k, len(todo))
            status, objective, ref = SolveStatus.INTERRUPTED, np.nan, np.nan
            scope: str | None = None
            free = cost.copy()
            free[x0 + i] = 0.0
            scoped = None
            if owner is not None and not presses.count:
                lo, up = lower.copy(), upper.copy()
                group = deal_companies(d, i)
                if hold_others(owner, col_value, lo, up, group):
                    ref_status, ref = reference()
                    if ref_status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT):
                        lo[x0 + i] = up[x0 + i] = 1.0
                        scoped = _solve(m, lo, up, free, opts, watch)
                        presses.check()
            if scoped is not None and (scoped[0] is not SolveStatus.INFEASIBLE or doomed[i]):
                (status, objective), scope = scoped, "company"
            elif not presses.count:  # scope industry, or the others' deals crowd it out
                ref_status, ref = reference()
                if ref_status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT):
                    lo, up = lower.copy(), upper.copy()
                    lo[x0 + i] = up[x0 + i] = 1.0
                    status, objective = _solve(m, lo, up, free, opts, watch)
                    scope = "industry"
                    presses.check()
            ok = status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT)
            rows.append(
                {
                    "offer": offers[i],
                    "kind": kinds[i],
                    "to": to[i],
                    "saves": max(0.0, ref - objective) if ok else np.nan,
                    "fee": float(cost[x0 + i]),
                    "status": NOT_PRICED if status is SolveStatus.INTERRUPTED else status.value,
                    "scope": scope if status is not SolveStatus.INTERRUPTED else None,
                }
            )
    out = pd.DataFrame(rows, columns=DEAL_COLUMNS)
    return out.sort_values("saves", ascending=False, na_position="last", kind="stable").reset_index(
        drop=True
    )


__all__ = ["DEAL_COLUMNS", "NOT_PRICED", "deal_values"]
