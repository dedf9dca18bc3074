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
    w[v]     badge waiver v is bought (binary; one per agreement whose clause is waived);
    z[r]     route r is used (binary; only for routes that need several offers, a
             waiver or extra modules; a route needing one offer is switched by that
             offer's x);
    s[g,p,y] single-source program g builds at plant p in year y (binary; only where g
             could build at several plants that year);
    k[l]     licence l is kept past its dormancy deadline (binary; one per company and
             licence the dormancy rule withdraws within the horizon unless cars are built
             under it).
Rows:
    demand       sum_r q[r, y] + u[g, y] = demand[g, y]
    plant        sum_r q[r, y] - module_cap[o, y] m[o] <= free capacity of the plant in year y
    shared       sum_{r in route s} q[r, y] <= cap[s, y] for a route several programs of one
                 company take, in years its capacity is below its plant's (its first)
    ramp_modules q[r, y] - ramp[r, y] module_cap[o, y] m[o] <= ramp[r, y] cap[r, y] for a
                 ramping route under build offer o with modules
    access       sum_r q[r, y] - cap[a, y] x[o] - module_cap[o, y] m[o] <= 0 for each
                 (offer o, plant) pair a through which an offer brings capacity
    modules      m[o] - max[o] x[o] <= 0
    min_modules  min[r] z[r] - m[o] <= 0 for a route whose plant (build offer o) reaches a
                 new licence's minimum capacity only with min[r] extra modules
    activation   q[r, y] - min(cap[r, y], demand[g, y]) z[r] <= 0  (x[o] for one-offer routes)
    link         z[r] - x[o] <= 0 for every offer the route needs
    waiver       z[r] - w[v] <= 0 for routes that carry the own badge under waiver v
    exclusive    x[a] + x[b] <= 1 (listed, or two purchases of one company, two builds of one
                 plant, stakes in one plant over its whole)
    budget       sum_o fee[o] x[o] + sum_v fee[v] w[v] + sum_o module_fee[o] m[o]
                 <= budget[company]
    sourcing     q[r, y] - min(cap[r, y], demand[g, y]) s[g, plant(r), y] <= 0
    single       sum_p s[g, p, y] <= 1 per single-source program and year
    keep         q[r, y] - min(cap[r, y], demand[g, y]) k[l(r)] <= 0 for years after the
                 deadline's; k[l] - sum_{r under l, y <= deadline's year} q[r, y] <= 0 (a
                 licence is kept by building under it, at least a car, before it is withdrawn)
"""

from __future__ import annotations

import numpy as np

from evfab._milp import BoolArray, FloatArray, IntArray, Milp
from evfab._plan_data import PlanInputs

HALF_CAR = 0.5
"""Route capacities are whole cars and plant capacities are not (a part-year first year):
a route's whole-car capacity within half a car of its plant's is the plant's, not a limit
of the route's own (the planner, its capacity values and its shared-route rows agree)."""


def add_production_variables(m: Milp, d: PlanInputs) -> None:
    """q[r, y] for every route-year with capacity, costed per car and discounted."""
    r, y = np.nonzero((d.route_cap > 0) & (d.demand[d.route_program] > 0))
    m.q_route, m.q_year = r.astype(np.int64), y.astype(np.int64)
    cost = d.route_unit_cost[r] * d.discount[y]
    # A route never needs more than its program's demand. Its own capacity goes into the
    # bound only where it is below the plant's free capacity (a late SOP, a stake's share):
    # elsewhere the plant row must be the binding one, or its dual (the capacity value) is lost.
    # Route capacities are whole cars (but for a ramp-up) and plant capacities are not (a
    # part-year first year): whole cars under half a car below the plant are rounding, not
    # a limit of the route's own.
    demand = d.demand[d.route_program[r], y]
    cap = d.route_cap[r, y]
    free = d.plant_free[d.route_plant[r], y]
    own_limit = (cap < free - 1e-9) & ((cap < free - HALF_CAR) | (cap != np.rint(cap)))
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
    # NOTE: reusing x for one-offer routes halves the binaries of facility-location-like
    # models (every OR-Library route is such a route) without changing the optimum.
    need = (n_offers > 1) | (d.route_waiver >= 0)
    if len(d.route_min_modules):  # their modules are built only if the route is used
        need |= d.route_min_modules > 0
    z = np.nonzero(need)[0].astype(np.int64)
    m.z_route = z
    m.z_of_route = np.full(len(d.route_program), -1, np.int64)
    start = m.add_cols("z", np.zeros(len(z)), np.zeros(len(z)), np.ones(len(z)), integer=True)
    m.z_of_route[z] = start + np.arange(len(z))
    via_x = (n_offers == 1) & ~need
    x0 = m.col_blocks["x"][0]
    m.z_of_route[via_x] = x0 + d.route_offer_idx[d.route_offer_ptr[:-1][via_x]]


