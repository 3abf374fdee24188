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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from salesmetrics.canonical import ARROW_TYPES
from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import ROW, Aggregation, Context, Kpi, Rows
from salesmetrics.kpis.views import MATERIALISED, TABLES, VIEWS
from salesmetrics.periods import Period
from salesmetrics.schema import DEAL_STAGES, ENTITIES, STAGE_DATE_PREFIX

if TYPE_CHECKING:
    import duckdb

THREADS = "SALESMETRICS_THREADS"
"""The environment variable that sets DuckDB's thread count (default: DuckDB's, all cores)."""
SLICES = "report_slices"
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
        con = _connect()
        _settings_tables(con, ctx.settings)
        con.register(AS_OF, pa.table({"as_of": pa.array([ctx.as_of], pa.date32())}))
        return con

    found: duckdb.DuckDBPyConnection = ctx.memo("duckdb", build)
    return found


def _connect() -> duckdb.DuckDBPyConnection:
    """A connection with the thread count and memory limit chosen (salesmetrics.memory)."""
    from salesmetrics import memory

    config: dict[str, Any] = {}
    threads = os.environ.get(THREADS)
    if threads:
        if not threads.isdigit() or int(threads) < 1:
            raise SalesmetricsError(f"{THREADS}={threads!r}: give a whole number of threads, 1+")
        config["threads"] = int(threads)
    return memory.connect(config)


def source(ctx: Context, name: str) -> str:
    """`name`, an entity's table or a shared view, ready to be read: each is made on first use
    (a view after the tables and views it reads), as making all of them for every report
    costs more than most reports' queries."""
    made: set[str] = ctx.memo("duckdb.made", set)
    if name in made:
        return name
    if name in ENTITIES:
        connection(ctx).register(name, _canonical(name, ctx.frames.get(name)))
    elif name in TABLES:
        made_of = pa.Table.from_pandas(TABLES[name](ctx), preserve_index=False)
        connection(ctx).register(name, made_of)
    elif name in VIEWS:
        sql = VIEWS[name]
        for other in (*ENTITIES, *TABLES, *VIEWS):
            if other != name and re.search(rf"\b{other}\b", sql):
                source(ctx, other)
        kind = "TABLE" if name in MATERIALISED else "VIEW"
        connection(ctx).execute(f'CREATE {kind} "{name}" AS {sql}')
    made.add(name)
    return name


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
    try:
        yield
    finally:
        con.unregister(SLICES)


def _canonical(name: str, frame: pd.DataFrame | None) -> pa.Table:
    """The entity's frame as Arrow, with every canonical field (typed blanks where the input
    has none, and none at all when there is no such input), the deals' entered_<stage> dates,
    the anomaly flags of its date fields (the stage dates' too) and each row's position
    (`ROW`); the frame's own columns (dimensions) kept."""
    wanted = {f.name: ARROW_TYPES[f.kind] for f in ENTITIES[name].fields}
    if name == "deals":
        wanted |= {STAGE_DATE_PREFIX + s: pa.timestamp("us") for s in DEAL_STAGES}
    dates = [c for c, kind in wanted.items() if pa.types.is_timestamp(kind)]
    wanted |= {IMPLAUSIBLE + d: pa.bool_() for d in dates}
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


def measure(
    kpi: Kpi,
    ctx: Context,
    slices: Sequence[tuple[Period, date | None]],
    attrs: tuple[str, ...],
    against: Sequence[Period | None] | None = None,
) -> dict[int, dict[Labels, dict[Split, Stats]]]:
    """The KPI's Stats in each slice (by position), for the total (None) and, by its labels,
    each group of `attrs` (none when `attrs` is empty), per category and subcategory.

    The rows are joined to the slices first; the declaration's values are computed on the
    joined rows, so they may read the slice's kpi_start and kpi_stop (a deal's stage at the
    period's end); `against`, the periods `Rows.against` gives each slice."""
    with sliced(ctx, slices, against):
        return _measured(kpi, ctx, len(slices), attrs)


