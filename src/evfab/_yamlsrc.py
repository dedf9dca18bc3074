"""Read YAML while remembering the line of every key, so problems can be located.

PyYAML's composer gives nodes with start marks; we walk the node tree once and build
both the plain Python value and a map from key path (a tuple of str/int) to line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
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


# NOTE: one shared constructor for scalars; serialising each scalar back to text and
# re-parsing it would cost ~50x more on generated industry-scale scenarios.
_SCALARS = yaml.constructor.SafeConstructor()


def _construct(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], file: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            skey = str(_SCALARS.construct_object(key_node, deep=True))
            sub = (*path, skey)
            if skey in out:
                raise ScenarioError(
                    [
                        Problem(
                            file,
                            key_node.start_mark.line + 1,
                            format_path(sub),
                            "duplicate key",
                            "each key may appear once in a mapping",
                        )
                    ]
                )
            lines[sub] = key_node.start_mark.line + 1
            out[skey] = _construct(value_node, sub, lines, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), lines, file) for i, item in enumerate(node.value)]
    # Scalars: let the safe constructor resolve ints, floats, dates, bools, nulls.
    return _SCALARS.construct_object(node, deep=True)


def parse_yaml(text: str, file: str) -> SourceDoc:
    """Parse YAML text into a :class:`SourceDoc`.

    Args:
        text: The YAML text.
        file: Name used in problem locations.

    Returns:
        The parsed document.

    Raises:
        ScenarioError: If the text is not valid YAML.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise ScenarioError(
            [
                Problem(
                    file,
                    line,
                    "",
                    f"not valid YAML: {exc.problem or exc}",
                    "check indentation and quoting",
                )
            ]
        ) from None
    lines: dict[PathKey, int] = {}
    if node is None:
        return SourceDoc(file, None, {(): 1})
    data = _construct(node, (), lines, file)
    return SourceDoc(file, data, lines)


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
