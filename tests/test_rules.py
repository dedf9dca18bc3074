"""Tests of the licensing rules engine (:func:`evfab.derive_routes`).

Each unit test builds a small scenario from ``MINIMAL`` (as of 2022-01-01, horizon 2026:
NewCo, a newcomer with a ``co_brand`` program; OldCo, a licensed automaker with a
100,000/year plant carrying 20,000 cars of its own in 2022; a contract-manufacturing
offer ``cm`` from OldCo, 6 months' lead, co-brand terms) and checks one rule with
concrete values. Month arithmetic uses 365.25/12 days, so 3 months after 2022-01-01 is
2022-04-02 and 6 months is 2022-07-03.

The golden test pins the bundled xiaomi-2022 route table in
``tests/golden/xiaomi-2022-routes.json``; the property test runs the engine on random
valid scenarios.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import evfab
from conftest import MINIMAL, update_golden
from evfab import Route
from evfab._scenario import STATUS_RANK, Status

D = dt.date
AS_OF = D(2022, 1, 1)
CM = "partner:cm@partner:old-plant"
# The first-year share of the year after the CM route's SOP, 2022-07-03 (day 184).
H2 = 182 / 365


# --- helpers -----------------------------------------------------------------------


def doc() -> dict[str, Any]:
    """MINIMAL as a dict, to mutate."""
    d: dict[str, Any] = yaml.safe_load(MINIMAL)
    return d


def load(d: dict[str, Any]) -> evfab.Scenario:
    return evfab.loads(yaml.safe_dump(d, sort_keys=False))


def routes(d: dict[str, Any], program: str | None = None) -> dict[str, Route]:
    """Routes of a scenario dict, by id."""
    out = evfab.derive_routes(evfab.compile(load(d)), program)
    return {r.id: r for r in out}


def policy(d: dict[str, Any], **rules: Any) -> dict[str, Any]:
    d["policy"][0].update(rules)
    return d


def offer(d: dict[str, Any], **o: Any) -> dict[str, Any]:
    d["offers"].append(o)
    return d


def cm(d: dict[str, Any], **terms: Any) -> dict[str, Any]:
    d["offers"][0].update(terms)
    return d


def licence(d: dict[str, Any], lid: str, holder: str, status: str, **kw: Any) -> dict[str, Any]:
    d["licences"].append({"id": lid, "holder": holder, "status": status, **kw})
    return d


def plant(
    d: dict[str, Any], pid: str, operator: str, phases: list[dict[str, Any]], **kw: Any
) -> dict[str, Any]:
    kw.setdefault("status", "operating")
    d["plants"].append(
        {"id": pid, "name": pid.title(), "operator": operator, "phases": phases, **kw}
    )
    return d


def own_plant(d: dict[str, Any], capacity: int = 150000, ready: str = "2015-01") -> dict[str, Any]:
    return plant(d, "np", "newco", [{"capacity": capacity, "ready": ready}], unit_cost=120)


def held(d: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return licence(d, "newco-bev", "newco", "held", **kw)


def applied(d: dict[str, Any], on: str = "2021-06", **kw: Any) -> dict[str, Any]:
    return licence(d, "newco-bev", "newco", "applied", applied_on=on, **kw)


# --- the baseline: contract manufacturing ------------------------------------------


def test_contract_manufacturing_route_in_minimal() -> None:
    rs = routes(doc())
    assert list(rs) == [CM]
    r = rs[CM]
    assert (r.program, r.company, r.licence_source, r.plant_source) == (
        "newcar",
        "newco",
        "partner",
        "partner",
    )
    assert (r.licence, r.plant, r.offers) == ("oldco-bev", "old-plant", ("cm",))
    assert r.legal and r.usable and r.why == ()
    assert (r.manufacturer, r.manufacturer_name) == ("oldco", "OldCo")
    assert (r.badge, r.badge_kind, r.names_manufacturer) == ("NewCo x OldCo", "co_brand", "OldCo")
    assert r.earliest_sop == D(2022, 7, 3) and r.sop_driver == "negotiation and tooling 6 months"
    assert r.meets_target and r.target_sop == D(2023, 6, 1)
    # 2022: the second half of the year, net of OldCo's own 20 % load.
    assert r.capacity == {2022: round(100000 * H2 * 0.8), 2023: 100000, 2024: 100000} | {
        2025: 100000,
        2026: 100000,
    }
    assert (r.fixed_cost, r.unit_cost, r.success_probability) == (0.0, 110.0, 1.0)
    assert r.sources == ("a1", "s1")
    assert r.weakest_status == "assumption" and r.warnings == ()


# --- legality under the policy in force --------------------------------------------


def test_new_licence_ban_makes_applications_illegal() -> None:
    d = applied(own_plant(doc()))
    offer(d, id="apply", kind="apply_licence", to="newco", scope="other")
    offer(d, id="apply-bev", kind="apply_licence", to="newco", review_months=10)
    d["policy"].append({"since": "2017-06", "name": "NDRC halt", "new_licences": False})
    rs = routes(d)
    reason = "new licences are not being granted (NDRC halt, since 2017-06-01); the licence cannot be granted"
    for rid in ("applied:newco-bev@own:np", "apply:apply-bev@own:np"):
        assert not rs[rid].legal and not rs[rid].usable
        assert rs[rid].why == (reason,)
    # Other scopes are not this program's routes; a partner's licence is unaffected.
    assert set(rs) == {"applied:newco-bev@own:np", "apply:apply-bev@own:np", CM}
    assert rs[CM].legal


def _two_scopes(d: dict[str, Any]) -> dict[str, Any]:
    """A second program, an EREV, with its own application and OldCo's EREV licence."""
    erev = dict(d["programs"][0], id="erev", name="EREV", scope="erev_passenger")
    d["programs"].append(erev)
    licence(d, "oldco-erev", "oldco", "held", scope="erev_passenger")
    offer(d, id="apply-erev", kind="apply_licence", to="newco", scope="erev_passenger")
    offer(
        d,
        id="cm-erev",
        kind="contract_manufacturing",
        to="newco",
        host="oldco",
        plant="old-plant",
        licence="oldco-erev",
        fee_per_unit=10,
        badge="co_brand",
        lead_months=6,
    )
    return offer(d, id="apply-bev", kind="apply_licence", to="newco")


def _scoped(
    d: dict[str, Any], source: str, since: str, name: str, scope: str, **rules: Any
) -> None:
    """Add a policy period limited to ``scope``, citing a new assumption ``source``."""
    d["sources"].append({"id": source, "status": "assumption", "note": "a what-if"})
    d["policy"].append(
        {"since": since, "name": name, "scopes": [scope], **rules, "sources": [source]}
    )


def test_a_halt_limited_to_one_scope_leaves_the_others_applications_alone() -> None:
    d = _two_scopes(own_plant(doc()))
    _scoped(d, "halt", "2017-06", "BEV halt", "bev_passenger", new_licences=False)
    bev = routes(d, "newcar")["apply:apply-bev@own:np"]
    erev = routes(d, "erev")["apply:apply-erev@own:np"]
    assert not bev.legal and bev.why == (
        "new licences are not being granted (BEV halt, since 2017-06-01); the licence cannot "
        "be granted",
    )
    assert erev.legal and erev.usable
    # The EREV route rests on no source of the halt.
    assert "halt" in bev.sources and "halt" not in erev.sources


def test_a_contract_ban_limited_to_one_scope() -> None:
    d = _two_scopes(own_plant(doc()))
    _scoped(
        d, "ban", "2016-01-01", "no EREV contracts", "erev_passenger", contract_manufacturing=False
    )
    assert routes(d, "newcar")[CM].legal
    cm = routes(d, "erev")["partner:cm-erev@partner:old-plant"]
    assert not cm.legal
    assert cm.why[0].startswith(
        "contract manufacturing is not allowed (no EREV contracts, since 2016-01-01)"
    )
    assert "ban" in cm.sources and "ban" not in routes(d, "newcar")[CM].sources


def test_applications_are_legal_once_the_ban_is_lifted() -> None:
    d = applied(own_plant(doc()), review_months=12)
    d["policy"] += [
        {"since": "2017-06", "new_licences": False},
        {"since": "2019-01", "new_licences": True},
    ]
    r = routes(d)["applied:newco-bev@own:np"]
    assert r.legal and r.usable and r.why == ()
    assert (r.manufacturer, r.names_manufacturer, r.badge) == ("newco", "", "NewCo")
    assert r.earliest_sop == D(2022, 6, 1)
    assert r.sop_driver == "licence review (12 months from 2021-06-01)"


def test_contract_manufacturing_not_allowed_makes_partner_routes_illegal() -> None:
    d = policy(own_plant(doc()), contract_manufacturing=False)
    offer(d, id="umb", kind="licence_umbrella", to="newco", partner="oldco", plants=["np"])
    rs = routes(d)
    assert set(rs) == {CM, "partner:umb@own:np"}
    assert rs[CM].why == (
        "contract manufacturing is not allowed (since 2015-01-01); OldCo cannot build under its licence for others",
    )
    assert not rs["partner:umb@own:np"].legal
    assert rs["partner:umb@own:np"].why[0].startswith("contract manufacturing is not allowed")


def test_partner_without_a_licence_for_the_scope() -> None:
    d = doc()
    d["licences"][0]["scope"] = "ice_passenger"
    r = routes(d)[CM]
    assert not r.legal and r.why == ("OldCo holds no bev_passenger licence",)
    assert r.licence == "-"


