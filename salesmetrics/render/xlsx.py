"""The report as an Excel workbook: for people who read numbers in a spreadsheet.

Sheets, in order: Summary (warnings about inputs that do not cover the period, then each
KPI's total, by funnel stage), one sheet per funnel stage with every value the report holds
for it (groups as columns, categories as a column), Trends (a table and a line chart per
KPI), Funnel (stage_conversion), MRR bridge (mrr_bridge), then Definitions, Data quality and
Inputs.

Numbers are written raw, as in the JSON report (ratios as fractions, money in the reporting
currency), with number formats per unit. Missing numbers are empty cells, never NaN.

Security: group values, categories, notes, paths and examples come from input files, so every
text is written as a string cell, never a formula, whatever it starts with (`=HYPERLINK(...)`
is shown as text); texts starting with = + - @ are also marked with Excel's quote prefix, so
editing such a cell keeps it text. The workbook holds no formulas at all.
"""

from __future__ import annotations

import gc
import io
import math
import numbers
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from salesmetrics import __version__
from salesmetrics.atomic import signals_held, write_atomic
from salesmetrics.errors import SalesmetricsError
from salesmetrics.ingest.quality import InputQuality
from salesmetrics.kpis.catalogue import CATALOGUE, STAGES
from salesmetrics.render.catalogue import kpi_dict
from salesmetrics.render.flat import VALUE_COLUMNS
from salesmetrics.report import KpiValue, Report
from salesmetrics.schema import HISTORY

# number formats by unit; currency gets the report's currency code appended
FORMATS = {
    "count": "#,##0",
    "ratio": "0.0%",
    "days": "0.0",
    "hours": "0.0",
    "score": "0.0",
    "multiple": '0.00"x"',
}
FRACTIONAL_COUNT = "#,##0.00"  # a count that is not whole: deals per rep
PERCENT_CHANGE = "+0.0%;-0.0%;0.0%"
GENERAL = "General"

STATUS_COLOURS = {  # Excel's Good / Neutral / Bad cell styles
    "on_track": ("C6EFCE", "006100"),
    "at_risk": ("FFEB9C", "9C5700"),
    "off_track": ("FFC7CE", "9C0006"),
}
STATUS_FILLS = {
    s: PatternFill(fill_type="solid", start_color=bg, end_color=bg)
    for s, (bg, _) in STATUS_COLOURS.items()
}
STATUS_FONTS = {s: Font(color=fg) for s, (_, fg) in STATUS_COLOURS.items()}
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", start_color="DDEBF7", end_color="DDEBF7")
TITLE_FONT = Font(bold=True, size=12)
WARNING_FONT = Font(bold=True, color="9C5700")  # Excel's Neutral: a caution, not a verdict
WRAP = Alignment(wrap_text=True, vertical="top")

ALL = "(all)"  # a group dimension of a total row
RISKY_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may read as a formula
MAX_TEXT = 32_767  # characters in one cell
MAX_ROWS = 1_048_576
MIN_WIDTH, MAX_WIDTH = 6, 50
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
RESERVED_SHEET_NAMES = {"history"}
CHART_WIDTH_CM, CHART_HEIGHT_CM = 16.0, 7.5
CHART_LEGEND_CM = 0.45  # more height per line of a legend below the chart
CHART_ROW_CM = 0.53  # the height of a row: 15 points
CHART_LINES = 12  # at most this many categories in one chart: the largest on average

