"""The Spark engine (`--engine spark`): the KPI declarations' SQL, written for DuckDB, run on
Spark, locally or on a cluster over Spark Connect.

The rest of salesmetrics talks to a DuckDB connection (salesmetrics.duck); `Connection` is the
part of that surface it uses (`execute` … `fetchall`, `sql` … `to_arrow_table`, `register`,
`unregister`, and `parquet_scan` for salesmetrics.tables) over a SparkSession. Each statement
is transpiled from DuckDB's SQL to Spark's with sqlglot, and the places where the two engines
differ are handled here, once, for every KPI (`translate`, `_portable`):

- a literal with a decimal point is a DOUBLE in DuckDB and a DECIMAL in Spark, whose arithmetic
  moves a median in the ninth digit: it is cast to DOUBLE;
- an aggregate with a FILTER clause takes the filter into its argument (Spark rejects FILTER on
  some aggregates, such as a median), and arg_min / arg_max into their key;
- `COLUMNS(...)` (a regex, or a lambda leaving names out) and `* REPLACE` are quoted regex
  columns, which Spark reads as such with `spark.sql.parser.quotedRegexColumnNames`;
- `UNION ALL BY NAME` lists each side's columns by name, NULL where a side has none;
- `list(… ORDER BY …)`, `list_reduce` and `list_aggr(…, 'histogram')` are Spark's array
  functions; `fsum` is `sum`, `epoch_us` `unix_micros`, `to_days` `make_dt_interval`,
  HUGEINT DECIMAL(38, 0), and `date_trunc` keeps a timestamp without a time zone;
- a correlated subquery in an inner join's condition moves to WHERE;
- timestamps are Spark's TIMESTAMP_NTZ, as DuckDB's TIMESTAMP has no time zone, in a session
  whose time zone is UTC; ANSI mode is off (a division by zero is NULL, as in DuckDB).

A statement Spark refuses is one line (`refused`); Spark's own start-up lines and logs are
kept off the report's standard error (`quiet_stderr`).
"""

from __future__ import annotations

import itertools
import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from salesmetrics.errors import SalesmetricsError

if TYPE_CHECKING:
    import pyarrow as pa
    import sqlglot.expressions as exp
    from pyspark.sql import DataFrame, SparkSession

REMOTE = "SALESMETRICS_SPARK_REMOTE"
"""The environment variable naming a Spark Connect server (sc://host:15002); the config's
`spark: {remote: …}` says the same. Without either, Spark runs in this process (local mode)."""

CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.parser.quotedRegexColumnNames": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
}
"""Session settings every statement relies on (see the module's docstring)."""

LOCAL = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": str(os.cpu_count() or 1),
    "spark.driver.memory": "2g",
    "spark.driver.extraJavaOptions": "-XX:+UseParallelGC",
    "spark.ui.showConsoleProgress": "false",
}
"""Settings of a session started here (local mode): a shuffle in as many parts as there are
cores (Spark's default, 200, made the sample company's report twice as slow: each part is a
task), the JVM's throughput garbage collector (its default, G1, collects beside the queries
on cores they need: the sample report 64 s to 58 s on two), no web UI, no progress bar."""


@dataclass
class Result:
    """The rows of one statement, as DuckDB's `fetchall` gives them."""

    rows: list[tuple[Any, ...]]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


@dataclass
class Relation:
    """A query's rows as DuckDB's relation gives them to explain (`to_arrow_table`)."""

    frame: DataFrame

    def to_arrow_table(self) -> pa.Table:
        with refused():
            return self.frame.toArrow()


