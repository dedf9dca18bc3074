"""Warnings: valid input that was almost certainly not meant, located like problems.

Each case is a small mutation of ``SOURCED`` (``MINIMAL`` with a source on every entry,
so that it has no warning); the expected line is read off the mutated text.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evfab
from conftest import MINIMAL, mutate
from evfab._checks_warnings import WARNINGS, load_checked, run_warnings
from evfab._load import validate_doc
from evfab._yamlsrc import parse_yaml

POLICY_END = "    badge_names_manufacturer: true\n    sources: [s1]\n"
"""The last lines of MINIMAL's policy period."""

SOURCED = mutate(
    MINIMAL,
    ("kind: newcomer}", "kind: newcomer, sources: [a1]}"),
    ("kind: automaker}", "kind: automaker, sources: [s1]}"),
    ("    unit_cost: 100\n", "    unit_cost: 100\n    sources: [s1]\n"),
    ("    lost_margin: 50\n", "    lost_margin: 50\n    sources: [a1]\n"),
)
"""MINIMAL with every entry citing a source: valid, and without a warning."""

OFFER_END = "    sources: [a1]\n"
"""The last line of SOURCED (its offer's sources), after which a test adds entries."""


def warnings_of_text(text: str) -> list[evfab.ScenarioWarning]:
    doc = parse_yaml(text, "x.yaml", strict=False)
    return run_warnings(validate_doc(doc), doc)


def line_of(text: str, needle: str) -> int:
    """1-based line of the one line of ``text`` that contains ``needle``."""
    found = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


def add_offer(text: str, flow: str) -> str:
    """``text`` with one more offer (a flow mapping) at the end."""
    assert text.endswith((OFFER_END, "}\n"))
    return text + f"  - {flow}\n"


def add_company(text: str, flow: str) -> str:
    old = "  - {id: oldco, name: OldCo, kind: automaker, sources: [s1]}\n"
    return mutate(text, (old, f"{old}  - {flow}\n"))


def test_the_sourced_base_and_the_bundled_scenarios_have_no_warning() -> None:
    assert warnings_of_text(SOURCED) == []
    for name in sorted(evfab.bundled()):
        assert evfab.warnings_of(name) == [], name


def test_every_warning_check_is_listed_once() -> None:
    import evfab._checks_warnings as mod

    defined = {n for n in dir(mod) if n.startswith("warn_")}
    assert {f.__name__ for f in WARNINGS} == defined and len(WARNINGS) == len(defined)


def test_each_entry_without_sources_is_warned_of_on_its_line() -> None:
    found = warnings_of_text(MINIMAL)
    assert [(w.line, w.path, w.message) for w in found] == [
        (15, "companies[0]", "company 'newco' cites no source"),
        (16, "companies[1]", "company 'oldco' cites no source"),
        (20, "plants[0]", "plant 'old-plant' cites no source"),
        (30, "programs[0]", "program 'newcar' cites no source"),
    ]
    assert all(w.file == "x.yaml" and "assumption" in w.hint for w in found)


