"""The helper thread that runs work beside the caller."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable

import pytest

from evfab import _beside
from evfab._beside import THREAD_NAME, Beside


def helpers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME]


def test_returns_the_result_and_reraises_the_error() -> None:
    assert Beside(lambda: 41 + 1).result() == 42

    def boom() -> int:
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        Beside(boom).result()
    assert Beside(lambda: "still serving").result() == "still serving"


def test_runs_on_one_long_lived_thread_not_the_callers() -> None:
    names = [Beside(lambda: threading.current_thread().name).result() for _ in range(5)]
    assert names == [THREAD_NAME] * 5
    assert len(helpers()) == 1


def test_a_held_function_waits_for_go() -> None:
    started = threading.Event()
    job = Beside(started.set, held=True)
    assert not started.wait(0.05) and not job.done()
    job.go()
    job.go()  # a second go hands nothing over again
    job.wait()
    assert started.is_set() and job.done()


def test_result_hands_over_a_held_function_itself() -> None:
    assert Beside(lambda: 7, held=True).result() == 7


def test_runs_in_the_callers_thread_when_no_thread_can_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_thread(self: threading.Thread) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(_beside, "_jobs", None)  # as if no helper had started yet
    monkeypatch.setattr(_beside, "_thread", None)
    monkeypatch.setattr(threading.Thread, "start", no_thread)
    assert Beside(lambda: threading.current_thread().name).result() == (
        threading.current_thread().name
    )


def test_runs_in_the_callers_thread_at_interpreter_shutdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A daemon thread no longer runs once the interpreter finalises: a job queued for it
    # would be waited for forever.
    monkeypatch.setattr(_beside.sys, "is_finalizing", lambda: True)
    assert Beside(lambda: threading.current_thread().name).result() == (
        threading.current_thread().name
    )


def finishes(fn: Callable[[], object], seconds: float = 10.0) -> list[object]:
    """What ``fn`` returned, run in a thread of its own; [] if it hung."""
    got: list[object] = []
    t = threading.Thread(target=lambda: got.append(fn()), daemon=True)
    t.start()
    t.join(seconds)
    return got


def test_a_job_made_on_the_helper_runs_in_place_not_behind_itself() -> None:
    def nested() -> str:
        return Beside(lambda: threading.current_thread().name).result()

    assert finishes(lambda: Beside(nested).result()) == [THREAD_NAME]
    assert finishes(lambda: Beside(lambda: "still serving").result()) == ["still serving"]


def test_the_function_runs_once_however_many_threads_hand_it_over() -> None:
    calls: list[int] = []
    job = Beside(lambda: calls.append(1), held=True)
    threads = [threading.Thread(target=job.wait) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    job.go()
    assert job.done() and calls == [1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_helper() -> None:
    assert Beside(lambda: 1).result() == 1  # the parent has a helper
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's helper thread did not come along
        try:
            os.write(w, str(finishes(lambda: Beside(lambda: 2).result(), 5)).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as got:
        assert got.read() == "[2]"
    os.waitpid(pid, 0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_the_helper_stops_before_a_fork_and_starts_again_after() -> None:
    # The process forks with no helper thread (Python 3.12+ warns on forking a process
    # with threads), after the helper has run what it was given.
    slow = Beside(lambda: threading.Event().wait(0.05) or "finished")
    assert len(helpers()) == 1
    pid = os.fork()
    if pid == 0:
        alone = not helpers()
        os._exit(0 if alone and finishes(lambda: Beside(lambda: 3).result(), 5) == [3] else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert slow.done() and slow.result() == "finished"
    assert helpers() == []
    assert Beside(lambda: threading.current_thread().name).result() == THREAD_NAME
    assert len(helpers()) == 1


def run_alone(code: str, seconds: float = 60.0) -> str:
    """What ``code`` prints, run in a fresh interpreter (a hang there cannot hang the suite)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=seconds,
        )
    except subprocess.TimeoutExpired:
        return "hung"
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_an_interrupted_stop_before_a_fork_leaves_no_job_stranded() -> None:
    # A Ctrl-C while the before-fork handler waits for the helper: the next job must start
    # a new helper, not queue behind the stopped one's sentinel.
    got = run_alone(
        """
        from evfab import _beside
        from evfab._beside import Beside

        assert Beside(lambda: 1).result() == 1
        def interrupted(timeout=None):
            raise KeyboardInterrupt
        _beside._thread.join = interrupted
        try:
            _beside._stop()
        except KeyboardInterrupt:
            pass
        print(Beside(lambda: 2).result())
        """,
        20,
    )
    assert got == "2"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_job_may_fork_while_the_caller_forks() -> None:
    # The caller's fork waits for the helper to finish its job; the job's own fork must
    # not wait for the caller's (a deadlock), and its child gets a helper of its own.
    got = run_alone(
        """
        import os, threading, time
        from evfab._beside import THREAD_NAME, Beside

        def forks():
            time.sleep(0.3)  # the caller is forking by now
            pid = os.fork()
            if pid == 0:
                helper = Beside(threading.current_thread).result()
                mine = helper is not threading.current_thread() and helper.name == THREAD_NAME
                os._exit(7 if mine else 1)
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

        job = Beside(forks)
        time.sleep(0.05)
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        print(job.result(), Beside(lambda: "still serving").result())
        """,
        30,
    )
    assert got == "7 still serving"
