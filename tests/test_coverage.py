"""Which days each input covers, and the warnings for inputs with no row in the period.

Each book is a handful of rows whose dates are chosen so the answer can be read off them.
"""

from __future__ import annotations

from datetime import date

from salesmetrics.coverage import covers, outside, uncovered
from salesmetrics.periods import resolve_period
from salesmetrics.report import DataWarning
from tests.kpis.frames import AS_OF, NOVEMBER, OCTOBER, frame

DEALS = frame(
    "deals",
    "deal_id status created_at closed_at",
    [
        ("D1", "won", "2026-09-02 10:00", "2026-10-31 17:30"),  # the last date: a close
        ("D2", "open", "2026-07-14", None),  # the first date: a creation
    ],
)


def warnings(frames, period, as_of=AS_OF, **named) -> tuple[DataWarning, ...]:
    read = {entity: named.get(entity, []) for entity in frames}
    return uncovered(covers(frames, as_of), period, read)


def test_a_period_after_the_last_date_is_stale_and_names_the_dates():
    assert warnings({"deals": DEALS}, OCTOBER) == ()
    assert warnings({"deals": DEALS}, NOVEMBER) == (
        DataWarning(
            "stale_input",
            "deals",
            date(2026, 7, 14),
            date(2026, 10, 31),
            "deals end 2026-10-31; period 2026-11 has no deals",
        ),
    )
    # a period inside the last month but after the last day is stale too
    late = resolve_period("2026-W45", AS_OF)  # 2 to 8 November
    assert [w.code for w in warnings({"deals": DEALS}, late)] == ["stale_input"]


def test_a_period_before_the_first_date_or_in_a_hole_is_empty():
    before = warnings({"deals": DEALS}, resolve_period("2026-06", AS_OF))
    assert [(w.code, w.message) for w in before] == [
        ("empty_period", "deals start 2026-07-14; period 2026-06 has no deals")
    ]
    # rows in July, September and October (created or closed): August is the only month
    # without one, so the usual quiet stretch is 0 months and the hole is said
    hole = warnings({"deals": DEALS}, resolve_period("2026-08", AS_OF))
    assert [(w.code, w.message) for w in hole] == [
        (
            "empty_period",
            "period 2026-08 has no deals (deals run from 2026-07-14 to 2026-10-31)",
        )
    ]
    # a week without a row in a month with rows: nothing comes every month in weeks
    week = warnings({"deals": DEALS}, resolve_period("2026-W42", AS_OF))  # 12 to 18 October
    assert [w.code for w in week] == ["empty_period"]


def test_monthly_rows_cover_their_whole_month():
    subscriptions = frame(
        "subscriptions",
        "customer_id month mrr",
        [("C1", "2026-09-01", 100.0), ("C1", "2026-10-01", 100.0)],
    )
    frames = {"subscriptions": subscriptions}
    mid_october = resolve_period("2026-W42", AS_OF)
    assert warnings(frames, mid_october) == ()  # October's row covers the 12th to the 18th
    (stale,) = warnings(frames, NOVEMBER)
    assert (stale.first, stale.last) == (date(2026, 9, 1), date(2026, 10, 31))
    assert stale.message == "subscriptions end 2026-10-31; period 2026-11 has no subscriptions"


def test_open_subscriptions_cover_up_to_as_of():
    intervals = frame(
        "subscriptions",
        "customer_id started_at ended_at mrr",
        [("C1", "2025-03-10", None, 100.0), ("C2", "2025-01-05", "2025-06-30", 50.0)],
    )
    assert warnings({"subscriptions": intervals}, NOVEMBER) == ()  # C1 pays on, to as_of
    ended = {"subscriptions": intervals.iloc[1:]}
    (stale,) = warnings(ended, NOVEMBER)
    assert stale.last == date(2025, 6, 30)


