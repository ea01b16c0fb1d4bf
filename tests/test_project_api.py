"""The library's entry point: open_project loads each layer once and computes what is derived
from it once; settings are frozen objects checked where they are made; geoenv.toml holds
every option of a command, the command line winning."""

from __future__ import annotations

from collections import Counter

import pytest
from test_cli import run

import geoenv
from geoenv import assessment, borders, layers
from geoenv.errors import InputError
from geoenv.settings import ParameterError


@pytest.fixture(scope="module")
def project():
    return geoenv.open_project()


def test_the_public_names_are_exported():
    assert {"open_project", "Settings", "trace", "impact", "relations", "crossings", "report"} <= set(geoenv.__all__)
    assert all(hasattr(geoenv, name) for name in geoenv.__all__)


def test_each_period_is_evaluated_once_whatever_is_asked(monkeypatch):
    calls = Counter()
    real = assessment.assess

    def counted(project, **kw):
        calls[kw.get("period"), kw.get("by")] += 1
        return real(project, **kw)

    monkeypatch.setattr(assessment, "assess", counted)
    project = geoenv.open_project()
    year = geoenv.period_of(project, "2023")
    geoenv.trace(project, "SX014", period=year)
    geoenv.trace(project, "SX013", period="2023")
    geoenv.report(project, "2023")
    project.status(year)
    # and the report's 同比 (the year before) and 月度 (every month), once each
    assert calls == {(year, None): 1, (year.year_before(), None): 1, (None, "month"): 1}
    assert project.basin is project.basin and project.network is project.basin.net
    found = Counter()
    real_crossings = borders.crossings

    def counted_crossings(*args, **kw):
        found[kw.get("units"), kw.get("near_km"), kw.get("min_run_km")] += 1
        return real_crossings(*args, **kw)

    monkeypatch.setattr(borders, "crossings", counted_crossings)
    geoenv.impact(project, facility="F042")
    geoenv.crossings(project, period="2023")
    assert project.crossings() is project.crossings()
    assert found == {("county", None, 1.0): 1}  # the spill drill's borders and the table's, found once


def test_a_command_reads_the_rivers_once(monkeypatch, tmp_path):
    kinds = Counter()
    real = layers.read_layer

    def counted(source, kind=None):
        kinds[kind] += 1
        return real(source, kind)

    monkeypatch.setattr(layers, "read_layer", counted)
    result = run("-q", "trace", "SX014", "--period", "2023", "-o", tmp_path / "t.csv", "--map", tmp_path / "t.html")
    assert result.exit_code == 0, result.output
    assert kinds["rivers"] == 1 and kinds["sections"] == 1 and kinds["measurements"] == 1


def test_the_trace_of_the_library_is_the_trace_of_the_command(project, tmp_path):
    result = geoenv.trace(project, "SX014", period="2023")
    assert result.period.label == "2023"
    out = tmp_path / "t.csv"
    assert run("-q", "trace", "SX014", "--period", "2023", "-o", out, "--lang", "en").exit_code == 0
    import pandas as pd

    table = pd.read_csv(out, dtype={"id": str})
    assert table["id"].tolist() == result.table["id"].tolist()


def test_settings_are_frozen_and_checked_where_made():
    settings = geoenv.Settings(network=geoenv.NetworkSettings(tolerance_m=50, outlets=[(112.5, 37.0)]))
    assert settings.network.outlets == ((112.5, 37.0),) and settings.placement.radius_m == 1000
    with pytest.raises(AttributeError):
        settings.network.tolerance_m = 10  # type: ignore[misc]
    for make, parameter in (
        (lambda: geoenv.NetworkSettings(tolerance_m=float("nan")), "tolerance_m"),
        (lambda: geoenv.NetworkSettings(flow="downhill"), "flow"),
        (lambda: geoenv.NetworkSettings(outlets=[(200.0, 37.0)]), "outlets"),
        (lambda: geoenv.PlacementSettings(radius_m=-5), "radius_m"),
        (lambda: geoenv.LoadingSettings(near_border_m=1e9), "near_border_m"),
    ):
        with pytest.raises(ParameterError) as error:
            make()
        assert error.value.parameter == parameter and str(error.value).startswith(parameter)


def test_open_project_takes_settings_and_paths(tmp_path):
    sections = tmp_path / "s.csv"
    sections.write_text("断面编码,断面名称,经度,纬度\nS1,甲,112.55,37.85\n", encoding="utf-8")
    near = geoenv.open_project(sections=sections, settings=geoenv.Settings(placement=geoenv.PlacementSettings(1.0)))
    assert near.basin.radius_m == 1.0 and not near.embedded and "measurements" not in near.layers
    with pytest.raises(InputError, match="no measurements given"):
        near.quality()
    bad = tmp_path / "bad.csv"
    bad.write_text("断面编码,断面名称,经度,纬度\nS1,甲,abc,37.85\n", encoding="utf-8")
    with pytest.raises(InputError):
        geoenv.open_project(sections=bad)
    listed = geoenv.open_project(sections=bad, raise_errors=False)
    assert [p.row for p in listed.errors] == [0]


