"""Post-processing of a plan: capacity values, priced alternatives and explanations in domain words."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evfab._frames import empty_frame, records
from evfab._highs import Solution, SolveStatus, new_highs, pass_milp, run, solve
from evfab._plan_model import FloatArray, Milp, PlanInputs
from evfab._route_table import RouteTable
from evfab._solve_watch import Presses, Progress
from evfab._world import World
from evfab.rules import Route


def _with_bounds(m: Milp, lower: FloatArray, upper: FloatArray) -> Milp:
    """A copy of ``m`` with new column bounds (blocks kept)."""
    return dataclasses.replace(m, lower=[lower], upper=[upper])


def capacity_values(d: PlanInputs, ix: object, m: Milp, sol: Solution) -> pd.DataFrame:
    """Discounted saving from one more car of capacity at each plant and year.

    The MILP has no duals, so the LP is re-solved with every binary fixed at its value
    in the plan; the dual of each plant-year capacity row is then the marginal value.

    Args:
        d: Planner arrays.
        ix: Index of ids (``plants`` used).
        m: The model.
        sol: The plan's solution.

    Returns:
        Columns plant, year, value_per_car (currency per car, discounted to as_of), binding.
    """
    v = m.vectors()
    integer = m.integrality()
    lower, upper = v["lower"].copy(), v["upper"].copy()
    fixed = np.round(sol.col_value[integer])
    lower[integer] = fixed
    upper[integer] = fixed
    lp = solve(_with_bounds(m, lower, upper), relax=True)
    cols = ["plant", "year", "value_per_car", "binding"]
    if lp.status is not SolveStatus.OPTIMAL or len(lp.row_dual) == 0:
        return pd.DataFrame(columns=cols)
    r0, r1 = m.row_blocks["plant"]
    dual = lp.row_dual[r0:r1]
    plants: list[str] = ix.plants  # type: ignore[attr-defined]
    out = pd.DataFrame(
        {
            "plant": [plants[p] for p in m.plant_row_plant],
            "year": d.years[m.plant_row_year],
            # A <= row in a minimisation has a non-positive dual: relaxing it saves -dual.
            "value_per_car": np.maximum(-dual, 0.0),
            "binding": np.abs(dual) > 1e-9,
        },
        columns=cols,
    )
    return out.sort_values(
        ["value_per_car", "plant", "year"], ascending=[False, True, True]
    ).reset_index(drop=True)


def alternatives(
    d: PlanInputs,
    ix: object,
    m: Milp,
    sol: Solution,
    opts: object,
    each: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Price every usable route: the cost of the best plan in which its program uses only it.

    Args:
        d: Planner arrays.
        ix: Index of ids (``routes``, ``programs``).
        m: The model.
        sol: The plan's solution (its objective is the reference).
        opts: Planner options (time limit and gap are reused).
        each: Called with (route position, number of routes) before each re-solve.

    Returns:
        Columns program, route, cost, delta (vs the plan), status. Ctrl-C (in the main
        thread) stops the pricing, not the plan: the re-solve running then ends with its
        best plan (status ``time_limit``) or none (``interrupted``), and the routes not
        reached yet are ``not_priced``; a second Ctrl-C aborts.
    """
    v = m.vectors()
    ids: list[str] = ix.routes.ids  # type: ignore[attr-defined]
    programs: list[str] = ix.programs  # type: ignore[attr-defined]
    q0 = m.col_blocks["q"][0]
    rows = []
    # NOTE: Ctrl-C is counted, not raised, for the whole pricing (a KeyboardInterrupt may
    # surface at any bytecode, and would lose the plan); the re-solve running then is
    # asked to stop at HiGHS's next check, and the routes not reached are left unpriced.
    with Presses() as presses:

        def watch(p: Progress) -> bool:
            return presses.count > 0

        for r in range(len(ids)):
            presses.check()
            g = d.route_program[r]
            if each is not None and not presses.count:
                each(r, len(ids))
            if presses.count:
                rows.append(_unpriced(programs[g], ids[r]))
                continue
            lower, upper = v["lower"].copy(), v["upper"].copy()
            others = (d.route_program[m.q_route] == g) & (m.q_route != r)
            upper[q0 + np.nonzero(others)[0]] = 0.0
            zc = m.z_of_route[r]
            if zc >= 0:
                lower[zc] = 1.0
            h = new_highs()
            pass_milp(h, _with_bounds(m, lower, upper))
            res = run(h, getattr(opts, "time_limit", None), getattr(opts, "gap", None), watch)
            presses.check()
            ok = res.status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT)
            rows.append(
                {
                    "program": programs[g],
                    "route": ids[r],
                    "cost": res.objective if ok else np.nan,
                    "delta": res.objective - sol.objective if ok else np.nan,
                    "status": res.status.value,
                }
            )
    return pd.DataFrame(rows, columns=ALTERNATIVE_COLUMNS)


