"""The Excel workbook read back: sheets, values, formats, charts, print setup, formula
injection, atomic writing."""

from __future__ import annotations

import errno
import math
import re
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from salesmetrics.ingest.quality import Example, InputQuality, Reason
from salesmetrics.kpis.catalogue import CATALOGUE
from salesmetrics.periods import Period
from salesmetrics.render import xlsx, xlsx_formats
from salesmetrics.render.xlsx import write_workbook
from salesmetrics.report import DataWarning, KpiValue, Report, Skipped, TrendPoint

OCT = Period("2026-10", date(2026, 10, 1), date(2026, 10, 31), "month")
SEP = Period("2026-09", date(2026, 9, 1), date(2026, 9, 30), "month")
AUG = Period("2026-08", date(2026, 8, 1), date(2026, 8, 31), "month")
TREND = (AUG, SEP, OCT)
EVIL = (
    '=HYPERLINK("http://x","y")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "=1+1",
)


def trend(*values: float | None) -> tuple[TrendPoint, ...]:
    return tuple(TrendPoint(p.label, v) for p, v in zip(TREND, values, strict=True))


def kv(kpi_id: str, value: float | None, **fields) -> KpiValue:
    """A value of a catalogue KPI (its label, stage and unit), or of a made-up one."""
    kpi = CATALOGUE.get(kpi_id)
    base = {
        "label": kpi.label if kpi else fields.get("label", kpi_id),
        "stage": kpi.stage if kpi else fields.get("stage", "close"),
        "unit": str(kpi.unit) if kpi else fields.get("unit", "count"),
    }
    base.update(fields)
    return KpiValue(
        id=kpi_id,
        label=base.pop("label"),
        stage=base.pop("stage"),
        unit=base.pop("unit"),
        group=base.pop("group", ()),
        value=value,
        numerator=base.pop("numerator", None),
        denominator=base.pop("denominator", None),
        n=base.pop("n", 10),
        small_sample=base.pop("small_sample", False),
        **base,
    )


def quality(path: str = "data/deals.csv", **fields) -> InputQuality:
    counts = {
        "rows_read": 10,
        "rows_used": 6,
        "rows_filtered": 1,
        "rows_rejected": 2,
        "duplicates_dropped": 1,
    }
    counts.update({k: fields.pop(k) for k in list(fields) if k in counts})
    return InputQuality(
        path=path,
        entity=fields.pop("entity", "deals"),
        mapping=fields.pop("mapping", "sample_data/mappings/deals.yaml"),
        sha256=fields.pop("sha256", "ab" * 32),
        **counts,
        **fields,
    )


def build_report(**changes) -> Report:
    """Totals in every unit, an owner breakdown, a distribution, a funnel and an MRR bridge."""
    values = [
        kv(
            "revenue_won",
            1234567.5,
            previous=1000000.0,
            change=234567.5,
            change_pct=0.2345675,
            target=1500000.0,
            status="off_track",
            n=33,
            trend=trend(900000.0, 1000000.0, 1234567.5),
        ),
        kv("revenue_won", 600000.0, group=(("owner", "Ana"),), n=12),
        kv(
            "win_rate",
            0.25,
            numerator=25.0,
            denominator=100.0,
            previous=0.2,
            change=0.05,
            change_pct=0.25,
            target=0.2,
            status="on_track",
            trend=trend(0.22, None, 0.25),
        ),
        kv("win_rate", None, group=(("owner", "Ana"),), n=0, note="no rows in the denominator"),
        kv(
            "sales_cycle_days", 41.25, target=40.0, status="at_risk", trend=trend(40.0, 42.0, 41.25)
        ),
        kv("deals_won", 33.0, previous=42.0, change=-9.0, change_pct=-9 / 42),
        kv("lead_response_time_hours", 1.5),
        kv("pipeline_coverage_x", 3.2, label="Pipeline coverage", stage="close", unit="multiple"),
        kv("revenue_by_source", 0.75, category="Referral", numerator=75.0, denominator=100.0),
        kv("revenue_by_source", 0.25, category="Paid", numerator=25.0, denominator=100.0),
        kv(
            "stage_conversion",
            0.5,
            stage="close",
            unit="ratio",
            category="demo",
            numerator=40.0,
            denominator=80.0,
            label="Stage conversion",
        ),
        kv(
            "stage_conversion",
            0.75,
            stage="close",
            unit="ratio",
            category="proposal",
            numerator=30.0,
            denominator=40.0,
            label="Stage conversion",
        ),
        kv(
            "stage_conversion",
            0.5,
            stage="close",
            unit="ratio",
            category="demo",
            numerator=10.0,
            denominator=20.0,
            label="Stage conversion",
            group=(("owner", "Ana"),),
        ),
        kv("mrr_bridge", 10000.0, category="start"),
        kv("mrr_bridge", 2500.0, category="new"),
        kv("mrr_bridge", -500.0, category="churned"),
        kv("mrr_bridge", 12000.0, category="end"),
    ]
    report = Report(
        period=OCT,
        as_of=date(2026, 11, 23),
        group_by=("owner",),
        values=tuple(values),
        skipped=(Skipped("quota_attainment", "needs targets (no targets input)"),),
        comparison=SEP,
        currency="EUR",
        trend=TREND,
    )
    return replace(report, **changes)


def build_inputs() -> list[InputQuality]:
    return [
        quality(
            rejected=(
                Reason(
                    "created_at: not a date",
                    2,
                    (Example(4, "yesterday"), Example(9, "31/02/2026")),
                ),
            ),
            filtered=(Reason("pipeline: not Sales", 1, (Example(7, "Partners"),)),),
        ),
        quality(
            "data/leads.csv",
            entity="leads",
            mapping="sample_data/mappings/leads.yaml",
            rows_read=5,
            rows_used=5,
            rows_filtered=0,
            rows_rejected=0,
            duplicates_dropped=0,
        ),
    ]


