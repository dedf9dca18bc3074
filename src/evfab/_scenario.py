"""Scenario schema: the typed, frozen vocabulary of a licensing regime.

Every model forbids unknown keys and documents the unit of each field in the
docstring under it; ``evfab schema`` turns these into JSON Schema for editors.
Cross-reference and business rules live in :mod:`evfab._checks`, not here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from evfab._scenario_fields import (
    MAX_MONTHS,
    AsOf,
    Cars,
    Date,
    Fraction,
    Id,
    Money,
    Months,
    NoBool,
    PerCar,
    Year,
)


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        populate_by_name=True,
        allow_inf_nan=False,
    )


class Status(StrEnum):
    """How well a claim is established (strongest first)."""

    CONFIRMED = "confirmed"
    REPORTED = "reported"
    ASSUMPTION = "assumption"
    DECLINED_TO_COMMENT = "declined_to_comment"
    UNCLEAR = "unclear"
    DENIED = "denied"


STATUS_RANK: dict[Status, int] = {s: i for i, s in enumerate(Status)}
"""Rank of each status; higher is weaker. ``weakest`` = max rank."""


def _fixed_duration(value: Any) -> Any:
    """A bare number means a fixed duration: min = mode = max."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"min": value, "mode": value, "max": value}
    return value


class _Duration(_Model):
    """A duration in months as a triangular distribution; a single number means fixed.

    Each of min, mode and max is 0 to 600 months (50 years).
    """

    min: Months
    """Shortest plausible duration, months (0-600)."""
    mode: Months
    """Most likely duration, months (0-600); the nominal value used by the rules engine."""
    max: Months
    """Longest plausible duration, months (0-600)."""


Duration = Annotated[_Duration, BeforeValidator(_fixed_duration)]


class Source(_Model):
    """Where a fact comes from."""

    id: Id
    """Identifier that entities cite in their ``sources`` lists."""
    status: Status
    """How well established the claim is; ``assumption`` marks a modelling choice."""
    publisher: str | None = None
    """Publisher or author."""
    url: str | None = None
    """Address of the document."""
    date: Date | None = None
    """Publication date (1900-2200)."""
    note: str = ""
    """What the source says, or for an assumption the one-line reason for it."""


DEFAULT_SCOPE = "bev_passenger"
"""The vehicle scope of a licence, program or application that states none."""


POLICY_RULES = (
    "new_licences",
    "review_months",
    "approval_probability",
    "min_capacity",
    "contract_manufacturing",
    "badge_names_manufacturer",
    "dormant_exit_months",
)
"""The rules a policy period may set (its fields other than ``since``, ``name`` and sources)."""


class RuleSources(_Model):
    """Which of a policy period's ``sources`` back which of its rules.

    A source listed under a rule backs that rule only (list it under each rule it backs);
    a source of the period listed under no rule backs every rule the period sets. A route
    rests only on the rules that bear on it, so it cites a rule's own sources and the
    period's shared ones, not the sources of the period's other rules.
    """

    new_licences: list[Id] = []
    """Ids (among the period's ``sources``) behind ``new_licences``."""
    review_months: list[Id] = []
    """Ids (among the period's ``sources``) behind ``review_months``."""
    approval_probability: list[Id] = []
    """Ids (among the period's ``sources``) behind ``approval_probability``."""
    min_capacity: list[Id] = []
    """Ids (among the period's ``sources``) behind ``min_capacity``."""
    contract_manufacturing: list[Id] = []
    """Ids (among the period's ``sources``) behind ``contract_manufacturing``."""
    badge_names_manufacturer: list[Id] = []
    """Ids (among the period's ``sources``) behind ``badge_names_manufacturer``."""
    dormant_exit_months: list[Id] = []
    """Ids (among the period's ``sources``) behind ``dormant_exit_months``."""


