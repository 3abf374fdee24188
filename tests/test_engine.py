"""The engine on tiny deal books whose answers are worked out by hand in each test."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from salesmetrics import duck, engine
from salesmetrics.currency import Rates
from salesmetrics.engine import compute, select, span
from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import Settings
from salesmetrics.periods import resolve_period
from salesmetrics.report import DataWarning, KpiValue, Skipped
from salesmetrics.targets import KpiTargets, Target
from tests.kpis.frames import AS_OF, OCTOBER, frame


def deals(rows: list[tuple]) -> dict[str, pd.DataFrame]:
    return {"deals": frame("deals", "deal_id status created_at closed_at amount owner", rows)}


BOOK = deals(
    [
        # won in October: 1,000 after 10 days (Ana), 3,000 after 30 days (Ben)
        ("D1", "won", "2026-09-21", "2026-10-01 00:00", 1000.0, "Ana"),
        ("D2", "won", "2026-10-01", "2026-10-31 23:59", 3000.0, "Ben"),
        # lost in October (Ana), lost in November (outside), won in September (outside)
        ("D3", "lost", "2026-09-01", "2026-10-15", 500.0, "Ana"),
        ("D4", "lost", "2026-10-01", "2026-11-01 00:00", 700.0, "Ana"),
        ("D5", "won", "2026-08-01", "2026-09-30 23:59", 9000.0, "Ben"),
        # open deals never count, even with a close date in October
        ("D6", "open", "2026-10-01", "2026-10-20", 8000.0, "Ana"),
    ]
)


CORE = ["deals_won", "deals_lost", "revenue_won", "win_rate", "avg_deal_size", "sales_cycle_days"]


def test_close_kpis_in_total():
    report = compute(BOOK, period=OCTOBER, as_of=AS_OF, kpis=CORE)
    assert report.value("deals_won").value == 2  # D1 (first minute) and D2 (last minute)
    assert report.value("deals_lost").value == 1  # D3; D4 closed at midnight of 1 Nov
    assert report.value("revenue_won").value == 4000.0
    win = report.value("win_rate")
    assert (win.numerator, win.denominator, win.value) == (2.0, 3.0, pytest.approx(2 / 3))
    assert win.small_sample  # 3 closed deals, under the threshold of 20
    assert report.value("avg_deal_size").value == 2000.0
    assert report.value("sales_cycle_days").value == pytest.approx((10 + 30.999305) / 2, abs=1e-3)
    assert report.skipped == ()


def test_ratios_are_sums_over_sums_per_group():
    report = compute(BOOK, period=OCTOBER, as_of=AS_OF, group_by=["owner"])
    ana, ben = report.value("win_rate", owner="Ana"), report.value("win_rate", owner="Ben")
    assert (ana.numerator, ana.denominator, ana.value) == (1.0, 2.0, 0.5)
    assert (ben.numerator, ben.denominator, ben.value) == (1.0, 1.0, 1.0)
    # the total is 2/3, not the mean of 0.5 and 1.0
    assert report.value("win_rate").value == pytest.approx(2 / 3)
    assert report.value("revenue_won", owner="Ben").value == 3000.0


def test_zero_denominator_gives_no_value_and_a_reason():
    # August: a deal created (D5), none closed; inside the data, so measured (June, before
    # the data, has no value at all: test_a_period_outside_an_input_has_no_value)
    report = compute(BOOK, period=resolve_period("2026-08", AS_OF), as_of=AS_OF)
    win = report.value("win_rate")
    assert (win.value, win.denominator, win.note) == (None, 0.0, "no rows in the denominator")
    assert report.value("sales_cycle_days").value is None
    assert report.value("deals_won").value == 0
    assert report.value("revenue_won").value == 0.0


def test_deals_without_amount_do_not_dilute_the_average():
    book = deals(
        [
            ("D1", "won", "2026-10-01", "2026-10-05", 1000.0, "Ana"),
            ("D2", "won", "2026-10-01", "2026-10-06", None, "Ana"),
        ]
    )
    report = compute(book, period=OCTOBER, as_of=AS_OF, kpis=CORE)
    assert report.value("avg_deal_size").value == 1000.0
    assert report.value("deals_won").value == 2


def test_means_and_medians_per_group_leave_out_blanks_and_say_when_none_is_left():
    book = deals(
        [
            ("D1", "won", "2026-10-01", "2026-10-05", 1000.0, "Ana"),
            ("D2", "won", "2026-10-01", "2026-10-06", 3000.0, "Ana"),
            ("D3", "won", "2026-10-01", "2026-10-11", None, "Ana"),
            ("D4", "won", "2026-10-01", "2026-10-21", None, "Ben"),  # won, but no amount
            ("D5", "open", "2026-10-01", None, 500.0, "Cy"),  # no win at all
        ]
    )
    kpis = ["avg_deal_size", "median_deal_size", "sales_cycle_days", "sales_cycle_days_mean"]
    report = compute(book, period=OCTOBER, as_of=AS_OF, group_by=["owner"], kpis=kpis)
    ana = report.value("avg_deal_size", owner="Ana")
    assert (ana.value, ana.n) == (2000.0, 3)  # (1,000 + 3,000) / 2: the blank is left out
    assert report.value("median_deal_size", owner="Ana").value == 2000.0
    assert report.value("sales_cycle_days", owner="Ana").value == 5.0  # median of 4, 5, 10
    assert report.value("sales_cycle_days_mean", owner="Ana").value == pytest.approx(19 / 3)
    ben = report.value("median_deal_size", owner="Ben")
    assert (ben.value, ben.n, ben.note) == (None, 1, "no rows with a value")
    cy = report.value("median_deal_size", owner="Cy")
    assert (cy.value, cy.n, cy.note) == (None, 0, "no rows with a value")
    ben = report.value("avg_deal_size", owner="Ben")  # a ratio: amount over deals with one
    assert (ben.value, ben.n, ben.note) == (None, 1, "no rows in the denominator")
    assert report.value("sales_cycle_days", owner="Ben").value == 20.0


def test_each_distinct_period_is_evaluated_once_in_one_query(monkeypatch):
    # October is the report period and the last trend period, September the comparison
    # period and a trend period: three distinct periods, all in one query
    calls: list[list[str]] = []
    measure_all = duck.measure_all

    def counted(ctx, queries):
        calls.extend([period.label for period, _ in query.slices] for query in queries)
        return measure_all(ctx, queries)

    monkeypatch.setattr(duck, "measure_all", counted)
    report = compute(
        BOOK,
        period=OCTOBER,
        as_of=AS_OF,
        compare="previous",
        trend_periods=3,
        kpis=["deals_won"],
    )
    assert [sorted(labels) for labels in calls] == [["2026-08", "2026-09", "2026-10"]]
    won = report.value("deals_won")
    assert (won.value, won.previous) == (2.0, 1.0)
    assert [p.value for p in won.trend] == [0.0, 1.0, 2.0]


def test_missing_input_skips_the_kpi_with_its_reason():
    book = {"deals": BOOK["deals"].drop(columns=["amount"])}
    report = compute(book, period=OCTOBER, as_of=AS_OF, kpis=CORE)
    assert {s.id: s.reason for s in report.skipped} == {
        "revenue_won": "needs deals.amount",
        "avg_deal_size": "needs deals.amount",
    }
    empty = compute({}, period=OCTOBER, as_of=AS_OF, kpis=["win_rate"])
    assert empty.skipped[0].reason == "needs deals (no deals input)"


SUBSCRIPTIONS = frame(
    "subscriptions",
    "customer_id month mrr plan",
    [
        ("C1", "2026-09-01", 100.0, "Pro"),
        ("C1", "2026-10-01", 120.0, "Pro"),
        ("C2", "2026-10-01", 50.0, "Basic"),
    ],
)


def test_a_kpi_its_rows_cannot_split_keeps_its_total_with_a_note():
    book = {**BOOK, "subscriptions": SUBSCRIPTIONS}
    by_owner = compute(
        book, period=OCTOBER, as_of=AS_OF, group_by=["owner"], kpis=["win_rate", "mrr"]
    )
    assert by_owner.skipped == ()
    reason = "not split by owner: subscriptions carry no owner"
    mrr = by_owner.value("mrr")  # October: C1 120 + C2 50; the total, as without --by
    assert (mrr.value, mrr.note) == (170.0, reason)
    assert [v.group for v in by_owner.values if v.id == "mrr"] == [()]
    assert by_owner.unsplit == (Skipped("mrr", reason),)
    assert by_owner.value("win_rate", owner="Ana").value == 0.5  # win_rate splits as before
    assert by_owner.value("win_rate").note is None
    # by plan it is the other way round; win_rate keeps its total, target and status
    goal = {"win_rate": KpiTargets(Target(0.6, 0.5))}
    by_plan = compute(
        book,
        period=OCTOBER,
        as_of=AS_OF,
        group_by=["plan"],
        kpis=["win_rate", "mrr"],
        targets=goal,
        compare="previous",
    )
    win = by_plan.value("win_rate")  # D1 and D2 won, D3 lost: 2/3
    assert (win.value, win.status) == (pytest.approx(2 / 3), "on_track")
    assert win.previous == 1.0  # D5, won in September
    assert win.note == "not split by plan: deals carry no plan"
    assert by_plan.value("mrr", plan="Pro").value == 120.0
    assert by_plan.value("mrr", plan="Basic").value == 50.0
    # each month of a time breakdown keeps its total too, and a note already there
    quarter = compute(
        book,
        period=resolve_period("2026-Q4", AS_OF),
        as_of=AS_OF,
        group_by=["month", "plan"],
        kpis=["win_rate"],
    )
    assert [v.group for v in quarter.values] == [
        (),
        (("month", "2026-10"),),
        (("month", "2026-11"),),
        (("month", "2026-12"),),
    ]
    assert quarter.value("win_rate", month="2026-11").value == 0.0  # D4, lost 1 November
    december = quarter.value("win_rate", month="2026-12")
    assert december.note == "no rows in the denominator; not split by plan: deals carry no plan"


def test_a_breakdown_no_input_can_give_is_an_error_naming_the_closest():
    with pytest.raises(
        SalesmetricsError, match=r"no input has a `ownr` to break down by; did you mean owner\?"
    ):
        compute(BOOK, period=OCTOBER, as_of=AS_OF, group_by=["ownr"], kpis=["win_rate"])
    with pytest.raises(SalesmetricsError, match=r"no input has a `region` to break down by \("):
        compute(BOOK, period=OCTOBER, as_of=AS_OF, group_by=["region"], kpis=["win_rate"])


def test_inputs_the_kpis_read_without_a_row_in_the_period_are_warned_about():
    surveys = frame("surveys", "responded_at score", [("2026-06-10", 9.0), ("2026-07-02", 6.0)])
    quotas = frame("targets", "period owner amount", [("2026-Q3", "Ana", 100.0)])
    reps = frame("reps", "owner team", [("Ana", "East")])
    book = {**BOOK, "surveys": surveys, "targets": quotas, "reps": reps}
    december = resolve_period("2026-12", AS_OF)
    report = compute(book, period=december, as_of=AS_OF, kpis=["win_rate", "revenue_won"])
    # deals end with D4, closed at midnight on 1 November; quotas with 2026-Q3; surveys are
    # not read by these KPIs, and a roster is never stale
    assert report.warnings == (
        DataWarning(
            "stale_input",
            "deals",
            date(2026, 8, 1),
            date(2026, 11, 1),
            "deals end 2026-11-01; period 2026-12 has no deals",
        ),
        DataWarning(
            "stale_input",
            "targets",
            date(2026, 7, 1),
            date(2026, 9, 30),
            "targets end 2026-09-30; period 2026-12 has no targets for revenue_won",
        ),
    )
    assert report.value("win_rate").value is None
    nps = compute(book, period=december, as_of=AS_OF, kpis=["nps"])
    assert [w.entity for w in nps.warnings] == ["surveys"]
    # revenue_won measured against a target of the config reads no quotas
    own = {"revenue_won": KpiTargets(Target(5000.0))}
    fixed = compute(book, period=december, as_of=AS_OF, kpis=["revenue_won"], targets=own)
    assert [w.entity for w in fixed.warnings] == ["deals"]
    assert compute(book, period=OCTOBER, as_of=AS_OF, kpis=["win_rate"]).warnings == ()


def test_a_kpi_skipped_for_a_field_an_export_lacks_names_the_header_to_add():
    book = {"deals": BOOK["deals"].drop(columns=["created_at"])}
    hints = {"deals.created_at": "Create Date", "leads.first_response_at": "First Response"}
    report = compute(
        book, period=OCTOBER, as_of=AS_OF, kpis=["deals_won", "sales_cycle_days"], hints=hints
    )
    assert [v.value for v in report.values] == [2.0]
    assert report.skipped[0].reason == "needs deals.created_at: add Create Date to the export"
    # a need either of two fields meets names the headers of those the inputs lack
    leads = frame("leads", "created_at", [("2026-10-01",)])
    found = compute(
        {"leads": leads},
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["lead_response_time_hours"],
        hints=hints,
    )
    assert found.skipped[0].reason == (
        "needs activities.lead_id or leads.first_response_at: add First Response to the export"
    )


def test_what_one_input_can_and_cannot_feed():
    # deals without created_at: win_rate is fed, opportunities_created is not (with the
    # header to add); sql_to_demo_rate reads deals only for a lead_id another input may give
    # instead, so this file, without one, is not listed for it
    fed = engine.feeds(
        "deals", BOOK["deals"].drop(columns=["created_at"]), {"deals.created_at": "Create Date"}
    )
    assert "win_rate" in fed.can
    cannot = {s.id: s.reason for s in fed.cannot}
    assert (
        cannot["opportunities_created"] == "needs deals.created_at: add Create Date to the export"
    )
    assert "sql_to_demo_rate" not in fed.can and "sql_to_demo_rate" not in cannot
    assert "lead_response_time_hours" not in fed.can  # reads no deals at all
    with_leads = BOOK["deals"].assign(lead_id="L1")
    assert "sql_to_demo_rate" in engine.feeds("deals", with_leads).can
    # listed: every KPI with a need of deals alone, and only KPIs that read deals
    listed = set(fed.can) | set(cannot)
    reading = {k.id for k in select() if any("deals." in n for n in k.needs)}
    alone = {
        k.id
        for k in select()
        if any(all(o.startswith("deals.") for o in n.split("|")) for n in k.needs)
    }
    assert alone <= listed <= reading


def test_several_currencies_are_never_summed():
    book = {"deals": BOOK["deals"].assign(currency=["USD", "EUR", "USD", "USD", "USD", "USD"])}
    with pytest.raises(SalesmetricsError) as err:
        compute(book, period=OCTOBER, as_of=AS_OF, kpis=["revenue_won"])
    # the two deals won in October: D1 in USD, D2 in EUR
    assert "USD (1 rows)" in str(err.value) and "EUR (1 rows)" in str(err.value)
    assert "rates" in str(err.value)


def test_break_down_by_month_gives_every_month_of_the_period_and_the_total():
    q4 = resolve_period("2026-Q4", AS_OF)
    report = compute(
        BOOK, period=q4, as_of=AS_OF, group_by=["month"], kpis=["deals_won", "deals_lost"]
    )
    won = {
        dict(v.group).get("month", "total"): v.value for v in report.values if v.id == "deals_won"
    }
    # D1 and D2 won in October; nothing in November or December (December is after as_of:
    # the future, not a period the data stops short of); D4 lost on 1 November
    assert won == {"total": 2.0, "2026-10": 2.0, "2026-11": 0.0, "2026-12": 0.0}
    assert report.value("deals_lost", month="2026-11").value == 1.0


def test_break_down_by_fiscal_quarter_and_by_owner_and_month():
    year = resolve_period("2027", AS_OF, fiscal_start_month=4)  # 2026-04-01 .. 2027-03-31
    report = compute(
        BOOK,
        period=year,
        as_of=AS_OF,
        group_by=["quarter"],
        kpis=["deals_won"],
        fiscal_start_month=4,
    )
    # fiscal Q2 is Jul-Sep (D5), Q3 is Oct-Dec (D1, D2)
    assert report.value("deals_won", quarter="2027-Q2").value == 1.0
    assert report.value("deals_won", quarter="2027-Q3").value == 2.0
    both = compute(
        BOOK, period=OCTOBER, as_of=AS_OF, group_by=["owner", "month"], kpis=["revenue_won"]
    )
    assert both.value("revenue_won", owner="Ben", month="2026-10").value == 3000.0
    assert both.value("revenue_won", owner="Ben").value == 3000.0  # the period's own breakdown
    with pytest.raises(SalesmetricsError, match="one of month, week, quarter"):
        compute(BOOK, period=OCTOBER, as_of=AS_OF, group_by=["month", "week"])


def test_weeks_are_cut_to_the_period():
    report = compute(BOOK, period=OCTOBER, as_of=AS_OF, group_by=["week"], kpis=["deals_won"])
    weeks = [dict(v.group)["week"] for v in report.values if v.group]
    # 1 October 2026 is a Thursday in ISO week 40; 31 October a Saturday in week 44
    assert weeks == ["2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44"]
    assert report.value("deals_won", week="2026-W40").value == 1.0  # D1, 1 Oct
    assert report.value("deals_won", week="2026-W44").value == 1.0  # D2, 31 Oct 23:59


def test_comparison_with_the_previous_period_and_a_year_earlier():
    report = compute(BOOK, period=OCTOBER, as_of=AS_OF, compare="previous")
    won = report.value("deals_won")  # October 2 (D1, D2) against September 1 (D5)
    assert (won.previous, won.change, won.change_pct) == (1.0, 1.0, 1.0)
    revenue = report.value("revenue_won")  # 4,000 against 9,000
    assert (revenue.previous, revenue.change) == (9000.0, -5000.0)
    assert revenue.change_pct == pytest.approx(-5000 / 9000)
    assert report.comparison is not None and report.comparison.label == "2026-09"
    # October 2025 is before the deals' first day (2026-08-01): unknown, not 0
    yearly = compute(BOOK, period=OCTOBER, as_of=AS_OF, compare="year").value("deals_won")
    assert (yearly.previous, yearly.change, yearly.change_pct) == (None, None, None)
    assert yearly.note == "no comparison: deals start 2026-08-01; period 2025-10 has no deals"
    assert not yearly.maturing
    win = compute(BOOK, period=OCTOBER, as_of=AS_OF, compare="year").value("win_rate")
    assert (win.previous, win.change) == (None, None)  # no value a year earlier


def test_comparison_per_month_bucket():
    q4 = resolve_period("2026-Q4", AS_OF)
    report = compute(
        BOOK, period=q4, as_of=AS_OF, group_by=["month"], compare="previous", kpis=["deals_won"]
    )
    october = report.value("deals_won", month="2026-10")
    assert (october.value, october.previous) == (2.0, 1.0)  # against September
    assert not october.maturing and october.note is None
    # the deals end 2026-11-01 (D4's close): Q4 has 32 of its 92 days, and is compared with
    # Q3's first 32 days, 1 July to 1 August: none won then (D5 was won 30 September)
    total = report.value("deals_won")
    assert (total.value, total.previous, total.maturing) == (2.0, 0.0, True)
    assert total.note == (
        "deals end 2026-11-01: 32 of 92 days; compared with the same days of 2026-Q3"
    )
    # November's 1 day against 1 October: D1, won at its first minute
    november = report.value("deals_won", month="2026-11")
    assert (november.value, november.previous, november.maturing) == (0.0, 1.0, True)


def test_trend_gives_the_last_n_periods_oldest_first():
    report = compute(BOOK, period=OCTOBER, as_of=AS_OF, trend_periods=3, kpis=["deals_won"])
    points = report.value("deals_won").trend
    assert [(p.period, p.value) for p in points] == [
        ("2026-08", 0.0),
        ("2026-09", 1.0),
        ("2026-10", 2.0),
    ]
    assert [p.label for p in report.trend] == ["2026-08", "2026-09", "2026-10"]


def test_targets_give_a_status_higher_or_lower_being_better():
    targets = {
        "win_rate": KpiTargets(Target(0.7, 0.6), {("owner", "Ana"): Target(0.5)}),
        "sales_cycle_days": KpiTargets(Target(15, 25)),
    }
    report = compute(BOOK, period=OCTOBER, as_of=AS_OF, group_by=["owner"], targets=targets)
    win = report.value("win_rate")  # 2/3 is short of 0.7 but above the warning level 0.6
    assert (win.target, win.status) == (0.7, "at_risk")
    assert report.value("win_rate", owner="Ana").status == "on_track"  # 1/2 reaches 0.5
    assert report.value("win_rate", owner="Ben").status is None  # no target for Ben
    cycle = report.value("sales_cycle_days")  # about 20.5 days: over 15, within 25
    assert cycle.status == "at_risk"
    lower = {"sales_cycle_days": KpiTargets(Target(10, 15))}
    assert (
        compute(BOOK, period=OCTOBER, as_of=AS_OF, targets=lower).value("sales_cycle_days").status
        == "off_track"
    )


def test_revenue_is_measured_against_quotas_from_the_targets_entity():
    quotas = frame(
        "targets",
        "period owner metric amount",
        [
            ("2026-Q4", "Ana", "quota", 9200.0),
            ("2026-Q4", "Ben", "quota", 9200.0),
            ("2026-Q3", "Ana", "quota", 100.0),
            ("2026-Q4", None, "forecast", 50000.0),
        ],
    )
    book = {**BOOK, "targets": quotas}
    report = compute(book, period=OCTOBER, as_of=AS_OF, group_by=["owner"], kpis=["revenue_won"])
    # October holds 31 of Q4's 92 days: 9,200 x 31/92 = 3,100 per rep; Q3 and forecasts do not count
    total = report.value("revenue_won")
    assert total.target == pytest.approx(6200.0) and total.status == "off_track"  # 4,000
    ben = report.value("revenue_won", owner="Ben")  # 3,000 of 3,100: within 90%
    assert ben.target == pytest.approx(3100.0) and ben.status == "at_risk"
    assert report.value("revenue_won", owner="Ana").status == "off_track"  # 1,000


def test_currencies_are_converted_before_summing():
    currencies = ["USD", "EUR", "USD", "USD", "USD", "USD"]  # D2 (3,000, won 31 Oct) is in EUR
    book = {"deals": BOOK["deals"].assign(currency=currencies)}
    fixed = compute(
        book, period=OCTOBER, as_of=AS_OF, kpis=["revenue_won"], rates=Rates("USD", {"EUR": 1.1})
    )
    assert fixed.value("revenue_won").value == pytest.approx(1000 + 3300)
    assert fixed.currency == "USD"
    # a month without its own rate takes the latest earlier one (September's 1.2)
    monthly = Rates("USD", monthly={"EUR": {"2026-09": 1.2, "2026-12": 1.0}})
    assert compute(book, period=OCTOBER, as_of=AS_OF, kpis=["revenue_won"], rates=monthly).value(
        "revenue_won"
    ).value == pytest.approx(1000 + 3600)
    late = Rates("USD", monthly={"EUR": {"2026-11": 1.0}})
    with pytest.raises(
        SalesmetricsError, match=r"rates.EUR: 1 deals rows in EUR dated before 2026-11"
    ):
        compute(book, period=OCTOBER, as_of=AS_OF, kpis=["revenue_won"], rates=late)
    blank = {"deals": BOOK["deals"].assign(currency=[None, "EUR", None, None, None, None])}
    assert compute(
        blank, period=OCTOBER, as_of=AS_OF, kpis=["revenue_won"], rates=Rates("USD", {"EUR": 2.0})
    ).value("revenue_won").value == pytest.approx(
        1000 + 6000
    )  # a blank currency is the reporting currency


def test_a_currency_without_a_rate_is_an_error_listing_it():
    book = {"deals": BOOK["deals"].assign(currency=["USD", "EUR", "SEK", "SEK", "USD", "USD"])}
    with pytest.raises(SalesmetricsError) as err:
        compute(book, period=OCTOBER, as_of=AS_OF, rates=Rates("USD", {}))
    assert str(err.value) == (
        "no USD rate for EUR (1 rows in deals); SEK (2 rows in deals); "
        "add each under `rates:` in the report config"
    )


def test_a_group_with_no_rows_in_the_period_still_appears():
    extra = frame(
        "deals",
        "deal_id status created_at closed_at amount owner",
        [("D7", "open", "2026-10-02", None, 50.0, "Cy")],
    )
    book = {"deals": pd.concat([BOOK["deals"], extra], ignore_index=True)}
    report = compute(book, period=OCTOBER, as_of=AS_OF, group_by=["owner"])
    assert report.value("deals_won", owner="Cy").value == 0.0
    assert report.value("revenue_won", owner="Cy").value == 0.0
    cy = report.value("win_rate", owner="Cy")
    assert (cy.value, cy.note) == (None, "no rows in the denominator")


def test_teams_come_from_the_reps_roster():
    reps = frame(
        "reps",
        "owner team started_at",
        [("Ana", "East", "2020-01-01"), ("Ben", "West", "2020-01-01")],
    )
    report = compute(
        {**BOOK, "reps": reps}, period=OCTOBER, as_of=AS_OF, group_by=["team"], kpis=["revenue_won"]
    )
    assert report.value("revenue_won", team="East").value == 1000.0
    assert report.value("revenue_won", team="West").value == 3000.0


def test_selection_by_id_or_stage_and_strict_mode():
    assert [k.id for k in select(["win_rate", "deals_won"])] == [
        "deals_won",
        "win_rate",
    ]  # catalogue order
    close = select(stages=["close"])
    assert {"deals_won", "win_rate"} <= {k.id for k in close} and {k.stage for k in close} == {
        "close"
    }
    with pytest.raises(SalesmetricsError, match="unknown KPI 'win_rat'; did you mean win_rate"):
        select(["win_rat"])
    with pytest.raises(SalesmetricsError, match="unknown stage 'closing'"):
        select(stages=["closing"])
    book = {"deals": BOOK["deals"].drop(columns=["amount"])}
    with pytest.raises(
        SalesmetricsError,
        match=re.escape("strict mode: 1 KPIs cannot be computed: revenue_won: needs deals.amount"),
    ):
        compute(book, period=OCTOBER, as_of=AS_OF, kpis=["revenue_won", "deals_won"], strict=True)


def test_span_covers_event_dates():
    assert span(BOOK) == (date(2026, 8, 1), date(2026, 11, 1))
    assert span({}) is None


def test_a_split_kpi_without_rows_gives_one_value_saying_so():
    august = resolve_period("2026-08", AS_OF)  # no deal lost in August
    reasons = [None, None, "Price", "Timing", None, None]  # D3 lost for price in October
    book = {"deals": BOOK["deals"].assign(lost_reason=pd.array(reasons, dtype="string[pyarrow]"))}
    report = compute(book, period=august, as_of=AS_OF, kpis=["lost_reasons"])
    empty = report.value("lost_reasons")
    assert (empty.value, empty.note, empty.n) == (None, "no rows in the period", 0)
    assert report.categories("lost_reasons") == {}
    october = compute(book, period=OCTOBER, as_of=AS_OF, kpis=["lost_reasons"])
    assert list(october.categories("lost_reasons")) == ["Price"]


def test_a_measure_the_report_gives_reaches_every_group_even_an_empty_one():
    # market_penetration reads the addressable market the report gives (Rows.given): Cy's group has
    # no won deal in October, yet its value is 0 of the market, not unknown
    extra = frame("deals", "deal_id status created_at closed_at amount owner account_id",
                  [("D7", "open", "2026-10-02", None, 50.0, "Cy", "A9")])  # fmt: skip
    accounts = BOOK["deals"].assign(
        account_id=pd.array(["A1", "A2", "A3", "A4", "A5", "A6"], dtype="string[pyarrow]")
    )
    book = {"deals": pd.concat([accounts, extra], ignore_index=True)}
    report = compute(book, period=OCTOBER, as_of=AS_OF, group_by=["owner"],
                     kpis=["market_penetration"], settings=Settings(addressable_market=100))  # fmt: skip
    # won by the end of October: D1 (A1, Ana), D2 (A2, Ben), D5 (A5, Ben, in September)
    assert report.value("market_penetration").value == pytest.approx(3 / 100)
    assert report.value("market_penetration", owner="Ben").value == pytest.approx(2 / 100)
    cy = report.value("market_penetration", owner="Cy")
    assert (cy.value, cy.denominator) == (0.0, 100.0)


@pytest.fixture(scope="module")
def sample_frames():
    """The sample company's canonical frames and its report config."""
    import contextlib
    from pathlib import Path

    from salesmetrics.config import load_config
    from salesmetrics.pipeline import frames_of, load_inputs

    with contextlib.chdir(Path(__file__).parents[1]):
        config = load_config("sample_data/report.yaml")
        return frames_of(load_inputs(config.inputs)), config