class Connection:
    """The DuckDB connection surface salesmetrics uses, over a SparkSession."""

    def __init__(self, session: SparkSession) -> None:
        self.session = session
        self._scans = itertools.count()  # names of the Parquet scans

    def register(self, name: str, table: pa.Table) -> None:
        """`table` as the temporary view `name`."""
        self.session.createDataFrame(_spark_ready(table)).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.session.catalog.dropTempView(name)

    def execute(self, sql: str) -> Result:
        """Run one of the statements salesmetrics issues: CREATE VIEW / TABLE (a cached view),
        DROP, DESCRIBE, or a query."""
        with refused():
            return self._execute(sql)

    def _execute(self, sql: str) -> Result:
        made = re.match(r'\s*CREATE (VIEW|TABLE) "(\w+)" AS (.*)\Z', sql, re.S)
        if made:
            kind, name, body = made.groups()
            frame = self.frame(body)
            if kind == "TABLE":
                frame = frame.cache()
            frame.createOrReplaceTempView(name)
            return Result([])
        dropped = re.match(r'\s*DROP (?:VIEW|TABLE) "(\w+)"\s*\Z', sql)
        if dropped:
            self.session.catalog.dropTempView(dropped.group(1))
            return Result([])
        described = re.match(r'\s*DESCRIBE "(\w+)"\s*\Z', sql)
        if described:
            return Result([(c,) for c in self.session.table(described.group(1)).columns])
        return Result([tuple(row) for row in self.frame(sql).collect()])

    def parquet_scan(self, files: Sequence[str]) -> str:
        """A view of Parquet `files` as DuckDB's read_parquet gives them to
        salesmetrics.tables: their own columns, each row's `file_row_number` in its file and
        its file's path as given (`filename`)."""
        from pyspark.sql import functions as F

        parts = [
            self.session.read.parquet(path).select(
                "*",
                F.col("_metadata.row_index").alias("file_row_number"),
                F.lit(path).alias("filename"),
            )
            for path in files
        ]
        scan = parts[0]
        for part in parts[1:]:
            scan = scan.unionByName(part, allowMissingColumns=True)
        name = f"_parquet_{next(self._scans)}"
        scan.createOrReplaceTempView(name)
        return name

    def sql(self, sql: str) -> Relation:
        """A query whose rows are read as Arrow (salesmetrics.explain)."""
        return Relation(self.frame(sql))

    def frame(self, sql: str) -> DataFrame:
        """The Spark DataFrame of a DuckDB query."""
        return self.session.sql(translate(sql, self.columns))

    def columns(self, sql: str) -> list[str]:
        """The names of a Spark query's columns, from its plan (nothing is run)."""
        return list(self.session.sql(sql).columns)


@contextmanager
def refused() -> Iterator[None]:
    """An error Spark raises (its analysis, or the JVM's while running) as one line: Spark's
    own messages run to the whole plan and a Java stack."""
    try:
        yield
    except SalesmetricsError:
        raise
    except Exception as error:
        if not type(error).__module__.startswith(("pyspark", "py4j")):
            raise
        raise SalesmetricsError(f"Spark refused the report's query: {reason(error)}") from None


