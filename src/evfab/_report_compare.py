"""Rich rendering and JSON of a scenario comparison (used by the CLI only)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from evfab._fmt import money, plural, runs
from evfab._frames import records
from evfab._io import write_files
from evfab.compare import Comparison
from evfab.plan import PlanResult

MAX_ROUTE_ROWS = 50
"""Most changed routes the comparison's text lists (compare_routes.csv and --json have all)."""


def _plan_words(p: PlanResult) -> str:
    if not p.ok:
        return p.status.value
    gap = f" (gap {p.gap:.2%})" if p.gap > 1e-9 else ""
    return f"{p.status.value}, {money(p.objective)} {p.currency}{gap}"


def _cell(x: Any, fmt: str = "") -> str:
    """A table cell: "-" for a missing value (None, or NaN where pandas stored one)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return format(x, fmt) if fmt else str(x)


def _pair(a: Any, b: Any, fmt: str = "") -> str:
    left, right = _cell(a, fmt), _cell(b, fmt)
    return left if left == right else f"{left} -> {right}"


def print_comparison(
    console: Console, c: Comparison, every: bool = False, labels: tuple[str, str] | None = None
) -> None:
    """Print what changed: plan cost, routes, and programs (only changed ones unless ``every``).

    Args:
        console: Where to print.
        c: The comparison.
        every: List every program, not only those that changed.
        labels: How to call the two scenarios (default: their names).
    """
    first, second = labels or (c.before, c.after)
    head = Text.assemble(("Compare", "bold"), f" {first} -> {second}")
    console.print(head)
    line = f"plan: {_plan_words(c.plan_before)} -> {_plan_words(c.plan_after)}"
    if not math.isnan(c.cost_change):
        base = abs(c.plan_before.objective)
        share = f", {c.cost_change / base:+.1%}" if base > 0 else ""
        sign = "+" if round(c.cost_change) >= 0 else "-"
        line += f" ({sign}{money(abs(c.cost_change))} {c.currency}{share}, discounted)"
    console.print(line)
    if c.warnings:
        console.print(Text("! " + "; ".join(c.warnings), style="yellow"))
    _print_policy(console, c)
    for side, p in (("before", c.plan_before), ("after", c.plan_after)):
        _print_without_plan(console, side, p)
    _print_costs(console, c)
    # Extra modules a new licence's minimum capacity needs: shown only where a route needs
    # some on one side and their number changed (an unusable route needs none).
    mods = bool(
        len(c.routes)
        and (c.routes["modules_before"].fillna(0) != c.routes["modules_after"].fillna(0)).any()
    )
    what = "odds, cars or modules needed" if mods else "odds or cars"
    rt = Table(
        title=f"Routes whose state, earliest SOP, {what} changed ({len(c.routes)})",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
    for col in ("#", "program", "route", "state", "earliest SOP", "P(deals &\napproval)", "cars"):
        rt.add_column(col, overflow="fold")
    if mods:
        rt.add_column("modules\nneeded", overflow="fold")
    # The reasons are long sentences: listed under the table, by row number, rather than
    # squeezed into a column; rows sharing one (a ban moving 274 routes alike) share a line.
    why: dict[str, list[int]] = {}
    every_route = records(c.routes)
    for i, r in enumerate(every_route[:MAX_ROUTE_ROWS], start=1):
        rt.add_row(
            str(i),
            r["program"],
            # Long route ids break at the plant part, as in the risk table, not mid-word.
            str(r["route"]).replace("@", "\n@"),
            _pair(r["state_before"], r["state_after"]),
            _pair(r["sop_before"], r["sop_after"]),
            _pair(r["odds_before"], r["odds_after"], ".0%"),
            _pair(r["cars_before"], r["cars_after"], ",.0f"),
            *([_pair(r["modules_before"], r["modules_after"])] if mods else []),
        )
        if r["state_after"] is None:
            reason = "not in the other scenario"
        elif r["state_before"] is None:
            reason = f"only in the other scenario; {_cell(r['why_after'])}"
        else:
            reason = _cell(r["why_after"])
        why.setdefault(reason, []).append(i)
    more = (
        f" Rows 1-{MAX_ROUTE_ROWS} of {len(every_route):,}: compare_routes.csv (--out DIR) and "
        "--json have every one."
        if len(every_route) > MAX_ROUTE_ROWS
        else ""
    )
    rt.caption = (
        "Routes at their nominal dates (the rules engine's); a change that moves only the odds "
        "around those dates (a halt after a route's nominal grant) shows in the programs' "
        "P(on time) below." + more
    )
    rt.caption_justify = "left"
    if c.routes.empty:  # a table of headers only said nothing
        console.print(Text("No route changed state, earliest SOP, odds or cars.", style="dim"))
    else:
        console.print(rt)
    if why:
        lines = [f"  {runs(nums)}. {reason}" for reason, nums in why.items()]
        console.print("Why, after:\n" + "\n".join(lines), highlight=False, soft_wrap=False)
    rows = c.programs if every else c.changed_programs()
    if rows.empty:
        console.print(
            Text(f"No program's plan or odds changed (of {len(c.programs)}).", style="dim")
        )
        return
    which = "Programs" if every else "Programs whose plan or odds changed"
    pt = Table(
        title=f"{which} ({len(rows)} of {len(c.programs)})",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
    for col, justify in (
        ("program", "left"),
        ("routes used (P(on time))", "left"),
        ("first year", "right"),
        ("cars built", "right"),
        ("cars unmet", "right"),
        ("P(on time),\nsome route\nof the plan", "left"),
        ("plan\ndelivered", "left"),
    ):
        pt.add_column(col, overflow="fold", justify=justify)  # type: ignore[arg-type]
    for r in records(rows):
        pt.add_row(
            r["program"],
            _routes_pair(r),
            _pair(r["first_year_before"], r["first_year_after"]),
            _pair(r["built_before"], r["built_after"], ",.0f"),
            _pair(r["unmet_before"], r["unmet_after"], ",.0f"),
            _pair(r["p_any_on_time_before"], r["p_any_on_time_after"], ".0%"),
            _pair(r["delivered_before"], r["delivered_after"], ".0%"),
        )
    odds = c.programs[["p_on_time_before", "p_on_time_after"]]
    if c.risk_samples <= 0:
        pt.caption = "No risk run (--samples 0): no P(on time) or plan delivered."
    elif not odds.notna().to_numpy().any():
        pt.caption = "Neither plan uses a route: the risk engine had nothing to sample."
    else:
        pt.caption = (
            "P(on time): each route's chance of starting by the program's target; 'some route "
            "of the plan': the chance that at least one of the plan's routes does, whatever "
            "share of the plan's cars that route has (sample by sample the earliest of them). "
            "Plan delivered: the expected share of the plan's cars built, each route capped by "
            "the cars the plan gives it each year (no re-planning within a sample). Both "
            "compare the two plans' routes, not all the change allows: a plan that adds a "
            "bridge route after a halt can start on time more often, though the halt took "
            "options away (`evfab risk FILE --program ID` gives the odds over every route). "
            "Risk engine, one seed for both: shared durations are drawn alike."
        )
    pt.caption_justify = "left"
    console.print(pt)


def _routes_side(routes: str | None, odds: dict[str, float] | None) -> list[str]:
    """One line per route of one side, with its chance of starting on time if known."""
    if routes is None:
        return ["-"]
    if routes == "":
        return ["(none)"]
    # Route ids break at their plant part, as in the routes table, not mid-word.
    return [
        (f"{x} ({odds[x]:.0%})" if odds and x in odds else x).replace("@", "\n@")
        for x in routes.split(", ")
    ]


def _routes_pair(r: dict[str, Any]) -> str:
    """The routes a program's plans use, before (and after, when they or their odds differ)."""
    before = _routes_side(r["routes_before"], r["route_odds_before"])
    after = _routes_side(r["routes_after"], r["route_odds_after"])
    return "\n".join(before if before == after else [*before, "->", *after])


