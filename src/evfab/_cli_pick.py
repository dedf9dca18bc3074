"""What a command works on: the routes ``evfab risk`` samples, and the sources an id rests on.

Both raise the command line's errors (a bad option is exit 2, nothing to sample exit 3).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import typer

from evfab._check_report import suggest
from evfab._cli_errors import plan_or_fail as _plan_or_fail
from evfab._errors import PlanInfeasibleError
from evfab._scenario import Scenario
from evfab._world import World, entity_collections
from evfab.rules import Route, derive_routes

MAX_LISTED = 12
"""Most ids an error about an unknown id lists."""


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a mistyped id, as the scenario loader says it; else "".

    The loader's :func:`~evfab._check_report.suggest` finds the closest id; its other hints
    (define the id under a YAML key) do not fit an id typed on the command line.
    """
    hint = suggest(name, set(known), "")
    return f" ({hint})" if hint.startswith("did you mean") else ""


def check_program(world: World, program: str | None) -> None:
    """Raise the ``--program`` error for an id that is no program of ``world``.

    Raises:
        typer.BadParameter: ``program`` is given and unknown (exit code 2).
    """
    if program is None or program in world.programs.index:
        return
    known = [str(g) for g in world.programs.index]
    # A generated industry has thousands of programs: a screenful of ids helps nobody.
    listed = ", ".join(known[:MAX_LISTED])
    if len(known) > MAX_LISTED:
        listed += f" and {len(known) - MAX_LISTED:,} more (`evfab show` lists them)"
    raise typer.BadParameter(
        f"unknown program {program!r}{did_you_mean(program, known)}; known: {listed}",
        param_hint="--program",
    )


def risk_routes(
    world: World, file: str, program: str | None, route: list[str] | None, use_plan: bool
) -> tuple[list[Route], pd.DataFrame | None, dict[str, int]]:
    """The routes ``evfab risk`` samples, the plan's allocation of cars to them and the
    modules it builds (with ``--plan``; otherwise none and none).

    Args:
        world: The compiled world.
        file: The scenario as the user named it (for hints).
        program: Only this program's routes, if given.
        route: Only these route ids, if given (not with ``use_plan``).
        use_plan: Sample the routes the planner chooses, with the cars it gives them.

    Returns:
        The routes, the allocation (or None) and the modules per build offer.

    Raises:
        typer.BadParameter: ``--route`` with ``--plan``, or an unknown route id.
        PlanInfeasibleError: The plan is infeasible or builds nothing, or no route is usable.
    """
    all_routes = derive_routes(world, program)
    allocation = None
    modules: dict[str, int] = {}
    if use_plan and route:
        raise typer.BadParameter(
            "--route cannot be combined with --plan: the plan picks the routes (use "
            "--program to keep one program's)",
            param_hint="--route",
        )
    if use_plan and any(r.usable for r in all_routes):
        from evfab.plan import PlanOptions, plan
        from evfab.risk import plan_modules, plan_routes

        result = plan(
            world,
            PlanOptions(alternatives=False, capacity_values=False),
            routes=derive_routes(world),
        )
        _plan_or_fail(result)
        # The routes each program's plan uses, each capped by the cars the plan gives it.
        picked, allocation = plan_routes(all_routes, result)
        modules = plan_modules(result)
        if not picked:
            raise PlanInfeasibleError(
                "the plan builds no car"
                + (f" of program {program}" if program else "")
                + " (every route costs more than the margin its cars would earn): nothing to sample"
            )
    elif use_plan:
        picked = []  # no usable route: said below
    elif route:
        known = {r.id for r in all_routes}
        missing = [x for x in route if x not in known]
        if missing:
            names = ", ".join(f"{x!r}{did_you_mean(x, known)}" for x in missing)
            raise typer.BadParameter(
                f"unknown route{'s' if len(missing) > 1 else ''} {names}; see `evfab routes {file}`",
                param_hint="--route",
            )
        picked = [r for r in all_routes if r.id in set(route)]
    else:
        picked = [r for r in all_routes if r.usable]
    if not picked:
        raise PlanInfeasibleError(
            "no usable route"
            + (f" for program {program}" if program else "")
            + f": nothing to sample (`evfab routes {file}` says why each route is not usable)"
        )
    return picked, allocation, modules


def sources_of(s: Scenario, world: World, ident: str | None) -> tuple[str, list[str]]:
    """What ``ident`` names (for ``evfab sources``) and the source ids it rests on.

    Raises:
        typer.BadParameter: ``ident`` names nothing in the scenario.
        PlanInfeasibleError: ``ident`` is ``plan`` and the plan is infeasible.
    """
    if ident is None:
        return "every source in the scenario", list(world.sources.index)
    for kind, coll in entity_collections(s):
        if any(item.id == ident for item in coll):
            return f"{kind} {ident}", list(world.cites[(kind, ident)])
    if ident == "policy":
        return "the policy timeline", list(dict.fromkeys(x for p in s.policy for x in p.sources))
    if ident == "discount_rate":
        return "the discount rate", list(s.discount_rate_sources)
    routes = derive_routes(world)
    if ident == "plan":
        from evfab.plan import PlanOptions, plan

        result = plan(world, PlanOptions(alternatives=False, capacity_values=False), routes=routes)
        _plan_or_fail(result)
        chosen = set(result.choices["route"])
        # The plan's costs are discounted at the scenario's rate: its sources count too.
        ids = list(
            dict.fromkeys(
                [x for r in routes if r.id in chosen for x in r.sources]
                + list(s.discount_rate_sources)
            )
        )
        return "the plan's chosen routes and discount rate", ids
    matches = [r for r in routes if r.id == ident]
    if matches:
        return f"route {ident}", list(dict.fromkeys(x for r in matches for x in r.sources))
    known = [item.id for _, coll in entity_collections(s) for item in coll]
    known += [r.id for r in routes] + ["plan", "policy", "discount_rate"]
    raise typer.BadParameter(
        f"{ident!r} is not an entity, offer, case or route id of this scenario, nor `plan`, "
        f"`policy` or `discount_rate`{did_you_mean(ident, known)}",
        param_hint="ID",
    )
