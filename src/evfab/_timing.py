"""Timing recipes of routes: which durations and events a route's start and capacity depend on.

The rules engine attaches a :class:`Timing` to every route. Evaluated at the modes it gives
the route's nominal earliest SOP and capacity; the risk engine samples the same recipe.
Durations are identified by a ``key`` (``offer:<id>:lead``, ``plant:<id>:phase0`` ...)
so that two routes depending on the same deal share one sample of it.

Dates inside the engines are float days since ``as_of``; capacity by year is computed by
:func:`capacity_by_year` for one nominal case or for many samples at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from evfab._records import quick_init

FloatArray = npt.NDArray[np.float64]
DAYS_PER_MONTH = 365.25 / 12


@quick_init
@dataclass(frozen=True)
class Step:
    """One uncertain duration (triangular, months).

    Attributes:
        key: Identity shared by every route that waits on the same duration.
        label: Name shown in reports.
        min: Shortest, months.
        mode: Most likely, months.
        max: Longest, months.
        after: Months of it already over on as_of without it having ended (a review
            still pending, a plant still being built): the risk engine draws it
            conditioned on lasting longer.
    """

    key: str
    label: str
    min: float
    mode: float
    max: float
    after: float = 0.0


NEVER = dt.date.max
"""The date a path reaches when it ends inside a ban no later period lifts."""

Ban = tuple[dt.date | None, dt.date | None]
"""Dates ``[start, end)`` in which something is not allowed: start None for "since before
as_of" (a date due earlier happens on as_of, inside it), end None for "for good"."""


def lift(d: dt.date, bans: tuple[Ban, ...]) -> dt.date:
    """``d``, or the end of the ban it falls in (:data:`NEVER` if that ban never ends)."""
    for start, end in bans:
        if (start is None or start <= d) and (end is None or d < end):
            return NEVER if end is None else end
    return d


def off_intervals(bans: tuple[Ban, ...], until: dt.date | None) -> tuple[Ban, ...]:
    """``bans`` with an agreement's end added (nothing allowed from ``until`` on)."""
    if until is None:
        return bans
    out: list[Ban] = []
    for start, end in bans:
        if start is not None and start >= until:
            break
        if end is None or end >= until:
            return (*out, (start, None))
        out.append((start, end))
    return (*out, (until, None))


@quick_init
@dataclass(frozen=True)
class Path:
    """A date reached after a base date plus a sum of durations, outside any ban.

    Attributes:
        base: Start date.
        steps: Durations added to it.
        bans: Disjoint, ordered intervals ``[start, end)`` the date cannot fall in (a
            licence cannot be granted while new licences are not, a contract cannot
            start while contract manufacturing is not allowed): a date inside one moves
            to its end, or to :data:`NEVER` when its end is None.
    """

    base: dt.date
    steps: tuple[Step, ...] = ()
    bans: tuple[Ban, ...] = ()

    def then(self, *steps: Step) -> Path:
        """This path followed by more steps."""
        return Path(self.base, self.steps + steps, self.bans)

    def nominal(self) -> dt.date:
        """The date at the modes of every step (rounded to a day), lifted out of any ban."""
        # NOTE: memoised on the (frozen) instance: the rules engine asks each path for
        # its nominal date several times per route. Not a field, so not compared.
        hit: dt.date | None = self.__dict__.get("_nominal")
        if hit is None:
            hit = self.base + dt.timedelta(
                days=round(sum(s.mode for s in self.steps) * DAYS_PER_MONTH)
            )
            if self.bans:
                hit = lift(hit, self.bans)
            object.__setattr__(self, "_nominal", hit)
        return hit

    def shown(self) -> dt.date:
        """:meth:`nominal`, or for a path no ban releases, the date it would have without
        its bans (what a route that is illegal for it shows)."""
        d = self.nominal()
        return d if d is not NEVER else Path(self.base, self.steps).nominal()


@quick_init
@dataclass(frozen=True)
class Phase:
    """A capacity step of the route's plant and when it is ready."""

    capacity: float
    ready: Path


@quick_init
@dataclass(frozen=True)
class Event:
    """An uncertain yes/no event the route needs (a deal concluded, a licence granted).

    Attributes:
        key: Identity: routes naming one key share its draw.
        label: What happens, in words.
        probability: Its chance (where ``by_date`` is set: the one on the nominal date).
        at: When it is decided, as a recipe of durations (a licence's grant), if its chance
            depends on the date.
        by_date: The chance in force from each date on (ascending, the first on as_of), if it
            changes after as_of: the risk engine uses the one in force on each sample's
            ``at`` date.
    """

    key: str
    label: str
    probability: float
    at: Path | None = None
    by_date: tuple[tuple[dt.date, float], ...] = ()


