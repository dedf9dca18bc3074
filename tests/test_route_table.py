"""The route table: routes of many programs as (program, template) pairs, gathered as arrays."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import evfab
from conftest import MINIMAL, mutate
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


@pytest.mark.parametrize("make", [lambda: _world("china-ev"), lambda: _generated(5)])
def test_statuses_of_many_routes_are_each_routes_status(make: Any) -> None:
    table = route_table(make())
    rows = np.arange(len(table))[::-1].copy()  # any order
    weakest, warnings = table.statuses(rows)
    assert weakest.shape == warnings.shape == (len(rows),)
    assert list(zip(weakest, warnings, strict=True)) == [table.status(int(i)) for i in rows]
    assert table.statuses(rows[:0])[0].shape == (0,)


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
    # xiaomi-2022 lists no logistics: give xiaomi-ev 450/car to hyundai-no2 and 999/car to
    # jac-hefei (where only nio-jac-line builds, so no xiaomi-ev route pays it).
    doc: dict[str, Any] = yaml.safe_load(evfab.bundled()["xiaomi-2022"].read_text("utf-8"))
    (xiaomi,) = [g for g in doc["programs"] if g["id"] == "xiaomi-ev"]
    xiaomi["logistics"] = {"hyundai-no2": 450.0, "jac-hefei": 999.0}
    world = evfab.compile(evfab.loads(yaml.safe_dump(doc, sort_keys=False)))
    table = route_table(world)
    d, ix = plan_inputs(world, table)
    # By hand: xiaomi-ev's two usable routes at hyundai-no2 pay 450; its routes at yizhuang
    # and bjev-changzhou pay nothing; nio-jac-line at jac-hefei pays nothing (the 999 is
    # xiaomi-ev's, not nio's). The routes under DormantCo's licence (the third at
    # hyundai-no2, and dormant-plant's) are not usable: it is withdrawn in 2023-06, and
    # Xiaomi wants no cars before 2024.
    want = {
        ("xiaomi-ev", "hyundai-no2"): 450.0,
        ("xiaomi-ev", "yizhuang"): 0.0,
        ("xiaomi-ev", "bjev-changzhou"): 0.0,
        ("nio-jac-line", "jac-hefei"): 0.0,
    }
    got = [(r.program, r.plant) for r in ix.routes]
    assert set(got) == set(want)
    assert got.count(("xiaomi-ev", "hyundai-no2")) == 2
    for k, (r, key) in enumerate(zip(ix.routes, got, strict=True)):
        assert ix.logistics[k] == want[key], r.id
        assert d.route_unit_cost[k] == pytest.approx(r.unit_cost + want[key])


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
    world = evfab.compile(evfab.Scenario.model_validate(data))
    _, ix = plan_inputs(world, route_table(world))
    # One real entry beside the bad one, so the lookup has a key to (wrongly) fall back on:
    # 7/car from the second program to the plant of its first usable route.
    g1 = data["programs"][1]["id"]
    plant = next(r.plant for r in ix.routes if r.program == g1)
    data["programs"][0]["logistics"] = {"no-such-plant": 99.0}
    data["programs"][1]["logistics"] = {plant: 7.0}
    world = evfab.compile(evfab.Scenario.model_validate(data))
    _, ix = plan_inputs(world, route_table(world))
    # By hand: 7 on the second program's routes to that plant, 0 on every other route.
    got = [(r.program, r.plant) for r in ix.routes]
    want = [7.0 if key == (g1, plant) else 0.0 for key in got]
    assert 7.0 in want and 0.0 in want  # both cases occur
    assert ix.logistics.tolist() == want


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


def test_routes_cite_the_sources_of_the_policy_in_force() -> None:
    # MINIMAL's policy cites s1 (confirmed); add u1 (unclear), cited by the policy only.
    text = mutate(
        MINIMAL,
        (
            "  - {id: a1, status: assumption, note: made up for tests}\n",
            "  - {id: a1, status: assumption, note: made up for tests}\n"
            "  - {id: u1, status: unclear, url: https://example.org/u}\n",
        ),
        ("    sources: [s1]\ncompanies:", "    sources: [s1, u1]\ncompanies:"),
    )
    world = evfab.compile(evfab.loads(text))
    table = route_table(world)
    (r,) = table.routes()  # the contract-manufacturing route
    # Its legality rests on the policy: u1 is among its sources, and unclear is weaker than
    # the assumption (a1) and confirmed (s1) it also rests on.
    assert "u1" in r.sources
    assert r.weakest_status == "unclear"
    assert table.status(0)[0] == "unclear"


@pytest.mark.parametrize(
    ("ready", "usable", "cars_2026"),
    [
        # SOP on the horizon's last day: a day's production, 100,000 / 365 = 273.97 -> 274
        # cars in 2026, so the route is usable (the risk engine too counts a sample as
        # starting when its SOP is before the day after the horizon).
        ("2026-12-31", True, 274),
        # A day later the SOP is after the horizon (2026): no cars, not usable.
        ("2027-01-01", False, 0),
    ],
)
def test_a_route_starting_on_the_horizons_last_day_is_usable(
    ready: str, usable: bool, cars_2026: int
) -> None:
    d: dict[str, Any] = yaml.safe_load(MINIMAL)  # horizon 2026
    d["licences"].append({"id": "newco-bev", "holder": "newco", "status": "held"})
    d["plants"].append(
        {
            "id": "np",
            "name": "NP",
            "operator": "newco",
            "status": "under_construction",
            "phases": [{"capacity": 100_000, "ready": ready}],
        }
    )
    world = evfab.compile(evfab.loads(yaml.safe_dump(d, sort_keys=False)))
    (r,) = [r for r in route_table(world).routes() if r.id == "own:newco-bev@own:np"]
    assert r.earliest_sop == dt.date.fromisoformat(ready)
    assert r.usable is usable
    assert r.capacity[2026] == cars_2026


def test_hindsight_on_a_policy_rule_lands_only_on_the_routes_that_use_the_rule() -> None:
    # sinogold-last backs xiaomi-2022's approval chance (a-approval's "against"): only the
    # routes waiting for a licence to be granted rest on it, not Nio's 2016 JAC contract.
    routes = route_table(_world("xiaomi-2022")).routes()
    flagged = {r.id for r in routes if any("hindsight: sinogold-last" in w for w in r.warnings)}
    assert flagged == {r.id for r in routes if r.licence_source in ("applied", "apply")}
    assert flagged == {"applied:xiaomi-bev@own:yizhuang", "applied:xiaomi-bev@stake:hyundai-no2"}


def test_a_route_needing_no_new_licence_rests_on_no_approval_source() -> None:
    world = _world("china-ev")
    routes = {r.id: r for r in route_table(world).routes()}
    approval = set(world.policy_at(world.as_of).cites("approval_probability"))
    assert approval >= {"a-approval", "sinogold-last"}
    # Tesla's own licence on its own plant: no policy rule bears on it.
    tesla = routes["own:tesla-bev@own:giga-shanghai"]
    assert not set(tesla.sources) & set(world.policy_at(world.as_of).sources)
    for r in routes.values():
        if r.licence_source not in ("applied", "apply"):
            assert not set(r.sources) & approval, r.id
