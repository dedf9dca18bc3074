"""Tests of :mod:`evfab._policy_diff`: the policy periods a what-if adds, removes or edits."""

from __future__ import annotations

import datetime as dt

from evfab._policy_diff import policy_changes, rules_text
from evfab._scenario import PolicyPeriod

D = dt.date
BASE = (
    PolicyPeriod(since=D(2015, 7, 10), name="provisions", new_licences=True, min_capacity=0),
    PolicyPeriod(since=D(2019, 1, 10), name="Order 22", min_capacity=100000),
)


def test_an_unchanged_timeline_has_no_change() -> None:
    assert policy_changes(BASE, BASE).empty


def test_added_removed_and_changed_periods_in_date_order() -> None:
    after = (
        BASE[0],
        PolicyPeriod(
            since=D(2017, 6, 1), name="BEV halt", scopes=["bev_passenger"], new_licences=False
        ),
        PolicyPeriod(since=D(2019, 1, 10), name="Order 22", min_capacity=50000),
        PolicyPeriod(since=D(2021, 1, 1), name="note only"),
    )
    got = policy_changes(BASE, after).to_dict("records")
    assert [(r["change"], r["since"], r["name"]) for r in got] == [
        ("added", D(2017, 6, 1), "BEV halt"),
        ("changed", D(2019, 1, 10), "Order 22"),
        ("added", D(2021, 1, 1), "note only"),
    ]
    assert got[0]["scopes"] == ["bev_passenger"]
    assert (got[0]["rules_before"], got[0]["rules_after"]) == (None, "new licences not granted")
    assert (got[1]["rules_before"], got[1]["rules_after"]) == (
        "min capacity 100,000/yr",
        "min capacity 50,000/yr",
    )
    assert got[2]["rules_after"] == "sets no rule"
    # Dropping a period is a removal.
    (gone,) = policy_changes(after, BASE[:1] + after[1:2] + after[2:3]).to_dict("records")
    assert (gone["change"], gone["rules_after"]) == ("removed", None)


def test_one_date_for_two_scopes_is_two_periods() -> None:
    bev = PolicyPeriod(since=D(2017, 6, 1), scopes=["bev_passenger"], new_licences=False)
    ice = PolicyPeriod(since=D(2017, 6, 1), scopes=["ice_passenger"], new_licences=False)
    got = policy_changes((bev,), (bev, ice)).to_dict("records")
    assert [(r["change"], r["scopes"]) for r in got] == [("added", ["ice_passenger"])]


def test_a_change_that_prints_alike_is_still_a_change() -> None:
    # 0.951 -> 0.954 both read "95 %": the comparison said the policy had not changed.
    a = PolicyPeriod(since=D(2015, 1, 1), approval_probability=0.951)
    b = PolicyPeriod(since=D(2015, 1, 1), approval_probability=0.954)
    (row,) = policy_changes((a,), (b,)).to_dict("records")
    assert (row["rules_before"], row["rules_after"]) == (
        "approval chance 95.1%",
        "approval chance 95.4%",
    )


def test_rules_in_words() -> None:
    p = PolicyPeriod(
        since=D(2020, 1, 1),
        review_months=12,
        approval_probability=0.5,
        contract_manufacturing=False,
        badge_names_manufacturer=True,
        dormant_exit_months=0,
    )
    assert rules_text(p) == (
        "review 12/12/12 months; approval chance 50%; contract manufacturing not allowed; "
        "car names its manufacturer of record; no exit rule"
    )
    assert rules_text(None) is None
