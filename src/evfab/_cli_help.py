"""``--help`` without redundant or misleading type placeholders.

typer 0.29 (which carries its own copy of click) writes a parameter's type into the rich help
panel unconditionally:

* ``--json <bool>``, ``--help <bool>``, as if the flags took a value. Its plain-text help
  leaves the type out for flags and counts (``TyperOption.get_help_record`` checks
  ``is_flag`` and ``count``); :func:`hide_flag_types` makes the rich panel do the same.
* ``FILE <str>`` and ``FILE <list[str]>`` for arguments that already have a name: those show
  only the name, and ``...`` when the argument takes several values.

Older typer (with click's ``make_metavar``) has no ``display_type_rich`` and needs nothing.
"""

from __future__ import annotations

from typing import Any

from typer import core

_PATCHED = "_evfab_hides_flag_types"


def hide_flag_types() -> None:
    """Show no type for flags (``--json``), counts and named arguments in rich ``--help``
    (idempotent)."""
    option = getattr(core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if option is not None and shown is not None and not getattr(shown, _PATCHED, False):

        def display_type_rich(self: Any, ctx: Any) -> str | None:
            if getattr(self, "is_flag", False) or getattr(self, "count", False):
                return None  # the rich panel then leaves the type cell empty
            return shown(self, ctx)  # type: ignore[no-any-return]

        setattr(display_type_rich, _PATCHED, True)
        option.display_type_rich = display_type_rich

    argument = getattr(core, "TyperArgument", None)
    arg_shown = getattr(argument, "display_type_rich", None)
    if argument is not None and arg_shown is not None and not getattr(arg_shown, _PATCHED, False):

        def arg_display_type_rich(self: Any, ctx: Any) -> str | None:
            if getattr(self, "metavar", None) is None:
                return arg_shown(self, ctx)  # type: ignore[no-any-return]
            return None if getattr(self, "nargs", 1) == 1 else "..."

        setattr(arg_display_type_rich, _PATCHED, True)
        argument.display_type_rich = arg_display_type_rich


__all__ = ["hide_flag_types"]