@pytest.mark.parametrize(
    "absent",
    [
        {"deals": ["deal_id"], "leads": ["lead_id"]},
        {"deals": ["created_at"], "leads": ["created_at"]},
        {"deals": ["amount"], "activities": ["duration_minutes"]},
    ],
    ids=["ids", "creation dates", "amounts and durations"],
)
def test_every_kpi_runs_or_says_what_it_needs_when_an_optional_field_is_absent(
    sample_frames, absent
):
    # a KPI that reads a field must declare it in its needs: it is then skipped, saying so,
    # where it would otherwise fail on the missing column
    frames, config = sample_frames
    lacking = {**frames, **{e: frames[e].drop(columns=c) for e, c in absent.items()}}
    report = compute(lacking, period=OCTOBER, as_of=AS_OF, rates=config.rates)
    gone = {f"{e}.{c}" for e, cs in absent.items() for c in cs}
    skipped = {s.id: s.reason for s in report.skipped}
    for kpi in select():
        needs_gone = [n for n in kpi.needs if n.rstrip("?") in gone]
        if needs_gone:
            assert skipped[kpi.id] == f"needs {needs_gone[0]}", kpi.id
        else:
            assert kpi.id not in skipped or not any(g in skipped[kpi.id] for g in gone), kpi.id
    assert len({v.id for v in report.values}) + len(skipped) == len(select())


