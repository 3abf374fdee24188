"""Team-stage KPIs: the team against its quota, per rep, over time, by source and customer,
its own turnover, and how much of the market it has won.

Rows that mix two kinds of record (won deals and quota rows, won deals and rep rows) keep only
the dimensions both kinds have, owner and team, so under a breakdown by another dimension they
give their total only ("not split by source") rather than every quota or rep under "(blank)".
"""

from __future__ import annotations

from collections.abc import Mapping

from salesmetrics.kpis.base import (
    Aggregate,
    Aggregation,
    Context,
    Kpi,
    Maturing,
    Rows,
    Unit,
)
from salesmetrics.kpis.close import IS_CLOSED, IS_WON, deals_covered
from salesmetrics.kpis.edges import covered, same_part
from salesmetrics.kpis.views import COACHING_DAYS, hours_worked
from salesmetrics.periods import Period

STAGE = "team"
ON_STAFF_FROM = "coalesce(started_at, TIMESTAMP '0001-01-01')"  # a blank start: long ago
CUSTOMERS = "customers"  # new_vs_existing_revenue's category column
CUSTOMER_OF = {"new": "new", "renewal": "existing", "upsell": "existing", "expansion": "existing"}
OTHER = "(other)"  # deal_type other or blank


# quota_attainment


ATTAINMENT_ROWS = Rows(
    "won_and_targets",
    "happened_at",
    (("part IN ('won', 'quota')", "a target of another metric"),),
    spans="ends_at",
    numerator="CASE WHEN part = 'won' THEN coalesce(amount, 0.0) ELSE 0.0 END",
    denominator="CASE WHEN part = 'quota' THEN amount ELSE 0.0 END",
    within=deals_covered,
    inputs=("deals", "targets"),
)
"""Won deals (numerator = amount) and quotas by the share of their days inside the period
(denominator), over the days the deals cover (`_attainment`)."""


# sales_growth


def _compared(data: Context, period: Period) -> Period | None:
    """The period sales_growth sets a period against: its comparison period, over the same
    days of it as the deals cover of the period when they end (or start) inside it; None when
    they cover none of it."""
    days, note = covered(data, period, "deals")
    if days is None:
        return None
    earlier = data.earlier(period)
    return earlier if note is None else same_part(days, period, earlier)


def _growth_edge(data: Context, period: Period) -> tuple[str | None, bool]:
    """A period the deals cover only in part is compared with the same days of the comparison
    period, said in a note (a quarter with a month of data against a whole quarter would read
    as a collapse); one they do not cover has no value."""
    days, note = covered(data, period, "deals")
    if days is None:
        return note, False
    if note is not None:
        earlier = _compared(data, period)
        assert earlier is not None
        note = f"{note}, against {earlier.start} to {earlier.end}"
    return note, True


GROWTH_ROWS = Rows(
    "won_now_and_before",
    "closed_at",
    numerator="CASE WHEN side = 'now' THEN coalesce(amount, 0.0) ELSE -coalesce(amount, 0.0) END",
    denominator="CASE WHEN side = 'before' THEN coalesce(amount, 0.0) ELSE 0.0 END",
    against=_compared,
    earlier="side = 'before'",
    edge=_growth_edge,
)
"""Won deals twice over (`side` now and before), each placed by closed_at in the period (now)
or in the period it is set against (before): one value reads two periods' rows, and a deal in
both (a long period compared with a year earlier) counts on each side."""


# rep_turnover


def _turnover_of(m: Mapping[str, float | None], threshold: int) -> Aggregate:
    """Leavers over average headcount, counting distinct owners within the group: a rep who
    moves team inside the period left the old team, but not the company, so is no leaver of the
    company as a whole (still employed at the end). The leavers, owners who left in the period
    and are not employed at its end, are the owners who left or are employed at its end less
    those employed at its end.

    Custom, not a declared kind: the leavers are a difference of two sets of owners and the
    headcount a mean of the distinct owners at two instants, which no one kind is."""
    n = {name: value or 0.0 for name, value in m.items()}  # blank: a group with no rows
    leavers = n["gone_or_staying"] - n["at_end"]
    headcount = (n["at_start"] + n["at_end"]) / 2
    if headcount == 0:
        return Aggregate(None, leavers, 0.0, "no reps employed in the period")
    return Aggregate(leavers / headcount, leavers, headcount)


