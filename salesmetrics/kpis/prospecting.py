"""Prospecting-stage KPIs: the leads coming in, the prospects reached, and the research time
spent on them, set against the leads it qualifies and the email responses it earns.

Reach outs, emails sent and the email response rate are defined in the outreach module. A
prospect is an account: the activity's account_id, else the account_id of its lead (leads),
else that of its deal (deals: a call logged only against a deal), else the lead itself; an
activity with no account, lead or deal account names no prospect.
"""

from __future__ import annotations

from collections.abc import Mapping

from salesmetrics.coverage import first_day
from salesmetrics.kpis.base import (
    Aggregate,
    Aggregation,
    Context,
    Kpi,
    Maturing,
    Rows,
    Unit,
)
from salesmetrics.kpis.outreach import (
    IS_NOT_RESEARCH,
    IS_OUTBOUND,
)
from salesmetrics.kpis.views import NOT_RESEARCH, OUTBOUND, distinct
from salesmetrics.periods import Period

STAGE = "prospecting"
MINUTES_PER_HOUR = 60.0
PEOPLE = ("owner", "team")  # the dimensions activities share with leads
LEAD_DIMENSIONS = ("quality", "source")  # a research activity takes these from its lead
NOW, BEFORE = "now", "before"  # research_response_roi's `when` column
MIN_CHANGE = 0.05
"""research_response_roi divides by the change in research hours per prospect: a change
smaller than this share of the earlier hours is within a month's noise, and dividing by it
multiplies the noise (a 1% change in hours turns a 1 pp change in replies into 100%)."""


# research_hours_per_qualified_lead


def _research_dimensions(data: Context) -> list[str]:
    """The dimensions research hours per qualified lead can be broken down by: the owner and
    team where both activities and leads have them, the lead's quality and source."""
    acts, leads = data["activities"].columns, data["leads"].columns
    people = [d for d in PEOPLE if d in acts and d in leads]
    return [*people, *(d for d in LEAD_DIMENSIONS if d in leads)]


# research_response_roi


def _before_data(data: Context, period: Period) -> tuple[str | None, bool]:
    """No value when the comparison period starts before the activities do: its hours and
    replies are not measured, they are missing."""
    earlier = data.earlier(period)
    first = data.memo(
        "first_day:activities", lambda: first_day(data.frames, "activities", data.as_of)
    )
    if first is not None and earlier.start < first:
        return (
            f"the activities start {first}: the comparison period {earlier.label} is before them",
            False,
        )
    return None, True


def _rate_and_hours(m: Mapping[str, float | None], side: str) -> tuple[float, float, int] | None:
    """The email response rate, research hours per prospect contacted, and the smaller of
    the emails delivered and the prospects contacted behind them, of one side's measures;
    None if it has no delivered email or no prospect contacted.
    """
    delivered, contacted = m[f"delivered_{side}"] or 0.0, m[f"prospects_{side}"] or 0.0
    if delivered == 0 or contacted == 0:
        return None
    rate = (m[f"replied_{side}"] or 0.0) / delivered
    return rate, (m[f"hours_{side}"] or 0.0) / contacted, int(min(delivered, contacted))


def _rrroi_of(m: Mapping[str, float | None], threshold: int) -> Aggregate:
    """Change in email response rate / change in research hours per prospect contacted; null
    when fewer emails delivered or prospects contacted than the small-sample threshold stand
    behind either period's figures, or when the hours changed by less than MIN_CHANGE of the
    earlier hours (and when the comparison period is before the data: `_before_data`).

    Custom: its value is a change divided by a change, each a ratio of two periods (one over
    distinct prospects), with rules on both periods at once; no kind is that."""
    now, before = _rate_and_hours(m, NOW), _rate_and_hours(m, BEFORE)
    if now is None or before is None:
        which = "the period" if now is None else "the comparison period"
        return Aggregate(None, note=f"no delivered email or prospect contacted in {which}")
    more_replies, more_hours = now[0] - before[0], now[1] - before[1]
    if min(now[2], before[2]) < threshold:
        why = (
            f"{min(now[2], before[2])} emails delivered or prospects contacted in one of the "
            f"periods, fewer than the small-sample threshold ({threshold}): the change is noise"
        )
        return Aggregate(None, more_replies, more_hours, why)
    if abs(more_hours) < 1e-12:
        return Aggregate(
            None, more_replies, 0.0, "research hours per prospect contacted did not change"
        )
    if abs(more_hours) < MIN_CHANGE * abs(before[1]):
        why = (
            f"research hours per prospect contacted changed by less than {MIN_CHANGE:.0%}: too "
            "small a change to divide by"
        )
        return Aggregate(None, more_replies, more_hours, why)
    return Aggregate(more_replies / more_hours, more_replies, more_hours)


EMAIL_SENT_SQL = f"channel = 'email' AND {OUTBOUND}"
DELIVERED_SQL = f"{EMAIL_SENT_SQL} AND NOT coalesce(bounced, FALSE)"
REACH_OUT_SQL = f"{OUTBOUND} AND {NOT_RESEARCH}"


