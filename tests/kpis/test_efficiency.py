"""Efficiency KPIs on a tiny company whose answers are worked out by hand in each test."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from salesmetrics import duck
from salesmetrics.config import load_config
from salesmetrics.engine import compute
from salesmetrics.explain import COUNTED, REASON, explain
from salesmetrics.kpis.base import Settings
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.kpis.efficiency import KPIS
from salesmetrics.kpis.mrr import NO_MOVEMENT
from salesmetrics.periods import between, resolve_period
from salesmetrics.pipeline import frames_of, load_inputs
from tests.golden import check_json
from tests.kpis.frames import AS_OF, JUNE, OCTOBER, context, frame

IDS = [k.id for k in KPIS]
GRID = [
    "cost_per_sql",
    "cost_per_demo",
    "cost_per_accomplished_poc",
    "cost_per_successful_poc",
    "cost_per_negotiation",
]  # the third seed's cost grid, beside cost_per_lead: its steps need more than BOOK has
ROOT = Path(__file__).parents[2]

# fmt: off
SUBSCRIPTIONS = frame("subscriptions", "customer_id month mrr plan currency", [
    ("C1", "2026-09-01", 100.0, "Basic", "USD"), ("C1", "2026-10-01", 100.0, "Basic", "USD"), ("C1", "2026-11-01", 100.0, "Basic", "USD"),
    ("C2", "2026-09-01", 200.0, "Pro", "USD"),  # churns in October
    ("C3", "2026-09-01", 100.0, "Basic", "USD"), ("C3", "2026-10-01", 150.0, "Pro", "USD"),  # expands in October
    ("C4", "2026-10-01", 50.0, "Basic", "USD"), ("C4", "2026-11-01", 50.0, "Basic", "USD"),  # new in October
    ("C5", "2026-10-01", 100.0, "Pro", "USD"), ("C5", "2026-11-01", 100.0, "Pro", "USD"),  # new in October
    ("C6", "2026-08-01", 80.0, "Basic", "USD"),  # churns in September
    ("C7", "2026-11-01", 300.0, "Pro", "USD"),  # new in November
])
# Paying in September (the start of October): C1, C2, C3. Churned in October: C2.
# New in October: C4, C5. Paying in October (its end): C1 100, C3 150, C4 50, C5 100 = 400.
COSTS = frame("costs", "incurred_at month category amount source currency", [
    (None, "2026-10-01", "marketing", 600.0, "Ads", "USD"),
    (None, "2026-10-01", "sales", 900.0, None, "USD"),
    (None, "2026-10-01", "other", 500.0, None, "USD"),  # in roi only
    ("2026-10-31 23:59", None, "marketing", 100.0, "Ads", "USD"),  # the last minute of October
    ("2026-11-01 00:00", None, "marketing", 1000.0, "Ads", "USD"),  # November
    (None, "2026-09-01", "sales", 700.0, None, "USD"),  # September
    (None, "2026-09-01", "marketing", 400.0, "Events", "USD"),  # Events: no rows in October
])
# October: sales and marketing 600 + 900 + 100 = 1,600 (Ads 700, blank 900); all 2,100.
DEALS = frame("deals", "deal_id status created_at closed_at amount account_id source owner currency", [
    ("W1", "won", "2026-04-01", "2026-05-01", 1000.0, "C1", "Ads", "Ana", "USD"),
    ("W1b", "won", "2026-10-01 00:00", "2026-10-20", 300.0, "C1", "Ads", "Ana", "USD"),  # C1's second
    ("WS", "won", "2026-08-20", "2026-09-15", 1000.0, "C3", "Referral", "Ben", "USD"),  # September
    ("W4", "won", "2026-09-10", "2026-10-05", 1200.0, "C4", "Ads", "Ana", "USD"),
    ("W5", "won", "2026-10-02", "2026-10-31 23:59", 2400.0, "C5", "Referral", "Ben", "USD"),
    ("W6", "won", "2026-10-05", "2026-10-25", 600.0, "C6", "Ads", "Ana", "USD"),
    ("X", "won", "2026-10-20", "2026-11-01 00:00", 5000.0, "C9", "Ads", "Ben", "USD"),  # November
    ("L", "lost", "2026-10-03", "2026-10-10", 700.0, "C8", "Ads", "Ana", "USD"),
    ("O1", "open", "2026-10-31 23:59", None, 800.0, "C10", "Referral", "Ben", "USD"),
    ("O2", "open", "2026-11-01 00:00", None, 900.0, "C11", "Ads", "Ana", "USD"),  # November
])
# Won in October: W1b 300 + W4 1,200 + W5 2,400 + W6 600 = 4,500; in September: WS 1,000.
# Created in October: W1b, L, W5, W6, X, O1 = 6 (Ads 4, Referral 2).
# First won deal in October: C4 (W4), C5 (W5), C6 (W6); C1 first won in May, C9 in November.
LEADS = frame("leads", "lead_id created_at source account_id", [
    ("L1", "2026-10-01 00:00", "Ads", None),
    ("L2", "2026-10-31 23:59", "Ads", None),
    ("L3", "2026-11-01 00:00", "Ads", None),
    ("L4", "2026-10-15", "Referral", None),
    ("L5", "2026-09-30 23:59", "Referral", None),
    ("L6", "2026-10-20", "Webinar", "C2"),  # C2 has no won deal: its source is its lead's
])
# Created in October: L1, L2, L4, L6 = 4 (Ads 2, Referral 1, Webinar 1).
ORDERS = frame("orders", "order_id customer_id ordered_at amount cost currency", [
    ("P1", "K1", "2025-11-01 00:00", 100.0, 40.0, "USD"),  # the first minute of the 12 months
    ("P2", "K1", "2026-03-01", 200.0, None, "USD"),
    ("P3", "K2", "2026-10-31 23:59", 300.0, 120.0, "USD"),
    ("P4", "K2", "2025-10-31 23:59", 1000.0, None, "USD"),  # before the 12 months
    ("P5", "K3", "2026-11-01 00:00", 500.0, 100.0, "USD"),  # after them
    ("P6", None, "2026-06-01", 50.0, None, "USD"),  # no customer: left out
    ("P7", "K4", "2026-10-10", 200.0, None, "USD"),  # K4's first order
])
# fmt: on
# 12 months to the end of October 2026: P1, P2, P3, P7 = 800 from K1, K2, K4 (3 customers).
# Orders in October with a cost: P3, so gross margin (300 − 120) / 300 = 0.6.
BOOK = {
    "subscriptions": SUBSCRIPTIONS,
    "costs": COSTS,
    "deals": DEALS,
    "leads": LEADS,
    "orders": ORDERS,
}
HALF = Settings(gross_margin=0.5)


def run(*ids: str, book=None, period=OCTOBER, **options):
    return compute(
        BOOK if book is None else book, period=period, as_of=AS_OF, kpis=list(ids), **options
    )


def without(*entities: str) -> dict:
    return {k: v for k, v in BOOK.items() if k not in entities}


def test_every_kpi_is_declared_in_the_catalogue_with_its_stage():
    assert IDS == [
        "cac",
        "cac_payback_months",
        "clv",
        "clv_to_cac",
        "roi",
        "rosi",
        "cost_per_lead",
        "cost_per_opportunity",
        "cost_per_sql",
        "cost_per_demo",
        "cost_per_accomplished_poc",
        "cost_per_successful_poc",
        "cost_per_negotiation",
        "sales_productivity",
    ]
    for kpi in KPIS:
        assert CATALOGUE[kpi.id] is kpi and kpi.stage == "efficiency"
        assert kpi.needs[0].startswith("costs.") or kpi.id == "clv"
    assert CATALOGUE["clv_to_cac"].benchmark == "at least 3x"


def spent(book: dict, kpi: str, period) -> float | None:
    """The costs in `kpi`'s numerator for `period`."""
    return run(kpi, book=book, period=period).value(kpi).numerator


