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

from evfab._policy import PolicyState, _prior_sources, prior_duration, resolve_policy
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
        for lid, row in zip(self.licences.index, self.licences.to_dict("records"), strict=True):
            out.setdefault(str(row["holder"]), []).append(
                (str(lid), {str(k): v for k, v in row.items()})
            )
        return out

    @cached_property
    def offers_by_taker(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """(id, row) of each offer, grouped by the company it is made to."""
        out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for oid, row in zip(self.offers.index, self.offers.to_dict("records"), strict=True):
            out.setdefault(str(row["to"]), []).append(
                (str(oid), {str(k): v for k, v in row.items()})
            )
        return out

    @cached_property
    def plants_by_operator(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """(id, row) of each plant, grouped by operator."""
        out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for pid, row in zip(self.plants.index, self.plants.to_dict("records"), strict=True):
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
            for g, row in zip(self.programs.index, self.programs.to_dict("records"), strict=True)
        }

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
        cs = self.plants.at[plant, "construction_start"]
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


def compile_world(s: Scenario) -> World:
    """Compile a validated scenario into a :class:`World`.

    Args:
        s: A scenario that passed :func:`evfab.load` validation.

    Returns:
        The world, ready for the engines.
    """
    years = np.arange(s.as_of.year, s.horizon + 1, dtype=np.int64)
    y0 = int(years[0])
    sources = pd.DataFrame(
        [
            {
                "id": x.id,
                "status": x.status.value,
                "rank": STATUS_RANK[x.status],
                "publisher": x.publisher or "",
                "url": x.url or "",
                "date": x.date,
                "note": x.note,
            }
            for x in s.sources
        ],
        columns=["id", "status", "rank", "publisher", "url", "date", "note"],
    ).set_index("id")
    companies = pd.DataFrame(
        [
            {
                "id": c.id,
                "name": c.name,
                "kind": c.kind.value,
                "parent": c.parent,
                "capital_budget": c.capital_budget,
            }
            for c in s.companies
        ],
        columns=["id", "name", "kind", "parent", "capital_budget"],
    ).set_index("id")
    companies["parent"] = (
        companies["parent"].astype(object).where(companies["parent"].notna(), None)
    )
    licences = pd.DataFrame(
        [
            {
                "id": x.id,
                "holder": x.holder,
                "scope": x.scope,
                "status": x.status.value,
                "applied_on": x.applied_on,
                "review": x.review_months,
                "approval_probability": x.approval_probability,
                "dormant_since": x.dormant_since,
            }
            for x in s.licences
        ],
        columns=[
            "id",
            "holder",
            "scope",
            "status",
            "applied_on",
            "review",
            "approval_probability",
            "dormant_since",
        ],
    ).set_index("id")
    plants = pd.DataFrame(
        [
            {
                "id": p.id,
                "name": p.name,
                "operator": p.operator,
                "owners": {o.company: o.share for o in p.owners} or {p.operator: 1.0},
                "status": p.status.value,
                "location": p.location,
                "opened": p.opened,
                "construction_start": p.construction_start,
                "unit_cost": p.unit_cost,
                "nameplate": sum(ph.capacity for ph in p.phases),
            }
            for p in s.plants
        ],
        columns=[
            "id",
            "name",
            "operator",
            "owners",
            "status",
            "location",
            "opened",
            "construction_start",
            "unit_cost",
            "nameplate",
        ],
    ).set_index("id")
    phases = pd.DataFrame(
        [
            {
                "plant": p.id,
                "capacity": ph.capacity,
                "ready": ph.ready,
                "months": ph.months.mode if ph.months else np.nan,
                "months_dist": ph.months,
            }
            for p in s.plants
            for ph in p.phases
        ],
        columns=["plant", "capacity", "ready", "months", "months_dist"],
    )
    committed = np.zeros((len(s.plants), len(years)), dtype=np.int64)
    for i, p in enumerate(s.plants):
        for year, load in p.committed.items():
            committed[i, year - y0] = load
    programs = pd.DataFrame(
        [
            {
                "id": g.id,
                "company": g.company,
                "name": g.name,
                "scope": g.scope,
                "target_sop": g.target_sop,
                "badge": g.badge.value,
                "single_source": g.single_source,
                "lost_margin": g.lost_margin,
                "min_fill": g.min_fill,
                "logistics": dict(g.logistics),
                "ramp": g.ramp_months,
            }
            for g in s.programs
        ],
        columns=[
            "id",
            "company",
            "name",
            "scope",
            "target_sop",
            "badge",
            "single_source",
            "lost_margin",
            "min_fill",
            "logistics",
            "ramp",
        ],
    ).set_index("id")
    demand = np.zeros((len(s.programs), len(years)), dtype=np.int64)
    for i, g in enumerate(s.programs):
        for year, n in g.demand.items():
            demand[i, year - y0] = n
    common = (
        "id",
        "kind",
        "to",
        "lead_months",
        "success_probability",
        "fixed_fee",
        "excludes",
        "note",
        "sources",
    )
    used_priors: set[str] = set()
    prior_cites: dict[str, tuple[str, ...]] = {}
    offer_rows = []
    for o in s.offers:
        row: dict[str, Any] = {k: getattr(o, k) for k in common}
        detail = {k: getattr(o, k) for k in type(o).model_fields if k not in common}
        extra: list[str] = []
        if o.lead_months is None:
            kind = "contract_manufacturing" if o.kind == "contract_manufacturing" else "negotiation"
            row["lead_months"] = prior_duration(kind)
            extra.append(PRIOR_SOURCE_ID.format(kind=kind))
        if detail.get("transfer_months", 0) is None:
            detail["transfer_months"] = prior_duration("acquisition_licence")
            extra.append(PRIOR_SOURCE_ID.format(kind="acquisition_licence"))
        used_priors.update(x.removeprefix("evfab-prior-") for x in extra)
        prior_cites[o.id] = tuple(extra)
        row["probability_given"] = "success_probability" in o.model_fields_set
        offer_rows.append({**row, "detail": detail})
    offers = pd.DataFrame(offer_rows, columns=[*common, "probability_given", "detail"]).set_index(
        "id"
    )
    policy = resolve_policy(list(s.policy))
    if any(p.review_is_prior for p in policy):
        used_priors.add("licence_application")
    if used_priors:
        sources = pd.concat([sources, _prior_sources(sorted(used_priors))])
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
