"""Planner benchmark: evfab's array-built MILP against the same formulation in Pyomo.

For each generated size (small / medium / large: about 50 / 500 / 2,000 programs,
20 / 200 / 1,000 plants, 10 years) the script builds the scenario once, then repeats,
interleaving evfab and the baseline within every repetition:

* ``routes``      -- :func:`evfab.route_table` (timed apart; not part of the build
                     comparison: Pyomo users would need the routes too);
* ``inputs``      -- :func:`evfab.plan.plan_inputs` (World -> PlanInputs arrays);
* ``evfab build`` -- :func:`build_milp` plus the conversion to the arrays HiGHS takes
                     (vectors, CSR, integrality), i.e. everything in ``pass_milp`` before
                     ``passModel``;
* ``evfab pass``  -- ``new_highs()`` + ``passModel`` on those arrays;
* ``pyomo build`` -- a ConcreteModel of the same formulation written the way a typical
                     Pyomo user writes it (Sets, Vars, Constraint rules with Python loops
                     over the index sets), from the same PlanInputs, up to a solver-ready
                     model;
* ``pyomo pass``  -- handing that model to HiGHS through ``pyomo.contrib.appsi``
                     (``Highs().set_instance``);
* ``plan``        -- the whole :func:`evfab.plan.plan` call (routes given), once with the
                     default options and once with ``capacity_values=False,
                     alternatives=False``.

The Pyomo model is solved with HiGHS through appsi at the sizes in ``--verify`` and its
objective compared with evfab's (and its row/column/nonzero counts with evfab's matrix).

Peak memory is measured in a fresh subprocess per case and tool: ``ru_maxrss`` (peak
resident set, includes HiGHS's C++ allocations) and the ``tracemalloc`` peak of the build
step alone (Python and numpy allocations only; tracemalloc runs in a separate pass so it
does not slow the timed runs).

Usage::

    .venv/bin/python benchmarks/plan_bench.py                  # small, medium, large
    .venv/bin/python benchmarks/plan_bench.py --quick          # small only, 2 repeats
    .venv/bin/python benchmarks/plan_bench.py --sizes medium --repeat 5
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import highspy
import numpy as np

try:
    import pyomo.environ as pyo
    from pyomo.contrib.appsi.solvers import Highs as AppsiHighs
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise SystemExit(
        f"the Pyomo baseline needs pyomo ({exc}); install it with: pip install -e '.[bench]'"
    ) from None

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import evfab
from evfab._highs import HighsArrays, highs_arrays, new_highs, pass_arrays
from evfab._plan_model import Milp, PlanInputs, build_milp
from evfab._route_table import RouteTable, route_table
from evfab.generate import generate
from evfab.plan import PlanOptions, PlanResult, plan, plan_inputs

SIZES: dict[str, tuple[int, int]] = {
    "tiny": (8, 4),
    "small": (50, 20),
    "medium": (500, 200),
    "large": (2000, 1000),
}
"""Size name -> (programs, plants); every size plans over 10 years. Any size can also be
run as ``<size>+modules`` (build offers get capacity modules; see :func:`add_modules`) or
``<size>+variants`` (``evfab generate --scopes --small-builds``: EREV makers, a halt of new
BEV makers scoped to them, and planned plants that need modules for a new licence)."""

YEARS = 10
GAP = PlanOptions().gap
FAST = PlanOptions(capacity_values=False, alternatives=False)

# --------------------------------------------------------------------------------------
# evfab side


def evfab_build(d: PlanInputs) -> tuple[Milp, HighsArrays]:
    """evfab's build: ``build_milp`` and the conversion to HiGHS's arrays (``pass_milp`` up
    to, not including, ``passModel``)."""
    m = build_milp(d)
    return m, highs_arrays(m)


def evfab_pass(a: HighsArrays) -> Any:
    """A fresh silent HiGHS with the model passed (what ``pass_milp`` does last)."""
    h = new_highs()
    pass_arrays(h, a)
    return h


# --------------------------------------------------------------------------------------
# Pyomo baseline: the same formulation, written the way a Pyomo user typically would.


def pyomo_build(d: PlanInputs) -> Any:
    """The planner's MILP as a Pyomo ConcreteModel, built from the same PlanInputs.

    Written as a typical Pyomo user would: the arrays become plain Python lists and
    a few lookup dicts (no numpy scalars inside expressions, which would be slower), then
    Sets, Vars and Constraint rules that loop over the index sets. Column and row
    definitions follow the docstring of :mod:`evfab._plan_model` one for one.
    """
    # -- data as plain Python
    n_y = len(d.years)
    demand: list[list[float]] = d.demand.tolist()
    disc: list[float] = d.discount.tolist()
    lost: list[float] = d.lost_margin.tolist()
    min_fill: list[float] = d.min_fill.tolist()
    single: list[bool] = d.single_source.tolist()
    prog: list[int] = d.route_program.tolist()
    plant: list[int] = d.route_plant.tolist()
    cap: list[list[float]] = d.route_cap.tolist()
    unit_cost: list[float] = d.route_unit_cost.tolist()
    waiver: list[int] = d.route_waiver.tolist()
    waiver_fee: list[float] = d.waiver_fee.tolist()
    waiver_offer: list[int] = d.waiver_offer.tolist()
    keep_year: list[int] = d.route_keep_year.tolist()
    keep_group: list[int] = d.route_keep_group.tolist()
    ptr: list[int] = d.route_offer_ptr.tolist()
    idx: list[int] = d.route_offer_idx.tolist()
    access: list[int] = d.route_access.tolist()
    free: list[list[float]] = d.plant_free.tolist()
    offer_fixed: list[float] = d.offer_fixed.tolist()
    offer_year: list[int] = d.offer_year.tolist()
    offer_company: list[int] = d.offer_company.tolist()
    access_offer: list[int] = d.access_offer.tolist()
    access_cap: list[list[float]] = d.access_cap.tolist()
    exclusive: list[list[int]] = d.exclusive.tolist()
    budget: list[float] = d.budget.tolist()
    module_cap: list[list[float]] = d.module_cap.tolist()
    module_max: list[float] = d.module_max.tolist()
    module_fee: list[float] = d.module_fee.tolist()
    module_plant: list[int] = d.module_plant.tolist()
    shared: list[int] = d.route_shared.tolist()
    shared_cap: list[list[float]] = d.shared_cap.tolist()
    ramp_rows: list[int] = d.ramp_rows.tolist()
    ramp_base: list[list[float]] = d.ramp_base.tolist()
    ramp_module: list[list[float]] = d.ramp_module.tolist()
    min_modules: list[float] = (
        d.route_min_modules.tolist() if len(d.route_min_modules) else [0.0] * len(d.route_program)
    )
    n_r, n_g, n_o = len(prog), len(demand), len(offer_fixed)
    offers_of: list[list[int]] = [idx[ptr[r] : ptr[r + 1]] for r in range(n_r)]

    m = pyo.ConcreteModel(name="evfab-plan")
    m.Y = pyo.RangeSet(0, n_y - 1)
    m.G = pyo.RangeSet(0, n_g - 1)
    m.R = pyo.RangeSet(0, n_r - 1)
    m.O = pyo.RangeSet(0, n_o - 1)

    # -- variables
    m.QI = pyo.Set(
        dimen=2,
        initialize=[(r, y) for r in m.R for y in m.Y if cap[r][y] > 0 and demand[prog[r]][y] > 0],
    )

    def q_bounds(m: Any, r: int, y: int) -> tuple[float, float]:
        dem = demand[prog[r]][y]
        c, f = cap[r][y], free[plant[r]][y]
        # Whole cars within half a car of the plant's part-year capacity are rounding.
        if c < f - 1e-9 and (c < f - 0.5 or c != round(c)):
            return (0.0, min(c, dem))
        return (0.0, dem)

    m.q = pyo.Var(m.QI, within=pyo.NonNegativeReals, bounds=q_bounds)

    m.UI = pyo.Set(dimen=2, initialize=[(g, y) for g in m.G for y in m.Y if demand[g][y] > 0])
    m.u = pyo.Var(
        m.UI,
        within=pyo.NonNegativeReals,
        bounds=lambda m, g, y: (0.0, (1.0 - min_fill[g]) * demand[g][y]),
    )

    m.x = pyo.Var(m.O, within=pyo.Binary)

    m.MO = pyo.Set(initialize=[o for o in m.O if module_max[o] > 0])
    m.modules = pyo.Var(
        m.MO, within=pyo.NonNegativeIntegers, bounds=lambda m, o: (0, module_max[o])
    )

    def module_capacity(m: Any, o: int, y: int) -> Any:
        """Capacity the extra modules of build offer o add in year y (0 without modules)."""
        return module_cap[o][y] * m.modules[o] if o in m.MO else 0

    def needs_z(r: int) -> bool:
        return len(offers_of[r]) > 1 or waiver[r] >= 0 or min_modules[r] > 0

    m.ZR = pyo.Set(initialize=[r for r in m.R if needs_z(r)])
    m.z = pyo.Var(m.ZR, within=pyo.Binary)
    m.W = pyo.RangeSet(0, len(waiver_fee) - 1)
    m.w = pyo.Var(m.W, within=pyo.Binary)
    m.KR = pyo.Set(initialize=[r for r in m.R if keep_group[r] >= 0])
    m.KL = pyo.RangeSet(0, max(keep_group, default=-1))
    m.k = pyo.Var(m.KL, within=pyo.Binary)

    def switch(m: Any, r: int) -> Any:
        """The binary that switches route r on: its z, its only offer's x, or none."""
        if r in m.ZR:
            return m.z[r]
        if len(offers_of[r]) == 1:
            return m.x[offers_of[r][0]]
        return None

    # -- lookups a user would precompute for the constraint rules
    q_by_gy: dict[tuple[int, int], list[int]] = defaultdict(list)
    q_by_py: dict[tuple[int, int], list[int]] = defaultdict(list)
    q_by_oy: dict[tuple[int, int], list[int]] = defaultdict(list)
    for r, y in m.QI:
        q_by_gy[prog[r], y].append(r)
        q_by_py[plant[r], y].append(r)
        if access[r] >= 0:
            q_by_oy[access[r], y].append(r)
    # Single-source programs: a binary per (program, plant, year) where it has a choice.
    plants_gy: dict[tuple[int, int], set[int]] = defaultdict(set)
    for r, y in m.QI:
        if single[prog[r]]:
            plants_gy[prog[r], y].add(plant[r])
    m.SI = pyo.Set(
        dimen=3,
        initialize=[(g, p, y) for (g, y), ps in plants_gy.items() if len(ps) > 1 for p in ps],
    )
    m.s = pyo.Var(m.SI, within=pyo.Binary)
    x_by_company: dict[int, list[int]] = defaultdict(list)
    for o in m.O:
        x_by_company[offer_company[o]].append(o)

    # -- constraints
    def demand_rule(m: Any, g: int, y: int) -> Any:
        return sum(m.q[r, y] for r in q_by_gy[g, y]) + m.u[g, y] == demand[g][y]

    m.demand = pyo.Constraint(m.UI, rule=demand_rule)

    m.PY = pyo.Set(dimen=2, initialize=sorted(q_by_py))

    def plant_rule(m: Any, p: int, y: int) -> Any:
        extra = sum(module_capacity(m, o, y) for o in m.MO if module_plant[o] == p)
        return sum(m.q[r, y] for r in q_by_py[p, y]) - extra <= free[p][y]

    m.plant = pyo.Constraint(m.PY, rule=plant_rule)

    q_by_sy: dict[tuple[int, int], list[int]] = defaultdict(list)
    for r, y in m.QI:
        if shared[r] >= 0 and shared_cap[shared[r]][y] != float("inf"):
            q_by_sy[shared[r], y].append(r)
    m.SY = pyo.Set(dimen=2, initialize=sorted(q_by_sy))
    m.shared = pyo.Constraint(
        m.SY, rule=lambda m, s, y: sum(m.q[r, y] for r in q_by_sy[s, y]) <= shared_cap[s][y]
    )
    m.RMI = pyo.Set(
        dimen=3,
        initialize=[(k, r, y) for k, r in enumerate(ramp_rows) for y in m.Y if (r, y) in m.QI],
    )
    m.ramp_modules = pyo.Constraint(
        m.RMI,
        rule=lambda m, k, r, y: (
            m.q[r, y] - ramp_module[k][y] * m.modules[access_offer[access[r]]] <= ramp_base[k][y]
        ),
    )

    m.OY = pyo.Set(dimen=2, initialize=sorted(q_by_oy))

    def access_rule(m: Any, a: int, y: int) -> Any:
        c = access_cap[a][y]
        c = 0.0 if c != c else c  # NaN: the offer brings no capacity that year
        o = access_offer[a]
        return sum(m.q[r, y] for r in q_by_oy[a, y]) - c * m.x[o] - module_capacity(m, o, y) <= 0

    m.access = pyo.Constraint(m.OY, rule=access_rule)

    m.ACT = pyo.Set(dimen=2, initialize=[(r, y) for (r, y) in m.QI if switch(m, r) is not None])

    def activation_rule(m: Any, r: int, y: int) -> Any:
        return m.q[r, y] - min(cap[r][y], demand[prog[r]][y]) * switch(m, r) <= 0

    m.activation = pyo.Constraint(m.ACT, rule=activation_rule)

    m.LINK = pyo.Set(dimen=2, initialize=[(r, o) for r in m.ZR for o in offers_of[r]])
    m.link = pyo.Constraint(m.LINK, rule=lambda m, r, o: m.z[r] - m.x[o] <= 0)

    m.waiver = pyo.Constraint(
        [r for r in m.ZR if waiver[r] >= 0], rule=lambda m, r: m.z[r] - m.w[waiver[r]] <= 0
    )

    m.module_link = pyo.Constraint(
        m.MO, rule=lambda m, o: m.modules[o] - module_max[o] * m.x[o] <= 0
    )
    m.min_modules = pyo.Constraint(
        [r for r in m.ZR if min_modules[r] > 0],
        rule=lambda m, r: min_modules[r] * m.z[r] - m.modules[access_offer[access[r]]] <= 0,
    )

    m.EX = pyo.RangeSet(0, len(exclusive) - 1)
    m.exclusive = pyo.Constraint(
        m.EX, rule=lambda m, e: m.x[exclusive[e][0]] + m.x[exclusive[e][1]] <= 1
    )

    m.CB = pyo.Set(initialize=[k for k, b in enumerate(budget) if b != float("inf")])

    def budget_rule(m: Any, k: int) -> Any:
        terms = [offer_fixed[o] * m.x[o] for o in x_by_company[k]]
        terms += [waiver_fee[v] * m.w[v] for v in m.W if offer_company[waiver_offer[v]] == k]
        terms += [module_fee[o] * m.modules[o] for o in x_by_company[k] if o in m.MO]
        if not terms:
            return pyo.Constraint.Skip
        return sum(terms) <= budget[k]

    m.budget = pyo.Constraint(m.CB, rule=budget_rule)

    def sourcing_rule(m: Any, r: int, y: int) -> Any:
        if (prog[r], plant[r], y) not in m.SI:
            return pyo.Constraint.Skip
        big = min(cap[r][y], demand[prog[r]][y])
        return m.q[r, y] - big * m.s[prog[r], plant[r], y] <= 0

    m.sourcing = pyo.Constraint(m.QI, rule=sourcing_rule)
    m.GY = pyo.Set(dimen=2, initialize=sorted(gy for gy, ps in plants_gy.items() if len(ps) > 1))
    m.single = pyo.Constraint(
        m.GY, rule=lambda m, g, y: sum(m.s[g, p, y] for p in plants_gy[g, y]) <= 1
    )

    def keep_after_rule(m: Any, r: int, y: int) -> Any:
        if r not in m.KR or y <= keep_year[r]:
            return pyo.Constraint.Skip
        return m.q[r, y] - min(cap[r][y], demand[prog[r]][y]) * m.k[keep_group[r]] <= 0

    m.keep_after = pyo.Constraint(m.QI, rule=keep_after_rule)
    m.keep = pyo.Constraint(
        m.KL,
        rule=lambda m, k: (
            m.k[k]
            - sum(
                m.q[r, y]
                for r in m.KR
                if keep_group[r] == k
                for y in m.Y
                if (r, y) in m.QI and y <= keep_year[r]
            )
            <= 0
        ),
    )

    # -- objective: discounted cost
    m.cost = pyo.Objective(
        expr=sum(unit_cost[r] * disc[y] * m.q[r, y] for r, y in m.QI)
        + sum(lost[g] * disc[y] * m.u[g, y] for g, y in m.UI)
        + sum(offer_fixed[o] * disc[offer_year[o]] * m.x[o] for o in m.O)
        + sum(module_fee[o] * disc[offer_year[o]] * m.modules[o] for o in m.MO)
        + sum(waiver_fee[v] * disc[offer_year[waiver_offer[v]]] * m.w[v] for v in m.W),
        sense=pyo.minimize,
    )
    return m


