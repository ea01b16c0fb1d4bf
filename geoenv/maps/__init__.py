"""Publishing maps: offline single-file HTML drawn with Folium and a few elements of our own."""

from geoenv.maps.publish import BASEMAPS, FACILITY_SYMBOLS, Highlight, MapContent, MapStyle, escape, publish_map
from geoenv.maps.render import MapError, browser, render_html, screenshot

__all__ = [
    "BASEMAPS", "FACILITY_SYMBOLS", "Highlight", "MapContent", "MapError", "MapStyle", "browser", "escape",
    "publish_map", "render_html", "screenshot",
]  # fmt: skip
