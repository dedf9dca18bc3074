"""The helper thread that runs work beside the caller."""

from __future__ import annotations

import os
import threading

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
    def no_thread() -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(_beside, "_queue", no_thread)
    assert Beside(lambda: threading.current_thread().name).result() == (
        threading.current_thread().name
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_helper() -> None:
    assert Beside(lambda: 1).result() == 1  # the parent has a helper
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's helper thread did not come along
        try:
            os.write(w, str(Beside(lambda: 2).result()).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as got:
        assert got.read() == "2"
    os.waitpid(pid, 0)