# maturing cohorts and the same-age view

COHORTS = {
    "leads": frame(
        "leads",
        "lead_id created_at",
        [
            ("L0", "2026-08-20"),  # August: its deal 10 days after August's end
            ("L1", "2026-09-05"),  # September: deals 20 days before, 20 and 36 days after
            ("L2", "2026-09-10"),  # its end, and one lead without a deal
            ("L3", "2026-09-15"),
            ("L4", "2026-09-25"),
            ("L5", "2026-10-03"),  # October: a deal before its end and one 2 days after
            ("L6", "2026-10-12"),
            ("L7", "2026-10-20"),
            ("L8", "2026-10-28"),
        ],
    ),
    "deals": frame(
        "deals",
        "deal_id lead_id status created_at",
        [
            ("D0", "L0", "open", "2026-09-10"),
            ("D1", "L1", "open", "2026-09-20"),
            ("D2", "L2", "open", "2026-10-20"),
            ("D3", "L3", "open", "2026-11-05"),  # the data's last day
            ("D5", "L5", "open", "2026-10-10"),
            ("D6", "L6", "open", "2026-11-02"),
        ],
    ),
}
LATER = date(2026, 11, 10)  # as_of: after the data's end (2026-11-05), the cutoff


def _cohorts(period: str = "2026-10", **options) -> KpiValue:
    report = compute(
        COHORTS,
        period=resolve_period(period, LATER),
        as_of=LATER,
        compare="previous",
        trend_periods=3,
        kpis=["lead_to_opportunity_rate"],
        **options,
    )
    return report.value("lead_to_opportunity_rate")


