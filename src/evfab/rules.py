"""The licensing regime's rules: which routes a program has, and whether each is legal.

This is the one place where the regime's logic lives. The planner, the risk engine and
the industry simulation all call :func:`derive_routes` (or :func:`evfab.route_table`,
which lays the same routes out as arrays over one template per company, scope and
badge need), so a rule changed here changes all of them together.

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
from typing import cast

import numpy as np
import numpy.typing as npt

from evfab._options import (
    DENIED_PRIOR,
    _licence_options,
    _LicenceOption,
    _num,
    _pairs,
    _plant_options,
    _PlantOption,
)
from evfab._policy_dates import (
    _deadline,
    _dormant,
    _fmt_date,
    _rule_since,
    banned_text,
    exit_cites,
    fits_by_date,
    lapses_unused,
    lifted_text,
)
from evfab._records import quick_init
from evfab._route_capacity import _free_shares, _nominal_capacity, _nominal_sop, _whole_cars
from evfab._scenario import DEFAULT_SCOPE
from evfab._timing import (
    NEVER,
    Ban,
    Event,
    Path,
    Timing,
    lift,
    off_intervals,
)
from evfab._world import PolicyState, World

__all__ = ["DENIED_PRIOR", "Route", "derive_routes"]


@quick_init
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
        usable: Legal, fits the program's badge need, can start by the horizon (and
            before its agreement ends), needs no two offers that exclude each other and
            no deal or licence approval whose chance is 0 (on the nominal grant date).
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
            the operator's committed load, times a stake's share, capped by a contract;
            before the program's ramp-up and without a build offer's extra modules (the
            planner and the risk engine apply both).
        fixed_cost: One-off costs of the offers taken, with the extra modules the route
            needs (``min_modules``), currency.
        unit_cost: Cost per car (plant cost plus per-unit fees), currency/vehicle.
        success_probability: Product of deal success and approval chances.
        sources: Every source the route rests on: its entities', its program's and those
            of the policy rules that bear on it (a new licence's grant, contract
            manufacturing, the badge rule, the dormancy exit rule), as the periods in
            force when it meets them set them.
        weakest_status: The weakest status among them.
        warnings: Flags for claims that were denied or are unclear.
        min_modules: Extra modules of its build offer that the plant needs to reach the
            minimum capacity for a new licence; a plan that takes the route builds at
            least these (0: none needed).
        scope: Vehicle scope of the program and of the licence it builds under; the
            policy rules the route meets are that scope's.
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
    min_modules: int = 0
    scope: str = DEFAULT_SCOPE
    timing: Timing | None = field(default=None, repr=False, compare=False)


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
    if len({r.id for r in routes}) == len(routes):
        return routes
    for suffix in (lambda r: "+".join(r.offers), lambda r: r.licence):
        counts = Counter(r.id for r in routes)
        routes = [
            dataclasses.replace(r, id=f"{r.id}~{suffix(r)}") if counts[r.id] > 1 else r
            for r in routes
        ]
    return routes


@quick_init
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
    cites: tuple[str, ...] = ()
    """Sources of the policy rules the route rests on (but the badge rule's, which
    depends on the badge need)."""
    min_modules: int = 0
    """Extra modules the plant needs to reach a new licence's minimum capacity."""


