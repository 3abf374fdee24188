"""Relations several declared KPIs read, as SQL over the canonical tables (salesmetrics.duck):
defined once per report, computed only inside the queries that read them.

Each view keeps every column of the table it is made from, so a KPI over it can be broken
down by the same dimensions as the table.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from salesmetrics.kpis import movement
from salesmetrics.kpis.base import ROW, Context
from salesmetrics.kpis.quotas import label_spans
from salesmetrics.kpis.subscriptions import MOVEMENTS, NOISE
from salesmetrics.periods import FIRST_DAY, LAST_DAY
from salesmetrics.schema import DEAL_STAGES, STAGE_DATE_PREFIX

FUNNEL = DEAL_STAGES[: DEAL_STAGES.index("won") + 1]  # prospecting .. negotiation, won
OPEN_STAGES = FUNNEL[:-1]


def reached(stage: str) -> str:
    """Whether a deal reached funnel `stage`: its entered_<stage> date or a later stage's, a
    current stage at or after it, or status won; every deal reached the first stage."""
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


def stage_at_end(stop: str = "kpi_stop") -> str:
    """A deal's open stage at the instant `stop`: the one it entered last before then (a later
    stage on the same date wins); without such an entry, the current stage of a deal still
    open; else blank."""
    dated = [f"{STAGE_DATE_PREFIX}{s}" for s in OPEN_STAGES]
    cases = []
    for i, here in enumerate(dated):
        others = [
            f"({there} IS NULL OR {there} >= {stop} OR {there} {'<' if j > i else '<='} {here})"
            for j, there in enumerate(dated)
            if j != i
        ]
        cases.append(f"WHEN {here} < {stop} AND {' AND '.join(others)} THEN '{OPEN_STAGES[i]}'")
    listed = ", ".join(f"'{s}'" for s in OPEN_STAGES)
    current = f"WHEN status = 'open' AND stage IN ({listed}) THEN stage"
    return f"CASE {' '.join(cases)} {current} END"


def stage_probability(stage: str) -> str:
    """The report's stage_probabilities setting of the stage `stage` (SQL) names; blank for a
    stage it does not list. Looked up in a map made once per query: a subquery per row would
    be joined on every column `stage` reads (all of a deal's stage dates, for its stage at a
    period's end)."""
    return f"(SELECT map(list(key), list(value)) FROM setting_stage_probabilities)[{stage}]"


def distinct(value: str, condition: str) -> str:
    """The number of distinct non-blank `value`s of the rows meeting `condition`, as SQL: the
    others are made blank rather than filtered out, which DuckDB counts in half the time (a
    FILTER on a distinct count groups every row by whether it passes, as well as by value)."""
    return f"count(DISTINCT CASE WHEN {condition} THEN {value} END)"


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


# efficiency: the cost grid (cost per lead, SQL, demo, POC, negotiation)

NOT_HELD = ("noshow", "cancelled", "canceled", "rescheduled")  # demo outcomes, letters only
DIMENSIONS = "COLUMNS('^(owner|team|source)$')"  # those of the costs' dimensions a table has
HELD_SQL = (
    "channel = 'demo' AND NOT coalesce(regexp_replace(lower(outcome), '[^a-z]', '', 'g') "
    f"IN ({', '.join(repr(o) for o in NOT_HELD)}), FALSE)"
)
ACCOMPLISHED_SQL = (
    f"coalesce({reached_on('proposal')}, "
    f"CASE WHEN status = 'lost' AND {reached('demo')} THEN closed_at END)"
)
"""When a deal's demo (POC) was accomplished: when it went on to proposal, else when it was
lost after reaching the demo stage."""


def _costs_and_steps() -> str:
    """Acquisition costs (`step` cost: `cost` the amount, from `happened_at`, the incurred_at
    instant or the month's first day, to `ends_at`, the next month's, for a monthly cost) and
    the funnel steps they are set against, one row each at `happened_at`: lead (created),
    sql, demo (held: a demo activity not missed; without any demo activity, a deal entering
    the demo stage), opportunity (a deal created), poc_accomplished (`ACCOMPLISHED_SQL`),
    poc_successful (a deal reaching proposal) and negotiation (a deal reaching negotiation).
    Each row keeps the owner, team and source its table has (blank where it has none)."""
    costs = (
        "SELECT 'cost' AS step, coalesce(incurred_at, month) AS happened_at, "
        "CASE WHEN incurred_at IS NULL THEN month + INTERVAL 1 MONTH END AS ends_at, "
        f"amount AS cost, currency, {DIMENSIONS} FROM costs "
        "WHERE amount IS NOT NULL AND category IN ('sales', 'marketing')"
    )
    demos = "EXISTS (SELECT 1 FROM activities WHERE channel = 'demo')"
    steps = [
        ("lead", "created_at", "leads", "TRUE"),
        ("sql", "sql_at", "leads", "TRUE"),
        ("demo", "occurred_at", "activities", HELD_SQL),
        ("demo", f"{STAGE_DATE_PREFIX}demo", "deals", f"NOT {demos}"),
        ("opportunity", "created_at", "deals", "TRUE"),
        ("poc_accomplished", ACCOMPLISHED_SQL, "deals", "TRUE"),
        ("poc_successful", reached_on("proposal"), "deals", "TRUE"),
        ("negotiation", reached_on("negotiation"), "deals", "TRUE"),
    ]
    parts = [
        f"SELECT '{step}' AS step, {at} AS happened_at, {DIMENSIONS} FROM {table} "
        f"WHERE ({at}) IS NOT NULL AND {condition}"
        for step, at, table, condition in steps
    ]
    return " UNION ALL BY NAME ".join([costs, *parts])


# outreach and prospecting: activities as the outreach KPIs read them

OUTBOUND = "coalesce(direction, 'outbound') = 'outbound'"
"""An outbound activity: direction outbound or blank (the schema's default)."""
NOT_RESEARCH = "channel IS DISTINCT FROM 'research'"
"""Any channel but research (a blank channel too): research is time spent on a prospect, not a
message to one."""
REACH_OUT = f"({OUTBOUND} AND {NOT_RESEARCH})"
"""A reach out: an outbound activity in any channel but research (`kpis.outreach`)."""


DEAL_TOUCHES = """
SELECT deals.*, coalesce(t.touches, 0.0) AS touches
FROM deals LEFT JOIN (
    SELECT d.deal_id, d.closed_at, count(*)::DOUBLE AS touches
    FROM (SELECT DISTINCT deal_id, closed_at FROM deals WHERE status IN ('won', 'lost')) AS d
    JOIN activities AS a ON a.deal_id = d.deal_id AND a.occurred_at <= d.closed_at
    WHERE a.channel IS DISTINCT FROM 'research'
    GROUP BY d.deal_id, d.closed_at
) AS t ON t.deal_id = deals.deal_id AND t.closed_at = deals.closed_at
WHERE status IN ('won', 'lost')
"""
"""Every deal won or lost, with `touches`: its activities but research (either direction)
linked by deal_id and dated up to its closed_at, however long before (0 with none). Counted
once per deal and close date, then joined to the deals (a count per deal in a subquery would
be planned as a join on every column it reads)."""


FOLLOW_UPS = f"""
SELECT *, CASE WHEN row_number() OVER (PARTITION BY lead_id ORDER BY occurred_at, {ROW}) = 1
    THEN 0.0 ELSE 1.0 END AS follow_up
FROM activities WHERE {REACH_OUT} AND lead_id IS NOT NULL AND occurred_at IS NOT NULL
"""
"""Every reach out on a lead, with `follow_up` 1 unless it is the lead's first reach out ever
(of two at the same minute, the one listed first is the first)."""


ACTIVITY_PROSPECTS = f"""
WITH lead_accounts AS (
    SELECT lead_id, arg_min(account_id, {ROW}) AS account FROM leads
    WHERE lead_id IS NOT NULL AND account_id IS NOT NULL GROUP BY lead_id
), deal_accounts AS (
    SELECT deal_id, arg_min(account_id, {ROW}) AS account FROM deals
    WHERE deal_id IS NOT NULL AND account_id IS NOT NULL GROUP BY deal_id
)
SELECT a.*, coalesce(
    'account ' || coalesce(a.account_id, l.account, d.account), 'lead ' || a.lead_id
) AS prospect
FROM activities AS a
LEFT JOIN lead_accounts AS l ON l.lead_id = a.lead_id
LEFT JOIN deal_accounts AS d ON d.deal_id = a.deal_id
"""
"""Every activity with its `prospect`: its account (the activity's account_id, else that of
its lead's first listing with one, else its deal's), else the lead itself; blank with none."""


RESEARCH_AND_QUALIFIED = f"""
WITH lead_dimensions AS (
    SELECT lead_id,
        arg_min(quality, {ROW}) FILTER (WHERE quality IS NOT NULL) AS quality,
        arg_min(source, {ROW}) FILTER (WHERE source IS NOT NULL) AS source
    FROM leads WHERE lead_id IS NOT NULL GROUP BY lead_id
)
SELECT r.*, l.quality, l.source, r.occurred_at AS dated_at,
    coalesce(r.duration_minutes, 0.0) / 60.0 AS hours, NULL::VARCHAR AS qualified
FROM (
    SELECT COLUMNS(lambda c: c NOT IN ('quality', 'source')) FROM activities
    WHERE channel = 'research'
) AS r
LEFT JOIN lead_dimensions AS l ON l.lead_id = r.lead_id
UNION ALL BY NAME
SELECT *, sql_at AS dated_at, 0.0 AS hours, lead_id AS qualified FROM leads WHERE sql_at IS NOT NULL
"""
"""Research activities (`hours`, the quality and source of their lead's first listing with
one) and qualified leads (`qualified`: the lead_id) as one relation, dated (`dated_at`) by
occurred_at and sql_at: research on hot leads is set against the hot leads qualified."""


# qualification and demo (kpis.qualification, kpis.demo)

NOT_CONTACT = ("research",)  # outbound activities that are not a message to the lead


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


CONTACTS = (
    "SELECT * FROM activities WHERE coalesce(direction, 'outbound') = 'outbound' "
    f"AND coalesce(channel NOT IN ({_listed(NOT_CONTACT)}), TRUE) AND occurred_at IS NOT NULL"
)
"""Outbound activities other than research (a blank direction is outbound, the schema's
default): the messages a lead or deal got."""


def _first_contact(rows: str, key: str, at: str, after: str) -> str:
    """Each of `rows` (a relation with `key`, `at` and ROW) that has one, by ROW, with
    `contact_at`: its first contact (`contacts`) on the same `key` at a time `after` (an
    operator) its `at`. A join and a grouping, not a subquery per row: Spark runs a correlated
    subquery over a log for minutes, and DuckDB spills a join, not a window, to disk."""
    return (
        f"SELECT r.{ROW}, min(c.occurred_at) AS contact_at FROM ({rows}) r "
        f"JOIN contacts c ON c.{key} = r.{key} AND c.occurred_at {after} r.{at} "
        f"GROUP BY r.{ROW}"
    )


LEAD_RESPONSES = (
    "SELECT leads.*, coalesce(first_response_at, f.contact_at) AS responded_at FROM leads "
    f"LEFT JOIN ({_first_contact('SELECT * FROM leads', 'lead_id', 'created_at', '>=')}) f "
    f"ON f.{ROW} = leads.{ROW}"
)
"""Each lead with its first response: first_response_at when it has one, else its first
contact at or after its created_at (blank when neither)."""

INBOUND = "SELECT * FROM activities WHERE direction = 'inbound'"
REPLY_WAITS = (
    f"SELECT *, (epoch_us(replied_at) - epoch_us(occurred_at)) / 1000000.0 / 3600.0 "
    f"AS wait_hours FROM (SELECT a.*, least(l.contact_at, d.contact_at) AS replied_at "
    f"FROM ({INBOUND}) a "
    f"LEFT JOIN ({_first_contact(INBOUND, 'lead_id', 'occurred_at', '>')}) l "
    f"ON l.{ROW} = a.{ROW} "
    f"LEFT JOIN ({_first_contact(INBOUND, 'deal_id', 'occurred_at', '>')}) d "
    f"ON d.{ROW} = a.{ROW})"
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


# the third seed's POC ratios (issue 18: kpis.demo)

LEAD_POCS = f"""
SELECT leads.*, p.accomplished_at, p.successful_at,
    p.accomplished_at IS NOT NULL AS accomplished, p.successful_at IS NOT NULL AS successful
FROM leads LEFT JOIN (
    SELECT lead_id, min({ACCOMPLISHED_SQL}) AS accomplished_at,
        min({reached_on("proposal")}) AS successful_at
    FROM deals WHERE lead_id IS NOT NULL GROUP BY lead_id
) AS p ON p.lead_id = leads.lead_id
"""
"""Each lead, with the date a deal of its (deals.lead_id) first had its POC accomplished
(`accomplished_at`, as ACCOMPLISHED_SQL dates it) and first reached proposal, a successful
POC (`successful_at`); `accomplished` and `successful` whether it has such a date."""


# sales calls (issue 18: kpis.outreach sales_call_conversion_rate, follow_up_calls_to_sale)

CALLS = f"channel = 'call' AND {OUTBOUND} AND occurred_at IS NOT NULL"
"""A sales call: an outbound activity of channel call, dated."""


def _call_links(calls: str, won: str, columns: str) -> str:
    """`columns` of each pair of a call of `calls` and a won deal of `won` it is linked to (the
    deal's deal_id, lead_id or account_id on the call), made at or before the deal's
    closed_at; a pair linked twice is listed twice."""
    return " UNION ALL ".join(
        f"SELECT {columns} FROM {calls} AS c JOIN {won} AS w ON c.{link} = w.{link} "
        "AND c.occurred_at <= w.closed_at"
        for link in ("deal_id", "lead_id", "account_id")
    )


WON_DEALS = "(SELECT * FROM deals WHERE status = 'won' AND closed_at IS NOT NULL)"
CALL_SALES = f"""
WITH calls AS (SELECT * FROM activities WHERE {CALLS}),
called AS (
    SELECT DISTINCT w.{ROW} AS won_row
    FROM ({_call_links("calls", WON_DEALS, f"w.{ROW}")}) AS w
)
SELECT *, occurred_at AS happened_at, 0.0 AS sold, 1.0 AS called FROM calls
UNION ALL BY NAME
SELECT *, closed_at AS happened_at, 1.0 AS sold, 0.0 AS called FROM deals
WHERE status = 'won' AND closed_at IS NOT NULL AND {ROW} IN (SELECT won_row FROM called)
"""
"""Every sales call (`called` 1, dated `happened_at` by its occurred_at) and every won deal
with a call linked to it at or before its close (`sold` 1, dated by its closed_at): a call
links to a deal through the deal's deal_id, lead_id or account_id on the call."""


def first_key(alias: str = "") -> str:
    """An activity's place in date order, then in the order listed (its position, under
    2^32), as one number: the first of a group is its minimum. `alias`: the activities'."""
    named = f"{alias}." if alias else ""
    return f"epoch_us({named}occurred_at)::HUGEINT * 4294967296 + {named}{ROW}"


FOLLOW_UP_CALL_SALES = f"""
WITH deal_leads AS (
    SELECT deal_id, arg_min(lead_id, {ROW}) AS deal_lead FROM deals
    WHERE deal_id IS NOT NULL AND lead_id IS NOT NULL GROUP BY deal_id
),
firsts AS (
    SELECT min({first_key("a")}) AS first_key
    FROM activities AS a LEFT JOIN deal_leads AS l ON l.deal_id = a.deal_id
    WHERE {REACH_OUT} AND a.occurred_at IS NOT NULL
        AND coalesce(a.lead_id, a.deal_id, a.account_id) IS NOT NULL
    GROUP BY CASE WHEN coalesce(a.lead_id, l.deal_lead) IS NOT NULL THEN 'lead'
            WHEN a.deal_id IS NOT NULL THEN 'deal' ELSE 'account' END,
        coalesce(a.lead_id, l.deal_lead, a.deal_id, a.account_id)
),
calls AS (
    SELECT *, TRUE AS follow_up FROM activities
    WHERE {CALLS} AND coalesce(lead_id, deal_id, account_id) IS NOT NULL
        AND {first_key()} NOT IN (SELECT first_key FROM firsts)
)
{_call_links("calls", WON_DEALS, "c.*, w.closed_at AS sold_at")}
"""
"""Each pair of a follow-up call and a won deal it is linked to (as in CALL_SALES), made at
or before the deal's close (`sold_at`, its closed_at). A follow-up call is any but the first
reach out on its lead (its own lead_id, else its deal's; on its deal for a call with no lead,
on its account for one with neither); the first of two at the same minute is the one listed
first. The firsts are each group's minimum `first_key`: a window numbering every reach out
in its group would carry all its columns through a sort of millions of rows, taking three
times as long."""


# team KPIs on data of their own (issue 18: kpis.team coaching_effectiveness)

COACHING_DAYS = 90  # the window before and after a coaching: the seed's 3-6 months, at least
COACHING_WINDOWS = f"""
SELECT *, bool_or(NOT after) OVER (PARTITION BY owner, coached_at) AS won_before
FROM (
    SELECT r.owner, r.team, r.coached_at, d.amount, d.currency, d.closed_at,
        d.closed_at >= r.coached_at AS after
    FROM reps AS r JOIN deals AS d ON d.owner = r.owner
    WHERE r.coached_at IS NOT NULL AND d.status = 'won' AND d.amount IS NOT NULL
        AND d.closed_at >= r.coached_at - INTERVAL {COACHING_DAYS} DAY
        AND d.closed_at < r.coached_at + INTERVAL {COACHING_DAYS} DAY
)
"""
"""Each won deal of a coached rep (by owner) closed in the COACHING_DAYS before the rep's
coached_at or the COACHING_DAYS from it (`after`), with the rep's owner and team, the deal's
amount, and whether the rep won anything in the days before (`won_before`)."""
WEEK_SECONDS = 7 * 86400
REP_HOURS = """
SELECT owner, team, currency, 'won' AS part, amount, NULL::DOUBLE AS weekly_hours,
    closed_at AS worked_from, closed_at AS worked_until,
    coalesce(owner IN (SELECT owner FROM reps WHERE weekly_hours IS NOT NULL), FALSE)
        AS hours_known
FROM deals WHERE status = 'won' AND closed_at IS NOT NULL
UNION ALL
SELECT owner, team, NULL, 'rep', NULL, weekly_hours, started_at, ended_at, TRUE
FROM reps WHERE weekly_hours IS NOT NULL
"""
"""Won deals (`part` won, at their closed_at; `hours_known` whether their owner has a reps row
with weekly_hours) and reps with weekly_hours (`part` rep), employed from `worked_from` (their
started_at; blank: always) to `worked_until` (their ended_at; blank: still): revenue set
against the hours worked (kpis.team revenue_per_hour_worked)."""


def hours_worked(stop: str = "kpi_stop", start: str = "kpi_start") -> str:
    """A rep row's hours worked between `start` and `stop`: its weekly_hours × the weeks of
    its employment inside them (0 when none)."""
    since = f"greatest(coalesce(worked_from, {start}), {start})"
    until = f"least(coalesce(worked_until, {stop}), {stop})"
    return (
        f"weekly_hours * greatest(epoch_us({until}) - epoch_us({since}), 0) "
        f"/ 1000000.0 / {WEEK_SECONDS}"
    )


OPEN_AND_CLOSED_DEALS = (
    "SELECT *, 'open' AS part FROM deals WHERE status = 'open' "
    "OR (status IN ('won', 'lost') AND closed_at IS NOT NULL) "
    "UNION ALL SELECT *, 'closed' AS part FROM deals WHERE status IN ('won', 'lost')"
)
"""Each deal as a row that may be open at a period's end (`part` open: open, or closed with a
date, which ends it), and each closed deal again as a row closed in a period (`part` closed);
a KPI places the first by created_at until it closes, the second by closed_at."""

# named variants (issue 18; salesmetrics.variants)

WON_AND_QUALIFIED = (
    "SELECT *, closed_at AS won_or_qualified_at, 1.0 AS won, 0.0 AS qualified FROM deals "
    "WHERE status = 'won' UNION ALL BY NAME "
    "SELECT *, sql_at AS won_or_qualified_at, 0.0 AS won, 1.0 AS qualified FROM leads "
    "WHERE sql_at IS NOT NULL"
)
"""Won deals (`won` 1, dated by closed_at) and leads that became SQLs (`qualified` 1, dated
by sql_at) as one relation (`won_or_qualified_at`): win rate as won / SQLs."""

FIRST_CONTACTS = (
    "SELECT deals.*, l.lead_id IS NOT NULL AS has_lead, "
    "least(deals.created_at, l.created_at, a.occurred_at) AS first_contact_at FROM deals "
    "LEFT JOIN (SELECT lead_id, min(created_at) AS created_at FROM leads "
    "WHERE lead_id IS NOT NULL GROUP BY lead_id) l ON l.lead_id = deals.lead_id "
    "LEFT JOIN (SELECT lead_id, min(occurred_at) AS occurred_at FROM activities "
    "WHERE lead_id IS NOT NULL GROUP BY lead_id) a ON l.lead_id = a.lead_id "
    "WHERE deals.status = 'won'"
)
"""Won deals with their first contact (`first_contact_at`): the earliest of the deal's
created_at, its lead's (deals.lead_id in leads) created_at and the first activity on that
lead; `has_lead` whether the lead is in the leads input."""

ASSIGNED_RESPONSES = (
    "SELECT leads.*, coalesce(first_response_at, (SELECT min(c.occurred_at) FROM contacts c "
    "WHERE c.lead_id = leads.lead_id AND c.occurred_at >= leads.assigned_at)) AS responded_at "
    "FROM leads"
)
"""Each lead with its first response after its assignment: first_response_at when it has
one, else its first contact at or after its assigned_at (blank when neither)."""

LATEST_WAITS = (
    "SELECT *, row_number() OVER (PARTITION BY lead_id, deal_id, replied_at "
    f"ORDER BY occurred_at DESC, {ROW} DESC) = 1 AS latest FROM reply_waits"
)
"""Each inbound activity of `reply_waits`, `latest` when no later inbound activity on the same
lead and deal was answered by the same contact: the most recent message before a reply."""

RESEARCHED_LEADS = f"""
WITH lead_facts AS (
    SELECT lead_id, min(sql_at) AS sql_at,
        arg_min(quality, {ROW}) FILTER (WHERE quality IS NOT NULL) AS quality,
        arg_min(source, {ROW}) FILTER (WHERE source IS NOT NULL) AS source
    FROM leads WHERE lead_id IS NOT NULL GROUP BY lead_id
)
SELECT r.*, l.quality, l.source, coalesce(r.duration_minutes, 0.0) / 60.0 AS hours,
    CASE WHEN l.sql_at >= r.occurred_at THEN l.sql_at END AS qualified_at,
    CASE WHEN l.sql_at >= r.occurred_at AND row_number() OVER (
        PARTITION BY r.lead_id ORDER BY r.occurred_at, r.{ROW}) = 1 THEN 1.0 ELSE 0.0 END
        AS generated
FROM (
    SELECT COLUMNS(lambda c: c NOT IN ('quality', 'source')) FROM activities
    WHERE channel = 'research' AND lead_id IS NOT NULL AND occurred_at IS NOT NULL
) AS r
LEFT JOIN lead_facts AS l ON l.lead_id = r.lead_id
"""
"""Research activities on a lead, with `hours`, the quality and source of the lead's first
listing with one, and `generated` 1 on the lead's first research when the lead became an
SQL at or after it (`qualified_at`, its sql_at): the research generated a qualified lead."""


def _efficiency_facts(ctx: Context) -> pd.DataFrame:
    from salesmetrics.kpis.efficiency import facts

    return facts(ctx)


TABLES: dict[str, Callable[[Context], pd.DataFrame]] = {
    "target_spans": label_spans,
    # pipeline movement (kpis.movement): each deal of two deals exports with its move
    movement.TABLE: movement.moves,
    # efficiency (kpis.efficiency)
    "efficiency_facts": _efficiency_facts,
}
"""Tables made from the report's frames in Python, once per report, for what SQL cannot say:
the days of each target label (quarters and years follow the fiscal year); a diff of two
snapshots."""

WON_AND_TARGETS = (
    "SELECT 'won' AS part, closed_at AS happened_at, NULL::TIMESTAMP AS ends_at, amount, owner, "
    "team, "
    "currency, _row_ FROM deals WHERE status = 'won' "
    "UNION ALL SELECT coalesce(t.metric, 'quota'), s.starts, s.stops, t.amount, t.owner, "
    "t.team, t.currency, t._row_ FROM targets t JOIN target_spans s "
    "ON s.key = t.period || '|' || coalesce(t.calendar, '')"
)
"""Won deals (`part` won, at closed_at) and target rows (`part` their metric, quota when
blank) over the days of their label, `happened_at` to `ends_at`, for a KPI that counts the
share of a target inside each period (`Rows.spans`): revenue against quota or forecast."""
# MRR and retention: the MRR book (kpis.subscriptions) and each period's customers (kpis.mrr)


def month_of(stamp: str) -> str:
    """The month index of a timestamp: year × 12 + month − 1 (as `subscriptions.month_index`)."""
    return f"(year({stamp}) * 12 + month({stamp}) - 1)"


NOT_BOOK_DIMENSIONS = (
    *("customer_id", "mrr", "month", "started_at", "ended_at", "churned", "modified_at"),
    *("currency", ROW),
)  # as subscriptions.NOT_DIMENSIONS

MRR_EDGES = f"""
SELECT coalesce(max({month_of("month")}),
        (SELECT {month_of("as_of")} FROM report_as_of)) AS horizon,
    min({month_of("month")}) AS opening,
    NOT bool_or(month IS NOT NULL OR started_at IS NOT NULL) IS TRUE AS snapshot
FROM subscriptions
"""
"""One row: the last month the subscription data speaks for (`horizon`: the latest month of
monthly rows, else the month of the report's as-of day), the first month of monthly rows
(`opening`, blank for intervals) and whether the rows are a snapshot without dates."""

MRR_PAYING = f"""
SELECT s.*, {month_of("s.month")} AS book_month FROM subscriptions s, mrr_edges e
WHERE e.opening IS NOT NULL AND s.month IS NOT NULL AND s.mrr > 0
UNION ALL BY NAME
SELECT s.*, unnest(range({month_of("s.started_at")}, least(
    coalesce({month_of("s.ended_at")} - 1, e.horizon), e.horizon) + 1)) AS book_month
FROM subscriptions s, mrr_edges e
WHERE e.opening IS NULL AND s.started_at IS NOT NULL AND s.mrr > 0
"""
"""The paying rows (MRR > 0) with their month (`book_month`): monthly rows as they are; else
each interval once per month at whose end it is active, from its start's month to the month
before its end's (without an end, or ending later: to the horizon)."""

MRR_BOOK = """
SELECT * EXCLUDE (mrr, kpi_rank), total AS mrr FROM (
    SELECT *, sum(mrr) OVER (PARTITION BY customer_id, book_month) AS total,
        row_number() OVER (PARTITION BY customer_id, book_month ORDER BY mrr DESC, _row_)
        AS kpi_rank
    FROM mrr_paying WHERE customer_id IS NOT NULL
) WHERE kpi_rank = 1
"""
"""One row per customer-month: `mrr` the sum of its rows, the other columns those of its
largest row (the first listed of equal ones): the rules of kpis.subscriptions."""

MRR_MOVEMENTS = f"""
WITH book AS (
    SELECT *, lag(book_month) OVER w AS before_month, lag(mrr) OVER w AS before_mrr,
        lead(book_month) OVER w AS after_month
    FROM mrr_book WINDOW w AS (PARTITION BY customer_id ORDER BY book_month)
), changed AS (
    SELECT *, CASE WHEN abs(mrr - before_mrr) < {NOISE} THEN 0.0 ELSE mrr - before_mrr END
        AS change
    FROM book
)
SELECT * EXCLUDE (before_month, before_mrr, after_month, change), book_month AS moved_month,
    CASE WHEN before_month IS NULL THEN 'new'
        WHEN before_month < book_month - 1 THEN 'reactivation'
        WHEN change > 0 THEN 'expansion' ELSE 'contraction' END AS movement,
    CASE WHEN before_month IS NULL OR before_month < book_month - 1 THEN mrr ELSE change END
        AS amount
FROM changed WHERE before_month IS NULL OR before_month < book_month - 1 OR change <> 0
UNION ALL BY NAME
SELECT * EXCLUDE (before_month, before_mrr, after_month), book_month + 1 AS moved_month,
    'churned' AS movement, -mrr AS amount
FROM book
WHERE (after_month IS NULL OR after_month <> book_month + 1)
    AND book_month + 1 <= (SELECT horizon FROM mrr_edges)
"""
"""The movements between months, dated by the month they show in (`moved_month`), with the
book row's columns (of a churn: the last paying month's), as kpis.subscriptions says: new
(first paying month), reactivation (after a month at zero), expansion and contraction (a
change of a millionth or more from the month before), churned (the month after the last
paying month, up to the horizon, with minus its MRR)."""

MRR_WINDOWS = f"""
SELECT kpi_slice,
    CASE WHEN e.opening IS NOT NULL AND first_month <= e.opening THEN e.opening + 1
        ELSE first_month END AS first_month,
    least(last_month, e.horizon) AS last_month, first_month <= last_month AS month_starts
FROM (
    SELECT kpi_slice, {month_of("kpi_start")} AS start_month,
        {month_of("kpi_start")} + CASE WHEN day(kpi_start) = 1 THEN 0 ELSE 1 END AS first_month,
        {month_of("kpi_stop - INTERVAL 1 DAY")} AS last_month
    FROM report_slices
) s, mrr_edges e
WHERE NOT e.snapshot AND start_month <= e.horizon AND NOT coalesce(last_month < e.opening, FALSE)
"""
"""Each slice of the report the subscription data speaks for, with its months as
`kpis.mrr.window` takes them: `first_month` the first whose first day is in it (after the
opening month), `last_month` the month of its last day (cut at the horizon), and
`month_starts` whether any first of a month is in it at all."""

MRR_CUSTOMERS = f"""
WITH windows AS (SELECT * FROM mrr_windows),
book AS (SELECT * FROM mrr_book),
moves AS (SELECT * FROM mrr_movements),
starts AS (
    SELECT w.kpi_slice, b.customer_id, b.mrr FROM windows w
    JOIN book b ON b.book_month = w.first_month - 1
), ends AS (
    SELECT w.kpi_slice, b.customer_id, b.mrr FROM windows w
    JOIN book b ON b.book_month = w.last_month
), moved AS (
    SELECT w.kpi_slice, m.customer_id,
        {
    ", ".join(
        f"coalesce(sum(m.amount) FILTER (WHERE m.movement = '{k}'), 0.0) AS mrr_{k}, "
        f"coalesce(bool_or(m.movement = '{k}'), FALSE) AS is_{k}"
        for k in MOVEMENTS
    )
}
    FROM windows w JOIN moves m
        ON m.moved_month >= w.first_month AND m.moved_month <= w.last_month
    GROUP BY w.kpi_slice, m.customer_id
), involved AS (
    SELECT kpi_slice, customer_id FROM starts UNION SELECT kpi_slice, customer_id FROM ends
    UNION SELECT kpi_slice, customer_id FROM moved
), latest AS (
    SELECT i.kpi_slice AS mrr_slice, w.month_starts, b.* EXCLUDE (mrr, book_month)
    FROM involved i JOIN windows w ON w.kpi_slice = i.kpi_slice
    JOIN book b ON b.customer_id = i.customer_id AND b.book_month <= w.last_month
    QUALIFY row_number() OVER (PARTITION BY i.kpi_slice, i.customer_id
        ORDER BY b.book_month DESC) = 1
)
SELECT l.*, FALSE AS snapshot_row, coalesce(st.mrr, 0.0) AS mrr_start,
    coalesce(en.mrr, 0.0) AS mrr_end,
    {", ".join(f"coalesce(mv.mrr_{k}, 0.0) AS mrr_{k}" for k in MOVEMENTS)},
    {", ".join(f"coalesce(mv.is_{k}, FALSE) AS is_{k}" for k in MOVEMENTS)}
FROM latest l
LEFT JOIN starts st ON st.kpi_slice = l.mrr_slice AND st.customer_id = l.customer_id
LEFT JOIN ends en ON en.kpi_slice = l.mrr_slice AND en.customer_id = l.customer_id
LEFT JOIN moved mv ON mv.kpi_slice = l.mrr_slice AND mv.customer_id = l.customer_id
UNION ALL BY NAME
SELECT s.*, l.kpi_slice AS mrr_slice, TRUE AS month_starts, TRUE AS snapshot_row,
    coalesce(s.churned, FALSE) AS is_churned
FROM subscriptions s, report_slices l, mrr_edges e WHERE e.snapshot
"""
"""Per slice (`mrr_slice`, `Rows.of_slice`), one row per customer paying in the month before
its first month or in its last, or with a movement in between, as `kpis.mrr.customers`: the
customer's columns of its last paying month up to the last, `mrr_start`, `mrr_end`, its
signed sum of each kind of movement (`mrr_new`, …) and whether it had one (`is_new`, …);
`month_starts` whether a first of a month is in the slice. Of a snapshot without dates, every
row in every slice (`snapshot_row`), `is_churned` its churned flag (blank: not churned)."""

BRIDGE_LINES = ("start", *MOVEMENTS, "end")
BRIDGE_COLUMNS = tuple(f"mrr_{k}" for k in BRIDGE_LINES)
MRR_BRIDGE_LINES = f"""
SELECT * FROM (
    SELECT c.* EXCLUDE ({", ".join(f"is_{k}" for k in MOVEMENTS)}, {", ".join(BRIDGE_COLUMNS)}),
        l.bridge_line,
        CASE l.bridge_line {" ".join(f"WHEN '{k}' THEN c.mrr_{k}" for k in BRIDGE_LINES)} END
            AS bridge_amount
    FROM mrr_customers c
    CROSS JOIN (VALUES {", ".join(f"('{k}')" for k in BRIDGE_LINES)}) AS l (bridge_line)
    WHERE c.month_starts AND NOT c.snapshot_row
) WHERE bridge_amount <> 0
"""
"""Per slice in which a month starts, one row per customer and line of the MRR bridge it has
(`bridge_line`: start, each movement, end; `bridge_amount`, not 0)."""

MRR_LEVELS = f"""
SELECT b.*, w.kpi_slice AS mrr_slice FROM mrr_windows w JOIN (
    SELECT customer_id, book_month, COLUMNS(lambda c: c NOT IN
        ({", ".join(repr(c) for c in (*NOT_BOOK_DIMENSIONS, "book_month"))})
        AND NOT starts_with(c, '_implausible_')), sum(mrr) AS mrr
    FROM mrr_paying WHERE customer_id IS NOT NULL GROUP BY ALL
) b ON b.book_month = w.last_month
UNION ALL BY NAME
SELECT s.* REPLACE (coalesce(s.mrr, 0.0) AS mrr), l.kpi_slice AS mrr_slice
FROM subscriptions s, report_slices l, mrr_edges e
WHERE e.snapshot AND NOT coalesce(s.churned, FALSE)
"""
"""Per slice (`mrr_slice`), the customers paying in its last month, one row per plan (the
combination of their dimensions) they pay, `mrr` its part;
of a snapshot without dates, every customer not churned, in every slice."""


# team, purchase, close and prospecting custom KPIs (issue 16)

WON_NOW_AND_BEFORE = (
    "SELECT *, 'now' AS side FROM deals WHERE status = 'won' "
    "UNION ALL SELECT *, 'before' AS side FROM deals WHERE status = 'won'"
)
"""Won deals twice over, `side` now and before: sales_growth places the first in a period and
the second in the period it is set against (`Rows.against`)."""

PIPELINE_AND_QUOTAS = (
    "SELECT 'deal' AS part, owner, team, currency, _row_, deal_id, amount, expected_close_at, "
    "created_at AS happened_at, CASE WHEN status = 'open' THEN NULL ELSE closed_at END AS ends_at "
    "FROM deals WHERE status = 'open' OR (status IN ('won', 'lost') AND closed_at IS NOT NULL) "
    "UNION ALL SELECT 'quota', t.owner, t.team, t.currency, t._row_, NULL, t.amount, NULL, "
    "s.starts, s.stops FROM targets t JOIN target_spans s "
    "ON s.key = t.period || '|' || coalesce(t.calendar, '') "
    "WHERE coalesce(t.metric, 'quota') = 'quota'"
)
"""Deals that may be open at a period's end (`part` deal: open from created_at, `happened_at`,
until they close, `ends_at`, blank while open) and quotas over the days of their label
(`part` quota, `happened_at` to `ends_at`): the pipeline against the quota it covers
(kpis.close pipeline_coverage). Owner and team only, the dimensions both have."""

PROSPECT_ACTIVITIES_NOW_AND_BEFORE = (
    "SELECT a.*, s.side FROM activity_prospects AS a "
    "CROSS JOIN (VALUES ('now'), ('before')) AS s(side)"
)
"""Every activity with its prospect (`activity_prospects`) twice over, `side` now and before:
research_response_roi places the first in a period and the second in its comparison period.
Each activity's prospect is found once (a union of two reads would find it twice)."""

ORDER_REPURCHASES = (
    "SELECT *, 'inside' AS side FROM order_lines "
    "WHERE customer_key IS NOT NULL AND ordered_at IS NOT NULL "
    "UNION ALL SELECT *, 'later' AS side FROM order_lines "
    "WHERE customer_key IS NOT NULL AND ordered_at IS NOT NULL"
)
"""The orders rows of identified customers twice over, `side` inside and later:
repurchase_rate places the first in a period and the second in the period before it, when
repurchase_window_days lets a second purchase fall after the period (kpis.purchase)."""

RESEARCHED_EMAILS = f"""
WITH research AS (
    SELECT prospect, occurred_at AS researched_at, coalesce(duration_minutes, 0.0) / 60.0 AS hours
    FROM activity_prospects
    WHERE channel = 'research' AND prospect IS NOT NULL AND occurred_at IS NOT NULL
), emails AS (
    SELECT *, coalesce(replied, FALSE) AS replied_email FROM activity_prospects
    WHERE channel = 'email' AND {OUTBOUND} AND NOT coalesce(bounced, FALSE)
        AND prospect IS NOT NULL AND occurred_at IS NOT NULL
), spent AS (
    SELECT e.{ROW} AS email_row, sum(r.hours) AS hours_before
    FROM emails AS e JOIN research AS r
        ON r.prospect = e.prospect AND r.researched_at < e.occurred_at
    GROUP BY e.{ROW}
)
SELECT e.*, s.email_row IS NOT NULL AS researched, coalesce(s.hours_before, 0.0) AS hours_before,
    CASE WHEN s.email_row IS NOT NULL THEN lag(e.occurred_at) OVER (
        PARTITION BY e.prospect, s.email_row IS NOT NULL ORDER BY e.occurred_at, e.{ROW}
    ) END AS researched_before_at
FROM emails AS e LEFT JOIN spent AS s ON s.email_row = e.{ROW}
"""
"""Delivered emails to a prospect (`activity_prospects`), with `replied_email`, whether the
prospect had research before the email (`researched`), the research hours on it before the
email (`hours_before`) and, for a researched one, the previous researched email to the same
prospect (`researched_before_at`; in date order, then as listed): research_response_roi's
trial (kpis.prospecting)."""


# efficiency: cac, cac_payback_months, clv, clv_to_cac, roi, rosi, sales_productivity
# (kpis.efficiency)


WITH_DIMENSIONS = (
    "UNION ALL BY NAME SELECT NULL::VARCHAR AS owner, NULL::VARCHAR AS team, "
    "NULL::VARCHAR AS source WHERE FALSE"
)
"""Appended to a SELECT: its rows with owner, team and source, blank where the table has none
(a mapping may keep them on any input)."""

SLICE_MARGINS = """
SELECT s.kpi_slice, CASE WHEN fsum(o.amount) > 0
    THEN (fsum(o.amount) - fsum(o.cost)) / fsum(o.amount) END AS margin
FROM report_slices s LEFT JOIN orders o ON o.ordered_at >= s.kpi_start
    AND o.ordered_at < s.kpi_stop AND o.cost IS NOT NULL AND o.amount IS NOT NULL
GROUP BY s.kpi_slice
"""
"""Per slice, the gross margin of the orders ordered in it that have both an amount and a cost
(blank without any): kpis.efficiency's margin where the config sets none."""

EFFICIENCY_ATTRIBUTION = f"""
WITH won AS (
    SELECT account_id, owner, team, source, lead_id FROM deals
    WHERE status = 'won' AND account_id IS NOT NULL
        AND (SELECT deal_accounts FROM efficiency_facts)
    QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY closed_at NULLS LAST, {ROW}) = 1
), listed AS (SELECT * FROM leads {WITH_DIMENSIONS}),
lead_sources AS (
    SELECT lead_id, source FROM listed WHERE lead_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY lead_id ORDER BY {ROW}) = 1
), first_leads AS (
    SELECT account_id, owner, team, source FROM listed WHERE account_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY created_at NULLS LAST, {ROW}) = 1
)
SELECT coalesce(w.account_id, l.account_id) AS customer_id,
    coalesce(w.owner, l.owner) AS owner, coalesce(w.team, l.team) AS team,
    coalesce(w.source, s.source, l.source) AS source
FROM won w LEFT JOIN lead_sources s ON s.lead_id = w.lead_id
FULL JOIN first_leads l ON l.account_id = w.account_id
"""
"""Owner, team and source per customer id: those of its first won deal (by closed_at, the
first listed on a tie; its lead's first listing's source where it has none), else of its
earliest lead with that account_id, each dimension on its own."""

SUBSCRIBED = """
SELECT customer_id, sum(mrr) AS mrr FROM subscriptions
WHERE customer_id IS NOT NULL AND mrr > 0 AND NOT coalesce(churned, FALSE)
    AND NOT (SELECT dated_subscriptions FROM efficiency_facts)
GROUP BY customer_id
"""
FOUND = "(SELECT new_source FROM efficiency_facts)"
UNSOURCED = "COLUMNS(lambda c: c NOT IN ('_file', '_row'))"
"""Every column but the file and line explain gives a row of one input (kpis.efficiency's
rows are made of several, some of many rows)."""
EVER_FROM, EVER_TO = f"TIMESTAMP '{FIRST_DAY}'", f"TIMESTAMP '{LAST_DAY}' + INTERVAL 1 DAY"
"""The span of a row in every period reported on (FIRST_DAY to LAST_DAY)."""
BOOK_COLUMNS = "COLUMNS(lambda c: c NOT IN ('_file', '_row', '_row_', 'month', 'book_month'))"


def _month_at(month: str) -> str:
    """The first instant of a month index (`month_of`)."""
    return f"make_timestamp(({month}) // 12, ({month}) % 12 + 1, 1, 0, 0, 0)"


EFFICIENCY_BOOK = f"SELECT {BOOK_COLUMNS}, {_month_at('book_month')} AS month_at FROM mrr_book"
"""The MRR book (`mrr_book`), one row per customer-month, `month_at` its first day."""

EFFICIENCY_MOVEMENTS = f"""
SELECT COLUMNS(lambda c: c NOT IN ('_file', '_row', '_row_', 'month', 'book_month',
    'moved_month', 'amount')), {_month_at("moved_month")} AS month_at
FROM mrr_movements WHERE movement IN ('new', 'churned')
"""
"""The MRR book's new and churned movements (`mrr_movements`), `month_at` the first day of
the month they show in."""

EFFICIENCY_ROWS = f"""
WITH customer_rows AS (
    SELECT 'acquisition' AS side, 'new' AS kind, month_at AS happened_at,
        * EXCLUDE (movement, month_at)
    FROM efficiency_movements WHERE movement = 'new' AND {FOUND} = 'subscriptions'
    UNION ALL BY NAME
    SELECT 'acquisition' AS side, 'new' AS kind, min(closed_at) AS happened_at,
        account_id AS customer_id
    FROM deals WHERE status = 'won' AND account_id IS NOT NULL AND {FOUND} = 'deals'
    GROUP BY account_id
    UNION ALL BY NAME
    SELECT 'acquisition' AS side, 'new' AS kind, min(ordered_at) AS happened_at, customer_id
    FROM orders WHERE customer_id IS NOT NULL AND {FOUND} = 'orders' GROUP BY customer_id
    UNION ALL BY NAME
    SELECT 'clv' AS side, movement AS kind, month_at AS happened_at, * EXCLUDE (movement)
    FROM efficiency_movements
    UNION ALL BY NAME
    SELECT 'clv' AS side, 'start' AS kind, month_at AS happened_at,
        month_at + INTERVAL 1 MONTH + INTERVAL 1 DAY AS ends_at, *
    FROM efficiency_book
    UNION ALL BY NAME
    SELECT 'clv' AS side, 'active' AS kind, month_at AS happened_at,
        month_at + INTERVAL 1 MONTH AS ends_at, *
    FROM efficiency_book
    UNION ALL BY NAME
    SELECT 'clv' AS side, 'active' AS kind, {EVER_FROM} AS happened_at, {EVER_TO} AS ends_at, *
    FROM ({SUBSCRIBED})
    UNION ALL BY NAME
    SELECT 'clv' AS side, 'order' AS kind, ordered_at AS happened_at,
        ordered_at + INTERVAL 1 YEAR + INTERVAL 1 DAY AS ends_at, *
    FROM (SELECT {UNSOURCED} FROM orders {WITH_DIMENSIONS})
    WHERE customer_id IS NOT NULL AND ordered_at IS NOT NULL
)
SELECT c.* REPLACE (coalesce(c.owner, a.owner) AS owner, coalesce(c.team, a.team) AS team,
        coalesce(c.source, a.source) AS source), f.snapshot
FROM customer_rows c LEFT JOIN efficiency_attribution a ON a.customer_id = c.customer_id
CROSS JOIN efficiency_facts f
UNION ALL BY NAME
SELECT 'acquisition' AS side, 'cost' AS kind, coalesce(incurred_at, month) AS happened_at,
    CASE WHEN incurred_at IS NULL AND NOT f.dated_subscriptions
        THEN month + INTERVAL 1 MONTH END AS ends_at,
    amount, currency, category, owner, team, source, f.snapshot
FROM costs CROSS JOIN efficiency_facts f WHERE amount IS NOT NULL
"""
"""The rows of cac, cac_payback_months, clv and clv_to_cac (kpis.efficiency), by `side`.

Acquisition: costs (`kind` cost, `amount`, from `happened_at`: incurred_at, else the month,
to `ends_at`: the next month's first day, blank when subscriptions are dated and a monthly
cost counts whole in its first day's period) and new customers (new, at their first paying
month, first won deal or first order, by `efficiency_facts.new_source`). Clv: from the MRR
book, customers new and churned (at the month they show in), each book month as `start` and
`active` (a row from the month's first day, `month_at`, through its last, or the day after
it); undated subscriptions' customers paying (mrr > 0, not churned: in every period); orders
with a customer (`order`, for the 12 months from their ordered_at). Customer rows carry the
customer's owner, team and source (`efficiency_attribution`) where they have none;
`snapshot` on every row."""

COSTS_AND_REVENUE = """
SELECT 'cost' AS part, coalesce(incurred_at, month) AS happened_at,
    CASE WHEN incurred_at IS NULL THEN month + INTERVAL 1 MONTH END AS ends_at,
    amount, currency, category, owner, team, source, NULL::TIMESTAMP AS closed_at
FROM costs WHERE amount IS NOT NULL
UNION ALL
SELECT 'won', closed_at, NULL, coalesce(amount, 0.0), currency, NULL, owner, team, source,
    closed_at
FROM deals WHERE status = 'won'
UNION ALL
SELECT 'before', closed_at, NULL, coalesce(amount, 0.0),
    currency, NULL, owner, team, source, closed_at
FROM deals WHERE status = 'won'
"""
"""Costs (`part` cost, from `happened_at`, incurred_at or the month, to `ends_at`, the next
month's first day for a monthly cost) and won deals (`part` won, at closed_at, `amount` 0 when
blank), and the won deals again as `before` (rosi places them in the period it sets the
period against, `Rows.against`): revenue against costs (roi, rosi, sales_productivity)."""


# cohort tables: cohort_retention, cohort_revenue_retention (kpis.retention)

COHORT_GRID = f"""
WITH firsts AS (
    SELECT * EXCLUDE (mrr, book_month), book_month AS cohort_month, mrr AS mrr_first
    FROM mrr_book
    QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY book_month) = 1
), cells AS (
    SELECT f.*, unnest(range(0, e.horizon - f.cohort_month + 1)) AS month_number,
        coalesce(f.cohort_month = e.opening, FALSE) AS opening_book
    FROM firsts f, mrr_edges e
)
SELECT c.*, strftime({_month_at("c.cohort_month")}, '%Y-%m') AS cohort,
    coalesce(b.mrr, 0.0) AS mrr, CASE WHEN b.mrr > 0 THEN 1.0 ELSE 0.0 END AS paying
FROM cells c LEFT JOIN mrr_book b
    ON b.customer_id = c.customer_id AND b.book_month = c.cohort_month + c.month_number
"""
"""One row per customer and month k = 0, 1, … (`month_number`) from its first paying month
(`cohort_month`, its index; `cohort`, YYYY-MM) to the horizon: `mrr` its MRR in month k (0
when not paying), `paying` 1.0 when it pays then (else 0.0), `mrr_first` its MRR in its first
month, `opening_book` whether that month is the opening month of monthly data; its other
columns those of its first month's book row (the plan it started on)."""

COHORT_CELLS = f"""
SELECT g.*, s.kpi_slice AS mrr_slice FROM cohort_grid g, report_slices s
WHERE s.kpi_whole OR ({_month_at("g.cohort_month")} >= s.kpi_start
    AND {_month_at("g.cohort_month")} < s.kpi_stop)
"""
"""Per slice (`mrr_slice`, `Rows.of_slice`), the cohort grid's rows of the cohorts whose
month's first day is in it (every cohort for period all, `kpi_whole`), as
`retention._cohort_rows`: a cohort is never after the horizon nor before the opening month,
so no cut is needed."""

VIEWS: dict[str, str] = {
    "stage_reach": _stage_reach(),
    # efficiency
    "costs_and_steps": _costs_and_steps(),
    # outreach and prospecting
    "deal_touches": DEAL_TOUCHES,
    "follow_ups": FOLLOW_UPS,
    "activity_prospects": ACTIVITY_PROSPECTS,
    "research_and_qualified": RESEARCH_AND_QUALIFIED,
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
    "lead_pocs": LEAD_POCS,
    # sales calls (issue 18)
    "call_sales": CALL_SALES,
    "follow_up_call_sales": FOLLOW_UP_CALL_SALES,
    # team KPIs on data of their own (issue 18)
    "coaching_windows": COACHING_WINDOWS,
    "rep_hours": REP_HOURS,
    # custom KPIs over two kinds of deal (kpis.close: sales_velocity)
    "open_and_closed_deals": OPEN_AND_CLOSED_DEALS,
    # named variants (issue 18)
    "won_and_qualified": WON_AND_QUALIFIED,
    "first_contacts": FIRST_CONTACTS,
    "assigned_responses": ASSIGNED_RESPONSES,
    "latest_waits": LATEST_WAITS,
    "researched_leads": RESEARCHED_LEADS,
    # purchase, loyalty, team. order_lines: every orders row with the purchase it belongs to
    # (kpis.purchase): its order_id, or without one its customer_id and the day of ordered_at
    # (day_keyed), or without either the row itself; customer_key: its non-blank customer_id.
    "order_lines": (
        "SELECT orders.*, coalesce('o:' || nullif(trim(order_id), ''), "
        "'c:' || nullif(trim(customer_id), '') || '|' || strftime(ordered_at, '%Y-%m-%d'), "
        "'r:' || CAST(_row_ AS VARCHAR)) AS purchase_key, "
        "nullif(trim(customer_id), '') AS customer_key, "
        "coalesce(nullif(trim(order_id), '') IS NULL AND nullif(trim(customer_id), '') IS NOT "
        "NULL AND ordered_at IS NOT NULL, FALSE) AS day_keyed FROM orders"
    ),
    # first_wins: each account's first won deals (several when they share its earliest
    # closed_at), over all time
    "first_wins": (
        "SELECT * EXCLUDE (kpi_first_won) FROM (SELECT deals.*, min(closed_at) OVER "
        "(PARTITION BY account_id) AS kpi_first_won FROM deals WHERE status = 'won' AND "
        "account_id IS NOT NULL AND closed_at IS NOT NULL) WHERE closed_at = kpi_first_won"
    ),
    # per_rep: deals won or lost (part 'deal', on their closed_at) and the reps (part 'rep',
    # `rep` their owner) employed from started_at to ended_at (blank: always), or without
    # rows of reps the owners of the deals closed, each on its closed_at; owner and team only,
    # the dimensions both kinds of record have (kpis.team)
    "per_rep": (
        "SELECT owner, team, currency, 'deal' AS part, status, amount, NULL::VARCHAR AS rep, "
        "closed_at AS rep_from, closed_at AS rep_until FROM deals "
        "WHERE status IN ('won', 'lost') AND closed_at IS NOT NULL "
        "UNION ALL SELECT owner, team, NULL, 'rep', NULL, NULL, owner, started_at, ended_at "
        "FROM reps UNION ALL SELECT owner, team, NULL, 'rep', NULL, NULL, owner, closed_at, "
        "closed_at FROM deals WHERE status IN ('won', 'lost') AND closed_at IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM reps)"
    ),
    # won revenue against quotas and forecasts (kpis.team, kpis.close)
    "won_and_targets": WON_AND_TARGETS,
    # MRR and retention (kpis.subscriptions, kpis.mrr, kpis.retention)
    "mrr_edges": MRR_EDGES,
    "mrr_paying": MRR_PAYING,
    "mrr_book": MRR_BOOK,
    "mrr_movements": MRR_MOVEMENTS,
    "mrr_windows": MRR_WINDOWS,
    "mrr_customers": MRR_CUSTOMERS,
    "mrr_bridge_lines": MRR_BRIDGE_LINES,
    "mrr_levels": MRR_LEVELS,
    # team, purchase, close and prospecting custom KPIs (issue 16: sales_growth,
    # pipeline_coverage, research_response_roi)
    "won_now_and_before": WON_NOW_AND_BEFORE,
    "pipeline_and_quotas": PIPELINE_AND_QUOTAS,
    "prospect_activities_now_and_before": PROSPECT_ACTIVITIES_NOW_AND_BEFORE,
    "order_repurchases": ORDER_REPURCHASES,
    "researched_emails": RESEARCHED_EMAILS,
    # efficiency: cac, cac_payback_months, clv, clv_to_cac, roi, rosi, sales_productivity
    "efficiency_attribution": EFFICIENCY_ATTRIBUTION,
    "efficiency_book": EFFICIENCY_BOOK,
    "efficiency_movements": EFFICIENCY_MOVEMENTS,
    "efficiency_rows": EFFICIENCY_ROWS,
    "costs_and_revenue": COSTS_AND_REVENUE,
    "slice_margins": SLICE_MARGINS,
    # cohort tables: cohort_retention, cohort_revenue_retention
    "cohort_grid": COHORT_GRID,
    "cohort_cells": COHORT_CELLS,
}
"""The shared views by name, in an order in which each reads only the ones before it."""

MATERIALISED = frozenset(
    (
        *("mrr_paying", "mrr_book", "mrr_movements", "mrr_windows", "mrr_customers"),
        *("mrr_levels", "cohort_grid", "efficiency_rows"),
    )
)
"""The views made as tables, once per report (per set of slices, for those that read the
slices): each is read by many KPIs, and computing it inside every KPI's query cost more than
the queries themselves (the MRR book: twenty KPIs; the efficiency rows: four custom KPIs that
cannot share one query, each of its own rows)."""
