"""The executive summary's choices: the panel in its order, the pace by hand, the moves."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from salesmetrics.report import Report
from salesmetrics.summary import (
    PANEL,
    Pace,
    elapsed,
    has_data,
    same_value,
    summarise,
)
from tests.render.reports import OCTOBER, SEPTEMBER, value


def _report(*values, as_of=date(2026, 11, 1)) -> Report:
    return Report(OCTOBER, as_of, (), values, (), comparison=SEPTEMBER, currency="USD")


def _moved(kpi_id, unit, now, before, **extra):
    change = now - before
    return value(
        kpi_id, kpi_id, "close", unit, now, previous=before, change=change,
        change_pct=change / abs(before), **extra,
    )  # fmt: skip


WON = value("revenue_won", "Revenue won", "close", "currency", 300.0, target=3100.0)


@pytest.mark.parametrize(
    ("as_of", "share"),
    [
        (date(2026, 9, 30), 0.0),  # before the period
        (date(2026, 10, 1), 1 / 31),  # its first day counts
        (date(2026, 10, 10), 10 / 31),
        (date(2026, 10, 31), 1.0),
        (date(2026, 11, 23), 1.0),  # after it
    ],
)
def test_elapsed_is_the_share_of_the_period_s_days_over_by_as_of(as_of, share):
    assert elapsed(_report(as_of=as_of)) == pytest.approx(share)


def test_the_pace_is_the_quota_times_the_share_of_the_period_gone():
    # 10 of October's 31 days gone: 3,100 × 10/31 = 1,000 expected by today; 300 booked
    pace = summarise(_report(WON, as_of=date(2026, 10, 10))).pace
    assert pace == Pace(300.0, 3100.0, pytest.approx(10 / 31), pytest.approx(1000.0))
    assert summarise(_report(replace(WON, target=None))).pace is None  # no quota, no pace


def test_the_panel_holds_the_kpis_present_in_its_own_order():
    nrr = value("nrr", "Net revenue retention", "retention", "ratio", 1.01)
    win = value("win_rate", "Win rate", "close", "ratio", 0.25)
    by_owner = replace(win, group=(("owner", "Ana"),))
    shares = value("lost_reasons", "Lost reasons", "close", "ratio", 0.5, category="Price")
    summary = summarise(_report(nrr, by_owner, shares, win, WON))
    assert [v.id for v in summary.panel] == ["revenue_won", "win_rate", "nrr"]
    assert [v.id for v in summary.panel] == [k for k in PANEL if k in summary.ids]
    assert summary.forecast is None


def test_the_forecast_is_in_the_panel_when_the_report_has_it():
    closed = value("forecast_closed", "Forecast: closed", "close", "currency", 300.0)
    commit = value("forecast_commit", "Forecast: commit", "close", "currency", 500.0)
    running = date(2026, 10, 20)  # the period is not over: a forecast is one
    summary = summarise(_report(WON, closed, commit, as_of=running))
    assert summary.forecast is not None
    assert (summary.forecast.closed, summary.forecast.commit) == (closed, commit)
    assert summary.forecast.best_case is None and summary.forecast.quota == 3100.0
    assert summary.ids == ["revenue_won", "forecast_closed", "forecast_commit"]
    ahead = replace(commit, target=4000.0)  # the forecast's own quota: the period it forecasts
    assert summarise(_report(WON, closed, ahead, as_of=running)).forecast.quota == 4000.0
    assert summarise(_report(WON, closed, commit)).forecast is None  # over: what was closed


def test_the_moves_are_the_largest_changes_not_maturing_nor_small_nor_in_the_panel():
    moves = [
        _moved("deals_won", "count", 15.0, 10.0),  # +50%
        _moved("orders", "count", 6.0, 10.0),  # -40%
        _moved("revenue", "currency", 1100.0, 1000.0),  # +10%
        _moved("demos_held", "count", 30.0, 10.0, maturing=True),  # +200%, maturing
        _moved("nps", "score", 90.0, 10.0, small_sample=True),  # +800%, a small sample
        _moved("win_rate", "ratio", 0.5, 0.1),  # +400%, but in the panel
        # a ratio moves by its points: 0.2% to -0.1% is 0.3 points (not -150%), the least
        _moved("net_mrr_churn_rate", "ratio", -0.001, 0.002),
        _moved("email_bounce_rate", "ratio", 0.9, 0.2),  # 70 points: the largest
        _moved("expansion_revenue", "currency", 100.0, 10.0),  # shown as mrr_expansion
    ]
    summary = summarise(_report(*moves))
    assert [v.id for v in summary.moves] == ["email_bounce_rate", "deals_won", "orders"]


def test_a_change_that_rounds_to_nothing_is_no_move():
    flat = _moved("deals_won", "count", 10000.0, 10001.0)  # -0.01%
    assert summarise(_report(flat)).moves == ()


def test_two_ids_of_one_formula_are_one_value_only_when_equal():
    kept = _moved("mrr_expansion", "currency", 100.0, 80.0)
    copy = replace(kept, id="expansion_revenue", stage="retention")
    assert same_value(_report(kept, copy)) == {"expansion_revenue": "mrr_expansion"}
    assert same_value(_report(kept, replace(copy, value=99.0))) == {}
    assert same_value(_report(copy)) == {}


def test_a_stage_has_data_when_a_value_rests_on_rows():
    none = value("nps", "NPS", "retention", "score", None, n=0)
    zero = value("deals_won", "Deals won", "close", "count", 0.0, n=0)
    report = _report(none, zero, value("orders", "Orders", "purchase", "count", 3.0, n=3))
    assert [has_data(report, s) for s in ("retention", "close", "purchase")] == [
        False,
        False,
        True,
    ]
