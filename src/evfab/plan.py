"""The production planner: which routes each company takes and how capacity is used, at least cost.

Steps, kept apart (build, solve, write back, post-process):

1. :func:`plan_inputs` turns the World and its usable routes into arrays, gathered from
   the route table's templates (:mod:`evfab._route_table`) with index arrays;
2. :func:`evfab._plan_model.build_milp` builds the MILP from them;
3. :mod:`evfab._highs` solves it with HiGHS;
4. :mod:`evfab._plan_tables` turns column values into tables (what does not need the
   solution is prepared in a thread while HiGHS solves);
5. :mod:`evfab._plan_explain` adds capacity values, alternatives and, when the plan
   falls short, an explanation in domain words.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evfab._frames import empty_frame
from evfab._gc import paused_gc
from evfab._highs import SolveStatus, new_highs, pass_milp, run
from evfab._plan_model import FloatArray, IntArray, PlanInputs, build_milp
from evfab._plan_tables import prepare_beside, write_back
from evfab._route_table import RouteTable, RouteView, route_table
from evfab._solve_watch import Presses, Progress, ProgressFn
from evfab._world import World, add_months, year_fractions
from evfab.rules import Route

PlanStatus = SolveStatus
"""Planner outcomes: optimal, time_limit (with a gap), interrupted, infeasible, unbounded, error."""


@dataclass(frozen=True)
class PlanOptions:
    """How to solve.

    Attributes:
        time_limit: Seconds before HiGHS stops with its best plan (None: no limit).
        gap: Relative MIP gap at which to stop.
        capacity_values: Re-solve the LP with binaries fixed to get capacity duals.
        alternatives: Re-solve once per alternative route to price it; None means
            only when a scenario has at most ``max_alternatives`` usable routes.
        max_alternatives: Size limit for automatic alternatives.
        progress: Called during the main solve with a :class:`Progress` (best plan,
            bound, gap) on every better plan and about twice a second. Returning True
            stops the solve at HiGHS's next check with its best plan (status
            ``time_limit``, or ``interrupted`` if it had none; a stop asked for, even one
            HiGHS finishes before, leaves the alternatives unpriced); while it watches,
            Ctrl-C does the same and a second Ctrl-C raises
            ``KeyboardInterrupt``. After the solve, Ctrl-C stops the work after it, not the
            plan: the capacity values' LP finishes, the alternatives are left unpriced or
            their pricing stops (see :func:`evfab._plan_explain.alternatives`); a second
            Ctrl-C raises ``KeyboardInterrupt``.
        on_step: Called with a few words as the planner moves on after the solve
            ("capacity values ...", then "pricing alternative 3 of 12" before each
            re-solve), so that a caller can say what the wait is for.
    """

    time_limit: float | None = None
    gap: float = 1e-6
    capacity_values: bool = True
    alternatives: bool | None = None
    max_alternatives: int = 60
    progress: ProgressFn | None = field(default=None, compare=False)
    on_step: Callable[[str], None] | None = field(default=None, compare=False)


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


@dataclass(frozen=True)
class PlanResult:
    """A solved (or failed) plan.

    Attributes:
        scenario: Scenario name.
        status: Outcome of the solve.
        objective: Discounted total cost, currency (NaN without a plan).
        bound: Best proven lower bound on it.
        gap: Relative gap between objective and bound.
        currency: Currency code.
        choices: One row per route used: program, route, manufacturer, badge, first year, cars.
        offers: Offers taken, with their fees.
        production: Cars by program, route, plant and year.
        unmet: Unmet demand by program and year.
        utilization: Plant x year: used, free capacity, committed load, utilization.
        costs: Cost breakdown by category, undiscounted and discounted.
        capacity_values: Plant x year: discounted saving of one more car of capacity.
        alternatives: Per program and route: cost of the best plan that uses that route.
        explanations: Per program, sentences on why its routes won.
        shortfalls: Program-years short of demand, with where capacity could come from.
        timings: Seconds spent in inputs, build, solve, write-back, post-processing.
        size: Rows, columns, nonzeros and integer columns of the model.
    """

    scenario: str
    status: PlanStatus
    objective: float
    bound: float
    gap: float
    currency: str
    choices: pd.DataFrame
    offers: pd.DataFrame
    production: pd.DataFrame
    unmet: pd.DataFrame
    utilization: pd.DataFrame
    costs: pd.DataFrame
    capacity_values: pd.DataFrame
    alternatives: pd.DataFrame
    explanations: dict[str, list[str]]
    shortfalls: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when a plan exists (optimal, or stopped at the time limit with one)."""
        return self.status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT)


