"""Synthetic industry scenarios for scale tests: newcomers, licensed makers with idle plants, offers.

The mix follows the reference case loosely. About a quarter of companies are unlicensed
newcomers, who get a little over half of the programs (:data:`NEWCOMER_PROGRAM_SHARE`):
the regime is about them. Each needs contract manufacturing, a partner's licence, a
purchase, a stake or its own plant and licence, and gets offers of these kinds. The
rest are licensed makers (some in groups or joint ventures). An active maker runs
every plant it has, loaded by its own models below the capacity ready each year, and
may keep a second plant idle; a dormant maker's plants are all idle and carry no load,
and it has no programs: it is there to be bought. A licensed maker left without a plant
(more makers than plants) gets no programs either.

Whenever the sizes allow it, every offer kind appears at least once: the first
newcomer, which always has the first program, gets one of each. Every number is drawn
from one seeded ``numpy.random.Generator``: same arguments, same file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

from evfab import __version__
from evfab._fmt import plural
from evfab._world import year_fractions

MAX_PROGRAMS = 20_000
"""Most programs :func:`generate` makes: ten times the largest benchmark size. At this
size generating takes about 2 s, writing the YAML (12 MB) about 17 s and the process
peaks near 600 MB; far more only eats memory and time."""
MAX_PLANTS = 10_000
"""Most existing plants :func:`generate` makes (ten times the largest benchmark size)."""
MIN_COMPANIES = 2
"""Fewest companies: one newcomer and one licensed automaker."""
MAX_COMPANIES = 10_000
"""Most companies :func:`generate` makes."""
MAX_YEARS = 50
"""Most planning years."""
MIN_START_YEAR = 1990
"""Earliest first planning year (a scenario's ``as_of`` is 1990 at the earliest)."""
MAX_HORIZON = 2100
"""Latest last planning year (``start_year + years - 1``), as a scenario's horizon allows."""
MAX_SEED = 2**63 - 1
"""Largest seed (a signed 64-bit integer, as command lines and JSON carry it)."""
DEFAULT_START_YEAR = 2025
"""First planning year when none is given."""

NEWCOMER_PROGRAM_SHARE = 0.55
"""Chance that a program (after the first, always a newcomer's) is a newcomer's; the rest
go to active licensed makers."""

_BADGES = ("host", "co_brand", "own")
_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's emitter when PyYAML was built with it: same text, several times faster."""


def _whole(name: str, value: object, low: int, high: int) -> int:
    """``value`` as an int, or a ValueError naming ``name`` and the range ``low``-``high``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{name} must be from {low:,} to {high:,}, got {int(value):,}")
    return int(value)


def check_arguments(
    programs: int,
    plants: int,
    companies: int | None,
    years: int,
    seed: int,
    start_year: int,
) -> int:
    """Check :func:`generate`'s arguments; return the number of companies to make.

    Args:
        programs: 1 to :data:`MAX_PROGRAMS`.
        plants: 1 to :data:`MAX_PLANTS`.
        companies: :data:`MIN_COMPANIES` to :data:`MAX_COMPANIES`, or None for one per four
            programs (at least 4, at most :data:`MAX_COMPANIES`).
        years: 1 to :data:`MAX_YEARS`.
        seed: 0 to :data:`MAX_SEED`.
        start_year: :data:`MIN_START_YEAR` or later, with ``start_year + years - 1`` at most
            :data:`MAX_HORIZON`.

    Returns:
        The number of companies.

    Raises:
        ValueError: An argument is not a whole number in its range; the message names it.
    """
    programs = _whole("programs", programs, 1, MAX_PROGRAMS)
    _whole("plants", plants, 1, MAX_PLANTS)
    years = _whole("years", years, 1, MAX_YEARS)
    _whole("seed", seed, 0, MAX_SEED)
    start_year = _whole("start_year", start_year, MIN_START_YEAR, MAX_HORIZON)
    if start_year + years - 1 > MAX_HORIZON:
        raise ValueError(
            f"start_year + years - 1 (the last planning year) must be at most {MAX_HORIZON}, "
            f"got {start_year + years - 1} (start_year {start_year}, years {years})"
        )
    if companies is None:
        return min(MAX_COMPANIES, max(4, programs // 4))
    return _whole("companies", companies, MIN_COMPANIES, MAX_COMPANIES)


@dataclass
class _Industry:
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


def _draw_companies(rng: np.random.Generator, ind: _Industry, n_groups: int) -> None:
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


def _draw_plants(rng: np.random.Generator, ind: _Industry, n_plants: int) -> None:
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
    ind: _Industry,
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


def _draw_programs(rng: np.random.Generator, ind: _Industry, n_programs: int) -> None:
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


def _draw_licences(rng: np.random.Generator, ind: _Industry) -> None:
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


def _draw_offers(rng: np.random.Generator, ind: _Industry) -> None:
    """Offers to each newcomer with programs; the first newcomer gets one of each kind."""
    with_programs = dict.fromkeys(g["company"] for g in ind.programs)
    applied = {lic["holder"] for lic in ind.licences}
    for n in ind.news:
        if n not in with_programs:
            continue
        lead = n == ind.news[0]
        reach = ind.reach.setdefault(n, list(ind.by_op.get(n, [])))
        reach.extend(_contract_offers(rng, ind, n, lead))
        own = list(ind.by_op.get(n, []))
        covered = list(own)
        built = None
        if lead or rng.random() < 0.3:
            built = _build_offer(rng, ind, n)
            reach.append(built)
        if n not in applied and (own or built) and (lead or rng.random() < 0.5):
            ind.offers.append(
                {
                    "id": f"apply-{n}",
                    "kind": "apply_licence",
                    "to": n,
                    "fixed_fee": 50_000_000,
                    "lead_months": 3,
                    "sources": ["synthetic"],
                }
            )
        if ind.dormant and (lead or rng.random() < 0.3):
            target = ind.dormant[int(rng.integers(len(ind.dormant)))]
            ind.offers.append(
                {
                    "id": f"buy-{n}-{target}",
                    "kind": "acquire_company",
                    "to": n,
                    "target": target,
                    "fixed_fee": int(rng.integers(3, 20)) * 100_000_000,
                    "lead_months": {"min": 2, "mode": 4, "max": 8},
                    "closing_months": 2,
                    "transfer_months": {"min": 1, "mode": 2, "max": 6},
                    "success_probability": 0.5,
                    "sources": ["synthetic"],
                }
            )
            reach.extend(ind.by_op.get(target, []))
        if ind.idle and (lead or rng.random() < 0.3):
            pid = ind.idle[int(rng.integers(len(ind.idle)))]
            ind.offers.append(
                {
                    "id": f"stake-{n}-{pid}",
                    "kind": "plant_stake",
                    "to": n,
                    "plant": pid,
                    "share": 0.5,
                    "fixed_fee": int(rng.integers(5, 30)) * 100_000_000,
                    "lead_months": {"min": 3, "mode": 6, "max": 12},
                    "closing_months": 3,
                    "success_probability": 0.3,
                    "sources": ["synthetic"],
                }
            )
            reach.append(pid)
            if lead:
                # Only the first newcomer's umbrella covers its stake and new plant: a
                # route needing two offers adds a binary to the plan, and the benchmarks'
                # plans must stay quick.
                covered.append(pid)
        if lead and built:
            covered.append(built)
        if covered and ind.active and (lead or rng.random() < 0.7):
            # A partner's licence over the newcomer's own plants (the first newcomer's also
            # over its new and staked ones), as BAIC's over Xiaomi's Yizhuang plant and a
            # Hyundai stake.
            partner = ind.active[int(rng.integers(len(ind.active)))]
            ind.offers.append(
                {
                    "id": f"umbrella-{n}",
                    "kind": "licence_umbrella",
                    "to": n,
                    "partner": partner,
                    "plants": covered,
                    "fee_per_unit": int(rng.integers(1, 6)) * 1000,
                    "lead_months": {"min": 3, "mode": 6, "max": 12},
                    "sources": ["synthetic"],
                }
            )


def _contract_offers(rng: np.random.Generator, ind: _Industry, n: str, lead: bool) -> list[str]:
    """Two to four contract-manufacturing offers to newcomer ``n``; their plants.

    The first newcomer's first offer carries a fee to waive a host or co-brand badge, so
    that even the smallest scenario's program has a route whatever badge it needs (for
    others a waiver is a coin toss: each adds binaries to the plan); some offers cap the
    cars a year or end before the horizon.
    """
    hosts = ind.active
    n_cm = min(len(hosts), int(rng.integers(2, 5)))
    # A lead time that lets a one-year horizon still see production.
    longest = max(6, 12 * ind.years - 3)
    mine: list[dict[str, Any]] = []
    for j, hi in enumerate(
        rng.choice(len(hosts), size=n_cm, replace=False).tolist() if n_cm else []
    ):
        h = hosts[int(hi)]
        terms = str(rng.choice(_BADGES, p=[0.3, 0.4, 0.3]))
        offer: dict[str, Any] = {
            "id": f"cm-{n}-{h}",
            "kind": "contract_manufacturing",
            "to": n,
            "host": h,
            "plant": ind.by_op[h][int(rng.integers(len(ind.by_op[h])))],
            "fee_per_unit": int(rng.integers(3, 13)) * 1000,
            "badge": terms,
            "lead_months": {"min": 6, "mode": min(int(rng.integers(8, 16)), longest), "max": 24},
            "success_probability": round(float(rng.uniform(0.4, 0.9)), 2),
        }
        if terms != "own" and ((lead and j == 0) or rng.random() < 0.5):
            offer["badge_waiver_fee"] = int(rng.integers(1, 10)) * 10_000_000
        extra = rng.random()
        if extra < 0.15:
            cap = int(rng.integers(5, 21)) * 10_000
            offer["capacity"] = {y: cap for y in range(ind.start_year, ind.horizon + 1)}
        elif extra < 0.25 and ind.years >= 4:
            # Runs a few years, as Nio's three-year renewals with JAC.
            offer["until"] = f"{ind.start_year + int(rng.integers(3, ind.years + 1))}-01"
        offer["sources"] = ["synthetic"]
        mine.append(offer)
    if len(mine) >= 2 and rng.random() < 0.3:
        mine[0]["excludes"] = [mine[1]["id"]]
    ind.offers.extend(mine)
    return [str(o["plant"]) for o in mine]


def _build_offer(rng: np.random.Generator, ind: _Industry, n: str) -> str:
    """A planned plant for newcomer ``n`` and the offer to build it; its id.

    Some build offers may add capacity modules, as the benchmarks' ``+modules`` sizes do
    for all of them.
    """
    pid = f"new-{n}"
    ind.plants.append(
        {
            "id": pid,
            "name": f"{n.title()} new plant",
            "operator": n,
            "status": "planned",
            "phases": [
                {"capacity": 100_000, "months": {"min": 15, "mode": 20, "max": 30}},
                {"capacity": 100_000, "months": {"min": 27, "mode": 32, "max": 48}},
            ],
            "sources": ["synthetic"],
        }
    )
    offer: dict[str, Any] = {
        "id": f"build-{n}",
        "kind": "build_plant",
        "to": n,
        "plant": pid,
        "fixed_fee": int(rng.integers(30, 80)) * 100_000_000,
        "lead_months": {"min": 1, "mode": 3, "max": 6},
    }
    if rng.random() < 0.3:
        offer.update(
            module_capacity=50_000,
            max_modules=int(rng.integers(1, 5)),
            module_fee=int(rng.integers(3, 7)) * 100_000_000,
        )
    offer["sources"] = ["synthetic"]
    ind.offers.append(offer)
    return pid


def _add_logistics(rng: np.random.Generator, ind: _Industry) -> None:
    """Per-car logistics from one or two of the plants a program can use, for one in five."""
    for c in ind.active:
        ind.reach.setdefault(c, list(ind.by_op.get(c, [])))
    for g in ind.programs:
        plants = ind.reach.get(g["company"], [])
        if plants and rng.random() < 0.2:
            picks = rng.choice(len(plants), size=min(2, len(plants)), replace=False).tolist()
            costs = {plants[int(i)]: int(rng.integers(1, 7)) * 500 for i in sorted(picks)}
            # Before ``sources``, as the schema lists the fields.
            src = g.pop("sources")
            g["logistics"] = costs
            g["sources"] = src


def _policy(start_year: int, years: int) -> list[dict[str, Any]]:
    """The regime: Order 22-like rules, and from mid-horizon a reform of licence reviews."""
    out: list[dict[str, Any]] = [
        {
            "since": f"{start_year - 6}-01-10",
            "name": "synthetic regime",
            "new_licences": True,
            "review_months": {"min": 12, "mode": 16, "max": 30},
            "approval_probability": 0.6,
            "min_capacity": 100_000,
            "contract_manufacturing": True,
            "badge_names_manufacturer": True,
            "dormant_exit_months": 24,
            "sources": ["synthetic"],
        }
    ]
    if years >= 3:
        out.append(
            {
                "since": f"{start_year + years // 2}-01-01",
                "name": "synthetic review reform",
                "review_months": {"min": 9, "mode": 12, "max": 24},
                "approval_probability": 0.7,
                "sources": ["synthetic-reform"],
            }
        )
    return out


def _sources(command: str, policy: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The assumptions the generated figures rest on; the first says how to redo the file."""
    out = [
        {
            "id": "synthetic",
            "status": "assumption",
            "note": f"random figures {command}",
        },
        {
            "id": "synthetic-budget",
            "status": "assumption",
            "note": "newcomers' capital budgets drawn from 2-19bn CNY, around Xiaomi's "
            "initial RMB 10bn for its EV business",
        },
        {
            "id": "synthetic-ownership",
            "status": "assumption",
            "note": "joint ventures held 50/50 by two automakers, as Beijing Hyundai; "
            "four automakers in ten belong to a group",
        },
    ]
    if len(policy) > 1:
        out.append(
            {
                "id": "synthetic-reform",
                "status": "assumption",
                "note": "a later policy period shortens licence reviews and raises the "
                "approval chance, to exercise rules that change over the horizon",
            }
        )
    return out