def pyomo_pass(model: Any) -> Any:
    """Hand the Pyomo model to HiGHS through appsi (``set_instance`` builds HiGHS's model)."""
    opt = AppsiHighs()
    opt.config.mip_gap = GAP
    opt.config.load_solution = True
    # The model does not change after set_instance: skip appsi's change detection in solve.
    u = opt.update_config
    u.check_for_new_or_removed_constraints = False
    u.check_for_new_or_removed_vars = False
    u.check_for_new_or_removed_params = False
    u.check_for_new_objective = False
    u.update_constraints = False
    u.update_vars = False
    u.update_params = False
    u.update_named_expressions = False
    u.update_objective = False
    opt.set_instance(model)
    return opt


def pyomo_solve(opt: Any, model: Any) -> tuple[str, float]:
    """Solve with HiGHS through appsi; (termination condition, objective)."""
    res = opt.solve(model)
    return str(res.termination_condition), float(res.best_feasible_objective)


def highs_size(h: Any) -> dict[str, int]:
    """Rows, columns and nonzeros of the model inside a highspy instance."""
    lp = h.getLp()
    return {
        "rows": int(h.getNumRow()),
        "columns": int(h.getNumCol()),
        "nonzeros": int(h.getNumNz()),
        "integers": int(sum(1 for t in lp.integrality_ if int(t) != 0)),
    }


