"""Reading YAML with a line for every key path (evfab._yamlsrc).

Every invalid document here must come back as a located :class:`evfab.Problem`,
never as a PyYAML exception or a crash.
"""

from __future__ import annotations

import pytest

import evfab
from conftest import mutate
from evfab._yamlsrc import SourceDoc, format_path, parse_yaml


def parse_problems(text: str) -> list[evfab.Problem]:
    with pytest.raises(evfab.ScenarioError) as info:
        parse_yaml(text, "x.yaml")
    return info.value.problems


# --- the line map -----------------------------------------------------------------


def test_lines_of_nested_paths(minimal_text: str) -> None:
    doc = parse_yaml(minimal_text, "x.yaml")
    assert doc.lines[()] == 1
    assert doc.lines[("as_of",)] == 2
    assert doc.lines[("sources", 1)] == 6
    assert doc.lines[("sources", 1, "note")] == 6
    assert doc.lines[("policy", 0, "sources", 0)] == 13
    assert doc.lines[("plants", 0, "phases", 0, "capacity")] == 26
    assert doc.lines[("plants", 0, "committed", "2022")] == 27
    assert doc.lines[("programs", 0, "demand", "2024")] == 34
    assert doc.lines[("offers", 0)] == 38
    assert doc.lines[("offers", 0, "lead_months")] == 45
    assert doc.lines[("offers", 0, "sources", 0)] == 46


def test_line_of_falls_back_to_nearest_ancestor(minimal_text: str) -> None:
    doc = parse_yaml(minimal_text, "x.yaml")
    assert doc.line_of(("offers", 0, "lead_months", "mode")) == 45
    assert doc.line_of(("plants", 0, "owners")) == 20
    assert doc.line_of(("no_such_key",)) == 1
    assert doc.line_of(()) == 1


def test_values_keep_yaml_types(minimal_text: str) -> None:
    data = parse_yaml(minimal_text, "x.yaml").data
    assert str(data["as_of"]) == "2022-01-01"
    assert data["plants"][0]["committed"] == {"2022": 20000}
    assert data["policy"][0]["new_licences"] is True
    assert data["offers"][0]["sources"] == ["a1"]


def test_line_of_a_value_on_the_next_line() -> None:
    doc = parse_yaml("a:\n  b:\n    - 1\n    - 2\n", "x.yaml")
    assert doc.lines[("a", "b")] == 2
    assert doc.lines[("a", "b", 1)] == 4


