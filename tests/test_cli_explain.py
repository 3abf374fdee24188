"""`salesmetrics explain` on HubSpot deals exports recognised by their preset: the table, the CSV
and the workbook read back (the counted rows give the value; a CRM value never becomes a
formula), the comparison period, and one clear line for a bad KPI id or group."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from openpyxl import load_workbook

from salesmetrics.cli import app

FIXTURE = "tests/fixtures/presets/hubspot_deals.csv"
MARCH = ["--period", "2026-03", "--as-of", "2026-04-01", "--max-reject-rate", "0.5", "-q"]
HEADER = ["Record ID", "Deal Name", "Deal Stage", "Amount", "Currency", "Close Date"]
HEADER += ["Create Date", "Deal owner"]
HOSTILE = '=HYPERLINK("http://x","y")'


def _export(path: Path, until: str = "2026-10-31 10:00") -> str:
    """A HubSpot deals export (BOM, quoted, CRLF) of six deals, four owners a formula; the
    deals' dates reach `until` (a deal created then)."""
    rows = [
        ("D1", "closedwon", "100", "2026-10-05 10:00", "Ann"),
        ("D2", "closedlost", "200", "2026-10-20 10:00", HOSTILE),
        ("D3", "closedlost", "300", "2026-10-21 10:00", HOSTILE),
        ("D4", "closedwon", "400", "2026-09-30 10:00", HOSTILE),
        ("D5", "qualifiedtobuy", "500", "2026-12-01 00:00", HOSTILE),
        ("D6", "qualifiedtobuy", "600", "2026-12-01 00:00", "Ann"),
    ]
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(HEADER)
        for deal_id, stage, amount, close, owner in rows:
            created = until if deal_id == "D6" else "2026-09-01 09:00"
            writer.writerow(
                [deal_id, f"{deal_id} deal", stage, amount, "USD", close, created, owner]
            )
    return str(path)


def test_explain_a_hubspot_export_recognised_by_its_preset(runner):
    result = runner.invoke(app, ["explain", "win_rate", FIXTURE, *MARCH])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Win rate (win_rate), 2026-03: 50.0%"
    assert lines[1] == "2 deals counted, 2 left out: 2 open: neither won nor lost"
    assert lines[2] == "the counted rows give numerator 1 / denominator 2 = 50.0%"
    assert "Counted (2)" in result.stdout and "Left out (2)" in result.stdout
    assert "| 9001    | 2026-03-20 |" in result.stdout  # the won deal, closed on March 20


def test_the_csv_read_back_gives_the_value_and_escapes_formulas(runner, tmp_path):
    path = _export(tmp_path / "hubspot.csv")
    out = tmp_path / "rows.csv"
    args = ["explain", "win_rate", path, "-m", "hubspot_deals", "--period", "2026-10"]
    args += ["--as-of", "2026-11-01", "--group", f"owner={HOSTILE}", "-f", "csv", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["deal_id"] for r in rows] == ["D2", "D3", "D4", "D5"]  # D1 is Ann's
    counted = [r for r in rows if r["counted"] == "true"]
    assert [r["deal_id"] for r in counted] == ["D2", "D3"]  # both lost in October: 0 of 2
    assert sum(float(r["numerator"]) for r in counted) == 0.0
    assert sum(float(r["denominator"]) for r in counted) == 2.0
    assert {r["reason"] for r in rows if r["counted"] == "false"} == {
        "closed outside 2026-10",
        "open: neither won nor lost",
    }
    assert {r["owner"] for r in rows} == {"'" + HOSTILE}
    assert rows[0]["_file"] == path and rows[0]["_row"] == "3"


