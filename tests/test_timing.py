"""Tests of the timing recipes (:mod:`evfab._timing`) with hand-computed answers.

Days count from ``as_of``; a month is 365.25 / 12 = 30.4375 days, so 6 months is 182.625
days, which rounds to 183 (2022-01-01 + 183 days = 2022-07-03).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from evfab._timing import (
    DAYS_PER_MONTH,
    NEVER,
    Path,
    Phase,
    Step,
    Timing,
    capacity_by_year,
    lift,
    off_days,
    off_intervals,
    producing_share,
    ramp_factor,
    year_bounds,
)

D = dt.date
INF = np.inf


def step(key: str, lo: float, mode: float, hi: float) -> Step:
    return Step(key, key, lo, mode, hi)


def test_path_nominal_rounds_the_sum_of_modes_once() -> None:
    base = Path(D(2022, 1, 1))
    six = base.then(step("a", 3, 6, 12))
    assert base.steps == ()  # then() returns a new path
    assert six.nominal() == D(2022, 7, 3)
    # 1.1 + 1.1 months = 66.96 days -> 67 (2022-03-09), not round(33.48) x 2 = 66.
    one = step("a", 1.1, 1.1, 1.1)
    assert base.then(one, step("b", 1.1, 1.1, 1.1)).nominal() == D(2022, 3, 9)
    assert base.nominal() == D(2022, 1, 1)


def test_timing_steps_lists_each_key_once_in_order() -> None:
    a, b, c = step("a", 1, 2, 3), step("b", 1, 1, 1), step("c", 0, 5, 9)
    t = Timing(
        licence=Path(D(2022, 1, 1), (a, b)),
        access=Path(D(2022, 1, 1), (a,)),
        phases=(Phase(100.0, Path(D(2022, 1, 1), (a, c))), Phase(50.0, Path(D(2020, 1, 1)))),
        free_share=(1.0,),
    )
    assert [s.key for s in t.steps()] == ["a", "b", "c"]
    assert t.share == 1.0 and t.limit == {} and t.events == () and t.deadline is None


def test_year_bounds_in_days_since_as_of() -> None:
    starts, ends = year_bounds(D(2022, 8, 26), np.array([2022, 2023, 2024]))
    # 2022-01-01 is 237 days before 2022-08-26; 2023-01-01 is 128 days after; 2024 is a leap year.
    assert starts.tolist() == [-237, 128, 493]
    assert ends.tolist() == [128, 493, 859]


def test_capacity_by_year_phases_sop_shares_and_limit() -> None:
    starts, ends = year_bounds(D(2022, 1, 1), np.array([2022, 2023, 2024]))
    cap = np.array([100.0, 50.0])
    ready = np.array([[0.0, 400.0], [0.0, 400.0], [-1000.0, -1000.0]])
    sop = np.array([73.0, 2000.0, 0.0])  # 73 days = 20 % of 2022; 2000 = after the horizon
    free = np.array([0.5, 1.0, 1.0])
    out = capacity_by_year(cap, ready, sop, starts, ends, free, 0.4, np.array([INF, INF, 50.0]))
    assert out.shape == (3, 3)
    # 2022: phase 1 for 80 % of the year, half of it free, 40 % share; phase 2 not ready.
    # 2023: phase 1 all year, phase 2 from day 400 (330 of 365 days). 2024: 60 capped at 50.
    assert out[0] == pytest.approx([100 * 0.8 * 0.5 * 0.4, (100 + 50 * 330 / 365) * 0.4, 50.0])
    assert out[1].tolist() == [0.0, 0.0, 0.0]
    assert out[2] == pytest.approx([150 * 0.5 * 0.4, 150 * 0.4, 50.0])


def test_ramp_factor_closed_form_and_brute_force() -> None:
    starts, ends = year_bounds(D(2022, 1, 1), np.array([2022, 2023]))
    sop = np.array([100.0, 183.0, 100.0, 500.0])
    ramp = np.array([200.0, 6 * DAYS_PER_MONTH, 0.0, 30.0])
    f = ramp_factor(sop, ramp, starts, ends)
    # Route 1: ramp over 200 of the 265 producing days of 2022: (200 / 2 + 65) / 265.
    assert f[0, 0] == pytest.approx((100 + 65) / 265)
    assert f[0, 1] == 1.0
    # Route 2: a 6-month ramp from 2022-07-03 covers 182 days of 2022, 0.625 day of 2023.
    r = 6 * DAYS_PER_MONTH
    assert f[1, 0] == pytest.approx(182 / (2 * r))
    assert f[1, 1] == pytest.approx((r / 2 + (547 - r) - 182**2 / (2 * r)) / 365)
    assert f[2].tolist() == [1.0, 1.0]  # no ramp
    assert f[3, 0] == 1.0  # starts after 2022: no producing days there, factor unused
    # Brute force: the average of min(1, (u - sop) / ramp) over each producing day.
    for i in range(4):
        for j in range(2):
            a = max(starts[j], sop[i])
            if ends[j] <= a or ramp[i] == 0:
                continue
            u = np.linspace(a, ends[j], 200_001)
            rate = np.minimum(1.0, (u - sop[i]) / ramp[i])
            assert f[i, j] == pytest.approx(np.trapezoid(rate, u) / (ends[j] - a), rel=1e-6)


def test_lift_moves_a_date_inside_a_ban_to_its_end() -> None:
    bans = ((D(2022, 3, 1), D(2023, 1, 1)), (D(2024, 1, 1), None))
    assert lift(D(2022, 2, 28), bans) == D(2022, 2, 28)
    assert lift(D(2022, 3, 1), bans) == D(2023, 1, 1)  # the start is inside
    assert lift(D(2022, 12, 31), bans) == D(2023, 1, 1)
    assert lift(D(2023, 1, 1), bans) == D(2023, 1, 1)  # the end is not
    assert lift(D(2024, 6, 1), bans) == NEVER
    assert lift(D(2024, 6, 1), ()) == D(2024, 6, 1)


def test_path_nominal_is_lifted_out_of_its_bans_and_then_keeps_them() -> None:
    ban = ((D(2022, 6, 1), D(2023, 1, 1)),)
    six = Path(D(2022, 1, 1), (step("a", 3, 6, 12),), ban)
    assert six.nominal() == D(2023, 1, 1)
    longer = six.then(step("b", 1, 1, 1))  # 7 months: 2022-08-02, inside the ban
    assert longer.bans == ban and longer.nominal() == D(2023, 1, 1)
    assert Path(longer.base, longer.steps).nominal() == D(2022, 8, 2)
    assert Path(D(2022, 1, 1), (step("a", 1, 1, 1),), ban).nominal() == D(2022, 1, 31)
    # Bans are part of the path's identity (the risk engine memoises paths).
    assert six != Path(D(2022, 1, 1), (step("a", 3, 6, 12),))


def test_off_intervals_add_an_agreements_end() -> None:
    bans = ((None, D(2023, 1, 1)), (D(2024, 1, 1), D(2024, 6, 1)), (D(2025, 1, 1), None))
    assert off_intervals(bans, None) == bans
    # An end inside a ban: that ban lasts for good.
    assert off_intervals(bans, D(2024, 3, 1)) == ((None, D(2023, 1, 1)), (D(2024, 1, 1), None))
    # Between bans: a new open interval; bans after it are dropped.
    assert off_intervals(bans, D(2023, 6, 1)) == ((None, D(2023, 1, 1)), (D(2023, 6, 1), None))
    assert off_intervals((), D(2023, 6, 1)) == ((D(2023, 6, 1), None),)


def test_producing_share_leaves_out_the_off_days() -> None:
    starts, ends = year_bounds(D(2022, 1, 1), np.array([2022, 2023]))
    start = np.array([100.0])  # one phase producing from day 100
    base = producing_share(start, starts, ends, None)
    assert list(base[0]) == [265 / 365, 1.0]
    off = off_days(D(2022, 1, 1), ((D(2022, 12, 1), D(2023, 2, 1)),))
    assert off is not None and list(off[0]) == [334.0, 396.0]
    cut = producing_share(start, starts, ends, off)
    assert list(cut[0]) == pytest.approx([(265 - 31) / 365, (365 - 31) / 365])
    # An interval starting before the phase only removes its own overlap.
    early = producing_share(start, starts, ends, off_days(D(2022, 1, 1), ((None, D(2022, 5, 1)),)))
    assert list(early[0]) == pytest.approx([(365 - 120) / 365, 1.0])
    assert off_days(D(2022, 1, 1), ()) is None
