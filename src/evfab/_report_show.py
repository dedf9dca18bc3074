"""The ``evfab show`` report: a scenario's policy timeline, companies and licences, plants,
programs and offers as tables that read on an 80-column terminal (used by the CLI only)."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from evfab._fmt import money, plural
from evfab._policy import Period, period_of
from evfab._report import _BADGE_NEED, _words, status_text
from evfab._scenario import DEFAULT_SCOPE, ApplyLicence, BuildPlant, Scenario
from evfab._world import World


def _show_table(title: str, caption: str = "") -> Table:
    """A table of ``evfab show``: a rule under the header only and two-space gaps, so that
    80 columns leave room for the text columns."""
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        header_style="bold",
        caption=caption or None,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )


def _demand_text(demand: dict[int, int]) -> str:
    """Demand by year, runs of equal years merged: ``2024: 60,000; 2027-2030: 300,000``."""
    runs: list[list[int]] = []
    for year, cars in sorted(demand.items()):
        if runs and runs[-1][1] == year - 1 and runs[-1][2] == cars:
            runs[-1][1] = year
        else:
            runs.append([year, year, cars])
    return "; ".join(f"{a}{'-' + str(b) if b > a else ''}: {cars:,}" for a, b, cars in runs)


_TERMS = {
    "host": "host {}",
    "partner": "partner {}",
    "target": "buys {}",
    "plant": "plant {}",
    "plants": "plants {}",
    "share": "{} share",
    "fee_per_unit": "{}/car",
    "fixed_fee": "{} fixed",
    "badge": "badge {}",
    "badge_waiver_fee": "{} to waive the badge",
}


def _offer_terms(o: Any) -> str:
    """An offer's main terms in words: ``host jac, plant jac-hefei, 9,000/car, badge host``."""
    terms = []
    for key, form in _TERMS.items():
        v = getattr(o, key, None)
        if v in (None, 0, 0.0, "", []):
            continue
        if key in ("fee_per_unit", "fixed_fee", "badge_waiver_fee"):
            v = money(float(v))
        elif key == "share":
            v = f"{float(v):.0%}"
        elif key == "plants":
            v = ", ".join(v)
        elif key == "badge":
            v = _words(v).replace("co brand", "co-brand")
        terms.append(form.format(v))
    if isinstance(o, ApplyLicence) and o.scope != DEFAULT_SCOPE:
        terms.append(f"scope {o.scope}")
    if isinstance(o, BuildPlant) and o.max_modules:
        terms.append(
            f"up to {plural(o.max_modules, 'extra module')} of {o.module_capacity or 0:,}/yr, "
            f"{money(o.module_fee)} each"
        )
    return ", ".join(terms)


def _policy_table(world: World) -> Table:
    caption = (
        "review: months, min/mode/max; names maker: the car must name its manufacturer of "
        "record; exit: months after which a dormant licence is withdrawn"
    )
    if world.scoped:
        # Rules in force differ by scope: each row says what its period sets.
        caption += "; . = not set by the period: as before for its scopes"
    pt = _show_table("Policy timeline", caption)
    pt.add_column("since", no_wrap=True, overflow="fold")
    pt.add_column("rule", overflow="fold")
    pt.add_column("new\nlicences", no_wrap=True, overflow="fold")
    pt.add_column("review", no_wrap=True, overflow="fold")
    pt.add_column("min\ncapacity", justify="right", no_wrap=True, overflow="fold")
    pt.add_column("contract\nmfg", no_wrap=True, overflow="fold")
    pt.add_column("names\nmaker", no_wrap=True, overflow="fold")
    pt.add_column("exit", justify="right", no_wrap=True, overflow="fold")
    if world.scoped:
        pt.add_column("scopes", overflow="fold")
        for q in world.periods:
            pt.add_row(*_period_cells(q), ", ".join(q.scopes or ["all"]))
        return pt
    for p in world.policy:
        pt.add_row(
            str(p.since),
            p.name or "-",
            "yes" if p.new_licences else "no",
            f"{p.review.min:g}/{p.review.mode:g}/{p.review.max:g}",
            f"{p.min_capacity:,}" if p.min_capacity else "-",
            "yes" if p.contract_manufacturing else "no",
            "yes" if p.badge_names_manufacturer else "no",
            str(p.dormant_exit_months or "-"),
        )
    return pt


def _period_cells(q: Period) -> list[str]:
    """A period's row as written: the rules it sets, ``.`` for those it leaves as before."""
    q = period_of(q)  # a world given the scenario's own periods (the API allows it)
    rules = q.rules

    def yes(rule: str) -> str:
        return "." if rule not in rules else "yes" if rules[rule] else "no"

    r = rules.get("review_months")
    cap = rules.get("min_capacity")
    exit_months = rules.get("dormant_exit_months")
    return [
        str(q.since),
        q.name or "-",
        yes("new_licences"),
        "." if r is None else f"{r.min:g}/{r.mode:g}/{r.max:g}",
        "." if cap is None else f"{cap:,}" if cap else "-",
        yes("contract_manufacturing"),
        yes("badge_names_manufacturer"),
        "." if exit_months is None else str(exit_months or "-"),
    ]


