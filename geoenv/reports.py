"""The tables a bureau keeps, for one period: section and facility registers with water quality
and relations, per-county and per-river summaries, and the exceedances with their likeliest
upstream sources, the 同比 of each group against the same period a year before, and the class
of each section in each month. Written as CSVs and one XLSX workbook (a sheet each)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geoenv.assessment import group_table
from geoenv.basin import Basin
from geoenv.errors import InputError
from geoenv.io.write import SheetLayout, csv_writer, write_files, xlsx_writer
from geoenv.project import Project
from geoenv.quality import Period
from geoenv.schema import FACILITY_LABELS_ZH
from geoenv.tables import (
    RATIOS,
    Names,
    bureau_table,
    header,
    names_of,
    natural_key,
    sort_natural,
    upstream_first,
)
from geoenv.tracing import trace

TOP_CANDIDATES = 3
SHEETS = {
    "sections": "断面名录",
    "facilities": "设施名录",
    "counties": "区县汇总",
    "rivers": "河流汇总",
    "exceedances": "超标断面",
    "year_on_year": "同比",
    "monthly": "月度",
}
REPORT_TITLE = "地表水环境质量报表"
#: Number formats of the workbook, by English column name (ratios are :data:`geoenv.tables.RATIOS`).
NUMBER_FORMATS = {"cwqi": "0.00", "cwqi_prev": "0.00", "distance_km": "0.0"}
PERCENT = "0.0%"
YEAR_ON_YEAR_GROUPS = ("county", "river", "all")


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
            "level": register.get("level"),
            "period": period.label,
        }
    ).reset_index(drop=True)
    quality_columns = ["target", "class", "description", "meets_target", "main_pollutants", "exceeding_items"]
    for column in (*quality_columns, "cwqi", "no_sample"):
        sections[column] = sections["code"].map(quality[column]) if column in quality else None
    for column in ("upstream_codes", "downstream_code", "distance_km"):
        sections[column] = sections["code"].map(rel[column])
    order = upstream_first(basin, sections["code"])
    sections = sections.iloc[order].reset_index(drop=True)

    facilities = pd.DataFrame()
    if basin.facilities is not None:
        f = basin.facilities
        down = relations.facilities.set_index("id")
        facilities = pd.DataFrame(
            {
                "kind": f["kind"],
                "id": f["id"].astype(str),
                "name": f["name"],
                "id_generated": _generated(f, "id").to_numpy(),
                "county": f.get("county"),
                "river": f.get("river"),
                "capacity": _whole(f["capacity"]) if "capacity" in f else None,
                "capacity_unit": f.get("capacity_unit"),
            }
        )
        facilities["downstream_section"] = facilities["id"].map(down["downstream_code"])
        facilities["distance_km"] = facilities["id"].map(down["distance_km"])
        kinds = {k: i for i, k in enumerate(FACILITY_LABELS_ZH)}
        facilities = facilities.sort_values(
            ["kind", "id"], key=lambda c: c.map(kinds) if c.name == "kind" else natural_key(c)
        )

    exceeding = sections[sections["meets_target"].eq(False)].copy()
    exceeding["candidates"] = [
        _top(basin, code, status) if basin.sections.loc[basin.sections["code"] == code, "reach"].iloc[0] >= 0 else ""
        for code in exceeding["code"]
    ]
    columns = ["code", "name", "county", "river", "period", "target", "class", "exceeding_items", "main_pollutants",
               "candidates"]  # fmt: skip
    return {
        "sections": sections,
        "facilities": facilities.reset_index(drop=True),
        "counties": group_table(project, evaluation, "county"),
        "rivers": group_table(project, evaluation, "river"),
        "exceedances": exceeding[columns].reset_index(drop=True),
        "year_on_year": year_on_year(project, period),
        "monthly": monthly_classes(project, period, sections[["code", "name", "river", "county"]]),
    }


def year_on_year(project: Project, period: Period) -> pd.DataFrame:
    """同比 per group (each county, each river, all sections): 优良比例, 劣V比例 and CWQI of
    ``period`` and of the same period a year before (``_prev``, blank without its
    measurements), and the change: of the ratios the difference (percentage points), of CWQI
    the relative change (current − base) / base, as 《城市地表水环境质量排名技术规定》 has it."""
    columns = ["group", "good_ratio", "worse_than_v_ratio", "cwqi"]
    base = period.year_before()
    now = project.quality(period)
    try:
        before = project.quality(base)
    except InputError:  # nothing measured a year before
        before = None
    parts = []
    for by in YEAR_ON_YEAR_GROUPS:
        current = group_table(project, now, by)[columns]
        earlier = group_table(project, before, by)[columns] if before is not None else pd.DataFrame(columns=columns)
        table = current.merge(earlier, on="group", how="left", suffixes=("", "_prev"))
        parts.append(sort_natural(table, ["group"]).assign(scope=by))
    table = pd.concat(parts, ignore_index=True)
    for ratio in ("good_ratio", "worse_than_v_ratio"):
        table[f"{ratio}_change"] = (table[ratio] - table[f"{ratio}_prev"].astype(float)).round(4)
    prev = table["cwqi_prev"].astype(float)
    table["cwqi_change"] = ((table["cwqi"] - prev) / prev).round(4)
    table["period"], table["base_period"] = period.label, base.label
    return table[["scope", "group", "period", "base_period", "good_ratio", "good_ratio_prev", "good_ratio_change",
                  "worse_than_v_ratio", "worse_than_v_ratio_prev", "worse_than_v_ratio_change", "cwqi",
                  "cwqi_prev", "cwqi_change"]]  # fmt: skip


def monthly_classes(project: Project, period: Period, sections: pd.DataFrame) -> pd.DataFrame:
    """月度: ``sections`` (``code``, in their order) with the class of each month of ``period``
    (one column per month, ``2024-01`` …); a month without a class but with a no-sample
    remark says it (``断流``, ``冰封``, as the month's ``no_sample`` has them); blank where
    nothing is known."""
    months = pd.period_range(period.start, period.end, freq="M").strftime("%Y-%m").tolist()
    evaluated = project.quality(by="month").sections
    evaluated = evaluated[evaluated["period"].isin(months)]
    remark = evaluated["no_sample"].astype(object).str.replace(r" \d+", "", regex=True)
    evaluated = evaluated.assign(shown=evaluated["class"].astype(object).where(evaluated["class"].notna(), remark))
    classes = evaluated.pivot(index="section", columns="period", values="shown").reindex(columns=months)
    return sections.join(classes, on="code").reset_index(drop=True)


def _whole(values: pd.Series) -> pd.Series:
    """``values`` as integers (``Int64``, 90000 not 90000.0) when all of them are whole numbers,
    else as they are."""
    number = pd.to_numeric(values, errors="coerce")
    whole = number.notna().any() and values.notna().eq(number.notna()).all() and (number.dropna() % 1 == 0).all()
    return number.astype("Int64") if whole else values


def _generated(frame: pd.DataFrame, column: str) -> pd.Series:
    """Whether each row's code (``column``) was generated from its name (False when the layer
    does not say)."""
    flag = f"{column}_generated"
    return frame[flag].fillna(False).astype(bool) if flag in frame else pd.Series(False, index=frame.index)


def _top(basin: Basin, code: str, status: pd.DataFrame) -> str:
    found = trace(basin, code, status=status).table
    found = found[found["kind"] != "section"].head(TOP_CANDIDATES)
    label = names_of((basin.facilities, "id")).label
    return "；".join(
        f"{label.get(str(r.id), f'{r.name} ({r.id})')} ({r.distance_km:.1f} km)" for r in found.itertuples()
    )


def write_report(
    tables: dict[str, pd.DataFrame],
    folder: Path,
    *,
    period: Period,
    names: Names | None = None,
    lang: str = "zh",
    overwrite: bool,
) -> list[Path]:
    """One CSV per table and ``report.xlsx`` with a sheet each, written as one set into
    ``folder`` (created when missing), as :func:`geoenv.tables.bureau_table` gives them in
    ``lang`` (``names`` beside codes). Each sheet has a title row with the period
    (``2024年 地表水环境质量报表 断面名录``), its header frozen below it, ratios in a percent
    format, CWQI with two decimals and distances with one."""
    files = {folder / f"{key}.csv": csv_writer(bureau_table(t, lang, names=names)) for key, t in tables.items()}
    sheets, layouts = {}, {}
    for key, table in tables.items():
        sheet = SHEETS[key] if lang == "zh" else key
        sheets[sheet] = bureau_table(table, lang, names=names, ratios_as_text=False)
        formats = {header(c, lang): PERCENT if c in RATIOS else NUMBER_FORMATS[c] for c in table.columns
                   if c in RATIOS or c in NUMBER_FORMATS}  # fmt: skip
        title = f"{period_title(period)} {REPORT_TITLE} {SHEETS[key]}" if lang == "zh" else f"{period.label} {key}"
        layouts[sheet] = SheetLayout(title, formats)
    files[folder / "report.xlsx"] = xlsx_writer(sheets, layouts)
    return write_files(files, overwrite=overwrite, create_folders=True)


def period_title(period: Period) -> str:
    """A period as a title says it: 2024年, 2024年第2季度, 2024年6月, or the range as it is."""
    year = period.start.year
    return {"year": f"{year}年", "quarter": f"{year}年第{period.start.quarter}季度",
            "month": f"{year}年{period.start.month}月"}.get(period.kind, period.label)  # fmt: skip
