"""The planner's inputs: a World and its usable routes as arrays (:class:`PlanInputs`).

What the regime and the scenario say about each route, offer and plant is settled here,
once, so that the formulation (:mod:`evfab._plan_model`) only reads arrays:

* capacity an offer brings, per plant it brings (a bought company may bring several);
* a plant's free capacity from ``as_of`` on (a part-year first year), with the fastest of
  the build offers for a planned plant;
* extra modules of a build offer, available to a route only from its start;
* a program's ramp-up, at its mode, on each of its routes;
* badge waivers, one per agreement (offer), whichever routes use it;
* licences withdrawn under the dormancy rule: the year by which a route must produce.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evfab._gc import paused_gc
from evfab._plan_model import HALF_CAR, BoolArray, FloatArray, IntArray, PlanInputs
from evfab._route_table import RouteTable, RouteView
from evfab._timing import DAYS_PER_MONTH, ramp_factor, year_bounds
from evfab._world import World, add_months, year_fractions
from evfab.rules import Route


@dataclass(frozen=True)
class Index:
    """Ids behind the array positions of :class:`PlanInputs`."""

    programs: list[str]
    routes: RouteView
    plants: list[str]
    offers: list[str]
    companies: list[str]
    table: RouteTable
    """Every route, usable or not."""
    plant_cost: FloatArray
    """Production cost per car of each usable route's plant."""
    logistics: FloatArray
    """Logistics cost per car of each usable route."""
    plant_committed: FloatArray
    """The operator's committed load at each plant by year, from ``as_of`` on (P, Y)."""


def _first_seen(values: IntArray) -> IntArray:
    """Distinct values in order of first appearance."""
    # NOTE: pandas' hash-based unique keeps that order without sorting: 10x faster than
    # np.unique + argsort at 20,000 routes, a quarter faster at 800.
    out: IntArray = pd.unique(np.asarray(values, np.int64))
    return out


def _local(rows: IntArray, size: int) -> IntArray:
    """Map from a world row to its position in ``rows`` (-1 if absent)."""
    out = np.full(size, -1, np.int64)
    out[rows] = np.arange(len(rows))
    return out


