"""Outreach-stage KPIs on tiny activity books whose answers are worked out by hand in each test."""

from __future__ import annotations

import pandas as pd
import pytest

from salesmetrics.engine import compute
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.kpis.outreach import KPIS
from salesmetrics.periods import resolve_period
from tests.kpis.frames import AS_OF, JUNE, NOVEMBER, OCTOBER, Q4, SEPTEMBER, frame

ACTS = frame(
    "activities",
    "activity_id occurred_at channel direction owner lead_id opened replied bounced "
    "duration_minutes",
    [
        # emails sent in October: the first minute and the last minute (blank direction and
        # blank flags: outbound, not opened, not replied, not bounced)
        ("E1", "2026-10-01 00:00", "email", "outbound", "Ana", "L1", True, True, False, None),
        ("E2", "2026-10-05 09:00", "email", "outbound", "Ana", "L2", True, False, False, None),
        ("E3", "2026-10-06 09:00", "email", "outbound", "Ana", "L3", False, False, True, None),
        ("E4", "2026-10-31 23:59", "email", None, "Ben", "L1", None, None, None, None),
        ("E7", "2026-10-12 09:00", "email", "outbound", "Ben", "L5", False, True, False, None),
        ("E8", "2026-10-13 09:00", "email", "outbound", "Ben", "L6", True, False, False, None),
        # sent at midnight of 1 November: November
        ("E5", "2026-11-01 00:00", "email", "outbound", "Ben", "L4", True, True, False, None),
        # an email received from a lead is not an email sent
        ("E6", "2026-10-10 09:00", "email", "inbound", "Ana", "L1", None, None, None, None),
        # other reach outs in October, one without an owner
        ("C1", "2026-10-02 10:00", "call", "outbound", "Ana", "L1", None, None, None, 10.0),
        ("M1", "2026-10-20 15:00", "meeting", "outbound", "Ben", None, None, None, None, 30.0),
        ("X1", "2026-10-25 10:00", "other", "outbound", None, None, None, None, None, None),
        # research and inbound calls are activities, not reach outs
        ("R1", "2026-10-03 08:00", "research", "outbound", "Ana", "L2", None, None, None, 90.0),
        ("I1", "2026-10-15 11:00", "call", "inbound", "Ben", "L3", None, None, None, 5.0),
        # the last minute of September: Cy's first reach out to L2
        ("S1", "2026-09-30 23:59", "social", "outbound", "Cy", "L2", None, None, None, None),
    ],
)
BOOK = {"activities": ACTS}
# October reach outs (outbound or blank direction, not research): E1 E2 E3 E4 E7 E8 C1 M1 X1 = 9
# October emails sent: E1 E2 E3 E4 E7 E8 = 6; bounced E3; delivered E1 E2 E4 E7 E8 = 5;
# opened and delivered E1 E2 E8 = 3; replied and delivered E1 E7 = 2.


def run(kpi: str, period=OCTOBER, book=None, **options):
    return compute(book or BOOK, period=period, as_of=AS_OF, kpis=[kpi], **options)


def test_every_kpi_is_declared_in_the_outreach_stage():
    assert [k.id for k in KPIS] == [
        "reach_outs",
        "reach_outs_per_week",
        "emails_sent",
        "email_bounce_rate",
        "email_open_rate",
        "email_response_rate",
        "email_response_rate_of_opened",
        "activities_per_rep",
        "touches_per_won_deal",
        "touches_per_lost_deal",
        "follow_ups_per_lead",
        "sales_call_conversion_rate",
        "follow_up_calls_to_sale",
        "prospect_engagement_score",
    ]
    assert {k.stage for k in KPIS} == {"outreach"}
    assert CATALOGUE["sales_call_conversion_rate"].benchmark == "2-20% (sales call conversion rate)"


# reach_outs, reach_outs_per_week, emails_sent


def test_reach_outs_count_outbound_activities_but_research_on_the_period_edges():
    # E1 (00:00 on 1 Oct) and E4 (23:59 on 31 Oct) are in; S1 (23:59 on 30 Sep) and E5
    # (00:00 on 1 Nov) are not; E6 and I1 are inbound, R1 is research
    assert run("reach_outs").value("reach_outs").value == 9.0
    assert run("reach_outs", NOVEMBER).value("reach_outs").value == 1.0  # E5
    assert run("emails_sent").value("emails_sent").value == 6.0  # E1 E2 E3 E4 E7 E8
    assert run("emails_sent", NOVEMBER).value("emails_sent").value == 1.0  # E5


