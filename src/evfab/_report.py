"""Rich renderings of evfab results for the terminal (used by the CLI only).

The ``routes`` report (and ``show``'s, in :mod:`evfab._report_show`) must read on an
80-column terminal: dates and numbers never wrap or get cut (``no_wrap`` columns), names
and ids fold, and a program's routes switch to a stacked layout (one text column per
route, the figures beside it) when their panel is narrower than :data:`WIDE_ROUTES`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from evfab._fmt import money, plural
from evfab._plan_explain import why_no_route
from evfab._route_table import access_offer, module_note, modules_added
from evfab._scenario import DEFAULT_SCOPE
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

WIDE_ROUTES = 110
"""Width inside a program's panel from which each route attribute gets its own column."""

P_ROUTE = "P(deals &\napproval)"
"""Header of the routes' success-chance column (see :attr:`Route.success_probability`)."""

OVER_BUDGET = "over budget"
"""Mark on the fixed cost of a route whose one-off cost exceeds its company's budget."""


def status_text(status: str) -> Text:
    """A source status, coloured by strength."""
    return Text(status.replace("_", " "), style=STATUS_STYLE.get(status, ""))


def _ym(d: dt.date) -> str:
    return d.strftime("%Y-%m")


def _words(value: object) -> str:
    """An enum value or id-like word for prose: ``under_construction`` -> ``under construction``."""
    return str(getattr(value, "value", value)).replace("_", " ")


_SOURCE_WORDS = {
    "own": "own",
    "applied": "own, applied for",
    "apply": "new licence",
    "acquired": "bought",
    "partner": "partner's",
    "build": "build",
    "stake": "stake in",
}

_BADGE_NEED = {"own": "own", "co_brand": "co-brand ok", "any": "any"}


def _licence_cell(r: Route, sep: str = "\n") -> Text:
    """Where the licence comes from: ``partner's BAIC`` and the offer behind it."""
    t = Text(_SOURCE_WORDS[r.licence_source])
    if r.licence_source in ("partner", "acquired"):
        t.append(" ").append(r.manufacturer_name, style="bold")
    elif r.licence_source != "apply":  # an application's licence id is its offer's
        t.append(" ").append(r.licence, style="bold")
    if r.licence_source in ("partner", "acquired", "apply"):
        t.append(f"{sep}via {r.offers[0]}", style="dim")
    return t


def _plant_cell(world: World, r: Route) -> Text:
    """Where the plant comes from: ``stake in Beijing Hyundai Plant No. 2``."""
    t = Text(_SOURCE_WORDS[r.plant_source] + " ")
    t.append(str(world.plants.at[r.plant, "name"]), style="bold")
    return t


def _badge_cell(r: Route, sep: str = "\n") -> Text:
    t = Text(r.badge)
    if r.names_manufacturer:
        t.append(f"{sep}names {r.names_manufacturer}", style="dim")
    return t


def _over_budget(world: World, r: Route) -> float | None:
    """The capital budget a route's one-off cost exceeds, or None.

    Only routes whose offers are all taken by the program's company are checked: the
    planner charges each offer to its taker's budget.
    """
    if r.fixed_cost <= 0 or r.company not in world.companies.index:
        return None
    raw: Any = world.companies.at[r.company, "capital_budget"]
    if raw is None or raw != raw:  # None or NaN: no budget
        return None
    budget = float(raw)
    takers = {str(world.offers.at[o, "to"]) for o in r.offers if o in world.offers.index}
    if takers - {r.company} or r.fixed_cost <= budget:
        return None
    return budget


