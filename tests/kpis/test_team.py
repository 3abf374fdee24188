"""Team-stage KPIs on tiny books whose answers are worked out by hand in each test."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from salesmetrics.currency import Rates
from salesmetrics.engine import compute
from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import Settings
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.kpis.team import KPIS
from salesmetrics.periods import between, resolve_period
from tests.kpis.frames import AS_OF, OCTOBER, Q4, SEPTEMBER, frame

JUNE = resolve_period("2026-06", AS_OF)  # nothing happens in June or May

DEALS = frame(
    "deals",
    "deal_id status closed_at amount currency owner source deal_type account_id",
    [
        # won in October: the first minute, the last minute, and one with no source
        ("D1", "won", "2026-10-01 00:00", 1000.0, "USD", "Ana", "Web", "new", "A1"),
        ("D2", "won", "2026-10-31 23:59", 3000.0, "USD", "Ben", "Referral", "renewal", "A2"),
        ("D7", "won", "2026-10-20 10:00", 600.0, "USD", "Ana", None, "other", "A2"),
        # lost in October
        ("D3", "lost", "2026-10-15 12:00", 500.0, "USD", "Ana", "Web", "new", "A3"),
        # won at midnight of 1 November: November, not October
        ("D4", "won", "2026-11-01 00:00", 700.0, "USD", "Ana", "Web", "new", "A4"),
        # won in September (the last minute, and mid-month)
        ("D5", "won", "2026-09-30 23:59", 2000.0, "USD", "Ben", "Web", "upsell", "A2"),
        ("D8", "won", "2026-09-10 09:00", 500.0, "USD", "Cy", "Referral", "expansion", "A5"),
        # open deals never count
        ("D6", "open", None, 8000.0, "USD", "Ana", "Web", "new", "A6"),
    ],
)
# Revenue won: October 1000 + 3000 + 600 = 4600 (Ana 1600, Ben 3000); September 2000 + 500 =
# 2500 (Ben 2000, Cy 500); November 700 (Ana). Closed in October: D1, D2, D7, D3 = 4.

REPS = frame(
    "reps",
    "owner team started_at ended_at",
    [
        ("Ana", "East", "2025-01-01", None),
        ("Ben", "West", "2026-10-15", None),  # joined mid-October
        ("Cy", "West", "2024-01-01", "2026-09-30 23:59"),  # left at the last minute of September
        ("Dee", "East", "2024-01-01", "2026-10-31 23:59"),  # left at the last minute of October
        ("Eve", "East", "2026-11-01 00:00", None),  # starts at midnight of 1 November
    ],
)
# Active in October (started before 1 Nov, not ended before 1 Oct): Ana, Ben, Dee = 3.

# Q4 has 92 days: Ana's 9200 is 3100 in October, 3000 in November, 3100 in December;
# Ben's 4600 is 1550, 1500, 1550.
TARGETS = frame(
    "targets",
    "period amount owner metric currency",
    [
        ("2026-Q4", 9200.0, "Ana", "quota", "USD"),
        ("2026-Q4", 4600.0, "Ben", "quota", "USD"),
        ("2026-10", 1000.0, "Dee", "quota", "USD"),  # October only
        ("2026-Q3", 9999.0, "Ana", "quota", "USD"),  # ends before October
        ("2026-Q4", 50000.0, None, "forecast", "USD"),  # a forecast, not a quota
    ],
)
BOOK = {"deals": DEALS, "reps": REPS, "targets": TARGETS}
# The deals above run from 10 September to 1 November (D4); with a deal lost on the last
# minute of the year they cover the whole of Q4.
LOST_IN_DECEMBER = frame(
    "deals",
    "deal_id status closed_at amount currency owner",
    [("D9", "lost", "2026-12-31 23:59", 100.0, "USD", "Cy")],
)
THROUGH_DECEMBER = {**BOOK, "deals": pd.concat([DEALS, LOST_IN_DECEMBER], ignore_index=True)}
ENDS = "the deals data ends 2026-11-01: values up to its end"


def run(kpi: str, period=OCTOBER, book=None, **options):
    return compute(book or BOOK, period=period, as_of=AS_OF, kpis=[kpi], **options)


# quota_attainment


def test_quota_attainment_is_revenue_won_over_the_pro_rated_quota():
    found = run("quota_attainment").value("quota_attainment")
    # quota in October: 9200 * 31/92 + 4600 * 31/92 + 1000 = 3100 + 1550 + 1000 = 5650
    assert (found.numerator, found.denominator) == (4600.0, pytest.approx(5650.0))
    assert found.value == pytest.approx(4600 / 5650)  # 0.814
    assert (found.target, found.status) == (1.0, "off_track")  # under 90% of quota
    november = run("quota_attainment", resolve_period("2026-11", AS_OF), THROUGH_DECEMBER)
    # D4 at 00:00 on 1 Nov counts in November: 700 / (9200 * 30/92 + 4600 * 30/92 = 4500)
    assert november.value("quota_attainment").value == pytest.approx(700 / 4500)


def test_quota_attainment_counts_the_quota_of_the_days_the_deals_cover():
    # the deals end on 1 November: November's revenue is that of its first day, so it is
    # measured against that day's quota, 9200 / 92 + 4600 / 92 = 150 (not 4500)
    november = run("quota_attainment", resolve_period("2026-11", AS_OF))
    found = november.value("quota_attainment")
    assert (found.numerator, found.denominator) == (700.0, pytest.approx(150.0))
    assert (found.value, found.note) == (pytest.approx(700 / 150), ENDS)
    # Q4 up to 1 November: (4600 + 700) / (5650 + 150)
    quarter = run("quota_attainment", Q4, group_by=["month"])
    found = quarter.value("quota_attainment")
    assert (found.value, found.note) == (pytest.approx(5300 / 5800), ENDS)
    december = quarter.value("quota_attainment", month="2026-12")  # after the deals
    assert (december.value, december.note) == (None, ENDS)


def test_a_fiscal_year_report_says_how_it_read_the_target_labels():
    # the fiscal year starts in April: undeclared, 2026-Q4 is fiscal Q4, January to March 2026
    # (and 2026-Q3 October to December 2025), so October's quota is only Dee's 1000 (the month
    # label means the same in both calendars), and the report says how it read the labels
    fiscal = run("quota_attainment", fiscal_start_month=4)
    assert fiscal.value("quota_attainment").denominator == 1000.0
    assert [(w.code, w.entity, w.message) for w in fiscal.warnings] == [
        (
            "targets_calendar",
            "targets",
            "targets 2026-Q3, 2026-Q4 read as fiscal periods (the fiscal year starts in month "
            "4: 2026-Q3 is 2025-10-01 to 2025-12-31); if they are calendar quarters or years, add "
            "`constants: {calendar: calendar}` to the targets mapping (or `calendar: fiscal` to "
            "confirm)",
        )
    ]
    # declared calendar: 2026-Q4 is October to December, as in a calendar-year report (5650)
    calendar = {**BOOK, "targets": TARGETS.assign(calendar="calendar")}
    declared = run("quota_attainment", book=calendar, fiscal_start_month=4)
    assert declared.value("quota_attainment").denominator == pytest.approx(5650.0)
    assert declared.warnings == ()
    # declared fiscal: read as before, without the warning
    confirmed = {**BOOK, "targets": TARGETS.assign(calendar="fiscal")}
    read = run("quota_attainment", book=confirmed, fiscal_start_month=4)
    assert (read.value("quota_attainment").denominator, read.warnings) == (1000.0, ())
    # a calendar-year report has nothing to say
    assert run("quota_attainment").warnings == ()


def test_quota_attainment_per_owner_and_per_team_are_sums_over_sums():
    by_owner = run("quota_attainment", group_by=["owner"])
    assert by_owner.value("quota_attainment", owner="Ana").value == pytest.approx(1600 / 3100)
    assert by_owner.value("quota_attainment", owner="Ben").value == pytest.approx(3000 / 1550)
    dee = by_owner.value("quota_attainment", owner="Dee")  # a quota and no revenue
    assert (dee.value, dee.denominator) == (0.0, 1000.0)
    cy = by_owner.value("quota_attainment", owner="Cy")  # no deal and no quota in October
    assert (cy.value, cy.note) == (None, "no rows in the denominator")
    # teams come from reps for both deals and targets: East = Ana + Dee, West = Ben
    by_team = run("quota_attainment", group_by=["team"])
    east = by_team.value("quota_attainment", team="East")
    assert (east.numerator, east.denominator) == (1600.0, pytest.approx(3100 + 1000))
    assert east.value == pytest.approx(1600 / 4100)  # 0.39, not the mean of 0.516 and 0.0
    assert by_team.value("quota_attainment", team="West").value == pytest.approx(3000 / 1550)
    assert by_team.value("quota_attainment").value == pytest.approx(4600 / 5650)


def test_quota_attainment_per_month_looks_only_at_each_month():
    report = run("quota_attainment", Q4, THROUGH_DECEMBER, group_by=["month"])
    # Oct 4600 / 5650; Nov 700 / 4500; Dec 0 / (3100 + 1550)
    assert report.value("quota_attainment", month="2026-10").value == pytest.approx(4600 / 5650)
    assert report.value("quota_attainment", month="2026-11").value == pytest.approx(700 / 4500)
    assert report.value("quota_attainment", month="2026-12").value == 0.0
    # the quarter: (4600 + 700) / (9200 + 4600 + 1000)
    assert report.value("quota_attainment").value == pytest.approx(5300 / 14800)


def test_quota_attainment_without_quota_or_targets():
    # June is before the deals: neither revenue nor quota is known
    june = run("quota_attainment", JUNE).value("quota_attainment")
    starts = "the deals data starts 2026-09-10: values from its start"
    assert (june.value, june.denominator, june.note) == (None, None, starts)
    # a quota for a period the deals cover, with no revenue won: 0
    august = frame("deals", "deal_id status closed_at amount currency", [
        ("D0", "lost", "2026-08-01", 100.0, "USD"),
    ])  # fmt: skip
    book = {**BOOK, "deals": pd.concat([DEALS, august], ignore_index=True)}
    august = run("quota_attainment", resolve_period("2026-08", AS_OF), book)
    found = august.value("quota_attainment")  # Ana's Q3: 9999 x 31/92
    assert (found.value, found.denominator) == (0.0, pytest.approx(9999 * 31 / 92))
    skipped = run("quota_attainment", book={"deals": DEALS}).skipped
    assert [(s.id, s.reason) for s in skipped] == [
        ("quota_attainment", "needs targets (no targets input)")
    ]
    # a quota has no source: the total is not split by source, rather than put under (blank)
    (total,) = run("quota_attainment", group_by=["source"]).values
    assert total.value == run("quota_attainment").value("quota_attainment").value
    assert (total.group, total.note) == ((), "not split by source: targets carry no source")


# sales_per_rep and deals_closed_per_rep


def test_sales_and_deals_closed_per_active_rep():
    report = compute(
        BOOK, period=OCTOBER, as_of=AS_OF, kpis=["sales_per_rep", "deals_closed_per_rep"]
    )
    sales = report.value("sales_per_rep")
    # 4600 won / 3 active reps (Ana, Ben, Dee; Cy left in September, Eve starts 1 Nov)
    assert (sales.numerator, sales.denominator) == (4600.0, 3.0)
    assert sales.value == pytest.approx(4600 / 3)
    closed = report.value("deals_closed_per_rep")
    assert (closed.numerator, closed.denominator) == (4.0, 3.0)  # D1, D2, D7, D3 over 3 reps


def test_per_rep_counts_distinct_reps_within_each_group():
    report = compute(
        BOOK,
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["sales_per_rep", "deals_closed_per_rep"],
        group_by=["team"],
    )
    # East: Ana's 1000 + 600 over Ana and Dee; West: Ben's 3000 over Ben
    assert report.value("sales_per_rep", team="East").value == 800.0
    assert report.value("sales_per_rep", team="West").value == 3000.0
    # the total is 4600 / 3, not the mean of 800 and 3000
    assert report.value("sales_per_rep").value == pytest.approx(4600 / 3)
    # East closed D1, D3, D7 over 2 reps; West D2 over 1
    assert report.value("deals_closed_per_rep", team="East").value == 1.5
    assert report.value("deals_closed_per_rep", team="West").value == 1.0


def test_per_rep_for_a_rep_without_deals_and_an_owner_no_longer_active():
    report = run("sales_per_rep", group_by=["owner"])
    assert report.value("sales_per_rep", owner="Dee").value == 0.0  # active, nothing won: 0 / 1
    cy = report.value("sales_per_rep", owner="Cy")  # left in September: no rows in October
    assert (cy.value, cy.denominator, cy.note) == (None, 0.0, "no active reps in the period")


def test_reps_employed_at_the_edges_of_the_period():
    reps = frame(
        "reps",
        "owner team started_at ended_at",
        [
            ("Fay", "East", "2024-01-01", "2026-10-01"),  # last day 1 Oct (00:00): in October
            ("Gil", "East", "2024-01-01", "2026-09-30 23:59"),  # gone before October
            ("Hu", "East", None, None),  # no dates: employed all along
            ("Ivy", "East", "2026-10-31 23:59", None),  # starts in the last minute of October
            ("Jo", "East", "2026-11-01 00:00", None),  # starts after October
        ],
    )
    book = {"deals": DEALS, "reps": reps}
    report = compute(
        book, period=OCTOBER, as_of=AS_OF, kpis=["deals_closed_per_rep", "rep_turnover"]
    )
    # active in October: Fay, Hu, Ivy = 3; 4 deals closed
    closed = report.value("deals_closed_per_rep")
    assert (closed.numerator, closed.denominator) == (4.0, 3.0)
    # at 1 Oct 00:00: Fay, Hu = 2; at 1 Nov 00:00: Hu, Ivy = 2; leaver Fay: 1 / 2
    turnover = report.value("rep_turnover")
    assert (turnover.numerator, turnover.denominator, turnover.value) == (1.0, 2.0, 0.5)
    # without a started_at column everyone has started: Ana, Ben, Dee, Eve (not Cy) = 4
    undated = {"deals": DEALS, "reps": REPS.drop(columns=["started_at"])}
    sales = compute(undated, period=OCTOBER, as_of=AS_OF, kpis=["sales_per_rep"])
    assert sales.value("sales_per_rep").value == 1150.0  # 4600 / 4


def test_per_rep_without_reps_counts_owners_of_deals_closed_in_the_period():
    report = compute(
        {"deals": DEALS},
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["sales_per_rep", "deals_closed_per_rep"],
    )
    # owners of D1, D2, D7, D3: Ana and Ben; D4 (1 Nov 00:00) and D5 (30 Sep 23:59) are outside
    assert report.value("sales_per_rep").value == 2300.0  # 4600 / 2
    assert report.value("deals_closed_per_rep").value == 2.0  # 4 / 2
    empty = compute({"deals": DEALS}, period=JUNE, as_of=AS_OF, kpis=["sales_per_rep"])
    june = empty.value("sales_per_rep")
    assert (june.value, june.numerator, june.note) == (None, 0.0, "no active reps in the period")


def test_per_rep_needs_reps_or_deal_owners():
    book = {"deals": DEALS.drop(columns=["owner"])}
    report = compute(
        book, period=OCTOBER, as_of=AS_OF, kpis=["sales_per_rep", "deals_closed_per_rep"]
    )
    assert {s.id: s.reason for s in report.skipped} == {
        "sales_per_rep": "needs reps.owner or deals.owner",
        "deals_closed_per_rep": "needs reps.owner or deals.owner",
    }


# sales_growth


def test_sales_growth_against_the_previous_period():
    found = run("sales_growth").value("sales_growth")
    # October 4600 against September 2000 (D5 at 23:59 on 30 Sep) + 500 = 2500
    assert (found.numerator, found.denominator) == (2100.0, 2500.0)
    assert found.value == pytest.approx(0.84)  # (4600 - 2500) / 2500


def test_sales_growth_per_owner_is_a_sum_over_sums():
    report = run("sales_growth", group_by=["owner"])
    assert report.value("sales_growth", owner="Ben").value == 0.5  # (3000 - 2000) / 2000
    assert report.value("sales_growth", owner="Cy").value == -1.0  # (0 - 500) / 500
    ana = report.value("sales_growth", owner="Ana")  # 1600 now, nothing in September
    assert (ana.value, ana.numerator, ana.note) == (None, 1600.0, "no rows in the denominator")
    assert report.value("sales_growth").value == pytest.approx(0.84)  # not a mean of groups


def test_sales_growth_per_month_compares_each_month_with_the_one_before():
    report = run("sales_growth", Q4, THROUGH_DECEMBER, group_by=["month"])
    assert report.value("sales_growth", month="2026-10").value == pytest.approx(0.84)
    # November 700 against October 4600; December 0 against November 700
    assert report.value("sales_growth", month="2026-11").value == pytest.approx(-3900 / 4600)
    assert report.value("sales_growth", month="2026-12").value == -1.0
    # Q4 (4600 + 700) against Q3 (2500)
    assert report.value("sales_growth").value == pytest.approx((5300 - 2500) / 2500)


def test_sales_growth_a_year_earlier_and_with_nothing_before():
    yearly = run("sales_growth", compare="year").value("sales_growth")
    # October 2025 has no revenue: 4600 over 0
    assert (yearly.value, yearly.denominator) == (None, 0.0)
    june = run("sales_growth", JUNE).value("sales_growth")  # before the deals
    assert (june.value, june.note) == (
        None,
        "the deals data starts 2026-09-10: values from its start",
    )


def test_sales_growth_of_a_period_past_the_deals_compares_the_same_days():
    # the deals end on 1 November: November's first day (D4, 700) against October's first day
    # (D1, 1000), not against the whole of October (4600)
    november = run("sales_growth", resolve_period("2026-11", AS_OF)).value("sales_growth")
    assert (november.numerator, november.denominator) == (-300.0, 1000.0)
    assert november.note == f"{ENDS}, against 2026-10-01 to 2026-10-01"
    # Q4 up to 1 November (32 days) against Q3's first 32 days, 1 July to 1 August: no revenue
    quarter = run("sales_growth", Q4).value("sales_growth")
    assert (quarter.value, quarter.denominator) == (None, 0.0)
    assert quarter.note == f"no rows in the denominator; {ENDS}, against 2026-07-01 to 2026-08-01"
    december = run("sales_growth", resolve_period("2026-12", AS_OF)).value("sales_growth")
    assert (december.value, december.note) == (None, ENDS)


# revenue_by_source


def test_revenue_by_source_is_each_source_share_of_revenue_won():
    shares = run("revenue_by_source").categories("revenue_by_source")
    # Web D1 1000, Referral D2 3000, blank D7 600; D4 (1 Nov) and D3 (lost) do not count
    assert {c: v.value for c, v in shares.items()} == {
        "(blank)": pytest.approx(600 / 4600),
        "Referral": pytest.approx(3000 / 4600),
        "Web": pytest.approx(1000 / 4600),
    }
    assert shares["Web"].denominator == 4600.0


def test_revenue_by_source_per_owner_and_an_owner_with_nothing_won():
    report = run("revenue_by_source", group_by=["owner"])
    ana = report.categories("revenue_by_source", owner="Ana")
    # Ana: Web 1000 and blank 600 out of 1600
    assert {c: v.value for c, v in ana.items()} == {
        "(blank)": pytest.approx(600 / 1600),
        "Web": pytest.approx(1000 / 1600),
    }
    assert report.categories("revenue_by_source", owner="Cy") == {}  # nothing won in October
    assert run("revenue_by_source", JUNE).categories("revenue_by_source") == {}


def test_revenue_by_source_needs_a_source():
    report = run("revenue_by_source", book={"deals": DEALS.drop(columns=["source"])})
    assert report.skipped[0].reason == "needs deals.source"


# new_vs_existing_revenue


def test_new_vs_existing_revenue_shares():
    shares = run("new_vs_existing_revenue").categories("new_vs_existing_revenue")
    # new D1 1000; existing D2 3000 (renewal); (other) D7 600 (deal_type other)
    assert list(shares) == ["new", "existing", "(other)"]
    assert shares["new"].value == pytest.approx(1000 / 4600)
    assert shares["existing"].value == pytest.approx(3000 / 4600)
    assert shares["(other)"].value == pytest.approx(600 / 4600)
    september = run("new_vs_existing_revenue", SEPTEMBER).categories("new_vs_existing_revenue")
    # D5 upsell 2000 and D8 expansion 500 are both existing: 2500 / 2500
    assert {c: v.value for c, v in september.items()} == {"new": 0.0, "existing": 1.0}


def test_new_vs_existing_revenue_per_owner_blank_types_and_empty_groups():
    blank = DEALS.assign(deal_type=DEALS["deal_type"].mask(DEALS["deal_id"] == "D1"))
    report = run("new_vs_existing_revenue", book={"deals": blank}, group_by=["owner"])
    ana = report.categories("new_vs_existing_revenue", owner="Ana")
    # Ana: D1 (now blank) 1000 and D7 (other) 600 are both (other): 1600 / 1600
    assert {c: v.value for c, v in ana.items()} == {"new": 0.0, "existing": 0.0, "(other)": 1.0}
    cy = report.categories("new_vs_existing_revenue", owner="Cy")  # nothing won in October
    assert {c: (v.value, v.denominator) for c, v in cy.items()} == {
        "new": (None, 0.0),
        "existing": (None, 0.0),
    }
    skipped = run("new_vs_existing_revenue", book={"deals": DEALS.drop(columns=["deal_type"])})
    assert skipped.skipped[0].reason == "needs deals.deal_type"


# rep_turnover


def test_rep_turnover_is_leavers_over_average_headcount():
    found = run("rep_turnover").value("rep_turnover")
    # at 1 Oct 00:00: Ana, Dee (Ben starts 15 Oct, Cy left 30 Sep 23:59) = 2
    # at 1 Nov 00:00: Ana, Ben (Dee left 31 Oct 23:59, Eve starts at 1 Nov 00:00) = 2
    # leavers in October: Dee = 1; 1 / ((2 + 2) / 2)
    assert (found.numerator, found.denominator, found.value) == (1.0, 2.0, 0.5)
    september = run("rep_turnover", SEPTEMBER).value("rep_turnover")
    # at 1 Sep: Ana, Cy, Dee = 3; at 1 Oct: Ana, Dee = 2; leaver Cy: 1 / 2.5
    assert september.value == pytest.approx(0.4)


def test_rep_turnover_per_team_and_a_team_with_no_one():
    zed = frame("reps", "owner team started_at ended_at", [("Zed", "North", "2020-01", "2021-01")])
    reps = pd.concat([REPS, zed], ignore_index=True)
    report = run("rep_turnover", book={"reps": reps}, group_by=["team"])
    # East: start Ana, Dee = 2; end Ana = 1; leaver Dee: 1 / 1.5
    assert report.value("rep_turnover", team="East").value == pytest.approx(1 / 1.5)
    # West: start none; end Ben = 1; no leaver: 0 / 0.5
    assert report.value("rep_turnover", team="West").value == 0.0
    north = report.value("rep_turnover", team="North")  # Zed left in 2021
    assert (north.value, north.note) == (None, "no reps employed in the period")
    assert report.value("rep_turnover").value == 0.5  # 1 / 2, not the mean of the teams


def test_rep_turnover_counts_a_team_move_as_leaving_the_team_not_the_company():
    reps = frame(
        "reps",
        "owner team started_at ended_at",
        [
            ("Gus", "East", "2024-01-01", "2026-10-10"),
            ("Gus", "West", "2026-10-10", None),
            ("Hal", "West", "2024-01-01", "2026-11-01 00:00"),  # leaves in November
        ],
    )
    report = run("rep_turnover", book={"reps": reps}, group_by=["team"])
    # company: start Gus, Hal = 2; end Gus, Hal = 2 (Hal's 1 Nov 00:00 is after October);
    # Gus's East row ended but he is still employed at the end: 0 leavers
    total = report.value("rep_turnover")
    assert (total.value, total.denominator) == (0.0, 2.0)
    # East: start Gus = 1; end nobody = 0; Gus left East: 1 / 0.5
    assert report.value("rep_turnover", team="East").value == 2.0
    # West: start Hal = 1; end Gus, Hal = 2; no leaver: 0 / 1.5
    assert report.value("rep_turnover", team="West").value == 0.0


def test_rep_turnover_needs_end_dates():
    report = run("rep_turnover", book={"reps": REPS.drop(columns=["ended_at"])})
    assert report.skipped[0].reason == "needs reps.ended_at"
    # a mapped end date that is blank everywhere means nobody left: 0 leavers over an average
    # headcount of 3.5 (start Ana, Cy, Dee = 3; end Ana, Ben, Cy, Dee = 4; Eve starts 1 Nov)
    blank = REPS.assign(ended_at=REPS["ended_at"].mask(REPS["ended_at"].notna()))
    stayed = run("rep_turnover", book={"reps": blank})
    found = stayed.value("rep_turnover")
    assert stayed.skipped == () and (found.value, found.denominator) == (0.0, 3.5)
    assert run("rep_turnover", book={"deals": DEALS}).skipped[0].reason == (
        "needs reps (no reps input)"
    )


# market_penetration


def test_market_penetration_counts_distinct_accounts_won_to_date():
    settings = Settings(addressable_market=100)
    found = run("market_penetration", settings=settings).value("market_penetration")
    # won and closed by 31 Oct 23:59: D1 A1, D2 A2, D7 A2, D5 A2, D8 A5 -> {A1, A2, A5} = 3;
    # D4 (A4, 1 Nov 00:00) is after October, D3 (A3) was lost, D6 (A6) is open
    assert (found.numerator, found.denominator, found.value) == (3.0, 100.0, 0.03)
    september = run("market_penetration", SEPTEMBER, settings=settings)
    assert september.value("market_penetration").value == 0.02  # D5 A2, D8 A5 = 2 / 100


def test_market_penetration_per_owner_counts_distinct_accounts_in_the_group():
    settings = Settings(addressable_market=100)
    report = run("market_penetration", settings=settings, group_by=["owner"])
    # Ana won A1 and A2; Ben won A2 twice; Cy won A5: 2 + 1 + 1 = 4 > 3 for the total
    assert report.value("market_penetration", owner="Ana").value == 0.02
    assert report.value("market_penetration", owner="Ben").value == 0.01
    assert report.value("market_penetration", owner="Cy").value == 0.01
    assert report.value("market_penetration").value == 0.03
    # in September Ana has won nothing yet: 0 accounts / 100 is 0, not unknown
    september = run("market_penetration", SEPTEMBER, settings=settings, group_by=["owner"])
    ana = september.value("market_penetration", owner="Ana")
    assert (ana.value, ana.numerator, ana.denominator) == (0.0, 0.0, 100.0)


def test_market_penetration_without_a_market_or_accounts():
    found = run("market_penetration").value("market_penetration")
    assert (found.value, found.numerator) == (None, 3.0)
    assert found.note == "needs addressable_market in the report config"
    report = run("market_penetration", book={"deals": DEALS.drop(columns=["account_id"])})
    assert report.skipped[0].reason == "needs deals.account_id"


# all of them


@pytest.mark.parametrize(
    ("kpi", "category", "expected"),
    [
        # with D2's 3000 EUR at 1.1, revenue won in October is 1000 + 3300 + 600 = 4900
        ("quota_attainment", None, 4900 / 5650),
        ("sales_per_rep", None, 4900 / 3),
        ("sales_growth", None, (4900 - 2500) / 2500),
        ("revenue_by_source", "Referral", 3300 / 4900),
        ("new_vs_existing_revenue", "existing", 3300 / 4900),
    ],
)
def test_amounts_in_several_currencies_are_never_summed(kpi, category, expected):
    mixed = {
        **BOOK,
        "deals": DEALS.assign(currency=DEALS["currency"].mask(DEALS["deal_id"] == "D2", "EUR")),
    }
    with pytest.raises(SalesmetricsError, match="several currencies"):
        run(kpi, book=mixed)
    converted = run(kpi, book=mixed, rates=Rates("USD", {"EUR": 1.1}))
    assert converted.value(kpi, category).value == pytest.approx(expected)


def test_quota_in_another_currency_than_the_deals_is_never_summed():
    targets = TARGETS.assign(currency="EUR")
    with pytest.raises(SalesmetricsError, match="several currencies"):
        run("quota_attainment", book={**BOOK, "targets": targets})


def test_every_team_kpi_is_declared_in_the_catalogue():
    ids = [k.id for k in KPIS]
    assert ids == [
        "quota_attainment",
        "sales_per_rep",
        "deals_closed_per_rep",
        "sales_growth",
        "revenue_by_source",
        "new_vs_existing_revenue",
        "rep_turnover",
        "market_penetration",
        "coaching_effectiveness",
        "rep_satisfaction",
        "tool_adoption_rate",
        "joint_deal_win_rate",
        "revenue_per_hour_worked",
    ]
    assert all(CATALOGUE[i].stage == "team" for i in ids)
    assert all("\n" not in k.formula and "|" not in k.formula + k.period_date for k in KPIS)
    assert CATALOGUE["rep_turnover"].higher_is_better is False
    assert "deals.account_id" in CATALOGUE["market_penetration"].needs


# coaching_effectiveness, rep_satisfaction, tool_adoption_rate, joint_deal_win_rate: the second
# seed's team KPIs on fields no CRM export carries

STAFF = frame("reps", "owner team started_at ended_at coached_at satisfaction tool_adopted_at", [
    ("Ana", "East", "2024-01-01", None, "2026-07-01", 8.0, "2026-09-15"),
    ("Ben", "East", None, None, "2026-10-15", 6.0, "2026-11-02"),
    ("Cy", "West", "2025-01-01", "2026-10-31 23:59", None, 9.0, "2026-10-01"),  # leaves in October
    ("Di", "West", "2026-10-05", None, "2026-10-20", None, None),
    ("Ed", "West", "2026-11-03", None, None, 2.0, None),  # starts in November
])  # fmt: skip
JOINT = frame("deals", "deal_id status created_at closed_at amount owner collaborators currency", [
    ("B1", "won", "2026-06-01", "2026-07-20", 1000.0, "Ben", 1, "USD"),  # 87 days before coaching
    ("B2", "won", "2026-06-01", "2026-07-16", 500.0, "Ben", 2, "USD"),  # 91 days before: outside
    ("B3", "won", "2026-06-01", "2026-10-15", 1500.0, "Ben", 3, "USD"),  # at the coaching: after
    ("B4", "lost", "2026-06-01", "2026-10-16", 700.0, "Ben", 2, "USD"),
    ("B5", "won", "2026-06-01", "2027-01-13", 900.0, "Ben", None, "USD"),  # 90 days after: outside
    ("D1", "won", "2026-06-01", "2026-10-25", 400.0, "Di", 2, "USD"),  # Di won nothing before
    ("A1", "won", "2026-06-01", "2026-10-05", 300.0, "Ana", 1, "USD"),
])  # fmt: skip
STAFF_BOOK = {"reps": STAFF, "deals": JOINT}
# On staff at October's end: Ana, Ben, Di (Cy left at 23:59 on the 31st, Ed starts in
# November); at September's end: Ana, Ben, Cy.


def test_coaching_effectiveness_compares_the_revenue_won_after_a_coaching_with_before():
    ids = ["coaching_effectiveness"]
    report = compute(STAFF_BOOK, period=OCTOBER, as_of=AS_OF, kpis=ids)
    value = report.value("coaching_effectiveness")
    # Ben, coached on 15 October: B3 1,500 after, B1 1,000 before: (1,500 − 1,000) / 1,000;
    # Di, coached on 20 October, won D1 after but nothing before: left out
    assert (value.numerator, value.denominator, value.value) == (500.0, 1000.0, 0.5)
    assert (
        value.note
        == "1 deals of reps who won nothing in the 90 days before their coaching left out"
    )
    assert value.maturing  # the 90 days after the coaching run into January
    july = compute(
        STAFF_BOOK, period=resolve_period("2026-07", AS_OF), as_of=AS_OF, kpis=ids
    ).value("coaching_effectiveness")  # Ana, coached on 1 July: A1 (5 Oct) is 96 days after
    assert (july.value, july.n, july.note) == (
        None,
        0,
        "no revenue won in the 90 days before the coaching",
    )


def test_rep_satisfaction_and_tool_adoption_are_of_the_reps_on_staff_at_the_end():
    ids = ["rep_satisfaction", "tool_adoption_rate"]
    october = compute(STAFF_BOOK, period=OCTOBER, as_of=AS_OF, kpis=ids)
    assert october.value("rep_satisfaction").value == 7.0  # Ana 8, Ben 6 (Di has no score)
    adopted = october.value("tool_adoption_rate")  # Ana (15 Sep) of Ana, Ben (2 Nov), Di
    assert (adopted.numerator, adopted.denominator) == (1.0, 3.0)
    september = compute(STAFF_BOOK, period=SEPTEMBER, as_of=AS_OF, kpis=ids)
    assert september.value("rep_satisfaction").value == pytest.approx(23 / 3)  # Ana Ben Cy
    adopted = september.value("tool_adoption_rate")  # Ana of Ana, Ben, Cy (1 Oct)
    assert (adopted.numerator, adopted.denominator) == (1.0, 3.0)


def test_joint_deal_win_rate_is_the_win_rate_of_deals_two_or_more_reps_worked():
    report = compute(
        STAFF_BOOK,
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["joint_deal_win_rate"],
        group_by=["owner"],
    )
    total = report.value("joint_deal_win_rate")  # B3, D1 won, B4 lost; A1 worked alone
    assert (total.numerator, total.denominator) == (2.0, 3.0)
    assert report.value("joint_deal_win_rate", owner="Ben").value == 0.5


# revenue_per_hour_worked (the second seed's Team Efficiency Metrics), on reps.weekly_hours

HOURS_REPS = frame("reps", "owner team started_at ended_at weekly_hours", [
    ("Ana", "East", "2024-01-01", None, 40.0),  # all October: 40 × 31 / 7 hours
    ("Ben", "East", "2026-10-15", None, 20.0),  # from the 15th: 20 × 17 / 7
    ("Cy", "West", "2024-01-01", None, None),  # no hours on record
    ("Di", "West", "2025-01-01", "2026-10-08", 30.0),  # to the 8th: 30 × 7 / 7
    ("Ed", "West", "2026-11-03", None, 10.0),  # starts in November
])  # fmt: skip
HOURS_DEALS = frame("deals", "deal_id status created_at closed_at amount owner team currency", [
    ("H0", "open", "2026-09-01", None, 100.0, "Ana", "East", "USD"),
    ("H1", "won", "2026-09-01", "2026-10-05", 6200.0, "Ana", "East", "USD"),
    ("H2", "won", "2026-09-01", "2026-10-20", 1000.0, "Ben", "East", "USD"),
    ("H3", "won", "2026-09-01", "2026-10-10", 500.0, "Cy", "West", "USD"),  # Cy: no hours
    ("H4", "won", "2026-09-01", "2026-10-02", 300.0, "Di", "West", "USD"),
    ("H5", "lost", "2026-09-01", "2026-10-11", 999.0, "Ana", "East", "USD"),
    ("H6", "won", "2026-09-01", "2026-11-05", 700.0, "Ana", "East", "USD"),  # November
])  # fmt: skip
HOURS_BOOK = {"reps": HOURS_REPS, "deals": HOURS_DEALS}


def test_revenue_per_hour_worked_sets_revenue_won_against_the_reps_hours_in_the_period():
    report = compute(
        HOURS_BOOK,
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["revenue_per_hour_worked"],
        group_by=["owner"],
    )
    total = report.value("revenue_per_hour_worked")
    # H1 6,200 + H2 1,000 + H4 300 over (40 × 31 + 20 × 17 + 30 × 7) / 7 hours; H3 left out
    assert total.numerator == 7500.0
    assert total.denominator == pytest.approx(1790 / 7)
    assert total.value == pytest.approx(7500 * 7 / 1790)
    assert total.note == "1 won deal of owners without weekly_hours in reps left out"
    assert report.value("revenue_per_hour_worked", owner="Ana").value == pytest.approx(35.0)
    assert report.value("revenue_per_hour_worked", owner="Ben").value == pytest.approx(7000 / 340)
    assert report.value("revenue_per_hour_worked", owner="Di").value == pytest.approx(10.0)
    cy = report.value("revenue_per_hour_worked", owner="Cy")
    assert (cy.value, cy.note) == (
        None,
        "no hours worked on record in the period; "
        "1 won deal of owners without weekly_hours in reps left out",
    )


def test_revenue_per_hour_worked_counts_the_hours_of_the_days_the_deals_cover():
    deals = HOURS_DEALS[HOURS_DEALS["deal_id"].isin(["H0", "H1", "H3", "H4"])]  # to 10 October
    report = compute(
        {"reps": HOURS_REPS, "deals": deals},
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["revenue_per_hour_worked"],
    )
    cut = report.value("revenue_per_hour_worked")
    # 1 to 10 October: Ana 40 × 10 / 7, Di 30 × 7 / 7 hours (Ben starts on the 15th)
    assert (cut.numerator, cut.denominator) == (6500.0, pytest.approx(610 / 7))
    assert cut.note == (
        "1 won deal of owners without weekly_hours in reps left out; "
        "the deals data ends 2026-10-10: values up to its end"
    )


def test_the_team_kpis_on_data_of_their_own_say_which_field_to_add():
    ids = ["coaching_effectiveness", "rep_satisfaction", "tool_adoption_rate"]
    reps = STAFF[["owner", "team", "started_at", "ended_at"]]  # no coaching, scores or hours
    deals = JOINT.drop(columns=["collaborators"])
    report = compute(
        {"reps": reps, "deals": deals},
        period=OCTOBER,
        as_of=AS_OF,
        kpis=[*ids, "joint_deal_win_rate", "revenue_per_hour_worked"],
    )
    assert [(s.id, s.reason) for s in report.skipped] == [
        ("coaching_effectiveness", "needs reps.coached_at"),
        ("rep_satisfaction", "needs reps.satisfaction"),
        ("tool_adoption_rate", "needs reps.tool_adopted_at"),
        ("joint_deal_win_rate", "needs deals.collaborators"),
        ("revenue_per_hour_worked", "needs reps.weekly_hours"),
    ]


def test_market_penetration_as_a_share_of_the_markets_sales_of_a_year():
    # 1 November 2025 is the first day of the 12 months to the end of October 2026
    edges = frame(
        "deals",
        "deal_id status closed_at amount currency owner account_id",
        [
            ("D9", "won", "2025-10-31 23:59", 900.0, "USD", "Ana", "A9"),  # before them
            ("D10", "won", "2025-11-01 00:00", 400.0, "USD", "Ana", "A10"),
        ],
    )
    book = {"deals": pd.concat([DEALS, edges], ignore_index=True)}
    chosen = {"market_penetration": "sales_volume"}
    found = run(
        "market_penetration",
        book=book,
        variants=chosen,
        settings=Settings(market_sales_volume=75_000),
    ).value("market_penetration")
    # D1 1000 + D2 3000 + D7 600 + D5 2000 + D8 500 + D10 400 = 7500 (not D4 in November,
    # D9 a year and a minute before, D3 lost, D6 open) / 75,000
    assert (found.numerator, found.denominator, found.value) == (7500.0, 75000.0, 0.1)
    unset = run("market_penetration", book=book, variants=chosen).value("market_penetration")
    assert (unset.value, unset.numerator) == (None, 7500.0)
    assert unset.note == "needs market_sales_volume in the report config"


def test_sales_growth_counts_a_deal_on_both_sides_when_the_periods_overlap():
    # 13 months against a year earlier overlap by a month: D9 (Oct 2025) is in both
    early = frame(
        "deals",
        "deal_id status closed_at amount currency owner",
        [("D9", "won", "2025-10-15 12:00", 400.0, "USD", "Ana")],
    )
    book = {"deals": pd.concat([DEALS[early.columns], early], ignore_index=True)}
    span = between(date(2025, 10, 1), date(2026, 10, 31))
    found = run("sales_growth", span, book, compare="year").value("sales_growth")
    # now: D9 400 + September 2500 + October 4600 = 7500; before: from the deals' first day,
    # 15 Oct, the same days a year earlier (2024-10-15 to 2025-10-31): D9 400
    assert (found.numerator, found.denominator) == (7100.0, 400.0)
    assert found.note == (
        "the deals data starts 2025-10-15: values from its start, against 2024-10-15 to 2025-10-31"
    )


def test_market_penetration_of_a_group_without_accounts_is_0_of_the_market():
    settings = Settings(addressable_market=40.0)
    report = run("market_penetration", JUNE, group_by=["owner"], settings=settings)
    ana = report.value("market_penetration", owner="Ana")  # nothing won by June
    assert (ana.value, ana.numerator, ana.denominator) == (0.0, 0.0, 40.0)
    share = run(
        "market_penetration",
        JUNE,
        group_by=["owner"],
        variants={"market_penetration": "sales_volume"},
    ).value("market_penetration", owner="Ana")
    assert (share.value, share.note) == (None, "needs market_sales_volume in the report config")
