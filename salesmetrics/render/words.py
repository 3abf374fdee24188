"""Sentences the terminal and Markdown views share: the summary's pace, coverage and forecast,
a KPI shown once for two ids, and the skipped KPIs in one line."""

from __future__ import annotations

from collections.abc import Sequence

from salesmetrics.ingest.quality import InputQuality
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.render import format as fmt
from salesmetrics.report import KpiValue, Report
from salesmetrics.summary import Summary

STAGE_TITLES = {"mrr": "MRR"}
PANEL_LABELS = {
    "revenue_won": "Bookings (revenue won)",
    "pipeline_value": "Pipeline (open deals)",
    "pipeline_coverage": "Coverage, next period",
}


def stage_title(stage: str) -> str:
    """A stage's section title: `MRR`, `Close`."""
    return STAGE_TITLES.get(stage, stage.capitalize())


def summary_lines(summary: Summary, currency: str | None, *, ascii: bool = False) -> list[str]:
    """The pace, the coverage of the next period and the forecast, one sentence each."""

    def money(number: float | None) -> str:
        return fmt.value("currency", number, currency, ascii=ascii)

    lines = []
    pace = summary.pace
    if pace is not None:
        line = f"Bookings {money(pace.bookings)} of a {money(pace.quota)} quota"
        if pace.quota:
            line += f" ({pace.bookings / pace.quota:.1%})"
        if pace.elapsed >= 1:
            line += "."
        else:
            gap = pace.bookings - pace.expected
            where = f"ahead by {money(gap)}" if gap >= 0 else f"behind by {money(-gap)}"
            line += (
                f"; {money(pace.expected)} by today at an even pace ({pace.elapsed:.0%} of the "
                f"period gone): {where}."
            )
        lines.append(line)
    coverage = next((v for v in summary.panel if v.id == "pipeline_coverage"), None)
    if coverage is not None and coverage.numerator is not None and coverage.denominator:
        due = coverage.variant in (None, CATALOGUE["pipeline_coverage"].variant)  # not all_open
        lines.append(
            f"Coverage: {money(coverage.numerator)} of open deals expected to close in the next "
            f"period, against its quota of {money(coverage.denominator)}."
            if due
            else f"Coverage: {money(coverage.numerator)} of open deals, against the period's "
            f"quota of {money(coverage.denominator)}."
        )
    forecast = summary.forecast
    if forecast is not None:  # commit and best case include what is closed (Salesforce's way)
        parts = []
        if forecast.closed is not None:
            parts.append(f"closed {money(forecast.closed.value)} so far")
        cumulative = [
            f"{name} {money(v.value)}"
            for name, v in (("commit", forecast.commit), ("best case", forecast.best_case))
            if v is not None
        ]
        if cumulative:
            parts.append(", ".join(cumulative) + " (closed included)")
        if forecast.pipeline is not None:
            parts.append(f"pipeline {money(forecast.pipeline.value)} open")
        if forecast.quota is not None:
            parts.append(f"quota {money(forecast.quota)}")
        lines.append("Forecast: " + "; ".join(parts) + ".")
    return lines


def groups_left_out(report: Report, stage: str) -> str | None:
    """The line under a stage's breakdown that says how many groups it leaves out."""
    count = report.left_out(stage)
    if not count:
        return None
    what = " or ".join(d for d in report.group_by if d not in ("month", "week", "quarter"))
    what = what or "group"
    compared = f" or in {report.comparison.label}" if report.comparison else ""
    return (
        f"{count:,} {what}{'s' if count > 1 else ''} with no rows in {report.period.label}"
        f"{compared} left out; --all-groups keeps them."
    )


def same_line(kept: str, copy: str) -> str:
    """What a KPI shown once for two ids says under its table."""
    return (
        f"{kpi_name(kept)} ({kept}) is also {kpi_name(copy)} ({copy}) in "
        f"{stage_title(CATALOGUE[copy].stage)}: the same amount, shown once."
    )


def panel_label(v: KpiValue) -> str:
    """A summary panel row's label: the panel's short one, unless the report shows another
    named variant of the KPI than the one the short label is for (its own label then)."""
    kpi = CATALOGUE.get(v.id)
    default = kpi is None or v.variant in (None, kpi.variant)
    return PANEL_LABELS.get(v.id, v.label) if default else v.label


def kpi_name(kpi_id: str) -> str:
    """A KPI's label, or its id when the catalogue does not know it."""
    return CATALOGUE[kpi_id].label if kpi_id in CATALOGUE else kpi_id


def skipped_line(report: Report, inputs: Sequence[InputQuality]) -> str:
    """The skipped KPIs in one sentence: how many need an input that was not given (named),
    how many something else (a column, a setting), and how to list them."""
    given = {q.entity for q in inputs}
    entities: dict[str, None] = {}
    lacking = 0
    whole = [s for s in report.skipped if s.variant is None]  # not a variant `--variants` adds
    for s in whole:
        kpi = CATALOGUE.get(s.id)
        absent = [
            entity
            for need in (kpi.needs if kpi else ())
            if not (options := {o.split(".")[0] for o in need.split("|")}) & given
            for entity in sorted(options)
        ]
        if absent and inputs:
            lacking += 1
            entities.update(dict.fromkeys(absent))
    parts = []
    if lacking:
        parts.append(f"{_need(lacking)} inputs you did not give: " + ", ".join(entities))
    rest = len(whole) - lacking
    if rest and inputs:
        parts.append(f"{_need(rest)} columns or settings the inputs lack")
    elif rest:
        parts.append(f"{rest} KPI{'s' if rest != 1 else ''} cannot be computed")
    variants = len(report.skipped) - len(whole)
    some = f"{variants} named variant{'s' if variants != 1 else ''} cannot be computed"
    if not parts:  # only variants `--variants` adds
        return f"{some} from these inputs (--show-skipped: here)"
    return (
        "; ".join(parts)
        + "; `salesmetrics kpis --missing` with the same inputs lists them"
        + (f"; {some}" if variants else "")
        + " (--show-skipped: here)"
    )


def _need(count: int) -> str:
    return f"{count} KPI needs" if count == 1 else f"{count} KPIs need"
