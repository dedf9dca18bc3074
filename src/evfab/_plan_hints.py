"""Which idle plants a program short of cars could legally use, and how.

A shortfall's hint names idle capacity only where the regime lets the program build there
in that year: through a contract with the plant's operator, which needs the operator (or
an affiliate) to hold a licence of the program's scope still in force and contract
manufacturing to be allowed; or through a stake in the plant or its purchase, which gives
no licence, so the program's own company (or an affiliate) must hold one in force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from evfab._policy_dates import _deadline
from evfab._timing import lift
from evfab._world import World


def _year_start(world: World, year: int) -> dt.date:
    """The first day of ``year`` the plan counts (as_of in the first year)."""
    return max(world.as_of, dt.date(year, 1, 1))


@dataclass
class LegalHosts:
    """Who holds a licence in force, and when contracts are allowed, looked up once each."""

    world: World
    _holds: dict[tuple[str, str, int], bool] = field(default_factory=dict)
    _contracts: dict[tuple[str, int], bool] = field(default_factory=dict)

    def holds(self, company: str, scope: str, year: int) -> bool:
        """Whether ``company`` or an affiliate holds a ``scope`` licence in force in ``year``:
        held, and not withdrawn under the dormancy exit rule by the year's start."""
        key = (company, scope, year)
        if key not in self._holds:
            w = self.world.for_scope(scope)
            start = _year_start(w, year)
            policy = w.policy_at(w.as_of)
            ok = False
            for c in sorted(w.affiliates(company)):
                for lid, row in w.licences_by_holder.get(c, []):
                    if row["scope"] != scope or row["status"] != "held":
                        continue
                    gone = _deadline(w, lid, policy)
                    if gone is None or gone[0] > start:
                        ok = True
            self._holds[key] = ok
        return self._holds[key]

    def contracts_allowed(self, year: int, scope: str) -> bool:
        """Whether contract manufacturing of ``scope`` is allowed on some day of ``year``."""
        key = (scope, year)
        if key not in self._contracts:
            bans = self.world.for_scope(scope).contract_bans
            first = lift(_year_start(self.world, year), bans)
            self._contracts[key] = first <= dt.date(year, 12, 31)
        return self._contracts[key]

    def ways(self, company: str, scope: str, operator: str, year: int) -> str:
        """How a program of ``company`` could legally build at a plant of ``operator`` in
        ``year`` ("through ..."), or "" if it could not."""
        w = self.world
        out = []
        if (
            operator not in w.affiliates(company)
            and self.contracts_allowed(year, scope)
            and self.holds(operator, scope, year)
        ):
            out.append(f"a contract with {w.company_name(operator)}")
        if self.holds(company, scope, year):
            out.append(
                f"a stake or purchase, under {w.company_name(company)}'s own {scope} licence"
            )
        return "through " + " or ".join(out) if out else ""
