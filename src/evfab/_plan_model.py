"""The planner's formulation: arrays in, a sparse MILP out.

The model reads as a list of ``add_*`` steps over :class:`PlanInputs`; each step adds a
block of columns or rows from whole arrays (no Python loop per nonzero), so building a
model is a handful of numpy concatenations. The result is a :class:`Milp` that any
solver accepting a row-wise sparse matrix can take (HiGHS in :mod:`evfab.plan`).

Columns:
    q[r, y]  cars built on route r in year y (only where the route has capacity);
    u[g, y]  unmet demand of program g in year y;
    x[o]     offer o is taken (binary);
    m[o]     extra capacity modules of build offer o (integer, 0..max);
    z[r]     route r is used (binary; only for routes that need several offers, pay a
             route fee, or belong to a single-source program; a route needing one
             offer is switched by that offer's x).
Rows:
    demand       sum_r q[r, y] + u[g, y] = demand[g, y]
    plant        sum_r q[r, y] - module_cap[o, y] m[o] <= free capacity of the plant in year y
    access       sum_r q[r, y] - cap[o, y] x[o] - module_cap[o, y] m[o] <= 0 for offers
                 that bring capacity
    modules      m[o] - max[o] x[o] <= 0
    activation   q[r, y] - min(cap[r, y], demand[g, y]) z[r] <= 0  (x[o] for one-offer routes)
    link         z[r] - x[o] <= 0 for every offer the route needs
    exclusive    x[a] + x[b] <= 1
    budget       sum_o fee[o] x[o] + sum_r waiver[r] z[r] <= budget[company]
    single       sum_r z[r] <= 1 per single-source program
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PlanInputs:
    """Everything the formulation needs, as arrays (built once from a World).

    Attributes:
        years: Planning years (Y).
        discount: Discount factor of each year (Y).
        demand: Demand, programs x years (G, Y).
        lost_margin: Penalty per unmet car, per program (G).
        min_fill: Share of demand that must be met, per program (G).
        single_source: Whether a program must use one route, per program (G).
        program_company: Company index of each program (G).
        route_program: Program index of each usable route (R).
        route_plant: Plant index of each route (R).
        route_cap: Capacity of each route by year (R, Y).
        route_unit_cost: Cost per car on each route, incl. fees and logistics (R).
        route_fixed: Route-specific one-off fee, e.g. a badge waiver (R).
        route_year: Year index when the route's one-off fees are paid (R).
        route_offer_ptr: CSR pointer into ``route_offer_idx`` (R + 1).
        route_offer_idx: Offer indices each route needs.
        route_access: Offer index that brings the route's plant capacity, or -1 (R).
        plant_free: Free capacity of each plant by year (P, Y).
        offer_fixed: One-off fee of each offer (O).
        offer_year: Year index when each offer's fee is paid (O).
        offer_company: Company index of each offer's taker (O).
        access_cap: Capacity an offer brings by year, NaN if none (O, Y).
        exclusive: Pairs of offers that exclude each other (E, 2).
        budget: Capital budget per company, inf if none (C).
        module_cap: Capacity one extra module of a build offer adds by year, 0 if none (O, Y).
        module_max: Most modules per offer (O).
        module_fee: Capex per module (O).
        plant_module_offer: Build offer whose modules add to each plant, or -1 (P).
    """

    years: IntArray
    discount: FloatArray
    demand: FloatArray
    lost_margin: FloatArray
    min_fill: FloatArray
    single_source: BoolArray
    program_company: IntArray
    route_program: IntArray
    route_plant: IntArray
    route_cap: FloatArray
    route_unit_cost: FloatArray
    route_fixed: FloatArray
    route_year: IntArray
    route_offer_ptr: IntArray
    route_offer_idx: IntArray
    route_access: IntArray
    plant_free: FloatArray
    offer_fixed: FloatArray
    offer_year: IntArray
    offer_company: IntArray
    access_cap: FloatArray
    exclusive: IntArray
    budget: FloatArray
    module_cap: FloatArray
    module_max: FloatArray
    module_fee: FloatArray
    plant_module_offer: IntArray


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


def add_production_variables(m: Milp, d: PlanInputs) -> None:
    """q[r, y] for every route-year with capacity, costed per car and discounted."""
    r, y = np.nonzero((d.route_cap > 0) & (d.demand[d.route_program] > 0))
    m.q_route, m.q_year = r.astype(np.int64), y.astype(np.int64)
    cost = d.route_unit_cost[r] * d.discount[y]
    # A route never needs more than its program's demand. Its own capacity goes into the
    # bound only where it is below the plant's free capacity (a late SOP, a stake's share):
    # elsewhere the plant row must be the binding one, or its dual (the capacity value) is lost.
    demand = d.demand[d.route_program[r], y]
    cap = d.route_cap[r, y]
    own_limit = cap < d.plant_free[d.route_plant[r], y] - 1e-9
    upper = np.where(own_limit, np.minimum(cap, demand), demand)
    m.add_cols("q", cost, np.zeros(len(r)), upper, integer=False)


def add_unmet_variables(m: Milp, d: PlanInputs) -> None:
    """u[g, y] for every program-year with demand, penalised by the lost margin."""
    g, y = np.nonzero(d.demand > 0)
    m.u_program, m.u_year = g.astype(np.int64), y.astype(np.int64)
    cost = d.lost_margin[g] * d.discount[y]
    upper = (1.0 - d.min_fill[g]) * d.demand[g, y]
    m.add_cols("u", cost, np.zeros(len(g)), upper, integer=False)


def add_offer_variables(m: Milp, d: PlanInputs) -> None:
    """x[o]: take offer o (binary), paying its one-off fee in its signing year."""
    n = len(d.offer_fixed)
    cost = d.offer_fixed * d.discount[d.offer_year]
    m.add_cols("x", cost, np.zeros(n), np.ones(n), integer=True)


def add_module_variables(m: Milp, d: PlanInputs) -> None:
    """m[o]: extra capacity modules of a build offer (integer), paying capex per module."""
    o = np.nonzero(d.module_max > 0)[0].astype(np.int64)
    m.m_offer = o
    m.m_of_offer = np.full(len(d.module_max), -1, np.int64)
    if len(o) == 0:
        m.add_no_cols("m")
        return
    cost = d.module_fee[o] * d.discount[d.offer_year[o]]
    start = m.add_cols(
        "m", cost, np.zeros(len(o)), d.module_max[o].astype(np.float64), integer=True
    )
    m.m_of_offer[o] = start + np.arange(len(o))


def add_module_links(m: Milp, d: PlanInputs) -> None:
    """Modules only come with the plant: m[o] - max[o] x[o] <= 0."""
    x0 = m.col_blocks["x"][0]
    n = len(m.m_offer)
    if n == 0:
        m.add_no_rows("modules")
        return
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([m.m_of_offer[m.m_offer], x0 + m.m_offer])
    vals = np.concatenate([np.ones(n), -d.module_max[m.m_offer]])
    m.add_rows("modules", n, rows, cols, vals, np.full(n, -np.inf), np.zeros(n))


def add_route_variables(m: Milp, d: PlanInputs) -> None:
    """z[r]: use route r (binary), where the route's offer binary cannot stand in for it.

    A route that needs exactly one offer and pays nothing of its own is switched by that
    offer's x directly; ``z_of_route`` then points at the x column.
    """
    n_offers = np.diff(d.route_offer_ptr)
    single = d.single_source[d.route_program]
    # NOTE: reusing x for one-offer routes halves the binaries of facility-location-like
    # models (every OR-Library route is such a route) without changing the optimum.
    need = (n_offers > 1) | (d.route_fixed > 0) | single | ((n_offers == 0) & single)
    z = np.nonzero(need)[0].astype(np.int64)
    m.z_route = z
    m.z_of_route = np.full(len(d.route_program), -1, np.int64)
    cost = d.route_fixed[z] * d.discount[d.route_year[z]]
    start = m.add_cols("z", cost, np.zeros(len(z)), np.ones(len(z)), integer=True)
    m.z_of_route[z] = start + np.arange(len(z))
    via_x = (n_offers == 1) & ~need
    x0 = m.col_blocks["x"][0]
    m.z_of_route[via_x] = x0 + d.route_offer_idx[d.route_offer_ptr[:-1][via_x]]


def add_demand_constraints(m: Milp, d: PlanInputs) -> None:
    """Production plus unmet demand equals demand, per program-year."""
    q0 = m.col_blocks["q"][0]
    u0 = m.col_blocks["u"][0]
    row_of = np.full(d.demand.shape, -1, np.int64)
    row_of[m.u_program, m.u_year] = np.arange(len(m.u_program))
    q_rows = row_of[d.route_program[m.q_route], m.q_year]
    ok = q_rows >= 0
    rows = np.concatenate([q_rows[ok], np.arange(len(m.u_program))])
    cols = np.concatenate([q0 + np.nonzero(ok)[0], u0 + np.arange(len(m.u_program))])
    rhs = d.demand[m.u_program, m.u_year]
    m.add_rows("demand", len(m.u_program), rows, cols, np.ones(len(rows)), rhs, rhs)


def add_plant_capacity_constraints(m: Milp, d: PlanInputs) -> None:
    """Production of every route at a plant fits its free capacity, per plant-year."""
    q0 = m.col_blocks["q"][0]
    key = d.route_plant[m.q_route] * len(d.years) + m.q_year
    uniq, local = np.unique(key, return_inverse=True)
    m.plant_row_plant = (uniq // len(d.years)).astype(np.int64)
    m.plant_row_year = (uniq % len(d.years)).astype(np.int64)
    rhs = d.plant_free[m.plant_row_plant, m.plant_row_year]
    n = len(uniq)
    # A built plant's extra modules add capacity: - module_cap[o, y] m[o] on its rows.
    offer = d.plant_module_offer[m.plant_row_plant]
    has = offer >= 0
    has[has] = m.m_of_offer[offer[has]] >= 0
    m.add_rows(
        "plant",
        n,
        np.concatenate([local, np.nonzero(has)[0]]),
        np.concatenate([q0 + np.arange(len(m.q_route)), m.m_of_offer[offer[has]]]),
        np.concatenate([np.ones(len(local)), -d.module_cap[offer[has], m.plant_row_year[has]]]),
        np.full(n, -np.inf),
        rhs,
    )


def add_access_constraints(m: Milp, d: PlanInputs) -> None:
    """Capacity that comes through an offer (contract, stake, build, purchase) exists only if taken."""
    q0, x0 = m.col_blocks["q"][0], m.col_blocks["x"][0]
    o = d.route_access[m.q_route]
    has = o >= 0
    qi = np.nonzero(has)[0]
    key = o[has] * len(d.years) + m.q_year[has]
    uniq, local = np.unique(key, return_inverse=True)
    uo, uy = uniq // len(d.years), uniq % len(d.years)
    cap = d.access_cap[uo, uy]
    n = len(uniq)
    mod = np.nonzero(m.m_of_offer[uo] >= 0)[0]
    rows = np.concatenate([local, np.arange(n), mod])
    cols = np.concatenate([q0 + qi, x0 + uo, m.m_of_offer[uo[mod]]])
    vals = np.concatenate(
        [np.ones(len(qi)), -np.nan_to_num(cap, nan=0.0), -d.module_cap[uo[mod], uy[mod]]]
    )
    m.add_rows("access", n, rows, cols, vals, np.full(n, -np.inf), np.zeros(n))


def add_activation_constraints(m: Milp, d: PlanInputs) -> None:
    """A route with a binary produces only when it is used."""
    q0 = m.col_blocks["q"][0]
    zcol = m.z_of_route[m.q_route]
    qi = np.nonzero(zcol >= 0)[0]
    # NOTE: big-M = min(route capacity, demand) keeps the relaxation tight
    # (like x_ij <= d_j y_i in facility location).
    big = np.minimum(
        d.route_cap[m.q_route[qi], m.q_year[qi]],
        d.demand[d.route_program[m.q_route[qi]], m.q_year[qi]],
    )
    n = len(qi)
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([q0 + qi, zcol[qi]])
    vals = np.concatenate([np.ones(n), -big])
    m.add_rows("activation", n, rows, cols, vals, np.full(n, -np.inf), np.zeros(n))


def add_link_constraints(m: Milp, d: PlanInputs) -> None:
    """A route with its own binary can be used only if every offer it needs is taken."""
    if len(m.z_route) == 0:
        m.add_no_rows("link")
        return
    x0 = m.col_blocks["x"][0]
    counts = np.diff(d.route_offer_ptr)
    own_z = np.zeros(len(counts), bool)
    own_z[m.z_route] = True
    route_of_link = np.repeat(np.arange(len(counts)), counts)
    keep = own_z[route_of_link]
    offer_of_link = d.route_offer_idx[keep]
    route_of_link = route_of_link[keep]
    zcol = m.z_of_route[route_of_link]
    n = len(route_of_link)
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([zcol, x0 + offer_of_link])
    vals = np.concatenate([np.ones(n), -np.ones(n)])
    m.add_rows("link", n, rows, cols, vals, np.full(n, -np.inf), np.zeros(n))


def add_exclusion_constraints(m: Milp, d: PlanInputs) -> None:
    """Mutually exclusive offers: at most one of each pair."""
    n = len(d.exclusive)
    if n == 0:
        m.add_no_rows("exclusive")
        return
    x0 = m.col_blocks["x"][0]
    rows = np.repeat(np.arange(n), 2)
    cols = x0 + d.exclusive.reshape(-1)
    m.add_rows("exclusive", n, rows, cols, np.ones(2 * n), np.full(n, -np.inf), np.ones(n))


def add_budget_constraints(m: Milp, d: PlanInputs) -> None:
    """One-off spending of each company with a budget stays within it (undiscounted)."""
    limited = np.nonzero(np.isfinite(d.budget))[0]
    if len(limited) == 0:
        m.add_no_rows("budget")
        return
    x0 = m.col_blocks["x"][0]
    local = np.full(len(d.budget), -1, np.int64)
    local[limited] = np.arange(len(limited))
    xo = np.nonzero(local[d.offer_company] >= 0)[0]
    zr = m.z_route[(local[d.program_company[d.route_program[m.z_route]]] >= 0)]
    mo = m.m_offer[local[d.offer_company[m.m_offer]] >= 0]
    rows = np.concatenate(
        [
            local[d.offer_company[xo]],
            local[d.program_company[d.route_program[zr]]],
            local[d.offer_company[mo]],
        ]
    )
    cols = np.concatenate([x0 + xo, m.z_of_route[zr], m.m_of_offer[mo]])
    vals = np.concatenate([d.offer_fixed[xo], d.route_fixed[zr], d.module_fee[mo]])
    n = len(limited)
    m.add_rows("budget", n, rows, cols, vals, np.full(n, -np.inf), d.budget[limited])


def add_single_source_constraints(m: Milp, d: PlanInputs) -> None:
    """A single-source program uses at most one route."""
    single = np.nonzero(d.single_source)[0]
    if len(single) == 0:
        m.add_no_rows("single")
        return
    local = np.full(len(d.single_source), -1, np.int64)
    local[single] = np.arange(len(single))
    zr = m.z_route[local[d.route_program[m.z_route]] >= 0]
    rows = local[d.route_program[zr]]
    n = len(single)
    m.add_rows(
        "single", n, rows, m.z_of_route[zr], np.ones(len(zr)), np.full(n, -np.inf), np.ones(n)
    )


def build_milp(d: PlanInputs) -> Milp:
    """Build the planner's MILP from arrays.

    Args:
        d: The planner's inputs.

    Returns:
        The model, ready to hand to a solver.
    """
    m = Milp()
    add_production_variables(m, d)
    add_unmet_variables(m, d)
    add_offer_variables(m, d)
    add_module_variables(m, d)
    add_route_variables(m, d)
    add_demand_constraints(m, d)
    add_plant_capacity_constraints(m, d)
    add_access_constraints(m, d)
    add_activation_constraints(m, d)
    add_link_constraints(m, d)
    add_module_links(m, d)
    add_exclusion_constraints(m, d)
    add_budget_constraints(m, d)
    add_single_source_constraints(m, d)
    return m
