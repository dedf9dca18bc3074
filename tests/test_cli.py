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
    assert data["kind"] == "routes" and data["json_version"] == 2
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
        "min_modules",
        "scope",
    ):
        assert key in route
    assert all(r["program"] == "xiaomi-ev" for r in data["routes"])
    assert {r["scope"] for r in data["routes"]} == {"bev_passenger"}
    assert isinstance(route["capacity"], dict)


def test_unknown_program_is_a_usage_error() -> None:
    res = run("routes", "xiaomi-2022", "--program", "nope")
    assert res.returncode == 2
    assert "unknown program" in res.stderr


def test_plan_of_one_program(tmp_path: Path) -> None:
    res = run("plan", "xiaomi-2022", "-p", "nio-jac-line", "--json", "--out", str(tmp_path / "o"))
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["only_programs"] == ["nio-jac-line"]
    assert {c["program"] for c in data["choices"]} == {"nio-jac-line"}
    assert {u["plant"] for u in data["utilization"]} == {"jac-hefei"}
    # The files keep the whole plan.
    whole = json.loads((tmp_path / "o" / "plan.json").read_text())
    assert whole["only_programs"] is None
    assert {c["program"] for c in whole["choices"]} == {"nio-jac-line", "xiaomi-ev"}
    assert whole["objective"] == data["objective"]
    # ... and its charts show the program asked for, and the plants it builds at.
    import evfab
    from evfab._charts import timeline_chart, utilization_chart
    from evfab.plan import plan

    world = evfab.compile(evfab.load("xiaomi-2022"))
    result = plan(world)
    png = {p: (tmp_path / "o" / p).read_bytes() for p in ("timeline.png", "utilization.png")}
    assert png["timeline.png"] == timeline_chart(world, result, programs=["nio-jac-line"])
    assert png["timeline.png"] != timeline_chart(world, result)
    assert png["utilization.png"] == utilization_chart(
        result.for_programs(["nio-jac-line"]), as_of=world.as_of
    )
    text = run("plan", "xiaomi-2022", "--program", "xiaomi-ev", "--no-alternatives")
    assert text.returncode == 0, text.stderr
    assert "Showing 1 of 2 programs (xiaomi-ev)" in text.stdout
    assert "Why, for xiaomi-ev" in text.stdout and "nio-jac-line" not in text.stdout
    assert "Costs of the whole plan" in text.stdout


def test_plan_of_an_unknown_program_is_a_usage_error() -> None:
    res = run("plan", "xiaomi-2022", "-p", "xiaomi-ev", "-p", "xiaomi-su7")
    assert res.returncode == 2 and res.stdout == ""
    assert "unknown program 'xiaomi-su7'" in res.stderr and "did you mean 'xiaomi-ev'" in res.stderr


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


_CROWDED = """\
name: crowded
as_of: 2030-01-01
horizon: 2030
sources:
  - {id: a, status: assumption, note: test}
policy:
  - {since: 2020-01-01, contract_manufacturing: true, sources: [a]}
companies:
  - {id: host, name: Host, kind: automaker}
  - {id: n1, name: N1, kind: newcomer}
licences:
  - {id: host-bev, holder: host, status: held, sources: [a]}
plants:
  - {id: hp, name: HP, operator: host, status: operating, opened: 2020-01, phases: [{capacity: 100000, ready: 2020-01}]}
programs:
  - {id: g1, company: n1, name: G1, target_sop: 2030-01, demand: {2030: 150000}, badge: any, lost_margin: 30000, min_fill: 0.9}
offers:
  - {id: cm1, kind: contract_manufacturing, to: n1, host: host, plant: hp, fee_per_unit: 5000, lead_months: 0, sources: [a]}
"""


def test_solver_options_are_checked() -> None:
    for args in (("--time-limit", "0"), ("--time-limit", "-1"), ("--gap", "-0.1"), ("--gap", "2")):
        res = run("plan", "xiaomi-2022", *args)
        assert res.returncode == 2, (args, res.stderr)
        assert args[0] in res.stderr
    assert run("compare", "xiaomi-2022", "xiaomi-2022", "--time-limit", "-1").returncode == 2
    assert run("compare", "xiaomi-2022", "xiaomi-2022", "-n", "5").returncode == 2
    assert run("generate", "-o", "x.yaml", "--seed", "-5").returncode == 2


