"""Compile a validated :class:`Scenario` into a :class:`World`: columnar arrays by concept and year.

This is the one boundary between pydantic objects and the engines. Engines read the
tables and arrays here, never the scenario models.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from evfab._gc import paused_gc
from evfab._policy import Period, PolicyState, bans, period_of, resolve_policy, scopes_in_use
from evfab._scenario import DEFAULT_SCOPE, PlantStatus, Scenario, Status, _Duration
from evfab._timing import Ban
from evfab._world_tables import RawTables, world_tables

DAYS_PER_MONTH = 365.25 / 12
_STATUSES = list(Status)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def add_months(d: dt.date, months: float) -> dt.date:
    """``d`` plus a (fractional) number of months, at day resolution."""
    return d + dt.timedelta(days=round(months * DAYS_PER_MONTH))


def add_calendar_months(d: dt.date, months: int) -> dt.date:
    """``d`` plus whole calendar months, as a legal deadline counts them (2023-01-01 plus 24
    months is 2025-01-01; a day the month lacks becomes its last day)."""
    years, month0 = divmod(d.month - 1 + months, 12)
    year = d.year + years
    return d.replace(
        year=year, month=month0 + 1, day=min(d.day, calendar.monthrange(year, month0 + 1)[1])
    )


def year_fractions(start: dt.date, years: IntArray) -> FloatArray:
    """Fraction of each year in ``years`` on or after ``start`` (1 after, 0 before)."""
    out = (years > start.year).astype(np.float64)
    if years[0] <= start.year <= years[-1]:
        days = 366 if calendar.isleap(start.year) else 365
        out[start.year - years[0]] = 1.0 - (start.timetuple().tm_yday - 1) / days
    return out


def _year_fractions_many(starts: list[dt.date], years: IntArray) -> FloatArray:
    """:func:`year_fractions` of many start dates (N, Y), computed identically."""
    year = np.array([d.year for d in starts], np.int64)
    yday = np.array([d.timetuple().tm_yday for d in starts], np.int64)
    out = (years[None, :] > year[:, None]).astype(np.float64)
    inside = np.nonzero((year >= years[0]) & (year <= years[-1]))[0]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))  # as calendar.isleap
    days = np.where(leap, 366, 365)
    out[inside, year[inside] - years[0]] = 1.0 - (yday[inside] - 1) / days[inside]
    return out


_POLICY_CACHES = ("licence_bans", "contract_bans")
"""The World's cached properties that depend on its policy: a view under another scope's
policy (:meth:`World.for_scope`) computes its own."""


@dataclass(frozen=True)
class World:
    """A scenario compiled to tables (one row per entity) and arrays (entity x year).

    The seven tables (``sources`` .. ``offers``) are pandas DataFrames built from the
    compiled columns on first access; the lookups (:attr:`program_rows`,
    :meth:`plant` ...), the id lists (:attr:`program_ids` ...) and :meth:`column` read
    the columns without building them.

    Attributes:
        name: Scenario name.
        as_of: Scenario date.
        years: Planning years, ``as_of.year`` .. ``horizon``.
        currency: Currency code.
        discount_rate: Annual discount rate.
        policy: Resolved policy periods in date order, as they apply to the default
            vehicle scope (``bev_passenger``); :meth:`for_scope` gives the world under
            another scope's (the same unless a period is limited to some scopes).
        committed: Committed load, plants x years, vehicles.
        demand: Demand, programs x years, vehicles.
        cites: Source ids cited by each entity, keyed ``(kind, id)``.
        sources: Source table indexed by id (status, rank, url, publisher, date, note).
        companies: Company table indexed by id (name, kind, parent).
        licences: Licence table indexed by id.
        plants: Plant table indexed by id (name, operator, status, unit_cost, nameplate).
        phases: One row per plant phase (plant, capacity, ready date or build months).
        programs: Program table indexed by id.
        offers: Offer table indexed by id with the common columns; ``detail`` holds
            kind-specific fields as a dict.
    """

    name: str
    as_of: dt.date
    years: IntArray
    currency: str
    discount_rate: float
    policy: list[PolicyState]
    committed: IntArray
    demand: IntArray
    # NOTE: the tables as raw columns: a DataFrame costs 150-600 µs to build and 20-40 µs
    # per column read, and the engines mostly need the lookups below, so the DataFrames
    # are built only when asked for.
    _raw: RawTables = field(repr=False, compare=False)
    cites: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    periods: tuple[Period, ...] = field(default=(), repr=False, compare=False)
    """The scenario's policy periods as written, as plain data (for :meth:`for_scope`)."""
    scope: str = DEFAULT_SCOPE
    """The vehicle scope whose policy :attr:`policy` is."""

    @cached_property
    def scoped(self) -> bool:
        """Whether some policy period is limited to some vehicle scopes."""
        return any(p.scopes is not None for p in self.periods)

    def for_scope(self, scope: str) -> World:
        """The world under the policy as it applies to vehicle scope ``scope``.

        It is this world itself unless a policy period is limited to some scopes (then a
        copy sharing every table, with that scope's :attr:`policy`, made once per scope).
        """
        if scope == self.scope or not self.scoped:
            return self
        # Views are made by, and kept on, the compiled world: a view's view is one of them.
        base: World = self.__dict__.get("_scope_base", self)
        if scope == base.scope:
            return base
        views: dict[str, World] = base.__dict__.setdefault("_scope_views", {})
        view = views.get(scope)
        if view is None:
            view = copy.copy(base)
            for name in (*_POLICY_CACHES, "_scope_views"):
                view.__dict__.pop(name, None)
            view.__dict__["policy"] = resolve_policy(base.periods, scope)
            view.__dict__["scope"] = scope
            view.__dict__["_scope_base"] = base
            views[scope] = view
        return view

    @cached_property
    def sources(self) -> pd.DataFrame:
        """Source table indexed by id (status, rank, url, publisher, date, note)."""
        return self._raw.frame("sources")

    @cached_property
    def companies(self) -> pd.DataFrame:
        """Company table indexed by id (name, kind, parent, capital_budget)."""
        return self._raw.frame("companies")

    @cached_property
    def licences(self) -> pd.DataFrame:
        """Licence table indexed by id."""
        return self._raw.frame("licences")

    @cached_property
    def plants(self) -> pd.DataFrame:
        """Plant table indexed by id (name, operator, status, unit_cost, nameplate ...)."""
        return self._raw.frame("plants")

    @cached_property
    def phases(self) -> pd.DataFrame:
        """One row per plant phase (plant, capacity, ready date or build months)."""
        return self._raw.frame("phases")

    @cached_property
    def programs(self) -> pd.DataFrame:
        """Program table indexed by id."""
        return self._raw.frame("programs")

    @cached_property
    def offers(self) -> pd.DataFrame:
        """Offer table indexed by id; ``detail`` holds kind-specific fields as a dict."""
        return self._raw.frame("offers")

    def column(self, table: str, name: str) -> list[Any]:
        """A table's column as Python values, without building the table.

        Args:
            table: One of ``"sources"``, ``"companies"``, ``"licences"``, ``"plants"``,
                ``"phases"``, ``"programs"``, ``"offers"``.
            name: Column name.

        Returns:
            A new list, equal (values and types) to ``world.<table>[name].tolist()``.

        Raises:
            KeyError: Unknown table or column.
        """
        if name not in self._raw.names(table):
            raise KeyError(f"table {table!r} has no column {name!r}")
        return list(self._raw.values(table, name))

    @cached_property
    def program_ids(self) -> list[str]:
        """Program ids in table order."""
        return list(self._raw.ids("programs"))

    @cached_property
    def plant_ids(self) -> list[str]:
        """Plant ids in table order (the rows of the plant-by-year arrays)."""
        return list(self._raw.ids("plants"))

    @cached_property
    def offer_ids(self) -> list[str]:
        """Offer ids in table order."""
        return list(self._raw.ids("offers"))

    @cached_property
    def company_ids(self) -> list[str]:
        """Company ids in table order."""
        return list(self._raw.ids("companies"))

    def policy_at(self, d: dt.date, scope: str | None = None) -> PolicyState:
        """The policy in force on ``d`` (the first period if ``d`` precedes all), for
        vehicle ``scope`` (default: this world's, :attr:`scope`)."""
        if scope is not None and scope != self.scope:
            return self.for_scope(scope).policy_at(d)
        current = self.policy[0]
        for p in self.policy:
            if p.since <= d:
                current = p
        return current

    @cached_property
    def licence_bans(self) -> tuple[Ban, ...]:
        """When new licences are not granted, from as_of on (see :func:`evfab._policy.bans`)."""
        return bans(self.policy, "new_licences", self.as_of)

    @cached_property
    def contract_bans(self) -> tuple[Ban, ...]:
        """When contract manufacturing is not allowed, from as_of on."""
        return bans(self.policy, "contract_manufacturing", self.as_of)

    def affiliates(self, company: str) -> set[str]:
        """``company`` and every company whose parent chain leads to it."""
        return self._affiliate_sets.get(company, {company})

    def _rows(self, table: str) -> list[tuple[str, dict[str, Any]]]:
        """(id, row as a dict of Python values) of each row of ``table``."""
        names = self._raw.names(table)
        cols = [self._raw.values(table, n) for n in names]
        return [
            (rid, dict(zip(names, row, strict=True)))
            for rid, row in zip(self._raw.ids(table), zip(*cols, strict=True), strict=True)
        ]

    def _grouped(self, table: str, key: str) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """(id, row) of each row of ``table``, grouped by the ``key`` column."""
        out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for rid, row in self._rows(table):
            out.setdefault(str(row[key]), []).append((rid, row))
        return out

    # NOTE: the lookups below are plain dicts built once per World from the raw columns
    # (no DataFrame): the rules engine calls them per route, and pandas indexing there
    # cost ~90 % of route derivation. Values and types are those the tables' columns give.
    @cached_property
    def _affiliate_sets(self) -> dict[str, set[str]]:
        parent: dict[str, str | None] = dict(
            zip(self.company_ids, self._raw.values("companies", "parent"), strict=True)
        )
        out: dict[str, set[str]] = {cid: {cid} for cid in parent}
        for cid in parent:
            seen = {cid}
            cur = parent.get(cid)
            while cur is not None and cur not in seen:
                out.setdefault(cur, {cur}).add(cid)
                seen.add(cur)
                cur = parent.get(cur)
        return out

    @cached_property
    def _names(self) -> dict[str, str]:
        names = self._raw.values("companies", "name")
        return {cid: str(v) for cid, v in zip(self.company_ids, names, strict=True)}

    @cached_property
    def source_rank(self) -> dict[str, int]:
        """Rank of each source's status (higher is weaker)."""
        # NOTE: int() of the raw ranks is what int() of the column gives, whatever its
        # dtype, so even a table that needs pandas for its values skips it here.
        ranks = self._raw.raw("sources", "rank")
        return {sid: int(v) for sid, v in zip(self._raw.ids("sources"), ranks, strict=True)}

    @cached_property
    def plant_row(self) -> dict[str, int]:
        """Row of each plant in the plant-by-year arrays."""
        return {p: i for i, p in enumerate(self.plant_ids)}

    @cached_property
    def licences_by_holder(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """(id, row) of each licence, grouped by holder."""
        return self._grouped("licences", "holder")

    @cached_property
    def offers_by_taker(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """(id, row) of each offer, grouped by the company it is made to."""
        return self._grouped("offers", "to")

    @cached_property
    def plants_by_operator(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """(id, row) of each plant, grouped by operator."""
        return self._grouped("plants", "operator")

    @cached_property
    def _offer_rows(self) -> dict[str, dict[str, Any]]:
        return {oid: row for rows in self.offers_by_taker.values() for oid, row in rows}

    @cached_property
    def _plant_rows(self) -> dict[str, dict[str, Any]]:
        return {pid: row for rows in self.plants_by_operator.values() for pid, row in rows}

    @cached_property
    def program_rows(self) -> dict[str, dict[str, Any]]:
        """Each program's table row as a dict (company, scope, badge, target_sop ...)."""
        return dict(self._rows("programs"))

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

    def year_index(self, d: dt.date) -> int:
        """Position in :attr:`years` of the year of ``d``, clamped to the horizon."""
        y = min(max(d.year, int(self.years[0])), int(self.years[-1]))
        return y - int(self.years[0])

    def signing_date(self, row: dict[str, Any]) -> dt.date:
        """When an offer is signed at the mode of its lead: as_of plus its modal
        ``lead_months``. ``row``: :meth:`offer`'s."""
        return add_months(self.as_of, row["lead_months"].mode)

    def payment_year(self, row: dict[str, Any]) -> int:
        """Position in :attr:`years` of the year an offer's one-off fees are paid: its
        :meth:`signing_date`'s year, clamped to the horizon. ``row``: :meth:`offer`'s."""
        return self.year_index(self.signing_date(row))

    def plant(self, pid: str) -> dict[str, Any]:
        """The plant table's row for ``pid`` as a dict (name, operator, status, unit_cost ...)."""
        return self._plant_rows[pid]

    @cached_property
    def phase_steps(self) -> dict[str, list[tuple[int, dt.date | None, _Duration | None]]]:
        """Capacity, fixed ready date and build-time distribution of each plant's phases."""
        out: dict[str, list[tuple[int, dt.date | None, _Duration | None]]] = {
            p: [] for p in self.plant_ids
        }
        value = self._raw.values
        for plant, cap, ready, dist in zip(
            value("phases", "plant"),
            value("phases", "capacity"),
            value("phases", "ready"),
            value("phases", "months_dist"),
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
        # NOTE: memoised per World: the rules engine and the planner ask for the same
        # plant and start once per route option and once per plant; the row returned is
        # the caller's own.
        row: FloatArray = self._capacities([(plant, start, since)])[0]
        return row

    def plant_capacities(
        self, keys: Sequence[tuple[str, dt.date | None]], since: dt.date | None = None
    ) -> FloatArray:
        """Capacity by year of many plants at once, each as :meth:`plant_capacity` gives it.

        Args:
            keys: (plant id, construction start or None) pairs.
            since: Count capacity only from this date (None: from each phase's ready date).

        Returns:
            Vehicles per year, one row per key (K, Y), before committed load.
        """
        return self._capacities([(p, s, since) for p, s in keys])

    def _capacities(self, keys: Sequence[tuple[str, dt.date | None, dt.date | None]]) -> FloatArray:
        """Capacity by year of (plant, start, since) keys (K, Y), as a new array."""
        # NOTE: one numpy pass over every phase of the keys not seen yet, instead of a
        # handful of small numpy calls per plant: the rules engine and the planner ask for
        # every plant of a company at once. Phase by phase in order, as a loop would add.
        cache = self._capacity_cache
        todo = [k for k in dict.fromkeys(keys) if k not in cache]
        n_y = len(self.years)
        if todo:
            rows: list[int] = []
            caps: list[int] = []
            ready: list[dt.date] = []
            for r, (plant, start, since) in enumerate(todo):
                for capacity, when in self._phase_dates(plant, start):
                    rows.append(r)
                    caps.append(capacity)
                    ready.append(max(when, since or when))
            out = np.zeros((len(todo), n_y))
            if rows:
                fractions = _year_fractions_many(ready, self.years)
                np.add.at(out, np.array(rows, np.intp), np.array(caps)[:, None] * fractions)
            for r, key in enumerate(todo):
                cache[key] = out[r]
            if todo == list(keys):
                return out.copy()
        if not keys:
            return np.zeros((0, n_y))
        return np.array([cache[k] for k in keys], np.float64)

    @cached_property
    def _capacity_cache(self) -> dict[tuple[str, dt.date | None, dt.date | None], FloatArray]:
        return {}

    def _phase_dates(self, plant: str, start: dt.date | None) -> list[tuple[int, dt.date]]:
        """Capacity and ready date of each phase of ``plant``."""
        key = (plant, start)
        hit = self._dates_cache.get(key)
        if hit is None:
            hit = self._dates_cache[key] = self._phase_dates_uncached(plant, start)
        return hit

    @cached_property
    def _dates_cache(self) -> dict[tuple[str, dt.date | None], list[tuple[int, dt.date]]]:
        return {}

    def _phase_dates_uncached(self, plant: str, start: dt.date | None) -> list[tuple[int, dt.date]]:
        phases = self.phase_steps[plant]
        if all(ready is not None for _, ready, _ in phases):
            return [(capacity, ready) for capacity, ready, _ in phases if ready is not None]
        cs = self.plant(plant)["construction_start"]
        base = start or (cs if isinstance(cs, dt.date) else self.as_of)
        return [
            (
                capacity,
                ready
                if ready is not None
                else add_months(base, float(dist.mode) if dist is not None else math.nan),
            )
            for capacity, ready, dist in phases
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


@paused_gc()
def compile_world(s: Scenario) -> World:
    """Compile a validated scenario into a :class:`World`.

    Args:
        s: A scenario that passed :func:`evfab.load` validation.

    Returns:
        The world, ready for the engines.
    """
    years = np.arange(s.as_of.year, s.horizon + 1, dtype=np.int64)
    y0 = int(years[0])
    committed = np.zeros((len(s.plants), len(years)), dtype=np.int64)
    for i, p in enumerate(s.plants):
        for year, load in p.committed.items():
            committed[i, year - y0] = load
    demand = np.zeros((len(s.programs), len(years)), dtype=np.int64)
    for i, g in enumerate(s.programs):
        for year, n in g.demand.items():
            demand[i, year - y0] = n
    periods = tuple(period_of(p) for p in s.policy)
    policy = resolve_policy(periods, DEFAULT_SCOPE)
    # A review time no period sets for some scope is the prior's (cited once for all).
    raw, prior_cites = world_tables(s, policy + _other_scopes(s, periods))
    cites: dict[tuple[str, str], tuple[str, ...]] = {
        ("scenario", "discount_rate"): tuple(s.discount_rate_sources)
    }
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
        committed=committed,
        demand=demand,
        _raw=raw,
        cites=cites,
        periods=periods,
    )


def _other_scopes(s: Scenario, periods: tuple[Period, ...]) -> list[PolicyState]:
    """The policy states of the scenario's scopes other than the default (none unless a
    period is limited to some scopes)."""
    if not any(p.scopes is not None for p in periods):
        return []
    scopes = scopes_in_use(s)
    return [
        st for scope in sorted(scopes - {DEFAULT_SCOPE}) for st in resolve_policy(periods, scope)
    ]


def plant_index(world: World) -> dict[str, int]:
    """Row number of each plant in the plant-by-year arrays."""
    return world.plant_row


__all__ = [
    "PlantStatus",
    "PolicyState",
    "World",
    "add_calendar_months",
    "add_months",
    "compile_world",
    "plant_index",
    "year_fractions",
]