def _print_without_plan(console: Console, side: str, p: PlanResult) -> None:
    """Say why a side has no plan (the shortfalls `evfab plan` gives), so that a change that
    leaves one program infeasible does not hide the whole industry without a word."""
    if p.ok:
        return
    console.print(
        Text(
            f"No plan {side}: {p.status.value}; every program's columns on that side are '-'.",
            style="bold yellow",
        )
    )
    for row in p.shortfalls.head(5).itertuples():
        console.print(Text(f"  - {row.explanation}"))
    if len(p.shortfalls) > 5:
        console.print(Text(f"  ... {len(p.shortfalls) - 5} more: `evfab plan` lists them all"))
    for g, lines in list(p.explanations.items())[:5]:
        for line in lines:
            console.print(Text(f"  - {g}: {line}", style="dim"))


def _money_table(title: str, labels: tuple[str, ...]) -> Table:
    """A before/after/change table of money, its first columns labels."""
    t = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for col in (*labels, "before", "after", "change"):
        t.add_column(col, justify="left" if col in labels else "right")
    return t


def _money_cells(r: dict[str, Any]) -> tuple[str, str, str]:
    """A row's before, after and signed change (whole currency: float noise printed "-0")."""
    ch = round(float(r["change"]))
    sign = "+" if ch > 0 else "-" if ch < 0 else ""
    return money(float(r["before"])), money(float(r["after"])), f"{sign}{money(abs(ch))}"


def _print_costs(console: Console, c: Comparison) -> None:
    """The cost change by category, and the industry's cars built and unmet."""
    costs = c.costs
    if costs.empty:
        return
    t = _money_table(f"Cost by category ({c.currency}, discounted)", ("category",))
    for r in records(costs):
        t.add_row(str(r["category"]), *_money_cells(r))
    console.print(t)
    _print_fees(console, c)
    built = c.programs[["built_before", "built_after", "unmet_before", "unmet_after"]].sum()
    console.print(
        f"Industry: cars built {built['built_before']:,.0f} -> {built['built_after']:,.0f}, "
        f"unmet {built['unmet_before']:,.0f} -> {built['unmet_after']:,.0f}. Per-car fees are "
        "what newcomers pay licensed hosts: a cost to them, income to the hosts.",
        highlight=False,
    )


