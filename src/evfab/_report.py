"""Rich renderings of evfab results for the terminal (used by the CLI only)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from evfab._scenario import Scenario
from evfab._world import World
from evfab.rules import Route

STATUS_STYLE = {
    "confirmed": "green",
    "reported": "cyan",
    "assumption": "yellow",
    "declined_to_comment": "magenta",
    "unclear": "magenta",
    "denied": "bold red",
}


def money(x: float, currency: str = "") -> str:
    """Compact money: 2.0bn, 650m, 9,000."""
    sign = "-" if x < 0 else ""
    x = abs(x)
    if x >= 1e9:
        s = f"{x / 1e9:.1f}bn"
    elif x >= 1e6:
        s = f"{x / 1e6:.0f}m"
    else:
        s = f"{x:,.0f}"
    return f"{sign}{s}{' ' + currency if currency else ''}"


def status_text(status: str) -> Text:
    """A source status, coloured by strength."""
    return Text(status.replace("_", " "), style=STATUS_STYLE.get(status, ""))


def _ym(d: dt.date) -> str:
    return d.strftime("%Y-%m")


_SOURCE_WORDS = {
    "own": "own",
    "applied": "own, applied for",
    "apply": "apply",
    "acquired": "bought",
    "partner": "partner's",
    "build": "build",
    "stake": "stake in",
}


def _licence_cell(world: World, r: Route) -> Text:
    t = Text(_SOURCE_WORDS[r.licence_source] + " ")
    t.append(
        r.manufacturer_name if r.licence_source in ("partner", "acquired") else r.licence,
        style="bold",
    )
    if r.licence_source in ("partner", "acquired", "apply"):
        t.append(f"\nvia {r.offers[0]}", style="dim")
    return t


def _plant_cell(world: World, r: Route) -> Text:
    t = Text(_SOURCE_WORDS[r.plant_source] + " ")
    t.append(str(world.plants.at[r.plant, "name"]), style="bold")
    return t


def routes_table(world: World, routes: list[Route], program: str) -> Panel:
    """One panel per program: its routes, then why some are out and what is shaky."""
    prog = world.programs.loc[program]
    mine = [r for r in routes if r.program == program]
    t = Table(expand=True, pad_edge=False, show_lines=True, header_style="bold", box=None)
    t.add_column("#", justify="right")
    t.add_column("licence")
    t.add_column("plant")
    t.add_column("legal", justify="center")
    t.add_column("manufacturer\nof record")
    t.add_column("badge")
    t.add_column("earliest\nSOP", justify="right")
    t.add_column("peak\ncars/yr", justify="right")
    t.add_column("fixed +\nper car", justify="right")
    t.add_column("P(deal)", justify="right")
    t.add_column("claims")
    notes: list[Text] = []
    shaky: dict[str, list[int]] = {}
    for i, r in enumerate(mine, 1):
        ok = Text("yes", style="green") if r.legal else Text("no", style="bold red")
        if r.legal and not r.usable:
            ok = Text("yes*", style="yellow")
        sop = Text(_ym(r.earliest_sop), style="" if r.meets_target else "yellow")
        if not r.meets_target:
            sop.append("\nlate", style="yellow")
        badge = Text(r.badge)
        if r.names_manufacturer:
            badge.append(f"\nnames {r.names_manufacturer}", style="dim")
        t.add_row(
            str(i),
            _licence_cell(world, r),
            _plant_cell(world, r),
            ok,
            r.manufacturer_name,
            badge,
            sop,
            f"{max(r.capacity.values(), default=0):,}",
            f"{money(r.fixed_cost)}\n+{money(r.unit_cost)}",
            f"{r.success_probability:.0%}",
            status_text(r.weakest_status),
        )
        for why in r.why:
            notes.append(
                Text(f"{i}. ", style="bold").append(why, style="red" if not r.legal else "yellow")
            )
        for w in r.warnings:
            shaky.setdefault(w, []).append(i)
    for w, nums in shaky.items():
        label = "route " if len(nums) == 1 else "routes "
        if len(nums) > 1 and w.startswith("rests "):
            w = "rest " + w.removeprefix("rests ")
        notes.append(
            Text(label + ", ".join(map(str, nums)) + " ", style="bold").append(
                w, style=STATUS_STYLE["denied"] if "denied claim" in w else "magenta"
            )
        )
    demand = world.demand[list(world.programs.index).index(program)]
    peak = int(demand.max()) if len(demand) else 0
    title = (
        f"[bold]{prog['name']}[/] ({program}): target SOP {_ym(cast(dt.date, prog['target_sop']))}, "
        f"peak demand {peak:,}/yr, badge: {prog['badge'].replace('_', '-')}"
    )
    body: list[Any] = [t]
    if notes:
        body.append(Text(""))
        body.extend(notes)
    return Panel(Group(*body), title=title, title_align="left", border_style="blue")


def policy_line(world: World) -> Text:
    """The policy in force on the scenario date, in one line."""
    p = world.policy_at(world.as_of)
    parts = [
        f"new licences {'granted' if p.new_licences else 'NOT granted'}",
        f"review {p.review.mode:g} months",
        f"min capacity {p.min_capacity:,}/yr" if p.min_capacity else "no minimum capacity",
        f"contract manufacturing {'allowed' if p.contract_manufacturing else 'NOT allowed'}",
        "car names its manufacturer of record" if p.badge_names_manufacturer else "no badge rule",
        f"dormant licences withdrawn after {p.dormant_exit_months} months"
        if p.dormant_exit_months
        else "no exit rule",
    ]
    line = Text.assemble(
        ("Policy in force", "bold"), f" ({p.name or 'from ' + str(p.since)}): ", "; ".join(parts)
    )
    later = [q for q in world.policy if q.since > world.as_of]
    if later:
        # Routes meet these rules on their own dates (licence grants, contract starts ...).
        when = ", ".join(f"{q.since}" + (f" ({q.name})" if q.name else "") for q in later)
        line.append(f"\nLater periods apply from their dates: {when}")
    return line


def print_routes(console: Console, world: World, routes: list[Route]) -> None:
    """Print every program's routes."""
    console.print(
        Text.assemble(
            ("Routes", "bold"),
            f" for scenario {world.name} as of {world.as_of} (money in {world.currency})",
        )
    )
    console.print(policy_line(world))
    for program in dict.fromkeys(r.program for r in routes):
        console.print(routes_table(world, routes, program))
    console.print(
        Text(
            "legal yes* = allowed by the regime but unfit for the program; earliest SOP from the modes of all "
            "durations; claims = weakest source status the route rests on.",
            style="dim",
        )
    )


