"""Field types of the scenario schema: dates, years, bounded numbers and ids.

Each type refuses what a scenario author most likely did not mean (a number for a date,
``true`` for a count, a duration of centuries) with a message saying what was written.
The models that use them are in :mod:`evfab._scenario`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

_DATE = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")

MIN_DATE = dt.date(1900, 1, 1)
"""Earliest date a scenario may give (``history`` reaches back to the first plants)."""
MAX_DATE = dt.date(2200, 12, 31)
"""Latest date a scenario may give."""
MAX_MONTHS = 600
"""Longest duration, months (50 years): longer is a typo, and would carry dates past 9999."""
MAX_MONEY = 1e14
"""Largest one-off amount (fee, price, capex, budget) in the scenario's currency: 100
trillion, enough for any deal even in currencies of small unit; larger breaks the solver."""
MAX_PER_CAR = 1e10
"""Largest amount per vehicle (fee, cost, margin, logistics) in the scenario's currency."""


def _to_date(value: Any) -> Any:
    """Accept YAML dates, ``YYYY-MM-DD`` and ``YYYY-MM`` (the first of that month).

    Month and day may have one digit (``2022-8-1``); numbers, times of day and other
    text are refused with a message saying what was written.
    """
    if isinstance(value, dt.datetime):
        raise ValueError(f"{value} has a time of day; a date has none")
    if isinstance(value, bool) or value is None:
        return value  # pydantic says "expected a date"
    if isinstance(value, int | float):
        # pydantic would read a number as seconds since 1970; in a scenario it is a typo.
        raise ValueError(f"{value!r} is a number, not a date")
    if isinstance(value, str):
        m = _DATE.match(value.strip())
        if not m:
            raise ValueError(f"{value!r} is not a valid date")
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
        try:
            return dt.date(year, month, day)
        except ValueError as exc:  # month 13, 30 February ...
            raise ValueError(f"{m.group(0)!r} is not a valid date: {exc}") from None
    return value


def _parse_date(value: Any) -> Any:
    """A date between :data:`MIN_DATE` and :data:`MAX_DATE` (see :func:`_to_date`)."""
    value = _to_date(value)
    if isinstance(value, dt.date) and not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"{value} is outside {MIN_DATE.year}-{MAX_DATE.year}")
    return value


Date = Annotated[dt.date, BeforeValidator(_parse_date)]
"""A calendar date from 1900 to 2200; ``YYYY-MM`` means the first day of that month."""


def _parse_as_of(value: Any) -> Any:
    value = _to_date(value)
    if isinstance(value, dt.date) and not 1990 <= value.year <= 2100:
        raise ValueError(f"as_of {value} is outside 1990-2100, the years a scenario may plan")
    return value


AsOf = Annotated[dt.date, BeforeValidator(_parse_as_of)]
"""The scenario's date, from 1990 to 2100 like ``horizon``."""


def _parse_year(value: Any) -> Any:
    """A year key: an integer, or text of digits only (YAML keys arrive as text)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"key {value!r} is not a year")


Year = Annotated[int, BeforeValidator(_parse_year)]
"""A calendar year used as a mapping key, e.g. ``2024``."""


def _not_bool(value: Any) -> Any:
    """Refuse true/false where a number is expected (pydantic would read true as 1)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    return value


NoBool = BeforeValidator(_not_bool)
"""Put on every numeric field: ``capacity: true`` read as 1 car a year without a word."""

Fraction = Annotated[float, NoBool, Field(ge=0.0, le=1.0)]
"""A number between 0 and 1."""

Cars = Annotated[int, NoBool, Field(ge=0, le=100_000_000)]
"""A number of vehicles (per year where the field says so); at most 100 million."""

Months = Annotated[float, NoBool, Field(ge=0, le=MAX_MONTHS)]
"""A number of months, 0 to 600."""

Money = Annotated[float, NoBool, Field(ge=0, le=MAX_MONEY)]
"""A one-off amount in the scenario's currency, 0 to 1e14."""

PerCar = Annotated[float, NoBool, Field(ge=0, le=MAX_PER_CAR)]
"""An amount per vehicle in the scenario's currency, 0 to 1e10."""

Id = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
"""An identifier: letters, digits, ``_``, ``-`` and ``.``."""