MAX_FEE_ROWS = 10
"""Most payer-receiver pairs the text lists (the largest changes; JSON has them all)."""


def _print_fees(console: Console, c: Comparison) -> None:
    """Who pays whom more, or less, in per-car fees under the change."""
    moved = c.fees[c.fees["change"].round() != 0] if len(c.fees) else c.fees
    if moved.empty:
        return
    t = _money_table(f"Per-car fees that change ({c.currency}, discounted)", ("payer", "receiver"))
    for r in records(moved.head(MAX_FEE_ROWS)):
        t.add_row(str(r["payer"]), str(r["receiver"]), *_money_cells(r))
    if len(moved) > MAX_FEE_ROWS:
        t.caption = (
            f"{plural(len(moved) - MAX_FEE_ROWS, 'more pair')} in compare_fees.csv "
            "(--out DIR) and --json (`fees`)"
        )
    console.print(t)


COMPARE_FILES = (
    "compare_routes.csv",
    "compare_programs.csv",
    "compare_costs.csv",
    "compare_fees.csv",
    "compare.png",
    "comparison.json",
)
"""Every file :func:`write_compare_outputs` may write (``comparison.json`` comes from the
caller)."""


def write_compare_outputs(
    c: Comparison, out: Path, extra: dict[str, bytes] | None = None
) -> list[Path]:
    """Write the comparison's tables (CSV: the routes that changed, every program before and
    after, the discounted costs by category and the per-car fees by payer and receiver)
    and its chart (``compare.png``) into ``out``, all or none.

    Args:
        c: The comparison.
        out: Folder (created if missing).
        extra: More files to write with them (name -> contents), e.g. ``comparison.json``.

    Returns:
        The files written.

    Raises:
        OutputError: ``out`` or a file in it cannot be written; nothing was changed.
    """
    # Odds by route ({route: chance}) are JSON text in a CSV cell.
    programs = c.programs.assign(
        **{
            col: c.programs[col].map(lambda v: json.dumps(v) if isinstance(v, dict) else "")
            for col in ("route_odds_before", "route_odds_after")
            if col in c.programs
        }
    )
    from evfab._charts_compare import compare_chart

    files = {
        f"compare_{name}.csv": table.to_csv(index=False).encode("utf-8")
        for name, table in (
            ("routes", c.routes),
            ("programs", programs),
            ("costs", c.costs),
            ("fees", c.fees),
        )
    }
    files["compare.png"] = compare_chart(c)
    return write_files(out, files | (extra or {}), owned=COMPARE_FILES)


_SIGN = {"added": "+", "removed": "-", "changed": "~"}


def _print_policy(console: Console, c: Comparison) -> None:
    """The policy periods the change adds, removes or edits, one line each."""
    if c.policy.empty:
        return
    lines = []
    for r in records(c.policy):
        scopes = f" ({', '.join(r['scopes'])})" if r["scopes"] else ""
        name = f" {r['name']}" if r["name"] else ""
        if r["change"] == "changed":
            # Only the rules that differ (each rule is one "; "-separated phrase).
            was, now = (str(r[k]).split("; ") for k in ("rules_before", "rules_after"))
            gone = [x for x in was if x not in now] or ["(unset)"]
            came = [x for x in now if x not in was] or ["(unset)"]
            rules = f"{'; '.join(gone)} -> {'; '.join(came)}"
        else:
            rules = r["rules_after"] if r["change"] == "added" else r["rules_before"]
        lines.append(f"  {_SIGN[r['change']]} {r['since']}{name}{scopes}: {rules}")
    console.print(
        "Policy periods the change adds (+), removes (-) or edits (~):\n" + "\n".join(lines),
        highlight=False,
        markup=False,
    )


def comparison_json(c: Comparison) -> dict[str, Any]:
    """The comparison as JSON-ready data (shape documented in docs/json.md)."""
    return {
        "before": {"scenario": c.before, **_plan_json(c.plan_before)},
        "after": {"scenario": c.after, **_plan_json(c.plan_after)},
        "cost_change": c.cost_change,
        "costs": records(c.costs),
        "fees": records(c.fees),
        "warnings": list(c.warnings),
        "policy": records(c.policy),
        "routes": records(c.routes),
        "programs": records(c.programs),
    }


def _plan_json(p: PlanResult) -> dict[str, Any]:
    return {
        "status": p.status.value,
        "objective": p.objective if p.ok else None,
        "gap": p.gap if p.ok else None,
    }


__all__ = ["COMPARE_FILES", "comparison_json", "print_comparison", "write_compare_outputs"]
