"""Charts people would rather look at than read: plan timelines and utilization heatmaps (PNG)."""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evfab._io import atomic_write_bytes, write_files
from evfab._world import World
from evfab.plan import PlanResult
from evfab.risk import RiskResult


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: object, path: Path | None) -> bytes:
    """The figure as PNG bytes, also written to ``path`` (atomically) if one is given."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")  # type: ignore[attr-defined]
    if path is not None:
        atomic_write_bytes(path, buf.getvalue())
    return buf.getvalue()


def timeline_chart(
    world: World, result: PlanResult, path: Path | None = None, max_programs: int = 40
) -> bytes:
    """Each program's milestones: deals signed, earliest SOP, target SOP, and production by year.

    Args:
        world: The compiled world.
        result: A plan.
        path: PNG file to write (None: only return it).
        max_programs: Show at most this many programs (largest demand first).

    Returns:
        The chart as PNG bytes.
    """
    plt = _pyplot()
    fig = timeline_figure(world, result, max_programs)
    png = _save(fig, path)
    plt.close(fig)
    return png


def timeline_figure(world: World, result: PlanResult, max_programs: int = 40) -> Any:
    """The figure of :func:`timeline_chart` (the caller closes it).

    A target SOP is a hollow diamond around the dot of the earliest SOP, and a deal's
    triangle sits above its row pointing at its date, so that markers on one date (a
    program already producing at ``as_of``, say) all stay visible.

    Args:
        world: The compiled world.
        result: A plan.
        max_programs: Show at most this many programs (largest demand first).

    Returns:
        A matplotlib figure.
    """
    plt = _pyplot()
    from matplotlib.patches import Patch

    progs = list(world.programs.index)
    n_all = len(progs)
    total = dict(zip(progs, world.demand.sum(axis=1), strict=True))
    progs = sorted(progs, key=lambda g: -total[g])[:max_programs]
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(progs) + 1.6))
    prod = (
        result.production.groupby(["program", "year"])["cars"].sum()
        if len(result.production)
        else None
    )
    peak = float(prod.max()) if prod is not None and len(prod) else 1.0
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
        if prod is not None:
            for year in world.years:
                cars = float(prod.get((g, int(year)), 0.0))
                if cars > 0:
                    # The first year's bar starts at as_of: nothing is built before it.
                    start = max(dt.date(int(year), 1, 1), world.as_of)
                    ax.barh(
                        y,
                        dt.date(int(year) + 1, 1, 1) - start,
                        left=start,
                        height=0.5 * cars / peak + 0.1,
                        color="tab:blue",
                        alpha=0.35,
                    )
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
                    label=label("deal in force (above the row)"),
                )
    # Bars stick the x-axis to their left edge, as_of, which cut the markers on it in half
    # and hid the as-of line under the frame: margins on both sides instead.
    ax.use_sticky_edges = False
    ax.margins(x=0.03)
    # Named in the legend: a label at the line's foot (or head) sat on a row's markers.
    ax.axvline(world.as_of, color="grey", ls="--", lw=1, label=f"as of {world.as_of.isoformat()}")
    ax.set_yticks(range(len(progs)), [str(g) for g in reversed(progs)])
    ax.set_ylim(-0.7, len(progs) - 0.3)
    title = f"{world.name}: milestones and production (bar height ~ cars per year)"
    if n_all > len(progs):
        # On a second line: on one, a long scenario name pushed the title past the chart.
        title += f"\n{len(progs)} of {n_all} programs, most demand first"
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    if prod is not None and len(prod):
        handles.append(Patch(color="tab:blue", alpha=0.35))
        labels.append("production (height ~ cars per year)")
    # Outside the axes: inside, it covered the bars of the bottom rows.
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


_DEAL_ABOVE = 0.36
"""Height above its row's centre of a deal's marker (a row's bar is at most 0.6 high)."""


def utilization_chart(result: PlanResult, path: Path | None = None, max_plants: int = 60) -> bytes:
    """Plant x year heatmap of utilization (own load plus planned production over capacity).

    Args:
        result: A plan.
        path: PNG file to write (None: only return it).
        max_plants: Show at most this many plants (busiest first).

    Returns:
        The chart as PNG bytes.
    """
    plt = _pyplot()
    fig = utilization_figure(result, max_plants)
    png = _save(fig, path)
    plt.close(fig)
    return png


_DARK_FROM = 0.6
"""Utilization from which a cell of the YlOrRd map is dark enough to need white text."""


def utilization_figure(result: PlanResult, max_plants: int = 60) -> Any:
    """The figure of :func:`utilization_chart` (the caller closes it).

    A plant-year without capacity (the plant not built yet) is grey, not white: white was
    hard to tell from the palest yellow, a plant with capacity and nothing to build.

    Args:
        result: A plan.
        max_plants: Show at most this many plants (busiest first).

    Returns:
        A matplotlib figure.
    """
    plt = _pyplot()
    u = result.utilization
    fig, ax = plt.subplots(figsize=(9, 2 + 0.3 * min(max_plants, max(1, u["plant"].nunique()))))
    if len(u):
        table = u.pivot_table(index="plant", columns="year", values="utilization", aggfunc="mean")
        used = u.groupby("plant")["used"].sum().reindex(table.index).fillna(0)
        n_all = len(table)
        table = table.loc[used.sort_values(ascending=False).index[:max_plants]]
        values = table.to_numpy(np.float64)
        notes = []
        if np.isnan(values).any():
            notes.append("grey: no capacity that year")
        if n_all > len(table):
            notes.append(f"the {len(table)} busiest of {n_all} plants (utilization.csv has all)")
        if notes:
            ax.set_xlabel("; ".join(notes))
        cmap = plt.get_cmap("YlOrRd").with_extremes(bad=_NO_CAPACITY)
        im = ax.imshow(values, aspect="auto", cmap=cmap, vmin=0, vmax=1)
        ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
        ax.set_yticks(range(len(table.index)), [str(i) for i in table.index])
        for (r, c), val in np.ndenumerate(values):
            if len(table) <= 30 and not np.isnan(val) and val > 0:  # "-" in the table
                # Black text vanished on the darkest reds (a full plant).
                colour = "white" if val >= _DARK_FROM else "black"
                ax.text(c, r, f"{val:.0%}", ha="center", va="center", fontsize=7, color=colour)
        fig.colorbar(im, ax=ax, label="utilization")
    ax.set_title(f"{result.scenario}: plant utilization by year")
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
    "shortfalls.csv",
    "timeline.png",
    "utilization.png",
    "plan.json",
)
"""Every file :func:`write_plan_outputs` may write (``plan.json`` comes from the caller)."""
RISK_FILES = ("risk_routes.csv", "risk_volumes.csv", "sop_cdf.png", "volume_fan.png", "risk.json")
"""Every file :func:`write_risk_outputs` may write (``risk.json`` comes from the caller)."""


