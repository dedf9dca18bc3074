"""Compile a validated :class:`Scenario` into a :class:`World`: columnar arrays by concept and year.

This is the one boundary between pydantic objects and the engines. Engines read the
tables and arrays here, never the scenario models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from evfab._policy import (
    PolicyState,
    _prior_sources,
    prior_duration,
    prior_source_rows,
    resolve_policy,
)
from evfab._scenario import (
    STATUS_RANK,
    PlantStatus,
    Scenario,
    Status,
    _Duration,
)
from evfab.priors import PRIOR_SOURCE_ID

DAYS_PER_MONTH = 365.25 / 12
_STATUSES = list(Status)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def add_months(d: dt.date, months: float) -> dt.date:
    """``d`` plus a (fractional) number of months, at day resolution."""
    return d + dt.timedelta(days=round(months * DAYS_PER_MONTH))


def year_fractions(start: dt.date, years: IntArray) -> FloatArray:
    """Fraction of each year in ``years`` on or after ``start`` (1 after, 0 before)."""
    out = (years > start.year).astype(np.float64)
    if years[0] <= start.year <= years[-1]:
        days = 366 if start.year % 4 == 0 else 365
        out[start.year - years[0]] = 1.0 - (start.timetuple().tm_yday - 1) / days
    return out


def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``df`` as dicts of Python values, like ``to_dict("records")``."""
    # NOTE: column by column is several times faster than ``to_dict("records")``.
    cols = [str(c) for c in df.columns]
    data = [df[c].tolist() for c in df.columns]
    return [dict(zip(cols, row, strict=True)) for row in zip(*data, strict=True)]


