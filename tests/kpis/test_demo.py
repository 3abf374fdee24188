"""Demo-stage KPIs on tiny books whose answers are worked out by hand in each test."""

from __future__ import annotations

import pandas as pd
import pytest

from salesmetrics.engine import compute
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.kpis.demo import KPIS, OPEN_STAGES
from salesmetrics.periods import resolve_period
from tests.kpis.frames import AS_OF, JUNE, OCTOBER, Q4, SEPTEMBER, frame


def run(frames: dict[str, pd.DataFrame], *ids: str, period=OCTOBER, **options):
    """The KPIs `ids` of `frames` in `period` (October unless given)."""
    return compute(frames, period=period, as_of=AS_OF, kpis=list(ids), **options)


def test_every_kpi_is_declared_once_in_the_catalogue():
    ids = [k.id for k in KPIS]
    assert ids == [
        "demos_held",
        "sql_to_demo_rate",
        "demo_to_win_rate",
        "time_in_stage_days",
        "demo_time_share",
        "pocs_accomplished",
        "pocs_successful",
        "sql_to_accomplished_poc_rate",
        "poc_success_rate",
        "sql_to_successful_poc_rate",
        "poc_goals_met",
    ]
    assert all(CATALOGUE[i].stage == "demo" for i in ids)
    assert OPEN_STAGES == ("prospecting", "qualification", "demo", "proposal", "negotiation")


ACTIVITIES = frame(
    "activities",
    "activity_id occurred_at channel outcome owner lead_id deal_id duration_minutes",
    [
        ("M1", "2026-10-01 00:00", "demo", "Completed", "Ana", "L1", "D1", 60.0),
        ("M2", "2026-10-31 23:59", "demo", None, "Ben", "L2", None, 45.0),
        ("M3", "2026-10-15 10:00", "demo", "No show", "Ana", "L3", None, 0.0),  # not held
        ("M4", "2026-11-01 00:00", "demo", "Completed", "Ben", "L8", None, 60.0),  # November
        ("M5", "2026-10-02 10:00", "call", "Connected", "Ana", "L1", None, 30.0),
        ("M6", "2026-10-03 10:00", "research", None, "Ana", "L1", None, 90.0),
        ("M7", "2026-10-04 10:00", "email", None, "Ana", "L1", None, None),  # no duration
        ("M8", "2026-10-20 10:00", "meeting", "Rescheduled", "Ben", "L2", None, 0.0),
        ("M9", "2026-10-16 10:00", "demo", "Cancelled", "Cy", "L7", None, None),  # not held
        ("M10", "2026-09-20 10:00", "demo", "Completed", "Ben", None, "D5", 60.0),  # September
    ],
)
DEALS = frame(
    "deals",
    "deal_id lead_id status created_at closed_at entered_demo owner",
    [
        ("D1", "L1", "won", "2026-09-01", "2026-10-01 00:00", "2026-09-20", "Ana"),
        ("D2", None, "lost", "2026-09-01", "2026-10-31 23:59", "2026-10-31 23:59", "Ana"),
        ("D3", None, "won", "2026-09-01", "2026-10-15", None, "Cy"),  # never demoed
        ("D4", "L4", "won", "2026-09-01", "2026-11-01 00:00", "2026-11-01 00:00", "Ben"),
        ("D5", "L5", "open", "2026-09-01", None, None, "Ben"),  # demo activity M10
        ("D6", None, "lost", "2026-09-01", "2026-10-20", "2026-10-05", "Ben"),
        ("D7", None, "won", "2026-09-01", "2026-10-25", "2026-10-06", "Ana"),
    ],
)
LEADS = frame(
    "leads",
    "lead_id created_at quality sql_at",
    [
        ("L1", "2026-09-01", "hot", "2026-10-01 00:00"),  # demo M1
        ("L2", "2026-09-01", "hot", "2026-10-31 23:59"),  # demo M2
        ("L3", "2026-09-01", "warm", "2026-10-10"),  # only a no-show
        ("L4", "2026-09-01", "warm", "2026-10-12"),  # its deal D4 entered demo
        ("L5", "2026-09-01", "cold", "2026-10-14"),  # demo M10 on its deal D5
        ("L6", "2026-09-01", "ice", "2026-11-01 00:00"),  # November
        ("L7", "2026-09-01", "hot", "2026-10-20"),  # only a cancelled demo
    ],
)
BOOK = {"activities": ACTIVITIES, "deals": DEALS, "leads": LEADS}


