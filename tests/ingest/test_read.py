"""Reading: encodings, delimiters, footers, ragged rows, Excel, and files that are not exports."""

from __future__ import annotations

import gzip
import hashlib
import io
from datetime import datetime, time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from salesmetrics.errors import InputError
from salesmetrics.ingest.decode import hash_and_check_utf8
from salesmetrics.ingest.mapping import ReadOptions
from salesmetrics.ingest.read import read_table
from tests.conftest import FIXTURES
from tests.ingest.workbooks import write_workbook

ALL = lambda headers: None  # noqa: E731  (keep every column)
TEXT = pd.ArrowDtype(pa.string())
FLOAT = pd.ArrowDtype(pa.float64())
STAMP = pd.ArrowDtype(pa.timestamp("us"))
BOOL = pd.ArrowDtype(pa.bool_())


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


# ------------------------------------------------------------------------- Excel cell types


def test_xlsx_columns_of_one_type_stay_typed_and_the_text_view_reads_as_a_person_does(
    tmp_path: Path,
):
    path = write_workbook(
        tmp_path / "typed.xlsx",
        [
            ["Record ID", "Created", "Amount", "Won", "Owner"],
            [14200003820, datetime(2026, 10, 1, 9, 30), 1200, True, " Ana "],
            [14200006642, datetime(2026, 10, 2), 800.5, False, "Ben"],
            [14200009531, None, None, None, None],
        ],
    )
    table = read_table(str(path), ReadOptions(), ALL)
    assert table.cells.dtypes.tolist() == [FLOAT, STAMP, FLOAT, BOOL, TEXT]
    assert table.cells["Created"].tolist()[:2] == [
        pd.Timestamp("2026-10-01 09:30"),
        pd.Timestamp("2026-10-02"),
    ]
    assert table.cells["Owner"].tolist()[:2] == ["Ana", "Ben"]  # trimmed
    assert table.frame["Record ID"].tolist() == ["14200003820", "14200006642", "14200009531"]
    assert table.frame["Created"].tolist()[:2] == ["2026-10-01 09:30:00", "2026-10-02"]
    assert table.frame["Amount"].tolist()[:2] == ["1200", "800.5"]
    assert table.frame["Won"].tolist()[:2] == ["True", "False"]
    assert table.frame.iloc[2, 1:].isna().all()
    assert table.row_numbers.tolist() == [2, 3, 4]


def test_xlsx_column_of_mixed_types_is_text(tmp_path: Path):
    path = write_workbook(
        tmp_path / "mixed.xlsx",
        [["Created"], [datetime(2026, 10, 1, 9, 30)], [datetime(2026, 10, 2)], [46298], ["soon"]],
    )
    table = read_table(str(path), ReadOptions(), ALL)
    assert table.cells["Created"].dtype == TEXT
    assert table.cells["Created"].tolist() == [
        "2026-10-01 09:30:00",
        "2026-10-02",
        "46298",
        "soon",
    ]


def test_xlsx_placeholder_text_among_numbers_makes_the_column_text(tmp_path: Path):
    # fastexcel's type guess takes N/A for a blank; as in a CSV, it stays text to be reported
    path = write_workbook(tmp_path / "na.xlsx", [["Amount"], [1200], ["N/A"], ["  "], [800.5]])
    table = read_table(str(path), ReadOptions(), ALL)
    assert table.cells["Amount"].dtype == TEXT
    assert table.cells["Amount"].tolist() == ["1200", "N/A", pd.NA, "800.5"]


def test_xlsx_error_cells_read_as_blank(tmp_path: Path):
    path = write_workbook(
        tmp_path / "errors.xlsx",
        [["Deal ID", "Amount", "Ratio"], ["D1", 5, "#DIV/0!"], ["D2", "#N/A", 0.5]],
    )
    table = read_table(str(path), ReadOptions(), ALL)
    assert table.frame["Deal ID"].tolist() == ["D1", "D2"]
    assert table.frame["Amount"].tolist() == ["5", pd.NA]
    assert table.frame["Ratio"].tolist() == [pd.NA, "0.5"]


def test_xlsx_times_of_day_read_as_text(tmp_path: Path):
    path = write_workbook(tmp_path / "times.xlsx", [["Start"], [time(9, 30)], [time(0, 0)]])
    table = read_table(str(path), ReadOptions(), ALL)
    assert table.cells["Start"].tolist() == ["09:30:00", "00:00:00"]


