"""Pricing alternatives and deals with only the companies concerned re-deciding (src/evfab/_plan_scope.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import evfab
from evfab._plan_inputs import plan_inputs
from evfab._plan_model import build_milp
from evfab._plan_scope import deal_companies, hold_others, owners, route_companies
from evfab._route_table import route_table
from evfab.cli import app
from evfab.generate import generate
from evfab.plan import PlanOptions, plan

# Two newcomers want 10,000 cars each. In the plan n1 takes a cheap stake in an idle plant
# and n2 has its cars built in the host's plant (10,000 cars). If n1 had its cars built by
# the host too (cm1), n2 would move to another idle plant with a stake of its own (st2):
# 50m + 60m = 110m CNY, 70m more than the plan's 40m. With n2 keeping its
# planned deals (no st2) there is room for only one of them: 10,000 cars unmet at 30,000
# = 300m, plus n2's 20m: 320m, an upper bound on the 110m.
CROWD = """\
name: crowd
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
  - {id: n2, name: N2, kind: newcomer, sources: [a]}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
  - {id: n1-bev, holder: n1, status: held, sources: [a]}
  - {id: n2-bev, holder: n2, status: held, sources: [a]}
plants:
  - {id: hp, name: HP, operator: host, status: operating, opened: 2020-01,
     phases: [{capacity: 10000, ready: 2020-01}], sources: [a]}
  - {id: ip, name: Idle, operator: host, status: idle, opened: 2020-01,
     phases: [{capacity: 10000, ready: 2020-01}], unit_cost: 1000, sources: [a]}
  - {id: ip2, name: Idle 2, operator: host, status: idle, opened: 2020-01,
     phases: [{capacity: 10000, ready: 2020-01}], unit_cost: 1000, sources: [a]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 10000}, badge: any,
     lost_margin: 30000, min_fill: FILL, sources: [a]}
  - {id: g2, company: n2, name: G2, target_sop: 2030-01, demand: {2030: 10000}, badge: any,
     lost_margin: 30000, min_fill: FILL, sources: [a]}
offers:
  - {id: cm1, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 5000,
     lead_months: 0, sources: [a]}
  - {id: st1, kind: plant_stake, to: n1, plant: ip, share: 1.0, fixed_fee: 10000000,
     lead_months: 0, closing_months: 0, sources: [a]}
  - {id: cm2, kind: contract_manufacturing, to: n2, host: host, plant: hp, fee_per_unit: 2000,
     lead_months: 0, sources: [a]}
  - {id: st2, kind: plant_stake, to: n2, plant: ip2, share: 1.0, fixed_fee: 50000000,
     lead_months: 0, closing_months: 0, sources: [a]}
