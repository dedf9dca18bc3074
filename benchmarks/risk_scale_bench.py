"""Risk engine at industry scale: a generated industry, every usable route, two code versions.

``risk_bench.py`` measures the engine on xiaomi-2022's few routes against a per-sample loop.
This script measures what an analyst sampling a whole generated industry waits for: the
whole :func:`evfab.risk.sample_routes` call over every usable route of a generated scenario,
with fixed demand (most routes then take the tabulated fast path) and with a demand spread
(every route takes the general path), and its peak memory.

With ``--rev REV`` the package as of git revision REV (its ``src`` exported) runs side by
side: each measurement is a fresh child process, the two versions alternate, and the table
gives medians and the ratio. Timings on the shared 2-core machine drift, so compare the
ratio, not the seconds across runs.

Run::

    .venv/bin/python benchmarks/risk_scale_bench.py --rev d3c11ed          # ~5 min
    .venv/bin/python benchmarks/risk_scale_bench.py --programs 100 --repeats 1   # quick
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import evfab
from evfab.risk import RiskOptions, sample_routes
world = evfab.compile(evfab.load(sys.argv[2]))
routes = [r for r in evfab.derive_routes(world) if r.usable]
opts = RiskOptions(samples=int(sys.argv[3]), seed=1, demand_spread=float(sys.argv[4]))
sample_routes(world, routes[:50], RiskOptions(samples=1000))  # warm-up: lazy imports
t0 = time.perf_counter()
res = sample_routes(world, routes, opts)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "routes": len(routes),
                  "p_success": float(res.summary["p_success"].mean())}))
"""


def _measure(src: Path, scenario: Path, samples: int, spread: float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(scenario), str(samples), str(spread)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command line entry point; returns the results written to JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--programs", type=int, default=500)
    ap.add_argument("--plants", type=int, default=200)
    ap.add_argument("--companies", type=int, default=50)
    ap.add_argument("--samples", type=int, default=20_000)
    ap.add_argument("--spreads", default="0,0.2", help="comma-separated demand spreads")
    ap.add_argument("--repeats", type=int, default=3, help="child processes per version and case")
    ap.add_argument("--rev", default=None, help="also run git revision REV (e.g. d3c11ed)")
    ap.add_argument("--out", default="risk_scale_bench", help="JSON name in results/")
    args = ap.parse_args(argv)
    from evfab.generate import generate_yaml

    spreads = [float(s) for s in args.spreads.split(",") if s]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        scenario = tmp / "industry.yaml"
        scenario.write_text(
            generate_yaml(
                programs=args.programs,
                plants=args.plants,
                companies=args.companies,
                years=10,
                seed=1,
            )
        )
        trees = {"working tree": c.ROOT / "src"}
        if args.rev:
            trees[args.rev] = c.export_src(args.rev, tmp)
        runs: dict[tuple[str, float], list[dict[str, Any]]] = defaultdict(list)
        for i in range(args.repeats):
            for spread in spreads:
                order = list(trees) if i % 2 == 0 else list(reversed(trees))
                for name in order:
                    print(f"repeat {i + 1}: {name}, spread {spread}", file=sys.stderr, flush=True)
                    runs[(name, spread)].append(
                        _measure(trees[name], scenario, args.samples, spread)
                    )
    rows, results = [], []
    for spread in spreads:
        med = {
            name: {
                k: c.median([r[k] for r in runs[(name, spread)]]) for k in ("seconds", "peak_mb")
            }
            for name in trees
        }
        routes = runs[("working tree", spread)][0]["routes"]
        base = med.get(args.rev or "", {}).get("seconds")
        rows.append(
            [
                f"{spread:g}",
                f"{routes:,}",
                *(f"{c.fmt_s(med[n]['seconds'])} ({med[n]['peak_mb']:,.0f} MB)" for n in trees),
                c.fmt_x(base / med["working tree"]["seconds"]) if base else "-",
            ]
        )
        results.append(
            {
                "spread": spread,
                "routes": routes,
                "samples": args.samples,
                "runs": {n: runs[(n, spread)] for n in trees},
                "median": med,
            }
        )
    markdown = "\n".join(
        [
            f"### Risk at scale: {args.programs} generated programs, {args.samples:,} samples "
            f"(medians of {args.repeats} child processes)",
            c.table(["demand spread", "routes", *(f"{n} (peak)" for n in trees), "speed-up"], rows),
        ]
    )
    print(markdown)
    payload = {"machine": c.machine(), "argv": sys.argv, "results": results, "markdown": markdown}
    c.write_json(args.out, payload)
    return payload


if __name__ == "__main__":
    main()
