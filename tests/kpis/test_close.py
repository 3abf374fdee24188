"""Close-stage KPIs on a tiny deal book whose answers are worked out by hand in each test.

The six original close KPIs are tested in tests/test_engine.py; these are the ones added since.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from salesmetrics import duck
from salesmetrics.currency import Rates
from salesmetrics.engine import compute
from salesmetrics.errors import SalesmetricsError
from salesmetrics.explain import COUNTED, explain
from salesmetrics.kpis.base import Settings
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.kpis.close import FUNNEL, KPIS, OPEN_STAGES
from salesmetrics.kpis.views import reached
from salesmetrics.periods import between, resolve_period
from tests.kpis.frames import AS_OF, JUNE, NOVEMBER, OCTOBER, Q4, SEPTEMBER, context, frame

DECEMBER = resolve_period("2026-12", AS_OF)

COLUMNS = (
    "deal_id status stage created_at closed_at expected_close_at amount probability owner "
    "lost_reason entered_demo entered_proposal entered_negotiation entered_won"
)
# fmt: off
DEALS = frame("deals", COLUMNS, [
    # closed in October (the first minute, the last minute, and between)
    ("D1", "won", "won", "2026-09-21 00:00", "2026-10-01 00:00", "2026-10-01 00:00", 1000.0, 1.0, "Ana", None, None, "2026-09-25", None, "2026-10-01 00:00"),
    ("D2", "won", "won", "2026-10-01 23:59", "2026-10-31 23:59", "2026-10-31 23:59", 3000.0, 1.0, "Ben", None, None, None, "2026-10-20", "2026-10-31 23:59"),
    ("D3", "lost", "lost", "2026-09-01", "2026-10-15", "2026-10-15", 500.0, 0.0, "Ana", "Price", None, None, None, None),
    ("D5", "won", "won", "2026-09-25 12:00", "2026-10-20 12:00", "2026-10-20 12:00", None, 1.0, "Ben", None, None, None, None, "2026-10-20 12:00"),
    ("D6", "lost", "lost", "2026-10-05", "2026-10-25", "2026-10-25", 2500.0, 0.0, "Ben", None, None, None, None, None),
    ("D7", "lost", "lost", "2026-08-01", "2026-10-31 23:59", "2026-10-31 23:59", 1500.0, 0.0, "Cy", "  ", None, None, "2026-10-10", None),
    ("D10", "won", "won", "2026-10-02", "2026-10-12", "2026-10-12", 800.0, 1.0, "Cy", None, "2026-10-05", None, None, "2026-10-12"),
    # closed at midnight of 1 November: open at the end of October
    ("D4", "lost", "lost", "2026-10-01", "2026-11-01 00:00", "2026-12-01 00:00", 700.0, 0.0, "Ana", "Price", "2026-10-05", None, None, None),
    ("D9", "won", "won", "2026-09-01", "2026-11-01 00:00", "2026-11-30 23:59", 5000.0, 1.0, "Cy", None, None, "2026-10-20", "2026-11-01 00:00", "2026-11-01 00:00"),
    # closed in September
    ("D8", "won", "won", "2026-08-01", "2026-09-30 23:59", "2026-09-30 23:59", 9000.0, 1.0, "Ben", None, None, "2026-09-10", None, "2026-09-30 23:59"),
    # open today
    ("O1", "open", "proposal", "2026-10-10", None, "2026-11-01 00:00", 4000.0, 0.5, "Ana", None, None, "2026-10-15", None, None),
    ("O2", "open", "demo", "2026-09-15", None, "2026-10-20", 2000.0, None, "Ben", None, "2026-09-20", None, None, None),
    ("O3", "open", "prospecting", "2026-11-01 00:00", None, "2026-11-20", 10000.0, 0.1, "Dee", None, None, None, None, None),
    ("O4", "open", "qualification", "2026-10-31 23:59", None, "2026-10-31 23:00", 1000.0, 0.2, "Ana", None, None, None, None, None),
]).assign(currency="USD")
# fmt: on
# Closed in October: D1, D2, D5, D10 won (D5 without an amount); D3, D6, D7 lost.
# Open at the end of October (created before 1 Nov, not closed by then): O1, O2, O4, D4, D9;
# O3 is created at midnight of 1 November. Dee's only deal is O3: no rows in October.

# Q4 has 92 days: Ana's 9200 is 3100 in October and 3000 in November; Ben's 4600 is 1550, 1500.
TARGETS = frame(
    "targets",
    "period amount owner metric currency",
    [
        ("2026-Q4", 9200.0, "Ana", "quota", "USD"),
        ("2026-Q4", 4600.0, "Ben", "quota", "USD"),
        ("2026-11", 1500.0, "Cy", "quota", "USD"),
        ("2026-10", 1000.0, "Ana", "quota", "USD"),  # October only
        ("2026-Q4", 9200.0, None, "forecast", "USD"),  # 3100 in October, 3000 in November
        ("2026-10", 2400.0, "Ben", "forecast", "USD"),
    ],
)
BOOK = {"deals": DEALS, "targets": TARGETS}
CHANCES = Settings(stage_probabilities={"demo": 0.6, "proposal": 0.8, "negotiation": 0.9})


def run(*ids: str, period=OCTOBER, book=None, **options):
    return compute(
        BOOK if book is None else book, period=period, as_of=AS_OF, kpis=list(ids), **options
    )


def test_every_kpi_is_declared_once_in_the_catalogue():
    ids = [k.id for k in KPIS]
    assert ids == [
        "deals_won",
        "deals_lost",
        "revenue_won",
        "win_rate",
        "avg_deal_size",
        "sales_cycle_days",
        "win_rate_by_amount",
        "median_deal_size",
        "sales_cycle_days_mean",
        "quote_to_close_rate",
        "stage_conversion",
        "lost_reasons",
        "pipeline_value",
        "weighted_pipeline",
        "pipeline_coverage",
        "overdue_deals",
        "overdue_deals_value",
        "sales_velocity",
        "forecast_accuracy",
        "revenue_per_account",
        "negotiations_initiated",
    ]
    assert all(CATALOGUE[i].stage == "close" for i in ids)
    assert OPEN_STAGES == ("prospecting", "qualification", "demo", "proposal", "negotiation")
    assert FUNNEL[-1] == "won" and FUNNEL[:-1] == OPEN_STAGES
    # the seeds' words: "quick-turnaround consumer goods may see cycles of just days, whereas
    # high-value enterprise software sales might take 6-12 months"; "a few weeks for simple
    # products to several months or even years for complex solutions" (seed 2)
    CYCLE = (
        "days for quick-turnaround consumer goods, a few weeks for simple products, 6-12 "
        "months or more for enterprise software and complex solutions"
    )
    assert {k.id: k.benchmark for k in KPIS if k.benchmark} == {
        "win_rate": "around 30% (opportunity win rate); 10-15% of B2B opportunities lead to sales",
        "quote_to_close_rate": "around 30% (quote to close ratio); 30-50% (quote conversion rate)",
        "sales_cycle_days": CYCLE,
        "sales_cycle_days_mean": CYCLE,
        "pipeline_coverage": "3-4x",
        "forecast_accuracy": "80-90%",
    }


def test_every_new_kpi_computes_on_the_book_without_being_skipped():
    ids = [k.id for k in KPIS]
    accounts = DEALS.assign(account_id=DEALS["deal_id"])  # revenue_per_account's one need more
    report = run(*ids, settings=CHANCES, book={**BOOK, "deals": accounts})
    assert report.skipped == ()
    assert {v.id for v in report.values} == set(ids)


# win_rate_by_amount


def test_win_rate_by_amount_leaves_out_deals_without_an_amount():
    found = run("win_rate_by_amount").value("win_rate_by_amount")
    # won 1000 + 3000 + 800 (D5 has no amount) / (4800 + lost 500 + 2500 + 1500 = 9300);
    # D4 and D9 close at midnight of 1 November, D8 at 23:59 on 30 September
    assert (found.numerator, found.denominator) == (4800.0, 9300.0)
    assert found.value == pytest.approx(4800 / 9300)
    assert found.n == 6 and found.small_sample  # 6 rows, judged by rows as the sums are money
    assert found.note == "closed deals with no amount (blank or 0) left out: 1"  # D5


def test_win_rate_by_amount_leaves_out_lost_deals_at_0():
    # D3 and D6 lost with amount 0 (nobody priced them): they would make Ana 1000 / 1000 and
    # Ben 3000 / 3000; left out, with D5 (blank), and counted in the note
    priced = DEALS["deal_id"].isin(["D3", "D6"]).to_numpy()
    zeroed = DEALS.assign(amount=DEALS["amount"].mask(priced, 0.0))
    report = compute(
        {"deals": zeroed},
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["win_rate_by_amount"],
        group_by=["owner"],
    )
    found = report.value("win_rate_by_amount")
    # won 1000 + 3000 + 800 / (4800 + D7's 1500)
    assert (found.numerator, found.denominator, found.n) == (4800.0, 6300.0, 4)
    assert found.note == "closed deals with no amount (blank or 0) left out: 3"  # D3, D5, D6
    ana = report.value("win_rate_by_amount", owner="Ana")
    assert (ana.value, ana.note) == (1.0, "closed deals with no amount (blank or 0) left out: 1")


def test_win_rate_by_amount_per_owner_is_a_sum_over_a_sum():
    report = run("win_rate_by_amount", group_by=["owner"])
    assert report.value("win_rate_by_amount", owner="Ana").value == pytest.approx(1000 / 1500)
    assert report.value("win_rate_by_amount", owner="Ben").value == pytest.approx(3000 / 5500)
    assert report.value("win_rate_by_amount", owner="Cy").value == pytest.approx(800 / 2300)
    # the total is 4800 / 9300 = 0.516, not the mean of 0.667, 0.545, 0.348 (0.520)
    assert report.value("win_rate_by_amount").value == pytest.approx(4800 / 9300)
    dee = report.value("win_rate_by_amount", owner="Dee")  # no deal closed in October
    assert (dee.value, dee.denominator, dee.note) == (None, 0.0, "no rows in the denominator")


def test_win_rate_by_amount_with_nothing_closed_and_without_amounts():
    june = run("win_rate_by_amount", period=JUNE).value("win_rate_by_amount")
    assert (june.value, june.note) == (None, "no rows in the denominator")
    book = {"deals": DEALS.drop(columns=["amount"])}
    assert [(s.id, s.reason) for s in run("win_rate_by_amount", book=book).skipped] == [
        ("win_rate_by_amount", "needs deals.amount")
    ]


# median_deal_size, sales_cycle_days_mean


def test_median_deal_size_and_mean_sales_cycle():
    report = run("median_deal_size", "sales_cycle_days_mean", "sales_cycle_days")
    # won amounts 1000, 3000, 800 (D5 has none): the median is 1000 (the mean would be 1600)
    assert report.value("median_deal_size").value == 1000.0
    # cycles: D1 10 days (21 Sep to 1 Oct 00:00), D2 30 (1 Oct 23:59 to 31 Oct 23:59),
    # D5 25 (25 Sep 12:00 to 20 Oct 12:00), D10 10: mean 75 / 4 = 18.75, median 17.5
    assert report.value("sales_cycle_days_mean").value == pytest.approx(18.75)
    assert report.value("sales_cycle_days").value == pytest.approx(17.5)
    # D9, won at midnight of 1 November, is November's only won deal: 5000 after 61 days
    november = run("median_deal_size", "sales_cycle_days_mean", period=NOVEMBER)
    assert november.value("median_deal_size").value == 5000.0
    assert november.value("sales_cycle_days_mean").value == pytest.approx(61.0)


def test_median_deal_size_and_mean_cycle_per_owner_and_without_rows():
    report = run("median_deal_size", "sales_cycle_days_mean", group_by=["owner"])
    assert report.value("median_deal_size", owner="Ben").value == 3000.0  # D5 has no amount
    assert report.value("sales_cycle_days_mean", owner="Ben").value == pytest.approx(27.5)  # 30, 25
    dee = report.value("median_deal_size", owner="Dee")
    assert (dee.value, dee.note) == (None, "no rows with a value")
    june = run("median_deal_size", "sales_cycle_days_mean", period=JUNE)
    assert june.value("sales_cycle_days_mean").value is None


# quote_to_close_rate


def test_quote_to_close_counts_deals_that_reached_proposal():
    found = run("quote_to_close_rate").value("quote_to_close_rate")
    # reached proposal: D1 (entered_proposal), D2 and D7 (entered_negotiation, a later stage),
    # D5 and D10 (won); not D3 or D6 (lost with no stage history) = 5; won of them: D1, D2,
    # D5, D10 = 4
    assert (found.numerator, found.denominator) == (4.0, 5.0)
    assert found.value == pytest.approx(0.8)
    by_owner = run("quote_to_close_rate", group_by=["owner"])
    assert by_owner.value("quote_to_close_rate", owner="Ana").value == 1.0  # D1 of D1
    assert by_owner.value("quote_to_close_rate", owner="Ben").value == 1.0  # D2, D5 of D2, D5
    assert by_owner.value("quote_to_close_rate", owner="Cy").value == 0.5  # D10 of D7, D10
    # 4 / 5 = 0.8, not the mean of 1, 1 and 0.5 (0.833)
    assert by_owner.value("quote_to_close_rate").value == pytest.approx(0.8)


def test_quote_to_close_without_deals_or_stage_history():
    june = run("quote_to_close_rate", period=JUNE).value("quote_to_close_rate")
    assert (june.value, june.denominator, june.note) == (None, 0.0, "no rows in the denominator")
    book = {"deals": DEALS.drop(columns=["entered_proposal", "entered_negotiation"])}
    assert [s.reason for s in run("quote_to_close_rate", book=book).skipped] == [
        "needs deals.entered_proposal or deals.entered_negotiation"
    ]


def reached_by(stage: str) -> set[str]:
    """The deals of DEALS that reached `stage`, as the views' `reached` tells."""
    ctx = context({"deals": DEALS})
    sql = f"SELECT deal_id FROM deals WHERE {reached(stage)}"
    return {d for (d,) in duck.connection(ctx).execute(duck.ready(ctx, sql)).fetchall()}


