"""The plan's terminal report (src/evfab/_report_plan.py) at industry scale."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from rich.console import Console

import evfab
from evfab import _report_plan
from evfab._fmt import money
from evfab._report_plan import print_plan
from evfab.generate import generate
from evfab.plan import PlanOptions, PlanResult, plan


@pytest.fixture(scope="module")
def industry() -> tuple[evfab.World, PlanResult]:
    world = evfab.compile(evfab.Scenario.model_validate(generate(programs=30, plants=12, seed=2)))
    return world, plan(world, PlanOptions(alternatives=False))


def text_of(world: evfab.World, r: PlanResult, programs: list[str] | None = None) -> str:
    console = Console(file=io.StringIO(), width=160, highlight=False)
    print_plan(console, world, r, programs)
    return console.file.getvalue()  # type: ignore[attr-defined]


def table_rows(text: str, title: str) -> list[list[str]]:
    """The cells of each body row of the table under ``title``."""
    block = text.split(title, 1)[1].split("└", 1)[0]
    return [
        [c.strip() for c in line.strip("│").split("│")]
        for line in block.splitlines()
        if line.startswith("│")
    ]


def test_production_rows_come_in_scenario_order(industry: tuple[evfab.World, PlanResult]) -> None:
    world, r = industry
    rows = [cells[0] for cells in table_rows(text_of(world, r), "Production (cars;")]
    ids = list(world.program_ids)
    assert rows == sorted(rows, key=ids.index)  # g2 before g10, not as text
    assert rows.index("g2") < rows.index("g10")


def test_a_program_shown_alone_keeps_every_planning_year(
    industry: tuple[evfab.World, PlanResult],
) -> None:
    world, r = industry
    years = [str(int(y)) for y in world.years]
    # A program that builds nothing in the first years: its table used to start later.
    late = next(
        g
        for g in world.program_ids
        if r.production[r.production["program"] == g]["year"].min() > world.years[0]
    )
    text = text_of(world, r, [late])
    head = text.split("Production (cars;", 1)[1].split("┡", 1)[0]
    assert re.findall(r"\d{4}", head) == years
    (row,) = table_rows(text, "Production (cars;")
    assert row[0] == late and row[1] == "-"


def test_the_chosen_routes_list_stops_and_says_where_the_rest_are(
    industry: tuple[evfab.World, PlanResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, r = industry
    monkeypatch.setattr(_report_plan, "MAX_CHOSEN_ROWS", 5)
    text = text_of(world, r)
    block = text.split("Chosen routes", 1)[1].split("more chosen routes", 1)[0]
    assert sum(1 for line in block.splitlines() if re.match(r"\s+g\d+\s", line)) == 5
    said = " ".join(text.split())
    assert f"{len(r.choices) - 5:,} more chosen routes: --program ID shows a program's" in said


def test_unpriced_alternatives_are_not_promised(industry: tuple[evfab.World, PlanResult]) -> None:
    world, r = industry
    assert r.alternatives.empty  # more than 60 usable routes
    said = " ".join(text_of(world, r).split())
    assert "Why each route was chosen is left out for 30 programs" in said
    assert "what the alternatives cost" not in said
    assert "The alternatives were not priced" in said
    assert "`--program ID --alternatives` prices one program's" in said


def test_unmet_demand_is_summed_up_tabled_and_zero_where_nothing_is_built() -> None:
    from test_plan import _two_programs_one_plant

    # 100,000 cars of capacity for two programs of 80,000: g2 gets 20,000.
    world = evfab.compile(evfab.loads(_two_programs_one_plant()))
    r = plan(world, PlanOptions(alternatives=False))
    text = text_of(world, r)
    lost = money(
        float(r.costs.set_index("category").at["lost margin on unmet demand", "discounted"])
    )
    assert (
        f"Unmet demand: 60,000 of 160,000 cars (38%) are not built, in 1 program; their lost "
        f"margin, {lost} CNY discounted, is part of the cost above." in " ".join(text.split())
    )
    assert table_rows(text, "Unmet demand (cars), most first") == [["g2", "60,000"]]
    # For one program: its own unmet demand, and no cost of the whole plan's.
    one = " ".join(text_of(world, r, ["g2"]).split())
    assert "Unmet demand: 60,000 of 80,000 cars (75%) are not built, in 1 program." in one
    assert "Unmet demand:" not in text_of(world, r, ["g1"])


def test_a_program_year_with_demand_and_nothing_built_reads_zero() -> None:
    from test_plan import _two_programs_one_plant

    # A third program that nothing can build (no offer): 0 built of its demand, not "-".
    extra = (
        "  - {id: n3c, company: n2, name: G3, target_sop: 2030-01, demand: {2030: 1000}, "
        "badge: any, lost_margin: 1}\n"
    )
    text = _two_programs_one_plant().replace("offers:\n", extra + "offers:\n")
    world = evfab.compile(evfab.loads(text))
    r = plan(world, PlanOptions(alternatives=False))
    rows = {cells[0]: cells[1:] for cells in table_rows(text_of(world, r), "Production (cars;")}
    assert rows["n3c"] == ["0"]
    shortfalls = text_of(world, r).split("Shortfalls, the programs with the most cars missing")[1]
    # g2 (60,000 missing) before n3c (1,000).
    assert shortfalls.index("(g2,") < shortfalls.index("(n3c,")


def test_a_program_short_year_after_year_is_explained_once() -> None:
    from types import SimpleNamespace

    from evfab._report_plan import print_shortfalls

    rows = pd.DataFrame(
        {
            "program": ["a", "b", "b", "b", "b"],
            "year": [2030, 2030, 2031, 2032, 2034],
            "missing": [10.0, 5.0, 5.0, 5.0, 5.0],
            "explanation": ["a is short", "b 2030", "b 2031", "b 2032", "b 2034"],
        }
    )
    console = Console(file=io.StringIO(), width=200, highlight=False)
    print_shortfalls(console, SimpleNamespace(shortfalls=rows))  # type: ignore[arg-type]
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines[1:] == [
        "  - b 2030",  # 20 cars missing in all, before a's 10
        "    and in 3 more years (2031-2032, 2034): 20 cars missing over all 4 years",
        "  - a is short",
    ]


@pytest.mark.parametrize(
    ("x", "text"), [(0.0, "0%"), (0.0016, "<1%"), (0.38, "38%"), (0.996, ">99%"), (1.0, "100%")]
)
def test_a_share_is_never_rounded_to_none_or_all(x: float, text: str) -> None:
    assert _report_plan._share(x) == text


def test_programs_whose_production_stops_and_restarts_are_named() -> None:
    from evfab._report_plan import stops_and_restarts

    production = pd.DataFrame(
        {
            "program": ["a", "a", "a", "b", "b", "c", "c", "c"],
            "year": [2030, 2031, 2032, 2031, 2030, 2030, 2031, 2032],
            "cars": [5.0, 0.0, 5.0, 5.0, 0.0, 0.0, 5.0, 0.2],  # c: a fraction is no car
        }
    )
    assert stops_and_restarts(production) == ["a"]
    assert stops_and_restarts(production.iloc[:0]) == []
