"""Register text is data: hostile names through every map, table and terminal output, and
outputs that are written whole or not at all, never replacing what is not ours."""

from __future__ import annotations

import errno
import html
import os
import re
import signal
import stat
import subprocess
import threading
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_cli import run
from test_maps import points_of

from geoenv.cli.display import printable
from geoenv.errors import OutputError
from geoenv.io.write import (
    STAGING_PREFIX,
    csv_writer,
    formula_safe,
    safe_filename,
    text_writer,
    write_files,
    xml_text,
)
from geoenv.maps.render import neutralise
from geoenv.text import bidi_shown


def page_values(page: str) -> set[str]:
    """Every value the page's point layers carry, as the reader sees it (HTML unescaped)."""
    return {html.unescape(v) for f in points_of(page) for v in f["properties"]["v"] if isinstance(v, str)}


def test_template_syntax_in_every_text_renders_literally_and_runs_nothing(hostile, tmp_path):
    title = "{{7*7}}标题{% if 1 %}{# x"
    result = run("-q", "map", *hostile["layers"], "--title", title, "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "m" / "index.html").read_text(encoding="utf-8")
    assert not hostile["marker"].exists()
    shown = page_values(page)
    assert set(map(bidi_shown, hostile["names"])) <= shown  # every section name as written, bidi controls shown
    assert {"{{7*7}}", "=1+1"} <= shown  # facility capacities
    assert "断面49" not in shown and "49标题" not in page
    assert (
        html.unescape(re.sub("<[^>]+>", "", re.search(r'<div class="geoenv-title">(.*?)</div>', page).group(1)))
        == title + "（2024年）"
    )
    # no template opener is left anywhere in the data the page carries
    for f in points_of(page):
        assert not any(re.search(r"\{[{%#]", v) for v in f["properties"]["v"] if isinstance(v, str))


def test_trace_and_impact_maps_with_hostile_names(hostile, tmp_path):
    exceeding = "S20"
    result = run("-q", "trace", exceeding, *hostile["layers"], "--map", tmp_path / "t.html", "-o", tmp_path / "t.csv")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "t.html").read_text(encoding="utf-8")
    title = html.unescape(re.sub("<[^>]+>", "", re.search(r'<div class="geoenv-title">(.*?)</div>', page).group(1)))
    assert title == f"溯源：S20 {hostile['names'][20]}（2024年）"
    result = run("-q", "impact", "--facility", "F1", *hostile["layers"], "--map", tmp_path / "i.html")
    assert result.exit_code == 0, result.output
    assert hostile["names"][0] in page_values((tmp_path / "i.html").read_text(encoding="utf-8"))
    assert not hostile["marker"].exists()