def test_reached_follows_later_stages_the_current_stage_and_status_won():
    # entered_proposal: D1, D8, D9, O1; entered_negotiation: D2, D7; won: D5, D10
    assert reached_by("proposal") == {"D1", "D10", "D2", "D5", "D7", "D8", "D9", "O1"}
    qualification = reached_by("qualification")
    # nobody has entered_qualification: D4, D10, O2 entered demo after it; O4 is in it now
    assert not qualification & {"D3", "D6", "O3"}
    assert {"D4", "O2", "O4", "D10"} <= qualification
    assert reached_by("prospecting") == set(DEALS["deal_id"])  # every deal entered the funnel


# stage_conversion


def test_stage_conversion_funnel_of_deals_created_in_the_period():
    stages = run("stage_conversion").categories("stage_conversion")
    assert list(stages) == ["prospecting", "qualification", "demo", "proposal", "negotiation"]
    # created in October: D2 (1 Oct 23:59), D4, D6, D10, O1, O4 (31 Oct 23:59); not O3
    # (1 Nov 00:00). Reached: D2 and D10 won (every stage), D4 demo, D6 prospecting only,
    # O1 proposal (its stage), O4 qualification (its stage).
    found = {s: (v.numerator, v.denominator) for s, v in stages.items()}
    assert found == {
        "prospecting": (5.0, 6.0),  # all 6; on to qualification all but D6
        "qualification": (4.0, 5.0),  # on to demo: D2, D4, D10, O1
        "demo": (3.0, 4.0),  # on to proposal: D2, D10, O1
        "proposal": (2.0, 3.0),  # on to negotiation: D2, D10
        "negotiation": (2.0, 2.0),  # on to won: D2, D10
    }
    assert stages["demo"].value == 0.75


