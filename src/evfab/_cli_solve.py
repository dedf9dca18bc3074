"""The CLI's view of a long solve: best plan, bound and gap live; Ctrl-C stops with the best plan."""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from types import FrameType
from typing import Any

from rich.console import Console

from evfab._highs import Progress, ProgressFn
from evfab._report import money


@dataclass
class Stop:
    """Whether the user asked the solve to stop (first Ctrl-C)."""

    asked: bool = False


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
    return (
        f"solving the plan with HiGHS: {p.seconds:,.0f} s, {best}, {p.nodes:,} nodes "
        "(Ctrl-C stops with the best plan)"
    )


@contextmanager
def watching(console: Console, show: bool, currency: str) -> Iterator[tuple[ProgressFn, Stop]]:
    """Show a solve's progress and let the first Ctrl-C stop it with its best plan.

    A second Ctrl-C interrupts as usual. Outside the main thread (no signal handlers
    there) Ctrl-C keeps its usual meaning.

    Args:
        console: Where the live status line goes (stderr).
        show: Show the status line (off for ``--json``).
        currency: Currency code of the plan's costs.

    Yields:
        The progress callback for :class:`evfab.plan.PlanOptions` and the stop flag.
    """
    stop = Stop()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if stop.asked:
            raise KeyboardInterrupt
        stop.asked = True
        console.print(
            "[yellow]stopping: the best plan found so far will be shown (Ctrl-C again to abort)[/]"
        )

    main = threading.current_thread() is threading.main_thread()
    previous: Any = signal.signal(signal.SIGINT, on_sigint) if main else None
    status = (
        console.status("solving the plan with HiGHS ...", spinner="dots") if show else nullcontext()
    )
    try:
        with status as live:

            def progress(p: Progress) -> bool:
                if live is not None:
                    live.update(progress_text(p, currency))
                return stop.asked

            yield progress, stop
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


__all__ = ["Stop", "progress_text", "watching"]
