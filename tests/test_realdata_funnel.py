"""Lead conversion KPIs on the Olist marketing funnel and the X Education leads, loaded through
the example mappings, against figures computed here from the raw CSV with the csv module.

Runs when SALESMETRICS_REALDATA names the datasets folder; skipped when it is unset, and an
error when it is set but the folder is missing.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.conftest import realdata_dir

DATA = realdata_dir()

from salesmetrics.engine import compute, span  # noqa: E402
from salesmetrics.ingest import load_input  # noqa: E402
from salesmetrics.periods import resolve_period  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "configs" / "examples"
AS_OF = date(2026, 11, 23)
BLANK = "(blank)"  # the report's label for a blank dimension value
OLIST_LEADS = DATA / "olist_funnel" / "olist_marketing_qualified_leads_dataset.csv"
OLIST_DEALS = DATA / "olist_funnel" / "olist_closed_deals_dataset.csv"
XEDU_LEADS = DATA / "xeducation_leads" / "Leads.csv"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def label(value: str) -> str:
    """A CSV value as the report labels it: trimmed, and blanks shown as (blank)."""
    return value.strip() or BLANK


def shares(rows: list[dict[str, str]], key: str, hit) -> dict[str, tuple[int, int]]:
    """(hits, rows) per label of `key`."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        counts = found[label(row[key])]
        counts[0] += bool(hit(row))
        counts[1] += 1
    return {k: (v[0], v[1]) for k, v in found.items()}


# Olist: 8,000 MQLs (first_contact_date, origin) and the 842 that closed a deal (won_date)


@pytest.fixture(scope="module")
def olist():
    leads = load_input(OLIST_LEADS, str(EXAMPLES / "olist_funnel/leads.yaml"))
    deals = load_input(OLIST_DEALS, str(EXAMPLES / "olist_funnel/deals.yaml"))
    return leads, deals


@pytest.fixture(scope="module")
def olist_csv():
    mqls = read_csv(OLIST_LEADS)
    won = {row["mql_id"]: row["won_date"] for row in read_csv(OLIST_DEALS)}
    return mqls, won


def olist_report(olist, period_spec: str, group_by=()):
    leads, deals = olist
    frames = {"leads": leads.frame, "deals": deals.frame}
    period = resolve_period(period_spec, AS_OF, data_span=span(frames))
    kpis = ["lead_conversion_rate", "lead_to_customer_days", "lead_to_opportunity_rate"]
    return compute(frames, period=period, as_of=AS_OF, kpis=kpis, group_by=group_by)


def test_olist_rows_used_are_the_csv_rows_less_the_rejected(olist, olist_csv):
    leads, deals = olist
    mqls, won = olist_csv
    assert len(mqls) == 8000 and len(won) == 842  # as SOURCE.md publishes
    for loaded, rows in ((leads, len(mqls)), (deals, len(won))):
        quality = loaded.quality
        assert quality.rows_filtered == quality.duplicates_dropped == 0
        assert quality.rows_used == rows - quality.rows_rejected == len(loaded.frame)


def test_olist_lead_conversion_rate_over_the_whole_span(olist, olist_csv):
    mqls, won = olist_csv
    report = olist_report(olist, "all")
    rate = report.value("lead_conversion_rate")
    converted = sum(row["mql_id"] in won for row in mqls)
    assert (rate.numerator, rate.denominator) == (converted, len(mqls)) == (842, 8000)
    assert rate.value == pytest.approx(converted / len(mqls), rel=1e-12)
    # every closed deal is a won deal, so every lead with a deal is a customer
    assert report.value("lead_to_opportunity_rate").value == pytest.approx(842 / 8000)


def test_olist_lead_conversion_rate_by_origin(olist, olist_csv):
    mqls, won = olist_csv
    report = olist_report(olist, "all", group_by=["source"])
    expected = shares(mqls, "origin", lambda row: row["mql_id"] in won)
    assert len(expected) == 11 and expected[BLANK][1] == 60  # 60 blank origins (SOURCE.md)
    for origin, (hits, total) in expected.items():
        value = report.value("lead_conversion_rate", source=origin)
        assert (value.numerator, value.denominator) == (hits, total), origin
        assert value.value == pytest.approx(hits / total, rel=1e-12), origin


def test_olist_lead_conversion_rate_by_origin_in_one_month(olist, olist_csv):
    mqls, won = olist_csv
    february = [row for row in mqls if row["first_contact_date"].startswith("2018-02")]
    report = olist_report(olist, "2018-02", group_by=["source"])
    total = report.value("lead_conversion_rate")
    converted = sum(row["mql_id"] in won for row in february)
    assert (total.numerator, total.denominator) == (converted, len(february))
    for origin, (hits, count) in shares(february, "origin", lambda r: r["mql_id"] in won).items():
        value = report.value("lead_conversion_rate", source=origin)
        assert (value.numerator, value.denominator) == (hits, count), origin


