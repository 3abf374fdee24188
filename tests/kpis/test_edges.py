"""The edges of an input's data: the days it reaches, the part of a period they cover, and the
same days of a comparison period. Each book's dates are chosen so the answer reads off them."""

from __future__ import annotations

from datetime import date

from salesmetrics.kpis.edges import covered, reach, same_part
from salesmetrics.periods import Period, resolve_period
from tests.kpis.frames import AS_OF, OCTOBER, Q4, context, frame

# activities on weekdays only, from Thursday 1 to Friday 30 October 2026
WEEKDAYS = [d for d in range(1, 31) if date(2026, 10, d).weekday() < 5]
ACTS = frame(
    "activities",
    "activity_id occurred_at",
    [(f"A{d}", f"2026-10-{d:02d} 09:00") for d in WEEKDAYS],
)
DEALS = frame(
    "deals",
    "deal_id status created_at closed_at",
    [
        ("D1", "won", "2026-10-01", "2026-10-31 17:00"),  # the data's last day: Saturday 31
        ("D2", "open", "2026-09-20", None),  # its first day
    ],
)


def test_an_input_reaches_the_data_s_edge_within_its_usual_gap():
    ctx = context({"activities": ACTS, "deals": DEALS})
    # the activities stop on Friday the 30th, a day before the deals; their usual gap is 3
    # days (the weekends), so they reach the 31st. They start 11 days after the deals, more
    # than their usual gap: their own first day stands.
    assert reach(ctx, "activities") == (date(2026, 10, 1), date(2026, 10, 31))
    assert covered(ctx, OCTOBER, "activities") == (OCTOBER, None)
    assert reach(ctx, "leads") is None  # no such input: nothing to cut
    assert covered(ctx, OCTOBER, "leads") == (OCTOBER, None)


def test_an_input_that_stopped_earlier_than_the_data_cuts_the_period():
    # the activities stop on Friday 16 October, 15 days before the deals: more than their gap
    early = ACTS.iloc[: WEEKDAYS.index(16) + 1]
    ctx = context({"activities": early, "deals": DEALS})
    part, note = covered(ctx, OCTOBER, "activities")
    assert part is not None and (part.start, part.end) == (date(2026, 10, 1), date(2026, 10, 16))
    assert note == "the activities data ends 2026-10-16: values up to its end"
    # September: the deals start on the 20th, the activities in October
    september = resolve_period("2026-09", AS_OF)
    part, note = covered(ctx, september, "activities", "deals")
    assert (part, note) == (None, "the activities data starts 2026-10-01: values from its start")
    part, note = covered(ctx, september, "deals")
    assert part is not None and (part.start, part.end) == (date(2026, 9, 20), date(2026, 9, 30))
    assert note == "the deals data starts 2026-09-20: values from its start"


def test_a_sparse_input_is_cut_once_quiet_for_more_than_a_week():
    # a deal created and closed a month apart: a usual gap of 30 days, held to a week; the
    # deals stop on 1 October, the activities (the data's last day) on the 30th
    sparse = frame(
        "deals",
        "deal_id status created_at closed_at",
        [("D1", "won", "2026-09-01", "2026-10-01")],
    )
    ctx = context({"activities": ACTS, "deals": sparse})
    assert reach(ctx, "deals") == (date(2026, 9, 1), date(2026, 10, 1))
    part, note = covered(ctx, Q4, "deals", "activities")
    assert part is not None and (part.start, part.end) == (date(2026, 10, 1), date(2026, 10, 1))
    assert note == "the deals data ends 2026-10-01: values up to its end"


def test_the_same_part_of_a_comparison_period():
    q3 = resolve_period("2026-Q3", AS_OF)
    october = Period("2026-Q4", date(2026, 10, 1), date(2026, 10, 31))
    part = same_part(october, Q4, q3)
    assert (part.label, part.start, part.end) == ("2026-Q3", date(2026, 7, 1), date(2026, 7, 31))
    # a shorter comparison period is not run past: October's 31 days against September's 30
    september = resolve_period("2026-09", AS_OF)
    part = same_part(OCTOBER, OCTOBER, september)
    assert (part.start, part.end) == (september.start, september.end)
