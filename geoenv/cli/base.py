"""The ``geoenv`` group, its error handling, and the helpers every command shares."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pandas as pd

from geoenv import __version__, datasets
from geoenv.cli.display import format_table, printable
from geoenv.errors import GeoenvError, InputError, Problem
from geoenv.io import LayerSource
from geoenv.io.gis import Places, output_parts, table_files
from geoenv.io.write import Writer, check_outputs, write_files
from geoenv.network import Network, open_network
from geoenv.schema import LAYER_KINDS
from geoenv.settings import LoadingSettings, NetworkSettings, ParameterError, PlacementSettings, Settings
from geoenv.tables import Names, bureau_table

if TYPE_CHECKING:
    from geoenv.project import Project
    from geoenv.quality import Period

SHOWN_PER_MESSAGE = 20
ENCODING_KEY = "geoenv.encoding"
"""Where ``--encoding`` is kept (``ctx.meta``) for the command's ``-o`` shapefile."""


def echo(text: str, *, err: bool = False, lines: bool = False) -> None:
    """The one way the CLI prints: user text inside is shown with control characters escaped.

    With ``lines`` the text's own line breaks are kept (a table whose cells are escaped).
    """
    shown = "\n".join(printable(line) for line in text.split("\n")) if lines else printable(text)
    click.echo(shown, err=err)


def _summary(problems: list[Problem], label: str) -> list[str]:
    """Lines for ``problems``: all of them when few, else the first :data:`SHOWN_PER_MESSAGE`
    and a count per message (175,000 identical errors are one line and a number)."""
    lines = [f"{label}: {p}" for p in problems[:SHOWN_PER_MESSAGE]]
    if len(problems) > SHOWN_PER_MESSAGE:
        rest = Counter(p.message for p in problems[SHOWN_PER_MESSAGE:])
        lines.append(f"{label}: … and {len(problems) - SHOWN_PER_MESSAGE} more:")
        lines += [f"{label}:   {n} × {message}" for message, n in rest.most_common()]
    return lines


class _Terminated(SystemExit):
    """A SIGTERM or SIGHUP, raised where the program is so that unfinished outputs go."""


def _terminate(signum: int, frame) -> None:
    """SIGTERM/SIGHUP end the command as Ctrl-C does: outputs half-written are removed."""
    raise _Terminated(128 + signum)


class _Group(click.Group):
    """Turns GeoenvErrors into ``error: FILE:ROW: column C: message`` and exit status 1."""

    def invoke(self, ctx: click.Context):
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), _terminate)
        try:
            return super().invoke(ctx)
        except ParameterError as exc:  # a library setting out of range: say it as the flag that sets it
            flag = "--" + exc.parameter.replace("_", "-")
            raise click.BadParameter(f"{exc.value!r} is not {exc.expected}", param_hint=flag) from None
        except _Terminated as exc:
            signame = signal.Signals(int(exc.code or 0) - 128).name
            echo(f"error: stopped by {signame}: outputs not yet complete were removed", err=True)
            raise
        except GeoenvError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            if ctx.obj:
                _warn(ctx, exc.warnings)
            for line in _summary(exc.problems, "error"):
                echo(line, err=True)
            ctx.exit(1)
        except click.ClickException as exc:  # usage errors may quote user text
            exc.message = printable(exc.message)  # type: ignore[misc]  # click's Final, set where it is raised
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            echo(f"error: unexpected {type(exc).__name__}: {exc} (run with -v for details)", err=True)
            ctx.exit(1)


def _log(ctx: click.Context, message: str) -> None:
    if not ctx.obj.get("quiet"):
        echo(message, err=True)


def _stated_period(ctx: click.Context, given: str | None, chosen: Period | None) -> None:
    """Say which period a command shows when ``--period`` was not given."""
    if given is None and chosen is not None:
        _log(ctx, f"period: {chosen.label} (the latest year with data; --period to choose another)")