def reason(error: BaseException) -> str:
    """An error's first line (Spark's go on with the plan and a Java stack), else its kind."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _spark_ready(table: pa.Table) -> pa.Table:
    """`table` with the Arrow types Spark reads: large strings as strings, dictionaries
    decoded, timestamps in microseconds."""
    import pyarrow as pa

    fields = []
    for item in table.schema:
        kind = item.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            kind = pa.string()
        if pa.types.is_timestamp(kind):
            kind = pa.timestamp("us")
        if pa.types.is_null(kind):
            kind = pa.string()
        fields.append(pa.field(item.name, kind))
    return table.cast(pa.schema(fields))


def translate(sql: str, columns: Any = None) -> str:
    """Spark SQL for DuckDB's `sql`. `columns(spark_sql)` gives a query's column names, which
    UNION ALL BY NAME needs (`Connection.columns`); without it, such a union is left as it
    is, which Spark cannot run."""
    import sqlglot

    tree = _after(sqlglot.parse_one(sql, read="duckdb"))
    if columns is not None:
        tree = _by_name(tree, columns)
    return tree.sql(dialect="spark")


def _portable(node: exp.Expr) -> exp.Expr:
    """One node made portable (the module's docstring lists the cases)."""
    import sqlglot.expressions as exp

    if isinstance(node, exp.Literal) and not node.is_string:
        text = node.this
        if "." in text or "e" in text.lower():
            return exp.cast(node.copy(), exp.DataType.build("DOUBLE"))
        return node
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.AggFunc):
        return _filtered(node.this, node.expression.this)
    if isinstance(node, exp.Select) and any(map(_correlated_on, node.args.get("joins") or [])):
        return _joined_in_where(node)
    if isinstance(node, exp.Select) and any(_replacing(e) for e in node.expressions):
        node.set("expressions", [r for e in node.expressions for r in _replaced(e)])
        return node
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        if name == "fsum":
            return exp.Sum(this=node.expressions[0].copy())
        if name == "list_aggr" and node.expressions[1].name == "histogram":
            return _histogram(node.expressions[0])
        if name == "list_reduce" and len(node.expressions) == 3:
            items, step, start = node.expressions
            return exp.Anonymous(this="aggregate", expressions=[items, start, step])
        if name == "epoch_us":
            return exp.Anonymous(
                this="unix_micros", expressions=[_as_timestamp(node.expressions[0])]
            )
    if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc)) and not isinstance(
        node.parent, exp.Cast
    ):  # Spark's is a TIMESTAMP with a time zone, DuckDB's has none
        return exp.cast(node, exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"))
    if isinstance(node, exp.ToDays):
        return exp.Anonymous(this="make_dt_interval", expressions=[node.this])
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        return _ordered_list(node.this)
    if isinstance(node, exp.Length) and isinstance(node.this, (exp.ArrayFilter, exp.Array)):
        return exp.ArraySize(this=node.this.copy())
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
        return exp.DataType.build("DECIMAL(38, 0)")
    if isinstance(node, exp.Columns):
        return _regex_columns(node)
    return node


def _after(node: exp.Expr) -> exp.Expr:
    """`node` made portable (`_portable`) from the leaves up, so a node is rewritten after
    what it holds."""
    import sqlglot.expressions as exp

    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expr):
            node.set(key, _after(value))
        elif isinstance(value, list):
            node.set(key, [_after(v) if isinstance(v, exp.Expr) else v for v in value])
    return _portable(node)


def _histogram(items: exp.Expr) -> exp.Expr:
    """DuckDB's list_aggr(items, 'histogram'), a map of each distinct item to its count, in
    Spark's array functions."""
    import sqlglot

    inner = items.sql(dialect="spark")
    return sqlglot.parse_one(
        f"map_from_arrays(array_distinct({inner}), transform(array_distinct({inner}), "
        f"_item -> size(filter({inner}, _other -> _other = _item))))",
        read="spark",
    )


def _correlated_on(join: exp.Join) -> bool:
    """Whether an inner join's condition holds a subquery (Spark refuses a correlated one
    there)."""
    import sqlglot.expressions as exp

    on = join.args.get("on")
    inner = not join.side and join.kind in ("", None, "INNER")
    return inner and on is not None and on.find(exp.Exists, exp.Subquery) is not None


def _joined_in_where(select: exp.Select) -> exp.Select:
    """Each inner join's condition that holds a subquery moved to the WHERE clause, where
    Spark decorrelates it (the same rows: an inner join keeps what its condition keeps);
    Spark's optimiser takes the equalities back into the join."""
    import sqlglot.expressions as exp

    moved = []
    for join in select.args.get("joins") or []:
        if _correlated_on(join):
            moved.append(join.args["on"].copy())
            join.set("on", None)
            join.set("kind", "CROSS")
    where = select.args.get("where")
    conditions = ([where.this.copy()] if where is not None else []) + moved
    select.set("where", exp.Where(this=exp.and_(*(exp.paren(c) for c in conditions))))
    return select


def _star(node: exp.Expr) -> exp.Star | None:
    import sqlglot.expressions as exp

    if isinstance(node, exp.Column) and isinstance(node.this, exp.Star):
        return node.this
    return node if isinstance(node, exp.Star) else None


