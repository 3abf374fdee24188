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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from salesmetrics.canonical import ARROW_TYPES
from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import Aggregation, Context, Kpi, Rows
from salesmetrics.kpis.views import VIEWS
from salesmetrics.periods import Period
from salesmetrics.schema import DEAL_STAGES, ENTITIES, STAGE_DATE_PREFIX

if TYPE_CHECKING:
    import duckdb

THREADS = "SALESMETRICS_THREADS"
"""The environment variable that sets DuckDB's thread count (default: DuckDB's, all cores)."""
SLICES = "report_slices"
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


def connection(ctx: Context) -> duckdb.DuckDBPyConnection:
    """The report's DuckDB connection with its frames and the shared views, made once."""
    found: duckdb.DuckDBPyConnection = ctx.memo("duckdb", lambda: _connect(ctx.frames))
    return found


def _connect(frames: Mapping[str, pd.DataFrame]) -> duckdb.DuckDBPyConnection:
    import duckdb

    config: dict[str, Any] = {}
    threads = os.environ.get(THREADS)
    if threads:
        if not threads.isdigit() or int(threads) < 1:
            raise SalesmetricsError(f"{THREADS}={threads!r}: give a whole number of threads, 1+")
        config["threads"] = int(threads)
    con = duckdb.connect(":memory:", config=config)
    for name in ENTITIES:
        table = _canonical(name, frames.get(name))
        con.register(f"input_{name}", table)
        con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM "input_{name}"')
    for name, sql in VIEWS.items():
        con.execute(f'CREATE VIEW "{name}" AS {sql}')
    return con


def _canonical(name: str, frame: pd.DataFrame | None) -> pa.Table:
    """The entity's frame as Arrow, with every canonical field (typed blanks where the input
    has none, and none at all when there is no such input), the deals' entered_<stage> dates
    and the anomaly flags of its date fields; the frame's own columns (dimensions) kept."""
    wanted = {f.name: ARROW_TYPES[f.kind] for f in ENTITIES[name].fields}
    if name == "deals":
        wanted |= {STAGE_DATE_PREFIX + s: pa.timestamp("us") for s in DEAL_STAGES}
    dates = [f.name for f in ENTITIES[name].fields if pa.types.is_timestamp(ARROW_TYPES[f.kind])]
    wanted |= {IMPLAUSIBLE + d: pa.bool_() for d in dates}
    if frame is None:
        return pa.table({c: pa.array([], t) for c, t in wanted.items()})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    rows = table.num_rows
    for column, kind in wanted.items():
        if column not in table.column_names:
            blank = False if column.startswith(IMPLAUSIBLE) else None
            table = table.append_column(pa.field(column, kind), pa.array([blank] * rows, kind))
    return table


def columns(ctx: Context, source: str) -> set[str]:
    """The columns a table or view of the connection has."""
    con = connection(ctx)
    return {row[0] for row in con.execute(f'DESCRIBE "{source}"').fetchall()}


def slices_table(slices: Sequence[tuple[Period, date | None]]) -> pa.Table:
    """The slices as a table: their number, first instant, the instant after the last, and the
    instant after a same-age view's cutoff day (blank: all data)."""

    def stamp(day: date | None) -> pd.Timestamp | None:
        return None if day is None else pd.Timestamp(day)

    return pa.table(
        {
            "kpi_slice": pa.array(range(len(slices)), pa.int32()),
            "kpi_start": pa.array([stamp(p.start) for p, _ in slices], pa.timestamp("us")),
            "kpi_stop": pa.array([stamp(p.end_exclusive) for p, _ in slices], pa.timestamp("us")),
            "kpi_cutoff": pa.array(
                [stamp(c + timedelta(days=1)) if c else None for _, c in slices],
                pa.timestamp("us"),
            ),
        }
    )


