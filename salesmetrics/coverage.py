"""Which days each input covers, and the inputs that do not cover the report period.

A forgotten export, or a period after the data's end, would otherwise read as zeros and
▼ −100%: a collapse that is not one. So the report warns when the period starts after an
input's last date, or an input has no row in it.

An input covers the days of its event dates (a deal's creation and close), whole months for
monthly rows (MRR, costs), a subscription's interval (open ones up to `as_of`), and a target's
period label (a quarter). The reps roster is reference data, never stale. An input whose rows
come every few months (a quarterly survey) is not warned about in its usual quiet months:
the months without rows between two with rows are counted, and a period inside a quiet
stretch no longer than the input's usual one (the median, in whole months) passes; a longer
stretch, or a period before the input's first date, is warned about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, partial

import numpy as np
import pandas as pd

from salesmetrics import tables
from salesmetrics.kpis.quotas import label_keys, label_period, undeclared_fiscal_labels
from salesmetrics.memo import of_frame
from salesmetrics.periods import Period, PeriodError
from salesmetrics.report import DataWarning
from salesmetrics.schema import ENTITIES, Kind
from salesmetrics.tables import Table

SPAN_DATES = {
    "deals": ("created_at", "closed_at"),
    "leads": ("created_at",),
    "activities": ("occurred_at",),
    "orders": ("ordered_at",),
    "subscriptions": ("month", "started_at"),
    "costs": ("month", "incurred_at"),
    "surveys": ("responded_at",),
}
"""The event dates whose span `--period all` covers (not expected close dates, say)."""

INTERVAL_ENDS = {("subscriptions", "started_at"): "ended_at"}
"""Start columns of rows that cover every day up to an end column (blank: up to as_of)."""

DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Cover:
    """The days an input's rows cover: one interval per row and date column, both ends in.
    What is read of them (the first and last day, the months, the usual gap) is worked out
    once: a report asks it for every KPI and slice."""

    starts: np.ndarray  # datetime64[D]
    ends: np.ndarray  # datetime64[D], on or after the start

    @cached_property
    def first(self) -> date:
        found: date = self.starts.min().astype(date)
        return found

    @cached_property
    def last(self) -> date:
        found: date = self.ends.max().astype(date)
        return found

    def touches(self, period: Period) -> bool:
        start, end = np.datetime64(period.start, "D"), np.datetime64(period.end, "D")
        return bool(((self.starts <= end) & (self.ends >= start)).any())

    def usual_gap(self) -> int:
        """The days from one day with a row to the next that the input usually has (the 95th
        percentile of those steps; 0 with fewer than two such days): 3 for a team that does
        not work at weekends, a month or more for a quarterly survey."""
        return self._usual_gap

    @cached_property
    def _usual_gap(self) -> int:
        # the days with a row, counted over the span (a few thousand days), not sorted out of
        # millions of rows
        offsets = (self.starts - self.starts.min()).astype(np.int64)
        steps = np.diff(np.flatnonzero(np.bincount(offsets)))
        return int(np.percentile(steps, 95, method="higher")) if len(steps) else 0

    def months(self) -> np.ndarray:
        """The months (counted from 1970-01) that some row covers, in order: the days first,
        counted over the span (a few thousand), then the months of those days."""
        return self._months

    @cached_property
    def _months(self) -> np.ndarray:
        base = self.starts.min()
        first = (self.starts - base).astype(np.int64)
        last = (self.ends - base).astype(np.int64)
        size = int(last.max()) + 2
        opened = np.bincount(first, minlength=size)
        closed = np.bincount(last + 1, minlength=size)
        days = base + np.flatnonzero(np.cumsum(opened - closed)[:-1] > 0).astype("timedelta64[D]")
        return np.unique(_month(days))


def covers(
    frames: Mapping[str, Table], as_of: date, fiscal_start_month: int = 1
) -> dict[str, Cover]:
    """Each input's cover, for the inputs with a dated row (a snapshot has none)."""
    found = {}
    for entity, frame in frames.items():
        if entity == "targets" and isinstance(frame, pd.DataFrame):
            build = partial(_targets, frame, as_of, fiscal_start_month)
            cover = of_frame(frame, ("cover", entity, as_of, fiscal_start_month), build)
        else:
            cover = of_frame(frame, ("cover", entity, as_of), partial(_dated, entity, frame, as_of))
        if cover is not None:
            found[entity] = cover
    return found


def first_day(frames: Mapping[str, Table], entity: str, as_of: date) -> date | None:
    """The first day the `entity` input covers; None without such an input or a dated row.
    A KPI that compares with an earlier period reads it: a period before the data is not a
    period of zeros."""
    if entity not in frames:
        return None
    cover = covers({entity: frames[entity]}, as_of).get(entity)
    return cover.first if cover is not None else None


def uncovered(
    covered: Mapping[str, Cover], period: Period, read: Mapping[str, Sequence[str]]
) -> tuple[DataWarning, ...]:
    """A warning for each input in `read` that has no row in `period`, in its order.

    `read` maps each input the report's KPIs read to the KPIs its warning names: those of a
    reference input (targets: quota_attainment), none for the inputs most KPIs read.
    """
    found = []
    for entity, named in read.items():
        cover = covered.get(entity)
        if cover is None or cover.touches(period):
            continue
        warning = _warning(entity, cover, period, f" for {', '.join(named)}" if named else "")
        if warning is not None:
            found.append(warning)
    return tuple(found)


