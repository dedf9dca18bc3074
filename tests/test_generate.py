"""Synthetic scenarios: valid, reproducible by seed, and plannable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import evfab
from evfab.generate import generate, generate_yaml
from evfab.plan import PlanOptions, plan

EVFAB = str(Path(sys.executable).parent / "evfab")


def test_same_seed_same_file() -> None:
    assert generate_yaml(programs=30, plants=10, seed=7) == generate_yaml(
        programs=30, plants=10, seed=7
    )
    assert generate_yaml(programs=30, plants=10, seed=7) != generate_yaml(
        programs=30, plants=10, seed=8
    )


@settings(max_examples=25, deadline=None)
@given(
    programs=st.integers(1, 40),
    plants=st.integers(1, 25),
    companies=st.integers(2, 15),
    years=st.integers(1, 12),
    seed=st.integers(0, 10_000),
)
def test_generated_scenarios_are_valid(
    programs: int, plants: int, companies: int, years: int, seed: int
) -> None:
    text = generate_yaml(
        programs=programs, plants=plants, companies=companies, years=years, seed=seed
    )
    s = evfab.loads(text, file="generated.yaml")
    assert len(s.programs) == programs
    assert s.horizon - s.as_of.year + 1 == years


def test_generated_mix_has_every_offer_kind() -> None:
    d = generate(programs=200, plants=80, seed=3)
    kinds = {o["kind"] for o in d["offers"]}
    assert kinds >= {"contract_manufacturing", "licence_umbrella", "build_plant"}
    assert {c["kind"] for c in d["companies"]} >= {"newcomer", "automaker", "joint_venture"}


def test_small_generated_scenario_plans() -> None:
    s = evfab.Scenario.model_validate(generate(programs=30, plants=12, seed=2))
    r = plan(evfab.compile(s), PlanOptions(alternatives=False))
    assert r.ok
    assert r.costs.set_index("category").at["total", "discounted"] == pytest.approx(
        r.objective, rel=1e-6
    )


def test_cli_generate(tmp_path: Path) -> None:
    out = tmp_path / "g.yaml"
    res = subprocess.run(
        [
            EVFAB,
            "generate",
            "--programs",
            "20",
            "--plants",
            "8",
            "--years",
            "5",
            "--seed",
            "1",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    data = yaml.safe_load(out.read_text())
    assert len(data["programs"]) == 20
    assert "wrote" in res.stderr
