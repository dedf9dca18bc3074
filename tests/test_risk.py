"""Tests of the risk engine (:func:`evfab.risk.sample_routes`) against known answers.

Small scenarios are built from ``MINIMAL`` (as of 2022-01-01, horizon 2026; NewCo's program
``newcar``; OldCo's 100,000/year plant with 20,000 of its own cars in 2022; a contract-
manufacturing offer ``cm``, 6 months' lead, so its SOP is 2022-07-03 = day 183). A month is
365.25 / 12 days; a path's date is its base plus the sum of its durations rounded to a day.

Statistical checks use a fixed seed and a tolerance of 4 standard errors (computed from the
known distribution, or from the samples themselves), so they cannot flake but do catch a
wrong mean, spread or probability.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import itertools
import json
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner, Result

import evfab
from conftest import MINIMAL
from evfab.cli import app
from evfab.risk import RiskOptions, RiskResult, sample_routes, triangular
from evfab.rules import DENIED_PRIOR, Route

D = dt.date
DPM = 365.25 / 12
AS_OF = dt.date(2022, 1, 1)
CM = "partner:cm@partner:old-plant"
BUY = "acquired:buy@acquired:dorm-plant"
ROOT = Path(__file__).resolve().parents[1]


# --- helpers -------------------------------------------------------------------------


def doc() -> dict[str, Any]:
    d: dict[str, Any] = yaml.safe_load(MINIMAL)
    return d


def world_of(d: dict[str, Any]) -> evfab.World:
    return evfab.compile(evfab.loads(yaml.safe_dump(d, sort_keys=False)))


def sample(
    d: dict[str, Any] | evfab.World, only: list[str] | None = None, **opts: Any
) -> tuple[dict[str, Route], RiskResult]:
    """Routes by id and the risk result for the routes in ``only`` (default: all)."""
    w = d if isinstance(d, evfab.World) else world_of(d)
    routes = evfab.derive_routes(w)
    picked = [r for r in routes if only is None or r.id in only]
    return {r.id: r for r in routes}, sample_routes(w, picked, RiskOptions(**opts))


def summary(res: RiskResult) -> dict[str, dict[str, Any]]:
    return {
        str(r["route"]): {str(k): v for k, v in r.items()} for r in res.summary.to_dict("records")
    }


def volumes(res: RiskResult, route: str) -> dict[str, dict[int, float]]:
    """A route's volume table as column -> year -> value."""
    sub = res.volumes[res.volumes["route"] == route]
    return {
        str(c): {int(y): float(v) for y, v in zip(sub["year"], sub[c], strict=True)}
        for c in sub.columns
        if c not in ("program", "route", "year")
    }


def se_p(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n)


def tri_mean(a: float, c: float, b: float) -> float:
    return (a + b + c) / 3


def tri_var(a: float, c: float, b: float) -> float:
    return (a * a + b * b + c * c - a * b - a * c - b * c) / 18


def tri_cdf(x: float, a: float, c: float, b: float) -> float:
    if x <= a:
        return 0.0
    if x >= b:
        return 1.0
    if x <= c:
        return (x - a) ** 2 / ((b - a) * (c - a))
    return 1 - (b - x) ** 2 / ((b - a) * (b - c))


def dormant_target(d: dict[str, Any], lead: Any, **buy: Any) -> dict[str, Any]:
    """A licensed company DormCo (50,000/year plant) that NewCo may buy."""
    d["companies"].append({"id": "dormco", "name": "DormCo", "kind": "automaker"})
    d["licences"].append(
        {"id": "dorm-bev", "holder": "dormco", "status": "held", "sources": ["s1"]}
    )
    d["plants"].append(
        {
            "id": "dorm-plant",
            "name": "Dorm plant",
            "operator": "dormco",
            "status": "idle",
            "phases": [{"capacity": 50000, "ready": "2010-01"}],
        }
    )
    buy.setdefault("closing_months", 0)
    buy.setdefault("transfer_months", 0)
    d["offers"].append(
        {
            "id": "buy",
            "kind": "acquire_company",
            "to": "newco",
            "target": "dormco",
            "lead_months": lead,
        }
        | buy
    )
    return d


def own_plant(d: dict[str, Any]) -> dict[str, Any]:
    d["plants"].append(
        {
            "id": "np",
            "name": "NewCo plant",
            "operator": "newco",
            "status": "operating",
            "phases": [{"capacity": 150000, "ready": "2015-01"}],
        }
    )
    return d


def modes(x: Any) -> Any:
    """Every {min, mode, max} distribution replaced by its mode."""
    if isinstance(x, dict):
        if set(x) == {"min", "mode", "max"}:
            return x["mode"]
        return {k: modes(v) for k, v in x.items()}
    if isinstance(x, list):
        return [modes(v) for v in x]
    return x


def certain(x: Any) -> Any:
    """Every stated success or approval probability set to 1."""
    if isinstance(x, dict):
        # A policy period's sources_by_rule is keyed by rule names: its values are ids.
        out = {k: v if k == "sources_by_rule" else certain(v) for k, v in x.items()}
        for k in ("success_probability", "approval_probability"):
            if k in out:
                out[k] = 1.0
        return out
    if isinstance(x, list):
        return [certain(v) for v in x]
    return x


