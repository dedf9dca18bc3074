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
   by year follows :func:`evfab._timing.capacity_by_year`, times an optional ramp-up;
4. optionally demand is drawn too (a triangular factor around the scenario's demand).

Same seed, same result: each uncertain quantity (a duration, an event, a program's demand
or ramp-up) draws from a stream made from the run's seed and its name alone (see
:class:`evfab._risk_draws.Streams`), so runs with one seed share the draws of everything
they have in common, and the samples do not depend on how they are batched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from evfab._risk_draws import ProgramDraws, Streams, triangular, triangular_cdf
from evfab._timing import (
    DAYS_PER_MONTH,
    Path,
    Timing,
    capacity_by_year,
    off_days,
    ramp_factor,
    year_bounds,
)
from evfab._world import World
from evfab.rules import Route

FloatArray = npt.NDArray[np.float64]
DRIVER_SAMPLES = 20_000
"""Samples used for the rank correlations that name a route's SOP drivers."""
VOLUME_SAMPLE_CAP = 200_000
"""Volume percentiles use at most this many samples (the first ones; draws are i.i.d.)."""
KEEP_BYTES = 512 * 2**20
"""Memory for the kept volume samples of all general-path routes together: with many routes
each keeps fewer than :data:`VOLUME_SAMPLE_CAP` samples (at least :data:`MIN_KEEP`)."""
MIN_KEEP = 2_000
"""The fewest samples volume percentiles use (unless fewer are drawn)."""


@dataclass(frozen=True)
class RiskOptions:
    """How to sample.

    Attributes:
        samples: Number of Monte Carlo samples.
        seed: Seed of the run's random streams (a non-negative integer).
        demand_spread: Demand is drawn as demand x triangular(1 - s, 1, 1 + s); 0 keeps it fixed.
        demand_correlation: How much programs' demand draws move together, 0-1: in this
            share of samples every program takes one market-wide draw, otherwise each its
            own (the rank correlation between two programs' demand is this number).
        chunk: Samples per vectorised batch (bounds memory).

    Every duration, event, program demand and ramp-up draws from a stream of its own,
    made from ``seed`` and its name: its draws do not depend on which other routes,
    programs or policy periods are sampled (routes resting on one deal, or one program's
    routes, share them), nor on ``chunk`` (sums over batches may differ in the last bits).
    So a route's SOPs, odds and mean volumes do not either; its volume percentiles come
    from the first samples kept, fewer when many routes share the memory budget.
    """

    samples: int = 20_000
    seed: int = 0
    demand_spread: float = 0.0
    demand_correlation: float = 0.0
    chunk: int = 50_000

    def __post_init__(self) -> None:
        if not 0.0 <= self.demand_correlation <= 1.0:
            raise ValueError(f"demand_correlation {self.demand_correlation} is not within 0-1")
        if self.seed < 0:
            raise ValueError(f"seed {self.seed} is negative")
        if not 0.0 <= self.demand_spread < 1.0:
            raise ValueError(f"demand_spread {self.demand_spread} is not within [0, 1)")


@dataclass(frozen=True)
class RiskResult:
    """Distributions per route.

    Attributes:
        scenario: Scenario name.
        samples: Samples drawn.
        seed: Seed used.
        summary: One row per route: p_success, sop_p10/p50/p90 (dates, None = never),
            nominal_sop, target_sop, p_on_target, expected_cars, expected_cost, weakest_status.
        volumes: One row per route and year: cars available p10/p50/p90 and mean; built
            (available capped by demand) p10/p50/p90 and mean. Means use every sample;
            percentiles of routes on the general path (a demand spread, a ramp-up, or
            phases still to be built) use the first samples,
            up to 200,000 in all or fewer with many routes (about 512 MB in all, at least
            2,000 each).
        sop_samples: Sorted SOP samples (days since as_of; inf = never) per program and
            route (key ``program/route``, see :meth:`key`),
            thinned to at most 2,000 points, for CDF charts.
        drivers: Per program and route (key ``program/route``), the durations whose draws
            move its SOP most (rank correlation).
        seconds: Wall time of the whole :func:`sample_routes` call (setup, sampling and
            summaries), so that :attr:`route_samples_per_second` is what a caller gets.
    """

    scenario: str
    samples: int
    seed: int
    summary: pd.DataFrame
    volumes: pd.DataFrame
    sop_samples: dict[str, FloatArray]
    drivers: dict[str, list[tuple[str, float]]]
    seconds: float
    as_of: dt.date = field(default=dt.date(2000, 1, 1))

    @staticmethod
    def key(program: str, route: str) -> str:
        """The key of a program's route in :attr:`sop_samples` and :attr:`drivers`.

        Programs of one company often have routes with the same id, so the key is both.
        """
        return f"{program}/{route}"

    @property
    def route_samples_per_second(self) -> float:
        """Throughput: route-samples drawn and evaluated per second."""
        return self.samples * len(self.summary) / self.seconds if self.seconds > 0 else float("inf")