# demos_held


def test_demos_held_counts_demo_activities_that_took_place():
    report = run(BOOK, "demos_held", group_by=["owner"])
    # M1 (first minute) and M2 (last minute); M3 no show, M9 cancelled, M4 in November
    assert report.value("demos_held").value == 2
    assert report.value("demos_held", owner="Ana").value == 1
    assert report.value("demos_held", owner="Ben").value == 1
    assert report.value("demos_held", owner="Cy").value == 0  # only a cancelled demo
    assert run(BOOK, "demos_held", period=JUNE).value("demos_held").value == 0


def test_demos_held_by_month_looks_only_at_each_bucket():
    report = run(BOOK, "demos_held", period=Q4, group_by=["month"])
    # Q4: M1, M2, M4 = 3; October 2, November 1 (M4 at midnight), December 0
    assert report.value("demos_held").value == 3
    assert report.value("demos_held", month="2026-10").value == 2
    assert report.value("demos_held", month="2026-11").value == 1
    assert report.value("demos_held", month="2026-12").value == 0


def test_demos_held_falls_back_to_deals_without_demo_activities():
    # entered_demo in October: D2 (23:59), D6, D7; D1 in September, D4 at midnight of 1 Nov
    assert run({"deals": DEALS}, "demos_held").value("demos_held").value == 3
    calls = ACTIVITIES[(ACTIVITIES["channel"] != "demo").to_numpy()]
    report = run({"deals": DEALS, "activities": calls}, "demos_held")
    assert report.value("demos_held").value == 3  # activities, but not one demo among them
    # an activity log without a demo and no deals: no demo was held
    assert run({"activities": calls}, "demos_held").value("demos_held").value == 0
    deals = frame("deals", "deal_id status created_at", [("D1", "open", "2026-10-01")])
    skipped = run({"deals": deals}, "demos_held").skipped
    assert skipped[0].reason == "needs activities.channel or deals.entered_demo"


# sql_to_demo_rate


def test_sql_to_demo_rate_counts_demos_on_the_lead_or_its_deals():
    report = run(BOOK, "sql_to_demo_rate", group_by=["quality"])
    rate = report.value("sql_to_demo_rate")
    # SQL in October: L1, L2, L3, L4, L5, L7; a demo: L1 (M1), L2 (M2), L4 (D4 entered demo),
    # L5 (M10 on D5) -> 4/6; L3 only had a no-show and L7 a cancelled demo
    assert (rate.numerator, rate.denominator) == (4.0, 6.0)
    # hot: L1, L2 of L1, L2, L7 = 2/3; warm: L4 of L3, L4 = 1/2; cold: L5 = 1/1
    hot = report.value("sql_to_demo_rate", quality="hot")
    assert (hot.numerator, hot.denominator) == (2.0, 3.0)
    assert report.value("sql_to_demo_rate", quality="warm").value == 0.5
    assert report.value("sql_to_demo_rate", quality="cold").value == 1.0
    # the total is 4/6 = 0.667, not the mean of 2/3, 1/2 and 1 (0.722)
    assert rate.value == pytest.approx(4 / 6)
    ice = report.value("sql_to_demo_rate", quality="ice")  # L6 qualified in November
    assert (ice.value, ice.note) == (None, "no rows in the denominator")


