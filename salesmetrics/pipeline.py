"""From a report config to a Report: load every input, then compute with the config's options.

Command-line options arrive as overrides, so the CLI and library users share one path.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from salesmetrics.anomalies import check
from salesmetrics.backend import NOT_WITH_SPARK, using
from salesmetrics.config import InputSpec, ReportConfig, check_spark_tables
from salesmetrics.diff import stages_seen
from salesmetrics.engine import SMALL_SAMPLE, compute, span
from salesmetrics.errors import ConfigError, InputError
from salesmetrics.ingest.detect import NotRecognised, Recognition, recognise_inputs
from salesmetrics.ingest.history import join_history
from salesmetrics.ingest.load import LoadedInput, load_input
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.kpis.movement import ENTITY
from salesmetrics.memory import limited
from salesmetrics.periods import Period, PeriodError, between, in_span, resolve_period
from salesmetrics.report import Report
from salesmetrics.schema import STAGE_DATE_PREFIX
from salesmetrics.tables import SparkTable, Table
from salesmetrics.variants import side_by_side

DEFAULT_PERIOD = "last-month"
SNAPSHOT = ENTITY
"""The frame of the config's previous_snapshot (salesmetrics.kpis.movement reads it)."""
LOAD_THREADS = "SALESMETRICS_LOAD_THREADS"


@dataclass(frozen=True)
class Unusable:
    """An input that could not be used: not recognised, unreadable, or not loaded."""

    spec: InputSpec
    error: InputError

    @property
    def line(self) -> str:
        """Why, in one line that names the file (a recognition failure in brief)."""
        if isinstance(self.error, NotRecognised):
            return self.error.brief()
        return str(self.error)


def load_each(
    specs: Iterable[InputSpec],
    *,
    each: Callable[[InputSpec], Any] | None = None,
    mapping_dirs: Iterable[Path] = (),
    strict: bool = False,
    keep_all_columns: bool = False,
    on_recognised: Callable[[Recognition], None] | None = None,
    as_of: date | None = None,
) -> tuple[list[LoadedInput], list[Unusable]]:
    """Every input that can be used, loaded through its mapping, and every one that cannot,
    with why: a file is never left unread because another failed. An `auto` mapping is first
    recognised from the file's headers among the presets and `mapping_dirs` (`on_recognised`
    hears of each); `each(spec)` may return a context manager (the CLI's progress spinner).
    A stage history is then joined to the deals (salesmetrics.ingest.history), and the rows
    are checked for impossible values, dates after `as_of` (today unless given) + 10 years
    among them (salesmetrics.anomalies).

    The inputs are read at once on up to `SALESMETRICS_LOAD_THREADS` threads (default: the
    machine's cores, at most 4; Arrow parses without the GIL), but taken in their order:
    `each`, the results and the errors come input by input as they would one after another."""
    specs = tuple(specs)
    today = _day(as_of or date.today(), "as_of")
    _refuse_the_same_file_twice(specs)
    unusable: list[Unusable] = []

    def refuse(spec: InputSpec, exc: InputError) -> None:
        unusable.append(Unusable(spec, exc))

    recognised = recognise_inputs(
        specs, mapping_dirs, on_recognised=on_recognised, on_unrecognised=refuse
    )

    def load(spec: InputSpec) -> LoadedInput:
        return load_input(
            spec.path,
            spec.mapping,
            base_dir=spec.mapping_base,
            keep_all_columns=keep_all_columns,
            strict=strict,
        )

    loaded = []
    with ThreadPoolExecutor(max(1, min(len(recognised), _workers()))) as pool:
        started = [pool.submit(load, spec) for spec in recognised]
        try:
            for spec, future in zip(recognised, started, strict=True):
                try:
                    with each(spec) if each is not None else contextlib.nullcontext():
                        loaded.append(future.result())
                except InputError as exc:
                    refuse(spec, exc)
        finally:  # an error that is no InputError (a bug, Ctrl-C): start no further input
            for future in started:
                future.cancel()
    order = {spec.path: i for i, spec in reversed(list(enumerate(specs)))}
    unusable.sort(key=lambda u: order.get(u.spec.path, len(specs)))
    return check(join_history(loaded), today), unusable


def _workers() -> int:
    """How many inputs are read at once: `SALESMETRICS_LOAD_THREADS`, else the cores (at most
    4: each input being read holds its raw columns as well as its typed ones)."""
    given = os.environ.get(LOAD_THREADS, "").strip()
    if not given:
        return min(4, os.cpu_count() or 1)
    if not given.isdigit() or int(given) < 1:
        raise ConfigError(f"{LOAD_THREADS}={given!r}: expected a whole number from 1")
    return int(given)


