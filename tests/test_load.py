"""Loading scenarios: files, the schema stage, problem reporting and the CLI.

Each invalid scenario is a small mutation of ``MINIMAL`` (see conftest.py for its
line numbers), so the expected line of every problem can be read off the fixture.
Business checks (stage 2) are tested in test_checks.py.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import evfab
from conftest import mutate
from evfab import _scenario as sm
from evfab._load import _bounds, resolve


def problems_of(text: str) -> list[evfab.Problem]:
    with pytest.raises(evfab.ScenarioError) as info:
        evfab.loads(text, file="x.yaml")
    return info.value.problems


def case(
    pairs: list[tuple[str, str]],
    line: int,
    path: str,
    message: str,
    hint: str,
    *,
    id: str,
) -> Any:
    """One invalid scenario: its mutations, then the one problem expected."""
    return pytest.param(pairs, line, path, message, hint, id=id)


# Appended at the end of MINIMAL, a top-level key lands on line 47 and a further
# offer (indented as a list item under `offers:`) on line 47 too.
END = ("    sources: [a1]\n", "    sources: [a1]\n{}\n")


def append(line: str) -> tuple[str, str]:
    return (END[0], END[1].format(line))


SCHEMA_CASES = [
    # --- keys ---------------------------------------------------------------------
    case(
        [("unit_cost: 100", "unit_cots: 100")],
        28,
        "plants[0].unit_cots",
        "unknown key",
        "did you mean 'unit_cost'?",
        id="unknown-key-did-you-mean",
    ),
    case(
        [append("horizn: 2030")],
        47,
        "horizn",
        "unknown key",
        "did you mean 'horizon'?",
        id="unknown-top-level-key",
    ),
    case(
        [("fee_per_unit: 10", "target: oldco")],
        43,
        "offers[0].target",
        "unknown key",
        "a contract_manufacturing offer has no `target`",
        id="key-of-another-offer-kind",
    ),
    case(
        [("lead_months: 6", "lead_months: {min: 1, mode: 2, max: 3, mean: 2}")],
        45,
        "offers[0].lead_months.mean",
        "unknown key",
        "`evfab schema` lists the allowed keys",
        id="unknown-key-in-duration",
    ),
    case(
        [("    sources: [s1]\n", "    sources: [s1]\n    sources_by_rule: {min_capcity: [s1]}\n")],
        14,
        "policy[0].sources_by_rule.min_capcity",
        "unknown key",
        "did you mean 'min_capacity'?",
        id="unknown-rule-in-sources-by-rule",
    ),
    case(
        [("    name: Old plant\n", "    location: Beijing\n")],
        20,
        "plants[0].name",
        "required key is missing",
        "add `name:`",
        id="missing-required-field",
    ),
    case(
        [append("  - {id: build, kind: build_plant, to: newco}")],
        47,
        "offers[1].plant",
        "required key is missing",
        "add `plant:`",
        id="missing-field-of-offer-kind",
    ),
    # --- offer kinds --------------------------------------------------------------
    case(
        [("kind: contract_manufacturing", "kind: contract_manufactoring")],
        39,
        "offers[0].kind",
        "unknown offer kind 'contract_manufactoring'",
        "did you mean 'contract_manufacturing'?",
        id="wrong-offer-kind",
    ),
    case(
        [("kind: contract_manufacturing", "note: no kind given")],
        38,
        "offers[0].kind",
        "offer has no `kind`",
        "add `kind:`, one of: contract_manufacturing",
        id="offer-without-kind",
    ),
    # --- dates --------------------------------------------------------------------
    case(
        [("target_sop: 2023-06", "target_sop: June 2023")],
        33,
        "programs[0].target_sop",
        "'June 2023' is not a valid date",
        "YYYY-MM-DD or YYYY-MM",
        id="bad-date-format",
    ),
    case(
        [("as_of: 2022-01-01", "as_of: 2022-13-01")],
        2,
        "as_of",
        "'2022-13-01' is not a valid date",
        "YYYY-MM-DD or YYYY-MM",
        id="impossible-date",
    ),
    case(
        [("target_sop: 2023-06", "target_sop: 2023-13")],
        33,
        "programs[0].target_sop",
        "'2023-13' is not a valid date",
        "YYYY-MM-DD or YYYY-MM",
        id="impossible-month",
    ),
    case(
        [("opened: 2010-01", "opened: 2010-13")],
        24,
        "plants[0].opened",
        "'2010-13' is not a valid date",
        "YYYY-MM-DD or YYYY-MM",
        id="optional-date-invalid",
    ),
    case(
        [("target_sop: 2023-06", "target_sop: 2023")],
        33,
        "programs[0].target_sop",
        "2023 is a number, not a date",
        "YYYY-MM-DD or YYYY-MM",
        id="year-instead-of-date",
    ),
    # --- numbers ------------------------------------------------------------------
    case(
        [("capacity: 100000", "capacity: 0")],
        26,
        "plants[0].phases[0].capacity",
        "greater than 0, got 0",
        "vehicles per year",
        id="zero-capacity",
    ),
    case(
        [("capacity: 100000", "capacity: -5000")],
        26,
        "plants[0].phases[0].capacity",
        "greater than 0, got -5000",
        "vehicles per year",
        id="negative-capacity",
    ),
    case(
        [("capacity: 100000", "capacity: 100k")],
        26,
        "plants[0].phases[0].capacity",
        "expected a whole number, got '100k'",
        "vehicles per year",
        id="capacity-with-unit",
    ),
    case(
        [("capacity: 100000", "capacity: 100,000")],
        26,
        "plants[0].phases[0].capacity",  # in `{...}` the comma starts a new key, `000`
        "`100,000` is one number written with thousands separators",
        "write numbers without thousands separators: 100000",
        id="capacity-with-thousands-separator",
    ),
    case(
        [("capacity: 100000", "capacity: 1000.5")],
        26,
        "plants[0].phases[0].capacity",
        "1000.5 is not a whole number",
        "vehicles per year",
        id="fractional-capacity",
    ),
    case(
        [("committed: {2022: 20000}", "committed: {2022: -1}")],
        27,
        "plants[0].committed.2022",
        "greater than or equal to 0, got -1",
        "vehicles per year",
        id="negative-committed-load",
    ),
    case(
        [("fee_per_unit: 10", "capacity: 5000")],
        43,
        "offers[0].capacity",
        "expected a mapping of `key: value` lines, got a number",
        "vehicles by year, e.g. `{2024: 50000",
        id="capacity-not-by-year",
    ),
    case(
        [("committed: {2022: 20000}", "committed: {next: 20000}")],
        27,
        "plants[0].committed.next",
        "key 'next' is not a year",
        "keys are years",
        id="committed-key-not-a-year",
    ),
    case(
        [("demand: {2023: 10000,", "demand: {2023: lots,")],
        34,
        "programs[0].demand.2023",
        "got 'lots'",
        "vehicles per year",
        id="demand-not-a-number",
    ),
    case(
        [("lost_margin: 50", "logistics: {old-plant: -1}")],
        36,
        "programs[0].logistics.old-plant",
        "must be greater than or equal to 0, got -1",
        "use a number in the scenario's currency per vehicle between 0 and 10,000,000,000",
        id="negative-logistics-cost",
    ),
    case(
        [("horizon: 2026", "horizon: 3000")],
        3,
        "horizon",
        "must be less than or equal to 2100, got 3000",
        "the last planning year, a whole number between 1990 and 2100",
        id="horizon-out-of-range",
    ),
    case(
        [append("discount_rate: 8")],
        47,
        "discount_rate",
        "less than 1, got 8",
        "0.08 for 8 %",
        id="discount-rate-as-percent",
    ),
    case(
        [append("currency: EURO")],
        47,
        "currency",
        "'EURO' is not a currency code",
        "three-letter ISO code",
        id="currency-code",
    ),
    # --- probabilities and fractions ----------------------------------------------
    case(
        [("min_capacity: 0", "approval_probability: 1.5")],
        10,
        "policy[0].approval_probability",
        "less than or equal to 1, got 1.5",
        "between 0 and 1",
        id="probability-over-1",
    ),
    case(
        [("fee_per_unit: 10", "success_probability: -0.2")],
        43,
        "offers[0].success_probability",
        "greater than or equal to 0, got -0.2",
        "between 0 and 1",
        id="probability-negative",
    ),
    case(
        [("kind: automaker}", "kind: automaker, owners: [{company: newco, share: 1.5}]}")],
        16,
        "companies[1].owners[0].share",
        "less than or equal to 1, got 1.5",
        "between 0 and 1",
        id="share-over-1",
    ),
    case(
        [("lost_margin: 50", "min_fill: 80")],
        36,
        "programs[0].min_fill",
        "less than or equal to 1, got 80",
        "between 0 and 1",
        id="min-fill-as-percent",
    ),
    # --- durations ----------------------------------------------------------------
    case(
        [("lead_months: 6", "lead_months: {min: -1, mode: 2, max: 3}")],
        45,
        "offers[0].lead_months.min",
        "greater than or equal to 0, got -1",
        "months",
        id="negative-duration",
    ),
    case(
        [("lead_months: 6", "lead_months: -2")],
        45,
        "offers[0].lead_months",  # once, not for each of min, mode and max
        "greater than or equal to 0, got -2",
        "months",
        id="negative-fixed-duration",
    ),
    case(
        # 0 is allowed: no exit rule from that period on.
        [("min_capacity: 0", "dormant_exit_months: -1")],
        10,
        "policy[0].dormant_exit_months",
        "must be greater than or equal to 0, got -1",
        "use a whole number of months between 0 and 600",
        id="negative-exit-months",
    ),
    case(
        [("lead_months: 6", "lead_months: {min: 1, mode: x, max: 3}")],
        45,
        "offers[0].lead_months.mode",
        "expected a number, got 'x'",
        "months",
        id="duration-part-not-a-number",
    ),
    case(
        [("lead_months: 6", "lead_months: six")],
        45,
        "offers[0].lead_months",
        "expected months (a number, or min/mode/max), got text",
        "months",
        id="duration-as-text",
    ),
    # --- enums, ids, strings, booleans, shapes ------------------------------------
    case(
        [("status: operating", "status: running")],
        23,
        "plants[0].status",
        "got 'running'",
        "use one of the listed values",
        id="unknown-plant-status",
    ),
    case(
        [("{id: s1, status: confirmed,", "{id: s1, status: confirmd,")],
        5,
        "sources[0].status",
        "got 'confirmd'",
        "use one of the listed values",
        id="unknown-source-status",
    ),
    case(
        [("id: newcar", "id: new car")],
        30,
        "programs[0].id",
        "'new car' is not a valid id",
        "letters, digits",
        id="id-with-space",
    ),
    case(
        [("name: New car", "name: 2024")],
        32,
        "programs[0].name",
        "expected text, got 2024",
        "put the value in quotes",
        id="name-not-text",
    ),
    case(
        [("new_licences: true", "new_licences: maybe")],
        9,
        "policy[0].new_licences",
        "expected true or false, got 'maybe'",
        "write true or false",
        id="not-a-boolean",
    ),
    case(
        [("sources: [a1]", "sources: a1")],
        46,
        "offers[0].sources",
        "expected a list, got text",
        "YAML list",
        id="list-expected",
    ),
    case(
        [("  - {id: newco, name: NewCo, kind: newcomer}", "  - newco")],
        15,
        "companies[0]",
        "expected a mapping of `key: value` lines, got text",
        "mapping",
        id="mapping-expected",
    ),
    case(
        [("phases:\n      - {capacity: 100000, ready: 2010-01}", "phases: []\n      # none")],
        25,
        "plants[0].phases",
        "the list is empty",
        "add at least one entry",
        id="empty-phases",
    ),
]


@pytest.mark.parametrize(("pairs", "line", "path", "message", "hint"), SCHEMA_CASES)
def test_schema_problem_is_located(
    minimal_text: str,
    pairs: list[tuple[str, str]],
    line: int,
    path: str,
    message: str,
    hint: str,
) -> None:
    problems = problems_of(mutate(minimal_text, *pairs))
    assert len(problems) == 1, "\n".join(map(str, problems))
    (p,) = problems
    assert (p.file, p.line, p.path) == ("x.yaml", line, path)
    assert message in p.message
    assert hint in p.hint
    # No pydantic internals leak into what the user reads.
    for internal in ("function-", "[key]", "_Duration", "contract_manufacturing."):
        assert internal not in str(p)


# --- bounds: values the engines cannot take are located problems -------------------------

BOUNDS = [
    # (mutation, line, path); each value passed `evfab validate` and crashed an engine
    pytest.param(
        ("lead_months: 6", "lead_months: 100000"), 45, "offers[0].lead_months", id="lead-months"
    ),
    pytest.param(
        ("lead_months: 6", "lead_months: 1.0e+300"),
        45,
        "offers[0].lead_months",
        id="lead-months-huge",
    ),
    pytest.param(
        ("min_capacity: 0", "review_months: 100000"),
        10,
        "policy[0].review_months",
        id="review-months",
    ),
    pytest.param(
        ("min_capacity: 0", "dormant_exit_months: 200000"),
        10,
        "policy[0].dormant_exit_months",
        id="dormant-exit-months",
    ),
    pytest.param(
        ("fee_per_unit: 10", "fixed_fee: 1.0e+15"), 43, "offers[0].fixed_fee", id="fixed-fee"
    ),
    pytest.param(
        ("kind: newcomer}", "kind: newcomer, capital_budget: 1.0e+15}"),
        15,
        "companies[0].capital_budget",
        id="capital-budget",
    ),
    pytest.param(
        ("lost_margin: 50", "lost_margin: 1.0e+308"),
        36,
        "programs[0].lost_margin",
        id="lost-margin",
    ),
    pytest.param(
        ("unit_cost: 100", "unit_cost: 1.0e+308"), 28, "plants[0].unit_cost", id="unit-cost"
    ),
    pytest.param(
        ("fee_per_unit: 10", "fee_per_unit: 1.0e+300"),
        43,
        "offers[0].fee_per_unit",
        id="fee-per-unit",
    ),
    pytest.param(
        ("min_capacity: 0", "min_capacity: 100000000000000000000000"),
        10,
        "policy[0].min_capacity",
        id="min-capacity",
    ),
    pytest.param(
        ("lost_margin: 50", "ramp_months: {min: 1, mode: 2, max: 1.0e+300}"),
        36,
        "programs[0].ramp_months.max",
        id="ramp-months",
    ),
]


@pytest.mark.parametrize(("pair", "line", "path"), BOUNDS)
def test_values_beyond_the_engines_are_refused(
    minimal_text: str, pair: tuple[str, str], line: int, path: str
) -> None:
    (p,) = problems_of(mutate(minimal_text, pair))
    assert (p.line, p.path) == (line, path)
    assert p.message.startswith("must be less than or equal to ")
    assert p.hint.startswith("use ") and " between " in p.hint


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        pytest.param(
            "as_of: 2022-01-01",
            "as_of: 0001-01-01",
            2,
            "as_of 0001-01-01 is outside 1990-2100",
            id="as-of-year-1",
        ),
        pytest.param(
            "as_of: 2022-01-01", "as_of: 2101-01-01", 2, "is outside 1990-2100", id="as-of-late"
        ),
        pytest.param(
            "opened: 2010-01",
            "opened: 1000-01",
            24,
            "1000-01-01 is outside 1900-2200",
            id="old-date",
        ),
        pytest.param(
            "target_sop: 2023-06",
            "target_sop: 9999-12-31",
            33,
            "is outside 1900-2200",
            id="far-date",
        ),
    ],
)
def test_dates_out_of_range_are_refused(
    minimal_text: str, old: str, new: str, line: int, message: str
) -> None:
    problems = problems_of(mutate(minimal_text, (old, new)))
    (p,) = [p for p in problems if p.line == line]
    assert message in p.message
    assert p.hint == "check the year"


def test_values_at_the_bounds_run_through_every_engine(minimal_text: str) -> None:
    from evfab.plan import plan
    from evfab.risk import RiskOptions, sample_routes
    from evfab.rules import derive_routes

    text = mutate(
        minimal_text,
        ("as_of: 2022-01-01", "as_of: 1990-01-01"),
        ("horizon: 2026", "horizon: 2100"),
        ("since: 2015-01-01", "since: 1900-01-01"),
        ("kind: newcomer}", "kind: newcomer, capital_budget: 1.0e+14}"),
        ("opened: 2010-01", "opened: 1900-01"),
        ("ready: 2010-01}", "ready: 1900-01}"),
        ("committed: {2022: 20000}", "committed: {2022: 100000}"),
        ("unit_cost: 100", "unit_cost: 1.0e+10"),
        ("target_sop: 2023-06", "target_sop: 2100-06"),
        ("demand: {2023: 10000, 2024: 50000}", "demand: {2099: 100000000}"),
        ("lost_margin: 50", "lost_margin: 1.0e+10"),
        ("fee_per_unit: 10", "fee_per_unit: 1.0e+10\n    fixed_fee: 1.0e+14"),
        ("lead_months: 6", "lead_months: 600"),
        (
            "min_capacity: 0",
            "min_capacity: 0\n    review_months: 600\n    dormant_exit_months: 600",
        ),
    )
    world = evfab.compile(evfab.loads(text))
    routes = derive_routes(world)
    plan(world, routes=routes)
    sample_routes(world, [r for r in routes if r.usable], RiskOptions(samples=200))


MODELS = [
    m
    for m in vars(sm).values()
    if isinstance(m, type) and issubclass(m, BaseModel) and m.__module__ == sm.__name__
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_bounded_field_states_its_bounds(model: type[BaseModel]) -> None:
    said = {
        600: "600",
        1e14: "1e14",
        1e10: "1e10",
        1e8: "100 million",
        1000: "1000",
        1: "0-1",
        2100: "2100",
    }
    for name, field in model.model_fields.items():
        bounds = _bounds((name,), model)
        if name in ("committed", "demand", "capacity", "logistics"):
            bounds = _bounds((name, "2024"), model)
        if "le" in bounds or "lt" in bounds:
            limit = bounds.get("le", bounds.get("lt"))
            doc = field.description or ""
            assert said.get(limit, str(limit)) in doc or "below 1" in doc, (
                model.__name__,
                name,
                doc,
            )


# --- what a problem says: the user's words, the value as written ---------------------------

WORDING = [
    # (mutation, path, what the message says, what the hint says)
    pytest.param(
        ("target_sop: 2023-06", "target_sop: 2024"),
        "programs[0].target_sop",
        "2024 is a number, not a date",
        "YYYY-MM-DD",
        id="year-as-date",
    ),
    pytest.param(
        ("status: held, sources: [s1]}", "status: held, dormant_since: 2021-01-01T10:00:00}"),
        "licences[0].dormant_since",
        "has a time of day; a date has none",
        "YYYY-MM-DD",
        id="datetime",
    ),
    pytest.param(
        ("{id: s1, status: confirmed,", "{id: s1, status: yes,"),
        "sources[0].status",
        "got 'yes'",
        "listed values",
        id="yes-as-written",
    ),
    pytest.param(
        ("{id: newco, name: NewCo,", "{id: 007, name: NewCo,"),
        "companies[0].id",
        "expected text, got '007'",
        "quotes",
        id="007-as-written",
    ),
    pytest.param(
        ("committed: {2022: 20000}", "committed: {2022.0: 20000}"),
        "plants[0].committed.2022.0",
        "key '2022.0' is not a year",
        "keys are years",
        id="float-year-key",
    ),
    pytest.param(
        ("capacity: 100000", "capacity: 0"),
        "plants[0].phases[0].capacity",
        "must be greater than 0, got 0",
        "use a whole number of vehicles per year between 1 and 100,000,000",
        id="zero-capacity-hint",
    ),
    pytest.param(
        ("kind: automaker}", "kind: automaker, owners: [{company: newco, share: 0}]}"),
        "companies[1].owners[0].share",
        "must be greater than 0, got 0",
        "use a fraction between 0 and 1, above 0",
        id="zero-share-hint",
    ),
    pytest.param(
        ("lost_margin: 50", "lost_margin: 20,000"),
        "programs[0].lost_margin",
        "expected a number, got '20,000'",
        "write numbers without thousands separators: 20000",
        id="thousands-in-block",
    ),
    pytest.param(
        ("demand: {2023: 10000, 2024: 50000}", "demand: {2023: 10000, 2024: 50,000}"),
        "programs[0].demand.2024",
        "thousands separators",
        "write numbers without thousands separators: 50000",
        id="thousands-in-flow",
    ),
    pytest.param(
        ("phases:\n      - {capacity: 100000, ready: 2010-01}", "phases: []\n      # none"),
        "plants[0].phases",
        "the list is empty",
        "add at least one entry",
        id="empty-list",
    ),
]


@pytest.mark.parametrize(("pair", "path", "message", "hint"), WORDING)
def test_problems_speak_the_users_words(
    minimal_text: str, pair: tuple[str, str], path: str, message: str, hint: str
) -> None:
    (p,) = [p for p in problems_of(mutate(minimal_text, pair)) if p.path == path]
    assert message in p.message
    assert hint in p.hint
    for jargon in (
        "Value error",
        "Input should",
        "after validation",
        "Datetimes provided",
        "[key]",
    ):
        assert jargon not in str(p)
    assert "(" not in p.hint  # one pair of brackets around the hint, none inside


def test_max_modules_gets_a_hint(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        (
            "    sources: [a1]\n",
            "    sources: [a1]\n  - {id: bp, kind: build_plant, to: oldco, plant: old-plant, max_modules: 5000}\n",
        ),
    )
    (p,) = [p for p in problems_of(text) if p.path == "offers[1].max_modules"]
    assert p.hint == "use a whole number of modules between 0 and 1000"


@pytest.mark.parametrize("date", ["2022-8-26", "2022-08-26", "2022-8", "2022-08"])
def test_short_months_and_days_are_read_alike(minimal_text: str, date: str) -> None:
    s = evfab.loads(mutate(minimal_text, ("target_sop: 2023-06", f"target_sop: {date}")))
    assert s.programs[0].target_sop == dt.date(2022, 8, 26 if date.count("-") == 2 else 1)


@pytest.mark.parametrize("code", ["eur", "€€€", "EURO", "E1R"])
def test_currency_is_a_three_letter_code(minimal_text: str, code: str) -> None:
    (p,) = problems_of(
        mutate(minimal_text, ("horizon: 2026", f"horizon: 2026\ncurrency: '{code}'"))
    )
    assert (p.path, p.message) == ("currency", f"{code!r} is not a currency code")


# --- whole files ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("# nothing but a comment\n", id="comment-only"),
        pytest.param("- name: minimal\n", id="top-level-list"),
        pytest.param("just some text\n", id="top-level-text"),
    ],
)
def test_top_level_must_be_a_mapping(text: str) -> None:
    (p,) = problems_of(text)
    assert (p.line, p.path) == (1, "")
    assert "a scenario must be a mapping of keys" in p.message
    assert "name:" in p.hint


def test_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(evfab.ScenarioError) as info:
        evfab.load(missing)
    (p,) = info.value.problems
    assert (p.file, p.line, p.path) == (str(missing), 0, "")
    assert "cannot read file: No such file or directory" in p.message
    assert p.hint == "check the path; bundled scenarios: china-ev, xiaomi-2022"


def test_a_mistyped_bundled_name_gets_the_closest() -> None:
    with pytest.raises(evfab.ScenarioError) as info:
        evfab.load("xiaomi-2023")
    (p,) = info.value.problems
    assert p.hint.startswith("did you mean xiaomi-2022? check the path")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(evfab.ScenarioError) as info:
        evfab.load(tmp_path)
    (p,) = info.value.problems
    assert p.message.startswith("cannot read file")


def test_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Citroën\n".encode("latin-1"))
    with pytest.raises(evfab.ScenarioError) as info:
        evfab.load(path)
    (p,) = info.value.problems
    # The line of the bad byte, not 0: the user can find it.
    assert (p.line, p.message) == (1, "file is not UTF-8 text: byte 0xeb in column 12 is not UTF-8")
    assert "UTF-8" in p.hint


def test_load_names_the_file_in_problems(minimal_text: str, write_scenario: Any) -> None:
    path = write_scenario(mutate(minimal_text, ("unit_cost: 100", "unit_cots: 100")))
    with pytest.raises(evfab.ScenarioError) as info:
        evfab.load(path)
    (p,) = info.value.problems
    assert (p.file, p.line) == (str(path), 28)


def test_valid_minimal_loads(minimal_text: str, write_scenario: Any) -> None:
    s = evfab.loads(minimal_text)
    assert s.name == "minimal"
    assert s.offers[0].lead_months.mode == 6
    assert evfab.load(write_scenario(minimal_text)) == s


# --- every problem at once, in line order -------------------------------------------


def test_all_schema_problems_reported_in_line_order(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        ("name: New car", "name: 2024"),  # line 32
        ("unit_cost: 100", "unit_cots: 100"),  # line 28
        ("status: operating", "status: running"),  # line 23
    )
    problems = problems_of(text)
    assert [(p.line, p.path) for p in problems] == [
        (23, "plants[0].status"),
        (28, "plants[0].unit_cots"),
        (32, "programs[0].name"),
    ]


def test_all_business_problems_reported_in_line_order(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        ("sources: [a1]", "sources: [a2]"),  # line 46: undefined source
        ("target_sop: 2023-06", "target_sop: 2027-06"),  # line 33: after the horizon
        ("committed: {2022: 20000}", "committed: {2022: 200000}"),  # line 27: over capacity
    )
    problems = problems_of(text)
    assert [(p.line, p.path) for p in problems] == [
        (27, "plants[0].committed.2022"),
        (33, "programs[0].target_sop"),
        (46, "offers[0].sources[0]"),
    ]


def test_schema_problems_do_not_hide_business_checks(minimal_text: str) -> None:
    # The business checks run on the entries that validated, so both are reported.
    text = mutate(
        minimal_text,
        ("unit_cost: 100", "unit_cots: 100"),
        ("sources: [a1]", "sources: [a2]"),
    )
    assert [p.path for p in problems_of(text)] == ["plants[0].unit_cots", "offers[0].sources[0]"]


# --- how problems read ----------------------------------------------------------------


def test_problem_str_format() -> None:
    p = evfab.Problem("s.yaml", 28, "plants[0].unit_cots", "unknown key", "did you mean 'x'?")
    assert str(p) == "s.yaml:28: plants[0].unit_cots: unknown key (did you mean 'x'?)"
    assert str(evfab.Problem("s.yaml", 3, "horizon", "too late")) == "s.yaml:3: horizon: too late"
    assert str(evfab.Problem("s.yaml", 1, "", "empty", "")) == "s.yaml:1: <root>: empty"


def test_scenario_error_message_lists_every_problem(minimal_text: str) -> None:
    text = mutate(
        minimal_text,
        ("unit_cost: 100", "unit_cots: 100"),
        ("status: operating", "status: running"),
    )
    with pytest.raises(evfab.ScenarioError) as info:
        evfab.loads(text, file="x.yaml")
    lines = str(info.value).splitlines()
    assert lines[0] == "2 problems in scenario"
    assert lines[1].startswith("x.yaml:23: plants[0].status: ")
    assert lines[2] == "x.yaml:28: plants[0].unit_cots: unknown key (did you mean 'unit_cost'?)"
    assert isinstance(info.value, evfab.EvfabError)


# --- bundled scenarios ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(evfab.bundled()))
def test_bundled_scenario_is_valid(name: str) -> None:
    s = evfab.load(evfab.bundled()[name])
    assert s.name == name
    assert evfab.load(name) == s  # by name, too


def test_bundled_exists() -> None:
    assert "xiaomi-2022" in evfab.bundled()
    assert resolve("xiaomi-2022") == evfab.bundled()["xiaomi-2022"]
    assert resolve("some/other.yaml") == Path("some/other.yaml")


# --- the command line ---------------------------------------------------------------------

EVFAB = str(Path(sys.executable).parent / "evfab")


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EVFAB, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def test_cli_validate_prints_located_problems(minimal_text: str, write_scenario: Any) -> None:
    text = mutate(
        minimal_text,
        ("unit_cost: 100", "unit_cots: 100"),
        ("status: operating", "status: running"),
    )
    path = write_scenario(text)
    res = run_cli("validate", path)
    assert res.returncode == 2
    assert f"{path}:28: plants[0].unit_cots: unknown key (did you mean 'unit_cost'?)" in res.stderr
    assert f"{path}:23: plants[0].status: " in res.stderr
    assert "2 problems" in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout == ""


def test_cli_debug_shows_traceback(minimal_text: str, write_scenario: Any) -> None:
    path = write_scenario(mutate(minimal_text, ("unit_cost: 100", "unit_cots: 100")))
    res = run_cli("--debug", "validate", path)
    assert res.returncode != 0
    assert "Traceback" in res.stderr
    assert "ScenarioError" in res.stderr


def test_cli_missing_file_is_a_located_problem(tmp_path: Path) -> None:
    res = run_cli("validate", tmp_path / "nope.yaml")
    assert res.returncode == 2
    assert f"{tmp_path / 'nope.yaml'}:0: <root>: cannot read file" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize(
    "pairs",
    [
        # The first policy period may start on as_of itself (2022-01-01).
        [("  - since: 2015-01-01\n", "  - since: 2022-01-01\n")],
        # A licence may have been applied for on as_of.
        [
            (
                "  - {id: oldco-bev, holder: oldco, status: held, sources: [s1]}\n",
                "  - {id: oldco-bev, holder: oldco, status: held, sources: [s1]}\n"
                "  - {id: newco-bev, holder: newco, status: applied, applied_on: 2022-01-01,"
                " sources: [s1]}\n",
            )
        ],
        # A licence may have gone dormant on as_of.
        [
            (
                "status: held, sources: [s1]}",
                "status: held, dormant_since: 2022-01-01, sources: [s1]}",
            )
        ],
        # An observed case may end the day it starts (and on as_of).
        [
            append(
                "history:\n"
                "  - {id: h1, company: newco, kind: own_plant, start: 2022-01-01,"
                " end: 2022-01-01, sources: [s1]}"
            )
        ],
    ],
    ids=["policy-since", "applied-on", "dormant-since", "case-ends-as-it-starts"],
)
def test_dates_equal_to_as_of_are_valid(minimal_text: str, pairs: list[tuple[str, str]]) -> None:
    s = evfab.loads(mutate(minimal_text, *pairs), file="x.yaml")  # no ScenarioError
    assert s.as_of == dt.date(2022, 1, 1)
