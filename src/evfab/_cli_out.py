"""The ``--out DIR`` folder of ``plan`` and ``risk``: checked before the work, written before
the output is shown.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from evfab._io import OutputError, check_names


def probe_folder(folder: Path, names: Iterable[str] = ()) -> None:
    """Check that ``folder`` can take output files, before a command does its work.

    A solve of minutes followed by "cannot write" wastes the minutes, and would print the
    plan on stdout with exit code 2. The folder is made (with its missing parents) and a
    file is created in it and removed; the folders made are removed again, so that a run
    that fails later leaves nothing behind.

    Args:
        folder: The ``--out`` folder.
        names: The files the command may write there (or remove): none may be a folder.

    Raises:
        OutputError: The folder is a file, or cannot be made or written, or one of the
            files is a folder (exit code 2), in the words the writing itself would use.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"cannot write into {folder}: it is a file, not a folder (give a folder)")
    made: list[Path] = []
    try:
        for parent in reversed([folder, *folder.parents]):
            if not parent.exists():
                parent.mkdir()
                made.append(parent)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".evfab-probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        # Named as the writer names it: the folder itself, and why (no such folder, ...).
        raise OutputError(f"cannot write {folder}: {exc.strerror or exc}") from exc
    finally:
        for path in reversed(made):
            with contextlib.suppress(OSError):  # something else put a file there meanwhile
                path.rmdir()
    check_names(folder, names)


@contextmanager
def files_first(
    err: Console, folder: Path | None, write: Callable[[Path], list[Path]]
) -> Iterator[None]:
    """Write a command's ``--out`` files, then run the block that prints its output.

    Files come first, so that a reader of stdout that goes away (``| head``) does not cost
    them. The folder was checked before the work (:func:`probe_folder`); should it fail
    now all the same (a disk filled meanwhile), the error is raised after the output is
    shown, as the work is done.

    Args:
        err: Where to say what was written (stderr).
        folder: The ``--out`` folder, or None (nothing to write).
        write: Writes the files into the folder; returns their paths.
    """
    failed: OutputError | None = None
    if folder is not None:
        try:
            err.print(f"wrote {len(write(folder))} files to {folder}")
        except OutputError as exc:
            failed = exc
    yield
    if failed is not None:
        raise failed


__all__ = ["files_first", "probe_folder"]
