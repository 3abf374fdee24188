"""The command line: parse options, call the library, pick a renderer. No computing here.

pandas is imported only inside commands, so `salesmetrics --help` stays fast.
"""

from __future__ import annotations

import functools
import io
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Annotated, Any

import typer

from salesmetrics import __version__
from salesmetrics.cli_diff import diff
from salesmetrics.cli_explain import explain
from salesmetrics.cli_mappings import init, mappings_app
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

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from salesmetrics.tables import Table

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_REJECTS, EXIT_TARGETS, EXIT_PIPE = 0, 1, 2, 3, 4, 141
EXIT_STALE = 5  # --fail-on stale: an input has no row in the period
EXIT_CODES_HELP = (
    "Exit codes: 0 success; 1 an input, mapping or config cannot be used (with several inputs, "
    "after every one is looked at; --skip-unrecognised goes on without such files unless none "
    "is usable); 2 usage error; 3 rows rejected beyond --max-reject-rate; 4 a KPI off track "
    "(or at risk) with --fail-on; 5 an input has no row in the period with --fail-on stale; "
    "141 the output pipe was closed early. An input that cannot be used outranks rejected "
    "rows (1, not 3)."
)

app = typer.Typer(
    name="salesmetrics",
    help="Sales-funnel KPIs from CRM exports (CSV and Excel).\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class _State:
    debug = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"salesmetrics {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show a traceback when something fails.")
    ] = False,
) -> None:
    _State.debug = debug


class ReportFormat(StrEnum):
    """What `report` writes."""

    table = "table"
    json = "json"
    ndjson = "ndjson"
    csv = "csv"
    markdown = "markdown"
    xlsx = "xlsx"


class Compare(StrEnum):
    previous = "previous"
    year = "year"
    none = "none"


class FailOn(StrEnum):
    off_track = "off-track"
    at_risk = "at-risk"
    stale = "stale"


class QualityFormat(StrEnum):
    """Output of the commands that print a table for people or JSON for tools."""

    table = "table"
    json = "json"


def _pair_inputs(files: list[str], mappings: list[str], settings, data_dir: Path | None):
    """(path, mapping, mapping base folder) for each input, from the config or the arguments.

    A FILE that is a folder stands for every CSV and Excel file in it. Without any --mapping,
    every file is recognised from its headers; with them, files and mappings pair by position
    (`auto` recognises that one file).
    """
    from salesmetrics.config import AUTO_MAPPING, InputSpec
    from salesmetrics.ingest.detect import files_in

    if settings is not None and (settings.inputs or settings.canonical or settings.spark.tables):
        if files or mappings:
            raise typer.BadParameter(
                "give inputs either in --config or as FILE... [--mapping ...], not both"
            )
        if settings.canonical:
            raise typer.BadParameter(
                f"{settings.path} computes from a canonical dataset (canonical: "
                f"{settings.canonical}), not from exports; give the exports as FILE..."
            )
        if not settings.inputs:
            raise typer.BadParameter(
                f"{settings.path} computes from tables of Spark's catalog (spark: tables:), "
                "not from exports; give the exports as FILE..."
            )
        return settings.inputs
    if not files:
        raise typer.BadParameter(
            "give FILE... or a folder (with --mapping for each file, or none to recognise "
            "them), or --config"
        )
    paths = [str(data_dir / f) if data_dir and f != "-" else f for f in files]
    folders = {p for p in paths if p != "-" and Path(p).is_dir()}
    base = Path.cwd()
    if mappings:
        if folders:
            raise typer.BadParameter(
                f"{sorted(folders)[0]} is a folder: its files are recognised, so give folders "
                "without --mapping (or name each file with its --mapping)"
            )
        if len(files) != len(mappings):
            raise typer.BadParameter(
                f"{len(files)} file(s) but {len(mappings)} --mapping option(s): give one mapping "
                f"per file, in the same order (`{AUTO_MAPPING}` to recognise one), or no "
                "--mapping to recognise them all"
            )
        return tuple(InputSpec(p, m, base) for p, m in zip(paths, mappings, strict=True))
    expanded: list[str] = []
    for p in paths:
        expanded += files_in(p) if p in folders else [p]
    return tuple(InputSpec(p, AUTO_MAPPING, base) for p in expanded)


