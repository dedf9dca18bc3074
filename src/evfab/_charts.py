"""Charts people would rather look at than read: plan timelines and utilization heatmaps
(PNG), and the helpers the risk charts (:mod:`evfab._charts_risk`) share."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evfab._fmt import cars_short
from evfab._io import atomic_write_bytes, write_files
from evfab._world import World
from evfab.plan import PlanResult


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig: object, path: Path | None) -> bytes:
    """The figure as PNG bytes, also written to ``path`` (atomically) if one is given; the
    figure is closed (every chart is made, saved and dropped)."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")  # type: ignore[attr-defined]
    finally:
        pyplot().close(fig)
    if path is not None:
        atomic_write_bytes(path, buf.getvalue())
    return buf.getvalue()


def timeline_chart(
    world: World,
    result: PlanResult,
    path: Path | None = None,
    max_programs: int = 40,
    programs: Sequence[str] | None = None,
) -> bytes:
    """Each program's milestones: deals signed, earliest SOP, target SOP, and production by year.

    Args:
        world: The compiled world.
        result: A plan.
        path: PNG file to write (None: only return it).
        max_programs: Show at most this many programs (largest demand first).
        programs: Show these programs, in this order (None: the largest demand first).

    Returns:
        The chart as PNG bytes.
    """
    return save_png(timeline_figure(world, result, max_programs, programs), path)


def timeline_figure(
    world: World,
    result: PlanResult,
    max_programs: int = 40,
    programs: Sequence[str] | None = None,
) -> Any:
    """The figure of :func:`timeline_chart` (the caller closes it).

    A target SOP is a hollow diamond around the dot of the earliest SOP, and a deal's
    triangle sits above its row pointing at its date, so that markers on one date (a
    program already producing at ``as_of``, say) all stay visible. A year's bar is as
    thick as its demand: blue the cars built, red the cars not built, so that a program
    whose production stops reads as unmet demand, not as a program that ended.

    Args:
        world: The compiled world.
        result: A plan.
        max_programs: Show at most this many programs (largest demand first).
        programs: Show these programs, in this order (None: the largest demand first).

    Returns:
        A matplotlib figure.
    """
    plt = pyplot()
    from matplotlib.patches import Patch

    all_progs = list(world.programs.index)
    n_all = len(all_progs)
    total = dict(zip(all_progs, world.demand.sum(axis=1), strict=True))
    if programs is not None:
        unknown = [g for g in programs if g not in total]
        if unknown:
            raise ValueError(f"unknown program(s): {', '.join(map(str, unknown))}")
    asked = (
        sorted(all_progs, key=lambda g: -total[g])
        if programs is None
        else list(dict.fromkeys(programs))
    )
    progs = asked[:max_programs]
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(progs) + 1.6))
    # Only the programs drawn: the scale and the legend are theirs.
    production = result.production[result.production["program"].isin(progs)]
    prod = production.groupby(["program", "year"])["cars"].sum() if len(production) else None
    short_rows = result.unmet[result.unmet["program"].isin(progs)] if len(result.unmet) else None
    unmet = (
        short_rows.groupby(["program", "year"])["cars"].sum()
        if short_rows is not None and len(short_rows)
        else pd.Series(dtype=np.float64)
    )
    row_of = {g: i for i, g in enumerate(all_progs)}
    shown_demand = world.demand[[row_of[g] for g in progs]] if progs else np.zeros((0, 0))
    # One scale for every bar: the largest year's demand (or production) is full height.
    peak = max(
        float(shown_demand.max()) if shown_demand.size else 0.0,
        float(prod.max()) if prod is not None and len(prod) else 0.0,
        1.0,
    )
    drew_unmet = False
    # Each kind of marker is labelled where it first occurs, whichever program that is:
    # labelling only the first program's left kinds it lacks out of the legend.
    labelled: set[str] = set()

    def label(text: str) -> str | None:
        if text in labelled:
            return None
        labelled.add(text)
        return text

    for i, g in enumerate(progs):
        y = len(progs) - 1 - i
        for year in world.years:
            cars = float(prod.get((g, int(year)), 0.0)) if prod is not None else 0.0
            short = float(unmet.get((g, int(year)), 0.0))
            if cars <= 0 and short <= 0:
                continue
            # The first year's bar starts at as_of: nothing is built before it.
            start = max(dt.date(int(year), 1, 1), world.as_of)
            span = dt.date(int(year) + 1, 1, 1) - start
            built = _thickness(cars, peak)
            if short > 0:
                # Red around the blue: the cars not built, the whole bar the demand.
                ax.barh(y, span, left=start, height=_thickness(cars + short, peak), **_UNMET)
                ax.barh(y, span, left=start, height=built, color="white")
                drew_unmet = True
            if cars > 0:
                ax.barh(y, span, left=start, height=built, **_BUILT)
        target = world.programs.at[g, "target_sop"]
        ax.plot(
            target,
            y,
            ls="none",
            marker="D",
            mfc="none",
            mec="tab:red",
            mew=1.8,
            ms=11,
            zorder=3,
            label=label("target SOP"),
        )
        chosen = result.choices[result.choices["program"] == g]
        for row in chosen.itertuples():
            ax.plot(
                row.earliest_sop,
                y,
                ls="none",
                marker="o",
                color="tab:green",
                ms=6,
                zorder=4,
                label=label("earliest SOP (chosen route)"),
            )
            for o in (x for x in str(row.offers).split(", ") if x):
                signed = world.signing_date(world.offer(o))
                ax.plot(
                    signed,
                    y + _DEAL_ABOVE,
                    ls="none",
                    marker="v",
                    color="tab:purple",
                    ms=6,
                    zorder=4,
                    label=label("deal signed (above the row)"),
                )
    # Bars stick the x-axis to their left edge, as_of, which cut the markers on it in half
    # and hid the as-of line under the frame: margins on both sides instead.
    ax.use_sticky_edges = False
    ax.margins(x=0.03)
    # Named in the legend: a label at the line's foot (or head) sat on a row's markers.
    ax.axvline(world.as_of, color="grey", ls="--", lw=1, label=f"as of {world.as_of.isoformat()}")
    ax.set_yticks(range(len(progs)), [str(g) for g in reversed(progs)])
    ax.set_ylim(-0.7, len(progs) - 0.3)
    title = f"{world.name}: milestones, cars built and not built by year"
    if programs is not None:
        # On a second line: on one, a long scenario name pushed the title past the chart.
        title += (
            f"\nthe first {len(progs)} of the {len(asked)} programs asked for"
            if len(asked) > len(progs)
            else f"\n{len(progs)} of {n_all} programs, as asked for"
        )
    elif n_all > len(progs):
        title += f"\n{len(progs)} of {n_all} programs, most demand first"
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    if prod is not None and len(prod):
        handles.append(Patch(**_BUILT))
        labels.append("cars built")
    if drew_unmet:
        handles.append(Patch(**_UNMET))
        labels.append("demand not built")
    if (prod is not None and len(prod)) or drew_unmet:
        # The key to the bars' thickness: without it, no bar could be read as a number.
        handles.append(Patch(color="none"))
        labels.append(f"thickest bar: {peak:,.0f} cars/year")
    # Outside the axes: inside, it covered the bars of the bottom rows.
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


