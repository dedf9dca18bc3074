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

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from evfab._errors import Problem, ScenarioError
from evfab._scenario_fields import MAX_MONEY, MAX_PER_CAR

MAX_UNITS = 100_000_000
"""Largest capacity or demand evfab takes, vehicles a year (the scenario schema's limit)."""

_LAYOUT = (
    "the layout is 'm n'; m lines 'capacity fixed_cost'; per customer its demand, then m costs"
)

# NOTE: libyaml's emitter writes the same text as PyYAML's ~4x faster; capa/capb/capc
# (1,000 customers x 100 facilities) otherwise spend most of their import writing YAML.
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


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


class _Tokens:
    """The words of an instance file with their lines, read one by one with checks."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.words: list[str] = []
        self.lines: list[int] = []
        last = 1
        for no, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            self.words += parts
            self.lines += [no] * len(parts)
            if parts:
                last = no
        self.last_line = last
        self.pos = 0

    def fail(
        self, where: str, message: str, hint: str = _LAYOUT, at: int | None = None
    ) -> ScenarioError:
        """A located problem at word ``at`` (default: the one just read)."""
        i = self.pos - 1 if at is None else at
        line = self.lines[i] if 0 <= i < len(self.lines) else self.last_line
        return ScenarioError([Problem(self.file, line, where, message, hint)])

    def word(self, where: str, what: str) -> str:
        if self.pos >= len(self.words):
            raise self.fail(
                where,
                f"the file ends where {what} was expected ({len(self.words)} numbers in all)",
                "the file is cut short: " + _LAYOUT,
                at=len(self.words),
            )
        self.pos += 1
        return self.words[self.pos - 1]

    def number(self, where: str, what: str, *, lo: float = 0.0, above: bool = False) -> float:
        """The next word as a finite number of at least ``lo`` (above it if ``above``)."""
        text = self.word(where, what)
        try:
            x = float(text)
        except ValueError:
            raise self.fail(where, f"{what} is {text!r}, not a number") from None
        if not math.isfinite(x):
            raise self.fail(where, f"{what} is {text!r}, not a finite number")
        if x < lo or (above and x == lo):
            limit = f"above {lo:g}" if above else f"{lo:g} or more"
            raise self.fail(where, f"{what} is {text}; it must be {limit}")
        return x

    def count(self, where: str, what: str) -> int:
        """The next word as a whole number above 0."""
        x = self.number(where, what, above=True)
        if not x.is_integer():
            raise self.fail(where, f"{what} is {self.words[self.pos - 1]}, not a whole number")
        return int(x)


def _units(tokens: _Tokens, where: str, what: str, x: float) -> None:
    """Capacities and demands become whole vehicles a year in the scenario."""
    if not x.is_integer():
        raise tokens.fail(
            where, f"{what} is {x:g}, not a whole number", "evfab counts whole vehicles"
        )
    if x > MAX_UNITS:
        raise tokens.fail(where, f"{what} is {x:,.0f}, above evfab's limit of {MAX_UNITS:,}")


def _read_text(p: Path) -> str:
    if p.exists() and not p.is_dir() and not p.is_file():
        # /dev/zero would be read for ever (the scenario loader refuses it too).
        raise ScenarioError(
            [
                Problem(
                    str(p), 0, "", "it is a device or socket, not a file", "give an instance file"
                )
            ]
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(
            [Problem(str(p), 0, "", f"cannot read file: {exc.strerror}", "check the path")]
        ) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(
            [
                Problem(
                    str(p),
                    line,
                    "",
                    f"not an OR-Library cap file: byte 0x{raw[exc.start]:02x} is not text",
                    "an instance holds only numbers and the word 'capacity'",
                )
            ]
        ) from None


def read_cap(path: str | Path, capacity: float | None = None) -> CapInstance:
    """Read an OR-Library ``cap*`` file.

    Every number is checked as it is read, so a problem is reported at its line: counts
    must be whole and above 0, capacities above 0, costs and demands 0 or more, all
    finite and within the scenario schema's limits.

    Args:
        path: The instance file.
        capacity: Value for the word ``capacity`` (capa/capb/capc); required there, and
            refused for instances that give their capacities as numbers.

    Returns:
        The instance.

    Raises:
        ScenarioError: If the file is unreadable or malformed, a capacity is missing,
            out of range or not used.
    """
    p = Path(path)
    where = str(p)
    if capacity is not None and not (
        math.isfinite(capacity) and 0 < capacity <= MAX_UNITS and float(capacity).is_integer()
    ):
        raise ScenarioError(
            [
                Problem(
                    where,
                    0,
                    "--capacity",
                    f"the capacity must be a whole number above 0 and at most {MAX_UNITS:,}, "
                    f"got {capacity:g} (evfab counts whole vehicles)",
                    "pass the instance's capacity from capopt.txt, e.g. --capacity 8000",
                )
            ]
        )
    tokens = _Tokens(where, _read_text(p))
    m = tokens.count("m", "the number of facilities (first number)")
    n = tokens.count("n", "the number of customers (second number)")
    # NOTE: arrays no larger than the file can fill: a huge m or n in a short file asked
    # for terabytes; the reading below stops, located, where the file ends.
    words = len(tokens.words)
    cap = np.empty(min(m, words))
    fixed = np.empty(min(m, words))
    placeholder = False
    for i in range(m):
        at = f"facilities[{i}]"
        word = tokens.word(f"{at}.capacity", f"facility {i + 1}'s capacity")
        if word.lower() == "capacity":
            placeholder = True
            if capacity is None:
                raise tokens.fail(
                    f"{at}.capacity",
                    "facility capacities are the word 'capacity'",
                    "pass --capacity C (see capopt.txt)",
                )
            cap[i] = capacity
        else:
            tokens.pos -= 1
            cap[i] = tokens.number(f"{at}.capacity", f"facility {i + 1}'s capacity", above=True)
            _units(tokens, f"{at}.capacity", f"facility {i + 1}'s capacity", float(cap[i]))
        fixed[i] = tokens.number(f"{at}.fixed_cost", f"facility {i + 1}'s fixed cost")
        if fixed[i] > MAX_MONEY:
            raise tokens.fail(
                f"{at}.fixed_cost",
                f"facility {i + 1}'s fixed cost is {fixed[i]:g}, above evfab's limit of {MAX_MONEY:g}",
            )
    if capacity is not None and not placeholder:
        raise ScenarioError(
            [
                Problem(
                    where,
                    0,
                    "--capacity",
                    "--capacity is given, but this instance states every facility's capacity",
                    "leave out --capacity: it is only for capa, capb and capc",
                )
            ]
        )
    demand = np.empty(min(n, words))
    cost = np.empty((min(n, words // (1 + m) + 1), m))
    for j in range(n):
        at = f"customers[{j}]"
        demand[j] = tokens.number(f"{at}.demand", f"customer {j + 1}'s demand")
        _units(tokens, f"{at}.demand", f"customer {j + 1}'s demand", float(demand[j]))
        for i in range(m):
            cost[j, i] = tokens.number(
                f"{at}.cost[{i}]", f"customer {j + 1}'s cost from facility {i + 1}"
            )
            if demand[j] > 0 and cost[j, i] / demand[j] > MAX_PER_CAR:
                raise tokens.fail(
                    f"{at}.cost[{i}]",
                    f"customer {j + 1}'s cost from facility {i + 1} is {cost[j, i] / demand[j]:g} "
                    f"per vehicle, above evfab's limit of {MAX_PER_CAR:g}",
                )
    if tokens.pos < len(tokens.words):
        raise tokens.fail(
            "",
            f"unexpected {tokens.words[tokens.pos]!r} after the last of the {n} customers",
            "the first line's m and n must match the file: " + _LAYOUT,
            at=tokens.pos,
        )
    return CapInstance(p.stem, cap, fixed, demand, cost)


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
            "sources": ["orlib"],
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
                "sources": ["orlib"],
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
        "companies": [{"id": "co", "name": "Company", "kind": "automaker", "sources": ["orlib"]}],
        "licences": [{"id": "co-licence", "holder": "co", "status": "held", "sources": ["orlib"]}],
        "plants": plants,
        "programs": programs,
        "offers": offers,
    }


def scenario_yaml(inst: CapInstance, year: int = 2030) -> str:
    """The instance as scenario YAML text, checked to load as a valid scenario.

    Args:
        inst: The instance.
        year: The single planning year.

    Returns:
        YAML text.

    Raises:
        ScenarioError: If the scenario would not load (each problem said as where it
            would be in the written file); nothing should be written then.
    """
    from evfab._load import loads  # the loader imports the checks; only needed here

    text = yaml.dump(to_scenario(inst, year), Dumper=_DUMPER, sort_keys=False, width=120)
    try:
        loads(text, file=f"<scenario from {inst.name}>")
    except ScenarioError as exc:
        raise ScenarioError(
            [
                Problem(
                    p.file,
                    p.line,
                    p.path,
                    p.message,
                    (p.hint + "; " if p.hint else "")
                    + "the instance gives a value evfab cannot plan",
                )
                for p in exc.problems
            ]
        ) from None
    return text
