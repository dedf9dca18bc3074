"""The package: its docstring's example runs as written; engines load on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import evfab


def test_the_docstring_example_runs_as_written() -> None:
    doc = evfab.__doc__ or ""
    block = doc.split("Public API::", 1)[1].split("\n\n", 2)[1]
    code = "\n".join(line[4:] for line in block.splitlines())
    assert "evfab.plan.plan(" in code and "evfab.compare.compare(" in code
    space: dict[str, object] = {"evfab": evfab}
    # ``other_world`` stands for the world of a what-if; here the same one.
    exec(code.replace("other_world", "world"), space)
    assert space["result"].ok  # type: ignore[attr-defined]
    assert len(space["odds"].summary)  # type: ignore[attr-defined]


def test_engines_load_on_first_use_not_on_import() -> None:
    code = (
        "import sys, evfab; before = 'evfab.plan' in sys.modules; "
        "evfab.plan.plan; print(before, 'evfab.plan' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'planner'"):
        evfab.planner  # noqa: B018
