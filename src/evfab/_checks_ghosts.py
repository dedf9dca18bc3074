"""References written in entries that failed the schema: checked too, so that a program
missing ``target_sop`` whose ``company`` is misspelt gets both problems in one run.

Only plain id fields are read, and only where the value is a well-formed id (a malformed one
is the schema's problem, reported already).
"""

from __future__ import annotations

import re

from evfab._check_report import Report, ids
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

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
"""An id as the schema accepts it (evfab._scenario.Id)."""


def check_ghost_refs(s: Scenario, r: Report) -> None:
    """Unknown ids named by collection entries that failed the schema."""
    data = r.doc.data if isinstance(r.doc.data, dict) else {}
    for coll, refs in _REFS.items():
        kept = r.damage.kept.get(coll)
        items = data.get(coll)
        if kept is None or not isinstance(items, list):
            continue  # nothing of it failed (or all of it did)
        for i in sorted(set(range(len(items))) - set(kept)):
            item = items[i]
            if not isinstance(item, dict):
                continue
            for key, target in refs:
                ref = item.get(key)
                if isinstance(ref, str) and _ID.match(ref):
                    known = ids(getattr(s, target))
                    r.refer((coll, i, key), ref, target, known, as_in_file=True)