def write_plan_outputs(
    world: World, result: PlanResult, out: Path, extra: dict[str, bytes] | None = None
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
            **tables,
        }
    files = {f"{name}.csv": t.to_csv(index=False).encode("utf-8") for name, t in tables.items()}
    if result.ok:
        files["timeline.png"] = timeline_chart(world, result)
        files["utilization.png"] = utilization_chart(result)
    return write_files(out, files | (extra or {}), owned=PLAN_FILES)


def write_risk_outputs(
    res: RiskResult, out: Path, extra: dict[str, bytes] | None = None
) -> list[Path]:
    """Write risk tables (CSV) and charts (PNG: SOP CDF per route, volume fan chart) into
    ``out``, all or none.

    Args:
        res: A risk result.
        out: Folder (created if missing).
        extra: More files to write with them (name -> contents), e.g. ``risk.json``.

    Returns:
        The files written.

    Raises:
        OutputError: ``out`` or a file in it cannot be written; nothing was changed.
    """
    summary = res.summary.assign(warnings=res.summary["warnings"].map(" | ".join))
    files = {
        f"{name}.csv": table.to_csv(index=False).encode("utf-8")
        for name, table in (("risk_routes", summary), ("risk_volumes", res.volumes))
    }
    files["sop_cdf.png"] = sop_cdf_chart(res, None)
    files["volume_fan.png"] = volume_fan_chart(res, None)
    return write_files(out, files | (extra or {}), owned=RISK_FILES)


MAX_CHART_ROUTES = 20
"""Routes drawn in the risk charts (the first ones of the table; its CSV has all)."""


def _shown(res: RiskResult) -> str:
    n = len(res.summary)
    return (
        f" (routes 1-{MAX_CHART_ROUTES} of {n}; risk_routes.csv has all)"
        if n > MAX_CHART_ROUTES
        else ""
    )


CURVE_COLOURS: tuple[str, ...] = (
    # tab10, for the first ten curves (solid lines, filled diamonds) ...
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    # ... then ten other hues for the next ten (dashed lines, hollow diamonds).
    "#000000",
    "#1b9e77",
    "#e6ab02",
    "#e7298a",
    "#7570b3",
    "#66a61e",
    "#a6761d",
    "#023858",
    "#800000",
    "#6baed6",
)
"""Colours of the SOP curves: one per curve, none repeated (:data:`MAX_CHART_ROUTES` at most).

Ten colours repeated with another line style left two curves' target diamonds identical;
the second ten are also dashed with hollow diamonds, so that hues close to one of the
first ten still look different."""


