"""The DuckDB engine: each declared KPI (`kpis.base.Rows`) aggregated in every slice and group
of a report in one grouped query.

The loaded frames are handed to DuckDB as the Arrow tables they already are (no copy), each
under its entity's name with every canonical field present (a field the input lacks is a
typed blank), so a declaration's SQL never depends on what one export happens to carry. The
shared views of `kpis.views` are defined over them once per report.

A report's slices (the period, its buckets, the comparison and trend periods, each with the
cutoff of a same-age view) are a small table; a KPI's rows are joined to it on the date that
places a row in a period (or, for a snapshot, on being open at the slice's end) and grouped by
slice, category and, in grouping sets, the breakdown's dimensions: the total and every group
of every slice in one pass over the rows.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from salesmetrics import tables
from salesmetrics.canonical import ARROW_TYPES
from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import ROW, Aggregation, Context, Kpi, Rows
from salesmetrics.kpis.views import MATERIALISED, TABLES, VIEWS, distinct
from salesmetrics.periods import Period
from salesmetrics.schema import DEAL_STAGES, ENTITIES, STAGE_DATE_PREFIX
from salesmetrics.tables import InPlace

if TYPE_CHECKING:
    import duckdb

THREADS = "SALESMETRICS_THREADS"
"""The environment variable that sets DuckDB's thread count (default: DuckDB's, all cores)."""
SMALL_INPUT = 100_000
"""Inputs under this many rows (each) are queried on one thread by default (`_connect`):
the sample company's KPI queries take a quarter less time, and half the CPU, than on two."""
SLICES = "report_slices"
DAYS = "report_days"  # the slices by day (`days_table`)
AS_OF = "report_as_of"
"""A table of one row, `as_of` (a DATE): the report's as-of day, which a shared view may read
(the MRR book's intervals run to its month)."""
ALL = "all"  # the label of the period that is all of the data (periods.resolve_period)
IMPLAUSIBLE = "_implausible_"  # salesmetrics.anomalies' flag columns, one per date field

Labels = tuple[str, ...] | None  # a group's dimension values; None for the total
Split = tuple[str | None, str | None]  # category, subcategory (None when the KPI has none)


@dataclass(frozen=True)
class Stats:
    """What one group of one slice's rows add up to, before the kind makes it a value."""

    n: int  # rows kept
    left_out: int  # rows in the slice but left out of the value (LEFT_OUT)
    present: int  # kept rows with a value (means, medians)
    value: float | None  # count (distinct), sum, mean or median of the kept rows' values
    numerator: float
    denominator: float
    also: tuple[int, ...] = ()  # rows left out that meet each of `Rows.also`'s conditions
    flagged: int = 0  # kept rows that meet `Rows.flagged`'s condition
    tallies: tuple[int, ...] = ()  # kept rows that meet each of `Rows.tally`'s conditions
    measures: Mapping[str, float | None] = field(default_factory=dict)  # `Rows.measures`


def connection(ctx: Context) -> duckdb.DuckDBPyConnection:
    """The report's DuckDB connection with its frames, settings and the shared views, made
    once."""

    def build() -> duckdb.DuckDBPyConnection:
        con = _connect(ctx)
        _settings_tables(con, ctx.settings)
        con.register(AS_OF, pa.table({"as_of": pa.array([ctx.as_of], pa.date32())}))
        return con

    found: duckdb.DuckDBPyConnection = ctx.memo("duckdb", build)
    return found


def _connect(ctx: Context) -> duckdb.DuckDBPyConnection:
    """A connection with the thread count and memory limit chosen (salesmetrics.memory):
    SALESMETRICS_THREADS, else one thread when every input has fewer than SMALL_INPUT rows (on
    rows that few, handing each query's work to a second thread and back costs more than it
    saves), else DuckDB's default. On the spark engine (salesmetrics.backend), a Spark
    session with the same surface instead (salesmetrics.spark)."""
    from salesmetrics import backend, memory

    options = backend.spark()
    if options is not None:
        from salesmetrics import spark

        con = spark.Connection(spark.session(options.remote, options.conf))
        return cast("duckdb.DuckDBPyConnection", con)  # execute, register, unregister
    config: dict[str, Any] = {}
    threads = os.environ.get(THREADS)
    if threads:
        if not threads.isdigit() or int(threads) < 1:
            raise SalesmetricsError(f"{THREADS}={threads!r}: give a whole number of threads, 1+")
        config["threads"] = int(threads)
    elif max((len(frame) for frame in ctx.frames.values()), default=0) < SMALL_INPUT:
        config["threads"] = 1
    return memory.connect(config)


def source(ctx: Context, name: str) -> str:
    """`name`, an entity's table or a shared view, ready to be read: each is made on first use
    (a view after the tables and views it reads), as making all of them for every report
    costs more than most reports' queries."""
    with _MAKING:
        return _source(ctx, name)


_MAKING = threading.RLock()
"""Held while a table or view is made (`source`): the spark engine's queries run at once
(`_run_all`), and two of them may need the same view first."""


