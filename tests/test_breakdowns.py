"""Breakdown groups and categories in a natural order, and empty groups left out, on a small book."""

from __future__ import annotations

from salesmetrics.breakdowns import by_value, last
from salesmetrics.engine import compute
from tests.kpis.frames import AS_OF, OCTOBER, Q4, frame

COLUMNS = "deal_id status stage created_at closed_at amount owner lost_reason"
# fmt: off
DEALS = frame("deals", COLUMNS, [
    # October: Cy wins 2, Ana 1, Ben none (a loss), a deal without an owner wins 3
    ("A1", "won", "won", "2026-09-01", "2026-10-03", 100.0, "Ana", None),
    ("C1", "won", "won", "2026-09-01", "2026-10-04", 300.0, "Cy", None),
    ("C2", "won", "won", "2026-09-01", "2026-10-05", 300.0, "Cy", None),
    ("N1", "won", "won", "2026-09-01", "2026-10-06", 50.0, None, None),
    ("N2", "won", "won", "2026-09-01", "2026-10-07", 50.0, None, None),
    ("N3", "won", "won", "2026-09-01", "2026-10-08", 50.0, None, None),
    ("B1", "lost", "lost", "2026-09-01", "2026-10-09", 10.0, "Ben", "Price"),
    ("B2", "lost", "lost", "2026-09-01", "2026-10-10", 10.0, "Ben", "Timing"),
    ("B3", "lost", "lost", "2026-09-01", "2026-10-11", 10.0, "Ben", "Timing"),
    ("B4", "lost", "lost", "2026-09-01", "2026-10-12", 10.0, "Ben", None),
    ("B5", "lost", "lost", "2026-09-01", "2026-10-13", 10.0, "Ben", "Other"),
    ("B6", "lost", "lost", "2026-09-01", "2026-10-13", 10.0, "Ben", "Other"),
    ("B7", "lost", "lost", "2026-09-01", "2026-10-13", 10.0, "Ben", "Other"),
    # Dee closed in June only: no rows in October or September
    ("D1", "won", "won", "2026-05-01", "2026-06-10", 999.0, "Dee", None),
    # open at the end of October, in two stages
    ("O1", "open", "demo", "2026-10-01", None, 40.0, "Ana", None),
    ("O2", "open", "prospecting", "2026-10-01", None, 20.0, "Cy", None),
    ("O3", "open", "negotiation", "2026-10-01", None, 80.0, "Cy", None),
]).assign(currency="USD")
# fmt: on


def report(*by: str, kpis=("deals_won", "deals_lost", "revenue_won"), period=OCTOBER, **options):
    options.setdefault("all_groups", False)  # as the report, not compute(), does by default
    return compute(
        {"deals": DEALS},
        period=period,
        as_of=AS_OF,
        group_by=by,
        kpis=kpis,
        compare="previous",
        **options,
    )


def owners(found, kpi_id: str) -> list[str]:
    return [dict(v.group)["owner"] for v in found.values if v.id == kpi_id and v.group]


def test_groups_follow_the_stages_first_kpi_largest_first_blank_last_empty_left_out():
    found = report("owner")
    # deals won: Cy 2, Ana 1, Ben 0 (kept: he has lost deals); (blank) has 3 but goes last;
    # Dee has no rows in October or September: left out
    assert owners(found, "deals_won") == ["Cy", "Ana", "Ben", "(blank)"]
    assert owners(found, "deals_lost") == ["Cy", "Ana", "Ben", "(blank)"]
    # revenue_won (Ana 100 would come after (blank)'s 150 by its own value) follows deals_won
    assert owners(found, "revenue_won") == ["Cy", "Ana", "Ben", "(blank)"]
    assert found.groups_left_out == (("close", 1),)
    assert found.left_out("close") == 1 and found.left_out("team") == 0


def test_all_groups_keeps_the_groups_without_rows():
    found = report("owner", all_groups=True)
    assert owners(found, "deals_won") == ["Cy", "Ana", "Ben", "Dee", "(blank)"]
    assert found.value("deals_won", owner="Dee").value == 0
    assert found.groups_left_out == ()


def test_a_group_with_rows_in_the_comparison_only_stays():
    found = report("owner", period=resolve("2026-07"))  # compared with June: Dee's win
    assert owners(found, "deals_won") == ["Dee"]
    assert found.value("deals_won", owner="Dee").value == 0.0


def test_a_stage_dimension_keeps_funnel_order_and_the_pipeline_only_open_stages():
    def stages(found):
        return [dict(v.group)["stage"] for v in found.values if v.group]

    # by value it would be negotiation 80, demo 40, prospecting 20
    pipeline = report("stage", kpis=("pipeline_value",))
    assert stages(pipeline) == ["prospecting", "demo", "negotiation"]
    # every stage the deals have, won and lost too, but not for the pipeline
    assert stages(report("stage", kpis=("pipeline_value",), all_groups=True)) == stages(pipeline)
    everything = report("stage", kpis=("deals_won",), all_groups=True)
    assert stages(everything) == ["prospecting", "demo", "negotiation", "won", "lost"]
    assert stages(report("stage", kpis=("deals_won",))) == ["won"]


def test_time_buckets_stay_in_calendar_order_with_their_groups_ranked():
    found = report("month", "owner", period=Q4)
    rows = [dict(v.group) for v in found.values if v.id == "deals_won"]
    ranked = ["Cy", "Ana", "Ben", "(blank)"]
    # the quarter and its owners; October and November (compared with October) with theirs;
    # December, whose owners have no rows in it or in November, alone
    assert rows == [
        {},
        *({"owner": o} for o in ranked),
        {"month": "2026-10"},
        *({"month": "2026-10", "owner": o} for o in ranked),
        {"month": "2026-11"},
        *({"month": "2026-11", "owner": o} for o in ranked),
        {"month": "2026-12"},
    ]
    # Dee in the quarter and in each month, and December's four owners (November's have rows
    # in the comparison, October)
    assert found.groups_left_out == (("close", 1 + 3 + 4),)


def test_categories_by_value_with_other_and_blank_last():
    found = report(kpis=("lost_reasons",))
    reasons = [v.category for v in found.values if v.id == "lost_reasons"]
    # Other (3 of 7) and (blank) (1) last whatever their share; Timing (2) before Price (1)
    assert reasons == ["Timing", "Price", "Other", "(blank)"]


def test_by_value_puts_no_value_after_any_and_catch_alls_last():
    labels = {"a": 1.0, "b": None, "c": 5.0, "(blank)": 9.0, "Other": 8.0}
    ordered = sorted(labels, key=lambda k: by_value(labels[k], k))
    assert ordered == ["c", "a", "b", "Other", "(blank)"]
    assert last(" other ") == 1 and last("(blank)") == 2 and last("others") == 0


def resolve(label: str):
    from salesmetrics.periods import resolve_period

    return resolve_period(label, AS_OF)
