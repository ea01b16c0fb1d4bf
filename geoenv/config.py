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

    [network]                   # how the network is built from lines
    flow = "outlet"
    outlets = [[114.6, 34.903]]
    tolerance_m = 50

    [placement]
    radius_m = 500

    [loading]
    near_border_m = 100         # a point this close outside every county goes to the nearest
    strict = true

    [map]                       # any command's options, by the command's name
    title = "太原市地表水监测断面分布图"

    [detection_limits]          # for 未检出/ND cells with no limit in the file
    "总磷" = "0.01 mg/L"        # Chinese keys in quotes
    hg = 0.00004                # a number is in the standard's unit (mg/L)

Relative paths are read from the folder holding the config file. ``[settings]
near_border_m`` (the older spelling) is read as ``[loading]``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from geoenv import datasets
from geoenv.errors import InputError, Problem
from geoenv.io import LayerSource
from geoenv.io.read import FOLDER_SUFFIXES
from geoenv.quality.values import parse_limit
from geoenv.schema import LAYER_KINDS, SCHEMAS, parameter_code
from geoenv.settings import STAGES, ParameterError, Settings

LAYER_KEYS = ("path", "layer", "crs", "columns")
#: A project file larger than this is not one (``--config /dev/zero`` would read forever).
MAX_CONFIG_BYTES = 1_000_000
RIVER_KEYS = (*LAYER_KEYS, "add")
#: Sections named after a command hold its options (``[map] title = "…"``): the CLI checks
#: their keys against the command's options.
COMMAND_SECTIONS = ("validate", "join", "classify", "relations", "trace", "impact", "crossings", "compensation",
                    "emergency", "dossier", "report", "map",
                    "demo", "network")  # fmt: skip


@dataclass
class Config:
    """Layer sources, settings and command options read from a config file.

    Attributes
    ----------
    sources
        Per layer kind.
    settings
        ``[network]``, ``[placement]``, ``[loading]``.
    detection_limits
        ``[detection_limits]``: (parameter code, limit in the standard's unit).
    options
        Per command, its options as written (``[map]`` → ``{"title": …}``; ``[network.build]``
        → ``"network build"``).
    path
        The file read.
    """

    sources: dict[str, LayerSource] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    detection_limits: tuple[tuple[str, float], ...] = ()
    options: dict[str, dict[str, object]] = field(default_factory=dict)
    path: Path | None = None


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
    if path.exists() and not path.is_file():
        raise InputError(Problem("is not a regular file (a device or a pipe): give a geoenv.toml", file=str(path)))
    if path.is_file() and path.stat().st_size > MAX_CONFIG_BYTES:
        size = path.stat().st_size / 1e6
        raise InputError(Problem(f"is {size:.1f} MB: a project file is a few lines of TOML", file=str(path)))
    try:
        text = path.read_bytes().decode("utf-8-sig")  # Notepad's BOM is no error
    except UnicodeDecodeError as exc:
        raise InputError(Problem(f"is not UTF-8 ({exc.reason} at byte {exc.start}): save it as UTF-8 (TOML is "
                                 "always UTF-8; Notepad: 另存为 → 编码 UTF-8)", file=str(path))) from exc  # fmt: skip
    except FileNotFoundError as exc:
        raise InputError(Problem("no such config file", file=str(path))) from exc
    except PermissionError as exc:
        raise InputError(Problem("cannot be read: permission denied", file=str(path))) from exc
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Problem(f"not valid TOML: {exc}", file=str(path))) from exc
    config = Config(path=path)
    problems: list[Problem] = []
    stages: dict[str, dict[str, object]] = {}
    for key, value in table.items():
        if key in (*STAGES, "settings"):
            stage = "loading" if key == "settings" else key
            twice = set(stages.get(stage, {})) & set(value if isinstance(value, dict) else ())
            if twice:
                problems.append(Problem(f"{', '.join(sorted(twice))} given in both [settings] and [loading]: keep "
                                        "one ([loading])", file=str(path), where=f"[{key}]"))  # fmt: skip
            found = _stage(path, key, value, stages.setdefault(stage, {}))
            if stage == "network" and isinstance(value, dict):
                found += _command_options(path, "network", value, config, nested_only=True)
            problems += found
        elif key in COMMAND_SECTIONS:
            problems += _command_options(path, key, value, config)
        elif key == "detection_limits":
            limits = _detection_limits(path, value)
            if isinstance(limits, list):
                problems += limits
            else:
                config.detection_limits = limits
        elif key in LAYER_KINDS:
            source, found = _layer(path, key, value)
            problems += found
            if source is not None:
                config.sources[key] = source
        else:
            expected = ", ".join(dict.fromkeys((*LAYER_KINDS, *STAGES, "detection_limits", *COMMAND_SECTIONS)))
            problems.append(Problem(f"unknown section [{key}] (expected {expected})", file=str(path)))
    made = {}
    for stage, values in stages.items():
        try:
            made[stage] = STAGES[stage](**values)  # type: ignore[arg-type]
        except ParameterError as exc:
            where = "[settings]" if stage == "loading" and "settings" in table else f"[{stage}]"
            shown = _toml(values.get(exc.parameter))
            problems.append(Problem(f"{exc.parameter} = {shown} is not {exc.expected}", file=str(path), where=where))
    config.settings = Settings(**made)  # type: ignore[arg-type]
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
        if why or number is None:
            problems.append(Problem(f"{item} = {limit!r}: {why}", file=str(path), where="[detection_limits]"))
        else:
            found.append((code, number))
    return problems or tuple(found)


