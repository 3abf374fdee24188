"""The report as an Excel workbook that reads, and prints, like a report.

Sheets, in order: Summary (the warnings about inputs that do not cover the period, then the
headline KPIs and a chart), one sheet per funnel stage with every value the report holds for
it (totals first, then each group and category), Trends (a chart per stage, when a trend is
asked) and Trend table (the KPIs by the periods), Funnel (stage_conversion, as a funnel),
MRR bridge (mrr_bridge, as a waterfall), Pipeline movement (the movement KPIs, from a
config's previous_snapshot, as a waterfall; `salesmetrics diff -f xlsx` writes this sheet
alone), then Definitions, Data quality and Inputs.

Numbers are written raw, as in the JSON report (ratios as fractions, money in the reporting
currency), with number formats by unit (xlsx_formats); a ratio's change is in percentage
points. Missing numbers are empty cells, never NaN. A small sample or a maturing value is
marked `*` or `~` in a Flags column, explained on the sheet. Every sheet prints landscape, one
page wide, with its header row on each page.

Security: group values, categories, notes, paths and examples come from input files, so every
text is written as a string cell, never a formula, whatever it starts with (`=HYPERLINK(...)`
is shown as text); texts starting with = + - @ are also marked with Excel's quote prefix, so
editing such a cell keeps it text. The workbook holds no formulas at all: the charts' helper
columns (a waterfall's invisible base) are numbers computed here.
"""

from __future__ import annotations

import gc
import io
import math
import numbers
import re
import sys
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from salesmetrics import __version__
from salesmetrics.atomic import signals_held, write_atomic
from salesmetrics.diff import Diff, Move, Waterfall
from salesmetrics.errors import SalesmetricsError
from salesmetrics.ingest.quality import InputQuality
from salesmetrics.kpis.catalogue import CATALOGUE, STAGES, VARIANTS
from salesmetrics.kpis.movement import ENDS as MOVEMENT_ENDS
from salesmetrics.kpis.movement import MOVES as MOVEMENT_KPIS
from salesmetrics.render import xlsx_charts as charts
from salesmetrics.render.catalogue import kpi_dict
from salesmetrics.render.words import groups_left_out
from salesmetrics.render.xlsx_formats import (
    COUNT,
    FLAGS_NOTE,
    GENERAL,
    PERCENT,
    PERCENT_CHANGE,
    change_format,
    flags,
    money,
    number,
    plain,
    ratio_change,
    value_format,
)
from salesmetrics.report import KpiValue, Report
from salesmetrics.schema import HISTORY
from salesmetrics.summary import summarise

STATUS_COLOURS = {  # Excel's Good / Neutral / Bad cell styles
    "on_track": ("C6EFCE", "006100"),
    "at_risk": ("FFEB9C", "9C5700"),
    "off_track": ("FFC7CE", "9C0006"),
}
STATUS_FILLS = {
    s: PatternFill(fill_type="solid", start_color=bg, end_color=bg)
    for s, (bg, _) in STATUS_COLOURS.items()
}
FONT = "Calibri"  # the workbook's own: a font without a name is the reader's default
STATUS_FONTS = {s: Font(name=FONT, color=fg) for s, (_, fg) in STATUS_COLOURS.items()}
HEADER_FONT = Font(name=FONT, bold=True)
HEADER_FILL = PatternFill(fill_type="solid", start_color="DDEBF7", end_color="DDEBF7")
TITLE_FONT = Font(name=FONT, bold=True, size=12)
SECTION_FONT = Font(name=FONT, bold=True)
NOTE_FONT = Font(name=FONT, italic=True, color="595959")
WARNING_FONT = Font(
    name=FONT, bold=True, color="9C5700"
)  # Excel's Neutral: a caution, not a verdict
WRAP = Alignment(wrap_text=True, vertical="top")
INDENT = Alignment(indent=1)  # a text column right of right-aligned numbers
CENTRE = Alignment(horizontal="center")
LINE_POINTS = 15.0  # the height of one line of text in a row
MARGINS = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)

ALL = "(all)"  # a group dimension of a total row
RISKY_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may read as a formula
MAX_TEXT = 32_767  # characters in one cell
MAX_ROWS = 1_048_576
MIN_WIDTH, MAX_WIDTH = 6, 50
DEFAULT_WIDTH = 8.43  # Excel's; LibreOffice's own default is wider
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
RESERVED_SHEET_NAMES = {"history"}
CHART_LINES = 6  # at most this many KPIs in one stage's trend chart
CHART_SPREAD = 5.0  # ... each within this factor of the stage's first KPI, so none is flat
CHARTS_ACROSS, CHART_LINES_A_PAGE = 3, 2  # trend charts on a landscape page

VALUE_HEADERS = ("Value", "Previous", "Change", "Change %", "Target", "Status", "Flags")
BREAKDOWN_EXTRA = ("Numerator", "Denominator", "Rows", "Note", "ID")
BRIDGE_ORDER = ("start", "new", "expansion", "reactivation", "contraction", "churned", "end")
DEFINITION_HEADERS = (
    "ID",
    "KPI",
    "Stage",
    "Unit",
    "Kind",
    "Category",
    "Formula",
    "Inputs",
    "Period date",
    "Higher is better",
    "Benchmark",
    "Skipped because",
)
DEFINITION_WIDTHS = (30, 22, 12, 8, 12, 11, 48, 32, 28, 15, 16, 30)  # the texts wrap in these
CHARACTERS_A_WIDTH = 1.2  # a column's width is in "0"s; an average letter is narrower
SPAN_CHARACTERS = 100  # a wrapped note across the Summary's columns: characters a line
QUALITY_HEADERS = ("Input", "Entity", "Item", "Reason", "Count", "Example row", "Example")
INPUT_HEADERS = ("Path", "Entity", "Mapping", "SHA-256", "Rows read", "Rows used")


def write_workbook(report: Report, inputs: Sequence[InputQuality], path: Path) -> None:
    """Write the report as an .xlsx workbook at `path`, atomically: whole or not at all."""
    book = build_workbook(report, inputs)
    write_atomic(Path(path), lambda stream: _save(book, stream))


