"""Qualification-stage KPIs: how fast leads are answered, how many qualify, and how many of
them become opportunities and customers.

Definitions shared by these KPIs:
- A contact is an outbound activity on a lead (activities.lead_id) in any channel but
  research (research is time spent on the lead, not a message to it). A blank direction counts
  as outbound, the schema's default.
- A lead's first response is its `first_response_at` when it has one (the CRM's own record of
  the response wins), else its first contact at or after its created_at.
- A lead became a customer when it has a won deal (deals.lead_id), or a converted_at date or
  the converted flag that its mapping declares a customer conversion (`conversion: customer`,
  or no `conversion`); its date is that converted_at, else the earliest closed_at of its won
  deals. A conversion declared `opportunity` (Salesforce's Converted: lead to contact, account
  and opportunity) counts in lead_to_opportunity_rate instead, never as a customer.
- Ratios over leads count distinct lead_ids in the group (a lead exported twice counts once):
  their rows carry the lead_id as their `KEY`, and numerator and denominator count the
  distinct leads of the rows where each is nonzero.

Each KPI declares its rows as SQL (`relation`) over the shared views of `kpis.views`
(contacts, lead_responses, reply_waits, lead_conversions), next to the pandas rows the
engines are compared with while the KPIs move onto DuckDB.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from salesmetrics.anomalies import duration, implausible, negative
from salesmetrics.kpis import views
from salesmetrics.kpis.base import (
    KEY,
    LEFT_OUT,
    Aggregation,
    Context,
    Kpi,
    Maturing,
    Rows,
    Unit,
    at_edge,
    carrying,
    datetimes,
    has,
    id_codes,
    in_period,
    period_rows,
)
from salesmetrics.kpis.views import NOT_CONTACT
from salesmetrics.periods import Period

STAGE = "qualification"
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
DATE_ONLY = "created_at has no time of day: hours count from midnight"
# outcome dates on cohort rows (Kpi.matures): when the lead was answered, got a deal, converted
RESPONDED = "responded_at"
REPLIED = "replied_at"
OPPORTUNITY = "opportunity_at"
CONVERTED_ON = "customer_at"


# shared helpers


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column, or all blank (as datetimes) when the input has no such column."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")


def _naive(values: pd.Series) -> pd.Series:
    """Datetimes as numpy datetime64, for arithmetic and comparisons across frames."""
    return datetimes(values)


def outbound_contacts(data: Context) -> pd.DataFrame:
    """Outbound activities other than research: lead_id and deal_id as integer codes (-1 for
    blank), the activity's date as a numpy datetime."""
    return data.memo("qualification.contacts", lambda: _outbound_contacts(data))


def _outbound_contacts(data: Context) -> pd.DataFrame:
    if "activities" not in data:
        none = np.empty(0, dtype=np.int64)
        return pd.DataFrame({"lead_id": none, "deal_id": none, "at": none.astype("M8[us]")})
    acts = data["activities"]
    direction = acts["direction"] if "direction" in acts.columns else None
    outbound = (
        (direction.fillna("outbound") == "outbound")
        if direction is not None
        else pd.Series(True, index=acts.index)
    )
    contact = ~acts["channel"].isin(NOT_CONTACT).fillna(False)
    keep = (outbound & contact & acts["occurred_at"].notna()).fillna(False).astype(bool)
    ids = [c for c in ("lead_id", "deal_id") if c in acts.columns]
    rows = acts[[*ids, "occurred_at"]][keep.to_numpy()]  # the columns first, then the rows
    return pd.DataFrame(
        {
            "lead_id": id_codes(data, "activities", "lead_id", rows),
            "deal_id": id_codes(data, "activities", "deal_id", rows),
            "at": _naive(rows["occurred_at"]).to_numpy(),
        }
    )


