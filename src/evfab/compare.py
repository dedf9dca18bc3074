"""Compare two scenarios: what a change (a policy what-if, a new offer) does to routes and plans.

A typical use: the same world with a policy period added after ``as_of`` ("new licences
halted from 2026"). :func:`compare` runs the rules engine and the planner on both, and
optionally the risk engine on each plan's routes, and reports what changed:

* routes whose legality, earliest start of production, odds (of their deals and approvals)
  or cars over the horizon changed (or that exist in one only);
* per program: the routes its plan uses, its first production year, cars built and unmet,
  and, with risk, each of those routes' chance of starting by the program's target, the
  chance that some of them does, and the share of the plan's cars expected to be built.

Why two risk measures: the chance that some route of the plan starts on time (sample by
sample the earliest of them) says whether the program can start on time at all, however
few cars the plan gives that route (a bridge route for 60,000 cars counts as much as the
main route); the expected share of the plan's cars built weighs each route
by what the plan gives it, each route's cars capped by its own allocation, year by year
(:func:`evfab.risk.sample_routes` with the plan's production as ``allocation``). Neither
re-plans within a sample: a route that starts late does not hand its cars to another.

The risk runs use one seed: every duration and event draws from a stream made from the seed
and its name (see :class:`evfab._risk_draws.Streams`), so what the two scenarios share is
drawn alike and a difference in odds is the change's, not sampling noise.

The plans are made alike too: an industry plan is rarely unique (programs can swap capacity
and years at no cost), so the second plan is, among its equally cheap variants with the same
deals, the one that moves the fewest cars from the first (:mod:`evfab._plan_near`). Without
that, a scenario compared with itself, its programs listed in another order, showed 81 of
200 programs "changed".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evfab._policy_diff import POLICY_COLUMNS, policy_changes
from evfab._world import World
from evfab.plan import PlanOptions, PlanResult, plan
from evfab.risk import (
    MIN_SAMPLES,
    RiskOptions,
    RiskResult,
    plan_modules,
    plan_routes,
    sample_routes,
)
from evfab.rules import Route, derive_routes

ROUTE_COLUMNS = [
    "program",
    "route",
    "state_before",
    "state_after",
    "sop_before",
    "sop_after",
    "odds_before",
    "odds_after",
    "cars_before",
    "cars_after",
    "modules_before",
    "modules_after",
    "why_after",
]
FEE_COLUMNS = ["payer", "receiver", "before", "after", "change"]
PROGRAM_COLUMNS = [
    "program",
    "company",
    "routes_before",
    "routes_after",
    "first_year_before",
    "first_year_after",
    "built_before",
    "built_after",
    "unmet_before",
    "unmet_after",
    "p_on_time_before",
    "p_on_time_after",
    "p_any_on_time_before",
    "p_any_on_time_after",
    "route_odds_before",
    "route_odds_after",
    "delivered_before",
    "delivered_after",
]


@dataclass(frozen=True)
class CompareOptions:
    """How to compare.

    Attributes:
        plan: Planner options for both plans (alternatives off by default: a comparison
            needs the plans, not every route priced).
        risk_samples: Monte Carlo samples per plan for the odds of starting on time:
            0 for no risk run, otherwise at least :data:`evfab.risk.MIN_SAMPLES` (as
            :class:`evfab.risk.RiskOptions` requires).
        seed: Seed of both risk runs (the same, so shared draws are alike).

    Raises:
        ValueError: If ``risk_samples`` is neither 0 nor at least ``MIN_SAMPLES``, or
            ``seed`` is negative.
    """

    plan: PlanOptions = field(
        default_factory=lambda: PlanOptions(capacity_values=False, alternatives=False)
    )
    risk_samples: int = 20_000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.risk_samples != 0 and self.risk_samples < MIN_SAMPLES:
            raise ValueError(
                f"risk_samples {self.risk_samples} is neither 0 (no risk run) nor at least "
                f"{MIN_SAMPLES}"
            )
        if self.seed < 0:
            raise ValueError(f"seed {self.seed} is negative")


@dataclass(frozen=True)
class Comparison:
    """What changed from a base scenario to another.

    Attributes:
        before: Name of the base scenario.
        after: Name of the other scenario.
        currency: Currency of both plans' costs.
        plan_before: The base plan.
        plan_after: The other plan.
        routes: Routes whose state, earliest SOP, odds, cars or modules needed changed,
            or that exist in one scenario only (the missing side's columns are empty):
            program, route, state_before, state_after (``usable``, ``legal, not usable``
            or ``illegal``), sop_before, sop_after, odds_before, odds_after (the chance
            that its deals and approvals go through), cars_before, cars_after (cars it can
            supply over the horizon), modules_before, modules_after (extra modules it needs
            for a new licence's minimum capacity; None where it cannot be used),
            why_after (the other scenario's reason for the date, or why the route cannot
            be used there).
        programs: One row per program of either scenario, before and after: the routes
            its plan uses (comma separated), its first production year, cars built and
            unmet over the horizon; and, from the risk engine (NaN or None without risk or
            without a route): ``p_any_on_time`` the chance that *some* route of the plan
            starts by the program's target (sample by sample the earliest of them, shared
            durations drawn alike), ``p_on_time`` the best single route's chance (a lower
            bound on the former), ``route_odds`` each route's chance ({route: chance}), and
            ``delivered`` the expected share of the plan's cars that get built, each route
            capped by the cars the plan gives it each year (see the module docstring).
        risk_samples: Samples of each risk run (0: the risk engine did not run).
        warnings: What makes the two plans' costs hard to compare (a different as_of,
            horizon or discount rate).

    Routes are compared at their nominal dates (the rules engine's); a change that moves
    only the odds around them (a halt that starts after a route's nominal grant date)
    shows in the programs' risk figures, not in :attr:`routes`.
    """

    before: str
    after: str
    currency: str
    plan_before: PlanResult
    plan_after: PlanResult
    routes: pd.DataFrame
    programs: pd.DataFrame
    risk_samples: int = 0
    warnings: tuple[str, ...] = ()
    fees: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FEE_COLUMNS))
    """Per-car fees by payer and receiver, discounted, before and after (see
    :func:`_fees`): who pays whom more under the change; empty unless both plans exist."""
    policy: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=POLICY_COLUMNS))
    """Policy periods added, removed or whose rules changed (see
    :func:`evfab._policy_diff.policy_changes`): the change itself, in words."""

    @property
    def costs(self) -> pd.DataFrame:
        """Discounted cost by category, before, after and the change (empty unless both
        plans exist): who pays more under the change, and for what."""
        cols = ["category", "before", "after", "change"]
        if not (self.plan_before.ok and self.plan_after.ok):
            return pd.DataFrame(columns=cols)
        b = self.plan_before.costs.set_index("category")["discounted"]
        a = self.plan_after.costs.set_index("category")["discounted"]
        names = list(dict.fromkeys([*map(str, b.index), *map(str, a.index)]))
        before = [float(b.get(x, 0.0)) for x in names]
        after = [float(a.get(x, 0.0)) for x in names]
        return pd.DataFrame(
            {
                "category": names,
                "before": before,
                "after": after,
                "change": [y - x for x, y in zip(before, after, strict=True)],
            },
            columns=cols,
        )

    @property
    def cost_change(self) -> float:
        """Discounted total cost after minus before (NaN unless both plans exist)."""
        if not (self.plan_before.ok and self.plan_after.ok):
            return float("nan")
        return self.plan_after.objective - self.plan_before.objective

    def changed_programs(self) -> pd.DataFrame:
        """The rows of :attr:`programs` in which anything differs."""
        p = self.programs
        if p.empty:
            return p
        differs = np.zeros(len(p), bool)
        for what in (
            "routes",
            "first_year",
            "built",
            "unmet",
            "p_on_time",
            "p_any_on_time",
            "route_odds",
            "delivered",
        ):
            a, b = p[f"{what}_before"], p[f"{what}_after"]
            differs |= ~((a == b) | (a.isna() & b.isna())).to_numpy()
        return p[differs].reset_index(drop=True)


def compare(before: World, after: World, options: CompareOptions | None = None) -> Comparison:
    """Run the rules engine, the planner and (optionally) the risk engine on two worlds.

    Args:
        before: The base world.
        after: The changed world (a what-if of ``before``, say).
        options: Planner and risk options for both.

    Returns:
        What changed.

    Raises:
        ValueError: If the two worlds do not count money in the same currency.
    """
    opts = options or CompareOptions()
    if before.currency != after.currency:
        raise ValueError(f"the plans' currencies differ ({before.currency}, {after.currency})")
    routes_b, routes_a = derive_routes(before), derive_routes(after)
    # Both plans are the cheapest for their deals (a solve stopped at a time limit or gap
    # is polished by an LP), and the second stays as near the first as that allows (see
    # the module docstring).
    polished = dataclasses.replace(opts.plan, polish=True)
    plan_b = plan(before, polished, routes=routes_b)
    near = dataclasses.replace(polished, near=plan_b.production) if plan_b.ok else polished
    plan_a = plan(after, near, routes=routes_a)
    odds_b = _odds(before, routes_b, plan_b, opts)
    odds_a = _odds(after, routes_a, plan_a, opts)
    return Comparison(
        before=before.name,
        after=after.name,
        currency=before.currency,
        plan_before=plan_b,
        plan_after=plan_a,
        routes=_route_changes(routes_b, routes_a),
        programs=_programs(before, after, plan_b, plan_a, odds_b, odds_a),
        risk_samples=max(0, opts.risk_samples),
        warnings=_warnings(before, after),
        fees=_fee_flows(before, after, routes_b, routes_a, plan_b, plan_a),
        policy=policy_changes(before.periods, after.periods),
    )


def _fees(world: World, routes: list[Route], p: PlanResult) -> dict[tuple[str, str], float]:
    """Discounted per-car fees a plan pays, by (payer, receiver).

    A route's fee per car is its unit cost over its plant's; the payer is the program's
    company, the receiver the manufacturer of record under a partner's licence (the host
    of a contract, the licence holder of an umbrella), else the plant's operator (a stake's
    fee). Their sum is the plan's "per-car fees to partners".
    """
    if not p.ok or p.production.empty:
        return {}
    by_id = {(r.program, r.id): r for r in routes}
    plant_cost = {str(k): float(v) for k, v in world.plants["unit_cost"].items()}
    operator = {str(k): str(v) for k, v in world.plants["operator"].items()}
    y0 = int(world.years[0])
    out: dict[tuple[str, str], float] = {}
    for g, rid, y, cars in zip(
        p.production["program"],
        p.production["route"],
        p.production["year"],
        p.production["cars"],
        strict=True,
    ):
        r = by_id.get((str(g), str(rid)))
        if r is None:
            continue
        fee = r.unit_cost - plant_cost[r.plant]
        if fee <= 0:
            continue
        to = r.manufacturer if r.licence_source == "partner" else operator[r.plant]
        key = (r.company, to)
        discount = (1.0 + world.discount_rate) ** -(int(y) - y0)
        out[key] = out.get(key, 0.0) + float(cars) * fee * discount
    return out


def _fee_flows(
    before: World,
    after: World,
    routes_b: list[Route],
    routes_a: list[Route],
    plan_b: PlanResult,
    plan_a: PlanResult,
) -> pd.DataFrame:
    """Per-car fees by payer and receiver, before and after, largest change first."""
    if not (plan_b.ok and plan_a.ok):
        return pd.DataFrame(columns=FEE_COLUMNS)
    b, a = _fees(before, routes_b, plan_b), _fees(after, routes_a, plan_a)
    rows = [
        {
            "payer": payer,
            "receiver": receiver,
            "before": b.get((payer, receiver), 0.0),
            "after": a.get((payer, receiver), 0.0),
        }
        for payer, receiver in dict.fromkeys([*b, *a])
    ]
    out = pd.DataFrame(rows, columns=FEE_COLUMNS[:-1])
    out["change"] = out["after"] - out["before"]
    return out.sort_values("change", key=abs, ascending=False, kind="stable").reset_index(drop=True)


def _warnings(before: World, after: World) -> tuple[str, ...]:
    """Differences that make two plans' discounted costs hard to compare: costs are
    discounted to as_of at the discount rate, over the horizon's years."""
    out = []
    for what, a, b in (
        ("as_of", before.as_of.isoformat(), after.as_of.isoformat()),
        (
            "horizon",
            f"{int(before.years[0])}-{int(before.years[-1])}",
            f"{int(after.years[0])}-{int(after.years[-1])}",
        ),
        ("discount rate", f"{before.discount_rate:g}", f"{after.discount_rate:g}"),
    ):
        if a != b:
            out.append(f"the scenarios' {what} differs ({a} -> {b})")
    if out:
        out.append(
            "their costs are discounted to other dates or over other years: compare what-ifs of one scenario"
        )
    return tuple(out)