def october_customers(book: dict, sql: str) -> list[str]:
    """The customer ids `sql` finds in the efficiency views (kpis.views) over `book`, with
    {october} for the condition that a row happened in October."""
    ctx = context(book)
    october = "happened_at >= TIMESTAMP '2026-10-01' AND happened_at < TIMESTAMP '2026-11-01'"
    found = duck.connection(ctx).execute(duck.ready(ctx, sql.format(october=october)))
    return sorted(c for (c,) in found.fetchall())


NEW = (
    "SELECT customer_id FROM efficiency_rows WHERE side = 'acquisition' AND kind = 'new' "
    "AND {october}"
)


def sources(book: dict) -> dict[str, tuple[str, str]]:
    """Each customer's (source, owner), as the efficiency views give customers them."""
    ctx = context(book)
    sql = duck.ready(ctx, "SELECT customer_id, source, owner FROM efficiency_attribution")
    return {c: (s, o) for c, s, o in duck.connection(ctx).execute(sql).fetchall()}


def test_costs_count_by_incurred_at_or_by_the_days_of_their_month():
    costs = frame("costs", "month category amount", [("2026-10-01", "marketing", 3100.0)])
    leads = frame("leads", "lead_id created_at", [("L1", "2026-09-01"), ("L2", "2026-12-31")])
    spread = {"costs": costs, "leads": leads}  # leads from before to after the periods
    week = between(date(2026, 10, 5), date(2026, 10, 11))
    first_week = between(date(2026, 9, 28), date(2026, 10, 4))
    assert spent(spread, "cost_per_lead", week) == pytest.approx(700.0)  # 3,100 × 7/31
    assert spent(spread, "cost_per_lead", first_week) == pytest.approx(400.0)  # × 4/31
    assert spent(spread, "cost_per_lead", resolve_period("2026-Q4", AS_OF)) == 3100.0
    # counted like the MRR book's months: whole in the period holding the month's first day
    subscriptions = frame("subscriptions", "customer_id month mrr", [
        ("C1", "2026-09-01", 10.0), ("C1", "2026-10-01", 10.0), ("C2", "2026-10-01", 10.0),
    ])  # fmt: skip
    whole = {"costs": costs, "subscriptions": subscriptions}
    assert spent(whole, "cac", first_week) == 3100.0
    rows = explain(whole, "cac", period=week, as_of=AS_OF).rows
    cost = rows[rows["kind"] == "cost"]
    assert cost[[COUNTED, REASON]].values.tolist() == [
        [False, "happened outside 2026-10-05 to 2026-10-11"]
    ]
    rows = explain(BOOK, "cac", period=OCTOBER, as_of=AS_OF).rows
    october = rows.loc[rows[COUNTED] & (rows["kind"] == "cost"), "amount"]
    assert sorted(october) == [100.0, 600.0, 900.0]  # 23:59 in, 00:00 of 1 Nov out


def test_new_customers_from_subscriptions_else_first_won_deals_else_first_orders():
    assert october_customers(BOOK, NEW) == ["C4", "C5"]
    # no subscriptions: accounts whose first won deal closed in October (C1 first won in May)
    assert october_customers(without("subscriptions"), NEW) == ["C4", "C5", "C6"]
    # no deals either: customers whose first order is in October (K2's was in October 2025)
    assert october_customers({"costs": COSTS, "orders": ORDERS}, NEW) == ["K4"]
    # sources: the first won deal's, else the lead's
    found = {c: source for c, (source, _) in sources(BOOK).items()}
    assert (found["C1"], found["C4"], found["C5"], found["C2"]) == (
        "Ads",
        "Ads",
        "Referral",
        "Webinar",
    )


