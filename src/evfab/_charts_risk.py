"""The risk engine's charts (PNG): the SOP CDF of each route and the volume fan chart."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from evfab._charts import pyplot, save_png
from evfab._fmt import runs
from evfab._io import write_files
from evfab.risk import RiskResult

RISK_FILES = ("risk_routes.csv", "risk_volumes.csv", "sop_cdf.png", "volume_fan.png", "risk.json")
"""Every file :func:`write_risk_outputs` may write (``risk.json`` comes from the caller)."""


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
            line = f"{runs([k for k, _ in who])}. {route} ({programs})"
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
    return save_png(sop_cdf_figure(res), path)


_P_MARGIN = 0.04
"""Room below P = 0 and above P = 1 in the SOP chart, so that markers there stay whole."""


def sop_cdf_figure(res: RiskResult) -> Any:
    """The figure of :func:`sop_cdf_chart` (the caller closes it).

    Args:
        res: A risk result.

    Returns:
        A matplotlib figure.
    """
    plt = pyplot()
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
    # What a reader asked of the chart: why a curve stops below 1, and the hollow diamonds.
    ax.set_xlabel(
        "a curve levels off at the route's P(starts): below 1, the route may never start; "
        "a diamond is at the target SOP and P(on time)"
        + (", hollow for curves 11-20" if len(curves) > 10 else ""),
        fontsize=8,
    )
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


def _panel_title(k: int, route: str, program: str, p_starts: float | None = None) -> str:
    """A volume-fan panel's title: the whole route id, broken at its ``@`` and wrapped, its
    program, and the chance that it starts at all (where known).

    Cut at 48 characters, long ids lost their plant (``...@partner:bjev-changzh``).
    """
    licence, at, plant = route.partition("@")
    last = program if p_starts is None else f"{program}, P(starts) {p_starts:.0%}"
    parts = [f"{k}. {licence}", *([at + plant] if at else []), last]
    # Ids have no spaces: textwrap breaks them after a hyphen, or mid-word if it must,
    # and adds no characters, so the lines joined give the id back.
    return "\n".join(textwrap.fill(p, _PANEL_WIDTH) for p in parts)


_PANEL_WIDTH = 44
"""Characters per line of a volume-fan panel title (at font size 7, a panel holds ~50)."""


def volume_fan_chart(res: RiskResult, path: Path | None = None) -> bytes:
    """Cars built by year for the first :data:`MAX_CHART_ROUTES` routes, as the risk text
    counts them (capped by the program's demand, or the cars allocated): P10-P90 band, P50
    line, mean, and the cap.

    Args:
        res: A risk result.
        path: PNG file to write (None: only return it).

    Returns:
        The chart as PNG bytes.
    """
    return save_png(volume_fan_figure(res), path)


def volume_fan_figure(res: RiskResult) -> Any:
    """The figure of :func:`volume_fan_chart` (the caller closes it).

    Args:
        res: A risk result.

    Returns:
        A matplotlib figure.
    """
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    head = res.summary.head(MAX_CHART_ROUTES)
    routes = list(zip(head["program"], head["route"], strict=True))
    cols = max(1, min(4, len(routes)))
    rows_n = max(1, (len(routes) + cols - 1) // cols)
    fig, axes = plt.subplots(
        rows_n, cols, figsize=(3.2 * cols, 2.8 * rows_n), squeeze=False, sharey=True
    )
    vol = res.volumes
    # Cars built, capped by what the route may build, as the text's table counts them: the
    # cars available (a plant's capacity, say 240k for Nio against 200k wanted) drew a
    # chart that disagreed with the table beside it.
    p_starts = (
        [float(p) for p in head["p_success"]] if "p_success" in head else [None] * len(routes)
    )
    for k, (program, route) in enumerate(routes):
        ax = axes[k // cols][k % cols]
        # Programs of one company share route ids: a route's rows are its program's.
        sub = vol[(vol["program"] == program) & (vol["route"] == route)]
        ax.fill_between(sub["year"], sub["built_p10"] / 1e3, sub["built_p90"] / 1e3, alpha=0.3)
        ax.plot(sub["year"], sub["built_p50"] / 1e3, lw=2)
        ax.plot(sub["year"], sub["built_mean"] / 1e3, lw=1, ls="--", color="grey")
        ax.plot(sub["year"], sub["demand"] / 1e3, lw=1, ls=":", color="black")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years, not 2024.5
        ax.set_title(_panel_title(k + 1, str(route), str(program), p_starts[k]), fontsize=7)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    for k in range(len(routes), rows_n * cols):
        axes[k // cols][k % cols].axis("off")
    cap = "the cars allocated" if res.demand_basis == "allocation" else "the program's demand"
    fig.suptitle(
        f"{res.scenario}: thousand cars built per year, capped by {cap}\n"
        f"(band P10-P90, line P50, dashed mean, dotted {cap})" + _shown(res)
    )
    fig.tight_layout()
    return fig
