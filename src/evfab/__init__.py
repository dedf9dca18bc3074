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

The engines' modules (``evfab.plan``, ``evfab.risk``, ``evfab.compare``, ``evfab.generate``,
``evfab.orlib``, ``evfab.priors``) load on first use.
"""

from __future__ import annotations

import importlib
from types import ModuleType

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


def __getattr__(name: str) -> ModuleType:
    # NOTE: the engines load on first use, not on ``import evfab``: the solver and the
    # charts are slow to import and most commands need one engine at most.
    if name in _ENGINES:
        return importlib.import_module(f"evfab.{name}")
    raise AttributeError(f"module 'evfab' has no attribute {name!r}")


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
