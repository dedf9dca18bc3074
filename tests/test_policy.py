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
