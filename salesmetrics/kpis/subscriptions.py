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
  MRR(month before) + that month's movements = MRR(month); `check_bridge` proves it.
- Text dimensions (plan, segment, …) of a customer-month are those of its largest row; the
  MRR levels (mrr, arr, customers_active, arpa) read `by_dimensions` instead, which splits a
  customer-month across the plans it pays.
- A change of less than a millionth of a currency unit (sums of several rows differing in
  their last bits) is rounding, not a movement.
- Amounts in several currencies are never summed: rates are needed first (an error).
"""

from __future__ import annotations

import numpy as np
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


def month_start(index: pd.Series | np.ndarray) -> pd.Series:
    """The first day of each month index, as a timestamp."""
    values = pd.Series(np.asarray(index, dtype="int64"))
    years, months = np.divmod(values.to_numpy(), 12)
    frame = pd.DataFrame({"year": years, "month": months + 1, "day": 1})
    return pd.Series(pd.to_datetime(frame).astype("datetime64[us]").to_numpy())


def index_of(day) -> int:
    """The month index of a date."""
    return int(day.year * 12 + day.month - 1)


def month_label(index: int) -> str:
    """A month index as YYYY-MM."""
    year, month = divmod(int(index), 12)
    return f"{year:04d}-{month + 1:02d}"


def is_snapshot(ctx: Context) -> bool:
    """One row per customer with a churned flag and no month or start dates (telco_churn)."""
    subs = ctx["subscriptions"]
    dated = any(c in subs.columns and subs[c].notna().any() for c in ("month", "started_at"))
    return not dated and "churned" in subs.columns


def book(ctx: Context) -> pd.DataFrame:
    """customer_id, month (index), mrr > 0 and the text dimensions: one row per customer-month."""
    return ctx.memo("subscriptions.book", lambda: _book(ctx))


def horizon(ctx: Context) -> int:
    """The last month the subscription data speaks for."""
    return ctx.memo("subscriptions.horizon", lambda: _horizon(ctx))


def opening(ctx: Context) -> int | None:
    """The first month of monthly subscription rows (None for intervals, or without one)."""
    return ctx.memo("subscriptions.opening", lambda: _opening(ctx))


def movements(ctx: Context) -> pd.DataFrame:
    """customer_id, month (index), movement, amount (signed), and the customer-month's
    dimensions (for churn: those of the last paying month)."""
    return ctx.memo("subscriptions.movements", lambda: _movements(book(ctx), horizon(ctx)))


def mrr_by_month(ctx: Context) -> pd.Series:
    """Total MRR per month index, every month from the first to the horizon (zeros included)."""
    return ctx.memo("subscriptions.mrr_by_month", lambda: _mrr_by_month(ctx))


def months_in(period: Period) -> tuple[int, int]:
    """The first and last month index whose first day falls in the period (last < first when
    the period holds no first of a month, as most weeks)."""
    first = index_of(period.start) + (0 if period.start.day == 1 else 1)
    last = index_of(period.end)
    return first, last


def end_month(period: Period) -> int:
    """The month whose end-of-month MRR is the MRR at the end of the period: the last month
    that has started by the period's last day."""
    return index_of(period.end)


def check_bridge(ctx: Context, first: int, last: int) -> None:
    """MRR before `first` + movements in first..last = MRR at `last`, or an error."""
    totals = mrr_by_month(ctx)
    moves = movements(ctx)
    inside = moves[(moves["month"] >= first) & (moves["month"] <= last)]
    start = float(totals.get(first - 1, 0.0))
    end = float(totals.get(last, 0.0))
    moved = float(inside["amount"].sum())
    if not np.isclose(start + moved, end, rtol=1e-9, atol=1e-6):
        raise SalesmetricsError(
            f"MRR does not reconcile from {month_label(first)} to {month_label(last)}: "
            f"start {start:,.2f} + movements {moved:,.2f} != end {end:,.2f}; "
            "please report this with the subscriptions file"
        )


def _horizon(ctx: Context) -> int:
    subs = ctx["subscriptions"]
    if "month" in subs.columns and subs["month"].notna().any():
        return int(month_index(subs["month"].dropna()).max())
    return index_of(ctx.as_of)


def _opening(ctx: Context) -> int | None:
    subs = ctx["subscriptions"]
    if "month" in subs.columns and subs["month"].notna().any():
        return int(month_index(subs["month"].dropna()).min())
    return None


def by_dimensions(ctx: Context) -> pd.DataFrame:
    """customer_id, month (index), mrr > 0 and the text dimensions: one row per customer-month
    and combination of dimensions, so a customer paying two plans in a month has a row for
    each with that plan's MRR (the book gives the month to its largest row's plan)."""

    def build() -> pd.DataFrame:
        rows, dims = _paying(ctx)
        keys = ["customer_id", "month", *dims]
        totals = rows.groupby(keys, dropna=False, sort=False)["mrr"].sum().reset_index()
        totals["month"] = totals["month"].astype("int64")
        ordered = totals.sort_values(["customer_id", "month"], kind="stable")
        return ordered[["customer_id", "month", "mrr", *dims]].reset_index(drop=True)

    found: pd.DataFrame = ctx.memo("subscriptions.by_dimensions", build)
    return found