@pytest.mark.parametrize(
    ("phases", "legal"),
    [
        ([{"capacity": 150000, "ready": "2015-01"}], False),
        ([{"capacity": 150000, "ready": "2015-01"}, {"capacity": 50000, "ready": "2016-01"}], True),
    ],
)
def test_min_capacity_for_a_new_licence_uses_the_nameplate(
    phases: list[dict[str, Any]], legal: bool
) -> None:
    d = applied(policy(doc(), min_capacity=200000), on="2021-01")
    plant(d, "np", "newco", phases)
    rs = routes(d)
    r = rs["applied:newco-bev@own:np"]
    assert r.legal is legal
    if not legal:
        assert r.why == (
            "plant np has 150,000/year, below the 200,000/year minimum for a new licence "
            "(since 2015-01-01)",
        )
    # Not a new licence: OldCo's 100,000/year plant is fine under contract.
    assert rs[CM].legal


def _build_below_minimum(**modules: Any) -> dict[str, Any]:
    """A pending licence and a 60,000/year plant to build, under a 100,000/year minimum."""
    d = applied(policy(doc(), min_capacity=100000), on="2021-01")
    plant(d, "np", "newco", [{"capacity": 60000, "months": 12}], status="planned")
    return offer(
        d,
        id="b",
        kind="build_plant",
        to="newco",
        plant="np",
        fixed_fee=1e9,
        lead_months=0,
        sources=["a1"],
        **modules,
    )


BUILD = "applied:newco-bev@build:np"


@pytest.mark.parametrize(
    ("max_modules", "module_capacity", "need"),
    [(3, 20000, 2), (2, 20000, 2), (5, 15000, 3), (1, 40000, 1)],
)
def test_min_capacity_reached_with_a_build_offers_modules(
    max_modules: int, module_capacity: int, need: int
) -> None:
    # 40,000 short: two modules of 20,000 reach the minimum exactly; three of 15,000 pass it.
    d = _build_below_minimum(
        module_capacity=module_capacity, max_modules=max_modules, module_fee=1e8
    )
    r = routes(d)[BUILD]
    assert r.legal and r.usable, r.why
    assert r.min_modules == need
    # The modules it needs are part of its one-off cost.
    assert r.fixed_cost == pytest.approx(1e9 + need * 1e8)
    # The route's capacity is still the plant's own; the planner adds the modules.
    assert max(r.capacity.values()) == 60000


@pytest.mark.parametrize(
    ("modules", "tail"),
    [
        ({}, ""),
        (
            {"module_capacity": 20000, "max_modules": 1, "module_fee": 1e8},
            "; with its one extra module of offer b it has 80,000/year",
        ),
        (
            {"module_capacity": 10000, "max_modules": 3, "module_fee": 1e8},
            "; with all 3 extra modules of offer b it has 90,000/year",
        ),
    ],
)
def test_min_capacity_out_of_reach_of_the_modules(modules: dict[str, Any], tail: str) -> None:
    r = routes(_build_below_minimum(**modules))[BUILD]
    assert not r.legal
    assert r.min_modules == 0
    assert r.why == (
        "plant np has 60,000/year, below the 100,000/year minimum for a new licence "
        "(since 2015-01-01)" + tail,
    )


def test_no_modules_needed_at_or_above_the_minimum() -> None:
    d = _build_below_minimum(module_capacity=20000, max_modules=3, module_fee=1e8)
    d["plants"][-1]["phases"] = [{"capacity": 100000, "months": 12}]
    r = routes(d)[BUILD]
    assert r.legal and r.min_modules == 0
    assert r.fixed_cost == pytest.approx(1e9)


def test_min_capacity_does_not_apply_to_a_held_licence() -> None:
    d = held(own_plant(policy(doc(), min_capacity=200000)))
    assert routes(d)["own:newco-bev@own:np"].legal


def test_dormant_own_licence_past_the_exit_rule() -> None:
    d = held(own_plant(policy(doc(), dormant_exit_months=12)), dormant_since="2020-06")
    r = routes(d)["own:newco-bev@own:np"]
    assert not r.legal
    assert r.why == (
        "licence newco-bev has been dormant since 2020-06-01, past the 12-month exit rule "
        "(since 2015-01-01)",
    )


def test_dormant_own_licence_alive_when_production_starts() -> None:
    d = held(own_plant(policy(doc(), dormant_exit_months=12)), dormant_since="2021-06")
    r = routes(d)["own:newco-bev@own:np"]
    assert r.legal and r.earliest_sop == AS_OF
    # Without an exit rule, dormancy does not matter.
    d = held(own_plant(doc()), dormant_since="2015-01")
    assert routes(d)["own:newco-bev@own:np"].legal


def _illegal(r: Route, sop: dt.date, *why: str) -> None:
    """``r`` is illegal, shows ``sop`` as its date and gives exactly the reasons ``why``."""
    assert not r.legal and r.earliest_sop == sop
    assert r.why == why


def _lapsing() -> dict[str, Any]:
    """NewCo's licence, dormant since 2021-06, is withdrawn on 2022-06-01 under a 12-month
    exit rule; its plant, under construction since 2021-01, is ready on 2022-09-01."""
    d = held(
        own_plant(policy(doc(), dormant_exit_months=12), ready="2022-09"), dormant_since="2021-06"
    )
    d["plants"][-1] |= {"status": "under_construction", "construction_start": "2021-01"}
    return d


def test_dormant_licence_lapses_before_the_plant_is_ready() -> None:
    d = _lapsing()
    _illegal(
        routes(d)["own:newco-bev@own:np"],
        D(2022, 9, 1),
        "licence newco-bev, dormant since 2021-06-01, is withdrawn on 2022-06-01 under the "
        "12-month exit rule (since 2015-01-01), before production can start on 2022-09-01",
    )


def test_a_dormancy_deadline_counts_calendar_months() -> None:
    # 26 months after 2019-12-01 is 2022-02-01 (793 days, over 2020-02-29); counted as
    # 26 x 30.44 days it was 791 days, 2022-01-30.
    d = held(
        own_plant(policy(doc(), dormant_exit_months=26), ready="2022-09"), dormant_since="2019-12"
    )
    d["plants"][-1] |= {"status": "under_construction", "construction_start": "2021-01"}
    _illegal(
        routes(d)["own:newco-bev@own:np"],
        D(2022, 9, 1),
        "licence newco-bev, dormant since 2019-12-01, is withdrawn on 2022-02-01 under the "
        "26-month exit rule (since 2015-01-01), before production can start on 2022-09-01",
    )


def test_dormant_partner_licence() -> None:
    d = policy(doc(), dormant_exit_months=24)
    d["licences"][0]["dormant_since"] = "2019-06"
    assert "past the 24-month exit rule" in routes(d)[CM].why[0]


