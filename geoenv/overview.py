"""The section distribution map (国控断面分布图) and its joined tables, from a loaded project."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geoenv.assessment import assess
from geoenv.data import SAMPLE_NOTE
from geoenv.jurisdiction import river_lengths
from geoenv.maps import overview_map, render_html
from geoenv.project import Project
from geoenv.schema import FACILITY_LABELS_ZH

SECTION_COLUMNS = [
    "code", "name", "river", "level", "target_class", "class", "meets_target", "main_pollutants",
    "cwqi", "worst_items", "n_samples", "county", "city", "adcode", "admin_match", "lon", "lat",
]  # fmt: skip
FACILITY_COLUMNS = [
    "id", "name", "kind", "kind_zh", "river", "capacity", "county", "city", "adcode",
    "admin_match", "lon", "lat", "outfall_lon", "outfall_lat",
]  # fmt: skip


@dataclass
class Overview:
    """A rendered overview map and the tables behind it."""

    html: str
    sections: pd.DataFrame
    facilities: pd.DataFrame
    river_lengths: pd.DataFrame


def classify_sections(project: Project) -> pd.DataFrame:
    """Sections with their class over all the measurements given, and whether they meet target."""
    sections = project["sections"].copy()
    columns = ["class", "main_pollutants", "cwqi", "meets_target", "worst_items", "n_samples"]
    if "measurements" in project.layers:
        evaluation = assess(project, by=None)
        sections = sections.join(evaluation.sections.set_index("section")[columns], on="code")
    for column in (*columns, "river", "level", "target_class"):
        if column not in sections:
            sections[column] = None
    return sections


def build_overview(project: Project, *, title: str) -> Overview:
    """Classify sections, join everything to counties and render the map (nothing written)."""
    sections = classify_sections(project)
    facilities = project["facilities"].copy() if "facilities" in project.layers else None
    note = SAMPLE_NOTE + " · 示例数据，非官方监测数据" if project.embedded else ""
    fmap = overview_map(
        counties=project["counties"],
        rivers=project["rivers"],
        sections=sections,
        facilities=facilities,
        title=title,
        note=note,
    )
    table = sections.reindex(columns=SECTION_COLUMNS).sort_values("code", kind="stable")
    if facilities is not None:
        facilities["kind_zh"] = facilities["kind"].map(FACILITY_LABELS_ZH)
        ftable = facilities.reindex(columns=FACILITY_COLUMNS).sort_values("id", kind="stable")
    else:
        ftable = pd.DataFrame(columns=FACILITY_COLUMNS)
    lengths = river_lengths(project["rivers"], project["counties"])
    return Overview(render_html(fmap), table, ftable, lengths)
