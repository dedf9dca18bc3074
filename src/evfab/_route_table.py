"""Every route of a scenario as arrays over shared templates.

A route's legality, badge, SOP, capacity and costs depend only on its company, the
program's scope and its badge need; only the program id, target and cited sources differ
between two programs of one company. So :func:`route_table` derives each distinct
(company, scope, badge need) group once, as *template* routes, and describes every
program's routes as two index arrays (program, template). The planner reads arrays
straight from the templates; :class:`Route` objects are made only when asked for
(:meth:`RouteTable.route`), e.g. for the routes a plan chose.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from functools import cached_property
from itertools import chain, repeat
from typing import cast, overload

import numpy as np
import numpy.typing as npt

from evfab._claims import source_warnings
from evfab._fmt import money, plural
from evfab._gc import paused_gc
from evfab._records import quick_init
from evfab._world import FloatArray, IntArray, World
from evfab.rules import Route, _Core, _cores, _templates

BoolArray = npt.NDArray[np.bool_]


def access_offer(r: Route) -> str:
    """The offer that brings the route's plant capacity ("" for own plants)."""
    if r.plant_source == "partner":
        return r.offers[0]
    if r.plant_source in ("stake", "build", "acquired"):
        return r.offers[-1]
    return ""


def modules_added(world: World, oid: str, n: int) -> tuple[float, float]:
    """The capacity (cars a year) and capex ``n`` extra modules of build offer ``oid`` add."""
    det = cast(dict[str, float], world.offer(oid)["detail"])
    return n * float(det["module_capacity"]), n * float(det["module_fee"])


def modules_text(world: World, oid: str, n: int) -> str:
    """:func:`modules_added` in words: ``+40,000/year, 200m CNY``."""
    cars, capex = modules_added(world, oid, n)
    return f"+{cars:,.0f}/year, {money(capex, world.currency)}"


def module_note(world: World, r: Route, then: str = "a plan taking the route builds them") -> str:
    """What a route needing extra modules (``r.min_modules``) says about them ("" if none),
    ending with ``then``."""
    if not r.min_modules:
        return ""
    oid = access_offer(r)
    k = r.min_modules
    return (
        f"plant {r.plant} reaches the minimum capacity for a new licence only with "
        f"{plural(k, 'extra module')} of offer {oid} ({modules_text(world, oid, k)}); {then}"
    )


@quick_init
@dataclasses.dataclass(frozen=True)
class TemplateArrays:
    """Numbers of each template route, as arrays (T templates, Y years).

    Attributes:
        usable: Whether the route can be planned (T).
        plant: Row of its plant in the world's plant table (T).
        cap: Cars it can supply by year (T, Y).
        unit_cost: Plant cost plus per-car fees, currency/vehicle (T).
        waiver_fee: Badge-waiver fee, currency (T).
        offer_ptr: CSR pointer into ``offer_idx`` (T + 1).
        offer_idx: Rows in the world's offer table of the offers each route needs.
        access: Offer-table row of the offer that brings the plant's capacity, or -1 (T).
        min_modules: Extra modules of its build offer the route needs (T).
    """

    usable: BoolArray
    plant: IntArray
    cap: FloatArray
    unit_cost: FloatArray
    waiver_fee: FloatArray
    offer_ptr: IntArray
    offer_idx: IntArray
    access: IntArray
    min_modules: IntArray


