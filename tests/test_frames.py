"""The fast table builder gives exactly the tables pandas' own inference gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evfab._frames import _inferred, empty_frame, frame, records, text_column

TEXT = st.text(min_size=0, max_size=4)
SCALAR = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=False),
    st.booleans(),
    st.none(),
    TEXT,
    st.just(dt.date(2024, 1, 2)),
    st.lists(TEXT, max_size=2),
)


@st.composite
def columns(draw: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    n = draw(st.integers(0, 6))
    names = draw(st.lists(st.sampled_from("abcdefgh"), min_size=0, max_size=5, unique=True))
    data: dict[str, Any] = {}
    text: list[str] = []
    for name in names:
        shape = draw(
            st.sampled_from(
                ["text", "one-kind", "mixed", "int-array", "float-array", "object-array"]
            )
        )
        if shape == "text":
            data[name] = draw(st.lists(TEXT, min_size=n, max_size=n))
            text.append(name)
        elif shape == "one-kind":
            elem = draw(
                st.sampled_from(
                    [
                        st.integers(-100, 100),
                        st.floats(allow_nan=False),
                        st.booleans(),
                        TEXT,
                        st.dates(),
                    ]
                )
            )
            values = draw(st.lists(elem, min_size=n, max_size=n))
            data[name] = tuple(values) if draw(st.booleans()) else values
        elif shape == "mixed":
            data[name] = draw(st.lists(SCALAR, min_size=n, max_size=n))
        elif shape == "int-array":
            data[name] = np.array(
                draw(st.lists(st.integers(-100, 100), min_size=n, max_size=n)), np.int64
            )
        elif shape == "float-array":
            data[name] = np.array(draw(st.lists(st.floats(), min_size=n, max_size=n)), np.float64)
        else:
            arr = np.empty(n, dtype=object)
            for i, x in enumerate(draw(st.lists(SCALAR, min_size=n, max_size=n))):
                arr[i] = x
            data[name] = arr
    return data, tuple(text)


@settings(max_examples=300, deadline=None)
@given(columns())
def test_frame_types_columns_as_pandas_would(case: tuple[dict[str, Any], tuple[str, ...]]) -> None:
    data, text = case
    fast = frame({k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in data.items()}, text)
    slow = _inferred(data, text)
    pd.testing.assert_frame_equal(fast, slow, check_index_type=True, check_column_type=True)
    # The column labels are the frame's own: renaming them leaves other tables alone.
    fast.columns.name = "renamed"
    assert frame({k: v for k, v in data.items()}, text).columns.name is None


def test_frame_matches_dataframe_inference_apart_from_empty_text() -> None:
    data = {
        "program": ["a", "b"],
        "year": np.array([2024, 2025]),
        "cars": np.array([1.0, 2.5]),
        "first": [2024, 2025],
        "share": [0.5, 1.0],
        "ok": [True, False],
        "warnings": [["x"], []],
    }
    got = frame(dict(data), text=("program",))
    pd.testing.assert_frame_equal(got, pd.DataFrame(data))
    assert list(got.columns) == list(data)


@given(st.lists(TEXT, min_size=1, max_size=6), st.lists(st.integers(0, 5), max_size=8))
@settings(max_examples=60, deadline=None)
def test_rows_picked_from_a_text_column_make_the_same_table(
    values: list[str], picks: list[int]
) -> None:
    pick = np.array([i % len(values) for i in picks], np.intp)
    column = text_column(values)
    picked = [values[i] for i in pick]
    got = frame({"t": column.take(pick), "n": np.arange(len(pick))}, text=("t",))
    want = frame({"t": picked, "n": np.arange(len(pick))}, text=("t",))
    pd.testing.assert_frame_equal(got, want)
    assert list(column) == values


def test_empty_text_column_stays_object() -> None:
    got = frame({"program": [], "cars": np.array([], float)}, text=("program",))
    assert got["program"].dtype == object
    assert got["cars"].dtype == np.float64
    assert len(got) == 0


def test_empty_frame_is_a_fresh_copy() -> None:
    a = empty_frame(["x", "y"])
    a["x"] = []
    a.loc[0] = [1, 2]
    assert len(empty_frame(["x", "y"])) == 0


def test_records_gives_python_values() -> None:
    df = frame({"p": ["a"], "n": np.array([3])}, text=("p",))
    assert records(df) == [{"p": "a", "n": 3}]
    assert type(records(df)[0]["n"]) is int


@pytest.mark.parametrize("text", [(), ("t",)])
def test_frame_with_no_rows(text: tuple[str, ...]) -> None:
    got = frame({"t": [], "n": []}, text)
    assert list(got.columns) == ["t", "n"] and len(got) == 0


@pytest.mark.parametrize(
    ("columns", "dtypes"),
    [
        (["program", "route"], None),
        (["program", "year", "cars", "demand"], ["object", "int64", "float64", "float64"]),
        (["a", "b", "c"], ["float64", "object", "float64"]),
        (["flag"], ["bool"]),
        ([], None),
    ],
)
def test_empty_frame_equals_pandas_own_empty_table(
    columns: list[str], dtypes: list[str] | None
) -> None:
    want = pd.DataFrame(columns=columns)
    if dtypes is not None:
        want = want.astype(dict(zip(columns, dtypes, strict=True)))
    got = empty_frame(columns, dtypes)
    pd.testing.assert_frame_equal(got, want, check_index_type=True, check_column_type=True)
    # Fresh every time: changing one leaves the next alone.
    got["added"] = []
    assert "added" not in empty_frame(columns, dtypes).columns


def test_frame_refuses_columns_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="same length"):
        frame({"a": [1, 2], "b": [[1], [2], [3]]})


def test_frame_keeps_numpy_scalar_widths_and_huge_ints_as_pandas_does() -> None:
    data = {
        "f32": [np.float32(1.5), np.float32(2)],
        "i32": [np.int32(1), np.int32(2)],
        "huge": [2**63, 1],
    }
    pd.testing.assert_frame_equal(frame(dict(data)), pd.DataFrame(data))


@pytest.mark.parametrize("dtypes", [["str"], ["category"]])
def test_empty_frame_with_pandas_dtypes(dtypes: list[str]) -> None:
    want = pd.DataFrame(columns=["x"]).astype({"x": dtypes[0]})
    pd.testing.assert_frame_equal(empty_frame(["x"], dtypes), want)


def test_empty_frame_refuses_a_dtype_count_mismatch() -> None:
    with pytest.raises(ValueError, match="dtypes"):
        empty_frame(["a", "b"], ["object"])
