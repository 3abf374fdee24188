"""Small hand-built Reports for renderer tests: totals, a breakdown, a distribution, a trend;
and one whose period the data does not cover, with a KPI given in total only."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from salesmetrics.ingest.quality import InputQuality, Reason
from salesmetrics.periods import Period
from salesmetrics.report import DataWarning, KpiValue, Report, Skipped, TrendPoint

OCTOBER = Period("2026-10", date(2026, 10, 1), date(2026, 10, 31), "month")
SEPTEMBER = Period("2026-09", date(2026, 9, 1), date(2026, 9, 30), "month")


def value(kpi_id, label, stage, unit, v, **extra) -> KpiValue:
    fields = dict(numerator=None, denominator=None, n=10, small_sample=False)
    fields.update(extra)
    return KpiValue(kpi_id, label, stage, unit, fields.pop("group", ()), v, **fields)


def sample_report() -> Report:
    trend = (
        TrendPoint("2026-08", 1000.0),
        TrendPoint("2026-09", 1500.0),
        TrendPoint("2026-10", 1200.0),
    )
    values = (
        value(
            "deals_won",
            "Deals won",
            "close",
            "count",
            3.0,
            previous=2.0,
            change=1.0,
            change_pct=0.5,
        ),
        value(
            "revenue_won",
            "Revenue won",
            "close",
            "currency",
            1200.0,
            previous=1500.0,
            change=-300.0,
            change_pct=-0.2,
            target=2000.0,
            status="off_track",
            trend=trend,
        ),
        value(
            "win_rate",
            "Win rate",
            "close",
            "ratio",
            0.6,
            numerator=3.0,
            denominator=5.0,
            small_sample=True,
            previous=0.5,
            change=0.1,
            change_pct=0.2,
            target=0.5,
            status="on_track",
        ),
        value(
            "win_rate",
            "Win rate",
            "close",
            "ratio",
            0.5,
            numerator=1.0,
            denominator=2.0,
            small_sample=True,
            group=(("owner", "=HYPERLINK(1)"),),
        ),
        value(
            "win_rate",
            "Win rate",
            "close",
            "ratio",
            None,
            numerator=0.0,
            denominator=0.0,
            small_sample=True,
            group=(("owner", "Ben | Jr"),),
            note="no rows in the denominator",
        ),
        value(
            "lost_reasons",
            "Lost reasons",
            "close",
            "ratio",
            0.75,
            numerator=3.0,
            denominator=4.0,
            small_sample=True,
            category="Price",
        ),
        value(
            "lost_reasons",
            "Lost reasons",
            "close",
            "ratio",
            0.25,
            numerator=1.0,
            denominator=4.0,
            small_sample=True,
            category="(blank)",
        ),
        value(
            "win_rate_by_amount",
            "Win rate by amount",
            "close",
            "ratio",
            None,
            numerator=0.0,
            denominator=0.0,
            note="no rows in the denominator",
        ),
    )
    return Report(
        OCTOBER,
        date(2026, 11, 23),
        ("owner",),
        values,
        (Skipped("email_open_rate", "needs activities.opened"),),
        SEPTEMBER,
        "USD",
        (Period("2026-08", date(2026, 8, 1), date(2026, 8, 31), "month"), SEPTEMBER, OCTOBER),
    )


UNSPLIT = "not split by owner: subscriptions carry no owner"


def totals_only_report() -> Report:
    """The sample report with MRR, which the breakdown by owner cannot split, in total only."""
    report = sample_report()
    mrr = value("mrr", "MRR", "mrr", "currency", 2000.0, note=UNSPLIT)
    return replace(report, values=(*report.values, mrr), unsplit=(Skipped("mrr", UNSPLIT),))


STALE = DataWarning(
    "stale_input",
    "deals",
    date(2025, 1, 2),
    date(2026, 9, 30),
    "deals end 2026-09-30; period 2026-10 has no deals",
)


def stale_report() -> Report:
    """That report over deals that end in September."""
    return replace(totals_only_report(), warnings=(STALE,))


def sample_inputs() -> list[InputQuality]:
    return [
        InputQuality(
            "exports/deals.csv",
            "deals",
            "sample_data/mappings/deals.yaml",
            "ab" * 32,
            12,
            9,
            1,
            1,
            1,
            rejected=(Reason("created_at: blank", 1),),
        )
    ]


def maturing_report() -> Report:
    """October's SQL to demo rate, a cohort still maturing and down on September's at the same
    age, beside win rate, down too and not maturing."""
    sql = value(
        "sql_to_demo_rate", "SQL to demo rate", "demo", "ratio", 0.08,
        previous=0.1, change=-0.02, change_pct=-0.2, maturing=True,
    )  # fmt: skip
    win = value(
        "win_rate", "Win rate", "close", "ratio", 0.2, previous=0.3, change=-0.1, change_pct=-1 / 3
    )
    return Report(OCTOBER, date(2026, 11, 1), (), (sql, win), (), comparison=SEPTEMBER)
