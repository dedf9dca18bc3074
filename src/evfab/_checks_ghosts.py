"""Entries that failed the schema, checked as far as their sound parts allow, so that one
bad field does not hide the entry's other problems until the next run: a program missing
``target_sop`` whose ``company`` is misspelt gets both problems at once, and so do a
policy period with a bad date and an undefined source, a company with a bad kind and
owners' shares over 100 %, or a plant with a bad capacity and committed load out of range.

Only values of the expected kind are read (a well-formed id, a number, a year); a
malformed one is the schema's problem, reported already.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from evfab._check_report import Report, ids, years_outside
from evfab._scenario import Scenario

_REFS: dict[str, tuple[tuple[str, str], ...]] = {
    "companies": (("parent", "companies"),),
    "licences": (("holder", "companies"),),
    "plants": (("operator", "companies"),),
    "programs": (("company", "companies"),),
    "offers": (
        ("to", "companies"),
        ("host", "companies"),
        ("partner", "companies"),
        ("target", "companies"),
        ("plant", "plants"),
    ),
}
"""Id fields of each collection's entries, and the collection each names."""

_CITING = ("policy", "companies", "licences", "plants", "programs", "offers", "history")
"""Collections whose entries cite ``sources``."""

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
"""An id as the schema accepts it (evfab._scenario_fields.Id)."""


def _failed(r: Report, coll: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index in the file, raw mapping) of each entry of ``coll`` that failed the schema."""
    data = r.doc.data if isinstance(r.doc.data, dict) else {}
    kept = r.damage.kept.get(coll)
    items = data.get(coll)
    if kept is None or not isinstance(items, list):
        return  # nothing of it failed (or all of it did)
    for i in sorted(set(range(len(items))) - set(kept)):
        if isinstance(items[i], dict):
            yield i, items[i]


def _number(x: object) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def _years(mapping: object) -> list[int]:
    """The year keys of a raw ``{year: cars}`` mapping (keys arrive as text)."""
    if not isinstance(mapping, dict):
        return []
    return [int(k) for k in mapping if isinstance(k, int | str) and str(k).isdigit()]


def check_ghost_refs(s: Scenario, r: Report) -> None:
    """Ids, sources, owners' shares and years of collection entries that failed the schema."""
    for coll, refs in _REFS.items():
        for i, item in _failed(r, coll):
            for key, target in refs:
                ref = item.get(key)
                if isinstance(ref, str) and _ID.match(ref):
                    known = ids(getattr(s, target))
                    r.refer((coll, i, key), ref, target, known, as_in_file=True)
    sources = ids(s.sources)
    for coll in _CITING:
        for i, item in _failed(r, coll):
            cited = item.get("sources")
            for j, sid in enumerate(cited if isinstance(cited, list) else []):
                if isinstance(sid, str) and _ID.match(sid):
                    r.refer((coll, i, "sources", j), sid, "sources", sources, as_in_file=True)
    for coll in ("companies", "plants"):
        for i, item in _failed(r, coll):
            owners = item.get("owners")
            # A share the schema refused (text, or over 1) is reported already: left out.
            shares = [
                x if x is not None and 0 < x <= 1 else None
                for x in (
                    _number(o.get("share")) if isinstance(o, dict) else None
                    for o in (owners if isinstance(owners, list) else [])
                )
            ]
            total = sum(x for x in shares if x is not None)
            if total > 1.0 + 1e-9:
                besides = " (leaving out the shares that are not valid)" if None in shares else ""
                r.add(
                    (coll, i, "owners"),
                    f"owners' shares of {item.get('id')!r} add up to {total * 100:.4g} %"
                    f"{besides}, over 100 %",
                    "shares are fractions of 1; fix them so they sum to at most 1",
                    as_in_file=True,
                )
    _ghost_years(s, r)


def _ghost_years(s: Scenario, r: Report) -> None:
    """Demand and committed-load years outside the scenario, in entries that failed; and,
    when ``as_of`` failed, the years after the horizon in every entry."""
    first = s.as_of.year if r.usable("as_of") else None
    if not r.usable("horizon"):
        return
    if first is not None:
        for coll, key in (("programs", "demand"), ("plants", "committed")):
            for i, item in _failed(r, coll):
                years = _years(item.get(key))
                years_outside(r, (coll, i, key), years, first, s.horizon, key, as_in_file=True)
        return
    # Without as_of only the horizon bounds the years: those after it are still wrong.
    for i, g in enumerate(s.programs):
        late = sorted(y for y in g.demand if y > s.horizon)
        if late:
            r.add(
                ("programs", i, "demand", str(late[0])),
                f"demand year {late[0]} is after the horizon ({s.horizon})",
                "extend `horizon:` or drop the year",
            )
