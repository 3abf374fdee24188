"""Outreach-stage KPIs: how much the team reaches out, how its emails land, and how many touches
a deal or a lead takes.

Definitions shared by these KPIs (and by the prospecting KPIs that build on them):
- An activity is outbound when its direction is outbound or blank (the schema's default); an
  input without a direction column is all outbound.
- A reach out is an outbound activity in any channel but research: research is time spent on a
  prospect, not a message to one.
- An email sent is an outbound activity in the email channel. Its opened, replied and bounced
  flags count as false when blank; an email is delivered when it did not bounce.
"""

from __future__ import annotations

from dataclasses import replace

from salesmetrics.kpis.base import (
    ROW,
    Aggregation,
    Context,
    Kpi,
    Maturing,
    Rows,
    Unit,
)
from salesmetrics.kpis.close import IS_LOST, IS_WON
from salesmetrics.kpis.edges import covered
from salesmetrics.kpis.views import NOT_RESEARCH, OUTBOUND
from salesmetrics.periods import Period

STAGE = "outreach"
DAYS_PER_WEEK = 7.0
OCCURRED = "occurred_at (the activity's date)"
SALES_CALLS = "sales calls (outbound activities of channel call)"
CALL_NEEDS = (
    "activities.channel",
    "activities.occurred_at",
    "activities.deal_id|activities.lead_id|activities.account_id",
)


# reach_outs_per_week


def _weekly(data: Context, period: Period) -> float:
    """7 / the days of the period the activities cover (0 when they cover none)."""
    days, _ = covered(data, period, "activities")
    return 0.0 if days is None else DAYS_PER_WEEK / days.days


def _weeks_edge(data: Context, period: Period) -> tuple[str | None, bool]:
    """The note on a period the activities cover in part, and whether they cover any of it."""
    days, note = covered(data, period, "activities")
    return note, days is not None


# follow_ups_per_lead


def one_if(condition: str) -> str:
    """SQL: 1.0 where `condition` holds, 0.0 where it does not or is blank."""
    return f"CASE WHEN {condition} THEN 1.0 ELSE 0.0 END"


IS_OUTBOUND = (OUTBOUND, "inbound")
IS_NOT_RESEARCH = (NOT_RESEARCH, "research")
SENT = (IS_OUTBOUND, ("channel = 'email'", "not an email"))
BOUNCED_SQL = "coalesce(bounced, FALSE)"
OPENED_SQL = "coalesce(opened, FALSE)"
REPLIED_SQL = "coalesce(replied, FALSE)"
DELIVERED_SQL = one_if(f"NOT {BOUNCED_SQL}")
REACH_OUT_ROWS = Rows("activities", "occurred_at", (IS_OUTBOUND, IS_NOT_RESEARCH))