def _replacing(node: exp.Expr) -> bool:
    star = _star(node)
    return star is not None and bool(star.args.get("replace"))


def _replaced(node: exp.Expr) -> list[exp.Expr]:
    """`t.* REPLACE (expr AS name, …)` as every column of t but those named (a quoted regex
    column), then each expression under its name."""
    import sqlglot.expressions as exp

    star = _star(node)
    if star is None or not star.args.get("replace"):
        return [node]
    aliases = star.args["replace"]
    names = [a.alias for a in aliases]
    pattern = f"(?!({'|'.join(map(re.escape, names))})$).+"
    table = node.args.get("table") if isinstance(node, exp.Column) else None
    rest = exp.Column(this=exp.Identifier(this=pattern, quoted=True), table=table)
    return [rest, *aliases]


def _ordered_list(order: exp.Order) -> exp.Expr:
    """DuckDB's `list(value ORDER BY k1, k2, …)` (ascending, NULLs last): Spark collects
    without an order, so each value is collected beside its keys, the array sorted, and the
    values taken out. A key sorts as (is it NULL, key), which puts NULLs last."""
    import sqlglot

    keys = []
    for item in order.expressions:
        if item.args.get("desc") or item.args.get("nulls_first"):
            raise SalesmetricsError(f"Spark engine: cannot run list(… ORDER BY {item.sql()})")
        key = item.this.sql(dialect="spark")
        keys.append(f"{key} IS NULL, {key}")
    value = order.this.sql(dialect="spark")
    return sqlglot.parse_one(
        f"transform(sort_array(collect_list(named_struct('k', struct({', '.join(keys)}), "
        f"'v', {value}))), _entry -> _entry.v)",
        read="spark",
    )


def _as_timestamp(node: exp.Expr) -> exp.Expr:
    import sqlglot.expressions as exp

    return exp.cast(node.copy(), exp.DataType.build("TIMESTAMPLTZ"))


def _filtered(aggregate: exp.AggFunc, condition: exp.Expr) -> exp.Expr:
    """`aggregate FILTER (WHERE condition)` as the aggregate of `CASE WHEN condition THEN
    argument END`: the rows the filter leaves out are NULL, which every aggregate skips. A
    count of rows (`count(*)`) counts a constant instead."""
    import sqlglot.expressions as exp

    argument = aggregate.this
    if isinstance(argument, exp.Star) or argument is None:
        argument = exp.Literal.number(1)
    if isinstance(aggregate, (exp.ArgMin, exp.ArgMax)):  # the rows left out have no key
        aggregate.set("expression", exp.case().when(condition, aggregate.expression.copy()))
        return aggregate
    if isinstance(argument, exp.Distinct):
        inner = argument.expressions[0]
        argument.set("expressions", [exp.case().when(condition, inner.copy())])
        return aggregate
    aggregate.set("this", exp.case().when(condition, argument.copy()))
    return aggregate


def _regex_columns(node: exp.Columns) -> exp.Expr:
    """DuckDB's COLUMNS('regex') or COLUMNS(lambda c: c NOT IN (...)) as a quoted regex
    column: Spark matches the whole name against it."""
    import sqlglot.expressions as exp

    inner = node.this
    if isinstance(inner, exp.Literal) and inner.is_string:
        pattern = inner.this.removeprefix("^").removesuffix("$")
    elif isinstance(inner, exp.Lambda):
        pattern = "".join(f"(?!{part})" for part in _excluded(inner.this)) + ".+"
    else:
        raise SalesmetricsError(f"Spark engine: cannot run COLUMNS({inner.sql()})")
    return exp.Column(this=exp.Identifier(this=pattern, quoted=True))