def _source(ctx: Context, name: str) -> str:
    made: set[str] = ctx.memo("duckdb.made", set)
    if name in made:
        return name
    if name in ENTITIES:
        frame = ctx.frames.get(name)
        if isinstance(frame, InPlace):
            connection(ctx).execute(f'CREATE VIEW "{name}" AS {_in_place(name, frame, ctx)}')
        else:
            connection(ctx).register(name, _table(ctx, name))
    elif name in TABLES:
        made_of = pa.Table.from_pandas(TABLES[name](ctx), preserve_index=False)
        connection(ctx).register(name, made_of)
    elif name in VIEWS:
        sql = VIEWS[name]
        for other in dict.fromkeys(NAMES.findall(sql)):
            if other != name:
                source(ctx, other)
        kind = "TABLE" if name in MATERIALISED else "VIEW"
        connection(ctx).execute(f'CREATE {kind} "{name}" AS {sql}')
    made.add(name)
    return name


def _table(ctx: Context, name: str) -> pa.Table:
    """The entity's table as DuckDB reads it (`_canonical`), made once per report."""
    frame = ctx.frames.get(name)
    assert not isinstance(frame, InPlace)  # made a view of by `source`
    found: pa.Table = ctx.memo(f"duckdb.table.{name}", lambda: _canonical(name, frame))
    return found


NAMES = re.compile(r"\b(" + "|".join(map(re.escape, (*ENTITIES, *TABLES, *VIEWS))) + r")\b")
"""Any name of an entity, a table or a shared view, as a word."""


def ready(ctx: Context, sql: str) -> str:
    """`sql`, once every table and view it names is made (`source`): a declaration's
    expressions may read other views in subqueries."""
    for name in dict.fromkeys(NAMES.findall(sql)):
        source(ctx, name)
    return sql


def _slice_readers() -> tuple[str, ...]:
    """The views that read the report's slices, directly or through another view, in the
    order VIEWS makes them."""
    found: list[str] = []
    for name, sql in VIEWS.items():
        if any(re.search(rf"\b{other}\b", sql) for other in (SLICES, *found)):
            found.append(name)
    return tuple(found)


SLICE_READERS = _slice_readers()


@contextmanager
def sliced(
    ctx: Context,
    slices: Sequence[tuple[Period, date | None]],
    against: Sequence[Period | None] | None = None,
) -> Iterator[None]:
    """`slices` as the report's slices table (`report_slices`, with the periods each is set
    `against`) while the queries inside read it. The views made of it (`SLICE_READERS`,
    tables when MATERIALISED) are made again, on their next use, when the slices differ from
    those they were made of: KPIs with the same slices share them."""
    con = connection(ctx)
    table = slices_table(slices, against)
    own = table.select(["kpi_slice", "kpi_start", "kpi_stop", "kpi_cutoff", "kpi_whole"])
    made: set[str] = ctx.memo("duckdb.made", set)
    state: dict[str, pa.Table] = ctx.memo("duckdb.slices", dict)
    if SLICES in state and not state[SLICES].equals(own):
        for reader in reversed(SLICE_READERS):
            if reader in made:
                kind = "TABLE" if reader in MATERIALISED else "VIEW"
                con.execute(f'DROP {kind} "{reader}"')
                made.discard(reader)
    state[SLICES] = own
    con.register(SLICES, table)
    con.register(DAYS, days_table(table))
    try:
        yield
    finally:
        con.unregister(SLICES)
        con.unregister(DAYS)


def days_table(slices: pa.Table) -> pa.Table:
    """The slices by day: each slice's row once for every day in it, with that day
    (`kpi_day`), and again for every day of the period it is set against, there with
    `kpi_earlier` true. Every slice runs from one midnight to another, so a row placed by one
    date is in a slice when its day is (`in_slice`): the rows are joined to their slices on
    an equality, by a hash of the few days, not by sorting every row on its date."""
    parts = []
    for earlier, start, stop in (
        (False, "kpi_start", "kpi_stop"),
        (True, "kpi_against_start", "kpi_against_stop"),
    ):
        starts = slices[start].to_numpy().astype("datetime64[D]")
        stops = slices[stop].to_numpy().astype("datetime64[D]")
        counts = np.maximum((stops - starts).astype(np.int64), 0)  # none: NaT, the minimum
        index = np.repeat(np.arange(len(counts)), counts)
        firsts = np.repeat(np.cumsum(counts) - counts, counts)
        days = starts[index] + (np.arange(len(index)) - firsts).astype("timedelta64[D]")
        found = slices.take(pa.array(index, pa.int64()))
        found = found.append_column("kpi_day", pa.array(days, pa.date32()))
        parts.append(found.append_column("kpi_earlier", pa.array(np.full(len(index), earlier))))
    return pa.concat_tables(parts)