class PolicyPeriod(_Model):
    """The regulator's rules from a date on; an unset (or null) rule carries over.

    A rule a period leaves unset keeps the value of the latest earlier period that set
    it, or its default when none did (each field says which). Each rule applies to what
    happens while it is in force, including periods after ``as_of``: a licence is
    granted only while new licences are (an application waits for a later period that
    grants them), under that period's approval chance and minimum capacity, after the
    review time in force when it was filed; production under a partner's licence runs
    only while contract manufacturing is allowed; the badge rule in force at a route's
    start of production applies; a later exit rule for dormant licences (or ``0``, no
    exit rule) replaces the earlier one from its date on. A period with ``scopes`` sets
    its rules for those vehicle scopes only (the 2017 halt stopped new *battery-electric*
    makers); the others carry on under their own earlier rules.
    """

    since: Date
    """Date the rules take effect (1900-2200)."""
    name: str = ""
    """Name of the rule or order, e.g. ``NDRC Order 22``."""
    scopes: list[Id] | None = None
    """Vehicle scopes the rules bear on, e.g. ``[bev_passenger]``: licences and
    applications of these scopes, and routes building programs of these scopes; unset:
    every scope."""
    new_licences: bool | None = None
    """Whether new production licences are granted (by approval or filing); unset: as in
    the previous period (granted if no period says)."""
    review_months: Duration | None = None
    """Time from a licence application to a decision, months; unset: as in the previous
    period (the calibrated ``licence_application`` prior if no period sets one)."""
    approval_probability: Fraction | None = None
    """Chance an application is granted, 0-1; unset: as in the previous period (1 if no
    period sets one). 0: an application decided while it is in force is refused, so a
    route whose licence would be granted then (at the modes) is not usable."""
    min_capacity: Cars | None = None
    """Minimum annual capacity of a plant behind a new licence, vehicles/year (0-100 million;
    0: no minimum), judged on the plant's nameplate (every phase, as a project's planned
    scale) plus any extra modules of its build offer; unset: as in the previous period (0 if
    no period sets one)."""
    contract_manufacturing: bool | None = None
    """Whether a licensed maker may build another company's cars (contract or entrusted);
    unset: as in the previous period (allowed if no period says)."""
    badge_names_manufacturer: bool | None = None
    """Whether the car must name the manufacturer of record (nameplate or tail badge);
    unset: as in the previous period (no if no period says)."""
    dormant_exit_months: Annotated[int, NoBool, Field(ge=0, le=MAX_MONTHS)] | None = None
    """Months without output after which a licence is withdrawn, from this period on
    (0-600); 0: no exit rule from this period on (it abolishes an earlier one); unset or
    null: as in the previous period (no exit rule if no period sets one)."""
    sources: list[Id] = []
    """Ids of the sources behind these rules; each backs every rule the period sets,
    unless ``sources_by_rule`` ties it to some of them."""
    sources_by_rule: RuleSources | None = None
    """Which of ``sources`` back which rule, e.g. ``{min_capacity: [draft-rule]}``; a
    source listed under no rule backs them all (unset: every source backs every rule)."""


class Share(_Model):
    """A holding in a company or plant."""

    company: Id
    """Id of the holder."""
    share: Annotated[float, NoBool, Field(gt=0.0, le=1.0)]
    """Fraction held, 0-1."""


class CompanyKind(StrEnum):
    NEWCOMER = "newcomer"
    AUTOMAKER = "automaker"
    JOINT_VENTURE = "joint_venture"
    GROUP = "group"


class Company(_Model):
    """A newcomer, a licensed automaker, a joint venture or a group."""

    id: Id
    """Identifier."""
    name: str
    """Display name; also the brand on a badge."""
    kind: CompanyKind
    """Role in the industry."""
    parent: Id | None = None
    """Id of the controlling group, if any."""
    owners: list[Share] = []
    """Shareholders (for joint ventures), fractions summing to at most 1."""
    capital_budget: Money | None = None
    """Most the company can spend on one-off fees, prices and capex over the horizon, currency
    (0 to 1e14)."""
    sources: list[Id] = []
    """Ids of the sources behind this entry."""


class LicenceStatus(StrEnum):
    HELD = "held"
    APPLIED = "applied"


