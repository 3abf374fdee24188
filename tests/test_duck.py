"""The DuckDB engine: each kind of KPI declaration worked out by hand on small books."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from salesmetrics.engine import compute
from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import Aggregate
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.periods import Period, resolve_period
from salesmetrics.report import Report

# Each kind by hand


def stamp(text: str | None) -> pd.Timestamp | None:
    return None if text is None else pd.Timestamp(text)


def deals(*rows: tuple) -> pd.DataFrame:
    """(deal_id, owner, status, created, closed, amount, stage) rows as the normaliser gives."""
    frame = pd.DataFrame(
        rows, columns=["deal_id", "owner", "status", "created_at", "closed_at", "amount", "stage"]
    )
    types = {
        "deal_id": "string[pyarrow]",
        "owner": "string[pyarrow]",
        "status": "string[pyarrow]",
        "stage": "string[pyarrow]",
        "amount": "double[pyarrow]",
        "created_at": "timestamp[us][pyarrow]",
        "closed_at": "timestamp[us][pyarrow]",
    }
    return frame.astype(types)


BOOK = deals(
    ("d1", "Ann", "won", "2026-09-01", "2026-10-05", 100.0, "won"),
    ("d2", "Ann", "lost", "2026-09-10", "2026-10-06", 50.0, "lost"),
    ("d3", "Bob", "won", "2026-10-01", "2026-10-20 15:00", 300.0, "won"),
    ("d4", "Bob", "won", "2026-10-21", "2026-10-02", None, "won"),  # closed before created
    ("d5", "Bob", "open", "2026-08-01", None, 700.0, "demo"),
    ("d6", None, "open", "2026-10-30", None, None, "proposal"),
    ("d7", "Ann", "lost", "2026-09-15", "2026-11-02", 80.0, "lost"),  # open at October's end
    ("d8", "Ann", "won", "2026-07-01", "2026-09-30", 40.0, "won"),
)
OCTOBER = resolve_period("2026-10", date(2026, 11, 1))


def report(frames=None, **options) -> Report:
    options.setdefault("period", OCTOBER)
    options.setdefault("as_of", date(2026, 11, 15))
    return compute(frames or {"deals": BOOK}, **options)


def test_count_sum_ratio_median_and_mean_by_hand():
    found = report(kpis=["deals_won", "revenue_won", "win_rate", "avg_deal_size"])
    assert found.value("deals_won").value == 3  # d1, d3, d4 closed in October
    assert found.value("revenue_won").value == 400.0  # d4 has no amount
    win = found.value("win_rate")
    assert (win.value, win.numerator, win.denominator) == (0.75, 3.0, 4.0)
    size = found.value("avg_deal_size")
    assert (size.value, size.numerator, size.denominator) == (200.0, 400.0, 2.0)


def test_rows_left_out_are_counted_in_the_note_and_kept_out_of_the_value():
    found = report(kpis=["sales_cycle_days", "sales_cycle_days_mean"])
    median = found.value("sales_cycle_days")
    # d1: 34 days, d3: 19 days 15 hours; d4 closed before it was created: left out
    assert median.value == pytest.approx((34 + 19 + 15 / 24) / 2)
    assert median.n == 2 and "1 deals with impossible dates left out" in median.note
    assert found.value("sales_cycle_days_mean").value == pytest.approx((34 + 19 + 15 / 24) / 2)


def test_a_snapshot_counts_rows_open_at_each_period_end_and_a_condition_on_the_period():
    found = report(kpis=["pipeline_value"], compare="previous")
    pipeline = found.value("pipeline_value")
    # open at 2026-11-01: d5 (700), d6 (no amount: left out), d7 (lost on 2026-11-02: 80)
    assert (pipeline.value, pipeline.n) == (780.0, 2)
    assert pipeline.note == "1 open deals without an amount left out"
    # open at 2026-10-01: d1, d2, d5, d7 (d3 created that day is open too: created before
    # the end of September? no: 2026-10-01 is not before 2026-10-01)
    assert pipeline.previous == 100.0 + 50.0 + 700.0 + 80.0


def test_every_row_left_out_makes_the_value_unknown():
    book = deals(
        ("d1", "Ann", "open", "2026-10-01", None, None, "demo"),
        ("d2", "Ann", "won", "2026-09-01", "2026-09-02", 10.0, "won"),
    )
    found = report({"deals": book}, kpis=["pipeline_value"])
    value = found.value("pipeline_value")
    assert value.value is None and value.note == "none of the 1 open deals has an amount"


def test_groups_with_blank_labels_and_groups_without_rows_in_the_period():
    found = report(kpis=["deals_won", "win_rate"], group_by=("owner",))
    won = {v.group: v.value for v in found.values if v.id == "deals_won"}
    assert won[()] == 3 and won[(("owner", "Ann"),)] == 1 and won[(("owner", "Bob"),)] == 2
    assert won[(("owner", "(blank)"),)] == 0  # d6's owner is blank: a group with no wins
    rates = {v.group: v for v in found.values if v.id == "win_rate"}
    assert rates[(("owner", "(blank)"),)].value is None
    assert rates[(("owner", "(blank)"),)].note == "no rows in the denominator"


def test_a_distribution_splits_by_category_largest_first():
    book = BOOK.assign(lost_reason=pd.array(["", "Price", "", "", "", "", "Price", ""], "string"))
    book.loc[1, "closed_at"] = pd.Timestamp("2026-10-06")
    extra = deals(("d9", "Ann", "lost", "2026-09-01", "2026-10-09", 10.0, "lost")).assign(
        lost_reason=pd.array(["  "], "string")
    )
    found = report({"deals": pd.concat([book, extra], ignore_index=True)}, kpis=["lost_reasons"])
    shares = [(v.category, v.value, v.numerator) for v in found.values]
    assert shares == [("Price", 0.5, 1.0), ("(blank)", 0.5, 1.0)]  # blanks last on a tie


def test_a_ratio_over_distinct_keys_counts_each_key_once_in_each_group():
    acts = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"]),
            "channel": ["email", "call", "email", "call"],
            "owner": ["Ann", "Ann", "Bob", None],
        }
    ).astype({"occurred_at": "timestamp[us][pyarrow]", "channel": "string[pyarrow]"})
    acts = acts.astype({"owner": "string[pyarrow]"})
    by = {"group_by": ("channel",), "kpis": ["activities_per_rep"]}
    found = compute({"activities": acts}, period=OCTOBER, as_of=date(2026, 11, 15), **by)
    total = found.value("activities_per_rep")  # 3 with an owner / Ann and Bob
    assert (total.numerator, total.denominator, total.value) == (3.0, 2.0, 1.5)
    email = found.value("activities_per_rep", channel="email")  # Ann, Bob: 1 each
    assert (email.numerator, email.denominator) == (2.0, 2.0)
    call = found.value("activities_per_rep", channel="call")  # Ann's; the other has no owner
    assert (call.numerator, call.denominator) == (1.0, 1.0)
    # a week inside the data with no activity: the KPI's own words for it (a week after the
    # data would be unknown instead, with the stale input's reason)
    week = resolve_period("2026-W39", date(2026, 11, 15))  # 21 to 27 September
    early = acts.assign(
        occurred_at=acts["occurred_at"].where(acts.index > 0, pd.Timestamp("2026-09-14"))
    )
    empty = report({"activities": early}, period=week, kpis=["activities_per_rep"])
    none = empty.value("activities_per_rep")
    assert (none.value, none.note) == (None, "no rep with an activity in the period")


def test_a_scale_of_each_period_multiplies_its_values():
    acts = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(
                ["2026-10-01", "2026-10-02", "2026-10-04 18:00"], format="ISO8601"
            ),
            "channel": ["email", "call", "email"],
        }
    ).astype({"occurred_at": "timestamp[us][pyarrow]", "channel": "string[pyarrow]"})
    found = report({"activities": acts}, kpis=["reach_outs_per_week"], compare="previous")
    week = found.value("reach_outs_per_week")
    # 3 reach outs over the 4 days the activities cover (1 to 4 October), 7 days a week
    assert week.value == pytest.approx(3 * 7 / 4)
    assert week.note == (
        "the activities data ends 2026-10-04: values up to its end; no comparison: activities "
        "start 2026-10-01; period 2026-09 has no activities"
    )
    assert week.previous is None  # September: before the activities, no days to divide by


def test_a_ratio_with_a_key_counts_distinct_keys_and_ages_its_numerator():
    from salesmetrics import duck
    from salesmetrics.kpis.base import Aggregation, Context, Kpi, Maturing, Rows, Unit

    book = deals(
        ("e1", "Ann", "won", "2026-10-01", "2026-10-05", 1.0, "won"),
        ("e2", "Ann", "won", "2026-10-02", "2026-10-25", 1.0, "won"),  # Ann again: once
        ("e3", "Bob", "won", "2026-10-03", "2026-10-20", 1.0, "won"),
        ("e4", "Bob", "lost", "2026-10-04", "2026-10-06", 1.0, "lost"),
        ("e5", "Cy", "open", "2026-10-05", None, 1.0, "demo"),
        ("e6", None, "won", "2026-10-06", "2026-10-07", 1.0, "won"),  # no key: counts nowhere
    )
    closers = Kpi(
        "closers",
        "Owners who won",
        "close",
        Unit.RATIO,
        Aggregation.RATIO,
        ("deals.owner",),
        "created_at",
        "owners with a won deal created in the period / owners with a deal created in it",
        lambda ctx, period: book,
        matures=Maturing(30, "closed_at"),
        relation=Rows(
            "deals",
            "created_at",
            numerator="CASE WHEN status = 'won' THEN 1.0 ELSE 0.0 END",
            denominator="1.0",
            key="owner",
            outcome="closed_at",
        ),
    )
    ctx = Context({"deals": book}, date(2026, 11, 15), dimensions=("owner",))
    slices = [(OCTOBER, None), (OCTOBER, date(2026, 10, 10))]
    found = duck.measure(closers, ctx, slices, ("owner",))

    def fractions(at: int, owner: str | None) -> tuple[float, float, int]:
        stats = found[at][None if owner is None else (owner,)][(None, None)]
        return stats.numerator, stats.denominator, stats.n

    # all data: Ann and Bob won (e6 has no owner) of Ann, Bob and Cy; six rows
    assert fractions(0, None) == (2, 3, 6)
    assert fractions(0, "Ann") == (1, 1, 2) and fractions(0, "(blank)") == (0, 0, 1)
    # as of 10 October: e2's and e3's wins came later, so only Ann had won
    assert fractions(1, None) == (1, 3, 6)
    assert fractions(1, "Bob") == (0, 1, 2) and fractions(1, "Ann") == (1, 1, 2)


def test_amounts_in_two_currencies_are_never_summed():
    book = BOOK.assign(currency=pd.array(["USD"] * 7 + ["EUR"], "string"))
    book.loc[7, "closed_at"] = pd.Timestamp("2026-10-03")
    with pytest.raises(SalesmetricsError, match=r"revenue_won: amounts are in several currencies"):
        report({"deals": book}, kpis=["revenue_won"])


def test_the_thread_count_is_checked(monkeypatch):
    monkeypatch.setenv("SALESMETRICS_THREADS", "zero")
    with pytest.raises(SalesmetricsError, match="SALESMETRICS_THREADS='zero'"):
        report(kpis=["deals_won"])
    monkeypatch.setenv("SALESMETRICS_THREADS", "1")
    assert report(kpis=["deals_won"]).value("deals_won").value == 3


def test_a_row_that_lasts_counts_by_the_share_of_its_span_in_each_period():
    """Rows.spans: a September cost (30 days) and an October one (31 days) in ISO week 40,
    Monday 28 September to Sunday 4 October: 3/30 of 300 and 4/31 of 620; a cost of one
    instant counts whole where it falls (1 October), and not at all outside (5 October)."""
    from salesmetrics.duck import measure
    from salesmetrics.kpis.base import Aggregation, Context, Kpi, Rows, Unit

    costs = pd.DataFrame(
        {
            "incurred_at": [None, None, "2026-10-01 09:00", "2026-10-05"],
            "month": ["2026-09-01", "2026-10-01", None, None],
            "amount": [300.0, 620.0, 7.0, 1000.0],
        }
    ).astype(
        {
            "incurred_at": "timestamp[us][pyarrow]",
            "month": "timestamp[us][pyarrow]",
            "amount": "double[pyarrow]",
        }
    )
    lasting = Rows(
        "costs",
        "coalesce(incurred_at, month)",
        spans="CASE WHEN incurred_at IS NULL THEN month + INTERVAL 1 MONTH END",
        value="amount",
    )
    kpi = Kpi("spent", "Spent", "efficiency", Unit.CURRENCY, Aggregation.SUM, ("costs.amount",),
              "", "", lambda c, p: pd.DataFrame(), relation=lasting)  # fmt: skip
    week = resolve_period("2026-W40", date(2026, 11, 15))
    found = measure(kpi, Context({"costs": costs}, date(2026, 11, 15)), [(week, None)], ())
    stats = found[0][None][(None, None)]
    assert stats.value == pytest.approx(300.0 * 3 / 30 + 620.0 * 4 / 31 + 7.0, rel=1e-12)
    assert stats.n == 3  # the two months and the instant in the week


def test_a_custom_kpi_is_made_of_its_named_measures_in_each_group():
    """Rows.measures and Kpi.summarise: the largest won amount over the number of deals
    closed, per owner, in October of BOOK (Ann: d1 won 100 and d2 lost, so 100 / 2; Bob: d3
    won 300 and d4 won without an amount, so 300 / 2); a group with no rows has blank
    measures (d6's owner is blank and it is open)."""
    from salesmetrics.kpis.base import Aggregate, Aggregation, Kpi, Rows, Unit

    seen = []

    def summarise(m, threshold):
        seen.append((dict(m), threshold))
        if not m["closed"]:
            return Aggregate(None, note="nothing closed")
        return Aggregate(m["top"] / m["closed"], m["top"], m["closed"])

    rows = Rows(
        "deals",
        "closed_at",
        (("status IN ('won', 'lost')", "open"),),
        measures=(
            ("top", "max(amount) FILTER (WHERE status = 'won')"),
            ("closed", "count(*)"),
        ),
    )
    kpi = Kpi("top_per_closed", "Top per closed", "close", Unit.CURRENCY, Aggregation.CUSTOM,
              ("deals.status", "deals.closed_at"), "closed_at", "", None, relation=rows,
              summarise=summarise)  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(CATALOGUE, kpi.id, kpi)
        found = report(kpis=[kpi.id], group_by=["owner"], small_sample=3)
    total = found.value(kpi.id)
    assert (total.value, total.numerator, total.denominator) == (75.0, 300.0, 4.0)
    assert found.value(kpi.id, owner="Ann").value == 50.0
    assert found.value(kpi.id, owner="Bob").value == 150.0
    blank = found.value(kpi.id, owner="(blank)")
    assert (blank.value, blank.note) == (None, "nothing closed")
    assert ({"top": None, "closed": None}, 3) in seen  # no rows: blank measures


def test_rows_set_against_another_period_and_measures_the_report_gives():
    """Rows.against: deals closed in October (numerator 1) or, those closed before it
    (`earlier`), in the period each is set against, here September (denominator 1): d1, d2, d3, d4 in October and d8 (30 Sep) in
    September, so 4 over 5; d7 (2 Nov) in neither. Rows.given: a setting in every group,
    with rows or none (d6's blank owner has none), and `{name}` settings in measures."""
    from salesmetrics.kpis.base import Aggregate, Aggregation, Kpi, Rows, Settings, Unit

    def september(ctx, period):
        return resolve_period("2026-09", date(2026, 11, 1))

    against = Kpi("closed_against", "Closed against", "close", Unit.RATIO, Aggregation.RATIO,
                  ("deals.status", "deals.closed_at"), "closed_at", "", None,
                  relation=Rows("deals", "closed_at", (("status IN ('won', 'lost')", "open"),),
                                numerator="CASE WHEN closed_at >= kpi_start THEN 1.0 ELSE 0.0 END",
                                denominator="1.0", against=september,
                                earlier="closed_at < kpi_start"))  # fmt: skip

    def per_market(m, threshold):
        return Aggregate((m["closed"] or 0.0) / m["market"], m["closed"], m["market"])

    given = Kpi("closed_per_market", "Closed per market", "close", Unit.RATIO,
                Aggregation.CUSTOM, ("deals.status", "deals.closed_at"), "closed_at", "", None,
                relation=Rows("deals", "closed_at", (("status IN ('won', 'lost')", "open"),),
                              measures=(("closed", "count(*) * {addressable_market} / 8.0"),),
                              given=lambda ctx: {"market": ctx.settings.addressable_market}),
                summarise=per_market)  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(CATALOGUE, against.id, against)
        patch.setitem(CATALOGUE, given.id, given)
        found = report(kpis=[against.id, given.id], group_by=["owner"],
                       settings=Settings(addressable_market=8.0))  # fmt: skip
    total = found.value(against.id)
    assert (total.numerator, total.denominator, total.value) == (4.0, 5.0, 0.8)
    ann = found.value(against.id, owner="Ann")  # d1, d2 in October, d8 in September
    assert (ann.numerator, ann.denominator) == (2.0, 3.0)
    assert found.value(given.id).value == 0.5  # 4 closed in October over a market of 8
    blank = found.value(given.id, owner="(blank)")  # no rows: the market all the same
    assert (blank.value, blank.denominator) == (0.0, 8.0)


def test_a_row_that_lasts_whole_counts_in_every_period_its_span_meets():
    """Rows.whole: in ISO week 40 (28 September to 4 October) a row with blank ends (always),
    one ending at the week's first instant (its end included), one starting in its last hour
    all count whole, not by a share; one starting at the instant after the week and one
    ending the minute before it do not."""
    from salesmetrics.duck import measure
    from salesmetrics.kpis.base import Aggregation, Context, Kpi, Rows, Unit

    reps = pd.DataFrame(
        {
            "owner": ["Ann", "Bob", "Cy", "Dee", "Eve"],
            "started_at": [None, "2026-09-01", "2026-10-04 23:00", "2026-10-05", "2026-09-01"],
            "ended_at": [None, "2026-09-28", "2026-12-01", None, "2026-09-27 23:59"],
            "quota": [1.0, 10.0, 100.0, 1000.0, 10000.0],
        }
    ).astype({"started_at": "timestamp[us][pyarrow]", "ended_at": "timestamp[us][pyarrow]"})
    employed = Rows("reps", "started_at", spans="ended_at", value="quota", whole=True)
    kpi = Kpi("quota_held", "Quota held", "team", Unit.CURRENCY, Aggregation.SUM, ("reps.owner",),
              "", "", lambda c, p: pd.DataFrame(), relation=employed)  # fmt: skip
    week = resolve_period("2026-W40", date(2026, 11, 15))
    found = measure(kpi, Context({"reps": reps}, date(2026, 11, 15)), [(week, None)], ())
    stats = found[0][None][(None, None)]
    assert (stats.value, stats.n) == (111.0, 3)  # Ann, Bob and Cy


def test_a_ratio_per_distinct_value_flagged_rows_and_their_note():
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o1", "o2", None, None, "o3"],
            "customer_id": ["C1", "C1", "C1", "C2", "C2", None],
            "ordered_at": [
                "2026-10-01",
                "2026-10-01",
                "2026-10-02",
                "2026-10-03 09:00",
                "2026-10-03 17:00",
                "2026-10-04",
            ],
            "amount": [10.0, 20.0, 30.0, 5.0, 5.0, 30.0],
        }
    ).astype({"ordered_at": "timestamp[us][pyarrow]", "amount": "double[pyarrow]"})
    ids = ["purchase_frequency", "avg_purchase_value", "customers_purchasing"]
    found = report({"orders": orders}, kpis=ids)
    # purchases: o1 (2 lines), o2, C2 on 3 October (2 lines, no order id: flagged), o3
    frequency = found.value("purchase_frequency")
    # Rows.per: of customers C1 (o1, o2) and C2 (its day): 3 / 2; o3 has no customer, left out
    assert (frequency.numerator, frequency.denominator, frequency.n) == (3.0, 2.0, 5)
    assert frequency.note == (
        "purchases without an order_id are distinct customer-days; "
        "1 order row without a customer_id left out"
    )
    average = found.value("avg_purchase_value")  # 100 over 4 purchases; o3 counts here
    assert (average.numerator, average.denominator, average.value) == (100.0, 4.0, 25.0)
    assert average.note == "purchases without an order_id are distinct customer-days"
    # without C2's day, no row is flagged; without customers, no denominator
    plain = report({"orders": orders.iloc[[0, 1, 2, 5]]}, kpis=ids)
    assert plain.value("avg_purchase_value").note is None
    later = orders.iloc[[5, 5, 0]].copy()
    later.iloc[2, 2] = pd.Timestamp("2026-11-02")  # C1 buys only in November
    anonymous = report({"orders": later}, kpis=ids).value("purchase_frequency")
    assert (anonymous.value, anonymous.note) == (
        None,
        "no customers in the period; 2 order rows without a customer_id left out",
    )


