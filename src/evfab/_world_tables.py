"""The world's tables as raw columns, with the pandas tables built from them on demand.

:func:`world_tables` collects each table's columns (plain lists) from a scenario;
:class:`RawTables` keeps them, turns a column into the Python values its DataFrame
column would give, and builds a table's DataFrame only when one is asked for.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evfab._frames import text_dtype
from evfab._policy import PolicyState, _prior_sources, prior_duration, prior_source_rows
from evfab._scenario import STATUS_RANK, Scenario, _Duration
from evfab.priors import PRIOR_SOURCE_ID

_Spec = tuple[tuple[str, str], ...]


def _spec(text: str) -> _Spec:
    """A table's columns as (name, kind) from ``"name:kind ..."``.

    Kinds: ``s`` text, ``f`` float64, ``i`` int64, ``b`` bool (types the schema fixes),
    ``n`` object keeping None, ``o`` left to pandas' inference.
    """
    return tuple((name, kind) for name, kind in (x.split(":") for x in text.split()))


_SOURCE_SPEC = _spec("status:s rank:i publisher:s url:s date:o note:s")
_COMPANY_SPEC = _spec("name:s kind:s parent:n capital_budget:o")
_LICENCE_SPEC = _spec(
    "holder:s scope:s status:s applied_on:o review:o approval_probability:o dormant_since:o"
)
_PLANT_SPEC = _spec(
    "name:s operator:s owners:o status:s location:s opened:o construction_start:o"
    " unit_cost:f nameplate:i"
)
_PHASE_SPEC = _spec("plant:s capacity:i ready:o months:f months_dist:o")
_PROGRAM_SPEC = _spec(
    "company:s name:s scope:s target_sop:o badge:s single_source:b lost_margin:f min_fill:f"
    " logistics:o ramp:o"
)
_OFFER_SPEC = _spec(
    "kind:s to:s lead_months:o success_probability:f fixed_fee:f excludes:o note:s sources:o"
    " probability_given:b detail:o"
)
# The offer fields common to every kind (the rest go in ``detail``).
_OFFER_COMMON = ("id", *(n for n, _ in _OFFER_SPEC if n not in ("probability_given", "detail")))
_NUMPY_KIND: dict[str, type[np.generic]] = {"f": np.float64, "i": np.int64, "b": np.bool_}

# Types pandas' inference leaves alone: a column of these (and None) stays object, values
# unchanged. Exact types only: a datetime (a date subclass) becomes datetime64, a bool
# next to None stays object but bools alone become bool.
_OPAQUE: frozenset[type] = frozenset({type(None), dict, list, tuple, dt.date, _Duration})
_NUMBERS: frozenset[type] = frozenset({type(None), int, float})
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


# NOTE: the tables used to be lists of records + set_index("id"), which splits a 2-D
# object array into columns, infers each, then deletes the id column; a dict of columns
# with a ready-made index costs about half as much. Columns whose type the schema fixes
# (kinds s/f/i/b) are passed typed so pandas skips inferring them; the rest are inferred
# as before. Dtypes and values are the same as the records gave.
class _Tables:
    """Builds the world's tables from columns (lists), typed by a spec."""

    @property
    def text(self) -> Any:
        """The dtype pandas infers for a column of text."""
        return text_dtype()

    def build(
        self, spec: _Spec, columns: Sequence[list[Any]], ids: list[str] | None = None
    ) -> pd.DataFrame:
        """A table with ``columns`` named by ``spec``, indexed by ``ids`` (or a range)."""
        names = [name for name, _ in spec]
        if not columns[0]:
            # NOTE: empty tables keep the records constructor: its dtypes (all object)
            # differ from what a dict of empty columns gives (float64).
            empty = pd.DataFrame([], columns=names if ids is None else ["id", *names])
            return empty if ids is None else empty.set_index("id")
        data = {
            name: self._typed(kind, values)
            for (name, kind), values in zip(spec, columns, strict=True)
        }
        index = None if ids is None else pd.Index(ids, dtype=self.text, name="id")
        return pd.DataFrame(data, index=index, copy=False)

    def _typed(self, kind: str, values: list[Any]) -> Any:
        if kind == "s":
            return pd.array(values, dtype=self.text)
        if kind in _NUMPY_KIND:
            return np.array(values, dtype=_NUMPY_KIND[kind])
        if kind == "n":
            # NOTE: an object Index is not re-inferred, so None stays None; this replaces
            # the former astype(object).where(notna, None) fix-up of company parents.
            return pd.Index(values, dtype=object)
        return values


