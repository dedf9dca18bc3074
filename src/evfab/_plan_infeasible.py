"""Why an infeasible plan cannot meet its programs' minimums, in domain words.

The model is re-solved with the minimums relaxed (which program-years fall short, by how
much), then with one family of rows made breakable at a price (every capital budget, or
every exclusion between offers), every other cost dropped: a plan that breaks the least
shows which budget or which pair of offers keeps the minimums out of reach, and what
meeting them would take. These re-solves are small next to the plan's own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from evfab._fmt import money
from evfab._highs import SolveStatus, solve
from evfab._plan_model import FloatArray, Milp, PlanInputs
from evfab._plan_shortfalls import (
    SHORTFALL_COLUMNS,
    _cars_by_plant,
    _context,
    _explain_row,
    _others_there,
    _plan_rows,
    _route_id,
    _use_of_columns,
)
from evfab._route_table import RouteTable
from evfab._world import World


def shortfalls_when_infeasible(
    world: World, d: PlanInputs, ix: object, m: Milp, routes: RouteTable
) -> pd.DataFrame:
    """Why no plan meets every program's minimum fill: re-solve with the minimums relaxed,
    then with budgets and exclusive offers relaxed, to name the binding cause.

    Args:
        world: The compiled world.
        d: Planner arrays.
        ix: Index of ids.
        m: The infeasible model.
        routes: Every route.

    Returns:
        Columns program, year, missing (cars below the required minimum), explanation.
    """
    u0, u1 = m.col_blocks["u"]
    demand = d.demand[m.u_program, m.u_year]
    relaxed, b0 = _below_minimums(m, d)
    res = solve(relaxed)
    rows = []
    if res.status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT):
        q0, q1 = m.col_blocks["q"]
        q = res.col_value[q0:q1]
        ctx = _context(world, routes, d, _use_of_columns(world, d, ix, m, q))
        # What the other programs build where each one falls short, in the plan that comes
        # closest to every minimum: the cars it competes with at its plants.
        by_plant = _cars_by_plant(
            np.asarray(world.plant_ids)[_plan_rows(world, ix)[d.route_plant[m.q_route]]],
            d.years[m.q_year],
            np.asarray(world.program_ids)[d.route_program[m.q_route]],
            q,
        )
        causes, every = binding_causes(world, d, ix, m)
        need = res.col_value[b0 : b0 + (u1 - u0)]
        u = res.col_value[u0:u1] + need
        for k in np.nonzero(need > 0.5)[0]:
            g = str(world.program_ids[m.u_program[k]])
            year = int(d.years[m.u_year[k]])
            # The sentence counts every car the relaxed plan cannot build (u), and how many
            # of them fall below the minimum (the row's `missing`).
            fill = float(d.min_fill[m.u_program[k]])
            why = causes.get(g) or every
            lead = "In the plan that comes closest to every minimum, other programs build"
            others = _others_there(ctx, by_plant, g, year, lead)
            text = _explain_row(
                world, g, year, float(u[k]), float(demand[k]), ctx, why, fill, others
            )
            rows.append(
                {"program": g, "year": year, "missing": float(need[k]), "explanation": text}
            )
    return pd.DataFrame(rows, columns=SHORTFALL_COLUMNS)


def _below_minimums(m: Milp, d: PlanInputs) -> tuple[Milp, int]:
    """A copy of ``m`` in which every program-year may fall below its minimum, each car
    below it priced far above any other cost: the plan that comes closest to every minimum.

    The cars a program may leave unbuilt anyway (its ``u`` column, up to ``1 - min_fill``
    of demand) keep their lost margin; a new column per program-year carries those below
    the minimum, in the same demand row. Pricing every unbuilt car alike instead would let
    a program's optional cars crowd another program's minimum out, and blame the latter.

    Returns:
        The model, and the first column of the below-minimum block (one column per ``u``
        column, in the same order).
    """
    u0, u1 = m.col_blocks["u"]
    n = u1 - u0
    cost = np.concatenate(m.cost) if m.cost else np.zeros(0)
    penalty = 1e3 * (1.0 + np.abs(cost).max(initial=1.0))
    d0, d1 = m.row_blocks["demand"]  # row d0 + k holds column u0 + k
    b0 = m.n_col
    out = dataclasses.replace(
        m,
        cost=[*m.cost, cost[u0:u1] + penalty],
        lower=[*m.lower, np.zeros(n)],
        upper=[*m.upper, d.min_fill[m.u_program] * d.demand[m.u_program, m.u_year]],
        integer=[*m.integer, np.zeros(n, bool)],
        rows=[*m.rows, np.arange(d0, d1, dtype=np.int64)],
        cols=[*m.cols, np.arange(b0, b0 + n, dtype=np.int64)],
        vals=[*m.vals, np.ones(n)],
        col_blocks={**m.col_blocks, "below": (b0, b0 + n)},
        n_col=b0 + n,
    )
    return out, b0


DIAGNOSE_SECONDS = 30.0
"""Time limit of each re-solve that looks for what makes a plan infeasible."""


def _breakable(m: Milp, weights: dict[str, FloatArray]) -> tuple[Milp, dict[str, tuple[int, int]]]:
    """A copy of ``m`` in which the rows of the named blocks may be broken, each through a
    slack column priced at its weight; every other cost is dropped.

    Args:
        m: The model.
        weights: Row block name -> price per unit by which each of its rows is broken.

    Returns:
        The model, and the range of each block's slack columns.
    """
    v = m.vectors()
    cost, lower, upper = [np.zeros(m.n_col)], [v["lower"]], [v["upper"]]
    integer = [m.integrality()]
    rows, cols, vals = list(m.rows), list(m.cols), list(m.vals)
    n = m.n_col
    slack: dict[str, tuple[int, int]] = {}
    for name, w in weights.items():
        r0, r1 = m.row_blocks[name]
        k = r1 - r0
        slack[name] = (n, n + k)
        cost.append(np.asarray(w, np.float64))
        lower.append(np.zeros(k))
        upper.append(np.full(k, np.inf))
        integer.append(np.zeros(k, bool))
        # Every row of these blocks is a <= row: - slack on its left side relaxes it.
        rows.append(np.arange(r0, r1, dtype=np.int64))
        cols.append(np.arange(n, n + k, dtype=np.int64))
        vals.append(-np.ones(k))
        n += k
    out = dataclasses.replace(
        m,
        cost=cost,
        lower=lower,
        upper=upper,
        integer=integer,
        rows=rows,
        cols=cols,
        vals=vals,
        n_col=n,
    )
    return out, slack


_KIND_WORDS = {
    "contract_manufacturing": "contract manufacturing at {plant}",
    "plant_stake": "a stake in {plant}",
    "build_plant": "building {plant}",
    "acquire_company": "buying {target}",
    "licence_umbrella": "{partner}'s licence",
    "apply_licence": "a licence application",
}


def _offer_words(world: World, oid: str) -> str:
    """An offer's id and what it is, e.g. ``cma (contract manufacturing at PA)``."""
    row = world.offer(oid)
    det: dict[str, Any] = row["detail"] or {}
    # Only the kinds that name a plant or a company carry it.
    names = {
        "plant": str(world.plant(str(det["plant"]))["name"]) if det.get("plant") else "a plant",
        "target": world.company_name(str(det["target"])) if det.get("target") else "a company",
        "partner": world.company_name(str(det["partner"])) if det.get("partner") else "a partner",
    }
    what = _KIND_WORDS.get(str(row["kind"]), str(row["kind"]).replace("_", " "))
    return f"{oid} ({what.format(**names)})"