def _employed(at: str) -> str:
    """SQL: a reps row is employed at the instant `at` (a blank started_at: long ago)."""
    return f"(started_at IS NULL OR started_at < {at}) AND (ended_at IS NULL OR ended_at >= {at})"


LEFT_SQL = "ended_at >= kpi_start AND ended_at < kpi_stop"
TURNOVER_ROWS = Rows(
    "reps",
    "started_at",
    spans="ended_at",
    whole=True,
    measures=(
        ("at_start", f"count(DISTINCT owner) FILTER (WHERE {_employed('kpi_start')})"),
        ("at_end", f"count(DISTINCT owner) FILTER (WHERE {_employed('kpi_stop')})"),
        (
            "gone_or_staying",
            f"count(DISTINCT owner) FILTER (WHERE ({LEFT_SQL}) OR ({_employed('kpi_stop')}))",
        ),
    ),
)
"""The reps employed at some time in each period (at its start, at its end, or leaving in it:
`_turnover`), and the distinct owners `_turnover_of` makes the turnover of."""


# market_penetration


def _penetration_of(m: Mapping[str, float | None], threshold: int) -> Aggregate:
    """Distinct accounts won to date over addressable_market. Custom, not a ratio: its
    denominator is a setting, not its rows, and it has no value without it."""
    accounts, market = m["accounts"] or 0.0, m["market"]
    if market is None:
        return Aggregate(None, accounts, None, "needs addressable_market in the report config")
    if market <= 0:
        return Aggregate(None, accounts, float(market), "addressable_market is not above 0")
    return Aggregate(accounts / market, accounts, float(market))


def _sales_share_of(m: Mapping[str, float | None], threshold: int) -> Aggregate:
    """The year's sales over the market's; custom as the default is: the denominator is a
    setting, not a sum of rows."""
    sales, market = m["sales"] or 0.0, m["market"]
    if market is None:
        return Aggregate(None, sales, None, "needs market_sales_volume in the report config")
    if market <= 0:
        return Aggregate(None, sales, float(market), "market_sales_volume is not above 0")
    return Aggregate(sales / market, sales, float(market))


TO_DATE = "NULL::TIMESTAMP"  # `until` of a row that, once in, stays: won to date
PENETRATION_ROWS = Rows(
    "deals",
    "closed_at",
    (IS_WON,),
    until=TO_DATE,
    measures=(("accounts", "count(DISTINCT account_id)"),),
    given=lambda ctx: {"market": ctx.settings.addressable_market},
)
"""Won deals closed on or before each period's end (`_won_to_date`), their distinct accounts,
and the addressable market from the report config."""
SALES_SHARE_ROWS = Rows(
    "deals",
    "closed_at",
    (IS_WON,),
    until=TO_DATE,
    during="closed_at >= kpi_stop - INTERVAL 1 YEAR",
    measures=(("sales", "fsum(amount)"),),
    given=lambda ctx: {"market": ctx.settings.market_sales_volume},
)
"""Won deals closed in the 12 months up to each period's end (`_won_in_the_year`), their
amounts, and the market's sales volume from the report config."""


WON = ("deals.status", "deals.closed_at", "deals.amount")
EXISTING = ", ".join(f"'{t}'" for t, kind in CUSTOMER_OF.items() if kind == "existing")
CUSTOMER_SQL = (
    f"CASE WHEN deal_type = 'new' THEN 'new' WHEN deal_type IN ({EXISTING}) THEN 'existing' "
    f"ELSE '{OTHER}' END"
)
REPS = "reps.owner|deals.owner"
NO_REPS = "no active reps in the period"


def _per_rep_rows(kept: tuple[str, str], value: str) -> Rows:
    """Deals closed in the period (`kept`: which), `value` each, over the distinct reps
    employed at some time in it."""
    return Rows(
        "per_rep",
        "rep_from",
        (("part = 'rep' OR " + kept[0], kept[1]),),
        numerator=f"CASE WHEN part = 'deal' THEN {value} END",
        key="rep",
        spans="rep_until",
        inputs=("deals", "reps"),
        whole=True,
    )


