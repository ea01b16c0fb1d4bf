"""``geoenv compensation``: the cross-border compensation accounts (跨界断面生态补偿)."""

from __future__ import annotations

import click

from geoenv import answers, datasets
from geoenv.cli.base import _basin, _log, _outputs, _stated_period, echo, main
from geoenv.cli.options import basin_options, option
from geoenv.eco_compensation import load_rules
from geoenv.eco_compensation.workbook import SHEETS, compensation_files
from geoenv.io.write import sibling, text_writer, write_files
from geoenv.tables import register_names
from geoenv.text import counted


@main.command(name="compensation")
@basin_options
@option("rules")
@option("example_rules")
@option("period", help="The year accounted, month by month: 2024 [default: the latest year with data].")
@option("units")
@option("xlsx_output")
@option("lang")
@option("overwrite")
@click.pass_context
def compensation_(ctx: click.Context, flow, outlets, tolerance_m, radius_m, rules, example_rules, period, units,
                  output, lang, overwrite, **kw) -> None:  # fmt: skip
    """Cross-border section compensation accounts (跨界断面生态补偿) for a year.

    Per assessed section, month and item: the monthly mean, the standard (the target class's
    limit or a given concentration), the exceedance multiple, the deduction tier and amount
    and the rule that applied (无监测数据 or 断流 where a month has no sample); the rewards
    (3 months kept in a row, the whole year, improved against the same month last year); per
    unit and month and over the year the deductions, rewards and net (with a 合计 row), in
    万元. The unit charged is the one whose water the section judges (upstream of an inflow
    section; its own for an outflow section). Each crossing is assessed once: by default
    (judge = "outflow") the outflow section of the unit handing the water on, as Shanxi
    judges a city's water at its border. The 3-month reward repeats (a year kept every month
    earns 4 × 10 + 100 under the example), and a month with no sample (断流) rules out 全年达标.
    OUT.xlsx has a sheet each and a sheet naming the rules; OUT.sections.csv … beside it.

    The example models a province → city scheme: Shanxi's province scheme is accounted
    between cities (--level city); a city's own scheme between its counties (the default).

    \b
    Examples:
      geoenv compensation --example-rules 规则.toml      # the example, to edit
      geoenv compensation --rules 规则.toml --period 2024 -o 生态补偿.xlsx
      geoenv compensation --rules 规则.toml --level city -o 跨市补偿.xlsx  # Shanxi's scheme
    """
    if example_rules:
        _outputs(overwrite, {"--example-rules": example_rules}, kw)
        text = datasets.get_path("shanxi_2013_rules").read_text(encoding="utf-8")
        write_files({example_rules: text_writer(text)}, overwrite=overwrite)
        _log(ctx, f"wrote the example rules to {example_rules} (check the scheme in force before using it)")
        return
    if rules is None or output is None:
        raise click.UsageError("give --rules RULES.toml and -o OUT.xlsx (or --example-rules FILE for an example)")
    loaded = load_rules(rules)  # before any work: a rule file's mistakes first
    csvs = {f"the {key} table": sibling(output, f".{key}.csv") for key in SHEETS}
    _outputs(overwrite, {"-o": output, **csvs}, kw)
    project = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    chosen = answers.period_of(project, period)
    _stated_period(ctx, period, chosen)
    result = answers.compensation(project, loaded, period=chosen, units=units)
    if result.sections.empty:
        _log(ctx, f"no section assessed: the rules' sections ({loaded.sections}) found none on this data")
    files = compensation_files(
        result, output, period=chosen, units=units, names=register_names(project.basin), lang=lang
    )
    write_files(files, overwrite=overwrite)
    totals = result.year[["deductions_wan", "rewards_wan"]].sum()
    _log(ctx, f"{result.sections['section'].nunique()} sections, {len(result.year)} units in {chosen.label}: "
              f"{totals['deductions_wan']:g}万元 deducted, {totals['rewards_wan']:g}万元 awarded")  # fmt: skip
    if result.unassessed:
        _log(ctx, f"note: no assessed section judges {counted(len(result.unassessed), 'unit')} with rivers, listed "
                  f"with 0 in the year's table: {'、'.join(result.unassessed)}")  # fmt: skip
    if loaded.illustrative:
        _log(ctx, "note: the rules hold illustrative amounts (marked on every sheet)")
    echo(str(output.resolve()))
