"""Shortfalls of a plan in domain words: where missing cars could come from.

Capacity is counted once per plant (at most the plant's free capacity), and not after the
dormancy rule withdraws a route's licence unless cars can be built under it before then.
What the plan already builds at a plant is not offered as idle there; idle capacity is
offered only where the program could legally build (:mod:`evfab._plan_hints`). Why an
infeasible plan cannot meet its programs' minimums is :mod:`evfab._plan_infeasible`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evfab._fmt import money
from evfab._frames import empty_frame, records
from evfab._plan_hints import LegalHosts
from evfab._plan_inputs import free_from_as_of
from evfab._plan_model import BoolArray, FloatArray, IntArray, Milp, PlanInputs
from evfab._route_table import RouteTable
from evfab._world import World
from evfab.rules import Route


def _with_bounds(m: Milp, lower: FloatArray, upper: FloatArray) -> Milp:
    """A copy of ``m`` with new column bounds (blocks kept)."""
    return dataclasses.replace(m, lower=[lower], upper=[upper])


@dataclass(frozen=True)
class _Context:
    """Precomputed lookups for explaining many shortfalls quickly."""

    table: RouteTable
    d: PlanInputs
    free: FloatArray  # world plants x years: capacity left after the operator's load and the plan
    used: FloatArray  # world plants x years: what the plan builds there (or at most builds)
    planned: BoolArray  # world plants: not built yet (no free capacity of their own)
    route_cap: FloatArray  # plan routes x years: d.route_cap, none where a licence is lost
    plant_ids: list[str]
    hosts: LegalHosts
    program_pos: dict[str, int] = field(default_factory=dict)
    made: dict[str, list[Route]] = field(default_factory=dict)
    legal: dict[int, tuple[FloatArray, FloatArray]] = field(default_factory=dict)
    no_route: dict[str, str] = field(default_factory=dict)
    mine: dict[int, IntArray] = field(default_factory=dict)

    def of_program(self, g: str) -> list[Route]:
        """Routes of program ``g`` (made once)."""
        if g not in self.made:
            self.made[g] = self.table.of_program(g)
        return self.made[g]

    def capacity(self, g: str) -> tuple[FloatArray, FloatArray]:
        """Legal capacity of program ``g``'s usable routes by year, and its plants by year."""
        gi = self.program_pos[g]
        if gi not in self.legal:
            self.legal[gi] = _usable_capacity(self.d, self.plan_routes(gi), self.route_cap)
        return self.legal[gi]

    def plan_routes(self, gi: int) -> IntArray:
        """Positions of program ``gi``'s usable routes in the plan's arrays (found once)."""
        if gi not in self.mine:
            self.mine[gi] = np.nonzero(self.d.route_program == gi)[0]
        return self.mine[gi]


def _context(
    world: World, routes: RouteTable, d: PlanInputs, used: FloatArray | None = None
) -> _Context:
    """Lookups for :func:`_explain_row`; ``used`` is the plan's production by world plant
    and year (what it takes from a plant's free capacity), if known."""
    ids = list(world.plant_ids)
    free = np.zeros((len(ids), len(world.years)))
    planned = np.array([world.plant(pid)["status"] == "planned" for pid in ids], bool)
    built = np.nonzero(~planned)[0].tolist()
    if built:
        keys: list[tuple[str, dt.date | None]] = [(ids[i], None) for i in built]
        # From as_of on, as the planner counts it (a part-year first year).
        free[built] = free_from_as_of(world, keys, np.array(built, np.int64))[0]
    if used is None:
        used = np.zeros_like(free)
    # What the plan already builds at a plant is not idle there.
    free = np.clip(free - used, 0.0, None)
    pos = {str(g): i for i, g in enumerate(world.program_ids)}
    return _Context(routes, d, free, used, planned, _kept_capacity(d), ids, LegalHosts(world), pos)


def _plant_capacity(d: PlanInputs) -> FloatArray:
    """Free capacity of each plan plant by year, with every extra module a build offer allows."""
    cap = d.plant_free.copy()
    o = np.nonzero(d.module_plant >= 0)[0]
    np.add.at(cap, d.module_plant[o], d.module_max[o, None] * d.module_cap[o])
    return cap