def _load(specs, settings, mapping_dirs, *, quiet: bool, no_color: bool, **options):
    """Every input recognised (each choice and its reason said on stderr) and loaded, with a
    spinner at a terminal; the load warnings said on stderr. Returns what `load_each` does:
    the loaded inputs and the unusable ones."""
    from salesmetrics.pipeline import load_each
    from salesmetrics.render.console import make_console

    err = make_console(sys.stderr, no_color=no_color)

    def say(found) -> None:
        if not quiet:
            typer.echo(found.reason(), err=True)

    folders = (*(settings.mapping_dirs if settings is not None else ()), *(mapping_dirs or ()))
    loaded, unusable = load_each(
        specs,
        each=lambda spec: _progress(err, spec.path, quiet),
        mapping_dirs=folders,
        on_recognised=say,
        **options,
    )
    if not quiet:
        for item in loaded:
            for warning in item.quality.warnings:
                typer.echo(f"warning: {warning}", err=True)
    return loaded, unusable


def _unusable(unusable, inputs: int, usable: int, skip: bool, *, computing: bool) -> bool:
    """Say on stderr which inputs cannot be used, in one summary: a line per file. Returns
    whether the run must stop with exit 1: something is unusable and --skip-unrecognised was
    not given, or nothing at all is usable. One input alone gets its full one-line error."""
    if not unusable:
        return False
    if inputs == 1:
        typer.echo(f"error: {_describe(unusable[0].error)}", err=True)
        return True
    stop = not skip or usable == 0
    if stop:
        head = f"error: {len(unusable)} of {inputs} inputs cannot be used"
        if usable == 0:
            head = f"error: none of the {inputs} inputs can be used"
        head += ", so no report was made:" if computing else ":"
    else:
        head = f"warning: {len(unusable)} of {inputs} inputs left out (--skip-unrecognised):"
    lines = [head, *(f"  {item.line}" for item in unusable)]
    if stop:
        lines.append(
            "give a file its mapping (--mapping NAME, or `mapping:` in the config) or write "
            "one with `salesmetrics mappings infer FILE`; --skip-unrecognised goes on without "
            "the files that cannot be used"
        )
    typer.echo("\n".join(lines), err=True)
    return stop


def _one_line_errors(command: Callable[..., None]) -> Callable[..., None]:
    """Expected failures become one line on stderr and exit code 1, never a traceback; a
    closed stdout (`| head`) ends the command quietly with 141, as shell tools do."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        from salesmetrics.errors import SalesmetricsError
        from salesmetrics.render.safe import plain

        try:
            try:
                command(*args, **kwargs)
            finally:
                sys.stdout.flush()  # a closed pipe or a full disk shows here, not at exit
        except BrokenPipeError:
            _settle_stdout()
            raise typer.Exit(EXIT_PIPE) from None
        except (SalesmetricsError, OSError) as exc:
            _settle_stdout()
            if _State.debug or os.environ.get("SALESMETRICS_DEBUG"):
                raise
            typer.echo(f"error: {plain(_describe(exc))}", err=True)
            raise typer.Exit(EXIT_INPUT) from None

    return run


def _settle_stdout() -> None:
    """Flush stdout; what it cannot take (a closed pipe, a full disk) goes to /dev/null
    instead, so that Python's own flush at exit prints no "Exception ignored"."""
    try:
        sys.stdout.flush()
    except OSError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return str(exc)


Files = Annotated[
    list[str] | None,
    typer.Argument(
        help="Export files (CSV, CSV.GZ, XLSX, XLS) or folders of them; - is stdin. "
        "Without --mapping each is recognised from its headers."
    ),
]


