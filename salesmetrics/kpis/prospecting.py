"""Prospecting-stage KPIs: the leads coming in, the prospects reached, and the research time
spent on them, set against the leads it qualifies and the email responses it earns.

Reach outs, emails sent and the email response rate are defined in the outreach module. A
prospect is an account: the activity's account_id, else the account_id of its lead (leads),
else that of its deal (deals: a call logged only against a deal), else the lead itself; an
activity with no account, lead or deal account names no prospect.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from salesmetrics.coverage import first_day
from salesmetrics.kpis.base import (
    KEY,
    SMALL_SAMPLE,
    Aggregate,
    Aggregation,
    Context,
    Kpi,
    Maturing,
    Rows,
    Unit,
    at_edge,
    carrying,
    datetimes,
    fact,
    has,
    id_codes,
    in_period,
    period_rows,
    with_facts,
)
from salesmetrics.kpis.outreach import (
    IS_NOT_RESEARCH,
    IS_OUTBOUND,
    activities_in,
    is_email_sent,
    is_reach_out,
    responses,
)
from salesmetrics.kpis.views import NOT_RESEARCH, OUTBOUND, distinct
from salesmetrics.periods import Period

STAGE = "prospecting"
RESEARCH = "research"
MINUTES_PER_HOUR = 60.0
PEOPLE = ("owner", "team")  # the dimensions activities share with leads
LEAD_DIMENSIONS = ("quality", "source")  # a research activity takes these from its lead
TEXT = pd.StringDtype("pyarrow")
NOW, BEFORE = "now", "before"  # research_response_roi's `when` column
MIN_CHANGE = 0.05
"""research_response_roi divides by the change in research hours per prospect: a change
smaller than this share of the earlier hours is within a month's noise, and dividing by it
multiplies the noise (a 1% change in hours turns a 1 pp change in replies into 100%)."""


# shared helpers


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as text, or all blank when the input has no such column."""
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype=TEXT)
    return frame[column].astype(TEXT)


def _by_lead(data: Context, column: str) -> pd.Series:
    """Each lead's `column` by lead_id (the first non-blank one of a lead listed twice)."""
    if "leads" not in data or not has(data["leads"], column):
        return pd.Series(dtype=TEXT)
    leads = data["leads"]
    known = leads[(leads["lead_id"].notna() & leads[column].notna()).to_numpy()]
    known = known.drop_duplicates("lead_id")
    return pd.Series(known[column].astype(TEXT).to_numpy(), index=known["lead_id"].astype(TEXT))


def _of_lead(acts: pd.DataFrame, data: Context, column: str) -> pd.Series:
    """The `column` of each activity's lead, aligned to `acts`; blank without one."""
    values = _text(acts, "lead_id").map(_by_lead(data, column))
    return pd.Series(values.to_numpy(), index=acts.index).astype(TEXT)


def prospect(acts: pd.DataFrame, data: Context) -> pd.Series:
    """Each reach out's prospect, for `acts` a selection of the activities input: its account
    (the activity's account_id, else its lead's, else its deal's) or, with none, the lead
    itself; blank for other activities and for one with no account and no lead. As integer
    codes (an account's code >= 0, a lead's <= -2): only how many distinct prospects there are
    is asked.
    """
    key = _prospect_of(acts, data)
    key = np.where(is_reach_out(acts).to_numpy(dtype=bool) & (key != -1), key, -1)
    return pd.Series(key, index=acts.index, dtype="int64[pyarrow]").mask(key == -1)


def _prospect_of(acts: pd.DataFrame, data: Context) -> np.ndarray:
    """Each activity's prospect as `prospect` codes it, whatever the activity (research too);
    -1 for one with no account and no lead."""
    account = id_codes(data, "activities", "account_id", acts)
    for entity, column in (("leads", "lead_id"), ("deals", "deal_id")):
        owner = id_codes(data, "activities", column, acts)
        of = _account_of(data, entity, column, int(owner.max(initial=0)) + 1)
        account = np.where((account < 0) & (owner >= 0), of[np.maximum(owner, 0)], account)
    lead = id_codes(data, "activities", "lead_id", acts)
    return np.where(account >= 0, account, -2 - lead)  # -2 - (-1) = -1: neither


def _account_of(data: Context, entity: str, column: str, size: int) -> np.ndarray:
    """The account code of each code of `column` (lead_id of leads, deal_id of deals) below
    `size`, from its first listing with an account; -1 for one without, or not in the input."""
    table = np.full(size, -1, dtype=np.int64)
    if entity not in data or not has(data[entity], "account_id"):
        return table
    rows = data[entity]
    key = id_codes(data, entity, column, rows)
    account = id_codes(data, entity, "account_id", rows)
    known = (key >= 0) & (account >= 0) & (key < size)
    codes, first = np.unique(key[known], return_index=True)
    table[codes] = account[known][first]
    return table


