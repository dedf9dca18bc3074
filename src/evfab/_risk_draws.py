"""Random draws of the risk engine: triangular durations by inverse CDF, and each program's
demand factor and ramp-up from a stream of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from evfab.risk import RiskOptions

AnyFloat = npt.NDArray[np.floating[Any]]
FloatArray = npt.NDArray[np.float64]


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
    """Each program's demand factor and ramp-up uniform for one batch, from its own stream."""

    def __init__(
        self, rng: np.random.Generator, programs: list[str], opts: RiskOptions, ramps: set[str]
    ) -> None:
        self.spread = opts.demand_spread
        self.rho = opts.demand_correlation if self.spread > 0 else 0.0
        self.ramps = ramps
        needed = self.spread > 0 or bool(ramps)
        # NOTE: one child stream per program (Generator.spawn): a program's draws do not
        # depend on how many other programs are sampled, and only the program being
        # evaluated holds its batch of draws in memory.
        self.streams = dict(zip(programs, rng.spawn(len(programs)), strict=True)) if needed else {}
        self.common: FloatArray | None = None
        self.together: npt.NDArray[np.bool_] | None = None
        self.current: tuple[str, FloatArray, FloatArray | None] | None = None

    def batch(self, rng: np.random.Generator, n: int) -> None:
        """Start a batch of ``n`` samples (the market-wide draw comes from the run's stream)."""
        self.current = None
        if self.rho > 0:
            self.common = rng.random(n)
            self.together = rng.random(n) < self.rho

    def of(self, program: str, n: int) -> tuple[FloatArray, FloatArray | None]:
        """Demand factors (ones without a spread) and ramp uniforms (None without a ramp)."""
        if self.current is not None and self.current[0] == program:
            return self.current[1], self.current[2]
        stream = self.streams.get(program)
        factor = np.ones(n)
        if self.spread > 0 and stream is not None:
            u = stream.random(n)
            if self.together is not None and self.common is not None:
                u = np.where(self.together, self.common, u)
            s = self.spread
            factor = np.asarray(
                triangular(u, np.array(1 - s), np.array(1.0), np.array(1 + s)), np.float64
            )
        ramp_u = stream.random(n) if stream is not None and program in self.ramps else None
        self.current = (program, factor, ramp_u)
        return factor, ramp_u


__all__ = ["ProgramDraws", "triangular", "triangular_cdf"]
