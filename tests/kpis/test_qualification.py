"""Qualification-stage KPIs on tiny books whose answers are worked out by hand in each test."""

from __future__ import annotations

import pandas as pd
import pytest

from salesmetrics.engine import compute
from salesmetrics.kpis.base import Settings
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.kpis.qualification import DATE_ONLY, KPIS
from tests.kpis.frames import AS_OF, JUNE, OCTOBER, Q4, SEPTEMBER, frame


def run(frames: dict[str, pd.DataFrame], *ids: str, period=OCTOBER, **options):
    """The KPIs `ids` of `frames` in `period` (October unless given)."""
    return compute(frames, period=period, as_of=AS_OF, kpis=list(ids), **options)


def test_every_kpi_is_declared_once_in_the_catalogue():
    ids = [k.id for k in KPIS]
    assert ids == [
        "lead_response_time_hours",
        "leads_responded_within_1h",
        "average_response_time_hours",
        "leads_qualified",
        "qualification_rate",
        "mql_to_sql_rate",
        "avg_follow_ups_to_qualify",
        "lead_to_opportunity_rate",
        "lead_conversion_rate",
        "lead_to_customer_days",
        "opportunities_created",
        "opportunities_created_amount",
        "lead_type_to_sql_rate",
    ]
    assert all(CATALOGUE[i].stage == "qualification" for i in ids)
    assert CATALOGUE["lead_response_time_hours"].benchmark == "under 1 hour"
    assert CATALOGUE["lead_conversion_rate"].benchmark == "2-5%"


# lead_response_time_hours, leads_responded_within_1h

RESPONSE_LEADS = frame(
    "leads",
    "lead_id created_at owner first_response_at",
    [
        # 1.5 h: first_response_at wins over the earlier call logged at 09:10
        ("L1", "2026-10-01 09:00", "Ana", "2026-10-01 10:30"),
        # 2 h: no first_response_at, so the first outbound non-research activity after creation
        ("L2", "2026-10-10 08:00", "Ben", None),
        # created at the last minute of October, answered exactly 1 h later (within 1 h)
        ("L3", "2026-10-31 23:59", "Ana", "2026-11-01 00:59"),
        # created at midnight of 1 November: not October
        ("L4", "2026-11-01 00:00", "Cy", "2026-11-01 00:10"),
        # never answered: out of the median, in the within-1h denominator
        ("L5", "2026-10-20 12:00", "Ben", None),
        # 5 h
        ("L6", "2026-10-05 10:00", "Ana", "2026-10-05 15:00"),
    ],
)
RESPONSE_ACTIVITIES = frame(
    "activities",
    "activity_id occurred_at channel direction owner lead_id",
    [
        ("A1", "2026-10-01 09:10", "call", "outbound", "Ana", "L1"),
        ("A2", "2026-10-10 07:00", "email", "outbound", "Ben", "L2"),  # before creation
        ("A3", "2026-10-10 08:05", "research", "outbound", "Ben", "L2"),  # not a contact
        ("A4", "2026-10-10 08:10", "email", "inbound", "Ben", "L2"),  # not outbound
        ("A5", "2026-10-10 10:00", "call", "outbound", "Ben", "L2"),  # the response: 2 h
        ("A6", "2026-10-10 11:00", "email", None, "Ben", "L2"),  # blank direction: outbound
    ],
)
RESPONSES = {"leads": RESPONSE_LEADS, "activities": RESPONSE_ACTIVITIES}


def test_lead_response_time_is_the_median_over_answered_leads():
    report = run(RESPONSES, "lead_response_time_hours", "leads_responded_within_1h")
    median = report.value("lead_response_time_hours")
    # October leads answered: L1 1.5, L6 5, L2 2, L3 1 -> sorted 1, 1.5, 2, 5 -> median 1.75
    assert (median.value, median.n) == (1.75, 4)
    within = report.value("leads_responded_within_1h")
    # only L3 (exactly 1 h) of L1, L2, L3, L5, L6 (L5 never answered) = 1/5
    assert (within.numerator, within.denominator, within.value) == (1.0, 5.0, 0.2)
    assert within.note is None


def test_lead_response_time_leaves_out_a_response_before_creation_and_counts_same_day_as_0():
    leads = frame(
        "leads",
        "lead_id created_at first_response_at",
        [
            ("R1", "2026-10-01 09:00", "2026-10-01 10:30"),  # 1.5 h
            ("R2", "2026-10-12 10:00", "2026-10-11 09:00"),  # the day before: left out
            ("R3", "2026-10-13 15:00", "2026-10-13"),  # that day, without a time: 0 h
        ],
    )
    median = run({"leads": leads}, "lead_response_time_hours").value("lead_response_time_hours")
    assert (median.value, median.n) == (0.75, 2)  # median of 1.5 and 0
    assert median.note == (
        "1 leads with impossible dates left out (responded to before they were created, or a "
        "date outside the plausible range: see salesmetrics validate)"
    )