def test_a_ratio_below_zero_has_no_value_where_the_kpi_says_so():
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3"],
            "ordered_at": ["2026-10-01", "2026-10-02", "2026-10-03"],
            "amount": [-100.0, 20.0, 30.0],  # o1 refunded
            "cost": [-60.0, 5.0, None],
        }
    ).astype(
        {
            "ordered_at": "timestamp[us][pyarrow]",
            "amount": "double[pyarrow]",
            "cost": "double[pyarrow]",
        }
    )
    margin = report({"orders": orders}, kpis=["gross_margin"]).value("gross_margin")
    # of o1 and o2: (−80 − (−55)) / −80, revenue below 0: no value; o3 has no cost
    assert (margin.value, margin.numerator, margin.denominator) == (None, -25.0, -80.0)
    assert margin.note == "revenue in the period is below 0; 1 order row without a cost left out"
    refunds = report({"orders": orders.iloc[[0, 2, 2]]}, kpis=["gross_margin"])
    assert refunds.value("gross_margin").note == (
        "revenue in the period is below 0; 2 order rows without a cost left out"
    )
    revenue = report({"orders": orders.iloc[[1, 2]]}, kpis=["gross_margin"])
    assert revenue.value("gross_margin").value == 0.75  # (20 − 5) / 20: above 0, a value