def _research(acts: pd.DataFrame) -> pd.Series:
    """Hours of research activities (blank duration = 0); 0 for any other activity."""
    research = (acts["channel"] == RESEARCH).fillna(False).astype(bool)
    minutes = acts["duration_minutes"].astype(float).fillna(0.0)
    return minutes.where(research.to_numpy(), 0.0) / MINUTES_PER_HOUR


def _research_rows(data: Context, period: Period) -> pd.DataFrame:
    acts = activities_in(data, period)
    acts = acts[(acts["channel"] == RESEARCH).fillna(False).astype(bool).to_numpy()]
    return acts.assign(value=_research(acts))


# leads_created, leads_by_source


def _leads_created(data: Context, period: Period) -> pd.DataFrame:
    return period_rows(data, "leads", lambda: data["leads"], "created_at", period)


def _source_weights(data: Context, period: Period) -> pd.DataFrame:
    """Leads created in the period, 1 each; a blank source is the category "(blank)"."""
    return _leads_created(data, period).assign(value=1.0)


# accounts_contacted


def _contacted(data: Context, period: Period) -> pd.DataFrame:
    """Reach outs to a prospect, keyed by it: an account reached by two reps counts once in
    total."""
    rows = _prospect_rows(data, period)
    rows = rows[rows["prospect"].notna().to_numpy()]
    return rows.assign(**{KEY: rows["prospect"]})


# research_hours_per_qualified_lead


def _hours_and_qualified(data: Context, period: Period) -> pd.DataFrame:
    """Research activities in the period (their hours the `numerator`, with the quality and
    source of their lead) and leads with sql_at in the period (their lead_id the `key`) on
    one frame: a group's research hours over its distinct leads qualified.

    An activity's hours go to its own owner, and to its lead's quality and source, so a
    breakdown by quality sets the research on hot leads against the hot leads qualified.
    Research without a lead counts in the total and under a blank quality.
    """
    research = _research_rows(data, period)
    leads = data["leads"]
    qualified = period_rows(data, "leads", lambda: leads, "sql_at", period)
    dims = _research_dimensions(data)
    people = [d for d in dims if d in PEOPLE]
    lead_dims = [d for d in dims if d in LEAD_DIMENSIONS]
    hours = pd.DataFrame(
        {
            **{d: research[d].astype(TEXT) for d in people},
            **{d: _of_lead(research, data, d) for d in lead_dims},
            "numerator": research["value"].astype(float),
            KEY: pd.Series(pd.NA, index=research.index, dtype=TEXT),
        }
    )
    leads_qualified = pd.DataFrame(
        {
            **{d: qualified[d].astype(TEXT) for d in [*people, *lead_dims]},
            "numerator": 0.0,
            KEY: qualified["lead_id"].astype(TEXT),
        },
        index=qualified.index,
    )
    return pd.concat([hours, leads_qualified], ignore_index=True)


def _research_dimensions(data: Context) -> list[str]:
    """The dimensions research hours per qualified lead can be broken down by: the owner and
    team where both activities and leads have them, the lead's quality and source."""
    acts, leads = data["activities"].columns, data["leads"].columns
    people = [d for d in PEOPLE if d in acts and d in leads]
    return [*people, *(d for d in LEAD_DIMENSIONS if d in leads)]


# research_response_roi


def _prospect_rows(data: Context, period: Period) -> pd.DataFrame:
    """The period's activities that are emails sent, research or reach outs to a prospect, each
    with `replied` and `delivered` (emails), `hours` (research) and `prospect` (reach outs);
    worked out once for every activity, as finding each one's prospect joins it to its lead.
    """
    return period_rows(data, "prospects", lambda: _all_prospect_rows(data), "occurred_at", period)


def _all_prospect_rows(data: Context) -> pd.DataFrame:
    acts = data["activities"]
    replied, delivered = responses(acts)
    rows = carrying(data, acts, "occurred_at").assign(
        replied=replied.astype(float),
        delivered=delivered.astype(float),
        hours=_research(acts) if "duration_minutes" in acts.columns else np.nan,
        prospect=prospect(acts, data),
    )
    useful = is_email_sent(acts) | rows["prospect"].notna() | (acts["channel"] == RESEARCH)
    return rows[useful.fillna(False).astype(bool).to_numpy()]


def _one_period(data: Context, period: Period, when: str) -> pd.DataFrame:
    return _prospect_rows(data, period).assign(when=when)


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


def _now_and_before(data: Context, period: Period) -> pd.DataFrame:
    """The period's rows (`when` = "now") and the comparison period's (`when` = "before"),
    with the small-sample threshold as a fact, and no value when the comparison period
    starts before the activities do (`_before_data`)."""
    now = _one_period(data, period, NOW)
    before = _one_period(data, data.earlier(period), BEFORE)
    rows = pd.concat([now, before], ignore_index=True)
    return at_edge(with_facts(rows, small_sample=data.small_sample), *_before_data(data, period))


