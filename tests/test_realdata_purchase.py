"""Purchase KPIs on UCI Online Retail and CDNOW, loaded through the example mappings, against
figures computed here from the raw files with the csv module and plain Python.

Runs when SALESMETRICS_REALDATA names the datasets folder; skipped when it is unset, and an
error when it is set but the folder is missing.

Blank customers (online_retail's guest checkouts, CustomerID empty): their invoices are
purchases (they count in orders and the average purchase value), but they are no customer:
not one customer together, never a repeat buyer, so they are in neither side of the
repurchase rate. CustomerID is compared as the text in the file ("17850.0").
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import realdata_dir

DATA = realdata_dir()

from salesmetrics.engine import compute, span  # noqa: E402
from salesmetrics.ingest import load_input  # noqa: E402
from salesmetrics.kpis.base import Settings  # noqa: E402
from salesmetrics.periods import resolve_period  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "configs" / "examples"
AS_OF = date(2026, 11, 23)
RETAIL = DATA / "online_retail" / "online-retail-dataset_2010-12-01_to_2011-02-28.csv"
CDNOW = DATA / "cdnow" / "CDNOW_master.txt"
KPIS = ["orders", "revenue", "customers_purchasing", "avg_purchase_value", "repurchase_rate"]


def repeaters(purchases: dict[str, set[str]]) -> tuple[int, int]:
    """(customers with 2 or more distinct purchases, customers with at least 1)."""
    return sum(len(p) >= 2 for p in purchases.values()), len(purchases)


# Online Retail: 105,335 invoice lines; cancellations ("C" invoices) filtered by the mapping


@pytest.fixture(scope="module")
def retail():
    loaded = load_input(RETAIL, str(EXAMPLES / "online_retail/orders.yaml"))
    frames = {"orders": loaded.frame}
    period = resolve_period("all", AS_OF, data_span=span(frames))
    return loaded, frames, period


@pytest.fixture(scope="module")
def retail_csv() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """All rows, and the rows kept: those whose InvoiceNo does not start with C."""
    with RETAIL.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows, [r for r in rows if not r["InvoiceNo"].startswith("C")]


def test_retail_rows_used_are_the_csv_rows_less_the_filtered_cancellations(retail, retail_csv):
    loaded, _, period = retail
    rows, kept = retail_csv
    quality = loaded.quality
    assert len(rows) == 105335  # as SOURCE.md publishes
    cancelled = len(rows) - len(kept)
    assert [(r.reason, r.count) for r in quality.filtered] == [("cancellation", cancelled)]
    assert quality.rows_rejected == quality.duplicates_dropped == 0
    assert quality.rows_used == len(rows) - quality.rows_filtered - quality.rows_rejected
    assert quality.rows_used == len(kept) == len(loaded.frame)
    assert (period.start, period.end) == (date(2010, 12, 1), date(2011, 2, 28))


def test_retail_avg_purchase_value_and_repurchase_rate_over_the_whole_span(retail, retail_csv):
    _, frames, period = retail
    _, kept = retail_csv
    report = compute(frames, period=period, as_of=AS_OF, kpis=KPIS)
    revenue = math.fsum(float(r["Quantity"]) * float(r["UnitPrice"]) for r in kept)
    invoices = {r["InvoiceNo"] for r in kept}  # one purchase per invoice, whatever its lines
    assert report.value("orders").value == len(invoices) == 4089
    assert report.value("revenue").value == pytest.approx(revenue, rel=1e-12)
    apv = report.value("avg_purchase_value")
    assert apv.denominator == len(invoices)
    assert apv.value == pytest.approx(revenue / len(invoices), rel=1e-12)
    bought: dict[str, set[str]] = defaultdict(set)
    for r in kept:
        if r["CustomerID"].strip():  # a blank customer is no customer
            bought[r["CustomerID"]].add(r["InvoiceNo"])
    again, customers = repeaters(bought)
    assert report.value("customers_purchasing").value == customers == 1682
    rate = report.value("repurchase_rate")
    assert (rate.numerator, rate.denominator) == (again, customers) == (662, 1682)
    assert rate.value == pytest.approx(again / customers, rel=1e-12)
    blank = sum(not r["CustomerID"].strip() for r in kept)
    assert report.value("customers_purchasing").note == (
        f"{blank:,} order rows without a customer_id left out"
    )


def test_retail_avg_purchase_value_and_repurchase_rate_by_country(retail, retail_csv):
    _, frames, period = retail
    _, kept = retail_csv
    report = compute(
        frames,
        period=period,
        as_of=AS_OF,
        kpis=["avg_purchase_value", "repurchase_rate"],
        group_by=["country"],
    )
    revenue: dict[str, list[float]] = defaultdict(list)
    invoices: dict[str, set[str]] = defaultdict(set)
    bought: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in kept:
        country = r["Country"]
        revenue[country].append(float(r["Quantity"]) * float(r["UnitPrice"]))
        invoices[country].add(r["InvoiceNo"])
        if r["CustomerID"].strip():
            bought[country][r["CustomerID"]].add(r["InvoiceNo"])
    assert len(invoices) == 31
    for country, lines in revenue.items():
        apv = report.value("avg_purchase_value", country=country)
        assert apv.denominator == len(invoices[country]), country
        expected = math.fsum(lines) / len(invoices[country])
        assert apv.value == pytest.approx(expected, rel=1e-12, abs=1e-9), country
        again, customers = repeaters(bought[country])
        rate = report.value("repurchase_rate", country=country)
        assert (rate.numerator, rate.denominator) == (again, customers), country
    # countries' customers add up to more than the 1,682 in total: a customer in two
    # countries is a customer of each, and once in the total
    assert sum(len(b) for b in bought.values()) > 1682


# CDNOW: 69,659 purchases of 23,570 customers, no order id: a purchase is a customer-day


@pytest.fixture(scope="module")
def cdnow():
    loaded = load_input(CDNOW, str(EXAMPLES / "cdnow/orders.yaml"))
    frames = {"orders": loaded.frame}
    return loaded, frames


@pytest.fixture(scope="module")
def cdnow_rows() -> list[tuple[str, date, float]]:
    """(customer id, day, dollar value) per line of the whitespace-separated file."""
    with CDNOW.open(newline="", encoding="utf-8") as f:
        lines = [line.split() for line in f if line.strip()]
    return [(c, datetime.strptime(d, "%Y%m%d").date(), float(v)) for c, d, _, v in lines]


def test_cdnow_rows_used_are_the_file_rows(cdnow, cdnow_rows):
    loaded, _ = cdnow
    quality = loaded.quality
    assert len(cdnow_rows) == 69659  # as SOURCE.md publishes
    assert quality.rows_filtered == quality.rows_rejected == quality.duplicates_dropped == 0
    assert quality.rows_used == len(cdnow_rows) == len(loaded.frame)


def test_cdnow_repurchase_rate_counts_customer_days(cdnow, cdnow_rows):
    _, frames = cdnow
    period = resolve_period("all", AS_OF, data_span=span(frames))
    assert (period.start, period.end) == (date(1997, 1, 1), date(1998, 6, 30))
    report = compute(frames, period=period, as_of=AS_OF, kpis=KPIS)
    days: dict[str, set[date]] = defaultdict(set)
    for customer, day, _ in cdnow_rows:
        days[customer].add(day)
    purchases = sum(len(d) for d in days.values())  # several lines on one day are one
    assert report.value("orders").value == purchases == 67591
    assert report.value("customers_purchasing").value == len(days) == 23570
    again = sum(len(d) >= 2 for d in days.values())
    rate = report.value("repurchase_rate")
    assert (rate.numerator, rate.denominator) == (again, len(days)) == (11516, 23570)
    assert rate.value == pytest.approx(again / len(days), rel=1e-12)
    assert rate.note == "purchases without an order_id are distinct customer-days"
    revenue = math.fsum(v for _, _, v in cdnow_rows)
    apv = report.value("avg_purchase_value")
    assert apv.value == pytest.approx(revenue / purchases, rel=1e-12)


def test_cdnow_repurchase_within_90_days_of_the_first_purchase_in_1997_q1(cdnow, cdnow_rows):
    _, frames = cdnow
    report = compute(
        frames,
        period=resolve_period("1997-Q1", AS_OF),
        as_of=AS_OF,
        kpis=["repurchase_rate"],
        settings=Settings(repurchase_window_days=90),
    )
    days: dict[str, set[date]] = defaultdict(set)
    for customer, day, _ in cdnow_rows:
        days[customer].add(day)
    start, end = date(1997, 1, 1), date(1997, 3, 31)
    buyers = again = 0
    for bought in days.values():
        inside = [d for d in bought if start <= d <= end]
        if not inside:
            continue
        buyers += 1
        first = min(inside)
        # another day on or before the 90th day after the first, even after March
        again += any(first < d <= first + timedelta(days=90) for d in bought)
    rate = report.value("repurchase_rate")
    assert (rate.numerator, rate.denominator) == (again, buyers) == (6887, 23570)
    assert rate.value == pytest.approx(again / buyers, rel=1e-12)