def _save(book: Workbook, stream: BinaryIO) -> None:
    """The zip is made in memory, then written: openpyxl writing the file itself leaves its
    archive open when a write fails (a full disk, a file-size limit), and zipfile tries the
    write again when the archive is collected ("Exception ignored ..." on stderr).

    openpyxl still writes each sheet to a temporary file first. A signal that cut that would
    leave the file behind, so signals wait until the zip is made (then write_atomic removes
    its own temporary file). A write that fails leaves the sheet's writer suspended, to fail
    again when collected: it is collected here, that second report of the same failure
    silenced, and the failure raised once, plainly."""
    buffer = io.BytesIO()
    failed: OSError | None = None
    hook = sys.unraisablehook
    sys.unraisablehook = lambda _: None
    try:
        try:
            with signals_held():
                book.save(buffer)
        except OSError as exc:
            failed = OSError(exc.errno, exc.strerror)
        gc.collect()
    finally:
        sys.unraisablehook = hook
    if failed is not None:
        raise failed
    stream.write(buffer.getbuffer())


def build_workbook(report: Report, inputs: Sequence[InputQuality]) -> Workbook:
    """The workbook in memory (write_workbook saves it)."""
    book = Workbook()
    names: set[str] = set()
    summary = book.active
    assert summary is not None
    summary.title = _sheet_name("Summary", names)
    _summary(_Sheet(summary), report)
    for stage in _stages(report):
        values = [v for v in report.values if v.stage == stage]
        sheet = book.create_sheet(_sheet_name(_stage_title(stage), names))
        _breakdown(_Sheet(sheet), report, values)
    if any(v.trend for v in report.values):
        chart_sheet = _Sheet(book.create_sheet(_sheet_name("Trends", names)))
        table_sheet = _Sheet(book.create_sheet(_sheet_name("Trend table", names)))
        _trends(chart_sheet, table_sheet, report)
    funnel = [v for v in report.values if v.id == "stage_conversion"]
    if funnel:
        _funnel(_Sheet(book.create_sheet(_sheet_name("Funnel", names))), report, funnel)
    bridge = [v for v in report.values if v.id == "mrr_bridge"]
    if bridge:
        _bridge(_Sheet(book.create_sheet(_sheet_name("MRR bridge", names))), report, bridge)
    moved = movement_of(report)
    if moved:
        sheet = _Sheet(book.create_sheet(_sheet_name("Pipeline movement", names)))
        _movement(sheet, "pipeline", moved, report.currency, _movement_lines(report))
    _definitions(_Sheet(book.create_sheet(_sheet_name("Definitions", names))), report)
    _quality(_Sheet(book.create_sheet(_sheet_name("Data quality", names))), inputs)
    _inputs(_Sheet(book.create_sheet(_sheet_name("Inputs", names))), inputs)
    _properties(book, report)
    return book


def headline(report: Report) -> list[KpiValue]:
    """The Summary's executive panel: the terminal's (salesmetrics.summary), those with a
    value."""
    return [v for v in summarise(report).panel if v.value is not None]


# cells


def text(value: str) -> str:
    """A text as a cell can hold it: no control characters, at most 32,767 characters."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_TEXT]


def human(name: str) -> str:
    """A column name as a header: lost_reason -> Lost reason."""
    spaced = name.replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:]


@dataclass
class _Sheet:
    """A worksheet with the widths its columns need, to set once it is written."""

    ws: Worksheet
    widths: dict[int, float] = field(default_factory=dict)
    drawn: tuple[int, int] = (1, 1)  # the last row and column a chart covers

    def put(self, row: int, column: int, value: Any, fmt: str | None = None) -> None:
        """Write one value: texts as string cells (never formulas), numbers finite or empty,
        yes/no for a flag (a bool cell reads as 0/1 in some spreadsheets)."""
        if value is None:
            return
        kind = type(value)
        if kind is str:
            self._text(row, column, value)
        elif kind is bool or isinstance(value, np.bool_):
            self._text(row, column, "yes" if value else "no")
        elif kind is float or kind is int or isinstance(value, numbers.Real):
            found = number(value)
            if found is None:
                return
            cell = self.ws.cell(row=row, column=column, value=found)
            if fmt is not None:
                cell.number_format = fmt
            self._width(column, 14.0 if fmt is not None and '"' in fmt else 12.0)
        elif value is not pd.NA and value is not pd.NaT:
            self._text(row, column, str(value))

    def _text(self, row: int, column: int, value: str) -> None:
        cleaned = text(value)
        cell = self.ws.cell(row=row, column=column)
        cell.value = cleaned
        cell.data_type = "s"  # openpyxl reads a text starting with "=" as a formula
        if cleaned.startswith(RISKY_START):
            cell.quotePrefix = True
        self._width(column, max(len(line) for line in cleaned.split("\n")) + 2.0)

    def _width(self, column: int, width: float) -> None:
        if width > self.widths.get(column, 0.0):
            self.widths[column] = width

    def styled(self, row: int, column: int, value: str, font: Font, span: int = 0) -> None:
        """A title, section or note: spills over the next columns, so it sets no width; or,
        given a `span` of columns, wraps within them (a warning the page must not cut)."""
        cell = self.ws.cell(row=row, column=column)
        cell.value = text(value)
        cell.data_type = "s"
        if cell.value.startswith(RISKY_START):
            cell.quotePrefix = True
        cell.font = font
        if span > 1:
            self.ws.merge_cells(
                start_row=row, start_column=column, end_row=row, end_column=column + span - 1
            )
            cell.alignment = WRAP
            lines = _lines(cell.value, SPAN_CHARACTERS)
            self.ws.row_dimensions[row].height = LINE_POINTS * lines + 2

    def header(self, row: int, names: Iterable[str], column: int = 1) -> int:
        """Bold header cells from `column`; returns the last column."""
        last = column - 1
        for last, name in enumerate(names, start=column):
            self.put(row, last, name)
            cell = self.ws.cell(row=row, column=last)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
        return last

    def finish(
        self, header_row: int, last_row: int, columns: int, freeze: str | None, *, table=True
    ) -> None:
        """Autofilter over the table, frozen header, each column as wide as it needs, and the
        page set up to print: landscape, one page wide, the header row on every page."""
        if columns and table:
            last = get_column_letter(columns)
            self.ws.auto_filter.ref = f"A{header_row}:{last}{max(last_row, header_row)}"
        self.ws.freeze_panes = freeze
        for column, width in self.widths.items():
            letter = get_column_letter(column)
            self.ws.column_dimensions[letter].width = min(max(width, MIN_WIDTH), MAX_WIDTH)
        setup = self.ws.page_setup
        setup.orientation = "landscape"
        setup.paperSize = self.ws.PAPERSIZE_A4
        setup.fitToWidth = 1
        setup.fitToHeight = 0  # as many pages down as it takes
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        self.ws.print_title_rows = f"{header_row}:{header_row}"
        self.ws.page_margins = MARGINS
        self.ws.oddFooter.center.text = "&A, page &P of &N"
        rows, columns = max(self.ws.max_row, self.drawn[0]), max(self.ws.max_column, self.drawn[1])
        self.ws.print_area = f"A1:{get_column_letter(columns)}{rows}"  # the charts too

    def _cm(self, column: int) -> float:
        """The width of a column in cm, as it will be set."""
        width = min(max(self.widths.get(column, DEFAULT_WIDTH), MIN_WIDTH), MAX_WIDTH)
        return (width * 7 + 5) / 37.8  # characters -> pixels at 96 dpi -> cm

    def column_at(self, offset_cm: float) -> int:
        """The first column starting at least `offset_cm` from the sheet's left edge."""
        left, column = 0.0, 1
        while left < offset_cm:
            left += self._cm(column)
            column += 1
        return column

    def chart(self, chart: LineChart | BarChart, row: int, column: int) -> int:
        """Place a chart; returns the first row below it."""
        self.ws.add_chart(chart, f"{get_column_letter(column)}{row}")
        below = row + math.ceil(chart.height / charts.ROW_CM) + 1
        left = sum(self._cm(c) for c in range(1, column))
        right = self.column_at(left + chart.width) - 1  # the last column it covers
        for covered in range(1, right + 1):  # set, so every reader places it the same
            self.widths.setdefault(covered, DEFAULT_WIDTH)
        self.drawn = (max(self.drawn[0], below), max(self.drawn[1], right))
        return below


