"""evfab: plan and simulate how vehicles get built under production-licensing regimes.

Public API::

    scenario = evfab.load("xiaomi-2022")      # or a path to a YAML file
    warnings = evfab.warnings_of("xiaomi-2022")  # valid input almost certainly not meant
    table = evfab.routes(scenario)            # pandas DataFrame, one row per route
    world = evfab.compile(scenario)           # columnar World; tables built on first use
    rt = evfab.route_table(world)             # every route as arrays over shared templates
    result = evfab.plan.plan(world, routes=rt)   # the planner (MILP on HiGHS)
    odds = evfab.risk.sample_routes(world, list(rt))  # Monte Carlo of every route
    diff = evfab.compare.compare(world, other_world)  # what a change does

Everything loads on first use: the names above when first asked for, and the engines'
modules (``evfab.plan``, ``evfab.risk``, ``evfab.compare``, ``evfab.generate``,
``evfab.orlib``, ``evfab.priors``) likewise.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names below are, for type checkers; at run time see __getattr__
    from evfab._api import compile, routes
    from evfab._checks_warnings import warnings_of
    from evfab._errors import (
        EvfabError,
        PlanInfeasibleError,
        Problem,
        ScenarioError,
        ScenarioWarning,
    )
    from evfab._load import bundled, load, loads
    from evfab._route_table import RouteTable, route_table
    from evfab._scenario import Scenario
    from evfab._world import World
    from evfab.rules import Route, derive_routes

__version__ = "0.1.0"

_ENGINES = frozenset({"compare", "generate", "orlib", "plan", "priors", "risk"})

_HOME = {
    "compile": "_api",
    "routes": "_api",
    "warnings_of": "_checks_warnings",
    "EvfabError": "_errors",
    "PlanInfeasibleError": "_errors",
    "Problem": "_errors",
    "ScenarioError": "_errors",
    "ScenarioWarning": "_errors",
    "bundled": "_load",
    "load": "_load",
    "loads": "_load",
    "RouteTable": "_route_table",
    "route_table": "_route_table",
    "Scenario": "_scenario",
    "World": "_world",
    "Route": "rules",
    "derive_routes": "rules",
}
"""The module each public name lives in."""


def __getattr__(name: str) -> Any:
    # NOTE: nothing heavy loads on ``import evfab``: pandas, pydantic's models, the solver
    # and the charts take ~0.6 s, so the console script can import its entry point, and
    # catch a Ctrl-C during that time, before any of them load.
    home = _HOME.get(name)
    if home is not None:
        value = getattr(importlib.import_module(f"evfab.{home}"), name)
        globals()[name] = value  # later uses skip this function
        return value
    if name in _ENGINES:
        return importlib.import_module(f"evfab.{name}")
    raise AttributeError(f"module 'evfab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME, *_ENGINES})


__all__ = [
    "EvfabError",
    "PlanInfeasibleError",
    "Problem",
    "Route",
    "RouteTable",
    "Scenario",
    "ScenarioError",
    "ScenarioWarning",
    "World",
    "__version__",
    "bundled",
    "compile",
    "derive_routes",
    "load",
    "loads",
    "route_table",
    "routes",
    "warnings_of",
]
