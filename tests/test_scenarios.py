"""Bundled scenarios: they load, every fact is traceable, and the engines run on them.

For every bundled scenario: each non-assumption source's url is a row of
``shared/data/china-ev-facts.csv`` (skipped when ``shared/`` is not beside the repo),
each assumption gives its reason, no source is left uncited, and the route table and
the plan come out. For ``china-ev``: the policy timeline, the observed cases, and the
golden check that :func:`evfab.priors.calibrate` reproduces :data:`evfab.priors.PRIORS`.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

import evfab
import evfab.plan
from evfab._scenario import Scenario, Status
from evfab.priors import PRIORS, calibrate

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FACTS = SHARED / "data" / "china-ev-facts.csv"
NAMES = sorted(evfab.bundled())


@cache
def _load(name: str) -> Scenario:
    return evfab.load(name)


@cache
def _fact_urls() -> frozenset[str]:
    with FACTS.open(newline="", encoding="utf-8") as f:
        return frozenset(row["source_url"] for row in csv.DictReader(f))


def _citations(s: Scenario) -> Iterator[str]:
    """Every source id cited anywhere in the scenario."""
    yield from s.discount_rate_sources
    for period in s.policy:
        yield from period.sources
    for coll in ("companies", "licences", "plants", "programs", "offers", "history"):
        for item in getattr(s, coll):
            yield from item.sources


def test_china_ev_is_bundled() -> None:
    assert "china-ev" in NAMES


# --- every bundled scenario ---------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_loads(name: str) -> None:
    s = _load(name)
    assert s.name == name
    assert s.sources


@pytest.mark.parametrize("name", NAMES)
def test_source_urls_are_in_the_facts(name: str) -> None:
    if not FACTS.exists():
        pytest.skip(f"{FACTS} not found (shared/ is not beside the repository)")
    urls = _fact_urls()
    missing = [
        f"{src.id}: {src.url}"
        for src in _load(name).sources
        if src.status is not Status.ASSUMPTION and src.url not in urls
    ]
    assert not missing, "sources whose url is not in china-ev-facts.csv:\n" + "\n".join(missing)


@pytest.mark.parametrize("name", NAMES)
def test_assumptions_give_a_reason(name: str) -> None:
    bare = [
        src.id
        for src in _load(name).sources
        if src.status is Status.ASSUMPTION and not src.note.strip()
    ]
    assert not bare


@pytest.mark.parametrize("name", NAMES)
def test_no_dead_sources(name: str) -> None:
    s = _load(name)
    cited = set(_citations(s))
    dead = [src.id for src in s.sources if src.id not in cited]
    assert not dead, f"sources defined but never cited: {dead}"


@pytest.mark.parametrize("name", NAMES)
def test_routes_and_plan_run(name: str) -> None:
    s = _load(name)
    table = evfab.routes(s)
    assert len(table) > 0
    assert set(table["program"]) == {p.id for p in s.programs}
    assert table["usable"].any()
    result = evfab.plan.plan(evfab.compile(s))
    assert result.ok, result.status


# --- china-ev ---------------------------------------------------------------------------

POLICY_RULES: dict[dt.date, dict[str, object]] = {
    dt.date(2015, 7, 10): {"new_licences": True, "contract_manufacturing": True},
    dt.date(2017, 6, 1): {"new_licences": False},
    dt.date(2019, 1, 10): {"new_licences": True, "min_capacity": 100_000},
    dt.date(2019, 6, 1): {"contract_manufacturing": None, "dormant_exit_months": 12},
    dt.date(2020, 9, 1): {"dormant_exit_months": 24},
}
"""The five rule changes: 2015 provisions, 2017 halt, Order 22, Order 50, Order 54's exit rule."""

CASES: dict[str, tuple[str, ...]] = {
    "contract_manufacturing": ("nio-jac", "xpeng-haima"),
    "acquisition_licence": ("li-lifan-licence",),
    "acquisition_delivery": ("li-lifan-delivery",),
    "own_plant": ("tesla-shanghai-plant",),
    "licence_application": ("tesla-licence",),
}
"""Case ids behind each prior, as documented in :mod:`evfab.priors`."""