def test_sql_to_demo_rate_from_deals_alone_and_its_skip_reason():
    report = run({"leads": LEADS, "deals": DEALS}, "sql_to_demo_rate")
    # without activities only the deals show demos: L1's D1 and L4's D4 entered demo -> 2/6
    assert report.value("sql_to_demo_rate").numerator == 2.0
    assert report.value("sql_to_demo_rate").value == pytest.approx(2 / 6)
    skipped = run({"leads": LEADS}, "sql_to_demo_rate").skipped
    assert skipped[0].reason == "needs activities.lead_id or deals.lead_id"


# demo_to_win_rate


def test_demo_to_win_rate_over_demoed_deals_closed_in_the_period():
    report = run(BOOK, "demo_to_win_rate", group_by=["owner"])
    rate = report.value("demo_to_win_rate")
    # closed in October with entered_demo: D1 won, D2 lost (23:59), D6 lost, D7 won -> 2/4;
    # D3 never entered demo, D4 closed at midnight of 1 November, D5 is open
    assert (rate.numerator, rate.denominator, rate.value) == (2.0, 4.0, 0.5)
    # Ana: D1, D7 of D1, D2, D7 = 2/3; Ben: 0 of D6 = 0/1; the total is not their mean (0.333)
    ana = report.value("demo_to_win_rate", owner="Ana")
    assert (ana.numerator, ana.denominator) == (2.0, 3.0)
    assert report.value("demo_to_win_rate", owner="Ben").value == 0.0
    cy = report.value("demo_to_win_rate", owner="Cy")  # D3 closed without a demo
    assert (cy.value, cy.denominator, cy.note) == (None, 0.0, "no rows in the denominator")
    empty = run(BOOK, "demo_to_win_rate", period=JUNE).value("demo_to_win_rate")
    assert (empty.value, empty.note) == (None, "no rows in the denominator")


def test_demo_to_win_rate_needs_stage_dates():
    deals = frame(
        "deals", "deal_id status created_at closed_at", [("D1", "won", "2026-10-01", "2026-10-02")]
    )
    skipped = run({"deals": deals}, "demo_to_win_rate").skipped
    assert skipped[0].reason == "needs deals.entered_demo"


# time_in_stage_days

STAGES = frame(
    "deals",
    "deal_id status closed_at owner entered_prospecting entered_qualification entered_demo "
    "entered_proposal entered_negotiation entered_won entered_lost",
    [
        # every stage in turn: 2, 5, 2, 5 and 5 days, all left in October
        (
            "T1",
            "won",
            "2026-10-20",
            "Ana",
            "2026-10-01",
            "2026-10-03",
            "2026-10-08",
            "2026-10-10",
            "2026-10-15",
            "2026-10-20",
            None,
        ),
        # prospecting 25 Sep -> 1 Oct 00:00 (6 days); qualification -> proposal on 21 Oct
        # (20 days, demo skipped); proposal -> lost at 23:59 on 31 Oct with no entered_lost,
        # so its closed_at ends the stay: 10 days 23:59 = 10 + 1439/1440 days
        (
            "T2",
            "lost",
            "2026-10-31 23:59",
            "Ben",
            "2026-09-25",
            "2026-10-01 00:00",
            None,
            "2026-10-21",
            None,
            None,
            None,
        ),
        # open: left prospecting at midnight of 1 November (not October), still qualifying
        ("T3", "open", None, "Ana", "2026-10-05", "2026-11-01 00:00", None, None, None, None, None),
        # sent back from proposal (4 Oct) to demo (10 Oct), then negotiation on 14 Oct:
        # prospecting 1 -> 5 Sep (4 days, September); qualification 5 Sep -> 4 Oct (29 days);
        # demo 10 -> 14 Oct (4 days: the earlier proposal does not end it); proposal 4 -> 14
        # Oct (10 days); still negotiating
        (
            "T4",
            "open",
            None,
            "Ana",
            "2026-09-01",
            "2026-09-05",
            "2026-10-10",
            "2026-10-04",
            "2026-10-14",
            None,
            None,
        ),
    ],
)


