"""The optional project file ``geoenv.toml``: layer paths, column mappings, CRS, tolerances.

Example::

    [sections]
    path = "断面名录.xlsx"
    layer = "国考断面"          # sheet or GeoPackage layer
    crs = "gcj02"               # coordinates picked on a Gaode map
    columns = { code = "站点编号", target_class = "2025年目标" }

    [counties]
    path = "区县.shp"

    [settings]
    near_border_m = 100

Relative paths are read from the folder holding the config file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from geoenv.errors import InputError, Problem
from geoenv.io import LayerSource
from geoenv.schema import LAYER_KINDS, SCHEMAS

SETTINGS = {"near_border_m": float}


@dataclass
class Config:
    """Layer sources and settings read from a config file."""

    sources: dict[str, LayerSource] = field(default_factory=dict)
    settings: dict[str, float] = field(default_factory=dict)


def read_config(path: Path) -> Config:
    """Read ``geoenv.toml``; unknown sections or keys are errors, so typos do not pass silently."""
    path = Path(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(Problem("no such config file", file=str(path))) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(Problem(f"not valid TOML: {exc}", file=str(path))) from exc
    config = Config()
    problems = []
    for key, value in table.items():
        if key == "settings":
            for name, setting in value.items():
                if name not in SETTINGS:
                    problems.append(Problem(f"unknown setting {name!r}", file=str(path), where="[settings]"))
                else:
                    config.settings[name] = SETTINGS[name](setting)
        elif key in LAYER_KINDS:
            unknown = set(value) - {"path", "layer", "crs", "columns"}
            known = set(SCHEMAS[key].required + SCHEMAS[key].optional)
            unknown |= {f"columns.{c}" for c in value.get("columns", {}) if c not in known}
            if unknown or "path" not in value:
                problems.append(
                    Problem(
                        f"unknown keys {sorted(unknown)}" if unknown else "needs a path",
                        file=str(path),
                        where=f"[{key}]",
                    )
                )
                continue
            config.sources[key] = LayerSource(
                path=(path.parent / value["path"]),
                layer=value.get("layer"),
                columns=dict(value.get("columns", {})),
                crs=value.get("crs"),
            )
        else:
            expected = ", ".join((*LAYER_KINDS, "settings"))
            problems.append(Problem(f"unknown section [{key}] (expected {expected})", file=str(path)))
    if problems:
        raise InputError(problems)
    return config