def test_response_threshold_comes_from_the_settings():
    report = run(
        RESPONSES, "leads_responded_within_1h", settings=Settings(response_within_hours=2.0)
    )
    # within 2 h: L1 1.5, L2 2.0, L3 1.0 of 5 = 0.6
    assert report.value("leads_responded_within_1h").value == pytest.approx(0.6)


def test_response_by_owner_sums_leads_and_keeps_an_empty_owner():
    report = run(
        RESPONSES, "lead_response_time_hours", "leads_responded_within_1h", group_by=["owner"]
    )
    ana = report.value("leads_responded_within_1h", owner="Ana")
    ben = report.value("leads_responded_within_1h", owner="Ben")
    # Ana: L3 within of L1, L3, L6 = 1/3; Ben: none of L2, L5 = 0/2
    assert (ana.numerator, ana.denominator) == (1.0, 3.0)
    assert (ben.numerator, ben.denominator, ben.value) == (0.0, 2.0, 0.0)
    # the total is 1/5 = 0.2, not the mean of 1/3 and 0 (0.167)
    assert report.value("leads_responded_within_1h").value == 0.2
    # Cy's only lead was created in November: no value, and a reason
    cy = report.value("leads_responded_within_1h", owner="Cy")
    assert (cy.value, cy.denominator, cy.note) == (None, 0.0, "no rows in the denominator")
    # medians: Ana 1.5, 1, 5 -> 1.5; Ben 2 (L5 has no time); Cy none
    assert report.value("lead_response_time_hours", owner="Ana").value == 1.5
    assert report.value("lead_response_time_hours", owner="Ben").value == 2.0
    cy_median = report.value("lead_response_time_hours", owner="Cy")
    assert (cy_median.value, cy_median.note) == (None, "no rows with a value")


def test_response_with_no_leads_in_the_period_has_no_value():
    report = run(RESPONSES, "lead_response_time_hours", "leads_responded_within_1h", period=JUNE)
    within = report.value("leads_responded_within_1h")
    assert (within.value, within.denominator, within.note) == (
        None,
        0.0,
        "no rows in the denominator",
    )
    assert report.value("lead_response_time_hours").value is None


def test_response_from_first_response_at_alone_and_the_skip_reason_without_either():
    only_leads = run({"leads": RESPONSE_LEADS}, "lead_response_time_hours")
    # without activities L2 has no response: L1 1.5, L6 5, L3 1 -> median 1.5
    assert only_leads.value("lead_response_time_hours").value == 1.5
    bare = frame("leads", "lead_id created_at", [("L1", "2026-10-01 09:00")])
    report = run({"leads": bare}, "lead_response_time_hours", "leads_responded_within_1h")
    reasons = {s.id: s.reason for s in report.skipped}
    assert reasons == {
        "lead_response_time_hours": "needs activities.lead_id or leads.first_response_at",
        "leads_responded_within_1h": "needs activities.lead_id or leads.first_response_at",
    }


def test_date_only_creation_times_are_flagged():
    leads = frame(
        "leads",
        "lead_id created_at first_response_at",
        [
            ("L1", "2026-10-01", "2026-10-01 00:30"),  # 0.5 h after midnight
            ("L2", "2026-10-02", "2026-10-02 14:00"),  # 14 h after midnight
        ],
    )
    within = run({"leads": leads}, "leads_responded_within_1h").value("leads_responded_within_1h")
    # 1 of 2 within 1 h, but both dates lack a time of day, so the value says so
    assert (within.value, within.note) == (0.5, DATE_ONLY)
    # a period with no lead says so too: it is the export that has no times
    empty = run({"leads": leads}, "leads_responded_within_1h", period=JUNE)
    assert empty.value("leads_responded_within_1h").note == (
        f"no rows in the denominator; {DATE_ONLY}"
    )
    # one created_at with a time of day, even in another month: the export has times, and
    # October's two leads were created at midnight
    timed = frame("leads", "lead_id created_at", [("L3", "2026-09-15 10:00")])
    both = {"leads": pd.concat([leads, timed], ignore_index=True)}
    within = run(both, "leads_responded_within_1h").value("leads_responded_within_1h")
    assert (within.value, within.note) == (0.5, None)


# average_response_time_hours

