"""The one writer of every file geoenv produces: whole or not at all, formula-safe, never
replacing what is not ours.

A command's outputs are written as one set (:func:`write_files`): each file is first written
into a staging folder beside its target (``.geoenv-XXXXXX``, in the same file system), and only
when every file of the set is complete are they moved into place. On any error (a full disk,
a read-only file system, a signal turned into ``SystemExit`` by the CLI) the staging folder
is removed and nothing new is left. A target is replaced only with ``overwrite`` and only when
it is a regular file; devices, FIFOs, sockets, symlinks and folders are refused. Without
``overwrite`` a target is created exclusively (a hard link, or ``O_EXCL``), so two runs racing
for one new path cannot both succeed. Two outputs of one set on one path are refused.

Tables are written so that a spreadsheet shows register text as text: in CSV a text field that
would start a formula (``= + - @``, tab, carriage return) is prefixed with ``'`` (numbers such
as ``-0.3`` or ``-17.2%`` stay numbers); in XLSX every text value is a text cell, never a formula, and
characters XML cannot hold are shown escaped (``\\x1b``); a workbook carries no timestamps,
so the same tables give the same bytes.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geoenv.errors import OutputError, Problem
from geoenv.text import BIDI_CHARACTERS, bidi_shown

Writer = Callable[[Path], object]
"""Writes one output to the (temporary) path it is given (what it returns is ignored)."""

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
_FORMULA_CHARACTERS = list("=+-@\t\r")
_BIDI = re.compile(f"[{BIDI_CHARACTERS}]")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FILENAME_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
STAGING_PREFIX = ".geoenv-"
MAX_NAME_BYTES = 255


# --- what a cell holds -------------------------------------------------------------------


NUMBER_TEXT = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?%?"


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with every text field (and header) that would start a formula prefixed by ``'``,
    and bidirectional controls shown as their codes (:func:`geoenv.text.bidi_shown`).

    Numbers, and text that reads as a number (``-0.3``), are left as they are. Only text
    columns are looked at, by their first characters at once; the few fields starting with
    ``= + - @``, tab or carriage return are then matched against :data:`NUMBER_TEXT`.
    """
    out = frame.copy()
    out.columns = [_safe_text(bidi_shown(c)) if isinstance(c, str) else c for c in frame.columns]
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
            continue
        values = column.to_numpy(dtype=object)
        if _BIDI.search("\x00".join(map(str, values.tolist()))):  # rare: one search over the column first
            values = np.array([bidi_shown(v) if isinstance(v, str) else v for v in values], dtype=object)
            out.isetitem(position, values)
        first = values.astype("U1")  # str() of each field, cut to its first character
        rows = np.flatnonzero(np.isin(first, _FORMULA_CHARACTERS))
        text = pd.Series(values[rows], dtype=object).map(lambda v: v if isinstance(v, str) else None)
        risky = text.notna() & ~text.str.fullmatch(NUMBER_TEXT).fillna(False).astype(bool)
        if risky.any():
            out.iloc[rows[risky.to_numpy()], position] = ("'" + text[risky]).to_numpy()
    return out


def _safe_text(text: str) -> str:
    return "'" + text if FORMULA_START.match(text) and not re.fullmatch(NUMBER_TEXT, text) else text


def xml_text(text: str) -> str:
    """``text`` with the characters an XLSX cell cannot hold written as ``\\xNN``, and
    bidirectional controls as their codes (:func:`geoenv.text.bidi_shown`)."""
    return bidi_shown(_XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text))


def safe_filename(name: str, *, suffix: str = "") -> str:
    """A file name made from user text (a river's name): no folder separators, control or
    reserved characters, no leading dot, at most 255 bytes with ``suffix``."""
    stem = _FILENAME_UNSAFE.sub("_", name).strip(" .") or "_"
    if stem.upper().split(".")[0] in _WINDOWS_RESERVED:
        stem = "_" + stem
    return safe_stem(stem, suffix) + suffix


def unique_filenames(names: Sequence[object], *, suffix: str, taken: Sequence[str] = ()) -> list[str]:
    """A :func:`safe_filename` per name, distinct from one another and from ``taken`` whatever
    their case (``A/B`` and ``A_B`` → ``A_B.html``, ``A_B-2.html``).

    Examples
    --------
    >>> unique_filenames(["F042", "../x", "CON", "index", "f042"], suffix=".html", taken=["index.html"])
    ['F042.html', '_x.html', '_CON.html', 'index-2.html', 'f042-2.html']
    """
    used = {name.lower() for name in taken}
    out = []
    for name in names:
        shown = safe_filename(str(name), suffix=suffix)
        stem, n = shown[: len(shown) - len(suffix)], 2
        while shown.lower() in used:
            shown, n = safe_filename(f"{stem}-{n}", suffix=suffix), n + 1
        used.add(shown.lower())
        out.append(shown)
    return out


