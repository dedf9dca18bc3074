"""Rich rendering of a plan for the terminal (used by the CLI only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from evfab._cli_console import column_blocks, fit
from evfab._fmt import money, plural, runs
from evfab._frames import records
from evfab._plan_explain import NOT_PRICED
from evfab._report import status_text
from evfab._world import World
from evfab.plan import PlanOptions, PlanResult

MAX_WHY_PROGRAMS = 12
"""Most programs whose "Why" sections the plan's text shows (each takes several lines)."""
MAX_CHOSEN_ROWS = 50
"""Most chosen routes the plan's text lists (two lines each); --out and --json have all."""


def _pivot_tables(
    console: Console,
    title: str,
    df: pd.DataFrame,
    index: str,
    value: str,
    fmt: str,
    order: Sequence[str],
    years: Sequence[int],
    limit: int = 25,
    zero: str = "-",
) -> list[Table]:
    """``df`` as ``index`` x year, ``fmt`` each value; "-" where there is no row, ``zero``
    where the value is 0.

    Rows come in ``order`` (the scenario's: g2 before g10), columns are every one of
    ``years`` (a program that builds nothing in its last years shows them as "-", not as
    a table that ends early). One table per block of years that fits the console (as the
    risk volumes): squeezed into one, the figures would end in an ellipsis ("19,...") on a
    narrow terminal.
    """
    if df.empty:
        t = Table(
            title=title,
            title_justify="left",
            header_style="bold",
            min_width=min(len(title), console.width),
        )
        t.add_column("(none)")
        return [t]
    pv = df.pivot_table(index=index, columns="year", values=value, aggfunc="sum")
    present = set(pv.index)
    pv = pv.reindex(index=[k for k in order if k in present], columns=list(years))
    rows = [
        (str(key), ["-" if pd.isna(v) else format(v, fmt) if v else zero for v in row])
        for key, row in list(pv.iterrows())[:limit]
    ]
    labels = [str(y) for y in pv.columns]
    widths = [max([len(y)] + [len(cells[j]) for _, cells in rows]) for j, y in enumerate(labels)]
    # The label column: its text, a space either side, a rule and the edge.
    first = max([len(index)] + [len(key) for key, _ in rows]) + 4
    blocks = column_blocks(widths, first, console.width)
    tables = []
    for k, block in enumerate(blocks or [[]]):
        span = labels[block[0]] + (f"-{labels[block[-1]]}" if len(block) > 1 else "")
        # A block's title wraps at its width: a continued one says little.
        head = title if k == 0 else f"continued: {span}"
        # As wide as its title: a title wrapped over a narrow table (one year) was hard to read.
        t = Table(
            title=head,
            title_justify="left",
            header_style="bold",
            min_width=min(len(head), console.width),
        )
        t.add_column(index, overflow="fold")
        for j in block:
            t.add_column(labels[j], justify="right", no_wrap=True)
        for key, cells in rows:
            t.add_row(key, *(cells[j] for j in block))
        tables.append(fit(console, t))
    if len(pv) > limit:
        tables[-1].caption = f"{len(pv) - limit} more rows in --out CSVs"
    return tables