def first_response(data: Context, leads: pd.DataFrame) -> pd.Series:
    """Each lead's first response (numpy datetimes, aligned to `leads`, a selection of the
    leads input): first_response_at when the lead has one, else its first contact at or after
    its created_at; NaT if none. Worked out once per report for every lead.
    """
    every = data.memo("qualification.first_response", lambda: _first_response(data, data["leads"]))
    return every.loc[leads.index]


def _first_response(data: Context, leads: pd.DataFrame) -> pd.Series:
    recorded = _naive(_column(leads, "first_response_at"))
    if not {"lead_id", "created_at"} <= set(leads.columns):
        return recorded  # no contact can be tied to a lead, or dated after its creation
    contacts = outbound_contacts(data)
    contacts = contacts[(contacts["lead_id"] >= 0).to_numpy()]
    if not len(contacts) or not len(leads):
        return recorded
    own = pd.DataFrame(
        {
            "pos": np.arange(len(leads)),
            "lead_id": id_codes(data, "leads", "lead_id", leads),
            "created": _naive(leads["created_at"]).to_numpy(),
        }
    )
    pairs = own.merge(contacts[["lead_id", "at"]], on="lead_id")
    pairs = pairs[(pairs["at"] >= pairs["created"]).to_numpy()]
    first = pairs.groupby("pos")["at"].min()
    found = pd.Series(first.reindex(np.arange(len(leads))).to_numpy(), index=leads.index)
    return recorded.fillna(found)