@functools.cache
def _bench() -> ModuleType:
    """benchmarks/risk_bench.py, which holds the per-sample reference loop."""
    spec = importlib.util.spec_from_file_location(
        "risk_bench", ROOT / "benchmarks" / "risk_bench.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["risk_bench"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


# --- triangular draws ----------------------------------------------------------------


@pytest.mark.parametrize("a,c,b", [(2, 3, 6), (0, 0, 5), (1, 4, 4), (9, 12, 20)])
def test_triangular_mean_and_variance(a: float, c: float, b: float) -> None:
    n = 1_000_000
    u = np.random.default_rng(0).random(n)
    x = triangular(u, np.array(float(a)), np.array(float(c)), np.array(float(b)))
    assert x.shape == (n,) and x.min() >= a and x.max() <= b
    mu, var = tri_mean(a, c, b), tri_var(a, c, b)
    assert abs(x.mean() - mu) < 4 * math.sqrt(var / n)
    # The sample variance's standard error: sqrt((mu4 - var^2) / n), mu4 = 2.4 var^2.
    assert abs(x.var() - var) < 4 * var * math.sqrt(1.4 / n)
    # The inverse CDF: the share below the mode is (c - a) / (b - a).
    share = (c - a) / (b - a)
    assert abs((x < c).mean() - share) < 4 * se_p(share, n) + 1e-12


def test_triangular_degenerate_and_vectorised() -> None:
    u = np.random.default_rng(1).random(1000).astype(np.float32)
    three = np.float32(3.0)
    assert (triangular(u, np.array(three), np.array(three), np.array(three)) == 3.0).all()
    # Per-row parameters, as the engine uses them: row 0 fixed, row 1 spread.
    lo = np.array([[2.0], [1.0]], np.float32)
    mode = np.array([[2.0], [2.0]], np.float32)
    hi = np.array([[2.0], [8.0]], np.float32)
    x = triangular(np.vstack([u, u]), lo, mode, hi)
    assert (x[0] == 2.0).all() and x[1].min() >= 1.0 and x[1].max() <= 8.0
    ends = triangular(np.array([0.0, 1.0]), np.array(1.0), np.array(2.0), np.array(8.0))
    assert ends.tolist() == [1.0, 8.0]


# --- known answers ---------------------------------------------------------------------


def test_deterministic_routes_start_with_probability_one_or_zero() -> None:
    routes, res = sample(doc(), samples=5000)
    row = summary(res)[CM]
    assert row["p_success"] == 1.0 and row["p_on_target"] == 1.0
    assert (
        row["sop_p10"]
        == row["sop_p50"]
        == row["sop_p90"]
        == routes[CM].earliest_sop
        == D(2022, 7, 3)
    )
    # Never: a deal that cannot succeed, or a lead that ends after the horizon (2026).
    for change in ({"success_probability": 0.0}, {"lead_months": 60}):
        d = doc()
        d["offers"][0].update(change)
        _, res = sample(d, samples=5000)
        row = summary(res)[CM]
        assert row["p_success"] == 0.0 and row["expected_cars"] == 0.0
        assert row["sop_p10"] is None and row["sop_p90"] is None


def test_sum_of_independent_durations_has_the_right_mean_and_spread() -> None:
    dists = [(2.0, 3.0, 6.0), (1.0, 2.0, 5.0), (1.0, 2.0, 8.0)]
    d = dormant_target(
        doc(),
        lead=dict(zip(("min", "mode", "max"), dists[0], strict=True)),
        closing_months=dict(zip(("min", "mode", "max"), dists[1], strict=True)),
        transfer_months=dict(zip(("min", "mode", "max"), dists[2], strict=True)),
    )
    w = world_of(d)
    # sop_samples keeps every sample up to 2,000; pool 80 fixed seeds for 160,000 draws.
    days = np.concatenate(
        [sample(w, [BUY], samples=2000, seed=s)[1].sop_samples[f"newcar/{BUY}"] for s in range(80)]
    )
    n = len(days)
    assert n == 80 * 2000 and np.isfinite(days).all()
    mu = DPM * sum(tri_mean(*x) for x in dists)
    variances = [DPM**2 * tri_var(*x) for x in dists]
    var = sum(variances) + 1 / 12  # + rounding to whole days
    # Fourth central moment of the sum: cumulants add; a triangular's kappa4 = -0.6 var^2.
    mu4 = sum(-0.6 * v * v for v in variances) + 3 * var * var
    assert abs(days.mean() - mu) < 4 * math.sqrt(var / n)
    assert abs(days.var() - var) < 4 * math.sqrt((mu4 - var * var) / n)


def test_approval_probability_gives_that_chance_of_starting() -> None:
    d = own_plant(doc())
    d["licences"].append(
        {
            "id": "newco-bev",
            "holder": "newco",
            "status": "applied",
            "applied_on": "2021-12",
            "review_months": 3,
            "approval_probability": 0.37,
        }
    )
    # An application offer needs two events: the deal (0.5) and the policy's approval (0.6).
    d["policy"][0]["approval_probability"] = 0.6
    d["offers"].append(
        {
            "id": "apply",
            "kind": "apply_licence",
            "to": "newco",
            "lead_months": 1,
            "review_months": 2,
            "success_probability": 0.5,
        }
    )
    n = 100_000
    routes, res = sample(d, samples=n)
    rows = summary(res)
    for rid, p in (("applied:newco-bev@own:np", 0.37), ("apply:apply@own:np", 0.3)):
        assert routes[rid].success_probability == pytest.approx(p)
        assert abs(rows[rid]["p_success"] - p) < 4 * se_p(p, n)


def _pending(d: dict[str, Any]) -> dict[str, Any]:
    """NewCo's application filed 2021-06-01, reviewed in 6/12/30 months, always granted."""
    d["licences"].append(
        {
            "id": "newco-bev",
            "holder": "newco",
            "status": "applied",
            "applied_on": "2021-06",
            "review_months": {"min": 6, "mode": 12, "max": 30},
            "approval_probability": 1.0,
        }
    )
    return own_plant(d)


APPLIED = "applied:newco-bev@own:np"


def test_a_halt_after_as_of_stops_the_reviews_that_end_inside_it() -> None:
    # A halt from 2023-01-01: a review ending on or after it (579 days after filing,
    # 19.02 months) is never granted; the nominal 12 months ends before it.
    d = _pending(doc())
    d["policy"].append({"since": "2023-01-01", "new_licences": False})
    n = 100_000
    routes, res = sample(d, [APPLIED], samples=n, seed=5)
    assert routes[APPLIED].legal and routes[APPLIED].earliest_sop == dt.date(2022, 6, 1)
    p = tri_cdf(578.5 / DPM, 6, 12, 30)  # rounded to whole days: 578.5 -> 578
    assert abs(summary(res)[APPLIED]["p_success"] - p) < 4 * se_p(p, n)
    days = res.sop_samples[f"newcar/{APPLIED}"]
    assert days[np.isfinite(days)].max() < (dt.date(2023, 1, 1) - AS_OF).days


def test_a_lifted_halt_delays_those_reviews_to_its_end() -> None:
    d = _pending(doc())
    d["policy"] += [
        {"since": "2023-01-01", "new_licences": False},
        {"since": "2024-01-01", "new_licences": True},
    ]
    n = 100_000
    _, res = sample(d, [APPLIED], samples=n, seed=5)
    days = res.sop_samples[f"newcar/{APPLIED}"]
    lift = (dt.date(2024, 1, 1) - AS_OF).days
    assert np.isfinite(days).all() and summary(res)[APPLIED]["p_success"] == 1.0
    assert not ((days >= (dt.date(2023, 1, 1) - AS_OF).days) & (days < lift)).any()
    late = 1 - tri_cdf(578.5 / DPM, 6, 12, 30)
    assert abs((days == lift).mean() - late) < 4 * se_p(late, len(days))


def test_a_licence_gets_the_approval_chance_in_force_when_it_is_granted() -> None:
    # Reviews ending before 2023-01-01 (578 days after filing) are approved at 0.9, later
    # ones at 0.2; the rules engine's chance is the one on the nominal date (2022-06-01).
    d = _pending(doc())
    del d["licences"][-1]["approval_probability"]
    d["policy"][0]["approval_probability"] = 0.9
    d["policy"].append({"since": "2023-01-01", "approval_probability": 0.2})
    n = 100_000
    routes, res = sample(d, [APPLIED], samples=n, seed=6)
    assert routes[APPLIED].success_probability == pytest.approx(0.9)
    # The review is drawn beyond the 214 days already passed on as_of.
    passed = tri_cdf((AS_OF - D(2021, 6, 1)).days / DPM, 6, 12, 30)
    early = (tri_cdf(578.5 / DPM, 6, 12, 30) - passed) / (1 - passed)
    p = 0.9 * early + 0.2 * (1 - early)
    assert abs(summary(res)[APPLIED]["p_success"] - p) < 4 * se_p(p, n)


def test_a_licence_granted_after_a_higher_minimum_capacity_is_refused() -> None:
    # From 2023-01-01 a new licence needs 200,000 cars a year; NewCo's plant has 150,000.
    # Reviews ending before then (578 days after filing) are granted, later ones are not.
    d = _pending(doc())
    d["policy"].append({"since": "2023-01-01", "min_capacity": 200_000})
    n = 100_000
    routes, res = sample(d, [APPLIED], samples=n, seed=8)
    assert routes[APPLIED].legal  # granted, at the modes, before the change
    passed = tri_cdf((AS_OF - D(2021, 6, 1)).days / DPM, 6, 12, 30)
    p = (tri_cdf(578.5 / DPM, 6, 12, 30) - passed) / (1 - passed)
    assert abs(summary(res)[APPLIED]["p_success"] - p) < 4 * se_p(p, n)
    days = res.sop_samples[f"newcar/{APPLIED}"]
    assert days[np.isfinite(days)].max() < (D(2023, 1, 1) - AS_OF).days


def test_modes_reproduce_the_rules_engine_on_routes_held_by_later_policy() -> None:
    # An application and a contract that wait for periods after as_of.
    d = own_plant(doc())
    d["policy"][0] |= {"new_licences": False, "contract_manufacturing": False}
    d["policy"].append(
        {"since": "2023-03-01", "new_licences": True, "contract_manufacturing": True}
    )
    d["offers"].append(
        {
            "id": "apply",
            "kind": "apply_licence",
            "to": "newco",
            "lead_months": 2,
            "review_months": {"min": 3, "mode": 4, "max": 9},
        }
    )
    routes, res = sample(certain(modes(d)), samples=200)
    assert {r.earliest_sop for r in routes.values()} == {dt.date(2023, 3, 1)}
    for rid, r in routes.items():
        assert r.legal and "held until" in r.sop_driver, rid
        assert summary(res)[rid]["sop_p50"] == r.earliest_sop, rid
        vol = volumes(res, rid)
        for year, cars in r.capacity.items():
            assert abs(vol["available_mean"][year] - cars) <= 1, (rid, year)


def test_a_contract_that_ends_stops_late_starts_and_later_volumes() -> None:
    # Until 2023-07-01 (day 546): a negotiation of 17.92 months or more starts too late.
    d = doc()
    d["offers"][0] |= {"lead_months": {"min": 3, "mode": 6, "max": 18}, "until": "2023-07"}
    n = 2000  # sop_samples keeps every sample up to 2,000
    routes, res = sample(d, [CM], samples=n, seed=11)
    p = tri_cdf(545.5 / DPM, 3, 6, 18)
    assert abs(summary(res)[CM]["p_success"] - p) < 4 * se_p(p, n)
    days = res.sop_samples[f"newcar/{CM}"]
    assert len(days) == n and days[np.isfinite(days)].max() < 546
    # A sample that starts builds from its start (or 2023-01-01) to 2023-07-01 in 2023.
    built = np.where(np.isfinite(days), np.clip(546 - np.maximum(365, days), 0, None), 0)
    vol = volumes(res, CM)
    assert vol["available_mean"][2023] == pytest.approx(100000 * built.mean() / 365)
    assert vol["available_mean"][2024] == 0 == vol["available_p90"][2026]
    assert routes[CM].capacity[2023] == round(100000 * 181 / 365)


def test_a_pending_review_is_drawn_beyond_the_time_already_passed() -> None:
    # Filed 2021-01-01, still pending on 2022-01-01 (365 days, 11.99 months): a 6/12/30
    # review is drawn conditioned on lasting longer, so no sample is granted "already".
    d = _pending(doc())
    d["licences"][-1]["applied_on"] = "2021-01"
    n = 100_000
    routes, res = sample(d, [APPLIED], samples=n, seed=2)
    step = routes[APPLIED].timing.licence.steps[0]  # type: ignore[union-attr]
    assert step.after == pytest.approx(365 / DPM)
    assert routes[APPLIED].earliest_sop == AS_OF  # the nominal review (12 months) is over
    days = res.sop_samples[f"newcar/{APPLIED}"]
    assert np.isfinite(days).all()
    f0 = tri_cdf(365 / DPM, 6, 12, 30)
    rows = summary(res)[APPLIED]
    for q, key in ((0.1, "sop_p10"), (0.5, "sop_p50"), (0.9, "sop_p90")):
        # The conditional quantile: F(x) = f0 + q (1 - f0), x in months after filing.
        lo, hi = 0.0, 30.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if tri_cdf(mid, 6, 12, 30) < f0 + q * (1 - f0) else (lo, mid)
        expected = dt.date(2021, 1, 1) + dt.timedelta(days=round(lo * DPM))
        assert abs((rows[key] - expected).days) <= 3, (key, rows[key], expected)
    # Unconditioned, a quarter of the draws would land on as_of itself.
    assert (days == 0).mean() < 0.01


def test_denied_claim_gets_the_low_prior_unless_a_probability_is_stated() -> None:
    n = 100_000
    for stated, p in ((None, DENIED_PRIOR), (0.6, 0.6)):
        d = doc()
        d["sources"].append({"id": "d1", "status": "denied", "url": "https://example.org/d"})
        d["offers"][0]["sources"] = ["a1", "d1"]
        if stated is not None:
            d["offers"][0]["success_probability"] = stated
        routes, res = sample(d, samples=n)
        assert routes[CM].success_probability == p
        assert abs(summary(res)[CM]["p_success"] - p) < 4 * se_p(p, n)


def test_dormant_licence_starts_only_before_its_exit_deadline() -> None:
    lead = (3.0, 5.0, 9.0)
    d = dormant_target(doc(), lead=dict(zip(("min", "mode", "max"), lead, strict=True)))
    d["licences"][-1]["dormant_since"] = "2021-01-01"
    d["policy"][0]["dormant_exit_months"] = 18
    n = 200_000
    routes, res = sample(d, [BUY], samples=n)
    r = routes[BUY]
    # Withdrawn 18 calendar months after 2021-01-01: 2022-07-01, day 181.
    assert r.timing is not None and r.timing.deadline == D(2022, 7, 1)
    assert r.legal and r.earliest_sop == D(2022, 6, 2)  # the mode, 5 months, is in time
    # SOP day = round(lead x DPM) < 181  <=>  lead < 180.5 / DPM months.
    p = tri_cdf(180.5 / DPM, *lead)
    assert 0.55 < p < 0.7
    row = summary(res)[BUY]
    assert abs(row["p_success"] - p) < 4 * se_p(p, n)
    assert row["sop_p90"] is None and row["sop_p50"] is not None
    # Among the samples that start, P50 is the lead at which F(lead) = p / 2 (lead < 5.93).
    lo, hi = lead[0], lead[2]
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if tri_cdf(mid, *lead) < 0.5 * p else (lo, mid)
    expected = AS_OF + dt.timedelta(days=round(lo * DPM))
    assert abs((row["sop_if_starts_p50"] - expected).days) <= 2, (row, expected)
    assert row["sop_if_starts_p90"] < D(2022, 7, 1)  # every start beats the deadline


def test_some_route_of_a_program_starts_as_independent_deals_say() -> None:
    # Two routes with nothing in common: a contract that goes through in 60 % of samples,
    # and a purchase that starts before its licence is withdrawn with chance p. Some route
    # starts unless both fail: 1 - 0.4 (1 - p).
    lead = (3.0, 5.0, 9.0)
    d = dormant_target(doc(), lead=dict(zip(("min", "mode", "max"), lead, strict=True)))
    d["licences"][-1]["dormant_since"] = "2021-01-01"
    d["policy"][0]["dormant_exit_months"] = 18
    d["offers"][0]["success_probability"] = 0.6
    d["programs"][0]["target_sop"] = "2026-12"
    n = 200_000
    _, res = sample(d, [CM, BUY], samples=n)
    p = tri_cdf(180.5 / DPM, *lead)
    want = 1 - 0.4 * (1 - p)
    (row,) = res.programs.to_dict("records")
    assert row["routes"] == 2
    assert abs(row["p_any_starts"] - want) < 4 * se_p(want, n)
    assert row["p_any_on_target"] == row["p_any_starts"]  # every start is before 2026-12
    assert row["p_any_on_target"] >= max(summary(res)[r]["p_on_target"] for r in (CM, BUY))


def test_routes_sharing_a_review_start_together_not_independently() -> None:
    # Two own plants under one pending licence: the review is one draw for both routes, so
    # some route is on time exactly when the earlier plant's route is (independent draws
    # would give 1 - (1 - p1)(1 - p2), far more).
    d = _pending(doc())
    d["plants"].append(
        {
            "id": "np2",
            "name": "NewCo plant 2",
            "operator": "newco",
            "status": "operating",
            "phases": [{"capacity": 50000, "ready": "2022-09"}],
        }
    )
    second = "applied:newco-bev@own:np2"
    routes, res = sample(d, [APPLIED, second], samples=20_000, seed=3)
    assert routes[APPLIED].timing is not routes[second].timing
    rows = summary(res)
    p1, p2 = rows[APPLIED]["p_on_target"], rows[second]["p_on_target"]
    (prog,) = res.programs.to_dict("records")
    assert prog["p_any_on_target"] == p1 >= p2 > 0
    assert prog["p_any_on_target"] < 1 - (1 - p1) * (1 - p2) - 0.05


def test_sop_if_it_starts_is_the_sop_when_a_route_always_starts() -> None:
    _, res = sample(doc(), samples=5_000)
    sure = [row for row in summary(res).values() if row["p_success"] == 1.0]
    assert sure
    for row in sure:
        for q in ("p10", "p50", "p90"):
            assert row[f"sop_if_starts_{q}"] == row[f"sop_{q}"]


def test_reproducible_with_a_seed() -> None:
    w = evfab.compile(evfab.load("xiaomi-2022"))
    routes = evfab.derive_routes(w)
    a = sample_routes(w, routes, RiskOptions(samples=20_000, seed=7))
    b = sample_routes(w, routes, RiskOptions(samples=20_000, seed=7))
    c = sample_routes(w, routes, RiskOptions(samples=20_000, seed=8))
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.volumes, b.volumes)
    assert a.drivers == b.drivers
    assert all(np.array_equal(a.sop_samples[k], b.sop_samples[k]) for k in a.sop_samples)
    assert not a.summary["p_success"].equals(c.summary["p_success"])
    assert not a.volumes["available_mean"].equals(c.volumes["available_mean"])


