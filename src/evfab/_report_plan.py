"""Rich rendering of a plan for the terminal (used by the CLI only)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from evfab._fmt import money
from evfab._frames import records
from evfab._report import status_text
from evfab._world import World
from evfab.plan import PlanResult


def _pivot_table(
    title: str,
    df: pd.DataFrame,
    index: str,
    value: str,
    fmt: str,
    limit: int = 25,
    zero: str = "-",
) -> Table:
    """``df`` as ``index`` x year, ``fmt`` each value; "-" where there is no row, ``zero``
    where the value is 0."""
    t = Table(title=title, title_justify="left", header_style="bold")
    if df.empty:
        t.add_column("(none)")
        return t
    pv = df.pivot_table(index=index, columns="year", values=value, aggfunc="sum")
    t.add_column(index)
    for y in pv.columns:
        t.add_column(str(y), justify="right")
    for key, row in list(pv.iterrows())[:limit]:
        t.add_row(str(key), *["-" if pd.isna(v) else format(v, fmt) if v else zero for v in row])
    if len(pv) > limit:
        t.caption = f"{len(pv) - limit} more rows in --out CSVs"
    return t


def print_plan(console: Console, world: World, r: PlanResult) -> None:
    """Print a plan: status, chosen routes with reasons, production, utilization, costs, capacity values."""
    cur = r.currency
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
    if not r.ok:
        return
    ct = Table(
        title="Chosen routes", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD
    )
    width = max(
        (len(p) for x in r.choices["route"] for p in str(x).replace("@", " @").split()), default=10
    )
    ct.add_column("program", overflow="fold")
    ct.add_column("route", overflow="fold", min_width=width)
    ct.add_column("manufacturer\nof record")
    ct.add_column("badge")
    ct.add_column("first\nyear", justify="right")
    ct.add_column("cars", justify="right", no_wrap=True)
    ct.add_column("claims", no_wrap=True)
    for row in records(r.choices):
        ct.add_row(
            str(row["program"]),
            str(row["route"]).replace("@", "\n@"),
            str(row["manufacturer"]),
            str(row["badge"]),
            str(row["first_year"]),
            f"{row['cars']:,.0f}",
            status_text(str(row["weakest_status"])),
        )
    console.print(ct)
    for row in records(r.choices):
        for w in row["warnings"]:
            console.print(
                Text(
                    f"! {row['route']} {w}", style="bold red" if "denied claim" in w else "magenta"
                )
            )
    small = len(world.programs) <= 12
    if small:
        for g, lines in r.explanations.items():
            console.print(Text(f"Why, for {g}:", style="bold"))
            for line in lines:
                style = "dim" if line.startswith("Not usable") else ""
                console.print(Text("  - " + line, style=style))
    console.print(_pivot_table("Production (cars)", r.production, "program", "cars", ",.0f"))
    util = (
        r.utilization.assign(pct=r.utilization["utilization"] * 100)
        if len(r.utilization)
        else r.utilization
    )
    console.print(
        _pivot_table(
            "Plant utilization (% incl. the operator's own load)",
            util,
            "plant",
            "pct",
            ".0f",
            zero="0",
        )
    )
    cost = Table(title=f"Costs ({cur})", title_justify="left", header_style="bold")
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
            title="Where one more car of capacity is worth most",
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
    print_shortfalls(console, r)


def print_shortfalls(console: Console, r: PlanResult) -> None:
    """Print the program-years short of demand, with where capacity could come from."""
    if r.shortfalls.empty:
        return
    console.print(Text("Shortfalls", style="bold yellow"))
    for row in r.shortfalls.head(20).itertuples():
        console.print(Text("  - " + str(row.explanation)))
    if len(r.shortfalls) > 20:
        console.print(Text(f"  ... {len(r.shortfalls) - 20} more in shortfalls.csv", style="dim"))


def plan_json(r: PlanResult) -> dict[str, Any]:
    """The plan as JSON-ready data (shape documented in docs/json.md)."""

    return {
        "status": r.status.value,
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
        "explanations": r.explanations,
        "shortfalls": records(r.shortfalls),
    }
