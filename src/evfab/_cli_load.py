"""How the commands load scenarios: every problem of every file at once, and the warnings
of a valid one (:mod:`evfab._checks_warnings`).

``evfab validate`` prints each warning under its file's ``ok`` line (``--strict`` makes
them problems). A command that loads a scenario for work says only how many there are,
in one line on stderr, so that its output (``--json`` included) stays as it was.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from evfab import _io
from evfab._checks_warnings import load_checked
from evfab._errors import Problem, ScenarioError, ScenarioWarning
from evfab._fmt import plural
from evfab._scenario import Scenario


def warning_note(file: str, n: int) -> str:
    """The line a command prints on stderr for a scenario with ``n`` warnings."""
    return f"{plural(n, 'warning')} in {file} (evfab validate {shlex.quote(file)} shows them)"


def load_scenario(file: str, err: Console) -> Scenario:
    """Load a scenario for a command's work; say on ``err`` how many warnings it has.

    Args:
        file: A scenario file, or a bundled scenario's name, as the user gave it.
        err: Where the note goes (stderr).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With every problem found.
    """
    return load_all(err, file)[0]


def load_all(err: Console, *files: str) -> list[Scenario]:
    """Load several scenarios, reporting the problems of all of them at once; then say on
    ``err`` how many warnings each valid one has (nothing when it has none).

    Raises:
        ScenarioError: With every problem of every file.
    """
    loaded: list[tuple[str, Scenario, list[ScenarioWarning]]] = []
    problems: list[Problem] = []
    for f in files:
        try:
            s, found = load_checked(f)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        loaded.append((f, s, found))
    if problems:
        raise ScenarioError(problems)
    said: set[str] = set()
    for f, _, found in loaded:
        if found and f not in said:  # `compare a a` says it once
            said.add(f)
            err.print(warning_note(f, len(found)), markup=False, highlight=False, soft_wrap=True)
    return [s for _, s, _ in loaded]


def print_warnings(console: Console, found: Sequence[ScenarioWarning]) -> None:
    """Print each warning as ``file:line: path: warning: message (hint)``."""
    for w in found:
        console.print(str(w), markup=False, highlight=False, soft_wrap=True)


def validate_files(
    files: Sequence[str],
    out: Console,
    err: Console,
    *,
    json_out: bool,
    strict: bool,
    head: dict[str, object],
) -> list[Problem]:
    """What ``evfab validate`` does: check each file (once), print an ``ok`` line and the
    warnings of each valid one, or with ``json_out`` one JSON object on stdout.

    Args:
        files: The files, as given (one named twice is checked once).
        out: Where the ``ok`` lines and warnings go (stdout).
        err: Where the warnings go with ``json_out`` (stderr, as the problems do).
        json_out: Print ``{..., ok, problems, warnings}`` on stdout instead.
        strict: Count each warning as a problem.
        head: The JSON envelope's fields.

    Returns:
        The problems found (the caller raises them): with ``strict``, the warnings too.
    """
    problems: list[Problem] = []
    warnings: list[ScenarioWarning] = []
    for f in dict.fromkeys(files):
        try:
            s, found = load_checked(f)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        if strict and found:
            problems.extend(w.as_problem() for w in found)
            continue
        warnings.extend(found)
        if json_out:
            continue
        warned = f"; {plural(len(found), 'warning')}" if found else ""
        out.print(
            Text("ok", style="green"),
            f"{f}: {plural(len(s.companies), 'company', 'companies')}, "
            f"{plural(len(s.licences), 'licence')}, {plural(len(s.plants), 'plant')}, "
            f"{plural(len(s.programs), 'program')}, {plural(len(s.offers), 'offer')}, "
            f"{plural(len(s.sources), 'source')}{warned}",
        )
        print_warnings(out, found)
    if json_out:
        # _io.dumps turns each Problem (a dataclass) into {file, line, path, message, hint}.
        payload = {**head, "ok": not problems, "problems": problems, "warnings": warnings}
        sys.stdout.write(_io.dumps(payload))
        print_warnings(err, warnings)  # on stderr as well, as the problems are
    elif warnings:
        out.print(
            Text(plural(len(warnings), "warning"), style="yellow")
            + Text(": each file is valid; --strict makes warnings problems.")
        )
    return problems


__all__ = ["load_all", "load_scenario", "print_warnings", "validate_files", "warning_note"]