def test_stage_conversion_per_owner_and_for_an_owner_without_deals():
    report = run("stage_conversion", group_by=["owner"])
    ana = report.categories("stage_conversion", owner="Ana")  # D4, O1, O4
    assert ana["qualification"].value == pytest.approx(2 / 3)  # D4, O1 on to demo; not O4
    assert ana["proposal"].value == 0.0  # O1 did not reach negotiation
    assert (ana["negotiation"].value, ana["negotiation"].note) == (
        None,
        "no rows in the denominator",
    )
    # qualification in total is 4 / 5 = 0.8, not the mean of Ana 2/3, Ben 1/1, Cy 1/1 (0.889)
    assert report.value("stage_conversion", "qualification").value == pytest.approx(0.8)
    dee = report.categories("stage_conversion", owner="Dee")  # O3 is created in November
    assert [v.value for v in dee.values()] == [None] * 5
    skipped = run(
        "stage_conversion",
        book={
            "deals": DEALS.drop(columns=["entered_demo", "entered_proposal", "entered_negotiation"])
        },
    ).skipped
    assert skipped[0].reason == (
        "needs deals.entered_qualification or deals.entered_demo or deals.entered_proposal "
        "or deals.entered_negotiation"
    )


# lost_reasons


def test_lost_reasons_share_of_deals_lost_with_blank_reasons_together():
    reasons = run("lost_reasons").categories("lost_reasons")
    # lost in October: D3 Price, D6 no reason, D7 only spaces; D4 (Price) is lost at midnight
    # of 1 November
    assert {r: (v.numerator, v.denominator) for r, v in reasons.items()} == {
        "(blank)": (2.0, 3.0),
        "Price": (1.0, 3.0),
    }
    assert reasons["Price"].value == pytest.approx(1 / 3)
    by_owner = run("lost_reasons", group_by=["owner"])
    assert by_owner.categories("lost_reasons", owner="Ana")["Price"].value == 1.0  # D3 of D3
    assert by_owner.categories("lost_reasons", owner="Dee") == {}  # no deal lost in October
    november = run("lost_reasons", period=NOVEMBER).categories("lost_reasons")
    assert {r: v.value for r, v in november.items()} == {"Price": 1.0}  # D4
    book = {"deals": DEALS.drop(columns=["lost_reason"])}
    assert run("lost_reasons", book=book).skipped[0].reason == "needs deals.lost_reason"


# pipeline_value, overdue_deals, overdue_deals_value


def test_pipeline_value_is_the_open_pipeline_at_the_end_of_the_period():
    report = run("pipeline_value", group_by=["owner"])
    # O1 4000 + O2 2000 + O4 1000 (created 31 Oct 23:59) + D4 700 + D9 5000 (both closed at
    # midnight of 1 November, so open at the end of October); not O3 (created 1 Nov 00:00)
    assert report.value("pipeline_value").value == 12700.0
    assert report.value("pipeline_value", owner="Ana").value == 5700.0  # O1, O4, D4
    assert report.value("pipeline_value", owner="Cy").value == 5000.0  # D9
    assert report.value("pipeline_value", owner="Dee").value == 0.0  # O3 is not there yet
    # end of September: O2 2000, D1 1000 (closed at midnight of 1 Oct), D3 500, D5 (no amount),
    # D7 1500, D9 5000; D8 closed at 23:59 on 30 September
    september = run("pipeline_value", period=SEPTEMBER).value("pipeline_value")
    assert september.value == 10000.0
    assert september.note == "1 open deals without an amount left out"  # D5, not as $0


def test_a_pipeline_whose_open_deals_have_no_amount_has_no_value():
    # a CRM that gives amounts to closed deals only: the end of October's open deals (O1, O2,
    # O4, D4, D9) without amounts are no pipeline of $0
    deals = DEALS.assign(amount=DEALS["amount"].where(DEALS["status"] != "open"))
    book = {**BOOK, "deals": deals}
    report = run("pipeline_value", "overdue_deals_value", book=book)
    found = report.value("pipeline_value")  # D4 700 + D9 5000, both open then, closed since
    assert (found.value, found.note) == (5700.0, "3 open deals without an amount left out")
    opened = DEALS["deal_id"].isin(["O1", "O2", "O4", "D4", "D9"])
    deals = DEALS.assign(amount=DEALS["amount"].where(~opened))
    found = run("pipeline_value", book={**BOOK, "deals": deals}).value("pipeline_value")
    assert (found.value, found.note) == (None, "none of the 5 open deals has an amount")


