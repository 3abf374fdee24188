"""The shared views' SQL: what the pandas code of the same KPIs says, in one place each."""

from __future__ import annotations

from salesmetrics.kpis import demo, views


def test_the_cost_grid_misses_the_demos_demos_held_misses():
    """views cannot import kpis.demo (it imports kpis.close, which imports views): its copy of
    the outcomes that say a demo did not happen is held to demo's here."""
    assert views.NOT_HELD == demo.NOT_HELD
