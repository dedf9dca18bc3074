"""Instructions evfab executes outside the solver per OR-Library plan (valgrind/callgrind).

Time on the benchmark machine (a shared 2-core VM) drifts by up to 2x between minutes,
so two versions of evfab's fixed cost cannot be told apart by a few per cent in seconds.
Instruction counts can: callgrind counts every instruction the process executes, and with
the solve taken out they repeat to within about 1 %. They do not show cache effects (see
``cold_bench.py``), so they complement the timings, not replace them.

The parent solves each instance once (no valgrind) and stores the scenario and solution;
a child under ``valgrind --tool=callgrind --instr-atstart=no`` then warms up, and only its
``repeat`` measured calls of the stage are instrumented (``callgrind_control -i on/off``).
Inside ``plan()`` the hand-over to HiGHS (``new_highs`` + ``pass_milp`` + ``run``; ``solve``
in older trees) returns the stored solution, so HiGHS (and its worker thread) never runs
while counting. Every thread is counted: since c45230d that includes the preparation of the
tables, which in a real plan runs on the other core while HiGHS solves.

Stages: ``full`` = compile + route_table + plan(capacity_values=False, alternatives=False)
from a loaded Scenario (what ``orlib_bench.py`` times, minus the solve); ``compile``;
``routes`` = compile + route_table; ``plan`` = plan() on a world and route table made once.

Usage::

    .venv/bin/python benchmarks/instr_bench.py                       # cap71, cap131: full
    .venv/bin/python benchmarks/instr_bench.py --stages full,routes,plan --rev HEAD~3
    .venv/bin/python benchmarks/instr_bench.py --instances cap41 --repeat 5

``--rev REV`` also counts the package as of git revision REV (its ``src`` exported to a
temporary folder), side by side. Needs valgrind (``callgrind_control`` on the PATH).
"""

from __future__ import annotations

import argparse
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

STAGES = ("full", "compile", "routes", "plan")


def _child(src: str, data: str, stage: str, repeat: int, flag: str) -> None:
    """Run under callgrind: warm up, wait for instrumentation, run the measured calls."""
    sys.path.insert(0, src)
    import evfab
    import evfab.plan as P
    from evfab._highs import Solution, SolveStatus
    from evfab._route_table import route_table

    with open(data, "rb") as f:
        raw_scenario, raw_sol = pickle.load(f)
    # Rebuilt with this tree's classes, which may differ from the parent's.
    scenario = evfab.Scenario.model_validate(raw_scenario)
    sol = Solution(**(raw_sol | {"status": SolveStatus(raw_sol["status"])}))
    fast = P.PlanOptions(capacity_values=False, alternatives=False)
    if hasattr(P, "run"):
        # The planner hands the model to HiGHS itself: new_highs + pass_milp + run.
        P.new_highs = lambda: None  # type: ignore[assignment]
        P.pass_milp = lambda h, m, relax=False: None  # type: ignore[assignment]
        P.run = lambda h, *args, **kwargs: sol  # type: ignore[assignment]
    else:  # older trees (--rev) call solve()
        P.solve = lambda m, time_limit=None, gap=None, relax=False: sol  # type: ignore[attr-defined]
    w0 = evfab.compile(scenario)
    t0 = route_table(w0)

    def full() -> object:
        w = evfab.compile(scenario)
        return P.plan(w, fast, routes=route_table(w))

    run = {
        "full": full,
        "compile": lambda: evfab.compile(scenario),
        "routes": lambda: route_table(evfab.compile(scenario)),
        "plan": lambda: P.plan(w0, fast, routes=t0),
    }[stage]
    n_col = P.build_milp(P.plan_inputs(w0, t0)[0]).n_col
    if len(sol.col_value) != n_col:
        raise SystemExit(
            f"the stored solution has {len(sol.col_value)} columns, this model {n_col}"
        )
    for _ in range(3):
        run()
    # The hand-over polls files: a few thousand instructions against ~10^8 measured.
    _signal(flag, str(os.getpid()))
    while Path(flag).exists():  # the parent switches instrumentation on, then deletes it
        time.sleep(0.01)
    for _ in range(repeat):
        run()
    _signal(flag + ".done", "1")
    while Path(flag + ".done").exists():
        time.sleep(0.01)


def _signal(path: str, text: str) -> None:
    """Write a flag file whole (write, then rename), so the other side never reads it half-made."""
    Path(path + ".tmp").write_text(text)
    os.replace(path + ".tmp", path)


