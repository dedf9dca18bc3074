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
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from evfab._scenario import STATUS_RANK, Status
from evfab._timing import Event, Path, Phase, Step, Timing, capacity_by_year, year_bounds
from evfab._world import FloatArray, PolicyState, World, add_months
from evfab.priors import PRIOR_SOURCE_ID


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
        usable: Legal, fits the program's badge need, can start by the horizon and
            needs no two offers that exclude each other.
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
        capacity: Cars the route can supply by year: free capacity after the SOP, net of
            the operator's committed load, times a stake's share, capped by a contract.
        fixed_cost: One-off costs of the offers taken, currency.
        unit_cost: Cost per car (plant cost plus per-unit fees), currency/vehicle.
        success_probability: Product of deal success and approval chances.
        sources: Every source the route rests on.
        weakest_status: The weakest status among them.
        warnings: Flags for claims that were denied or are unclear.
        timing: The durations and events behind the SOP and capacity (for the risk engine).
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
    timing: Timing | None = field(default=None, repr=False, compare=False)


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
    path: Path | None = None
    """When the licence can be used, as a recipe of durations."""
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class _PlantOption:
    source: str
    plant: str
    ready: dt.date
    driver: str
    cites: tuple[str, ...]
    nameplate: float
    offers: tuple[str, ...] = ()
    fixed_fee: float = 0.0
    probability: float = 1.0
    build_start: dt.date | None = None
    """Construction start for a plant built through an offer."""
    share: float = 1.0
    """Share of the plant's free capacity the route may use."""
    limit: dict[int, int] = field(default_factory=dict)
    """Most cars the plant's owner will build by year (a contract's cap)."""
    access: Path | None = None
    """When the buyer can use the plant (a deal closed), as a recipe of durations."""
    phases: tuple[Phase, ...] = ()
    events: tuple[Event, ...] = ()


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


def _review_prior(own: object, policy: PolicyState) -> tuple[str, ...]:
    """The prior's source id when a review time comes from the calibrated default."""
    if own is None and policy.review_is_prior:
        return (PRIOR_SOURCE_ID.format(kind="licence_application"),)
    return ()


DENIED_PRIOR = 0.1
"""Chance a deal resting on a denied claim goes through, unless the scenario states one."""


def _offer_p(world: World, oid: str) -> float:
    """An offer's chance of success: as stated, else low if it rests on a denied claim."""
    row = world.offer(oid)
    if not row["probability_given"] and any(
        world.source_rank.get(s, 0) >= STATUS_RANK[Status.DENIED]
        for s in world.cites[("offer", oid)]
    ):
        return DENIED_PRIOR
    return float(row["success_probability"])


def _step(key: str, label: str, d: Any) -> Step:
    return Step(key, label, float(d.min), float(d.mode), float(d.max))


def _lead(oid: str, o: dict[str, Any]) -> Step:
    return _step(f"offer:{oid}:lead", f"negotiation ({oid})", o["lead_months"])


def _closing(oid: str, det: dict[str, Any]) -> tuple[Step, ...]:
    return (_step(f"offer:{oid}:closing", f"closing ({oid})", det["closing_months"]),)


def _transfer(oid: str, det: dict[str, Any]) -> Step:
    return _step(f"offer:{oid}:transfer", f"licence transfer ({oid})", det["transfer_months"])


def _success(world: World, oid: str) -> Event:
    return Event(f"offer:{oid}:success", f"deal {oid} concluded", _offer_p(world, oid))


def _phases(world: World, pid: str, start: Path | None) -> tuple[Phase, ...]:
    """The plant's phases as recipes: a fixed ready date, or a build time after a start."""
    cs = world.plant(pid)["construction_start"]
    base = start or Path(cs if isinstance(cs, dt.date) else world.as_of)
    return tuple(
        Phase(
            cap,
            Path(ready)
            if ready is not None
            else base.then(_step(f"plant:{pid}:phase{k}", f"{pid} phase {k + 1} build", dist)),
        )
        for k, (cap, ready, dist) in enumerate(world.phase_steps[pid])
    )


