"""Work done beside the caller on one long-lived helper thread.

:class:`Beside` hands a function to a single daemon thread that lives for the process. The
planner uses it to prepare its result tables while HiGHS solves without the GIL; see
:func:`evfab._plan_tables.prepare_beside`.

The helper runs one function at a time, in the order they were handed over: a function
must not wait for another :class:`Beside` (one made on the helper itself runs at once, in
place). Around ``os.fork()`` the helper is stopped, after finishing what it was given, so
that the process forks with no thread of evfab's (a child would otherwise inherit a queue
no thread serves, and Python 3.12+ warns on forking a process with threads); it starts
again when next needed, in parent and child alike. (If a Ctrl-C interrupts that stop, the
old helper finishes its queue beside the next one: for that while, two may run at once.)
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

THREAD_NAME = "evfab-beside"
"""The helper thread's name."""

_lock = threading.Lock()
_jobs: queue.SimpleQueue[Beside[object] | None] | None = None
_thread: threading.Thread | None = None
_here = threading.local()
"""``_here.helper`` is True on a helper thread, also on one already told to stop."""


def _on_helper() -> bool:
    """Whether the calling thread is a helper (then it must never wait for one)."""
    return bool(getattr(_here, "helper", False))


def _serve(jobs: queue.SimpleQueue[Beside[object] | None]) -> None:
    _here.helper = True
    while (job := jobs.get()) is not None:  # None: stop (see _stop)
        job._run()


def _send(job: Beside[object]) -> bool:
    """Queue ``job`` for the helper, starting the helper first if there is none.

    Returns:
        False if the job must run in the caller's thread instead: it is the helper's own
        (a job waiting for one queued behind it would never end), the interpreter is
        shutting down (a daemon thread no longer runs), or no thread can be started.
    """
    global _jobs, _thread
    if sys.is_finalizing() or _on_helper():
        return False
    # NOTE: queued under the lock, so that _stop() never leaves a job behind its sentinel.
    with _lock:
        if _jobs is None:
            jobs: queue.SimpleQueue[Beside[object] | None] = queue.SimpleQueue()
            thread = threading.Thread(target=_serve, args=(jobs,), name=THREAD_NAME, daemon=True)
            try:
                thread.start()
            except RuntimeError:  # e.g. "can't create new thread at interpreter shutdown"
                return False
            _jobs, _thread = jobs, thread
        _jobs.put(job)
        return True


def _stop() -> None:
    """Stop the helper once it has run every job it was given (before a fork).

    On a helper (a job that forks) it does nothing: the helper cannot wait for itself, and
    the lock may be held by a thread that is waiting for the helper.
    """
    global _jobs, _thread
    if _on_helper():
        return
    with _lock:
        jobs, thread = _jobs, _thread
        # NOTE: detached before the join, so that however the join ends (a Ctrl-C lands
        # in it: CPython reports an error raised in a before-fork hook and forks anyway),
        # the next job starts a new helper instead of queueing behind the sentinel; the
        # old one then finishes its queue beside the new one.
        _jobs = _thread = None
        if jobs is None or thread is None:
            return
        jobs.put(None)
        thread.join()


def _forked() -> None:
    """In a forked child: no helper, and a lock no other thread can be holding.

    The child's one thread is the one that forked; if that was a helper, it is a helper
    no longer (it has no queue to serve).
    """
    global _lock, _jobs, _thread
    _lock = threading.Lock()
    _jobs = _thread = None
    _here.helper = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_stop, after_in_child=_forked)


class Beside(Generic[T]):
    """A function run on the helper thread; :meth:`result` waits for it and re-raises.

    Args:
        fn: The function (no arguments). It must not wait for another :class:`Beside`.
        held: Hand the function over only when :meth:`go` is called (or a result is
            asked for), e.g. just before the caller releases the GIL.
    """

    def __init__(self, fn: Callable[[], T], held: bool = False) -> None:
        self._fn = fn
        self._out: T | None = None
        self._err: BaseException | None = None
        self._done = threading.Event()
        self._sent = threading.Lock()  # taken by the first go(): the function runs once
        if not held:
            self.go()

    def go(self) -> None:
        """Hand the function to the helper thread (no effect if it already has it)."""
        if not self._sent.acquire(blocking=False):
            return
        # NOTE: a long-lived thread, not one per call: starting a thread took 0.15-0.33 ms
        # on cap71, and a new thread takes the GIL from its starter until its work is done
        # (start() returned after 0.49 ms where the preparation takes 0.27 ms), delaying
        # the solve it was meant to run beside. A queue hand-over takes ~0.01 ms.
        if not _send(self):  # type: ignore[arg-type]
            self._run()

    def _run(self) -> None:
        """Call the function, keeping its result or error."""
        try:
            self._out = self._fn()
        except BaseException as e:  # re-raised in the caller's thread by result()
            self._err = e
        finally:
            self._done.set()

    def done(self) -> bool:
        """Whether the function has returned (or raised)."""
        return self._done.is_set()

    def wait(self) -> None:
        """Hand the function over if it is held, and wait until it has returned (or raised)."""
        self.go()
        self._done.wait()

    def result(self) -> T:
        """The function's result, once it has returned.

        Raises:
            BaseException: What the function raised.
        """
        self.wait()
        if self._err is not None:
            raise self._err
        return self._out  # type: ignore[return-value]


__all__ = ["THREAD_NAME", "Beside"]
