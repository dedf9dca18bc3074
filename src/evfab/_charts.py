"""Charts people would rather look at than read: plan timelines and utilization heatmaps (PNG)."""

from __future__ import annotations

import datetime as dt
import io
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
            target, y, marker="D", color="tab:red", ms=7, label="target SOP" if i == 0 else None
        )
        chosen = result.choices[result.choices["program"] == g]
        for row in chosen.itertuples():
            ax.plot(
                row.earliest_sop,
                y,
                marker="o",
                color="tab:green",
                ms=8,
                label="earliest SOP (chosen route)" if i == 0 else None,
            )
            for o in str(row.offers).split(", "):
                if o:
                    signed = world.signing_date(world.offer(o))
                    ax.plot(
                        signed,
                        y,
                        marker="^",
                        color="tab:purple",
                        ms=7,
                        label="deal in force" if i == 0 else None,
                    )
    ax.axvline(world.as_of, color="grey", ls="--", lw=1)
    # At the foot of the line, inside the axes (above the top row it was cut off).
    ax.text(
        world.as_of, 0.01, " as of", color="grey", fontsize=8, transform=ax.get_xaxis_transform()
    )
    ax.set_yticks(range(len(progs)), [str(g) for g in reversed(progs)])
    shown = f" ({len(progs)} of {n_all} programs, most demand first)" if n_all > len(progs) else ""
    ax.set_title(f"{world.name}: milestones and production (bar height ~ cars per year){shown}")
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles, strict=True))
    ax.legend(uniq.values(), uniq.keys(), loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    png = _save(fig, path)
    plt.close(fig)
    return png


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
    u = result.utilization
    fig, ax = plt.subplots(figsize=(9, 2 + 0.3 * min(max_plants, max(1, u["plant"].nunique()))))
    if len(u):
        table = u.pivot_table(index="plant", columns="year", values="utilization", aggfunc="mean")
        used = u.groupby("plant")["used"].sum().reindex(table.index).fillna(0)
        n_all = len(table)
        table = table.loc[used.sort_values(ascending=False).index[:max_plants]]
        if n_all > len(table):
            ax.set_xlabel(f"the {len(table)} busiest of {n_all} plants (utilization.csv has all)")
        im = ax.imshow(table.to_numpy(np.float64), aspect="auto", cmap="YlOrRd", vmin=0, vmax=1)
        ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
        ax.set_yticks(range(len(table.index)), [str(i) for i in table.index])
        for (r, c), val in np.ndenumerate(table.to_numpy(np.float64)):
            if len(table) <= 30 and not np.isnan(val) and val > 0:  # "-" in the table
                ax.text(c, r, f"{val:.0%}", ha="center", va="center", fontsize=7)
        fig.colorbar(im, ax=ax, label="utilization")
    ax.set_title(f"{result.scenario}: plant utilization by year")
    png = _save(fig, path)
    plt.close(fig)
    return png


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


def sop_cdf_chart(res: RiskResult, path: Path | None = None) -> bytes:
    """P(SOP <= date) for the first :data:`MAX_CHART_ROUTES` routes, targets marked.

    Args:
        res: A risk result.
        path: PNG file to write (None: only return it).

    Returns:
        The chart as PNG bytes.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 5.5))
    # Every curve runs from as_of (0) to the horizon's end (its chance of starting at all),
    # so that a route with one SOP date shows a step and one that never starts a flat line.
    end = dt.date(int(res.volumes["year"].max()), 12, 31) if len(res.volumes) else res.as_of
    for i, row in enumerate(res.summary.head(MAX_CHART_ROUTES).to_dict("records")):
        days = res.sop_samples[res.key(str(row["program"]), str(row["route"]))]
        n = max(1, len(days))
        finite = days[np.isfinite(days)]
        dates = [res.as_of, *(res.as_of + dt.timedelta(days=float(d)) for d in finite), end]
        ys = [0.0, *(np.arange(1, len(finite) + 1) / n), len(finite) / n]
        # Ten colours, then the same ten dashed: no two curves look alike.
        (line,) = ax.step(
            dates,
            ys,
            where="post",
            color=f"C{i % 10}",
            ls=("-", "--", ":", "-.")[i // 10 % 4],
            label=f"{i + 1}. {row['route']} ({row['program']})",
        )
        ax.plot(
            row["target_sop"],
            float(row["p_on_target"]),
            marker="D",
            color=line.get_color(),
            ms=6,
        )
    ax.set_ylim(0, 1)
    ax.set_ylabel("P(SOP on or before date)")
    ax.set_title(
        f"{res.scenario}: start of production, {res.samples:,} samples (diamond = target)"
        + _shown(res),
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    if len(ax.get_lines()):
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    png = _save(fig, path)
    plt.close(fig)
    return png


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
    from matplotlib.ticker import MaxNLocator

    head = res.summary.head(MAX_CHART_ROUTES)
    routes = list(zip(head["program"], head["route"], strict=True))
    cols = min(4, len(routes))
    rows_n = (len(routes) + cols - 1) // cols
    fig, axes = plt.subplots(
        rows_n, cols, figsize=(3.2 * cols, 2.6 * rows_n), squeeze=False, sharey=True
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
        ax.set_title(f"{k + 1}. {route}"[:48] + f"\n{program}", fontsize=7)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    for k in range(len(routes), rows_n * cols):
        axes[k // cols][k % cols].axis("off")
    fig.suptitle(
        f"{res.scenario}: thousand cars {what} per year (band P10-P90, line P50, dashed mean)"
        + _shown(res)
    )
    fig.tight_layout()
    png = _save(fig, path)
    plt.close(fig)
    return png