def test_a_customer_takes_the_dimensions_of_its_first_won_deal_else_of_its_lead():
    deals = frame("deals", "deal_id status created_at closed_at account_id source owner lead_id", [
        ("D2", "won", "2026-06-01", "2026-07-01", "A1", "Referral", "Ben", None),
        ("D1", "won", "2026-04-01", "2026-05-01", "A1", "Ads", "Ana", None),  # A1's first
        ("D3", "won", "2026-04-01", "2026-05-01", "A2", None, "Cy", "LA"),  # blank source
        ("D4", "lost", "2026-01-01", "2026-02-01", "A3", "Fair", "Dee", None),  # never won
    ])  # fmt: skip
    leads = frame("leads", "lead_id created_at source owner account_id", [
        ("LA", "2026-03-01", "Webinar", "Cy", None),
        ("LB", "2026-02-01", "Events", "Eve", "A3"),
        ("LC", "2026-01-01", "Cold", "Fay", "A3"),  # A3's earliest lead
    ])  # fmt: skip
    found = sources({"deals": deals, "leads": leads})
    assert found["A1"] == ("Ads", "Ana")
    assert found["A2"] == ("Webinar", "Cy")  # from lead LA
    assert found["A3"] == ("Cold", "Fay")


def test_cac_counts_costs_and_one_row_per_new_customer():
    found = explain(BOOK, "cac", period=OCTOBER, as_of=AS_OF)
    rows = found.rows[found.rows[COUNTED]]
    assert rows["numerator"].sum() == 1600.0  # 600 + 900 + 100
    assert rows["denominator"].sum() == 2.0  # C4 and C5
    assert sorted(rows["kind"]) == ["cost", "cost", "cost", "new", "new"]


def test_cac_and_what_is_built_on_it_from_subscriptions():
    report = run(*[i for i in IDS if i not in GRID], settings=HALF)
    cac = report.value("cac")
    assert (cac.numerator, cac.denominator, cac.value) == (1600.0, 2.0, 800.0)  # 1,600 / 2
    assert cac.small_sample  # 2 new customers, under 20
    # ARPA = 400 / 4 = 100; 800 / (100 × 0.5) = 16 months
    assert report.value("cac_payback_months").value == pytest.approx(16.0)
    # monthly churn 1 / 3 (C2 of C1, C2, C3) over 1 month; 100 × 0.5 / (1/3) = 150
    clv = report.value("clv")
    assert clv.value == pytest.approx(150.0)
    assert (clv.denominator, clv.small_sample) == (3.0, True)  # 3 customers at the start
    assert report.value("clv_to_cac").value == pytest.approx(150.0 / 800.0)
    assert report.skipped == ()


def test_gross_margin_from_orders_when_the_config_has_none():
    report = run("cac_payback_months", "clv")
    # (300 − 120) / 300 = 0.6 from P3, October's one order with a cost
    assert report.value("cac_payback_months").value == pytest.approx(800.0 / 60.0)  # 100 × 0.6
    assert report.value("clv").value == pytest.approx(100.0 * 0.6 * 3)  # / (1/3)
    # the config's 0.5 over the orders' 0.6: 800 / (100 × 0.5)
    config = run("cac_payback_months", settings=HALF).value("cac_payback_months")
    assert config.value == pytest.approx(16.0)


def test_no_margin_anywhere_is_a_note_not_a_number():
    report = run("cac_payback_months", "clv", book=without("orders"))
    for kpi in ("cac_payback_months", "clv"):
        value = report.value(kpi)
        assert value.value is None
        assert (
            value.note
            == "needs gross_margin in the report config or orders with a cost in the period"
        )


def test_churn_is_monthly_over_a_period_of_several_months():
    two_months = between(date(2026, 10, 1), date(2026, 11, 30))
    report = run("clv", period=two_months, settings=HALF)
    # 2 churned (C2 in October, C3 in November) of the 3 paying in September, over 2 months:
    # 1/3 a month; ARPA in November (C1 100, C4 50, C5 100, C7 300) = 550 / 4 = 137.5
    assert report.value("clv").value == pytest.approx(137.5 * 0.5 * 3)


def test_stripe_churn_adds_new_customers_to_the_base():
    report = run("clv", settings=Settings(gross_margin=0.5, churn_variant="stripe"))
    # churn 1 / (3 at the start + 2 new) = 0.2; 100 × 0.5 / 0.2 = 250
    assert report.value("clv").value == pytest.approx(250.0)
    assert report.value("clv").denominator == 5.0


def test_transactional_clv_from_the_orders_of_the_last_12_months():
    settings = Settings(clv_variant="transactional", customer_lifespan_years=3)
    report = run("clv", "clv_to_cac", settings=settings)
    clv = report.value("clv")
    # 800 over 4 purchases (200 each) by 3 customers (4/3 a year): 200 × 4/3 × 3 years = 800
    assert clv.value == pytest.approx(800.0)
    assert (clv.denominator, clv.small_sample) == (3.0, True)
    assert report.value("clv_to_cac").value == pytest.approx(1.0)  # 800 / 800
    no_lifespan = run("clv", settings=Settings(clv_variant="transactional")).value("clv")
    assert no_lifespan.value is None
    assert no_lifespan.note == "needs customer_lifespan_years in the config"


def test_cac_from_first_won_deals_and_from_first_orders():
    by_deals = run("cac", book=without("subscriptions")).value("cac")
    assert (by_deals.numerator, by_deals.denominator) == (1600.0, 3.0)  # C4, C5, C6
    assert by_deals.value == pytest.approx(1600.0 / 3)
    by_orders = run("cac", book={"costs": COSTS, "orders": ORDERS}).value("cac")
    assert (by_orders.denominator, by_orders.value) == (1.0, 1600.0)  # K4


def test_cac_by_source_is_a_sum_over_sums():
    report = run("cac", "cac_payback_months", group_by=["source"], settings=HALF)
    ads = report.value("cac", source="Ads")
    assert (ads.numerator, ads.denominator, ads.value) == (700.0, 1.0, 700.0)  # C4
    referral = report.value("cac", source="Referral")
    assert (referral.numerator, referral.denominator, referral.value) == (0.0, 1.0, 0.0)  # C5
    blank = report.value("cac", source="(blank)")  # the sales costs carry no source
    assert (blank.numerator, blank.denominator, blank.value) == (900.0, 0.0, None)
    assert blank.note == "no rows in the denominator"
    events = report.value("cac", source="Events")  # costs in September only
    assert (events.numerator, events.denominator, events.value) == (0.0, 0.0, None)
    groups = [ads, referral, blank, events]
    assert sum(v.numerator for v in groups) == report.value("cac").numerator
    assert sum(v.denominator for v in groups) == report.value("cac").denominator
    # Ads: 700 / (ARPA of C1 100 and C4 50 = 75 × 0.5); Referral: CAC 0
    assert report.value("cac_payback_months", source="Ads").value == pytest.approx(700 / 37.5)
    assert report.value("cac_payback_months", source="Referral").value == 0.0
    none = report.value("cac_payback_months", source="Events")
    assert (none.value, none.note) == (None, "no costs or customers in the period")