def outside(
    covered: Mapping[str, Cover],
    period: Period,
    entities: Sequence[str],
    before: bool = True,
    later: Mapping[str, date] | None = None,
) -> str | None:
    """Why values of the inputs `entities` are unknown in `period`: it starts after one's last
    date, or (with `before`) ends before the first date of the first (the input whose dates
    put rows in the period; the others may be read after it, as a cohort's outcomes), and is
    not in the input's usual quiet months. The reason is that input's warning ("deals end
    2026-10-31; period 2026-11 has no deals"); None when the period is not outside. A count
    there is not 0, nor a snapshot the last one known: the data stops short of it. `later`
    gives, by input, the last of the dates a KPI counts by when they are not event dates (a
    lead's sql_at): the input reaches that far for it."""
    for at, entity in enumerate(entities):
        cover = covered.get(entity)
        if cover is None:
            continue
        last = max(cover.last, (later or {}).get(entity, cover.last))
        early = before and at == 0 and period.end < cover.first
        if early or period.start > last:
            warning = _warning(entity, cover, period, "")
            if warning is not None:
                return warning.message
    return None


def calendar_warning(
    targets: pd.DataFrame, cover: Cover | None, as_of: date, fiscal_start_month: int
) -> DataWarning | None:
    """A fiscal-year report reads the targets' quarter and year labels as fiscal ones; when
    the targets mapping does not say that is what they are, a file written in calendar
    quarters would be misread without a sign, so the report says how it read them."""
    labels = undeclared_fiscal_labels(targets, as_of, fiscal_start_month)
    if not labels or cover is None:
        return None
    shown = ", ".join(labels[:3]) + (", …" if len(labels) > 3 else "")
    example = label_period(f"{labels[0]}|", as_of, fiscal_start_month)
    message = (
        f"targets {shown} read as fiscal periods (the fiscal year starts in month "
        f"{fiscal_start_month}: {labels[0]} is {example.start} to {example.end}); if they are "
        "calendar quarters or years, add `constants: {calendar: calendar}` to the targets "
        "mapping (or `calendar: fiscal` to confirm)"
    )
    return DataWarning("targets_calendar", "targets", cover.first, cover.last, message)


def _warning(entity: str, cover: Cover, period: Period, readers: str) -> DataWarning | None:
    first, last, label = cover.first, cover.last, period.label
    if period.end < first:
        message = f"{entity} start {first}; period {label} has no {entity}{readers}"
        return DataWarning("empty_period", entity, first, last, message)
    months = cover.months()
    gaps = np.diff(months) - 1
    usual = int(np.median(gaps)) if len(gaps) else 0  # the months without rows between two
    p0, p1 = _month_of(period.start), _month_of(period.end)
    if period.start > last:
        quiet = p1 - int(months[-1])
        if usual and quiet <= usual:
            return None
        message = f"{entity} end {last}; period {label} has no {entity}{readers}"
        return DataWarning("stale_input", entity, first, last, message)
    inside = months[(months >= p0) & (months <= p1)]
    quiet = 0 if len(inside) else int(months[months > p1][0] - months[months < p0][-1] - 1)
    if usual and quiet <= usual:
        return None
    message = f"period {label} has no {entity}{readers} ({entity} run from {first} to {last})"
    return DataWarning("empty_period", entity, first, last, message)


def _month(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[M]").astype(np.int64)


def _month_of(day: date) -> int:
    return (day.year - 1970) * 12 + day.month - 1


def _dated(entity: str, frame: Table, as_of: date) -> Cover | None:
    """The days an input's event dates cover: of a frame, each row's; of a Parquet table,
    each distinct day (or day and end) once, which cover the same days."""
    starts, ends = [], []
    for column in SPAN_DATES.get(entity, ()):
        if column not in frame.columns:
            continue
        end_column = INTERVAL_ENDS.get((entity, column))
        read = [column] + [c for c in (end_column,) if c is not None and c in frame.columns]
        days, *ended = tables.days(frame, read)
        known = ~np.isnat(days)
        if not known.any():
            continue
        field = ENTITIES[entity].field(column)
        if end_column is not None:
            open_end = np.datetime64(as_of, "D")
            if ended:
                until = np.where(np.isnat(ended[0]), open_end, ended[0])
            else:
                until = np.full(len(days), open_end)
        elif field is not None and field.kind is Kind.MONTH:
            until = (days.astype("datetime64[M]") + 1).astype("datetime64[D]") - DAY
        else:
            until = days
        starts.append(days[known])
        ends.append(np.maximum(until[known], days[known]))
    if not starts:
        return None
    return Cover(np.concatenate(starts), np.concatenate(ends))


def _targets(frame: pd.DataFrame, as_of: date, fiscal_start_month: int) -> Cover | None:
    """Each target row covers its period label: a month, a (fiscal) quarter or year."""
    if "period" not in frame.columns:
        return None
    spans = []
    for key in label_keys(frame).dropna().unique():  # a few labels, however many rows
        try:
            covered = label_period(str(key), as_of, fiscal_start_month)
        except PeriodError:
            continue
        spans.append((covered.start, covered.end))
    if not spans:
        return None
    return Cover(
        np.array([s for s, _ in spans], dtype="datetime64[D]"),
        np.array([e for _, e in spans], dtype="datetime64[D]"),
    )
