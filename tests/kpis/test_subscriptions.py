"""The MRR book (salesmetrics.kpis.subscriptions; the views mrr_book and mrr_movements of
salesmetrics.kpis.views) on tiny histories worked out by hand, and a property test: over random
histories, every month's start + movements = end, and each kind of movement matches a plain
per-customer loop written here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesmetrics import duck
from salesmetrics.engine import compute
from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import Context
from salesmetrics.kpis.subscriptions import (
    horizon,
    index_of,
    is_snapshot,
    month_index,
    month_label,
    months_in,
)
from salesmetrics.periods import between, resolve_period
from tests.kpis.frames import AS_OF, context, frame

KINDS = ("new", "expansion", "contraction", "churned", "reactivation")
M = index_of(date(2026, 1, 1))  # January 2026 as a month index; M + 1 is February, …


def monthly(rows: list[tuple]) -> dict[str, pd.DataFrame]:
    return {"subscriptions": frame("subscriptions", "customer_id month mrr plan", rows)}


def intervals(rows: list[tuple]) -> dict[str, pd.DataFrame]:
    columns = "customer_id started_at ended_at mrr plan"
    return {"subscriptions": frame("subscriptions", columns, rows)}


def query(ctx: Context, sql: str) -> list[tuple]:
    """`sql` over the shared views (kpis.views) of a report on `ctx`'s frames."""
    return duck.connection(ctx).execute(duck.ready(ctx, sql)).fetchall()


def moves(ctx: Context) -> list[tuple[str, int, str, float]]:
    """The book's movements by month (M + k as k), then customer."""
    found = query(
        ctx,
        "SELECT customer_id, moved_month, movement, amount FROM mrr_movements "
        "ORDER BY moved_month, customer_id",
    )
    return [(c, m - M, k, a) for c, m, k, a in found]


def totals(ctx: Context) -> dict[int, float]:
    """The book's MRR by month (index); a month at zero MRR is absent."""
    return dict(query(ctx, "SELECT book_month, sum(mrr) FROM mrr_book GROUP BY book_month"))


def moved(ctx: Context) -> dict[int, float]:
    """The sum of the book's movements by month (index)."""
    return dict(query(ctx, "SELECT moved_month, sum(amount) FROM mrr_movements GROUP BY ALL"))


def reconciles(mrr: dict[int, float], moves: dict[int, float], first: int, last: int) -> bool:
    """MRR before `first` + the movements of first..last = MRR at `last` (`totals`, `moved`)."""
    inside = sum(a for m, a in moves.items() if first <= m <= last)
    return mrr.get(first - 1, 0.0) + inside == pytest.approx(mrr.get(last, 0.0))


# One customer through new, expansion, contraction, churn and reactivation:
# Jan 100 (new), Feb 150 (+50), Mar 120 (−30), Apr 120 (no movement), May and Jun nothing
# (churned in May: −120), Jul 80 (reactivation after two months at zero), Aug 80.
HISTORY = monthly(
    [
        ("C1", "2026-01", 100.0, "Basic"),
        ("C1", "2026-02", 150.0, "Pro"),
        ("C1", "2026-03", 120.0, "Pro"),
        ("C1", "2026-04", 120.0, "Pro"),
        ("C1", "2026-07", 80.0, "Basic"),
        ("C1", "2026-08", 80.0, "Basic"),
    ]
)


def test_one_customer_goes_through_every_movement():
    ctx = context(HISTORY)
    assert moves(ctx) == [
        ("C1", 0, "new", 100.0),
        ("C1", 1, "expansion", 50.0),
        ("C1", 2, "contraction", -30.0),
        ("C1", 4, "churned", -120.0),  # dated May, the month after the last paying month
        ("C1", 6, "reactivation", 80.0),
    ]
    assert horizon(ctx) == M + 7  # August, the last month of the data
    span = between(date(2026, 1, 1), date(2026, 8, 31))
    report = compute(HISTORY, period=span, as_of=AS_OF, kpis=["mrr"], group_by=["month"])
    # every month from the first to the horizon, zeros included
    assert {v.group[0][1]: v.value for v in report.values if v.group} == {
        "2026-01": 100.0,
        "2026-02": 150.0,
        "2026-03": 120.0,
        "2026-04": 120.0,
        "2026-05": 0.0,
        "2026-06": 0.0,
        "2026-07": 80.0,
        "2026-08": 80.0,
    }
    # the bridge of each month and of the whole span (start 0 in December 2025)
    mrr, moves_in = totals(ctx), moved(ctx)
    assert all(reconciles(mrr, moves_in, month, month) for month in range(M, M + 8))
    assert reconciles(mrr, moves_in, M, M + 7)  # 0 + 100 + 50 − 30 − 120 + 80 = 80