def test_the_config_holds_the_settings_and_the_command_options(tmp_path):
    config = tmp_path / "geoenv.toml"
    config.write_text(
        "[network]\ntolerance_m = 50\noutlets = [[114.6, 34.903]]\n[placement]\nradius_m = 800\n"
        '[loading]\nnear_border_m = 200\n[trace]\ndistance_km = 30\nperiod = "2023"\n',
        encoding="utf-8",
    )
    project = geoenv.open_project(config)
    assert project.settings.network.tolerance_m == 50 and project.settings.placement.radius_m == 800
    assert project.settings.loading.near_border_m == 200
    assert project.network.report["outlets"]["given"].any()
    out, wide = tmp_path / "t.csv", tmp_path / "wide.csv"
    assert run("-q", "trace", "SX014", "--config", config, "-o", out, "--lang", "en").exit_code == 0
    assert (
        run("-q", "trace", "SX014", "--config", config, "--distance-km", "500", "-o", wide, "--lang", "en").exit_code
        == 0
    )
    import pandas as pd

    near, far = pd.read_csv(out), pd.read_csv(wide)
    assert near["distance_km"].max() <= 30 < far["distance_km"].max()  # the command line wins


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[map]\ntitel = 'x'\n", "[map]: unknown option 'titel' for geoenv map (known: "),
        ("[trace]\ndistance_km = -3\n", "[trace]: distance_km = -3: "),
        ("[network]\ntolerance = 5\n", "[network]: unknown setting 'tolerance' (known: flow, outlets, tolerance_m)"),
        ("[network]\noutlets = [112.5, 37]\n", "[network]: outlets = [112.5, 37] is not a list of [lon, lat]"),
        ('[network]\nflow = "downhill"\n', '[network]: flow = "downhill" is not one of outlet, digitized'),
        ("[placement]\nradius_m = -1\n", "[placement]: radius_m = -1 is not a distance in metres, 0 or more"),
        ("[loading]\nstrict = 1\n", "[loading]: strict = 1 is not true or false"),
        ("[plotting]\nx = 1\n", "unknown section [plotting]"),
    ],
)
def test_config_errors_name_the_file_and_section(tmp_path, toml, message):
    config = tmp_path / "geoenv.toml"
    config.write_text(toml, encoding="utf-8")
    command = "map" if "[map]" in toml else "trace"
    args = (
        ("map", "--config", config, "-o", tmp_path / "m")
        if command == "map"
        else ("trace", "SX014", "--config", config)
    )
    result = run(*args)
    assert result.exit_code == 1
    assert f"error: {config}:{message}" in result.output or f"error: {config}: {message}" in result.output, (
        result.output
    )


def test_the_readme_config_example_is_read(tmp_path):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("### Project file", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    for name in ("断面名录.xlsx", "区县.shp"):
        (tmp_path / name).write_bytes(b"")
    config = tmp_path / "geoenv.toml"
    config.write_text(example, encoding="utf-8")
    read = geoenv.config.read_config(config)
    assert read.settings.network.tolerance_m == 50 and read.settings.loading.strict
    assert read.options["map"]["title"] == "太原市地表水监测断面分布图" and read.options["trace"] == {"distance_km": 50}


def test_every_public_name_is_listed_once_and_found():
    assert sorted(geoenv.__all__) == sorted({"__version__", *geoenv._PUBLIC})
    with pytest.raises(AttributeError):
        geoenv.no_such_name  # noqa: B018


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda p: p.quality(2024), "period"),
        (lambda p: p.quality(by="week"), "by"),
        (lambda p: p.status("20x4"), "period"),
        (lambda p: geoenv.trace(p, "SX014", kinds="outfall"), "kinds"),
        (lambda p: geoenv.trace(p, "SX014", stop_at_compliant="yes"), "stop_at_compliant"),
        (lambda p: geoenv.trace("SX014", "SX014"), "project"),
        (lambda p: geoenv.impact(p, at=(float("nan"), 37.0)), "at"),
        (lambda p: geoenv.impact(p, at="112,37"), "at"),
        (lambda p: geoenv.crossings(p, units="province"), "units"),
        (lambda p: geoenv.NetworkSettings(outlets=[(112.0,)]), "outlets"),
        (lambda p: geoenv.Settings(network={"tolerance_m": 5}), "network"),
        (lambda p: geoenv.open_project(rivers=5), "rivers"),
    ],
)
def test_wrong_parameters_are_named(project, call, parameter):
    with pytest.raises(geoenv.ParameterError) as error:
        call(project)
    assert error.value.parameter == parameter