def _sides(side: str) -> tuple[tuple[str, str], ...]:
    """research_response_roi's measures of one side (now, before) of its rows."""
    on = f"side = '{side}'"
    return (
        (f"delivered_{side}", f"count(*) FILTER (WHERE {on} AND {DELIVERED_SQL})"),
        (
            f"replied_{side}",
            f"count(*) FILTER (WHERE {on} AND {DELIVERED_SQL} AND coalesce(replied, FALSE))",
        ),
        (
            f"prospects_{side}",
            distinct("prospect", f"{on} AND {REACH_OUT_SQL}"),
        ),
        (
            f"hours_{side}",
            f"fsum(CASE WHEN channel = 'research' THEN coalesce(duration_minutes, 0.0) "
            f"/ {MINUTES_PER_HOUR} ELSE 0.0 END) FILTER (WHERE {on})",
        ),
    )


RRROI_ROWS = Rows(
    "prospect_activities_now_and_before",
    "occurred_at",
    (
        (
            f"({EMAIL_SENT_SQL}) OR ({REACH_OUT_SQL} AND prospect IS NOT NULL) "
            "OR channel = 'research'",
            "neither an email sent, research, nor a reach out to a prospect",
        ),
    ),
    against=lambda ctx, period: ctx.earlier(period),
    earlier="side = 'before'",
    edge=_before_data,
    measures=(*_sides(NOW), *_sides(BEFORE)),
)
"""`_now_and_before`'s rows: the activities that are emails sent, research or reach outs to a
prospect, twice over (`side`), in the period and in its comparison period."""


ACTIVITY_DATE = "occurred_at (the activity's date)"
PROSPECT = "activities.account_id|activities.lead_id|activities.deal_id"
RESPONDED_SQL = "coalesce(direction = 'inbound', FALSE) OR coalesce(replied, FALSE)"
"""A prospect's response: an inbound activity, or a message marked replied."""
KPIS = (
    Kpi(
        "leads_created",
        "Leads created",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        ("leads.created_at",),
        "created_at of the lead",
        "count of leads with created_at in the period",
        relation=Rows("leads", "created_at"),
    ),
    Kpi(
        "leads_by_source",
        "Leads by source",
        STAGE,
        Unit.RATIO,
        Aggregation.DISTRIBUTION,
        ("leads.created_at", "leads.source"),
        "created_at of the lead",
        "per source: leads created in the period with that source / all leads created in it",
        category="source",
        relation=Rows("leads", "created_at", value="1.0", category="source"),
    ),
    Kpi(
        "accounts_contacted",
        "Accounts contacted",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT_DISTINCT,
        ("activities.occurred_at", "activities.channel", PROSPECT),
        ACTIVITY_DATE,
        "distinct accounts (activity's, else its lead's, else its deal's, else the lead) with "
        "a reach out",
        relation=Rows(
            "activity_prospects",
            "occurred_at",
            (IS_OUTBOUND, IS_NOT_RESEARCH, ("prospect IS NOT NULL", "no account and no lead")),
            key="prospect",
        ),
    ),
    # the fourth seed's "companies that have responded to outreach" (issue 18); SQL only
    Kpi(
        "accounts_responded",
        "Accounts responded",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT_DISTINCT,
        ("activities.occurred_at", "activities.direction|activities.replied", PROSPECT),
        "occurred_at (the inbound activity's, or the replied message's: a reply flag has no "
        "date of its own)",
        "distinct accounts (activity's, else its lead's, else its deal's, else the lead) with "
        "an inbound activity, or an activity marked replied, in the period",
        relation=Rows(
            "activity_prospects",
            "occurred_at",
            (
                (RESPONDED_SQL, "neither inbound nor marked replied"),
                ("prospect IS NOT NULL", "no account and no lead"),
            ),
            key="prospect",
        ),
    ),
    Kpi(
        "research_hours",
        "Research hours",
        STAGE,
        Unit.HOURS,
        Aggregation.SUM,
        ("activities.occurred_at", "activities.channel", "activities.duration_minutes"),
        ACTIVITY_DATE,
        "sum of duration_minutes / 60 over research activities (blank duration = 0)",
        relation=Rows(
            "activities",
            "occurred_at",
            (("channel = 'research'", "not research"),),
            value=f"coalesce(duration_minutes, 0.0) / {MINUTES_PER_HOUR}",
        ),
    ),
    Kpi(
        "research_hours_per_qualified_lead",
        "Research hours per qualified lead",
        STAGE,
        Unit.HOURS,
        Aggregation.RATIO,
        (
            "leads.sql_at",
            "leads.lead_id",
            "activities.occurred_at",
            "activities.channel",
            "activities.duration_minutes",
        ),
        "occurred_at of the research activity; sql_at of the lead",
        "research hours in the period / distinct leads with sql_at in the period",
        higher_is_better=False,
        no_denominator="no leads qualified in the period",
        relation=Rows(
            "research_and_qualified",
            "dated_at",
            numerator="hours",
            key="qualified",
            dimensions=_research_dimensions,
        ),
        variant="all_sqls",
    ),
    Kpi(
        "research_response_roi",
        "Research-response rate ROI (RRROI)",
        STAGE,
        Unit.RATIO,
        Aggregation.CUSTOM,
        (
            "activities.occurred_at",
            "activities.channel",
            "activities.duration_minutes",
            "activities.replied",
            "activities.bounced?",
            PROSPECT,
        ),
        "occurred_at of the activity, in the period and in the comparison period",
        "Δ email_response_rate / Δ (research_hours / accounts_contacted), period vs "
        "comparison; null when either period has fewer emails delivered or accounts contacted "
        "than small_sample, hours per account changed by less than 5%, or the comparison "
        "period starts before the activities",
        variant="period_change",
        relation=RRROI_ROWS,
        summarise=_rrroi_of,
    ),
)