_DEAL_ABOVE = 0.36
"""Height above its row's centre of a deal's marker (a row's bar is at most 0.6 high)."""


def _thickness(cars: float, peak: float) -> float:
    """A bar's thickness (in rows) for ``cars`` a year: 0.6 at ``peak``, and never so thin
    as to vanish (0.08 for one car)."""
    return 0.0 if cars <= 0 else 0.08 + 0.52 * cars / peak


_BUILT: dict[str, Any] = {"color": "tab:blue", "alpha": 0.45}
_UNMET: dict[str, Any] = {"facecolor": "tab:red", "alpha": 0.35, "hatch": "////", "lw": 0}


def utilization_chart(
    result: PlanResult,
    path: Path | None = None,
    max_plants: int = 60,
    as_of: dt.date | None = None,
) -> bytes:
    """Plant x year heatmap of utilization (own load plus planned production over capacity).

    Args:
        result: A plan.
        path: PNG file to write (None: only return it).
        max_plants: Show at most this many plants (busiest first).
        as_of: The scenario's date: a first year that starts after 1 January is labelled
            with the day it counts from.

    Returns:
        The chart as PNG bytes.
    """
    return save_png(utilization_figure(result, max_plants, as_of), path)


_DARK_FROM = 0.6
"""Utilization from which a cell of the YlOrRd map is dark enough to need white text."""


