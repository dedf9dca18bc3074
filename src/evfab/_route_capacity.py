"""A route's nominal start and cars by year, from its timing recipe at its modes.

The rules engine derives every route's recipe (:class:`evfab._timing.Timing`); these are
the numbers it shows for it: the SOP and the capacity by year when every duration takes its
mode, which the risk engine, sampling the same recipe, reproduces exactly when nothing
varies.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from evfab._timing import Ban, Timing, off_days, producing_share, year_bounds
from evfab._world import FloatArray, World


def _whole_cars(caps: FloatArray) -> list[list[int]]:
    """``round()`` of every cell (half to even), as whole-array ``rint``.

    Raises:
        ValueError: If a capacity is not finite (``round()`` would refuse it too).
    """
    if not np.isfinite(caps).all():
        raise ValueError("route capacity is not finite")
    out: list[list[int]] = np.rint(caps).astype(np.int64).tolist()
    return out


def _nominal_sop(world: World, t: Timing) -> dt.date:
    """The SOP at the modes, before the route's off intervals (a licence path no ban
    releases counts with the date it would have, as the route shows)."""
    first = min(ph.ready.nominal() for ph in t.phases)
    return max(world.as_of, t.licence.shown(), t.access.nominal(), first)


def _nominal_capacity(
    world: World, ts: list[Timing], sops: list[dt.date], offs: list[tuple[Ban, ...]]
) -> FloatArray:
    """Capacity by year of many recipes at their modes (N, Y), as :func:`capacity_by_year`,
    with no production inside each recipe's ``offs`` intervals."""
    n, n_y = len(ts), len(world.years)
    if n == 0:
        return np.zeros((0, n_y))
    starts, ends = year_bounds(world.as_of, world.years)
    # NOTE: one batched computation for all of a company's routes instead of one call
    # each; phases are padded with zero capacity that is never ready.
    k = max(len(t.phases) for t in ts)
    caps = np.zeros((n, k))
    ready = np.full((n, k), np.inf)
    for i, t in enumerate(ts):
        for j, ph in enumerate(t.phases):
            caps[i, j] = ph.capacity
            ready[i, j] = (ph.ready.nominal() - world.as_of).days
    sop = np.array([(d - world.as_of).days for d in sops], np.float64)
    years = [int(y) for y in world.years]
    limit = np.array([[t.limit.get(y, np.inf) for y in years] for t in ts], np.float64)
    scale = (
        np.array([t.free_share for t in ts], np.float64)
        * np.array([t.share for t in ts], np.float64)[:, None]
    )
    start = np.maximum(ready, sop[:, None])
    frac = producing_share(start, starts, ends, None)
    for i, off in enumerate(offs):
        if off:  # few routes have off intervals: recompute theirs
            frac[i] = producing_share(start[i], starts, ends, off_days(world.as_of, off))
    cars = np.einsum("nk,nky->ny", caps, frac) * scale
    out: FloatArray = np.minimum(cars, limit)
    return out


def _free_shares(
    world: World, keys: list[tuple[str, dt.date | None]]
) -> dict[tuple[str, dt.date | None], tuple[float, ...]]:
    """Share of each plant's capacity left after its operator's load, by year.

    Args:
        world: The compiled world.
        keys: (plant, construction start or None) pairs.

    Returns:
        Each distinct key -> free share by year.
    """
    keys = list(dict.fromkeys(keys))
    full = world.plant_capacities(keys)
    rows = np.array([world.plant_row[p] for p, _ in keys], np.intp)
    load = world.committed[rows].astype(np.float64).reshape(full.shape)
    used = np.divide(load, full, out=np.ones_like(full), where=full > 0)
    free = np.clip(1.0 - used, 0.0, 1.0).tolist()
    return {k: tuple(f) for k, f in zip(keys, free, strict=True)}


__all__ = ["_free_shares", "_nominal_capacity", "_nominal_sop", "_whole_cars"]
