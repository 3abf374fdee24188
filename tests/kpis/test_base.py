"""The helpers every KPI module builds on: period slices, id codes, narrow tables."""

from __future__ import annotations

from datetime import date

import pandas as pd

from salesmetrics.kpis.base import (
    PERIODS_HELD,
    Context,
    Settings,
    carrying,
    id_codes,
    period_rows,
)
from salesmetrics.periods import Period
from tests.kpis.frames import AS_OF, OCTOBER, SEPTEMBER, context, frame


def _activities() -> pd.DataFrame:
    return frame(
        "activities",
        "activity_id occurred_at lead_id owner",
        [
            ("a1", "2026-10-20 09:00", "L1", "ann"),
            ("a2", "2026-09-30 23:59", "L2", "bob"),
            ("a3", None, "L1", "ann"),
            ("a4", "2026-10-01 00:00", None, "bob"),
            ("a5", "2026-11-01 00:00", "L3", "ann"),
            ("a6", "2026-10-20 09:00", "L2", "bob"),
        ],
    )


def test_period_rows_are_the_period_in_date_order_input_order_on_ties():
    ctx = context({"activities": _activities()})
    build_calls = []

    def build():
        build_calls.append(1)
        return ctx["activities"]

    october = period_rows(ctx, "acts", build, "occurred_at", OCTOBER)
    september = period_rows(ctx, "acts", build, "occurred_at", SEPTEMBER)
    # a4 on the 1st at midnight is in; a5 on 1 November is not; the undated a3 is in no period
    assert october["activity_id"].tolist() == ["a4", "a1", "a6"]
    assert october.index.tolist() == [3, 0, 5]  # the input's labels, for lookups by index
    assert september["activity_id"].tolist() == ["a2"]
    assert len(build_calls) == 1  # built once, sliced per period


def test_period_rows_of_a_sorted_input_share_its_data():
    acts = _activities().iloc[[3, 0, 5]]  # dated and in order already
    ctx = context({"activities": acts})
    october = period_rows(ctx, "acts", lambda: acts, "occurred_at", OCTOBER)
    assert october["activity_id"].tolist() == ["a4", "a1", "a6"]
    assert _data_address(october["owner"]) == _data_address(acts["owner"])  # not copied


def _data_address(column: pd.Series) -> int:
    """Where the column's text bytes are (pandas' Arrow array; `pa.array(...)` would copy)."""
    chunk = column.array._pa_array.chunk(0)
    return chunk.buffers()[2].address


def test_id_codes_match_across_inputs_and_selections():
    acts = _activities()
    leads = frame("leads", "lead_id created_at", [("L3", "2026-09-01"), ("L1", "2026-09-02")])
    ctx = context({"activities": acts, "leads": leads})
    in_acts = id_codes(ctx, "activities", "lead_id", acts)
    in_leads = id_codes(ctx, "leads", "lead_id", leads)
    assert in_acts[3] == -1  # a blank id
    assert in_acts[0] == in_acts[2] == in_leads[1]  # L1 everywhere
    assert in_acts[4] == in_leads[0]  # L3
    assert len(set(in_acts[[0, 1, 4]])) == 3  # L1, L2, L3 differ
    picked = acts.iloc[[5, 0]]  # a selection, its labels kept
    assert id_codes(ctx, "activities", "lead_id", picked).tolist() == [in_acts[5], in_acts[0]]
    assert id_codes(ctx, "activities", "deal_id", picked).tolist() == [-1, -1]  # no column


def test_id_codes_of_an_input_without_a_default_index():
    acts = _activities().set_axis([10, 11, 12, 13, 14, 15])
    ctx = context({"activities": acts})
    codes = id_codes(ctx, "activities", "lead_id", acts.iloc[[1, 5]])
    assert codes[0] == codes[1] >= 0  # both L2


def test_carrying_keeps_the_columns_asked_and_the_report_dimensions():
    acts = _activities()
    ctx = Context({"activities": acts}, AS_OF, Settings(), dimensions=("owner", "team"))
    slim = carrying(ctx, acts, "occurred_at", "owner")
    assert list(slim.columns) == ["occurred_at", "owner"]  # no team column to carry
    assert list(carrying(context({}), acts, "lead_id").columns) == ["lead_id"]


def test_for_period_builds_once_per_period_and_holds_only_the_latest():
    ctx = context({})
    built: list[str] = []

    def rows(period: Period):
        return ctx.for_period(period, "rows", lambda: built.append(period.label) or period.label)

    months = [Period(f"2026-0{m}", date(2026, m, 1), date(2026, m, 28), "month") for m in (1, 2)]
    assert [rows(OCTOBER), rows(OCTOBER), rows(SEPTEMBER), rows(OCTOBER)] == [
        "2026-10",
        "2026-10",
        "2026-09",
        "2026-10",
    ]
    assert built == ["2026-10", "2026-09"]
    for month in months:  # two more periods: October, the oldest held, is let go
        rows(month)
    assert len(ctx.cache["for_period"]) == PERIODS_HELD == 3
    rows(OCTOBER)
    assert built == ["2026-10", "2026-09", "2026-01", "2026-02", "2026-10"]
