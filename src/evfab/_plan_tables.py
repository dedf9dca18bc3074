"""A solved plan's tables: what can be prepared during the solve, then the write-back.

:func:`prepare` gathers everything the tables need that does not depend on the solution
(ids, capacities, cost coefficients, the reasons unusable routes are unusable, the model's
size). :func:`prepare_beside` runs it on the helper thread (:mod:`evfab._beside`) while
HiGHS solves: HiGHS releases the GIL, so on a machine with a spare core that work costs no
wall time. :func:`write_back`
then only picks and sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from evfab._beside import Beside
from evfab._frames import empty_frame, frame, text_column
from evfab._gc import paused_gc
from evfab._highs import Solution
from evfab._plan_deals import DEAL_COLUMNS
from evfab._plan_explain import ALTERNATIVE_COLUMNS, SHORTFALL_COLUMNS, unusable_reasons
from evfab._plan_inputs import free_from_as_of
from evfab._plan_model import FloatArray, IntArray, Milp, PlanInputs
from evfab._world import World

if TYPE_CHECKING:
    from evfab._plan_inputs import Index


ObjArray = npt.NDArray[np.object_]

UNMET_COLUMNS = ["program", "year", "cars", "demand"]
ABOUT_TEXT = ("manufacturer", "badge", "plant", "offers", "weakest_status")
"""The text columns of :attr:`Prepared.route_about`."""
VALUE_COLUMNS = ["plant", "year", "value_per_car", "binding"]

_COST_NAMES = (
    "one-off fees, prices and capex",
    "badge waivers",
    "production at plants",
    "per-car fees to partners",
    "logistics",
    "lost margin on unmet demand",
)


@dataclass(frozen=True)
class Prepared:
    """The tables' inputs that do not depend on the solution.

    Attributes:
        program_ids: Program id of each program position.
        route_ids: Route id of each usable route.
        route_about: The choices table's columns that describe a route (manufacturer,
            badge, plant, offers, earliest_sop, weakest_status, warnings), for each usable
            route.
        route_offers: Positions in ``ix.offers`` of the offers each usable route needs,
            flattened (with ``route_of_offer``, the usable route of each).
        text: The tables' text columns to pick rows from (:func:`evfab._frames.text_column`):
            per usable route ``route``, ``route_program``, ``route_plant`` and the text
            keys of ``route_about``; ``program`` per program; ``offer``, ``kind`` and
            ``to`` per needed offer; ``util_plant`` per utilization row; ``category`` per
            row of the costs table.
        gates: :func:`gates` of the model.
        offer_kind: Kind of each needed offer.
        util_unreached: Utilization rows (plant-years with capacity) of the existing
            plants no usable route reaches (idle capacity the plan cannot use); they come
            after those of the plants of the model's routes (``util_at``).
        util_year: Year of each utilization row.
        util_at: (plant, year) positions of the rows of the model's plants (the first ones).
        util_committed: The host's committed load of each row, cars.
        util_capacity: Capacity of each row, cars.
        util_routes: Usable routes that can build at each row's plant.
        cost_terms: Per cost category: its name and its terms, each (column block or
            "modules", undiscounted and discounted coefficients per column of the block),
            currency per unit.
        unusable: Program id -> sentences on its unusable routes.
        size: Rows, columns, nonzeros, integers and routes of the model.
        owners: :func:`owners` of the world.
        blank: Empty tables, typed, for what a plan may not have: ``unmet`` (no
            shortfall), ``shortfalls`` (none to explain), ``capacity_values``,
            ``alternatives`` and ``deal_values`` (not asked for).

    A Prepared serves one :func:`write_back`: its blank tables, and the text columns of
    the utilization table's plants and the costs table's categories, go into the result
    as they are, not copied.
    """

    program_ids: ObjArray
    route_ids: ObjArray
    route_about: dict[str, ObjArray]
    route_offers: IntArray
    route_of_offer: IntArray
    gates: tuple[IntArray, IntArray]
    text: dict[str, Any]
    offer_kind: list[str]
    util_unreached: int
    util_year: IntArray
    util_at: tuple[IntArray, IntArray]
    util_committed: FloatArray
    util_capacity: FloatArray
    util_routes: IntArray
    cost_terms: list[tuple[str, list[tuple[str, FloatArray, FloatArray]]]]
    unusable: dict[str, list[str]]
    size: dict[str, int]
    owners: dict[str, Any]
    blank: dict[str, pd.DataFrame]


def prepare(world: World, d: PlanInputs, ix: Index, m: Milp) -> Prepared:
    """Everything :func:`write_back` needs that does not depend on the solution.

    Args:
        world: The compiled world.
        d: Planner arrays.
        ix: Ids behind the array positions.
        m: The model (before or during its solve).

    Returns:
        The prepared arrays.
    """
    tab = ix.table
    program_ids = np.array(ix.programs, dtype=object)
    plant_ids = np.array(ix.plants, dtype=object)
    offer_rows = [world.offer(o) for o in ix.offers]
    committed = ix.plant_committed
    capacity = d.plant_free + committed
    keep = capacity > 0
    pi, yi = np.nonzero(keep)
    routes_at = np.bincount(d.route_plant, minlength=len(ix.plants))[pi]
    # Existing plants that no usable route reaches: idle capacity a shortfall may point to
    # ("idle capacity at p8") belongs in the table too, built 0.
    others, other_free, other_committed = _unreached(world, ix.plants)
    o_keep = other_free + other_committed > 0
    oi, oy = np.nonzero(o_keep)
    route_ids = tab.ids[tab.template[ix.routes.rows]]
    about = _route_about(ix)
    offer_kind = [str(r["kind"]) for r in offer_rows]
    # NOTE: typed once here, beside the solve; the write-back picks rows from them
    # instead of checking every string of every table again.
    text = {
        "route": route_ids,
        "route_program": program_ids[d.route_program],
        "route_plant": plant_ids[d.route_plant],
        **{k: about[k] for k in ABOUT_TEXT},
        "program": program_ids,
        "offer": ix.offers,
        "kind": offer_kind,
        "to": [str(r["to"]) for r in offer_rows],
        "util_plant": np.concatenate([plant_ids[pi], others[oi]]),
        "category": [*_COST_NAMES, "total"],
    }
    return Prepared(
        program_ids=program_ids,
        route_ids=route_ids,
        route_about=about,
        route_offers=d.route_offer_idx,
        route_of_offer=np.repeat(np.arange(len(ix.routes)), np.diff(d.route_offer_ptr)),
        gates=gates(d, m),
        text={k: text_column(v) for k, v in text.items()},
        offer_kind=offer_kind,
        util_unreached=len(oi),
        util_year=np.concatenate([d.years[yi], d.years[oy]]),
        util_at=(pi, yi),
        util_committed=np.concatenate([committed[keep], other_committed[o_keep]]),
        util_capacity=np.concatenate([capacity[keep], (other_free + other_committed)[o_keep]]),
        util_routes=np.concatenate([routes_at, np.zeros(len(oi), np.int64)]),
        cost_terms=_cost_terms(d, ix, m),
        unusable=unusable_reasons(ix.programs, tab),
        size={
            "rows": m.n_row,
            "columns": m.n_col,
            "nonzeros": int(np.count_nonzero(np.concatenate(m.vals))) if m.vals else 0,
            "integers": int(m.integrality().sum()),
            "routes": len(ix.routes),
        },
        owners=owners(world),
        # NOTE: made here, beside the solve: a typed empty table costs 15-80 us, several
        # times more when made after a solve has left the caches cold.
        blank={
            "unmet": empty_frame(UNMET_COLUMNS, ["object", "int64", "float64", "float64"]),
            "capacity_values": empty_frame(VALUE_COLUMNS),
            "alternatives": empty_frame(ALTERNATIVE_COLUMNS),
            "deal_values": empty_frame(DEAL_COLUMNS),
            "shortfalls": empty_frame(SHORTFALL_COLUMNS),
        },
    )


def _route_about(ix: Index) -> dict[str, ObjArray]:
    """What the choices table says about each usable route, as arrays to pick from."""
    tab = ix.table
    rows = ix.routes.rows
    ts = tab.templates
    per_template: dict[str, list[Any]] = {
        "manufacturer": [t.manufacturer_name for t in ts],
        "badge": [t.badge for t in ts],
        "plant": [t.plant for t in ts],
        "offers": [", ".join(t.offers) for t in ts],
        "earliest_sop": [t.earliest_sop for t in ts],
    }
    of = tab.template[rows]
    out = {k: _objects(v)[of] for k, v in per_template.items()}
    out["weakest_status"], out["warnings"] = tab.statuses(rows)
    return out


def _objects(values: list[Any]) -> ObjArray:
    """A 1-D object array of ``values`` (tuples stay cells, not rows)."""
    return np.fromiter(values, dtype=object, count=len(values))


def owners(world: World) -> dict[str, Any]:
    """:attr:`PlanResult.program_company` and :attr:`PlanResult.program_takers`."""
    company = dict(
        zip(world.program_ids, map(str, world.column("programs", "company")), strict=True)
    )
    return {
        "program_company": company,
        "program_takers": {g: tuple(sorted(world.affiliates(c))) for g, c in company.items()},
    }


def _unreached(world: World, reached: list[str]) -> tuple[ObjArray, FloatArray, FloatArray]:
    """The existing (not planned) plants outside ``reached``: their ids, free capacity and
    committed load by year (P, Y) each."""
    seen = set(reached)
    rows = [
        i
        for i, pid in enumerate(world.plant_ids)
        if pid not in seen and world.plant(pid)["status"] != "planned"
    ]
    ids = np.array([world.plant_ids[i] for i in rows], dtype=object)
    if not rows:
        n_y = len(world.years)
        return ids, np.zeros((0, n_y)), np.zeros((0, n_y))
    free, committed = free_from_as_of(
        world, [(str(world.plant_ids[i]), None) for i in rows], np.array(rows, np.int64)
    )
    return ids, free, committed


def _cost_terms(
    d: PlanInputs, ix: Index, m: Milp
) -> list[tuple[str, list[tuple[str, FloatArray, FloatArray]]]]:
    """Cost coefficients per category and column block, undiscounted and discounted."""
    r, y = m.q_route, m.q_year
    plant_cost, logistics = ix.plant_cost, ix.logistics
    fees = d.route_unit_cost - plant_cost - logistics
    df = d.discount
    lost = d.lost_margin[m.u_program]
    # "modules" is the number of modules built per offer, not a column block (modules_built).
    return list(
        zip(
            _COST_NAMES,
            [
                [
                    ("x", d.offer_fixed, d.offer_fixed * df[d.offer_year]),
                    ("modules", d.module_fee, d.module_fee * df[d.offer_year]),
                ],
                [("w", d.waiver_fee, d.waiver_fee * df[d.offer_year[d.waiver_offer]])],
                [("q", plant_cost[r], plant_cost[r] * df[y])],
                [("q", fees[r], fees[r] * df[y])],
                [("q", logistics[r], logistics[r] * df[y])],
                [("u", lost, lost * df[m.u_year])],
            ],
            strict=True,
        )
    )


def prepare_beside(world: World, d: PlanInputs, ix: Index, m: Milp) -> Beside[Prepared]:
    """:func:`prepare` as a held job for the helper thread (:mod:`evfab._beside`): call
    ``go()`` on it just before the solve."""
    # NOTE: HiGHS solves a small MILP on one core; what the tables need besides the
    # solution is made on the other meanwhile. On cap71 the write-back fell from 0.127 to
    # 0.117 of the solve's time (BENCHMARKS.md). Without a spare core the work competes
    # with HiGHS, costing what it did before plus the hand-over (~0.01 ms).
    return Beside(lambda: prepare(world, d, ix, m), held=True)


def gates(d: PlanInputs, m: Milp) -> tuple[IntArray, IntArray]:
    """The switches production columns sit behind, as pairs: each (position in the
    production block, switch column) of a route's switch, a single-source program's
    plant-year switch and, after its keep year, a kept licence's switch."""
    z = m.z_of_route[m.q_route]
    gate = np.nonzero(z >= 0)[0]
    qs, switches = [gate], [z[gate]]
    if len(m.s_q):
        qs.append(m.s_q)
        switches.append(m.s_col_of_q)
    if len(m.k_route):
        k = m.k_of_route[m.q_route]
        after = np.nonzero((k >= 0) & (m.q_year > d.route_keep_year[m.q_route]))[0]
        qs.append(after)
        switches.append(k[after])
    return np.concatenate(qs), np.concatenate(switches)