@app.command()
@_one_line_errors
def validate(
    files: Files = None,
    mapping: Mappings = None,
    mapping_dirs: MappingDirs = None,
    skip_unrecognised: SkipUnrecognised = False,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Report config listing the inputs.")
    ] = None,
    data_dir: DataDir = None,
    output_format: Annotated[
        QualityFormat, typer.Option("--format", "-f", help="table or json.")
    ] = QualityFormat.table,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Write every rejected row to this CSV (- is stdout)."),
    ] = None,
    csv_formulas: CsvFormulasOption = CsvFormulas.escape,
    max_reject_rate: Annotated[
        float,
        typer.Option(help="Exit 3 when an input rejects more than this share of its rows.", min=0),
    ] = 0.0,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="What is otherwise a warning about a file (a stage value no mapping places, "
            "a read option the file disagrees with) is an error.",
        ),
    ] = False,
    export_to: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="Write the loaded tables to this folder as a canonical dataset (Parquet, one "
            "folder per entity, and a manifest), for `report --canonical`.",
        ),
    ] = None,
    quiet: Quiet = False,
    no_color: NoColor = False,
) -> None:
    """Load exports through their mappings and report what happened to every row.

    Example: salesmetrics validate deals.csv --mapping hubspot_deals --rejects rejected.csv

    Example: salesmetrics validate exports/2026-10/   (every file in it, each recognised)
    """

    from salesmetrics.config import load_config
    from salesmetrics.engine import feeds
    from salesmetrics.pipeline import hints_of
    from salesmetrics.render.console import make_console
    from salesmetrics.render.validation import render_json, render_table

    settings = load_config(config, data_dir) if config is not None else None
    snapshots = settings.snapshot_inputs if settings is not None else ()
    specs = (*_pair_inputs(files or [], mapping or [], settings, data_dir), *snapshots)
    _refuse_writing_an_input("--rejects", rejects, _sources(specs, config))
    loaded, unusable = _load(
        specs,
        settings,
        mapping_dirs,
        quiet=quiet,
        no_color=no_color,
        keep_all_columns=rejects is not None,
        strict=strict,
        as_of=settings.as_of if settings is not None else None,
    )
    err = make_console(sys.stderr, no_color=no_color)
    qualities = [item.quality for item in loaded]
    fed = [feeds(item.entity, item.frame, hints_of([item])) for item in loaded]
    if output_format is QualityFormat.json:
        render_json(qualities, sys.stdout, fed, unusable=[u.line for u in unusable])
    elif not quiet:
        render_table(qualities, make_console(sys.stdout, no_color=no_color), fed)
    if rejects is not None:
        _write_rejects(rejects, loaded, csv_formulas)
        if not quiet:
            total = sum(len(item.rejects) for item in loaded)
            err.print(f"wrote {total:,} rejected row(s) to {rejects}", markup=False)
    over = [q for q in qualities if q.reject_rate > max_reject_rate]
    for q in over:
        typer.echo(
            f"{q.path}: {q.rows_rejected:,} of {q.rows_read:,} rows rejected "
            f"({q.reject_rate:.2%}), above --max-reject-rate {max_reject_rate:.2%}",
            err=True,
        )
    if _unusable(unusable, len(specs), len(loaded), skip_unrecognised, computing=False):
        raise typer.Exit(EXIT_INPUT)
    if export_to is not None:  # the current exports: a snapshot is read with its config
        current = [item for item in loaded if item.path not in {s.path for s in snapshots}]
        _export(current, export_to, settings, quiet=quiet, no_color=no_color)
    if over:
        raise typer.Exit(EXIT_REJECTS)


def _export(loaded, folder: Path, settings, *, quiet: bool, no_color: bool) -> None:
    """The loaded inputs as a canonical dataset in `folder`, said on stderr."""
    from datetime import date

    from salesmetrics.canonical import export
    from salesmetrics.pipeline import frames_of
    from salesmetrics.render.console import make_console

    as_of = (settings.as_of if settings is not None else None) or date.today()
    manifest = export(frames_of(loaded), [item.quality for item in loaded], folder, as_of)
    if not quiet:
        listed = ", ".join(f"{n} {e['rows']:,}" for n, e in manifest["entities"].items())
        make_console(sys.stderr, no_color=no_color).print(
            f"wrote canonical dataset to {folder}: {listed} rows", markup=False
        )


@app.command()
@_one_line_errors
def kpis(
    files: Files = None,
    mapping: Mappings = None,
    mapping_dirs: MappingDirs = None,
    stage: Annotated[
        list[str] | None, typer.Option("--stage", "-s", help="Only this funnel stage (repeatable).")
    ] = None,
    missing: Annotated[
        bool,
        typer.Option(
            "--missing",
            help="Only the KPIs a report over these inputs (--config or FILE...) skips, each "
            "with what it needs.",
        ),
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="With --missing: the report config's inputs."),
    ] = None,
    data_dir: DataDir = None,
    output_format: Annotated[
        QualityFormat, typer.Option("--format", "-f", help="table or json.")
    ] = QualityFormat.table,
    no_color: NoColor = False,
) -> None:
    """List the KPI catalogue: id, stage, unit, formula, inputs and benchmark; with --missing,
    the KPIs the given inputs cannot feed and why.

    Example: salesmetrics kpis --stage close --format json

    Example: salesmetrics kpis --missing --config sample_data/report.yaml
    """
    from salesmetrics.engine import select
    from salesmetrics.errors import SalesmetricsError
    from salesmetrics.render import catalogue
    from salesmetrics.render.console import make_console

    try:
        chosen = select(stages=stage or None)
    except SalesmetricsError as exc:
        raise typer.BadParameter(str(exc), param_hint="--stage") from None
    if not missing:
        if files or mapping or config is not None:
            raise typer.BadParameter("inputs are read only with --missing", param_hint="--missing")
        if output_format is QualityFormat.json:
            catalogue.render_json(chosen, sys.stdout)
        else:
            catalogue.render_table(chosen, make_console(sys.stdout, no_color=no_color))
        return
    skipped = _skipped_by(files or [], mapping or [], mapping_dirs, config, data_dir, no_color)
    wanted = {k.id for k in chosen}
    skipped = [s for s in skipped if s.id in wanted]
    if output_format is QualityFormat.json:
        catalogue.render_missing_json(skipped, sys.stdout)
    else:
        catalogue.render_missing_table(skipped, make_console(sys.stdout, no_color=no_color))


