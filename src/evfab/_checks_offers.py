"""The offer checks: known parties, plants and licences; hosts and partners hold a licence."""

from __future__ import annotations

from evfab._check_report import Path, Report, ids, suggest
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

    def need_company(path: Path, cid: str) -> bool:
        if cid not in companies:
            r.add(path, f"unknown company {cid!r}", suggest(cid, companies, "companies"))
            return False
        return True

    def need_plant(path: Path, pid: str) -> bool:
        if pid not in plants:
            r.add(path, f"unknown plant {pid!r}", suggest(pid, set(plants), "plants"))
            return False
        return True

    for i, o in enumerate(s.offers):
        base = ("offers", i)
        need_company((*base, "to"), o.to)
        for j, x in enumerate(o.excludes):
            if x not in offers:
                r.add((*base, "excludes", j), f"unknown offer {x!r}", suggest(x, offers, "offers"))
            elif x == o.id:
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
                    if lic is None:
                        r.add(
                            (*base, "licence"),
                            f"unknown licence {o.licence!r}",
                            suggest(o.licence, set(licences), "licences"),
                        )
                    elif lic.holder != party or lic.status is not LicenceStatus.HELD:
                        r.add(
                            (*base, "licence"),
                            f"licence {o.licence!r} is not held by {party_key} {party!r}",
                            f"name a licence that {party!r} holds",
                        )
                elif not _held(s, party):
                    r.add(
                        (*base, party_key),
                        f"{party_key} {party!r} holds no production licence",
                        "add a held licence for it under `licences:`, or choose a licensed partner",
                    )
        ended = getattr(o, "until", None)  # contracts and licence umbrellas may end
        if ended is not None and ended <= s.as_of:
            r.add(
                (*base, "until"),
                f"the agreement ends on {ended}, on or before as_of {s.as_of}",
                "drop the offer, or model a renewal as a new offer with its own lead time",
            )
        if isinstance(o, ContractManufacturing):
            for year in o.capacity:
                if not s.as_of.year <= year <= s.horizon:
                    r.add(
                        (*base, "capacity", str(year)),
                        f"year {year} is outside {s.as_of.year}-{s.horizon}",
                        "keep capacity years within the scenario",
                    )
        if isinstance(o, ContractManufacturing) and need_plant((*base, "plant"), o.plant):
            op = plants[o.plant].operator
            if op != o.host and _parent_of(s, op) != o.host:
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
            if p.operator != o.to:
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


def _parent_of(s: Scenario, cid: str) -> str | None:
    for c in s.companies:
        if c.id == cid:
            return c.parent
    return None