def test_pipeline_value_per_month_is_a_snapshot_at_each_month_end():
    report = run("pipeline_value", period=Q4, group_by=["month"])
    # October 12,700; November: O1, O2, O3, O4 = 17,000 (D4 and D9 closed); December too
    assert report.value("pipeline_value", month="2026-10").value == 12700.0
    assert report.value("pipeline_value", month="2026-11").value == 17000.0
    assert report.value("pipeline_value", month="2026-12").value == 17000.0
    assert report.value("pipeline_value").value == 17000.0  # the quarter's end


def test_open_deals_without_a_closed_at_column_are_the_open_ones():
    book = {"deals": DEALS.drop(columns=["closed_at"])}
    rows = explain(book, "pipeline_value", period=OCTOBER, as_of=AS_OF).rows
    ids = sorted(rows.loc[rows[COUNTED], "deal_id"])
    assert ids == ["O1", "O2", "O4"]  # a won or lost deal without a close date is closed
    # 4000 + 2000 + 1000
    assert run("pipeline_value", book=book).value("pipeline_value").value == 7000.0


def test_pipeline_amounts_in_several_currencies_need_rates():
    deals = DEALS.assign(currency=["EUR" if d == "O1" else "USD" for d in DEALS["deal_id"]])
    with pytest.raises(SalesmetricsError, match="pipeline_value: amounts are in several"):
        run("pipeline_value", book={"deals": deals})
    rates = Rates("USD", {"EUR": 1.1})
    found = run("pipeline_value", book={"deals": deals}, rates=rates).value("pipeline_value")
    assert found.value == pytest.approx(12700 + 400)  # O1's 4000 EUR is 4400 USD


def test_overdue_deals_are_open_at_the_end_with_an_expected_close_before_it():
    report = run("overdue_deals", "overdue_deals_value", group_by=["owner"])
    # open at the end of October: O2 (expected 20 Oct) and O4 (31 Oct 23:00) are overdue;
    # O1 (1 Nov 00:00), D9 (30 Nov) and D4 (1 Dec) are not
    assert report.value("overdue_deals").value == 2.0
    assert report.value("overdue_deals_value").value == 3000.0  # 2000 + 1000
    assert report.value("overdue_deals", owner="Ana").value == 1.0  # O4
    assert report.value("overdue_deals_value", owner="Ben").value == 2000.0  # O2
    assert report.value("overdue_deals", owner="Dee").value == 0.0
    assert not CATALOGUE["overdue_deals"].higher_is_better
    # end of November: O1, O2, O3 (20 Nov) and O4 are open and overdue: 4000+2000+10000+1000
    november = run("overdue_deals", "overdue_deals_value", period=NOVEMBER)
    assert november.value("overdue_deals").value == 4.0
    assert november.value("overdue_deals_value").value == 17000.0
    book = {"deals": DEALS.drop(columns=["expected_close_at"])}
    assert [s.reason for s in run("overdue_deals", book=book).skipped] == [
        "needs deals.expected_close_at"
    ]


# weighted_pipeline


def test_weighted_pipeline_uses_the_odds_at_the_end_of_the_period():
    found = run("weighted_pipeline", settings=CHANCES).value("weighted_pipeline")
    # still open: O1 4000 x its own 0.5 = 2000; O4 1000 x 0.2 = 200; O2 (no probability, in
    # demo) 2000 x 0.6 = 1200. Closed since (their probability now says won or lost): D4 was in
    # demo at the end of October, 700 x 0.6 = 420; D9 in proposal (negotiation from 1 Nov
    # 00:00), 5000 x 0.8 = 4000
    assert found.value == pytest.approx(2000 + 200 + 1200 + 420 + 4000)
    assert found.note is None


def test_weighted_pipeline_leaves_out_deals_without_odds_and_says_how_many():
    found = run("weighted_pipeline").value("weighted_pipeline")  # no stage_probabilities
    # O1 2000 + O4 200; O2, D4 and D9 have no usable probability
    assert (found.value, found.note) == (2200.0, "3 open deals without a probability left out")
    none = run("weighted_pipeline", book={"deals": DEALS.drop(columns=["probability"])})
    assert none.value("weighted_pipeline").note == (
        "none of the 5 open deals has a probability or a stage probability"
    )
    assert none.value("weighted_pipeline").value is None
    neither = {"deals": DEALS.drop(columns=["probability", "stage"])}
    skipped = run("weighted_pipeline", book=neither, settings=CHANCES).skipped
    assert skipped[0].reason == "needs deals.probability or deals.stage"


def test_weighted_pipeline_takes_a_mappings_stage_default_last():
    # the CRM's default for each deal's current stage, as a preset maps it: O1 0.9, O2 0.3,
    # O4 0.05, and D4 and D9, closed since, 0.0 and 1.0
    defaults = {"O1": 0.9, "O2": 0.3, "O4": 0.05, "D4": 0.0, "D9": 1.0}
    deals = DEALS.assign(
        stage_probability=pd.array(
            [defaults.get(d) for d in DEALS["deal_id"]], dtype=DEALS["probability"].dtype
        )
    )
    book = {**BOOK, "deals": deals}
    alone = run("weighted_pipeline", book=book).value("weighted_pipeline")
    # O1 and O4 keep their own 0.5 and 0.2 (2000 + 200); O2 has none: its stage's 0.3, 600.
    # D4 and D9 closed since: a default of their stage now (lost, won) says nothing of the
    # odds at the end of October, so they are left out as before
    assert (alone.value, alone.note) == (2800.0, "2 open deals without a probability left out")
    # the config's stage_probabilities come first: O2 in demo 0.6 (1200), D4 420, D9 4000
    configured = run("weighted_pipeline", book=book, settings=CHANCES).value("weighted_pipeline")
    assert configured.value == pytest.approx(2000 + 200 + 1200 + 420 + 4000)
    # a config that leaves demo out lets O2 fall back to its stage default again
    partial = Settings(stage_probabilities={"proposal": 0.8, "negotiation": 0.9})
    mixed = run("weighted_pipeline", book=book, settings=partial).value("weighted_pipeline")
    # O1 2000, O4 200, O2 600; D4 (demo at the end of October) has none: left out; D9 4000
    assert (mixed.value, mixed.note) == (6800.0, "1 open deals without a probability left out")


def test_weighted_pipeline_per_owner_and_for_an_owner_without_deals():
    report = run("weighted_pipeline", settings=CHANCES, group_by=["owner"])
    assert report.value("weighted_pipeline", owner="Ana").value == pytest.approx(
        2620.0
    )  # 2000+200+420
    assert report.value("weighted_pipeline", owner="Cy").value == pytest.approx(4000.0)  # D9
    dee = report.value("weighted_pipeline", owner="Dee")
    assert (dee.value, dee.note) == (0.0, None)  # no open deal: nothing in the pipeline


