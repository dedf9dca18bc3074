"""The production planner: choices, capacity values, budgets, exclusivity and infeasibility."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import evfab
from conftest import update_golden
from evfab import _plan_explain
from evfab._plan_deals import DEAL_COLUMNS
from evfab.plan import PlanOptions, PlanStatus, plan, plan_inputs

EVFAB = str(Path(sys.executable).parent / "evfab")


def _two_programs_one_plant(min_fill: float = 0.0, extra: str = "") -> str:
    """Two newcomers want 80k cars each from one host plant with 100k free: capacity binds."""
    return f"""\
name: crowded
as_of: 2030-01-01
horizon: 2030
discount_rate: 0.0
sources:
  - {{id: a, status: assumption, note: test}}
policy:
  - {{since: 2020-01-01, contract_manufacturing: true, sources: [a]}}
companies:
  - {{id: host, name: Host, kind: automaker}}
  - {{id: n1, name: N1, kind: newcomer}}
  - {{id: n2, name: N2, kind: newcomer}}
licences:
  - {{id: host-bev, holder: host, status: held, sources: [a]}}
plants:
  - id: hp
    name: Host plant
    operator: host
    status: operating
    opened: 2020-01
    phases: [{{capacity: 100000, ready: 2020-01}}]
programs:
  - {{id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {{2030: 80000}}, badge: any, lost_margin: 30000, min_fill: {min_fill}}}
  - {{id: g2, company: n2, name: G2, target_sop: 2030-01, demand: {{2030: 80000}}, badge: any, lost_margin: 20000, min_fill: {min_fill}}}
