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

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from evfab._frames import empty_frame
from evfab._highs import SolveStatus, new_highs, pass_milp, run
from evfab._plan_deals import DEAL_COLUMNS, deal_values
from evfab._plan_inputs import plan_inputs
from evfab._plan_model import IntArray, build_milp
from evfab._plan_scope import SCOPES, Scope
from evfab._plan_tables import gated, prepare_beside, write_back
from evfab._route_table import RouteTable, route_table
from evfab._solve_watch import Presses, Progress, ProgressFn
from evfab._world import World
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
        alternatives: Re-solve once per alternative route to price it, and once per
            offer the plan does not take (``deal_values``); None means only when a
            scenario has at most ``max_alternatives`` usable routes.
        max_alternatives: Size limit for automatic alternatives.
        alternatives_for: Price only these programs' routes, and the offers to their
            companies (None: every program's and every offer).
            Each price is a re-solve of the whole industry's model: at industry scale,
            one program's handful is what an analyst can wait for.
        alternatives_scope: Who re-decides their deals when an alternative or a deal is
            priced: ``industry`` (everyone: the exact price) or ``company`` (only the
            companies concerned, the others keeping the plan's deals: a bound on the
            exact price, about 40x faster at 500 programs; see :mod:`evfab._plan_scope`).
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
        near: A production table (program, route, year, cars), another plan's: among the
            plans as cheap as the one found, with the same deals, return the one that
            moves the fewest cars from it (see :mod:`evfab._plan_near`). An industry plan
            is rarely unique, and without this two plans compared side by side differ in
            programs a change does not touch.
        polish: Re-solve the LP with the plan's deals fixed (as ``near`` does, near the
            plan itself), so that the plan is the cheapest for its deals even when the
            solve stopped early, at a time limit or the gap. ``compare`` polishes both
            plans: polishing only the one kept near the other made a scenario compared
            with itself under a time limit 693m CNY cheaper.
    """

    time_limit: float | None = None
    gap: float = 1e-6
    capacity_values: bool = True
    alternatives: bool | None = None
    max_alternatives: int = 60
    alternatives_for: tuple[str, ...] | None = None
    alternatives_scope: Scope = "industry"
    progress: ProgressFn | None = field(default=None, compare=False)
    on_step: Callable[[str], None] | None = field(default=None, compare=False)
    near: pd.DataFrame | None = field(default=None, compare=False)
    polish: bool = False

    def __post_init__(self) -> None:
        if self.alternatives_scope not in SCOPES:
            raise ValueError(
                f"alternatives_scope {self.alternatives_scope!r} is not one of {', '.join(SCOPES)}"
            )


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
        utilization: Plant x year: cars used, the operator's committed load, capacity,
            utilization and the usable routes that reach the plant (existing plants no
            usable route reaches are rows too, with 0 routes).
        costs: Cost breakdown by category, undiscounted and discounted.
        capacity_values: Plant x year: discounted saving of one more car of capacity.
        alternatives: Per program and route: cost of the best plan that uses that route
            (``scope`` says whether every company re-decided, or only those concerned:
            then the cost is an upper bound; see ``PlanOptions.alternatives_scope``).
        explanations: Per program, sentences on why its routes won.
        shortfalls: Program-years short of demand, with where capacity could come from.
        timings: Seconds spent in inputs, build, solve, write-back, post-processing.
        size: Rows, columns, nonzeros and integer columns of the model.
        deal_values: Per offer the plan does not take: the discounted cost the plan would
            save with it taken at no fee, the other deals as planned (its break-even
            price; see :mod:`evfab._plan_deals`). Priced when the alternatives are.
        program_company: Company id of each program planned.
        program_takers: The companies whose offers each program's routes may use: its
            company and the companies under it (``parent``).
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
    deal_values: pd.DataFrame = field(default_factory=lambda: empty_frame(DEAL_COLUMNS))
    program_company: dict[str, str] = field(default_factory=dict)
    program_takers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when a plan exists (optimal, or stopped at the time limit with one)."""
        return self.status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT)

    def for_programs(self, programs: Sequence[str]) -> PlanResult:
        """The same plan, its tables narrowed to some programs (to read one in a large plan).

        The plan is not re-solved: the programs still share capacity with every other, so
        ``objective``, ``costs`` and ``capacity_values`` stay the whole plan's. ``offers``
        keeps the offers the programs' chosen routes use, ``utilization`` the plants they
        build at, ``deal_values`` the deals offered to the programs' companies (and to the
        companies under them, whose offers their routes may use).

        Args:
            programs: Program ids to keep (unknown ids keep nothing).

        Returns:
            A PlanResult whose per-program tables hold only those programs.
        """
        keep = set(programs)

        def rows(df: pd.DataFrame) -> pd.DataFrame:
            if df.empty or "program" not in df.columns:
                return df
            return df[df["program"].isin(keep)].reset_index(drop=True)

        choices = rows(self.choices)
        production = rows(self.production)

        def column(df: pd.DataFrame, name: str) -> list[str]:
            return [str(x) for x in df[name].tolist()] if name in df.columns else []

        used = {o for x in column(choices, "offers") for o in x.split(", ") if o}
        plants = set(column(production, "plant")) | set(column(choices, "plant"))
        offers = self.offers
        if len(offers):
            offers = offers[offers["offer"].isin(used)].reset_index(drop=True)
        util = self.utilization
        if len(util):
            util = util[util["plant"].isin(plants)].reset_index(drop=True)
        deals = self.deal_values
        if len(deals):
            mine = {c for g, c in self.program_company.items() if g in keep} | {
                c for g, cs in self.program_takers.items() if g in keep for c in cs
            }
            deals = deals[deals["to"].isin(mine)].reset_index(drop=True)
        return replace(
            self,
            choices=choices,
            offers=offers,
            production=production,
            unmet=rows(self.unmet),
            utilization=util,
            alternatives=rows(self.alternatives),
            explanations={g: v for g, v in self.explanations.items() if g in keep},
            shortfalls=rows(self.shortfalls),
            deal_values=deals,
            program_company={g: c for g, c in self.program_company.items() if g in keep},
            program_takers={g: c for g, c in self.program_takers.items() if g in keep},
        )


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
    # _highs.solve() inlined: the preparing thread goes only once the model is handed
    # over, just before the solve releases the GIL, so the two do not contend for it.
    h = new_highs()
    pass_milp(h, m)
    prepared = prepare_beside(world, d, ix, m)
    prepared.go()
    try:
        sol = run(h, opts.time_limit, opts.gap, _noting_stops(opts.progress, stopped))
    except BaseException:
        prepared.wait()  # the helper is free for the next plan; the solve's error is raised
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
        timings["write_back"] = 0.0  # no plan to write back; the keys stay the same
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
            ready.blank["capacity_values"],
            _empty(["program", "route"]),
            explain.without_a_plan(world, ix.programs, table, ready.unusable),
            shortfalls,
            timings,
            size,
            **ready.owners,
        )
    if (opts.near is not None or opts.polish) and len(m.q_route):
        from evfab._plan_near import nearest, targets

        q0, q1 = m.col_blocks["q"]
        own = sol.col_value[q0:q1]
        sol = nearest(m, sol, own if opts.near is None else targets(d, m, ready, opts.near))
    gated_v = gated(d, m, sol.col_value, ready.gates)
    if gated_v is not sol.col_value:  # the costs table and the objective stay one sum
        sol = replace(sol, col_value=gated_v, objective=float(m.vectors()["cost"] @ gated_v))
    chosen, tables, built = write_back(d, ix, m, sol, ready)
    t4 = time.perf_counter()
    step = opts.on_step or (lambda _: None)
    # A Ctrl-C from here on stops the re-solves after the plan, not the plan (a second one
    # aborts): the capacity values' LP ends, and the alternatives are left unpriced.
    do_alt = opts.alternatives
    if do_alt is None:
        # The model's size, not the number to price, says how long each re-solve takes.
        do_alt = len(ix.routes) <= opts.max_alternatives
    with Presses() as presses:
        if opts.capacity_values:
            step("capacity values (the LP with the plan's choices fixed)")
        values = (
            explain.capacity_values(d, ix, m, sol)
            if opts.capacity_values
            else ready.blank["capacity_values"]
        )
        presses.check()
        only = None if opts.alternatives_for is None else set(opts.alternatives_for)
        alternatives = (
            ready.blank["alternatives"]
            if not do_alt
            # Whoever stopped the solve wants the plan now: the alternatives are not priced.
            else explain.not_priced(d, ix, only)
            if stopped or presses.count
            else explain.alternatives(
                d,
                ix,
                m,
                sol,
                opts,
                lambda i, n: step(f"pricing alternative {i + 1:,} of {n:,}"),
                only,
            )
        )
        presses.check()
        deals = (
            deal_values(
                d,
                ix,
                m,
                sol.col_value,
                ready.offer_kind,
                opts,
                lambda i, n: step(f"pricing deal not taken {i + 1:,} of {n:,}"),
                None if only is None else _companies(ready.owners, only),
                sol,
            )
            if do_alt and not (stopped or presses.count)
            else ready.blank["deal_values"]
        )
    shortfalls = (
        explain.shortfalls(world, d, ix, tables["unmet"], table, production=tables["production"])
        if len(tables["unmet"])
        else ready.blank["shortfalls"]
    )
    explanations = explain.explain_choices(
        world, ix.programs, chosen, alternatives, table, ready.unusable, built or None
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
        deal_values=deals,
        **ready.owners,
    )


def _companies(owned: dict[str, Any], programs: set[str]) -> set[str]:
    """The companies whose offers some programs' routes may use: theirs, and those under
    them (an offer to a subsidiary serves its parent's programs). ``owned`` is
    :func:`evfab._plan_tables.owners` of the world."""
    takers = owned["program_takers"]
    return {c for g, cs in takers.items() if g in programs for c in cs}


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
