"""Read YAML while remembering the line of every key, so problems can be located.

PyYAML's composer gives nodes with start marks; we walk the node tree once and build
both the plain Python value and a map from key path (a tuple of str/int) to line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import GeneratorType
from typing import Any

import yaml

from evfab._errors import Problem, ScenarioError

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceDoc:
    """A parsed YAML document with a line for every key path.

    Attributes:
        file: Display name of the file.
        data: The plain Python value (dicts, lists, scalars).
        lines: 1-based line of every key path seen.
    """

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

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
_Pair = tuple[yaml.Node, yaml.Node]


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Builder:
    """Turns a composed node tree into plain values, recording the line of every key path.

    Problems that the YAML parser lets through (duplicate keys, unknown tags, alias
    cycles, bad merges) are collected, so that all of them are reported together.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[PathKey, int] = {}
        self.problems: list[Problem] = []
        self._active: set[int] = set()  # ids of collection nodes being built (alias cycles)

    def problem(self, node: yaml.Node, path: PathKey, message: str, hint: str) -> None:
        self.problems.append(Problem(self.file, _line(node), format_path(path), message, hint))

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.lines.setdefault(path, _line(node))
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            return self.scalar(node, path)
        if id(node) in self._active:
            self.problem(
                node,
                path,
                "a YAML alias refers to a value that contains it",
                "an alias (`*name`) may only repeat a complete value, not nest it in itself",
            )
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            return self.mapping(node, path)
        finally:
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

    def _pairs(self, node: yaml.MappingNode, path: PathKey) -> tuple[list[_Pair], list[_Pair]]:
        """The node's own key/value pairs, and those merged in by ``<<: *name``."""
        own: list[_Pair] = []
        merged: list[_Pair] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                own.append((key_node, value_node))
                continue
            bases = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for base in bases:
                if not isinstance(base, yaml.MappingNode) or id(base) in self._active:
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
                    base_own, base_merged = self._pairs(base, path)
                finally:
                    self._active.discard(id(base))
                merged += base_own + base_merged
        return own, merged

    def mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        own, merged = self._pairs(node, path)
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
            skey = str(self.scalar(key_node, path))
            sub = (*path, skey)
            if skey in out:
                if (key_node, value_node) in own:
                    self.problem(
                        key_node, sub, "duplicate key", "each key may appear once in a mapping"
                    )
                continue  # keys merged in by `<<` give way to the mapping's own
            self.lines[sub] = _line(key_node)
            out[skey] = self.build(value_node, sub)
        return out


# NOTE: libyaml's parser composes ~4x faster than PyYAML's, which matters on generated
# industry-scale scenarios; PyYAML's words errors better, so it re-reads invalid text.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        if _FAST_LOADER is yaml.SafeLoader:
            raise
    return yaml.compose(text, Loader=yaml.SafeLoader)


def parse_yaml(text: str, file: str) -> SourceDoc:
    """Parse YAML text into a :class:`SourceDoc`.

    Args:
        text: The YAML text.
        file: Name used in problem locations.

    Returns:
        The parsed document.

    Raises:
        ScenarioError: If the text is not valid YAML, with every problem found.
    """
    try:
        node = _compose(text)
    except yaml.YAMLError as exc:
        hint = "check indentation and quoting"
        if isinstance(exc, yaml.MarkedYAMLError):
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 0
            what = exc.problem or str(exc)
        elif isinstance(exc, yaml.reader.ReaderError):
            line = text.count("\n", 0, exc.position) + 1
            code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
            what = f"control character #x{code:04x} is not allowed"
            hint = "delete it; most editors do not show it"
        else:  # pragma: no cover - PyYAML raises only the two kinds above
            line, what = 0, str(exc)
        raise ScenarioError([Problem(file, line, "", f"not valid YAML: {what}", hint)]) from None
    if node is None:
        return SourceDoc(file, None, {(): 1})
    builder = _Builder(file)
    data = builder.build(node, ())
    if builder.problems:
        raise ScenarioError(builder.problems)
    return SourceDoc(file, data, builder.lines)


def read_yaml(path: Path | str) -> SourceDoc:
    """Read and parse a YAML file.

    Args:
        path: File to read.

    Returns:
        The parsed document.

    Raises:
        ScenarioError: If the file cannot be read or parsed.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            [Problem(str(path), 0, "", f"cannot read file: {exc.strerror}", "check the path")]
        ) from None
    except UnicodeDecodeError:
        raise ScenarioError(
            [Problem(str(path), 0, "", "file is not UTF-8 text", "save the scenario as UTF-8")]
        ) from None
    return parse_yaml(text, str(path))


def is_date(value: Any) -> bool:
    """True for ``datetime.date`` values (YAML dates) but not datetimes."""
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