def _refuse_the_same_file_twice(specs: Iterable[InputSpec]) -> None:
    """One file given as two inputs (the same path, a link to it, `./x/../deals.csv`) would
    count every row twice: an error naming both, before anything is read. Files are compared
    by device and inode, as the paths may differ; one that cannot be opened is left to the
    error that reading it gives."""
    seen: dict[tuple[int, int], str] = {}
    for spec in specs:
        try:
            found = os.stat(spec.path) if spec.path != "-" else None
        except OSError:
            continue
        if found is None or not os.path.isfile(spec.path):
            continue  # standard input, a pipe: read once whatever it is called
        first = seen.get((found.st_dev, found.st_ino))
        if first is not None:
            which = (
                f"{first} is given twice"
                if first == spec.path
                else f"{first} and {spec.path} are the same file"
            )
            raise InputError(f"{which}: its rows would count twice; give it once")
        seen[(found.st_dev, found.st_ino)] = spec.path


def load_inputs(
    specs: Iterable[InputSpec],
    *,
    each: Callable[[InputSpec], Any] | None = None,
    mapping_dirs: Iterable[Path] = (),
    strict: bool = False,
    as_of: date | None = None,
) -> list[LoadedInput]:
    """Every input through its mapping (see `load_each`); the first input that cannot be
    used is an error, raised once every input has been tried."""
    loaded, unusable = load_each(
        specs, each=each, mapping_dirs=mapping_dirs, strict=strict, as_of=as_of
    )
    if unusable:
        raise unusable[0].error
    return loaded


def frames_of(
    loaded: Iterable[LoadedInput], snapshot: InputSpec | None = None
) -> dict[str, pd.DataFrame]:
    """One frame per entity; several files of one entity (two deal exports) are stacked. The
    input read from `snapshot` (the config's previous_snapshot) is kept apart, under
    `previous_snapshot`: an earlier export of the same deals, for the pipeline movement."""
    by_entity: dict[str, list[pd.DataFrame]] = {}
    for item in loaded:
        by_entity.setdefault(held_as(item, snapshot), []).append(item.frame)
    return {
        name: parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        for name, parts in by_entity.items()
    }


def held_as(item: LoadedInput, snapshot: InputSpec | None) -> str:
    """The name an input's frame is held under: its entity's, or `previous_snapshot` for the
    input read from `snapshot`, which must be a deals export."""
    if snapshot is None or item.path != snapshot.path:
        return item.entity
    if item.entity != "deals":
        raise ConfigError(
            f"previous_snapshot: {item.path} is read as {item.entity}, but a snapshot "
            "is an earlier deals export; give it its deals mapping (`mapping:`)"
        )
    return SNAPSHOT


def hints_of(loaded: Iterable[LoadedInput]) -> dict[str, str]:
    """For each `entity.field` an input lacks, the header(s) that would bring it (from its
    mapping's aliases), for the reasons of the KPIs skipped for want of it."""
    found: dict[str, list[str]] = {}
    for item in loaded:
        for name, headers in item.absent.items():
            found.setdefault(f"{item.entity}.{name}", []).append(headers)
    return {need: " or ".join(dict.fromkeys(headers)) for need, headers in found.items()}


def with_overrides(config: ReportConfig, **overrides: Any) -> ReportConfig:
    """The config with every override that is not None (or empty) applied. A period and
    from/to dates are two ways to say one thing: overriding either replaces the config's other
    (`--from/--to` over a config's `period:`); both given at one level are still an error."""
    known = {f.name for f in fields(ReportConfig)}
    given = {k: v for k, v in overrides.items() if v not in (None, (), [])}
    unknown = set(given) - known
    if unknown:
        raise TypeError(f"unknown report options: {sorted(unknown)}")
    dates = "date_from" in given or "date_to" in given
    if dates and "period" not in given:
        given["period"] = None
    elif "period" in given and not dates:
        given.update(date_from=None, date_to=None)
    return replace(config, **given)


def resolve(config: ReportConfig, frames: Mapping[str, Table]) -> tuple[Period, date]:
    """The report period and `as_of` (today unless fixed) from the config."""
    as_of = _day(config.as_of or date.today(), "as_of")
    if (config.date_from is None) != (config.date_to is None):
        raise ConfigError("give both a from and a to date, or neither")
    try:
        if config.date_from is not None and config.date_to is not None:
            if config.period is not None:
                raise ConfigError("give either a period or from/to dates, not both")
            return between(config.date_from, config.date_to), as_of
        return (
            resolve_period(
                config.period or DEFAULT_PERIOD,
                as_of,
                fiscal_start_month=config.fiscal_year_start,
                data_span=span(frames) or (as_of, as_of),  # undated data: a snapshot
            ),
            as_of,
        )
    except PeriodError as exc:
        raise ConfigError(str(exc)) from None


