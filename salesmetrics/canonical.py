"""Canonical datasets: the loaded inputs' tables as Parquet, to compute from without the exports.

`validate --export DIR` writes one folder per entity (`DIR/deals/`), partitioned by the month
of the entity's first date (`partition_month=2026-10/`, Hive style, read as such by DuckDB,
Spark, pandas and Polars), and `DIR/manifest.json`: the entities with their row counts and date
spans, and each source file with its sha256, mapping and row accounting. `report --canonical
DIR` computes from the folder without reading or mapping the exports again.

Read for a report, a large event log (`LAZY`: activities, leads, from `LAZY_ROWS` rows) is
not loaded: it stays a `tables.Parquet` that DuckDB reads in place, only the columns and row
groups (months) a report's queries need, within `--memory-limit`. The other entities are
loaded: they are small beside the logs (a million deals against tens of millions of
activities), and some KPIs work on them in pandas (currency conversion, the MRR book, quotas,
snapshots of deals).

It is also how other tools hand data to salesmetrics: a folder of entity folders whose columns
follow `arrow_schema(entity)` (a dbt model or a warehouse table written as Parquet). The
manifest is then optional; columns the schema does not name are kept as dimensions (text).
On the spark engine, the entities may instead be tables of Spark's catalog (the config's
`spark: tables:`, `read_spark`): their columns in the canonical types, read as `read` reads
the folders, the large logs left in Spark (`tables.SparkTable`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from salesmetrics.coverage import SPAN_DATES
from salesmetrics.errors import InputError
from salesmetrics.ingest.encode import encode_repeated
from salesmetrics.ingest.quality import InputQuality
from salesmetrics.render.json_report import INPUT_KEYS
from salesmetrics.schema import ENTITIES, Kind
from salesmetrics.tables import ORDER, Parquet, SparkTable, Table  # ORDER: a row's place

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

FORMAT = "salesmetrics-canonical"
VERSION = 1
MANIFEST = "manifest.json"
PARTITION = "partition_month"
NO_MONTH = "__HIVE_DEFAULT_PARTITION__"  # Hive's name for the partition of blank keys
ROW = "_row"  # the source row number the loaders keep
IMPLAUSIBLE = "_implausible_"  # salesmetrics.anomalies' flag columns
ARROW_TYPES = {
    Kind.ID: pa.string(),
    Kind.TEXT: pa.string(),
    Kind.ENUM: pa.string(),
    Kind.PERIOD: pa.string(),
    Kind.DATETIME: pa.timestamp("us"),
    Kind.MONTH: pa.timestamp("us"),  # the month's first day
    Kind.MONEY: pa.float64(),
    Kind.NUMBER: pa.float64(),
    Kind.PERCENT: pa.float64(),  # a fraction: 0.35 for 35 %
    Kind.BOOL: pa.bool_(),
}
QUALITY_FIELDS = (*INPUT_KEYS, "rows_unmatched")  # what accounts for every row read
LAZY = ("activities", "leads")
"""The entities read lazily when large: event logs, with no amounts to convert."""
LAZY_ROWS = 1_000_000
"""From this many rows, an entity of `LAZY` is read in place, not loaded (`read`)."""


def arrow_schema(entity: str) -> pa.Schema:
    """The Arrow schema of an entity's canonical table: every field the mappings can fill.
    A table may lack any optional field; `deals` may also hold `entered_<stage>` timestamps."""
    fields = [pa.field(f.name, ARROW_TYPES[f.kind]) for f in ENTITIES[entity].fields]
    return pa.schema(fields)


@dataclass(frozen=True)
class Canonical:
    """A canonical dataset read back: the frames, the sources' row accounting, the manifest."""

    frames: dict[str, Table]  # Parquet, SparkTable: read in place (`LAZY`)
    qualities: tuple[InputQuality, ...]
    manifest: Mapping[str, Any]