MESSAGES = frame(
    "activities",
    "activity_id occurred_at channel direction owner lead_id deal_id",
    [
        # L1: inbound at 10:00; the outbound at the same minute and the research do not answer
        # it, the call at 12:00 does -> 2 h
        ("A1", "2026-10-01 10:00", "email", "inbound", "Ana", "L1", None),
        ("A2", "2026-10-01 10:00", "email", "outbound", "Ana", "L1", None),
        ("A3", "2026-10-01 10:30", "research", "outbound", "Ana", "L1", None),
        ("A4", "2026-10-01 12:00", "call", "outbound", "Ana", "L1", None),
        # D1: inbound on the deal, answered on the same deal (another lead) 30 min later
        ("A5", "2026-10-05 09:00", "email", "inbound", "Ben", None, "D1"),
        ("A6", "2026-10-05 09:30", "email", "outbound", "Ben", "L9", "D1"),
        # L2 + D2: answered on the deal at 11:00 before the lead at 14:00 -> 3 h
        ("A7", "2026-10-10 08:00", "email", "inbound", "Ben", "L2", "D2"),
        ("A8", "2026-10-10 14:00", "email", "outbound", "Ben", "L2", None),
        ("A9", "2026-10-10 11:00", "call", "outbound", "Ben", None, "D2"),
        # the last minute of October, answered 2 h later in November: counts in October
        ("A10", "2026-10-31 23:59", "social", "inbound", "Ana", "L3", None),
        ("A11", "2026-11-01 01:59", "email", "outbound", "Ana", "L3", None),
        # midnight of 1 November: not October
        ("A12", "2026-11-01 00:00", "email", "inbound", "Ana", "L4", None),
        ("A13", "2026-11-01 00:30", "email", "outbound", "Ana", "L4", None),
        # never answered: left out
        ("A14", "2026-10-20 09:00", "email", "inbound", "Cy", "L5", None),
        # answered by an activity with a blank direction (outbound, the default) -> 1 h
        ("A15", "2026-10-25 09:00", "email", "inbound", "Dee", "L6", None),
        ("A16", "2026-10-25 10:00", "email", None, "Dee", "L6", None),
    ],
)


def test_average_response_time_uses_the_next_outbound_on_the_lead_or_deal():
    report = run({"activities": MESSAGES}, "average_response_time_hours")
    value = report.value("average_response_time_hours")
    # (2 + 0.5 + 3 + 2 + 1) / 5 answered inbound messages = 1.7
    assert (value.value, value.n) == (pytest.approx(1.7), 5)


def test_average_response_time_by_owner():
    report = run({"activities": MESSAGES}, "average_response_time_hours", group_by=["owner"])
    # Ana: A1 2 h, A10 2 h -> 2; Ben: A5 0.5, A7 3 -> 1.75
    assert report.value("average_response_time_hours", owner="Ana").value == 2.0
    assert report.value("average_response_time_hours", owner="Ben").value == 1.75
    assert report.value("average_response_time_hours", owner="Dee").value == 1.0
    cy = report.value("average_response_time_hours", owner="Cy")  # only an unanswered message
    assert (cy.value, cy.note) == (None, "no rows with a value")


def test_average_response_time_in_an_empty_period_and_without_links():
    empty = run({"activities": MESSAGES}, "average_response_time_hours", period=JUNE)
    assert empty.value("average_response_time_hours").value is None
    unlinked = frame(
        "activities",
        "occurred_at channel direction",
        [("2026-10-01 10:00", "email", "inbound")],
    )
    report = run({"activities": unlinked}, "average_response_time_hours")
    assert report.skipped[0].reason == "needs activities.lead_id or activities.deal_id"


# leads_qualified, qualification_rate, mql_to_sql_rate, avg_follow_ups_to_qualify

QUALIFY_LEADS = frame(
    "leads",
    "lead_id created_at quality owner first_response_at mql_at sql_at",
    [
        # first contacted at the first minute of October, SQL on 5 October
        ("Q1", "2026-09-20", "hot", "Ana", "2026-10-01 00:00", "2026-10-02", "2026-10-05 00:00"),
        # first contacted at the last minute of October, never SQL
        ("Q2", "2026-09-25", "hot", "Ana", "2026-10-31 23:59", "2026-10-31 23:59", None),
        # first contacted by a call on 4 October (no first_response_at), SQL in November
        ("Q3", "2026-10-03", "warm", "Ben", None, "2026-10-10", "2026-11-01 00:00"),
        # first contacted and MQL at midnight of 1 November: not October
        ("Q4", "2026-10-05", "warm", "Ben", "2026-11-01 00:00", "2026-11-01 00:00", None),
        # contacted in September, SQL at the last minute of October
        ("Q5", "2026-08-01", "cold", "Ana", "2026-09-15", "2026-09-20", "2026-10-31 23:59"),
        # never contacted, but SQL in October (an inbound request)
        ("Q6", "2026-10-06", "cold", "Ben", None, "2026-10-07", "2026-10-20"),
    ],
)
QUALIFY_ACTIVITIES = frame(
    "activities",
    "occurred_at channel direction lead_id",
    [
        # Q1: 2 contacts before its SQL (the research, the inbound reply, the meeting at the
        # very minute of the SQL and the later email do not count)
        ("2026-10-01 00:00", "email", "outbound", "Q1"),
        ("2026-10-03 10:00", "call", "outbound", "Q1"),
        ("2026-10-04 10:00", "research", "outbound", "Q1"),
        ("2026-10-04 11:00", "email", "inbound", "Q1"),
        ("2026-10-05 00:00", "meeting", "outbound", "Q1"),
        ("2026-10-06 10:00", "email", "outbound", "Q1"),
        # Q3's first contact
        ("2026-10-04 10:00", "call", "outbound", "Q3"),
        # Q5: 4 contacts before its SQL, two of them in September
        ("2026-09-15 00:00", "email", "outbound", "Q5"),
        ("2026-09-20 10:00", "email", "outbound", "Q5"),
        ("2026-10-10 10:00", "call", "outbound", "Q5"),
        ("2026-10-31 23:58", "call", "outbound", "Q5"),
    ],
)
QUALIFYING = {"leads": QUALIFY_LEADS, "activities": QUALIFY_ACTIVITIES}


