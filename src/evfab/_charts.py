"""Charts people would rather look at than read: plan timelines and utilization heatmaps (PNG)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evfab._io import atomic_write_bytes
from evfab._world import World, add_months
from evfab.plan import PlanResult
from evfab.risk import RiskResult


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: object, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")  # type: ignore[attr-defined]
    atomic_write_bytes(path, buf.getvalue())


def timeline_chart(world: World, result: PlanResult, path: Path, max_programs: int = 40) -> None:
    """Each program's milestones: deals signed, earliest SOP, target SOP, and production by year.

    Args:
        world: The compiled world.
        result: A plan.
        path: PNG file to write.
        max_programs: Show at most this many programs (largest demand first).
    """
    plt = _pyplot()
    progs = list(world.programs.index)
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
                    ax.barh(
                        y,
                        dt.timedelta(days=365),
                        left=dt.date(int(year), 1, 1),
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
                    signed = add_months(world.as_of, world.offer(o)["lead_months"].mode)
                    ax.plot(
                        signed,
                        y,
                        marker="^",
                        color="tab:purple",
                        ms=7,
                        label="deal in force" if i == 0 else None,
                    )
    ax.axvline(world.as_of, color="grey", ls="--", lw=1)
    ax.text(world.as_of, len(progs) - 0.4, " as of", color="grey", fontsize=8)
    ax.set_yticks(range(len(progs)), [str(g) for g in reversed(progs)])
    ax.set_title(f"{world.name}: milestones and production (bar height ~ cars per year)")
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles, strict=True))
    ax.legend(uniq.values(), uniq.keys(), loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    _save(fig, path)
    plt.close(fig)


def utilization_chart(result: PlanResult, path: Path, max_plants: int = 60) -> None:
    """Plant x year heatmap of utilization (own load plus planned production over capacity).

    Args:
        result: A plan.
        path: PNG file to write.
        max_plants: Show at most this many plants (busiest first).
    """
    plt = _pyplot()
    u = result.utilization
    fig, ax = plt.subplots(figsize=(9, 2 + 0.3 * min(max_plants, max(1, u["plant"].nunique()))))
    if len(u):
        table = u.pivot_table(index="plant", columns="year", values="utilization", aggfunc="mean")
        used = u.groupby("plant")["used"].sum().reindex(table.index).fillna(0)
        table = table.loc[used.sort_values(ascending=False).index[:max_plants]]
        im = ax.imshow(table.to_numpy(np.float64), aspect="auto", cmap="YlOrRd", vmin=0, vmax=1)
        ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
        ax.set_yticks(range(len(table.index)), [str(i) for i in table.index])
        for (r, c), val in np.ndenumerate(table.to_numpy(np.float64)):
            if len(table) <= 30 and not np.isnan(val):
                ax.text(c, r, f"{val:.0%}", ha="center", va="center", fontsize=7)
        fig.colorbar(im, ax=ax, label="utilization")
    ax.set_title(f"{result.scenario}: plant utilization by year")
    _save(fig, path)
    plt.close(fig)


def write_plan_outputs(world: World, result: PlanResult, out: Path) -> list[Path]:
    """Write the plan's tables as CSV and its charts as PNG into ``out`` (atomically).

    Args:
        world: The compiled world.
        result: A plan.
        out: Folder (created if missing).

    Returns:
        The files written.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables: dict[str, pd.DataFrame] = {
        "choices": result.choices,
        "offers": result.offers,
        "production": result.production,
        "unmet": result.unmet,
        "utilization": result.utilization,
        "costs": result.costs,
        "capacity_values": result.capacity_values,
        "alternatives": result.alternatives,
        "shortfalls": result.shortfalls,
    }
    tables["choices"] = result.choices.assign(warnings=result.choices["warnings"].map(" | ".join))
    for name, table in tables.items():
        path = out / f"{name}.csv"
        atomic_write_bytes(path, table.to_csv(index=False).encode("utf-8"))
        written.append(path)
    if result.ok:
        timeline_chart(world, result, out / "timeline.png")
        utilization_chart(result, out / "utilization.png")
        written += [out / "timeline.png", out / "utilization.png"]
    return written


def write_risk_outputs(res: RiskResult, out: Path) -> list[Path]:
    """Write risk tables (CSV) and charts (PNG: SOP CDF per route, volume fan chart) into ``out``.

    Args:
        res: A risk result.
        out: Folder (created if missing).

    Returns:
        The files written.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = []
    summary = res.summary.assign(warnings=res.summary["warnings"].map(" | ".join))
    for name, table in (("risk_routes", summary), ("risk_volumes", res.volumes)):
        path = out / f"{name}.csv"
        atomic_write_bytes(path, table.to_csv(index=False).encode("utf-8"))
        written.append(path)
    sop_cdf_chart(res, out / "sop_cdf.png")
    volume_fan_chart(res, out / "volume_fan.png")
    return [*written, out / "sop_cdf.png", out / "volume_fan.png"]


def sop_cdf_chart(res: RiskResult, path: Path) -> None:
    """P(SOP <= date) for every route, with each route's target marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for i, row in enumerate(res.summary.to_dict("records")):
        days = res.sop_samples[res.key(str(row["program"]), str(row["route"]))]
        n = len(days)
        finite = days[np.isfinite(days)]
        if len(finite):
            dates = [res.as_of + dt.timedelta(days=float(d)) for d in finite]
            ys = np.arange(1, len(finite) + 1) / n
            (line,) = ax.step(
                dates, ys, where="post", label=f"{i + 1}. {row['route']} ({row['program']})"
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
    ax.set_title(f"{res.scenario}: start of production, {res.samples:,} samples (diamond = target)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    _save(fig, path)
    plt.close(fig)


def volume_fan_chart(res: RiskResult, path: Path) -> None:
    """Cars available by year per route: P10-P90 band and P50 line."""
    plt = _pyplot()
    routes = list(zip(res.summary["program"], res.summary["route"], strict=True))
    cols = min(4, len(routes))
    rows_n = (len(routes) + cols - 1) // cols
    fig, axes = plt.subplots(
        rows_n, cols, figsize=(3.2 * cols, 2.6 * rows_n), squeeze=False, sharey=True
    )
    vol = res.volumes
    for k, (program, route) in enumerate(routes):
        ax = axes[k // cols][k % cols]
        # Programs of one company share route ids: a route's rows are its program's.
        sub = vol[(vol["program"] == program) & (vol["route"] == route)]
        ax.fill_between(
            sub["year"], sub["available_p10"] / 1e3, sub["available_p90"] / 1e3, alpha=0.3
        )
        ax.plot(sub["year"], sub["available_p50"] / 1e3, lw=2)
        ax.plot(sub["year"], sub["available_mean"] / 1e3, lw=1, ls="--", color="grey")
        ax.set_title(f"{k + 1}. {route}"[:48] + f"\n{program}", fontsize=7)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    for k in range(len(routes), rows_n * cols):
        axes[k // cols][k % cols].axis("off")
    fig.suptitle(
        f"{res.scenario}: thousand cars available per year (band P10-P90, line P50, dashed mean)"
    )
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
