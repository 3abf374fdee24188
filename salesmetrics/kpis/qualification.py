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
  their rows' `key` is the lead_id, and numerator and denominator count the distinct leads
  of the rows where each is nonzero.

Each KPI declares its rows as SQL (`relation`) over the shared views of `kpis.views`
(contacts, lead_responses, reply_waits, lead_conversions).
"""

from __future__ import annotations

from dataclasses import replace

from salesmetrics import tables
from salesmetrics.kpis import views
from salesmetrics.kpis.base import (
    Aggregation,
    Context,
    Kpi,
    Maturing,
    Rows,
    Unit,
)
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


def _date_only(data: Context, period: Period) -> tuple[str | None, bool]:
    """A note when no lead's created_at has a time of day (an export of dates): hours are
    then counted from midnight, so a lead answered the same morning looks hours late.
    Decided on the whole leads input, as it is a property of the export."""

    def build() -> str | None:
        return DATE_ONLY if tables.midnight(data["leads"], "created_at") else None

    found: str | None = data.memo("qualification.date_only", build)
    return found, True


# opportunities_created, opportunities_created_amount


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
    return replace(default, label=label, aggregation=aggregation, variant=name, **given)


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
