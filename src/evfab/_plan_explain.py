"""Post-processing of a plan: capacity values, priced alternatives and explanations in domain words."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from evfab._fmt import money, plural
from evfab._frames import records
from evfab._highs import Solution, SolveStatus, new_highs, pass_milp, run, within
from evfab._options import _licence_options, _plant_options

# The shortfalls live in their own module; the planner reaches them through this one.
from evfab._plan_infeasible import shortfalls_when_infeasible
from evfab._plan_model import FloatArray, IntArray, Milp, PlanInputs
from evfab._plan_scope import held_owners, hold_others, route_companies
from evfab._plan_shortfalls import SHORTFALL_COLUMNS, _with_bounds, shortfalls
from evfab._plan_values import capacity_values
from evfab._policy_dates import lapses_unused
from evfab._route_table import RouteTable, module_note, modules_text, route_table
from evfab._solve_watch import Presses, Progress
from evfab._world import World
from evfab.rules import Route


def alternatives(
    d: PlanInputs,
    ix: object,
    m: Milp,
    sol: Solution,
    opts: object,
    each: Callable[[int, int], None] | None = None,
    only: set[str] | None = None,
) -> pd.DataFrame:
    """Price every usable route: the cost of the best plan in which its program uses only it.

    Args:
        d: Planner arrays.
        ix: Index of ids (``routes``, ``programs``).
        m: The model.
        sol: The plan's solution (its objective is the reference).
        opts: Planner options (time limit and gap are reused; ``alternatives_scope``
            says who re-decides their deals, see :mod:`evfab._plan_scope`).
        each: Called with (route position, number of routes) before each re-solve.
        only: Price only the routes of these programs (None: every program's).

    Returns:
        Columns program, route, cost, delta (vs the plan), cars (the program builds over
        the horizon that way), status, scope (how the price was found: ``company`` for an
        upper bound on the exact cost, ``industry`` for the exact one; see
        :mod:`evfab._plan_scope`). Ctrl-C (in the main
        thread) stops the pricing, not the plan: the re-solve running then ends with its
        best plan (status ``time_limit``) or none (``interrupted``), and the routes not
        reached yet are ``not_priced``; a second Ctrl-C aborts.
    """
    v = m.vectors()
    ids: list[str] = ix.routes.ids  # type: ignore[attr-defined]
    programs: list[str] = ix.programs  # type: ignore[attr-defined]
    q0 = m.col_blocks["q"][0]
    owner = held_owners(m, d, opts, sol.col_value)
    rows = []
    # NOTE: Ctrl-C is counted, not raised, for the whole pricing (a KeyboardInterrupt may
    # surface at any bytecode, and would lose the plan); the re-solve running then is
    # asked to stop at HiGHS's next check, and the routes not reached are left unpriced.
    with Presses() as presses:

        def watch(p: Progress) -> bool:
            return presses.count > 0

        targets = _targets(d, ix, only)
        for k, r in enumerate(targets.tolist()):
            presses.check()
            g = d.route_program[r]
            if each is not None and not presses.count:
                each(k, len(targets))
            if presses.count:
                rows.append(_unpriced(programs[g], ids[r]))
                continue
            lower, upper = v["lower"].copy(), v["upper"].copy()
            others = (d.route_program[m.q_route] == g) & (m.q_route != r)
            upper[q0 + np.nonzero(others)[0]] = 0.0
            zc = m.z_of_route[r]
            if zc >= 0:
                lower[zc] = 1.0
            res: Solution | None = None
            scope = "industry"
            if within(sol, lower, upper):
                # NOTE: the route is the one the plan gives the program: the plan, optimal
                # and still feasible, is the re-solve's answer (a whole-industry MILP, ~11 s
                # at 500 programs, spared).
                res = sol
            elif owner is not None:
                lo, up = lower.copy(), upper.copy()
                if hold_others(owner, sol.col_value, lo, up, route_companies(d, g)):
                    res, scope = _resolve(m, lo, up, opts, watch), "company"
                    if res.status is SolveStatus.INFEASIBLE:  # crowded out by the others
                        res, scope = None, "industry"
            if res is None and presses.count:  # stopped: no whole-industry MILP after it
                rows.append(_unpriced(programs[g], ids[r]))
                continue
            if res is None:
                res = _resolve(m, lower, upper, opts, watch)
            presses.check()
            ok = res.status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT)
            mine = q0 + np.nonzero(d.route_program[m.q_route] == g)[0]
            rows.append(
                {
                    "program": programs[g],
                    "route": ids[r],
                    "cost": res.objective if ok else np.nan,
                    "delta": res.objective - sol.objective if ok else np.nan,
                    "cars": float(res.col_value[mine].sum()) if ok else np.nan,
                    "status": res.status.value,
                    "scope": None if res.status is SolveStatus.INTERRUPTED else scope,
                }
            )
    return pd.DataFrame(rows, columns=ALTERNATIVE_COLUMNS)


def _resolve(
    m: Milp, lower: FloatArray, upper: FloatArray, opts: object, watch: Callable[[Progress], bool]
) -> Solution:
    """``m`` solved with other column bounds, with the planner's time limit and gap."""
    h = new_highs()
    pass_milp(h, _with_bounds(m, lower, upper))
    return run(h, getattr(opts, "time_limit", None), getattr(opts, "gap", None), watch)


def _targets(d: PlanInputs, ix: object, only: set[str] | None) -> IntArray:
    """Positions of the usable routes to price: those of ``only``'s programs, or all."""
    if only is None:
        return np.arange(len(d.route_program))
    programs: list[str] = ix.programs  # type: ignore[attr-defined]
    mine = np.array([g in only for g in programs], bool)
    out: IntArray = np.nonzero(mine[d.route_program])[0] if len(programs) else np.zeros(0, int)
    return out


ALTERNATIVE_COLUMNS = ["program", "route", "cost", "delta", "cars", "status", "scope"]
"""Columns of :func:`alternatives`: ``scope`` is None where the pricing was stopped
(``not_priced``, ``interrupted``)."""
NOT_PRICED = "not_priced"
"""Status of an alternative left unpriced because the pricing was stopped (Ctrl-C)."""


def _short(cars: float, wanted: float) -> str:
    """What the words on an alternative add when it builds fewer cars than wanted."""
    if not cars < wanted - 0.5:  # NaN too: nothing to add
        return ""
    built = "none" if cars < 0.5 else f"{cars:,.0f}"
    return f": it builds {built} of the {wanted:,.0f} cars wanted"


def _held(alt: dict[str, Any]) -> str:
    """What the words on an alternative priced in scope ``company`` add."""
    return "; other companies kept their planned deals" if alt.get("scope") == "company" else ""


def _unpriced(program: str, route: str) -> dict[str, Any]:
    return {
        "program": program,
        "route": route,
        "cost": np.nan,
        "delta": np.nan,
        "cars": np.nan,
        "status": NOT_PRICED,
        "scope": None,
    }


def not_priced(d: PlanInputs, ix: object, only: set[str] | None = None) -> pd.DataFrame:
    """:func:`alternatives` when none is priced: every route ``not_priced``.

    Args:
        d: Planner arrays.
        ix: Index of ids (``routes``, ``programs``).
        only: The routes of these programs only (None: every program's).

    Returns:
        Columns program, route, cost, delta, cars (NaN), status, scope (None).
    """
    ids: list[str] = ix.routes.ids  # type: ignore[attr-defined]
    programs: list[str] = ix.programs  # type: ignore[attr-defined]
    rows = [_unpriced(programs[d.route_program[r]], ids[r]) for r in _targets(d, ix, only).tolist()]
    return pd.DataFrame(rows, columns=ALTERNATIVE_COLUMNS)


def unusable_reasons(programs: list[str], routes: RouteTable) -> dict[str, list[str]]:
    """Sentences on each program's unusable routes, read from their templates.

    Args:
        programs: Program ids, in table order.
        routes: Every route (usable or not).

    Returns:
        Program id -> one sentence per unusable route (programs without any are absent).
    """
    # A plan may have thousands of routes: only the unusable ones are visited.
    out: dict[str, list[str]] = {}
    for i in np.nonzero(~routes.arrays.usable[routes.template])[0].tolist():
        t = routes.templates[int(routes.template[i])]
        g = programs[int(routes.program[i])]
        out.setdefault(g, []).append(f"Not usable: {t.id}: {'; '.join(t.why)}.")
    return out


def without_a_plan(
    world: World, programs: list[str], routes: RouteTable, unusable: dict[str, list[str]]
) -> dict[str, list[str]]:
    """What can be said of each program when there is no plan (infeasible): why it has no
    usable route, if so, and why its other routes are not usable.

    Args:
        world: The compiled world.
        programs: Program ids, in table order.
        routes: Every route (usable or not).
        unusable: :func:`unusable_reasons` of ``programs`` and ``routes``.

    Returns:
        Program id -> sentences (only programs with something to say).
    """
    counts = route_counts(world, routes)
    out: dict[str, list[str]] = {}
    for g in programs:
        lines = list(unusable.get(g, []))
        if not counts[g][1]:
            why = nothing_built(world, g, routes, counts).removeprefix("Builds nothing: ")
            lines.insert(0, why[:1].upper() + why[1:])
        if lines:
            out[g] = lines
    return out


def _needing_modules(routes: RouteTable) -> dict[tuple[str, str], Route]:
    """(program, route id) -> route, for the routes needing extra modules."""
    need = np.nonzero(routes.arrays.min_modules > 0)[0]
    if len(need) == 0:
        return {}
    rows = np.nonzero(np.isin(routes.template, need))[0]
    return {(r.program, r.id): r for r in (routes.route(i) for i in rows.tolist())}


def _module_lines(
    world: World,
    g: str,
    rid: str,
    offers: list[str],
    built: dict[str, int],
    needing: dict[tuple[str, str], Route],
) -> list[str]:
    """What a chosen route's build offer adds in extra modules: how many the plan builds,
    and how many a new licence's minimum capacity needs."""
    r = needing.get((g, rid))
    out = []
    for oid in offers:
        n = built.get(oid, 0)
        if r is not None and oid == r.offers[-1]:
            more = f"the plan builds {n} ({modules_text(world, oid, n)})"
            note = module_note(world, r, "the plan builds them" if n == r.min_modules else more)
            out.append(note[0].upper() + note[1:] + ".")
        elif n:
            plant = world.offer(oid)["detail"]["plant"]
            out.append(
                f"The plan builds {plural(n, 'extra module')} of offer {oid} at plant {plant} "
                f"({modules_text(world, oid, n)})."
            )
    return out


def explain_choices(
    world: World,
    programs: list[str],
    chosen: dict[str, list[Any]],
    alts: pd.DataFrame,
    routes: RouteTable,
    unusable: dict[str, list[str]] | None = None,
    modules: dict[str, int] | None = None,
) -> dict[str, list[str]]:
    """Sentences per program: what was chosen, why, and what the alternatives would cost.

    Args:
        world: The compiled world.
        programs: Program ids, in table order.
        chosen: The plan's chosen routes as columns (program, route, cars, manufacturer,
            badge, first_year, offers).
        alts: Priced alternatives (may be empty).
        routes: Every route (usable or not).
        unusable: :func:`unusable_reasons` of ``programs`` and ``routes``, if made already.
        modules: Extra modules the plan builds per build offer (none if not given).

    Returns:
        Program id -> sentences.
    """
    out: dict[str, list[str]] = {}
    cur = world.currency
    if unusable is None:
        unusable = unusable_reasons(programs, routes)
    # NOTE: rows are grouped once by position; a DataFrame filter per program made this
    # the slowest step of small plans.
    rows_of: dict[str, list[int]] = {}
    for i, g in enumerate(chosen["program"]):
        rows_of.setdefault(str(g), []).append(i)
    route_of, cars_of = chosen["route"], chosen["cars"]
    mor_of, badge_of, first_of = chosen["manufacturer"], chosen["badge"], chosen["first_year"]
    counts = route_counts(world, routes)
    alts_by: dict[str, list[dict[str, Any]]] = {}
    for a in records(alts) if len(alts) else []:
        alts_by.setdefault(str(a["program"]), []).append(a)
    # Cars each program wants over the horizon (for the alternatives' words only).
    wanted = (
        dict(zip(world.program_ids, world.demand.sum(axis=1).tolist(), strict=True))
        if alts_by
        else {}
    )
    needing = _needing_modules(routes)
    built = modules or {}
    for g in programs:
        lines: list[str] = []
        mine = rows_of.get(g, [])
        chosen_routes = {route_of[i] for i in mine}
        for i in mine:
            lines.append(
                f"Builds {cars_of[i]:,.0f} cars on {route_of[i]}: {mor_of[i]} is manufacturer of record, "
                f"badge {badge_of[i]}, first production {first_of[i]}."
            )
            if built or needing:
                offers = str(chosen["offers"][i]).split(", ")  # as write_back joins them
                said = _module_lines(world, g, str(route_of[i]), offers, built, needing)
                lines += [x for x in said if x not in lines]  # one offer, several routes
        if not mine:
            lines.append(nothing_built(world, g, routes, counts))
        for a in alts_by.get(g, []):
            if a["route"] in chosen_routes and len(chosen_routes) == 1:
                continue  # the plan itself
            if a["status"] in (NOT_PRICED, "interrupted"):
                lines.append(f"Using only {a['route']} was not priced (the pricing was stopped).")
            elif a["status"] not in ("optimal", "time_limit"):
                lines.append(
                    f"Using only {a['route']} is not feasible: "
                    f"{_why_not_alone(world, g, str(a['route']), routes, str(a['status']))}."
                )
            elif a["delta"] < -1e-6 * max(1.0, abs(a["cost"])):
                # A plan is the best only within its gap (or stopped at its time limit).
                lines.append(
                    f"Using only {a['route']} would cost {money(-a['delta'])} {cur} less "
                    "(discounted; the plan is the best only within the solver's gap or "
                    "time limit)."
                )
            elif a["status"] == "time_limit":
                # A stopped re-solve's cost is only an upper bound.
                bound = (
                    "the same"
                    if a["delta"] <= 1e-6 * max(1.0, abs(a["cost"]))
                    else f"{money(a['delta'])} {cur} more"
                )
                lines.append(
                    f"Using only {a['route']} would cost at most {bound} (discounted; its "
                    f"re-solve stopped before proving its best plan{_held(a)})."
                )
            elif a["delta"] <= 1e-6 * max(1.0, abs(a["cost"])):
                lines.append(f"Using only {a['route']} would cost the same (a tie).")
            elif a.get("scope") == "company":  # a restriction's cost: an upper bound
                lines.append(
                    f"Using only {a['route']} would cost at most {money(a['delta'])} {cur} more "
                    f"(discounted{_held(a)}){_short(float(a['cars']), wanted[g])}."
                )
            else:
                lines.append(
                    f"Using only {a['route']} would cost {money(a['delta'])} {cur} more "
                    f"(discounted){_short(float(a['cars']), wanted[g])}."
                )
        lines.extend(_deadlines(world, g, routes, {str(a["route"]) for a in alts_by.get(g, [])}))
        lines.extend(unusable.get(g, []))
        out[g] = lines
    return out


def _deadlines(world: World, g: str, routes: RouteTable, ids: set[str]) -> list[str]:
    """A sentence per route in ``ids`` whose licence the dormancy rule withdraws within the
    horizon (the planner then needs production under it before that date)."""
    if not ids:
        return []
    gi = list(world.program_ids).index(g)
    end = dt.date(int(world.years[-1]), 12, 31)
    out = []
    for i in np.nonzero(routes.program == gi)[0].tolist():
        t = routes.templates[int(routes.template[i])]
        when = t.timing.deadline if t.timing is not None else None
        if t.id in ids and when is not None and when <= end:
            out.append(
                f"{t.id}: licence {t.licence} is withdrawn on {when.isoformat()} under the "
                "dormancy rule unless cars are built under it before then."
            )
    return out


def route_counts(world: World, routes: RouteTable) -> dict[str, tuple[int, int]]:
    """Program id -> its number of routes, and of usable routes."""
    n = len(world.program_ids)
    usable = routes.arrays.usable[routes.template]
    every = np.bincount(routes.program, minlength=n).tolist()
    ok = np.bincount(routes.program[usable], minlength=n).tolist()
    return {str(g): (a, b) for g, a, b in zip(world.program_ids, every, ok, strict=True)}


def nothing_built(
    world: World, g: str, routes: RouteTable, counts: dict[str, tuple[int, int]]
) -> str:
    """Why program ``g`` builds nothing, in one sentence.

    Args:
        world: The compiled world.
        g: Program id.
        routes: Every route the plan was given.
        counts: :func:`route_counts` of ``world`` and ``routes``.

    Returns:
        The sentence: no usable route pays for itself, or why it has no usable route.
    """
    n_all, n_ok = counts[g]
    if n_ok:
        return _unprofitable(world, g, routes)
    if n_all:
        # The reason most of its routes share, as `evfab routes` gives it.
        rows = np.nonzero(routes.program == list(world.program_ids).index(g))[0]
        whys = [w for i in rows.tolist() for w in routes.templates[int(routes.template[i])].why]
        if not whys:
            return "Builds nothing: it has no usable route."
        main, k = Counter(whys).most_common(1)[0]
        if n_all == 1:
            rid = routes.templates[int(routes.template[rows[0]])].id
            why = f"its one route, {rid}, is not usable: {main}"
        elif k == n_all:
            why = f"none of its {n_all} routes is usable: {main}"
        else:
            why = f"none of its {n_all} routes is usable; the commonest reason, for {k}: {main}"
        return f"Builds nothing: it has no usable route ({why})."
    return f"Builds nothing: it has no route at all: {why_no_route(world, g)}."


def _unprofitable(world: World, g: str, routes: RouteTable) -> str:
    """Why a program with usable routes builds nothing: the cheapest per car against the
    margin lost per car unbuilt."""
    gi = list(world.program_ids).index(g)
    usable = routes.arrays.usable[routes.template]
    rows = np.nonzero((routes.program == gi) & usable)[0]
    wanted = np.nonzero(world.demand[gi] > 0)[0]
    first = int(world.years[wanted[0]]) if len(wanted) else None
    ts = [routes.templates[int(routes.template[i])] for i in rows.tolist()]
    want = world.demand[gi] > 0
    dead = [
        t
        for t in ts
        if first is not None
        and t.timing is not None
        and t.timing.deadline is not None
        and lapses_unused(world, t.timing.deadline, t.earliest_sop, want)
    ]
    if dead and len(dead) == len(ts):
        # Cars are built only against demand: none can keep such a licence alive.
        t = dead[0]
        assert t.timing is not None and t.timing.deadline is not None
        return (
            f"Builds nothing: its usable routes rest on licence {t.licence}, which the "
            f"dormancy rule withdraws on {t.timing.deadline.isoformat()} unless cars are built "
            f"under it before then, and the program wants "
            f"{lapses_unused(world, t.timing.deadline, t.earliest_sop, want)}."
        )
    per_car = routes.arrays.unit_cost[routes.template[rows]] + routes.logistics(rows)
    best = int(np.argmin(per_car))
    t = routes.templates[int(routes.template[rows[best]])]
    margin = float(world.column("programs", "lost_margin")[gi])
    cur = world.currency
    cost = f"the cheapest per car, {t.id}, costs {per_car[best]:,.0f} {cur} a car"
    if margin <= 0 and not per_car[best] and not t.fixed_cost:
        return (
            "Builds nothing: the program loses nothing per car unbuilt, and its cheapest "
            f"route, {t.id}, costs nothing either: built or not, the cost is the same, and "
            "the plan left it unbuilt."
        )
    if margin <= 0:
        # Nothing is lost unbuilt: not even free cars pay back a one-off cost.
        return (
            "Builds nothing: the program loses nothing per car unbuilt (no lost_margin, no "
            f"min_fill), so no route's costs are worth paying ({cost}, "
            f"{money(t.fixed_cost)} {cur} one-off)."
        )
    if per_car[best] >= margin:
        return (
            f"Builds nothing: no usable route pays for itself: {cost}, against "
            f"{margin:,.0f} {cur} of margin lost per car unbuilt."
        )
    one_off = t.fixed_cost
    why = "the plan gives the capacity of its routes to programs that lose more per car"
    if one_off > 0:
        why += f", or finds their one-off costs (from {money(one_off)} {cur}) not worth the cars"
    return (
        f"Builds nothing: {cost}, less than the {margin:,.0f} {cur} lost per car unbuilt, "
        f"but {why}."
    )


def _why_not_alone(world: World, g: str, rid: str, routes: RouteTable, status: str) -> str:
    """Why no plan uses only route ``rid`` for program ``g`` (the re-solve's status)."""
    if status != "infeasible":
        return f"its re-solve ended {status.replace('_', ' ')}"
    gi = list(world.program_ids).index(g)
    rows = np.nonzero(routes.program == gi)[0]
    t = next(
        (
            routes.templates[int(routes.template[i])]
            for i in rows.tolist()
            if routes.templates[int(routes.template[i])].id == rid
        ),
        None,
    )
    c = str(world.column("programs", "company")[gi])
    budget = world.column("companies", "capital_budget")[list(world.company_ids).index(c)]
    if t is not None and budget is not None and budget == budget:
        spend = t.fixed_cost
        if spend > float(budget):
            return (
                f"its one-off costs of {money(spend)} {world.currency} exceed "
                f"{world.company_name(c)}'s capital budget of {money(float(budget))} {world.currency}"
            )
    if any(float(f) > 0 for f in world.column("programs", "min_fill")):
        return "with it alone, some program's minimum production (min_fill) cannot be met"
    return "no plan satisfies every constraint with it alone"


def why_no_route(world: World, g: str) -> str:
    """Why a program has no route: no licence option, no plant option, or none that pair."""
    derived = len(route_table(world, g).program)
    if derived:
        return f"the planner was given none of its {derived} routes (see `evfab routes`)"
    prog = world.program_rows[g]
    c, scope = str(prog["company"]), str(prog["scope"])
    who = world.company_name(c) + (" or its group" if len(world.affiliates(c)) > 1 else "")
    sw = world.for_scope(scope)
    lics = _licence_options(sw, c, scope, sw.policy_at(sw.as_of))
    plants = _plant_options(sw, c)
    held = ", ".join(dict.fromkeys(lic.licence_id for lic in lics))
    if not lics and not plants:
        return f"{who} holds no {scope} licence and has no plant, and no offer to it brings either"
    if not lics:
        return (
            f"{who} holds no {scope} licence, and no offer to it brings one (an application, a "
            "licensed company to buy, contract manufacturing or a partner's licence)"
        )
    if not plants:
        return (
            f"{who} has a licence ({held}) but no plant, and no offer to it brings one (a plant "
            "to build, a stake, a company with plants, or contract manufacturing)"
        )
    names = ", ".join(dict.fromkeys(p.plant for p in plants))
    return f"none of {who}'s licences ({held}) can be used at its plants ({names})"


__all__ = [
    "ALTERNATIVE_COLUMNS",
    "NOT_PRICED",
    "SHORTFALL_COLUMNS",
    "alternatives",
    "capacity_values",
    "explain_choices",
    "not_priced",
    "nothing_built",
    "route_counts",
    "shortfalls",
    "shortfalls_when_infeasible",
    "unusable_reasons",
    "why_no_route",
]
