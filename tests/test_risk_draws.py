"""Tests of the risk engine's draws (:mod:`evfab._risk_draws`)."""

from __future__ import annotations

import numpy as np
import pytest

from evfab._risk_draws import ProgramDraws, triangular, triangular_cdf
from evfab._world import FloatArray
from evfab.risk import RiskOptions


@pytest.mark.parametrize(("a", "c", "b"), [(2.0, 3.0, 6.0), (0.0, 0.0, 5.0), (1.0, 4.0, 4.0)])
def test_triangular_cdf_inverts_the_draws(a: float, c: float, b: float) -> None:
    u = np.linspace(0.0, 0.999, 101)
    assert np.allclose(triangular_cdf(triangular(u, a, c, b), a, c, b), u)
    assert triangular_cdf(a - 1, a, c, b) == 0.0 and triangular_cdf(b, a, c, b) == 1.0
    assert triangular_cdf(c, a, c, b) == pytest.approx((c - a) / (b - a))
    # A point mass: a step at its value.
    assert list(triangular_cdf(np.array([2.9, 3.0]), 3.0, 3.0, 3.0)) == [0.0, 1.0]


def _spearman(a: FloatArray, b: FloatArray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


@pytest.mark.parametrize("rho", [0.0, 0.6, 1.0])
def test_programs_draw_demand_independently_unless_correlated(rho: float) -> None:
    n = 100_000
    rng = np.random.default_rng(0)
    opts = RiskOptions(demand_spread=0.3, demand_correlation=rho)
    draws = ProgramDraws(rng, ["a", "b"], opts, ramps={"a", "b"})
    draws.batch(rng, n)
    fa, ra = draws.of("a", n)
    fb, rb = draws.of("b", n)
    assert ra is not None and rb is not None
    # Mixing a common draw in a share rho of samples gives rank correlation rho.
    assert abs(_spearman(fa, fb) - rho) < 0.02
    assert abs(_spearman(ra, rb)) < 0.02  # ramp-ups are each program's own
    assert fa.min() >= 0.7 and fa.max() <= 1.3
