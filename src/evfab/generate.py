"""Synthetic industry scenarios for scale tests: newcomers, licensed makers with idle plants, offers.

The mix follows the reference case loosely. About a quarter of companies are unlicensed
newcomers, who get a little over half of the programs (:data:`NEWCOMER_PROGRAM_SHARE`):
the regime is about them. Each needs contract manufacturing, a partner's licence, a
purchase, a stake or its own plant and licence, and gets offers of these kinds. The
rest are licensed makers (some in groups or joint ventures). An active maker runs
every plant it has, loaded by its own models below the capacity ready each year, and
may keep a second plant idle; a dormant maker's plants are all idle and carry no load,
and it has no programs: it is there to be bought. A licensed maker left without a plant
(more makers than plants) gets no programs either.

Whenever the sizes allow it, every offer kind appears at least once: the first
newcomer, which always has the first program, gets one of each. Every number is drawn
from one seeded ``numpy.random.Generator``: same arguments, same file.

Two variants are opt-in (:mod:`evfab._generate_variants`): ``scopes`` (BEV and EREV makers,
and a halt of new BEV makers until mid-horizon) and ``small_builds`` (planned plants below
the minimum capacity of a new licence, with modules to reach it). Without them the file is
the same as before they existed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import yaml

from evfab import __version__
from evfab._fmt import plural
from evfab._generate_industry import (
    NEWCOMER_PROGRAM_SHARE,
    Industry,
    draw_companies,
    draw_licences,
    draw_plants,
    draw_programs,
)
from evfab._generate_limits import (
    MAX_COMPANIES,
    MAX_HORIZON,
    MAX_PLANTS,
    MAX_PROGRAMS,
    MAX_SEED,
    MAX_YEARS,
    MIN_COMPANIES,
    MIN_START_YEAR,
)
from evfab._generate_offers import add_logistics, draw_offers
from evfab._generate_variants import (
    MIN_CAPACITY,
    SCOPES_SOURCE,
    SMALL_BUILDS_SOURCE,
    add_scopes,
    scoped_policy,
    shrink_builds,
)

DEFAULT_START_YEAR = 2025
"""First planning year when none is given."""


_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's emitter when PyYAML was built with it: same text, several times faster."""


