"""Demo-stage KPIs: demos held, who gets one, what they win, and how long deals sit in each
stage.

A demo is an activity with channel demo, unless its outcome says it did not take place (no
show, cancelled, rescheduled); a deal's demo is its entered_demo date.

Each KPI declares its rows as SQL (`relation`) over the shared views of `kpis.views` (demos,
lead_demos, stage_stays), next to the pandas rows the engines are compared with while the
KPIs move onto DuckDB.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from salesmetrics.anomalies import entered_before_created, implausible, stage_dates
from salesmetrics.kpis import views
from salesmetrics.kpis.base import (
    LEFT_OUT,
    Aggregation,
    Context,
    Kpi,
    Maturing,
    Rows,
    Unit,
    carrying,
    datetimes,
    has,
    in_period,
    period_rows,
)
from salesmetrics.kpis.close import IS_CLOSED, closed_deals
from salesmetrics.kpis.qualification import leads_qualified, share_of_leads
from salesmetrics.kpis.views import NOT_HELD
from salesmetrics.periods import Period
from salesmetrics.schema import DEAL_STAGES, STAGE_DATE_PREFIX

STAGE = "demo"
DEMO = "demo"
OPEN_STAGES = DEAL_STAGES[: DEAL_STAGES.index("negotiation") + 1]  # prospecting..negotiation
STAGE_COLUMN = "stage"  # time_in_stage_days's category column
SECONDS_PER_DAY = 86400.0
DEMO_AT = "demo_at"  # sql_to_demo_rate's outcome date: the lead's first demo
SQLS = ("leads.lead_id", "leads.sql_at")
POC_DAYS = 60  # a POC runs after the demo: a longer window than sql_to_demo_rate's 30 days
ACCOMPLISHED_AT = "accomplished_at"  # sql_to_accomplished_poc_rate's outcome date (lead_pocs)
SUCCESSFUL_AT = "successful_at"  # sql_to_successful_poc_rate's outcome date (lead_pocs)


def _held(acts: pd.DataFrame) -> pd.Series:
    """Demo activities whose outcome does not say the demo did not happen."""
    demo = (acts["channel"] == DEMO).fillna(False).astype(bool)
    if "outcome" not in acts.columns:
        return demo
    outcome = acts["outcome"][demo.to_numpy()]  # text work on the demos only
    letters = outcome.astype("string").fillna("").str.lower().str.replace(r"[^a-z]", "", regex=True)
    held = demo.copy()
    held[demo.to_numpy()] = ~letters.isin(NOT_HELD).to_numpy(dtype=bool)
    return held


def _from_activities(data: Context) -> bool:
    """Demos come from activities when the activities input has any channel demo row at all,
    else from deals.entered_demo; decided on the whole input, so every period and bucket of a
    report counts demos the same way.
    """
    if "activities" not in data:
        return False
    return bool((data["activities"]["channel"] == DEMO).fillna(False).any())


# demos_held


def _demos(data: Context, period: Period) -> pd.DataFrame:
    """Demo activities held in the period; without any demo activity in the input, deals with
    entered_demo in the period (one demo per deal).
    """
    if _from_activities(data):
        return period_rows(
            data,
            "demos",
            lambda: data["activities"],
            "occurred_at",
            period,
            lambda acts: _held(acts).to_numpy(dtype=bool),
        )
    if "deals" not in data or "entered_demo" not in data["deals"].columns:
        return data["activities"].iloc[0:0]  # an activity log without a single demo
    return period_rows(data, "deals", lambda: data["deals"], "entered_demo", period)


# sql_to_demo_rate


def _sql_to_demo(data: Context, period: Period) -> pd.DataFrame:
    """Leads qualified in the period, whether each got a demo at any time (a held demo
    activity on the lead, or on a deal of the lead's (deals.lead_id), or a deal of the lead's
    with an entered_demo date), and the date of its first one (`demo_at`, the outcome date of
    the same-age view).
    """
    leads = leads_qualified(data, period)
    ids, first = data.memo("demo.demoed", lambda: _demoed(data))
    lead_ids = leads["lead_id"].astype(object)
    hit = lead_ids.isin(ids).to_numpy(dtype=bool)
    if len(first):
        demo_at = datetimes(lead_ids.map(first)).to_numpy()
    else:  # no dated demo at all (mapping through an empty series fails in pandas)
        demo_at = np.full(len(leads), np.datetime64("NaT", "us"))
    return share_of_leads(leads, hit, **{DEMO_AT: demo_at})


def _demoed(data: Context) -> tuple[pd.Series, pd.Series]:
    """The lead_ids with a demo, and each one's first demo date (where one is dated)."""
    demoed: list[pd.Series] = []  # lead_ids with a demo
    dated: list[pd.Series] = []  # demo dates by lead_id
    deal_lead = pd.Series(dtype=object)  # deal_id -> lead_id
    if "deals" in data and has(data["deals"], "lead_id"):
        deals = data["deals"].dropna(subset=["lead_id"])
        if "entered_demo" in deals.columns:
            entered = deals["entered_demo"].notna().to_numpy()
            leads_of = deals["lead_id"].astype(object)
            demoed.append(leads_of[entered])
            dated.append(_by(leads_of[entered], deals["entered_demo"][entered]))
        if "deal_id" in deals.columns:  # a deals export without ids cannot link activities
            deals = deals.drop_duplicates("deal_id")
            deal_lead = pd.Series(
                deals["lead_id"].astype(object).to_numpy(), index=deals["deal_id"].astype(object)
            )
    if "activities" in data:
        acts = data["activities"]
        demos = acts[_held(acts).to_numpy()]
        if "lead_id" in demos.columns:
            own = demos.dropna(subset=["lead_id"])
            demoed.append(own["lead_id"].astype(object))
            dated.append(_by(own["lead_id"].astype(object), own["occurred_at"]))
        if "deal_id" in demos.columns and len(deal_lead):
            via = demos["deal_id"].astype(object).map(deal_lead)
            known = via.notna().to_numpy()
            demoed.append(via[known])
            dated.append(_by(via[known], demos["occurred_at"][known]))
    ids = pd.concat(demoed) if demoed else pd.Series(dtype=object)
    stacked = pd.concat(dated) if dated else pd.Series(dtype="datetime64[us]")
    first = stacked.groupby(level=0).min() if len(stacked) else stacked
    return ids, first


