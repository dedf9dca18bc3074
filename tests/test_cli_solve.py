"""The CLI's live solve status and Ctrl-C handling."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from evfab._cli_solve import progress_text, watching
from evfab._highs import Progress

EVFAB = str(Path(sys.executable).parent / "evfab")


def test_progress_text_before_and_after_the_first_plan() -> None:
    inf = float("inf")
    early = progress_text(Progress(1.2, inf, -inf, inf, 0), "CNY")
    assert "no plan yet, bound none yet" in early
    assert "Ctrl-C stops with the best plan" in early
    later = progress_text(Progress(75.4, 2.5e9, 2.4e9, 0.04, 1234), "CNY")
    assert "75 s" in later
    assert "best plan 2.5bn CNY, bound 2.4bn, gap 4.00%" in later
    assert "1,234 nodes" in later


def test_first_ctrl_c_asks_to_stop_and_the_second_interrupts() -> None:
    before = signal.getsignal(signal.SIGINT)
    console = Console(file=io.StringIO(), width=200)
    state = Progress(1.0, 1e6, 9e5, 0.1, 5)
    with watching(console, show=True, currency="EUR") as (progress, stop):
        assert progress(state) is False
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.asked
        assert progress(state) is True
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before
    assert "stopping: the best plan found so far will be shown" in console.file.getvalue()  # type: ignore[attr-defined]


def test_ctrl_c_is_exit_130_without_a_traceback(tmp_path: Path) -> None:
    # The process interrupts itself before the solve; the CLI exits 130 quietly.
    code = (
        "import os, signal, sys\n"
        "from evfab import cli\n"
        "def slow(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "cli.compile_world = slow\n"
        "sys.argv = ['evfab', 'plan', 'xiaomi-2022']\n"
        "cli.main()\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 130
    assert "Traceback" not in res.stderr


def test_ctrl_c_before_any_plan_exits_130_with_a_message(tmp_path: Path) -> None:
    from evfab.generate import generate_yaml

    path = tmp_path / "g.yaml"
    path.write_text(generate_yaml(programs=50, plants=20, companies=None, years=10, seed=0))
    # Ctrl-C arrives while the model is being built, so the solve stops at its first check.
    code = (
        "import os, signal, sys\n"
        "import evfab.plan as P\n"
        "from evfab import cli\n"
        "real = P.build_milp\n"
        "def build(d):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return real(d)\n"
        "P.build_milp = build\n"
        f"sys.argv = ['evfab', 'plan', {str(path)!r}, '--out', {str(tmp_path / 'out')!r}]\n"
        "cli.main()\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 130, res.stderr
    assert "stopping: the best plan found so far will be shown" in res.stderr
    assert "stopped before the solver had found any plan; nothing was written" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()
