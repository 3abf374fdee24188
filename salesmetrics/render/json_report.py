"""The report as one JSON document: a public contract, so keys and meanings never drift.

Ratios are fractions, money is in the reporting currency, durations in the unit named by
`unit`; numbers are not rounded; a missing value is null with a note saying why.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from salesmetrics import __version__
from salesmetrics.ingest.quality import InputQuality
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.periods import Period
from salesmetrics.report import DataWarning, KpiValue, Report
from salesmetrics.schema import HISTORY
from salesmetrics.summary import Summary, summarise

SCHEMA_VERSION = "1"
INPUT_KEYS = (
    "path",
    "entity",
    "mapping",
    "sha256",
    "rows_read",
    "rows_used",
    "rows_filtered",
    "rows_rejected",
    "duplicates_dropped",
)


def document(
    report: Report, inputs: Sequence[InputQuality], generated_at: datetime | None = None
) -> dict[str, Any]:
    stamp = generated_at or datetime.now(UTC)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "salesmetrics", "version": __version__},
        "generated_at": stamp.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "as_of": report.as_of.isoformat(),
        "period": period_dict(report.period),
        "comparison": period_dict(report.comparison) if report.comparison else None,
        "currency": report.currency,
        "group_by": list(report.group_by),
        "inputs": [input_dict(q) for q in inputs],
        "warnings": [warning_dict(w) for w in report.warnings],
        "groups_left_out": dict(report.groups_left_out),
        "kpis": [value_dict(v) for v in report.values],
        "skipped": [{"id": s.id, "reason": s.reason} for s in report.skipped],
        "summary": summary_dict(summarise(report)),
    }


def summary_dict(summary: Summary) -> dict[str, list[str]]:
    """The ids of the table view's summary panel and of its largest moves."""
    return {"kpis": summary.ids, "moves": [v.id for v in summary.moves]}


def input_dict(q: InputQuality) -> dict[str, Any]:
    """An input's row account; a stage history's also counts the rows joined to no deal."""
    whole = q.to_dict()
    keys = (*INPUT_KEYS, "rows_unmatched") if q.entity == HISTORY else INPUT_KEYS
    return {k: whole[k] for k in keys}


def warning_dict(warning: DataWarning) -> dict[str, str]:
    return {
        "code": warning.code,
        "entity": warning.entity,
        "first": warning.first.isoformat(),
        "last": warning.last.isoformat(),
        "message": warning.message,
    }


def period_dict(period: Period) -> dict[str, str]:
    return {"label": period.label, "start": period.start.isoformat(), "end": period.end.isoformat()}


def group_dict(value: KpiValue) -> dict[str, str]:
    """The group as dimension -> value; a category is one more dimension (`{"stage": "demo"}`)."""
    group = dict(value.group)
    if value.category is not None:
        kpi = CATALOGUE.get(value.id)
        group[kpi.category if kpi is not None and kpi.category else "category"] = value.category
        if value.subcategory is not None:
            name = kpi.subcategory if kpi is not None and kpi.subcategory else "subcategory"
            group[name] = value.subcategory
    return group


def value_dict(value: KpiValue) -> dict[str, Any]:
    return {
        "id": value.id,
        "variant": value.variant,
        "label": value.label,
        "stage": value.stage,
        "unit": value.unit,
        "group": group_dict(value),
        "value": value.value,
        "numerator": value.numerator,
        "denominator": value.denominator,
        "n": value.n,
        "previous": value.previous,
        "change": value.change,
        "change_pct": value.change_pct,
        "target": value.target,
        "status": value.status,
        "small_sample": value.small_sample,
        "maturing": value.maturing,
        "note": value.note,
        "trend": [{"period": p.period, "value": p.value} for p in value.trend] or None,
    }


def render(report: Report, inputs: Sequence[InputQuality], stream: TextIO) -> None:
    json.dump(document(report, inputs), stream, indent=2, ensure_ascii=False, allow_nan=False)
    stream.write("\n")
