"""Second validation stage: cross-references and business rules.

Each ``check_*`` function looks at one kind of problem and reports every occurrence
through :class:`~evfab._check_report.Report`, with a hint saying how to fix it. The
offer checks live in :mod:`evfab._checks_offers`.

The checks also run when the schema stage failed, on the entries that did validate
(see :class:`~evfab._check_report.Damage`): a part of a check that reads a failed value
is skipped (``r.usable``), and so is one that depends on a reference already reported
unknown, so that each mistake is reported once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from pydantic import BaseModel

from evfab._check_report import Damage, Path, Report, fmt, ids, years_outside
from evfab._checks_ghosts import check_ghost_refs
from evfab._checks_offers import check_offer_targets, check_offers
from evfab._checks_scopes import check_scopes
from evfab._errors import Problem
from evfab._scenario import (
    POLICY_RULES,
    BuildPlant,
    CompanyKind,
    LicenceStatus,
    Plant,
    PlantStatus,
    PolicyPeriod,
    Scenario,
    Status,
    _Duration,
)
from evfab._world import add_months, year_fractions
from evfab._yamlsrc import SourceDoc


def check_unique_ids(s: Scenario, r: Report) -> None:
    """Ids must be unique within each collection."""
    for coll in ("sources", "companies", "licences", "plants", "programs", "offers", "history"):
        items = getattr(s, coll)
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.id in seen:
                r.add(
                    (coll, i, "id"),
                    f"duplicate id {item.id!r} (first used at {coll}[{r.index(coll, seen[item.id])}])",
                    "give each entry its own id",
                )
            else:
                seen[item.id] = i


def _cited(s: Scenario) -> Iterable[tuple[Path, str]]:
    for j, sid in enumerate(s.discount_rate_sources):
        yield ("discount_rate_sources", j), sid
    for i, pp in enumerate(s.policy):
        for j, sid in enumerate(pp.sources):
            yield ("policy", i, "sources", j), sid
        for rule, j, sid in _tied(pp):
            yield ("policy", i, "sources_by_rule", rule, j), sid
    for coll in ("companies", "licences", "plants", "programs", "offers", "history"):
        for i, item in enumerate(getattr(s, coll)):
            for j, sid in enumerate(item.sources):
                yield (coll, i, "sources", j), sid


def _tied(pp: PolicyPeriod) -> Iterable[tuple[str, int, str]]:
    """(rule, index, source id) of each source a policy period's ``sources_by_rule`` ties."""
    if pp.sources_by_rule is not None:
        for rule in POLICY_RULES:
            for j, sid in enumerate(getattr(pp.sources_by_rule, rule)):
                yield rule, j, sid


def check_policy_sources(s: Scenario, r: Report) -> None:
    """``sources_by_rule`` ties the period's own sources to rules the period sets."""
    known = ids(s.sources)
    for i, pp in enumerate(s.policy):
        if pp.sources_by_rule is None:
            continue
        for rule in POLICY_RULES:
            if getattr(pp.sources_by_rule, rule) and getattr(pp, rule) is None:
                r.add(
                    ("policy", i, "sources_by_rule", rule),
                    f"the period does not set {rule}",
                    f"set `{rule}:` in this period, or list these sources under a rule it sets",
                )
        mine = set(pp.sources)
        for rule, j, sid in _tied(pp):
            # An undefined id is reported once, by check_sources_defined.
            if sid in known and sid not in mine:
                r.add(
                    ("policy", i, "sources_by_rule", rule, j),
                    f"source {sid!r} is not among the period's sources",
                    "add it to the period's `sources:` too: sources_by_rule only says "
                    "which of them back which rule",
                )


def check_sources_defined(s: Scenario, r: Report) -> None:
    """Every cited source id must be defined under ``sources``."""
    known = ids(s.sources)
    for path, sid in _cited(s):
        r.refer(path, sid, "sources", known)


