"""Tests of the PNG charts (:mod:`evfab._charts`): what they draw, not how it looks.

The risk charts are checked on hand-made :class:`~evfab.risk.RiskResult` objects (their
curves and ids chosen to exercise one thing each); the plan charts on the bundled
``xiaomi-2022`` plan, where Nio's line already produces on ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex, to_rgba
from matplotlib.dates import date2num

import evfab
from evfab._charts import timeline_figure, utilization_figure
from evfab._charts_risk import (
    MAX_CHART_ROUTES,
    sop_cdf_chart,
    sop_cdf_figure,
    sop_curves,
    volume_fan_chart,
    volume_fan_figure,
)
from evfab.plan import PlanOptions, PlanResult, plan
from evfab.risk import RiskResult
from test_plan import _two_programs_one_plant

AS_OF = dt.date(2024, 1, 1)
PNG = b"\x89PNG\r\n\x1a\n"


def _risk(rows: list[tuple[str, str, np.ndarray, float]]) -> RiskResult:
    """A risk result of ``(program, route, SOP samples in days, P(on target))`` rows.

    Every route's target is 2025-01-01 and its volumes a flat 1,000 cars a year.
    """
    summary = pd.DataFrame(
        {
            "program": [r[0] for r in rows],
            "route": [r[1] for r in rows],
            "target_sop": [dt.date(2025, 1, 1)] * len(rows),
            "p_on_target": [r[3] for r in rows],
            "p_success": [1.0] * len(rows),
            "warnings": [[] for _ in rows],
        }
    )
    stats = ("available", "built")
    volumes = pd.DataFrame(
        [
            {"program": g, "route": r, "year": y, "demand": 1000.0}
            | {f"{s}_{q}": 1000.0 for s in stats for q in ("p10", "p50", "p90", "mean")}
            for g, r, _, _ in rows
            for y in (2024, 2025, 2026)
        ]
    )
    return RiskResult(
        scenario="test",
        samples=100,
        seed=0,
        summary=summary,
        volumes=volumes,
        sop_samples={RiskResult.key(g, r): np.sort(d) for g, r, d, _ in rows},
        drivers={},
        seconds=0.0,
        as_of=AS_OF,
    )


def _days(start: int) -> np.ndarray:
    """100 SOP samples from ``start`` days on, one a day."""
    return np.arange(start, start + 100, dtype=np.float64)


def _curve_lines(fig: Any) -> list[Any]:
    """The SOP curves of a chart: its labelled lines (target diamonds have no label)."""
    return [ln for ln in fig.axes[0].get_lines() if not ln.get_label().startswith("_")]


def _diamonds(fig: Any) -> list[Any]:
    return [ln for ln in fig.axes[0].get_lines() if ln.get_marker() == "D"]


def test_routes_with_the_same_samples_share_one_curve_labelled_with_all_of_them() -> None:
    # Two programs of one company with the same route id and recipe (identical samples),
    # and two different route ids that both start on as_of for sure.
    sure = np.zeros(100)
    res = _risk(
        [
            ("g0", "partner:cm@partner:p1", _days(100), 0.9),
            ("g0", "own:bev@own:p2", sure, 1.0),
            ("g1", "partner:cm@partner:p1", _days(100), 0.9),
            ("g1", "own:bev@own:p3", sure, 1.0),
            ("g1", "apply:x@own:p2", _days(300), 0.2),
        ]
    )
    curves = sop_curves(res)
    assert [[k for k, _, _ in c["members"]] for c in curves] == [[1, 3], [2, 4], [5]]
    assert curves[0]["label"] == "1, 3. partner:cm@partner:p1 (g0, g1)"
    assert curves[1]["label"] == "2. own:bev@own:p2 (g0)\n4. own:bev@own:p3 (g1)"
    fig = sop_cdf_figure(res)
    try:
        lines = _curve_lines(fig)
        # Each distinct curve once (the old chart drew five, two pairs exactly on top).
        assert [ln.get_label() for ln in lines] == [c["label"] for c in curves]
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert legend == [c["label"] for c in curves]
        assert "5 routes share 3 distinct curves" in fig.axes[0].get_title()
    finally:
        plt.close(fig)
    assert sop_cdf_chart(res)[:8] == PNG


def test_shared_curve_marks_each_distinct_target_once() -> None:
    res = _risk([("g0", "r@p", _days(100), 0.9), ("g1", "r@p", _days(100), 0.9)])
    res.summary.loc[1, "target_sop"] = dt.date(2025, 6, 1)
    res.summary.loc[1, "p_on_target"] = 1.0
    (curve,) = sop_curves(res)
    assert curve["targets"] == [(dt.date(2025, 1, 1), 0.9), (dt.date(2025, 6, 1), 1.0)]
    fig = sop_cdf_figure(res)
    try:
        assert len(_diamonds(fig)) == 2
    finally:
        plt.close(fig)


def _twenty_distinct() -> RiskResult:
    return _risk([(f"g{i}", f"r{i}@p{i}", _days(10 * i), 0.5) for i in range(MAX_CHART_ROUTES + 3)])


def test_no_two_curves_or_target_markers_look_alike() -> None:
    fig = sop_cdf_figure(_twenty_distinct())
    try:
        lines = _curve_lines(fig)
        assert len(lines) == MAX_CHART_ROUTES
        colours = [to_hex(ln.get_color()) for ln in lines]
        # tab10 repeated itself from the eleventh curve on.
        assert len(set(colours)) == len(lines)
        looks = {(to_hex(ln.get_color()), ln.get_linestyle()) for ln in lines}
        assert len(looks) == len(lines)
        marks = {(to_hex(d.get_color()), to_rgba(d.get_markerfacecolor())) for d in _diamonds(fig)}
        assert len(marks) == len(lines)
        # The chart says what the plateau and the hollow diamonds mean.
        label = fig.axes[0].get_xlabel()
        assert "levels off at the route's P(starts)" in label and "hollow for curves 11-20" in label
    finally:
        plt.close(fig)


def test_target_markers_at_p_one_and_zero_stay_inside_the_frame() -> None:
    # One route certain to start on as_of (its diamond at P = 1), one that never starts
    # (P = 0), one with its target at the first sample.
    res = _risk(
        [
            ("g0", "sure@p", np.zeros(100), 1.0),
            ("g1", "never@p", np.full(100, np.inf), 0.0),
            ("g2", "some@p", _days(366), 0.01),
        ]
    )
    fig = sop_cdf_figure(res)
    try:
        fig.canvas.draw()
        ax = fig.axes[0]
        box = ax.get_window_extent()
        for d in _diamonds(fig):
            x, y = ax.transData.transform((date2num(d.get_xdata()[0]), d.get_ydata()[0]))
            half = d.get_markersize() * fig.dpi / 72 / 2 + d.get_markeredgewidth()
            assert box.y0 <= y - half and y + half <= box.y1, d.get_ydata()
            assert box.x0 <= x - half and x + half <= box.x1, d.get_xdata()
    finally:
        plt.close(fig)


def test_volume_fan_titles_keep_the_whole_route_id() -> None:
    long = "partner:bluepark-cobrand-with-a-very-long-offer-id@partner:bjev-changzhou-plant-two"
    res = _risk(
        [("xiaomi-ev", long, _days(0), 1.0), ("nio", "partner:nio-jac@partner:jac", _days(0), 1.0)]
    )
    fig = volume_fan_figure(res)
    try:
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        assert len(titles) == 2
        for title, (program, route) in zip(
            titles, [("xiaomi-ev", long), ("nio", "partner:nio-jac@partner:jac")], strict=True
        ):
            # Wrapping breaks lines but drops no character of the id (it was cut at 48).
            assert route in title.replace("\n", "")
            assert title.endswith(f"\n{program}, P(starts) 100%")
            assert all(len(line) <= 44 for line in title.splitlines())
        assert titles[1] == "2. partner:nio-jac\n@partner:jac\nnio, P(starts) 100%"
    finally:
        plt.close(fig)
    assert volume_fan_chart(res)[:8] == PNG


@functools.cache
def _xiaomi() -> tuple[evfab.World, PlanResult]:
    world = evfab.compile(evfab.load("xiaomi-2022"))
    return world, plan(world, PlanOptions(alternatives=False, capacity_values=False))


def test_timeline_legend_names_every_marker_drawn() -> None:
    # The programs are drawn by demand: xiaomi-ev first, whose chosen route needs no deal.
    # Only the first program's markers were labelled, so "deal in force" (Nio's contract)
    # was drawn but missing from the legend.
    world, result = _xiaomi()
    fig = timeline_figure(world, result)
    try:
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == [
            "target SOP",
            "earliest SOP (chosen route)",
            "deal signed (above the row)",
            "as of 2022-08-26",
            "cars built",
            "thickest bar: 300,000 cars/year",
        ]
    finally:
        plt.close(fig)


def _one_plant_two_programs() -> tuple[evfab.World, PlanResult]:
    # 100,000 cars of capacity for 80,000 + 80,000 of demand: g2 (less margin) goes short.
    world = evfab.compile(evfab.loads(_two_programs_one_plant()))
    return world, plan(world, PlanOptions(alternatives=False, capacity_values=False))


def _bars(ax: Any) -> list[tuple[float, str]]:
    """(thickness, face colour) of each bar drawn, in drawing order."""
    return [(round(p.get_height(), 4), to_hex(p.get_facecolor())) for p in ax.patches]


def test_timeline_shows_unmet_demand_around_the_cars_built() -> None:
    world, result = _one_plant_two_programs()
    assert result.unmet["cars"].sum() == pytest.approx(60_000)  # g2: 20,000 of 80,000 built
    fig = timeline_figure(world, result)
    try:
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "demand not built" in labels and "thickest bar: 80,000 cars/year" in labels
        red, blue = to_hex("tab:red"), to_hex("tab:blue")
        # g1: a blue bar of its 80,000 (the thickest); g2: red as thick as its 80,000 of
        # demand, and blue as thick as its 20,000 built.
        thin = round(0.08 + 0.52 * 20 / 80, 4)
        # A white bar under the thin blue one: no red shows through it.
        assert sorted(_bars(ax)) == sorted(
            [(0.6, blue), (0.6, red), (thin, blue), (thin, "#ffffff")]
        )
    finally:
        plt.close(fig)


def test_timeline_of_some_programs_shows_those_in_the_order_asked() -> None:
    world, result = _one_plant_two_programs()
    fig = timeline_figure(world, result, programs=["g2", "g1"])
    try:
        ax = fig.axes[0]
        assert [t.get_text() for t in ax.get_yticklabels()] == ["g1", "g2"]  # g2 on top
        assert "2 of 2 programs, as asked for" in ax.get_title()
    finally:
        plt.close(fig)
    # One program: the scale and the legend are its own, not the plan's (g1's 80,000 built).
    world = evfab.compile(
        evfab.loads(
            _two_programs_one_plant().replace(
                "2030: 80000}, badge: any, lost_margin: 20000",
                "2030: 50000}, badge: any, lost_margin: 20000",
            )
        )
    )
    result = plan(world, PlanOptions(alternatives=False, capacity_values=False))
    fig = timeline_figure(world, result, programs=["g2"])
    try:
        labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert "thickest bar: 50,000 cars/year" in labels
    finally:
        plt.close(fig)
    fig = timeline_figure(world, result, programs=["g1", "g2"], max_programs=1)
    try:
        assert "the first 1 of the 2 programs asked for" in fig.axes[0].get_title()
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match=r"unknown program.*nope"):
        timeline_figure(world, result, programs=["nope"])


def test_a_heatmap_without_plants_says_so() -> None:
    _, result = _xiaomi()
    fig = utilization_figure(result.for_programs([]))
    try:
        (ax,) = fig.axes
        assert not ax.axison
        assert [t.get_text() for t in ax.texts] == [
            "no plant-year to show: the plan builds at no plant"
        ]
    finally:
        plt.close(fig)


def test_utilization_rows_name_their_capacity_and_the_scale_is_in_percent() -> None:
    _, result = _xiaomi()
    fig = utilization_figure(result)
    try:
        ax, bar = fig.axes
        assert [t.get_text() for t in ax.get_yticklabels()][:2] == [
            "yizhuang (300k)",
            "jac-hefei (240k)",
        ]
        assert "dormant-plant (100k, no usable route)" in [
            t.get_text() for t in ax.get_yticklabels()
        ]
        assert "busiest plants first" in ax.get_xlabel()
        assert "own committed load" in ax.get_title()
        assert bar.yaxis.get_major_formatter()(1.0, 0) == "100%"
    finally:
        plt.close(fig)
    # A first year that counts from as_of says so; a year from 1 January does not.
    world, _ = _xiaomi()
    for as_of, first in ((world.as_of, "2022\nfrom 26 Aug"), (dt.date(2022, 1, 1), "2022")):
        fig = utilization_figure(result, as_of=as_of)
        try:
            assert fig.axes[0].get_xticklabels()[0].get_text() == first
        finally:
            plt.close(fig)


def test_timeline_markers_on_as_of_are_not_cut_by_the_frame() -> None:
    # Nio's line produces from as_of: its target and earliest SOP are on as_of, where the
    # bars stuck the x-axis's left end, cutting both markers in half.
    world, result = _xiaomi()
    fig = timeline_figure(world, result)
    try:
        ax = fig.axes[0]
        left, right = ax.get_xlim()
        xs = [
            date2num(x)
            for ln in ax.get_lines()
            if ln.get_marker() not in ("None", "", None)
            for x in ln.get_xdata()
        ]
        as_of = date2num(world.as_of)
        assert as_of in xs and left < min(xs) and max(xs) < right
        # 3 % of the span is room for a marker of 11 points on a 10-inch chart.
        assert (min(xs) - left) / (right - left) >= 0.02
    finally:
        plt.close(fig)


def test_utilization_tells_no_capacity_from_none_used_and_text_stays_readable() -> None:
    # Yizhuang has no capacity before 2024; Jac-Hefei is 83 % used from 2024.
    _, result = _xiaomi()
    fig = utilization_figure(result)
    try:
        ax = fig.axes[0]
        (im,) = ax.get_images()
        bad = to_hex(im.get_cmap().get_bad())
        assert bad != to_hex(im.get_cmap()(0.0)) and bad != "#ffffff"
        assert "grey: no capacity that year" in ax.get_xlabel()
        dark = [t for t in ax.texts if t.get_text() in ("83%", "100%")]
        assert dark and all(to_hex(t.get_color()) == "#ffffff" for t in dark)
        pale = [t for t in ax.texts if t.get_text() == "30%"]
        assert pale and all(to_hex(t.get_color()) == "#000000" for t in pale)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("n", [0, 1])
def test_risk_charts_of_few_routes(n: int) -> None:
    res = _risk([(f"g{i}", f"r{i}@p", _days(0), 1.0) for i in range(n)])
    assert sop_cdf_chart(res)[:8] == PNG
    assert volume_fan_chart(res)[:8] == PNG


def test_volume_fan_draws_the_cars_built_as_the_table_counts_them() -> None:
    from evfab.risk import RiskOptions, sample_routes

    world = evfab.compile(evfab.load("xiaomi-2022"))
    nio = [r for r in evfab.derive_routes(world) if r.program == "nio-jac-line" and r.usable]
    res = sample_routes(world, nio, RiskOptions(samples=200))
    vol = res.volumes
    # JAC's plant has 240k a year for Nio; Nio wants 200k: the chart said 240k "available".
    assert vol["available_p50"].max() > vol["built_p50"].max() == vol["demand"].max() == 200_000
    fig = volume_fan_figure(res)
    try:
        (ax,) = (a for a in fig.axes if a.get_title())
        tops = {ln.get_linestyle(): max(ln.get_ydata()) for ln in ax.get_lines()}
        assert tops == {"-": 200.0, "--": 200.0, ":": 200.0}  # P50, mean, the demand
        assert "capped by the program's demand" in fig.get_suptitle()
    finally:
        plt.close(fig)
