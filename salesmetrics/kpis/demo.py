"""Demo-stage KPIs: demos held, who gets one, what they win, and how long deals sit in each
stage.

A demo is an activity with channel demo, unless its outcome says it did not take place (no
show, cancelled, rescheduled); a deal's demo is its entered_demo date.

Each KPI declares its rows as SQL (`relation`) over the shared views of `kpis.views` (demos,
lead_demos, stage_stays).
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
from salesmetrics.kpis.close import IS_CLOSED
from salesmetrics.schema import DEAL_STAGES, STAGE_DATE_PREFIX

STAGE = "demo"
DEMO = "demo"
OPEN_STAGES = DEAL_STAGES[: DEAL_STAGES.index("negotiation") + 1]  # prospecting..negotiation
STAGE_COLUMN = "stage"  # time_in_stage_days's category column
DEMO_AT = "demo_at"  # sql_to_demo_rate's outcome date: the lead's first demo
SQLS = ("leads.lead_id", "leads.sql_at")
POC_DAYS = 60  # a POC runs after the demo: a longer window than sql_to_demo_rate's 30 days
ACCOMPLISHED_AT = "accomplished_at"  # sql_to_accomplished_poc_rate's outcome date (lead_pocs)
SUCCESSFUL_AT = "successful_at"  # sql_to_successful_poc_rate's outcome date (lead_pocs)


def _from_activities(data: Context) -> bool:
    """Demos come from activities when the activities input has any channel demo row at all,
    else from deals.entered_demo; decided on the whole input, so every period and bucket of a
    report counts demos the same way.
    """
    if "activities" not in data:
        return False
    return DEMO in tables.values(data["activities"], "channel")


# demo_time_share


STAGE_NEEDS = "|".join(f"deals.{STAGE_DATE_PREFIX}{s}" for s in OPEN_STAGES)
DEMOED = "entered_demo IS NOT NULL"
STAGE_DATES = [f"{STAGE_DATE_PREFIX}{s}" for s in DEAL_STAGES]
SUCCESSFUL_SQL = views.reached_on("proposal")  # when a deal's POC proved successful
IMPOSSIBLE_STAY = " OR ".join(
    [views.negative(d, "created_at") for d in STAGE_DATES]
    + [views.implausible("created_at", *STAGE_DATES, "closed_at")]
)
ACCOMPLISHED_ROWS = Rows(
    "deals",
    views.ACCOMPLISHED_SQL,
    ((f"({views.ACCOMPLISHED_SQL}) IS NOT NULL", "no accomplished POC dated"),),
)
"""Deals placed by the day their demo (POC) was accomplished (pocs_accomplished)."""
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "demos_held",
        "Demos held",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        ("activities.channel|deals.entered_demo",),
        "occurred_at (demo activities), else entered_demo (deals)",
        "count of activities with channel demo in the period whose outcome is not a no-show, "
        "cancellation or reschedule; if the activities have no demo at all, count of deals "
        "with entered_demo in the period",
        relation=Rows("demos", "demo_at"),
    ),
    Kpi(
        "sql_to_demo_rate",
        "SQL to demo rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        ("leads.lead_id", "leads.sql_at", "activities.lead_id|deals.lead_id"),
        "sql_at (leads)",
        "distinct leads with sql_at in the period that got a demo (a held demo activity on "
        "the lead or its deal, or a deal of theirs with entered_demo) / distinct leads with "
        "sql_at in the period",
        matures=Maturing(30, DEMO_AT),
        relation=Rows(
            "lead_demos",
            "sql_at",
            numerator="CASE WHEN demoed THEN 1.0 ELSE 0.0 END",
            denominator="1.0",
            key="lead_id",
            outcome=DEMO_AT,
        ),
    ),
    Kpi(
        "demo_to_win_rate",
        "Demo to win rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        ("deals.entered_demo", "deals.status", "deals.closed_at"),
        "closed_at (deals won or lost)",
        "deals closed in the period with entered_demo that were won / deals closed in the "
        "period with entered_demo",
        relation=Rows(
            "deals",
            "closed_at",
            (IS_CLOSED,),
            numerator=f"CASE WHEN {DEMOED} AND status = 'won' THEN 1.0 ELSE 0.0 END",
            denominator=f"CASE WHEN {DEMOED} THEN 1.0 ELSE 0.0 END",
        ),
    ),
    Kpi(
        "time_in_stage_days",
        "Time in stage (median days)",
        STAGE,
        Unit.DAYS,
        Aggregation.MEDIAN,
        (STAGE_NEEDS,),
        "the date the deal left the stage (entered a later one, or closed)",
        "per stage: median days from entered_<stage> to the first later stage entry or close "
        "at or after it, over deals that left the stage in the period; deals that entered a "
        "stage before they were created, or with a date out of range, left out",
        higher_is_better=False,
        left_out=(
            "{n} deals with impossible stage dates left out (a stage entered before the deal was "
            "created, or a date outside the plausible range: see salesmetrics validate)"
        ),
        category=STAGE_COLUMN,
        category_order=OPEN_STAGES,
        relation=Rows(
            "stage_stays",
            "stay_until",
            value="(epoch_us(stay_until) - epoch_us(stay_from)) / 1000000.0 / 86400.0",
            category="stay_stage",
            left_out=IMPOSSIBLE_STAY,
        ),
    ),
    Kpi(
        "demo_time_share",
        "Time spent demoing",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        ("activities.duration_minutes", "activities.channel", "activities.occurred_at"),
        "occurred_at (activities)",
        "sum of duration_minutes over demo activities in the period / sum of duration_minutes "
        "over all activities in the period that have one",
        relation=Rows(
            "activities",
            "occurred_at",
            (("duration_minutes IS NOT NULL", "no duration"),),
            numerator="CASE WHEN channel = 'demo' THEN duration_minutes ELSE 0.0 END",
            denominator="duration_minutes",
        ),
    ),
    # the third seed's POC counts (issue 18): the steps cost_per_accomplished_poc and
    # cost_per_successful_poc divide by, counted on their own; declared in SQL only
    Kpi(
        "pocs_accomplished",
        "POCs accomplished",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        ("deals.status", "deals.closed_at", "deals.entered_demo|deals.entered_proposal"),
        "the date the deal's POC was accomplished",
        "count of deals whose demo (POC) was accomplished in the period: they reached proposal "
        "(the earliest of entered_proposal, a later stage's date, and closed_at if won), or "
        "were lost (closed_at) after reaching the demo stage",
        relation=ACCOMPLISHED_ROWS,
    ),
    Kpi(
        "pocs_successful",
        "Successful POC evaluations",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        ("deals.status", "deals.entered_proposal|deals.entered_negotiation"),
        "the date the deal reached proposal",
        "count of deals that reached proposal in the period (the earliest of entered_proposal, "
        "a later stage's date, and closed_at if won): a POC evaluated as successful",
        relation=Rows(
            "deals",
            views.reached_on("proposal"),
            ((f"({views.reached_on('proposal')}) IS NOT NULL", "no proposal dated"),),
        ),
    ),
    # the third seed's POC ratios (issue 18): of the deals and leads the POC counts date, as
    # sql_to_demo_rate is of the demos; declared in SQL only
    Kpi(
        "sql_to_accomplished_poc_rate",
        "SQL to accomplished POC rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*SQLS, "deals.lead_id", "deals.status", "deals.entered_demo|deals.entered_proposal"),
        "sql_at (leads)",
        "distinct leads with sql_at in the period with a deal (deals.lead_id) whose demo (POC) "
        "was accomplished, as pocs_accomplished dates it / distinct leads with sql_at in the "
        "period",
        matures=Maturing(POC_DAYS, ACCOMPLISHED_AT),
        relation=Rows(
            "lead_pocs",
            "sql_at",
            numerator="CASE WHEN accomplished THEN 1.0 ELSE 0.0 END",
            denominator="1.0",
            key="lead_id",
            outcome=ACCOMPLISHED_AT,
        ),
    ),
    Kpi(
        "poc_success_rate",
        "POC success rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        ("deals.status", "deals.closed_at", "deals.entered_demo|deals.entered_proposal"),
        "the date the deal's POC was accomplished",
        "deals whose demo (POC) was accomplished in the period that reached proposal (a POC "
        "evaluated as successful) / deals whose demo (POC) was accomplished in the period: "
        "pocs_successful / pocs_accomplished, of the same deals",
        relation=replace(
            ACCOMPLISHED_ROWS,
            numerator=f"CASE WHEN ({SUCCESSFUL_SQL}) IS NOT NULL THEN 1.0 ELSE 0.0 END",
            denominator="1.0",
        ),
    ),
    Kpi(
        "sql_to_successful_poc_rate",
        "SQL to successful POC rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (
            *SQLS,
            "deals.lead_id",
            "deals.status",
            "deals.entered_proposal|deals.entered_negotiation",
        ),
        "sql_at (leads)",
        "distinct leads with sql_at in the period with a deal (deals.lead_id) that reached "
        "proposal (a successful POC), as pocs_successful dates it / distinct leads with sql_at "
        "in the period",
        matures=Maturing(POC_DAYS, SUCCESSFUL_AT),
        relation=Rows(
            "lead_pocs",
            "sql_at",
            numerator="CASE WHEN successful THEN 1.0 ELSE 0.0 END",
            denominator="1.0",
            key="lead_id",
            outcome=SUCCESSFUL_AT,
        ),
    ),
    # the third seed's "goals / events accomplished in POC", on data no CRM export carries
    Kpi(
        "poc_goals_met",
        "POC goals met",
        STAGE,
        Unit.RATIO,
        Aggregation.MEAN,
        ("activities.channel", "activities.poc_goals_met"),
        "occurred_at (demo activities)",
        "mean of poc_goals_met (the share of a POC's goals it met) over the demos held in the "
        "period that have one (demo activities whose outcome is not a no-show, cancellation "
        "or reschedule)",
        relation=Rows(
            "held_demos",
            "occurred_at",
            (("poc_goals_met IS NOT NULL", "no share of goals met"),),
            value="poc_goals_met",
        ),
    ),
)