def test_modes_reproduce_the_rules_engine_on_every_xiaomi_route() -> None:
    """With every duration at its mode and every deal certain, each sample is the nominal case."""
    text = evfab.bundled()["xiaomi-2022"].read_text(encoding="utf-8")
    d = certain(modes(yaml.safe_load(text)))
    w = evfab.compile(evfab.loads(yaml.safe_dump(d, sort_keys=False)))
    routes = evfab.derive_routes(w)
    assert len(routes) == 9
    for r in routes:
        assert r.timing is not None
        assert all(s.min == s.mode == s.max for s in r.timing.steps()), r.id
    res = sample_routes(w, routes, RiskOptions(samples=2000, seed=3))
    rows = summary(res)
    started = 0
    for r in routes:
        row = rows[r.id]
        if not r.legal:  # the dormant licence is withdrawn before this route's SOP
            assert row["p_success"] == 0.0, r.id
            continue
        started += 1
        assert row["p_success"] == 1.0, r.id
        assert row["sop_p10"] == row["sop_p90"], r.id
        assert abs((row["sop_p50"] - r.earliest_sop).days) <= 1, r.id
        vol = volumes(res, r.id)
        for year, cars in r.capacity.items():
            assert abs(vol["available_mean"][year] - cars) <= 1, (r.id, year)
            assert vol["available_p10"][year] == vol["available_p90"][year]
    assert started == 8


