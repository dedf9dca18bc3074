"""The generator's opt-in variants (see :mod:`evfab.generate`).

* **scopes** -- battery-electric and range-extender (EREV) makers, and a halt of new BEV
  makers from the first planning year until the mid-horizon reform, as the 2017 NDRC
  halt stopped new battery-electric makers only. About half the active licensed makers
  also hold an EREV licence; the second newcomer and about three in ten of the others
  make EREVs. A newcomer's programs are all of its scope, and the makers it deals with
  (hosts, partners, a dormant maker it may buy) hold a licence of that scope.
* **small builds** -- every planned plant is smaller than the regime's minimum capacity
  for a new licence (40,000-90,000 cars a year) and its build offer sells extra modules,
  mostly enough to reach the minimum, as Order 22 asked a new maker's plant for 100,000
  cars a year. A route under a new licence there needs some of them.

Each variant draws from its own child of the run's generator (``Generator.spawn``), after
every other draw: the industry without the variant is the same file as before, and the
variant only adds to it or changes what it names.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from evfab._generate_industry import Industry
from evfab._scenario import DEFAULT_SCOPE

BEV = DEFAULT_SCOPE
EREV = "erev_passenger"
MIN_CAPACITY = 100_000
"""Cars a year a new licence's plant needs under the generated regime (Order 22-like)."""
_MODULE_KEYS = ("module_capacity", "max_modules", "module_fee")
"""A build offer's module fields (replaced as a whole by :func:`shrink_builds`)."""
SCOPES_SOURCE = {
    "id": "synthetic-scopes",
    "status": "assumption",
    "note": "a mix of battery-electric and range-extender (EREV) makers; with three planning "
    "years or more, a halt of new BEV makers until the mid-horizon reform, as the 2017 NDRC "
    "halt stopped new battery-electric makers only",
}
SMALL_BUILDS_SOURCE = {
    "id": "synthetic-small-builds",
    "status": "assumption",
    "note": f"planned plants below the {MIN_CAPACITY:,}-car minimum capacity of a new "
    "licence, reaching it with extra modules, as Order 22 asked of a new maker's plant",
}


def _with(row: dict[str, Any], after: str, **fields: Any) -> dict[str, Any]:
    """``row`` with ``fields`` set, new keys placed after ``after`` (the schema's order)."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k not in fields:
            out[k] = v
        if k == after:
            out.update(fields)
    return out


def _cite(row: dict[str, Any], source: str) -> None:
    """Add ``source`` to a row's sources (once)."""
    if source not in row["sources"]:
        row["sources"] = [*row["sources"], source]


def add_scopes(rng: np.random.Generator, ind: Industry) -> None:
    """Make some makers and programs EREV (see the module's docstring)."""
    sid = str(SCOPES_SOURCE["id"])
    erev_news = {n for i, n in enumerate(ind.news) if i == 1 or (i > 1 and rng.random() < 0.3)}
    erev_makers = {c for c in ind.active if rng.random() < 0.5}
    if ind.active and not erev_makers:
        erev_makers.add(ind.active[0])
    erev_dormant: set[str] = set()
    for i, o in enumerate(ind.offers):
        if o["to"] not in erev_news:
            continue
        if o["kind"] == "contract_manufacturing":
            erev_makers.add(o["host"])
        elif o["kind"] == "licence_umbrella":
            erev_makers.add(o["partner"])
        elif o["kind"] == "acquire_company":
            erev_dormant.add(o["target"])
        elif o["kind"] == "apply_licence":
            ind.offers[i] = _with(o, "to", scope=EREV)
            _cite(ind.offers[i], sid)
    added: list[dict[str, Any]] = []
    for j, lic in enumerate(ind.licences):
        holder = lic["holder"]
        if lic["status"] == "applied" and holder in erev_news:
            ind.licences[j] = _with({**lic, "id": f"{holder}-erev"}, "holder", scope=EREV)
            _cite(ind.licences[j], sid)
        elif lic["status"] == "held" and (holder in erev_makers or holder in erev_dormant):
            # The same licence for the other scope (dormant as long, if it is).
            row = {**lic, "id": f"{holder}-erev", "sources": ["synthetic", sid]}
            added.append(_with(row, "holder", scope=EREV))
    ind.licences.extend(added)
    for k, g in enumerate(ind.programs):
        company = g["company"]
        if company in erev_news or (company in erev_makers and rng.random() < 0.4):
            ind.programs[k] = _with(g, "name", scope=EREV)
            _cite(ind.programs[k], sid)


def scoped_policy(policy: list[dict[str, Any]], start_year: int) -> list[dict[str, Any]]:
    """The regime with a halt of new BEV makers from ``as_of``, lifted by the reform.

    Without a reform (fewer than three years) the regime stays as it is: a halt never
    lifted would end every new BEV maker's hopes, which is another scenario.
    """
    if len(policy) < 2:
        return policy
    sid = str(SCOPES_SOURCE["id"])
    halt = {
        "since": f"{start_year}-01-01",
        "name": "synthetic halt of new BEV makers",
        "scopes": [BEV],
        "new_licences": False,
        "sources": [sid],
    }
    reform = _with(policy[1], "name", new_licences=True)
    reform["sources"] = [*reform["sources"], sid]
    return [policy[0], halt, reform, *policy[2:]]


def shrink_builds(rng: np.random.Generator, ind: Industry) -> None:
    """Make every planned plant small and sell modules to grow it (module docstring)."""
    sid = str(SMALL_BUILDS_SOURCE["id"])
    plants = {p["id"]: k for k, p in enumerate(ind.plants)}
    for i, o in enumerate(ind.offers):
        if o["kind"] != "build_plant":
            continue
        k = plants[o["plant"]]
        capacity = int(rng.integers(4, 10)) * 10_000
        module = int(rng.choice([20_000, 25_000, 30_000]))
        needed = math.ceil((MIN_CAPACITY - capacity) / module)
        # One build in four or so stops a module short: its plant never reaches the minimum.
        most = max(1, needed + int(rng.integers(-1, 3)))
        plant = ind.plants[k]
        first = plant["phases"][0]
        ind.plants[k] = _with(plant, "phases", phases=[{**first, "capacity": capacity}])
        _cite(ind.plants[k], sid)
        row = {key: v for key, v in o.items() if key not in _MODULE_KEYS}
        # A smaller plant costs less: the fee scales with the capacity (whole 100m CNY).
        row["fixed_fee"] = max(1, round(o["fixed_fee"] * capacity / 200_000 / 1e8)) * 100_000_000
        ind.offers[i] = _with(
            row,
            "lead_months",
            module_capacity=module,
            max_modules=most,
            module_fee=int(rng.integers(3, 7)) * 100_000_000,
        )
        _cite(ind.offers[i], sid)


__all__ = [
    "BEV",
    "EREV",
    "MIN_CAPACITY",
    "SCOPES_SOURCE",
    "SMALL_BUILDS_SOURCE",
    "add_scopes",
    "scoped_policy",
    "shrink_builds",
]
