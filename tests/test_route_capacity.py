"""Tests of :mod:`evfab._route_capacity`: a route's cars by year as whole cars."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evfab._route_capacity import _whole_cars


@given(
    st.lists(
        st.one_of(
            st.floats(min_value=0, max_value=1e12, allow_nan=False),
            st.integers(min_value=0, max_value=10**6).map(lambda k: k + 0.5),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_whole_cars_is_round_of_every_cell(values: list[float]) -> None:
    caps = np.array(values, np.float64).reshape(1, -1)
    assert _whole_cars(caps) == [[round(v) for v in values]]


def test_whole_cars_refuses_what_round_refuses() -> None:
    for bad in (np.nan, np.inf):
        with pytest.raises(ValueError):
            _whole_cars(np.array([[1.0, bad]]))
