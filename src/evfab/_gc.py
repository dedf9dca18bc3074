"""Pausing Python's cyclic garbage collector around bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the body with the cyclic garbage collector off, restoring its state after.

    Reference counting still frees everything the body drops; only the cycle collector
    waits until the end.
    """
    # NOTE: compiling a world, deriving routes and preparing or writing back a plan
    # create tens of thousands of short-lived objects; with the collector on, its passes
    # over the (large) heap of pandas and numpy cost ~8 % of a small plan's fixed time.
    # Solves run outside, so long ones never hold it off.
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