def _cores(world: World, company: str, scope: str, policy: PolicyState) -> list[_Core]:
    horizon_end = dt.date(int(world.years[-1]), 12, 31)
    plants = _plant_options(world, company)
    lics = _licence_options(world, company, scope, policy)
    pairs = [(lic, pl) for lic in lics for pl in _pairs(lic, plants, world)]
    free = _free_shares(world, [(pl.plant, pl.build_start) for _, pl in pairs])
    # When each licence is withdrawn under the dormancy exit rule (None: never).
    deadline = {lic.licence_id: _deadline(world, lic.licence_id, policy) for lic in lics}
    # Whether a dormant licence is withdrawn, and when, rests on the exit rules.
    exits = {lic.licence_id: exit_cites(world, lic.licence_id, policy) for lic in lics}
    timings = [_timing(world, lic, pl, free, _limit(deadline[lic.licence_id])) for lic, pl in pairs]
    # The SOP and capacity come from the timing recipe at its modes, so the risk
    # engine, sampling the same recipe, reproduces them exactly when nothing varies.
    due = [_nominal_sop(world, t) for t in timings]  # before the route's off intervals
    starts, sops, offs = [], [], []
    for d, t in zip(due, timings, strict=True):
        start, shown, off = _start_of(world, t, d)
        starts.append(start)
        sops.append(shown)
        offs.append(off)
    caps = _nominal_capacity(world, timings, sops, offs)
    years = [int(y) for y in world.years]
    cars = _whole_cars(caps)
    unit_cost = world.column("plants", "unit_cost")
    # Offers that exclude others: most scenarios have none, so most routes skip the check.
    excluding = {
        o: set(cast(list[str], world.offer(o)["excludes"]))
        for lic, pl in pairs
        for o in lic.offers + pl.offers
        if world.offer(o)["excludes"]
    }
    out = []
    for (lic, pl), timing, first, sop, start, cap in zip(
        pairs, timings, due, sops, starts, cars, strict=True
    ):
        driver = lic.driver if lic.ready >= pl.ready else pl.driver
        why = list(lic.illegal)
        cites: tuple[str, ...] = ()
        if lic.source == "partner" and not why:
            driver, held, cites = _contract_rules(world, lic, timing, first, driver)
            why += held
        exit_rule = deadline[lic.licence_id]
        if exit_rule is not None:
            why += _dormant(world, lic.licence_id, exit_rule[1], sop, exit_rule[0])
        cites += exits[lic.licence_id]
        # A new licence is granted under the rules in force then (see _licence_options).
        rules = lic.rules or policy
        need = 0
        if lic.new_licence and rules.min_capacity and pl.nameplate < rules.min_capacity:
            need = modules_needed(pl, rules.min_capacity)
            if not need:
                why.append(_below_minimum(pl, rules))
        # A deal or an approval whose chance is 0 never comes: the route is not usable,
        # however legal (the planner would otherwise build cars it can never have).
        unfit = tuple(dict.fromkeys(lic.never + pl.never))
        if not unfit and not why and not lic.probability * pl.probability:
            # Chances too small for their product (each above 0) to be a float.
            unfit = ("the chance that its deals close and its licence is granted is 0",)
        if sop > horizon_end:
            unfit += (f"earliest SOP {_fmt_date(sop)} is after the horizon",)
        elif timing.until is not None and start is NEVER and not why:
            unfit += (
                f"the agreement with {world.company_name(lic.holder)} ends on "
                f"{_fmt_date(timing.until)}, before production can start on {_fmt_date(sop)}",
            )
        offers = tuple(dict.fromkeys(lic.offers + pl.offers))
        # A route needing two offers that exclude each other cannot be taken.
        if excluding:
            unfit += tuple(
                f"offer {a} excludes offer {b}"
                for a in offers
                if a in excluding
                for b in offers
                if b in excluding[a]
            )
        out.append(
            _Core(
                lic=lic,
                pl=pl,
                sop=sop,
                driver=driver,
                why=tuple(why),
                unfit=unfit,
                capacity=dict(zip(years, cap, strict=True)),
                offers=offers,
                unit_cost=_num(unit_cost[world.plant_row[pl.plant]]) + lic.unit_fee,
                timing=timing,
                cites=cites,
                min_modules=need,
            )
        )
    return out


def modules_needed(pl: _PlantOption, minimum: float) -> int:
    """Extra modules a build offer's plant needs to reach ``minimum`` vehicles/year, or 0
    if it cannot (no modules, or too few) or needs none."""
    short = minimum - pl.nameplate
    if short <= 0 or not pl.module_capacity:
        return 0
    # A whole number of modules; the tolerance keeps 100,000 - 60,000 over 20,000 at 2.
    need = int(np.ceil(short / pl.module_capacity - 1e-9))
    return need if need <= pl.max_modules else 0


def _below_minimum(pl: _PlantOption, rules: PolicyState) -> str:
    """Why a plant cannot be behind a new licence: below the minimum capacity, even with
    every extra module its build offer allows."""
    text = (
        f"plant {pl.plant} has {pl.nameplate:,.0f}/year, below the {rules.min_capacity:,}/year "
        f"minimum for a new licence ({_rule_since(rules, 'min_capacity')})"
    )
    if pl.max_modules and pl.module_capacity:
        most = pl.nameplate + pl.max_modules * pl.module_capacity
        most_text = (
            "its one extra module" if pl.max_modules == 1 else f"all {pl.max_modules} extra modules"
        )
        text += f"; with {most_text} of offer {pl.offers[-1]} it has {most:,.0f}/year"
    return text


