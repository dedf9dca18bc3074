"""The bounds of :func:`evfab.generate.generate`'s arguments.

Apart from the generator, so that the command line can state them in its options without
loading numpy and the scenario models (``evfab --help`` stays quick).
"""

from __future__ import annotations

MAX_PROGRAMS = 20_000
"""Most programs :func:`~evfab.generate.generate` makes: ten times the largest benchmark size. At this
size generating takes about 2 s, writing the YAML (12 MB) about 17 s and the process
peaks near 600 MB; far more only eats memory and time."""
MAX_PLANTS = 10_000
"""Most existing plants :func:`~evfab.generate.generate` makes (ten times the largest benchmark size)."""
MIN_COMPANIES = 2
"""Fewest companies: one newcomer and one licensed automaker."""
MAX_COMPANIES = 10_000
"""Most companies :func:`~evfab.generate.generate` makes."""
MAX_YEARS = 50
"""Most planning years."""
MIN_START_YEAR = 1990
"""Earliest first planning year (a scenario's ``as_of`` is 1990 at the earliest)."""
MAX_HORIZON = 2100
"""Latest last planning year (``start_year + years - 1``), as a scenario's horizon allows."""
MAX_SEED = 2**63 - 1
"""Largest seed (a signed 64-bit integer, as command lines and JSON carry it)."""

__all__ = [
    "MAX_COMPANIES",
    "MAX_HORIZON",
    "MAX_PLANTS",
    "MAX_PROGRAMS",
    "MAX_SEED",
    "MAX_YEARS",
    "MIN_COMPANIES",
    "MIN_START_YEAR",
]