def test_risk_and_sources_of_an_infeasible_plan_exit_3(write_scenario) -> None:  # type: ignore[no-untyped-def]
    path = str(write_scenario(_CROWDED))
    for args in (("risk", path, "--plan", "-n", "100"), ("sources", path, "plan")):
        res = run(*args)
        assert res.returncode == 3, (args, res.stderr)
        assert "no plan meets every program's minimum production" in res.stderr
        assert "g1" in res.stderr and "Traceback" not in res.stderr


def test_no_usable_route_exits_3(write_scenario) -> None:  # type: ignore[no-untyped-def]
    path = str(
        write_scenario(
            _CROWDED.replace("contract_manufacturing: true", "contract_manufacturing: false")
        )
    )
    res = run("risk", path, "-n", "100")
    assert res.returncode == 3, res.stderr
    assert "no usable route" in res.stderr and "evfab routes" in res.stderr


def test_every_unknown_route_is_named() -> None:
    res = run("risk", "xiaomi-2022", "-r", "nope", "-r", "nope2")
    assert res.returncode == 2
    assert "'nope'" in res.stderr and "'nope2'" in res.stderr


def test_compare_reports_the_problems_of_both_files(write_scenario) -> None:  # type: ignore[no-untyped-def]
    a = write_scenario("name: a\nas_of: 2022-01-01\nhorizon: 2020\npolicy: []\n", "a.yaml")
    b = write_scenario("name: b\nas_of: 2022-01-01\nhorizon: 2020\npolicy: []\n", "b.yaml")
    res = run("compare", str(a), str(b))
    assert res.returncode == 2
    assert f"{a}:" in res.stderr and f"{b}:" in res.stderr


def test_output_paths_that_cannot_be_written_exit_2(tmp_path: Path) -> None:
    res = run("schema", "-o", str(tmp_path))
    assert res.returncode == 2
    assert "is a folder" in res.stderr and "internal error" not in res.stderr
    (tmp_path / "f").write_text("keep me")
    res = run("plan", "xiaomi-2022", "--out", str(tmp_path / "f"), "--no-alternatives")
    assert res.returncode == 2, res.stderr
    assert "not a folder" in res.stderr
    assert res.stdout == ""  # the folder is checked before the solve: no plan is shown
    assert (tmp_path / "f").read_text() == "keep me"
    # A missing folder for a single output file is made.
    res = run("generate", "-o", str(tmp_path / "new" / "deep" / "g.yaml"), "--programs", "3")
    assert res.returncode == 0, res.stderr


def test_debug_is_accepted_after_the_command(write_scenario) -> None:  # type: ignore[no-untyped-def]
    bad = write_scenario("name: x\nas_of: 2022-01-01\nhorizon: 2020\npolicy: []\n")
    res = run("validate", str(bad), "--debug")
    assert "No such option" not in res.stderr
    assert "Traceback" in res.stderr


