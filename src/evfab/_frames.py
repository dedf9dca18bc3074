"""Small pandas tables, built fast: the engines' results and the reports' rows."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


@functools.lru_cache(maxsize=64)
def _empty_template(columns: tuple[str, ...], dtypes: tuple[str, ...] | None) -> pd.DataFrame:
    frame = pd.DataFrame(columns=list(columns))
    return frame if dtypes is None else frame.astype(dict(zip(columns, dtypes, strict=True)))


def empty_frame(columns: list[str], dtypes: list[str] | None = None) -> pd.DataFrame:
    """An empty table with ``columns`` (of object dtype unless ``dtypes`` are given).

    Args:
        columns: Column names.
        dtypes: A numpy dtype name per column (default: all object).

    Returns:
        The table, equal (dtypes included) to ``pd.DataFrame(columns=columns)`` cast
        to ``dtypes``.
    """
    # NOTE: a plan without shortfalls or alternatives returns several empty tables;
    # one typed block per dtype costs ~20 us, a copy of a cached table 15-80 us and
    # building one with pandas 3 ~10x more.
    if dtypes is not None and len(dtypes) != len(columns):
        raise ValueError(f"{len(columns)} columns but {len(dtypes)} dtypes")
    make = _from_blocks()
    names = dtypes if dtypes is not None else ["object"] * len(columns)
    if make is None or not columns or not all(d in _NUMPY_NAMES for d in names):
        # Other dtypes (pandas' own: "str", "category" ...) go through pandas.
        return _empty_template(tuple(columns), None if dtypes is None else tuple(dtypes)).copy()
    kinds = [np.dtype(d) for d in names]
    return make(
        _grouped_blocks([np.empty((1, 0), k) for k in kinds]),
        index=pd.RangeIndex(0),
        columns=_column_index(tuple(columns)).view(),
    )


_NUMPY_NAMES = frozenset({"object", "bool", "int64", "int32", "float64", "float32"})
"""Dtype names :func:`empty_frame` builds as numpy blocks (the same dtype under any pandas)."""


def _grouped_blocks(columns: list[Any]) -> list[tuple[Any, Any]]:
    """Blocks for pandas: numpy columns (1, n) stacked by dtype, other arrays one each."""
    blocks: list[tuple[Any, Any]] = []
    by_dtype: dict[np.dtype[Any], list[int]] = {}
    for j, b in enumerate(columns):
        if isinstance(b, np.ndarray):
            by_dtype.setdefault(b.dtype, []).append(j)
        else:
            blocks.append((b, np.array([j], np.intp)))
    for positions in by_dtype.values():
        stacked = (
            columns[positions[0]]
            if len(positions) == 1
            else np.concatenate([columns[j] for j in positions])
        )
        blocks.append((stacked, np.array(positions, np.intp)))
    return blocks


@functools.lru_cache(maxsize=1)
def text_dtype() -> Any:
    """The dtype pandas infers for a column of text (python or pyarrow "str", or object)."""
    # NOTE: sampled rather than hard-coded, so typed text columns get exactly the dtype
    # inference would give under any pandas configuration.
    return pd.Index(["x"]).dtype


@functools.lru_cache(maxsize=1)
def _from_blocks() -> Callable[..., pd.DataFrame] | None:
    """pandas' ``create_dataframe_from_blocks`` (recent pandas; 3.x has it), or None."""
    try:
        internals = importlib.import_module("pandas.api.internals")
    except ImportError:  # pragma: no cover - older pandas
        return None
    make: Callable[..., pd.DataFrame] | None = getattr(
        internals, "create_dataframe_from_blocks", None
    )
    return make


@functools.lru_cache(maxsize=256)
def _column_index(names: tuple[str, ...]) -> pd.Index:
    return pd.Index(list(names))


@functools.lru_cache(maxsize=1)
def _text_array_type() -> Any:
    """The ExtensionArray class of :func:`text_dtype` (asking pandas costs ~8 us a call)."""
    return text_dtype().construct_array_type()


def text_column(values: Any) -> Any:
    """Strings as a column :func:`frame` takes as it is: pandas' string array, or a 1-D
    object array where text is object. Picking rows of it (``.take``) keeps it so."""
    dtype = text_dtype()
    if isinstance(dtype, pd.StringDtype):
        return _text_array_type()._from_sequence(values, dtype=dtype)
    return np.fromiter(values, dtype=object, count=len(values))


