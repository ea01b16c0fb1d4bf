"""A file per facility (尾矿库一库一档): its register data, where it lies on the river network,
the nearest monitoring sections up and down with their class in a period, and what a spill
from it reaches downstream within some hours.

The content only: :mod:`geoenv.maps.dossier` draws it as print-friendly HTML pages.

Examples
--------
>>> import geoenv
>>> result = geoenv.dossier(geoenv.open_project(), kind="tailings_pond")
>>> len(result.dossiers), result.dossiers[2].facility["id"], result.dossiers[2].why
(5, 'F042', '')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoenv.basin import Basin, distances_up
from geoenv.errors import InputError
from geoenv.io.write import unique_filenames
from geoenv.network.navigate import upstream
from geoenv.quality import Period
from geoenv.relate import Relations
from geoenv.schema import FACILITY_LABELS_ZH, SCHEMAS
from geoenv.tables import sort_natural
from geoenv.tracing import Impact, velocity_words

#: The register columns a page lists (those the layer has), in this order.
_FACILITY = SCHEMAS["facilities"]
REGISTER_COLUMNS = tuple(c for c in dict.fromkeys(("id", *_FACILITY.required, *_FACILITY.optional))
                         if c not in ("coord_source", "row_number"))  # fmt: skip
#: The columns of :attr:`Dossier.sections` and :attr:`Dossier.receptors` (class for sections).
SECTION_COLUMNS = ["direction", "code", "name", "river", "distance_km", "class", "target", "meets_target"]
RECEPTOR_COLUMNS = ["kind", "id", "name", "county", "distance_km", "arrival_h", "class", "meets_target"]
#: Why a page lists no receptor: the facility lies on no reach, nothing registered is reached
#: within the hours (something is, later), or nothing registered lies downstream at all.
WHY = ("not_placed", "beyond_hours", "nothing_downstream")

Spill = Callable[[str, float | None], Impact]
"""A spill drill from a facility (by id), followed ``distance_km`` down (None: to the outlet)."""


@dataclass(frozen=True)
class Dossier:
    """One facility's file.

    Attributes
    ----------
    facility
        Its register values (:data:`REGISTER_COLUMNS` it has, ``capacity_unit`` too).
    point
        Where the register places it (WGS84 point).
    page
        The page's file name: safe and unique in the folder, whatever the id holds.
    river, reach_id, measure_km, outlet_km, offset_m
        Where it enters the network: the reach's river name and id, the measure above the
        reach's downstream end and the distance down to the outlet (km), the distance of the
        facility (its outfall) from the river; ``reach_id`` "" when it is not placed.
    sections
        :data:`SECTION_COLUMNS`: the nearest section downstream (the first on the main path)
        and the nearest upstream (each branch's first above it), ``direction`` "upstream" or
        "downstream"; class, target and compliance in the period.
    receptors
        :data:`RECEPTOR_COLUMNS`: sections, drinking-water sources and borders reached within
        the hours, first first.
    reached
        The pieces of reaches (``reach, from_m, to_m``) the spill runs within the hours.
    why
        "" when receptors are listed, else one of :data:`WHY`.
    later
        With ``why == "beyond_hours"``: the first receptor reached after the hours (kind, id,
        name, distance_km, arrival_h), else None.
    """

    facility: pd.Series
    point: object
    page: str
    river: str
    reach_id: str
    measure_km: float
    outlet_km: float
    offset_m: float
    sections: pd.DataFrame
    receptors: pd.DataFrame
    reached: pd.DataFrame
    why: str = ""
    later: pd.Series | None = None


@dataclass(frozen=True)
class Dossiers:
    """The files of every facility of a kind, and the list of them (``index``).

    ``index`` has per facility ``id, name, county, river, risk_level, first_receptor`` (kind
    and name of the first receptor, "" for none), ``first_arrival_h`` and ``page``.
    """

    kind: str
    hours: float
    velocity_ms: float
    river_velocity: dict[str, float]
    period: Period | None
    dossiers: list[Dossier]
    index: pd.DataFrame

    @property
    def velocity_words(self) -> str:
        """The velocities as a page says them: ``流速 0.5 m/s，汾河 0.6 m/s``."""
        return velocity_words(self.velocity_ms, self.river_velocity)


def facilities_of_kind(basin: Basin, kind: str) -> pd.DataFrame:
    """The facilities of ``kind`` (placed on the network or not) in natural order of id (then
    name), with ``_row``, their position in the register; an :class:`InputError` naming the
    kinds present when there is none."""
    facilities = basin.facilities
    if facilities is None:
        raise InputError("no facilities layer given (--facilities)")
    chosen = facilities[facilities["kind"] == kind]
    if chosen.empty:
        counts = facilities["kind"].value_counts().sort_index()
        present = ", ".join(f"{k} ({FACILITY_LABELS_ZH.get(k, k)}) {n}" for k, n in counts.items()) or "none"
        raise InputError(f"no facility of kind {kind} ({FACILITY_LABELS_ZH.get(kind, kind)}) in the register; "
                         f"kinds present: {present}")  # fmt: skip
    return sort_natural(chosen.assign(_row=np.arange(len(facilities))[facilities["kind"] == kind]), ["id", "name"])


def page_names(facility_ids: list[object]) -> list[str]:
    """The page of each facility, named by its id so that it keeps its name when the register
    changes: ``F042.html``, safe and distinct (:func:`geoenv.io.write.unique_filenames`: ``../x``
    → ``_x.html``, ``CON`` → ``_CON.html``, ``index`` → ``index-2.html``, the list being
    ``index.html``)."""
    return unique_filenames(facility_ids, suffix=".html", taken=["index.html"])


def build_dossiers(
    basin: Basin,
    relations: Relations,
    spill: Spill,
    *,
    kind: str,
    hours: float,
    velocity_ms: float,
    river_velocity: Mapping[str, float] | None = None,
    status: pd.DataFrame | None,
    period: Period | None,
) -> Dossiers:
    """The file of every facility of ``kind`` in ``basin``.

    Parameters
    ----------
    relations
        The basin's relations (each facility's next section downstream, each section's).
    spill
        Drills a spill from a facility for some hours (None: all the way down):
        ``spill(id, hours)`` (:func:`geoenv.answers.impact` at the velocities).
    hours, velocity_ms, river_velocity
        Receptors are those reached within ``hours``; the stretch drawn is what the water runs
        in that time at the same velocities (:func:`geoenv.tracing.reach_velocity`).
    status
        Per section code: ``class``, ``target``, ``meets_target`` in ``period`` (None without
        measurements).
    """
    chosen = facilities_of_kind(basin, kind)
    pages = page_names(chosen["id"].tolist())
    dossiers = [_dossier(basin, relations, spill, row, page, hours=hours, status=status)
                for page, (_, row) in zip(pages, chosen.iterrows(), strict=True)]  # fmt: skip
    index = pd.DataFrame(
        {
            "id": [str(d.facility["id"]) for d in dossiers],
            "name": [str(d.facility["name"]) for d in dossiers],
            "county": [d.facility.get("county", "") for d in dossiers],
            "river": [d.river for d in dossiers],
            "risk_level": [d.facility.get("risk_level", "") for d in dossiers],
            "first_receptor": [_first(d) for d in dossiers],
            "first_arrival_h": [d.receptors["arrival_h"].iloc[0] if len(d.receptors) else np.nan for d in dossiers],
            "page": [d.page for d in dossiers],
        }
    )
    return Dossiers(kind, hours, velocity_ms, dict(river_velocity or {}), period, dossiers, index)


def _first(dossier: Dossier) -> str:
    if dossier.receptors.empty:
        return ""
    first = dossier.receptors.iloc[0]
    return f"{first['name']} ({first['id']})" if first["kind"] == "section" else str(first["name"])


def _dossier(
    basin: Basin,
    relations: Relations,
    spill: Spill,
    row: pd.Series,
    page: str,
    *,
    hours: float,
    status: pd.DataFrame | None,
) -> Dossier:
    net = basin.net
    facility = row[[c for c in (*REGISTER_COLUMNS, "capacity_unit") if c in row.index]]
    reach = int(row["reach"])
    empty_sections = pd.DataFrame(columns=SECTION_COLUMNS)
    if reach < 0:
        return Dossier(facility, row.geometry, page, "", "", np.nan, np.nan, np.nan, empty_sections,
                       pd.DataFrame(columns=RECEPTOR_COLUMNS), pd.DataFrame(columns=["reach", "from_m", "to_m"]),
                       why="not_placed")  # fmt: skip
    measure = float(row["measure_m"])
    name = net.reaches["name"].iloc[reach]
    river = "" if pd.isna(name) else str(name)
    outlet_km = round((net.pathlength[reach] + measure) / 1000, 3)
    sections = _nearest_sections(basin, relations, int(row["_row"]), reach, measure, status)
    drill = spill(str(row["id"]), hours)
    receptors = _with_class(drill.table, status, "id").reindex(columns=RECEPTOR_COLUMNS).reset_index(drop=True)
    why, later = "", None
    if receptors.empty:
        table = spill(str(row["id"]), None).table
        why = "nothing_downstream" if table.empty else "beyond_hours"
        later = None if table.empty else table.iloc[0][["kind", "id", "name", "distance_km", "arrival_h"]]
    return Dossier(facility, row.geometry, page, river, str(row["reach_id"]), round(measure / 1000, 3), outlet_km,
                   round(float(row["offset_m"]), 1), sections, receptors, drill.pieces, why, later)  # fmt: skip


def _nearest_sections(
    basin: Basin, relations: Relations, position: int, reach: int, measure: float, status: pd.DataFrame | None
) -> pd.DataFrame:
    """The next section downstream of the facility at ``position`` of the register and the
    nearest upstream ones: those above it whose own next section downstream is the facility's
    (nothing registered lies between them and it)."""
    sections = basin.sections
    codes = sections["code"].astype(str)
    down = relations.facilities.iloc[position]
    below = str(down["downstream_code"]) if isinstance(down["downstream_code"], str) else ""
    members, dist = upstream(basin.net, reach)
    up = distances_up(basin.net, reach, measure, members, dist, sections)
    next_of = codes.map(relations.sections.set_index("code")["downstream_code"]).fillna("")
    above = np.isfinite(up) & (next_of == below).to_numpy() & (codes != below).to_numpy()
    frame = pd.concat(
        [
            sections[above].assign(direction="upstream", distance_km=np.round(up[above] / 1000, 3)),
            sections[codes == below].assign(direction="downstream", distance_km=down["distance_km"]),
        ]
    ).sort_values(["direction", "distance_km"], ascending=[False, True], kind="stable")
    return _with_class(frame, status, "code").reindex(columns=SECTION_COLUMNS).reset_index(drop=True)


def _with_class(frame: pd.DataFrame, status: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """``frame`` with the ``class``, ``target`` and ``meets_target`` of its sections (by
    ``key``) in the period; other rows (water sources, borders) and no status: None."""
    out = frame.copy()
    keys = out[key].astype(str)
    is_section = out["kind"].eq("section") if "kind" in out else pd.Series(True, index=out.index)
    for column in ("class", "target", "meets_target"):
        values = keys.map(status[column]) if status is not None else pd.Series(None, index=out.index, dtype=object)
        out[column] = values.astype(object).where(is_section & values.notna(), None)
    return out
