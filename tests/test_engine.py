"""The engine on tiny deal books whose answers are worked out by hand in each test."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from salesmetrics.engine import compute
from salesmetrics.errors import SalesmetricsError
from salesmetrics.periods import resolve_period

AS_OF = date(2026, 11, 23)
OCTOBER = resolve_period("2026-10", AS_OF)


def deals(rows: list[tuple]) -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame(
        rows, columns=["deal_id", "status", "created_at", "closed_at", "amount", "owner"]
    )
    for column in ("created_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return {"deals": frame}


BOOK = deals(
    [
        # won in October: 1,000 after 10 days (Ana), 3,000 after 30 days (Ben)
        ("D1", "won", "2026-09-21", "2026-10-01 00:00", 1000.0, "Ana"),
        ("D2", "won", "2026-10-01", "2026-10-31 23:59", 3000.0, "Ben"),
        # lost in October (Ana), lost in November (outside), won in September (outside)
        ("D3", "lost", "2026-09-01", "2026-10-15", 500.0, "Ana"),
        ("D4", "lost", "2026-10-01", "2026-11-01 00:00", 700.0, "Ana"),
        ("D5", "won", "2026-08-01", "2026-09-30 23:59", 9000.0, "Ben"),
        # open deals never count, even with a close date in October
        ("D6", "open", "2026-10-01", "2026-10-20", 8000.0, "Ana"),
    ]
)


def test_close_kpis_in_total():
    report = compute(BOOK, period=OCTOBER, as_of=AS_OF)
    assert report.value("deals_won").value == 2  # D1 (first minute) and D2 (last minute)
    assert report.value("deals_lost").value == 1  # D3; D4 closed at midnight of 1 Nov
    assert report.value("revenue_won").value == 4000.0
    win = report.value("win_rate")
    assert (win.numerator, win.denominator, win.value) == (2.0, 3.0, pytest.approx(2 / 3))
    assert win.small_sample  # 3 closed deals, under the threshold of 20
    assert report.value("avg_deal_size").value == 2000.0
    assert report.value("sales_cycle_days").value == pytest.approx((10 + 30.999305) / 2, abs=1e-3)
    assert report.skipped == ()


def test_ratios_are_sums_over_sums_per_group():
    report = compute(BOOK, period=OCTOBER, as_of=AS_OF, group_by=["owner"])
    ana, ben = report.value("win_rate", owner="Ana"), report.value("win_rate", owner="Ben")
    assert (ana.numerator, ana.denominator, ana.value) == (1.0, 2.0, 0.5)
    assert (ben.numerator, ben.denominator, ben.value) == (1.0, 1.0, 1.0)
    # the total is 2/3, not the mean of 0.5 and 1.0
    assert report.value("win_rate").value == pytest.approx(2 / 3)
    assert report.value("revenue_won", owner="Ben").value == 3000.0


def test_zero_denominator_gives_no_value_and_a_reason():
    report = compute(BOOK, period=resolve_period("2026-06", AS_OF), as_of=AS_OF)
    win = report.value("win_rate")
    assert (win.value, win.denominator, win.note) == (None, 0.0, "no rows in the denominator")
    assert report.value("sales_cycle_days").value is None
    assert report.value("deals_won").value == 0
    assert report.value("revenue_won").value == 0.0


def test_deals_without_amount_do_not_dilute_the_average():
    book = deals(
        [
            ("D1", "won", "2026-10-01", "2026-10-05", 1000.0, "Ana"),
            ("D2", "won", "2026-10-01", "2026-10-06", None, "Ana"),
        ]
    )
    report = compute(book, period=OCTOBER, as_of=AS_OF)
    assert report.value("avg_deal_size").value == 1000.0
    assert report.value("deals_won").value == 2


def test_missing_input_skips_the_kpi_with_its_reason():
    book = {"deals": BOOK["deals"].drop(columns=["amount"])}
    report = compute(book, period=OCTOBER, as_of=AS_OF)
    assert {s.id: s.reason for s in report.skipped} == {
        "revenue_won": "needs deals.amount",
        "avg_deal_size": "needs deals.amount",
    }
    empty = compute({}, period=OCTOBER, as_of=AS_OF, kpis=["win_rate"])
    assert empty.skipped[0].reason == "needs deals (no deals input)"


def test_breakdown_by_an_absent_dimension_is_skipped():
    report = compute(BOOK, period=OCTOBER, as_of=AS_OF, group_by=["region"], kpis=["deals_won"])
    assert report.skipped[0].reason == "cannot break down by region"


def test_several_currencies_are_never_summed():
    book = {"deals": BOOK["deals"].assign(currency=["USD", "EUR", "USD", "USD", "USD", "USD"])}
    with pytest.raises(SalesmetricsError) as err:
        compute(book, period=OCTOBER, as_of=AS_OF, kpis=["revenue_won"])
    # the two deals won in October: D1 in USD, D2 in EUR
    assert "USD (1 rows)" in str(err.value) and "EUR (1 rows)" in str(err.value)
    assert "rates" in str(err.value)