def test_a_maturing_cohort_is_compared_with_the_previous_one_at_the_same_age():
    # October's cohort has had 5 days (the data ends 2026-11-05, before as_of) of its 60:
    # L5 and L6 have a deal, 2 of 4. September at the same age, up to 2026-10-05: only L1
    # (L2's deal came 2026-10-20, L3's 2026-11-05): 1 of 4, not the 3 of 4 it has today
    value = _cohorts()
    assert value.maturing
    assert (value.numerator, value.denominator, value.value) == (2.0, 4.0, 0.5)
    assert value.previous == 0.25
    assert value.change == 0.25
    # the trend same-aged too: August up to 2026-09-05 (L0's deal came 2026-09-10): 0 of 1
    assert [p.value for p in value.trend] == [0.0, 0.25, 0.5]


def test_by_month_each_maturing_month_is_compared_with_the_month_before_at_the_same_age():
    # Q4 by month, seen with the data ending 2026-11-05: October's bucket has had 5 days, so
    # September is counted up to 2026-10-05 (L1's deal only: 1 of 4, not the 3 of 4 it has
    # in full); November's bucket has no lead yet (no value) and December is after the data
    report = compute(
        COHORTS,
        period=resolve_period("2026-Q4", LATER),
        as_of=LATER,
        compare="previous",
        group_by=["month"],
        kpis=["lead_to_opportunity_rate"],
    )
    october = report.value("lead_to_opportunity_rate", month="2026-10")
    assert october.maturing
    assert (october.numerator, october.denominator, october.value) == (2.0, 4.0, 0.5)
    assert (october.previous, october.change) == (0.25, 0.25)
    # the same bucket settled (a 5-day window: 5 days old is mature): September in full
    settled = compute(
        COHORTS,
        period=resolve_period("2026-Q4", LATER),
        as_of=LATER,
        compare="previous",
        group_by=["month"],
        kpis=["lead_to_opportunity_rate"],
        settings=Settings(conversion_windows={"lead_to_opportunity_rate": 5}),
    ).value("lead_to_opportunity_rate", month="2026-10")
    assert not settled.maturing
    assert (settled.value, settled.previous) == (0.5, 0.75)