def _licence_options(
    world: World, company: str, scope: str, policy: PolicyState
) -> list[_LicenceOption]:
    mine = world.affiliates(company)
    out: list[_LicenceOption] = []
    lic = world.licences
    illegal: tuple[str, ...]
    new_licence_ban: tuple[str, ...] = ()
    if not policy.new_licences:
        new_licence_ban = (
            f"new licences are not being granted ({_rule_since(policy, 'new_licences')}); apply is not a route",
        )
    by_holder = world.licences_by_holder
    mine_lic = [
        (lid, row)
        for c in sorted(mine)
        for lid, row in by_holder.get(c, [])
        if row["scope"] == scope
    ]
    for lid, row in mine_lic:
        if row["status"] == "held":
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
                    (),
                    world.cites[("licence", lid)],
                    path=Path(world.as_of),
                )
            )
        else:
            review = row["review"] or policy.review
            prior = _review_prior(row["review"], policy)
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
                    world.cites[("licence", lid)] + prior,
                    new_licence=True,
                    path=Path(
                        row["applied_on"],
                        (_step(f"licence:{lid}:review", "licence review", review),),
                    ),
                    events=(Event(f"licence:{lid}:approval", f"licence {lid} granted", p),),
                )
            )
    for oid, o in [x for c in sorted(mine) for x in world.offers_by_taker.get(c, [])]:
        det: dict[str, Any] = o["detail"]
        lead = _d(o["lead_months"])
        start = add_months(world.as_of, lead)
        cites = world.cites[("offer", oid)]
        if o["kind"] == "apply_licence" and det["scope"] == scope:
            review = det["review_months"] or policy.review
            prior = _review_prior(det["review_months"], policy)
            ready = add_months(start, _d(review))
            out.append(
                _LicenceOption(
                    "apply",
                    oid,
                    str(o["to"]),  # the applicant may be an affiliate of the program's company
                    oid,
                    ready,
                    f"preparation {lead:g} + review {_d(review):g} months",
                    (oid,),
                    float(o["fixed_fee"]),
                    0.0,
                    _offer_p(world, oid) * policy.approval_probability,
                    new_licence_ban,
                    cites + prior,
                    new_licence=True,
                    path=Path(
                        world.as_of,
                        (_lead(oid, o), _step(f"offer:{oid}:review", "licence review", review)),
                    ),
                    events=(
                        _success(world, oid),
                        Event(
                            f"offer:{oid}:approval", "licence granted", policy.approval_probability
                        ),
                    ),
                )
            )
        elif o["kind"] == "acquire_company":
            target = str(det["target"])
            held = [
                lid
                for c in sorted(world.affiliates(target))
                for lid, row in by_holder.get(c, [])
                if row["scope"] == scope and row["status"] == "held"
            ]
            for lid in held:
                months = lead + _d(det["closing_months"]) + _d(det["transfer_months"])
                out.append(
                    _LicenceOption(
                        "acquired",
                        oid,
                        str(lic.at[lid, "holder"]),  # may be a subsidiary of the target
                        lid,
                        add_months(world.as_of, months),
                        f"deal {lead:g} + closing {_d(det['closing_months']):g} + licence transfer {_d(det['transfer_months']):g} months",
                        (oid,),
                        float(o["fixed_fee"]),
                        0.0,
                        _offer_p(world, oid),
                        (),
                        cites + world.cites[("licence", lid)] + world.cites[("company", target)],
                        offer={"target": target},
                        path=Path(
                            world.as_of, (_lead(oid, o), *_closing(oid, det), _transfer(oid, det))
                        ),
                        events=(_success(world, oid),),
                    )
                )
        elif o["kind"] in ("contract_manufacturing", "licence_umbrella"):
            party = str(det["host"] if o["kind"] == "contract_manufacturing" else det["partner"])
            lid = det["licence"]
            if lid is None:
                held = [
                    x
                    for x, row in by_holder.get(party, [])
                    if row["scope"] == scope and row["status"] == "held"
                ]
                lid = held[0] if held else ""
            illegal = ()
            if not lid or lic.at[lid, "scope"] != scope:
                illegal = (f"{world.company_name(party)} holds no {scope} licence",)
            elif not policy.contract_manufacturing:
                illegal = (
                    f"contract manufacturing is not allowed ({_rule_since(policy, 'contract_manufacturing')}); "
                    f"{world.company_name(party)}'s licence is not a route",
                )
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
                    path=Path(world.as_of, (_lead(oid, o),)),
                    events=(_success(world, oid),),
                )
            )
    return out


