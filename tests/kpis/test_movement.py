"""The pipeline movement KPIs on the hand-worked snapshot pair of tests/test_diff.py, checked
against the diff's waterfall (which reconciles), by owner, and in periods the exports do not
span (the declarations over the table `pipeline_moves`)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from salesmetrics.cli import app
from salesmetrics.diff import PIPELINE_MOVES, diff
from salesmetrics.engine import compute
from salesmetrics.kpis.base import Context, Settings
from salesmetrics.kpis.movement import KPIS, MOVES, moves
from salesmetrics.periods import resolve_period
from tests.test_cli_diff import NEW as HUBSPOT_NEW
from tests.test_cli_diff import OLD as HUBSPOT_OLD
from tests.test_cli_diff import _export
from tests.test_diff import NEW, OCTOBER, OLD

AS_OF = date(2026, 11, 1)  # the day of the current export; the old one: 2026-10-01
SETTINGS = Settings(snapshot_day=date(2026, 10, 1))
IDS = [k.id for k in KPIS]
WATERFALL = [k for k, step in MOVES.items() if step in dict(PIPELINE_MOVES)]  # not movements


def _report(period=OCTOBER, settings=SETTINGS, frames=None, **options):
    frames = frames or {"deals": NEW, "previous_snapshot": OLD}
    return compute(
        frames, period=period, as_of=AS_OF, kpis=IDS, settings=settings, all_groups=True, **options
    )


def _values(report, group=()) -> dict[str, tuple[float | None, float | None, str | None]]:
    """Each KPI's (numerator, value, note) for `group`."""
    return {v.id: (v.numerator, v.value, v.note) for v in report.values if v.group == group}


def test_each_movement_kpi_is_the_diffs_step_with_its_count():
    report = _report()
    waterfall = diff(OLD, NEW, OCTOBER).total
    found = {v.id: (v.numerator, v.value) for v in report.values if not v.group}
    assert found["pipeline_start"] == (6, 2200.0)  # D1-D5, D7
    assert found["pipeline_end"] == (5, 2400.0)  # D1-D3, D8, D10
    for kpi_id, step in MOVES.items():
        move = waterfall.move(step)
        assert found[kpi_id] == (move.count, move.value), kpi_id
    assert found["pipeline_lost"] == (1, -500.0)  # D5, by hand
    assert found["pipeline_slipped"] == (1, 150.0)  # D1 at its new amount
    assert all(v.note is None for v in report.values)  # October is the span between them


def test_start_plus_the_moves_is_the_end_in_total_and_per_owner():
    report = _report(group_by=("owner",))
    for group in ((), (("owner", "Ann"),), (("owner", "Bob"),)):
        values = {v.id: v.value for v in report.values if v.group == group}
        moved = sum(values[s] for s in WATERFALL)
        assert values["pipeline_start"] + moved == pytest.approx(values["pipeline_end"])
    ann = {v.id: v.value for v in report.values if v.group == (("owner", "Ann"),)}
    assert (ann["pipeline_start"], ann["pipeline_end"]) == (800.0, 1150.0)  # as diff's by owner
    bob = _values(report, (("owner", "Bob"),))
    # then open: D3 300, D4 400, D7 700; now: D3 250, D10 1000 (reopened)
    assert bob["pipeline_start"] == (3, 1400.0, None)
    assert bob["pipeline_end"] == (2, 1250.0, None)
    assert bob["pipeline_reopened"] == (1, 1000.0, None)
    assert bob["pipeline_decreased"] == (1, -50.0, None)
    assert bob["pipeline_won"] == (1, -400.0, None)
    assert bob["pipeline_disappeared"] == (1, -700.0, None)  # D7, its owner from the old export
    assert bob["pipeline_pulled_in"] == (1, 250.0, None)  # D3: due 2026-11-15, now 2026-10-25
    assert bob["pipeline_created"] == (0, 0.0, None)


def test_other_periods_have_no_value_and_say_why():
    report = _report(compare="previous", trend_periods=2)
    start = report.value("pipeline_start")
    assert start.previous is None  # September: no snapshot pair covers it
    assert [p.value for p in start.trend] == [None, 2200.0]
    quarter = _report(period=resolve_period("2026-Q4", AS_OF))
    created = quarter.value("pipeline_created")
    assert created.value == 800.0
    assert created.note == "movement over 2026-10-01 to 2026-10-31, not the whole of 2026-Q4"
    september = _report(period=resolve_period("2026-09", AS_OF))
    assert september.value("pipeline_created").value is None
    assert september.value("pipeline_created").note == (
        "no snapshot pair for 2026-09: the exports span 2026-10-01 to 2026-10-31"
    )


