"""Work done beside the caller on one long-lived helper thread.

:class:`Beside` hands a function to a single daemon thread that lives for the process (it is
restarted after a fork). The planner uses it to prepare its result tables while HiGHS solves
without the GIL; see :func:`evfab._plan_tables.prepare_beside`.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

THREAD_NAME = "evfab-beside"
"""The helper thread's name."""

_lock = threading.Lock()
_jobs: queue.SimpleQueue[Beside[object]] | None = None
_pid = 0


def _serve(jobs: queue.SimpleQueue[Beside[object]]) -> None:
    while True:
        jobs.get().run()


def _queue() -> queue.SimpleQueue[Beside[object]]:
    """The helper's queue, starting the helper first if this process has none yet."""
    global _jobs, _pid
    with _lock:
        if _jobs is None or _pid != os.getpid():  # a forked child has no helper thread
            jobs: queue.SimpleQueue[Beside[object]] = queue.SimpleQueue()
            threading.Thread(target=_serve, args=(jobs,), name=THREAD_NAME, daemon=True).start()
            _jobs, _pid = jobs, os.getpid()
        return _jobs


class Beside(Generic[T]):
    """A function run on the helper thread; :meth:`result` waits for it and re-raises.

    Args:
        fn: The function (no arguments).
        held: Hand the function over only when :meth:`go` is called (or a result is
            asked for), e.g. just before the caller releases the GIL.
    """

    def __init__(self, fn: Callable[[], T], held: bool = False) -> None:
        self._fn = fn
        self._out: T | None = None
        self._err: BaseException | None = None
        self._done = threading.Event()
        self._sent = False
        if not held:
            self.go()

    def go(self) -> None:
        """Hand the function to the helper thread (no effect if it already has it)."""
        if self._sent:
            return
        self._sent = True
        # NOTE: a long-lived thread, not one per call: starting a thread took 0.15-0.33 ms
        # on cap71, and a new thread takes the GIL from its starter until its work is done
        # (start() returned after 0.49 ms where the preparation takes 0.27 ms), delaying
        # the solve it was meant to run beside. A queue hand-over takes ~0.01 ms.
        try:
            _queue().put(self)  # type: ignore[arg-type]
        except RuntimeError:  # no new thread now (e.g. at interpreter shutdown): run here
            self.run()

    def run(self) -> None:
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
        """Wait until the function has returned (or raised)."""
        self.go()
        self._done.wait()

    def result(self) -> T:
        """The function's result, once it has returned."""
        self.wait()
        if self._err is not None:
            raise self._err
        return self._out  # type: ignore[return-value]


__all__ = ["THREAD_NAME", "Beside"]