def _paying(ctx: Context) -> tuple[pd.DataFrame, list[str]]:
    """The paying rows (MRR > 0), each with its month index, and the text dimensions."""
    found: tuple[pd.DataFrame, list[str]] = ctx.memo("subscriptions.paying", lambda: _rows(ctx))
    return found


def _rows(ctx: Context) -> tuple[pd.DataFrame, list[str]]:
    subs = ctx["subscriptions"]
    dims = [c for c in subs.columns if c not in NOT_DIMENSIONS]
    if "month" in subs.columns and subs["month"].notna().any():
        rows = subs[subs["month"].notna()].assign(month=month_index(subs["month"].dropna()))
    elif "started_at" in subs.columns:
        rows = _expand(subs, _horizon(ctx))
    else:  # no dated row at all (an empty export, or a snapshot): an empty book
        rows = subs.iloc[0:0].assign(month=pd.Series(dtype="int64"))
    rows = rows[(rows["mrr"] > 0).fillna(False).to_numpy()]
    _single_currency(rows)
    return rows, dims


def _book(ctx: Context) -> pd.DataFrame:
    rows, dims = _paying(ctx)
    rows = rows.sort_values("mrr", ascending=False, kind="stable")
    keys = ["customer_id", "month"]
    totals = rows.groupby(keys, sort=False)["mrr"].sum()
    firsts = rows.drop_duplicates(keys).set_index(keys)[dims]
    result = firsts.join(totals).reset_index()
    result["month"] = result["month"].astype("int64")
    ordered = result.sort_values(keys, kind="stable").reset_index(drop=True)
    return ordered[["customer_id", "month", "mrr", *dims]]


def _single_currency(rows: pd.DataFrame) -> None:
    """Several currencies among the paying rows are an error: rates are needed first."""
    if "currency" not in rows.columns:
        return
    one_currency([(str(c), int(n)) for c, n in rows["currency"].value_counts().items()])


def one_currency(counts: list[tuple[str, int]]) -> None:
    """An error when the paying rows' currencies, with their row counts (most first), are
    several: rates are needed first."""
    if len(counts) > 1:
        listed = ", ".join(f"{c} ({n:,} rows)" for c, n in counts)
        raise SalesmetricsError(
            f"subscriptions: MRR is in several currencies: {listed}; "
            "give a reporting currency and rates in the report config"
        )


def _expand(subs: pd.DataFrame, last_month: int) -> pd.DataFrame:
    """One row per interval per month at whose end it is active."""
    dated = subs[subs["started_at"].notna()]
    first = month_index(dated["started_at"]).to_numpy(dtype="int64")
    if "ended_at" in dated.columns:
        ended = month_index(dated["ended_at"]) - 1
        last = ended.fillna(last_month).to_numpy(dtype="int64")
    else:
        last = np.full(len(dated), last_month, dtype="int64")
    last = np.minimum(last, last_month)
    counts = np.maximum(last - first + 1, 0)
    position = np.repeat(np.arange(len(dated)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    expanded = dated.iloc[position].reset_index(drop=True)
    return expanded.assign(month=np.repeat(first, counts) + offsets)


def _movements(months: pd.DataFrame, last_month: int) -> pd.DataFrame:
    dims = [c for c in months.columns if c not in ("customer_id", "month", "mrr")]
    same = months["customer_id"].eq(months["customer_id"].shift(1)).fillna(False).to_numpy()
    previous_month = months["month"].shift(1).where(same)
    previous_mrr = months["mrr"].shift(1).where(same)
    follows = (previous_month == months["month"] - 1).fillna(False).to_numpy()
    first = ~same
    change = (months["mrr"] - previous_mrr).to_numpy(dtype="float64")
    change[np.abs(change) < NOISE] = 0.0
    kind = np.select(
        [first, ~follows, follows & (change > 0), follows & (change < 0)],
        ["new", "reactivation", "expansion", "contraction"],
        default="",
    )
    amount = np.where(first | ~follows, months["mrr"].to_numpy(dtype="float64"), change)
    started = months.assign(movement=kind, amount=amount)
    started = started[started["movement"] != ""]
    next_same = months["customer_id"].eq(months["customer_id"].shift(-1)).fillna(False)
    next_month = months["month"].shift(-1).where(next_same.to_numpy())
    stops = ~(next_month == months["month"] + 1).fillna(False).to_numpy()
    stops &= (months["month"] + 1 <= last_month).to_numpy()
    churned = months[stops].assign(
        month=months["month"][stops] + 1, movement="churned", amount=-months["mrr"][stops]
    )
    columns = ["customer_id", "month", "movement", "amount", *dims]
    result = pd.concat([started[columns], churned[columns]], ignore_index=True)
    result["amount"] = result["amount"].astype("float64")
    return result.sort_values(["month", "customer_id"], kind="stable").reset_index(drop=True)


def _mrr_by_month(ctx: Context) -> pd.Series:
    months = book(ctx)
    if months.empty:
        return pd.Series(dtype="float64")
    totals = months.groupby("month")["mrr"].sum()
    full = range(int(totals.index.min()), horizon(ctx) + 1)
    return totals.reindex(full, fill_value=0.0).astype("float64")