AnyFloat = npt.NDArray[np.floating[Any]]


def _key(r: Route) -> str:
    """A program's route: programs of one company share route ids (not demand or ramps)."""
    return RiskResult.key(r.program, r.id)


@dataclass(frozen=True)
class _Compiled:
    """Routes' recipes as index arrays into one sample matrix of steps."""

    keys: list[str]
    labels: list[str]
    lo: FloatArray
    mode: FloatArray
    hi: FloatArray
    done: FloatArray
    """Share of each duration's probability already ruled out on as_of (see Step.after)."""
    event_keys: list[str]
    event_p: FloatArray


def _compile(routes: list[Route]) -> _Compiled:
    steps: dict[str, tuple[str, float, float, float, float]] = {}
    events: dict[str, float] = {}
    for r in routes:
        t = _timing(r)
        for s in t.steps():
            steps.setdefault(s.key, (s.label, s.min, s.mode, s.max, s.after))
        for e in t.events:
            events.setdefault(e.key, e.probability)
    keys = list(steps)
    lo = np.array([steps[k][1] for k in keys], np.float64)
    mode = np.array([steps[k][2] for k in keys], np.float64)
    hi = np.array([steps[k][3] for k in keys], np.float64)
    after = np.array([steps[k][4] for k in keys], np.float64)
    return _Compiled(
        keys=keys,
        labels=[steps[k][0] for k in keys],
        lo=lo,
        mode=mode,
        hi=hi,
        done=np.where(after > 0, triangular_cdf(after, lo, mode, hi), 0.0),
        event_keys=list(events),
        event_p=np.array(list(events.values()), np.float64),
    )


def _timing(r: Route) -> Timing:
    if r.timing is None:
        raise ValueError(f"route {r.id} carries no timing recipe")
    return r.timing


def _days(world: World, d: dt.date) -> float:
    return float((d - world.as_of).days)


def _path_days(
    world: World, path: Path, col: dict[str, int], months: AnyFloat, memo: dict[Path, FloatArray]
) -> FloatArray:
    """Day each sample reaches ``path``; ``months`` is (steps, samples)."""
    if path in memo:
        return memo[path]
    base = _days(world, path.base)
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


@dataclass
class _Recipe:
    """What depends on a route's recipe alone, shared by every program that has it: the SOP
    of every sample, and (fixed phase dates) cars by year for each SOP day."""

    sop: FloatArray
    table_never: FloatArray | None = None
    """Cars by year for an SOP on each day since as_of (one row per day), and a last row
    of zeros: the row of samples that never start."""
    # Filled once, when the first route of the recipe is summarised (fast path).
    day_counts: npt.NDArray[np.int64] | None = None
    """How many samples start on each day that some sample starts on (or never)."""
    day_avail: FloatArray | None = None
    """The rows of ``table_never`` of those days."""
    avail_percentiles: FloatArray | None = None
    drivers: list[tuple[str, float]] | None = None
    cdf: FloatArray | None = None


@dataclass
class _Acc:
    """Per program and route (general path): the first samples' volumes, and running sums."""

    avail_keep: FloatArray
    built_keep: FloatArray
    avail_sum: FloatArray
    built_sum: FloatArray
    variable_cost: float = 0.0


def _fixed_phases(t: Timing) -> bool:
    return all(not ph.ready.steps for ph in t.phases)