def fingerprint(h: Any) -> dict[str, np.ndarray]:
    """An order-free summary of the model inside a highspy instance.

    Columns as sorted (cost, lower, upper, integrality, nonzeros) tuples, rows as sorted
    (lower, upper, nonzeros) tuples, and the sorted nonzero values: two models with
    equal fingerprints are the same up to a permutation of rows and columns (barring
    coincidences), which is what evfab's and Pyomo's orderings differ by. Rows without a
    nonzero that 0 satisfies are left out: they change nothing, and evfab keeps one for a
    company with a capital budget but no offer in the plan, where Pyomo skips the
    constraint.
    """
    lp = h.getLp()
    a = lp.a_matrix_
    start = np.asarray(a.start_, np.int64)
    index = np.asarray(a.index_, np.int64)
    value = np.asarray(a.value_, np.float64)
    keep = value != 0
    major = np.repeat(np.arange(len(start) - 1), np.diff(start))[keep]
    minor = index[keep]
    rowwise = int(a.format_) == int(highspy.MatrixFormat.kRowwise)
    row, col = (major, minor) if rowwise else (minor, major)
    n_col, n_row = int(lp.num_col_), int(lp.num_row_)
    cols = np.column_stack(
        [
            np.asarray(lp.col_cost_),
            np.asarray(lp.col_lower_),
            np.asarray(lp.col_upper_),
            (
                np.asarray([int(t) for t in lp.integrality_], np.float64)
                if len(lp.integrality_)
                else np.zeros(n_col)
            ),
            np.bincount(col, minlength=n_col).astype(np.float64),
        ]
    )
    rows = np.column_stack(
        [
            np.asarray(lp.row_lower_),
            np.asarray(lp.row_upper_),
            np.bincount(row, minlength=n_row).astype(np.float64),
        ]
    )
    rows = rows[(rows[:, 2] > 0) | (rows[:, 0] > 0) | (rows[:, 1] < 0)]
    return {
        "columns": cols[np.lexsort(cols.T[::-1])],
        "rows": rows[np.lexsort(rows.T[::-1])],
        "values": np.sort(value[keep]),
    }


