"""``evfab demo`` (what ``make demo`` runs): the bundled xiaomi-2022 scenario told in three
steps, routes, plan and risk."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from evfab._api import compile as compile_world
from evfab._load import bundled, load
from evfab.rules import derive_routes


def run_demo(out: Console, samples: int) -> None:
    """Print the routes, the least-cost plan and the risk of each usable route of xiaomi-2022.

    Args:
        out: Where to print (stdout).
        samples: Monte Carlo samples for the risk table.
    """
    from evfab._report import print_routes
    from evfab._report_plan import print_plan
    from evfab._report_risk import print_risk
    from evfab.plan import plan
    from evfab.risk import RiskOptions, sample_routes

    path = bundled()["xiaomi-2022"]
    s = load(path)
    world = compile_world(s)
    routes_ = derive_routes(world)
    out.rule(
        Text.from_markup(
            "[bold]1. Routes[/]: who could build Xiaomi's car, under whose licence and badge, "
            "2022-08-26"
        )
    )
    out.print(
        "New EV makers in China could not easily get production licences, so they had cars built by licensed "
        "makers, bought licensed companies, took stakes in plants or built their own. "
        f"Scenario: {path.name} (bundled; `evfab show xiaomi-2022` lists its facts, `evfab sources xiaomi-2022` its sources).\n"
    )
    print_routes(out, world, routes_)
    out.rule(
        Text.from_markup(
            "[bold]2. Plan[/]: the least-cost choice of routes and use of capacity (MILP, HiGHS)"
        )
    )
    print_plan(out, world, plan(world, routes=routes_))
    out.rule(
        Text.from_markup(
            "[bold]3. Risk[/]: how likely each route is to start on time, and how many cars it gives"
        )
    )
    print_risk(
        out,
        world,
        sample_routes(world, [r for r in routes_ if r.usable], RiskOptions(samples=samples)),
    )


__all__ = ["run_demo"]
