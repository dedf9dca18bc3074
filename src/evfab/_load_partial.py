"""What of an invalid scenario did validate, so the business checks can run on it too.

A schema problem should not hide a cross-reference problem elsewhere in the file: with
``colour: red`` on one company and ``holder: oldcoo`` on a licence, both are reported.
:func:`partial` drops each collection entry that failed the schema (keeping its id, so
references to it are neither "unknown" nor followed), replaces a failed top-level value
with a stand-in that the checks are told not to read, and validates the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from evfab import _scenario as sm
from evfab._check_report import Damage

_STAND_INS: dict[str, Any] = {
    "name": "invalid",
    "as_of": dt.date(2000, 1, 1),
    "horizon": 2000,
    "policy": [{"since": dt.date(1990, 1, 1)}],
}
"""Values for required top-level keys that failed; the checks do not read them."""


def _id_of(item: Any) -> str | None:
    """The id of a collection entry as written: its ``id:``, or the entry if it is a word
    (``- newco`` where a mapping was expected)."""
    if isinstance(item, dict):
        item = item.get("id")
    if isinstance(item, str | int) and not isinstance(item, bool):
        return str(item)
    return None


def partial(data: dict[str, Any], exc: ValidationError) -> tuple[sm.Scenario, Damage] | None:
    """The part of ``data`` that validates, and what was left out.

    Args:
        data: The scenario as read from YAML (a mapping).
        exc: The error validating all of it.

    Returns:
        The scenario made of the valid entries and what failed, or None if even that
        does not validate (the checks are then skipped).
    """
    fields = sm.Scenario.model_fields
    failed: set[str] = set()
    dropped: dict[str, set[int]] = {}
    unknown: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        if not loc or not isinstance(loc[0], str):
            return None
        top = loc[0]
        if top not in fields:
            unknown.add(top)
        elif len(loc) > 1 and isinstance(loc[1], int) and isinstance(data.get(top), list):
            dropped.setdefault(top, set()).add(loc[1])
        else:
            failed.add(top)
    pruned = {k: v for k, v in data.items() if k not in unknown and k not in failed}
    for key in failed & set(_STAND_INS):
        pruned[key] = _STAND_INS[key]
    kept: dict[str, list[int]] = {}
    ghosts: dict[str, dict[str, Any]] = {}
    for coll, bad in dropped.items():
        if coll in failed:
            continue
        items = data[coll]
        kept[coll] = [i for i in range(len(items)) if i not in bad]
        pruned[coll] = [items[i] for i in kept[coll]]
        ghosts[coll] = {}
        for i in sorted(bad):
            ident = _id_of(items[i])
            if ident is None:
                failed.add(coll)  # references may name it: none can be called unknown
            else:
                ghosts[coll][ident] = items[i]
    if not pruned.get("policy"):
        pruned["policy"] = _STAND_INS["policy"]
        failed.add("policy")
    # A collection that lost entries is not whole: checks over all of it (policy order)
    # must know, as must those over a failed value.
    try:
        scenario = sm.Scenario.model_validate(pruned)
    except ValidationError:  # pragma: no cover - entries validate alone as they do together
        return None
    return scenario, Damage(
        failed=frozenset(failed | (set(dropped) & {"policy"})), kept=kept, ghosts=ghosts
    )
