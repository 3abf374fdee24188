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

import numpy as np
import pandas as pd

from salesmetrics.kpis.base import (
    KEY,
    ROW,
    Aggregation,
    Context,
    Kpi,
    Maturing,
    Rows,
    Unit,
    at_edge,
    carrying,
    datetimes,
    id_codes,
    period_rows,
)
from salesmetrics.kpis.close import IS_LOST, IS_WON, closed_deals
from salesmetrics.kpis.edges import covered
from salesmetrics.kpis.views import NOT_RESEARCH, OUTBOUND
from salesmetrics.periods import Period

STAGE = "outreach"
RESEARCH = "research"
EMAIL = "email"
DAYS_PER_WEEK = 7.0
OCCURRED = "occurred_at (the activity's date)"
SALES_CALLS = "sales calls (outbound activities of channel call)"
CALL_NEEDS = (
    "activities.channel",
    "activities.occurred_at",
    "activities.deal_id|activities.lead_id|activities.account_id",
)


# shared helpers


def flag(frame: pd.DataFrame, column: str) -> pd.Series:
    """A boolean column with blanks as false; all false when the input has no such column."""
    if column not in frame.columns:
        return pd.Series(False, index=frame.index, dtype=bool)
    return frame[column].fillna(False).astype(bool)


def outbound(frame: pd.DataFrame) -> pd.Series:
    """True for outbound activities: direction outbound or blank, or no direction column."""
    if "direction" not in frame.columns:
        return pd.Series(True, index=frame.index, dtype=bool)
    return (frame["direction"].fillna("outbound") == "outbound").fillna(False).astype(bool)


def activities_in(data: Context, period: Period) -> pd.DataFrame:
    return period_rows(data, "activities", lambda: data["activities"], "occurred_at", period)


def is_reach_out(acts: pd.DataFrame) -> pd.Series:
    """Outbound activities in any channel but research."""
    research = (acts["channel"] == RESEARCH).fillna(False).astype(bool)
    return outbound(acts) & ~research


def reach_outs(data: Context, period: Period) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        acts = activities_in(data, period)
        return acts[is_reach_out(acts).to_numpy()]

    return data.for_period(period, "reach_outs", build)


def is_email_sent(acts: pd.DataFrame) -> pd.Series:
    """Outbound activities in the email channel."""
    return (acts["channel"] == EMAIL).fillna(False).astype(bool) & outbound(acts)


def emails_sent(data: Context, period: Period) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        acts = activities_in(data, period)
        return acts[is_email_sent(acts).to_numpy()]

    return data.for_period(period, "emails_sent", build)