def write(tmp_path: Path, report: Report | None = None, inputs=None) -> openpyxl.Workbook:
    path = tmp_path / "report.xlsx"
    write_workbook(report or build_report(), build_inputs() if inputs is None else inputs, path)
    return openpyxl.load_workbook(path)


def table(ws: Worksheet, header_row: int = 1) -> list[dict]:
    """The sheet's rows under `header_row` as dicts by header."""
    rows = list(ws.iter_rows(min_row=header_row))
    headers = [c.value for c in rows[0]]
    return [{h: c for h, c in zip(headers, row, strict=True)} for row in rows[1:]]


def row_of(ws: Worksheet, column: str, wanted: str, header_row: int = 1, **more) -> dict:
    found = [
        r
        for r in table(ws, header_row)
        if r[column].value == wanted and all(r[k].value == v for k, v in more.items())
    ]
    assert len(found) == 1, f"{len(found)} rows with {column}={wanted} {more}"
    return found[0]


def sheet_xml(path: Path) -> dict[str, str]:
    """The XML of every worksheet in the file, by part name."""
    with zipfile.ZipFile(path) as archive:
        return {
            name: archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("xl/worksheets/sheet")
        }


def every_cell(book: openpyxl.Workbook):
    for ws in book.worksheets:
        for row in ws.iter_rows():
            yield from row


def chart_title(chart) -> str:
    return "".join(r.t for p in chart.title.tx.rich.p for r in p.r)


def panel(ws: Worksheet) -> list[dict]:
    """The Summary's headline rows: under the header whose first cell is "KPI", to a blank."""
    header = next(c.row for c in ws["A"] if c.value == "KPI")
    rows = []
    for r in table(ws, header):
        if r["KPI"].value is None:
            break
        rows.append(r)
    return rows


# sheets


def test_sheets_in_order(tmp_path: Path) -> None:
    book = write(tmp_path)
    assert book.sheetnames == [
        "Summary",
        "Qualification",
        "Close",
        "Team",
        "MRR",
        "Trends",
        "Trend table",
        "Funnel",
        "MRR bridge",
        "Definitions",
        "Data quality",
        "Inputs",
    ]


def test_optional_sheets_only_when_their_values_exist(tmp_path: Path) -> None:
    report = build_report()
    plain = tuple(
        replace(v, trend=())
        for v in report.values
        if v.id not in ("stage_conversion", "mrr_bridge")
    )
    book = write(tmp_path, replace(report, values=plain, trend=()))
    assert book.sheetnames == [
        "Summary",
        "Qualification",
        "Close",
        "Team",
        "Definitions",
        "Data quality",
        "Inputs",
    ]
    assert all(not ws._charts for ws in book.worksheets)


def test_an_empty_report_still_writes_a_workbook(tmp_path: Path) -> None:
    report = Report(OCT, date(2026, 11, 23), (), (), ())
    book = write(tmp_path, report, [])
    assert book.sheetnames == ["Summary", "Definitions", "Data quality", "Inputs"]
    assert book["Summary"]["A4"].value.startswith("no headline KPI")
    assert not book["Summary"]._charts


def test_document_properties_name_the_period(tmp_path: Path) -> None:
    props = write(tmp_path).properties
    assert props.title == "salesmetrics report 2026-10"
    assert "2026-10-01" in props.subject and "as of 2026-11-23" in props.subject
    assert "compared with 2026-09" in props.description
    assert props.creator.startswith("salesmetrics")


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_on_each_page(
    tmp_path: Path,
) -> None:
    book = write(tmp_path)
    for ws in book.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.page_margins.left == ws.page_margins.right == 0.4, ws.title
        assert "&P of &N" in ws.oddFooter.center.text, ws.title


def test_tables_have_a_frozen_header_and_an_autofilter(tmp_path: Path) -> None:
    book = write(tmp_path)
    frozen = {ws.title: ws.freeze_panes for ws in book.worksheets}
    assert frozen["Summary"] is None  # a page, not a table
    assert frozen["Close"] == frozen["Trend table"] == "B2"
    assert frozen["Definitions"] == "C2"
    assert book["Inputs"].auto_filter.ref == "A1:F3"
    assert book["Close"].auto_filter.ref == "A1:O11"
    for name in ("Qualification", "Close", "Team", "MRR", "Funnel", "MRR bridge", "Inputs"):
        assert book[name].auto_filter.ref.startswith("A1:"), name
    for ws in book.worksheets:
        widths = [d.width for d in ws.column_dimensions.values() if d.width]
        assert all(6 <= w <= 60 for w in widths), ws.title


# Summary


def test_summary_opens_with_the_headline_kpis(tmp_path: Path) -> None:
    ws = write(tmp_path)["Summary"]
    assert ws["A1"].value == "salesmetrics report 2026-10 (2026-10-01 to 2026-10-31)"
    assert ws["A2"].value == (
        "compared with 2026-09 (2026-09-01 to 2026-09-30), amounts in EUR, by owner; "
        "as of 2026-11-23"
    )
    assert [c.value for c in ws[4]] == ["KPI", *xlsx.VALUE_HEADERS]
    rows = panel(ws)
    labels = [CATALOGUE[k].label for k in ("revenue_won", "win_rate", "sales_cycle_days")]
    assert [r["KPI"].value for r in rows] == labels  # the panel's order; others stay out
    revenue = rows[0]
    assert revenue["Value"].value == 1234567.5
    assert revenue["Previous"].value == 1000000
    assert revenue["Change"].value == 234567.5
    assert revenue["Change %"].value == pytest.approx(0.2345675)
    assert revenue["Target"].value == 1500000
    assert revenue["Status"].value == "off track"
    assert revenue["Flags"].value is None
    win = rows[1]
    assert win["Change"].value == pytest.approx(5.0)  # 0.20 -> 0.25 is +5 points
    assert win["Change"].number_format == '+0.0" pp";-0.0" pp";0.0" pp"'


