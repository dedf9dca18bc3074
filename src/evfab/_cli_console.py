"""How wide the command line's text output is, and tables that never lose a column to it.

rich crops every line at the console's width. A table whose columns cannot shrink enough
(a ``min_width`` route column, numbers that must not wrap) is laid out wider than that, and
its last columns are cut off silently. :func:`fit` loosens such a table until it fits.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from rich.console import Console
from rich.table import Table

PIPED_WIDTH = 120
"""Width of text written to a file or a pipe when ``COLUMNS`` does not say: rich's own
default there is 80 columns, too few for the plan and risk tables (README shows this width)."""


MIN_FOLD = 10
"""Fewest columns (with padding) a folding column may be squeezed to before the numbers and
statuses that do not wrap are let wrap too."""


def stdout_width(
    environ: Mapping[str, str] | None = None, stream: TextIO | None = None
) -> int | None:
    """The width to lay out standard output at.

    Args:
        environ: The environment (default ``os.environ``).
        stream: Standard output (default ``sys.stdout``, looked up on each call, as tests
            swap it).

    Returns:
        ``COLUMNS`` when it is a positive whole number (the user's choice wins, on a
        terminal or not); None on a terminal (rich asks it); else :data:`PIPED_WIDTH`.
    """
    env = os.environ if environ is None else environ
    columns = env.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = sys.stdout if stream is None else stream
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: not a terminal
        tty = False
    return None if tty else PIPED_WIDTH


def size_to_stdout(console: Console) -> None:
    """Set ``console``'s width for this run (see :func:`stdout_width`)."""
    width = stdout_width()
    if width is not None:
        console.width = width


def fit(console: Console, table: Table) -> Table:
    """``table``, loosened where needed so that it fits ``console`` with every column whole.

    First the columns' ``min_width`` go (a route id then folds inside a word, and every
    column folds what does not fit instead of ending it in an ellipsis), then their
    ``no_wrap`` (a number or status then folds over two lines): each only if the table does
    not fit without it. A column is never dropped and a cell is never cut.

    Args:
        console: Where the table will be printed.
        table: The table; changed in place.

    Returns:
        The same table, for ``console.print(fit(console, t))``.
    """
    if _fits(console, table):
        return table
    for column in table.columns:
        column.min_width = None
        column.overflow = "fold"  # a squeezed header or id folds rather than ends in "..."
    if _fits(console, table):
        return table
    for column in table.columns:
        column.no_wrap = False
    return table


def column_blocks(widths: list[int], first: int, width: int) -> list[list[int]]:
    """Split columns of ``widths`` into blocks that each fit ``width`` beside a first column
    ``first`` wide: one table per block keeps every cell whole where rich would squeeze them.

    Args:
        widths: Each column's widest cell, characters.
        first: Width of the first (label) column with its padding and edges.
        width: The console's width.

    Returns:
        Column positions per block (at least one column each).
    """
    blocks: list[list[int]] = []
    used = width
    for j, w in enumerate(widths):
        # Each column takes its width, a space either side and a rule: 3 more.
        if used + w + 3 > width:
            blocks.append([])
            used = first
        blocks[-1].append(j)
        used += w + 3
    return blocks


def _fits(console: Console, table: Table) -> bool:
    """Whether rich lays ``table`` out within the console with no ``no_wrap`` cell cut."""
    options = console.options
    try:
        # NOTE: rich has no public API for a table's column widths; these two methods are
        # what its own rendering calls (rich 13-15). Without them, print as rich lays out.
        inner = options.update_width(max(1, options.max_width - table._extra_width))
        widths = table._calculate_column_widths(console, inner)
        natural = [table._measure_column(console, inner, c).maximum for c in table.columns]
    except AttributeError:  # pragma: no cover - a rich without these internals
        return True
    if sum(widths) > inner.max_width:
        return False
    columns = zip(widths, natural, table.columns, strict=True)
    # Whole no_wrap cells, and no other column squeezed below a few characters a line (rich
    # takes the room from the wrapping columns first: a route id one letter a line).
    return all(w >= (n if c.no_wrap else min(n, MIN_FOLD)) for w, n, c in columns)


__all__ = ["PIPED_WIDTH", "column_blocks", "fit", "size_to_stdout", "stdout_width"]