def generate(
    programs: int = 50,
    plants: int = 20,
    companies: int | None = None,
    years: int = 10,
    seed: int = 0,
    start_year: int = DEFAULT_START_YEAR,
) -> dict[str, Any]:
    """A valid synthetic scenario as plain data.

    Args:
        programs: Number of vehicle programs, 1 to :data:`MAX_PROGRAMS`.
        plants: Number of existing plants (licensed makers' and newcomers' own), 1 to
            :data:`MAX_PLANTS`; planned plants of build offers come on top.
        companies: Number of companies, :data:`MIN_COMPANIES` to :data:`MAX_COMPANIES`
            (default: one per four programs, at least 4).
        years: Planning years, 1 to :data:`MAX_YEARS`.
        seed: Seed of the random generator, 0 to :data:`MAX_SEED`.
        start_year: First planning year (as_of is 1 January of it), from
            :data:`MIN_START_YEAR`, with the last planning year at most :data:`MAX_HORIZON`.

    Returns:
        Scenario data ready for YAML or :func:`evfab.Scenario.model_validate`.

    Raises:
        ValueError: An argument is out of its range (see :func:`check_arguments`).
    """
    n_comp = check_arguments(programs, plants, companies, years, seed, start_year)
    rng = np.random.default_rng(seed)
    n_new = max(1, round(0.25 * n_comp))
    n_groups = round(0.05 * n_comp)
    n_jv = round(0.1 * n_comp)
    # At least one automaker: n_new is at most about a third of n_comp >= 2.
    n_auto = n_comp - n_new - n_groups - n_jv
    ind = _Industry(
        start_year=start_year,
        years=years,
        news=[f"new{i}" for i in range(n_new)],
        autos=[f"maker{i}" for i in range(n_auto)],
        jvs=[f"jv{i}" for i in range(n_jv)],
    )
    _draw_companies(rng, ind, n_groups)
    _draw_plants(rng, ind, plants)
    _draw_licences(rng, ind)
    _draw_programs(rng, ind, programs)
    _draw_offers(rng, ind)
    _add_logistics(rng, ind)
    args = f"--programs {programs} --plants {plants} --companies {n_comp} --years {years} --seed {seed}"
    if start_year == DEFAULT_START_YEAR:
        command = f"from `evfab generate {args}` (evfab {__version__})"
    else:
        command = (
            f"from evfab.generate.generate(programs={programs}, plants={plants}, "
            f"companies={n_comp}, years={years}, seed={seed}, start_year={start_year}) "
            f"(evfab {__version__})"
        )
    policy = _policy(start_year, years)
    planned = len(ind.plants) - plants
    title = (
        f"Synthetic industry: {plural(programs, 'program')}, {plural(plants, 'plant')}"
        + (f" (+{planned} planned)" if planned else "")
        + f", {plural(n_comp, 'company', 'companies')}, {plural(years, 'year')}, seed {seed}"
    )
    return {
        "name": f"synthetic-{seed}",
        "title": title,
        "as_of": f"{start_year}-01-01",
        "horizon": ind.horizon,
        "currency": "CNY",
        "discount_rate": 0.08,
        "sources": _sources(command, policy),
        "policy": policy,
        "companies": ind.companies,
        "licences": ind.licences,
        "plants": ind.plants,
        "programs": ind.programs,
        "offers": ind.offers,
    }


def generate_yaml(
    programs: int = 50,
    plants: int = 20,
    companies: int | None = None,
    years: int = 10,
    seed: int = 0,
    start_year: int = DEFAULT_START_YEAR,
) -> str:
    """:func:`generate` as YAML text (same arguments, same errors)."""
    data = generate(programs, plants, companies, years, seed, start_year)
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False, width=120)
