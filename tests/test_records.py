"""quick_init: a frozen dataclass with a faster constructor behaves as before."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evfab._records import quick_init


@dataclass(frozen=True)
class _Plain:
    a: int
    b: str = "x"
    c: list[int] = field(default_factory=list)
    d: tuple[int, ...] = field(default=(), compare=False)


@quick_init
@dataclass(frozen=True)
class _Quick:
    a: int
    b: str = "x"
    c: list[int] = field(default_factory=list)
    d: tuple[int, ...] = field(default=(), compare=False)


def _as_plain(q: _Quick) -> _Plain:
    return _Plain(q.a, q.b, q.c, q.d)


@given(
    a=st.integers(),
    b=st.text(max_size=5),
    c=st.lists(st.integers(), max_size=3),
    d=st.tuples(st.integers()),
)
def test_same_values_repr_and_equality_as_a_plain_dataclass(
    a: int, b: str, c: list[int], d: tuple[int]
) -> None:
    q, p = _Quick(a, b, c, d), _Plain(a, b, c, d)
    assert dataclasses.asdict(q) == dataclasses.asdict(p)
    assert repr(q).replace("_Quick", "_Plain") == repr(p)
    assert q == _Quick(a=a, b=b, c=list(c), d=())  # d is not compared
    assert dataclasses.replace(q, a=a + 1).a == a + 1


def test_defaults_and_fresh_default_factories() -> None:
    one, two = _Quick(1), _Quick(2)
    assert (one.b, one.c, one.d) == ("x", [], ())
    assert one.c is not two.c
    assert _Quick(1, c=[5]).c == [5]


def test_stays_frozen_and_checks_arguments() -> None:
    q = _Quick(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.a = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        _Quick()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _Quick(1, e=3)  # type: ignore[call-arg]


def test_refuses_what_it_cannot_copy() -> None:
    @dataclass
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class Post:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True)
    class KwOnly:
        a: int = field(kw_only=True)

    @dataclass(frozen=True)
    class NoInit:
        a: int = field(init=False, default=0)

    for cls in (Mutable, Post, KwOnly, NoInit):
        with pytest.raises(TypeError):
            quick_init(cls)


def test_fields_named_like_its_locals() -> None:
    @quick_init
    @dataclass(frozen=True)
    class Awkward:
        self: int
        d: int = 1
        value: list[int] = field(default_factory=list)

    a = Awkward(self=0, d=2)
    assert (a.self, a.d, a.value) == (0, 2, [])
    assert Awkward(5).d == 1


def test_refuses_an_initvar_and_keeps_the_signature() -> None:
    @dataclass(frozen=True)
    class WithInitVar:
        a: int
        b: dataclasses.InitVar[int] = 0

    with pytest.raises(TypeError):
        quick_init(WithInitVar)
    assert inspect.signature(_Quick) == inspect.signature(_Plain)
    assert _Quick.__init__.__annotations__ == _Plain.__init__.__annotations__
