"""A plan's tables: preparation beside the solve, the write-back, and the helper thread."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evfab
from evfab import _plan_tables
from evfab._highs import SolveStatus, solve
from evfab._plan_explain import explain_choices, unusable_reasons
from evfab._plan_model import build_milp
from evfab._plan_tables import prepare, write_back
from evfab.generate import generate
from evfab.plan import PlanOptions, plan, plan_inputs


def test_prepared_tables_equal_the_plan_and_need_no_solution(xiaomi: evfab.Scenario) -> None:
    world = evfab.compile(xiaomi)
    d, ix = plan_inputs(world, evfab.route_table(world))
    m = build_milp(d)
    before = prepare(world, d, ix, m)  # made before the model is solved
    sol = solve(m, None, PlanOptions().gap)
    chosen, tables, built = write_back(d, ix, m, sol, before)
    r = plan(world, PlanOptions(capacity_values=False, alternatives=False))
    for name, table in tables.items():
        pd.testing.assert_frame_equal(table, getattr(r, name), check_exact=True)
    assert chosen["route"] == r.choices["route"].tolist()
    offers = r.offers
    assert built == {o: n for o, n in zip(offers["offer"], offers["modules"], strict=True) if n}
    assert before.size == r.size
    after = prepare(world, d, ix, m)
    assert after.unusable == before.unusable
    np.testing.assert_array_equal(after.util_capacity, before.util_capacity)


def test_unusable_reasons_are_the_not_usable_sentences(xiaomi: evfab.Scenario) -> None:
    world = evfab.compile(xiaomi)
    table = evfab.route_table(world)
    programs = list(world.program_ids)
    reasons = unusable_reasons(programs, table)
    n_unusable = sum(not r.usable for r in table)
    assert n_unusable > 0
    assert sum(len(v) for v in reasons.values()) == n_unusable
    r = plan(world, PlanOptions(capacity_values=False, alternatives=False))
    chosen = {c: r.choices[c].tolist() for c in r.choices.columns}
    empty = r.alternatives
    assert explain_choices(world, programs, chosen, empty, table) == explain_choices(
        world, programs, chosen, empty, table, reasons
    )
    for g, lines in reasons.items():
        assert all(line.startswith("Not usable: ") for line in lines)
        assert all(line in r.explanations[g] for line in lines)


def test_plan_leaves_no_work_behind(
    xiaomi: evfab.Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[_plan_tables.Beside[_plan_tables.Prepared]] = []
    real = _plan_tables.prepare_beside

    def noting(*args: Any) -> _plan_tables.Beside[_plan_tables.Prepared]:
        handed.append(real(*args))
        return handed[-1]

    monkeypatch.setattr(sys.modules["evfab.plan"], "prepare_beside", noting)
    plan(evfab.compile(xiaomi), PlanOptions(capacity_values=False, alternatives=False))
    assert len(handed) == 1 and handed[0].done()


def test_an_error_while_preparing_reaches_the_caller(
    xiaomi: evfab.Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> _plan_tables.Prepared:
        raise RuntimeError("prepare failed")

    monkeypatch.setattr(_plan_tables, "prepare", broken)
    with pytest.raises(RuntimeError, match="prepare failed"):
        plan(evfab.compile(xiaomi), PlanOptions(capacity_values=False, alternatives=False))
    monkeypatch.undo()  # the helper thread is still there for the next plan
    r = plan(evfab.compile(xiaomi), PlanOptions(capacity_values=False, alternatives=False))
    assert r.status is SolveStatus.OPTIMAL


def test_a_routes_first_year_is_its_first_with_a_whole_car() -> None:
    # The consistency fuzz's seed 78: HiGHS left 0.41 cars of g10 in 2026 on a route that
    # builds from 2028, and the plan said "first production 2026".
    from evfab.generate import generate
    from evfab.plan import PlanOptions, plan

    doc = generate(programs=50, plants=18, companies=7, years=10, seed=78)
    world = evfab.compile(evfab.Scenario.model_validate(doc))
    r = plan(world, PlanOptions(time_limit=60, alternatives=False, capacity_values=False))
    assert r.ok, r.status
    whole = r.production[r.production["cars"] >= 0.5]
    first = whole.groupby(["program", "route"])["year"].min()
    for row in r.choices.itertuples():
        assert row.first_year == first[(row.program, row.route)], (row.program, row.route)


def test_existing_plants_no_route_reaches_are_in_the_utilization_not_planned_ones() -> None:
    from test_plan import _two_programs_one_plant

    extra = """\
  - id: idle
    name: Idle plant
    operator: host
    status: operating
    opened: 2020-01
    phases: [{capacity: 50000, ready: 2020-01}]
    committed: {2030: 10000}
  - id: paper
    name: Planned plant
    operator: host
    status: planned
    phases: [{capacity: 50000, months: 24}]
