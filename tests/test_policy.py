"""Tests of the resolved policy timeline (:mod:`evfab._policy`)."""

from __future__ import annotations

import datetime as dt

from evfab._policy import bans, resolve_policy
from evfab._scenario import PolicyPeriod

D = dt.date
MIN = None  # an open start: in force since before as_of


def timeline(*periods: tuple[str, bool | None]) -> list[PolicyPeriod]:
    return [PolicyPeriod(since=D.fromisoformat(s), new_licences=on) for s, on in periods]


def test_bans_merge_periods_that_keep_a_rule_off() -> None:
    states = resolve_policy(
        timeline(
            ("2015-01-01", True),
            ("2017-06-01", False),
            ("2018-01-01", None),  # changes nothing on licences: the ban goes on
            ("2019-01-10", True),
            ("2024-01-01", False),
        )
    )
    assert bans(states, "new_licences", D(2016, 1, 1)) == (
        (D(2017, 6, 1), D(2019, 1, 10)),
        (D(2024, 1, 1), None),
    )
    # Contract manufacturing is allowed by default throughout.
    assert bans(states, "contract_manufacturing", D(2016, 1, 1)) == ()


def test_a_ban_over_by_as_of_is_dropped_and_one_in_force_reaches_back() -> None:
    states = resolve_policy(
        timeline(("2015-01-01", True), ("2017-06-01", False), ("2019-01-10", True))
    )
    assert bans(states, "new_licences", D(2019, 1, 10)) == ()
    # In force on as_of: anything due earlier happens on as_of, inside the ban.
    assert bans(states, "new_licences", D(2018, 1, 1)) == ((MIN, D(2019, 1, 10)),)
    assert bans(states, "new_licences", D(2017, 6, 1)) == ((MIN, D(2019, 1, 10)),)
    states = resolve_policy(timeline(("2015-01-01", False)))
    assert bans(states, "new_licences", D(2022, 1, 1)) == ((MIN, None),)


def test_dormant_exit_months_0_abolishes_the_rule_and_unset_carries_it_over() -> None:
    states = resolve_policy(
        [
            PolicyPeriod(since=D(2019, 6, 1), name="Order 50", dormant_exit_months=12),
            PolicyPeriod(since=D(2020, 9, 1), name="Order 54", dormant_exit_months=24),
            PolicyPeriod(since=D(2023, 1, 1), name="Review", dormant_exit_months=None),
            PolicyPeriod(since=D(2025, 1, 1), name="Abolition", dormant_exit_months=0),
        ]
    )
    assert [s.dormant_exit_months for s in states] == [12, 24, 24, 0]
    # Abolishing is setting a rule: its date and period are where the value comes from.
    assert states[2].set_on["dormant_exit_months"] == (D(2020, 9, 1), "Order 54")
    assert states[3].set_on["dormant_exit_months"] == (D(2025, 1, 1), "Abolition")


def test_sources_by_rule_tie_sources_to_rules_and_the_rest_back_the_whole_period() -> None:
    period = PolicyPeriod.model_validate(
        {
            "since": "2019-01-10",
            "name": "Order 22",
            "new_licences": True,
            "min_capacity": 100000,
            "approval_probability": 0.5,
            "sources": ["order", "draft", "odds", "shared"],
            "sources_by_rule": {
                "min_capacity": ["draft", "shared"],
                "approval_probability": ["odds"],
            },
        }
    )
    (state,) = resolve_policy([period])
    assert state.cites("new_licences") == ("order",)
    assert state.cites("min_capacity") == ("order", "draft", "shared")
    assert state.cites("approval_probability") == ("order", "odds")
    # Rules the period does not set have no sources (their defaults rest on nothing).
    assert state.cites("contract_manufacturing") == ()
    assert state.sources == ("order", "draft", "odds", "shared")
    # A plain list backs every rule the period sets.
    (plain,) = resolve_policy([period.model_copy(update={"sources_by_rule": None})])
    assert plain.cites("new_licences") == plain.cites("min_capacity") == plain.sources
