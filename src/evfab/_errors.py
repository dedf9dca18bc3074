"""Exceptions raised by evfab.

The hierarchy, drawn once here::

    EvfabError                  base of everything evfab raises on purpose
    ├── ScenarioError           a scenario file is unreadable or invalid (CLI exit code 2)
    │                           carries every Problem found, not just the first
    └── PlanInfeasibleError     no plan meets the hard constraints (CLI exit code 3)

Anything else escaping evfab is a bug (CLI exit code 1).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in a scenario file.

    Attributes:
        file: Path of the file as given by the user.
        line: 1-based line number of the offending key or value (0 if unknown).
        path: Dotted key path, e.g. ``plants[2].phases[0].capacity``.
        message: What is wrong.
        hint: How to fix it (may be empty).
    """

    file: str
    line: int
    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        where = self.path or "<root>"
        return f"{self.file}:{self.line}: {where}: {self.message}{hint}"


@dataclass(frozen=True, order=True)
class ScenarioWarning(Problem):
    """One located warning: a valid scenario says something almost certainly not meant (a
    program that wants no cars, an entry that cites no source).

    Located and shaped like a :class:`Problem` (the same attributes), but it does not stop
    a command; ``evfab validate --strict`` makes it one. It is data, not a category of
    Python's :mod:`warnings` module.
    """

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        where = self.path or "<root>"
        return f"{self.file}:{self.line}: {where}: warning: {self.message}{hint}"

    def as_problem(self) -> Problem:
        """The same finding as a :class:`Problem` (for ``--strict``)."""
        return Problem(self.file, self.line, self.path, self.message, self.hint)


class EvfabError(Exception):
    """Base class of every error evfab raises on purpose."""


class ScenarioError(EvfabError):
    """A scenario could not be loaded; holds every problem found.

    Args:
        problems: The problems, in file order.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.path, p.message))
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in scenario"
        super().__init__(head + "\n" + "\n".join(str(p) for p in self.problems))


class PlanInfeasibleError(EvfabError):
    """No plan satisfies the hard constraints; the message explains why in domain words."""