def _rrroi(rows: pd.DataFrame) -> Aggregate:
    """`_rrroi_of` the pandas rows' measures (as RRROI_ROWS')."""
    when = rows["when"].astype(str).to_numpy() if len(rows) else np.array([], dtype=str)
    measures: dict[str, float | None] = {}
    for side in (NOW, BEFORE):
        part = rows[when == side]
        measures[f"delivered_{side}"] = float(part["delivered"].sum())
        measures[f"replied_{side}"] = float(part["replied"].sum())
        measures[f"prospects_{side}"] = float(part["prospect"].nunique())
        measures[f"hours_{side}"] = float(part["hours"].sum())
    return _rrroi_of(measures, int(fact(rows, "small_sample", SMALL_SAMPLE)))


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
        _leads_created,
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
        _source_weights,
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
        _contacted,
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
        None,
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
        _research_rows,
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
        _hours_and_qualified,
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
        _now_and_before,
        combine=_rrroi,
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


def _trial(data: Context, period: Period) -> pd.DataFrame:
    """The period's delivered emails to a prospect (`replied`, and `researched` when the
    prospect had research before the email); on each prospect's first researched email in
    the period, `first` and the research `hours` on it before that email, for `_trial_of`:
    the seed's trial, read from who was researched before being reached."""
    rows = data.memo("prospecting.trial", lambda: _all_trial_rows(data))
    stamps = datetimes(rows["occurred_at"]).to_numpy()
    research = rows["research"].to_numpy(dtype=bool)
    prospects = rows["prospect"].to_numpy(dtype=np.int64)
    first = pd.Series(stamps[research]).groupby(prospects[research]).min()
    inside = in_period(rows["occurred_at"], period).to_numpy() & ~research
    emails = rows[inside]
    at = stamps[inside]
    began = first.reindex(prospects[inside]).to_numpy(dtype="datetime64[us]")
    researched = ~np.isnat(began) & (began < at)
    opened = (
        pd.DataFrame({"prospect": prospects[inside], "at": at, "row": np.arange(len(at))})[
            researched
        ]
        .sort_values(["at", "row"], kind="stable")
        .drop_duplicates("prospect")
    )
    hours = pd.DataFrame({"prospect": prospects[research], "at": stamps[research]})
    hours = hours.assign(hours=rows["hours"].to_numpy(dtype=float)[research])
    before = hours.merge(opened[["prospect", "at", "row"]], on="prospect", suffixes=("", "_email"))
    spent = before[before["at"] < before["at_email"]].groupby("row")["hours"].sum()
    opening = np.zeros(len(at), dtype=bool)
    opening[opened["row"].to_numpy()] = True
    spent_hours = np.zeros(len(at))
    spent_hours[opened["row"].to_numpy()] = spent.reindex(
        opened["row"].to_numpy(), fill_value=0.0
    ).to_numpy()
    emails = emails.assign(researched=researched, first=opening, hours=spent_hours)
    return with_facts(emails, small_sample=data.small_sample)


def _all_trial_rows(data: Context) -> pd.DataFrame:
    """Every delivered email and research activity on a prospect, with `replied`, `hours`
    (research) and `prospect` (its code; research too), once per report."""
    acts = data["activities"]
    replied, delivered = responses(acts)
    research = (acts["channel"] == RESEARCH).fillna(False).astype(bool)
    key = _prospect_of(acts, data)
    keep = ((delivered | research).to_numpy(dtype=bool)) & (key != -1)
    keep &= acts["occurred_at"].notna().to_numpy(dtype=bool)
    rows = carrying(data, acts, "occurred_at").assign(
        replied=replied.astype(float).to_numpy(),
        research=research.to_numpy(),
        hours=_research(acts).to_numpy() if "duration_minutes" in acts.columns else 0.0,
        prospect=key,
    )
    return rows[keep]


def _trial_of(rows: pd.DataFrame) -> Aggregate:
    """`_trial_summary` of the pandas rows' measures (as TRIAL_ROWS')."""
    researched = rows["researched"].to_numpy(dtype=bool, na_value=False)
    replied = rows["replied"].to_numpy(dtype=float, na_value=0.0)
    first = rows["first"].to_numpy(dtype=bool, na_value=False)
    measures: dict[str, float | None] = {
        "researched": float(researched.sum()),
        "plain": float((~researched).sum()),
        "researched_replied": float(replied[researched].sum()),
        "plain_replied": float(replied[~researched].sum()),
        "prospects": float(first.sum()),
        "hours": float(rows["hours"].to_numpy(dtype=float)[first].sum()),
    }
    return _trial_summary(measures, int(fact(rows, "small_sample", SMALL_SAMPLE)))


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
        None,
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
        _trial,
        combine=_trial_of,
        variant="researched_against_not",
        relation=TRIAL_ROWS,
        summarise=_trial_summary,
    ),
)
