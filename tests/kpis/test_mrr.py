"""MRR KPIs on tiny subscription books whose answers are worked out by hand in each test, and
the sample company's MRR bridge and cohort tables against a reviewed golden file.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from salesmetrics.currency import Rates
from salesmetrics.engine import compute
from salesmetrics.errors import SalesmetricsError
from salesmetrics.ingest import load_input
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.kpis.mrr import KPIS
from salesmetrics.periods import Period, between, resolve_period
from tests.golden import check_json
from tests.kpis.frames import AS_OF, OCTOBER, SEPTEMBER, frame

ROOT = Path(__file__).parents[2]
LEVELS = ["mrr", "arr", "customers_active", "arpa"]
MOVES = ["mrr_new", "mrr_expansion", "mrr_contraction", "mrr_churned", "mrr_reactivation"]
JANUARY = resolve_period("2026-01", AS_OF)
LINES = ("start", "new", "expansion", "contraction", "churned", "reactivation", "end")


def subscriptions(rows: list[tuple], columns: str = "customer_id month mrr plan") -> dict:
    return {"subscriptions": frame("subscriptions", columns, rows)}


# Five customers in September and October 2026 (and G, who left in February):
#   B Pro   Sep 200, Oct 300  expansion +100
#   C Pro   Sep 300, Oct 250  contraction −50
#   D Basic Sep 400, —        churned −400 in October
#   E Basic Jun 50, —, —, —, Oct 60  churned in July, reactivation +60 in October
#   F Pro   —, Oct 500        new +500
#   G Enterprise Jan 1000     churned in February
# Start of October (September's MRR) 200 + 300 + 400 = 900; end 300 + 250 + 60 + 500 = 1110;
# 900 + 500 + 100 − 50 − 400 + 60 = 1110. The data ends with October.
FIVE = subscriptions(
    [
        ("B", "2026-09", 200.0, "Pro"),
        ("B", "2026-10", 300.0, "Pro"),
        ("C", "2026-09", 300.0, "Pro"),
        ("C", "2026-10", 250.0, "Pro"),
        ("D", "2026-09", 400.0, "Basic"),
        ("E", "2026-06", 50.0, "Basic"),
        ("E", "2026-10", 60.0, "Basic"),
        ("F", "2026-10", 500.0, "Pro"),
        ("G", "2026-01", 1000.0, "Enterprise"),
    ]
)


def run(kpis: list[str], period: Period = OCTOBER, book: dict | None = None, **options):
    return compute(book or FIVE, period=period, as_of=AS_OF, kpis=kpis, **options)


def values(report, kpis: list[str], **group: str) -> dict[str, float | None]:
    return {k: report.value(k, **group).value for k in kpis}


def bridge(report, **group: str) -> dict[str, float | None]:
    return {c: v.value for c, v in report.categories("mrr_bridge", **group).items()}


def test_the_stage_declares_its_kpis_in_order():
    ids = [k.id for k in KPIS]
    assert ids == [
        "mrr",
        "arr",
        "customers_active",
        "arpa",
        *MOVES,
        "net_new_mrr",
        "mrr_bridge",
    ]
    assert all(CATALOGUE[i].stage == "mrr" for i in ids)


def test_levels_at_the_end_of_october():
    report = run(LEVELS)
    assert values(report, LEVELS) == {
        "mrr": 1110.0,  # 300 + 250 + 60 + 500
        "arr": 13320.0,  # 12 × 1110
        "customers_active": 4.0,  # B, C, E, F
        "arpa": 277.5,  # 1110 / 4
    }
    arpa = report.value("arpa")
    assert (arpa.numerator, arpa.denominator, arpa.small_sample) == (1110.0, 4.0, True)
    assert report.skipped == ()


def test_movements_in_october():
    report = run([*MOVES, "net_new_mrr"])
    assert values(report, [*MOVES, "net_new_mrr"]) == {
        "mrr_new": 500.0,  # F
        "mrr_expansion": 100.0,  # B 200 → 300
        "mrr_contraction": 50.0,  # C 300 → 250, a positive amount of decrease
        "mrr_churned": 400.0,  # D, a positive amount lost
        "mrr_reactivation": 60.0,  # E, back after three months at zero
        "net_new_mrr": 210.0,  # 500 + 100 + 60 − 50 − 400 = 1110 − 900
    }


def test_the_bridge_of_october_reconciles():
    lines = bridge(run(["mrr_bridge"]))
    assert list(lines) == list(LINES)  # in bridge order
    assert lines == {
        "start": 900.0,
        "new": 500.0,
        "expansion": 100.0,
        "contraction": -50.0,  # signed in the bridge
        "churned": -400.0,
        "reactivation": 60.0,
        "end": 1110.0,
    }


def test_a_quarter_takes_the_movements_of_its_three_months():
    # Q3: start June (E 50); July E churns −50; September B, C, D new 900; end September 900
    report = run(["mrr_bridge", "mrr_churned", "mrr_new", "mrr"], resolve_period("2026-Q3", AS_OF))
    assert bridge(report) == {
        "start": 50.0,
        "new": 900.0,
        "expansion": 0.0,
        "contraction": 0.0,
        "churned": -50.0,
        "reactivation": 0.0,
        "end": 900.0,
    }
    assert values(report, ["mrr_churned", "mrr_new", "mrr"]) == {
        "mrr_churned": 50.0,
        "mrr_new": 900.0,
        "mrr": 900.0,
    }


def test_breakdown_by_plan_sums_over_sums_and_keeps_empty_groups():
    report = run([*LEVELS, "mrr_bridge"], group_by=["plan"])
    assert values(report, LEVELS, plan="Pro") == {
        "mrr": 1050.0,  # B 300 + C 250 + F 500
        "arr": 12600.0,
        "customers_active": 3.0,
        "arpa": 350.0,  # 1050 / 3
    }
    assert values(report, LEVELS, plan="Basic") == {
        "mrr": 60.0,  # E
        "arr": 720.0,
        "customers_active": 1.0,
        "arpa": 60.0,
    }
    # the total ARPA is 1110 / 4 = 277.5, not the mean of 350 and 60
    assert report.value("arpa").value == 277.5
    # Enterprise (G left in February) has no customer in October
    assert values(report, ["mrr", "customers_active"], plan="Enterprise") == {
        "mrr": 0.0,
        "customers_active": 0.0,
    }
    empty = report.value("arpa", plan="Enterprise")
    assert (empty.value, empty.note) == (None, "no customer paying at the end of the period")
    # each plan's bridge adds up: Pro 500 + 500 + 100 − 50 = 1050; Basic 400 − 400 + 60 = 60
    assert bridge(report, plan="Pro") == {
        "start": 500.0,
        "new": 500.0,
        "expansion": 100.0,
        "contraction": -50.0,
        "churned": 0.0,
        "reactivation": 0.0,
        "end": 1050.0,
    }
    assert bridge(report, plan="Basic") == {
        "start": 400.0,
        "new": 0.0,
        "expansion": 0.0,
        "contraction": 0.0,
        "churned": -400.0,
        "reactivation": 60.0,
        "end": 60.0,
    }


def test_a_customer_changing_plan_stays_in_one_group_of_the_bridge():
    # H moves from Basic 100 in September to Pro 150 in October: +50 expansion. In October's
    # breakdown H carries October's plan, so Pro's bridge is 100 + 50 = 150 and Basic's is empty.
    book = subscriptions([("H", "2026-09", 100.0, "Basic"), ("H", "2026-10", 150.0, "Pro")])
    report = run(["mrr_bridge", "mrr"], book=book, group_by=["plan"])
    pro = bridge(report, plan="Pro")
    assert (pro["start"], pro["expansion"], pro["end"]) == (100.0, 50.0, 150.0)
    assert set(bridge(report, plan="Basic").values()) == {0.0}
    # September's MRR by plan is Basic's
    september = run(["mrr"], SEPTEMBER, book=book, group_by=["plan"])
    assert september.value("mrr", plan="Basic").value == 100.0


def test_a_customer_paying_two_plans_in_a_month_is_split_across_them():
    # J pays Pro 200 and the Add-on 50 in October (two rows), Pro 200 alone in September; K
    # pays Pro 100 both months. October: Pro 300 (J 200, K 100), Add-on 50 (J), total 350 of
    # 2 customers; the add-on is no longer booked to Pro
    book = subscriptions(
        [
            ("J", "2026-09", 200.0, "Pro"),
            ("J", "2026-10", 200.0, "Pro"),
            ("J", "2026-10", 50.0, "Add-on"),
            ("K", "2026-09", 100.0, "Pro"),
            ("K", "2026-10", 100.0, "Pro"),
        ]
    )
    report = run([*LEVELS, "mrr_bridge"], book=book, group_by=["plan"])
    assert values(report, LEVELS, plan="Pro") == {
        "mrr": 300.0,
        "arr": 3600.0,
        "customers_active": 2.0,  # J, K
        "arpa": 150.0,  # 300 / 2
    }
    assert values(report, LEVELS, plan="Add-on") == {
        "mrr": 50.0,
        "arr": 600.0,
        "customers_active": 1.0,  # J
        "arpa": 50.0,
    }
    assert values(report, LEVELS) == {
        "mrr": 350.0,
        "arr": 4200.0,
        "customers_active": 2.0,  # J once in the total
        "arpa": 175.0,  # 350 / 2
    }
    # the bridge follows the customer: J's +50 is an expansion of its largest plan, Pro
    pro = bridge(report, plan="Pro")
    assert (pro["start"], pro["expansion"], pro["end"]) == (300.0, 50.0, 350.0)


def test_one_customer_month_by_month():
    # Jan 100 new, Feb 150 (+50), Mar 120 (−30), Apr 120, May churned (−120), Jun nothing,
    # Jul 80 reactivation, Aug 80
    book = subscriptions(
        [
            ("C1", "2026-01", 100.0, "A"),
            ("C1", "2026-02", 150.0, "A"),
            ("C1", "2026-03", 120.0, "A"),
            ("C1", "2026-04", 120.0, "A"),
            ("C1", "2026-07", 80.0, "A"),
            ("C1", "2026-08", 80.0, "A"),
        ]
    )
    span = between(date(2026, 1, 1), date(2026, 8, 31))
    report = run([*MOVES, "mrr", "net_new_mrr", "mrr_bridge"], span, book, group_by=["month"])

    def by_month(kpi: str) -> list[float | None]:
        return [report.value(kpi, month=f"2026-{m:02d}").value for m in range(1, 9)]

    # January opens the book: C1 was paying before it, so no movement is known in it
    assert by_month("mrr_new") == [None, 0, 0, 0, 0, 0, 0, 0]
    assert by_month("mrr_expansion") == [None, 50.0, 0, 0, 0, 0, 0, 0]
    assert by_month("mrr_contraction") == [None, 0, 30.0, 0, 0, 0, 0, 0]
    assert by_month("mrr_churned") == [None, 0, 0, 0, 120.0, 0, 0, 0]
    assert by_month("mrr_reactivation") == [None, 0, 0, 0, 0, 0, 80.0, 0]
    assert by_month("mrr") == [100.0, 150.0, 120.0, 120.0, 0, 0, 80.0, 80.0]
    assert by_month("net_new_mrr") == [None, 50.0, -30.0, 0, -120.0, 0, 80.0, 0]
    may = bridge(report, month="2026-05")
    assert (may["start"], may["churned"], may["end"]) == (120.0, -120.0, 0.0)
    # the whole span, from January's opening book: 100 + 50 − 30 − 120 + 80 = 80
    assert report.value("mrr_bridge", "start").note == (
        "the subscription data starts 2026-01: customers paying then are the opening book; "
        "new business and other movements are counted from 2026-02"
    )
    assert bridge(report) == {
        "start": 100.0,
        "new": 0.0,
        "expansion": 50.0,
        "contraction": -30.0,
        "churned": -120.0,
        "reactivation": 80.0,
        "end": 80.0,
    }


def test_the_bridge_trend_gives_its_month_by_month_values():
    report = run(["mrr_bridge"], trend_periods=3)  # August, September, October
    trend = {c: [p.value for p in v.trend] for c, v in report.categories("mrr_bridge").items()}
    assert [p.period for p in report.value("mrr_bridge", "new").trend] == [
        "2026-08",
        "2026-09",
        "2026-10",
    ]
    assert trend == {
        "start": [0.0, 0.0, 900.0],  # nothing paid in July (E churned) or August
        "new": [0.0, 900.0, 500.0],  # September B, C, D
        "expansion": [0.0, 0.0, 100.0],
        "contraction": [0.0, 0.0, -50.0],
        "churned": [0.0, 0.0, -400.0],
        "reactivation": [0.0, 0.0, 60.0],
        "end": [0.0, 900.0, 1110.0],
    }


def test_intervals_at_the_edges_of_the_period():
    # as_of is 23 November 2026: intervals speak up to November
    book = subscriptions(
        [
            ("I1", "2026-10-31 23:59", None, 1.0),  # active at the end of October
            ("I2", "2026-11-01 00:00", None, 2.0),  # starts in November
            ("I3", "2026-09-01", "2026-11-01 00:00", 4.0),  # ends at the end of October
            ("I4", "2026-09-01", "2026-10-31 23:59", 8.0),  # ends before October's end
        ],
        "customer_id started_at ended_at mrr",
    )
    october = run(["mrr", "mrr_new", "mrr_churned", "mrr_bridge"], book=book)
    # October: I1 1 + I3 4 = 5; I1 new; I4 (September only) churned
    assert values(october, ["mrr", "mrr_new", "mrr_churned"]) == {
        "mrr": 5.0,
        "mrr_new": 1.0,
        "mrr_churned": 8.0,
    }
    assert bridge(october)["start"] == 12.0  # September: I3 4 + I4 8
    november = run(["mrr", "mrr_new", "mrr_churned"], resolve_period("2026-11", AS_OF), book)
    # November: I1 1 + I2 2 = 3; I2 new; I3 churned
    assert values(november, ["mrr", "mrr_new", "mrr_churned"]) == {
        "mrr": 3.0,
        "mrr_new": 2.0,
        "mrr_churned": 4.0,
    }


def test_a_period_after_the_data_has_no_value_and_one_running_past_it_is_cut():
    november = run([*LEVELS, "net_new_mrr", "mrr_bridge"], resolve_period("2026-11", AS_OF))
    for kpi in [*LEVELS, "net_new_mrr"]:
        found = november.value(kpi)
        assert (found.value, found.note) == (None, "the subscription data ends with 2026-10")
    assert set(bridge(november).values()) == {None}
    ytd = run(["mrr", "net_new_mrr"], resolve_period("ytd", AS_OF))  # 1 Jan to 23 Nov
    cut = "the subscription data ends with 2026-10: values up to its end"
    assert (ytd.value("mrr").value, ytd.value("mrr").note) == (1110.0, cut)  # October's
    # the book opens in January (G 1000), so from January to October: 110
    opened = (
        "the subscription data starts 2026-01: customers paying then are the opening book; "
        f"new business and other movements are counted from 2026-02; {cut}"
    )
    assert (ytd.value("net_new_mrr").value, ytd.value("net_new_mrr").note) == (110.0, opened)


def test_the_first_month_of_the_book_is_the_opening_book():
    """G pays in January, the first month of the data: it was paying before, so January has an
    MRR but no movement, no new customer and no rate; Q1 counts from February, from G's 1000."""
    opens = "the subscription data starts 2026-01: customers paying then are the opening book"
    counts = ["new_customers", "churned_customers", "customer_churn_rate", "nrr"]
    january = run([*LEVELS, *MOVES, "net_new_mrr", "mrr_bridge", *counts], JANUARY)
    assert values(january, LEVELS) == {
        "mrr": 1000.0,
        "arr": 12000.0,
        "customers_active": 1.0,
        "arpa": 1000.0,
    }
    assert all(january.value(k).note is None for k in LEVELS)
    for kpi in [*MOVES, "net_new_mrr", *counts]:
        assert (january.value(kpi).value, january.value(kpi).note) == (None, opens), kpi
    assert set(bridge(january).values()) == {None}
    q1 = run(["mrr_new", "mrr_churned", *counts], resolve_period("2026-Q1", AS_OF))
    assert values(q1, ["mrr_new", "mrr_churned", *counts]) == {
        "mrr_new": 0.0,
        "mrr_churned": 1000.0,  # G, in February
        "new_customers": 0.0,
        "churned_customers": 1.0,
        "customer_churn_rate": 1.0,  # G of G
        "nrr": 0.0,
    }
    assert q1.value("new_customers").note == (
        f"{opens}; new business and other movements are counted from 2026-02"
    )
    before = run(["mrr", "mrr_new"], resolve_period("2025-12", AS_OF))
    assert {(v.value, v.note) for v in before.values} == {
        (None, "the subscription data starts 2026-01")
    }


