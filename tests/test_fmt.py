"""Numbers in words (src/evfab/_fmt.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evfab._fmt import cars_short, money, plural, runs


@pytest.mark.parametrize(
    ("nums", "text"),
    [
        ([], ""),
        ([1], "1"),
        ([1, 2], "1-2"),
        ([1, 2, 3, 7, 9, 10], "1-3, 7, 9-10"),
        ([4, 6], "4, 6"),
    ],
)
def test_runs_shorten_consecutive_numbers(nums: list[int], text: str) -> None:
    assert runs(nums) == text


@given(st.lists(st.integers(0, 60), unique=True).map(sorted))
def test_runs_give_back_every_number(nums: list[int]) -> None:
    # Row numbers and years: never negative.
    back: list[int] = []
    for part in filter(None, runs(nums).split(", ")):
        lo, _, hi = part.partition("-")
        back += list(range(int(lo), int(hi or lo) + 1))
    assert back == nums


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (950, "950"),
        (999.6, "1k"),
        (84_600, "85k"),
        (999_600, "1.0m"),  # not "1000k"
        (1_240_000, "1.2m"),
        (math.nan, "-"),
    ],
)
def test_cars_short(n: float, text: str) -> None:
    assert cars_short(n) == text


def test_money_and_plural_as_before() -> None:
    assert money(999_700_000) == "1bn" and plural(1, "more program") == "1 more program"
    assert plural(2, "more program") == "2 more programs"