# pipeline_coverage


def test_pipeline_coverage_is_next_periods_pipeline_over_next_periods_quota():
    found = run("pipeline_coverage").value("pipeline_coverage")
    # open at the end of October and expected in November: O1 (1 Nov 00:00) 4000 and D9
    # (30 Nov 23:59) 5000; not D4 (1 Dec 00:00), O2 or O4 (overdue)
    # November quota: Ana 9200 x 30/92 = 3000, Ben 4600 x 30/92 = 1500, Cy 1500 = 6000 (Ana's
    # October quota and the forecasts do not count)
    assert (found.numerator, found.denominator) == (9000.0, pytest.approx(6000.0))
    assert found.value == pytest.approx(1.5)


def test_pipeline_coverage_per_owner_is_a_sum_over_a_sum_and_not_by_source():
    report = run("pipeline_coverage", group_by=["owner"])
    assert report.value("pipeline_coverage", owner="Ana").value == pytest.approx(4000 / 3000)
    assert report.value("pipeline_coverage", owner="Ben").value == 0.0  # 0 / 1500
    assert report.value("pipeline_coverage", owner="Cy").value == pytest.approx(5000 / 1500)
    dee = report.value("pipeline_coverage", owner="Dee")  # no pipeline and no quota
    assert (dee.value, dee.note) == (None, "no rows in the denominator")
    book = {**BOOK, "deals": DEALS.assign(source="Web")}
    (by_source,) = run("pipeline_coverage", book=book, group_by=["source"]).values
    assert (by_source.group, by_source.value) == ((), pytest.approx(1.5))  # the total, above
    assert by_source.note == "not split by source: targets carry no source"


def test_pipeline_coverage_of_a_span_of_days_looks_at_the_same_number_of_days_after():
    last_days = between(date(2026, 10, 22), date(2026, 10, 31))  # 10 days
    found = run("pipeline_coverage", period=last_days).value("pipeline_coverage")
    # 1-10 November: O1 4000; quota Ana 9200 x 10/92 = 1000, Ben 500, Cy 1500 x 10/30 = 500
    assert (found.numerator, found.denominator) == (4000.0, pytest.approx(2000.0))
    december = run("pipeline_coverage", period=NOVEMBER).value("pipeline_coverage")
    # end of November, expected in December: nothing (D4 is closed); December quota 3100 + 1550
    assert (december.value, december.denominator) == (0.0, pytest.approx(4650.0))
    skipped = run("pipeline_coverage", book={"deals": DEALS}).skipped
    assert skipped[0].reason == "needs targets (no targets input)"


# sales_velocity


def test_sales_velocity_is_open_deals_times_win_rate_times_deal_size_per_mean_cycle_day():
    found = run("sales_velocity", small_sample=4).value("sales_velocity")
    # open at the end: 5; win rate 4 won / 7 closed; average won deal (1000 + 3000 + 800) / 3 =
    # 1600 (D5 has no amount); mean cycle of 10, 30, 25, 10 = 18.75 days
    expected = 5 * (4 / 7) * 1600
    assert found.numerator == pytest.approx(expected)  # 4571.43
    assert found.denominator == pytest.approx(18.75)
    assert found.value == pytest.approx(expected / 18.75)  # 243.81 a day
    assert (found.n, found.note) == (12, None)  # 5 open + 7 closed rows


def test_sales_velocity_is_null_with_fewer_won_deals_than_the_small_sample_threshold():
    found = run("sales_velocity", small_sample=5).value("sales_velocity")
    assert found.value is None
    assert found.note == (
        "4 won deals behind the cycle and deal size, fewer than the small-sample threshold "
        "(5): too few for a velocity"
    )
    assert run("sales_velocity").value("sales_velocity").value is None  # the default, 20


def test_sales_velocity_leaves_a_deal_closed_before_it_was_created_out_of_the_cycle():
    backwards = frame("deals", COLUMNS, [
        ("X1", "won", "won", "2026-10-20", "2026-10-10", None, 600.0, 1.0, "Ana", None, None, None, None, None),
    ]).assign(currency="USD")  # fmt: skip
    book = {"deals": pd.concat([DEALS, backwards], ignore_index=True)}
    found = run("sales_velocity", book=book, small_sample=4).value("sales_velocity")
    # still won: win rate 5 / 8, average size (1000 + 3000 + 800 + 600) / 4 = 1350; its cycle
    # (−10 days) is left out: mean of 10, 30, 25, 10 = 18.75
    assert found.value == pytest.approx(5 * (5 / 8) * 1350 / 18.75)
    assert found.note == (
        "1 deals with impossible dates left out (closed before they were created, or a date "
        "outside the plausible range: see salesmetrics validate)"
    )


def test_sales_velocity_per_owner_and_without_closed_deals():
    report = run("sales_velocity", group_by=["owner"], small_sample=1)
    # Ana: 3 open (O1, O4, D4) x 1/2 (D1 won, D3 lost) x 1000 / 10 days = 150
    assert report.value("sales_velocity", owner="Ana").value == pytest.approx(150.0)
    # Ben: 1 open (O2) x 2/3 (D2, D5 won, D6 lost) x 3000 (D2) / mean(30, 25) = 27.5
    assert report.value("sales_velocity", owner="Ben").value == pytest.approx(2000 / 27.5)
    dee = report.value("sales_velocity", owner="Dee")
    assert (dee.value, dee.note) == (None, "no deals closed in the period")
    # September: D8 won 9000 in 60 days (1 Aug to 30 Sep 23:59), 6 open at the end
    september = run("sales_velocity", period=SEPTEMBER, small_sample=1).value("sales_velocity")
    assert september.value == pytest.approx(6 * 1.0 * 9000 / (60 + 1439 / 1440))
    lost_only = {"deals": DEALS[DEALS["deal_id"].isin(["D3", "O1"]).to_numpy()]}
    assert run("sales_velocity", book=lost_only).value("sales_velocity").note == (
        "no won deal with an amount in the period"
    )


# forecast_accuracy


def test_forecast_accuracy_against_revenue_won():
    found = run("forecast_accuracy").value("forecast_accuracy")
    # forecast: 9200 x 31/92 = 3100 + Ben's 2400 = 5500; won 1000 + 3000 + 800 = 4800
    assert (found.numerator, found.denominator) == (pytest.approx(5500.0), 4800.0)
    assert found.value == pytest.approx(1 - 700 / 4800)  # 0.854
    # judged by rows (4 won deals + 2 forecast rows = 6 < 20), not by the 4800 of revenue
    assert (found.n, found.small_sample) == (6, True)
    # the deals end on 1 November (D4, D9 closed and O3 created at 00:00): November's forecast
    # counts its first day only, 9200 x 1/92 = 100, against D9's 5000
    november = run("forecast_accuracy", period=NOVEMBER).value("forecast_accuracy")
    assert november.value == pytest.approx(1 - 4900 / 5000)
    assert november.note == "the deals data ends 2026-11-01: values up to its end"


