"""The workbook's charts, each drawn from cells the sheet already shows (no formulas).

Excel and LibreOffice have no waterfall or funnel that openpyxl can write, so both are stacked
bars over an invisible base: the base lifts each bar to where the running total (waterfall)
or the centre line (funnel) puts it.
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.chart.label import DataLabelList
from openpyxl.worksheet.worksheet import Worksheet

WIDTH_CM, HEIGHT_CM = 13.0, 7.5  # two side by side fit a landscape page
WATERFALL_CM = (20.0, 10.0)  # a waterfall of up to nine bars, each with its label
SMALL_WIDTH_CM, SMALL_HEIGHT_CM = 8.8, 7.0  # three across, two down: six trends a page
ROW_CM = 0.53  # the height of a row: 15 points
LEGEND_CM = 0.45  # more height per line of a legend below the chart
BAR_CM = 0.6  # height per category of a bar chart

BLUE, GREEN, RED, GREY = "4472C4", "70AD47", "C00000", "A5A5A5"


def _axes(chart: LineChart | BarChart) -> None:
    """Axes with labels: recent Excel hides axes that do not say they are not deleted."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _fill(series: Series, colour: str | None) -> None:
    """A solid colour, or none at all for an invisible base."""
    if colour is None:
        series.graphicalProperties.noFill = True
        series.graphicalProperties.line.noFill = True
    else:
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.solidFill = colour


def _labels(series: Series, fmt: str) -> None:
    """The value written on each bar."""
    series.dLbls = DataLabelList()
    series.dLbls.showVal = True
    for name in ("showSerName", "showCatName", "showLegendKey", "showPercent"):
        setattr(series.dLbls, name, False)
    series.dLbls.numFmt = fmt


def rows_chart(
    ws: Worksheet,
    title: str,
    rows: Sequence[int],
    label_column: int,
    last_column: int,
    header_row: int,
    axis_format: str,
    *,
    small: bool = False,
) -> LineChart:
    """A line per row of a table whose columns are periods (the label just left of them);
    a small chart keeps its size whatever its legend, and names even one line in it."""
    chart = LineChart()
    chart.title = title
    if small:
        chart.width, chart.height = SMALL_WIDTH_CM, SMALL_HEIGHT_CM
    else:
        chart.width = WIDTH_CM
        chart.height = HEIGHT_CM + (LEGEND_CM * len(rows) if len(rows) > 1 else 0)
    chart.display_blanks = "gap"
    for row in rows:
        data = Reference(ws, min_col=label_column, max_col=last_column, min_row=row)
        chart.add_data(data, from_rows=True, titles_from_data=True)
    periods = Reference(ws, min_col=label_column + 1, max_col=last_column, min_row=header_row)
    chart.set_categories(periods)
    for line in chart.series:
        line.smooth = False  # straight segments: a smoothed line would invent values
    chart.y_axis.number_format = axis_format
    chart.x_axis.tickLblPos = "low"  # the periods below the plot, under negative values too
    _axes(chart)
    if len(rows) == 1 and not small:  # the title names it
        chart.legend = None
    else:
        chart.legend.position = "b"
    return chart


def column_line(
    ws: Worksheet,
    title: str,
    categories: tuple[int, int, int],
    values: int,
    header_row: int,
    axis_format: str,
) -> LineChart:
    """One line from a column of values beside a column of periods: `categories` is (column,
    first row, last row), `values` the column whose header is at `header_row`."""
    column, first, last = categories
    chart = LineChart()
    chart.title = title
    chart.width, chart.height = WIDTH_CM, HEIGHT_CM
    chart.display_blanks = "gap"
    chart.add_data(
        Reference(ws, min_col=values, min_row=header_row, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=column, min_row=first, max_row=last))
    chart.series[0].smooth = False
    chart.y_axis.number_format = axis_format
    chart.x_axis.tickLblPos = "low"
    _axes(chart)
    chart.legend = None
    return chart


def bar_chart(
    ws: Worksheet,
    title: str,
    categories: tuple[int, int, int],
    values: Sequence[tuple[int, str | None]],
    header_row: int,
    axis_format: str,
) -> BarChart:
    """Clustered bars, the first category on top: `categories` is (column, first row, last
    row); `values` the data columns (header at `header_row`) with their colours: bookings
    against quota by owner. Taller for many categories, so their names stay readable."""
    column, first, last = categories
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.title = title
    chart.width = WIDTH_CM
    chart.height = max(HEIGHT_CM, 2.5 + BAR_CM * (last - first + 1)) + LEGEND_CM
    for data_column, colour in values:
        chart.add_data(
            Reference(ws, min_col=data_column, min_row=header_row, max_row=last),
            titles_from_data=True,
        )
        _fill(chart.series[-1], colour)
    chart.set_categories(Reference(ws, min_col=column, min_row=first, max_row=last))
    chart.y_axis.number_format = axis_format
    chart.x_axis.scaling.orientation = "maxMin"  # the first category on top
    chart.y_axis.crosses = "max"  # and the value axis still at the bottom
    _axes(chart)
    chart.legend.position = "b"
    return chart


def stacked_chart(
    ws: Worksheet,
    title: str,
    categories: tuple[int, int, int],
    values: Sequence[tuple[int, str | None]],
    header_row: int,
    axis_format: str,
    *,
    horizontal: bool = False,
    floor: float | None = None,
    size: tuple[float, float] | None = None,
) -> BarChart:
    """Stacked bars whose first series (colour None) is invisible: a waterfall (columns: base,
    increase, decrease, total) or a funnel (horizontal: offset, reached). `floor` is where the
    value axis starts: a waterfall's moves are small against its totals; `size` (width,
    height in cm) for a chart with more bars than the usual."""
    column, first, last = categories
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 40
    chart.title = title
    chart.width = WIDTH_CM + (0 if horizontal else 3.0)  # room for a label on each column
    chart.height = HEIGHT_CM
    if size is not None:
        chart.width, chart.height = size
    for data_column, colour in values:
        chart.add_data(
            Reference(ws, min_col=data_column, min_row=header_row, max_row=last),
            titles_from_data=True,
        )
        series = chart.series[-1]
        _fill(series, colour)
        if colour is not None:
            _labels(series, axis_format)
    chart.set_categories(Reference(ws, min_col=column, min_row=first, max_row=last))
    chart.y_axis.number_format = axis_format
    if floor is not None:
        chart.y_axis.scaling.min = floor
    if horizontal:  # the first stage on top, the value axis hidden: the bars carry labels
        chart.x_axis.scaling.orientation = "maxMin"
        chart.y_axis.delete = True
        chart.y_axis.majorGridlines = None
        chart.x_axis.delete = False
    else:
        _axes(chart)
    chart.legend = None
    return chart
