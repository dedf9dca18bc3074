"""The ``evfab show`` report (src/evfab/_report_show.py)."""

from __future__ import annotations

from typing import Any

import pytest

import evfab
from evfab._report_show import print_show
from evfab._world import compile_world
from test_report import SCOPED, _budget_scenario, fits, flat, render


def show_text(s: evfab.Scenario, width: int) -> str:
    return render(print_show, s, compile_world(s), width=width)


@pytest.mark.parametrize("width", [80, 120])
def test_show_cuts_nothing(xiaomi: evfab.Scenario, width: int) -> None:
    text = show_text(xiaomi, width)
    fits(text, width)
    for whole in ("2015-07-10", "2020-09-01", "12/16/30", "100,000", "2024-06-01", "650m"):
        assert whole in text
    # Runs of equal demand are merged; enum values read as words.
    assert "2027-2030:" in text and "2024-2030:" in text
    assert "under construction" in text and "joint venture" in text and "co-brand ok" in text
    assert "_" not in text
    assert "59 sources: assumption 25, confirmed 19, reported 11, unclear 3, denied 1" in text


def test_show_has_the_capital_budget(write_scenario: Any, minimal_text: str) -> None:
    s = evfab.load(_budget_scenario(write_scenario, minimal_text, 2.05e9))
    text = show_text(s, 80)
    fits(text, 80)
    assert "capital" in text and "budget" in text
    row = next(line for line in text.splitlines() if line.startswith("NewCo"))
    assert "2.05bn" in row
    other = next(line for line in text.splitlines() if line.startswith("OldCo"))
    assert "2.05bn" not in other and " - " in other
    assert "2 sources: confirmed 1, assumption 1" in text


def test_show_gives_each_periods_scopes_and_the_rules_it_sets() -> None:
    # The rules in force differ by scope, so a row shows what its period sets ("." for a
    # rule it leaves as before): a BEV-only halt's "no" on a row marked "all" misled.
    text = show_text(evfab.load(SCOPED), 120)
    rows = [line.split() for line in text.splitlines() if line.startswith("20")]
    assert rows[:3] == [
        ["2015-01-01", "base", "yes", "12/12/12", ".", ".", ".", ".", "all"],
        ["2016-06-01", "BEV", "halt", "no", ".", ".", ".", ".", ".", "bev_passenger"],
        ["2019-01-01", "BEV", "reopen", "yes", ".", ".", ".", ".", ".", "bev_passenger"],
    ]
    assert ". = not set by the period: as before for its scopes" in flat(text)
    # The programs' scopes, and the scope an application is for (not the default's).
    assert "BEV car (bev) N1 2017-06-01 own 2017-2020: 50,000 bev_passenger" in flat(text)
    assert "apply licence for N2 scope erev_passenger" in flat(text)


def test_show_gives_a_build_offers_modules() -> None:
    from test_plan import _MIN_MODULES

    text = flat(show_text(evfab.loads(_MIN_MODULES), 120))
    assert "up to 3 extra modules of 20,000/yr, 100m each" in text
