"""The MRR book: each customer's MRR month by month, and the movements between months.

Subscriptions arrive as one row per customer-month (`month`), as intervals (`started_at`,
`ended_at`), or as a snapshot (one row per customer with a `churned` flag and no dates).
Months are calendar months; a month is identified by its first day.

- Several rows of one customer in one month are summed; months at zero MRR are absent.
- An interval counts in every month at whose end it is active: from the month it starts in
  to the month before the one it ends in (ending on 15 March, it counts through February;
  ending on 1 April at 00:00, through March). An interval with no end runs to the horizon.
- The horizon is the last month the data speaks for: the latest `month` in monthly data, the
  month of `as_of` for intervals. A customer whose last paying month is the horizon has not
  churned: nothing is known about the month after.
- Monthly data has an opening month too, its earliest `month`: the customers paying in it were
  paying before it (the opening book), so its `new` movements are not new business
  (salesmetrics.kpis.mrr.window cuts periods there). Intervals have none: a `started_at` is a
  real start.
- Movements, dated by the month in which they show: `new` (first paying month), `expansion`
  and `contraction` (MRR up or down, not to zero, from the month before), `churned` (paying
  → zero: dated the month after the last paying month, with minus that month's MRR), and
  `reactivation` (paying again after at least one month at zero). So for every month,
  MRR(month before) + that month's movements = MRR(month) (a property test of the views
  against a per-customer loop proves it, tests/kpis/test_subscriptions.py).
- Text dimensions (plan, segment, …) of a customer-month are those of its largest row; the
  MRR levels (mrr, arr, customers_active, arpa) read kpis.views mrr_levels instead, which
  splits a customer-month across the plans it pays.
- A change of less than a millionth of a currency unit (sums of several rows differing in
  their last bits) is rounding, not a movement.
- Amounts in several currencies are never summed: rates are needed first (an error).
"""

from __future__ import annotations

import pandas as pd

from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import Context
from salesmetrics.periods import Period

MOVEMENTS = ("new", "expansion", "contraction", "churned", "reactivation")
NOT_DIMENSIONS = {"customer_id", "mrr", "month", "started_at", "ended_at", "churned", "_row"}
NOT_DIMENSIONS |= {"modified_at", "currency"}
NOISE = 1e-6  # changes smaller than this, in currency units, are rounding and not movements


def month_index(dates: pd.Series) -> pd.Series:
    """Months as integers (year × 12 + month − 1), so that consecutive months differ by 1."""
    stamps = dates.astype("datetime64[us]")
    return (stamps.dt.year * 12 + stamps.dt.month - 1).astype("Int64")


def index_of(day) -> int:
    """The month index of a date."""
    return int(day.year * 12 + day.month - 1)


def month_label(index: int) -> str:
    """A month index as YYYY-MM."""
    year, month = divmod(int(index), 12)
    return f"{year:04d}-{month + 1:02d}"


def is_snapshot(ctx: Context) -> bool:
    """One row per customer with a churned flag and no month or start dates (telco_churn)."""
    subs = ctx.frame("subscriptions")
    dated = any(c in subs.columns and subs[c].notna().any() for c in ("month", "started_at"))
    return not dated and "churned" in subs.columns


def horizon(ctx: Context) -> int:
    """The last month the subscription data speaks for."""
    return ctx.memo("subscriptions.horizon", lambda: _horizon(ctx))


def opening(ctx: Context) -> int | None:
    """The first month of monthly subscription rows (None for intervals, or without one)."""
    return ctx.memo("subscriptions.opening", lambda: _opening(ctx))


def months_in(period: Period) -> tuple[int, int]:
    """The first and last month index whose first day falls in the period (last < first when
    the period holds no first of a month, as most weeks)."""
    first = index_of(period.start) + (0 if period.start.day == 1 else 1)
    last = index_of(period.end)
    return first, last


def _horizon(ctx: Context) -> int:
    subs = ctx.frame("subscriptions")
    if "month" in subs.columns and subs["month"].notna().any():
        return int(month_index(subs["month"].dropna()).max())
    return index_of(ctx.as_of)


def _opening(ctx: Context) -> int | None:
    subs = ctx.frame("subscriptions")
    if "month" in subs.columns and subs["month"].notna().any():
        return int(month_index(subs["month"].dropna()).min())
    return None


def one_currency(counts: list[tuple[str, int]]) -> None:
    """An error when the paying rows' currencies, with their row counts (most first), are
    several: rates are needed first."""
    if len(counts) > 1:
        listed = ", ".join(f"{c} ({n:,} rows)" for c, n in counts)
        raise SalesmetricsError(
            f"subscriptions: MRR is in several currencies: {listed}; "
            "give a reporting currency and rates in the report config"
        )