def _buy(d: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return offer(
        d,
        id="buy",
        kind="acquire_company",
        to="newco",
        target="oldco",
        fixed_fee=5e8,
        lead_months=2,
        closing_months=1,
        transfer_months=1,
        success_probability=0.5,
        **kw,
    )


@pytest.mark.parametrize(
    ("dormant_since", "legal"), [("2021-06", True), ("2021-04", False), ("2020-06", False)]
)
def test_dormant_acquired_licence(dormant_since: str, legal: bool) -> None:
    # The licence transfers 4 months on (2022-05-03); the 12-month rule withdraws a licence
    # dormant since 2021-06 on 2022-06-01, one dormant since 2021-04 on 2022-04-01.
    d = _buy(policy(doc(), dormant_exit_months=12))
    d["licences"][0]["dormant_since"] = dormant_since
    r = routes(d)["acquired:buy@acquired:old-plant"]
    assert r.earliest_sop == D(2022, 5, 3)
    assert r.legal is legal
    if dormant_since == "2021-04":
        assert "is withdrawn on 2022-04-01" in r.why[0]


def test_dormant_acquired_licence_with_a_later_own_plant() -> None:
    # Alive when the transfer completes, but withdrawn before the buyer's own plant is ready.
    d = _buy(policy(doc(), dormant_exit_months=12))
    d["licences"][0]["dormant_since"] = "2021-06"
    own_plant(d, ready="2022-09")
    d["plants"][-1] |= {"status": "under_construction", "construction_start": "2021-01"}
    rs = routes(d)
    assert rs["acquired:buy@acquired:old-plant"].legal
    r = rs["acquired:buy@own:np"]
    assert not r.legal and "before production can start on 2022-09-01" in r.why[0]


# --- policy periods after as_of ----------------------------------------------------
# MINIMAL grants licences and allows contract manufacturing from 2015; these tests add
# periods that start after as_of (2022-01-01) and check that each rule applies to what
# happens while it is in force.


def _reported(d: dict[str, Any]) -> dict[str, Any]:
    d["sources"].append({"id": "s2", "status": "reported", "url": "https://example.org/b"})
    return d


def _apply(d: dict[str, Any], **kw: Any) -> dict[str, Any]:
    # Preparation 3 + review 10 months: the licence would be granted on 2023-02-01.
    kw = {"lead_months": 3, "review_months": 10} | kw
    return offer(d, id="apply", kind="apply_licence", to="newco", **kw)


def test_an_application_waits_for_a_later_period_that_grants_licences() -> None:
    d = _reported(_apply(own_plant(policy(doc(), new_licences=False))))
    d["policy"].append(
        {
            "since": "2024-01-01",
            "name": "Reopening",
            "new_licences": True,
            "approval_probability": 0.4,
            "sources": ["s2"],
        }
    )
    r = routes(d)["apply:apply@own:np"]
    assert r.legal and r.usable and r.why == ()
    assert r.earliest_sop == D(2024, 1, 1)
    assert r.sop_driver == (
        "preparation 3 + review 10 months; held until new licences are granted again "
        "from 2024-01-01 (Reopening)"
    )
    assert r.capacity == {2022: 0, 2023: 0, 2024: 150000, 2025: 150000, 2026: 150000}
    # Granted under the reopening's rules, and resting on its sources.
    assert r.success_probability == 0.4
    assert "s2" in r.sources and r.weakest_status == "reported"


def test_a_pending_application_overtaken_by_a_halt_waits_for_the_lift() -> None:
    # Filed 2021-06 with a 12-month review, due 2022-06-01; a halt from 2022-03 to 2023-01.
    d = applied(own_plant(doc()), on="2021-06", review_months=12)
    d["policy"] += [
        {"since": "2022-03-01", "name": "Halt", "new_licences": False},
        {"since": "2023-01-01", "name": "Lift", "new_licences": True},
    ]
    r = routes(d)["applied:newco-bev@own:np"]
    assert r.legal and r.earliest_sop == D(2023, 1, 1)
    assert r.sop_driver.endswith("held until new licences are granted again from 2023-01-01 (Lift)")
    # Without the lift the application is never granted.
    d["policy"].pop()
    _illegal(
        routes(d)["applied:newco-bev@own:np"],
        D(2022, 6, 1),
        "new licences are not granted from 2022-03-01 (Halt), before the licence could be "
        "granted on 2022-06-01, and no later period grants them again; the licence cannot be granted",
    )


def test_a_halt_after_the_grant_does_not_touch_the_route() -> None:
    d = _apply(own_plant(doc()))
    d["policy"].append({"since": "2023-06-01", "new_licences": False})
    r = routes(d)["apply:apply@own:np"]
    assert r.legal and r.earliest_sop == D(2023, 2, 1)
    assert r.sop_driver == "preparation 3 + review 10 months"


def test_a_halt_before_the_grant_makes_an_application_illegal() -> None:
    d = _reported(_apply(own_plant(doc())))
    d["policy"].append(
        {"since": "2023-01-01", "name": "Halt", "new_licences": False, "sources": ["s2"]}
    )
    r = routes(d)["apply:apply@own:np"]
    _illegal(
        r,
        D(2023, 2, 1),
        "new licences are not granted from 2023-01-01 (Halt), before the licence could be "
        "granted on 2023-02-01, and no later period grants them again; the licence cannot be granted",
    )
    assert "s2" in r.sources  # the halt is what the verdict rests on
    assert "s2" not in routes(d)[CM].sources


def test_the_review_time_of_the_filing_date_and_the_minimum_capacity_of_the_grant() -> None:
    # Filed on 2022-04-02 under a 20-month review set from 2022-03; granted after
    # 2024-01-01, when a 200,000/year minimum applies to the 150,000/year plant.
    d = offer(own_plant(doc()), id="apply", kind="apply_licence", to="newco", lead_months=3)
    d["policy"] += [
        {"since": "2022-03-01", "review_months": 20},
        {"since": "2024-01-01", "name": "Order X", "min_capacity": 200000},
    ]
    r = routes(d)["apply:apply@own:np"]
    assert r.earliest_sop == D(2023, 12, 2)
    assert r.legal
    d["policy"][-1]["since"] = "2023-12-01"
    r = routes(d)["apply:apply@own:np"]
    assert not r.legal
    assert r.why == (
        "plant np has 150,000/year, below the 200,000/year minimum for a new licence "
        "(Order X, since 2023-12-01)",
    )


def test_contract_manufacturing_allowed_later_starts_the_contract_then() -> None:
    d = policy(doc(), contract_manufacturing=False)
    d["policy"].append({"since": "2023-01-01", "name": "Order 50", "contract_manufacturing": True})
    r = routes(d)[CM]
    assert r.legal and r.earliest_sop == D(2023, 1, 1)
    assert r.sop_driver == (
        "negotiation and tooling 6 months; held until contract manufacturing is allowed "
        "from 2023-01-01 (Order 50)"
    )
    assert r.capacity[2022] == 0 and r.capacity[2023] == 100000


def test_contract_manufacturing_banned_before_the_contract_starts() -> None:
    d = doc()
    d["policy"].append({"since": "2022-05-01", "name": "CM ban", "contract_manufacturing": False})
    r = routes(d)[CM]
    assert not r.legal
    assert r.why == (
        "contract manufacturing is not allowed from 2022-05-01 (CM ban), before production "
        "could start on 2022-07-03, and no later period allows it again; OldCo cannot build "
        "under its licence for others",
    )
    # A ban from after the contract's start leaves the route as it is.
    d["policy"][-1]["since"] = "2022-08-01"
    assert routes(d)[CM].legal


def test_a_later_exit_rule_replaces_the_earlier_one_from_its_date() -> None:
    # 12 months withdraws a licence dormant since 2021-06 on 2022-06-01, before the plant
    # is ready (2022-09-01); a 24-month rule from 2022-03 keeps it until 2023-06-01.
    d = _lapsing()
    d["policy"].append({"since": "2022-03-01", "name": "Order 54", "dormant_exit_months": 24})
    r = routes(d)["own:newco-bev@own:np"]
    assert r.legal and r.timing is not None and r.timing.deadline == D(2023, 6, 1)
    # From after the 12-month deadline: the licence is gone before the new rule starts.
    d["policy"][-1]["since"] = "2022-07-01"
    r = routes(d)["own:newco-bev@own:np"]
    assert not r.legal
    assert r.why[0].startswith(
        "licence newco-bev, dormant since 2021-06-01, is withdrawn on 2022-06-01"
    )
    # A later exit rule on a licence that had none: withdrawn from the rule's start.
    d = held(own_plant(doc()), dormant_since="2019-01")
    d["policy"].append({"since": "2023-01-01", "name": "New exit rule", "dormant_exit_months": 12})
    r = routes(d)["own:newco-bev@own:np"]
    assert r.legal and r.timing is not None and r.timing.deadline == D(2023, 1, 1)


def _umbrella(d: dict[str, Any]) -> dict[str, Any]:
    """A licence umbrella signed 2022-04-02 (3 months) over NewCo's plant, ready 2023-06-01."""
    own_plant(d, ready="2023-06")
    d["plants"][-1] |= {"status": "under_construction", "construction_start": "2021-06"}
    return offer(
        d,
        id="umb",
        kind="licence_umbrella",
        to="newco",
        partner="oldco",
        plants=["np"],
        lead_months=3,
        sources=["a1"],
    )


UMB = "partner:umb@own:np"


def test_the_badge_rule_in_force_when_production_starts() -> None:
    # Signed 2022-04-02, producing from 2023-06-01: the rule read at the start of production.
    d = _reported(_umbrella(policy(doc(), badge_names_manufacturer=False)))
    d["policy"].append({"since": "2023-01-01", "badge_names_manufacturer": True, "sources": ["s2"]})
    r = routes(d)[UMB]
    assert r.earliest_sop == D(2023, 6, 1) and r.names_manufacturer == "OldCo"
    assert "s2" in r.sources  # the later rule's source
    d["policy"][-1]["since"] = "2023-09-01"
    r = routes(d)[UMB]
    assert r.names_manufacturer == "" and "s2" not in r.sources


def test_a_contract_manufacturing_ban_between_signing_and_production() -> None:
    # Signed 2022-04-02; banned from 2023-01-01: the plant, ready 2023-06-01, cannot produce.
    d = _reported(_umbrella(doc()))
    d["policy"].append(
        {"since": "2023-01-01", "name": "Ban", "contract_manufacturing": False, "sources": ["s2"]}
    )
    r = routes(d)[UMB]
    assert not r.legal and r.why == (
        "contract manufacturing is not allowed from 2023-01-01 (Ban), before production could "
        "start on 2023-06-01, and no later period allows it again; OldCo cannot build under its licence for others",
    )
    assert "s2" in r.sources
    # Lifted on 2024-01-01: production starts then.
    d["policy"].append({"since": "2024-01-01", "name": "Lift", "contract_manufacturing": True})
    r = routes(d)[UMB]
    assert r.legal and r.earliest_sop == D(2024, 1, 1)
    assert r.sop_driver.endswith(
        "held until contract manufacturing is allowed from 2024-01-01 (Lift)"
    )
    assert r.capacity[2023] == 0 and r.capacity[2024] == 150000


def test_production_pauses_while_contract_manufacturing_is_banned() -> None:
    # Producing from 2022-07-03; banned 2023-01-01 to 2023-07-01 (181 days): 184 days left.
    d = doc()
    d["policy"] += [
        {"since": "2023-01-01", "contract_manufacturing": False},
        {"since": "2023-07-01", "contract_manufacturing": True},
    ]
    r = routes(d)[CM]
    assert r.legal and r.earliest_sop == D(2022, 7, 3)
    assert r.capacity[2023] == round(100000 * 184 / 365) and r.capacity[2024] == 100000
    # Never lifted: nothing after the ban starts.
    d["policy"].pop()
    r = routes(d)[CM]
    assert r.legal and r.capacity[2022] > 0 and r.capacity[2023] == r.capacity[2026] == 0


def test_an_agreement_that_ends_during_a_ban_never_produces() -> None:
    # Banned from 2022-05-01 to 2023-07-01, the contract (until 2023-03-01) ends inside it.
    d = _reported(cm(doc(), until="2023-03"))
    d["policy"] += [
        {"since": "2022-05-01", "contract_manufacturing": False, "sources": ["s2"]},
        {"since": "2023-07-01", "name": "Lift", "contract_manufacturing": True},
    ]
    r = routes(d)[CM]
    assert r.legal and not r.usable and r.earliest_sop == D(2023, 7, 1)
    assert r.why == (
        "the agreement with OldCo ends on 2023-03-01, before production can start on 2023-07-01",
    )
    assert set(r.capacity.values()) == {0}


def test_a_later_ban_that_stops_production_is_cited() -> None:
    d = _reported(doc())
    d["policy"].append({"since": "2023-01-01", "contract_manufacturing": False, "sources": ["s2"]})
    r = routes(d)[CM]
    assert r.legal and r.capacity[2023] == 0 and "s2" in r.sources


def test_a_licence_umbrella_waits_for_contract_manufacturing_to_be_allowed() -> None:
    d = _umbrella(policy(doc(), contract_manufacturing=False))
    d["policy"].append({"since": "2023-09-01", "contract_manufacturing": True})
    r = routes(d)[UMB]
    assert r.legal and r.earliest_sop == D(2023, 9, 1)


@pytest.mark.parametrize(
    ("since", "deadline"), [("2022-06-01", D(2023, 6, 1)), ("2022-06-02", D(2022, 6, 1))]
)
def test_an_exit_rule_starting_on_the_deadline_takes_over(since: str, deadline: dt.date) -> None:
    # 12 months from 2021-06-01 is 2022-06-01: a 24-month rule from that very day applies.
    d = _reported(held(own_plant(policy(doc(), dormant_exit_months=12)), dormant_since="2021-06"))
    d["policy"].append({"since": since, "dormant_exit_months": 24, "sources": ["s2"]})
    r = routes(d)["own:newco-bev@own:np"]
    assert r.timing is not None and r.timing.deadline == deadline
    assert ("s2" in r.sources) is (deadline == D(2023, 6, 1))


# --- a chance of 0: the route never comes ---------------------------------------------

APPLIED = "applied:newco-bev@own:np"


def _pending(**kw: Any) -> dict[str, Any]:
    """NewCo's application, filed 2021-06 with a 12-month review: granted 2022-06-01 at
    the modes; its plant costs less than the contract (so the planner wants it)."""
    d = applied(own_plant(doc()), on="2021-06", review_months={"min": 6, "mode": 12, "max": 30})
    d["licences"][-1].update(kw)
    d["plants"][-1]["unit_cost"] = 50
    return d


def test_a_deal_that_never_closes_is_legal_but_not_usable() -> None:
    r = routes(cm(doc(), success_probability=0.0))[CM]
    assert r.legal and not r.usable and r.success_probability == 0.0
    assert r.why == ("deal cm would never be concluded: its success_probability is 0",)


def test_a_licence_with_an_approval_chance_of_0_when_granted_is_not_usable() -> None:
    d = _reported(_pending())
    d["policy"].append(
        {"since": "2022-03-01", "name": "Freeze", "approval_probability": 0.0, "sources": ["s2"]}
    )
    r = routes(d)[APPLIED]
    assert r.legal and not r.usable and r.success_probability == 0.0
    assert r.why == (
        "licence newco-bev would never be granted: the approval chance is 0 from 2022-03-01 "
        "(Freeze)",
    )
    assert "s2" in r.sources
    # In force on as_of, the rule is named with its date.
    d = policy(_pending(), approval_probability=0.0)
    assert routes(d)[APPLIED].why == (
        "licence newco-bev would never be granted: the approval chance is 0 (since 2015-01-01)",
    )
    # The licence's own chance.
    r = routes(_pending(approval_probability=0.0))[APPLIED]
    assert not r.usable
    assert r.why == ("licence newco-bev would never be granted: its approval_probability is 0",)
    # An application offer: the approval and the deal.
    d = _apply(own_plant(policy(doc(), approval_probability=0.0)), success_probability=0.0)
    assert routes(d)["apply:apply@own:np"].why == (
        "deal apply would never be concluded: its success_probability is 0",
        "the licence applied for under offer apply would never be granted: the approval "
        "chance is 0 (since 2015-01-01)",
    )


def test_the_approval_chance_is_read_on_the_nominal_grant_date() -> None:
    # Refused under the freeze on 2022-06-01 at the modes: a later, higher chance (which
    # the risk engine's late samples get) does not make the route usable.
    d = _pending()
    d["policy"] += [
        {"since": "2022-03-01", "name": "Freeze", "approval_probability": 0.0},
        {"since": "2023-01-01", "name": "Thaw", "approval_probability": 0.5},
    ]
    r = routes(d)[APPLIED]
    assert r.legal and not r.usable
    assert r.why == (
        "licence newco-bev would be refused: the approval chance is 0 from 2022-03-01 (Freeze) "
        "when it is decided, on 2022-06-01 at the modes; it is 50% only from 2023-01-01",
    )
    # A freeze from after the nominal grant: usable, at the chance in force then; the
    # risk engine gives a later grant the freeze's 0.
    d["policy"][-2]["since"] = "2022-07-01"
    r = routes(d)[APPLIED]
    assert r.usable and r.success_probability == 1.0
    assert r.timing is not None
    (event,) = [e for e in r.timing.events if e.key == "licence:newco-bev:approval"]
    assert event.by_date == ((AS_OF, 1.0), (D(2022, 7, 1), 0.0), (D(2023, 1, 1), 0.5))


def test_the_planner_does_not_rely_on_a_licence_that_is_never_granted() -> None:
    from evfab.plan import PlanOptions, plan

    fast = PlanOptions(alternatives=False, capacity_values=False)
    d = _pending()
    assert APPLIED in set(plan(evfab.compile(load(d)), fast).choices["route"])
    d["policy"].append({"since": "2022-03-01", "approval_probability": 0.0})
    assert APPLIED not in set(plan(evfab.compile(load(d)), fast).choices["route"])


# --- an abolished exit rule ----------------------------------------------------------


def test_an_exit_rule_abolished_with_0_withdraws_no_licence() -> None:
    # Withdrawn on 2022-06-01 under the 12-month rule, before the plant is ready
    # (2022-09-01); abolished from 2022-03-01, the licence stays.
    d = _reported(_lapsing())
    d["policy"].append(
        {"since": "2022-03-01", "name": "Abolition", "dormant_exit_months": 0, "sources": ["s2"]}
    )
    r = routes(d)["own:newco-bev@own:np"]
    assert r.legal and r.usable and r.timing is not None and r.timing.deadline is None
    assert "s2" in r.sources  # the abolition is what keeps the licence
    # Abolished after the deadline: the licence is gone by then.
    d["policy"][-1]["since"] = "2022-07-01"
    r = routes(d)["own:newco-bev@own:np"]
    assert not r.legal and r.why[0].startswith(
        "licence newco-bev, dormant since 2021-06-01, is withdrawn on 2022-06-01"
    )
    # Unset (or null) carries the 12-month rule over.
    d["policy"][-1] |= {"since": "2022-03-01", "dormant_exit_months": None}
    assert not routes(d)["own:newco-bev@own:np"].legal


def test_the_engines_keep_a_licence_whose_exit_rule_is_abolished() -> None:
    from evfab.plan import PlanOptions, plan
    from evfab.risk import RiskOptions, sample_routes

    d = _lapsing()
    d["plants"][-1]["unit_cost"] = 50  # cheaper than the contract: the planner wants it
    d["policy"].append({"since": "2022-03-01", "dormant_exit_months": 0})
    world = evfab.compile(load(d))
    r = routes(d)["own:newco-bev@own:np"]
    res = sample_routes(world, [r], RiskOptions(samples=2000, seed=0))
    assert res.summary.iloc[0]["p_success"] == 1.0
    chosen = plan(world, PlanOptions(alternatives=False, capacity_values=False)).choices
    assert "own:newco-bev@own:np" in set(chosen["route"])


# --- the rules a route rests on -------------------------------------------------------


def _cited_policy(d: dict[str, Any]) -> dict[str, Any]:
    """Policy sources tied to each rule (``s-<rule>``), and one for the whole period."""
    d["sources"] += [
        {"id": f"s-{x}", "status": "assumption", "note": "test"}
        for x in ("period", "new", "review", "odds", "cm", "badge")
    ]
    d["policy"][0] |= {
        "review_months": 12,
        "approval_probability": 0.5,
        "sources": ["s-period", "s-new", "s-review", "s-odds", "s-cm", "s-badge"],
        "sources_by_rule": {
            "new_licences": ["s-new"],
            "review_months": ["s-review"],
            "approval_probability": ["s-odds"],
            "contract_manufacturing": ["s-cm"],
            "badge_names_manufacturer": ["s-badge"],
        },
    }
    return d


def test_a_route_rests_only_on_the_policy_rules_that_bear_on_it() -> None:
    rs = routes(_cited_policy(_apply(own_plant(doc()), review_months=None)))
    policy_sources = {x for x in rs[CM].sources if x.startswith("s-")}
    # Under a partner's licence: contract manufacturing and the badge rule.
    assert policy_sources == {"s-period", "s-cm", "s-badge"}
    # A new licence: whether licences are granted, the review and the odds.
    applying = {x for x in rs["apply:apply@own:np"].sources if x.startswith("s-")}
    assert applying == {"s-period", "s-new", "s-review", "s-odds"}
    # A licence held, not dormant, on its own plant: no rule of the policy bears on it.
    held_route = routes(_cited_policy(held(own_plant(doc()))))["own:newco-bev@own:np"]
    assert not any(x.startswith("s-") for x in held_route.sources)


def test_durations_running_on_as_of_know_how_long_they_have_run() -> None:
    # A review pending since 2021-06 and a plant being built since 2021-01 have run 214 and
    # 365 days on 2022-01-01; the risk engine draws them beyond that. A build offer's phase
    # starts after as_of and has run for nothing.
    d = applied(doc(), on="2021-06")
    plant(
        d,
        "np",
        "newco",
        [{"capacity": 150000, "months": {"min": 6, "mode": 12, "max": 30}}],
        status="under_construction",
        construction_start="2021-01",
    )
    plant(d, "bp", "newco", [{"capacity": 150000, "months": 12}], status="planned")
    offer(d, id="build", kind="build_plant", to="newco", plant="bp", lead_months=2)
    rs = routes(d)
    dpm = 365.25 / 12
    own = rs["applied:newco-bev@own:np"].timing
    built = rs["applied:newco-bev@build:bp"].timing
    assert own is not None and built is not None
    assert own.licence.steps[0].after == pytest.approx(214 / dpm)
    assert own.phases[0].ready.steps[0].after == pytest.approx(365 / dpm)
    assert [s.after for s in built.phases[0].ready.steps] == [0.0, 0.0]


# --- badges ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("need", "terms", "waiver", "badge", "kind", "fee", "why"),
    [
        ("co_brand", "co_brand", None, "NewCo x OldCo", "co_brand", 0, ""),
        ("any", "co_brand", None, "NewCo x OldCo", "co_brand", 0, ""),
        (
            "own",
            "co_brand",
            None,
            "NewCo x OldCo",
            "co_brand",
            0,
            "program needs its own badge; the offer gives a co-brand and no waiver",
        ),
        ("own", "co_brand", 1e6, "NewCo (co-brand waived)", "own", 1e6, ""),
        ("co_brand", "co_brand", 1e6, "NewCo x OldCo", "co_brand", 0, ""),
        ("any", "host", None, "OldCo", "host", 0, ""),
        ("any", "host", 5e6, "OldCo", "host", 0, ""),
        (
            "co_brand",
            "host",
            None,
            "OldCo",
            "host",
            0,
            "program needs its own or a co-brand badge; the offer gives the OldCo badge and no waiver",
        ),
        (
            "own",
            "host",
            None,
            "OldCo",
            "host",
            0,
            "program needs its own badge; the offer gives the OldCo badge and no waiver",
        ),
        ("own", "host", 5e6, "NewCo (OldCo badge waived)", "own", 5e6, ""),
        ("co_brand", "host", 5e6, "NewCo (OldCo badge waived)", "own", 5e6, ""),
        ("own", "own", None, "NewCo", "own", 0, ""),
    ],
)
def test_badge_terms_against_the_program_need(
    need: str, terms: str, waiver: float | None, badge: str, kind: str, fee: float, why: str
) -> None:
    d = cm(doc(), badge=terms, badge_waiver_fee=waiver, fixed_fee=1e6)
    d["programs"][0]["badge"] = need
    r = routes(d)[CM]
    assert (r.badge, r.badge_kind, r.badge_waiver_fee) == (badge, kind, fee)
    # The waiver fee is a one-off cost on top of the offer's fixed fee.
    assert r.fixed_cost == 1e6 + fee
    assert r.legal  # badge terms never make a route illegal, only unusable
    assert r.usable is (not why)
    assert r.why == ((why,) if why else ())