def _by(lead_ids: pd.Series, dates: pd.Series) -> pd.Series:
    """Dates indexed by lead_id, as numpy datetimes."""
    return pd.Series(datetimes(dates).to_numpy(), index=lead_ids.to_numpy())


# demo_to_win_rate


def _demo_to_win(data: Context, period: Period) -> pd.DataFrame:
    """Deals closed in the period; those that entered demo are the denominator, and those of
    them that were won the numerator (deals that never entered demo carry 0 and 0).
    """
    deals = closed_deals(data, period)
    demoed = deals["entered_demo"].notna().to_numpy(dtype=float)
    won = (deals["status"] == "won").fillna(False).to_numpy(dtype=float)
    return deals.assign(numerator=demoed * won, denominator=demoed)


# time_in_stage_days

LEFT = "_left_at"  # when the deal left the stage: what puts the row in a period


def _naive(values: pd.Series) -> np.ndarray:
    return datetimes(values).to_numpy()


def _stage_days(data: Context, period: Period) -> pd.DataFrame:
    """One row per deal and open stage it left in the period, with the days it spent there.

    A deal left stage s when it first entered a later canonical stage (won and lost included,
    and its closed_at for a closed deal) at or after entering s; a later date before entering s
    (a deal sent back) does not end the stay. Deals still in a stage have no row for it. A
    deal that entered a stage before it was created (one of the two dates is wrong), or with a
    date outside the plausible range (salesmetrics.anomalies), is left out and counted in the
    note.
    """
    return period_rows(data, "stage_days", lambda: _all_stage_days(data), LEFT, period)


def _all_stage_days(data: Context) -> pd.DataFrame:
    deals = data["deals"]
    closed = deals["status"].isin(["won", "lost"]).fillna(False).to_numpy(dtype=bool)
    nat = np.datetime64("NaT", "us")
    closing = np.full(len(deals), nat)
    if "closed_at" in deals.columns:
        closing = np.where(closed, _naive(deals["closed_at"]), nat)
    entered = {
        s: _naive(deals[STAGE_DATE_PREFIX + s])
        if STAGE_DATE_PREFIX + s in deals.columns
        else np.full(len(deals), nat)
        for s in DEAL_STAGES
    }
    impossible = entered_before_created(deals)
    impossible |= implausible(deals, "created_at", *stage_dates(deals), "closed_at")
    parts = []
    for i, stage in enumerate(OPEN_STAGES):
        start = entered[stage]
        later = np.stack([entered[s] for s in DEAL_STAGES[i + 1 :]] + [closing])
        later = np.where(later >= start, later, nat)
        left = pd.Series(np.fmin.reduce(later, axis=0))
        days = (left - pd.Series(start)).dt.total_seconds().to_numpy() / SECONDS_PER_DAY
        rows = carrying(data, deals).assign(
            value=days, **{STAGE_COLUMN: stage}, **{LEFT_OUT: impossible}
        )
        rows[LEFT] = left.to_numpy()
        parts.append(rows[~np.isnan(days)])
    return pd.concat(parts)


# demo_time_share


def _demo_time(data: Context, period: Period) -> pd.DataFrame:
    """Activities in the period with a duration: all of it is the denominator, and that of
    channel demo the numerator (a no-show demo counts with the duration logged for it).
    """
    acts = data["activities"]
    timed = acts["duration_minutes"].notna() & in_period(acts["occurred_at"], period)
    rows = acts[timed.fillna(False).astype(bool).to_numpy()]
    minutes = rows["duration_minutes"].to_numpy(dtype=float)
    demo = (rows["channel"] == DEMO).fillna(False).to_numpy(dtype=bool)
    return rows.assign(numerator=np.where(demo, minutes, 0.0), denominator=minutes)


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
        _demos,
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
        _sql_to_demo,
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
        _demo_to_win,
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
        _stage_days,
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
        _demo_time,
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
        None,
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
        None,
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
        None,
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
        None,
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
        None,
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
        None,
        relation=Rows(
            "held_demos",
            "occurred_at",
            (("poc_goals_met IS NOT NULL", "no share of goals met"),),
            value="poc_goals_met",
        ),
    ),
)