def medians(report, **group) -> dict[str, float | None]:
    return {c: v.value for c, v in report.categories("time_in_stage_days", **group).items()}


def test_time_in_stage_is_a_median_per_stage_in_funnel_order():
    report = run({"deals": STAGES}, "time_in_stage_days")
    assert medians(report) == {
        "prospecting": 4.0,  # T1 2, T2 6
        "qualification": 20.0,  # T1 5, T2 20, T4 29
        "demo": 3.0,  # T1 2, T4 4
        "proposal": 10.0,  # T1 5, T4 10, T2 10.9993
        "negotiation": 5.0,  # T1 5
    }
    assert list(medians(report)) == list(OPEN_STAGES)


def test_time_in_stage_by_owner_and_in_a_quiet_month():
    report = run({"deals": STAGES}, "time_in_stage_days", group_by=["owner"])
    ana, ben = medians(report, owner="Ana"), medians(report, owner="Ben")
    # Ana: qualification T1 5, T4 29 -> 17; proposal T1 5, T4 10 -> 7.5
    assert (ana["qualification"], ana["proposal"]) == (17.0, 7.5)
    # Ben (T2): prospecting 6, qualification 20, proposal 10 days 23:59, no demo or negotiation
    assert ben["prospecting"] == 6.0
    assert ben["proposal"] == pytest.approx(10 + 1439 / 1440)
    assert (ben["demo"], ben["negotiation"]) == (None, None)
    # September: only T4 left prospecting (4 days); every other stage has no value
    september = run({"deals": STAGES}, "time_in_stage_days", period=SEPTEMBER)
    assert medians(september) == {
        "prospecting": 4.0,
        "qualification": None,
        "demo": None,
        "proposal": None,
        "negotiation": None,
    }
    assert september.categories("time_in_stage_days")["demo"].note == "no rows with a value"


def test_time_in_stage_leaves_out_a_deal_that_entered_a_stage_before_it_was_created():
    deals = frame(
        "deals",
        "deal_id status created_at entered_prospecting entered_qualification",
        [
            # prospecting from 1 Oct (the creation day, no time) to 4 Oct: 3 days
            ("G1", "open", "2026-10-01 09:00", "2026-10-01", "2026-10-04"),
            # created 10 Oct, prospecting since 1 Oct: one of the two is wrong, left out
            ("G2", "open", "2026-10-10", "2026-10-01", "2026-10-08"),
        ],
    )
    prospecting = run({"deals": deals}, "time_in_stage_days").categories("time_in_stage_days")[
        "prospecting"
    ]
    assert (prospecting.value, prospecting.n) == (3.0, 1)
    assert prospecting.note == (
        "1 deals with impossible stage dates left out (a stage entered before the deal was "
        "created, or a date outside the plausible range: see salesmetrics validate)"
    )


def test_time_in_stage_leaves_out_a_deal_with_a_stage_date_out_of_range():
    deals = frame(
        "deals",
        "deal_id status created_at entered_prospecting entered_demo entered_negotiation",
        [
            ("G1", "open", "2026-10-01", "2026-10-01", "2026-10-03", None),  # 2 days
            ("G2", "open", "2026-10-01", "2026-10-01", "2026-10-05", "2099-12-31"),  # 4 days
            ("G3", "open", "2026-10-01", "2026-10-01", "2026-10-07", None),  # 6 days
        ],
    )
    # salesmetrics.anomalies flags G2's placeholder negotiation date (every date field's,
    # the stage dates' too), so none of its stays can be trusted
    flagged = deals.assign(_implausible_entered_negotiation=[False, True, False])
    prospecting = run({"deals": flagged}, "time_in_stage_days").categories("time_in_stage_days")[
        "prospecting"
    ]
    # G1 2 days, G3 6 days -> 4; G2 left out and counted
    assert (prospecting.value, prospecting.n) == (4.0, 2)
    assert prospecting.note.startswith("1 deals with impossible stage dates left out")