def _count(src: Path, data: Path, stage: str, repeat: int, tmp: Path) -> float:
    """Instructions per call of ``stage`` with the package in ``src``."""
    flag = str(tmp / f"flag-{stage}")
    log = tmp / f"valgrind-{stage}.log"
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={tmp / 'callgrind.out'}",
        f"--log-file={log}",
        sys.executable,
        __file__,
        "--child",
        str(src),
        str(data),
        stage,
        str(repeat),
        flag,
    ]
    env = dict(os.environ, PYTHONHASHSEED="0")
    proc = subprocess.Popen(cmd, env=env)
    try:
        _wait_for(Path(flag), proc, log)
        pid = Path(flag).read_text().strip()
        _control("on", pid)
        Path(flag).unlink()
        _wait_for(Path(flag + ".done"), proc, log)
        _control("off", pid)
        Path(flag + ".done").unlink()
        proc.wait(timeout=600)
    finally:
        if proc.poll() is None:  # an error or Ctrl-C here: do not leave valgrind running
            proc.kill()
            proc.wait()
    match = re.search(r"Collected\s*:\s*([\d,]+)", log.read_text())
    if match is None:
        raise SystemExit(f"no instruction count in {log}")
    return int(match.group(1).replace(",", "")) / repeat


def _wait_for(path: Path, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the child makes ``path``; stop if it dies first."""
    while not path.exists():
        if proc.poll() is not None:
            raise SystemExit(f"valgrind child failed; see {log}")
        time.sleep(0.05)


def _control(state: str, pid: str) -> None:
    """Switch callgrind's instrumentation of process ``pid`` on or off."""
    subprocess.run(
        ["callgrind_control", "-i", state, pid], check=True, capture_output=True, timeout=120
    )


def _prepare(name: str, tmp: Path) -> Path:
    """Solve the instance once (no valgrind); store the scenario and the solution."""
    import evfab
    from evfab._highs import solve
    from evfab._plan_model import build_milp
    from evfab._route_table import route_table
    from evfab.plan import plan_inputs
    from orlib_bench import load_instance

    scenario = load_instance(name, None)
    w = evfab.compile(scenario)
    sol = solve(build_milp(plan_inputs(w, route_table(w))[0]), None, 1e-6)
    path = tmp / f"{name}.pkl"
    fields = {k: getattr(sol, k) for k in sol.__dataclass_fields__}
    with open(path, "wb") as f:
        # Fields left at their defaults are left out, so that an older tree (``--rev``)
        # without a field added since still validates the scenario.
        data = scenario.model_dump(exclude_defaults=True)
        pickle.dump((data, fields | {"status": sol.status.value}), f)
    return path


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", default="cap71,cap131", help="comma-separated cap* names")
    ap.add_argument("--stages", default="full", help=f"comma-separated, of {', '.join(STAGES)}")
    ap.add_argument("--repeat", type=int, default=10, help="measured calls per count")
    ap.add_argument("--rev", default=None, help="also count git revision REV (e.g. HEAD~1)")
    ap.add_argument("--out", default="instr_bench", help="JSON name in results/")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        src, data, stage, repeat, flag = args.child
        _child(src, data, stage, int(repeat), flag)
        return
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind (with callgrind_control) is not installed")
    stages = [s for s in args.stages.split(",") if s]
    if unknown := set(stages) - set(STAGES):
        raise SystemExit(f"unknown stages: {', '.join(sorted(unknown))}")
    info = c.machine()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        trees = {"working tree": c.ROOT / "src"}
        if args.rev:
            trees[args.rev] = c.export_src(args.rev, tmp)
        for name in [n for n in args.instances.split(",") if n]:
            data = _prepare(name, tmp)
            for stage in stages:
                row: dict[str, Any] = {"instance": name, "stage": stage}
                for label, src in trees.items():
                    print(f"[{name}] {stage}: {label} ...", file=sys.stderr, flush=True)
                    row[label] = _count(src, data, stage, args.repeat, tmp)
                results.append(row)
    labels = list(trees)
    rows = []
    for r in results:
        cells = [f"{r[k] / 1e6:.2f} M" for k in labels]
        if len(labels) == 2:
            cells.append(f"{r[labels[0]] / r[labels[1]]:.3f}")
        rows.append([r["instance"], r["stage"], *cells])
    header = ["instance", "stage", *labels] + (
        [f"{labels[0]} / {labels[1]}"] if len(labels) == 2 else []
    )
    text = "\n".join(
        [
            "### Instructions per call outside the solver (callgrind; solve replaced by its result)",
            c.table(header, rows),
        ]
    )
    c.finish(args.out, info, results, text)


if __name__ == "__main__":
    main()