def test_leads_qualified_counts_sql_dates_in_the_period():
    report = run(QUALIFYING, "leads_qualified")
    # Q1 (5 Oct), Q5 (31 Oct 23:59), Q6 (20 Oct); Q3's SQL is at midnight of 1 November
    assert report.value("leads_qualified").value == 3
    assert run(QUALIFYING, "leads_qualified", period=JUNE).value("leads_qualified").value == 0


def test_qualification_rate_over_leads_first_contacted_in_the_period():
    report = run(QUALIFYING, "qualification_rate")
    rate = report.value("qualification_rate")
    # first contacted in October: Q1, Q2, Q3; with an sql_at: Q1, Q3 -> 2/3
    assert (rate.numerator, rate.denominator) == (2.0, 3.0)
    assert rate.value == pytest.approx(2 / 3)


def test_qualification_rate_by_quality_is_a_sum_over_a_sum():
    report = run(QUALIFYING, "qualification_rate", group_by=["quality"])
    hot = report.value("qualification_rate", quality="hot")
    warm = report.value("qualification_rate", quality="warm")
    # hot: Q1 of Q1, Q2 = 1/2; warm: Q3 of Q3 = 1/1
    assert (hot.numerator, hot.denominator, hot.value) == (1.0, 2.0, 0.5)
    assert (warm.numerator, warm.denominator, warm.value) == (1.0, 1.0, 1.0)
    # the total is 2/3, not the mean of 0.5 and 1 (0.75)
    assert report.value("qualification_rate").value == pytest.approx(2 / 3)
    # no cold lead was first contacted in October (Q5 in September, Q6 never)
    cold = report.value("qualification_rate", quality="cold")
    assert (cold.value, cold.denominator, cold.note) == (None, 0.0, "no rows in the denominator")


def test_mql_to_sql_rate():
    report = run(QUALIFYING, "mql_to_sql_rate", group_by=["owner"])
    rate = report.value("mql_to_sql_rate")
    # MQL in October: Q1, Q2 (23:59), Q3, Q6; with an sql_at: Q1, Q3, Q6 -> 3/4
    # (Q4's MQL is at midnight of 1 November, Q5's in September)
    assert (rate.numerator, rate.denominator, rate.value) == (3.0, 4.0, 0.75)
    # Ana: Q1 of Q1, Q2 = 1/2; Ben: Q3, Q6 of Q3, Q6 = 2/2
    assert report.value("mql_to_sql_rate", owner="Ana").value == 0.5
    assert report.value("mql_to_sql_rate", owner="Ben").value == 1.0
    none = run(QUALIFYING, "mql_to_sql_rate", period=JUNE).value("mql_to_sql_rate")
    assert (none.value, none.note) == (None, "no rows in the denominator")


def test_a_lead_exported_twice_counts_once():
    # the leads stacked from two exports, and Q1 once more under another owner
    again = QUALIFY_LEADS[QUALIFY_LEADS["lead_id"] == "Q1"].assign(owner="Ben")
    twice = pd.concat([QUALIFY_LEADS, QUALIFY_LEADS, again], ignore_index=True)
    report = run({"leads": twice}, "mql_to_sql_rate", group_by=["owner"])
    rate = report.value("mql_to_sql_rate")
    # still Q1, Q3, Q6 of Q1, Q2, Q3, Q6 -> 3/4, from 9 rows
    assert (rate.numerator, rate.denominator, rate.n) == (3.0, 4.0, 9)
    # Ana: Q1 of Q1, Q2 = 1/2; Ben: Q1, Q3, Q6 = 3/3 (Q1 is in both groups, once in the total)
    ana = report.value("mql_to_sql_rate", owner="Ana")
    ben = report.value("mql_to_sql_rate", owner="Ben")
    assert (ana.numerator, ana.denominator) == (1.0, 2.0)
    assert (ben.numerator, ben.denominator) == (3.0, 3.0)