def test_cac_is_not_split_by_what_costs_lack_and_keeps_its_total():
    report = run("cac", group_by=["owner"])
    assert report.skipped == ()
    (total,) = report.values
    assert total.group == () and total.value == run("cac").value("cac").value
    assert total.note == "not split by owner: costs and subscriptions carry no owner"


def test_clv_by_plan_from_the_book():
    report = run("clv", group_by=["plan"], settings=HALF)
    # Pro: C2 at the start, churned; paying at the end C3 150 and C5 100: 125 × 0.5 / 1
    assert report.value("clv", plan="Pro").value == pytest.approx(62.5)
    basic = report.value("clv", plan="Basic")  # C1 and C3 at the start, nobody churned
    assert (basic.value, basic.denominator) == (None, 2.0)
    assert basic.note == "no customer churned in the period: CLV is unbounded"


def test_weeks_use_whole_months_of_costs_like_the_book():
    first_week = between(date(2026, 9, 28), date(2026, 10, 4))  # holds 1 October
    report = run("cac", "clv", period=first_week, settings=HALF)
    assert report.value("cac").value == 750.0  # October's 600 + 900 / C4 and C5
    later = run("cac", "clv", period=between(date(2026, 10, 5), date(2026, 10, 11)), settings=HALF)
    # the book dates new customers by month: a week holding no first of a month has none
    cac = later.value("cac")
    assert (cac.value, cac.numerator) == (None, None)
    assert cac.note == NO_MOVEMENT
    assert later.value("clv").note == "no month starts in the period: no monthly churn rate"


def test_a_subscription_snapshot_gives_arpa_but_no_churn_rate():
    snapshot = frame("subscriptions", "customer_id mrr churned", [
        ("S1", 100.0, False), ("S2", 300.0, False), ("S3", 50.0, True),
    ])  # fmt: skip
    book = {**without("subscriptions"), "subscriptions": snapshot}
    report = run("cac", "cac_payback_months", "clv", book=book, settings=HALF)
    assert report.value("cac").denominator == 3.0  # no months: C4, C5, C6 from first won deals
    # ARPA of those not churned: (100 + 300) / 2 = 200; (1,600 / 3) / (200 × 0.5)
    assert report.value("cac_payback_months").value == pytest.approx(1600 / 3 / 100)
    clv = report.value("clv")
    assert (clv.value, clv.note) == (None, "subscriptions are a snapshot: no churn rate per month")


def test_roi_rosi_and_sales_productivity():
    report = run("roi", "rosi", "sales_productivity")
    roi = report.value("roi")
    # (4,500 − 2,100) / 2,100: all costs, "other" included
    assert (roi.numerator, roi.denominator) == (2400.0, 2100.0)
    assert roi.value == pytest.approx(8 / 7)
    # (4,500 − 1,000 in September) / 900 of sales costs, once 1 won deal is enough
    rosi = run("rosi", small_sample=1).value("rosi")
    assert (rosi.numerator, rosi.denominator) == (3500.0, 900.0)
    assert rosi.value == pytest.approx(3500.0 / 900.0)
    assert report.value("sales_productivity").value == pytest.approx(5.0)  # 4,500 / 900
    assert (roi.n, roi.small_sample) == (8, True)  # a money denominator: 4 won deals + 4 costs


def test_rosi_is_null_under_the_small_sample_threshold_or_before_the_data():
    # 4 won deals in October (W1b, W4, W5, W6), 1 in September (WS): under the default 20
    rosi = run("rosi").value("rosi")
    assert (rosi.value, rosi.numerator, rosi.denominator) == (None, 3500.0, 900.0)
    assert rosi.note == (
        "4 won deals in the period and 1 in the comparison period, fewer than the small-sample "
        "threshold (20): the change is noise"
    )
    assert run("rosi", small_sample=2).value("rosi").value is None  # September's 1 deal
    # the deals start 1 April (W1's created_at): March's revenue is unknown, not $0 (a sales
    # cost in April, so that the costs cover it)
    april_cost = frame("costs", "month category amount currency", [
        ("2026-04-01", "sales", 100.0, "USD"),
    ])  # fmt: skip
    book = {**BOOK, "costs": pd.concat([COSTS, april_cost], ignore_index=True)}
    april = run("rosi", book=book, period=resolve_period("2026-04", AS_OF), small_sample=1)
    april = april.value("rosi")
    assert (april.value, april.note) == (
        None,
        "the deals start 2026-04-01: the comparison period 2026-03 is before them",
    )


def test_roi_by_source():
    report = run("roi", group_by=["source"])
    ads = report.value("roi", source="Ads")  # (300 + 1,200 + 600 − 700) / 700
    assert (ads.numerator, ads.denominator, ads.value) == (1400.0, 700.0, 2.0)
    assert report.value("roi", source="(blank)").value == -1.0  # 1,400 of costs, no revenue
    referral = report.value("roi", source="Referral")  # 2,400 won, no costs
    assert (referral.value, referral.note) == (None, "no rows in the denominator")


def test_cost_per_lead_and_per_opportunity():
    report = run("cost_per_lead", "cost_per_opportunity", group_by=["source"])
    assert report.value("cost_per_lead").value == 400.0  # 1,600 / L1, L2, L4, L6
    assert report.value("cost_per_opportunity").value == pytest.approx(1600.0 / 6)
    assert report.value("cost_per_lead", source="Ads").value == 350.0  # 700 / L1, L2
    assert report.value("cost_per_lead", source="Webinar").value == 0.0  # no Webinar costs
    assert report.value("cost_per_opportunity", source="Ads").value == 175.0  # 700 / 4 deals
    nothing = report.value("cost_per_lead", source="Events")
    assert (nothing.value, nothing.note) == (None, "no rows in the denominator")