def test_rows_that_span_days_count_reps_employed_in_each_period():
    reps = pd.DataFrame(
        {
            "owner": ["Ann", "Bob", "Cy", "Dee"],
            "started_at": [None, "2025-01-01", "2026-10-31 23:59", "2026-11-01"],
            "ended_at": [None, "2026-09-30 23:59", None, None],
        }
    ).astype({"started_at": "timestamp[us][pyarrow]", "ended_at": "timestamp[us][pyarrow]"})
    ids = ["sales_per_rep", "deals_closed_per_rep"]
    found = report({"deals": BOOK, "reps": reps}, kpis=ids, group_by=("owner",))
    # employed in October: Ann (no dates), Cy (from its last minute); Bob left the minute
    # before it, Dee starts after it. Won in October: d1 100, d3 300, d4 (no amount)
    sales = found.value("sales_per_rep")
    assert (sales.numerator, sales.denominator, sales.value) == (400.0, 2.0, 200.0)
    closed = found.value("deals_closed_per_rep")  # d1, d2, d3, d4
    assert (closed.numerator, closed.denominator, closed.value) == (4.0, 2.0, 2.0)
    bob = found.value("sales_per_rep", owner="Bob")
    assert (bob.value, bob.numerator, bob.note) == (None, 300.0, "no active reps in the period")
    # Bob leaving at October's first instant is employed in it
    stayed = reps.assign(ended_at=reps["ended_at"].where(reps["owner"] != "Bob", OCTOBER_FIRST))
    assert report({"deals": BOOK, "reps": stayed}, kpis=ids).value("sales_per_rep").value == (
        400.0 / 3
    )
    # without reps, the owners of the deals closed in the period: Ann and Bob
    alone = report({"deals": BOOK}, kpis=ids).value("sales_per_rep")
    assert (alone.numerator, alone.denominator) == (400.0, 2.0)