def test_time_in_stage_needs_stage_dates():
    deals = frame("deals", "deal_id status created_at", [("D1", "open", "2026-10-01")])
    skipped = run({"deals": deals}, "time_in_stage_days").skipped
    assert skipped[0].reason == "needs " + " or ".join(f"deals.entered_{s}" for s in OPEN_STAGES)


# demo_time_share


def test_demo_time_share_is_demo_minutes_over_all_minutes():
    report = run(BOOK, "demo_time_share", group_by=["owner"])
    share = report.value("demo_time_share")
    # October minutes: demos M1 60 + M2 45 + M3 0 = 105; all timed: 105 + call 30 + research
    # 90 + meeting 0 = 225 (the email has no duration; M4 is November's) -> 105/225
    assert (share.numerator, share.denominator) == (105.0, 225.0)
    assert share.value == pytest.approx(7 / 15)
    # Ana: 60 / (60 + 0 + 30 + 90) = 1/3; Ben: 45 / (45 + 0) = 1; the total is not the mean
    assert report.value("demo_time_share", owner="Ana").value == pytest.approx(1 / 3)
    assert report.value("demo_time_share", owner="Ben").value == 1.0
    cy = report.value("demo_time_share", owner="Cy")  # a demo without a duration
    assert (cy.value, cy.note) == (None, "no rows in the denominator")


def test_demo_time_share_needs_durations():
    acts = frame("activities", "occurred_at channel", [("2026-10-01", "demo")])
    skipped = run({"activities": acts}, "demo_time_share").skipped
    assert skipped[0].reason == "needs activities.duration_minutes"


# pocs_accomplished, pocs_successful (the third seed's POC counts)

# fmt: off
POCS = frame("deals", (
    "deal_id status stage created_at closed_at owner entered_demo entered_proposal "
    "entered_negotiation"
), [
    ("P1", "won", "won", "2026-09-01", "2026-10-20", "Ana", "2026-09-20", "2026-10-03", "2026-10-10"),
    ("P2", "lost", "lost", "2026-09-01", "2026-10-15", "Ana", "2026-10-02", None, None),
    ("P3", "open", "proposal", "2026-09-01", None, "Ben", "2026-10-05", "2026-11-02", None),
    ("P4", "lost", "lost", "2026-09-01", "2026-10-12", "Ben", None, None, None),  # before a demo
    ("P5", "won", "won", "2026-09-01", "2026-10-25", "Ben", None, None, None),  # no stage dates
    ("P6", "open", "negotiation", "2026-09-01", None, "Ana", None, None, "2026-09-28"),
    ("P7", "open", "negotiation", "2026-09-01", None, "Ben", None, "2026-10-31 23:59", None),
])
# fmt: on
# POC accomplished: P1 on 3 Oct (proposal), P2 on 15 Oct (lost after its demo), P5 on 25 Oct
# (won: it reached every stage at its close), P7 at 23:59 on 31 Oct; P3 in November (2 Nov), P6
# in September (negotiation on 28 Sep means proposal by then); P4 was lost before a demo.
# Successful (reached proposal): P1, P5, P7 in October, P6 in September, P3 in November.


def test_pocs_accomplished_and_successful_count_deals_by_the_date_they_took_the_step():
    report = run({"deals": POCS}, "pocs_accomplished", "pocs_successful", group_by=["owner"])
    assert report.skipped == ()
    assert report.value("pocs_accomplished").value == 4  # P1 P2 P5 P7
    assert report.value("pocs_accomplished", owner="Ana").value == 2  # P1 P2
    assert report.value("pocs_accomplished", owner="Ben").value == 2  # P5 P7
    assert report.value("pocs_successful").value == 3  # P1 P5 P7
    assert report.value("pocs_successful", owner="Ana").value == 1  # P1
    september = run({"deals": POCS}, "pocs_accomplished", "pocs_successful", period=SEPTEMBER)
    assert september.value("pocs_accomplished").value == 1  # P6
    assert september.value("pocs_successful").value == 1  # P6
    november = run({"deals": POCS}, "pocs_successful", period=resolve_period("2026-11", AS_OF))
    assert november.value("pocs_successful").value == 1  # P3