def sample_routes(
    world: World,
    routes: list[Route],
    options: RiskOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> RiskResult:
    """Monte Carlo of every given route.

    Args:
        world: The compiled world.
        routes: Routes to sample (from :func:`evfab.rules.derive_routes`).
        options: Sampling options.
        progress: Called with the number of samples done after each batch.

    Returns:
        The distributions.
    """
    t0 = time.perf_counter()
    opts = options or RiskOptions()
    keys = [_key(r) for r in routes]
    if len(set(keys)) < len(keys):
        raise ValueError("a route is given twice (same program and route id)")
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
    general = sum(not _fast(_timing(r), opts, r.program in ramps) for r in routes)
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
    recipes: dict[int, _Recipe] = {}
    acc: dict[str, _Acc] = {}
    for r in routes:
        t = _timing(r)
        rec = recipes.get(id(t))
        if rec is None:
            rec = recipes[id(t)] = _Recipe(sop=np.empty(opts.samples))
        if _fixed_phases(t) and rec.table_never is None:
            # NOTE: with fixed phase dates a route's cars by year depend on its SOP day
            # alone. Tabulated once per day (a few thousand rows), they are looked up per
            # sample instead of worked out (the general path), or (the fast path: no ramp,
            # fixed demand) counting SOP days replaces N x years of arithmetic per route
            # with O(N): this is what makes 10M+ route-samples per second possible.
            grid = np.arange(n_days, dtype=np.float64)
            ready = np.broadcast_to(
                [_days(world, ph.ready.base) for ph in t.phases], (n_days, len(t.phases))
            )
            rec.table_never = np.vstack(
                [_cars(world, t, years, ready, grid, starts, ends), np.zeros((1, len(years)))]
            )
        if not _fast(t, opts, r.program in ramps):
            acc[_key(r)] = _Acc(
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
            t = _timing(r)
            hit = started.get(id(t))
            if hit is None:
                hit = started[id(t)] = _start(
                    world, t, col, ecol, months, (ue, happened), memo, horizon_end
                )
                recipes[id(t)].sop[done : done + n] = np.where(hit[1], hit[0], np.inf)
            sop, ok = hit
            a = acc.get(_key(r))
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
                cars = _cars(world, t, years, ready, sop, starts, ends)
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
            built = np.minimum(
                cars, world.demand[g_pos[r.program]][None, :] * demand_factor[:, None]
            )
            # NOTE: sums over samples as products with a vector of ones (BLAS): numpy's
            # sum over the long axis of an (N, years) array took a quarter of the run.
            ones = np.ones(n)
            a.avail_sum += ones @ cars
            built_sum = ones @ built
            a.built_sum += built_sum
            a.variable_cost += float(built_sum @ discount) * r.unit_cost
            if k_n:
                a.avail_keep[keep] = cars[:k_n]
                a.built_keep[keep] = built[:k_n]
        done += n
        if progress is not None:
            progress(done)
    res = _summarise(
        world, routes, opts, comp, col, ecol, recipes, acc, months_keep, discount, n_keep, n_days
    )
    return dataclasses.replace(res, seconds=time.perf_counter() - t0)


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
        first = min(_days(world, ph.ready.base) for ph in t.phases)
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
            since = np.array([_days(world, d) for d, _ in e.by_date])
            chance = np.array([p for _, p in e.by_date])
            at = np.maximum(np.searchsorted(since, when, "right") - 1, 0)  # as_of: the first
            ok &= uniform[ecol[e.key]] < chance[at]
        else:
            ok &= happened[ecol[e.key]]
    if t.deadline is not None:
        ok &= sop < _days(world, t.deadline)
    return sop, ok


def _cars(
    world: World,
    t: Timing,
    years: npt.NDArray[np.int64],
    ready: FloatArray,
    sop: FloatArray,
    starts: FloatArray,
    ends: FloatArray,
) -> FloatArray:
    caps = np.array([ph.capacity for ph in t.phases], np.float64)
    limit = np.array([t.limit.get(int(y), np.inf) for y in years], np.float64)
    return capacity_by_year(
        caps,
        ready,
        sop,
        starts,
        ends,
        np.array(t.free_share),
        t.share,
        limit,
        off_days(world.as_of, t.off),
    )


def _expected_fixed(
    world: World, r: Route, comp: _Compiled, ecol: dict[str, int], sop: FloatArray
) -> float:
    """Expected one-off payments: each offer's fee times its chance of being concluded, and
    the badge waiver when the route starts; discounted to as_of."""
    total = 0.0
    y0 = int(world.years[0])
    for o in r.offers:
        row = world.offer(o)
        key = f"offer:{o}:success"
        p = float(comp.event_p[ecol[key]]) if key in ecol else 1.0
        year = (world.as_of + dt.timedelta(days=row["lead_months"].mode * DAYS_PER_MONTH)).year
        total += float(row["fixed_fee"]) * p / (1.0 + world.discount_rate) ** max(0, year - y0)
    if r.badge_waiver_fee:
        total += r.badge_waiver_fee * float(np.isfinite(sop).mean())
    return total


def _date(world: World, days: float) -> dt.date | None:
    return None if not np.isfinite(days) else world.as_of + dt.timedelta(days=round(float(days)))


def _weighted_percentiles(
    values: FloatArray, counts: npt.NDArray[np.int64], qs: list[float]
) -> FloatArray:
    """Percentiles (lower method) of columns of ``values`` whose rows occur ``counts`` times."""
    total = counts.sum()
    # NOTE: rows that never occur cannot be picked (the first row whose cumulative count
    # reaches a rank adds to it); dropping them first leaves a few hundred SOP days of the
    # thousands tabulated, and all columns are sorted in one call.
    seen = counts > 0
    values, counts = values[seen], counts[seen]
    order = np.argsort(values, axis=0, kind="stable")
    cum = np.cumsum(counts[order], axis=0)
    cols = np.arange(values.shape[1])
    out = np.empty((len(qs), values.shape[1]))
    for i, q in enumerate(qs):
        # The smallest value whose cumulative count reaches rank floor(q * (total - 1)) + 1.
        rank = int(np.floor(q / 100 * (total - 1))) + 1
        out[i] = values[order[(cum >= rank).argmax(axis=0), cols], cols]
    return out


def _summarise(
    world: World,
    routes: list[Route],
    opts: RiskOptions,
    comp: _Compiled,
    col: dict[str, int],
    ecol: dict[str, int],
    recipes: dict[int, _Recipe],
    acc: dict[str, _Acc],
    months_keep: AnyFloat,
    discount: FloatArray,
    n_keep: int,
    n_days: int,
) -> RiskResult:
    rows, vol_rows = [], []
    cdf: dict[str, FloatArray] = {}
    drivers: dict[str, list[tuple[str, float]]] = {}
    n = opts.samples
    g_pos = {str(g): i for i, g in enumerate(world.programs.index)}
    # np.percentile's "lower" method picks sorted index floor((n - 1) q).
    q_index = np.floor((n - 1) * (np.array([10, 50, 90]) / 100)).astype(np.intp)
    for r in routes:
        rec = recipes[id(_timing(r))]
        if rec.cdf is None:
            head = rec.sop[:DRIVER_SAMPLES].copy()
            # NOTE: one in-place sort per recipe serves the percentiles, the odds and the
            # CDF chart (the drivers keep the unsorted head). np.percentile, two boolean
            # means and np.sort's fresh copy over N samples took half of a 1M-sample call.
            rec.sop.sort()
            rec.cdf = rec.sop[:: max(1, len(rec.sop) // 2000)].copy()
            rec.drivers = _drivers(r, comp, col, months_keep[:DRIVER_SAMPLES], head)
        srt = rec.sop
        p10, p50, p90 = srt[q_index]
        target = _days(world, r.target_sop)
        a = acc.get(_key(r))
        if a is None:
            assert rec.table_never is not None
            if rec.day_counts is None:
                # How many samples started on each day (index = day since as_of); the
                # last bin counts those that never started.
                # NOTE: the SOPs are sorted whole days, so a binary search per day boundary
                # counts them without another pass over every sample.
                edges = np.searchsorted(srt, np.arange(n_days + 1) - 0.5)
                day_counts = np.append(np.diff(edges), len(srt) - edges[-1])
                # NOTE: only the days some sample starts on (a few hundred of thousands)
                # count, for every program of the recipe.
                seen = day_counts > 0
                rec.day_counts, rec.day_avail = day_counts[seen], rec.table_never[seen]
            counts, t_avail = rec.day_counts, rec.day_avail
            assert t_avail is not None
            t_built = np.minimum(t_avail, world.demand[g_pos[r.program]][None, :])
            avail_mean = counts @ t_avail / n
            built_mean = counts @ t_built / n
            variable = float(counts @ (t_built @ discount)) * r.unit_cost / n
            if rec.avail_percentiles is None:  # the same for every program of the recipe
                rec.avail_percentiles = _weighted_percentiles(t_avail, counts, [10, 50, 90])
            pa = rec.avail_percentiles
            pb = _weighted_percentiles(t_built, counts, [10, 50, 90])
        else:
            avail_mean, built_mean = a.avail_sum / n, a.built_sum / n
            variable = a.variable_cost / n
            pa = np.percentile(a.avail_keep[:n_keep], [10, 50, 90], axis=0, method="lower")
            pb = np.percentile(a.built_keep[:n_keep], [10, 50, 90], axis=0, method="lower")
        rows.append(
            {
                "program": r.program,
                "route": r.id,
                "p_success": float(np.searchsorted(srt, np.inf)) / n,
                "nominal_sop": r.earliest_sop,
                "sop_p10": _date(world, p10),
                "sop_p50": _date(world, p50),
                "sop_p90": _date(world, p90),
                "target_sop": r.target_sop,
                "p_on_target": float(np.searchsorted(srt, target, side="right")) / n,
                "expected_cars": float(avail_mean.sum()),
                "expected_built": float(built_mean.sum()),
                "expected_cost": variable + _expected_fixed(world, r, comp, ecol, srt),
                "weakest_status": r.weakest_status,
                "warnings": list(r.warnings),
            }
        )
        for j, y in enumerate(world.years):
            vol_rows.append(
                {
                    "program": r.program,
                    "route": r.id,
                    "year": int(y),
                    "available_p10": float(pa[0, j]),
                    "available_p50": float(pa[1, j]),
                    "available_p90": float(pa[2, j]),
                    "available_mean": float(avail_mean[j]),
                    "built_p10": float(pb[0, j]),
                    "built_p50": float(pb[1, j]),
                    "built_p90": float(pb[2, j]),
                    "built_mean": float(built_mean[j]),
                }
            )
        key = _key(r)
        cdf[key] = rec.cdf.copy()  # each program's own array (at most ~2,000 points)
        drivers[key] = list(rec.drivers or [])
    return RiskResult(
        scenario=world.name,
        samples=n,
        seed=opts.seed,
        summary=pd.DataFrame(rows),
        volumes=pd.DataFrame(vol_rows),
        sop_samples=cdf,
        drivers=drivers,
        seconds=0.0,
        as_of=world.as_of,
    )


def _drivers(
    r: Route, comp: _Compiled, col: dict[str, int], months: AnyFloat, sop: FloatArray
) -> list[tuple[str, float]]:
    """Durations whose draws move the route's SOP most: Spearman rank correlation, top 3."""
    ok = np.isfinite(sop)
    # A SOP that does not vary (set by a fixed plant date, say) has no drivers.
    if ok.sum() < 10 or np.ptp(sop[ok]) == 0:
        return []
    sop_rank = _ranks(sop[ok])
    out = []
    for s in _timing(r).steps():
        x = months[ok, col[s.key]]
        if np.ptp(x) == 0:
            continue
        rho = float(np.corrcoef(_ranks(x), sop_rank)[0, 1])
        if np.isfinite(rho):
            out.append((s.label, rho))
    out.sort(key=lambda t: -abs(t[1]))
    return out[:3]


def _ranks(x: AnyFloat) -> FloatArray:
    """Ranks with ties sharing their average rank, as Spearman's coefficient needs.

    (SOPs tie often: every sample whose SOP is set by the same fixed date gets it. Ranking
    ties by sample order instead adds noise that dilutes the coefficient.)
    """
    order = np.argsort(x, kind="stable")
    xs = x[order]
    first = np.concatenate([[True], xs[1:] != xs[:-1]])
    starts = np.flatnonzero(first)
    sizes = np.diff(np.append(starts, len(x)))
    out = np.empty(len(x))
    out[order] = np.repeat(starts + (sizes - 1) / 2, sizes)
    return out