@pytest.mark.parametrize("rule", [True, False])
def test_names_manufacturer_only_under_a_badge_rule(rule: bool) -> None:
    d = held(_buy(own_plant(policy(doc(), badge_names_manufacturer=rule))))
    rs = routes(d)
    assert rs[CM].names_manufacturer == ("OldCo" if rule else "")
    assert rs["acquired:buy@own:np"].names_manufacturer == ("OldCo (renamed)" if rule else "")
    # The company's own licence: the car already names its maker.
    assert rs["own:newco-bev@own:np"].names_manufacturer == ""


# --- plant sources -----------------------------------------------------------------


def test_acquired_company_brings_its_licence_and_plant() -> None:
    rs = routes(own_plant(_buy(doc())))
    r = rs["acquired:buy@acquired:old-plant"]
    assert (r.licence_source, r.licence, r.plant_source, r.plant) == (
        "acquired",
        "oldco-bev",
        "acquired",
        "old-plant",
    )
    assert r.legal and r.usable and r.offers == ("buy",)
    assert (r.manufacturer, r.badge, r.names_manufacturer) == ("oldco", "NewCo", "OldCo (renamed)")
    # Licence transfer (2 + 1 + 1 months) drives the SOP; the plant is ours at closing.
    assert r.earliest_sop == D(2022, 5, 3)
    assert r.sop_driver == "deal 2 + closing 1 + licence transfer 1 months"
    assert r.capacity[2022] == round(100000 * (1 - 122 / 365) * 0.8)
    assert r.capacity[2023] == 100000
    # The price and the odds are counted once although licence and plant share the offer.
    assert (r.fixed_cost, r.unit_cost, r.success_probability) == (5e8, 100.0, 0.5)
    # The bought licence also covers the buyer's own plant ...
    assert rs["acquired:buy@own:np"].fixed_cost == 5e8
    # ... but the bought plant goes only with the bought licence.
    assert [rid for rid in rs if rid.endswith("@acquired:old-plant")] == [
        "acquired:buy@acquired:old-plant"
    ]


