"""The executive summary: the few numbers a VP of Sales opens the report for, picked from what
the report holds, then the largest moves against the comparison.

The panel, in order, each where the inputs allow it: bookings (revenue won) against quota with
the pace (where the period should be by `as_of`), quota attainment, win rate, the pipeline and
its coverage of the next period's quota, the forecast roll-up, the sales cycle, and for
subscriptions MRR, net new MRR and NRR. The moves are the three totals with the largest
change (relative, or in points for a ratio) that are not maturing, not small samples and not
already in the panel. This module only chooses; the renderers format.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from salesmetrics.report import KpiValue, Report

PANEL = (
    "revenue_won",
    "quota_attainment",
    "win_rate",
    "pipeline_value",
    "pipeline_coverage",
    "sales_cycle_days",
    "mrr",
    "net_new_mrr",
    "nrr",
)
FORECAST = ("forecast_closed", "forecast_commit", "forecast_best_case", "forecast_pipeline")
MOVES = 3
SAME_VALUE = {"expansion_revenue": "mrr_expansion", "forecast_closed": "revenue_won"}
"""KPIs whose value is another's by definition (the same formula under two ids, one per stage
that reads it): shown once, under the first, with both ids."""


class View(StrEnum):
    """How much of the report the table and Markdown views show."""

    summary = "summary"  # the panel only
    default = "default"  # the panel, then the stages whose KPIs have data
    all = "all"  # the panel, then every stage and every skipped KPI


@dataclass(frozen=True)
class Pace:
    """Bookings against the quota and where they should be by `as_of`: the quota times the
    share of the period's days elapsed (1 once the period is over)."""

    bookings: float
    quota: float
    elapsed: float  # 0..1
    expected: float  # quota × elapsed


@dataclass(frozen=True)
class Forecast:
    """The forecast roll-up's totals present in the report, by category, and the quota: the
    forecast's own target where it has one (the quota of the period it forecasts), else the
    report period's (revenue won's)."""

    closed: KpiValue | None
    commit: KpiValue | None
    best_case: KpiValue | None
    pipeline: KpiValue | None
    quota: float | None


@dataclass(frozen=True)
class Summary:
    panel: tuple[KpiValue, ...]  # totals, in PANEL order
    pace: Pace | None
    forecast: Forecast | None
    moves: tuple[KpiValue, ...]  # largest moves first

    @property
    def ids(self) -> list[str]:
        """The panel's KPI ids, the forecast's among them (JSON `summary.kpis`)."""
        found = [v.id for v in self.panel]
        if self.forecast is not None:
            found += [
                v.id
                for v in (
                    self.forecast.closed,
                    self.forecast.commit,
                    self.forecast.best_case,
                    self.forecast.pipeline,
                )
                if v is not None
            ]
        return found


def totals(report: Report) -> dict[str, KpiValue]:
    """Each KPI's total: no group, no category; of a KPI shown with its other variants
    (`--variants`), the chosen one's, which comes first."""
    found: dict[str, KpiValue] = {}
    for v in report.values:
        if not v.group and v.category is None:
            found.setdefault(v.id, v)
    return found


def summarise(report: Report) -> Summary:
    """The panel and the moves for `report`; empty where the report has none of them."""
    found = totals(report)
    panel = tuple(found[k] for k in PANEL if k in found)
    # once the period is over its forecast is what was closed: the bookings, already shown
    forecast = _forecast(found) if elapsed(report) < 1 else None
    chosen = {v.id for v in panel} | set(FORECAST)
    return Summary(panel, _pace(report, found), forecast, _moves(found, chosen))


def elapsed(report: Report) -> float:
    """The share of the period's days over by `as_of`, its day included: 0 before the period,
    1 after it."""
    period = report.period
    days = (period.end - period.start).days + 1
    over = (report.as_of - period.start).days + 1
    return min(1.0, max(0.0, over / days))


def _pace(report: Report, found: dict[str, KpiValue]) -> Pace | None:
    won = found.get("revenue_won")
    if won is None or won.value is None or won.target is None:
        return None
    share = elapsed(report)
    return Pace(won.value, won.target, share, won.target * share)


def _forecast(found: dict[str, KpiValue]) -> Forecast | None:
    parts = [found.get(k) for k in FORECAST]
    if not any(parts):
        return None
    won = found.get("revenue_won")
    targets = [v.target for v in parts if v is not None and v.target is not None]
    quota = targets[0] if targets else (won.target if won else None)
    closed, commit, best_case, pipeline = parts
    return Forecast(closed, commit, best_case, pipeline, quota)


def _moves(found: dict[str, KpiValue], chosen: set[str]) -> tuple[KpiValue, ...]:
    """The largest relative changes against the comparison, of values that can be read as
    moves: not maturing (a cohort still converting), not small samples, both values known, a
    change that does not round to nothing, and not shown in the panel already."""
    candidates = [
        v
        for v in found.values()
        if v.id not in chosen
        and v.id not in SAME_VALUE
        and not v.maturing
        and not v.small_sample
        and v.value is not None
        and v.previous is not None
        and v.change is not None
        and (v.change_pct is not None or v.unit == "ratio")
        and _size(v) >= 0.0005
    ]
    candidates.sort(key=lambda v: -_size(v))
    return tuple(candidates[:MOVES])


def _size(v: KpiValue) -> float:
    """How large a move is: its relative change, or for a ratio its change in points (a rate
    from 0.2% to -0.1% is a move of 0.3 points, not of 150%)."""
    if v.unit == "ratio":
        return abs(v.change or 0.0)
    return abs(v.change_pct or 0.0)


def same_value(report: Report) -> dict[str, str]:
    """id → the id shown in its place, for the pairs of SAME_VALUE both in `report` with the
    same value and previous value (a pair that differs is shown apart, as it is)."""
    found = totals(report)
    pairs: dict[str, str] = {}
    for copy, kept in SAME_VALUE.items():
        a, b = found.get(copy), found.get(kept)
        if a is not None and b is not None and (a.value, a.previous) == (b.value, b.previous):
            pairs[copy] = kept
    return pairs


def has_data(report: Report, stage: str) -> bool:
    """Whether a stage has any value measured on rows (the default view shows it)."""
    return any(v.stage == stage and v.value is not None and v.n > 0 for v in report.values)