def _companies_table(s: Scenario, world: World) -> Table:
    ct = _show_table(
        "Companies and licences",
        f"capital budget: most the company can spend on one-off fees, prices and capex "
        f"over the horizon, {s.currency} (- = no limit)",
    )
    ct.add_column("company", overflow="fold")
    ct.add_column("kind", overflow="fold")
    ct.add_column("capital\nbudget", justify="right", no_wrap=True, overflow="fold")
    ct.add_column("licences", overflow="fold")
    for c in s.companies:
        kind = Text(_words(c.kind))
        if c.parent:
            kind.append(f" in {world.company_name(c.parent)}")
        if c.owners:
            owners = ", ".join(f"{world.company_name(o.company)} {o.share:.0%}" for o in c.owners)
            kind.append(f"; owners {owners}")
        lic = "\n".join(
            f"{x.id} ({_words(x.scope)}, {x.status.value})" for x in s.licences if x.holder == c.id
        )
        budget = "-" if c.capital_budget is None else money(c.capital_budget)
        ct.add_row(Text(c.name).append(f" ({c.id})", style="dim"), kind, budget, lic or "-")
    return ct


def _plants_table(s: Scenario, world: World) -> Table:
    plt = _show_table(
        "Plants (capacity in cars/yr)",
        f"committed: the operator's own load in its peak year; cost per car in {s.currency}",
    )
    plt.add_column("plant, operator", overflow="fold")
    plt.add_column("status", overflow="fold")
    plt.add_column("capacity by phase", overflow="fold")
    plt.add_column("committed", justify="right", no_wrap=True, overflow="fold")
    plt.add_column("cost\nper car", justify="right", no_wrap=True, overflow="fold")
    for plant in s.plants:
        phases = "\n".join(
            f"{ph.capacity:,} from {ph.ready}"
            if ph.ready
            else f"{ph.capacity:,} after {plural(ph.months.mode if ph.months else 0, 'month')}"
            for ph in plant.phases
        )
        name = Text(plant.name).append(f" ({plant.id})", style="dim")
        name.append(f"\nrun by {world.company_name(plant.operator)}")
        plt.add_row(
            name,
            _words(plant.status),
            phases,
            f"{max(plant.committed.values()):,}" if plant.committed else "-",
            money(plant.unit_cost),
        )
    return plt


def _programs_table(s: Scenario, world: World) -> Table:
    gt = _show_table("Programs")
    gt.add_column("program", overflow="fold")
    gt.add_column("company", overflow="fold")
    gt.add_column("target\nSOP", no_wrap=True, overflow="fold")
    gt.add_column("badge\nneed", no_wrap=True, overflow="fold")
    gt.add_column("demand (cars/yr)", overflow="fold")
    # The licence scope a program needs, where some program needs another than the default.
    scoped = any(g.scope != DEFAULT_SCOPE for g in s.programs)
    if scoped:
        gt.add_column("scope", overflow="fold")
    for g in s.programs:
        gt.add_row(
            Text(g.name).append(f" ({g.id})", style="dim"),
            world.company_name(g.company),
            str(g.target_sop),
            _BADGE_NEED.get(g.badge.value, _words(g.badge)),
            _demand_text(dict(g.demand)) or "-",
            *([g.scope] if scoped else []),
        )
    return gt


def _offers_table(s: Scenario, world: World) -> Table:
    ot = _show_table(
        "Offers",
        "P(deal) = chance the deal closes; a route's chance also counts licence approval",
    )
    ot.add_column("offer", no_wrap=True, overflow="fold")
    ot.add_column("kind, taker", overflow="fold")
    ot.add_column("terms", overflow="fold")
    ot.add_column("P(deal)", justify="right", no_wrap=True, overflow="fold")
    ot.add_column("claims", no_wrap=True, overflow="fold")
    for o in s.offers:
        ot.add_row(
            o.id,
            f"{_words(o.kind)} for {world.company_name(o.to)}",
            _offer_terms(o) or "-",
            f"{o.success_probability:.0%}",
            status_text(world.weakest(list(o.sources)).value),
        )
    return ot


def print_show(console: Console, s: Scenario, world: World) -> None:
    """Summary tables of a scenario: policy, companies, plants, programs, offers, sources."""
    console.print(Text(s.title or s.name, style="bold"))
    console.print(
        Text(f"scenario {s.name} as of {s.as_of}, horizon {s.horizon}, money in {s.currency}")
    )
    for table in (
        _policy_table(world),
        _companies_table(s, world),
        _plants_table(s, world),
        _programs_table(s, world),
        _offers_table(s, world),
    ):
        console.print()
        console.print(table)
    counts: dict[str, int] = {}
    for src in s.sources:
        counts[src.status.value] = counts.get(src.status.value, 0) + 1
    line = Text(plural(len(s.sources), "source"), style="bold")
    line.append(": " if counts else "")
    for j, (k, n) in enumerate(counts.items()):
        line.append(", " if j else "").append(status_text(k)).append(f" {n:,}")
    console.print()
    console.print(line)