def test_acquired_licence_held_by_a_subsidiary_of_the_target() -> None:
    d = _buy(doc())
    d["companies"].append(
        {"id": "oldsub", "name": "OldSub", "kind": "automaker", "parent": "oldco"}
    )
    d["licences"][0]["holder"] = "oldsub"
    d["offers"][0]["host"] = "oldsub"
    d["plants"][0]["operator"] = "oldsub"
    r = routes(d)["acquired:buy@acquired:old-plant"]
    assert (r.manufacturer, r.manufacturer_name) == ("oldsub", "OldSub")


def _stake(d: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return offer(
        d,
        id="stake",
        kind="plant_stake",
        to="newco",
        plant="old-plant",
        share=0.3,
        lead_months=3,
        closing_months=3,
        fixed_fee=1e9,
        success_probability=0.4,
        **kw,
    )


def test_stake_capacity_is_free_capacity_times_capacity_share_from_closing() -> None:
    d = held(_stake(doc(), capacity_share=0.5))
    d["plants"][0]["committed"] = {2022: 20000, 2023: 40000}
    r = routes(d)["own:newco-bev@stake:old-plant"]
    assert r.legal and r.offers == ("stake",)
    assert (r.manufacturer, r.names_manufacturer) == ("newco", "")
    assert r.earliest_sop == D(2022, 7, 3)  # 3 months' deal + 3 months' closing, rounded once
    assert r.sop_driver == "stake deal 3 + closing 3 months"
    assert r.capacity == {
        2022: round(100000 * (1 - 183 / 365) * 0.8 * 0.5),
        2023: 30000,
        2024: 50000,
        2025: 50000,
        2026: 50000,
    }
    assert (r.fixed_cost, r.unit_cost, r.success_probability) == (1e9, 100.0, 0.4)


def test_stake_capacity_share_defaults_to_the_share() -> None:
    d = held(_stake(doc()))
    d["plants"][0]["committed"] = {2023: 40000}
    assert routes(d)["own:newco-bev@stake:old-plant"].capacity[2023] == 18000


def test_build_plant_offer_phases_in_months_after_the_decision() -> None:
    d = held(doc())
    plant(
        d,
        "np",
        "newco",
        [{"capacity": 100000, "months": 18}, {"capacity": 100000, "months": 30}],
        status="planned",
        unit_cost=90,
    )
    offer(d, id="build", kind="build_plant", to="newco", plant="np", lead_months=6, fixed_fee=2e9)
    r = routes(d)["own:newco-bev@build:np"]
    # Lead + build months are summed, then rounded to a day: 24 months -> 2024-01-01,
    # 36 months -> 2025-01-01 (the risk engine samples the same recipe).
    assert r.earliest_sop == D(2024, 1, 1)
    assert r.sop_driver == "decision 6 months + first phase build"
    assert r.capacity == {
        2022: 0,
        2023: 0,
        2024: 100000,
        2025: 200000,
        2026: 200000,
    }
    assert (r.fixed_cost, r.unit_cost) == (2e9, 90.0)
    assert not r.meets_target  # target 2023-06


def test_licence_umbrella_over_own_plant() -> None:
    """The case that happened in China: the newcomer's own plant, a partner's licence."""
    d = own_plant(doc(), capacity=200000, ready="2023-01")
    d["plants"][-1] |= {"status": "under_construction", "construction_start": "2021-01"}
    offer(
        d,
        id="umb",
        kind="licence_umbrella",
        to="newco",
        partner="oldco",
        plants=["np"],
        fee_per_unit=5,
        lead_months=3,
        success_probability=0.8,
        sources=["s1"],
    )
    rs = routes(d)
    assert set(rs) == {CM, "partner:umb@own:np"}  # the umbrella covers only the listed plant
    r = rs["partner:umb@own:np"]
    assert r.legal and r.usable
    assert (r.licence_source, r.licence, r.plant_source) == ("partner", "oldco-bev", "own")
    # The partner is manufacturer of record; the badge follows the agreement (own).
    assert (r.manufacturer, r.badge, r.badge_kind, r.names_manufacturer) == (
        "oldco",
        "NewCo",
        "own",
        "OldCo",
    )
    assert r.earliest_sop == D(2023, 1, 1) and r.sop_driver == "Np ready"
    assert r.capacity == {2022: 0, 2023: 200000, 2024: 200000, 2025: 200000, 2026: 200000}
    assert (r.fixed_cost, r.unit_cost, r.success_probability) == (0.0, 125.0, 0.8)


def test_licence_umbrella_with_host_badge_terms() -> None:
    d = own_plant(doc())
    offer(
        d,
        id="umb",
        kind="licence_umbrella",
        to="newco",
        partner="oldco",
        plants=["np"],
        badge="host",
        badge_waiver_fee=3e6,
    )
    d["programs"][0]["badge"] = "own"
    r = routes(d)["partner:umb@own:np"]
    assert (r.badge, r.badge_waiver_fee, r.fixed_cost) == ("NewCo (OldCo badge waived)", 3e6, 3e6)


def test_licence_umbrella_over_a_stake() -> None:
    d = _stake(doc())
    offer(d, id="umb", kind="licence_umbrella", to="newco", partner="oldco", plants=["old-plant"])
    r = routes(d)["partner:umb@stake:old-plant"]
    assert r.offers == ("umb", "stake") and r.manufacturer == "oldco"
    assert r.success_probability == 0.4 and r.fixed_cost == 1e9


# --- SOP, capacity -----------------------------------------------------------------


def test_sop_is_the_licence_review_when_it_ends_last() -> None:
    r = routes(applied(own_plant(doc()), review_months=12))["applied:newco-bev@own:np"]
    assert r.earliest_sop == D(2022, 6, 1)
    assert r.sop_driver == "licence review (12 months from 2021-06-01)"


def test_sop_is_the_plant_when_it_is_ready_last() -> None:
    d = applied(own_plant(doc(), ready="2022-10"), review_months=3)
    d["plants"][-1] |= {"status": "under_construction", "construction_start": "2021-01"}
    r = routes(d)["applied:newco-bev@own:np"]
    assert r.earliest_sop == D(2022, 10, 1) and r.sop_driver == "Np ready"


def test_sop_is_never_before_as_of() -> None:
    # Licence held, plant operating since 2015, review ended 2021-12: all before as_of.
    d = own_plant(held(doc()))
    r = routes(d)["own:newco-bev@own:np"]
    assert r.earliest_sop == AS_OF and r.sop_driver == "licence held"
    d = own_plant(applied(doc(), review_months=6))
    assert routes(d)["applied:newco-bev@own:np"].earliest_sop == AS_OF


def test_meets_target() -> None:
    d = doc()
    d["programs"][0]["target_sop"] = "2022-07-03"
    assert routes(d)[CM].meets_target
    d["programs"][0]["target_sop"] = "2022-07-02"
    assert not routes(d)[CM].meets_target


def test_sop_after_the_horizon_is_unusable() -> None:
    d = held(own_plant(doc(), ready="2027-01"))
    d["plants"][-1] |= {"status": "under_construction", "construction_start": "2021-01"}
    r = routes(d)["own:newco-bev@own:np"]
    assert r.legal and not r.usable
    assert r.why == ("earliest SOP 2027-01-01 is after the horizon",)
    assert set(r.capacity.values()) == {0}


def test_capacity_capped_by_the_contract() -> None:
    r = routes(cm(doc(), capacity={2023: 30000, 2024: 0}))[CM]
    assert r.capacity == {
        2022: round(100000 * H2 * 0.8),
        2023: 30000,
        2024: 0,
        2025: 100000,
        2026: 100000,
    }


def test_capacity_stops_when_the_contract_ends() -> None:
    # Until 2024-05-01: 121 of 2024's 366 days, nothing after.
    r = routes(cm(doc(), until="2024-05"))[CM]
    assert r.usable and r.timing is not None and r.timing.until == D(2024, 5, 1)
    assert r.capacity == {
        2022: round(100000 * H2 * 0.8),
        2023: 100000,
        2024: round(100000 * 121 / 366),
        2025: 0,
        2026: 0,
    }


def test_a_contract_that_ends_before_production_can_start_is_unusable() -> None:
    r = routes(cm(doc(), until="2022-06"))[CM]
    assert r.legal and not r.usable
    assert r.why == (
        "the agreement with OldCo ends on 2022-06-01, before production can start on 2022-07-03",
    )
    assert set(r.capacity.values()) == {0}


def test_a_licence_umbrella_ends_too() -> None:
    d = own_plant(doc())
    offer(
        d,
        id="umb",
        kind="licence_umbrella",
        to="newco",
        partner="oldco",
        plants=["np"],
        lead_months=6,
        until="2023-07",
    )
    r = routes(d)["partner:umb@own:np"]
    assert r.usable and r.earliest_sop == D(2022, 7, 3)
    assert r.capacity == {2022: round(150000 * H2), 2023: round(150000 * 181 / 365)} | {
        2024: 0,
        2025: 0,
        2026: 0,
    }


def test_first_year_capacity_of_a_ramping_plant() -> None:
    # A later phase must not inflate the first year (prorating by the horizon's peak did).
    d = doc()
    d["plants"][0]["phases"].append({"capacity": 200000, "ready": "2024-01"})
    r = routes(d)[CM]
    assert r.capacity[2022] == round(100000 * H2 * 0.8)
    assert r.capacity[2023] == 100000 and r.capacity[2024] == 300000


def test_committed_load_takes_its_share_of_a_part_year() -> None:
    # The host's plant opens 2022-10-01 and OldCo builds 20,000 cars of its own in 2022:
    # only what the plant makes in 2022 beyond that load is free.
    d = doc()
    d["plants"][0] |= {
        "status": "under_construction",
        "opened": None,
        "construction_start": "2021-01",
        "phases": [{"capacity": 100000, "ready": "2022-10"}],
    }
    r = routes(d)[CM]
    assert r.earliest_sop == D(2022, 10, 1)
    assert r.capacity[2022] == round(100000 * 92 / 365 - 20000)
    assert r.capacity[2023] == 100000


def test_fully_committed_plant_has_no_capacity() -> None:
    d = doc()
    d["plants"][0]["committed"] = {y: 100000 for y in range(2022, 2027)}
    assert set(routes(d)[CM].capacity.values()) == {0}


# --- sources -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "warned"),
    [
        ("confirmed", False),
        ("reported", False),
        ("declined_to_comment", False),
        ("unclear", True),
        ("denied", True),
    ],
)
def test_weakest_status_and_warnings(status: str, warned: bool) -> None:
    d = doc()
    d["sources"].append(
        {"id": "x", "status": status, "url": "https://example.org/x", "note": "a claim"}
    )
    d["offers"][0]["sources"] = ["x"]
    r = routes(d)[CM]
    # a1 (assumption) is no longer cited: the route rests on x and s1 (confirmed).
    assert r.sources == ("x", "s1")
    assert r.weakest_status == (status if status != "confirmed" else "confirmed")
    article = "an" if status == "unclear" else "a"
    expected = (f"rests on {article} {status} claim: x (a claim)",) if warned else ()
    assert r.warnings == expected