class RoutesPanel:
    """One program's routes in a panel, laid out for the width the panel gets.

    From :data:`WIDE_ROUTES` columns inside the border, every attribute has its own
    column; below, licence, plant, manufacturer of record, badge, capacity and claims
    stack in one ``route`` column, so that legality, dates, money and chances keep
    theirs and nothing is cut off.

    Args:
        world: The compiled scenario.
        routes: Routes of any programs; only ``program``'s are shown.
        program: Program id.
    """

    def __init__(self, world: World, routes: list[Route], program: str) -> None:
        self.world = world
        self.program = program
        self.routes = [r for r in routes if r.program == program]
        self.budgets = [_over_budget(world, r) for r in self.routes]

    @property
    def over_budget(self) -> bool:
        """Whether any route's one-off cost exceeds its company's capital budget."""
        return any(b is not None for b in self.budgets)

    def heading(self) -> tuple[Text, str]:
        """The program's name and id, and its target, peak demand and badge need."""
        w = self.world
        prog = w.programs.loc[self.program]
        demand = w.demand[list(w.programs.index).index(self.program)]
        peak = int(demand.max()) if len(demand) else 0
        need = str(prog["badge"])
        details = (
            f"target SOP {_ym(cast(dt.date, prog['target_sop']))}, peak demand {peak:,}/yr, "
            f"badge need: {_BADGE_NEED.get(need, _words(need))}"
        )
        scope = str(prog["scope"])
        if w.scoped or scope != DEFAULT_SCOPE:  # which licences, and which rules, it meets
            details += f", scope {scope}"
        return Text.assemble((str(prog["name"]), "bold"), f" ({self.program})"), details

    def _cost(self, r: Route, budget: float | None) -> Text:
        t = Text(f"{money(r.fixed_cost)}\n+{money(r.unit_cost)}")
        if budget is not None:
            t.stylize("bold red", 0, len(money(r.fixed_cost)))
            t.append("\n" + OVER_BUDGET.replace(" ", "\n"), style="bold red")
        return t

    def _sop(self, r: Route) -> Text:
        sop = Text(_ym(r.earliest_sop), style="" if r.meets_target else "yellow")
        if not r.meets_target:
            sop.append("\nlate", style="yellow")
        return sop

    @staticmethod
    def _legal(r: Route) -> Text:
        if not r.legal:
            return Text("no", style="bold red")
        return Text("yes", style="green") if r.usable else Text("yes*", style="yellow")

    def _columns(self, t: Table, wide: bool) -> None:
        t.add_column("#", justify="right", no_wrap=True, overflow="fold")
        if wide:
            t.add_column("licence", overflow="fold")
            t.add_column("plant", overflow="fold")
        else:
            t.add_column("route", overflow="fold", ratio=1)
        t.add_column("legal", justify="center", no_wrap=True, overflow="fold")
        if wide:
            t.add_column("manufacturer\nof record,\nbadge", overflow="fold")
        t.add_column("earliest\nSOP", justify="right", no_wrap=True, overflow="fold")
        if wide:
            t.add_column("peak\ncars/yr", justify="right", no_wrap=True, overflow="fold")
        t.add_column("fixed +\nper car", justify="right", no_wrap=True, overflow="fold")
        t.add_column(P_ROUTE, justify="right", no_wrap=True, overflow="fold")
        if wide:
            t.add_column("claims", no_wrap=True, overflow="fold")

    def table(self, wide: bool) -> Table:
        """The routes as a table: one column per attribute if ``wide``, else stacked."""
        t = Table(expand=True, pad_edge=False, show_lines=True, header_style="bold", box=None)
        self._columns(t, wide)
        for i, (r, budget) in enumerate(zip(self.routes, self.budgets, strict=True), 1):
            peak = max(r.capacity.values(), default=0)
            # The modules a new licence's minimum capacity needs come with the route (their
            # capex is in its fixed cost): their capacity is shown beside the plant's.
            mods = (
                modules_added(self.world, access_offer(r), r.min_modules)[0]
                if r.min_modules
                else 0.0
            )
            p = f"{r.success_probability:.0%}"
            if wide:
                t.add_row(
                    str(i),
                    _licence_cell(r),
                    _plant_cell(self.world, r),
                    self._legal(r),
                    Text(r.manufacturer_name + "\nbadge ").append_text(_badge_cell(r, ", ")),
                    self._sop(r),
                    f"{peak:,}" + (f"\n+{mods:,.0f}" if mods else ""),
                    self._cost(r, budget),
                    p,
                    status_text(r.weakest_status),
                )
                continue
            route = Text("licence: ").append_text(_licence_cell(r, " "))
            route.append("\nplant: ").append_text(_plant_cell(self.world, r))
            route.append(f"\nmanufacturer of record {r.manufacturer_name}; badge ")
            route.append_text(_badge_cell(r, ", "))
            route.append(f"\npeak {peak:,}/yr")
            if mods:
                route.append(f" +{mods:,.0f} with the modules needed")
            route.append("; claims: ").append_text(status_text(r.weakest_status))
            t.add_row(str(i), route, self._legal(r), self._sop(r), self._cost(r, budget), p)
        return t

    def notes(self) -> list[Text]:
        """Why routes are out or over budget, then the shaky claims they rest on."""
        notes: list[Text] = []
        shaky: dict[str, list[int]] = {}
        cur = self.world.currency
        for i, (r, budget) in enumerate(zip(self.routes, self.budgets, strict=True), 1):
            for why in r.why:
                notes.append(
                    Text(f"{i}. ", style="bold").append(
                        why, style="red" if not r.legal else "yellow"
                    )
                )
            if r.min_modules:
                notes.append(Text(f"{i}. ", style="bold").append(module_note(self.world, r)))
            if budget is not None:
                notes.append(
                    Text(f"{i}. ", style="bold").append(
                        f"{OVER_BUDGET}: its one-off cost of {money(r.fixed_cost, cur)} exceeds "
                        f"{self.world.company_name(r.company)}'s capital budget of "
                        f"{money(budget, cur)}, so no plan can take it",
                        style="red",
                    )
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
        return notes

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """Render as a panel laid out for ``options.max_width``."""
        width = options.max_width
        name, details = self.heading()
        body: list[Any] = []
        # A panel crops a long title: put the details in the body when they would not fit.
        if cell_len(f"{name.plain}: {details}") + 6 <= width:
            title = name.append(f": {details}")
        else:
            title = name
            body.append(Text(details))
        body.append(self.table(wide=width - 4 >= WIDE_ROUTES))
        notes = self.notes()
        if notes:
            body.append(Text(""))
            body.extend(notes)
        yield Panel(Group(*body), title=title, title_align="left", border_style="blue")


def routes_table(world: World, routes: list[Route], program: str) -> RoutesPanel:
    """One panel per program: its routes, then why some are out and what is shaky.

    Args:
        world: The compiled scenario.
        routes: Routes of any programs; only ``program``'s are shown.
        program: Program id.

    Returns:
        A renderable that lays itself out for the width it is printed at.
    """
    return RoutesPanel(world, routes, program)


def policy_line(world: World, scope: str | None = None) -> Text:
    """The policy in force on the scenario date, in one line (for vehicle ``scope``: named
    when given, as when a policy period is limited to some scopes)."""
    if scope is not None:
        world = world.for_scope(scope)
    p = world.policy_at(world.as_of)
    parts = [
        f"new licences {'granted' if p.new_licences else 'NOT granted'}",
        f"review {plural(p.review.mode, 'month')}",
        f"min capacity {p.min_capacity:,}/yr" if p.min_capacity else "no minimum capacity",
        f"contract manufacturing {'allowed' if p.contract_manufacturing else 'NOT allowed'}",
        "car names its manufacturer of record" if p.badge_names_manufacturer else "no badge rule",
        f"dormant licences withdrawn after {plural(p.dormant_exit_months, 'month')}"
        if p.dormant_exit_months
        else "no exit rule",
    ]
    line = Text.assemble(
        ("Policy in force" + (f" for {scope}" if scope is not None else ""), "bold"),
        f" ({p.name or 'from ' + str(p.since)}): ",
        "; ".join(parts),
    )
    later = [
        q
        for q in world.periods
        if q.since > world.as_of and (q.scopes is None or world.scope in q.scopes)
    ]
    if later:
        # Routes meet these rules on their own dates (licence grants, contract starts ...).
        when = ", ".join(f"{q.since}" + (f" ({q.name})" if q.name else "") for q in later)
        line.append(f"\nLater periods apply from their dates: {when}")
    return line


def routes_key(over_budget: bool = False) -> Text:
    """What the routes tables' marks and columns mean.

    Args:
        over_budget: Whether to explain the over-budget mark.

    Returns:
        The key, dim.
    """
    parts = [
        "legal yes* = allowed by the regime but not usable (why below)",
        "earliest SOP from the modes of all durations",
        "fixed + per car = one-off fees and prices, then plant cost and fees per car",
        "P(deals & approval) = chance that every deal the route needs closes and every "
        "licence it waits for is approved (their product)",
        "claims = weakest status of the sources the route rests on",
    ]
    if over_budget:
        parts.append(
            f"{OVER_BUDGET} = one-off cost above the company's capital budget: no plan can take it"
        )
    return Text("; ".join(parts) + ".", style="dim")


def without_routes(
    world: World, routes: list[Route], programs: list[str] | None = None
) -> list[tuple[str, str]]:
    """The programs asked about that have no route at all, each with why (one sentence).

    The reason is the one ``evfab plan`` gives when such a program builds nothing.

    Args:
        world: The compiled world.
        routes: The routes derived for them.
        programs: The programs asked about (default: every program of ``world``).

    Returns:
        (program id, reason) pairs, in the order asked.
    """
    shown = {r.program for r in routes}
    asked = world.program_ids if programs is None else programs
    return [(g, why_no_route(world, g)) for g in asked if g not in shown]


def no_route_line(world: World, program: str, reason: str) -> Text:
    """One line for a program without any route: which program, and why it has none."""
    name = str(world.program_rows[program]["name"])
    return Text.assemble((f"{name} ({program})", "bold"), ": ", ("no route", "red"), f": {reason}.")


def print_routes(
    console: Console, world: World, routes: list[Route], programs: list[str] | None = None
) -> None:
    """Print every program's routes, then the key to the tables.

    Args:
        console: Where to print.
        world: The compiled world.
        routes: The routes to show.
        programs: The programs asked about (default: every program of ``world``); those
            without any route get one line saying why, after the panels, instead of
            being left out silently.
    """
    console.print(
        Text.assemble(
            ("Routes", "bold"),
            f" for scenario {world.name} as of {world.as_of} (money in {world.currency})",
        )
    )
    if world.scoped:
        # The rules differ by scope: one line for each scope the routes shown build.
        scope_of = dict(zip(world.program_ids, world.column("programs", "scope"), strict=True))
        scopes = dict.fromkeys(str(scope_of[r.program]) for r in routes) or {world.scope: None}
        for scope in scopes:
            console.print(policy_line(world, scope))
    else:
        console.print(policy_line(world))
    panels = [routes_table(world, routes, p) for p in dict.fromkeys(r.program for r in routes)]
    for panel in panels:
        console.print(panel)
    for g, why in without_routes(world, routes, programs):
        console.print(no_route_line(world, g, why))
    console.print(routes_key(any(p.over_budget for p in panels)))
