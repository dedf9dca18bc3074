"""The ``evfab`` command line: thin commands over the public API.

Exit codes: 0 success; 1 internal error (a bug); 2 invalid input (a scenario, an option,
an output path that cannot be written); 3 nothing can be built (no plan meets the hard
constraints, or no route is usable); 4 the time limit ran out before any plan was found;
130 interrupted (Ctrl-C; while HiGHS solves a plan, the first Ctrl-C stops it with its best
plan instead, the second aborts); 141 the reader of the output went away (``| head``).
Tracebacks are shown only with ``--debug`` (anywhere on the command line).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

# NOTE: only light modules load here, so that --help and an invalid option answer in about
# 0.4-0.6 s instead of 1.5-1.8 s (benchmarks/cli_start_bench.py); each command loads
# pandas, the scenario models and the engines it needs when it runs.
from evfab import _io
from evfab._cli_console import size_to_stdout
from evfab._cli_errors import CheckedScenarioError, ctrl_c_behind, interrupted, report
from evfab._cli_errors import plan_or_fail as _plan_or_fail
from evfab._cli_help import hide_flag_types
from evfab._cli_options import (
    MAX_SAMPLES,
    PLAN_GAP,
    AlternativesOpt,
    AltScopeOpt,
    CompaniesOpt,
    FileArg,
    GapOpt,
    JsonOpt,
    PlanProgramsOpt,
    PlantsOpt,
    ProgramOpt,
    ProgramsOpt,
    RouteIdsOpt,
    ScopesOpt,
    SeedOpt,
    SmallBuildsOpt,
    TimeLimitOpt,
    YearsOpt,
    between,
)
from evfab._cli_out import files_first, probe_folder
from evfab._fmt import plural

if TYPE_CHECKING:
    from evfab._scenario import Scenario
    from evfab._world import World

hide_flag_types()
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Plan how vehicles get built under production-licensing regimes.",
)
# Its width is set for each run, from COLUMNS or the terminal (see _cli_console).
# NOTE: no markup or emoji codes in plain strings: scenario text, ids and paths go into
# tables and messages ("a[/]b" raised a MarkupError; ":100:" became an emoji). Styles are
# given as rich Text.
out = Console(highlight=False, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, markup=False, emoji=False)

JSON_VERSION = 2
"""Version of the ``--json`` shapes; bumped on any incompatible change."""


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """evfab: who builds the car, in which plant, under whose licence and badge, at what cost, by when."""
    size_to_stdout(out)


def _load(file: str) -> Scenario:
    """Load a scenario for a command's work (a note of its warnings goes to stderr)."""
    from evfab._cli_load import load_scenario

    return load_scenario(file, err)


def compile_world(s: Scenario) -> World:
    """:func:`evfab.compile`, loaded when a command first needs it."""
    from evfab._api import compile

    return compile(s)


def _envelope(kind: str, s: Scenario) -> dict[str, object]:
    from evfab import __version__

    return {
        "evfab": __version__,
        "json_version": JSON_VERSION,
        "kind": kind,
        "scenario": s.name,
        "as_of": s.as_of.isoformat(),
        "currency": s.currency,
    }


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(metavar="FILE", help="Scenario files to check.")],
    json_out: JsonOpt = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Count warnings as problems (exit code 2).")
    ] = False,
) -> None:
    """Check scenario files; print every problem as file:line: key.path: message (hint), and the warnings of each valid file.

    A warning is valid input that was almost certainly not meant (a program that wants no cars, an entry that cites no source). Exit code 0 when every file is valid, warnings or not; 2 when any has a problem (with --json too; with --strict, a warning is one).
    """
    from evfab import __version__
    from evfab._cli_load import validate_files

    # No scenario envelope: several files (or none readable) were checked.
    head = {"evfab": __version__, "json_version": JSON_VERSION, "kind": "validation"}
    problems = validate_files(files, out, err, json_out=json_out, strict=strict, head=head)
    if problems:
        raise CheckedScenarioError(problems)


@app.command()
def show(file: FileArg, json_out: JsonOpt = False) -> None:
    """Summary tables of a scenario: policy, companies, licences, plants, programs, offers."""
    from evfab._report_show import print_show

    s = _load(file)
    if json_out:
        out.print_json(json.dumps({**_envelope("scenario", s), "data": s.model_dump(mode="json")}))
        return
    print_show(out, s, compile_world(s))