def relation(kpi: Kpi, ctx: Context) -> str:
    """The KPI's rows over all time as SQL: the source's rows that pass its conditions, with
    the declaration's columns under fixed names (kpi_at, kpi_value, …)."""
    rows = kpi.relation
    assert rows is not None
    settings = ctx.settings
    parts = {
        "kpi_at": rows.at,
        "kpi_until": rows.until,
        "kpi_value": rows.value,
        "kpi_numerator": rows.numerator,
        "kpi_denominator": rows.denominator,
        "kpi_key": rows.key,
        "kpi_category": rows.category,
        "kpi_subcategory": rows.subcategory,
        "kpi_left_out": rows.left_out,
        "kpi_outcome": rows.outcome,
        "kpi_entered": rows.entered,
    }
    chosen = [f"({sql}) AS {name}" for name, sql in parts.items() if sql is not None]
    where = " AND ".join(f"({condition})" for condition, _ in rows.where) or "TRUE"
    sql = f'SELECT *, {", ".join(chosen)} FROM "{rows.source}" WHERE {where}'
    return sql.format_map(_Settings(settings))


class _Settings(dict[str, Any]):
    """The report's KPI settings, for `{name}` in a declaration's SQL (as SQL literals)."""

    def __init__(self, settings: Any) -> None:
        super().__init__()
        self.settings = settings

    def __missing__(self, key: str) -> str:
        value = getattr(self.settings, key)
        return "NULL" if value is None else repr(value)


def with_settings(sql: str, ctx: Context) -> str:
    """One expression of a declaration with `{name}` replaced by the report's KPI setting of
    that name, as `relation` does for the whole query (salesmetrics.explain reads each)."""
    return sql.format_map(_Settings(ctx.settings))


def measure(
    kpi: Kpi,
    ctx: Context,
    slices: Sequence[tuple[Period, date | None]],
    attrs: tuple[str, ...],
) -> dict[int, dict[Labels, dict[Split, Stats]]]:
    """The KPI's Stats in each slice (by position), for the total (None) and, by its labels,
    each group of `attrs` (none when `attrs` is empty), per category and subcategory."""
    rows = kpi.relation
    assert rows is not None
    con = connection(ctx)
    con.register(SLICES, slices_table(slices))
    splits = [
        c
        for c, sql in (("kpi_category", rows.category), ("kpi_subcategory", rows.subcategory))
        if sql
    ]
    dims = [f'r."{d}"' for d in attrs]
    keys = ["s.kpi_slice", *(f"r.{c}" for c in splits)]
    if dims:
        grouping = f"GROUPING SETS (({', '.join(keys)}), ({', '.join(keys + dims)}))"
        total = f"GROUPING({', '.join(dims)}) <> 0"
    else:
        grouping = ", ".join(keys)
        total = "TRUE"
    kept = "NOT coalesce(r.kpi_left_out, FALSE)" if rows.left_out else "TRUE"
    value = _value_sql(kpi.aggregation, kept)
    numerator = "r.kpi_numerator"
    joined = _in_slice(rows)
    if kpi.matures is not None and rows.outcome is not None:
        later = "(s.kpi_cutoff IS NOT NULL AND r.kpi_outcome >= s.kpi_cutoff)"
        if rows.numerator is not None:
            numerator = f"CASE WHEN {later} THEN 0.0 ELSE r.kpi_numerator END"
        else:
            joined += f" AND NOT coalesce({later}, FALSE)"
        if rows.entered is not None:
            joined += " AND NOT coalesce(r.kpi_entered >= s.kpi_cutoff, FALSE)"
    fractions = (
        f"coalesce(fsum({numerator}) FILTER (WHERE {kept}), 0.0), "
        f"coalesce(fsum(r.kpi_denominator) FILTER (WHERE {kept}), 0.0)"
        if rows.numerator is not None
        else "0.0, 0.0"
    )
    present = f"count(r.kpi_value) FILTER (WHERE {kept})" if rows.value is not None else "0"
    selected = ", ".join([*keys, *dims])
    sql = (
        f"SELECT {selected}, {total} AS is_total, "
        f"count(*) FILTER (WHERE {kept}), "
        f"count(*) FILTER (WHERE NOT ({kept})), {present}, {value}, {fractions} "
        f"FROM ({relation(kpi, ctx)}) r JOIN {SLICES} s ON {joined} "
        f"GROUP BY {grouping}"
    )
    found: dict[int, dict[Labels, dict[Split, Stats]]] = {i: {} for i in range(len(slices))}
    width = len(splits)
    for record in con.execute(sql).fetchall():
        slice_, *rest = record
        split_values = rest[:width]
        labels = tuple(_label(v) for v in rest[width : width + len(dims)])
        is_total, n, left, present_n, agg, num, den = rest[width + len(dims) :]
        split: Split = (
            _label(split_values[0]) if width > 0 else None,
            _label(split_values[1]) if width > 1 else None,
        )
        key: Labels = None if is_total else labels
        found[slice_].setdefault(key, {})[split] = Stats(
            int(n), int(left), int(present_n), None if agg is None else float(agg), num, den
        )
    con.unregister(SLICES)
    return found


