"""A minimisation MILP as blocks of arrays (:class:`Milp`), the container that
:mod:`evfab._plan_model` fills step by step and :mod:`evfab._highs` hands to HiGHS."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Milp:
    """A minimisation MILP in row-wise triplet form, with named column and row blocks.

    Attributes:
        cost, lower, upper, integer: One entry per column.
        rows, cols, vals: Nonzeros of the constraint matrix (COO).
        row_lower, row_upper: One entry per row.
        col_blocks: Name -> (start, stop) of each column block.
        row_blocks: Name -> (start, stop) of each row block.
        q_route, q_year: Route and year of each ``q`` column.
        u_program, u_year: Program and year of each ``u`` column.
        z_route: Route of each ``z`` column.
        plant_row_plant, plant_row_year: Plant and year of each ``plant`` row.
        s_q, s_col_of_q: ``q`` columns a sourcing binary switches, and that binary's column.
        s_group: (Program, year) group of each ``s`` column.
        k_route, k_of_route: Route of each ``k`` column; ``k`` column of each route or -1.
        min_z, min_m, min_need: Per ``min_modules`` row, the route's ``z`` column, its build
            offer's ``m`` column and the modules it needs.
    """

    cost: list[FloatArray] = field(default_factory=list)
    lower: list[FloatArray] = field(default_factory=list)
    upper: list[FloatArray] = field(default_factory=list)
    integer: list[BoolArray] = field(default_factory=list)
    rows: list[IntArray] = field(default_factory=list)
    cols: list[IntArray] = field(default_factory=list)
    vals: list[FloatArray] = field(default_factory=list)
    row_lower: list[FloatArray] = field(default_factory=list)
    row_upper: list[FloatArray] = field(default_factory=list)
    col_blocks: dict[str, tuple[int, int]] = field(default_factory=dict)
    row_blocks: dict[str, tuple[int, int]] = field(default_factory=dict)
    n_col: int = 0
    n_row: int = 0
    q_route: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    q_year: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    u_program: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    u_year: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    z_route: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    z_of_route: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    m_offer: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    m_of_offer: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    plant_row_plant: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    plant_row_year: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    s_q: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    s_col_of_q: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    s_group: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    k_route: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    k_of_route: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    min_z: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    min_m: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    min_need: FloatArray = field(default_factory=lambda: np.zeros(0))

    def add_cols(
        self, name: str, cost: FloatArray, lower: FloatArray, upper: FloatArray, integer: bool
    ) -> int:
        """Append a block of columns; returns the index of its first column."""
        start = self.n_col
        n = len(cost)
        self.cost.append(np.asarray(cost, np.float64))
        self.lower.append(np.asarray(lower, np.float64))
        self.upper.append(np.asarray(upper, np.float64))
        self.integer.append(np.full(n, integer))
        self.n_col += n
        self.col_blocks[name] = (start, self.n_col)
        return start

    def add_rows(
        self,
        name: str,
        n: int,
        rows: IntArray,
        cols: IntArray,
        vals: FloatArray,
        lower: FloatArray,
        upper: FloatArray,
    ) -> int:
        """Append ``n`` rows given local row numbers (0..n-1) and global columns."""
        start = self.n_row
        self.rows.append(np.asarray(rows, np.int64) + start)
        self.cols.append(np.asarray(cols, np.int64))
        self.vals.append(np.asarray(vals, np.float64))
        # NOTE: the steps pass fresh arrays of length n; they are kept as they are (no
        # broadcast and copy: each numpy call counts on models that solve in milliseconds).
        self.row_lower.append(_row_vector(lower, n))
        self.row_upper.append(_row_vector(upper, n))
        self.n_row += n
        self.row_blocks[name] = (start, self.n_row)
        return start

    def add_no_cols(self, name: str) -> int:
        """Register an empty block of columns (see :meth:`add_no_rows`)."""
        self.col_blocks[name] = (self.n_col, self.n_col)
        return self.n_col

    def add_no_rows(self, name: str) -> int:
        """Register an empty block of rows (a constraint family the scenario does not use)."""
        # NOTE: most scenarios have no modules, exclusions, budgets or single-source
        # programs; skipping their numpy calls is a fifth of an OR-Library model's build.
        self.row_blocks[name] = (self.n_row, self.n_row)
        return self.n_row

    def csr(self) -> tuple[IntArray, npt.NDArray[np.int32], FloatArray]:
        """The constraint matrix as CSR arrays (start, index, value)."""
        rows = np.concatenate(self.rows) if self.rows else np.zeros(0, np.int64)
        cols = np.concatenate(self.cols) if self.cols else np.zeros(0, np.int64)
        vals = np.concatenate(self.vals) if self.vals else np.zeros(0)
        keep = vals != 0
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        order = np.lexsort((cols, rows))
        start = np.zeros(self.n_row + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=self.n_row), out=start[1:])
        return start, cols[order].astype(np.int32), vals[order]

    def vectors(self) -> dict[str, FloatArray]:
        """Column and row vectors, concatenated over blocks."""

        def cat(parts: list[FloatArray]) -> FloatArray:
            return np.concatenate(parts) if parts else np.zeros(0)

        return {
            "cost": cat(self.cost),
            "lower": cat(self.lower),
            "upper": cat(self.upper),
            "row_lower": cat(self.row_lower),
            "row_upper": cat(self.row_upper),
        }

    def fixed_bounds(
        self, values: FloatArray, mask: BoolArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Column bounds with the columns ``mask`` fixed at their rounded ``values``: the LP
        of a MILP's choices (capacity values, a plan kept near another).

        Args:
            values: A solution's column values.
            mask: The columns to fix (binaries and integers).

        Returns:
            Lower and upper bounds (fresh arrays), and the rounded values of ``mask``.
        """
        v = self.vectors()
        lower, upper = v["lower"], v["upper"]
        fixed = np.round(values[mask])
        lower[mask] = fixed
        upper[mask] = fixed
        return lower, upper, fixed

    def integrality(self) -> BoolArray:
        """True for integer columns."""
        return np.concatenate(self.integer) if self.integer else np.zeros(0, bool)


def _row_vector(x: FloatArray, n: int) -> FloatArray:
    """``x`` as a float vector of length ``n``: kept as it is if it already is one (no
    copy), a scalar is repeated."""
    a = np.asarray(x, np.float64)
    if a.shape != (n,):
        a = np.broadcast_to(a, (n,)).copy()
    return a


__all__ = ["BoolArray", "FloatArray", "IntArray", "Milp"]
