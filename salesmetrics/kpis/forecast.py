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

import numpy as np
import pandas as pd

from salesmetrics.kpis.base import (
    Aggregate,
    Aggregation,
    Context,
    Kpi,
    Rows,
    Unit,
    carrying,
    fact,
    in_period,
    with_facts,
)
from salesmetrics.kpis.close import won_deals
from salesmetrics.periods import Period

STAGE = "close"
CATEGORY = "forecast_category"
TIER = "tier"  # each row's forecast category for the roll-up (closed for won deals)
PLACED = "placed"  # an open deal with no forecast category of its own, placed by probability
UNKNOWN = "unknown"  # ... with no probability either: counted in pipeline
COMMIT_FROM = 0.9  # an uncategorised open deal with a probability of 90% or more: Commit
BEST_CASE_FROM = 0.5  # ... of 50% or more: Best Case
OVER = "forecast_over"  # fact: the period is over, its values are what was closed


def _book(ctx: Context, period: Period) -> pd.DataFrame:
    """The period's rows, built once for the four KPIs (`_built`)."""
    return ctx.for_period(period, "forecast.book", lambda: _built(ctx, period))


def _built(ctx: Context, period: Period) -> pd.DataFrame:
    """Won deals closed in the period (tier closed) and, unless the period is over, deals open
    now with expected_close_at in it, each with its tier, `value` (its amount) and whether its
    tier came from its probability (PLACED) or from nothing (UNKNOWN)."""
    won = won_deals(ctx, period)
    none = np.zeros(len(won), dtype=bool)
    closed = carrying(ctx, won, "amount", "currency").assign(
        **{TIER: np.full(len(won), "closed", dtype=object), PLACED: none, UNKNOWN: none}
    )
    over = ctx.as_of > period.end
    parts = [closed]
    if not over and "expected_close_at" in ctx["deals"].columns:  # forecast_closed needs none
        parts.append(_open(ctx, period))
    rows = pd.concat(parts) if len(parts) > 1 else closed
    rows = rows.assign(value=rows["amount"].to_numpy(dtype=float, na_value=np.nan))
    return with_facts(rows, **{OVER: over})


def _open(ctx: Context, period: Period) -> pd.DataFrame:
    deals = ctx["deals"]
    still_open = (deals["status"] == "open").fillna(False).to_numpy(dtype=bool)
    due = in_period(deals["expected_close_at"], period).to_numpy() & still_open
    deals = deals[due]
    given = (
        deals[CATEGORY].astype(object).where(deals[CATEGORY].notna(), None)
        if CATEGORY in deals.columns
        else pd.Series(None, index=deals.index, dtype=object)
    )
    given = given.replace("closed", "commit")  # not booked until won
    odds = _odds(ctx, deals)
    by_odds = np.select(
        [odds >= COMMIT_FROM, odds >= BEST_CASE_FROM], ["commit", "best_case"], "pipeline"
    )
    blank = given.isna().to_numpy(dtype=bool)
    tier = np.where(blank, by_odds, given.to_numpy(dtype=object))
    unknown = blank & np.isnan(odds)
    return carrying(ctx, deals, "amount", "currency").assign(
        **{TIER: tier, PLACED: blank & ~unknown, UNKNOWN: unknown}
    )


def _odds(ctx: Context, deals: pd.DataFrame) -> np.ndarray:
    """Each deal's probability: its own, else stage_probabilities of its stage, else its
    stage_probability; NaN when none is known."""

    def column(name: str) -> pd.Series:
        if name not in deals.columns:
            return pd.Series(np.nan, index=deals.index)
        return pd.Series(deals[name].to_numpy(dtype=float, na_value=np.nan), index=deals.index)

    chances = pd.Series(dict(ctx.settings.stage_probabilities), dtype=float)
    stage = (
        deals["stage"].astype(object).map(chances).astype(float)
        if "stage" in deals.columns
        else pd.Series(np.nan, index=deals.index)
    )
    odds = column("probability").fillna(stage).fillna(column("stage_probability"))
    return odds.to_numpy(dtype=float)


def _roll_up(tiers: tuple[str, ...]):
    """A combine of the pandas rows' measures by `_summary` (as the SQL declaration's)."""

    def combine(rows: pd.DataFrame) -> Aggregate:
        tier = rows[TIER].to_numpy(dtype=object)
        values = rows["value"].to_numpy(dtype=float, na_value=np.nan)[np.isin(tier, tiers)]
        measures = {
            "total": float(np.nansum(values)),
            "placed": float(rows[PLACED].to_numpy(dtype=bool).sum()),
            "unknown": float(rows[UNKNOWN].to_numpy(dtype=bool).sum()),
        }
        return _summary(tiers, bool(fact(rows, OVER, False)))(measures, 0)

    return combine


def _summary(tiers: tuple[str, ...], over: bool | None = None):
    """The amounts of the rows in `tiers`, the note saying how the open deals were placed
    (`over` given: whether the period is over, for the pandas rows; else the SQL's edge says).

    Custom, not a declared kind: a sum whose note counts rows of other tiers than it sums."""

    def summarise(m, threshold: int) -> Aggregate:
        if over and "closed" not in tiers:
            return Aggregate(None, note=NOTHING_OPEN)
        notes = [WHAT_CLOSED if over else None]
        if tiers != ("closed",):
            placed, unknown = int(m["placed"] or 0), int(m["unknown"] or 0)
            if placed:
                notes.append(f"{placed} deals without a forecast category: by probability")
            if unknown:
                notes.append(f"{unknown} deals with neither a category nor a probability: pipeline")
        return Aggregate(m["total"] or 0.0, note="; ".join(filter(None, notes)) or None)

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
        _book,
        combine=_roll_up(("closed",)),
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
        _book,
        combine=_roll_up(("closed", "commit")),
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
        _book,
        combine=_roll_up(("closed", "commit", "best_case")),
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
        _book,
        combine=_roll_up(("commit", "best_case", "pipeline")),
        relation=_rows(("commit", "best_case", "pipeline")),
        summarise=_summary(("commit", "best_case", "pipeline")),
    ),
)