def test_reach_outs_by_channel_and_owner_including_groups_without_rows():
    by_channel = run("reach_outs", group_by=["channel"])
    counts = {dict(v.group)["channel"]: v.value for v in by_channel.values if v.group}
    # email E1 E2 E3 E4 E7 E8; call C1 (I1 is inbound); meeting M1; other X1; social only in
    # September (S1); research is never a reach out
    assert counts == {
        "email": 6.0,
        "call": 1.0,
        "meeting": 1.0,
        "other": 1.0,
        "social": 0.0,
        "research": 0.0,
    }
    by_owner = run("reach_outs", group_by=["owner"])
    assert by_owner.value("reach_outs", owner="Ana").value == 4.0  # E1 E2 E3 C1
    assert by_owner.value("reach_outs", owner="Ben").value == 4.0  # E4 E7 E8 M1
    assert by_owner.value("reach_outs", owner="(blank)").value == 1.0  # X1
    assert by_owner.value("reach_outs", owner="Cy").value == 0.0  # S1 is in September


def test_reach_outs_per_week_divides_by_the_weeks_in_the_period_or_bucket():
    # 9 reach outs in the 31 days of October: 9 / (31 / 7) = 63 / 31
    found = run("reach_outs_per_week").value("reach_outs_per_week")
    assert (found.value, found.note) == (pytest.approx(63 / 31), None)
    # ISO week 44 (Mon 26 Oct) is cut to the 6 days 26-31 October, with E4 only: 1 x 7 / 6
    by_week = run("reach_outs_per_week", group_by=["week"])
    assert by_week.value("reach_outs_per_week", week="2026-W44").value == pytest.approx(7 / 6)


def test_reach_outs_per_week_count_only_the_days_the_activities_cover():
    # the activities run from 30 September 23:59 (S1) to 1 November 00:00 (E5)
    ends = "the activities data ends 2026-11-01: values up to its end"
    by_month = run("reach_outs_per_week", Q4, group_by=["month"])
    # Q4 is covered from 1 October to 1 November, 32 days, with 10 reach outs (9 in October,
    # E5 in November): 10 x 7 / 32, not 10 x 7 / 92
    total = by_month.value("reach_outs_per_week")
    assert (total.value, total.note) == (pytest.approx(70 / 32), ends)
    october = by_month.value("reach_outs_per_week", month="2026-10")
    assert (october.value, october.note) == (pytest.approx(63 / 31), None)
    # November is covered on its first day only, with E5: 1 x 7 / 1
    november = by_month.value("reach_outs_per_week", month="2026-11")
    assert (november.value, november.note) == (pytest.approx(7.0), ends)
    december = by_month.value("reach_outs_per_week", month="2026-12")  # after the activities
    assert (december.value, december.note) == (None, ends)
    # September is covered from its last day, 30 September, with S1: 1 x 7 / 1
    september = run("reach_outs_per_week", resolve_period("2026-09", AS_OF))
    found = september.value("reach_outs_per_week")
    assert (found.value, found.note) == (
        pytest.approx(7.0),
        "the activities data starts 2026-09-30: values from its start",
    )


# email rates


def test_email_rates_in_total():
    bounce = run("email_bounce_rate").value("email_bounce_rate")
    assert (bounce.numerator, bounce.denominator) == (1.0, 6.0)  # E3 of 6 sent
    assert bounce.value == pytest.approx(1 / 6)
    opened = run("email_open_rate").value("email_open_rate")
    # E1 E2 E8 opened of the 5 delivered (E4's blank opened counts as not opened)
    assert (opened.numerator, opened.denominator, opened.value) == (3.0, 5.0, 0.6)
    response = run("email_response_rate").value("email_response_rate")
    # E1 E7 replied of the 5 delivered (E7 was replied without being marked opened)
    assert (response.numerator, response.denominator, response.value) == (2.0, 5.0, 0.4)
    of_opened = run("email_response_rate_of_opened").value("email_response_rate_of_opened")
    # of the 3 opened (E1 E2 E8) only E1 was replied; E7 was not opened so is left out
    assert (of_opened.numerator, of_opened.denominator) == (1.0, 3.0)
    assert of_opened.value == pytest.approx(1 / 3)
    assert response.small_sample  # 5 delivered emails, under 20


