"""The CLI's view of a long solve: best plan, bound and gap as a live status line."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from evfab._fmt import money
from evfab._solve_watch import Progress, ProgressFn

if TYPE_CHECKING:
    from evfab.plan import PlanResult


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


_COUNTED = re.compile(r"^(?P<what>.+) (?P<i>[0-9][0-9,]*) of (?P<n>[0-9][0-9,]*)$")
"""A step counted as the planner reports it: "pricing alternative 3 of 12"."""


class Pace:
    """Time so far and time left for steps the planner counts ("... 3 of 12").

    :meth:`note` takes each step as the planner reports it; :meth:`line` says where it
    stands at any moment after (a status line redraws it while a re-solve runs).
    """

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        """Measure with ``clock`` (seconds; default: :func:`time.monotonic`)."""
        self._clock = clock or time.monotonic
        self._step = ""
        self._what = ""
        self._t0 = 0.0  # when the count's first step began
        self._at = 0.0  # when the current step began
        self._per = 0.0  # mean seconds per step done (0: no estimate yet)
        self._count = (0, 0)  # (steps done, steps in all)

    def note(self, step: str) -> None:
        """Take the step the planner now begins.

        Args:
            step: What the planner said it does.
        """
        now = self._clock()
        self._step, self._at, self._per = step, now, 0.0
        m = _COUNTED.match(step)
        if m is None:
            self._what, self._count = "", (0, 0)
            return
        i, n = (int(m[k].replace(",", "")) for k in ("i", "n"))
        if m["what"] != self._what or i <= 1:  # a new count starts
            self._what, self._t0 = m["what"], now
        self._count = (i - 1, n)
        # One the plan already answers takes no time: a mean of those alone would
        # promise none, so the estimate waits until a second has passed.
        if 1 <= i - 1 < n and now - self._t0 >= 1.0:
            self._per = (now - self._t0) / (i - 1)

    def line(self) -> str:
        """The current step, with the time so far and, once one step of its count is done
        and a second has passed, about how long is left (from the mean so far, less the
        time the current step has run; re-solves vary, so it is "about").

        Returns:
            The words to show.
        """
        if not self._what:
            return self._step
        now = self._clock()
        spent = now - self._t0
        if not self._per:
            return self._step if spent < 1.0 else f"{self._step}, {duration(spent)} so far"
        done, n = self._count
        left = self._per * (n - done) - (now - self._at)
        if left < 1.0:  # longer than the mean so far: no figure to give
            return f"{self._step}, {duration(spent)} so far"
        return f"{self._step}, {duration(spent)} so far, about {duration(left)} left"

    def text(self, step: str) -> str:
        """:meth:`note` ``step``, then its :meth:`line`.

        Args:
            step: What the planner said it does.

        Returns:
            The words to show.
        """
        self.note(step)
        return self.line()


class _PaceLine:
    """A status text that rich redraws from the pace each time it refreshes."""

    def __init__(self, pace: Pace) -> None:
        self.pace = pace

    def __rich__(self) -> str:
        return f"plan found; {self.pace.line()} ... (Ctrl-C stops this and keeps the plan)"


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
            pace.note(what)
            if live is not None:
                # NOTE: a renderable, not a string: rich redraws the spinner ~12 times a
                # second, and the time so far and left move on during a long re-solve.
                live.update(_PaceLine(pace))

        yield Watching(progress, step)


SLOW_PRICING = 60.0
"""Seconds of pricing after which ``evfab plan`` suggests ``--alternatives-scope company``."""


def pricing_tip(result: PlanResult, scope: str) -> str | None:
    """A line suggesting the company scope after a long pricing in scope industry.

    Args:
        result: The plan.
        scope: The ``--alternatives-scope`` it was priced in.

    Returns:
        The words, or None when there is nothing to suggest.
    """
    spent = result.timings.get("post", 0.0)
    priced = any(
        "scope" in t.columns and t["scope"].notna().any()
        for t in (result.alternatives, result.deal_values)
    )
    if scope != "industry" or not priced or spent < SLOW_PRICING:
        return None
    return (
        f"pricing the alternatives and deals took {duration(spent)}: --alternatives-scope "
        "company lets only the companies concerned re-decide their deals (the others keep "
        "the plan's), about 40x faster at 500 programs; each cost is then an upper bound and "
        "each saving a lower bound on the exact one"
    )


__all__ = [
    "SLOW_PRICING",
    "Pace",
    "Watching",
    "duration",
    "pricing_tip",
    "progress_text",
    "watching",
]
