"""Excel workbooks written by openpyxl for the reading tests: real typed cells, as Excel saves."""

from __future__ import annotations

import struct
import zipfile
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


def rewrite_part(path: Path, name: str, change) -> Path:
    """The workbook at `path` with its part `name` replaced by `change(old bytes)`, the other
    parts copied as they are (a way to write what openpyxl does not: cached formula values,
    padding, a namespace prefix)."""
    with zipfile.ZipFile(path) as old:
        parts = [(info, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info, data in parts:
            new.writestr(info, change(data) if info.filename == name else data)
    return path


def padded_part(path: Path, name: str, inflated: int, level: int = 1) -> Path:
    """The workbook with `inflated` bytes of blanks added before the end of part `name`
    (deflated as it streams, never held whole): a zip bomb whose XML still parses."""
    with zipfile.ZipFile(path) as old:
        parts = [(info, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as new:
        for info, data in parts:
            if info.filename != name:
                new.writestr(info, data)
                continue
            end = data.rindex(b"</")
            with new.open(name, "w", force_zip64=True) as part:
                part.write(data[:end])
                block = b" " * (1 << 20)
                for _ in range(inflated // len(block)):
                    part.write(block)
                part.write(b" " * (inflated % len(block)) + data[end:])
    return path


def ole_file(streams: Sequence[str]) -> bytes:
    """A minimal OLE compound file (version 3, 512-byte sectors) whose directory lists these
    empty streams under its root (up to three, one directory sector): a password-protected
    workbook holds `EncryptionInfo` and `EncryptedPackage` (MS-OFFCRYPTO)."""
    assert len(streams) <= 3
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # version, order, sizes
    struct.pack_into("<II", header, 44, 1, 1)  # one FAT sector; the directory in sector 1
    struct.pack_into("<IIIII", header, 56, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)  # no mini FAT
    header[76:] = b"\xff" * 436
    struct.pack_into("<I", header, 76, 0)  # the FAT is sector 0
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<II", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE)  # FAT sector; directory's end
    directory = bytearray(512)
    names = ["Root Entry", *streams]
    for i, name in enumerate(names):
        raw = (name + "\0").encode("utf-16-le")
        entry = 128 * i
        directory[entry : entry + len(raw)] = raw
        kind = 5 if i == 0 else 2  # root storage, stream
        sibling = i + 1 if 0 < i < len(names) - 1 else 0xFFFFFFFF
        child = 1 if i == 0 and streams else 0xFFFFFFFF
        struct.pack_into("<HBB", directory, entry + 64, len(raw), kind, 1)
        struct.pack_into("<III", directory, entry + 68, 0xFFFFFFFF, sibling, child)
        struct.pack_into("<II", directory, entry + 116, 0xFFFFFFFE, 0)
    return bytes(header + fat + directory)
