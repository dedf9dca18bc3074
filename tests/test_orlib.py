"""OR-Library capacitated facility location: evfab's planner reproduces the known optima."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evfab.orlib import read_cap, to_scenario

ORLIB = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "orlib-cap"
EVFAB = str(Path(sys.executable).parent / "evfab")


def optimum(name: str) -> float:
    """Known optimal value of an instance from capopt.txt."""
    for line in (ORLIB / "capopt.txt").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == name:
            return float(parts[1])
    raise KeyError(name)


needs_orlib = pytest.mark.skipif(
    not ORLIB.exists(), reason="../shared/benchmarks/orlib-cap not present"
)


@needs_orlib
@pytest.mark.parametrize("name", ["cap41", "cap71", "cap101", "cap131"])
def test_cli_plan_matches_known_optimum(name: str, tmp_path: Path) -> None:
    scenario = tmp_path / f"{name}.yaml"
    subprocess.run(
        [EVFAB, "import", "orlib-cap", str(ORLIB / f"{name}.txt"), "-o", str(scenario)], check=True
    )
    out = subprocess.run(
        [EVFAB, "plan", str(scenario), "--json", "--no-alternatives"],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout)
    assert result["status"] == "optimal"
    assert result["objective"] == pytest.approx(optimum(name), rel=1e-6)
    # Every customer's demand is met in full (min_fill = 1).
    assert result["unmet"] == []


@needs_orlib
def test_read_cap_shapes() -> None:
    inst = read_cap(ORLIB / "cap41.txt")
    assert inst.capacity.shape == (16,)
    assert inst.demand.shape == (50,)
    assert inst.cost.shape == (50, 16)
    assert inst.demand.sum() == 58268


@needs_orlib
def test_capa_needs_a_capacity() -> None:
    from evfab import ScenarioError

    with pytest.raises(ScenarioError, match="--capacity"):
        read_cap(ORLIB / "capa.txt")
    inst = read_cap(ORLIB / "capa.txt", capacity=8000)
    assert set(inst.capacity) == {8000.0}


def test_tiny_instance_by_hand(tmp_path: Path) -> None:
    """Two facilities, three customers: the optimum is easy to check by hand."""
    import evfab
    from evfab.plan import plan

    text = "2 3\n 100 50\n 100 80\n 10 20 100\n 20 100 20\n 30 30 60\n"
    path = tmp_path / "tiny.txt"
    path.write_text(text)
    data = to_scenario(read_cap(path))
    s = evfab.Scenario.model_validate(data)
    result = plan(evfab.compile(s))
    # Open both (130) and serve each customer from its cheaper facility: 20 + 20 + 30 = 70;
    # or open only facility 1 (50) and pay 20 + 100 + 30 = 150 -> 200. Both: 200 vs 200? No:
    # facility 1 only: 50 + 150 = 200; both: 130 + 70 = 200; facility 2 only: 80 + 100+20+60 = 260.
    assert result.objective == pytest.approx(200.0)


def test_malformed_file_is_a_located_error(tmp_path: Path) -> None:
    from evfab import ScenarioError

    path = tmp_path / "bad.txt"
    path.write_text("2 3\n 100 50\n")
    with pytest.raises(ScenarioError, match="not an OR-Library cap file"):
        read_cap(path)