BREAKDOWN_VALUES = VALUE_COLUMNS  # the same columns as the CSV output
SUMMARY_HEADERS = (
    "stage",
    "label",
    "value",
    "previous",
    "change",
    "change %",
    "target",
    "status",
    "small sample",
    "maturing",
    "note",
    "id",
)
DEFINITION_HEADERS = (
    "id",
    "label",
    "stage",
    "unit",
    "kind",
    "category",
    "formula",
    "inputs",
    "period date",
    "higher is better",
    "benchmark",
    "skipped",
)
QUALITY_HEADERS = ("input", "entity", "item", "reason", "count", "example row", "example")
INPUT_HEADERS = ("path", "entity", "mapping", "sha256", "rows read", "rows used")


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
        _trends(_Sheet(book.create_sheet(_sheet_name("Trends", names))), report)
    funnel = [v for v in report.values if v.id == "stage_conversion"]
    if funnel:
        _funnel(_Sheet(book.create_sheet(_sheet_name("Funnel", names))), report, funnel)
    bridge = [v for v in report.values if v.id == "mrr_bridge"]
    if bridge:
        _bridge(_Sheet(book.create_sheet(_sheet_name("MRR bridge", names))), report, bridge)
    _definitions(_Sheet(book.create_sheet(_sheet_name("Definitions", names))), report)
    _quality(_Sheet(book.create_sheet(_sheet_name("Data quality", names))), inputs)
    _inputs(_Sheet(book.create_sheet(_sheet_name("Inputs", names))), inputs)
    _properties(book, report)
    return book


# cells


def text(value: str) -> str:
    """A text as a cell can hold it: no control characters, at most 32,767 characters."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_TEXT]


def number(value: object) -> float | int | None:
    """A finite number, or None for a missing one (NaN, infinity, pandas NA)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    result = float(value)
    return result if math.isfinite(result) else None


def number_format(unit: str, currency: str | None, *values: object) -> str:
    """The format of numbers in `unit`: 1,234,567.00 USD; 63.2%; 12.5; 1,234; 3.20x.

    Counts are whole numbers unless one of `values` is not (deals per rep): 2.75.
    """
    if unit == "currency":
        code = re.sub(r"[^A-Za-z0-9]", "", currency or "")[:10]
        return f'#,##0.00 "{code}"' if code else "#,##0.00"
    if unit == "count":
        return plain_format(*values)
    return FORMATS.get(unit, GENERAL)


def plain_format(*values: object) -> str:
    """A number with thousands separators: whole, or with 2 decimals if any value is not."""
    whole = all(n is None or float(n).is_integer() for n in map(number, values))
    return FORMATS["count"] if whole else FRACTIONAL_COUNT


def _row_format(v: KpiValue, currency: str | None) -> str:
    """One format for a value, its previous value, change and target."""
    return number_format(v.unit, currency, v.value, v.previous, v.change, v.target)


def signed(fmt: str) -> str:
    """The format with an explicit sign, for changes: +1,234 / -1,234 / 0."""
    return fmt if fmt == GENERAL else f"+{fmt};-{fmt};{fmt}"


@dataclass
class _Sheet:
    """A worksheet with the widths its columns need, to set once it is written."""

    ws: Worksheet
    widths: dict[int, float] = field(default_factory=dict)

    def put(self, row: int, column: int, value: Any, fmt: str | None = None) -> None:
        """Write one value: texts as string cells (never formulas), numbers finite or empty."""
        if value is None:
            return
        kind = type(value)
        if kind is str:
            self._text(row, column, value)
        elif kind is bool or isinstance(value, np.bool_):
            self.ws.cell(row=row, column=column, value=bool(value))
            self._width(column, 6.0)
        elif kind is float or kind is int or isinstance(value, numbers.Real):
            found = number(value)
            if found is None:
                return
            cell = self.ws.cell(row=row, column=column, value=found)
            if fmt is not None:
                cell.number_format = fmt
            self._width(column, 16.0 if fmt is not None and '"' in fmt else 12.0)
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

    def header(self, row: int, names: Iterable[str]) -> int:
        """Bold header cells from column 1; returns the number of columns."""
        count = 0
        for column, name in enumerate(names, start=1):
            self.put(row, column, name)
            cell = self.ws.cell(row=row, column=column)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            count = column
        return count

    def finish(self, header_row: int, last_row: int, columns: int, freeze: str) -> None:
        """Autofilter over the table, frozen header, and each column as wide as it needs."""
        if columns:
            last = get_column_letter(columns)
            self.ws.auto_filter.ref = f"A{header_row}:{last}{max(last_row, header_row)}"
        self.ws.freeze_panes = freeze
        for column, width in self.widths.items():
            letter = get_column_letter(column)
            self.ws.column_dimensions[letter].width = min(max(width, MIN_WIDTH), MAX_WIDTH)


