"""Business checks (stage 2): cross-references and rules on a schema-valid scenario.

Each invalid scenario is a small mutation of ``MINIMAL`` (see conftest.py for its
line numbers), so the expected line of every problem can be read off the fixture.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evfab
from conftest import mutate
from evfab._checks import CHECKS

FAST = settings(
    max_examples=50,
    deadline=None,
    # ``minimal_text`` is a constant string, safe to share between examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def problems_of(text: str) -> list[evfab.Problem]:
    try:
        evfab.loads(text, file="x.yaml")
    except evfab.ScenarioError as exc:
        return exc.problems
    return []


def case(
    pairs: list[tuple[str, str]],
    line: int,
    path: str,
    message: str,
    hint: str,
    *,
    id: str,
    count: int = 1,
) -> Any:
    """One invalid scenario: its mutations, the problem expected, and how many there are."""
    return pytest.param(pairs, line, path, message, hint, count, id=id)


# New items appended to the end of a list of MINIMAL.
def add_offer(flow: str) -> tuple[str, str]:
    """A second offer, on line 47."""
    return ("    sources: [a1]\n", f"    sources: [a1]\n  - {flow}\n")


def add_licence(flow: str) -> tuple[str, str]:
    """A second licence, on line 19."""
    old = "  - {id: oldco-bev, holder: oldco, status: held, sources: [s1]}\n"
    return (old, f"{old}  - {flow}\n")


def add_plant(flow: str) -> tuple[str, str]:
    """A second plant, on line 29."""
    return ("    unit_cost: 100\n", f"    unit_cost: 100\n  - {flow}\n")


def add_policy(flow: str) -> tuple[str, str]:
    """A second policy period, on line 14."""
    return ("    sources: [s1]\n", f"    sources: [s1]\n  - {flow}\n")


NEWCO = "{id: newco, name: NewCo, kind: newcomer}"
OLDCO = "{id: oldco, name: OldCo, kind: automaker}"

CHECK_CASES = [
    # --- unknown ids --------------------------------------------------------------
    case(
        [("company: newco", "company: newko")],
        31,
        "programs[0].company",
        "unknown company 'newko'",
        "did you mean 'newco'?",
        id="unknown-company-program",
    ),
    case(
        [
            add_licence("{id: l2, status: held, holder: oldco}"),  # the host keeps one
            ("holder: oldco, status: held", "holder: nobody, status: held"),
        ],
        18,
        "licences[0].holder",
        "unknown company 'nobody'",
        "define it under `companies:`",
        id="unknown-company-licence-holder",
    ),
    case(
        [("to: newco", "to: nwco")],
        40,
        "offers[0].to",
        "unknown company 'nwco'",
        "did you mean 'newco'?",
        id="unknown-company-offer-buyer",
    ),
    case(
        [(NEWCO, "{id: newco, name: NewCo, kind: newcomer, parent: group}")],
        15,
        "companies[0].parent",
        "unknown company 'group'",
        "define it under `companies:`",
        id="unknown-parent",
    ),
    case(
        [
            (
                OLDCO,
                "{id: oldco, name: OldCo, kind: automaker, owners: [{company: ghost, share: 0.5}]}",
            )
        ],
        16,
        "companies[1].owners[0].company",
        "unknown company 'ghost'",
        "define it under `companies:`",
        id="unknown-company-owner",
    ),
    case(
        [
            (
                "unit_cost: 100",
                "owners: [{company: oldco, share: 0.5}, {company: newko, share: 0.5}]",
            )
        ],
        28,
        "plants[0].owners[1].company",
        "unknown company 'newko'",
        "did you mean 'newco'?",
        id="unknown-plant-owner",
    ),
    case(
        [("operator: oldco", "operator: ghost")],
        22,
        "plants[0].operator",
        "unknown company 'ghost'",
        "define it under `companies:`",
        id="unknown-operator",  # once: the offer's host is not compared with it
    ),
    case(
        [("plant: old-plant", "plant: old-plnt")],
        42,
        "offers[0].plant",
        "unknown plant 'old-plnt'",
        "did you mean 'old-plant'?",
        id="unknown-plant-offer",
    ),
    case(
        [add_offer("{id: stake, kind: plant_stake, to: newco, plant: nowhere, share: 0.5}")],
        47,
        "offers[1].plant",
        "unknown plant 'nowhere'",
        "define it under `plants:`",
        id="unknown-plant-stake",
    ),
    case(
        [
            add_offer(
                "{id: umb, kind: licence_umbrella, to: newco, partner: oldco,"
                " plants: [old-plant, new-plant]}"
            )
        ],
        47,
        "offers[1].plants[1]",
        "unknown plant 'new-plant'",
        "did you mean 'old-plant'?",
        id="unknown-plant-umbrella",
        count=2,  # and old-plant, oldco's, gives newco no route under the umbrella
    ),
    case(
        [("lost_margin: 50", "logistics: {old-plnt: 300}")],
        36,
        "programs[0].logistics.old-plnt",
        "unknown plant 'old-plnt'",
        "did you mean 'old-plant'?",
        id="unknown-plant-logistics",
    ),
    case(
        [("fee_per_unit: 10", "licence: oldco-phev")],
        43,
        "offers[0].licence",
        "unknown licence 'oldco-phev'",
        "did you mean 'oldco-bev'?",
        id="unknown-licence",
    ),
    case(
        [("fee_per_unit: 10", "excludes: [cn]")],
        43,
        "offers[0].excludes[0]",
        "unknown offer 'cn'",
        "define it under `offers:`, or use one of: 'cm'",
        id="unknown-offer",
    ),
    case(
        [("sources: [a1]", "sources: [a2]")],
        46,
        "offers[0].sources[0]",
        "source 'a2' is cited but not defined",
        "use one of: 'a1', 's1'",
        id="undefined-source-offer",
    ),
    case(
        [("status: held, sources: [s1]", "status: held, sources: [s1, wiki]")],
        18,
        "licences[0].sources[1]",
        "source 'wiki' is cited but not defined",
        "define it under `sources:`",
        id="undefined-source-licence",
    ),
    case(
        [("    sources: [s1]\n", "    sources: [s1, s9]\n")],
        13,
        "policy[0].sources[1]",
        "source 's9' is cited but not defined",
        "use one of: 'a1', 's1'",
        id="undefined-source-policy",
    ),
    # --- duplicate ids ------------------------------------------------------------
    case(
        [add_offer("{id: cm, kind: apply_licence, to: newco}")],
        47,
        "offers[1].id",
        "duplicate id 'cm' (first used at offers[0])",
        "give each entry its own id",
        id="duplicate-offer-id",
    ),
    case(
        [add_licence("{id: oldco-bev, holder: newco, status: held}")],
        19,
        "licences[1].id",
        "duplicate id 'oldco-bev' (first used at licences[0])",
        "give each entry its own id",
        id="duplicate-licence-id",
    ),
    # --- sources ------------------------------------------------------------------
    case(
        [("{id: a1, status: assumption, note: made up for tests}", "{id: a1, status: assumption}")],
        6,
        "sources[1].status",
        "assumption 'a1' gives no reason",
        "add a one-line `note:`",
        id="assumption-without-reason",
    ),
    case(
        [("url: https://example.org/a}", "note: heard it somewhere}")],
        5,
        "sources[0]",
        "source 's1' has neither url nor publisher",
        "add `url:`",
        id="source-without-url",
    ),
    # --- dates and periods --------------------------------------------------------
    case(
        [("horizon: 2026", "horizon: 2021")],
        3,
        "horizon",
        "horizon 2021 is before as_of 2022-01-01",
        "set horizon to a later year",
        id="horizon-before-as-of",  # once: not again for each year and the SOP after it
    ),
    case(
        [add_policy("{since: 2014-01-01, new_licences: false}")],
        14,
        "policy[1].since",
        "period starts 2014-01-01, not after the previous one (2015-01-01)",
        "list policy periods in date order",
        id="policy-out-of-order",
    ),
    case(
        [add_policy("{since: 2015-01-01, new_licences: false}")],
        14,
        "policy[1].since",
        "not after the previous one",
        "one per date",
        id="policy-same-date",
    ),
    case(
        [("since: 2015-01-01", "since: 2023-01-01")],
        8,
        "policy[0].since",
        "no policy is in force on as_of 2022-01-01",
        "add a period that starts on or before as_of",
        id="policy-starts-after-as-of",
    ),
    case(
        [("target_sop: 2023-06", "target_sop: 2027-06")],
        33,
        "programs[0].target_sop",
        "target SOP 2027-06-01 is after the horizon (2026)",
        "extend `horizon:` or move the SOP",
        id="sop-after-horizon",
    ),
    case(
        [("demand: {2023: 10000, 2024: 50000}", "demand: {2023: 10000, 2030: 50000}")],
        34,
        "programs[0].demand.2030",
        "demand year 2030 is outside 2022-2026",
        "keep demand years within the scenario",
        id="demand-year-outside",
    ),
    # --- durations ----------------------------------------------------------------
    case(
        [("lead_months: 6", "lead_months: {min: 9, mode: 6, max: 12}")],
        45,
        "offers[0].lead_months",
        "duration is out of order: min 9, mode 6, max 12 months",
        "write min <= mode <= max",
        id="duration-min-over-mode",
    ),
    case(
        [("min_capacity: 0", "review_months: {min: 3, mode: 6, max: 4}")],
        10,
        "policy[0].review_months",
        "min 3, mode 6, max 4",
        "write min <= mode <= max",
        id="duration-mode-over-max",
    ),
    case(
        [
            add_plant(
                "{id: p2, name: P2, operator: newco, status: planned,"
                " phases: [{capacity: 1000, months: {min: 30, mode: 24, max: 20}}]}"
            ),
            add_offer("{id: build, kind: build_plant, to: newco, plant: p2}"),
        ],
        29,
        "plants[1].phases[0].months",
        "min 30, mode 24, max 20",
        "write min <= mode <= max",
        id="duration-reversed-in-phase",
    ),
    # --- companies and shares -----------------------------------------------------
    case(
        [
            (
                "unit_cost: 100",
                "owners: [{company: oldco, share: 0.7}, {company: newco, share: 0.4}]",
            )
        ],
        28,
        "plants[0].owners",
        "owners' shares of 'old-plant' add up to 110 %, over 100 %",
        "sum to at most 1",
        id="plant-shares-over-100",
    ),
    case(
        [
            (
                NEWCO,
                "{id: newco, name: NewCo, kind: joint_venture,"
                " owners: [{company: oldco, share: 0.6}, {company: jv2, share: 0.6}]}",
            ),
            (OLDCO, f"{OLDCO}\n  - {{id: jv2, name: JV2, kind: automaker}}"),
        ],
        15,
        "companies[0].owners",
        "owners' shares of 'newco' add up to 120 %, over 100 %",
        "sum to at most 1",
        id="company-shares-over-100",
    ),
    case(
        [
            (
                "unit_cost: 100",
                "owners: [{company: oldco, share: 0.5}, {company: oldco, share: 0.2}]",
            )
        ],
        28,
        "plants[0].owners",
        "owner 'oldco' is listed twice in 'old-plant'",
        "merge the two entries",
        id="owner-listed-twice",
    ),
    case(
        [
            (
                OLDCO,
                "{id: oldco, name: OldCo, kind: joint_venture, owners: [{company: newco, share: 0.5}]}",
            )
        ],
        16,
        "companies[1].owners",
        "joint venture 'oldco' lists 1 owner(s)",
        "list at least two owners",
        id="joint-venture-one-owner",
    ),
    case(
        [
            (
                OLDCO,
                "{id: oldco, name: OldCo, kind: automaker, owners: [{company: oldco, share: 1}]}",
            )
        ],
        16,
        "companies[1].owners[0].company",
        "company 'oldco' cannot own itself",
        "remove this owner",
        id="company-owns-itself",
    ),
    case(
        [(NEWCO, "{id: newco, name: NewCo, kind: newcomer, parent: newco}")],
        15,
        "companies[0].parent",
        "company 'newco' is its own parent",
        "remove `parent:`",
        id="own-parent",
    ),
    case(
        [
            (NEWCO, "{id: newco, name: NewCo, kind: newcomer, parent: oldco}"),
            (OLDCO, "{id: oldco, name: OldCo, kind: automaker, parent: newco}"),
        ],
        15,
        "companies[0].parent",
        "parent chain of 'newco' loops back to it",
        "break the cycle",
        id="parent-cycle",
        count=2,  # both companies of the cycle are reported
    ),
    # --- licences -----------------------------------------------------------------
    case(
        [add_licence("{id: newco-bev, holder: newco, status: applied}")],
        19,
        "licences[1].status",
        "licence 'newco-bev' is applied for but has no `applied_on` date",
        "add `applied_on: YYYY-MM-DD`",
        id="applied-without-date",
    ),
    case(
        [add_licence("{id: newco-bev, holder: newco, status: applied, applied_on: 2022-05-01}")],
        19,
        "licences[1].applied_on",
        "application date 2022-05-01 is after as_of 2022-01-01",
        "`apply_licence` offer",
        id="applied-after-as-of",
    ),
    case(
        [
            add_licence(
                "{id: newco-bev, holder: newco, status: applied, applied_on: 2021-05-01,"
                " dormant_since: 2021-01-01}"
            )
        ],
        19,
        "licences[1].dormant_since",
        "only a held licence can be dormant",
        "remove `dormant_since:`",
        id="dormant-application",
    ),
    case(
        [("status: held, sources: [s1]", "status: held, dormant_since: 2023-01-01")],
        18,
        "licences[0].dormant_since",
        "dormant since 2023-01-01, after as_of 2022-01-01",
        "on or before as_of",
        id="dormant-after-as-of",
    ),
    # --- plants -------------------------------------------------------------------
    case(
        [("{capacity: 100000, ready: 2010-01}", "{capacity: 100000, ready: 2009-06}")],
        26,
        "plants[0].phases[0].ready",
        "phase ready 2009-06-01, before the plant opened (2010-01-01)",
        "cannot be ready before the plant opens",
        id="phase-ready-before-opened",
    ),
    case(
        [("{capacity: 100000, ready: 2010-01}", "{capacity: 100000}")],
        26,
        "plants[0].phases[0]",
        "phase needs exactly one of `ready` (a date) or `months` (build time)",
        "`months:` for plants built through an offer",
        id="phase-without-ready-or-months",
    ),
    case(
        [("{capacity: 100000, ready: 2010-01}", "{capacity: 100000, months: 18}")],
        26,
        "plants[0].phases[0].months",
        "build time given but the plant has no `construction_start`",
        "add `construction_start:`",
        id="phase-months-without-construction-start",
    ),
    case(
        [("opened: 2010-01", "opened: 2023-01")],
        24,
        "plants[0].opened",
        "plant is operating but opens 2023-01-01, after as_of 2022-01-01",
        "under_construction or planned",
        id="operating-plant-opens-later",
        count=2,  # and its phase is then ready before it opened
    ),
    case(
        [
            add_plant(
                "{id: p2, name: P2, operator: newco, status: planned, phases: [{capacity: 1000, months: 24}]}"
            )
        ],
        29,
        "plants[1].status",
        "planned plant 'p2' has no build_plant offer",
        "add an offer `kind: build_plant`",
        id="planned-plant-without-build-offer",
    ),
    case(
        [
            add_plant(
                "{id: p2, name: P2, operator: newco, status: planned,"
                " phases: [{capacity: 1000, ready: 2024-01}]}"
            ),
            add_offer("{id: build, kind: build_plant, to: newco, plant: p2}"),
        ],
        29,
        "plants[1].phases[0].ready",
        "a planned plant's phases need `months`",
        "replace `ready:` with `months:`",
        id="planned-plant-with-ready-date",
    ),
    case(
        [("committed: {2022: 20000}", "committed: {2022: 150000}")],
        27,
        "plants[0].committed.2022",
        "committed load 150,000 exceeds the plant's capacity of 100,000/year",
        "lower the load or add a phase",
        id="committed-over-capacity",
    ),
    case(
        [
            (
                "- {capacity: 100000, ready: 2010-01}",
                "- {capacity: 100000, ready: 2010-01}\n      - {capacity: 100000, ready: 2024-07}",
            ),
            ("committed: {2022: 20000}", "committed: {2023: 150000}"),
        ],
        28,
        "plants[0].committed.2023",
        "committed load 150,000 in 2023 exceeds the 100,000 cars the plant's phases give that "
        "year (each counted from its ready date, prorated",
        "lower that year's load, or date the phase that carries it earlier",
        id="committed-over-capacity-ready-that-year",
    ),
    case(
        [("committed: {2022: 20000}", "committed: {2020: 20000}")],
        27,
        "plants[0].committed.2020",
        "year 2020 is outside 2022-2026",
        "keep committed years within the scenario",
        id="committed-year-outside",
    ),
    # --- offers -------------------------------------------------------------------
    case(
        [("holder: oldco, status: held", "holder: newco, status: held")],
        41,
        "offers[0].host",
        "host 'oldco' holds no production licence",
        "add a held licence for it",
        id="host-without-licence",
    ),
    case(
        [
            add_offer(
                "{id: umb, kind: licence_umbrella, to: oldco, partner: newco, plants: [old-plant]}"
            )
        ],
        47,
        "offers[1].partner",
        "partner 'newco' holds no production licence",
        "choose a licensed partner",
        id="partner-without-licence",
    ),
    case(
        [
            add_licence("{id: newco-bev, holder: newco, status: held}"),
            ("fee_per_unit: 10", "licence: newco-bev"),
        ],
        44,  # the added licence moved the offer down a line
        "offers[0].licence",
        "licence 'newco-bev' is not held by host 'oldco'",
        "name a licence that 'oldco' holds",
        id="licence-of-another-company",
    ),
    case(
        [("operator: oldco", "operator: newco")],
        42,
        "offers[0].plant",
        "plant 'old-plant' is run by 'newco', not by host 'oldco'",
        "uses the host's own plant",
        id="contract-plant-not-run-by-host",
    ),
    case(
        [("to: newco", "to: oldco")],
        41,
        "offers[0].host",
        "host and buyer are both 'oldco'",
        "made by one company to another",
        id="host-is-buyer",
    ),
    case(
        [("fee_per_unit: 10", "excludes: [cm]")],
        43,
        "offers[0].excludes[0]",
        "an offer cannot exclude itself",
        "remove it from `excludes`",
        id="offer-excludes-itself",
    ),
    case(
        [
            ("fee_per_unit: 10", "badge_waiver_fee: 5"),
            ("badge: co_brand\n    lead", "badge: own\n    lead"),
        ],
        43,
        "offers[0].badge_waiver_fee",
        "a waiver fee is given but the terms already allow the buyer's own badge",
        "drop `badge_waiver_fee:`",
        id="waiver-fee-for-own-badge",
    ),
    case(
        [("fee_per_unit: 10", "capacity: {2031: 5000}")],
        43,
        "offers[0].capacity.2031",
        "year 2031 is outside 2022-2026",
        "keep capacity years within the scenario",
        id="contract-capacity-year-outside",
    ),
    case(
        [("fee_per_unit: 10", "until: 2021-12")],
        43,
        "offers[0].until",
        "the agreement ends on 2021-12-01, on or before as_of 2022-01-01",
        "drop the offer, or model a renewal as a new offer with its own lead time",
        id="contract-ended-before-as-of",
    ),
    case(
        [add_offer("{id: buy, kind: acquire_company, to: newco, target: newco}")],
        47,
        "offers[1].target",
        "a company cannot buy itself",
        "name another target",
        id="acquire-itself",
    ),
    case(
        [add_offer("{id: buy, kind: acquire_company, to: newco, target: oldcorp}")],
        47,
        "offers[1].target",
        "unknown company 'oldcorp'",
        "did you mean 'oldco'?",
        id="acquire-unknown-company",
    ),
    case(
        [add_offer("{id: build, kind: build_plant, to: oldco, plant: old-plant}")],
        47,
        "offers[1].plant",
        "plant 'old-plant' is operating, not planned",
        "`status: planned`",
        id="build-existing-plant",
    ),
    case(
        [
            add_plant(
                "{id: p2, name: P2, operator: oldco, status: planned, phases: [{capacity: 1000, months: 24}]}"
            ),
            add_offer("{id: build, kind: build_plant, to: newco, plant: p2}"),
        ],
        48,  # the added plant moved the offers down a line
        "offers[1].plant",
        "plant 'p2' would be run by 'oldco', not by 'newco'",
        "set the planned plant's operator to the builder",
        id="build-plant-for-another-operator",
    ),
    case(
        [add_offer("{id: apply, kind: apply_licence, to: oldco}")],
        47,
        "offers[1].scope",
        "'oldco' already holds a bev_passenger licence",
        "remove the offer or change its scope",
        id="apply-for-held-licence",
    ),
    # --- semantic mistakes that would silently give no route -------------------------
    case(
        [add_offer("{id: st, kind: plant_stake, to: oldco, plant: old-plant, share: 0.3}")],
        47,
        "offers[1].plant",
        "plant 'old-plant' is run by 'oldco', the buyer's own: a stake in it buys nothing",
        "own plants are used directly",
        id="stake-in-own-plant",
    ),
    case(
        [
            add_offer(
                "{id: umb, kind: licence_umbrella, to: newco, partner: oldco, plants: [old-plant]}"
            )
        ],
        47,
        "offers[1].plants[0]",
        "plant 'old-plant', run by 'oldco', is not one that 'newco' runs, stakes or builds",
        "add a `plant_stake` or `build_plant` offer",
        id="umbrella-over-a-foreign-plant",
    ),
    case(
        [
            add_licence(
                "{id: held2, holder: newco, status: held, scope: phev, applied_on: 2021-01-01}"
            )
        ],
        19,
        "licences[1].applied_on",
        "licence 'held2' is held, but has an application date",
        "remove `applied_on:`, or set `status: applied`",
        id="held-licence-with-application-date",
    ),
    case(
        [("status: operating", "status: under_construction")],
        24,
        "plants[0].opened",
        "plant is under_construction but opened 2010-01-01, on or before as_of 2022-01-01",
        "set `status: operating` or `idle`",
        id="under-construction-but-opened",
    ),
    case(
        [
            (
                NEWCO,
                "{id: newco, name: NewCo, kind: joint_venture,"
                " owners: [{company: oldco, share: 0.5}, {company: jv2, share: 0.5}]}\n"
                "  - {id: jv2, name: JV2, kind: joint_venture,"
                " owners: [{company: newco, share: 0.5}, {company: oldco, share: 0.5}]}",
            )
        ],
        15,
        "companies[0].owners",
        "companies own each other in a circle: 'newco' is owned by 'jv2', which is owned by 'newco'",
        "remove one of these owner entries",
        id="joint-ventures-own-each-other",
    ),
    # --- sources_by_rule: the period's own sources, tied to rules it sets -----------
    case(
        [
            (
                "    sources: [s1]\n",
                "    sources: [s1]\n    sources_by_rule: {review_months: [s1]}\n",
            )
        ],
        14,
        "policy[0].sources_by_rule.review_months",
        "the period does not set review_months",
        "set `review_months:` in this period",
        id="sources-by-rule-of-a-rule-not-set",
    ),
    case(
        [
            (
                "    sources: [s1]\n",
                "    sources: [s1]\n    sources_by_rule: {min_capacity: [s1, a1]}\n",
            )
        ],
        14,
        "policy[0].sources_by_rule.min_capacity[1]",
        "source 'a1' is not among the period's sources",
        "add it to the period's `sources:` too",
        id="sources-by-rule-not-among-the-periods-sources",
    ),
    case(
        [("    sources: [s1]\n", "    sources: [s1]\n    sources_by_rule: {min_capacity: [s2]}\n")],
        14,
        "policy[0].sources_by_rule.min_capacity[0]",
        "source 's2' is cited but not defined",
        "define it under `sources:`",
        id="sources-by-rule-undefined-source",
    ),
]


@pytest.mark.parametrize(("pairs", "line", "path", "message", "hint", "count"), CHECK_CASES)
def test_business_problem_is_located(
    minimal_text: str,
    pairs: list[tuple[str, str]],
    line: int,
    path: str,
    message: str,
    hint: str,
    count: int,
) -> None:
    problems = problems_of(mutate(minimal_text, *pairs))
    assert len(problems) == count, "\n".join(map(str, problems))
    matching = [p for p in problems if p.path == path and message in p.message]
    assert len(matching) == 1, "\n".join(map(str, problems))
    (p,) = matching
    assert (p.file, p.line) == ("x.yaml", line)
    assert hint in p.hint


def test_umbrella_over_a_staked_or_built_plant_is_fine(minimal_text: str) -> None:
    stake = "{id: st, kind: plant_stake, to: newco, plant: old-plant, share: 0.3}"
    umbrella = "{id: umb, kind: licence_umbrella, to: newco, partner: oldco, plants: [old-plant]}"
    text = mutate(
        minimal_text, ("    sources: [a1]\n", f"    sources: [a1]\n  - {stake}\n  - {umbrella}\n")
    )
    assert problems_of(text) == []


def test_a_subsidiarys_plant_is_the_buyers_own(minimal_text: str) -> None:
    # newco's subsidiary runs the plant: a stake in it buys nothing either.
    text = mutate(
        minimal_text,
        (OLDCO, "{id: oldco, name: OldCo, kind: automaker, parent: newco}"),
        (
            "    sources: [a1]\n",
            "    sources: [a1]\n  - {id: st, kind: plant_stake, to: newco, plant: old-plant, share: 0.3}\n",
        ),
    )
    assert [p.path for p in problems_of(text) if "buys nothing" in p.message] == ["offers[1].plant"]


def test_a_stake_in_an_own_planned_plant_is_left_alone(minimal_text: str) -> None:
    # The rules engine models it (the stake waits for the construction): not flagged.
    text = mutate(
        minimal_text,
        add_plant(
            "{id: np, name: NP, operator: newco, status: planned,"
            " phases: [{capacity: 1000, months: 12}]}"
        ),
        (
            "    sources: [a1]\n",
            "    sources: [a1]\n  - {id: b, kind: build_plant, to: newco, plant: np}\n"
            "  - {id: st, kind: plant_stake, to: newco, plant: np, share: 0.5}\n",
        ),
    )
    assert problems_of(text) == []


def test_minimal_passes_every_check(minimal_text: str) -> None:
    assert problems_of(minimal_text) == []


def test_checks_are_named_and_documented() -> None:
    for check in CHECKS:
        assert check.__name__.startswith("check_")
        assert check.__doc__


# --- properties ---------------------------------------------------------------------

months = st.integers(min_value=0, max_value=60) | st.floats(
    min_value=0, max_value=60, allow_nan=False
).map(lambda x: round(x, 1))


@FAST
@given(lo=months, mode=months, hi=months)
def test_duration_valid_iff_ordered(minimal_text: str, lo: float, mode: float, hi: float) -> None:
    text = mutate(
        minimal_text, ("lead_months: 6", f"lead_months: {{min: {lo}, mode: {mode}, max: {hi}}}")
    )
    problems = problems_of(text)
    if lo <= mode <= hi:
        assert problems == []
    else:
        (p,) = problems
        assert (p.line, p.path) == (45, "offers[0].lead_months")
        assert "out of order" in p.message


@FAST
@given(prob=st.floats(min_value=-2, max_value=3, allow_nan=False))
def test_probability_problem_iff_outside_unit_interval(minimal_text: str, prob: float) -> None:
    text = mutate(minimal_text, ("fee_per_unit: 10", f"success_probability: {prob!r}"))
    problems = problems_of(text)
    if 0 <= prob <= 1:
        assert problems == []
    else:
        (p,) = problems
        assert (p.line, p.path) == (43, "offers[0].success_probability")
        assert "between 0 and 1" in p.hint


OWNERS = ["oldco", "newco", "c3", "c4"]


@FAST
@given(percents=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=4))
def test_owner_shares_problem_iff_sum_over_one(minimal_text: str, percents: list[int]) -> None:
    owners = ", ".join(
        f"{{company: {c}, share: {pc / 100}}}" for c, pc in zip(OWNERS, percents, strict=False)
    )
    text = mutate(
        minimal_text,
        (
            OLDCO,
            f"{OLDCO}\n  - {{id: c3, name: C3, kind: group}}\n  - {{id: c4, name: C4, kind: group}}",
        ),
        ("unit_cost: 100", f"owners: [{owners}]"),
    )
    problems = problems_of(text)
    if sum(percents) <= 100:
        assert problems == []
    else:
        (p,) = problems
        assert p.path == "plants[0].owners"
        assert f"add up to {sum(percents)} %" in p.message


dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2021, 12, 31))


@FAST
@given(opened=dates, ready=dates)
def test_phase_ready_problem_iff_before_opening(
    minimal_text: str, opened: dt.date, ready: dt.date
) -> None:
    text = mutate(
        minimal_text,
        ("opened: 2010-01", f"opened: {opened}"),
        ("ready: 2010-01", f"ready: {ready}"),
    )
    problems = problems_of(text)
    if ready >= opened:
        assert problems == []
    else:
        (p,) = problems
        assert (p.line, p.path) == (26, "plants[0].phases[0].ready")
        assert "before the plant opened" in p.message


@FAST
@given(load=st.integers(min_value=0, max_value=300_000), year=st.integers(2015, 2032))
def test_committed_problem_iff_over_capacity_or_outside(
    minimal_text: str, load: int, year: int
) -> None:
    text = mutate(minimal_text, ("committed: {2022: 20000}", f"committed: {{{year}: {load}}}"))
    problems = problems_of(text)
    if 2022 <= year <= 2026 and load <= 100_000:
        assert problems == []
    else:
        (p,) = problems
        assert (p.line, p.path) == (27, f"plants[0].committed.{year}")


@FAST
@given(
    load=st.integers(min_value=0, max_value=250_000),
    year=st.integers(2022, 2026),
    ready=st.dates(min_value=dt.date(2010, 1, 1), max_value=dt.date(2026, 12, 31)),
)
def test_committed_problem_iff_over_the_capacity_ready_that_year(
    minimal_text: str, load: int, year: int, ready: dt.date
) -> None:
    """A second phase counts from its ready date, prorated by the days left in that year."""
    text = mutate(
        minimal_text,
        (
            "- {capacity: 100000, ready: 2010-01}",
            f"- {{capacity: 100000, ready: 2010-01}}\n      - {{capacity: 50000, ready: {ready}}}",
        ),
        ("committed: {2022: 20000}", f"committed: {{{year}: {load}}}"),
    )
    problems = problems_of(text)
    if year > ready.year:
        share = 1.0
    elif year < ready.year:
        share = 0.0
    else:
        days = 366 if year % 4 == 0 else 365
        share = 1.0 - (ready.timetuple().tm_yday - 1) / days
    if load <= 100_000 + 50_000 * share + 1e-6:
        assert problems == []
    else:
        (p,) = problems
        assert (p.line, p.path) == (28, f"plants[0].committed.{year}")
        assert "exceeds the" in p.message


def test_committed_load_of_a_plant_under_construction_counts_from_build_months(
    minimal_text: str,
) -> None:
    """A phase given in build months counts from the construction start plus the mode."""
    text = mutate(
        minimal_text,
        ("opened: 2010-01", "construction_start: 2021-01"),
        ("status: operating", "status: under_construction"),
        ("{capacity: 100000, ready: 2010-01}", "{capacity: 100000, months: 24}"),
        ("committed: {2022: 20000}", "committed: {2022: 1000, 2023: 20000}"),
    )
    (p,) = problems_of(text)
    assert p.path == "plants[0].committed.2022"
    assert "committed load 1,000 in 2022 exceeds the 0 cars" in p.message


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_misspelt_program_scope_is_a_problem(minimal_text: str) -> None:
    text = mutate(
        minimal_text, ("    lost_margin: 50\n", "    lost_margin: 50\n    scope: bev_pasenger\n")
    )
    (p,) = problems_of(text)
    assert (p.line, p.path) == (_line_of(text, "bev_pasenger"), "programs[0].scope")
    assert "no licence or licence application has scope 'bev_pasenger'" in p.message
    assert p.hint == "did you mean 'bev_passenger'?"


def test_a_program_scope_in_other_letters_is_a_problem(minimal_text: str) -> None:
    # Ids are exact: BEV_passenger is not bev_passenger, and no licence had it.
    text = mutate(
        minimal_text, ("    lost_margin: 50\n", "    lost_margin: 50\n    scope: BEV_passenger\n")
    )
    (p,) = problems_of(text)
    assert p.path == "programs[0].scope" and p.hint == "did you mean 'bev_passenger'?"


def test_a_misspelt_licence_scope_is_a_problem(minimal_text: str) -> None:
    old = "{id: oldco-bev, holder: oldco, status: held, sources: [s1]}"
    text = mutate(minimal_text, (old, old.replace("held,", "held, scope: bev_passneger,")))
    (p,) = (p for p in problems_of(text) if p.path == "licences[0].scope")
    assert "no program needs scope 'bev_passneger', so the licence builds nothing" in p.message


def test_a_scope_of_its_own_is_no_typo(minimal_text: str) -> None:
    # A PHEV program with no PHEV licence anywhere has no route; that is a result, not a slip.
    text = mutate(
        minimal_text, ("    lost_margin: 50\n", "    lost_margin: 50\n    scope: phev_passenger\n")
    )
    assert problems_of(text) == []


@pytest.mark.parametrize(
    ("scopes", "path", "message", "hint"),
    [
        (
            "[bev_pasenger]",
            "policy[0].scopes[0]",
            "no licence, application or program has scope 'bev_pasenger', so the period's "
            "rules bear on nothing",
            "did you mean 'bev_passenger'?",
        ),
        (
            "[]",
            "policy[0].scopes",
            "an empty list limits the period's rules to no vehicle scope",
            "leave it unset for every scope, or list the scopes, e.g. [bev_passenger]",
        ),
        (
            # Ids are exact: other letters bore on nothing, and validate said ok.
            "[BEV_passenger]",
            "policy[0].scopes[0]",
            "no licence, application or program has scope 'BEV_passenger', so the period's "
            "rules bear on nothing",
            "did you mean 'bev_passenger'?",
        ),
        (
            "[bev_passenger, bev_passenger]",
            "policy[0].scopes[1]",
            "scope 'bev_passenger' is listed twice",
            "list each scope once",
        ),
    ],
)
def test_a_policy_periods_scopes_are_checked(
    minimal_text: str, scopes: str, path: str, message: str, hint: str
) -> None:
    # A second period, limited to the scopes given.
    text = mutate(
        minimal_text,
        (
            "    sources: [s1]\ncompanies:",
            "    sources: [s1]\n"
            f"  - {{since: 2020-01-01, scopes: {scopes}, new_licences: false, sources: [s1]}}\n"
            "companies:",
        ),
    )
    (p,) = problems_of(text)
    path = path.replace("policy[0]", "policy[1]")
    assert (p.line, p.path, p.message, p.hint) == (_line_of(text, "scopes:"), path, message, hint)
    # A scope of the trade no one has yet is no slip: the period waits for it.
    assert problems_of(text.replace(scopes, "[ice_passenger]")) == []


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        (
            "{capacity: 100000, ready: 2010-01}",
            "{capacity: true, ready: 2010-01}",
            "plants[0].phases[0].capacity",
        ),
        ("demand: {2023: 10000,", "demand: {2023: true,", "programs[0].demand.2023"),
        ("lost_margin: 50", "lost_margin: false", "programs[0].lost_margin"),
    ],
)
def test_true_or_false_is_no_number(minimal_text: str, old: str, new: str, path: str) -> None:
    # pydantic reads true as 1: a plant of 1 car a year, without a word.
    (p,) = problems_of(mutate(minimal_text, (old, new)))
    assert p.path == path and p.message.startswith("expected a number, got ")


@pytest.mark.parametrize(
    ("pairs", "paths"),
    [
        (
            [
                ("  - since: 2015-01-01\n", "  - since: 2015-13-01\n"),
                ("    sources: [s1]\ncompanies:", "    sources: [s9]\ncompanies:"),
            ],
            {"policy[0].since", "policy[0].sources[0]"},
        ),
        (
            [
                (
                    "{id: oldco, name: OldCo, kind: automaker}",
                    "{id: oldco, name: OldCo, kind: automakr, owners: [{company: newco, share: 0.9}, {company: newco, share: 0.6}]}",
                )
            ],
            {"companies[1].kind", "companies[1].owners"},
        ),
        (
            [
                ("target_sop: 2023-06", "target_sop: soon"),
                ("demand: {2023: 10000,", "demand: {2040: 10000,"),
            ],
            {"programs[0].target_sop", "programs[0].demand.2040"},
        ),
        (
            [
                ("as_of: 2022-01-01", "as_of: yesterday"),
                ("demand: {2023: 10000,", "demand: {2040: 10000,"),
            ],
            {"as_of", "programs[0].demand.2040"},
        ),
    ],
    ids=[
        "policy-date-and-source",
        "company-kind-and-shares",
        "program-sop-and-year",
        "as-of-and-year",
    ],
)
def test_one_bad_field_does_not_hide_its_entrys_other_problems(
    minimal_text: str, pairs: list[tuple[str, str]], paths: set[str]
) -> None:
    assert {p.path for p in problems_of(mutate(minimal_text, *pairs))} == paths


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("operator: xiaomi\n", "operator: xiaomy\n", "plants[0].operator"),
        ("kind: plant_stake\n", "kind: plant-stake\n", "offers[1].kind"),
    ],
)
def test_a_bad_plant_or_offer_brings_no_follow_on_problem(old: str, new: str, path: str) -> None:
    # Both also read "the umbrella gives it no route" for a plant the umbrella names.
    text = evfab.bundled()["xiaomi-2022"].read_text("utf-8")
    assert text.count(old) == 1
    assert [p.path for p in problems_of(text.replace(old, new))] == [path]


def test_a_licence_of_another_scope_of_the_trade_is_no_typo() -> None:
    # nev_passenger is one letter from bev_passenger, and a real category.
    text = evfab.bundled()["xiaomi-2022"].read_text("utf-8")
    old = "  - {id: jac-bev, holder: jac, status: held, sources: [nio-jac-agreement]}\n"
    new = (
        old
        + "  - {id: jac-nev, holder: jac, status: held, scope: nev_passenger, sources: [nio-jac-agreement]}\n"
    )
    assert problems_of(mutate(text, (old, new))) == []


def test_a_url_must_be_a_web_address(minimal_text: str) -> None:
    text = mutate(minimal_text, ("url: https://example.org/a", "url: not a url"))
    (p,) = problems_of(text)
    assert (p.path, p.message) == ("sources[0].url", "url 'not a url' is not a web address")


@pytest.mark.parametrize(
    ("first", "second", "ok"),
    [
        ("[bev_passenger]", "[ice_passenger]", True),
        ("[bev_passenger]", "[bev_passenger, ice_passenger]", False),
        (None, "[ice_passenger]", False),
    ],
)
def test_two_periods_on_one_date_only_for_scopes_apart(
    minimal_text: str, first: str | None, second: str, ok: bool
) -> None:
    scoped = f"    scopes: {first}\n" if first else ""
    text = mutate(
        minimal_text,
        ("    new_licences: true\n", f"{scoped}    new_licences: true\n"),
        (
            "    sources: [s1]\ncompanies:",
            "    sources: [s1]\n"
            f"  - {{since: 2015-01-01, scopes: {second}, new_licences: false, sources: [s1]}}\n"
            "companies:",
        ),
    )
    problems = [p for p in problems_of(text) if p.path == "policy[1].since"]
    assert (problems == []) is ok
    if not ok:
        assert problems[0].hint.endswith(
            "(or per date and scope, with `scopes` that do not overlap)"
        )


def test_every_scope_in_use_needs_a_period_on_as_of(minimal_text: str) -> None:
    # The first period limited to EREV makers: BEV ones met the built-in defaults (new
    # licences granted at once, no minimum), and validate said ok.
    text = mutate(
        minimal_text,
        ("    new_licences: true\n", "    scopes: [erev_passenger]\n    new_licences: true\n"),
    )
    (p,) = problems_of(text)
    assert (p.line, p.path) == (_line_of(text, "scopes:"), "policy[0].scopes")
    assert p.message == (
        "no policy period in force on as_of 2022-01-01 bears on scope 'bev_passenger', so its "
        "licences and programs would meet built-in defaults"
    )
