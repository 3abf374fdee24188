"""Quotes that open a field and never close it: a reported reject, not a merge (issue 14)."""

from __future__ import annotations

from pathlib import Path

from salesmetrics.ingest.load import load_input
from salesmetrics.ingest.mapping import ReadOptions
from salesmetrics.ingest.read import read_table

ALL = lambda headers: None  # noqa: E731  (keep every column)
HEADER = "Deal ID,Deal Name,Amount\n"


def deals(n: int) -> list[str]:
    return [f"D{i},Deal {i},{i * 10}\n" for i in range(1, n + 1)]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def test_a_quote_never_closed_is_one_rejected_row_and_the_rows_after_it_are_read(tmp_path):
    lines = deals(1001)
    lines[899] = 'D900,"Widget 5 inch,9000\n'  # row 901 (the header is row 1)
    table = read_table(str(write(tmp_path / "d.csv", lines)), ReadOptions(), ALL)
    assert len(table.cells) == 1000
    assert [(r.row, r.reason, r.text) for r in table.ragged] == [
        (901, "quote opened in row 901 never closed", 'D900,"Widget 5 inch,9000')
    ]
    assert table.cells["Deal ID"].iloc[-1] == "D1001"
    numbers = table.row_numbers.tolist()
    assert numbers[:899] == list(range(2, 901)) and numbers[899:] == list(range(902, 1003))


def test_validate_counts_the_rows_after_the_quote(tmp_path: Path):
    lines = deals(1001)
    lines[899] = 'D900,"Widget 5 inch,9000\n'
    mapping = tmp_path / "deals.yaml"
    mapping.write_text(
        "entity: deals\ncolumns:\n  deal_id: Deal ID\n  amount: Amount\n"
        "constants:\n  stage: won\n  created_at: '2026-01-05'\n",
        encoding="utf-8",
    )
    q = load_input(write(tmp_path / "d.csv", lines), str(mapping)).quality
    assert (q.rows_read, q.rows_used, q.rows_rejected) == (1001, 1000, 1)
    assert q.rejected[0].reason == "quote opened in row 901 never closed"


def test_a_quote_closed_after_too_many_lines_is_never_closed(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESMETRICS_MAX_FIELD_LINES", "10")
    lines = deals(60)
    lines[9] = 'D10,"Widget 5 inch,100\n'  # row 11
    lines[39] = 'D40,Monitor 27" wide",400\n'  # row 41: the quote a parser would close there
    table = read_table(str(write(tmp_path / "d.csv", lines)), ReadOptions(), ALL)
    assert [r.row for r in table.ragged if r.unclosed] == [11]
    assert len(table.cells) + len(table.ragged) == 60


def test_a_note_over_a_few_lines_is_one_field(tmp_path: Path):
    lines = deals(5)
    lines[2] = 'D3,"Deal 3\nsecond line\n""quoted"" third",30\n'
    table = read_table(str(write(tmp_path / "d.csv", lines)), ReadOptions(), ALL)
    assert table.ragged == []
    assert table.cells["Deal Name"].iloc[2] == 'Deal 3\nsecond line\n"quoted" third'
    assert table.row_numbers.tolist() == [2, 3, 4, 5, 6]


def test_a_quote_inside_an_unquoted_cell_is_text(tmp_path: Path):
    lines = deals(5)
    lines[1] = 'D2,Monitor 27" wide,20\n'
    table = read_table(str(write(tmp_path / "d.csv", lines)), ReadOptions(), ALL)
    assert table.ragged == []
    assert table.cells["Deal Name"].tolist()[1] == 'Monitor 27" wide'
