"""The regulator's rules resolved over time, and the priors that stand in for unset durations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evfab._scenario import (
    POLICY_RULES,
    STATUS_RANK,
    ApplyLicence,
    PolicyPeriod,
    Scenario,
    Status,
    _Duration,
)
from evfab._timing import Ban
from evfab.priors import NEGOTIATION, PRIOR_SOURCE_ID, PRIORS


@dataclass(frozen=True)
class PolicyState:
    """The resolved rules of one policy period (nothing left unset).

    Attributes:
        since: Date the period starts.
        name: Name of the rule or order.
        new_licences: Whether new licences are granted.
        review: Review time of an application, months.
        approval_probability: Chance an application is granted.
        min_capacity: Minimum plant capacity behind a new licence, vehicles/year.
        contract_manufacturing: Whether contract or entrusted manufacturing is allowed.
        badge_names_manufacturer: Whether the car must name the manufacturer of record.
        dormant_exit_months: Months of no output before a licence is withdrawn (0: no rule).
        set_on: For each rule, the date the value in force was set.
        sources: Source ids behind the rules in force (each rule's are in ``rule_sources``).
        review_is_prior: True when no period sets a review time and the calibrated
            licence_application prior stands in.
        rule_sources: For each rule, the sources of the period that set the value in
            force that back it (see ``PolicyPeriod.sources_by_rule``).
        applies: Whether the period bears on the scope resolved for (False: it is limited
            to other scopes, and this state carries the earlier rules over from its date).
    """

    since: dt.date
    name: str
    new_licences: bool
    review: _Duration
    approval_probability: float
    min_capacity: int
    contract_manufacturing: bool
    badge_names_manufacturer: bool
    dormant_exit_months: int
    set_on: dict[str, tuple[dt.date, str]]
    sources: tuple[str, ...]
    review_is_prior: bool = False
    rule_sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    applies: bool = True

    def cites(self, *rules: str) -> tuple[str, ...]:
        """Sources of the periods that set ``rules`` (each source once)."""
        return tuple(dict.fromkeys(s for r in rules for s in self.rule_sources.get(r, ())))


_POLICY_DEFAULTS: dict[str, Any] = {
    "new_licences": True,
    "review_months": _Duration(
        min=PRIORS["licence_application"][0],
        mode=PRIORS["licence_application"][1],
        max=PRIORS["licence_application"][2],
    ),
    "approval_probability": 1.0,
    "min_capacity": 0,
    "contract_manufacturing": True,
    "badge_names_manufacturer": False,
    "dormant_exit_months": 0,
}


def prior_duration(kind: str) -> _Duration:
    """A calibrated prior (or the negotiation assumption) as a duration."""
    lo, mid, hi = NEGOTIATION if kind == "negotiation" else PRIORS[kind]
    return _Duration(min=lo, mode=mid, max=hi)


# NOTE: plain rows, not a frame: world_tables appends them to the source table's columns,
# so the world's lookups need no frame and the source table, when asked for, is built as
# one frame (no DataFrame build + pd.concat of a few rows).
def prior_source_rows(kinds: list[str]) -> list[dict[str, Any]]:
    """Source rows (``id`` first) for the priors a scenario relies on."""
    rows = []
    for kind in kinds:
        d = prior_duration(kind)
        what = (
            "assumed negotiation time"
            if kind == "negotiation"
            else f"prior fitted on observed {kind} cases"
        )
        rows.append(
            {
                "id": PRIOR_SOURCE_ID.format(kind=kind),
                "status": Status.ASSUMPTION.value,
                "rank": STATUS_RANK[Status.ASSUMPTION],
                "publisher": "evfab",
                "url": "",
                "date": None,
                "note": f"{what}: {d.min:g}/{d.mode:g}/{d.max:g} months (evfab calibrate)",
            }
        )
    return rows


def _prior_sources(kinds: list[str]) -> pd.DataFrame:
    """Source rows for the priors a scenario relies on, as a table indexed by id."""
    return pd.DataFrame(prior_source_rows(kinds)).set_index("id")


@dataclass(frozen=True)
class Period:
    """A policy period as written, as plain data (the engines' form of
    :class:`~evfab._scenario.PolicyPeriod`).

    Attributes:
        since: Date the rules take effect.
        name: Name of the rule or order.
        scopes: Vehicle scopes the rules bear on (None: every scope).
        rules: The rules the period sets, by name (:data:`POLICY_RULES`); a rule it
            leaves unset is absent.
        sources: Ids of the sources behind the period.
        backing: For each rule, the sources that back it (see ``sources_by_rule``).

    Not hashable (its rules are a dict); equal when every field is.
    """

    since: dt.date
    name: str
    scopes: tuple[str, ...] | None
    rules: dict[str, Any]
    sources: tuple[str, ...]
    backing: dict[str, tuple[str, ...]]


def period_of(p: PolicyPeriod | Period) -> Period:
    """A scenario's policy period as plain data (a :class:`Period` as it is)."""
    if isinstance(p, Period):
        return p
    return Period(
        since=p.since,
        name=p.name,
        scopes=None if p.scopes is None else tuple(p.scopes),
        rules={k: v for k in POLICY_RULES if (v := getattr(p, k)) is not None},
        sources=tuple(p.sources),
        backing=_backing(p),
    )


def _backing(p: PolicyPeriod) -> dict[str, tuple[str, ...]]:
    """The sources behind each rule of period ``p``: those its ``sources_by_rule`` ties to
    the rule, and those it ties to no rule (they back the whole period), in ``sources``
    order."""
    by_rule = p.sources_by_rule
    if by_rule is None:
        return {key: tuple(p.sources) for key in POLICY_RULES}
    tied = {key: set(getattr(by_rule, key)) for key in POLICY_RULES}
    anywhere: set[str] = set().union(*tied.values())
    return {
        key: tuple(s for s in dict.fromkeys(p.sources) if s in tied[key] or s not in anywhere)
        for key in POLICY_RULES
    }


def resolve_policy(
    periods: Sequence[Period | PolicyPeriod], scope: str | None
) -> list[PolicyState]:
    """Resolve policy periods so that each carries every rule in force.

    Args:
        periods: The scenario's periods in date order (as written or as plain data).
        scope: The vehicle scope to resolve them for: a period whose ``scopes`` leave it
            out sets nothing (its date still starts a state, with the rules in force
            before it, named after the period that set them, and ``applies`` False).
            None: periods with ``scopes`` set nothing, as for a scope none of them names.

    Returns:
        One state per period.
    """
    plain = [period_of(p) for p in periods]
    current = dict(_POLICY_DEFAULTS)
    set_on: dict[str, tuple[dt.date, str]] = {}
    rule_sources: dict[str, tuple[str, ...]] = {}
    sources: tuple[str, ...] = ()
    out: list[PolicyState] = []
    name = ""
    for k, p in enumerate(plain):
        applies = p.scopes is None or scope in p.scopes
        if applies:
            name = p.name
            for key, value in p.rules.items():
                current[key] = value
                set_on[key] = (p.since, p.name)
                rule_sources[key] = p.backing[key]
            # Only the sources of rules still in force count: a rule overridden later, like
            # the 2017 halt lifted in 2019, no longer supports anything.
            backed = {s for key in set_on for s in rule_sources[key]}
            sources = tuple(
                dict.fromkeys(
                    s
                    for q in plain[: k + 1]
                    if q.scopes is None or scope in q.scopes
                    for s in q.sources
                    if s in backed
                )
            )
        out.append(
            PolicyState(
                since=p.since,
                name=name,
                new_licences=bool(current["new_licences"]),
                review=current["review_months"],
                approval_probability=float(current["approval_probability"]),
                min_capacity=int(current["min_capacity"]),
                contract_manufacturing=bool(current["contract_manufacturing"]),
                badge_names_manufacturer=bool(current["badge_names_manufacturer"]),
                dormant_exit_months=int(current["dormant_exit_months"]),
                set_on=dict(set_on),
                sources=sources,
                review_is_prior="review_months" not in set_on,
                rule_sources=dict(rule_sources),
                applies=applies,
            )
        )
    return out


def scopes_in_use(s: Scenario) -> set[str]:
    """The scopes of the scenario's licences, licence applications and programs."""
    return (
        {lic.scope for lic in s.licences}
        | {o.scope for o in s.offers if isinstance(o, ApplyLicence)}
        | {g.scope for g in s.programs}
    )


def bans(states: list[PolicyState], rule: str, as_of: dt.date) -> tuple[Ban, ...]:
    """When a yes/no rule (``new_licences``, ``contract_manufacturing``) is off.

    Args:
        states: Resolved policy periods in date order.
        rule: Name of a boolean :class:`PolicyState` attribute.
        as_of: The scenario date. Bans over by then are left out; a ban in force then
            has an open start (None): anything due before as_of happens on it.

    Returns:
        Disjoint, date-ordered intervals, consecutive periods that keep the rule off merged
        into one; a date in one of them is allowed again at its end.
    """
    out: list[Ban] = []
    start: dt.date | None = None
    for p in states:
        on = bool(getattr(p, rule))
        if not on and start is None:
            start = p.since
        elif on and start is not None:
            if p.since > as_of:
                out.append((None if start <= as_of else start, p.since))
            start = None
    if start is not None:
        out.append((None if start <= as_of else start, None))
    return tuple(out)