def test_a_period_with_nothing_in_it():
    report = run(*IDS, period=JUNE, settings=HALF)
    for kpi in ("cac", "roi", "rosi", "cost_per_lead", "cost_per_opportunity"):
        assert report.value(kpi).value is None and report.value(kpi).note
    # June is before the subscription data (it opens in August): nothing is known of it
    for kpi in ("cac", "cac_payback_months", "clv", "clv_to_cac"):
        assert report.value(kpi).note == "the subscription data starts 2026-08"


OPENS = "the subscription data starts 2026-08: customers paying then are the opening book"


def test_the_first_month_of_the_book_has_no_new_customers_to_measure():
    """August opens the book (C6 was paying before it): no CAC, payback, CLV or CLV:CAC."""
    august = run(
        "cac",
        "cac_payback_months",
        "clv",
        "clv_to_cac",
        period=resolve_period("2026-08", AS_OF),
        settings=HALF,
    )
    for v in august.values:
        assert (v.value, v.numerator, v.denominator, v.note) == (None, None, None, OPENS)


def test_a_quarter_holding_the_first_month_counts_after_it():
    """Q3: only September is measured. New in September: C1, C2, C3 over September's costs
    700 + 400: CAC 1,100 / 3. CLV: C6 paying in August (the opening book) churned in
    September, 1 of 1 in 1 month; ARPA at September's end (100 + 200 + 100) / 3; × 0.5."""
    q3 = run(
        "cac", "clv", "cac_payback_months", period=resolve_period("2026-Q3", AS_OF), settings=HALF
    )
    note = f"{OPENS}; new business and other movements are counted from 2026-09"
    cac = q3.value("cac")
    assert (cac.numerator, cac.denominator, cac.note) == (1100.0, 3.0, note)
    assert q3.value("clv").value == pytest.approx(400 / 3 * 0.5 / 1.0)
    assert q3.value("clv").note == note
    assert q3.value("cac_payback_months").value == pytest.approx((1100 / 3) / (400 / 3 * 0.5))


def test_a_quarter_running_past_the_data_is_cut_at_its_last_month():
    """Q4 with the book ending in November: October and November. CLV: C1, C2, C3 paying in
    September; C2 (October) and C3 (November) churned: 2 / 3 over 2 months, not 3; ARPA at
    November's end (100 + 50 + 100 + 300) / 4 = 137.5. CAC: October's 1,600 + November's 1,000
    over C4, C5, C7."""
    q4 = run(*IDS[:4], period=resolve_period("2026-Q4", AS_OF), settings=HALF)
    cut = "the subscription data ends with 2026-11: values up to its end"
    clv = 137.5 * 0.5 / (2 / 3 / 2)
    cac = 2600.0 / 3
    assert q4.value("clv").value == pytest.approx(clv)  # 206.25
    assert (q4.value("cac").numerator, q4.value("cac").denominator) == (2600.0, 3.0)
    assert q4.value("cac_payback_months").value == pytest.approx(cac / (137.5 * 0.5))
    assert q4.value("clv_to_cac").value == pytest.approx(clv / cac)
    assert q4.value("clv").note == cut
    # the costs end with the marketing cost of 1 November: CAC counts costs and new customers
    # up to then (the book's November, whole, as its first day is in)
    costs_cut = f"{cut}; the costs data ends 2026-11-01: values up to its end"
    assert {q4.value(k).note for k in ("cac", "cac_payback_months", "clv_to_cac")} == {costs_cut}


def test_new_customers_from_orders_start_after_the_orders_first_month():
    """Orders start on 31 October 2025 (P4): K2 may have ordered before. In Q4 2025 only K1
    (1 November) is new; the costs start in September 2026, so the quarter's CAC is unknown
    (not 0). With a November 2025 cost of 300, it is 300 over K1."""
    book = without("subscriptions", "deals")
    opens = "the orders data starts 2025-10: customers ordering then may have ordered before"
    october = run("cac", book=book, period=resolve_period("2025-10", AS_OF)).value("cac")
    assert (october.value, october.note) == (None, opens)
    quarter = run("cac", book=book, period=resolve_period("2025-Q4", AS_OF)).value("cac")
    counted = f"{opens}; new customers counted from 2025-11"
    assert (quarter.value, quarter.denominator) == (None, None)
    assert quarter.note == f"{counted}; the costs data starts 2026-09-01: values from its start"
    november = frame("costs", "month category amount currency", [
        ("2025-11-01", "marketing", 300.0, "USD"),
    ])  # fmt: skip
    book["costs"] = pd.concat([COSTS, november], ignore_index=True)
    quarter = run("cac", book=book, period=resolve_period("2025-Q4", AS_OF)).value("cac")
    assert (quarter.value, quarter.denominator, quarter.note) == (300.0, 1.0, counted)