def test_the_dimensions_of_a_churn_are_those_of_the_last_paying_month():
    found = query(context(HISTORY), "SELECT plan FROM mrr_movements ORDER BY moved_month")
    assert [p for (p,) in found] == ["Basic", "Pro", "Pro", "Pro", "Basic"]


def test_a_customer_paying_in_the_last_month_has_not_churned():
    # C2 pays through August, the horizon: nothing is known about September
    frames = monthly([("C1", "2026-07", 10.0, "A"), ("C2", "2026-08", 20.0, "A")])
    assert moves(context(frames)) == [
        ("C1", 6, "new", 10.0),
        ("C1", 7, "churned", -10.0),
        ("C2", 7, "new", 20.0),
    ]


def test_several_rows_of_a_customer_in_a_month_are_summed():
    frames = monthly(
        [
            ("C1", "2026-01", 100.0, "Pro"),
            ("C1", "2026-01", 30.0, "Add-on"),
            ("C1", "2026-02", 100.0, "Pro"),
            ("C1", "2026-02", 50.0, "Add-on"),  # 150 in February: +20
            ("C1", "2026-03", 0.0, "Pro"),  # a row at zero is no payment
        ]
    )
    ctx = context(frames)
    months = query(ctx, "SELECT mrr, plan FROM mrr_book ORDER BY book_month")
    assert months == [(130.0, "Pro"), (150.0, "Pro")]  # 100 + 30, 100 + 50; the largest row's
    assert moves(ctx) == [
        ("C1", 0, "new", 130.0),
        ("C1", 1, "expansion", 20.0),
        ("C1", 2, "churned", -150.0),  # March is within the data (its zero row)
    ]


def test_a_sum_differing_in_its_last_bits_is_not_a_movement():
    # 0.1 + 0.2 = 0.30000000000000004 in January, 0.3 in February: rounding, not contraction
    frames = monthly(
        [
            ("C1", "2026-01", 0.1, "A"),
            ("C1", "2026-01", 0.2, "A"),
            ("C1", "2026-02", 0.3, "A"),
        ]
    )
    ctx = context(frames)
    assert [(k, m) for _, m, k, _ in moves(ctx)] == [("new", 0)]
    assert reconciles(totals(ctx), moved(ctx), M, M + 1)


def test_intervals_count_in_every_month_at_whose_end_they_are_active():
    frames = intervals(
        [
            # 10 Jan to 1 Apr 00:00: active at the ends of January, February and March
            ("A", "2026-01-10", "2026-04-01 00:00", 10.0, "P"),
            # 31 Jan 23:59 to 15 Mar: January and February
            ("B", "2026-01-31 23:59", "2026-03-15", 20.0, "P"),
            # 1 Feb 00:00, open-ended: February to the horizon, November (as_of's month)
            ("C", "2026-02-01 00:00", None, 40.0, "P"),
            # 5 to 20 March: active at no month's end
            ("D", "2026-03-05", "2026-03-20", 80.0, "P"),
            # to 31 Mar 23:59: not active at the end of March, so January and February
            ("E", "2026-01-01", "2026-03-31 23:59", 160.0, "P"),
        ]
    )
    ctx = context(frames)
    assert horizon(ctx) == index_of(AS_OF) == M + 10
    months = query(
        ctx,
        "SELECT customer_id, list(book_month ORDER BY book_month) FROM mrr_book GROUP BY 1",
    )
    paying = {c: [m - M for m in ms] for c, ms in months}
    assert paying == {"A": [0, 1, 2], "B": [0, 1], "C": list(range(1, 11)), "E": [0, 1]}
    mrr = totals(ctx)
    # January 10 + 20 + 160; February + 40; March 10 + 40; April to November 40
    assert mrr[M] == 190.0 and mrr[M + 1] == 230.0 and mrr[M + 2] == 50.0
    assert mrr[M + 3] == mrr[M + 10] == 40.0
    assert moves(ctx) == [
        ("A", 0, "new", 10.0),
        ("B", 0, "new", 20.0),
        ("E", 0, "new", 160.0),
        ("C", 1, "new", 40.0),
        ("B", 2, "churned", -20.0),
        ("E", 2, "churned", -160.0),
        ("A", 3, "churned", -10.0),
    ]