@pytest.fixture
def china() -> Scenario:
    return _load("china-ev")


def test_china_ev_policy_timeline(china: Scenario) -> None:
    by_date = {p.since: p for p in china.policy}
    assert set(POLICY_RULES) <= set(by_date)
    for since, rules in POLICY_RULES.items():
        for key, value in rules.items():
            assert getattr(by_date[since], key) == value, (since, key)
    # Any other period (the Order 50 release) sets no rule: it only marks a date.
    for since, period in by_date.items():
        if since not in POLICY_RULES:
            assert period.model_fields_set <= {"since", "name", "sources"}, since


def test_china_ev_policy_in_force(china: Scenario) -> None:
    state = evfab.compile(china).policy_at(china.as_of)
    assert state.new_licences
    assert state.contract_manufacturing
    assert state.badge_names_manufacturer
    assert state.min_capacity == 100_000
    assert state.dormant_exit_months == 24


def test_china_ev_history(china: Scenario) -> None:
    cases = {c.id: c for c in china.history}
    expected = {
        "nio-jac": (dt.date(2016, 5, 23), dt.date(2018, 6, 28)),
        "xpeng-haima": (dt.date(2017, 9, 29), dt.date(2018, 12, 12)),
        "li-lifan-licence": (dt.date(2018, 12, 18), dt.date(2019, 2, 21)),
        "li-lifan-delivery": (dt.date(2018, 12, 18), dt.date(2019, 12, 1)),
        "tesla-shanghai-plant": (dt.date(2019, 1, 7), dt.date(2019, 12, 30)),
        "li-beijing-plant": (dt.date(2021, 10, 1), dt.date(2023, 8, 1)),
        "tesla-licence": (dt.date(2018, 7, 11), dt.date(2019, 11, 13)),
        "xiaomi-licence": (dt.date(2022, 4, 1), dt.date(2023, 8, 23)),
    }
    for cid, (start, end) in expected.items():
        assert (cases[cid].start, cases[cid].end) == (start, end), cid
    # A case may end after as_of (the record is historical) ...
    assert cases["li-beijing-plant"].end is not None
    assert cases["li-beijing-plant"].end > china.as_of
    # ... and the Xiaomi filing date is not in the facts, so an assumption stands behind it.
    status = {src.id: src.status for src in china.sources}
    assert Status.ASSUMPTION in {status[x] for x in cases["xiaomi-licence"].sources}
    # Open cases (no end) are kept but not fitted.
    open_cases = {c.id for c in china.history if c.end is None}
    assert not open_cases & set(expected)


def test_china_ev_conflicts_are_unclear(china: Scenario) -> None:
    status = {src.id: src.status for src in china.sources}
    for a, b in [
        ("order50-released-1127", "order50-released-1206"),
        ("ndrc-18-licences", "ndrc-three-not-new"),
        ("yizhuang-construction", "yizhuang-construction-alt"),
        ("nio-fee-sec", "nio-fee"),
    ]:
        assert (status[a], status[b]) == (Status.UNCLEAR, Status.UNCLEAR), (a, b)


def test_calibrate_golden(china: Scenario) -> None:
    fitted = calibrate(china)
    assert {p.kind: (p.min, p.mode, p.max) for p in fitted} == PRIORS
    assert {p.kind: p.cases for p in fitted} == CASES


def test_the_facts_file_is_the_shared_one() -> None:
    """data/china-ev-facts.csv is a copy of the facts the bundled scenarios cite."""
    root = Path(__file__).resolve().parents[1]
    shared = root.parent / "shared" / "data" / "china-ev-facts.csv"
    if not shared.exists():
        pytest.skip("../shared/data not present")
    assert (root / "data" / "china-ev-facts.csv").read_bytes() == shared.read_bytes()
