"""`salesmetrics diff` on two HubSpot deals exports, recognised with no mapping."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from salesmetrics.cli import app

HEADER = [
    "Record ID",
    "Deal Name",
    "Deal Stage",
    "Pipeline",
    "Amount",
    "Currency",
    "Close Date",
    "Create Date",
    "Deal owner",
]
# the hand-worked book of tests/test_diff.py, as HubSpot writes it (internal stage names)
OLD = [
    ("D1", "presentationscheduled", "100", "Ann", "2026-10-20"),
    ("D2", "decisionmakerboughtin", "200", "Ann", "2026-10-15"),
    ("D3", "qualifiedtobuy", "300", "Bob", "2026-11-15"),
    ("D4", "contractsent", "400", "Bob", "2026-10-05"),
    ("D5", "presentationscheduled", "500", "Ann", ""),
    ("D6", "closedwon", "600", "Bob", "2026-09-01"),
    ("D7", "appointmentscheduled", "700", "Bob", "2026-10-30"),
    ("D10", "closedlost", "1000", "Bob", "2026-09-10"),
]
NEW = [
    ("D1", "decisionmakerboughtin", "150", "Ann", "2026-11-10"),
    ("D2", "presentationscheduled", "200", "Ann", "2026-10-15"),
    ("D3", "qualifiedtobuy", "250", "Bob", "2026-10-25"),
    ("D4", "closedwon", "450", "Bob", "2026-10-07"),
    ("D5", "closedlost", "500", "Ann", "2026-10-09"),
    ("D8", "presentationscheduled", "800", "Ann", "2026-12-01"),
    ("D9", "closedwon", "900", "Ann", "2026-10-20"),
    ("D10", "presentationscheduled", "1000", "Bob", "2026-12-15"),
]


def _export(path: Path, rows) -> str:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(HEADER)
        for deal_id, stage, amount, owner, close in rows:
            created = "2026-10-10 09:00" if deal_id in ("D8", "D9") else "2026-09-01 09:00"
            name = f"{deal_id} renewal"
            writer.writerow(
                [deal_id, name, stage, "Sales Pipeline", amount, "USD", close, created, owner]
            )
    return str(path)


def test_diff_of_two_hubspot_exports_as_json(runner, tmp_path):
    old, new = _export(tmp_path / "old.csv", OLD), _export(tmp_path / "new.csv", NEW)
    result = runner.invoke(
        app, ["diff", old, new, "--as-of", "2026-11-01", "--by-owner", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["period"]["label"] == "2026-10"
    assert document["currency"] == "USD"
    total = document["total"]
    assert total["start"] == {"count": 6, "value": 2200.0}
    assert total["end"] == {"count": 5, "value": 2400.0}
    assert {m["id"]: (m["count"], m["value"]) for m in total["moves"]} == {
        "created": (1, 800.0),
        "reopened": (1, 1000.0),
        "increased": (1, 50.0),
        "decreased": (1, -50.0),
        "won": (1, -400.0),
        "lost": (1, -500.0),
        "disappeared": (1, -700.0),
        "rejected": (0, 0.0),
    }
    assert {m["id"]: m["count"] for m in total["movements"]} == {
        "advanced": 1,
        "moved_back": 1,
        "slipped": 1,
        "pulled_in": 1,
        "created_closed": 1,
    }
    assert [(g["group"], g["start"]["value"], g["end"]["value"]) for g in document["groups"]] == [
        ("Ann", 800.0, 1150.0),
        ("Bob", 1400.0, 1250.0),
    ]
    assert "hubspot_deals" in result.stderr  # both recognised, and said so


def test_diff_table_starts_with_the_answer(runner, tmp_path):
    old, new = _export(tmp_path / "old.csv", OLD), _export(tmp_path / "new.csv", NEW)
    result = runner.invoke(app, ["diff", old, new, "--as-of", "2026-11-01", "-q"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Open pipeline $2,200 -> $2,400 (+$200), 6 -> 5 deals, period 2026-10"
    assert "| Gone from export |     1 |   -$700 |" in result.stdout


def test_diff_csv_lists_every_step(runner, tmp_path):
    old, new = _export(tmp_path / "old.csv", OLD), _export(tmp_path / "new.csv", NEW)
    out = tmp_path / "movement.csv"
    result = runner.invoke(
        app, ["diff", old, new, "--as-of", "2026-11-01", "-f", "csv", "-o", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    steps = [(r["step"], r["id"], float(r["value"])) for r in rows if r["step"] != "movement"]
    assert steps[0] == ("start", "start", 2200.0)
    assert steps[-1] == ("end", "end", 2400.0)
    assert sum(v for kind, _, v in steps if kind == "move") == 200.0


def test_diff_needs_two_deals_exports_and_refuses_to_overwrite_one(runner, tmp_path):
    old, new = _export(tmp_path / "old.csv", OLD), _export(tmp_path / "new.csv", NEW)
    result = runner.invoke(app, ["diff", old, new, "--as-of", "2026-11-01", "-o", old])
    assert result.exit_code == 2
    assert "writing it would destroy it" in result.output
    result = runner.invoke(app, ["diff", old, new, "-m", "a", "-m", "b", "-m", "c"])
    assert result.exit_code == 2


def test_the_owner_table_rounds_amounts_on_a_narrow_terminal():
    from rich.console import Console

    from salesmetrics.render.diff import _compact

    assert [_compact(v, "USD") for v in (1_371_155, 999_600, 938_420, -15_930, 950, -2)] == [
        "$1.4M",
        "$1.0M",
        "$938k",
        "-$16k",
        "$950",
        "-$2",
    ]
    assert _compact(2_500_000, "CHF") == "2.5M CHF"
    import io

    from salesmetrics.diff import diff
    from salesmetrics.render.diff import render_table
    from tests.test_diff import NEW as NEW_BOOK
    from tests.test_diff import OCTOBER
    from tests.test_diff import OLD as OLD_BOOK

    big_old = OLD_BOOK.assign(amount=OLD_BOOK["amount"] * 10_000)
    big_new = NEW_BOOK.assign(amount=NEW_BOOK["amount"] * 10_000)
    result = diff(big_old, big_new, OCTOBER, by="owner", currency="USD")
    for width in (80, 120):
        out = io.StringIO()
        render_table(result, Console(file=out, width=width, no_color=True), old="a", new="b")
        text = out.getvalue()
        assert max(len(line) for line in text.splitlines()) <= width
        assert ("$8.0M" in text) == (width == 80)  # Ann's start, rounded only when narrow
        assert "…" not in text


def test_diff_of_two_subscription_snapshots(runner, tmp_path):
    mapping = tmp_path / "subs.yaml"
    mapping.write_text(
        "entity: subscriptions\n"
        "columns: {customer_id: Customer ID, mrr: MRR, plan: Plan, started_at: Start Date}\n",
        encoding="utf-8",
    )
    old = tmp_path / "subs-2026-09-30.csv"
    old.write_text(
        "Customer ID,Plan,MRR,Start Date\nC1,Pro,100,2025-01-01\nC2,Pro,200,2025-03-01\n"
        "C3,Basic,50,2026-02-01\n",
        encoding="utf-8",
    )
    new = tmp_path / "subs-2026-10-31.csv"
    new.write_text(
        "Customer ID,Plan,MRR,Start Date\nC1,Pro,120,2025-01-01\nC2,Basic,150,2025-03-01\n"
        "C4,Pro,90,2026-10-12\n",
        encoding="utf-8",
    )
    args = ["diff", str(old), str(new), "-m", str(mapping), "--as-of", "2026-11-01", "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "MRR 350 -> 360 (+10), 3 -> 3 customers, period 2026-10"  # no currency given
    )
    document = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    assert document["kind"] == "mrr"
    assert {m["id"]: m["value"] for m in document["total"]["moves"]} == {
        "new": 90.0,
        "reactivation": 0.0,
        "expansion": 20.0,
        "contraction": -50.0,
        "churn": -50.0,
        "rejected": 0.0,
    }
    mixed = runner.invoke(
        app, ["diff", str(old), str(new), "-m", str(mapping), "-m", "hubspot_deals"]
    )
    assert mixed.exit_code == 1


def test_diff_as_a_workbook_has_the_waterfall_sheet(runner, tmp_path):
    import openpyxl

    old, new = _export(tmp_path / "old.csv", OLD), _export(tmp_path / "new.csv", NEW)
    out = tmp_path / "movement.xlsx"
    args = ["diff", old, new, "--as-of", "2026-11-01", "--by-owner", "-f", "xlsx", "-q"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "--format xlsx needs --output FILE.xlsx" in refused.output
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Open pipeline movement"]
    ws = book["Open pipeline movement"]
    assert ws["A1"].value == "Open pipeline movement, 2026-10 (2026-10-01 to 2026-10-31)"
    steps = {ws.cell(r, 1).value: (ws.cell(r, 2).value, ws.cell(r, 3).value) for r in range(5, 14)}
    assert steps == {
        "Open pipeline at start": (6, 2200),
        "Created": (1, 800),
        "Reopened": (1, 1000),
        "Amount up": (1, 50),
        "Amount down": (1, -50),
        "Won": (1, -400),
        "Lost": (1, -500),
        "Gone from export": (1, -700),
        "Open pipeline at end": (5, 2400),
    }
    assert ws["C6"].number_format == '"+$"#,##0;"-$"#,##0;"$"#,##0'
    owners = [c.row for c in ws["A"] if c.value == "Ann"]
    assert [ws.cell(owners[0], c).value for c in (2, 10)] == [800, 1150]  # start, end
    assert len(ws._charts) == 1
