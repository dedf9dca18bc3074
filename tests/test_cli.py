"""The command line: every command end to end, exit codes, and the --json shapes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EVFAB = str(Path(sys.executable).parent / "evfab")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EVFAB, *args], capture_output=True, text=True)


def test_demo_shows_every_xiaomi_route() -> None:
    res = run("demo")
    assert res.returncode == 0, res.stderr
    for text in (
        "Yizhuang",
        "BAIC",
        "BluePark",
        "Beijing Hyundai",
        "denied",
        "manufacturer",
    ):
        assert text in res.stdout


def test_validate_ok_and_bad(write_scenario) -> None:  # type: ignore[no-untyped-def]
    assert run("validate", "xiaomi-2022").returncode == 0
    bad = write_scenario("name: x\nas_of: 2022-01-01\nhorizon: 2020\npolicy: []\n")
    res = run("validate", str(bad))
    assert res.returncode == 2
    assert f"{bad}:" in res.stderr
    assert "Traceback" not in res.stderr


def test_show_tables_and_json() -> None:
    res = run("show", "xiaomi-2022")
    assert res.returncode == 0
    assert "Policy timeline" in res.stdout and "Offers" in res.stdout
    data = json.loads(run("show", "xiaomi-2022", "--json").stdout)
    assert data["kind"] == "scenario"
    assert data["data"]["name"] == "xiaomi-2022"


def test_routes_with_a_later_policy_period(write_scenario, minimal_text) -> None:  # type: ignore[no-untyped-def]
    # New licences halted until a reopening after as_of: the application waits for it.
    text = minimal_text.replace("new_licences: true", "new_licences: false") + (
        "  - id: apply\n    kind: apply_licence\n    to: newco\n"
        "    lead_months: 3\n    review_months: 10\n"
    )
    text = text.replace(
        "companies:",
        "  - {since: 2024-01-01, name: Reopening, new_licences: true}\ncompanies:",
    ).replace(
        "programs:",
        "  - id: np\n    name: NP\n    operator: newco\n    status: operating\n"
        "    phases: [{capacity: 150000, ready: 2015-01}]\nprograms:",
    )
    path = str(write_scenario(text))
    res = run("routes", path)
    assert res.returncode == 0, res.stderr
    assert "Later periods apply from their dates: 2024-01-01 (Reopening)" in res.stdout
    data = json.loads(run("routes", path, "--json").stdout)
    apply = next(r for r in data["routes"] if r["id"] == "apply:apply@own:np")
    assert apply["legal"] and apply["earliest_sop"] == "2024-01-01"
    assert apply["sop_driver"].endswith(
        "new licences are granted again from 2024-01-01 (Reopening)"
    )


def test_routes_json_shape() -> None:
    res = run("routes", "xiaomi-2022", "--program", "xiaomi-ev", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert set(data) >= {"evfab", "json_version", "kind", "scenario", "as_of", "currency", "routes"}
    assert data["kind"] == "routes" and data["json_version"] == 1
    route = data["routes"][0]
    for key in (
        "program",
        "id",
        "licence_source",
        "plant_source",
        "legal",
        "usable",
        "why",
        "manufacturer",
        "badge",
        "names_manufacturer",
        "earliest_sop",
        "meets_target",
        "capacity",
        "fixed_cost",
        "unit_cost",
        "sources",
        "weakest_status",
        "warnings",
    ):
        assert key in route
    assert all(r["program"] == "xiaomi-ev" for r in data["routes"])
    assert isinstance(route["capacity"], dict)


def test_unknown_program_is_a_usage_error() -> None:
    res = run("routes", "xiaomi-2022", "--program", "nope")
    assert res.returncode == 2
    assert "unknown program" in res.stderr


def test_schema_is_json_schema(tmp_path: Path) -> None:
    res = run("schema")
    schema = json.loads(res.stdout)
    assert schema["title"] == "Scenario"
    assert "offers" in schema["properties"]
    # Field docstrings (with units) reach the schema, for editors.
    assert "vehicles/year" in json.dumps(schema)
    out = tmp_path / "s.json"
    assert run("schema", "-o", str(out)).returncode == 0
    assert json.loads(out.read_text()) == schema


def test_missing_file_exits_2() -> None:
    res = run("routes", "does-not-exist.yaml")
    assert res.returncode == 2
    assert "does-not-exist.yaml:0" in res.stderr and "cannot read file" in res.stderr


def test_plan_json_shape() -> None:
    res = run("plan", "xiaomi-2022", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["kind"] == "plan" and data["status"] == "optimal"
    assert set(data) >= {
        "objective",
        "choices",
        "production",
        "utilization",
        "costs",
        "capacity_values",
        "alternatives",
        "explanations",
        "shortfalls",
    }