def _route_changes(before: list[Route], after: list[Route]) -> pd.DataFrame:
    """Routes whose legality, earliest SOP, odds, cars or modules needed differ, or that
    exist on one side only."""
    old = {(r.program, r.id): r for r in before}
    new = {(r.program, r.id): r for r in after}
    rows = []
    for key in list(old) + [k for k in new if k not in old]:
        b, a = old.get(key), new.get(key)
        if b is not None and a is not None and _seen(b) == _seen(a):
            continue
        why = _why(b, a)
        rows.append(
            {
                "program": key[0],
                "route": key[1],
                "state_before": None if b is None else _state(b),
                "state_after": None if a is None else _state(a),
                "sop_before": None if b is None else b.earliest_sop,
                "sop_after": None if a is None else a.earliest_sop,
                "odds_before": _route_odds(b),
                "odds_after": _route_odds(a),
                "cars_before": None if b is None else _cars(b),
                "cars_after": None if a is None else _cars(a),
                "modules_before": _modules(b),
                "modules_after": _modules(a),
                "why_after": why,
            }
        )
    return _frame(rows, ROUTE_COLUMNS)


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Rows as a table whose missing entries stay None (text, dates and years as objects:
    pandas would turn None into NaN and years into floats), numbers as floats."""
    out = pd.DataFrame(rows, columns=columns, dtype=object)
    for col in columns:
        if col.startswith(
            ("built_", "unmet_", "p_on_time_", "p_any_on_time_", "delivered_", "odds_", "cars_")
        ):
            out[col] = out[col].astype(np.float64)
    return out


def _state(r: Route) -> str:
    return "usable" if r.usable else "legal, not usable" if r.legal else "illegal"


def _seen(r: Route) -> tuple[str, dt.date | None, float | None, float | None, int | None]:
    """What a comparison of routes looks at: state, earliest SOP, the chance of its deals
    and approvals, the cars it can supply over the horizon (a policy that only changes
    odds or capacity, such as a contract-manufacturing ban from a later year, shows there)
    and the extra modules it needs for a new licence's minimum capacity. A route that
    cannot be used is compared by its state alone: its date is moot."""
    odds = _route_odds(r)
    return (
        _state(r),
        r.earliest_sop if r.usable else None,
        None if odds is None else round(odds, 9),
        _cars(r),
        _modules(r),
    )


def _modules(r: Route | None) -> int | None:
    """Extra modules a usable route needs for a new licence's minimum capacity (None if it
    cannot be used)."""
    return r.min_modules if r is not None and r.usable else None


def _route_odds(r: Route | None) -> float | None:
    """The chance that a usable route's deals and approvals go through (None otherwise:
    an illegal route showed the 80 % of a deal it cannot use)."""
    return r.success_probability if r is not None and r.usable else None


def _cars(r: Route | None) -> float | None:
    """Whole cars the route can supply over the horizon: 0 if it cannot be used (an illegal
    route showed the 1,875,616 cars of its plant)."""
    if r is None:
        return None
    return float(round(sum(r.capacity.values()))) if r.usable else 0.0


def _why(b: Route | None, a: Route | None) -> str | None:
    """Why the route is as it is after the change, worded for the change: the reason it is
    not usable; what it was held back by before, if it is usable only now; the production
    it loses to a ban or an agreement's end, if only its cars changed; the odds or the
    extra modules it needs, if only they changed."""
    if a is None:
        return None
    if not a.usable:
        return "; ".join(a.why)
    if b is not None and not b.usable:
        return f"{a.sop_driver} (before: {'; '.join(b.why)})"
    if b is not None and b.earliest_sop == a.earliest_sop and a.timing is not None:
        new_off = [x for x in a.timing.off if b.timing is None or x not in b.timing.off]
        if new_off:
            return "no production " + ", ".join(_off_words(a, x) for x in new_off)
        same_cars = _cars(b) == _cars(a)
        if same_cars and _route_odds(b) != _route_odds(a):
            return (
                f"the chance that its deals and approvals go through: "
                f"{b.success_probability:.0%} -> {a.success_probability:.0%}"
            )
        if same_cars and b.min_modules != a.min_modules:
            return (
                "extra modules its plant needs for a new licence's minimum capacity: "
                f"{b.min_modules} -> {a.min_modules}"
            )
    return a.sop_driver


def _off_words(r: Route, span: tuple[dt.date | None, dt.date | None]) -> str:
    """A span in which a route may not build, in words."""
    start, end = span
    assert r.timing is not None
    if start is not None and start == r.timing.until:
        return f"after its agreement ends on {start}"
    if start is None:
        when = f"until {end}" if end is not None else "over the whole horizon"
    else:
        when = f"from {start}" + (f" to {end}" if end is not None else "")
    return f"{when} (contract manufacturing banned)"


@dataclass(frozen=True)
class _Odds:
    """One plan's risk figures per program (empty without a risk run)."""

    routes: dict[str, dict[str, float]] = field(default_factory=dict)
    """Each route's chance of starting by the program's target, by program and route."""
    delivered: dict[str, float] = field(default_factory=dict)
    """Expected share of the plan's cars built (NaN when the plan gives it none)."""
    any: dict[str, float] = field(default_factory=dict)
    """The chance that some route of the plan starts by the target, by program."""

    def best(self, program: str) -> float:
        """The best route's chance (NaN without one)."""
        odds = self.routes.get(program)
        return max(odds.values()) if odds else np.nan


