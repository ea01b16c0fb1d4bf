"""Writing outputs."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from geoenv.errors import OutputError, Problem


def check_writable(path: Path, *, overwrite: bool) -> None:
    """Raise :class:`OutputError` unless ``path`` may be written."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputError(Problem("exists already; use --overwrite to replace it", file=str(path)))
    if not path.parent.exists():
        raise OutputError(Problem("folder does not exist", file=str(path.parent)))


def write_atomic(path: Path, write: Callable[[Path], None], *, overwrite: bool) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    check_writable(path, overwrite=overwrite)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()  # writers such as pyogrio want to create the file themselves
        write(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path


def write_csv(frame: pd.DataFrame, path: Path, *, overwrite: bool) -> Path:
    """Write a table as UTF-8 CSV with a BOM (so Excel on Chinese Windows reads it right)."""
    return write_atomic(
        path,
        lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n"),
        overwrite=overwrite,
    )


def write_text(text: str, path: Path, *, overwrite: bool) -> Path:
    """Write UTF-8 text atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite)
