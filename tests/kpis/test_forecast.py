"""The forecast roll-up on a small book worked out by hand, and on the CRMs' own exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from salesmetrics.engine import compute
from salesmetrics.ingest import load_input
from salesmetrics.kpis.base import Settings
from salesmetrics.kpis.forecast import IDS
from salesmetrics.periods import resolve_period
from tests.conftest import FIXTURES
from tests.kpis.frames import AS_OF, NOVEMBER, OCTOBER, frame

DECEMBER = resolve_period("2026-12", AS_OF)
COLUMNS = (
    "deal_id status stage closed_at expected_close_at amount probability owner forecast_category"
)
# fmt: off
DEALS = frame("deals", COLUMNS, [
    # won in November (W2 has no category: a won deal is closed whatever it says), in October
    ("W1", "won", "won", "2026-11-05", "2026-11-05", 1000.0, 1.0, "Ana", "closed"),
    ("W2", "won", "won", "2026-11-20", "2026-11-20", 2000.0, 1.0, "Ben", None),
    ("W3", "won", "won", "2026-10-15", "2026-10-15", 9000.0, 1.0, "Ana", "closed"),
    # lost in November: never in a forecast
    ("L1", "lost", "lost", "2026-11-10", "2026-11-10", 500.0, 0.0, "Ana", "omitted"),
    # open, expected in November, by category (C2 marked closed while open: commit)
    ("C1", "open", "negotiation", None, "2026-11-25", 3000.0, 0.8, "Ana", "commit"),
    ("C2", "open", "negotiation", None, "2026-11-30 23:59", 400.0, 0.8, "Ben", "closed"),
    ("B1", "open", "proposal", None, "2026-11-28", 5000.0, 0.1, "Ben", "best_case"),
    ("P1", "open", "demo", None, "2026-11-15", 700.0, 0.95, "Ana", "pipeline"),
    ("X1", "open", "demo", None, "2026-11-26", 6000.0, 0.5, "Ana", "omitted"),
    # open, expected in November, no category: placed by probability
    ("F1", "open", "demo", None, "2026-11-27", 100.0, 0.9, "Ana", None),  # commit (90%)
    ("F2", "open", "negotiation", None, "2026-11-27", 200.0, None, "Ben", None),  # 60%: best case
    ("F3", "open", "demo", None, "2026-11-27", 300.0, 0.49, "Ana", None),  # pipeline
    ("F4", "open", None, None, "2026-11-27", 50.0, None, "Ben", None),  # nothing: pipeline
    # open, expected in December, or with no expected date
    ("N1", "open", "proposal", None, "2026-12-01 00:00", 8000.0, 0.5, "Ben", "commit"),
    ("E1", "open", "proposal", None, None, 9999.0, 0.5, "Ana", "commit"),
]).assign(currency="USD")
# fmt: on
# Q4 has 92 days: Ana's 9200 is 3000 in November, Ben's 4600 is 1500; 4500 in all.
TARGETS = frame(
    "targets",
    "period amount owner metric",
    [("2026-Q4", 9200.0, "Ana", "quota"), ("2026-Q4", 4600.0, "Ben", "quota")],
)
SETTINGS = Settings(stage_probabilities={"negotiation": 0.6})


def forecast(period, as_of=AS_OF, by=(), frames=None):
    return compute(
        frames or {"deals": DEALS, "targets": TARGETS},
        period=period,
        as_of=as_of,
        group_by=by,
        kpis=IDS,
        compare="previous",
        settings=SETTINGS,
    )


def test_the_current_period_rolls_up_closed_commit_best_case_and_pipeline():
    report = forecast(NOVEMBER)
    # closed: W1 + W2; commit adds C1, C2, F1; best case adds B1, F2;
    # pipeline: open and not omitted, C1 C2 F1 + B1 F2 + P1 F3 F4, without the closed
    assert report.value("forecast_closed").value == 1000 + 2000
    assert report.value("forecast_commit").value == 3000 + 3000 + 400 + 100
    assert report.value("forecast_best_case").value == 6500 + 5000 + 200
    assert report.value("forecast_pipeline").value == 3500 + 5200 + 700 + 300 + 50
    assert report.value("forecast_closed").note is None
    said = "3 deals without a forecast category: by probability; "
    said += "1 deals with neither a category nor a probability: pipeline"
    assert report.value("forecast_commit").note == said
    assert report.value("forecast_pipeline").note == said


def test_each_is_held_against_the_quota_in_total_and_by_owner():
    total = forecast(NOVEMBER)
    assert [total.value(k).target for k in IDS] == [4500.0] * 4
    # 3000 is under 90% of 4500 (4050); 6500 reaches it
    assert total.value("forecast_closed").status == "off_track"
    assert total.value("forecast_commit").status == "on_track"
    by = forecast(NOVEMBER, by=["owner"])
    ana = [by.value(k, owner="Ana") for k in IDS]
    ben = [by.value(k, owner="Ben") for k in IDS]
    assert [v.value for v in ana] == [1000.0, 4100.0, 4100.0, 4100.0]
    assert [v.value for v in ben] == [2000.0, 2400.0, 7600.0, 5650.0]
    assert [v.target for v in ana] == pytest.approx([3000.0] * 4)
    assert [v.status for v in ana] == ["off_track", "on_track", "on_track", "on_track"]
    assert [v.status for v in ben] == ["on_track"] * 4
    assert ben[1].note == (
        "1 deals without a forecast category: by probability; "
        "1 deals with neither a category nor a probability: pipeline"
    )


def test_a_period_that_is_over_is_what_was_closed_and_has_no_pipeline():
    report = forecast(OCTOBER)
    assert [report.value(k).value for k in IDS[:3]] == [9000.0] * 3
    # September, its comparison, is before the deals' first day: no comparison, and why
    assert report.value("forecast_commit").note == (
        "the period is over: what was closed; "
        "no comparison: deals start 2026-10-15; period 2026-09 has no deals"
    )
    pipeline = report.value("forecast_pipeline")
    assert (pipeline.value, pipeline.status) == (None, None)
    assert pipeline.note == "the period is over: nothing open is left to close"


def test_the_next_period_is_what_is_open_and_expected_in_it():
    report = forecast(DECEMBER)
    assert [report.value(k).value for k in IDS] == [0.0, 8000.0, 8000.0, 8000.0]
    # the comparison is November, not over on 23 November: its forecast, not what closed
    assert report.value("forecast_commit").previous == 6500.0


def test_without_a_forecast_category_column_every_open_deal_is_placed_by_probability():
    report = forecast(NOVEMBER, frames={"deals": DEALS.drop(columns=["forecast_category"])})
    # probability: C1 C2 0.8, B1 0.1, P1 0.95, X1 0.5, F1 0.9, F2 0.6 (its stage), F3 0.49
    commit = 3000 + 700 + 100  # + P1, F1
    best = commit + 3000 + 400 + 6000 + 200  # + C1, C2, X1, F2
    assert report.value("forecast_commit").value == commit
    assert report.value("forecast_best_case").value == best
    assert report.value("forecast_pipeline").value == best - 3000 + 5000 + 300 + 50
    assert report.value("forecast_commit").note.startswith("8 deals without a forecast category")


def test_forecast_kpis_are_skipped_without_an_expected_close_date_except_closed():
    report = forecast(NOVEMBER, frames={"deals": DEALS.drop(columns=["expected_close_at"])})
    assert report.value("forecast_closed").value == 3000.0
    assert {s.id for s in report.skipped} == set(IDS[1:])


def test_hubspot_export_labels_and_internal_values_map_to_the_categories(tmp_path: Path):
    export = tmp_path / "hubspot-crm-exports-deals.csv"
    rows = [
        "Record ID,Deal Stage,Amount,Close Date,Create Date,hs_manual_forecast_category",
        *(
            f"{i},contractsent,{i}00,2026-11-2{i} 00:00,2026-10-01 00:00,{category}"
            for i, category in enumerate(
                ["Not forecasted", "OMIT", "Best case", "BEST_CASE", "COMMIT", "Closed won"],
                start=1,
            )
        ),
    ]
    export.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    loaded = load_input(export, "hubspot_deals")
    assert loaded.frame["forecast_category"].tolist() == [
        "omitted",
        "omitted",
        "best_case",
        "best_case",
        "commit",
        "closed",
    ]
    report = forecast(NOVEMBER, frames={"deals": loaded.frame})
    # open deals: 3 + 4 best case, 5 and 6 (marked closed while open) commit
    assert report.value("forecast_commit").value == 500 + 600
    assert report.value("forecast_best_case").value == 1100 + 300 + 400


@pytest.mark.parametrize(
    ("file", "preset", "commit", "best_case", "pipeline"),
    [
        # 9003 Best case 8000.5 (Apr 30), 9004 Commit without an amount (May 15)
        ("hubspot_deals.csv", "hubspot_deals", 0.0, 8000.5, 8000.5),
        # E3 Pipeline $48,000 (Apr 30), E4 Commit $9,999.50 (May 15)
        ("salesforce_opportunities.csv", "salesforce_opportunities", 9999.5, 9999.5, 57999.5),
    ],
)
def test_the_crms_forecast_category_columns_feed_the_roll_up(
    file, preset, commit, best_case, pipeline
):
    loaded = load_input(FIXTURES / "presets" / file, preset)
    as_of = date(2026, 4, 1)
    quarter = resolve_period("2026-Q2", as_of)
    report = forecast(quarter, as_of=as_of, frames={"deals": loaded.frame})
    values = [report.value(k).value for k in IDS]
    assert values == [0.0, commit, best_case, pipeline]
    assert report.value("forecast_commit").note is None  # every open deal had a category