def test_weakest_status_is_the_max_rank_over_all_sources() -> None:
    d = doc()
    d["sources"] += [
        {"id": "u", "status": "unclear", "url": "https://example.org/u"},
        {"id": "n", "status": "denied", "url": "https://example.org/n"},
        {"id": "c", "status": "declined_to_comment", "url": "https://example.org/c"},
    ]
    d["offers"][0]["sources"] = ["c", "u"]
    d["plants"][0]["sources"] = ["n"]
    r = routes(d)[CM]
    assert r.weakest_status == "denied"
    assert r.warnings == ("rests on an unclear claim: u", "rests on a denied claim: n")
    ranks = [STATUS_RANK[Status(s)] for s in ("confirmed", "reported", "assumption")]
    assert ranks == sorted(ranks)


def test_uncited_route_is_an_assumption() -> None:
    d = doc()
    d["offers"][0]["sources"] = []
    d["licences"][0]["sources"] = []
    d["policy"][0]["sources"] = []
    r = routes(d)[CM]
    assert r.sources == () and r.weakest_status == "assumption"


# --- programs, ids, exclusions -----------------------------------------------------


def test_program_restriction() -> None:
    d = held(own_plant(doc()))
    d["programs"].append(
        {"id": "car2", "company": "oldco", "name": "Car 2", "target_sop": "2024-01", "badge": "any"}
    )
    world = evfab.compile(load(d))
    everything = evfab.derive_routes(world)
    assert {r.program for r in everything} == {"newcar", "car2"}
    only = evfab.derive_routes(world, "car2")
    assert only and {r.program for r in only} == {"car2"}
    assert [r.id for r in only] == [r.id for r in everything if r.program == "car2"]
    # OldCo's own licence on its own plant; NewCo's offer and plant are not OldCo's.
    assert [r.id for r in only] == ["own:oldco-bev@own:old-plant"]
    table = evfab.routes(world, program="newcar")
    assert set(table["program"]) == {"newcar"} and len(table) == len(everything) - 1
    with pytest.raises(KeyError):
        evfab.derive_routes(world, "nope")