def _in_place(name: str, table: InPlace, ctx: Context) -> str:
    """The SQL of an entity read in place (salesmetrics.tables: its Parquet files, or a table
    of Spark's catalog), as `_canonical` makes a frame: every canonical field (a typed blank
    where the table has none), the anomaly flags and each row's position (`ROW`). A query
    over it reads only the columns it names, and skips the row groups its conditions on a
    date rule out."""
    con = connection(ctx)
    blanks = [
        f"{'FALSE' if column.startswith(IMPLAUSIBLE) else f'NULL::{_sql_type(kind)}'} "
        f"AS {tables.identifier(column)}"
        for column, kind in _wanted(name).items()
        if column not in table.columns
    ]
    return f"SELECT *{''.join(', ' + b for b in blanks)} FROM ({table.relation(con)})"


def _sql_type(kind: pa.DataType) -> str:
    """DuckDB's name of a canonical Arrow type."""
    return {
        pa.string(): "VARCHAR",
        pa.timestamp("us"): "TIMESTAMP",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
    }[kind]


def _wanted(name: str) -> dict[str, pa.DataType]:
    """Every column an entity's table has for DuckDB: its canonical fields, the deals'
    entered_<stage> dates and the anomaly flags of the date fields (the stage dates' too)."""
    wanted = {f.name: ARROW_TYPES[f.kind] for f in ENTITIES[name].fields}
    if name == "deals":
        wanted |= {STAGE_DATE_PREFIX + s: pa.timestamp("us") for s in DEAL_STAGES}
    dates = [c for c, kind in wanted.items() if pa.types.is_timestamp(kind)]
    return wanted | {IMPLAUSIBLE + d: pa.bool_() for d in dates}


def _canonical(name: str, frame: pd.DataFrame | None) -> pa.Table:
    """The entity's frame as Arrow, with every canonical field (typed blanks where the input
    has none, and none at all when there is no such input), the deals' entered_<stage> dates,
    the anomaly flags of its date fields (the stage dates' too) and each row's position
    (`ROW`); the frame's own columns (dimensions) kept."""
    wanted = _wanted(name)
    if frame is None:
        return pa.table({c: pa.array([], t) for c, t in {**wanted, ROW: pa.int64()}.items()})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    rows = table.num_rows
    position = pa.array(np.arange(rows, dtype=np.int64))
    table = table.append_column(pa.field(ROW, pa.int64()), position)
    for column, kind in wanted.items():
        if column not in table.column_names:
            blank = (
                pa.array(np.zeros(rows, dtype=bool))
                if column.startswith(IMPLAUSIBLE)
                else pa.nulls(rows, kind)
            )
            table = table.append_column(pa.field(column, kind), blank)
    return table


def columns(ctx: Context, name: str) -> set[str]:
    """The columns a table or view of the connection has (asked once per report)."""

    def described() -> set[str]:
        con = connection(ctx)
        return {row[0] for row in con.execute(f'DESCRIBE "{source(ctx, name)}"').fetchall()}

    found: set[str] = ctx.memo(f"duckdb.columns.{name}", described)
    return found


def slices_table(
    slices: Sequence[tuple[Period, date | None]], against: Sequence[Period | None] | None = None
) -> pa.Table:
    """The slices as a table: their number, first instant, the instant after the last, and the
    instant after a same-age view's cutoff day (blank: all data); and the first instant and
    the instant after the last of the period each is set against (`Rows.against`; blank:
    none). `kpi_whole` is true for period "all", all of the data: a view may then take every
    record, whatever the days of the span (a cohort of intervals starting on 10 July is
    July's, though the span starts on the 10th)."""

    def stamp(day: date | None) -> pd.Timestamp | None:
        return None if day is None else pd.Timestamp(day)

    others = list(against) if against is not None else [None] * len(slices)
    return pa.table(
        {
            "kpi_slice": pa.array(range(len(slices)), pa.int32()),
            "kpi_start": pa.array([stamp(p.start) for p, _ in slices], pa.timestamp("us")),
            "kpi_stop": pa.array([stamp(p.end_exclusive) for p, _ in slices], pa.timestamp("us")),
            "kpi_cutoff": pa.array(
                [stamp(c + timedelta(days=1)) if c else None for _, c in slices],
                pa.timestamp("us"),
            ),
            "kpi_against_start": pa.array(
                [stamp(p.start) if p else None for p in others], pa.timestamp("us")
            ),
            "kpi_against_stop": pa.array(
                [stamp(p.end_exclusive) if p else None for p in others], pa.timestamp("us")
            ),
            "kpi_whole": pa.array([p.label == ALL for p, _ in slices], pa.bool_()),
        }
    )


def relation(kpi: Kpi, ctx: Context, columns: Mapping[str, str] | None = None) -> str:
    """The KPI's rows over all time as SQL: the source's rows that pass its conditions, with
    the dates that place them in slices under fixed names (kpi_at, kpi_until, …) and the
    `columns` (name: SQL) computed on the source's rows, which may name the source."""
    rows = kpi.relation
    dates = {
        "kpi_at": rows.at,
        "kpi_until": rows.until,
        "kpi_outcome": rows.outcome,
        "kpi_entered": rows.entered,
        "kpi_spans": rows.spans,
        **(columns or {}),
    }
    chosen = [f"({sql}) AS {name}" for name, sql in dates.items() if sql is not None]
    where = " AND ".join(f"({condition})" for condition, _ in rows.where) or "TRUE"
    return with_settings(
        f'SELECT *, {", ".join(chosen)} FROM "{source(ctx, rows.source)}" WHERE {where}', ctx
    )