_SHEET_UNSAFE = re.compile(f"[\\x00-\\x1f\\x7f\\[\\]:*?/\\\\{BIDI_CHARACTERS}]")


def safe_sheet_names(names: Sequence[str], *, taken: Sequence[str] = ()) -> list[str]:
    """A sheet name per ``names`` (user text: a facility's id and name) that Excel takes: no
    ``[]:*?/\\``, control or bidirectional characters, no apostrophe at either end, not ``History``, at most
    31 characters, distinct from one another and from ``taken`` whatever their case
    (``A`` and ``a`` → ``A``, ``a~2``).

    Examples
    --------
    >>> safe_sheet_names(["F1 [东]:坝", "f1 _东__坝", "'x'"])
    ['F1 _东__坝', 'f1 _东__坝~2', 'x']
    """
    used = {name.lower() for name in taken}
    out = []
    for name in names:
        base = _SHEET_UNSAFE.sub("_", name).strip("'").strip() or "_"
        base = "_" + base if base.lower() == "history" else base
        shown, n = base[:31], 2
        while shown.lower() in used:
            suffix = f"~{n}"
            shown, n = base[: 31 - len(suffix)] + suffix, n + 1
        used.add(shown.lower())
        out.append(shown)
    return out


# --- writers -----------------------------------------------------------------------------


def csv_writer(frame: pd.DataFrame) -> Writer:
    """UTF-8 CSV with a BOM (so Excel on Chinese Windows reads it right), formula-safe."""
    safe = _floats_as_text(formula_safe(frame))

    def write(tmp: Path) -> None:
        # The BOM by hand: Python's utf-8-sig codec encodes each row in Python, 0.5 s a million rows.
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write("\ufeff")
            safe.to_csv(f, index=False, lineterminator="\n")

    return write


def _floats_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with its float64 columns as the text pandas writes for them: Python's
    shortest ``repr`` (numpy's ``astype(str)``, which pandas uses, gives the same text at half
    the speed); missing values stay missing."""
    out = frame.copy(deep=False)
    for position, dtype in enumerate(frame.dtypes):
        if dtype != np.float64:
            continue
        values = frame.iloc[:, position].to_numpy()
        shown = np.array(list(map(repr, values.tolist())), dtype=object)
        shown[np.isnan(values)] = None
        # a Series of dtype object: an array would be inferred as (pyarrow) strings, a copy each way
        out.isetitem(position, pd.Series(shown, index=frame.index, dtype=object))  # type: ignore[arg-type]
    return out


def text_writer(text: str) -> Writer:
    """UTF-8 text (HTML pages)."""
    return lambda tmp: tmp.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class SheetLayout:
    """What a sheet of :func:`xlsx_writer` shows beyond its cells: a ``title`` row merged over
    the header (the header frozen below it), and number ``formats`` by column header
    (``{"优良比例": "0.0%", "CWQI": "0.00"}``)."""

    title: str | None = None
    formats: Mapping[str, str] = field(default_factory=dict)


def xlsx_writer(sheets: Mapping[str, pd.DataFrame], layouts: Mapping[str, SheetLayout] | None = None) -> Writer:
    """A workbook with one sheet per table: its title row (``layouts``, by sheet name), a bold
    frozen header, columns wide enough for their (Chinese) text, numbers as numbers in their
    format and all text as text cells."""

    def write(tmp: Path) -> None:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        from geoenv.text import width

        # An ordinary (not write-only) workbook, saved to memory: no temporary files elsewhere
        # and no half-run row generators when the disk fills or the command is interrupted.
        book = Workbook()
        book.remove(book.active)
        bold = Font(bold=True)
        for name, table in sheets.items():
            layout = (layouts or {}).get(name, SheetLayout())
            sheet = book.create_sheet(xml_text(name)[:31])
            top = 1
            if layout.title is not None:
                cell = sheet.cell(row=1, column=1, value=xml_text(layout.title))
                cell.data_type = "s"
                cell.font = Font(bold=True, size=14)
                cell.alignment = Alignment(horizontal="center")
                if table.shape[1] > 1:
                    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=table.shape[1])
                top = 2
            header = [xml_text(str(c)) for c in table.columns]
            formats = [layout.formats.get(str(c)) for c in table.columns]
            cells = ([_xlsx_value(v) for v in row] for row in table.itertuples(index=False))
            rows: list[Sequence[object]] = [header, *cells]
            for r, values in enumerate(rows, start=top):
                for c, value in enumerate(values, start=1):
                    cell = sheet.cell(row=r, column=c, value=value)
                    if isinstance(value, str):
                        cell.data_type = "s"  # a text cell, even when it starts with '='
                    elif formats[c - 1] and isinstance(value, int | float):
                        cell.number_format = formats[c - 1]
                    if r == top:
                        cell.font = bold
            for i, title in enumerate(header):
                widest = max([width(title), *(width(str(r[i])) for r in rows[:1000] if r[i] is not None)])
                sheet.column_dimensions[get_column_letter(i + 1)].width = min(60, widest + 2)
            sheet.freeze_panes = f"A{top + 1}"
        buffer = io.BytesIO()
        book.save(buffer)
        tmp.write_bytes(_without_timestamps(buffer.getvalue()))

    return write


_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _without_timestamps(workbook: bytes) -> bytes:
    """The workbook with fixed times (zip entries and document properties), so that the same
    tables give the same bytes."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(workbook)) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"\g<1>1980-01-01T00:00:00Z\g<2>", data)
            target.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _xlsx_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    return xml_text(str(value))