@paused_gc()
def plan_inputs(world: World, routes: Sequence[Route] | RouteTable) -> tuple[PlanInputs, Index]:
    """Convert a World and its routes into the planner's arrays (usable routes only).

    Args:
        world: The compiled world.
        routes: A :class:`~evfab._route_table.RouteTable` or routes from
            :func:`evfab.rules.derive_routes`.

    Returns:
        The arrays and the ids behind their positions.
    """
    table = RouteTable.from_routes(world, routes)
    ta = table.arrays
    # NOTE: everything per route is gathered from the (few) templates with index arrays;
    # a Python loop per route was most of the planner's fixed cost on small models.
    sel = np.nonzero(ta.usable[table.template])[0]
    rt = table.template[sel]
    route_program = table.program[sel]
    programs = list(world.program_ids)
    companies = list(world.company_ids)
    c_of = {c: i for i, c in enumerate(companies)}
    plant_rows = _first_seen(ta.plant[rt])
    plant_pos = _local(plant_rows, len(world.plant_ids))
    route_plant = plant_pos[ta.plant[rt]]
    # Offers each usable route needs, flattened in route order.
    n_off = ta.offer_ptr[rt + 1] - ta.offer_ptr[rt]
    ptr = np.zeros(len(sel) + 1, np.int64)
    ptr[1:] = np.cumsum(n_off)
    within = np.arange(int(ptr[-1])) - np.repeat(ptr[:-1], n_off)
    flat = ta.offer_idx[np.repeat(ta.offer_ptr[rt], n_off) + within]
    offer_rows = _first_seen(flat)
    offer_pos = _local(offer_rows, len(world.offer_ids))
    offers = [world.offer_ids[i] for i in offer_rows]
    plants = [world.plant_ids[i] for i in plant_rows]
    years = world.years
    discount = (1.0 + world.discount_rate) ** -(years - years[0]).astype(np.float64)
    # Each needed offer's row, read once: signing year, fee and taker here; exclusions and
    # modules below.
    o_of = {o: i for i, o in enumerate(offers)}
    offer_info = [world.offer(o) for o in offers]
    offer_year = np.array(
        [world.payment_year(r) for r in offer_info],
        np.int64,
    ).reshape(len(offers))
    offer_fixed = np.array([float(r["fixed_fee"]) for r in offer_info], np.float64)
    offer_company = np.array([c_of[str(r["to"])] for r in offer_info], np.int64)
    route_cap = ta.cap[rt]
    access, access_offer, access_cap = _access(ta.access[rt], offer_pos, route_plant, route_cap)
    plant_free, plant_committed = _plant_free(world, plants, plant_rows)
    # One route of a company (one licence at one plant) for all its programs, whatever
    # their badge needs (routes of other needs are other templates with the same id).
    route_shared, shared_cap = _shared(
        lambda: [
            f"{world.column('programs', 'company')[g]}|{i}"
            for g, i in zip(route_program.tolist(), table.ids[rt], strict=True)
        ],
        route_cap,
        plant_free[route_plant],
    )
    # An exclusion may be declared on either offer (or both): keep each pair once.
    pairs = sorted(
        {
            (min(i, o_of[x]), max(i, o_of[x]))
            for i, (o, r) in enumerate(zip(offers, offer_info, strict=True))
            for x in r["excludes"]
            if x in o_of and x != o
        }
        | _exclusive_by_nature(offer_info)
    )
    budget = np.array(
        [
            float(b) if b is not None and b == b else np.inf
            for b in world.column("companies", "capital_budget")
        ]
    )
    mods = _modules(world, offer_info, plant_pos)
    special = _Special(world, table, rt, route_program)
    extra = access >= 0
    extra[extra] = mods.size[access_offer[access[extra]]] > 0
    ramp_rows = np.zeros(0, np.int64)
    ramp_base, ramp_module = np.zeros((0, len(years))), np.zeros((0, len(years)))
    if extra.any():
        base = route_cap.copy()
        added = _route_modules(world, special, mods, access_offer[access[extra]], extra)
        route_cap[extra] += added
        route_shared[extra] = -1  # built modules add to it: the access rows hold it
        # A ramp-up holds back the modules built, not the most that could be: such routes
        # get a row each year, q <= ramp x (capacity + modules built x module capacity).
        rows, factor = special.ramp_factors()
        # Only offers that allow a module have a module column to hold.
        pick = extra[rows] & (mods.max[access_offer[np.maximum(access[rows], 0)]] > 0)
        if pick.any():
            ramp_rows, factor = rows[pick], factor[pick]
            o = access_offer[access[ramp_rows]]
            per = np.zeros((len(extra), len(years)))
            per[np.nonzero(extra)[0]] = added
            ramp_base = factor * base[ramp_rows]
            ramp_module = factor * per[ramp_rows] / np.maximum(mods.max[o], 1.0)[:, None]
    route_cap = special.ramped(route_cap)
    keep_year, keep_group = special.keep()
    local_flat = offer_pos[flat]
    waiver, waiver_offer, waiver_fee = _waivers(ta.waiver_fee[rt], local_flat, ptr)
    plant_cost = np.array(world.column("plants", "unit_cost"), np.float64)[ta.plant[rt]]
    logistics = table.logistics(sel)
    inputs = PlanInputs(
        years=years,
        discount=discount,
        demand=world.demand.astype(np.float64),
        lost_margin=np.array(world.column("programs", "lost_margin"), np.float64),
        min_fill=np.array(world.column("programs", "min_fill"), np.float64),
        single_source=np.array(world.column("programs", "single_source"), bool),
        program_company=np.array([c_of[c] for c in world.column("programs", "company")], np.int64),
        route_program=route_program,
        route_plant=route_plant,
        route_cap=route_cap,
        route_unit_cost=ta.unit_cost[rt] + logistics,
        route_offer_ptr=ptr,
        route_offer_idx=local_flat,
        route_access=access,
        route_waiver=waiver,
        route_keep_year=keep_year,
        route_keep_group=keep_group,
        plant_free=plant_free,
        offer_fixed=offer_fixed,
        offer_year=offer_year,
        offer_company=offer_company,
        access_offer=access_offer,
        access_cap=access_cap,
        waiver_offer=waiver_offer,
        waiver_fee=waiver_fee,
        exclusive=np.array(pairs, np.int64).reshape(-1, 2),
        budget=budget,
        module_cap=mods.cap,
        module_max=mods.max,
        module_fee=mods.fee,
        module_plant=mods.plant,
        route_shared=route_shared,
        shared_cap=shared_cap,
        ramp_rows=ramp_rows,
        ramp_base=ramp_base,
        ramp_module=ramp_module,
        route_min_modules=_min_modules(ta.min_modules[rt], access, access_offer, mods),
    )
    ix = Index(
        programs,
        RouteView(table, sel),
        plants,
        offers,
        companies,
        table,
        plant_cost,
        logistics,
        plant_committed,
    )
    return inputs, ix


