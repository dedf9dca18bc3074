"""What changed in the policy timeline between two scenarios, in words (for ``compare``).

A what-if usually adds, drops or edits a policy period; ``compare`` reported what that did
to routes, plans and odds, but not the change itself. Periods are matched by their date
and scopes (one period per date and scope); a matched pair whose rules differ is a change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from evfab._fmt import plural
from evfab._policy import Period, period_of
from evfab._scenario import POLICY_RULES, PolicyPeriod

POLICY_COLUMNS = ["change", "since", "name", "scopes", "rules_before", "rules_after"]
"""Columns of :func:`policy_changes`."""


def _rule_words(rule: str, v: Any) -> str:
    """One rule a period sets (``rule`` at ``v``), in words."""
    if rule == "new_licences":
        return f"new licences {'granted' if v else 'not granted'}"
    if rule == "review_months":
        return f"review {v.min:g}/{v.mode:g}/{v.max:g} months"
    if rule == "approval_probability":
        # Whole percentages as such; 0.951 against 0.954 must not both read 95 %.
        return f"approval chance {v * 100:.4g}%"
    if rule == "min_capacity":
        return f"min capacity {v:,}/yr" if v else "no minimum capacity"
    if rule == "contract_manufacturing":
        return f"contract manufacturing {'allowed' if v else 'not allowed'}"
    if rule == "badge_names_manufacturer":
        return "car names its manufacturer of record" if v else "no badge rule"
    return f"dormant licences withdrawn after {plural(v, 'month')}" if v else "no exit rule"


def rules_text(p: Period | PolicyPeriod | None) -> str | None:
    """The rules a period sets, in words ("sets no rule" if none; None for no period)."""
    if p is None:
        return None
    rules = period_of(p).rules
    said = [_rule_words(rule, rules[rule]) for rule in POLICY_RULES if rule in rules]
    return "; ".join(said) or "sets no rule"


def policy_changes(
    before: Sequence[Period | PolicyPeriod], after: Sequence[Period | PolicyPeriod]
) -> pd.DataFrame:
    """Periods added, removed or whose rules changed, in date order.

    Args:
        before: The base scenario's periods.
        after: The other scenario's periods.

    Returns:
        One row per change: ``change`` (``added``, ``removed``, ``changed``), ``since``,
        ``name`` (the other scenario's if it has the period), ``scopes`` (None: every
        scope), ``rules_before`` and ``rules_after`` (the rules the period sets, in words;
        None where the scenario has no such period).
    """

    def key(p: Period) -> tuple[object, tuple[str, ...] | None]:
        return p.since, None if p.scopes is None else tuple(sorted(p.scopes))

    old = {key(p): p for p in map(period_of, before)}
    new = {key(p): p for p in map(period_of, after)}
    rows = []
    for k in sorted(old.keys() | new.keys(), key=lambda k: (k[0], k[1] or ())):
        b, a = old.get(k), new.get(k)
        if b is not None and a is not None and b.rules == a.rules:
            continue
        text_b, text_a = rules_text(b), rules_text(a)
        change = "added" if b is None else "removed" if a is None else "changed"
        p = a if a is not None else b
        assert p is not None  # one side has it
        rows.append(
            {
                "change": change,
                "since": p.since,
                "name": p.name,
                "scopes": None if p.scopes is None else list(p.scopes),
                "rules_before": text_b,
                "rules_after": text_a,
            }
        )
    return pd.DataFrame(rows, columns=POLICY_COLUMNS, dtype=object)


__all__ = ["POLICY_COLUMNS", "policy_changes", "rules_text"]