def test_by_month_in_a_quarter_that_runs_past_the_data():
    q4 = resolve_period("2026-Q4", AS_OF)
    report = run(["mrr", "mrr_new"], q4, group_by=["month"])
    assert report.value("mrr", month="2026-10").value == 1110.0
    assert report.value("mrr_new", month="2026-10").value == 500.0
    for month in ("2026-11", "2026-12"):
        assert report.value("mrr", month=month).value is None
        assert (
            report.value("mrr_new", month=month).note == "the subscription data ends with 2026-10"
        )
    assert report.value("mrr_new").value == 500.0  # the quarter, cut to October


def test_a_week_holds_no_first_of_a_month_so_no_movement():
    week = resolve_period("2026-W42", AS_OF)  # 12 to 18 October
    moving = [*MOVES, "net_new_mrr", "mrr_bridge"]
    report = run(["mrr", *moving], week)
    # the MRR at the week's end is October's; movements show on the first of a month, so the
    # week has none to count: no value (not 0), and the note says why
    assert report.value("mrr").value == 1110.0
    said = "no month starts in the period: MRR is monthly, so no movement is dated in it"
    for kpi in moving:
        found = [v for v in report.values if v.id == kpi]
        assert found and {(v.value, v.note) for v in found} == {(None, said)}, kpi
    # 2026-W40, 28 September to 4 October, holds 1 October: October's movements
    holding = run(MOVES, resolve_period("2026-W40", AS_OF))
    assert values(holding, MOVES) == values(run(MOVES), MOVES)