def utilization_figure(
    result: PlanResult, max_plants: int = 60, as_of: dt.date | None = None
) -> Any:
    """The figure of :func:`utilization_chart` (the caller closes it).

    A plant-year without capacity (the plant not built yet) is grey, not white: white was
    hard to tell from the palest yellow, a plant with capacity and nothing to build.

    Args:
        result: A plan.
        max_plants: Show at most this many plants (busiest first).
        as_of: The scenario's date (see :func:`utilization_chart`).

    Returns:
        A matplotlib figure.
    """
    plt = pyplot()
    from matplotlib.ticker import PercentFormatter

    u = result.utilization
    fig, ax = plt.subplots(figsize=(9, 2 + 0.3 * min(max_plants, max(1, u["plant"].nunique()))))
    if len(u):
        table = u.pivot_table(index="plant", columns="year", values="utilization", aggfunc="mean")
        used = u.groupby("plant")["used"].sum().reindex(table.index).fillna(0)
        # Capacity in the label: a full 80,000-car plant and a full 300,000-car one look alike.
        most = u.groupby("plant")["capacity"].max().reindex(table.index)
        # A plant no usable route reaches: idle capacity the plan could not use.
        cut_off = (
            u.groupby("plant")["routes"].max().reindex(table.index) == 0
            if "routes" in u
            else pd.Series(False, index=table.index)
        )
        n_all = len(table)
        table = table.loc[used.sort_values(ascending=False, kind="stable").index[:max_plants]]
        values = table.to_numpy(np.float64)
        notes = [
            f"the {len(table)} busiest of {n_all} plants (utilization.csv has all)"
            if n_all > len(table)
            else "busiest plants first"
        ]
        if np.isnan(values).any():
            notes.append("grey: no capacity that year")
        ax.set_xlabel("; ".join(notes))
        cmap = plt.get_cmap("YlOrRd").with_extremes(bad=_NO_CAPACITY)
        im = ax.imshow(values, aspect="auto", cmap=cmap, vmin=0, vmax=1)
        years = [str(c) for c in table.columns]
        late = as_of is not None and (as_of.month, as_of.day) != (1, 1)
        if as_of is not None and late and years and years[0] == str(as_of.year):
            # A first year that counts from as_of: 31 December's "2022" held one day.
            years[0] += f"\nfrom {as_of:%d %b}"
        ax.set_xticks(range(len(table.columns)), years)
        ax.set_yticks(
            range(len(table.index)),
            [
                f"{i} ({cars_short(most[i])}{', no usable route' if cut_off[i] else ''})"
                for i in table.index
            ],
        )
        for (r, c), val in np.ndenumerate(values):
            if len(table) <= 30 and not np.isnan(val) and val > 0:  # "-" in the table
                # Black text vanished on the darkest reds (a full plant).
                colour = "white" if val >= _DARK_FROM else "black"
                ax.text(c, r, f"{val:.0%}", ha="center", va="center", fontsize=7, color=colour)
        fig.colorbar(
            im, ax=ax, label="utilization (cars a year / capacity)", format=PercentFormatter(1.0)
        )
    else:  # a blank 0-1 frame said nothing
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no plant-year to show: the plan builds at no plant", ha="center")
    ax.set_title(
        f"{result.scenario}: plant utilization by year\n"
        "planned cars plus the operator's own committed load; rows: plant (largest capacity a year)"
    )
    return fig


_NO_CAPACITY = "#d0d0d0"
"""Colour of a plant-year without capacity in the utilization heatmap."""


PLAN_FILES = (
    "choices.csv",
    "offers.csv",
    "production.csv",
    "unmet.csv",
    "utilization.csv",
    "costs.csv",
    "capacity_values.csv",
    "alternatives.csv",
    "deal_values.csv",
    "shortfalls.csv",
    "timeline.png",
    "utilization.png",
    "plan.json",
)
"""Every file :func:`write_plan_outputs` may write (``plan.json`` comes from the caller)."""


def write_plan_outputs(
    world: World,
    result: PlanResult,
    out: Path,
    extra: dict[str, bytes] | None = None,
    programs: Sequence[str] | None = None,
) -> list[Path]:
    """Write the plan's tables as CSV and its charts as PNG into ``out``, all or none.

    Everything is made before anything is written. A plan without a solution (infeasible,
    unbounded, error) has no tables but its shortfalls, so only ``shortfalls.csv`` is
    written; the files of :data:`PLAN_FILES` this plan does not have are removed from
    ``out``, so that the folder never mixes this plan with an earlier one.

    Args:
        world: The compiled world.
        result: A plan.
        out: Folder (created if missing).
        extra: More files to write with them (name -> contents), e.g. ``plan.json``.
        programs: Chart only these programs and the plants they build at (the CSVs
            keep every program); None for the whole plan.

    Returns:
        The files written.

    Raises:
        OutputError: ``out`` or a file in it cannot be written; nothing was changed.
    """
    tables: dict[str, pd.DataFrame] = {"shortfalls": result.shortfalls}
    if result.ok:
        tables = {
            "choices": result.choices.assign(warnings=result.choices["warnings"].map(" | ".join)),
            "offers": result.offers,
            "production": result.production,
            "unmet": result.unmet,
            "utilization": result.utilization,
            "costs": result.costs,
            "capacity_values": result.capacity_values,
            "alternatives": result.alternatives,
            "deal_values": result.deal_values,
            **tables,
        }
    files = {f"{name}.csv": t.to_csv(index=False).encode("utf-8") for name, t in tables.items()}
    if result.ok:
        files["timeline.png"] = timeline_chart(world, result, programs=programs)
        some = result if programs is None else result.for_programs(programs)
        files["utilization.png"] = utilization_chart(some, as_of=world.as_of)
    return write_files(out, files | (extra or {}), owned=PLAN_FILES)