def same_model(h1: Any, h2: Any, rtol: float = 1e-12) -> dict[str, bool]:
    """Compare two HiGHS models' fingerprints, part by part."""
    f1, f2 = fingerprint(h1), fingerprint(h2)
    return {
        k: bool(
            f1[k].shape == f2[k].shape
            and np.allclose(f1[k], f2[k], rtol=rtol, atol=0.0, equal_nan=True)
        )
        for k in f1
    }


# --------------------------------------------------------------------------------------
# cases


@dataclass
class Case:
    """A generated scenario, compiled, with its routes and planner inputs."""

    size: str
    world: evfab.World
    routes: RouteTable
    inputs: PlanInputs
    prep: dict[str, float]


def size_of(size: str) -> tuple[int, int]:
    """(programs, plants) of a size name; ``<size>+modules`` and ``<size>+variants`` have
    the size of ``<size>``."""
    return SIZES[size.removesuffix("+modules").removesuffix("+variants")]


def add_modules(data: dict[str, Any]) -> dict[str, Any]:
    """Give every build offer optional capacity modules (the generator makes none).

    Used by the ``+modules`` sizes, to check the Pyomo twin of the module columns and
    rows too: 4 modules of 50,000 cars/year at 400 million each.
    """
    for offer in data["offers"]:
        if offer["kind"] == "build_plant":
            offer.update(module_capacity=50_000, max_modules=4, module_fee=400_000_000)
    return data