def curve_style(i: int) -> dict[str, Any]:
    """Colour, line style and target-marker face of the ``i``-th SOP curve (from 0).

    Args:
        i: Position of the curve in the chart.

    Returns:
        ``color``, ``ls`` and ``mfc`` (marker face colour) for matplotlib; no two of the
        first 40 curves share all three (a chart has at most :data:`MAX_CHART_ROUTES`).
    """
    second = i % 20 >= 10
    colour = CURVE_COLOURS[i % len(CURVE_COLOURS)]
    return {
        "color": colour,
        "ls": ("-", "--", "-.", ":")[i // 10 % 4],
        "mfc": "white" if second else colour,
    }


def _numbers(ks: list[int]) -> str:
    """Table numbers as a short list with runs: ``1-3, 7``."""
    parts: list[str] = []
    run: list[int] = []
    for k in [*ks, None]:
        if k is not None and run and k == run[-1] + 1:
            run.append(k)
            continue
        if run:
            parts.append(f"{run[0]}-{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)))
        run = [k] if k is not None else []
    return ", ".join(parts)


def sop_curves(res: RiskResult) -> list[dict[str, Any]]:
    """The distinct SOP curves of the first :data:`MAX_CHART_ROUTES` routes of the table.

    Programs of one company share route ids and timing recipes, so their routes often
    have the very same sampled SOPs: drawn one by one, their curves lay exactly on top of
    each other and only the last one drawn showed. Routes are grouped by their samples
    (identical arrays, not merely close ones), in table order.

    Args:
        res: A risk result.

    Returns:
        One dict per curve, in the order of its first route in the table: ``days`` (the
        sorted SOP samples, days since as_of; inf = never), ``members`` (``(number in the
        table, program, route)`` of every route it stands for), ``targets`` (distinct
        ``(target SOP, P(SOP <= target))`` of its members) and ``label`` (for the legend:
        one line per route id, with the table numbers and programs that have it).
    """
    curves: dict[bytes, dict[str, Any]] = {}
    for k, row in enumerate(res.summary.head(MAX_CHART_ROUTES).to_dict("records"), start=1):
        program, route = str(row["program"]), str(row["route"])
        days = np.asarray(res.sop_samples[res.key(program, route)], dtype=np.float64)
        c = curves.setdefault(days.tobytes(), {"days": days, "members": [], "targets": []})
        c["members"].append((k, program, route))
        target = (row["target_sop"], float(row["p_on_target"]))
        if target not in c["targets"]:
            c["targets"].append(target)
    for c in curves.values():
        by_route: dict[str, list[tuple[int, str]]] = {}
        for k, program, route in c["members"]:
            by_route.setdefault(route, []).append((k, program))
        lines = []
        for route, who in by_route.items():
            programs = ", ".join(dict.fromkeys(p for _, p in who))
            line = f"{_numbers([k for k, _ in who])}. {route} ({programs})"
            lines.append(textwrap.fill(line, _LEGEND_WIDTH, subsequent_indent="    "))
        c["label"] = "\n".join(lines)
    return list(curves.values())


_LEGEND_WIDTH = 72
"""Characters per line of a legend entry of the SOP chart (longer ones wrap)."""


def sop_cdf_chart(res: RiskResult, path: Path | None = None) -> bytes:
    """P(SOP <= date) for the first :data:`MAX_CHART_ROUTES` routes, targets marked.

    Routes with the very same samples share one curve, labelled with all of them
    (:func:`sop_curves`).

    Args:
        res: A risk result.
        path: PNG file to write (None: only return it).

    Returns:
        The chart as PNG bytes.
    """
    plt = _pyplot()
    fig = sop_cdf_figure(res)
    png = _save(fig, path)
    plt.close(fig)
    return png


_P_MARGIN = 0.04
"""Room below P = 0 and above P = 1 in the SOP chart, so that markers there stay whole."""


def sop_cdf_figure(res: RiskResult) -> Any:
    """The figure of :func:`sop_cdf_chart` (the caller closes it).

    Args:
        res: A risk result.

    Returns:
        A matplotlib figure.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 5.5))
    # Every curve runs from as_of (0) to the horizon's end (its chance of starting at all),
    # so that a route with one SOP date shows a step and one that never starts a flat line.
    end = dt.date(int(res.volumes["year"].max()), 12, 31) if len(res.volumes) else res.as_of
    curves = sop_curves(res)
    for i, c in enumerate(curves):
        days = c["days"]
        n = max(1, len(days))
        finite = days[np.isfinite(days)]
        dates = [res.as_of, *(res.as_of + dt.timedelta(days=float(d)) for d in finite), end]
        ys = [0.0, *(np.arange(1, len(finite) + 1) / n), len(finite) / n]
        style = curve_style(i)
        ax.step(dates, ys, where="post", color=style["color"], ls=style["ls"], label=c["label"])
        for target, p in c["targets"]:
            ax.plot(
                target,
                p,
                ls="none",
                marker="D",
                color=style["color"],
                mfc=style["mfc"],
                mew=1.3,
                ms=6,
                zorder=3,
            )
    # A diamond at P = 1 (or 0) sat on the frame, half cut off.
    ax.set_ylim(-_P_MARGIN, 1 + _P_MARGIN)
    ax.set_yticks(np.linspace(0.0, 1.0, 6))
    ax.set_ylabel("P(SOP on or before date)")
    n_routes = sum(len(c["members"]) for c in curves)
    title = (
        f"{res.scenario}: start of production, {res.samples:,} samples (diamond = target)"
        + _shown(res)
    )
    if len(curves) < n_routes:
        title += (
            f"\n{n_routes} routes share {len(curves)} distinct curves: each curve is drawn once"
            " and its legend entry lists every route it stands for"
        )
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    if curves:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def _panel_title(k: int, route: str, program: str) -> str:
    """A volume-fan panel's title: the whole route id, broken at its ``@`` and wrapped.

    Cut at 48 characters, long ids lost their plant (``...@partner:bjev-changzh``).
    """
    licence, at, plant = route.partition("@")
    parts = [f"{k}. {licence}", *([at + plant] if at else []), program]
    # Ids have no spaces: textwrap breaks them after a hyphen, or mid-word if it must,
    # and adds no characters, so the lines joined give the id back.
    return "\n".join(textwrap.fill(p, _PANEL_WIDTH) for p in parts)


_PANEL_WIDTH = 44
"""Characters per line of a volume-fan panel title (at font size 7, a panel holds ~50)."""


def volume_fan_chart(res: RiskResult, path: Path | None = None) -> bytes:
    """Cars available by year for the first :data:`MAX_CHART_ROUTES` routes: P10-P90 band,
    P50 line and mean.

    Args:
        res: A risk result.
        path: PNG file to write (None: only return it).

    Returns:
        The chart as PNG bytes.
    """
    plt = _pyplot()
    fig = volume_fan_figure(res)
    png = _save(fig, path)
    plt.close(fig)
    return png


def volume_fan_figure(res: RiskResult) -> Any:
    """The figure of :func:`volume_fan_chart` (the caller closes it).

    Args:
        res: A risk result.

    Returns:
        A matplotlib figure.
    """
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    head = res.summary.head(MAX_CHART_ROUTES)
    routes = list(zip(head["program"], head["route"], strict=True))
    cols = max(1, min(4, len(routes)))
    rows_n = max(1, (len(routes) + cols - 1) // cols)
    fig, axes = plt.subplots(
        rows_n, cols, figsize=(3.2 * cols, 2.8 * rows_n), squeeze=False, sharey=True
    )
    vol = res.volumes
    # With a plan's allocation the tables report cars built (capped by the plan's cars);
    # without one, cars available (each route alone serving its program).
    what = "built" if res.demand_basis == "allocation" else "available"
    for k, (program, route) in enumerate(routes):
        ax = axes[k // cols][k % cols]
        # Programs of one company share route ids: a route's rows are its program's.
        sub = vol[(vol["program"] == program) & (vol["route"] == route)]
        ax.fill_between(sub["year"], sub[f"{what}_p10"] / 1e3, sub[f"{what}_p90"] / 1e3, alpha=0.3)
        ax.plot(sub["year"], sub[f"{what}_p50"] / 1e3, lw=2)
        ax.plot(sub["year"], sub[f"{what}_mean"] / 1e3, lw=1, ls="--", color="grey")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years, not 2024.5
        ax.set_title(_panel_title(k + 1, str(route), str(program)), fontsize=7)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    for k in range(len(routes), rows_n * cols):
        axes[k // cols][k % cols].axis("off")
    fig.suptitle(
        f"{res.scenario}: thousand cars {what} per year (band P10-P90, line P50, dashed mean)"
        + _shown(res)
    )
    fig.tight_layout()
    return fig