def _excluded(body: exp.Expr) -> list[str]:
    """The regexes (each anchored at the name's start) of the names a COLUMNS lambda leaves
    out: `c NOT IN (...)`, `NOT starts_with(c, '...')`, joined by AND."""
    import sqlglot.expressions as exp

    if isinstance(body, exp.And):
        return [*_excluded(body.this), *_excluded(body.expression)]
    if isinstance(body, exp.Not) and isinstance(body.this, exp.In):
        names = [e.this for e in body.this.expressions]
        return [f"({'|'.join(map(re.escape, names))})$"]
    if isinstance(body, exp.Not) and isinstance(body.this, exp.StartsWith):
        return [re.escape(body.this.expression.this)]
    raise SalesmetricsError(f"Spark engine: cannot run COLUMNS(lambda: {body.sql()})")


def _by_name(tree: exp.Expr, columns: Any) -> exp.Expr:
    """Each UNION ALL BY NAME (innermost first) as a plain UNION ALL of its sides with the
    same columns in the same order, NULL where a side lacks one. A side's columns come from
    Spark's plan of it, with the common table expressions in scope."""
    import sqlglot.expressions as exp

    unions = [u for u in tree.find_all(exp.Union) if u.args.get("by_name")]
    for union in reversed(unions):  # innermost last in find_all's breadth-first order
        sides = [union.left, union.right]
        names = [columns(_scoped(side, tree)) for side in sides]
        wanted = list(dict.fromkeys(n for found in names for n in found))
        rebuilt = []
        for side, found in zip(sides, names, strict=True):
            have = {n.lower() for n in found}
            items = [
                exp.column(n, quoted=True)
                if n.lower() in have
                else exp.alias_(exp.null(), n, quoted=True)
                for n in wanted
            ]
            rebuilt.append(exp.select(*items).from_(exp.paren(side.copy()).as_("_side")))
        plain = exp.union(rebuilt[0], rebuilt[1], distinct=False)
        plain.set("with_", union.args.get("with_"))
        if union is tree:
            tree = plain
        else:
            union.replace(plain)
    return tree


def _scoped(side: exp.Expr, tree: exp.Expr) -> str:
    """The Spark SQL of one side of a union, with the common table expressions it may read in
    front of it: those of the statement defined before the one that holds it."""
    import sqlglot.expressions as exp

    ctes = []
    for with_ in tree.find_all(exp.With):
        for cte in with_.expressions:
            if _holds(cte, side):
                break
            ctes.append(cte.copy())
    body = side.copy()
    if ctes:
        body = exp.select("*").from_(exp.paren(body).as_("_side"))
        body.set("with_", exp.With(expressions=ctes))
    return body.sql(dialect="spark")


def _holds(outer: exp.Expr, inner: exp.Expr) -> bool:
    node: exp.Expr | None = inner
    while node is not None:
        if node is outer:
            return True
        node = node.parent
    return False


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Spark's JVM, started inside, writes its startup warnings and progress to the file
    descriptor 2 it inherits: it gets the null device, so a report's standard error holds
    only salesmetrics' own lines (Spark's errors still reach Python as exceptions)."""
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def session(remote: str | None = None, conf: Sequence[tuple[str, str]] = ()) -> SparkSession:
    """The SparkSession the report runs on: Spark Connect at `remote` (or $REMOTE), else local
    mode on every core, started once per process."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SalesmetricsError(
            "--engine spark needs PySpark: pip install 'salesmetrics[spark]' (and a Java 17+ "
            "runtime for local mode)"
        ) from None
    remote = remote or os.environ.get(REMOTE)
    builder = SparkSession.builder.appName("salesmetrics")
    settings = {**CONF, **dict(conf)}
    if remote:
        builder = builder.remote(remote)
    else:
        builder = builder.master("local[*]")
        settings = {**LOCAL, **settings}
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        with quiet_stderr():
            found = builder.getOrCreate()
    except Exception as error:  # the JVM's or the server's reason, in one line
        raise SalesmetricsError(f"Spark did not start: {reason(error)}") from None
    if not remote:
        found.sparkContext.setLogLevel("OFF")
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        logging.getLogger(name).disabled = True  # each failed query's plan, as JSON
    for key, value in settings.items():  # a session already started keeps its own
        if found.conf.isModifiable(key):
            found.conf.set(key, value)
    return found