"""
    # The host, who would build it, has no program: no route reaches it, and unbuilt it is
    # no idle capacity.
    build = "  - {id: build, kind: build_plant, to: host, plant: paper, sources: [a]}\n"
    text = _two_programs_one_plant(extra=build).replace("programs:\n", extra + "programs:\n", 1)
    r = plan(evfab.compile(evfab.loads(text)), PlanOptions(alternatives=False))
    u = r.utilization.set_index("plant")
    assert list(u.index) == ["hp", "idle"]  # the model's plants first; no planned one
    assert u.at["hp", "routes"] == 2 and u.at["idle", "routes"] == 0
    assert u.at["idle", "used"] == 0 and u.at["idle", "committed"] == 10_000
    assert u.at["idle", "utilization"] == pytest.approx(0.2)


@pytest.fixture(scope="module")
def switched() -> tuple[Any, Any]:
    """A generated model with every kind of switch: routes', single-source and kept licences'."""
    data = generate(programs=30, plants=12, years=6, seed=4)
    world = evfab.compile(evfab.Scenario.model_validate(data))
    d, _ = plan_inputs(world, evfab.route_table(world))
    m = build_milp(d)
    assert len(m.s_q) and len(m.k_route) and (m.z_of_route >= 0).any()
    return d, m


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_gated_moves_production_out_from_behind_closed_switches(
    switched: tuple[Any, Any], seed: int
) -> None:
    d, m = switched
    rng = np.random.default_rng(seed)
    v = rng.random(m.n_col) * rng.choice([0.0, 1e-4, 50.0], m.n_col)
    v[m.integrality() > 0] = rng.choice([0.0, 1e-7, 1.0 - 1e-7, 1.0], int(m.integrality().sum()))
    pairs = _plan_tables.gates(d, m)
    out = _plan_tables.gated(d, m, v, pairs)
    np.testing.assert_array_equal(out, _plan_tables.gated(d, m, v))
    q0, q1 = m.col_blocks["q"]
    # Closed: the route's switch, the single-source plant-year's, the kept licence's.
    z = m.z_of_route[m.q_route]
    off = (z >= 0) & (v[np.maximum(z, 0)] < 0.5)
    off[m.s_q] |= v[m.s_col_of_q] < 0.5
    k = m.k_of_route[m.q_route]
    after = (k >= 0) & (m.q_year > d.route_keep_year[m.q_route])
    off[after] |= v[k[after]] < 0.5
    assert off.any() and (out[q0:q1][off] == 0).all()
    assert (out[q0:q1][~off] >= v[q0:q1][~off]).all()  # open production only gains
    # Every car moved stays with its program and year (as production or as unmet demand).
    u0, u1 = m.col_blocks["u"]
    n_y = len(d.years)
    gy = np.concatenate([d.route_program[m.q_route] * n_y + m.q_year, m.u_program * n_y + m.u_year])
    total = np.concatenate([np.arange(q0, q1), np.arange(u0, u1)])
    n = len(d.demand) * n_y
    np.testing.assert_allclose(
        np.bincount(gy, out[total], n), np.bincount(gy, v[total], n), rtol=1e-12, atol=1e-9
    )
    if out is v:
        assert not (v[q0:q1][off] != 0).any()
