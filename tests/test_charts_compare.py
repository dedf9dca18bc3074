"""The comparison's chart (src/evfab/_charts_compare.py)."""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex

import evfab
from evfab._charts_compare import compare_chart, compare_figure, moved_programs
from evfab.compare import CompareOptions, Comparison, compare
from test_plan import _two_programs_one_plant

PNG = b"\x89PNG\r\n\x1a\n"


@functools.cache
def _shrunk() -> Comparison:
    # The host plant shrinks from 100,000 to 90,000 cars: g2 (less margin) builds 10,000
    # fewer, g1 keeps its 80,000.
    before = evfab.compile(evfab.loads(_two_programs_one_plant()))
    text = _two_programs_one_plant().replace("capacity: 100000", "capacity: 90000")
    return compare(before, evfab.compile(evfab.loads(text)), CompareOptions(risk_samples=0))


def test_moved_programs_are_those_whose_cars_changed_most_first() -> None:
    c = _shrunk()
    moved = moved_programs(c)
    assert list(moved["program"]) == ["g2"]
    assert moved.at[0, "moved"] == pytest.approx(10_000)
    assert moved_programs(c, most=0).empty


def test_the_chart_shows_the_cost_change_and_the_cars_moved() -> None:
    c = _shrunk()
    fig = compare_figure(c)
    try:
        costs, programs = fig.axes
        # 10,000 cars more unmet at 20,000 of margin each, 10,000 fewer fees of 5,000.
        assert "total 1.7bn -> 1.85bn (+150m)" in costs.get_title(loc="left")
        assert [t.get_text() for t in programs.get_yticklabels()] == ["g2 (n2)"]
        widths = {
            (to_hex(p.get_facecolor()), round(p.get_x()), round(p.get_width()))
            for p in programs.patches
        }
        # Built before (grey) and after (blue); not built, from the end of each.
        assert widths == {
            ("#9e9e9e", 0, 20_000),
            (to_hex("tab:blue"), 0, 10_000),
            ("#9e9e9e", 20_000, 60_000),
            (to_hex("tab:red"), 10_000, 70_000),
        }
        labels = [t.get_text() for t in programs.get_legend().get_texts()]
        assert labels == ["before", "after", "not built, before", "not built, after"]
    finally:
        plt.close(fig)
    assert compare_chart(c)[:8] == PNG


def test_a_comparison_that_moves_no_car_says_so() -> None:
    world = evfab.compile(evfab.loads(_two_programs_one_plant()))
    c = compare(world, world, CompareOptions(risk_samples=0))
    fig = compare_figure(c)
    try:
        assert fig.axes[1].get_title(loc="left") == "No program's cars built or unmet change"
        assert "(+0)" in fig.axes[0].get_title(loc="left")
    finally:
        plt.close(fig)


def test_a_side_without_a_plan_draws_no_cars_for_it() -> None:
    # Every program must fill its plant: infeasible after. Its cars are unknown, not 0.
    before = evfab.compile(evfab.loads(_two_programs_one_plant()))
    after = evfab.compile(evfab.loads(_two_programs_one_plant(min_fill=1.0)))
    c = compare(before, after, CompareOptions(risk_samples=0))
    assert not c.plan_after.ok
    fig = compare_figure(c)
    try:
        costs, programs = fig.axes
        assert not programs.axison and not programs.patches
        assert programs.get_title(loc="left") == (
            "Cars built: no plan after (infeasible), nothing to compare"
        )
        assert costs.get_title(loc="left").startswith("Costs: no plan on one side")
    finally:
        plt.close(fig)
