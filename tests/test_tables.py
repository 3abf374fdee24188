"""An input table answers the engine's questions the same whether loaded or read in place."""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from salesmetrics import tables
from salesmetrics.canonical import read
from salesmetrics.tables import Parquet

ACTIVITIES = pa.table(
    {
        "activity_id": ["a1", "a2", "a3", "a4"],
        "occurred_at": pa.array(
            [
                datetime(2026, 9, 30, 0, 0),
                datetime(2026, 10, 2, 9, 30),
                None,
                datetime(2026, 10, 2, 0, 0),
            ],
            pa.timestamp("us"),
        ),
        "channel": ["email", "demo", "email", None],
        "owner": ["Ann", "Bob", "Ann", "Cy"],
        "outcome": pa.nulls(4, pa.string()),
    }
)


@pytest.fixture
def both(tmp_path):
    """The activities as a frame, and as two Parquet files of another tool (no _order)."""
    folder = tmp_path / "lake" / "activities"
    folder.mkdir(parents=True)
    pq.write_table(ACTIVITIES.slice(0, 3), folder / "part-0.parquet", row_group_size=2)
    pq.write_table(ACTIVITIES.slice(3), folder / "part-1.parquet")
    lazy = read(tmp_path / "lake", lazy_rows=4).frames["activities"]
    assert isinstance(lazy, Parquet)
    return ACTIVITIES.to_pandas(types_mapper=pd.ArrowDtype), lazy


def test_both_kinds_answer_alike(both):
    frame, lazy = both
    assert len(lazy) == 4 and set(lazy.columns) == set(frame.columns)
    for table in (frame, lazy):
        _answers(table)


def _answers(table: tables.Table) -> None:
    """The answers every kind of table gives about ACTIVITIES."""
    assert tables.blank(table, "outcome") and not tables.blank(table, "channel")
    assert tables.bounds(table, "occurred_at") == (
        pd.Timestamp("2026-09-30 00:00"),
        pd.Timestamp("2026-10-02 09:30"),
    )
    assert tables.bounds(table, "outcome") is None and tables.bounds(table, "x") is None
    assert sorted(tables.values(table, "channel")) == ["demo", "email"]
    assert tables.values(table, "currency") == []
    assert sorted(tables.distinct(table, ["owner"])) == [("Ann",), ("Bob",), ("Cy",)]
    (found,) = tables.days(table, ["occurred_at"])
    days = {str(d) for d in found}
    assert days == {"2026-09-30", "2026-10-02", "NaT"}
    assert not tables.midnight(table, "occurred_at")  # 09:30


@pytest.mark.spark
def test_a_spark_table_answers_alike_its_rows_ranked_by_id_and_date():
    """A table of Spark's catalog without `_order`, its rows stored in another order and a
    dimension stored as a number: the same answers, each row placed by its id (and dates)."""
    from salesmetrics.canonical import read_spark
    from salesmetrics.spark import Connection, session
    from salesmetrics.tables import SparkTable

    spark = session()
    stored = ACTIVITIES.take([3, 1, 0, 2]).append_column("region", pa.array([1, 2, 1, 3]))
    Connection(spark).register("lake_activities", stored)
    lazy = read_spark((("activities", "lake_activities"),), spark, lazy_rows=4).frames["activities"]
    assert isinstance(lazy, SparkTable) and len(lazy) == 4 and lazy.text == ("region",)
    _answers(lazy)
    rows = lazy.query("SELECT activity_id, _row_, region FROM t ORDER BY 1")
    assert rows == [("a1", 0, "1"), ("a2", 1, "2"), ("a3", 2, "3"), ("a4", 3, "1")]
    teamed = lazy.with_teams(pa.array(["Ann", "Bob"]), pa.array(["Enterprise", "SMB"]))
    assert sorted(tables.distinct(teamed, ["owner", "team"])) == [
        ("Ann", "Enterprise"),
        ("Bob", "SMB"),
        ("Cy", None),
    ]


def test_every_time_at_midnight_is_an_export_of_dates(tmp_path):
    folder = tmp_path / "lake" / "leads"
    folder.mkdir(parents=True)
    stamps = pa.array([datetime(2026, 10, 1), None], pa.timestamp("us"))
    pq.write_table(pa.table({"lead_id": ["l1", "l2"], "created_at": stamps}), folder / "p.parquet")
    lazy = read(tmp_path / "lake", lazy_rows=1).frames["leads"]
    frame = read(tmp_path / "lake").frames["leads"]
    assert tables.midnight(lazy, "created_at") and tables.midnight(frame, "created_at")
    blank = frame.assign(created_at=frame["created_at"].iloc[[1, 1]].to_numpy())
    assert not tables.midnight(blank, "created_at")  # no value at all: nothing to tell


def test_a_row_is_placed_as_reading_the_files_in_order_would(both):
    _, lazy = both
    con = duckdb.connect()
    rows = con.sql(f"SELECT activity_id, _row_ FROM ({lazy.relation(con)}) ORDER BY 1").fetchall()
    assert rows == [("a1", 0), ("a2", 1), ("a3", 2), ("a4", 3)]


def test_teams_are_looked_up_by_owner(both):
    _, lazy = both
    teamed = lazy.with_teams(pa.array(["Ann", "Bob"]), pa.array(["Enterprise", "SMB"]))
    assert "team" in teamed.columns and "team" not in lazy.columns
    assert sorted(tables.distinct(teamed, ["owner", "team"])) == [
        ("Ann", "Enterprise"),
        ("Bob", "SMB"),
        ("Cy", None),
    ]


def test_only_a_large_log_in_canonical_types_is_read_in_place(tmp_path):
    for name, table in {
        "activities": ACTIVITIES,
        "deals": pa.table({"deal_id": ["d1"], "status": ["won"]}),
        "leads": pa.table({"lead_id": [1, 2]}),  # integer ids: cast when loaded
    }.items():
        (tmp_path / name).mkdir()
        pq.write_table(table, tmp_path / name / "part-0.parquet")
    frames = read(tmp_path, lazy_rows=2).frames
    assert isinstance(frames["activities"], Parquet)
    assert isinstance(frames["deals"], pd.DataFrame)  # not a log
    assert isinstance(frames["leads"], pd.DataFrame)
    assert frames["leads"]["lead_id"].tolist() == ["1", "2"]
    assert isinstance(read(tmp_path, lazy_rows=5).frames["activities"], pd.DataFrame)
    assert np.array_equal(
        read(tmp_path).frames["activities"]["activity_id"].to_numpy(), ["a1", "a2", "a3", "a4"]
    )


def test_a_column_named_with_a_quote_is_read_as_its_own_name(tmp_path):
    """A dimension from another tool's Parquet may be named anything: `Region "EU"` is one
    identifier in every query over the files, not the end of one and the start of SQL."""
    assert tables.identifier('Region "EU"') == '"Region ""EU"""'
    folder = tmp_path / "lake" / "activities"
    folder.mkdir(parents=True)
    named = ACTIVITIES.append_column('Region "EU"', pa.array(["north", None, "north", "south"]))
    pq.write_table(named, folder / "part-0.parquet")
    lazy = read(tmp_path / "lake", lazy_rows=4).frames["activities"]
    assert isinstance(lazy, Parquet)
    assert sorted(tables.values(lazy, 'Region "EU"')) == ["north", "south"]
    assert not tables.blank(lazy, 'Region "EU"')
    assert sorted(tables.distinct(lazy, ['Region "EU"', "owner"]), key=str) == sorted(
        [("north", "Ann"), (None, "Bob"), ("south", "Cy")], key=str
    )
