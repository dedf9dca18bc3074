"""The CLI's live solve status, and Ctrl-C during `evfab plan` end to end."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
import types
from pathlib import Path

import pytest
from rich.console import Console

import evfab
from evfab._cli_solve import Pace, duration, progress_text, watching
from evfab._solve_watch import Progress

INF = float("inf")


def test_progress_text_before_and_after_the_first_plan() -> None:
    early = progress_text(Progress(1.2, INF, -INF, INF, 0), "CNY")
    assert "no plan yet, bound none yet" in early
    assert "Ctrl-C stops with the best plan" in early
    later = progress_text(Progress(75.4, 2.5e9, 2.4e9, 0.04, 1234), "CNY")
    assert "75 s" in later
    assert "best plan 2.5bn CNY, bound 2.4bn, gap 4.00%" in later
    assert "1,234 nodes" in later
    stopping = progress_text(Progress(80.0, 2.5e9, 2.4e9, 0.04, 1300, stopping=True), "CNY")
    assert "stopping at the solver's next check; Ctrl-C again to abort" in stopping
    late = Progress(80.0, 2.5e9, 2.5e9, 0.0, 1300, stopping=True, finished=True)
    assert "solve already finished" in progress_text(late, "CNY")
    assert "next check" not in progress_text(late, "CNY")


def test_watching_says_once_that_it_stops_and_never_stops_itself() -> None:
    console = Console(file=io.StringIO(), width=200)
    with watching(console, show=True, currency="EUR") as live:
        assert live.progress(Progress(1.0, 1e6, 9e5, 0.1, 5)) is False
        assert live.progress(Progress(2.0, 1e6, 9e5, 0.1, 5, stopping=True)) is False
        assert live.progress(Progress(3.0, 1e6, 9e5, 0.1, 5, stopping=True)) is False
        live.step("capacity values")
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert text.count("stopping: the best plan found so far will be shown") == 1


def test_watching_says_a_late_stop_keeps_the_finished_solve() -> None:
    console = Console(file=io.StringIO(), width=200)
    with watching(console, show=False, currency="EUR") as live:
        live.progress(Progress(3.0, 1e6, 1e6, 0.0, 5, stopping=True, finished=True))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "the solve had already finished" in text
    assert "best plan found so far" not in text


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, slow_to_prove: str) -> Path:
    """:func:`slow_to_prove` as a file."""
    path = tmp_path_factory.mktemp("g") / "g.yaml"
    path.write_text(slow_to_prove)
    return path


def _plan_with_ctrl_c(path: Path, out: Path, when: str) -> subprocess.CompletedProcess[str]:
    """`evfab plan` in a child that presses Ctrl-C on itself at a progress report.

    ``when`` is a condition on the report ``p`` (the first report that meets it).
    """
    code = (
        "import os, signal, sys\n"
        "from evfab import _cli_solve, cli\n"
        "real = _cli_solve.progress_text\n"
        "sent = []\n"
        "def text(p, currency):\n"
        f"    if not sent and ({when}):\n"
        "        sent.append(1)\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "    return real(p, currency)\n"
        "_cli_solve.progress_text = text\n"
        f"sys.argv = ['evfab', 'plan', {str(path)!r}, '--out', {str(out)!r}, '--no-alternatives']\n"
        "cli.main()\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_ctrl_c_during_the_solve_prints_the_best_plan(generated: Path, tmp_path: Path) -> None:
    res = _plan_with_ctrl_c(generated, tmp_path / "out", "p.objective < float('inf')")
    assert res.returncode == 0, res.stderr
    assert "stopping: the best plan found so far will be shown" in res.stderr
    assert ": time_limit, discounted total cost" in res.stdout
    assert "gap" in res.stdout
    assert (tmp_path / "out" / "plan.json").exists()
    assert "Traceback" not in res.stderr


def test_ctrl_c_before_any_plan_exits_130_and_writes_nothing(
    generated: Path, tmp_path: Path
) -> None:
    res = _plan_with_ctrl_c(generated, tmp_path / "out", "True")
    assert res.returncode == 130, res.stderr
    assert "stopped before the solver had found any plan; nothing was written" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_ctrl_c_outside_the_solve_aborts_quietly(tmp_path: Path) -> None:
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
    # typer turns the Ctrl-C into a silent status 130; the CLI says why it ended.
    assert res.stderr.strip() == "interrupted"
    debug = subprocess.run(
        [sys.executable, "-c", code.replace("'plan',", "'--debug', 'plan',")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert debug.returncode == 130
    assert "Traceback" in debug.stderr and "KeyboardInterrupt" in debug.stderr


def test_ctrl_c_while_the_cli_loads_exits_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from evfab import _entry

    class Loading(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            raise KeyboardInterrupt  # pressed while the module's imports run

    monkeypatch.setitem(sys.modules, "evfab.cli", Loading("evfab.cli"))
    monkeypatch.setattr(sys, "argv", ["evfab", "plan", "china-ev"])
    with pytest.raises(SystemExit) as done:
        _entry.main()
    assert done.value.code == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_the_console_script_loads_nothing_heavy_before_its_handler() -> None:
    code = (
        "import sys, evfab._entry; print(sorted({'pandas', 'typer', 'highspy'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("where", ["command", "lazy import"])
def test_ctrl_c_outside_the_solve_exits_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    from evfab import cli

    def app() -> None:
        if where == "command":
            raise KeyboardInterrupt
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ImportError("initialization failed") from None

    monkeypatch.setattr(cli, "app", app)
    monkeypatch.setattr(sys, "argv", ["evfab", "plan", "china-ev"])
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 130
    said = capsys.readouterr()
    assert "Traceback" not in said.err and "internal error" not in said.err


def test_duration_in_words() -> None:
    assert [duration(s) for s in (0, 44.6, 60, 185, 599, 600, 2398, 3599, 3600, 4330)] == [
        "0 s",
        "45 s",
        "1 min 00 s",
        "3 min 05 s",
        "9 min 59 s",
        "10 min",
        "40 min",
        "1 h 00 min",
        "1 h 00 min",
        "1 h 12 min",
    ]


def test_pace_adds_time_so_far_and_left_to_counted_steps() -> None:
    now = [100.0]
    pace = Pace(lambda: now[0])
    assert pace.text("capacity values (the LP)") == "capacity values (the LP)"
    assert pace.text("pricing alternative 1 of 4") == "pricing alternative 1 of 4"
    now[0] += 0.2  # answered by the plan itself: no estimate from that alone
    assert pace.text("pricing alternative 2 of 4") == "pricing alternative 2 of 4"
    now[0] += 29.8
    assert pace.text("pricing alternative 2 of 4") == (
        "pricing alternative 2 of 4, 30 s so far, about 1 min 30 s left"
    )
    now[0] += 10  # the mean so far, not the last one, makes the estimate
    assert pace.text("pricing alternative 3 of 4").endswith("40 s so far, about 40 s left")
    now[0] += 5
    # A new count starts its own clock, and thousands are read with their commas.
    assert pace.text("pricing deal not taken 1 of 1,200") == "pricing deal not taken 1 of 1,200"
    now[0] += 2
    assert pace.text("pricing deal not taken 2 of 1,200").endswith("2 s so far, about 40 min left")


def test_watching_shows_the_pace_of_counted_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr("evfab._cli_solve.time.monotonic", lambda: now[0])
    shown: list[str] = []
    console = Console(file=io.StringIO(), width=200)
    with watching(console, show=True, currency="EUR") as live:
        monkeypatch.setattr(type(console.status("x")), "update", lambda self, t: shown.append(t))
        live.step("pricing alternative 1 of 3")
        now[0] = 20.0
        live.step("pricing alternative 2 of 3")
        assert shown[-1].__rich__() == (
            "plan found; pricing alternative 2 of 3, 20 s so far, about 40 s left ... "
            "(Ctrl-C stops this and keeps the plan)"
        )
        now[0] = 35.0  # redrawn while the re-solve runs, with no new step
        assert "35 s so far, about 25 s left" in shown[-1].__rich__()


def test_pace_moves_on_during_a_step_and_gives_no_figure_past_its_estimate() -> None:
    now = [0.0]
    pace = Pace(lambda: now[0])
    pace.note("pricing alternative 1 of 3")
    assert pace.line() == "pricing alternative 1 of 3"
    now[0] = 5.0  # the first is long: the time so far shows, no estimate yet
    assert pace.line() == "pricing alternative 1 of 3, 5 s so far"
    now[0] = 10.0
    pace.note("pricing alternative 2 of 3")
    assert pace.line() == "pricing alternative 2 of 3, 10 s so far, about 20 s left"
    now[0] = 25.0
    assert pace.line() == "pricing alternative 2 of 3, 25 s so far, about 5 s left"
    now[0] = 40.0  # slower than the mean so far: no figure rather than a wrong one
    assert pace.line() == "pricing alternative 2 of 3, 40 s so far"
    pace.note("capacity values")  # not counted
    assert pace.line() == "capacity values"


def test_pace_leaves_text_that_only_looks_counted_alone() -> None:
    pace = Pace(lambda: 0.0)
    for text in ("batch , of 3", "a ,, of ,", "pricing 5 of 3", "of 3", "3 of 4"):
        assert pace.text(text) == text


def test_a_long_pricing_in_scope_industry_suggests_the_company_scope(
    xiaomi: evfab.Scenario,
) -> None:
    from evfab._cli_solve import SLOW_PRICING, pricing_tip
    from evfab.plan import PlanOptions, plan

    r = plan(evfab.compile(xiaomi), PlanOptions(alternatives=True))
    slow = dataclasses.replace(r, timings={**r.timings, "post": SLOW_PRICING + 86.0})
    tip = pricing_tip(slow, "industry")
    assert tip is not None and "took 2 min 26 s: --alternatives-scope company" in tip
    assert "each cost is then an upper bound" in tip
    assert pricing_tip(slow, "company") is None  # already in it
    quick = dataclasses.replace(r, timings={**r.timings, "post": SLOW_PRICING - 1})
    assert pricing_tip(quick, "industry") is None
    unpriced = plan(evfab.compile(xiaomi), PlanOptions(alternatives=False))
    none = dataclasses.replace(unpriced, timings={**unpriced.timings, "post": 600.0})
    assert pricing_tip(none, "industry") is None  # nothing was priced
