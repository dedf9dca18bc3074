"""The console script's entry point: loads the CLI, so that a Ctrl-C while it loads ends
quietly too."""

from __future__ import annotations

import sys


def main() -> None:
    """Load the CLI and run it; a Ctrl-C while loading ends with status 130.

    The console script used to import pandas, pydantic's models and the rest (most of a
    second) before any handler was in place: a Ctrl-C then printed a traceback. The CLI
    module now loads only typer, rich and evfab's light modules (about 0.2 s); each
    command loads the rest inside :func:`evfab.cli.main`'s handlers.
    """
    try:
        from evfab.cli import main as cli_main
    except KeyboardInterrupt:
        if "--debug" in sys.argv[1:]:
            raise
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    cli_main()
