"""Say what a YAML syntax error means, in plain words, at the line where it starts.

PyYAML words its errors for parser writers (``expected <block end>, but found
'<block mapping start>'``) and marks where it *noticed* the problem, which for an
unclosed quote is the end of the file. :func:`explain` turns the error into one
located sentence and a hint: the line is the start of the construct that went wrong
(PyYAML's ``context_mark``) when that is where the user must look, else the line of
the problem itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

_INDENT_HINT = (
    "indent the keys of one mapping, or the items of one list, by the same number of spaces"
)


@dataclass(frozen=True)
class Explained:
    """A syntax error in the user's words.

    Attributes:
        line: 1-based line to report (0 if unknown).
        message: What is wrong.
        hint: How to fix it.
    """

    line: int
    message: str
    hint: str


def _found(problem: str) -> str:
    """The token PyYAML found, from ``..., but found 'X'`` or ``... but got 'X'``."""
    m = re.search(r"but (?:found|got) (.+)$", problem)
    return m.group(1).strip("'") if m else ""


def _char(problem: str) -> str:
    """The character in ``found character 'X' that cannot start any token``."""
    m = re.search(r"found character '(.+?)'", problem)
    return m.group(1) if m else ""


_Rule = Callable[[str, str, int, int], Explained | None]
"""(context, problem, context line, problem line) -> explanation, or None if it does not apply."""


def _quoted(context: str, problem: str, cline: int, pline: int) -> Explained | None:
    if "quoted scalar" not in context:
        return None
    if "end of stream" in problem or "end of document" in problem:
        return Explained(
            cline,
            "a quoted value starts on this line but its closing quote is never found",
            "add the matching closing quote, ' or \", where the value ends",
        )
    if "escape" in problem:
        return Explained(
            pline,
            f"unknown escape sequence in double quotes ({problem.removeprefix('found ')})",
            "write `\\\\` for a backslash, or use single quotes",
        )
    return Explained(
        cline, f"bad quoted value: {problem}", "check the quotes around the value on this line"
    )


def _flow(context: str, problem: str, cline: int, pline: int) -> Explained | None:
    m = re.match(r"while parsing a flow (sequence|mapping)", context)
    if not m:
        return None
    opening, closing = ("[", "]") if m.group(1) == "sequence" else ("{", "}")
    where = "" if pline == cline else f" (still open on line {pline})"
    found = _found(problem)
    got = f", found `{found}`" if found and not found.startswith("<") else ""
    return Explained(
        cline,
        f"the `{opening}` opened on this line is not closed by `{closing}`{where}: "
        f"expected `,` or `{closing}`{got}",
        f"close it with `{closing}`; put values that contain `:` or `,` in quotes",
    )


def _block(context: str, problem: str, cline: int, pline: int) -> Explained | None:
    if not context.startswith("while parsing a block"):
        return None
    found = _found(problem)
    if found == "-":
        return Explained(
            pline,
            "a list item (`- `) where a key was expected",
            "indent the list under its key, or check the line above",
        )
    if found in ("]", "}"):
        return Explained(
            pline, f"a `{found}` without its opening bracket", "remove it or add the opening one"
        )
    if found == "<scalar>" or "expected key" in problem:
        return Explained(
            pline,
            "this line does not fit the mapping it is in (a value without a key, or a line "
            "indented differently from its neighbours)",
            _INDENT_HINT,
        )
    return Explained(
        pline,
        "this line is indented differently from the lines above it at the same level",
        _INDENT_HINT,
    )


def _token(context: str, problem: str, cline: int, pline: int) -> Explained | None:
    if "cannot start any token" not in problem:
        return None
    char = _char(problem)
    if char == "\\t":
        return Explained(
            pline, "a tab character is used for indentation", "indent with spaces, not tabs"
        )
    shown = f"`{char}`" if char else "this character"
    return Explained(
        pline, f"a value cannot start with {shown}", "put the value in quotes, e.g. 'text'"
    )


def _other(context: str, problem: str, cline: int, pline: int) -> Explained | None:
    if "mapping values are not allowed" in problem:
        return Explained(
            pline,
            "a second `: ` on this line (or a line indented deeper than a plain value allows)",
            "put a value that contains `: ` in quotes, or fix the indentation",
        )
    if "simple key" in context:
        return Explained(
            cline,
            "this line has no `:` after its key",
            "write `key: value`, or join a value that spilled onto this line",
        )
    m = re.match(r"found undefined alias '?([^']*)'?", problem)
    if m:
        name = m.group(1)
        return Explained(
            pline,
            f"the alias `*{name}` refers to no anchor `&{name}` above it",
            f"define `&{name}` earlier, or put the value in quotes if the `*` is part of it",
        )
    if "another document" in problem:
        return Explained(
            pline,
            "a second YAML document starts here (a `---` line)",
            "keep one scenario per file: remove the `---` and what follows, or move it",
        )
    if "anchor" in context or "alias" in context:
        return Explained(
            pline,
            "an anchor (`&`) or alias (`*`) needs a name of letters and digits",
            "name it, e.g. `&base`, or put the value in quotes",
        )
    return None


_RULES: tuple[_Rule, ...] = (_quoted, _flow, _block, _token, _other)


def explain(exc: yaml.MarkedYAMLError, line_of: Callable[[yaml.Mark], int]) -> Explained:
    """One located sentence for a PyYAML syntax error.

    Args:
        exc: The error PyYAML raised.
        line_of: The 1-based line a mark is on, as the user's editor counts lines.

    Returns:
        Where, what and how to fix it.
    """
    context, problem = exc.context or "", exc.problem or str(exc)
    pline = line_of(exc.problem_mark) if exc.problem_mark is not None else 0
    cline = line_of(exc.context_mark) if exc.context_mark is not None else pline
    for rule in _RULES:
        found = rule(context, problem, cline, pline)
        if found is not None:
            return found
    # Keep PyYAML's "while ..." context: it says what was being read when things went wrong.
    what = f"{problem} {context}" if context else problem
    return Explained(pline or cline, what, "check indentation and quoting")