def print_plan(
    console: Console, world: World, r: PlanResult, programs: Sequence[str] | None = None
) -> None:
    """Print a plan: status, unmet demand in a line, chosen routes with reasons, production,
    unmet demand by year, utilization, costs, capacity values, deals not taken, shortfalls.

    Args:
        console: Where to print.
        world: The compiled world the plan is for.
        r: The plan.
        programs: Only these programs' routes, production, plants and shortfalls (the
            cost and capacity values stay the whole plan's); None for every program.
    """
    cur = r.currency
    n_shown = len(world.programs)
    if programs is not None:
        r = r.for_programs(programs)
        n_shown = len(programs)
    head = Text.assemble(("Plan", "bold"), f" for {r.scenario} as of {world.as_of}: ")
    head.append(r.status.value, style="green" if r.status.value == "optimal" else "yellow")
    if r.ok:
        head.append(f", discounted total cost {money(r.objective)} {cur}")
        if r.gap > 1e-9:
            within = " within the requested gap;" if r.status.value == "optimal" else ""
            head.append(f" ({within} gap {r.gap:.2%}, bound {money(r.bound)})".replace("( ", "("))
    console.print(head)
    console.print(
        Text(
            f"model: {r.size['rows']:,} rows x {r.size['columns']:,} columns, {r.size['nonzeros']:,} nonzeros, "
            f"{r.size['integers']:,} binaries over {r.size['routes']:,} usable routes; "
            + ", ".join(f"{k} {v:.2f}s" for k, v in r.timings.items()),
            style="dim",
        )
    )
    if programs is not None:
        console.print(
            Text(
                f"Showing {n_shown} of {len(world.programs)} programs ({', '.join(programs)}): "
                "their routes, production, the plants they build at and their shortfalls. The "
                "plan is the whole industry's, so its cost, the costs table and the capacity "
                "values are the whole plan's.",
                style="dim",
            )
        )
    if not r.ok:
        return
    _print_unmet_summary(console, r, whole_plan=programs is None)
    years = [int(y) for y in world.years]
    ct = Table(
        title="Chosen routes", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD
    )
    chosen = records(r.choices)
    shown = chosen[:MAX_CHOSEN_ROWS]
    if len(chosen) > len(shown):
        ct.caption = (
            f"{len(chosen) - len(shown):,} more chosen routes: --program ID shows a program's, "
            "--out DIR (choices.csv) and --json list every one"
        )
    width = max(
        (len(p) for x in shown for p in str(x["route"]).replace("@", " @").split()), default=10
    )
    ct.add_column("program", overflow="fold")
    ct.add_column("route", overflow="fold", min_width=width)
    ct.add_column("manufacturer\nof record")
    ct.add_column("badge")
    ct.add_column("first\nyear", justify="right")
    ct.add_column("cars", justify="right", no_wrap=True)
    ct.add_column("claims", no_wrap=True)
    for row in shown:
        ct.add_row(
            str(row["program"]),
            str(row["route"]).replace("@", "\n@"),
            str(row["manufacturer"]),
            str(row["badge"]),
            str(row["first_year"]),
            f"{row['cars']:,.0f}",
            status_text(str(row["weakest_status"])),
        )
    console.print(fit(console, ct))
    for row in shown:
        for w in row["warnings"]:
            console.print(
                Text(
                    f"! {row['route']} {w}", style="bold red" if "denied claim" in w else "magenta"
                )
            )
    if n_shown <= MAX_WHY_PROGRAMS:
        for g, lines in r.explanations.items():
            console.print(Text(f"Why, for {g}:", style="bold"))
            for line in lines:
                style = "dim" if line.startswith("Not usable") else ""
                console.print(Text("  - " + line, style=style))
    elif r.explanations:
        # Not dropped silently: --alternatives may have spent minutes pricing them.
        priced = bool(len(r.alternatives)) and (r.alternatives["status"] != NOT_PRICED).any()
        console.print(
            Text(
                (
                    "Why each route was chosen, and what the alternatives cost, is left out "
                    if priced
                    else "Why each route was chosen is left out "
                )
                + f"for {n_shown} programs (more than {MAX_WHY_PROGRAMS}): `--json` gives it as "
                "`explanations`, as does plan.json under `--out DIR`; `--program ID` shows one "
                "program's."
                + (
                    ""
                    if priced
                    else " The alternatives were not priced: each is a re-solve of the whole "
                    f"plan, done by default only when there are at most "
                    f"{PlanOptions().max_alternatives}; "
                    "`--program ID --alternatives` prices one program's."
                ),
                style="dim",
            )
        )
    # A program-year with demand and nothing built reads 0, not "-" (no demand).
    production = r.production
    if len(r.unmet):
        production = pd.concat(
            [production, r.unmet[["program", "year"]].assign(cars=0.0)], ignore_index=True
        )
    console.print(
        *_pivot_tables(
            console,
            "Production (cars; 0: demand, none built; -: no demand)",
            production,
            "program",
            "cars",
            ",.0f",
            world.program_ids,
            years,
            zero="0",
        )
    )
    restarting = stops_and_restarts(production)
    if restarting:
        named = ", ".join(restarting[:10]) + (", ..." if len(restarting) > 10 else "")
        console.print(
            Text(
                f"Production stops and restarts for {plural(len(restarting), 'program')} "
                f"({named}): the plan is the least-cost one for the whole industry, as if its "
                "companies cooperated, so each year's capacity goes where it saves most (a plant "
                "may build others' cars in place of its owner's); such a plan is rarely unique.",
                style="dim",
            )
        )
    if len(r.unmet):
        most = r.unmet.groupby("program")["cars"].sum().sort_values(ascending=False, kind="stable")
        console.print(
            *_pivot_tables(
                console,
                "Unmet demand (cars), most first",
                r.unmet,
                "program",
                "cars",
                ",.0f",
                [str(g) for g in most.index],
                years,
            )
        )
    util = (
        r.utilization.assign(pct=r.utilization["utilization"] * 100)
        if len(r.utilization)
        else r.utilization
    )
    console.print(
        *_pivot_tables(
            console,
            "Plant utilization (% incl. the operator's own load)",
            util,
            "plant",
            "pct",
            ".0f",
            world.plant_ids,
            years,
            zero="0",
        )
    )
    if (world.as_of.month, world.as_of.day) != (1, 1):
        console.print(
            Text(
                f"{world.as_of.year} counts from as_of ({world.as_of}): its capacity, and so "
                "its production and utilization, are for the rest of that year.",
                style="dim",
            )
        )
    whole = " of the whole plan" if programs is not None else ""
    cost = Table(title=f"Costs{whole} ({cur})", title_justify="left", header_style="bold")
    cost.add_column("category")
    cost.add_column("undiscounted", justify="right")
    cost.add_column("discounted", justify="right")
    for rec in records(r.costs):
        style = "bold" if rec["category"] == "total" else ""
        cost.add_row(
            Text(str(rec["category"]), style=style),
            money(float(rec["undiscounted"])),
            money(float(rec["discounted"])),
        )
    console.print(cost)
    vals = (
        r.capacity_values[r.capacity_values["value_per_car"] > 0].head(10)
        if len(r.capacity_values)
        else r.capacity_values
    )
    if len(vals):
        vt = Table(
            title="Where one more car of capacity is worth most" + whole,
            title_justify="left",
            header_style="bold",
        )
        for col in ("plant", "year", f"saves ({cur}/car, discounted)"):
            vt.add_column(col, justify="right" if col != "plant" else "left")
        for val in records(vals):
            vt.add_row(str(val["plant"]), str(val["year"]), f"{val['value_per_car']:,.0f}")
        console.print(vt)
    else:
        console.print(
            Text(
                "One more car of capacity would save nothing at any plant: where a plant is full, "
                "its programs need no more.",
                style="dim",
            )
        )
    _print_deals(console, r)
    print_shortfalls(console, r)


