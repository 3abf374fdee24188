"""Encodings: line by line UTF-8 and Windows-1252, UTF-16 without a BOM (issue 14)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from salesmetrics.errors import InputError
from salesmetrics.ingest import decode
from salesmetrics.ingest.mapping import ReadOptions
from salesmetrics.ingest.read import read_table

ALL = lambda headers: None  # noqa: E731  (keep every column)
HEADER = "Deal ID,Owner,Amount\r\n"


def read(path: Path):
    return read_table(str(path), ReadOptions(), ALL)


def test_a_utf8_file_with_a_few_windows_1252_lines_is_read_line_by_line(tmp_path: Path):
    path = tmp_path / "deals.csv"
    rows = [f"D{i},Zoë,{i}\r\n".encode() for i in range(1, 9)]
    rows[2] = "D3,François,3\r\n".encode("cp1252")  # line 4
    rows[6] = "D7,Müller,7\r\n".encode("cp1252")  # line 8
    path.write_bytes(HEADER.encode() + b"".join(rows))
    table = read(path)
    owners = table.frame["Owner"].tolist()
    assert owners == ["Zoë", "Zoë", "François", "Zoë", "Zoë", "Zoë", "Müller", "Zoë"]
    assert table.encoding == "utf-8"
    assert table.notices == (
        f"{path}: 2 lines not valid UTF-8 (lines 4, 8) read as Windows-1252, the rest as "
        "UTF-8; check those rows' accents, or export the file again as UTF-8",
    )


def test_a_windows_1252_file_is_named_so_without_a_notice(tmp_path: Path):
    path = tmp_path / "deals.csv"
    path.write_bytes((HEADER + "D1,François,1\r\nD2,Ana,2\r\n").encode("cp1252"))
    table = read(path)
    assert (table.encoding, table.notices) == ("cp1252", ())
    assert table.frame["Owner"].tolist() == ["François", "Ana"]


def test_a_last_line_cut_short_in_a_character_is_not_utf8(tmp_path: Path):
    """A lone 0xC0 ends the file without a newline: 'À' in Windows-1252, never UTF-8 (the
    check by blocks once took a character still open at the end for one to be finished)."""
    path = tmp_path / "deals.csv"
    path.write_bytes((HEADER + "D1,Zoë,1\r\nD2,").encode() + b"\xc0,2")
    table = read(path)
    assert table.frame["Owner"].tolist() == ["Zoë", "À"]
    assert table.notices[0].startswith(f"{path}: 1 line not valid UTF-8 (line 3)")


def test_line_by_line_decoding_across_blocks(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(decode, "BLOCK_BYTES", 16)  # lines cut by blocks, and longer than one
    path = tmp_path / "deals.csv"
    body = "D1,Zoë Kowalczyk-Brandenburg,1\r\n".encode() + "D2,Renée,2\r\n".encode("cp1252")
    path.write_bytes(HEADER.encode() + body)
    table = read(path)
    assert table.frame["Owner"].tolist() == ["Zoë Kowalczyk-Brandenburg", "Renée"]
    assert "1 line not valid UTF-8 (line 3)" in table.notices[0]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_recognised_and_read(tmp_path: Path, encoding: str):
    path = tmp_path / "deals.csv"
    path.write_bytes((HEADER + "D1,Zoë,1\r\nD2,Ana,2\r\n").encode(encoding))
    table = read(path)
    assert table.encoding == encoding
    assert table.frame["Owner"].tolist() == ["Zoë", "Ana"]


def test_the_numpy_utf8_check_finds_the_lines_python_cannot_decode():
    pieces = [b"a", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xe9", b"\x80", b"\xc3"]
    pieces += [b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xff"]
    chance = random.Random(14)
    for _ in range(200):
        lines = [b"".join(chance.choices(pieces, k=chance.randint(0, 5))) for _ in range(8)]
        data = b"\n".join(lines)
        expected = set()
        for i, line in enumerate(lines):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                expected.add(i)
        array = np.frombuffer(data, dtype=np.uint8)
        found = np.searchsorted(np.flatnonzero(array == 0x0A), decode._invalid_utf8(array))
        assert set(found.tolist()) == expected, lines


def test_binary_data_is_still_refused(tmp_path: Path):
    path = tmp_path / "junk.csv"
    path.write_bytes(random.Random(1).randbytes(4096))
    with pytest.raises(InputError, match="this is not a text CSV file"):
        read(path)