OCTOBER_FIRST = pd.Timestamp("2026-10-01")


def test_a_tally_of_the_kept_rows_is_the_note_of_a_value_with_rows():
    surveys = pd.DataFrame(
        {
            "responded_at": ["2026-10-02", "2026-10-03", "2026-10-04", "2026-09-30"],
            "score": [10.0, 3.0, None, 9.0],
            "segment": ["SMB", "SMB", "SMB", "Enterprise"],
        }
    ).astype({"responded_at": "timestamp[us][pyarrow]", "score": "double[pyarrow]"})
    found = report({"surveys": surveys}, kpis=["nps"], group_by=("segment",))
    nps = found.value("nps")  # (100 − 100) / 2; the blank score is no response
    assert (nps.value, nps.numerator, nps.denominator, nps.n) == (0.0, 0.0, 2.0, 2)
    assert nps.note == "1 promoter, 0 passives, 1 detractor"
    enterprise = found.value("nps", segment="Enterprise")  # no rows in October: no tally
    assert (enterprise.value, enterprise.note) == (None, "no survey responses in the period")


def test_rows_made_per_slice_count_in_their_own_slice_only(monkeypatch):
    """Rows.of_slice: a view reading the slices table makes, for each slice, the deals created
    before its end (a snapshot no `at` could place): September's end has d1, d2, d5, d7 and
    d8 (created by 30 September), October's all eight; the SUM is not cut at the data's end,
    as the view sees the whole slice."""
    from salesmetrics import duck, engine
    from salesmetrics.kpis.base import Aggregation, Context, Kpi, Rows, Unit

    monkeypatch.setitem(
        duck.VIEWS,
        "deals_by_slice",
        "SELECT d.*, s.kpi_slice AS made_for FROM deals d, report_slices s "
        "WHERE d.created_at < s.kpi_stop",
    )
    made = Rows("deals_by_slice", "NULL", value="coalesce(amount, 0.0)", of_slice="made_for")
    kpi = Kpi("made", "Made", "close", Unit.CURRENCY, Aggregation.SUM, ("deals.amount",),
              "", "", lambda c, p: pd.DataFrame(), relation=made)  # fmt: skip
    september = resolve_period("2026-09", date(2026, 11, 15))
    ctx = Context({"deals": BOOK}, date(2026, 11, 15), dimensions=("owner",))
    found = duck.measure(kpi, ctx, [(september, None), (OCTOBER, None)], ("owner",))
    assert (found[0][None][(None, None)].n, found[1][None][(None, None)].n) == (5, 8)
    assert found[0][None][(None, None)].value == 100.0 + 50.0 + 700.0 + 80.0 + 40.0
    assert found[1][("Bob",)][(None, None)].value == 300.0 + 700.0  # d3, d4 (none), d5
    assert not engine._grows(kpi)