SENT_NEEDS = ("activities.occurred_at", "activities.channel")
BOUNCED = "activities.bounced?"  # mapped but all blank: no email bounced, not a skip
KPIS = (
    Kpi(
        "reach_outs",
        "Reach outs",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        SENT_NEEDS,
        OCCURRED,
        "count of outbound activities (blank direction = outbound) in any channel but research",
        relation=REACH_OUT_ROWS,
    ),
    Kpi(
        "reach_outs_per_week",
        "Reach outs per week",
        STAGE,
        Unit.COUNT,
        Aggregation.SUM,
        SENT_NEEDS,
        OCCURRED,
        "reach outs in the period / (days of the period the activities cover / 7)",
        per_day=True,
        relation=replace(REACH_OUT_ROWS, value="1.0", edge=_weeks_edge, scale=_weekly),
    ),
    Kpi(
        "emails_sent",
        "Emails sent",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        SENT_NEEDS,
        OCCURRED,
        "count of outbound activities in the email channel",
        relation=Rows("activities", "occurred_at", SENT),
    ),
    Kpi(
        "email_bounce_rate",
        "Email bounce rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*SENT_NEEDS, BOUNCED),
        OCCURRED,
        "emails sent marked bounced / emails sent (blank bounced = not bounced)",
        higher_is_better=False,
        relation=Rows(
            "activities", "occurred_at", SENT, numerator=one_if(BOUNCED_SQL), denominator="1.0"
        ),
    ),
    Kpi(
        "email_open_rate",
        "Email open rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*SENT_NEEDS, "activities.opened", BOUNCED),
        OCCURRED,
        "emails sent, not bounced and marked opened / emails sent and not bounced",
        matures=Maturing(7),
        relation=Rows(
            "activities",
            "occurred_at",
            SENT,
            numerator=one_if(f"{OPENED_SQL} AND NOT {BOUNCED_SQL}"),
            denominator=DELIVERED_SQL,
        ),
    ),
    Kpi(
        "email_response_rate",
        "Email response rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*SENT_NEEDS, "activities.replied", BOUNCED),
        OCCURRED,
        "emails sent, not bounced and marked replied / emails sent and not bounced",
        matures=Maturing(7),
        relation=Rows(
            "activities",
            "occurred_at",
            SENT,
            numerator=one_if(f"{REPLIED_SQL} AND NOT {BOUNCED_SQL}"),
            denominator=DELIVERED_SQL,
        ),
    ),
    Kpi(
        "email_response_rate_of_opened",
        "Email response rate of opened emails",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*SENT_NEEDS, "activities.opened", "activities.replied"),
        OCCURRED,
        "emails sent marked opened and replied / emails sent marked opened",
        matures=Maturing(7),
        relation=Rows(
            "activities",
            "occurred_at",
            SENT,
            numerator=one_if(f"{REPLIED_SQL} AND {OPENED_SQL}"),
            denominator=one_if(OPENED_SQL),
        ),
    ),
    Kpi(
        "activities_per_rep",
        "Activities per rep",
        STAGE,
        Unit.COUNT,
        Aggregation.RATIO,
        ("activities.occurred_at", "activities.owner"),
        OCCURRED,
        "activities with an owner (any channel, either direction) / distinct owners among them",
        no_denominator="no rep with an activity in the period",
        relation=Rows(
            "activities",
            "occurred_at",
            (("owner IS NOT NULL", "no owner: no rep's activity"),),
            numerator="1.0",
            key="owner",
        ),
    ),
    Kpi(
        "touches_per_won_deal",
        "Touches per won deal",
        STAGE,
        Unit.COUNT,
        Aggregation.RATIO,
        (
            "deals.status",
            "deals.closed_at",
            "deals.deal_id",
            "activities.deal_id",
            "activities.occurred_at",
            "activities.channel",
        ),
        "closed_at of the deal (its touches may be dated any time up to it)",
        "activities but research on won deals closed in the period, up to the close / those deals",
        higher_is_better=False,
        benchmark="5-7 follow-ups to close a deal",
        relation=Rows(
            "deal_touches", "closed_at", (IS_WON,), numerator="touches", denominator="1.0"
        ),
    ),
    Kpi(
        "touches_per_lost_deal",
        "Touches per lost deal",
        STAGE,
        Unit.COUNT,
        Aggregation.RATIO,
        (
            "deals.status",
            "deals.closed_at",
            "deals.deal_id",
            "activities.deal_id",
            "activities.occurred_at",
            "activities.channel",
        ),
        "closed_at of the deal (its touches may be dated any time up to it)",
        "activities but research on lost deals closed in the period, up to the close / those deals",
        higher_is_better=False,
        relation=Rows(
            "deal_touches", "closed_at", (IS_LOST,), numerator="touches", denominator="1.0"
        ),
    ),
    Kpi(
        "follow_ups_per_lead",
        "Follow-ups per lead",
        STAGE,
        Unit.COUNT,
        Aggregation.RATIO,
        (*SENT_NEEDS, "activities.lead_id"),
        OCCURRED,
        "reach outs on a lead but its first ever / distinct leads with a reach out in the period",
        no_denominator="no lead reached out to in the period",
        relation=Rows("follow_ups", "occurred_at", numerator="follow_up", key="lead_id"),
    ),
    # sales calls and the sales they lead to (issue 18); declared in SQL only
    Kpi(
        "sales_call_conversion_rate",
        "Sales call conversion rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*CALL_NEEDS, "deals.status", "deals.closed_at"),
        "closed_at (won deals), occurred_at (calls): over the days both inputs cover",
        "won deals closed in the period with a call linked to them (their deal_id, lead_id or "
        f"account_id on the call) made at or before the close / {SALES_CALLS} in the period",
        benchmark="2-20% (sales call conversion rate)",
        no_denominator="no sales call in the period",
        relation=Rows(
            "call_sales",
            "happened_at",
            numerator="sold",
            denominator="called",
            within=lambda ctx, period: covered(ctx, period, "activities", "deals"),
            inputs=("activities", "deals"),
        ),
    ),
    Kpi(
        "follow_up_calls_to_sale",
        "Follow-up calls that led to a sale",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT_DISTINCT,
        (*CALL_NEEDS, "deals.status", "deals.closed_at"),
        "closed_at of the won deal (its calls may be dated any time up to it)",
        f"count of distinct follow-up {SALES_CALLS} (any but the first reach out on their "
        "lead, their own or their deal's; on their deal without one, on their account with "
        "neither) linked to a deal won in the period (its deal_id, lead_id or account_id on "
        "the call) and made at or before its close",
        relation=Rows(
            "follow_up_call_sales",
            "sold_at",
            key=f"coalesce(activity_id, '#' || {ROW})",
        ),
    ),
    # the second seed's "Prospect Engagement Level", on a score no CRM export carries (issue 18)
    Kpi(
        "prospect_engagement_score",
        "Prospect engagement score",
        STAGE,
        Unit.SCORE,
        Aggregation.MEAN,
        ("activities.occurred_at", "activities.engagement_score"),
        OCCURRED,
        "mean of engagement_score (an engagement tool's score of the interaction) over "
        "activities in the period that have one",
        relation=Rows(
            "activities",
            "occurred_at",
            (("engagement_score IS NOT NULL", "no engagement score"),),
            value="engagement_score",
        ),
    ),
)
