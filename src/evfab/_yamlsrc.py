"""Read YAML while remembering the line of every key, so problems can be located.

PyYAML's composer gives nodes with start marks; we walk the node tree once and build
both the plain Python value and a map from key path (a tuple of str/int) to line.

Hostile input is refused with a located problem rather than a hang or a crash: aliases
may expand to at most :data:`MAX_ALIAS_VALUES` values (a few hundred bytes of nested
aliases can otherwise stand for billions), and values may nest at most
:data:`MAX_DEPTH` levels deep.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import GeneratorType
from typing import Any

import yaml

from evfab._errors import Problem, ScenarioError
from evfab._yamlsyntax import explain

PathKey = tuple[str | int, ...]

MAX_ALIAS_VALUES = 100_000
"""Most values that aliases (``*name``) and merges (``<<: *name``) may add to a document."""
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings accepted (a scenario needs about six levels)."""


@dataclass(frozen=True)
class SourceDoc:
    """A parsed YAML document with a line for every key path.

    Attributes:
        file: Display name of the file.
        data: The plain Python value (dicts, lists, scalars).
        lines: 1-based line of every key path seen.
        problems: Problems found while reading that did not stop it (duplicate keys,
            unknown tags ...); the data holds what could be read around them.
        texts: The text as written of each value that YAML read as something that prints
            differently (``yes`` read as True, ``007`` as 7), so messages can quote it.
    """

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    texts: dict[PathKey, str] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int:
        """Line of ``path`` or of its nearest ancestor present in the file."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)


def format_path(path: Sequence[str | int]) -> str:
    """Render ``("plants", 2, "phases", 0)`` as ``plants[2].phases[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


# NOTE: scalars are built by calling the safe constructor's per-tag function directly.
# Serialising each scalar back to text and re-parsing it would cost ~50x more on
# generated industry-scale scenarios, and ``construct_object`` would cache every node
# in this shared instance forever (a leak in long-running processes).
_SCALARS = yaml.constructor.SafeConstructor()
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"
_Pair = tuple[yaml.Node, yaml.Node]
_GROUP = re.compile(r"\d{3}")
_LEADING = re.compile(r"[-+]?\d{1,3}")
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_STR_TAG = "tag:yaml.org,2002:str"
_OCTAL_11 = re.compile(r"[-+]?0[0-7_]+")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+")
_EXPONENT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+")


class _Lines:
    """Line numbers as an editor counts them.

    PyYAML also breaks lines at NEL (U+0085) and the Unicode line and paragraph
    separators (U+2028, U+2029), which editors show inside a line; a file with one of
    them would have every later problem reported a line too far. Such files get a table
    of line starts; all others (nearly all) use PyYAML's count, which is then right.
    """

    def __init__(self, text: str) -> None:
        self._starts: list[int] | None = None
        self.plain = not any(c in text for c in "\x85\u2028\u2029")
        """Whether PyYAML's own line count is right (no unusual line breaks)."""
        if not self.plain:
            self._starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def of(self, mark: yaml.Mark) -> int:
        """1-based line of ``mark``."""
        if self._starts is None:
            return int(mark.line) + 1
        return bisect.bisect_right(self._starts, int(mark.index))

    @staticmethod
    def at(text: str, index: int) -> int:
        """1-based line of the character at ``index`` (for errors: counts every time)."""
        return len(re.findall(r"\r\n|\r|\n", text[:index])) + 1


class _TooMuch(Exception):
    """Aliases expand to more than MAX_ALIAS_VALUES values: stop building."""

    def __init__(self, node: yaml.Node, path: PathKey) -> None:
        self.node, self.path = node, path


class _Builder:
    """Turns a composed node tree into plain values, recording the line of every key path.

    Problems that the YAML parser lets through (duplicate keys, unknown tags, alias
    cycles, bad merges, numbers with thousands separators in ``{...}``) are collected,
    so that all of them are reported together.
    """

    def __init__(self, file: str, lines: _Lines) -> None:
        self.file = file
        self._lines = lines
        self._plain = lines.plain
        self.lines: dict[PathKey, int] = {}
        self.texts: dict[PathKey, str] = {}
        self.problems: list[Problem] = []
        self._active: set[int] = set()  # ids of collection nodes being built (alias cycles)
        self._built: set[int] = set()  # ids of collection nodes built once (aliases repeat them)
        self._repeating = 0  # > 0 while building a collection a second time, through an alias
        self._expanded = 0  # values added by aliases and merges so far
        self._too_deep = False

    def line(self, node: yaml.Node) -> int:
        """1-based line of ``node`` (see :class:`_Lines`)."""
        if self._plain:
            return int(node.start_mark.line) + 1
        return self._lines.of(node.start_mark)

    def problem(self, node: yaml.Node, path: PathKey, message: str, hint: str) -> None:
        self.problems.append(Problem(self.file, self.line(node), format_path(path), message, hint))

    def _count(self, node: yaml.Node, path: PathKey, n: int = 1) -> None:
        self._expanded += n
        if self._expanded > MAX_ALIAS_VALUES:
            raise _TooMuch(node, path)

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.lines.setdefault(path, self.line(node))
        if self._repeating:
            self._count(node, path)
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            value = self.scalar(node, path)
            if type(value) is not str and str(value) != node.value:
                self.texts[path] = node.value
            return value
        if id(node) in self._active:
            self.problem(
                node,
                path,
                "a YAML alias refers to a value that contains it",
                "an alias (`*name`) may only repeat a complete value, not nest it in itself",
            )
            return None
        if len(path) > MAX_DEPTH:
            if not self._too_deep:  # once is enough: the rest is as deep
                self._too_deep = True
                self.problem(
                    node,
                    path[:4],
                    f"lists and mappings are nested more than {MAX_DEPTH} levels deep",
                    "a scenario needs only a few levels; check for unclosed brackets",
                )
            return None
        repeat = id(node) in self._built
        self._built.add(id(node))
        self._active.add(id(node))
        self._repeating += repeat
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            return self.mapping(node, path)
        finally:
            self._repeating -= repeat
            self._active.discard(id(node))

    def scalar(self, node: yaml.Node, path: PathKey) -> Any:
        construct = _SCALARS.yaml_constructors.get(node.tag)
        if construct is None or not isinstance(node, yaml.ScalarNode):
            self.problem(
                node,
                path,
                f"unsupported YAML tag {node.tag!r}",
                "remove the tag, the word starting with `!`",
            )
            return node.value if isinstance(node, yaml.ScalarNode) else None
        # NOTE: PyYAML reads YAML 1.1, whose plain forms change a scenario's figures without
        # a word: `060000` is octal 24576, `yes`/`no`/`on` are booleans (1 and 0 as numbers),
        # `1:30` is 90, while `1e2` is text. They are read as YAML 1.2 reads them.
        tag = node.tag
        if tag == _BOOL_TAG and node.value.lower() not in ("true", "false"):
            return node.value  # a number field then says "expected a number, got 'yes'"
        if tag == _INT_TAG:
            text = node.value
            if _OCTAL_11.fullmatch(text):
                return int(text.replace("_", ""), 10)
            if ":" in text and _SEXAGESIMAL.fullmatch(text):
                return text
        elif (
            tag == _STR_TAG
            and not node.style
            and ("e" in node.value or "E" in node.value)
            and _EXPONENT.fullmatch(node.value)
        ):
            return float(node.value)
        try:
            value = construct(_SCALARS, node)
        except (ValueError, ArithmeticError, yaml.YAMLError):
            # E.g. ``2022-13-01`` looks like a date but is none: keep the text, so the
            # schema reports it where a date is expected, together with other problems.
            return node.value
        if isinstance(value, GeneratorType):  # a collection tag such as !!map on a scalar
            value.close()
            self.problem(
                node, path, f"YAML tag {node.tag!r} does not fit a single value", "remove the tag"
            )
            return node.value
        return value

    def _pairs(
        self, node: yaml.MappingNode, path: PathKey, depth: int = 0
    ) -> tuple[list[_Pair], list[_Pair]]:
        """The node's own key/value pairs, and those merged in by ``<<: *name``."""
        own: list[_Pair] = []
        merged: list[_Pair] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                own.append((key_node, value_node))
                continue
            bases = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for base in bases:
                if (
                    not isinstance(base, yaml.MappingNode)
                    or id(base) in self._active
                    or depth > MAX_DEPTH
                ):
                    self.problem(
                        key_node,
                        (*path, "<<"),
                        "`<<` can only merge a mapping defined elsewhere",
                        "write `<<: *name` where `&name` marks a mapping",
                    )
                    continue
                # Earlier merges win over later ones, a base's own keys over its merges.
                self._active.add(id(base))
                try:
                    base_own, base_merged = self._pairs(base, path, depth + 1)
                finally:
                    self._active.discard(id(base))
                self._count(key_node, (*path, "<<"), len(base_own) + len(base_merged))
                merged += base_own + base_merged
        return own, merged

    def _thousands(self, pairs: list[_Pair], path: PathKey) -> list[_Pair]:
        """Join ``{2023: 50,000}`` back into one number and report the separator.

        Inside ``{...}`` a comma separates entries, so ``50,000`` reads as ``50`` and a
        key ``000`` without a value; with two such numbers the key is even a duplicate.
        """
        out: list[_Pair] = []
        i = 0
        while i < len(pairs):
            key_node, value_node = pairs[i]
            j = i + 1
            if _is_plain(value_node) and _LEADING.fullmatch(value_node.value):
                while j < len(pairs) and _is_group(pairs[j]):
                    j += 1
            if j == i + 1:
                out.append(pairs[i])
                i += 1
                continue
            text = ",".join([value_node.value] + [str(k.value) for k, _ in pairs[i + 1 : j]])
            joined = text.replace(",", "")
            self.problem(
                value_node,
                (*path, _key_text(key_node, self.scalar(key_node, path))),
                f"`{text}` is one number written with thousands separators, but inside "
                f"`{{...}}` a comma separates entries",
                f"write numbers without thousands separators: {joined}",
            )
            fixed = yaml.ScalarNode(
                "tag:yaml.org,2002:int", joined, value_node.start_mark, value_node.end_mark
            )
            out.append((key_node, fixed))
            i = j
        return out

    def mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        own, merged = self._pairs(node, path)
        if node.flow_style:
            own = self._thousands(own, path)
        own_set = {id(k) for k, _ in own}
        out: dict[str, Any] = {}
        for key_node, value_node in own + merged:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(
                    key_node,
                    path,
                    "a key must be a word or a number, not a list or mapping",
                    "check for a stray `?` or brackets before the colon",
                )
                continue
            key = self.scalar(key_node, path)
            skey = key if type(key) is str else _key_text(key_node, key)
            sub = (*path, skey)
            if skey in out:
                if id(key_node) in own_set:
                    self.problem(
                        key_node, sub, "duplicate key", "each key may appear once in a mapping"
                    )
                continue  # keys merged in by `<<` give way to the mapping's own
            self.lines[sub] = self.line(key_node)
            out[skey] = self.build(value_node, sub)
        return out


def _key_text(node: yaml.Node, value: Any) -> str:
    """A mapping key as text: its value (``2_023`` is ``2023``), or as written for keys that
    are neither text nor numbers nor dates (``~`` stays ``~``, not ``None``)."""
    if type(value) is str:  # nearly every key: the quick way out
        return value
    if isinstance(value, str | int | float | dt.date) and not isinstance(value, bool):
        return str(value)
    return str(node.value) if isinstance(node, yaml.ScalarNode) else str(value)


def _is_plain(node: yaml.Node) -> bool:
    """An unquoted scalar (libyaml marks its style "", PyYAML None)."""
    return isinstance(node, yaml.ScalarNode) and not node.style


def _is_group(pair: _Pair) -> bool:
    """A key ``000`` with no value: the tail of a number such as ``50,000`` in ``{...}``."""
    key, value = pair
    return (
        _is_plain(key)
        and bool(_GROUP.fullmatch(key.value))
        and isinstance(value, yaml.ScalarNode)
        and value.tag == _NULL_TAG
        and value.value == ""
    )


# NOTE: libyaml's parser composes ~4x faster than PyYAML's, which matters on generated
# industry-scale scenarios; PyYAML's words errors better, so it re-reads invalid text.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError as exc:
        if _FAST_LOADER is yaml.SafeLoader or "nesting depth" in str(exc):
            raise  # PyYAML's recursive parser would overflow the stack on such text
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _syntax_problem(exc: yaml.YAMLError, text: str, lines: _Lines, file: str) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        if "nesting depth" in str(exc):
            line = lines.of(exc.problem_mark) if exc.problem_mark is not None else 0
            return Problem(
                file,
                line,
                "",
                "not valid YAML: brackets or indentation nest too deep",
                "a scenario needs only a few levels; check for unclosed brackets",
            )
        why = explain(exc, lines.of)
        spaced = _odd_space(text, why.line)
        if spaced:
            line, name = spaced
            return Problem(
                file,
                line,
                "",
                f"not valid YAML: line {line} has a {name} where YAML needs a plain space",
                "replace it with a plain space; it often comes with text pasted from a web "
                "page or a word processor",
            )
        hint = why.hint
        if why.line > 0 and any(c in _line_text(text, why.line) for c in "\x85\u2028\u2029"):
            hint = (
                "the line holds an invisible line break, U+2028, U+2029 or NEL, often pasted "
                "from a web page: delete it, or put the value in quotes"
            )
        return Problem(file, why.line, "", f"not valid YAML: {why.message}", hint)
    if isinstance(exc, yaml.reader.ReaderError):
        line = _Lines.at(text, exc.position)
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        return Problem(
            file,
            line,
            "",
            f"not valid YAML: control character #x{code:04x} is not allowed",
            "delete it; most editors do not show it",
        )
    return Problem(
        file, 0, "", f"not valid YAML: {exc}", "check indentation and quoting"
    )  # pragma: no cover


_ODD_SPACES = {
    "\u00a0": "non-breaking space (U+00A0)",
    "\u2007": "figure space (U+2007)",
    "\u202f": "narrow non-breaking space (U+202F)",
    "\u3000": "full-width space (U+3000)",
    "\u2009": "thin space (U+2009)",
}
# In the indent, or after the `:` of a key or the `-` of an item: where YAML's structure
# needs a plain space and the odd one reads as part of a word.
_ODD_SPACE_AT = re.compile(
    "^[ \t]*[" + "".join(_ODD_SPACES) + "]|[:-][" + "".join(_ODD_SPACES) + "]", re.MULTILINE
)


def _odd_space(text: str, near: int) -> tuple[int, str] | None:
    """The line of an odd space (a non-breaking space, say) where YAML needs a plain one,
    within three lines of the line ``near`` a syntax error was found on, and the space's
    name; None if there is none. The parser trips a line or two after it, calling it
    something else."""
    if not any(c in text for c in _ODD_SPACES):
        return None
    found = [(_Lines.at(text, m.start()), m.group(0)[-1]) for m in _ODD_SPACE_AT.finditer(text)]
    if not found:
        return None
    line, char = min(found, key=lambda f: (abs(f[0] - near), f[0]))
    # Far from the error, it is not its cause (a value may hold one: "Wang\u00a0Chuanfu").
    return (line, _ODD_SPACES[char]) if abs(line - near) <= 3 else None


def _line_text(text: str, line: int) -> str:
    """Line ``line`` (1-based, as an editor counts) of ``text``."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[line - 1] if 0 < line <= len(lines) else ""


def parse_yaml(text: str, file: str, *, strict: bool = True) -> SourceDoc:
    """Parse YAML text into a :class:`SourceDoc`.

    Args:
        text: The YAML text.
        file: Name used in problem locations.
        strict: Raise on problems that still let the text be read (duplicate keys,
            unknown tags ...); if False they are returned in ``SourceDoc.problems``,
            so a caller can report them together with later ones.

    Returns:
        The parsed document.

    Raises:
        ScenarioError: If the text is not valid YAML, with every problem found.
    """
    lines = _Lines(text)
    try:
        node = _compose(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, text, lines, file)]) from None
    except RecursionError:  # pragma: no cover - only without libyaml
        raise ScenarioError(
            [Problem(file, 0, "", "not valid YAML: nested too deep", "check for unclosed brackets")]
        ) from None
    if node is None:
        return SourceDoc(file, None, {(): 1})
    builder = _Builder(file, lines)
    try:
        data = builder.build(node, ())
    except _TooMuch as too:
        # Reported at the top-level key being built: the nodes inside it are the anchors'.
        top = too.path[:1]
        raise ScenarioError(
            [
                Problem(
                    file,
                    builder.lines.get(top, builder.line(too.node)),
                    format_path(top),
                    f"YAML aliases (`*name`) expand to more than {MAX_ALIAS_VALUES:,} values",
                    "repeat a value by alias only a few times; an alias inside a repeated "
                    "value multiplies it",
                )
            ]
        ) from None
    if builder.problems and strict:
        raise ScenarioError(builder.problems)
    return SourceDoc(file, data, builder.lines, tuple(builder.problems), builder.texts)


def decode(raw: bytes, file: str) -> str:
    """The text of a scenario file: UTF-8, or UTF-16 with a byte-order mark.

    Args:
        raw: The file's bytes.
        file: Name used in problem locations.

    Returns:
        The text.

    Raises:
        ScenarioError: If it is not such text, located at the line of the first bad byte.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScenarioError(
            [
                Problem(
                    file,
                    line,
                    "",
                    f"file is not UTF-8 text: byte 0x{raw[exc.start]:02x} in column {col} "
                    "is not UTF-8",
                    "save the scenario as UTF-8; it may be in Latin-1 or Windows-1252",
                )
            ]
        ) from None


def read_yaml(path: Path | str, *, strict: bool = True) -> SourceDoc:
    """Read and parse a YAML file.

    Args:
        path: File to read.
        strict: As for :func:`parse_yaml`.

    Returns:
        The parsed document.

    Raises:
        ScenarioError: If the file cannot be read or parsed.
    """
    p = Path(path)

    def cannot(why: str, hint: str = "check the path") -> ScenarioError:
        return ScenarioError([Problem(str(path), 0, "", f"cannot read file: {why}", hint)])

    try:
        mode = p.stat().st_mode
        if stat.S_ISDIR(mode):
            raise cannot("it is a folder", "give a scenario file in it")
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            # /dev/zero would be read until memory runs out. A pipe is read (`cat f.yaml |
            # evfab validate /dev/stdin`), as other tools read it.
            raise cannot("it is a device or socket, not a file", "give a scenario file")
        raw = p.read_bytes()
    except OSError as exc:
        raise cannot(str(exc.strerror or exc)) from None
    return parse_yaml(decode(raw, str(path)), str(path), strict=strict)


def is_date(value: Any) -> bool:
    """True for ``datetime.date`` values (YAML dates) but not datetimes."""
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
