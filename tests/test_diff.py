"""Pipeline movement between two snapshots, on a book worked out by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from salesmetrics.diff import classify, diff, stages_seen
from salesmetrics.periods import resolve_period

OCTOBER = resolve_period("2026-10", date(2026, 11, 1))
COLUMNS = ["deal_id", "status", "stage", "amount", "owner", "expected_close_at"]


def _book(*rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["expected_close_at"] = pd.to_datetime(frame["expected_close_at"])
    return frame


# Last month's export (taken on 2026-10-01) and this month's (2026-11-01).
OLD = _book(
    ("D1", "open", "demo", 100.0, "Ann", "2026-10-20"),
    ("D2", "open", "proposal", 200.0, "Ann", "2026-10-15"),
    ("D3", "open", "qualification", 300.0, "Bob", "2026-11-15"),
    ("D4", "open", "negotiation", 400.0, "Bob", "2026-10-05"),
    ("D5", "open", "demo", 500.0, "Ann", None),
    ("D6", "won", "won", 600.0, "Bob", "2026-09-01"),
    ("D7", "open", "prospecting", 700.0, "Bob", "2026-10-30"),
    ("D10", "lost", "lost", 1000.0, "Bob", "2026-09-10"),
)
NEW = _book(
    ("D1", "open", "proposal", 150.0, "Ann", "2026-11-10"),  # +50, advanced, slipped
    ("D2", "open", "demo", 200.0, "Ann", "2026-10-15"),  # moved back
    ("D3", "open", "qualification", 250.0, "Bob", "2026-10-25"),  # -50, pulled in
    ("D4", "won", "won", 450.0, "Bob", "2026-10-07"),  # won: -400 (its old amount)
    ("D5", "lost", "lost", 500.0, "Ann", "2026-10-09"),  # lost: -500
    ("D8", "open", "demo", 800.0, "Ann", "2026-12-01"),  # created: +800
    ("D9", "won", "won", 900.0, "Ann", "2026-10-20"),  # created and won: no open pipeline
    ("D10", "open", "demo", 1000.0, "Bob", "2026-12-15"),  # reopened: +1000
)  # D6 (closed) and D7 (open, -700) are gone


def test_each_deal_has_one_move_and_its_movements():
    rows = classify(OLD, NEW, OCTOBER).set_index("deal_id")
    assert rows["move"].to_dict() == {
        "D1": "increased",
        "D2": "",
        "D3": "decreased",
        "D4": "won",
        "D5": "lost",
        "D6": "",
        "D7": "disappeared",
        "D8": "created",
        "D9": "",
        "D10": "reopened",
    }
    assert rows.index[rows["advanced"]].tolist() == ["D1"]
    assert rows.index[rows["moved_back"]].tolist() == ["D2"]
    assert rows.index[rows["slipped"]].tolist() == ["D1"]
    assert rows.index[rows["pulled_in"]].tolist() == ["D3"]
    assert rows.index[rows["created_closed"]].tolist() == ["D9"]


def test_the_waterfall_reconciles_in_total():
    result = diff(OLD, NEW, OCTOBER)
    total = result.total
    assert (total.start_count, total.start_value) == (6, 2200.0)  # D1-D5, D7
    assert (total.end_count, total.end_value) == (5, 2400.0)  # D1-D3, D8, D10
    assert [(m.id, m.count, m.value) for m in total.moves] == [
        ("created", 1, 800.0),
        ("reopened", 1, 1000.0),
        ("increased", 1, 50.0),
        ("decreased", 1, -50.0),
        ("won", 1, -400.0),
        ("lost", 1, -500.0),
        ("disappeared", 1, -700.0),
        ("rejected", 0, 0.0),
    ]
    assert [(m.id, m.count, m.value) for m in total.movements] == [
        ("advanced", 1, 150.0),
        ("moved_back", 1, 200.0),
        ("slipped", 1, 150.0),
        ("pulled_in", 1, 250.0),
        ("created_closed", 1, 900.0),
    ]
    assert (result.old_rows, result.new_rows, result.matched) == (8, 8, 6)


def test_the_waterfall_reconciles_by_owner():
    groups = {g.group: g for g in diff(OLD, NEW, OCTOBER, by="owner").groups}
    ann, bob = groups["Ann"], groups["Bob"]
    assert (ann.start_value, ann.end_value) == (800.0, 1150.0)
    assert {m.id: m.value for m in ann.moves if m.count} == {
        "created": 800.0,
        "increased": 50.0,
        "lost": -500.0,
    }
    assert (bob.start_value, bob.end_value) == (1400.0, 1250.0)
    assert {m.id: m.value for m in bob.moves if m.count} == {
        "reopened": 1000.0,
        "decreased": -50.0,
        "won": -400.0,
        "disappeared": -700.0,
    }


def test_repeated_ids_keep_the_last_row_and_say_so():
    old = pd.concat([OLD, OLD.iloc[[0]].assign(amount=120.0)], ignore_index=True)
    result = diff(old, NEW, OCTOBER)
    assert result.notes == ("the old export repeats 1 deal id(s): the last row of each is used",)
    assert result.total.start_value == 2220.0
    assert result.total.move("increased").value == 30.0


def test_an_export_without_ids_or_amounts_cannot_be_matched():
    with pytest.raises(Exception, match="the new export has no deal_id"):
        diff(OLD, NEW.drop(columns=["deal_id"]), OCTOBER)


def test_a_deal_in_a_rejected_row_is_neither_gone_nor_created():
    """D7 is open in the old export; the new one has it only in a rejected row (a blank
    create date): its -700 is not `disappeared`. D8 was rejected in the old export."""
    result = diff(OLD, NEW, OCTOBER, rejected=({"D8"}, {"D7"}))
    moves = {m.id: (m.count, m.value) for m in result.total.moves}
    assert moves["disappeared"] == (0, 0.0)
    assert moves["created"] == (0, 0.0)
    assert moves["rejected"] == (2, 100.0)  # +800 (D8) - 700 (D7)
    assert result.total.end_value == 2400.0


def test_owners_without_pipeline_or_moves_are_left_out_with_a_note():
    old = pd.concat([OLD, _book(("D20", "won", "won", 50.0, "Cy", "2026-01-01"))])
    new = pd.concat([NEW, _book(("D20", "won", "won", 50.0, "Cy", "2026-01-01"))])
    result = diff(old, new, OCTOBER, by="owner")
    assert [g.group for g in result.groups] == ["Ann", "Bob"]
    assert result.notes == (
        "1 owner(s) with no open deal in either export and nothing that moved left out",
    )


def test_mrr_movement_between_two_subscription_snapshots():
    """C1 pays for two plans (its rows summed); C4 was flagged churned in the old export."""
    old = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C2", "C3", "C4", "C5"],
            "mrr": [100.0, 50.0, 200.0, 300.0, 80.0, 120.0],
            "churned": [False, False, False, False, True, False],
        }
    )
    new = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C4", "C5", "C6"],
            "mrr": [180.0, 150.0, 90.0, 0.0, 400.0],
            "churned": [False, False, False, True, False],
        }
    )
    result = diff(old, new, OCTOBER, kind="mrr")
    total = result.total
    assert (total.start_count, total.start_value) == (4, 770.0)  # C1 150, C2, C3, C5
    assert (total.end_count, total.end_value) == (4, 820.0)  # C1, C2, C4, C6
    assert [(m.id, m.count, m.value) for m in total.moves] == [
        ("new", 1, 400.0),
        ("reactivation", 1, 90.0),
        ("expansion", 1, 30.0),
        ("contraction", 1, -50.0),
        ("churn", 2, -420.0),  # C3 gone (-300), C5 at 0 (-120)
        ("rejected", 0, 0.0),
    ]
    assert total.movements == ()
    assert result.matched == 4
    with pytest.raises(Exception, match="cannot be split by 'owner'"):
        diff(old, new, OCTOBER, kind="mrr", by="owner")


def test_a_stage_reached_between_the_exports_gets_the_last_day_as_an_upper_bound():
    new, added = stages_seen(OLD, NEW, date(2026, 10, 31))
    assert added == 1  # D1, demo -> proposal; D2 moved back, D4/D5 closed, D8 new: none
    dates = new.set_index("deal_id")["entered_proposal"]
    assert dates["D1"] == pd.Timestamp("2026-10-31")
    assert dates.drop("D1").isna().all()
    assert [c for c in new.columns if c.startswith("entered_")] == ["entered_proposal"]


def test_an_export_with_stage_dates_keeps_them_and_gets_none_from_the_snapshots():
    dated = NEW.assign(entered_demo=pd.to_datetime(["2026-09-02"] + [None] * 7))
    same, added = stages_seen(OLD, dated, date(2026, 10, 31))
    assert added == 0 and same is dated
    assert stages_seen(OLD, NEW.drop(columns="stage"), date(2026, 10, 31))[1] == 0
