"""Random draws of the risk engine: one stream per named quantity, triangular durations by
inverse CDF, and each program's demand factor and ramp-up."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from evfab._risk_types import RiskOptions

AnyFloat = npt.NDArray[np.floating[Any]]
FloatArray = npt.NDArray[np.float64]


class Streams:
    """The run's random streams: one per named quantity, derived from the seed and the name.

    A duration (``"duration", "offer:o1:lead"``), an event, a program's demand or ramp-up
    each draw from a stream of their own, made from the run's seed and the quantity's
    name alone. So a quantity's draws do not depend on what else is sampled (another
    route, program or policy period), which makes two runs with one seed common random
    numbers for everything they share, nor on how the samples are cut into batches (a
    stream drawn in pieces gives the numbers it gives at once).

    Args:
        seed: The run's seed (a non-negative integer).
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def of(self, kind: str, name: str) -> np.random.Generator:
        """The stream of one quantity.

        Args:
            kind: What it is ("duration", "event", "demand", "ramp", "market").
            name: Its key (a step or event key, a program id).

        Returns:
            A generator seeded from the run's seed and ``kind``/``name`` only.
        """
        # NOTE: a stable digest (Python's hash() of a str changes between processes).
        digest = hashlib.blake2b(f"{kind}\0{name}".encode(), digest_size=16).digest()
        words = tuple(int(w) for w in np.frombuffer(digest, "<u4"))  # the same on any machine
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=words))
        )

    def uniforms(self, kind: str, names: list[str]) -> Draws:
        """Batches of float32 uniforms, one row per quantity (see :class:`Draws`)."""
        return Draws([self.of(kind, k) for k in names])


class Draws:
    """Rows of uniforms from one stream each, batch after batch.

    Args:
        streams: One generator per row.
    """

    def __init__(self, streams: list[np.random.Generator]) -> None:
        self.streams = streams

    def next(self, n: int) -> npt.NDArray[np.float32]:
        """The next ``n`` uniforms of every stream, as a (streams, n) float32 array."""
        # NOTE: (rows, samples) float32: each quantity is one contiguous vector, and single
        # precision halves memory traffic (0.01-day resolution at 100 months).
        out = np.empty((len(self.streams), n), np.float32)
        for row, g in zip(out, self.streams, strict=True):
            g.random(dtype=np.float32, out=row)
        return out


def triangular(u: AnyFloat, lo: AnyFloat, mode: AnyFloat, hi: AnyFloat) -> AnyFloat:
    """Triangular draws from uniforms by the inverse CDF (exact for lo == hi too).

    Args:
        u: Uniform draws in [0, 1), any shape broadcasting with the parameters.
        lo: Minimum.
        mode: Mode.
        hi: Maximum.

    Returns:
        Draws with the shape of ``u``.
    """
    width = hi - lo
    # NOTE: the inverse CDF on one uniform per draw, with a single square root, is several
    # times faster than Generator.triangular and, unlike it, accepts lo == hi.
    c = np.divide(mode - lo, width, out=np.zeros_like(width), where=width > 0)
    below = u < c
    r = np.sqrt(np.where(below, u * (width * (mode - lo)), (1.0 - u) * (width * (hi - mode))))
    return np.where(below, lo + r, hi - r)


def triangular_cdf(x: AnyFloat, lo: AnyFloat, mode: AnyFloat, hi: AnyFloat) -> AnyFloat:
    """P(X <= x) for a triangular X (a step at ``lo`` when ``lo == hi``)."""
    x, lo, mode, hi = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (x, lo, mode, hi)))
    width = hi - lo
    left = np.divide(
        (x - lo) ** 2, width * (mode - lo), out=np.ones_like(width), where=width * (mode - lo) > 0
    )
    right = 1.0 - np.divide(
        (hi - x) ** 2, width * (hi - mode), out=np.zeros_like(width), where=width * (hi - mode) > 0
    )
    out = np.where(x <= mode, left, right)
    return np.where(x >= hi, 1.0, np.where(x <= lo, 0.0, out))


class ProgramDraws:
    """Each program's demand factor and ramp-up uniform for one batch, from streams of its own.

    Args:
        streams: The run's streams.
        programs: Program ids.
        opts: The run's options (demand spread and correlation).
        ramps: Programs with a ramp-up.
    """

    def __init__(
        self, streams: Streams, programs: list[str], opts: RiskOptions, ramps: set[str]
    ) -> None:
        self.spread = opts.demand_spread
        self.rho = opts.demand_correlation if self.spread > 0 else 0.0
        self.ramps = ramps
        # NOTE: only the program being evaluated holds its batch of draws in memory.
        self.demand = {g: streams.of("demand", g) for g in programs} if self.spread > 0 else {}
        self.ramp = {g: streams.of("ramp", g) for g in programs if g in ramps}
        self.market = (
            (streams.of("market", "demand"), streams.of("market", "together"))
            if self.rho > 0
            else None
        )
        self.common: FloatArray | None = None
        self.together: npt.NDArray[np.bool_] | None = None
        self.current: tuple[str, FloatArray, FloatArray | None] | None = None

    def batch(self, n: int) -> None:
        """Start a batch of ``n`` samples (and its market-wide demand draw)."""
        self.current = None
        if self.market is not None:
            self.common = self.market[0].random(n)
            self.together = self.market[1].random(n) < self.rho

    def of(self, program: str, n: int) -> tuple[FloatArray, FloatArray | None]:
        """Demand factors (ones without a spread) and ramp uniforms (None without a ramp)."""
        if self.current is not None and self.current[0] == program:
            return self.current[1], self.current[2]
        stream = self.demand.get(program)
        factor = np.ones(n)
        if stream is not None:
            u = stream.random(n)
            if self.together is not None and self.common is not None:
                u = np.where(self.together, self.common, u)
            s = self.spread
            factor = np.asarray(
                triangular(u, np.array(1 - s), np.array(1.0), np.array(1 + s)), np.float64
            )
        ramp_stream = self.ramp.get(program)
        ramp_u = ramp_stream.random(n) if ramp_stream is not None else None
        self.current = (program, factor, ramp_u)
        return factor, ramp_u


__all__ = ["Draws", "ProgramDraws", "Streams", "triangular", "triangular_cdf"]