def test_email_rates_per_owner_are_sums_over_sums():
    report = run("email_response_rate", group_by=["owner"])
    ana = report.value("email_response_rate", owner="Ana")  # E1 replied of E1 E2 (E3 bounced)
    assert (ana.numerator, ana.denominator, ana.value) == (1.0, 2.0, 0.5)
    ben = report.value("email_response_rate", owner="Ben")  # E7 replied of E4 E7 E8
    assert (ben.numerator, ben.denominator) == (1.0, 3.0)
    # the total is 2 / 5 = 0.4, not the mean of 1/2 and 1/3 (0.4167)
    assert report.value("email_response_rate").value == 0.4
    cy = report.value("email_response_rate", owner="Cy")  # no email in October
    assert (cy.value, cy.note) == (None, "no rows in the denominator")
    opened = run("email_open_rate", group_by=["owner"])
    assert opened.value("email_open_rate", owner="Ana").value == 1.0  # E1 E2 of E1 E2
    assert opened.value("email_open_rate", owner="Ben").value == pytest.approx(1 / 3)  # E8


def test_a_bounced_email_is_out_of_open_and_response_rates_even_if_marked():
    acts = frame(
        "activities",
        "occurred_at channel direction opened replied bounced",
        [("2026-10-05 09:00", "email", "outbound", True, True, True)],
    )
    report = compute(
        {"activities": acts},
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["email_bounce_rate", "email_open_rate", "email_response_rate"],
    )
    assert report.value("email_bounce_rate").value == 1.0  # 1 bounced of 1 sent
    for kpi in ("email_open_rate", "email_response_rate"):  # 0 delivered: 0 / 0
        found = report.value(kpi)
        assert (found.value, found.numerator, found.denominator) == (None, 0.0, 0.0)
        assert found.note == "no rows in the denominator"


def test_email_rates_with_no_email_sent_have_no_value():
    report = compute(BOOK, period=JUNE, as_of=AS_OF, kpis=[k.id for k in KPIS[:8]])
    assert report.value("emails_sent").value == 0.0
    # June is before the activities (30 September to 1 November): no day of it is covered
    per_week = report.value("reach_outs_per_week")
    assert (per_week.value, per_week.note) == (
        None,
        "the activities data starts 2026-09-30: values from its start",
    )
    for kpi in ("email_bounce_rate", "email_open_rate", "email_response_rate_of_opened"):
        assert (report.value(kpi).value, report.value(kpi).note) == (
            None,
            "no rows in the denominator",
        )
    reps = report.value("activities_per_rep")
    assert (reps.value, reps.note) == (None, "no rep with an activity in the period")


def test_email_kpis_without_an_opened_column_are_skipped():
    report = compute(
        {"activities": ACTS.drop(columns=["opened"])},
        period=OCTOBER,
        as_of=AS_OF,
        stages=["outreach"],
    )
    assert {s.id: s.reason for s in report.skipped} == {
        "email_open_rate": "needs activities.opened",
        "email_response_rate_of_opened": "needs activities.opened",
        "touches_per_won_deal": "needs deals (no deals input)",
        "touches_per_lost_deal": "needs deals (no deals input)",
        "sales_call_conversion_rate": "needs deals (no deals input)",
        "follow_up_calls_to_sale": "needs deals (no deals input)",
        "prospect_engagement_score": "needs activities.engagement_score",
    }
    assert report.value("email_response_rate").value == 0.4  # replied still known
    # an opened column that is mapped but never filled in: opens are not tracked
    untracked = compute(
        {"activities": ACTS.assign(opened=None)},
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["email_open_rate"],
    )
    assert untracked.skipped[0].reason == "needs activities.opened (the column is blank)"
    unmapped = compute(
        {"activities": ACTS.drop(columns=["bounced"])},
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["email_bounce_rate", "email_open_rate", "emails_sent"],
    )
    assert {s.id: s.reason for s in unmapped.skipped} == {
        "email_bounce_rate": "needs activities.bounced",
        "email_open_rate": "needs activities.bounced",
    }
    # a bounced column that is mapped but all blank: no email bounced
    blank = compute(
        {"activities": ACTS.assign(bounced=None)},
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["email_bounce_rate", "email_open_rate"],
    )
    assert blank.skipped == ()
    assert blank.value("email_bounce_rate").value == 0.0  # 0 of 6 sent
    opened = blank.value("email_open_rate")  # E1 E2 E8 of all 6 sent, E3 now delivered
    assert (opened.numerator, opened.denominator, opened.value) == (3.0, 6.0, 0.5)
    none = compute({}, period=OCTOBER, as_of=AS_OF, kpis=["reach_outs"])
    assert none.skipped[0].reason == "needs activities (no activities input)"


