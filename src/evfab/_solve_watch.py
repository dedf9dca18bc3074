"""Watching a HiGHS MIP solve: progress reports, and stopping on request or on Ctrl-C.

HiGHS calls back into Python from its own loop (improving solutions, periodic interrupt
checks). A :class:`Watch` turns those calls into :class:`Progress` reports and sets HiGHS's
``user_interrupt`` when the progress function asks to stop or the user pressed Ctrl-C.

Ctrl-C during a watched solve, in the main thread with Python's default SIGINT handler:
the first press stops the solve at HiGHS's next interrupt check and the plan found so far
is returned; a second press also raises ``KeyboardInterrupt`` once HiGHS has stopped. A
``KeyboardInterrupt`` raised inside a callback would unwind through HiGHS, which turns it
into a solver error and loses the plan, so the handler only counts presses.
"""

from __future__ import annotations

import dataclasses
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any, ClassVar

import highspy

_CB = highspy.cb.HighsCallbackType


@dataclass(frozen=True)
class Progress:
    """A MIP solve's state while it runs (what a progress function receives).

    Attributes:
        seconds: Wall time since the solve started.
        objective: Cost of the best plan found so far (inf before the first).
        bound: Best proven lower bound on the optimum (-inf before the first).
        gap: Relative gap between them (inf before the first plan).
        nodes: Branch-and-bound nodes explored.
        stopping: A stop was asked for (Ctrl-C or the progress function); HiGHS ends at
            its next interrupt check.
        finished: HiGHS had already returned when the stop was asked for (a Ctrl-C after
            its last check): the solve's result stands, the stop applies to what follows.
    """

    seconds: float
    objective: float
    bound: float
    gap: float
    nodes: int
    stopping: bool = False
    finished: bool = False


ProgressFn = Callable[[Progress], bool | None]
"""Called with a :class:`Progress`; returning True stops the solve with its best plan."""


class Watch:
    """Progress callbacks and Ctrl-C handling on one HiGHS instance, for one ``run()``.

    Use as a context manager around ``h.run()``, then call :meth:`finish`.

    Args:
        h: The HiGHS instance (a model passed, not yet run).
        fn: The progress function.
        every: Seconds between reports when no better plan is found.
    """

    def __init__(self, h: Any, fn: ProgressFn, every: float) -> None:
        self._h, self._fn, self._every = h, fn, every
        self._last = -float("inf")
        self._asked = False  # the progress function asked to stop
        self._told = False  # the progress function has seen ``stopping``
        self.error: BaseException | None = None
        """What the progress function raised (re-raised by :meth:`finish`)."""
        self._ctrl_c = Presses()

    @property
    def presses(self) -> int:
        """Ctrl-C presses during the solve."""
        return self._ctrl_c.count

    @property
    def stopping(self) -> bool:
        """Whether a stop was asked for."""
        return self._asked or self.presses > 0 or self.error is not None

    def __enter__(self) -> Watch:
        # NOTE: callbacks cost a GIL round trip each, so they are set only when a progress
        # function is given; HiGHS makes a few per second of solve on these models.
        self._h.setCallback(self._callback, None)
        self._h.startCallback(_CB.kCallbackMipImprovingSolution)
        self._h.startCallback(_CB.kCallbackMipInterrupt)
        self._ctrl_c.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._ctrl_c.__exit__(kind, exc, tb)
        self._h.setCallback(None, None)

    def _callback(self, kind: int, message: str, out: Any, data_in: Any, user: Any) -> None:
        improving = int(kind) == int(_CB.kCallbackMipImprovingSolution)
        try:
            stopping = self.stopping
            due = (
                improving
                or out.running_time - self._last >= self._every
                or (stopping and not self._told)
            )
            if due and self.error is None:
                self._last = out.running_time
                self._told = stopping
                state = Progress(
                    float(out.running_time),
                    float(out.mip_primal_bound),
                    float(out.mip_dual_bound),
                    float(out.mip_gap),
                    int(out.mip_node_count),
                    stopping,
                )
                self._asked = bool(self._fn(state)) or self._asked
        except BaseException as e:  # re-raised by finish() once HiGHS has stopped
            self.error = e
        # HiGHS reads the request only from interrupt checks (it asserts that improving-
        # solution callbacks leave it unset).
        if not improving and self.stopping and data_in is not None:
            data_in.user_interrupt = True

    def finish(self, last: Progress) -> None:
        """End the watch once HiGHS has returned.

        A Ctrl-C after HiGHS's last callback is still told to the progress function, once,
        with ``last`` (the solve's final state, marked stopping and finished). Then what the progress
        function raised is raised, or ``KeyboardInterrupt`` on a second Ctrl-C.

        Args:
            last: The solve's final state.
        """
        if self.presses and not self._told and self.error is None:
            self._told = True
            try:
                self._fn(dataclasses.replace(last, stopping=True, finished=True))
            except BaseException as e:
                self.error = e
        if self.error is not None:
            raise self.error
        if self.presses > 1:
            raise KeyboardInterrupt


class Presses:
    """Ctrl-C counted instead of raised, for work that stops cleanly on a first press.

    Used as a context manager; it counts only in the main thread while Python's default
    handler is in place (elsewhere nothing is installed and presses raise as usual). The
    handler only counts: raising from it while HiGHS runs would surface inside a callback,
    where HiGHS turns it into a solver error. The caller calls :meth:`check` where aborting
    is safe (a second press raises ``KeyboardInterrupt`` there). Nested inside another one
    (a :class:`Watch`'s inside the planner's post-solve steps, say), it shares the outer
    one's count.
    """

    _active: ClassVar[Presses | None] = None
    """The one whose handler is installed, if any."""

    def __init__(self) -> None:
        self._count = 0
        self._outer: Presses | None = None
        self._previous: Any = None

    @property
    def count(self) -> int:
        """Ctrl-C presses so far."""
        return self._outer.count if self._outer is not None else self._count

    def __enter__(self) -> Presses:
        if Presses._active is not None:
            self._outer = Presses._active
        elif (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            Presses._active = self
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            Presses._active = None
        self._outer = None

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self._count += 1

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed twice."""
        if self.count > 1:
            raise KeyboardInterrupt


__all__ = ["Presses", "Progress", "ProgressFn", "Watch"]