def test_headline_picks_the_totals_with_a_value_in_its_order() -> None:
    report = build_report(
        values=(
            kv("nrr", 1.01),
            kv("win_rate", 0.3, group=(("owner", "Ana"),)),
            kv("win_rate", 0.25),
            kv("mrr", None),
            kv("deals_won", 3.0),
        )
    )
    assert [v.id for v in xlsx.headline(report)] == ["win_rate", "nrr"]


def test_warnings_stand_above_the_headline(tmp_path: Path) -> None:
    warnings = (
        DataWarning(
            "stale_input",
            "deals",
            date(2025, 1, 2),
            date(2026, 9, 30),
            "deals end 2026-09-30; period 2026-10 has no deals",
        ),
        DataWarning(
            "empty_period",
            "leads",
            date(2025, 1, 1),
            date(2026, 11, 20),
            "period 2026-10 has no leads (leads run from 2025-01-01 to 2026-11-20)",
        ),
    )
    ws = write(tmp_path, build_report(warnings=warnings))["Summary"]
    assert ws["A3"].value == "warning: deals end 2026-09-30; period 2026-10 has no deals"
    assert ws["A4"].value.startswith("warning: period 2026-10 has no leads")
    assert ws["A3"].font.bold
    assert "A3:H3" in ws.merged_cells and ws["A3"].alignment.wrap_text  # never cut by the page
    assert ws["A6"].value == "KPI"
    assert panel(ws)[0]["Value"].value == 1234567.5


def test_summary_charts_the_won_revenue_trend_without_mrr_or_quotas(tmp_path: Path) -> None:
    ws = write(tmp_path)["Summary"]
    (chart,) = ws._charts
    assert type(chart).__name__ == "LineChart"
    assert chart_title(chart) == f"{CATALOGUE['revenue_won'].label} (EUR)"
    (line,) = chart.series
    header = next(c.row for c in ws["A"] if c.value == "Period")
    assert [c.value for c in ws[header]][:2] == ["Period", CATALOGUE["revenue_won"].label]
    data = [[c.value for c in row][:2] for row in ws.iter_rows(min_row=header + 1)]
    assert data == [["2026-08", 900000], ["2026-09", 1000000], ["2026-10", 1234567.5]]
    assert line.val.numRef.f == f"'Summary'!$B${header + 1}:$B${header + 3}"
    assert ws[f"B{header + 1}"].number_format == '"€"#,##0'


def test_summary_charts_mrr_before_won_revenue(tmp_path: Path) -> None:
    report = build_report()
    mrr = kv("mrr", 5000.0, trend=trend(4000.0, 4500.0, 5000.0))
    ws = write(tmp_path, replace(report, values=(*report.values, mrr)))["Summary"]
    (chart,) = ws._charts
    assert chart_title(chart) == f"{CATALOGUE['mrr'].label} (EUR)"


def test_summary_charts_bookings_against_quota_by_owner(tmp_path: Path) -> None:
    report = build_report()
    owners = (
        kv("revenue_won", 90000.0, group=(("owner", "Bo"),), target=100000.0, status="at_risk"),
        kv("revenue_won", 120000.0, group=(("owner", "=Cy"),), target=100000.0),
        kv("revenue_won", 0.0, group=(("owner", "Left"),)),  # no quota, no sale: left out
    )
    ws = write(tmp_path, replace(report, values=(*report.values, *owners)))["Summary"]
    (chart,) = ws._charts
    assert type(chart).__name__ == "BarChart" and chart.type == "bar"
    assert len(chart.series) == 2
    header = next(c.row for c in ws["A"] if c.value == "Owner")
    rows = table(ws, header)
    assert [(r["Owner"].value, r["Revenue won"].value, r["Quota"].value) for r in rows] == [
        ("Ana", 600000, None),  # the most won first; with no quota, but a sale
        ("=Cy", 120000, 100000),
        ("Bo", 90000, 100000),
    ]
    assert rows[2]["Status"].value == "at risk"
    assert chart.series[0].val.numRef.f == f"'Summary'!$B${header + 1}:$B${header + 3}"
    assert chart_title(chart) == "Revenue won vs quota (EUR)"


def test_summary_number_formats_by_unit(tmp_path: Path) -> None:
    rows = {r["KPI"].value: r for r in panel(write(tmp_path)["Summary"])}
    revenue = rows[CATALOGUE["revenue_won"].label]
    assert revenue["Value"].number_format == '"€"#,##0'  # no cents on large sums
    assert revenue["Previous"].number_format == revenue["Target"].number_format == '"€"#,##0'
    assert revenue["Change"].number_format == '"+€"#,##0;"-€"#,##0;"€"#,##0'
    assert revenue["Change %"].number_format == "+0.0%;-0.0%;0.0%"
    win = rows[CATALOGUE["win_rate"].label]
    assert win["Value"].number_format == win["Target"].number_format == "0.0%"
    cycle = rows[CATALOGUE["sales_cycle_days"].label]
    assert cycle["Value"].number_format == '0.0" days"'


def test_a_count_that_is_not_whole_gets_a_decimal(tmp_path: Path) -> None:
    report = build_report(values=(kv("deals_won", 2.75, previous=3.0),))
    row = table(write(tmp_path, report)["Close"])[0]
    assert row["Value"].value == 2.75
    assert row["Value"].number_format == row["Previous"].number_format == "#,##0.0"


def test_status_cells_are_coloured(tmp_path: Path) -> None:
    ws = write(tmp_path)["Close"]
    colours = {
        r["ID"].value: (r["Status"].value, r["Status"].fill.fgColor.rgb[-6:])
        for r in table(ws)
        if r["Status"].value is not None
    }
    assert colours == {
        "win_rate": ("on track", "C6EFCE"),
        "sales_cycle_days": ("at risk", "FFEB9C"),
        "revenue_won": ("off track", "FFC7CE"),
    }
    deals = row_of(ws, "ID", "deals_won")
    assert deals["Status"].value is None
    assert deals["Status"].fill.fill_type is None