def compute_report(
    config: ReportConfig,
    frames: Mapping[str, Table],
    *,
    hints: dict[str, str] | None = None,
    all_groups: bool = False,
    **overrides: Any,
) -> Report:
    """The Report a config asks for, over already loaded frames (or inputs read in place:
    salesmetrics.tables); keyword arguments override
    the config's options (period="2026-10", by=("owner",), as_of=date(2026, 11, 23), ...).
    `hints` (from `hints_of`) name the headers an input lacks, for the skipped KPIs' reasons;
    `all_groups` keeps the breakdown groups with no rows (`--all-groups`); the config's
    `variants` choose the KPIs' named variants, and `all_variants` adds the others
    (salesmetrics.variants); `memory_limit` ("1GB") is DuckDB's (salesmetrics.memory);
    `engine` ("duckdb", "spark") runs the KPI queries, with the config's `spark` options
    (salesmetrics.backend)."""
    config = with_overrides(config, **overrides)
    if config.engine == "spark" and config.memory_limit is not None:
        raise ConfigError(f"memory_limit: {NOT_WITH_SPARK}")
    lake = tuple((n, f.name) for n, f in frames.items() if isinstance(f, SparkTable))
    check_spark_tables(replace(config, spark=replace(config.spark, tables=lake)))
    period, as_of = resolve(config, frames)
    snapshot = config.previous_snapshot
    if snapshot is not None and snapshot.as_of >= as_of:
        raise ConfigError(
            f"previous_snapshot.as_of: {snapshot.as_of} is not before the report's as_of "
            f"({as_of}), the day of the current exports; the movement runs from one to the other"
        )
    seen, stage_note = 0, ""
    old, new = frames.get(SNAPSHOT), frames.get("deals")
    if isinstance(old, pd.DataFrame) and isinstance(new, pd.DataFrame):  # deals are loaded
        last_day = as_of - timedelta(days=1)
        deals, seen = stages_seen(old, new, last_day)
        frames = {**frames, "deals": deals}
        stage_note = (
            f"{seen:,} stage date(s) from the snapshots: a deal at a later stage in the current "
            f"export than in the previous one entered it on {last_day} at the latest (an upper "
            "bound; the export has no stage dates of its own)"
        )

    def run(kpis: Sequence[str], variants: Mapping[str, str], strict: bool) -> Report:
        return compute(
            frames,
            period=period,
            as_of=as_of,
            group_by=config.by,
            kpis=kpis or None,
            stages=None if kpis else config.stages or None,
            compare=config.compare or ("none" if period.label == "all" else "previous"),
            trend_periods=config.trend or 0,
            settings=config.settings,
            targets=config.targets,
            rates=config.rates,
            small_sample=config.small_sample if config.small_sample is not None else SMALL_SAMPLE,
            strict=strict,
            fiscal_start_month=config.fiscal_year_start,
            hints=hints,
            all_groups=all_groups,
            variants=variants,
        )

    try:
        with limited(config.memory_limit), using(config.engine, config.spark):
            report = run(config.kpis, config.variants, config.strict)
            if config.all_variants:  # a variant the inputs cannot feed is skipped, even strict
                others = partial(run, strict=False)
                report = side_by_side(report, others, config.variants)
    except PeriodError as exc:  # a trend reaching before the first day reported on
        raise ConfigError(str(exc)) from None
    return _noted(report, STAGE_DATE_KPIS, stage_note) if seen else report


STAGE_DATE_KPIS = frozenset(
    k.id for k in CATALOGUE.values() if any(STAGE_DATE_PREFIX in need for need in k.needs)
)
"""The KPIs that read deals' entered_<stage> dates: their values say when some are upper
bounds seen between two snapshots (`diff.stages_seen`)."""


def _noted(report: Report, ids: frozenset[str], note: str) -> Report:
    """The report with `note` added to every value of the KPIs `ids`."""
    values = tuple(
        replace(v, note=f"{v.note}; {note}" if v.note else note) if v.id in ids else v
        for v in report.values
    )
    return replace(report, values=values)


def _day(day: date, key: str) -> date:
    """`day` when periods can be computed around it, else a ConfigError naming `key`."""
    try:
        return in_span(day, key)
    except PeriodError as exc:
        raise ConfigError(str(exc)) from None