def with_settings(sql: str, ctx: Context) -> str:
    """`sql` with each `{name}` replaced by the report's KPI setting of that name, as a SQL
    literal; a mapping setting is a table `setting_<name>` (key, value) instead. Used for a
    whole query here, and for each expression of a declaration by salesmetrics.explain."""
    return sql.format_map(_Settings(ctx))


class _Settings(dict[str, Any]):
    """The report's KPI settings, for `{name}` in a declaration's SQL (as SQL literals), and
    `{as_of}`, the report's as_of day as a timestamp (a period is over once it has begun)."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.settings, self.as_of = ctx.settings, ctx.as_of

    def __missing__(self, key: str) -> str:
        if key == "as_of":
            return f"TIMESTAMP '{self.as_of.isoformat()}'"
        value = getattr(self.settings, key)
        return "NULL" if value is None else repr(value)


def _settings_tables(con: duckdb.DuckDBPyConnection, settings: Any) -> None:
    """Each mapping setting (stage_probabilities) as a table setting_<name>(key, value)."""
    for name in ("stage_probabilities",):
        pairs = dict(getattr(settings, name))
        table = pa.table(
            {
                "key": pa.array(list(pairs), pa.string()),
                "value": pa.array([float(v) for v in pairs.values()], pa.float64()),
            }
        )
        con.register(f"setting_{name}", table)


Measured = dict[int, dict[Labels, dict[Split, Stats]]]
"""A KPI's Stats in each slice (by position), per group (None: the total) and split."""


@dataclass(frozen=True)
class Query:
    """One KPI to measure: the slices it is measured in, the dimensions its groups are made of
    (none: the total only), and the periods `Rows.against` sets each slice against."""

    kpi: Kpi
    slices: tuple[tuple[Period, date | None], ...]
    attrs: tuple[str, ...] = ()
    against: tuple[Period | None, ...] | None = None


def measure(
    kpi: Kpi,
    ctx: Context,
    slices: Sequence[tuple[Period, date | None]],
    attrs: tuple[str, ...],
    against: Sequence[Period | None] | None = None,
) -> Measured:
    """The KPI's Stats in each slice (by position), for the total (None) and, by its labels,
    each group of `attrs` (none when `attrs` is empty), per category and subcategory.

    The rows are joined to the slices first; the declaration's values are computed on the
    joined rows, so they may read the slice's kpi_start and kpi_stop (a deal's stage at the
    period's end); `against`, the periods `Rows.against` gives each slice."""
    placed = tuple(against) if against is not None else None
    return measure_all(ctx, [Query(kpi, tuple(slices), attrs, placed)])[0]


def measure_all(ctx: Context, queries: Sequence[Query]) -> list[Measured]:
    """Each query's Stats (as `measure`). The KPIs that read the same source, placed the same
    way in the same slices and groups (`_shared`), are measured in one query: one pass over
    the source's rows for all of them (the ten KPIs of activities by occurred_at), and one
    query to plan, which costs more than running it on a small company's rows. Queries with
    the same slices run while they are registered once, and the views made of them are made
    once."""
    batches: dict[tuple[object, ...], list[int]] = {}
    for at, query in enumerate(queries):
        batches.setdefault(_shared(query), []).append(at)
    placed: dict[tuple[object, ...], list[list[int]]] = {}
    for members in batches.values():
        placed.setdefault(_slices_of(queries[members[0]]), []).append(members)
    found: list[Measured] = [{} for _ in queries]
    for same in placed.values():
        first = queries[same[0][0]]
        with sliced(ctx, first.slices, first.against):
            runs = [
                partial(_measured, [queries[at].kpi for at in members], ctx, queries[members[0]])
                for members in same
            ]
            for members, measured in zip(same, _run_all(runs), strict=True):
                for at, each in zip(members, measured, strict=True):
                    found[at] = each
    return found


SPARK_QUERIES = 4
"""Queries run at once on the spark engine: each costs Spark about a second of planning and
scheduling whatever its rows, which overlaps with the others' work. DuckDB's run one by one
(its connection is one; it spreads each query over the cores itself)."""


def _run_all(runs: Sequence[Callable[[], list[Measured]]]) -> list[list[Measured]]:
    """Each of `runs`' results, in order: on the spark engine, SPARK_QUERIES at a time."""
    from salesmetrics import backend

    if backend.spark() is None or len(runs) < 2:
        return [run() for run in runs]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(SPARK_QUERIES, len(runs))) as pool:
        return list(pool.map(lambda run: run(), runs))


def _slices_of(query: Query) -> tuple[object, ...]:
    return (query.slices, query.against)


