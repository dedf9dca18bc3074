"""The comparison's chart (PNG): what a change does to the plan's cost, and to the programs
whose cars it moves most."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evfab._charts import pyplot, save_png
from evfab._fmt import money
from evfab.compare import Comparison

MAX_CHART_PROGRAMS = 15
"""Programs drawn in the comparison chart: those whose cars built or unmet moved most."""

_BEFORE = {"color": "#9e9e9e"}
_AFTER = {"color": "tab:blue"}


def compare_chart(c: Comparison, path: Path | None = None) -> bytes:
    """Cost by category before and after, and the programs whose cars moved most.

    Args:
        c: A comparison.
        path: PNG file to write (None: only return it).

    Returns:
        The chart as PNG bytes.
    """
    return save_png(compare_figure(c), path)


def moved_programs(c: Comparison, most: int = MAX_CHART_PROGRAMS) -> pd.DataFrame:
    """The programs whose cars built or unmet changed, most moved first (at most ``most``).

    Args:
        c: A comparison.
        most: How many to keep.

    Returns:
        Rows of :attr:`Comparison.programs` with a ``moved`` column (cars built and unmet,
        each change counted once: a car moved from unmet to built counts 1).
    """
    p = c.programs
    if p.empty:
        return p.assign(moved=pd.Series(dtype=np.float64))
    cars = {
        col: p[col].astype(np.float64).fillna(0.0).to_numpy()
        for col in ("built_before", "built_after", "unmet_before", "unmet_after")
    }
    moved = np.maximum(
        np.abs(cars["built_after"] - cars["built_before"]),
        np.abs(cars["unmet_after"] - cars["unmet_before"]),
    )
    out = p.assign(moved=moved)
    out = out[out["moved"] >= 0.5].sort_values("moved", ascending=False, kind="stable")
    return out.head(most).reset_index(drop=True)


def compare_figure(c: Comparison) -> Any:
    """The figure of :func:`compare_chart` (the caller closes it).

    Args:
        c: A comparison.

    Returns:
        A matplotlib figure: discounted cost by category, before (grey) and after (blue);
        below it, cars built over the horizon by the programs whose cars moved most, with
        the cars they leave unbuilt after the change.
    """
    plt = pyplot()
    costs = c.costs
    costs = costs[costs["category"] != "total"] if len(costs) else costs
    every = moved_programs(c, len(c.programs))
    moved = every.head(MAX_CHART_PROGRAMS)
    n_rows = max(len(costs), 1) + max(len(moved), 1)
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(10, 2.4 + 0.42 * n_rows),
        gridspec_kw={"height_ratios": [max(len(costs), 1) + 1, max(len(moved), 1) + 1]},
    )
    fig.suptitle(f"{c.before} -> {c.after}: what the change does")
    _costs_panel(top, c, costs)
    _programs_panel(bottom, c, moved, len(every))
    fig.tight_layout()
    return fig


def _paired_bars(ax: Any, labels: list[str], before: Any, after: Any) -> None:
    """Two bars per label, before (grey, above) and after (blue, below), first label on top."""
    y = np.arange(len(labels))[::-1].astype(np.float64)
    ax.barh(y + 0.2, before, height=0.38, label="before", **_BEFORE)
    ax.barh(y - 0.2, after, height=0.38, label="after", **_AFTER)
    ax.set_yticks(y, labels)
    ax.grid(axis="x", alpha=0.3)


def _costs_panel(ax: Any, c: Comparison, costs: pd.DataFrame) -> None:
    if costs.empty:
        ax.set_axis_off()
        ax.set_title("Costs: no plan on one side, nothing to compare", loc="left")
        return
    before = costs["before"].to_numpy(np.float64)
    after = costs["after"].to_numpy(np.float64)
    _paired_bars(ax, [str(x) for x in costs["category"]], before, after)
    span = float(max(before.max(), after.max(), 1.0))
    for yy, (b, a) in zip(
        np.arange(len(costs))[::-1], zip(before, after, strict=True), strict=True
    ):
        change = a - b
        if abs(change) >= 0.5:
            sign = "+" if change > 0 else "-"
            ax.text(
                max(a, b) + 0.01 * span, yy, f"{sign}{money(abs(change))}", va="center", fontsize=8
            )
    ax.set_xlim(0, span * 1.15)
    ax.xaxis.set_major_formatter(lambda v, _: money(v))
    change = c.cost_change
    sign = "+" if change >= 0 else "-"
    ax.set_title(
        f"Discounted cost by category ({c.currency}): total {money(c.plan_before.objective)} "
        f"-> {money(c.plan_after.objective)} ({sign}{money(abs(change))})",
        loc="left",
        fontsize=10,
    )
    # Outside the axes: inside, it covered the largest category's bars and their change.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)


def _programs_panel(ax: Any, c: Comparison, moved: pd.DataFrame, n_all: int) -> None:
    if not (c.plan_before.ok and c.plan_after.ok):
        # Without a plan a side has no cars at all, not 0 of them.
        ax.set_axis_off()
        side = "before" if not c.plan_before.ok else "after"
        plan = c.plan_before if side == "before" else c.plan_after
        ax.set_title(
            f"Cars built: no plan {side} ({plan.status.value}), nothing to compare",
            loc="left",
            fontsize=10,
        )
        return
    if moved.empty:
        ax.set_axis_off()
        ax.set_title("No program's cars built or unmet change", loc="left", fontsize=10)
        return
    built_b = moved["built_before"].astype(np.float64).fillna(0.0).to_numpy()
    built_a = moved["built_after"].astype(np.float64).fillna(0.0).to_numpy()
    unmet_b = moved["unmet_before"].astype(np.float64).fillna(0.0).to_numpy()
    unmet_a = moved["unmet_after"].astype(np.float64).fillna(0.0).to_numpy()
    labels = [f"{g} ({co})" for g, co in zip(moved["program"], moved["company"], strict=True)]
    _paired_bars(ax, labels, built_b, built_a)
    y = np.arange(len(moved))[::-1].astype(np.float64)
    # The cars left unbuilt, after each side's built cars: the whole bar is the demand.
    for at, unmet, built, colour, side in (
        (y + 0.2, unmet_b, built_b, "#9e9e9e", "before"),
        (y - 0.2, unmet_a, built_a, "tab:red", "after"),
    ):
        if (unmet > 0).any():
            ax.barh(
                at,
                unmet,
                left=built,
                height=0.38,
                facecolor=colour,
                alpha=0.35,
                hatch="////",
                lw=0,
                label=f"not built, {side}",
            )
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.set_xlabel("cars over the horizon")
    shown = f"the {len(moved)} of {n_all}" if n_all > len(moved) else f"the {len(moved)}"
    ax.set_title(
        f"Cars built, {shown} programs whose cars moved most (compare_programs.csv has all)",
        loc="left",
        fontsize=10,
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)


__all__ = ["MAX_CHART_PROGRAMS", "compare_chart", "compare_figure", "moved_programs"]