def test_a_snapshot_reads_the_customers_not_churned_whatever_the_period():
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
    report = run([*LEVELS, *MOVES, "net_new_mrr", "mrr_bridge"], book=snapshot)
    assert values(report, LEVELS) == {
        "mrr": 90.0,  # S1 10 + S3 30 + S5 50
        "arr": 1080.0,  # 12 × 90
        "customers_active": 3.0,
        "arpa": 30.0,  # 90 / 3
    }
    note = "subscriptions are a snapshot without dates: the period is ignored"
    assert {report.value(k).note for k in LEVELS} == {note}
    reason = "needs subscriptions.month or subscriptions.started_at"
    assert {s.id: s.reason for s in report.skipped} == {
        k: reason for k in [*MOVES, "net_new_mrr", "mrr_bridge"]
    }
    by_contract = run(["mrr", "customers_active"], book=snapshot, group_by=["contract"])
    assert values(by_contract, ["mrr", "customers_active"], contract="One year") == {
        "mrr": 30.0,
        "customers_active": 1.0,
    }
    assert by_contract.value("mrr", contract="Two year").value == 50.0
    # another period, the same snapshot
    assert run(["mrr"], resolve_period("2020-01", AS_OF), snapshot).value("mrr").value == 90.0


def test_without_subscriptions_the_kpis_are_skipped_with_the_reason():
    report = compute({}, period=OCTOBER, as_of=AS_OF, kpis=["mrr", "mrr_bridge"])
    assert {s.id: s.reason for s in report.skipped} == {
        "mrr": "needs subscriptions (no subscriptions input)",
        "mrr_bridge": "needs subscriptions (no subscriptions input)",
    }