MAX_DEAL_ROWS = 10
"""Most deals not taken the plan's text lists (JSON and --out have all)."""


def _print_deals(console: Console, r: PlanResult) -> None:
    """The deals the plan does not take, with what each would save it (if priced)."""
    deals = r.deal_values
    if deals.empty:
        return
    cur = r.currency
    t = Table(
        title="Deals not taken: the most each is worth to the plan (taken at no fee, the "
        "other deals as planned)",
        title_justify="left",
        header_style="bold",
    )
    for col in ("offer", "kind", "to", f"would save ({cur}, discounted)", "its fee (discounted)"):
        t.add_column(col, justify="left" if col in ("offer", "kind", "to") else "right")
    rows = records(deals)
    for d in rows[:MAX_DEAL_ROWS]:
        priced = d["status"] in ("optimal", "time_limit")
        saves = money(float(d["saves"])) if priced else str(d["status"]).replace("_", " ")
        if d["status"] == "time_limit":
            saves = f"~{saves}"  # a re-solve stopped early: approximate
        elif d.get("scope") == "company" and priced:
            saves = f">={saves}"  # the others kept their deals: at least this
        t.add_row(str(d["offer"]), str(d["kind"]), str(d["to"]), saves, money(float(d["fee"])))
    more = (
        f" {len(rows) - MAX_DEAL_ROWS} more in --json and --out (deal_values)."
        if len(rows) > MAX_DEAL_ROWS
        else ""
    )
    held = (
        " >=: priced with the other companies keeping their planned deals "
        "(--alternatives-scope company), so it saves at least that."
        if "scope" in deals.columns and (deals["scope"] == "company").any()
        else ""
    )
    t.caption = (
        "A deal pays below what it would save: at its fee the plan passes on it. Infeasible: it "
        "excludes a deal the plan takes, or its fee breaks its taker's budget." + held + more
    )
    t.caption_justify = "left"
    console.print(fit(console, t))


def _print_unmet_summary(console: Console, r: PlanResult, whole_plan: bool) -> None:
    """One line on the demand the plan leaves unbuilt, if any: the headline cost counts
    its lost margin, which is no cash spent."""
    if r.unmet.empty:
        return
    short = float(r.unmet["cars"].sum())
    wanted = short + float(r.production["cars"].sum()) if len(r.production) else short
    n = r.unmet["program"].nunique()
    line = (
        f"Unmet demand: {short:,.0f} of {wanted:,.0f} cars ({_share(short / wanted)}) are not built, "
        f"in {n} program{'s' if n != 1 else ''}"
    )
    if whole_plan:
        costs = r.costs.set_index("category")["discounted"]
        lost = float(costs.get("lost margin on unmet demand", float("nan")))
        if lost == lost:  # not NaN
            line += (
                f"; their lost margin, {money(lost)} {r.currency} discounted, is part of the "
                "cost above"
            )
    console.print(Text(line + ".", style="yellow"))


