"""The offer checks: known parties, plants and licences; hosts and partners hold a licence;
stakes and licence umbrellas that would give no route."""

from __future__ import annotations

from evfab._check_report import Path, Report, ids, years_outside
from evfab._scenario import (
    AcquireCompany,
    ApplyLicence,
    BuildPlant,
    ContractManufacturing,
    LicenceStatus,
    LicenceUmbrella,
    PlantStake,
    PlantStatus,
    Scenario,
)


def _held(s: Scenario, company: str, scope: str | None = None) -> list[str]:
    return [
        lic.id
        for lic in s.licences
        if lic.holder == company
        and lic.status is LicenceStatus.HELD
        and (scope is None or lic.scope == scope)
    ]


def check_offers(s: Scenario, r: Report) -> None:
    """Offers: known parties, plants and licences; hosts and partners must hold a licence."""
    companies = ids(s.companies)
    plants = {p.id: p for p in s.plants}
    licences = {lic.id: lic for lic in s.licences}
    offers = ids(s.offers)
    # A licence whose holder is unknown (reported), or licences that failed the schema, may
    # be meant for any party: whether a party holds none is then not known.
    unsure = not r.usable("licences") or any(lic.holder not in companies for lic in s.licences)

    def need_company(path: Path, cid: str) -> bool:
        return r.refer(path, cid, "companies", companies)

    def need_plant(path: Path, pid: str) -> bool:
        return r.refer(path, pid, "plants", plants)

    for i, o in enumerate(s.offers):
        base = ("offers", i)
        need_company((*base, "to"), o.to)
        for j, x in enumerate(o.excludes):
            if not r.refer((*base, "excludes", j), x, "offers", offers):
                continue
            if x == o.id:
                r.add(
                    (*base, "excludes", j),
                    "an offer cannot exclude itself",
                    "remove it from `excludes`",
                )
        if isinstance(o, ContractManufacturing | LicenceUmbrella):
            party_key = "host" if isinstance(o, ContractManufacturing) else "partner"
            party = o.host if isinstance(o, ContractManufacturing) else o.partner
            if need_company((*base, party_key), party):
                if party == o.to:
                    r.add(
                        (*base, party_key),
                        f"{party_key} and buyer are both {party!r}",
                        "an offer is made by one company to another",
                    )
                if o.licence is not None:
                    lic = licences.get(o.licence)
                    if (
                        r.refer((*base, "licence"), o.licence, "licences", licences)
                        and lic is not None
                        and (lic.holder != party or lic.status is not LicenceStatus.HELD)
                    ):
                        r.add(
                            (*base, "licence"),
                            f"licence {o.licence!r} is not held by {party_key} {party!r}",
                            f"name a licence that {party!r} holds",
                        )
                elif not _held(s, party) and not _ghost_licence(r, party) and not unsure:
                    r.add(
                        (*base, party_key),
                        f"{party_key} {party!r} holds no production licence",
                        "add a held licence for it under `licences:`, or choose a licensed partner",
                    )
        ended = getattr(o, "until", None)  # contracts and licence umbrellas may end
        if r.usable("as_of") and ended is not None and ended <= s.as_of:
            r.add(
                (*base, "until"),
                f"the agreement ends on {ended}, on or before as_of {s.as_of}",
                "drop the offer, or model a renewal as a new offer with its own lead time",
            )
        if isinstance(o, ContractManufacturing) and r.usable("as_of", "horizon"):
            years_outside(r, (*base, "capacity"), o.capacity, s.as_of.year, s.horizon, "capacity")
        if isinstance(o, ContractManufacturing) and need_plant((*base, "plant"), o.plant):
            op = plants[o.plant].operator
            # An unknown host or operator is reported already: comparing them says nothing.
            if (
                o.host in companies
                and op in companies
                and op != o.host
                and _parent_of(s, op) != o.host
            ):
                r.add(
                    (*base, "plant"),
                    f"plant {o.plant!r} is run by {op!r}, not by host {o.host!r}",
                    "contract manufacturing uses the host's own plant",
                )
        if (
            isinstance(o, ContractManufacturing | LicenceUmbrella)
            and o.badge_waiver_fee is not None
            and o.badge.value == "own"
        ):
            r.add(
                (*base, "badge_waiver_fee"),
                "a waiver fee is given but the terms already allow the buyer's own badge",
                "drop `badge_waiver_fee:` or set `badge: host`",
            )
        if isinstance(o, LicenceUmbrella):
            for j, pid in enumerate(o.plants):
                need_plant((*base, "plants", j), pid)
        if (
            isinstance(o, AcquireCompany)
            and need_company((*base, "target"), o.target)
            and o.target == o.to
        ):
            r.add((*base, "target"), "a company cannot buy itself", "name another target")
        if isinstance(o, PlantStake):
            need_plant((*base, "plant"), o.plant)
        if isinstance(o, BuildPlant) and (o.module_capacity is None) != (o.max_modules == 0):
            r.add(
                (*base, "max_modules" if o.module_capacity is not None else "module_capacity"),
                "modules need both `module_capacity` and `max_modules` > 0",
                "give both, or neither",
            )
        if isinstance(o, BuildPlant) and need_plant((*base, "plant"), o.plant):
            p = plants[o.plant]
            if p.status is not PlantStatus.PLANNED:
                r.add(
                    (*base, "plant"),
                    f"plant {o.plant!r} is {p.status.value}, not planned",
                    "build offers refer to plants with `status: planned`",
                )
            if p.operator != o.to and p.operator in companies and o.to in companies:
                r.add(
                    (*base, "plant"),
                    f"plant {o.plant!r} would be run by {p.operator!r}, not by {o.to!r}",
                    "set the planned plant's operator to the builder",
                )
        if isinstance(o, ApplyLicence) and o.scope in {
            lic.scope
            for lic in s.licences
            if lic.holder == o.to and lic.status is LicenceStatus.HELD
        }:
            r.add(
                (*base, "scope"),
                f"{o.to!r} already holds a {o.scope} licence",
                "remove the offer or change its scope",
            )