def test_modes_reproduce_the_rules_engine_with_fractional_months() -> None:
    d = doc()
    d["plants"].append(
        {
            "id": "np",
            "name": "NP",
            "operator": "newco",
            "status": "planned",
            "phases": [{"capacity": 150000, "months": 1.1}],
        }
    )
    d["offers"] += [
        {"id": "build", "kind": "build_plant", "to": "newco", "plant": "np", "lead_months": 1.1},
        {
            "id": "apply",
            "kind": "apply_licence",
            "to": "newco",
            "lead_months": 1.1,
            "review_months": 1.1,
        },
    ]
    d["policy"][0]["approval_probability"] = 1.0
    routes, res = sample(d, samples=100)
    for rid, r in routes.items():
        assert summary(res)[rid]["sop_p50"] == r.earliest_sop, rid
        vol = volumes(res, rid)
        for year, cars in r.capacity.items():
            assert abs(vol["available_mean"][year] - cars) <= 1, (rid, year)


def test_demand_spread_moves_built_but_never_above_available() -> None:
    w = evfab.compile(evfab.load("xiaomi-2022"))
    routes = [r for r in evfab.derive_routes(w) if r.usable]
    fixed = sample_routes(w, routes, RiskOptions(samples=20_000, seed=1))
    spread = sample_routes(w, routes, RiskOptions(samples=20_000, seed=1, demand_spread=0.3))
    # The same durations and events (one batch each): the cars available do not change.
    pd.testing.assert_series_equal(fixed.summary["expected_cars"], spread.summary["expected_cars"])
    assert not fixed.summary["expected_built"].equals(spread.summary["expected_built"])
    v = spread.volumes
    for q in ("p10", "p50", "p90", "mean"):
        assert (v[f"built_{q}"] <= v[f"available_{q}"] + 1e-6).all()
    assert (spread.summary["expected_built"] <= spread.summary["expected_cars"]).all()
    # Nio at JAC Hefei starts at once with 240,000/year; 2025 demand is 200,000 x f,
    # f ~ triangular(0.7, 1, 1.3): built = 200,000 x E[min(f, 1.2)] = 200,000 x (1 - 1/540).
    nio = "partner:nio-jac@partner:jac-hefei"
    n = 200_000
    nio_only = [r for r in routes if r.id == nio]
    vol = volumes(sample_routes(w, nio_only, RiskOptions(samples=n, demand_spread=0.3)), nio)
    assert vol["available_mean"][2025] == pytest.approx(240000)
    expected = 200000 * (1 - (2 / 0.18) * 0.1**3 / 6)
    sd = 200000 * math.sqrt(tri_var(0.7, 1.0, 1.3))
    assert abs(vol["built_mean"][2025] - expected) < 4 * sd / math.sqrt(n)
    assert abs(expected - 200000) > 4 * sd / math.sqrt(n)  # the cap is visible at this n
    assert vol["built_p10"][2025] < vol["built_p50"][2025] < vol["built_p90"][2025]
    assert volumes(fixed, nio)["built_p10"][2025] == 200000