"""
ALT = "partner:cm1"


def crowd(fill: float = 0.0) -> evfab.World:
    return evfab.compile(evfab.loads(CROWD.replace("FILL", str(fill)), file="crowd.yaml"))


def priced(world: evfab.World, scope: str) -> evfab.PlanResult:
    return plan(world, PlanOptions(alternatives=True, alternatives_scope=scope))  # type: ignore[arg-type]


def alt(r: evfab.PlanResult, program: str = "g1") -> dict[str, object]:
    rows = r.alternatives[r.alternatives["program"] == program]
    mine = rows[rows["route"].str.startswith(ALT)]
    assert len(mine) == 1, rows
    out: dict[str, object] = mine.iloc[0].to_dict()
    return out


def test_the_crowded_case_is_what_its_comment_says() -> None:
    r = priced(crowd(), "industry")
    assert r.objective == pytest.approx(40e6, rel=1e-9)
    assert set(r.offers["offer"]) == {"st1", "cm2"}
    a = alt(r)
    assert a["scope"] == "industry" and a["delta"] == pytest.approx(70e6, rel=1e-9)


def test_company_scope_keeps_the_others_deals_and_bounds_the_exact_price() -> None:
    a = alt(priced(crowd(), "company"))
    assert a["status"] == "optimal" and a["scope"] == "company"
    assert a["cost"] == pytest.approx(320e6, rel=1e-9)  # >= the exact 110m
    r = priced(crowd(), "company")
    said = " ".join(r.explanations["g1"])
    assert "would cost at most 280m CNY more" in said
    assert "other companies kept their planned deals" in said


def test_when_the_others_deals_leave_no_plan_the_price_is_the_industrys() -> None:
    # Both programs must be built in full: with n2 keeping its deals, n1 on the host's
    # plant leaves no plan at all, so the exact re-solve prices it.
    exact, held = alt(priced(crowd(1.0), "industry")), alt(priced(crowd(1.0), "company"))
    assert held["scope"] == "industry" and held["status"] == "optimal"
    assert held["cost"] == pytest.approx(exact["cost"], rel=1e-9)
    assert exact["cost"] == pytest.approx(110e6, rel=1e-9)


def test_a_deal_priced_in_company_scope_says_so() -> None:
    # st2 for free would move n2's cars from the host (2,000 a car) to the idle plant
    # (1,000): it saves 10m, in either scope (n1 has no reason to change).
    held = priced(crowd(), "company").deal_values.set_index("offer")
    exact = priced(crowd(), "industry").deal_values.set_index("offer")
    assert held.loc["st2", "scope"] == "company" and exact.loc["st2", "scope"] == "industry"
    assert held.loc["st2", "saves"] == pytest.approx(10e6, rel=1e-9)
    assert exact.loc["st2", "saves"] == pytest.approx(10e6, rel=1e-9)


def test_the_plans_own_route_is_the_plan_in_either_scope() -> None:
    r = priced(crowd(), "company")
    own = r.alternatives[r.alternatives["route"].str.startswith("partner:st1")]
    assert (own["scope"] == "industry").all() and (own["delta"].abs() < 1e-6).all()


def test_every_integer_column_belongs_to_the_company_that_decides_it() -> None:
    # Every kind of integer column: offers, modules, route switches, waivers, one plant a
    # year (single-source programs) and licences kept (dormancy).
    data = generate(programs=40, plants=15, seed=0, scopes=True, small_builds=True)
    for offer in data["offers"]:
        if offer["kind"] == "build_plant":
            offer.update(module_capacity=50_000, max_modules=4, module_fee=400_000_000)
    for p in data["programs"][::3]:
        p["single_source"] = True
    world = evfab.compile(evfab.Scenario.model_validate(data))
    d, ix = plan_inputs(world, route_table(world))
    m = build_milp(d)
    assert all(b > a for a, b in m.col_blocks.values()), m.col_blocks
    who = owners(m, d)
    integer = m.integrality()
    assert (who[integer] >= 0).all() and (who[~integer] == -1).all()
    # Who decides, read from the scenario by id (not from the planner's arrays).
    taker = {o["id"]: ix.companies.index(o["to"]) for o in data["offers"]}
    maker = {g["id"]: ix.companies.index(g["company"]) for g in data["programs"]}

    def of_route(r: int) -> int:
        return maker[ix.programs[d.route_program[r]]]

    x0, x1 = m.col_blocks["x"]
    assert who[x0:x1].tolist() == [taker[o] for o in ix.offers]
    assert who[m.m_of_offer[m.m_offer]].tolist() == [taker[ix.offers[o]] for o in m.m_offer]
    z0, z1 = m.col_blocks["z"]
    assert who[z0:z1].tolist() == [of_route(r) for r in m.z_route]
    w0, w1 = m.col_blocks["w"]
    assert who[w0:w1].tolist() == [taker[ix.offers[o]] for o in d.waiver_offer]
    assert who[m.s_col_of_q].tolist() == [of_route(m.q_route[q]) for q in m.s_q]
    assert who[m.k_of_route[m.k_route]].tolist() == [of_route(r) for r in m.k_route]
    for g in range(len(d.program_company)):
        assert d.program_company[g] in route_companies(d, g)
    for o in range(len(d.offer_company)):
        assert d.offer_company[o] in deal_companies(d, o)


def test_holding_refuses_a_plan_outside_the_bounds() -> None:
    who = np.array([-1, 0, 1, 1])
    lo, up = np.zeros(4), np.ones(4)
    assert hold_others(who, np.array([0.5, 1.0, 0.9999999, 0.0]), lo, up, np.array([0]))
    assert lo.tolist() == [0.0, 0.0, 1.0, 0.0] and up.tolist() == [1.0, 1.0, 1.0, 0.0]
    lo, up = np.zeros(4), np.array([1.0, 1.0, 0.0, 1.0])
    assert not hold_others(who, np.array([0.5, 1.0, 1.0, 0.0]), lo, up, np.array([0]))
    assert up.tolist() == [1.0, 1.0, 0.0, 1.0]  # nothing changed


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_company_scope_is_never_below_the_exact_price(seed: int) -> None:
    world = evfab.compile(evfab.Scenario.model_validate(generate(programs=8, plants=4, seed=seed)))
    some = tuple(world.program_ids[:3])
    opts = {"alternatives": True, "alternatives_for": some}
    exact = plan(world, PlanOptions(**opts)).alternatives  # type: ignore[arg-type]
    held = plan(world, PlanOptions(**opts, alternatives_scope="company")).alternatives  # type: ignore[arg-type]
    both = exact.merge(held, on=["program", "route"], suffixes=("", "_held"))
    assert len(both) == len(exact) == len(held)
    ok = both["status"].isin(["optimal"]) & both["status_held"].isin(["optimal"])
    tol = 1e-6 * np.maximum(1.0, both["cost"].abs())
    assert (both["cost_held"][ok] >= both["cost"][ok] - tol[ok]).all()
    assert set(held["scope"].dropna()) <= {"company", "industry"}


def test_an_unknown_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="is not one of industry, company"):
        PlanOptions(alternatives_scope="everyone")  # type: ignore[arg-type]


def test_cli_prices_in_company_scope(tmp_path: object) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["plan", "xiaomi-2022", "--alternatives-scope", "company", "--json"])
    assert res.exit_code == 0, res.stderr
    got = json.loads(res.stdout)
    scopes = {a["scope"] for a in got["alternatives"]}
    assert scopes <= {"company", "industry"} and "company" in scopes
    assert {d["scope"] for d in got["deal_values"]} <= {"company", "industry"}
    bad = runner.invoke(app, ["plan", "xiaomi-2022", "--alternatives-scope", "everyone"])
    assert bad.exit_code == 2 and "is not one of" in bad.stderr


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("fixed_fee: 50000000,\n", "fixed_fee: 50000000, excludes: [cm2],\n"),
        (
            "{id: n2, name: N2, kind: newcomer,",
            "{id: n2, name: N2, kind: newcomer, capital_budget: 40000000,",
        ),
    ],
    ids=["excludes a taken deal", "breaks the budget"],
)
def test_a_deal_infeasible_in_either_scope_needs_no_exact_re_solve(
    monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    from evfab import _plan_deals

    text = CROWD.replace("FILL", "0.0").replace(old, new)
    assert text != CROWD.replace("FILL", "0.0")
    world = evfab.compile(evfab.loads(text, file="crowd.yaml"))
    solves: list[object] = []
    real = _plan_deals._solve

    def counted(*args: object, **kwargs: object) -> object:
        solves.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_plan_deals, "_solve", counted)
    deals = priced(world, "company").deal_values.set_index("offer")
    assert deals.loc["st2", "status"] == "infeasible"
    assert len(solves) == 1  # the restricted re-solve only: the plan is the reference


# Two newcomers and a host with two plants. n2 builds at one plant a year (single source).
# Handed a plan that is feasible but not the best (as a run stopped at its time limit may
# be), with n2 at the host's dearer plant, a restricted reference keeps n2 there too: the
# stake st1 would be credited with what only n2's held choice loses.
STOPPED = (
    CROWD.replace("FILL", "0.0")
    .replace(
        """  - {id: ip2,""",
        """  - {id: hq, name: HQ, operator: host, status: operating, opened: 2020-01,
     phases: [{capacity: 10000, ready: 2020-01}], sources: [a]}
  - {id: ip2,""",
    )
    .replace(
        "lost_margin: 30000, min_fill: 0.0, sources: [a]}\noffers:",
        "lost_margin: 30000, min_fill: 0.0, single_source: true, sources: [a]}\noffers:",
    )
    .replace(
        """  - {id: st2, kind: plant_stake, to: n2, plant: ip2, share: 1.0, fixed_fee: 50000000,
     lead_months: 0, closing_months: 0, sources: [a]}
""",
        """  - {id: cm2b, kind: contract_manufacturing, to: n2, host: host, plant: hq,
     fee_per_unit: 1500, lead_months: 0, sources: [a]}
""",
    )
)


def test_a_deal_saving_in_company_scope_is_a_lower_bound_even_for_a_stopped_plan() -> None:
    from types import SimpleNamespace

    from evfab._highs import new_highs, pass_milp, run
    from evfab._plan_deals import deal_values
    from evfab._plan_shortfalls import _with_bounds

    world = evfab.compile(evfab.loads(STOPPED, file="stopped.yaml"))
    d, ix = plan_inputs(world, route_table(world))
    m = build_milp(d)
    v = m.vectors()
    lo, up = v["lower"].copy(), v["upper"].copy()
    x0 = m.col_blocks["x"][0]
    for o in ("cm1", "cm2", "cm2b"):  # every contract taken, no stake
        lo[x0 + ix.offers.index(o)] = 1.0
    up[x0 + ix.offers.index("st1")] = 0.0
    hq = ix.plants.index("hq")
    for j, q in enumerate(m.s_q.tolist()):  # n2 single-sourced at hp, not hq
        if d.route_plant[m.q_route[q]] == hq:
            up[m.s_col_of_q[j]] = 0.0
    h = new_highs()
    pass_milp(h, _with_bounds(m, lo, up))
    worse = run(h)
    kinds = ["offer"] * len(ix.offers)
    saves = {}
    for scope in ("industry", "company"):
        out = deal_values(
            d, ix, m, worse.col_value, kinds, SimpleNamespace(alternatives_scope=scope)
        )
        row = out.set_index("offer").loc["st1"]
        assert row["status"] == "optimal" and row["scope"] == scope
        saves[scope] = float(row["saves"])
    assert saves["company"] <= saves["industry"] + 1e-6
    assert saves["company"] > 0


def test_a_ctrl_c_as_a_restricted_re_solve_ends_starts_no_exact_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os
    import signal

    from evfab import _plan_explain
    from evfab._highs import SolveStatus

    calls: list[str] = []
    real = _plan_explain._resolve

    def pressed(*args: object) -> object:
        res = real(*args)  # type: ignore[arg-type]
        calls.append(res.status.value)
        if res.status is SolveStatus.INFEASIBLE and len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C lands as it ends
        return res

    monkeypatch.setattr(_plan_explain, "_resolve", pressed)
    r = plan(crowd(1.0), PlanOptions(alternatives=True, alternatives_scope="company"))
    assert r.ok and calls == ["infeasible"]
    assert alt(r)["status"] == "not_priced" and pd.isna(alt(r)["scope"])
