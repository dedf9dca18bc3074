"""Arguments and options the CLI's commands share, and the callbacks that check them."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Literal

import typer

from evfab._generate_limits import (
    MAX_COMPANIES,
    MAX_PLANTS,
    MAX_PROGRAMS,
    MAX_SEED,
    MAX_YEARS,
    MIN_COMPANIES,
)

FileArg = Annotated[
    str,
    typer.Argument(
        metavar="FILE",
        help="Scenario YAML file, or the name of a bundled scenario (e.g. xiaomi-2022).",
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON (see docs/json.md).")
]
SOLVER_PANEL = "Solver"
"""The ``--help`` panel of the options that steer HiGHS."""
PRICING_PANEL = "Pricing alternatives"
"""The ``--help`` panel of ``plan``'s options on pricing alternatives and deals (its own
table, so that ``--no-alternatives`` does not squeeze the other options' help)."""
MAX_SAMPLES = 10_000_000
"""Most Monte Carlo samples a run may ask for (memory grows with them)."""


def between(lo: float, hi: float) -> Callable[[float], float]:
    """A callback that takes a number from ``lo`` to ``hi`` (the option's own range check
    answered nan with "Input should be less than or equal to 1")."""

    def check(value: float) -> float:
        if math.isnan(value) or not lo <= value <= hi:
            raise typer.BadParameter(f"must be a number from {lo:g} to {hi:g}, got {value:g}")
        return value

    return check


def at_most(hi: int, shown: str) -> Callable[[int], int]:
    """A callback that takes a whole number up to ``hi`` (written ``shown`` in the message).

    For bounds too large to read: an option's own ``max`` prints them in ``--help`` digit
    by digit (``[0<=x<=9223372036854775807]``).
    """

    def check(value: int) -> int:
        if value > hi:
            raise typer.BadParameter(f"must be at most {shown}, got {value}")
        return value

    return check


def positive(value: float | None) -> float | None:
    """The ``--time-limit`` callback: more than 0 seconds, or unset."""
    if value is not None and not value > 0:
        raise typer.BadParameter("must be more than 0 seconds")
    return value


TimeLimitOpt = Annotated[
    float | None,
    typer.Option(
        "--time-limit",
        callback=positive,
        rich_help_panel=SOLVER_PANEL,
        help="Seconds before the solver stops with its best plan (more than 0).",
    ),
]
PLAN_GAP = 1e-6
"""The ``--gap`` default: :class:`evfab.plan.PlanOptions`'s (not imported here: the solver
loads only for commands that solve)."""
GapOpt = Annotated[
    float,
    typer.Option(
        "--gap",
        callback=between(0.0, 1.0),
        rich_help_panel=SOLVER_PANEL,
        help="Relative MIP gap at which to stop (0-1; 0.01 stops within 1% of the optimum).",
    ),
]
ScopesOpt = Annotated[
    bool,
    typer.Option(
        "--scopes",
        help="Also range-extender (EREV) makers and programs, and a halt of new BEV makers "
        "from the first year until the mid-horizon reform (3 years or more).",
    ),
]
"""``generate``'s variant of :func:`evfab._generate_variants.add_scopes`."""
SmallBuildsOpt = Annotated[
    bool,
    typer.Option(
        "--small-builds",
        help="Planned plants below a new licence's 100,000-car minimum, with modules for "
        "sale that mostly reach it.",
    ),
]
"""``generate``'s variant of :func:`evfab._generate_variants.shrink_builds`."""
ProgramsOpt = Annotated[
    int, typer.Option("--programs", min=1, max=MAX_PROGRAMS, help="Vehicle programs.")
]
PlantsOpt = Annotated[int, typer.Option("--plants", min=1, max=MAX_PLANTS, help="Existing plants.")]
CompaniesOpt = Annotated[
    int | None,
    typer.Option(
        "--companies",
        min=MIN_COMPANIES,
        max=MAX_COMPANIES,
        help="Companies (default programs/4).",
    ),
]
YearsOpt = Annotated[int, typer.Option("--years", min=1, max=MAX_YEARS, help="Planning years.")]
SeedOpt = Annotated[
    int,
    typer.Option(
        "--seed",
        min=0,
        callback=at_most(MAX_SEED, "2**63 - 1"),
        help="Random seed; same seed, same file.",
    ),
]
"""``generate``'s size and seed (bounds from :mod:`evfab._generate_limits`)."""


ProgramOpt = Annotated[
    str | None, typer.Option("--program", "-p", metavar="ID", help="Only this program id.")
]
RouteIdsOpt = Annotated[
    list[str] | None,
    typer.Option("--route", "-r", metavar="ID", help="Only these route ids (repeatable)."),
]


AltScope = Literal["industry", "company"]
"""``--alternatives-scope``'s values: :data:`evfab._plan_scope.Scope`'s (not imported
here, as for :data:`PLAN_GAP`)."""
AltScopeOpt = Annotated[
    AltScope,
    typer.Option(
        "--alternatives-scope",
        metavar="SCOPE",
        rich_help_panel=PRICING_PANEL,
        help="Who re-decides their deals when an alternative or a deal is priced: industry "
        "(every company: the exact price, a whole-industry re-solve each) or company (only "
        "the companies concerned, the others keeping the plan's deals: a bound on the exact "
        "price, about 40x faster at 500 programs).",
    ),
]


AlternativesOpt = Annotated[
    bool | None,
    typer.Option(
        "--alternatives/--no-alternatives",
        rich_help_panel=PRICING_PANEL,
        help="Price each alternative route by re-solving the plan with only it for its "
        "program (default: only for scenarios of at most 60 usable routes). With "
        "--program, only that program's routes are priced.",
    ),
]
PlanProgramsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--program",
        "-p",
        metavar="ID",
        help="Show only this program's routes, production, plants and shortfalls "
        "(repeatable). The whole industry is still planned; --out's CSVs keep every "
        "program, its charts show these programs and their plants.",
    ),
]


__all__ = [
    "MAX_SAMPLES",
    "PLAN_GAP",
    "PRICING_PANEL",
    "SOLVER_PANEL",
    "AltScope",
    "AltScopeOpt",
    "AlternativesOpt",
    "CompaniesOpt",
    "FileArg",
    "GapOpt",
    "JsonOpt",
    "PlanProgramsOpt",
    "PlantsOpt",
    "ProgramOpt",
    "ProgramsOpt",
    "RouteIdsOpt",
    "ScopesOpt",
    "SeedOpt",
    "SmallBuildsOpt",
    "TimeLimitOpt",
    "YearsOpt",
    "at_most",
    "between",
    "positive",
]
