"""Tests of the world compiler: policy resolution, dates, capacity by year, lookups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import evfab
from conftest import MINIMAL
from evfab._scenario import STATUS_RANK, PolicyPeriod, Status
from evfab._world import (
    World,
    _year_fractions_many,
    add_calendar_months,
    add_months,
    compile_world,
    resolve_policy,
    year_fractions,
)
from evfab.priors import PRIORS

D = dt.date


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(MINIMAL)
    return doc


def _world(doc: dict[str, Any]) -> World:
    return compile_world(evfab.loads(yaml.safe_dump(doc, sort_keys=False)))


# --- dates -------------------------------------------------------------------------


def test_add_months_uses_mean_month_length() -> None:
    assert add_months(D(2022, 1, 1), 0) == D(2022, 1, 1)
    assert add_months(D(2022, 1, 1), 6) == D(2022, 7, 3)  # 182.6 days
    assert add_months(D(2022, 1, 1), 12) == D(2023, 1, 1)
    assert add_months(D(2022, 1, 1), 1.5) == D(2022, 2, 16)


def test_year_fractions_prorates_the_start_year() -> None:
    years = np.arange(2021, 2025)
    np.testing.assert_allclose(year_fractions(D(2022, 7, 3), years), [0, 182 / 365, 1, 1])
    np.testing.assert_allclose(year_fractions(D(2024, 1, 1), years), [0, 0, 0, 1])
    # Leap year: 2024-07-01 is day 183 of 366.
    np.testing.assert_allclose(year_fractions(D(2024, 7, 1), years), [0, 0, 0, 184 / 366])
    np.testing.assert_allclose(year_fractions(D(2010, 5, 1), years), [1, 1, 1, 1])
    np.testing.assert_allclose(year_fractions(D(2030, 1, 1), years), [0, 0, 0, 0])
    # 2100 is not a leap year (divisible by 100, not by 400): 2100-07-02 is day 183 of 365.
    late = np.arange(2099, 2101)
    np.testing.assert_allclose(year_fractions(D(2100, 7, 2), late), [0, 183 / 365])
    np.testing.assert_allclose(_year_fractions_many([D(2100, 7, 2)], late), [[0, 183 / 365]])


def test_year_fractions_many_equal_year_fractions_bit_for_bit() -> None:
    """The batched fractions behind plant capacities are the scalar ones, floats included."""
    years = np.arange(2021, 2033)
    rng = np.random.default_rng(7)
    starts = [D(2015, 1, 1) + dt.timedelta(days=int(k)) for k in rng.integers(0, 25 * 365, 3000)]
    starts += [D(2020, 12, 31), D(2021, 1, 1), D(2024, 2, 29), D(2032, 12, 31), D(2033, 1, 1)]
    many = _year_fractions_many(starts, years)
    for d, row in zip(starts, many, strict=True):
        assert np.array_equal(row, year_fractions(d, years)), d


# --- policy ------------------------------------------------------------------------


def _periods() -> list[PolicyPeriod]:
    return [
        PolicyPeriod.model_validate(
            {
                "since": "2015-07",
                "name": "A",
                "new_licences": True,
                "min_capacity": 0,
                "contract_manufacturing": False,
                "sources": ["sa"],
            }
        ),
        PolicyPeriod.model_validate(
            {"since": "2017-06", "name": "halt", "new_licences": False, "sources": ["sb"]}
        ),
        PolicyPeriod.model_validate(
            {
                "since": "2019-01",
                "name": "C",
                "new_licences": True,
                "min_capacity": 100000,
                "sources": ["sc"],
            }
        ),
    ]


def test_resolve_policy_carries_unset_rules_over() -> None:
    a, b, c = resolve_policy(_periods(), "bev_passenger")
    assert (a.new_licences, b.new_licences, c.new_licences) == (True, False, True)
    assert (a.min_capacity, b.min_capacity, c.min_capacity) == (0, 0, 100000)
    assert not b.contract_manufacturing and not c.contract_manufacturing
    # Defaults fill rules no period sets; the review time is the calibrated prior.
    assert c.review.mode == PRIORS["licence_application"][1] and c.approval_probability == 1.0
    assert c.review_is_prior
    assert c.dormant_exit_months == 0 and not c.badge_names_manufacturer
    assert b.set_on["new_licences"] == (D(2017, 6, 1), "halt")
    assert c.set_on["new_licences"] == (D(2019, 1, 1), "C")
    assert c.set_on["contract_manufacturing"] == (D(2015, 7, 1), "A")
    assert "review_months" not in c.set_on


def test_resolve_policy_sources_are_those_of_rules_in_force() -> None:
    a, b, c = resolve_policy(_periods(), "bev_passenger")
    assert a.sources == ("sa",)
    assert b.sources == ("sa", "sb")
    # The halt's only rule was overridden in 2019: its source no longer supports anything.
    assert c.sources == ("sa", "sc")


def test_policy_at_picks_the_period_in_force() -> None:
    doc = _doc()
    doc["policy"].append({"since": "2023-01", "name": "later", "contract_manufacturing": False})
    w = _world(doc)
    assert w.policy_at(D(2014, 1, 1)).since == D(2015, 1, 1)  # before all: the first
    assert w.policy_at(D(2022, 12, 31)).contract_manufacturing
    assert not w.policy_at(D(2023, 1, 1)).contract_manufacturing
    assert w.policy_at(D(2023, 1, 1)).name == "later"


# --- compiled tables ---------------------------------------------------------------


def test_compile_minimal_tables_and_arrays() -> None:
    w = _world(_doc())
    assert list(w.years) == [2022, 2023, 2024, 2025, 2026]
    assert w.plants.at["old-plant", "nameplate"] == 100000
    assert w.plants.at["old-plant", "owners"] == {"oldco": 1.0}
    assert list(w.committed[0]) == [20000, 0, 0, 0, 0]
    assert list(w.demand[0]) == [0, 10000, 50000, 0, 0]
    assert w.cites[("offer", "cm")] == ("a1",)
    assert w.cites[("licence", "oldco-bev")] == ("s1",)
    assert w.offers.at["cm", "detail"]["host"] == "oldco"
    assert w.sources.at["a1", "rank"] == STATUS_RANK[Status.ASSUMPTION]


def test_affiliates_follow_the_parent_chain() -> None:
    doc = _doc()
    doc["companies"] += [
        {"id": "sub", "name": "Sub", "kind": "automaker", "parent": "newco"},
        {"id": "subsub", "name": "SubSub", "kind": "automaker", "parent": "sub"},
    ]
    w = _world(doc)
    assert w.affiliates("newco") == {"newco", "sub", "subsub"}
    assert w.affiliates("sub") == {"sub", "subsub"}
    assert w.affiliates("oldco") == {"oldco"}
    assert w.company_name("sub") == "Sub"


def test_weakest_is_the_max_rank_status() -> None:
    assert [s.value for s in sorted(Status, key=STATUS_RANK.__getitem__)] == [
        "confirmed",
        "reported",
        "assumption",
        "declined_to_comment",
        "unclear",
        "denied",
    ]
    doc = _doc()
    doc["sources"] += [
        {"id": s.value, "status": s.value, "url": "https://example.org/" + s.value}
        for s in Status
        if s is not Status.ASSUMPTION
    ]
    w = _world(doc)
    assert w.weakest([]) is Status.ASSUMPTION
    assert w.weakest(["confirmed", "reported"]) is Status.REPORTED
    assert w.weakest(["confirmed", "a1"]) is Status.ASSUMPTION
    assert w.weakest(["a1", "declined_to_comment"]) is Status.DECLINED_TO_COMMENT
    assert w.weakest(("unclear", "declined_to_comment", "s1")) is Status.UNCLEAR
    assert w.weakest(["denied", "unclear", "confirmed"]) is Status.DENIED


# --- capacity by year --------------------------------------------------------------


def _plants_doc() -> dict[str, Any]:
    doc = _doc()
    doc["plants"] += [
        {
            "id": "ramp",
            "name": "Ramp",
            "operator": "newco",
            "status": "under_construction",
            "construction_start": "2021-01",
            "phases": [{"capacity": 100000, "ready": "2022-07"}, {"capacity": 50000, "months": 36}],
        },
        {
            "id": "new",
            "name": "New",
            "operator": "newco",
            "status": "planned",
            "phases": [{"capacity": 100000, "months": 12}, {"capacity": 100000, "months": 24}],
        },
    ]
    doc["offers"].append({"id": "build", "kind": "build_plant", "to": "newco", "plant": "new"})
    return doc


def test_plant_capacity_prorates_each_phase() -> None:
    w = _world(_plants_doc())
    np.testing.assert_allclose(w.plant_capacity("old-plant"), [100000] * 5)
    # Phase 1 ready 2022-07-01 (day 182); phase 2 36 months (1,096 days) after the
    # construction start 2021-01-01, i.e. 2024-01-02.
    np.testing.assert_allclose(
        w.plant_capacity("ramp"),
        [100000 * 184 / 365, 100000, 100000 + 50000 * 365 / 366, 150000, 150000],
    )
    assert w.first_ready("ramp") == D(2022, 7, 1)


def test_plant_capacity_of_a_planned_plant_counts_from_the_build_start() -> None:
    w = _world(_plants_doc())
    # Without a start: as_of; phases ready 2023-01-01 and 2024-01-01.
    np.testing.assert_allclose(w.plant_capacity("new"), [0, 100000, 200000, 200000, 200000])
    assert w.first_ready("new", D(2023, 1, 1)) == D(2024, 1, 1)
    # From 2023-01-01: 12 months = 365 days -> 2024-01-01; 24 months = 730 days -> 2024-12-31.
    np.testing.assert_allclose(
        w.plant_capacity("new", D(2023, 1, 1)), [0, 0, 100000 + 100000 / 366, 200000, 200000]
    )


def test_plant_capacity_since_counts_phases_from_that_date() -> None:
    w = _world(_plants_doc())
    np.testing.assert_allclose(
        w.plant_capacity("old-plant", since=D(2022, 7, 3)), [100000 * 182 / 365, *[100000] * 4]
    )
    # A phase ready after `since` still counts from its own ready date.
    np.testing.assert_allclose(
        w.plant_capacity("ramp", since=D(2023, 7, 3)),
        [0, 100000 * 182 / 365, 100000 + 50000 * 365 / 366, 150000, 150000],
    )


def test_plant_capacities_equal_plant_capacity_bit_for_bit() -> None:
    """The batched capacities are the per-plant ones, floats included, in key order."""
    from evfab.generate import generate

    generated = evfab.Scenario.model_validate(generate(programs=20, plants=30, seed=4))
    china = evfab.load("china-ev")
    makers = [
        lambda: _world(_plants_doc()),
        lambda: evfab.compile(generated),
        lambda: evfab.compile(china),
    ]
    for make in makers:
        # Two worlds, so that neither answer is read from the other's memo.
        one, other = make(), make()
        starts = [None, one.as_of, D(one.as_of.year + 1, 3, 9), D(one.as_of.year - 3, 12, 31)]
        keys = [(p, s) for s in starts for p in one.plant_ids]
        keys = keys[::-1] + keys[:3]  # any order, repeats allowed
        batch = one.plant_capacities(keys)
        assert batch.shape == (len(keys), len(one.years))
        for row, (p, s) in zip(batch, keys, strict=True):
            assert np.array_equal(row, other.plant_capacity(p, s)), (p, s)
        assert one.plant_capacities([]).shape == (0, len(one.years))


@pytest.mark.parametrize("year", [2021, 2027])
def test_committed_outside_the_years_is_rejected(year: int) -> None:
    # compile_world indexes committed load by year; the checks must keep it in range.
    doc = _doc()
    doc["plants"][0]["committed"] = {year: 1000}
    with pytest.raises(evfab.ScenarioError, match="outside"):
        evfab.loads(yaml.safe_dump(doc))


_TABLES = ("sources", "companies", "licences", "plants", "phases", "programs", "offers")


@pytest.mark.parametrize("name", ["xiaomi-2022", "china-ev"])
def test_planning_builds_no_pandas_table(name: str) -> None:
    """The engines read the world's columns; its tables are built only for reports."""
    from evfab.plan import PlanOptions, plan

    world = evfab.compile(evfab.load(name))
    result = plan(world, PlanOptions(capacity_values=False, alternatives=False))
    assert result.ok
    assert [t for t in _TABLES if t in world.__dict__] == []
    # Asking for a table builds it, with the same ids the columns use.
    assert list(world.programs.index) == world.program_ids
    assert world.programs["company"].tolist() == world.column("programs", "company")


