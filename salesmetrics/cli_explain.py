"""`salesmetrics explain KPI_ID`: the rows behind a value, counted or left out and why."""

from __future__ import annotations

import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from salesmetrics.cli_options import (
    AsOf,
    CsvFormulas,
    CsvFormulasOption,
    Currency,
    DataDir,
    DateFrom,
    DateTo,
    EngineOption,
    MappingDirs,
    Mappings,
    MemoryLimit,
    NoColor,
    Quiet,
    ReportConfig,
    SkipUnrecognised,
    engine_of,
)


class ExplainFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class ExplainCompare(StrEnum):
    previous = "previous"
    year = "year"


def explain(
    kpi_id: Annotated[str, typer.Argument(help="The KPI whose value to explain (win_rate).")],
    files: Annotated[
        list[str] | None,
        typer.Argument(
            help="Export files or folders (as for report); none: the config's inputs.",
            show_default=False,
        ),
    ] = None,
    mapping: Mappings = None,
    mapping_dirs: MappingDirs = None,
    skip_unrecognised: SkipUnrecognised = False,
    config: ReportConfig = None,
    data_dir: DataDir = None,
    period: Annotated[
        str | None,
        typer.Option("--period", "-p", help="2026-10, 2026-Q3, last-month (default)... as report."),
    ] = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    as_of: AsOf = None,
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            "-g",
            help="Explain one group's value: DIMENSION=VALUE, e.g. owner=Ann (repeatable).",
        ),
    ] = None,
    compare: Annotated[
        ExplainCompare | None,
        typer.Option("--compare", help="Explain the comparison value instead: previous or year."),
    ] = None,
    previous: Annotated[
        bool, typer.Option("--previous", help="The same as --compare previous.")
    ] = False,
    currency: Currency = None,
    max_reject_rate: Annotated[
        float | None,
        typer.Option(
            help="Exit 3 when an input rejects more than this share (default 0.05).", min=0
        ),
    ] = None,
    output_format: Annotated[
        ExplainFormat, typer.Option("--format", "-f", help="table, csv, json or xlsx.")
    ] = ExplainFormat.table,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write here instead of stdout (- is stdout)."),
    ] = None,
    csv_formulas: CsvFormulasOption = CsvFormulas.escape,
    limit: Annotated[
        int, typer.Option(help="Table view: rows shown of each kind; 0 for all.", min=0)
    ] = 20,
    memory_limit: MemoryLimit = None,
    engine: EngineOption = None,
    quiet: Quiet = False,
    no_color: NoColor = False,
) -> None:
    """List the rows behind a KPI's value: each with the columns that made it count (its
    source row and file, its id, the date that placed it in the period, its numerator and
    denominator or value), `counted` true or false, and for the rows left out the reason
    (not won, closed outside the period, no amount, ...). The counted rows give the number.

    Example: salesmetrics explain win_rate -c sample_data/report.yaml --period 2026-10
    --group "owner=Aisha Bello"
    """
    from salesmetrics.backend import using
    from salesmetrics.cli import (
        EXIT_INPUT,
        EXIT_USAGE,
        _day,
        _load,
        _pair_inputs,
        _refuse_rejects,
        _refuse_writing_an_input,
        _sources,
        _unusable,
    )
    from salesmetrics.config import ReportConfig, load_config
    from salesmetrics.currency import Rates, rebase
    from salesmetrics.engine import select
    from salesmetrics.errors import SalesmetricsError
    from salesmetrics.explain import explain as rows_behind
    from salesmetrics.explain import group_of, sourced
    from salesmetrics.memory import limited
    from salesmetrics.pipeline import hints_of, resolve, with_overrides
    from salesmetrics.render import explain as render
    from salesmetrics.render.console import make_console

    try:
        select([kpi_id])
        pairs = group_of(group or [])
    except SalesmetricsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if output_format is ExplainFormat.xlsx and output in (None, "-"):
        raise typer.BadParameter("-f xlsx needs --output FILE.xlsx", param_hint="--output")
    settings = load_config(config, data_dir) if config is not None else ReportConfig(None, ())
    chosen_engine = engine_of(engine, settings.engine, memory_limit)
    specs = _pair_inputs(files or [], mapping or [], settings, data_dir)
    rates = settings.rates
    if currency is not None:
        rates = rebase(rates, currency.upper()) if rates else Rates(currency.upper())
    settings = with_overrides(
        settings,
        inputs=tuple(specs),
        period=period,
        date_from=_day(date_from, "--from"),
        date_to=_day(date_to, "--to"),
        as_of=_day(as_of, "--as-of"),
        rates=rates,
    )
    target = output or "-"
    reads = (*specs, *settings.snapshot_inputs)  # the movement KPIs read the snapshot too
    _refuse_writing_an_input("--output", target, _sources(reads, config))
    loaded, unusable = _load(
        reads, settings, mapping_dirs, quiet=quiet, no_color=no_color, as_of=settings.as_of
    )
    if _unusable(unusable, len(reads), len(loaded), skip_unrecognised, computing=True):
        raise typer.Exit(EXIT_INPUT)
    limit_rejects = max_reject_rate if max_reject_rate is not None else settings.max_reject_rate
    qualities = [item.quality for item in loaded]
    _refuse_rejects(qualities, limit_rejects if limit_rejects is not None else 0.05)
    snapshot = settings.previous_snapshot.spec if settings.previous_snapshot else None
    frames = sourced(loaded, snapshot)
    span, today = resolve(settings, frames)
    mode = (compare.value if compare else None) or ("previous" if previous else None)
    with limited(memory_limit), using(chosen_engine, settings.spark):
        found = rows_behind(
            frames,
            kpi_id,
            period=span,
            as_of=today,
            group=pairs,
            compare=mode or settings.compare or ("none" if span.label == "all" else "previous"),
            compared=mode is not None,
            settings=settings.settings,
            rates=settings.rates,
            fiscal_start_month=settings.fiscal_year_start,
            small_sample=settings.small_sample,
            hints=hints_of(loaded),
        )
    if output_format is ExplainFormat.xlsx:
        render.write_workbook(found, Path(target))
    else:
        from salesmetrics.atomic import write_text_atomic

        buffer = io.StringIO() if target != "-" else sys.stdout
        if output_format is ExplainFormat.table:
            console = make_console(buffer, no_color=no_color or target != "-")
            render.render_table(found, console, limit=limit)
        elif output_format is ExplainFormat.csv:
            render.render_csv(found, buffer, escape_formulas=csv_formulas is CsvFormulas.escape)
        else:
            render.render_json(found, buffer)
        if isinstance(buffer, io.StringIO):
            write_text_atomic(Path(target), buffer.getvalue())
    if target != "-" and not quiet:
        typer.echo(f"wrote the rows behind {kpi_id} to {target}", err=True)
