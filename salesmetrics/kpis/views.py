"""Relations several declared KPIs read, as SQL over the canonical tables (salesmetrics.duck):
defined once per report, computed only inside the queries that read them.

Each view keeps every column of the table it is made from, so a KPI over it can be broken
down by the same dimensions as the table.
"""

from __future__ import annotations

from salesmetrics.schema import DEAL_STAGES, STAGE_DATE_PREFIX

FUNNEL = DEAL_STAGES[: DEAL_STAGES.index("won") + 1]  # prospecting .. negotiation, won
OPEN_STAGES = FUNNEL[:-1]


def reached(stage: str) -> str:
    """Whether a deal reached funnel `stage`: its entered_<stage> date or a later stage's, a
    current stage at or after it, or status won; every deal reached the first stage (as
    `kpis.close.reached`)."""
    if stage == FUNNEL[0]:
        return "TRUE"
    later = FUNNEL[FUNNEL.index(stage) :]
    dated = " OR ".join(f"{STAGE_DATE_PREFIX}{s} IS NOT NULL" for s in later)
    listed = ", ".join(f"'{s}'" for s in later)
    return f"coalesce({dated} OR stage IN ({listed}) OR status = 'won', FALSE)"


def reached_on(stage: str) -> str:
    """When a deal reached funnel `stage` as far as its dates tell: the earliest of its
    entered_<stage> and later stages' dates, and closed_at if won; blank when no date says
    (the first stage, or a stage known only from the current stage)."""
    if stage == FUNNEL[0]:
        return "NULL::TIMESTAMP"
    later = [f"{STAGE_DATE_PREFIX}{s}" for s in FUNNEL[FUNNEL.index(stage) :]]
    return f"least({', '.join(later)}, CASE WHEN status = 'won' THEN closed_at END)"


def negative(later: str, earlier: str) -> str:
    """Whether `later` falls on a calendar day before `earlier`'s (as `anomalies.negative`)."""
    return f"CAST({later} AS DATE) < CAST({earlier} AS DATE)"


def duration(later: str, earlier: str, seconds: float) -> str:
    """`later` − `earlier` in units of `seconds`, 0 where `later` is earlier on the same day (a
    date without a time of day), as `anomalies.duration`."""
    return (
        f"CASE WHEN CAST({later} AS DATE) = CAST({earlier} AS DATE) AND {later} < {earlier} "
        f"THEN 0.0 ELSE (epoch_us({later}) - epoch_us({earlier})) / 1000000.0 / {seconds} END"
    )


def implausible(*fields: str) -> str:
    """Whether any of `fields` holds a date outside the plausible range (`anomalies.check`)."""
    return " OR ".join(f"coalesce(_implausible_{name}, FALSE)" for name in fields)


UNPLACED = "coalesce(stage IS NULL AND stage_raw IS NOT NULL, FALSE)"
"""A deal at a stage value the mapping does not place: a stage_raw but no canonical stage."""


def _stage_reach() -> str:
    """One row per deal and open stage it reached: `stage_reached` names the stage,
    `went_on` whether it reached the next one (won after negotiation), `reached_at` and
    `next_at` when, as far as the dates tell."""
    parts = [
        f"SELECT deals.*, '{here}' AS stage_reached, {reached(following)} AS went_on, "
        f"{reached_on(here)} AS reached_at, {reached_on(following)} AS next_at "
        f"FROM deals WHERE {reached(here)}"
        for here, following in zip(OPEN_STAGES, FUNNEL[1:], strict=True)
    ]
    return " UNION ALL ".join(parts)


# qualification and demo (kpis.qualification, kpis.demo)

NOT_CONTACT = ("research",)  # outbound activities that are not a message to the lead
NOT_HELD = ("noshow", "cancelled", "canceled", "rescheduled")  # demo outcomes, letters only


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


CONTACTS = (
    "SELECT * FROM activities WHERE coalesce(direction, 'outbound') = 'outbound' "
    f"AND coalesce(channel NOT IN ({_listed(NOT_CONTACT)}), TRUE) AND occurred_at IS NOT NULL"
)
"""Outbound activities other than research (a blank direction is outbound, the schema's
default): the messages a lead or deal got."""

LEAD_RESPONSES = (
    "SELECT leads.*, coalesce(first_response_at, (SELECT min(c.occurred_at) FROM contacts c "
    "WHERE c.lead_id = leads.lead_id AND c.occurred_at >= leads.created_at)) AS responded_at "
    "FROM leads"
)
"""Each lead with its first response: first_response_at when it has one, else its first
contact at or after its created_at (blank when neither)."""


def _next_contact(key: str) -> str:
    """The first contact strictly after an inbound activity `a` on the same `key`."""
    return (
        f"(SELECT min(c.occurred_at) FROM contacts c WHERE c.{key} = a.{key} "
        "AND c.occurred_at > a.occurred_at)"
    )


REPLIED = f"least({_next_contact('lead_id')}, {_next_contact('deal_id')})"
REPLY_WAITS = (
    f"SELECT *, (epoch_us(replied_at) - epoch_us(occurred_at)) / 1000000.0 / 3600.0 "
    f"AS wait_hours FROM (SELECT a.*, {REPLIED} AS replied_at FROM activities a "
    "WHERE direction = 'inbound')"
)
"""Each inbound activity with the first contact strictly after it on the same lead or the same
deal (`replied_at`, blank when none) and the hours until then (`wait_hours`)."""