def add_waiver_variables(m: Milp, d: PlanInputs) -> None:
    """w[v]: buy badge waiver v (binary), paying its fee once in its offer's year."""
    n = len(d.waiver_fee)
    if n == 0:
        m.add_no_cols("w")
        return
    cost = d.waiver_fee * d.discount[d.offer_year[d.waiver_offer]]
    m.add_cols("w", cost, np.zeros(n), np.ones(n), integer=True)


def add_sourcing_variables(m: Milp, d: PlanInputs) -> None:
    """s[g, p, y]: single-source program g builds at plant p in year y (binary), only
    where g could build at several plants that year."""
    if not d.single_source.any():
        m.add_no_cols("s")
        return
    qs = np.nonzero(d.single_source[d.route_program[m.q_route]])[0]
    n_p, n_y = len(d.plant_free), len(d.years)
    g = d.route_program[m.q_route[qs]]
    key = (g * n_p + d.route_plant[m.q_route[qs]]) * n_y + m.q_year[qs]
    uniq, inv = np.unique(key, return_inverse=True)
    gy = (uniq // (n_p * n_y)) * n_y + uniq % n_y
    _, of_group, counts = np.unique(gy, return_inverse=True, return_counts=True)
    kept = np.nonzero(counts[of_group] > 1)[0]
    if len(kept) == 0:
        m.add_no_cols("s")
        return
    pos = np.full(len(uniq), -1, np.int64)
    pos[kept] = np.arange(len(kept))
    on = pos[inv] >= 0
    n = len(kept)
    start = m.add_cols("s", np.zeros(n), np.zeros(n), np.ones(n), integer=True)
    m.s_q = qs[on].astype(np.int64)
    m.s_col_of_q = start + pos[inv[on]]
    _, m.s_group = np.unique(of_group[kept], return_inverse=True)


def add_keep_variables(m: Milp, d: PlanInputs) -> None:
    """k[l]: licence l, which the dormancy rule would withdraw, is kept (binary)."""
    r = np.nonzero(d.route_keep_group >= 0)[0].astype(np.int64)
    m.k_route = r
    m.k_of_route = np.full(len(d.route_program), -1, np.int64)
    if len(r) == 0:
        m.add_no_cols("k")
        return
    n = int(d.route_keep_group.max()) + 1
    start = m.add_cols("k", np.zeros(n), np.zeros(n), np.ones(n), integer=True)
    m.k_of_route[r] = start + d.route_keep_group[r]


def _big(m: Milp, d: PlanInputs, qi: IntArray) -> FloatArray:
    """min(route capacity, demand) of the ``q`` columns ``qi``: a tight big-M."""
    big: FloatArray = np.minimum(
        d.route_cap[m.q_route[qi], m.q_year[qi]],
        d.demand[d.route_program[m.q_route[qi]], m.q_year[qi]],
    )
    return big


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
    # A built plant's extra modules add capacity: - module_cap[o, y] m[o] on its rows, for
    # every build offer of that plant that has modules.
    mo = m.m_offer[d.module_plant[m.m_offer] >= 0]
    mk = (d.module_plant[mo][:, None] * len(d.years) + np.arange(len(d.years))[None, :]).ravel()
    mo_k = np.repeat(mo, len(d.years))
    my = np.tile(np.arange(len(d.years)), len(mo))
    at = np.searchsorted(uniq, mk)
    ok = at < n
    ok[ok] = uniq[at[ok]] == mk[ok]
    m.add_rows(
        "plant",
        n,
        np.concatenate([local, at[ok]]),
        np.concatenate([q0 + np.arange(len(m.q_route)), m.m_of_offer[mo_k[ok]]]),
        np.concatenate([np.ones(len(local)), -d.module_cap[mo_k[ok], my[ok]]]),
        np.full(n, -np.inf),
        rhs,
    )


def add_shared_route_constraints(m: Milp, d: PlanInputs) -> None:
    """The programs on one route (one licence at one plant, through the same deals) share its
    capacity: in its first year that is the part of the year after its licence and plant
    are ready, less than the plant's, which each program's own bound alone would exceed."""
    if not len(d.shared_cap) or not len(m.q_route):
        m.add_no_rows("shared")
        return
    g = d.route_shared[m.q_route]
    on = np.nonzero(g >= 0)[0]
    key = g[on] * len(d.years) + m.q_year[on]
    uniq, local = np.unique(key, return_inverse=True)
    rhs = d.shared_cap[uniq // len(d.years), uniq % len(d.years)]
    # Only years in which the route's capacity is below its plant's (inf elsewhere).
    rows = np.cumsum(np.isfinite(rhs)) - 1
    keep = np.isfinite(rhs)[local]
    q0 = m.col_blocks["q"][0]
    n = int(np.isfinite(rhs).sum())
    m.add_rows(
        "shared",
        n,
        rows[local[keep]],
        q0 + on[keep],
        np.ones(int(keep.sum())),
        np.full(n, -np.inf),
        rhs[np.isfinite(rhs)],
    )


def add_ramp_module_constraints(m: Milp, d: PlanInputs) -> None:
    """A ramping route's cars under a build offer with modules: at most its ramp-up's share
    of the capacity built, q - ramp x module cap x m <= ramp x capacity without modules
    (its bound counts every module that could be built)."""
    if not len(d.ramp_rows) or not len(m.q_route):
        m.add_no_rows("ramp_modules")
        return
    k_of = np.full(len(d.route_program), -1, np.int64)
    k_of[d.ramp_rows] = np.arange(len(d.ramp_rows))
    qi = np.nonzero(k_of[m.q_route] >= 0)[0]
    k, y = k_of[m.q_route[qi]], m.q_year[qi]
    o = d.access_offer[d.route_access[d.ramp_rows[k]]]
    n = len(qi)
    q0 = m.col_blocks["q"][0]
    m.add_rows(
        "ramp_modules",
        n,
        np.concatenate([np.arange(n), np.arange(n)]),
        np.concatenate([q0 + qi, m.m_of_offer[o]]),
        np.concatenate([np.ones(n), -d.ramp_module[k, y]]),
        np.full(n, -np.inf),
        d.ramp_base[k, y],
    )


def add_access_constraints(m: Milp, d: PlanInputs) -> None:
    """Capacity that comes through an offer (contract, stake, build, purchase) exists only if taken."""
    q0, x0 = m.col_blocks["q"][0], m.col_blocks["x"][0]
    a = d.route_access[m.q_route]
    has = a >= 0
    qi = np.nonzero(has)[0]
    key = a[has] * len(d.years) + m.q_year[has]
    uniq, local = np.unique(key, return_inverse=True)
    ua, uy = uniq // len(d.years), uniq % len(d.years)
    uo = d.access_offer[ua]
    cap = d.access_cap[ua, uy]
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
    big = _big(m, d, qi)
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


def add_waiver_links(m: Milp, d: PlanInputs) -> None:
    """A route carries the own badge only if its agreement's waiver is bought."""
    r = np.nonzero(d.route_waiver >= 0)[0]
    if len(r) == 0:
        m.add_no_rows("waiver")
        return
    w0 = m.col_blocks["w"][0]
    n = len(r)
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([m.z_of_route[r], w0 + d.route_waiver[r]])
    vals = np.concatenate([np.ones(n), -np.ones(n)])
    m.add_rows("waiver", n, rows, cols, vals, np.full(n, -np.inf), np.zeros(n))


def add_min_module_constraints(m: Milp, d: PlanInputs) -> None:
    """A route whose plant reaches a new licence's minimum capacity only with extra modules
    is used only with at least that many built: min[r] z[r] - m[o] <= 0."""
    if not len(d.route_min_modules):
        m.add_no_rows("min_modules")
        return
    r = np.nonzero(d.route_min_modules > 0)[0]
    if len(r) == 0:
        m.add_no_rows("min_modules")
        return
    o = d.access_offer[d.route_access[r]]
    n = len(r)
    m.min_z, m.min_m = m.z_of_route[r], m.m_of_offer[o]
    m.min_need = d.route_min_modules[r]
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([m.min_z, m.min_m])
    vals = np.concatenate([m.min_need, -np.ones(n)])
    m.add_rows("min_modules", n, rows, cols, vals, np.full(n, -np.inf), np.zeros(n))


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
    wv = np.nonzero(local[d.offer_company[d.waiver_offer]] >= 0)[0]
    mo = m.m_offer[local[d.offer_company[m.m_offer]] >= 0]
    rows = np.concatenate(
        [
            local[d.offer_company[xo]],
            local[d.offer_company[d.waiver_offer[wv]]],
            local[d.offer_company[mo]],
        ]
    )
    cols = np.concatenate([x0 + xo, m.col_blocks["w"][0] + wv, m.m_of_offer[mo]])
    vals = np.concatenate([d.offer_fixed[xo], d.waiver_fee[wv], d.module_fee[mo]])
    n = len(limited)
    m.add_rows("budget", n, rows, cols, vals, np.full(n, -np.inf), d.budget[limited])


def add_single_source_constraints(m: Milp, d: PlanInputs) -> None:
    """A single-source program builds each year at one plant (any routes there)."""
    n = len(m.s_q)
    if n == 0:
        m.add_no_rows("sourcing")
        m.add_no_rows("single")
        return
    q0 = m.col_blocks["q"][0]
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([q0 + m.s_q, m.s_col_of_q])
    vals = np.concatenate([np.ones(n), -_big(m, d, m.s_q)])
    m.add_rows("sourcing", n, rows, cols, vals, np.full(n, -np.inf), np.zeros(n))
    s0, s1 = m.col_blocks["s"]
    k = int(m.s_group.max()) + 1
    m.add_rows(
        "single", k, m.s_group, np.arange(s0, s1), np.ones(s1 - s0), np.full(k, -np.inf), np.ones(k)
    )


def add_keep_constraints(m: Milp, d: PlanInputs) -> None:
    """A licence the dormancy rule withdraws is kept only by producing under it (at least
    a car) by the deadline's year; production after that needs it kept."""
    if len(m.k_route) == 0:
        m.add_no_rows("keep")
        return
    q0 = m.col_blocks["q"][0]
    k = m.k_of_route[m.q_route]
    on = k >= 0
    after = np.nonzero(on & (m.q_year > d.route_keep_year[m.q_route]))[0]
    before = np.nonzero(on & (m.q_year <= d.route_keep_year[m.q_route]))[0]
    n_a = len(after)
    k0, k1 = m.col_blocks["k"]
    n_k = k1 - k0
    rows = np.concatenate(
        [
            np.arange(n_a),
            np.arange(n_a),
            n_a + np.arange(n_k),
            n_a + d.route_keep_group[m.q_route[before]],
        ]
    )
    cols = np.concatenate([q0 + after, k[after], np.arange(k0, k1), q0 + before])
    vals = np.concatenate([np.ones(n_a), -_big(m, d, after), np.ones(n_k), -np.ones(len(before))])
    n = n_a + n_k
    m.add_rows("keep", n, rows, cols, vals, np.full(n, -np.inf), np.zeros(n))


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
    add_waiver_variables(m, d)
    add_sourcing_variables(m, d)
    add_keep_variables(m, d)
    add_demand_constraints(m, d)
    add_plant_capacity_constraints(m, d)
    add_shared_route_constraints(m, d)
    add_ramp_module_constraints(m, d)
    add_access_constraints(m, d)
    add_activation_constraints(m, d)
    add_link_constraints(m, d)
    add_waiver_links(m, d)
    add_module_links(m, d)
    add_min_module_constraints(m, d)
    add_exclusion_constraints(m, d)
    add_budget_constraints(m, d)
    add_single_source_constraints(m, d)
    add_keep_constraints(m, d)
    return m


__all__ = ["HALF_CAR", "BoolArray", "FloatArray", "IntArray", "Milp", "PlanInputs", "build_milp"]