def test_an_input_that_comes_every_few_months_is_quiet_between_its_rows():
    # a quarterly survey: answers in March, June and September, none in between
    surveys = frame(
        "surveys",
        "responded_at score",
        [("2026-03-04", 9.0), ("2026-06-10", 7.0), ("2026-09-23", 10.0)],
    )
    frames = {"surveys": surveys}
    # two quiet months between answers are its usual: July and August, October and November
    assert warnings(frames, resolve_period("2026-07", AS_OF)) == ()
    assert warnings(frames, OCTOBER) == ()
    assert warnings(frames, NOVEMBER) == ()
    # December should have had answers: three quiet months are more than its usual two
    (stale,) = warnings(frames, resolve_period("2026-12", AS_OF))
    assert stale.message == "surveys end 2026-09-23; period 2026-12 has no surveys"
    # before the first answer it is said whatever the rhythm
    assert [w.code for w in warnings(frames, resolve_period("2026-01", AS_OF))] == ["empty_period"]


def test_targets_cover_their_period_labels_and_name_the_kpis_that_read_them():
    targets = frame(
        "targets",
        "period owner amount",
        [("2026-Q3", "Ana", 100.0), ("2026-Q4", "Ana", 120.0), ("2026-Q4", "Ben", 90.0)],
    )
    frames = {"targets": targets}
    assert warnings(frames, NOVEMBER) == ()  # inside 2026-Q4
    (stale,) = warnings(
        frames, resolve_period("2027-01", AS_OF), targets=["quota_attainment", "revenue_won"]
    )
    assert (stale.code, stale.first, stale.last) == (
        "stale_input",
        date(2026, 7, 1),
        date(2026, 12, 31),
    )
    assert stale.message == (
        "targets end 2026-12-31; period 2027-01 has no targets for quota_attainment, revenue_won"
    )


def test_reference_and_undated_inputs_are_never_warned_about():
    reps = frame("reps", "owner team started_at", [("Ana", "East", "2024-01-01")])
    snapshot = frame("subscriptions", "customer_id mrr churned", [("C1", 10.0, False)])
    frames = {"reps": reps, "subscriptions": snapshot}
    assert covers(frames, AS_OF) == {}
    assert warnings(frames, NOVEMBER) == ()


def test_the_usual_gap_is_the_95th_percentile_of_steps_between_days_with_rows():
    # Monday 5 to Friday 30 October, weekdays only: steps of 1 day, and 3 over each weekend
    weekdays = [d for d in range(5, 31) if date(2026, 10, d).weekday() < 5]
    acts = frame(
        "activities",
        "activity_id occurred_at",
        [(f"A{d}", f"2026-10-{d:02d} 09:00") for d in weekdays],
    )
    assert covers({"activities": acts}, AS_OF)["activities"].usual_gap() == 3
    # one day with rows: no step
    single = acts.iloc[:1]
    assert covers({"activities": single}, AS_OF)["activities"].usual_gap() == 0


def test_a_period_outside_an_input_gives_the_reason_its_values_are_unknown():
    leads = frame("leads", "lead_id created_at sql_at", [("L1", "2026-08-03", "2026-10-05")])
    covered = covers({"deals": DEALS, "leads": leads}, AS_OF)
    # after the deals' last day (31 October): unknown, in the words of the warning
    assert outside(covered, NOVEMBER, ["deals"]) == (
        "deals end 2026-10-31; period 2026-11 has no deals"
    )
    assert outside(covered, OCTOBER, ["deals"]) is None
    # before the first date of the input that places the rows (the first named) only: the
    # others may be read after it, as a cohort's outcomes are
    june = resolve_period("2026-06", AS_OF)
    assert outside(covered, june, ["deals"]) == (
        "deals start 2026-07-14; period 2026-06 has no deals"
    )
    assert outside(covered, june, ["leads", "deals"]) == (
        "leads start 2026-08-03; period 2026-06 has no leads"
    )
    july = resolve_period("2026-07", AS_OF)
    assert outside(covered, july, ["leads", "deals"]) is not None
    assert outside(covered, july, ["deals", "leads"]) is None
    assert outside(covered, june, ["deals"], before=False) is None  # a report period's own
    # the leads' event dates end 3 August, but a KPI counting by sql_at reads them to October
    september = resolve_period("2026-09", AS_OF)
    assert outside(covered, september, ["leads"]) is not None
    assert outside(covered, september, ["leads"], later={"leads": date(2026, 10, 5)}) is None
