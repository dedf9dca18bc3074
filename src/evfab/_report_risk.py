"""Rich rendering of risk results, calibration tables and source lists (CLI only)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from evfab._cli_console import column_blocks, fit
from evfab._fmt import cars_short, money, plural, runs
from evfab._frames import records
from evfab._load import resolve
from evfab._report import STATUS_STYLE, status_text
from evfab._scenario import CaseKind, Scenario
from evfab._world import World
from evfab._yamlsrc import read_yaml
from evfab.priors import (
    APPLIED,
    NEGOTIATION,
    PRIOR_SOURCE_ID,
    PRIORS,
    Prior,
    in_use,
    left_out,
)
from evfab.risk import RiskResult

MAX_ROUTE_ROWS = 50
"""Most routes the risk text lists (in its tables and notes); --out and --json have all."""
MAX_PROGRAM_LINES = 30
"""Most programs whose odds over several routes the risk text lists."""


def _ym(d: dt.date | None) -> str:
    return "never" if d is None else d.strftime("%Y-%m")


def _run_words(res: RiskResult) -> str:
    """The options a run can be repeated with: samples, seed, demand spread and correlation."""
    words = f"{res.samples:,} samples, seed {res.seed}, "
    if res.demand_spread > 0:
        words += f"demand drawn within +/-{res.demand_spread:.0%}"
        if res.demand_correlation > 0:
            words += f" (correlation {res.demand_correlation:g})"
    else:
        words += "demand fixed"
        if res.demand_correlation > 0:
            words += f" (correlation {res.demand_correlation:g} given, without effect)"
    return words


def print_risk(console: Console, world: World, res: RiskResult) -> None:
    """Print SOP distributions, odds of meeting the target, volumes and expected cost per route."""
    console.print(
        Text.assemble(
            ("Risk", "bold"),
            f" for {res.scenario}: {_run_words(res)}; "
            f"{res.route_samples_per_second / 1e6:.1f}M route-samples/s",
        )
    )
    if res.demand_basis == "allocation":
        console.print(
            "Routes as allocated: each builds up to the cars allocated to it each year (with "
            "--plan, the plan's), so their volumes and per-car costs add up to the allocation's; "
            "a one-off fee several routes share is in each route's cost, and once in Together.",
            markup=False,
        )
    else:
        console.print(
            "Routes as alternatives: each may build up to its program's whole demand (with "
            "--plan, up to the cars the plan gives it).",
            markup=False,
        )
    t = Table(
        header_style="bold",
        title="Start of production (SOP) and odds",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    every = records(res.summary)
    rows = every[:MAX_ROUTE_ROWS]
    if len(every) > len(rows):
        t.caption = (
            f"routes 1-{len(rows)} of {len(every):,}: `--program ID` shows a program's, "
            "`--json` and `--out DIR` (risk_routes.csv, risk_volumes.csv) have every one"
        )
    width = max(
        (len(part) for r in rows for part in str(r["route"]).replace("@", " @").split()), default=10
    )
    for col in (
        "#",
        "route",
        "P(starts)",
        "SOP if it\nstarts: P10",
        "P50",
        "P90",
        "target",
        # Two-line headers: the figures under them are narrower, and the room goes to the
        # route ids (README's xiaomi-2022 risk table keeps them whole at 120 columns).
        "P(on\ntime)",
        "exp.\ncost",
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
            Text(str(r["route"]).replace("@", "\n@") + "\n") + Text(str(r["program"]), style="dim"),
            f"{r['p_success']:.0%}",
            _ym(r["sop_if_starts_p10"]),
            _ym(r["sop_if_starts_p50"]),
            _ym(r["sop_if_starts_p90"]),
            _ym(r["target_sop"]),
            Text(f"{on:.0%}", style="green" if on >= 0.8 else "yellow" if on >= 0.5 else "red"),
            money(float(r["expected_cost"])),
            status_text(str(r["weakest_status"])),
        )
    console.print(fit(console, t))
    _print_programs(console, res)
    _print_volumes(console, res, rows)
    if res.demand_basis == "allocation" and rows:
        built = sum(float(r["expected_built"]) for r in every)
        allocated = sum(float(r["demand"]) for r in every)
        share = f" ({built / allocated:.0%})" if allocated > 0 else ""
        cost = res.expected_cost_together
        console.print(
            f"Together: {built:,.0f} of the {allocated:,.0f} cars allocated expected to be "
            f"built{share}; expected cost {money(cost)} {world.currency} (discounted)."
        )
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
    shaky: dict[str, list[int]] = {}
    for i, r in enumerate(rows, 1):
        for w in r["warnings"]:
            shaky.setdefault(str(w), []).append(i)
    for w, nums in sorted(shaky.items()):
        # Worded as the routes table words them: "routes 2-3 rest on a denied claim: ...".
        label = "route " if len(nums) == 1 else "routes "
        if len(nums) > 1 and w.startswith("rests "):
            w = "rest " + w.removeprefix("rests ")
        console.print(
            Text("! " + label + runs(nums) + " ", style="bold").append(
                w, style=STATUS_STYLE["denied"] if "denied claim" in w else "magenta"
            )
        )
    for note in res.notes:
        console.print(Text("note: " + note, style="yellow"))
    console.print(
        Text(
            "P(starts): all deals concluded, licences granted (while new licences are), dormant "
            "licences still alive, production allowed (contract manufacturing, agreement in force) "
            "and SOP within the horizon; SOP P10/P50/P90 are among the samples where the route "
            "starts ('never': it starts in none); P(on time) = P(SOP <= target). Cars: those "
            "a route builds, capped by its program's demand (or allocation): the expected "
            "number (the mean over every sample, those without a start counting 0) and the "
            f"P10-P90 range. exp. cost: the route's expected cost, {world.currency} "
            f"discounted to as_of ({world.as_of}).",
            style="dim",
        )
    )


def _print_programs(console: Console, res: RiskResult) -> None:
    """For a program with several routes: the chance that some of them starts on time."""
    several = res.programs[res.programs["routes"] > 1] if len(res.programs) else res.programs
    every = records(several)
    for r in every[:MAX_PROGRAM_LINES]:
        on = float(r["p_any_on_target"])
        console.print(
            Text(f"{r['program']}: ")
            .append(f"{on:.0%}", style="green" if on >= 0.8 else "yellow" if on >= 0.5 else "red")
            .append(
                f" that at least one of its {r['routes']} routes starts by "
                f"{_ym(r['target_sop'])} if all are pursued together "
                f"({float(r['p_any_starts']):.0%} that one starts at all)"
            )
        )
    if len(every) > MAX_PROGRAM_LINES:
        console.print(
            Text(
                f"... {plural(len(every) - MAX_PROGRAM_LINES, 'more program')} with several routes: "
                "`--json` gives them as `programs`",
                style="dim",
            )
        )


def _print_volumes(console: Console, res: RiskResult, rows: list[dict[str, Any]]) -> None:
    """Cars built by year, each route capped by what it may build (its program's demand, or
    with an allocation the cars allocated), and that cap, every year: in as many tables one
    after another as the width needs; leading years in which no route has cars are left
    out, and a line says so. (A route alone showed the cars its plant could give: 84k for
    Nio in 2022, against 40k wanted. The available cars are in the JSON and CSV.)"""
    vol = res.volumes
    allocated = res.demand_basis == "allocation"
    what = "built"
    years = sorted(int(y) for y in vol["year"].unique())
    by_year = vol.groupby("year")
    has_cars = by_year["built_mean"].max() + by_year["demand"].max()
    first = next((i for i, y in enumerate(years) if has_cars[y] > 0), len(years))
    skipped, years = years[:first], years[first:]
    cells: dict[int, list[list[str]]] = {}
    for i, r in enumerate(rows, 1):
        # Programs of one company share route ids: a route's rows are its program's.
        sub = vol[(vol["program"] == r["program"]) & (vol["route"] == r["route"])]
        sub = sub.set_index("year")
        cells[i] = []
        for y in years:
            p10, p90 = (float(sub.at[y, f"{what}_p{q}"]) for q in (10, 90))
            # The mean, not the P50: with P(starts) near 50 % the median flips between 0 and
            # the route's full volume from one seed to the next.
            mean = float(sub.at[y, f"{what}_mean"])
            cap = float(sub.at[y, "demand"])
            if round(cap) == 0 and round(p90) == 0:
                cells[i].append(["-"])  # nothing wanted of it, nothing built: "0k of 0k"
                continue
            lo, hi = cars_short(p10), cars_short(p90)
            lines = [cars_short(mean), lo if lo == hi else f"{lo}-{hi}", f"of {cars_short(cap)}"]
            cells[i].append(lines)
    widths = [
        max([len(str(y))] + [len(line) for c in cells.values() for line in c[j]])
        for j, y in enumerate(years)
    ]
    # NOTE: rich squeezes columns that do not fit, wrapping "240-240k" over two lines; a
    # table per block of years that fits keeps every cell whole.
    blocks = column_blocks(widths, len(str(len(rows))) + 3, console.width)
    title = (
        "Cars built by year, capped by the cars allocated: expected (P10-P90), of the allocation"
        if allocated
        else "Cars built by year, each route alone: expected (P10-P90), of the demand"
    )
    for k, block in enumerate(blocks or [[]]):
        head = (
            title
            if k == 0
            else f"Cars {what} by year (continued: {years[block[0]]}-{years[block[-1]]})"
        )
        # A line of its own: as the title of one year's narrow table it wrapped a word a line.
        console.print(Text(head, style="italic"))
        v = Table(header_style="bold", box=box.SIMPLE_HEAD)
        v.add_column("#", justify="right")
        for j in block:
            v.add_column(str(years[j]), justify="right", no_wrap=True)
        for i, c in cells.items():
            v.add_row(str(i), *(_dim_after_first(c[j]) for j in block))
        console.print(v)
    if skipped:
        gap = str(skipped[0]) if len(skipped) == 1 else f"{skipped[0]}-{skipped[-1]}"
        console.print(Text(f"{gap} left out: no route has cars then.", style="dim"))


def _dim_after_first(lines: list[str]) -> Text:
    """A volume cell: the expected cars, then the other lines dimmed."""
    return Text(lines[0]).append("".join("\n" + x for x in lines[1:]), style="dim")


def risk_json(res: RiskResult) -> dict[str, Any]:
    """The risk result as JSON-ready data (shape documented in docs/json.md)."""
    return {
        "samples": res.samples,
        "seed": res.seed,
        "demand_spread": res.demand_spread,
        "demand_correlation": res.demand_correlation,
        "demand_basis": res.demand_basis,
        "notes": list(res.notes),
        "expected_cost_together": res.expected_cost_together,
        "programs": records(res.programs),
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
    """Print fitted priors next to the ones in use, or why there is nothing to fit."""
    if not fitted:
        _print_nothing_to_fit(console, s)
        return
    t = Table(
        title=f"Duration priors fitted on {s.name} (months; min = 0.75 x shortest, mode = median, max = 1.5 x longest)",
        title_justify="left",
        header_style="bold",
    )
    for col in ("route kind", "cases used", "observed", "min", "mode", "max", "claims", "in use"):
        t.add_column(col, justify="right" if col in ("min", "mode", "max") else "left")
    for p in fitted:
        t.add_row(
            p.kind,
            "\n".join(p.cases),
            "\n".join(f"{m:g}" for m in p.months),
            f"{p.min:g}",
            f"{p.mode:g}",
            f"{p.max:g}",
            status_text(p.status),
            _in_use_text(p.kind, in_use(p)),
        )
    console.print(t)
    for case, reason in left_out(s).items():
        console.print(Text(f"case {case} left out: {reason}", style="dim"))
    console.print(Text(_PRIORS_NOTE, style="dim"))


def _in_use_text(kind: str, same: bool) -> Text:
    """The "in use" cell: yes, the numbers applied instead, or reference only."""
    if kind not in APPLIED:
        # own_plant and acquisition_delivery: shipped and fitted, but no engine draws on them.
        return Text("no: reference only", style="cyan")
    if same:
        return Text("yes", style="green")
    lo, mid, hi = PRIORS[kind]
    return Text(f"no: applies {lo:g}/{mid:g}/{hi:g}", style="yellow")


_PRIORS_NOTE = (
    "evfab applies three priors where a scenario leaves a duration unset: contract_manufacturing "
    "to a contract-manufacturing offer's lead (lead_months), acquisition_licence to the licence "
    "transfer after a purchase (transfer_months) and licence_application to a licence review "
    "where no policy period sets review_months; other offers' leads take a "
    f"{'/'.join(f'{m:g}' for m in NEGOTIATION)}-month negotiation assumption. own_plant and "
    "acquisition_delivery are applied by no engine (a plant phase gives its own ready date or "
    "build months): they are a reference to compare a scenario's own plant build times and "
    "purchase-to-first-cars times with (see evfab.priors)."
)
"""Footnote of ``evfab calibrate``: which priors are applied, and to what."""


def _print_nothing_to_fit(console: Console, s: Scenario) -> None:
    """Why a scenario fits no prior, how to give it cases, and the priors that stay in use."""
    if not s.history:
        why = f"{s.name} has no `history` of observed cases."
    else:
        skipped = left_out(s)
        why = f"none of the {len(s.history)} cases in {s.name}'s `history` can be used:\n" + (
            "\n".join(f"  - {case}: {reason}" for case, reason in skipped.items())
        )
    kinds = ", ".join(k.value for k in CaseKind)
    console.print(Text.assemble(("Nothing to fit", "bold yellow"), ": ", why))
    console.print(
        "To fit priors, add a `history` section with one entry per observed case: "
        f"id, company, kind ({kinds}), start and end dates (a case not over by as_of has no "
        "end and is not used) and sources, e.g.\n"
        "  history:\n"
        "    - {id: nio-jac, company: nio, kind: contract_manufacturing, start: 2016-05-23,\n"
        "       end: 2018-06-28, sources: [nio-jac-agreement]}\n"
        "(`evfab calibrate china-ev` fits the bundled cases; `evfab schema` describes the fields.)",
        highlight=False,
        markup=False,
    )
    t = Table(
        title="Priors evfab ships (months), unchanged",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
    for col in ("route kind", "min", "mode", "max", "in use"):
        t.add_column(col, justify="right" if col in ("min", "mode", "max") else "left")
    for kind, (lo, mid, hi) in PRIORS.items():
        t.add_row(kind, f"{lo:g}", f"{mid:g}", f"{hi:g}", _in_use_text(kind, True))
    console.print(t)
    console.print(Text(_PRIORS_NOTE, style="dim"))


_MONTH_ONLY = re.compile(r"^(\d{4})-(\d{1,2})$")
"""A date given with its month only (the schema reads it as the first of the month)."""


def stated_dates(file: str | Path) -> dict[str, str]:
    """Source dates the scenario gives with a month only (``2018-06``), by source id.

    A scenario's dates are read as days (``YYYY-MM`` as the first of the month), so the
    precision a source was given with survives only in the file itself.

    Args:
        file: The scenario file, or the name of a bundled scenario.

    Returns:
        ``{source id: "YYYY-MM"}`` for every source whose date has no day.
    """
    data = read_yaml(resolve(file)).data
    out: dict[str, str] = {}
    items = data.get("sources") if isinstance(data, dict) else None
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("date"), str):
            continue
        m = _MONTH_ONLY.match(item["date"].strip())
        if m and 1 <= int(m.group(2)) <= 12:
            out[str(item.get("id"))] = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    return out


def _policy_label(since: dt.date, name: str) -> str:
    when = since.isoformat()
    return f"policy {name} (since {when})" if name else f"policy period since {when}"


def _policy_cites(world: World, scenario: Scenario | None) -> list[tuple[str, str]]:
    """(source id, policy period) for every source a policy period cites."""
    out: list[tuple[str, str]] = []
    if scenario is not None:
        for period in scenario.policy:
            label = _policy_label(period.since, period.name)
            out += [(x, label) for x in dict.fromkeys(period.sources)]
    else:
        for p in (q for q in world.policy if q.applies):
            # Without the scenario: a period's sources are those of the rules it sets
            # (rule_sources holds, for each rule, the sources of the period that set it).
            own = (
                x
                for rule, (since, _) in p.set_on.items()
                if since == p.since
                for x in p.rule_sources.get(rule, ())
            )
            out += [(x, _policy_label(p.since, p.name)) for x in dict.fromkeys(own)]
    prior = PRIOR_SOURCE_ID.format(kind="licence_application")
    out += [
        (prior, _policy_label(p.since, p.name))
        for p in world.policy
        if p.review_is_prior and p.applies
    ]
    return out


def source_rows(
    world: World,
    ids: list[str],
    *,
    scenario: Scenario | None = None,
    dates: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Source details for ``ids`` in the given order, with what cites each.

    Args:
        world: The compiled world.
        ids: Source ids (ids the world does not know are left out).
        scenario: The scenario of ``world``: with it, policy periods that set no rule
            (and only cite sources) count among the citing too.
        dates: Dates to show as given, by source id, such as the month-only dates of
            :func:`stated_dates`; other dates are shown as ``YYYY-MM-DD``.

    Returns:
        One dict per source: id, status, publisher, date, url, note, cited_by (the
        entities and policy periods citing it, e.g. ``offer o1``, ``policy MIIT Order 54
        (since 2020-09-01)``; a review time left to the calibrated prior cites it from
        the periods concerned) and flag (a denied, unclear or declined claim).
    """
    citing: dict[str, list[str]] = {}
    for (kind, ident), cited in world.cites.items():
        for x in cited:
            citing.setdefault(x, []).append(f"{kind} {ident}")
    for x, label in _policy_cites(world, scenario):
        citing.setdefault(x, []).append(label)
    out = []
    for x in ids:
        if x not in world.sources.index:
            continue
        row = world.sources.loc[x]
        date = row["date"]
        shown = (dates or {}).get(x)
        if shown is None and isinstance(date, dt.date):
            shown = date.isoformat()
        out.append(
            {
                "id": x,
                "status": str(row["status"]),
                "publisher": str(row["publisher"]),
                "date": shown,
                "url": str(row["url"]),
                "note": str(row["note"]),
                "cited_by": list(dict.fromkeys(citing.get(x, []))),
                "flag": str(row["status"]) in ("denied", "unclear", "declined_to_comment"),
            }
        )
    return out


def print_sources(console: Console, label: str, rows: list[dict[str, Any]]) -> None:
    """Print a source list, flagged claims first; URLs fold onto further lines, never cut."""
    title = label[:1].upper() + label[1:] if label.startswith("every ") else f"Sources of {label}"
    t = Table(title=f"{title} ({len(rows)})", title_justify="left", header_style="bold")
    t.add_column("source", overflow="fold")
    t.add_column("status")
    t.add_column("publisher, date", overflow="fold", max_width=22)
    t.add_column("what it says / url", overflow="fold", ratio=1)
    order = np.argsort([0 if r["flag"] else 1 for r in rows], kind="stable")
    for k in order:
        r = rows[int(k)]
        what = Text(r["note"])
        if r["url"]:
            what.append("\n" + r["url"], style="dim")
        t.add_row(
            ("! " if r["flag"] else "") + r["id"],
            status_text(r["status"]),
            f"{r['publisher']}\n{r['date'] or ''}",
            what,
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