def test_a_maturing_rate_is_compared_with_the_earlier_cohort_at_the_same_age():
    # a lead created the day before as_of: the data reaches as_of, so October's age is the
    # 23 days to as_of (with the data ending earlier, its age would count to that end)
    late = frame("leads", "lead_id created_at owner", [("Q9", "2026-11-22", "Ana")])
    reaching = {**QUALIFYING, "leads": pd.concat([QUALIFY_LEADS, late], ignore_index=True)}
    report = run(reaching, "mql_to_sql_rate", compare="previous")
    rate = report.value("mql_to_sql_rate")
    # as_of is 23 days after October's end, within the 30-day window: October is maturing,
    # and September is counted as of 23 October: its only MQL, Q5, reached SQL on 31 October
    # (after that), so September stood at 0/1, not at the 1/1 it reached since
    assert rate.maturing and rate.previous == 0.0
    september = run(QUALIFYING, "mql_to_sql_rate", period=SEPTEMBER).value("mql_to_sql_rate")
    assert (september.numerator, september.denominator) == (1.0, 1.0)


def test_mql_to_sql_rate_needs_sql_dates():
    leads = frame("leads", "lead_id created_at mql_at", [("Q1", "2026-10-01", "2026-10-02")])
    report = run({"leads": leads}, "mql_to_sql_rate", "leads_qualified")
    assert {s.id: s.reason for s in report.skipped} == {
        "mql_to_sql_rate": "needs leads.sql_at",
        "leads_qualified": "needs leads.sql_at",
    }


def test_avg_follow_ups_to_qualify():
    report = run(QUALIFYING, "avg_follow_ups_to_qualify", group_by=["owner"])
    # qualified in October: Q1 2 contacts, Q5 4, Q6 0 -> (2 + 4 + 0) / 3 = 2
    value = report.value("avg_follow_ups_to_qualify")
    assert (value.value, value.n) == (2.0, 3)
    # Ana: Q1 2, Q5 4 -> 3; Ben: Q6 0 -> 0
    assert report.value("avg_follow_ups_to_qualify", owner="Ana").value == 3.0
    assert report.value("avg_follow_ups_to_qualify", owner="Ben").value == 0.0
    skipped = run({"leads": QUALIFY_LEADS}, "avg_follow_ups_to_qualify").skipped
    assert skipped[0].reason == "needs activities (no activities input)"


def test_qualification_rate_skip_reason_without_contacts():
    leads = frame("leads", "lead_id created_at sql_at", [("Q1", "2026-10-01", "2026-10-02")])
    report = run({"leads": leads}, "qualification_rate")
    assert report.skipped[0].reason == "needs activities.lead_id or leads.first_response_at"


# lead_to_opportunity_rate, lead_conversion_rate, lead_to_customer_days

CONVERSION_LEADS = frame(
    "leads",
    "lead_id created_at source converted_at converted",
    [
        ("C1", "2026-10-01 00:00", "Web", "2026-10-11 00:00", True),  # converted after 10 days
        ("C2", "2026-10-05 12:00", "Web", None, False),  # won deal D2 after 20 days
        ("C3", "2026-10-10 00:00", "Ads", None, True),  # the flag alone, no date
        ("C4", "2026-10-31 23:59", "Ads", None, False),  # an open deal only
        ("C5", "2026-10-20 00:00", "Ads", None, False),  # a lost deal only
        ("C6", "2026-11-01 00:00", "Event", None, False),  # November (won deal D6)
        ("C7", "2026-10-15 00:00", "Referral", None, False),  # nothing
        ("C8", "2026-09-30 23:59", "Referral", "2026-10-01 00:00", True),  # September
    ],
)
CONVERSION_DEALS = frame(
    "deals",
    "deal_id lead_id status created_at closed_at amount source",
    [
        ("D2", "C2", "won", "2026-10-06", "2026-10-25 12:00", 1000.0, "Web"),
        ("D3", "C2", "won", "2026-10-26", "2026-11-10 00:00", 2000.0, "Web"),  # C2's second win
        ("D4", "C4", "open", "2026-11-01 00:00", None, 400.0, "Ads"),
        ("D5", "C5", "lost", "2026-10-21", "2026-10-28", 300.0, "Ads"),
        ("D6", "C6", "won", "2026-11-02", "2026-11-20", 900.0, "Event"),
        ("D7", None, "open", "2026-10-31 23:59", None, 500.0, "Partner"),
        ("D8", None, "open", "2026-10-01 00:00", None, None, "Partner"),
    ],
)
CONVERTING = {"leads": CONVERSION_LEADS, "deals": CONVERSION_DEALS}


def test_lead_to_opportunity_rate():
    report = run(CONVERTING, "lead_to_opportunity_rate", group_by=["source"])
    rate = report.value("lead_to_opportunity_rate")
    # created in October: C1, C2, C3, C4, C5, C7; with a deal: C2, C4, C5 -> 3/6
    assert (rate.numerator, rate.denominator, rate.value) == (3.0, 6.0, 0.5)
    # Web: C2 of C1, C2 = 1/2; Ads: C4, C5 of C3, C4, C5 = 2/3; Referral: 0/1
    assert report.value("lead_to_opportunity_rate", source="Web").value == 0.5
    assert report.value("lead_to_opportunity_rate", source="Ads").value == pytest.approx(2 / 3)
    assert report.value("lead_to_opportunity_rate", source="Referral").value == 0.0
    event = report.value("lead_to_opportunity_rate", source="Event")  # C6 is November's
    assert (event.value, event.note) == (None, "no rows in the denominator")


