"""The engine a report's queries run on: DuckDB unless `using` says spark, with its options."""

from __future__ import annotations

import pytest

from salesmetrics.backend import Spark, spark, using


def test_duckdb_unless_using_spark_and_only_inside():
    assert spark() is None
    options = Spark("sc://h:15002", (("spark.driver.memory", "4g"),))
    with using("spark", options):
        assert spark() == options
        with using("duckdb", options):  # the options alone do not choose Spark
            assert spark() is None
        assert spark() == options
    assert spark() is None
    with using("spark"):
        assert spark() == Spark()  # local mode, Spark's defaults


def test_an_unknown_engine_is_refused():
    refused = pytest.raises(ValueError, match=r"engine 'sqlite': expected one of duckdb, spark")
    with refused, using("sqlite"):
        pass
