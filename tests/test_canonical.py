"""Canonical datasets: written from loaded inputs, read back identical; from other tools, typed."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from salesmetrics.canonical import LAZY, MANIFEST, arrow_schema, export, read
from salesmetrics.config import load_config
from salesmetrics.errors import InputError
from salesmetrics.pipeline import compute_report, frames_of, load_inputs
from salesmetrics.tables import Parquet

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def sample():
    loaded = load_inputs(load_config("sample_data/report.yaml").inputs, as_of=AS_OF)
    return frames_of(loaded), [item.quality for item in loaded]


def test_a_round_trip_gives_the_same_frames_and_the_same_report(sample, tmp_path):
    frames, qualities = sample
    manifest = export(frames, qualities, tmp_path / "canonical", AS_OF)
    back = read(tmp_path / "canonical")
    assert sorted(back.frames) == sorted(frames)
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(back.frames[name], frame.reset_index(drop=True))
    assert [q.rows_used for q in back.qualities] == [q.rows_used for q in qualities]
    assert manifest["entities"]["deals"]["rows"] == len(frames["deals"])
    assert manifest["entities"]["deals"]["partitioned_by"] == "created_at"
    assert manifest["entities"]["targets"]["partitioned_by"] is None
    config = load_config("sample_data/report.yaml")
    before = compute_report(config, frames, period="2026-10", as_of=AS_OF)
    after = compute_report(config, back.frames, period="2026-10", as_of=AS_OF)
    assert [(v.id, v.group, v.value) for v in after.values] == [
        (v.id, v.group, v.value) for v in before.values
    ]


def test_months_are_hive_partitions(sample, tmp_path):
    frames, qualities = sample
    export({"deals": frames["deals"]}, qualities[:1], tmp_path / "c", AS_OF)
    months = sorted(p.name for p in (tmp_path / "c" / "deals").iterdir())
    created = frames["deals"]["created_at"].dropna()
    expected = sorted({f"partition_month={m}" for m in created.dt.strftime("%Y-%m")})
    assert [m for m in months if "HIVE_DEFAULT" not in m] == expected
    assert any("HIVE_DEFAULT" in m for m in months) == frames["deals"]["created_at"].isna().any()


def test_a_folder_that_is_not_a_dataset_is_never_replaced(sample, tmp_path):
    frames, qualities = sample
    mine = tmp_path / "reports"
    mine.mkdir()
    (mine / "q3.xlsx").write_bytes(b"mine")
    with pytest.raises(InputError, match="is not a canonical dataset"):
        export(frames, qualities, mine, AS_OF)
    assert (mine / "q3.xlsx").read_bytes() == b"mine"
    export(frames, qualities, tmp_path / "c", AS_OF)
    export({"reps": frames["reps"]}, [], tmp_path / "c", AS_OF)  # replaces the earlier one
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == [MANIFEST, "reps"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_table_from_another_tool_is_typed_and_checked(tmp_path):
    folder = tmp_path / "lake" / "deals"
    folder.mkdir(parents=True)
    table = pa.table(
        {
            "deal_id": pa.array([101, 102]),  # a warehouse's integer ids
            "status": ["won", "open"],
            "amount": pa.array([1200, 800], pa.int32()),
            "created_at": pa.array([date(2026, 10, 1), date(2026, 10, 2)], pa.date32()),
            "region": ["EMEA", "NA"],  # not in the schema: a dimension
        }
    )
    pq.write_table(table, folder / "part-0.parquet")
    frame = read(tmp_path / "lake").frames["deals"]
    assert frame["deal_id"].tolist() == ["101", "102"]
    assert frame["amount"].tolist() == [1200.0, 800.0]
    assert str(frame["created_at"].dtype) == "timestamp[us][pyarrow]"
    assert str(frame["region"].dtype) == "string[pyarrow]"
    pq.write_table(pa.table({"deal_id": ["1"], "created_at": ["soon"]}), folder / "part-0.parquet")
    with pytest.raises(InputError, match="column 'created_at' is string, and cannot be read"):
        read(tmp_path / "lake")


def test_a_manifest_of_another_format_or_version_is_refused(tmp_path):
    (tmp_path / "deals").mkdir()
    (tmp_path / MANIFEST).write_text(json.dumps({"format": "x"}), encoding="utf-8")
    with pytest.raises(InputError, match="not a salesmetrics manifest"):
        read(tmp_path)
    (tmp_path / MANIFEST).write_text(
        json.dumps({"format": "salesmetrics-canonical", "version": 99}), encoding="utf-8"
    )
    with pytest.raises(InputError, match="manifest version 99"):
        read(tmp_path)


def test_the_schema_names_every_field_with_its_arrow_type():
    schema = arrow_schema("deals")
    assert schema.field("deal_id").type == pa.string()
    assert schema.field("amount").type == pa.float64()
    assert schema.field("created_at").type == pa.timestamp("us")
    assert schema.field("probability").type == pa.float64()
    assert arrow_schema("leads").field("converted").type == pa.bool_()


@pytest.mark.parametrize("by", [(), ("owner",)], ids=["total", "by-owner"])
def test_the_logs_read_in_place_give_every_number_the_loaded_exports_give(sample, tmp_path, by):
    frames, qualities = sample
    export(frames, qualities, tmp_path / "canonical", AS_OF)
    back = read(tmp_path / "canonical", lazy_rows=0)
    assert {n for n, f in back.frames.items() if isinstance(f, Parquet)} == set(LAZY)
    config = load_config("sample_data/report.yaml")
    loaded = compute_report(config, frames, as_of=AS_OF, by=by)
    in_place = compute_report(config, back.frames, as_of=AS_OF, by=by)
    _same_numbers(in_place, loaded)


def test_a_report_in_place_stays_within_a_memory_limit_the_loaded_logs_exceed(sample, tmp_path):
    frames, qualities = sample
    acts = frames["activities"]
    big = pd.concat(
        [acts.assign(activity_id=acts["activity_id"] + f"-{i}") for i in range(4)],
        ignore_index=True,
    )  # 200k activities, each with a subject of 400 characters no KPI reads
    numbers = pa.array(np.arange(len(big)).astype(str))
    subjects = pc.binary_join_element_wise(numbers, " " + "x" * 400, "")
    big["subject"] = pd.Series(pd.arrays.ArrowExtensionArray(subjects))
    limit = 64 * 10**6
    assert len(big) > 200_000 and big.memory_usage(deep=True).sum() > 1.5 * limit
    frames = {**frames, "activities": big}
    export(frames, qualities, tmp_path / "canonical", AS_OF)
    config = load_config("sample_data/report.yaml")
    loaded = compute_report(config, frames, as_of=AS_OF)
    back = read(tmp_path / "canonical", lazy_rows=len(big))
    assert isinstance(back.frames["activities"], Parquet)
    in_place = compute_report(config, back.frames, as_of=AS_OF, memory_limit="64MB")
    _same_numbers(in_place, loaded)


def _same_numbers(in_place, loaded) -> None:
    """Every value of two reports, its previous and its trend equal at 1e-9, its n and note
    the same."""
    assert in_place.period == loaded.period and in_place.warnings == loaded.warnings
    assert in_place.skipped == loaded.skipped and in_place.unsplit == loaded.unsplit
    assert len(in_place.values) == len(loaded.values) > 100
    for lazy, eager in zip(in_place.values, loaded.values, strict=True):
        key = (eager.id, eager.group, eager.category, eager.subcategory)
        assert (lazy.id, lazy.group, lazy.category, lazy.subcategory) == key
        assert (lazy.n, lazy.note, lazy.small_sample, lazy.maturing) == (
            eager.n, eager.note, eager.small_sample, eager.maturing,
        ), key  # fmt: skip
        assert [p.period for p in lazy.trend] == [p.period for p in eager.trend], key
        pairs = [(lazy.value, eager.value), (lazy.previous, eager.previous)]
        pairs += [(a.value, b.value) for a, b in zip(lazy.trend, eager.trend, strict=True)]
        for mine, theirs in pairs:
            assert (mine is None) == (theirs is None), key
            if theirs is not None:
                assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-12), key


SPARK_KPIS = (
    "leads_created", "leads_by_source", "accounts_contacted", "email_response_rate",
    "activities_per_rep", "touches_per_won_deal", "lead_response_time_hours",
    "leads_responded_within_1h", "qualification_rate", "avg_follow_ups_to_qualify",
    "lead_conversion_rate", "sql_to_demo_rate", "win_rate", "avg_deal_size", "sales_per_rep",
)  # fmt: skip
"""KPIs over activities and leads (read in Spark) and a few over deals (loaded): a report
small enough for one Spark run in a test."""


@pytest.fixture(scope="module")
def lake(sample, tmp_path_factory):
    """The sample company exported as a canonical dataset, each entity then a table of Spark's
    catalog (`global_temp.sample_<entity>`, a view of its Parquet folder)."""
    from salesmetrics.spark import session

    frames, qualities = sample
    folder = tmp_path_factory.mktemp("lake") / "canonical"
    export(frames, qualities, folder, AS_OF)
    spark = session()
    for name in frames:
        spark.read.parquet(str(folder / name)).createOrReplaceGlobalTempView(f"sample_{name}")
    return spark, {name: f"global_temp.sample_{name}" for name in frames}


@pytest.mark.spark
def test_tables_of_spark_s_catalog_give_every_number_the_loaded_exports_give(sample, lake):
    """Activities and leads left in Spark (`SparkTable`), the other entities loaded from their
    tables: every value, previous, trend, n and note of the loaded exports' report on DuckDB,
    by owner."""
    from salesmetrics.canonical import read_spark
    from salesmetrics.tables import SparkTable

    frames, _ = sample
    spark, names = lake
    back = read_spark(tuple(names.items()), spark, lazy_rows=0)
    assert {n for n, f in back.frames.items() if isinstance(f, SparkTable)} == set(LAZY)
    assert len(back.frames["activities"]) == len(frames["activities"])
    pd.testing.assert_frame_equal(back.frames["deals"], frames["deals"].reset_index(drop=True))
    config = load_config("sample_data/report.yaml")
    options = {"as_of": AS_OF, "by": ("owner",), "kpis": SPARK_KPIS}
    on_duckdb = compute_report(config, frames, **options)
    on_spark = compute_report(config, back.frames, engine="spark", **options)
    _same_numbers(on_spark, on_duckdb)


@pytest.mark.spark
def test_a_spark_table_with_a_canonical_column_in_another_type_is_refused(lake):
    from salesmetrics.canonical import read_spark

    spark, names = lake
    deals = spark.table(names["deals"])
    deals.withColumn("amount", deals["amount"].cast("string")).createOrReplaceTempView("bad")
    with pytest.raises(InputError) as raised:
        read_spark((("deals", "bad"),), spark)
    assert str(raised.value) == (
        "spark.tables.deals: bad: column 'amount' is string, expected double, its canonical "
        "type: cast it in a view of the table (README: On Spark)"
    )
    with pytest.raises(InputError, match=r"^spark.tables.leads: crm.nowhere: \[TABLE_OR_VIEW_NOT_"):
        read_spark((("leads", "crm.nowhere"),), spark)
