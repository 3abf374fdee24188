"""Quotas and forecasts from the targets entity, spread over the days of the report period.

A target row covers its own period (a month, quarter or year label; quarters and years follow
the fiscal year). The part of it that counts for a report period is its amount times the share
of its days that fall inside the report period: a quarterly quota counts fully in its quarter,
and about a third of it in each of its months.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from salesmetrics.kpis.base import Context
from salesmetrics.periods import Period, resolve_period


def allocated(ctx: Context, period: Period, metric: str = "quota") -> pd.DataFrame:
    """Target rows of `metric` overlapping `period`, with `amount` cut to the overlap."""
    targets = ctx["targets"]
    if "metric" in targets.columns:
        rows = targets[(targets["metric"].fillna("quota") == metric).astype(bool).to_numpy()]
    else:
        rows = targets if metric == "quota" else targets.iloc[0:0]  # no metric: all quotas
    labels = rows["period"].dropna().unique()
    share = {label: _overlap(str(label), period, ctx) for label in labels}
    fraction = rows["period"].map(share).astype(float).fillna(0.0)
    rows = rows.assign(amount=rows["amount"] * fraction)
    return rows[(fraction > 0).to_numpy()]


def _overlap(label: str, period: Period, ctx: Context) -> float:
    covered = resolve_period(label, ctx.as_of, fiscal_start_month=ctx.fiscal_start_month)
    first: date = max(covered.start, period.start)
    last: date = min(covered.end, period.end)
    return max(0, (last - first).days + 1) / covered.days