def test_a_slice_says_whether_it_is_all_of_the_data(monkeypatch):
    """report_slices.kpi_whole is true for period all alone, so a view made per slice may take
    every record whatever the days of the span: the span of "all" here is 2026-09-01 to
    2026-10-31, yet its slice has all eight deals (d5 created in August, d8 in July), while a
    period of the same days has the six created in them."""
    from salesmetrics import duck
    from salesmetrics.kpis.base import Aggregation, Context, Kpi, Rows, Unit

    monkeypatch.setitem(
        duck.VIEWS,
        "deals_of_slice",
        "SELECT d.*, s.kpi_slice AS made_for FROM deals d, report_slices s "
        "WHERE s.kpi_whole OR (d.created_at >= s.kpi_start AND d.created_at < s.kpi_stop)",
    )
    # made as a table, remade when the slices change
    monkeypatch.setattr(duck, "MATERIALISED", duck.MATERIALISED | {"deals_of_slice"})
    monkeypatch.setattr(duck, "SLICE_READERS", (*duck.SLICE_READERS, "deals_of_slice"))
    made = Rows("deals_of_slice", "NULL", of_slice="made_for")
    kpi = Kpi("made", "Made", "close", Unit.COUNT, Aggregation.COUNT, ("deals.created_at",),
              "", "", lambda c, p: pd.DataFrame(), relation=made)  # fmt: skip
    span = (date(2026, 9, 1), date(2026, 10, 31))
    everything = resolve_period("all", date(2026, 11, 15), data_span=span)
    same_days = Period("2026-09-01 to 2026-10-31", *span, "days")
    slices = [(everything, None), (same_days, None)]
    assert duck.slices_table(slices)["kpi_whole"].to_pylist() == [True, False]
    ctx = Context({"deals": BOOK}, date(2026, 11, 15))
    found = duck.measure(kpi, ctx, slices, ())
    assert (found[0][None][(None, None)].n, found[1][None][(None, None)].n) == (8, 6)
    # the same days the other way round: the table is made again, as kpi_whole differs
    again = duck.measure(kpi, ctx, slices[::-1], ())
    assert (again[0][None][(None, None)].n, again[1][None][(None, None)].n) == (6, 8)