@dataclass(frozen=True)
class World:
    """A scenario compiled to tables (one row per entity) and arrays (entity x year).

    Attributes:
        name: Scenario name.
        as_of: Scenario date.
        years: Planning years, ``as_of.year`` .. ``horizon``.
        currency: Currency code.
        discount_rate: Annual discount rate.
        policy: Resolved policy periods in date order.
        sources: Source table indexed by id (status, rank, url, publisher, date, note).
        companies: Company table indexed by id (name, kind, parent).
        licences: Licence table indexed by id.
        plants: Plant table indexed by id (name, operator, status, unit_cost, nameplate).
        phases: One row per plant phase (plant, capacity, ready date or build months).
        committed: Committed load, plants x years, vehicles.
        programs: Program table indexed by id.
        demand: Demand, programs x years, vehicles.
        offers: Offer table indexed by id with the common columns; ``detail`` holds
            kind-specific fields as a dict.
        cites: Source ids cited by each entity, keyed ``(kind, id)``.
    """

    name: str
    as_of: dt.date
    years: IntArray
    currency: str
    discount_rate: float
    policy: list[PolicyState]
    sources: pd.DataFrame
    companies: pd.DataFrame
    licences: pd.DataFrame
    plants: pd.DataFrame
    phases: pd.DataFrame
    committed: IntArray
    programs: pd.DataFrame
    demand: IntArray
    offers: pd.DataFrame
    cites: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def policy_at(self, d: dt.date) -> PolicyState:
        """The policy in force on ``d`` (the first period if ``d`` precedes all)."""
        current = self.policy[0]
        for p in self.policy:
            if p.since <= d:
                current = p
        return current

    def affiliates(self, company: str) -> set[str]:
        """``company`` and every company whose parent chain leads to it."""
        return self._affiliate_sets.get(company, {company})

    @cached_property
    def _affiliate_sets(self) -> dict[str, set[str]]:
        parent: dict[str, str | None] = {str(k): v for k, v in self.companies["parent"].items()}
        out: dict[str, set[str]] = {cid: {cid} for cid in parent}
        for cid in parent:
            seen = {cid}
            cur = parent.get(cid)
            while cur is not None and cur not in seen:
                out.setdefault(cur, {cur}).add(cid)
                seen.add(cur)
                cur = parent.get(cur)
        return out

    # NOTE: the lookups below are plain dicts built once per World: the rules engine
    # calls them per route, and pandas indexing there cost ~90 % of route derivation.
    @cached_property
    def _names(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.companies["name"].items()}

    @cached_property
    def source_rank(self) -> dict[str, int]:
        """Rank of each source's status (higher is weaker)."""
        return {str(k): int(v) for k, v in self.sources["rank"].items()}

    @cached_property
    def plant_row(self) -> dict[str, int]:
        """Row of each plant in the plant-by-year arrays."""
        return {str(p): i for i, p in enumerate(self.plants.index)}

    @cached_property
    def _phase_table(self) -> dict[str, list[tuple[int, dt.date | None, float]]]:
        out: dict[str, list[tuple[int, dt.date | None, float]]] = {
            str(p): [] for p in self.plants.index
        }
        for plant, capacity, ready, months in zip(
            self.phases["plant"],
            self.phases["capacity"],
            self.phases["ready"],
            self.phases["months"],
            strict=True,
        ):
            out[str(plant)].append(
                (int(capacity), ready if isinstance(ready, dt.date) else None, float(months))
            )
        return out

    @cached_property
    def licences_by_holder(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """(id, row) of each licence, grouped by holder."""
        out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for lid, row in zip(self.licences.index, _rows(self.licences), strict=True):
            out.setdefault(str(row["holder"]), []).append(
                (str(lid), {str(k): v for k, v in row.items()})
            )
        return out

    @cached_property
    def offers_by_taker(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """(id, row) of each offer, grouped by the company it is made to."""
        out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for oid, row in zip(self.offers.index, _rows(self.offers), strict=True):
            out.setdefault(str(row["to"]), []).append(
                (str(oid), {str(k): v for k, v in row.items()})
            )
        return out

    @cached_property
    def plants_by_operator(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """(id, row) of each plant, grouped by operator."""
        out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for pid, row in zip(self.plants.index, _rows(self.plants), strict=True):
            out.setdefault(str(row["operator"]), []).append(
                (str(pid), {str(k): v for k, v in row.items()})
            )
        return out

    @cached_property
    def _offer_rows(self) -> dict[str, dict[str, Any]]:
        return {oid: row for rows in self.offers_by_taker.values() for oid, row in rows}

    @cached_property
    def _plant_rows(self) -> dict[str, dict[str, Any]]:
        return {pid: row for rows in self.plants_by_operator.values() for pid, row in rows}

    @cached_property
    def program_rows(self) -> dict[str, dict[str, Any]]:
        """Each program's table row as a dict (company, scope, badge, target_sop ...)."""
        return {
            str(g): {str(k): v for k, v in row.items()}
            for g, row in zip(self.programs.index, _rows(self.programs), strict=True)
        }

    @cached_property
    def _licence_rows(self) -> dict[str, dict[str, Any]]:
        return {lid: row for rows in self.licences_by_holder.values() for lid, row in rows}

    def licence(self, lid: str) -> dict[str, Any]:
        """The licence table's row for ``lid`` as a dict (holder, scope, status ...)."""
        return self._licence_rows[lid]

    def has_licence(self, lid: str) -> bool:
        """Whether ``lid`` is a licence of the scenario."""
        return lid in self._licence_rows

    def offer(self, oid: str) -> dict[str, Any]:
        """The offer table's row for ``oid`` as a dict (kind, to, lead_months, fixed_fee, detail ...)."""
        return self._offer_rows[oid]

    def plant(self, pid: str) -> dict[str, Any]:
        """The plant table's row for ``pid`` as a dict (name, operator, status, unit_cost ...)."""
        return self._plant_rows[pid]

    @cached_property
    def phase_steps(self) -> dict[str, list[tuple[int, dt.date | None, _Duration | None]]]:
        """Capacity, fixed ready date and build-time distribution of each plant's phases."""
        out: dict[str, list[tuple[int, dt.date | None, _Duration | None]]] = {
            str(p): [] for p in self.plants.index
        }
        for plant, cap, ready, dist in zip(
            self.phases["plant"],
            self.phases["capacity"],
            self.phases["ready"],
            self.phases["months_dist"],
            strict=True,
        ):
            out[str(plant)].append(
                (
                    int(cap),
                    ready if isinstance(ready, dt.date) else None,
                    dist if isinstance(dist, _Duration) else None,
                )
            )
        return out

    def company_name(self, cid: str) -> str:
        """Display name of a company."""
        return self._names[cid]

    def weakest(self, source_ids: tuple[str, ...] | list[str]) -> Status:
        """The weakest status among ``source_ids`` (``assumption`` if none is cited)."""
        if not source_ids:
            return Status.ASSUMPTION
        rank = self.source_rank
        return _STATUSES[max(rank[s] for s in source_ids)]

    def plant_capacity(
        self, plant: str, start: dt.date | None = None, since: dt.date | None = None
    ) -> FloatArray:
        """Capacity of ``plant`` by year, prorated from each phase's ready date.

        Args:
            plant: Plant id.
            start: For planned plants, the date construction starts (phases use build
                months after it); ignored for phases with a ready date.
            since: Count each phase only from this date on (a route's start of production).

        Returns:
            Vehicles per year for each of :attr:`years`, before committed load.
        """
        cap = np.zeros(len(self.years))
        for capacity, when in self._phase_dates(plant, start):
            cap += capacity * year_fractions(max(when, since or when), self.years)
        return cap

    def _phase_dates(self, plant: str, start: dt.date | None) -> list[tuple[int, dt.date]]:
        """Capacity and ready date of each phase of ``plant``."""
        phases = self._phase_table[plant]
        if all(ready is not None for _, ready, _ in phases):
            return [(capacity, ready) for capacity, ready, _ in phases if ready is not None]
        cs = self.plant(plant)["construction_start"]
        base = start or (cs if isinstance(cs, dt.date) else self.as_of)
        return [
            (capacity, ready if ready is not None else add_months(base, months))
            for capacity, ready, months in phases
        ]

    def first_ready(self, plant: str, start: dt.date | None = None) -> dt.date:
        """Date the first phase of ``plant`` can produce."""
        return min(when for _, when in self._phase_dates(plant, start))


def entity_collections(s: Scenario) -> tuple[tuple[str, Sequence[Any]], ...]:
    """Every kind of entity that cites sources, with its items: (kind, items)."""
    return (
        ("company", s.companies),
        ("licence", s.licences),
        ("plant", s.plants),
        ("program", s.programs),
        ("offer", s.offers),
        ("case", s.history),
    )


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


# NOTE: the tables used to be lists of records + set_index("id"), which splits a 2-D
# object array into columns, infers each, then deletes the id column; a dict of columns
# with a ready-made index costs about half as much. Columns whose type the schema fixes
# (kinds s/f/i/b) are passed typed so pandas skips inferring them; the rest are inferred
# as before. Dtypes and values are the same as the records gave.
class _Tables:
    """Builds the world's tables from columns (lists), typed by a spec."""

    def __init__(self) -> None:
        # NOTE: sampled per compile rather than hard-coded, so typed text columns get the
        # exact dtype inference would give (python or pyarrow storage, or object).
        self.text: Any = pd.Index(["x"]).dtype

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
        detail = {k: getattr(o, k) for k in type(o).model_fields if k not in _OFFER_COMMON}
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


def _sources(s: Scenario, used_priors: set[str], tables: _Tables) -> pd.DataFrame:
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
    if used_priors and not ids:
        # NOTE: rare; concat keeps the dtypes an empty (all-object) table gives its priors.
        return pd.concat(
            [tables.build(_SOURCE_SPEC, cols, ids), _prior_sources(sorted(used_priors))]
        )
    # NOTE: prior rows join the scenario's before the frame is built (no pd.concat of a
    # second frame); every column gets the dtype concat gave (date is object either way).
    for row in prior_source_rows(sorted(used_priors)):
        ids.append(row["id"])
        for col, (name, _) in zip(cols, _SOURCE_SPEC, strict=True):
            col.append(row[name])
    return tables.build(_SOURCE_SPEC, cols, ids)


def compile_world(s: Scenario) -> World:
    """Compile a validated scenario into a :class:`World`.

    Args:
        s: A scenario that passed :func:`evfab.load` validation.

    Returns:
        The world, ready for the engines.
    """
    years = np.arange(s.as_of.year, s.horizon + 1, dtype=np.int64)
    y0 = int(years[0])
    tables = _Tables()
    # NOTE: str(member) is a StrEnum's value, minus enum's slow ``.value`` descriptor
    # (here and in _sources).
    companies = tables.build(
        _COMPANY_SPEC,
        [
            [c.name for c in s.companies],
            [str(c.kind) for c in s.companies],
            [c.parent for c in s.companies],
            [c.capital_budget for c in s.companies],
        ],
        [c.id for c in s.companies],
    )
    licences = tables.build(
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
    plants = tables.build(
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
    phases = tables.build(
        _PHASE_SPEC,
        [
            [pid for pid, _ in plant_phases],
            [ph.capacity for _, ph in plant_phases],
            [ph.ready for _, ph in plant_phases],
            [ph.months.mode if ph.months else np.nan for _, ph in plant_phases],
            [ph.months for _, ph in plant_phases],
        ],
    )
    committed = np.zeros((len(s.plants), len(years)), dtype=np.int64)
    for i, p in enumerate(s.plants):
        for year, load in p.committed.items():
            committed[i, year - y0] = load
    programs = tables.build(
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
    demand = np.zeros((len(s.programs), len(years)), dtype=np.int64)
    for i, g in enumerate(s.programs):
        for year, n in g.demand.items():
            demand[i, year - y0] = n
    offer_ids, offer_cols, used_priors, prior_cites = _offer_columns(s)
    offers = tables.build(_OFFER_SPEC, offer_cols, offer_ids)
    policy = resolve_policy(list(s.policy))
    if any(p.review_is_prior for p in policy):
        used_priors.add("licence_application")
    sources = _sources(s, used_priors, tables)
    cites: dict[tuple[str, str], tuple[str, ...]] = {}
    for kind, coll in entity_collections(s):
        for item in coll:
            cites[(kind, item.id)] = tuple(item.sources)
    for oid, extra_cites in prior_cites.items():
        cites[("offer", oid)] += extra_cites
    return World(
        name=s.name,
        as_of=s.as_of,
        years=years,
        currency=s.currency,
        discount_rate=s.discount_rate,
        policy=policy,
        sources=sources,
        companies=companies,
        licences=licences,
        plants=plants,
        phases=phases,
        committed=committed,
        programs=programs,
        demand=demand,
        offers=offers,
        cites=cites,
    )


def plant_index(world: World) -> dict[str, int]:
    """Row number of each plant in the plant-by-year arrays."""
    return world.plant_row


__all__ = [
    "PlantStatus",
    "PolicyState",
    "World",
    "add_months",
    "compile_world",
    "plant_index",
    "year_fractions",
]
