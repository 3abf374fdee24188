"""Close-stage KPIs: what was won and lost, for how much and how fast, and the open pipeline.

Pipeline KPIs are snapshots at the end of the period: a deal is in the pipeline then when it
was created before the period's end and not closed by then (status open, or closed after the
period's end), so a past period can be computed from today's export. The amounts, probabilities
and expected close dates are those of the export, not as they stood back then.

A deal reached a funnel stage when it has the stage's entered_<stage> date, or reached a later
one (CRMs do not stamp the stages a deal skipped), or its current stage is at or after it; a
won deal reached every stage, and every deal reached prospecting, the funnel's entry.

A deal at a stage value the mapping does not place (`unplaced`: a stage_raw, no stage) is open
unless its status says otherwise, and may be anywhere in the funnel: a KPI that asks whether
it reached a stage leaves it out where nothing else says so, and its note says how many.

Rows that mix two kinds of record (deals and target rows) keep only the dimensions both have,
owner and team, so a breakdown by another dimension is refused rather than showing every
target under "(blank)".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from salesmetrics.kpis.base import (
    Aggregate,
    Aggregation,
    Context,
    Kpi,
    Maturing,
    Rows,
    Unit,
    datetimes,
)
from salesmetrics.kpis.edges import covered, joined
from salesmetrics.kpis.views import UNPLACED as UNPLACED_SQL
from salesmetrics.kpis.views import reached as reached_sql
from salesmetrics.kpis.views import reached_on as reached_on_sql
from salesmetrics.kpis.views import stage_at_end, stage_probability
from salesmetrics.periods import Period, step
from salesmetrics.schema import DEAL_STAGES, STAGE_DATE_PREFIX

STAGE = "close"
FUNNEL = DEAL_STAGES[: DEAL_STAGES.index("won") + 1]  # prospecting .. negotiation, won
OPEN_STAGES = FUNNEL[:-1]  # prospecting .. negotiation
STAGE_COLUMN = "stage"  # stage_conversion's category column
REACHED_AT = "reached_at"  # stage_conversion: when the deal reached the stage, and the next
NEXT_AT = "next_at"
REASON_COLUMN = "lost_reason"  # lost_reasons' category column
SNAPSHOT = Maturing(0)  # deals open at the period's end: maturing while the period is not over
UNPLACED_NOTE = (
    "{n} deals at a stage the mapping does not place left out: how far they got is unknown"
)
IMPOSSIBLE_CYCLE_NOTE = (
    "{n} deals with impossible dates left out (closed before they were created, or a date "
    "outside the plausible range: see salesmetrics validate)"
)


def _naive(values: pd.Series) -> np.ndarray:
    return datetimes(values).to_numpy()


# deals_won, deals_lost, revenue_won, win_rate, avg_deal_size, sales_cycle_days


def one_date(data: Context) -> str | None:
    """Why a cycle cannot be measured when every closed deal (two or more) was created at the
    very instant it closed: the export has no creation date, and created_at was mapped from
    the close (Olist's deals, whose won_date is both); their cycles would all read 0 days."""

    def build() -> str | None:
        deals = data.frame("deals")
        both = deals["created_at"].notna() & deals["closed_at"].notna()
        dated = both.fillna(False).to_numpy(dtype=bool)
        if dated.sum() < 2:
            return None
        same = _naive(deals["created_at"])[dated] == _naive(deals["closed_at"])[dated]
        if not same.all():
            return None
        return (
            f"every one of the {int(dated.sum())} closed deals was created at the instant it "
            "closed: the export has no creation date to measure a cycle from"
        )

    found: str | None = data.memo("close.one_date", build)
    return found


# pipeline_value, weighted_pipeline, overdue_deals, overdue_deals_value


WEIGHT_SQL = (
    "coalesce(CASE WHEN status = 'open' THEN probability END, "
    f"{stage_probability(stage_at_end())}, "
    "CASE WHEN status = 'open' THEN stage_probability END)"
)


# pipeline_coverage


def _next(period: Period) -> Period:
    """The period after: the next month, quarter, year or week, else the same number of days."""
    return step(period, 1)


def _next_period(ctx: Context, period: Period) -> tuple[Period | None, str | None]:
    """pipeline_coverage is counted over the next period: its quota, and the deals due in it
    that are open at its start (the end of the period)."""
    return _next(period), None


QUOTA_SHARE_SQL = (
    "(epoch_us(least(ends_at, kpi_stop)) - epoch_us(greatest(happened_at, kpi_start)))::DOUBLE "
    "/ (epoch_us(ends_at) - epoch_us(happened_at))::DOUBLE"
)
"""The share of a quota row's label days inside the period (`quotas.allocated`)."""
QUOTA_IN_SQL = "ends_at > kpi_start AND happened_at < kpi_stop"  # a quota with days in it
OPEN_AT_START_SQL = "happened_at < kpi_start AND (ends_at IS NULL OR ends_at >= kpi_start)"
COVERAGE_ROWS = Rows(
    "pipeline_and_quotas",
    "happened_at",
    spans="ends_at",
    whole=True,
    during=f"CASE WHEN part = 'deal' THEN {OPEN_AT_START_SQL} AND expected_close_at >= kpi_start "
    f"AND expected_close_at < kpi_stop ELSE {QUOTA_IN_SQL} END",
    numerator="CASE WHEN part = 'deal' THEN coalesce(amount, 0.0) ELSE 0.0 END",
    denominator=f"CASE WHEN part = 'quota' THEN amount * {QUOTA_SHARE_SQL} ELSE 0.0 END",
    within=_next_period,
    inputs=("deals", "targets"),
)
"""`_coverage`'s rows, counted over the next period (`within`): deals open at its start (the
period's end) and due in it, and its quota by the share of each label's days inside it."""


# sales_velocity


def _velocity_summary(m: Mapping[str, float | None], threshold: int) -> Aggregate:
    """Open deals × win rate × average deal size / mean sales cycle days; null when fewer won
    deals than the small-sample threshold stand behind the cycle and the size (a mean of a
    few cycles, some of 0 days, can make a velocity of anything).

    Custom, not a declared kind: it multiplies four aggregates of two sets of rows (the deals
    open at the period's end, the deals closed in it), which no single sum, ratio or mean is."""
    n = {name: value or 0.0 for name, value in m.items()}  # blank: a group with no rows
    if not n["closed"]:
        return Aggregate(None, note="no deals closed in the period")
    if not n["won"] or not n["sized"]:
        return Aggregate(None, note="no won deal with an amount in the period")
    impossible = int(n["impossible"])
    left = f"; {IMPOSSIBLE_CYCLE_NOTE.format(n=impossible)}" if impossible else ""
    if n["cycles"] < threshold:
        why = (
            f"{int(n['cycles'])} won deals behind the cycle and deal size, fewer than the "
            f"small-sample threshold ({threshold}): too few for a velocity"
        )
        return Aggregate(None, note=why + left)
    expected = n["open"] * (n["won"] / n["closed"]) * (n["size"] / n["sized"])
    cycle = n["cycle"] / n["cycles"]
    if cycle <= 0:
        return Aggregate(None, expected, cycle, "the mean sales cycle is 0 days" + left)
    return Aggregate(expected / cycle, expected, cycle, left[2:] or None)


# forecast_accuracy


def _accuracy_of(m: Mapping[str, float | None], threshold: int) -> Aggregate:
    """1 − |forecast − actual| / actual.

    Custom, not a declared kind: an absolute difference of two sums is not a sum over a sum."""
    if not m["forecasts"]:
        return Aggregate(None, note="no forecast for the period")
    forecast, actual = m["forecast"] or 0.0, m["actual"] or 0.0
    if actual == 0:
        return Aggregate(None, forecast, actual, "no revenue won in the period")
    return Aggregate(1 - abs(forecast - actual) / actual, forecast, actual)


def deals_covered(ctx: Context, period: Period) -> tuple[Period | None, str | None]:
    """The days of the period the deals cover, and the note when not all of it."""
    return covered(ctx, period, "deals")


FORECAST_ROWS = Rows(
    "won_and_targets",
    "happened_at",
    (("part IN ('won', 'forecast')", "a target of another metric"),),
    spans="ends_at",
    within=deals_covered,
    inputs=("deals", "targets"),
    measures=(
        ("forecasts", "count(*) FILTER (WHERE part = 'forecast')"),
        ("forecast", "fsum(amount * kpi_share) FILTER (WHERE part = 'forecast')"),
        ("actual", "fsum(amount) FILTER (WHERE part = 'won')"),
    ),
)
"""Won deals and forecasts by the share of their days inside the period, over the days the
deals cover (`_forecast`)."""


def _one_date_edge(data: Context, period: Period) -> tuple[str | None, bool]:
    """A cycle's values are unknown when the export has no creation date (`one_date`)."""
    same = one_date(data)
    return (same, False) if same else (None, True)


IS_WON = ("status = 'won'", "not won")
IS_LOST = ("status = 'lost'", "not lost")
IS_CLOSED = ("status IN ('won', 'lost')", "open: neither won nor lost")
WON_SQL = "CASE WHEN status = 'won' THEN 1.0 ELSE 0.0 END"
CYCLE_SQL = (
    "CASE WHEN CAST(closed_at AS DATE) = CAST(created_at AS DATE) AND closed_at < created_at "
    "THEN 0.0 ELSE (epoch_us(closed_at) - epoch_us(created_at)) / 1000000.0 / 86400.0 END"
)
IMPOSSIBLE_SQL = (
    "CAST(closed_at AS DATE) < CAST(created_at AS DATE) "
    "OR _implausible_created_at OR _implausible_closed_at"
)
OPEN_SQL = (
    "status = 'open' OR (status IN ('won', 'lost') AND closed_at IS NOT NULL)",
    "closed without a closing date",
)
UNTIL_SQL = "CASE WHEN status = 'open' THEN NULL ELSE closed_at END"
PRICED_SQL = "coalesce(amount, 0.0) <> 0.0"
QUOTED_SQL = reached_sql("proposal")
CYCLE_BENCHMARK = (
    "days for quick-turnaround consumer goods, a few weeks for simple products, 6-12 months "
    "or more for enterprise software and complex solutions"
)
CYCLE_ROWS = Rows(
    "deals", "closed_at", (IS_WON,), value=CYCLE_SQL, left_out=IMPOSSIBLE_SQL, edge=_one_date_edge
)
NO_AMOUNT = "none of the {n} open deals has an amount"
OPEN_AT_END_ROWS = Rows("deals", "created_at", (OPEN_SQL,), until=UNTIL_SQL)
"""Deals open at the end of each period (`open_deals`): created before its end, not closed by
then."""
OPEN_AMOUNTS = replace(
    OPEN_AT_END_ROWS, value="amount", left_out="amount IS NULL", none_kept=NO_AMOUNT
)
OVERDUE_SQL = "expected_close_at < kpi_stop"  # expected to close before the period's end
WON_CLOSED = "part = 'closed' AND status = 'won'"
POSSIBLE = f"NOT coalesce({IMPOSSIBLE_SQL}, FALSE)"
VELOCITY_ROWS = Rows(
    "open_and_closed_deals",
    "CASE WHEN part = 'open' THEN created_at ELSE closed_at END",
    until="CASE WHEN part = 'open' THEN (CASE WHEN status = 'open' THEN NULL "
    "ELSE closed_at END) END",
    during="part = 'open' OR closed_at >= kpi_start",  # a closed deal: closed in the period
    edge=_one_date_edge,
    measures=(
        ("open", "count(*) FILTER (WHERE part = 'open')"),
        ("closed", "count(*) FILTER (WHERE part = 'closed')"),
        ("won", f"count(*) FILTER (WHERE {WON_CLOSED})"),
        ("sized", f"count(amount) FILTER (WHERE {WON_CLOSED})"),
        ("size", f"fsum(amount) FILTER (WHERE {WON_CLOSED})"),
        (
            "impossible",
            f"count(*) FILTER (WHERE {WON_CLOSED} AND coalesce({IMPOSSIBLE_SQL}, FALSE))",
        ),
        ("cycles", f"count({CYCLE_SQL}) FILTER (WHERE {WON_CLOSED} AND {POSSIBLE})"),
        ("cycle", f"fsum({CYCLE_SQL}) FILTER (WHERE {WON_CLOSED} AND {POSSIBLE})"),
    ),
)
"""sales_velocity's rows: the deals open at each period's end and those closed in it, and the
aggregates `_velocity_summary` makes the velocity of."""

CLOSED = "closed_at"
CLOSED_WON_LOST = "closed_at (deals won or lost)"
OPEN_AT_END = (
    "open at the end of the period (created_at before its end, and status open or closed_at "
    "after its end)"
)
WON = ("deals.status", "deals.closed_at")
PIPELINE = ("deals.status", "deals.created_at")
STAGE_HISTORY = "|".join(f"deals.{STAGE_DATE_PREFIX}{s}" for s in OPEN_STAGES[1:])
QUOTED = f"deals.{STAGE_DATE_PREFIX}proposal|deals.{STAGE_DATE_PREFIX}negotiation"
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "deals_won",
        "Deals won",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        WON,
        CLOSED,
        "count of deals with status won and closed_at in the period",
        relation=Rows("deals", "closed_at", (IS_WON,)),
    ),
    Kpi(
        "deals_lost",
        "Deals lost",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        WON,
        CLOSED,
        "count of deals with status lost and closed_at in the period",
        higher_is_better=False,
        relation=Rows("deals", "closed_at", (IS_LOST,)),
    ),
    Kpi(
        "revenue_won",
        "Revenue won",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*WON, "deals.amount"),
        CLOSED,
        "sum of amount over won deals closed in the period",
        relation=Rows("deals", "closed_at", (IS_WON,), value="amount"),
    ),
    Kpi(
        "win_rate",
        "Win rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        WON,
        CLOSED,
        "won / (won + lost) over deals closed in the period; open deals excluded",
        benchmark="around 30% (opportunity win rate); 10-15% of B2B opportunities lead to sales",
        relation=Rows("deals", "closed_at", (IS_CLOSED,), numerator=WON_SQL, denominator="1.0"),
        variant="won_lost",
    ),
    Kpi(
        "avg_deal_size",
        "Average deal size",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*WON, "deals.amount"),
        CLOSED,
        "sum of amount / count of won deals closed in the period that have an amount",
        relation=Rows(
            "deals",
            "closed_at",
            (IS_WON,),
            numerator="amount",
            denominator="CASE WHEN amount IS NULL THEN 0.0 ELSE 1.0 END",
        ),
    ),
    Kpi(
        "sales_cycle_days",
        "Sales cycle (median days)",
        STAGE,
        Unit.DAYS,
        Aggregation.MEDIAN,
        (*WON, "deals.created_at"),
        CLOSED,
        "median of closed_at − created_at in days over won deals closed in the period; deals "
        "with impossible dates (closed before created, out of range) left out",
        higher_is_better=False,
        benchmark=CYCLE_BENCHMARK,
        left_out=IMPOSSIBLE_CYCLE_NOTE,
        relation=CYCLE_ROWS,
        variant="from_creation",
    ),
    Kpi(
        "win_rate_by_amount",
        "Win rate by amount",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*WON, "deals.amount"),
        CLOSED_WON_LOST,
        "sum of amount over won deals closed in the period / sum of amount over deals won or "
        "lost in the period; deals with a blank or 0 amount are left out of both, and counted "
        "in the note",
        sample_size="rows",
        left_out="closed deals with no amount (blank or 0) left out: {n}",
        relation=Rows(
            "deals",
            "closed_at",
            (IS_CLOSED,),
            numerator=f"CASE WHEN status = 'won' AND {PRICED_SQL} THEN amount ELSE 0.0 END",
            denominator=f"CASE WHEN {PRICED_SQL} THEN amount ELSE 0.0 END",
            left_out=f"NOT ({PRICED_SQL})",
        ),
    ),
    Kpi(
        "median_deal_size",
        "Median deal size",
        STAGE,
        Unit.CURRENCY,
        Aggregation.MEDIAN,
        (*WON, "deals.amount"),
        CLOSED,
        "median of amount over won deals closed in the period that have an amount",
        relation=Rows("deals", "closed_at", (IS_WON,), value="amount"),
    ),
    Kpi(
        "sales_cycle_days_mean",
        "Sales cycle (mean days)",
        STAGE,
        Unit.DAYS,
        Aggregation.MEAN,
        (*WON, "deals.created_at"),
        CLOSED,
        "mean of closed_at − created_at in days over won deals closed in the period; deals "
        "with impossible dates (closed before created, out of range) left out",
        higher_is_better=False,
        benchmark=CYCLE_BENCHMARK,
        left_out=IMPOSSIBLE_CYCLE_NOTE,
        relation=CYCLE_ROWS,
        variant="from_creation",
    ),
    Kpi(
        "quote_to_close_rate",
        "Quote to close rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*WON, QUOTED),
        CLOSED_WON_LOST,
        "deals closed in the period that reached proposal (entered_proposal, or a later stage "
        "entered, or won) and were won / deals closed in the period that reached proposal; a "
        "deal lost at a stage the mapping does not place is left out unless it reached proposal",
        benchmark="around 30% (quote to close ratio); 30-50% (quote conversion rate)",
        left_out=UNPLACED_NOTE,
        relation=Rows(
            "deals",
            "closed_at",
            (IS_CLOSED,),
            numerator=f"CASE WHEN {QUOTED_SQL} AND status = 'won' THEN 1.0 ELSE 0.0 END",
            denominator=f"CASE WHEN {QUOTED_SQL} THEN 1.0 ELSE 0.0 END",
            left_out=f"{UNPLACED_SQL} AND NOT {QUOTED_SQL}",
        ),
    ),
    Kpi(
        "stage_conversion",
        "Stage conversion",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        ("deals.status", "deals.created_at", STAGE_HISTORY),
        "created_at",
        "per stage, prospecting to negotiation: deals created in the period that reached the "
        "stage and the next one (won after negotiation) / deals created in the period that "
        "reached the stage (an entered_<stage> date, a later stage reached, or won); a deal at "
        "a stage the mapping does not place is left out unless it reached the next stage",
        category=STAGE_COLUMN,
        category_order=OPEN_STAGES,
        left_out=UNPLACED_NOTE,
        matures=Maturing(90, NEXT_AT, entered=REACHED_AT),
        relation=Rows(
            "stage_reach",
            "created_at",
            numerator="CASE WHEN went_on THEN 1.0 ELSE 0.0 END",
            denominator="1.0",
            category="stage_reached",
            left_out=f"{UNPLACED_SQL} AND NOT went_on",
            outcome="next_at",
            entered="reached_at",
        ),
    ),
    Kpi(
        "lost_reasons",
        "Lost reasons",
        STAGE,
        Unit.RATIO,
        Aggregation.DISTRIBUTION,
        (*WON, "deals.lost_reason"),
        CLOSED,
        "per lost_reason (blank as (blank)): deals lost in the period with it / deals lost in "
        "the period",
        category=REASON_COLUMN,
        relation=Rows(
            "deals",
            "closed_at",
            (IS_LOST,),
            value="1.0",
            category="coalesce(nullif(trim(lost_reason), ''), '(blank)')",
        ),
    ),
    Kpi(
        "pipeline_value",
        "Pipeline value",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*PIPELINE, "deals.amount"),
        OPEN_AT_END,
        "sum of amount over deals open at the end of the period; deals without an amount left "
        "out and counted in the note (none with one: no value)",
        matures=SNAPSHOT,
        left_out="{n} open deals without an amount left out",
        relation=OPEN_AMOUNTS,
    ),
    Kpi(
        "weighted_pipeline",
        "Weighted pipeline",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*PIPELINE, "deals.amount", "deals.probability|deals.stage"),
        OPEN_AT_END,
        "sum of amount × probability over deals open at the end of the period (a deal still "
        "open: its own probability, else stage_probabilities of its stage, else its mapping's "
        "stage_probability; closed since: stage_probabilities of its stage at the period's "
        "end); deals with none left out",
        matures=SNAPSHOT,
        left_out="{n} open deals without a probability left out",
        relation=replace(
            OPEN_AT_END_ROWS,
            value=f"amount * {WEIGHT_SQL}",
            left_out=f"{WEIGHT_SQL} IS NULL",
            none_kept="none of the {n} open deals has a probability or a stage probability",
            also=((UNPLACED_SQL, "{n} of them at a stage the mapping does not place"),),
        ),
    ),
    Kpi(
        "pipeline_coverage",
        "Pipeline coverage",
        STAGE,
        Unit.MULTIPLE,
        Aggregation.RATIO,
        (
            *PIPELINE,
            "deals.amount",
            "deals.expected_close_at",
            "targets.period",
            "targets.amount",
            "targets.metric",
        ),
        f"{OPEN_AT_END}; expected_close_at and quotas in the next period",
        "sum of amount over deals open at the end of the period with expected_close_at in the "
        "next period / sum of targets with metric quota pro-rated to the next period by days",
        benchmark="3-4x",
        sample_size="rows",
        matures=SNAPSHOT,
        variant="next_period_due",
        relation=COVERAGE_ROWS,
    ),
    Kpi(
        "overdue_deals",
        "Overdue deals",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        (*PIPELINE, "deals.expected_close_at"),
        OPEN_AT_END,
        "count of deals open at the end of the period whose expected_close_at is before the "
        "period's end",
        higher_is_better=False,
        matures=SNAPSHOT,
        relation=replace(OPEN_AT_END_ROWS, during=OVERDUE_SQL),
    ),
    Kpi(
        "overdue_deals_value",
        "Overdue deals value",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*PIPELINE, "deals.expected_close_at", "deals.amount"),
        OPEN_AT_END,
        "sum of amount over deals open at the end of the period whose expected_close_at is "
        "before the period's end; deals without an amount left out and counted in the note "
        "(none with one: no value)",
        higher_is_better=False,
        matures=SNAPSHOT,
        left_out="{n} open deals without an amount left out",
        relation=replace(OPEN_AMOUNTS, during=OVERDUE_SQL),
    ),
    Kpi(
        "sales_velocity",
        "Sales velocity (per day)",
        STAGE,
        Unit.CURRENCY,
        Aggregation.CUSTOM,
        (*PIPELINE, "deals.closed_at", "deals.amount"),
        f"{OPEN_AT_END}; closed_at for win rate, deal size and cycle",
        "deals open at the end of the period × win rate × average deal size / mean sales "
        "cycle days, the last three over deals closed in the period (as win_rate, "
        "avg_deal_size and sales_cycle_days_mean); null when fewer won deals than small_sample "
        "stand behind them",
        sample_size="rows",
        matures=SNAPSHOT,
        relation=VELOCITY_ROWS,
        summarise=_velocity_summary,
    ),
    Kpi(
        "forecast_accuracy",
        "Forecast accuracy",
        STAGE,
        Unit.RATIO,
        Aggregation.CUSTOM,
        (*WON, "deals.amount", "targets.period", "targets.amount", "targets.metric"),
        "closed_at (deals won); forecasts by the share of their days inside the period",
        "1 − |forecast − actual| / actual, forecast = sum of targets with metric forecast "
        "pro-rated by days to the days of the period the deals cover, actual = sum of amount "
        "over won deals closed in it",
        benchmark="80-90%",
        sample_size="rows",
        relation=FORECAST_ROWS,
        summarise=_accuracy_of,
    ),
    # the second seed's Revenue Per Account and the fourth's ARPA on closing a deal (issue 18);
    # declared in SQL only
    Kpi(
        "revenue_per_account",
        "Revenue per account",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*WON, "deals.amount", "deals.account_id"),
        CLOSED,
        "sum of amount over won deals closed in the period / distinct account_id of those "
        "deals; won deals without an account_id or an amount left out",
        left_out="{n} won deal{s} without an account_id or an amount left out",
        relation=Rows(
            "deals",
            "closed_at",
            (IS_WON,),
            numerator="amount",
            key="account_id",
            left_out="account_id IS NULL OR amount IS NULL",
        ),
    ),
    # the third seed's negotiation count (issue 18): the step cost_per_negotiation divides by,
    # counted on its own; declared in SQL only
    Kpi(
        "negotiations_initiated",
        "Negotiations initiated",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        ("deals.status", "deals.entered_negotiation"),
        "the date the deal reached negotiation",
        "count of deals that reached negotiation in the period (the earliest of "
        "entered_negotiation, entered_won and closed_at if won); each deal once, when it first "
        "reached it, not a share of a cohort",
        relation=Rows(
            "deals",
            reached_on_sql("negotiation"),
            ((f"({reached_on_sql('negotiation')}) IS NOT NULL", "no negotiation dated"),),
        ),
    ),
)