CUSTOMER_DECLARED = "coalesce(conversion, 'customer') = 'customer'"
FLAGGED = "(coalesce(converted, FALSE) OR converted_at IS NOT NULL)"
LEAD_CONVERSIONS = (
    "SELECT *, coalesce(customer_on, first_won) AS customer_at, "
    "customer_on IS NOT NULL OR won_deal "
    f"OR ({FLAGGED} AND {CUSTOMER_DECLARED}) AS customer, "
    "least(opportunity_on, first_deal) AS opportunity_at, "
    f"({FLAGGED} AND conversion = 'opportunity') OR dealt AS opportunity "
    "FROM (SELECT leads.*, "
    f"CASE WHEN {CUSTOMER_DECLARED} THEN converted_at END AS customer_on, "
    "CASE WHEN conversion = 'opportunity' THEN converted_at END AS opportunity_on, "
    "w.first_won, w.lead_id IS NOT NULL AS won_deal, "
    "d.first_deal, d.lead_id IS NOT NULL AS dealt FROM leads "
    "LEFT JOIN (SELECT lead_id, min(closed_at) AS first_won FROM deals "
    "WHERE status = 'won' AND lead_id IS NOT NULL GROUP BY lead_id) w "
    "ON w.lead_id = leads.lead_id "
    "LEFT JOIN (SELECT lead_id, min(created_at) AS first_deal FROM deals "
    "WHERE lead_id IS NOT NULL GROUP BY lead_id) d ON d.lead_id = leads.lead_id)"
)
"""Each lead with what it became. A customer (`customer`): a won deal (deals.lead_id), or a
converted_at or converted flag its mapping declares a customer conversion (`conversion:
customer`, or none); `customer_at` that converted_at, else its won deals' earliest closed_at.
An opportunity (`opportunity`): any deal, or a conversion declared `opportunity`;
`opportunity_at` the earliest of that converted_at and its deals' created_at."""

HELD_DEMOS = (
    "SELECT * FROM activities WHERE channel = 'demo' AND regexp_replace("
    f"lower(coalesce(outcome, '')), '[^a-z]', '', 'g') NOT IN ({_listed(NOT_HELD)})"
)
"""Demo activities whose outcome does not say the demo did not happen (no show, cancelled,
rescheduled: compared in lower case, letters only)."""

DEMOS = (
    "SELECT *, occurred_at AS demo_at FROM held_demos UNION ALL BY NAME "
    "SELECT *, entered_demo AS demo_at FROM deals WHERE entered_demo IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM activities WHERE channel = 'demo')"
)
"""The demos held: the held demo activities; when the activities have no demo at all (or
there are none), the deals' entered_demo dates, one demo per deal. Decided on the whole
input, so every period of a report counts demos the same way."""

DEMO_EVENTS = (
    "SELECT lead_id, entered_demo AS demo_at FROM deals "
    "WHERE lead_id IS NOT NULL AND entered_demo IS NOT NULL "
    "UNION ALL SELECT lead_id, occurred_at FROM held_demos WHERE lead_id IS NOT NULL "
    "UNION ALL SELECT d.lead_id, h.occurred_at FROM held_demos h "
    "JOIN deals d ON h.deal_id = d.deal_id WHERE d.lead_id IS NOT NULL"
)
"""Every demo a lead got, by lead_id: a deal of its entering demo, a held demo activity on
the lead, or one on a deal of its."""

LEAD_DEMOS = (
    "SELECT leads.*, e.demo_at, e.lead_id IS NOT NULL AS demoed FROM leads "
    "LEFT JOIN (SELECT lead_id, min(demo_at) AS demo_at FROM demo_events GROUP BY lead_id) e "
    "ON e.lead_id = leads.lead_id"
)
"""Each lead, whether it got a demo (`demoed`) and the date of its first (`demo_at`)."""


def _stage_stays() -> str:
    """One row per deal and open stage it left: `stay_stage` names the stage, `stay_from` the
    entered_<stage> date and `stay_until` the first later stage entry (won and lost included)
    or close at or after it; a later date before the entry (a deal sent back) does not end
    the stay."""
    parts = []
    for i, stage in enumerate(OPEN_STAGES):
        start = f"{STAGE_DATE_PREFIX}{stage}"
        ends = [f"{STAGE_DATE_PREFIX}{s}" for s in DEAL_STAGES[i + 1 :]]
        later = [f"CASE WHEN {e} >= {start} THEN {e} END" for e in ends] + [
            f"CASE WHEN status IN ('won', 'lost') AND closed_at >= {start} THEN closed_at END"
        ]
        parts.append(
            f"SELECT deals.*, '{stage}' AS stay_stage, {start} AS stay_from, "
            f"least({', '.join(later)}) AS stay_until FROM deals WHERE {start} IS NOT NULL"
        )
    return " UNION ALL ".join(parts)


VIEWS: dict[str, str] = {
    "stage_reach": _stage_reach(),
    # qualification and demo (kpis.qualification, kpis.demo)
    "contacts": CONTACTS,
    "lead_responses": LEAD_RESPONSES,
    "reply_waits": REPLY_WAITS,
    "lead_conversions": LEAD_CONVERSIONS,
    "held_demos": HELD_DEMOS,
    "demos": DEMOS,
    "demo_events": DEMO_EVENTS,
    "lead_demos": LEAD_DEMOS,
    "stage_stays": _stage_stays(),
}
"""The shared views by name, in an order in which each reads only the ones before it."""