def test_costs_count_only_over_the_days_the_deals_or_orders_cover():
    """December's 5,000 of marketing falls after the deals and the orders, which end on
    1 November (X closed and O2 created then; P5): Q4 counts costs and what they are set
    against up to that day, not 5,000 of costs over no customer, lead or deal."""
    december = frame("costs", "month category amount currency", [
        ("2026-12-01", "marketing", 5000.0, "USD"),
    ])  # fmt: skip
    costs = pd.concat([COSTS, december], ignore_index=True)
    q4 = resolve_period("2026-Q4", AS_OF)
    ends = "the {} data ends 2026-11-01: values up to its end"
    ids = ("cac", "cost_per_opportunity", "roi")
    deals = run(*ids, book={**without("subscriptions"), "costs": costs}, period=q4)
    # accounts first won from 1 October to 1 November: C4, C5, C6, C9; acquisition costs
    # 600 + 900 (October) + 100 (31 October) + 1,000 (1 November) = 2,600
    cac = deals.value("cac")
    assert (cac.numerator, cac.denominator, cac.note) == (2600.0, 4.0, ends.format("deals"))
    # deals created from 1 October to 1 November: W1b, W5, L, W6, X, O1, O2
    per_deal = deals.value("cost_per_opportunity")
    assert (per_deal.numerator, per_deal.denominator) == (2600.0, 7.0)
    assert per_deal.note == ends.format("deals")
    # won 4,500 in October + X's 5,000; all costs 2,600 + 500 of "other"
    roi = deals.value("roi")
    assert (roi.numerator, roi.denominator) == (9500.0 - 3100.0, 3100.0)
    # from orders: customers whose first order is from 1 October to 1 November, K4 and K3
    orders = run("cac", book={**without("subscriptions", "deals"), "costs": costs}, period=q4)
    cac = orders.value("cac")
    assert (cac.numerator, cac.denominator, cac.note) == (2600.0, 2.0, ends.format("orders"))
    # costs that end before the customers do leave the rest of the period out too
    september = resolve_period("2026-09", AS_OF)
    early = run("cac", book={**without("subscriptions"), "costs": COSTS}, period=september)
    assert early.value("cac").note is None  # the costs and the deals cover September
    # a period after the costs' last day: unknown, with the warning of the costs (the engine's
    # rule for a period outside an input, before the KPI's own cut)
    stale = run("cac", book={**without("subscriptions"), "costs": COSTS.iloc[5:]}, period=OCTOBER)
    assert (stale.value("cac").value, stale.value("cac").note) == (
        None,
        "costs end 2026-09-30; period 2026-10 has no costs",
    )


def test_transactional_clv_reads_the_12_months_up_to_the_orders_end():
    settings = Settings(clv_variant="transactional", customer_lifespan_years=2)
    # November runs past the orders (they end with P5 on 1 November): the 12 months end on 1
    # November, from 2 November 2025: P2 K1 200, P3 K2 300, P5 K3 500, P7 K4 200 (P1 is on
    # 1 November 2025) = 1,200 over 4 customers, x 2 years
    november = run("clv", settings=settings, period=resolve_period("2026-11", AS_OF))
    clv = november.value("clv")
    assert (clv.value, clv.denominator) == (600.0, 4.0)
    assert clv.note == "the orders data ends 2026-11-01: values up to its end"
    # the orders start on 31 October 2025 (P4): the 12 months up to September 2026's end,
    # from 1 October 2025, are not all in them, so revenue per customer is not a year's
    september = run("clv", settings=settings, period=resolve_period("2026-09", AS_OF))
    clv = september.value("clv")
    assert (clv.value, clv.note) == (
        None,
        "the orders data starts 2025-10-31: the 12 months up to 2026-09-30 are not all in it",
    )


def test_small_samples_are_judged_on_customers():
    report = run("cac", "clv", small_sample=2, settings=HALF)
    assert not report.value("cac").small_sample  # 2 new customers, not under 2
    assert not report.value("clv").small_sample  # 3 customers at the start
    assert run("clv", small_sample=4, settings=HALF).value("clv").small_sample


def test_skipped_with_the_missing_input():
    report = run(*IDS, book=without("costs"), settings=HALF)
    assert {s.reason for s in report.skipped} == {"needs costs (no costs input)"}
    assert [s.id for s in report.skipped] == [i for i in IDS if i != "clv"]
    assert report.value("clv").value == pytest.approx(150.0)  # clv reads no costs
    report = run(
        "clv", "cac_payback_months", "cost_per_lead", book={"costs": COSTS, "deals": DEALS}
    )
    assert [(s.id, s.reason) for s in report.skipped] == [
        ("cac_payback_months", "needs subscriptions (no subscriptions input)"),
        ("clv", "needs subscriptions.mrr or orders.customer_id"),
        ("cost_per_lead", "needs leads (no leads input)"),
    ]


def test_sample_company_efficiency_matches_the_reviewed_golden_file():
    """October 2025 at the sample company: every efficiency KPI in total and by source, and CLV
    in its variants. Regenerate with SALESMETRICS_UPDATE_GOLDEN=1 and review the diff."""
    config = load_config(ROOT / "sample_data" / "report.yaml")
    inputs = [i for i in config.inputs if "activities" not in str(i.path)]
    frames = frames_of(load_inputs(inputs))
    period = resolve_period("2025-10", AS_OF)
    variants = {
        "default": Settings(),
        "stripe_margin_80": Settings(churn_variant="stripe", gross_margin=0.8),
        "transactional_3_years": Settings(clv_variant="transactional", customer_lifespan_years=3),
    }
    actual: dict[str, list] = {}
    for name, settings in variants.items():
        by = ["source"] if name == "default" else []
        ids = IDS if name == "default" else ["clv", "clv_to_cac"]
        report = compute(
            frames, period=period, as_of=AS_OF, kpis=ids, group_by=by, settings=settings,
            rates=config.rates, compare="previous",
        )  # fmt: skip
        assert report.skipped == ()
        actual[name] = [
            {
                "id": v.id,
                "group": dict(v.group),
                "value": v.value,
                "numerator": v.numerator,
                "denominator": v.denominator,
                "n": v.n,
                "small_sample": v.small_sample,
                "note": v.note,
                "previous": v.previous,
            }
            for v in report.values
        ]
    check_json("efficiency_sample.json", actual)


# the cost grid: acquisition costs per SQL, demo (POC) held, POC accomplished or successful,
# negotiation