def test_fast_and_general_paths_agree() -> None:
    w = evfab.compile(evfab.load("xiaomi-2022"))
    routes = [r for r in evfab.derive_routes(w) if r.legal]
    # A tiny demand spread forces the general path. With one batch the draws are the same,
    # so the two paths must agree to rounding.
    fast = sample_routes(w, routes, RiskOptions(samples=30_000, seed=2))
    general = sample_routes(w, routes, RiskOptions(samples=30_000, seed=2, demand_spread=1e-12))
    cols = ["p_success", "p_on_target", "sop_p10", "sop_p50", "sop_p90"]
    pd.testing.assert_frame_equal(fast.summary[cols], general.summary[cols])
    for col in ("expected_cars", "expected_built", "expected_cost"):
        np.testing.assert_allclose(fast.summary[col], general.summary[col], rtol=1e-6)
    for col in ("available_p10", "available_p50", "available_p90", "available_mean"):
        np.testing.assert_allclose(fast.volumes[col], general.volumes[col], rtol=1e-9, atol=1e-6)
    # Independent streams: means over 10 seeds each agree within 4 standard errors.
    k, n = 10, 5000
    est: dict[str, list[pd.DataFrame]] = {"fast": [], "general": []}
    for s in range(k):
        est["fast"].append(sample_routes(w, routes, RiskOptions(samples=n, seed=100 + s)).summary)
        opts = RiskOptions(samples=n, seed=200 + s, demand_spread=1e-12, chunk=2000)
        est["general"].append(sample_routes(w, routes, opts).summary)
    for col in ("p_success", "p_on_target", "expected_cars", "expected_built", "expected_cost"):
        a = np.array([x[col] for x in est["fast"]])  # seeds x routes
        b = np.array([x[col] for x in est["general"]])
        se = np.sqrt(a.var(axis=0, ddof=1) / k + b.var(axis=0, ddof=1) / k)
        diff = np.abs(a.mean(axis=0) - b.mean(axis=0))
        assert (diff <= 4 * se + 1e-9 * np.abs(a.mean(axis=0)) + 1e-12).all(), col