def test_by_month_only_the_month_holding_the_spans_last_day_has_values():
    report = _report(period=resolve_period("2026-Q4", AS_OF), group_by=("month",))
    october = _values(report, (("month", "2026-10"),))
    november = _values(report, (("month", "2026-11"),))
    assert october["pipeline_end"] == (5, 2400.0, None)  # the month is the span: no note
    assert november["pipeline_end"] == (
        None,
        None,
        "no snapshot pair for 2026-11: the exports span 2026-10-01 to 2026-10-31",
    )
    # a span of 2026-10-15 to 2026-10-31 lies in October without being all of it
    half = _report(settings=Settings(snapshot_day=date(2026, 10, 15)))
    assert _values(half)["pipeline_created"] == (
        1,
        800.0,
        "movement over 2026-10-15 to 2026-10-31, not the whole of 2026-10",
    )


def test_the_table_of_moves_carries_the_deals_dimensions_from_either_export():
    old = OLD.assign(team=pd.array(["East"] * 6 + ["West", "West"], "string"))
    new = NEW.assign(team=pd.array(["North"] + [None] * 7, "string"))
    ctx = Context({"deals": new, "previous_snapshot": old}, AS_OF, SETTINGS, dimensions=("team",))
    table = moves(ctx).set_index("deal_id")
    assert table.loc["D1", "team"] == "North"  # the current export's
    assert table.loc["D7", "team"] == "West"  # gone: the earlier export's
    assert pd.isna(table.loc["D8", "team"])  # new, with no team
    assert table["currency"].isna().all()  # neither export has one: a blank column
    assert (table["moved_at"] == pd.Timestamp("2026-10-31")).all()
    assert moves(ctx) is moves(ctx)  # once per report


def test_without_a_previous_snapshot_they_are_skipped_with_what_to_add():
    report = compute({"deals": NEW}, period=OCTOBER, as_of=AS_OF, kpis=IDS)
    assert {s.id for s in report.skipped} == set(IDS)
    assert report.skipped[0].reason == "needs previous_snapshot (no previous_snapshot input)"


def test_without_the_snapshots_day_there_is_no_value_in_total_or_per_owner():
    report = _report(settings=Settings(), group_by=("owner",))
    assert not report.unsplit  # each owner has no value, for the same reason
    note = "no day for the previous snapshot (previous_snapshot.as_of in the config)"
    for group in ((), (("owner", "Ann"),), (("owner", "Bob"),)):
        assert _values(report, group)["pipeline_end"] == (None, None, note)
    late = _report(settings=Settings(snapshot_day=AS_OF)).value("pipeline_start")
    assert (late.value, late.note) == (
        None,
        "the previous snapshot (2026-11-01) is not before as_of (2026-11-01)",
    )


def _config(folder, snapshot: str = "old.csv", day: str = "2026-10-01") -> str:
    path = folder / "report.yaml"
    path.write_text(
        "inputs:\n  - {path: new.csv}\n"
        f"previous_snapshot: {{path: {snapshot}, as_of: {day}}}\n"
        "as_of: 2026-11-01\nperiod: 2026-10\ncompare: none\n",
        encoding="utf-8",
    )
    return str(path)