def test_choropleth_column_name_is_escaped(hostile, tmp_path):
    column = "<img src=x onerror=alert(9)>"
    result = run("-q", "map", *hostile["layers"], "--choropleth", column, "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "m" / "index.html").read_text(encoding="utf-8")
    assert column not in page and html.escape(column) in page


def test_report_tables_are_formula_safe(hostile, tmp_path):
    result = run("-q", "report", *hostile["layers"], "-o", tmp_path / "r")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "r" / "report.xlsx")
    sheet = book["断面名录"]
    header = [c.value for c in sheet[2]]  # below the title row
    rows = list(sheet.iter_rows(min_row=3, values_only=False))
    names = [row[header.index("名称")] for row in rows]
    assert all(cell.data_type == "s" for cell in names)  # text cells, never formulas
    by_code = {f"S{i:02d}": n for i, n in enumerate(hostile["names"])}  # rows run by river, not as registered
    codes = [row[header.index("断面编码")].value for row in rows]
    expected = [bidi_shown(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", lambda m: f"\\x{ord(m.group()):02x}", by_code[c]))
                for c in codes]  # fmt: skip
    assert [c.value for c in names] == expected
    table = pd.read_csv(tmp_path / "r" / "sections.csv", dtype=str, keep_default_na=False)
    for code, written in zip(table["断面编码"], table["名称"], strict=True):
        name = by_code[code]
        assert written == bidi_shown("'" + name if name[0] in "=+-@\t\r" else name)
    cwqi = pd.read_csv(tmp_path / "r" / "sections.csv")["CWQI"]
    assert pd.api.types.is_float_dtype(cwqi)  # numbers stay numbers


def test_formula_safe_keeps_numbers():
    frame = pd.DataFrame({"a": ["=1+1", "-0.3", "+5", "@x", "-x", "ok", None, "\tx", "1e-3"], "b": range(9)})
    safe = formula_safe(frame)
    assert safe["a"].fillna("<missing>").tolist() == ["'=1+1", "-0.3", "+5", "'@x", "'-x", "ok", "<missing>", "'\tx",
                                                      "1e-3"]  # fmt: skip
    assert safe["b"].tolist() == list(range(9))
    assert list(formula_safe(pd.DataFrame(columns=["=bad", "ok"])).columns) == ["'=bad", "ok"]


def test_formula_safe_looks_only_at_text_and_keeps_other_values():
    frame = pd.DataFrame(
        {
            "mixed": pd.Series([-3, "-x", b"=y", -0.5, None, "=1", "-2"], dtype=object),
            "text": pd.Series(["+a", None, "ok", "-1e5", "@", "é", "\rx"], dtype="string"),
            "numbers": [-1.0, -2.0, float("nan"), 4.0, 5.0, 6.0, 7.0],
        }
    )
    safe = formula_safe(frame)
    assert safe["mixed"].tolist() == [-3, "'-x", b"=y", -0.5, None, "'=1", "-2"]  # only text is prefixed
    assert safe["text"].fillna("<missing>").tolist() == ["'+a", "<missing>", "ok", "-1e5", "'@", "é", "'\rx"]
    assert safe["numbers"].equals(frame["numbers"])


def test_csv_has_the_bytes_pandas_writes_with_a_bom(tmp_path):
    floats = [0.1, -0.0, 1e-05, 1e16, 123456789.123456, float("inf"), float("nan"), 5e-324]
    frame = pd.DataFrame(
        {
            "id": pd.Series(["a", "b,c", 'q"', None, "x\ny", "中文", "", "z"], dtype="string"),
            "km": floats,
            "n": range(8),
            "flag": [True, False] * 4,
            "f32": pd.Series(floats, dtype="float32"),
            "Float64": pd.Series(floats, dtype="Float64"),
        }
    )
    frame.insert(0, "km", floats[::-1], allow_duplicates=True)  # two columns of one name
    csv_writer(frame)(tmp_path / "t.csv")
    expected = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    assert (tmp_path / "t.csv").read_bytes() == b"\xef\xbb\xbf" + expected


def test_terminal_output_shows_control_characters_escaped(hostile):
    result = run("-q", "trace", "S20", *hostile["layers"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    result = run("trace", "\x1b[2Jnope", *hostile["layers"])
    assert result.exit_code == 1 and "\x1b" not in result.output and "\\x1b[2Jnope" in result.output


def test_neutralise_leaves_no_template_opener():
    for text in ("{{7*7}}", "{{{x}}}", "{%%}", "{#{#", "a{b}c", "{z}/{x}/{y}"):
        done = neutralise(text)
        assert re.search(r"\{[{%#]", done) is None and html.unescape(done) == text
    assert neutralise({"{{k": ["{%", 1]}) == {"&#123;{k": ["&#123;%", 1]}


# --- files: whole or not at all, only regular files replaced ------------------------------


def test_special_files_are_never_replaced(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "elsewhere.csv")
    for target, what in ((fifo, "FIFO"), (link, "symbolic link"), (Path("/dev/full"), "device")):
        result = run("-q", "join", "sections", "-o", target, "--overwrite")
        assert result.exit_code == 1 and what in result.output and str(target) in result.output, result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and link.is_symlink() and stat.S_ISCHR(os.stat("/dev/full").st_mode)
    assert not (tmp_path / "elsewhere.csv").exists()


def test_overwrite_replaces_a_regular_file(tmp_path):
    target = tmp_path / "s.csv"
    target.write_text("old")
    assert run("-q", "join", "sections", "-o", target).exit_code == 1 and target.read_text() == "old"
    assert run("-q", "join", "sections", "-o", target, "--overwrite").exit_code == 0
    assert target.read_text(encoding="utf-8-sig").startswith("断面编码,")


@pytest.mark.parametrize(
    "args",
    [
        ["classify", "-o", "{d}/same.csv", "--items", "{d}/same.csv"],
        ["trace", "SX014", "-o", "{d}/x.csv", "--map", "{d}/./x.csv"],
        ["relations", "-o", "{d}/s.gpkg", "--save-network", "{d}/s.gpkg"],
    ],
)
def test_two_outputs_on_one_path_are_refused(tmp_path, args):
    result = run(*[a.replace("{d}", str(tmp_path)) for a in args])
    assert result.exit_code == 1 and "named for two outputs" in result.output, result.output
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_leaves_nothing_and_names_the_path(tmp_path):
    def full(tmp: Path) -> None:
        tmp.write_text("partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    files = {tmp_path / "out" / "a.csv": text_writer("a"), tmp_path / "out" / "b.csv": full}
    with pytest.raises(OutputError, match="the disk is full") as caught:
        write_files(files, overwrite=False, create_folders=True)
    assert str(tmp_path / "out" / "b.csv") in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # no output folder, no staging folder


def test_a_read_only_file_system_is_named(tmp_path, monkeypatch):
    def read_only(tmp: Path) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    with pytest.raises(OutputError, match="read-only"):
        write_files({tmp_path / "a.csv": read_only}, overwrite=False)
    assert list(tmp_path.iterdir()) == []


def test_a_path_through_a_file(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = run("-q", "join", "sections", "-o", afile / "x.csv")
    assert result.exit_code == 1 and "is a file, not a folder" in result.output and "unexpected" not in result.output


@pytest.fixture
def tmpfs(tmp_path):
    """A 300 kB file system, where the test may mount one (root on Linux)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_really_full_disk(tmpfs):
    result = run("-q", "demo", "-o", tmpfs / "maps")
    assert result.exit_code == 1, result.output
    assert "the disk is full" in result.output and str(tmpfs / "maps") in result.output
    assert "unexpected" not in result.output and list(tmpfs.iterdir()) == []
    from geoenv import datasets

    filler = tmpfs / "filler"
    filler.write_bytes(b"\0" * 250_000)  # about 50 kB left: GDAL fails inside its own transaction
    result = run("-q", "network", "build", datasets.get_path("shanxi_rivers"), "-o", tmpfs / "net.gpkg")
    assert result.exit_code == 1 and "the disk is full" in result.output and "unexpected" not in result.output
    assert list(tmpfs.iterdir()) == [filler]


def test_sigterm_during_a_write_leaves_nothing(tmp_path, monkeypatch):
    original = pd.DataFrame.to_csv

    def killed(self, path, *args, **kwargs):
        original(self.head(1), path, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(pd.DataFrame, "to_csv", killed)
    try:
        result = run("-q", "classify", "-o", tmp_path / "c.csv")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    assert result.exit_code == 128 + signal.SIGTERM
    assert "stopped by SIGTERM: outputs not yet complete were removed" in result.output
    assert list(tmp_path.iterdir()) == []


def test_two_runs_racing_for_one_new_path(tmp_path):
    target = tmp_path / "out.csv"
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(text: str):
        def write(tmp: Path) -> None:
            tmp.write_text(text)
            barrier.wait(timeout=10)  # both have passed the checks and written their file

        return write

    def attempt(text: str) -> None:
        try:
            write_files({target: writer(text)}, overwrite=False)
            outcomes.append("ok " + text)
        except OutputError as exc:
            outcomes.append("refused " + str(exc))

    threads = [threading.Thread(target=attempt, args=(t,)) for t in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.split()[0] for o in outcomes) == ["ok", "refused"]
    winner = next(o for o in outcomes if o.startswith("ok")).split()[1]
    assert target.read_text() == winner and "created by another program" in "".join(outcomes)
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_long_file_name(tmp_path):
    name = "断" * 80 + "a" * 6 + ".csv"  # 250 bytes
    assert len(name.encode()) == 250
    result = run("-q", "join", "sections", "-o", tmp_path / name)
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).exists() and not any(p.name.startswith(STAGING_PREFIX) for p in tmp_path.iterdir())


def test_file_names_from_user_text_stay_in_the_folder():
    assert safe_filename("../../etc/passwd", suffix=".html") == "_.._etc_passwd.html"
    assert safe_filename("..", suffix=".html") == "_.html"
    assert safe_filename("CON", suffix=".html") == "_CON.html"
    assert safe_filename("a\x1b/b", suffix=".html") == "a__b.html"
    assert len(safe_filename("汾" * 200, suffix=".html").encode()) <= 255


def test_empty_river_or_county_is_refused():
    for option in ("--river", "--county"):
        result = run("-q", "map", option, " ")
        assert result.exit_code == 2 and "an empty name would draw every" in result.output


def test_many_identical_errors_are_summarised(tmp_path):
    rows = "".join(f"S{i},断面{i},汾河,abc,37.05,国考,Ⅲ类\n" for i in range(500))
    sections = tmp_path / "s.csv"
    sections.write_text("断面编码,断面名称,河流,经度,纬度,断面级别,水质目标\n" + rows, encoding="utf-8")
    result = run("-q", "join", "sections", "--sections", sections, "-o", tmp_path / "o.csv")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) < 30 and "… and 480 more" in result.output and "480 ×" in result.output


def test_an_input_is_never_replaced_by_an_output(tmp_path, sections_csv):
    before = sections_csv.read_bytes()
    result = run("-q", "join", "sections", "--sections", sections_csv, "-o", sections_csv, "--overwrite")
    assert result.exit_code == 1 and "is an input of this command" in result.output
    assert sections_csv.read_bytes() == before


def test_classify_writes_and_shows_hostile_names_literally(hostile, tmp_path):
    layers = hostile["layers"][:-2]  # no network options
    result = run("-q", "classify", "--period", "2024", *layers, "-o", tmp_path / "c.csv", "--lang", "en")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "c.csv", dtype=str, keep_default_na=False).set_index("section")
    for i, name in enumerate(hostile["names"]):
        assert table.loc[f"S{i:02d}", "name"] == bidi_shown("'" + name if name[0] in "=+-@\t" else name)
    assert table.loc["S00", "river"] == hostile["river"]
    shown = run("-q", "classify", "--period", "2024", *layers, "--group", "river")
    assert shown.exit_code == 0 and "\x1b" not in shown.output and printable(hostile["river"]) in shown.output
    assert not hostile["marker"].exists()


def test_the_workbook_is_the_same_bytes_every_run(hostile, tmp_path):
    for name in ("a", "b"):
        assert run("-q", "report", *hostile["layers"], "-o", tmp_path / name).exit_code == 0
    assert (tmp_path / "a" / "report.xlsx").read_bytes() == (tmp_path / "b" / "report.xlsx").read_bytes()
    sheet = openpyxl.load_workbook(tmp_path / "a" / "report.xlsx")["断面名录"]
    assert sheet.freeze_panes == "A3" and sheet["A2"].font.b and sheet.column_dimensions["B"].width > 10


def test_a_library_error_on_a_full_disk_names_the_path(tmp_path, monkeypatch):
    def gdal_fails(tmp: Path) -> None:
        raise RuntimeError("Failed to commit transaction")

    monkeypatch.setattr("geoenv.io.write._nearly_full", lambda folder: True)
    with pytest.raises(OutputError, match="the disk is full") as caught:
        write_files({tmp_path / "n.gpkg": gdal_fails}, overwrite=False)
    assert str(tmp_path / "n.gpkg") in str(caught.value) and list(tmp_path.iterdir()) == []
    monkeypatch.setattr("geoenv.io.write._nearly_full", lambda folder: False)
    with pytest.raises(OutputError, match="cannot write: Failed to commit transaction"):
        write_files({tmp_path / "n.gpkg": gdal_fails}, overwrite=False)


def test_sibling_outputs_of_a_long_name_fit(tmp_path):
    name = "a" * 246 + ".csv"
    result = run("-q", "classify", "--period", "2024", "--lenient", "-o", tmp_path / name)
    assert result.exit_code == 0, result.output
    assert sorted(len(p.name.encode()) for p in tmp_path.iterdir()) == [250, 255]


def test_layer_options_for_layers_not_given():
    result = run("-q", "map", "--column", "sections.code=站点编号")
    assert result.exit_code == 2 and "no sections file given" in result.output
    result = run("-q", "map", "--src-crs", "garbage")
    assert result.exit_code == 2 and "unknown CRS 'garbage'" in result.output


def test_bidi_controls_in_names_are_shown_not_obeyed():
    """A right-to-left override in a name would turn ``… (SX11) 24.4 km`` after it into
    ``mk 4.42 (11XS)`` on a page or a sheet: it is written as its code."""
    from geoenv.maps.publish import escape

    name = "汾河\u202e断面\u2066"
    assert escape(name) == "汾河\\u202e断面\\u2066"
    table = formula_safe(pd.DataFrame({"name": [name, "=1"], "n": [1, 2]}))
    assert table["name"].tolist() == ["汾河\\u202e断面\\u2066", "'=1"]
    assert xml_text(name) == "汾河\\u202e断面\\u2066" and printable(name) == "汾河\\u202e断面\\u2066"
