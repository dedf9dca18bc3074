"""Import OR-Library capacitated facility location instances (Beasley's cap*) as scenarios.

Format: ``m n``; m lines ``capacity fixed_cost`` (capa/capb/capc have the word
``capacity`` instead of a number, to be replaced by a chosen value); then for each of
the n customers its demand followed by m costs of serving *all* of its demand from each
facility. Demand may be split across facilities.

Mapping (so that evfab's planner optimum equals the instance's optimum): one licensed
company; one program per customer, its demand in a single year, all of it required
(``min_fill: 1``); one planned plant per facility with a ``build_plant`` offer whose fee is
the fixed cost; logistics cost per car = allocation cost / demand; no discounting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from evfab._errors import Problem, ScenarioError


@dataclass(frozen=True)
class CapInstance:
    """A capacitated facility location instance.

    Attributes:
        name: Instance name (file stem).
        capacity: Capacity of each facility (m).
        fixed_cost: Opening cost of each facility (m).
        demand: Demand of each customer (n).
        cost: Cost of serving all of customer j's demand from facility i (n, m).
    """

    name: str
    capacity: npt.NDArray[np.float64]
    fixed_cost: npt.NDArray[np.float64]
    demand: npt.NDArray[np.float64]
    cost: npt.NDArray[np.float64]


def read_cap(path: str | Path, capacity: float | None = None) -> CapInstance:
    """Read an OR-Library ``cap*`` file.

    Args:
        path: The instance file.
        capacity: Value for the word ``capacity`` (capa/capb/capc); required there.

    Returns:
        The instance.

    Raises:
        ScenarioError: If the file is unreadable or malformed, or a capacity is needed.
    """
    p = Path(path)
    try:
        tokens = p.read_text().split()
    except OSError as exc:
        raise ScenarioError(
            [Problem(str(p), 0, "", f"cannot read file: {exc.strerror}", "check the path")]
        ) from None
    try:
        m, n = int(tokens[0]), int(tokens[1])
        pos = 2
        cap = np.empty(m)
        fixed = np.empty(m)
        for i in range(m):
            word = tokens[pos]
            if word.lower() == "capacity":
                if capacity is None:
                    raise ScenarioError(
                        [
                            Problem(
                                str(p),
                                0,
                                "",
                                "facility capacities are the word 'capacity'",
                                "pass --capacity C (see capopt.txt)",
                            )
                        ]
                    )
                cap[i] = capacity
            else:
                cap[i] = float(word)
            fixed[i] = float(tokens[pos + 1])
            pos += 2
        rest = np.array(tokens[pos : pos + n * (m + 1)], dtype=np.float64)
        if len(rest) != n * (m + 1):
            raise ValueError("file ends early")
        block = rest.reshape(n, m + 1)
    except (IndexError, ValueError) as exc:
        raise ScenarioError(
            [
                Problem(
                    str(p),
                    0,
                    "",
                    f"not an OR-Library cap file: {exc}",
                    "expected 'm n', m facility lines, then n customers",
                )
            ]
        ) from None
    return CapInstance(p.stem, cap, fixed, block[:, 0].copy(), block[:, 1:].copy())


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def to_scenario(inst: CapInstance, year: int = 2030) -> dict[str, Any]:
    """The instance as an evfab scenario (a plain dict ready for YAML).

    Args:
        inst: The instance.
        year: The single planning year.

    Returns:
        Scenario data.
    """
    m, n = len(inst.capacity), len(inst.demand)
    src = [
        {
            "id": "orlib",
            "status": "confirmed",
            "publisher": "J.E. Beasley, OR-Library",
            "url": "http://people.brunel.ac.uk/~mastjjb/jeb/orlib/capinfo.html",
            "note": f"instance {inst.name}",
        },
    ]
    plants = [
        {
            "id": f"f{i + 1}",
            "name": f"Facility {i + 1}",
            "operator": "co",
            "status": "planned",
            "phases": [{"capacity": int(inst.capacity[i]), "months": 0}],
        }
        for i in range(m)
    ]
    offers = [
        {
            "id": f"open-f{i + 1}",
            "kind": "build_plant",
            "to": "co",
            "plant": f"f{i + 1}",
            "fixed_fee": _num(inst.fixed_cost[i]),
            "lead_months": 0,
            "sources": ["orlib"],
        }
        for i in range(m)
    ]
    programs = []
    for j in range(n):
        d = float(inst.demand[j])
        logistics = {f"f{i + 1}": (float(inst.cost[j, i]) / d if d > 0 else 0.0) for i in range(m)}
        programs.append(
            {
                "id": f"c{j + 1}",
                "company": "co",
                "name": f"Customer {j + 1}",
                "target_sop": f"{year}-01-01",
                "demand": {year: int(d)},
                "badge": "any",
                "min_fill": 1.0,
                "lost_margin": 0,
                "logistics": logistics,
            }
        )
    return {
        "name": f"orlib-{inst.name}",
        "title": f"OR-Library capacitated facility location {inst.name} ({m} facilities, {n} customers)",
        "as_of": f"{year}-01-01",
        "horizon": year,
        "currency": "XXX",
        "discount_rate": 0.0,
        "sources": src,
        "policy": [
            {
                "since": f"{year - 1}-01-01",
                "new_licences": True,
                "contract_manufacturing": True,
                "sources": ["orlib"],
            }
        ],
        "companies": [{"id": "co", "name": "Company", "kind": "automaker"}],
        "licences": [{"id": "co-licence", "holder": "co", "status": "held", "sources": ["orlib"]}],
        "plants": plants,
        "programs": programs,
        "offers": offers,
    }


def scenario_yaml(inst: CapInstance, year: int = 2030) -> str:
    """The instance as scenario YAML text."""
    return yaml.safe_dump(to_scenario(inst, year), sort_keys=False, width=120)
