"""The edges of an input's data: where a value needs what the data does not hold.

At the start, the first month of an orders or deals export: where a "new" customer cannot be
told from one who bought before the export starts.

A customer whose first order (an account whose first won deal) falls in the first month the
orders (deals) cover may have bought before it: the data holds nothing earlier. So a count of
new customers is not computed for that month (None, with a note), and a longer period holding
it counts them from the month after and says so. The subscription book's edges (its opening
month and horizon) are salesmetrics.kpis.mrr.window's.

Both edges, for a value divided by a length of time (reach outs per week, a quota spread over
the period's days) or a ratio of two inputs (costs over the customers, leads or revenue of
another): only the days the inputs cover count (`covered`). A month that runs past the
activities' last day, divided by its 30 days, would read as a slump; costs of months the deals
do not reach yet, over the customers the deals give, as a dearer CAC. An input reaches the
data's first or last day (over every dated input) when it is within the input's usual gap
between two days with rows of it (`Cover.usual_gap`, at most a week): activities that stop
on Friday 30 October, at a team that does not work at weekends, reach Saturday the 31st.
"""

from __future__ import annotations

from datetime import date

from salesmetrics.coverage import SPAN_DATES, Cover, covers
from salesmetrics.kpis.base import Context
from salesmetrics.kpis.subscriptions import index_of, month_label
from salesmetrics.periods import Period

GAP_LIMIT = 7  # an input quiet for longer than a week before the data's end has ended
BOUGHT_BEFORE = {
    "orders": "customers ordering then may have ordered before",
    "deals": "accounts won then may have been won before",
}


def cover(ctx: Context, entity: str) -> Cover | None:
    """The days an input's rows cover (coverage.covers); None without the input or a dated row."""

    def build() -> Cover | None:
        if entity not in ctx:
            return None
        return covers({entity: ctx[entity]}, ctx.as_of, ctx.fiscal_start_month).get(entity)

    found: Cover | None = ctx.memo(f"edges.cover.{entity}", build)
    return found


def first_month(ctx: Context, entity: str) -> int | None:
    """The month index of the first day an input's rows cover."""
    found = cover(ctx, entity)
    return None if found is None else index_of(found.first)


def reach(ctx: Context, entity: str) -> tuple[date, date] | None:
    """The first and last day an input speaks for: its own, or the data's first or last day
    (over every dated input) when its own is within its usual gap (at most `GAP_LIMIT` days)
    of it; None without the input or a dated row."""

    def build() -> tuple[date, date] | None:
        own = cover(ctx, entity)
        if own is None:
            return None
        spans = [found for name in SPAN_DATES if (found := cover(ctx, name)) is not None]
        first, last = min(c.first for c in spans), max(c.last for c in spans)
        gap = min(own.usual_gap(), GAP_LIMIT)
        since = first if (own.first - first).days <= gap else own.first
        until = last if (last - own.last).days <= gap else own.last
        return since, until

    found: tuple[date, date] | None = ctx.memo(f"edges.reach.{entity}", build)
    return found


def covered(
    ctx: Context, period: Period | None, *entities: str
) -> tuple[Period | None, str | None]:
    """The days of the period that every one of the inputs reaches, from the latest first day
    to the earliest last day (None when no day is left, or `period` is None), and the note
    when that is not the whole period ("the activities data ends 2026-10-31: values up to its
    end"). The days are those the inputs reach (`reach`); an input that is absent or has no
    dated row does not cut the period."""
    if period is None:
        return None, None
    since, until, notes = period.start, period.end, []
    for entity in entities:
        found = reach(ctx, entity)
        if found is None:
            continue
        first, last = found
        if first > since:
            since = first
            notes.append(f"the {entity} data starts {first}: values from its start")
        if last < until:
            until = last
            notes.append(f"the {entity} data ends {last}: values up to its end")
    note = "; ".join(notes) or None
    if since > until:
        return None, note
    if (since, until) == (period.start, period.end):
        return period, None
    return Period(period.label, since, until), note


def same_part(part: Period, period: Period, other: Period) -> Period:
    """The days of `other` (a comparison period) at the same offsets from its start as `part`
    from `period`'s: a quarter covered up to its 31st day is compared with the first 31 days of
    the quarter before, not with all of it (cut at `other`'s end)."""
    since = min(other.start + (part.start - period.start), other.end)
    until = min(other.start + (part.end - period.start), other.end)
    return Period(other.label, since, until)


def joined(*notes: str | None) -> str | None:
    """The notes that are given, in order, once each, as one note."""
    return "; ".join(dict.fromkeys(n for n in notes if n)) or None


def after_first_month(
    ctx: Context, entity: str, period: Period
) -> tuple[Period | None, str | None]:
    """The part of the period after the input's first month (None when none is left) and the
    note that says so (None when the period starts after that month)."""
    month = first_month(ctx, entity)
    if month is None or index_of(period.start) > month:
        return period, None
    starts = f"the {entity} data starts {month_label(month)}"
    if index_of(period.end) < month:
        return None, starts
    if index_of(period.end) == month:
        return None, f"{starts}: {BOUGHT_BEFORE[entity]}"
    year, month0 = divmod(month + 1, 12)
    since = date(year, month0 + 1, 1)
    note = f"{starts}: {BOUGHT_BEFORE[entity]}; new customers counted from {month_label(month + 1)}"
    return Period(period.label, since, period.end), note
