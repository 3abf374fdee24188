"""The Spark engine: each portability trap translated once (no Spark needed), and the sample
company's default report equal on DuckDB and on Spark, value by value (needs Java)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from salesmetrics.errors import SalesmetricsError
from salesmetrics.spark import translate

ROOT = Path(__file__).resolve().parents[1]


TRANSLATED = {
    # Spark reads 86400.0 as DECIMAL(6, 1), whose arithmetic moved a median in the ninth
    # digit; an integer stays an integer
    "decimal literal": (
        "SELECT x / 86400.0, x + 1 FROM t",
        "SELECT x / CAST(86400.0 AS DOUBLE), x + 1 FROM t",
    ),
    "filtered aggregate": (
        "SELECT median(x) FILTER (WHERE y > 0), count(*) FILTER (WHERE z) FROM t",
        "SELECT MEDIAN(CASE WHEN y > 0 THEN x END), COUNT(CASE WHEN z THEN 1 END) FROM t",
    ),
    "filtered distinct count": (
        "SELECT count(DISTINCT k) FILTER (WHERE y) FROM t",
        "SELECT COUNT(DISTINCT CASE WHEN y THEN k END) FROM t",
    ),
    # Spark's min_by keeps a row whose value is NULL: the rows filtered out lose their key
    "filtered arg_min": (
        "SELECT arg_min(q, r) FILTER (WHERE q IS NOT NULL) FROM t",
        "SELECT MIN_BY(q, CASE WHEN NOT q IS NULL THEN r END) FROM t",
    ),
    "functions": (
        "SELECT fsum(a), epoch_us(b), to_days(3) FROM t",
        "SELECT SUM(a), UNIX_MICROS(CAST(b AS TIMESTAMP_LTZ)), MAKE_DT_INTERVAL(3) FROM t",
    ),
    "hugeint": ("SELECT CAST(x AS HUGEINT) FROM t", "SELECT CAST(x AS DECIMAL(38, 0)) FROM t"),
    "date_trunc": (
        "SELECT date_trunc('day', x) FROM t",
        "SELECT CAST(DATE_TRUNC('DAY', x) AS TIMESTAMP_NTZ) FROM t",
    ),
    "columns regex": ("SELECT COLUMNS('^(owner|team)$') FROM t", "SELECT `(owner|team)` FROM t"),
    "columns lambda": (
        "SELECT COLUMNS(lambda c: c NOT IN ('a', 'b_c') AND NOT starts_with(c, '_x')) FROM t",
        "SELECT `(?!(a|b_c)$)(?!_x).+` FROM t",
    ),
    "star replace": (
        "SELECT c.* REPLACE (coalesce(c.o, 1) AS o), f.x FROM t c, f",
        "SELECT c.`(?!(o)$).+`, COALESCE(c.o, 1) AS o, f.x FROM t AS c, f",
    ),
    # sorted by (is the key NULL, the key): NULLs last, as DuckDB's ORDER BY
    "ordered list": (
        "SELECT list(v ORDER BY k) FROM t",
        "SELECT TRANSFORM(SORT_ARRAY(COLLECT_LIST(STRUCT(STRUCT(k IS NULL AS col1, k AS k) AS k, "
        "v AS v))), _entry -> _entry.v) FROM t",
    ),
    "list_reduce": (
        "SELECT list_reduce(l, lambda acc, x: acc + x, 0) FROM t",
        "SELECT AGGREGATE(l, 0, (acc, x) -> acc + x) FROM t",
    ),
    # Spark refuses a correlated subquery in a join's condition; in WHERE it decorrelates it.
    # A left join keeps its condition (moving it would drop rows)
    "subquery in an inner join": (
        "SELECT * FROM r JOIN s ON r.a = s.a AND EXISTS (SELECT 1 FROM b WHERE b.x = r.x) "
        "LEFT JOIN u ON u.a = r.a AND u.b IN (SELECT b FROM v) WHERE r.z",
        "SELECT * FROM r CROSS JOIN s LEFT JOIN u ON u.a = r.a AND u.b IN (SELECT b FROM v) "
        "WHERE (r.z) AND (r.a = s.a AND EXISTS(SELECT 1 FROM b WHERE b.x = r.x))",
    ),
}
"""Each portability trap: DuckDB's SQL and the Spark SQL it becomes."""


@pytest.mark.parametrize(("duckdb", "spark"), TRANSLATED.values(), ids=TRANSLATED.keys())
def test_each_trap_is_translated_once(duckdb: str, spark: str) -> None:
    assert translate(duckdb) == spark


def test_columns_of_another_lambda_is_refused() -> None:
    with pytest.raises(SalesmetricsError, match="cannot run COLUMNS"):
        translate("SELECT COLUMNS(lambda c: c LIKE 'a%') FROM t")


def test_union_by_name_lists_each_sides_columns() -> None:
    """Spark has no UNION BY NAME: each side gets every column by name, NULL where it has
    none; a side's columns come from Spark's plan (here, a stand-in)."""
    sides = {"a": ["x", "y"], "b": ["y", "z"]}

    def columns(sql: str) -> list[str]:
        return sides["a" if "FROM a" in sql else "b"]

    assert translate("SELECT * FROM a UNION ALL BY NAME SELECT * FROM b", columns) == (
        "SELECT `x`, `y`, NULL AS `z` FROM (SELECT * FROM a) AS _side UNION ALL "
        "SELECT NULL AS `x`, `y`, `z` FROM (SELECT * FROM b) AS _side"
    )


