"""What the validation checks share: the problem report and the hints for unknown ids.

The checks also run on a scenario whose schema validation failed, so that one report
carries every problem: they then see only the entries that did validate (see
:class:`Damage`). A check skips what depends on a failed input (:meth:`Report.usable`),
a reference to an entry that failed is neither unknown nor usable
(:meth:`Report.refer`), and paths are located in the file as written.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from evfab._errors import Problem
from evfab._yamlsrc import SourceDoc, format_path

Path = tuple[str | int, ...]

_WHAT = {
    "companies": "company",
    "plants": "plant",
    "licences": "licence",
    "offers": "offer",
    "programs": "program",
    "sources": "source",
}


@dataclass(frozen=True)
class Damage:
    """What of a scenario failed the schema, so the checks can work around it.

    Attributes:
        failed: Top-level keys whose whole value failed (``as_of``, or ``companies:``
            that is not a list); the checks use a stand-in and skip what reads it.
        kept: For each collection that lost entries, the index in the file of each
            entry kept, in order.
        ghosts: For each such collection, the entries that failed, by id, as written.
    """

    failed: frozenset[str] = frozenset()
    kept: Mapping[str, Sequence[int]] = field(default_factory=dict)
    ghosts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass
class Report:
    """Collects located problems for one document."""

    doc: SourceDoc
    damage: Damage = field(default_factory=Damage)
    problems: list[Problem] = field(default_factory=list)
    _spoiled: set[str] = field(default_factory=set)

    def add(
        self, path: Sequence[str | int], message: str, hint: str = "", as_in_file: bool = False
    ) -> None:
        """Record a problem at ``path`` (indices are those of the validated scenario, or
        with ``as_in_file`` those of the file: an entry that failed the schema has none)."""
        p = tuple(path) if as_in_file else self.in_file(path)
        self.problems.append(
            Problem(self.doc.file, self.doc.line_of(p), format_path(p), message, hint)
        )

    def in_file(self, path: Sequence[str | int]) -> Path:
        """``path`` with the index of a collection entry as it is in the file."""
        p = tuple(path)
        if len(p) >= 2 and isinstance(p[0], str) and isinstance(p[1], int):
            p = (p[0], self.index(p[0], p[1]), *p[2:])
        return p

    def index(self, coll: str, i: int) -> int:
        """Index in the file of entry ``i`` of the validated collection ``coll``."""
        kept = self.damage.kept.get(coll)
        return kept[i] if kept is not None and 0 <= i < len(kept) else i

    def usable(self, *keys: str) -> bool:
        """Whether the top-level values ``keys`` are sound: none failed or was reported."""
        return not any(k in self.damage.failed or k in self._spoiled for k in keys)

    def spoil(self, key: str) -> None:
        """Mark a top-level value as reported bad: checks reading it then stay quiet."""
        self._spoiled.add(key)

    def ghosts(self, coll: str) -> Mapping[str, Any]:
        """Entries of ``coll`` that failed the schema, by id, as written."""
        return self.damage.ghosts.get(coll, {})

    def refer(
        self, path: Path, ref: str, coll: str, known: Collection[str], as_in_file: bool = False
    ) -> bool:
        """Whether ``ref`` names a valid entry of ``coll``; if it names none, say so.

        A reference to an entry that failed the schema (already reported), or into a
        collection that failed as a whole, is not reported again, but is not usable.
        ``as_in_file``: ``path`` holds the file's index (see :meth:`add`).
        """
        if ref in known:
            return True
        if ref in self.ghosts(coll) or coll in self.damage.failed:
            return False
        every = set(known) | set(self.ghosts(coll))
        hint = suggest(ref, every, coll)
        if coll == "sources":
            self.add(path, f"source {ref!r} is cited but not defined", hint, as_in_file)
        else:
            self.add(path, f"unknown {_WHAT.get(coll, coll)} {ref!r}", hint, as_in_file)
        return False


def ids(items: Iterable[BaseModel]) -> set[str]:
    return {str(getattr(x, "id", "")) for x in items}


def fmt(n: float) -> str:
    return f"{n:,.0f}"


def suggest(name: str, known: set[str], coll: str) -> str:
    """Hint for an unknown id: the closest known id, else the few known ones."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    if not known:
        return f"`{coll}:` is empty"
    if len(known) <= 6:
        return f"define it under `{coll}:`, or use one of: " + ", ".join(map(repr, sorted(known)))
    return f"define it under `{coll}:`"


def years_outside(
    r: Report,
    path: Path,
    years: Iterable[int],
    first: int,
    last: int,
    what: str,
    as_in_file: bool = False,
) -> None:
    """Report the years of one mapping that fall outside ``first``-``last``, in one line.

    Args:
        r: The report.
        path: Path of the mapping (``programs[0].demand``).
        years: Its keys.
        first: First year of the scenario.
        last: Its horizon.
        what: How the hint names the mapping's years (``demand``).
        as_in_file: ``path`` holds the file's index (see :meth:`Report.add`).
    """
    bad = sorted(y for y in years if not first <= y <= last)
    if not bad:
        return
    if len(bad) == 1:
        head = f"year {bad[0]} is"
    elif len(bad) <= 4:
        head = "years " + ", ".join(map(str, bad[:-1])) + f" and {bad[-1]} are"
    else:
        head = f"{len(bad)} years ({bad[0]}-{bad[-1]}) are"
    r.add(
        (*path, str(bad[0])),
        f"{what} {head} outside {first}-{last}",
        f"keep {what} years within the scenario ({first}-{last}: as_of's year to the horizon)",
        as_in_file,
    )