def _measured(
    kpi: Kpi, ctx: Context, count: int, attrs: tuple[str, ...]
) -> dict[int, dict[Labels, dict[Split, Stats]]]:
    """`measure`'s query, while the report's `count` slices are registered."""
    rows = kpi.relation
    con = connection(ctx)
    values = {
        "kpi_value": rows.value,
        "kpi_numerator": rows.numerator,
        "kpi_denominator": rows.denominator,
        "kpi_key": rows.key,
        "kpi_category": rows.category,
        "kpi_subcategory": rows.subcategory,
        "kpi_left_out": rows.left_out,
        **{f"kpi_also_{i}": condition for i, (condition, _) in enumerate(rows.also)},
        "kpi_per": rows.per,
        "kpi_flagged": rows.flagged[0] if rows.flagged is not None else None,
        **{f"kpi_tally_{i}": condition for i, (condition, _) in enumerate(rows.tally)},
    }
    splits = [c for c in ("kpi_category", "kpi_subcategory") if values[c] is not None]
    dims = [f'j."{d}"' for d in attrs]
    keys = ["j.kpi_slice", *(f"j.{c}" for c in splits)]
    if dims:
        grouping = f"GROUPING SETS (({', '.join(keys)}), ({', '.join(keys + dims)}))"
        total = f"GROUPING({', '.join(dims)}) <> 0"
    else:
        grouping = ", ".join(keys)
        total = "TRUE"
    kept = "NOT coalesce(j.kpi_left_out, FALSE)" if rows.left_out else "TRUE"
    values["kpi_share"] = share(rows)
    value = _value_sql(kpi.aggregation, kept)
    joined = in_slice(rows)
    # values that read the slice (kpi_start, kpi_stop) are computed on the joined rows; the
    # others on the source's rows, where a correlated subquery may name the source
    sliced = {n: e for n, e in values.items() if e is not None and _reads_slice(e)}
    static = {n: e for n, e in values.items() if e is not None and n not in sliced}
    if kpi.matures is not None and rows.outcome is not None:
        later = "(s.kpi_cutoff IS NOT NULL AND r.kpi_outcome >= s.kpi_cutoff)"
        if rows.numerator is not None:
            if "kpi_numerator" in sliced:
                own = f"({sliced['kpi_numerator']})"
            else:  # computed on the source's rows under another name, aged on the joined
                static["kpi_numerator_all"] = static.pop("kpi_numerator")
                own = "r.kpi_numerator_all"
            sliced["kpi_numerator"] = f"CASE WHEN {later} THEN 0.0 ELSE {own} END"
        else:
            joined += f" AND NOT coalesce({later}, FALSE)"
        if rows.entered is not None:
            joined += " AND NOT coalesce(r.kpi_entered >= s.kpi_cutoff, FALSE)"
    if rows.per is not None:  # distinct keys per distinct `per`
        fractions = ", ".join(
            f"count(DISTINCT j.{part}) FILTER (WHERE {kept})::DOUBLE"
            for part in ("kpi_key", "kpi_per")
        )
    elif rows.numerator is None:
        fractions = "0.0, 0.0"
    elif rows.key is not None and rows.denominator is not None:
        # distinct keys of the rows with a nonzero numerator, and with a nonzero denominator
        fractions = ", ".join(
            f"count(DISTINCT j.kpi_key) FILTER (WHERE {kept} AND {part} <> 0)::DOUBLE"
            for part in ("j.kpi_numerator", "j.kpi_denominator")
        )
    else:
        denominator = (
            f"coalesce(fsum(j.kpi_denominator * j.kpi_share) FILTER (WHERE {kept}), 0.0)"
            if rows.denominator is not None
            else f"count(DISTINCT j.kpi_key) FILTER (WHERE {kept})::DOUBLE"  # per distinct key
        )
        fractions = (
            f"coalesce(fsum(j.kpi_numerator * j.kpi_share) FILTER (WHERE {kept}), 0.0), "
            f"{denominator}"
        )
    present = f"count(j.kpi_value) FILTER (WHERE {kept})" if rows.value is not None else "0"
    also = "".join(
        f", count(*) FILTER (WHERE NOT ({kept}) AND coalesce(j.kpi_also_{i}, FALSE))"
        for i in range(len(rows.also))
    )
    flagged = (
        f"count(*) FILTER (WHERE {kept} AND coalesce(j.kpi_flagged, FALSE))"
        if rows.flagged is not None
        else "0"
    )
    tallies = "".join(
        f", count(*) FILTER (WHERE {kept} AND coalesce(j.kpi_tally_{i}, FALSE))"
        for i in range(len(rows.tally))
    )
    measures = "".join(f", ({with_settings(sql, ctx)})::DOUBLE" for _, sql in rows.measures)
    computed = "".join(f", ({sql}) AS {name}" for name, sql in sliced.items())
    inner = (
        f"SELECT r.*, s.*{computed} "
        f"FROM ({relation(kpi, ctx, static)}) r JOIN {SLICES} s ON {joined}"
    )
    sql = (
        f"SELECT {', '.join([*keys, *dims])}, {total} AS is_total, "
        f"count(*) FILTER (WHERE {kept}), "
        f"count(*) FILTER (WHERE NOT ({kept})), {present}, {value}, {fractions}, "
        f"{flagged}{also}{tallies}{measures} "
        f"FROM ({with_settings(inner, ctx)}) j GROUP BY {grouping}"
    )
    found: dict[int, dict[Labels, dict[Split, Stats]]] = {i: {} for i in range(count)}
    width = len(splits)
    for record in con.execute(ready(ctx, sql)).fetchall():
        slice_, *rest = record
        split_values = rest[:width]
        labels = tuple(_label(v) for v in rest[width : width + len(dims)])
        is_total, n, left, present_n, agg, num, den, flags, *counted = rest[width + len(dims) :]
        ends = (len(rows.also), len(rows.also) + len(rows.tally))
        left_met, tallied, measured = (
            counted[: ends[0]],
            counted[ends[0] : ends[1]],
            counted[ends[1] :],
        )
        split: Split = (
            _label(split_values[0]) if width > 0 else None,
            _label(split_values[1]) if width > 1 else None,
        )
        key: Labels = None if is_total else labels
        found[slice_].setdefault(key, {})[split] = Stats(
            int(n),
            int(left),
            int(present_n),
            None if agg is None else float(agg),
            num,
            den,
            tuple(int(c) for c in left_met),
            int(flags),
            tuple(int(c) for c in tallied),
            {name: m for (name, _), m in zip(rows.measures, measured, strict=True)},
        )
    return found