@pytest.mark.parametrize(
    ("start", "months", "want"),
    [
        (D(2023, 1, 1), 24, D(2025, 1, 1)),
        (D(2019, 12, 1), 26, D(2022, 2, 1)),
        (D(2021, 1, 31), 1, D(2021, 2, 28)),  # a day the month lacks: its last day
        (D(2019, 2, 28), 12, D(2020, 2, 28)),
        (D(2020, 2, 29), 12, D(2021, 2, 28)),
        (D(2022, 11, 15), 2, D(2023, 1, 15)),
    ],
)
def test_calendar_months(start: dt.date, months: int, want: dt.date) -> None:
    assert add_calendar_months(start, months) == want


def test_for_scope_is_the_world_itself_unless_a_period_is_limited() -> None:
    w = evfab.compile(evfab.load("xiaomi-2022"))
    assert w.for_scope("erev_passenger") is w
    scoped = evfab.compile(evfab.load(Path(__file__).parent / "data" / "scoped-halt.yaml"))
    assert scoped.for_scope("bev_passenger") is scoped  # its policy is the default scope's
    erev = scoped.for_scope("erev_passenger")
    assert erev is scoped.for_scope("erev_passenger")  # made once
    # A view's views are the compiled world's.
    assert erev.for_scope("bev_passenger") is scoped
    assert erev.for_scope("ice_passenger") is scoped.for_scope("ice_passenger")
    assert [p.new_licences for p in scoped.policy] == [True, False, True]
    assert [p.new_licences for p in erev.policy] == [True, True, True]
    assert scoped.licence_bans and not erev.licence_bans
    on = dt.date(2017, 1, 1)
    assert scoped.policy_at(on, "erev_passenger") is erev.policy_at(on)
    assert not scoped.policy_at(on).new_licences and erev.policy_at(on).new_licences
    # The tables are shared, not rebuilt.
    assert erev._raw is scoped._raw and erev.demand is scoped.demand