def _wrong(path: Path, section: str, key: str | None, value: object, expected: str) -> Problem:
    """A value of the wrong kind, quoted as TOML shows it."""
    shown = _toml(value)
    name = f"{key} = " if key else f"{section} = "
    where = f"[{section}]" if key else None
    return Problem(f"{name}{shown} is not {expected}", file=str(path), where=where)


def _keys(kind: type) -> list[str]:
    return [f.name for f in fields(kind)]


def _toml(value: object) -> str:
    """A value as TOML writes it."""
    return f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else repr(value)


def _stage(path: Path, key: str, value: object, into: dict[str, object]) -> list[Problem]:
    """The settings of ``[network]``, ``[placement]``, ``[loading]`` (or ``[settings]``) into ``into``."""
    stage = "loading" if key == "settings" else key
    known = _keys(STAGES[stage])
    if not isinstance(value, dict):
        example = getattr(STAGES[stage](), known[0])
        shown = f"{example:g}" if isinstance(example, float) else _toml(example)
        return [_wrong(path, key, None, value, f"a table of settings ([{key}] {known[0]} = {shown})")]
    problems = []
    for name, setting in value.items():
        if name in known:
            if name == "outlets":
                if not (isinstance(setting, list) and all(_lonlat(p) for p in setting)):
                    problems.append(_wrong(path, key, name, setting, "a list of [lon, lat] in degrees"))
                    continue
                setting = tuple(tuple(p) for p in setting)
            into[name] = setting
        elif not (stage == "network" and isinstance(setting, dict)):  # [network.build]: a command's options
            message = f"unknown setting {name!r} (known: {', '.join(known)})"
            problems.append(Problem(message, file=str(path), where=f"[{key}]"))
    return problems


def _lonlat(point: object) -> bool:
    return (
        isinstance(point, list)
        and len(point) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
    )


def _command_options(
    path: Path, command: str, value: object, config: Config, *, nested_only: bool = False
) -> list[Problem]:
    """``[map]`` (or ``[network.build]``): a command's options as written, for the CLI to check.
    With ``nested_only`` (``[network]``, whose own keys are settings) only the sub-tables."""
    if not isinstance(value, dict):
        return [_wrong(path, command, None, value, f"a table of options ([{command}] option = …)")]
    for name, options in value.items():
        if isinstance(options, dict):
            config.options[f"{command} {name}"] = dict(options)
        elif not nested_only:
            config.options.setdefault(command, {})[name] = options
    return []


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