def test_a_union_side_sees_the_common_table_expressions_before_it() -> None:
    seen: list[str] = []

    def columns(sql: str) -> list[str]:
        seen.append(sql)
        return ["x"]

    translate(
        "WITH e AS (SELECT 1 AS x), f AS (SELECT * FROM e UNION ALL BY NAME SELECT 2 AS x) "
        "SELECT * FROM f",
        columns,
    )
    assert seen == [
        "WITH e AS (SELECT 1 AS x) SELECT * FROM (SELECT * FROM e) AS _side",
        "WITH e AS (SELECT 1 AS x) SELECT * FROM (SELECT 2 AS x) AS _side",
    ]


def _report(engine: str, out: Path) -> dict[str, Any]:
    from typer.testing import CliRunner

    from salesmetrics.cli import app

    args = [
        "report", "--config", str(ROOT / "sample_data" / "report.yaml"), "--period", "2026-10",
        "--as-of", "2026-11-01", "--format", "json", "--output", str(out), "--engine", engine,
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(out.read_text())
    return found


DIFFERS_BY_RUN = {"generated_at"}  # when the report was made, not what it says


def _differences(left: Any, right: Any, where: str = "") -> list[str]:
    """Every place the two reports differ: numbers beyond 1e-9 (relative, or absolute near
    0), anything else at all."""
    if isinstance(left, dict) and isinstance(right, dict):
        found = (
            [f"{where}: keys {sorted(set(left) ^ set(right))}"]
            if left.keys() != right.keys()
            else []
        )
        for key in left.keys() & right.keys():
            if key not in DIFFERS_BY_RUN:
                found += _differences(left[key], right[key], f"{where}.{key}")
        return found
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [f"{where}: {len(left)} items, {len(right)} items"]
        return [
            d
            for i, (a, b) in enumerate(zip(left, right, strict=True))
            for d in _differences(a, b, f"{where}[{i}]")
        ]
    numbers = (int, float)
    if isinstance(left, numbers) and isinstance(right, numbers) and not isinstance(left, bool):
        if math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9):
            return []
    elif left == right:
        return []
    return [f"{where}: {left!r} != {right!r}"]


@pytest.mark.spark
def test_the_sample_report_is_the_same_on_spark(tmp_path: Path) -> None:
    """Every value, previous value, trend point, count and note of the sample company's
    default report, at 1e-9."""
    duck = _report("duckdb", tmp_path / "duckdb.json")
    spark = _report("spark", tmp_path / "spark.json")
    values = sum(1 for k in duck["kpis"] if k.get("value") is not None)
    assert values > 60  # the comparison covers the report, not an empty one
    assert _differences(duck, spark) == []


@pytest.mark.spark
def test_the_logs_read_in_place_from_canonical_parquet_give_the_same_numbers_on_spark(
    tmp_path: Path,
) -> None:
    """A canonical dataset whose activities and leads Spark reads from their Parquet files
    (each row placed as in the files, `_row_`) gives every number the loaded exports give
    on DuckDB, by owner, of the KPIs that read them (and a few over the loaded deals)."""
    from datetime import date

    from salesmetrics.canonical import LAZY, export, read
    from salesmetrics.config import load_config
    from salesmetrics.pipeline import compute_report, frames_of, load_inputs
    from salesmetrics.tables import Parquet
    from tests.test_canonical import SPARK_KPIS, _same_numbers

    as_of = date(2026, 11, 1)
    config = load_config(str(ROOT / "sample_data" / "report.yaml"))
    loaded = load_inputs(config.inputs, as_of=as_of)
    frames = frames_of(loaded)
    export(frames, [item.quality for item in loaded], tmp_path / "canonical", as_of)
    back = read(tmp_path / "canonical", lazy_rows=0)
    assert {n for n, f in back.frames.items() if isinstance(f, Parquet)} == set(LAZY)
    options = {"as_of": as_of, "by": ("owner",), "kpis": SPARK_KPIS}
    on_duckdb = compute_report(config, frames, **options)
    on_spark = compute_report(config, back.frames, engine="spark", **options)
    _same_numbers(on_spark, on_duckdb)


@pytest.mark.spark
@pytest.mark.parametrize("kpi", ["win_rate", "lead_response_time_hours"])
def test_explain_shows_the_same_rows_on_spark(kpi: str) -> None:
    """explain's counted and left-out rows, read on Spark as Arrow, print as DuckDB's do."""
    from typer.testing import CliRunner

    from salesmetrics.cli import app

    args = [
        "explain", kpi, "--config", str(ROOT / "sample_data" / "report.yaml"),
        "--period", "2026-10", "--as-of", "2026-11-01",
    ]  # fmt: skip
    duck = CliRunner().invoke(app, args)
    spark = CliRunner().invoke(app, [*args, "--engine", "spark"])
    assert duck.exit_code == spark.exit_code == 0, spark.output
    assert "counted" in duck.output.lower()
    assert spark.output == duck.output


@pytest.mark.spark
def test_a_query_spark_refuses_is_one_line() -> None:
    from salesmetrics.spark import Connection, session

    with pytest.raises(SalesmetricsError) as refused:
        Connection(session()).execute("SELECT x FROM no_such_table")
    message = str(refused.value)
    assert message.startswith("Spark refused the report's query: [TABLE_OR_VIEW_NOT_FOUND]")
    assert "\n" not in message