def _year_index(world: World, d: dt.date) -> int:
    y = min(max(d.year, int(world.years[0])), int(world.years[-1]))
    return y - int(world.years[0])


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
    programs = list(world.program_ids)
    companies = list(world.company_ids)
    c_of = {c: i for i, c in enumerate(companies)}
    plant_rows = _first_seen(ta.plant[rt])
    plant_pos = _local(plant_rows, len(world.plant_ids))
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
    n_y = len(years)
    discount = (1.0 + world.discount_rate) ** -(years - years[0]).astype(np.float64)
    # Each needed offer's row, read once: signing year, fee and taker here; exclusions and
    # modules below.
    o_of = {o: i for i, o in enumerate(offers)}
    offer_info = [world.offer(o) for o in offers]
    offer_year = np.array(
        [_year_index(world, add_months(world.as_of, r["lead_months"].mode)) for r in offer_info],
        np.int64,
    ).reshape(len(offers))
    offer_fixed = np.array([float(r["fixed_fee"]) for r in offer_info], np.float64)
    offer_company = np.array([c_of[str(r["to"])] for r in offer_info], np.int64)
    route_cap = ta.cap[rt]
    # Routes on own plants need no access offer (-1); the others map to their offer's column.
    access = np.full(len(rt), -1, np.int64)
    has_access = ta.access[rt] >= 0
    access[has_access] = offer_pos[ta.access[rt][has_access]]
    access_cap = np.full((len(offers), n_y), np.nan)
    has = access >= 0
    np.fmax.at(access_cap, access[has], route_cap[has])
    plant_free = np.zeros((len(plants), n_y))
    build_lead: dict[str, float] = {}
    for rows_ in world.offers_by_taker.values():
        for _, row in rows_:
            if row["kind"] == "build_plant":
                build_lead.setdefault(str(row["detail"]["plant"]), float(row["lead_months"].mode))
    keys = [
        (
            pid,
            add_months(world.as_of, build_lead[pid])
            if world.plant(pid)["status"] == "planned" and pid in build_lead
            else None,
        )
        for pid in plants
    ]
    if plants:
        cap = world.plant_capacities(keys) - world.committed[plant_rows]
        plant_free = np.clip(cap, 0.0, None)
    # An exclusion may be declared on either offer (or both): keep each pair once.
    pairs = sorted(
        {
            (min(i, o_of[x]), max(i, o_of[x]))
            for i, (o, r) in enumerate(zip(offers, offer_info, strict=True))
            for x in r["excludes"]
            if x in o_of and x != o
        }
    )
    budget = np.array(
        [
            float(b) if b is not None and b == b else np.inf
            for b in world.column("companies", "capital_budget")
        ]
    )
    # Optional extra modules of build offers, ready with the plant's first phase.
    module_cap = np.zeros((len(offers), n_y))
    module_max = np.zeros(len(offers))
    module_fee = np.zeros(len(offers))
    plant_module_offer = np.full(len(plants), -1, np.int64)
    for i, row in enumerate(offer_info):
        det = row["detail"]
        if row["kind"] != "build_plant" or not det.get("max_modules"):
            continue
        start = add_months(world.as_of, row["lead_months"].mode)
        first = world.first_ready(str(det["plant"]), start)
        module_cap[i] = float(det["module_capacity"]) * year_fractions(first, years)
        module_max[i] = float(det["max_modules"])
        module_fee[i] = float(det["module_fee"])
        p = plant_pos[world.plant_row[str(det["plant"])]]
        if p >= 0:
            plant_module_offer[p] = i
    extra = has.copy()
    extra[has] = module_max[access[has]] > 0
    route_cap[extra] = (
        route_cap[extra] + module_max[access[extra]][:, None] * module_cap[access[extra]]
    )
    local_flat = offer_pos[flat]
    route_year = np.where(
        n_off > 0,
        offer_year[local_flat[np.minimum(ptr[:-1], len(flat) - 1)]] if len(flat) else 0,
        0,
    )
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
        route_program=table.program[sel],
        route_plant=plant_pos[ta.plant[rt]],
        route_cap=route_cap,
        route_unit_cost=ta.unit_cost[rt] + logistics,
        route_fixed=ta.waiver_fee[rt],
        route_year=route_year.astype(np.int64),
        route_offer_ptr=ptr,
        route_offer_idx=local_flat,
        route_access=access,
        plant_free=plant_free,
        offer_fixed=offer_fixed,
        offer_year=offer_year,
        offer_company=offer_company,
        access_cap=access_cap,
        exclusive=np.array(pairs, np.int64).reshape(-1, 2),
        budget=budget,
        module_cap=module_cap,
        module_max=module_max,
        module_fee=module_fee,
        plant_module_offer=plant_module_offer,
    )
    ix = Index(
        programs, RouteView(table, sel), plants, offers, companies, table, plant_cost, logistics
    )
    return inputs, ix


_empty = empty_frame


