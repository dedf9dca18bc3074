"""The risk engine: Monte Carlo of start of production, volumes and cost, route by route.

Every route carries a :class:`evfab._timing.Timing` recipe from the rules engine: the
durations (negotiation, licence review, closing, licence transfer, construction phases)
and events (deal concluded, licence granted) its start and capacity depend on. This
module samples the recipes, vectorised over samples with numpy:

1. each distinct duration is drawn once per sample (triangular, by inverse CDF), so two
   routes resting on the same deal see the same draw (common random numbers);
2. each event is a Bernoulli draw; a route whose events do not all happen, whose dormant
   licence lapses before it starts, whose agreement has ended by then, or which starts
   after the horizon never starts; a date a policy ban holds up moves to the ban's end;
3. the SOP is the latest of licence ready, plant access and first phase ready; capacity
   by year follows :func:`evfab._timing.capacity_by_year`, times an optional ramp-up.
   A plant's phases each have their own build time after the one construction start (as
   the scenario gives them), drawn apart: where their ranges overlap, a sample may finish
   a later phase first, and each phase counts from its own ready date;
4. optionally demand is drawn too (a triangular factor around the scenario's demand).

Each route builds the cars it has, up to a demand: by default its program's whole demand
(each route priced as if it alone served the program, which is how alternatives compare),
or, given an ``allocation`` such as a plan's production, the cars allocated to that route
by year (so the routes of a plan add up to the plan; see :func:`sample_routes`).

Same seed, same result: each uncertain quantity (a duration, an event, a program's demand
or ramp-up) draws from a stream made from the run's seed and its name alone (see
:class:`evfab._risk_draws.Streams`), so runs with one seed share the draws of everything
they have in common, and the samples do not depend on how they are batched.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from evfab._risk_draws import ProgramDraws, Streams, triangular, triangular_cdf
from evfab._risk_summary import summarise
from evfab._risk_types import (
    DRIVER_SAMPLES,
    KEEP_BYTES,
    MIN_KEEP,
    MIN_SAMPLES,
    VOLUME_SAMPLE_CAP,
    Acc,
    AnyFloat,
    Compiled,
    FloatArray,
    Recipe,
    RiskOptions,
    RiskResult,
    days_since,
    route_key,
    route_modules,
    timing_of,
    waived_agreement,
)
from evfab._timing import (
    DAYS_PER_MONTH,
    Path,
    Timing,
    capacity_by_year,
    off_days,
    producing_share,
    ramp_factor,
    year_bounds,
)
from evfab._world import World
from evfab.rules import Route

if TYPE_CHECKING:
    from evfab.plan import PlanResult


def _compile(routes: list[Route]) -> Compiled:
    steps: dict[str, tuple[str, float, float, float, float]] = {}
    events: dict[str, float] = {}
    for r in routes:
        t = timing_of(r)
        for s in t.steps():
            steps.setdefault(s.key, (s.label, s.min, s.mode, s.max, s.after))
        for e in t.events:
            events.setdefault(e.key, e.probability)
    keys = list(steps)
    lo = np.array([steps[k][1] for k in keys], np.float64)
    mode = np.array([steps[k][2] for k in keys], np.float64)
    hi = np.array([steps[k][3] for k in keys], np.float64)
    after = np.array([steps[k][4] for k in keys], np.float64)
    return Compiled(
        keys=keys,
        labels=[steps[k][0] for k in keys],
        lo=lo,
        mode=mode,
        hi=hi,
        done=np.where(after > 0, triangular_cdf(after, lo, mode, hi), 0.0),
        event_keys=list(events),
        event_p=np.array(list(events.values()), np.float64),
    )


def _path_days(
    world: World, path: Path, col: dict[str, int], months: AnyFloat, memo: dict[Path, FloatArray]
) -> FloatArray:
    """Day each sample reaches ``path``; ``months`` is (steps, samples)."""
    if path in memo:
        return memo[path]
    base = days_since(world, path.base)
    if not path.steps:
        out = np.full(months.shape[1], base)
    else:
        total = months[col[path.steps[0].key]].astype(np.float64)
        for st in path.steps[1:]:
            total += months[col[st.key]]
        # Paths round to whole days like the nominal dates, so modes reproduce the rules engine.
        out = base + np.rint(total * DAYS_PER_MONTH)
    bans = off_days(world.as_of, path.bans)
    if bans is not None:
        out = _lift_days(out, bans)
    memo[path] = out
    return out


def _lift_days(days: FloatArray, bans: FloatArray) -> FloatArray:
    """Days inside a ban ``[start, end)`` (rows of ``bans``) moved to its end, as
    :func:`evfab._timing.lift` does for one date; ``inf`` for a ban that never ends."""
    for lo, hi in bans:
        days = np.where((days >= lo) & (days < hi), hi, days)
    return days


def _fixed_phases(t: Timing) -> bool:
    return all(not ph.ready.steps for ph in t.phases)


def sample_routes(
    world: World,
    routes: list[Route],
    options: RiskOptions | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    allocation: pd.DataFrame | None = None,
    modules: Mapping[str, int] | None = None,
) -> RiskResult:
    """Monte Carlo of every given route.

    Args:
        world: The compiled world.
        routes: Routes to sample (from :func:`evfab.rules.derive_routes`).
        options: Sampling options.
        progress: Called with the number of samples done after each batch.
        allocation: Cars each route is to build by year: rows of ``program``, ``route``,
            ``year``, ``cars`` (other columns are ignored, rows of one route and year add
            up), such as :attr:`evfab.plan.PlanResult.production` (see
            :func:`plan_routes`). Each route's cars built are then capped by its own
            allocation (times the demand factor, with a demand spread) instead of its
            program's whole demand, so that the volumes and costs of a plan's routes add
            up to the plan. The allocation is fixed: a route that starts late does not
            hand its cars to another. Routes it leaves out build nothing (a note says so);
            its rows for routes not sampled are ignored.
        modules: Extra capacity modules built per build offer (``{offer id: modules}``),
            such as a plan's (see :func:`plan_modules`): each adds its offer's
            ``module_capacity`` to the routes that build the offer's plant, from their
            SOP on, and its ``module_fee`` to their expected cost (paid when the offer is
            concluded, as the offer's own fee).

    Returns:
        The distributions.

    Raises:
        ValueError: If a route is given twice, or the allocation lacks a column, has a
            year outside the horizon or a negative number of cars.
    """
    t0 = time.perf_counter()
    opts = options or RiskOptions()
    keys = [route_key(r) for r in routes]
    if len(set(keys)) < len(keys):
        raise ValueError("a route is given twice (same program and route id)")
    demand, notes = _demands(world, routes, allocation)
    notes += [
        f"{r.id} ({r.program}) is legal but not usable ({'; '.join(r.why)}): sampled as if it were"
        for r in routes
        if r.legal and not r.usable
    ]
    modules = dict(modules or {})
    per_car = {route_key(r): r.unit_cost + _logistics(world, r) for r in routes}
    if opts.demand_correlation > 0 and opts.demand_spread == 0:
        notes.insert(
            0,
            f"demand correlation {opts.demand_correlation:g} has no effect without a demand "
            "spread (demand is fixed); give a demand spread too",
        )
    comp = _compile(routes)
    streams = Streams(opts.seed)
    duration_u = streams.uniforms("duration", comp.keys)
    event_u = streams.uniforms("event", comp.event_keys)
    col = {k: i for i, k in enumerate(comp.keys)}
    ecol = {k: i for i, k in enumerate(comp.event_keys)}
    years = world.years
    starts, ends = year_bounds(world.as_of, years)
    discount = (1.0 + world.discount_rate) ** -(years - years[0]).astype(np.float64)
    horizon_end = float(ends[-1])
    n_days = int(horizon_end) + 1
    g_pos = {str(g): i for i, g in enumerate(world.programs.index)}
    ramps = {str(g): d for g, d in world.programs["ramp"].items() if d is not None and d == d}
    general = sum(not _fast(timing_of(r), opts, r.program in ramps) for r in routes)
    # NOTE: two float64 rows of years per kept sample and route; a budget keeps a run with
    # thousands of routes in memory (at 200,000 samples each would need ~26 MB).
    n_keep = min(
        opts.samples,
        VOLUME_SAMPLE_CAP,
        max(MIN_KEEP, KEEP_BYTES // max(1, general * len(years) * 16)),
    )
    # NOTE: programs of one company share their routes' recipes (the same Timing object):
    # the SOPs, the cars-by-SOP-day table and the drivers are made once per recipe, and
    # only what depends on a program (its demand, its ramp-up) once per program and route.
    recipes: dict[int, Recipe] = {}
    acc: dict[str, Acc] = {}
    for r in routes:
        t = timing_of(r)
        rec = recipes.get(id(t))
        if rec is None:
            rec = recipes[id(t)] = Recipe(
                sop=np.empty(opts.samples), extra=module_cars(world, r, modules)
            )
        if _fixed_phases(t) and rec.table_never is None:
            # NOTE: with fixed phase dates a route's cars by year depend on its SOP day
            # alone. Tabulated once per day (a few thousand rows), they are looked up per
            # sample instead of worked out (the general path), or (the fast path: no ramp,
            # fixed demand) counting SOP days replaces N x years of arithmetic per route
            # with O(N): this is what makes 10M+ route-samples per second possible.
            grid = np.arange(n_days, dtype=np.float64)
            ready = np.broadcast_to(
                [days_since(world, ph.ready.base) for ph in t.phases], (n_days, len(t.phases))
            )
            rec.table_never = np.vstack(
                [
                    _cars(world, t, years, ready, grid, starts, ends, rec.extra),
                    np.zeros((1, len(years))),
                ]
            )
        if not _fast(t, opts, r.program in ramps):
            acc[route_key(r)] = Acc(
                avail_keep=np.empty((n_keep, len(years))),
                built_keep=np.empty((n_keep, len(years))),
                avail_sum=np.zeros(len(years)),
                built_sum=np.zeros(len(years)),
            )
    # The durations of the first samples: the drivers use up to DRIVER_SAMPLES of them.
    m_keep = min(opts.samples, max(n_keep, DRIVER_SAMPLES))
    months_keep = np.empty((m_keep, len(comp.keys)), np.float32)
    draws = ProgramDraws(streams, list(g_pos), opts, set(ramps))
    # A program's routes one after another: its batch of draws is made once and dropped.
    by_program = sorted(routes, key=lambda r: g_pos[r.program])
    done = 0
    while done < opts.samples:
        n = min(opts.chunk, opts.samples - done)
        u = duration_u.next(n)
        if comp.done.any():
            # A duration already running on as_of is drawn beyond what has passed: its
            # uniform is confined to the part of the CDF not yet ruled out.
            past = comp.done[:, None].astype(np.float32)
            u = past + u * (np.float32(1.0) - past)
        months = triangular(
            u,
            comp.lo[:, None].astype(np.float32),
            comp.mode[:, None].astype(np.float32),
            comp.hi[:, None].astype(np.float32),
        )
        ue = event_u.next(n)
        happened = ue < comp.event_p[:, None]
        memo: dict[Path, FloatArray] = {}
        draws.batch(n)
        k_n = max(0, min(n, n_keep - done))
        keep = slice(done, done + k_n)
        m_n = max(0, min(n, m_keep - done))
        if m_n:
            months_keep[done : done + m_n] = months[:, :m_n].T
        started: dict[int, tuple[FloatArray, npt.NDArray[np.bool_]]] = {}
        for r in by_program:
            t = timing_of(r)
            hit = started.get(id(t))
            if hit is None:
                hit = started[id(t)] = _start(
                    world, t, col, ecol, months, (ue, happened), memo, horizon_end
                )
                recipes[id(t)].sop[done : done + n] = np.where(hit[1], hit[0], np.inf)
            sop, ok = hit
            a = acc.get(route_key(r))
            if a is None:  # the fast path: its recipe's SOPs are all it needs
                continue
            rec = recipes[id(t)]
            if rec.table_never is not None:
                # The row of each sample's SOP day (the SOPs are whole days; a sample that
                # never starts takes the row of zeros).
                cars = rec.table_never[np.where(ok, sop, n_days).astype(np.intp)]
            else:
                ready = np.stack(
                    [_path_days(world, ph.ready, col, months, memo) for ph in t.phases], axis=1
                )
                cars = _cars(world, t, years, ready, sop, starts, ends, rec.extra)
            demand_factor, ramp_u = draws.of(r.program, n)
            ramp = ramps.get(r.program)
            if ramp is not None and ramp_u is not None:
                ramp_days = triangular(
                    ramp_u, np.array(ramp.min), np.array(ramp.mode), np.array(ramp.max)
                )
                ramp_f = ramp_factor(
                    sop, ramp_days.astype(np.float64) * DAYS_PER_MONTH, starts, ends
                )
                cars = np.multiply(cars, ramp_f)
                cars[~ok] = 0.0
            elif rec.table_never is None:
                cars[~ok] = 0.0
            built = np.minimum(cars, demand[route_key(r)][None, :] * demand_factor[:, None])
            # NOTE: sums over samples as products with a vector of ones (BLAS): numpy's
            # sum over the long axis of an (N, years) array took a quarter of the run.
            ones = np.ones(n)
            a.avail_sum += ones @ cars
            built_sum = ones @ built
            a.built_sum += built_sum
            a.variable_cost += float(built_sum @ discount) * per_car[route_key(r)]
            if k_n:
                a.avail_keep[keep] = cars[:k_n]
                a.built_keep[keep] = built[:k_n]
        done += n
        if progress is not None:
            progress(done)
    # A badge waiver is paid once if any route under its agreement starts: the chance of
    # that, from the recipes' SOPs before the summaries sort them.
    waived: dict[str, set[int]] = {}
    for r in routes:
        if (agreement := waived_agreement(r)) is not None:
            waived.setdefault(agreement, set()).add(id(timing_of(r)))
    p_waiver = {
        o: float(np.logical_or.reduce([np.isfinite(recipes[i].sop) for i in ids]).mean())
        for o, ids in waived.items()
    }
    res = summarise(
        world,
        routes,
        opts,
        comp,
        col,
        ecol,
        recipes,
        acc,
        months_keep,
        discount,
        n_keep,
        n_days,
        demand,
        per_car,
        modules,
        p_waiver,
    )
    return dataclasses.replace(
        res,
        seconds=time.perf_counter() - t0,
        demand_basis="program" if allocation is None else "allocation",
        notes=tuple(notes),
    )


def _demands(
    world: World, routes: list[Route], allocation: pd.DataFrame | None
) -> tuple[dict[str, FloatArray], list[str]]:
    """The cars that cap each route's cars built, by year (keyed by :func:`route_key`),
    and notes about them."""
    g_pos = {str(g): i for i, g in enumerate(world.programs.index)}
    if allocation is None:
        return {route_key(r): world.demand[g_pos[r.program]].astype(np.float64) for r in routes}, []
    lacking = [c for c in ("program", "route", "year", "cars") if c not in allocation.columns]
    if lacking:
        raise ValueError(f"the allocation has no column {', '.join(map(repr, lacking))}")
    years = world.years
    out = {route_key(r): np.zeros(len(years)) for r in routes}
    rows = zip(
        allocation["program"],
        allocation["route"],
        allocation["year"],
        allocation["cars"],
        strict=True,
    )
    for program, route, year, cars in rows:
        k = RiskResult.key(str(program), str(route))
        if k not in out:
            continue
        if not years[0] <= int(year) <= years[-1]:
            raise ValueError(
                f"the allocation gives {k} cars in {int(year)}, outside the horizon "
                f"{int(years[0])}-{int(years[-1])}"
            )
        if not float(cars) >= 0:
            raise ValueError(f"the allocation gives {k} {cars} cars in {int(year)}")
        out[k][int(year) - int(years[0])] += float(cars)
    notes = [
        f"the allocation gives {r.id} ({r.program}) no cars: it builds none"
        for r in routes
        if not out[route_key(r)].any()
    ]
    return out, notes


def plan_routes(routes: list[Route], result: PlanResult) -> tuple[list[Route], pd.DataFrame]:
    """The routes a plan uses and its allocation of cars to them, to sample them as planned.

    A program's route is picked when the plan chooses that route *for that program*
    (programs of one company share route ids).

    Args:
        routes: Routes to pick from (from :func:`evfab.rules.derive_routes`, perhaps of one
            program only).
        result: The plan.

    Returns:
        The routes the plan uses, in the order of ``routes``, and its production (the
        ``allocation`` for :func:`sample_routes`); none and an empty table without a plan.
    """
    if not result.ok:
        return [], result.production.iloc[0:0]
    used = set(zip(result.choices["program"], result.choices["route"], strict=True))
    return [r for r in routes if (r.program, r.id) in used], result.production


def _fast(t: Timing, opts: RiskOptions, ramp: bool) -> bool:
    """Whether a route's cars by year depend on its SOP day alone (see sample_routes)."""
    return _fixed_phases(t) and opts.demand_spread == 0 and not ramp


def _start(
    world: World,
    t: Timing,
    col: dict[str, int],
    ecol: dict[str, int],
    months: AnyFloat,
    events: tuple[AnyFloat, npt.NDArray[np.bool_]],
    memo: dict[Path, FloatArray],
    horizon_end: float,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Each sample's SOP day under a recipe (``horizon_end``: the day after the horizon),
    and whether the route starts at all (``events``: the events' uniforms, and whether
    each happened at its nominal chance)."""
    lic = _path_days(world, t.licence, col, months, memo)
    access = _path_days(world, t.access, col, months, memo)
    if _fixed_phases(t):
        first = min(days_since(world, ph.ready.base) for ph in t.phases)
        sop = np.maximum(np.maximum(lic, access), max(first, 0.0))
    else:
        ready = np.stack(
            [_path_days(world, ph.ready, col, months, memo) for ph in t.phases], axis=1
        )
        sop = np.maximum(np.maximum(lic, access), np.maximum(ready.min(axis=1), 0.0))
    off = off_days(world.as_of, t.off)
    if off is not None:  # a start while the route may not produce waits (or never)
        sop = _lift_days(sop, off)
    ok = sop < horizon_end
    uniform, happened = events
    for e in t.events:
        if e.by_date and e.at is not None:
            # A licence granted on a date gets the approval chance (and the minimum
            # capacity: a chance of 0 or 1) in force then.
            when = _path_days(world, e.at, col, months, memo)
            since = np.array([days_since(world, d) for d, _ in e.by_date])
            chance = np.array([p for _, p in e.by_date])
            at = np.maximum(np.searchsorted(since, when, "right") - 1, 0)  # as_of: the first
            ok &= uniform[ecol[e.key]] < chance[at]
        else:
            ok &= happened[ecol[e.key]]
    if t.deadline is not None:
        ok &= sop < days_since(world, t.deadline)
    return sop, ok


def _cars(
    world: World,
    t: Timing,
    years: npt.NDArray[np.int64],
    ready: FloatArray,
    sop: FloatArray,
    starts: FloatArray,
    ends: FloatArray,
    extra: float = 0.0,
) -> FloatArray:
    """Cars available by year per sample: the plant's phases (net of its operator's load,
    times the route's share) plus ``extra`` cars a year of modules from the SOP on, within
    the contract's cap."""
    caps = np.array([ph.capacity for ph in t.phases], np.float64)
    limit = np.array([t.limit.get(int(y), np.inf) for y in years], np.float64)
    off = off_days(world.as_of, t.off)
    free = np.array(t.free_share)
    if not extra:
        return capacity_by_year(caps, ready, sop, starts, ends, free, t.share, limit, off)
    # Modules add to the plant as built (no operator's load on them), as in the planner.
    cars = capacity_by_year(
        caps, ready, sop, starts, ends, free, t.share, np.full_like(limit, np.inf), off
    )
    cars += extra * producing_share(sop[:, None], starts, ends, off)[:, 0, :]
    out: FloatArray = np.minimum(cars, limit[None, :])
    return out


def module_cars(world: World, r: Route, modules: Mapping[str, int]) -> float:
    """Cars a year that ``modules`` (built per build offer) add to the route's plant: those
    of the build offers the route takes for that plant."""
    return sum(
        n * float(world.offer(o)["detail"].get("module_capacity") or 0.0)
        for o, n in route_modules(world, r, modules)
    )


def _logistics(world: World, r: Route) -> float:
    """Logistics cost per car of the route's program from its plant (0 if none given)."""
    costs = world.program_rows[r.program].get("logistics") or {}
    return float(costs.get(r.plant, 0.0))


def plan_modules(result: PlanResult) -> dict[str, int]:
    """The extra modules a plan builds per build offer (for ``modules`` of
    :func:`sample_routes`); empty without a plan."""
    if not result.ok or not len(result.offers):
        return {}
    return {
        str(o): int(n)
        for o, n in zip(result.offers["offer"], result.offers["modules"], strict=True)
        if int(n) > 0
    }


__all__ = [
    "DRIVER_SAMPLES",
    "KEEP_BYTES",
    "MIN_KEEP",
    "MIN_SAMPLES",
    "VOLUME_SAMPLE_CAP",
    "RiskOptions",
    "RiskResult",
    "module_cars",
    "plan_modules",
    "plan_routes",
    "sample_routes",
    "triangular",
]