def _dormant(world: World, lid: str, policy: PolicyState, sop: dt.date) -> tuple[str, ...]:
    """Why licence ``lid`` is withdrawn under the exit rule before ``sop``, if it is.

    Checked at the route's SOP, not at as_of: a dormant licence stays idle until the
    route first produces under it, so it must still be alive then.
    """
    since = world.licences.at[lid, "dormant_since"] if lid in world.licences.index else None
    if not isinstance(since, dt.date) or not policy.dormant_exit_months:
        return ()
    limit = add_months(since, policy.dormant_exit_months)
    rule = f"{policy.dormant_exit_months}-month exit rule ({_rule_since(policy, 'dormant_exit_months')})"
    if limit <= world.as_of:
        return (f"licence {lid} has been dormant since {_fmt_date(since)}, past the {rule}",)
    if limit <= sop:
        return (
            f"licence {lid}, dormant since {_fmt_date(since)}, is withdrawn on {_fmt_date(limit)} "
            f"under the {rule}, before production can start on {_fmt_date(sop)}",
        )
    return ()


def _plant_options(world: World, company: str) -> list[_PlantOption]:
    mine = world.affiliates(company)
    out: list[_PlantOption] = []
    pl = world.plants

    def option(
        source: str,
        pid: str,
        ready: dt.date,
        driver: str,
        oid: str = "",
        *,
        priced: bool = False,
        build_start: dt.date | None = None,
        share: float = 1.0,
        access: Path | None = None,
        start: Path | None = None,
    ) -> _PlantOption:
        """A plant option; a ``priced`` one carries its offer's fee, odds and sources."""
        return _PlantOption(
            source,
            pid,
            ready,
            driver,
            cites=(world.cites[("offer", oid)] if priced else ()) + world.cites[("plant", pid)],
            nameplate=_num(pl.at[pid, "nameplate"]),
            offers=(oid,) if oid else (),
            fixed_fee=_num(world.offers.at[oid, "fixed_fee"]) if priced else 0.0,
            probability=_offer_p(world, oid) if priced else 1.0,
            build_start=build_start,
            share=share,
            access=access or Path(world.as_of),
            phases=_phases(world, pid, start),
            events=(_success(world, oid),) if oid else (),
        )

    by_op = world.plants_by_operator
    for pid, row in [
        x for c in sorted(mine) for x in by_op.get(c, []) if x[1]["status"] != "planned"
    ]:
        ready = max(world.as_of, world.first_ready(pid))
        out.append(option("own", pid, ready, f"{row['name']} ready"))
    for oid, o in [x for c in sorted(mine) for x in world.offers_by_taker.get(c, [])]:
        det = o["detail"]
        lead = _d(o["lead_months"])
        start = add_months(world.as_of, lead)
        if o["kind"] == "build_plant":
            pid = str(det["plant"])
            driver = f"decision {lead:g} months + first phase build"
            ready = world.first_ready(pid, start)
            path = Path(world.as_of, (_lead(oid, o),))
            out.append(
                option(
                    "build",
                    pid,
                    ready,
                    driver,
                    oid,
                    priced=True,
                    build_start=start,
                    access=path,
                    start=path,
                )
            )
        elif o["kind"] == "plant_stake":
            pid = str(det["plant"])
            share = det["capacity_share"] if det["capacity_share"] is not None else det["share"]
            closed = add_months(start, _d(det["closing_months"]))
            driver = f"stake deal {lead:g} + closing {_d(det['closing_months']):g} months"
            ready = max(closed, world.first_ready(pid))
            path = Path(world.as_of, (_lead(oid, o), *_closing(oid, det)))
            out.append(
                option(
                    "stake", pid, ready, driver, oid, priced=True, share=float(share), access=path
                )
            )
        elif o["kind"] == "acquire_company":
            # The price, odds and sources are counted once, on the licence side.
            months = lead + _d(det["closing_months"])
            closed = add_months(world.as_of, months)
            bought = [
                pid
                for c in sorted(world.affiliates(str(det["target"])))
                for pid, row in by_op.get(c, [])
                if row["status"] != "planned"
            ]
            for pid in bought:
                ready = max(closed, world.first_ready(pid))
                path = Path(world.as_of, (_lead(oid, o), *_closing(oid, det)))
                out.append(
                    option(
                        "acquired",
                        pid,
                        ready,
                        f"acquisition closing {months:g} months",
                        oid,
                        access=path,
                    )
                )
    return out


