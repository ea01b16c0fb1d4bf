"""A city bureau's registers as bureaus keep them, made from the embedded sample.

The same sections, facilities and measurements as ``data/sample``, laid out the way the
issue's trial found them: a workbook whose first sheet is a note (说明), a title row merged
across the columns, the header on row 3, 所在河流 merged down each river's rows, a blank row,
footnotes and 填表人/审核 lines under the table, 省考 sections without 断面编码, 度分秒
coordinates; a GBK facilities CSV with 序号 and no id, a 坐标来源 column marking the rows
picked on Gaode (GCJ-02) and capacities in 万吨/日; a monthly results workbook in wide form
under a title row, with a units row and a 检出限 row, sections named by name, 未检出 cells and
two 断流 months.

Every function returns what the file should read back as, so a test can compare.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from geoenv import crs as crs_
from geoenv import datasets

#: The section whose two months are written 断流 (no water, no sample), and those months.
DRY_SECTION = "SX030"
DRY_MONTHS = ("2024-01-01", "2024-02-01")
#: Every third facility's coordinates were picked on Gaode maps (GCJ-02).
GAODE_EVERY = 3


def sample(kind: str) -> pd.DataFrame:
    """An embedded sample register as text (facilities are GBK)."""
    encoding = "gb18030" if kind == "facilities" else "utf-8-sig"
    return pd.read_csv(datasets.get_path(datasets.for_kind(kind)), dtype=str, keep_default_na=False, encoding=encoding)


def _dms(value: float) -> str:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return f"{degrees}°{minutes}′{seconds:.2f}″"


@dataclass(frozen=True)
class Sections:
    """What the sections workbook holds: the sample rows in the workbook's order, with the
    Excel row of each."""

    path: Path
    rows: pd.DataFrame
    excel_rows: list[int]
    notes: int


def sections_workbook(path: Path) -> Sections:
    """The sample sections in a bureau's workbook (see the module's text)."""
    frame = sample("sections")
    order = frame.groupby("所在河流", sort=False).ngroup()
    frame = frame.assign(_order=order).sort_values(["_order", "断面编码"], kind="stable").drop(columns="_order")
    frame = frame.reset_index(drop=True)
    book = openpyxl.Workbook()
    note = book.active
    note.title = "说明"
    for line in ("本表为2024年度地表水监测断面名录。", "省考断面暂无统一编码。", "坐标系：WGS84（手持GPS）。"):
        note.append([line])
    sheet = book.create_sheet("断面名录")
    header = ["序号", "断面名称", "断面编码", "所在河流", "经度", "纬度", "断面级别", "水质目标"]
    sheet.append(["2024年XX市地表水监测断面名录"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(["填报单位：XX市生态环境局"])
    sheet.append(header)
    excel_rows: list[int] = []
    row = 4
    previous = None
    for i, item in frame.iterrows():
        if previous is not None and item["所在河流"] != previous and item["所在河流"] == "黄河":
            sheet.append([])  # a blank row between two rivers' blocks
            row += 1
        lon = item["经度"]
        if i % 5 == 1 and "°" not in lon:
            lon = _dms(float(lon))
        code = "" if item["断面级别"] == "省考" else item["断面编码"]
        sheet.append([i + 1, item["断面名称"], code or None, item["所在河流"], lon, float(item["纬度"]),
                      item["断面级别"], item["水质目标"]])  # fmt: skip
        excel_rows.append(row)
        row += 1
        previous = item["所在河流"]
    # 所在河流 merged down each river's block (blocks split by the blank row stay apart)
    column = header.index("所在河流") + 1
    start = 0
    for k in range(1, len(frame) + 1):
        if k == len(frame) or frame["所在河流"].iloc[k] != frame["所在河流"].iloc[start]:
            first, last = excel_rows[start], excel_rows[k - 1]
            if last > first:
                for r in range(first + 1, last + 1):
                    sheet.cell(r, column).value = None
                sheet.merge_cells(start_row=first, start_column=column, end_row=last, end_column=column)
            start = k
    sheet.append([])
    footnotes = ["注：1. 省考断面暂无编码，以断面名称识别。", "2. 经纬度为WGS84坐标。", "填表人：张三    审核：李四"]
    for line in footnotes:
        sheet.append([line])
    book.save(path)
    return Sections(path, frame, excel_rows, len(footnotes))


@dataclass(frozen=True)
class Facilities:
    """What the facilities CSV holds: the sample rows and which were written in GCJ-02."""

    path: Path
    rows: pd.DataFrame
    gaode: np.ndarray


def facilities_csv(path: Path) -> Facilities:
    """The sample facilities as a county's GBK CSV: 序号, no id, 坐标来源, 万吨/日."""
    frame = sample("facilities")
    gaode = np.arange(len(frame)) % GAODE_EVERY == 1
    out = pd.DataFrame({"序号": np.arange(1, len(frame) + 1).astype(str), "名称": frame["名称"], "类型": frame["类型"]})
    for lon_col, lat_col in (("经度", "纬度"), ("排口经度", "排口纬度")):
        lon = pd.to_numeric(frame[lon_col], errors="coerce").to_numpy()
        lat = pd.to_numeric(frame[lat_col], errors="coerce").to_numpy()
        glon, glat = crs_.from_wgs84(lon, lat, "gcj02")
        lon, lat = np.where(gaode, glon, lon), np.where(gaode, glat, lat)
        out[lon_col] = [f"{v:.6f}" if np.isfinite(v) else "" for v in lon]
        out[lat_col] = [f"{v:.6f}" if np.isfinite(v) else "" for v in lat]
    out["坐标来源"] = np.where(gaode, "高德地图", "GPS")
    capacity = pd.to_numeric(frame["设计规模"], errors="coerce") / 10_000
    out["设计规模（万吨/日）"] = [f"{v:g}" if np.isfinite(v) else "" for v in capacity]
    out["排放标准"] = frame["排放标准"]
    path.write_bytes(out.to_csv(index=False).encode("gb18030"))
    return Facilities(path, frame, gaode)