def test_the_per_day_tables_give_what_working_each_sample_out_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fixed-date recipes look cars up per SOP day (fast path and general path alike); with
    the tables turned off every sample is worked out: the results must not change."""
    from evfab import risk

    for w, spread in itertools.product(
        (evfab.compile(evfab.load("xiaomi-2022")), _ramped_xiaomi()), (0.0, 0.2)
    ):
        routes = [r for r in evfab.derive_routes(w) if r.usable]
        assert any(risk._fixed_phases(r.timing) for r in routes if r.timing is not None)
        opts = RiskOptions(samples=6000, seed=3, demand_spread=spread)
        tables = sample_routes(w, routes, opts)
        with monkeypatch.context() as mp:
            mp.setattr(risk, "_fixed_phases", lambda t: False)
            worked = sample_routes(w, routes, opts)
        assert all(
            np.array_equal(tables.sop_samples[k], worked.sop_samples[k]) for k in tables.sop_samples
        )
        pd.testing.assert_frame_equal(tables.summary, worked.summary, check_exact=False, rtol=1e-12)
        pd.testing.assert_frame_equal(tables.volumes, worked.volumes, check_exact=False, rtol=1e-12)


def _second_program(d: dict[str, Any]) -> dict[str, Any]:
    """Another NewCo program with its own demand: it gets the same route ids."""
    d["programs"].append(
        {
            "id": "other",
            "company": "newco",
            "name": "Other car",
            "target_sop": "2023-06",
            "demand": {2023: 20000, 2024: 80000},
            "badge": "co_brand",
            "lost_margin": 50,
        }
    )
    return d


def _rows(res: RiskResult, program: str, col: str) -> list[float]:
    v = res.volumes
    return [float(x) for x in v[v["program"] == program][col]]


def test_programs_sharing_a_route_id_keep_their_own_volumes() -> None:
    d = _second_program(doc())
    w = world_of(d)
    routes = evfab.derive_routes(w)
    assert [(r.program, r.id) for r in routes] == [("newcar", CM), ("other", CM)]
    res = sample_routes(w, routes, RiskOptions(samples=2000, seed=1))
    # Each program's cars are capped by its own demand, and nothing is counted twice.
    assert _rows(res, "newcar", "built_mean")[1:3] == [10000.0, 50000.0]
    assert _rows(res, "other", "built_mean")[1:3] == [20000.0, 80000.0]
    assert _rows(res, "newcar", "available_mean") == _rows(res, "other", "available_mean")
    assert _rows(res, "other", "available_mean")[1] == 100000.0


def test_a_programs_draws_do_not_depend_on_the_other_programs_sampled() -> None:
    d = _second_program(doc())
    for g in d["programs"]:
        g["ramp_months"] = {"min": 3, "mode": 6, "max": 12}
    w = world_of(d)
    routes = evfab.derive_routes(w)
    opts = RiskOptions(samples=5000, seed=4, demand_spread=0.3, chunk=2000)
    both = sample_routes(w, routes, opts)
    alone = sample_routes(w, [r for r in routes if r.program == "other"], opts)
    for col in ("available_mean", "built_mean", "built_p10", "built_p90"):
        assert _rows(both, "other", col) == _rows(alone, "other", col), col


def _ramped_xiaomi() -> evfab.World:
    """xiaomi-2022 with a ramp-up, so that demand and ramp draws are used too."""
    s = evfab.load("xiaomi-2022")
    d = s.model_dump(mode="json", exclude_none=True)
    for g in d["programs"]:
        g["ramp_months"] = {"min": 2, "mode": 5, "max": 11}
    return evfab.compile(evfab.Scenario.model_validate(d))


def test_samples_do_not_depend_on_the_batch_size() -> None:
    w = _ramped_xiaomi()
    routes = [r for r in evfab.derive_routes(w) if r.usable]
    opts = {"samples": 9_000, "seed": 5, "demand_spread": 0.2, "demand_correlation": 0.3}
    one = sample_routes(w, routes, RiskOptions(**opts))
    cut = sample_routes(w, routes, RiskOptions(**opts, chunk=2_000))
    assert one.sop_samples.keys() == cut.sop_samples.keys()
    assert all(np.array_equal(one.sop_samples[k], cut.sop_samples[k]) for k in one.sop_samples)
    assert one.drivers == cut.drivers
    # Percentiles are of the same samples; means are sums taken in another order.
    pd.testing.assert_frame_equal(one.summary, cut.summary, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(one.volumes, cut.volumes, check_exact=False, rtol=1e-12)


def test_a_route_sampled_alone_gets_the_draws_it_gets_among_others() -> None:
    """Every duration and event draws from its own stream: common random numbers."""
    w = _ramped_xiaomi()
    routes = [r for r in evfab.derive_routes(w) if r.usable]
    opts = RiskOptions(samples=4_000, seed=2, demand_spread=0.2)
    every = sample_routes(w, routes, opts)
    for r in routes[:3] + routes[-1:]:
        alone = sample_routes(w, [r], opts)
        key = RiskResult.key(r.program, r.id)
        assert np.array_equal(alone.sop_samples[key], every.sop_samples[key]), r.id
        row = every.summary[(every.summary["route"] == r.id)].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone.summary, row)
        # Mean volumes too; percentiles may use fewer kept samples beside other routes.
        means = ["program", "route", "year", "available_mean", "built_mean"]
        rows = every.volumes[(every.volumes["route"] == r.id)].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone.volumes[means], rows[means])


def test_a_build_offer_and_the_plants_own_construction_draw_apart() -> None:
    """A stake in a plant under construction waits for its construction (drawn beyond what
    has passed); a build offer for the same plant is another build: different draws."""
    d = _pending(doc())
    d["plants"].append(
        {
            "id": "bp",
            "name": "BP",
            "operator": "newco",
            "status": "planned",
            "construction_start": "2021-06",
            "phases": [{"capacity": 100000, "months": {"min": 6, "mode": 12, "max": 24}}],
        }
    )
    d["offers"] += [
        {"id": "b", "kind": "build_plant", "to": "newco", "plant": "bp", "lead_months": 2},
        {
            "id": "st",
            "kind": "plant_stake",
            "to": "newco",
            "plant": "bp",
            "share": 0.5,
            "lead_months": 1,
        },
    ]
    w = world_of(d)
    routes = [r for r in evfab.derive_routes(w) if r.legal]
    stake = next(r for r in routes if "@stake:" in r.id)
    build = next(r for r in routes if "@build:" in r.id)
    assert stake.timing is not None and build.timing is not None
    assert {s.key for s in stake.timing.steps()}.isdisjoint(
        {s.key for s in build.timing.steps() if s.key.startswith("plant:")}
    )
    opts = RiskOptions(samples=5000, seed=1)
    key = RiskResult.key(stake.program, stake.id)
    alone = sample_routes(w, [stake], opts).sop_samples[key]
    assert np.array_equal(alone, sample_routes(w, [build, stake], opts).sop_samples[key])


def test_risk_options_refuse_values_outside_their_range() -> None:
    with pytest.raises(ValueError, match="seed"):
        RiskOptions(seed=-1)
    with pytest.raises(ValueError, match="demand_correlation"):
        RiskOptions(demand_correlation=1.5)
    with pytest.raises(ValueError, match="demand_spread"):
        RiskOptions(demand_spread=1.0)


def test_ramp_lowers_first_year_volume() -> None:
    _, no_ramp = sample(doc(), samples=2000)
    base, flat = summary(no_ramp)[CM], volumes(no_ramp, CM)
    d = doc()
    d["programs"][0]["ramp_months"] = 6
    _, res = sample(d, samples=2000)
    vol = volumes(res, CM)
    # SOP day 183; a 182.625-day ramp averages 182 / (2 x 182.625) over 2022's last 182 days.
    r = 6 * DPM
    full_2022 = 100000 * 0.8 * 182 / 365
    assert flat["available_mean"][2022] == pytest.approx(full_2022)
    assert vol["available_mean"][2022] == pytest.approx(full_2022 * 182 / (2 * r))
    assert vol["available_mean"][2023] == pytest.approx(
        100000 * (r / 2 + (547 - r) - 182**2 / (2 * r)) / 365
    )
    assert all(vol["available_mean"][y] == flat["available_mean"][y] for y in (2024, 2025, 2026))
    # A random ramp: lower in the first year on average, the same once at full rate.
    d["programs"][0]["ramp_months"] = {"min": 3, "mode": 6, "max": 12}
    _, res = sample(d, samples=20_000)
    vol = volumes(res, CM)
    assert vol["available_p90"][2022] < flat["available_mean"][2022]
    assert vol["available_mean"][2022] < flat["available_mean"][2022]
    assert all(vol["available_mean"][y] == flat["available_mean"][y] for y in (2024, 2025, 2026))
    assert summary(res)[CM]["expected_cars"] < base["expected_cars"]


def test_drivers_are_spearman_correlations_with_ties_averaged() -> None:
    d = doc()
    d["plants"].append(
        {
            "id": "p2",
            "name": "Plant 2",
            "operator": "oldco",
            "status": "under_construction",
            "construction_start": "2021-06",
            "phases": [{"capacity": 100000, "ready": "2022-07-03"}],  # day 183
        }
    )
    lead = (3.0, 6.0, 9.0)
    d["offers"][0]["lead_months"] = dict(zip(("min", "mode", "max"), lead, strict=True))
    d["offers"] += [
        {"id": "cm2", "kind": "contract_manufacturing", "to": "newco", "host": "oldco"}
        | {"plant": "p2", "badge": "co_brand", "lead_months": {"min": 3, "mode": 6, "max": 9}},
        {"id": "cm3", "kind": "contract_manufacturing", "to": "newco", "host": "oldco"}
        | {"plant": "p2", "badge": "co_brand", "lead_months": {"min": 1, "mode": 2, "max": 3}},
    ]
    _, res = sample(d, samples=20_000)
    # SOP = the lead: Spearman's rho is 1 (up to rounding to days).
    (label, rho), *_ = res.drivers[f"newcar/{CM}"]
    assert label == "negotiation (cm)" and rho > 0.999
    # SOP = max(lead, day 183): with q = P(lead's day <= 183) of the samples tied at day 183,
    # rho = sqrt(1 - q^3) (ranking ties in sample order would give 1 - q^3 instead).
    q = tri_cdf(183.5 / DPM, *lead)
    (label, rho), *_ = res.drivers["newcar/partner:cm2@partner:p2"]
    assert label == "negotiation (cm2)"
    assert abs(rho - math.sqrt(1 - q**3)) < 0.01 < abs(rho - (1 - q**3))
    # The plant's date alone sets the SOP: no driver.
    assert res.drivers["newcar/partner:cm3@partner:p2"] == []


def test_progress_is_reported_after_each_batch() -> None:
    seen: list[int] = []
    sample_routes(
        world_of(doc()),
        evfab.derive_routes(world_of(doc())),
        RiskOptions(samples=2500, chunk=1000),
        progress=seen.append,
    )
    assert seen == [1000, 2000, 2500]


# --- the engine against a per-sample loop of the same model ------------------------------


def _agree(ref: Any, res: RiskResult) -> None:
    """Engine and loop means agree within 4 standard errors of their difference."""
    n_e, n_r = res.samples, ref.samples
    for row in res.summary.to_dict("records"):
        rid = f"{row['program']}/{row['route']}"
        for what, col in (("started", "p_success"), ("on_target", "p_on_target")):
            p = ref.mean(rid, what)
            tol = 4 * math.sqrt(max(p * (1 - p), 1e-4 / n_r) * (1 / n_e + 1 / n_r))
            assert abs(row[col] - p) <= tol, (rid, col, row[col], p)
        for what, col in (
            ("cars", "expected_cars"),
            ("built", "expected_built"),
            ("cost", "expected_cost"),
        ):
            m, se = ref.mean(rid, what), ref.se(rid, what)
            tol = 4 * se * math.sqrt(1 + n_r / n_e) + 1e-6 * abs(m) + 1e-6
            assert abs(row[col] - m) <= tol, (rid, col, row[col], m, se)


def test_engine_agrees_with_the_per_sample_loop_on_xiaomi() -> None:
    bench = _bench()
    w = evfab.compile(evfab.load("xiaomi-2022"))
    routes = [r for r in evfab.derive_routes(w) if r.legal]
    ref = bench.reference_sample(w, routes, 3000, seed=1)
    _agree(ref, sample_routes(w, routes, RiskOptions(samples=100_000, seed=0)))


def _later_policy(lead: dict[str, float]) -> dict[str, Any]:
    """Policy bans after as_of (new licences halted, contract manufacturing banned, both
    lifted later), a contract with negotiation ``lead`` that ends on 2025-07-01, and a
    review pending on as_of since 2021-01."""
    d = _pending(doc())
    d["licences"][-1]["applied_on"] = "2021-01"
    d["policy"] += [
        {"since": "2022-09-01", "new_licences": False},
        {"since": "2022-10-01", "contract_manufacturing": False},
        {"since": "2023-03-01", "contract_manufacturing": True},
        # Granted again, at a lower chance than before the halt (0.7).
        {"since": "2023-06-01", "new_licences": True, "approval_probability": 0.4},
    ]
    d["policy"][0]["approval_probability"] = 0.7
    d["offers"][0] |= {"lead_months": lead, "until": "2025-07"}
    return d


def test_engine_agrees_with_the_per_sample_loop_under_later_policy() -> None:
    d = _later_policy({"min": 3, "mode": 8, "max": 14})
    d["offers"].append(
        {
            "id": "apply",
            "kind": "apply_licence",
            "to": "newco",
            "lead_months": 2,
            "review_months": {"min": 3, "mode": 6, "max": 12},
        }
    )
    w = world_of(d)
    routes = [r for r in evfab.derive_routes(w) if r.legal]
    assert {r.id for r in routes} == {APPLIED, CM, "apply:apply@own:np"}
    assert all(r.timing is not None and (r.timing.off or r.timing.licence.bans) for r in routes)
    ref = _bench().reference_sample(w, routes, 3000, seed=3, demand_spread=0.2)
    _agree(ref, sample_routes(w, routes, RiskOptions(samples=100_000, seed=5, demand_spread=0.2)))


def test_engine_agrees_with_the_per_sample_loop_for_programs_sharing_routes() -> None:
    # Two NewCo programs have the same route ids, with their own demand and ramps.
    d = _second_program(doc())
    d["programs"][1]["ramp_months"] = {"min": 2, "mode": 4, "max": 9}
    d["offers"][0]["lead_months"] = {"min": 3, "mode": 6, "max": 12}
    w = world_of(d)
    routes = evfab.derive_routes(w)
    ref = _bench().reference_sample(w, routes, 3000, seed=2, demand_spread=0.3)
    _agree(ref, sample_routes(w, routes, RiskOptions(samples=50_000, seed=6, demand_spread=0.3)))


def test_engine_agrees_with_the_per_sample_loop_on_the_general_path() -> None:
    """Built plants (sampled phases), a stake's share, a contract cap, a ramp, demand spread,
    fees, a badge waiver and a dormant licence's deadline."""
    d = dormant_target(own_plant(doc()), lead={"min": 2, "mode": 4, "max": 9}, fixed_fee=3e8)
    d["licences"][-1]["dormant_since"] = "2021-01-01"
    d["policy"][0].update(dormant_exit_months=18, approval_probability=0.7)
    d["plants"][0]["committed"] = {2022: 20000, 2023: 30000, 2024: 30000}
    d["plants"][1]["unit_cost"] = 120  # NewCo's plant "np"
    d["plants"].append(
        {
            "id": "gf",
            "name": "Greenfield",
            "operator": "newco",
            "status": "planned",
            "unit_cost": 90,
            "phases": [
                {"capacity": 80000, "months": {"min": 6, "mode": 9, "max": 18}},
                {"capacity": 60000, "months": {"min": 12, "mode": 18, "max": 30}},
            ],
        }
    )
    d["offers"][0].update(
        lead_months={"min": 3, "mode": 6, "max": 12},
        success_probability=0.7,
        badge="host",
        badge_waiver_fee=5e6,
        fixed_fee=1e7,
        capacity={2023: 30000},
    )
    d["offers"] += [
        {
            "id": "build",
            "kind": "build_plant",
            "to": "newco",
            "plant": "gf",
            "lead_months": {"min": 1, "mode": 2, "max": 4},
            "fixed_fee": 5e8,
            "success_probability": 0.9,
        },
        {
            "id": "apply",
            "kind": "apply_licence",
            "to": "newco",
            "lead_months": {"min": 1, "mode": 2, "max": 3},
            "review_months": {"min": 6, "mode": 9, "max": 15},
            "success_probability": 0.8,
        },
        {
            "id": "stake",
            "kind": "plant_stake",
            "to": "newco",
            "plant": "old-plant",
            "share": 0.25,
            "lead_months": {"min": 2, "mode": 4, "max": 6},
            "closing_months": {"min": 0, "mode": 1, "max": 2},
            "fixed_fee": 1e8,
            "success_probability": 0.5,
        },
    ]
    d["programs"][0]["ramp_months"] = {"min": 2, "mode": 4, "max": 8}
    w = world_of(d)
    routes = evfab.derive_routes(w)
    kinds = {(r.licence_source, r.plant_source) for r in routes}
    assert {
        ("apply", "build"),
        ("apply", "stake"),
        ("partner", "partner"),
        ("acquired", "acquired"),
    } <= kinds
    assert any(r.badge_waiver_fee for r in routes)
    ref = _bench().reference_sample(w, routes, 3000, seed=4, demand_spread=0.2)
    res = sample_routes(w, routes, RiskOptions(samples=100_000, seed=5, demand_spread=0.2))
    _agree(ref, res)