def _skipped_by(files, mappings, mapping_dirs, config, data_dir, no_color: bool):
    """The KPIs the report over these inputs skips, with their reasons: the config's report
    (its period, selection and settings), without trend, comparison or breakdown."""
    import dataclasses

    from salesmetrics.config import ReportConfig, load_config
    from salesmetrics.pipeline import compute_report, frames_of, hints_of

    if not files and config is None:
        raise typer.BadParameter(
            "--missing lists what a report's inputs lack: give the report's --config or "
            "FILE... [--mapping M...]",
            param_hint="--missing",
        )
    settings = load_config(config, data_dir) if config is not None else ReportConfig(None, ())
    specs = (*_pair_inputs(files, mappings, settings, data_dir), *settings.snapshot_inputs)
    loaded, unusable = _load(
        specs, settings, mapping_dirs, quiet=True, no_color=no_color, as_of=settings.as_of
    )
    if _unusable(unusable, len(specs), len(loaded), False, computing=True):
        raise typer.Exit(EXIT_INPUT)
    quick = dataclasses.replace(settings, trend=0, compare="none", by=(), strict=False)
    snapshot = settings.previous_snapshot.spec if settings.previous_snapshot else None
    return compute_report(quick, frames_of(loaded, snapshot), hints=hints_of(loaded)).skipped