# --- checking targets --------------------------------------------------------------------


_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))  # fmt: skip


def check_writable(path: Path, *, overwrite: bool, create_folders: bool = False) -> None:
    """Raise :class:`OutputError` unless ``path`` may be written (created, or replaced with
    ``overwrite`` when it is a regular file). ``create_folders`` allows missing folders."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _os_problem(exc, path) from exc
    if info is not None:
        for test, what in _KINDS:
            if test(info.st_mode):
                raise OutputError(Problem(f"is {what}; geoenv replaces only regular files", file=str(path)))
        if not overwrite:
            raise OutputError(Problem("exists already; use --overwrite to replace it", file=str(path)))
    if len(path.name.encode()) > MAX_NAME_BYTES:
        raise OutputError(Problem(f"the file name is longer than {MAX_NAME_BYTES} bytes", file=str(path)))
    folder = path.parent
    while not folder.exists():
        if not create_folders:
            raise OutputError(Problem("folder does not exist", file=str(folder)))
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(Problem("is a file, not a folder", file=str(folder)))


def check_outputs(
    paths: Sequence[Path] | Sequence[tuple[Path, str]],
    *,
    overwrite: bool,
    create_folders: bool = False,
    inputs: Sequence[Path] = (),
) -> None:
    """Check a set of outputs before any work: each writable, no two on one path, none of
    them one of the command's ``inputs`` (a register is never replaced by a result).

    ``paths`` may pair each path with what it is (``"--map"``) for the message.
    """
    labelled = [p if isinstance(p, tuple) else (Path(p), "") for p in paths]
    read = {_identity(Path(p)) for p in inputs}
    for path, label in labelled:
        if _identity(Path(path)) in read:
            what = f" ({label})" if label else ""
            raise OutputError(Problem(f"is an input of this command{what}; write the output elsewhere", file=str(path)))
    seen: dict[str, str] = {}
    for path, label in labelled:
        key = _identity(Path(path))
        if key in seen:
            first = seen[key]
            both = f" ({first} and {label})" if first and label else ""
            raise OutputError(Problem(f"named for two outputs{both}; give each its own file", file=str(path)))
        seen[key] = label
        check_writable(Path(path), overwrite=overwrite, create_folders=create_folders)


def _identity(path: Path) -> str:
    """One string per file, however it is written (``./a.csv``, ``a.csv``, ``d/../a.csv``)."""
    return os.path.normcase(os.path.realpath(path))


def _os_problem(exc: OSError, path: Path) -> OutputError:
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.ENAMETOOLONG: "the name is too long",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return OutputError(Problem(f"cannot write: {reason}; nothing was written", file=str(path)))


# --- writing a set -----------------------------------------------------------------------


@dataclass
class _Staged:
    target: Path
    temp: Path


def write_files(files: Mapping[Path, Writer], *, overwrite: bool, create_folders: bool = False) -> list[Path]:
    """Write a set of outputs whole or not at all, and return their paths.

    Parameters
    ----------
    files
        Target path → writer called with a temporary path to write to.
    overwrite
        Replace targets that exist (regular files only).
    create_folders
        Create the folders the targets need (a command's output folder).

    Raises
    ------
    OutputError
        A target that may not be written (naming it), two outputs on one path, or a failure
        while writing (full disk, read-only, permission), after which nothing new is left.
    """
    targets = [Path(p) for p in files]
    check_outputs(targets, overwrite=overwrite, create_folders=create_folders)
    with _staging(targets) as staged:
        for item, write in zip(staged, files.values(), strict=True):
            item.temp.parent.mkdir(parents=True, exist_ok=True)
            try:
                write(item.temp)
            except OSError as exc:
                raise _os_problem(exc, item.target) from exc
            except Exception as exc:  # a library's own error (GDAL's "Failed to commit transaction")
                if _nearly_full(item.temp.parent):
                    raise _os_problem(OSError(errno.ENOSPC, "No space left on device"), item.target) from exc
                raise OutputError(Problem(f"cannot write: {exc}; nothing was written", file=str(item.target))) from exc
        _commit(staged, overwrite=overwrite)
    return targets


def _nearly_full(folder: Path, margin: int = 1 << 20) -> bool:
    """Whether the file system holding ``folder`` has less than ``margin`` bytes left."""
    try:
        info = os.statvfs(folder)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < margin


def sibling(path: Path, suffix: str) -> Path:
    """``path`` with ``suffix`` for its own (``x.csv`` → ``x.units.csv``), the stem shortened
    so that the name stays within 255 bytes."""
    path = Path(path)
    return path.with_name(safe_stem(path.stem, suffix) + suffix)


def safe_stem(stem: str, suffix: str) -> str:
    """``stem`` cut (at a character) so that ``stem + suffix`` fits in 255 bytes."""
    budget = MAX_NAME_BYTES - len(suffix.encode())
    while len(stem.encode()) > budget:
        stem = stem[:-1]
    return stem


@contextlib.contextmanager
def _staging(targets: list[Path]) -> Iterator[list[_Staged]]:
    """Temporary paths for ``targets``, in staging folders beside them; removed at the end."""
    folders: dict[str, Path] = {}
    staged = []
    try:
        for target in targets:
            base = target.parent
            while not base.exists():
                base = base.parent
            key = _identity(base)
            if key not in folders:
                try:
                    folders[key] = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=base))
                except OSError as exc:
                    raise _os_problem(exc, target) from exc
            relative = Path(os.path.relpath(target, base))
            staged.append(_Staged(target, folders[key] / relative))
        yield staged
    finally:
        for staging in folders.values():
            shutil.rmtree(staging, ignore_errors=True)


def _commit(staged: list[_Staged], *, overwrite: bool) -> None:
    """Move every staged file into place; on failure take back what this commit created."""
    created: list[Path] = []
    made_folders: list[Path] = []
    try:
        for item in staged:
            missing = []
            folder = item.target.parent
            while not folder.exists():
                missing.append(folder)
                folder = folder.parent
            for new in reversed(missing):
                new.mkdir()
                made_folders.append(new)
            if overwrite and item.target.exists():
                check_writable(item.target, overwrite=True)  # still a regular file
                os.replace(item.temp, item.target)
            else:
                _place_new(item.temp, item.target)
                created.append(item.target)
    except OSError as exc:
        _take_back(created, made_folders)
        raise _os_problem(exc, item.target) from exc
    except OutputError:
        _take_back(created, made_folders)
        raise


def _place_new(temp: Path, target: Path) -> None:
    """Create ``target`` from ``temp`` exclusively: fail if anything appeared there meanwhile."""
    try:
        os.link(temp, target)
    except FileExistsError:
        raise OutputError(
            Problem("was created by another program while geoenv was writing; nothing was replaced", file=str(target))
        ) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
            raise
        try:  # file systems without hard links: reserve the name, then move the file onto it
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            raise OutputError(
                Problem("was created by another program while geoenv was writing", file=str(target))
            ) from None
        os.replace(temp, target)
    else:
        os.unlink(temp)


def _take_back(created: list[Path], folders: list[Path]) -> None:
    for path in created:
        with contextlib.suppress(OSError):
            path.unlink()
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def write_atomic(path: Path, write: Writer, *, overwrite: bool) -> Path:
    """Write one output whole or not at all (see :func:`write_files`)."""
    return write_files({Path(path): write}, overwrite=overwrite)[0]


def write_csv(frame: pd.DataFrame, path: Path, *, overwrite: bool) -> Path:
    """Write one table as a formula-safe UTF-8 CSV (see :func:`csv_writer`)."""
    return write_atomic(path, csv_writer(frame), overwrite=overwrite)


def write_text(text: str, path: Path, *, overwrite: bool) -> Path:
    """Write one UTF-8 text file whole or not at all."""
    return write_atomic(path, text_writer(text), overwrite=overwrite)