def test_a_view_may_read_the_reports_as_of_day():
    from salesmetrics import duck
    from salesmetrics.kpis.base import Context

    ctx = Context({"deals": BOOK}, date(2026, 11, 15))
    as_of = duck.connection(ctx).execute(f"SELECT as_of FROM {duck.AS_OF}").fetchall()
    assert as_of == [(date(2026, 11, 15),)]


def test_amounts_in_two_currencies_are_refused_only_in_a_slice_that_has_both():
    """The currency check, slice by slice when the source carries two currencies: BOOK with
    d3 in EUR has USD and EUR among October's won deals (d1, d4 USD; refused), and EUR alone
    in September (d8: 40 EUR); one currency in all is never refused."""
    book = BOOK.assign(currency=["USD", "USD", "EUR", "USD", "USD", "USD", "USD", "EUR"])
    with pytest.raises(SalesmetricsError, match=r"USD \(2 rows\), EUR \(1 rows\)"):
        report({"deals": book}, kpis=["revenue_won"])
    september = resolve_period("2026-09", date(2026, 11, 1))
    alone = report({"deals": book}, kpis=["revenue_won"], period=september, compare="none")
    assert alone.value("revenue_won").value == 40.0
    one = report({"deals": book.assign(currency="EUR")}, kpis=["revenue_won"])
    assert one.value("revenue_won").value == 400.0