ALTERNATIVE_COLUMNS = ["program", "route", "cost", "delta", "status"]
"""Columns of :func:`alternatives`."""
NOT_PRICED = "not_priced"
"""Status of an alternative left unpriced because the pricing was stopped (Ctrl-C)."""


def _unpriced(program: str, route: str) -> dict[str, Any]:
    return {
        "program": program,
        "route": route,
        "cost": np.nan,
        "delta": np.nan,
        "status": NOT_PRICED,
    }


def not_priced(d: PlanInputs, ix: object) -> pd.DataFrame:
    """:func:`alternatives` when none is priced: every route ``not_priced``.

    Args:
        d: Planner arrays.
        ix: Index of ids (``routes``, ``programs``).

    Returns:
        Columns program, route, cost, delta (NaN), status.
    """
    ids: list[str] = ix.routes.ids  # type: ignore[attr-defined]
    programs: list[str] = ix.programs  # type: ignore[attr-defined]
    rows = [_unpriced(programs[g], r) for g, r in zip(d.route_program.tolist(), ids, strict=True)]
    return pd.DataFrame(rows, columns=ALTERNATIVE_COLUMNS)


def _money(x: float) -> str:
    a = abs(x)
    s = f"{a / 1e9:.2f}bn" if a >= 1e9 else f"{a / 1e6:.1f}m" if a >= 1e6 else f"{a:,.0f}"
    return ("-" if x < 0 else "") + s


def unusable_reasons(programs: list[str], routes: RouteTable) -> dict[str, list[str]]:
    """Sentences on each program's unusable routes, read from their templates.

    Args:
        programs: Program ids, in table order.
        routes: Every route (usable or not).

    Returns:
        Program id -> one sentence per unusable route (programs without any are absent).
    """
    # A plan may have thousands of routes: only the unusable ones are visited.
    out: dict[str, list[str]] = {}
    for i in np.nonzero(~routes.arrays.usable[routes.template])[0].tolist():
        t = routes.templates[int(routes.template[i])]
        g = programs[int(routes.program[i])]
        out.setdefault(g, []).append(f"Not usable: {t.id}: {'; '.join(t.why)}.")
    return out


