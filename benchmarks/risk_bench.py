"""Risk engine throughput: the vectorised engine against a per-sample Python loop of the same model.

Goal (from the issue): on the xiaomi-2022 routes, at least 100x the loop's route-samples per
second, and at least 10 million route-samples per second per core.

Both run in the same process, interleaved, ``--repeats`` times; the table reports medians. The
engine is timed over the whole :func:`evfab.risk.sample_routes` call (compiling the recipes,
tabulating volumes, sampling and summarising), not just its inner loop. Before numpy is imported
the process is pinned to one CPU (``os.sched_setaffinity``) and BLAS/OpenMP pools are limited
to one thread, so "per core" means one core; the JSON says whether pinning succeeded.

:func:`reference_sample` is the loop: a plain-Python reading of the engine's model, one sample
and one route at a time with ``random.Random`` scalar draws. ``tests/test_risk.py`` imports it
to check that the engine agrees with it within Monte Carlo error.

Run::

    .venv/bin/python benchmarks/risk_bench.py            # 1M engine samples, 5,000 loop samples
    .venv/bin/python benchmarks/risk_bench.py --quick    # 500k engine, 1,000 loop samples: < 30 s

Writes ``benchmarks/results/risk.json``.
"""

from __future__ import annotations

import os


def _pin_one_core() -> bool:
    """Pin this process to one CPU it may run on and cap thread pools at one; True if pinned."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        allowed = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {allowed[0]})
    except (AttributeError, OSError):  # not Linux, or not allowed
        return False
    return True


# NOTE: pinning must happen before numpy starts its BLAS threads, hence before the imports
# below; when this file is imported (by the tests) nothing is pinned.
PINNED = _pin_one_core() if __name__ == "__main__" else False

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import evfab  # noqa: E402
from evfab._timing import DAYS_PER_MONTH  # noqa: E402
from evfab._world import World  # noqa: E402
from evfab.risk import RiskOptions, sample_routes  # noqa: E402
from evfab.rules import Route  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "risk.json"


# --- the reference: one sample, one route at a time --------------------------------


@dataclass
class RefStats:
    """Per-route sums over samples (for means and their standard errors)."""

    years: list[int]
    started: int = 0
    on_target: int = 0
    cars: float = 0.0
    cars2: float = 0.0
    built: float = 0.0
    built2: float = 0.0
    cost: float = 0.0
    cost2: float = 0.0
    available_by_year: list[float] = field(default_factory=list)
    built_by_year: list[float] = field(default_factory=list)


@dataclass
class RefResult:
    """What the loop estimates, per program and route (key ``program/route``)."""

    samples: int
    seconds: float
    stats: dict[str, RefStats]

    def mean(self, route: str, what: str) -> float:
        """Mean per sample of ``started``, ``on_target``, ``cars``, ``built`` or ``cost``."""
        return float(getattr(self.stats[route], what)) / self.samples

    def se(self, route: str, what: str) -> float:
        """Standard error of :meth:`mean` (from the samples' own spread)."""
        st, n = self.stats[route], self.samples
        if what in ("started", "on_target"):
            p = getattr(st, what) / n
            return math.sqrt(p * (1 - p) / n)
        m, m2 = getattr(st, what) / n, getattr(st, what + "2") / n
        return math.sqrt(max(m2 - m * m, 0.0) / n)

    @property
    def route_samples_per_second(self) -> float:
        """Throughput."""
        return self.samples * len(self.stats) / self.seconds


@dataclass
class _Prepared:
    """A route's recipe as plain Python values (days since as_of, lists by year)."""

    id: str
    program: str
    licence: tuple[float, list[str], list[tuple[float, float]]]
    access: tuple[float, list[str], list[tuple[float, float]]]
    phases: list[tuple[float, float, list[str]]]
    off: list[tuple[float, float]]
    free: list[float]
    limit: list[float]
    events: list[str]
    chances: dict[
        str, tuple[tuple[float, list[str], list[tuple[float, float]]], list[tuple[float, float]]]
    ]
    """Events whose chance depends on their date: their path and (day from, chance) list."""
    deadline: float | None
    target: float
    demand: list[float]
    unit_cost: float
    ramp: tuple[float, float, float] | None
    fees: list[tuple[str, float]]
    waiver: float


def _tri(u: float, lo: float, mode: float, hi: float) -> float:
    """Triangular inverse CDF for one uniform (used for the ramp, from each program's own
    uniform; durations use ``random.Random.triangular``)."""
    if hi <= lo:
        return lo
    c = (mode - lo) / (hi - lo)
    if u < c:
        return lo + math.sqrt(u * (hi - lo) * (mode - lo))
    return hi - math.sqrt((1 - u) * (hi - lo) * (hi - mode))


def _reach(
    months: dict[str, float],
    base: float,
    keys: list[str],
    bans: list[tuple[float, float]] | None = None,
) -> float:
    """Day a path is reached: its base plus its durations' sum, rounded to a day, moved out
    of any ban it falls in."""
    d = base + round(sum(months[k] for k in keys) * DAYS_PER_MONTH) if keys else base
    return _lift(d, bans or [])


def _lift(d: float, bans: list[tuple[float, float]]) -> float:
    """``d`` moved to the end of the ban ``[start, end)`` it falls in (inf: never)."""
    for s, e in bans:
        if s <= d < e:
            return e
    return d


def _draw(rng: random.Random, lo: float, mode: float, hi: float, after: float) -> float:
    """A triangular duration; one that has run ``after`` months without ending is redrawn
    until it lasts longer (a plain rejection sampler, unlike the engine's inverse CDF)."""
    if after >= hi:
        return hi
    while True:
        x = rng.triangular(lo, hi, mode)
        if x > after:
            return x


def _ramp_integral(t: float, s: float, r: float) -> float:
    """Integral of min(1, (x - s) / r) for x from s to t."""
    x = max(t - s, 0.0)
    return x * x / (2 * r) if x < r else r / 2 + (x - r)


def reference_sample(
    world: World, routes: list[Route], samples: int, seed: int = 0, demand_spread: float = 0.0
) -> RefResult:
    """The engine's model as a per-sample Python loop.

    Per sample: every distinct duration drawn once (``random.Random.triangular``, shared by the
    routes that use it; one already running on as_of is redrawn until it lasts longer than
    what has passed), every event once (an approval, or a plant's fit with the minimum capacity,
    at the chance in force on its grant day), each program's demand factor and ramp once; per
    route: each path is its base date plus the sum of its steps rounded to a day, moved to
    the end of a policy ban it falls in (never, if the ban does not end); SOP = latest of
    licence, access and the first phase ready (not before as_of), moved out of the route's
    off intervals the same way; the route starts if its events happen, the SOP is inside the
    horizon and before a dormant licence's deadline; each phase counts from the later of its
    ready day and the SOP, minus the days inside off intervals, prorated by days in the year,
    times the free share and the route's share, capped by the contract's limit; times a
    linear ramp when the program has one; built = min(available, demand x demand factor);
    cost = unit cost x discounted built, plus each offer's fee when its deal is concluded and
    a badge waiver when the route starts.
    """
    rng = random.Random(seed)
    as_of = world.as_of
    years = [int(y) for y in world.years]
    starts = [float((dt.date(y, 1, 1) - as_of).days) for y in years]
    ends = [float((dt.date(y + 1, 1, 1) - as_of).days) for y in years]
    horizon_end = ends[-1]
    discount = [(1.0 + world.discount_rate) ** -(y - years[0]) for y in years]
    programs = [str(g) for g in world.programs.index]

    def days(d: dt.date) -> float:
        return float((d - as_of).days)

    def ban_days(bans: Any) -> list[tuple[float, float]]:
        return [
            (-math.inf if s is None else days(s), math.inf if e is None else days(e))
            for s, e in bans
        ]

    steps: dict[str, tuple[float, float, float, float]] = {}
    events: dict[str, float] = {}
    prepared = []

    def path_of(p: Any) -> tuple[float, list[str], list[tuple[float, float]]]:
        return (days(p.base), [s.key for s in p.steps], ban_days(p.bans))

    for r in routes:
        if r.timing is None:
            raise ValueError(f"route {r.id} carries no timing recipe")
        t = r.timing
        for s in t.steps():
            steps.setdefault(s.key, (s.min, s.mode, s.max, s.after))
        for e in t.events:
            events.setdefault(e.key, e.probability)
        fees = []
        for o in r.offers:
            row = world.offer(o)
            year = (as_of + dt.timedelta(days=row["lead_months"].mode * DAYS_PER_MONTH)).year
            df = (1.0 + world.discount_rate) ** -max(0, year - years[0])
            fees.append((f"offer:{o}:success", float(row["fixed_fee"]) * df))
        ramp: Any = world.programs.at[r.program, "ramp"]  # a Duration, or None
        prepared.append(
            _Prepared(
                id=r.id,
                program=r.program,
                licence=path_of(t.licence),
                access=path_of(t.access),
                phases=[
                    (ph.capacity, days(ph.ready.base), [s.key for s in ph.ready.steps])
                    for ph in t.phases
                ],
                off=ban_days(t.off),
                free=[f * t.share for f in t.free_share],
                limit=[float(t.limit.get(y, math.inf)) for y in years],
                events=[e.key for e in t.events],
                chances={
                    e.key: (path_of(e.at), [(days(d), p) for d, p in e.by_date])
                    for e in t.events
                    if e.by_date and e.at is not None
                },
                deadline=None if t.deadline is None else days(t.deadline),
                target=days(r.target_sop),
                demand=[float(x) for x in world.demand[programs.index(r.program)]],
                unit_cost=r.unit_cost,
                ramp=None if ramp is None or ramp != ramp else (ramp.min, ramp.mode, ramp.max),
                fees=fees,
                waiver=r.badge_waiver_fee,
            )
        )
    stats = {
        f"{p.program}/{p.id}": RefStats(
            years, available_by_year=[0.0] * len(years), built_by_year=[0.0] * len(years)
        )
        for p in prepared
    }
    t0 = time.perf_counter()
    for _ in range(samples):
        m = {k: _draw(rng, lo, mode, hi, after) for k, (lo, mode, hi, after) in steps.items()}
        uniform = {k: rng.random() for k in events}
        happened = {k: uniform[k] < p for k, p in events.items()}
        factors = {
            g: rng.triangular(1 - demand_spread, 1 + demand_spread, 1.0) if demand_spread else 1.0
            for g in programs
        }
        ramp_us = {g: rng.random() for g in programs}
        for p in prepared:
            st = stats[f"{p.program}/{p.id}"]
            factor, ramp_u = factors[p.program], ramp_us[p.program]
            ready = [_reach(m, b, ks) for _, b, ks in p.phases]
            sop = max(_reach(m, *p.licence), _reach(m, *p.access), max(min(ready), 0.0))
            sop = _lift(sop, p.off)
            cost = sum(fee for key, fee in p.fees if happened.get(key, True))
            for k, (at, by_date) in p.chances.items():  # the chance in force on its date
                when, chance = _reach(m, *at), by_date[0][1]
                for since, c in by_date:
                    chance = c if since <= when else chance
                happened[k] = uniform[k] < chance
            ok = (
                sop < horizon_end
                and all(happened[k] for k in p.events)
                and (p.deadline is None or sop < p.deadline)
            )
            cars_total = built_total = 0.0
            if ok:
                st.started += 1
                st.on_target += sop <= p.target
                cost += p.waiver
                ramp_days = 0.0
                if p.ramp is not None:
                    ramp_days = _tri(ramp_u, *p.ramp) * DAYS_PER_MONTH
                for j in range(len(years)):
                    cars = 0.0
                    for (cap, _, _), rdy in zip(p.phases, ready, strict=True):
                        lo = max(rdy, sop, starts[j])
                        producing = max(ends[j] - lo, 0.0) - sum(
                            max(min(ends[j], e) - max(lo, s), 0.0) for s, e in p.off
                        )
                        cars += cap * producing / (ends[j] - starts[j])
                    cars = min(cars * p.free[j], p.limit[j])
                    if ramp_days > 0:
                        a = max(starts[j], sop)
                        if ends[j] > a:
                            rd = max(ramp_days, 1e-9)
                            cars *= (
                                _ramp_integral(ends[j], sop, rd) - _ramp_integral(a, sop, rd)
                            ) / (ends[j] - a)
                    built = min(cars, p.demand[j] * factor)
                    st.available_by_year[j] += cars
                    st.built_by_year[j] += built
                    cars_total += cars
                    built_total += built
                    cost += p.unit_cost * built * discount[j]
            st.cars += cars_total
            st.cars2 += cars_total * cars_total
            st.built += built_total
            st.built2 += built_total * built_total
            st.cost += cost
            st.cost2 += cost * cost
    return RefResult(samples, time.perf_counter() - t0, stats)


# --- the benchmark -------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Where the numbers were measured."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "platform": platform.platform(),
        "cpu_model": model,
        "cores": os.cpu_count(),
        "cores_used": usable,
        "pinned_to_one_core": PINNED,
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "numpy": np.__version__,
        "evfab": evfab.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller runs, under 30 s")
    ap.add_argument("--repeats", type=int, default=5, help="interleaved repeats (median kept)")
    ap.add_argument("--engine-samples", type=int, default=None)
    ap.add_argument("--loop-samples", type=int, default=None)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    n_engine = args.engine_samples or (500_000 if args.quick else 1_000_000)
    n_loop = args.loop_samples or (1_000 if args.quick else 5_000)

    world = evfab.compile(evfab.load("xiaomi-2022"))
    routes = [r for r in evfab.derive_routes(world) if r.legal]
    sample_routes(world, routes, RiskOptions(samples=10_000))  # warm-up (imports, caches)
    engine_s, engine_reported, loop_s = [], [], []
    res = ref = None
    for i in range(args.repeats):
        t0 = time.perf_counter()
        res = sample_routes(world, routes, RiskOptions(samples=n_engine, seed=i))
        engine_s.append(time.perf_counter() - t0)
        engine_reported.append(res.route_samples_per_second)
        t0 = time.perf_counter()
        ref = reference_sample(world, routes, n_loop, seed=i)
        loop_s.append(time.perf_counter() - t0)
    assert res is not None and ref is not None
    k = len(routes)
    e_med, l_med = statistics.median(engine_s), statistics.median(loop_s)
    e_rate, l_rate = n_engine * k / e_med, n_loop * k / l_med
    ratio = e_rate / l_rate

    # The last pair of runs should agree within Monte Carlo error (a sanity check, not a test).
    z = 0.0
    for row in res.summary.to_dict("records"):
        rid = f"{row['program']}/{row['route']}"
        p, q = float(row["p_success"]), ref.mean(rid, "started")
        se = math.sqrt(max(p * (1 - p), 1e-12) * (1 / n_engine + 1 / n_loop))
        z = max(z, abs(p - q) / se)

    report = {
        "benchmark": "risk",
        "scenario": "xiaomi-2022",
        "routes": k,
        "repeats": args.repeats,
        "quick": args.quick,
        "engine": {
            "samples": n_engine,
            "seconds_median": e_med,
            "seconds": engine_s,
            "reported_by_engine_route_samples_per_second_median": statistics.median(
                engine_reported
            ),
            "route_samples_per_second": e_rate,
        },
        "loop": {
            "samples": n_loop,
            "seconds_median": l_med,
            "seconds": loop_s,
            "route_samples_per_second": l_rate,
        },
        "speedup": ratio,
        "goals": {
            "speedup_at_least_100x": ratio >= 100,
            "at_least_10M_route_samples_per_second_per_core": e_rate >= 10e6 and PINNED,
        },
        "max_abs_z_p_success_engine_vs_loop": z,
        "machine": machine(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    mach = report["machine"]
    print(
        f"## Risk engine: xiaomi-2022, {k} legal routes, median of {args.repeats} interleaved runs\n"
    )
    print("| | samples | median s | route-samples/s |")
    print("|---|---:|---:|---:|")
    print(
        f"| vectorised engine (whole `sample_routes` call) | {n_engine:,} | {e_med:.3f} | {e_rate / 1e6:.1f} M |"
    )
    print(f"| per-sample Python loop | {n_loop:,} | {l_med:.3f} | {l_rate / 1e3:.1f} k |")
    print(f"| **speedup** | | | **{ratio:,.0f}x** |")
    print()
    print(
        f"Goals: >= 100x: {'met' if ratio >= 100 else 'NOT met'}; "
        f">= 10M route-samples/s per core: {'met' if e_rate >= 10e6 else 'NOT met'}"
        f"{'' if PINNED else ' (process NOT pinned to one core)'}."
    )
    print(
        f"Engine's own figure (RiskResult.route_samples_per_second, whole call): median "
        f"{statistics.median(engine_reported) / 1e6:.1f} M. "
        f"Engine vs loop P(starts): max |z| = {z:.2f}."
    )
    used = "pinned to 1" if PINNED else f"{mach['cores_used']} usable, not pinned"
    print(
        f"Machine: {mach['cpu_model']}, {mach['cores']} cores ({used}), "
        f"{mach['platform']}, Python {mach['python']}, numpy {mach['numpy']}."
    )
    print(f"Wrote {args.out}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