def plan(
    world: World,
    options: PlanOptions | None = None,
    routes: Sequence[Route] | RouteTable | None = None,
) -> PlanResult:
    """Plan production at least discounted cost.

    Args:
        world: The compiled world.
        options: Solver and post-processing options.
        routes: Routes to plan over, as a list or a
            :class:`~evfab._route_table.RouteTable` (default: derived from the world).

    Returns:
        The plan; ``status`` says whether it is optimal, stopped at the time limit,
        or infeasible (then ``shortfalls`` explains the missing capacity).
    """
    from evfab import _plan_explain as explain

    opts = options or PlanOptions()
    t0 = time.perf_counter()
    table = route_table(world) if routes is None else RouteTable.from_routes(world, routes)
    d, ix = plan_inputs(world, table)
    t1 = time.perf_counter()
    m = build_milp(d)
    t2 = time.perf_counter()
    stopped: list[bool] = []  # a stop was asked for during the solve
    # _highs.solve() inlined: the thread starts only once the model is handed over, so it
    # does not contend for the GIL with pass_milp's numpy work.
    h = new_highs()
    pass_milp(h, m)
    prepared = prepare_beside(world, d, ix, m)
    try:
        sol = run(h, opts.time_limit, opts.gap, _noting_stops(opts.progress, stopped))
    except BaseException:
        prepared.wait()  # no thread outlives the call; the solve's own error is raised
        raise
    t3 = time.perf_counter()
    ready = prepared.result()  # a wait for it counts as write-back time
    size = ready.size
    timings = {"inputs": t1 - t0, "build": t2 - t1, "solve": t3 - t2}
    if sol.status not in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT):
        shortfalls = (
            explain.shortfalls_when_infeasible(world, d, ix, m, table)
            if sol.status is SolveStatus.INFEASIBLE
            else _empty(["program", "year", "missing", "explanation"])
        )
        timings["post"] = time.perf_counter() - t3
        return PlanResult(
            world.name,
            sol.status,
            float("nan"),
            float("nan"),
            float("nan"),
            world.currency,
            _empty(["program", "route"]),
            _empty(["offer"]),
            _empty(["program", "route", "plant", "year", "cars"]),
            _empty(["program", "year", "cars", "demand"]),
            _empty(["plant", "year"]),
            _empty(["category", "undiscounted", "discounted"]),
            _empty(["plant", "year", "value_per_car"]),
            _empty(["program", "route"]),
            {},
            shortfalls,
            timings,
            size,
        )
    chosen, tables = write_back(d, ix, m, sol, ready)
    t4 = time.perf_counter()
    step = opts.on_step or (lambda _: None)
    # A Ctrl-C from here on stops the re-solves after the plan, not the plan (a second one
    # aborts): the capacity values' LP ends, and the alternatives are left unpriced.
    with Presses() as presses:
        if opts.capacity_values:
            step("capacity values (the LP with the plan's choices fixed)")
        values = (
            explain.capacity_values(d, ix, m, sol)
            if opts.capacity_values
            else _empty(["plant", "year", "value_per_car", "binding"])
        )
        presses.check()
        do_alt = opts.alternatives
        if do_alt is None:
            do_alt = len(ix.routes) <= opts.max_alternatives
        alternatives = (
            _empty(explain.ALTERNATIVE_COLUMNS)
            if not do_alt
            # Whoever stopped the solve wants the plan now: the alternatives are not priced.
            else explain.not_priced(d, ix)
            if stopped or presses.count
            else explain.alternatives(
                d, ix, m, sol, opts, lambda i, n: step(f"pricing alternative {i + 1:,} of {n:,}")
            )
        )
    shortfalls = explain.shortfalls(world, d, ix, tables["unmet"], table)
    explanations = explain.explain_choices(
        world, ix.programs, chosen, alternatives, table, ready.unusable
    )
    timings["write_back"] = t4 - t3
    timings["post"] = time.perf_counter() - t4
    return PlanResult(
        scenario=world.name,
        status=sol.status,
        objective=sol.objective,
        bound=sol.bound,
        gap=sol.gap,
        currency=world.currency,
        choices=tables["choices"],
        offers=tables["offers"],
        production=tables["production"],
        unmet=tables["unmet"],
        utilization=tables["utilization"],
        costs=tables["costs"],
        capacity_values=values,
        alternatives=alternatives,
        explanations=explanations,
        shortfalls=shortfalls,
        timings=timings,
        size=size,
    )


def _noting_stops(fn: ProgressFn | None, stopped: list[bool]) -> ProgressFn | None:
    """``fn``, noting in ``stopped`` that a stop was asked for (by it, or by Ctrl-C)."""
    if fn is None:
        return None
    user = fn

    def noting(p: Progress) -> bool:
        ask = bool(user(p))
        if ask or p.stopping:
            stopped.append(True)
        return ask

    return noting


__all__ = [
    "IntArray",
    "PlanOptions",
    "PlanResult",
    "PlanStatus",
    "Progress",
    "ProgressFn",
    "plan",
    "plan_inputs",
]