def print_show(console: Console, s: Scenario, world: World) -> None:
    """Summary tables of a scenario."""
    console.print(
        Text.assemble(
            (s.title or s.name, "bold"), f"  as of {s.as_of}, horizon {s.horizon}, {s.currency}"
        )
    )
    pt = Table(title="Policy timeline", title_justify="left", header_style="bold")
    for col in (
        "since",
        "rule",
        "new licences",
        "review (months)",
        "min capacity",
        "contract mfg",
        "names MoR",
        "exit (months)",
    ):
        pt.add_column(col)
    for p in world.policy:
        pt.add_row(
            str(p.since),
            p.name,
            "yes" if p.new_licences else "no",
            f"{p.review.min:g}/{p.review.mode:g}/{p.review.max:g}",
            f"{p.min_capacity:,}",
            "yes" if p.contract_manufacturing else "no",
            "yes" if p.badge_names_manufacturer else "no",
            str(p.dormant_exit_months or "-"),
        )
    console.print(pt)
    ct = Table(title="Companies and licences", title_justify="left", header_style="bold")
    for col in ("company", "kind", "parent / owners", "licences"):
        ct.add_column(col)
    for c in s.companies:
        lic = ", ".join(
            f"{x.id} ({x.scope}, {x.status.value})" for x in s.licences if x.holder == c.id
        )
        own = c.parent or ", ".join(f"{o.company} {o.share:.0%}" for o in c.owners)
        ct.add_row(f"{c.name} [dim]({c.id})[/]", c.kind.value, own or "-", lic or "-")
    console.print(ct)
    plt = Table(title="Plants (capacity in cars/year)", title_justify="left", header_style="bold")
    for col in ("plant", "operator", "status", "phases", "committed", "cost/car"):
        plt.add_column(col)
    for plant in s.plants:
        phases = ", ".join(
            f"{ph.capacity:,} {'@ ' + str(ph.ready) if ph.ready else '+' + format(ph.months.mode if ph.months else 0, 'g') + ' mo'}"
            for ph in plant.phases
        )
        committed = f"{max(plant.committed.values()):,}/yr max" if plant.committed else "-"
        plt.add_row(
            f"{plant.name} [dim]({plant.id})[/]",
            plant.operator,
            plant.status.value,
            phases,
            committed,
            money(plant.unit_cost),
        )
    console.print(plt)
    gt = Table(title="Programs", title_justify="left", header_style="bold")
    for col in ("program", "company", "target SOP", "badge need", "demand (cars/yr)"):
        gt.add_column(col)
    for g in s.programs:
        dem = ", ".join(f"{y}: {n:,}" for y, n in sorted(g.demand.items()))
        gt.add_row(
            f"{g.name} [dim]({g.id})[/]", g.company, str(g.target_sop), g.badge.value, dem or "-"
        )
    console.print(gt)
    ot = Table(title="Offers", title_justify="left", header_style="bold")
    for col in ("offer", "kind", "to", "terms", "P(deal)", "claims"):
        ot.add_column(col)
    for o in s.offers:
        terms = []
        for key in (
            "host",
            "partner",
            "target",
            "plant",
            "share",
            "fee_per_unit",
            "fixed_fee",
            "badge",
        ):
            v = getattr(o, key, None)
            if v in (None, 0, 0.0, "") or (key == "fixed_fee" and not v):
                continue
            v = getattr(v, "value", v)
            if key in ("fee_per_unit", "fixed_fee"):
                v = money(float(v))
            terms.append(f"{key}={v}")
        ot.add_row(
            o.id,
            o.kind,
            o.to,
            " ".join(terms),
            f"{o.success_probability:.0%}",
            status_text(world.weakest(list(o.sources)).value),
        )
    console.print(ot)
    counts: dict[str, int] = {}
    for src in s.sources:
        counts[src.status.value] = counts.get(src.status.value, 0) + 1
    line = Text("Sources: ", style="bold")
    for k, n in counts.items():
        line.append(f"{n} ").append(status_text(k)).append("  ")
    console.print(line)
