"""Every text format of the sample company's report, against files reviewed by hand once.

The JSON document's golden file is tests/golden/sample_report.json (tests/test_pipeline.py).
Regenerate on purpose with `make golden`, and review the diff before committing.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from rich.console import Console
from rich.text import Text

from salesmetrics.render.console import make_console
from salesmetrics.render.flat import render_csv, render_markdown, render_ndjson
from salesmetrics.render.terminal import render
from salesmetrics.render.xlsx import write_workbook
from salesmetrics.summary import View
from tests.golden import check_text


def _text(fn, *args) -> str:
    out = io.StringIO()
    fn(*args, out)
    return out.getvalue()


def test_table_view_golden(sample_company):
    report, qualities = sample_company
    out = io.StringIO()
    console = make_console(out)
    console.width = 80  # as piped with COLUMNS unset
    render(report, qualities, console, limit=20)
    check_text("sample_report.txt", out.getvalue())


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("colour", [False, True], ids=["plain", "colour"])
def test_summary_golden(sample_company, width, colour):
    """The executive summary as a terminal of `width` columns shows it: plain (piped, ASCII)
    and coloured (ANSI codes kept in the file: `cat` it in a terminal to see it)."""
    report, qualities = sample_company
    out = io.StringIO()
    if colour:
        console = Console(
            file=out, force_terminal=True, color_system="standard", width=width, highlight=False
        )
    else:
        console = make_console(out)
        console.width = width
    render(report, qualities, console, view=View.summary)
    text = out.getvalue()
    assert max(Text.from_ansi(line).cell_len for line in text.splitlines()) <= width
    check_text(f"sample_summary_{width}{'.ansi' if colour else ''}.txt", text)


@pytest.mark.parametrize(
    ("name", "renderer"),
    [("sample_report.ndjson", render_ndjson), ("sample_report.csv", render_csv)],
)
def test_row_formats_golden(sample_company, name, renderer):
    report, _ = sample_company
    check_text(name, _text(renderer, report))


def test_markdown_golden(sample_company):
    report, qualities = sample_company
    check_text("sample_report.md", _text(render_markdown, report, qualities))


def test_workbook_golden(sample_company, tmp_path):
    """The workbook's sheets and its Summary table, cell by cell (a binary file itself varies)."""
    report, qualities = sample_company
    path = tmp_path / "report.xlsx"
    write_workbook(report, qualities, path)
    book = load_workbook(path)
    lines = [" | ".join(book.sheetnames)]
    for row in book["Summary"].iter_rows(values_only=True):
        lines.append(" | ".join("" if v is None else repr(v) for v in row))
    check_text("sample_report_summary.txt", "\n".join(lines) + "\n")