def conversion_date(data: Context, leads: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each lead's conversion date (converted_at, else the earliest closed_at of its won deals)
    and whether it converted at all (that date, a won deal, or the converted flag), for a
    selection of the leads input; worked out once per report for every lead.
    """
    date, converted = data.memo(
        "qualification.conversion", lambda: _conversion_date(data, data["leads"])
    )
    return date.loc[leads.index], converted.loc[leads.index]


def _declared(leads: pd.DataFrame, kind: str) -> pd.Series:
    """Whether each lead's converted/converted_at is a conversion of `kind` (customer or
    opportunity), as its mapping declares; a lead without a declaration converts to customer."""
    if "conversion" not in leads.columns:
        return pd.Series(kind == "customer", index=leads.index)
    return (leads["conversion"].fillna("customer") == kind).astype(bool)


def _conversion_flag(leads: pd.DataFrame) -> pd.Series:
    """The converted flag, or a converted_at date: the lead converted, to what its mapping says."""
    flag = (
        leads["converted"].fillna(False).astype(bool)
        if "converted" in leads.columns
        else pd.Series(False, index=leads.index)
    )
    return (flag | _naive(_column(leads, "converted_at")).notna()).astype(bool)


def _conversion_date(data: Context, leads: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    customer = _declared(leads, "customer")
    date = _naive(_column(leads, "converted_at")).where(customer.to_numpy())
    won_deal = pd.Series(False, index=leads.index)
    if "deals" in data and has(data["deals"], "lead_id") and "lead_id" in leads.columns:
        lead_ids = leads["lead_id"].astype(object)
        deals = data["deals"]
        won = deals[((deals["status"] == "won") & deals["lead_id"].notna()).fillna(False)]
        closed = pd.DataFrame(
            {"lead_id": won["lead_id"].astype(object), "at": _naive(_column(won, "closed_at"))}
        )
        earliest = closed.groupby("lead_id")["at"].min()
        date = date.fillna(pd.Series(lead_ids.map(earliest).to_numpy(), index=leads.index))
        won_deal = lead_ids.isin(closed["lead_id"]).astype(bool)
    converted = (date.notna() | won_deal | (_conversion_flag(leads) & customer)).astype(bool)
    return date, converted


def leads_created(data: Context, period: Period) -> pd.DataFrame:
    return period_rows(data, "leads", lambda: data["leads"], "created_at", period)


def share_of_leads(leads: pd.DataFrame, hit: np.ndarray, **outcome: np.ndarray) -> pd.DataFrame:
    """Rows of a ratio over leads: numerator 1 where `hit`, denominator 1, the lead_id as the
    `KEY` (distinct leads are counted), and the outcome date column(s) of the same-age view."""
    return leads.assign(
        numerator=hit.astype(float), denominator=1.0, **{KEY: leads["lead_id"]}, **outcome
    )


def _date_only(data: Context, period: Period) -> tuple[str | None, bool]:
    """A note when no lead's created_at has a time of day (an export of dates): hours are
    then counted from midnight, so a lead answered the same morning looks hours late.
    Decided on the whole leads input, as it is a property of the export."""

    def build() -> str | None:
        created = _naive(data["leads"]["created_at"]).dropna()
        return (
            DATE_ONLY if len(created) and bool((created == created.dt.normalize()).all()) else None
        )

    found: str | None = data.memo("qualification.date_only", build)
    return found, True


def _hours(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (_naive(later) - _naive(earlier)).dt.total_seconds() / SECONDS_PER_HOUR


# lead_response_time_hours, leads_responded_within_1h


def _response_hours(data: Context, period: Period) -> pd.DataFrame:
    """Leads created in the period with hours to their first response; never-answered leads
    are left out (they have no time), and counted by leads_responded_within_1h instead. A lead
    responded to on a day before it was created, or with a date out of range, is left out and
    counted in the note (salesmetrics.anomalies).
    """
    leads = leads_created(data, period)
    answered = first_response(data, leads)
    return _time_to(leads, answered, "first_response_at", SECONDS_PER_HOUR, RESPONDED)


def _time_to(
    leads: pd.DataFrame, outcome: pd.Series, field: str, unit: float, dated: str
) -> pd.DataFrame:
    """The leads with a dated outcome, `value` the time from creation to it in `unit` seconds,
    the outcome date as the `dated` column (the same-age view's), and left out where the dates
    are impossible (the outcome on a day before creation, or either `field` or created_at out
    of the plausible range)."""
    when = pd.Series(outcome.to_numpy(), index=leads.index)
    took = duration(when, leads["created_at"], unit)
    impossible = negative(when, leads["created_at"]) | implausible(leads, "created_at", field)
    rows = leads.assign(value=took, **{LEFT_OUT: impossible, dated: when.to_numpy()})
    return rows[~np.isnan(took)]


def _responded_within(data: Context, period: Period) -> pd.DataFrame:
    leads = leads_created(data, period)
    answered = first_response(data, leads)
    hours = _hours(answered, leads["created_at"])
    within = (hours <= data.settings.response_within_hours).fillna(False).to_numpy(dtype=bool)
    rows = share_of_leads(leads, within, **{RESPONDED: answered.to_numpy()})
    return at_edge(rows, *_date_only(data, period))


# average_response_time_hours


def _reply_hours(data: Context, period: Period) -> pd.DataFrame:
    """Inbound activities in the period with hours until the next outbound contact (strictly
    later) on the same lead or the same deal, whichever comes first; unanswered ones are left
    out. Each inbound message counts, so two messages before one reply give two waits.
    """
    return period_rows(data, "reply_hours", lambda: _all_reply_hours(data), "occurred_at", period)


def _all_reply_hours(data: Context) -> pd.DataFrame:
    acts = data["activities"]
    inbound = carrying(data, acts, "occurred_at", "lead_id", "deal_id")[
        (acts["direction"] == "inbound").fillna(False).astype(bool).to_numpy()
    ]
    at = _naive(inbound["occurred_at"]).to_numpy()
    replies = outbound_contacts(data)
    found = []
    for key in ("lead_id", "deal_id"):
        if key not in inbound.columns:
            continue
        codes = id_codes(data, "activities", key, inbound)
        left = pd.DataFrame({"pos": np.arange(len(inbound)), key: codes, "at": at})
        left = left[(left[key] >= 0).to_numpy()].sort_values("at")
        right = replies[(replies[key] >= 0).to_numpy()][[key, "at"]]
        right = right.assign(reply_at=right["at"]).sort_values("at")
        if len(left) and len(right):
            matched = pd.merge_asof(
                left, right, on="at", by=key, direction="forward", allow_exact_matches=False
            )
            found.append(matched[["pos", "reply_at"]])
    both = pd.concat(found) if found else pd.DataFrame({"pos": [], "reply_at": []})
    first = both.groupby("pos")["reply_at"].min().reindex(np.arange(len(inbound)))
    hours = (_naive(first) - at).dt.total_seconds().to_numpy() / SECONDS_PER_HOUR
    rows = carrying(data, inbound, "occurred_at").assign(value=hours, **{REPLIED: first.to_numpy()})
    return rows[rows["value"].notna().to_numpy()]


# leads_qualified, qualification_rate, mql_to_sql_rate, avg_follow_ups_to_qualify


def leads_qualified(data: Context, period: Period) -> pd.DataFrame:
    return period_rows(data, "leads", lambda: data["leads"], "sql_at", period)


def _qualification(data: Context, period: Period) -> pd.DataFrame:
    """Leads first contacted in the period (first response, as for lead response time), and
    whether each has reached SQL (sql_at set): a cohort of contacted leads, so a lead counts in
    the period of its first contact only.
    """
    leads = data["leads"]
    contacted = pd.Series(first_response(data, leads).to_numpy(), index=leads.index)
    rows = leads[in_period(contacted, period).to_numpy()]
    return share_of_leads(rows, rows["sql_at"].notna().to_numpy(dtype=bool))


def _mql_to_sql(data: Context, period: Period) -> pd.DataFrame:
    rows = period_rows(data, "leads", lambda: data["leads"], "mql_at", period)
    return share_of_leads(rows, rows["sql_at"].notna().to_numpy(dtype=bool))


def _follow_ups(data: Context, period: Period) -> pd.DataFrame:
    """Leads qualified in the period with the number of contacts on them before their sql_at;
    a lead qualified without any contact counts with 0.
    """
    leads = leads_qualified(data, period)
    every = data.memo("qualification.follow_ups", lambda: _contacts_before_sql(data))
    return leads.assign(value=every.loc[leads.index].to_numpy(dtype=float))


def _contacts_before_sql(data: Context) -> pd.Series:
    """Every lead's number of contacts before its sql_at (0 without sql_at or contacts)."""
    leads = data["leads"]
    contacts = outbound_contacts(data)
    own = pd.DataFrame(
        {
            "pos": np.arange(len(leads)),
            "lead_id": id_codes(data, "leads", "lead_id", leads),
            "sql_at": _naive(leads["sql_at"]).to_numpy(),
        }
    )
    linked = contacts[(contacts["lead_id"] >= 0).to_numpy()]
    pairs = own.merge(linked[["lead_id", "at"]], on="lead_id")
    before = pairs[(pairs["at"] < pairs["sql_at"]).to_numpy()]
    counts = before.groupby("pos").size().reindex(np.arange(len(leads)), fill_value=0)
    return pd.Series(counts.to_numpy(dtype=float), index=leads.index)


# lead_to_opportunity_rate, lead_conversion_rate, lead_to_customer_days


def _lead_to_opportunity(data: Context, period: Period) -> pd.DataFrame:
    """Leads created in the period, hit when a deal names them or their mapping declares
    their conversion an opportunity (Salesforce's Converted), and when that first happened
    (the outcome date of the same-age view: the conversion, or the lead's first deal)."""
    leads = leads_created(data, period)
    declared = _declared(leads, "opportunity")
    hit = (_conversion_flag(leads) & declared).to_numpy(dtype=bool)
    opportunity = _naive(_column(leads, "converted_at")).where(declared.to_numpy())
    if "deals" in data and has(data["deals"], "lead_id") and "lead_id" in leads.columns:
        deals = data["deals"]
        ids = leads["lead_id"].astype(object)
        hit = hit | ids.isin(deals["lead_id"].dropna().astype(object)).to_numpy(dtype=bool)
        if "created_at" in deals.columns:
            first = data.memo("qualification.first_deal", lambda: _first_deal(deals))
            dealt = pd.Series(_naive(ids.map(first)).to_numpy(), index=leads.index)
            opportunity = pd.Series(
                np.fmin(opportunity.to_numpy(), dealt.to_numpy()), index=leads.index
            )
    return share_of_leads(leads, hit, **{OPPORTUNITY: opportunity.to_numpy()})


def _first_deal(deals: pd.DataFrame) -> pd.Series:
    """Each lead_id's earliest deal created_at."""
    linked = deals.dropna(subset=["lead_id"])
    return _naive(linked["created_at"]).groupby(linked["lead_id"].astype(object).to_numpy()).min()


def _lead_conversion(data: Context, period: Period) -> pd.DataFrame:
    """Leads created in the period and whether each converted. With conversion_window_days set,
    only a conversion dated within that many days of created_at counts: a won deal without a
    closed_at or the converted flag alone cannot show when it happened, so it does not count.
    """
    leads = leads_created(data, period)
    date, converted = conversion_date(data, leads)
    window = data.settings.conversion_window_days
    if window is not None:
        days = (date - _naive(leads["created_at"])).dt.total_seconds() / SECONDS_PER_DAY
        converted = (days <= window).fillna(False).astype(bool)
    return share_of_leads(leads, converted.to_numpy(dtype=bool), **{CONVERTED_ON: date.to_numpy()})


def _customer_days(data: Context, period: Period) -> pd.DataFrame:
    """Leads created in the period that converted with a known date, with the days it took;
    a conversion dated on a day before creation, or a date out of range, is left out and
    counted in the note (salesmetrics.anomalies).
    """
    leads = leads_created(data, period)
    date, _ = conversion_date(data, leads)
    return _time_to(leads, date, "converted_at", SECONDS_PER_DAY, CONVERTED_ON)


# opportunities_created, opportunities_created_amount


def opportunities_created(data: Context, period: Period) -> pd.DataFrame:
    return period_rows(data, "deals", lambda: data["deals"], "created_at", period)


def _opportunity_amount(data: Context, period: Period) -> pd.DataFrame:
    deals = opportunities_created(data, period)
    return deals.assign(value=deals["amount"])


CONTACTED = "activities.lead_id|leads.first_response_at"
TIED = "leads.lead_id|leads.first_response_at"  # an activity reaches a lead by its lead_id
RESPONSE = (
    "first_response_at if the lead has one, else its first outbound non-research activity at "
    "or after created_at"
)
CONVERTED = "deals.lead_id|leads.converted_at|leads.converted"
LEADS = "leads.lead_id"  # ratios over leads count distinct lead ids


def _yes(condition: str) -> str:
    """A numerator of 1 where `condition` holds, else 0."""
    return f"CASE WHEN {condition} THEN 1.0 ELSE 0.0 END"


HOURS_TO_RESPONSE = "(epoch_us(responded_at) - epoch_us(created_at)) / 1000000.0 / 3600.0"
DAYS_TO_CUSTOMER = "(epoch_us(customer_at) - epoch_us(created_at)) / 1000000.0 / 86400.0"
CUSTOMER_SQL = (
    "({conversion_window_days} IS NULL AND customer) "
    f"OR {DAYS_TO_CUSTOMER} <= {{conversion_window_days}}"
)
FOLLOW_UPS_SQL = (
    "CAST((SELECT count(*) FROM contacts c WHERE c.lead_id = leads.lead_id "
    "AND c.occurred_at < leads.sql_at) AS DOUBLE)"
)


def _responses(source: str, since: str) -> Rows:
    """Leads of `source` placed by `since`, each valued at the hours from it to its first
    response (lead_response_time_hours: from creation; its variants: from assignment)."""
    return Rows(
        source,
        since,
        (("responded_at IS NOT NULL", "never responded to"),),
        value=views.duration("responded_at", since, SECONDS_PER_HOUR),
        left_out=views.negative("responded_at", since)
        + " OR "
        + views.implausible(since, "first_response_at"),
        outcome=RESPONDED,
    )


RESPONSE_ROWS = _responses("lead_responses", "created_at")
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "lead_response_time_hours",
        "Lead response time (median hours)",
        STAGE,
        Unit.HOURS,
        Aggregation.MEDIAN,
        ("leads.created_at", CONTACTED, TIED),
        "created_at (leads)",
        f"median hours from created_at to the first response ({RESPONSE}) over leads created "
        "in the period that were responded to; leads responded to before they were created, or "
        "with a date out of range, left out",
        _response_hours,
        higher_is_better=False,
        left_out=(
            "{n} leads with impossible dates left out (responded to before they were created, "
            "or a date outside the plausible range: see salesmetrics validate)"
        ),
        benchmark="under 1 hour",
        matures=Maturing(7, RESPONDED),
        relation=RESPONSE_ROWS,
        variant="median",
    ),
    Kpi(
        "leads_responded_within_1h",
        "Leads responded to within 1 hour",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (LEADS, "leads.created_at", CONTACTED),
        "created_at (leads)",
        "distinct leads created in the period with a first response within "
        "response_within_hours (1 by default) of created_at / distinct leads created in the "
        "period, never-answered ones included",
        _responded_within,
        matures=Maturing(1, RESPONDED),
        relation=Rows(
            "lead_responses",
            "created_at",
            numerator=_yes(f"{HOURS_TO_RESPONSE} <= {{response_within_hours}}"),
            denominator="1.0",
            key="lead_id",
            outcome=RESPONDED,
            edge=_date_only,
        ),
    ),
    Kpi(
        "average_response_time_hours",
        "Average response time (hours)",
        STAGE,
        Unit.HOURS,
        Aggregation.MEAN,
        ("activities.direction", "activities.occurred_at", "activities.lead_id|activities.deal_id"),
        "occurred_at (inbound activities)",
        "mean hours from each inbound activity in the period to the next outbound non-research "
        "activity on the same lead or deal, over inbound activities that were answered",
        _reply_hours,
        higher_is_better=False,
        benchmark="within 1 hour",
        matures=Maturing(7, REPLIED),
        relation=Rows(
            "reply_waits",
            "occurred_at",
            (("replied_at IS NOT NULL", "never answered"),),
            value="wait_hours",
            outcome=REPLIED,
        ),
        variant="each_message",
    ),
    Kpi(
        "leads_qualified",
        "Leads qualified (SQL)",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        ("leads.sql_at",),
        "sql_at (leads)",
        "count of leads with sql_at in the period",
        leads_qualified,
        relation=Rows("leads", "sql_at"),
    ),
    Kpi(
        "qualification_rate",
        "Qualification rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (LEADS, "leads.sql_at", CONTACTED),
        "the lead's first contact (its first response)",
        f"distinct leads first contacted in the period ({RESPONSE}) that have an sql_at / "
        "distinct leads first contacted in the period",
        _qualification,
        matures=Maturing(30, "sql_at"),
        relation=Rows(
            "lead_responses",
            "responded_at",
            numerator=_yes("sql_at IS NOT NULL"),
            denominator="1.0",
            key="lead_id",
            outcome="sql_at",
        ),
    ),
    Kpi(
        "mql_to_sql_rate",
        "MQL to SQL rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (LEADS, "leads.mql_at", "leads.sql_at"),
        "mql_at (leads)",
        "distinct leads with mql_at in the period that have an sql_at / distinct leads with "
        "mql_at in the period",
        _mql_to_sql,
        matures=Maturing(30, "sql_at"),
        relation=Rows(
            "leads",
            "mql_at",
            numerator=_yes("sql_at IS NOT NULL"),
            denominator="1.0",
            key="lead_id",
            outcome="sql_at",
        ),
    ),
    Kpi(
        "avg_follow_ups_to_qualify",
        "Average follow-ups to qualify",
        STAGE,
        Unit.COUNT,
        Aggregation.MEAN,
        (LEADS, "leads.sql_at", "activities.lead_id"),
        "sql_at (leads)",
        "mean, over leads with sql_at in the period, of the number of outbound non-research "
        "activities on the lead before its sql_at (0 when none)",
        _follow_ups,
        higher_is_better=False,
        benchmark="6-8 touches",
        relation=Rows("leads", "sql_at", value=FOLLOW_UPS_SQL),
    ),
    Kpi(
        "lead_to_opportunity_rate",
        "Lead to opportunity rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (LEADS, "leads.created_at", "deals.lead_id|leads.conversion"),
        "created_at (leads)",
        "distinct leads created in the period with a deal (deals.lead_id) or a conversion its "
        "mapping declares an opportunity (conversion: opportunity) / distinct leads created in "
        "the period",
        _lead_to_opportunity,
        matures=Maturing(60, OPPORTUNITY),
        relation=Rows(
            "lead_conversions",
            "created_at",
            numerator=_yes("opportunity"),
            denominator="1.0",
            key="lead_id",
            outcome=OPPORTUNITY,
        ),
    ),
    Kpi(
        "lead_conversion_rate",
        "Lead conversion rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (LEADS, "leads.created_at", CONVERTED),
        "created_at (leads)",
        "distinct leads created in the period that became customers: a won deal "
        "(deals.lead_id), or a converted_at or converted flag declared a customer conversion "
        "(conversion: customer, or none) / distinct leads created in the period; with "
        "conversion_window_days, only conversions dated within that many days of created_at",
        _lead_conversion,
        benchmark="2-5%",
        matures=Maturing(180, CONVERTED_ON, setting="conversion_window_days"),
        relation=Rows(
            "lead_conversions",
            "created_at",
            numerator=_yes(CUSTOMER_SQL),
            denominator="1.0",
            key="lead_id",
            outcome=CONVERTED_ON,
        ),
    ),
    Kpi(
        "lead_to_customer_days",
        "Lead to customer (median days)",
        STAGE,
        Unit.DAYS,
        Aggregation.MEDIAN,
        (
            "leads.created_at",
            "deals.lead_id|leads.converted_at",
            "leads.lead_id|leads.converted_at",
        ),
        "created_at (leads)",
        "median days from created_at to becoming a customer (a customer conversion's "
        "converted_at, else the earliest closed_at of the lead's won deals) over leads created "
        "in the period that became customers; leads converted before they were created, or "
        "with a date out of range, left out",
        _customer_days,
        higher_is_better=False,
        left_out=(
            "{n} leads with impossible dates left out (converted before they were created, or "
            "a date outside the plausible range: see salesmetrics validate)"
        ),
        matures=Maturing(180, CONVERTED_ON),
        relation=Rows(
            "lead_conversions",
            "created_at",
            (("customer_at IS NOT NULL", "not a customer, or not when"),),
            value=views.duration(CONVERTED_ON, "created_at", SECONDS_PER_DAY),
            left_out=views.negative(CONVERTED_ON, "created_at")
            + " OR "
            + views.implausible("created_at", "converted_at"),
            outcome=CONVERTED_ON,
        ),
    ),
    Kpi(
        "opportunities_created",
        "Opportunities created",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        ("deals.created_at",),
        "created_at (deals)",
        "count of deals with created_at in the period, whatever their status",
        opportunities_created,
        relation=Rows("deals", "created_at"),
    ),
    Kpi(
        "opportunities_created_amount",
        "Opportunities created (amount)",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        ("deals.created_at", "deals.amount"),
        "created_at (deals)",
        "sum of amount over deals with created_at in the period, whatever their status",
        _opportunity_amount,
        relation=Rows("deals", "created_at", value="amount"),
    ),
    # the third seed's "PQL, IQL conversion to SQL" (issue 18); declared in SQL only
    Kpi(
        "lead_type_to_sql_rate",
        "Lead type to SQL rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (LEADS, "leads.created_at", "leads.lead_type", "leads.sql_at"),
        "created_at (leads)",
        "per lead_type (MQL, PQL, IQL…): distinct leads of the type created in the period that "
        "have an sql_at / distinct leads of the type created in the period; leads without a "
        "type are not counted",
        None,
        category="lead_type",
        matures=Maturing(30, "sql_at"),
        relation=Rows(
            "leads",
            "created_at",
            (("lead_type IS NOT NULL", "no lead type"),),
            numerator=_yes("sql_at IS NOT NULL"),
            denominator="1.0",
            key="lead_id",
            category="lead_type",
            outcome="sql_at",
        ),
    ),
)


