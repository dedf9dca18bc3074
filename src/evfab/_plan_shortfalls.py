"""Shortfalls of a plan in domain words: where missing cars could come from, and why an
infeasible plan cannot meet its programs' minimums.

Capacity is counted once per plant (at most the plant's free capacity), and what the plan
already builds at a plant is not offered as idle there. An infeasible plan's model is
re-solved with the minimums relaxed (which program-years fall short, by how much), then
with one family of rows made breakable at a price (every capital budget, or every
exclusion between offers), every other cost dropped: a plan that breaks the least shows
which budget or which pair of offers keeps the minimums out of reach, and what meeting
them would take. These re-solves are small next to the plan's own.
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
from evfab._highs import SolveStatus, solve
from evfab._plan_inputs import free_from_as_of
from evfab._plan_model import FloatArray, IntArray, Milp, PlanInputs
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
    plant_ids: list[str]
    program_pos: dict[str, int] = field(default_factory=dict)
    made: dict[str, list[Route]] = field(default_factory=dict)
    legal: dict[int, tuple[FloatArray, FloatArray]] = field(default_factory=dict)
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
            self.legal[gi] = _usable_capacity(self.d, self.plan_routes(gi))
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
    built = [i for i, pid in enumerate(ids) if world.plant(pid)["status"] != "planned"]
    if built:
        keys: list[tuple[str, dt.date | None]] = [(ids[i], None) for i in built]
        # From as_of on, as the planner counts it (a part-year first year).
        free[built] = free_from_as_of(world, keys, np.array(built, np.int64))[0]
    if used is not None:
        # What the plan already builds at a plant is not idle there.
        free = np.clip(free - used, 0.0, None)
    pos = {str(g): i for i, g in enumerate(world.program_ids)}
    return _Context(routes, d, free, ids, pos)


def _plant_capacity(d: PlanInputs) -> FloatArray:
    """Free capacity of each plan plant by year, with every extra module a build offer allows."""
    cap = d.plant_free.copy()
    o = np.nonzero(d.module_plant >= 0)[0]
    np.add.at(cap, d.module_plant[o], d.module_max[o, None] * d.module_cap[o])
    return cap


def _usable_capacity(d: PlanInputs, rs: IntArray) -> tuple[FloatArray, FloatArray]:
    """Cars one program's usable routes ``rs`` can supply by year, and at how many plants.

    Each plant counts once, at most its free capacity: routes through one access (a
    contract, a stake, a purchase, or the company's own plant) share that access's
    capacity, and distinct accesses to one plant share the plant. A single-source program
    builds a year's cars at one plant: its best plant counts.
    """
    n_y = len(d.years)
    plants = np.unique(d.route_plant[rs])
    if len(plants) == 0:
        return np.zeros(n_y), np.zeros(n_y)
    plant_cap = _plant_capacity(d)
    per_plant = np.zeros((len(plants), n_y))
    for i, p in enumerate(plants.tolist()):
        at = rs[d.route_plant[rs] == p]
        keys = d.route_access[at]
        total = sum(d.route_cap[at[keys == k]].max(axis=0) for k in np.unique(keys))
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


def _where_from(world: World, g: str, year: int, ctx: _Context, limit: int = 5) -> list[str]:
    """Where missing capacity could come from, most promising first."""
    hints: list[str] = []
    mine = ctx.of_program(g)
    for r in mine:
        cap = r.capacity.get(year, 0)
        if not r.usable and cap > 0:
            hints.append(f"route {r.id} ({cap:,} cars in {year}), now blocked: {'; '.join(r.why)}")
        elif r.usable and cap == 0 and r.earliest_sop.year > year:
            hints.append(
                f"route {r.id} starts only {r.earliest_sop:%Y-%m}; faster deals would help"
            )
        elif r.usable and (end := r.timing and r.timing.until) and end.year <= year:
            hints.append(
                f"route {r.id}, whose agreement with {r.manufacturer_name} ends on "
                f"{end:%Y-%m-%d}; a renewal would help"
            )
    used = {r.plant for r in mine}
    y = year - int(world.years[0])
    if 0 <= y < len(world.years):
        col = ctx.free[:, y]
        order = np.argsort(-col, kind="stable")
        shown = 0
        for i in order:
            if col[i] < 0.5 or shown >= 3:
                break
            pid = ctx.plant_ids[i]
            if pid in used:
                continue
            op = world.company_name(str(world.plant(pid)["operator"]))
            hints.append(
                f"idle capacity at {pid} ({op}, {col[i]:,.0f} free in {year}) through a contract or stake"
            )
            shown += 1
    return hints[:limit]


def _explain_row(
    world: World,
    g: str,
    year: int,
    missing: float,
    demand: float,
    ctx: _Context,
    causes: list[str] | None = None,
) -> str:
    """One shortfall in words: the program's legal capacity that year, the ``causes``
    that keep it from that capacity (budgets, exclusions), and where cars could come from."""
    prog = world.program_rows[g]
    company = world.company_name(str(prog["company"]))
    cap, plants = ctx.capacity(g)
    y = year - int(world.years[0])
    legal = float(cap[y]) if 0 <= y < len(cap) else 0.0
    n = int(plants[y]) if 0 <= y < len(plants) else 0
    head = (
        f"{prog['name']} ({g}, {company}) in {year}: "
        f"{missing:,.0f} of {demand:,.0f} cars cannot be built; "
    )
    if not len(ctx.plan_routes(ctx.program_pos[g])):
        text = head + "it has no usable route."
    else:
        text = (
            head + f"usable routes offer at most {legal:,.0f} cars of legal capacity that year"
            f"{f', at {n} plant' + ('s' if n != 1 else '') if n else ''}."
        )
    if causes:
        text += " " + " ".join(causes)
    hints = _where_from(world, g, year, ctx)
    if hints:
        text += " Could come from: " + "; ".join(hints) + "."
    elif not causes:
        text += " No plant or offer in the scenario could supply them."
    return text


SHORTFALL_COLUMNS = ["program", "year", "missing", "explanation"]
"""Columns of :func:`shortfalls` and :func:`shortfalls_when_infeasible`."""


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
    rows = []
    for u in records(unmet):
        g, year = str(u["program"]), int(u["year"])
        y = year - int(world.years[0])
        causes = _causes_in_inputs(world, d, ix, ctx.plan_routes(ctx.program_pos[g]), y)
        text = _explain_row(world, g, year, float(u["cars"]), float(u["demand"]), ctx, causes)
        rows.append({"program": g, "year": year, "missing": float(u["cars"]), "explanation": text})
    return pd.DataFrame(rows, columns=SHORTFALL_COLUMNS)


def _route_id(ix: object, r: int) -> str:
    """Id of the plan's usable route ``r``."""
    view = ix.routes  # type: ignore[attr-defined]
    return str(view.table.ids[view.table.template[view.rows[r]]])


def _causes_in_inputs(world: World, d: PlanInputs, ix: object, mine: IntArray, y: int) -> list[str]:
    """Budgets and exclusions that keep one program's usable routes ``mine`` from their
    capacity in year index ``y``, read from the inputs alone (no re-solve).

    A route whose offers' fees alone exceed a taker's capital budget cannot be taken; two
    offers its routes need that exclude each other cannot both be.
    """
    offers: list[str] = ix.offers  # type: ignore[attr-defined]
    companies: list[str] = ix.companies  # type: ignore[attr-defined]
    rs = mine[d.route_cap[mine, y] > 0.5].tolist()
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
        fees = np.bincount(inv, weights=d.offer_fixed[flat][keep])
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
    v = m.vectors()
    u0, u1 = m.col_blocks["u"]
    upper = v["upper"].copy()
    demand = d.demand[m.u_program, m.u_year]
    upper[u0:u1] = demand
    # Price the shortfall heavily so the relaxed plan fills every minimum it can.
    lower = v["lower"]
    relaxed = _with_bounds(m, lower, upper)
    cost = v["cost"].copy()
    cost[u0:u1] += 1e3 * (1.0 + np.abs(cost).max(initial=1.0))
    relaxed = dataclasses.replace(relaxed, cost=[cost])
    res = solve(relaxed)
    rows = []
    if res.status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT):
        q0, q1 = m.col_blocks["q"]
        ctx = _context(world, routes, d, _use_of_columns(world, d, ix, m, res.col_value[q0:q1]))
        causes, every = binding_causes(world, d, ix, m)
        u = res.col_value[u0:u1]
        need = u - (1.0 - d.min_fill[m.u_program]) * demand
        for k in np.nonzero(need > 0.5)[0]:
            g = str(world.program_ids[m.u_program[k]])
            year = int(d.years[m.u_year[k]])
            text = _explain_row(
                world, g, year, float(need[k]), float(demand[k]), ctx, causes.get(g) or every
            )
            rows.append(
                {
                    "program": g,
                    "year": year,
                    "missing": float(need[k]),
                    "explanation": text
                    + f" The program must build at least {d.min_fill[m.u_program[k]]:.0%} of demand.",
                }
            )
    return pd.DataFrame(rows, columns=SHORTFALL_COLUMNS)


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
