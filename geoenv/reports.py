"""The tables a bureau keeps, for one period: section and facility registers with water quality
and relations, per-county and per-river summaries, and the exceedances with their likeliest
upstream sources. Written as CSVs and one XLSX workbook (a sheet each)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geoenv.assessment import group_table
from geoenv.basin import Basin
from geoenv.io.write import csv_writer, write_files, xlsx_writer
from geoenv.project import Project
from geoenv.quality import Period
from geoenv.schema import FACILITY_LABELS_ZH, LEVEL_LABELS_ZH
from geoenv.tracing import trace

TOP_CANDIDATES = 3
SHEETS = {
    "sections": "断面名录",
    "facilities": "设施名录",
    "counties": "区县汇总",
    "rivers": "河流汇总",
    "exceedances": "超标断面",
}
HEADERS_ZH = {
    "code": "断面编码", "name": "名称", "county": "区县", "city": "地市", "river": "河流", "level": "级别",
    "target": "水质目标", "class": "水质类别", "description": "水质状况", "meets_target": "是否达标",
    "main_pollutants": "主要污染指标", "exceeding_items": "超标指标(超标倍数)", "cwqi": "CWQI",
    "upstream_codes": "上游断面", "downstream_code": "下游断面", "distance_km": "距离(km)", "period": "时段",
    "id": "编号", "kind": "类型", "capacity": "规模", "downstream_section": "下游断面",
    "group": "名称", "n_sections": "断面数", "good_ratio": "优良比例", "worse_than_v_ratio": "劣V比例",
    "rating": "水质状况", "rated_by": "评价方式", "class_of_means": "均值类别", "cwqi_rank": "CWQI排名",
    "candidates": "溯源排查对象(前三)", "no_sample": "未采样(月)", "code_generated": "编码由名称生成",
    "id_generated": "编号由名称生成",
}  # fmt: skip


def bureau_tables(project: Project, period: Period) -> dict[str, pd.DataFrame]:
    """The report's tables (English column names), by :data:`SHEETS` key."""
    basin = project.basin
    evaluation = project.quality(period)
    status = project.status(period)
    quality = evaluation.sections.set_index("section")
    relations = project.relations
    rel = relations.sections.set_index("code")
    register = basin.sections.set_index(basin.sections["code"].astype(str))
    generated = _generated(register, "code")
    sections = pd.DataFrame(
        {
            "code": register.index,
            "name": register["name"],
            "code_generated": generated.to_numpy(),
            "county": register.get("county"),
            "city": register.get("city"),
            "river": register.get("river"),
            "level": register.get("level", pd.Series(dtype=object)).map(LEVEL_LABELS_ZH),
            "period": period.label,
        }
    ).reset_index(drop=True)
    quality_columns = ["target", "class", "description", "meets_target", "main_pollutants", "exceeding_items"]
    for column in (*quality_columns, "cwqi", "no_sample"):
        sections[column] = sections["code"].map(quality[column]) if column in quality else None
    for column in ("upstream_codes", "downstream_code", "distance_km"):
        sections[column] = sections["code"].map(rel[column])
    label = _labels(register["name"], register.index.to_series(), generated)
    for column in ("upstream_codes", "downstream_code"):
        sections[column] = sections[column].map(lambda codes: _named(codes, label))

    facilities = pd.DataFrame()
    if basin.facilities is not None:
        f = basin.facilities
        down = relations.facilities.set_index("id")
        facilities = pd.DataFrame(
            {
                "kind": f["kind"].map(FACILITY_LABELS_ZH),
                "id": f["id"].astype(str),
                "name": f["name"],
                "id_generated": _generated(f, "id").to_numpy(),
                "county": f.get("county"),
                "river": f.get("river"),
                "capacity": f.get("capacity"),
            }
        )
        facilities["downstream_section"] = (
            facilities["id"].map(down["downstream_code"]).map(lambda codes: _named(codes, label))
        )
        facilities["distance_km"] = facilities["id"].map(down["distance_km"])
        order = {k: i for i, k in enumerate(FACILITY_LABELS_ZH.values())}
        facilities = facilities.sort_values(["kind", "id"], key=lambda c: c.map(order) if c.name == "kind" else c)

    exceeding = sections[sections["meets_target"].eq(False)].copy()
    exceeding["candidates"] = [
        _top(basin, code, status) if basin.sections.loc[basin.sections["code"] == code, "reach"].iloc[0] >= 0 else ""
        for code in exceeding["code"]
    ]
    columns = ["code", "name", "county", "river", "target", "class", "exceeding_items", "main_pollutants", "candidates"]
    return {
        "sections": sections,
        "facilities": facilities.reset_index(drop=True),
        "counties": group_table(project, evaluation, "county"),
        "rivers": group_table(project, evaluation, "river"),
        "exceedances": exceeding[columns].reset_index(drop=True),
    }


def _generated(frame: pd.DataFrame, column: str) -> pd.Series:
    """Whether each row's code (``column``) was generated from its name (False when the layer
    does not say)."""
    flag = f"{column}_generated"
    return frame[flag].fillna(False).astype(bool) if flag in frame else pd.Series(False, index=frame.index)


def _labels(names: pd.Series, codes: pd.Series, generated: pd.Series) -> dict[str, str]:
    """Code → how a reader knows the section or facility: its name, with its code in brackets
    when the register gave one (``汾河静乐断面 (SX007)``; ``汾河静乐断面`` for a generated
    ``name-…`` code, which says nothing more than the name)."""
    name = names.fillna("").astype(str).str.strip().to_numpy()
    code = codes.astype(str).to_numpy()
    keep = generated.to_numpy() & (name != "")
    shown = [n if g else (f"{n} ({c})" if n else c) for n, c, g in zip(name, code, keep, strict=True)]
    return dict(zip(code, shown, strict=True))


def _named(codes: object, label: dict[str, str]) -> object:
    """``;``-joined codes (as :func:`~geoenv.relate.relate` writes them) as labels, joined by ``；``."""
    if not isinstance(codes, str) or not codes:
        return codes
    return "；".join(label.get(c, c) for c in codes.split(";"))


def _top(basin: Basin, code: str, status: pd.DataFrame) -> str:
    found = trace(basin, code, status=status).table
    found = found[found["kind"] != "section"].head(TOP_CANDIDATES)
    if basin.facilities is not None:
        f = basin.facilities
        label = _labels(f["name"], f["id"].astype(str), _generated(f, "id"))
    else:
        label = {}
    return "；".join(
        f"{label.get(str(r.id), f'{r.name} ({r.id})')} ({r.distance_km:.1f} km)" for r in found.itertuples()
    )


def write_report(tables: dict[str, pd.DataFrame], folder: Path, *, lang: str = "zh", overwrite: bool) -> list[Path]:
    """One CSV per table and ``report.xlsx`` with a sheet each, written as one set into
    ``folder`` (created when missing); Chinese headers with ``zh``."""
    shown = {k: t.rename(columns=HEADERS_ZH) if lang == "zh" else t for k, t in tables.items()}
    files = {folder / f"{key}.csv": csv_writer(table) for key, table in shown.items()}
    files[folder / "report.xlsx"] = xlsx_writer({SHEETS[k] if lang == "zh" else k: t for k, t in shown.items()})
    return write_files(files, overwrite=overwrite, create_folders=True)