# fmt: off
SQLS = frame("leads", "lead_id created_at sql_at source", [
    ("Q1", "2026-09-20", "2026-10-02", "Ads"),
    ("Q2", "2026-10-01", "2026-10-31 23:59", "Referral"),
    ("Q3", "2026-10-05", None, "Ads"),  # never qualified
    ("Q4", "2026-10-10", "2026-11-01 00:00", "Ads"),  # November
    ("Q5", "2026-11-02", None, "Ads"),
])
# SQLs in October: Q1 (Ads), Q2 (Referral).
DEMOS = frame("activities", "activity_id occurred_at channel outcome owner", [
    ("A0", "2026-09-01", "email", None, "Ana"),
    ("A1", "2026-10-03", "demo", "Completed", "Ana"),
    ("A2", "2026-10-07", "demo", "No-show", "Ana"),  # not held
    ("A3", "2026-10-20", "demo", None, "Ben"),
    ("A4", "2026-10-05", "email", None, "Ben"),
    ("A5", "2026-11-02", "demo", "Held", "Ben"),  # November
])
# Demos held in October: A1, A3.
STEPS = frame("deals", (
    "deal_id status stage created_at closed_at source entered_demo entered_proposal "
    "entered_negotiation"
), [
    ("D1", "won", "won", "2026-09-01", "2026-10-20", "Ads", "2026-09-20", "2026-10-03", "2026-10-10"),
    ("D2", "lost", "lost", "2026-09-01", "2026-10-15", "Ads", "2026-10-02", None, None),
    ("D3", "open", "proposal", "2026-09-01", None, "Referral", "2026-10-05", "2026-11-02", None),
    ("D4", "lost", "lost", "2026-09-01", "2026-10-12", "Ads", None, None, None),  # before demo
    ("D5", "won", "won", "2026-09-01", "2026-10-25", "Referral", None, None, None),  # no dates
    ("D6", "open", "negotiation", "2026-09-01", None, "Ads", None, None, "2026-09-28"),
    ("D7", "open", "prospecting", "2026-11-02", None, "Ads", None, None, None),
])
# fmt: on
# POC accomplished in October: D1 (proposal 3 Oct), D2 (lost 15 Oct after its demo), D5 (won
# 25 Oct: it reached every stage then); D3 went on to proposal in November, D4 lost before a
# demo. Successful POC (reached proposal) in October: D1, D5 (D6 reached negotiation, so
# proposal, on 28 September). Negotiation reached in October: D1 (10 Oct), D5 (25 Oct).
GRID_BOOK = {"costs": COSTS, "leads": SQLS, "activities": DEMOS, "deals": STEPS}


def grid(*ids: str, book=None, period=OCTOBER, **options):
    return run(*ids, book=GRID_BOOK if book is None else book, period=period, **options)


def test_the_cost_grid_divides_acquisition_costs_by_each_steps_count():
    report = grid(*GRID, "cost_per_lead", "cost_per_opportunity")
    assert report.skipped == ()
    # acquisition costs in October: 600 + 900 + 100 = 1,600 (the 500 of "other" is not one)
    expected = {
        "cost_per_sql": 2.0,  # Q1, Q2
        "cost_per_demo": 2.0,  # A1, A3
        "cost_per_accomplished_poc": 3.0,  # D1, D2, D5
        "cost_per_successful_poc": 2.0,  # D1, D5
        "cost_per_negotiation": 2.0,  # D1, D5
        "cost_per_lead": 3.0,  # Q2, Q3, Q4
        "cost_per_opportunity": 0.0,  # every deal was created in September
    }
    for kpi, steps in expected.items():
        value = report.value(kpi)
        assert (value.numerator, value.denominator) == (1600.0, steps), kpi
        assert value.value == (1600.0 / steps if steps else None), kpi
        assert value.n == 3 + steps, kpi  # three cost rows and the steps


def test_the_cost_grid_by_source_puts_a_sources_costs_over_its_steps():
    report = grid(*GRID, group_by=["source"])
    ads = report.value("cost_per_sql", source="Ads")  # 600 + 100 over Q1
    assert (ads.numerator, ads.denominator) == (700.0, 1.0)
    referral = report.value("cost_per_sql", source="Referral")  # no Referral costs, Q2
    assert (referral.value, referral.denominator) == (0.0, 1.0)
    blank = report.value("cost_per_sql", source="(blank)")  # 900 of sales, no SQL
    assert (blank.value, blank.note) == (None, "no rows in the denominator")
    # the activities carry no source: the demos are given in total only
    assert [(u.id, u.reason) for u in report.unsplit] == [
        ("cost_per_demo", "not split by source: activities carry no source")
    ]
    assert {v.group for v in report.values if v.id == "cost_per_demo"} == {()}
    poc = report.value("cost_per_accomplished_poc", source="Ads")  # 700 over D1, D2
    assert (poc.numerator, poc.denominator) == (700.0, 2.0)


def test_a_week_counts_the_share_of_each_monthly_cost_in_it():
    """2026-W40 runs from Monday 28 September to Sunday 4 October: 3/30 of September's 700 +
    400 and 4/31 of October's 600 + 900 (the 100 of 31 October is after it); Q1 qualified
    on 2 October."""
    week = resolve_period("2026-W40", AS_OF)
    value = grid("cost_per_sql", period=week).value("cost_per_sql")
    assert value.numerator == pytest.approx(1100.0 * 3 / 30 + 1500.0 * 4 / 31, rel=1e-12)
    assert (value.denominator, value.n) == (1.0, 5)  # four monthly costs and Q1


def test_without_demo_activities_demos_are_deals_entering_the_demo_stage():
    emails = DEMOS[DEMOS["channel"] == "email"]
    value = grid("cost_per_demo", book={**GRID_BOOK, "activities": emails})
    demo = value.value("cost_per_demo")  # D2 (2 Oct) and D3 (5 Oct) entered demo in October
    assert (demo.numerator, demo.denominator) == (1600.0, 2.0)


def test_the_cost_grid_counts_only_the_days_costs_and_steps_both_cover():
    """Costs that end with September leave October without a value, and say why (in the
    words of the stale-input warning: a period after an input is not measured)."""
    stale = {**GRID_BOOK, "costs": COSTS.iloc[5:]}
    value = grid("cost_per_negotiation", book=stale).value("cost_per_negotiation")
    assert (value.value, value.note) == (None, "costs end 2026-09-30; period 2026-10 has no costs")


def test_the_cost_grid_skips_without_the_stage_dates_it_needs():
    report = grid(*GRID, book={**GRID_BOOK, "deals": DEALS})
    assert [s.id for s in report.skipped] == [
        "cost_per_accomplished_poc",
        "cost_per_successful_poc",
        "cost_per_negotiation",
    ]


# named variants (issue 18): sales CAC, net ROSI


