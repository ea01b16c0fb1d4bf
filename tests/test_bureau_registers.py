"""A bureau's own registers (tests/bureau_registers.py) go through validate, classify, map and
report with no option beyond the file names, and give the answers of the same data as the
embedded sample holds it."""

from __future__ import annotations

from pathlib import Path

import bureau_registers as bureau
import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from test_hostile_outputs import page_values

from geoenv import open_project
from geoenv.cli import main
from geoenv.layers import great_circle_km


@pytest.fixture(scope="module")
def registers(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("bureau")
    return {
        "sections": bureau.sections_workbook(folder / "断面名录.xlsx"),
        "facilities": bureau.facilities_csv(folder / "设施.csv"),
        "measurements": bureau.measurements_workbook(folder / "监测结果.xlsx"),
        "folder": folder,
    }


def _files(registers: dict) -> list[str]:
    return [
        "--sections", str(registers["sections"].path),
        "--facilities", str(registers["facilities"].path),
        "--measurements", str(registers["measurements"].path),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def project(registers):
    return open_project(**{kind: registers[kind].path for kind in ("sections", "facilities", "measurements")})


@pytest.fixture(scope="module")
def sample_project():
    return open_project()


def test_validate_passes_with_file_names_only(registers):
    result = CliRunner().invoke(main, ["validate", *_files(registers)])
    assert result.exit_code == 0, result.output
    assert "sections: " in result.output and "48 rows" in result.output
    # the footnotes and the 填表人 line were skipped, and said so
    assert "note" in result.output


def test_every_section_kept_with_its_river(project, sample_project):
    got = project["sections"].set_index("name")
    want = sample_project["sections"].set_index("name")
    assert sorted(got.index) == sorted(want.index)
    assert got.loc[want.index, "river"].tolist() == want["river"].tolist()
    assert got["river"].value_counts()["汾河"] == 23
    metres = 1000 * great_circle_km(got.loc[want.index, "lon"], got.loc[want.index, "lat"], want["lon"], want["lat"])
    assert metres.max() < 1.0


def test_codes_given_kept_and_missing_ones_generated_stably(registers, project, sample_project):
    got = project["sections"].set_index("name")
    want = sample_project["sections"].set_index("name")
    national = want["level"].ne("provincial")
    assert got.loc[want.index[national], "code"].tolist() == want.loc[national, "code"].tolist()
    generated = got.loc[want.index[~national], "code"]
    assert generated.is_unique and not generated.isin(want["code"]).any()
    again = open_project(sections=registers["sections"].path)["sections"].set_index("name")
    assert again.loc[generated.index, "code"].tolist() == generated.tolist()


def test_gaode_facilities_within_a_metre(registers, project, sample_project):
    got = project["facilities"]
    want = sample_project["facilities"]
    assert len(got) == len(want) == 52
    assert got["id"].is_unique
    metres = 1000 * great_circle_km(got["lon"], got["lat"], want["lon"], want["lat"])
    assert metres.max() < 1.0
    given = want["outfall_lon"].notna().to_numpy()
    metres = 1000 * great_circle_km(
        got["outfall_lon"][given], got["outfall_lat"][given], want["outfall_lon"][given], want["outfall_lat"][given]
    )
    assert metres.max() < 1.0


def _by_name(project) -> pd.DataFrame:
    """The measurements with each section named (codes differ where the register has none)."""
    names = project["sections"].set_index("code")["name"]
    data = project["measurements"]
    return data.assign(section=data["section"].map(names))


def test_measurements_read_as_the_sample_gives_them(project, sample_project):
    keys = ["section", "date", "parameter"]
    got = _by_name(project)
    dry_name = sample_project["sections"].set_index("code").loc[bureau.DRY_SECTION, "name"]
    no_sample = got[got["status"].ne("")]
    assert set(no_sample["section"]) == {dry_name}
    assert sorted(no_sample["date"].dt.strftime("%Y-%m-%d")) == list(bureau.DRY_MONTHS)
    assert set(no_sample["status"]) == {"断流"}
    got = got[got["status"].eq("")].set_index(keys).sort_index()
    want = _by_name(sample_project)
    dry = want["section"].eq(dry_name) & want["date"].isin(pd.to_datetime(bureau.DRY_MONTHS))
    want = want[~dry].set_index(keys).sort_index()
    assert got.index.equals(want.index)
    np.testing.assert_allclose(got["value"], want["value"], rtol=1e-12)
    assert got["below_dl"].tolist() == want["below_dl"].tolist()


def _classify(args: list[str], out: Path) -> pd.DataFrame:
    result = CliRunner().invoke(
        main, ["classify", *args, "--period", "2024", "-o", str(out), "--overwrite", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    return pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_classify_gives_the_sample_answers(registers, tmp_path):
    files = _files(registers)
    got = _classify([files[5], *files[:4]], tmp_path / "got.csv").set_index("name")
    want = _classify([], tmp_path / "want.csv").set_index("name")
    assert sorted(got.index) == sorted(want.index)
    dry = want.index[want["section"].eq(bureau.DRY_SECTION)][0]
    others = want.index.drop(dry)
    for column in ("class", "main_pollutants", "cwqi", "meets_target", "exceed_freq"):
        assert got.loc[others, column].tolist() == want.loc[others, column].tolist(), column
    assert int(got.loc[dry, "n_samples"]) == int(want.loc[dry, "n_samples"]) - len(bureau.DRY_MONTHS)


def test_classify_by_river_rates_every_section(registers, tmp_path):
    files = _files(registers)
    out = tmp_path / "rivers.csv"
    args = ["classify", files[5], *files[:4], "--period", "2024", "--group", "river", "-o", str(out), "--lang", "en"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    rivers = pd.read_csv(out, dtype=str, encoding="utf-8-sig").set_index("group")
    assert rivers.loc["汾河", "n_sections"] == "23"


def test_map_and_report_with_file_names_only(registers, tmp_path, sample_project):
    result = CliRunner().invoke(main, ["map", *_files(registers), "-o", str(tmp_path / "map")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "map" / "index.html").read_text(encoding="utf-8")
    assert set(sample_project["sections"]["name"]) <= page_values(page)
    result = CliRunner().invoke(main, ["report", *_files(registers), "--period", "2024", "-o", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(next((tmp_path / "rep").glob("*.xlsx")), read_only=True)
    first = book.worksheets[0]
    names = {row[1] for row in first.iter_rows(min_row=2, values_only=True)}
    assert set(sample_project["sections"]["name"]) <= names | {None}
