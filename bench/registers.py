"""Whole-file read time of a large register: pandas' plain read beside geoenv's layout reader.

Prints figures; not a test. A 50,000-row × 20-column sections workbook (a title row merged
across, the header on row 2, 所在河流 merged down blocks of 50 rows, a note under the table)
and the same as a GBK CSV with a title line. ``pd.read_excel(..., dtype=str)`` and
``pd.read_csv(..., dtype=str)`` (and the python-engine read geoenv used before)
read the file as it is (first row as header, nothing filled);
``read_layer`` finds the header, fills the merged cells, skips the note and keeps each row's
number.

    python bench/registers.py [ROWS]
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from geoenv.io import LayerSource, read_layer

COLUMNS = 20
BLOCK = 50


def build(folder: Path, n: int) -> tuple[Path, Path]:
    """The workbook and the CSV of ``n`` sections."""
    rng = np.random.default_rng(0)
    header = ["断面编码", "断面名称", "所在河流", "经度", "纬度", "断面级别", "水质目标"]
    header += [f"备注{j}" for j in range(COLUMNS - len(header))]
    lon = rng.uniform(110.3, 114.5, n).round(6)
    lat = rng.uniform(34.6, 40.7, n).round(6)
    rows = [[f"S{i:06d}", f"断面{i}", f"河{i // BLOCK}", lon[i], lat[i], "国考", "Ⅲ类", *(["x"] * (COLUMNS - 7))]
            for i in range(n)]  # fmt: skip
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["XX市地表水监测断面名录"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=COLUMNS)
    sheet.append(header)
    for i, row in enumerate(rows):
        sheet.append(row if i % BLOCK == 0 else [*row[:2], None, *row[3:]])
    for start in range(0, n, BLOCK):
        sheet.merge_cells(start_row=start + 3, start_column=3, end_row=min(start + BLOCK, n) + 2, end_column=3)
    sheet.append(["注：坐标为WGS84。"])
    xlsx = folder / "sections.xlsx"
    book.save(xlsx)
    text = "\n".join([",".join(["XX市地表水监测断面名录"] + [""] * (COLUMNS - 1)), ",".join(header)]
                     + [",".join(map(str, r)) for r in rows] + ["注：坐标为WGS84。"])  # fmt: skip
    csv = folder / "sections.csv"
    csv.write_bytes(text.encode("gb18030"))
    return xlsx, csv


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main(n: int = 50_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        xlsx, csv = build(Path(tmp), n)
        print(f"{n:,} rows × {COLUMNS} columns")
        seconds, frame = timed(lambda: pd.read_excel(xlsx, dtype=str, engine="openpyxl"))
        print(f"  xlsx  pd.read_excel(dtype=str): {seconds:6.2f} s ({len(frame):,} rows, header {frame.columns[0]!r})")
        seconds, raw = timed(lambda: read_layer(LayerSource(xlsx), "sections"))
        filled = raw.frame["所在河流"].ne("").sum()
        print(f"  xlsx  read_layer(sections):     {seconds:6.2f} s ({len(raw.frame):,} rows, 所在河流 on {filled:,})")
        seconds, frame = timed(lambda: pd.read_csv(csv, dtype=str, encoding="gb18030", keep_default_na=False))
        print(f"  csv   pd.read_csv(dtype=str):   {seconds:6.2f} s ({len(frame):,} rows)")
        text = csv.read_bytes().decode("gb18030")
        seconds, frame = timed(lambda: pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=",",
                                                   engine="python", skipinitialspace=True))  # fmt: skip
        print(f"  csv   the reader before (python engine): {seconds:6.2f} s ({len(frame):,} rows)")
        seconds, raw = timed(lambda: read_layer(LayerSource(csv), "sections"))
        print(f"  csv   read_layer(sections):     {seconds:6.2f} s ({len(raw.frame):,} rows)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