def test_a_custom_kpi_and_only_one_is_made_of_measures_and_a_summary():
    counted = CATALOGUE["deals_won"]
    with pytest.raises(ValueError, match="deals_won: a custom KPI, and only one, gives `measures`"):
        replace(counted, summarise=lambda measures, threshold: Aggregate(None))
    velocity = CATALOGUE["sales_velocity"]  # custom: its measures and a summary of them
    with pytest.raises(ValueError, match="sales_velocity: a custom KPI, and only one"):
        replace(velocity, summarise=None)
    with pytest.raises(ValueError, match="lost_reasons: a distribution needs a `category`"):
        replace(CATALOGUE["lost_reasons"], category=None)


def test_the_reports_connection_runs_under_the_memory_limit_chosen(monkeypatch):
    """`--memory-limit` (memory.limited) beats SALESMETRICS_MEMORY_LIMIT on the connection a
    report's queries run on: 953.6 MiB is DuckDB's way to say 1GB, 476.8 MiB 500MB."""
    from salesmetrics import duck
    from salesmetrics.kpis.base import Context
    from salesmetrics.memory import limited

    def limit() -> str:
        con = duck.connection(Context({"deals": BOOK}, date(2026, 11, 15)))
        return con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]

    monkeypatch.setenv("SALESMETRICS_MEMORY_LIMIT", "500MB")
    assert limit() == "476.8 MiB"
    with limited("1GB"):
        assert limit() == "953.6 MiB"