def _shared(query: Query) -> tuple[object, ...]:
    """What the KPIs measured in one query have in common: the source, how its rows are placed
    in the slices (and their share there), the split into categories, the slices and the
    groups. A custom KPI's measures are aggregates over every row of its query, so its rows
    must be the others' too: their conditions, on the row and on the slice."""
    rows = query.kpi.relation
    same_rows = (_where(rows), _condition(query.kpi, ""), rows.left_out) if rows.measures else ()
    return (
        rows.source,
        rows.at,
        rows.until,
        rows.spans,
        rows.whole,
        rows.of_slice,
        rows.earlier if rows.against is not None else None,
        rows.category,
        rows.subcategory,
        *_slices_of(query),
        query.attrs,
        bool(rows.measures),
        same_rows,
    )


def _where(rows: Rows) -> str:
    """The declaration's conditions on its source's rows, as one."""
    return " AND ".join(f"({condition})" for condition, _ in rows.where) or "TRUE"


def _condition(kpi: Kpi, own: str) -> str:
    """The KPI's condition on a row joined to a slice, beyond being placed there (`in_slice`):
    its `during`, and for a maturing cohort seen at an age (the slice's cutoff) that its
    outcome did not come later (when it has no numerator to zero instead) and that it did
    not join the denominator later; "" when none. `own` ends the names of its columns."""
    rows = kpi.relation
    found = [] if rows.during is None else [f"coalesce({rows.during}, FALSE)"]
    if kpi.matures is not None and rows.outcome is not None:
        if rows.numerator is None:
            found.append(f"NOT coalesce({_later(own)}, FALSE)")
        if rows.entered is not None:
            found.append(f"NOT coalesce(r.kpi_entered{own} >= s.kpi_cutoff, FALSE)")
    return " AND ".join(found)


def _later(own: str) -> str:
    """Whether a row's outcome came after its slice's cutoff (a same-age view)."""
    return f"(s.kpi_cutoff IS NOT NULL AND r.kpi_outcome{own} >= s.kpi_cutoff)"


