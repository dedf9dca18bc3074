"""The risk engine on a plan: each route capped by the cars the plan gives it, options
checked, and what a run needs to be repeated recorded in its result.

The plan is xiaomi-2022 with a hypothetical 2023-2025 halt of new licences: it bridges the
halt with BAIC's umbrella licence for 60,000 cars in 2024, then builds on Xiaomi's own
licence. Sampled as alternatives, each route would be priced as if it served the whole
program (the umbrella route 2.6bn CNY, 1.3M cars); sampled as planned, the routes' volumes
and costs add up to the plan's.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import evfab
from evfab.cli import app
from evfab.plan import PlanOptions, PlanResult, plan
from evfab.risk import MIN_SAMPLES, RiskOptions, plan_routes, sample_routes
from evfab.rules import Route

UMBRELLA = "partner:baic-umbrella@own:yizhuang"
OWN = "applied:xiaomi-bev@own:yizhuang"
NIO = "partner:nio-jac@partner:jac-hefei"


def _halted() -> evfab.World:
    doc: dict[str, Any] = yaml.safe_load(evfab.bundled()["xiaomi-2022"].read_text("utf-8"))
    doc["sources"].append({"id": "a-halt", "status": "assumption", "note": "test what-if"})
    doc["policy"] += [
        {"since": "2023-01-01", "new_licences": False, "sources": ["a-halt"]},
        {"since": "2025-01-01", "new_licences": True, "sources": ["a-halt"]},
    ]
    return evfab.compile(evfab.loads(yaml.safe_dump(doc, sort_keys=False)))


@pytest.fixture(scope="module")
def planned() -> tuple[evfab.World, list[Route], PlanResult]:
    w = _halted()
    routes = evfab.derive_routes(w)
    return w, routes, plan(w, PlanOptions(alternatives=False, capacity_values=False), routes)


def test_a_plans_routes_build_at_most_what_the_plan_gives_each(
    planned: tuple[evfab.World, list[Route], PlanResult],
) -> None:
    w, routes, result = planned
    picked, allocation = plan_routes(routes, result)
    assert {(r.program, r.id) for r in picked} == {
        ("xiaomi-ev", UMBRELLA),
        ("xiaomi-ev", OWN),
        ("nio-jac-line", NIO),
    }
    res = sample_routes(w, picked, RiskOptions(samples=2000, seed=1), allocation=allocation)
    assert res.demand_basis == "allocation"
    given = allocation.groupby(["program", "route", "year"])["cars"].sum()
    for row in res.volumes.to_dict("records"):
        cap = float(given.get((row["program"], row["route"], row["year"]), 0.0))
        assert row["demand"] == cap
        assert row["built_mean"] <= cap + 1e-6 and row["built_p90"] <= cap + 1e-6
    s = res.summary.set_index("route")
    # The bridge: 60,000 cars in 2024, not the program's 1.66M; its cost is theirs.
    assert s.loc[UMBRELLA, "demand"] == 60_000
    assert 0.7 * 60_000 < float(s.loc[UMBRELLA, "expected_built"]) <= 60_000
    assert float(s.loc[UMBRELLA, "expected_cost"]) < 0.2e9
    # Nio's route is certain: it builds exactly what the plan gives it.
    assert s.loc[NIO, "expected_built"] == pytest.approx(s.loc[NIO, "demand"])
    # Programs' routes add up to at most the plan's production, and cost at most the plan.
    built = res.summary.groupby("program")["expected_built"].sum()
    produced = result.production.groupby("program")["cars"].sum()
    assert (built <= produced.reindex(built.index) + 1e-6).all()
    assert res.summary["expected_cost"].sum() <= result.objective * (1 + 1e-9)


def test_without_an_allocation_each_route_may_serve_its_whole_program(
    planned: tuple[evfab.World, list[Route], PlanResult],
) -> None:
    w, routes, result = planned
    picked, _ = plan_routes(routes, result)
    res = sample_routes(w, picked, RiskOptions(samples=1000, seed=1))
    assert res.demand_basis == "program" and res.notes == ()
    demand = dict(zip(w.programs.index, w.demand.sum(axis=1), strict=True))
    for row in res.summary.to_dict("records"):
        assert row["demand"] == demand[row["program"]]


def test_plan_routes_pairs_programs_with_their_own_routes() -> None:
    # Programs of one company share route ids: a plan choosing x for a and y for b must
    # not sample y for a, nor x for b.
    routes: list[Any] = [SimpleNamespace(program=g, id=i) for g in "ab" for i in "xy"]
    production = pd.DataFrame(
        {"program": ["a", "b"], "route": ["x", "y"], "year": [2024, 2024], "cars": [1.0, 2.0]}
    )
    result: Any = SimpleNamespace(
        ok=True, choices=production[["program", "route"]], production=production
    )
    picked, allocation = plan_routes(routes, result)
    assert [(r.program, r.id) for r in picked] == [("a", "x"), ("b", "y")]
    assert allocation is production
    result.ok = False
    assert plan_routes(routes, result)[0] == []


def test_a_route_the_allocation_leaves_out_builds_nothing_and_a_note_says_so() -> None:
    w = evfab.compile(evfab.load("xiaomi-2022"))
    routes = [r for r in evfab.derive_routes(w) if r.id in (OWN, NIO)]
    allocation = pd.DataFrame({"program": ["nio-jac-line"], "route": [NIO], "year": [2023]})
    allocation["cars"] = 1000.0
    res = sample_routes(w, routes, RiskOptions(samples=500), allocation=allocation)
    s = res.summary.set_index("route")
    assert s.loc[OWN, "expected_built"] == 0 and s.loc[NIO, "expected_built"] == 1000
    assert any(OWN in n and "no cars" in n for n in res.notes)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"program": ["xiaomi-ev"], "route": [OWN], "year": [2024]}, "no column 'cars'"),
        (
            {"program": ["xiaomi-ev"], "route": [OWN], "year": [2040], "cars": [1.0]},
            "outside the horizon",
        ),
        ({"program": ["xiaomi-ev"], "route": [OWN], "year": [2024], "cars": [-1.0]}, "-1.0 cars"),
    ],
)
def test_a_bad_allocation_is_refused(rows: dict[str, list[Any]], message: str) -> None:
    w = evfab.compile(evfab.load("xiaomi-2022"))
    routes = [r for r in evfab.derive_routes(w) if r.id == OWN]
    with pytest.raises(ValueError, match=message):
        sample_routes(w, routes, RiskOptions(samples=500), allocation=pd.DataFrame(rows))


def test_too_few_samples_are_refused_as_the_command_line_refuses_them() -> None:
    assert MIN_SAMPLES == 100
    for n in (0, -5, 99):
        with pytest.raises(ValueError, match="at least 100"):
            RiskOptions(samples=n)
    RiskOptions(samples=100)
    with pytest.raises(ValueError, match="chunk"):
        RiskOptions(chunk=0)


def test_the_result_records_every_option_and_warns_of_a_correlation_without_spread() -> None:
    w = evfab.compile(evfab.load("xiaomi-2022"))
    routes = [r for r in evfab.derive_routes(w) if r.id == NIO]
    res = sample_routes(w, routes, RiskOptions(samples=500, seed=3, demand_correlation=0.6))
    assert (res.samples, res.seed, res.demand_spread, res.demand_correlation) == (500, 3, 0, 0.6)
    assert len(res.notes) == 1 and "no effect without a demand spread" in res.notes[0]
    spread = RiskOptions(samples=500, demand_spread=0.2, demand_correlation=0.6)
    res = sample_routes(w, routes, spread)
    assert (res.demand_spread, res.demand_correlation, res.notes) == (0.2, 0.6, ())


def test_cli_plan_samples_each_route_as_the_plan_allocates_it(tmp_path: Path) -> None:
    import evfab

    doc = yaml.safe_load(evfab.bundled()["xiaomi-2022"].read_text("utf-8"))
    doc["sources"].append({"id": "a-halt", "status": "assumption", "note": "test what-if"})
    doc["policy"] += [
        {"since": "2023-01-01", "new_licences": False, "sources": ["a-halt"]},
        {"since": "2025-01-01", "new_licences": True, "sources": ["a-halt"]},
    ]
    path = tmp_path / "halt.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    res = CliRunner().invoke(app, ["risk", str(path), "--plan", "-n", "1000", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["demand_basis"] == "allocation"
    rows = {(r["program"], r["route"]): r for r in data["routes"]}
    umbrella = rows[("xiaomi-ev", UMBRELLA)]
    assert umbrella["demand"] == 60_000 and umbrella["expected_built"] <= 60_000
    xiaomi = [r for (g, _), r in rows.items() if g == "xiaomi-ev"]
    assert sum(r["expected_built"] for r in xiaomi) <= 1_660_000


def test_allocation_rows_of_one_route_and_year_add_up() -> None:
    # Two rows for Nio's route in 2023 (a plan may list a route-year once per plant): 30,000
    # + 20,000 = 50,000 cars. The route is certain (p_success 1, SOP 2022-08-26, 240,000
    # a year from 2023), so it builds all 50,000 and nothing in other years.
    w = evfab.compile(evfab.load("xiaomi-2022"))
    routes = [r for r in evfab.derive_routes(w) if r.id == NIO]
    allocation = pd.DataFrame(
        {
            "program": ["nio-jac-line", "nio-jac-line"],
            "route": [NIO, NIO],
            "year": [2023, 2023],
            "cars": [30_000.0, 20_000.0],
        }
    )
    res = sample_routes(w, routes, RiskOptions(samples=500), allocation=allocation)
    s = res.summary.set_index("route")
    assert s.loc[NIO, "demand"] == 50_000  # 30,000 + 20,000
    assert s.loc[NIO, "expected_built"] == pytest.approx(50_000)
    v = res.volumes.set_index("year")
    assert v.loc[2023, "demand"] == 50_000 and v["demand"].sum() == 50_000


def test_an_allocation_row_of_zero_cars_is_accepted() -> None:
    # A plan may list a route-year with 0 cars: not an error, the route builds nothing.
    w = evfab.compile(evfab.load("xiaomi-2022"))
    routes = [r for r in evfab.derive_routes(w) if r.id == NIO]
    allocation = pd.DataFrame(
        {"program": ["nio-jac-line"], "route": [NIO], "year": [2023], "cars": [0.0]}
    )
    res = sample_routes(w, routes, RiskOptions(samples=500), allocation=allocation)
    s = res.summary.set_index("route")
    assert s.loc[NIO, "demand"] == 0 and s.loc[NIO, "expected_built"] == 0
    assert any(NIO in n and "no cars" in n for n in res.notes)