def test_without_a_direction_column_every_activity_is_outbound():
    book = {"activities": ACTS.drop(columns=["direction"])}
    # the 9 reach outs, plus E6 and I1 (inbound, but nothing says so now); R1 is research
    assert run("reach_outs", book=book).value("reach_outs").value == 11.0
    assert run("emails_sent", book=book).value("emails_sent").value == 7.0  # E6 too


# activities_per_rep


def test_activities_per_rep_counts_distinct_owners_within_each_group():
    # October activities with an owner: Ana E1 E2 E3 E6 C1 R1 (6), Ben E4 E7 E8 M1 I1 (5);
    # X1 has no owner. 11 / 2 reps = 5.5
    total = run("activities_per_rep").value("activities_per_rep")
    assert (total.numerator, total.denominator, total.value) == (11.0, 2.0, 5.5)
    report = run("activities_per_rep", group_by=["channel"])
    email = report.value("activities_per_rep", channel="email")  # 7 emails by Ana and Ben
    assert (email.numerator, email.denominator, email.value) == (7.0, 2.0, 3.5)
    call = report.value("activities_per_rep", channel="call")  # C1 (Ana), I1 (Ben)
    assert (call.numerator, call.denominator, call.value) == (2.0, 2.0, 1.0)
    assert report.value("activities_per_rep", channel="research").value == 1.0  # R1, Ana
    # the channel denominators add up to 2 + 2 + 1 + 1 = 6 reps, the total has 2
    other = report.value("activities_per_rep", channel="other")  # X1 has no owner
    assert (other.value, other.note) == (None, "no rep with an activity in the period")
    by_owner = run("activities_per_rep", group_by=["owner"])
    assert by_owner.value("activities_per_rep", owner="Ana").value == 6.0
    assert by_owner.value("activities_per_rep", owner="Cy").value is None  # only September


# touches_per_won_deal, touches_per_lost_deal

DEALS = frame(
    "deals",
    "deal_id status closed_at owner",
    [
        ("D1", "won", "2026-10-31 23:59", "Ana"),  # won at the last minute of October
        ("D2", "won", "2026-10-10 12:00", "Ben"),  # won without any touch
        ("D3", "lost", "2026-10-15 12:00", "Ana"),
        ("D4", "won", "2026-11-01 00:00", "Ben"),  # November
        ("D5", "open", None, "Ana"),
    ],
)
TOUCHES = frame(
    "activities",
    "occurred_at channel direction owner deal_id",
    [
        ("2026-09-15 10:00", "call", "outbound", "Ana", "D1"),  # before the period: counts
        ("2026-10-02 10:00", "email", "outbound", "Ana", "D1"),
        ("2026-10-20 10:00", "meeting", "outbound", "Ana", "D1"),
        ("2026-10-21 10:00", "email", "inbound", "Ana", "D1"),  # inbound: a touch too
        ("2026-10-04 10:00", "research", "outbound", "Ana", "D1"),  # research: no touch
        ("2026-11-05 10:00", "email", "outbound", "Ana", "D1"),  # after the close
        ("2026-10-05 10:00", "call", "outbound", "Ana", "D3"),
        ("2026-10-15 12:00", "email", "outbound", "Ana", "D3"),  # at the very close: counts
        ("2026-10-30 10:00", "call", "outbound", "Ben", "D4"),
        ("2026-10-30 10:00", "call", "outbound", "Ben", None),  # on no deal
    ],
)
DEAL_BOOK = {"deals": DEALS, "activities": TOUCHES}