def _pairs(lic: _LicenceOption, plants: list[_PlantOption], world: World) -> list[_PlantOption]:
    """The plant options that go with a licence option."""
    if lic.source == "partner" and lic.offer is not None:
        if lic.offer["kind"] == "contract_manufacturing":
            pid = str(lic.offer["plant"])
            return [
                _PlantOption(
                    "partner",
                    pid,
                    max(lic.ready, world.first_ready(pid)),
                    f"{world.plants.at[pid, 'name']!s} ready",
                    cites=world.cites[("plant", pid)],
                    nameplate=_num(world.plants.at[pid, "nameplate"]),
                    limit=dict(lic.offer.get("capacity") or {}),
                    access=lic.path,
                    phases=_phases(world, pid, None),
                )
            ]
        covered = set(lic.offer["plants"])
        return [p for p in plants if p.plant in covered and p.source in ("own", "build", "stake")]
    # A bought company's plants come with its licence, from the same offer.
    return [
        p
        for p in plants
        if p.source != "acquired" or (lic.source == "acquired" and lic.offers == p.offers)
    ]


def _badge(
    world: World, company: str, need: str, lic: _LicenceOption, policy: PolicyState
) -> tuple[str, str, str, float, tuple[str, ...]]:
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
    """Suffix ids that repeat: first with the offers (two stakes in one plant), then with
    the licence (a bought company holding two licences for the scope)."""
    for suffix in (lambda r: "+".join(r.offers), lambda r: r.licence):
        counts = Counter(r.id for r in routes)
        routes = [
            dataclasses.replace(r, id=f"{r.id}~{suffix(r)}") if counts[r.id] > 1 else r
            for r in routes
        ]
    return routes


@dataclass(frozen=True)
class _Core:
    """The program-independent part of a route: shared by every program of a company and scope."""

    lic: _LicenceOption
    pl: _PlantOption
    sop: dt.date
    driver: str
    why: tuple[str, ...]
    unfit: tuple[str, ...]
    capacity: dict[int, int]
    offers: tuple[str, ...]
    unit_cost: float
    timing: Timing


def _cores(world: World, company: str, scope: str, policy: PolicyState) -> list[_Core]:
    horizon_end = dt.date(int(world.years[-1]), 12, 31)
    plants = _plant_options(world, company)
    out = []
    for lic in _licence_options(world, company, scope, policy):
        for pl in _pairs(lic, plants, world):
            timing = _timing(world, lic, pl, policy)
            # The SOP and capacity come from the timing recipe at its modes, so the risk
            # engine, sampling the same recipe, reproduces them exactly when nothing varies.
            sop = _nominal_sop(world, timing)
            driver = lic.driver if lic.ready >= pl.ready else pl.driver
            why = [*lic.illegal, *_dormant(world, lic.licence_id, policy, sop)]
            if lic.new_licence and policy.min_capacity and pl.nameplate < policy.min_capacity:
                why.append(
                    f"plant {pl.plant} has {pl.nameplate:,.0f}/year, below the {policy.min_capacity:,}/year "
                    f"minimum for a new licence ({_rule_since(policy, 'min_capacity')})"
                )
            unfit: tuple[str, ...] = ()
            if sop > horizon_end:
                unfit = (f"earliest SOP {_fmt_date(sop)} is after the horizon",)
            offers = tuple(dict.fromkeys(lic.offers + pl.offers))
            # A route needing two offers that exclude each other cannot be taken.
            unfit += tuple(
                f"offer {a} excludes offer {b}"
                for a in offers
                for b in offers
                if b in cast(list[str], world.offers.at[a, "excludes"])
            )
            cap = _nominal_capacity(world, timing, sop)
            out.append(
                _Core(
                    lic=lic,
                    pl=pl,
                    sop=sop,
                    driver=driver,
                    why=tuple(why),
                    unfit=unfit,
                    capacity={
                        int(y): round(float(c)) for y, c in zip(world.years, cap, strict=True)
                    },
                    offers=offers,
                    unit_cost=_num(world.plants.at[pl.plant, "unit_cost"]) + lic.unit_fee,
                    timing=timing,
                )
            )
    return out


def _nominal_sop(world: World, t: Timing) -> dt.date:
    first = min(ph.ready.nominal() for ph in t.phases)
    return max(world.as_of, t.licence.nominal(), t.access.nominal(), first)