def _status(sheet: _Sheet, row: int, column: int, status: str | None) -> None:
    if status is None:
        return
    sheet.put(row, column, status.replace("_", " "))
    if status in STATUS_FILLS:
        cell = sheet.ws.cell(row=row, column=column)
        cell.fill = STATUS_FILLS[status]
        cell.font = STATUS_FONTS[status]


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
    p = report.period
    line = f"salesmetrics report {p.label} ({p.start} to {p.end})"
    if report.comparison is not None:
        c = report.comparison
        line += f", compared with {c.label} ({c.start} to {c.end})"
    if report.currency:
        line += f", amounts in {report.currency}"
    if report.group_by:
        line += f", by {', '.join(report.group_by)}"
    return line + f"; as of {report.as_of}"


def _summary(sheet: _Sheet, report: Report) -> None:
    sheet.put(1, 1, _title(report))
    sheet.ws.cell(row=1, column=1).font = TITLE_FONT
    for row, warning in enumerate(report.warnings, start=2):  # before any number
        sheet.put(row, 1, f"warning: {warning.message}")
        sheet.ws.cell(row=row, column=1).font = WARNING_FONT
    sheet.widths.pop(1, None)  # the title and warnings may spill over the next columns
    header = 2 + len(report.warnings)
    columns = sheet.header(header, SUMMARY_HEADERS)
    row = header
    for stage in _stages(report):
        for v in report.values:
            if v.stage != stage or v.group or v.category is not None:
                continue
            row += 1
            fmt = _row_format(v, report.currency)
            sheet.put(row, 1, v.stage)
            sheet.put(row, 2, v.label)
            sheet.put(row, 3, v.value, fmt)
            sheet.put(row, 4, v.previous, fmt)
            sheet.put(row, 5, v.change, signed(fmt))
            sheet.put(row, 6, v.change_pct, PERCENT_CHANGE)
            sheet.put(row, 7, v.target, fmt)
            _status(sheet, row, 8, v.status)
            sheet.put(row, 9, v.small_sample)
            sheet.put(row, 10, v.maturing)
            sheet.put(row, 11, v.note)
            sheet.put(row, 12, v.id)
    sheet.finish(header, row, columns, f"C{header + 1}")


def _category_column(kpi_id: str) -> str:
    kpi = CATALOGUE.get(kpi_id)
    return kpi.category if kpi is not None and kpi.category else "category"


def _dimensions(report: Report, values: Sequence[KpiValue]) -> list[str]:
    """The group dimensions of these values: the report's, then any other they have."""
    seen = dict.fromkeys(d for v in values for d, _ in v.group)
    return [d for d in report.group_by if d in seen] + [d for d in seen if d not in report.group_by]


def _category_columns(values: Sequence[KpiValue], taken: Iterable[str]) -> dict[str, str]:
    """KPI id -> the header of its category column; "x (category)" when x is taken."""
    columns: dict[str, str] = {}
    for v in values:
        if v.category is not None and v.id not in columns:
            name = _category_column(v.id)
            columns[v.id] = f"{name} (category)" if name in taken else name
    return columns


