"""Maps: content built once per period and filtered per page (:mod:`geoenv.maps.atlas`), and
publishing: offline single-file HTML drawn with Folium and a few elements of our own."""

from geoenv.maps.atlas import Atlas, Demo, build_atlas, demo_maps, impact_map, only_area, trace_map
from geoenv.maps.dossier import dossier_pages
from geoenv.maps.publish import (
    BASEMAPS,
    FACILITY_SYMBOLS,
    Highlight,
    MapContent,
    MapStyle,
    escape,
    publish_html,
    publish_map,
)
from geoenv.maps.render import MapError, browser, render_html, screenshot

__all__ = [
    "BASEMAPS", "FACILITY_SYMBOLS", "Atlas", "Demo", "Highlight", "MapContent", "MapError", "MapStyle", "browser",
    "build_atlas", "demo_maps", "dossier_pages", "escape", "impact_map", "only_area", "publish_html", "publish_map",
    "render_html", "screenshot", "trace_map",
]  # fmt: skip