def test_touches_per_won_and_lost_deal():
    report = compute(
        DEAL_BOOK,
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["touches_per_won_deal", "touches_per_lost_deal"],
    )
    won = report.value("touches_per_won_deal")
    # D1: the September call, the October email, meeting and inbound email = 4; D2: 0
    # (D4 closed in November): 4 / 2 deals
    assert (won.numerator, won.denominator, won.value) == (4.0, 2.0, 2.0)
    lost = report.value("touches_per_lost_deal")  # D3: the call and the email at 12:00
    assert (lost.numerator, lost.denominator, lost.value) == (2.0, 1.0, 2.0)
    november = compute(DEAL_BOOK, period=NOVEMBER, as_of=AS_OF, kpis=["touches_per_won_deal"])
    assert november.value("touches_per_won_deal").value == 1.0  # D4: the call on 30 Oct


def test_touches_per_deal_by_owner_and_with_no_deals():
    report = compute(
        DEAL_BOOK,
        period=OCTOBER,
        as_of=AS_OF,
        group_by=["owner"],
        kpis=["touches_per_won_deal", "touches_per_lost_deal"],
    )
    assert report.value("touches_per_won_deal", owner="Ana").value == 4.0  # D1
    ben = report.value("touches_per_won_deal", owner="Ben")  # D2, no touches: 0 / 1
    assert (ben.numerator, ben.denominator, ben.value) == (0.0, 1.0, 0.0)
    none = report.value("touches_per_lost_deal", owner="Ben")  # Ben lost nothing
    assert (none.value, none.note) == (None, "no rows in the denominator")
    june = compute(DEAL_BOOK, period=JUNE, as_of=AS_OF, kpis=["touches_per_won_deal"])
    assert june.value("touches_per_won_deal").note == "no rows in the denominator"
    unlinked = compute(
        {"deals": DEALS, "activities": TOUCHES.drop(columns=["deal_id"])},
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["touches_per_won_deal"],
    )
    assert unlinked.skipped[0].reason == "needs activities.deal_id"


def test_each_listing_of_a_deal_counts_its_own_touches_and_a_deal_without_an_id_none():
    relisted = frame(
        "deals",
        "deal_id status closed_at owner",
        [
            ("D1", "won", "2026-10-31 23:59", "Ana"),  # the four touches of the test above
            ("D1", "won", "2026-10-03 00:00", "Ben"),  # listed again, closed earlier: 2
            (None, "won", "2026-10-20 00:00", "Ben"),  # no id: no touch, still a deal
        ],
    )
    book = {"deals": relisted, "activities": TOUCHES}
    report = compute(book, period=OCTOBER, as_of=AS_OF, kpis=["touches_per_won_deal"])
    won = report.value("touches_per_won_deal")
    assert (won.numerator, won.denominator) == (6.0, 3.0)  # 4 + the 15 Sep call, 2 Oct email + 0


# follow_ups_per_lead


def test_follow_ups_per_lead_counts_reach_outs_after_a_lead_s_first_ever():
    # October reach outs on leads, in time order per lead:
    # L1: E1 (first ever), C1 and E4 (follow-ups) -> 2
    # L2: E2 (a follow-up: S1 on 30 Sep was the first) -> 1
    # L3: E3 (first; I1 is inbound); L5: E7 (first); L6: E8 (first) -> 0
    # 3 follow-ups / 5 leads
    total = run("follow_ups_per_lead").value("follow_ups_per_lead")
    assert (total.numerator, total.denominator, total.value) == (3.0, 5.0, 0.6)
    report = run("follow_ups_per_lead", group_by=["owner"])
    ana = report.value("follow_ups_per_lead", owner="Ana")  # C1, E2 over L1 L2 L3
    assert (ana.numerator, ana.denominator) == (2.0, 3.0)
    ben = report.value("follow_ups_per_lead", owner="Ben")  # E4 over L1 L5 L6
    assert (ben.numerator, ben.denominator) == (1.0, 3.0)
    # L1 is in both owners' denominators (3 + 3 = 6) but once in the total's 5
    cy = report.value("follow_ups_per_lead", owner="Cy")  # S1 is in September
    assert (cy.value, cy.note) == (None, "no lead reached out to in the period")
    november = run("follow_ups_per_lead", NOVEMBER).value("follow_ups_per_lead")
    assert (november.numerator, november.denominator) == (0.0, 1.0)  # E5, L4's first


