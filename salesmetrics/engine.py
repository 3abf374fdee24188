"""Computes KPIs for a period and breakdown: aggregation of KPI rows happens here, once."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

import pandas as pd

from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import Aggregation, Kpi, Unit
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.periods import Period
from salesmetrics.report import KpiValue, Report, Skipped

SMALL_SAMPLE = 20
SAMPLED = (Aggregation.RATIO, Aggregation.MEAN, Aggregation.MEDIAN)  # flagged below the threshold


def compute(
    frames: dict[str, pd.DataFrame],
    *,
    period: Period,
    as_of: date,
    group_by: Iterable[str] = (),
    kpis: Iterable[str] | None = None,
    small_sample: int = SMALL_SAMPLE,
) -> Report:
    """Every selected KPI, in total and per group of `group_by`, for `period`."""
    by = tuple(group_by)
    selected = [CATALOGUE[k] for k in kpis] if kpis is not None else list(CATALOGUE.values())
    values: list[KpiValue] = []
    skipped: list[Skipped] = []
    for kpi in selected:
        reason = _missing(kpi, frames)
        if reason:
            skipped.append(Skipped(kpi.id, reason))
            continue
        rows = kpi.rows(frames, period)
        if kpi.unit is Unit.CURRENCY:
            _single_currency(kpi, rows)
        absent = [d for d in by if d not in rows.columns]
        if absent:
            skipped.append(Skipped(kpi.id, f"cannot break down by {', '.join(absent)}"))
            continue
        values.append(_aggregate(kpi, rows, (), small_sample))
        if by:
            for key, group in rows.groupby(list(by), dropna=False, sort=True):
                labels = key if isinstance(key, tuple) else (key,)
                pairs = tuple((d, _label(v)) for d, v in zip(by, labels, strict=True))
                values.append(_aggregate(kpi, group, pairs, small_sample))
    return Report(period, as_of, by, tuple(values), tuple(skipped))


def _missing(kpi: Kpi, frames: dict[str, pd.DataFrame]) -> str | None:
    for need in kpi.needs:
        entity, field = need.split(".")
        frame = frames.get(entity)
        if frame is None:
            return f"needs {entity} (no {entity} input)"
        if field not in frame.columns or frame[field].isna().all():
            return f"needs {need}"
    return None


def _single_currency(kpi: Kpi, rows: pd.DataFrame) -> None:
    """Amounts in several currencies are never summed: rates are needed first."""
    if "currency" not in rows.columns:
        return
    counts = rows["currency"].value_counts()
    if len(counts) > 1:
        listed = ", ".join(f"{c} ({n:,} rows)" for c, n in counts.items())
        raise SalesmetricsError(
            f"{kpi.id}: amounts are in several currencies: {listed}; "
            "give a reporting currency and rates in the report config"
        )


def _label(value: object) -> str:
    """A group's label; blanks get a visible one (NaN and NaT are not equal to themselves)."""
    return "(blank)" if value is None or value is pd.NA or value != value else str(value)


def _number(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _aggregate(kpi: Kpi, rows: pd.DataFrame, group, small_sample: int) -> KpiValue:
    n = len(rows)
    numerator = denominator = value = None
    note = None
    if kpi.aggregation is Aggregation.COUNT:
        value = float(n)
    elif kpi.aggregation is Aggregation.SUM:
        value = float(rows["value"].sum()) if n else 0.0
    elif kpi.aggregation is Aggregation.RATIO:
        numerator = float(rows["numerator"].sum()) if n else 0.0
        denominator = float(rows["denominator"].sum()) if n else 0.0
        if denominator == 0:
            note = "no rows in the denominator"
        else:
            value = numerator / denominator
    else:
        present = rows["value"].dropna() if n else pd.Series(dtype=float)
        if len(present) == 0:
            note = "no rows with a value"
        else:
            value = _number(
                present.median() if kpi.aggregation is Aggregation.MEDIAN else present.mean()
            )
    sample = (denominator or 0) if kpi.aggregation is Aggregation.RATIO else n
    small = kpi.aggregation in SAMPLED and sample < small_sample
    return KpiValue(
        kpi.id,
        kpi.label,
        kpi.stage,
        str(kpi.unit),
        group,
        value,
        numerator,
        denominator,
        n,
        small,
        note,
    )