def test_xlsx_sheet_starting_below_and_right_of_a1_keeps_sheet_row_numbers(tmp_path: Path):
    path = write_workbook(
        tmp_path / "offset.xlsx", [["Deal ID", "Amount"], ["D1", 5], ["D2", 7]], start="C5"
    )
    table = read_table(str(path), ReadOptions(), ALL)
    assert table.header_row == 5
    assert table.columns == ["(column 1)", "(column 2)", "Deal ID", "Amount"]
    assert table.frame["Deal ID"].tolist() == ["D1", "D2"]
    assert table.row_numbers.tolist() == [6, 7]
    headerless = read_table(str(path), ReadOptions(header=False), ALL)
    assert headerless.columns == ["1", "2", "3", "4"]
    assert headerless.frame["3"].tolist()[4:] == ["Deal ID", "D1", "D2"]
    assert headerless.row_numbers.tolist()[4:] == [5, 6, 7]


def test_xlsx_repeated_headers_are_numbered_as_in_a_csv(tmp_path: Path):
    path = write_workbook(
        tmp_path / "repeats.xlsx", [["Amount", "Amount", "Amount_1", None], [1, 2, 3, 4]]
    )
    table = read_table(str(path), ReadOptions(), ALL)
    assert table.columns == ["Amount", "Amount (2)", "Amount_1", "(column 4)"]
    assert table.frame["Amount (2)"].tolist() == ["2"]
    assert table.frame["(column 4)"].tolist() == ["4"]


def test_xlsx_title_rows_and_footer_are_found_in_typed_sheets(tmp_path: Path):
    path = write_workbook(
        tmp_path / "report.xlsx",
        [
            ["Opportunities by owner"],
            [],
            ["Deal ID", "Created", "Amount", "Owner", "Stage"],
            ["D1", datetime(2026, 10, 1), 100, "Ana", "Won"],
            ["D2", datetime(2026, 10, 2), 200, "Ben", "Lost"],
            ["Grand Totals (2 records)", None, 300],
            ["Confidential Information - Do Not Distribute"],
        ],
    )
    table = read_table(str(path), ReadOptions(), ALL)
    assert table.header_row == 3
    assert table.frame["Deal ID"].tolist() == ["D1", "D2"]
    assert table.cells["Created"].dtype == STAMP  # typed below the header, the title aside
    assert table.footer_lines == 2
    assert table.row_numbers.tolist() == [4, 5]


def test_xlsx_empty_sheet_is_an_error_naming_it(tmp_path: Path):
    path = write_workbook(tmp_path / "empty.xlsx", [], sheet="Nothing")
    with pytest.raises(InputError, match=r"empty\.xlsx: sheet 'Nothing' is empty"):
        read_table(str(path), ReadOptions(), ALL)