def test_the_poc_counts_are_the_cost_grids_steps():
    """The cost per accomplished (successful) POC divides by the same deals."""
    costs = frame("costs", "month category amount", [("2026-10-01", "sales", 1200.0)])
    book = {"deals": POCS, "costs": costs}
    ids = ("pocs_accomplished", "cost_per_accomplished_poc", "pocs_successful")
    report = run(book, *ids, "cost_per_successful_poc")
    assert report.value("cost_per_accomplished_poc").denominator == 4
    assert report.value("cost_per_successful_poc").denominator == 3


# sql_to_accomplished_poc_rate, poc_success_rate, sql_to_successful_poc_rate (the third
# seed's POC ratios)


def test_poc_success_rate_is_the_successful_share_of_the_pocs_accomplished():
    report = run({"deals": POCS}, "poc_success_rate", group_by=["owner"])
    rate = report.value("poc_success_rate")  # P1 P5 P7 of P1 P2 P5 P7
    assert (rate.numerator, rate.denominator, rate.maturing) == (3.0, 4.0, False)
    assert report.value("poc_success_rate", owner="Ana").value == 0.5  # P1 of P1 P2
    assert report.value("poc_success_rate", owner="Ben").value == 1.0  # P5 P7
    september = run({"deals": POCS}, "poc_success_rate", period=SEPTEMBER)
    assert september.value("poc_success_rate").value == 1.0  # P6


# fmt: off
SQL_LEADS = frame("leads", "lead_id created_at sql_at owner", [
    ("Q1", "2026-09-01", "2026-10-02", "Ana"),
    ("Q1", "2026-09-01", "2026-10-02", "Ana"),  # listed twice: one lead
    ("Q2", "2026-09-01", "2026-10-10", "Ana"),
    ("Q3", "2026-09-01", "2026-10-15", "Ben"),
    ("Q4", "2026-09-01", "2026-10-31 23:59", "Ben"),
    ("Q5", "2026-09-01", "2026-11-01 00:00", "Ben"),  # November's cohort
    ("Q6", "2026-09-01", "2026-09-20", "Ana"),  # September's cohort
    ("Q7", "2026-09-01", "2026-10-05", "Ben"),  # no deal
])
LEAD_DEALS = frame("deals", (
    "deal_id lead_id status stage created_at closed_at entered_demo entered_proposal"
), [
    ("E1", "Q1", "open", "proposal", "2026-10-03", None, "2026-10-05", "2026-10-20"),
    ("E2", "Q1", "lost", "lost", "2026-10-03", "2026-10-08", "2026-10-04", None),
    ("E3", "Q2", "lost", "lost", "2026-10-11", "2026-10-25", "2026-10-12", None),
    ("E4", "Q3", "open", "demo", "2026-10-16", None, "2026-10-18", None),
    ("E5", "Q4", "won", "won", "2026-11-02", "2026-11-20", None, None),
    ("E6", "Q5", "open", "proposal", "2026-10-01", None, "2026-10-10", "2026-10-28"),
    ("E7", "Q6", "open", "proposal", "2026-09-21", None, "2026-09-25", "2026-10-03"),
    ("E8", None, "won", "won", "2026-10-01", "2026-10-09", "2026-10-02", "2026-10-05"),
])
# fmt: on
# October's SQLs: Q1 Q2 Q3 Q4 Q7 (Q4 at 23:59 on the 31st) = 5 distinct leads.
# Accomplished POC: Q1 (E2 lost after its demo on 8 Oct, E1 to proposal on 20 Oct), Q2 (E3
# lost after its demo), Q4 (E5 won on 20 Nov: it reached proposal at its close) = 3; Q3's demo
# is still running, Q7 has no deal, E8 has no lead.
# Successful POC (reached proposal): Q1 (E1), Q4 (E5) = 2.