def responses(acts: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """For each activity: (replied, delivered) as email_response_rate counts them.

    Delivered is an email sent that did not bounce; replied is a delivered one marked replied,
    so a bounced email is out of both sides even if it is also marked replied.
    """
    delivered = is_email_sent(acts) & ~flag(acts, "bounced")
    return flag(acts, "replied") & delivered, delivered


def _response_rows(data: Context, period: Period) -> pd.DataFrame:
    sent = emails_sent(data, period)
    replied, delivered = responses(sent)
    return sent.assign(numerator=replied.astype(float), denominator=delivered.astype(float))


# reach_outs_per_week


def _per_week(data: Context, period: Period) -> pd.DataFrame:
    """Each reach out weighs 7 / the days of the period the activities cover, so a group's sum
    is its reach outs per week; a month bucket or a week cut at the edge of the period uses its
    own number of days, and a period running past the activities' last day (or starting before
    their first) only the days they cover, with a note (salesmetrics.kpis.edges)."""
    return at_edge(
        reach_outs(data, period).assign(value=_weekly(data, period)), *_weeks_edge(data, period)
    )


def _weekly(data: Context, period: Period) -> float:
    """7 / the days of the period the activities cover (0 when they cover none)."""
    days, _ = covered(data, period, "activities")
    return 0.0 if days is None else DAYS_PER_WEEK / days.days


def _weeks_edge(data: Context, period: Period) -> tuple[str | None, bool]:
    """The note on a period the activities cover in part, and whether they cover any of it."""
    days, note = covered(data, period, "activities")
    return note, days is not None


# email_bounce_rate, email_open_rate, email_response_rate_of_opened


def _bounce_rows(data: Context, period: Period) -> pd.DataFrame:
    sent = emails_sent(data, period)
    return sent.assign(numerator=flag(sent, "bounced").astype(float), denominator=1.0)


def _open_rows(data: Context, period: Period) -> pd.DataFrame:
    """Opened over delivered; a bounced email is out of both sides, even if marked opened."""
    sent = emails_sent(data, period)
    delivered = ~flag(sent, "bounced")
    opened = flag(sent, "opened") & delivered
    return sent.assign(numerator=opened.astype(float), denominator=delivered.astype(float))


def _of_opened_rows(data: Context, period: Period) -> pd.DataFrame:
    """Replied over opened: unopened emails are left out, so prospect fit does not weigh in."""
    sent = emails_sent(data, period)
    opened = flag(sent, "opened")
    replied = flag(sent, "replied") & opened
    return sent.assign(numerator=replied.astype(float), denominator=opened.astype(float))


# activities_per_rep


def _rep_activities(data: Context, period: Period) -> pd.DataFrame:
    """Activities in the period that have an owner (one without is no rep's activity), 1 each,
    keyed by owner: a group's activities over its distinct owners, a rep counted once."""
    acts = activities_in(data, period)
    acts = acts[acts["owner"].notna().to_numpy()]
    return acts.assign(numerator=1.0, **{KEY: acts["owner"]})


# touches_per_won_deal, touches_per_lost_deal


def _touches(data: Context, period: Period, status: str) -> pd.DataFrame:
    """Deals of `status` closed in the period, numerator = their touches, denominator = 1.

    A touch is an activity other than research (inbound or outbound) linked by deal_id and
    dated on or before the deal's closed_at, however long before the period; a deal with no
    touch still counts in the denominator.
    """
    closed = closed_deals(data, period)
    deals = closed[(closed["status"] == status).fillna(False).astype(bool).to_numpy()]
    counts = data.memo("outreach.touches", lambda: _touch_counts(data))
    return deals.assign(numerator=counts.loc[deals.index].to_numpy(), denominator=1.0)


def _touch_counts(data: Context) -> pd.Series:
    """Every closed deal's touches, by the deals input's index: worked out once per report."""
    frame = data["deals"]
    closed = frame["status"].isin(["won", "lost"]) & frame["closed_at"].notna()
    deals = frame[["deal_id", "closed_at"]][closed.fillna(False).to_numpy()]  # columns first
    acts = data["activities"]
    touch = ~(acts["channel"] == RESEARCH).fillna(False).astype(bool)
    touch &= acts["deal_id"].notna() & acts["occurred_at"].notna()
    linked = acts[["deal_id", "occurred_at"]][touch.to_numpy()]
    own = pd.DataFrame(
        {
            "pos": np.arange(len(deals)),
            "deal_id": id_codes(data, "deals", "deal_id", deals),
            "closed": deals["closed_at"].astype("datetime64[us]").to_numpy(),
        }
    )
    found = pd.DataFrame(
        {
            "deal_id": id_codes(data, "activities", "deal_id", linked),
            "at": linked["occurred_at"].astype("datetime64[us]").to_numpy(),
        }
    )
    own = own[(own["deal_id"] >= 0).to_numpy()]
    pairs = own.merge(found, on="deal_id")
    pairs = pairs[(pairs["at"] <= pairs["closed"]).to_numpy()]
    counts = pairs.groupby("pos").size().reindex(np.arange(len(deals)), fill_value=0)
    return pd.Series(counts.to_numpy(dtype=float), index=deals.index)


def _won_touches(data: Context, period: Period) -> pd.DataFrame:
    return _touches(data, period, "won")


def _lost_touches(data: Context, period: Period) -> pd.DataFrame:
    return _touches(data, period, "lost")


# follow_ups_per_lead


def _follow_ups(data: Context, period: Period) -> pd.DataFrame:
    return period_rows(data, "follow_ups", lambda: _all_follow_ups(data), "occurred_at", period)


def _all_follow_ups(data: Context) -> pd.DataFrame:
    """Reach outs on a lead, with numerator 1 (a follow-up) unless it is the lead's first
    reach out ever (before the period too): a lead first contacted in September and twice in
    October had two follow-ups in October. Of two first reach outs at the same minute, the one
    listed first is the first. Keyed by lead: a group's follow-ups over its distinct leads.
    """
    acts = data["activities"]
    keep = is_reach_out(acts) & acts["lead_id"].notna() & acts["occurred_at"].notna()
    on_leads = carrying(data, acts, "occurred_at", "lead_id")[keep.fillna(False).to_numpy()]
    lead = id_codes(data, "activities", "lead_id", on_leads)
    at = datetimes(on_leads["occurred_at"]).to_numpy()
    order = np.lexsort((np.arange(len(on_leads)), at, lead))  # by lead, then date, then listing
    first = np.ones(len(order), dtype=bool)
    first[1:] = lead[order][1:] != lead[order][:-1]
    follow_up = np.ones(len(on_leads), dtype=float)
    follow_up[order[first]] = 0.0
    return on_leads.assign(numerator=follow_up, **{KEY: on_leads["lead_id"]})


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
        reach_outs,
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
        _per_week,
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
        emails_sent,
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
        _bounce_rows,
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
        _open_rows,
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
        _response_rows,
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
        _of_opened_rows,
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
        _rep_activities,
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
        _won_touches,
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
        _lost_touches,
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
        _follow_ups,
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
        None,
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
        None,
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
        None,
        relation=Rows(
            "activities",
            "occurred_at",
            (("engagement_score IS NOT NULL", "no engagement score"),),
            value="engagement_score",
        ),
    ),
)
