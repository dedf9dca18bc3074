"""Reading YAML with a line for every key path (evfab._yamlsrc).

Every invalid document here must come back as a located :class:`evfab.Problem`,
never as a PyYAML exception or a crash.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import evfab
from conftest import mutate
from evfab._yamlsrc import SourceDoc, format_path, parse_yaml, read_yaml


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
        "not valid YAML: a second `: ` on this line",
        "put a value that contains `: ` in quotes",
        id="syntax-colon-in-value",
    ),
    pytest.param(
        ("    name: Old plant", "\tname: Old plant"),
        21,
        "",
        "a tab character is used for indentation",
        "indent with spaces, not tabs",
        id="syntax-tab",
    ),
    pytest.param(
        ("status: operating", "status: *operating"),
        23,
        "",
        "the alias `*operating` refers to no anchor `&operating` above it",
        "put the value in quotes",
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
        "a second YAML document starts here (a `---` line)",
        "keep one scenario per file",
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


# --- every YAML-level problem is kept for the one report ----------------------------


def test_lenient_parse_returns_problems_with_the_data(minimal_text: str) -> None:
    text = mutate(minimal_text, ("horizon: 2026", "horizon: 2026\nhorizon: 2027"))
    doc = parse_yaml(text, "x.yaml", strict=False)
    assert doc.data["horizon"] == 2026  # the first value is kept
    assert [(p.line, p.path, p.message) for p in doc.problems] == [(4, "horizon", "duplicate key")]


def test_values_keep_the_text_as_written() -> None:
    doc = parse_yaml(
        "a: yes\nb: 007\nc: 1.0e+3\nd: text\ne: 12\n{~: 1, yes: 2}: x\n", "x.yaml", strict=False
    )
    # `yes` is text (as YAML 1.2 reads it), and 007 the number 7 (not octal).
    assert doc.data["a"] == "yes" and doc.data["b"] == 7
    assert doc.texts == {("b",): "007", ("c",): "1.0e+3"}


def test_null_and_boolean_keys_keep_their_text() -> None:
    doc = parse_yaml("m: {~: 1, yes: 2, 2_023: 3}\n", "x.yaml")
    assert doc.data["m"] == {"~": 1, "yes": 2, "2023": 3}


# --- hostile input: refused with a located problem, quickly ---------------------------


def _bomb(levels: int) -> str:
    lines = ["a0: &a0 [x,x,x,x,x,x,x,x,x,x]"]
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append(f"name: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_quickly() -> None:
    # 340 bytes that stand for 10**7 values: PyYAML users know it as "billion laughs".
    text = _bomb(7)
    assert len(text) < 400
    started = time.perf_counter()
    problems = parse_problems(text)
    assert time.perf_counter() - started < 5
    (p,) = problems
    assert (p.line, p.path) == (5, "a4")  # the top-level key where the limit was passed
    assert "expand to more than 100,000 values" in p.message
    assert "alias" in p.hint


def test_merge_bomb_is_refused_quickly() -> None:
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}"]
    for i in range(1, 9):
        merges = ", ".join([f"*m{i - 1}"] * 10)
        lines.append(f"m{i}: &m{i} {{<<: [{merges}]}}")
    started = time.perf_counter()
    (p,) = parse_problems("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 5
    assert "expand to more than" in p.message


def test_a_few_aliases_are_fine(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        ("    sources: [s1]\ncompanies:", "    sources: &cited [s1]\ncompanies:"),
        (
            "{id: oldco-bev, holder: oldco, status: held, sources: [s1]}",
            "{id: oldco-bev, holder: oldco, status: held, sources: *cited}",
        ),
    )
    assert evfab.loads(text).licences[0].sources == ["s1"]


@pytest.mark.parametrize("depth", [100, 600, 900])
def test_deep_nesting_is_a_located_problem(depth: int) -> None:
    text = "name: " + "[" * depth + "]" * depth + "\n"
    problems = parse_problems(text)  # no RecursionError
    (p,) = problems
    assert p.line == 1
    assert "nested more than 64 levels deep" in p.message
    assert "unclosed brackets" in p.hint


def test_nesting_beyond_libyaml_is_a_located_problem() -> None:
    text = "a: 1\nname: " + "[" * 5000 + "\n"
    (p,) = parse_problems(text)
    assert p.line == 2
    assert "nest too deep" in p.message


# --- syntax errors: where they start, in plain words ------------------------------------


def test_unclosed_quote_is_reported_where_it_opens(minimal_text: str) -> None:
    text = mutate(minimal_text, ("name: Old plant", "name: 'Old plant"))
    (p,) = parse_problems(text)
    assert p.line == 21  # not 47, the end of the file where PyYAML notices
    assert p.message == (
        "not valid YAML: a quoted value starts on this line but its closing quote is never found"
    )
    assert "closing quote" in p.hint


def test_unclosed_bracket_is_reported_where_it_opens(minimal_text: str) -> None:
    text = mutate(minimal_text, ("horizon: 2026", "horizon: [2026"))
    (p,) = parse_problems(text)
    assert p.line == 3
    assert "the `[` opened on this line is not closed by `]`" in p.message
    assert "close it with `]`" in p.hint


@pytest.mark.parametrize(
    ("pair", "line", "message", "hint"),
    [
        pytest.param(
            ("    contract_manufacturing: true", "   contract_manufacturing: true"),
            11,
            "indented differently",
            "same number of spaces",
            id="dedented-key",
        ),
        pytest.param(
            ("    status: operating", "      status: operating"),
            23,
            "a second `: ` on this line",
            "indentation",
            id="indented-key",
        ),
        pytest.param(
            ("    name: New car", "    name: New car\n    - stray"),
            33,
            "a list item (`- `) where a key was expected",
            "indent the list under its key",
            id="stray-dash",
        ),
        pytest.param(
            ("    name: New car", "    name: @home"),
            32,
            "a value cannot start with `@`",
            "put the value in quotes",
            id="reserved-character",
        ),
        pytest.param(
            ("    name: New car", "    name"),
            32,
            "this line has no `:` after its key",
            "key: value",
            id="no-colon",
        ),
    ],
)
def test_syntax_errors_in_plain_words(
    minimal_text: str, pair: tuple[str, str], line: int, message: str, hint: str
) -> None:
    (p,) = parse_problems(mutate(minimal_text, pair))
    assert p.line == line
    assert message in p.message
    assert hint in p.hint
    for jargon in ("<block", "block end", "simple key", "token", "while scanning", "while parsing"):
        assert jargon not in p.message


# --- line numbers as an editor counts them ---------------------------------------------


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85"], ids=["U+2028", "U+2029", "NEL"])
def test_unicode_line_separators_inside_quotes_do_not_shift_lines(
    minimal_text: str, sep: str
) -> None:
    text = mutate(minimal_text, ("note: made up for tests", f'note: "made up{sep}for tests"'))
    doc = parse_yaml(text, "x.yaml")
    assert doc.lines[("plants", 0, "committed", "2022")] == 27
    (p,) = [p for p in _load_problems(mutate(text, ("status: operating", "status: running")))]
    assert (p.line, p.path) == (23, "plants[0].status")


def test_unquoted_line_separator_gets_a_hint(minimal_text: str) -> None:
    text = mutate(minimal_text, ("    name: Old plant", "    name: Old\u2028plant"))
    (p,) = parse_problems(text)
    assert p.line == 21
    assert "invisible line break" in p.hint


def test_old_mac_line_endings_keep_their_lines(minimal_text: str) -> None:
    doc = parse_yaml(minimal_text.replace("\n", "\r"), "x.yaml")
    assert doc.lines[("offers", 0, "lead_months")] == 45


def _load_problems(text: str) -> list[evfab.Problem]:
    with pytest.raises(evfab.ScenarioError) as info:
        evfab.loads(text, file="x.yaml")
    return info.value.problems


# --- thousands separators inside `{...}` --------------------------------------------------


def test_thousands_separators_in_flow_mappings(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        ("demand: {2023: 10000, 2024: 50000}", "demand: {2023: 10,000, 2024: 1,050,000}"),
    )
    doc = parse_yaml(text, "x.yaml", strict=False)
    assert doc.data["programs"][0]["demand"] == {"2023": 10000, "2024": 1050000}
    problems = _load_problems(text)  # one line each; no "duplicate key", no "not a year"
    assert [(p.line, p.path) for p in problems] == [
        (34, "programs[0].demand.2023"),
        (34, "programs[0].demand.2024"),
    ]
    assert "`10,000` is one number written with thousands separators" in problems[0].message
    assert problems[0].hint == "write numbers without thousands separators: 10000"
    assert problems[1].hint == "write numbers without thousands separators: 1050000"


def test_a_three_digit_key_with_a_value_is_no_separator() -> None:
    doc = parse_yaml("m: {2023: 50, 100: 7}\n", "x.yaml")
    assert doc.data["m"] == {"2023": 50, "100": 7}


# --- files that are not UTF-8 -----------------------------------------------------------------


def test_latin1_file_is_located_at_the_bad_byte(tmp_path: Path, minimal_text: str) -> None:
    path = tmp_path / "latin1.yaml"
    text = mutate(minimal_text, ("name: Old plant", "name: Citroën plant"))
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(evfab.ScenarioError) as info:
        read_yaml(path)
    (p,) = info.value.problems
    assert p.line == 21
    assert "byte 0xeb" in p.message
    assert "UTF-8" in p.hint


def test_utf16_with_byte_order_mark_is_read(tmp_path: Path, minimal_text: str) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes(minimal_text.encode("utf-16"))
    assert read_yaml(path).data["name"] == "minimal"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("060000", 60000),  # YAML 1.1: octal 24576
        ("-012", -12),
        ("0650000000", 650000000),  # YAML 1.1: 111,149,056
        ("yes", "yes"),  # YAML 1.1: true, 1 as a number
        ("No", "No"),
        ("on", "on"),
        ("true", True),
        ("False", False),
        ("1:30", "1:30"),  # YAML 1.1: 90
        ("1e2", 100.0),  # YAML 1.1: text
        ("-2.5E-3", -0.0025),
        ("0x1F", 31),
        ("1_000", 1000),
        ("0", 0),
        ("e5", "e5"),
        ("'1e2'", "1e2"),  # quoted: text
        ("'060000'", "060000"),
    ],
)
def test_plain_scalars_read_as_yaml_1_2_reads_them(text: str, value: object) -> None:
    got = parse_yaml(f"a: {text}\n", "f.yaml").data["a"]
    assert got == value and type(got) is type(value)


def test_a_bool_word_is_no_number_in_a_scenario(minimal_text: str) -> None:
    bad = mutate(minimal_text, ("lost_margin: 50", "lost_margin: yes"))
    with pytest.raises(evfab.ScenarioError) as err:
        evfab.loads(bad, "f.yaml")
    assert "lost_margin: expected a number, got 'yes'" in str(err.value)


@pytest.mark.parametrize(
    ("line", "space"),
    [("  \u00a0 - {id: a}", "non-breaking space (U+00A0)"), ("b:\u3000 1", "full-width space")],
)
def test_an_odd_space_where_yaml_needs_a_plain_one_is_named(line: str, space: str) -> None:
    (p,) = parse_problems(f"x: 1\nlist:\n  - {{id: b}}\n{line}\nc: 2\n")
    assert p.line == 4 and space in p.message and "plain space" in p.message


def test_an_odd_space_inside_a_value_is_left_alone() -> None:
    doc = parse_yaml("name: Wang\u00a0Chuanfu\nnote: a - \u00a0b\n", "f.yaml")
    assert doc.problems == () and doc.data["name"] == "Wang\u00a0Chuanfu"


def test_a_device_or_a_folder_is_refused_with_a_located_problem(tmp_path: Path) -> None:
    for path, why in (("/dev/zero", "it is a device or socket"), (str(tmp_path), "it is a folder")):
        with pytest.raises(evfab.ScenarioError) as err:
            read_yaml(path)
        (p,) = err.value.problems
        assert (p.file, p.line) == (path, 0) and why in p.message


def test_a_symlink_loop_is_named(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    with pytest.raises(evfab.ScenarioError) as err:
        evfab.load(loop)
    assert "symbolic links" in err.value.problems[0].message
