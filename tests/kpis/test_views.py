"""The shared views' SQL (kpis.views): where two views say the same thing, they agree."""

from __future__ import annotations

from salesmetrics.engine import compute
from tests.kpis.frames import AS_OF, OCTOBER, frame


def test_the_cost_grid_misses_the_demos_demos_held_misses():
    """The cost grid (costs_and_steps) and held_demos each list the outcomes that say a demo
    did not happen: cost per demo counts the demos demos_held counts."""
    acts = frame("activities", "activity_id occurred_at channel outcome", [
        ("M1", "2026-10-01 00:00", "demo", "Completed"),
        ("M2", "2026-10-02", "demo", None),  # no outcome: held
        ("M3", "2026-10-03", "demo", "No show"),
        ("M4", "2026-10-04", "demo", "no-show"),
        ("M5", "2026-10-05", "demo", "Cancelled"),
        ("M6", "2026-10-06", "demo", "CANCELED"),
        ("M7", "2026-10-07", "demo", "Rescheduled"),
        ("M8", "2026-10-31 23:59", "call", "Completed"),  # not a demo; the data's last day
    ])  # fmt: skip
    costs = frame(
        "costs", "month category amount currency", [("2026-10-01", "sales", 600.0, "USD")]
    )
    book = {"activities": acts, "costs": costs}
    report = compute(book, period=OCTOBER, as_of=AS_OF, kpis=["demos_held", "cost_per_demo"])
    assert report.value("demos_held").value == 2.0  # M1, M2
    per_demo = report.value("cost_per_demo")  # 600 over M1, M2
    assert (per_demo.numerator, per_demo.denominator, per_demo.value) == (600.0, 2.0, 300.0)