def _ghost_licence(r: Report, company: str) -> bool:
    """Whether a licence that failed the schema (already reported) names ``company``."""
    return any(
        isinstance(g, dict) and g.get("holder") == company for g in r.ghosts("licences").values()
    )


def _affiliates(s: Scenario) -> dict[str, set[str]]:
    """Each company and every company whose parent chain leads to it (as the rules engine)."""
    children: dict[str, list[str]] = {}
    for c in s.companies:
        if c.parent is not None:
            children.setdefault(c.parent, []).append(c.id)
    out: dict[str, set[str]] = {}
    for c in s.companies:
        group, todo = {c.id}, [c.id]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in group:  # parent cycles are reported elsewhere
                    group.add(child)
                    todo.append(child)
        out[c.id] = group
    return out


def check_offer_targets(s: Scenario, r: Report) -> None:
    """Stakes and licence umbrellas must concern plants that can give the buyer a route.

    A stake in a plant the buyer (or a subsidiary) already runs buys nothing: the rules
    engine offers that plant as the buyer's own. (A stake in a *planned* plant of its own
    is left alone: it is a route the engine models, waiting for the construction.) An
    umbrella covers only plants the buyer runs, stakes or builds (the rules engine pairs
    it with no other), so one that names none of those silently gives no route.
    """
    plants = {p.id: p for p in s.plants}
    groups = _affiliates(s)
    for i, o in enumerate(s.offers):
        if o.to not in groups:
            continue  # reported by check_offers
        mine = groups[o.to]
        if isinstance(o, PlantStake) and o.plant in plants:
            op = plants[o.plant].operator
            if op in mine and plants[o.plant].status is not PlantStatus.PLANNED:
                r.add(
                    ("offers", i, "plant"),
                    f"plant {o.plant!r} is run by {op!r}, the buyer's own: a stake in it buys nothing",
                    "drop the offer, since own plants are used directly; or name another company's "
                    "plant",
                )
        if isinstance(o, LicenceUmbrella):
            usable = _umbrella_plants(s, r, mine)
            # An operator that is unknown, or offers that failed the schema (a stake among
            # them, perhaps), are reported already: no follow-on guess about this plant.
            unsure = bool(r.ghosts("offers")) or "offers" in r.damage.kept
            companies = {c.id for c in s.companies}
            for j, pid in enumerate(o.plants):
                if unsure or (pid in plants and plants[pid].operator not in companies):
                    continue
                if pid in plants and pid not in usable:
                    r.add(
                        ("offers", i, "plants", j),
                        f"plant {pid!r}, run by {plants[pid].operator!r}, is not one that "
                        f"{o.to!r} runs, stakes or builds, so the umbrella gives it no route",
                        "list the buyer's own plants, or add a `plant_stake` or `build_plant` "
                        "offer for this plant",
                    )


def _umbrella_plants(s: Scenario, r: Report, mine: set[str]) -> set[str]:
    """Plants an umbrella taken by ``mine`` can cover: run (not planned), staked or built."""
    out = {p.id for p in s.plants if p.operator in mine and p.status is not PlantStatus.PLANNED}
    out |= {o.plant for o in s.offers if isinstance(o, PlantStake | BuildPlant) and o.to in mine}
    # Offers that failed the schema are reported already; do not add a second problem.
    out |= {
        str(g.get("plant"))
        for g in r.ghosts("offers").values()
        if isinstance(g, dict) and g.get("kind") in ("plant_stake", "build_plant")
    }
    return out


def _parent_of(s: Scenario, cid: str) -> str | None:
    for c in s.companies:
        if c.id == cid:
            return c.parent
    return None
