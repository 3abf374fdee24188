"""Periods, worked out by hand on a calendar."""

from __future__ import annotations

from datetime import date

import pytest

from salesmetrics.periods import (
    PeriodError,
    between,
    buckets,
    comparison,
    in_span,
    resolve_period,
    step,
    trend,
)

AS_OF = date(2026, 11, 23)


def span(period):
    return (period.label, period.start.isoformat(), period.end.isoformat())


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("2026-10", ("2026-10", "2026-10-01", "2026-10-31")),
        ("2024-02", ("2024-02", "2024-02-01", "2024-02-29")),
        ("2026-Q3", ("2026-Q3", "2026-07-01", "2026-09-30")),
        ("2026-q1", ("2026-Q1", "2026-01-01", "2026-03-31")),
        ("2026", ("2026", "2026-01-01", "2026-12-31")),
        ("2026-W14", ("2026-W14", "2026-03-30", "2026-04-05")),
        ("2026-W01", ("2026-W01", "2025-12-29", "2026-01-04")),
        ("last-month", ("2026-10", "2026-10-01", "2026-10-31")),
        ("this-month", ("2026-11 to 2026-11-23", "2026-11-01", "2026-11-23")),
        ("last-quarter", ("2026-Q3", "2026-07-01", "2026-09-30")),
        ("ytd", ("2026 to 2026-11-23", "2026-01-01", "2026-11-23")),
    ],
)
def test_calendar_periods(spec, expected):
    assert span(resolve_period(spec, AS_OF)) == expected


def test_last_month_in_january_is_last_december():
    assert span(resolve_period("last-month", date(2026, 1, 5))) == (
        "2025-12",
        "2025-12-01",
        "2025-12-31",
    )


@pytest.mark.parametrize(
    ("spec", "as_of", "expected"),
    [
        ("2026", AS_OF, ("2026", "2025-04-01", "2026-03-31")),
        ("2026-Q1", AS_OF, ("2026-Q1", "2025-04-01", "2025-06-30")),
        ("2026-Q4", AS_OF, ("2026-Q4", "2026-01-01", "2026-03-31")),
        ("ytd", AS_OF, ("2027 to 2026-11-23", "2026-04-01", "2026-11-23")),
        ("last-quarter", AS_OF, ("2027-Q2", "2026-07-01", "2026-09-30")),
        ("last-quarter", date(2026, 5, 2), ("2026-Q4", "2026-01-01", "2026-03-31")),
    ],
)
def test_fiscal_year_starting_in_april(spec, as_of, expected):
    assert span(resolve_period(spec, as_of, fiscal_start_month=4)) == expected


def test_all_takes_the_data_span():
    period = resolve_period("all", AS_OF, data_span=(date(2016, 10, 20), date(2017, 12, 31)))
    assert span(period) == ("all", "2016-10-20", "2017-12-31")
    with pytest.raises(PeriodError, match="no dated row"):
        resolve_period("all", AS_OF)


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        # data up to this month or last month: last month, never a month not yet over
        (date(2026, 11, 22), "2026-10"),
        (date(2026, 10, 1), "2026-10"),
        # data that stops earlier: the month it stops in
        (date(2026, 9, 30), "2026-09"),
        (date(2025, 2, 3), "2025-02"),
    ],
)
def test_latest_month_is_the_last_month_over_that_the_data_reaches(last, expected):
    period = resolve_period("latest-month", AS_OF, data_span=(date(2025, 1, 1), last))
    assert period.label == expected and period.unit == "month"
    assert resolve_period("latest-month", AS_OF).label == "2026-10"  # no data: last month


def test_last_day_is_inside_through_end_exclusive():
    period = resolve_period("2026-10", AS_OF)
    assert period.end_exclusive == date(2026, 11, 1)
    assert period.days == 31


@pytest.mark.parametrize("spec", ["2026-13", "2026-W54", "October", "2026-Q5", ""])
def test_bad_periods_say_what_is_accepted(spec):
    with pytest.raises(PeriodError):
        resolve_period(spec, AS_OF)


def test_ytd_is_compared_with_last_years_ytd_to_the_same_day():
    ytd = resolve_period("ytd", AS_OF)  # 2026-01-01 to 2026-11-23
    last_year = ("2025 to 2025-11-23", "2025-01-01", "2025-11-23")
    assert span(comparison(ytd, "previous")) == last_year
    assert span(comparison(ytd, "year")) == last_year
    assert [span(p)[0] for p in trend(ytd, 3)] == [
        "2024 to 2024-11-23",
        "2025 to 2025-11-23",
        "2026 to 2026-11-23",
    ]
    # a fiscal year from April, to 29 February 2028: FY 2027 to 28 February 2027
    leap = resolve_period("ytd", date(2028, 2, 29), fiscal_start_month=4)
    assert span(leap) == ("2028 to 2028-02-29", "2027-04-01", "2028-02-29")
    assert span(comparison(leap, "previous")) == ("2027 to 2027-02-28", "2026-04-01", "2027-02-28")


