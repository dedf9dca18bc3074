"""Vehicle scopes: free text that must match between programs and licences.

A misspelt scope split a program from every licence (``bev_pasenger``: validate said ok,
and every route read "holds no bev_pasenger licence").
"""

from __future__ import annotations

from collections.abc import Callable

from evfab._check_report import Report
from evfab._scenario import ApplyLicence, Scenario


def _one_slip(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one typed slip: a character added, dropped,
    changed, or two neighbours swapped (``bev_pasenger``, not ``phev_passenger``)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        swapped = a[i + 2 :] == b[i + 2 :] and a[i : i + 2] == b[i : i + 2][::-1]
        return a[i + 1 :] == b[i + 1 :] or swapped
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]


TRADE_SCOPES = frozenset(
    f"{power}_{use}"
    for power in ("bev", "phev", "hev", "nev", "fcev", "erev", "ice")
    for use in ("passenger", "commercial", "truck", "bus")
)
"""Scopes of the trade (China's catalogue terms): never taken for a typo of one another."""


def check_scopes(s: Scenario, r: Report) -> None:
    """Vehicle scopes are free text, so a misspelt one split a program from every licence
    (``bev_pasenger``: validate said ok, and every route read "holds no bev_pasenger
    licence"). A scope that no counterpart has, one slip away from one that does, is a typo
    (reported once, on the side that is not the default scope), unless it is a scope of
    the trade (``nev_passenger`` is one slip from ``bev_passenger``, and real).
    """
    licensed = {lic.scope for lic in s.licences} | {
        o.scope for o in s.offers if isinstance(o, ApplyLicence)
    }
    needed = {g.scope for g in s.programs}

    def slip(scope: str, known: set[str]) -> str | None:
        # The default scope is written by no one who means another: it is never the slip.
        if scope in known or scope in TRADE_SCOPES:
            return None
        # One typed slip, or the same scope in other letters (ids are exact: BEV_passenger
        # is not bev_passenger).
        return next(
            (k for k in sorted(known) if _one_slip(scope, k) or k.lower() == scope.lower()),
            None,
        )

    for i, g in enumerate(s.programs):
        if (near := slip(g.scope, licensed)) is not None:
            r.add(
                ("programs", i, "scope"),
                f"no licence or licence application has scope {g.scope!r}, so no route can "
                "build the program",
                f"did you mean {near!r}?",
            )
    for i, lic in enumerate(s.licences):
        if (near := slip(lic.scope, needed)) is not None:
            r.add(
                ("licences", i, "scope"),
                f"no program needs scope {lic.scope!r}, so the licence builds nothing",
                f"did you mean {near!r}?",
            )
    _check_period_scopes(s, r, licensed | needed, slip)


def _check_period_scopes(
    s: Scenario, r: Report, known: set[str], slip: Callable[[str, set[str]], str | None]
) -> None:
    """A policy period's ``scopes`` name scopes its rules bear on: an empty list would
    limit it to none, a slip of a scope in use to a scope no one has; and every scope in
    use needs a period in force on ``as_of`` (else it would meet built-in defaults)."""
    scoped = any(p.scopes is not None for p in s.policy)
    # Without any period on as_of, check_policy_order says so once.
    if scoped and r.usable("as_of") and any(p.since <= s.as_of for p in s.policy):
        ruled = {
            x
            for p in s.policy
            if p.since <= s.as_of
            for x in (known if p.scopes is None else p.scopes)
        }
        for scope in sorted(known - ruled):
            r.add(
                ("policy", 0, "scopes"),
                f"no policy period in force on as_of {s.as_of} bears on scope {scope!r}, so "
                "its licences and programs would meet built-in defaults",
                "add a period for it on or before as_of, or leave `scopes` unset on the "
                "first period",
            )
    for i, p in enumerate(s.policy):
        if p.scopes is None:
            continue
        if not p.scopes:
            r.add(
                ("policy", i, "scopes"),
                "an empty list limits the period's rules to no vehicle scope",
                "leave it unset for every scope, or list the scopes, e.g. [bev_passenger]",
            )
        for j, scope in enumerate(p.scopes):
            if scope in p.scopes[:j]:
                r.add(
                    ("policy", i, "scopes", j),
                    f"scope {scope!r} is listed twice",
                    "list each scope once",
                )
                continue
            if (near := slip(scope, known)) is not None:
                r.add(("policy", i, "scopes", j), idle_scope(scope), f"did you mean {near!r}?")


def idle_scope(scope: str) -> str:
    """What a policy period's scope that nothing has means (a problem if it looks like a
    slip of one in use, else a warning)."""
    return (
        f"no licence, application or program has scope {scope!r}, so the period's rules "
        "bear on nothing"
    )


__all__ = ["TRADE_SCOPES", "check_scopes", "idle_scope"]
