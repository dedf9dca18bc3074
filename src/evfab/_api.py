"""Thin functions behind the public API: scenario in, tables out."""

from __future__ import annotations

import builtins
import dataclasses

import pandas as pd

from evfab._scenario import Scenario
from evfab._world import World, compile_world
from evfab.rules import Route, derive_routes

ROUTE_COLUMNS = [f.name for f in dataclasses.fields(Route)]


def compile(scenario: Scenario) -> World:
    """Compile a scenario into the engines' columnar :class:`World`.

    Args:
        scenario: A validated scenario.

    Returns:
        The compiled world.
    """
    return compile_world(scenario)


def routes_frame(rows: builtins.list[Route]) -> pd.DataFrame:
    """Routes as a DataFrame with one column per :class:`Route` field."""
    return pd.DataFrame([dataclasses.asdict(r) for r in rows], columns=ROUTE_COLUMNS)


def routes(scenario: Scenario | World, program: str | None = None) -> pd.DataFrame:
    """Every route of every program (or of one), as a table.

    Args:
        scenario: A scenario or an already compiled world.
        program: Restrict to this program id.

    Returns:
        One row per route; columns are the fields of :class:`evfab.Route`.
    """
    world = scenario if isinstance(scenario, World) else compile_world(scenario)
    return routes_frame(derive_routes(world, program))