def prepare(size: str, seed: int = 0) -> Case:
    """Generate, validate and compile a scenario of the given size; derive its routes."""
    programs, plants = size_of(size)
    t0 = time.perf_counter()
    variants = size.endswith("+variants")
    data = generate(
        programs=programs,
        plants=plants,
        years=YEARS,
        seed=seed,
        scopes=variants,
        small_builds=variants,
    )
    if size.endswith("+modules"):
        data = add_modules(data)
    scenario = evfab.Scenario.model_validate(data)
    t1 = time.perf_counter()
    world = evfab.compile(scenario)
    t2 = time.perf_counter()
    routes = route_table(world)
    t3 = time.perf_counter()
    inputs, _ = plan_inputs(world, routes)
    t4 = time.perf_counter()
    prep = {"generate+validate": t1 - t0, "compile": t2 - t1, "routes": t3 - t2, "inputs": t4 - t3}
    return Case(size, world, routes, inputs, prep)


def run_plan(case: Case, options: PlanOptions) -> tuple[PlanResult, float]:
    """The whole ``plan()`` call with routes given; (result, wall seconds)."""
    return c.timed(lambda: plan(case.world, options, routes=case.routes))


def warm_up() -> None:
    """Run every timed step once on a tiny scenario, so first-call costs are not timed."""
    d = prepare("tiny").inputs
    evfab_pass(evfab_build(d)[1])
    model = pyomo_build(d)
    pyomo_solve(pyomo_pass(model), model)