def test_a_mature_cohort_is_not_marked_and_compared_with_all_the_data():
    # with a 30-day window September (36 days old) is mature: August in full, L0's deal counts
    value = _cohorts(
        "2026-09", settings=Settings(conversion_windows={"lead_to_opportunity_rate": 30})
    )
    assert not value.maturing
    assert (value.value, value.previous) == (0.75, 1.0)
    assert [p.value for p in value.trend] == [None, 1.0, 0.75]  # July: no leads


def test_a_period_after_the_data_is_not_same_aged_to_nothing():
    # the week of 9 November starts after the data's end (5 November): nothing in it can
    # mature, and its inputs are stale (warned of); the week before is compared in full, not
    # at a negative age that would count none of its conversions
    after = _cohorts("2026-W46")
    assert not after.maturing
    assert after.previous == _cohorts("2026-W45").value


def test_a_maturing_value_gets_no_status_so_fail_on_is_not_tripped():
    goal = {"lead_to_opportunity_rate": KpiTargets(Target(0.9, 0.8))}
    value = _cohorts(targets=goal)
    assert value.maturing and value.target == 0.9 and value.status is None
    settled = _cohorts(
        targets=goal, settings=Settings(conversion_windows={"lead_to_opportunity_rate": 5})
    )
    assert not settled.maturing and settled.status == "off_track"  # 5 days: mature, judged