def _breakdown(sheet: _Sheet, report: Report, values: Sequence[KpiValue]) -> None:
    """Every value of one stage: the totals and each group, one row each."""
    _check_rows(len(values) + 1, values[0].stage if values else "stage")
    fixed = ("KPI", "id", "unit")
    dims = _dimensions(report, values)
    dim_headers = [f"{d} (group)" if d in fixed or d in BREAKDOWN_VALUES else d for d in dims]
    categories = _category_columns(values, {*fixed, *dims, *BREAKDOWN_VALUES})
    category_headers = list(dict.fromkeys(categories.values()))
    headers = [*fixed, *dim_headers, *category_headers, *BREAKDOWN_VALUES]
    columns = sheet.header(1, headers)
    dim_at = {d: len(fixed) + i for i, d in enumerate(dims, start=1)}
    category_at = {h: len(fixed) + len(dims) + i for i, h in enumerate(category_headers, start=1)}
    first_value = len(fixed) + len(dims) + len(category_headers) + 1
    at = {name: first_value + i for i, name in enumerate(BREAKDOWN_VALUES)}
    currency = report.currency
    for row, v in enumerate(values, start=2):
        sheet.put(row, 1, v.label)
        sheet.put(row, 2, v.id)
        sheet.put(row, 3, v.unit)
        group = dict(v.group)
        for d, column in dim_at.items():
            sheet.put(row, column, group.get(d, ALL))
        if v.category is not None:
            sheet.put(row, category_at[categories[v.id]], v.category)
        fmt = _row_format(v, currency)
        sheet.put(row, at["value"], v.value, fmt)
        sheet.put(row, at["numerator"], v.numerator, plain_format(v.numerator))
        sheet.put(row, at["denominator"], v.denominator, plain_format(v.denominator))
        sheet.put(row, at["n"], v.n, FORMATS["count"])
        sheet.put(row, at["previous"], v.previous, fmt)
        sheet.put(row, at["change"], v.change, signed(fmt))
        sheet.put(row, at["change_pct"], v.change_pct, PERCENT_CHANGE)
        sheet.put(row, at["target"], v.target, fmt)
        _status(sheet, row, at["status"], v.status)
        sheet.put(row, at["small_sample"], v.small_sample)
        sheet.put(row, at["maturing"], v.maturing)
        sheet.put(row, at["note"], v.note)
    sheet.finish(1, len(values) + 1, columns, "B2")


def _trends(sheet: _Sheet, report: Report) -> None:
    """Periods as rows, each total (and each category of a total) as a column; a chart each."""
    series = [v for v in report.values if v.trend and not v.group]
    periods = [p.label for p in report.trend] or list(
        dict.fromkeys(p.period for v in series for p in v.trend)
    )
    row_of = {label: row for row, label in enumerate(periods, start=2)}
    headers = ["period"] + [
        v.label if v.category is None else f"{v.label}: {v.category}" for v in series
    ]
    columns = sheet.header(1, headers)
    for label, row in row_of.items():
        sheet.put(row, 1, label)
    for column, v in enumerate(series, start=2):
        fmt = number_format(v.unit, report.currency, *(p.value for p in v.trend))
        for point in v.trend:
            if point.period in row_of:
                sheet.put(row_of[point.period], column, point.value, fmt)
    last_row = len(periods) + 1
    sheet.finish(1, last_row, columns, "B2")
    by_kpi: dict[str, list[int]] = {}
    for column, v in enumerate(series, start=2):
        by_kpi.setdefault(v.id, []).append(column)
    first = {v.id: v for v in reversed(series)}
    charts = [
        _line_chart(sheet, report, first[k], _largest(series, columns), last_row, len(columns))
        for k, columns in by_kpi.items()
    ]
    row = last_row + 3  # two charts side by side, each pair below the one before
    for start in range(0, len(charts), 2):
        pair = charts[start : start + 2]
        for chart, column in zip(pair, (1, _column_at(sheet, CHART_WIDTH_CM + 0.5)), strict=False):
            sheet.ws.add_chart(chart, f"{get_column_letter(column)}{row}")
        row += math.ceil(max(c.height for c in pair) / CHART_ROW_CM) + 2


def _largest(series: Sequence[KpiValue], columns: list[int]) -> list[int]:
    """The columns of the CHART_LINES series with the largest mean, in their order."""
    if len(columns) <= CHART_LINES:
        return columns

    def size(column: int) -> float:
        known = [abs(n) for p in series[column - 2].trend if (n := number(p.value)) is not None]
        return sum(known) / len(known) if known else -1.0

    kept = set(sorted(columns, key=size, reverse=True)[:CHART_LINES])
    return [c for c in columns if c in kept]


