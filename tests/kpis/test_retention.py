"""Retention KPIs on tiny subscription books whose answers are worked out by hand in each test."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from salesmetrics.engine import compute
from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import Settings
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.kpis.retention import KPIS
from salesmetrics.periods import Period, between, resolve_period
from tests.kpis.frames import AS_OF, OCTOBER
from tests.kpis.test_mrr import FIVE, subscriptions, values

Q2 = resolve_period("2026-Q2", AS_OF)
RATES = [
    "customer_churn_rate",
    "customer_retention_rate",
    "revenue_churn_rate",
    "net_mrr_churn_rate",
    "nrr",
    "grr",
]
COUNTS = ["new_customers", "churned_customers", "expansion_revenue"]
KPIS_IDS = [k.id for k in KPIS]


def run(kpis: list[str], period: Period = OCTOBER, book: dict | None = None, **options):
    settings = Settings(**options.pop("settings", {}))
    return compute(
        book or FIVE, period=period, as_of=AS_OF, kpis=kpis, settings=settings, **options
    )


def test_the_stage_declares_its_kpis_in_order():
    ids = [k.id for k in KPIS]
    assert ids == [
        "new_customers",
        "churned_customers",
        *RATES[:4],
        "nrr",
        "grr",
        "expansion_revenue",
        "cohort_retention",
        "cohort_revenue_retention",
    ]
    assert all(CATALOGUE[i].stage == "retention" for i in ids)


# FIVE (tests/kpis/test_mrr.py), October 2026: at the start (September) B 200, C 300, D 400
# (Pro, Pro, Basic) = 3 customers and 900; in October B +100, C −50, D churned −400, E (Basic)
# reactivated +60, F (Pro) new +500; at the end B 300, C 250, E 60, F 500.


def test_customer_counts_and_rates_of_october():
    report = run([*COUNTS, *RATES])
    assert values(report, [*COUNTS, *RATES]) == {
        "new_customers": 1.0,  # F; E came back, it is not new
        "churned_customers": 1.0,  # D
        "expansion_revenue": 100.0,  # B
        "customer_churn_rate": pytest.approx(1 / 3),  # D / (B, C, D)
        # B and C paid at both ends / 3; (end 4 − new 1) / 3 would count E as retained
        "customer_retention_rate": pytest.approx(2 / 3),
        "revenue_churn_rate": 0.5,  # (400 + 50) / 900
        "net_mrr_churn_rate": pytest.approx(290 / 900),  # (400 + 50 − 100 − 60) / 900
        "nrr": pytest.approx(550 / 900),  # (900 + 100 − 50 − 400) / 900: B 300 + C 250
        "grr": 0.5,  # (900 − 50 − 400) / 900: B's 200 (not 300) + C's 250
    }
    churn = report.value("customer_churn_rate")
    assert (churn.numerator, churn.denominator, churn.small_sample) == (1.0, 3.0, True)
    nrr = report.value("nrr")
    assert (nrr.numerator, nrr.denominator, nrr.n) == (550.0, 900.0, 3)  # B, C, D


def test_the_stripe_churn_variant_adds_the_new_customers_to_the_denominator():
    report = run(["customer_churn_rate"], settings={"churn_variant": "stripe"})
    churn = report.value("customer_churn_rate")
    assert (churn.numerator, churn.denominator, churn.value) == (1.0, 4.0, 0.25)  # D / (B C D F)


def test_nrr_with_reactivation_counts_the_customers_who_came_back():
    # E (not paying in September, so outside the cohort) came back with 60: (550 + 60) / 900
    report = run(["nrr", "grr"], settings={"nrr_reactivation": True})
    nrr = report.value("nrr")
    assert (nrr.numerator, nrr.denominator) == (610.0, 900.0)
    assert report.value("grr").value == 0.5  # never counts reactivation


def test_a_breakdown_by_plan_is_sums_over_sums():
    report = run(RATES, group_by=["plan"], settings={"nrr_reactivation": True})
    assert values(report, RATES, plan="Pro") == {
        "customer_churn_rate": 0.0,  # 0 / (B, C)
        "customer_retention_rate": 1.0,  # B, C / B, C
        "revenue_churn_rate": 0.1,  # C's 50 / 500
        "net_mrr_churn_rate": -0.1,  # (50 − 100) / 500
        "nrr": 1.1,  # (300 + 250) / (200 + 300)
        "grr": 0.9,  # (200 + 250) / 500
    }
    assert values(report, RATES, plan="Basic") == {
        "customer_churn_rate": 1.0,  # D / D
        "customer_retention_rate": 0.0,
        "revenue_churn_rate": 1.0,  # 400 / 400
        "net_mrr_churn_rate": 0.85,  # (400 − 60) / 400
        "nrr": 0.15,  # E's 60 back / D's 400
        "grr": 0.0,
    }
    # the total churn rate is 1 / 3, not the mean of 0 and 1
    assert report.value("customer_churn_rate").value == pytest.approx(1 / 3)
    # Enterprise (G left in February) has nobody at the start
    empty = report.value("customer_churn_rate", plan="Enterprise")
    assert (empty.value, empty.note) == (None, "no customer paying at the start of the period")
    assert report.value("nrr", plan="Enterprise").note == "no MRR at the start of the period"


def test_no_customer_at_the_start_gives_no_rate_and_a_note():
    # June: E is new; in May nobody paid (G left in February)
    report = run([*RATES, "new_customers"], resolve_period("2026-06", AS_OF))
    assert report.value("new_customers").value == 1.0
    for kpi in RATES:
        found = report.value(kpi)
        assert found.value is None and found.denominator == 0.0
    assert (
        report.value("customer_churn_rate").note == "no customer paying at the start of the period"
    )
    assert report.value("grr").note == "no MRR at the start of the period"


# Q2 2026 (April to June; start: March), each customer a case a quarter can hold:
#   P  Mar 100, Apr 100, —, Jun 130   churned in May, back in June
#   Q  Mar 100, Apr 80, May 150, Jun 150   −20 then +70: at most its start for grr
#   R  Mar 100 … Jun 100               no change
#   S  —, Apr 40, —, —                new in April, churned in May
#   T  Jan 10, —, —, —, May 20, Jun 20 churned in February, back in May
# Start (March) P, Q, R = 300; end (June) P 130, Q 150, R 100, T 20 = 400.
QUARTER = subscriptions(
    [
        ("P", "2026-03", 100.0, "X"),
        ("P", "2026-04", 100.0, "X"),
        ("P", "2026-06", 130.0, "X"),
        ("Q", "2026-03", 100.0, "X"),
        ("Q", "2026-04", 80.0, "X"),
        ("Q", "2026-05", 150.0, "X"),
        ("Q", "2026-06", 150.0, "X"),
        ("R", "2026-03", 100.0, "X"),
        ("R", "2026-04", 100.0, "X"),
        ("R", "2026-05", 100.0, "X"),
        ("R", "2026-06", 100.0, "X"),
        ("S", "2026-04", 40.0, "X"),
        ("T", "2026-01", 10.0, "X"),
        ("T", "2026-05", 20.0, "X"),
        ("T", "2026-06", 20.0, "X"),
    ]
)


def test_a_quarter_follows_the_start_cohort_to_its_end():
    report = run([*COUNTS, *RATES], Q2, QUARTER)
    assert values(report, [*COUNTS, *RATES]) == {
        "new_customers": 1.0,  # S
        "churned_customers": 2.0,  # P and S, in May
        "expansion_revenue": 70.0,  # Q in May
        # P / P, Q, R: S, new in April, churned in May, is not among the start customers
        "customer_churn_rate": pytest.approx(1 / 3),
        "customer_retention_rate": 1.0,  # P, Q, R pay in March and in June
        "revenue_churn_rate": pytest.approx(160 / 300),  # Q −20, P −100, S −40
        # (20 + 100 + 40 − 70 − P's 130 − T's 20) / 300
        "net_mrr_churn_rate": pytest.approx(-60 / 300),
        "nrr": pytest.approx(250 / 300),  # P churned: 0; Q 150 + R 100
        "grr": pytest.approx(200 / 300),  # P 0; Q min(100, 150) = 100; R 100
    }
    stripe = run(["customer_churn_rate"], Q2, QUARTER, settings={"churn_variant": "stripe"})
    assert stripe.value("customer_churn_rate").value == 0.5  # P, S / P, Q, R, S
    back = run(["nrr"], Q2, QUARTER, settings={"nrr_reactivation": True}).value("nrr")
    # P counts its June 130; T, outside the cohort, its 20: (130 + 150 + 100 + 20) / 300
    assert (back.numerator, back.denominator) == (400.0, 300.0)


def test_the_churn_numerator_counts_only_the_customers_of_the_denominator():
    # Q2: P (paying in March) churned in May; S, new in April, churned in May; T, churned in
    # February, came back in May. Standard: P / P, Q, R. Stripe: P, S / P, Q, R, S.
    churn = run(["customer_churn_rate"], Q2, QUARTER).value("customer_churn_rate")
    assert (churn.numerator, churn.denominator) == (1.0, 3.0)
    stripe = run(["customer_churn_rate"], Q2, QUARTER, settings={"churn_variant": "stripe"})
    found = stripe.value("customer_churn_rate")
    assert (found.numerator, found.denominator) == (2.0, 4.0)


def test_a_week_in_which_no_month_starts_has_no_rate():
    # 2026-W41 is 5 to 11 October: September's MRR would be compared with itself
    week = resolve_period("2026-W41", AS_OF)
    counts = ["new_customers", "churned_customers", "expansion_revenue"]
    report = run([*RATES, *counts], week)
    for kpi in RATES:
        found = report.value(kpi)
        assert (found.value, found.note) == (
            None,
            "no month starts in the period: MRR is monthly, so there is no rate",
        )
    # no movement shows in the week: the counts are null too, not 0
    for kpi in counts:
        found = report.value(kpi)
        assert (found.value, found.note) == (
            None,
            "no month starts in the period: MRR is monthly, so no movement is dated in it",
        )
    # 2026-W40, 28 September to 4 October, holds 1 October: October's rates
    holding = run(RATES, resolve_period("2026-W40", AS_OF))
    assert holding.value("customer_churn_rate").value == pytest.approx(1 / 3)  # D / B, C, D
    assert holding.value("grr").value == 0.5


def test_a_snapshot_churn_rate_is_the_share_flagged_churned():
    snapshot = subscriptions(
        [
            ("S1", 10.0, False, "Month-to-month"),
            ("S2", 20.0, True, "Month-to-month"),
            ("S3", 30.0, False, "One year"),
            ("S4", 40.0, True, "One year"),
            ("S5", 50.0, False, "Two year"),
        ],
        "customer_id mrr churned contract",
    )
    report = run(KPIS_IDS, book=snapshot, group_by=["contract"])
    churn = report.value("customer_churn_rate")
    assert (churn.numerator, churn.denominator, churn.value) == (2.0, 5.0, 0.4)  # S2, S4 / 5
    assert churn.note == "subscriptions are a snapshot without dates: the period is ignored"
    assert report.value("churned_customers").value == 2.0
    assert report.value("customer_churn_rate", contract="Month-to-month").value == 0.5  # S2 / 2
    assert report.value("customer_churn_rate", contract="One year").value == 0.5  # S4 / 2
    assert report.value("customer_churn_rate", contract="Two year").value == 0.0  # 0 / 1
    # the stripe variant has nothing to add to a snapshot
    stripe = run(["customer_churn_rate"], book=snapshot, settings={"churn_variant": "stripe"})
    assert stripe.value("customer_churn_rate").value == 0.4
    reason = "needs subscriptions.month or subscriptions.started_at"
    assert {s.id: s.reason for s in report.skipped} == {
        k: reason for k in KPIS_IDS if k not in ("customer_churn_rate", "churned_customers")
    }


def test_an_unknown_churn_variant_is_an_error():
    with pytest.raises(SalesmetricsError, match="churn_variant 'baremetrics' is not known"):
        run(["customer_churn_rate"], settings={"churn_variant": "baremetrics"})


def test_rates_of_a_period_after_the_data_have_no_value():
    report = run(RATES, resolve_period("2026-11", AS_OF))
    for kpi in RATES:
        found = report.value(kpi)
        assert (found.value, found.note) == (None, "the subscription data ends with 2026-10")


def test_the_period_edges_of_intervals():
    # as_of 23 Nov: A's interval ends at the end of October (1 Nov 00:00), B's at 23:59 on 31
    # October, before October's end; C starts at 23:59 on 31 October, D at 00:00 on 1 November
    book = subscriptions(
        [
            ("A", "2026-09-01", "2026-11-01 00:00", 10.0),
            ("B", "2026-09-01", "2026-10-31 23:59", 10.0),
            ("C", "2026-10-31 23:59", None, 10.0),
            ("D", "2026-11-01 00:00", None, 10.0),
        ],
        "customer_id started_at ended_at mrr",
    )
    october = run(["customer_churn_rate", "new_customers", "churned_customers"], book=book)
    assert values(october, ["customer_churn_rate", "new_customers", "churned_customers"]) == {
        "customer_churn_rate": 0.5,  # B / (A, B)
        "new_customers": 1.0,  # C
        "churned_customers": 1.0,  # B
    }
    november = run(["new_customers", "churned_customers"], resolve_period("2026-11", AS_OF), book)
    assert values(november, ["new_customers", "churned_customers"]) == {
        "new_customers": 1.0,  # D
        "churned_customers": 1.0,  # A
    }


# Cohorts, data from December 2025 to April 2026:
#   K0 Basic Dec 10                          (the opening book: paying before the data)
#   K1 Basic Jan 100, Feb 100, —, Apr 100   (churned in March, back in April)
#   K2 Pro   Jan 300, Feb 200, Mar 200, Apr 200
#   K3 Basic —, Feb 50, Mar 50, —
COHORTS = subscriptions(
    [
        ("K0", "2025-12", 10.0, "Basic"),
        ("K1", "2026-01", 100.0, "Basic"),
        ("K1", "2026-02", 100.0, "Basic"),
        ("K1", "2026-04", 100.0, "Basic"),
        ("K2", "2026-01", 300.0, "Pro"),
        ("K2", "2026-02", 200.0, "Pro"),
        ("K2", "2026-03", 200.0, "Pro"),
        ("K2", "2026-04", 200.0, "Pro"),
        ("K3", "2026-02", 50.0, "Basic"),
        ("K3", "2026-03", 50.0, "Basic"),
    ]
)
TABLES = ["cohort_retention", "cohort_revenue_retention"]


def table(report, kpi: str, **group: str) -> dict[tuple[str, str], float | None]:
    wanted = tuple(sorted(group.items()))
    return {
        (v.category, v.subcategory): v.value
        for v in report.values
        if v.id == kpi and tuple(sorted(v.group)) == wanted
    }


def test_cohort_tables_follow_each_cohort_to_the_end_of_the_data():
    report = run(TABLES, resolve_period("2026-Q1", AS_OF), COHORTS)
    assert table(report, "cohort_retention") == {
        ("2026-01", "0"): 1.0,  # K1, K2 of 2
        ("2026-01", "1"): 1.0,  # K1, K2
        ("2026-01", "2"): 0.5,  # K2
        ("2026-01", "3"): 1.0,  # K1 is back in April, K2
        ("2026-02", "0"): 1.0,  # K3 of 1
        ("2026-02", "1"): 1.0,
        ("2026-02", "2"): 0.0,  # K3 left in April
    }
    assert table(report, "cohort_revenue_retention") == {
        ("2026-01", "0"): 1.0,  # 400 / 400
        ("2026-01", "1"): 0.75,  # (100 + 200) / 400
        ("2026-01", "2"): 0.5,  # 200 / 400
        ("2026-01", "3"): 0.75,  # (100 + 200) / 400
        ("2026-02", "0"): 1.0,  # 50 / 50
        ("2026-02", "1"): 1.0,
        ("2026-02", "2"): 0.0,
    }
    cell = report.value("cohort_revenue_retention", "2026-01", "1")
    assert (cell.numerator, cell.denominator, cell.n) == (300.0, 400.0, 2)
    # the months are in numeric order (month 10 would come after 9)
    assert [v.subcategory for v in report.values if v.category == "2026-01"][:4] == list("0123")


def test_cohorts_of_the_period_only_and_every_cohort_for_all():
    february = run(TABLES, resolve_period("2026-02", AS_OF), COHORTS)
    assert set(table(february, "cohort_retention")) == {("2026-02", k) for k in "012"}
    span = resolve_period("all", AS_OF, data_span=(AS_OF.replace(month=1, day=15), AS_OF))
    everything = run(["cohort_retention"], span, COHORTS)  # every cohort
    assert {c for c, _ in table(everything, "cohort_retention")} == {
        "2025-12",
        "2026-01",
        "2026-02",
    }


def test_the_opening_month_of_the_data_is_not_a_cohort():
    """K0 paid in December 2025, the first month of the data: it was paying before, so its
    cells have no value, in December alone as in a period that holds December."""
    opening = "the subscription data starts 2025-12: customers paying then are the opening book"
    for period in (resolve_period("2025-12", AS_OF), between(date(2025, 12, 1), date(2026, 1, 31))):
        report = run(TABLES, period, COHORTS)
        for kpi in TABLES:
            cells = [v for v in report.values if v.id == kpi and v.category == "2025-12"]
            assert [v.subcategory for v in cells] == list("01234")  # to April
            assert {(v.value, v.note) for v in cells} == {(None, opening)}
        assert table(report, "cohort_retention").get(("2026-01", "0")) == (
            1.0 if period.end.month == 1 else None
        )


def test_cohorts_by_the_plan_they_started_on():
    quarter = resolve_period("2026-Q1", AS_OF)
    report = run(["cohort_retention"], quarter, COHORTS, group_by=["plan"])
    assert table(report, "cohort_retention", plan="Basic") == {
        ("2026-01", "0"): 1.0,  # K1
        ("2026-01", "1"): 1.0,
        ("2026-01", "2"): 0.0,
        ("2026-01", "3"): 1.0,
        ("2026-02", "0"): 1.0,  # K3
        ("2026-02", "1"): 1.0,
        ("2026-02", "2"): 0.0,
    }
    assert table(report, "cohort_retention", plan="Pro") == {
        ("2026-01", k): 1.0
        for k in "0123"  # K2
    }


def test_a_cell_has_its_counts_and_the_opening_books_its_note():
    """K1 and K2 in month 1 of January's cohort: (100 + 200) MRR of 400 in January, 2 rows,
    a small sample (2 < 20); December's cells (K0, the opening book) have no value, their
    note naming the month, and their one row each."""
    report = run(TABLES, between(date(2025, 12, 1), date(2026, 1, 31)), COHORTS)
    cell = report.value("cohort_revenue_retention", "2026-01", "1")
    assert (cell.value, cell.numerator, cell.denominator, cell.n) == (0.75, 300.0, 400.0, 2)
    assert cell.small_sample and cell.note is None
    logo = report.value("cohort_retention", "2026-01", "2")  # K2 of K1, K2
    assert (logo.value, logo.numerator, logo.denominator, logo.n) == (0.5, 1.0, 2.0, 2)
    opening = report.value("cohort_retention", "2025-12", "4")
    assert (opening.value, opening.numerator, opening.n) == (None, None, 1)
    assert opening.note == (
        "the subscription data starts 2025-12: customers paying then are the opening book"
    )


YOUNG = {
    "subscriptions": pd.concat(
        [
            COHORTS["subscriptions"],
            subscriptions([("K4", "2026-04", 80.0, "Pro")])["subscriptions"],
        ],
        ignore_index=True,
    )
}


def test_a_young_cohort_has_the_months_up_to_the_end_of_the_data():
    """K4 starts in April, the last month of data: its cohort has month 0 alone; March has no
    cohort, so no cell (one value saying so); a quarter running past April is cut there."""
    april = run(TABLES, resolve_period("2026-04", AS_OF), YOUNG)
    assert table(april, "cohort_retention") == {("2026-04", "0"): 1.0}
    assert table(april, "cohort_revenue_retention") == {("2026-04", "0"): 1.0}  # 80 / 80
    march = run(TABLES, resolve_period("2026-03", AS_OF), YOUNG)
    (none,) = [v for v in march.values if v.id == "cohort_retention"]
    assert (none.category, none.value, none.note) == (None, None, "no rows in the period")
    q2 = run(["cohort_retention"], Q2, YOUNG)
    assert table(q2, "cohort_retention") == {("2026-04", "0"): 1.0}
    cut = "the subscription data ends with 2026-04: values up to its end"
    assert {v.note for v in q2.values} == {cut}


def test_period_all_takes_every_cohort_of_intervals_whatever_the_days_of_its_span():
    """A pays from 10 July to 1 September (July, August), B from 1 August on; as of 23
    November the data speaks to November. All's span starts on 10 July, yet July's cohort
    (A) is in it; a period of the same days holds the first of August only: B's cohort."""
    book = subscriptions(
        [("A", "2026-07-10", "2026-09-01", 10.0), ("B", "2026-08-01", None, 30.0)],
        "customer_id started_at ended_at mrr",
    )
    span = (date(2026, 7, 10), AS_OF)
    everything = run(TABLES, resolve_period("all", AS_OF, data_span=span), book)
    months = {("2026-07", str(k)): 1.0 if k < 2 else 0.0 for k in range(5)}  # July to November
    august = {("2026-08", str(k)): 1.0 for k in range(4)}  # B: August to November
    assert table(everything, "cohort_retention") == months | august
    assert {v.note for v in everything.values} == {None}
    same_days = run(TABLES, between(*span), book)
    assert table(same_days, "cohort_revenue_retention") == august
