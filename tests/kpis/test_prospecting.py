"""Prospecting-stage KPIs on tiny lead and activity books whose answers are worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from salesmetrics.engine import compute
from salesmetrics.kpis.prospecting import KPIS
from salesmetrics.periods import resolve_period
from tests.kpis.frames import AS_OF, NOVEMBER, OCTOBER, SEPTEMBER, frame

JUNE = resolve_period("2026-06", AS_OF)  # nothing happens in June or May

LEADS = frame(
    "leads",
    "lead_id created_at source owner quality sql_at account_id",
    [
        # created at the first and at the last minute of October; L2 has no source
        ("L1", "2026-10-01 00:00", "Web", "Ana", "hot", "2026-10-20 10:00", "A1"),
        ("L2", "2026-10-31 23:59", None, "Ben", "warm", None, None),
        # created at midnight of 1 November: November
        ("L3", "2026-11-01 00:00", "Web", "Ben", "hot", None, "A2"),
        # created in September, qualified at the last minute of October
        ("L4", "2026-09-15 10:00", "Referral", "Ana", "warm", "2026-10-31 23:59", "A1"),
        # qualified at midnight of 1 November: not in October
        ("L5", "2026-10-10 10:00", "Referral", "Ben", "cold", "2026-11-01 00:00", None),
        ("L6", "2026-10-12 10:00", "Web", "Ana", "hot", "2026-10-15 10:00", None),
    ],
)
# Created in October: L1 L2 L5 L6 = 4. Qualified in October: L1 (hot), L4 (warm), L6 (hot) = 3.

ACTS = frame(
    "activities",
    "activity_id occurred_at channel direction owner lead_id account_id duration_minutes "
    "replied bounced",
    [
        # research in October: 90 + 60 + 30 minutes and one without a duration
        ("R1", "2026-10-01 00:00", "research", "outbound", "Ana", "L1", None, 90.0, None, None),
        ("R2", "2026-10-31 23:59", "research", "outbound", "Ben", "L5", None, 60.0, None, None),
        ("R4", "2026-10-10 09:00", "research", "outbound", "Ana", None, None, 30.0, None, None),
        ("R5", "2026-10-11 09:00", "research", "outbound", "Ben", "L4", None, None, None, None),
        # research at midnight of 1 November: November
        ("R3", "2026-11-01 00:00", "research", "outbound", "Ana", "L1", None, 120.0, None, None),
        # reach outs in October
        ("C1", "2026-10-02 09:00", "email", "outbound", "Ana", "L1", "A9", None, True, False),
        ("C2", "2026-10-03 09:00", "call", "outbound", "Ana", "L1", None, 5.0, None, None),
        ("C3", "2026-10-04 09:00", "email", "outbound", "Ben", "L4", None, None, False, False),
        ("C4", "2026-10-05 09:00", "call", "outbound", "Ben", "L2", None, 5.0, None, None),
        ("C6", "2026-10-07 09:00", "meeting", "outbound", "Ana", None, None, 30.0, None, None),
        ("C7", "2026-10-31 23:59", "email", "outbound", "Ben", None, "A3", None, True, False),
        # not reach outs: an inbound email; a reach out in November
        ("C5", "2026-10-06 09:00", "email", "inbound", "Ben", "L5", None, None, None, None),
        ("C8", "2026-11-01 00:00", "email", "outbound", "Ben", None, "A4", None, False, False),
        # September: three emails (one replied) and half an hour of research
        ("S1", "2026-09-10 09:00", "email", "outbound", "Ana", "L1", None, None, False, False),
        ("S2", "2026-09-11 09:00", "email", "outbound", "Ben", "L5", None, None, False, False),
        ("S3", "2026-09-12 09:00", "research", "outbound", "Ana", "L1", None, 30.0, None, None),
        ("S4", "2026-09-30 23:59", "email", "outbound", "Ana", None, "A7", None, True, False),
    ],
)
BOOK = {"leads": LEADS, "activities": ACTS}
# October prospects: C1 -> A9 (the activity's own account wins over its lead's A1);
# C2 -> A1 (L1's account); C3 -> A1 (L4's account); C4 -> lead L2 (no account); C6 names no
# prospect; C7 -> A3. Distinct: A9, A1, L2, A3 = 4. October research: 1.5 + 1 + 0.5 + 0 = 3 h.


def run(kpi: str, period=OCTOBER, book=None, **options):
    return compute(book or BOOK, period=period, as_of=AS_OF, kpis=[kpi], **options)


def test_every_kpi_is_declared_in_the_prospecting_stage():
    assert [k.id for k in KPIS] == [
        "leads_created",
        "leads_by_source",
        "accounts_contacted",
        "accounts_responded",
        "research_hours",
        "research_hours_per_qualified_lead",
        "research_response_roi",
    ]
    assert {k.stage for k in KPIS} == {"prospecting"}


# leads_created, leads_by_source


def test_leads_created_on_the_period_edges_and_by_owner():
    # L1 (00:00 on 1 Oct), L2 (23:59 on 31 Oct), L5, L6; not L3 (00:00 on 1 Nov) nor L4
    assert run("leads_created").value("leads_created").value == 4.0
    assert run("leads_created", NOVEMBER).value("leads_created").value == 1.0  # L3
    report = run("leads_created", group_by=["owner"])
    assert report.value("leads_created", owner="Ana").value == 2.0  # L1 L6
    assert report.value("leads_created", owner="Ben").value == 2.0  # L2 L5
    assert run("leads_created", JUNE).value("leads_created").value == 0.0


def test_leads_by_source_shares_with_a_blank_source():
    shares = run("leads_by_source").categories("leads_by_source")
    # of the 4 leads created in October: Web L1 L6, Referral L5, no source L2
    assert {c: (v.numerator, v.denominator, v.value) for c, v in shares.items()} == {
        "(blank)": (1.0, 4.0, 0.25),
        "Referral": (1.0, 4.0, 0.25),
        "Web": (2.0, 4.0, 0.5),
    }
    report = run("leads_by_source", group_by=["owner"])
    ben = report.categories("leads_by_source", owner="Ben")  # L2 (blank), L5 (Referral)
    assert {c: v.value for c, v in ben.items()} == {"(blank)": 0.5, "Referral": 0.5}
    assert {c: v.value for c, v in report.categories("leads_by_source", owner="Ana").items()} == {
        "Web": 1.0  # L1 L6
    }
    june = run("leads_by_source", JUNE)
    assert june.categories("leads_by_source") == {}  # no lead, no share


def test_leads_by_source_without_a_source_is_skipped():
    report = run("leads_by_source", book={"leads": LEADS.drop(columns=["source"])})
    assert report.skipped[0].reason == "needs leads.source"
    none = compute({}, period=OCTOBER, as_of=AS_OF, kpis=["leads_created"])
    assert none.skipped[0].reason == "needs leads (no leads input)"


# accounts_contacted


def test_accounts_contacted_counts_distinct_prospects():
    assert run("accounts_contacted").value("accounts_contacted").value == 4.0  # A9 A1 L2 A3
    report = run("accounts_contacted", group_by=["owner"])
    assert report.value("accounts_contacted", owner="Ana").value == 2.0  # A9 (C1), A1 (C2)
    # Ben: A1 (C3, through L4), lead L2 (C4), A3 (C7, at 23:59 on 31 Oct) = 3; A1 is in both
    # owners' counts (2 + 3 = 5) but once in the total's 4
    assert report.value("accounts_contacted", owner="Ben").value == 3.0
    assert run("accounts_contacted", NOVEMBER).value("accounts_contacted").value == 1.0  # C8: A4
    assert run("accounts_contacted", JUNE).value("accounts_contacted").value == 0.0


def test_accounts_contacted_without_leads_falls_back_to_the_lead():
    # without leads, C2 and C3 cannot be tied to A1: A9, lead L1, lead L4, lead L2, A3 = 5
    report = run("accounts_contacted", book={"activities": ACTS})
    assert report.value("accounts_contacted").value == 5.0
    unnamed = ACTS.drop(columns=["account_id", "lead_id"])
    skipped = run("accounts_contacted", book={"activities": unnamed})
    assert skipped.skipped[0].reason == (
        "needs activities.account_id or activities.lead_id or activities.deal_id"
    )


def test_accounts_contacted_follows_a_reach_out_logged_against_a_deal():
    # C6 (the meeting) was logged against deal K1 only; K1 is account A5: A9 A1 L2 A3 A5 = 5.
    # C2 on L1 and deal K2 keeps L1's A1 (a lead's account comes before a deal's): not A6
    acts = ACTS.assign(deal_id=ACTS["activity_id"].map({"C6": "K1", "C2": "K2"}))
    deals = frame(
        "deals",
        "deal_id account_id created_at",
        [("K1", "A5", "2026-09-01"), ("K2", "A6", "2026-09-01")],
    )
    report = run("accounts_contacted", book={**BOOK, "activities": acts, "deals": deals})
    assert report.value("accounts_contacted").value == 5.0
    # without the deals input the meeting names no prospect, as before
    alone = run("accounts_contacted", book={**BOOK, "activities": acts})
    assert alone.value("accounts_contacted").value == 4.0


# accounts_responded (the fourth seed's companies that have responded to outreach)


def test_accounts_responded_counts_distinct_prospects_with_an_inbound_activity_or_a_reply():
    # October: C1 replied (A9), C7 replied (A3), C5 inbound on L5 (no account: the lead);
    # C3 was not replied, the research and the other reach outs are not responses
    report = run("accounts_responded", group_by=["owner"])
    assert report.value("accounts_responded").value == 3.0
    assert report.value("accounts_responded", owner="Ana").value == 1.0  # A9
    assert report.value("accounts_responded", owner="Ben").value == 2.0  # A3, lead L5
    assert run("accounts_responded", SEPTEMBER).value("accounts_responded").value == 1.0  # S4
    assert run("accounts_responded", NOVEMBER).value("accounts_responded").value == 0.0  # C8


def test_accounts_responded_reads_the_direction_or_the_reply_flag():
    inbound_only = run(
        "accounts_responded", book={**BOOK, "activities": ACTS.drop(columns="replied")}
    )
    assert inbound_only.value("accounts_responded").value == 1.0  # C5: lead L5
    neither = ACTS.drop(columns=["replied", "direction"])
    skipped = run("accounts_responded", book={**BOOK, "activities": neither}).skipped
    assert [(s.id, s.reason) for s in skipped] == [
        ("accounts_responded", "needs activities.direction or activities.replied")
    ]


def test_a_lead_listed_twice_gives_the_account_of_its_first_listing_that_has_one():
    leads = frame(
        "leads",
        "lead_id created_at account_id",
        [
            ("L1", "2026-09-01", None),  # listed first, without an account
            ("L1", "2026-09-02", "A2"),  # the first listing with one: L1 is A2
            ("L1", "2026-09-03", "A3"),
        ],
    )
    acts = frame(
        "activities",
        "occurred_at channel direction owner lead_id account_id",
        [
            ("2026-10-02 09:00", "call", "outbound", "Ana", "L1", None),  # A2
            ("2026-10-03 09:00", "call", "outbound", "Ana", None, "A2"),  # A2 again
            ("2026-10-04 09:00", "call", "outbound", "Ben", "A2", None),  # the lead named A2
        ],
    )
    book = {"leads": leads, "activities": acts}
    report = run("accounts_contacted", book=book, group_by=["owner"])
    assert report.value("accounts_contacted").value == 2.0  # account A2, lead A2
    assert report.value("accounts_contacted", owner="Ana").value == 1.0


# research_hours, research_hours_per_qualified_lead


def test_research_hours_on_the_period_edges():
    # R1 (00:00 on 1 Oct) 90 min + R2 (23:59 on 31 Oct) 60 + R4 30 + R5 blank = 180 min = 3 h;
    # R3 (00:00 on 1 Nov) is November; the calls' and meeting's minutes are not research
    assert run("research_hours").value("research_hours").value == 3.0
    assert run("research_hours", NOVEMBER).value("research_hours").value == 2.0  # R3
    report = run("research_hours", group_by=["owner"])
    assert report.value("research_hours", owner="Ana").value == 2.0  # R1 R4
    assert report.value("research_hours", owner="Ben").value == 1.0  # R2 R5
    skipped = run("research_hours", book={"activities": ACTS.drop(columns=["duration_minutes"])})
    assert skipped.skipped[0].reason == "needs activities.duration_minutes"


def test_research_hours_per_qualified_lead_by_lead_quality():
    total = run("research_hours_per_qualified_lead").value("research_hours_per_qualified_lead")
    # 3 h of research / 3 leads qualified in October (L1, L4 at 23:59 on 31 Oct, L6)
    assert (total.numerator, total.denominator, total.value) == (3.0, 3.0, 1.0)
    report = run("research_hours_per_qualified_lead", group_by=["quality"])
    hot = report.value("research_hours_per_qualified_lead", quality="hot")
    assert (hot.numerator, hot.denominator, hot.value) == (1.5, 2.0, 0.75)  # R1 on L1; L1 L6
    warm = report.value("research_hours_per_qualified_lead", quality="warm")
    assert (warm.numerator, warm.denominator, warm.value) == (0.0, 1.0, 0.0)  # R5 (no time); L4
    cold = report.value("research_hours_per_qualified_lead", quality="cold")
    # R2 on L5, but L5 qualified at midnight of 1 November
    assert (cold.numerator, cold.value, cold.note) == (
        1.0,
        None,
        "no leads qualified in the period",
    )
    blank = report.value("research_hours_per_qualified_lead", quality="(blank)")
    assert (blank.numerator, blank.value) == (0.5, None)  # R4 has no lead


def test_research_hours_per_qualified_lead_by_owner_and_missing_inputs():
    report = run("research_hours_per_qualified_lead", group_by=["owner"])
    ana = report.value("research_hours_per_qualified_lead", owner="Ana")
    # Ana's research R1 R4 = 2 h; her leads qualified in October: L1 L4 L6
    assert (ana.numerator, ana.denominator) == (2.0, 3.0)
    assert ana.value == pytest.approx(2 / 3)
    assert report.value("research_hours_per_qualified_lead", owner="Ben").value is None
    # L1 exported twice is still one lead qualified: 3 h / 3 leads
    twice = {"leads": pd.concat([LEADS, LEADS.iloc[[0]]], ignore_index=True), "activities": ACTS}
    again = run("research_hours_per_qualified_lead", book=twice)
    assert again.value("research_hours_per_qualified_lead").denominator == 3.0
    june = run("research_hours_per_qualified_lead", JUNE).value("research_hours_per_qualified_lead")
    assert (june.value, june.note) == (None, "no leads qualified in the period")
    no_sql = run(
        "research_hours_per_qualified_lead",
        book={"leads": LEADS.drop(columns=["sql_at"]), "activities": ACTS},
    )
    assert no_sql.skipped[0].reason == "needs leads.sql_at"
    no_leads = run("research_hours_per_qualified_lead", book={"activities": ACTS})
    assert no_leads.skipped[0].reason == "needs leads (no leads input)"
    (by_channel,) = run("research_hours_per_qualified_lead", group_by=["channel"]).values
    total = run("research_hours_per_qualified_lead").value("research_hours_per_qualified_lead")
    assert (by_channel.group, by_channel.value) == ((), total.value)  # as without --by
    assert by_channel.note == "not split by channel: leads carry no channel"


def test_research_takes_each_dimension_of_its_lead_from_its_first_listing_with_one():
    leads = frame(
        "leads",
        "lead_id created_at quality source sql_at",
        [
            ("L1", "2026-09-01", None, "Web", "2026-10-05"),  # source from here
            ("L1", "2026-09-02", "hot", "Event", None),  # quality from here
            ("L1", "2026-09-03", "cold", None, None),
        ],
    )
    acts = frame(
        "activities",
        "occurred_at channel direction owner lead_id duration_minutes",
        [("2026-10-02 09:00", "research", "outbound", "Ana", "L1", 30.0)],
    )
    book = {"leads": leads, "activities": acts}
    for by, label in (("quality", "hot"), ("source", "Web")):
        report = run("research_hours_per_qualified_lead", book=book, group_by=[by])
        found = report.value("research_hours_per_qualified_lead", **{by: label})
        assert found.numerator == 0.5
    # activities without owners cannot be split by owner, though leads have them
    unowned = {"leads": leads.assign(owner="Ana"), "activities": acts.drop(columns=["owner"])}
    (total,) = run("research_hours_per_qualified_lead", book=unowned, group_by=["owner"]).values
    assert total.note == "not split by owner: activities carry no owner"


# research_response_roi

# the activities start on 1 August (a call logged then), so September is not before the data
EARLY = frame(
    "activities",
    "activity_id occurred_at channel direction owner",
    [("E1", "2026-08-01 09:00", "call", "inbound", "Ana")],
)
FROM_AUGUST = {"leads": LEADS, "activities": pd.concat([ACTS, EARLY], ignore_index=True)}


def test_research_response_roi_against_the_previous_period():
    # October: replied C1 C7 of delivered C1 C3 C7 = 2/3; 3 h / 4 prospects = 0.75 h
    # September: replied S4 of S1 S2 S4 = 1/3; 0.5 h / 3 prospects (A1 via L1, lead L5, A7)
    # = 1/6 h. RRROI = (2/3 - 1/3) / (0.75 - 1/6) = (1/3) / (7/12) = 4/7
    found = run("research_response_roi", book=FROM_AUGUST, small_sample=3)
    found = found.value("research_response_roi")
    assert found.value == pytest.approx(4 / 7)
    assert found.numerator == pytest.approx(1 / 3)
    assert found.denominator == pytest.approx(7 / 12)


def test_research_response_roi_is_null_under_the_small_sample_threshold():
    # 3 emails delivered in each month (and 4 and 3 prospects): under 4, a change is noise
    found = run("research_response_roi", book=FROM_AUGUST, small_sample=4)
    found = found.value("research_response_roi")
    assert found.value is None
    assert (found.numerator, found.denominator) == (pytest.approx(1 / 3), pytest.approx(7 / 12))
    assert found.note == (
        "3 emails delivered or prospects contacted in one of the periods, fewer than the "
        "small-sample threshold (4): the change is noise"
    )
    assert (
        run("research_response_roi", book=FROM_AUGUST).value("research_response_roi").value is None
    )


def test_research_response_roi_is_null_when_the_comparison_period_starts_before_the_data():
    # without the August call the activities start on 10 September: September is partly before
    found = run("research_response_roi", small_sample=1).value("research_response_roi")
    assert (found.value, found.note) == (
        None,
        "the activities start 2026-09-10: the comparison period 2026-09 is before them",
    )
    yearly = run("research_response_roi", book=FROM_AUGUST, compare="year", small_sample=1)
    assert yearly.value("research_response_roi").note == (
        "the activities start 2026-08-01: the comparison period 2025-10 is before them"
    )


def test_research_response_roi_by_owner():
    report = run("research_response_roi", group_by=["owner"], book=FROM_AUGUST, small_sample=1)
    # Ana October: C1 replied of C1 = 1; 2 h (R1 R4) / 2 prospects (A9, A1) = 1 h
    # Ana September: S4 of S1 S4 = 1/2; 0.5 h / 2 prospects (A1, A7) = 0.25 h
    # (1 - 1/2) / (1 - 0.25) = 2/3
    assert report.value("research_response_roi", owner="Ana").value == pytest.approx(2 / 3)
    # Ben October: C7 of C3 C7 = 1/2; 1 h (R2 R5) / 3 prospects = 1/3 h
    # Ben September: 0 of S2; 0 h / 1 prospect (lead L5) = 0 h; (1/2 - 0) / (1/3 - 0) = 1.5
    assert report.value("research_response_roi", owner="Ben").value == pytest.approx(1.5)


def test_research_response_roi_without_data_or_without_a_change_has_a_note():
    september = run("research_response_roi", SEPTEMBER, book=FROM_AUGUST, small_sample=1)
    # August has no email and no reach out
    assert (september.value("research_response_roi").note) == (
        "no delivered email or prospect contacted in the comparison period"
    )
    flat = frame(
        "activities",
        "occurred_at channel direction account_id duration_minutes replied bounced",
        [
            # one email to one account a month and one hour of research each month:
            # 1 h per prospect both times, the response rate goes from 0 to 1; then 1 h and
            # 1 min in November, a change of 1.7%: too small to divide by
            ("2026-09-01 09:00", "email", "outbound", "A1", None, False, False),
            ("2026-09-11 09:00", "research", "outbound", None, 60.0, None, None),
            ("2026-10-10 09:00", "email", "outbound", "A1", None, True, False),
            ("2026-10-11 09:00", "research", "outbound", None, 60.0, None, None),
            ("2026-11-10 09:00", "email", "outbound", "A1", None, False, False),
            ("2026-11-11 09:00", "research", "outbound", None, 61.0, None, None),
        ],
    )
    same = run("research_response_roi", book={"activities": flat}, small_sample=1)
    same = same.value("research_response_roi")
    assert (same.value, same.numerator, same.denominator) == (None, 1.0, 0.0)
    assert same.note == "research hours per prospect contacted did not change"
    small = run("research_response_roi", NOVEMBER, book={"activities": flat}, small_sample=1)
    small = small.value("research_response_roi")
    assert (small.value, small.numerator) == (None, -1.0)
    assert small.denominator == pytest.approx(1 / 60)
    assert small.note == (
        "research hours per prospect contacted changed by less than 5%: too small a change to "
        "divide by"
    )


def test_research_response_roi_needs_replies():
    report = run("research_response_roi", book={"activities": ACTS.drop(columns=["replied"])})
    assert report.skipped[0].reason == "needs activities.replied"


# named variants (issue 18): qualified leads per research hour, as the seed defines it


def test_qualified_leads_per_research_hour_counts_the_leads_the_research_generated():
    # fmt: off
    leads = frame("leads", "lead_id created_at sql_at quality", [
        ("R1", "2026-09-01", "2026-10-20", "hot"),  # researched 5 Oct, SQL after: generated
        ("R2", "2026-09-01", "2026-10-01", "hot"),  # SQL before its research: not generated
        ("R3", "2026-09-01", None, "cold"),  # never an SQL
        ("R4", "2026-09-01", "2026-10-10", "hot"),  # first researched in September: not October's
        ("R5", "2026-09-01", "2026-11-05", "cold"),  # SQL in November: generated, later
    ])
    acts = frame("activities", "activity_id occurred_at channel duration_minutes lead_id", [
        ("A1", "2026-10-05", "research", 90.0, "R1"),
        ("A2", "2026-10-06", "research", 30.0, "R1"),  # R1's second: hours only
        ("A3", "2026-10-07", "research", 60.0, "R2"),
        ("A4", "2026-10-08", "research", 120.0, "R3"),
        ("A5", "2026-09-20", "research", 60.0, "R4"),  # September
        ("A6", "2026-10-09", "research", 60.0, "R4"),
        ("A7", "2026-10-10", "research", 60.0, None),  # on no lead: not counted
        ("A8", "2026-10-11", "email", 15.0, "R1"),  # not research
        ("A9", "2026-10-12", "research", 60.0, "R5"),
    ])
    # fmt: on
    book = {"leads": leads, "activities": acts}
    chosen = {"research_hours_per_qualified_lead": "researched_leads"}
    found = run("research_hours_per_qualified_lead", book=book, variants=chosen)
    value = found.value("research_hours_per_qualified_lead")
    # generated in October: R1 and R5 = 2; hours on leads: 1.5 + 0.5 + 1 + 2 + 1 + 1 = 7
    assert (value.numerator, value.denominator) == (2.0, 7.0)
    assert value.value == pytest.approx(2 / 7)
    by_quality = run(
        "research_hours_per_qualified_lead", book=book, variants=chosen, group_by=["quality"]
    )
    hot = by_quality.value("research_hours_per_qualified_lead", quality="hot")
    # hot: R1 of R1's 2 h, R2's 1 h and R4's October 1 h
    assert (hot.numerator, hot.denominator) == (1.0, 4.0)
    # as of 23 November, R5's SQL on 5 November is within the 90 days: October is maturing
    assert value.maturing


def test_research_response_roi_sets_researched_emails_against_the_others():
    # fmt: off
    acts = frame("activities", "activity_id occurred_at channel direction lead_id replied bounced duration_minutes", [
        ("R1", "2026-10-01 09:00", "research", "outbound", "L1", None, None, 60.0),
        ("R2", "2026-10-10", "research", "outbound", "L1", None, None, 30.0),  # after L1's email
        ("R3", "2026-09-20", "research", "outbound", "L2", None, None, 120.0),
        ("R4", "2026-10-20", "research", "outbound", "L5", None, None, 60.0),  # after L5's email
        ("E1", "2026-10-02", "email", "outbound", "L1", True, False, None),  # researched
        ("E2", "2026-10-05", "email", "outbound", "L1", False, False, None),  # researched
        ("E3", "2026-10-03", "email", "outbound", "L2", True, False, None),  # researched
        ("E4", "2026-10-04", "email", "outbound", "L3", False, False, None),
        ("E5", "2026-10-06", "email", "outbound", "L4", True, False, None),
        ("E6", "2026-10-07", "email", "outbound", "L4", True, True, None),  # bounced
        ("E7", "2026-10-15", "email", "outbound", "L5", False, False, None),
        ("E8", "2026-11-01", "email", "outbound", "L3", True, False, None),  # November
    ])
    # fmt: on
    chosen = {"research_response_roi": "researched_against_not"}
    book = {"activities": acts}
    found = run("research_response_roi", book=book, variants=chosen, small_sample=1)
    value = found.value("research_response_roi")
    # researched: E1, E2, E3, 2 replied of 3; not: E4, E5, E7, 1 of 3: a lift of 1/3;
    # hours before the first email in October: L1 1 (R1, not R2), L2 2: 1.5 per prospect
    assert value.numerator == pytest.approx(1 / 3) and value.denominator == 1.5
    assert value.value == pytest.approx(2 / 9)
    assert value.note == "researched: 2 of 3 delivered emails replied; not researched: 1 of 3"
    assert value.n == 6  # the delivered emails in October: E1 to E5 and E7 (E6 bounced)
    few = run("research_response_roi", book=book, variants=chosen).value("research_response_roi")
    assert (few.value, few.note) == (
        None,
        "researched: 2 of 3 delivered emails replied; not researched: 1 of 3: fewer than the "
        "small-sample threshold (20) in one of them",
    )
