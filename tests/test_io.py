"""Tests of the output helpers (:mod:`evfab._io`)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evfab._io import atomic_write_text, dumps, to_jsonable

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


def _strict(text: str) -> Any:
    """Parse as strict JSON: NaN and Infinity are refused."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _same(a: Any, b: Any) -> bool:
    """``b`` is ``a`` with every non-finite float replaced by None."""
    if isinstance(a, float):
        return b is None if not math.isfinite(a) else a == b
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@given(_values)
def test_dumps_always_writes_strict_json(value: Any) -> None:
    assert _same(value, _strict(dumps(value)))


def test_numpy_values_dates_and_non_finite_numbers() -> None:
    got = to_jsonable(
        {
            "n": np.int64(3),
            "x": np.float32(1.5),
            "nan": np.nan,
            "inf": -np.inf,
            "d": dt.date(2024, 1, 2),
        }
    )
    assert got == {"n": 3, "x": 1.5, "nan": None, "inf": None, "d": "2024-01-02"}
    assert type(got["n"]) is int and type(got["x"]) is float


def test_atomic_write_leaves_the_old_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")

    def fail(fd: int) -> None:  # the new text is in the temporary file by then
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left
    monkeypatch.undo()
    atomic_write_text(target, "new")
    assert target.read_text() == "new"


def test_write_files_changes_nothing_when_an_old_output_is_a_folder(tmp_path: Path) -> None:
    from evfab._io import OutputError, write_files

    (tmp_path / "old.csv").mkdir()
    with pytest.raises(OutputError, match=r"old\.csv: it is a folder"):
        write_files(tmp_path, {"new.csv": b"x"}, owned=("new.csv", "old.csv"))
    assert not (tmp_path / "new.csv").exists()