def _measured(kpis: Sequence[Kpi], ctx: Context, query: Query) -> list[Measured]:
    """The KPIs' Stats (`measure`) from one query over their source, while `query`'s slices
    are registered. Each KPI's values and aggregates have names of their own (kpi_value_0,
    …). A condition every KPI has keeps rows out of the query (in the source's WHERE, in the
    join); one that differs, out of that KPI's aggregates only (its `kpi_member_<i>`), its
    values computed only on its own rows (a value may not be defined on another's)."""
    first = kpis[0].relation
    wheres = [_where(k.relation) for k in kpis]
    one_where = len(set(wheres)) == 1
    one_condition = len({_condition(k, "") for k in kpis}) == 1
    static: dict[str, str] = {}  # computed on the source's rows (may name the source)
    sliced: dict[str, str] = {}  # computed on the rows joined to a slice (may read it)
    for name, sql in (("kpi_at", first.at), ("kpi_until", first.until), ("kpi_spans", first.spans)):
        if sql is not None:
            static[name] = sql
    splits = [
        (name, sql)
        for name, sql in (("kpi_category", first.category), ("kpi_subcategory", first.subcategory))
        if sql is not None
    ]
    for name, sql in splits:
        (sliced if _reads_slice(sql) else static)[name] = sql
    kept: list[str] = []
    for at, kpi in enumerate(kpis):
        rows = kpi.relation
        own = f"_{at}"
        member = [] if one_where else [f"r.kpi_in{own}"]
        if not one_where:
            static[f"kpi_in{own}"] = f"coalesce({wheres[at]}, FALSE)"
        if not one_condition and _condition(kpi, own):
            member.append(_condition(kpi, own))
        if member:
            sliced[f"kpi_member{own}"] = " AND ".join(member)
        values = {
            "kpi_outcome": rows.outcome,
            "kpi_entered": rows.entered,
            "kpi_value": rows.value,
            "kpi_numerator": rows.numerator,
            "kpi_denominator": rows.denominator,
            "kpi_key": rows.key,
            "kpi_left_out": rows.left_out,
            **{f"kpi_also_{i}": condition for i, (condition, _) in enumerate(rows.also)},
            "kpi_per": rows.per,
            "kpi_flagged": rows.flagged[0] if rows.flagged is not None else None,
            **{f"kpi_tally_{i}": condition for i, (condition, _) in enumerate(rows.tally)},
        }
        for name, sql in values.items():
            if sql is None:
                continue
            if _reads_slice(sql):
                sliced[name + own] = sql
            else:  # a value of another KPI's row may be undefined (a log of 0)
                static[name + own] = sql if one_where else f"CASE WHEN {wheres[at]} THEN {sql} END"
        if kpi.matures is not None and rows.outcome is not None and rows.numerator is not None:
            # a row whose outcome came after the slice's cutoff is not converted yet
            if f"kpi_numerator{own}" in sliced:
                numerator = f"({sliced[f'kpi_numerator{own}']})"
            else:  # computed on the source's rows under another name, aged on the joined
                static[f"kpi_numerator_all{own}"] = static.pop(f"kpi_numerator{own}")
                numerator = f"r.kpi_numerator_all{own}"
            sliced[f"kpi_numerator{own}"] = f"CASE WHEN {_later(own)} THEN 0.0 ELSE {numerator} END"
        here = [f"j.kpi_member{own}"] if member else []
        out = [f"coalesce(j.kpi_left_out{own}, FALSE)"] if rows.left_out is not None else []
        kept.append(" AND ".join([*here, *(f"NOT {o}" for o in out)]) or "TRUE")
        kept.append(" AND ".join([*here, *out]) if out else "FALSE")
    if first.measures and first.left_out is not None:  # a measure may read it by that name
        static["kpi_left_out"] = first.left_out
    if _by_day(first):  # the same rows as in_slice's, by a hash join (`days_table`)
        earlier = f"coalesce({first.earlier}, FALSE)" if first.against is not None else "FALSE"
        joined = f"{DAYS} s ON CAST(r.kpi_at AS DATE) = s.kpi_day AND {earlier} = s.kpi_earlier"
    else:
        joined = f"{SLICES} s ON {in_slice(replace(first, during=None))}"
    if one_condition and _condition(kpis[0], "_0"):
        joined += f" AND {_condition(kpis[0], '_0')}"
    sliced["kpi_share"] = share(first)
    dims = [f"j.{tables.identifier(d)}" for d in query.attrs]
    keys = ["j.kpi_slice", *(f"j.{name}" for name, _ in splits)]
    if dims:
        grouping = f"GROUPING SETS (({', '.join(keys)}), ({', '.join(keys + dims)}))"
        total = f"GROUPING({', '.join(dims)}) <> 0"
    else:
        grouping, total = ", ".join(keys), "TRUE"
    aggregates = [
        agg
        for at, kpi in enumerate(kpis)
        for agg in _aggregates(kpi, ctx, f"_{at}", *kept[2 * at : 2 * at + 2])
    ]
    where = wheres[0] if one_where else " OR ".join(f"({w})" for w in wheres)
    if _by_day(first) or _open_at_end(first):  # rows no slice can hold are not read on
        where = f"({where}) AND {_within_days(first, query)}"
    chosen = ", ".join(f"({sql}) AS {name}" for name, sql in static.items())
    relation = f'SELECT *, {chosen} FROM "{source(ctx, first.source)}" WHERE {where}'
    computed = "".join(f", ({sql}) AS {name}" for name, sql in sliced.items())
    inner = f"SELECT r.*, s.*{computed} FROM ({relation}) r JOIN {joined}"
    sql = (
        f"SELECT {', '.join([*keys, *dims])}, {total} AS is_total, {', '.join(aggregates)} "
        f"FROM ({with_settings(inner, ctx)}) j GROUP BY {grouping}"
    )
    found: list[Measured] = [{i: {} for i in range(len(query.slices))} for _ in kpis]
    width = len(splits)
    for record in connection(ctx).execute(ready(ctx, sql)).fetchall():
        slice_, *rest = record
        split_values = rest[:width]
        labels = tuple(_label(v) for v in rest[width : width + len(dims)])
        is_total, *measured = rest[width + len(dims) :]
        split: Split = (
            _label(split_values[0]) if width > 0 else None,
            _label(split_values[1]) if width > 1 else None,
        )
        key: Labels = None if is_total else labels
        for at, kpi in enumerate(kpis):
            rows = kpi.relation
            size = 7 + len(rows.also) + len(rows.tally) + len(rows.measures)
            stats, measured = _stats(rows, measured[:size]), measured[size:]
            if stats.n + stats.left_out:  # rows of this KPI's (the others' make the group)
                found[at][slice_].setdefault(key, {})[split] = stats
    return found


