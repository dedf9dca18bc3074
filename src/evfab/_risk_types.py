"""The risk engine's options, result and internal records (see :mod:`evfab.risk`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from evfab._timing import Timing
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
MIN_SAMPLES = 100
"""The fewest samples a run may draw: fewer make P10/P90 and the odds mere noise (the CLI's
``--samples`` has the same bound)."""


@dataclass(frozen=True)
class RiskOptions:
    """How to sample.

    Attributes:
        samples: Number of Monte Carlo samples, at least :data:`MIN_SAMPLES`.
        seed: Seed of the run's random streams (a non-negative integer).
        demand_spread: Demand is drawn as demand x triangular(1 - s, 1, 1 + s); 0 keeps it fixed.
        demand_correlation: How much programs' demand draws move together, 0-1: in this
            share of samples every program takes one market-wide draw, otherwise each its
            own (the rank correlation between two programs' demand is this number). It has
            no effect without a ``demand_spread`` (the result's notes then say so).
        chunk: Samples per vectorised batch (bounds memory), at least 1.

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
        if self.samples < MIN_SAMPLES:
            raise ValueError(
                f"samples {self.samples} is too few: draw at least {MIN_SAMPLES} "
                "(fewer make the percentiles and odds noise)"
            )
        if self.chunk < 1:
            raise ValueError(f"chunk {self.chunk} is not a positive number of samples")
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
            nominal_sop, target_sop, p_on_target, expected_cars, expected_built, demand
            (cars over the horizon that cap expected_built: see ``demand_basis``),
            expected_cost, weakest_status, warnings.
        volumes: One row per route and year: cars available p10/p50/p90 and mean; built
            (available capped by demand) p10/p50/p90 and mean; the demand that caps it
            (before any demand spread). Means use every sample;
            percentiles of routes on the general path (a demand spread, a ramp-up, or
            phases still to be built) use the first samples,
            up to 200,000 in all or fewer with many routes (about 512 MB in all, at least
            2,000 each).
        sop_samples: Sorted SOP samples (days since as_of; inf = never) per program and
            route (key ``program/route``, see :meth:`key`),
            thinned to at most 2,000 points, for CDF charts.
        drivers: Per program and route (key ``program/route``), the durations whose draws
            move its SOP most (rank correlation).
        seconds: Wall time of the whole :func:`evfab.risk.sample_routes` call (setup, sampling and
            summaries), so that :attr:`route_samples_per_second` is what a caller gets.
        as_of: The scenario date (SOP samples count days from it).
        demand_spread: The options' demand spread (with ``samples`` and ``seed``, what a
            run needs to be repeated).
        demand_correlation: The options' demand correlation, as given (see ``notes``).
        demand_basis: What caps each route's cars built: ``program`` (its program's
            demand) or ``allocation`` (the cars an allocation, such as a plan's production,
            gives that route; see :func:`evfab.risk.sample_routes`).
        notes: Warnings about the run: options without effect, routes the allocation gives
            no cars.
        programs: One row per program: ``routes`` sampled, ``target_sop``,
            ``p_any_starts`` and ``p_any_on_target``, the chance that *some* of those
            routes starts (by the target), were they all pursued together: sample by
            sample the earliest of their SOPs (shared durations are drawn alike).
        expected_cost_together: Expected discounted cost of all the routes sampled taken
            together, e.g. a plan's: their per-car costs, and each offer's one-off fees
            (and modules, and badge waiver) once however many routes need it. (The
            ``expected_cost`` of each route prices it alone, with all its offers' fees.)
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
    demand_spread: float = 0.0
    demand_correlation: float = 0.0
    demand_basis: str = "program"
    notes: tuple[str, ...] = ()
    programs: pd.DataFrame = field(default_factory=pd.DataFrame)
    expected_cost_together: float = 0.0

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


def route_key(r: Route) -> str:
    """A program's route: programs of one company share route ids (not demand or ramps)."""
    return RiskResult.key(r.program, r.id)


@dataclass(frozen=True)
class Compiled:
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


def timing_of(r: Route) -> Timing:
    if r.timing is None:
        raise ValueError(f"route {r.id} carries no timing recipe")
    return r.timing


def days_since(world: World, d: dt.date) -> float:
    return float((d - world.as_of).days)


def route_modules(world: World, r: Route, modules: Mapping[str, int]) -> list[tuple[str, int]]:
    """The build offers of route ``r`` for its own plant under which ``modules`` (extra
    modules built per build offer, such as a plan's) are built, with how many: at least
    the route's ``min_modules``, without which it cannot be taken."""
    out = []
    for o in r.offers:
        row = world.offer(o)
        if row["kind"] == "build_plant" and row["detail"].get("plant") == r.plant:
            n = max(modules.get(o, 0), r.min_modules)
            if n:
                out.append((o, n))
    return out


def waived_agreement(r: Route) -> str | None:
    """The offer whose badge clause route ``r`` pays to waive (its first: the agreement with
    the clause comes first among a route's offers), or None."""
    return r.offers[0] if r.badge_waiver_fee and r.offers else None


@dataclass
class Recipe:
    """What depends on a route's recipe alone, shared by every program that has it: the SOP
    of every sample, and (fixed phase dates) cars by year for each SOP day."""

    sop: FloatArray
    extra: float = 0.0
    """Cars a year that extra modules (a plan's, see ``modules`` of
    :func:`evfab.risk.sample_routes`) add to the route's plant from its SOP on."""
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
class Acc:
    """Per program and route (general path): the first samples' volumes, and running sums."""

    avail_keep: FloatArray
    built_keep: FloatArray
    avail_sum: FloatArray
    built_sum: FloatArray
    variable_cost: float = 0.0


AnyFloat = npt.NDArray[np.floating[Any]]

__all__ = [
    "DRIVER_SAMPLES",
    "KEEP_BYTES",
    "MIN_KEEP",
    "MIN_SAMPLES",
    "VOLUME_SAMPLE_CAP",
    "Acc",
    "AnyFloat",
    "Compiled",
    "FloatArray",
    "Recipe",
    "RiskOptions",
    "RiskResult",
    "days_since",
    "route_key",
    "route_modules",
    "timing_of",
    "waived_agreement",
]