def olist_days(mqls: list[dict[str, str]], won: dict[str, str]) -> list[float]:
    """Days from first_contact_date (midnight) to won_date for each lead that closed a deal,
    on or after the day of its first contact (one closed the day before: an anomaly)."""
    days = []
    for row in mqls:
        if row["mql_id"] in won:
            created = datetime.strptime(row["first_contact_date"], "%Y-%m-%d")
            closed = datetime.strptime(won[row["mql_id"]], "%Y-%m-%d %H:%M:%S")
            if closed.date() >= created.date():
                days.append((closed - created).total_seconds() / 86400)
    return days


def test_olist_lead_to_customer_days_median(olist, olist_csv):
    mqls, won = olist_csv
    report = olist_report(olist, "all")
    days = olist_days(mqls, won)
    assert len(days) == 841  # of 842 won leads: one won the day before its first contact
    value = report.value("lead_to_customer_days")
    assert value.n == 841
    assert value.note == (
        "1 leads with impossible dates left out (converted before they were created, or a "
        "date outside the plausible range: see salesmetrics validate)"
    )
    assert value.value == pytest.approx(statistics.median(days), abs=1e-9)
    # and for the leads of one month only
    february = [row for row in mqls if row["first_contact_date"].startswith("2018-02")]
    in_february = olist_report(olist, "2018-02").value("lead_to_customer_days")
    assert in_february.value == pytest.approx(statistics.median(olist_days(february, won)))


def test_olist_lacks_response_data_and_says_so(olist):
    leads, deals = olist
    frames = {"leads": leads.frame, "deals": deals.frame}
    period = resolve_period("all", AS_OF, data_span=span(frames))
    report = compute(frames, period=period, as_of=AS_OF, kpis=["lead_response_time_hours"])
    assert [(s.id, s.reason) for s in report.skipped] == [
        ("lead_response_time_hours", "needs activities.lead_id or leads.first_response_at")
    ]


# X Education: 9,240 leads with a Converted flag; created_at is a placeholder constant, so the
# period is "all", the span of that one date


@pytest.fixture(scope="module")
def xedu():
    loaded = load_input(XEDU_LEADS, str(EXAMPLES / "xeducation_leads/leads.yaml"))
    frames = {"leads": loaded.frame}
    period = resolve_period("all", AS_OF, data_span=span(frames))
    return loaded, frames, period


@pytest.fixture(scope="module")
def xedu_csv():
    return read_csv(XEDU_LEADS)


def converted(row: dict[str, str]) -> bool:
    return row["Converted"].strip() == "1"


def test_xeducation_rows_used_are_the_csv_rows_less_the_rejected(xedu, xedu_csv):
    loaded, _, period = xedu
    quality = loaded.quality
    assert len(xedu_csv) == 9240  # as SOURCE.md publishes
    assert quality.rows_filtered == quality.duplicates_dropped == 0
    assert quality.rows_used == len(xedu_csv) - quality.rows_rejected == len(loaded.frame)
    assert (period.start, period.end) == (date(1970, 1, 1), date(1970, 1, 1))


@pytest.mark.parametrize(
    "dimension, column", [("source", "Lead Source"), ("quality", "Lead Quality")]
)
def test_xeducation_lead_conversion_rate_by(xedu, xedu_csv, dimension, column):
    _, frames, period = xedu
    report = compute(
        frames, period=period, as_of=AS_OF, kpis=["lead_conversion_rate"], group_by=[dimension]
    )
    total = report.value("lead_conversion_rate")
    hits = sum(converted(row) for row in xedu_csv)
    assert (total.numerator, total.denominator) == (hits, len(xedu_csv)) == (3561, 9240)
    expected = shares(xedu_csv, column, converted)
    groups = {v.group for v in report.values if v.group}
    assert groups == {((dimension, name),) for name in expected}
    for name, (hits, count) in expected.items():
        value = report.value("lead_conversion_rate", **{dimension: name})
        assert (value.numerator, value.denominator) == (hits, count), name
        assert value.value == pytest.approx(hits / count, rel=1e-12), name


def test_xeducation_has_no_conversion_dates(xedu):
    _, frames, period = xedu
    report = compute(frames, period=period, as_of=AS_OF, kpis=["lead_to_customer_days"])
    assert [(s.id, s.reason) for s in report.skipped] == [
        ("lead_to_customer_days", "needs deals.lead_id or leads.converted_at")
    ]