def _warn(ctx: click.Context, problems: list[Problem]) -> None:
    for line in _summary([p for p in problems if p.severity == "warning"], "warning"):
        _log(ctx, line)


def _project(
    ctx: click.Context,
    kw: dict,
    *,
    lenient: bool = False,
    network: NetworkSettings | None = None,
    placement: PlacementSettings | None = None,
    raise_errors: bool = True,
) -> Project:
    """The project of the layer options in ``kw`` (popped), with the command's settings; its
    warnings shown (errors raised unless ``raise_errors`` is false)."""
    from geoenv.cli.options import sources_from_options
    from geoenv.project import open_project  # geopandas and the registers: not for the network commands

    strict = kw.pop("strict", False)
    overrides, config = sources_from_options(kw)
    base = config.settings if config else Settings()
    loading = LoadingSettings(near_border_m=base.loading.near_border_m, lenient=lenient, strict=strict)
    settings = Settings(network or base.network, placement or base.placement, loading)
    project = open_project(config, **overrides, settings=settings, raise_errors=raise_errors,
                           progress=lambda note: _log(ctx, f"  … {note}"))  # fmt: skip
    if project.embedded:
        _log(ctx, "using the embedded Shanxi data (illustrative sample registers)")
    if raise_errors:
        _warn(ctx, project.problems)
    return project


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geoenv")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and more detail.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def main(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """Monitoring sections, facilities, rivers and counties for environmental bureaus.

    Every command reads the layers from --config geoenv.toml or the per-layer options;
    layers you leave out come from the embedded Shanxi data. Tables may be CSV (UTF-8 or GBK)
    or XLSX with Chinese or English headers; vector files GeoPackage, Shapefile or GeoJSON.

    \b
    Start with:
      geoenv demo                      # map of the embedded Shanxi data in maps/
      geoenv validate --sections 断面.xlsx
      geoenv info 河流.shp
      geoenv classify 监测数据.csv --sections 断面.xlsx --by month
      geoenv network build 河流.shp -o 河网.gpkg
      geoenv relations --sections 断面.xlsx --rivers 河网.gpkg -o 断面关系.csv
    """
    ctx.ensure_object(dict)
    ctx.obj.update(verbose=verbose, quiet=quiet)


def _lines_source(
    path: Path, *, layer: str | None, id_field: str | None, name_field: str | None, src_crs: str | None
) -> LayerSource:
    """Where LINES and its id and name columns are (from ``--layer --id-field --name-field --src-crs``)."""
    columns = {k: v for k, v in (("id", id_field), ("name", name_field)) if v}
    return LayerSource(path, layer=layer, columns=columns, crs=src_crs, outlets=datasets.outlets_of(path))


def _open_network(ctx: click.Context, source: LayerSource, flow: str, outlets, tolerance_m: float) -> Network:
    progress = lambda note: _log(ctx, f"  … {note}")  # noqa: E731
    return _timed(ctx, source.path, lambda: open_network(source, flow=flow, outlets=outlets, tolerance_m=tolerance_m,
                                                         progress=progress))  # fmt: skip


def _timed(ctx: click.Context, path: Path, network: Callable[[], Network]) -> Network:
    """The network ``network()`` builds or loads, said with its time and what was done to the lines."""
    started = time.perf_counter()
    net = network()
    _log(ctx, f"network: {net.n} reaches from {path} in {time.perf_counter() - started:.1f} s")
    _network_notes(ctx, net)
    return net


def _network_notes(ctx: click.Context, net: Network) -> None:
    """What building the network did to the lines, and where its outlets are."""
    report = net.report
    notes = {"duplicates_dropped": "repeated lines dropped", "gaps_bridged": "gaps bridged",
             "t_junctions_split": "lines split at T-junctions", "networks": "separate networks (pieces)",
             "ambiguous": "reaches in loops or braids "
             "(direction inferred, marked ambiguous)", "loops": "loops cut"}  # fmt: skip
    for key, text in notes.items():
        if report.get(key):
            _log(ctx, f"  {report[key]} {text}")
    outlets = report.get("outlets")
    if isinstance(outlets, pd.DataFrame):
        for row in outlets.itertuples():
            if row.given:
                how = "given"
            elif report.get("flow") == "digitized":
                how = "where the digitized lines end"
            else:
                how = "chosen by the outlet rule; --outlet to override"
            _log(ctx, f"  outlet {row.lon:.5f},{row.lat:.5f} ({how})")


def _basin(ctx: click.Context, kw: dict, flow: str, outlets, tolerance_m: float, radius_m: float) -> Project:
    """The project with its network built (or loaded) and its registers placed, the network's
    report shown."""
    network = NetworkSettings(flow=flow, outlets=tuple(outlets), tolerance_m=tolerance_m)
    project = _project(ctx, kw, network=network, placement=PlacementSettings(radius_m=radius_m))
    if "sections" not in project.layers:
        raise InputError("no sections given (--sections)")
    _network_report(ctx, project)
    project.basin  # noqa: B018 (placed now, so that a placement error stops the command here)
    return project


def _network_report(ctx: click.Context, project: Project) -> None:
    """Build (or load) the project's network, and say what was done to the lines."""
    _timed(ctx, Path(project.sources["rivers"].path), lambda: project.network)