CASES = [
    # (mutations of SOURCED, path, the line's text, message)
    pytest.param(
        [("demand: {2023: 10000, 2024: 50000}", "demand: {2023: 0, 2025: 0}")],
        "programs[0].demand",
        "demand:",
        "program 'newcar' wants no cars in 2022-2026 (its demand is 0 in every year), so the "
        "planner builds nothing for it",
        id="demand-zero",
    ),
    pytest.param(
        [("    demand: {2023: 10000, 2024: 50000}\n", "")],
        "programs[0]",
        "- id: newcar",
        "program 'newcar' wants no cars in 2022-2026 (its demand is empty), so the planner "
        "builds nothing for it",
        id="demand-unset",
    ),
    pytest.param(
        [("demand: {2023: 10000, 2024: 50000}", "demand: {}")],
        "programs[0].demand",
        "demand:",
        "program 'newcar' wants no cars in 2022-2026 (its demand is empty), so the planner "
        "builds nothing for it",
        id="demand-empty",
    ),
    pytest.param(
        [(POLICY_END, "    badge_names_manufacturer: true\n    name: Order 1\n")],
        "policy[0]",
        "- since: 2015-01-01",
        "policy period from 2015-01-01 (Order 1) cites no source",
        id="policy-without-sources",
    ),
    pytest.param(
        [("status: held, sources: [s1]}", "status: held}")],
        "licences[0]",
        "oldco-bev",
        "licence 'oldco-bev' cites no source",
        id="licence-without-sources",
    ),
    pytest.param(
        [("    lead_months: 6\n    sources: [a1]\n", "    lead_months: 6\n")],
        "offers[0]",
        "- id: cm",
        "offer 'cm' cites no source",
        id="offer-without-sources",
    ),
    pytest.param(
        [("  - {id: a1,", "  - {id: spare, status: assumption, note: unused}\n  - {id: a1,")],
        "sources[1]",
        "id: spare",
        "source 'spare' is defined but nothing cites it",
        id="uncited-source",
    ),
    pytest.param(
        [("note: made up for tests}", "note: .}")],
        "sources[1].note",
        "id: a1",
        "note is only punctuation ('.')",
        id="assumption-note-a-dot",
    ),
    pytest.param(
        [("url: https://example.org/a}", "url: https://example.org/a, publisher: '-'}")],
        "sources[0].publisher",
        "id: s1",
        "publisher is only punctuation ('-')",
        id="publisher-a-dash",
    ),
    pytest.param(
        [("name: OldCo,", "name: '?',")],
        "companies[1].name",
        "name: '?'",
        "name is only punctuation ('?')",
        id="company-name",
    ),
    pytest.param(
        [("    name: Old plant\n", "    name: Old plant\n    location: ''\n")],
        "plants[0].location",
        "location:",
        "location is empty",
        id="plant-location-empty",
    ),
    pytest.param(
        [("    lead_months: 6\n", "    lead_months: 6\n    note: ' -- '\n")],
        "offers[0].note",
        "note: ' -- '",
        "note is only punctuation ('--')",
        id="offer-note",
    ),
    pytest.param(
        [("name: minimal\n", "name: minimal\ntitle: '...'\n")],
        "title",
        "title:",
        "title is only punctuation ('...')",
        id="title",
    ),
    pytest.param(
        [
            (
                POLICY_END,
                POLICY_END + "  - {since: 2027-03-01, new_licences: false, sources: [s1]}\n",
            )
        ],
        "policy[1].since",
        "since: 2027-03-01",
        "period starts 2027-03-01, after the horizon (2026), so its rules never apply",
        id="policy-after-horizon",
    ),
    pytest.param(
        # Not one slip from a scope in use: no problem said so, and the halt bore on nothing.
        [
            (
                POLICY_END,
                POLICY_END + "  - {since: 2023-01-01, scopes: [bev], new_licences: false, "
                "sources: [s1]}\n",
            )
        ],
        "policy[1].scopes[0]",
        "scopes: [bev]",
        "no licence, application or program has scope 'bev', so the period's rules bear on nothing",
        id="policy-scope-idle",
    ),
    pytest.param(
        [("    lost_margin: 50\n", "")],
        "programs[0]",
        "- id: newcar",
        "program 'newcar' loses nothing when its cars are not built (lost_margin 0, min_fill "
        "0), so the planner builds none of them unless they cost nothing",
        id="program-nothing-lost",
    ),
    pytest.param(
        # OldCo's only licence is for BEVs; the program is a PHEV.
        [("    lost_margin: 50\n", "    lost_margin: 50\n    scope: phev_passenger\n")],
        "offers[0]",
        "- id: cm",
        "'oldco' holds no licence of a scope the programs of 'newco' need ('phev_passenger'), "
        "so no route builds under offer 'cm'",
        id="contract-host-without-the-scope",
    ),
]


@pytest.mark.parametrize(("pairs", "path", "where", "message"), CASES)
def test_one_warning_located_on_its_line(
    pairs: list[tuple[str, str]], path: str, where: str, message: str
) -> None:
    text = mutate(SOURCED, *pairs)
    found = warnings_of_text(text)
    assert [(w.path, w.message) for w in found] == [(path, message)]
    assert found[0].line == line_of(text, where)
    assert found[0].hint
    assert str(found[0]).startswith(f"x.yaml:{found[0].line}: {path}: warning: {message} (")


