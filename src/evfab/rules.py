"""The licensing regime's rules: which routes a program has, and whether each is legal.

This is the one place where the regime's logic lives. The planner, the risk engine
and the industry simulation all call :func:`derive_routes`, so a rule changed here
changes all of them together.

A route is a licence source x a plant source:

- licence sources: ``own`` (held), ``applied`` (pending application), ``apply``
  (an application offer), ``acquired`` (buying a licensed company), ``partner``
  (a host's or partner's licence under contract manufacturing or an umbrella deal);
- plant sources: ``own`` (existing or under construction), ``build`` (a build offer),
  ``stake`` (a stake offer), ``acquired`` (came with a bought company), ``partner``
  (the contract manufacturer's plant).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from evfab._scenario import STATUS_RANK, Status
from evfab._world import FloatArray, PolicyState, World, add_months, plant_index, year_fractions


@dataclass(frozen=True)
class Route:
    """One way to build a program's cars.

    Attributes:
        program: Program id.
        company: Company selling the car.
        id: Route id, ``<licence source>:<ref>@<plant source>:<ref>``.
        licence_source: ``own``, ``applied``, ``apply``, ``acquired`` or ``partner``.
        licence: Id of the licence used (or of the offer that yields it).
        plant_source: ``own``, ``build``, ``stake``, ``acquired`` or ``partner``.
        plant: Plant id.
        offers: Ids of the offers the route needs.
        legal: Whether the regime in force allows it.
        usable: Legal, fits the program's badge need and can start by the horizon.
        why: Reasons it is illegal or unusable (empty when usable).
        manufacturer: Company id of the manufacturer of record.
        manufacturer_name: Its display name.
        badge: Brand on the car, e.g. ``Xiaomi`` or ``Xiaomi x BAIC``.
        badge_kind: ``own``, ``co_brand`` or ``host``.
        names_manufacturer: Manufacturer the car must name under a badge rule ("" if none).
        badge_waiver_fee: Fee paid to carry the own badge, currency (0 if none).
        earliest_sop: Earliest nominal start of production.
        sop_driver: What sets the earliest SOP.
        target_sop: The program's target.
        meets_target: ``earliest_sop <= target_sop``.
        capacity: Cars the route can supply by year (prorated in the first year).
        fixed_cost: One-off costs of the offers taken, currency.
        unit_cost: Cost per car (plant cost plus per-unit fees), currency/vehicle.
        success_probability: Product of deal success and approval chances.
        sources: Every source the route rests on.
        weakest_status: The weakest status among them.
        warnings: Flags for claims that were denied or are unclear.
    """

    program: str
    company: str
    id: str
    licence_source: str
    licence: str
    plant_source: str
    plant: str
    offers: tuple[str, ...]
    legal: bool
    usable: bool
    why: tuple[str, ...]
    manufacturer: str
    manufacturer_name: str
    badge: str
    badge_kind: str
    names_manufacturer: str
    badge_waiver_fee: float
    earliest_sop: dt.date
    sop_driver: str
    target_sop: dt.date
    meets_target: bool
    capacity: dict[int, int]
    fixed_cost: float
    unit_cost: float
    success_probability: float
    sources: tuple[str, ...]
    weakest_status: str
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _LicenceOption:
    source: str
    ref: str
    holder: str
    licence_id: str
    ready: dt.date
    driver: str
    offers: tuple[str, ...]
    fixed_fee: float
    unit_fee: float
    probability: float
    illegal: tuple[str, ...]
    cites: tuple[str, ...]
    new_licence: bool = False
    offer: dict[str, Any] | None = None


@dataclass(frozen=True)
class _PlantOption:
    source: str
    ref: str
    plant: str
    ready: dt.date
    driver: str
    capacity: FloatArray
    offers: tuple[str, ...]
    fixed_fee: float
    probability: float
    cites: tuple[str, ...]
    nameplate: float


def _d(months: Any) -> float:
    return float(months.mode)


def _fmt_date(d: dt.date) -> str:
    return d.strftime("%Y-%m-%d")


def _rule_since(policy: PolicyState, rule: str) -> str:
    since, name = policy.set_on.get(rule, (policy.since, policy.name))
    label = f"{name}, " if name else ""
    return f"{label}since {_fmt_date(since)}"


def _num(x: object) -> float:
    """A table cell as a float (pandas cells are loosely typed)."""
    return float(cast(float, x))


def _article(status: str) -> str:
    word = status.replace("_", " ")
    return ("an " if word[0] in "aeiou" else "a ") + word


def _offer_p(world: World, oid: str) -> float:
    return _num(world.offers.at[oid, "success_probability"])


def _licence_options(world: World, program: str, policy: PolicyState) -> list[_LicenceOption]:
    prog = world.programs.loc[program]
    company, scope = str(prog["company"]), str(prog["scope"])
    mine = world.affiliates(company)
    out: list[_LicenceOption] = []
    lic = world.licences
    illegal: tuple[str, ...]
    new_licence_ban: tuple[str, ...] = ()
    if not policy.new_licences:
        new_licence_ban = (
            f"new licences are not being granted ({_rule_since(policy, 'new_licences')}); apply is not a route",
        )
    for lid, row in lic[(lic["holder"].isin(mine)) & (lic["scope"] == scope)].iterrows():
        lid = str(lid)
        if row["status"] == "held":
            illegal = _dormant(world, lid, policy)
            out.append(
                _LicenceOption(
                    "own",
                    lid,
                    str(row["holder"]),
                    lid,
                    world.as_of,
                    "licence held",
                    (),
                    0.0,
                    0.0,
                    1.0,
                    illegal,
                    world.cites[("licence", lid)],
                )
            )
        else:
            review = row["review"] or policy.review
            ready = max(world.as_of, add_months(row["applied_on"], _d(review)))
            p = row["approval_probability"]
            p = policy.approval_probability if p is None or p != p else float(p)
            out.append(
                _LicenceOption(
                    "applied",
                    lid,
                    str(row["holder"]),
                    lid,
                    ready,
                    f"licence review ({_d(review):g} months from {_fmt_date(row['applied_on'])})",
                    (),
                    0.0,
                    0.0,
                    p,
                    new_licence_ban,
                    world.cites[("licence", lid)],
                    new_licence=True,
                )
            )
    offers = world.offers[world.offers["to"].isin(mine)]
    for oid, o in offers.iterrows():
        oid = str(oid)
        det: dict[str, Any] = o["detail"]
        lead = _d(o["lead_months"])
        start = add_months(world.as_of, lead)
        cites = world.cites[("offer", oid)]
        if o["kind"] == "apply_licence" and det["scope"] == scope:
            review = det["review_months"] or policy.review
            ready = add_months(start, _d(review))
            out.append(
                _LicenceOption(
                    "apply",
                    oid,
                    company,
                    oid,
                    ready,
                    f"preparation {lead:g} + review {_d(review):g} months",
                    (oid,),
                    float(o["fixed_fee"]),
                    0.0,
                    _offer_p(world, oid) * policy.approval_probability,
                    new_licence_ban,
                    cites,
                    new_licence=True,
                )
            )
        elif o["kind"] == "acquire_company":
            target = str(det["target"])
            held = lic[
                (lic["holder"].isin(world.affiliates(target)))
                & (lic["scope"] == scope)
                & (lic["status"] == "held")
            ]
            for lid in held.index:
                lid = str(lid)
                months = lead + _d(det["closing_months"]) + _d(det["transfer_months"])
                illegal = _dormant(world, lid, policy, at=add_months(world.as_of, months))
                out.append(
                    _LicenceOption(
                        "acquired",
                        oid,
                        target,
                        lid,
                        add_months(world.as_of, months),
                        f"deal {lead:g} + closing {_d(det['closing_months']):g} + licence transfer {_d(det['transfer_months']):g} months",
                        (oid,),
                        float(o["fixed_fee"]),
                        0.0,
                        _offer_p(world, oid),
                        illegal,
                        cites + world.cites[("licence", lid)] + world.cites[("company", target)],
                        offer={"target": target},
                    )
                )
        elif o["kind"] in ("contract_manufacturing", "licence_umbrella"):
            party = str(det["host"] if o["kind"] == "contract_manufacturing" else det["partner"])
            lid = det["licence"]
            if lid is None:
                held = lic[
                    (lic["holder"] == party) & (lic["scope"] == scope) & (lic["status"] == "held")
                ]
                lid = str(held.index[0]) if len(held) else ""
            illegal = ()
            if not lid or lic.at[lid, "scope"] != scope:
                illegal = (f"{world.company_name(party)} holds no {scope} licence",)
            elif not policy.contract_manufacturing:
                illegal = (
                    f"contract manufacturing is not allowed ({_rule_since(policy, 'contract_manufacturing')}); "
                    f"{world.company_name(party)}'s licence is not a route",
                )
            if lid and not illegal:
                illegal = _dormant(world, lid, policy)
            extra = world.cites[("licence", lid)] if lid else ()
            out.append(
                _LicenceOption(
                    "partner",
                    oid,
                    party,
                    lid or "-",
                    start,
                    f"negotiation and tooling {lead:g} months",
                    (oid,),
                    float(o["fixed_fee"]),
                    float(det["fee_per_unit"]),
                    _offer_p(world, oid),
                    illegal,
                    cites + extra + world.cites[("company", party)],
                    offer=det | {"kind": o["kind"]},
                )
            )
    return out


def _dormant(
    world: World, lid: str, policy: PolicyState, at: dt.date | None = None
) -> tuple[str, ...]:
    since = world.licences.at[lid, "dormant_since"]
    if not isinstance(since, dt.date) or not policy.dormant_exit_months:
        return ()
    limit = add_months(since, policy.dormant_exit_months)
    if limit <= (at or world.as_of):
        return (
            f"licence {lid} has been dormant since {_fmt_date(since)}, past the "
            f"{policy.dormant_exit_months}-month exit rule ({_rule_since(policy, 'dormant_exit_months')})",
        )
    return ()


def _free(world: World, plant: str, start: dt.date | None = None) -> FloatArray:
    idx = plant_index(world)[plant]
    cap = world.plant_capacity(plant, start)
    free: FloatArray = np.clip(cap - world.committed[idx], 0.0, None)
    return free


def _plant_options(world: World, program: str) -> list[_PlantOption]:
    company = str(world.programs.at[program, "company"])
    mine = world.affiliates(company)
    out: list[_PlantOption] = []
    pl = world.plants
    for pid, row in pl[pl["operator"].isin(mine) & (pl["status"] != "planned")].iterrows():
        pid = str(pid)
        ready = max(world.as_of, world.first_ready(pid))
        out.append(
            _PlantOption(
                "own",
                pid,
                pid,
                ready,
                f"{row['name']} ready",
                _free(world, pid),
                (),
                0.0,
                1.0,
                world.cites[("plant", pid)],
                float(row["nameplate"]),
            )
        )
    offers = world.offers[world.offers["to"].isin(mine)]
    for oid, o in offers.iterrows():
        oid = str(oid)
        det = o["detail"]
        lead = _d(o["lead_months"])
        start = add_months(world.as_of, lead)
        cites = world.cites[("offer", oid)]
        if o["kind"] == "build_plant":
            pid = str(det["plant"])
            out.append(
                _PlantOption(
                    "build",
                    pid,
                    pid,
                    world.first_ready(pid, start),
                    f"decision {lead:g} months + first phase build",
                    _free(world, pid, start),
                    (oid,),
                    float(o["fixed_fee"]),
                    _offer_p(world, oid),
                    cites + world.cites[("plant", pid)],
                    _num(pl.at[pid, "nameplate"]),
                )
            )
        elif o["kind"] == "plant_stake":
            pid = str(det["plant"])
            share = det["capacity_share"] if det["capacity_share"] is not None else det["share"]
            closed = add_months(start, _d(det["closing_months"]))
            ready = max(closed, world.first_ready(pid))
            cap = _free(world, pid) * float(share) * year_fractions(closed, world.years)
            out.append(
                _PlantOption(
                    "stake",
                    pid,
                    pid,
                    ready,
                    f"stake deal {lead:g} + closing {_d(det['closing_months']):g} months",
                    cap,
                    (oid,),
                    float(o["fixed_fee"]),
                    _offer_p(world, oid),
                    cites + world.cites[("plant", pid)],
                    _num(pl.at[pid, "nameplate"]),
                )
            )
        elif o["kind"] == "acquire_company":
            target = str(det["target"])
            months = lead + _d(det["closing_months"])
            closed = add_months(world.as_of, months)
            for pid in pl[
                pl["operator"].isin(world.affiliates(target)) & (pl["status"] != "planned")
            ].index:
                pid = str(pid)
                ready = max(closed, world.first_ready(pid))
                cap = _free(world, pid) * year_fractions(closed, world.years)
                out.append(
                    _PlantOption(
                        "acquired",
                        pid,
                        pid,
                        ready,
                        f"acquisition closing {months:g} months",
                        cap,
                        (oid,),
                        0.0,
                        1.0,
                        world.cites[("plant", pid)],
                        _num(pl.at[pid, "nameplate"]),
                    )
                )
    return out


def _pairs(
    lic: _LicenceOption, plants: list[_PlantOption], world: World
) -> list[tuple[_PlantOption, tuple[str, ...]]]:
    """Which plant options go with a licence option, and why a pairing is illegal."""
    if lic.source == "partner" and lic.offer is not None:
        if lic.offer["kind"] == "contract_manufacturing":
            pid = str(lic.offer["plant"])
            cap = np.clip(
                world.plant_capacity(pid) - world.committed[plant_index(world)[pid]], 0.0, None
            )
            limit = lic.offer.get("capacity") or {}
            for year, n in limit.items():
                if world.years[0] <= year <= world.years[-1]:
                    cap[year - world.years[0]] = min(cap[year - world.years[0]], n)
            ready = max(lic.ready, world.first_ready(pid))
            part = _PlantOption(
                "partner",
                pid,
                pid,
                ready,
                f"{world.plants.at[pid, 'name']!s} ready",
                cap,
                (),
                0.0,
                1.0,
                world.cites[("plant", pid)],
                _num(world.plants.at[pid, "nameplate"]),
            )
            return [(part, ())]
        covered = set(lic.offer["plants"])
        found: list[tuple[_PlantOption, tuple[str, ...]]] = [
            (p, ()) for p in plants if p.plant in covered and p.source in ("own", "build", "stake")
        ]
        return found
    out: list[tuple[_PlantOption, tuple[str, ...]]] = []
    for p in plants:
        if p.source == "acquired" and not (lic.source == "acquired" and lic.offers == p.offers):
            continue
        out.append((p, ()))
    return out


def _badge(
    world: World, program: str, lic: _LicenceOption, policy: PolicyState
) -> tuple[str, str, str, float, tuple[str, ...]]:
    company = str(world.programs.at[program, "company"])
    need = str(world.programs.at[program, "badge"])
    own_name = world.company_name(company)
    mor_name = world.company_name(lic.holder)
    terms = "own"
    waiver: float | None = None
    if lic.offer is not None and "badge" in lic.offer:
        terms = str(getattr(lic.offer["badge"], "value", lic.offer["badge"]))
        waiver = lic.offer.get("badge_waiver_fee")
    fee = 0.0
    kind = terms
    if (
        terms != "own"
        and waiver is not None
        and need != "any"
        and not (need == "co_brand" and terms == "co_brand")
    ):
        kind, fee = "own", float(waiver)
    badge = {"own": own_name, "co_brand": f"{own_name} x {mor_name}", "host": mor_name}[kind]
    if fee:
        badge += f" ({'co-brand' if terms == 'co_brand' else mor_name + ' badge'} waived)"
    why: tuple[str, ...] = ()
    if (need == "own" and kind != "own") or (need == "co_brand" and kind == "host"):
        what = {"co_brand": "a co-brand", "host": f"the {mor_name} badge"}[kind]
        why = (
            f"program needs {'its own' if need == 'own' else 'its own or a co-brand'} badge; the offer gives {what} and no waiver",
        )
    names = ""
    if policy.badge_names_manufacturer and lic.source == "acquired":
        names = f"{mor_name} (renamed)"
    elif policy.badge_names_manufacturer and lic.holder not in world.affiliates(company):
        names = mor_name
    return badge, kind, names, fee, why


def _unique_ids(routes: list[Route]) -> list[Route]:
    """Two offers on the same plant would give one id twice; suffix the offer to tell them apart."""
    counts: dict[str, int] = {}
    for r in routes:
        counts[r.id] = counts.get(r.id, 0) + 1
    return [
        dataclasses.replace(r, id=f"{r.id}~{'+'.join(r.offers)}") if counts[r.id] > 1 else r
        for r in routes
    ]


def derive_routes(world: World, program: str | None = None) -> list[Route]:
    """Derive every route of every program (or of one).

    Args:
        world: The compiled world.
        program: Restrict to this program id.

    Returns:
        Routes, grouped by program in scenario order; legal and usable ones first
        within a program, then by earliest SOP.

    Raises:
        KeyError: If ``program`` is not in the world.
    """
    programs = [program] if program is not None else [str(p) for p in world.programs.index]
    policy = world.policy_at(world.as_of)
    out: list[Route] = []
    horizon_end = dt.date(int(world.years[-1]), 12, 31)
    for g in programs:
        row = world.programs.loc[g]
        company = str(row["company"])
        target = cast(dt.date, row["target_sop"])
        plants = _plant_options(world, g)
        routes = []
        for lic in _licence_options(world, g, policy):
            for pl, pair_illegal in _pairs(lic, plants, world):
                why = list(lic.illegal) + list(pair_illegal)
                if lic.new_licence and policy.min_capacity and pl.nameplate < policy.min_capacity:
                    why.append(
                        f"plant {pl.plant} has {pl.nameplate:,.0f}/year, below the {policy.min_capacity:,}/year "
                        f"minimum for a new licence ({_rule_since(policy, 'min_capacity')})"
                    )
                legal = not why
                badge, kind, names, fee, unfit = _badge(world, g, lic, policy)
                sop = max(lic.ready, pl.ready, world.as_of)
                driver = lic.driver if lic.ready >= pl.ready else pl.driver
                if sop > horizon_end:
                    unfit = (*unfit, f"earliest SOP {_fmt_date(sop)} is after the horizon")
                cap = (
                    np.minimum(pl.capacity, pl.capacity.max() * year_fractions(sop, world.years))
                    if len(pl.capacity)
                    else pl.capacity
                )
                offers = tuple(dict.fromkeys(lic.offers + pl.offers))
                sources = tuple(
                    dict.fromkeys(
                        lic.cites + pl.cites + world.cites[("program", g)] + policy.sources
                    )
                )
                status = world.weakest(sources)
                warnings = tuple(
                    f"rests on {_article(str(world.sources.at[s, 'status']))} claim: {s}"
                    + (f" ({world.sources.at[s, 'note']!s})" if world.sources.at[s, "note"] else "")
                    for s in sources
                    if STATUS_RANK[Status(str(world.sources.at[s, "status"]))]
                    >= STATUS_RANK[Status.UNCLEAR]
                )
                routes.append(
                    Route(
                        program=g,
                        company=company,
                        id=f"{lic.source}:{lic.ref}@{pl.source}:{pl.ref}",
                        licence_source=lic.source,
                        licence=lic.licence_id,
                        plant_source=pl.source,
                        plant=pl.plant,
                        offers=offers,
                        legal=legal,
                        usable=legal and not unfit,
                        why=tuple(why) + tuple(unfit),
                        manufacturer=lic.holder,
                        manufacturer_name=world.company_name(lic.holder),
                        badge=badge,
                        badge_kind=kind,
                        names_manufacturer=names,
                        badge_waiver_fee=fee,
                        earliest_sop=sop,
                        sop_driver=driver,
                        target_sop=target,
                        meets_target=sop <= target,
                        capacity={
                            int(y): round(float(c)) for y, c in zip(world.years, cap, strict=True)
                        },
                        fixed_cost=lic.fixed_fee + pl.fixed_fee + fee,
                        unit_cost=_num(world.plants.at[pl.plant, "unit_cost"]) + lic.unit_fee,
                        success_probability=lic.probability * pl.probability,
                        sources=sources,
                        weakest_status=status.value,
                        warnings=warnings,
                    )
                )
        routes = _unique_ids(routes)
        routes.sort(key=lambda r: (not r.usable, not r.legal, r.earliest_sop, r.id))
        out.extend(routes)
    return out
