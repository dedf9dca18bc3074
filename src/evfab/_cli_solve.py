"""The CLI's view of a long solve: best plan, bound and gap as a live status line."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from rich.console import Console
from rich.text import Text

from evfab._fmt import money
from evfab._solve_watch import Progress, ProgressFn


def progress_text(p: Progress, currency: str) -> str:
    """One status line for a solve in progress.

    Args:
        p: The solve's state.
        currency: Currency code of the plan's costs.

    Returns:
        Elapsed time, best plan, bound, gap and nodes, and how to stop.
    """
    bound = money(p.bound) if math.isfinite(p.bound) else "none yet"
    best = (
        f"best plan {money(p.objective)} {currency}, bound {bound}, gap {p.gap:.2%}"
        if math.isfinite(p.objective)
        else f"no plan yet, bound {bound}"
    )
    if p.finished:
        how = "solve already finished; stopping after it; Ctrl-C again to abort"
    elif p.stopping:
        how = "stopping at the solver's next check; Ctrl-C again to abort"
    else:
        how = "Ctrl-C stops with the best plan"
    return f"solving the plan with HiGHS: {p.seconds:,.0f} s, {best}, {p.nodes:,} nodes ({how})"


def duration(seconds: float) -> str:
    """A wait in words: "45 s", "3 min 05 s", "40 min", "1 h 12 min" (seconds only under
    ten minutes: an estimate of a longer wait is not that precise).

    Args:
        seconds: The wait, in seconds.

    Returns:
        The words.
    """
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 600:
        return f"{s // 60} min {s % 60:02d} s"
    minutes = round(s / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


_COUNTED = re.compile(r"^(?P<what>.+) (?P<i>[0-9,]+) of (?P<n>[0-9,]+)$")
"""A step counted as the planner reports it: "pricing alternative 3 of 12"."""


class Pace:
    """Time so far and time left for steps the planner counts ("... 3 of 12")."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        """Measure with ``clock`` (seconds; default: :func:`time.monotonic`)."""
        self._clock = clock or time.monotonic
        self._what = ""
        self._t0 = 0.0

    def text(self, step: str) -> str:
        """``step``, with the time so far and an estimate of the time left once one of its
        count is done and a second has passed (from the mean so far: re-solves vary, so it
        is "about"; one the plan already answers takes no time, and a mean of those alone
        would promise none).

        Args:
            step: What the planner said it does.

        Returns:
            The words to show.
        """
        m = _COUNTED.match(step)
        if m is None:
            self._what = ""
            return step
        i, n = (int(m[k].replace(",", "")) for k in ("i", "n"))
        now = self._clock()
        if m["what"] != self._what or i <= 1:  # a new count starts
            self._what, self._t0 = m["what"], now
        done, spent = i - 1, now - self._t0
        if done < 1 or n < i or spent < 1.0:
            return step
        left = spent / done * (n - done)
        return f"{step}, {duration(spent)} so far, about {duration(left)} left"


@dataclass(frozen=True)
class Watching:
    """What :func:`watching` gives: the two callbacks of :class:`evfab.plan.PlanOptions`.

    Attributes:
        progress: For ``PlanOptions.progress`` (the solve's state).
        step: For ``PlanOptions.on_step`` (what the planner does after the solve).
    """

    progress: ProgressFn
    step: Callable[[str], None]


@contextmanager
def watching(console: Console, show: bool, currency: str) -> Iterator[Watching]:
    """Callbacks for :class:`evfab.plan.PlanOptions` that show the solve live, then what the
    planner does after it.

    Ctrl-C itself is handled by the solve's watch (:mod:`evfab._solve_watch`); this only
    shows it, and says once when a stop was asked for.

    Args:
        console: Where the status line goes (stderr).
        show: Show the live status line (off for ``--json``).
        currency: Currency code of the plan's costs.

    Yields:
        The progress function and the step function.
    """
    told = False
    pace = Pace()
    with (
        console.status("solving the plan with HiGHS ...", spinner="dots")
        if show
        else nullcontext() as live
    ):

        def progress(p: Progress) -> bool:
            nonlocal told
            if p.stopping and not told:
                told = True
                console.print(
                    Text(
                        "stopping: the solve had already finished; its plan will be "
                        "shown without the work that follows it (Ctrl-C again to abort)"
                        if p.finished
                        else "stopping: the best plan found so far will be shown "
                        "(Ctrl-C again to abort)",
                        style="yellow",
                    )
                )
            if live is not None:
                live.update(progress_text(p, currency))
            return False

        def step(what: str) -> None:
            if live is not None:
                live.update(
                    f"plan found; {pace.text(what)} ... (Ctrl-C stops this and keeps the plan)"
                )

        yield Watching(progress, step)


__all__ = ["Pace", "Watching", "duration", "progress_text", "watching"]