def _aggregates(kpi: Kpi, ctx: Context, own: str, kept: str, out: str) -> list[str]:
    """The KPI's aggregates in its query (`_measured`), in the order `_stats` reads them: the
    rows kept (`kept`: those of the KPI's and not left out) and left out (`out`), those with
    a value, the value, the numerator and denominator, the kept rows flagged, the rows left
    out meeting each of `also`'s conditions, the kept rows meeting each `tally`, and the
    measures."""
    rows = kpi.relation
    if rows.per is not None:  # distinct keys per distinct `per`
        fractions = [
            f"{distinct(f'j.{part}{own}', kept)}::DOUBLE" for part in ("kpi_key", "kpi_per")
        ]
    elif rows.numerator is None:
        fractions = ["0.0", "0.0"]
    elif rows.key is not None and rows.denominator is not None:
        # distinct keys of the rows with a nonzero numerator, and with a nonzero denominator
        fractions = [
            f"{distinct(f'j.kpi_key{own}', f'{kept} AND {part}{own} <> 0')}::DOUBLE"
            for part in ("j.kpi_numerator", "j.kpi_denominator")
        ]
    else:
        numerator = f"coalesce(fsum(j.kpi_numerator{own} * j.kpi_share) FILTER (WHERE {kept}), 0.0)"
        denominator = (
            f"coalesce(fsum(j.kpi_denominator{own} * j.kpi_share) FILTER (WHERE {kept}), 0.0)"
            if rows.denominator is not None
            else f"{distinct(f'j.kpi_key{own}', kept)}::DOUBLE"  # per distinct key
        )
        fractions = [numerator, denominator]
    present = f"count(j.kpi_value{own}) FILTER (WHERE {kept})" if rows.value is not None else "0"
    flagged = (
        f"count(*) FILTER (WHERE {kept} AND coalesce(j.kpi_flagged{own}, FALSE))"
        if rows.flagged is not None
        else "0"
    )
    return [
        f"count(*) FILTER (WHERE {kept})",
        f"count(*) FILTER (WHERE {out})",
        present,
        _value_sql(kpi.aggregation, kept, own),
        *fractions,
        flagged,
        *(
            f"count(*) FILTER (WHERE {out} AND coalesce(j.kpi_also_{i}{own}, FALSE))"
            for i in range(len(rows.also))
        ),
        *(
            f"count(*) FILTER (WHERE {kept} AND coalesce(j.kpi_tally_{i}{own}, FALSE))"
            for i in range(len(rows.tally))
        ),
        *(f"({with_settings(sql, ctx)})::DOUBLE" for _, sql in rows.measures),
    ]


def _stats(rows: Rows, record: Sequence[Any]) -> Stats:
    """A KPI's Stats in one group from its aggregates (`_aggregates`)."""
    n, left, present_n, agg, num, den, flags, *counted = record
    ends = (len(rows.also), len(rows.also) + len(rows.tally))
    return Stats(
        int(n),
        int(left),
        int(present_n),
        None if agg is None else float(agg),
        num,
        den,
        tuple(int(c) for c in counted[: ends[0]]),
        int(flags),
        tuple(int(c) for c in counted[ends[0] : ends[1]]),
        {name: m for (name, _), m in zip(rows.measures, counted[ends[1] :], strict=True)},
    )


LASTS = "r.kpi_spans > r.kpi_at"  # a row whose span has a length (`Rows.spans`)


def _reads_slice(sql: str) -> bool:
    """Whether a declared expression reads the slice it is counted in."""
    return "kpi_start" in sql or "kpi_stop" in sql or "s.kpi_" in sql


def _within_days(rows: Rows, query: Query) -> str:
    """That a row can be in one of the query's slices, as SQL on its dates: placed by one date
    (`_by_day`), that date from the first day of the slices (and of the periods they are set
    against) to the last; open at a slice's end (`_open_at_end`), opened before the last end
    and not closed before the first. DuckDB takes such a condition down to the reading of
    the input (and through a view's joins), so that rows no slice holds are not carried
    through them. The days are the report's periods', not data."""
    periods = [p for p, _ in query.slices] + [p for p in query.against or () if p is not None]
    if not periods:
        return "FALSE"
    first = f"TIMESTAMP '{min(p.start for p in periods).isoformat()}'"
    after = f"TIMESTAMP '{max(p.end_exclusive for p in periods).isoformat()}'"
    if rows.until is not None:
        ends = f"TIMESTAMP '{min(p.end_exclusive for p, _ in query.slices).isoformat()}'"
        return f"({rows.at}) < {after} AND (({rows.until}) IS NULL OR ({rows.until}) >= {ends})"
    return f"({rows.at}) >= {first} AND ({rows.at}) < {after}"


def _open_at_end(rows: Rows) -> bool:
    """Whether a row is in a slice by being open at its end (a snapshot: `Rows.until`)."""
    return (
        rows.until is not None
        and rows.of_slice is None
        and rows.spans is None
        and rows.against is None
    )


def _by_day(rows: Rows) -> bool:
    """Whether a row is in a slice by one date alone (`at` in its period, or in the period it
    is set against)."""
    return rows.of_slice is None and rows.until is None and rows.spans is None


def in_slice(rows: Rows) -> str:
    """When a row is in a slice: its date in the period (a snapshot's row: open at its end; a
    row that lasts: its span overlaps the period, or, counted `whole`, meets it; a row made
    for one slice (`Rows.of_slice`): that slice), and the declaration's own condition on the
    slice, if any."""
    if rows.of_slice is not None:
        found = f"r.{rows.of_slice} = s.kpi_slice"
    elif rows.whole and rows.spans is not None:  # met, ends included, a blank end open
        found = (
            "(r.kpi_at IS NULL OR r.kpi_at < s.kpi_stop) "
            "AND (r.kpi_spans IS NULL OR r.kpi_spans >= s.kpi_start)"
        )
    elif rows.until is None:
        found = "r.kpi_at >= s.kpi_start AND r.kpi_at < s.kpi_stop"
        if rows.spans is not None:
            overlaps = "r.kpi_at < s.kpi_stop AND r.kpi_spans > s.kpi_start"
            found = f"CASE WHEN {LASTS} THEN {overlaps} ELSE {found} END"
    else:
        found = "r.kpi_at < s.kpi_stop AND (r.kpi_until IS NULL OR r.kpi_until >= s.kpi_stop)"
    if rows.against is not None:  # the earlier side's rows: in the period set against
        other = "r.kpi_at >= s.kpi_against_start AND r.kpi_at < s.kpi_against_stop"
        found = f"CASE WHEN coalesce({rows.earlier}, FALSE) THEN {other} ELSE {found} END"
    return found if rows.during is None else f"{found} AND coalesce({rows.during}, FALSE)"


