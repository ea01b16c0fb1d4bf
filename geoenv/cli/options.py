"""Every option of the commands, defined once (as rio keeps its options in one module), and
the project file's part in them: ``--config geoenv.toml`` gives every option of a command a
default from its ``[command]`` section (``[map] title``), its ``[network]``, ``[placement]``
and ``[loading]`` settings, the layers their sources; the command line wins."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from geoenv import datasets
from geoenv.cli.base import ENCODING_KEY
from geoenv.errors import InputError, Problem
from geoenv.io import LayerSource
from geoenv.network.store import is_network_file
from geoenv.quality.aggregate import GROUPS
from geoenv.quality.periods import BY
from geoenv.schema import FACILITY_LABELS_ZH, LAYER_KINDS, SCHEMAS, SOURCE_KINDS, facility_kind
from geoenv.settings import DEFAULT_RADIUS_M, DEFAULT_TOLERANCE_M, DEFAULT_VELOCITY_MS, FLOWS
from geoenv.tables import LANGS

if TYPE_CHECKING:
    from geoenv.config import Config


class FiniteFloat(click.FloatRange):
    """A float option that must be a finite number within its range (nan and inf refused).

    ``click.FloatRange(min=0)`` lets ``nan`` (every comparison with it is false) and ``inf``
    through; this type fails them as a usage error (exit 2). Every float option of the CLI
    uses it.

    Examples
    --------
    >>> NON_NEGATIVE.convert("2.5", None, None)
    2.5
    """

    name = "number"

    def convert(self, value, param, ctx) -> float:
        """Parse ``value``; fail on text that is not a number, nan, ±inf or out of range."""
        text = value.strip() if isinstance(value, str) else value
        try:
            number = float(text)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return super().convert(number, param, ctx)


NON_NEGATIVE = FiniteFloat(min=0)
"""A finite number ≥ 0 (distances, radii, tolerances)."""
POSITIVE = FiniteFloat(min=0, min_open=True)
"""A finite number > 0 (velocities)."""


def _kind_value(text: str) -> tuple[str | None, str]:
    """Split ``KIND=VALUE`` (or plain ``VALUE`` for every layer)."""
    kind, sep, value = text.partition("=")
    if sep and kind in LAYER_KINDS:
        return kind, value
    return None, text


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_NEW_FILE = click.Path(dir_okay=False, path_type=Path)
_DATE = click.DateTime(formats=["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"])

#: Every option: name → (flags, attributes). A command takes them with :func:`option` (its
#: own help or choices where it needs them) or :func:`options`.
OPTIONS: dict[str, tuple[tuple[str, ...], dict]] = {
    # the layers (see sources_from_options)
    "config": (("--config",), dict(type=_NEW_FILE, is_eager=True, callback=lambda c, p, v: _config_callback(c, p, v),
               help="Project file geoenv.toml: layer paths, column mappings, CRS, settings and any option "
                    "of this command ([network], [placement], [loading], [map] …); options given here win.")),
    "sections": (("--sections",), dict(type=_FILE, help="Monitoring sections (断面): CSV, XLSX or a point layer.")),
    "facilities": (("--facilities",), dict(type=_FILE,
                   help="Facilities: sewage plants, wetlands, tailings ponds, outfalls …")),
    "rivers": (("--rivers",), dict(type=_FILE,
               help="River lines (GeoPackage, Shapefile, GeoJSON) or a saved network.")),
    "counties": (("--counties",), dict(type=_FILE, help="County polygons with a name (and adcode, city).")),
    "add_rivers": (("--add-rivers", "add_rivers"), dict(multiple=True, type=_FILE,
                   help="Your own river lines (文峪河, 磁窑河 …) joined to the rivers in use (the embedded "
                        "ones unless --rivers names others) into one network. Repeatable.")),
    "measurements": (("--measurements",), dict(type=_FILE,
                     help="Measurements, long (断面, 日期, 项目, 值) or wide (one column per item).")),
    "detection_limits": (("--detection-limits", "detection_limits"), dict(type=_FILE,
                         help="Table (CSV/XLSX) of item, detection limit and unit (项目, 检出限, 单位) "
                              "for 未检出/ND measurements whose file gives no limit.")),
    "layers": (("--layer", "layers"), dict(multiple=True, metavar="[KIND=]NAME",
               help="GeoPackage layer or XLSX sheet, e.g. --layer sections=国考断面.")),
    "columns": (("--column", "columns"), dict(multiple=True, metavar="KIND.COLUMN=HEADER",
                help="Map a header no alias knows, e.g. --column sections.code=站点编号.")),
    "src_crs": (("--src-crs", "src_crs"), dict(multiple=True, metavar="[KIND=]CRS",
                help="CRS of files that do not declare one: EPSG code, WKT, gcj02 or bd09 "
                     "(Gaode/Baidu picks), e.g. --src-crs facilities=gcj02.")),
    "strict": (("--strict/--no-strict", "strict"), dict(is_flag=True,
               help="A section or facility outside every county is an error (default: a warning within 50 km, "
                    "where it keeps no county as sections of a neighbouring province do; farther is always an "
                    "error).")),
    "lenient": (("--lenient/--no-lenient", "lenient"), dict(is_flag=True,
                help="Skip measurement values with errors (the whole row for a bad date or section) and list "
                     "them in OUTPUT.skipped.csv (on the terminal without -o).")),
    # the network and placement
    "flow": (("--flow",), dict(type=click.Choice(FLOWS), default="outlet", show_default=True,
             help="outlet: orient every network toward its outlet (any digitizing direction); "
                  "digitized: trust each line's direction.")),
    "outlets": (("--outlet", "outlets"), dict(multiple=True, metavar="LON,LAT",
                callback=lambda c, p, v: _lonlat(c, p, v),
                help="Where a network drains (repeatable). Without one, the rule in the README picks it and the "
                     "choice is reported.")),
    "tolerance_m": (("--tolerance-m",), dict(type=NON_NEGATIVE, default=DEFAULT_TOLERANCE_M, show_default=True,
                    help="Largest gap bridged from a dangling line end to another line. The default suits coarse "
                         "data such as the embedded GSHHG rivers; dense or surveyed data wants a few metres.")),
    "radius_m": (("--radius-m",), dict(type=NON_NEGATIVE, default=DEFAULT_RADIUS_M, show_default=True,
                 help="How far a section, a facility (its outfall) or a starting point may lie from a river to be "
                      "placed on it.")),
    # what a command looks at
    "period": (("--period",), dict(metavar="PERIOD",
               help="Month, quarter or year judged: 2024-06, 2024Q2, 2024 [default: the latest year with data].")),
    "distance_km": (("--distance-km",), dict(type=NON_NEGATIVE, help="Go this far along the network.")),
    "mode": (("--mode",), dict(type=click.Choice(["UT", "UM"]), default="UT", show_default=True,
             help="UT: the whole upstream network; UM: the main stem only.")),
    # outputs
    "output": (("-o", "--output"), dict(type=_NEW_FILE, callback=lambda c, p, v: _table_suffix(v),
               help="OUT.csv, or OUT.gpkg / OUT.shp (the placed rows as points or lines, WGS84) to write "
                    "(default: a table on the terminal).")),
    "csv_output": (("-o", "--output", "output"), dict(type=_NEW_FILE,
                   callback=lambda c, p, v: _table_suffix(v, (".csv",)),
                   help="OUT.csv to write (default: a table on the terminal).")),
    "encoding": (("--encoding",), dict(type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True,
                 expose_value=False, callback=lambda c, p, v: c.meta.__setitem__(ENCODING_KEY, v),
                 help="Text of an -o OUT.shp: UTF-8, or GBK for ArcMap (its .cpg says which).")),
    "output_dir": (("-o", "--output", "output"), dict(type=click.Path(file_okay=False, path_type=Path),
                   default=Path("maps"), show_default=True, help="Folder for the map and tables.")),
    "map_page": (("-o", "--output", "output"), dict(type=click.Path(path_type=Path), default=Path("maps"),
                 show_default=True, help="Folder for the map (index.html) and its tables, or a file X.html: "
                 "the map there and its tables beside it (X.sections.csv …).")),
    "map_output": (("--map", "map_output"), dict(type=_NEW_FILE, help="Also draw it on an offline HTML map.")),
    "rules": (("--rules",), dict(type=_FILE, help="Compensation rule file (TOML): items, standard, deduction "
              "tiers, rewards (see --example-rules).")),
    "example_rules": (("--example-rules", "example_rules"), dict(type=_NEW_FILE,
                      help="Write the example rule file (modelled on Shanxi's 2013 scheme) here and stop.")),
    "xlsx_output": (("-o", "--output", "output"), dict(type=_NEW_FILE,
                    callback=lambda c, p, v: _table_suffix(v, (".xlsx",)),
                    help="OUT.xlsx to write; its tables also as OUT.sections.csv … beside it.")),
    "overwrite": (("--overwrite",), dict(is_flag=True, help="Replace output files that exist.")),
    "kinds": (("--kinds",), dict(
        default=",".join(SOURCE_KINDS),
        show_default=True,
        callback=lambda c, p, v: _kinds(v, p),
        help="Facility kinds to list, comma-separated, in English or as registers write them (尾矿库,入河排污口).")),
    "stop_at_compliant": (("--stop-at-compliant/--no-stop-at-compliant", "stop_at_compliant"), dict(
        is_flag=True,
        help="Stop at upstream sections that meet their target in the period: the source lies below them.")),
    "facility": (("--facility",), dict(help="The spill's source: a facility id or name (its outfall).")),
    "at": (("--at", "at"), dict(
        metavar="LON,LAT",
        callback=lambda c, p, v: _lonlat(c, p, (v,))[0] if v else None,
        help="The spill's source: a point on a river.")),
    "velocity_ms": (("--velocity-ms",), dict(
        type=POSITIVE,
        default=DEFAULT_VELOCITY_MS,
        show_default=True,
        help="Mean flow velocity; a velocity column (流速) in the rivers layer wins.")),
    "river_velocity": (("--river-velocity", "river_velocity"), dict(
        multiple=True,
        metavar="NAME=M/S",
        callback=lambda c, p, v: _river_velocity(v),
        help="Mean flow velocity of one river, e.g. --river-velocity 汾河=0.6 (repeatable); a velocity column "
             "(流速) in the rivers layer still wins.")),
    "facility_kind": (("--kind", "kind"), dict(
        default="tailings_pond",
        show_default=True,
        callback=lambda c, p, v: _kinds(v, p, one=True)[0],
        help="The kind of facility, in English or as registers write it (尾矿库): a page for each.")),
    "hours": (("--hours",), dict(
        type=POSITIVE,
        default=24.0,
        show_default=True,
        help="Follow each spill this many hours: what it reaches within them.")),
    "start_time": (("--start-time",), dict(
        type=click.DateTime(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
        metavar="YYYY-MM-DDTHH:MM",
        help="When the spill starts (local time): adds the clock time of each arrival (arrival_time).")),
    "units": (("--level", "units"), dict(
        type=click.Choice(["county", "city"]),
        default="county",
        show_default=True,
        help="Borders of counties or of cities.")),
    "near_km": (("--near-km",), dict(
        type=NON_NEGATIVE,
        help="How far along the river from a border a section may be to watch it, km "
             "[default: anywhere on the river inside the unit].")),
    "min_run_km": (("--min-run-km",), dict(
        type=NON_NEGATIVE,
        default=1.0,
        show_default=True,
        help="A stay in a unit shorter than this many km (a river zigzagging along a border) is no crossing: "
             "it takes the unit of the first long run below it, and a crossing's 合并短距穿越 counts the stays "
             "merged between it and that run.")),
    "lang": (("--lang",), dict(
        type=click.Choice(LANGS),
        default="zh",
        show_default=True,
        help="Tables in Chinese (headers, 是/否, 国考, percentages, names beside codes) or as the library "
             "gives them (English column names, raw values).")),
    "by": (("--by",), dict(
        type=click.Choice(BY),
        help="Evaluate each month, quarter or year [default: year, or the one range --from … --to].")),
    "start": (("--from", "start"), dict(type=_DATE, help="First day (YYYY-MM-DD) of the data evaluated.")),
    "end": (("--to", "end"), dict(type=_DATE, help="Last day (YYYY-MM-DD) of the data evaluated.")),
    "water": (("--water",), dict(
        type=click.Choice(["river", "lake"]),
        default="river",
        show_default=True,
        help="Water body of sections whose register has no 水体类型 column (lake: lake TP limits).")),
    "lake_tn": (("--lake-tn/--no-lake-tn", "lake_tn"), dict(
        is_flag=True, help="Also class lakes and reservoirs by total nitrogen.")),
    "group": (("--group",), dict(
        type=click.Choice(GROUPS),
        help="Write the aggregate per river, county, city or all sections instead.")),
    "items_output": (("--items", "items_output"), dict(
        type=click.Path(dir_okay=False, path_type=Path),
        help="Also write each item's mean, class and exceedance per section and period.")),
    "layer": (("--layer",), dict(help="Layer or sheet to describe (default: all).")),
    "kind": (("--kind",), dict(
        type=click.Choice(LAYER_KINDS),
        help="Recognise the columns of this layer kind (default: the kind whose headers match best).")),
    "title": (("--title",), dict(default="地表水监测断面分布图", show_default=True, help="Title on the map.")),
    "timeline": (("--timeline/--no-timeline", "timeline"), dict(
        is_flag=True,
        help="Add a slider stepping through the periods (years, or the kind of --period).")),
    "river": (("--river",), dict(help="Draw only this river and its tributaries, e.g. --river 汾河.")),
    "county": (("--county",), dict(
        help="Draw only this county, the rivers crossing it and the sections just across its borders.")),
    "city": (("--city",), dict(
        help="Draw only this city's counties, the rivers crossing them and the sections just across its borders.")),
    "labels": (("--labels/--no-labels", "labels"), dict(
        is_flag=True,
        help="Write section and river names on the map (those that fit, national sections first).")),
    "basemap": (("--basemap",), dict(
        default="none",
        show_default=True,
        help="none, osm, gaode (drawn in GCJ-02), tianditu, "
    "or a tile URL with {z}/{x}/{y}. Tiles need the network; 'none' keeps the map offline.")),
    "tianditu_key": (("--tianditu-key",), dict(help="Key for --basemap tianditu.")),
    "choropleth": (("--choropleth",), dict(
        metavar="COLUMN",
        help="Shade counties by a column of the counties layer or by "
    "good_ratio, worse_than_v_ratio or cwqi of their sections.")),
    "cdn": (("--cdn/--no-cdn", "cdn"), dict(
        is_flag=True,
        help="Link Leaflet from a CDN instead of inlining it (smaller, needs the internet).")),
    "png": (("--png", "png"), dict(
        type=click.Path(dir_okay=False, path_type=Path),
        help="Also save a screenshot (needs Chromium).")),
    "network_navigate_start": (("--start",), dict(help="Reach id to start from.")),
    "start_at": (("--start-at", "start_at"), dict(
        metavar="LON,LAT",
        callback=lambda c, p, v: _lonlat(c, p, (v,)) if v else [],
        help="Start at the reach nearest this point (within --radius-m).")),
    "save_network_to": (("--save-network", "save_network_to"), dict(
        type=click.Path(dir_okay=False, path_type=Path),
        help="Also write the network with the located sections, facilities and relations (GeoPackage).")),
}  # fmt: skip


def _table_suffix(path: Path | None, suffixes: tuple[str, ...] | None = None) -> Path | None:
    """``-o`` of a table: OUT.csv (or no suffix), OUT.gpkg or OUT.shp, or only those of
    ``suffixes`` (a usage error otherwise, before any work)."""
    from geoenv.errors import OutputError
    from geoenv.io.gis import TABLE_SUFFIXES, check_suffix

    try:
        if path is not None:
            check_suffix(path, suffixes or TABLE_SUFFIXES)
    except OutputError as exc:
        raise click.BadParameter(str(exc.problems[0]), param_hint="-o") from None
    return path


def option(name: str, **changes) -> Callable:
    """The option ``name`` of :data:`OPTIONS`, with ``changes`` (a command's own help, choices,
    ``required``) to its attributes."""
    flags, attributes = OPTIONS[name]
    return click.option(*flags, **{**attributes, **changes})


def options(*names: str) -> Callable:
    """Decorate a command with the options ``names``, in that order in its help."""

    def decorate(func):
        for name in reversed(names):
            func = option(name)(func)
        return func

    return decorate


#: The options that name layers: read by :func:`sources_from_options`, not settable per command.
LAYER_OPTIONS = ("config", *LAYER_KINDS, "add_rivers", "detection_limits", "layers", "columns", "src_crs")


def _config_callback(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """``--config``: read the file once (kept in ``ctx.meta``) and give the command's options
    their defaults from it."""
    from geoenv.config import read_config

    if value is None:
        return None
    config = read_config(value)
    ctx.meta["geoenv.config"] = config
    ctx.default_map = {**(ctx.default_map or {}), **config_defaults(ctx, config)}
    return value


def config_defaults(ctx: click.Context, config: Config) -> dict[str, object]:
    """Defaults for ``ctx``'s command from ``config``: its settings, then its ``[command]``
    section (``[map]``, ``[network.build]``), each value checked as the option checks it.

    Raises
    ------
    InputError
        Naming the file, the section and the key, for an option the command does not have or
        a value it does not take.
    """
    defaults, problems = _command_defaults(ctx, config, " ".join(ctx.command_path.split()[1:]), ctx.command)
    if problems:
        raise InputError(problems)
    return defaults


def config_problems(ctx: click.Context, config: Config) -> list[Problem]:
    """What is wrong in the ``[command]`` sections of ``config`` for any command (what
    ``geoenv validate`` checks, as each command would when given the file)."""
    root = ctx.find_root()
    problems: list[Problem] = []
    for command in config.options:
        found: click.Command | None = root.command
        for word in command.split():
            found = found.get_command(root, word) if isinstance(found, click.Group) else None
        if found is None or isinstance(found, click.Group):
            where = f"[{command.replace(' ', '.')}]"
            problems.append(Problem(f"no command geoenv {command}", file=str(config.path), where=where))
            continue
        problems += _command_defaults(ctx, config, command, found)[1]
    return problems


def _command_defaults(
    ctx: click.Context, config: Config, command: str, cmd: click.Command
) -> tuple[dict[str, object], list[Problem]]:
    params = {p.name: p for p in cmd.params if isinstance(p, click.Option) and p.name not in LAYER_OPTIONS}
    given: dict[str, tuple[str, object]] = {}
    for stage in ("network", "placement", "loading"):
        for name, value in asdict(getattr(config.settings, stage)).items():
            if name in params:
                given[name] = (stage, [f"{lon},{lat}" for lon, lat in value] if name == "outlets" else value)
    # a key is the flag without its dashes (map for --map, save_network for --save-network) or the option's name
    keys = {
        opt.lstrip("-").replace("-", "_"): name for name, p in params.items() for opt in p.opts if opt.startswith("--")
    }
    keys |= {name: name for name in params}
    problems = []
    section = command.replace(" ", ".")
    for key, value in config.options.get(command, {}).items():
        name = keys.get(key.replace("-", "_"), key.replace("-", "_"))
        if name == "overwrite":
            problems.append(Problem("overwrite is chosen run by run, not in a shared file: give --overwrite",
                                    file=str(config.path), where=f"[{section}]"))  # fmt: skip
            continue
        if name not in params:
            flags = {
                opt.lstrip("-").replace("-", "_") for p in params.values() for opt in p.opts if opt.startswith("--")
            }
            known = ", ".join(sorted(flags - {"overwrite"}))
            problems.append(Problem(f"unknown option {key!r} for geoenv {command} (known: {known})",
                                    file=str(config.path), where=f"[{section}]"))  # fmt: skip
            continue
        if isinstance(params[name].type, click.Path) and isinstance(value, str) and config.path:
            value = str(config.path.parent / value)
        given[name] = (section, value)
    defaults = {}
    for name, (where, value) in given.items():
        expected = _toml_kind(params[name], value)
        try:
            if expected:
                raise click.BadParameter(f"a TOML value of the wrong kind: write {expected}")
            params[name].type_cast_value(ctx, value)
        except click.BadParameter as exc:
            problems.append(Problem(f"{name} = {value!r}: {exc.message}", file=str(config.path), where=f"[{where}]"))
            continue
        defaults[name] = value
    return defaults, problems


def _toml_kind(param: click.Option, value: object) -> str | None:
    """What kind of TOML value ``param`` takes, when ``value`` is not of it (else None)."""
    numeric = isinstance(param.type, click.types.FloatParamType | click.types.IntParamType)
    if param.is_flag:
        return None if isinstance(value, bool) else "true or false"
    if param.multiple:
        ok = isinstance(value, list) and all(isinstance(v, str | int | float) for v in value)
        return None if ok else 'a list (["…", "…"])'
    if numeric:
        return None if isinstance(value, int | float) and not isinstance(value, bool) else "a number"
    return None if isinstance(value, str) else 'text in quotes ("…")'


def layer_options(func):
    """The layer options (``--config``, ``--sections`` … ``--src-crs``, ``--strict``), left in
    ``kw`` for :func:`sources_from_options`."""
    return options(*LAYER_OPTIONS, "strict")(func)


def network_options(func):
    """``--flow``, ``--outlet``, ``--tolerance-m``: how a network is built from lines."""
    return options("flow", "outlets", "tolerance_m")(func)


def basin_options(func):
    """The layer options, the network options and ``--radius-m``: what a command working on
    the registers placed on the river network takes."""
    return layer_options(network_options(option("radius_m")(func)))


def sources_from_options(kw: dict) -> tuple[dict[str, LayerSource | None], Config | None]:
    """Per-kind sources from the layer options (None where not given) and the config."""
    from geoenv.config import embedded_source
    from geoenv.crs import parse_crs
    from geoenv.measurements import read_detection_limits

    path = kw.pop("config", None)
    config = click.get_current_context().meta.get("geoenv.config") if path else None
    layers = kw.pop("layers", ())
    columns = kw.pop("columns", ())
    crs = kw.pop("src_crs", ())
    paths = {kind: kw.pop(kind, None) for kind in LAYER_KINDS}
    limits_file = kw.pop("detection_limits", None)
    limits = read_detection_limits(LayerSource(Path(limits_file))) if limits_file else ()
    mapped: dict[str, dict[str, str]] = {kind: {} for kind in LAYER_KINDS}
    for text in columns:
        target, sep, header = text.partition("=")
        kind, dot, column = target.partition(".")
        known = SCHEMAS.get(kind)
        if not (sep and dot and known and column in known.required + known.optional):
            raise click.BadParameter(
                f"{text!r}: write KIND.COLUMN=HEADER, e.g. sections.code=站点编号",
                param_hint="--column",
            )
        mapped[kind][column] = header
    sheet = dict(_kind_value(t) for t in layers)
    declared = dict(_kind_value(t) for t in crs)
    for value in declared.values():
        try:
            parse_crs(value)
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint="--src-crs") from None
    given = {k for k, p in paths.items() if p is not None} | set(config.sources if config else ())
    given |= {"rivers"} if kw.get("add_rivers") else set()
    for option, kinds in (("--column", [k for k, m in mapped.items() if m]), ("--layer", list(sheet)),
                          ("--src-crs", list(declared)),
                          ("--detection-limits", ["measurements"] if limits_file else [])):  # fmt: skip
        for kind in kinds:
            if kind is not None and kind not in given:
                raise click.BadParameter(
                    f"{kind}: no {kind} file given (--{kind} FILE) for this option to apply to", param_hint=option
                )
    overrides: dict[str, LayerSource | None] = {}
    for kind, path in paths.items():
        base = config.sources.get(kind) if config else None
        if path is None and base is None:
            overrides[kind] = None
            continue
        source = base or LayerSource(Path(path))
        overrides[kind] = LayerSource(
            path=Path(path) if path else source.path,
            layer=sheet.get(kind, sheet.get(None, source.layer)),
            columns={**source.columns, **mapped[kind]},
            crs=declared.get(kind, declared.get(None, source.crs)),
            add=source.add,
            outlets=datasets.outlets_of(Path(path)) if path else source.outlets,
            detection_limits=(limits + (config.detection_limits if config else ()) if kind == "measurements" else ()),
        )
    added = tuple(LayerSource(Path(p), crs=declared.get("rivers")) for p in kw.pop("add_rivers", ()))
    for source in added:
        if is_network_file(source.path):
            raise click.BadParameter(f"{source.path} is a saved network: add the lines it was built from",
                                     param_hint="--add-rivers")  # fmt: skip
    if added:
        base = overrides["rivers"] or embedded_source("rivers")
        overrides["rivers"] = replace(base, add=base.add + added)
    return overrides, config


def parse_lonlat(text: str) -> tuple[float, float]:
    """Read ``LON,LAT`` in decimal degrees (a full-width comma too).

    Raises
    ------
    click.BadParameter
        When it is not two finite numbers, or the longitude is outside ±180 or the latitude
        outside ±90.
    """
    try:
        lon, lat = (float(v) for v in str(text).replace("，", ",").split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r}: write LON,LAT in degrees, e.g. 114.6,34.9") from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise click.BadParameter(f"{text!r}: longitude and latitude must be finite numbers, e.g. 114.6,34.9")
    if abs(lon) > 180 or abs(lat) > 90:
        raise click.BadParameter(
            f"{text!r}: out of range for degrees (longitude −180…180, latitude −90…90); write LON,LAT, e.g. 114.6,34.9"
        )
    return lon, lat


def _kinds(value: object, param: click.Parameter, *, one: bool = False) -> tuple[str, ...]:
    """Facility kinds of ``--kinds`` (comma-separated; ``，`` and ``、`` too), canonical, each
    once: ``尾矿库,outfall`` → ``("tailings_pond", "outfall")``."""
    names = [n.strip() for n in re.split(r"[,，、]", str(value)) if n.strip()]
    kinds = [facility_kind(n) for n in names]
    hint = param.opts[0] if param.opts else None
    known = ", ".join(f"{k} ({zh})" for k, zh in FACILITY_LABELS_ZH.items())
    for name, kind in zip(names, kinds, strict=True):
        if kind is None:
            raise click.BadParameter(f"{name!r} is not one of {known}", param_hint=hint)
    if not kinds or (one and len(kinds) > 1):
        raise click.BadParameter(f"name {'one facility kind' if one else 'facility kinds'}: {known}", param_hint=hint)
    return tuple(dict.fromkeys(k for k in kinds if k is not None))


def _river_velocity(values: tuple[str, ...]) -> dict[str, float]:
    """Every ``NAME=M/S`` of ``--river-velocity`` as {name: m/s}, each a finite number > 0."""
    velocities = {}
    for text in values:
        name, sep, value = str(text).rpartition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not (sep and name.strip() and math.isfinite(number) and number > 0):
            raise click.BadParameter(f"{text!r}: write NAME=M/S with a velocity above 0, e.g. 汾河=0.6",
                                     param_hint="--river-velocity")  # fmt: skip
        velocities[name.strip()] = number
    return velocities


def _lonlat(ctx: click.Context, param: click.Parameter, values) -> list[tuple[float, float]]:
    """Click callback: every ``LON,LAT`` of a (repeatable) option, checked."""
    return [parse_lonlat(text) for text in values]