def test_a_reader_that_goes_away_ends_the_output_quietly() -> None:
    p = subprocess.Popen(
        [EVFAB, "routes", "china-ev"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert p.stdout is not None and p.stderr is not None
    p.stdout.read(10)
    p.stdout.close()
    assert p.wait(timeout=120) in (-13, 141, 0)
    assert b"error" not in p.stderr.read()


def test_risk_charts_of_many_routes_stay_readable(tmp_path: Path) -> None:
    import struct

    scen = tmp_path / "g.yaml"
    assert run("generate", "-o", str(scen), "--programs", "30", "--seed", "1").returncode == 0
    res = run("risk", str(scen), "-n", "200", "--out", str(tmp_path / "o"))
    assert res.returncode == 0, res.stderr
    for name in ("sop_cdf.png", "volume_fan.png"):
        head = (tmp_path / "o" / name).read_bytes()[:24]
        width, height = struct.unpack(">II", head[16:24])
        assert width < 2500 and height < 2500, (name, width, height)


def test_out_is_written_even_when_the_reader_of_stdout_goes_away(tmp_path: Path) -> None:
    p = subprocess.Popen(
        [EVFAB, "plan", "xiaomi-2022", "--no-alternatives", "--out", str(tmp_path / "o")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert p.stdout is not None
    p.stdout.read(10)
    p.stdout.close()
    p.wait(timeout=120)
    assert (tmp_path / "o" / "plan.json").exists()


def test_validate_does_not_speak_of_writing(write_scenario) -> None:  # type: ignore[no-untyped-def]
    bad = write_scenario("name: x\nas_of: 2022-01-01\nhorizon: 2020\npolicy: []\n")
    res = run("validate", str(bad))
    assert res.returncode == 2 and "nothing was written" not in res.stderr


# --- warnings: valid input almost certainly not meant ----------------------------------------
# MINIMAL has four: its companies, plant and program cite no source.


def test_validate_prints_warnings_under_the_ok_line_and_exits_0(  # type: ignore[no-untyped-def]
    write_scenario, minimal_text
) -> None:
    path = write_scenario(minimal_text)
    res = run("validate", str(path))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(f"{path}:"))
    ok = " ".join(lines[:first])  # the ok line, wrapped at 120 columns with a long path
    assert ok.startswith(f"ok {path}: 2 companies,") and ok.endswith("; 4 warnings")
    lines = ["ok", *lines[first:]]
    assert lines[1].startswith(
        f"{path}:15: companies[0]: warning: company 'newco' cites no source (add `sources:`"
    )
    assert [line.split(": ")[1] for line in lines[1:5]] == [
        "companies[0]",
        "companies[1]",
        "plants[0]",
        "programs[0]",
    ]
    assert lines[5:] == ["4 warnings: each file is valid; --strict makes warnings problems."]
    assert "ok xiaomi-2022" in run("validate", "xiaomi-2022").stdout
    assert "warning" not in run("validate", "xiaomi-2022", "china-ev").stdout


def test_validate_strict_makes_warnings_problems(write_scenario, minimal_text) -> None:  # type: ignore[no-untyped-def]
    path = write_scenario(minimal_text)
    res = run("validate", str(path), "--strict")
    assert res.returncode == 2 and res.stdout == ""
    assert f"{path}:15: companies[0]: company 'newco' cites no source (" in res.stderr
    assert "4 problems." in res.stderr and "warning:" not in res.stderr
    assert run("validate", "xiaomi-2022", "--strict").returncode == 0


def test_validate_json_lists_warnings(write_scenario, minimal_text) -> None:  # type: ignore[no-untyped-def]
    path = write_scenario(minimal_text)
    res = run("validate", str(path), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["ok"] is True and data["problems"] == []
    assert data["warnings"][0] == {
        "file": str(path),
        "line": 15,
        "path": "companies[0]",
        "message": "company 'newco' cites no source",
        "hint": "add `sources:` with the ids behind it; for a modeller's choice, cite an "
        "`assumption` source that gives the reason",
    }
    assert len(data["warnings"]) == 4
    strict = run("validate", str(path), "--json", "--strict")
    assert strict.returncode == 2
    data = json.loads(strict.stdout)
    assert data["ok"] is False and data["warnings"] == [] and len(data["problems"]) == 4


def test_a_command_at_work_counts_the_warnings_on_stderr(write_scenario, minimal_text) -> None:  # type: ignore[no-untyped-def]
    path = write_scenario(minimal_text)
    note = f"4 warnings in {path} (evfab validate {path} shows them)"
    res = run("routes", str(path), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["kind"] == "routes"  # stdout is the JSON alone
    assert res.stderr.splitlines() == [note]
    both = run("compare", str(path), str(path), "--samples", "0", "--json")
    assert both.returncode == 0, both.stderr
    assert json.loads(both.stdout)["kind"] == "comparison"
    assert both.stderr.splitlines() == [note]  # said once for a file named twice
    assert run("routes", "xiaomi-2022", "--json").stderr == ""