def test_from_to_and_its_previous_period_of_the_same_length():
    period = between(date(2026, 10, 10), date(2026, 10, 19))
    assert period.days == 10
    assert span(comparison(period, "previous")) == (
        "2026-09-30 to 2026-10-09",
        "2026-09-30",
        "2026-10-09",
    )
    with pytest.raises(PeriodError, match="ends"):
        between(date(2026, 10, 19), date(2026, 10, 10))


def test_comparisons():
    month = resolve_period("2026-03", AS_OF)
    assert span(comparison(month, "previous")) == ("2026-02", "2026-02-01", "2026-02-28")
    assert span(comparison(month, "year")) == ("2025-03", "2025-03-01", "2025-03-31")
    quarter = resolve_period("2026-Q1", AS_OF)
    assert span(comparison(quarter, "previous")) == ("2025-Q4", "2025-10-01", "2025-12-31")
    assert span(comparison(quarter, "year")) == ("2025-Q1", "2025-01-01", "2025-03-31")
    year = resolve_period("2026", AS_OF)
    assert span(comparison(year, "previous")) == ("2025", "2025-01-01", "2025-12-31")
    leap = between(date(2024, 2, 1), date(2024, 2, 29))
    assert span(comparison(leap, "year"))[1:] == ("2023-02-01", "2023-02-28")
    assert comparison(month, "none") is None
    with pytest.raises(PeriodError):
        comparison(month, "last")


def test_week_steps_across_years():
    assert span(step(resolve_period("2026-W01", AS_OF), -1)) == (
        "2025-W52",
        "2025-12-22",
        "2025-12-28",
    )


def test_trend_is_oldest_first_and_ends_with_the_period():
    labels = [p.label for p in trend(resolve_period("2026-02", AS_OF), 4)]
    assert labels == ["2025-11", "2025-12", "2026-01", "2026-02"]
    quarters = [p.label for p in trend(resolve_period("2026-Q2", AS_OF), 3)]
    assert quarters == ["2025-Q4", "2026-Q1", "2026-Q2"]
    with pytest.raises(PeriodError):
        trend(resolve_period("2026-02", AS_OF), 0)


@pytest.mark.parametrize(
    ("spec", "as_of"),
    [
        ("9999-12", AS_OF),
        ("0000-01", AS_OF),
        ("1899-12", AS_OF),
        ("2201-Q1", AS_OF),
        ("9999", AS_OF),
        ("9999-W52", AS_OF),
        ("last-month", date(1900, 1, 15)),  # December 1899
        ("last-month", date(1, 1, 15)),
        ("this-month", date(9999, 12, 31)),
    ],
)
def test_a_period_outside_1900_to_2200_is_an_error_not_an_overflow(spec, as_of):
    with pytest.raises(PeriodError, match="outside 1900-01-01 – 2200-12-31"):
        resolve_period(spec, as_of)


def test_the_edges_of_the_span_are_periods_and_their_steps_do_not_overflow():
    first, last = resolve_period("1900-01", AS_OF), resolve_period("2200", AS_OF)
    assert span(comparison(first, "year")) == ("1899-01", "1899-01-01", "1899-01-31")
    assert [b.label for b in buckets(last, "month")][-1] == "2200-12"
    assert span(between(date(1900, 1, 1), date(2200, 12, 31)))[1:] == ("1900-01-01", "2200-12-31")
    assert span(resolve_period("all", AS_OF, data_span=(date(1900, 1, 1), date(2026, 1, 2))))[
        1:
    ] == ("1900-01-01", "2026-01-02")


def test_from_to_and_as_of_outside_the_span_are_errors_naming_them():
    with pytest.raises(PeriodError, match=r"^to 9999-12-31 is outside"):
        between(date(2026, 10, 1), date(9999, 12, 31))
    with pytest.raises(PeriodError, match=r"^as_of 0001-01-15 is outside"):
        resolve_period("ytd", date(1, 1, 15))
    with pytest.raises(PeriodError, match=r"^--as-of 9999-12-31 is outside"):
        in_span(date(9999, 12, 31), "--as-of")


def test_a_trend_may_start_on_the_first_day_but_not_before_it():
    october = resolve_period("2026-10", AS_OF)
    months = (2026 - 1900) * 12 + 10  # 1900-01 to 2026-10
    assert trend(october, months)[0].label == "1900-01"
    with pytest.raises(PeriodError, match="trend of 1,523 periods ending 2026-10 starts before"):
        trend(october, months + 1)
    with pytest.raises(PeriodError, match="trend of 100,000 periods"):
        trend(october, 100_000)  # year -6307 before: no ValueError from datetime
    with pytest.raises(PeriodError, match="trend of 50,000 periods"):
        trend(between(date(2026, 1, 1), date(2026, 12, 31)), 50_000)
