"""The generator's offers to newcomers, and logistics (see :mod:`evfab.generate`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from evfab._generate_industry import Industry

_BADGES = ("host", "co_brand", "own")


def draw_offers(rng: np.random.Generator, ind: Industry) -> None:
    """Offers to each newcomer with programs; the first newcomer gets one of each kind."""
    with_programs = dict.fromkeys(g["company"] for g in ind.programs)
    applied = {lic["holder"] for lic in ind.licences}
    for n in ind.news:
        if n not in with_programs:
            continue
        lead = n == ind.news[0]
        reach = ind.reach.setdefault(n, list(ind.by_op.get(n, [])))
        reach.extend(_contract_offers(rng, ind, n, lead))
        own = list(ind.by_op.get(n, []))
        covered = list(own)
        built = None
        if lead or rng.random() < 0.3:
            built = _build_offer(rng, ind, n)
            reach.append(built)
        if n not in applied and (own or built) and (lead or rng.random() < 0.5):
            ind.offers.append(
                {
                    "id": f"apply-{n}",
                    "kind": "apply_licence",
                    "to": n,
                    "fixed_fee": 50_000_000,
                    "lead_months": 3,
                    "sources": ["synthetic"],
                }
            )
        if ind.dormant and (lead or rng.random() < 0.3):
            target = ind.dormant[int(rng.integers(len(ind.dormant)))]
            ind.offers.append(
                {
                    "id": f"buy-{n}-{target}",
                    "kind": "acquire_company",
                    "to": n,
                    "target": target,
                    "fixed_fee": int(rng.integers(3, 20)) * 100_000_000,
                    "lead_months": {"min": 2, "mode": 4, "max": 8},
                    "closing_months": 2,
                    "transfer_months": {"min": 1, "mode": 2, "max": 6},
                    "success_probability": 0.5,
                    "sources": ["synthetic"],
                }
            )
            reach.extend(ind.by_op.get(target, []))
        if ind.idle and (lead or rng.random() < 0.3):
            pid = ind.idle[int(rng.integers(len(ind.idle)))]
            ind.offers.append(
                {
                    "id": f"stake-{n}-{pid}",
                    "kind": "plant_stake",
                    "to": n,
                    "plant": pid,
                    "share": 0.5,
                    "fixed_fee": int(rng.integers(5, 30)) * 100_000_000,
                    "lead_months": {"min": 3, "mode": 6, "max": 12},
                    "closing_months": 3,
                    "success_probability": 0.3,
                    "sources": ["synthetic"],
                }
            )
            reach.append(pid)
            if lead:
                # Only the first newcomer's umbrella covers its stake and new plant: a
                # route needing two offers adds a binary to the plan, and the benchmarks'
                # plans must stay quick.
                covered.append(pid)
        if lead and built:
            covered.append(built)
        if covered and ind.active and (lead or rng.random() < 0.7):
            # A partner's licence over the newcomer's own plants (the first newcomer's also
            # over its new and staked ones), as BAIC's over Xiaomi's Yizhuang plant and a
            # Hyundai stake.
            partner = ind.active[int(rng.integers(len(ind.active)))]
            ind.offers.append(
                {
                    "id": f"umbrella-{n}",
                    "kind": "licence_umbrella",
                    "to": n,
                    "partner": partner,
                    "plants": covered,
                    "fee_per_unit": int(rng.integers(1, 6)) * 1000,
                    "lead_months": {"min": 3, "mode": 6, "max": 12},
                    "sources": ["synthetic"],
                }
            )


def _contract_offers(rng: np.random.Generator, ind: Industry, n: str, lead: bool) -> list[str]:
    """Two to four contract-manufacturing offers to newcomer ``n``; their plants.

    The first newcomer's first offer carries a fee to waive a host or co-brand badge, so
    that even the smallest scenario's program has a route whatever badge it needs (for
    others a waiver is a coin toss: each adds binaries to the plan); some offers cap the
    cars a year or end before the horizon.
    """
    hosts = ind.active
    n_cm = min(len(hosts), int(rng.integers(2, 5)))
    # A lead time that lets a one-year horizon still see production.
    longest = max(6, 12 * ind.years - 3)
    mine: list[dict[str, Any]] = []
    for j, hi in enumerate(
        rng.choice(len(hosts), size=n_cm, replace=False).tolist() if n_cm else []
    ):
        h = hosts[int(hi)]
        terms = str(rng.choice(_BADGES, p=[0.3, 0.4, 0.3]))
        offer: dict[str, Any] = {
            "id": f"cm-{n}-{h}",
            "kind": "contract_manufacturing",
            "to": n,
            "host": h,
            "plant": ind.by_op[h][int(rng.integers(len(ind.by_op[h])))],
            "fee_per_unit": int(rng.integers(3, 13)) * 1000,
            "badge": terms,
            "lead_months": {"min": 6, "mode": min(int(rng.integers(8, 16)), longest), "max": 24},
            "success_probability": round(float(rng.uniform(0.4, 0.9)), 2),
        }
        if terms != "own" and ((lead and j == 0) or rng.random() < 0.5):
            offer["badge_waiver_fee"] = int(rng.integers(1, 10)) * 10_000_000
        extra = rng.random()
        if extra < 0.15:
            cap = int(rng.integers(5, 21)) * 10_000
            offer["capacity"] = {y: cap for y in range(ind.start_year, ind.horizon + 1)}
        elif extra < 0.25 and ind.years >= 4:
            # Runs a few years, as Nio's three-year renewals with JAC.
            offer["until"] = f"{ind.start_year + int(rng.integers(3, ind.years + 1))}-01"
        offer["sources"] = ["synthetic"]
        mine.append(offer)
    if len(mine) >= 2 and rng.random() < 0.3:
        mine[0]["excludes"] = [mine[1]["id"]]
    ind.offers.extend(mine)
    return [str(o["plant"]) for o in mine]


def _build_offer(rng: np.random.Generator, ind: Industry, n: str) -> str:
    """A planned plant for newcomer ``n`` and the offer to build it; its id.

    Some build offers may add capacity modules, as the benchmarks' ``+modules`` sizes do
    for all of them.
    """
    pid = f"new-{n}"
    ind.plants.append(
        {
            "id": pid,
            "name": f"{n.title()} new plant",
            "operator": n,
            "status": "planned",
            "phases": [
                {"capacity": 100_000, "months": {"min": 15, "mode": 20, "max": 30}},
                {"capacity": 100_000, "months": {"min": 27, "mode": 32, "max": 48}},
            ],
            "sources": ["synthetic"],
        }
    )
    offer: dict[str, Any] = {
        "id": f"build-{n}",
        "kind": "build_plant",
        "to": n,
        "plant": pid,
        "fixed_fee": int(rng.integers(30, 80)) * 100_000_000,
        "lead_months": {"min": 1, "mode": 3, "max": 6},
    }
    if rng.random() < 0.3:
        offer.update(
            module_capacity=50_000,
            max_modules=int(rng.integers(1, 5)),
            module_fee=int(rng.integers(3, 7)) * 100_000_000,
        )
    offer["sources"] = ["synthetic"]
    ind.offers.append(offer)
    return pid


def add_logistics(rng: np.random.Generator, ind: Industry) -> None:
    """Per-car logistics from one or two of the plants a program can use, for one in five."""
    for c in ind.active:
        ind.reach.setdefault(c, list(ind.by_op.get(c, [])))
    for g in ind.programs:
        plants = ind.reach.get(g["company"], [])
        if plants and rng.random() < 0.2:
            picks = rng.choice(len(plants), size=min(2, len(plants)), replace=False).tolist()
            costs = {plants[int(i)]: int(rng.integers(1, 7)) * 500 for i in sorted(picks)}
            # Before ``sources``, as the schema lists the fields.
            src = g.pop("sources")
            g["logistics"] = costs
            g["sources"] = src