def test_small_samples_and_maturing_values_are_marked_and_explained(tmp_path: Path) -> None:
    report = build_report(
        values=(
            kv("win_rate", 0.5, small_sample=True),
            kv("sql_to_demo_rate", 0.1, maturing=True),
            kv("demo_to_win_rate", 0.2, small_sample=True, maturing=True),
            kv("deals_won", 3.0),
        )
    )
    book = write(tmp_path, report)
    flags = {r["ID"].value: r["Flags"].value for r in table(book["Close"]) if r["ID"].value}
    assert flags == {"win_rate": "*", "deals_won": None}
    demo = {r["ID"].value: r["Flags"].value for r in table(book["Demo"]) if r["ID"].value}
    assert demo == {"sql_to_demo_rate": "~", "demo_to_win_rate": "*~"}
    notes = [c.value for c in book["Close"]["A"] if c.value and c.value.startswith("* small")]
    assert notes == [xlsx_formats.FLAGS_NOTE]
    assert panel(book["Summary"])[0]["Flags"].value == "*"
    assert [c.data_type for c in every_cell(book) if c.data_type == "b"] == []


def test_no_note_without_a_mark(tmp_path: Path) -> None:
    report = build_report(values=(kv("deals_won", 3.0),))
    column = [c.value for c in write(tmp_path, report)["Close"]["A"]]
    assert xlsx_formats.FLAGS_NOTE not in column


# stage sheets


def test_stage_sheet_holds_totals_first_then_breakdowns(tmp_path: Path) -> None:
    ws = write(tmp_path)["Close"]
    headers = [c.value for c in ws[1]]
    assert headers == ["KPI", "Owner", "Stage", *xlsx.VALUE_HEADERS, *xlsx.BREAKDOWN_EXTRA]
    owners = [r["Owner"].value for r in table(ws) if r["KPI"].value]
    assert owners == ["(all)"] * 7 + ["Ana"] * 3
    ana = row_of(ws, "ID", "revenue_won", Owner="Ana")
    assert ana["Value"].value == 600000
    assert ana["Value"].number_format == '"€"#,##0'
    assert ana["Rows"].value == 12
    win = row_of(ws, "ID", "win_rate", Owner="(all)")
    assert (win["Numerator"].value, win["Denominator"].value) == (25, 100)
    missing = row_of(ws, "ID", "win_rate", Owner="Ana")
    assert missing["Value"].value is None
    assert missing["Note"].value == "no rows in the denominator"


def test_categories_are_a_column_with_a_human_header(tmp_path: Path) -> None:
    ws = write(tmp_path)["Team"]
    headers = [c.value for c in ws[1]]
    assert "Source" in headers  # the catalogue's `source`
    referral = row_of(ws, "ID", "revenue_by_source", Source="Referral")
    assert referral["Value"].value == 0.75
    assert referral["Value"].number_format == "0.0%"
    assert "Owner" not in headers  # no value of this stage is broken down by owner


def test_a_subcategory_is_a_column_too(tmp_path: Path) -> None:
    report = build_report(
        values=(kv("cohort_retention", 0.8, category="2026-08", subcategory="2"),)
    )
    row = table(write(tmp_path, report)["Retention"])[0]
    assert (row["Cohort"].value, row["Month number"].value, row["Value"].value) == (
        "2026-08",
        "2",
        0.8,
    )


def test_a_category_named_like_a_dimension_keeps_both(tmp_path: Path) -> None:
    report = build_report(
        group_by=("source",),
        values=(kv("revenue_by_source", 0.6, category="Referral", group=(("source", "EMEA"),)),),
    )
    row = table(write(tmp_path, report)["Team"])[0]
    assert row["Source"].value == "EMEA"
    assert row["Source (category)"].value == "Referral"


def test_dimensions_named_like_a_fixed_column_do_not_displace_it(tmp_path: Path) -> None:
    report = build_report(
        group_by=("status",),
        values=(kv("deals_won", 7.0, group=(("status", "open"),), status="on_track"),),
    )
    row = table(write(tmp_path, report)["Close"])[0]
    assert row["Status (group)"].value == "open"
    assert row["Status"].value == "on track"
    assert row["Value"].value == 7


# Trends, Funnel, MRR bridge


