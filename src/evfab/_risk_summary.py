"""The risk engine's summaries: percentiles, odds, expected cost and SOP drivers per route."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from evfab._risk_types import (
    DRIVER_SAMPLES,
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
from evfab._world import World
from evfab.rules import Route


def _expected_fixed(
    world: World,
    r: Route,
    comp: Compiled,
    ecol: dict[str, int],
    p_start: float,
    discount: FloatArray,
    modules: Mapping[str, int],
) -> dict[tuple[str, str], float]:
    """Expected one-off payments of a route, discounted to as_of, by item: each offer's fee
    (and the fee of the modules built under it) times its chance of being concluded, and the
    badge waiver times the route's chance of starting; each paid in its offer's year, as
    the planner pays them. Items are keyed ``(kind, offer)`` so that routes sharing an offer
    can count it once."""
    out: dict[tuple[str, str], float] = {}
    built = dict(route_modules(world, r, modules))
    for o in r.offers:
        row = world.offer(o)
        key = f"offer:{o}:success"
        p = float(comp.event_p[ecol[key]]) if key in ecol else 1.0
        df = float(discount[world.payment_year(row)])
        out["offer", o] = float(row["fixed_fee"]) * p * df
        if o in built:
            out["modules", o] = built[o] * float(row["detail"].get("module_fee") or 0.0) * p * df
    if (agreement := waived_agreement(r)) is not None:
        out["waiver", agreement] = _waiver_cost(world, r, agreement, p_start, discount)
    return out


def _waiver_cost(world: World, r: Route, agreement: str, p: float, discount: FloatArray) -> float:
    """Route ``r``'s badge waiver paid with chance ``p``, in its agreement's year, discounted."""
    return r.badge_waiver_fee * p * float(discount[world.payment_year(world.offer(agreement))])


def together(
    items: list[dict[tuple[str, str], float]],
    variable: list[float],
    waivers: dict[str, float],
) -> float:
    """Expected cost of routes taken together: every route's per-car costs, and each one-off
    item once (an offer's fee is the same for every route that needs it). A waiver shared
    by several routes is paid if any of them starts: ``waivers`` gives that payment's
    expected value per agreement, which replaces the routes' own."""
    once: dict[tuple[str, str], float] = {}
    for route_items in items:
        for k, v in route_items.items():
            once[k] = max(once.get(k, 0.0), v)
    once.update({("waiver", o): v for o, v in waivers.items()})
    return float(sum(variable)) + float(sum(once.values()))


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


def summarise(
    world: World,
    routes: list[Route],
    opts: RiskOptions,
    comp: Compiled,
    col: dict[str, int],
    ecol: dict[str, int],
    recipes: dict[int, Recipe],
    acc: dict[str, Acc],
    months_keep: AnyFloat,
    discount: FloatArray,
    n_keep: int,
    n_days: int,
    demand: dict[str, FloatArray],
    per_car: dict[str, float],
    modules: Mapping[str, int],
    p_waiver: dict[str, float],
) -> RiskResult:
    """The result: per route the odds, SOP percentiles, volumes, expected cost and drivers.

    ``demand`` caps each route's cars built by year and ``per_car`` is its cost per car
    (plant, fees, logistics), both keyed by :func:`route_key`; ``modules``: extra modules
    per build offer; ``p_waiver``: per agreement whose badge clause is waived, the chance
    that any of its routes starts.
    """
    fixed_items: list[dict[tuple[str, str], float]] = []
    variables: list[float] = []
    waiver_costs: dict[str, float] = {}
    for r in routes:
        if (agreement := waived_agreement(r)) is not None:
            waiver_costs[agreement] = _waiver_cost(
                world, r, agreement, p_waiver[agreement], discount
            )
    programs = _any_route(world, routes, recipes, opts.samples)
    rows, vol_rows = [], []
    cdf: dict[str, FloatArray] = {}
    drivers: dict[str, list[tuple[str, float]]] = {}
    n = opts.samples
    # np.percentile's "lower" method picks sorted index floor((n - 1) q).
    q_index = np.floor((n - 1) * (np.array([10, 50, 90]) / 100)).astype(np.intp)
    for r in routes:
        rec = recipes[id(timing_of(r))]
        if rec.cdf is None:
            head = rec.sop[:DRIVER_SAMPLES].copy()
            # NOTE: one in-place sort per recipe serves the percentiles, the odds and the
            # CDF chart (the drivers keep the unsorted head). np.percentile, two boolean
            # means and np.sort's fresh copy over N samples took half of a 1M-sample call.
            rec.sop.sort()
            rec.cdf = rec.sop[:: max(1, -(-len(rec.sop) // 2000))].copy()  # <= 2,000 points
            rec.drivers = _drivers(r, comp, col, months_keep[:DRIVER_SAMPLES], head)
        srt = rec.sop
        p10, p50, p90 = srt[q_index]
        target = days_since(world, r.target_sop)
        dem = demand[route_key(r)]
        a = acc.get(route_key(r))
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
            t_built = np.minimum(t_avail, dem[None, :])
            avail_mean = counts @ t_avail / n
            built_mean = counts @ t_built / n
            variable = float(counts @ (t_built @ discount)) * per_car[route_key(r)] / n
            if rec.avail_percentiles is None:  # the same for every program of the recipe
                rec.avail_percentiles = _weighted_percentiles(t_avail, counts, [10, 50, 90])
            pa = rec.avail_percentiles
            pb = _weighted_percentiles(t_built, counts, [10, 50, 90])
        else:
            avail_mean, built_mean = a.avail_sum / n, a.built_sum / n
            variable = a.variable_cost / n
            pa = np.percentile(a.avail_keep[:n_keep], [10, 50, 90], axis=0, method="lower")
            pb = np.percentile(a.built_keep[:n_keep], [10, 50, 90], axis=0, method="lower")
        started = int(np.searchsorted(srt, np.inf))
        p_success = started / n
        # Among the samples that start: an unconditional percentile near P(starts) flips
        # between a date and "never" from one seed to the next (P50 at P(starts) 50 %).
        if started:
            c10, c50, c90 = srt[np.floor((started - 1) * np.array([0.1, 0.5, 0.9])).astype(np.intp)]
        else:
            c10 = c50 = c90 = np.inf
        items = _expected_fixed(world, r, comp, ecol, p_success, discount, modules)
        fixed_items.append(items)
        variables.append(variable)
        rows.append(
            {
                "program": r.program,
                "route": r.id,
                "p_success": p_success,
                "nominal_sop": r.earliest_sop,
                "sop_p10": _date(world, p10),
                "sop_p50": _date(world, p50),
                "sop_p90": _date(world, p90),
                "sop_if_starts_p10": _date(world, c10),
                "sop_if_starts_p50": _date(world, c50),
                "sop_if_starts_p90": _date(world, c90),
                "target_sop": r.target_sop,
                "p_on_target": float(np.searchsorted(srt, target, side="right")) / n,
                "expected_cars": float(avail_mean.sum()),
                "expected_built": float(built_mean.sum()),
                "demand": float(dem.sum()),
                "expected_cost": variable + sum(items.values()),
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
                    "demand": float(dem[j]),
                }
            )
        key = route_key(r)
        cdf[key] = rec.cdf.copy()  # each program's own array (at most ~2,000 points)
        drivers[key] = list(rec.drivers or [])
    return RiskResult(
        scenario=world.name,
        samples=n,
        seed=opts.seed,
        demand_spread=opts.demand_spread,
        demand_correlation=opts.demand_correlation,
        summary=pd.DataFrame(rows),
        volumes=pd.DataFrame(vol_rows),
        programs=programs,
        sop_samples=cdf,
        drivers=drivers,
        seconds=0.0,
        as_of=world.as_of,
        expected_cost_together=together(fixed_items, variables, waiver_costs),
    )


def _any_route(
    world: World, routes: list[Route], recipes: dict[int, Recipe], n: int
) -> pd.DataFrame:
    """Per program: the chance that *some* route of those sampled starts, and starts by
    the program's target, were all pursued together.

    Every duration and event draws from a stream of its own (see
    :class:`evfab._risk_draws.Streams`), so sample i of two routes is one future, with
    the durations they share drawn alike: the earliest SOP over a program's routes, sample
    by sample, is when the program can first build. Worked out before the SOPs are sorted.
    """
    by_program: dict[str, list[Route]] = {}
    for r in routes:
        by_program.setdefault(r.program, []).append(r)
    rows = []
    for g, rs in by_program.items():
        seen: set[int] = set()
        first: FloatArray | None = None
        for r in rs:
            key = id(timing_of(r))
            if key in seen:
                continue
            seen.add(key)
            sop = recipes[key].sop
            first = sop.copy() if first is None else np.minimum(first, sop)
        assert first is not None
        target = days_since(world, rs[0].target_sop)
        rows.append(
            {
                "program": g,
                "routes": len(rs),
                "target_sop": rs[0].target_sop,
                "p_any_starts": float(np.isfinite(first).sum()) / n,
                "p_any_on_target": float((first <= target).sum()) / n,
            }
        )
    return pd.DataFrame(
        rows, columns=["program", "routes", "target_sop", "p_any_starts", "p_any_on_target"]
    )


def _drivers(
    r: Route, comp: Compiled, col: dict[str, int], months: AnyFloat, sop: FloatArray
) -> list[tuple[str, float]]:
    """Durations whose draws move the route's SOP most: Spearman rank correlation, top 3."""
    ok = np.isfinite(sop)
    # A SOP that does not vary (set by a fixed plant date, say) has no drivers.
    if ok.sum() < 10 or np.ptp(sop[ok]) == 0:
        return []
    sop_rank = _ranks(sop[ok])
    out = []
    for s in timing_of(r).steps():
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


__all__ = ["summarise"]
