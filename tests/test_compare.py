"""Tests of scenario comparison (:mod:`evfab.compare`) and ``evfab compare``."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import evfab
from evfab._io import OutputError
from evfab.compare import CompareOptions, compare
from evfab.plan import PlanOptions

EVFAB = str(Path(sys.executable).parent / "evfab")
APPLIED = ("applied:xiaomi-bev@stake:hyundai-no2", "applied:xiaomi-bev@own:yizhuang")


def _xiaomi(halt: bool = False, currency: str | None = None) -> str:
    """xiaomi-2022 as YAML, with a hypothetical 2023-2025 halt of new licences if ``halt``."""
    doc: dict[str, Any] = yaml.safe_load(evfab.bundled()["xiaomi-2022"].read_text("utf-8"))
    if halt:
        doc["sources"].append({"id": "a-halt", "status": "assumption", "note": "test what-if"})
        doc["policy"] += [
            {"since": "2023-01-01", "new_licences": False, "sources": ["a-halt"]},
            {"since": "2025-01-01", "new_licences": True, "sources": ["a-halt"]},
        ]
    if currency:
        doc["currency"] = currency
    return yaml.safe_dump(doc, sort_keys=False)


def _world(text: str) -> evfab.World:
    return evfab.compile(evfab.loads(text))


@pytest.fixture(scope="module")
def halted() -> Any:
    return compare(_world(_xiaomi()), _world(_xiaomi(halt=True)), CompareOptions(seed=1))


def test_a_halt_moves_the_applications_and_the_plan_bridges_it(halted: Any) -> None:
    c = halted
    assert list(c.routes["route"]) == list(APPLIED)
    assert set(c.routes["sop_after"]) == {dt.date(2025, 1, 1)}
    assert (c.routes["state_before"] == c.routes["state_after"]).all()
    assert all("held until new licences are granted again" in w for w in c.routes["why_after"])
    assert c.cost_change == pytest.approx(c.plan_after.objective - c.plan_before.objective)
    assert c.cost_change > 0
    row = c.changed_programs().set_index("program").loc["xiaomi-ev"]
    assert row["routes_before"] == "applied:xiaomi-bev@own:yizhuang"
    assert "partner:baic-umbrella@own:yizhuang" in row["routes_after"]
    # The odds use one seed: the own route's odds as is (at most its 0.5 approval chance),
    # the umbrella's with the halt.
    assert 0.4 < row["p_on_time_before"] < 0.5 and row["p_on_time_after"] > 0.7


def test_the_comparison_says_what_changed_in_the_policy(halted: Any) -> None:
    from evfab._report_compare import comparison_json

    got = halted.policy.to_dict("records")
    assert [(r["change"], str(r["since"]), r["rules_after"]) for r in got] == [
        ("added", "2023-01-01", "new licences not granted"),
        ("added", "2025-01-01", "new licences granted"),
    ]
    assert comparison_json(halted)["policy"][0]["rules_before"] is None


def test_the_odds_say_which_route_and_how_much_of_the_plan_gets_built(halted: Any) -> None:
    row = halted.programs.set_index("program").loc["xiaomi-ev"]
    own, bridge = APPLIED[1], "partner:baic-umbrella@own:yizhuang"
    # Under the halt Xiaomi's own route cannot start on time; the best route is the bridge.
    assert row["route_odds_after"][own] == 0.0
    assert row["p_on_time_after"] == row["route_odds_after"][bridge] > 0.7
    assert row["route_odds_before"] == {own: row["p_on_time_before"]}
    # The share of the plan's cars expected to be built weighs each route by its cars.
    assert 0.4 < row["delivered_before"] < 0.9 and 0.4 < row["delivered_after"] < 0.9
    nio = halted.programs.set_index("program").loc["nio-jac-line"]
    assert nio["delivered_before"] == nio["delivered_after"] == 1.0


def test_the_table_says_what_its_odds_mean(halted: Any) -> None:
    from rich.console import Console

    from evfab._report_compare import comparison_json, print_comparison

    console = Console(width=120, record=True)
    print_comparison(console, halted)
    text = " ".join(console.export_text().split())
    for header in ("routes used (P(on time))", "P(on time),", "some route", "delivered"):
        assert header in text
    assert (
        "Policy periods the change adds (+), removes (-) or edits (~): "
        "+ 2023-01-01: new licences not granted + 2025-01-01: new licences granted"
    ) in text
    assert "applied:xiaomi-bev @own:yizhuang (0%)" in text  # broken at the plant part
    assert "'some route of the plan': the chance that at least one of the plan's routes" in text
    # Said to compare the plans, not the policies: the halt raised this figure (a bridge).
    assert "Both compare the two plans' routes, not all the change allows" in text
    p = halted.programs.set_index("program").loc["xiaomi-ev"]
    # The two routes after the halt: own (0 % on time) and the umbrella (80 %).
    assert p["p_any_on_time_after"] >= p["p_on_time_after"] == pytest.approx(0.8, abs=0.02)
    prog = {p["program"]: p for p in comparison_json(halted)["programs"]}["xiaomi-ev"]
    assert set(prog["route_odds_after"]) == {APPLIED[1], "partner:baic-umbrella@own:yizhuang"}


def test_risk_samples_are_none_or_at_least_the_risk_engines_minimum() -> None:
    CompareOptions(risk_samples=0)
    CompareOptions(risk_samples=100)
    for n in (1, 99, -1):
        with pytest.raises(ValueError, match="neither 0"):
            CompareOptions(risk_samples=n)
    with pytest.raises(ValueError, match="seed"):
        CompareOptions(seed=-1)


def test_a_scenario_compared_with_itself_changes_nothing() -> None:
    w = _world(_xiaomi())
    c = compare(w, _world(_xiaomi()), CompareOptions(risk_samples=2000))
    assert c.routes.empty and c.changed_programs().empty and c.cost_change == 0.0
    assert len(c.programs) == len(w.programs)
    assert c.warnings == ()


def test_programs_and_routes_of_one_side_only() -> None:
    c = compare(
        _world(_xiaomi()), evfab.compile(evfab.load("china-ev")), CompareOptions(risk_samples=0)
    )
    p = c.programs.set_index("program")
    assert p.loc["nio-models", "routes_before"] is None and p.loc["nio-models", "routes_after"]
    assert p.loc["nio-models", "first_year_after"] == 2023
    assert isinstance(p.loc["nio-models", "first_year_after"], int)
    assert math.isnan(p.loc["nio-models", "built_before"])
    assert p[["p_on_time_before", "p_on_time_after"]].isna().all().all()  # no risk run
    assert p[["delivered_before", "delivered_after"]].isna().all().all()
    assert p["route_odds_after"].isna().all()
    gone = c.routes[c.routes["route"] == "acquired:buy-dormant-maker@acquired:dormant-plant"]
    assert len(gone) == 1 and gone["sop_after"].isna().all()
    from rich.console import Console

    from evfab._report_compare import print_comparison

    console = Console(width=120, record=True)
    print_comparison(console, c)
    text = console.export_text()
    assert "not in the other scenario" in text and "only in the other scenario" in text
    assert ". -\n" not in text  # a reason for every route
    # Two unrelated scenarios: their costs are discounted to other dates over other years.
    assert c.warnings[:2] == (
        "the scenarios' as_of differs (2022-08-26 -> 2022-12-31)",
        "the scenarios' horizon differs (2022-2030 -> 2022-2026)",
    )


def test_currencies_must_match() -> None:
    with pytest.raises(ValueError, match="currencies differ"):
        compare(_world(_xiaomi()), _world(_xiaomi(currency="EUR")), CompareOptions(risk_samples=0))


def test_cli_text_json_and_a_currency_mismatch(tmp_path: Path) -> None:
    halt, eur = tmp_path / "halt.yaml", tmp_path / "eur.yaml"
    halt.write_text(_xiaomi(halt=True))
    eur.write_text(_xiaomi(currency="EUR"))
    res = subprocess.run(
        [EVFAB, "compare", "xiaomi-2022", str(halt), "-n", "2000"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert f"Compare xiaomi-2022 -> {halt}" in res.stdout
    assert (
        "2024-01-01 -> 2025-01-01" in res.stdout and "(+154m CNY, +1.5%, discounted)" in res.stdout
    )
    res = subprocess.run(
        [EVFAB, "compare", "xiaomi-2022", str(halt), "-n", "0", "--json"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["kind"] == "comparison" and data["cost_change"] > 0
    assert [r["route"] for r in data["routes"]] == list(APPLIED)
    assert data["programs"][0]["p_on_time_before"] is None  # no risk run: null, not NaN
    res = subprocess.run(
        [EVFAB, "compare", "xiaomi-2022", str(eur)], capture_output=True, text=True
    )
    assert res.returncode == 2 and "counts money in EUR" in res.stderr


def test_a_policy_that_only_changes_odds_or_cars_lists_the_routes() -> None:
    # Contract manufacturing banned from 2026: the BluePark co-brand route starts as before
    # (same state, same SOP, same odds) but builds nothing from 2026. It used to go unlisted.
    doc: dict[str, Any] = yaml.safe_load(_xiaomi())
    doc["sources"].append({"id": "a-ban", "status": "assumption", "note": "test what-if"})
    doc["policy"] += [
        {
            "since": "2026-01-01",
            "contract_manufacturing": False,
            "sources": ["a-ban"],
        }
    ]
    c = compare(
        _world(_xiaomi()),
        _world(yaml.safe_dump(doc, sort_keys=False)),
        CompareOptions(risk_samples=0),
    )
    r = c.routes.set_index("route")
    cm = r.loc["partner:bluepark-cobrand@partner:bjev-changzhou"]
    assert cm["state_before"] == cm["state_after"] and cm["sop_before"] == cm["sop_after"]
    assert cm["cars_after"] < cm["cars_before"]
    assert cm["odds_after"] == cm["odds_before"]


def test_delivered_is_the_plans_expected_cars_built_over_its_cars(halted: Any) -> None:
    # By hand: delivered = sum over the program's planned routes of expected_built, over the
    # sum of the cars the plan gives them (sample_routes' "demand"), with compare's seed and
    # samples and the plan's modules. Under the halt xiaomi-ev has two routes (the umbrella
    # bridge, 60,000 cars in 2024, and its own licence from 2025): both must count, in
    # the numerator and in the denominator.
    from evfab.risk import RiskOptions, plan_modules, plan_routes, sample_routes

    for side, text, result in (
        ("before", _xiaomi(), halted.plan_before),
        ("after", _xiaomi(halt=True), halted.plan_after),
    ):
        world = _world(text)
        picked, allocation = plan_routes(evfab.derive_routes(world), result)
        res = sample_routes(
            world,
            picked,
            RiskOptions(samples=20_000, seed=1),
            allocation=allocation,
            modules=plan_modules(result),
        )
        s = res.summary[res.summary["program"] == "xiaomi-ev"]
        assert len(s) == (1 if side == "before" else 2)
        want = float(s["expected_built"].sum()) / float(s["demand"].sum())
        got = halted.programs.set_index("program").loc["xiaomi-ev", f"delivered_{side}"]
        assert got == pytest.approx(want, rel=1e-12), side
        if side == "after":  # 60,000 bridge cars + the own route's, as planned
            assert (
                float(s["demand"].sum())
                == result.production.query("program == 'xiaomi-ev'")["cars"].sum()
            )


def test_first_year_is_the_earliest_of_the_plans_routes(halted: Any) -> None:
    # Under the halt the umbrella bridge builds in 2024 and the own licence from 2025: the
    # program's first production year is 2024 (the earlier), as before the halt.
    row = halted.programs.set_index("program").loc["xiaomi-ev"]
    first = halted.plan_after.choices.query("program == 'xiaomi-ev'")["first_year"]
    assert sorted(first) == [2024, 2025]
    assert row["first_year_after"] == 2024


def test_a_scenario_compared_with_itself_without_risk_changes_nothing() -> None:
    # Without a risk run the odds and shares are NaN on both sides: NaN == NaN is no change.
    c = compare(_world(_xiaomi()), _world(_xiaomi()), CompareOptions(risk_samples=0))
    assert c.programs[["p_on_time_before", "delivered_after"]].isna().all().all()
    assert c.changed_programs().empty
    assert c.routes.empty


def test_routes_of_the_other_scenario_only_are_listed() -> None:
    before, after = _world(_xiaomi()), evfab.compile(evfab.load("china-ev"))
    c = compare(before, after, CompareOptions(risk_samples=0))
    old = {(r.program, r.id) for r in evfab.derive_routes(before)}
    new = {(r.program, r.id): r for r in evfab.derive_routes(after)}
    only_after = {k for k in new if k not in old}
    # nio-models is in china-ev only: every one of its routes exists after the change only.
    assert {k for k in new if k[0] == "nio-models"} <= only_after
    rows = c.routes[c.routes["state_before"].isna()]
    assert set(zip(rows["program"], rows["route"], strict=True)) == only_after
    for g, rid, sop_before, sop_after in zip(
        rows["program"], rows["route"], rows["sop_before"], rows["sop_after"], strict=True
    ):
        assert sop_before is None and sop_after == new[(g, rid)].earliest_sop


def test_the_caption_tells_no_risk_run_from_no_route_to_sample() -> None:
    from rich.console import Console

    from conftest import MINIMAL
    from evfab._report_compare import print_comparison

    w = _world(MINIMAL.replace("contract_manufacturing: true", "contract_manufacturing: false"))
    for samples, said in (
        (0, "No risk run (--samples 0)"),
        (200, "Neither plan uses a route: the risk engine had nothing to sample."),
    ):
        console = Console(width=120, record=True)
        c = compare(w, w, CompareOptions(risk_samples=samples))
        assert c.risk_samples == samples
        print_comparison(console, c, every=True)
        assert said in console.export_text()


def test_cli_out_writes_the_tables_and_the_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from evfab.cli import app

    halt = tmp_path / "halt.yaml"
    halt.write_text(_xiaomi(halt=True))
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app, ["compare", "xiaomi-2022", str(halt), "-n", "0", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "compare.png",
        "compare_costs.csv",
        "compare_fees.csv",
        "compare_programs.csv",
        "compare_routes.csv",
        "comparison.json",
    ]
    costs = pd.read_csv(out / "compare_costs.csv").set_index("category")
    assert costs.at["total", "change"] == pytest.approx(
        json.loads((out / "comparison.json").read_text())["cost_change"]
    )
    assert list(pd.read_csv(out / "compare_fees.csv").columns) == [
        "payer",
        "receiver",
        "before",
        "after",
        "change",
    ]
    assert (out / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    routes = pd.read_csv(out / "compare_routes.csv")
    assert set(routes["route"]) == {
        "applied:xiaomi-bev@stake:hyundai-no2",
        "applied:xiaomi-bev@own:yizhuang",
    }
    assert json.loads((out / "comparison.json").read_text())["cost_change"] > 0
    # A folder that cannot be written fails before both plans (evfab's main() makes the
    # OutputError exit code 2; in process it reaches CliRunner), and prints nothing.
    res = CliRunner().invoke(
        app, ["compare", "xiaomi-2022", str(halt), "-n", "0", "--out", str(halt / "x")]
    )
    assert isinstance(res.exception, OutputError)
    assert res.stdout == ""


def test_a_scenario_with_its_programs_listed_in_reverse_changes_no_program() -> None:
    # Equally cheap plans abound in an industry; without the second plan kept near the
    # first, 94 program-route totals differed here (a review: 81 of 200 programs "changed").
    from evfab.generate import generate_yaml

    text = generate_yaml(programs=40, plants=15, years=6, seed=5)
    doc: dict[str, Any] = yaml.safe_load(text)
    doc["programs"].reverse()
    c = compare(
        _world(text), _world(yaml.safe_dump(doc, sort_keys=False)), CompareOptions(risk_samples=0)
    )
    assert c.cost_change == pytest.approx(0.0, abs=1e-3)
    assert c.changed_programs().empty


def test_a_scenario_compared_with_itself_at_a_wide_gap_costs_the_same() -> None:
    # Stopped at a 5 % gap, the MILP's plan is not the cheapest for its deals. Only the
    # second plan was re-solved (near the first), and came out 1.08bn CNY cheaper than
    # the same scenario's first plan; both are polished now.
    from evfab.generate import generate_yaml

    text = generate_yaml(programs=60, plants=20, years=8, seed=2)
    fast = PlanOptions(capacity_values=False, alternatives=False, gap=0.05)
    c = compare(_world(text), _world(text), CompareOptions(plan=fast, risk_samples=0))
    assert abs(c.cost_change) <= 1e-9 * c.plan_before.objective
    assert c.changed_programs().empty
    assert c.plan_before.gap == pytest.approx(
        (c.plan_before.objective - c.plan_before.bound) / c.plan_before.objective
    )


def _locked_out() -> str:
    """xiaomi-2022 with new licences halted for good, contract manufacturing banned from
    2023-06 and Xiaomi bound to build half its demand: no plan."""
    doc: dict[str, Any] = yaml.safe_load(_xiaomi())
    doc["sources"].append({"id": "a-lock", "status": "assumption", "note": "test what-if"})
    doc["policy"] += [
        {"since": "2023-01-01", "new_licences": False, "sources": ["a-lock"]},
        {"since": "2023-06-01", "contract_manufacturing": False, "sources": ["a-lock"]},
    ]
    doc["programs"][0]["min_fill"] = 0.5
    return yaml.safe_dump(doc, sort_keys=False)


def test_a_route_that_cannot_be_used_supplies_no_cars_and_has_no_odds() -> None:
    c = compare(_world(_xiaomi()), _world(_locked_out()), CompareOptions(risk_samples=0))
    r = c.routes.set_index("route")
    gone = r.loc["partner:baic-umbrella@own:yizhuang"]
    assert gone["state_after"] == "illegal"
    assert gone["cars_after"] == 0 and math.isnan(gone["odds_after"])
    assert gone["cars_before"] == 1_875_616 and gone["odds_before"] == pytest.approx(0.8)
    # Nio's contract loses its cars to the ban, and the reason says so.
    nio = r.loc["partner:nio-jac@partner:jac-hefei"]
    assert nio["why_after"] == "no production from 2023-06-01 (contract manufacturing banned)"


def test_a_side_without_a_plan_says_why(tmp_path: Path) -> None:
    after = tmp_path / "locked.yaml"
    after.write_text(_locked_out())
    res = subprocess.run(
        [EVFAB, "compare", "xiaomi-2022", str(after), "-n", "0"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    text = " ".join(res.stdout.split())
    assert "No plan after: infeasible; every program's columns on that side are '-'." in text
    assert "60,000 of 60,000 cars cannot be built, 30,000 below the minimum" in text


def test_costs_by_category_add_up_to_the_cost_change(halted: Any) -> None:
    costs = halted.costs.set_index("category")
    assert costs.loc["total", "change"] == pytest.approx(halted.cost_change)
    assert costs.drop(index="total")["change"].sum() == pytest.approx(halted.cost_change)
    # The halt makes Xiaomi bridge on BAIC's umbrella: more per-car fees, by hand
    # 60,000 cars x 3,000 CNY in 2024, discounted two years at 8 %.
    assert costs.loc["per-car fees to partners", "change"] == pytest.approx(
        60_000 * 3_000 / 1.08**2, rel=1e-9
    )


def test_fees_say_who_pays_whom_and_add_up_to_the_category(halted: Any) -> None:
    fees = halted.fees.set_index(["payer", "receiver"])
    # The halt sends Xiaomi's 2024 cars to BAIC's umbrella: 60,000 x 3,000 CNY, two years.
    assert fees.loc[("xiaomi", "baic"), "change"] == pytest.approx(60_000 * 3_000 / 1.08**2)
    assert fees.loc[("nio", "jac"), "change"] == pytest.approx(0.0, abs=1e-3)
    costs = halted.costs.set_index("category")
    for side in ("before", "after", "change"):
        assert fees[side].sum() == pytest.approx(costs.loc["per-car fees to partners", side])


def test_fees_of_a_generated_industry_add_up_to_the_category() -> None:
    # Stakes with a fee per car pay the plant's operator; contracts the host.
    from evfab.generate import generate_yaml

    text = generate_yaml(programs=30, plants=12, years=6, seed=3)
    doc: dict[str, Any] = yaml.safe_load(text)
    doc["sources"].append({"id": "a-ban", "status": "assumption", "note": "test what-if"})
    doc["policy"].append(
        {"since": f"{doc['horizon'] - 2}-07-01", "new_licences": False, "sources": ["a-ban"]}
    )
    c = compare(
        _world(text), _world(yaml.safe_dump(doc, sort_keys=False)), CompareOptions(risk_samples=0)
    )
    costs = c.costs.set_index("category")
    for side in ("before", "after"):
        assert c.fees[side].sum() == pytest.approx(
            costs.loc["per-car fees to partners", side], rel=1e-9
        )


def test_a_lower_minimum_capacity_shows_as_fewer_modules_needed() -> None:
    """Lowering a new licence's minimum from 100,000 to 70,000 a year: the same route, now
    needing one of its plant's 20,000-car modules instead of two, 100m cheaper."""
    import io

    from rich.console import Console

    from evfab._report_compare import print_comparison
    from test_plan import _MIN_MODULES

    lower = _MIN_MODULES.replace("min_capacity: 100000", "min_capacity: 70000")
    c = compare(_world(_MIN_MODULES), _world(lower), CompareOptions(risk_samples=0))
    (row,) = c.routes.to_dict("records")
    assert (row["modules_before"], row["modules_after"]) == (2, 1)
    assert row["state_before"] == row["state_after"] == "usable"
    assert row["why_after"] == (
        "extra modules its plant needs for a new licence's minimum capacity: 2 -> 1"
    )
    assert c.cost_change == pytest.approx(-1e8)
    console = Console(file=io.StringIO(), width=120, highlight=False)
    print_comparison(console, c)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Routes whose state, earliest SOP, odds, cars or modules needed changed (1)" in text
    assert "2 -> 1" in text
    # The edited period shows the rule that changed, not every rule it sets.
    assert "~ 2020-01-01: min capacity 100,000/yr -> min capacity 70,000/yr\n" in text
    # Where no route needs modules on either side, the table keeps its usual title and
    # columns, though a route turns unusable (its modules: none -> 0 showed as a change).
    free = _MIN_MODULES.replace("min_capacity: 100000", "min_capacity: 0")
    halted = free.replace("new_licences: true", "new_licences: false")
    c = compare(_world(halted), _world(free), CompareOptions(risk_samples=0))
    assert len(c.routes) == 1
    console = Console(file=io.StringIO(), width=120, highlight=False)
    print_comparison(console, c)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Routes whose state, earliest SOP, odds or cars changed (1)" in text
    assert "needed" not in text