class Licence(_Model):
    """The right to be manufacturer of record for a vehicle scope."""

    id: Id
    """Identifier."""
    holder: Id
    """Id of the company holding (or applying for) the licence."""
    scope: Id = DEFAULT_SCOPE
    """Vehicle scope, e.g. ``bev_passenger``."""
    status: LicenceStatus
    """``held`` or ``applied`` (pending review)."""
    applied_on: Date | None = None
    """Date of application, for ``applied`` licences only (1900-2200)."""
    review_months: Duration | None = None
    """Review time, months; unset: the policy's in force on ``as_of``."""
    approval_probability: Fraction | None = None
    """Chance of approval, 0-1; unset: the policy's in force when the licence would be
    granted. 0: never granted (its routes are not usable)."""
    dormant_since: Date | None = None
    """Date the holder last produced under it, if it is dormant (1900-2200)."""
    sources: list[Id] = []
    """Ids of the sources behind this entry."""


class PlantStatus(StrEnum):
    OPERATING = "operating"
    IDLE = "idle"
    UNDER_CONSTRUCTION = "under_construction"
    PLANNED = "planned"


class Phase(_Model):
    """A capacity step of a plant."""

    capacity: Annotated[int, NoBool, Field(gt=0, le=100_000_000)]
    """Capacity added by this phase, vehicles/year (1-100 million)."""
    ready: Date | None = None
    """Date the phase can produce (1900-2200); for plants built through an offer use ``months``
    instead."""
    months: Duration | None = None
    """Build time after the construction start (or the build decision), months."""


class Plant(_Model):
    """A vehicle assembly plant."""

    id: Id
    """Identifier."""
    name: str
    """Display name."""
    operator: Id
    """Id of the company running the plant."""
    owners: list[Share] = []
    """Owners and their shares; defaults to the operator alone."""
    location: str = ""
    """City or province."""
    status: PlantStatus
    """Operating, idle, under construction or planned."""
    opened: Date | None = None
    """Date the plant opened (1900-2200); an ``under_construction`` plant opens after as_of."""
    construction_start: Date | None = None
    """Date construction began (for plants under construction), 1900-2200."""
    phases: Annotated[list[Phase], Field(min_length=1)]
    """Capacity phases, in order."""
    committed: dict[Year, Cars] = {}
    """Load already committed by year (the operator's own models), vehicles/year (0-100 million)."""
    unit_cost: PerCar = 0.0
    """Production cost per vehicle at this plant above the cheapest plant's, currency/vehicle
    (0 to 1e10; leave 0 where plants cost the same; the planner compares it with
    ``lost_margin``)."""
    sources: list[Id] = []
    """Ids of the sources behind this entry."""


class BadgeNeed(StrEnum):
    OWN = "own"
    CO_BRAND = "co_brand"
    ANY = "any"


class Program(_Model):
    """A vehicle line of a company."""

    id: Id
    """Identifier."""
    company: Id
    """Id of the company selling the car."""
    name: str
    """Display name."""
    scope: Id = DEFAULT_SCOPE
    """Vehicle scope the program needs a licence for."""
    target_sop: Date
    """Target start of production (1900-2200)."""
    demand: dict[Year, Cars] = {}
    """Cars wanted by year, vehicles/year (0-100 million)."""
    badge: BadgeNeed = BadgeNeed.OWN
    """Badge the car must carry: ``own``; ``co_brand`` (own or co-brand acceptable); ``any``."""
    single_source: bool = False
    """Whether all of a year's production must come from one plant."""
    ramp_months: Duration | None = None
    """Months from start of production to full rate (linear ramp; the risk engine samples
    it); unset means full rate from the first day."""
    lost_margin: PerCar = 0.0
    """Margin lost per car of unmet demand, currency/vehicle (0 to 1e10); building pays when a
    route's per-car cost (plant cost above the cheapest, fees, logistics) is below it."""
    min_fill: Fraction = 0.0
    """Share of each year's demand that must be built (a hard constraint), 0-1."""
    logistics: dict[str, PerCar] = {}
    """Cost of getting a car from a plant (by plant id) to this program's market,
    currency/vehicle (0 to 1e10)."""
    sources: list[Id] = []
    """Ids of the sources behind this entry."""


class BadgeTerms(StrEnum):
    HOST = "host"
    CO_BRAND = "co_brand"
    OWN = "own"


