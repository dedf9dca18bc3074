"""The CLI's view of a long solve: best plan, bound and gap as a live status line."""

from __future__ import annotations

import math
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
                live.update(f"plan found; {what} ... (Ctrl-C stops this and keeps the plan)")

        yield Watching(progress, step)


__all__ = ["Watching", "progress_text", "watching"]
