"""Retention KPIs on IBM's Telco Customer Churn snapshot, against figures computed here with
the csv module: the churned share overall and by contract, and the MRR of those who stayed.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from salesmetrics.engine import compute
from salesmetrics.ingest import load_input
from salesmetrics.periods import resolve_period
from tests.conftest import realdata_dir

TELCO = realdata_dir() / "telco_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
MAPPING = str(Path(__file__).parents[1] / "configs/examples/telco_churn/subscriptions.yaml")
AS_OF = date(2026, 11, 23)
KPIS = ["customer_churn_rate", "churned_customers", "mrr", "customers_active", "arpa"]


@pytest.fixture(scope="module")
def csv_rows() -> list[dict[str, str]]:
    with TELCO.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def report():
    subscriptions = load_input(TELCO, MAPPING).frame
    # a snapshot has no dates: any period gives the same figures
    period = resolve_period("2026-10", AS_OF)
    return compute(
        {"subscriptions": subscriptions},
        period=period,
        as_of=AS_OF,
        kpis=[*KPIS, "nrr", "mrr_new"],
        group_by=["contract"],
    )


def test_churned_share_overall(report, csv_rows):
    churned = sum(r["Churn"] == "Yes" for r in csv_rows)
    assert (churned, len(csv_rows)) == (1869, 7043)  # SOURCE.md
    rate = report.value("customer_churn_rate")
    assert (rate.numerator, rate.denominator) == (churned, len(csv_rows))
    assert rate.value == churned / len(csv_rows)  # 26.5%
    assert rate.note == "subscriptions are a snapshot without dates: the period is ignored"
    assert report.value("churned_customers").value == churned
    stayed = [r for r in csv_rows if r["Churn"] == "No"]
    assert report.value("customers_active").value == len(stayed)
    mrr = sum(float(r["MonthlyCharges"]) for r in stayed)
    assert report.value("mrr").value == pytest.approx(mrr, rel=1e-12)
    assert report.value("arpa").value == pytest.approx(mrr / len(stayed), rel=1e-12)


def test_churned_share_by_contract(report, csv_rows):
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in csv_rows:
        counts[r["Contract"]][0] += r["Churn"] == "Yes"
        counts[r["Contract"]][1] += 1
    assert set(counts) == {"Month-to-month", "One year", "Two year"}
    for contract, (churned, customers) in counts.items():
        rate = report.value("customer_churn_rate", contract=contract)
        assert (rate.numerator, rate.denominator) == (churned, customers)
        assert rate.value == churned / customers
    # month-to-month customers leave far more often: 1655 / 3875 against 48 / 1695
    assert counts["Month-to-month"] == [1655, 3875] and counts["Two year"] == [48, 1695]


def test_kpis_that_need_months_are_skipped_on_a_snapshot(report):
    reason = "needs subscriptions.month or subscriptions.started_at"
    assert {s.id: s.reason for s in report.skipped} == {"nrr": reason, "mrr_new": reason}
