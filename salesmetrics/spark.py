"""Stand-in for the Spark engine (issue 19), replaced on merge by the real module: only the
two names the wiring imports, so that it does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from salesmetrics.errors import SalesmetricsError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def session(remote: str | None = None, conf: Sequence[tuple[str, str]] = ()) -> SparkSession:
    """A local SparkSession (or Spark Connect at `remote`)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SalesmetricsError(
            "--engine spark needs PySpark: pip install 'salesmetrics[spark]'"
        ) from None
    builder = SparkSession.builder.appName("salesmetrics")
    builder = builder.remote(remote) if remote else builder.master("local[*]")
    for key, value in conf:
        builder = builder.config(key, value)
    return builder.getOrCreate()


class Connection:
    """The DuckDB connection surface salesmetrics uses, over a SparkSession (stand-in)."""

    def __init__(self, session: SparkSession) -> None:
        self.session = session