offers:
  - {{id: cm1, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 5000, lead_months: 0, sources: [a]}}
  - {{id: cm2, kind: contract_manufacturing, to: n2, host: host, plant: hp, fee_per_unit: 5000, lead_months: 0, sources: [a]}}
{extra}"""


def test_xiaomi_plan_is_pinned(xiaomi: evfab.Scenario) -> None:
    r = plan(evfab.compile(xiaomi))
    assert r.status is PlanStatus.OPTIMAL
    chosen = dict(zip(r.choices["program"], r.choices["route"], strict=True))
    assert chosen == {
        "xiaomi-ev": "applied:xiaomi-bev@own:yizhuang",
        "nio-jac-line": "partner:nio-jac@partner:jac-hefei",
    }
    nio = r.choices.set_index("program").loc["nio-jac-line"]
    assert nio["manufacturer"] == "JAC"
    assert "JAC badge waived" in nio["badge"]
    assert r.unmet.empty
    costs = r.costs.set_index("category")
    assert costs.at["badge waivers", "undiscounted"] == pytest.approx(50e6)
    assert costs.at["total", "discounted"] == pytest.approx(r.objective, rel=1e-9)
    # Every alternative of Xiaomi is priced, and the umbrella over its own plant costs the
    # BAIC fee of 3,000 CNY on every car, discounted.
    alts = r.alternatives.set_index("route")
    assert set(alts.index) >= {
        "partner:baic-umbrella@own:yizhuang",
        "partner:bluepark-cobrand@partner:bjev-changzhou",
    }
    assert alts.at["partner:baic-umbrella@own:yizhuang", "delta"] == pytest.approx(
        sum(
            3000 * n / 1.08 ** (y - 2022)
            for y, n in {
                2024: 60000,
                2025: 150000,
                2026: 250000,
                2027: 300000,
                2028: 300000,
                2029: 300000,
                2030: 300000,
            }.items()
        ),
        rel=1e-6,
    )
    text = " ".join(r.explanations["xiaomi-ev"])
    assert "Xiaomi is manufacturer of record" in text
    assert "would cost" in text


def test_capacity_value_is_the_dual_of_the_binding_plant() -> None:
    s = evfab.loads(_two_programs_one_plant())
    r = plan(evfab.compile(s))
    assert r.status is PlanStatus.OPTIMAL
    # g1 (margin 30k) gets 80k, g2 (margin 20k) the remaining 20k: 60k cars short.
    prod = r.production.set_index("program")["cars"]
    assert prod["g1"] == pytest.approx(80000)
    assert prod["g2"] == pytest.approx(20000)
    value = r.capacity_values.set_index(["plant", "year"]).at[("hp", 2030), "value_per_car"]
    # One more car of capacity goes to g2: saves its lost margin minus the fee.
    assert value == pytest.approx(20000 - 5000)
    assert len(r.shortfalls) == 1
    assert "60,000 of 80,000 cars cannot be built" in r.shortfalls["explanation"].iloc[0]


def test_for_programs_narrows_the_tables_not_the_plan(xiaomi: evfab.Scenario) -> None:
    whole = plan(evfab.compile(xiaomi), PlanOptions(alternatives=True))
    nio = whole.for_programs(["nio-jac-line"])
    assert set(nio.choices["program"]) == {"nio-jac-line"}
    assert set(nio.production["program"]) == {"nio-jac-line"}
    assert nio.production["cars"].sum() == 1_600_000
    assert set(nio.utilization["plant"]) == {"jac-hefei"}
    assert list(nio.offers["offer"]) == ["nio-jac"]
    assert set(nio.alternatives["program"]) <= {"nio-jac-line"}
    assert list(nio.explanations) == ["nio-jac-line"]
    # The plan is the industry's: its cost and capacity values are unchanged.
    assert nio.objective == whole.objective
    assert nio.costs.equals(whole.costs)
    assert nio.capacity_values.equals(whole.capacity_values)
    # Both halves give back the whole.
    xiaomi_ev = whole.for_programs(["xiaomi-ev"])
    assert len(nio.choices) + len(xiaomi_ev.choices) == len(whole.choices)
    assert len(nio.production) + len(xiaomi_ev.production) == len(whole.production)
    assert whole.for_programs([]).choices.empty
    # Deals are narrowed to those offered to the programs' companies.
    assert whole.program_company == {"xiaomi-ev": "xiaomi", "nio-jac-line": "nio"}
    assert set(whole.deal_values["to"]) == {"xiaomi"}
    assert nio.deal_values.empty and list(nio.deal_values.columns) == DEAL_COLUMNS
    assert xiaomi_ev.deal_values.equals(whole.deal_values)
    assert nio.program_company == {"nio-jac-line": "nio"}


def test_for_programs_of_an_infeasible_plan_keeps_its_shortfalls() -> None:
    r = plan(evfab.compile(evfab.loads(_two_programs_one_plant(min_fill=0.9))))
    assert r.status is PlanStatus.INFEASIBLE
    programs = sorted(set(r.shortfalls["program"]))
    one = r.for_programs(programs[:1])
    assert set(one.shortfalls["program"]) == set(programs[:1])
    assert one.choices.empty and one.status is PlanStatus.INFEASIBLE


def test_infeasible_min_fill_is_explained() -> None:
    s = evfab.loads(_two_programs_one_plant(min_fill=0.9))
    r = plan(evfab.compile(s))
    assert r.status is PlanStatus.INFEASIBLE
    assert not r.ok
    text = " ".join(r.shortfalls["explanation"])
    assert "2030" in text
    assert "must build at least 90%" in text


def test_infeasible_when_contract_manufacturing_is_banned(write_scenario) -> None:  # type: ignore[no-untyped-def]
    text = _two_programs_one_plant(min_fill=0.5).replace(
        "contract_manufacturing: true", "contract_manufacturing: false"
    )
    path = write_scenario(text)
    out = subprocess.run([EVFAB, "plan", str(path)], capture_output=True, text=True)
    assert out.returncode == 3, out.stderr
    assert "Traceback" not in out.stderr
    assert "cannot be built" in out.stderr
    assert "contract manufacturing is not allowed" in out.stderr


def test_production_stops_when_the_contract_ends(write_scenario, minimal_text) -> None:  # type: ignore[no-untyped-def]
    # The only route's contract ends on 2024-03-01: 60 of 2024's 366 days are left.
    text = minimal_text.replace("    lead_months: 6\n", "    lead_months: 6\n    until: 2024-03\n")
    text = text.replace("lost_margin: 50", "lost_margin: 5000")  # building pays
    r = plan(evfab.compile(evfab.loads(text)))
    assert r.ok
    cars = {
        int(y): float(c) for y, c in zip(r.production["year"], r.production["cars"], strict=True)
    }
    assert cars == {2023: 10000.0, 2024: float(round(100000 * 60 / 366))}
    # With a minimum fill the plan is infeasible, and the explanation says why.
    path = write_scenario(text.replace("lost_margin: 5000", "lost_margin: 5000\n    min_fill: 0.9"))
    out = subprocess.run([EVFAB, "plan", str(path)], capture_output=True, text=True)
    assert out.returncode == 3, out.stderr
    # 60 of 2024's 366 days before the contract ends: 16,393 cars built, 33,607 not, of
    # which 28,607 below the 90 % minimum (45,000).
    assert "in 2024: 33,607 of 50,000 cars cannot be built, 28,607 below the minimum" in out.stderr
    assert "whose agreement with OldCo ends on 2024-03-01; a renewal would help" in out.stderr


def test_infeasible_when_budget_blocks_the_only_offer(write_scenario) -> None:  # type: ignore[no-untyped-def]
    text = _two_programs_one_plant(min_fill=0.5)
    text = text.replace(
        "{id: n1, name: N1, kind: newcomer}",
        "{id: n1, name: N1, kind: newcomer, capital_budget: 1000000}",
    )
    text = text.replace(
        "host: host, plant: hp, fee_per_unit: 5000, lead_months: 0, sources: [a]}\n  - {id: cm2",
        "host: host, plant: hp, fee_per_unit: 5000, fixed_fee: 2000000, lead_months: 0, sources: [a]}\n  - {id: cm2",
    )
    path = write_scenario(text)
    out = subprocess.run([EVFAB, "plan", str(path)], capture_output=True, text=True)
    assert out.returncode == 3, out.stderr
    assert "G1 (g1, N1) in 2030" in out.stderr


def test_budget_and_exclusive_offers_are_respected() -> None:
    extra = "  - {id: cm1b, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 1000, fixed_fee: 5000000, excludes: [cm1], lead_months: 0, sources: [a]}\n"
    s = evfab.loads(_two_programs_one_plant(extra=extra))
    r = plan(evfab.compile(s))
    taken = set(r.offers["offer"])
    assert not {"cm1", "cm1b"} <= taken
    assert "cm1b" in taken  # 4,000 cheaper per car on 80k cars beats the 5m fee
    budget = _two_programs_one_plant(extra=extra).replace(
        "{id: n1, name: N1, kind: newcomer}",
        "{id: n1, name: N1, kind: newcomer, capital_budget: 1000000}",
    )
    r2 = plan(evfab.compile(evfab.loads(budget)))
    assert "cm1b" not in set(r2.offers["offer"])


def test_single_source_uses_one_route() -> None:
    extra = "  - {id: cm1b, kind: contract_manufacturing, to: n1, host: host, plant: hp2, fee_per_unit: 5000, lead_months: 0, sources: [a]}\n"
    text = _two_programs_one_plant(extra=extra).replace(
        "programs:",
        "  - id: hp2\n    name: Host plant 2\n    operator: host\n    status: operating\n    opened: 2020-01\n"
        "    phases: [{capacity: 50000, ready: 2020-01}]\nprograms:",
    )
    r = plan(evfab.compile(evfab.loads(text)))
    assert r.production[r.production["program"] == "g1"]["route"].nunique() >= 1
    single = text.replace(
        "lost_margin: 30000, min_fill: 0.0",
        "lost_margin: 30000, min_fill: 0.0, single_source: true",
    )
    r2 = plan(evfab.compile(evfab.loads(single)))
    assert r2.production[r2.production["program"] == "g1"]["route"].nunique() == 1


def test_time_limit_gives_a_typed_status(xiaomi: evfab.Scenario) -> None:
    r = plan(evfab.compile(xiaomi), PlanOptions(time_limit=30, gap=1e-4, alternatives=False))
    assert r.status in (PlanStatus.OPTIMAL, PlanStatus.TIME_LIMIT)
    assert r.alternatives.empty


def test_on_step_says_what_the_planner_does_after_the_solve(xiaomi: evfab.Scenario) -> None:
    steps: list[str] = []
    r = plan(evfab.compile(xiaomi), PlanOptions(on_step=steps.append))
    n = len(r.alternatives)
    assert n > 1 and steps[0].startswith("capacity values")
    k = len(r.deal_values)  # then the deals the plan does not take
    assert k >= 1
    assert steps[1:] == [f"pricing alternative {i} of {n}" for i in range(1, n + 1)] + [
        f"pricing deal not taken {i} of {k}" for i in range(1, k + 1)
    ]
    steps.clear()
    plan(
        evfab.compile(xiaomi),
        PlanOptions(capacity_values=False, alternatives=False, on_step=steps.append),
    )
    assert steps == []


def _press_ctrl_c_at(text: str) -> Callable[[str], None]:
    """An on_step function that sends SIGINT to this process when ``text`` is reported."""

    def step(what: str) -> None:
        if what == text:
            os.kill(os.getpid(), signal.SIGINT)

    return step


def test_ctrl_c_between_two_alternatives_stops_the_pricing_not_the_plan(
    xiaomi: evfab.Scenario,
) -> None:
    w = evfab.compile(xiaomi)
    full = plan(w, PlanOptions(alternatives=True))
    n = len(full.alternatives)
    r = plan(
        w, PlanOptions(alternatives=True, on_step=_press_ctrl_c_at(f"pricing alternative 3 of {n}"))
    )
    assert r.status is PlanStatus.OPTIMAL and r.objective == full.objective
    status = list(r.alternatives["status"])
    assert status[:2] == list(full.alternatives["status"][:2])
    assert status[2:] == ["not_priced"] * (n - 2)
    assert r.alternatives["cost"][2:].isna().all()
    lines = [x for v in r.explanations.values() for x in v]
    assert any("was not priced (the pricing was stopped)" in x for x in lines)


def _press_ctrl_c_in_re_solve(monkeypatch: pytest.MonkeyPatch, k: int, found: bool = False) -> None:
    """Ctrl-C from inside HiGHS's first callback of the ``k``-th alternative's re-solve
    (the first once it has found a plan, if ``found``)."""
    real, runs = _plan_explain.run, [0]

    def run(*args: Any) -> Any:
        runs[0] += 1
        h, limit, gap, watch = args
        sent: list[bool] = []

        def press(p: Any) -> bool:
            if runs[0] == k and not sent and (not found or p.objective < float("inf")):
                sent.append(True)
                os.kill(os.getpid(), signal.SIGINT)
            return bool(watch(p))

        return real(h, limit, gap, press)

    monkeypatch.setattr(_plan_explain, "run", run)


def test_ctrl_c_during_a_re_solve_stops_it_with_its_best_plan(
    slow_to_prove: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pressed once HiGHS has a plan, the press stops it at its next check. The route
    # stopped is the first one the plan does not use (so that its price is explained).
    w = evfab.compile(evfab.loads(slow_to_prove))
    base = plan(w, PlanOptions(capacity_values=False, alternatives=False))
    used = set(zip(base.choices["program"], base.choices["route"], strict=True))
    d, ix = plan_inputs(w, evfab.route_table(w))
    pairs = list(zip([ix.programs[g] for g in d.route_program], ix.routes.ids, strict=True))
    k = next(i for i, p in enumerate(pairs) if p not in used)
    _press_ctrl_c_in_re_solve(monkeypatch, k + 1, found=True)
    r = plan(w, PlanOptions(capacity_values=False, alternatives=True))
    assert r.status is PlanStatus.OPTIMAL and r.objective == base.objective
    status = list(r.alternatives["status"])
    assert status[:k] == ["optimal"] * k and status[k] == "time_limit"
    assert status[k + 1 :] == ["not_priced"] * (len(status) - k - 1)
    program, route = pairs[k]
    assert any("re-solve stopped before proving" in x for x in r.explanations[program]), route


def test_a_second_ctrl_c_during_pricing_aborts(
    slow_to_prove: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two presses from another thread while a re-solve runs: the plan is abandoned with
    KeyboardInterrupt (wherever the presses land), and Python's handler is back after."""
    from evfab._solve_watch import Presses

    w = evfab.compile(evfab.loads(slow_to_prove))
    real, runs = _plan_explain.run, [0]
    on_sigint = Presses._on_sigint

    def press_again(self: Presses, *args: Any) -> None:
        # The first press, once counted, is followed by a second at once (signals pending
        # together are handled once, so it is sent only after the first is counted).
        on_sigint(self, *args)
        if self.count == 1:
            os.kill(os.getpid(), signal.SIGINT)

    def run(*args: Any) -> Any:
        runs[0] += 1
        if runs[0] == 2:  # the first press from another thread, while HiGHS runs
            threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
        return real(*args)

    monkeypatch.setattr(Presses, "_on_sigint", press_again)
    monkeypatch.setattr(_plan_explain, "run", run)
    with pytest.raises(KeyboardInterrupt):
        plan(w, PlanOptions(capacity_values=False, alternatives=True))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_while_capacity_values_are_worked_out_keeps_the_plan(
    xiaomi: evfab.Scenario,
) -> None:
    w = evfab.compile(xiaomi)
    full = plan(w, PlanOptions(alternatives=True))
    step = _press_ctrl_c_at("capacity values (the LP with the plan's choices fixed)")
    r = plan(w, PlanOptions(alternatives=True, on_step=step))
    assert r.objective == full.objective and len(r.capacity_values) == len(full.capacity_values)
    assert set(r.alternatives["status"]) == {"not_priced"}
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_after_a_re_solves_last_callback_still_stops_the_pricing(
    xiaomi: evfab.Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    # xiaomi's re-solves call back once, with their (last) plan: the press is seen only
    # once HiGHS has returned, and must still stop the pricing.
    _press_ctrl_c_in_re_solve(monkeypatch, 3)
    r = plan(evfab.compile(xiaomi), PlanOptions(alternatives=True))
    status = list(r.alternatives["status"])
    assert status[:3] == ["optimal"] * 3 and status[3:] == ["not_priced"] * (len(status) - 3)


def test_cli_plan_writes_outputs(tmp_path: Path) -> None:
    out = subprocess.run(
        [EVFAB, "plan", "xiaomi-2022", "--out", str(tmp_path / "o")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    names = {p.name for p in (tmp_path / "o").iterdir()}
    assert {
        "choices.csv",
        "production.csv",
        "utilization.csv",
        "costs.csv",
        "capacity_values.csv",
        "timeline.png",
        "utilization.png",
        "plan.json",
    } <= names
    assert not any(n.endswith(".tmp") for n in names)
    assert "Chosen routes" in out.stdout


def _build_with_modules(max_modules: int = 4, module_fee: float = 4e8) -> str:
    return f"""\
name: modules
as_of: 2030-01-01
horizon: 2033
discount_rate: 0.0
sources:
  - {{id: a, status: assumption, note: test}}
policy:
  - {{since: 2020-01-01, review_months: 0, sources: [a]}}
companies:
  - {{id: n1, name: N1, kind: newcomer}}
licences:
  - {{id: n1-bev, holder: n1, status: held, sources: [a]}}
plants:
  - id: np
    name: New plant
    operator: n1
    status: planned
    phases: [{{capacity: 100000, months: 12}}]
programs:
  - {{id: g1, company: n1, name: G1, target_sop: 2031-01, demand: {{2031: 260000, 2032: 260000, 2033: 260000}}, badge: own, lost_margin: 10000}}
offers:
  - {{id: build, kind: build_plant, to: n1, plant: np, fixed_fee: 1000000000, lead_months: 0, module_capacity: 50000, max_modules: {max_modules}, module_fee: {module_fee:.0f}, sources: [a]}}
"""


def test_build_offer_sizes_its_modules() -> None:
    r = plan(evfab.compile(evfab.loads(_build_with_modules())))
    assert r.status is PlanStatus.OPTIMAL
    offers = r.offers.set_index("offer")
    # 100k + 3 x 50k = 250k of the 260k wanted: a 4th module (4e8) would save only
    # 10k cars x 10,000 x 3 years = 3e8 of lost margin.
    assert offers.at["build", "modules"] == 3
    assert offers.at["build", "fixed_fee"] == pytest.approx(1e9 + 3 * 4e8)
    assert r.production.groupby("year")["cars"].sum().to_dict() == {
        2031: 250000,
        2032: 250000,
        2033: 250000,
    }
    capex = r.costs.set_index("category").at["one-off fees, prices and capex", "undiscounted"]
    assert capex == pytest.approx(2.2e9)
    # Cheap modules: take all four and meet demand in full.
    r2 = plan(evfab.compile(evfab.loads(_build_with_modules(module_fee=1e6))))
    assert r2.offers.set_index("offer").at["build", "modules"] == 4
    assert r2.unmet.empty


def test_modules_need_capacity_and_count() -> None:
    text = _build_with_modules().replace("module_capacity: 50000, ", "")
    with pytest.raises(evfab.ScenarioError, match="modules need both"):
        evfab.loads(text)


# N1 applies for a licence and builds a 60,000/year plant, ready 2031; it wants 70,000 cars a
# year. Under a 100,000/year minimum for a new licence the plant needs 2 of its 20,000-car
# modules (100m each); without the minimum it would build 1 (10,000 cars short a year x
# 3 years x 10,000 lost margin = 300m, three times a module).
_MIN_MODULES = """\
name: min-modules
as_of: 2030-01-01
horizon: 2033
discount_rate: 0.0
sources:
  - {id: a, status: assumption, note: test}
policy:
  - {since: 2020-01-01, new_licences: true, review_months: 0, min_capacity: 100000, sources: [a]}
companies:
  - {id: n1, name: N1, kind: newcomer}
plants:
  - {id: np, name: New plant, operator: n1, status: planned, phases: [{capacity: 60000, months: 12}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2031-01, demand: {2031: 70000, 2032: 70000, 2033: 70000}, badge: own, lost_margin: 10000}
offers:
  - {id: apply, kind: apply_licence, to: n1, fixed_fee: 0, lead_months: 0, sources: [a]}
  - {id: build, kind: build_plant, to: n1, plant: np, fixed_fee: 1000000000, lead_months: 0, module_capacity: 20000, max_modules: 3, module_fee: 100000000, sources: [a]}
"""
# The same plant under a licence applied for before as_of: the route needs one offer (the
# build), and still its own switch, or every use of the plant would need the modules.
_MIN_MODULES_PENDING = _MIN_MODULES.replace(
    "  - {id: apply, kind: apply_licence, to: n1, fixed_fee: 0, lead_months: 0, sources: [a]}\n",
    "",
).replace(
    "plants:\n",
    "licences:\n  - {id: n1-bev, holder: n1, status: applied, applied_on: 2029-06, sources: [a]}\n"
    "plants:\n",
)


@pytest.mark.parametrize("text", [_MIN_MODULES, _MIN_MODULES_PENDING], ids=["apply", "pending"])
def test_a_new_licences_minimum_capacity_is_built_in_modules(text: str) -> None:
    r = plan(evfab.compile(evfab.loads(text)))
    assert r.status is PlanStatus.OPTIMAL
    assert r.offers.set_index("offer").at["build", "modules"] == 2
    assert r.objective == pytest.approx(1.2e9)
    assert r.unmet.empty
    # The plant's capacity is the minimum: 70 % used.
    assert r.utilization["utilization"].tolist() == pytest.approx([0.7] * 3)
    assert r.explanations["g1"][1] == (
        "Plant np reaches the minimum capacity for a new licence only with 2 extra modules of "
        "offer build (+40,000/year, 200m CNY); the plan builds them."
    )
    # A demand above the minimum's: the plan builds more, and says how many.
    more = plan(evfab.compile(evfab.loads(text.replace(": 70000", ": 110000"))))
    assert more.explanations["g1"][1].endswith("the plan builds 3 (+60,000/year, 300m CNY).")
    # Without the minimum the plant needs only the module its demand pays for.
    free = plan(evfab.compile(evfab.loads(text.replace("min_capacity: 100000", "min_capacity: 0"))))
    assert free.offers.set_index("offer").at["build", "modules"] == 1
    assert free.objective == pytest.approx(1.1e9)
    # The module the plan builds is said, as its capex is in the cost.
    assert free.explanations["g1"][1] == (
        "The plan builds 1 extra module of offer build at plant np (+20,000/year, 100m CNY)."
    )


def test_a_plant_the_modules_cannot_lift_to_the_minimum_builds_nothing() -> None:
    r = plan(evfab.compile(evfab.loads(_MIN_MODULES.replace("max_modules: 3", "max_modules: 1"))))
    assert r.status is PlanStatus.OPTIMAL
    assert r.production.empty
    assert r.unmet["cars"].sum() == 210000


def test_exclusion_declared_on_either_offer_binds() -> None:
    """An exclusion written only on the offer whose id sorts last must still bind.

    Two cheap contracts at two small plants: without the exclusion N1 would take both.
    """
    extra = (
        "  - {id: a-cheap, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 1000, "
        "lead_months: 0, sources: [a]}\n"
        "  - {id: z-cheap, kind: contract_manufacturing, to: n1, host: host, plant: hp2, fee_per_unit: 1000, "
        "lead_months: 0, excludes: [a-cheap], sources: [a]}\n"
    )
    text = _two_programs_one_plant(extra=extra).replace(
        "programs:",
        "  - id: hp2\n    name: Host plant 2\n    operator: host\n    status: operating\n    opened: 2020-01\n"
        "    phases: [{capacity: 50000, ready: 2020-01}]\nprograms:",
    )
    r = plan(evfab.compile(evfab.loads(text)))
    taken = set(r.offers["offer"])
    assert taken & {"a-cheap", "z-cheap"}
    assert not {"a-cheap", "z-cheap"} <= taken
    without = plan(evfab.compile(evfab.loads(text.replace(", excludes: [a-cheap]", ""))))
    assert {"a-cheap", "z-cheap"} <= set(without.offers["offer"])


OWN_ONLY = """
name: own-only
as_of: 2030-01-01
horizon: 2032
sources: [{id: a, status: assumption, note: test}]
policy: [{since: 2020-01-01, sources: [a]}]
companies: [{id: c1, name: C1, kind: automaker}]
licences: [{id: c1-bev, holder: c1, status: held, sources: [a]}]
plants:
  - {id: p1, name: P1, operator: c1, status: operating, unit_cost: 1000, sources: [a],
     phases: [{capacity: 100000, ready: 2020-01-01}]}
programs:
  - {id: g1, company: c1, name: G1, target_sop: 2030-01, badge: own, lost_margin: 10000,
     demand: {2030: 50000, 2031: 50000}, sources: [a]}
"""


def test_a_world_without_offers_plans_on_own_plants() -> None:
    """No deals on the table: every route is an own licence on an own plant."""
    result = plan(evfab.compile(evfab.loads(OWN_ONLY)))
    assert result.status is PlanStatus.OPTIMAL
    assert list(result.choices["route"]) == ["own:c1-bev@own:p1"]
    assert result.offers.empty
    assert result.production["cars"].sum() == pytest.approx(100_000)


def test_nothing_chosen_gives_empty_text_tables() -> None:
    """Empty choices and offers keep object columns (string methods still work)."""
    result = plan(evfab.compile(evfab.loads(OWN_ONLY.replace("50000", "0"))))
    assert result.ok and result.choices.empty and result.offers.empty
    assert all(str(t) == "object" for t in result.choices.dtypes)
    assert all(str(t) == "object" for t in result.offers.dtypes)
    assert str(result.production["route"].dtype) == "object"
    assert list(result.choices["route"].str.upper()) == []


@given(st.lists(st.integers(min_value=-5, max_value=40), max_size=60))
def test_first_seen_is_distinct_values_in_order_of_first_appearance(values: list[int]) -> None:
    from evfab._plan_inputs import _first_seen

    got = _first_seen(np.array(values, np.int64))
    assert got.dtype == np.int64
    assert got.tolist() == list(dict.fromkeys(values))


def test_progress_reaches_the_caller_and_a_stop_before_any_plan_is_interrupted(
    slow_to_prove: str,
) -> None:
    import signal

    from evfab.plan import Progress

    world = evfab.compile(evfab.loads(slow_to_prove))
    seen: list[Progress] = []

    def stop_at_once(p: Progress) -> bool:
        seen.append(p)
        return True

    r = plan(world, PlanOptions(capacity_values=False, alternatives=False, progress=stop_at_once))
    assert r.status is PlanStatus.INTERRUPTED
    assert not r.ok
    assert seen and len(r.choices) == 0 and len(r.production) == 0

    def broken(p: Progress) -> bool:
        raise LookupError("from progress")

    with pytest.raises(LookupError, match="from progress"):
        plan(world, PlanOptions(capacity_values=False, alternatives=False, progress=broken))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_solve_stopped_on_request_leaves_the_alternatives_unpriced(slow_to_prove: str) -> None:
    from evfab.plan import Progress

    world = evfab.compile(evfab.loads(slow_to_prove))
    steps: list[str] = []

    def stop_with_a_plan(p: Progress) -> bool:
        return p.objective < float("inf")

    r = plan(
        world,
        PlanOptions(
            capacity_values=False,
            alternatives=True,
            progress=stop_with_a_plan,
            on_step=steps.append,
        ),
    )
    assert r.status is PlanStatus.TIME_LIMIT and r.ok
    assert len(r.alternatives) == sum(x.usable for x in evfab.derive_routes(world))
    assert set(r.alternatives["status"]) == {"not_priced"} and r.alternatives["cost"].isna().all()
    assert not any(s.startswith("pricing") for s in steps)


GOLDEN_PLAN = Path(__file__).parent / "golden" / "xiaomi-2022-plan.json"


def _rounded(x: object) -> object:
    if isinstance(x, float):
        return round(x, 6)
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    return x


def test_golden_xiaomi_2022_plan(xiaomi: evfab.Scenario) -> None:
    """Every table of the xiaomi-2022 plan (as `evfab plan --json` gives it), pinned.

    A deliberate change to the planner or the scenario changes it: review the diff, then
    regenerate with ``EVFAB_UPDATE_GOLDEN=1 pytest tests/test_plan.py -k golden``.
    """
    import json

    from evfab import _io
    from evfab._report_plan import plan_json

    got = json.loads(_io.dumps(plan_json(plan(evfab.compile(xiaomi)))))
    del got["timings"]
    got = _rounded(got)
    update_golden(GOLDEN_PLAN, json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    want = json.loads(GOLDEN_PLAN.read_text("utf-8"))
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == want[key], key


def test_an_optimum_within_a_wide_gap_says_so(xiaomi: evfab.Scenario) -> None:
    import dataclasses
    import io

    from rich.console import Console

    from evfab._report_plan import print_plan

    w = evfab.compile(xiaomi)
    r = dataclasses.replace(plan(w, PlanOptions(alternatives=False)), gap=0.25)
    console = Console(file=io.StringIO(), width=200)
    print_plan(console, w, r)
    head = console.file.getvalue().splitlines()[0]  # type: ignore[attr-defined]
    assert "optimal, discounted total cost" in head
    assert "(within the requested gap; gap 25.00%, bound" in head


def test_a_halt_limited_to_bev_makers_delays_only_the_bev_program() -> None:
    # Both makers apply 3 months after as_of (2016-01) for a 12-month review: the EREV
    # licence comes 2017-04; the BEV one waits for the end of the BEV-only halt, 2019-01.
    w = evfab.compile(evfab.load(Path(__file__).parent / "data" / "scoped-halt.yaml"))
    r = plan(w, PlanOptions(alternatives=False))
    first = dict(zip(r.choices["program"], r.choices["first_year"], strict=True))
    assert first == {"bev": 2019, "erev": 2017}
    unmet = r.unmet.groupby("program")["cars"].sum().to_dict()
    # EREV: 2017 from April (275 of 365 days of 100,000 cars cover its 50,000).
    assert unmet == {"bev": 100000}
    from evfab.risk import RiskOptions, sample_routes

    routes = [x for x in evfab.derive_routes(w) if x.usable]
    odds = sample_routes(w, routes, RiskOptions(samples=1000, seed=0)).summary
    on_time = dict(zip(odds["program"], odds["p_on_target"], strict=True))
    assert on_time == {"bev": 0.0, "erev": 1.0}


def test_alternatives_for_prices_one_programs_routes_only() -> None:
    """At industry scale each price is a re-solve of the whole plan: one program's, not all."""
    from evfab.generate import generate

    world = evfab.compile(evfab.Scenario.model_validate(generate(programs=30, plants=12, seed=2)))
    base = plan(world, PlanOptions(capacity_values=False))
    assert base.alternatives.empty  # more than 60 usable routes: none priced by default
    g = str(base.choices["program"].iloc[0])
    r = plan(world, PlanOptions(capacity_values=False, alternatives=True, alternatives_for=(g,)))
    assert set(r.alternatives["program"]) == {g}
    assert len(r.alternatives) == sum(
        1 for x in evfab.route_table(world) if x.program == g and x.usable
    )
    assert set(r.alternatives["status"]) <= {"optimal", "infeasible"}
    said = " ".join(r.explanations[g])
    assert "Using only" in said
    assert not any(
        "Using only" in line for h, lines in r.explanations.items() if h != g for line in lines
    )
    assert r.objective == pytest.approx(base.objective, rel=1e-9)


def test_the_route_a_program_takes_is_priced_by_the_plan_without_a_re_solve(
    monkeypatch: pytest.MonkeyPatch, xiaomi: evfab.Scenario
) -> None:
    from evfab import _plan_explain

    runs: list[object] = []
    real = _plan_explain.run

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(_plan_explain, "run", counted)
    r = plan(evfab.compile(xiaomi), PlanOptions(alternatives=True, capacity_values=False))
    alts = r.alternatives.set_index("route")
    chosen = set(r.choices["route"])
    assert len(chosen) == 2 and chosen <= set(alts.index)
    for route in chosen:  # the plan's own routes: its cost, no delta, its cars
        assert alts.at[route, "cost"] == r.objective and alts.at[route, "delta"] == 0
        assert alts.at[route, "status"] == "optimal"
    # One re-solve for each of the other routes only.
    assert len(runs) == len(alts) - len(chosen)
