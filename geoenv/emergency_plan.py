"""One river, one plan, one map (一河一策一图): every risk source on a river and its tributaries
× every sensitive receptor downstream of it, with the network distance and the arrival time
of a spill, within a number of hours.

Risk sources are facilities of the kinds asked (:data:`EMERGENCY_KINDS` by default) placed on
the river's reaches (:func:`~geoenv.network.navigate.river_reaches`: the river and everything
upstream of its lowest reach). Receptors (:data:`RECEPTOR_KINDS`) are drinking-water sources,
national (国考) sections and the border crossings of :func:`geoenv.crossings`: a crossing to or
from :data:`~geoenv.borders.OUTSIDE` (区域外, beyond the counties layer) is a province border on
the embedded data, any other a county border. Downstream may leave the river (the 汾河 flows
into the 黄河): receptors there count. Each source is a spill drill (:func:`geoenv.tracing.impact`,
followed for the hours), its receptors taken from the drill's table.

Examples
--------
>>> import geoenv
>>> from geoenv import emergency
>>> plan = emergency(geoenv.open_project(), river="汾河", hours=24)
>>> len(plan.sources), bool(plan.pairs["arrival_h"].le(24).all())
(23, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from geoenv.basin import Basin
from geoenv.borders import OUTSIDE
from geoenv.io.write import SheetLayout, Writer, csv_writer, safe_sheet_names, xlsx_writer
from geoenv.network.navigate import river_reaches
from geoenv.schema import FACILITY_LABELS_ZH
from geoenv.settings import DEFAULT_VELOCITY_MS
from geoenv.tables import VALUE_WORDS, Names, bureau_table, sort_natural
from geoenv.tracing import impact, reach_velocity, velocity_words

#: Facility kinds planned for by default: the ones a spill comes from.
EMERGENCY_KINDS = ("tailings_pond", "industrial_park", "outfall", "sewage_plant")
#: What a spill may reach that the plan lists.
RECEPTOR_KINDS = ("water_source", "national_section", "county_border", "province_border")
#: The kind of each receptor in a spill drill's table (:func:`geoenv.tracing.impact`).
IMPACT_KIND = {"water_source": "water_source", "national_section": "section", "county_border": "border",
               "province_border": "border"}  # fmt: skip
RECEPTOR_COLUMNS = ["kind", "id", "name", "county", "river", "lon", "lat", "reach", "measure_m"]
SOURCE_COLUMNS = ["id", "name", "kind", "county", "river", "reach_id", "lon", "lat", "reach", "measure_m"]
PAIR_COLUMNS = [
    "source", "source_name", "source_kind", "source_county", "kind", "id", "name", "county", "river",
    "distance_km", "arrival_h", "lon", "lat",
]  # fmt: skip
SUMMARY_COLUMNS = ["kind", "id", "name", "county", "river", "n_sources", "sources", "earliest_h", "earliest_source",
                   "distance_km", "lon", "lat"]  # fmt: skip
#: The files of a plan's folder besides its map.
PLAN_FILES = ("一河一策.xlsx", "一河一策汇总.csv", "一河一策明细.csv")


@dataclass
class EmergencyPlan:
    """A river's emergency plan (:func:`plan`).

    Attributes
    ----------
    river, hours, velocity_ms, river_velocity
        What was asked: the river, the hours a spill is followed, the velocity and the
        velocities by river name.
    sources
        :data:`SOURCE_COLUMNS`: the risk sources on the river, in natural order of their ids.
    pairs
        :data:`PAIR_COLUMNS`: each (source, receptor) reached within ``hours``, by source then
        arrival.
    summary
        :data:`SUMMARY_COLUMNS`: per receptor reached, how many sources reach it and which
        (``;``-joined, earliest first), the earliest arrival, its source and distance; by arrival.
    pieces
        Per source id, the river it reaches within ``hours`` as pieces of reaches (``reach,
        from_m, to_m``, measures above the reach's downstream end), for the map.
    notes
        Sources not placed on the network, and each source reaching nothing within the hours
        (how far its first receptor is).
    """

    river: str
    hours: float
    velocity_ms: float
    river_velocity: dict[str, float]
    sources: pd.DataFrame
    pairs: pd.DataFrame
    summary: pd.DataFrame
    pieces: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    own_velocities: bool = False

    @property
    def velocity_words(self) -> str:
        """The velocities as a title says them: ``流速 0.5 m/s，汾河 0.6 m/s`` (and that the
        rivers layer's own velocities win, when it has some)."""
        return velocity_words(self.velocity_ms, self.river_velocity) + (
            "（河段自带流速时以其为准）" if self.own_velocities else ""
        )


def receptors(basin: Basin, borders: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every sensitive receptor placed on the network (:data:`RECEPTOR_COLUMNS`): the
    drinking-water sources, the national sections and the border crossings ``borders``
    (:func:`geoenv.crossings`' table: ``id, upstream_unit, downstream_unit, lon, lat, reach,
    measure_m``), named ``上游 → 下游`` and given the county inside the area."""
    names = basin.net.reaches["name"].fillna("").astype(str).to_numpy()
    parts = []
    sections = basin.sections[basin.sections["level"].eq("national")]
    parts.append(sections.assign(kind="national_section", id=sections["code"].astype(str)))
    if basin.facilities is not None:
        sources = basin.facilities[basin.facilities["kind"].eq("water_source")]
        parts.append(sources.assign(kind="water_source", id=sources["id"].astype(str)))
    if borders is not None and len(borders):
        up, down = borders["upstream_unit"].astype(str), borders["downstream_unit"].astype(str)
        province = up.eq(OUTSIDE) | down.eq(OUTSIDE)
        parts.append(borders.assign(kind=np.where(province, "province_border", "county_border"),
                                    id=borders["id"].astype(str), name=up + " → " + down,
                                    county=down.where(down.ne(OUTSIDE), up)))  # fmt: skip
    table = pd.concat([p.reindex(columns=RECEPTOR_COLUMNS) for p in parts], ignore_index=True)
    table = table[table["reach"].fillna(-1).astype(int) >= 0].reset_index(drop=True)
    table["reach"] = table["reach"].astype(np.int64)
    table["river"] = names[table["reach"].to_numpy()]
    return table


def plan(
    basin: Basin,
    *,
    river: str,
    kinds: Sequence[str] = EMERGENCY_KINDS,
    hours: float = 24.0,
    velocity_ms: float = DEFAULT_VELOCITY_MS,
    river_velocity: Mapping[str, float] | None = None,
    borders: pd.DataFrame | None = None,
) -> EmergencyPlan:
    """The emergency plan of ``river`` (see the module notes).

    Parameters
    ----------
    river
        A river name of the network; its tributaries come with it.
    kinds
        Facility kinds that are risk sources.
    hours
        Follow each spill this long.
    velocity_ms, river_velocity
        Mean flow velocity, and velocities by river name; a reach's own ``velocity_ms`` wins
        (:func:`geoenv.tracing.reach_velocity`).
    borders
        Border crossings (:func:`geoenv.crossings`' table) that are receptors.

    Raises
    ------
    ParameterError
        For a river (or a name of ``river_velocity``) the network does not have, naming the
        close ones.
    """
    net = basin.net
    keep = river_reaches(net, river)
    reach_velocity(net, velocity_ms, river_velocity)  # its names and values checked before any work
    targets = receptors(basin, borders)
    facilities = basin.facilities if basin.facilities is not None else pd.DataFrame(columns=SOURCE_COLUMNS)
    of_kind = facilities[facilities["kind"].isin(kinds)]
    notes = []
    if facilities.empty:
        notes.append("no facilities register was given (--facilities): no risk source to plan for")
    lost = of_kind[of_kind["reach"] < 0]
    if len(lost):
        notes.append(f"{len(lost)} risk sources could not be placed on the network and are not in the plan: "
                     f"{'、'.join(lost['id'].astype(str) + ' ' + lost['name'].astype(str))}")  # fmt: skip
    sources = sort_natural(of_kind[of_kind["reach"].isin(keep)], ["id"])
    sources = sources.assign(river=net.reaches["name"].fillna("").astype(str).to_numpy()[sources["reach"]])
    sources = sources.reindex(columns=SOURCE_COLUMNS)
    if sources.empty and not facilities.empty:
        notes.append(f"no risk source ({'、'.join(FACILITY_LABELS_ZH.get(k, k) for k in kinds)}) lies on {river} "
                     "or its tributaries")  # fmt: skip
    parts, pieces = [], {}
    targets = targets.assign(family=targets["kind"].map(IMPACT_KIND))
    spill = partial(_reached, basin, targets, velocity_ms=velocity_ms, river_velocity=river_velocity)
    for source in sources.to_dict("records"):
        reached, pieces[str(source["id"])] = spill(str(source["id"]), hours)
        parts.append(reached.assign(source=str(source["id"]), source_name=source["name"], source_kind=source["kind"],
                                    source_county=source["county"]))  # fmt: skip
        if reached.empty:
            notes.append(_why_nothing(source, spill(str(source["id"]), None)[0], hours))
    pairs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PAIR_COLUMNS)
    pairs = pairs.reindex(columns=PAIR_COLUMNS)
    if len(pairs):
        order = sources["id"].astype(str).reset_index().set_index("id")["index"]
        pairs = pairs.assign(_order=pairs["source"].map(order))
        pairs = pairs.sort_values(["_order", "arrival_h", "distance_km", "kind", "id"], kind="stable")
        pairs = pairs.drop(columns="_order").reset_index(drop=True)
    own = "velocity_ms" in net.reaches and bool(pd.to_numeric(net.reaches["velocity_ms"], errors="coerce").gt(0).any())
    return EmergencyPlan(river, float(hours), float(velocity_ms), dict(river_velocity or {}), sources, pairs,
                         summarise(pairs), pieces, notes, own)  # fmt: skip


def _reached(
    basin: Basin,
    targets: pd.DataFrame,
    source: str,
    hours: float | None,
    *,
    velocity_ms: float,
    river_velocity: Mapping[str, float] | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``targets`` (:func:`receptors` with ``family``, their kind in a spill drill) a
    spill from the facility ``source`` reaches within ``hours`` (None: any time), with
    ``distance_km`` and ``arrival_h``, and the pieces of river it runs
    (:func:`geoenv.tracing.impact`: a drill's water source is never the facility itself)."""
    crossing = targets[targets["family"] == "border"]
    drill = impact(basin, facility=source, velocity_ms=velocity_ms, river_velocity=river_velocity, borders=crossing,
                   hours=hours)  # fmt: skip
    rows = drill.table[["kind", "id", "distance_km", "arrival_h"]].rename(columns={"kind": "family"})
    return rows.merge(targets, on=["family", "id"]).drop(columns="family"), drill.pieces


def _why_nothing(source: dict, beyond: pd.DataFrame, hours: float) -> str:
    """Why ``source`` reaches no receptor within ``hours``: how far its first one is
    (``beyond``: the receptors it reaches with no time limit, nearest first), or that it has
    none downstream."""
    what = f"{source['id']} {source['name']}"
    if beyond.empty:
        return f"{what}: no receptor downstream before the network's outlet"
    row = beyond.sort_values(["arrival_h", "distance_km"], kind="stable").iloc[0]
    kind = VALUE_WORDS["kind"].get(row["kind"], row["kind"])
    return (f"{what}: nothing within {hours:g} h; its first receptor, {kind} {row['name']} ({row['id']}), "
            f"is {row['distance_km']:.1f} km down ({row['arrival_h']:.1f} h)")  # fmt: skip


def summarise(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per receptor of ``pairs`` (:data:`SUMMARY_COLUMNS`): the sources reaching it, earliest
    first, the earliest arrival, from which source and from how far; by earliest arrival."""
    if pairs.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    first = pairs.sort_values(["arrival_h", "distance_km", "source"], kind="stable")
    keys = ["kind", "id"]
    grouped = first.groupby(keys, sort=False)
    summary = grouped[["name", "county", "river", "lon", "lat"]].first()
    summary["n_sources"] = grouped["source"].nunique()
    summary["sources"] = grouped["source"].agg(lambda s: ";".join(dict.fromkeys(s)))
    summary["earliest_h"] = grouped["arrival_h"].first()
    summary["earliest_source"] = grouped["source"].first()
    summary["distance_km"] = grouped["distance_km"].first()
    summary = summary.reset_index().sort_values(["earliest_h", "kind", "id"], kind="stable")
    return summary.reindex(columns=SUMMARY_COLUMNS).reset_index(drop=True)


def plan_files(
    plan: EmergencyPlan, folder: Path, *, names: Names | None = None, lang: str = "zh"
) -> dict[Path, Writer]:
    """The files of ``plan`` in ``folder`` (:data:`PLAN_FILES`): the workbook (the summary
    sheet first, then a sheet per risk source with its receptors in arrival order, each with a
    title row naming the river, the velocity and the hours) and the summary and all pairs as
    CSVs; for :func:`geoenv.io.write.write_files` with the map beside them."""
    scope = f"{plan.river} 一河一策（{plan.velocity_words}，{plan.hours:g} 小时内）"
    summary = _labelled(plan.summary, lang)
    sheets = {"汇总" if lang == "zh" else "summary": bureau_table(summary, lang, names=names, ratios_as_text=False)}
    titles = [f"{scope} 敏感目标汇总" + ("" if len(summary) else "：无风险源可到达的敏感目标")]
    labels = (plan.sources["id"].astype(str) + " " + plan.sources["name"].fillna("").astype(str)).tolist()
    columns = ["kind", "id", "name", "county", "distance_km", "arrival_h"]
    for name, label, source in zip(safe_sheet_names(labels, taken=list(sheets)), labels, plan.sources["id"].astype(str),
                                   strict=True):  # fmt: skip
        rows = plan.pairs.loc[plan.pairs["source"].eq(source), columns]
        sheets[name] = bureau_table(_labelled(rows, lang), lang)
        why = "" if len(rows) else f"：{plan.hours:g} 小时内无可到达的敏感目标"
        titles.append(f"{scope} 风险源 {label}{why}")
    layouts = {name: SheetLayout(title) for name, title in zip(sheets, titles, strict=True)}
    return {
        folder / PLAN_FILES[0]: xlsx_writer(sheets, layouts),
        folder / PLAN_FILES[1]: csv_writer(bureau_table(summary, lang, names=names)),
        folder / PLAN_FILES[2]: csv_writer(bureau_table(_labelled(plan.pairs, lang), lang)),
    }


def _labelled(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``table`` with its receptors as a reader knows them in Chinese tables: ``名称 (编码)``
    in one ``receptor`` column in place of ``id, name``; as it is in English."""
    if lang != "zh":
        return table
    label = table["name"].fillna("").astype(str) + " (" + table["id"].astype(str) + ")"
    at = list(table.columns).index("id")
    out = table.drop(columns=["id", "name"])
    out.insert(at, "receptor", label)
    return out
