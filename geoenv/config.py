"""The optional project file ``geoenv.toml``: layer paths, column mappings, CRS, tolerances.

Example::

    [sections]
    path = "断面名录.xlsx"
    layer = "国考断面"          # sheet or GeoPackage layer
    crs = "gcj02"               # coordinates picked on a Gaode map
    columns = { code = "站点编号", target_class = "2025年目标" }

    [counties]
    path = "区县.shp"

    [rivers]                    # the embedded rivers (or path = "…") with your own beside them
    add = ["文峪河.shp", "磁窑河.gpkg"]

    [settings]
    near_border_m = 100

    [detection_limits]          # for 未检出/ND cells with no limit in the file
    "总磷" = "0.01 mg/L"        # Chinese keys in quotes
    hg = 0.00004                # a number is in the standard's unit (mg/L)

Relative paths are read from the folder holding the config file.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from geoenv import datasets
from geoenv.errors import InputError, Problem
from geoenv.io import LayerSource
from geoenv.io.read import FOLDER_SUFFIXES
from geoenv.quality.values import parse_limit
from geoenv.schema import LAYER_KINDS, SCHEMAS, parameter_code

#: Settings and the range each must lie in: (name → (lowest, highest, what it is)).
SETTINGS = {"near_border_m": (0.0, 100_000.0, "a distance in metres")}
LAYER_KEYS = ("path", "layer", "crs", "columns")
RIVER_KEYS = (*LAYER_KEYS, "add")


@dataclass
class Config:
    """Layer sources and settings read from a config file."""

    sources: dict[str, LayerSource] = field(default_factory=dict)
    settings: dict[str, float] = field(default_factory=dict)
    #: ``[detection_limits]``: (parameter code, limit in the standard's unit).
    detection_limits: tuple[tuple[str, float], ...] = ()


def read_config(path: Path) -> Config:
    """Read ``geoenv.toml``; unknown sections or keys are errors, so typos do not pass silently.

    Raises
    ------
    InputError
        Every problem found, each naming the file and the ``[section]`` (and key): a value of
        the wrong type (a number as a path, ``settings = 5``), a setting that is not a finite
        number in range, a layer path that is missing or a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(Problem("is a folder, not a config file", file=str(path)))
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(Problem("no such config file", file=str(path))) from exc
    except PermissionError as exc:
        raise InputError(Problem("cannot be read: permission denied", file=str(path))) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(Problem(f"not valid TOML: {exc}", file=str(path))) from exc
    config = Config()
    problems: list[Problem] = []
    for key, value in table.items():
        if key == "settings":
            if not isinstance(value, dict):
                problems.append(_wrong(path, key, None, value, "a table of settings ([settings] near_border_m = 100)"))
                continue
            for name, setting in value.items():
                problem, number = _setting(path, name, setting)
                if problem:
                    problems.append(problem)
                else:
                    config.settings[name] = number
        elif key == "detection_limits":
            found = _detection_limits(path, value)
            if isinstance(found, list):
                problems += found
            else:
                config.detection_limits = found
        elif key in LAYER_KINDS:
            source, found = _layer(path, key, value)
            problems += found
            if source is not None:
                config.sources[key] = source
        else:
            expected = ", ".join((*LAYER_KINDS, "settings", "detection_limits"))
            problems.append(Problem(f"unknown section [{key}] (expected {expected})", file=str(path)))
    if problems:
        raise InputError(problems)
    if config.detection_limits and "measurements" in config.sources:
        config.sources["measurements"] = replace(
            config.sources["measurements"], detection_limits=config.detection_limits
        )
    return config


def _detection_limits(path: Path, value: object) -> tuple[tuple[str, float], ...] | list[Problem]:
    """``[detection_limits]``: item = "0.01 mg/L" (or a number in the standard's unit)."""
    if not isinstance(value, dict):
        return [_wrong(path, "detection_limits", None, value, 'a table ([detection_limits] 总磷 = "0.01 mg/L")')]
    problems, found = [], []
    for item, limit in value.items():
        code = parameter_code(item)
        if code is None:
            problems.append(Problem(f"unknown item {item!r}", file=str(path), where="[detection_limits]"))
            continue
        if isinstance(limit, bool) or not isinstance(limit, str | int | float):
            problems.append(_wrong(path, "detection_limits", item, limit, 'a limit ("0.01 mg/L" or 0.01)'))
            continue
        number, why = parse_limit(code, limit)
        if why:
            problems.append(Problem(f"{item} = {limit!r}: {why}", file=str(path), where="[detection_limits]"))
        else:
            found.append((code, number))
    return problems or tuple(found)


