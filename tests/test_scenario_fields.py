"""Field types of the scenario schema, checked one by one and over generated values."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from evfab._scenario_fields import (
    MAX_DATE,
    MAX_MONEY,
    MIN_DATE,
    AsOf,
    Cars,
    Date,
    Id,
    Money,
    Year,
)

DATE: TypeAdapter[dt.date] = TypeAdapter(Date)
AS_OF: TypeAdapter[dt.date] = TypeAdapter(AsOf)
YEAR: TypeAdapter[int] = TypeAdapter(Year)
CARS: TypeAdapter[int] = TypeAdapter(Cars)
MONEY: TypeAdapter[float] = TypeAdapter(Money)
ID: TypeAdapter[str] = TypeAdapter(Id)


def refused(adapter: TypeAdapter[Any], value: object) -> str:
    with pytest.raises(ValidationError) as info:
        adapter.validate_python(value)
    return str(info.value)


@given(st.dates(min_value=MIN_DATE, max_value=MAX_DATE))
def test_a_date_reads_back_from_every_spelling(day: dt.date) -> None:
    assert DATE.validate_python(day) == day
    assert DATE.validate_python(day.isoformat()) == day
    assert DATE.validate_python(f"{day.year}-{day.month}-{day.day}") == day
    assert DATE.validate_python(f" {day.year:04d}-{day.month:02d} ") == day.replace(day=1)


@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_a_date_outside_the_range_names_the_range(day: dt.date) -> None:
    if MIN_DATE <= day <= MAX_DATE:
        assert DATE.validate_python(day) == day
    else:
        assert f"outside {MIN_DATE.year}-{MAX_DATE.year}" in refused(DATE, day)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (20220801, "is a number, not a date"),
        (2022.5, "is a number, not a date"),
        ("2022-13-01", "is not a valid date"),
        ("2022-02-30", "is not a valid date"),
        ("1 August 2022", "is not a valid date"),
        (dt.datetime(2022, 8, 1, 9, 30), "has a time of day"),
    ],
)
def test_a_date_refuses_what_was_surely_a_typo(value: object, says: str) -> None:
    assert says in refused(DATE, value)


def test_as_of_keeps_to_the_years_a_scenario_may_plan() -> None:
    assert AS_OF.validate_python("2022-08") == dt.date(2022, 8, 1)
    assert "outside 1990-2100" in refused(AS_OF, "1950-01-01")


@given(st.integers(min_value=0, max_value=99_999))
def test_a_year_key_may_be_text_of_digits(year: int) -> None:
    assert YEAR.validate_python(year) == year
    assert YEAR.validate_python(str(year)) == year


@pytest.mark.parametrize("value", [True, "2024a", "", 2024.0, None])
def test_a_year_key_refuses_anything_else(value: object) -> None:
    assert "is not a year" in refused(YEAR, value)


@given(st.booleans())
def test_numbers_refuse_true_and_false(flag: bool) -> None:
    assert "expected a number, got " + str(flag).lower() in refused(CARS, flag)
    assert "expected a number" in refused(MONEY, flag)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_money_is_finite_and_within_bounds(amount: float) -> None:
    if 0 <= amount <= MAX_MONEY:
        assert MONEY.validate_python(amount) == amount
    else:
        refused(MONEY, amount)


@given(st.text(min_size=1, max_size=12))
def test_an_id_starts_with_a_letter_or_digit_and_has_no_spaces(text: str) -> None:
    ok = (
        text[0].isascii()
        and text[0].isalnum()
        and all(c.isascii() and (c.isalnum() or c in "_.-") for c in text)
    )
    if ok:
        assert ID.validate_python(text) == text
    else:
        refused(ID, text)