def gated(
    d: PlanInputs, m: Milp, v: FloatArray, pairs: tuple[IntArray, IntArray] | None = None
) -> FloatArray:
    """Column values with no production behind a switch that is off.

    HiGHS accepts a binary within 1e-6 of 0 or 1, so ``q <= big * s`` lets a fraction of a
    car through a closed switch (a single-source program built 0.0003 cars at a second
    plant). Where a route's switch, a single-source program's plant-year switch or a kept
    licence's switch rounds to 0, its production is 0, and the fraction goes to the
    program's largest open production that year (within the solver's tolerance of its
    limits), or, with none, to unmet demand: as unmet it read "0 of 17,062 cars cannot be
    built". Returns ``v`` itself when nothing leaked.

    Args:
        d: Planner arrays.
        m: The model.
        v: Its column values.
        pairs: :func:`gates` of ``d`` and ``m``, if made already.

    Returns:
        The column values.
    """
    q0, q1 = m.col_blocks["q"]
    q = v[q0:q1]
    off = np.zeros(q1 - q0, bool)
    qs, switches = gates(d, m) if pairs is None else pairs
    off[qs[v[switches] < 0.5]] = True
    leak = off & (q != 0)
    if not leak.any():
        return v
    out = v.copy()
    n_years = len(d.years)
    group = d.route_program[m.q_route] * n_years + m.q_year  # program-year of each column
    # The largest open production column of each program-year, if any.
    open_q = np.nonzero(~off & (q > 0))[0]
    best = np.full(len(d.lost_margin) * n_years, -1, np.int64)
    order = open_q[np.argsort(q[open_q], kind="stable")]
    best[group[order]] = order  # the largest is written last
    u0, u1 = m.col_blocks["u"]
    u_of = np.full(len(d.lost_margin) * n_years, -1, np.int64)
    u_of[m.u_program * n_years + m.u_year] = np.arange(u0, u1)
    cols = leak.nonzero()[0]
    to = np.where(best[group[cols]] >= 0, q0 + best[group[cols]], u_of[group[cols]])
    has = to >= 0
    np.add.at(out, to[has], q[cols][has])
    out[q0 + cols] = 0.0
    return out