def _listed(kind: str, values: list[Any]) -> list[Any] | None:
    """What ``.tolist()`` gives for a table column of ``kind`` built from ``values``.

    None when only pandas can tell (a kind-``o`` column of numbers and other things, or
    text with a missing value); the caller then asks pandas.
    """
    if kind in _NUMPY_KIND:
        typed: list[Any] = np.array(values, dtype=_NUMPY_KIND[kind]).tolist()
        return typed
    if kind == "n":
        return list(values)
    types = {type(v) for v in values}
    if kind == "s":
        return list(values) if types == {str} else None
    if types <= _OPAQUE:
        return list(values)
    if types <= _NUMBERS and all(
        type(v) is not int or _INT64_MIN <= v <= _INT64_MAX for v in values
    ):
        if types == {int} or types == {float}:
            return list(values)
        # Ints with None or floats: float64, None as NaN.
        return [math.nan if v is None else float(v) for v in values]
    return None


class _Table:
    """One table's raw columns, ids (None for a range index) and spec."""

    def __init__(
        self,
        spec: _Spec,
        columns: list[list[Any]],
        ids: list[str] | None,
        concat_priors: list[str] | None = None,
    ) -> None:
        self.spec = spec
        self.names = [name for name, _ in spec]
        self.position = {name: k for k, name in enumerate(self.names)}
        self.columns = columns
        self.ids = ids
        # Prior kinds whose rows the frame gets by pd.concat (the table has no rows of its
        # own); the rows are in ``columns`` too.
        self.concat_priors = concat_priors


class RawTables:
    """The world's tables as raw columns; DataFrames and column values on demand."""

    def __init__(self, tables: dict[str, _Table]) -> None:
        self._tables = tables
        self._builder = _Tables()
        self._frames: dict[str, pd.DataFrame] = {}
        self._values: dict[tuple[str, str], list[Any]] = {}

    def _table(self, table: str) -> _Table:
        try:
            return self._tables[table]
        except KeyError:
            raise KeyError(f"unknown table {table!r}; known: {', '.join(self._tables)}") from None

    def names(self, table: str) -> list[str]:
        """Column names of ``table`` in order."""
        return list(self._table(table).names)

    def ids(self, table: str) -> list[str]:
        """Row ids of ``table`` in order (not to be modified)."""
        ids = self._table(table).ids
        if ids is None:
            raise KeyError(f"table {table!r} has no ids")
        return ids

    def raw(self, table: str, name: str) -> list[Any]:
        """The raw values of a column, as compiled (not to be modified)."""
        t = self._table(table)
        return t.columns[t.position[name]]

    def frame(self, table: str) -> pd.DataFrame:
        """The DataFrame of ``table``, built on the first call."""
        df = self._frames.get(table)
        if df is None:
            t = self._table(table)
            if t.concat_priors is not None:
                # NOTE: rare; concat keeps the dtypes an empty (all-object) table gives
                # its priors.
                empty = self._builder.build(t.spec, [[] for _ in t.spec], [])
                df = pd.concat([empty, _prior_sources(t.concat_priors)])
            else:
                df = self._builder.build(t.spec, t.columns, t.ids)
            self._frames[table] = df
        return df

    def values(self, table: str, name: str) -> list[Any]:
        """The column as ``frame(table)[name].tolist()`` gives it (not to be modified)."""
        key = (table, name)
        out = self._values.get(key)
        if out is None:
            out = self._compute(table, name)
            self._values[key] = out
        return out

    # NOTE: the lookups and the planner need the columns as Python values, not the frames;
    # building a frame costs 150-600 µs and reading a column back 20-40 µs, so the values
    # are derived from the raw lists, following pandas' inference for the cases the
    # schema produces, and only the rest go through pandas.
    def _compute(self, table: str, name: str) -> list[Any]:
        t = self._table(table)
        k = t.position[name]
        values = t.columns[k]
        if not values:
            return []
        if t.concat_priors is not None:
            # Concat with an empty (all-object) table makes every column object, which
            # keeps the values (text, ints, None) as they are.
            return list(values)
        kind = t.spec[k][1]
        out = _listed(kind, values)
        if out is None:
            # NOTE: one column through the same builder as the table: exact, and cheap
            # next to the whole table.
            out = self._builder.build(((name, kind),), [values])[name].tolist()
        return out


@functools.lru_cache(maxsize=32)
def _detail_fields(kind: type[Any]) -> tuple[str, ...]:
    """The fields of an offer model beyond the common ones (asked once per model class)."""
    return tuple(k for k in kind.model_fields if k not in _OFFER_COMMON)


def _offer_columns(
    s: Scenario,
) -> tuple[list[str], list[list[Any]], set[str], dict[str, tuple[str, ...]]]:
    """Offer ids and columns (:data:`_OFFER_SPEC`), priors used and prior cites by offer."""
    ids: list[str] = []
    cols: list[list[Any]] = [[] for _ in _OFFER_SPEC]
    used_priors: set[str] = set()
    prior_cites: dict[str, tuple[str, ...]] = {}
    lead_col = _OFFER_COMMON.index("lead_months") - 1
    for o in s.offers:
        row = [getattr(o, k) for k in _OFFER_COMMON[1:]]
        detail = {k: getattr(o, k) for k in _detail_fields(type(o))}
        extra: list[str] = []
        if o.lead_months is None:
            kind = "contract_manufacturing" if o.kind == "contract_manufacturing" else "negotiation"
            row[lead_col] = prior_duration(kind)
            extra.append(PRIOR_SOURCE_ID.format(kind=kind))
        if detail.get("transfer_months", 0) is None:
            detail["transfer_months"] = prior_duration("acquisition_licence")
            extra.append(PRIOR_SOURCE_ID.format(kind="acquisition_licence"))
        used_priors.update(x.removeprefix("evfab-prior-") for x in extra)
        prior_cites[o.id] = tuple(extra)
        row.append("success_probability" in o.model_fields_set)
        row.append(detail)
        ids.append(o.id)
        for col, value in zip(cols, row, strict=True):
            col.append(value)
    return ids, cols, used_priors, prior_cites