MAX_SHORT_PROGRAMS = 20
"""Most programs whose shortfalls the plan's text explains."""


def stops_and_restarts(production: pd.DataFrame) -> list[str]:
    """Programs whose production stops for a year or more and then starts again.

    Args:
        production: Cars by program and year (0 rows for years of demand and no car).

    Returns:
        Their ids, in the table's order.
    """
    if production.empty:
        return []
    cars = production.groupby(["program", "year"], sort=False)["cars"].sum()
    out = []
    for g, per_year in cars.groupby(level=0, sort=False):
        building = (per_year.sort_index(level=1) >= 0.5).to_numpy()  # a whole car
        on = building.nonzero()[0]
        if len(on) and not building[on[0] : on[-1] + 1].all():
            out.append(str(g))
    return out


def _share(x: float) -> str:
    """A share as a percentage, never 0 % or 100 % unless it is: 8,082 of 5,160,000 cars
    printed as 0 %."""
    if 0 < x < 0.005:
        return "<1%"
    if 0.995 <= x < 1:
        return ">99%"
    return f"{x:.0%}"


def print_shortfalls(console: Console, r: PlanResult) -> None:
    """Print the programs short of demand, the most cars missing first: each one's first
    year short, explained (where capacity could come from), and its other years in a line."""
    if r.shortfalls.empty:
        return
    console.print(
        Text("Shortfalls, the programs with the most cars missing first", style="bold yellow")
    )
    short = r.shortfalls
    total = short.groupby("program", sort=False)["missing"].sum()
    ranked = total.sort_values(ascending=False, kind="stable")
    for g in ranked.index[:MAX_SHORT_PROGRAMS]:
        mine = short[short["program"] == g].sort_values("year", kind="stable")
        console.print(Text("  - " + str(mine["explanation"].iloc[0])))
        if len(mine) > 1:
            # Year after year the same words with other numbers (241 bullets at 150
            # programs): one line says where and how much else.
            later = [int(y) for y in mine["year"].iloc[1:]]
            console.print(
                Text(
                    f"    and in {plural(len(later), 'more year')} ({runs(later)}): "
                    f"{float(ranked[g]):,.0f} cars missing over all {len(mine)} years",
                    style="dim",
                )
            )
    if len(ranked) > MAX_SHORT_PROGRAMS:
        # Say how to get them: without --out there is no shortfalls.csv to look in.
        console.print(
            Text(
                f"  ... {plural(len(ranked) - MAX_SHORT_PROGRAMS, 'more program')}: `--out DIR` writes "
                "every program-year to DIR/shortfalls.csv, `--json` gives them as `shortfalls`",
                style="dim",
            )
        )


def plan_json(r: PlanResult, programs: Sequence[str] | None = None) -> dict[str, Any]:
    """The plan as JSON-ready data (shape documented in docs/json.md).

    Args:
        r: The plan.
        programs: Only these programs in the per-program tables (see
            :meth:`~evfab.plan.PlanResult.for_programs`); None for every program.

    Returns:
        The plan's fields, with ``only_programs`` saying which programs it keeps.
    """
    if programs is not None:
        r = r.for_programs(programs)
    return {
        "status": r.status.value,
        "only_programs": list(programs) if programs is not None else None,
        "objective": r.objective if r.ok else None,
        "bound": r.bound if r.ok else None,
        "gap": r.gap if r.ok else None,
        "size": r.size,
        "timings": r.timings,
        # A list of offer ids, as `routes` gives them (the table keeps one text cell).
        "choices": [
            {**c, "offers": [o for o in str(c["offers"]).split(", ") if o]}
            for c in records(r.choices)
        ],
        "offers": records(r.offers),
        "production": records(r.production),
        "unmet": records(r.unmet),
        "utilization": records(r.utilization),
        "costs": records(r.costs),
        "capacity_values": records(r.capacity_values),
        "alternatives": records(r.alternatives),
        "deal_values": records(r.deal_values),
        "explanations": r.explanations,
        "shortfalls": records(r.shortfalls),
    }