@app.command()
def routes(
    file: FileArg,
    program: ProgramOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Every route of each program: legality, manufacturer of record, badge, earliest SOP, claims."""
    from evfab._cli_pick import check_program
    from evfab._report import print_routes
    from evfab.rules import derive_routes

    s = _load(file)
    world = compile_world(s)
    check_program(world, program)
    rows = derive_routes(world, program)
    asked = [program] if program else None
    if json_out:
        from evfab._report import without_routes

        missing = [
            {"program": g, "company": world.program_rows[g]["company"], "reason": why}
            for g, why in without_routes(world, rows, asked)
        ]
        sys.stdout.write(_io.dumps({**_envelope("routes", s), "routes": rows, "no_route": missing}))
        return
    print_routes(out, world, rows, asked)


@app.command("plan")
def plan_cmd(
    file: FileArg,
    json_out: JsonOpt = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write CSV tables and PNG charts into this folder.")
    ] = None,
    time_limit: TimeLimitOpt = None,
    gap: GapOpt = PLAN_GAP,
    alternatives: AlternativesOpt = None,
    programs: PlanProgramsOpt = None,
    scope: AltScopeOpt = "industry",
) -> None:
    """Choose routes and allocate plant capacity over the horizon at least discounted cost."""
    from evfab._cli_pick import check_program
    from evfab._cli_solve import pricing_tip, watching
    from evfab._report_plan import plan_json, print_plan
    from evfab.plan import PlanOptions, PlanStatus, plan

    s = _load(file)
    if out_dir is not None:  # before the solve, which may take minutes
        from evfab._charts import PLAN_FILES

        probe_folder(out_dir, PLAN_FILES)
    world = compile_world(s)
    for g in programs or []:  # before the solve, which may take minutes
        check_program(world, g)
    shown = list(dict.fromkeys(programs)) if programs else None
    with watching(err, not json_out, world.currency) as live:
        result = plan(
            world,
            PlanOptions(
                time_limit=time_limit,
                gap=gap,
                alternatives=alternatives,
                # With --program, only its routes are priced: each is a re-solve.
                alternatives_for=tuple(shown) if shown else None,
                alternatives_scope=scope,
                progress=live.progress,
                on_step=live.step,
            ),
        )
    if result.status is PlanStatus.INTERRUPTED:
        err.print("stopped before the solver had found any plan; nothing was written")
        raise typer.Exit(130)
    if result.status is PlanStatus.NO_PLAN:
        _plan_or_fail(result)
    payload = _io.dumps({**_envelope("plan", s), **plan_json(result)})
    # Files first (a reader of stdout that goes away must not cost them), then the plan.
    from evfab._charts import write_plan_outputs

    extra = {"plan.json": payload.encode("utf-8")}
    with files_first(err, out_dir, lambda to: write_plan_outputs(world, result, to, extra, shown)):
        if json_out:
            sys.stdout.write(
                payload
                if shown is None
                else _io.dumps({**_envelope("plan", s), **plan_json(result, shown)})
            )
        else:
            print_plan(out, world, result, shown)
    if not json_out and (tip := pricing_tip(result, scope)):
        err.print(Text(tip, style="dim"))
    _plan_or_fail(result)


@app.command()
def compare(
    before: Annotated[
        str, typer.Argument(metavar="BEFORE", help="The base scenario (file or bundled name).")
    ],
    after: Annotated[
        str,
        typer.Argument(
            metavar="AFTER", help="The changed scenario: a policy what-if of the base, say."
        ),
    ],
    json_out: JsonOpt = False,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            "-n",
            min=0,
            max=MAX_SAMPLES,
            help="Monte Carlo samples per plan for P(on time): 0 (none) or at least 100.",
        ),
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed of both risk runs.")] = 0,
    time_limit: TimeLimitOpt = None,
    gap: GapOpt = PLAN_GAP,
    every: Annotated[
        bool, typer.Option("--all", help="List every program, not only those that changed.")
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the tables as CSV, a chart (compare.png: costs by category, the "
            "programs whose cars moved most) and comparison.json here.",
        ),
    ] = None,
) -> None:
    """What a change does: routes whose legality, start, odds or cars moved, plan cost, programs' plans and odds.

    Exits 0 even when a plan is infeasible (the plan line says so, `--json` gives its status): that a change makes the plan impossible is a result, not a failure. `evfab plan` exits 3 then.
    """
    from evfab._cli_load import load_all
    from evfab._report_compare import comparison_json, print_comparison, write_compare_outputs
    from evfab.compare import CompareOptions
    from evfab.compare import compare as run_compare
    from evfab.plan import PlanOptions

    if 0 < samples < 100:
        raise typer.BadParameter("use 0 (no risk runs) or at least 100", param_hint="--samples")
    s_before, s_after = load_all(err, before, after)
    if out_dir is not None:  # before the plans and risk runs
        from evfab._report_compare import COMPARE_FILES

        probe_folder(out_dir, COMPARE_FILES)
    if s_before.currency != s_after.currency:
        raise typer.BadParameter(
            f"it counts money in {s_after.currency}, the base in {s_before.currency} "
            "(compare scenarios in one currency)",
            param_hint="AFTER",
        )
    opts = CompareOptions(
        plan=PlanOptions(capacity_values=False, alternatives=False, time_limit=time_limit, gap=gap),
        risk_samples=samples,
        seed=seed,
    )
    with (
        err.status("planning both scenarios ...", spinner="dots") if not json_out else nullcontext()
    ):
        c = run_compare(compile_world(s_before), compile_world(s_after), opts)
    payload = _io.dumps({**_envelope("comparison", s_before), **comparison_json(c)})
    extra = {"comparison.json": payload.encode("utf-8")}
    with files_first(err, out_dir, lambda to: write_compare_outputs(c, to, extra)):
        if json_out:
            sys.stdout.write(payload)
        else:
            print_comparison(out, c, every, labels=(before, after))


@app.command()
def generate(
    output: Annotated[Path, typer.Option("--output", "-o", help="Scenario YAML to write.")],
    programs: ProgramsOpt = 50,
    plants: PlantsOpt = 20,
    companies: CompaniesOpt = None,
    years: YearsOpt = 10,
    seed: SeedOpt = 0,
    scopes: ScopesOpt = False,
    small_builds: SmallBuildsOpt = False,
) -> None:
    """Write a valid synthetic industry scenario (newcomers, licensed makers with idle plants, offers)."""
    from evfab.generate import generate_yaml

    try:
        text = generate_yaml(
            programs=programs,
            plants=plants,
            companies=companies,
            years=years,
            seed=seed,
            scopes=scopes,
            small_builds=small_builds,
        )
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    # Checked before it is written: a file on disk is a valid scenario.
    from evfab._load import loads

    s = loads(text, file=str(output))
    _io.write_file(output, text)
    err.print(
        f"wrote {output}: {plural(len(s.programs), 'program')}, {plural(len(s.plants), 'plant')}, "
        f"{plural(len(s.companies), 'company', 'companies')}, {plural(len(s.offers), 'offer')}, "
        f"{plural(s.horizon - s.as_of.year + 1, 'year')}"
    )


@app.command()
def risk(
    file: FileArg,
    program: ProgramOpt = None,
    route: RouteIdsOpt = None,
    use_plan: Annotated[
        bool, typer.Option("--plan", help="Sample the routes the planner chooses.")
    ] = False,
    samples: Annotated[
        int, typer.Option("--samples", "-n", min=100, max=MAX_SAMPLES, help="Monte Carlo samples.")
    ] = 20_000,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Random seed; same seed, same result.")
    ] = 0,
    demand_spread: Annotated[
        float,
        typer.Option(
            "--demand-spread",
            callback=between(0.0, 0.99),
            help="Draw demand within +/- this fraction.",
        ),
    ] = 0.0,
    demand_correlation: Annotated[
        float,
        typer.Option(
            "--demand-correlation",
            callback=between(0.0, 1.0),
            help="How much programs' demand draws move together (0 independent, 1 as one).",
        ),
    ] = 0.0,
    json_out: JsonOpt = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write CSV tables and PNG charts here.")
    ] = None,
) -> None:
    """Monte Carlo of start of production, cars by year and cost for each route (or the plan)."""
    from evfab._cli_pick import check_program, risk_routes
    from evfab._report_risk import print_risk, risk_json
    from evfab.risk import RiskOptions, sample_routes

    s = _load(file)
    if out_dir is not None:  # before the sampling (and the plan, with --plan)
        from evfab._charts_risk import RISK_FILES

        probe_folder(out_dir, RISK_FILES)
    world = compile_world(s)
    check_program(world, program)
    picked, allocation, modules = risk_routes(world, file, program, route, use_plan)
    opts = RiskOptions(
        samples=samples,
        seed=seed,
        demand_spread=demand_spread,
        demand_correlation=demand_correlation,
    )
    if json_out or len(picked) * samples < 2_000_000:
        res = sample_routes(world, picked, opts, allocation=allocation, modules=modules)
    else:
        import dataclasses

        from rich.progress import Progress

        # Batches of at most a twentieth of the samples, so that the bar moves (the samples
        # do not depend on the batch size; the time hardly does).
        opts = dataclasses.replace(opts, chunk=min(opts.chunk, max(1_000, -(-samples // 20))))
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task(f"sampling {len(picked)} routes", total=samples)
            res = sample_routes(
                world,
                picked,
                opts,
                progress=lambda done: bar.update(task, completed=done),
                allocation=allocation,
                modules=modules,
            )
    payload = {**_envelope("risk", s), **risk_json(res)}
    from evfab._charts_risk import write_risk_outputs

    extra = {"risk.json": _io.dumps(payload).encode("utf-8")}
    with files_first(err, out_dir, lambda to: write_risk_outputs(res, to, extra)):
        if json_out:
            sys.stdout.write(_io.dumps(payload))
        else:
            print_risk(out, world, res)


@app.command()
def calibrate(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="Scenario with a `history` of observed cases (default: bundled china-ev).",
        ),
    ] = "china-ev",
    json_out: JsonOpt = False,
) -> None:
    """Fit duration priors per route kind from observed cases; compare with the priors in use."""
    from evfab._report_risk import print_calibration
    from evfab.priors import calibrate as fit_priors
    from evfab.priors import calibration_fields

    s = _load(file)
    fitted = fit_priors(s)
    if json_out:
        # `in_use` lists only the priors an engine applies; the others are `reference`.
        sys.stdout.write(_io.dumps({**_envelope("calibration", s), **calibration_fields(fitted)}))
        return
    print_calibration(out, s, fitted)


@app.command()
def sources(
    file: FileArg,
    ident: Annotated[
        str | None,
        typer.Argument(
            metavar="ID",
            help="An entity, offer, case or route id, `plan` (the plan's routes), `policy` or "
            "`discount_rate`; omit to list every source.",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """List the sources an entity, offer, route or the plan rests on, flagging denied and unclear claims."""
    from evfab._cli_pick import sources_of
    from evfab._report_risk import print_sources, source_rows, stated_dates

    s = _load(file)
    world = compile_world(s)
    label, ids = sources_of(s, world, ident)
    rows = source_rows(world, ids, scenario=s, dates=stated_dates(file))
    if json_out:
        sys.stdout.write(_io.dumps({**_envelope("sources", s), "of": label, "sources": rows}))
        return
    print_sources(out, label, rows)


import_app = typer.Typer(help="Import scenarios from other formats.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("orlib-cap")
def import_orlib_cap(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An OR-Library cap*.txt instance.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Scenario YAML to write.")],
    capacity: Annotated[
        float | None,
        typer.Option("--capacity", help="Facility capacity for capa/capb/capc (see capopt.txt)."),
    ] = None,
) -> None:
    """Turn an OR-Library capacitated facility location instance into a scenario."""
    from evfab.orlib import read_cap, scenario_yaml

    inst = read_cap(file, capacity)
    _io.write_file(output, scenario_yaml(inst))
    err.print(
        f"wrote {output}: {len(inst.capacity)} facilities as build offers, {len(inst.demand)} customers as programs"
    )


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead.")
    ] = None,
) -> None:
    """Print the JSON Schema of scenario files (for editor autocompletion)."""
    from evfab._scenario import Scenario

    text = json.dumps(Scenario.model_json_schema(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        _io.write_file(output, text)
        err.print(f"wrote {output}")


@app.command()
def demo(
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            "-n",
            min=100,
            max=MAX_SAMPLES,
            help="Monte Carlo samples for the risk table.",
        ),
    ] = 20_000,
) -> None:
    """The bundled xiaomi-2022 scenario: its routes, the least-cost plan, and the risk of each route."""
    from evfab._cli_demo import run_demo

    run_demo(out, samples)


def main() -> None:
    """Console entry point: run the app and map errors to exit codes."""
    debug = "--debug" in sys.argv[1:]
    if debug:  # accepted anywhere on the line, as users type it
        sys.argv = [sys.argv[0], "--debug", *(a for a in sys.argv[1:] if a != "--debug")]
    if hasattr(signal, "SIGPIPE"):
        # NOTE: when the reader goes away (`evfab plan x | head`), end quietly as Unix tools
        # do (killed by SIGPIPE, status 141); click would catch the error and exit 1.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        app()
    except BrokenPipeError:  # where there is no SIGPIPE
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)
    except KeyboardInterrupt:
        if debug:
            raise
        interrupted(err)
    except SystemExit as exc:
        # typer ends a command that a Ctrl-C stopped with status 130 and says nothing.
        press = ctrl_c_behind(exc)
        if press is None:
            raise
        if debug:
            traceback.print_exception(press)
        interrupted(err)
    except Exception as exc:
        if debug:
            raise
        if ctrl_c_behind(exc) is not None:
            interrupted(err)  # a Ctrl-C inside a lazy import surfaces as an ImportError
        sys.exit(report(exc, err))
