"""The generator's industry: companies, plants, licences and programs as they are drawn
(see :mod:`evfab.generate`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evfab._world import year_fractions

NEWCOMER_PROGRAM_SHARE = 0.55
"""Chance that a program (after the first, always a newcomer's) is a newcomer's; the rest
go to active licensed makers."""


@dataclass
class Industry:
    """The scenario's entries as they are drawn, and the lookups the later draws need."""

    start_year: int
    years: int
    news: list[str]
    autos: list[str]
    jvs: list[str]
    companies: list[dict[str, Any]] = field(default_factory=list)
    licences: list[dict[str, Any]] = field(default_factory=list)
    plants: list[dict[str, Any]] = field(default_factory=list)
    programs: list[dict[str, Any]] = field(default_factory=list)
    offers: list[dict[str, Any]] = field(default_factory=list)
    dormant: list[str] = field(default_factory=list)
    """Automakers whose licence is dormant: idle plants, no load, no programs."""
    sleeping: set[str] = field(default_factory=set)
    """The same as a set, for lookups."""
    active: list[str] = field(default_factory=list)
    """Licensed makers with a plant that are not dormant: hosts, partners, program owners."""
    by_op: dict[str, list[str]] = field(default_factory=dict)
    """Operator -> ids of its existing plants."""
    idle: list[str] = field(default_factory=list)
    """Idle plants of licensed makers (stake targets)."""
    free: dict[str, int] = field(default_factory=dict)
    """Active maker -> cars a year its plants have free in every year (for ``min_fill``)."""
    reach: dict[str, list[str]] = field(default_factory=dict)
    """Company -> plants its routes may use (for ``logistics``)."""

    @property
    def horizon(self) -> int:
        return self.start_year + self.years - 1

    def month(self, rng: np.random.Generator, year: int) -> str:
        """A ``YYYY-MM`` date in ``year``, month drawn uniformly."""
        return f"{year}-{int(rng.integers(1, 13)):02d}"


def draw_companies(rng: np.random.Generator, ind: Industry, n_groups: int) -> None:
    """Groups, automakers (some in groups), joint ventures and newcomers."""
    groups = [f"group{i}" for i in range(n_groups)]
    for g in groups:
        ind.companies.append(
            {"id": g, "name": g.title(), "kind": "group", "sources": ["synthetic"]}
        )
    for a in ind.autos:
        entry: dict[str, Any] = {"id": a, "name": a.title(), "kind": "automaker"}
        entry["sources"] = ["synthetic"]
        if groups and rng.random() < 0.4:
            entry["parent"] = groups[int(rng.integers(len(groups)))]
            entry["sources"] = ["synthetic", "synthetic-ownership"]
        ind.companies.append(entry)
    for j in ind.jvs:
        a, b = rng.choice(len(ind.autos), size=2, replace=len(ind.autos) < 2)
        owners = [{"company": ind.autos[int(a)], "share": 0.5}]
        # With a single automaker the JV pairs it with a newcomer (as Beijing Hyundai pairs
        # a Chinese group with a foreign maker): a JV needs two owners.
        other = ind.autos[int(b)] if int(b) != int(a) else ind.news[0]
        owners.append({"company": other, "share": 0.5})
        ind.companies.append(
            {
                "id": j,
                "name": j.upper(),
                "kind": "joint_venture",
                "owners": owners,
                "sources": ["synthetic", "synthetic-ownership"],
            }
        )
    for n in ind.news:
        ind.companies.append(
            {
                "id": n,
                "name": n.title(),
                "kind": "newcomer",
                "capital_budget": float(rng.integers(2, 20)) * 1e9,
                "sources": ["synthetic", "synthetic-budget"],
            }
        )


def draw_plants(rng: np.random.Generator, ind: Industry, n_plants: int) -> None:
    """Existing plants: every licensed maker's first (as far as plants go), then more.

    About one plant in six is a newcomer's own, under construction; at least one when
    there are two plants or more, so that a licence umbrella has a plant to cover.
    """
    licensed = ind.autos + ind.jvs
    n_np = int(rng.binomial(n_plants, 1 / 6))
    n_np = min(max(n_np, 1 if n_plants >= 2 else 0), n_plants - 1)
    n_lp = n_plants - n_np
    # One plant for each licensed maker first, in random order, so that with fewer plants
    # than makers the makers left without a plant are random ones.
    order = [licensed[int(i)] for i in rng.permutation(len(licensed))]
    with_plant = order[:n_lp]
    ops = with_plant + [
        with_plant[int(i)] for i in rng.integers(len(with_plant), size=n_lp - len(with_plant))
    ]
    # Dormant: automakers (not JVs) with a plant, about one in ten; at least one when
    # another maker with a plant stays active, so acquisitions have a target.
    autos = set(ind.autos)
    can_sleep = [c for c in with_plant if c in autos]
    dormant = [c for c in can_sleep if rng.random() < 0.1]
    if not dormant and len(can_sleep) >= 1 and len(with_plant) >= 2:
        dormant = [can_sleep[int(rng.integers(len(can_sleep)))]]
    if len(dormant) == len(with_plant):
        dormant = dormant[1:]
    ind.dormant = dormant
    ind.sleeping = set(dormant)
    ind.active = [c for c in with_plant if c not in ind.sleeping]
    new_ops = [ind.news[0]] if n_np else []
    new_ops += [ind.news[int(i)] for i in rng.integers(len(ind.news), size=max(0, n_np - 1))]
    kinds = ["l"] * n_lp + ["n"] * n_np
    # Newcomers' plants spread among the ids rather than coming last.
    seq = [kinds[int(i)] for i in rng.permutation(n_plants)]
    lic_ops, new_it = iter(ops), iter(new_ops)
    years = np.arange(ind.start_year, ind.horizon + 1)
    seen: set[str] = set()
    for i, kind in enumerate(seq):
        pid = f"p{i}"
        cap1 = int(rng.integers(5, 31)) * 10_000
        row: dict[str, Any]
        if kind == "n":
            op = next(new_it)
            row = {
                "operator": op,
                "status": "under_construction",
                "construction_start": f"{ind.start_year - 1}-06",
                "phases": [
                    {
                        "capacity": cap1,
                        "ready": ind.month(rng, ind.start_year + int(rng.integers(1, 3))),
                    }
                ],
            }
        else:
            op = next(lic_ops)
            row = _licensed_plant(rng, ind, op, cap1, first=op not in seen, years=years)
            seen.add(op)
            if row["status"] == "idle":
                ind.idle.append(pid)
        ind.by_op.setdefault(op, []).append(pid)
        ind.plants.append(
            {
                "id": pid,
                "name": f"Plant {i}",
                "operator": row.pop("operator"),
                "status": row.pop("status"),
                **row,
                "unit_cost": int(rng.integers(0, 5)) * 1000,
                "sources": ["synthetic"],
            }
        )


def _licensed_plant(
    rng: np.random.Generator,
    ind: Industry,
    op: str,
    cap1: int,
    first: bool,
    years: np.ndarray[Any, np.dtype[np.int64]],
) -> dict[str, Any]:
    """A licensed maker's existing plant, opened before the first planning year.

    An active maker's first plant operates; a later one is idle one time in seven. The
    committed load of an operating plant is a share of the capacity its phases give each
    year, prorated from their ready dates as the rules engine counts it, so that it never
    exceeds what is there (a second phase may come on line after ``as_of``).
    """
    opened = int(rng.integers(ind.start_year - 20, ind.start_year))
    phases: list[dict[str, Any]] = [{"capacity": cap1, "ready": f"{opened}-01"}]
    if rng.random() < 0.3:
        phases.append(
            {
                "capacity": int(rng.integers(5, 21)) * 10_000,
                "ready": f"{opened + int(rng.integers(0, ind.start_year - opened + 2))}-07",
            }
        )
    if op in ind.sleeping:
        status = "idle"
    elif first:
        status = "operating"
    else:
        status = "idle" if rng.random() < 1 / 7 else "operating"
    row: dict[str, Any] = {"operator": op, "status": status, "opened": f"{opened}-01"}
    if status == "operating":
        cap = np.zeros(len(years))
        for ph in phases:
            y, m = (int(x) for x in str(ph["ready"]).split("-"))
            cap += ph["capacity"] * year_fractions(dt.date(y, m, 1), years)
        share = rng.uniform(0.2, 0.7)
        decline = rng.uniform(0.9, 1.0)
        # int() rounds down: the load stays below share x capacity, below the capacity.
        load = [int(share * decline**k * c) for k, c in enumerate(cap.tolist())]
        row["committed"] = {int(y): x for y, x in zip(years.tolist(), load, strict=True)}
        spare = int(min(c - x for c, x in zip(cap.tolist(), load, strict=True)))
        ind.free[op] = ind.free.get(op, 0) + spare
    row["phases"] = phases
    return row


def draw_programs(rng: np.random.Generator, ind: Industry, n_programs: int) -> None:
    """Programs: the first a newcomer's, then newcomers' or active makers' by chance.

    Demand ramps up from the target SOP (35 % of the peak in the first year, prorated by
    the SOP month). A few programs carry the schema's rarer terms: a ramp-up time, one
    plant a year (``single_source``), or for a maker's program a minimum production
    (``min_fill``) that its own plants' free capacity covers, so the plan stays feasible.
    """
    free = dict(ind.free)
    for k in range(n_programs):
        if k == 0 or not ind.active or rng.random() < NEWCOMER_PROGRAM_SHARE:
            company = ind.news[0] if k == 0 else ind.news[int(rng.integers(len(ind.news)))]
        else:
            company = ind.active[int(rng.integers(len(ind.active)))]
        sop_year = ind.start_year + int(rng.integers(0, max(1, min(4, ind.years))))
        sop_month = int(rng.integers(1, 13))
        peak = int(rng.integers(2, 21)) * 5_000
        demand = {}
        for y in range(sop_year, ind.horizon + 1):
            ramp = min(1.0, 0.35 * (y - sop_year + 1))
            # The first year counts only the months from the SOP on.
            months = 13 - sop_month if y == sop_year else 12
            demand[y] = int(peak * ramp * months / 12)
        row: dict[str, Any] = {
            "id": f"g{k}",
            "company": company,
            "name": f"Program {k}",
            "target_sop": f"{sop_year}-{sop_month:02d}",
            "demand": demand,
            "badge": str(rng.choice(["own", "co_brand", "any"], p=[0.6, 0.3, 0.1])),
            "lost_margin": int(rng.integers(15, 40)) * 1000,
        }
        terms = rng.random()
        need = int(0.2 * peak)
        if company in free and terms < 0.1 and need <= free[company] // 2:
            # Half the free capacity at most: several programs may share the plants.
            free[company] -= need
            row["min_fill"] = 0.2
        elif company in free and terms < 0.15:
            # Only makers' programs: their few own plants keep the one-plant choice (a
            # binary per route and year) small; a newcomer's dozen routes would not.
            row["single_source"] = True
        elif terms < 0.4:
            row["ramp_months"] = {"min": 3, "mode": int(rng.integers(6, 13)), "max": 18}
        row["sources"] = ["synthetic"]
        ind.programs.append(row)


def draw_licences(rng: np.random.Generator, ind: Industry) -> None:
    """Held licences of licensed makers (dormant ones dated), and newcomers' applications.

    The first newcomer applies for nothing yet: it gets an ``apply_licence`` offer instead.
    """
    for c in ind.autos + ind.jvs:
        lic: dict[str, Any] = {"id": f"{c}-bev", "holder": c, "status": "held"}
        if c in ind.sleeping:
            lic["dormant_since"] = ind.month(rng, ind.start_year - 1)
        lic["sources"] = ["synthetic"]
        ind.licences.append(lic)
    for n in ind.news[1:]:
        if rng.random() < 0.4:
            ind.licences.append(
                {
                    "id": f"{n}-bev",
                    "holder": n,
                    "status": "applied",
                    "applied_on": ind.month(rng, ind.start_year - 1),
                    "sources": ["synthetic"],
                }
            )