def modules_built(d: PlanInputs, m: Milp, v: FloatArray) -> FloatArray:
    """Modules built per offer (0 where an offer has none)."""
    out = np.zeros(len(d.module_max))
    out[m.m_offer] = np.round(v[m.m_of_offer[m.m_offer]])
    return out


@paused_gc()
def write_back(
    d: PlanInputs, ix: Index, m: Milp, sol: Solution, p: Prepared
) -> tuple[dict[str, list[Any]], dict[str, pd.DataFrame], dict[str, int]]:
    """Turn column values into the plan's tables (and the chosen routes as columns).

    Args:
        d: Planner arrays.
        ix: Ids behind the array positions.
        m: The model.
        sol: Its solution (with column values).
        p: What :func:`prepare` made for this model.

    Returns:
        The chosen routes as columns; the tables production, unmet, choices, offers,
        utilization and costs; and the extra modules built per offer of the offers table
        that builds any.
    """
    years = d.years
    v = sol.col_value
    q0, q1 = m.col_blocks["q"]
    u0, u1 = m.col_blocks["u"]
    x0, x1 = m.col_blocks["x"]
    q = np.round(v[q0:q1], 6)
    u = np.round(v[u0:u1], 6)
    x = v[x0:x1] > 0.5
    used = q > 1e-6
    qr, qy = m.q_route[used], m.q_year[used]
    t = p.text
    production = frame(
        {
            "program": t["route_program"].take(qr),
            "route": t["route"].take(qr),
            "plant": t["route_plant"].take(qr),
            "year": years[qy],
            "cars": q[used],
        },
        text=("program", "route", "plant"),
    )
    short = u > 1e-6
    unmet = (
        frame(
            {
                "program": t["program"].take(m.u_program[short]),
                "year": years[m.u_year[short]],
                "cars": u[short],
                "demand": d.demand[m.u_program[short], m.u_year[short]],
            },
            text=("program",),
        )
        if short.any()
        else p.blank["unmet"]
    )
    cars_by_route = np.bincount(qr, weights=q[used], minlength=len(ix.routes))
    # The first year with a whole car: a fraction of a car (a solver's rounding) in an
    # earlier year said "first production 2026" of a route that starts building in 2028.
    first_year = np.full(len(ix.routes), 10**6, np.int64)
    whole = q[used] >= 0.5
    np.minimum.at(first_year, qr[whole], years[qy[whole]])
    if not whole.all():
        any_car = np.full(len(ix.routes), 10**6, np.int64)
        np.minimum.at(any_car, qr, years[qy])
        first_year = np.where(first_year < 10**6, first_year, any_car)
    chosen = np.nonzero(cars_by_route > 1e-6)[0]
    # Chosen routes are described from what prepare() picked out of their templates.
    about = {k: col[chosen].tolist() for k, col in p.route_about.items()}
    choice_cols: dict[str, list[Any]] = {
        "program": p.program_ids[d.route_program[chosen]].tolist(),
        "route": p.route_ids[chosen].tolist(),
        "manufacturer": about["manufacturer"],
        "badge": about["badge"],
        "plant": about["plant"],
        "offers": about["offers"],
        "first_year": first_year[chosen].tolist(),
        "earliest_sop": about["earliest_sop"],
        "cars": cars_by_route[chosen].tolist(),
        "weakest_status": about["weakest_status"],
        "warnings": [list(x) for x in about["warnings"]],
    }
    choices = (
        frame(
            choice_cols
            | {
                "program": t["route_program"].take(chosen),
                "route": t["route"].take(chosen),
                **{k: t[k].take(chosen) for k in ABOUT_TEXT},
            },
            text=("program", "route", *ABOUT_TEXT),
        )
        if len(chosen)
        else empty_frame(list(choice_cols))
    )
    modules = modules_built(d, m, v)
    # A free offer may come out as taken without being used; only used ones are reported.
    used_route = np.zeros(len(ix.routes), bool)
    used_route[chosen] = True
    taken = np.zeros(len(ix.offers), bool)
    taken[p.route_offers[used_route[p.route_of_offer]]] = True
    shown = np.nonzero(x & taken)[0].tolist()
    offer_cols = ["offer", "kind", "to", "fixed_fee", "modules", "year"]
    offers = (
        empty_frame(offer_cols)
        if not shown
        else frame(
            {
                "offer": t["offer"].take(shown),
                "kind": t["kind"].take(shown),
                "to": t["to"].take(shown),
                "fixed_fee": (d.offer_fixed[shown] + d.module_fee[shown] * modules[shown]).tolist(),
                "modules": modules[shown].astype(np.int64).tolist(),
                "year": years[d.offer_year[shown]].tolist(),
            },
            text=("offer", "kind", "to"),
        )
    )
    used_py = np.zeros((len(ix.plants), len(years)))
    np.add.at(used_py, (d.route_plant[qr], qy), q[used])
    unreached = p.util_unreached
    used_at = used_py[p.util_at]
    if unreached:
        used_at = np.concatenate([used_at, np.zeros(unreached)])
    capacity = p.util_capacity
    built = np.nonzero((d.module_plant >= 0) & (modules > 0))[0]
    if len(built):  # extra modules built add to their plant's capacity
        extra = np.zeros((len(ix.plants), len(years)))
        np.add.at(extra, d.module_plant[built], d.module_cap[built] * modules[built][:, None])
        capacity = capacity + np.concatenate([extra[p.util_at], np.zeros(unreached)])
    utilization = frame(
        {
            "plant": t["util_plant"],
            "year": p.util_year,
            "used": used_at,
            "committed": p.util_committed,
            "capacity": capacity,
            "utilization": (used_at + p.util_committed) / capacity,
            "routes": p.util_routes,
        },
        text=("plant",),
    )
    built_by_offer = {ix.offers[i]: int(modules[i]) for i in shown if modules[i]}
    return (
        choice_cols,
        {
            "production": production,
            "unmet": unmet,
            "choices": choices,
            "offers": offers,
            "utilization": utilization,
            "costs": _costs(m, v, modules, p),
        },
        built_by_offer,
    )


