"""One report carries every problem: YAML, schema and business checks (evfab._load_partial).

Each scenario is a small mutation of ``MINIMAL`` (see conftest.py for its line numbers).
A problem in one stage must not hide problems in another, and one mistake must give
one line, not a cascade of consequences.
"""

from __future__ import annotations

import pytest

import evfab
from conftest import mutate

NEWCO = "  - {id: newco, name: NewCo, kind: newcomer}"
LICENCE = "  - {id: oldco-bev, holder: oldco, status: held, sources: [s1]}"


def problems_of(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(evfab.ScenarioError) as info:
        evfab.loads(text, file="x.yaml")
    return [(p.line, p.path, p.message) for p in info.value.problems]


def test_yaml_problems_do_not_hide_schema_problems(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        ("horizon: 2026", "horizon: 2026\nhorizon: 2027"),
        (NEWCO, "  - {id: newco, name: NewCo, kind: newcomer, colour: red}"),
    )
    assert problems_of(text) == [
        (4, "horizon", "duplicate key"),
        (16, "companies[0].colour", "unknown key"),
    ]


def test_unknown_tag_and_schema_problem_together(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        ("    name: New car", "    name: !custom New car"),
        ("status: operating", "status: running"),
    )
    assert [(line, path) for line, path, _ in problems_of(text)] == [
        (23, "plants[0].status"),
        (32, "programs[0].name"),
    ]


def test_schema_problems_do_not_hide_cross_references(minimal_text: str) -> None:
    # The reviewer's st.yaml: an unknown key on a company and a typo in a licence holder.
    text = mutate(
        minimal_text,
        (NEWCO, "  - {id: newco, name: NewCo, kind: newcomer, colour: red}"),
        ("holder: oldco, status: held", "holder: oldcoo, status: held"),
    )
    assert problems_of(text) == [
        (15, "companies[0].colour", "unknown key"),
        (18, "licences[0].holder", "unknown company 'oldcoo'"),
    ]


def test_a_reference_to_an_entry_that_failed_is_not_unknown(minimal_text: str) -> None:
    # newco fails the schema; the program and the offer still name it: no "unknown company".
    text = mutate(minimal_text, (NEWCO, "  - {id: newco, name: NewCo, kind: startup}"))
    assert [path for _, path, _ in problems_of(text)] == ["companies[0].kind"]


def test_an_entry_that_failed_keeps_its_place_in_the_file(minimal_text: str) -> None:
    # sources[0] fails; the checks see s1 as missing but must say where a1 really is.
    text = mutate(
        minimal_text,
        ("{id: s1, status: confirmed, url: https://example.org/a}", "{id: s1, status: sure}"),
        ("{id: a1, status: assumption, note: made up for tests}", "{id: a1, status: assumption}"),
    )
    assert problems_of(text) == [
        (5, "sources[0].status", problems_of(text)[0][2]),
        (6, "sources[1].status", "assumption 'a1' gives no reason"),
    ]


def test_an_entry_that_is_not_a_mapping_hides_no_reference(minimal_text: str) -> None:
    text = mutate(minimal_text, (NEWCO, "  - newco"))
    assert [path for _, path, _ in problems_of(text)] == ["companies[0]"]


def test_a_failed_as_of_skips_only_the_checks_that_read_it(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        ("as_of: 2022-01-01", "as_of: soon"),
        ("operator: oldco", "operator: oldcoo"),
    )
    assert [(line, path) for line, path, _ in problems_of(text)] == [
        (2, "as_of"),  # and no "year outside ..." or "before as_of" built on a stand-in
        (22, "plants[0].operator"),
    ]


def test_a_failed_policy_period_skips_the_policy_checks(minimal_text: str) -> None:
    # Without the failed first period, the second would look like "no policy on as_of".
    text = mutate(
        minimal_text,
        ("    new_licences: true", "    new_licences: maybe"),
        ("    sources: [s1]\ncompanies:", "    sources: [s1]\n  - {since: 2023-01-01}\ncompanies:"),
    )
    assert [path for _, path, _ in problems_of(text)] == ["policy[0].new_licences"]


def test_a_failed_offer_still_counts_as_the_build_offer(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        (
            "    sources: [a1]\n",
            "    sources: [a1]\n"
            "  - {id: b, kind: build_plant, to: oldco, plant: p2, fixed_fee: lots}\n"
            "plants2: x\n",
        ),
        (
            "programs:",
            "  - id: p2\n    name: P2\n    operator: oldco\n    status: planned\n"
            "    phases: [{capacity: 1000, months: 12}]\nprograms:",
        ),
    )
    paths = [path for _, path, _ in problems_of(text)]
    assert "offers[1].fixed_fee" in paths
    assert not any(p.startswith("plants[1]") for p in paths)  # no "has no build_plant offer"


# --- one mistake, one line --------------------------------------------------------------


def test_a_bad_horizon_is_one_line_not_one_per_year(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        ("horizon: 2026", "horizon: 2020"),
        ("demand: {2023: 10000, 2024: 50000}", "demand: {2023: 1, 2024: 2, 2025: 3, 2026: 4}"),
    )
    assert problems_of(text) == [(3, "horizon", "horizon 2020 is before as_of 2022-01-01")]


def test_years_outside_one_mapping_are_one_line(minimal_text: str) -> None:
    years = ", ".join(f"{y}: 1" for y in range(2030, 2040))
    text = mutate(minimal_text, ("demand: {2023: 10000, 2024: 50000}", f"demand: {{{years}}}"))
    assert problems_of(text) == [
        (34, "programs[0].demand.2030", "demand 10 years (2030-2039) are outside 2022-2026")
    ]


def test_a_typo_in_a_host_is_one_problem(minimal_text: str) -> None:
    text = mutate(minimal_text, ("host: oldco", "host: oldcoo"))
    assert problems_of(text) == [(41, "offers[0].host", "unknown company 'oldcoo'")]


def test_a_typo_in_a_licence_holder_does_not_unlicense_the_host(minimal_text: str) -> None:
    text = mutate(minimal_text, ("holder: oldco, status: held", "holder: oldcoo, status: held"))
    assert problems_of(text) == [(18, "licences[0].holder", "unknown company 'oldcoo'")]


def test_an_entry_that_failed_still_has_its_references_checked(minimal_text: str) -> None:
    # The walkthrough's b8.yaml: a program missing target_sop, whose company is misspelt,
    # gave only the missing key; its company was reported once the key was added.
    text = mutate(
        minimal_text,
        ("    company: newco\n", "    company: newcoo\n"),
        ("    target_sop: 2023-06\n", ""),
    )
    got = problems_of(text)
    assert [(path, msg) for _, path, msg in got] == [
        ("programs[0].target_sop", "required key is missing"),
        ("programs[0].company", "unknown company 'newcoo'"),
    ]
    # A malformed id is the schema's to report, once.
    text = mutate(minimal_text, ("    company: newco\n", "    company: new co\n"))
    assert [path for _, path, _ in problems_of(text)] == ["programs[0].company"]