def _nominal_capacity(world: World, t: Timing, sop: dt.date) -> FloatArray:
    starts, ends = year_bounds(world.as_of, world.years)
    ready = np.array([[(ph.ready.nominal() - world.as_of).days for ph in t.phases]], np.float64)
    limit = np.array([t.limit.get(int(y), np.inf) for y in world.years], np.float64)
    caps = np.array([ph.capacity for ph in t.phases], np.float64)
    sop_days = np.array([(sop - world.as_of).days], np.float64)
    out: FloatArray = capacity_by_year(
        caps, ready, sop_days, starts, ends, np.array(t.free_share), t.share, limit
    )[0]
    return out


def _timing(world: World, lic: _LicenceOption, pl: _PlantOption, policy: PolicyState) -> Timing:
    """The route's recipe for the risk engine (evaluated at the modes it gives the nominal SOP)."""
    full = world.plant_capacity(pl.plant, pl.build_start)
    load = world.committed[world.plant_row[pl.plant]].astype(np.float64)
    used = np.divide(load, full, out=np.ones_like(full), where=full > 0)
    deadline = None
    since = (
        world.licences.at[lic.licence_id, "dormant_since"]
        if lic.licence_id in world.licences.index
        else None
    )
    if isinstance(since, dt.date) and policy.dormant_exit_months:
        deadline = add_months(since, policy.dormant_exit_months)
    events = tuple({e.key: e for e in lic.events + pl.events}.values())
    return Timing(
        licence=lic.path or Path(world.as_of),
        access=pl.access or Path(world.as_of),
        phases=pl.phases,
        free_share=tuple(float(x) for x in np.clip(1.0 - used, 0.0, 1.0)),
        share=pl.share,
        limit=dict(pl.limit),
        events=events,
        deadline=deadline,
    )


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
    # NOTE: licence and plant options, pairings, SOPs and capacities depend only on the
    # company and scope, not on the program: computing them once per company is what
    # keeps industry-scale scenarios (thousands of programs) fast.
    cores: dict[tuple[str, str], list[_Core]] = {}
    warning_of: dict[str, str] = {}
    status_of = world.sources["status"].to_dict()
    note_of = world.sources["note"].to_dict()
    for s in world.sources.index:
        if world.source_rank[str(s)] >= STATUS_RANK[Status.UNCLEAR]:
            note = str(note_of[s])
            warning_of[str(s)] = f"rests on {_article(str(status_of[s]))} claim: {s}" + (
                f" ({note})" if note else ""
            )
    prog_rows = world.program_rows
    for g in programs:
        row = prog_rows[g]
        company, scope, need = str(row["company"]), str(row["scope"]), str(row["badge"])
        target = cast(dt.date, row["target_sop"])
        key = (company, scope)
        if key not in cores:
            cores[key] = _cores(world, company, scope, policy)
        routes = []
        program_cites = world.cites[("program", g)] + policy.sources
        for c in cores[key]:
            lic, pl = c.lic, c.pl
            badge, kind, names, fee, unfit = _badge(world, company, need, lic, policy)
            sources = tuple(dict.fromkeys(lic.cites + pl.cites + program_cites))
            routes.append(
                Route(
                    program=g,
                    company=company,
                    id=f"{lic.source}:{lic.ref}@{pl.source}:{pl.plant}",
                    licence_source=lic.source,
                    licence=lic.licence_id,
                    plant_source=pl.source,
                    plant=pl.plant,
                    offers=c.offers,
                    legal=not c.why,
                    usable=not c.why and not unfit and not c.unfit,
                    why=c.why + unfit + c.unfit,
                    manufacturer=lic.holder,
                    manufacturer_name=world.company_name(lic.holder),
                    badge=badge,
                    badge_kind=kind,
                    names_manufacturer=names,
                    badge_waiver_fee=fee,
                    earliest_sop=c.sop,
                    sop_driver=c.driver,
                    target_sop=target,
                    meets_target=c.sop <= target,
                    capacity=dict(c.capacity),
                    fixed_cost=lic.fixed_fee + pl.fixed_fee + fee,
                    unit_cost=c.unit_cost,
                    success_probability=lic.probability * pl.probability,
                    sources=sources,
                    weakest_status=world.weakest(sources).value,
                    warnings=tuple(warning_of[s] for s in sources if s in warning_of),
                    timing=c.timing,
                )
            )
        routes = _unique_ids(routes)
        routes.sort(key=lambda r: (not r.usable, not r.legal, r.earliest_sop, r.id))
        out.extend(routes)
    return out
