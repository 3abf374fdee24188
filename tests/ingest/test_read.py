"""Reading: encodings, delimiters, footers, ragged rows, Excel, and files that are not exports."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from salesmetrics.errors import InputError
from salesmetrics.ingest.mapping import ReadOptions
from salesmetrics.ingest.read import read_table
from tests.conftest import FIXTURES

ALL = lambda headers: None  # noqa: E731  (keep every column)


def read(name: str, **options) -> object:
    return read_table(str(FIXTURES / name), ReadOptions(**options), ALL)


def owners(table) -> list[str]:
    return table.frame["Owner"].tolist()


def test_plain_csv_reads_every_cell_as_text_with_row_numbers():
    table = read("plain.csv")
    assert table.columns == ["Deal ID", "Created", "Stage", "Amount", "Owner", "Closed"]
    assert table.frame["Amount"].tolist() == ["1200", "800", "500"]
    assert table.frame["Closed"].isna().tolist() == [False, False, True]
    assert table.row_numbers.tolist() == [2, 3, 4]
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("bom.csv", "utf-8"), ("utf16.csv", "utf-16"), ("cp1252.csv", "cp1252")],
)
def test_encodings_are_detected(name, encoding):
    table = read(name)
    assert table.encoding == encoding
    assert table.columns[0] == "Deal ID"  # no BOM left in the first header
    if name != "bom.csv":
        assert owners(table)[2] == "Zoë Müller"


def test_encoding_can_be_forced_by_the_mapping():
    table = read("cp1252.csv", encoding="latin-1")
    assert owners(table)[2] == "Zoë Müller"


def test_semicolons_are_detected():
    table = read("semicolon_decimal_comma.csv")
    assert table.delimiter == ";"
    assert table.frame["Amount"].tolist() == ["1.200,50", "800,25", "1.234.567,00"]


def test_salesforce_footer_is_dropped_and_counted():
    table = read("footer.csv")
    assert table.frame["Deal ID"].tolist() == ["D1", "D2", "D3"]
    assert table.footer_lines == 7
    assert table.ragged == []


def test_footer_can_be_turned_off_then_its_lines_are_ragged_rows():
    table = read("footer.csv", footer=0)
    assert [r.fields for r in table.ragged] == [1, 1, 1]
    assert "Grand Totals (3 records)" in table.frame["Deal ID"].tolist()


def test_trailing_empty_column_in_header_and_rows():
    table = read("trailing_empty_column.csv")
    assert table.columns[-1] == "(column 7)"
    assert table.ragged == []
    assert len(table.frame) == 3


def test_rows_with_one_trailing_delimiter_more_than_the_header():
    table = read("trailing_comma_rows.csv")
    assert table.ragged == []
    assert table.frame["Closed"].tolist()[:2] == ["2026-10-20", "2026-10-21"]


def test_quoted_newlines_stay_in_one_value_and_one_row():
    table = read("quoted_newlines.csv")
    assert owners(table)[0] == "Ana\nvan Dijk"
    assert table.row_numbers.tolist() == [2, 3, 4]


def test_ragged_rows_are_reported_with_their_row_numbers():
    table = read("ragged.csv")
    assert [(r.row, r.fields, r.expected) for r in table.ragged] == [(3, 4, 6), (5, 7, 6)]
    assert table.frame["Deal ID"].tolist() == ["D1", "D3"]
    assert table.row_numbers.tolist() == [2, 4]


def test_empty_file_is_an_error_naming_it():
    with pytest.raises(InputError, match=r"empty\.csv: the file is empty"):
        read("empty.csv")


def test_binary_junk_is_an_error_naming_it():
    with pytest.raises(InputError, match=r"binary\.csv: this is not a text CSV file"):
        read("binary.csv")


def test_header_only_file_has_no_rows():
    table = read("header_only.csv")
    assert len(table.frame) == 0
    assert table.columns[0] == "Deal ID"


def test_missing_file():
    with pytest.raises(InputError, match=r"nope\.csv: file not found"):
        read("nope.csv")


def test_gzip_csv(tmp_path: Path):
    path = tmp_path / "deals.csv.gz"
    path.write_bytes(gzip.compress((FIXTURES / "plain.csv").read_bytes()))
    table = read_table(str(path), ReadOptions(), ALL)
    assert owners(table) == ["Ana", "Ben", "Ana"]


def test_whitespace_delimited_without_header(tmp_path: Path):
    path = tmp_path / "cdnow.txt"
    path.write_bytes(b" 00001 19970101  1   11.77\r\n 00002 19970112  2   89.00\r\n")
    table = read_table(str(path), ReadOptions(header=False, delimiter="whitespace"), ALL)
    assert table.columns == ["1", "2", "3", "4"]
    assert table.frame["1"].tolist() == ["00001", "00002"]
    assert table.frame["4"].tolist() == ["11.77", "89.00"]
    assert table.row_numbers.tolist() == [1, 2]


def test_only_wanted_columns_are_kept():
    table = read_table(str(FIXTURES / "plain.csv"), ReadOptions(), lambda h: ["Owner"])
    assert list(table.frame.columns) == ["Owner"]
    assert table.columns[0] == "Deal ID"  # every header is still known


def test_xlsx_with_title_rows_finds_the_header_and_reads_cells_as_text():
    table = read("title_rows.xlsx")
    assert table.header_row == 3
    assert table.sheet == "Deals"
    assert table.frame["Deal ID"].tolist() == ["D1", "D2", "D3"]
    assert table.frame["Created"].tolist() == ["2026-10-01 09:30:00", "2026-10-02", "46298"]
    assert table.frame["Amount"].tolist() == ["1200", "800.5", "500"]
    assert table.row_numbers.tolist() == [4, 5, 6]


def test_xlsx_sheet_by_index_and_by_name_ignoring_case():
    assert read("title_rows.xlsx", sheet=0).sheet == "Deals"
    assert read("title_rows.xlsx", sheet="deals").sheet == "Deals"


def test_xlsx_wrong_sheet_name_lists_the_sheets():
    with pytest.raises(InputError, match=r"no sheet named 'Pipeline'; sheets: Deals"):
        read("title_rows.xlsx", sheet="Pipeline")


def test_explicit_header_row(tmp_path: Path):
    path = tmp_path / "titled.csv"
    path.write_text("Report: deals\n\nDeal ID,Owner\nD1,Ana\n", encoding="utf-8")
    table = read_table(str(path), ReadOptions(header_row=3), ALL)
    assert table.columns == ["Deal ID", "Owner"]
    assert table.row_numbers.tolist() == [4]