def _sources(s: Scenario, used_priors: set[str]) -> _Table:
    """The source table, with a row for each prior the scenario relies on."""
    ids = [x.id for x in s.sources]
    cols: list[list[Any]] = [
        [str(x.status) for x in s.sources],
        [STATUS_RANK[x.status] for x in s.sources],
        [x.publisher or "" for x in s.sources],
        [x.url or "" for x in s.sources],
        [x.date for x in s.sources],
        [x.note for x in s.sources],
    ]
    concat = sorted(used_priors) if used_priors and not ids else None
    # NOTE: prior rows join the scenario's before the frame is built (no pd.concat of a
    # second frame); every column gets the dtype concat gave (date is object either way).
    for row in prior_source_rows(sorted(used_priors)):
        ids.append(row["id"])
        for col, (name, _) in zip(cols, _SOURCE_SPEC, strict=True):
            col.append(row[name])
    return _Table(_SOURCE_SPEC, cols, ids, concat)


def world_tables(
    s: Scenario, policy: list[PolicyState]
) -> tuple[RawTables, dict[str, tuple[str, ...]]]:
    """The raw tables of a scenario, and the prior source ids each offer cites.

    Args:
        s: A validated scenario.
        policy: Its resolved policy (a review time left to the prior cites that prior).

    Returns:
        The tables (sources, companies, licences, plants, phases, programs, offers) and,
        by offer id, the prior sources the offer relies on.
    """
    # NOTE: str(member) is a StrEnum's value, minus enum's slow ``.value`` descriptor
    # (here and in _sources).
    companies = _Table(
        _COMPANY_SPEC,
        [
            [c.name for c in s.companies],
            [str(c.kind) for c in s.companies],
            [c.parent for c in s.companies],
            [c.capital_budget for c in s.companies],
        ],
        [c.id for c in s.companies],
    )
    licences = _Table(
        _LICENCE_SPEC,
        [
            [x.holder for x in s.licences],
            [x.scope for x in s.licences],
            [str(x.status) for x in s.licences],
            [x.applied_on for x in s.licences],
            [x.review_months for x in s.licences],
            [x.approval_probability for x in s.licences],
            [x.dormant_since for x in s.licences],
        ],
        [x.id for x in s.licences],
    )
    plants = _Table(
        _PLANT_SPEC,
        [
            [p.name for p in s.plants],
            [p.operator for p in s.plants],
            [{o.company: o.share for o in p.owners} or {p.operator: 1.0} for p in s.plants],
            [str(p.status) for p in s.plants],
            [p.location for p in s.plants],
            [p.opened for p in s.plants],
            [p.construction_start for p in s.plants],
            [p.unit_cost for p in s.plants],
            [sum(ph.capacity for ph in p.phases) for p in s.plants],
        ],
        [p.id for p in s.plants],
    )
    plant_phases = [(p.id, ph) for p in s.plants for ph in p.phases]
    phases = _Table(
        _PHASE_SPEC,
        [
            [pid for pid, _ in plant_phases],
            [ph.capacity for _, ph in plant_phases],
            [ph.ready for _, ph in plant_phases],
            [ph.months.mode if ph.months else np.nan for _, ph in plant_phases],
            [ph.months for _, ph in plant_phases],
        ],
        None,
    )
    programs = _Table(
        _PROGRAM_SPEC,
        [
            [g.company for g in s.programs],
            [g.name for g in s.programs],
            [g.scope for g in s.programs],
            [g.target_sop for g in s.programs],
            [str(g.badge) for g in s.programs],
            [g.single_source for g in s.programs],
            [g.lost_margin for g in s.programs],
            [g.min_fill for g in s.programs],
            [dict(g.logistics) for g in s.programs],
            [g.ramp_months for g in s.programs],
        ],
        [g.id for g in s.programs],
    )
    offer_ids, offer_cols, used_priors, prior_cites = _offer_columns(s)
    offers = _Table(_OFFER_SPEC, offer_cols, offer_ids)
    if any(p.review_is_prior for p in policy):
        used_priors.add("licence_application")
    tables = {
        "sources": _sources(s, used_priors),
        "companies": companies,
        "licences": licences,
        "plants": plants,
        "phases": phases,
        "programs": programs,
        "offers": offers,
    }
    return RawTables(tables), prior_cites