def test_two_overlapping_intervals_of_a_customer_are_summed():
    frames = intervals(
        [
            ("A", "2026-01-15", None, 100.0, "Pro"),
            ("A", "2026-03-01", "2026-05-01", 25.0, "Add-on"),  # March and April
        ]
    )
    assert moves(context(frames)) == [
        ("A", 0, "new", 100.0),
        ("A", 2, "expansion", 25.0),
        ("A", 4, "contraction", -25.0),
    ]


def test_snapshot_detection():
    snap = frame("subscriptions", "customer_id mrr churned", [("A", 10.0, True)])
    assert is_snapshot(context({"subscriptions": snap}))
    assert not is_snapshot(context(HISTORY))
    dated = frame("subscriptions", "customer_id mrr month churned", [("A", 1.0, "2026-01", False)])
    assert not is_snapshot(context({"subscriptions": dated}))


def test_amounts_in_several_currencies_are_an_error():
    subs = frame(
        "subscriptions",
        "customer_id month mrr currency",
        [("A", "2026-01", 10.0, "USD"), ("B", "2026-01", 20.0, "EUR")],
    )
    january = resolve_period("2026-01", AS_OF)
    with pytest.raises(SalesmetricsError, match=r"several currencies: .*rates"):
        compute({"subscriptions": subs}, period=january, as_of=AS_OF, kpis=["mrr"])


def test_an_empty_book():
    frames = monthly([("C1", "2026-01", 0.0, "A")])
    ctx = context(frames)
    assert query(ctx, "SELECT * FROM mrr_book") == [] and moves(ctx) == []
    assert totals(ctx) == {} and moved(ctx) == {} and reconciles({}, {}, M, M)
    january = resolve_period("2026-01", AS_OF)
    assert compute(frames, period=january, as_of=AS_OF, kpis=["mrr"]).value("mrr").value == 0.0


def test_month_arithmetic():
    stamps = pd.Series(pd.to_datetime(["2025-12-31 23:59", "2026-01-01 00:00"]))
    assert month_index(stamps).tolist() == [M - 1, M]
    assert month_label(M + 9) == "2026-10"
    october = resolve_period("2026-10", AS_OF)
    assert months_in(october) == (M + 9, M + 9)
    q4 = resolve_period("2026-Q4", AS_OF)
    assert months_in(q4) == (M + 9, M + 11)
    # 15 Oct to 14 Nov holds one first of a month, November's; its end month is November
    assert months_in(between(date(2026, 10, 15), date(2026, 11, 14))) == (M + 10, M + 10)
    # a week without a first of a month holds no month: last < first
    week = resolve_period("2026-W42", AS_OF)  # 12 to 18 October
    assert months_in(week) == (M + 10, M + 9)


def test_a_month_index_is_the_first_instant_of_its_month():
    frames = monthly([("C1", "2025-12", 10.0, "A"), ("C2", "2027-02", 20.0, "A")])
    found = query(context(frames), "SELECT month_at FROM efficiency_book ORDER BY month_at")
    assert found == [(datetime(2025, 12, 1),), (datetime(2027, 2, 1),)]


# --- property: start + movements = end, and each movement as a per-customer loop finds it

AMOUNTS = st.sampled_from([0.0, 10.0, 10.0, 25.0, 40.0, 99.5])


@st.composite
def monthly_history(draw) -> list[tuple]:
    rows = []
    for customer in ("A", "B", "C", "D")[: draw(st.integers(1, 4))]:
        for month in draw(st.lists(st.integers(0, 11), max_size=10)):  # repeats: two rows
            rows.append((customer, f"2025-{month + 1:02d}", draw(AMOUNTS)))
    return rows


@st.composite
def interval_history(draw) -> list[tuple]:
    rows = []
    days = st.datetimes(datetime(2025, 1, 1), datetime(2026, 12, 31))
    for customer in ("A", "B", "C")[: draw(st.integers(1, 3))]:
        for _ in range(draw(st.integers(0, 3))):
            started = draw(days).replace(second=0, microsecond=0)
            ended = draw(st.one_of(st.none(), st.just(started), days))
            if ended is not None:
                ended = ended.replace(second=0, microsecond=0)
            end = ended.isoformat(" ") if ended is not None else None
            rows.append((customer, started.isoformat(" "), end, draw(AMOUNTS)))
    return rows