def check_source_fields(s: Scenario, r: Report) -> None:
    """Assumptions need a reason; other sources need a url or publisher; a url is a web
    address (``not a url`` passed, and `evfab sources` printed it as a link)."""
    for i, src in enumerate(s.sources):
        if src.url is not None and not src.url.strip().lower().startswith(("http://", "https://")):
            r.add(
                ("sources", i, "url"),
                f"url {src.url!r} is not a web address",
                "write the full address, starting with https:// (or http://)",
            )
        if src.status is Status.ASSUMPTION and not src.note.strip():
            r.add(
                ("sources", i, "status"),
                f"assumption {src.id!r} gives no reason",
                "add a one-line `note:` saying why this value was chosen",
            )
        if src.status is not Status.ASSUMPTION and not (src.url or src.publisher):
            r.add(
                ("sources", i),
                f"source {src.id!r} has neither url nor publisher",
                "add `url:` so readers can check the claim, or mark it `status: assumption`",
            )


def check_horizon(s: Scenario, r: Report) -> None:
    """The horizon must not end before the scenario's date.

    If it does, every year checked against the horizon later would be reported as well;
    the horizon is marked bad instead, so this one line stands for all of them.
    """
    if r.usable("as_of", "horizon") and s.horizon < s.as_of.year:
        r.add(
            ("horizon",),
            f"horizon {s.horizon} is before as_of {s.as_of}",
            "set horizon to a later year",
        )
        r.spoil("horizon")


def check_policy_order(s: Scenario, r: Report) -> None:
    """Policy periods must be in date order, without two on one date (but for periods
    limited to scopes that do not overlap: one date's rules for BEV and for ICE makers)."""
    if not r.usable("policy"):
        return
    for i in range(1, len(s.policy)):
        q = s.policy[i]
        a, b = s.policy[i - 1].since, q.since
        same_day = [p for p in s.policy[:i] if p.since == b]
        apart = q.scopes is not None and all(
            p.scopes is not None and not set(p.scopes) & set(q.scopes) for p in same_day
        )
        if b < a or (b == a and not apart):
            r.add(
                ("policy", i, "since"),
                f"period starts {b}, not after the previous one ({a})",
                "list policy periods in date order, one per date (or per date and scope, "
                "with `scopes` that do not overlap)",
            )
    if r.usable("as_of") and s.policy and s.policy[0].since > s.as_of:
        r.add(
            ("policy", 0, "since"),
            f"no policy is in force on as_of {s.as_of} (first period starts {s.policy[0].since})",
            "add a period that starts on or before as_of",
        )


def _walk_durations(obj: object, path: Path) -> Iterable[tuple[Path, _Duration]]:
    if isinstance(obj, _Duration):
        yield path, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk_durations(getattr(obj, name), (*path, name))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from _walk_durations(item, (*path, i))


def check_duration_order(s: Scenario, r: Report) -> None:
    """Every duration must satisfy min <= mode <= max."""
    for path, d in _walk_durations(s, ()):
        if not d.min <= d.mode <= d.max:
            r.add(
                path,
                f"duration is out of order: min {d.min:g}, mode {d.mode:g}, max {d.max:g} months",
                "write min <= mode <= max, or a single number for a fixed duration",
            )


def check_company_refs(s: Scenario, r: Report) -> None:
    """Parents and owners must exist; no company may own or parent itself; no parent cycles."""
    known = ids(s.companies)
    parent = {c.id: c.parent for c in s.companies}
    for i, c in enumerate(s.companies):
        if c.parent is not None and r.refer(
            ("companies", i, "parent"), c.parent, "companies", known
        ):
            if c.parent == c.id:
                r.add(
                    ("companies", i, "parent"),
                    f"company {c.id!r} is its own parent",
                    "remove `parent:`",
                )
            else:
                seen, cur = {c.id}, parent.get(c.parent)
                while cur is not None and cur not in seen:
                    seen.add(cur)
                    cur = parent.get(cur)
                if cur == c.id:
                    r.add(
                        ("companies", i, "parent"),
                        f"parent chain of {c.id!r} loops back to it",
                        "break the cycle of `parent:` links",
                    )
        for j, sh in enumerate(c.owners):
            path = ("companies", i, "owners", j, "company")
            if r.refer(path, sh.company, "companies", known) and sh.company == c.id:
                r.add(
                    path,
                    f"company {c.id!r} cannot own itself",
                    "remove this owner",
                )
        if c.kind is CompanyKind.JOINT_VENTURE and len(c.owners) < 2:
            r.add(
                ("companies", i, "owners"),
                f"joint venture {c.id!r} lists {len(c.owners)} owner(s)",
                "list at least two owners with their shares",
            )


