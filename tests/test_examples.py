"""The examples in ``examples/`` run as tests, their output compared with golden files.

Regenerate a golden file after a deliberate change with
``EVFAB_UPDATE_GOLDEN=1 pytest tests/test_examples.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import update_golden

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", ["policy_whatif", "scoped_policy"])
def test_example_output_is_pinned(name: str) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / f"{name}.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    golden = GOLDEN / f"{name}.txt"
    update_golden(golden, out.stdout)
    assert out.stdout == golden.read_text(encoding="utf-8")


def test_policy_whatif_writes_a_scenario_that_validates(tmp_path: Path) -> None:
    target = tmp_path / "halt.yaml"
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "policy_whatif.py"), "--write", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    import evfab

    s = evfab.load(target)
    assert [p.name for p in s.policy][-2:] == [
        "what-if: new licences halted again",
        "what-if: halt lifted",
    ]