@pytest.mark.parametrize(
    "pairs",
    [
        # Text that says something, in any script, with digits only, or unset.
        [("note: made up for tests}", "note: 5 %}")],
        [("note: made up for tests}", "note: 占位}")],
        [("name: OldCo,", "name: 'X',")],
        # Demand in one year is demand; a period at the horizon's end still applies.
        [("demand: {2023: 10000, 2024: 50000}", "demand: {2023: 0, 2026: 1}")],
        [(POLICY_END, POLICY_END + "  - {since: 2026-12-31, sources: [s1]}\n")],
        # A program that must be met in part, with no margin lost above it.
        [("    lost_margin: 50\n", "    min_fill: 0.5\n")],
        # A source cited only by the discount rate is cited.
        [
            ("horizon: 2026\n", "horizon: 2026\ndiscount_rate_sources: [spare]\n"),
            ("  - {id: a1,", "  - {id: spare, status: assumption, note: a rate}\n  - {id: a1,"),
        ],
    ],
)
def test_no_warning_for_what_is_meant(pairs: list[tuple[str, str]]) -> None:
    assert warnings_of_text(mutate(SOURCED, *pairs)) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=string.punctuation + " ", max_size=8))
def test_a_note_of_punctuation_only_is_warned_of(note: str) -> None:
    # On a confirmed source: an assumption's empty note is a problem, not a warning.
    quoted = "'" + note.replace("'", "''") + "'"
    text = mutate(SOURCED, ("example.org/a}", f"example.org/a, note: {quoted}}}"))
    found = warnings_of_text(text)
    assert [w.path for w in found] == ["sources[0].note"]
    assert found[0].message.startswith("note is empty" if not note.strip() else "note is only")


# --- offers no route can use: each checked against the rules engine --------------------------

DEAD = [
    pytest.param(
        lambda t: add_offer(
            add_company(t, "{id: idle, name: Idle, kind: automaker, sources: [s1]}"),
            "{id: x, kind: contract_manufacturing, to: idle, host: oldco, plant: old-plant, "
            "sources: [a1]}",
        ),
        "offers[1].to",
        "offer 'x' is made to 'idle', which has no program (nor has a group above it), so no "
        "route takes it",
        id="taker-without-program",
    ),
    pytest.param(
        # An offer made to the group above the program's company is not the company's.
        lambda t: add_offer(
            mutate(
                add_company(t, "{id: grp, name: Grp, kind: group, sources: [s1]}"),
                ("kind: newcomer, sources", "kind: newcomer, parent: grp, sources"),
            ),
            "{id: x, kind: contract_manufacturing, to: grp, host: oldco, plant: old-plant, "
            "sources: [a1]}",
        ),
        "offers[1].to",
        "offer 'x' is made to 'grp', which has no program (nor has a group above it), so no "
        "route takes it",
        id="taker-is-the-group-above",
    ),
    pytest.param(
        lambda t: add_offer(
            t, "{id: x, kind: apply_licence, to: newco, scope: phev_passenger, sources: [a1]}"
        ),
        "offers[1].scope",
        "no program of 'newco' (or of a group above it) needs scope 'phev_passenger', so the "
        "licence applied for builds nothing",
        id="application-for-an-unneeded-scope",
    ),
    pytest.param(
        lambda t: add_offer(
            add_company(t, "{id: shell, name: Shell, kind: automaker, sources: [s1]}"),
            "{id: x, kind: acquire_company, to: newco, target: shell, sources: [a1]}",
        ),
        "offers[1].target",
        "buying 'shell' brings no plant, and no held licence of a scope the programs of "
        "'newco' need ('bev_passenger'), so no route uses it",
        id="buying-an-empty-shell",
    ),
]


@pytest.mark.parametrize(("build", "path", "message"), DEAD)
def test_an_offer_no_route_takes_is_warned_of(build, path: str, message: str) -> None:  # type: ignore[no-untyped-def]
    text = build(SOURCED)
    assert [(w.path, w.message) for w in warnings_of_text(text)] == [(path, message)]
    routes = evfab.derive_routes(evfab.compile(evfab.loads(text)))
    assert routes and not [r.id for r in routes if "x" in r.offers]


