"""The Excel workbook: sheets, values, formats, charts, formula injection, atomic writing."""

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
from salesmetrics.render import xlsx
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
        kv(
            "mrr_bridge",
            10000.0,
            stage="team",
            unit="currency",
            category="starting",
            label="MRR bridge",
        ),
        kv("mrr_bridge", 2500.0, stage="team", unit="currency", category="new", label="MRR bridge"),
        kv(
            "mrr_bridge",
            -500.0,
            stage="team",
            unit="currency",
            category="churn",
            label="MRR bridge",
        ),
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


# sheets


def test_sheets_in_order(tmp_path: Path) -> None:
    book = write(tmp_path)
    assert book.sheetnames == [
        "Summary",
        "Qualification",
        "Close",
        "Team",
        "Trends",
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
    assert [c.value for c in book["Summary"][2]][:3] == ["stage", "label", "value"]
    assert book["Summary"].max_row == 2


def test_document_properties_name_the_period(tmp_path: Path) -> None:
    props = write(tmp_path).properties
    assert props.title == "salesmetrics report 2026-10"
    assert "2026-10-01" in props.subject and "as of 2026-11-23" in props.subject
    assert "compared with 2026-09" in props.description
    assert props.creator.startswith("salesmetrics")


def test_every_table_has_a_frozen_header_and_an_autofilter(tmp_path: Path) -> None:
    book = write(tmp_path)
    frozen = {ws.title: ws.freeze_panes for ws in book.worksheets}
    assert frozen["Summary"] == "C3"
    assert frozen["Close"] == "B2"
    assert frozen["Trends"] == "B2"
    assert all(frozen[name] is not None for name in book.sheetnames)
    assert book["Summary"].auto_filter.ref == "A2:L8"
    assert book["Inputs"].auto_filter.ref == "A1:F3"
    for ws in book.worksheets:
        assert ws.auto_filter.ref, ws.title
        widths = [d.width for d in ws.column_dimensions.values() if d.width]
        assert widths and all(6 <= w <= 60 for w in widths), ws.title


# Summary


def test_summary_holds_only_the_totals_in_funnel_order(tmp_path: Path) -> None:
    ws = write(tmp_path)["Summary"]
    assert ws["A1"].value.startswith("salesmetrics report 2026-10 (2026-10-01 to 2026-10-31)")
    rows = table(ws, 2)
    assert [r["id"].value for r in rows] == [
        "lead_response_time_hours",
        "revenue_won",
        "win_rate",
        "sales_cycle_days",
        "deals_won",
        "pipeline_coverage_x",
    ]
    assert [r["stage"].value for r in rows] == ["qualification"] + ["close"] * 5
    revenue = row_of(ws, "id", "revenue_won", 2)
    assert revenue["label"].value == CATALOGUE["revenue_won"].label
    assert revenue["value"].value == 1234567.5
    assert revenue["previous"].value == 1000000
    assert revenue["change"].value == 234567.5
    assert revenue["change %"].value == pytest.approx(0.2345675)
    assert revenue["target"].value == 1500000
    assert revenue["status"].value == "off track"
    assert revenue["maturing"].value is False


def test_warnings_stand_above_the_summary_table(tmp_path: Path) -> None:
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
    assert ws["A2"].value == "warning: deals end 2026-09-30; period 2026-10 has no deals"
    assert ws["A3"].value.startswith("warning: period 2026-10 has no leads")
    assert ws["A2"].font.bold
    assert [c.value for c in ws[4]][:3] == ["stage", "label", "value"]
    assert ws.freeze_panes == "C5" and ws.auto_filter.ref == "A4:L10"
    assert row_of(ws, "id", "revenue_won", 4)["value"].value == 1234567.5


def test_summary_number_formats_by_unit(tmp_path: Path) -> None:
    ws = write(tmp_path)["Summary"]
    formats = {r["id"].value: r["value"].number_format for r in table(ws, 2)}
    assert formats == {
        "revenue_won": '#,##0.00 "EUR"',
        "win_rate": "0.0%",
        "sales_cycle_days": "0.0",
        "lead_response_time_hours": "0.0",
        "deals_won": "#,##0",
        "pipeline_coverage_x": '0.00"x"',
    }
    revenue = row_of(ws, "id", "revenue_won", 2)
    assert revenue["previous"].number_format == '#,##0.00 "EUR"'
    assert revenue["target"].number_format == '#,##0.00 "EUR"'
    assert revenue["change"].number_format == '+#,##0.00 "EUR";-#,##0.00 "EUR";#,##0.00 "EUR"'
    assert revenue["change %"].number_format == "+0.0%;-0.0%;0.0%"
    deals = row_of(ws, "id", "deals_won", 2)
    assert deals["change"].value == -9
    assert deals["change"].number_format == "+#,##0;-#,##0;#,##0"


def test_a_count_that_is_not_whole_gets_decimals(tmp_path: Path) -> None:
    report = build_report(values=(kv("deals_won", 2.75, previous=3.0),))
    ws = write(tmp_path, report)["Summary"]
    assert ws["C3"].value == 2.75
    assert ws["C3"].number_format == ws["D3"].number_format == "#,##0.00"


def test_currency_without_a_reporting_currency_has_no_code(tmp_path: Path) -> None:
    ws = write(tmp_path, build_report(currency=None))["Summary"]
    assert row_of(ws, "id", "revenue_won", 2)["value"].number_format == "#,##0.00"


def test_status_cells_are_coloured(tmp_path: Path) -> None:
    ws = write(tmp_path)["Summary"]
    colours = {
        r["id"].value: (r["status"].value, r["status"].fill.fgColor.rgb[-6:])
        for r in table(ws, 2)
        if r["status"].value is not None
    }
    assert colours == {
        "win_rate": ("on track", "C6EFCE"),
        "sales_cycle_days": ("at risk", "FFEB9C"),
        "revenue_won": ("off track", "FFC7CE"),
    }
    deals = row_of(ws, "id", "deals_won", 2)
    assert deals["status"].value is None
    assert deals["status"].fill.fill_type is None


# stage sheets


def test_stage_sheet_holds_totals_and_breakdowns(tmp_path: Path) -> None:
    ws = write(tmp_path)["Close"]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["KPI", "id", "unit", "owner"]
    assert headers[-12:] == list(xlsx.BREAKDOWN_VALUES)
    ana = row_of(ws, "id", "revenue_won", owner="Ana")
    assert ana["value"].value == 600000
    assert ana["value"].number_format == '#,##0.00 "EUR"'
    assert ana["n"].value == 12
    total = row_of(ws, "id", "revenue_won", owner="(all)")
    assert total["status"].fill.fgColor.rgb[-6:] == "FFC7CE"
    win = row_of(ws, "id", "win_rate", owner="(all)")
    assert (win["numerator"].value, win["denominator"].value) == (25, 100)
    assert win["small_sample"].value is False
    assert win["maturing"].value is False
    missing = row_of(ws, "id", "win_rate", owner="Ana")
    assert missing["value"].value is None
    assert missing["note"].value == "no rows in the denominator"


def test_categories_are_a_column(tmp_path: Path) -> None:
    ws = write(tmp_path)["Team"]
    headers = [c.value for c in ws[1]]
    column = CATALOGUE["revenue_by_source"].category
    assert column in headers
    referral = row_of(ws, "id", "revenue_by_source", **{column: "Referral"})
    assert referral["value"].value == 0.75
    assert referral["value"].number_format == "0.0%"
    assert "owner" not in headers  # no value of this stage is broken down by owner


def test_a_category_named_like_a_dimension_keeps_both(tmp_path: Path) -> None:
    column = CATALOGUE["revenue_by_source"].category
    report = build_report(
        group_by=(column,),
        values=(kv("revenue_by_source", 0.6, category="Referral", group=((column, "EMEA"),)),),
    )
    ws = write(tmp_path, report)["Team"]
    row = table(ws)[0]
    assert row[column].value == "EMEA"
    assert row[f"{column} (category)"].value == "Referral"


def test_dimensions_named_like_a_fixed_column_do_not_displace_it(tmp_path: Path) -> None:
    report = build_report(
        group_by=("status",),
        values=(kv("deals_won", 7.0, group=(("status", "open"),), status="on_track"),),
    )
    row = table(write(tmp_path, report)["Close"])[0]
    assert row["status (group)"].value == "open"
    assert row["status"].value == "on track"
    assert row["value"].value == 7


# Trends, Funnel, MRR bridge


def test_trends_table_and_a_line_chart_per_kpi(tmp_path: Path) -> None:
    ws = write(tmp_path)["Trends"]
    rows = table(ws)
    assert [r["period"].value for r in rows] == ["2026-08", "2026-09", "2026-10"]
    revenue = CATALOGUE["revenue_won"].label
    win = CATALOGUE["win_rate"].label
    assert [r[revenue].value for r in rows] == [900000, 1000000, 1234567.5]
    assert [r[win].value for r in rows] == [0.22, None, 0.25]
    assert rows[0][win].number_format == "0.0%"
    assert rows[0][revenue].number_format == '#,##0.00 "EUR"'
    assert CATALOGUE["deals_won"].label not in [c.value for c in ws[1]]  # no trend
    charts = ws._charts
    assert len(charts) == 3
    assert {type(c).__name__ for c in charts} == {"LineChart"}


def test_a_chart_shows_the_largest_categories_only(tmp_path: Path) -> None:
    values = tuple(
        kv("revenue_by_source", i / 100, category=f"source {i:02d}", trend=trend(i, i, i))
        for i in range(15)
    )
    ws = write(tmp_path, build_report(values=values))["Trends"]
    assert ws.max_column == 16  # the table has every category
    (chart,) = ws._charts
    refs = [line.val.numRef.f for line in chart.series]
    assert refs == [f"'Trends'!${c}$2:${c}$4" for c in "EFGHIJKLMNOP"]  # not sources 00-02
    assert [line.smooth for line in chart.series] == [False] * 12
    title = "".join(r.t for p in chart.title.tx.rich.p for r in p.r)
    assert title.endswith("the 12 largest of 15")


def test_an_unknown_unit_is_written_in_the_general_format(tmp_path: Path) -> None:
    report = build_report(values=(kv("widgets", 3.5, unit="widgets", previous=1.0, change=2.5),))
    row = row_of(write(tmp_path, report)["Summary"], "id", "widgets", 2)
    assert (row["value"].value, row["value"].number_format) == (3.5, "General")
    assert row["change"].number_format == "General"


def test_funnel_sheet_and_bar_chart(tmp_path: Path) -> None:
    ws = write(tmp_path)["Funnel"]
    rows = table(ws)
    assert [(r["reached"].value, r["converted"].value, r["conversion"].value) for r in rows] == [
        (80, 40, 0.5),
        (40, 30, 0.75),
        (20, 10, 0.5),
    ]
    assert [r["owner"].value for r in rows] == ["(all)", "(all)", "Ana"]
    assert [r["of first stage"].value for r in rows] == [1, 0.5, 1]
    assert rows[0]["conversion"].number_format == "0.0%"
    assert [c.value for c in ws["B"][1:]] == ["demo", "proposal", "demo"]
    assert len(ws._charts) == 1
    assert type(ws._charts[0]).__name__ == "BarChart"


def test_mrr_bridge_sheet_lists_the_movements(tmp_path: Path) -> None:
    ws = write(tmp_path)["MRR bridge"]
    rows = table(ws)
    assert [(r["movement"].value, r["value"].value) for r in rows] == [
        ("starting", 10000),
        ("new", 2500),
        ("churn", -500),
    ]
    assert rows[2]["value"].number_format == '#,##0.00 "EUR"'


# Definitions, Data quality, Inputs


def test_definitions_cover_every_kpi_in_the_report(tmp_path: Path) -> None:
    ws = write(tmp_path)["Definitions"]
    rows = {r["id"].value: r for r in table(ws)}
    assert set(rows) == {v.id for v in build_report().values} | {"quota_attainment"}
    win = CATALOGUE["win_rate"]
    assert rows["win_rate"]["formula"].value == win.formula
    assert rows["win_rate"]["kind"].value == str(win.aggregation)
    assert rows["win_rate"]["unit"].value == "ratio"
    assert rows["win_rate"]["inputs"].value == ", ".join(n.replace("|", " or ") for n in win.needs)
    assert rows["win_rate"]["period date"].value == win.period_date
    assert rows["win_rate"]["skipped"].value is None
    assert rows["quota_attainment"]["skipped"].value == "needs targets (no targets input)"
    made_up = rows["pipeline_coverage_x"]
    assert (made_up["label"].value, made_up["unit"].value) == ("Pipeline coverage", "multiple")


def test_data_quality_accounts_for_every_row_and_reason(tmp_path: Path) -> None:
    ws = write(tmp_path)["Data quality"]
    rows = [
        tuple(c.value for c in r.values())
        for r in table(ws)
        if r["input"].value == "data/deals.csv"
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
    leads = [r for r in table(ws) if r["input"].value == "data/leads.csv"]
    assert [r["item"].value for r in leads][:2] == ["rows read", "rows used"]
    reject_rate = row_of(ws, "item", "reject rate", input="data/deals.csv")
    assert reject_rate["count"].number_format == "0.0%"


def test_inputs_sheet(tmp_path: Path) -> None:
    ws = write(tmp_path)["Inputs"]
    assert [c.value for c in ws[1]] == [
        "path",
        "entity",
        "mapping",
        "sha256",
        "rows read",
        "rows used",
    ]
    assert [c.value for c in ws[2]] == [
        "data/deals.csv",
        "deals",
        "sample_data/mappings/deals.yaml",
        "ab" * 32,
        10,
        6,
    ]
    assert ws["E2"].number_format == "#,##0"


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
    assert row_of(book["Summary"], "id", "x", 2)["label"].value == "=1+1"


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
    revenue = row_of(book["Summary"], "id", "revenue_won", 2)
    assert [revenue[k].value for k in ("value", "previous", "change", "change %")] == [None] * 4
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
    assert (row["numerator"].value, row["numerator"].data_type) == (5, "n")
    assert row["denominator"].value is None
    assert (row["n"].value, row["n"].data_type) == (10, "n")
    assert (row["small_sample"].value, row["small_sample"].data_type) == (True, "b")


def test_control_characters_are_dropped(tmp_path: Path) -> None:
    report = build_report(values=(kv("deals_won", 1.0, group=(("owner", "Ana\x00\x07 B"),)),))
    ws = write(tmp_path, report)["Close"]
    assert row_of(ws, "id", "deals_won", owner="Ana B")["value"].value == 1


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
    assert summary[1][:3] == ["stage", "label", "value"]
    assert ["close", CATALOGUE["revenue_won"].label, 1234567.5] in [r[:3] for r in summary]


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
    found = row_of(ws, "item", "anomaly")
    assert [c.value for c in found.values()] == [
        "data/deals.csv",
        "deals",
        "anomaly",
        "closed_at before created_at (closed before it was created)",
        1,
        3,
        "created_at 2026-03-10T10:00:00, closed_at 2026-03-02",
    ]


def test_a_maturing_value_is_marked_in_the_summary(tmp_path: Path) -> None:
    from tests.render.reports import maturing_report

    path = tmp_path / "maturing.xlsx"
    write_workbook(maturing_report(), [], path)
    ws = openpyxl.load_workbook(path)["Summary"]
    assert row_of(ws, "id", "sql_to_demo_rate", 2)["maturing"].value is True
    assert row_of(ws, "id", "win_rate", 2)["maturing"].value is False
