"""Which SQL engine runs a report's KPI queries: DuckDB (the default) or Spark (issue 19).

The choice travels as DuckDB's memory limit does (salesmetrics.memory): `using` around the
computing (pipeline.compute_report, explain), read when the report's connection is made
(`duck._connect`). Nothing here imports DuckDB or PySpark.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

ENGINES = ("duckdb", "spark")
"""`--engine`'s and the config's `engine:` choices, the default first."""
NOT_WITH_SPARK = (
    "DuckDB's memory limit, not Spark's: on the spark engine, give Spark's memory in the "
    "config's spark: conf: (spark.driver.memory: 4g, spark.executor.memory)"
)
"""Why `--memory-limit` is refused on the spark engine."""


@dataclass(frozen=True)
class Spark:
    """The config's `spark:`: where Spark runs and its settings (salesmetrics.spark.session)."""

    remote: str | None = None  # a Spark Connect URL (sc://host:15002); None: local mode
    conf: tuple[tuple[str, str], ...] = ()  # Spark settings, e.g. spark.driver.memory
    tables: tuple[tuple[str, str], ...] = ()  # entity -> a table of Spark's catalog to read


_SPARK: ContextVar[Spark | None] = ContextVar("spark", default=None)
"""Spark's options while a report runs on it (`using`); None: DuckDB."""


@contextmanager
def using(engine: str, spark: Spark | None = None) -> Iterator[None]:
    """Connections made inside (`duck._connect`) are `engine`'s: "duckdb" or "spark" (with
    `spark`'s options)."""
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    token = _SPARK.set((spark or Spark()) if engine == "spark" else None)
    try:
        yield
    finally:
        _SPARK.reset(token)


def spark() -> Spark | None:
    """Spark's options when the report runs on Spark, else None (DuckDB)."""
    return _SPARK.get()
