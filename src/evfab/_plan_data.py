"""The planner's inputs: everything its formulation (:mod:`evfab._plan_model`) reads, as
arrays made once from a World (:func:`evfab._plan_inputs.plan_inputs`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from evfab._milp import BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class PlanInputs:
    """Everything the formulation needs, as arrays (built once from a World).

    Attributes:
        years: Planning years (Y).
        discount: Discount factor of each year (Y).
        demand: Demand, programs x years (G, Y).
        lost_margin: Penalty per unmet car, per program (G).
        min_fill: Share of demand that must be met, per program (G).
        single_source: Whether a program builds each year at one plant, per program (G).
        program_company: Company index of each program (G).
        route_program: Program index of each usable route (R).
        route_plant: Plant index of each route (R).
        route_cap: Capacity of each route by year, after its SOP and ramp-up (R, Y).
        route_unit_cost: Cost per car on each route, incl. fees and logistics (R).
        route_offer_ptr: CSR pointer into ``route_offer_idx`` (R + 1).
        route_offer_idx: Offer indices each route needs.
        route_access: Access pair (offer, plant) that brings the route's plant capacity,
            or -1 (R).
        route_waiver: Badge waiver the route needs, or -1 (R).
        route_keep_year: Last year index in which cars must be built under the route's
            licence to keep it (dormancy rule), or -1 (R).
        route_keep_group: That licence (one per company and licence), or -1 (R).
        plant_free: Free capacity of each plant by year (P, Y).
        offer_fixed: One-off fee of each offer (O).
        offer_year: Year index when each offer's fee is paid (O).
        offer_company: Company index of each offer's taker (O).
        access_offer: Offer of each access pair (A).
        access_cap: Capacity an access pair brings by year, NaN if none (A, Y).
        waiver_offer: Offer whose badge clause each waiver drops (W).
        waiver_fee: One-off fee of each waiver, paid in its offer's year (W).
        exclusive: Pairs of offers that exclude each other (E, 2).
        budget: Capital budget per company, inf if none (C).
        module_cap: Capacity one extra module of a build offer adds by year, 0 if none (O, Y).
        module_max: Most modules per offer (O).
        module_fee: Capex per module (O).
        module_plant: Plant whose capacity each offer's modules add to, or -1 (O); a
            planned plant may have several build offers with modules.
        route_shared: Group of the routes that are one route for several programs (one
            licence at one plant, through the same deals), or -1 (R).
        shared_cap: Cars each such group can build by year, for all its programs together
            (S, Y): its licence's and plant's capacity, before any program's ramp-up.
        ramp_rows: Routes whose program ramps up and whose build offer has extra modules
            (K): their cars are held by the modules actually built.
        ramp_base: Cars each such route may build by year without modules, ramped (K, Y).
        ramp_module: Cars each module built adds to it by year, ramped (K, Y).
        route_min_modules: Extra modules of its build offer each route needs to be used:
            its plant reaches a new licence's minimum capacity only with them (R), or
            empty if no route needs any.
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
    route_offer_ptr: IntArray
    route_offer_idx: IntArray
    route_access: IntArray
    route_waiver: IntArray
    route_keep_year: IntArray
    route_keep_group: IntArray
    plant_free: FloatArray
    offer_fixed: FloatArray
    offer_year: IntArray
    offer_company: IntArray
    access_offer: IntArray
    access_cap: FloatArray
    waiver_offer: IntArray
    waiver_fee: FloatArray
    exclusive: IntArray
    budget: FloatArray
    module_cap: FloatArray
    module_max: FloatArray
    module_fee: FloatArray
    module_plant: IntArray
    route_shared: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    shared_cap: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    ramp_rows: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    ramp_base: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    ramp_module: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    route_min_modules: FloatArray = field(default_factory=lambda: np.zeros(0))


__all__ = ["PlanInputs"]