def share(rows: Rows) -> str:
    """The share of a row's amounts that counts in its slice: of a row that lasts, the part of
    its span inside the slice (unless it counts `whole`); else all of it."""
    if rows.spans is None or rows.whole:
        return "1.0"
    inside = "epoch_us(least(r.kpi_spans, s.kpi_stop)) - epoch_us(greatest(r.kpi_at, s.kpi_start))"
    span = "epoch_us(r.kpi_spans) - epoch_us(r.kpi_at)"
    return f"(CASE WHEN {LASTS} THEN ({inside})::DOUBLE / ({span})::DOUBLE ELSE 1.0 END)"


def _value_sql(kind: Aggregation, kept: str, own: str = "") -> str:
    """The SQL of the kind's value over the kept rows (ratios are made of their sums); sums
    count each row by its share in the slice (`_share`). `own` ends the names of the KPI's
    columns in a query shared with others (`_measured`)."""
    match kind:
        case Aggregation.COUNT:
            return f"count(*) FILTER (WHERE {kept})"
        case Aggregation.COUNT_DISTINCT:
            return distinct(f"j.kpi_key{own}", kept)
        case Aggregation.SUM | Aggregation.DISTRIBUTION:
            return f"coalesce(fsum(j.kpi_value{own} * j.kpi_share) FILTER (WHERE {kept}), 0.0)"
        case Aggregation.MEAN:
            # a compensated sum over the count, not avg: the same last digit whatever the
            # order DuckDB's threads add the rows in
            total = f"fsum(j.kpi_value{own}) FILTER (WHERE {kept})"
            return f"{total} / count(j.kpi_value{own}) FILTER (WHERE {kept})"
        case Aggregation.MEDIAN:
            return f"median(j.kpi_value{own}) FILTER (WHERE {kept})"
        case Aggregation.RATIO | Aggregation.CUSTOM:  # made of its sums, or its measures
            return "NULL"
    raise SalesmetricsError(f"no SQL for a {kind} KPI")


def _label(value: object) -> str:
    """A group's label; blanks get a visible one."""
    return "(blank)" if value is None or value != value else str(value)


def currencies(
    kpi: Kpi,
    ctx: Context,
    slices: Sequence[tuple[Period, date | None]],
    against: Sequence[Period | None] | None = None,
) -> dict[int, list[tuple[str, int]]]:
    """For each slice (by position) whose rows carry more than one currency, the currencies
    with their row counts, most first: amounts in several currencies are never summed."""
    rows = kpi.relation
    found: dict[int, list[tuple[str, int]]] = {}
    if _currencies_of_all(ctx) < 2:  # no table or view can carry two
        return {}
    with sliced(ctx, slices, against):
        if _currencies_in(ctx, rows.source) < 2:  # none of its slices can have two
            return {}
        sql = (
            f"SELECT s.kpi_slice, r.currency, count(*) FROM ({relation(kpi, ctx)}) r "
            f"JOIN {SLICES} s ON {with_settings(in_slice(rows), ctx)} "
            "WHERE r.currency IS NOT NULL "
            "GROUP BY s.kpi_slice, r.currency ORDER BY s.kpi_slice, 3 DESC, 2"
        )
        for slice_, currency, n in connection(ctx).execute(ready(ctx, sql)).fetchall():
            found.setdefault(int(slice_), []).append((str(currency), int(n)))
    return {s: listed for s, listed in found.items() if len(listed) > 1}


def _currencies_of_all(ctx: Context) -> int:
    """How many currencies the report's inputs carry in all (once per report): the tables
    and views take their currency from the inputs' rows, so with one (or a reporting
    currency the amounts were converted to) no source needs counting."""

    def counted() -> int:
        found: set[str] = set()
        for frame in ctx.frames.values():
            found.update(str(c) for c in tables.values(frame, "currency"))
        return len(found)

    known: int = ctx.memo("duckdb.currencies", counted)
    return known


def _currencies_in(ctx: Context, name: str) -> int:
    """How many currencies a source's rows carry in all (once per report, but for a source
    made per slice): most exports have one, and then no KPI's slice needs checking."""

    def counted() -> int:
        sql = f'SELECT count(DISTINCT currency) FROM "{source(ctx, name)}"'
        ((found,),) = connection(ctx).execute(sql).fetchall()
        return int(found)

    if name in SLICE_READERS:
        return counted()
    known: int = ctx.memo(f"duckdb.currencies.{name}", counted)
    return known