def test_routes_are_sorted_usable_then_legal_then_by_sop() -> None:
    # The contract takes 40 months (SOP 2025-05-03): later than the illegal routes' SOPs,
    # so only "legal before illegal" puts it ahead of them, not the SOP.
    d = applied(own_plant(_stake(cm(doc(), badge="host", lead_months=40))), on="2021-01")
    offer(d, id="umb", kind="licence_umbrella", to="newco", partner="oldco", plants=["np"])
    d["policy"].append({"since": "2017-06", "new_licences": False})
    rs = evfab.derive_routes(evfab.compile(load(d)))
    assert [(r.id, r.usable, r.legal) for r in rs] == [
        ("partner:umb@own:np", True, True),  # the umbrella covers np only
        (CM, False, True),  # host badge on a co-brand program
        ("applied:newco-bev@own:np", False, False),
        ("applied:newco-bev@stake:old-plant", False, False),
    ]
    sop = {r.id: r.earliest_sop for r in rs}
    # 40 x 365.25/12 = 1,217.5 days, rounded up: 1,218 days after 2022-01-01 (1,096 to
    # 2025-01-01, then 120 to May 1, 2 more): 2025-05-03.
    assert sop[CM] == D(2025, 5, 3)
    assert sop[CM] > max(sop["applied:newco-bev@own:np"], sop["applied:newco-bev@stake:old-plant"])


def test_two_stakes_in_one_plant_get_distinct_ids() -> None:
    d = held(_stake(doc()))
    offer(d, id="stake2", kind="plant_stake", to="newco", plant="old-plant", share=0.1)
    ids = list(routes(d))
    assert "own:newco-bev@stake:old-plant~stake" in ids
    assert "own:newco-bev@stake:old-plant~stake2" in ids
    assert len(ids) == len(set(ids))


def test_bought_company_with_two_licences_gives_distinct_ids() -> None:
    d = licence(_buy(doc()), "oldco-bev2", "oldco", "held")
    rs = evfab.derive_routes(evfab.compile(load(d)))
    ids = [r.id for r in rs]
    assert len(ids) == len(set(ids))
    assert "acquired:buy@acquired:old-plant~buy~oldco-bev2" in ids


def test_routes_needing_excluded_offers_are_unusable() -> None:
    d = _stake(doc())
    offer(
        d,
        id="umb",
        kind="licence_umbrella",
        to="newco",
        partner="oldco",
        plants=["old-plant"],
        excludes=["stake"],
    )
    r = routes(d)["partner:umb@stake:old-plant"]
    assert r.legal and not r.usable
    assert r.why == ("offer umb excludes offer stake",)


def test_apply_offer_to_a_subsidiary_makes_it_manufacturer() -> None:
    d = own_plant(doc())
    d["companies"].append({"id": "sub", "name": "NewCo Sub", "kind": "newcomer", "parent": "newco"})
    offer(d, id="apply", kind="apply_licence", to="sub", review_months=12, lead_months=0)
    r = routes(d)["apply:apply@own:np"]
    assert (r.manufacturer, r.names_manufacturer) == ("sub", "")
    assert r.earliest_sop == D(2023, 1, 1) and r.offers == ("apply",)


# --- golden: the bundled xiaomi-2022 route table -----------------------------------

GOLDEN = Path(__file__).parent / "golden" / "xiaomi-2022-routes.json"
GOLDEN_COLUMNS = [
    "id",
    "program",
    "legal",
    "usable",
    "why",
    "manufacturer",
    "badge",
    "names_manufacturer",
    "earliest_sop",
    "meets_target",
    "capacity",
    "fixed_cost",
    "unit_cost",
    "success_probability",
    "weakest_status",
    "warnings",
    "licence_source",
    "plant_source",
    "plant",
    "offers",
    "badge_kind",
    "badge_waiver_fee",
    "sop_driver",
    "sources",
]


def _jsonable(x: Any) -> Any:
    if isinstance(x, dt.date):
        return x.isoformat()
    if isinstance(x, tuple | list):
        return [_jsonable(v) for v in x]
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, np.generic):
        return _jsonable(x.item())
    if isinstance(x, float):
        return round(x, 9)
    return x


