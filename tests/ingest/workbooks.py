"""Excel workbooks written by openpyxl for the reading tests: real typed cells, as Excel saves."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl


def write_workbook(
    path: Path, rows: Sequence[Sequence[object]], sheet: str = "Deals", start: str = "A1"
) -> Path:
    """`rows` from cell `start` of one sheet: datetimes become date cells, numbers number
    cells, True/False flag cells, and `#DIV/0!`-style strings error cells; None is blank."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    first = ws[start]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.cell(row=first.row + r, column=first.column + c, value=value)
    book.save(path)
    return path
