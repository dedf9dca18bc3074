"""Numbers in words for reports and explanations: money and counts (no rich, no I/O)."""

from __future__ import annotations

import math


def money(x: float, currency: str = "") -> str:
    """Compact money, to about three significant figures.

    Amounts below a million are shown in full (``950,444``); from a million on, with
    three significant figures and no trailing zeros (``1.04m``, ``12.7m``, ``650m``,
    ``2.05bn``, ``2.5bn``); from a thousand billion on, in whole billions (``1,234bn``).

    Args:
        x: The amount.
        currency: Appended after a space when given.

    Returns:
        The text, e.g. ``1.04m`` or ``-2.05bn CNY``.
    """
    a = abs(x)
    if not math.isfinite(x):
        s = str(a)
    elif round(a) < 1e6:
        s = f"{a:,.0f}"
    elif a >= 1e12:
        s = f"{a / 1e9:,.0f}bn"
    else:
        r = float(f"{a:.3g}")  # rounded first, so 999.7m becomes 1bn, not 1000m
        scale, unit = (1e9, "bn") if r >= 1e9 else (1e6, "m")
        v = r / scale
        decimals = max(0, 2 - math.floor(math.log10(v) + 1e-9))
        s = f"{v:,.{decimals}f}"
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        s += unit
    sign = "-" if x < 0 and s != "0" else ""
    return f"{sign}{s}{' ' + currency if currency else ''}"


def plural(n: float, word: str, many: str = "") -> str:
    """A count with its noun in the right number: ``1 plant``, ``2 plants``, ``1.5 months``.

    Args:
        n: The count (integers get thousands separators, other numbers ``:g``).
        word: The singular noun.
        many: The plural, when it is not ``word + "s"``.

    Returns:
        The count and the noun.
    """
    count = f"{int(n):,}" if float(n).is_integer() else f"{n:g}"
    return f"{count} {word if n == 1 else many or word + 's'}"


def cars_short(n: float) -> str:
    """A number of cars, short: ``950``, ``85k``, ``1.2m`` (rounded first, so 999,600 is
    ``1.0m``, not ``1000k``).

    Args:
        n: The cars.

    Returns:
        The text (``-`` for NaN or infinity).
    """
    if not math.isfinite(n):
        return "-"
    a = abs(n)
    sign = "-" if round(n) < 0 else ""
    if round(a) < 1000:
        return f"{sign}{a:,.0f}"
    if round(a / 1e3) < 1000:
        return f"{sign}{a / 1e3:,.0f}k"
    return f"{sign}{a / 1e6:,.1f}m"


def runs(nums: list[int]) -> str:
    """Whole numbers in order, runs shortened: ``1-3, 7, 9-10`` (row numbers, years).

    Args:
        nums: The numbers, ascending.

    Returns:
        The text ("" for none).
    """
    spans: list[list[int]] = []
    for n in nums:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


__all__ = ["cars_short", "money", "plural", "runs"]