def test_amounts_are_converted_before_they_are_summed():
    book = subscriptions(
        [("A", "2026-10", 100.0, "USD"), ("B", "2026-10", 10.0, "EUR")],
        "customer_id month mrr currency",
    )
    with pytest.raises(SalesmetricsError, match="several currencies"):
        run(["mrr"], book=book)
    converted = run(["mrr"], book=book, rates=Rates("USD", {"EUR": 2.0}))
    assert converted.value("mrr").value == 120.0  # 100 + 10 × 2


# --- the sample company's MRR bridge and cohort tables, reviewed by hand once


def _sample() -> dict[str, pd.DataFrame]:
    loaded = load_input(
        ROOT / "sample_data" / "subscriptions.csv", "sample_data/mappings/subscriptions.yaml"
    )
    return {"subscriptions": loaded.frame}


def _golden_document() -> dict:
    frames = _sample()
    bridge_report = compute(
        frames, period=OCTOBER, as_of=AS_OF, kpis=["mrr_bridge"], trend_periods=12
    )
    lines = bridge_report.categories("mrr_bridge")
    months = [p.period for p in lines["start"].trend]
    document: dict = {
        "bridge": {
            "months": months,
            "lines": {c: [p.value for p in v.trend] for c, v in lines.items()},
            "customers": {c: v.n for c, v in lines.items()},
        }
    }
    window = between(date(2025, 11, 1), date(2026, 10, 31))
    kpis = ["cohort_retention", "cohort_revenue_retention"]
    cohorts = compute(frames, period=window, as_of=AS_OF, kpis=kpis)
    for kpi in kpis:
        table: dict[str, dict[str, list]] = {}
        for v in cohorts.values:
            if v.id == kpi:
                assert v.category is not None and v.subcategory is not None
                table.setdefault(v.category, {})[v.subcategory] = [
                    v.value,
                    v.numerator,
                    v.denominator,
                ]
        document[kpi] = table
    return json.loads(json.dumps(document))