def _limit(rule: tuple[dt.date, PolicyState] | None) -> dt.date | None:
    return None if rule is None else rule[0]


def _start_of(world: World, t: Timing, due: dt.date) -> tuple[dt.date, dt.date, tuple[Ban, ...]]:
    """A route's start out of its off intervals, the SOP it shows, and the intervals its
    shown capacity leaves out.

    ``due`` is the start before the off intervals. A route that can never start shows the
    date (and, up to its agreement's end, the cars) it would have had if contract
    manufacturing were allowed, as a route illegal for other reasons does; one whose
    agreement ends first shows when it could have started, with no cars.
    """
    if not t.off:
        return due, due, ()
    start = lift(due, t.off)
    if start is not NEVER:
        return start, start, t.off
    allowed = lift(due, world.contract_bans)
    if allowed is NEVER:
        return start, due, off_intervals((), t.until)
    return start, allowed, t.off


def _contract_rules(
    world: World, lic: _LicenceOption, t: Timing, due: dt.date, driver: str
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """A partner route under the contract-manufacturing rule: the driver, why it is
    illegal, and the sources of the periods' rules it rests on.

    Production under a partner's licence runs only while contract manufacturing is
    allowed: a start due inside a ban waits for its end (the driver says so); one no later
    period lifts makes the route illegal; a later ban pauses or stops production (its
    sources, and those of the period lifting it, are cited). ``due`` is the start without
    the bans.
    """
    bans = world.contract_bans
    allowed = lift(due, bans)
    state = world.policy_at(max(world.as_of, due if allowed is NEVER else allowed))
    cites = state.cites("contract_manufacturing")
    if allowed is NEVER:
        why = banned_text(world, state, "contract_manufacturing", due)
        held = (
            f"{why}; {world.company_name(lic.holder)} cannot build under its licence for others",
        )
        return driver, held, cites
    stop = t.until or dt.date(int(world.years[-1]) + 1, 1, 1)
    for s, e in bans:  # bans that start while the route produces, and their ends
        if s is not None and allowed < s < stop:
            cites += world.policy_at(s).cites("contract_manufacturing")
            if e is not None and e < stop:
                cites += world.policy_at(e).cites("contract_manufacturing")
    lifted = lifted_text(due, allowed, "contract manufacturing is allowed", state)
    return driver + lifted, (), tuple(dict.fromkeys(cites))


def _timing(
    world: World,
    lic: _LicenceOption,
    pl: _PlantOption,
    free: dict[tuple[str, dt.date | None], tuple[float, ...]],
    deadline: dt.date | None,
) -> Timing:
    """The route's recipe for the risk engine (evaluated at the modes it gives the nominal SOP).

    ``free`` holds each plant's free share by year (per construction start);
    ``deadline`` is when the licence is withdrawn, if it is.
    """
    key = (pl.plant, pl.build_start)
    events = tuple({e.key: e for e in lic.events + pl.events}.values())
    new = bool(lic.new_licence and lic.path)
    nominal = (lic.rules or world.policy_at(world.as_of)).min_capacity if new else None
    # A build offer's plant meets the nominal minimum with the extra modules it needs (a
    # plan that takes the route builds them, see modules_needed); a grant sampled under a
    # later, higher minimum is judged on that size too.
    need = modules_needed(pl, nominal) if nominal else 0
    reach = pl.nameplate + need * pl.module_capacity
    fits = fits_by_date(world, reach) if new else ()
    if fits or (nominal and reach < nominal):
        # A later minimum capacity applies to the licence if it is granted after that date:
        # a yes/no event at each sampled grant date (1 or 0, the nominal one for the table).
        # A minimum the plant misses for good is an event that never happens, so that a
        # route sampled on its own (``evfab risk --route``) never starts, as the rules say.
        events += (
            Event(
                f"licence:{lic.licence_id}:fits:{pl.plant}",
                f"plant {pl.plant} meets the minimum capacity when licence {lic.licence_id} is granted",
                0.0 if nominal and reach < nominal else 1.0,
                lic.path,
                fits,
            ),
        )
    until = lic.offer.get("until") if lic.offer is not None else None
    return Timing(
        licence=lic.path or Path(world.as_of),
        access=pl.access or Path(world.as_of),
        phases=pl.phases,
        free_share=free[key],
        share=pl.share,
        limit=dict(pl.limit),
        events=events,
        deadline=deadline,
        until=until,
        # Production under a partner's licence stops while contract manufacturing is
        # banned, and for good when the agreement ends.
        off=off_intervals(world.contract_bans, until) if lic.source == "partner" else (),
    )


def _templates(
    world: World,
    company: str,
    need: str,
    cores: list[_Core],
    policy: PolicyState,
    wanted: npt.NDArray[np.bool_] | None = None,
    scope: str = DEFAULT_SCOPE,
) -> list[Route]:
    """The routes of any program of ``company`` with badge need ``need`` and vehicle scope
    ``scope``, in route order.

    ``wanted`` says in which years any program of ``company`` (and scope) wants cars, given
    where a licence of the routes is withdrawn under the dormancy rule: only cars built
    under it keep it (the planner's rule), so a route whose licence no route can build
    wanted cars under before it goes is not usable (see :func:`lapses_unused`).

    Everything a route says is program-independent except the program's id, target and
    cited sources; those are left blank here (``program=""``, ``sources`` without the
    program's, no weakest status or warnings) and filled in by
    :meth:`evfab._route_table.RouteTable.route`.
    """
    routes = []
    # The badge depends on the licence option and on the badge rule in force when
    # production starts; a licence pairs with many plants.
    badges: dict[tuple[int, bool], tuple[str, str, str, float, tuple[str, ...]]] = {}
    later = any(p.since > world.as_of for p in world.policy)
    # The earliest a route under each licence can start (any of them keeps it alive).
    start: dict[str, dt.date] = {}
    if wanted is not None:
        for c in cores:
            start[c.lic.licence_id] = min(c.sop, start.get(c.lic.licence_id, c.sop))
    for c in cores:
        lic, pl = c.lic, c.pl
        rules = world.policy_at(c.sop) if later and c.sop > world.as_of else policy
        key = (id(lic), rules.badge_names_manufacturer)
        b = badges.get(key)
        if b is None:
            b = badges[key] = _badge(world, company, need, lic, rules)
        badge, kind, names, fee, unfit = b
        dies = c.timing.deadline if wanted is not None and not c.why else None
        if dies is not None and wanted is not None:
            lapse = lapses_unused(world, dies, start[lic.licence_id], wanted)
            if lapse:
                unfit = (
                    *unfit,
                    f"licence {lic.licence_id} is withdrawn on {_fmt_date(dies)} under the "
                    f"dormancy rule unless cars are built under it first, and "
                    f"{world.company_name(company)} wants {lapse}",
                )
        # The badge rule bears on a route only when the manufacturer of record is not the
        # company's own (as _badge decides what the car must name).
        foreign = lic.source == "acquired" or lic.holder not in world.affiliates(company)
        cites = c.cites + (rules.cites("badge_names_manufacturer") if foreign else ())
        routes.append(
            Route(
                program="",
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
                target_sop=world.as_of,
                meets_target=False,
                capacity=c.capacity,
                # The extra modules a new licence's minimum capacity needs are part of it.
                fixed_cost=lic.fixed_fee + pl.fixed_fee + fee + c.min_modules * pl.module_fee,
                unit_cost=c.unit_cost,
                # Rounded: 0.2 x 0.8 is 0.16000000000000003 in floats (and in --json). To
                # significant digits, so that a tiny chance stays above 0, as usable says.
                success_probability=float(f"{lic.probability * pl.probability:.12g}"),
                sources=tuple(dict.fromkeys(lic.cites + pl.cites + lic.rule_cites + cites)),
                weakest_status="",
                min_modules=c.min_modules,
                scope=scope,
                timing=c.timing,
            )
        )
    routes = _unique_ids(routes)
    routes.sort(key=lambda r: (not r.usable, not r.legal, r.earliest_sop, r.id))
    return routes


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
    from evfab._route_table import route_table

    return route_table(world, program).routes()