def check_ownership_cycles(s: Scenario, r: Report) -> None:
    """Companies must not own each other in a circle (two joint ventures as each other's owners)."""
    owners = {c.id: [sh.company for sh in c.owners if sh.company != c.id] for c in s.companies}
    index = {c.id: i for i, c in enumerate(s.companies)}
    reported: set[frozenset[str]] = set()
    for start in owners:
        # Depth-first from `start` along owner links, looking for a way back to it.
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        seen: set[str] = set()
        while stack:
            cur, chain = stack.pop()
            for nxt in owners.get(cur, []):
                if nxt == start:
                    ring = frozenset(chain)
                    if ring not in reported:
                        reported.add(ring)
                        loop = f"{chain[0]!r} is owned by " + ", which is owned by ".join(
                            repr(c) for c in (*chain[1:], start)
                        )
                        r.add(
                            ("companies", index[start], "owners"),
                            f"companies own each other in a circle: {loop}",
                            "remove one of these owner entries to break the circle",
                        )
                elif nxt not in seen and nxt in owners:
                    seen.add(nxt)
                    stack.append((nxt, (*chain, nxt)))


def _check_shares(r: Report, path: Path, owners: Sequence[object], what: str) -> None:
    total = sum(float(getattr(o, "share", 0.0)) for o in owners)
    if total > 1.0 + 1e-9:
        r.add(
            (*path, "owners"),
            f"owners' shares of {what} add up to {total * 100:.4g} %, over 100 %",
            "shares are fractions of 1; fix them so they sum to at most 1",
        )
    dup = [k for k, n in Counter(str(getattr(o, "company", "")) for o in owners).items() if n > 1]
    for k in dup:
        r.add(
            (*path, "owners"),
            f"owner {k!r} is listed twice in {what}",
            "merge the two entries into one share",
        )


def check_owner_shares(s: Scenario, r: Report) -> None:
    """Owners' shares must sum to at most 100 % and list each owner once."""
    for i, c in enumerate(s.companies):
        _check_shares(r, ("companies", i), c.owners, repr(c.id))
    for i, p in enumerate(s.plants):
        _check_shares(r, ("plants", i), p.owners, repr(p.id))


def check_licences(s: Scenario, r: Report) -> None:
    """Licence holders must exist; only applications have a date, on or before as_of."""
    known = ids(s.companies)
    dated = r.usable("as_of")
    for i, lic in enumerate(s.licences):
        r.refer(("licences", i, "holder"), lic.holder, "companies", known)
        if lic.status is LicenceStatus.HELD and lic.applied_on is not None:
            r.add(
                ("licences", i, "applied_on"),
                f"licence {lic.id!r} is held, but has an application date",
                "remove `applied_on:`, or set `status: applied` if it is still under review",
            )
        if lic.status is LicenceStatus.APPLIED and lic.applied_on is None:
            r.add(
                ("licences", i, "status"),
                f"licence {lic.id!r} is applied for but has no `applied_on` date",
                "add `applied_on: YYYY-MM-DD`",
            )
        if dated and lic.applied_on is not None and lic.applied_on > s.as_of:
            r.add(
                ("licences", i, "applied_on"),
                f"application date {lic.applied_on} is after as_of {s.as_of}",
                "an application after as_of is an `apply_licence` offer, not a licence",
            )
        if lic.dormant_since is not None and lic.status is not LicenceStatus.HELD:
            r.add(
                ("licences", i, "dormant_since"),
                "only a held licence can be dormant",
                "remove `dormant_since:` or set `status: held`",
            )
        if dated and lic.dormant_since is not None and lic.dormant_since > s.as_of:
            r.add(
                ("licences", i, "dormant_since"),
                f"dormant since {lic.dormant_since}, after as_of {s.as_of}",
                "use a date on or before as_of",
            )