def test_broken_workbook_is_a_one_line_error(tmp_path: Path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(
        InputError, match=r"broken\.xlsx: the workbook is damaged or cut short"
    ) as exc:
        read_table(str(path), ReadOptions(), ALL)
    assert "\n" not in str(exc.value)


# ----------------------------------------------------------------------- CSV left on disk


@pytest.mark.parametrize("name", ["plain.csv", "quoted_newlines.csv", "footer.csv", "ragged.csv"])
def test_utf8_csv_read_from_disk_as_from_memory(tmp_path: Path, name: str):
    # a .gz copy is read whole, in memory; the plain file is parsed from disk by Arrow
    packed = tmp_path / f"{name}.gz"
    packed.write_bytes(gzip.compress((FIXTURES / name).read_bytes()))
    on_disk, in_memory = read(name), read_table(str(packed), ReadOptions(), ALL)
    pd.testing.assert_frame_equal(on_disk.cells, in_memory.cells)
    assert on_disk.row_numbers.tolist() == in_memory.row_numbers.tolist()
    assert (on_disk.footer_lines, on_disk.ragged) == (in_memory.footer_lines, in_memory.ragged)
    assert on_disk.sha256 == hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest()


def test_utf8_check_and_hash_in_blocks_that_split_characters():
    text = "Zoë Müller – 東京 🙂,".encode() * 5
    for size in (1, 2, 3, 5, 7):
        assert hash_and_check_utf8(io.BytesIO(text), size) == (
            hashlib.sha256(text).hexdigest(),
            True,
        )
        assert not hash_and_check_utf8(io.BytesIO(text + b"\xe9 abc"), size)[1]
    # a character cut off by the end of the file is not UTF-8 (its line is recoded; pyarrow
    # would meet the broken character otherwise)
    assert not hash_and_check_utf8(io.BytesIO(text[:-2]), 4)[1]


# ------------------------------------------------------- a mapping's read options as hints


def needs(*names: str):
    """A `wanted` that refuses headers lacking `names`, as the loader's column plan does."""

    def wanted(headers: list[str]) -> list[str] | None:
        missing = [n for n in names if n not in headers]
        if missing:
            shown = ", ".join(repr(h) for h in headers)
            raise InputError(
                f"x.csv: column {missing[0]!r} is not in the file; the file has: {shown}"
            )
        return None

    return wanted


def test_a_pinned_delimiter_the_file_disagrees_with_gives_way_to_the_detected_one():
    path = str(FIXTURES / "semicolon_decimal_comma.csv")
    table = read_table(path, ReadOptions(delimiter=","), needs("Deal ID", "Owner"))
    assert table.delimiter == ";"
    assert owners(table) == ["Ana", "Ben", "Ana"]
    assert table.notices == (
        f"{path}: the mapping says delimiter ',' but the file uses ';' (its columns are found "
        "only with ';'): read with ';'; set `delimiter: \";\"` under `read:` in the mapping, or "
        "leave it out to have it detected",
    )


def test_strict_makes_the_delimiter_mismatch_an_error_naming_both():
    path = str(FIXTURES / "semicolon_decimal_comma.csv")
    with pytest.raises(InputError) as exc:
        read_table(path, ReadOptions(delimiter=","), needs("Deal ID"), strict=True)
    assert str(exc.value).startswith(
        f"{path}: the mapping says delimiter ',' but the file uses ';' (its columns are found "
        "only with ';'); set `delimiter: \";\"` under `read:`"
    )
    assert str(exc.value).endswith("(an error with --strict)")


def test_a_pinned_delimiter_that_fits_reads_without_a_notice():
    table = read_table(str(FIXTURES / "plain.csv"), ReadOptions(delimiter=","), needs("Owner"))
    assert (table.delimiter, table.notices) == (",", ())


def test_the_refusal_names_the_delimiter_when_the_header_is_one_column_holding_another(
    tmp_path: Path,
):
    path = tmp_path / "pipeline.csv"
    path.write_bytes(b'opportunity_id;"sales_agent";"deal_stage"\r\n"1C1I7A6R";"Moses";"Won"\r\n')
    # the file lacks engage_date, so the detected `;` does not find every column either
    with pytest.raises(InputError) as exc:
        read_table(str(path), ReadOptions(delimiter=","), needs("opportunity_id", "engage_date"))
    # the names as the likely delimiter splits them, never the header line as it is (issue 14)
    assert str(exc.value) == (
        f"{path}: the header reads as one column holding ';': the file is likely delimited "
        "by ';', not the mapping's ',' (its columns would be 'opportunity_id', 'sales_agent', "
        "'deal_stage'); set `delimiter: \";\"` under `read:` in the mapping, or leave it out to "
        "have it detected"
    )


def test_a_refusal_no_read_option_explains_stands_as_it_is():
    wanted = needs("Region")
    with pytest.raises(InputError) as auto:
        read_table(str(FIXTURES / "plain.csv"), ReadOptions(), wanted)
    with pytest.raises(InputError) as pinned:
        read_table(
            str(FIXTURES / "plain.csv"), ReadOptions(delimiter=",", encoding="utf-8"), wanted
        )
    assert (
        str(auto.value)
        == str(pinned.value)
        == (
            "x.csv: column 'Region' is not in the file; the file has: 'Deal ID', 'Created', "
            "'Stage', 'Amount', 'Owner', 'Closed'"
        )
    )


def test_a_pinned_encoding_the_file_disagrees_with_gives_way_to_the_detected_one():
    path = str(FIXTURES / "bom.csv")  # UTF-8 with a BOM: as cp1252 its first header is 'ï»¿Deal ID'
    table = read_table(path, ReadOptions(encoding="cp1252", delimiter=","), needs("Deal ID"))
    assert (table.encoding, table.delimiter) == ("utf-8", ",")
    assert table.notices == (
        f"{path}: the mapping says encoding cp1252 but the file uses utf-8 (its columns are "
        "found only with utf-8): read with utf-8; set `encoding: utf-8` under `read:` in the "
        "mapping, or leave it out to have it detected",
    )


def test_both_pinned_options_wrong_are_named_together(tmp_path: Path):
    path = tmp_path / "export.csv"
    path.write_bytes("Deal ID;Owner\r\nD1;Zoë\r\n".encode("utf-16"))
    table = read_table(str(path), ReadOptions(encoding="utf-8", delimiter=","), needs("Owner"))
    assert owners(table) == ["Zoë"]
    assert table.notices[0].startswith(
        f"{path}: the mapping says delimiter ',' and encoding utf-8 but the file uses ';' and "
        "utf-16 (its columns are found only with ';' and utf-16)"
    )
    assert 'set `delimiter: ";"` and `encoding: utf-16` under `read:`' in table.notices[0]


def test_a_workbooks_refusal_stands_whatever_the_delimiter_says(tmp_path: Path):
    path = write_workbook(tmp_path / "deals.xlsx", [["Deal ID", "Owner"], ["D1", "Ana"]])
    with pytest.raises(InputError, match="column 'Region' is not in the file"):
        read_table(str(path), ReadOptions(delimiter=";"), needs("Region"))


# ----------------------------------------------------------------- hostile input (issue 14)

SALESFORCE_HEADER = '"Opportunity Owner","Opportunity Name","Stage","Amount"\n'


def test_deals_named_like_a_footer_are_data_when_their_row_is_filled(tmp_path: Path):
    path = tmp_path / "report.csv"
    path.write_text(
        SALESFORCE_HEADER
        + '"Ana Lopez","Acme - Platform","Closed Won","$10,140.00"\n'
        + '"Ben Okafor","Total Foods - Renewal","Closed Won","$30,000.00"\n'
        + '"Ana Lopez","Confidential pilot","Closed Won","$20,000.00"\n',
        encoding="utf-8",
    )
    table = read_table(str(path), ReadOptions(), ALL)
    assert (table.footer_lines, len(table.cells)) == (0, 3)


def test_a_salesforce_footer_is_cut_from_its_first_line_with_the_company_name_below(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(
        SALESFORCE_HEADER
        + '"Ana Lopez","Acme - Platform","Closed Won","$10,140.00"\n'
        + '"Ben Okafor","Total Foods - Renewal","Closed Won","$50,000.00"\n'
        + '\n"Grand Totals (2 records)","","","$60,140.00"\n\n'
        + '"Confidential Information - Do Not Distribute"\n'
        + '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
        + '"Generated By:  Ana Admin  11/1/2026 10:00 AM"\n"Northwind Analytics"\n',
        encoding="utf-8",
    )
    table = read_table(str(path), ReadOptions(), ALL)
    assert (table.footer_lines, table.footer_at, len(table.cells)) == (7, 4, 2)  # lines 4-10


def test_short_rows_without_a_footer_phrase_are_not_a_footer(tmp_path: Path):
    path = tmp_path / "report.csv"
    path.write_text(
        SALESFORCE_HEADER + '"Ana Lopez","Acme","Closed Won","$1.00"\n"Ben Okafor","Hooli",,\n',
        encoding="utf-8",
    )
    table = read_table(str(path), ReadOptions(), ALL)
    assert (table.footer_lines, len(table.cells)) == (0, 2)


def test_a_system_file_is_never_quoted_in_an_error(tmp_path: Path):
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/bin/sh\n")
    link = tmp_path / "deals.csv"
    link.symlink_to(passwd)
    with pytest.raises(InputError) as exc:
        read_table(str(link), ReadOptions(), needs("Deal ID"))
    assert str(exc.value) == (
        f"{link}: not a CSV export with a header row (its first line does not read as column "
        "names); export the report again as CSV or Excel, with its header row"
    )


def test_a_missing_column_message_cuts_long_header_names(tmp_path: Path):
    from salesmetrics.ingest.load import load_input

    path = tmp_path / "deals.csv"
    path.write_text("Deal ID," + "N" * 300 + "\nD1,x\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_input(path, "hubspot_deals")
    assert "N" * 40 not in str(exc.value) and "'" + "N" * 39 + "…'" in str(exc.value)


def test_a_field_larger_than_the_csv_modules_limit_and_a_block_is_read(tmp_path: Path):
    note = "x" * (20 << 20)  # 20 MB: over pyarrow's 16 MB block and the csv module's 128 KB
    path = tmp_path / "deals.csv"
    path.write_text(f'Deal ID,Notes\nD1,"{note[:200_000]}"\nD2,"{note}"\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_table(str(path), ReadOptions(), ALL)
    assert str(exc.value) == (
        f"{path}: row 3, column 'Notes': a field of 20 MB, over the limit of 16 MB "
        "(SALESMETRICS_MAX_FIELD_BYTES); shorten it in the CRM, or raise "
        "SALESMETRICS_MAX_FIELD_BYTES"
    )


def test_a_field_up_to_the_limit_is_read(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SALESMETRICS_MAX_FIELD_BYTES", "24M")
    note = "x" * (20 << 20)
    path = tmp_path / "deals.csv"
    path.write_text(f'Deal ID,Notes\nD1,"{note[:200_000]}"\nD2,"{note}"\n', encoding="utf-8")
    table = read_table(str(path), ReadOptions(), ALL)
    assert table.cells["Notes"].str.len().tolist() == [200_000, 20 << 20]