# named variants (issue 18; salesmetrics.variants)

FIRST_CONTACT_CYCLE_SQL = CYCLE_SQL.replace("created_at", "first_contact_at")
FIRST_CONTACT_IMPOSSIBLE_SQL = (
    "CAST(closed_at AS DATE) < CAST(first_contact_at AS DATE) "
    "OR _implausible_created_at OR _implausible_closed_at"
)
NO_LEAD_SQL = "NOT has_lead"
FIRST_CONTACT_ROWS = Rows(
    "first_contacts",
    "closed_at",
    value=FIRST_CONTACT_CYCLE_SQL,
    left_out=f"{NO_LEAD_SQL} OR {FIRST_CONTACT_IMPOSSIBLE_SQL}",
    also=((NO_LEAD_SQL, "{n} without a lead (deals.lead_id in leads) to date a first contact"),),
    edge=_one_date_edge,
)
FIRST_CONTACT = (
    "days from the first contact (the earliest of the deal's created_at, its lead's "
    "created_at (deals.lead_id) and the first activity on that lead) to closed_at"
)
FIRST_CONTACT_NEEDS = (*WON, "deals.created_at", "deals.lead_id", "leads.lead_id")
FIRST_CONTACT_LEFT_OUT = (
    "{n} won deals left out (no lead to date a first contact, or impossible dates: closed "
    "before the first contact, or out of range)"
)