def export(
    frames: Mapping[str, pd.DataFrame], qualities: Sequence[InputQuality], folder: Path, as_of: date
) -> dict[str, Any]:
    """Write `frames` (one per entity, as `pipeline.frames_of` gives them) under `folder`,
    whole or not at all: into a temporary folder beside it, then renamed into place. An
    existing folder is replaced only when it is a canonical dataset (it has a manifest)."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or _foreign(folder)):
        raise InputError(
            f"{folder}: exists and is not a canonical dataset (no {MANIFEST}); give a new or "
            "empty folder"
        )
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        entities = {name: _write(name, frame, work / name) for name, frame in frames.items()}
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "as_of": as_of.isoformat(),
            "entities": entities,
            "sources": [{k: getattr(q, k) for k in QUALITY_FIELDS} for q in qualities],
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _replace(work, folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def read(folder: Path, lazy_rows: int = LAZY_ROWS) -> Canonical:
    """The frames of a canonical dataset, typed as the loaders type them (repeated text
    dictionary-encoded too); an entity of `LAZY` with `lazy_rows` rows or more whose files
    hold its columns in their canonical types is left in its files (`tables.Parquet`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder; give the folder `validate --export` wrote")
    manifest = _manifest(folder)
    names = [p.name for p in sorted(folder.iterdir()) if p.is_dir() and p.name in ENTITIES]
    if not names:
        raise InputError(
            f"{folder}: no entity folders ({', '.join(ENTITIES)}) in it; give the folder "
            "`validate --export` wrote"
        )
    frames: dict[str, Table] = {
        name: _lazy(name, folder / name, lazy_rows) or _read(name, folder / name) for name in names
    }
    qualities = tuple(
        InputQuality(**{k: source[k] for k in QUALITY_FIELDS})
        for source in manifest.get("sources", ())
    )
    return Canonical(frames, qualities, manifest)


def _write(name: str, frame: pd.DataFrame, target: Path) -> dict[str, Any]:
    """One Parquet file per month of the entity's first date (`partition_month=YYYY-MM/`;
    rows without it under Hive's default partition), or one file when it has no date.
    Written file by file: Arrow's dataset writer leaves threads that can abort the process
    at exit (apache/arrow#36980)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.append_column(ORDER, pa.array(range(len(table)), pa.int64()))
    dated = next((c for c in SPAN_DATES.get(name, ()) if c in frame.columns), None)
    span = None
    if dated is None:
        target.mkdir(parents=True)
        pq.write_table(table, target / "part-0.parquet")
        return {"rows": len(frame), "partitioned_by": None, "span": None}
    stamps = table[dated]
    if stamps.null_count < len(table):
        span = [
            pc.min(stamps).as_py().date().isoformat(),
            pc.max(stamps).as_py().date().isoformat(),
        ]
    months = pc.fill_null(pc.strftime(stamps, format="%Y-%m"), NO_MONTH).to_numpy(
        zero_copy_only=False
    )
    order = np.argsort(months, kind="stable")
    keys, starts = np.unique(months[order], return_index=True)
    table = table.take(pa.array(order))
    for key, first, last in zip(keys, starts, [*starts[1:], len(order)], strict=True):
        folder = target / f"{PARTITION}={key}"
        folder.mkdir(parents=True)
        pq.write_table(table.slice(first, last - first), folder / "part-0.parquet")
    return {"rows": len(frame), "partitioned_by": dated, "span": span}


def _read(name: str, source: Path) -> pd.DataFrame:
    """Every Parquet file under `source` (Hive `key=value` folders become text columns),
    stacked; the rows of our own datasets back in their order."""
    tables = []
    for path in sorted(source.rglob("*.parquet")):
        try:
            table = pq.ParquetFile(path).read()
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{path}: cannot read it as Parquet: {exc}") from None
        for part in path.relative_to(source).parts[:-1]:
            key, sep, value = part.partition("=")
            if sep and key not in table.column_names:
                shown = None if value == NO_MONTH else value
                table = table.append_column(key, pa.array([shown] * len(table), pa.string()))
        tables.append(table)
    if not tables:
        raise InputError(f"{source}: no Parquet files in it")
    try:
        table = pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(f"{source}: its Parquet files disagree on their columns: {exc}") from None
    return _frame(name, table, source)


def _frame(name: str, table: pa.Table, source: Path | str) -> pd.DataFrame:
    """An entity's stored table as the loaders type it: the month partition left out, the
    rows of our own datasets back in their order (`ORDER`), every column in its canonical
    type and repeated text dictionary-encoded."""
    if PARTITION in table.column_names:
        table = table.drop_columns([PARTITION])
    if ORDER in table.column_names:
        table = table.sort_by(ORDER).drop_columns([ORDER])
    table = _typed(name, table, source)
    return encode_repeated(table.to_pandas(types_mapper=pd.ArrowDtype), name)


def _lazy(name: str, source: Path, lazy_rows: int) -> Parquet | None:
    """The entity's files as a Parquet table, when it is one of `LAZY`, has `lazy_rows` rows or
    more and every file holds the same columns in their canonical types (`_wanted`); None
    otherwise: loading it (`_read`) casts each column or says which cannot be cast."""
    files = tuple(sorted(source.rglob("*.parquet")))
    if name not in LAZY or not files:
        return None
    try:
        metadata = [pq.ParquetFile(path).metadata for path in files]
    except (pa.ArrowInvalid, OSError):
        return None  # loading it says which file
    rows = [meta.num_rows for meta in metadata]
    schemas = {meta.schema.to_arrow_schema().remove_metadata() for meta in metadata}
    hives = {tuple(_hive(path.relative_to(source))) for path in files}
    if sum(rows) < lazy_rows or len(schemas) != 1 or len(hives) != 1:
        return None
    (schema,), (hive,) = schemas, hives
    types = {f.name: f.type for f in schema}
    if not all(_canonical_type(name, column, kind) for column, kind in types.items()):
        return None
    if any(f not in types for f in ENTITIES[name].required) or "currency" in types:
        return None  # loading it names the missing column; a currency is converted in pandas
    keys = tuple(key for key in hive if key not in types and key != PARTITION)
    columns = tuple(c for c in (*types, *keys) if c != ORDER)
    offsets = tuple(int(n) for n in np.cumsum([0, *rows[:-1]]))
    return Parquet(name, files, columns, sum(rows), ORDER in types, offsets, keys)


def _hive(path: Path) -> list[str]:
    """The Hive keys of a file's folders (`partition_month=2026-10/part-0.parquet`)."""
    return [key for key, sep, _ in (part.partition("=") for part in path.parts[:-1]) if sep]


def _canonical_type(name: str, column: str, kind: pa.DataType) -> bool:
    """Whether a column stored as `kind` is in its canonical type (`_wanted`) as DuckDB reads
    it: text may be stored large or dictionary-encoded, an anomaly flag as a boolean."""
    wanted = _stored(name, column)
    if wanted == pa.string():
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        return kind in (pa.string(), pa.large_string())
    return kind == wanted


def _wanted(name: str, column: str) -> pa.DataType:
    """A column's canonical type: its field's, a deal's stage date, the source row number,
    else text (a dimension)."""
    schema = arrow_schema(name)
    if column in schema.names:
        return schema.field(column).type
    if name == "deals" and column.startswith("entered_"):
        return pa.timestamp("us")
    if column == ROW:
        return pa.int64()
    return pa.string()


def _typed(name: str, table: pa.Table, source: Path | str) -> pa.Table:
    """Every column in its canonical type (a warehouse may write int ids, dates, decimals);
    one that cannot be cast is an error naming it."""
    columns = []
    for column in table.column_names:
        wanted = _wanted(name, column)
        values = table[column]
        if values.type != wanted:
            try:
                values = values.cast(wanted)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise InputError(
                    f"{source}: column {column!r} is {values.type}, and cannot be read as "
                    f"{wanted}, its canonical type (README: Canonical datasets)"
                ) from None
        columns.append(values)
    missing = [f for f in ENTITIES[name].required if f not in table.column_names]
    if missing:
        raise InputError(f"{source}: {name} needs column(s) {', '.join(missing)}")
    return pa.table(columns, names=table.column_names)


SPARK_TYPES = {
    pa.string(): "string",
    pa.timestamp("us"): "timestamp_ntz",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.int64(): "bigint",
}
"""Spark's name of each canonical Arrow type (`read_spark`)."""


def read_spark(
    tables: Sequence[tuple[str, str]], session: SparkSession, lazy_rows: int = LAZY_ROWS
) -> Canonical:
    """The entities of `tables` ((entity, [catalog.]db.table), the config's `spark: tables:`)
    from Spark's catalog, as `read` gives a canonical dataset's: each table's canonical
    columns must be in their canonical types (`_spark_columns`); an entity of `LAZY` with
    `lazy_rows` rows or more and no currency stays in Spark (`tables.SparkTable`), the others
    are loaded and typed as `read` types them."""
    frames = {entity: _from_spark(entity, name, session, lazy_rows) for entity, name in tables}
    if not frames:
        raise InputError("spark.tables: no entity named; give ENTITY: TABLE lines")
    return Canonical(frames, (), {})


def _from_spark(entity: str, name: str, session: SparkSession, lazy_rows: int) -> Table:
    where = f"spark.tables.{entity}: {name}"
    try:
        frame = session.table(name)
    except Exception as exc:  # not in the catalog (Spark's AnalysisException), in one line
        from salesmetrics.spark import reason

        raise InputError(f"{where}: {reason(exc)}") from None
    columns, text = _spark_columns(entity, frame, where)
    order = (ORDER,) if ORDER in columns else _ranking(entity, columns)
    if entity in LAZY and "currency" not in columns:  # a currency is converted in pandas
        rows = frame.count()
        if rows >= lazy_rows:
            kept = tuple(c for c in columns if c != ORDER)
            return SparkTable(entity, name, kept, rows, order, text, session=session)
    if PARTITION in frame.columns:
        frame = frame.drop(PARTITION)
    table = frame.toArrow()
    if order != (ORDER,) and order:  # ranked as SparkTable ranks its rows
        table = table.sort_by([(c, "ascending") for c in order], null_placement="at_end")
    return _frame(entity, table, where)


def _spark_columns(entity: str, frame: Any, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A Spark table's columns (the month partition left out) and those of them that are
    dimensions stored in another type than text, read as text. A canonical column (a field,
    a deal's stage date, the source row number, `ORDER`, an anomaly flag) in another type
    than its canonical one, or a required field missing, is an error naming it."""
    columns, text = [], []
    for item in frame.schema:
        column, kind = item.name, item.dataType.simpleString()
        if column == PARTITION:
            continue
        columns.append(column)
        wanted = SPARK_TYPES[_stored(entity, column)]
        if kind == wanted:
            continue
        if not _dimension(entity, column):
            raise InputError(
                f"{where}: column {column!r} is {kind}, expected {wanted}, its canonical type: "
                f"cast it in a view of the table (README: On Spark)"
            )
        text.append(column)
    missing = [f for f in ENTITIES[entity].required if f not in columns]
    if missing:
        raise InputError(f"{where}: {entity} needs column(s) {', '.join(missing)}")
    return tuple(columns), tuple(text)


def _stored(name: str, column: str) -> pa.DataType:
    """A stored column's canonical type (`_canonical_type`'s): `_wanted`, the position
    `ORDER` and the anomaly flags included."""
    if column == ORDER:
        return pa.int64()
    if column.startswith(IMPLAUSIBLE):
        return pa.bool_()
    return _wanted(name, column)


def _dimension(name: str, column: str) -> bool:
    """Whether a column is a dimension (text whatever it is stored as), not a canonical one."""
    canonical = column in arrow_schema(name).names or column in (ORDER, ROW)
    staged = name == "deals" and column.startswith("entered_")
    return not (canonical or staged or column.startswith(IMPLAUSIBLE))


def _ranking(entity: str, columns: Sequence[str]) -> tuple[str, ...]:
    """The columns a table without `ORDER` ranks its rows by: the entity's id and date fields,
    in the schema's order."""
    dated = (Kind.ID, Kind.DATETIME, Kind.MONTH)
    return tuple(f.name for f in ENTITIES[entity].fields if f.kind in dated and f.name in columns)


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.exists():
        return {}  # a dataset written by another tool
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a salesmetrics manifest: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f'{path}: not a salesmetrics manifest (no "format": "{FORMAT}")')
    if manifest.get("version") != VERSION:
        raise InputError(
            f"{path}: manifest version {manifest.get('version')!r}; this salesmetrics reads "
            f"version {VERSION}: export it again"
        )
    return manifest


def _foreign(folder: Path) -> bool:
    """A folder that holds something other than a canonical dataset: never replaced."""
    return any(folder.iterdir()) and not (folder / MANIFEST).is_file()


def _replace(work: Path, folder: Path) -> None:
    """Put `work` where `folder` is: the old dataset is moved aside first and removed after,
    so a failure in between leaves one of the two whole."""
    if not folder.exists():
        os.replace(work, folder)
        return
    old = folder.with_name(f".{folder.name}.old.{os.getpid()}")
    os.replace(folder, old)
    try:
        os.replace(work, folder)
    except BaseException:
        os.replace(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)