def _whole(name: str, value: object, low: int, high: int) -> int:
    """``value`` as an int, or a ValueError naming ``name`` and the range ``low``-``high``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{name} must be from {low:,} to {high:,}, got {int(value):,}")
    return int(value)


def check_arguments(
    programs: int,
    plants: int,
    companies: int | None,
    years: int,
    seed: int,
    start_year: int,
) -> int:
    """Check :func:`generate`'s arguments; return the number of companies to make.

    Args:
        programs: 1 to :data:`MAX_PROGRAMS`.
        plants: 1 to :data:`MAX_PLANTS`.
        companies: :data:`MIN_COMPANIES` to :data:`MAX_COMPANIES`, or None for one per four
            programs (at least 4, at most :data:`MAX_COMPANIES`).
        years: 1 to :data:`MAX_YEARS`.
        seed: 0 to :data:`MAX_SEED`.
        start_year: :data:`MIN_START_YEAR` or later, with ``start_year + years - 1`` at most
            :data:`MAX_HORIZON`.

    Returns:
        The number of companies.

    Raises:
        ValueError: An argument is not a whole number in its range; the message names it.
    """
    programs = _whole("programs", programs, 1, MAX_PROGRAMS)
    _whole("plants", plants, 1, MAX_PLANTS)
    years = _whole("years", years, 1, MAX_YEARS)
    _whole("seed", seed, 0, MAX_SEED)
    start_year = _whole("start_year", start_year, MIN_START_YEAR, MAX_HORIZON)
    if start_year + years - 1 > MAX_HORIZON:
        raise ValueError(
            f"start_year + years - 1 (the last planning year) must be at most {MAX_HORIZON}, "
            f"got {start_year + years - 1} (start_year {start_year}, years {years})"
        )
    if companies is None:
        return min(MAX_COMPANIES, max(4, programs // 4))
    return _whole("companies", companies, MIN_COMPANIES, MAX_COMPANIES)


def _policy(start_year: int, years: int) -> list[dict[str, Any]]:
    """The regime: Order 22-like rules, and from mid-horizon a reform of licence reviews."""
    out: list[dict[str, Any]] = [
        {
            "since": f"{start_year - 6}-01-10",
            "name": "synthetic regime",
            "new_licences": True,
            "review_months": {"min": 12, "mode": 16, "max": 30},
            "approval_probability": 0.6,
            "min_capacity": MIN_CAPACITY,
            "contract_manufacturing": True,
            "badge_names_manufacturer": True,
            "dormant_exit_months": 24,
            "sources": ["synthetic"],
        }
    ]
    if years >= 3:
        out.append(
            {
                "since": f"{start_year + years // 2}-01-01",
                "name": "synthetic review reform",
                "review_months": {"min": 9, "mode": 12, "max": 24},
                "approval_probability": 0.7,
                "sources": ["synthetic-reform"],
            }
        )
    return out


def _sources(
    command: str,
    policy: list[dict[str, Any]],
    companies: list[dict[str, Any]],
    variants: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The assumptions the generated figures rest on; the first says how to redo the file.

    Each is listed only if something cites it (an industry too small for joint ventures
    and groups has no ownership to source: `evfab validate` warned of the unused one).
    """
    out = [
        {
            "id": "synthetic",
            "status": "assumption",
            "note": f"random figures {command}",
        },
        {
            "id": "synthetic-budget",
            "status": "assumption",
            "note": "newcomers' capital budgets drawn from 2-19bn CNY, around Xiaomi's "
            "initial RMB 10bn for its EV business",
        },
        {
            "id": "synthetic-ownership",
            "status": "assumption",
            "note": "joint ventures held 50/50 by two automakers, as Beijing Hyundai; "
            "four automakers in ten belong to a group",
        },
    ]
    cited = {sid for c in companies for sid in c["sources"]}
    out = [s for s in out if s["id"] != "synthetic-ownership" or s["id"] in cited]
    if len(policy) > 1:
        out.append(
            {
                "id": "synthetic-reform",
                "status": "assumption",
                "note": "a later policy period shortens licence reviews and raises the "
                "approval chance, to exercise rules that change over the horizon",
            }
        )
    return out + [dict(v) for v in variants]