def check_plants(s: Scenario, r: Report) -> None:
    """Plants: known operator and owners, coherent phases and dates, committed load within capacity.

    A year's committed load must fit both the plant's full capacity and the capacity its
    phases give that year: a phase counts from its ready date, prorated by the days left
    in its first year, as the rules engine counts it when it nets the load off.
    """
    known = ids(s.companies)
    built = {o.plant for o in s.offers if isinstance(o, BuildPlant)}
    # An offer that failed the schema may still be the build offer: it is reported already.
    built |= {
        str(o.get("plant"))
        for o in r.ghosts("offers").values()
        if isinstance(o, dict) and o.get("kind") == "build_plant"
    }
    dated = r.usable("as_of")
    for i, p in enumerate(s.plants):
        base = ("plants", i)
        r.refer((*base, "operator"), p.operator, "companies", known)
        for j, sh in enumerate(p.owners):
            r.refer((*base, "owners", j, "company"), sh.company, "companies", known)
        if (
            dated
            and p.opened is not None
            and p.opened > s.as_of
            and p.status in (PlantStatus.OPERATING, PlantStatus.IDLE)
        ):
            r.add(
                (*base, "opened"),
                f"plant is {p.status.value} but opens {p.opened}, after as_of {s.as_of}",
                "set status to under_construction or planned, or fix the date",
            )
        if (
            dated
            and p.opened is not None
            and p.opened <= s.as_of
            and p.status in (PlantStatus.UNDER_CONSTRUCTION, PlantStatus.PLANNED)
        ):
            r.add(
                (*base, "opened"),
                f"plant is {p.status.value} but opened {p.opened}, on or before as_of {s.as_of}",
                "set `status: operating` or `idle`, or give the future opening date, or remove "
                "`opened:`",
            )
        if p.status is PlantStatus.PLANNED and p.id not in built:
            r.add(
                (*base, "status"),
                f"planned plant {p.id!r} has no build_plant offer",
                "add an offer `kind: build_plant` for it, or change its status",
            )
        for j, ph in enumerate(p.phases):
            pp = (*base, "phases", j)
            if (ph.ready is None) == (ph.months is None):
                r.add(
                    pp,
                    "phase needs exactly one of `ready` (a date) or `months` (build time)",
                    "use `ready:` for existing plants, `months:` for plants built through an offer",
                )
                continue
            if (
                ph.months is not None
                and p.status is not PlantStatus.PLANNED
                and p.construction_start is None
            ):
                r.add(
                    (*pp, "months"),
                    "build time given but the plant has no `construction_start`",
                    "add `construction_start:` or give the phase a `ready:` date",
                )
            if ph.ready is not None and p.opened is not None and ph.ready < p.opened:
                r.add(
                    (*pp, "ready"),
                    f"phase ready {ph.ready}, before the plant opened ({p.opened})",
                    "a phase cannot be ready before the plant opens",
                )
            if (
                ph.ready is not None
                and p.construction_start is not None
                and ph.ready < p.construction_start
            ):
                r.add(
                    (*pp, "ready"),
                    f"phase ready {ph.ready}, before construction started ({p.construction_start})",
                    "fix the dates",
                )
            if ph.ready is not None and p.status is PlantStatus.PLANNED:
                r.add(
                    (*pp, "ready"),
                    "a planned plant's phases need `months` after the build decision, not a date",
                    "replace `ready:` with `months:`",
                )
        total = sum(ph.capacity for ph in p.phases)
        years = r.usable("as_of", "horizon")
        if years:
            years_outside(
                r, (*base, "committed"), p.committed, s.as_of.year, s.horizon, "committed"
            )
        ready = _ready_capacity(p)
        for year, load in p.committed.items():
            if years and not s.as_of.year <= year <= s.horizon:
                continue
            if load > total:
                r.add(
                    (*base, "committed", str(year)),
                    f"committed load {fmt(load)} exceeds the plant's capacity of {fmt(total)}/year",
                    "lower the load or add a phase",
                )
            elif ready is not None and load > ready(year) + 1e-6:
                r.add(
                    (*base, "committed", str(year)),
                    f"committed load {fmt(load)} in {year} exceeds the {fmt(ready(year))} cars "
                    "the plant's phases give that year (each counted from its ready date, "
                    "prorated by the days left in its first year)",
                    "lower that year's load, or date the phase that carries it earlier",
                )