def test_a_snapshot_of_a_period_not_over_is_maturing():
    # the pipeline at the end of November, seen on 2026-11-10: deals may still open or close
    report = compute(
        BOOK, period=resolve_period("2026-11", AS_OF), as_of=date(2026, 11, 10),
        compare="previous", kpis=["pipeline_value", "win_rate"],
    )  # fmt: skip
    assert report.value("pipeline_value").maturing
    assert not report.value("win_rate").maturing
    october = compute(BOOK, period=OCTOBER, as_of=AS_OF, kpis=["pipeline_value"])
    assert not october.value("pipeline_value").maturing


# the data's edges: totals cut at its end, periods outside it

LEADS = {
    "leads": frame(
        "leads",
        "lead_id created_at",
        [
            ("L1", "2026-07-05"),  # the leads' first day
            ("L2", "2026-08-15"),
            ("L3", "2026-09-10"),
            ("L4", "2026-09-20"),
            ("L5", "2026-10-03"),
            ("L6", "2026-10-31"),  # their last day
        ],
    )
}


def test_a_total_cut_at_the_data_s_end_is_compared_with_the_same_days_and_not_judged():
    # Q4 seen on 23 November has leads up to 31 October: 31 of its 92 days. It is compared
    # with Q3's first 31 days (1 to 31 July: L1), not with all of Q3 (4 leads): 2 against 1,
    # not a fall of 50%; the trend is of the same days of each quarter; and a total still
    # growing is marked maturing: no colour on its change, no status against its target
    report = compute(
        LEADS,
        period=resolve_period("2026-Q4", AS_OF),
        as_of=AS_OF,
        compare="previous",
        trend_periods=2,
        kpis=["leads_created"],
        targets={"leads_created": KpiTargets(Target(3.0))},
    )
    leads = report.value("leads_created")
    assert (leads.value, leads.previous, leads.change) == (2.0, 1.0, 1.0)
    assert [p.value for p in leads.trend] == [1.0, 2.0]
    assert leads.maturing and (leads.target, leads.status) == (3.0, None)
    assert (
        leads.note == "leads end 2026-10-31: 31 of 92 days; compared with the same days of 2026-Q3"
    )
    # Q3 itself is whole: compared with all of Q2, which is before the leads (unknown)
    q3 = compute(
        LEADS,
        period=resolve_period("2026-Q3", AS_OF),
        as_of=AS_OF,
        compare="previous",
        kpis=["leads_created"],
    ).value("leads_created")
    assert (q3.value, q3.previous, q3.maturing) == (4.0, None, False)