@app.command()
@_one_line_errors
def report(
    files: Files = None,
    mapping: Mappings = None,
    mapping_dirs: MappingDirs = None,
    skip_unrecognised: SkipUnrecognised = False,
    config: ReportConfig = None,
    data_dir: DataDir = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            "-p",
            help="2026-10, 2026-Q3, 2026, 2026-W14, last-month (default), latest-month (the "
            "last month the data reaches), last-quarter, this-month, ytd, all.",
        ),
    ] = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    as_of: AsOf = None,
    compare: Annotated[
        Compare | None, typer.Option("--compare", help="previous (default), year or none.")
    ] = None,
    trend: Annotated[
        int | None, typer.Option("--trend", help="Values for the last N periods.", min=1)
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Break down by a dimension or month|week|quarter (repeatable)."),
    ] = None,
    kpi: Annotated[
        list[str] | None, typer.Option("--kpi", help="Only this KPI id (repeatable).")
    ] = None,
    stage: Annotated[
        list[str] | None, typer.Option("--stage", help="Only this funnel stage (repeatable).")
    ] = None,
    currency: Currency = None,
    canonical: Annotated[
        Path | None,
        typer.Option(
            "--canonical",
            help="Compute from a canonical dataset (`validate --export`) instead of exports "
            "(it replaces a config's inputs or canonical:; its other settings apply).",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="A KPI that cannot be computed, or what is otherwise a warning about a file, "
            "is an error.",
        ),
    ] = False,
    max_reject_rate: Annotated[
        float | None,
        typer.Option(
            help="Exit 3 when an input rejects more than this share of its rows (default 0.05, "
            "or max_reject_rate in the config).",
            min=0,
        ),
    ] = None,
    output_format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table, json, ndjson, csv, markdown or xlsx (default: from the --output "
            "file's suffix, else table).",
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write here instead of stdout (- is stdout); may hold {period} and {as_of}.",
        ),
    ] = None,
    csv_formulas: CsvFormulasOption = CsvFormulas.escape,
    limit: Annotated[
        int, typer.Option(help="Rows per breakdown table in table view; 0 for all.", min=0)
    ] = 20,
    summary: Annotated[
        bool,
        typer.Option(
            "--summary",
            help="Table and Markdown: only the executive summary (bookings vs quota, win rate, "
            "pipeline, forecast, cycle, MRR; the largest moves).",
        ),
    ] = False,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Table and Markdown: the summary, then every stage's KPIs and every skipped "
            "KPI (default: the stages whose KPIs have data, the skipped ones in one line).",
        ),
    ] = False,
    show_skipped: Annotated[
        bool,
        typer.Option("--show-skipped", help="List each skipped KPI and why, not one line."),
    ] = False,
    all_groups: Annotated[
        bool,
        typer.Option(
            "--all-groups", help="Keep breakdown groups with no rows in the period or comparison."
        ),
    ] = False,
    variants: Annotated[
        bool,
        typer.Option(
            "--variants",
            help="Every named variant of a KPI (win rate as won / SQL...) under it, not only "
            "the one the config's variants: chooses (salesmetrics kpis lists them).",
        ),
    ] = False,
    fail_on: Annotated[
        list[FailOn] | None,
        typer.Option(
            "--fail-on",
            help="off-track or at-risk: exit 4 when a KPI is off track (or at risk); stale: "
            "exit 5 when an input has no row in the period (repeatable).",
        ),
    ] = None,
    memory_limit: MemoryLimit = None,
    engine: EngineOption = None,
    quiet: Quiet = False,
    no_color: NoColor = False,
) -> None:
    """Compute the funnel KPIs from exports and print or write the report.

    Example: salesmetrics report --config sample_data/report.yaml --period 2026-10 --by owner

    Example: salesmetrics report exports/2026-10/ --period 2026-10   (files recognised)
    """

    from dataclasses import replace

    from salesmetrics.config import MAX_TREND, ReportConfig, check_spark_tables, load_config
    from salesmetrics.currency import Rates, rebase
    from salesmetrics.pipeline import compute_report, frames_of, hints_of, with_overrides
    from salesmetrics.render.console import make_console
    from salesmetrics.render.safe import plain

    if summary and show_all:
        raise typer.BadParameter("give --summary or --all, not both", param_hint="--summary")
    output_format = _format_for(output_format, output)
    if output_format is ReportFormat.xlsx and output in (None, "-"):
        raise typer.BadParameter("--format xlsx needs --output FILE.xlsx", param_hint="--output")
    template = _output_template(output)
    _check_selection(kpi or [], stage or [], period)
    if trend is not None and trend > MAX_TREND:
        raise typer.BadParameter(f"at most {MAX_TREND} periods, got {trend}", param_hint="--trend")
    settings = load_config(config, data_dir) if config is not None else ReportConfig(None, ())
    if canonical is not None and files:
        raise typer.BadParameter(
            "give either --canonical or FILE..., not both (a config's inputs are replaced by "
            "--canonical, its other settings kept)",
            param_hint="--canonical",
        )
    if canonical is None and not files:
        canonical = settings.canonical  # the config's `canonical:`, unless --canonical replaces it
    lake = settings.spark.tables if canonical is None and not files else ()  # `spark: tables:`
    own = not canonical and not lake
    specs = _pair_inputs(files or [], mapping or [], settings, data_dir) if own else ()
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
        compare=compare.value if compare else None,
        trend=trend,
        by=tuple(by or ()),
        kpis=tuple(kpi or ()),
        stages=tuple(stage or ()),
        strict=strict or None,
        rates=rates,
        all_variants=variants or None,
        memory_limit=memory_limit,
        engine=engine_of(engine, settings.engine, memory_limit),
        spark=replace(settings.spark, tables=lake),  # none when --canonical or FILE... replace them
    )
    check_spark_tables(settings)
    _check_trend(settings, trend)
    err = make_console(sys.stderr, no_color=no_color)
    snapshot = settings.previous_snapshot.spec if settings.previous_snapshot else None
    reads = (*specs, *settings.snapshot_inputs)
    loaded, unusable = _load(
        reads,
        settings,
        mapping_dirs,
        quiet=quiet,
        no_color=no_color,
        strict=settings.strict,
        as_of=settings.as_of,
    )
    if _unusable(unusable, len(reads), len(loaded), skip_unrecognised, computing=True):
        raise typer.Exit(EXIT_INPUT)
    frames: dict[str, Table] = dict(frames_of(loaded, snapshot))
    qualities = [i.quality for i in loaded]
    hints: dict[str, str] | None = hints_of(loaded)
    if canonical is not None:
        from salesmetrics.canonical import read as read_canonical

        dataset = read_canonical(canonical)
        frames = {**dataset.frames, **frames}
        qualities = [*dataset.qualities, *qualities]
        hints = None
    if lake:
        from salesmetrics.canonical import read_spark
        from salesmetrics.spark import session

        spark = session(settings.spark.remote, settings.spark.conf)
        frames = {**read_spark(lake, spark).frames, **frames}
        hints = None
    limit_rejects = max_reject_rate if max_reject_rate is not None else settings.max_reject_rate
    _refuse_rejects(qualities, limit_rejects if limit_rejects is not None else 0.05)
    result = compute_report(settings, frames, hints=hints, all_groups=all_groups)
    failing = set(fail_on or ())
    target = template.format(period=result.period.label, as_of=result.as_of.isoformat())
    _refuse_writing_an_input("--output", target, _sources(reads, config))
    on_screen = output_format is ReportFormat.table and target == "-" and sys.stdout.isatty()
    if (not quiet or FailOn.stale in failing) and not on_screen:  # the table starts with them
        for warning in result.warnings:
            typer.echo(f"warning: {plain(warning.message)}", err=True)
    _write_report(
        result,
        qualities,
        output_format,
        target,
        limit=limit,
        no_color=no_color,
        escape_formulas=csv_formulas is CsvFormulas.escape,
        view="summary" if summary else "all" if show_all else "default",
        show_skipped=show_skipped,
    )
    if target != "-" and not quiet:
        err.print(
            f"wrote {output_format.value} report for {result.period.label} to {target}",
            markup=False,
        )
    _check_failures(result, failing)