def _first_of_next(month: int) -> datetime:
    year, m = divmod(month + 1, 12)
    return datetime(year, m + 1, 1)


def brute_force(rows: list[tuple], mode: str) -> tuple[dict, dict, int]:
    """MRR per customer and month, and movements per (month, kind), by plain loops."""
    mrr: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    if mode == "monthly":
        last = max((index_of(date.fromisoformat(r[1] + "-01")) for r in rows), default=0)
        for customer, month, amount in rows:
            if amount > 0:
                mrr[customer][index_of(date.fromisoformat(month + "-01"))] += amount
    else:
        last = index_of(AS_OF)
        for customer, started, ended, amount in rows:
            start, end = datetime.fromisoformat(started), ended and datetime.fromisoformat(ended)
            if amount <= 0:
                continue
            for month in range(index_of(start), last + 1):
                boundary = _first_of_next(month)  # the end of the month
                if start < boundary and (end is None or end >= boundary):
                    mrr[customer][month] += amount
    moved: dict[tuple[int, str], float] = defaultdict(float)
    for months in mrr.values():
        paid_before = False
        for month in range(min(months), last + 1):
            before, now = months.get(month - 1, 0.0), months.get(month, 0.0)
            if before == 0 and now > 0:
                moved[(month, "reactivation" if paid_before else "new")] += now
            elif before > 0 and now == 0:
                moved[(month, "churned")] -= before
            elif before > 0 and now != before:
                moved[(month, "expansion" if now > before else "contraction")] += now - before
            paid_before = paid_before or now > 0
    return mrr, moved, last


def check_history(rows: list[tuple], mode: str) -> None:
    if mode == "monthly":
        frames = {"subscriptions": frame("subscriptions", "customer_id month mrr", rows)}
    else:
        columns = "customer_id started_at ended_at mrr"
        frames = {"subscriptions": frame("subscriptions", columns, rows)}
    ctx = context(frames)
    mrr, expected, last = brute_force(rows, mode)
    found = query(ctx, "SELECT moved_month, movement, sum(amount) FROM mrr_movements GROUP BY ALL")
    assert {(m, k): pytest.approx(a) for m, k, a in found} == dict(expected)
    by_month, moves_in = totals(ctx), moved(ctx)
    months = sorted({m for ms in mrr.values() for m in ms})
    if not months:
        assert by_month == {} and found == []
        return
    assert horizon(ctx) == last
    for month in range(months[0], last + 1):
        assert reconciles(by_month, moves_in, month, month)
        paid = sum(ms.get(month, 0.0) for ms in mrr.values())
        assert by_month.get(month, 0.0) == pytest.approx(paid)
        assert reconciles(by_month, moves_in, months[0], month)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=monthly_history())
def test_monthly_histories_reconcile_and_match_a_per_customer_loop(rows):
    check_history(rows, "monthly")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=interval_history())
def test_interval_histories_reconcile_and_match_a_per_customer_loop(rows):
    check_history(rows, "intervals")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=monthly_history(), month=st.integers(0, 11))
def test_the_bridge_kpi_adds_up_to_the_loop(rows, month):
    """mrr_bridge through the engine: start + movements = end, each line as the loop finds."""
    subs = frame("subscriptions", "customer_id month mrr", rows)
    period = resolve_period(f"2025-{month + 1:02d}", AS_OF)
    mrr, expected, last = brute_force(rows, "monthly")
    if not rows or index_of(period.start) > last:
        return
    report = compute({"subscriptions": subs}, period=period, as_of=AS_OF, kpis=["mrr_bridge"])
    lines = {c: v.value for c, v in report.categories("mrr_bridge").items()}
    here = index_of(period.start)
    if here <= min(index_of(date.fromisoformat(f"{m}-01")) for _, m, _ in rows):
        assert set(lines.values()) == {None}  # the opening month, or before: nothing known
        return
    assert lines["start"] == pytest.approx(sum(ms.get(here - 1, 0.0) for ms in mrr.values()))
    assert lines["end"] == pytest.approx(sum(ms.get(here, 0.0) for ms in mrr.values()))
    for kind in KINDS:
        assert lines[kind] == pytest.approx(expected.get((here, kind), 0.0))
    assert lines["start"] + sum(lines[k] for k in KINDS) == pytest.approx(lines["end"])
