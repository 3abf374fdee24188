"""Reporting periods: what `--period`, `--from/--to`, `--compare` and `--trend` mean in dates.

A row is in a period when its date falls on or after the first day and before the day after
the last day, so a deal closed at 23:59 on the last day belongs to the period.
Fiscal years are named by the calendar year they end in (with the year starting in April,
FY 2026 runs from 2025-04-01 to 2026-03-31); quarters count from the fiscal year's start.

A period asked for, `as_of`, and the first period of a trend lie within FIRST_DAY – LAST_DAY
(1900-01-01 – 2200-12-31): wide enough for any CRM's dates, placeholders such as 1900-01-01
included, and far enough from years 1 and 9999, Python's limits, that no step or comparison
from them overflows. Outside it they are a PeriodError naming them.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

RELATIVE = ("last-month", "latest-month", "last-quarter", "this-month", "ytd", "all")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)
SPAN = f"{FIRST_DAY} – {LAST_DAY}"


class PeriodError(ValueError):
    """A period that cannot be understood; the message says which forms are accepted."""


@dataclass(frozen=True)
class Period:
    label: str
    start: date  # the first day, inclusive
    end: date  # the last day, inclusive
    unit: str = "days"  # month | quarter | year | week | ytd | days: how it steps for trends

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(f"period {self.label}: it ends ({self.end}) before it starts")

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def in_span(day: date, what: str) -> date:
    """`day`, when it lies within FIRST_DAY – LAST_DAY; else a PeriodError naming `what`."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PeriodError(f"{what} {day} is outside {SPAN}, the dates reported on")
    return day


def _year_in_span(year: int, spec: str) -> int:
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise PeriodError(f"period {spec!r} is outside {SPAN}, the dates reported on")
    return year


def _beyond(day: date, shift: str) -> PeriodError:
    return PeriodError(f"{day} {shift} is outside {SPAN}, the dates reported on")


def _add_days(day: date, days: int) -> date:
    """`day` + `days`; beyond Python's dates (years 1–9999) a PeriodError, not the
    OverflowError of datetime (a trend of 100,000 periods)."""
    if not 1 <= day.toordinal() + days <= date.max.toordinal():
        raise _beyond(day, f"{days:+,} days")
    return day + timedelta(days=days)