def _day(value: str | None, option: str):
    """A --from, --to or --as-of day: YYYY-MM-DD within the span reports are made for, else a
    usage error naming the option."""
    from datetime import date

    from salesmetrics.periods import PeriodError, in_span

    try:
        return in_span(date.fromisoformat(value), option) if value else None
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None
    except ValueError:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param_hint=option) from None


def _check_selection(kpis: list[str], stages: list[str], period: str | None) -> None:
    """Mistyped KPI ids, stages and periods are usage errors, found before any file is read."""
    from datetime import date

    from salesmetrics.engine import select
    from salesmetrics.errors import SalesmetricsError
    from salesmetrics.periods import PeriodError, resolve_period

    for option, given in (("--kpi", kpis), ("--stage", stages)):
        try:
            select(given if option == "--kpi" else None, given if option == "--stage" else None)
        except SalesmetricsError as exc:
            raise typer.BadParameter(str(exc), param_hint=option) from None
    if period is not None:
        today = date.today()
        try:
            resolve_period(period, today, data_span=(today, today))
        except PeriodError as exc:
            raise typer.BadParameter(str(exc), param_hint="--period") from None


def _check_trend(settings, trend: int | None) -> None:
    """A --trend that starts before the first day reported on is a usage error, found before
    any file is read unless the period depends on the data (`all`, `latest-month`)."""
    from datetime import date

    from salesmetrics.periods import PeriodError, between, resolve_period
    from salesmetrics.periods import trend as trend_of
    from salesmetrics.pipeline import DEFAULT_PERIOD

    spec = settings.period or DEFAULT_PERIOD
    if trend is None or (settings.date_from is None and spec.lower() in ("all", "latest-month")):
        return
    try:
        if settings.date_from is not None and settings.date_to is not None:
            chosen = between(settings.date_from, settings.date_to)
        else:
            today = settings.as_of or date.today()
            chosen = resolve_period(spec, today, fiscal_start_month=settings.fiscal_year_start)
    except PeriodError:
        return  # said in full where the period is resolved
    try:
        trend_of(chosen, trend)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint="--trend") from None


def _refuse_rejects(qualities, max_reject_rate: float) -> None:
    """A report over inputs that lost too many rows would mislead: stop before computing it."""
    over = [q for q in qualities if q.reject_rate > max_reject_rate]
    for q in over:
        typer.echo(
            f"{q.path}: {q.rows_rejected:,} of {q.rows_read:,} rows rejected "
            f"({q.reject_rate:.2%}), above --max-reject-rate {max_reject_rate:.2%}; "
            "see `salesmetrics validate ... --rejects FILE`",
            err=True,
        )
    if over:
        raise typer.Exit(EXIT_REJECTS)


OUTPUT_FIELDS = ("period", "as_of")


