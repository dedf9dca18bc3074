"""`evfab sources`: every bundled entity, offer, case, route and the plan lists its sources."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import evfab
from evfab._report_risk import print_sources, source_rows, stated_dates

EVFAB = str(Path(sys.executable).parent / "evfab")


def sources_json(*args: str) -> dict[str, object]:
    res = subprocess.run([EVFAB, "sources", *args, "--json"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    data: dict[str, object] = json.loads(res.stdout)
    return data


@pytest.mark.parametrize("name", sorted(evfab.bundled()))
def test_every_bundled_entity_lists_its_sources(name: str) -> None:
    """In-process over every entity (fast), matching what the CLI prints for each."""
    from evfab._cli_pick import sources_of as _sources_of

    s = evfab.load(name)
    world = evfab.compile(s)
    for coll in ("companies", "licences", "plants", "programs", "offers", "history"):
        for item in getattr(s, coll):
            label, ids = _sources_of(s, world, item.id)
            assert item.id in label
            assert set(item.sources) <= set(ids), (name, item.id)
            rows = source_rows(world, ids)
            assert [r["id"] for r in rows] == [i for i in ids if i in world.sources.index]
            for r in rows:
                assert r["flag"] == (r["status"] in ("denied", "unclear", "declined_to_comment"))


def test_cli_sources_of_an_offer_flags_the_denial() -> None:
    data = sources_json("xiaomi-2022", "hyundai-no2-stake")
    rows = data["sources"]
    assert isinstance(rows, list)
    denied = [r for r in rows if r["status"] == "denied"]
    assert [r["id"] for r in denied] == ["hyundai-denial"]
    assert denied[0]["flag"] is True
    assert "offer hyundai-no2-stake" in denied[0]["cited_by"]


def test_cli_sources_of_a_route_and_the_plan() -> None:
    route = sources_json("xiaomi-2022", "partner:baic-umbrella@own:yizhuang")
    ids = {r["id"] for r in route["sources"]}  # type: ignore[union-attr]
    assert {"bloomberg-xiaomi-baic", "yizhuang-capacity"} <= ids
    plan = sources_json("xiaomi-2022", "plan")
    assert plan["of"] == "the plan's chosen routes and discount rate"
    assert plan["sources"]


def test_the_discount_rate_cites_its_sources() -> None:
    from conftest import MINIMAL
    from evfab._cli_pick import sources_of as _sources_of

    text = MINIMAL.replace("as_of:", "discount_rate_sources: [s1]\nas_of:", 1)
    s = evfab.loads(text)
    world = evfab.compile(s)
    assert _sources_of(s, world, "discount_rate") == ("the discount rate", ["s1"])
    rows = {r["id"]: r for r in source_rows(world, ["s1"])}
    assert "scenario discount_rate" in rows["s1"]["cited_by"]
    with pytest.raises(evfab.ScenarioError) as e:
        evfab.loads(MINIMAL.replace("as_of:", "discount_rate_sources: [nope]\nas_of:", 1))
    assert "discount_rate_sources[0]: source 'nope' is cited but not defined" in str(e.value)


def test_cli_sources_table_and_unknown_id() -> None:
    res = subprocess.run(
        [EVFAB, "sources", "xiaomi-2022", "hyundai-no2-stake"], capture_output=True, text=True
    )
    assert res.returncode == 0
    assert "denied or unclear" in res.stdout
    bad = subprocess.run([EVFAB, "sources", "xiaomi-2022", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "not an entity" in bad.stderr


def test_month_only_dates_keep_their_precision() -> None:
    assert stated_dates("xiaomi-2022") == {
        "ndrc-halt-2017": "2017-06",
        "ndrc-15-licences": "2017-06",
        "weekinchina-2019": "2019-01",
        "nio-first-delivery": "2018-06",
        "jac-hefei-2021": "2021-05",
        "nio-fee": "2025-07",
    }
    w = evfab.compile(evfab.load("xiaomi-2022"))
    dates = {
        r["id"]: r["date"]
        for r in source_rows(w, list(w.sources.index), dates=stated_dates("xiaomi-2022"))
    }
    assert dates["nio-fee"] == "2025-07" and dates["hyundai-denial"] == "2022-08-26"
    assert dates["a-approval"] is None


@pytest.mark.parametrize("name", sorted(evfab.bundled()))
def test_policy_periods_count_among_what_cites_a_source(name: str) -> None:
    s = evfab.load(name)
    w = evfab.compile(s)
    rows = source_rows(w, list(w.sources.index), scenario=s)
    assert [r["id"] for r in rows if not r["cited_by"]] == []
    halt = {r["id"]: r["cited_by"] for r in rows}["ndrc-halt-2017"]
    assert "policy NDRC halt of new BEV approvals (since 2017-06-01)" in halt
    # Without the scenario, the periods that set a rule still count.
    rows = source_rows(w, ["ndrc-halt-2017"])
    assert "policy NDRC halt of new BEV approvals (since 2017-06-01)" in rows[0]["cited_by"]


def test_the_table_folds_urls_instead_of_cutting_them() -> None:
    from rich.console import Console

    s = evfab.load("xiaomi-2022")
    w = evfab.compile(s)
    rows = source_rows(w, list(w.sources.index), scenario=s)
    console = Console(width=120, record=True)
    print_sources(console, "every source in the scenario", rows)
    text = console.export_text()
    assert text.startswith(f"Every source in the scenario ({len(rows)})")
    assert "…" not in text
    longest = max((r["url"] for r in rows), key=len)
    assert len(longest) > 60 and longest[:30] in text and longest[-12:] in text