def test_follow_ups_of_two_reach_outs_at_the_same_minute_count_one():
    acts = frame(
        "activities",
        "occurred_at channel direction lead_id",
        [
            ("2026-10-05 09:00", "email", "outbound", "L1"),
            ("2026-10-05 09:00", "call", "outbound", "L1"),
            ("2026-10-07 09:00", "research", "outbound", "L1"),  # research: no follow-up
        ],
    )
    found = run("follow_ups_per_lead", book={"activities": acts}).value("follow_ups_per_lead")
    assert (found.numerator, found.denominator, found.value) == (1.0, 1.0, 1.0)


def test_of_two_first_reach_outs_at_the_same_minute_the_one_listed_first_is_the_first():
    acts = frame(
        "activities",
        "occurred_at channel direction owner lead_id",
        [
            ("2026-10-05 09:00", "call", "outbound", "Ben", "L1"),  # listed first: the first
            ("2026-10-05 09:00", "email", "outbound", "Ana", "L1"),  # a follow-up
            ("2026-10-05 09:00", "email", "outbound", "Ben", "L2"),  # listed first again
            ("2026-10-05 09:00", "call", "outbound", "Ana", "L2"),
        ],
    )
    for listed in (acts, acts.iloc[[1, 0, 3, 2]].reset_index(drop=True)):
        book = {"activities": listed}
        report = run("follow_ups_per_lead", book=book, group_by=["owner"])
        first = listed["owner"].iloc[0]  # the first listed of each lead's pair
        other = "Ana" if first == "Ben" else "Ben"
        assert report.value("follow_ups_per_lead", owner=first).numerator == 0.0
        assert report.value("follow_ups_per_lead", owner=other).numerator == 2.0


# sales_call_conversion_rate, follow_up_calls_to_sale

CALL_DEALS = frame("deals", "deal_id status created_at closed_at lead_id account_id owner", [
    ("D1", "won", "2026-09-01", "2026-10-10", "L1", "C1", "Ana"),
    ("D2", "won", "2026-09-01", "2026-10-20", "L2", None, "Ben"),
    ("D3", "won", "2026-09-01", "2026-10-25", None, "C3", "Ben"),
    ("D4", "lost", "2026-09-01", "2026-10-12", "L4", None, "Ana"),
    ("D5", "won", "2026-09-01", "2026-10-28", None, None, "Ana"),
    ("D6", "won", "2026-09-01", "2026-09-15", "L6", None, "Ana"),
])  # fmt: skip
CALLS = frame("activities", (
    "activity_id occurred_at channel direction lead_id deal_id account_id owner"
), [
    ("A1", "2026-09-20", "email", "outbound", "L1", None, None, "Ana"),
    ("A2", "2026-10-01", "call", "outbound", "L1", None, None, "Ana"),
    ("A3", "2026-10-05", "call", "outbound", None, "D1", None, "Ana"),  # D1's lead is L1
    ("A4", "2026-10-21", "call", "outbound", "L2", None, None, "Ben"),  # after D2 was won
    ("A5", "2026-10-02", "call", "outbound", None, None, "C3", "Ben"),
    ("A6", "2026-10-03", "call", "outbound", None, None, "C3", "Ben"),
    ("A7", "2026-10-04", "call", "inbound", "L4", None, None, "Ana"),  # not a sales call
    ("A8", "2026-10-06", "call", "outbound", "L4", None, None, "Ana"),
    ("A9", "2026-09-10", "call", "outbound", "L6", None, None, "Ana"),
    ("A10", "2026-09-11", "call", "outbound", "L6", None, None, "Ana"),
    ("A11", "2026-10-31", "call", "outbound", "L9", None, None, "Ana"),
])  # fmt: skip
CALL_BOOK = {"deals": CALL_DEALS, "activities": CALLS}
# Sales calls in October: A2 A3 A8 A11 (Ana), A4 A5 A6 (Ben) = 7. Won deals closed in October
# with a call at or before the close: D1 (A2 on its lead, A3 on it), D3 (A5, A6 on its
# account); not D2 (its call came a day after), nor D5 (no call). Follow-up calls (not the
# first reach out on their lead, their deal's or account's): A2 (after A1 on L1), A3 (on D1,
# whose lead is L1), A6 (after A5 on C3), A10 (after A9 on L6; D6 was won in September).