LASTS = "r.kpi_spans > r.kpi_at"  # a row whose span has a length (`Rows.spans`)


def _reads_slice(sql: str) -> bool:
    """Whether a declared expression reads the slice it is counted in."""
    return "kpi_start" in sql or "kpi_stop" in sql or "s.kpi_" in sql


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


def _value_sql(kind: Aggregation, kept: str) -> str:
    """The SQL of the kind's value over the kept rows (ratios are made of their sums); sums
    count each row by its share in the slice (`_share`)."""
    match kind:
        case Aggregation.COUNT:
            return f"count(*) FILTER (WHERE {kept})"
        case Aggregation.COUNT_DISTINCT:
            return f"count(DISTINCT j.kpi_key) FILTER (WHERE {kept})"
        case Aggregation.SUM | Aggregation.DISTRIBUTION:
            return f"coalesce(fsum(j.kpi_value * j.kpi_share) FILTER (WHERE {kept}), 0.0)"
        case Aggregation.MEAN:
            # a compensated sum over the count, not avg: the same last digit whatever the
            # order DuckDB's threads add the rows in
            total = f"fsum(j.kpi_value) FILTER (WHERE {kept})"
            return f"{total} / count(j.kpi_value) FILTER (WHERE {kept})"
        case Aggregation.MEDIAN:
            return f"median(j.kpi_value) FILTER (WHERE {kept})"
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
