"""Forecast roll-up: the period's bookings as a CRM's forecast shows them, closed so far and
what the open deals expected to close in it add, by forecast category.

The totals follow Salesforce's cumulative forecast roll-ups (its ForecastingItem categories
CommitForecast, BestCaseForecast and OpenPipeline), which HubSpot's forecast categories mirror:
- forecast_closed: won deals closed in the period (Closed);
- forecast_commit: Closed + open deals in Commit;
- forecast_best_case: Closed + Commit + open deals in Best Case (Salesforce's Most Likely too);
- forecast_pipeline: every open deal expected in the period that is not Omitted (Commit, Best
  Case and Pipeline), without Closed: what is still to win.
An open deal counts when its expected_close_at falls in the period, as the export has it now.

A period that is over (as_of after its last day) has nothing open left to close in it: each
value is what was closed (forecast_pipeline 0), so the comparison and trend periods read as
the bookings the forecast is held against. An open deal without a forecast category (the
column not exported, blank, or a value the mapping does not know) is placed by its
probability: its own, else the report config's stage_probabilities for its stage, else its
mapping's stage_probability; from COMMIT_FROM it is Commit, from BEST_CASE_FROM Best Case,
below (or with none) Pipeline; the value's note says how many were placed so. An open deal
marked Closed (HubSpot lets a rep set it) counts in Commit: it is not booked until won.
"""

from __future__ import annotations

from salesmetrics.kpis.base import (
    Aggregate,
    Aggregation,
    Context,
    Kpi,
    Rows,
    Unit,
)
from salesmetrics.periods import Period

STAGE = "close"
COMMIT_FROM = 0.9  # an uncategorised open deal with a probability of 90% or more: Commit
BEST_CASE_FROM = 0.5  # ... of 50% or more: Best Case


def _summary(tiers: tuple[str, ...]):
    """The amounts of the rows in `tiers`, the note saying how the open deals were placed (a
    period that is over: the declaration's edge says so).

    Custom, not a declared kind: a sum whose note counts rows of other tiers than it sums."""

    def summarise(m, threshold: int) -> Aggregate:
        notes = []
        if tiers != ("closed",):
            placed, unknown = int(m["placed"] or 0), int(m["unknown"] or 0)
            if placed:
                notes.append(f"{placed} deals without a forecast category: by probability")
            if unknown:
                notes.append(f"{unknown} deals with neither a category nor a probability: pipeline")
        return Aggregate(m["total"] or 0.0, note="; ".join(notes) or None)

    return summarise


NOTHING_OPEN = "the period is over: nothing open is left to close"
WHAT_CLOSED = "the period is over: what was closed"
OVER_SQL = "kpi_stop <= {as_of}"  # the period's last day is before as_of


def _over_edge(tiers: tuple[str, ...]):
    """The note on a period that is over (as_of after its last day): its value is what was
    closed, and forecast_pipeline has none."""

    def edge(ctx: Context, period: Period) -> tuple[str | None, bool]:
        if ctx.as_of <= period.end:
            return None, True
        return (WHAT_CLOSED, True) if "closed" in tiers else (NOTHING_OPEN, False)

    return edge


ODDS_SQL = (
    "coalesce(probability, (SELECT value FROM setting_stage_probabilities WHERE key = stage), "
    "stage_probability)"
)
TIER_SQL = (
    "CASE WHEN status = 'won' THEN 'closed' "
    "WHEN forecast_category = 'closed' THEN 'commit' "  # not booked until won
    "WHEN forecast_category IS NOT NULL THEN forecast_category "
    f"WHEN {ODDS_SQL} >= {COMMIT_FROM} THEN 'commit' "
    f"WHEN {ODDS_SQL} >= {BEST_CASE_FROM} THEN 'best_case' ELSE 'pipeline' END"
)


def _rows(tiers: tuple[str, ...]) -> Rows:
    """Won deals by closed_at and, in a period not over yet, deals open now by their
    expected_close_at, each in its tier; the measures `_summary` reads."""
    counted = ", ".join(f"'{t}'" for t in tiers)
    blank = "status = 'open' AND forecast_category IS NULL"
    return Rows(
        "deals",
        "CASE WHEN status = 'won' THEN closed_at ELSE expected_close_at END",
        (("status = 'won' OR status = 'open'", "lost"),),
        during=f"status = 'won' OR NOT ({OVER_SQL})",
        edge=_over_edge(tiers),
        measures=(
            ("total", f"fsum(amount) FILTER (WHERE ({TIER_SQL}) IN ({counted}))"),
            ("placed", f"count(*) FILTER (WHERE {blank} AND {ODDS_SQL} IS NOT NULL)"),
            ("unknown", f"count(*) FILTER (WHERE {blank} AND {ODDS_SQL} IS NULL)"),
        ),
    )


IDS = ("forecast_closed", "forecast_commit", "forecast_best_case", "forecast_pipeline")
PERIOD_DATE = (
    "closed_at (deals won); expected_close_at (deals open now), none once the period is over"
)
NEEDS = ("deals.status", "deals.closed_at", "deals.amount")
# a book of open deals with no deal won yet has a forecast: closed_at mapped, all blank
OPEN_NEEDS = ("deals.status", "deals.closed_at?", "deals.amount", "deals.expected_close_at")
OPEN = "open deals (status open now) with expected_close_at in the period"
PLACING = (
    "; an open deal without a forecast_category: commit from a probability of 90%, best_case "
    "from 50%, else pipeline; once the period is over, what was closed"
)
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "forecast_closed",
        "Forecast: closed",
        STAGE,
        Unit.CURRENCY,
        Aggregation.CUSTOM,
        NEEDS,
        PERIOD_DATE,
        "sum of amount over won deals closed in the period (forecast category Closed)",
        relation=_rows(("closed",)),
        summarise=_summary(("closed",)),
    ),
    Kpi(
        "forecast_commit",
        "Forecast: commit",
        STAGE,
        Unit.CURRENCY,
        Aggregation.CUSTOM,
        OPEN_NEEDS,
        PERIOD_DATE,
        f"forecast_closed + sum of amount over {OPEN} in forecast_category commit" + PLACING,
        relation=_rows(("closed", "commit")),
        summarise=_summary(("closed", "commit")),
    ),
    Kpi(
        "forecast_best_case",
        "Forecast: best case",
        STAGE,
        Unit.CURRENCY,
        Aggregation.CUSTOM,
        OPEN_NEEDS,
        PERIOD_DATE,
        f"forecast_closed + sum of amount over {OPEN} in forecast_category commit or best_case"
        + PLACING,
        relation=_rows(("closed", "commit", "best_case")),
        summarise=_summary(("closed", "commit", "best_case")),
    ),
    Kpi(
        "forecast_pipeline",
        "Forecast: pipeline",
        STAGE,
        Unit.CURRENCY,
        Aggregation.CUSTOM,
        OPEN_NEEDS,
        PERIOD_DATE,
        f"sum of amount over {OPEN} not in forecast_category omitted (commit, best_case and "
        "pipeline; closed deals not included)" + PLACING,
        relation=_rows(("commit", "best_case", "pipeline")),
        summarise=_summary(("commit", "best_case", "pipeline")),
    ),
)