# --- the command line ------------------------------------------------------------------
# In process (typer's CliRunner keeps stdout and stderr apart): a subprocess per call would
# spend most of this file's time importing.


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["risk", "xiaomi-2022", *args])


def usable_ids() -> list[str]:
    w = evfab.compile(evfab.load("xiaomi-2022"))
    return [r.id for r in evfab.derive_routes(w) if r.usable]


def test_cli_json_shape() -> None:
    res = run("--json", "--samples", "2000", "--seed", "5")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert set(data) >= {
        "evfab",
        "json_version",
        "kind",
        "scenario",
        "as_of",
        "currency",
        "samples",
        "seed",
        "seconds",
        "route_samples_per_second",
        "routes",
        "volumes",
        "drivers",
    }
    assert (data["kind"], data["scenario"], data["samples"], data["seed"]) == (
        "risk",
        "xiaomi-2022",
        2000,
        5,
    )
    ids = [r["route"] for r in data["routes"]]
    assert ids == usable_ids()
    assert set(data["routes"][0]) >= {
        "program",
        "route",
        "p_success",
        "sop_p10",
        "sop_p50",
        "sop_p90",
        "target_sop",
        "p_on_target",
        "expected_cars",
        "expected_built",
        "expected_cost",
        "weakest_status",
    }
    assert len(data["volumes"]) == len(ids) * 9  # 2022-2030
    assert set(data["drivers"]) <= set(ids)


