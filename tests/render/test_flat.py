"""NDJSON, CSV and Markdown: one row per value, every digit kept where machines read them."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

from salesmetrics.render.flat import render_csv, render_markdown, render_ndjson
from tests.render.reports import (
    maturing_report,
    sample_inputs,
    sample_report,
    stale_report,
    value,
)


def test_ndjson_is_one_parsable_object_per_value():
    out = io.StringIO()
    render_ndjson(sample_report(), out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 8
    items = [json.loads(line) for line in lines]
    assert {i["period"] for i in items} == {"2026-10"} and {i["as_of"] for i in items} == {
        "2026-11-23"
    }
    revenue = items[1]
    assert (revenue["id"], revenue["value"], revenue["status"]) == (
        "revenue_won",
        1200.0,
        "off_track",
    )
    assert revenue["trend"][0] == {"period": "2026-08", "value": 1000.0}
    assert items[4]["value"] is None and items[4]["note"] == "no rows in the denominator"
    assert items[5]["group"] == {"lost_reason": "Price"}


def test_csv_has_one_column_per_dimension_and_full_precision():
    out = io.StringIO()
    render_csv(sample_report(), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0])[-1] == "variant" and rows[0]["variant"] == ""
    assert list(rows[0])[:8] == [
        "period",
        "as_of",
        "id",
        "label",
        "stage",
        "unit",
        "owner",
        "lost_reason",
    ]
    assert rows[3]["owner"] == "'=HYPERLINK(1)" and rows[3]["value"] == "0.5"
    assert rows[2]["small_sample"] == "true" and rows[2]["owner"] == ""
    assert rows[4]["value"] == "" and rows[6]["lost_reason"] == "(blank)"
    assert rows[2]["change"] == repr(0.1)
    assert rows[1]["change"] == "-300.0" and rows[1]["change_pct"] == "-0.2"  # numbers, as such


def _csv_rows(report, **options) -> list[dict[str, str]]:
    out = io.StringIO()
    render_csv(report, out, **options)
    return list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))


HOSTILE = {
    '=HYPERLINK("http://x","y")': '\'=HYPERLINK("http://x","y")',
    "+Ben": "'+Ben",
    "@SUM(A1)": "'@SUM(A1)",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
    "-": "'-",
    "-5": "-5",  # a plain number is read as one, never run: left as it is
    "-1,234.50": "-1,234.50",
    "+3e5": "+3e5",
    "Ana-Maria": "Ana-Maria",
}


def test_csv_escapes_formula_leading_texts_and_leaves_numbers():
    values = tuple(
        value("deals_won", "Deals won", "close", "count", -1.0, group=(("owner", name),))
        for name in HOSTILE
    )
    report = replace(sample_report(), values=values)
    escaped = _csv_rows(report)
    assert [r["owner"] for r in escaped] == list(HOSTILE.values())
    assert {r["value"] for r in escaped} == {"-1.0"}  # a negative number stays a number
    kept = _csv_rows(report, escape_formulas=False)
    assert [r["owner"] for r in kept] == list(HOSTILE)


def test_markdown_escapes_data_and_drops_control_characters():
    hostile = (
        "[click](http://evil.example) ![img](http://evil.example/x.png) <script>x</script> "
        "*b* _i_ `code` a|b ~~s~~ &lt; \\ \x1b]0;title\x07\x1b[2Jsnake_case \u202eevil\x9b31m"
    )
    report = replace(
        sample_report(),
        values=(
            value("deals_won", "Deals won", "close", "count", 1.0, group=(("owner", hostile),)),
        ),
        skipped=(),
    )
    out = io.StringIO()
    render_markdown(report, [], out)
    row = next(line for line in out.getvalue().splitlines() if line.startswith("| Deals won"))
    assert row.split(" | ")[1] == (
        "owner: \\[click\\](http://evil.example) !\\[img\\](http://evil.example/x.png) "
        "\\<script\\>x\\</script\\> \\*b\\* \\_i\\_ \\`code\\` a\\|b \\~\\~s\\~\\~ \\&lt; \\\\ "
        "snake_case evil"
    )


def test_markdown_tables_escape_pipes_and_list_skips():
    out = io.StringIO()
    render_markdown(sample_report(), sample_inputs(), out, show_skipped=True)
    text = out.getvalue()
    assert text.startswith("# Sales report 2026-10\n")
    assert "| Revenue won |  | $1,200 | $1,500 | -20.0% | off track |" in text
    assert "| Win rate \\* | owner: Ben \\| Jr | — | — |  |  |" in text
    assert "- `email_open_rate`: needs activities.opened" in text
    assert "| exports/deals.csv | deals | 12 | 9 | 1 | 1 |" in text


def test_markdown_says_the_skipped_kpis_in_one_line_unless_asked():
    out = io.StringIO()
    render_markdown(sample_report(), sample_inputs(), out)
    text = out.getvalue()
    assert "email_open_rate" not in text
    assert (  # activities: email_open_rate's input, not among the inputs (deals only)
        "1 KPI needs inputs you did not give: activities; `salesmetrics kpis --missing` with "
        "the same inputs lists them (--show-skipped: here)\n" in text
    )


def test_markdown_starts_with_the_warnings_and_lists_totals_only():
    out = io.StringIO()
    render_markdown(stale_report(), sample_inputs(), out)
    text = out.getvalue()
    assert text.startswith(
        "# Sales report 2026-10\n\n"
        "_2026-10-01 to 2026-10-31, compared with 2026-09; amounts in USD; as of 2026-11-23._\n\n"
        "**Warnings**\n\n"
        "- deals end 2026-09-30; period 2026-10 has no deals\n\n"
        "## Summary\n"
    )
    assert "| MRR |  | $2,000 |" in text
    assert "_Total only, not split by owner: subscriptions carry no owner:_ `mrr`\n" in text


def test_maturing_values_are_marked_in_markdown_and_a_column_in_csv_and_ndjson():
    report = maturing_report()
    out = io.StringIO()
    render_markdown(report, [], out)
    text = out.getvalue()
    assert "| SQL to demo rate ~ |" in text and "| Win rate |" in text
    assert "~ maturing: later data can still change the value" in text
    out = io.StringIO()
    render_csv(report, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["maturing"] for r in rows] == ["true", "false"]
    out = io.StringIO()
    render_ndjson(report, out)
    assert [json.loads(line)["maturing"] for line in out.getvalue().splitlines()] == [True, False]


def test_markdown_movement_has_deals_and_the_span_once():
    from salesmetrics.periods import resolve_period
    from tests.kpis.test_movement import AS_OF, _report

    out = io.StringIO()
    render_markdown(_report(period=resolve_period("2026-Q4", AS_OF)), [], out)
    text = out.getvalue()
    assert "| KPI | group | deals | value | status |" in text
    assert "| Pipeline lost |  | 1 | -500 |  |" in text
    assert text.count("_movement over 2026-10-01 to 2026-10-31, not the whole of 2026-Q4_") == 1
