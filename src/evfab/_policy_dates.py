"""The regulator's rules at the dates a route meets them.

Policy periods apply on their own dates, after ``as_of`` too: a licence is granted only
while new licences are, production under a partner's licence runs only while contract
manufacturing is allowed, a dormant licence is withdrawn under the exit rule in force. These
helpers keep dates out of bans, word the reasons, cite the rules a route rests on and find
when a dormant licence goes.

A route rests on the rules that bear on it, as the periods in force when it meets them
set them: a new licence on the rules of its grant, a partner's licence on the contract
manufacturing rule and the badge rule, a dormant licence on the exit rules; never on the
whole policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import cast

import numpy as np
import numpy.typing as npt

from evfab._timing import NEVER, Ban, Path
from evfab._world import PolicyState, World, add_calendar_months


def _fmt_date(d: dt.date) -> str:
    return d.strftime("%Y-%m-%d")


def _rule_since(policy: PolicyState, rule: str) -> str:
    since, name = policy.set_on.get(rule, (policy.since, policy.name))
    label = f"{name}, " if name else ""
    return f"{label}since {_fmt_date(since)}"


def _gate(world: World, raw: Path, bans: tuple[Ban, ...]) -> tuple[Path, PolicyState, bool]:
    """``raw`` kept out of ``bans``: the path, the policy in force on its date, and whether
    that date is reachable (False: it falls in a ban no later period lifts; the policy is
    then the one whose ban blocks it, on the date the path would have without bans).

    The path keeps its bans either way, so that the risk engine applies them to every
    sample; :meth:`Path.shown` gives the date an unreachable one shows.
    """
    if not bans:
        return raw, world.policy_at(max(world.as_of, raw.nominal())), True
    gated = Path(raw.base, raw.steps, bans)
    when = gated.nominal()
    if when is NEVER:
        return gated, world.policy_at(max(world.as_of, raw.nominal())), False
    return gated, world.policy_at(max(world.as_of, when)), True


def _by_date(
    world: World, chance: Callable[[PolicyState], float]
) -> tuple[tuple[dt.date, float], ...]:
    """``chance`` of the policy in force from each date on, as_of first; () if it never
    changes after as_of (see ``Event.by_date``)."""
    out = [(world.as_of, chance(world.policy_at(world.as_of)))]
    for state in world.policy:
        if state.since > world.as_of and chance(state) != out[-1][1]:
            out.append((state.since, chance(state)))
    return tuple(out) if len(out) > 1 else ()


def approval_by_date(world: World) -> tuple[tuple[dt.date, float], ...]:
    """The approval chance in force from each date on: a licence granted on a date gets the
    one in force then; () if it never changes after as_of."""
    return _by_date(world, lambda s: s.approval_probability)


def fits_by_date(world: World, nameplate: float) -> tuple[tuple[dt.date, float], ...]:
    """Whether a plant of ``nameplate`` cars a year is big enough for a new licence under the
    minimum capacity in force from each date on (1.0 or 0.0); () if that never changes."""
    return _by_date(world, lambda s: 0.0 if s.min_capacity and nameplate < s.min_capacity else 1.0)


def lifted_text(before: dt.date, after: dt.date, what: str, state: PolicyState) -> str:
    """Driver text added when a ban moved a date ("" when it did not, or never ends)."""
    if after == before or after is NEVER:
        return ""
    name = f" ({state.name})" if state.name else ""
    return f"; held until {what} from {_fmt_date(after)}{name}"


def banned_text(world: World, state: PolicyState, rule: str, due: dt.date) -> str:
    """Why a route cannot go ahead: ``rule`` is off from before ``due`` and never on again."""
    since, name = state.set_on.get(rule, (state.since, state.name))
    what, verb, event = _RULE_WORDS[rule]
    if since <= world.as_of:  # in force on as_of: the words used before later periods counted
        now = "not being granted" if rule == "new_licences" else "not allowed"
        return f"{what} {now} ({_rule_since(state, rule)})"
    label = f" ({name})" if name else ""
    return (
        f"{what} not {verb} from {_fmt_date(since)}{label}, before {event} on "
        f"{_fmt_date(due)}, and no later period {'grants them' if rule == 'new_licences' else 'allows it'} again"
    )


_RULE_WORDS = {
    "new_licences": ("new licences are", "granted", "the licence could be granted"),
    "contract_manufacturing": ("contract manufacturing is", "allowed", "production could start"),
}


def cites_between(world: World, start: dt.date, end: dt.date, *rules: str) -> tuple[str, ...]:
    """Sources of ``rules`` as the period in force on ``start`` and every later period up
    to ``end`` (included) set them: what a route meeting those rules over that time rests
    on (a halt that holds an application, and the period that lifts it)."""
    states = [world.policy_at(start), *(p for p in world.policy if start < p.since <= end)]
    return tuple(dict.fromkeys(s for state in states for s in state.cites(*rules)))


def grant_cites(
    world: World, path: Path, rules: PolicyState, own_probability: bool
) -> tuple[str, ...]:
    """Sources of the rules a new licence meets when it is granted: whether new licences
    are granted from as_of to the nominal grant on ``path`` (every period until the end
    when none grants it), and the minimum capacity and (unless the licence states its
    own, ``own_probability``) the approval chance of ``rules``, in force then."""
    used = ("min_capacity",) + (() if own_probability else ("approval_probability",))
    when = max(world.as_of, path.nominal())
    return cites_between(world, world.as_of, when, "new_licences") + rules.cites(*used)


def never_granted(world: World, what: str, rules: PolicyState, when: dt.date) -> str:
    """Why ``what`` (a licence) is not granted: the approval chance of ``rules``, in force
    on its nominal grant date ``when``, is 0.

    A chance of 0 refuses the application decided under it rather than holding it (a
    freeze that holds applications is ``new_licences: false``). The rules engine reads
    the chance on the nominal date, as it reads the minimum capacity, so the route is
    not usable even if a later period raises the chance; that later chance is named, as
    the risk engine's samples decided after that date get it.
    """
    since, name = rules.set_on.get("approval_probability", (rules.since, rules.name))
    if since <= world.as_of:
        text = f"the approval chance is 0 ({_rule_since(rules, 'approval_probability')})"
    else:
        text = f"the approval chance is 0 from {_fmt_date(since)}" + (f" ({name})" if name else "")
    later = next(((d, p) for d, p in approval_by_date(world) if d > when and p > 0), None)
    if later is None:
        return f"{what} would never be granted: {text}"
    return (
        f"{what} would be refused: {text} when it is decided, on {_fmt_date(when)} at the "
        f"modes; it is {later[1]:.0%} only from {_fmt_date(later[0])}"
    )


def _exit_rules(
    world: World, lid: str, policy: PolicyState
) -> tuple[tuple[dt.date, PolicyState] | None, list[PolicyState]]:
    """:func:`_deadline` of licence ``lid``, and the periods whose exit rules decide it
    (every period from as_of on, up to the one that withdraws the licence)."""
    since = world.licence(lid)["dormant_since"] if world.has_licence(lid) else None
    if not isinstance(since, dt.date):
        return None, []
    periods = [policy, *(p for p in world.policy if p.since > world.as_of)]
    for k, p in enumerate(periods):
        if not p.dormant_exit_months:  # no exit rule (never set, or abolished with 0)
            continue
        # A legal deadline: whole calendar months (the durations that are drawn count days).
        limit = add_calendar_months(since, p.dormant_exit_months)
        if k:
            limit = max(limit, p.since)
        if k + 1 == len(periods) or limit < periods[k + 1].since:
            return (limit, p), periods[: k + 1]
    return None, periods


def _deadline(world: World, lid: str, policy: PolicyState) -> tuple[dt.date, PolicyState] | None:
    """When licence ``lid`` is withdrawn under a dormancy exit rule, and under which policy.

    ``policy`` is the one in force on as_of; its rule applies until a later period
    changes it (``0``: abolishes it). A later rule counts from the licence's dormancy but
    applies no earlier than its own start. None when no rule ever withdraws the licence.
    """
    return _exit_rules(world, lid, policy)[0]


def exit_cites(world: World, lid: str, policy: PolicyState) -> tuple[str, ...]:
    """Sources of the exit rules that decide whether dormant licence ``lid`` is withdrawn,
    and when (none for a licence that is not dormant)."""
    periods = _exit_rules(world, lid, policy)[1]
    return tuple(dict.fromkeys(s for p in periods for s in p.cites("dormant_exit_months")))


def _dormant(
    world: World, lid: str, policy: PolicyState, sop: dt.date, limit: dt.date
) -> tuple[str, ...]:
    """Why licence ``lid``, withdrawn on ``limit`` (its :func:`_deadline`), is gone before ``sop``.

    Checked at the route's SOP, not at as_of: a dormant licence stays idle until the
    route first produces under it, so it must still be alive then.
    """
    since = cast(dt.date, world.licence(lid)["dormant_since"])
    rule = f"{policy.dormant_exit_months}-month exit rule ({_rule_since(policy, 'dormant_exit_months')})"
    if limit <= world.as_of:
        return (f"licence {lid} has been dormant since {_fmt_date(since)}, past the {rule}",)
    if limit <= sop:
        return (
            f"licence {lid}, dormant since {_fmt_date(since)}, is withdrawn on {_fmt_date(limit)} "
            f"under the {rule}, before production can start on {_fmt_date(sop)}",
        )
    return ()


def lapses_unused(
    world: World, deadline: dt.date, start: dt.date, wanted: npt.NDArray[np.bool_]
) -> str:
    """Why a licence the dormancy rule withdraws on ``deadline`` cannot be kept alive by
    routes that start on ``start`` at the earliest, when cars are wanted in the years
    ``wanted`` (over ``world.years``); "" if it can.

    Cars are built only against demand, and the planner keeps such a licence only if a
    car is built under it in a year up to the one before the deadline's day (see
    :func:`evfab._plan_model.add_keep_constraints`).
    """
    y0 = int(world.years[0])
    if start.year > int(world.years[-1]):
        return ""  # no route under it starts within the horizon: that is said already
    last = (deadline - dt.timedelta(days=1)).year
    years = np.nonzero(wanted)[0] + y0
    if start.year <= last and ((years >= start.year) & (years <= last)).any():
        return ""
    before = years[years <= last]
    if not len(before):
        return f"none before {int(years[0])}" if len(years) else "none in the horizon"
    return f"none from {start.year} (the earliest start under it) to {last}"