def test_each_program_row_names_its_company(halted: Any) -> None:
    """For roll-ups by company (newcomers against incumbents) without a join on the YAML."""
    companies = dict(zip(halted.programs["program"], halted.programs["company"], strict=True))
    assert companies == {"xiaomi-ev": "xiaomi", "nio-jac-line": "nio"}
    from evfab._report_compare import comparison_json

    rows = comparison_json(halted)["programs"]
    assert {r["program"]: r["company"] for r in rows} == companies


def test_routes_sharing_a_reason_share_a_line_and_a_long_list_stops(
    halted: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from rich.console import Console

    from evfab import _report_compare
    from evfab._report_compare import print_comparison

    def text() -> str:
        console = Console(file=io.StringIO(), width=200, highlight=False)
        print_comparison(console, halted)
        return console.file.getvalue()  # type: ignore[attr-defined]

    # Both applications are held by the same halt: one line for both.
    assert "\n  1-2. licence review (16 months from 2022-04-01); held until" in text()
    monkeypatch.setattr(_report_compare, "MAX_ROUTE_ROWS", 1)
    short = text()
    assert "Rows 1-1 of 2: compare_routes.csv (--out DIR) and --json have every one." in " ".join(
        short.split()
    )
    assert "\n  1. licence review" in short and "1-2." not in short