def test_lead_conversion_rate_counts_deals_dates_and_flags():
    report = run(CONVERTING, "lead_conversion_rate", group_by=["source"])
    rate = report.value("lead_conversion_rate")
    # C1 (converted_at), C2 (won deal), C3 (flag) of the 6 October leads -> 3/6
    assert (rate.numerator, rate.denominator, rate.value) == (3.0, 6.0, 0.5)
    # Web: 2/2; Ads: C3 of 3 = 1/3; Referral: 0/1; the total is 3/6, not their mean (0.444)
    assert report.value("lead_conversion_rate", source="Web").value == 1.0
    assert report.value("lead_conversion_rate", source="Ads").value == pytest.approx(1 / 3)
    assert report.value("lead_conversion_rate", source="Referral").value == 0.0
    assert report.value("lead_conversion_rate", source="Event").value is None


def test_an_opportunity_conversion_is_not_a_customer():
    # the mapping declares the conversion an opportunity (Salesforce's Converted): C1's
    # converted_at and C3's flag no longer make customers; only C2's won deal does -> 1/6
    declared = CONVERSION_LEADS.assign(conversion="opportunity")
    book = {"leads": declared, "deals": CONVERSION_DEALS}
    kpis = ("lead_conversion_rate", "lead_to_customer_days", "lead_to_opportunity_rate")
    report = run(book, *kpis)
    rate = report.value("lead_conversion_rate")
    assert (rate.numerator, rate.denominator) == (1.0, 6.0)
    # C2: 5 Oct 12:00 to its first win, 25 Oct 12:00 (C1's 10 days are no longer a customer's)
    assert report.value("lead_to_customer_days").value == 20.0
    # an opportunity: C1, C3 (converted) and C2, C4, C5 (a deal) -> 5/6
    opportunity = report.value("lead_to_opportunity_rate")
    assert (opportunity.numerator, opportunity.denominator) == (5.0, 6.0)
    # declared a customer conversion (or not declared): as before, C1, C2, C3 -> 3/6
    customer = {"leads": CONVERSION_LEADS.assign(conversion="customer"), "deals": CONVERSION_DEALS}
    assert run(customer, "lead_conversion_rate").value("lead_conversion_rate").value == 0.5
    # without deals, the declared opportunities alone give the rate: C1, C3 of 6
    alone = run({"leads": declared}, "lead_to_opportunity_rate")
    assert alone.value("lead_to_opportunity_rate").value == pytest.approx(2 / 6)


def test_lead_conversion_window():
    within_15 = run(
        CONVERTING, "lead_conversion_rate", settings=Settings(conversion_window_days=15)
    )
    # only C1 (10 days); C2 took 20 days and C3's flag has no date -> 1/6
    assert within_15.value("lead_conversion_rate").numerator == 1.0
    within_20 = run(
        CONVERTING, "lead_conversion_rate", settings=Settings(conversion_window_days=20)
    )
    # C1 and C2 (exactly 20 days: 5 Oct 12:00 to 25 Oct 12:00) -> 2/6
    assert within_20.value("lead_conversion_rate").value == pytest.approx(2 / 6)


def test_lead_to_customer_days_leaves_out_a_conversion_before_creation():
    leads = frame(
        "leads",
        "lead_id created_at converted_at",
        [
            ("K1", "2026-10-01", "2026-10-11"),  # 10 days
            ("K2", "2026-10-05 12:00", "2026-10-03"),  # converted two days before: left out
            ("K3", "2026-10-06 12:00", "2026-10-06"),  # the same day, no time: 0 days
        ],
    )
    median = run({"leads": leads}, "lead_to_customer_days").value("lead_to_customer_days")
    assert (median.value, median.n) == (5.0, 2)
    assert median.note == (
        "1 leads with impossible dates left out (converted before they were created, or a "
        "date outside the plausible range: see salesmetrics validate)"
    )


def test_lead_conversion_from_the_flag_alone_and_the_skip_reason():
    flags = frame(
        "leads",
        "lead_id created_at converted",
        [("C1", "2026-10-01", True), ("C2", "2026-10-02", False), ("C3", "2026-10-03", None)],
    )
    # C1 of 3 (a blank flag is not a conversion)
    report = run({"leads": flags}, "lead_conversion_rate", "lead_to_customer_days")
    assert report.value("lead_conversion_rate").value == pytest.approx(1 / 3)
    assert report.skipped[0].reason == "needs deals.lead_id or leads.converted_at"
    bare = frame("leads", "lead_id created_at", [("C1", "2026-10-01")])
    skipped = run({"leads": bare}, "lead_conversion_rate").skipped
    assert skipped[0].reason == ("needs deals.lead_id or leads.converted_at or leads.converted")


