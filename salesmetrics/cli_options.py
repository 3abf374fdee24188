"""Options several commands share (report, validate, explain…), declared once so each says
the same thing the same way."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class CsvFormulas(StrEnum):
    """What a CSV does with a text that a spreadsheet would run as a formula."""

    escape = "escape"
    keep = "keep"


CsvFormulasOption = Annotated[
    CsvFormulas,
    typer.Option(
        "--csv-formulas",
        help="escape (default): a text starting with = + - @ tab or CR is written with a "
        "leading ' so that a spreadsheet shows it instead of running it (plain numbers are "
        "left alone); keep: write it as it is.",
    ),
]


Mappings = Annotated[
    list[str] | None,
    typer.Option(
        "--mapping",
        "-m",
        help="Mapping preset or .yaml path, one per file (auto: recognise it).",
    ),
]
SkipUnrecognised = Annotated[
    bool,
    typer.Option(
        "--skip-unrecognised",
        help="Go on without the files that cannot be recognised or loaded (each is still "
        "listed on stderr) and exit 0 for them; with none usable, exit 1 all the same.",
    ),
]
MappingDirs = Annotated[
    list[Path] | None,
    typer.Option(
        "--mappings",
        help="A folder of your own mappings, tried with the presets when a file is "
        "recognised (repeatable; added to the config's `mappings:`).",
    ),
]

ReportConfig = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Report config: inputs and options (see README)."),
]

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Folder the config's input paths are relative to."),
]

DateFrom = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD), with --to.")]
DateTo = Annotated[str | None, typer.Option("--to", help="Last day, included.")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="Today's date for the run (YYYY-MM-DD).")]

Currency = Annotated[
    str | None, typer.Option("--currency", help="Reporting currency (rates in the config).")
]

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]

NoColor = Annotated[bool, typer.Option("--no-color", help="No colour.")]


def _memory_size(value: str | None) -> str | None:
    """--memory-limit checked while the options are parsed, before any file is read."""
    from salesmetrics.errors import SalesmetricsError
    from salesmetrics.memory import parse

    try:
        return parse(value) if value is not None else None
    except SalesmetricsError as exc:
        raise typer.BadParameter(str(exc)) from None


MemoryLimit = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        callback=_memory_size,
        help="DuckDB's memory limit for the KPI queries, e.g. 1GB or 500MB; beyond it they "
        "spill to a temporary folder (default: SALESMETRICS_MEMORY_LIMIT, else 80% of RAM).",
    ),
]


class Engine(StrEnum):
    """The SQL engine of the KPI queries (salesmetrics.backend.ENGINES)."""

    duckdb = "duckdb"
    spark = "spark"


EngineOption = Annotated[
    Engine | None,
    typer.Option(
        "--engine",
        envvar="SALESMETRICS_ENGINE",
        show_envvar=False,
        help="duckdb (default) or spark: what runs the KPI queries. spark needs `pip install "
        "'salesmetrics[spark]'` and Java, or a Spark Connect server (the config's spark: "
        "remote:, or SALESMETRICS_SPARK_REMOTE); also SALESMETRICS_ENGINE; over the config's "
        "engine:.",
    ),
]


def engine_of(given: Engine | None, configured: str, memory_limit: str | None) -> str:
    """The report's engine: --engine (or SALESMETRICS_ENGINE), else the config's; with spark,
    --memory-limit (DuckDB's) is a usage error."""
    from salesmetrics.backend import NOT_WITH_SPARK

    engine = given.value if given is not None else configured
    if engine == Engine.spark and memory_limit is not None:
        raise typer.BadParameter(NOT_WITH_SPARK, param_hint="--memory-limit")
    return engine