def _in_slice(rows: Rows) -> str:
    """When a row is in a slice: its date in the period (a snapshot's row: open at its end),
    and the declaration's own condition on the slice, if any."""
    if rows.until is None:
        found = "r.kpi_at >= s.kpi_start AND r.kpi_at < s.kpi_stop"
    else:
        found = "r.kpi_at < s.kpi_stop AND (r.kpi_until IS NULL OR r.kpi_until >= s.kpi_stop)"
    return found if rows.during is None else f"{found} AND coalesce({rows.during}, FALSE)"


def _value_sql(kind: Aggregation, kept: str) -> str:
    """The SQL of the kind's value over the kept rows (ratios are made of their sums)."""
    match kind:
        case Aggregation.COUNT:
            return f"count(*) FILTER (WHERE {kept})"
        case Aggregation.COUNT_DISTINCT:
            return f"count(DISTINCT r.kpi_key) FILTER (WHERE {kept})"
        case Aggregation.SUM | Aggregation.DISTRIBUTION:
            return f"coalesce(fsum(r.kpi_value) FILTER (WHERE {kept}), 0.0)"
        case Aggregation.MEAN:
            return f"avg(r.kpi_value) FILTER (WHERE {kept})"
        case Aggregation.MEDIAN:
            return f"median(r.kpi_value) FILTER (WHERE {kept})"
        case Aggregation.RATIO:
            return "NULL"
    raise SalesmetricsError(f"no SQL for a {kind} KPI")


def _label(value: object) -> str:
    """A group's label; blanks get a visible one (as the pandas engine's)."""
    return "(blank)" if value is None or value != value else str(value)


def currencies(
    kpi: Kpi, ctx: Context, slices: Sequence[tuple[Period, date | None]]
) -> dict[int, list[tuple[str, int]]]:
    """For each slice (by position) whose rows carry more than one currency, the currencies
    with their row counts, most first: amounts in several currencies are never summed."""
    con = connection(ctx)
    rows = kpi.relation
    assert rows is not None
    con.register(SLICES, slices_table(slices))
    sql = (
        f"SELECT s.kpi_slice, r.currency, count(*) FROM ({relation(kpi, ctx)}) r "
        f"JOIN {SLICES} s ON {_in_slice(rows)} WHERE r.currency IS NOT NULL "
        "GROUP BY s.kpi_slice, r.currency ORDER BY s.kpi_slice, 3 DESC, 2"
    )
    found: dict[int, list[tuple[str, int]]] = {}
    for slice_, currency, n in con.execute(sql).fetchall():
        found.setdefault(int(slice_), []).append((str(currency), int(n)))
    con.unregister(SLICES)
    return {s: listed for s, listed in found.items() if len(listed) > 1}
