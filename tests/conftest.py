"""Shared fixtures: a minimal valid scenario as YAML text, and helpers to load variants."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

import evfab

# Property tests draw the same examples on every run unless HYPOTHESIS_PROFILE=explore:
# CI must not fail at random on a rare example (seed 566 of the single-source test found a
# real leak that way, in someone else's run). `HYPOTHESIS_PROFILE=explore make test` draws
# fresh examples; a failure it finds becomes an explicit @example.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# Tests read evfab's piped text at its default 120 columns. evfab honours COLUMNS, and GNU
# readline (which pytest imports) exports the terminal's COLUMNS to child processes: without
# this, a test's output would depend on the terminal it runs in and on test order.
os.environ["COLUMNS"] = "120"

MINIMAL = textwrap.dedent(
    """\
    name: minimal
    as_of: 2022-01-01
    horizon: 2026
    sources:
      - {id: s1, status: confirmed, url: https://example.org/a}
      - {id: a1, status: assumption, note: made up for tests}
    policy:
      - since: 2015-01-01
        new_licences: true
        min_capacity: 0
        contract_manufacturing: true
        badge_names_manufacturer: true
        sources: [s1]
    companies:
      - {id: newco, name: NewCo, kind: newcomer}
      - {id: oldco, name: OldCo, kind: automaker}
    licences:
      - {id: oldco-bev, holder: oldco, status: held, sources: [s1]}
    plants:
      - id: old-plant
        name: Old plant
        operator: oldco
        status: operating
        opened: 2010-01
        phases:
          - {capacity: 100000, ready: 2010-01}
        committed: {2022: 20000}
        unit_cost: 100
    programs:
      - id: newcar
        company: newco
        name: New car
        target_sop: 2023-06
        demand: {2023: 10000, 2024: 50000}
        badge: co_brand
        lost_margin: 50
    offers:
      - id: cm
        kind: contract_manufacturing
        to: newco
        host: oldco
        plant: old-plant
        fee_per_unit: 10
        badge: co_brand
        lead_months: 6
        sources: [a1]
    """
)


def update_golden(path: Path, text: str) -> None:
    """With ``EVFAB_UPDATE_GOLDEN=1``, rewrite a golden file and skip the test: a test that
    compares with the file it has just written proves nothing (read the file's diff)."""
    if os.environ.get("EVFAB_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pytest.skip(f"rewrote {path.name}: read its diff before committing it")


def mutate(text: str, *pairs: tuple[str, str]) -> str:
    """Replace each ``old`` by ``new``; each ``old`` must occur exactly once."""
    for old, new in pairs:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


@pytest.fixture
def minimal_text() -> str:
    """YAML text of a small valid scenario (line numbers are stable: tests rely on them)."""
    return MINIMAL


@pytest.fixture
def write_scenario(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write YAML text to a file in tmp_path and return its path."""

    def _write(text: str, name: str = "scenario.yaml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return _write


@pytest.fixture
def xiaomi() -> evfab.Scenario:
    """The bundled xiaomi-2022 scenario."""
    return evfab.load("xiaomi-2022")


@pytest.fixture(scope="session")
def slow_to_prove() -> str:
    """A generated 50-program scenario (YAML) on which HiGHS finds a first plan long
    before it proves the optimum (~1 s): what stopping a solve early needs."""
    from evfab.generate import generate_yaml

    return generate_yaml(programs=50, plants=20, companies=None, years=10, seed=0)