def generate(
    programs: int = 50,
    plants: int = 20,
    companies: int | None = None,
    years: int = 10,
    seed: int = 0,
    start_year: int = DEFAULT_START_YEAR,
    *,
    scopes: bool = False,
    small_builds: bool = False,
) -> dict[str, Any]:
    """A valid synthetic scenario as plain data.

    Args:
        programs: Number of vehicle programs, 1 to :data:`MAX_PROGRAMS`.
        plants: Number of existing plants (licensed makers' and newcomers' own), 1 to
            :data:`MAX_PLANTS`; planned plants of build offers come on top.
        companies: Number of companies, :data:`MIN_COMPANIES` to :data:`MAX_COMPANIES`
            (default: one per four programs, at least 4).
        years: Planning years, 1 to :data:`MAX_YEARS`.
        seed: Seed of the random generator, 0 to :data:`MAX_SEED`.
        start_year: First planning year (as_of is 1 January of it), from
            :data:`MIN_START_YEAR`, with the last planning year at most :data:`MAX_HORIZON`.
        scopes: Make some makers and programs range-extender (EREV) ones, and halt new
            BEV makers from the first year until the mid-horizon reform (three years or
            more).
        small_builds: Make every planned plant smaller than a new licence's minimum
            capacity, with modules for sale that mostly reach it.

    Returns:
        Scenario data ready for YAML or :func:`evfab.Scenario.model_validate`.

    Raises:
        ValueError: An argument is out of its range (see :func:`check_arguments`).
    """
    n_comp = check_arguments(programs, plants, companies, years, seed, start_year)
    rng = np.random.default_rng(seed)
    n_new = max(1, round(0.25 * n_comp))
    n_groups = round(0.05 * n_comp)
    n_jv = round(0.1 * n_comp)
    # At least one automaker: n_new is at most about a third of n_comp >= 2.
    n_auto = n_comp - n_new - n_groups - n_jv
    ind = Industry(
        start_year=start_year,
        years=years,
        news=[f"new{i}" for i in range(n_new)],
        autos=[f"maker{i}" for i in range(n_auto)],
        jvs=[f"jv{i}" for i in range(n_jv)],
    )
    draw_companies(rng, ind, n_groups)
    draw_plants(rng, ind, plants)
    draw_licences(rng, ind)
    draw_programs(rng, ind, programs)
    draw_offers(rng, ind)
    add_logistics(rng, ind)
    # NOTE: each variant draws from its own child generator, after every other draw
    # (spawning does not advance ``rng``): the rest of the industry stays the same file.
    scope_rng, build_rng = rng.spawn(2)
    policy = _policy(start_year, years)
    variants: list[dict[str, Any]] = []
    if scopes:
        add_scopes(scope_rng, ind)
        policy = scoped_policy(policy, start_year)
        variants.append(SCOPES_SOURCE)
    if small_builds and any(o["kind"] == "build_plant" for o in ind.offers):
        shrink_builds(build_rng, ind)
        variants.append(SMALL_BUILDS_SOURCE)
    flags = (" --scopes" if scopes else "") + (" --small-builds" if small_builds else "")
    args = f"--programs {programs} --plants {plants} --companies {n_comp} --years {years} --seed {seed}"
    if start_year == DEFAULT_START_YEAR:
        command = f"from `evfab generate {args}{flags}` (evfab {__version__})"
    else:
        keywords = (", scopes=True" if scopes else "") + (
            ", small_builds=True" if small_builds else ""
        )
        command = (
            f"from evfab.generate.generate(programs={programs}, plants={plants}, "
            f"companies={n_comp}, years={years}, seed={seed}, start_year={start_year}"
            f"{keywords}) (evfab {__version__})"
        )
    planned = len(ind.plants) - plants
    title = (
        f"Synthetic industry: {plural(programs, 'program')}, {plural(plants, 'plant')}"
        + (f" (+{planned} planned)" if planned else "")
        + f", {plural(n_comp, 'company', 'companies')}, {plural(years, 'year')}, seed {seed}"
        + (", BEV and EREV makers" if scopes else "")
        + (", small planned plants" if small_builds else "")
    )
    return {
        "name": f"synthetic-{seed}",
        "title": title,
        "as_of": f"{start_year}-01-01",
        "horizon": ind.horizon,
        "currency": "CNY",
        "discount_rate": 0.08,
        "sources": _sources(command, policy, ind.companies, variants),
        "policy": policy,
        "companies": ind.companies,
        "licences": ind.licences,
        "plants": ind.plants,
        "programs": ind.programs,
        "offers": ind.offers,
    }


def generate_yaml(
    programs: int = 50,
    plants: int = 20,
    companies: int | None = None,
    years: int = 10,
    seed: int = 0,
    start_year: int = DEFAULT_START_YEAR,
    *,
    scopes: bool = False,
    small_builds: bool = False,
) -> str:
    """:func:`generate` as YAML text (same arguments, same errors)."""
    data = generate(
        programs,
        plants,
        companies,
        years,
        seed,
        start_year,
        scopes=scopes,
        small_builds=small_builds,
    )
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False, width=120)


__all__ = [
    "DEFAULT_START_YEAR",
    "MAX_COMPANIES",
    "MAX_HORIZON",
    "MAX_PLANTS",
    "MAX_PROGRAMS",
    "MAX_SEED",
    "MAX_YEARS",
    "MIN_COMPANIES",
    "MIN_START_YEAR",
    "NEWCOMER_PROGRAM_SHARE",
    "check_arguments",
    "generate",
    "generate_yaml",
]