# named variants (issue 18; salesmetrics.variants)


def _researched_dimensions(data: Context) -> list[str]:
    """The activities' owner and team, the researched lead's quality and source."""
    acts, leads = data["activities"].columns, data["leads"].columns
    return [*(d for d in PEOPLE if d in acts), *(d for d in LEAD_DIMENSIONS if d in leads)]


def _trial_summary(m: Mapping[str, float | None], threshold: int) -> Aggregate:
    """(Response rate of researched emails − that of the others) / research hours per
    researched prospect; null when fewer delivered emails than the small-sample threshold
    stand behind either rate, or no hours were spent.

    Custom: a difference of two ratios over a third, no kind aggregates rows into it."""
    n = {name: value or 0.0 for name, value in m.items()}  # blank: a group with no rows
    counts = int(n["researched"]), int(n["plain"])
    said = (
        f"researched: {int(n['researched_replied'])} of {counts[0]} delivered emails "
        f"replied; not researched: {int(n['plain_replied'])} of {counts[1]}"
    )
    if min(counts) < threshold:
        why = f"{said}: fewer than the small-sample threshold ({threshold}) in one of them"
        return Aggregate(None, note=why)
    hours = n["hours"] / max(int(n["prospects"]), 1)
    lift = n["researched_replied"] / counts[0] - n["plain_replied"] / counts[1]
    if hours == 0:
        return Aggregate(None, float(lift), 0.0, f"{said}; no research hours before them")
    return Aggregate(float(lift) / hours, float(lift), hours, said)


OPENING_SQL = "researched AND (researched_before_at IS NULL OR researched_before_at < kpi_start)"
"""A prospect's first researched email in the period: no researched email of it before, in
the period (earlier, or at the same instant listed before)."""
TRIAL_ROWS = Rows(
    "researched_emails",
    "occurred_at",
    measures=(
        ("researched", "count(*) FILTER (WHERE researched)"),
        ("plain", "count(*) FILTER (WHERE NOT researched)"),
        ("researched_replied", "count(*) FILTER (WHERE researched AND replied_email)"),
        ("plain_replied", "count(*) FILTER (WHERE NOT researched AND replied_email)"),
        ("prospects", f"count(*) FILTER (WHERE {OPENING_SQL})"),
        ("hours", f"fsum(hours_before) FILTER (WHERE {OPENING_SQL})"),
    ),
)
"""`_trial`'s rows: the delivered emails to a prospect, whether it was researched before each,
and the research hours before it."""


VARIANTS: tuple[Kpi, ...] = (
    Kpi(
        "research_hours_per_qualified_lead",
        "Qualified leads per research hour (researched leads)",
        STAGE,
        Unit.COUNT,
        Aggregation.RATIO,
        (
            "leads.sql_at",
            "leads.lead_id",
            "activities.lead_id",
            "activities.occurred_at",
            "activities.channel",
            "activities.duration_minutes",
        ),
        "occurred_at of the research activity (a lead's first research, for the leads)",
        "distinct leads researched for the first time in the period that became SQLs (sql_at) "
        "at or after that research / research hours on leads in the period (the seed's "
        "orientation; by quality, the leads of each quality); research on no lead not counted",
        no_denominator="no research hours on leads in the period",
        matures=Maturing(90, "qualified_at"),
        sample_size="rows",
        relation=Rows(
            "researched_leads",
            "occurred_at",
            numerator="generated",
            denominator="hours",
            outcome="qualified_at",
            dimensions=_researched_dimensions,
        ),
        variant="researched_leads",
    ),
    Kpi(
        "research_response_roi",
        "Research-response rate ROI (researched against not)",
        STAGE,
        Unit.RATIO,
        Aggregation.CUSTOM,
        next(k for k in KPIS if k.id == "research_response_roi").needs,
        "occurred_at of the email (research at any time before it)",
        "(email response rate of the emails delivered in the period to prospects researched "
        "before the email − that of the other emails delivered in it) / research hours per "
        "researched prospect before its first email in the period; null when fewer emails "
        "than small_sample stand behind either rate",
        variant="researched_against_not",
        relation=TRIAL_ROWS,
        summarise=_trial_summary,
    ),
)
