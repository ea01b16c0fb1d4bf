"""geoenv: river networks, monitoring sections and water-quality maps for bureaus.

Open a project (the embedded Shanxi data, or your layers), then ask it questions::

    import geoenv
    project = geoenv.open_project(sections="断面.xlsx", measurements="监测数据.csv")
    geoenv.trace(project, "汾河孝义断面", period="2024")

The names below are imported when first used, so that ``import geoenv.network`` (what
``geoenv network navigate`` needs) does not pay for the answers, the maps and folium.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: Each public name and the module that defines it.
_PUBLIC = {
    "open_project": "geoenv.project", "Project": "geoenv.project",
    "Settings": "geoenv.settings", "NetworkSettings": "geoenv.settings", "PlacementSettings": "geoenv.settings",
    "LoadingSettings": "geoenv.settings", "ParameterError": "geoenv.settings",
    "GeoenvError": "geoenv.errors", "InputError": "geoenv.errors",
    "trace": "geoenv.answers", "impact": "geoenv.answers", "relations": "geoenv.answers",
    "crossings": "geoenv.answers", "report": "geoenv.answers", "period_of": "geoenv.answers",
    "build_atlas": "geoenv.maps", "demo_maps": "geoenv.maps", "trace_map": "geoenv.maps", "impact_map": "geoenv.maps",
    "publish_html": "geoenv.maps", "MapStyle": "geoenv.maps",
    "dossier_pages": "geoenv.maps",
    "compensation": "geoenv.answers", "emergency": "geoenv.answers", "dossier": "geoenv.answers",
}  # fmt: skip

__all__ = [
    "GeoenvError", "InputError", "LoadingSettings", "MapStyle", "NetworkSettings", "ParameterError",
    "PlacementSettings", "Project", "Settings", "__version__", "build_atlas", "compensation", "crossings",
    "demo_maps", "dossier", "dossier_pages", "emergency", "impact", "impact_map", "open_project", "period_of",
    "publish_html", "relations", "report", "trace", "trace_map",
]  # fmt: skip

if TYPE_CHECKING:
    from geoenv.answers import (
        compensation,
        crossings,
        dossier,
        emergency,
        impact,
        period_of,
        relations,
        report,
        trace,
    )
    from geoenv.errors import GeoenvError, InputError
    from geoenv.maps import MapStyle, build_atlas, demo_maps, dossier_pages, impact_map, publish_html, trace_map
    from geoenv.project import Project, open_project
    from geoenv.settings import LoadingSettings, NetworkSettings, ParameterError, PlacementSettings, Settings


#: The subpackages a user reaches as ``geoenv.datasets.get_path(…)`` after ``import geoenv``.
_SUBPACKAGES = ("datasets", "io", "maps", "network", "quality")


def __getattr__(name: str) -> object:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"geoenv.{name}")
    else:
        raise AttributeError(f"module 'geoenv' has no attribute {name!r}")
    globals()[name] = value  # once: the next lookup finds it
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_SUBPACKAGES})