def _odds(world: World, routes: list[Route], p: PlanResult, opts: CompareOptions) -> _Odds:
    """Each program's routes' chances of starting by the target, and the expected share of
    its planned cars built, the routes capped by the plan's allocation."""
    picked, allocation = plan_routes(routes, p)
    if opts.risk_samples <= 0 or not picked:
        return _Odds()
    res: RiskResult = sample_routes(
        world,
        picked,
        RiskOptions(samples=opts.risk_samples, seed=opts.seed),
        allocation=allocation,
        modules=plan_modules(p),
    )
    odds: dict[str, dict[str, float]] = {}
    built: dict[str, float] = {}
    planned: dict[str, float] = {}
    s = res.summary
    for g, route, on, cars, alloc in zip(
        s["program"], s["route"], s["p_on_target"], s["expected_built"], s["demand"], strict=True
    ):
        odds.setdefault(str(g), {})[str(route)] = float(on)
        built[str(g)] = built.get(str(g), 0.0) + float(cars)
        planned[str(g)] = planned.get(str(g), 0.0) + float(alloc)
    return _Odds(
        routes=odds,
        delivered={g: built[g] / planned[g] if planned[g] > 0 else np.nan for g in built},
        any={
            str(g): float(p)
            for g, p in zip(res.programs["program"], res.programs["p_any_on_target"], strict=True)
        },
    )