def test_cli_plan_and_out_writes_tables_and_charts(tmp_path: Path) -> None:
    out = tmp_path / "risk"
    res = run("--plan", "--samples", "1000", "--json", "--out", str(out))
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    picked = [r["route"] for r in data["routes"]]
    assert picked and set(picked) <= set(usable_ids())
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "risk.json",
        "risk_routes.csv",
        "risk_volumes.csv",
        "sop_cdf.png",
        "volume_fan.png",
    ]
    for png in ("sop_cdf.png", "volume_fan.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pd.read_csv(out / "risk_routes.csv")["route"].tolist() == picked
    assert len(pd.read_csv(out / "risk_volumes.csv")) == len(picked) * 9
    assert json.loads((out / "risk.json").read_text(encoding="utf-8")) == data


def test_cli_routes_and_large_runs() -> None:
    a, b = usable_ids()[:2]
    # From 2M route-samples the CLI may show a progress bar; --json must stay parseable.
    res = run("--route", b, "--route", a, "--samples", "1000000", "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert {r["route"] for r in data["routes"]} == {a, b} and data["samples"] == 1000000
    # Without --json the bar goes to stderr and the tables to stdout.
    res = run("--route", a, "--route", b, "--samples", "1000000")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("Risk for xiaomi-2022: 1,000,000 samples")
    assert "Start of production" in res.stdout and "sampling" not in res.stdout


def test_cli_unknown_route_exits_2() -> None:
    res = run("--route", "nope")
    assert res.exit_code == 2
    assert "unknown route 'nope'" in res.stderr and "Traceback" not in res.stderr


def test_cli_demand_correlation() -> None:
    base = ["--json", "--samples", "2000", "--demand-spread", "0.3"]
    a = json.loads(run(*base).stdout)
    b = json.loads(run(*base, "--demand-correlation", "0.8").stdout)
    # One program here: its demand is drawn another way, from the same distribution; the
    # starts (durations and events) do not move.
    for x, y in zip(a["routes"], b["routes"], strict=True):
        assert {k: x[k] for k in ("p_success", "sop_p50", "expected_cars")} == {
            k: y[k] for k in ("p_success", "sop_p50", "expected_cars")
        }
        assert y["expected_built"] == pytest.approx(x["expected_built"], rel=0.03)
    res = run(*base, "--demand-correlation", "1.5")
    assert res.exit_code == 2 and "demand-correlation" in res.output


def test_cli_text_and_charts_with_programs_sharing_route_ids(tmp_path: Path) -> None:
    # Both NewCo programs have the route partner:cm@partner:old-plant.
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(_second_program(doc()), sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["risk", str(path), "-n", "2000", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "newcar" in res.stdout and "other" in res.stdout
    # Both programs' cars built, each from its own rows (capped by its own 2024 demand).
    assert "of 50k" in res.stdout and "of 80k" in res.stdout
    assert (out / "volume_fan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sampled_sops_are_whole_days() -> None:
    # The day counts of the tabulated path rely on it (a binary search per day boundary).
    d = _later_policy({"min": 3.3, "mode": 8.1, "max": 14.7})
    for w in (world_of(d), evfab.compile(evfab.load("xiaomi-2022"))):
        routes = [r for r in evfab.derive_routes(w) if r.legal]
        res = sample_routes(w, routes, RiskOptions(samples=3000, seed=9))
        for key, days in res.sop_samples.items():
            finite = days[np.isfinite(days)]
            assert np.array_equal(finite, np.round(finite)) and (finite >= 0).all(), key
