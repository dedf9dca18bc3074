"""Tests of the risk engine's draws (:mod:`evfab._risk_draws`)."""

from __future__ import annotations

import numpy as np
import pytest

from evfab._risk_draws import ProgramDraws, Streams, triangular, triangular_cdf
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
    opts = RiskOptions(demand_spread=0.3, demand_correlation=rho)
    draws = ProgramDraws(Streams(0), ["a", "b"], opts, ramps={"a", "b"})
    draws.batch(n)
    fa, ra = draws.of("a", n)
    fb, rb = draws.of("b", n)
    assert ra is not None and rb is not None
    # Mixing a common draw in a share rho of samples gives rank correlation rho.
    assert abs(_spearman(fa, fb) - rho) < 0.02
    assert abs(_spearman(ra, rb)) < 0.02  # ramp-ups are each program's own
    assert fa.min() >= 0.7 and fa.max() <= 1.3


def test_a_stream_depends_on_the_seed_and_its_name_only() -> None:
    a = Streams(7).of("duration", "offer:o1:lead").random(5)
    assert np.array_equal(a, Streams(7).of("duration", "offer:o1:lead").random(5))
    others = [
        Streams(8).of("duration", "offer:o1:lead"),
        Streams(7).of("event", "offer:o1:lead"),
        Streams(7).of("duration", "offer:o2:lead"),
    ]
    assert all(not np.array_equal(a, g.random(5)) for g in others)


def test_uniforms_do_not_depend_on_batches_or_on_the_other_rows() -> None:
    whole = Streams(3).uniforms("duration", ["x", "y", "z"]).next(1_000)
    parts = Streams(3).uniforms("duration", ["x", "y", "z"])
    cut = np.concatenate([parts.next(n) for n in (1, 333, 666)], axis=1)
    assert whole.dtype == np.float32 and np.array_equal(whole, cut)
    # Row "y" is the same whatever else is drawn beside it.
    alone = Streams(3).uniforms("duration", ["y"]).next(1_000)
    assert np.array_equal(alone[0], whole[1])


def test_program_draws_do_not_depend_on_batches_or_on_other_programs() -> None:
    opts = RiskOptions(demand_spread=0.2, demand_correlation=0.5)

    def run(programs: list[str], sizes: list[int]) -> tuple[FloatArray, FloatArray]:
        draws = ProgramDraws(Streams(1), programs, opts, ramps=set(programs))
        f, r = [], []
        for n in sizes:
            draws.batch(n)
            fa, ra = draws.of("a", n)
            assert ra is not None
            f.append(fa)
            r.append(ra)
        return np.concatenate(f), np.concatenate(r)

    f1, r1 = run(["a", "b"], [500])
    f2, r2 = run(["z", "a"], [120, 380])
    assert np.array_equal(f1, f2) and np.array_equal(r1, r2)