@quick_init
@dataclass(frozen=True)
class Timing:
    """What a route's start and capacity depend on.

    Attributes:
        licence: When the licence can be used.
        access: When the plant can be used by the buyer (deal closed, contract in force).
        phases: The plant's capacity phases.
        free_share: Share of the plant's capacity left after the operator's load, by year.
        share: Share of the free capacity the route may use (a stake's share).
        limit: Most cars by year under a contract's cap.
        events: Events that must all happen.
        deadline: Date a dormant licence is withdrawn (production must start before), if any.
        until: Date the agreement the route builds under ends, if any.
        off: When the route may not produce (contract manufacturing banned; its agreement
            over from ``until``): the SOP moves out of these intervals and nothing is
            built inside them.
    """

    licence: Path
    access: Path
    phases: tuple[Phase, ...]
    free_share: tuple[float, ...]
    share: float = 1.0
    limit: dict[int, int] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    deadline: dt.date | None = None
    until: dt.date | None = None
    off: tuple[Ban, ...] = ()

    def steps(self) -> list[Step]:
        """Every distinct step of the recipe (each key once)."""
        seen: dict[str, Step] = {}
        for path in (self.licence, self.access, *(p.ready for p in self.phases)):
            for s in path.steps:
                seen.setdefault(s.key, s)
        return list(seen.values())


def year_bounds(as_of: dt.date, years: npt.NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    """Start and end (exclusive) of each year in days since ``as_of``."""
    starts = np.array([(dt.date(int(y), 1, 1) - as_of).days for y in years], np.float64)
    ends = np.array([(dt.date(int(y) + 1, 1, 1) - as_of).days for y in years], np.float64)
    return starts, ends


def capacity_by_year(
    capacity: FloatArray,
    ready: FloatArray,
    sop: FloatArray,
    starts: FloatArray,
    ends: FloatArray,
    free_share: FloatArray,
    share: float,
    limit: FloatArray,
    off: FloatArray | None = None,
) -> FloatArray:
    """Cars a route can build each year: every phase from the later of its ready date and the SOP,
    except while the route may not produce.

    Args:
        capacity: Capacity of each phase, cars/year (K).
        ready: Ready day of each phase, per sample (N, K).
        sop: Start-of-production day per sample (N).
        starts: First day of each year (Y).
        ends: First day of the next year (Y).
        free_share: Share of capacity left after the operator's load, by year (Y).
        share: Share of the free capacity the route may use.
        limit: Contract cap by year, ``inf`` where none (Y).
        off: Intervals ``[start, end)`` in days in which nothing is built (M, 2), ``-inf``
            and ``inf`` for open ends; None for none.

    Returns:
        Cars per sample and year (N, Y).
    """
    start = np.maximum(ready, sop[:, None])  # (N, K)
    frac = producing_share(start, starts, ends, off)
    cars = np.einsum("k,nky->ny", capacity, frac) * (free_share * share)[None, :]
    out: FloatArray = np.minimum(cars, limit[None, :])
    return out


def producing_share(
    start: FloatArray, starts: FloatArray, ends: FloatArray, off: FloatArray | None
) -> FloatArray:
    """Share of each year a phase produces: from ``start`` on, outside the ``off`` intervals.

    Args:
        start: Day each phase starts producing (..., K).
        starts: First day of each year (Y).
        ends: First day of the next year (Y).
        off: Intervals ``[start, end)`` in days with no production (M, 2), or None.

    Returns:
        Shares in [0, 1] of shape (..., K, Y). Without ``off`` it is (end - start) / days
        clipped to [0, 1], bit for bit.
    """
    width = ends - starts
    # NOTE: three in-place passes over one (..., K, Y) array: the risk engine tabulates
    # this for every SOP day of every route.
    share = ends - start[..., None]
    share /= width
    np.clip(share, 0.0, 1.0, out=share)
    if off is not None:
        lo = np.maximum(starts, start[..., None])
        for s, e in off:
            # Days of [lo, end) inside [s, e): the intervals are disjoint, so they add up.
            cut = np.minimum(ends, e) - np.maximum(lo, s)
            share -= np.maximum(cut, 0.0, out=cut) / width
    out: FloatArray = share
    return out


def off_days(as_of: dt.date, off: tuple[Ban, ...]) -> FloatArray | None:
    """``off`` intervals as days since ``as_of`` (M, 2), open ends infinite; None if empty."""
    if not off:
        return None
    return np.array(
        [
            (-np.inf if s is None else (s - as_of).days, np.inf if e is None else (e - as_of).days)
            for s, e in off
        ],
        np.float64,
    )


def ramp_factor(
    sop: FloatArray, ramp_days: FloatArray, starts: FloatArray, ends: FloatArray
) -> FloatArray:
    """Average production rate over each year's producing days under a linear ramp.

    Args:
        sop: Start-of-production day per sample (N).
        ramp_days: Days from SOP to full rate per sample (N); 0 means none.
        starts: First day of each year (Y).
        ends: First day of the next year (Y).

    Returns:
        Factor in [0, 1] per sample and year (N, Y) to apply to SOP-prorated capacity.
    """
    s = sop[:, None]
    r = np.maximum(ramp_days, 1e-9)[:, None]

    def integral(t: FloatArray) -> FloatArray:
        # Integral of min(1, (u - s) / r) from s to t.
        x = np.clip(t - s, 0.0, None)
        return np.where(x < r, x * x / (2 * r), r / 2 + (x - r))

    a = np.maximum(starts[None, :], s)
    b = np.broadcast_to(ends[None, :], a.shape)
    days = np.clip(b - a, 0.0, None)
    out = np.divide(integral(b) - integral(a), days, out=np.ones_like(days), where=days > 0)
    return np.where(ramp_days[:, None] > 0, out, 1.0)