SUFFIX_FORMATS = {
    ".xlsx": ReportFormat.xlsx,
    ".json": ReportFormat.json,
    ".ndjson": ReportFormat.ndjson,
    ".jsonl": ReportFormat.ndjson,
    ".csv": ReportFormat.csv,
    ".md": ReportFormat.markdown,
    ".markdown": ReportFormat.markdown,
}
"""The format an --output file's suffix says, when --format is not given."""


def _format_for(given: ReportFormat | None, output: str | None) -> ReportFormat:
    """--format, else the one the --output file's suffix says, else table. A --format that
    the suffix contradicts (`-f table -o report.xlsx`) is a usage error: the file would not be
    what its name says, and a spreadsheet program could not open it."""
    suffix = PurePath(output).suffix.lower() if output not in (None, "-") else ""
    implied = SUFFIX_FORMATS.get(suffix)
    if given is None:
        return implied or ReportFormat.table
    if implied is not None and implied is not given:
        raise typer.BadParameter(
            f"--format {given.value} does not write a {suffix} file (--format {implied.value} "
            "does): leave --format out, and the suffix chooses it, or change the suffix",
            param_hint="--format",
        )
    return given


def _output_template(output: str | None) -> str:
    """--output, checked before any file is read: it may hold {period} and {as_of} (and `{{`,
    `}}` for a brace), nothing else, so a path can never reach into Python's format language
    (`{period.__class__}`, `{period!r}`, `{period:>9}`)."""
    import string

    template = output or "-"
    fields = "it may hold {period} and {as_of} (write {{ and }} for a brace)"
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise typer.BadParameter(f"{template!r}: {exc}; {fields}", param_hint="--output") from None
    for _, name, spec, conversion in parts:
        if name is not None and (name not in OUTPUT_FIELDS or spec or conversion):
            shown = "{" + name + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise typer.BadParameter(
                f"{template!r}: {shown} is not a field of the path; {fields}",
                param_hint="--output",
            )
    return template


def _sources(specs, config: Path | None) -> list[str]:
    """What a command reads: its inputs, their mapping files and the config."""
    from salesmetrics.ingest.mapping import resolve_mapping

    found = [spec.path for spec in specs] + ([str(config)] if config is not None else [])
    for spec in specs:
        if spec.mapping.endswith((".yaml", ".yml")):
            found.append(str(resolve_mapping(spec.mapping, spec.mapping_base)))
    return found


def _refuse_writing_an_input(option: str, target: str | Path | None, sources) -> None:
    """An output that is one of the files read, by whatever path (a link, `./x/../deals.csv`,
    a hard link; `-` for a redirected stdin), would destroy it: a usage error, before anything
    is written. Devices and FIFOs are written in place, never replaced, so they are let be."""
    import stat

    if target is None or str(target) == "-":
        return
    try:
        written = os.stat(target)
    except OSError:
        return  # nothing there yet
    if not stat.S_ISREG(written.st_mode):
        return
    for source in sources:
        try:
            read = os.fstat(sys.stdin.fileno()) if source == "-" else os.stat(source)
        except (OSError, ValueError):
            continue
        if (read.st_dev, read.st_ino) == (written.st_dev, written.st_ino):
            shown = "standard input" if source == "-" else source
            raise typer.BadParameter(
                f"{target} is the file read as {shown}: writing it would destroy it; "
                "give another path",
                param_hint=option,
            )


def _write_report(
    result,
    qualities,
    output_format,
    target: str,
    *,
    limit: int,
    no_color: bool,
    escape_formulas: bool = True,
    view: str = "default",
    show_skipped: bool = False,
):
    from salesmetrics.atomic import write_text_atomic
    from salesmetrics.render import flat, json_report, terminal
    from salesmetrics.render.console import make_console
    from salesmetrics.summary import View

    if output_format is ReportFormat.xlsx:
        from salesmetrics.render.xlsx import write_workbook

        write_workbook(result, qualities, Path(target))
        return
    buffer = io.StringIO() if target != "-" else sys.stdout
    if output_format is ReportFormat.table:
        console = make_console(buffer, no_color=no_color or target != "-")
        terminal.render(
            result, qualities, console, limit=limit, view=View(view), show_skipped=show_skipped
        )
    elif output_format is ReportFormat.json:
        json_report.render(result, qualities, buffer)
    elif output_format is ReportFormat.ndjson:
        flat.render_ndjson(result, buffer)
    elif output_format is ReportFormat.csv:
        flat.render_csv(result, buffer, escape_formulas=escape_formulas)
    else:
        flat.render_markdown(result, qualities, buffer, view=View(view), show_skipped=show_skipped)
    if isinstance(buffer, io.StringIO):
        write_text_atomic(Path(target), buffer.getvalue())


