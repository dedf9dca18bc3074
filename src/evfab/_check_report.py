"""What the validation checks share: the problem report and the hints for unknown ids."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel

from evfab._errors import Problem
from evfab._yamlsrc import SourceDoc, format_path

Path = tuple[str | int, ...]


@dataclass
class Report:
    """Collects located problems for one document."""

    doc: SourceDoc
    problems: list[Problem] = field(default_factory=list)

    def add(self, path: Sequence[str | int], message: str, hint: str = "") -> None:
        """Record a problem at ``path``."""
        self.problems.append(
            Problem(self.doc.file, self.doc.line_of(path), format_path(path), message, hint)
        )


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
