"""The terminal reports of ``evfab show`` and ``evfab routes`` (src/evfab/_report.py)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import evfab
from conftest import mutate
from evfab._fmt import money, plural
from evfab._report import print_routes, routes_key
from evfab._world import compile_world
from evfab.rules import derive_routes


def render(fn: Any, *args: Any, width: int) -> str:
    """What ``fn(console, *args)`` prints on a plain console ``width`` columns wide."""
    console = Console(file=io.StringIO(), width=width, highlight=False)
    fn(console, *args)
    return console.file.getvalue()  # type: ignore[attr-defined]


def routes_text(s: evfab.Scenario, width: int) -> str:
    world = compile_world(s)
    return render(print_routes, world, derive_routes(world), width=width)


def flat(text: str) -> str:
    """The words of ``text`` in order, without panel borders or line breaks."""
    return " ".join(text.replace("│", " ").split())


def fits(text: str, width: int) -> None:
    """Nothing is cut off with an ellipsis and no line is wider than the console."""
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width


# --- money and counts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0, "0"),
        (-0.4, "0"),
        (9_000, "9,000"),
        (950_444, "950,444"),
        (999_999.4, "999,999"),
        (1_000_000, "1m"),
        (1_040_444, "1.04m"),
        (12_749_999, "12.7m"),
        (154_400_000, "154m"),
        (650_000_000, "650m"),
        (999_600_000, "1bn"),  # rounded before the unit is picked: not "1000m"
        (2_050_000_000, "2.05bn"),
        (2_500_000_000, "2.5bn"),
        (2_650_000_000, "2.65bn"),
        (999_900_000_000, "1,000bn"),
        (1_234_500_000_000, "1,234bn"),
        (-1_040_444, "-1.04m"),
    ],
)
def test_money_keeps_three_significant_figures(x: float, text: str) -> None:
    assert money(x) == text


def test_money_with_a_currency_and_odd_values() -> None:
    assert money(1_040_444, "CNY") == "1.04m CNY"
    assert money(float("inf")) == "inf" and money(float("-inf")) == "-inf"


def test_money_parts_add_up_to_the_total_they_show() -> None:
    # The review's case: a headline of "1m" above parts of 90,000 and 950,444.
    assert (money(90_000), money(950_444), money(90_000 + 950_444)) == (
        "90,000",
        "950,444",
        "1.04m",
    )


def test_plural() -> None:
    assert plural(1, "plant") == "1 plant"
    assert plural(2, "source") == "2 sources"
    assert plural(16.0, "month") == "16 months" and plural(1.0, "month") == "1 month"
    assert plural(1.5, "month") == "1.5 months"
    assert plural(12_000, "car") == "12,000 cars"
    assert plural(3, "company", "companies") == "3 companies"


# --- routes ---------------------------------------------------------------------------


def test_routes_at_80_columns_cut_nothing(xiaomi: evfab.Scenario) -> None:
    text = routes_text(xiaomi, 80)
    fits(text, 80)
    # Dates, capacities, money and chances stay whole.
    for whole in ("2023-03", "2023-05", "2024-01", "100,000", "300,000", "2.65bn", "650m"):
        assert whole in text
    assert "+3,000" in text and "80%" in text
    # The stacked layout labels what it stacks; the program's details are not cropped.
    assert "licence: bought DormantCo via" in text
    assert "plant: stake in Beijing Hyundai" in text
    assert "peak 300,000/yr; claims: assumption" in text
    assert "target SOP 2024-06, peak demand 300,000/yr, badge need: co-brand ok" in text
    assert "8. licence dormant-bev" in text


def test_routes_at_120_columns_give_each_attribute_a_column(xiaomi: evfab.Scenario) -> None:
    text = routes_text(xiaomi, 120)
    fits(text, 120)
    head = "Xiaomi's first EV (xiaomi-ev): target SOP 2024-06, peak demand 300,000/yr, badge need"
    assert head in text
    for header in ("licence", "plant", "legal", "manufacturer", "earliest", "peak", "claims"):
        assert header in text
    assert "buy-dormant-maker" in text and "bluepark-cobrand" in text  # folded, never cut
    assert "assumption" in text and "denied" in text and "names DormantCo" in text


def test_routes_name_and_explain_the_success_chance(xiaomi: evfab.Scenario) -> None:
    # xiaomi-bev is an applied licence: its 70% is the approval chance, not a deal's.
    for width in (80, 120):
        text = routes_text(xiaomi, width)
        assert "P(deal)" not in text
        assert "P(deals &" in text and "approval)" in text
        key = flat(text)
        assert (
            "P(deals & approval) = chance that every deal the route needs closes and every "
            "licence it waits for is approved (their product)"
        ) in key


def test_routes_of_an_application_do_not_repeat_the_offer_id(
    write_scenario: Any, minimal_text: str
) -> None:
    text = mutate(
        minimal_text,
        (
            "programs:",
            "  - id: np\n    name: NP\n    operator: newco\n    status: operating\n"
            "    phases: [{capacity: 150000, ready: 2015-01}]\nprograms:",
        ),
    ) + ("  - id: apply\n    kind: apply_licence\n    to: newco\n    review_months: 10\n")
    out = routes_text(evfab.load(write_scenario(text)), 80)
    assert "licence: new licence via apply" in out and "apply apply" not in out


def _budget_scenario(write_scenario: Any, minimal_text: str, budget: float) -> Path:
    text = mutate(
        minimal_text,
        (
            "{id: newco, name: NewCo, kind: newcomer}",
            f"{{id: newco, name: NewCo, kind: newcomer, capital_budget: {budget}}}",
        ),
        ("    fee_per_unit: 10\n", "    fee_per_unit: 10\n    fixed_fee: 5040000\n"),
    )
    return Path(write_scenario(text))


@pytest.mark.parametrize("width", [80, 120])
def test_routes_flag_a_fixed_cost_above_the_budget(
    write_scenario: Any, minimal_text: str, width: int
) -> None:
    s = evfab.load(_budget_scenario(write_scenario, minimal_text, 2e6))
    text = routes_text(s, width)
    fits(text, width)
    words = flat(text)
    assert "5.04m" in words and "over budget" in words
    assert (
        "1. over budget: its one-off cost of 5.04m CNY exceeds NewCo's capital budget of "
        "2m CNY, so no plan can take it"
    ) in words
    assert "over budget = one-off cost above the company's capital budget" in words


def test_routes_within_budget_are_not_flagged(write_scenario: Any, minimal_text: str) -> None:
    s = evfab.load(_budget_scenario(write_scenario, minimal_text, 6e6))
    text = routes_text(s, 80)
    assert "5.04m" in text and "over budget" not in text and "budget" not in text


@pytest.mark.parametrize("width", [80, 120])
def test_routes_say_how_many_modules_a_new_licence_needs(
    write_scenario: Any, minimal_text: str, width: int
) -> None:
    text = mutate(
        minimal_text,
        ("min_capacity: 0", "min_capacity: 100000"),
        (
            "licences:\n",
            "licences:\n  - {id: newco-bev, holder: newco, status: applied, "
            "applied_on: 2021-06, sources: [a1]}\n",
        ),
        (
            "programs:\n",
            "  - id: np\n    name: New plant\n    operator: newco\n"
            "    status: planned\n    phases: [{capacity: 60000, months: 12}]\n"
            "programs:\n",
        ),
        (
            "    sources: [a1]\n",
            "    sources: [a1]\n  - {id: b, kind: build_plant, to: newco, plant: np, "
            "fixed_fee: 1000000000, lead_months: 0, module_capacity: 20000, max_modules: 3, "
            "module_fee: 100000000, sources: [a1]}\n",
        ),
    )
    out = routes_text(evfab.load(write_scenario(text)), width)
    fits(out, width)
    words = flat(out)
    # Its fixed cost counts the two modules: 1bn + 2 x 100m; their capacity shows beside
    # the plant's 60,000 (it read 60,000 against 1.2bn).
    assert "1.2bn" in words and "+40,000" in words
    assert (
        "plant np reaches the minimum capacity for a new licence only with 2 extra modules of "
        "offer b (+40,000/year, 200m CNY); a plan taking the route builds them"
    ) in words


SCOPED = Path(__file__).parent / "data" / "scoped-halt.yaml"
"""A BEV and an EREV maker apply for licences; a 2016-2019 halt stops BEV ones only."""


@pytest.mark.parametrize("width", [80, 120])
def test_routes_give_the_policy_of_each_scope_when_a_period_is_limited(
    write_scenario: Any, width: int
) -> None:
    text = routes_text(evfab.load(SCOPED), width)
    fits(text, width)
    words = flat(text)
    assert "Policy in force for bev_passenger (base): new licences granted" in words
    assert "Policy in force for erev_passenger (base): new licences granted" in words
    # Each program says its scope, as the rules it meets depend on it.
    assert "badge need: own, scope erev_passenger" in words
    # The halt is a later period of the BEV scope only.
    assert words.count("Later periods apply from their dates") == 1
    assert "2016-06-01 (BEV halt), 2019-01-01 (BEV reopen)" in words
    # With the periods for every scope (halting EREV makers too): one line, naming none.
    every = SCOPED.read_text(encoding="utf-8").replace("scopes: [bev_passenger], ", "")
    plain = routes_text(evfab.load(write_scenario(every)), width)
    assert "Policy in force (" in flat(plain) and "Policy in force for" not in plain


def test_routes_key_mentions_the_budget_only_when_needed() -> None:
    assert "over budget" not in routes_key().plain
    assert "over budget" in routes_key(over_budget=True).plain


def _lone_program(minimal_text: str) -> evfab.Scenario:
    """MINIMAL with its program moved to a newcomer that nothing is offered to."""
    lone = "  - {id: lone, name: LoneCo, kind: newcomer}\n"
    oldco = "  - {id: oldco, name: OldCo, kind: automaker}\n"
    return evfab.loads(
        mutate(minimal_text, (oldco, oldco + lone), ("company: newco", "company: lone"))
    )


@pytest.mark.parametrize("width", [80, 120])
def test_routes_name_a_program_without_any_route_and_say_why(minimal_text: str, width: int) -> None:
    text = routes_text(_lone_program(minimal_text), width)
    fits(text, width)
    assert (
        "New car (newcar): no route: LoneCo holds no bev_passenger licence and has no plant, "
        "and no offer to it brings either."
    ) in flat(text)


def test_routes_of_one_program_without_a_route_name_only_it(
    minimal_text: str, xiaomi: evfab.Scenario
) -> None:
    world = compile_world(_lone_program(minimal_text))
    text = flat(render(print_routes, world, [], ["newcar"], width=100))
    assert text.count("no route") == 1 and "New car (newcar)" in text
    # A program shown with its routes gets no such line.
    xw = compile_world(xiaomi)
    shown = render(print_routes, xw, derive_routes(xw, "xiaomi-ev"), ["xiaomi-ev"], width=100)
    assert "no route" not in shown