def _line_chart(
    sheet: _Sheet,
    report: Report,
    v: KpiValue,
    columns: Sequence[int],
    last_row: int,
    categories: int,
) -> LineChart:
    """One KPI over the trend periods: a line, or one per category (the largest ones)."""
    chart = LineChart()
    title = v.label + (f" ({report.currency})" if v.unit == "currency" else "")
    if categories > len(columns):
        title += f": the {len(columns)} largest of {categories}"
    chart.title = text(title)
    chart.width = CHART_WIDTH_CM
    chart.height = CHART_HEIGHT_CM + (CHART_LEGEND_CM * len(columns) if len(columns) > 1 else 0)
    chart.display_blanks = "gap"
    for column in columns:  # a KPI's categories may not be side by side
        data = Reference(sheet.ws, min_col=column, min_row=1, max_row=last_row)
        chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet.ws, min_col=1, min_row=2, max_row=last_row))
    for line in chart.series:
        line.smooth = False  # straight segments: a smoothed line would invent values
    if v.unit == "currency":  # the code is in the title; whole amounts on the axis
        chart.y_axis.number_format = FORMATS["count"]
    else:
        chart.y_axis.number_format = number_format(v.unit, None, *(p.value for p in v.trend))
        chart.y_axis.title = v.unit
    _show_axes(chart)
    if len(columns) == 1:
        chart.legend = None
    else:
        chart.legend.position = "b"
    return chart


def _show_axes(chart: LineChart | BarChart) -> None:
    """Axes with labels: recent Excel hides axes that do not say they are not deleted."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _column_at(sheet: _Sheet, offset_cm: float) -> int:
    """The first column starting at least `offset_cm` from the sheet's left edge."""
    left, column = 0.0, 1
    while left < offset_cm:
        width = min(max(sheet.widths.get(column, 8.43), MIN_WIDTH), MAX_WIDTH)
        left += (width * 7 + 5) / 37.8  # characters -> pixels at 96 dpi -> cm
        column += 1
    return column


def _funnel(sheet: _Sheet, report: Report, values: Sequence[KpiValue]) -> None:
    """stage_conversion: each stage reached and its conversion to the next, totals first."""
    rows = [v for v in values if v.category is not None]
    rows.sort(key=lambda v: bool(v.group))  # stable: totals first, stages in funnel order
    dims = _dimensions(report, rows)
    stage_header = _category_column("stage_conversion")
    if stage_header in dims:
        stage_header += " (category)"
    headers = [
        *dims,
        stage_header,
        "reached",
        "converted",
        "conversion",
        "of first stage",
        "small_sample",
        "note",
    ]
    columns = sheet.header(1, headers)
    c = len(dims)
    first: dict[tuple[tuple[str, str], ...], float] = {}
    for row, v in enumerate(rows, start=2):
        group = dict(v.group)
        for i, d in enumerate(dims, start=1):
            sheet.put(row, i, group.get(d, ALL))
        reached = number(v.denominator)
        sheet.put(row, c + 1, v.category)
        sheet.put(row, c + 2, reached, plain_format(reached))
        sheet.put(row, c + 3, v.numerator, plain_format(v.numerator))
        sheet.put(row, c + 4, v.value, FORMATS["ratio"])
        if reached is not None:
            top = first.setdefault(v.group, reached)
            sheet.put(row, c + 5, reached / top if top else None, FORMATS["ratio"])
        sheet.put(row, c + 6, v.small_sample)
        sheet.put(row, c + 7, v.note)
    sheet.finish(1, len(rows) + 1, columns, "A2")
    totals = sum(1 for v in rows if not v.group)
    if totals:
        chart = BarChart()
        chart.type = "bar"
        chart.title = text(rows[0].label)
        chart.width, chart.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
        data = Reference(sheet.ws, min_col=c + 2, min_row=1, max_row=totals + 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(sheet.ws, min_col=c + 1, min_row=2, max_row=totals + 1))
        chart.x_axis.scaling.orientation = "maxMin"  # the first stage on top
        chart.y_axis.crosses = "max"  # and the value axis still at the bottom
        chart.y_axis.number_format = FORMATS["count"]
        chart.legend = None
        _show_axes(chart)
        sheet.ws.add_chart(chart, f"{get_column_letter(columns + 2)}2")