REP_COUNT = (
    "distinct active reps (in reps, started before the period's end and not ended before its "
    "start; without reps, distinct owners of deals closed in the period)"
)
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "quota_attainment",
        "Quota attainment",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*WON, "targets.period", "targets.amount"),
        "closed_at (deals won); quotas by the share of their days inside the period",
        "sum of amount over won deals closed in the period / sum of targets with metric quota, "
        "pro-rated by days to the days of the period the deals cover",
        benchmark="100% (80-90% often acceptable)",
        sample_size="rows",
        relation=ATTAINMENT_ROWS,
    ),
    Kpi(
        "sales_per_rep",
        "Sales per rep",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*WON, REPS),
        "closed_at (deals won); reps employed at some time in the period",
        f"sum of amount over won deals closed in the period / {REP_COUNT}",
        no_denominator=NO_REPS,
        relation=_per_rep_rows(IS_WON, "amount"),
    ),
    Kpi(
        "deals_closed_per_rep",
        "Deals closed per rep",
        STAGE,
        Unit.COUNT,
        Aggregation.RATIO,
        ("deals.status", "deals.closed_at", REPS),
        "closed_at (deals won or lost); reps employed at some time in the period",
        f"count of deals won or lost with closed_at in the period / {REP_COUNT}",
        no_denominator=NO_REPS,
        relation=_per_rep_rows(IS_CLOSED, "1.0"),
    ),
    Kpi(
        "sales_growth",
        "Sales growth",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        WON,
        "closed_at (deals won), in the period and in the comparison period",
        "(revenue won in the period − revenue won in the comparison period) / revenue won in "
        "the comparison period (previous period, or a year earlier with compare year)",
        benchmark="about 10% a year for mature businesses",
        sample_size="rows",
        relation=GROWTH_ROWS,
    ),
    Kpi(
        "revenue_by_source",
        "Revenue by source",
        STAGE,
        Unit.RATIO,
        Aggregation.DISTRIBUTION,
        (*WON, "deals.source"),
        "closed_at (deals won)",
        "per source: sum of amount over won deals closed in the period from it / sum of amount "
        "over all won deals closed in the period",
        category="source",
        relation=Rows("deals", "closed_at", (IS_WON,), value="amount", category="source"),
    ),
    Kpi(
        "new_vs_existing_revenue",
        "New vs existing customer revenue",
        STAGE,
        Unit.RATIO,
        Aggregation.DISTRIBUTION,
        (*WON, "deals.deal_type"),
        "closed_at (deals won)",
        "share of amount over won deals closed in the period: new (deal_type new), existing "
        "(renewal, upsell, expansion), (other) (deal_type other or blank)",
        benchmark="existing customers usually the larger share",
        category=CUSTOMERS,
        category_order=("new", "existing"),
        relation=Rows("deals", "closed_at", (IS_WON,), value="amount", category=CUSTOMER_SQL),
    ),
    Kpi(
        "rep_turnover",
        "Rep turnover",
        STAGE,
        Unit.RATIO,
        Aggregation.CUSTOM,
        ("reps.ended_at?", "reps.owner"),
        "ended_at (leavers); started_at and ended_at for the headcount at the period's start "
        "and end",
        "distinct reps with ended_at in the period and not employed at its end / ((reps "
        "employed at its start + reps employed at its end) / 2)",
        higher_is_better=False,
        relation=TURNOVER_ROWS,
        summarise=_turnover_of,
    ),
    Kpi(
        "market_penetration",
        "Market penetration",
        STAGE,
        Unit.RATIO,
        Aggregation.CUSTOM,
        ("deals.status", "deals.closed_at", "deals.account_id"),
        "closed_at on or before the period's end (won to date)",
        "distinct account_id over won deals closed on or before the period's end / "
        "addressable_market from the report config",
        variant="accounts",
        relation=PENETRATION_ROWS,
        summarise=_penetration_of,
    ),
    # the second seed's team KPIs on data no CRM export carries (issue 18): each needs a reps
    # or deals field of its own (`salesmetrics kpis --missing` says which); SQL only
    Kpi(
        "coaching_effectiveness",
        "Coaching effectiveness",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        ("deals.status", "deals.closed_at", "deals.amount", "reps.owner", "reps.coached_at"),
        "coached_at (reps)",
        f"over reps coached in the period: (revenue they won in the {COACHING_DAYS} days from "
        f"their coaching − revenue they won in the {COACHING_DAYS} days before it) / revenue "
        f"they won in the {COACHING_DAYS} days before it (won deals by owner); reps who won "
        "nothing before it left out",
        benchmark="+10-20% within 3-6 months of the coaching",
        left_out=(
            "{n} deals of reps who won nothing in the "
            f"{COACHING_DAYS} days before their coaching left out"
        ),
        matures=Maturing(COACHING_DAYS),
        no_denominator=f"no revenue won in the {COACHING_DAYS} days before the coaching",
        sample_size="rows",
        relation=Rows(
            "coaching_windows",
            "coached_at",
            numerator="CASE WHEN after THEN amount ELSE -amount END",
            denominator="CASE WHEN after THEN 0.0 ELSE amount END",
            left_out="NOT won_before",
        ),
    ),
    Kpi(
        "rep_satisfaction",
        "Rep satisfaction",
        STAGE,
        Unit.SCORE,
        Aggregation.MEAN,
        ("reps.owner", "reps.satisfaction"),
        "on staff at the period's end (started_at before it, ended_at blank or not before it)",
        "mean of satisfaction (each rep's latest survey score, as the reps file gives it) over "
        "reps on staff at the period's end that have one",
        matures=Maturing(0),
        relation=Rows(
            "reps",
            ON_STAFF_FROM,
            (("satisfaction IS NOT NULL", "no satisfaction score"),),
            until="ended_at",
            value="satisfaction",
        ),
    ),
    Kpi(
        "tool_adoption_rate",
        "Tool adoption rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        ("reps.owner", "reps.tool_adopted_at?"),
        "on staff at the period's end (started_at before it, ended_at blank or not before it)",
        "reps on staff at the period's end with tool_adopted_at before it / reps on staff at "
        "the period's end",
        matures=Maturing(0),
        relation=Rows(
            "reps",
            ON_STAFF_FROM,
            until="ended_at",
            numerator="CASE WHEN tool_adopted_at < kpi_stop THEN 1.0 ELSE 0.0 END",
            denominator="1.0",
        ),
    ),
    Kpi(
        "joint_deal_win_rate",
        "Joint deal win rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        ("deals.status", "deals.closed_at", "deals.collaborators"),
        "closed_at",
        "won / (won + lost) over deals closed in the period that two or more reps worked "
        "together (collaborators at least 2)",
        relation=Rows(
            "deals",
            "closed_at",
            (
                ("status IN ('won', 'lost')", "open: neither won nor lost"),
                ("collaborators >= 2", "not worked by two or more reps"),
            ),
            numerator="CASE WHEN status = 'won' THEN 1.0 ELSE 0.0 END",
            denominator="1.0",
        ),
    ),
    # the second seed's "revenue per hour worked" (Team Efficiency Metrics), on a reps field no
    # CRM export carries (issue 18); SQL only
    Kpi(
        "revenue_per_hour_worked",
        "Revenue per hour worked",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*WON, "reps.owner", "reps.weekly_hours"),
        "closed_at (deals won); reps employed at some time in the period, by the part of it",
        "sum of amount over won deals closed in the period / sum over reps of weekly_hours × "
        "the weeks of the period they were employed (started_at to ended_at, blank: open), "
        "over the days the deals cover; won deals of owners without weekly_hours left out",
        left_out="{n} won deal{s} of owners without weekly_hours in reps left out",
        no_denominator="no hours worked on record in the period",
        sample_size="rows",
        relation=Rows(
            "rep_hours",
            "worked_from",
            numerator="CASE WHEN part = 'won' THEN amount ELSE 0.0 END",
            denominator=f"CASE WHEN part = 'rep' THEN {hours_worked()} ELSE 0.0 END",
            left_out="NOT hours_known",
            spans="worked_until",
            whole=True,
            within=deals_covered,
            inputs=("deals", "reps"),
        ),
    ),
)


# named variants (issue 18; salesmetrics.variants)

VARIANTS: tuple[Kpi, ...] = (
    Kpi(
        "market_penetration",
        "Market penetration (share of market sales)",
        STAGE,
        Unit.RATIO,
        Aggregation.CUSTOM,
        WON,
        "closed_at in the 12 months up to the period's end",
        "sum of amount over won deals closed in the 12 months up to the period's end / "
        "market_sales_volume (the market's sales in a year) from the report config",
        variant="sales_volume",
        relation=SALES_SHARE_ROWS,
        summarise=_sales_share_of,
    ),
)
