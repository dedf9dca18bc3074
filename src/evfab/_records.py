"""Frozen dataclasses that are cheap to make: the engines make hundreds per route group."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Give a frozen dataclass an ``__init__`` that fills the instance dict directly.

    The class stays frozen (assignment after construction still raises) and keeps its
    fields, defaults, ``repr``, equality and :func:`dataclasses.replace`; only the
    constructor changes. Apply it above ``@dataclass(frozen=True)``.

    Args:
        cls: A frozen dataclass without ``__post_init__``, ``__slots__``, ``InitVar``,
            keyword-only or ``init=False`` fields.

    Returns:
        The same class.

    Raises:
        TypeError: If ``cls`` is not such a dataclass.
    """
    # NOTE: a frozen dataclass's generated __init__ stores each field through
    # object.__setattr__, about 3x slower than plain dict stores; the rules engine makes
    # several of these per route option: 4 % of an OR-Library plan's instructions.
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass")
    if hasattr(cls, "__post_init__") or "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__} has __post_init__ or __slots__")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(not f.init or f.kw_only for f in fields):
        raise TypeError(f"{cls.__name__} has init=False or keyword-only fields")
    # The original constructor must take exactly the fields (an InitVar would be one more).
    original = inspect.signature(cls.__init__)
    if [n for n in original.parameters][1:] != [f.name for f in fields]:
        raise TypeError(f"{cls.__name__}'s constructor takes more than its fields")
    # Generated names are dunders no sane field is called; a clash is refused anyway.
    if any(f.name.startswith("__quick_") for f in fields):
        raise TypeError(f"{cls.__name__} has a field named __quick_*")
    ns: dict[str, Any] = {"__quick_missing__": dataclasses.MISSING}
    args: list[str] = []
    body: list[str] = []
    for f in fields:
        value = f.name
        if f.default is not dataclasses.MISSING:
            ns[f"__quick_default_{f.name}__"] = f.default
            args.append(f"{f.name}=__quick_default_{f.name}__")
        elif f.default_factory is not dataclasses.MISSING:
            ns[f"__quick_factory_{f.name}__"] = f.default_factory
            args.append(f"{f.name}=__quick_missing__")
            value = f"__quick_factory_{f.name}__() if {f.name} is __quick_missing__ else {f.name}"
        else:
            args.append(f.name)
        body.append(f"    __quick_d__[{f.name!r}] = {value}")
    source = (
        f"def __init__(__quick_self__, {', '.join(args)}):\n"
        "    __quick_d__ = __quick_self__.__dict__\n" + "\n".join(body)
    )
    exec(source, ns)
    init = ns["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    # help() and inspect.signature() show what the dataclass's own constructor showed.
    init.__annotations__ = dict(cls.__init__.__annotations__)
    init.__signature__ = original
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