def test_sales_call_conversion_rate_sets_won_deals_with_a_call_against_calls():
    report = run("sales_call_conversion_rate", book=CALL_BOOK, group_by=["owner"])
    total = report.value("sales_call_conversion_rate")
    assert (total.numerator, total.denominator, total.note) == (2.0, 7.0, None)  # D1 D3
    ana = report.value("sales_call_conversion_rate", owner="Ana")
    assert (ana.numerator, ana.denominator) == (1.0, 4.0)  # D1 over A2 A3 A8 A11
    ben = report.value("sales_call_conversion_rate", owner="Ben")
    assert (ben.numerator, ben.denominator) == (1.0, 3.0)  # D3 over A4 A5 A6
    september = run("sales_call_conversion_rate", SEPTEMBER, book=CALL_BOOK)
    found = september.value("sales_call_conversion_rate")
    assert (found.numerator, found.denominator) == (1.0, 2.0)  # D6 over A9 A10


def test_sales_call_conversion_rate_counts_only_the_days_both_inputs_cover():
    """Without A4 and A11 the calls stop on 6 October (A8): October's value is of its first 6
    days, no sale over A2 A3 A5 A6 A8; D1 (10 Oct) and D3 (25 Oct) were won after the calls'
    end, where no call is known (not 2 sales over 5 calls)."""
    early = CALLS[CALLS["occurred_at"] <= pd.Timestamp("2026-10-20")]
    report = run("sales_call_conversion_rate", book={**CALL_BOOK, "activities": early})
    value = report.value("sales_call_conversion_rate")
    assert (value.numerator, value.denominator) == (0.0, 5.0)
    assert value.note == "the activities data ends 2026-10-06: values up to its end"


def test_follow_up_calls_to_sale_counts_each_follow_up_call_behind_a_sale_once():
    report = run("follow_up_calls_to_sale", book=CALL_BOOK, group_by=["owner"])
    assert report.value("follow_up_calls_to_sale").value == 3  # A2 A3 (D1), A6 (D3)
    assert report.value("follow_up_calls_to_sale", owner="Ana").value == 2  # the callers'
    assert report.value("follow_up_calls_to_sale", owner="Ben").value == 1
    september = run("follow_up_calls_to_sale", SEPTEMBER, book=CALL_BOOK)
    assert september.value("follow_up_calls_to_sale").value == 1  # A10 (D6), not A9 (the first)
    twice = CALL_DEALS.assign(
        lead_id=CALL_DEALS["lead_id"].where(CALL_DEALS["deal_id"] != "D3", "L1")
    )
    again = run("follow_up_calls_to_sale", book={**CALL_BOOK, "deals": twice})
    assert again.value("follow_up_calls_to_sale").value == 3  # A2 behind D1 and D3: once


def test_the_call_kpis_need_calls_linked_to_deals():
    calls = CALLS.drop(columns=["lead_id", "deal_id", "account_id"])
    report = compute(
        {**CALL_BOOK, "activities": calls},
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["sales_call_conversion_rate", "follow_up_calls_to_sale"],
    )
    reason = "needs activities.deal_id or activities.lead_id or activities.account_id"
    assert [(s.id, s.reason) for s in report.skipped] == [
        ("sales_call_conversion_rate", reason),
        ("follow_up_calls_to_sale", reason),
    ]


def test_prospect_engagement_score_is_the_mean_over_scored_activities():
    scored = frame("activities", "occurred_at channel direction engagement_score owner", [
        ("2026-10-01 00:00", "email", "outbound", 40.0, "Ana"),
        ("2026-10-02", "call", "outbound", 80.0, "Ben"),
        ("2026-10-03", "email", "inbound", 90.0, "Ben"),  # an answer is an interaction too
        ("2026-10-04", "email", "outbound", None, "Ana"),  # not scored
        ("2026-09-30 23:59", "call", "outbound", 10.0, "Ana"),  # September
    ])  # fmt: skip
    report = run("prospect_engagement_score", book={"activities": scored})
    value = report.value("prospect_engagement_score")
    assert (value.value, value.n) == (70.0, 3)  # (40 + 80 + 90) / 3
    bare = run(
        "prospect_engagement_score", book={"activities": scored.drop(columns=["engagement_score"])}
    )
    assert [(s.id, s.reason) for s in bare.skipped] == [
        ("prospect_engagement_score", "needs activities.engagement_score")
    ]