def _programs_needing(d: PlanInputs, offers: set[int]) -> set[int]:
    """Programs with a usable route that needs one of ``offers``."""
    counts = np.diff(d.route_offer_ptr)
    route_of = np.repeat(np.arange(len(counts)), counts)
    hit = np.isin(d.route_offer_idx, np.array(sorted(offers), np.int64))
    return set(d.route_program[route_of[hit]].tolist())


def _column_words(d: PlanInputs, ix: object, m: Milp, j: int) -> tuple[str, int]:
    """What a budget row's column pays for, and the offer it belongs to (-1 if none)."""
    offers: list[str] = ix.offers  # type: ignore[attr-defined]
    name, (c0, _) = next((b, r) for b, r in m.col_blocks.items() if r[0] <= j < r[1])
    k = j - c0
    if name == "x":
        return f"offer {offers[k]}", k
    if name == "m":
        o = int(m.m_offer[k])
        return f"extra modules of offer {offers[o]}", o
    if name == "w" and hasattr(d, "waiver_offer"):
        o = int(d.waiver_offer[k])
        return f"the badge waiver of offer {offers[o]}", o
    if name == "z":
        return f"the badge waiver on route {_route_id(ix, int(m.z_route[k]))}", -1
    return f"{name}[{k}]", -1


def _budget_causes(
    world: World, d: PlanInputs, ix: object, m: Milp, x: FloatArray, s: FloatArray
) -> list[tuple[str, set[int]]]:
    """Sentences on the capital budgets a plan breaking them by ``s`` had to break."""
    limited = np.nonzero(np.isfinite(d.budget))[0]
    r0, r1 = m.row_blocks["budget"]
    if len(limited) != r1 - r0:
        return []
    companies: list[str] = ix.companies  # type: ignore[attr-defined]
    rows, cols, vals = (np.concatenate(a) for a in (m.rows, m.cols, m.vals))
    on = (rows >= r0) & (rows < r1)
    paid = vals[on] * x[cols[on]]
    out = []
    for k in np.nonzero(s > 0.5)[0].tolist():
        c = int(limited[k])
        items: dict[str, float] = {}
        offers: set[int] = set()
        for j, a in zip(
            cols[on][rows[on] == r0 + k].tolist(), paid[rows[on] == r0 + k].tolist(), strict=True
        ):
            if a > 0.5:
                label, o = _column_words(d, ix, m, j)
                items[label] = items.get(label, 0.0) + a
                if o >= 0:
                    offers.add(o)
        budget = float(d.budget[c])
        spend = ", ".join(f"{label}: {money(a)}" for label, a in items.items())
        text = (
            f"{world.company_name(companies[c])}'s capital budget of {money(budget)} "
            f"{world.currency} binds: meeting every minimum needs {money(budget + float(s[k]))} "
            f"{world.currency} of one-off spending ({spend})."
        )
        mine = set(np.nonzero(d.program_company == c)[0].tolist())
        out.append((text, mine | (_programs_needing(d, offers) if offers else set())))
    return out