def test_golden_xiaomi_2022_routes(xiaomi: evfab.Scenario) -> None:
    """The xiaomi-2022 route table, pinned.

    A deliberate change to the rules engine or the scenario changes this table: review
    the diff, then regenerate the file with ``EVFAB_UPDATE_GOLDEN=1 pytest
    tests/test_rules.py -k golden`` and commit it with the change.
    """
    table = evfab.routes(xiaomi)[GOLDEN_COLUMNS]
    rows = [_jsonable(row) for row in table.to_dict(orient="records")]
    update_golden(GOLDEN, json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    expected = json.loads(GOLDEN.read_text("utf-8"))
    assert [r["id"] for r in rows] == [r["id"] for r in expected]
    for got, want in zip(rows, expected, strict=True):
        assert got == want, got["id"]


def test_xiaomi_2022_routes_make_sense(xiaomi: evfab.Scenario) -> None:
    """The facts the golden table must show, stated in words."""
    rs = {r.id: r for r in evfab.derive_routes(evfab.compile(xiaomi))}
    for rid, r in rs.items():
        if r.plant == "hyundai-no2":
            assert r.weakest_status == "denied", rid
            assert any("denied claim: hyundai-denial" in w for w in r.warnings)
    umb = rs["partner:baic-umbrella@own:yizhuang"]
    assert umb.legal and umb.usable
    assert (umb.manufacturer, umb.badge, umb.names_manufacturer) == ("baic", "Xiaomi", "BAIC")
    assert umb.earliest_sop == D(2024, 1, 1) and umb.meets_target
    assert umb.capacity[2024] == 150000 and umb.capacity[2026] == 300000
    co = rs["partner:bluepark-cobrand@partner:bjev-changzhou"]
    assert (co.manufacturer, co.badge) == ("bluepark", "Xiaomi x BAIC BluePark")
    assert co.capacity[2024] == 200000  # 300,000 less BJEV's own 100,000
    nio = rs["partner:nio-jac@partner:jac-hefei"]
    assert (nio.badge, nio.badge_waiver_fee) == ("Nio (JAC badge waived)", 5e7)
    assert nio.earliest_sop == D(2022, 8, 26) and nio.capacity[2024] == 240000
    # DormantCo's licence (dormant since 2021-06, 24-month rule) lapses 2023-06: it works
    # with its own plant or the stake, not with Yizhuang, ready only in 2024.
    assert rs["acquired:buy-dormant-maker@acquired:dormant-plant"].legal
    assert rs["acquired:buy-dormant-maker@stake:hyundai-no2"].legal
    late = rs["acquired:buy-dormant-maker@own:yizhuang"]
    assert not late.legal and "withdrawn on 2023-06-01" in late.why[0]
    # Xiaomi's application is legal under Order 22 (new licences, 100,000/yr minimum).
    assert rs["applied:xiaomi-bev@own:yizhuang"].legal


# --- property: random valid scenarios ----------------------------------------------

SCOPES = ["bev", "ice"]
STATUSES = [s.value for s in Status]


def _date(draw: st.DrawFn, lo: int, hi: int) -> dt.date:
    return dt.date(draw(st.integers(lo, hi)), draw(st.integers(1, 12)), draw(st.integers(1, 28)))


def _months(draw: st.DrawFn) -> dict[str, float] | float:
    a, b, c = sorted(draw(st.integers(0, 36)) for _ in range(3))
    return draw(st.sampled_from([a, {"min": a, "mode": b, "max": c}]))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A random scenario meant to pass validation (the rest are skipped)."""
    as_of = _date(draw, 2016, 2024)
    horizon = as_of.year + draw(st.integers(0, 6))
    years = list(range(as_of.year, horizon + 1))
    sources: list[dict[str, Any]] = [
        {"id": f"s-{s}", "status": s, "url": "https://example.org", "note": "n"} for s in STATUSES
    ]
    sids = [s["id"] for s in sources]
    cite = st.lists(st.sampled_from(sids), max_size=2, unique=True)

    policy = []
    # Periods often reach past as_of, so that later rules meet the routes' dates.
    since = _date(draw, as_of.year - 4, as_of.year - 1)
    for _ in range(draw(st.integers(1, 4))):
        period: dict[str, Any] = {"since": since.isoformat(), "sources": draw(cite)}
        for key, strat in (
            ("new_licences", st.booleans()),
            ("contract_manufacturing", st.booleans()),
            ("badge_names_manufacturer", st.booleans()),
            ("min_capacity", st.sampled_from([0, 50000, 150000])),
            ("dormant_exit_months", st.integers(0, 36)),
            ("approval_probability", st.floats(0, 1)),
        ):
            if draw(st.booleans()):
                period[key] = draw(strat)
        policy.append(period)
        since = since + dt.timedelta(days=draw(st.integers(1, 1500)))

    n_co = draw(st.integers(2, 5))
    companies: list[dict[str, Any]] = []
    for i in range(n_co):
        c: dict[str, Any] = {
            "id": f"c{i}",
            "name": f"Co{i}",
            "kind": draw(st.sampled_from(["newcomer", "automaker"])),
        }
        if i and draw(st.booleans()):
            c["parent"] = f"c{draw(st.integers(0, i - 1))}"
        companies.append(c)
    cids = [c["id"] for c in companies]

    licences: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 5))):
        lic: dict[str, Any] = {
            "id": f"l{i}",
            "holder": draw(st.sampled_from(cids)),
            "scope": draw(st.sampled_from(SCOPES)),
            "status": draw(st.sampled_from(["held", "applied"])),
            "sources": draw(cite),
        }
        if lic["status"] == "applied":
            lic["applied_on"] = _date(draw, 2012, as_of.year - 1).isoformat()
            if draw(st.booleans()):
                lic["review_months"] = _months(draw)
        elif draw(st.booleans()):
            lic["dormant_since"] = _date(draw, 2012, as_of.year - 1).isoformat()
        licences.append(lic)

    plants: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 5))):
        status = draw(st.sampled_from(["operating", "idle", "under_construction", "planned"]))
        p: dict[str, Any] = {
            "id": f"p{i}",
            "name": f"Plant {i}",
            "operator": draw(st.sampled_from(cids)),
            "status": status,
            "unit_cost": draw(st.integers(0, 200000)),
            "sources": draw(cite),
        }
        phases = []
        for _ in range(draw(st.integers(1, 3))):
            cap = draw(st.integers(1, 300000))
            if status in ("operating", "idle"):
                phases.append(
                    {"capacity": cap, "ready": _date(draw, 2000, horizon + 2).isoformat()}
                )
            elif status == "planned":
                phases.append({"capacity": cap, "months": _months(draw)})
            else:
                p["construction_start"] = (as_of - dt.timedelta(days=400)).isoformat()
                if draw(st.booleans()):
                    phases.append({"capacity": cap, "months": _months(draw)})
                else:
                    phases.append(
                        {"capacity": cap, "ready": _date(draw, as_of.year, horizon + 2).isoformat()}
                    )
        p["phases"] = phases
        total = sum(ph["capacity"] for ph in phases)
        p["committed"] = {
            y: draw(st.integers(0, total)) for y in years if draw(st.integers(0, 2)) == 0
        }
        plants.append(p)
    pids = [p["id"] for p in plants]

    programs = []
    for i in range(draw(st.integers(1, 3))):
        programs.append(
            {
                "id": f"g{i}",
                "company": draw(st.sampled_from(cids)),
                "name": f"Program {i}",
                "scope": draw(st.sampled_from(SCOPES)),
                "target_sop": _date(draw, as_of.year, horizon).isoformat(),
                "badge": draw(st.sampled_from(["own", "co_brand", "any"])),
                "demand": {y: draw(st.integers(0, 300000)) for y in years},
                "sources": draw(cite),
            }
        )

    held_by = {x["holder"] for x in licences if x["status"] == "held"}
    offers: list[dict[str, Any]] = []

    def common() -> dict[str, Any]:
        o: dict[str, Any] = {
            "id": f"o{len(offers)}",
            "to": draw(st.sampled_from(cids)),
            "sources": draw(cite),
            "lead_months": _months(draw),
            "success_probability": draw(st.floats(0, 1)),
            "fixed_fee": draw(st.sampled_from([0, 1e6, 1e9])),
        }
        return o

    for p in plants:  # every planned plant needs its build offer
        if p["status"] == "planned":
            offers.append(common() | {"kind": "build_plant", "to": p["operator"], "plant": p["id"]})
    for _ in range(draw(st.integers(0, 6))):
        o = common()
        others = [c for c in cids if c != o["to"]]
        hosts = sorted(held_by - {o["to"]})
        with_plant = [h for h in hosts if any(p["operator"] == h for p in plants)]
        # Draw only the kinds this world can make valid, so few examples are thrown away.
        kinds = ["acquire_company", "apply_licence"]
        kinds += ["contract_manufacturing"] * bool(with_plant)
        kinds += ["licence_umbrella"] * bool(hosts and pids) + ["plant_stake"] * bool(pids)
        kind = o["kind"] = draw(st.sampled_from(kinds))
        if kind in ("contract_manufacturing", "licence_umbrella"):
            terms = draw(st.sampled_from(["host", "co_brand", "own"]))
            o |= {"badge": terms, "fee_per_unit": draw(st.integers(0, 10000))}
            if terms != "own" and draw(st.booleans()):
                o["badge_waiver_fee"] = draw(st.sampled_from([0, 5e7]))
            if draw(st.integers(0, 3)) == 0:
                o["until"] = _date(draw, as_of.year, horizon + 1).isoformat()
            if kind == "contract_manufacturing":
                party = draw(st.sampled_from(with_plant))
                own = [p["id"] for p in plants if p["operator"] == party]
                o |= {"host": party, "plant": draw(st.sampled_from(own))}
                if draw(st.booleans()):
                    o["capacity"] = {y: draw(st.integers(0, 200000)) for y in years[:2]}
            else:
                o["partner"] = draw(st.sampled_from(hosts))
                o["plants"] = draw(st.lists(st.sampled_from(pids), min_size=1, unique=True))
        elif kind == "acquire_company":
            o |= {
                "target": draw(st.sampled_from(others)),
                "closing_months": _months(draw),
                "transfer_months": _months(draw),
            }
        elif kind == "plant_stake":
            o |= {"plant": draw(st.sampled_from(pids)), "share": draw(st.floats(0.01, 1))}
            if draw(st.booleans()):
                o["capacity_share"] = draw(st.floats(0, 1))
        else:
            o["scope"] = draw(st.sampled_from(SCOPES))
            if draw(st.booleans()):
                o["review_months"] = _months(draw)
        offers.append(o)
    oids = [o["id"] for o in offers]
    for o in offers:
        if len(oids) > 1 and draw(st.integers(0, 4)) == 0:
            o["excludes"] = [draw(st.sampled_from([x for x in oids if x != o["id"]]))]

    return {
        "name": "random",
        "as_of": as_of.isoformat(),
        "horizon": horizon,
        "sources": sources,
        "policy": policy,
        "companies": companies,
        "licences": licences,
        "plants": plants,
        "programs": programs,
        "offers": offers,
    }


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(scenarios())
def test_routes_on_random_valid_scenarios(d: dict[str, Any]) -> None:
    try:
        scenario = evfab.loads(yaml.safe_dump(d, sort_keys=False))
    except evfab.ScenarioError:
        assume(False)
        return
    world = evfab.compile(scenario)
    rs = evfab.derive_routes(world)
    table = evfab.routes(world)  # the public API must not crash either
    assert len(table) == len(rs)
    assert len({(r.program, r.id) for r in rs}) == len(rs)
    rank = {s: STATUS_RANK[Status(s)] for s in STATUSES}
    for r in rs:
        assert r.earliest_sop >= scenario.as_of, r.id
        nameplate = int(world.plants.at[r.plant, "nameplate"])
        assert all(0 <= c <= nameplate for c in r.capacity.values()), r.id
        assert all(c == 0 for y, c in r.capacity.items() if y < r.earliest_sop.year), r.id
        if not r.legal:
            assert r.why and all(r.why), r.id
        if r.usable:
            assert r.legal and r.why == ()
            assert r.success_probability > 0, r.id  # a route that never comes is not usable
        else:
            assert r.why
        statuses = [str(world.sources.at[s, "status"]) for s in r.sources]
        expected = max(statuses, key=rank.__getitem__) if statuses else "assumption"
        assert r.weakest_status == expected
        flagged = [s for s in statuses if rank[s] >= rank["unclear"]]
        assert len(r.warnings) == len(flagged)
        assert 0.0 <= r.success_probability <= 1.0
        # A legal route's licence is granted while new licences are, and production under
        # a partner's licence starts while contract manufacturing is allowed (periods after
        # as_of included); a route illegal for a ban has no later period lifting it.
        t = r.timing
        assert t is not None
        due = max(scenario.as_of, t.licence.nominal())
        if r.legal and r.licence_source in ("apply", "applied"):
            assert world.policy_at(due).new_licences, r.id
        if r.legal and r.licence_source == "partner":
            assert world.policy_at(r.earliest_sop).contract_manufacturing, r.id
        for why in r.why:
            rule = {
                "new licences": "new_licences",
                "contract manufacturing": "contract_manufacturing",
            }
            for words, name in rule.items():
                if why.startswith(f"{words} ") and "not" in why.split(";")[0]:
                    later = [p for p in world.policy if p.since > scenario.as_of]
                    assert not getattr(later[-1] if later else world.policy_at(due), name), why
        # Nothing is built under an agreement after it ends.
        if t.until is not None:
            assert all(c == 0 for y, c in r.capacity.items() if y > t.until.year), r.id
            assert not r.usable or r.earliest_sop < t.until, r.id
        assert r.fixed_cost >= 0 and r.unit_cost >= 0
        assert r.meets_target == (r.earliest_sop <= r.target_sop)


@pytest.mark.parametrize(
    ("date", "warned"),
    [("2021-12-31", False), ("2022-01-01", False), ("2023-05-02", True), ("2023-05", True)],
)
def test_a_source_published_after_as_of_is_flagged_as_hindsight(date: str, warned: bool) -> None:
    # MINIMAL plans from 2022-01-01; its policy (which every route rests on) cites s1.
    text = MINIMAL.replace(
        "{id: s1, status: confirmed, url: https://example.org/a}",
        f"{{id: s1, status: confirmed, url: https://example.org/a, date: {date}}}",
    )
    (r,) = [r for r in evfab.derive_routes(evfab.compile(evfab.loads(text))) if r.usable]
    flag = f"rests on hindsight: s1, published {date}, after as_of"  # 2023-05 stays 2023-05
    assert (flag in r.warnings) is warned
    assert r.weakest_status == "assumption"  # the flag does not change the claims' status
