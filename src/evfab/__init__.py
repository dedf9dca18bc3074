"""evfab: plan and simulate how vehicles get built under production-licensing regimes.

Public API::

    scenario = evfab.load("xiaomi-2022")      # or a path to a YAML file
    warnings = evfab.warnings_of("xiaomi-2022")  # valid input almost certainly not meant
    table = evfab.routes(scenario)            # pandas DataFrame, one row per route
    world = evfab.compile(scenario)           # columnar World; tables built on first use
    rt = evfab.route_table(world)             # every route as arrays over shared templates
    result = evfab.plan.plan(world, routes=rt)
"""

from __future__ import annotations

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