def test_sales_cac_counts_sales_costs_only():
    cac = run("cac", variants={"cac": "sales_only"}).value("cac")
    # October's sales costs: 900 (not marketing's 600 + 100) / C4 and C5
    assert (cac.numerator, cac.denominator, cac.value) == (900.0, 2.0, 450.0)
    assert (cac.variant, cac.label) == ("sales_only", "Sales CAC")


def test_net_rosi_is_revenue_less_sales_costs_over_them():
    rosi = run("rosi", variants={"rosi": "net"}).value("rosi")
    # (4,500 won in October − 900 of sales costs) / 900, no comparison period involved
    assert (rosi.numerator, rosi.denominator, rosi.value) == (3600.0, 900.0, 4.0)
    assert rosi.note is None


# the SQL's own edges (issue 16)


def test_a_customer_churned_twice_in_a_period_is_counted_once_and_listed_twice():
    """Q4: C1 churns in October, comes back in November and churns again in December; C2
    pays every month. 1 of the 2 paying in September churned, over 3 months: 1/6 a month;
    ARPA in December: C2's 100; × 0.5 / (1/6) = 300. Its rows: C1 and C2 at the start, C1's
    two churns, C2 at the end."""
    subscriptions = frame("subscriptions", "customer_id month mrr", [
        ("C1", "2026-09-01", 80.0), ("C1", "2026-11-01", 80.0),
        *[("C2", f"2026-{m:02d}-01", 100.0) for m in (9, 10, 11, 12)],
    ])  # fmt: skip
    q4 = resolve_period("2026-Q4", AS_OF)
    clv = run("clv", book={"subscriptions": subscriptions}, period=q4, settings=HALF).value("clv")
    assert (clv.denominator, clv.n) == (2.0, 5)
    assert clv.value == pytest.approx(300.0)


def test_a_customer_takes_the_first_listed_of_two_first_won_deals_and_fills_its_blanks():
    """A1 won D1 and D2 on the same day: D1 is listed first, its blank owner is that of A1's
    earliest lead (Eve), its source its own (Ads). A2's subscription rows carry a source
    column, blank: the source is that of its won deal (Fair). CAC in October by owner and by
    source: Eve's 300 over A1; Ben's 50 over nobody."""
    deals = frame("deals", "deal_id status created_at closed_at account_id source owner", [
        ("D0", "lost", "2026-01-01", "2026-01-15", None, None, "Ben"),  # the deals start
        ("D1", "won", "2026-09-01", "2026-10-05", "A1", "Ads", None),
        ("D2", "won", "2026-09-01", "2026-10-05", "A1", "Fair", "Ben"),
        ("D3", "won", "2026-09-01", "2026-10-06", "A2", "Fair", "Ben"),
        ("D4", "lost", "2026-09-01", "2026-10-31", None, None, "Ben"),  # the deals end
    ])  # fmt: skip
    leads = frame("leads", "lead_id created_at owner account_id", [
        ("L2", "2026-03-01", "Fay", "A1"),
        ("L1", "2026-02-01", "Eve", "A1"),  # A1's earliest lead
    ])  # fmt: skip
    costs = frame("costs", "month category amount owner source", [
        ("2026-01-01", "sales", 10.0, "Eve", "Ads"),
        ("2026-10-01", "sales", 300.0, "Eve", "Ads"),
        ("2026-10-01", "sales", 50.0, "Ben", "Fair"),
        ("2026-10-01", "sales", None, "Ben", "Fair"),  # no amount: no row
    ])  # fmt: skip
    assert sources({"deals": deals, "leads": leads})["A1"] == ("Ads", "Eve")
    book = {"deals": deals, "leads": leads, "costs": costs}
    report = run("cac", book=book, group_by=["owner"])
    eve, ben = report.value("cac", owner="Eve"), report.value("cac", owner="Ben")
    assert (eve.value, eve.n) == (300.0, 2)
    assert (ben.numerator, ben.denominator, ben.note) == (50.0, 1.0, None)  # A2, D3
    subscriptions = frame("subscriptions", "customer_id month mrr source", [
        ("A2", "2026-09-01", 10.0, None), ("A2", "2026-10-01", 10.0, None),
        ("A3", "2026-10-01", 10.0, "Web"),
    ])  # fmt: skip
    book = {**book, "subscriptions": subscriptions}
    report = run("clv", book=book, group_by=["source"], settings=HALF)
    assert report.value("clv", source="Fair").n == 2  # A2 at the start and at the end
    assert report.value("clv", source="Web").n == 2  # A3 new and at the end


def test_revenue_and_costs_with_blank_amounts_and_the_days_rosi_compares():
    """A won deal without an amount is revenue 0 but a row; a cost without one is no row.
    The costs and deals end on 20 October: rosi sets 1 to 20 October against 1 to 20
    September."""
    deals = frame("deals", "deal_id status created_at closed_at amount", [
        ("S1", "won", "2026-08-01", "2026-09-10", 100.0),
        ("S2", "won", "2026-08-01", "2026-09-25", 900.0),  # after 20 September
        ("O1", "won", "2026-09-01", "2026-10-02", 400.0),
        ("O2", "won", "2026-09-01", "2026-10-20", None),
    ])  # fmt: skip
    costs = frame("costs", "incurred_at category amount", [
        ("2026-09-01", "sales", 50.0),
        ("2026-10-03", "sales", 200.0),
        ("2026-10-04", "sales", None),
        ("2026-10-20", "marketing", 100.0),
    ])  # fmt: skip
    report = run("roi", "rosi", book={"deals": deals, "costs": costs}, small_sample=1)
    roi = report.value("roi")  # (400 + 0 − 300) / 300, over O1, O2 and two costs
    assert (roi.numerator, roi.denominator, roi.n) == (100.0, 300.0, 4)
    rosi = report.value("rosi")  # (400 − 100) / 200: S2 closed after 20 September
    assert (rosi.numerator, rosi.denominator, rosi.value) == (300.0, 200.0, 1.5)
    assert rosi.note == (
        "the costs data ends 2026-10-20: values up to its end, against 2026-09-01 to 2026-09-20"
    )