def _wrong(path: Path, section: str, key: str | None, value: object, expected: str) -> Problem:
    """A value of the wrong kind, quoted as TOML shows it."""
    shown = f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else repr(value)
    name = f"{key} = " if key else f"{section} = "
    where = f"[{section}]" if key else None
    return Problem(f"{name}{shown} is not {expected}", file=str(path), where=where)


def _setting(path: Path, name: str, value: object) -> tuple[Problem | None, float]:
    if name not in SETTINGS:
        known = ", ".join(SETTINGS)
        return Problem(f"unknown setting {name!r} (known: {known})", file=str(path), where="[settings]"), 0.0
    low, high, what = SETTINGS[name]
    expected = f"{what} from {low:g} to {high:g}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _wrong(path, "settings", name, value, f"a number ({expected})"), 0.0
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        return _wrong(path, "settings", name, value, expected), 0.0
    return None, number


def _layer(path: Path, kind: str, value: object) -> tuple[LayerSource | None, list[Problem]]:
    """The source of one ``[kind]`` section, or the problems that keep it from being one."""
    where = f"[{kind}]"
    if not isinstance(value, dict):
        return None, [_wrong(path, kind, None, value, f'a table ([{kind}] path = "…")')]
    problems = []
    unknown = set(value) - set(RIVER_KEYS if kind == "rivers" else LAYER_KEYS)
    added = value.get("add", [])
    if not (isinstance(added, list) and all(isinstance(a, str) and a.strip() for a in added)):
        problems.append(_wrong(path, kind, "add", added, 'a list of file paths (add = ["文峪河.shp"])'))
        added = []
    for name in added:
        if not (path.parent / name).is_file():
            problems.append(Problem(f'add = "{name}": no such file', file=str(path), where=where))
    columns = value.get("columns", {})
    known = set(SCHEMAS[kind].required + SCHEMAS[kind].optional)
    if isinstance(columns, dict):
        unknown |= {f"columns.{c}" for c in columns if c not in known}
        for column, header in columns.items():
            if column in known and not isinstance(header, str):
                problems.append(_wrong(path, kind, f"columns.{column}", header, "a header (text)"))
    else:
        problems.append(_wrong(path, kind, "columns", columns, 'a table ({ code = "站点编号" })'))
    if unknown:
        problems.append(Problem(f"unknown keys {sorted(unknown)}", file=str(path), where=where))
    if "path" not in value:
        if "add" not in value:  # rivers may name only lines added to the embedded ones
            problems.append(Problem("needs a path", file=str(path), where=where))
    elif not isinstance(value["path"], str) or not value["path"].strip():
        problems.append(_wrong(path, kind, "path", value["path"], "a file path (text)"))
    else:
        target = path.parent / value["path"]
        if target.is_dir() and target.suffix.lower() not in FOLDER_SUFFIXES:
            problems.append(Problem(f'path = "{value["path"]}" is a folder, not a file', file=str(path), where=where))
    for key in ("layer", "crs"):
        given = value.get(key)
        if given is not None and not (isinstance(given, str) or (key == "crs" and isinstance(given, int))):
            problems.append(_wrong(path, kind, key, given, "text" if key == "layer" else 'a CRS (4326, "gcj02", WKT)'))
    if problems:
        return None, problems
    crs = value.get("crs")
    given = path.parent / value["path"] if "path" in value else None
    base = LayerSource(given, outlets=datasets.outlets_of(given)) if given else embedded_source(kind)
    source = replace(
        base,
        layer=value.get("layer"),
        columns=dict(columns),
        crs=str(crs) if crs is not None else None,
        add=tuple(LayerSource(path.parent / name) for name in added),
    )
    return source, []


def embedded_source(kind: str) -> LayerSource:
    """The embedded dataset standing in for the layer ``kind``, with what is known of it
    (the rivers' outlets)."""
    name = datasets.for_kind(kind)
    return LayerSource(datasets.get_path(name), outlets=datasets.DATASETS[name].outlets)
