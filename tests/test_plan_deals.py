"""What a deal the plan does not take would save it (src/evfab/_plan_deals.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import evfab
from evfab.plan import PlanOptions, plan

# A newcomer with a licence has its cars built by a host at 5,000 CNY a car, or takes a
# stake in an idle plant whose cars cost 1,000: 4,000 a car less for its 10,000 cars is
# 40m CNY (no discounting), less than the stake's 100m fee, so the plan passes on it.
STAKE = """\
name: stake-or-not
as_of: 2030-01-01
horizon: 2030
discount_rate: 0
sources:
  - {id: a, status: assumption, note: test}
policy:
  - {since: 2020-01-01, contract_manufacturing: true, sources: [a]}
companies:
  - {id: host, name: Host, kind: automaker, sources: [a]}
  - {id: n1, name: N1, kind: newcomer, sources: [a]}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
  - {id: n1-bev, holder: n1, status: held, sources: [a]}
plants:
  - {id: hp, name: HP, operator: host, status: operating, opened: 2020-01,
     phases: [{capacity: 100000, ready: 2020-01}], sources: [a]}
  - {id: ip, name: Idle, operator: host, status: idle, opened: 2020-01,
     phases: [{capacity: 50000, ready: 2020-01}], unit_cost: 1000, sources: [a]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 10000}, badge: any,
     lost_margin: 30000, sources: [a]}
offers:
  - {id: cm1, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 5000,
     lead_months: 0, sources: [a]}
  - {id: st1, kind: plant_stake, to: n1, plant: ip, share: 0.5, fixed_fee: FEE,
     lead_months: 0, closing_months: 0, sources: [a]}
"""


def stake(fee: float) -> evfab.World:
    return evfab.compile(evfab.loads(STAKE.replace("FEE", str(int(fee))), file="stake.yaml"))


def test_a_deal_not_taken_is_worth_what_it_would_save() -> None:
    r = plan(stake(100_000_000))
    assert "st1" not in set(r.offers["offer"])
    row = r.deal_values.set_index("offer").loc["st1"]
    assert row["status"] == "optimal" and row["kind"] == "plant_stake" and row["to"] == "n1"
    assert row["saves"] == pytest.approx(40_000_000, rel=1e-9)  # 10,000 cars x 4,000
    assert row["fee"] == pytest.approx(100_000_000)


def test_below_its_value_the_plan_takes_the_deal() -> None:
    """The saving is the break-even fee: a little below it, the plan takes the stake."""
    r = plan(stake(39_000_000))
    assert "st1" in set(r.offers["offer"])
    assert "st1" not in set(r.deal_values["offer"])
    assert r.objective == pytest.approx(10_000 * 1_000 + 39_000_000, rel=1e-9)


def test_a_deal_excluded_by_a_taken_one_says_so() -> None:
    text = STAKE.replace("FEE", "100000000").replace(
        "fee_per_unit: 5000,\n     lead_months: 0,",
        "fee_per_unit: 5000, excludes: [st1],\n     lead_months: 0,",
    )
    r = plan(evfab.compile(evfab.loads(text, file="stake.yaml")))
    assert r.deal_values.set_index("offer").loc["st1", "status"] == "infeasible"


def test_deals_are_priced_with_the_alternatives_only() -> None:
    world = stake(100_000_000)
    assert plan(world, PlanOptions(alternatives=False)).deal_values.empty
    some = plan(world, PlanOptions(alternatives=True, alternatives_for=("g1",)))
    assert list(some.deal_values["offer"]) == ["st1"]


def test_cli_shows_writes_and_prints_the_deal_values(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from evfab.cli import app

    path = tmp_path / "stake.yaml"
    path.write_text(STAKE.replace("FEE", "100000000"))
    runner = CliRunner()
    res = runner.invoke(
        app, ["plan", str(path), "--out", str(tmp_path / "out")], env={"COLUMNS": "160"}
    )
    assert res.exit_code == 0, res.stderr
    said = " ".join(res.stdout.split())
    assert "Deals not taken: the most each is worth to the plan" in said
    assert "│ st1 │ plant_stake │ n1 │ 40m │ 100m │" in said
    assert (tmp_path / "out" / "deal_values.csv").read_text().splitlines()[1].startswith("st1,")
    res = runner.invoke(app, ["plan", str(path), "--json"])
    deals = json.loads(res.stdout)["deal_values"]
    assert deals == [
        {
            "offer": "st1",
            "kind": "plant_stake",
            "to": "n1",
            "saves": pytest.approx(4e7),
            "fee": 1e8,
            "status": "optimal",
            "scope": "industry",
        }
    ]


def test_the_plan_proven_optimal_is_the_reference_without_a_re_solve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from evfab import _plan_deals

    solves: list[object] = []
    real = _plan_deals._solve

    def counted(*args: object, **kwargs: object) -> object:
        solves.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_plan_deals, "_solve", counted)
    r = plan(stake(100_000_000))
    assert r.deal_values.set_index("offer").at["st1", "saves"] == pytest.approx(40_000_000)
    assert len(solves) == 1  # the deal's re-solve; the reference is the plan itself


def test_an_offer_to_a_subsidiary_is_priced_and_kept_for_its_parents_program() -> None:
    # The stake is offered to N1's subsidiary: N1's program may use it, so pricing one
    # program's deals, and narrowing a plan to it, keeps it.
    text = (
        STAKE.replace("FEE", "100000000")
        .replace(
            "  - {id: n1, name: N1, kind: newcomer, sources: [a]}\n",
            "  - {id: n1, name: N1, kind: newcomer, sources: [a]}\n"
            "  - {id: sub, name: Sub, kind: newcomer, parent: n1, sources: [a]}\n",
        )
        .replace("{id: st1, kind: plant_stake, to: n1,", "{id: st1, kind: plant_stake, to: sub,")
    )
    world = evfab.compile(evfab.loads(text, file="sub.yaml"))
    r = plan(world, PlanOptions(alternatives=True, alternatives_for=("g1",)))
    assert r.program_takers == {"g1": ("n1", "sub")}
    row = r.deal_values.set_index("offer").loc["st1"]
    assert row["to"] == "sub" and row["saves"] == pytest.approx(40_000_000, rel=1e-9)
    assert list(r.for_programs(["g1"]).deal_values["offer"]) == ["st1"]