@pytest.mark.parametrize(
    ("offer", "path", "message"),
    [
        (
            "{id: x, kind: plant_stake, to: newco, plant: old-plant, share: 0.5, "
            "capacity_share: 0, sources: [a1]}",
            "offers[2].capacity_share",
            "capacity_share 0: the stake gives 'newco' none of the capacity of plant "
            "'old-plant', so its routes build no car",
        ),
        (
            "{id: x, kind: contract_manufacturing, to: newco, host: oldco, plant: old-plant, "
            "capacity: {2022: 0, 2023: 0, 2024: 0, 2025: 0, 2026: 0}, sources: [a1]}",
            "offers[2].capacity",
            "the host builds no car under offer 'x': its capacity is 0 in every year (2022-2026)",
        ),
    ],
)
def test_an_offer_that_gives_no_capacity_is_warned_of(offer: str, path: str, message: str) -> None:
    # With a licence of its own to apply for, the buyer has routes through a stake too.
    text = add_offer(SOURCED, "{id: ap, kind: apply_licence, to: newco, sources: [a1]}")
    text = add_offer(text, offer)
    assert [(w.path, w.message) for w in warnings_of_text(text)] == [(path, message)]
    routes = [r for r in evfab.derive_routes(evfab.compile(evfab.loads(text))) if "x" in r.offers]
    assert routes and all(not any(r.capacity.values()) for r in routes)


@pytest.mark.parametrize(
    "build",
    [
        # Offers a program takes: to a subsidiary of its company; buying a licensed maker;
        # an application for the scope it needs; a contract with capacity in some year.
        lambda t: add_offer(
            add_company(t, "{id: sub, name: Sub, kind: newcomer, parent: newco, sources: [s1]}"),
            "{id: x, kind: contract_manufacturing, to: sub, host: oldco, plant: old-plant, "
            "sources: [a1]}",
        ),
        lambda t: add_offer(
            t, "{id: x, kind: acquire_company, to: newco, target: oldco, sources: [a1]}"
        ),
        lambda t: add_offer(
            add_offer(t, "{id: x, kind: apply_licence, to: newco, sources: [a1]}"),
            "{id: st, kind: plant_stake, to: newco, plant: old-plant, share: 0.5, sources: [a1]}",
        ),
        lambda t: add_offer(
            t,
            "{id: x, kind: contract_manufacturing, to: newco, host: oldco, plant: old-plant, "
            "capacity: {2022: 0, 2025: 10}, sources: [a1]}",
        ),
    ],
    ids=["to-a-subsidiary", "buy-a-licensed-maker", "apply-for-the-scope", "some-capacity"],
)
def test_an_offer_a_route_takes_is_not_warned_of(build) -> None:  # type: ignore[no-untyped-def]
    text = build(SOURCED)
    assert warnings_of_text(text) == []
    routes = evfab.derive_routes(evfab.compile(evfab.loads(text)))
    assert [r.id for r in routes if "x" in r.offers]


# --- the API ------------------------------------------------------------------------------


def test_load_checked_gives_the_scenario_and_its_warnings(write_scenario) -> None:  # type: ignore[no-untyped-def]
    path = write_scenario(MINIMAL)
    s, found = load_checked(path)
    assert s.name == "minimal" and len(found) == 4
    assert evfab.warnings_of(path) == found
    assert all(w.file == str(path) for w in found)


def test_warnings_are_of_valid_scenarios_only(write_scenario) -> None:  # type: ignore[no-untyped-def]
    path = write_scenario(MINIMAL.replace("horizon: 2026", "horizon: 2020"))
    with pytest.raises(evfab.ScenarioError):
        evfab.warnings_of(path)
    with pytest.raises(evfab.ScenarioError):
        evfab.warnings_of(str(path) + ".missing")


def test_a_warning_reads_like_a_problem_and_becomes_one() -> None:
    w = evfab.ScenarioWarning("f.yaml", 3, "offers[0].note", "note is empty", "write it")
    assert str(w) == "f.yaml:3: offers[0].note: warning: note is empty (write it)"
    p = w.as_problem()
    assert (
        type(p) is evfab.Problem and str(p) == "f.yaml:3: offers[0].note: note is empty (write it)"
    )
