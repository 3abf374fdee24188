"""The sentences the terminal and Markdown views share."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from salesmetrics.render.words import (
    panel_label,
    same_line,
    skipped_line,
    stage_title,
    summary_lines,
)
from salesmetrics.report import Report, Skipped
from salesmetrics.summary import summarise
from tests.render.reports import OCTOBER, SEPTEMBER, sample_inputs, value


def _lines(*values, as_of=date(2026, 11, 1)) -> list[str]:
    report = Report(OCTOBER, as_of, (), values, (), comparison=SEPTEMBER, currency="USD")
    return summary_lines(summarise(report), "USD")


WON = value("revenue_won", "Revenue won", "close", "currency", 300.0, target=3100.0)


def test_the_pace_says_where_bookings_should_be_by_today():
    # 10 of 31 days: 3,100 × 10/31 = 1,000 expected; 300 booked, 700 behind
    assert _lines(WON, as_of=date(2026, 10, 10)) == [
        "Bookings $300 of a $3,100 quota (9.7%); $1,000 by today at an even pace (32% of the "
        "period gone): behind by $700."
    ]
    assert _lines(WON) == ["Bookings $300 of a $3,100 quota (9.7%)."]  # the period is over


def test_the_coverage_and_the_forecast_in_words():
    coverage = value(
        "pipeline_coverage", "Pipeline coverage", "close", "multiple", 3.0,
        numerator=6000.0, denominator=2000.0,
    )  # fmt: skip
    closed = value("forecast_closed", "closed", "close", "currency", 300.0)
    commit = value("forecast_commit", "commit", "close", "currency", 500.0)
    best = value("forecast_best_case", "best case", "close", "currency", 900.0)
    running = date(2026, 10, 10)
    assert _lines(WON, coverage, closed, commit, best, as_of=running)[1:] == [
        "Coverage: $6,000 of open deals expected to close in the next period, against its "
        "quota of $2,000.",
        "Forecast: closed $300 so far; commit $500, best case $900 (closed included); "
        "quota $3,100.",
    ]
    assert _lines(best, as_of=running) == ["Forecast: best case $900 (closed included)."]
    # once the period is over, the forecast is what was closed: the bookings line says it
    assert _lines(WON, closed, commit, best) == ["Bookings $300 of a $3,100 quota (9.7%)."]


def test_all_open_coverage_is_said_as_what_it_is():
    coverage = value(
        "pipeline_coverage", "Pipeline coverage (all open / this period's quota)", "close",
        "multiple", 3.0, numerator=6000.0, denominator=2000.0,
    )  # fmt: skip
    coverage = replace(coverage, variant="all_open")
    assert _lines(coverage) == [
        "Coverage: $6,000 of open deals, against the period's quota of $2,000."
    ]
    assert panel_label(coverage) == "Pipeline coverage (all open / this period's quota)"
    assert panel_label(replace(coverage, variant="next_period_due")) == "Coverage, next period"


def test_skipped_kpis_in_one_line_name_the_inputs_not_given():
    skipped = (
        Skipped("email_open_rate", "needs activities (no activities input)"),
        Skipped("leads_created", "needs leads (no leads input)"),
        Skipped("sales_cycle_days", "needs deals.created_at: add Create Date to the export"),
    )
    report = Report(OCTOBER, date(2026, 11, 1), (), (), skipped)
    assert skipped_line(report, sample_inputs()) == (  # the inputs: deals only
        "2 KPIs need inputs you did not give: activities, leads; 1 KPI needs columns or settings "
        "the inputs lack; `salesmetrics kpis --missing` with the same inputs lists them "
        "(--show-skipped: here)"
    )


def test_skipped_variants_are_counted_apart_from_the_kpis():
    variant = Skipped("win_rate", "variant per_sql: needs leads (no leads input)", "per_sql")
    alone = Report(OCTOBER, date(2026, 11, 1), (), (), (variant,))
    assert skipped_line(alone, sample_inputs()) == (
        "1 named variant cannot be computed from these inputs (--show-skipped: here)"
    )
    kpi = Skipped("leads_created", "needs leads (no leads input)")
    both = Report(OCTOBER, date(2026, 11, 1), (), (), (kpi, variant))
    assert skipped_line(both, sample_inputs()) == (
        "1 KPI needs inputs you did not give: leads; `salesmetrics kpis --missing` with the "
        "same inputs lists them; 1 named variant cannot be computed (--show-skipped: here)"
    )


def test_titles_and_one_kpi_under_two_ids():
    assert [stage_title(s) for s in ("mrr", "close")] == ["MRR", "Close"]
    assert same_line("mrr_expansion", "expansion_revenue") == (
        "Expansion MRR (mrr_expansion) is also Expansion revenue (expansion_revenue) in "
        "Retention: the same amount, shown once."
    )
