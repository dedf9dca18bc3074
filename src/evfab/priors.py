"""Duration priors: what evfab assumes when a scenario gives no distribution.

The priors per route kind are fitted by :func:`calibrate` from the observed cases in the
bundled ``china-ev`` scenario (``evfab calibrate`` prints the fit; a test checks that the
constants below equal it). The fitting rule, for n observed durations in months:

    mode = median, min = 0.75 x shortest, max = 1.5 x longest  (rounded to 0.1 month)

The spread is deliberately wide: there are few cases, and only the ones that reached
production are observed (failed deals leave no end date), so the fit is optimistic.

Cases behind each prior (months; the cases and their sources are in the ``history`` of the
bundled ``china-ev`` scenario, most of the dates in shared/data/china-ev-facts.csv). Only
cases over by china-ev's ``as_of`` (2022-12-31) are used: a later outcome would let a
backtest at that date see its own future.

- contract_manufacturing: Nio-JAC, deal 2016-05-23 -> first ES8 deliveries 2018-06-28
  (25.2); Xpeng-Haima, framework 2017-09-29 -> G3 launch 2018-12-12 (14.4).
- acquisition_licence: Li Auto buys Lifan 2018-12-18 -> renamed in MIIT batch 317
  2019-02-21 (2.1).
- acquisition_delivery: Li Auto buys Lifan 2018-12-18 -> Li ONE deliveries 2019-12 (11.4).
- own_plant: Tesla Shanghai groundbreaking 2019-01-07 -> first deliveries 2019-12-30
  (11.7). (Li Auto Beijing, construction 2021-10 -> production 2023-08, ends after as_of.)
- licence_application: Tesla agreement 2018-07-11 -> MIIT listing 2019-11-13 (16.1).
  (Xiaomi EV announced 2021-03-30 -> NDRC nod 2023-08-23 ends after as_of; it would also
  time Xiaomi's own application with its own outcome.)

With one case a prior's spread is only 0.75x-1.5x of it: read such a prior as a
placeholder to be replaced by the scenario's own durations.

Only three priors are applied (:data:`APPLIED`): contract_manufacturing to a
contract-manufacturing offer without ``lead_months``, acquisition_licence to a purchase
without ``transfer_months`` and licence_application to licence reviews where no policy
period sets ``review_months``. own_plant and acquisition_delivery stand in for nothing: a
plant phase must give its ``ready`` date or build ``months``, and an acquisition's first
cars follow from its steps. They are a reference to compare a scenario's own durations
with (:data:`PRIOR_USE`).

``NEGOTIATION`` (3 / 6 / 12 months, an assumption: no case dates the talks themselves) is
the default lead time of umbrella, stake, purchase, build and application offers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from statistics import median
from typing import Any

from evfab._scenario import STATUS_RANK, CaseKind, Scenario, Status

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Prior:
    """A fitted triangular duration.

    Attributes:
        kind: Route kind it describes.
        min: Shortest plausible months.
        mode: Most likely months.
        max: Longest plausible months.
        cases: Ids of the cases it was fitted on.
        months: The observed durations, in the order of ``cases``.
        status: Weakest source status among the cases.
    """

    kind: str
    min: float
    mode: float
    max: float
    cases: tuple[str, ...]
    months: tuple[float, ...]
    status: str


PRIORS: dict[str, tuple[float, float, float]] = {
    "contract_manufacturing": (10.8, 19.8, 37.7),
    "acquisition_licence": (1.6, 2.1, 3.2),
    "acquisition_delivery": (8.6, 11.4, 17.1),
    "own_plant": (8.8, 11.7, 17.6),
    "licence_application": (12.1, 16.1, 24.1),
}
"""Fitted priors (min, mode, max months) by route kind, as ``evfab calibrate`` prints them."""

APPLIED: frozenset[str] = frozenset(
    {"contract_manufacturing", "acquisition_licence", "licence_application"}
)
"""The priors an engine applies when a scenario leaves a duration unset (the rest of
:data:`PRIORS` is a reference only)."""

PRIOR_USE: dict[str, str] = {
    "contract_manufacturing": "lead time of a contract-manufacturing offer without lead_months",
    "acquisition_licence": "licence transfer after a purchase without transfer_months",
    "acquisition_delivery": (
        "reference only: compare with the time from purchase to first cars of a scenario's "
        "acquisition routes"
    ),
    "own_plant": (
        "reference only: compare with a scenario's own plant build times (a plant phase "
        "gives its ready date or build months)"
    ),
    "licence_application": "licence review time where no policy period sets review_months",
}
"""What each prior of :data:`PRIORS` stands in for, or that it is a reference only."""

NEGOTIATION: tuple[float, float, float] = (3.0, 6.0, 12.0)
"""Default negotiation lead of non-contract offers, months (an assumption)."""

PRIOR_SOURCE_ID = "evfab-prior-{kind}"
"""Source id under which a prior enters a World when a scenario relies on it."""


def fit(months: list[float]) -> tuple[float, float, float]:
    """Fit min / mode / max to observed durations by the rule in the module docstring.

    Args:
        months: Observed durations, at least one.

    Returns:
        (min, mode, max) in months, rounded to 0.1.
    """
    lo, mid, hi = 0.75 * min(months), median(months), 1.5 * max(months)
    return round(lo, 1), round(mid, 1), round(hi, 1)


def _months(a: dt.date, b: dt.date) -> float:
    return (b - a).days / DAYS_PER_MONTH


def calibrate(s: Scenario) -> list[Prior]:
    """Fit a prior per route kind from the scenario's observed cases.

    Cases that are not over by as_of (no end date, or one after as_of) are left out; so are
    cases whose sources include a ``denied`` claim.

    Args:
        s: A scenario with a ``history`` section.

    Returns:
        One prior per kind that has at least one usable case, in :class:`CaseKind` order.
    """
    status = {src.id: src.status for src in s.sources}
    out = []
    unused = left_out(s)
    for kind in CaseKind:
        cases = [c for c in s.history if c.kind is kind and c.id not in unused]
        if not cases:
            continue
        months = [_months(c.start, c.end) for c in cases if c.end is not None]
        lo, mid, hi = fit(months)
        weakest = max(
            (status[x] for c in cases for x in c.sources),
            key=lambda st: STATUS_RANK[st],
            default=Status.ASSUMPTION,
        )
        out.append(
            Prior(
                kind=kind.value,
                min=lo,
                mode=mid,
                max=hi,
                cases=tuple(c.id for c in cases),
                months=tuple(round(m, 1) for m in months),
                status=weakest.value,
            )
        )
    return out


def left_out(s: Scenario) -> dict[str, str]:
    """The observed cases :func:`calibrate` leaves out, and why.

    Args:
        s: A scenario.

    Returns:
        ``{case id: reason}``: a case with no end date (still running at as_of), one that
        ends after as_of (its outcome was not known on the scenario's date: fitting on it
        would let a backtest see its own future), or one resting on a ``denied`` claim.
    """
    status = {src.id: src.status for src in s.sources}
    out: dict[str, str] = {}
    for c in s.history:
        denied = [x for x in c.sources if status.get(x) is Status.DENIED]
        if c.end is None:
            out[c.id] = "no end date (not over by as_of)"
        elif c.end > s.as_of:
            out[c.id] = (
                f"ends {c.end.isoformat()}, after as_of {s.as_of.isoformat()} (not known then)"
            )
        elif denied:
            out[c.id] = f"rests on a denied claim: {', '.join(denied)}"
    return out


def in_use(p: Prior) -> bool:
    """Whether evfab applies this very prior: its kind is :data:`APPLIED` and the
    constant in :data:`PRIORS` equals the fit.

    Args:
        p: A fitted prior.

    Returns:
        True when a scenario leaving this kind's duration unset gets these numbers.
    """
    return p.kind in APPLIED and PRIORS.get(p.kind) == (p.min, p.mode, p.max)


def calibration_fields(fitted: list[Prior]) -> dict[str, Any]:
    """The fields of ``evfab calibrate --json`` after the envelope.

    Args:
        fitted: What :func:`calibrate` returned.

    Returns:
        ``priors`` (each fitted prior, with ``in_use`` as :func:`in_use` and ``use`` from
        :data:`PRIOR_USE`), ``in_use`` (the priors evfab applies, ``{kind: [min, mode,
        max]}``) and ``reference`` (the other priors of :data:`PRIORS`, applied by no engine,
        in the same shape).
    """
    return {
        "priors": [
            asdict(p) | {"in_use": in_use(p), "use": PRIOR_USE.get(p.kind, "")} for p in fitted
        ],
        "in_use": {k: list(v) for k, v in PRIORS.items() if k in APPLIED},
        "reference": {k: list(v) for k, v in PRIORS.items() if k not in APPLIED},
    }