def bench_size(
    size: str,
    repeat: int,
    plan_repeat: int,
    verify: bool,
    time_limit: float | None,
    with_memory: bool = True,
    on_timed: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """All measurements for one size (``time_limit`` applies to the plan() calls only)."""
    print(f"[{size}] preparing ...", file=sys.stderr, flush=True)
    case = prepare(size)
    s: dict[str, list[float]] = defaultdict(list)
    programs, plants = size_of(size)
    out: dict[str, Any] = {"size": size, "programs": programs, "plants": plants}
    out["plan_time_limit"] = time_limit
    out["prepare_seconds"] = case.prep
    objective: dict[str, float] = {}
    plan_timings: dict[str, dict[str, list[float]]] = {"default": {}, "fast": {}}
    for i in range(repeat):
        print(f"[{size}] repeat {i + 1}/{repeat}", file=sys.stderr, flush=True)
        gc.collect()
        with c.stopwatch(s, "routes"):
            routes = route_table(case.world)
        with c.stopwatch(s, "inputs"):
            d, _ = plan_inputs(case.world, routes)
        # Alternate which tool goes first, so neither always gets the warmer cache.
        order = ("evfab", "pyomo") if i % 2 == 0 else ("pyomo", "evfab")
        for tool in order:
            gc.collect()
            if tool == "evfab":
                t0 = time.perf_counter()
                m = build_milp(d)
                t1 = time.perf_counter()
                _, arrays = evfab_build(d)  # build_milp again, plus the arrays
                t2 = time.perf_counter()
                h = evfab_pass(arrays)
                t3 = time.perf_counter()
                s["evfab build_milp"].append(t1 - t0)
                s["evfab build"].append(t2 - t1)
                s["evfab pass"].append(t3 - t2)
                if i == 0:
                    out["evfab_size"] = highs_size(h)
                    out["evfab_size"]["nonzeros_before_dropping_zeros"] = int(
                        sum(len(v) for v in m.vals)
                    )
                    h_evfab = h
                del m, arrays, h
            else:
                t0 = time.perf_counter()
                model = pyomo_build(d)
                t1 = time.perf_counter()
                opt = pyomo_pass(model)
                t_build, t_pass = t1 - t0, time.perf_counter() - t1
                s["pyomo build"].append(t_build)
                s["pyomo pass"].append(t_pass)
                if i == 0:
                    out["pyomo_size"] = highs_size(opt._solver_model)
                    pyomo_h = opt._solver_model
                    if verify:
                        print(f"[{size}] solving the Pyomo model ...", file=sys.stderr, flush=True)
                        (term, obj), t_solve = c.timed(lambda: pyomo_solve(opt, model))  # noqa: B023
                        s["pyomo solve"].append(t_solve)
                        objective["pyomo"] = obj
                        out["pyomo_termination"] = term
                del model, opt
        if i == 0:
            # Both tools have run once: compare the two matrices HiGHS received.
            out["same_model"] = same_model(h_evfab, pyomo_h)
            del h_evfab, pyomo_h
        if i < plan_repeat:
            gc.collect()
            variants = (
                ("default", PlanOptions(time_limit=time_limit)),
                ("fast", replace(FAST, time_limit=time_limit)),
            )
            for label, opts in variants:
                res, t_total = run_plan(case, opts)
                s[f"plan total ({label})"].append(t_total)
                for k, v in res.timings.items():
                    plan_timings[label].setdefault(k, []).append(v)
                objective[f"evfab ({label})"] = res.objective
                out[f"plan_status_{label}"] = str(res.status)
                out[f"plan_gap_{label}"] = res.gap
                out["plan_size"] = res.size
                del res
    out["seconds"] = c.summary(s)
    out["plan_timings"] = {k: c.summary(v) for k, v in plan_timings.items()}
    out["objective"] = objective
    if "pyomo" in objective:
        out["objective_rel_diff"] = c.rel_diff(objective["pyomo"], objective["evfab (fast)"])
    if on_timed is not None:
        on_timed(out)  # save the timings before the (long) memory probes
    if with_memory:
        out["memory"] = memory(case, time_limit)
    return out


# --------------------------------------------------------------------------------------
# peak memory (one subprocess per size and tool)


def _step(out: dict[str, Any], name: str, fn: Callable[[], Any]) -> Any:
    """Run one step and record its peak RSS (absolute, and above the RSS it started from)."""
    gc.collect()
    reset = c.reset_peak_rss()
    before = c.rss_mb()
    result = fn()
    peak = c.peak_rss_mb()
    out[f"{name}_peak_rss_mb"] = peak
    out[f"{name}_peak_rss_increase_mb"] = peak - before if reset else float("nan")
    return result


def _traced_peak_mb(fn: Callable[[], Any]) -> float:
    """Peak of Python (and numpy) allocations while ``fn`` runs, MiB (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024**2


def probe(path: str, tool: str, time_limit: float | None) -> dict[str, Any]:
    """In a fresh process: peak memory of one tool's steps, from a pickled case.

    RSS figures come first (tracemalloc costs memory and time of its own); the
    tracemalloc pass repeats the build afterwards.
    """
    with open(path, "rb") as fh:
        case: Case = pickle.load(fh)
    d = case.inputs
    gc.collect()
    out: dict[str, Any] = {"rss_loaded_mb": c.rss_mb(), "peak_rss_loaded_mb": c.peak_rss_mb()}
    if tool == "evfab":
        _, arrays = _step(out, "build", lambda: evfab_build(d))
        h = _step(out, "pass", lambda: evfab_pass(arrays))
        del h, arrays
        opts = replace(FAST, time_limit=time_limit)
        _step(out, "plan_fast", lambda: plan(case.world, opts, routes=case.routes))
        out["build_tracemalloc_peak_mb"] = _traced_peak_mb(lambda: evfab_build(d))
    else:
        model = _step(out, "build", lambda: pyomo_build(d))
        opt = _step(out, "pass", lambda: pyomo_pass(model))
        del opt, model
        out["build_tracemalloc_peak_mb"] = _traced_peak_mb(lambda: pyomo_build(d))
    return out


def memory(case: Case, time_limit: float | None) -> dict[str, Any]:
    """Peak memory of evfab and Pyomo for one case, each tool in a fresh subprocess."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "case.pickle")
        with open(path, "wb") as fh:
            pickle.dump(case, fh)
        for tool in ("evfab", "pyomo"):
            print(f"[{case.size}] memory probe: {tool}", file=sys.stderr, flush=True)
            cmd = [sys.executable, __file__, "--probe", tool, "--case", path]
            if time_limit is not None:
                cmd += ["--large-time-limit", str(time_limit)]
            cp = subprocess.run(cmd, capture_output=True, text=True)
            if cp.returncode != 0:
                tail = cp.stderr.strip().splitlines()[-15:]
                print(
                    f"[{case.size}] memory probe {tool} failed:", *tail, sep="\n", file=sys.stderr
                )
                out[tool] = {"error": "\n".join(tail), "returncode": cp.returncode}
                continue
            out[tool] = json.loads(cp.stdout.strip().splitlines()[-1])
    return out


# --------------------------------------------------------------------------------------
# report


def _fingerprint_verdict(same: dict[str, bool]) -> str:
    if not same:
        return "-"
    if all(same.values()):
        return "identical"
    return "DIFFER in " + ", ".join(k for k, ok in same.items() if not ok)


def report(results: list[dict[str, Any]]) -> str:
    """Markdown tables of the medians, ratios and goals."""

    def med(r: dict[str, Any], key: str) -> float:
        return float(r["seconds"].get(key, {}).get("median", float("nan")))

    def pmed(r: dict[str, Any], label: str, key: str) -> float:
        return float(r["plan_timings"].get(label, {}).get(key, {}).get("median", float("nan")))

    size_rows, build_rows, total_rows, mem_rows, check_rows = [], [], [], [], []
    for r in results:
        n = r.get("evfab_size", {})
        p = r.get("pyomo_size", {})
        size_rows.append(
            [
                r["size"],
                f"{r['programs']} / {r['plants']}",
                str(r.get("plan_size", {}).get("routes", "-")),
                f"{n.get('rows', '-')} / {p.get('rows', '-')}",
                f"{n.get('columns', '-')} / {p.get('columns', '-')}",
                f"{n.get('nonzeros', '-')} / {p.get('nonzeros', '-')}",
                f"{n.get('integers', '-')} / {p.get('integers', '-')}",
                f"{r['seconds']['routes']['n']}",
            ]
        )
        eb, pb = med(r, "evfab build"), med(r, "pyomo build")
        ep, pp = med(r, "evfab pass"), med(r, "pyomo pass")
        build_rows.append(
            [
                r["size"],
                c.fmt_s(med(r, "routes")),
                c.fmt_s(med(r, "inputs")),
                c.fmt_s(med(r, "evfab build_milp")),
                c.fmt_s(eb),
                c.fmt_s(pb),
                c.fmt_x(pb / eb),
                "met" if pb / eb >= 5 else "MISSED",
                c.fmt_s(ep),
                c.fmt_s(pp),
                c.fmt_x((pb + pp) / (eb + ep)),
            ]
        )
        td, tf = med(r, "plan total (default)"), med(r, "plan total (fast)")
        total_rows.append(
            [
                r["size"],
                c.fmt_s(td),
                c.fmt_s(pmed(r, "default", "solve")),
                c.fmt_s(pmed(r, "default", "post")),
                c.fmt_s(tf),
                c.fmt_s(pmed(r, "fast", "inputs")),
                c.fmt_s(pmed(r, "fast", "build")),
                c.fmt_s(pmed(r, "fast", "solve")),
                c.fmt_s(pmed(r, "fast", "write_back")),
                c.fmt_s(pmed(r, "fast", "post")),
                f"{r.get('plan_status_fast', '-')} (gap {r.get('plan_gap_fast', float('nan')):.1e})",
                f"{100 * eb / td:.2f} % / {100 * eb / tf:.2f} %",
                f"{100 * (eb + med(r, 'inputs')) / tf:.2f} %",
            ]
        )
        mem = r.get("memory")
        if mem and any("error" in v for v in mem.values()):
            mem_rows.append([r["size"], "probe failed (see JSON)", *["-"] * 8])
        elif mem:
            e, y = mem["evfab"], mem["pyomo"]
            mem_rows.append(
                [
                    r["size"],
                    f"{e['rss_loaded_mb']:.0f}",
                    f"{e['build_peak_rss_increase_mb']:.1f}",
                    f"{y['build_peak_rss_increase_mb']:.1f}",
                    f"{e['build_tracemalloc_peak_mb']:.1f}",
                    f"{y['build_tracemalloc_peak_mb']:.1f}",
                    f"{e['pass_peak_rss_increase_mb']:.1f}",
                    f"{y['pass_peak_rss_increase_mb']:.1f}",
                    f"{e['plan_fast_peak_rss_mb']:.0f}",
                    f"{max(y['build_peak_rss_mb'], y['pass_peak_rss_mb']):.0f}",
                ]
            )
        obj = r["objective"]
        check_rows.append(
            [
                r["size"],
                f"{obj.get('evfab (fast)', float('nan')):.6f}",
                f"{obj.get('pyomo', float('nan')):.6f}" if "pyomo" in obj else "not solved",
                f"{r['objective_rel_diff']:.2e}" if "objective_rel_diff" in r else "-",
                (
                    "-"
                    if "objective_rel_diff" not in r
                    else "same"
                    if r["objective_rel_diff"] <= 1e-6
                    else "DIFFERENT"
                ),
                c.fmt_s(med(r, "pyomo solve")),
                _fingerprint_verdict(r.get("same_model", {})),
            ]
        )
    parts = [
        "### Model size (evfab / Pyomo, as seen by HiGHS)",
        c.table(
            [
                "size",
                "programs / plants",
                "usable routes",
                "rows",
                "columns",
                "nonzeros",
                "integers",
                "repeats",
            ],
            size_rows,
        ),
        "",
        "### Build (medians; goal: Pyomo build / evfab build >= 5x at medium and large)",
        c.table(
            [
                "size",
                "routes",
                "inputs",
                "evfab build_milp",
                "evfab build (+ arrays)",
                "Pyomo build",
                "Pyomo / evfab",
                "goal 5x",
                "evfab pass to HiGHS",
                "Pyomo appsi set_instance",
                "(build+pass) Pyomo / evfab",
            ],
            build_rows,
        ),
        "",
        "### evfab plan() totals (medians; goal: build <= 30 % of total at large)",
        " ".join(
            [
                "build share = (build_milp + arrays for HiGHS) / plan() total.",
                *(
                    f"{r['size']}: plan() run with time_limit={r['plan_time_limit']:g} s"
                    " (the default options have none), so its totals are lower bounds."
                    for r in results
                    if r.get("plan_time_limit")
                ),
            ]
        ),
        c.table(
            [
                "size",
                "total default",
                "solve (default)",
                "post (default)",
                "total fast",
                "inputs",
                "build_milp",
                "solve (incl. arrays+pass)",
                "write_back",
                "post",
                "status fast",
                "build share default / fast",
                "(inputs+build) share fast",
            ],
            total_rows,
        ),
        "",
        "### Same model? (objective through HiGHS, gap 1e-6; matrices compared as handed to HiGHS)",
        c.table(
            [
                "size",
                "evfab objective",
                "Pyomo objective",
                "rel. diff",
                "verdict",
                "Pyomo solve",
                "matrices (up to row/column order)",
            ],
            check_rows,
        ),
    ]
    if mem_rows:
        parts += [
            "",
            "### Peak memory, MiB (a fresh subprocess per size and tool, case unpickled)",
            "RSS: VmHWM from /proc/self/status, reset before each step (clear_refs), so "
            "'+' columns are the step's peak resident memory above the RSS it started from "
            "(Python, numpy and HiGHS's C++ allocations). tracemalloc: peak of Python and "
            "numpy allocations during the build alone (separate pass). The last two columns "
            "are absolute process peaks (imports and the case included).",
            c.table(
                [
                    "size",
                    "RSS at start",
                    "evfab build +RSS",
                    "Pyomo build +RSS",
                    "evfab build tracemalloc",
                    "Pyomo build tracemalloc",
                    "evfab pass +RSS",
                    "Pyomo set_instance +RSS",
                    "evfab plan(fast) peak RSS",
                    "Pyomo build+set_instance peak RSS",
                ],
                mem_rows,
            ),
        ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command line entry point; returns the results written to JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes",
        default="small,small+modules,medium,large",
        help="comma-separated: small, medium, large; '<size>+modules' adds capacity modules, "
        "'<size>+variants' generates with --scopes --small-builds",
    )
    ap.add_argument("--repeat", type=int, default=None, help="repeats (default 5; 3 at large)")
    ap.add_argument(
        "--plan-repeat",
        type=int,
        default=None,
        help="repeats of the two plan() calls (default: same as --repeat)",
    )
    ap.add_argument(
        "--verify",
        default="small,small+modules,medium",
        help="sizes at which the Pyomo model is also solved (comma-separated, '' for none)",
    )
    ap.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    ap.add_argument("--quick", action="store_true", help="small only, 2 repeats (< 1 minute)")
    ap.add_argument(
        "--out", default=None, help="JSON name in results/ (plan_bench, plan_bench_quick)"
    )
    ap.add_argument(
        "--large-time-limit",
        type=float,
        default=180.0,
        help="time limit (s) of the plan() calls at the large size (0: none); the default "
        "options have no limit, but the large model does not solve to 1e-6 in 20 minutes",
    )
    ap.add_argument("--probe", choices=["evfab", "pyomo"], help=argparse.SUPPRESS)
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.probe:
        limit = args.large_time_limit or None
        print(json.dumps(probe(args.case, args.probe, limit)))
        return {}
    sizes = ["small", "small+modules"] if args.quick else [s for s in args.sizes.split(",") if s]
    out_name = args.out or ("plan_bench_quick" if args.quick else "plan_bench")
    verify = {s for s in args.verify.split(",") if s}
    print("warming up ...", file=sys.stderr, flush=True)
    warm_up()
    machine = c.machine()
    results = []
    for size in sizes:
        default_repeat = 2 if args.quick else 3 if size == "large" else 5
        repeat = args.repeat or default_repeat
        # One plan() pair at large by default: each solve takes minutes.
        default_plan_repeat = 1 if args.quick or size == "large" else repeat
        plan_repeat = min(
            repeat, args.plan_repeat if args.plan_repeat is not None else default_plan_repeat
        )
        limit = args.large_time_limit if size == "large" and args.large_time_limit > 0 else None

        def save(partial: dict[str, Any]) -> None:
            c.save_results(out_name, machine, [*results, partial])

        r = bench_size(size, repeat, plan_repeat, size in verify, limit, not args.no_memory, save)
        results.append(r)
        # Write after every size, so a long large run leaves the smaller results behind.
        c.save_results(out_name, machine, results)
    return c.finish(out_name, machine, results, report(results))


if __name__ == "__main__":
    main()
