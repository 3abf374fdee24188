"""Purchase KPIs on tiny order and deal books whose answers are worked out by hand in each test."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from salesmetrics.config import load_config
from salesmetrics.currency import Rates
from salesmetrics.engine import compute
from salesmetrics.errors import SalesmetricsError
from salesmetrics.explain import COUNTED, REASON, explain
from salesmetrics.kpis.base import Settings
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.kpis.purchase import DAY_NOTE, KPIS
from salesmetrics.periods import between, resolve_period
from salesmetrics.pipeline import frames_of, load_inputs
from tests.golden import check_json
from tests.kpis.frames import AS_OF, JUNE, OCTOBER, Q4, frame

IDS = (
    "orders",
    "revenue",
    "customers_purchasing",
    "avg_purchase_value",
    "purchase_frequency",
    "repurchase_rate",
    "gross_margin",
    "upsell_rate",
    "renewal_rate",
    "expansion_revenue_won",
    "new_customers_won",
)
ORDER_KPIS = list(IDS[:7])
ROOT = Path(__file__).parents[2]

# fmt: off
ORDERS = frame("orders", "order_id customer_id ordered_at amount cost product", [
    # O1: one order of three lines by C1 at the first minute of October, one line free
    ("O1", "C1", "2026-10-01 00:00", 100.0, 60.0, "Mug"),
    ("O1", "C1", "2026-10-01 00:00", 50.0, 20.0, "Tea"),
    ("O1", "C1", "2026-10-01 00:00", 0.0, 5.0, "Card"),
    # O2: C1 again at the last minute of October
    ("O2", "C1", "2026-10-31 23:59", 200.0, 100.0, "Mug"),
    # O3: C2, with a negative discount line that has no cost
    ("O3", "C2", "2026-10-15 12:00", 300.0, 150.0, "Tea"),
    ("O3", "C2", "2026-10-15 12:00", -50.0, None, "Tea"),
    # O4: a guest checkout, no customer_id
    ("O4", None, "2026-10-20 09:00", 80.0, 40.0, "Mug"),
    # O5: midnight of 1 November (November); O6: the last minute of September
    ("O5", "C3", "2026-11-01 00:00", 999.0, 1.0, "Vase"),
    ("O6", "C2", "2026-09-30 23:59", 70.0, 35.0, "Tea"),
])
# fmt: on
# October: rows of O1 (3), O2, O3 (2), O4 = 7 rows, 4 purchases (O1, O2, O3, O4);
# revenue 100 + 50 + 0 + 200 + 300 − 50 + 80 = 680; customers C1, C2 (O4 has none).
BOOK = {"orders": ORDERS}


def run(kpis, book=None, period=OCTOBER, **options):
    return compute(book or BOOK, period=period, as_of=AS_OF, kpis=list(kpis), **options)


def test_every_kpi_is_declared_once_with_its_exact_id_stage_and_a_one_line_formula():
    assert tuple(k.id for k in KPIS) == IDS
    for kpi in KPIS:
        assert CATALOGUE[kpi.id] is kpi
        assert kpi.stage == "purchase"
        assert kpi.needs and kpi.period_date and kpi.label
        assert "\n" not in kpi.formula and len(kpi.formula) > 40
    benchmarks = {k.id: k.benchmark for k in KPIS if k.benchmark}
    assert benchmarks == {
        "gross_margin": "software often over 70%, retail around 20-30%",
        "upsell_rate": "20-30% (upsell/cross-sell success rate)",
    }


def test_order_kpis_in_total():
    report = run(ORDER_KPIS)
    assert report.skipped == ()
    assert report.value("orders").value == 4  # O1 (3 lines) is one; O5 and O6 are outside
    assert report.value("revenue").value == 680.0  # zero and negative lines included
    customers = report.value("customers_purchasing")
    assert (customers.value, customers.note) == (2, "1 order row without a customer_id left out")
    apv = report.value("avg_purchase_value")
    assert (apv.numerator, apv.denominator, apv.value) == (680.0, 4.0, 170.0)  # 680 / 4
    frequency = report.value("purchase_frequency")
    # C1: O1, O2; C2: O3 -> 3 purchases / 2 customers; the guest's O4 is in neither
    assert (frequency.numerator, frequency.denominator, frequency.value) == (3.0, 2.0, 1.5)
    assert frequency.note == "1 order row without a customer_id left out"
    repurchase = report.value("repurchase_rate")
    # C1 bought twice (O1, O2), C2 once (O3): 1 / 2
    assert (repurchase.numerator, repurchase.denominator, repurchase.value) == (1.0, 2.0, 0.5)
    assert repurchase.note is None and repurchase.small_sample  # 2 customers, under 20


def test_the_first_and_last_minute_belong_to_the_period_and_midnight_after_does_not():
    rows = explain(BOOK, "orders", period=OCTOBER, as_of=AS_OF).rows
    assert sorted(set(rows.loc[rows[COUNTED], "order_id"])) == ["O1", "O2", "O3", "O4"]
    outside = rows[~rows[COUNTED]]  # O6 at 23:59 on 30 September, O5 at midnight of 1 November
    assert dict(zip(outside["order_id"], outside[REASON], strict=True)) == {
        "O5": "ordered outside 2026-10",
        "O6": "ordered outside 2026-10",
    }
    november = run(["orders", "revenue"], period=resolve_period("2026-11", AS_OF))
    assert (november.value("orders").value, november.value("revenue").value) == (1, 999.0)
    september = run(["orders", "revenue"], period=resolve_period("2026-09", AS_OF))
    assert (september.value("orders").value, september.value("revenue").value) == (1, 70.0)


def test_distinct_counts_are_distinct_within_each_product_and_a_product_without_rows():
    report = run(ORDER_KPIS, group_by=["product"])
    mug, tea, card, vase = ({"product": p} for p in ("Mug", "Tea", "Card", "Vase"))
    # Mug: lines of O1 (100), O2 (200), O4 (80): 3 purchases, revenue 380, customer C1 only
    assert report.value("orders", **mug).value == 3
    assert report.value("revenue", **mug).value == 380.0
    assert report.value("avg_purchase_value", **mug).value == pytest.approx(380 / 3)
    assert report.value("customers_purchasing", **mug).value == 1
    assert report.value("repurchase_rate", **mug).value == 1.0  # C1: O1 and O2 both have Mug
    # Tea: O1 (50), O3 (300 − 50): 2 purchases, revenue 300, customers C1 and C2, once each
    assert report.value("orders", **tea).value == 2
    assert report.value("avg_purchase_value", **tea).value == 150.0  # 300 / 2
    assert report.value("purchase_frequency", **tea).value == 1.0  # 2 / 2
    repurchase = report.value("repurchase_rate", **tea)
    assert (repurchase.numerator, repurchase.denominator, repurchase.value) == (0.0, 2.0, 0.0)
    # Card: O1's free line: one purchase worth 0
    assert report.value("avg_purchase_value", **card).value == 0.0
    # O1 counts once in each of Mug, Tea, Card (3 + 2 + 1 = 6) but once in the total: 4
    assert report.value("orders").value == 4
    # Vase has a row only in November: a group with no rows in October
    assert report.value("orders", **vase).value == 0
    assert report.value("revenue", **vase).value == 0.0
    assert report.value("customers_purchasing", **vase).value == 0
    empty = report.value("avg_purchase_value", **vase)
    assert (empty.value, empty.note) == (None, "no purchases in the period")
    empty = report.value("repurchase_rate", **vase)
    assert (empty.value, empty.note) == (None, "no customers with a purchase in the period")


def test_zero_denominators_give_no_value_and_a_note():
    report = run(ORDER_KPIS, period=JUNE)
    assert report.value("orders").value == 0
    assert report.value("revenue").value == 0.0
    assert report.value("customers_purchasing").value == 0
    notes = {
        "avg_purchase_value": "no purchases in the period",
        "purchase_frequency": "no customers in the period",
        "repurchase_rate": "no customers with a purchase in the period",
        "gross_margin": "no revenue in the period",
    }
    for kpi, note in notes.items():
        found = report.value(kpi)
        assert (found.value, found.note) == (None, note), kpi


def test_without_a_customer_id_a_row_is_left_out_of_customer_kpis_and_counted():
    book = {
        "orders": ORDERS.assign(customer_id=ORDERS["customer_id"].where(ORDERS["order_id"] != "O1"))
    }
    report = run(["customers_purchasing", "purchase_frequency", "avg_purchase_value"], book)
    customers = report.value("customers_purchasing")
    # O1's 3 lines and O4's now have no customer: C1 (O2) and C2 (O3) remain, from 3 rows
    assert (customers.value, customers.n) == (2, 3)
    assert customers.note == "4 order rows without a customer_id left out"
    frequency = report.value("purchase_frequency")
    assert (frequency.numerator, frequency.denominator, frequency.n) == (2.0, 2.0, 3)
    # the average purchase value keeps them: 680 over O1, O2, O3, O4
    assert report.value("avg_purchase_value").value == 170.0


# fmt: off
DAYS = frame("orders", "customer_id ordered_at amount", [
    ("C1", "2026-10-03 09:00", 10.0),
    ("C1", "2026-10-03 18:00", 15.0),  # C1 again the same day: the same purchase
    ("C1", "2026-10-04 00:00", 5.0),  # the next day: a second purchase
    ("C2", "2026-10-03 09:00", 20.0),  # another customer on the same day: a purchase of its own
    ("C3", "2026-10-31 23:59", 30.0),
    ("C3", "2026-11-01 00:00", 40.0),  # the next day, in November
    (None, "2026-10-05 10:00", 7.0),  # neither order id nor customer: a purchase each
    (None, "2026-10-05 10:00", 8.0),
])
# fmt: on


def test_without_order_ids_a_purchase_is_a_customer_day():
    report = run(ORDER_KPIS[:6], {"orders": DAYS})
    orders = report.value("orders")
    # C1 on 3 Oct, C1 on 4 Oct, C2 on 3 Oct, C3 on 31 Oct, and the two anonymous rows: 6
    assert (orders.value, orders.note) == (6, DAY_NOTE)
    assert report.value("revenue").value == 95.0  # 10 + 15 + 5 + 20 + 30 + 7 + 8
    apv = report.value("avg_purchase_value")
    assert (apv.numerator, apv.denominator, apv.value) == (95.0, 6.0, pytest.approx(95 / 6))
    assert report.value("customers_purchasing").value == 3  # C1, C2, C3
    frequency = report.value("purchase_frequency")
    assert (frequency.numerator, frequency.denominator) == (4.0, 3.0)  # C1 2, C2 1, C3 1
    assert frequency.note == f"{DAY_NOTE}; 2 order rows without a customer_id left out"
    repurchase = report.value("repurchase_rate")
    # only C1 bought on two days in October; C1's two rows of 3 Oct alone would be one purchase
    assert (repurchase.numerator, repurchase.denominator) == (1.0, 3.0)
    assert repurchase.note == DAY_NOTE
    same_day = run(["repurchase_rate"], {"orders": DAYS.iloc[[0, 1, 3]]})
    assert same_day.value("repurchase_rate").value == 0.0  # C1 twice on 3 Oct: 0 of 2


# fmt: off
WINDOW = frame("orders", "order_id customer_id ordered_at amount product", [
    # C1: first on 20 Oct, the next on the 30th day after it (19 Nov, 23:59)
    ("W1", "C1", "2026-10-20 18:00", 10.0, "Mug"),
    ("W2", "C1", "2026-11-19 23:59", 10.0, "Tea"),
    # C2: first on 20 Oct, the next on the 31st day after it (20 Nov, 00:00)
    ("W3", "C2", "2026-10-20 08:00", 10.0, "Mug"),
    ("W4", "C2", "2026-11-20 00:00", 10.0, "Mug"),
    # C3: bought in September; its first purchase in the period is W6, with none after it
    ("W5", "C3", "2026-09-25 10:00", 10.0, "Mug"),
    ("W6", "C3", "2026-10-05 10:00", 10.0, "Mug"),
    # C4: two orders in October, two days apart
    ("W7", "C4", "2026-10-01 00:00", 10.0, "Mug"),
    ("W8", "C4", "2026-10-03 00:00", 10.0, "Mug"),
    # C5: first on 31 Oct; the next on 24 Nov, after as_of (23 Nov), though within 30 days
    ("W9", "C5", "2026-10-31 10:00", 10.0, "Mug"),
    ("W10", "C5", "2026-11-24 10:00", 10.0, "Mug"),
])
# fmt: on
THIRTY = Settings(repurchase_window_days=30)


def test_repurchase_within_a_window_after_the_first_purchase_in_the_period():
    within = run(["repurchase_rate"], {"orders": WINDOW}, settings=THIRTY).value("repurchase_rate")
    # C1 (day 30, after the period's end) and C4 (day 2) of C1..C5: 2 / 5; C2's day 31 is out,
    # C3 bought again only before the period, C5's next purchase is after as_of
    assert (within.numerator, within.denominator, within.value) == (2.0, 5.0, 0.4)
    # C5's window runs to 30 Nov, past as_of (23 Nov); C2's and C3's ended before as_of
    assert within.note == (
        "1 customer has no second purchase yet and days of the 30-day window after as_of"
    )
    plain = run(["repurchase_rate"], {"orders": WINDOW}).value("repurchase_rate")
    assert (plain.numerator, plain.denominator, plain.note) == (1.0, 5.0, None)  # C4 only
    # a 29-day window loses C1 (day 30); all windows end before as_of then except C5's (29 Nov)
    shorter = run(
        ["repurchase_rate"], {"orders": WINDOW}, settings=Settings(repurchase_window_days=29)
    ).value("repurchase_rate")
    assert (shorter.numerator, shorter.denominator) == (1.0, 5.0)
    # a 31-day window takes in C2's day 31 too: C1, C2, C4
    longer = run(
        ["repurchase_rate"], {"orders": WINDOW}, settings=Settings(repurchase_window_days=31)
    ).value("repurchase_rate")
    assert (longer.numerator, longer.denominator) == (3.0, 5.0)
    # seen on 2 October: C4's second order (3 Oct) is after as_of, so nobody has bought again
    early = date(2026, 10, 2)
    this_month = compute(
        {"orders": WINDOW},
        period=resolve_period("2026-10", early),
        as_of=early,
        kpis=["repurchase_rate"],
        settings=THIRTY,
    ).value("repurchase_rate")
    assert (this_month.numerator, this_month.denominator) == (0.0, 5.0)
    assert this_month.note == (
        "5 customers have no second purchase yet and days of the 30-day window after as_of"
    )


def test_repurchase_window_counts_within_each_group_and_customer_days():
    report = run(["repurchase_rate"], {"orders": WINDOW}, settings=THIRTY, group_by=["product"])
    mug = report.value("repurchase_rate", product="Mug")
    # every customer's first October purchase is a Mug; C1's second (W2) is Tea: C4 only
    assert (mug.numerator, mug.denominator) == (1.0, 5.0)
    tea = report.value("repurchase_rate", product="Tea")  # W2 is after October: no buyer
    assert (tea.value, tea.note) == (None, "no customers with a purchase in the period")
    days = run(
        ["repurchase_rate"], {"orders": DAYS}, settings=Settings(repurchase_window_days=1)
    ).value("repurchase_rate")
    # C1: 3 Oct then 4 Oct (day 1); C3: 31 Oct then 1 Nov (day 1, after the period); C2 no
    assert (days.numerator, days.denominator, days.note) == (2.0, 3.0, DAY_NOTE)


def test_repurchase_rate_per_month_looks_only_at_each_month():
    report = run(["repurchase_rate", "orders"], {"orders": WINDOW}, Q4, group_by=["month"])
    assert report.value("repurchase_rate", month="2026-10").value == 0.2  # C4 of 5
    november = report.value("repurchase_rate", month="2026-11")
    # W2, W4 and W10 are one purchase each of C1, C2, C5: 0 / 3
    assert (november.numerator, november.denominator) == (0.0, 3.0)
    assert report.value("orders", month="2026-12").value == 0
    # the quarter: C1 (W1, W2), C2 (W3, W4), C4 (W7, W8), C5 (W9, W10) of 5: 4 / 5
    assert report.value("repurchase_rate").value == 0.8


def test_gross_margin_from_order_costs_leaves_out_rows_without_one():
    margin = run(["gross_margin"]).value("gross_margin")
    # rows with a cost: revenue 100 + 50 + 0 + 200 + 300 + 80 = 730,
    # cost 60 + 20 + 5 + 100 + 150 + 40 = 375; the −50 discount has no cost
    assert (margin.numerator, margin.denominator) == (355.0, 730.0)
    assert margin.value == pytest.approx(355 / 730)  # 0.486
    assert margin.note == "1 order row without a cost left out"
    by_product = run(["gross_margin"], group_by=["product"])
    # Mug: (380 − 200) / 380; Tea: (350 − 170) / 350; sums over sums, per group
    assert by_product.value("gross_margin", product="Mug").value == pytest.approx(180 / 380)
    assert by_product.value("gross_margin", product="Tea").value == pytest.approx(180 / 350)
    # Card: a free line with a cost of 5: no revenue to divide by
    card = by_product.value("gross_margin", product="Card")
    assert (card.value, card.numerator, card.note) == (None, -5.0, "no revenue in the period")


def test_gross_margin_from_the_config_when_orders_carry_no_cost():
    no_cost = {"orders": ORDERS.drop(columns="cost")}
    configured = run(["gross_margin"], no_cost, settings=Settings(gross_margin=0.6))
    margin = configured.value("gross_margin")
    # 0.6 of October's revenue 680: 408 / 680
    assert (margin.value, margin.numerator, margin.denominator) == (0.6, 408.0, 680.0)
    assert margin.note == "gross_margin 0.6 from the report config: the orders carry no cost"
    blank_cost = {"orders": ORDERS.assign(cost=ORDERS["cost"].where(ORDERS["cost"] < 0))}
    assert run(["gross_margin"], blank_cost, settings=Settings(gross_margin=0.6)).value(
        "gross_margin"
    ).value == pytest.approx(0.6)  # an all-blank cost column is no cost
    neither = run(["gross_margin"], no_cost).value("gross_margin")
    assert (neither.value, neither.note) == (
        None,
        "needs orders.cost or gross_margin in the report config",
    )
    # costs win over the config when the orders have them
    costed = run(["gross_margin"], settings=Settings(gross_margin=0.6)).value("gross_margin")
    assert costed.value == pytest.approx(355 / 730)
    refunds = {"orders": ORDERS.assign(amount=-ORDERS["amount"])}
    negative = run(["gross_margin"], refunds).value("gross_margin")
    assert (negative.value, negative.note) == (
        None,
        "revenue in the period is below 0; 1 order row without a cost left out",
    )


def test_skip_reasons_when_inputs_are_missing():
    no_customers = {"orders": ORDERS.drop(columns="customer_id")}
    report = run(ORDER_KPIS, no_customers)
    skipped = {s.id: s.reason for s in report.skipped}
    assert skipped == {
        "customers_purchasing": "needs orders.customer_id",
        "purchase_frequency": "needs orders.customer_id",
        "repurchase_rate": "needs orders.customer_id",
    }
    # without customers and order ids every row is a purchase of its own: 7 in October
    anonymous = run(["orders"], {"orders": ORDERS.drop(columns=["customer_id", "order_id"])})
    assert anonymous.value("orders").value == 7
    nothing = run(IDS, {"deals": DEALS.drop(columns=["deal_type", "account_id"])})
    reasons = {s.id: s.reason for s in nothing.skipped}
    assert reasons["orders"] == "needs orders (no orders input)"
    assert reasons["upsell_rate"] == "needs deals.deal_type"
    assert reasons["expansion_revenue_won"] == "needs deals.deal_type"
    assert reasons["new_customers_won"] == "needs deals.account_id"
    assert len(reasons) == len(IDS)


def test_amounts_in_several_currencies_need_rates_but_counts_do_not():
    mixed = {"orders": ORDERS.assign(currency=["USD"] * 8 + ["EUR"])}
    october = mixed["orders"].iloc[:7].assign(currency=["USD"] * 6 + ["EUR"])
    book = {"orders": october}
    assert run(["orders"], book).value("orders").value == 4
    with pytest.raises(SalesmetricsError, match="revenue: amounts are in several currencies"):
        run(["revenue"], book)
    # O4's 80 EUR at 1.25 USD per EUR is 100 USD: 680 − 80 + 100 = 700
    converted = run(["revenue"], book, rates=Rates("USD", {"EUR": 1.25}))
    assert converted.value("revenue").value == pytest.approx(700.0)
    assert run(["orders"], mixed).value("orders").value == 4


# fmt: off
DEALS = frame("deals", "deal_id status closed_at amount deal_type account_id owner", [
    # upsell and expansion deals closed in October (first and last minute, and between)
    ("D1", "won", "2026-10-01 00:00", 500.0, "upsell", "A1", "Ana"),
    ("D2", "lost", "2026-10-31 23:59", 300.0, "expansion", "A2", "Ben"),
    ("D3", "won", "2026-10-10 10:00", 700.0, "expansion", "A3", "Ben"),
    # A1's upsell at midnight of 1 November: November
    ("D4", "won", "2026-11-01 00:00", 900.0, "upsell", "A1", "Ana"),
    # renewals closed in October
    ("D5", "won", "2026-10-05 10:00", 1000.0, "renewal", "A4", "Ana"),
    ("D6", "lost", "2026-10-06 10:00", 800.0, "renewal", "A5", "Ben"),
    ("D7", "lost", "2026-10-07 10:00", 100.0, "renewal", "A6", "Ana"),
    # open deals never count; Cy has only this one
    ("D8", "open", None, 5000.0, "upsell", "A7", "Cy"),
    # A1 was first won at the last minute of September
    ("D10", "won", "2026-09-30 23:59", 400.0, "new", "A1", "Ana"),
    # A8's two first wins at the same minute, by Ana and by Ben
    ("D9", "won", "2026-10-15 12:00", 2000.0, "new", "A8", "Ben"),
    ("D11", "won", "2026-10-15 12:00", 100.0, "other", "A8", "Ana"),
    # A9 first won at midnight of 1 November; a won deal without an account
    ("D12", "won", "2026-11-01 00:00", 600.0, "new", "A9", "Ben"),
    ("D13", "won", "2026-10-20 10:00", 300.0, "new", None, "Ana"),
])
# fmt: on
DEAL_KPIS = IDS[7:]


def test_upsell_and_renewal_rates_and_expansion_revenue():
    report = run(DEAL_KPIS, {"deals": DEALS})
    upsell = report.value("upsell_rate")
    # upsell or expansion closed in October: D1 won, D2 lost, D3 won: 2 / 3
    assert (upsell.numerator, upsell.denominator) == (2.0, 3.0)
    assert upsell.value == pytest.approx(2 / 3)
    renewal = report.value("renewal_rate")
    # renewals closed in October: D5 won, D6 and D7 lost: 1 / 3
    assert (renewal.numerator, renewal.denominator) == (1.0, 3.0)
    assert renewal.small_sample
    assert report.value("expansion_revenue_won").value == 1200.0  # D1 500 + D3 700
    november = run(DEAL_KPIS, {"deals": DEALS}, resolve_period("2026-11", AS_OF))
    assert november.value("upsell_rate").value == 1.0  # D4 only
    assert november.value("expansion_revenue_won").value == 900.0
    nothing = run(DEAL_KPIS, {"deals": DEALS}, JUNE)
    empty = nothing.value("upsell_rate")
    assert (empty.value, empty.note) == (None, "no rows in the denominator")
    assert nothing.value("expansion_revenue_won").value == 0.0
    before = nothing.value("new_customers_won")  # June is before the deals' first date
    assert (before.value, before.note) == (None, "the deals data starts 2026-09")


def test_deal_rates_per_owner_are_sums_over_sums():
    report = run(DEAL_KPIS, {"deals": DEALS}, group_by=["owner"])
    ana, ben, cy = ({"owner": o} for o in ("Ana", "Ben", "Cy"))
    assert report.value("upsell_rate", **ana).value == 1.0  # D1: 1 / 1
    ben_upsell = report.value("upsell_rate", **ben)
    assert (ben_upsell.numerator, ben_upsell.denominator) == (1.0, 2.0)  # D3 of D2, D3
    assert report.value("renewal_rate", **ana).value == 0.5  # D5 won of D5, D7
    assert report.value("renewal_rate", **ben).value == 0.0  # D6 lost: 0 / 1
    assert report.value("expansion_revenue_won", **ana).value == 500.0
    assert report.value("expansion_revenue_won", **ben).value == 700.0
    # the total is 2 / 3, not the mean of 1.0 and 0.5
    assert report.value("upsell_rate").value == pytest.approx(2 / 3)
    # Cy has only an open deal: no rows in October
    empty = report.value("upsell_rate", **cy)
    assert (empty.value, empty.note) == (None, "no rows in the denominator")
    assert report.value("expansion_revenue_won", **cy).value == 0.0
    assert report.value("new_customers_won", **cy).value == 0


def test_new_customers_won_are_accounts_whose_first_won_deal_closed_in_the_period():
    report = run(["new_customers_won"], {"deals": DEALS}, group_by=["owner"])
    # October: A3 (D3), A4 (D5), A8 (D9 and D11 at the same minute) = 3; A1 was first won in
    # September (D10); D13 has no account; A9's first win is at midnight of 1 November
    assert report.value("new_customers_won").value == 3
    # per owner, distinct within each: Ana A4 and A8 (D11), Ben A3 and A8 (D9); 2 + 2 != 3
    assert report.value("new_customers_won", owner="Ana").value == 2
    assert report.value("new_customers_won", owner="Ben").value == 2
    november = run(["new_customers_won"], {"deals": DEALS}, resolve_period("2026-11", AS_OF))
    assert november.value("new_customers_won").value == 1  # A9; D4 is A1's second win
    # the deals start on 30 September (D10): an account won in their first month may have been
    # won before, so September has no count, and a span holding it counts from October
    opens = "the deals data starts 2026-09: accounts won then may have been won before"
    september = run(["new_customers_won"], {"deals": DEALS}, resolve_period("2026-09", AS_OF))
    assert (
        september.value("new_customers_won").value,
        september.value("new_customers_won").note,
    ) == (None, opens)
    span = run(
        ["new_customers_won"], {"deals": DEALS}, between(date(2026, 9, 15), date(2026, 10, 31))
    )
    counted = span.value("new_customers_won")  # A3, A4, A8 in October; A1 not counted
    assert (counted.value, counted.note) == (3, f"{opens}; new customers counted from 2026-10")


def test_sample_company_purchase_kpis_match_the_reviewed_golden_file():
    """October 2025 at the sample company: the order KPIs by product, the deal KPIs by owner,
    and the repurchase rate with a 90-day window. Regenerate with SALESMETRICS_UPDATE_GOLDEN=1
    and review the diff."""
    config = load_config(ROOT / "sample_data" / "report.yaml")
    inputs = [i for i in config.inputs if Path(i.path).name in ("orders.xlsx", "deals.csv")]
    frames = frames_of(load_inputs(inputs))
    period = resolve_period("2025-10", AS_OF)
    runs = {
        "orders_by_product": (ORDER_KPIS, ["product"], Settings()),
        "deals_by_owner": (list(DEAL_KPIS), ["owner"], Settings()),
        "repurchase_within_90_days": (["repurchase_rate"], [], Settings(repurchase_window_days=90)),
    }
    actual: dict[str, list] = {}
    for name, (ids, by, settings) in runs.items():
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
    check_json("purchase_sample.json", actual)
