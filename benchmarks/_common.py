"""Shared helpers for the benchmark scripts: timing, statistics, machine description, output.

Not part of the package and not part of the test suite; imported by the scripts in this
folder (each script puts this folder on ``sys.path`` when run as ``python benchmarks/x.py``).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ROOT = HERE.parent

T = TypeVar("T")


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo ("unknown" elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def git_state() -> dict[str, Any]:
    """Commit and locally modified files of the working tree the numbers came from."""

    def git(*args: str) -> str:
        try:
            cp = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return cp.stdout.strip() if cp.returncode == 0 else ""

    changed = [line[3:] for line in git("status", "--porcelain").splitlines()]
    return {
        "commit": git("rev-parse", "HEAD") or None,
        "modified_in_src": [f for f in changed if f.startswith("src/")],
    }


def machine() -> dict[str, Any]:
    """A description of the machine and the software versions the numbers came from."""
    load: list[float] | None
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    mem_gb: float | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gb": mem_gb,
        "load_average_at_start": load,
        "python": sys.version.split()[0],
        "numpy": _version("numpy"),
        "highspy": _version("highspy"),
        "pyomo": _version("pyomo"),
        "pandas": _version("pandas"),
        "evfab": _version("evfab"),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "git": git_state(),
    }


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """Call ``fn`` once; return its result and the wall time in seconds (perf_counter)."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


@contextmanager
def stopwatch(into: dict[str, list[float]], key: str) -> Iterator[None]:
    """Append the wall time of the ``with`` block to ``into[key]``."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        into.setdefault(key, []).append(time.perf_counter() - t0)


def median(xs: Sequence[float]) -> float:
    """Median of the samples (NaN when there are none)."""
    return float(statistics.median(xs)) if xs else float("nan")


def summary(samples: dict[str, list[float]]) -> dict[str, dict[str, Any]]:
    """Median, min, max and the raw samples of every timed quantity."""
    return {
        k: {"median": median(v), "min": min(v), "max": max(v), "n": len(v), "samples": v}
        for k, v in samples.items()
        if v
    }


def _status_mb(key: str) -> float | None:
    """A memory figure (kB) from /proc/self/status in MiB, None where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Current resident set size, MiB (VmRSS; falls back to the peak elsewhere)."""
    now = _status_mb("VmRSS")
    return now if now is not None else maxrss_mb()


def peak_rss_mb() -> float:
    """Peak resident set size since the process started or since :func:`reset_peak_rss`.

    Uses VmHWM from /proc/self/status, which belongs to this process's address space.
    ``ru_maxrss`` is not used on Linux: it survives ``execve`` and so starts at the
    parent's resident size in a subprocess.
    """
    peak = _status_mb("VmHWM")
    return peak if peak is not None else maxrss_mb()


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def maxrss_mb() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    scale = 1024 if sys.platform != "darwin" else 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1024**2


def fmt_s(x: float) -> str:
    """Seconds with a sensible number of digits."""
    if x != x:
        return "-"
    if x < 0.01:
        return f"{x * 1000:.2f} ms"
    if x < 1:
        return f"{x * 1000:.0f} ms"
    return f"{x:.2f} s"


def fmt_x(x: float) -> str:
    """A ratio."""
    return "-" if x != x else f"{x:.1f}x" if x >= 10 else f"{x:.2f}x"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def write_json(name: str, payload: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=_jsonable) + "\n")
    return path


def save_results(name: str, machine_info: dict[str, Any], results: list[dict[str, Any]]) -> None:
    """Write the results so far (a long run leaves the finished parts behind)."""
    write_json(name, {"machine": machine_info, "argv": sys.argv[1:], "results": results})


def finish(
    name: str, machine_info: dict[str, Any], results: list[dict[str, Any]], text: str
) -> dict[str, Any]:
    """Print the report, write results plus report to ``results/<name>.json``, return them."""
    print(text)
    payload = {"machine": machine_info, "argv": sys.argv[1:], "results": results, "markdown": text}
    path = write_json(name, payload)
    # An absolute --out lands outside the repository; show it as given.
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"\nwritten {shown}", file=sys.stderr)
    return payload


def _jsonable(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    if hasattr(x, "tolist"):
        return x.tolist()
    return str(x)


def export_src(rev: str, tmp: Path) -> Path:
    """The package's ``src`` as of git revision ``rev``, exported under ``tmp``.

    Put the returned folder first on ``sys.path`` (or ``PYTHONPATH``) to import that evfab.
    """
    out = tmp / f"rev-{''.join(ch if ch.isalnum() else '_' for ch in rev)}"
    out.mkdir()
    archive = subprocess.run(
        ["git", "archive", rev, "src"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out / "src"


def rel_diff(a: float, b: float) -> float:
    """Relative difference |a - b| / max(1, |b|)."""
    return abs(a - b) / max(1.0, abs(b))