def explain_choices(
    world: World,
    programs: list[str],
    chosen: dict[str, list[Any]],
    alts: pd.DataFrame,
    routes: RouteTable,
    unusable: dict[str, list[str]] | None = None,
) -> dict[str, list[str]]:
    """Sentences per program: what was chosen, why, and what the alternatives would cost.

    Args:
        world: The compiled world.
        programs: Program ids, in table order.
        chosen: The plan's chosen routes as columns (program, route, cars, manufacturer,
            badge, first_year).
        alts: Priced alternatives (may be empty).
        routes: Every route (usable or not).
        unusable: :func:`unusable_reasons` of ``programs`` and ``routes``, if made already.

    Returns:
        Program id -> sentences.
    """
    out: dict[str, list[str]] = {}
    cur = world.currency
    if unusable is None:
        unusable = unusable_reasons(programs, routes)
    # NOTE: rows are grouped once by position; a DataFrame filter per program made this
    # the slowest step of small plans.
    rows_of: dict[str, list[int]] = {}
    for i, g in enumerate(chosen["program"]):
        rows_of.setdefault(str(g), []).append(i)
    route_of, cars_of = chosen["route"], chosen["cars"]
    mor_of, badge_of, first_of = chosen["manufacturer"], chosen["badge"], chosen["first_year"]
    alts_by: dict[str, list[dict[str, Any]]] = {}
    for a in records(alts) if len(alts) else []:
        alts_by.setdefault(str(a["program"]), []).append(a)
    for g in programs:
        lines: list[str] = []
        mine = rows_of.get(g, [])
        chosen_routes = {route_of[i] for i in mine}
        for i in mine:
            lines.append(
                f"Builds {cars_of[i]:,.0f} cars on {route_of[i]}: {mor_of[i]} is manufacturer of record, "
                f"badge {badge_of[i]}, first production {first_of[i]}."
            )
        if not mine:
            lines.append("Builds nothing: no usable route pays for itself against the lost margin.")
        for a in alts_by.get(g, []):
            if a["route"] in chosen_routes:
                continue
            if a["status"] in (NOT_PRICED, "interrupted"):
                lines.append(f"Using only {a['route']} was not priced (the pricing was stopped).")
            elif a["status"] not in ("optimal", "time_limit"):
                lines.append(f"Using only {a['route']} is not feasible ({a['status']}).")
            elif a["delta"] < -1e-6 * max(1.0, abs(a["cost"])):
                # A plan is the best only within its gap (or stopped at its time limit).
                lines.append(
                    f"Using only {a['route']} would cost {_money(-a['delta'])} {cur} less "
                    "(discounted; the plan is the best only within the solver's gap or "
                    "time limit)."
                )
            elif a["status"] == "time_limit":
                # A stopped re-solve's cost is only an upper bound.
                bound = (
                    "the same"
                    if a["delta"] <= 1e-6 * max(1.0, abs(a["cost"]))
                    else f"{_money(a['delta'])} {cur} more"
                )
                lines.append(
                    f"Using only {a['route']} would cost at most {bound} (discounted; its "
                    "re-solve stopped before proving its best plan)."
                )
            elif a["delta"] <= 1e-6 * max(1.0, abs(a["cost"])):
                lines.append(f"Using only {a['route']} would cost the same (a tie).")
            else:
                lines.append(
                    f"Using only {a['route']} would cost {_money(a['delta'])} {cur} more (discounted)."
                )
        lines.extend(unusable.get(g, []))
        out[g] = lines
    return out


@dataclass(frozen=True)
class _Context:
    """Precomputed lookups for explaining many shortfalls quickly."""

    table: RouteTable | None
    free: FloatArray  # plants x years, free capacity of every plant in the world
    plant_ids: list[str]
    made: dict[str, list[Route]] = field(default_factory=dict)

    def of_program(self, g: str) -> list[Route]:
        """Routes of program ``g`` (made once)."""
        if g not in self.made:
            self.made[g] = self.table.of_program(g) if self.table is not None else []
        return self.made[g]


def _context(world: World, routes: RouteTable) -> _Context:
    ids = list(world.plant_ids)
    free = np.zeros((len(ids), len(world.years)))
    built = [i for i, pid in enumerate(ids) if world.plant(pid)["status"] != "planned"]
    if built:
        cap = world.plant_capacities([(ids[i], None) for i in built])
        free[built] = np.clip(cap - world.committed[built], 0.0, None)
    return _Context(routes, free, ids)


def _where_from(world: World, g: str, year: int, ctx: _Context, limit: int = 5) -> list[str]:
    """Where missing capacity could come from, most promising first."""
    hints: list[str] = []
    mine = ctx.of_program(g)
    for r in mine:
        cap = r.capacity.get(year, 0)
        if not r.usable and cap > 0:
            hints.append(f"route {r.id} ({cap:,} cars in {year}), now blocked: {'; '.join(r.why)}")
        elif r.usable and cap == 0 and r.earliest_sop.year > year:
            hints.append(
                f"route {r.id} starts only {r.earliest_sop:%Y-%m}; faster deals would help"
            )
        elif r.usable and (end := r.timing and r.timing.until) and end.year <= year:
            hints.append(
                f"route {r.id}, whose agreement with {r.manufacturer_name} ends on "
                f"{end:%Y-%m-%d}; a renewal would help"
            )
    used = {r.plant for r in mine}
    y = year - int(world.years[0])
    if 0 <= y < len(world.years):
        col = ctx.free[:, y]
        order = np.argsort(-col, kind="stable")
        shown = 0
        for i in order:
            if col[i] <= 0 or shown >= 3:
                break
            pid = ctx.plant_ids[i]
            if pid in used:
                continue
            op = world.company_name(str(world.plant(pid)["operator"]))
            hints.append(
                f"idle capacity at {pid} ({op}, {col[i]:,.0f} free in {year}) through a contract or stake"
            )
            shown += 1
    return hints[:limit]