def test_forecast_accuracy_per_owner_without_forecast_or_revenue():
    report = run("forecast_accuracy", group_by=["owner"])
    assert report.value("forecast_accuracy", owner="Ben").value == pytest.approx(0.8)  # 2400 / 3000
    ana = report.value("forecast_accuracy", owner="Ana")  # 1000 won, no forecast of her own
    assert (ana.value, ana.note) == (None, "no forecast for the period")
    blank = report.value("forecast_accuracy", owner="(blank)")  # the team forecast, no deals
    assert (blank.value, blank.note) == (None, "no revenue won in the period")
    # December is after the deals (they end on 1 November), June before them (1 August)
    december = run("forecast_accuracy", period=DECEMBER).value("forecast_accuracy")
    assert (december.value, december.note) == (
        None,
        "the deals data ends 2026-11-01: values up to its end",
    )
    june = run("forecast_accuracy", period=JUNE).value("forecast_accuracy")
    assert (june.value, june.note) == (
        None,
        "the deals data starts 2026-08-01: values from its start",
    )
    skipped = run("forecast_accuracy", book={"deals": DEALS}).skipped
    assert skipped[0].reason == "needs targets (no targets input)"


# deals at a stage the mapping does not place (stage_raw, no stage): the funnel leaves them out
# where it cannot tell how far they got, and says how many

# fmt: off
UNPLACED = frame("deals", "deal_id status stage stage_raw created_at closed_at amount probability owner entered_demo entered_proposal", [
    ("P1", "open", None, "Pilot Running", "2026-10-03", None, 1000.0, None, "Ana", None, None),
    ("P2", "lost", None, "Legal", "2026-10-04", "2026-10-20", 500.0, None, "Ben", "2026-10-10", None),
    ("P3", "won", None, "Signed", "2026-10-05", "2026-10-25", 800.0, None, "Ana", None, None),
    ("K1", "open", "demo", "Demo", "2026-10-06", None, 2000.0, None, "Ben", "2026-10-08", None),
    ("K2", "lost", "lost", "Closed Lost", "2026-10-07", "2026-10-21", 300.0, None, "Cy", "2026-10-09", "2026-10-15"),
]).assign(currency="USD")
# fmt: on
NOT_PLACED = "1 deals at a stage the mapping does not place left out: how far they got is unknown"


def test_stage_conversion_leaves_out_unplaced_deals_where_their_progress_is_unknown():
    stages = run("stage_conversion", book={"deals": UNPLACED}).categories("stage_conversion")
    found = {s: (v.numerator, v.denominator, v.n, v.note) for s, v in stages.items()}
    assert found == {
        # P1 reached prospecting and nothing known since: left out; the 4 others went on
        "prospecting": (4.0, 4.0, 4, NOT_PLACED),
        # reached qualification: P2 (entered demo since), P3 (won), K1, K2; all on to demo
        "qualification": (4.0, 4.0, 4, None),
        # reached demo: P2 (lost somewhere after it: left out), P3, K1 (still in demo), K2
        "demo": (2.0, 3.0, 3, NOT_PLACED),
        "proposal": (1.0, 2.0, 2, None),  # P3, K2; on to negotiation: P3 (won)
        "negotiation": (1.0, 1.0, 1, None),  # P3
    }


def test_quote_to_close_leaves_out_deals_lost_at_an_unplaced_stage():
    found = run("quote_to_close_rate", book={"deals": UNPLACED}).value("quote_to_close_rate")
    # closed in October: P2 lost at an unplaced stage, never seen at proposal (left out); P3
    # won (reached every stage); K2 lost after entering proposal
    assert (found.numerator, found.denominator, found.n, found.note) == (1.0, 2.0, 2, NOT_PLACED)
    by_owner = run("quote_to_close_rate", book={"deals": UNPLACED}, group_by=["owner"])
    ben = by_owner.value("quote_to_close_rate", owner="Ben")  # P2 only
    assert (ben.value, ben.n, ben.note) == (None, 0, f"no rows in the denominator; {NOT_PLACED}")
    assert by_owner.value("quote_to_close_rate", owner="Ana").note is None  # P3 won
    assert by_owner.value("quote_to_close_rate", owner="Cy").value == 0.0  # K2


def test_weighted_pipeline_says_which_deals_it_could_not_weigh_were_unplaced():
    found = run("weighted_pipeline", book={"deals": UNPLACED}, settings=CHANCES)
    value = found.value("weighted_pipeline")
    # open at the end of October: P1 (no probability, no stage to look one up) and K1 (demo,
    # 2000 x 0.6)
    assert (value.value, value.note) == (
        1200.0,
        "1 open deals without a probability left out; 1 of them at a stage the mapping does "
        "not place",
    )
    alone = {"deals": UNPLACED[UNPLACED["deal_id"].isin(["P1", "K2"])]}  # K2: closed
    none = run("weighted_pipeline", book=alone, settings=CHANCES).value("weighted_pipeline")
    assert (none.value, none.note) == (
        None,
        "none of the 1 open deals has a probability or a stage probability; 1 of them at a "
        "stage the mapping does not place",
    )


# sales_cycle_days, sales_cycle_days_mean: impossible cycles


def test_sales_cycle_leaves_out_impossible_cycles_with_a_note_and_counts_a_same_day_close_as_0():
    odd = frame("deals", COLUMNS, [
        # closed eight days before it was created: left out, still won
        ("X1", "won", "won", "2026-10-20 10:00", "2026-10-12", None, 600.0, 1.0, "Ana", None, None, None, None, None),
        # closed on the day it was created, the close without a time of day: 0 days
        ("X2", "won", "won", "2026-10-14 15:00", "2026-10-14", None, 700.0, 1.0, "Ana", None, None, None, None, None),
        # created on a placeholder date (flagged by salesmetrics.anomalies.check): left out
        ("X3", "won", "won", "1900-01-01", "2026-10-16", None, 800.0, 1.0, "Ana", None, None, None, None, None),
    ]).assign(currency="USD")  # fmt: skip
    odd["_implausible_created_at"] = [False, False, True]
    book = {"deals": pd.concat([DEALS, odd], ignore_index=True)}
    report = run("sales_cycle_days", "sales_cycle_days_mean", "deals_won", book=book)
    assert report.value("deals_won").value == 7  # D1, D2, D5, D10, X1, X2, X3
    median = report.value("sales_cycle_days")
    # 10, 30, 25, 10 (D1, D2, D5, D10) and 0 (X2): median 10, mean 75 / 5 = 15
    assert (median.value, median.n) == (pytest.approx(10.0), 5)
    assert median.note == (
        "2 deals with impossible dates left out (closed before they were created, or a date "
        "outside the plausible range: see salesmetrics validate)"
    )
    mean = report.value("sales_cycle_days_mean")
    assert mean.value == pytest.approx(75 / 5)
    assert mean.note == median.note