def test_a_won_deal_without_a_close_date_converts_but_not_within_a_window():
    leads = frame("leads", "lead_id created_at", [("W1", "2026-10-01"), ("W2", "2026-10-02")])
    deals = frame(
        "deals",
        "deal_id lead_id status created_at closed_at",
        [("D1", "W1", "won", "2026-10-03", None), ("D2", "W2", "lost", "2026-10-03", "2026-10-09")],
    )
    book = {"leads": leads, "deals": deals}
    # W1's won deal makes it a customer: 1 of 2
    assert run(book, "lead_conversion_rate").value("lead_conversion_rate").value == 0.5
    # but with a window its date is unknown, so it cannot count: 0 of 2
    windowed = run(book, "lead_conversion_rate", settings=Settings(conversion_window_days=30))
    assert windowed.value("lead_conversion_rate").value == 0.0
    # and it has no days to customer
    assert run(book, "lead_to_customer_days").value("lead_to_customer_days").value is None


def test_lead_to_customer_days_is_the_median_over_converted_leads():
    report = run(CONVERTING, "lead_to_customer_days")
    days = report.value("lead_to_customer_days")
    # C1 10 days (converted_at), C2 20 days (earliest won deal, D2) -> median 15; C3 has no date
    assert (days.value, days.n) == (15.0, 2)
    september = run(CONVERTING, "lead_to_customer_days", period=SEPTEMBER)
    # C8: 30 Sep 23:59 to 1 Oct 00:00 = 1 minute
    assert september.value("lead_to_customer_days").value == pytest.approx(1 / 1440)
    assert run(CONVERTING, "lead_to_customer_days", period=JUNE).value(
        "lead_to_customer_days"
    ).note == ("no rows with a value")


# opportunities_created, opportunities_created_amount


def test_opportunities_created_by_source():
    ids = ("opportunities_created", "opportunities_created_amount")
    report = run(CONVERTING, *ids, group_by=["source"])
    # created in October: D2, D3, D5, D7 (23:59), D8 (00:00); D4 at midnight of 1 November
    assert report.value("opportunities_created").value == 5
    # 1000 + 2000 + 300 + 500 (D8 has no amount)
    assert report.value("opportunities_created_amount").value == 3800.0
    # Web: D2, D3; Ads: D5; Partner: D7, D8; Event: none in October
    assert report.value("opportunities_created", source="Web").value == 2
    assert report.value("opportunities_created", source="Ads").value == 1
    assert report.value("opportunities_created", source="Partner").value == 2
    assert report.value("opportunities_created", source="Event").value == 0
    assert report.value("opportunities_created_amount", source="Web").value == 3000.0
    assert report.value("opportunities_created_amount", source="Event").value == 0.0


def test_opportunities_created_by_month_looks_only_at_each_bucket():
    report = run(CONVERTING, "opportunities_created", period=Q4, group_by=["month"])
    # October 5; November: D4 (1 Nov 00:00), D6 (2 Nov) = 2; December 0; Q4 7
    assert report.value("opportunities_created").value == 7
    assert report.value("opportunities_created", month="2026-10").value == 5
    assert report.value("opportunities_created", month="2026-11").value == 2
    assert report.value("opportunities_created", month="2026-12").value == 0


def test_opportunities_created_amount_needs_amounts():
    deals = frame("deals", "deal_id status created_at", [("D1", "open", "2026-10-01")])
    report = run({"deals": deals}, "opportunities_created", "opportunities_created_amount")
    assert report.value("opportunities_created").value == 1
    assert report.skipped[0].reason == "needs deals.amount"


# lead_type_to_sql_rate (the third seed's "PQL, IQL conversion to SQL")

TYPED = frame("leads", "lead_id created_at lead_type sql_at source", [
    ("T1", "2026-10-01", "PQL", "2026-10-05", "Ads"),
    ("T2", "2026-10-02", "PQL", None, "Ads"),
    ("T2", "2026-10-02", "PQL", None, "Ads"),  # listed twice: one lead
    ("T3", "2026-10-03", "IQL", "2026-11-20", "Web"),  # qualified in November
    ("T4", "2026-10-04", "IQL", None, "Web"),
    ("T5", "2026-10-05", None, "2026-10-06", "Web"),  # no type: not counted
    ("T6", "2026-09-30 23:59", "PQL", "2026-10-02", "Web"),  # a September lead
    ("T7", "2026-10-31 23:59", "IQL", "2026-11-01", "Ads"),
])  # fmt: skip
# Created in October: PQL T1 (SQL), T2; IQL T3 (SQL), T4, T7 (SQL).