def _status(sheet: _Sheet, row: int, column: int, status: str | None) -> None:
    if status is None:
        return
    sheet.put(row, column, status.replace("_", " "))
    cell = sheet.ws.cell(row=row, column=column)
    cell.alignment = INDENT
    if status in STATUS_FILLS:
        cell.fill = STATUS_FILLS[status]
        cell.font = STATUS_FONTS[status]


def _values(sheet: _Sheet, row: int, column: int, v: KpiValue, currency: str | None) -> None:
    """VALUE_HEADERS from `column`: value, previous, change (pp for a ratio), change %,
    target, status and flags, the value's formats by its unit."""
    fmt = value_format(v.unit, currency, v.value, v.previous, v.target)
    sheet.put(row, column, v.value, fmt)
    sheet.put(row, column + 1, v.previous, fmt)
    change = change_format(v.unit, currency, v.value, v.previous, v.change)
    sheet.put(row, column + 2, ratio_change(v.unit, v.change), change)
    sheet.put(row, column + 3, v.change_pct, PERCENT_CHANGE)
    sheet.put(row, column + 4, v.target, fmt)
    _status(sheet, row, column + 5, v.status)
    sheet.put(row, column + 6, flags(v.small_sample, v.maturing))
    sheet.ws.cell(row=row, column=column + 6).alignment = CENTRE


def _flags_note(sheet: _Sheet, row: int, values: Iterable[KpiValue], span: int = 0) -> int:
    """The note that explains `*` and `~`, when a value has one; returns the last row."""
    if not any(v.small_sample or v.maturing for v in values):
        return row - 1
    sheet.styled(row, 1, FLAGS_NOTE, NOTE_FONT, span)
    return row


def _check_rows(rows: int, what: str) -> None:
    if rows > MAX_ROWS:
        raise SalesmetricsError(
            f"the {what} sheet would need {rows:,} rows, more than Excel's {MAX_ROWS:,}; "
            "use --format csv, or break down by fewer dimensions"
        )