def _bridge(sheet: _Sheet, report: Report, values: Sequence[KpiValue]) -> None:
    """mrr_bridge: one row per movement (and group), as the report holds them."""
    dims = _dimensions(report, values)
    movement = _category_column("mrr_bridge")
    movement = "movement" if movement == "category" else movement
    if movement in dims:
        movement += " (category)"
    headers = [*dims, movement, "value", "previous", "change", "n", "small_sample", "note"]
    columns = sheet.header(1, headers)
    c = len(dims)
    for row, v in enumerate(values, start=2):
        group = dict(v.group)
        for i, d in enumerate(dims, start=1):
            sheet.put(row, i, group.get(d, ALL))
        sheet.put(row, c + 1, v.category if v.category is not None else "(total)")
        fmt = _row_format(v, report.currency)
        sheet.put(row, c + 2, v.value, fmt)
        sheet.put(row, c + 3, v.previous, fmt)
        sheet.put(row, c + 4, v.change, signed(fmt))
        sheet.put(row, c + 5, v.n, FORMATS["count"])
        sheet.put(row, c + 6, v.small_sample)
        sheet.put(row, c + 7, v.note)
    sheet.finish(1, len(values) + 1, columns, "A2")


def _definitions(sheet: _Sheet, report: Report) -> None:
    """Every KPI in the report, computed or skipped, as the catalogue defines it."""
    columns = sheet.header(1, DEFINITION_HEADERS)
    skipped = {s.id: s.reason for s in report.skipped}
    first = {v.id: v for v in reversed(report.values)}
    ids = list(dict.fromkeys([v.id for v in report.values] + list(skipped)))
    for row, kpi_id in enumerate(ids, start=2):
        kpi = CATALOGUE.get(kpi_id)
        if kpi is not None:
            d = kpi_dict(kpi)
            cells: list[Any] = [
                d["id"],
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
        cells += [None] * (len(DEFINITION_HEADERS) - 1 - len(cells)) + [skipped.get(kpi_id)]
        for column, value in enumerate(cells, start=1):
            sheet.put(row, column, value)
        sheet.ws.cell(row=row, column=7).alignment = WRAP  # the formula, in words
    sheet.finish(1, len(ids) + 1, columns, "B2")
    sheet.ws.column_dimensions["G"].width = 60


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
        add(q, "rows read", None, q.rows_read, FORMATS["count"])
        add(q, "rows used", None, q.rows_used, FORMATS["count"])
        add(q, "rows filtered", None, q.rows_filtered, FORMATS["count"])
        add(q, "rows rejected", None, q.rows_rejected, FORMATS["count"])
        add(q, "duplicates dropped", None, q.duplicates_dropped, FORMATS["count"])
        if q.entity == HISTORY:
            add(q, "rows joined to no deal", None, q.rows_unmatched, FORMATS["count"])
        add(q, "reject rate", None, q.reject_rate, FORMATS["ratio"])
        for item, reasons in (
            ("rejected", q.rejected),
            ("filtered", q.filtered),
            ("unreadable", q.unreadable),
            ("anomaly", q.anomalies),
            ("joined to no deal", q.unmatched),
        ):
            for reason in reasons:
                add(q, item, reason.reason, reason.count, FORMATS["count"])
                for index, example in enumerate(reason.examples):
                    if index:  # one row per example; the count only once
                        add(q, item, reason.reason, None, FORMATS["count"])
                    sheet.put(row, 6, example.row, GENERAL)
                    sheet.put(row, 7, example.value)
        for d in q.defaulted:
            add(q, "defaulted", f"{d.field} set to {d.value}", d.count, FORMATS["count"])
    _check_rows(row, "Data quality")
    sheet.finish(1, row, columns, "A2")


def _inputs(sheet: _Sheet, inputs: Sequence[InputQuality]) -> None:
    columns = sheet.header(1, INPUT_HEADERS)
    for row, q in enumerate(inputs, start=2):
        cells = (q.path, q.entity, q.mapping, q.sha256, q.rows_read, q.rows_used)
        for column, value in enumerate(cells, start=1):
            sheet.put(row, column, value, FORMATS["count"])
    sheet.finish(1, len(inputs) + 1, columns, "A2")


def _properties(book: Workbook, report: Report) -> None:
    p = report.period
    props = book.properties
    props.title = text(f"salesmetrics report {p.label}")
    props.subject = text(f"period {p.label} ({p.start} to {p.end}), as of {report.as_of}")
    props.description = text(_title(report))
    props.creator = f"salesmetrics {__version__}"
    props.keywords = "salesmetrics, sales KPIs"