class _OfferBase(_Model):
    id: Id
    """Identifier."""
    to: Id
    """Id of the company the offer is made to (who would take it)."""
    lead_months: Duration | None = None
    """Negotiation and preparation before the offer takes effect, months; unset: for contract
    manufacturing the calibrated prior (``evfab calibrate``), for other offers a 3/6/12-month
    negotiation assumption."""
    success_probability: Fraction = 1.0
    """Chance the deal is concluded, 0-1; 0: never (the routes needing it are not usable)."""
    fixed_fee: Money = 0.0
    """One-off payment (signing fee, price, capex), currency (0 to 1e14)."""
    excludes: list[Id] = []
    """Ids of offers that cannot be taken together with this one. Two purchases of one
    company, two builds of one plant, and stakes in one plant whose shares add up to more
    than 1 exclude each other without being listed."""
    note: str = ""
    """Free text."""
    sources: list[Id] = []
    """Ids of the sources behind this offer."""


class ContractManufacturing(_OfferBase):
    """A licensed host builds the cars in its plant under its licence."""

    kind: Literal["contract_manufacturing"]
    host: Id
    """Id of the licensed host company (manufacturer of record)."""
    plant: Id
    """Id of the host's plant."""
    licence: Id | None = None
    """Id of the host licence used; defaults to the host's held licence for the scope."""
    fee_per_unit: PerCar = 0.0
    """Processing fee paid to the host per car, currency/vehicle (0 to 1e10)."""
    badge: BadgeTerms = BadgeTerms.HOST
    """Badge the contract requires: the host's, a co-brand, or the buyer's own."""
    badge_waiver_fee: Money | None = None
    """Fee to drop a host or co-brand clause and carry the buyer's own badge, currency
    (0 to 1e14)."""
    capacity: dict[Year, Cars] = {}
    """Maximum cars the host will build per year, vehicles/year (0-100 million); unset means
    plant capacity."""
    until: Date | None = None
    """End of the contract: no cars are built under it from this date on (``YYYY-MM`` is
    the first of the month); unset means it runs to the horizon."""


class LicenceUmbrella(_OfferBase):
    """A licensed partner lends its licence so the buyer's own plant can produce."""

    kind: Literal["licence_umbrella"]
    partner: Id
    """Id of the licensed partner (manufacturer of record)."""
    licence: Id | None = None
    """Id of the partner's licence; defaults to its held licence for the scope."""
    plants: Annotated[list[Id], Field(min_length=1)]
    """Ids of the plants (the buyer's own, to be built, or staked) it covers."""
    fee_per_unit: PerCar = 0.0
    """Fee paid to the partner per car, currency/vehicle (0 to 1e10)."""
    badge: BadgeTerms = BadgeTerms.OWN
    """Badge the agreement requires."""
    badge_waiver_fee: Money | None = None
    """Fee to carry the buyer's own badge instead, currency (0 to 1e14)."""
    until: Date | None = None
    """End of the agreement: no cars are built under the partner's licence from this date
    on (``YYYY-MM`` is the first of the month); unset means it runs to the horizon."""


class AcquireCompany(_OfferBase):
    """Buy a licensed company (its licences and plants come with it)."""

    kind: Literal["acquire_company"]
    target: Id
    """Id of the company to buy."""
    closing_months: Duration = _Duration(min=0, mode=0, max=0)
    """Closing of the deal after it is agreed, months."""
    transfer_months: Duration | None = None
    """Re-listing the licence in the new owner's name, months; unset means the calibrated
    prior (``evfab calibrate``)."""


class PlantStake(_OfferBase):
    """Buy a stake in an existing plant and use part of its capacity."""

    kind: Literal["plant_stake"]
    plant: Id
    """Id of the plant."""
    share: Annotated[float, NoBool, Field(gt=0.0, le=1.0)]
    """Fraction of the plant bought, 0-1."""
    capacity_share: Fraction | None = None
    """Fraction of the plant's free capacity the buyer may use, 0-1; defaults to ``share``."""
    closing_months: Duration = _Duration(min=0, mode=0, max=0)
    """Closing of the deal after it is agreed, months."""