def _ready_capacity(p: Plant) -> Callable[[int], float] | None:
    """Capacity of plant ``p`` by year, each phase counted from its ready date and prorated
    in its first year, as the rules engine counts it (:func:`evfab._world.year_fractions`).

    A phase given by build months counts from its nominal date (the construction start plus
    the mode). None when the dates are not known: a planned plant, whose phases start with
    a build decision, or a phase without a usable date (reported by :func:`check_plants`).
    """
    if p.status is PlantStatus.PLANNED:
        return None
    dated: list[tuple[int, dt.date]] = []
    for ph in p.phases:
        if ph.ready is not None and ph.months is None:
            dated.append((ph.capacity, ph.ready))
        elif ph.months is not None and ph.ready is None and p.construction_start is not None:
            dated.append((ph.capacity, add_months(p.construction_start, ph.months.mode)))
        else:
            return None

    def ready(year: int) -> float:
        one = np.array([year])
        return sum(cap * float(year_fractions(when, one)[0]) for cap, when in dated)

    return ready


def check_programs(s: Scenario, r: Report) -> None:
    """Programs: known company and plants, SOP within the horizon, demand years in the scenario."""
    known = ids(s.companies)
    plants = ids(s.plants)
    for i, g in enumerate(s.programs):
        base = ("programs", i)
        r.refer((*base, "company"), g.company, "companies", known)
        if r.usable("horizon") and g.target_sop.year > s.horizon:
            r.add(
                (*base, "target_sop"),
                f"target SOP {g.target_sop} is after the horizon ({s.horizon})",
                "extend `horizon:` or move the SOP",
            )
        if r.usable("as_of", "horizon"):
            years_outside(r, (*base, "demand"), g.demand, s.as_of.year, s.horizon, "demand")
        for pid in g.logistics:
            r.refer((*base, "logistics", pid), pid, "plants", plants)


def check_history(s: Scenario, r: Report) -> None:
    """Observed cases: known company, end not before start, sources cited.

    A case may end after ``as_of``: a historical scenario may record how a step it
    describes ended later (calibration uses the whole record).
    """
    known = ids(s.companies)
    for i, c in enumerate(s.history):
        r.refer(("history", i, "company"), c.company, "companies", known)
        if c.end is not None and c.end < c.start:
            r.add(
                ("history", i, "end"),
                f"case ends {c.end}, before it starts ({c.start})",
                "fix the dates",
            )
        if not c.sources:
            r.add(
                ("history", i),
                f"case {c.id!r} cites no source",
                "add `sources:` for its start and end dates",
            )


CHECKS: tuple[Callable[[Scenario, Report], None], ...] = (
    check_unique_ids,
    check_sources_defined,
    check_source_fields,
    check_horizon,
    check_policy_order,
    check_policy_sources,
    check_duration_order,
    check_company_refs,
    check_ownership_cycles,
    check_owner_shares,
    check_licences,
    check_plants,
    check_programs,
    check_scopes,
    check_offers,
    check_offer_targets,
    check_history,
    check_ghost_refs,
)
"""Every business check, run in this order; all run even when earlier ones fail."""


def run_checks(s: Scenario, doc: SourceDoc, damage: Damage | None = None) -> list[Problem]:
    """Run every check and return the problems found.

    Args:
        s: A schema-valid scenario, or what validated of an invalid one.
        doc: The document it was read from, for line numbers.
        damage: What failed the schema, if anything; the checks work around it.

    Returns:
        All problems, possibly empty.
    """
    report = Report(doc, damage or Damage())
    for check in CHECKS:
        check(s, report)
    return report.problems