def test_sql_to_poc_rates_follow_the_leads_qualified_in_the_period_to_their_deals_pocs():
    ids = ("sql_to_accomplished_poc_rate", "sql_to_successful_poc_rate")
    book = {"leads": SQL_LEADS, "deals": LEAD_DEALS}
    report = run(book, *ids, group_by=["owner"])
    accomplished = report.value("sql_to_accomplished_poc_rate")
    assert (accomplished.numerator, accomplished.denominator) == (3.0, 5.0)
    assert accomplished.maturing  # 23 days from 31 October to 23 November: under 60
    successful = report.value("sql_to_successful_poc_rate")
    assert (successful.numerator, successful.denominator) == (2.0, 5.0)
    assert report.value("sql_to_accomplished_poc_rate", owner="Ana").value == 1.0  # Q1 Q2
    assert report.value("sql_to_accomplished_poc_rate", owner="Ben").value == pytest.approx(1 / 3)
    assert report.value("sql_to_successful_poc_rate", owner="Ana").value == 0.5  # Q1 of Q1 Q2
    november = run(book, *ids, period=resolve_period("2026-11", AS_OF))  # Q5: E6 in October
    assert november.value("sql_to_accomplished_poc_rate").value == 1.0
    assert november.value("sql_to_successful_poc_rate").value == 1.0
    september = run(book, *ids, period=SEPTEMBER)  # Q6: E7 reached proposal on 3 Oct
    assert september.value("sql_to_successful_poc_rate").value == 1.0


def test_sql_to_poc_rates_need_the_deals_lead_and_stage_dates():
    ids = ("sql_to_accomplished_poc_rate", "sql_to_successful_poc_rate")
    unlinked = LEAD_DEALS.drop(columns=["lead_id"])
    report = run({"leads": SQL_LEADS, "deals": unlinked}, *ids)
    assert [(s.id, s.reason) for s in report.skipped] == [
        ("sql_to_accomplished_poc_rate", "needs deals.lead_id"),
        ("sql_to_successful_poc_rate", "needs deals.lead_id"),
    ]


def test_the_poc_counts_need_the_stage_dates():
    bare = POCS[["deal_id", "status", "created_at", "closed_at"]]
    report = run({"deals": bare}, "pocs_accomplished", "pocs_successful")
    assert [(s.id, s.reason) for s in report.skipped] == [
        ("pocs_accomplished", "needs deals.entered_demo or deals.entered_proposal"),
        ("pocs_successful", "needs deals.entered_proposal or deals.entered_negotiation"),
    ]


def test_poc_goals_met_is_the_mean_share_over_the_demos_held():
    demos = frame("activities", "activity_id occurred_at channel outcome poc_goals_met owner", [
        ("G1", "2026-10-03", "demo", "Completed", 0.5, "Ana"),
        ("G2", "2026-10-07", "demo", "No-show", 0.0, "Ana"),  # not held
        ("G3", "2026-10-20", "demo", None, 1.0, "Ben"),
        ("G4", "2026-10-21", "demo", None, None, "Ben"),  # no share given
        ("G5", "2026-10-22", "email", None, 0.1, "Ben"),  # not a demo
        ("G6", "2026-11-02", "demo", "Held", 0.2, "Ben"),  # November
    ])  # fmt: skip
    report = run({"activities": demos}, "poc_goals_met", group_by=["owner"])
    assert report.value("poc_goals_met").value == 0.75  # G1 0.5, G3 1.0
    assert report.value("poc_goals_met", owner="Ana").value == 0.5
    bare = run({"activities": demos.drop(columns=["poc_goals_met"])}, "poc_goals_met")
    assert [(s.id, s.reason) for s in bare.skipped] == [
        ("poc_goals_met", "needs activities.poc_goals_met")
    ]