def _kept_capacity(d: PlanInputs) -> FloatArray:
    """Each usable route's capacity by year, none after its keep year (``route_keep_year``)
    if no route under its licence can build a car by then.

    The dormancy rule withdraws such a licence unless at least a car is built under it,
    on any route of its group, in a year up to the keep year (see
    :func:`evfab._plan_model.add_keep_constraints`): a route builds there at most its
    capacity, its plant's and its program's demand.
    """
    on = d.route_keep_group >= 0
    if not on.any():
        return d.route_cap
    years = np.arange(len(d.years))
    upto = years[None, :] <= d.route_keep_year[:, None]
    most = np.minimum(d.route_cap, _plant_capacity(d)[d.route_plant])
    most = np.minimum(most, d.demand[d.route_program])
    cars = np.bincount(d.route_keep_group[on], weights=(most * upto)[on].sum(axis=1), minlength=1)
    lost = on.copy()
    lost[on] = cars[d.route_keep_group[on]] < 1.0 - 1e-6
    cap = d.route_cap.copy()
    cap[lost[:, None] & ~upto] = 0.0
    return cap


def _usable_capacity(
    d: PlanInputs, rs: IntArray, route_cap: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """Cars one program's usable routes ``rs`` can supply by year, and at how many plants.

    Each plant counts once, at most its free capacity: routes through one access (a
    contract, a stake, a purchase, or the company's own plant) share that access's
    capacity, and distinct accesses to one plant share the plant. A single-source program
    builds a year's cars at one plant: its best plant counts. ``route_cap`` is each route's
    capacity (:func:`_kept_capacity` by default: none once its licence is lost).
    """
    if route_cap is None:
        route_cap = _kept_capacity(d)
    n_y = len(d.years)
    plants = np.unique(d.route_plant[rs])
    if len(plants) == 0:
        return np.zeros(n_y), np.zeros(n_y)
    plant_cap = _plant_capacity(d)
    per_plant = np.zeros((len(plants), n_y))
    for i, p in enumerate(plants.tolist()):
        at = rs[d.route_plant[rs] == p]
        keys = d.route_access[at]
        total = sum(route_cap[at[keys == k]].max(axis=0) for k in np.unique(keys))
        per_plant[i] = np.minimum(total, plant_cap[p])
    count = (per_plant > 0.5).sum(axis=0).astype(np.float64)
    if d.single_source[d.route_program[rs[0]]]:
        return per_plant.max(axis=0), np.minimum(count, 1.0)
    return per_plant.sum(axis=0), count


def _plan_rows(world: World, ix: object) -> IntArray:
    """World row of each plan plant."""
    plants: list[str] = ix.plants  # type: ignore[attr-defined]
    return np.array([world.plant_row[p] for p in plants], np.int64).reshape(len(plants))


def _use_of_production(world: World, production: pd.DataFrame) -> FloatArray:
    """Cars a plan builds at each world plant and year, from its production table."""
    out = np.zeros((len(world.plant_ids), len(world.years)))
    if len(production):
        rows = np.array([world.plant_row[str(p)] for p in production["plant"]], np.int64)
        years = production["year"].to_numpy(np.int64) - int(world.years[0])
        np.add.at(out, (rows, years), production["cars"].to_numpy(np.float64))
    return out


def _use_of_columns(world: World, d: PlanInputs, ix: object, m: Milp, q: FloatArray) -> FloatArray:
    """Cars a solution's ``q`` columns build at each world plant and year."""
    out = np.zeros((len(world.plant_ids), len(world.years)))
    np.add.at(out, (_plan_rows(world, ix)[d.route_plant[m.q_route]], m.q_year), q)
    return out


def _use_bound(world: World, d: PlanInputs, ix: object, unmet: pd.DataFrame) -> FloatArray:
    """At most what a plan builds at each world plant and year, known only its unmet demand.

    A plant serves at most the met demand of the programs with a usable route there, and at
    most its capacity: free capacity net of this bound is never overstated.
    """
    met = d.demand.astype(np.float64).copy()
    if len(unmet):
        pos = {str(g): i for i, g in enumerate(world.program_ids)}
        g = np.array([pos[str(x)] for x in unmet["program"]], np.int64)
        y = unmet["year"].to_numpy(np.int64) - int(world.years[0])
        np.subtract.at(met, (g, y), unmet["cars"].to_numpy(np.float64))
    serves = np.zeros((len(d.plant_free), len(d.demand)))
    serves[d.route_plant, d.route_program] = 1.0
    out = np.zeros((len(world.plant_ids), len(world.years)))
    out[_plan_rows(world, ix)] = np.minimum(serves @ np.clip(met, 0.0, None), _plant_capacity(d))
    return out


def _room(ctx: _Context, plant: int, y: int, cap: float) -> float:
    """Cars a route of capacity ``cap`` could add at world plant row ``plant`` in year index
    ``y``: at most the free capacity the plan leaves there (a plant yet to be built has
    none of its own: the route's capacity, less what the plan builds there)."""
    if not 0 <= y < ctx.free.shape[1]:
        return 0.0
    if ctx.planned[plant]:
        return max(cap - float(ctx.used[plant, y]), 0.0)
    return min(cap, float(ctx.free[plant, y]))


def _where_from(world: World, g: str, year: int, ctx: _Context, limit: int = 5) -> list[str]:
    """Where missing capacity could come from, most promising first.

    A blocked route offers at most the capacity the plan leaves free at its plant, and
    idle capacity is offered only at plants where the program could legally build that
    year (see :class:`evfab._plan_hints.LegalHosts`); a hint that adds no car is left out.
    """
    hints: list[str] = []
    mine = ctx.of_program(g)
    y = year - int(world.years[0])
    for r in mine:
        cap = r.capacity.get(year, 0)
        if not r.usable and cap > 0:
            room = _room(ctx, world.plant_row[r.plant], y, float(cap))
            if room >= 1.0:
                hints.append(
                    f"route {r.id} ({room:,.0f} cars in {year}), now blocked: {'; '.join(r.why)}"
                )
        elif r.usable and cap == 0 and r.earliest_sop.year > year:
            hints.append(f"route {r.id}, which starts only {r.earliest_sop:%Y-%m} ({r.sop_driver})")
        elif r.usable and (end := r.timing and r.timing.until) and end.year <= year:
            hints.append(
                f"route {r.id}, whose agreement with {r.manufacturer_name} ends on "
                f"{end:%Y-%m-%d}; a renewal would help"
            )
    used = {r.plant for r in mine}
    prog = world.program_rows[g]
    company, scope = str(prog["company"]), str(prog["scope"])
    if 0 <= y < len(world.years):
        col = ctx.free[:, y]
        order = np.argsort(-col, kind="stable")
        shown = 0
        for i in order:
            if col[i] < 1.0 or shown >= 3:
                break
            pid = ctx.plant_ids[i]
            if pid in used:
                continue
            op = str(world.plant(pid)["operator"])
            how = ctx.hosts.ways(company, scope, op, year)
            if not how:
                continue
            hints.append(
                f"idle capacity at {pid} ({world.company_name(op)}, {col[i]:,.0f} free in "
                f"{year}) {how}"
            )
            shown += 1
    return hints[:limit]


def _no_route(world: World, g: str, ctx: _Context) -> str:
    """Why program ``g`` has no usable route, as the plan's explanations say it (made once)."""
    if g not in ctx.no_route:
        # Imported here: the explanations import this module.
        from evfab._plan_explain import nothing_built, route_counts

        said = nothing_built(world, g, ctx.table, route_counts(world, ctx.table))
        ctx.no_route[g] = said.removeprefix("Builds nothing: ")
    return ctx.no_route[g]


def _explain_row(
    world: World,
    g: str,
    year: int,
    missing: float,
    demand: float,
    ctx: _Context,
    causes: list[str] | None = None,
    min_fill: float = 0.0,
    others: str = "",
) -> str:
    """One shortfall in words: the ``missing`` cars that cannot be built (and, given the
    program's ``min_fill``, how many of them are below its required minimum), its legal
    capacity that year, the ``causes`` that keep it from that capacity (budgets,
    exclusions), what ``others`` build there (:func:`_others_there`), and where cars could
    come from."""
    prog = world.program_rows[g]
    company = world.company_name(str(prog["company"]))
    cap, plants = ctx.capacity(g)
    y = year - int(world.years[0])
    legal = float(cap[y]) if 0 <= y < len(cap) else 0.0
    n = int(plants[y]) if 0 <= y < len(plants) else 0
    head = f"{prog['name']} ({g}, {company}) in {year}: "
    head += f"{missing:,.0f} of {demand:,.0f} cars cannot be built"
    if min_fill > 0.0:
        below = missing - (1.0 - min_fill) * demand
        head += (
            f", {below:,.0f} below the minimum: the program must build at least "
            f"{min_fill:.0%} of demand ({min_fill * demand:,.0f} cars)"
        )
    head += "; "
    if not len(ctx.plan_routes(ctx.program_pos[g])):
        text = head + _no_route(world, g, ctx)
    else:
        text = (
            head + f"usable routes offer at most {legal:,.0f} cars of legal capacity that year"
            f"{f', at {n} plant' + ('s' if n != 1 else '') if n else ''}."
        )
    if causes:
        text += " " + " ".join(causes)
    if others:
        text += " " + others
    hints = _where_from(world, g, year, ctx)
    if hints:
        text += " Could come from: " + "; ".join(hints) + "."
    elif not causes:
        # A budget or an exclusion says what to change; other programs' cars do not.
        text += f" No {'other ' if others else ''}plant or offer in the scenario could supply them."
    return text


SHORTFALL_COLUMNS = ["program", "year", "missing", "explanation"]
"""Columns of :func:`shortfalls` (and of an infeasible plan's shortfalls)."""


def shortfalls(
    world: World,
    d: PlanInputs,
    ix: object,
    unmet: pd.DataFrame,
    routes: RouteTable,
    production: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Explain every program-year with unmet demand.

    Args:
        world: The compiled world.
        d: Planner arrays.
        ix: Index of ids.
        unmet: The plan's unmet-demand table.
        routes: Every route.
        production: The plan's production table: what it builds at each plant is not
            offered as idle capacity there. Without it, idle capacity is net of the most
            the plan could build at each plant (never overstated, maybe understated).

    Returns:
        Columns program, year, missing, explanation.
    """
    if not len(unmet):
        return empty_frame(SHORTFALL_COLUMNS)
    used = (
        _use_of_production(world, production)
        if production is not None
        else _use_bound(world, d, ix, unmet)
    )
    ctx = _context(world, routes, d, used)
    by_plant = (
        _cars_by_plant(
            production["plant"], production["year"], production["program"], production["cars"]
        )
        if production is not None
        else {}
    )
    rows = []
    for u in records(unmet):
        g, year = str(u["program"]), int(u["year"])
        y = year - int(world.years[0])
        causes = _causes_in_inputs(
            world, d, ix, ctx.plan_routes(ctx.program_pos[g]), y, ctx.route_cap
        )
        others = _others_there(ctx, by_plant, g, year) if by_plant else ""
        text = _explain_row(
            world, g, year, float(u["cars"]), float(u["demand"]), ctx, causes, others=others
        )
        rows.append({"program": g, "year": year, "missing": float(u["cars"]), "explanation": text})
    return pd.DataFrame(rows, columns=SHORTFALL_COLUMNS)


ByPlant = dict[tuple[str, int], dict[str, float]]
"""A plan's cars by (plant, year), by program."""


def _cars_by_plant(plants: Any, years: Any, programs: Any, cars: Any) -> ByPlant:
    """A plan's cars by (plant, year), by program, from one entry per production row (any
    sequences of equal length)."""
    # NOTE: summed once: a filter of the production table per shortfall row took 7 of 9 s
    # of a 2,000-program plan's post-processing.
    frame = pd.DataFrame({"plant": plants, "year": years, "program": programs, "cars": cars})
    sums = frame[frame["cars"] > 0.0].groupby(["plant", "year", "program"])["cars"].sum()
    out: ByPlant = {}
    for (plant, when, h), c in zip(sums.index.tolist(), sums.tolist(), strict=True):
        out.setdefault((str(plant), int(when)), {})[str(h)] = float(c)
    return out


def _others_there(
    ctx: _Context, by_plant: ByPlant, g: str, year: int, lead: str = "Other programs build"
) -> str:
    """How many cars other programs build, in ``year``, at the plants where program ``g``
    has a usable route with capacity then, and which build most ("" if none), after
    ``lead``; ``by_plant`` holds the plan's cars (:func:`_cars_by_plant`)."""
    plants = {r.plant for r in ctx.of_program(g) if r.usable and r.capacity.get(year, 0) > 0}
    by_other: dict[str, float] = {}
    for p in plants:
        for h, c in by_plant.get((p, year), {}).items():
            if h != g:
                by_other[h] = by_other.get(h, 0.0) + c
    cars = sum(by_other.values())
    if cars < 0.5:
        return ""
    n = len(plants)
    where = "its plant" if n == 1 else f"its {n} plants"
    return f"{lead} {cars:,.0f} cars at {where} that year{_most(by_other)}."


OTHERS_NAMED = 3
"""Most programs a shortfall names among those that build at its plants."""


def _most(by_other: dict[str, float]) -> str:
    """The programs that build most of ``by_other``'s cars, as a parenthesis: ``(g2)`` for
    one, ``(g2 80,000, g3 20,000 and 2 more)`` for several; "" for none."""
    top = sorted((h for h, c in by_other.items() if c >= 0.5), key=lambda h: (-by_other[h], h))
    if not top:
        return ""
    if len(top) == 1:
        return f" ({top[0]})"
    named = ", ".join(f"{h} {by_other[h]:,.0f}" for h in top[:OTHERS_NAMED])
    more = len(top) - OTHERS_NAMED
    return f" ({named}{f' and {more} more' if more > 0 else ''})"


def _route_id(ix: object, r: int) -> str:
    """Id of the plan's usable route ``r``."""
    view = ix.routes  # type: ignore[attr-defined]
    return str(view.table.ids[view.table.template[view.rows[r]]])


def _module_capex(d: PlanInputs, route_of: IntArray, offer: IntArray) -> FloatArray:
    """Capex of the extra modules each (route, offer) pair must build: a route's build offer
    pays for the modules its plant needs to reach a new licence's minimum capacity."""
    out = np.zeros(len(offer))
    if not len(d.route_min_modules):
        return out
    need = d.route_min_modules[route_of]
    has = np.nonzero(need > 0)[0]
    if len(has):
        build = d.access_offer[d.route_access[route_of[has]]] == offer[has]
        out[has] = np.where(build, need[has] * d.module_fee[offer[has]], 0.0)
    return out


def _causes_in_inputs(
    world: World,
    d: PlanInputs,
    ix: object,
    mine: IntArray,
    y: int,
    route_cap: FloatArray | None = None,
) -> list[str]:
    """Budgets and exclusions that keep one program's usable routes ``mine`` from their
    capacity in year index ``y`` (``route_cap``, by default ``d.route_cap``), read from the
    inputs alone (no re-solve).

    A route whose offers' fees alone exceed a taker's capital budget cannot be taken; two
    offers its routes need that exclude each other cannot both be.
    """
    offers: list[str] = ix.offers  # type: ignore[attr-defined]
    companies: list[str] = ix.companies  # type: ignore[attr-defined]
    cap = d.route_cap if route_cap is None else route_cap
    rs = mine[cap[mine, y] > 0.5].tolist()
    needs = {r: d.route_offer_idx[d.route_offer_ptr[r] : d.route_offer_ptr[r + 1]] for r in rs}
    flat = np.concatenate(list(needs.values())) if needs else np.zeros(0, np.int64)
    out = []
    blocked: dict[int, list[tuple[float, int]]] = {}  # company -> (fees, route) over its budget
    # Fees per (route, taker) where the taker has a budget; most takers have none.
    n_c = len(d.budget)
    route_of = np.repeat(np.array(rs, np.int64), [len(n) for n in needs.values()])
    taker = d.offer_company[flat]
    keep = np.isfinite(d.budget[taker])
    if keep.any():
        keys, inv = np.unique(route_of[keep] * n_c + taker[keep], return_inverse=True)
        fees = np.bincount(
            inv, weights=(d.offer_fixed[flat] + _module_capex(d, route_of, flat))[keep]
        )
        over = fees > d.budget[keys % n_c] + 0.5
        for key, fee in zip(keys[over].tolist(), fees[over].tolist(), strict=True):
            blocked.setdefault(key % n_c, []).append((fee, key // n_c))
    for c, over in blocked.items():
        fee, r = min(over)
        which = (
            "its only route"
            if len(rs) == 1
            else "each of its routes"
            if len(over) == len(rs)
            else f"{len(over)} of its {len(rs)} routes"
        )
        cheapest = "" if len(over) == 1 else "the cheapest, "
        out.append(
            f"{world.company_name(companies[c])}'s capital budget of {money(float(d.budget[c]))} "
            f"{world.currency} is below the one-off fees of {which} with capacity that year "
            f"({cheapest}{_route_id(ix, r)}, needs {money(fee)})."
        )
    needed = set(flat.tolist())
    for a, b in d.exclusive.tolist() if needed else ():
        if a in needed and b in needed:
            out.append(
                f"Offers {offers[a]} and {offers[b]}, which its routes need, exclude each other."
            )
    return out
