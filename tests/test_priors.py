"""Tests of the duration priors (:mod:`evfab.priors`): the fitting rule and calibration.

The rule: min = 0.75 x shortest, mode = median, max = 1.5 x longest, rounded to 0.1 month;
a month is 365.25 / 12 days.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

import evfab
from conftest import MINIMAL
from evfab.priors import APPLIED, PRIOR_USE, PRIORS, calibrate, fit, in_use, left_out


def test_fit_single_case() -> None:
    assert fit([10.0]) == (7.5, 10.0, 15.0)


def test_fit_two_cases() -> None:
    # Nio-JAC and Xpeng-Haima rounded to 25.2 and 14.4 months.
    assert fit([14.4, 25.2]) == (10.8, 19.8, 37.8)
    assert fit([25.2, 14.4]) == fit([14.4, 25.2])  # order does not matter


def test_fit_median_of_odd_and_even_counts() -> None:
    assert fit([2.0, 40.0, 3.0]) == (1.5, 3.0, 60.0)
    assert fit([4.0, 6.0, 10.0, 20.0]) == (3.0, 8.0, 30.0)


def test_fit_rounds_to_a_tenth() -> None:
    # 0.75 x 11.73 = 8.7975; 1.5 x 11.73 = 17.595.
    assert fit([11.73]) == (8.8, 11.7, 17.6)


def test_fit_needs_a_case() -> None:
    with pytest.raises(ValueError):
        fit([])


def _with_history() -> evfab.Scenario:
    d: dict[str, Any] = yaml.safe_load(MINIMAL)
    d["sources"] += [
        {"id": "r1", "status": "reported", "url": "https://example.org/r"},
        {"id": "d1", "status": "denied", "url": "https://example.org/d"},
    ]

    def case(cid: str, kind: str, start: str, end: str | None, sources: list[str]) -> None:
        c = {"id": cid, "company": "newco", "kind": kind, "start": start, "sources": sources}
        if end is not None:
            c["end"] = end
        d.setdefault("history", []).append(c)

    case("nio-jac", "contract_manufacturing", "2016-05-23", "2018-06-28", ["s1"])  # 25.2
    case("xpeng-haima", "contract_manufacturing", "2017-09-29", "2018-12-12", ["r1"])  # 14.4
    case("still-running", "contract_manufacturing", "2020-01-01", None, ["s1"])
    case("denied-deal", "contract_manufacturing", "2019-01-01", "2019-02-01", ["s1", "d1"])
    case("tesla-shanghai", "own_plant", "2019-01-07", "2019-12-30", ["s1"])  # 357 days
    case("denied-licence", "licence_application", "2019-01-01", "2020-01-01", ["d1"])
    # Over after the scenario's as_of (2022-01-01): its outcome was not known then.
    case("later", "own_plant", "2021-01-01", "2022-01-02", ["s1"])
    return evfab.loads(yaml.safe_dump(d, sort_keys=False))


def test_calibrate_uses_ended_cases_not_resting_on_denied_claims() -> None:
    fitted = calibrate(_with_history())
    # One prior per kind with a usable case, in CaseKind order; the licence kind has none.
    assert [p.kind for p in fitted] == ["contract_manufacturing", "own_plant"]
    cm, plant = fitted
    assert cm.cases == ("nio-jac", "xpeng-haima")
    assert cm.months == (25.2, 14.4)  # rounded for display; the fit uses exact days
    # 766 and 439 days: 0.75 x 14.42 = 10.82, median 19.79, 1.5 x 25.17 = 37.75 (not 37.8).
    assert (cm.min, cm.mode, cm.max) == (10.8, 19.8, 37.7)
    assert cm.status == "reported"  # the weakest status among the cases used
    assert plant.cases == ("tesla-shanghai",)
    assert plant.months == (11.7,)
    months = 357 / (365.25 / 12)
    assert (
        (plant.min, plant.mode, plant.max)
        == (
            round(0.75 * months, 1),
            round(months, 1),
            round(1.5 * months, 1),
        )
        == (8.8, 11.7, 17.6)
    )
    assert plant.status == "confirmed"


def test_calibrate_without_history_is_empty() -> None:
    assert calibrate(evfab.loads(MINIMAL)) == []


def test_left_out_says_why_a_case_is_not_used() -> None:
    assert left_out(_with_history()) == {
        "still-running": "no end date (not over by as_of)",
        "denied-deal": "rests on a denied claim: d1",
        "denied-licence": "rests on a denied claim: d1",
        "later": "ends 2022-01-02, after as_of 2022-01-01 (not known then)",
    }


def test_calibrating_nothing_says_so_and_how_to_add_history() -> None:
    from rich.console import Console

    from evfab._report_risk import print_calibration

    console = Console(width=120, record=True)
    s = evfab.loads(MINIMAL)
    print_calibration(console, s, calibrate(s))
    text = console.export_text()
    assert text.startswith("Nothing to fit: minimal has no `history` of observed cases.")
    assert "add a `history` section" in text and "sources: [nio-jac-agreement]" in text
    assert "Duration priors fitted" not in text and "Priors evfab ships" in text
    d: dict[str, Any] = yaml.safe_load(MINIMAL)
    d["history"] = [
        {
            "id": "open",
            "company": "newco",
            "kind": "own_plant",
            "start": "2021-01-01",
            "sources": ["s1"],
        }
    ]
    s = evfab.loads(yaml.safe_dump(d, sort_keys=False))
    console = Console(width=120, record=True)
    print_calibration(console, s, calibrate(s))
    text = console.export_text()
    assert "none of the 1 cases in minimal's `history` can be used" in text
    assert "open: no end date" in text


def test_only_the_priors_an_engine_applies_are_in_use() -> None:
    assert {"contract_manufacturing", "acquisition_licence", "licence_application"} == APPLIED
    assert set(PRIORS) > APPLIED and set(PRIOR_USE) == set(PRIORS)
    assert all(PRIOR_USE[k].startswith("reference only") for k in set(PRIORS) - APPLIED)


def test_engines_draw_on_no_prior_outside_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    # Guards the claim `evfab calibrate` makes: if an engine starts drawing on another
    # prior, APPLIED (and the calibrate output) must say so.
    import evfab._policy as policy
    import evfab._world_tables as tables

    drawn: set[str] = set()
    real = policy.prior_duration

    def recording(kind: str) -> Any:
        drawn.add(kind)
        return real(kind)

    monkeypatch.setattr(tables, "prior_duration", recording)
    monkeypatch.setattr(policy, "prior_duration", recording)
    d: dict[str, Any] = yaml.safe_load(MINIMAL)
    for o in d["offers"]:
        o.pop("lead_months", None)
    for name in ("china-ev", "xiaomi-2022"):
        evfab.routes(evfab.load(name))
    evfab.routes(evfab.loads(yaml.safe_dump(d, sort_keys=False)))
    assert drawn and drawn <= APPLIED | {"negotiation"}
    # The review time no policy period sets is the licence_application prior.
    review = policy._POLICY_DEFAULTS["review_months"]
    assert (review.min, review.mode, review.max) == PRIORS["licence_application"]


def _calibrate_json(name: str) -> dict[str, Any]:
    from typer.testing import CliRunner

    from evfab.cli import app

    res = CliRunner().invoke(app, ["calibrate", name, "--json"])
    assert res.exit_code == 0, res.output
    out: dict[str, Any] = json.loads(res.stdout)
    return out


def test_calibrate_json_lists_own_plant_and_acquisition_delivery_as_reference() -> None:
    out = _calibrate_json("china-ev")
    # `in_use` is "the priors evfab applies": it listed all five.
    assert set(out["in_use"]) == APPLIED
    assert set(out["reference"]) == {"own_plant", "acquisition_delivery"}
    # The fitted numbers are unchanged, and every shipped prior is in one of the two.
    assert {k: tuple(v) for k, v in (out["in_use"] | out["reference"]).items()} == PRIORS
    flags = {p["kind"]: p["in_use"] for p in out["priors"]}
    assert flags == {
        "contract_manufacturing": True,
        "acquisition_licence": True,
        "acquisition_delivery": False,
        "own_plant": False,
        "licence_application": True,
    }
    assert all(p["use"] == PRIOR_USE[p["kind"]] for p in out["priors"])
    plant = next(p for p in out["priors"] if p["kind"] == "own_plant")
    assert (plant["min"], plant["mode"], plant["max"]) == (8.8, 11.7, 17.6)
    # Without history: no fit, the same two lists.
    bare = _calibrate_json("xiaomi-2022")
    assert bare["priors"] == [] and set(bare["in_use"]) == APPLIED
    assert set(bare["reference"]) == {"own_plant", "acquisition_delivery"}


def _calibration_text(s: evfab.Scenario) -> str:
    from rich.console import Console

    from evfab._report_risk import print_calibration

    console = Console(width=200, record=True)
    print_calibration(console, s, calibrate(s))
    return console.export_text()


def _row(text: str, kind: str) -> str:
    return next(line for line in text.splitlines() if f" {kind} " in line)


def test_calibrate_text_says_which_priors_are_applied() -> None:
    text = _calibration_text(evfab.load("china-ev"))
    for kind in ("own_plant", "acquisition_delivery"):
        assert _row(text, kind).rstrip(" │").endswith("no: reference only")
    for kind in APPLIED:
        assert _row(text, kind).rstrip(" │").endswith("yes")
    # The footnote names the applied three and the two that are only a reference.
    flat = " ".join(text.split())  # the footnote wraps
    assert "evfab applies three priors" in flat
    assert "own_plant and acquisition_delivery are applied by no engine" in flat
    assert "contract manufacturing leads, licence transfers after a purchase" not in flat


def test_calibrate_text_gives_the_applied_numbers_when_a_fit_differs() -> None:
    d: dict[str, Any] = yaml.safe_load(MINIMAL)
    d["history"] = [
        {
            "id": "lic",
            "company": "newco",
            "kind": "licence_application",
            "start": "2019-01-01",
            "end": "2020-01-01",
            "sources": ["s1"],
        },
        {
            "id": "plant",
            "company": "newco",
            "kind": "own_plant",
            "start": "2019-01-01",
            "end": "2020-01-01",
            "sources": ["s1"],
        },
    ]
    s = evfab.loads(yaml.safe_dump(d, sort_keys=False))
    lic, plant = calibrate(s)
    assert not in_use(lic) and not in_use(plant)
    text = _calibration_text(s)
    assert _row(text, "licence_application").rstrip(" │").endswith("no: applies 12.1/16.1/24.1")
    assert _row(text, "own_plant").rstrip(" │").endswith("no: reference only")


def test_nothing_to_fit_lists_the_priors_with_what_is_in_use() -> None:
    text = _calibration_text(evfab.loads(MINIMAL))
    assert "Priors evfab ships (months), unchanged" in text
    assert _row(text, "own_plant").rstrip().endswith("no: reference only")
    assert _row(text, "licence_application").rstrip().endswith("yes")
    assert "own_plant and acquisition_delivery are applied by no engine" in " ".join(text.split())