def test_no_cycle_when_every_deal_was_created_at_the_instant_it_closed():
    # Olist's deals carry one date, won_date, mapped to both created_at and closed_at: every
    # cycle would read 0 days, a measurement of the mapping, not of the sales
    one = frame("deals", "deal_id status created_at closed_at amount", [
        ("W1", "won", "2026-10-05 19:58:54", "2026-10-05 19:58:54", 100.0),
        ("W2", "won", "2026-10-09 10:00:00", "2026-10-09 10:00:00", 200.0),
        ("W3", "won", "2026-09-30 08:00:00", "2026-09-30 08:00:00", 300.0),
    ])  # fmt: skip
    said = (
        "every one of the 3 closed deals was created at the instant it closed: the export has "
        "no creation date to measure a cycle from"
    )
    ids = ("sales_cycle_days", "sales_cycle_days_mean", "sales_velocity")
    report = run(*ids, book={"deals": one})
    assert {(report.value(k).value, report.value(k).note) for k in ids} == {(None, said)}
    # one deal created earlier: the dates are real, and a same-instant deal is a 0-day cycle
    real = frame("deals", "deal_id status created_at closed_at amount", [
        ("W1", "won", "2026-10-05 19:58:54", "2026-10-05 19:58:54", 100.0),
        ("W2", "won", "2026-10-09 10:00:00", "2026-10-09 10:00:00", 200.0),
        ("W3", "won", "2026-09-01 08:00:00", "2026-09-30 08:00:00", 300.0),
    ])  # fmt: skip
    cycle = run("sales_cycle_days", book={"deals": real}).value("sales_cycle_days")
    assert (cycle.value, cycle.note) == (0.0, None)  # W1, W2 in October: 0 and 0 days


# negotiations_initiated (the third seed's count of negotiations)

NEGOTIATIONS = frame("deals", (
    "deal_id status stage created_at closed_at owner entered_negotiation entered_won"
), [
    ("N1", "won", "won", "2026-09-01", "2026-10-20", "Ana", "2026-10-10", "2026-10-20"),
    ("N2", "won", "won", "2026-09-01", "2026-10-25", "Ben", None, None),  # won: negotiated then
    ("N3", "open", "negotiation", "2026-09-01", None, "Ana", "2026-09-28", None),
    ("N4", "open", "negotiation", "2026-09-01", None, "Ben", None, None),  # no date says when
    ("N5", "lost", "lost", "2026-09-01", "2026-10-12", "Ana", "2026-10-01 00:00", None),
    ("N6", "open", "negotiation", "2026-09-01", None, "Ben", "2026-11-01 00:00", None),
    ("N7", "open", "proposal", "2026-10-02", None, "Ana", None, None),
])  # fmt: skip
# Negotiations initiated in October: N1 (10 Oct), N2 (won on 25 Oct with no earlier date), N5
# (00:00 on 1 Oct, lost later); N3 in September, N6 in November, N4 never dated, N7 not yet.


def test_negotiations_initiated_counts_deals_when_they_first_reach_negotiation():
    report = run("negotiations_initiated", book={"deals": NEGOTIATIONS}, group_by=["owner"])
    assert report.value("negotiations_initiated").value == 3  # N1 N2 N5
    assert report.value("negotiations_initiated", owner="Ana").value == 2  # N1 N5
    assert report.value("negotiations_initiated", owner="Ben").value == 1  # N2
    for period, expected in ((SEPTEMBER, 1), (NOVEMBER, 1)):  # N3; N6
        found = run("negotiations_initiated", period=period, book={"deals": NEGOTIATIONS})
        assert found.value("negotiations_initiated").value == expected
    bare = NEGOTIATIONS.drop(columns=["entered_negotiation"])
    skipped = run("negotiations_initiated", book={"deals": bare}).skipped
    assert [(s.id, s.reason) for s in skipped] == [
        ("negotiations_initiated", "needs deals.entered_negotiation")
    ]


# revenue_per_account (the second seed's Revenue Per Account, the fourth's ARPA)

ACCOUNTS = frame("deals", "deal_id status created_at closed_at amount account_id owner currency", [
    ("W1", "won", "2026-09-01", "2026-10-01 00:00", 1000.0, "A1", "Ana", "USD"),
    ("W2", "won", "2026-09-01", "2026-10-20", 500.0, "A1", "Ben", "USD"),  # A1 again
    ("W3", "won", "2026-09-01", "2026-10-31 23:59", 300.0, "A2", "Ben", "USD"),
    ("W4", "won", "2026-09-01", "2026-10-10", 700.0, None, "Ana", "USD"),  # no account
    ("W5", "won", "2026-09-01", "2026-10-15", None, "A5", "Ben", "USD"),  # no amount
    ("W6", "lost", "2026-09-01", "2026-10-12", 400.0, "A4", "Ana", "USD"),  # lost
    ("W7", "won", "2026-09-01", "2026-11-01 00:00", 900.0, "A3", "Ana", "USD"),  # November
])  # fmt: skip
# October: W1 W2 W3 won, 1,800 over accounts A1 A2; W4 and W5 left out, W6 lost, W7 in November.


def test_revenue_per_account_divides_the_revenue_won_by_the_accounts_that_won_it():
    book = {"deals": ACCOUNTS}
    report = run("revenue_per_account", book=book, group_by=["owner"])
    total = report.value("revenue_per_account")
    assert (total.numerator, total.denominator, total.value) == (1800.0, 2.0, 900.0)
    assert total.note == "2 won deals without an account_id or an amount left out"
    assert report.value("revenue_per_account", owner="Ana").value == 1000.0  # W1: A1
    assert report.value("revenue_per_account", owner="Ben").value == 400.0  # W2 W3: A1 A2
    november = run("revenue_per_account", period=NOVEMBER, book=book)
    assert november.value("revenue_per_account").value == 900.0  # W7: A3
    bare = run("revenue_per_account", book={"deals": ACCOUNTS.drop(columns=["account_id"])})
    assert [(s.id, s.reason) for s in bare.skipped] == [
        ("revenue_per_account", "needs deals.account_id")
    ]


# named variants (issue 18): win_rate per_sql, the cycles from first contact, all-open coverage