ITEM_UNITS = {"pH": "无量纲", "水温": "℃"}


@dataclass(frozen=True)
class Measurements:
    """What the results workbook holds: the sample measurements (long: 断面编码, 监测日期,
    item, text as in the sample) that it gives, without the 断流 months."""

    path: Path
    values: pd.DataFrame
    limits: dict[str, str]


def measurements_workbook(path: Path) -> Measurements:
    """The sample measurements as a monthly results workbook (see the module's text)."""
    frame = sample("measurements")
    names = sample("sections").set_index("断面编码")["断面名称"]
    items = [c for c in frame.columns if c not in ("断面编码", "监测日期")]
    limits = {}
    for item in items:
        below = frame[item][frame[item].str.endswith("L")].unique()
        if len(below) == 1:
            limits[item] = below[0][:-1]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "2023-2024年监测结果"
    header = ["断面名称", "监测时间", *items]
    sheet.append(["XX市地表水环境质量月报数据（2023—2024年）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    sheet.append(["", "", *(ITEM_UNITS.get(i, "mg/L") for i in items)])
    sheet.append(["检出限", "", *(limits.get(i) for i in items)])
    dry = frame["断面编码"].eq(DRY_SECTION) & frame["监测日期"].isin(DRY_MONTHS)
    for _, item in frame.iterrows():
        date = dt.datetime.fromisoformat(item["监测日期"])
        is_dry = item["断面编码"] == DRY_SECTION and item["监测日期"] in DRY_MONTHS
        if is_dry:
            sheet.append([names[item["断面编码"]], date, "断流"])
            r = sheet.max_row
            sheet.merge_cells(start_row=r, start_column=3, end_row=r, end_column=len(header))
            continue
        cells = ["未检出" if item[i].endswith("L") and i in limits else item[i] for i in items]
        sheet.append([names[item["断面编码"]], date, *(_number(c) for c in cells)])
    for row in sheet.iter_rows(min_row=5, min_col=2, max_col=2):
        row[0].number_format = "yyyy-mm-dd"
    sheet.append(["注：未检出项目按检出限的一半参与统计；“断流”表示当月无水未采样。"])
    book.save(path)
    values = frame[~dry].melt(id_vars=["断面编码", "监测日期"], var_name="item", value_name="text")
    return Measurements(path, values[values["text"].ne("")].reset_index(drop=True), limits)


def _number(text: str) -> float | str:
    """A cell as Excel holds it: numbers as numbers, the rest as text."""
    try:
        return float(text)
    except ValueError:
        return text