def _all_open_summary(m: Mapping[str, float | None], threshold: int) -> Aggregate:
    """All open pipeline / the period's quota, the overdue and the undated deals in it said
    in the note: a pipeline padded with deals past their date covers a quota only on paper.

    Custom, not a ratio: its note counts and sums two parts of the numerator's rows."""
    said = []
    for name, words in (("overdue", "overdue (expected to close before the period's end)"),
                        ("undated", "with no expected_close_at")):  # fmt: skip
        if m[f"{name}_n"]:
            said.append(f"{int(m[f'{name}_n'] or 0)} deals {words}: {m[name] or 0.0:,.2f}")
    note = "of it " + "; ".join(said) if said else None
    numerator, denominator = m["pipeline"] or 0.0, m["quota"] or 0.0
    if denominator == 0:
        return Aggregate(None, numerator, denominator, joined("no quota for the period", note))
    return Aggregate(numerator / denominator, numerator, denominator, note)


OPEN_AT_END_SQL = "happened_at < kpi_stop AND (ends_at IS NULL OR ends_at >= kpi_stop)"
DEAL_SQL = "part = 'deal'"
ALL_OPEN_ROWS = Rows(
    "pipeline_and_quotas",
    "happened_at",
    spans="ends_at",
    whole=True,
    during=f"CASE WHEN part = 'deal' THEN {OPEN_AT_END_SQL} ELSE {QUOTA_IN_SQL} END",
    inputs=("deals", "targets"),
    measures=(
        ("pipeline", f"fsum(coalesce(amount, 0.0)) FILTER (WHERE {DEAL_SQL})"),
        ("quota", f"fsum(amount * {QUOTA_SHARE_SQL}) FILTER (WHERE part = 'quota')"),
        ("overdue_n", f"count(*) FILTER (WHERE {DEAL_SQL} AND expected_close_at < kpi_stop)"),
        (
            "overdue",
            f"fsum(coalesce(amount, 0.0)) FILTER (WHERE {DEAL_SQL} "
            "AND expected_close_at < kpi_stop)",
        ),
        ("undated_n", f"count(*) FILTER (WHERE {DEAL_SQL} AND expected_close_at IS NULL)"),
        (
            "undated",
            f"fsum(coalesce(amount, 0.0)) FILTER (WHERE {DEAL_SQL} AND expected_close_at IS NULL)",
        ),
    ),
)
"""`_all_open_coverage`'s rows: deals open at each period's end and the period's quota by the
share of each label's days inside it, and what `_all_open_summary` makes the coverage of."""