def test_a_running_period_is_taken_up_to_as_of_and_its_total_has_no_status():
    # October seen on the 20th: D1 (1,000, won 1 October) is in; D2, won on the 31st, is not
    # yet. September's first 20 days won nothing (D5 was won on the 30th). Against a quota of
    # 6,200 the pace is 4,000 by the 20th (20 of 31 days): the summary says behind, and the
    # value, still growing, gets no status to say otherwise
    from salesmetrics.summary import summarise

    report = compute(
        BOOK,
        period=OCTOBER,
        as_of=date(2026, 10, 20),
        compare="previous",
        kpis=["revenue_won"],
        targets={"revenue_won": KpiTargets(Target(6200.0, 5580.0))},
    )
    won = report.value("revenue_won")
    assert (won.value, won.previous, won.maturing, won.status) == (1000.0, 0.0, True, None)
    assert won.note == "as of 2026-10-20: 20 of 31 days; compared with the same days of 2026-09"
    pace = summarise(report).pace
    assert pace is not None
    assert (pace.bookings, pace.quota) == (1000.0, 6200.0)
    assert pace.expected == pytest.approx(4000.0)


def test_a_comparison_period_before_the_data_has_no_value_and_says_why():
    # June is before the leads' first day (5 July): July's 1 lead is not a rise from 0
    july = compute(
        LEADS,
        period=resolve_period("2026-07", AS_OF),
        as_of=AS_OF,
        compare="previous",
        trend_periods=2,
        kpis=["leads_created"],
    ).value("leads_created")
    assert (july.value, july.previous, july.change, july.change_pct) == (1.0, None, None, None)
    assert july.note == "no comparison: leads start 2026-07-05; period 2026-06 has no leads"
    assert [p.value for p in july.trend] == [None, 1.0]
    # the week of 29 June to 5 July is partly before them: counted on its 1 covered day (L1),
    # and the change is not judged
    week = compute(
        LEADS,
        period=resolve_period("2026-W28", AS_OF),
        as_of=AS_OF,
        compare="previous",
        kpis=["leads_created"],
    ).value("leads_created")
    assert (week.value, week.previous, week.maturing) == (0.0, 1.0, True)
    assert week.note == "2026-W27: leads start 2026-07-05: 1 of 7 days"