INPUT_OPTIONS = ("config", "lines", "detection_limits", "rules", *LAYER_KINDS)


def _inputs(kw: Mapping | None) -> list[Path]:
    """Every file the command reads: its layer options, the lines added to the rivers, and the
    layers the ``--config`` file names (with theirs)."""
    kw = kw or {}
    inputs = [Path(kw[k]) for k in INPUT_OPTIONS if kw.get(k)] + [Path(p) for p in kw.get("add_rivers") or ()]
    ctx = click.get_current_context(silent=True)
    config = ctx.meta.get("geoenv.config") if ctx else None
    if config is not None and config.path is not None:
        inputs.append(Path(config.path))
    for source in config.sources.values() if config else ():
        inputs += [Path(source.path), *(Path(added.path) for added in source.add)]
    return inputs


def _outputs(
    overwrite: bool, labelled: Mapping[str, Path | None], kw: Mapping | None = None, *, create_folders: bool = False
) -> None:
    """Refuse before any work: outputs that may not be written, two on one path, or one that
    is an input (see :func:`_inputs`). ``labelled`` maps each option (``-o``, ``--map``) to its
    path (None when not given)."""
    inputs = _inputs(kw)
    check_outputs([(part, label) for label, path in labelled.items() if path for part in output_parts(path)],
                  overwrite=overwrite,
                  create_folders=create_folders, inputs=inputs)  # fmt: skip


def _emit(
    ctx: click.Context,
    table,
    output: Path | None,
    overwrite: bool,
    what: str,
    also: Mapping[Path, Writer] | None = None,
    *,
    places: Places | None = None,
    names: Names | None = None,
) -> None:
    """Write ``table`` to ``output`` (with the files of ``also``, as one set), or show it. A CSV
    or the terminal gets the command's ``--lang`` (Chinese headers and values by default;
    ``names`` beside codes); ``places`` (where its rows are) lets ``output`` be a GeoPackage or
    a shapefile, which keep the library's column names."""
    files = dict(also or {})
    shown = bureau_table(table, _lang(ctx), names=names)
    if output:
        files.update(table_files(table, output, places, encoding=ctx.meta.get(ENCODING_KEY, "utf-8"), shown=shown))
    if files:
        write_files(files, overwrite=overwrite)
    for path in files:
        if path not in (output_parts(output) if output else ()):
            _log(ctx, f"wrote {path}")
    if output:
        _log(ctx, f"wrote {len(table)} {what} to {output}")
    else:
        echo(format_table(shown), lines=True)


def _lang(ctx: click.Context) -> str:
    """The command's ``--lang`` (``zh`` for a command without the option)."""
    return ctx.params.get("lang") or "zh"
