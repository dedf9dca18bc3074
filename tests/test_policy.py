"""Tests of the resolved policy timeline (:mod:`evfab._policy`)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

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
        ),
        "bev_passenger",
    )
    assert bans(states, "new_licences", D(2016, 1, 1)) == (
        (D(2017, 6, 1), D(2019, 1, 10)),
        (D(2024, 1, 1), None),
    )
    # Contract manufacturing is allowed by default throughout.
    assert bans(states, "contract_manufacturing", D(2016, 1, 1)) == ()


def test_a_ban_over_by_as_of_is_dropped_and_one_in_force_reaches_back() -> None:
    states = resolve_policy(
        timeline(("2015-01-01", True), ("2017-06-01", False), ("2019-01-10", True)),
        "bev_passenger",
    )
    assert bans(states, "new_licences", D(2019, 1, 10)) == ()
    # In force on as_of: anything due earlier happens on as_of, inside the ban.
    assert bans(states, "new_licences", D(2018, 1, 1)) == ((MIN, D(2019, 1, 10)),)
    assert bans(states, "new_licences", D(2017, 6, 1)) == ((MIN, D(2019, 1, 10)),)
    states = resolve_policy(timeline(("2015-01-01", False)), "bev_passenger")
    assert bans(states, "new_licences", D(2022, 1, 1)) == ((MIN, None),)


def test_dormant_exit_months_0_abolishes_the_rule_and_unset_carries_it_over() -> None:
    states = resolve_policy(
        [
            PolicyPeriod(since=D(2019, 6, 1), name="Order 50", dormant_exit_months=12),
            PolicyPeriod(since=D(2020, 9, 1), name="Order 54", dormant_exit_months=24),
            PolicyPeriod(since=D(2023, 1, 1), name="Review", dormant_exit_months=None),
            PolicyPeriod(since=D(2025, 1, 1), name="Abolition", dormant_exit_months=0),
        ],
        "bev_passenger",
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
    (state,) = resolve_policy([period], "bev_passenger")
    assert state.cites("new_licences") == ("order",)
    assert state.cites("min_capacity") == ("order", "draft", "shared")
    assert state.cites("approval_probability") == ("order", "odds")
    # Rules the period does not set have no sources (their defaults rest on nothing).
    assert state.cites("contract_manufacturing") == ()
    assert state.sources == ("order", "draft", "odds", "shared")
    # A plain list backs every rule the period sets.
    (plain,) = resolve_policy(
        [period.model_copy(update={"sources_by_rule": None})], "bev_passenger"
    )
    assert plain.cites("new_licences") == plain.cites("min_capacity") == plain.sources


def test_a_period_limited_to_some_scopes_sets_nothing_for_the_others() -> None:
    periods = [
        PolicyPeriod(since=D(2015, 1, 1), name="base", review_months=12, sources=["b"]),
        PolicyPeriod(
            since=D(2017, 6, 1),
            name="BEV halt",
            scopes=["bev_passenger"],
            new_licences=False,
            min_capacity=100000,
            sources=["h"],
        ),
        PolicyPeriod(since=D(2019, 1, 10), name="reform", review_months=6, sources=["r"]),
    ]
    bev = resolve_policy(periods, "bev_passenger")
    ice = resolve_policy(periods, "ice_passenger")
    # One state per period on every timeline, so dates line up.
    assert [s.since for s in bev] == [s.since for s in ice] == [p.since for p in periods]
    assert [s.new_licences for s in bev] == [True, False, False]
    assert [s.new_licences for s in ice] == [True, True, True]
    assert [s.min_capacity for s in ice] == [0, 0, 0]
    # The base's source backed only its review time, which the reform replaced.
    assert bev[2].min_capacity == 100000 and bev[2].sources == ("h", "r")
    # The halt's date starts an ICE state with the rules (and name) in force before it.
    assert ice[1].name == "base" and ice[1].sources == ("b",)
    assert [s.applies for s in ice] == [True, False, True] and all(s.applies for s in bev)
    assert ice[2].review.mode == 6 and ice[2].sources == ("r",)
    assert bans(bev, "new_licences", D(2016, 1, 1)) == ((D(2017, 6, 1), None),)
    assert bans(ice, "new_licences", D(2016, 1, 1)) == ()
    # No scope (None): as for a scope no period names.
    assert [s.new_licences for s in resolve_policy(periods, None)] == [True, True, True]


def test_a_first_period_limited_to_another_scope_leaves_the_defaults() -> None:
    periods = [
        PolicyPeriod(since=D(2015, 1, 1), scopes=["bev_passenger"], new_licences=False),
        PolicyPeriod(since=D(2018, 1, 1), approval_probability=0.5),
    ]
    ice = resolve_policy(periods, "ice_passenger")
    assert ice[0].new_licences and ice[0].review_is_prior and ice[0].sources == ()
    assert (ice[0].name, ice[0].applies) == ("", False)
    assert ice[1].approval_probability == 0.5 and ice[1].new_licences
    assert not resolve_policy(periods, "bev_passenger")[1].new_licences


_RULE_VALUES = {
    "new_licences": st.none() | st.booleans(),
    "min_capacity": st.none() | st.sampled_from([0, 50_000, 100_000]),
    "contract_manufacturing": st.none() | st.booleans(),
    "dormant_exit_months": st.none() | st.sampled_from([0, 12, 24]),
}


@st.composite
def _scoped_timelines(draw: st.DrawFn) -> list[PolicyPeriod]:
    """Periods on distinct dates, some limited to one or two of three scopes."""
    days = sorted(draw(st.sets(st.integers(0, 3000), min_size=1, max_size=6)))
    scopes = st.none() | st.lists(
        st.sampled_from(["bev_passenger", "erev_passenger", "ice_passenger"]),
        min_size=1,
        max_size=2,
        unique=True,
    )
    return [
        PolicyPeriod(
            since=D(2015, 1, 1) + dt.timedelta(days=day),
            name=f"p{i}",
            scopes=draw(scopes),
            **{rule: draw(values) for rule, values in _RULE_VALUES.items()},
        )
        for i, day in enumerate(days)
    ]


@settings(max_examples=80, deadline=None)
@given(periods=_scoped_timelines(), scope=st.sampled_from(["bev_passenger", "ice_passenger"]))
def test_a_scopes_timeline_is_that_of_the_periods_bearing_on_it(
    periods: list[PolicyPeriod], scope: str
) -> None:
    """Resolved for a scope, the timeline has the rules of the periods that bear on it
    alone, on every date; a period limited to other scopes changes nothing."""
    scoped = resolve_policy(periods, scope)
    own = [p for p in periods if p.scopes is None or scope in p.scopes]
    plain = resolve_policy([p.model_copy(update={"scopes": None}) for p in own], scope)
    assert len(scoped) == len(periods)
    rules = ("new_licences", "min_capacity", "contract_manufacturing", "dormant_exit_months")
    for state in scoped:
        before = [s for s in plain if s.since <= state.since]
        want = before[-1] if before else None
        got = tuple(getattr(state, r) for r in rules)
        if want is None:  # no period of its own yet: the defaults
            assert got == (True, 0, True, 0) and not state.set_on
        else:
            assert got == tuple(getattr(want, r) for r in rules)
            assert state.sources == want.sources
    for rule in ("new_licences", "contract_manufacturing"):
        want_bans = bans(resolve_policy(own, scope), rule, D(2015, 1, 1)) if own else ()
        assert bans(scoped, rule, D(2015, 1, 1)) == want_bans
