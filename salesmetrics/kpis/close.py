"""Close-stage KPIs: what was won and lost, for how much, and how fast."""

from __future__ import annotations

import pandas as pd

from salesmetrics.kpis.base import Aggregation, Context, Kpi, Unit, in_period
from salesmetrics.periods import Period

STAGE = "close"


def closed_deals(data: Context, period: Period) -> pd.DataFrame:
    """Deals won or lost with closed_at in the period; open deals never count."""
    deals = data["deals"]
    closed = deals["status"].isin(["won", "lost"]).fillna(False).astype(bool)
    return deals[closed & in_period(deals["closed_at"], period)]


def won_deals(data: Context, period: Period) -> pd.DataFrame:
    deals = closed_deals(data, period)
    return deals[(deals["status"] == "won").astype(bool)]


def _win_rate(data, period):
    deals = closed_deals(data, period)
    won = (deals["status"] == "won").astype(float)
    return deals.assign(numerator=won, denominator=1.0)


def _revenue(data, period):
    deals = won_deals(data, period)
    return deals.assign(value=deals["amount"])


def _avg_deal_size(data, period):
    deals = won_deals(data, period)
    return deals.assign(numerator=deals["amount"], denominator=deals["amount"].notna() * 1.0)


def _cycle_days(data, period):
    deals = won_deals(data, period)
    days = (deals["closed_at"] - deals["created_at"]).dt.total_seconds() / 86400
    return deals.assign(value=days)


def _lost(data, period):
    deals = closed_deals(data, period)
    return deals[(deals["status"] == "lost").astype(bool)]


CLOSED = "closed_at"
KPIS = (
    Kpi(
        "deals_won",
        "Deals won",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        ("deals.status", "deals.closed_at"),
        CLOSED,
        "count of deals with status won and closed_at in the period",
        won_deals,
    ),
    Kpi(
        "deals_lost",
        "Deals lost",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        ("deals.status", "deals.closed_at"),
        CLOSED,
        "count of deals with status lost and closed_at in the period",
        _lost,
        higher_is_better=False,
    ),
    Kpi(
        "revenue_won",
        "Revenue won",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        ("deals.status", "deals.closed_at", "deals.amount"),
        CLOSED,
        "sum of amount over won deals closed in the period",
        _revenue,
    ),
    Kpi(
        "win_rate",
        "Win rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        ("deals.status", "deals.closed_at"),
        CLOSED,
        "won / (won + lost) over deals closed in the period; open deals excluded",
        _win_rate,
        benchmark="around 30% (opportunity win rate)",
    ),
    Kpi(
        "avg_deal_size",
        "Average deal size",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        ("deals.status", "deals.closed_at", "deals.amount"),
        CLOSED,
        "sum of amount / count of won deals closed in the period that have an amount",
        _avg_deal_size,
    ),
    Kpi(
        "sales_cycle_days",
        "Sales cycle (median days)",
        STAGE,
        Unit.DAYS,
        Aggregation.MEDIAN,
        ("deals.status", "deals.closed_at", "deals.created_at"),
        CLOSED,
        "median of closed_at − created_at in days over won deals closed in the period",
        _cycle_days,
        higher_is_better=False,
    ),
)
