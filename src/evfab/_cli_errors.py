"""How the CLI ends when something goes wrong: one exit code and one clear message per kind
of error (the codes are listed in :mod:`evfab.cli`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

from rich.console import Console
from rich.text import Text

from evfab._errors import EvfabError, PlanInfeasibleError, ScenarioError
from evfab._io import OutputError

if TYPE_CHECKING:
    from evfab.plan import PlanResult


class NoPlanError(EvfabError):
    """The time limit ran out before any plan was found (CLI exit code 4)."""


class CheckedScenarioError(ScenarioError):
    """Problems found by a command that only checks (``validate``): nothing was to be written."""


def plan_or_fail(result: PlanResult) -> None:
    """Raise what the CLI reports when a plan has none (infeasible, no plan in time)."""
    if result.status.value == "infeasible":
        lines = "\n".join(f"  - {e}" for e in result.shortfalls["explanation"])
        raise PlanInfeasibleError(
            "no plan meets every program's minimum production:\n"
            + (lines or "  (no shortfall could be located)")
        )
    if result.status.value == "no_plan":
        raise NoPlanError("the time limit ran out before the solver found any plan")
    if not result.ok:
        raise EvfabError(f"the solver stopped without a plan ({result.status.value})")


def ctrl_c_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C behind an exception (its cause or context, at any depth), if any: typer
    ends a command a Ctrl-C stopped with ``SystemExit(130)``, and one inside a lazy import
    surfaces as an ``ImportError``."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, KeyboardInterrupt):
            return cur
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return None


def interrupted(err: Console) -> NoReturn:
    """End on Ctrl-C as shells expect (status 130), without a traceback."""
    err.print("interrupted")
    sys.exit(130)


def report(exc: Exception, err: Console) -> int:
    """Print what went wrong for the user (no traceback) and give the exit code.

    Args:
        exc: The error that ended the command.
        err: Where to print (stderr).

    Returns:
        2 for bad input (a scenario, an output path), 3 when nothing can be built, 4 when no
        plan was found in time, 1 for anything else (an internal error is a bug).
    """
    if isinstance(exc, ScenarioError):
        for p in exc.problems:
            err.print(str(p), markup=False, highlight=False, soft_wrap=True)
        n = len(exc.problems)
        # Problems in a scenario stop a command before its work: nothing can have been
        # written, and saying so after `show` or `validate` only puzzled.
        err.print(Text(f"{n} problem{'s' if n != 1 else ''}", style="red") + Text("."))
        return 2
    known: list[tuple[type[Exception], int, str]] = [
        (OutputError, 2, "error: {}; nothing was written"),
        (NoPlanError, 4, "error: {} (raise --time-limit)"),
        (PlanInfeasibleError, 3, "{}"),
        (EvfabError, 1, "error: {}"),
    ]
    for kind, code, text in known:
        if isinstance(exc, kind):
            err.print(text.format(exc), markup=False, soft_wrap=True)
            return code
    err.print(
        f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
        markup=False,
    )
    return 1


__all__ = [
    "CheckedScenarioError",
    "NoPlanError",
    "ctrl_c_behind",
    "interrupted",
    "plan_or_fail",
    "report",
]
