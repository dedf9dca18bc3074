"""Licence and plant options of a company: the two halves the rules engine pairs into routes.

A licence option says where the right to be manufacturer of record comes from (held,
applied for, an application offer, a bought company, a partner's licence) and a plant
option where the cars are built (own, built, staked, bought, the partner's). Each carries
its legality problems, costs, sources and a timing recipe (:mod:`evfab._timing`).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, cast

from evfab._policy_dates import (
    _fmt_date,
    _gate,
    approval_by_date,
    banned_text,
    grant_cites,
    lifted_text,
    never_granted,
)
from evfab._records import quick_init
from evfab._scenario import STATUS_RANK, Status
from evfab._timing import DAYS_PER_MONTH, Event, Path, Phase, Step
from evfab._world import PolicyState, World, add_months
from evfab.priors import PRIOR_SOURCE_ID


@quick_init
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
    rules: PolicyState | None = None
    """The policy a new licence is granted under (in force on its nominal grant date)."""
    never: tuple[str, ...] = ()
    """Why it never comes (a deal or an approval whose chance is 0)."""
    rule_cites: tuple[str, ...] = ()
    """Sources of the policy rules a new licence is granted under (cited after the
    route's entities)."""


@quick_init
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
    never: tuple[str, ...] = ()
    """Why it never comes (a deal whose chance is 0)."""
    module_capacity: float = 0.0
    """Capacity of one extra module a build offer may add, vehicles/year (0: none)."""
    max_modules: int = 0
    """Most extra modules the build offer may add."""
    module_fee: float = 0.0
    """Capex of one extra module, currency."""


def _d(months: Any) -> float:
    return float(months.mode)


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


_DENIED_RANK = STATUS_RANK[Status.DENIED]


def _offer_p(world: World, oid: str) -> float:
    """An offer's chance of success: as stated, else low if it rests on a denied claim."""
    row = world.offer(oid)
    if (
        not row["probability_given"]
        and max(map(world.source_rank.get, world.cites[("offer", oid)], repeat(0)), default=0)
        >= _DENIED_RANK
    ):
        return DENIED_PRIOR
    return float(row["success_probability"])


def _step(
    key: str, label: str, d: Any, since: dt.date | None = None, as_of: dt.date | None = None
) -> Step:
    """A duration; one that began on ``since`` and had not ended by ``as_of`` is conditioned on that."""
    after = 0.0
    if since is not None and as_of is not None and since < as_of:
        after = (as_of - since).days / DAYS_PER_MONTH
    return Step(key, label, float(d.min), float(d.mode), float(d.max), after)


def _lead(oid: str, o: dict[str, Any]) -> Step:
    return _step(f"offer:{oid}:lead", f"negotiation ({oid})", o["lead_months"])


def _closing(oid: str, det: dict[str, Any]) -> tuple[Step, ...]:
    return (_step(f"offer:{oid}:closing", f"closing ({oid})", det["closing_months"]),)


def _transfer(oid: str, det: dict[str, Any]) -> Step:
    return _step(f"offer:{oid}:transfer", f"licence transfer ({oid})", det["transfer_months"])


def _no_deal(oid: str, p: float) -> tuple[str, ...]:
    """Why a route needing deal ``oid``, concluded with chance ``p``, never comes."""
    return (f"deal {oid} would never be concluded: its success_probability is 0",) if not p else ()


def _success(world: World, oid: str, p: float | None = None) -> Event:
    """The event that deal ``oid`` is concluded (``p``: its chance, if already known)."""
    return Event(
        f"offer:{oid}:success", f"deal {oid} concluded", _offer_p(world, oid) if p is None else p
    )


def _phases(world: World, pid: str, start: Path | None) -> tuple[Phase, ...]:
    """The plant's phases as recipes: a fixed ready date, or a build time after a start."""
    cs = world.plant(pid)["construction_start"]
    begun = cs if isinstance(cs, dt.date) and start is None else None
    base = start or Path(begun or world.as_of)
    # A phase under construction since before as_of is not ready yet: its build time is
    # longer than what has passed. A build an offer starts is another duration than the
    # plant's own construction (keyed apart, so the two never share a draw).
    new = "" if start is None else ":new"
    return tuple(
        Phase(
            cap,
            Path(ready)
            if ready is not None
            else base.then(
                _step(
                    f"plant:{pid}:phase{k}{new}",
                    f"{pid} phase {k + 1} build",
                    dist,
                    begun,
                    world.as_of,
                )
            ),
        )
        for k, (cap, ready, dist) in enumerate(world.phase_steps[pid])
    )


_LICENCE_KINDS = frozenset(
    ("apply_licence", "acquire_company", "contract_manufacturing", "licence_umbrella")
)
"""Offer kinds that can give a licence option."""
_PLANT_KINDS = frozenset(("build_plant", "plant_stake", "acquire_company"))
"""Offer kinds that can give a plant option."""


def _licence_options(
    world: World, company: str, scope: str, policy: PolicyState
) -> list[_LicenceOption]:
    """A company's licence options for ``scope``.

    ``policy`` is the policy in force on as_of. A new licence is granted only while new
    licences are (an application waits for a later period that grants them; none: the
    route is illegal) and under the approval chance and minimum capacity in force then;
    its review time is the one in force when it is filed. Contract manufacturing starts
    only while it is allowed, in the same way.
    """
    mine = world.affiliates(company)
    out: list[_LicenceOption] = []
    illegal: tuple[str, ...]

    def ban_reason(state: PolicyState, due: dt.date) -> tuple[str, ...]:
        why = banned_text(world, state, "new_licences", due)
        return (f"{why}; the licence cannot be granted",)

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
            # Filed before as_of: the review time in force on as_of applies.
            review = row["review"] or policy.review
            prior = _review_prior(row["review"], policy)
            # Still pending on as_of: the review lasts longer than what has passed.
            raw = Path(
                row["applied_on"],
                (
                    _step(
                        f"licence:{lid}:review",
                        "licence review",
                        review,
                        row["applied_on"],
                        world.as_of,
                    ),
                ),
            )
            path, rules, ok = _gate(world, raw, world.licence_bans)
            p = row["approval_probability"]
            own_p = not (p is None or p != p)
            p = float(p) if own_p else rules.approval_probability
            due = max(world.as_of, raw.nominal())
            granted = max(world.as_of, path.nominal())
            # A chance of 0 means the route never comes (see never_granted).
            never: tuple[str, ...] = ()
            if ok and not p:
                never = (
                    (f"licence {lid} would never be granted: its approval_probability is 0",)
                    if own_p
                    else (never_granted(world, f"licence {lid}", rules, granted),)
                )
            lifted = lifted_text(due, granted, "new licences are granted again", rules)
            out.append(
                _LicenceOption(
                    "applied",
                    lid,
                    str(row["holder"]),
                    lid,
                    max(world.as_of, path.shown()),
                    f"licence review ({_d(review):g} months from {_fmt_date(row['applied_on'])})"
                    + lifted,
                    (),
                    0.0,
                    0.0,
                    p,
                    () if ok else ban_reason(rules, due),
                    world.cites[("licence", lid)] + prior,
                    new_licence=True,
                    path=path,
                    events=(
                        Event(
                            f"licence:{lid}:approval",
                            f"licence {lid} granted",
                            p,
                            path,
                            () if own_p else approval_by_date(world),
                        ),
                    ),
                    rules=rules,
                    never=never,
                    # Filed before as_of: the review time in force on as_of.
                    rule_cites=(() if row["review"] else policy.cites("review_months"))
                    + grant_cites(world, path, rules, own_p),
                )
            )
    for oid, o in [x for c in sorted(mine) for x in world.offers_by_taker.get(c, [])]:
        if o["kind"] not in _LICENCE_KINDS:
            continue
        det: dict[str, Any] = o["detail"]
        lead = _d(o["lead_months"])
        start = add_months(world.as_of, lead)
        cites = world.cites[("offer", oid)]
        if o["kind"] == "apply_licence" and det["scope"] == scope:
            filed = world.policy_at(start)
            review = det["review_months"] or filed.review
            prior = _review_prior(det["review_months"], filed)
            raw = Path(
                world.as_of,
                (_lead(oid, o), _step(f"offer:{oid}:review", "licence review", review)),
            )
            path, rules, ok = _gate(world, raw, world.licence_bans)
            due = raw.nominal()
            lifted = lifted_text(due, path.nominal(), "new licences are granted again", rules)
            # The review time in force when the application is filed.
            filed_cites = () if det["review_months"] else filed.cites("review_months")
            deal = _offer_p(world, oid)
            never = _no_deal(oid, deal)
            if ok and not rules.approval_probability:
                what = f"the licence applied for under offer {oid}"
                never += (never_granted(world, what, rules, path.nominal()),)
            out.append(
                _LicenceOption(
                    "apply",
                    oid,
                    str(o["to"]),  # the applicant may be an affiliate of the program's company
                    oid,
                    path.shown(),
                    f"preparation {lead:g} + review {_d(review):g} months" + lifted,
                    (oid,),
                    float(o["fixed_fee"]),
                    0.0,
                    deal * rules.approval_probability,
                    () if ok else ban_reason(rules, due),
                    cites + prior,
                    new_licence=True,
                    path=path,
                    events=(
                        _success(world, oid, deal),
                        Event(
                            f"offer:{oid}:approval",
                            "licence granted",
                            rules.approval_probability,
                            path,
                            approval_by_date(world),
                        ),
                    ),
                    rules=rules,
                    never=never,
                    rule_cites=filed_cites + grant_cites(world, path, rules, False),
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
            deal = _offer_p(world, oid)
            for lid in held:
                months = lead + _d(det["closing_months"]) + _d(det["transfer_months"])
                out.append(
                    _LicenceOption(
                        "acquired",
                        oid,
                        str(world.licence(lid)["holder"]),  # may be a subsidiary of the target
                        lid,
                        add_months(world.as_of, months),
                        f"deal {lead:g} + closing {_d(det['closing_months']):g} + licence transfer {_d(det['transfer_months']):g} months",
                        (oid,),
                        float(o["fixed_fee"]),
                        0.0,
                        deal,
                        (),
                        cites + world.cites[("licence", lid)] + world.cites[("company", target)],
                        offer={"target": target},
                        path=Path(
                            world.as_of, (_lead(oid, o), *_closing(oid, det), _transfer(oid, det))
                        ),
                        events=(_success(world, oid, deal),),
                        never=_no_deal(oid, deal),
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
            # Whether contract manufacturing is allowed is checked where production runs
            # (rules._cores), not here: a contract may be signed before a ban starts.
            illegal = ()
            if not lid or world.licence(lid)["scope"] != scope:
                illegal = (f"{world.company_name(party)} holds no {scope} licence",)
            extra = world.cites[("licence", lid)] if lid else ()
            deal = _offer_p(world, oid)
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
                    deal,
                    illegal,
                    cites + extra + world.cites[("company", party)],
                    offer=det | {"kind": o["kind"]},
                    path=Path(world.as_of, (_lead(oid, o),)),
                    events=(_success(world, oid, deal),),
                    never=_no_deal(oid, deal),
                )
            )
    return out


def _plant_option(
    world: World,
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
    modules: tuple[float, int, float] = (0.0, 0, 0.0),
) -> _PlantOption:
    """A plant option; a ``priced`` one carries its offer's fee, odds and sources;
    ``modules`` is a build offer's (module capacity, most modules, fee per module)."""
    p = _offer_p(world, oid) if oid else 1.0
    return _PlantOption(
        source,
        pid,
        ready,
        driver,
        cites=(world.cites[("offer", oid)] if priced else ()) + world.cites[("plant", pid)],
        nameplate=_num(world.plant(pid)["nameplate"]),
        offers=(oid,) if oid else (),
        fixed_fee=_num(world.offer(oid)["fixed_fee"]) if priced else 0.0,
        probability=p if priced else 1.0,
        build_start=build_start,
        share=share,
        access=access or Path(world.as_of),
        phases=_phases(world, pid, start),
        events=(_success(world, oid, p),) if oid else (),
        # A bought company's plant: its deal is the licence side's (counted there once).
        never=_no_deal(oid, p) if priced else (),
        module_capacity=modules[0],
        max_modules=modules[1],
        module_fee=modules[2],
    )


def _plant_options(world: World, company: str) -> list[_PlantOption]:
    mine = world.affiliates(company)
    out: list[_PlantOption] = []
    option = functools.partial(_plant_option, world)

    by_op = world.plants_by_operator
    for pid, row in [
        x for c in sorted(mine) for x in by_op.get(c, []) if x[1]["status"] != "planned"
    ]:
        ready = max(world.as_of, world.first_ready(pid))
        out.append(option("own", pid, ready, f"{row['name']} ready"))
    for oid, o in [x for c in sorted(mine) for x in world.offers_by_taker.get(c, [])]:
        if o["kind"] not in _PLANT_KINDS:
            continue
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
                    modules=(
                        float(det["module_capacity"]),
                        int(det["max_modules"]),
                        float(det["module_fee"]),
                    )
                    if det.get("module_capacity")
                    else (0.0, 0, 0.0),
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
                    f"{world.plant(pid)['name']!s} ready",
                    cites=world.cites[("plant", pid)],
                    nameplate=_num(world.plant(pid)["nameplate"]),
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