# named variants (issue 18; salesmetrics.variants)

FROM_ASSIGNMENT = _responses("assigned_responses", "assigned_at")
ASSIGNED_NEEDS = ("leads.assigned_at", CONTACTED, TIED)
ASSIGNED_LEFT_OUT = (
    "{n} leads with impossible dates left out (responded to before they were assigned, or "
    "a date outside the plausible range: see salesmetrics validate)"
)
ASSIGNED_RESPONSE = (
    "hours from assigned_at to the first response after it (first_response_at if the lead "
    "has one, else its first outbound non-research activity at or after assigned_at) over "
    "leads assigned in the period that were responded to; leads responded to before they "
    "were assigned, or with a date out of range, left out"
)


def _response_variant(name: str, label: str, aggregation: Aggregation, **given) -> Kpi:
    """lead_response_time_hours as the mean, or counted from the lead's assignment."""
    default = next(k for k in KPIS if k.id == "lead_response_time_hours")
    return replace(default, label=label, aggregation=aggregation, rows=None, variant=name, **given)


VARIANTS: tuple[Kpi, ...] = (
    _response_variant(
        "mean",
        "Lead response time (mean hours)",
        Aggregation.MEAN,
        formula=f"mean hours from created_at to the first response ({RESPONSE}) over leads "
        "created in the period that were responded to; leads responded to before they were "
        "created, or with a date out of range, left out",
    ),
    _response_variant(
        "median_from_assignment",
        "Lead response time from assignment (median hours)",
        Aggregation.MEDIAN,
        needs=ASSIGNED_NEEDS,
        period_date="assigned_at (leads)",
        formula=f"median {ASSIGNED_RESPONSE}",
        left_out=ASSIGNED_LEFT_OUT,
        relation=FROM_ASSIGNMENT,
    ),
    _response_variant(
        "mean_from_assignment",
        "Lead response time from assignment (mean hours)",
        Aggregation.MEAN,
        needs=ASSIGNED_NEEDS,
        period_date="assigned_at (leads)",
        formula=f"mean {ASSIGNED_RESPONSE}",
        left_out=ASSIGNED_LEFT_OUT,
        relation=FROM_ASSIGNMENT,
    ),
    Kpi(
        "average_response_time_hours",
        "Average response time to the latest message (hours)",
        STAGE,
        Unit.HOURS,
        Aggregation.MEAN,
        ("activities.direction", "activities.occurred_at", "activities.lead_id|activities.deal_id"),
        "occurred_at (the latest inbound activity before a reply)",
        "mean hours from the most recent inbound activity before a reply (the next outbound "
        "non-research activity on the same lead or deal) to that reply, over the replies to an "
        "inbound activity in the period; earlier messages the same reply answered not counted",
        None,
        higher_is_better=False,
        benchmark="within 1 hour",
        matures=Maturing(7, REPLIED),
        relation=Rows(
            "latest_waits",
            "occurred_at",
            (
                ("replied_at IS NOT NULL", "never answered"),
                ("latest", "an earlier message the same reply answered"),
            ),
            value="wait_hours",
            outcome=REPLIED,
        ),
        variant="latest_message",
    ),
)