def test_lead_type_to_sql_rate_follows_each_types_leads_created_in_the_period():
    report = run({"leads": TYPED}, "lead_type_to_sql_rate", group_by=["source"])
    assert report.skipped == ()
    pql = report.value("lead_type_to_sql_rate", category="PQL")
    assert (pql.numerator, pql.denominator, pql.value) == (1.0, 2.0, 0.5)  # T1 of T1, T2
    iql = report.value("lead_type_to_sql_rate", category="IQL")
    assert (iql.numerator, iql.denominator) == (2.0, 3.0)  # T3, T7 of T3, T4, T7
    assert iql.maturing  # 23 days after October: SQLs may still come
    assert {v.category for v in report.values if v.group == ()} == {"PQL", "IQL"}
    ads = report.value("lead_type_to_sql_rate", category="IQL", source="Ads")
    assert (ads.numerator, ads.denominator) == (1.0, 1.0)  # T7
    september = run({"leads": TYPED}, "lead_type_to_sql_rate", period=SEPTEMBER)
    assert september.value("lead_type_to_sql_rate", category="PQL").value == 1.0  # T6


def test_lead_type_to_sql_rate_needs_a_mapped_lead_type():
    report = run({"leads": TYPED.drop(columns=["lead_type"])}, "lead_type_to_sql_rate")
    assert [(s.id, s.reason) for s in report.skipped] == [
        ("lead_type_to_sql_rate", "needs leads.lead_type")
    ]


# named variants (issue 18): lead response time as the mean and from assignment, and the
# average response time to the latest message before a reply


def test_lead_response_time_mean_is_the_mean_over_answered_leads():
    value = run(
        RESPONSES, "lead_response_time_hours", variants={"lead_response_time_hours": "mean"}
    ).value("lead_response_time_hours")
    # October leads answered: L1 1.5, L2 2, L3 1, L6 5 -> 9.5 / 4
    assert (value.value, value.n, value.variant) == (2.375, 4, "mean")


# fmt: off
ASSIGNED_LEADS = frame("leads", "lead_id created_at assigned_at first_response_at", [
    ("M1", "2026-10-01 09:00", "2026-10-01 11:00", "2026-10-01 12:00"),  # 1 h after assignment
    ("M2", "2026-10-02 08:00", "2026-10-02 09:00", None),  # A2 at 13:00, not A1: 4 h
    ("M3", "2026-09-30 09:00", "2026-10-03 10:00", "2026-10-02 09:00"),  # the day before: out
    ("M4", "2026-10-04 09:00", None, "2026-10-04 10:00"),  # never assigned: no period
    ("M5", "2026-10-31 09:00", "2026-11-01 00:00", "2026-11-01 01:00"),  # assigned in November
    ("M6", "2026-10-05 09:00", "2026-10-05 10:00", "2026-10-06 10:00"),  # 24 h
])
ASSIGNED_ACTIVITIES = frame("activities", "activity_id occurred_at channel direction lead_id", [
    ("A1", "2026-10-02 08:30", "call", "outbound", "M2"),  # before the assignment
    ("A2", "2026-10-02 13:00", "email", "outbound", "M2"),
])
# fmt: on


@pytest.mark.parametrize(
    ("variant", "expected"), [("median_from_assignment", 4.0), ("mean_from_assignment", 29 / 3)]
)
def test_lead_response_time_from_assignment(variant: str, expected: float):
    book = {"leads": ASSIGNED_LEADS, "activities": ASSIGNED_ACTIVITIES}
    value = run(
        book, "lead_response_time_hours", variants={"lead_response_time_hours": variant}
    ).value("lead_response_time_hours")
    # assigned in October and answered: M1 1 h, M2 4 h, M6 24 h; M3 answered the day before
    assert (value.value, value.n) == (pytest.approx(expected), 3)
    assert value.note == (
        "1 leads with impossible dates left out (responded to before they were assigned, or "
        "a date outside the plausible range: see salesmetrics validate)"
    )


def test_lead_response_time_from_assignment_needs_the_assignment_date():
    report = run(
        RESPONSES,
        "lead_response_time_hours",
        variants={"lead_response_time_hours": "median_from_assignment"},
    )
    assert [(s.id, s.reason) for s in report.skipped] == [
        ("lead_response_time_hours", "needs leads.assigned_at")
    ]


def test_average_response_time_to_the_latest_message_counts_one_wait_per_reply():
    # A17: a second inbound message on L1 at 11:00, answered by the same call A4 at 12:00
    later = frame(
        "activities",
        "activity_id occurred_at channel direction owner lead_id deal_id",
        [("A17", "2026-10-01 11:00", "email", "inbound", "Ana", "L1", None)],
    )
    book = {"activities": pd.concat([MESSAGES, later], ignore_index=True)}
    each = run(book, "average_response_time_hours").value("average_response_time_hours")
    # each message: A1 2, A17 1, A5 0.5, A7 3, A10 2, A15 1 -> 9.5 / 6
    assert (each.value, each.n) == (pytest.approx(9.5 / 6), 6)
    latest = run(
        book,
        "average_response_time_hours",
        variants={"average_response_time_hours": "latest_message"},
    ).value("average_response_time_hours")
    # the latest before each reply: A17 1 (not A1), A5 0.5, A7 3, A10 2, A15 1 -> 7.5 / 5
    assert (latest.value, latest.n, latest.variant) == (1.5, 5, "latest_message")