def _sheet_name(wanted: str, taken: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\ ."""
    base = SHEET_NAME_BAD.sub("_", text(wanted)).strip().strip("'")[:31] or "Sheet"
    name, count = base, 1
    while name.lower() in taken or name.lower() in RESERVED_SHEET_NAMES:
        count += 1
        suffix = f" ({count})"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.lower())
    return name


# sheets


def _stages(report: Report) -> list[str]:
    """The stages present in the report, in funnel order; unknown stages last."""
    present = dict.fromkeys(v.stage for v in report.values)
    return [s for s in STAGES if s in present] + [s for s in present if s not in STAGES]


def _stage_title(stage: str) -> str:
    """A stage as a sheet name: Close, Team; a short one is an acronym: MRR."""
    return stage.upper() if len(stage) <= 3 else stage.capitalize()


def _title(report: Report) -> str:
    head, details = _title_lines(report)
    return f"{head}; {details}" if details.startswith("as of") else f"{head}, {details}"


def _title_lines(report: Report) -> tuple[str, str]:
    """The report's period, then what it is compared with, in what and as of when."""
    p = report.period
    details = []
    if report.comparison is not None:
        c = report.comparison
        details.append(f"compared with {c.label} ({c.start} to {c.end})")
    if report.currency:
        details.append(f"amounts in {report.currency}")
    if report.group_by:
        details.append(f"by {', '.join(report.group_by)}")
    known = ", ".join(details)
    when = f"{known}; as of {report.as_of}" if known else f"as of {report.as_of}"
    return f"salesmetrics report {p.label} ({p.start} to {p.end})", when


def _dimensions(report: Report, values: Sequence[KpiValue]) -> list[str]:
    """The group dimensions of these values: the report's, then any other they have."""
    seen = dict.fromkeys(d for v in values for d, _ in v.group)
    return [d for d in report.group_by if d in seen] + [d for d in seen if d not in report.group_by]


def _summary(sheet: _Sheet, report: Report) -> None:
    """The title and warnings, the headline KPIs, and a chart of what matters most."""
    head, details = _title_lines(report)
    sheet.styled(1, 1, head, TITLE_FONT)
    sheet.styled(2, 1, details, NOTE_FONT)
    row = 2
    span = 1 + len(VALUE_HEADERS)  # the headline's columns
    for warning in report.warnings:  # before any number
        row += 1
        sheet.styled(row, 1, f"warning: {warning.message}", WARNING_FONT, span)
    row += 2
    panel = headline(report)
    if panel:
        header = row
        columns = sheet.header(header, ("KPI", *VALUE_HEADERS))
        for v in panel:
            row += 1
            sheet.put(row, 1, v.label)
            _values(sheet, row, 2, v, report.currency)
        row = _flags_note(sheet, row + 1, panel, span)
    else:
        sheet.styled(row, 1, "no headline KPI in this report: see the stage sheets", NOTE_FONT)
        columns = 1
    _summary_chart(sheet, report, row + 2)
    sheet.finish(1, row, columns, None, table=False)


def _summary_chart(sheet: _Sheet, report: Report, row: int) -> None:
    """Bookings against quota by owner when owners have quotas, else the MRR trend, else the
    won revenue trend; the chart's data is written first, from `row`."""
    currency = report.currency
    owners = [
        v
        for v in report.values
        if v.id == "revenue_won" and v.category is None and [d for d, _ in v.group] == ["owner"]
    ]
    if any(v.target is not None for v in owners):  # those with a quota or a sale
        owners = [v for v in owners if v.target is not None or number(v.value)]
        owners.sort(key=lambda v: -(number(v.value) or 0.0))
        sheet.styled(row, 1, "Revenue won against quota by owner", SECTION_FONT)
        header = row + 1
        sheet.header(header, ("Owner", "Revenue won", "Quota", "Status"))
        fmt = money(currency, *(v.value for v in owners), *(v.target for v in owners))
        for at, v in enumerate(owners, start=header + 1):
            sheet.put(at, 1, v.group[0][1])
            sheet.put(at, 2, v.value, fmt)
            sheet.put(at, 3, v.target, fmt)
            _status(sheet, at, 4, v.status)
        last = header + len(owners)
        chart = charts.bar_chart(
            sheet.ws,
            _with_currency("Revenue won vs quota", "currency", currency),
            (1, header + 1, last),
            ((2, charts.BLUE), (3, charts.GREY)),
            header,
            money(currency, 1_000),
        )
        sheet.chart(chart, header, 6)
        return
    totals = {v.id: v for v in report.values if not v.group and v.category is None}
    for kpi_id in ("mrr", "revenue_won"):
        found = totals.get(kpi_id)
        if found is not None and len(found.trend) > 1:
            v = found
            sheet.styled(row, 1, f"{v.label} by period", SECTION_FONT)
            header = row + 1
            sheet.header(header, ("Period", v.label))
            fmt = value_format(v.unit, currency, *(p.value for p in v.trend))
            for at, point in enumerate(v.trend, start=header + 1):
                sheet.put(at, 1, point.period)
                sheet.put(at, 2, point.value, fmt)
            chart = charts.column_line(
                sheet.ws,
                _with_currency(v.label, v.unit, currency),
                (1, header + 1, header + len(v.trend)),
                2,
                header,
                value_format(v.unit, currency, 1_000),
            )
            sheet.chart(chart, header, 4)
            return


def _with_currency(title: str, unit: str, currency: str | None) -> str:
    return text(f"{title} ({currency})" if unit == "currency" and currency else title)


def _category_columns(values: Sequence[KpiValue], attribute: str) -> dict[str, str]:
    """KPI id -> the header of its category (or subcategory) column: Lost reason."""
    columns: dict[str, str] = {}
    for v in values:
        if getattr(v, attribute) is not None and v.id not in columns:
            kpi = CATALOGUE.get(v.id)
            name = getattr(kpi, attribute, None) if kpi is not None else None
            columns[v.id] = human(name or attribute)
    return columns


def _breakdown(sheet: _Sheet, report: Report, values: Sequence[KpiValue]) -> None:
    """Every value of one stage: the totals and each group, one row each."""
    _check_rows(len(values) + 3, values[0].stage if values else "stage")
    dims = _dimensions(report, values)
    dim_headers = [human(d) for d in dims]
    categories = _category_columns(values, "category")
    subcategories = _category_columns(values, "subcategory")
    split_headers = list(dict.fromkeys([*categories.values(), *subcategories.values()]))
    taken = {"KPI", *VALUE_HEADERS, *BREAKDOWN_EXTRA}
    dim_headers = [f"{h} (group)" if h in taken else h for h in dim_headers]
    split_names = [
        f"{h} (category)" if h in taken or h in dim_headers else h for h in split_headers
    ]
    headers = ["KPI", *dim_headers, *split_names, *VALUE_HEADERS, *BREAKDOWN_EXTRA]
    columns = sheet.header(1, headers)
    dim_at = {d: 1 + i for i, d in enumerate(dims, start=1)}
    split_at = {h: 1 + len(dims) + i for i, h in enumerate(split_headers, start=1)}
    first_value = 2 + len(dims) + len(split_headers)
    extra = first_value + len(VALUE_HEADERS)
    currency = report.currency
    ordered = sorted(values, key=lambda v: bool(v.group))  # stable: totals first
    for row, v in enumerate(ordered, start=2):
        sheet.put(row, 1, v.label)
        group = dict(v.group)
        for d, column in dim_at.items():
            sheet.put(row, column, group.get(d, ALL))
        if v.category is not None:
            sheet.put(row, split_at[categories[v.id]], v.category)
        if v.subcategory is not None:
            sheet.put(row, split_at[subcategories[v.id]], v.subcategory)
        _values(sheet, row, first_value, v, currency)
        sheet.put(row, extra, v.numerator, plain(v.numerator))
        sheet.put(row, extra + 1, v.denominator, plain(v.denominator))
        sheet.put(row, extra + 2, v.n, COUNT)
        sheet.put(row, extra + 3, v.note)
        sheet.put(row, extra + 4, v.id)
        sheet.ws.cell(row=row, column=extra + 3).alignment = INDENT
        sheet.ws.cell(row=row, column=extra + 4).alignment = INDENT
    last = len(values) + 1
    noted = _flags_note(sheet, last + 2, values)
    left_out = groups_left_out(report, values[0].stage) if values else None
    if left_out:
        sheet.styled(noted + 1, 1, left_out, NOTE_FONT)
    sheet.finish(1, last, columns, "B2")


def _trends(charts_sheet: _Sheet, table: _Sheet, report: Report) -> None:
    """A chart per stage on one sheet, three across and two rows a page; the KPIs as rows by
    stage and the periods as columns on the next sheet, which the charts draw from."""
    series = [v for v in report.values if v.trend and not v.group]
    periods = [p.label for p in report.trend] or list(
        dict.fromkeys(p.period for v in series for p in v.trend)
    )
    column_of = {label: column for column, label in enumerate(periods, start=2)}
    last_period = len(periods) + 1
    columns = table.header(1, ["KPI", *periods, "ID"])
    currency = report.currency
    row = 1
    plans: list[tuple[str, list[KpiValue], list[int]]] = []
    for stage in _stages(report):
        in_stage = [v for v in series if v.stage == stage]
        if not in_stage:
            continue
        row += 1
        table.styled(row, 1, _stage_title(stage), SECTION_FONT)
        rows: dict[int, KpiValue] = {}
        for v in in_stage:
            row += 1
            rows[row] = v
            table.put(row, 1, v.label if v.category is None else f"{v.label}: {v.category}")
            fmt = value_format(v.unit, currency, *(p.value for p in v.trend))
            for point in v.trend:
                if point.period in column_of:
                    table.put(row, column_of[point.period], point.value, fmt)
            table.put(row, last_period + 1, v.id)
            table.ws.cell(row=row, column=last_period + 1).alignment = INDENT
        chosen = _charted(list(rows.items()))
        plans.append((stage, [rows[r] for r in chosen], chosen))
    _check_rows(row, "Trend table")
    table.finish(1, row, columns, "B2", table=False)
    span = f"{periods[0]} to {periods[-1]}" if periods else "no period"
    charts_sheet.styled(
        1,
        1,
        f"Trends {span}: one chart per stage, of its first KPI and those in the same unit "
        "and of a like size; every value on the Trend table sheet",
        SECTION_FONT,
    )
    across = list(range(1, CHARTS_ACROSS + 1))  # a column each, as wide as a chart
    for column in across:
        charts_sheet.widths[column] = ((charts.SMALL_WIDTH_CM + 0.3) * 37.8 - 5) / 7
    at = 3
    for line, start in enumerate(range(0, len(plans), CHARTS_ACROSS)):
        if line and line % CHART_LINES_A_PAGE == 0:
            charts_sheet.ws.row_breaks.append(Break(id=at - 1))
        below = at
        for (stage, values, shown), column in zip(
            plans[start : start + CHARTS_ACROSS], across, strict=False
        ):
            unit = values[0].unit
            chart = charts.rows_chart(
                table.ws,
                _with_currency(_stage_title(stage), unit, currency),
                shown,
                1,
                last_period,
                1,
                value_format(unit, currency, *(p.value for v in values for p in v.trend)),
                small=True,
            )
            below = max(below, charts_sheet.chart(chart, at, column))
        at = below
    charts_sheet.finish(1, at, 0, None, table=False)


def _charted(rows: Sequence[tuple[int, KpiValue]]) -> list[int]:
    """The rows one stage's chart shows: its first KPI's total and the totals in the same unit
    and of a like size (a line 100 times smaller would lie flat), at most CHART_LINES."""
    totals = [(row, v) for row, v in rows if v.category is None] or list(rows)
    first = totals[0][1]

    def size(v: KpiValue) -> float:
        known = [abs(n) for p in v.trend if (n := number(p.value)) is not None]
        return sum(known) / len(known) if known else 0.0

    lead = size(first)

    def alike(v: KpiValue) -> bool:
        if v is first:
            return True
        return (
            v.unit == first.unit and lead > 0 and 1 / CHART_SPREAD <= size(v) / lead <= CHART_SPREAD
        )

    chosen = [row for row, v in totals if alike(v)]
    return chosen[:CHART_LINES]


def _funnel(sheet: _Sheet, report: Report, values: Sequence[KpiValue]) -> None:
    """stage_conversion: each stage reached and its conversion to the next, totals first;
    then the totals as a funnel, each bar labelled with its conversion to the next."""
    rows = [v for v in values if v.category is not None]
    rows.sort(key=lambda v: bool(v.group))  # stable: totals first, stages in funnel order
    dims = _dimensions(report, rows)
    headers = [*(human(d) for d in dims), "Stage", "Reached", "Converted", "Conversion"]
    headers += ["Of first stage", "Flags", "Note"]
    columns = sheet.header(1, headers)
    c = len(dims)
    first: dict[tuple[tuple[str, str], ...], float] = {}
    for row, v in enumerate(rows, start=2):
        group = dict(v.group)
        for i, d in enumerate(dims, start=1):
            sheet.put(row, i, group.get(d, ALL))
        reached = number(v.denominator)
        sheet.put(row, c + 1, v.category)
        sheet.put(row, c + 2, reached, plain(reached))
        sheet.put(row, c + 3, v.numerator, plain(v.numerator))
        sheet.put(row, c + 4, v.value, PERCENT)
        if reached is not None:
            top = first.setdefault(v.group, reached)
            sheet.put(row, c + 5, reached / top if top else None, PERCENT)
        sheet.put(row, c + 6, flags(v.small_sample, v.maturing))
        sheet.put(row, c + 7, v.note)
    last = len(rows) + 1
    row = _flags_note(sheet, last + 2, rows)
    totals = [v for v in rows if not v.group and number(v.denominator) is not None]
    if totals:
        row += 2
        sheet.styled(row, 1, "Chart data: each stage centred on an invisible offset", NOTE_FONT)
        header = row + 1
        sheet.header(header, ("Stage", "Offset", "Reached"))
        widest = max(number(v.denominator) or 0.0 for v in totals)
        for at, v in enumerate(totals, start=header + 1):
            reached = number(v.denominator) or 0.0
            conversion = number(v.value)
            label = str(v.category)
            if conversion is not None:
                label += f": {conversion:.1%} to next"
            sheet.put(at, 1, label)
            sheet.put(at, 2, (widest - reached) / 2, plain(0.5))
            sheet.put(at, 3, reached, plain(reached))
        chart = charts.stacked_chart(
            sheet.ws,
            text(totals[0].label),
            (1, header + 1, header + len(totals)),
            ((2, None), (3, charts.BLUE)),
            header,
            COUNT,
            horizontal=True,
        )
        sheet.chart(chart, header, 5)
    sheet.finish(1, last, columns, "A2")


def _bridge(sheet: _Sheet, report: Report, values: Sequence[KpiValue]) -> None:
    """mrr_bridge: one row per movement (and group); then the total as a waterfall."""
    dims = _dimensions(report, values)
    headers = [*(human(d) for d in dims), "Movement", "Value", "Previous", "Change", "Rows"]
    headers += ["Flags", "Note"]
    columns = sheet.header(1, headers)
    c = len(dims)
    currency = report.currency
    for row, v in enumerate(values, start=2):
        group = dict(v.group)
        for i, d in enumerate(dims, start=1):
            sheet.put(row, i, group.get(d, ALL))
        sheet.put(row, c + 1, v.category if v.category is not None else "(total)")
        fmt = value_format(v.unit, currency, v.value, v.previous)
        sheet.put(row, c + 2, v.value, fmt)
        sheet.put(row, c + 3, v.previous, fmt)
        sheet.put(row, c + 4, v.change, change_format(v.unit, currency, v.value, v.previous))
        sheet.put(row, c + 5, v.n, COUNT)
        sheet.put(row, c + 6, flags(v.small_sample, v.maturing))
        sheet.put(row, c + 7, v.note)
    last = len(values) + 1
    row = _flags_note(sheet, last + 2, values)
    steps = _waterfall(values)
    if steps:
        row += 2
        sheet.styled(row, 1, "Chart data: the waterfall's bars on an invisible base", NOTE_FONT)
        header = row + 1
        sheet.header(header, ("Step", "Base", "Increase", "Decrease", "Total"))
        fmt = money(currency, *(n for step in steps for n in step[1:] if n is not None))
        for at, step in enumerate(steps, start=header + 1):
            sheet.put(at, 1, step[0])
            for column, amount in enumerate(step[1:], start=2):
                sheet.put(at, column, amount, fmt)
        chart = charts.stacked_chart(
            sheet.ws,
            _with_currency("MRR bridge", "currency", currency),
            (1, header + 1, header + len(steps)),
            ((2, None), (3, charts.GREEN), (4, charts.RED), (5, charts.BLUE)),
            header,
            money(currency, 1_000),
            floor=_floor(steps),
        )
        sheet.chart(chart, header, 7)
    sheet.finish(1, last, columns, "A2")


Step = tuple[str, float | None, float | None, float | None, float | None]


def _waterfall(values: Sequence[KpiValue]) -> list[Step]:
    """The total bridge as bars (step, base, increase, decrease, total) from start to end,
    its movements in BRIDGE_ORDER (others after them); none without a start and an end, with
    a movement missing its value, or when the running total goes below zero (the base would
    show)."""
    totals = {v.category: number(v.value) for v in values if not v.group}
    start, end = totals.get("start"), totals.get("end")
    moves = [m for m in BRIDGE_ORDER[1:-1] if m in totals]
    moves += [m for m in totals if m is not None and m not in BRIDGE_ORDER]
    if start is None or end is None or any(totals[m] is None for m in moves):
        return []
    steps: list[Step] = [("Start", None, None, None, start)]
    running = float(start)
    for movement in moves:
        amount = float(totals[movement] or 0.0)
        if amount >= 0:
            steps.append((human(movement), running, amount, None, None))
            running += amount
        else:
            running += amount
            steps.append((human(movement), running, None, -amount, None))
        if running < 0:
            return []
    return [*steps, ("End", None, None, None, end)]


def _floor(steps: Sequence[Step]) -> float:
    """Where a waterfall's axis starts: below its lowest bar by half the bars' span, at a
    round number, and never below zero; the invisible base hides under it."""
    bottoms = [b if b is not None else t for _, b, _, _, t in steps]
    tops = [(b or 0.0) + (i or 0.0) + (d or 0.0) + (t or 0.0) for _, b, i, d, t in steps]
    low = min(n for n in bottoms if n is not None)
    span = max(tops) - low
    if span <= 0 or low <= span:
        return 0.0
    step = 10 ** math.floor(math.log10(span))
    return max(0.0, math.floor((low - span / 2) / step) * step)


MOVEMENT_HEADERS = {"pipeline": ("Open pipeline", "Deals"), "mrr": ("MRR", "Customers")}


def movement_of(report: Report) -> tuple[Waterfall, ...]:
    """The movement KPIs of the report as waterfalls (the total first, then each group), from
    the values that have one: a group's start, end and every move. None without them (no
    previous_snapshot, or a period the snapshots do not span)."""
    found = {
        (v.id, v.group): v
        for v in report.values
        if v.category is None and (v.id in MOVEMENT_KPIS or v.id in MOVEMENT_ENDS)
    }
    groups = dict.fromkeys(group for kpi_id, group in found if kpi_id == MOVEMENT_ENDS[0])
    result = []
    for group in groups:
        wanted = [found.get((kpi_id, group)) for kpi_id in (*MOVEMENT_ENDS, *MOVEMENT_KPIS)]
        if any(v is None or v.value is None or v.numerator is None for v in wanted):
            continue
        start, end = found[(MOVEMENT_ENDS[0], group)], found[(MOVEMENT_ENDS[1], group)]
        steps = {
            step: Move(step, int(found[(k, group)].numerator or 0), found[(k, group)].value or 0.0)
            for k, step in MOVEMENT_KPIS.items()
        }
        result.append(
            Waterfall(
                ", ".join(label for _, label in group) or None,
                int(start.numerator or 0),
                start.value or 0.0,
                int(end.numerator or 0),
                end.value or 0.0,
                tuple(m for m in steps.values() if m.id in PIPELINE_STEPS),
                tuple(m for m in steps.values() if m.id not in PIPELINE_STEPS),
            )
        )
    return tuple(result)


PIPELINE_STEPS = ("created", "reopened", "increased", "decreased", "won", "lost", "disappeared")


def _movement_lines(report: Report) -> tuple[str, str]:
    head, details = _title_lines(report)
    values = [v for v in report.values if v.id == MOVEMENT_ENDS[0] and not v.group]
    note = values[0].note if values and values[0].note else ""
    said = f"; {note}" if note else ""
    return (
        f"Pipeline movement, {head.removeprefix('salesmetrics report ')}",
        f"from the previous snapshot to the current deals export{said}; {details}",
    )


def write_movement_workbook(result: Diff, path: Path, *, old: str, new: str) -> None:
    """`salesmetrics diff -f xlsx`: the movement's sheet alone, atomically."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    what = MOVEMENT_HEADERS[result.kind][0]
    sheet.title = f"{what[:1].upper()}{what[1:]} movement"
    p = result.period
    lines = (
        f"{sheet.title}, {p.label} ({p.start} to {p.end})",
        f"from {old} ({result.old_rows:,} rows) to {new} ({result.new_rows:,} rows), "
        f"{result.matched:,} {result.records} in both"
        + (f"; amounts in {result.currency}" if result.currency else ""),
    )
    _movement(_Sheet(sheet), result.kind, (result.total, *result.groups), result.currency, lines)
    for note in result.notes:
        at = sheet.max_row + 2
        _Sheet(sheet).styled(at, 1, f"note: {note}", NOTE_FONT)
    book.properties.title = text(lines[0])
    book.properties.creator = f"salesmetrics {__version__}"
    write_atomic(Path(path), lambda stream: _save(book, stream))


def _movement(
    sheet: _Sheet,
    kind: str,
    waterfalls: Sequence[Waterfall],
    currency: str | None,
    lines: tuple[str, str],
) -> None:
    """The total's waterfall as a table (step, records, value) with its chart beside it, the
    other movements, then one line per group (values, then counts) when there are groups."""
    from salesmetrics.render.diff import TITLES

    total, groups = waterfalls[0], waterfalls[1:]
    what, records = MOVEMENT_HEADERS[kind]
    sheet.styled(1, 1, lines[0], TITLE_FONT)
    sheet.styled(2, 1, lines[1], NOTE_FONT)
    header = 4
    columns = sheet.header(header, ("Step", records, "Value"))
    moves = [m for m in total.moves if m.id != "rejected" or m.count]
    amounts = [total.start_value, total.end_value, *(m.value for m in total.moves)]
    fmt = money(currency, *amounts)
    signed = change_format("currency", currency, *amounts)
    rows = [
        (f"{what} at start", total.start_count, total.start_value, fmt),
        *((TITLES[m.id], m.count, m.value, signed) for m in moves),
        (f"{what} at end", total.end_count, total.end_value, fmt),
    ]
    row = header
    for label, count, value, shown in rows:
        row += 1
        sheet.put(row, 1, label)
        sheet.put(row, 2, count, COUNT)
        sheet.put(row, 3, value, shown)
    last = row
    if total.movements:
        row += 2
        sheet.styled(row, 1, "Other movements (value: the current amount)", SECTION_FONT)
        row += 1
        sheet.header(row, ("Movement", records, "Value"))
        for m in total.movements:
            row += 1
            sheet.put(row, 1, TITLES[m.id])
            sheet.put(row, 2, m.count, COUNT)
            sheet.put(row, 3, m.value, fmt)
    steps = _movement_steps(total, TITLES)
    if steps:  # the chart goes right of the tables above, from the header down
        row = max(row, header + math.ceil(charts.WATERFALL_CM[1] / charts.ROW_CM))
    if groups:
        row += 2
        for title, pick, shown in (
            ("value", lambda v, c: v, signed),
            (records.lower(), lambda v, c: c, COUNT),
        ):
            sheet.styled(row, 1, f"By {_group_name(groups)}: {title}", SECTION_FONT)
            ends = fmt if shown is signed else COUNT
            row = _movement_groups(sheet, row + 1, groups, pick, (shown, ends), TITLES) + 2
    printed = row  # the chart's data is for the chart, not the page
    if steps:
        row += 2
        sheet.styled(row, 1, "Chart data: the waterfall's bars on an invisible base", NOTE_FONT)
        data = row + 1
        sheet.header(data, ("Step", "Base", "Increase", "Decrease", "Total"))
        short = _thousands(fmt, total.start_value, total.end_value)  # the bars' labels too
        for at, step in enumerate(steps, start=data + 1):
            sheet.put(at, 1, step[0])
            for column, amount in enumerate(step[1:], start=2):
                sheet.put(at, column, amount, short)
        chart = charts.stacked_chart(
            sheet.ws,
            _with_currency(f"{what} from start to end", "currency", currency),
            (1, data + 1, data + len(steps)),
            ((2, None), (3, charts.GREEN), (4, charts.RED), (5, charts.BLUE)),
            data,
            short,
            floor=_floor(steps),
            size=charts.WATERFALL_CM,
        )
        sheet.chart(chart, header, 5)
    sheet.finish(header, last, columns, None, table=False)
    sheet.ws.print_area = f"A1:{get_column_letter(sheet.drawn[1] if steps else columns)}{printed}"


def _group_name(groups: Sequence[Waterfall]) -> str:
    return "owner" if all(g.group is not None for g in groups) else "group"


def _movement_groups(sheet: _Sheet, row: int, groups, pick, formats, titles) -> int:
    """One line per group: start, each move, end; `pick` chooses value or count, `formats`
    are the moves' and the ends'."""
    ids = [
        m.id
        for m in groups[0].moves
        if m.id != "rejected" or any(g.move(m.id).count for g in groups)
    ]
    moves, ends = formats
    sheet.header(row, ("Owner", "Start", *(titles[i] for i in ids), "End"))
    for g in groups:
        row += 1
        sheet.put(row, 1, g.group or "(blank)")
        sheet.put(row, 2, pick(g.start_value, g.start_count), ends)
        for column, move_id in enumerate(ids, start=3):
            m = g.move(move_id)
            sheet.put(row, column, pick(m.value, m.count), moves)
        sheet.put(row, len(ids) + 3, pick(g.end_value, g.end_count), ends)
    return row


def _thousands(fmt: str, *values: float) -> str:
    """A money format in thousands ($7,136k) when the amounts are large: a chart's labels
    stay short enough not to run into each other."""
    if max((abs(v) for v in values), default=0.0) < 100_000:
        return fmt
    return re.sub(r"#,##0(\.00)?", '#,##0,"k"', fmt, count=1)


def _movement_steps(total: Waterfall, titles) -> list[Step]:
    """The waterfall's bars: start, each move that moved something, end; none when the running
    total goes below zero (the base would show)."""
    steps: list[Step] = [("Start", None, None, None, total.start_value)]
    running = total.start_value
    for m in total.moves:
        if not m.count:
            continue
        if m.value >= 0:
            steps.append((titles[m.id], running, m.value, None, None))
            running += m.value
        else:
            running += m.value
            steps.append((titles[m.id], running, None, -m.value, None))
        if running < 0:
            return []
    return [*steps, ("End", None, None, None, total.end_value)]


def _definitions(sheet: _Sheet, report: Report) -> None:
    """Every KPI in the report, computed or skipped, as the catalogue defines it; each named
    variant the report shows as its own declaration (`id: variant` when not the default)."""
    columns = sheet.header(1, DEFINITION_HEADERS)
    skipped = {(s.id, s.variant): s.reason for s in report.skipped}
    first = {v.id: v for v in reversed(report.values)}
    pairs = list(dict.fromkeys([*((v.id, v.variant) for v in report.values), *skipped]))
    order = {kpi_id: i for i, (kpi_id, _) in reversed(list(enumerate(pairs)))}
    pairs.sort(key=lambda pair: order[pair[0]])  # a skipped variant under its KPI
    for row, (kpi_id, variant) in enumerate(pairs, start=2):
        kpi = VARIANTS.get(kpi_id, {}).get(variant or "") or CATALOGUE.get(kpi_id)
        if kpi is not None:
            d = kpi_dict(kpi)
            named = kpi is not CATALOGUE.get(kpi_id)
            cells: list[Any] = [
                f"{d['id']}: {variant}" if named else d["id"],
                d["label"],
                d["stage"],
                d["unit"],
                d["kind"],
                d["category"],
                d["formula"],
                ", ".join(d["inputs"]),
                d["period_date"],
                d["higher_is_better"],
                d["benchmark"],
            ]
        else:  # not in this version's catalogue: what the value itself says
            v = first.get(kpi_id)
            cells = [kpi_id, v.label if v else None, v.stage if v else None, v.unit if v else None]
        reason = skipped.get((kpi_id, variant))
        cells += [None] * (len(DEFINITION_HEADERS) - 1 - len(cells)) + [reason]
        for column, value in enumerate(cells, start=1):
            sheet.put(row, column, value)
        lines = 1
        for column, value in enumerate(cells, start=1):  # wrapped, and as high as it needs
            sheet.ws.cell(row=row, column=column).alignment = WRAP
            width = (DEFINITION_WIDTHS[column - 1] - 1) * CHARACTERS_A_WIDTH
            if isinstance(value, str):
                lines = max(lines, _lines(value, width))
        sheet.ws.row_dimensions[row].height = LINE_POINTS * lines
    sheet.finish(1, len(pairs) + 1, columns, "C2")
    for column, width in enumerate(DEFINITION_WIDTHS, start=1):
        sheet.ws.column_dimensions[get_column_letter(column)].width = width


def _lines(value: str, width: float) -> int:
    """The lines a text wraps to in a column `width` characters wide, word by word."""
    return sum(len(textwrap.wrap(part, int(width))) or 1 for part in value.split("\n"))


def _quality(sheet: _Sheet, inputs: Sequence[InputQuality]) -> None:
    """Per input: where every row read went, then each reason with its examples."""
    columns = sheet.header(1, QUALITY_HEADERS)
    row = 1

    def add(q: InputQuality, item: str, reason: str | None, count: Any, fmt: str) -> None:
        nonlocal row
        row += 1
        sheet.put(row, 1, q.path)
        sheet.put(row, 2, q.entity)
        sheet.put(row, 3, item)
        sheet.put(row, 4, reason)
        sheet.put(row, 5, count, fmt)

    for q in inputs:
        add(q, "rows read", None, q.rows_read, COUNT)
        add(q, "rows used", None, q.rows_used, COUNT)
        add(q, "rows filtered", None, q.rows_filtered, COUNT)
        add(q, "rows rejected", None, q.rows_rejected, COUNT)
        add(q, "duplicates dropped", None, q.duplicates_dropped, COUNT)
        if q.entity == HISTORY:
            add(q, "rows joined to no deal", None, q.rows_unmatched, COUNT)
        add(q, "reject rate", None, q.reject_rate, PERCENT)
        for item, reasons in (
            ("rejected", q.rejected),
            ("filtered", q.filtered),
            ("unreadable", q.unreadable),
            ("anomaly", q.anomalies),
            ("joined to no deal", q.unmatched),
        ):
            for reason in reasons:
                add(q, item, reason.reason, reason.count, COUNT)
                for index, example in enumerate(reason.examples):
                    if index:  # one row per example; the count only once
                        add(q, item, reason.reason, None, COUNT)
                    sheet.put(row, 6, example.row, GENERAL)
                    sheet.put(row, 7, example.value)
        for d in q.defaulted:
            add(q, "defaulted", f"{d.field} set to {d.value}", d.count, COUNT)
    _check_rows(row, "Data quality")
    sheet.finish(1, row, columns, "A2")


def _inputs(sheet: _Sheet, inputs: Sequence[InputQuality]) -> None:
    columns = sheet.header(1, INPUT_HEADERS)
    for row, q in enumerate(inputs, start=2):
        cells = (q.path, q.entity, q.mapping, q.sha256, q.rows_read, q.rows_used)
        for column, value in enumerate(cells, start=1):
            sheet.put(row, column, value, COUNT)
    sheet.finish(1, len(inputs) + 1, columns, "A2")


def _properties(book: Workbook, report: Report) -> None:
    p = report.period
    props = book.properties
    props.title = text(f"salesmetrics report {p.label}")
    props.subject = text(f"period {p.label} ({p.start} to {p.end}), as of {report.as_of}")
    props.description = text(_title(report))
    props.creator = f"salesmetrics {__version__}"
    props.keywords = "salesmetrics, sales KPIs"