def test_a_report_out_of_memory_is_one_line_not_duckdbs_traceback(monkeypatch):
    """Under 1MB the engine's first grouped query cannot get its buffers: a real OOM."""
    from salesmetrics.memory import limited

    monkeypatch.delenv("SALESMETRICS_MEMORY_LIMIT", raising=False)
    said = r"^the report's queries ran out of memory under the memory limit of 1MB"
    with pytest.raises(SalesmetricsError, match=said), limited("1MB"):
        report(kpis=["deals_won", "win_rate"])
    with limited("1GB"):
        assert report(kpis=["deals_won"]).value("deals_won").value == 3


def test_kpis_of_one_source_placed_alike_are_measured_in_one_query_each_with_its_rows(
    monkeypatch,
):
    """duck.measure_all: three KPIs of BOOK's deals by closed_at, by owner, in September and
    October, share one query, yet each counts its own rows: won deals (October: d1 for Ann,
    d3 and d4 for Bob; September: d8), the amount of lost deals (October: d2's 50, Ann's
    alone, so no Bob group; September: none) and deals won in a slice's first ten days
    (October: d1 on the 5th, d4 on the 2nd, not d3 on the 20th; September: d8 on the 30th is
    not). Each gives what it gives measured alone."""
    from salesmetrics import duck
    from salesmetrics.kpis.base import Aggregation, Context, Kpi, Rows, Unit

    def declared(kpi_id: str, kind: Aggregation, rows: Rows) -> Kpi:
        return Kpi(kpi_id, kpi_id, "close", Unit.COUNT, kind, ("deals.closed_at",),
                   "closed_at", "", relation=rows)  # fmt: skip

    won = ("status = 'won'", "not won")
    kpis = [
        declared("won", Aggregation.COUNT, Rows("deals", "closed_at", (won,))),
        declared(
            "lost_amount",
            Aggregation.SUM,
            Rows("deals", "closed_at", (("status = 'lost'", "not lost"),), value="amount"),
        ),
        declared(
            "won_early",
            Aggregation.COUNT,
            Rows("deals", "closed_at", (won,), during="closed_at < kpi_start + INTERVAL 10 DAY"),
        ),
    ]
    september = resolve_period("2026-09", date(2026, 11, 15))
    slices = ((september, None), (OCTOBER, None))
    queries = [duck.Query(kpi, slices, ("owner",)) for kpi in kpis]
    ran = []
    measured = duck._measured
    monkeypatch.setattr(duck, "_measured", lambda *a: ran.append(a) or measured(*a))
    ctx = Context({"deals": BOOK}, date(2026, 11, 15), dimensions=("owner",))
    found = duck.measure_all(ctx, queries)
    assert len(ran) == 1

    def counted(kpi: int, at: int) -> dict[object, tuple[int, float | None]]:
        return {k: (s[(None, None)].n, s[(None, None)].value) for k, s in found[kpi][at].items()}

    assert counted(0, 1) == {None: (3, 3.0), ("Ann",): (1, 1.0), ("Bob",): (2, 2.0)}
    assert counted(0, 0) == {None: (1, 1.0), ("Ann",): (1, 1.0)}
    assert counted(1, 1) == {None: (1, 50.0), ("Ann",): (1, 50.0)}
    assert counted(1, 0) == {}
    assert counted(2, 1) == {None: (2, 2.0), ("Ann",): (1, 1.0), ("Bob",): (1, 1.0)}
    assert counted(2, 0) == {}
    alone = [duck.measure(kpi, ctx, slices, ("owner",)) for kpi in kpis]
    assert found == alone and len(ran) == 4


def test_the_slices_by_day_list_each_day_of_a_slice_and_of_the_period_it_is_set_against():
    """duck.days_table: October (31 days) set against September (30) is 61 rows, October's
    first; a slice set against nothing has its own days only."""
    from salesmetrics import duck

    september = resolve_period("2026-09", date(2026, 11, 15))
    days = duck.days_table(duck.slices_table([(OCTOBER, None)], [september]))
    listed = days.select(["kpi_slice", "kpi_day", "kpi_earlier"]).to_pylist()
    assert len(listed) == 61
    assert listed[0] == {"kpi_slice": 0, "kpi_day": date(2026, 10, 1), "kpi_earlier": False}
    assert listed[30]["kpi_day"] == date(2026, 10, 31)
    assert listed[31] == {"kpi_slice": 0, "kpi_day": date(2026, 9, 1), "kpi_earlier": True}
    assert listed[60]["kpi_day"] == date(2026, 9, 30)
    alone = duck.days_table(duck.slices_table([(september, None), (OCTOBER, None)]))
    assert alone.num_rows == 61 and not any(alone["kpi_earlier"].to_pylist())
    assert alone["kpi_slice"].to_pylist() == [0] * 30 + [1] * 31