def test_sample_mrr_bridge_and_cohorts_match_the_reviewed_golden_file():
    """Regenerate on purpose with SALESMETRICS_UPDATE_GOLDEN=1, and review the diff."""
    actual = _golden_document()
    check_json("sample_mrr.json", actual)
    expected = actual  # equal to the golden file, as just checked
    # what the review checked, kept as checks: every month reconciles, and each month starts
    # where the one before ended
    lines = expected["bridge"]["lines"]
    assert expected["bridge"]["months"] == [f"2025-{m}" for m in ("11", "12")] + [
        f"2026-{m:02d}" for m in range(1, 11)
    ]
    for i in range(12):
        moved = sum(lines[k][i] for k in LINES[1:-1])
        assert lines["start"][i] + moved == pytest.approx(lines["end"][i], rel=1e-12)
        if i:
            assert lines["start"][i] == pytest.approx(lines["end"][i - 1], rel=1e-12)
    logos, revenue = expected["cohort_retention"], expected["cohort_revenue_retention"]
    assert list(logos) == expected["bridge"]["months"]  # a cohort for every month
    for i, cohort in enumerate(logos):
        assert list(logos[cohort]) == [str(k) for k in range(12 - i)]  # up to October 2026
        assert logos[cohort]["0"][0] == revenue[cohort]["0"][0] == 1.0  # month 0 is 100%
        # the cohort's month-0 MRR is that month's new MRR in the bridge
        assert revenue[cohort]["0"][2] == pytest.approx(lines["new"][i], rel=1e-12)
        assert all(0 <= cell[0] <= 1 for cell in logos[cohort].values())