def test_a_period_after_the_data_has_no_value_snapshots_included():
    # the deals end 1 November (D4's close): December has no deal, so the deals won are not
    # 0 and the pipeline at its end is not the last one known; each says why, with no change
    # and no status
    report = compute(
        BOOK,
        period=resolve_period("2026-12", AS_OF),
        as_of=date(2027, 1, 5),
        compare="previous",
        kpis=["deals_won", "revenue_won", "pipeline_value", "win_rate"],
        targets={"revenue_won": KpiTargets(Target(1000.0))},
    )
    why = "deals end 2026-11-01; period 2026-12 has no deals"
    for kpi in ("deals_won", "revenue_won", "pipeline_value", "win_rate"):
        value = report.value(kpi)
        assert (value.value, value.change, value.status, value.note) == (None, None, None, why)
        assert not value.maturing
    assert report.value("pipeline_value").previous == 8000.0  # D6, open at November's end
    assert [w.code for w in report.warnings] == ["stale_input"]


RUNNING = {
    "leads": frame(
        "leads",
        "lead_id created_at",
        [
            ("S1", "2026-09-03"),  # September: a deal 5 days later
            ("S2", "2026-09-05"),  # a deal on the 15th
            ("S3", "2026-09-20"),  # created after the 10th: not in September at October's age
            ("S4", "2026-09-25"),
            ("O1", "2026-10-02"),  # October, up to as_of: a deal on the 5th
            ("O2", "2026-10-08"),
            ("O3", "2026-10-10"),
        ],
    ),
    "deals": frame(
        "deals",
        "deal_id lead_id status created_at",
        [
            ("D1", "S1", "open", "2026-09-08"),
            ("D2", "S2", "open", "2026-09-15"),
            ("D3", "S3", "open", "2026-09-22"),
            ("D4", "O1", "open", "2026-10-05"),
        ],
    ),
}


def test_a_running_cohort_is_compared_with_the_earlier_one_as_it_stood_as_many_days_in():
    # October seen on the 10th (the data's last day) is 10 days in: 1 of its 3 leads has a
    # deal. September 10 days in held S1 and S2 (S3, S4 did not exist yet), and S1 had its
    # deal: 1 of 2, not 1 of 4
    value = compute(
        RUNNING,
        period=resolve_period("2026-10", AS_OF),
        as_of=date(2026, 10, 10),
        compare="previous",
        trend_periods=2,
        kpis=["lead_to_opportunity_rate"],
    ).value("lead_to_opportunity_rate")
    assert value.maturing
    assert (value.numerator, value.denominator) == (1.0, 3.0)
    assert value.previous == 0.5
    assert [p.value for p in value.trend] == [0.5, pytest.approx(1 / 3)]


def test_the_sample_company_at_the_data_s_edges(sample_frames):
    frames, config = sample_frames

    def value(period: str, as_of: date, kpi: str) -> KpiValue:
        return compute(
            frames,
            period=resolve_period(period, as_of),
            as_of=as_of,
            compare="previous",
            kpis=[kpi],
            rates=config.rates,
        ).value(kpi)

    # Q4 seen mid-November: October's leads against July's, not against all of Q3
    leads = value("2026-Q4", date(2026, 11, 15), "leads_created")
    q3 = value("2026-Q3", date(2026, 11, 15), "leads_created")
    assert leads.maturing and leads.note.startswith("leads end 2026-10-31: 31 of 92 days")
    assert leads.previous == value("2026-07", date(2026, 11, 15), "leads_created").value
    assert leads.previous < q3.value
    # January 2025 against December 2024, before the data: no change, no status
    for kpi in ("revenue_won", "pipeline_value", "pipeline_coverage"):
        first = value("2025-01", date(2026, 11, 15), kpi)
        assert (first.previous, first.change) == (None, None), kpi
        assert "no comparison: deals start 2025-01-" in str(first.note), kpi
    # November 2026, after the data: nothing measured (the deals' expected close dates, which
    # run later, are plans and do not stretch the data)
    for kpi in ("revenue_won", "pipeline_value", "pipeline_coverage", "overdue_deals"):
        after = value("2026-11", date(2026, 12, 1), kpi)
        assert (after.value, after.status) == (None, None), kpi
        assert after.note == "deals end 2026-10-31; period 2026-11 has no deals"
