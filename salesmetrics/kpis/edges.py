"""The first month of an orders or deals export: where a "new" customer cannot be told from
one who bought before the export starts.

A customer whose first order (an account whose first won deal) falls in the first month the
orders (deals) cover may have bought before it: the data holds nothing earlier. So a count of
new customers is not computed for that month (None, with a note), and a longer period holding
it counts them from the month after and says so. The subscription book's edges (its opening
month and horizon) are salesmetrics.kpis.mrr.window's.
"""

from __future__ import annotations

from datetime import date

from salesmetrics.coverage import covers
from salesmetrics.kpis.base import Context
from salesmetrics.kpis.subscriptions import index_of, month_label
from salesmetrics.periods import Period

BOUGHT_BEFORE = {
    "orders": "customers ordering then may have ordered before",
    "deals": "accounts won then may have been won before",
}


def first_month(ctx: Context, entity: str) -> int | None:
    """The month index of the first day an input's rows cover (coverage.covers)."""

    def build() -> int | None:
        found = covers({entity: ctx[entity]}, ctx.as_of, ctx.fiscal_start_month).get(entity)
        return None if found is None else index_of(found.first)

    found: int | None = ctx.memo(f"edges.first_month.{entity}", build)
    return found


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