class RouteTable:
    """Routes of many programs as (program, template) index pairs.

    Attributes:
        world: The compiled world.
        templates: Distinct route templates.
        program: Row of each route's program in ``world.programs`` (N).
        template: Index of each route's template (N).
    """

    def __init__(
        self,
        world: World,
        templates: list[Route],
        program: IntArray,
        template: IntArray,
        complete: bool = False,
    ) -> None:
        """Make a table.

        Args:
            world: The compiled world.
            templates: Template routes (or, with ``complete``, finished routes).
            program: Program row of each route.
            template: Template of each route.
            complete: Templates are finished routes (``route`` returns them as they are).
        """
        self.world = world
        self.templates = templates
        self.program = program
        self.template = template
        self._complete = complete
        self._program_ids = list(world.program_ids)
        self._status_cache: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {}
        # (template, citation group) -> status; see :meth:`status`.
        self._route_status: dict[tuple[int, int], tuple[str, tuple[str, ...]]] = {}

    @classmethod
    def from_routes(cls, world: World, routes: Sequence[Route] | RouteTable) -> RouteTable:
        """A table over routes already derived (each its own template)."""
        if isinstance(routes, RouteTable):
            if routes.world is not world:
                raise ValueError("the route table was derived from another world")
            return routes
        row = {g: i for i, g in enumerate(world.program_ids)}
        program = np.array([row[r.program] for r in routes], np.int64)
        return cls(world, list(routes), program, np.arange(len(routes)), complete=True)

    def __len__(self) -> int:
        return len(self.template)

    def __iter__(self) -> Iterator[Route]:
        return iter(self.routes())

    def route(self, i: int) -> Route:
        """Route ``i``, with its program's id, target and sources filled in."""
        t = self.templates[int(self.template[i])]
        if self._complete:
            return t
        g = self._program_ids[int(self.program[i])]
        target = cast(dt.date, self.world.program_rows[g]["target_sop"])
        sources = self._sources(t, g)
        weakest, warnings = self._status(sources)
        return dataclasses.replace(
            t,
            program=g,
            target_sop=target,
            meets_target=t.earliest_sop <= target,
            capacity=dict(t.capacity),
            sources=sources,
            weakest_status=weakest,
            warnings=warnings,
        )

    def status(self, i: int) -> tuple[str, tuple[str, ...]]:
        """Weakest source status and warnings of route ``i`` (without making the route)."""
        ti = int(self.template[i])
        t = self.templates[ti]
        if self._complete:
            return t.weakest_status, t.warnings
        gi = int(self.program[i])
        # NOTE: programs citing the same sources share one answer per template.
        key = (ti, self._cite_group[gi])
        hit = self._route_status.get(key)
        if hit is None:
            hit = self._route_status[key] = self._status(self._sources(t, self._program_ids[gi]))
        return hit

    def statuses(self, rows: IntArray) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
        """:meth:`status` of many routes, worked out once per template and cited sources.

        Args:
            rows: Route positions.

        Returns:
            The weakest status of each route, and its warnings (a tuple per cell).
        """
        groups = np.array(self._cite_group, np.int64)
        key = self.template[rows] * (int(groups.max(initial=0)) + 1) + groups[self.program[rows]]
        _, first, back = np.unique(key, return_index=True, return_inverse=True)
        answers = [self.status(int(rows[i])) for i in first.tolist()]
        # fromiter keeps each tuple of warnings a cell (an array of tuples would be 2-D).
        weakest = np.fromiter((w for w, _ in answers), dtype=object, count=len(answers))
        warnings = np.fromiter((x for _, x in answers), dtype=object, count=len(answers))
        return weakest[back.ravel()], warnings[back.ravel()]

    @cached_property
    def _cite_group(self) -> list[int]:
        """A number per program, equal for programs that cite the same sources."""
        group: dict[tuple[str, ...], int] = {}
        cites = self._program_cites
        return [group.setdefault(cites[g], len(group)) for g in self._program_ids]

    def _sources(self, t: Route, g: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.sources + self._program_cites[g]))

    def routes(self, rows: Sequence[int] | IntArray | None = None) -> list[Route]:
        """Routes ``rows`` (default: all) as objects."""
        idx = range(len(self)) if rows is None else rows
        return [self.route(int(i)) for i in idx]

    def of_program(self, g: str) -> list[Route]:
        """Every route of program ``g``, in route order."""
        return self.routes(self._by_program.get(g, []))

    @cached_property
    def _by_program(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, gi in enumerate(self.program.tolist()):
            out.setdefault(self._program_ids[gi], []).append(i)
        return out

    @cached_property
    def _program_cites(self) -> dict[str, tuple[str, ...]]:
        # Only the program's own: the policy rules a route rests on are its template's
        # (those bearing on it, see evfab._policy_dates), not the whole policy in force.
        return {g: self.world.cites[("program", g)] for g in self._program_ids}

    @cached_property
    def _warning_of(self) -> dict[str, str]:
        return source_warnings(self.world)

    def _status(self, sources: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        # NOTE: programs of one company usually cite the same sources, so the weakest
        # status and warnings of a source set are worked out once.
        hit = self._status_cache.get(sources)
        if hit is None:
            w = self._warning_of
            hit = (
                self.world.weakest(sources).value,
                tuple(w[s] for s in sources if s in w),
            )
            self._status_cache[sources] = hit
        return hit

    @cached_property
    def ids(self) -> npt.NDArray[np.object_]:
        """Route id of each template (index it with :attr:`template`)."""
        return np.array([t.id for t in self.templates], dtype=object)

    @cached_property
    def arrays(self) -> TemplateArrays:
        """The templates' numbers as arrays."""
        w = self.world
        ts = self.templates
        years = [int(y) for y in w.years]
        offer_row = {str(o): i for i, o in enumerate(w.offer_ids)}
        counts = np.array([len(t.offers) for t in ts], np.int64)
        ptr = np.zeros(len(ts) + 1, np.int64)
        ptr[1:] = np.cumsum(counts)
        return TemplateArrays(
            usable=np.array([t.usable for t in ts], bool),
            plant=np.array([w.plant_row[t.plant] for t in ts], np.int64),
            cap=np.array([[t.capacity[y] for y in years] for t in ts], np.float64).reshape(
                len(ts), len(years)
            ),
            unit_cost=np.array([t.unit_cost for t in ts], np.float64),
            waiver_fee=np.array([t.badge_waiver_fee for t in ts], np.float64),
            offer_ptr=ptr,
            offer_idx=np.array([offer_row[o] for t in ts for o in t.offers], np.int64),
            access=np.array([offer_row[a] if (a := access_offer(t)) else -1 for t in ts], np.int64),
            min_modules=np.array([t.min_modules for t in ts], np.int64),
        )

    @cached_property
    def _logistics_pairs(self) -> tuple[IntArray, FloatArray]:
        """Every (program, plant) logistics cost as sorted keys ``program * P + plant``."""
        w = self.world
        row = w.plant_row
        costs = cast(list[dict[str, float]], w.column("programs", "logistics"))
        # NOTE: map/chain/fromiter keep the per-entry work in C: a program may list a
        # logistics cost for each of hundreds of plants.
        plant = np.fromiter(
            chain.from_iterable(map(row.get, c, repeat(-1)) for c in costs), np.int64
        )
        val = np.fromiter(chain.from_iterable(c.values() for c in costs), np.float64)
        program = np.repeat(np.arange(len(costs)), [len(c) for c in costs])
        # Plants a program lists but the world lacks (unvalidated input) cost nothing.
        ok = plant >= 0
        key = program[ok] * len(w.plant_ids) + plant[ok]
        order = np.argsort(key, kind="stable")
        return key[order], val[ok][order]

    def logistics(self, rows: IntArray) -> FloatArray:
        """Logistics cost per car of routes ``rows`` (their program to their plant)."""
        key, val = self._logistics_pairs
        want = (
            self.program[rows] * len(self.world.plant_ids) + self.arrays.plant[self.template[rows]]
        )
        if not len(key):
            return np.zeros(len(want))
        pos = np.minimum(np.searchsorted(key, want), len(key) - 1)
        return np.where(key[pos] == want, val[pos], 0.0)


class RouteView(Sequence[Route]):
    """Some rows of a table as a read-only sequence of routes, made on first access."""

    def __init__(self, table: RouteTable, rows: IntArray) -> None:
        """View ``rows`` of ``table``."""
        self.table = table
        self.rows = rows
        self._made: dict[int, Route] = {}

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> Route: ...

    @overload
    def __getitem__(self, i: slice) -> list[Route]: ...

    def __getitem__(self, i: int | slice) -> Route | list[Route]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        k = int(i)
        r = self._made.get(k)
        if r is None:
            r = self._made[k] = self.table.route(int(self.rows[k]))
        return r

    @cached_property
    def ids(self) -> list[str]:
        """Route id of each row."""
        return cast(list[str], self.table.ids[self.table.template[self.rows]].tolist())


@paused_gc()
def route_table(world: World, program: str | None = None) -> RouteTable:
    """Derive the routes of every program (or of one) as a :class:`RouteTable`.

    Args:
        world: The compiled world.
        program: Restrict to this program id.

    Returns:
        The table; its routes are grouped by program in scenario order, legal and
        usable ones first within a program, then by earliest SOP.

    Raises:
        KeyError: If ``program`` is not in the world.
    """
    ids = list(world.program_ids)
    if program is not None and program not in ids:
        raise KeyError(program)
    rows = [ids.index(program)] if program is not None else range(len(ids))
    # NOTE: options, pairings, SOPs and capacities depend on the company and scope and
    # badges on the badge need, not on the program: deriving each group once is what
    # keeps industry-scale scenarios (thousands of programs) fast.
    cores: dict[tuple[str, str], list[_Core]] = {}
    group_of: dict[tuple[object, object, object], tuple[int, int]] = {}
    templates: list[Route] = []
    starts: list[int] = []
    counts: list[int] = []
    # Three columns, not the programs' full rows: that is all grouping needs.
    col = world.column
    company_of, scope_of, need_of = (
        col("programs", "company"),
        col("programs", "scope"),
        col("programs", "badge"),
    )
    for gi in rows:
        key = (company_of[gi], scope_of[gi], need_of[gi])
        hit = group_of.get(key)
        if hit is None:
            company, scope, need = (str(x) for x in key)
            # The policy as it applies to the scope (the world itself unless a policy
            # period is limited to some scopes).
            sw = world.for_scope(scope)
            policy = sw.policy_at(sw.as_of)
            if (company, scope) not in cores:
                cores[(company, scope)] = _cores(sw, company, scope, policy)
            c = cores[(company, scope)]
            # Only cars built keep a licence the dormancy rule withdraws: when the company's
            # programs first want them matters to the routes under it.
            wanted = (
                _wanted(world, company_of, scope_of, key[:2])
                if any(core.timing.deadline is not None for core in c)
                else None
            )
            made = _templates(sw, company, need, c, policy, wanted, scope)
            hit = group_of[key] = (len(templates), len(made))
            templates.extend(made)
        starts.append(hit[0])
        counts.append(hit[1])
    n_of = np.array(counts, np.int64)
    total = int(n_of.sum())
    first = np.repeat(np.cumsum(n_of) - n_of, n_of)
    template = np.repeat(np.array(starts, np.int64), n_of) + np.arange(total) - first
    program_rows = np.repeat(np.array(list(rows), np.int64), n_of)
    return RouteTable(world, templates, program_rows, template)


def _wanted(
    world: World, company_of: list[object], scope_of: list[object], key: tuple[object, ...]
) -> npt.NDArray[np.bool_]:
    """Whether any program of a company and scope (``key``) wants cars, by year."""
    mine = [i for i, cs in enumerate(zip(company_of, scope_of, strict=True)) if cs == key]
    out: npt.NDArray[np.bool_] = world.demand[mine].sum(axis=0) > 0
    return out


__all__ = ["RouteTable", "RouteView", "TemplateArrays", "access_offer", "route_table"]