def test_the_workbook_read_back_holds_the_rows_as_values_never_formulas(runner, tmp_path):
    path = _export(tmp_path / "hubspot.csv")
    out = tmp_path / "rows.xlsx"
    args = ["explain", "revenue_won", path, "--period", "2026-10", "--as-of", "2026-11-01"]
    args += ["-f", "xlsx", "-o", str(out), "--group", f"owner={HOSTILE}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "Rows"]
    assert book["Summary"]["A1"].value == f"Revenue won (revenue_won), 2026-10, owner {HOSTILE}: $0"
    sheet = book["Rows"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Counted", "Reason", "Row", "File", "Deal id"]
    owner = header.index("Owner") + 1
    cells = [sheet.cell(row=r, column=owner) for r in range(2, sheet.max_row + 1)]
    assert {c.value for c in cells} == {HOSTILE} and {c.data_type for c in cells} == {"s"}
    assert [sheet.cell(row=r, column=1).value for r in range(2, 6)] == ["no"] * 4
    closed = sheet.cell(row=2, column=header.index("Closed at") + 1)
    assert closed.is_date and closed.number_format == "yyyy-mm-dd hh:mm"


def test_the_comparison_value_and_json(runner, tmp_path):
    path = _export(tmp_path / "hubspot.csv")
    args = ["explain", "deals_won", path, "--period", "2026-10", "--as-of", "2026-11-01"]
    result = runner.invoke(app, [*args, "--previous", "-f", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["period"]["label"] == "2026-09" and document["comparison"] is True
    assert document["values"] == [
        {"category": None, "subcategory": None, "value": 1.0, "note": None}
    ]
    assert [r["deal_id"] for r in document["rows"] if r["counted"]] == ["D4"]
    assert document["reasons"][0] == {"reason": "not won", "rows": 4}
    year = runner.invoke(app, [*args, "--compare", "year", "-f", "json"])
    assert json.loads(year.stdout)["period"]["label"] == "2025-10"


def test_a_comparison_over_the_same_days_says_which(runner, tmp_path):
    """The deals' dates end on 21 October: October is counted up to it, and September over
    its first 21 days, which leave out D4, won on the 30th (as the report counts it)."""
    path = _export(tmp_path / "hubspot.csv", until="2026-09-01 09:00")
    args = ["explain", "deals_won", path, "--period", "2026-10", "--as-of", "2026-11-01"]
    result = runner.invoke(app, [*args, "--previous", "-f", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["period"]["label"] == "2026-09 (2026-09-01 to 2026-09-21)"
    assert document["values"][0]["value"] == 0.0
    reasons = {r["deal_id"]: r["reason"] for r in document["rows"]}
    assert reasons["D4"] == "closed outside 2026-09 (2026-09-01 to 2026-09-21)"
    assert any("21 of 31 days" in n for n in document["notes"]), document["notes"]


def test_a_bad_kpi_id_or_group_is_one_clear_line(runner, tmp_path):
    path = _export(tmp_path / "hubspot.csv")
    base = [path, "--period", "2026-10", "--as-of", "2026-11-01", "-q"]
    result = runner.invoke(app, ["explain", "win_rat", *base])
    assert result.exit_code == 2
    assert result.stderr == "error: unknown KPI 'win_rat'; did you mean win_rate?\n"
    result = runner.invoke(app, ["explain", "win_rate", *base, "--group", "owner=Anne"])
    assert result.exit_code == 1
    assert result.stderr == "error: no win_rate group has owner 'Anne'; did you mean Ann?\n"
    result = runner.invoke(app, ["explain", "win_rate", *base, "--group", "owner"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "expected DIMENSION=VALUE" in result.stderr


def test_the_output_is_never_an_input_and_a_workbook_needs_a_path(runner, tmp_path):
    path = _export(tmp_path / "hubspot.csv")
    base = ["explain", "win_rate", path, "--period", "2026-10", "--as-of", "2026-11-01"]
    result = runner.invoke(app, [*base, "-f", "csv", "-o", path])
    assert result.exit_code == 2 and "writing it would destroy it" in result.stderr
    assert Path(path).read_text(encoding="utf-8-sig").startswith('"Record ID"')
    result = runner.invoke(app, [*base, "-f", "xlsx"])
    assert result.exit_code == 2 and "needs --output" in result.stderr


def test_the_readme_examples_print_what_the_readme_shows(runner, monkeypatch):
    """The README's two examples on the sample company, at 80 columns, as it shows them."""
    import re

    readme = Path("README.md").read_text(encoding="utf-8")
    section = readme.split("### `salesmetrics explain`")[1].split("\n### ")[0]
    pairs = re.findall(r"```sh\n(salesmetrics explain .*?)\n```\n\n```\n(.*?)```", section, re.S)
    assert len(pairs) == 2
    monkeypatch.setenv("COLUMNS", "80")
    for command, shown in pairs:
        args = [a.strip('"') for a in re.findall(r'"[^"]*"|\S+', command)][1:]
        result = runner.invoke(app, [*args, "-q"])
        assert result.exit_code == 0, result.output
        assert result.stdout == shown, command


def test_explain_runs_under_the_memory_limit(runner, monkeypatch):
    """--memory-limit as for report: a bad size is a usage error, running out one line."""
    monkeypatch.delenv("SALESMETRICS_MEMORY_LIMIT", raising=False)
    bad = runner.invoke(app, ["explain", "win_rate", FIXTURE, *MARCH, "--memory-limit", "1G"])
    assert bad.exit_code == 2 and "'1G' is not a memory size" in bad.output
    result = runner.invoke(app, ["explain", "win_rate", FIXTURE, *MARCH, "--memory-limit", "1MB"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("error: the report's queries ran out of memory under the ")
    enough = runner.invoke(app, ["explain", "win_rate", FIXTURE, *MARCH, "--memory-limit", "1GB"])
    assert enough.exit_code == 0 and enough.stdout.startswith("Win rate (win_rate), 2026-03: 50.0%")


def test_explain_runs_on_the_engine_chosen(runner, monkeypatch):
    """--engine as for report: spark makes the connection a Spark session (refused here, so
    none starts), --memory-limit with it is a usage error, an unknown engine too."""
    import salesmetrics.spark as spark
    from salesmetrics.errors import SalesmetricsError

    asked = []

    def session(remote=None, conf=()):
        asked.append((remote, tuple(conf)))
        raise SalesmetricsError("Spark did not start: not in this test")

    monkeypatch.setattr(spark, "session", session)
    monkeypatch.delenv("SALESMETRICS_ENGINE", raising=False)
    result = runner.invoke(app, ["explain", "win_rate", FIXTURE, *MARCH, "--engine", "spark"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == "error: Spark did not start: not in this test\n"
    assert asked == [(None, ())]
    both = ["--engine", "spark", "--memory-limit", "1GB"]
    refused = runner.invoke(app, ["explain", "win_rate", FIXTURE, *MARCH, *both])
    assert refused.exit_code == 2 and "DuckDB's memory limit, not Spark's" in refused.output
    unknown = runner.invoke(app, ["explain", "win_rate", FIXTURE, *MARCH, "--engine", "pg"])
    assert unknown.exit_code == 2 and "Invalid value for '--engine'" in unknown.output
    assert len(asked) == 1