def _per_program(p: PlanResult) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for g, rows in p.choices.groupby("program", sort=False):
        out.setdefault(str(g), {})["routes"] = ", ".join(sorted(map(str, rows["route"])))
        out[str(g)]["first_year"] = int(rows["first_year"].min())
    # Whole cars: 567,394.999999 against 567,395 read as a change.
    for g, cars in p.production.groupby("program", sort=False)["cars"]:
        out.setdefault(str(g), {})["built"] = float(round(cars.sum()))
    for g, cars in p.unmet.groupby("program", sort=False)["cars"]:
        out.setdefault(str(g), {})["unmet"] = float(round(cars.sum()))
    return out


def _programs(
    before: World,
    after: World,
    plan_b: PlanResult,
    plan_a: PlanResult,
    odds_b: _Odds,
    odds_a: _Odds,
) -> pd.DataFrame:
    ids = list(
        dict.fromkeys(
            [str(g) for g in before.programs.index] + [str(g) for g in after.programs.index]
        )
    )
    b, a = _per_program(plan_b), _per_program(plan_a)
    in_b, in_a = set(map(str, before.programs.index)), set(map(str, after.programs.index))
    # The company, for roll-ups (newcomers against incumbents); the after side's if it has it.
    company = {
        str(g): str(c)
        for w in (before, after)
        for g, c in zip(w.program_ids, w.column("programs", "company"), strict=True)
    }
    rows = []
    for g in ids:
        row: dict[str, Any] = {"program": g, "company": company[g]}
        for side, got, odds, present, ok in (
            ("before", b, odds_b, g in in_b, plan_b.ok),
            ("after", a, odds_a, g in in_a, plan_a.ok),
        ):
            mine = got.get(g, {})
            known = present and ok
            row[f"routes_{side}"] = mine.get("routes", "") if known else None
            row[f"first_year_{side}"] = mine.get("first_year") if known else None
            row[f"built_{side}"] = mine.get("built", 0.0) if known else np.nan
            row[f"unmet_{side}"] = mine.get("unmet", 0.0) if known else np.nan
            row[f"p_on_time_{side}"] = odds.best(g)
            row[f"p_any_on_time_{side}"] = odds.any.get(g, np.nan)
            row[f"route_odds_{side}"] = odds.routes.get(g)
            row[f"delivered_{side}"] = odds.delivered.get(g, np.nan)
        rows.append(row)
    return _frame(rows, PROGRAM_COLUMNS)


__all__ = ["CompareOptions", "Comparison", "compare"]