# fmt: off
VARIANT_LEADS = frame("leads", "lead_id created_at sql_at owner", [
    ("L1", "2026-09-01 00:00", "2026-10-03", "Ana"),
    ("L2", "2026-10-05", "2026-10-31 23:59", "Ben"),
    ("L3", "2026-10-01", "2026-11-01 00:00", "Ben"),  # an SQL of November
    ("L4", "2026-10-01", None, "Cy"),  # never qualified
    ("L5", "2026-09-01", "2026-09-30 23:59", "Cy"),  # an SQL of September
    ("L6", "2026-10-01", "2026-10-01 00:00", "Ben"),
    ("L7", "2026-10-01", "2026-10-15", "Cy"),
    ("L8", "2026-10-01", "2026-10-16", "Dee"),
    ("L10", "2026-10-01 00:00", None, "Cy"),
])
VARIANT_ACTIVITIES = frame("activities", "activity_id occurred_at lead_id direction channel", [
    ("A1", "2026-08-31 00:00", "L1", "outbound", "email"),  # before L1 was created
    ("A2", "2026-09-21 23:59", "L2", "inbound", "email"),  # before D2 was created
    ("A3", "2026-10-20", "L2", "outbound", "call"),  # later: not the first
])
# fmt: on
# D1 -> L1, D2 -> L2, D10 -> L10; D5 has no lead, D3 (lost) -> L3 is not won
VARIANT_BOOK = {
    "deals": DEALS.assign(
        lead_id=pd.Series(
            ["L1", "L2", "L3", None, None, None, "L10", None, None, None, None, None, None, None],
            dtype=VARIANT_LEADS["lead_id"].dtype,
        )
    ),
    "targets": TARGETS,
    "leads": VARIANT_LEADS,
    "activities": VARIANT_ACTIVITIES,
}


def test_win_rate_per_sql_is_won_deals_over_the_periods_sqls():
    report = run("win_rate", book=VARIANT_BOOK, variants={"win_rate": "per_sql"})
    found = report.value("win_rate")
    # won in October: D1, D2, D5, D10 = 4; SQLs in October: L1, L2, L6 (the first minute),
    # L7, L8 = 5 (not L3 at midnight of 1 November, L5 in September, L4 and L10 never)
    assert (found.numerator, found.denominator, found.value) == (4.0, 5.0, 0.8)
    assert (found.variant, found.label) == ("per_sql", "Win rate (won / SQL)")
    by_owner = compute(
        VARIANT_BOOK,
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["win_rate"],
        group_by=["owner"],
        variants={"win_rate": "per_sql"},
    )
    # Ana: D1 / L1; Ben: D2, D5 / L2, L6; Cy: D10 / L7; Dee: no win / L8
    assert {o: by_owner.value("win_rate", owner=o).value for o in ("Ana", "Ben", "Cy", "Dee")} == {
        "Ana": 1.0,
        "Ben": 1.0,
        "Cy": 1.0,
        "Dee": 0.0,
    }


def test_win_rate_per_sql_without_sqls_has_no_value_and_says_why():
    book = {
        **VARIANT_BOOK,
        "leads": VARIANT_LEADS.assign(sql_at=VARIANT_LEADS["sql_at"].iloc[[4] * 9].to_numpy()),
    }
    found = run("win_rate", book=book, variants={"win_rate": "per_sql"}).value("win_rate")
    assert (found.value, found.numerator, found.note) == (
        None,
        4.0,
        "no leads qualified (sql_at) in the period",
    )


def test_the_default_win_rate_says_its_variant_only_by_name():
    found = run("win_rate", book=VARIANT_BOOK).value("win_rate")
    assert (found.variant, found.label, found.value) == ("won_lost", "Win rate", 4 / 7)


@pytest.mark.parametrize(
    ("kpi_id", "expected"), [("sales_cycle_days", 31.0), ("sales_cycle_days_mean", 82 / 3)]
)
def test_sales_cycle_from_first_contact_counts_from_the_leads_first_touch(kpi_id, expected):
    report = run(kpi_id, book=VARIANT_BOOK, variants={kpi_id: "from_first_contact"})
    found = report.value(kpi_id)
    # D1: A1 on L1 (31 Aug 00:00, before L1's creation and D1's) to 1 Oct 00:00 = 31 days;
    # D2: A2 on L2 (21 Sep 23:59, before D2's creation) to 31 Oct 23:59 = 40 days;
    # D10: L10's creation (1 Oct 00:00, before D10's) to 12 Oct = 11 days;
    # D5 has no lead: left out. Median of 11, 31, 40 = 31; mean 82 / 3.
    assert found.value == pytest.approx(expected) and found.n == 3
    assert found.note == (
        "1 won deals left out (no lead to date a first contact, or impossible dates: closed "
        "before the first contact, or out of range); 1 without a lead (deals.lead_id in "
        "leads) to date a first contact"
    )


def test_sales_cycle_from_first_contact_is_skipped_without_leads():
    report = run("sales_cycle_days", variants={"sales_cycle_days": "from_first_contact"})
    assert [(s.id, s.reason) for s in report.skipped] == [
        ("sales_cycle_days", "needs deals.lead_id")
    ]


def test_all_open_coverage_is_every_open_deal_over_the_periods_quota():
    report = run("pipeline_coverage", variants={"pipeline_coverage": "all_open"})
    found = report.value("pipeline_coverage")
    # open at the end of October: O1 4000, O2 2000, O4 1000, D4 700, D9 5000 = 12700;
    # October quota: Ana 9200 x 31/92 = 3100 and 1000, Ben 4600 x 31/92 = 1550 = 5650
    assert (found.numerator, found.denominator) == (12700.0, pytest.approx(5650.0))
    assert found.value == pytest.approx(12700 / 5650)
    # O2 (expected 20 Oct) and O4 (31 Oct 23:00) are overdue: 3000
    assert found.note == (
        "of it 2 deals overdue (expected to close before the period's end): 3,000.00"
    )


def test_all_open_coverage_says_the_undated_deals_and_no_quota():
    undated = DEALS.assign(
        expected_close_at=DEALS["expected_close_at"].where(DEALS["deal_id"] != "O1")
    )
    book = {"deals": undated, "targets": TARGETS[TARGETS["period"] == "2026-11"]}
    found = run("pipeline_coverage", book=book, variants={"pipeline_coverage": "all_open"})
    value = found.value("pipeline_coverage")
    assert (value.value, value.numerator, value.denominator) == (None, 12700.0, 0.0)
    assert value.note == (
        "no quota for the period; of it 2 deals overdue (expected to close before the "
        "period's end): 3,000.00; 1 deals with no expected_close_at: 4,000.00"
    )


def test_pipeline_coverage_without_a_quota_for_the_next_period_has_no_value():
    # December's next period is January, after the quotas: its quota is 0, so no value
    january = run("pipeline_coverage", period=DECEMBER)
    found = january.value("pipeline_coverage")
    assert (found.value, found.denominator) == (None, 0.0)  # no quota for January