def _exclusion_causes(
    world: World, d: PlanInputs, ix: object, m: Milp, s: FloatArray
) -> list[tuple[str, set[int]]]:
    """Sentences on the exclusive offers a plan breaking exclusions by ``s`` had to take together."""
    offers: list[str] = ix.offers  # type: ignore[attr-defined]
    if len(d.exclusive) != len(s):
        return []
    out = []
    for k in np.nonzero(s > 0.5)[0].tolist():
        a, b = (int(o) for o in d.exclusive[k])
        text = (
            f"Offers {offers[a]} and {offers[b]} exclude each other, yet meeting every minimum "
            f"needs both: {_offer_words(world, offers[a])} and {_offer_words(world, offers[b])}."
        )
        out.append((text, _programs_needing(d, {a, b})))
    return out


def _break(
    world: World, d: PlanInputs, ix: object, m: Milp, families: tuple[str, ...]
) -> list[tuple[str, str, set[int]]] | None:
    """The causes (family, sentence, programs) a plan that breaks the least of ``families``
    shows, or None if even breaking them meets no minimum."""
    weights: dict[str, FloatArray] = {}
    for f in families:
        r0, r1 = m.row_blocks[f]
        finite = d.budget[np.isfinite(d.budget)]
        # A budget is broken by currency, an exclusion by one offer: breaking a budget by
        # its whole amount weighs as much as taking one pair of exclusive offers.
        weights[f] = (
            1.0 / np.maximum(finite, 1.0)
            if f == "budget" and len(finite) == r1 - r0
            else np.ones(r1 - r0)
        )
    lifted, slack = _breakable(m, weights)
    res = solve(lifted, time_limit=DIAGNOSE_SECONDS)
    if res.status not in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT):
        return None
    x = res.col_value
    out: list[tuple[str, str, set[int]]] = []
    if "budget" in slack:
        got = _budget_causes(world, d, ix, m, x, x[slice(*slack["budget"])])
        out += [("budget", t, gs) for t, gs in got]
    if "exclusive" in slack:
        got = _exclusion_causes(world, d, ix, m, x[slice(*slack["exclusive"])])
        out += [("exclusive", t, gs) for t, gs in got]
    return out


EITHER = "Lifting the budget or the exclusion alone would be enough."
"""Said when a program's minimum is out of reach by a budget and by an exclusion, each alone."""
BOTH = "Only lifting both the budget and the exclusion would be enough."
"""Said when a program's minimum is out of reach unless a budget and an exclusion are lifted."""


def binding_causes(
    world: World, d: PlanInputs, ix: object, m: Milp
) -> tuple[dict[str, list[str]], list[str]]:
    """Capital budgets or exclusive offers that keep an infeasible plan's minimums out of
    reach, in domain words.

    Each family of rows is made breakable at a price, with every other cost dropped: the
    cheapest way to break it shows what the minimums need. Budgets and exclusions are
    tried alone, then (if neither alone is enough) together.

    Args:
        world: The compiled world.
        d: Planner arrays.
        ix: Index of ids.
        m: The infeasible model.

    Returns:
        Program id -> the sentences that concern it, and every sentence.
    """
    families = tuple(
        f for f in ("budget", "exclusive") if f in m.row_blocks and np.diff(m.row_blocks[f])[0] > 0
    )
    causes = [c for f in families for c in _break(world, d, ix, m, (f,)) or []]
    note = EITHER
    if not causes and len(families) > 1:
        causes, note = _break(world, d, ix, m, families) or [], BOTH
    programs = list(world.program_ids)
    out: dict[str, list[str]] = {}
    seen: dict[str, set[str]] = {}
    for family, text, gs in causes:
        for gi in sorted(gs):
            out.setdefault(str(programs[gi]), []).append(text)
            seen.setdefault(str(programs[gi]), set()).add(family)
    # The note only makes sense where a budget and an exclusion both concern the program.
    for g, fams in seen.items():
        if len(fams) > 1:
            out[g].append(note)
    every = [t for _, t, _ in causes]
    if len({f for f, _, _ in causes}) > 1:
        every.append(note)
    return out, every
