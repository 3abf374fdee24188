"""Quotas and forecasts from the targets entity, spread over the days of the report period.

A target row covers its own period (a month, quarter or year label; quarters and years follow
the fiscal year, unless the targets mapping declares `calendar: calendar`, for a file whose
labels are calendar quarters and years). The part of it that counts for a report period is
its amount times the share of its days that fall inside the report period: a quarterly quota
counts fully in its quarter, and about a third of it in each of its months.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from salesmetrics.kpis.base import Context
from salesmetrics.periods import Period, PeriodError, resolve_period


def allocated(ctx: Context, period: Period, metric: str = "quota") -> pd.DataFrame:
    """Target rows of `metric` overlapping `period`, with `amount` cut to the overlap."""
    targets = ctx.frame("targets")
    if "metric" in targets.columns:
        rows = targets[(targets["metric"].fillna("quota") == metric).astype(bool).to_numpy()]
    else:
        rows = targets if metric == "quota" else targets.iloc[0:0]  # no metric: all quotas
    keys = label_keys(rows)
    share = {
        key: _overlap(label_period(key, ctx.as_of, ctx.fiscal_start_month), period)
        for key in keys.dropna().unique()
    }
    fraction = keys.map(share).astype(float).fillna(0.0)
    rows = rows.assign(amount=rows["amount"] * fraction)
    return rows[(fraction > 0).to_numpy()]


def label_spans(ctx: Context) -> pd.DataFrame:
    """The days each target label covers, once per distinct label (`label_keys`), as a table
    the SQL of quotas and forecasts joins on `key`: from `starts` to the instant `stops` after
    the last day (a label that names no period has none)."""
    keys = list(label_keys(ctx.frame("targets")).dropna().unique()) if "targets" in ctx else []
    found: dict[str, Period] = {}
    for key in keys:
        try:
            found[key] = label_period(key, ctx.as_of, ctx.fiscal_start_month)
        except PeriodError:
            continue
    frame = pd.DataFrame(
        {
            "key": list(found),
            "starts": [pd.Timestamp(p.start) for p in found.values()],
            "stops": [pd.Timestamp(p.end_exclusive) for p in found.values()],
        }
    )
    types = {"key": "string[pyarrow]", "starts": "timestamp[us][pyarrow]"}
    return frame.astype({**types, "stops": "timestamp[us][pyarrow]"})


def label_keys(targets: pd.DataFrame) -> pd.Series:
    """Each target row's label and the calendar it is declared in ("2026-Q1|calendar"; blank
    calendar: the fiscal year), so the few distinct labels are resolved once each."""
    calendar = pd.Series("", index=targets.index, dtype="string")
    if "calendar" in targets.columns:
        calendar = targets["calendar"].astype("string").fillna("")
    return (targets["period"].astype("string") + "|" + calendar).astype(object)


def label_period(key: str, as_of: date, fiscal_start_month: int) -> Period:
    """The days a target label covers (a `label_keys` key): its quarters and years are fiscal
    ones unless declared calendar."""
    label, _, calendar = key.partition("|")
    start = 1 if calendar == "calendar" else fiscal_start_month
    return resolve_period(label, as_of, fiscal_start_month=start)


def undeclared_fiscal_labels(
    targets: pd.DataFrame, as_of: date, fiscal_start_month: int
) -> list[str]:
    """The labels read as fiscal quarters or years without the mapping saying so: a targets
    file written in calendar quarters would be silently misread by a fiscal-year report."""
    if fiscal_start_month == 1 or "period" not in targets.columns:
        return []
    found = []
    for key in label_keys(targets).dropna().unique():
        label, _, calendar = str(key).partition("|")
        if calendar:
            continue
        try:
            fiscal = label_period(key, as_of, fiscal_start_month)
        except PeriodError:
            continue
        if fiscal != label_period(f"{label}|calendar", as_of, fiscal_start_month):
            found.append(label)
    return sorted(found)


def _overlap(covered: Period, period: Period) -> float:
    first: date = max(covered.start, period.start)
    last: date = min(covered.end, period.end)
    return max(0, (last - first).days + 1) / covered.days
