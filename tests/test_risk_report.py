"""The risk report (:func:`evfab._report_risk.print_risk`) and its JSON: every year shown,
warnings that name their routes, the options a run can be repeated with, its notes."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest
from rich.console import Console

import evfab
from evfab._fmt import runs
from evfab._report_risk import print_risk, risk_json
from evfab.risk import RiskOptions, RiskResult, sample_routes

NIO = "partner:nio-jac@partner:jac-hefei"


@pytest.fixture(scope="module")
def xiaomi() -> evfab.World:
    return evfab.compile(evfab.load("xiaomi-2022"))


def _usable(w: evfab.World) -> list[evfab.Route]:
    return [r for r in evfab.derive_routes(w) if r.usable]


def _text(w: evfab.World, res: RiskResult, width: int = 120) -> str:
    console = Console(width=width, record=True, highlight=False)
    print_risk(console, w, res)
    return console.export_text()


def _year_headers(text: str) -> list[int]:
    """The years heading the volume tables' columns."""
    return [
        int(y)
        for line in text.splitlines()
        if line.strip().startswith("#") and "route" not in line
        for y in re.findall(r"\b(\d{4})\b", line)
    ]


@pytest.mark.parametrize("width", [120, 60])
def test_the_volume_table_shows_every_year(xiaomi: evfab.World, width: int) -> None:
    res = sample_routes(xiaomi, _usable(xiaomi), RiskOptions(samples=500))
    text = _text(xiaomi, res, width)
    assert _year_headers(text) == list(range(2022, 2031))  # not only the first seven
    if width == 60:  # too narrow for nine years: the table continues below
        assert "Cars built by year (continued: " in text


def test_leading_years_without_cars_are_left_out_and_named(xiaomi: evfab.World) -> None:
    late = [r for r in _usable(xiaomi) if r.id == "applied:xiaomi-bev@own:yizhuang"]
    text = _text(xiaomi, sample_routes(xiaomi, late, RiskOptions(samples=500)))
    assert _year_headers(text) == list(range(2024, 2031))
    assert "2022-2023 left out: no route has cars then" in text


def test_warnings_name_the_routes_they_concern(xiaomi: evfab.World) -> None:
    res = sample_routes(xiaomi, _usable(xiaomi), RiskOptions(samples=500))
    nums = [
        i for i, w in enumerate(res.summary["warnings"], 1) if any("hyundai-denial" in x for x in w)
    ]
    assert len(nums) > 1
    text = " ".join(_text(xiaomi, res).split())
    assert f"! routes {runs(nums)} rest on a denied claim: hyundai-denial" in text
    nio = 1 + list(res.summary["route"]).index(NIO)
    assert re.search(rf"! routes (\d+, )*{nio} rest on an unclear claim: nio-fee", text)


def test_the_header_and_json_carry_every_option_and_the_notes(xiaomi: evfab.World) -> None:
    nio = [r for r in _usable(xiaomi) if r.id == NIO]
    opts = RiskOptions(samples=500, seed=4, demand_correlation=0.5)
    res = sample_routes(xiaomi, nio, opts)
    data = risk_json(res)
    assert {k: data[k] for k in ("samples", "seed", "demand_spread", "demand_correlation")} == {
        "samples": 500,
        "seed": 4,
        "demand_spread": 0.0,
        "demand_correlation": 0.5,
    }
    assert data["demand_basis"] == "program" and len(data["notes"]) == 1
    text = _text(xiaomi, res)
    assert "500 samples, seed 4, demand fixed (correlation 0.5 given, without effect)" in text
    assert "note: demand correlation 0.5 has no effect without a demand spread" in text
    spread = RiskOptions(samples=500, demand_spread=0.3, demand_correlation=0.5)
    text = _text(xiaomi, sample_routes(xiaomi, nio, spread))
    assert "demand drawn within +/-30% (correlation 0.5)" in text and "note:" not in text


def test_an_allocation_shows_cars_built_of_the_cars_allocated(xiaomi: evfab.World) -> None:
    nio = [r for r in _usable(xiaomi) if r.id == NIO]
    allocation = pd.DataFrame(
        {"program": "nio-jac-line", "route": NIO, "year": [2023, 2024], "cars": [5e4, 6e4]}
    )
    res = sample_routes(xiaomi, nio, RiskOptions(samples=500), allocation=allocation)
    assert risk_json(res)["demand_basis"] == "allocation"
    text = _text(xiaomi, res)
    assert "Cars built by year, capped by the cars allocated" in text
    assert "of 60k" in text and "2022 left out" in text
    assert "Together: 110,000 of the 110,000 cars allocated expected to be built (100%)" in text


def test_a_long_run_lists_its_first_routes_and_says_where_the_rest_are(
    xiaomi: evfab.World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evfab import _report_risk

    monkeypatch.setattr(_report_risk, "MAX_ROUTE_ROWS", 2)
    monkeypatch.setattr(_report_risk, "MAX_PROGRAM_LINES", 0)
    res = sample_routes(xiaomi, _usable(xiaomi), RiskOptions(samples=500))
    assert len(res.summary) == 6
    text = _text(xiaomi, res, 160)
    assert "routes 1-2 of 6: `--program ID` shows a program's" in " ".join(text.split())
    table = text.split("Cars built by year")[1].split("SOP driven by")[0]
    # The "#" column is the first four characters of a row's first line.
    assert [ln[:4].strip() for ln in table.splitlines() if ln[:4].strip().isdigit()] == ["1", "2"]
    assert "... 1 more program with several routes" in text
    assert "3. SOP driven by" not in text


def test_cells_without_cars_or_demand_read_as_a_dash_and_costs_name_their_currency(
    xiaomi: evfab.World,
) -> None:
    res = sample_routes(xiaomi, _usable(xiaomi), RiskOptions(samples=500))
    text = _text(xiaomi, res, 160)
    table = text.split("Cars built by year")[1].split("SOP driven by")[0]
    assert not re.search(r"\b0k", table) and table.count(" - ") >= 10
    assert "0-0k" not in text and "of 0k" not in text
    assert "exp. cost: the route's expected cost, CNY discounted to as_of (2022-08-26)" in " ".join(
        text.split()
    )
    assert (
        "xiaomi-ev: " in text
        and "that at least one of its 5 routes starts by 2024-06 if all" in text
    )


def test_a_one_year_volume_table_keeps_its_title_on_one_line(xiaomi: evfab.World) -> None:
    nio = [r for r in _usable(xiaomi) if r.id == NIO]
    res = sample_routes(xiaomi, nio, RiskOptions(samples=200))
    one_year = res.volumes[res.volumes["year"] == 2022]
    res = dataclasses.replace(res, volumes=one_year.reset_index(drop=True))
    text = _text(xiaomi, res, 160)
    assert "Cars built by year, each route alone: expected (P10-P90), of the demand\n" in text