def _costs(m: Milp, v: FloatArray, modules: FloatArray, p: Prepared) -> pd.DataFrame:
    """Cost breakdown by category: the prepared coefficients times the solution."""
    col: dict[str, FloatArray] = {"modules": modules}
    for block in ("q", "u"):
        b0, b1 = m.col_blocks[block]
        col[block] = v[b0:b1]
    for block in ("x", "w"):
        b0, b1 = m.col_blocks[block]
        col[block] = np.round(v[b0:b1])
    rows: list[tuple[str, float, float]] = []
    for name, terms in p.cost_terms:
        # Same sums as before preparation split them out: one dot product per term.
        und = [c @ col[b] for b, c, _ in terms]
        dis = [c @ col[b] for b, _, c in terms]
        rows.append((name, float(sum(und[1:], und[0])), float(sum(dis[1:], dis[0]))))
    rows.append(("total", sum(r[1] for r in rows), sum(r[2] for r in rows)))
    _, undiscounted, discounted = zip(*rows, strict=True)
    return frame(
        {"category": p.text["category"], "undiscounted": undiscounted, "discounted": discounted},
        text=("category",),
    )


__all__ = [
    "Prepared",
    "gated",
    "gates",
    "modules_built",
    "owners",
    "prepare",
    "prepare_beside",
    "write_back",
]
