"""Rich rendering of risk results, calibration tables and source lists (CLI only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from evfab._frames import records
from evfab._report import STATUS_STYLE, money, status_text
from evfab._scenario import Scenario
from evfab._world import World
from evfab.priors import PRIORS, Prior
from evfab.risk import RiskResult


def _ym(d: dt.date | None) -> str:
    return "never" if d is None else d.strftime("%Y-%m")


def print_risk(console: Console, world: World, res: RiskResult) -> None:
    """Print SOP distributions, odds of meeting the target, volumes and expected cost per route."""
    console.print(
        Text.assemble(
            ("Risk", "bold"),
            f" for {res.scenario}: {res.samples:,} samples, seed {res.seed}, "
            f"{res.route_samples_per_second / 1e6:.1f}M route-samples/s",
        )
    )
    t = Table(
        header_style="bold",
        title="Start of production (SOP) and odds",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    rows = records(res.summary)
    width = max(
        (len(part) for r in rows for part in str(r["route"]).replace("@", " @").split()), default=10
    )
    for col in (
        "#",
        "route",
        "P(starts)",
        "SOP P10",
        "P50",
        "P90",
        "target",
        "P(on time)",
        "exp. cost",
        "claims",
    ):
        if col == "route":
            t.add_column(col, overflow="fold", min_width=width)
        else:
            t.add_column(col, justify="left" if col == "claims" else "right", no_wrap=True)
    for i, r in enumerate(rows, 1):
        on = float(r["p_on_target"])
        t.add_row(
            str(i),
            f"{str(r['route']).replace('@', chr(10) + '@')}\n[dim]{r['program']}[/]",
            f"{r['p_success']:.0%}",
            _ym(r["sop_p10"]),
            _ym(r["sop_p50"]),
            _ym(r["sop_p90"]),
            _ym(r["target_sop"]),
            Text(f"{on:.0%}", style="green" if on >= 0.8 else "yellow" if on >= 0.5 else "red"),
            money(float(r["expected_cost"])),
            status_text(str(r["weakest_status"])),
        )
    console.print(t)
    vol = res.volumes
    years = sorted(vol["year"].unique())
    years = [y for y in years if vol[vol["year"] == y]["available_p90"].max() > 0][:7] or years[:7]
    v = Table(
        header_style="bold",
        title="Cars available by year: P50 (P10-P90)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    v.add_column("#", justify="right")
    for y in years:
        v.add_column(str(y), justify="right")
    for i, r in enumerate(rows, 1):
        # Programs of one company share route ids: a route's rows are its program's.
        sub = vol[(vol["program"] == r["program"]) & (vol["route"] == r["route"])]
        sub = sub.set_index("year")
        cells = []
        for y in years:
            p10, p50, p90 = (
                float(sub.at[y, c]) for c in ("available_p10", "available_p50", "available_p90")
            )
            cells.append(f"{p50 / 1e3:,.0f}k\n[dim]{p10 / 1e3:,.0f}-{p90 / 1e3:,.0f}k[/]")
        v.add_row(str(i), *cells)
    console.print(v)
    lines = []
    for i, r in enumerate(rows, 1):
        key = res.key(str(r["program"]), str(r["route"]))
        drivers = [d for d in res.drivers.get(key, []) if abs(d[1]) >= 0.05]
        if drivers:
            lines.append(
                f"{i}. SOP driven by "
                + ", ".join(f"{label} (rho {rho:+.2f})" for label, rho in drivers)
            )
    for line in lines:
        console.print(Text(line, style="dim"))
    shaky = {str(w) for r in rows for w in r["warnings"]}
    for w in sorted(shaky):
        console.print(
            Text("! " + w, style=STATUS_STYLE["denied"] if "denied claim" in w else "magenta")
        )
    console.print(
        Text(
            "P(starts): all deals concluded, licences granted (while new licences are), dormant "
            "licences still alive, production allowed (contract manufacturing, agreement in force) "
            "and SOP within the horizon; a percentile shown as 'never' falls among samples where "
            "the route does not start; P(on time) = P(SOP <= target).",
            style="dim",
        )
    )


def risk_json(res: RiskResult) -> dict[str, Any]:
    """The risk result as JSON-ready data (shape documented in docs/json.md)."""
    return {
        "samples": res.samples,
        "seed": res.seed,
        "seconds": res.seconds,
        "route_samples_per_second": res.route_samples_per_second,
        "routes": [
            row | {"drivers": drivers(res.drivers.get(res.key(row["program"], row["route"]), []))}
            for row in records(res.summary)
        ],
        "volumes": records(res.volumes),
        # By route id, as before programs could share one (the first program's then).
        "drivers": {
            route: drivers(v)
            for k, v in reversed(res.drivers.items())
            for route in [k.split("/", 1)[1]]
        },
    }


def drivers(v: list[tuple[str, float]]) -> list[dict[str, Any]]:
    """Drivers as JSON objects."""
    return [{"duration": a, "rank_correlation": b} for a, b in v]


def print_calibration(console: Console, s: Scenario, fitted: list[Prior]) -> None:
    """Print fitted priors next to the ones in use."""
    t = Table(
        title=f"Duration priors fitted on {s.name} (months; min = 0.75 x shortest, mode = median, max = 1.5 x longest)",
        title_justify="left",
        header_style="bold",
    )
    for col in ("route kind", "cases used", "observed", "min", "mode", "max", "claims", "in use"):
        t.add_column(col, justify="right" if col in ("min", "mode", "max") else "left")
    for p in fitted:
        in_use = PRIORS.get(p.kind)
        same = in_use is not None and tuple(in_use) == (p.min, p.mode, p.max)
        t.add_row(
            p.kind,
            "\n".join(p.cases),
            "\n".join(f"{m:g}" for m in p.months),
            f"{p.min:g}",
            f"{p.mode:g}",
            f"{p.max:g}",
            status_text(p.status),
            Text("yes" if same else f"no: {in_use}", style="green" if same else "yellow"),
        )
    console.print(t)
    console.print(
        Text(
            "These priors are the defaults when a scenario gives no duration: contract manufacturing leads, "
            "licence transfers after a purchase, and licence review times (see evfab.priors).",
            style="dim",
        )
    )


def source_rows(world: World, ids: list[str]) -> list[dict[str, Any]]:
    """Source details for ``ids`` in the given order, with the entities citing each."""
    citing: dict[str, list[str]] = {}
    for (kind, ident), cited in world.cites.items():
        for x in cited:
            citing.setdefault(x, []).append(f"{kind} {ident}")
    out = []
    for x in ids:
        if x not in world.sources.index:
            continue
        row = world.sources.loc[x]
        date = row["date"]
        out.append(
            {
                "id": x,
                "status": str(row["status"]),
                "publisher": str(row["publisher"]),
                "date": date.isoformat() if isinstance(date, dt.date) else None,
                "url": str(row["url"]),
                "note": str(row["note"]),
                "cited_by": citing.get(x, []),
                "flag": str(row["status"]) in ("denied", "unclear", "declined_to_comment"),
            }
        )
    return out


def print_sources(console: Console, label: str, rows: list[dict[str, Any]]) -> None:
    """Print a source list, flagged claims first."""
    t = Table(title=f"Sources of {label}", title_justify="left", header_style="bold")
    for col in ("source", "status", "publisher, date", "what it says / url"):
        t.add_column(col)
    order = np.argsort([0 if r["flag"] else 1 for r in rows], kind="stable")
    for k in order:
        r = rows[int(k)]
        t.add_row(
            ("! " if r["flag"] else "") + r["id"],
            status_text(r["status"]),
            f"{r['publisher']}\n{r['date'] or ''}",
            f"{r['note']}\n[dim]{r['url']}[/]" if r["url"] else r["note"],
        )
    console.print(t)
    flagged = [r["id"] for r in rows if r["flag"]]
    if flagged:
        console.print(
            Text(
                f"{len(flagged)} claim(s) denied or unclear: " + ", ".join(flagged),
                style="bold red",
            )
        )