def test_a_hubspot_pair_through_the_preset_gives_the_movement_by_owner(runner, tmp_path):
    _export(tmp_path / "old.csv", HUBSPOT_OLD)
    _export(tmp_path / "new.csv", HUBSPOT_NEW)
    result = runner.invoke(
        app,
        ["report", "-c", _config(tmp_path), "--stage", "movement", "--by", "owner", "-f", "json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    found = {
        (v["id"], v["group"].get("owner")): (v["numerator"], v["value"]) for v in document["kpis"]
    }
    waterfall = diff(OLD, NEW, OCTOBER, by="owner")
    for total in (waterfall.total, *waterfall.groups):
        assert found[("pipeline_start", total.group)] == (total.start_count, total.start_value)
        assert found[("pipeline_end", total.group)] == (total.end_count, total.end_value)
        for kpi_id, step in MOVES.items():
            move = total.move(step)
            assert found[(kpi_id, total.group)] == (move.count, move.value), (kpi_id, total.group)
    assert found[("pipeline_won", "Bob")] == (1, -400.0)  # D4, by hand
    assert result.stderr.count("hubspot_deals") == 2  # both recognised


def test_the_snapshot_is_read_like_an_input(runner, tmp_path):
    _export(tmp_path / "new.csv", HUBSPOT_NEW)
    twice = runner.invoke(app, ["report", "-c", _config(tmp_path, "./new.csv")])
    assert twice.exit_code == 1
    assert "its rows would count twice; give it once" in twice.stderr
    outside = runner.invoke(app, ["report", "-c", _config(tmp_path, "../old.csv")])
    assert outside.exit_code == 1
    assert "previous_snapshot.path: ../old.csv is outside" in outside.stderr
    _export(tmp_path / "old.csv", HUBSPOT_OLD)
    late = runner.invoke(app, ["report", "-c", _config(tmp_path, day="2026-11-01")])
    assert late.exit_code == 1
    assert "previous_snapshot.as_of: 2026-11-01 is not before the report's as_of" in late.stderr


def test_kpis_missing_lists_the_movement_until_a_snapshot_is_given(runner, tmp_path):
    new = _export(tmp_path / "new.csv", HUBSPOT_NEW)
    without = runner.invoke(app, ["kpis", "--missing", new, "-f", "json"])
    reasons = {m["id"]: m["reason"] for m in json.loads(without.stdout)["missing"]}
    assert reasons["pipeline_created"] == "needs previous_snapshot (no previous_snapshot input)"
    _export(tmp_path / "old.csv", HUBSPOT_OLD)
    given = runner.invoke(app, ["kpis", "--missing", "-c", _config(tmp_path), "-f", "json"])
    assert given.exit_code == 0, given.output
    assert not {m["id"] for m in json.loads(given.stdout)["missing"]} & set(IDS)


def test_stage_changes_seen_between_the_snapshots_feed_the_stage_kpis(runner, tmp_path):
    """The HubSpot exports have no `Date entered` columns: without the earlier snapshot the
    stage KPIs are skipped; with it, D1's move from demo to proposal is dated 2026-10-31 (the
    day before the current export's, an upper bound), and their values say so."""
    new = _export(tmp_path / "new.csv", HUBSPOT_NEW)
    args = ["--kpi", "stage_conversion", "--period", "2026-09", "-f", "json", "-q"]
    alone = runner.invoke(app, ["report", new, "--as-of", "2026-11-01", *args])
    assert [s["id"] for s in json.loads(alone.stdout)["skipped"]] == ["stage_conversion"]
    _export(tmp_path / "old.csv", HUBSPOT_OLD)
    result = runner.invoke(app, ["report", "-c", _config(tmp_path), *args])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["skipped"] == []
    values = {v["group"]["stage"]: v for v in document["kpis"]}
    # created in September and still in the export: D1-D5, D10; reaching demo: D1 (now at
    # proposal, dated), D2 (demo now), D4 (won), D10 (demo now); of them, on to proposal: D1, D4
    assert (values["demo"]["numerator"], values["demo"]["denominator"]) == (2, 4)
    assert values["demo"]["note"] == (
        "1 stage date(s) from the snapshots: a deal at a later stage in the current export than "
        "in the previous one entered it on 2026-10-31 at the latest (an upper bound; the export "
        "has no stage dates of its own)"
    )


def test_validate_reads_the_snapshot_and_exports_only_the_current_deals(runner, tmp_path):
    _export(tmp_path / "old.csv", HUBSPOT_OLD)
    _export(tmp_path / "new.csv", HUBSPOT_NEW)
    lake = tmp_path / "lake"
    args = ["validate", "-c", _config(tmp_path), "-f", "json", "--export", str(lake)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    inputs = json.loads(result.stdout)["inputs"]
    assert [(Path(i["path"]).name, i["rows_used"]) for i in inputs] == [
        ("new.csv", 8),
        ("old.csv", 8),
    ]
    assert "deals 8 rows" in result.stderr  # the current export's, not both stacked


def test_explain_reads_the_snapshot_and_lists_the_deals_of_a_move(runner, tmp_path):
    _export(tmp_path / "old.csv", HUBSPOT_OLD)
    _export(tmp_path / "new.csv", HUBSPOT_NEW)
    args = ["explain", "pipeline_won", "-c", _config(tmp_path), "--group", "owner=Bob"]
    result = runner.invoke(app, [*args, "-f", "json", "-q"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["values"][0]["value"] == -400.0
    counted = [r for r in document["rows"] if r["counted"]]
    assert [(r["deal_id"], r["value"], r["move"]) for r in counted] == [("D4", -400.0, "won")]
    # Bob's other deals: D3 (decreased), D6 (closed in both), D7 (gone), D10 (reopened)
    assert {r["deal_id"]: r["reason"] for r in document["rows"] if not r["counted"]} == {
        d: "not open then and won now" for d in ("D3", "D6", "D7", "D10")
    }
