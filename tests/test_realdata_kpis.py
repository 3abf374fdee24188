"""Close KPIs on the Maven CRM pipeline, against figures computed here with the csv module."""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from salesmetrics.engine import compute
from salesmetrics.ingest import load_input
from salesmetrics.periods import resolve_period
from tests.conftest import realdata_dir

MAVEN = realdata_dir() / "maven_crm"
MAPPING = str(Path(__file__).parents[1] / "configs/examples/maven_crm/deals.yaml")


@pytest.fixture(scope="module")
def csv_rows() -> list[dict[str, str]]:
    with (MAVEN / "sales_pipeline.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def report():
    deals = load_input(MAVEN / "sales_pipeline.csv", MAPPING).frame
    span = (deals["created_at"].min().date(), deals["closed_at"].max().date())
    period = resolve_period("all", date(2026, 11, 23), data_span=span)
    return compute({"deals": deals}, period=period, as_of=date(2026, 11, 23), group_by=["owner"])


def test_win_rate_avg_deal_size_and_cycle_over_the_whole_span(report, csv_rows):
    won = [r for r in csv_rows if r["deal_stage"] == "Won"]
    lost = [r for r in csv_rows if r["deal_stage"] == "Lost"]
    assert report.value("deals_won").value == len(won) == 4238
    assert report.value("deals_lost").value == len(lost) == 2473
    assert report.value("win_rate").value == pytest.approx(len(won) / (len(won) + len(lost)))
    revenue = sum(float(r["close_value"]) for r in won)
    assert report.value("revenue_won").value == pytest.approx(revenue, rel=1e-12)
    assert report.value("avg_deal_size").value == pytest.approx(revenue / len(won), rel=1e-12)
    cycles = [
        (date.fromisoformat(r["close_date"]) - date.fromisoformat(r["engage_date"])).days
        for r in won
    ]
    assert report.value("sales_cycle_days").value == statistics.median(cycles)


def test_revenue_and_win_rate_by_owner(report, csv_rows):
    revenue: dict[str, float] = defaultdict(float)
    closed: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in csv_rows:
        if r["deal_stage"] in ("Won", "Lost"):
            closed[r["sales_agent"]][1] += 1
        if r["deal_stage"] == "Won":
            revenue[r["sales_agent"]] += float(r["close_value"])
            closed[r["sales_agent"]][0] += 1
    assert len(revenue) == 30
    for owner, total in revenue.items():
        assert report.value("revenue_won", owner=owner).value == pytest.approx(total, rel=1e-12)
        won, all_closed = closed[owner]
        assert report.value("win_rate", owner=owner).value == pytest.approx(won / all_closed)


def test_revenue_won_by_month(csv_rows):
    deals = load_input(MAVEN / "sales_pipeline.csv", MAPPING).frame
    year = resolve_period("2017", date(2026, 11, 23))
    by_month = compute(
        {"deals": deals},
        period=year,
        as_of=date(2026, 11, 23),
        group_by=["month"],
        kpis=["revenue_won"],
    )
    expected: dict[str, float] = defaultdict(float)
    for r in csv_rows:
        if r["deal_stage"] == "Won" and r["close_date"].startswith("2017"):
            expected[r["close_date"][:7]] += float(r["close_value"])
    assert len(expected) == 10  # Maven closes deals from March to December 2017
    for month in (f"2017-{m:02d}" for m in range(1, 13)):
        found = by_month.value("revenue_won", month=month).value
        assert found == pytest.approx(expected.get(month, 0.0), rel=1e-12, abs=1e-9), month
    assert by_month.value("revenue_won").value == pytest.approx(sum(expected.values()), rel=1e-12)
