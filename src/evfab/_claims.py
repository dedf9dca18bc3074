"""The claims a route rests on that an analyst should know of: sources whose claim is
unclear, contested or denied, and sources published after as_of (hindsight)."""

from __future__ import annotations

import datetime as dt

from evfab._options import _article
from evfab._policy_dates import _fmt_date
from evfab._scenario import STATUS_RANK, Status
from evfab._world import World


def source_warnings(world: World) -> dict[str, str]:
    """Warning text of every source whose claim is unclear, contested or denied, or that was
    published after as_of (hindsight: not known on the date the scenario plans from)."""
    out: dict[str, str] = {}
    status_of = dict(zip(world.source_rank, world.column("sources", "status"), strict=True))
    note_of = dict(zip(world.source_rank, world.column("sources", "note"), strict=True))
    date_of = dict(zip(world.source_rank, world.column("sources", "date"), strict=True))
    for s, rank in world.source_rank.items():
        when = date_of[s]
        late = isinstance(when, dt.date) and when > world.as_of
        if rank >= STATUS_RANK[Status.UNCLEAR]:
            note = str(note_of[s])
            out[s] = f"rests on {_article(str(status_of[s]))} claim: {s}" + (
                f" ({note})" if note else ""
            )
            if late:
                out[s] += f", published {_published(when)}, after as_of"
        elif late:
            out[s] = f"rests on hindsight: {s}, published {_published(when)}, after as_of"
    return out


def _published(d: object) -> str:
    """A source's date as a scenario most likely gave it: ``YYYY-MM`` is read as the first
    of the month, so a first of the month shows without its day."""
    assert isinstance(d, dt.date)
    return d.strftime("%Y-%m") if d.day == 1 else _fmt_date(d)
