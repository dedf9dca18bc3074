"""The route table: routes of many programs as (program, template) pairs, gathered as arrays."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evfab
from evfab._route_table import RouteTable, RouteView, route_table
from evfab.generate import generate
from evfab.plan import PlanOptions, plan, plan_inputs
from evfab.rules import Route, derive_routes

FAST = PlanOptions(capacity_values=False, alternatives=False)


def _world(name: str) -> evfab.World:
    return evfab.compile(evfab.load(name))


def _generated(seed: int, programs: int = 40, plants: int = 15) -> evfab.World:
    data = generate(programs=programs, plants=plants, years=6, seed=seed)
    return evfab.compile(evfab.Scenario.model_validate(data))


@pytest.mark.parametrize("name", ["xiaomi-2022", "china-ev"])
def test_programs_routes_are_their_slice_of_the_table(name: str) -> None:
    world = _world(name)
    table = route_table(world)
    everything = table.routes()
    assert len(everything) == len(table)
    for g in world.programs.index:
        mine = [r for r in everything if r.program == g]
        assert table.of_program(str(g)) == mine
        assert route_table(world, str(g)).routes() == mine


def test_materialised_routes_carry_their_programs_fields() -> None:
    world = _world("china-ev")
    for r in derive_routes(world):
        target = world.program_rows[r.program]["target_sop"]
        assert r.target_sop == target
        assert r.meets_target == (r.earliest_sop <= target)
        assert set(world.cites[("program", r.program)]) <= set(r.sources)
        assert r.weakest_status == world.weakest(r.sources).value


def test_status_without_making_the_route_matches_the_route() -> None:
    world = _world("china-ev")
    table = route_table(world)
    for i in range(len(table)):
        r = table.route(i)
        assert table.status(i) == (r.weakest_status, r.warnings)


def test_unknown_program_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        route_table(_world("xiaomi-2022"), "no-such-program")


def test_route_view_is_a_lazy_sequence() -> None:
    world = _world("xiaomi-2022")
    table = route_table(world)
    rows = np.array([2, 0, 1], np.int64)
    view = RouteView(table, rows)
    assert len(view) == 3
    assert view[0] == table.route(2)
    assert view[0] is view[0]  # made once
    assert view[1:] == [table.route(0), table.route(1)]
    assert view.ids == [table.route(int(i)).id for i in rows]
    with pytest.raises(IndexError):
        view[3]


def _same_inputs(a: object, b: object) -> None:
    for f in dataclasses.fields(a):  # type: ignore[arg-type]
        x, y = getattr(a, f.name), getattr(b, f.name)
        np.testing.assert_array_equal(x, y, err_msg=f.name)


@pytest.mark.parametrize("name", ["xiaomi-2022", "china-ev"])
def test_inputs_from_templates_equal_inputs_from_route_objects(name: str) -> None:
    """Gathering from shared templates gives the arrays one route object each gives."""
    world = _world(name)
    table = route_table(world)
    d_table, ix_table = plan_inputs(world, table)
    d_list, ix_list = plan_inputs(world, derive_routes(world))
    _same_inputs(d_table, d_list)
    assert ix_table.routes.ids == ix_list.routes.ids
    assert ix_table.plants == ix_list.plants and ix_table.offers == ix_list.offers
    np.testing.assert_array_equal(ix_table.logistics, ix_list.logistics)
    np.testing.assert_array_equal(ix_table.plant_cost, ix_list.plant_cost)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_inputs_from_templates_equal_inputs_from_route_objects_generated(seed: int) -> None:
    world = _generated(seed)
    d_table, _ = plan_inputs(world, route_table(world))
    d_list, _ = plan_inputs(world, derive_routes(world))
    _same_inputs(d_table, d_list)


def test_logistics_cost_is_added_per_program_and_plant() -> None:
    world = _world("xiaomi-2022")
    table = route_table(world)
    d, ix = plan_inputs(world, table)
    logistics = world.programs["logistics"].to_dict()
    for k, r in enumerate(ix.routes):
        want = float(logistics[r.program].get(r.plant, 0.0))
        assert ix.logistics[k] == want
        assert d.route_unit_cost[k] == pytest.approx(r.unit_cost + want)


def test_plan_from_a_list_equals_plan_from_the_table() -> None:
    world = _generated(3)
    a = plan(world, FAST, routes=route_table(world))
    b = plan(world, FAST, routes=derive_routes(world))
    assert a.status == b.status
    assert a.objective == pytest.approx(b.objective, rel=1e-9)
    assert list(a.choices["route"]) == list(b.choices["route"])
    assert list(a.choices["weakest_status"]) == list(b.choices["weakest_status"])


def test_from_routes_keeps_finished_routes_as_they_are() -> None:
    world = _world("xiaomi-2022")
    routes: list[Route] = derive_routes(world)
    table = RouteTable.from_routes(world, routes)
    assert RouteTable.from_routes(world, table) is table
    assert table.routes() == routes
    assert table.status(0) == (routes[0].weakest_status, routes[0].warnings)


def test_a_table_from_another_world_is_refused() -> None:
    world = _world("xiaomi-2022")
    other = _world("xiaomi-2022")
    with pytest.raises(ValueError, match="another world"):
        plan_inputs(world, route_table(other))


def test_logistics_to_a_plant_the_world_lacks_costs_nothing() -> None:
    """Unvalidated input (model_validate skips the cross-checks) must not crash the lookup."""
    data = generate(programs=6, plants=4, years=4, seed=2)
    data["programs"][0]["logistics"] = {"no-such-plant": 99.0}
    world = evfab.compile(evfab.Scenario.model_validate(data))
    table = route_table(world)
    _, ix = plan_inputs(world, table)
    assert not (ix.logistics == 99.0).any()


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    programs=st.integers(1, 6),
    plants=st.integers(1, 6),
)
def test_small_worlds_plan_the_same_from_the_table_and_from_a_list(
    seed: int, programs: int, plants: int
) -> None:
    """Tiny generated worlds (some with no offers, or no usable route) plan either way."""
    data = generate(programs=programs, plants=plants, years=4, seed=seed)
    world = evfab.compile(evfab.Scenario.model_validate(data))
    a = plan(world, FAST, routes=route_table(world))
    b = plan(world, FAST, routes=derive_routes(world))
    assert a.status == b.status
    if a.ok:
        assert a.objective == pytest.approx(b.objective, rel=1e-9, abs=1e-6)
        assert list(a.choices["route"]) == list(b.choices["route"])
