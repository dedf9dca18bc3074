"""Tests of the risk engine's summaries (:mod:`evfab._risk_summary`)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from evfab._risk_summary import _ranks, _weighted_percentiles

QS = [0.0, 10.0, 33.3, 50.0, 90.0, 100.0]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.float64, (n, 3), elements=st.integers(0, 5).map(float)),
            hnp.arrays(np.int64, n, elements=st.integers(0, 4)),
        )
    )
)
def test_weighted_percentiles_are_those_of_the_expanded_samples(
    case: tuple[np.ndarray, np.ndarray],
) -> None:
    values, counts = case
    if counts.sum() == 0:
        counts[0] = 1
    expanded = np.repeat(values, counts, axis=0)
    want = np.percentile(expanded, QS, axis=0, method="lower")
    assert np.array_equal(_weighted_percentiles(values, counts, QS), want)


def test_ranks_share_their_average_among_ties() -> None:
    assert list(_ranks(np.array([3.0, 1.0, 3.0, 2.0]))) == [2.5, 0.0, 2.5, 1.0]