class BuildPlant(_OfferBase):
    """Build a new plant (declared under ``plants`` with status ``planned``)."""

    kind: Literal["build_plant"]
    plant: Id
    """Id of the planned plant; its phases give build times in ``months``."""
    module_capacity: Annotated[int, NoBool, Field(gt=0, le=100_000_000)] | None = None
    """Capacity of one optional extra module the planner may add, vehicles/year (1-100 million;
    ready with the first phase); unset means the plant comes only as its phases."""
    max_modules: Annotated[int, NoBool, Field(ge=0, le=1000)] = 0
    """Most extra modules that can be added, 0-1000."""
    module_fee: Money = 0.0
    """Capex of one module, currency (0 to 1e14)."""


class ApplyLicence(_OfferBase):
    """Apply for an own licence under the policy in force."""

    kind: Literal["apply_licence"]
    scope: Id = DEFAULT_SCOPE
    """Vehicle scope applied for."""
    review_months: Duration | None = None
    """Review time, months; unset: the policy's in force when the application is filed."""


Offer = Annotated[
    ContractManufacturing
    | LicenceUmbrella
    | AcquireCompany
    | PlantStake
    | BuildPlant
    | ApplyLicence,
    Field(discriminator="kind"),
]


class CaseKind(StrEnum):
    """What an observed case measures (the route kinds ``evfab calibrate`` fits)."""

    CONTRACT_MANUFACTURING = "contract_manufacturing"
    """Contract signed -> first deliveries of cars built by the host."""
    ACQUISITION_LICENCE = "acquisition_licence"
    """Licensed company bought -> licence listed in the new owner's name."""
    ACQUISITION_DELIVERY = "acquisition_delivery"
    """Licensed company bought -> first deliveries."""
    OWN_PLANT = "own_plant"
    """Construction start of an own plant -> first deliveries from it."""
    LICENCE_APPLICATION = "licence_application"
    """Licence application (or project filing) -> licence granted."""


class Case(_Model):
    """An observed case: how long one step of a route really took."""

    id: Id
    """Identifier."""
    company: Id
    """Id of the company the case is about."""
    kind: CaseKind
    """Which step it measures."""
    start: Date
    """Date the step began (deal signed, construction start, application), 1900-2200."""
    end: Date | None = None
    """Date it ended; unset if it had not ended by as_of (the case is then not used)."""
    note: str = ""
    """What exactly the two dates are."""
    sources: list[Id] = []
    """Ids of the sources for both dates."""


class Scenario(_Model):
    """A dated world: policy, companies, licences, plants, programs and offers."""

    name: Id
    """Short name of the scenario."""
    title: str = ""
    """One-line description."""
    as_of: AsOf
    """The date the scenario describes (1990-2100); nothing can start before it."""
    horizon: Annotated[int, NoBool, Field(ge=1990, le=2100)]
    """Last planning year, 1990-2100."""
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "CNY"
    """ISO 4217 code of every money figure: three capital letters, e.g. ``CNY``."""
    discount_rate: Annotated[float, NoBool, Field(ge=0.0, lt=1.0)] = 0.08
    """Annual discount rate for costs, fraction from 0 to below 1. Costs are discounted by
    whole calendar years from the year of ``as_of``: a year's production costs and lost
    margin, and a one-off fee paid that year, count ``1 / (1 + rate) ** (year - as_of's
    year)`` (nothing in as_of's own year, a full year in the next, whatever the day)."""
    discount_rate_sources: list[Id] = []
    """Sources behind ``discount_rate`` (ids under ``sources``; an ``assumption`` with its
    reason when the rate is the modeller's choice)."""
    sources: list[Source] = []
    """Every source cited in the file."""
    policy: Annotated[list[PolicyPeriod], Field(min_length=1)]
    """The regulator's rules, one period per change, in date order."""
    companies: list[Company] = []
    """Companies."""
    licences: list[Licence] = []
    """Licences held or applied for."""
    plants: list[Plant] = []
    """Plants."""
    programs: list[Program] = []
    """Vehicle programs."""
    offers: list[Offer] = []
    """Options on the table."""
    history: list[Case] = []
    """Observed cases, used by ``evfab calibrate`` to fit duration priors."""