def _text_block(values: Any, n: int) -> Any:
    """A text column as pandas would type it: its string array, or an object block."""
    dtype = text_dtype()
    if isinstance(values, pd.api.extensions.ExtensionArray) and values.dtype == dtype:
        # NOTE: made by text_column (beside a solve, say): picking rows from it skips
        # checking every string again, ~40 us a table with three text columns after a
        # solve has left the caches cold.
        return values
    if isinstance(dtype, pd.StringDtype):
        # ``_from_sequence`` is the ExtensionArray constructor pandas itself uses; it
        # converts the values as ``pd.array`` does, at a third of the cost.
        return _text_array_type()._from_sequence(values, dtype=dtype)
    return np.fromiter(values, dtype=object, count=n).reshape(1, n)


def _block(values: Any, n: int) -> Any | None:
    """A column as a block when its dtype needs no inference, else None."""
    if isinstance(values, np.ndarray):
        if values.ndim == 1 and values.dtype.kind in "biuf":
            return values.reshape(1, n)
        if values.ndim != 1 or values.dtype.kind != "O":
            return None
        obj = values
    elif isinstance(values, (list, tuple)):
        obj = np.fromiter(values, dtype=object, count=n)
    else:
        return None
    infer = pd.api.types.infer_dtype
    kind = infer(obj, skipna=False)
    typed = _PLAIN.get(kind)
    if typed is not None and not isinstance(values, np.ndarray):
        # Only plain Python numbers: numpy scalars keep their own width and huge ints
        # become uint64 or object in pandas, so those go through pandas.
        arr = np.array(values)
        return arr.reshape(1, n) if arr.dtype == typed else None
    # Dates and objects that are not all of one inferable kind (lists, mixed values)
    # stay object.
    if kind == "date" or infer(obj, skipna=True) == "mixed":
        return obj.reshape(1, n)
    return None


_PLAIN = {"integer": np.int64, "floating": np.float64, "boolean": np.bool_}
"""Python lists whose values are all of one of these kinds become numpy columns of the dtype."""


def frame(data: dict[str, Any], text: tuple[str, ...] = ()) -> pd.DataFrame:
    """A table from freshly made columns, in the dict's order.

    Args:
        data: Column name -> list, tuple or numpy array (not a Series: no index is
            aligned), all of one length, not used by the caller afterwards.
        text: Names of columns holding only strings (any sequence, or a
            :func:`text_column`).

    Returns:
        The table; its dtypes are those ``pd.DataFrame(data)`` would infer, except
        that an empty ``text`` column is object.

    Raises:
        ValueError: If the columns differ in length.
    """
    # NOTE: with pandas 3 ``pd.DataFrame(dict)`` costs 200-450 us for a small table,
    # most of it inferring the dtype of the column names and of every column; a plan
    # builds up to six. Handing typed blocks to pandas' block constructor costs ~50 us.
    make = _from_blocks()
    n = len(next(iter(data.values()))) if data else 0
    if any(len(v) != n for v in data.values()):
        raise ValueError("All arrays must be of the same length")
    if make is None or n == 0:
        return _inferred(data, text)
    cols: list[Any] = []
    for k, v in data.items():
        b = _text_block(v, n) if k in text else _block(v, n)
        if b is None:
            # A column pandas must type itself, as the DataFrame constructor would.
            s = pd.Series(v)
            b = s.to_numpy().reshape(1, n) if isinstance(s.dtype, np.dtype) else s.array
        cols.append(b)
    return make(
        _grouped_blocks(cols), index=pd.RangeIndex(n), columns=_column_index(tuple(data)).view()
    )


def _inferred(data: dict[str, Any], text: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` through pandas' own inference (columns pandas must type itself)."""
    dtype = text_dtype()
    cols = {
        k: (pd.array(list(v), dtype=dtype if len(v) else object) if k in text else v)
        for k, v in data.items()
    }
    return pd.DataFrame(cols, copy=False)


def records(df: Any) -> list[dict[str, Any]]:
    """Rows of a DataFrame as plain dicts keyed by column name (cells as Python values)."""
    # NOTE: column by column is several times faster than ``to_dict("records")``.
    cols = [str(c) for c in df.columns]
    if not cols:
        return [{} for _ in range(len(df))]
    data = [df[c].tolist() for c in df.columns]
    return [dict(zip(cols, row, strict=True)) for row in zip(*data, strict=True)]


__all__ = ["empty_frame", "frame", "records", "text_column", "text_dtype"]