def _check_failures(result, fail_on: set[FailOn]) -> None:
    """The exit code --fail-on asks for: 5 when an input does not cover the period (its
    warnings are on stderr already), else 4 when a KPI is off track (or at risk). Stale data
    wins: statuses measured on a period the data does not reach say nothing about sales."""
    bad = set()
    if FailOn.off_track in fail_on or FailOn.at_risk in fail_on:
        bad = {"off_track", "at_risk"} if FailOn.at_risk in fail_on else {"off_track"}
    failing = [v for v in result.values if v.status in bad]
    for v in failing:
        group = ", ".join(f"{d}={x}" for d, x in v.group) or "total"
        typer.echo(f"{v.id} ({group}) is {v.status.replace('_', ' ')}", err=True)
    stale = [w for w in result.warnings if w.code in ("stale_input", "empty_period")]
    if FailOn.stale in fail_on and stale:  # not the other warnings (targets_calendar)
        raise typer.Exit(EXIT_STALE)
    if failing:
        raise typer.Exit(EXIT_TARGETS)


def _progress(console, path: str, quiet: bool):
    """A spinner on stderr while a file loads, only at a terminal."""
    import contextlib

    if quiet or not console.is_terminal:
        return contextlib.nullcontext()
    return console.status(f"Reading {path} …", spinner="dots")


def _write_rejects(path: Path, loaded, csv_formulas: CsvFormulas = CsvFormulas.escape) -> None:
    """Every rejected row, its original values as read; texts a spreadsheet would run as a
    formula get a leading ' unless --csv-formulas keep."""
    import pandas as pd

    from salesmetrics.atomic import write_atomic
    from salesmetrics.render.flat import csv_writer
    from salesmetrics.render.safe import formulas

    frames = [item.rejects.assign(file=item.path) for item in loaded if len(item.rejects)]
    columns = ["file", "row", "reason"]
    combined = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    ordered = combined[columns + [c for c in combined.columns if c not in columns]]
    if csv_formulas is CsvFormulas.escape:
        ordered = ordered.apply(formulas)
    cells = ordered.astype("string").fillna("")

    def write(stream) -> None:
        writer = csv_writer(lambda row: stream.write(row.encode("utf-8")))
        writer.writerow(cells.columns)
        writer.writerows(cells.itertuples(index=False, name=None))

    write_atomic(path, write)


app.command("init")(_one_line_errors(init))
app.command("diff")(_one_line_errors(diff))
app.command("explain")(_one_line_errors(explain))
app.add_typer(mappings_app, name="mappings")


class _StandardOutput(io.FileIO):
    """File descriptor 1, whose write errors name it: "standard output: No space left on
    device" rather than an OSError naming nothing."""

    def write(self, data: ReadableBuffer, /) -> int:
        try:
            return super().write(data)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, "standard output") from None


def _name_stdout() -> None:
    """sys.stdout over _StandardOutput, with the same encoding and buffering."""
    old = sys.stdout
    try:
        old.flush()
        raw = _StandardOutput(old.fileno(), "w", closefd=False)
    except (AttributeError, OSError, ValueError):
        return  # no stdout, or not a file: leave it as it is
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=old.encoding,
        errors=old.errors,
        line_buffering=bool(old.line_buffering),
    )


def main() -> None:
    """Run the CLI: expected failures become one line on stderr and an exit code."""
    _name_stdout()
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)

    except SystemExit:
        raise
    except Exception as exc:
        if isinstance(exc, typer.TyperException) and hasattr(exc, "show"):
            exc.show()  # click's usage errors: message and usage line, exit code 2
            sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
        if _State.debug or os.environ.get("SALESMETRICS_DEBUG"):
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc} (run with --debug for details, "
            "and please report it)",
            file=sys.stderr,
        )
        sys.exit(EXIT_INPUT)
    except BaseException as exc:
        from salesmetrics.atomic import Interrupted

        if not isinstance(exc, Interrupted):
            raise
        _settle_stdout()
        print(exc, file=sys.stderr)  # "stopped by SIGTERM: r.xlsx was not written (...)"
        sys.exit(128 + exc.signum)