def _min_modules(
    need: IntArray, access: IntArray, access_offer: IntArray, mods: _Modules
) -> FloatArray:
    """Extra modules each usable route needs (R), or an empty array if none needs any.

    Raises:
        ValueError: If a route needs modules that its access offer cannot build.
    """
    rows = np.nonzero(need > 0)[0]
    if len(rows) == 0:
        return np.zeros(0)
    a = access[rows]
    ok = a >= 0
    ok[ok] = mods.max[access_offer[a[ok]]] >= need[rows[ok]]
    if not ok.all():  # the rules engine derives it from the same build offer
        raise ValueError("a route needs extra modules its build offer cannot add")
    return need.astype(np.float64)


def _access(
    access_row: IntArray, offer_pos: IntArray, route_plant: IntArray, route_cap: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Capacity that comes through an offer, per (offer, plant) it brings.

    A contract, a stake or a build brings one plant; buying a company brings each of its
    plants, and each one's capacity is its own (not the largest of them for all).

    Returns:
        Each route's access pair or -1 for own plants (R); the offer of each pair (A); the
        pair's capacity by year, the largest of its routes', NaN where none has any (A, Y).
    """
    access = np.full(len(access_row), -1, np.int64)
    has = access_row >= 0
    n_p = int(route_plant.max()) + 1 if len(route_plant) else 1
    key = offer_pos[access_row[has]] * n_p + route_plant[has]
    uniq, inv = np.unique(key, return_inverse=True)
    access[has] = inv
    cap = np.full((len(uniq), route_cap.shape[1]), np.nan)
    np.fmax.at(cap, inv, route_cap[has])
    return access, (uniq // n_p).astype(np.int64), cap


def _shared(
    keys: Callable[[], list[str]], cap: FloatArray, plant: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Groups of routes that are one route (the same ``keys()``: company and route id) for
    two or more programs, where its capacity ``cap`` is below its plant's free capacity
    ``plant`` in some year (its first, from its SOP): the group's index per route (-1:
    none), and its capacity by year (inf where the plant's row holds it already)."""
    n_y = cap.shape[1] if cap.ndim == 2 else 0
    tight = cap < plant - HALF_CAR
    if not tight.any():  # most scenarios: every route starts before or with its plant
        return np.full(len(cap), -1, np.int64), np.zeros((0, n_y))
    _, inv, counts = np.unique(np.array(keys(), object), return_inverse=True, return_counts=True)
    on = (counts[inv] >= 2) & tight.any(axis=1)
    groups, local = np.unique(inv[on], return_inverse=True)
    out = np.full(len(cap), -1, np.int64)
    out[on] = local
    first = np.zeros(len(groups), np.int64)
    first[local[::-1]] = np.nonzero(on)[0][::-1]  # a route of each group
    shared = np.where(tight[first], cap[first], np.inf)
    return out, shared


def _exclusive_by_nature(rows: list[dict[str, Any]]) -> set[tuple[int, int]]:
    """Pairs of offers (positions in ``rows``) that cannot both be taken, listed or not:
    two purchases of one company, two builds of one plant, and stakes in one plant whose
    shares add up to more than the whole plant."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        kind = r["kind"]
        if kind == "acquire_company":
            groups.setdefault((kind, str(r["detail"]["target"])), []).append(i)
        elif kind in ("build_plant", "plant_stake"):
            groups.setdefault((kind, str(r["detail"]["plant"])), []).append(i)
    out: set[tuple[int, int]] = set()
    for (kind, _), members in groups.items():
        for k, a in enumerate(members):
            for b in members[k + 1 :]:
                share = float(rows[a]["detail"].get("share", 1.0)) + float(
                    rows[b]["detail"].get("share", 1.0)
                )
                if kind != "plant_stake" or share > 1.0 + 1e-9:
                    out.add((a, b))
    return out


def _plant_free(
    world: World, plants: list[str], plant_rows: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Free capacity of each plant by year from ``as_of`` on, and the committed load it
    leaves out (P, Y) each."""
    n_y = len(world.years)
    if not plants:
        return np.zeros((0, n_y)), np.zeros((0, n_y))
    # A planned plant is ready as soon as the fastest of its build offers makes it (the
    # access rows hold each offer to its own dates).
    lead: dict[str, float] = {}
    for rows_ in world.offers_by_taker.values():
        for _, row in rows_:
            if row["kind"] == "build_plant":
                pid, months = str(row["detail"]["plant"]), float(row["lead_months"].mode)
                lead[pid] = min(months, lead.get(pid, months))
    keys = [
        (
            pid,
            add_months(world.as_of, lead[pid])
            if world.plant(pid)["status"] == "planned" and pid in lead
            else None,
        )
        for pid in plants
    ]
    return free_from_as_of(world, keys, plant_rows)


def free_from_as_of(
    world: World, keys: list[tuple[str, dt.date | None]], rows: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Free capacity of plants by year from ``as_of`` on, and the committed load it leaves
    out (K, Y) each.

    Args:
        world: The compiled world.
        keys: (plant id, construction start or None) pairs.
        rows: Each key's plant row in the world (for its committed load).

    Returns:
        Free capacity and committed load, cars per year.
    """
    full = world.plant_capacities(keys)
    load = world.committed[rows].astype(np.float64).reshape(full.shape)
    if world.as_of != dt.date(int(world.years[0]), 1, 1):
        # The routes' capacities count from as_of (a part-year first year), net of the
        # operator's load as a share of the year's capacity: plants count the same way,
        # and the load is the year's load over that part.
        since = world.plant_capacities(keys, since=world.as_of)
        load = load * np.divide(since, full, out=np.ones_like(full), where=full > 0)
        full = since
    return np.clip(full - load, 0.0, None), load


@dataclass(frozen=True)
class _Modules:
    """Extra capacity modules of build offers (O offers, P plants, Y years)."""

    cap: FloatArray
    """Capacity one module adds by year, from the plant's first phase (O, Y)."""
    size: FloatArray
    """Capacity of one module, vehicles/year (O)."""
    first: list[dt.date | None]
    """First ready date of each offer's plant (O)."""
    max: FloatArray
    """Most modules (O)."""
    fee: FloatArray
    """Capex per module (O)."""
    plant: IntArray
    """Plan plant (position) whose capacity each offer's modules add to, or -1 (O)."""


def _modules(world: World, offer_info: list[dict[str, object]], plant_pos: IntArray) -> _Modules:
    """The extra modules of the build offers among ``offer_info``."""
    n_o, n_y = len(offer_info), len(world.years)
    out = _Modules(
        np.zeros((n_o, n_y)),
        np.zeros(n_o),
        [None] * n_o,
        np.zeros(n_o),
        np.zeros(n_o),
        np.full(n_o, -1, np.int64),
    )
    for i, row in enumerate(offer_info):
        det: dict[str, object] = row["detail"]  # type: ignore[assignment]
        if row["kind"] != "build_plant" or not det.get("max_modules"):
            continue
        start = world.signing_date(row)
        first = world.first_ready(str(det["plant"]), start)
        out.size[i] = float(det["module_capacity"])  # type: ignore[arg-type]
        out.first[i] = first
        out.cap[i] = out.size[i] * year_fractions(first, world.years)
        out.max[i] = float(det["max_modules"])  # type: ignore[arg-type]
        out.fee[i] = float(det["module_fee"])  # type: ignore[arg-type]
        out.plant[i] = plant_pos[world.plant_row[str(det["plant"])]]
    return out


class _Special:
    """What the few routes with a ramp-up, extra modules or a licence deadline need.

    Args:
        world: The compiled world.
        table: Every route.
        rt: Template of each usable route (R).
        route_program: Program of each usable route (R).
    """

    def __init__(
        self, world: World, table: RouteTable, rt: IntArray, route_program: IntArray
    ) -> None:
        self.world, self.table, self.rt, self.route_program = world, table, rt, route_program

    def sop(self, rows: IntArray) -> list[dt.date]:
        """Earliest SOP of the usable routes ``rows``."""
        ts = self.table.templates
        return [ts[int(t)].earliest_sop for t in self.rt[rows]]

    def ramped(self, cap: FloatArray) -> FloatArray:
        """``cap`` (R, Y) times each program's ramp-up at its mode, from each route's SOP."""
        rows, factor = self.ramp_factors()
        if len(rows):
            cap[rows] *= factor
        return cap

    def ramp_factors(self) -> tuple[IntArray, FloatArray]:
        """The usable routes whose program ramps up, and the share of each year's capacity
        that ramp-up allows at its mode, from the route's SOP (K, Y)."""
        ramp = np.array(
            [
                float(d.mode) * DAYS_PER_MONTH if d is not None and d == d else 0.0
                for d in self.world.column("programs", "ramp")
            ]
        )
        rows = np.nonzero(ramp[self.route_program] > 0)[0] if len(ramp) else np.zeros(0, int)
        if len(rows) == 0:
            return rows.astype(np.int64), np.zeros((0, len(self.world.years)))
        as_of = self.world.as_of
        sop = np.array([(d - as_of).days for d in self.sop(rows)], np.float64)
        starts, ends = year_bounds(as_of, self.world.years)
        # As the risk engine does with a ramp drawn at its mode.
        factor: FloatArray = ramp_factor(sop, ramp[self.route_program[rows]], starts, ends)
        return rows.astype(np.int64), factor

    def keep(self) -> tuple[IntArray, IntArray]:
        """Licences the dormancy rule withdraws within the horizon unless cars are built
        under them: per usable route, the last year in which that can be done (or -1), and
        the licence's group (or -1) — every route of one company under one such licence
        shares it, so cars built on any of them keep it for all."""
        first, end = int(self.world.years[0]), int(self.world.years[-1])
        # NOTE: per template (a few), not per route; most scenarios have no such licence.
        year, key = [], []
        for t in self.table.templates:
            w = t.timing.deadline if t.timing is not None else None
            last = (w - dt.timedelta(days=1)).year if w is not None else end
            year.append(-1 if last >= end else max(last - first, 0))
            key.append((t.company, t.licence, w))
        none = np.full(len(self.rt), -1, np.int64)
        if max(year, default=-1) < 0:
            return none, none.copy()
        ids: dict[object, int] = {}
        group = [
            ids.setdefault(k, len(ids)) if y >= 0 else -1 for k, y in zip(key, year, strict=True)
        ]
        years, groups = np.array(year, np.int64)[self.rt], np.array(group, np.int64)[self.rt]
        # Renumbered over the groups the usable routes use.
        used = np.unique(groups[groups >= 0])
        local = np.full(max(len(ids), 1), -1, np.int64)
        local[used] = np.arange(len(used))
        groups[groups >= 0] = local[groups[groups >= 0]]
        return years, groups


def _route_modules(
    world: World, special: _Special, mods: _Modules, offer: IntArray, rows: BoolArray
) -> FloatArray:
    """Most capacity the extra modules add to each route in ``rows``, from its SOP (K, Y)."""
    idx = np.nonzero(rows)[0]
    out = np.zeros((len(idx), len(world.years)))
    for i, (o, sop) in enumerate(zip(offer.tolist(), special.sop(idx), strict=True)):
        first = mods.first[o]
        start = sop if first is None else max(first, sop)
        out[i] = mods.max[o] * mods.size[o] * year_fractions(start, world.years)
    return out


def _waivers(
    fee: FloatArray, offer_idx: IntArray, ptr: IntArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Badge waivers, one per agreement: every route that waives an offer's badge clause
    shares one waiver (and its fee).

    Args:
        fee: Waiver fee of each route, 0 if none (R).
        offer_idx: Offers each route needs (the agreement with the clause comes first).
        ptr: CSR pointer into ``offer_idx`` (R + 1).

    Returns:
        Each route's waiver or -1 (R); the offer of each waiver (W); its fee (W).
    """
    waiver = np.full(len(fee), -1, np.int64)
    has = np.nonzero(fee > 0)[0]
    if len(has) == 0:
        return waiver, np.zeros(0, np.int64), np.zeros(0)
    uniq, inv = np.unique(offer_idx[ptr[has]], return_inverse=True)
    waiver[has] = inv
    out = np.zeros(len(uniq))
    out[inv] = fee[has]
    return waiver, uniq.astype(np.int64), out