def test_trend_table_has_kpis_as_rows_by_stage(tmp_path: Path) -> None:
    ws = write(tmp_path)["Trend table"]
    assert [c.value for c in ws[1]] == ["KPI", "2026-08", "2026-09", "2026-10", "ID"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert rows == [
        ["Close", None, None, None, None],
        [CATALOGUE["revenue_won"].label, 900000, 1000000, 1234567.5, "revenue_won"],
        [CATALOGUE["win_rate"].label, 0.22, None, 0.25, "win_rate"],
        [CATALOGUE["sales_cycle_days"].label, 40, 42, 41.25, "sales_cycle_days"],
    ]
    assert ws["B3"].number_format == '"€"#,##0'
    assert ws["B4"].number_format == "0.0%"
    assert ws["A2"].font.bold


def test_one_trend_chart_per_stage_not_per_kpi(tmp_path: Path) -> None:
    report = build_report()
    more = (
        kv("deals_won", 30.0, trend=trend(20.0, 25.0, 30.0)),
        kv("deals_lost", 90.0, trend=trend(80.0, 95.0, 90.0)),  # 3x: alike
        kv("opportunities_created", 900.0, trend=trend(800.0, 900.0, 900.0)),
    )
    values = tuple(v for v in report.values if v.id != "deals_won") + more
    book = write(tmp_path, replace(report, values=values))
    ws = book["Trends"]
    charts = ws._charts
    assert [type(c).__name__ for c in charts] == ["LineChart", "LineChart"]
    assert [chart_title(c) for c in charts] == ["Qualification", "Close (EUR)"]
    row = {c.value: c.row for c in book["Trend table"]["E"] if c.value}
    close = charts[1]
    assert [s.val.numRef.f for s in close.series] == [
        f"'Trend table'!$B${row['revenue_won']}:$D${row['revenue_won']}"
    ]
    assert [line.smooth for line in close.series] == [False]  # no ratio, no count beside it


def test_charted_keeps_the_first_kpi_and_those_alike() -> None:
    rows = [
        (2, kv("deals_won", 30.0, trend=trend(20.0, 30.0, 40.0))),  # mean 30
        (3, kv("deals_lost", 90.0, trend=trend(90.0, 90.0, 90.0))),  # 3x: kept
        (4, kv("win_rate", 0.3, trend=trend(0.3, 0.3, 0.3))),  # another unit
        (5, kv("overdue_deals", 200.0, trend=trend(200.0, 200.0, 200.0))),  # 6.7x: flat
        (6, kv("lost_reasons", 0.5, category="Price", unit="count", trend=trend(30.0, 30.0, 30.0))),
        (7, kv("deals_lost", 7.0, trend=trend(6.0, 6.0, 6.0))),  # 1/5: kept
    ]
    assert xlsx._charted(rows) == [2, 3, 7]


def test_trend_charts_go_three_across_and_two_rows_a_page(tmp_path: Path) -> None:
    stages = ["prospecting", "outreach", "qualification", "demo", "close", "team", "purchase"]
    values = tuple(
        kv(f"k{i}", 1.0, stage=stage, trend=trend(1.0, 2.0, 3.0)) for i, stage in enumerate(stages)
    )
    ws = write(tmp_path, build_report(values=values))["Trends"]
    anchors = [(c.anchor._from.row, c.anchor._from.col) for c in ws._charts]
    rows = sorted({r for r, _ in anchors})
    assert len(anchors) == 7 and len(rows) == 3
    assert [len([a for a in anchors if a[0] == r]) for r in rows] == [3, 3, 1]
    assert [b.id for b in ws.row_breaks.brk] == [rows[2]]  # 0-based anchor: the row above
    assert ws["A1"].value.startswith("Trends 2026-08 to 2026-10: one chart per stage")
    area = re.fullmatch(r"'Trends'!\$A\$1:\$C\$(\d+)", ws.print_area)
    assert area and int(area[1]) > rows[2] + 10  # the charts, not only the one cell in A1


def test_funnel_sheet_and_its_funnel_chart(tmp_path: Path) -> None:
    ws = write(tmp_path)["Funnel"]
    assert [c.value for c in ws[1]] == [
        "Owner",
        "Stage",
        "Reached",
        "Converted",
        "Conversion",
        "Of first stage",
        "Flags",
        "Note",
    ]
    rows = table(ws)[:3]
    assert [(r["Reached"].value, r["Converted"].value, r["Conversion"].value) for r in rows] == [
        (80, 40, 0.5),
        (40, 30, 0.75),
        (20, 10, 0.5),
    ]
    assert [r["Owner"].value for r in rows] == ["(all)", "(all)", "Ana"]
    assert [r["Of first stage"].value for r in rows] == [1, 0.5, 1]
    assert rows[0]["Conversion"].number_format == "0.0%"
    header = next(c.row for c in ws["A"] if c.value == "Stage" and c.row > 1)
    data = [[c.value for c in row][:3] for row in ws.iter_rows(min_row=header + 1)]
    assert data == [["demo: 50.0% to next", 0, 80], ["proposal: 75.0% to next", 20, 40]]
    (chart,) = ws._charts
    assert (type(chart).__name__, chart.type, chart.grouping) == ("BarChart", "bar", "stacked")
    base, reached = chart.series
    assert base.graphicalProperties.noFill and not reached.graphicalProperties.noFill
    assert reached.val.numRef.f == f"'Funnel'!$C${header + 1}:$C${header + 2}"


def test_mrr_bridge_sheet_and_its_waterfall(tmp_path: Path) -> None:
    ws = write(tmp_path)["MRR bridge"]
    rows = table(ws)[:4]
    assert [(r["Movement"].value, r["Value"].value) for r in rows] == [
        ("start", 10000),
        ("new", 2500),
        ("churned", -500),
        ("end", 12000),
    ]
    assert rows[2]["Value"].number_format == '"€"#,##0'
    header = next(c.row for c in ws["A"] if c.value == "Step")
    bars = [[c.value for c in row][:5] for row in ws.iter_rows(min_row=header + 1)]
    assert bars == [
        ["Start", None, None, None, 10000],
        ["New", 10000, 2500, None, None],
        ["Churned", 12000, None, 500, None],
        ["End", None, None, None, 12000],
    ]
    (chart,) = ws._charts
    assert (type(chart).__name__, chart.type, chart.grouping) == ("BarChart", "col", "stacked")
    assert len(chart.series) == 4 and chart.series[0].graphicalProperties.noFill
    assert chart.y_axis.scaling.min == 8000  # below 10,000 by half the 2,500 span, rounded


def test_a_waterfall_in_the_order_of_the_bridge() -> None:
    values = [
        kv("mrr_bridge", v, category=c)
        for c, v in (
            ("start", 100.0),
            ("churned", -30.0),
            ("new", 50.0),
            ("contraction", -10.0),
            ("reactivation", 5.0),
            ("expansion", 20.0),
            ("end", 135.0),
        )
    ]
    steps = xlsx._waterfall(values)
    assert [s[0] for s in steps] == [
        "Start",
        "New",
        "Expansion",
        "Reactivation",
        "Contraction",
        "Churned",
        "End",
    ]
    assert steps[4] == ("Contraction", 165.0, None, 10.0, None)  # 100+50+20+5, less 10
    assert xlsx._floor(steps) == 60  # 100 less half the 75 span, down to a round 10
    assert xlsx._floor([("Start", None, None, None, 10.0), ("New", 10.0, 40.0, None, None)]) == 0


def test_no_waterfall_when_the_running_total_goes_below_zero() -> None:
    values = [
        kv("mrr_bridge", v, category=c)
        for c, v in (("start", 10.0), ("churned", -30.0), ("new", 50.0), ("end", 30.0))
    ]
    assert xlsx._waterfall(values) == [
        ("Start", None, None, None, 10.0),
        ("New", 10.0, 50.0, None, None),
        ("Churned", 30.0, None, 30.0, None),
        ("End", None, None, None, 30.0),
    ]
    values[2] = kv("mrr_bridge", 5.0, category="new")
    assert xlsx._waterfall(values) == []
    assert xlsx._waterfall(values[:3]) == []  # no end


# Definitions, Data quality, Inputs


def test_definitions_cover_every_kpi_in_the_report(tmp_path: Path) -> None:
    ws = write(tmp_path)["Definitions"]
    assert [c.value for c in ws[1]] == list(xlsx.DEFINITION_HEADERS)
    rows = {r["ID"].value: r for r in table(ws)}
    assert set(rows) == {v.id for v in build_report().values} | {"quota_attainment"}
    win = CATALOGUE["win_rate"]
    assert rows["win_rate"]["Formula"].value == win.formula
    assert rows["win_rate"]["Kind"].value == str(win.aggregation)
    assert rows["win_rate"]["Unit"].value == "ratio"
    assert rows["win_rate"]["Inputs"].value == ", ".join(n.replace("|", " or ") for n in win.needs)
    assert rows["win_rate"]["Period date"].value == win.period_date
    assert rows["win_rate"]["Higher is better"].value == "yes"
    assert rows["sales_cycle_days"]["Higher is better"].value == "no"
    assert rows["win_rate"]["Skipped because"].value is None
    assert rows["quota_attainment"]["Skipped because"].value == "needs targets (no targets input)"
    made_up = rows["pipeline_coverage_x"]
    assert (made_up["KPI"].value, made_up["Unit"].value) == ("Pipeline coverage", "multiple")
    formula = rows["win_rate"]["Formula"]
    assert formula.alignment.wrap_text
    assert ws.row_dimensions[formula.row].height >= xlsx.LINE_POINTS


def test_definitions_give_each_variant_shown_its_own_row(tmp_path: Path) -> None:
    """With --variants, each named variant is defined under its KPI, one skipped too."""
    from salesmetrics.config import ReportConfig
    from salesmetrics.kpis.catalogue import VARIANTS
    from salesmetrics.pipeline import compute_report
    from tests.kpis.frames import AS_OF
    from tests.kpis.test_close import VARIANT_BOOK

    config = ReportConfig(
        None, (), period="2026-10", as_of=AS_OF, kpis=("win_rate", "cac"), all_variants=True
    )
    report = compute_report(config, VARIANT_BOOK)
    rows = [
        (r["ID"].value, r["Formula"].value, r["Skipped because"].value)
        for r in table(write(tmp_path, report)["Definitions"])
    ]
    per_sql = VARIANTS["win_rate"]["per_sql"]
    assert rows == [
        ("win_rate", CATALOGUE["win_rate"].formula, None),
        ("win_rate: per_sql", per_sql.formula, None),
        ("cac", CATALOGUE["cac"].formula, "needs costs (no costs input)"),
        (
            "cac: sales_only",
            VARIANTS["cac"]["sales_only"].formula,
            "variant sales_only: needs costs (no costs input)",
        ),
    ]


def test_data_quality_accounts_for_every_row_and_reason(tmp_path: Path) -> None:
    ws = write(tmp_path)["Data quality"]
    assert [c.value for c in ws[1]] == list(xlsx.QUALITY_HEADERS)
    rows = [
        tuple(c.value for c in r.values())
        for r in table(ws)
        if r["Input"].value == "data/deals.csv"
    ]
    assert rows == [
        ("data/deals.csv", "deals", "rows read", None, 10, None, None),
        ("data/deals.csv", "deals", "rows used", None, 6, None, None),
        ("data/deals.csv", "deals", "rows filtered", None, 1, None, None),
        ("data/deals.csv", "deals", "rows rejected", None, 2, None, None),
        ("data/deals.csv", "deals", "duplicates dropped", None, 1, None, None),
        ("data/deals.csv", "deals", "reject rate", None, 0.2, None, None),
        ("data/deals.csv", "deals", "rejected", "created_at: not a date", 2, 4, "yesterday"),
        ("data/deals.csv", "deals", "rejected", "created_at: not a date", None, 9, "31/02/2026"),
        ("data/deals.csv", "deals", "filtered", "pipeline: not Sales", 1, 7, "Partners"),
    ]
    leads = [r for r in table(ws) if r["Input"].value == "data/leads.csv"]
    assert [r["Item"].value for r in leads][:2] == ["rows read", "rows used"]
    reject_rate = row_of(ws, "Item", "reject rate", Input="data/deals.csv")
    assert reject_rate["Count"].number_format == "0.0%"


def test_inputs_sheet(tmp_path: Path) -> None:
    ws = write(tmp_path)["Inputs"]
    assert [c.value for c in ws[1]] == list(xlsx.INPUT_HEADERS)
    assert [c.value for c in ws[2]] == [
        "data/deals.csv",
        "deals",
        "sample_data/mappings/deals.yaml",
        "ab" * 32,
        10,
        6,
    ]
    assert ws["E2"].number_format == "#,##0"


# the sample company's workbook


def test_the_sample_workbook_reads_like_a_report(sample_company, tmp_path: Path) -> None:
    report, qualities = sample_company
    path = tmp_path / "report.xlsx"
    write_workbook(report, qualities, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Summary",
        "Prospecting",
        "Outreach",
        "Qualification",
        "Demo",
        "Close",
        "Team",
        "Purchase",
        "MRR",
        "Retention",
        "Efficiency",
        "Trends",
        "Trend table",
        "Funnel",
        "MRR bridge",
        "Definitions",
        "Data quality",
        "Inputs",
    ]
    charts = {ws.title: [type(c).__name__ for c in ws._charts] for ws in book.worksheets}
    assert charts.pop("Summary") == ["LineChart"]  # MRR: the sample has no quota by owner
    assert charts.pop("Trends") == ["LineChart"] * 10  # one per stage, not 106
    assert charts.pop("Funnel") == charts.pop("MRR bridge") == ["BarChart"]
    assert all(found == [] for found in charts.values())
    rows = {r["KPI"].value: r for r in panel(book["Summary"])}
    assert rows["Revenue won"]["Value"].number_format == '"$"#,##0'
    assert rows["Win rate"]["Change"].number_format == xlsx_formats.POINTS
    efficiency = book["Efficiency"]
    payback = row_of(efficiency, "ID", "cac_payback_months")
    assert payback["Value"].number_format == '0.0" months"'
    headers = {c.value for ws in book.worksheets for c in ws[1] if ws.title != "Summary"}
    assert not {h for h in headers if isinstance(h, str) and "_" in h}  # no change_pct
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.print_title_rows == "$1:$1", ws.title


# safety and validity


@pytest.fixture
def hostile() -> tuple[Report, list[InputQuality]]:
    """Every text that can come from input data starts with = + - or @."""
    values = []
    for i, evil in enumerate(EVIL):
        group = (("owner", evil),)
        values += [
            kv("revenue_won", 100.0 + i, group=group, note=evil, trend=trend(1.0, 2.0, 3.0)),
            kv("revenue_by_source", 0.5, category=evil, group=group, note=evil),
            kv("revenue_by_source", 0.5, category=evil, trend=trend(0.1, 0.2, 0.5)),
            kv(
                "stage_conversion",
                0.5,
                category=evil,
                unit="ratio",
                denominator=4.0,
                label="Stage conversion",
            ),
            kv("mrr_bridge", 1.0, category=evil, stage="team", unit="currency", label="MRR bridge"),
        ]
    values.append(kv("revenue_won", 500.0, trend=trend(1.0, 2.0, 3.0)))
    report = build_report(values=tuple(values), skipped=(Skipped("win_rate", EVIL[0]),))
    inputs = [
        quality(
            evil,
            mapping=evil,
            sha256=evil,
            rejected=(Reason(evil, 2, (Example(3, evil), Example(None, evil))),),
            filtered=(Reason(evil, 1, (Example(5, evil),)),),
        )
        for evil in EVIL
    ]
    return report, inputs


def test_no_text_from_the_data_becomes_a_formula(tmp_path: Path, hostile) -> None:
    report, inputs = hostile
    path = tmp_path / "report.xlsx"
    write_workbook(report, inputs, path)
    book = openpyxl.load_workbook(path)
    cells = list(every_cell(book))
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = [c for c in cells if isinstance(c.value, str) and c.value in EVIL]
    found = {c.value for c in texts}
    assert found == set(EVIL)
    assert all(c.data_type == "s" and c.quotePrefix for c in texts)
    sheets_with_evil = {c.parent.title for c in texts}
    assert sheets_with_evil >= {
        "Close",
        "Team",
        "Funnel",
        "MRR bridge",
        "Definitions",
        "Data quality",
        "Inputs",
    }
    for name, xml in sheet_xml(path).items():  # the file itself, not openpyxl's reading of it
        assert "<f>" not in xml and "<f " not in xml, name


def test_labels_and_stages_are_text_too(tmp_path: Path) -> None:
    report = build_report(values=(kv("x", 1.0, stage="=cmd|'/C calc'!A0", label="=1+1"),))
    book = write(tmp_path, report)
    assert all(c.data_type != "f" for c in every_cell(book))
    labels = [c for c in every_cell(book) if c.value == "=1+1"]
    assert labels and all(c.data_type == "s" and c.quotePrefix for c in labels)


def test_missing_and_impossible_numbers_are_empty_cells(tmp_path: Path) -> None:
    report = build_report(
        values=(
            kv(
                "revenue_won",
                math.nan,
                previous=math.inf,
                change=-math.inf,
                change_pct=math.nan,
                numerator=math.nan,
                trend=trend(math.nan, None, 1.0),
            ),
        )
    )
    book = write(tmp_path, report)
    revenue = row_of(book["Close"], "ID", "revenue_won")
    assert [revenue[k].value for k in ("Value", "Previous", "Change", "Change %")] == [None] * 4
    for cell in every_cell(book):
        if isinstance(cell.value, float):
            assert math.isfinite(cell.value), cell.coordinate
    for name, xml in sheet_xml(tmp_path / "report.xlsx").items():  # openpyxl reads NaN as None
        assert not re.search(r"<v\s*/>|<v>[-+]?(nan|inf)", xml, re.IGNORECASE), name


def test_numpy_and_pandas_scalars_are_numbers_or_empty(tmp_path: Path) -> None:
    value = kv(
        "win_rate",
        0.5,
        numerator=np.float64(5.0),
        denominator=pd.NA,
        n=np.int64(10),
        small_sample=np.bool_(True),
    )
    ws = write(tmp_path, build_report(values=(value,)))["Close"]
    row = table(ws)[0]
    assert (row["Numerator"].value, row["Numerator"].data_type) == (5, "n")
    assert row["Denominator"].value is None
    assert (row["Rows"].value, row["Rows"].data_type) == (10, "n")
    assert (row["Flags"].value, row["Flags"].data_type) == ("*", "s")


def test_control_characters_are_dropped(tmp_path: Path) -> None:
    report = build_report(values=(kv("deals_won", 1.0, group=(("owner", "Ana\x00\x07 B"),)),))
    ws = write(tmp_path, report)["Close"]
    assert row_of(ws, "ID", "deals_won", Owner="Ana B")["Value"].value == 1


def test_sheet_names_are_valid_and_unique(tmp_path: Path) -> None:
    weird = "a/b:c*d?e[f]g\\h"
    stages = ["summary", weird + "x" * 40, weird + "x" * 41, "history", "crm"]
    values = tuple(kv(f"k{i}", 1.0, stage=s) for i, s in enumerate(stages))
    book = write(tmp_path, build_report(values=values))
    names = book.sheetnames
    assert len({n.lower() for n in names}) == len(names)
    for name in names:
        assert len(name) <= 31
        assert not set(name) & set("[]:*?/\\")
    assert "History" not in names
    assert names[:6] == [
        "Summary",
        "Summary (2)",
        "A_b_c_d_e_f_g_hxxxxxxxxxxxxxxxx",
        "A_b_c_d_e_f_g_hxxxxxxxxxxxx (2)",
        "History (2)",
        "CRM",  # a short stage name is an acronym
    ]


def test_another_reader_opens_every_sheet(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    write_workbook(build_report(), build_inputs(), path)
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == openpyxl.load_workbook(path).sheetnames
    summary = book.get_sheet_by_name("Summary").to_python()
    assert summary[3][:3] == ["KPI", "Value", "Previous"]
    assert [CATALOGUE["revenue_won"].label, 1234567.5, 1000000] in [r[:3] for r in summary]


# atomic writing


def test_a_failed_write_leaves_the_earlier_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "report.xlsx"
    write_workbook(build_report(), build_inputs(), path)
    before = path.read_bytes()

    def broken_save(self, stream) -> None:
        stream.write(b"PK half a workbook")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    with pytest.raises(OSError) as caught:
        write_workbook(build_report(period=SEP), build_inputs(), path)
    assert (caught.value.filename, caught.value.strerror) == (
        str(path),
        "cannot write: No space left on device",
    )
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_a_missing_folder_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_workbook(build_report(), build_inputs(), tmp_path / "absent" / "report.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_data_quality_lists_anomalies_with_their_examples(tmp_path: Path) -> None:
    closed = Reason(
        "closed_at before created_at (closed before it was created)",
        1,
        (Example(3, "created_at 2026-03-10T10:00:00, closed_at 2026-03-02"),),
    )
    ws = write(tmp_path, inputs=[quality(anomalies=(closed,))])["Data quality"]
    found = row_of(ws, "Item", "anomaly")
    assert [c.value for c in found.values()] == [
        "data/deals.csv",
        "deals",
        "anomaly",
        "closed_at before created_at (closed before it was created)",
        1,
        3,
        "created_at 2026-03-10T10:00:00, closed_at 2026-03-02",
    ]


def test_a_maturing_value_is_marked_on_its_stage_sheet(tmp_path: Path) -> None:
    from tests.render.reports import maturing_report

    path = tmp_path / "maturing.xlsx"
    write_workbook(maturing_report(), [], path)
    book = openpyxl.load_workbook(path)
    found = {
        r["ID"].value: r["Flags"].value
        for ws in book.worksheets[1:]
        if ws.title in ("Demo", "Close")
        for r in table(ws)
        if r["ID"].value in ("sql_to_demo_rate", "win_rate")
    }
    assert found["sql_to_demo_rate"] == "~"
    assert found["win_rate"] in (None, "*")


def _movement_rows(ws: Worksheet, first: str, columns: int = 3, nth: int = 0) -> list[list]:
    """The rows of the `nth` table whose header starts with `first`, up to a blank row."""
    header = [c.row for c in ws["A"] if c.value == first][nth]
    found = []
    for row in ws.iter_rows(min_row=header + 1, max_col=columns):
        if row[0].value is None:
            break
        found.append([c.value for c in row])
    return found


def test_a_report_with_movement_has_its_waterfall_sheet(tmp_path: Path) -> None:
    from salesmetrics.engine import compute
    from salesmetrics.kpis.base import Settings
    from salesmetrics.kpis.movement import KPIS
    from tests.test_diff import NEW, OLD

    report = compute(
        {"deals": NEW, "previous_snapshot": OLD},
        period=OCT,
        as_of=date(2026, 11, 1),
        kpis=[k.id for k in KPIS],
        group_by=("owner",),
        settings=Settings(snapshot_day=date(2026, 10, 1)),
    )
    write_workbook(report, [], tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Pipeline movement"]
    assert ws["A1"].value == "Pipeline movement, 2026-10 (2026-10-01 to 2026-10-31)"
    assert _movement_rows(ws, "Step") == [
        ["Open pipeline at start", 6, 2200],
        ["Created", 1, 800],
        ["Reopened", 1, 1000],
        ["Amount up", 1, 50],
        ["Amount down", 1, -50],
        ["Won", 1, -400],
        ["Lost", 1, -500],
        ["Gone from export", 1, -700],
        ["Open pipeline at end", 5, 2400],
    ]
    assert _movement_rows(ws, "Movement") == [
        ["Advanced a stage", 1, 150],
        ["Moved back a stage", 1, 200],
        ["Slipped past period end", 1, 150],
        ["Pulled into period", 1, 250],
    ]
    assert _movement_rows(ws, "Owner", 10) == [  # the report's order: largest first
        ["Bob", 1400, 0, 1000, 0, -50, -400, 0, -700, 1250],
        ["Ann", 800, 800, 0, 50, 0, 0, -500, 0, 1150],
    ]
    assert _movement_rows(ws, "Owner", 10, nth=1) == [  # deals
        ["Bob", 3, 0, 1, 0, 1, 1, 0, 1, 2],  # D3, D4, D7 open at start
        ["Ann", 3, 1, 0, 1, 0, 0, 1, 0, 3],  # D1, D2, D5; D1, D2, D8
    ]
    bars = _movement_rows(ws, "Step", 5, nth=1)  # the chart's data, below the tables
    assert bars[0] == ["Start", None, None, None, 2200]
    assert bars[1] == ["Created", 2200, 800, None, None]
    assert bars[-2] == ["Gone from export", 2400, None, 700, None]
    (chart,) = ws._charts
    assert (chart.grouping, len(chart.series)) == ("stacked", 4)
    assert chart.series[0].graphicalProperties.noFill  # the invisible base
    note = next(c.row for c in ws["A"] if str(c.value).startswith("Chart data"))
    last_owner = [c.row for c in ws["A"] if c.value == "Ann"][-1]
    printed = int(re.search(r"\$(\d+)$", ws.print_area).group(1))
    assert last_owner < printed < note  # the tables printed, the chart's data not


def test_a_report_without_movement_has_no_such_sheet(tmp_path: Path) -> None:
    assert "Pipeline movement" not in write(tmp_path).sheetnames
