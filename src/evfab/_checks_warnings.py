"""Warnings: what a valid scenario says that its author almost certainly did not mean.

A scenario that loads without a problem may still build nothing where it meant to (a
program whose demand is zero every year), rest on nothing (an entry that cites no
source, where the project's rule is that every figure cites one or is marked an
assumption), or carry text that says nothing (``note: .``). Each ``warn_*`` function
looks at one such thing, cheaply and from the loaded data alone (no rules engine), and
reports it located ``file:line: key.path`` through the checks'
:class:`~evfab._check_report.Report`. A warning must be sure: one that could fire on a
legitimate modelling choice does not belong here.

Warnings are collected only for a scenario without problems (:func:`load_checked`);
``evfab validate`` prints them, ``--strict`` makes them problems, and the commands that
load a scenario for work say how many there are on stderr.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel

from evfab._check_report import Report
from evfab._checks import _cited
from evfab._checks_offers import _affiliates
from evfab._checks_scopes import idle_scope
from evfab._errors import ScenarioWarning
from evfab._load import read_doc, validate_doc
from evfab._policy import scopes_in_use
from evfab._scenario import (
    AcquireCompany,
    ApplyLicence,
    ContractManufacturing,
    LicenceStatus,
    LicenceUmbrella,
    PlantStake,
    PlantStatus,
    Scenario,
)
from evfab._yamlsrc import SourceDoc

_ENTRIES = {
    "companies": "company",
    "licences": "licence",
    "plants": "plant",
    "programs": "program",
    "offers": "offer",
}
"""Collections whose entries should cite sources, and how a message names an entry."""

_TEXTS: dict[str, tuple[str, ...]] = {
    "sources": ("publisher", "note"),
    "policy": ("name",),
    "companies": ("name",),
    "plants": ("name", "location"),
    "programs": ("name",),
    "offers": ("note",),
    "history": ("note",),
}
"""Free-text fields of each collection's entries (the scenario's own: ``title``)."""


def warn_no_demand(s: Scenario, r: Report) -> None:
    """A program whose demand is empty, or zero in every year: the planner builds nothing
    for it (and the risk engine samples no cars)."""
    first, last = s.as_of.year, s.horizon
    when = _years(first, last)
    for i, g in enumerate(s.programs):
        if any(g.demand.get(y, 0) for y in range(first, last + 1)):
            continue
        written = "demand" in g.model_fields_set
        said = "0 in every year" if g.demand else "empty"
        r.add(
            ("programs", i, "demand") if written else ("programs", i),
            f"program {g.id!r} wants no cars in {when} (its demand is {said}), so "
            "the planner builds nothing for it",
            "give the cars wanted by year, e.g. `demand: {2025: 50000, 2026: 80000}`",
        )


def _years(first: int, last: int) -> str:
    """``2022-2026``, or ``2026`` for a scenario of one year."""
    return str(first) if first == last else f"{first}-{last}"


def warn_no_sources(s: Scenario, r: Report) -> None:
    """A policy period, company, licence, plant, program or offer that cites no source:
    every figure cites one, or an ``assumption`` saying why it was chosen. (An observed
    case without sources is a problem, not a warning: calibration rests on its dates.)"""
    hint = (
        "add `sources:` with the ids behind it; for a modeller's choice, cite an "
        "`assumption` source that gives the reason"
    )
    for i, p in enumerate(s.policy):
        if not p.sources:
            named = f" ({p.name.strip()})" if _says_nothing(p.name) is None else ""
            r.add(("policy", i), f"policy period from {p.since}{named} cites no source", hint)
    for coll, what in _ENTRIES.items():
        for i, item in enumerate(getattr(s, coll)):
            if not item.sources:
                r.add((coll, i), f"{what} {item.id!r} cites no source", hint)


def warn_uncited_sources(s: Scenario, r: Report) -> None:
    """A source that nothing cites: most likely a citation forgotten on the entry it backs
    (it backs no route, plan or figure, and ``evfab sources`` of no entry lists it)."""
    cited = {sid for _, sid in _cited(s)}  # every citation, as the source-id check reads them
    for i, src in enumerate(s.sources):
        if src.id not in cited:
            r.add(
                ("sources", i),
                f"source {src.id!r} is defined but nothing cites it",
                "cite it under `sources:` of the entries it backs, or remove it",
            )


def _says_nothing(text: str) -> str | None:
    """How a free text says nothing (``is empty``, ``is only punctuation ('.')``), or None."""
    stripped = text.strip()
    if not stripped:
        return "is empty"
    if not any(ch.isalnum() for ch in stripped):
        return f"is only punctuation ({stripped!r})"
    return None


def _text_hint(coll: str, field: str) -> str:
    if field == "note" and coll == "sources":
        return (
            "say what the source states, or for an assumption why the value was chosen; or "
            "remove `note:`"
        )
    if field == "name" and coll == "companies":
        return "write the company's name: it is shown in tables and on badges"
    if field == "name" and coll != "policy":
        return "write the name shown in tables"
    return f"write it, or remove `{field}:`"


def warn_blank_text(s: Scenario, r: Report) -> None:
    """A free-text field written in the file as empty or only punctuation (``note: .``):
    a name shown blank in every table (a company's on its badges too), or a reason that
    gives none (an assumption's ``note: .`` passes the check that it has one)."""
    texts: list[tuple[tuple[str | int, ...], BaseModel, str]] = [((), s, "title")]
    for coll, fields in _TEXTS.items():
        for i, item in enumerate(getattr(s, coll)):
            texts += [((coll, i), item, f) for f in fields]
    for base, model, field in texts:
        value = getattr(model, field)
        if field not in model.model_fields_set or not isinstance(value, str):
            continue  # unset: the default (empty) is no one's slip
        said = _says_nothing(value)
        if said is not None:
            coll = str(base[0]) if base else ""
            r.add((*base, field), f"{field} {said}", _text_hint(coll, field))


def _above(s: Scenario) -> dict[str, set[str]]:
    """Each company and the groups above it (its parent chain): whose programs may take an
    offer made to it (the rules engine gives a program its company's and its subsidiaries'
    offers)."""
    parent = {c.id: c.parent for c in s.companies}
    out: dict[str, set[str]] = {}
    for c in s.companies:
        chain, cur = {c.id}, c.parent
        while cur is not None and cur not in chain:  # parent cycles are problems, not here
            chain.add(cur)
            cur = parent.get(cur)
        out[c.id] = chain
    return out


def warn_dead_offers(s: Scenario, r: Report) -> None:
    """Offers that no route can use, seen from the loaded data alone.

    A program takes the offers made to its company or to a subsidiary of it, so an offer
    made to a company that has no program, nor any group above it, is taken by none. An
    application for a scope that none of those programs needs gives none of them a
    licence; buying a company that brings neither a held licence of such a scope nor a
    plant other than a planned one (the rules engine passes on neither) gives nothing; a stake whose ``capacity_share`` is 0, or a
    contract whose capacity is 0 in every year, builds no car.
    """
    above = _above(s)
    below = _affiliates(s)
    scopes: dict[str, set[str]] = {}
    for g in s.programs:
        scopes.setdefault(g.company, set()).add(g.scope)
    years = range(s.as_of.year, s.horizon + 1)
    for i, o in enumerate(s.offers):
        base = ("offers", i)
        needed = set().union(*(scopes.get(c, set()) for c in above.get(o.to, {o.to})))
        if not needed:
            r.add(
                (*base, "to"),
                f"offer {o.id!r} is made to {o.to!r}, which has no program (nor has a group "
                "above it), so no route takes it",
                "make it to the company whose program would use it, or add that program",
            )
            continue
        if isinstance(o, ApplyLicence) and o.scope not in needed:
            r.add(
                (*base, "scope") if "scope" in o.model_fields_set else base,
                f"no program of {o.to!r} (or of a group above it) needs scope {o.scope!r}, so "
                "the licence applied for builds nothing",
                f"apply for a scope its programs need: {_listed(needed)}",
            )
        if isinstance(o, AcquireCompany) and o.target in below:
            bought = below[o.target]
            licensed = any(
                lic.holder in bought and lic.status is LicenceStatus.HELD and lic.scope in needed
                for lic in s.licences
            )
            built = any(
                p.operator in bought and p.status is not PlantStatus.PLANNED for p in s.plants
            )
            if not licensed and not built:
                r.add(
                    (*base, "target"),
                    f"buying {o.target!r} brings no plant, and no held licence of a scope the "
                    f"programs of {o.to!r} need ({_listed(needed)}), so no route uses it",
                    "name the company that holds the licence or runs the plant, or drop the offer",
                )
        if isinstance(o, ContractManufacturing | LicenceUmbrella):
            party = o.host if isinstance(o, ContractManufacturing) else o.partner
            # The partner's named licence, or its held licences of a program's scope.
            lent = {
                lic.scope
                for lic in s.licences
                if (lic.id == o.licence)
                or (o.licence is None and lic.holder == party and lic.status is LicenceStatus.HELD)
            }
            if not lent & needed:
                r.add(
                    (*base, "licence") if o.licence is not None else base,
                    f"{party!r} holds no licence of a scope the programs of {o.to!r} need "
                    f"({_listed(needed)}), so no route builds under offer {o.id!r}",
                    f"give {party!r} a held licence of that scope, or name one in `licence:`",
                )
        if isinstance(o, PlantStake) and o.capacity_share == 0:
            r.add(
                (*base, "capacity_share"),
                f"capacity_share 0: the stake gives {o.to!r} none of the capacity of plant "
                f"{o.plant!r}, so its routes build no car",
                "give the share of the plant's free capacity the buyer may use, or leave it unset "
                "for `share`",
            )
        if (
            isinstance(o, ContractManufacturing)
            and o.capacity
            and all(o.capacity.get(y) == 0 for y in years)
        ):
            r.add(
                (*base, "capacity"),
                f"the host builds no car under offer {o.id!r}: its capacity is 0 in every year "
                f"({_years(years[0], years[-1])})",
                "give the cars the host will build each year, or leave `capacity:` unset for "
                "the plant's",
            )


def _listed(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in sorted(names))


def warn_idle_scopes(s: Scenario, r: Report) -> None:
    """A policy period limited to a scope no licence, application or program has: its
    rules bear on nothing (``BEV_passenger``, ``bev``: not one slip from a scope in use,
    so no problem said so)."""
    known = scopes_in_use(s)
    for i, p in enumerate(s.policy):
        for j, scope in enumerate(p.scopes or ()):
            if scope not in known:
                r.add(
                    ("policy", i, "scopes", j),
                    idle_scope(scope),
                    f"scopes in use: {_listed(known)}",
                )


def warn_nothing_lost(s: Scenario, r: Report) -> None:
    """A program whose unmet cars cost nothing and need not be met (no ``lost_margin``, no
    ``min_fill``): the planner builds none of them if building costs anything."""
    for i, g in enumerate(s.programs):
        wanted = any(n for y, n in g.demand.items() if s.as_of.year <= y <= s.horizon)
        if g.lost_margin == 0 and g.min_fill == 0 and wanted:
            r.add(
                ("programs", i),
                f"program {g.id!r} loses nothing when its cars are not built (lost_margin 0, "
                "min_fill 0), so the planner builds none of them unless they cost nothing",
                "give the margin lost per car not built (`lost_margin:`), or the share of "
                "demand that must be met (`min_fill:`)",
            )


def warn_late_policy(s: Scenario, r: Report) -> None:
    """A policy period that starts after the horizon: its rules never apply."""
    for i, p in enumerate(s.policy):
        if p.since.year > s.horizon:
            r.add(
                ("policy", i, "since"),
                f"period starts {p.since}, after the horizon ({s.horizon}), so its rules "
                "never apply",
                "fix the date, or extend `horizon:`",
            )


WARNINGS: tuple[Callable[[Scenario, Report], None], ...] = (
    warn_no_demand,
    warn_no_sources,
    warn_uncited_sources,
    warn_blank_text,
    warn_dead_offers,
    warn_idle_scopes,
    warn_nothing_lost,
    warn_late_policy,
)
"""Every warning check, run in this order on a scenario without problems."""


def run_warnings(s: Scenario, doc: SourceDoc) -> list[ScenarioWarning]:
    """Run every warning check on a valid scenario.

    Args:
        s: A scenario that loaded without problems.
        doc: The document it was read from, for line numbers.

    Returns:
        The warnings, in file order (possibly none).
    """
    report = Report(doc)
    for check in WARNINGS:
        check(s, report)
    found = [ScenarioWarning(p.file, p.line, p.path, p.message, p.hint) for p in report.problems]
    return sorted(found, key=lambda w: (w.file, w.line, w.path, w.message))


def load_checked(path: str | Path) -> tuple[Scenario, list[ScenarioWarning]]:
    """Load a scenario file (or a bundled scenario, by name) and collect its warnings.

    Args:
        path: A YAML file, or a bundled scenario's name.

    Returns:
        The validated scenario and its warnings.

    Raises:
        ScenarioError: With every problem found, each located file:line.
    """
    doc = read_doc(path)
    s = validate_doc(doc)
    return s, run_warnings(s, doc)


def warnings_of(path: str | Path) -> list[ScenarioWarning]:
    """The warnings of a valid scenario: what it says that was almost certainly not meant.

    Args:
        path: A YAML file, or a bundled scenario's name.

    Returns:
        Each warning located like a problem (``file``, ``line``, ``path``, ``message``,
        ``hint``), in file order; none for the bundled scenarios.

    Raises:
        ScenarioError: If the scenario has problems (warnings are of valid scenarios).
    """
    return load_checked(path)[1]


__all__ = ["WARNINGS", "load_checked", "run_warnings", "warnings_of"]
