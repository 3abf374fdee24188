"""An input table as the engine asks about it beyond SQL: a loaded frame, or an entity read in
place, never loaded whole (`InPlace`): a canonical dataset's Parquet files (`Parquet`) or a
table of Spark's catalog (`SparkTable`, the config's `spark: tables:`).

A report asks an input which columns it has and how many rows (`.columns`, `len()`: both
kinds answer), whether a column is all blank (`blank`), the first and last of a date column
(`bounds`), the distinct values of a column or of a few together (`values`, `distinct`), the
days a date column (with an interval's end) covers (`days`) and whether every time in one is
a midnight (`midnight`). A frame answers from its columns (remembered while it lives:
a Parquet table from its files' metadata (row counts, null counts, the row groups' minimum
and maximum) or one DuckDB query over the files; a Spark table by one Spark query; each
answered once per table (salesmetrics.memo). No answer passes over rows in Python.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from salesmetrics.kpis.base import ROW, datetimes
from salesmetrics.memo import of_frame

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import SparkSession

    from salesmetrics.spark import Connection

ORDER = "_order"  # a row's place in the frame it was written from: partitions regroup rows
TEAMS = "_teams_"  # the owner -> team table a Parquet table with `with_teams` joins, per entity


class InPlace(ABC):
    """What an input read in place answers, whichever its kind: `columns`, `len()`, `teams`
    added (`with_teams`), `relation(con)` (its SQL for the report's connection, with each
    row's position `ROW`) and queries over it as `t` (`query`, `arrow`)."""

    entity: str
    columns: tuple[str, ...]
    rows: int
    teams: pa.Table | None

    def __len__(self) -> int:
        return self.rows

    def with_teams(self, owners: pa.Array, teams: pa.Array) -> InPlace:
        """The table with `team`, each row's owner's (blank for an owner not listed)."""
        looked_up = pa.table({"owner": owners.cast(pa.string()), "team": teams.cast(pa.string())})
        columns = (*(c for c in self.columns if c != "team"), "team")
        return replace(self, teams=looked_up, columns=columns)  # type: ignore[type-var]

    @abstractmethod
    def relation(self, con: Any) -> str:
        """The table as SQL for `con`: its columns and each row's position (`ROW`)."""

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """`sql` run with the table as `t`, on this table's own connection (made once)."""
        return self._con.execute(f"WITH t AS ({self.relation(self._con)}) {sql}").fetchall()

    @abstractmethod
    def arrow(self, sql: str) -> pa.Table:
        """`query`'s rows as an Arrow table."""

    @property
    @abstractmethod
    def _con(self) -> Any:
        """The table's own connection, made once, that `query` runs on."""

    def _statistics(self, column: str) -> list[Any] | None:
        """The stored statistics of `column` (`Parquet`'s); None: ask a query."""
        return None

    def _own(self) -> list[str]:
        """The table's own columns: all but the `team` looked up (`with_teams`)."""
        return [c for c in self.columns if not (self.teams is not None and c == "team")]

    def _teamed(self, con: Any, alias: str) -> tuple[list[str], str]:
        """The looked-up team's column and join onto the table's rows (as `alias`), when
        `with_teams` gave one: the owner -> team table is registered on `con`."""
        if self.teams is None:
            return [], ""
        con.register(f"{TEAMS}{self.entity}", self.teams)
        join = f" LEFT JOIN {TEAMS}{self.entity} t ON t.owner = {alias}.owner"
        return ["t.team AS team"], join


@dataclass(frozen=True, eq=False)
class Parquet(InPlace):
    """An entity's Parquet files as one table: `columns` (canonical fields and dimensions, in
    their canonical types; Hive `key=value` folders other than the month partition are text
    columns), `rows`, and each row's position (`ROW`): its `_order` when the files carry it
    (salesmetrics.canonical writes it), else its place in the files taken in path order, as
    `canonical.read` would stack them. `teams` (owner, team), when given, adds each row's
    owner's team (`salesmetrics.engine.prepare`)."""

    entity: str
    files: tuple[Path, ...]
    columns: tuple[str, ...]
    rows: int
    ordered: bool
    offsets: tuple[int, ...]  # each file's first row's position, when not `ordered`
    hive: tuple[str, ...] = ()  # the Hive keys kept as columns
    teams: pa.Table | None = None

    def relation(self, con: duckdb.DuckDBPyConnection) -> str:
        """The table as SQL for `con` (its owner -> team table registered there): every column,
        and `ROW`. DuckDB reads only the columns and row groups a query over it needs."""
        listed = ", ".join(_literal(str(p)) for p in self.files)
        scan = (
            f"read_parquet([{listed}], hive_partitioning = {str(bool(self.hive)).lower()}, "
            "hive_types_autocast = false, file_row_number = true, filename = true)"
        )
        if hasattr(con, "parquet_scan"):  # the spark engine's (salesmetrics.spark)
            scan = con.parquet_scan([str(p) for p in self.files])
        chosen = [f"p.{identifier(c)}" for c in self._own()]
        if self.ordered:
            chosen.append(f'p."{ORDER}" AS "{ROW}"')
            joins = ""
        else:
            offsets = pa.table(
                {
                    "file": pa.array([str(p) for p in self.files], pa.string()),
                    "first": pa.array(self.offsets, pa.int64()),
                }
            )
            con.register(f"_offsets_{self.entity}", offsets)
            chosen.append(f'o.first + p.file_row_number AS "{ROW}"')
            joins = f" JOIN _offsets_{self.entity} o ON o.file = p.filename"
        team, join = self._teamed(con, "p")
        return f"SELECT {', '.join([*chosen, *team])} FROM {scan} p{joins}{join}"

    def arrow(self, sql: str) -> pa.Table:
        table: pa.Table = self._con.sql(
            f"WITH t AS ({self.relation(self._con)}) {sql}"
        ).to_arrow_table()
        return table

    @cached_property
    def _con(self) -> duckdb.DuckDBPyConnection:
        from salesmetrics import memory

        return memory.connect({})

    @cached_property
    def _metadata(self) -> list[pq.FileMetaData]:
        return [pq.ParquetFile(p).metadata for p in self.files]

    def _statistics(self, column: str) -> list[Any] | None:
        """The statistics of `column` in every row group of every file, or None when some
        row group has none (or the column is not stored in the files)."""
        found = []
        for meta in self._metadata:
            names = [meta.schema.column(i).name for i in range(meta.num_columns)]
            if column not in names:
                return None
            at = names.index(column)
            for group in range(meta.num_row_groups):
                stats = meta.row_group(group).column(at).statistics
                if stats is None or not stats.has_null_count:
                    return None
                found.append(stats)
        return found


@dataclass(frozen=True, eq=False)
class SparkTable(InPlace):
    """An entity's table in Spark's catalog (the config's `spark: tables:`), read in place by
    the spark engine: `columns` (canonical fields in their canonical types, dimensions, `text`
    among them cast to text), `rows`, and each row's position (`ROW`): its `_order` when the
    table has one (a canonical export written to the lake), else its rank ordered by `order`,
    the entity's id and date fields (blanks last), rows equal on all of them ranked as Spark
    reads them. `teams` as `Parquet`'s."""

    entity: str
    name: str  # [catalog.]db.table, words joined by dots (salesmetrics.config)
    columns: tuple[str, ...]
    rows: int
    order: tuple[str, ...]  # (ORDER,): the table's own positions; else the ranking columns
    text: tuple[str, ...] = ()  # dimensions stored in another type than text
    teams: pa.Table | None = None
    session: SparkSession | None = field(default=None, repr=False)

    def relation(self, con: Any) -> str:
        """The table as SQL for `con`, a spark.Connection (its owner -> team table registered
        there): every column, and `ROW`."""
        chosen = [
            f"CAST(s.{identifier(c)} AS VARCHAR) AS {identifier(c)}"
            if c in self.text
            else f"s.{identifier(c)}"
            for c in self._own()
        ]
        if self.order == (ORDER,):
            chosen.append(f's."{ORDER}" AS "{ROW}"')
        else:
            keys = ", ".join(f"s.{identifier(c)} ASC NULLS LAST" for c in self.order) or "1"
            chosen.append(f'row_number() OVER (ORDER BY {keys}) - 1 AS "{ROW}"')
        team, join = self._teamed(con, "s")
        named = ".".join(identifier(part) for part in self.name.split("."))
        return f"SELECT {', '.join([*chosen, *team])} FROM {named} s{join}"

    def arrow(self, sql: str) -> pa.Table:
        return self._con.sql(f"WITH t AS ({self.relation(self._con)}) {sql}").to_arrow_table()

    @cached_property
    def _con(self) -> Connection:
        from salesmetrics.spark import Connection, session

        return Connection(self.session if self.session is not None else session())


def _literal(text: str) -> str:
    """A SQL string literal of a file's path (not a data value)."""
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    """A column or table name as a SQL identifier: quoted, its own quotes doubled (a dimension
    may be named anything an export or another tool's Parquet calls it)."""
    return '"' + name.replace('"', '""') + '"'


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(identifier(c) for c in columns)


Table = pd.DataFrame | InPlace
"""An input table: a loaded frame, or an entity read in place (a canonical dataset's Parquet,
a table of Spark's catalog)."""


def blank(table: Table, column: str) -> bool:
    """Whether a column the table has is all blank (a report asks it of every need of every
    KPI): a frame's Arrow column counts its nulls; a Parquet table sums its row groups' null
    counts."""
    if isinstance(table, InPlace):

        def counted() -> bool:
            stats = table._statistics(column)
            if stats is not None:
                return sum(s.null_count for s in stats) == table.rows
            ((found,),) = table.query(f"SELECT count({identifier(column)}) FROM t")
            return int(found) == 0

        answer: bool = of_frame(table, ("blank", column), counted)
        return answer

    def found() -> bool:
        values = table[column].array
        if isinstance(values, pd.arrays.ArrowExtensionArray):
            arrow = values.__arrow_array__()
            return bool(arrow.null_count == len(arrow))
        return bool(values.isna().all())

    known: bool = of_frame(table, ("blank", column), found)
    return known


def bounds(table: Table, column: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last value of a date column; None when it is absent or all blank. A
    Parquet table reads them from its row groups' statistics."""
    if column not in table.columns:
        return None
    if isinstance(table, InPlace):

        def found() -> tuple[pd.Timestamp, pd.Timestamp] | None:
            stats = table._statistics(column)
            if stats is not None and all(s.has_min_max or s.null_count for s in stats):
                known = [s for s in stats if s.has_min_max]
                if all(isinstance(s.min, datetime) for s in known):
                    if not known:
                        return None
                    first = min(s.min for s in known)
                    last = max(s.max for s in known)
                    return pd.Timestamp(first), pd.Timestamp(last)
            name = identifier(column)
            ((first, last),) = table.query(f"SELECT min({name}), max({name}) FROM t")
            return None if first is None else (pd.Timestamp(first), pd.Timestamp(last))

        answer: tuple[pd.Timestamp, pd.Timestamp] | None = of_frame(
            table, ("bounds", column), found
        )
        return answer

    def measured() -> tuple[pd.Timestamp, pd.Timestamp] | None:
        values = table[column]
        if not values.notna().any():
            return None
        return pd.Timestamp(values.min()), pd.Timestamp(values.max())

    known: tuple[pd.Timestamp, pd.Timestamp] | None = of_frame(table, ("bounds", column), measured)
    return known


def values(table: Table, column: str) -> list[Any]:
    """The distinct values of a column (blanks left out); none when the table lacks it."""
    if column not in table.columns:
        return []
    if isinstance(table, InPlace):
        name = identifier(column)
        sql = f"SELECT DISTINCT {name} FROM t WHERE {name} IS NOT NULL"
        answer: list[Any] = of_frame(
            table, ("values", column), lambda: [row[0] for row in table.query(sql)]
        )
        return answer
    return list(table[column].dropna().unique())


def distinct(table: Table, columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """The distinct combinations of the columns' values (blanks included, as None or NaN)."""
    if isinstance(table, InPlace):
        sql = f"SELECT DISTINCT {_quoted(columns)} FROM t"
        answer: list[tuple[Any, ...]] = of_frame(
            table, ("distinct", *columns), lambda: table.query(sql)
        )
        return answer
    combos = table[list(columns)].drop_duplicates()
    return list(combos.itertuples(index=False, name=None))


def days(table: Table, columns: Sequence[str]) -> list[np.ndarray]:
    """The days (datetime64[D], NaT for a blank) of the columns, aligned: of a frame, row by
    row; of a Parquet table, each distinct combination once (what covers days is the same)."""
    if isinstance(table, InPlace):
        chosen = ", ".join(f"CAST({identifier(c)} AS DATE)" for c in columns)

        def found() -> list[np.ndarray]:
            arrow = table.arrow(f"SELECT DISTINCT {chosen} FROM t")
            return [
                arrow.column(i).to_numpy(zero_copy_only=False).astype("datetime64[D]")
                for i in range(len(columns))
            ]

        answer: list[np.ndarray] = of_frame(table, ("days", *columns), found)
        return answer
    return [datetimes(table[c]).to_numpy().astype("datetime64[D]") for c in columns]


def midnight(table: Table, column: str) -> bool:
    """Whether a date column has a value and every value is a midnight (an export of dates)."""
    if isinstance(table, InPlace):
        name = identifier(column)
        sql = (
            f"SELECT count({name}) > 0 AND coalesce(bool_and({name} = "
            f"date_trunc('day', {name})), TRUE) FROM t"
        )
        answer: bool = of_frame(table, ("midnight", column), lambda: bool(table.query(sql)[0][0]))
        return answer
    known = datetimes(table[column]).dropna()
    return bool(len(known)) and bool((known == known.dt.normalize()).all())