@pytest.mark.parametrize(
    ("path", "text"),
    [
        pytest.param(("plants", 2, "phases", 0), "plants[2].phases[0]", id="nested"),
        pytest.param(("plants", 0, "committed", "2022"), "plants[0].committed.2022", id="year"),
        pytest.param(("horizon",), "horizon", id="top"),
        pytest.param((0, "a"), "[0].a", id="index-first"),
        pytest.param((), "", id="root"),
    ],
)
def test_format_path(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text


def test_empty_text_is_an_empty_document() -> None:
    doc = parse_yaml("# only a comment\n", "x.yaml")
    assert doc == SourceDoc("x.yaml", None, {(): 1})


# --- merge keys (`<<: *name`) ---------------------------------------------------------


def test_merge_key_copies_a_mapping_and_own_keys_win() -> None:
    text = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n"
    doc = parse_yaml(text, "x.yaml")
    assert doc.data["other"] == {"x": 1, "y": 3}
    assert doc.lines[("other", "y")] == 4
    assert doc.lines[("other", "x")] == 1  # where the merged value was written


def test_merge_list_earlier_mapping_wins() -> None:
    text = "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc: {<<: [*a, *b]}\n"
    assert parse_yaml(text, "x.yaml").data["c"] == {"x": 1, "y": 2}


def test_merge_keys_in_a_scenario(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        (
            "  - {id: oldco, name: OldCo, kind: automaker}",
            "  - &auto {id: oldco, name: OldCo, kind: automaker}\n"
            "  - {<<: *auto, id: oldco2, name: OldCo 2}",
        ),
    )
    s = evfab.loads(text)
    assert [c.id for c in s.companies] == ["newco", "oldco", "oldco2"]
    assert s.companies[2].kind.value == "automaker"


# --- invalid YAML: every case is a located problem ------------------------------------

SYNTAX = [
    # (mutation, line, path, part of the message, part of the hint)
    pytest.param(
        ("fee_per_unit: 10", "fee_per_unit: 10: 11"),
        43,
        "",
        "not valid YAML: mapping values are not allowed here",
        "indentation",
        id="syntax-colon-in-value",
    ),
    pytest.param(
        ("    name: Old plant", "\tname: Old plant"),
        21,
        "",
        "cannot start any token",
        "indentation",
        id="syntax-tab",
    ),
    pytest.param(
        ("status: operating", "status: *operating"),
        23,
        "",
        "found undefined alias 'operating'",
        "quoting",
        id="undefined-alias",
    ),
    pytest.param(
        ("fee_per_unit: 10", "fee_per_unit: 10\n    fee_per_unit: 11"),
        44,
        "offers[0].fee_per_unit",
        "duplicate key",
        "each key may appear once",
        id="duplicate-key",
    ),
    pytest.param(
        ("{id: s1, status: confirmed,", "{id: s1, status: confirmed, id: s2,"),
        5,
        "sources[0].id",
        "duplicate key",
        "each key may appear once",
        id="duplicate-key-flow",
    ),
    pytest.param(
        ("horizon: 2026", "horizon: !year 2026"),
        3,
        "horizon",
        "unsupported YAML tag '!year'",
        "remove the tag",
        id="unknown-tag",
    ),
    pytest.param(
        ("name: minimal", "name: !!python/name:os.system minimal"),
        1,
        "name",
        "unsupported YAML tag 'tag:yaml.org,2002:python/name:os.system'",
        "remove the tag",
        id="python-tag",
    ),
    pytest.param(
        ("name: minimal", "name: !!map minimal"),
        1,
        "name",
        "does not fit a single value",
        "remove the tag",
        id="collection-tag-on-scalar",
    ),
    pytest.param(
        ("sources: [a1]", "sources: &loop [a1, *loop]"),
        46,
        "offers[0].sources[1]",
        "alias refers to a value that contains it",
        "complete value",
        id="alias-cycle",
    ),
    pytest.param(
        ("lead_months: 6", "<<: 6"),
        45,
        "offers[0].<<",
        "`<<` can only merge a mapping",
        "<<: *name",
        id="merge-scalar",
    ),
    pytest.param(
        ("unit_cost: 100", "? [unit, cost]\n    : 100"),
        28,
        "plants[0]",
        "a key must be a word or a number",
        "stray `?`",
        id="complex-key",
    ),
    pytest.param(
        ("name: Old plant", "name: Old\x07plant"),
        21,
        "",
        "control character #x0007 is not allowed",
        "delete it",
        id="control-character",
    ),
    pytest.param(
        ("    sources: [a1]\n", "    sources: [a1]\n---\nname: second\n"),
        47,
        "",
        "but found another document",
        "indentation",
        id="two-documents",
    ),
]


@pytest.mark.parametrize(("pair", "line", "path", "message", "hint"), SYNTAX)
def test_invalid_yaml_is_located(
    minimal_text: str, pair: tuple[str, str], line: int, path: str, message: str, hint: str
) -> None:
    text = mutate(minimal_text, pair)
    problems = parse_problems(text)
    assert len(problems) == 1, problems
    (p,) = problems
    assert (p.file, p.line, p.path) == ("x.yaml", line, path)
    assert message in p.message
    assert hint in p.hint
    # The public entry point reports exactly the same.
    with pytest.raises(evfab.ScenarioError) as info:
        evfab.loads(text, file="x.yaml")
    assert info.value.problems == problems


def test_all_yaml_level_problems_are_reported_together(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        ("{id: s1, status: confirmed,", "{id: s1, status: confirmed, id: s2,"),
        ("horizon: 2026", "horizon: !year 2026"),
        ("fee_per_unit: 10", "fee_per_unit: 10\n    fee_per_unit: 11"),
    )
    problems = parse_problems(text)
    assert [(p.line, p.path) for p in problems] == [
        (3, "horizon"),
        (5, "sources[0].id"),
        (44, "offers[0].fee_per_unit"),
    ]


def test_impossible_date_is_kept_as_text_for_the_schema() -> None:
    # 2022-13-01 looks like a YAML date but is none; PyYAML would raise ValueError.
    doc = parse_yaml("as_of: 2022-13-01\nb: 2022-02-30\n", "x.yaml")
    assert doc.data == {"as_of": "2022-13-01", "b": "2022-02-30"}


def test_quoted_and_tagged_scalars() -> None:
    doc = parse_yaml("a: !!str 5\nb: '2022-01-01'\nc: 2022-01-01\n", "x.yaml")
    assert doc.data["a"] == "5"
    assert doc.data["b"] == "2022-01-01"
    assert str(doc.data["c"]) == "2022-01-01" and not isinstance(doc.data["c"], str)