def _explain_row(
    world: World, g: str, year: int, missing: float, demand: float, ctx: _Context
) -> str:
    prog = world.program_rows[g]
    company = world.company_name(str(prog["company"]))
    legal = sum(r.capacity.get(year, 0) for r in ctx.of_program(g) if r.usable)
    text = (
        f"{prog['name']} ({g}, {company}) in {year}: {missing:,.0f} of {demand:,.0f} cars cannot be built; "
        f"usable routes offer at most {legal:,.0f} cars of legal capacity that year."
    )
    hints = _where_from(world, g, year, ctx)
    if hints:
        text += " Could come from: " + "; ".join(hints) + "."
    else:
        text += " No plant or offer in the scenario could supply them."
    return text


def shortfalls(
    world: World, d: PlanInputs, ix: object, unmet: pd.DataFrame, routes: RouteTable
) -> pd.DataFrame:
    """Explain every program-year with unmet demand.

    Args:
        world: The compiled world.
        d: Planner arrays.
        ix: Index of ids.
        unmet: The plan's unmet-demand table.
        routes: Every route.

    Returns:
        Columns program, year, missing, explanation.
    """
    ctx = _context(world, routes) if len(unmet) else _Context(None, np.zeros((0, 0)), [])
    rows = [
        {
            "program": u["program"],
            "year": int(u["year"]),
            "missing": float(u["cars"]),
            "explanation": _explain_row(
                world, str(u["program"]), int(u["year"]), float(u["cars"]), float(u["demand"]), ctx
            ),
        }
        for u in (records(unmet) if len(unmet) else [])
    ]
    cols = ["program", "year", "missing", "explanation"]
    return pd.DataFrame(rows, columns=cols) if rows else empty_frame(cols)


def shortfalls_when_infeasible(
    world: World, d: PlanInputs, ix: object, m: Milp, routes: RouteTable
) -> pd.DataFrame:
    """Why no plan meets every program's minimum fill: re-solve with the minimums relaxed.

    Args:
        world: The compiled world.
        d: Planner arrays.
        ix: Index of ids.
        m: The infeasible model.
        routes: Every route.

    Returns:
        Columns program, year, missing (cars below the required minimum), explanation.
    """
    v = m.vectors()
    u0, u1 = m.col_blocks["u"]
    upper = v["upper"].copy()
    demand = d.demand[m.u_program, m.u_year]
    upper[u0:u1] = demand
    # Price the shortfall heavily so the relaxed plan fills every minimum it can.
    lower = v["lower"]
    relaxed = _with_bounds(m, lower, upper)
    cost = v["cost"].copy()
    cost[u0:u1] += 1e3 * (1.0 + np.abs(cost).max(initial=1.0))
    relaxed = dataclasses.replace(relaxed, cost=[cost])
    res = solve(relaxed)
    rows = []
    ctx = _context(world, routes)
    if res.status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT):
        u = res.col_value[u0:u1]
        need = u - (1.0 - d.min_fill[m.u_program]) * demand
        for k in np.nonzero(need > 0.5)[0]:
            g = str(world.program_ids[m.u_program[k]])
            year = int(d.years[m.u_year[k]])
            rows.append(
                {
                    "program": g,
                    "year": year,
                    "missing": float(need[k]),
                    "explanation": _explain_row(
                        world, g, year, float(need[k]), float(demand[k]), ctx
                    )
                    + f" The program must build at least {d.min_fill[m.u_program[k]]:.0%} of demand.",
                }
            )
    return pd.DataFrame(rows, columns=["program", "year", "missing", "explanation"])