VARIANTS: tuple[Kpi, ...] = (
    Kpi(
        "win_rate",
        "Win rate (won / SQL)",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*WON, "leads.sql_at"),
        "closed_at (deals won); sql_at (leads)",
        "won deals closed in the period / leads with sql_at in the period",
        no_denominator="no leads qualified (sql_at) in the period",
        relation=Rows(
            "won_and_qualified",
            "won_or_qualified_at",
            numerator="won",
            denominator="qualified",
            inputs=("deals", "leads"),
        ),
        variant="per_sql",
    ),
    *(
        Kpi(
            kpi_id,
            f"Sales cycle from first contact ({kind} days)",
            STAGE,
            Unit.DAYS,
            aggregation,
            FIRST_CONTACT_NEEDS,
            CLOSED,
            f"{kind} of the {FIRST_CONTACT} over won deals closed in the period; deals without "
            "a lead, or with impossible dates, left out",
            higher_is_better=False,
            left_out=FIRST_CONTACT_LEFT_OUT,
            relation=FIRST_CONTACT_ROWS,
            variant="from_first_contact",
        )
        for kpi_id, kind, aggregation in (
            ("sales_cycle_days", "median", Aggregation.MEDIAN),
            ("sales_cycle_days_mean", "mean", Aggregation.MEAN),
        )
    ),
    Kpi(
        "pipeline_coverage",
        "Pipeline coverage (all open / this period's quota)",
        STAGE,
        Unit.MULTIPLE,
        Aggregation.CUSTOM,
        (*PIPELINE, "deals.amount", "targets.period", "targets.amount", "targets.metric"),
        f"{OPEN_AT_END}; quotas in the period",
        "sum of amount over every deal open at the end of the period / sum of targets with "
        "metric quota pro-rated to the period by days; the note gives the overdue deals "
        "(expected_close_at before the period's end) and those with no expected_close_at in it",
        benchmark="3-4x",
        sample_size="rows",
        matures=SNAPSHOT,
        variant="all_open",
        relation=ALL_OPEN_ROWS,
        summarise=_all_open_summary,
    ),
)