def _add_months(day: date, months: int) -> date:
    """The same day `months` later, clipped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not date.min.year <= year <= date.max.year:
        raise _beyond(day, f"{months:+,} months")
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _month(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period(f"{year}-{month:02d}", start, _add_months(start, 1) - timedelta(days=1), "month")


def _fiscal_year_start(fiscal_year: int, first_month: int) -> date:
    return date(fiscal_year if first_month == 1 else fiscal_year - 1, first_month, 1)


def _fiscal_year_of(day: date, first_month: int) -> int:
    return day.year if first_month == 1 or day.month < first_month else day.year + 1


def _quarter(fiscal_year: int, quarter: int, first_month: int) -> Period:
    start = _add_months(_fiscal_year_start(fiscal_year, first_month), 3 * (quarter - 1))
    end = _add_months(start, 3) - timedelta(days=1)
    return Period(f"{fiscal_year}-Q{quarter}", start, end, "quarter")


def _year(fiscal_year: int, first_month: int) -> Period:
    start = _fiscal_year_start(fiscal_year, first_month)
    return Period(str(fiscal_year), start, _add_months(start, 12) - timedelta(days=1), "year")


def _week(year: int, week: int) -> Period:
    try:
        start = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError(f"period {year}-W{week:02d}: {year} has no ISO week {week}") from None
    return Period(f"{year}-W{week:02d}", start, _add_days(start, 6), "week")


def resolve_period(
    spec: str,
    as_of: date,
    *,
    fiscal_start_month: int = 1,
    data_span: tuple[date, date] | None = None,
) -> Period:
    """The period a `--period` value names, with `as_of` as today and `data_span` the first
    and last event date in the data (for `all` and `latest-month`); within the span."""
    return _within(
        _resolve(spec, as_of, fiscal_start_month=fiscal_start_month, data_span=data_span)
    )


def _resolve(
    spec: str,
    as_of: date,
    *,
    fiscal_start_month: int = 1,
    data_span: tuple[date, date] | None = None,
) -> Period:
    text = spec.strip()
    if m := _MONTH.match(text):
        if not 1 <= int(m[2]) <= 12:
            raise PeriodError(f"period {spec!r}: month {m[2]} does not exist")
        return _month(_year_in_span(int(m[1]), spec), int(m[2]))
    if m := _QUARTER.match(text):
        return _quarter(_year_in_span(int(m[1]), spec), int(m[2]), fiscal_start_month)
    if m := _YEAR.match(text):
        return _year(_year_in_span(int(m[1]), spec), fiscal_start_month)
    if m := _WEEK.match(text):
        return _week(_year_in_span(int(m[1]), spec), int(m[2]))
    if text.lower() in RELATIVE:
        in_span(as_of, "as_of")
    this_month = _month(as_of.year, as_of.month)
    match text.lower():
        case "last-month":
            return step(this_month, -1)
        case "latest-month":  # the last month ended by as_of that the data reaches
            last_month = step(this_month, -1)
            if data_span is not None and data_span[1] < last_month.start:
                return _month(data_span[1].year, data_span[1].month)
            return last_month
        case "this-month":
            return Period(f"{this_month.label} to {as_of}", this_month.start, as_of, "days")
        case "last-quarter":
            fiscal_year = _fiscal_year_of(as_of, fiscal_start_month)
            start_of_year = _fiscal_year_start(fiscal_year, fiscal_start_month)
            months_in = (as_of.year - start_of_year.year) * 12 + as_of.month - start_of_year.month
            return step(_quarter(fiscal_year, months_in // 3 + 1, fiscal_start_month), -1)
        case "ytd":
            fiscal_year = _fiscal_year_of(as_of, fiscal_start_month)
            start = _fiscal_year_start(fiscal_year, fiscal_start_month)
            return Period(f"{fiscal_year} to {as_of}", start, as_of, "ytd")
        case "all":
            if data_span is None:
                raise PeriodError("period all: there is no dated row to take the span from")
            return Period("all", data_span[0], data_span[1], "days")
    raise PeriodError(
        f"period {spec!r} is not understood; use 2026-10, 2026-Q3, 2026, 2026-W14, "
        f"{', '.join(RELATIVE)}, or --from/--to"
    )


def between(start: date, end: date) -> Period:
    """An explicit `--from/--to` period, both days included."""
    return _within(Period(f"{start} to {end}", in_span(start, "from"), in_span(end, "to"), "days"))


def _within(period: Period) -> Period:
    """A period asked for, when it lies within FIRST_DAY – LAST_DAY. The periods computed from
    it (a comparison, a sales growth's earlier period) may reach before FIRST_DAY: they need
    only stay within Python's dates, which they do, being a year or a period back."""
    if period.start < FIRST_DAY or period.end > LAST_DAY:
        raise PeriodError(f"period {period.label} is outside {SPAN}, the dates reported on")
    return period


def step(period: Period, count: int) -> Period:
    """The period `count` units later (earlier when negative), of the same kind."""
    if period.unit == "month":
        start = _add_months(period.start, count)
        return _month(start.year, start.month)
    if period.unit == "quarter":
        start = _add_months(period.start, 3 * count)
        quarter_no = (int(period.label[-1]) - 1 + count) % 4 + 1
        fiscal_year = int(period.label[:4]) + (int(period.label[-1]) - 1 + count) // 4
        return Period(
            f"{fiscal_year}-Q{quarter_no}",
            start,
            _add_months(start, 3) - timedelta(days=1),
            "quarter",
        )
    if period.unit == "year":
        start = _add_months(period.start, 12 * count)
        label = str(int(period.label) + count)
        return Period(label, start, _add_months(start, 12) - timedelta(days=1), "year")
    if period.unit == "ytd":  # the same days of the fiscal year `count` years later
        start, end = _add_months(period.start, 12 * count), _add_months(period.end, 12 * count)
        label = f"{int(period.label[:4]) + count} to {end}"
        return Period(label, start, end, "ytd")
    if period.unit == "week":
        start = _add_days(period.start, 7 * count)
        year, week, _ = start.isocalendar()
        return _week(year, week)
    start, end = (
        _add_days(period.start, period.days * count),
        _add_days(period.end, period.days * count),
    )
    return Period(f"{start} to {end}", start, end, "days")


def comparison(period: Period, mode: str) -> Period | None:
    """`previous`: the period of the same kind just before; `year`: a year earlier; `none`.
    A year to date is compared with the year before to the same day either way: the days just
    before it would be another season, and not a fiscal year's start."""
    if mode == "none":
        return None
    if mode == "previous":
        return step(period, -1)
    if mode == "year":
        if period.unit in ("month", "quarter"):
            return step(period, -12 if period.unit == "month" else -4)
        if period.unit in ("year", "ytd"):
            return step(period, -1)
        start, end = _add_months(period.start, -12), _add_months(period.end, -12)
        return Period(f"{start} to {end}", start, end, "days")
    raise PeriodError(f"comparison {mode!r} is not understood; use previous, year or none")


def trend(period: Period, count: int) -> list[Period]:
    """The last `count` periods of the same kind, oldest first, ending with `period`."""
    if count < 1:
        raise PeriodError("--trend needs a number of periods from 1")
    try:
        within = step(period, 1 - count).start >= FIRST_DAY
    except PeriodError:
        within = False
    if not within:
        raise PeriodError(
            f"a trend of {count:,} periods ending {period.label} starts before {FIRST_DAY}, "
            "the first day reported on; ask for fewer periods"
        )
    return [step(period, -back) for back in range(count - 1, -1, -1)]


def buckets(period: Period, unit: str, *, fiscal_start_month: int = 1) -> list[Period]:
    """The months, ISO weeks or quarters that `period` touches, each cut to the period."""
    if unit == "month":
        current = _month(period.start.year, period.start.month)
    elif unit == "week":
        year, week, _ = period.start.isocalendar()
        current = _week(year, week)
    elif unit == "quarter":
        fiscal_year = _fiscal_year_of(period.start, fiscal_start_month)
        start = _fiscal_year_start(fiscal_year, fiscal_start_month)
        months_in = (period.start.year - start.year) * 12 + period.start.month - start.month
        current = _quarter(fiscal_year, months_in // 3 + 1, fiscal_start_month)
    else:
        raise PeriodError(f"cannot break down by {unit!r}; use month, week or quarter")
    found = []
    while True:
        start, end = max(current.start, period.start), min(current.end, period.end)
        whole = (start, end) == (current.start, current.end)
        found.append(current if whole else Period(current.label, start, end, "days"))
        if current.end >= period.end:  # the last: a step further may leave the span
            return found
        current = step(current, 1)
