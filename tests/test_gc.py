"""Pausing the garbage collector restores its state, also on errors and when nested."""

from __future__ import annotations

import gc

import pytest

from evfab._gc import paused_gc


def test_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restored_after_an_error() -> None:
    with pytest.raises(ValueError), paused_gc():
        raise ValueError("boom")
    assert gc.isenabled()


def test_stays_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_as_a_decorator_each_call_pauses() -> None:
    seen: list[bool] = []

    @paused_gc()
    def work(x: int) -> int:
        seen.append(gc.isenabled())
        return x + 1

    assert work(1) == 2 and work(2) == 3
    assert seen == [False, False]
    assert gc.isenabled()
