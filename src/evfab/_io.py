"""Output helpers: atomic file writes and JSON encoding of evfab results."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import tempfile
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import Any

from evfab._errors import EvfabError


class OutputError(EvfabError, OSError):
    """An output file or folder cannot be written (CLI exit code 2); nothing was changed."""


def _staged(target: Path, data: bytes) -> Path:
    """``data`` in a new temporary file beside ``target`` (synced), ready to replace it."""
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.", suffix=".tmp")
    # mkstemp creates the file 0600; give it the mode a plain open() would (0666 less umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _cannot(path: Path, exc: OSError) -> OutputError:
    why = exc.strerror or str(exc)
    # mkdir of a folder that is a file says "File exists" (or "Not a directory"): name it.
    blocking = next((p for p in Path(path).parents if p.is_file()), None)
    if blocking is not None:
        why = f"{blocking} is a file, not a folder"
    return OutputError(f"cannot write {path}: {why}")


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half.

    Args:
        path: Destination file; its folder must exist.
        data: Bytes to write.

    Raises:
        OutputError: The file cannot be written (a folder of that name, no such folder,
            no permission); nothing was changed.
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a folder (give a file name)")
    try:
        tmp = _staged(target, data)
    except OSError as exc:
        raise _cannot(target, exc) from exc
    try:
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot(target, exc) from exc
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Args:
        path: Destination file.
        text: Text to write.
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def write_file(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically, making its folder first if it is missing.

    Args:
        path: Destination file.
        text: Text to write (UTF-8).

    Returns:
        The path written.

    Raises:
        OutputError: The file or its folder cannot be written; nothing was changed.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot(target, exc) from exc
    atomic_write_text(target, text)
    return target


def check_names(folder: Path, names: Iterable[str]) -> None:
    """Raise if a file to be written (or removed) in ``folder`` is in fact a folder.

    Args:
        folder: The output folder.
        names: File names in it.

    Raises:
        OutputError: One of them is a folder (nothing was changed).
    """
    for name in names:
        if (folder / name).is_dir():
            raise OutputError(f"cannot write {folder / name}: it is a folder (move it away)")


def write_files(
    folder: str | Path, files: dict[str, bytes], owned: Iterable[str] = ()
) -> list[Path]:
    """Write a set of output files into ``folder``, all or none.

    Every file is written to a temporary file first; only when all are written are they
    moved into place. Files named in ``owned`` that this set does not write (left by an
    earlier run, say a table this run has no rows for) are removed, so that the folder
    never mixes two runs.

    Args:
        folder: Output folder (made if missing).
        files: File name -> contents.
        owned: Names of every file this kind of output may write.

    Returns:
        The paths written, in the order given.

    Raises:
        OutputError: The folder or a file cannot be written; nothing was changed.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise OutputError(f"cannot write into {out}: it is a file, not a folder (give a folder)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot(out, exc) from exc
    stale = sorted(set(owned) - set(files))
    check_names(out, [*files, *stale])
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in files.items():
            try:
                staged.append((_staged(out / name, data), out / name))
            except OSError as exc:
                raise _cannot(out / name, exc) from exc
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    for name in stale:
        try:
            (out / name).unlink(missing_ok=True)
        except OSError as exc:  # checked above; a race with another process
            raise _cannot(out / name, exc) from exc
    return [target for _, target in staged]


def to_jsonable(obj: Any) -> Any:
    """Convert evfab results (dataclasses, dates, numpy values, enums) to JSON types.

    NaN and infinities (a cost not priced, a date never reached) become ``None``: JSON has
    no such numbers, and ``NaN`` in the text breaks strict parsers (jq, JavaScript).
    """
    # Here, not at the top: the command line loads this module for every run, --help too.
    import numpy as np

    floats = (float, np.floating)

    def conv(obj: Any) -> Any:
        if isinstance(obj, floats):
            return float(obj) if math.isfinite(obj) else None
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {f.name: conv(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        if isinstance(obj, dict):
            return {str(k): conv(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [conv(v) for v in obj]
        if isinstance(obj, dt.date):
            return obj.isoformat()
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, np.integer):
            return int(obj)
        if hasattr(obj, "model_dump"):
            return conv(obj.model_dump(mode="json"))
        return obj

    return conv(obj)


def dumps(obj: Any) -> str:
    """JSON text of ``obj`` with stable key order and 2-space indent."""
    return json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