def test_a_period_may_be_its_label(project):
    assert project.quality("2023") is project.quality(geoenv.period_of(project, "2023"))
    assert geoenv.build_atlas(project, "2023").period.label == "2023"
    assert geoenv.datasets.get_path("shanxi_rivers").is_file() and "trace" in dir(geoenv)


def test_config_named_layers_are_inputs_no_output_replaces(tmp_path):
    register = tmp_path / "s.csv"
    register.write_text("断面编码,断面名称,经度,纬度\nS1,甲,112.55,37.85\n", encoding="utf-8")
    before = register.read_bytes()
    config = tmp_path / "geoenv.toml"
    config.write_text(f'[sections]\npath = "{register.name}"\n', encoding="utf-8")
    result = run("join", "sections", "--config", config, "-o", register, "--overwrite")
    assert result.exit_code == 1 and "is an input of this command" in result.output
    assert register.read_bytes() == before


def test_a_flag_set_in_the_config_is_undone_on_the_command_line_and_overwrite_stays_per_run(tmp_path):
    config = tmp_path / "geoenv.toml"
    config.write_text("[trace]\nstop_at_compliant = true\n", encoding="utf-8")
    stopped, full = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run("-q", "trace", "SX010", "--period", "2024", "--config", config, "-o", stopped).exit_code == 0
    args = ("-q", "trace", "SX010", "--period", "2024", "--config", config, "--no-stop-at-compliant", "-o", full)
    assert run(*args).exit_code == 0
    assert len(full.read_text(encoding="utf-8")) > len(stopped.read_text(encoding="utf-8"))
    config.write_text("[map]\noverwrite = true\n", encoding="utf-8")
    result = run("map", "--config", config, "-o", tmp_path / "m")
    assert result.exit_code == 1 and "overwrite is chosen run by run" in result.output


def test_validate_checks_every_command_section(tmp_path):
    config = tmp_path / "geoenv.toml"
    config.write_text('[map]\ntitel = "x"\n[report]\nlang = "fr"\n[network.bogus]\nx = 1\n', encoding="utf-8")
    result = run("validate", "--config", config)
    assert result.exit_code == 1
    for message in ("[map]: unknown option 'titel'", "[report]: lang = 'fr'", "no command geoenv network bogus"):
        assert message in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("\ufeff[loading]\nstrict = true\n".encode(), None),
        ("[loading]\nstrict = true\n# 注释\n".encode("gbk"), "is not UTF-8"),
        (b"[settings]\nnear_border_m = 50\n[loading]\nnear_border_m = 70\n", "given in both [settings] and [loading]"),
    ],
)
def test_config_files_as_editors_save_them(tmp_path, content, message):
    config = tmp_path / "geoenv.toml"
    config.write_bytes(content)
    if message is None:
        assert geoenv.config.read_config(config).settings.loading.strict
    else:
        with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
            geoenv.config.read_config(config)


def test_a_config_that_is_no_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="not a regular file"):
        geoenv.config.read_config("/dev/zero")


def test_the_network_commands_take_the_config(tmp_path):
    rivers = geoenv.datasets.get_path("shanxi_rivers")
    config = tmp_path / "geoenv.toml"
    config.write_text('[network]\ntolerance_m = 10\n[network.navigate]\nmode = "DM"\n', encoding="utf-8")
    result = run("network", "navigate", rivers, "--config", config, "--start", "R014", "-o", tmp_path / "dm.csv")
    assert result.exit_code == 0 and "  1 gaps bridged" in result.output  # 39 at the default 400 m
    again = run("network", "navigate", rivers, "--config", config, "--mode", "UT", "--start", "R014")
    assert again.exit_code == 0 and "R014" in again.output
    result = run("network", "build", rivers, "--config", config, "-o", config.with_suffix(".csv"))
    assert result.exit_code == 0


def test_config_values_of_the_wrong_toml_kind_and_keys_as_flags(tmp_path):
    config = tmp_path / "geoenv.toml"
    config.write_text("[map]\ntimeline = 3\noutput = 5\n[classify]\nfrom = [1]\n", encoding="utf-8")
    result = run("validate", "--config", config)
    assert result.exit_code == 1 and "Traceback" not in result.output and "unexpected" not in result.output
    for message in ("[map]: timeline = 3: a TOML value of the wrong kind: write true or false",
                    '[map]: output = 5: a TOML value of the wrong kind: write text in quotes ("…")',
                    "[classify]: start = [1]: a TOML value of the wrong kind"):  # fmt: skip
        assert message in result.output
    page = tmp_path / "t.html"
    config.write_text(f'[trace]\nmap = "{page.name}"\nperiod = "2023"\n', encoding="utf-8")  # --map as map
    assert run("-q", "trace", "SX014", "--config", config, "-o", tmp_path / "t.csv").exit_code == 0
    assert "（2023年）" in page.read_text(encoding="utf-8")
