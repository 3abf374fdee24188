"""What an Excel file is before a sheet of it is read: its container checked, its sheets listed.

fastexcel (calamine) inflates whatever a workbook holds, so the zip archive's own list of
parts is checked against the limits first; a password-protected workbook, a damaged one and a
web page saved with an Excel name are named as such instead of "cannot detect file format".
The first *visible worksheet* is the one read when the mapping names none (a hidden lookup
sheet or a chart may come first), and formulas saved without their values, which every reader
takes as blank, are counted from the sheet's XML as it streams by.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from salesmetrics import limits
from salesmetrics.errors import InputError
from salesmetrics.ingest.mapping import fold

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SNIFF_BYTES = 64 * 1024
CHUNK_BYTES = 1 << 24
# An encrypted OOXML workbook is an OLE file holding this stream (MS-OFFCRYPTO 2.3.4.4); the
# name sits at the start of a 128-byte directory entry, in UTF-16, with its length after it.
_ENCRYPTED = "EncryptedPackage\0".encode("utf-16-le")
# The parts calamine inflates when it opens an .xlsx, besides the ones read here whole (the
# workbook part and relationships) and the sheet it reads (scanned for formulas)
EAGER_PARTS = ("xl/sharedStrings.xml", "xl/styles.xml")
_EOCD = b"PK\x05\x06"  # the end of a zip's central directory, which counts its parts
_MAIN = "/spreadsheetml/2006/main"
_KINDS = {"worksheet": "worksheet", "chartsheet": "chart", "dialogsheet": "dialog"}
_PASSWORD_FIX = "remove the password (File > Info > Protect Workbook) and export again"


@dataclass(frozen=True)
class SheetInfo:
    name: str
    kind: str  # worksheet, chart, dialog or macro
    visible: bool
    part: str | None = None  # an .xlsx's zip part holding the sheet's XML


def content_kind(head: bytes) -> str:
    """What the first bytes say a file is: `zip` (xlsx, xlsm, xlsb, ods), `ole` (xls, or an
    encrypted workbook), `markup` (a web page or XML spreadsheet), `text` or `binary`."""
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    head = head[:SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        stripped = head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", "replace")
    elif b"\x00" in head:
        return "binary"
    else:
        stripped = head.decode("utf-8", "replace")
    return "markup" if stripped.lstrip("\ufeff \t\r\n").startswith("<") else "text"


class Workbook:
    """An Excel file's bytes, checked: its parts within the limits (an .xlsx's sheets listed
    from its workbook part), or an .xls that is not encrypted."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.archive: zipfile.ZipFile | None = None
        self.sheets: list[SheetInfo] | None = None  # None: ask calamine (.xls, .xlsb, .ods)
        kind = content_kind(data)
        if kind == "zip":
            self.archive = _checked_archive(path, data)
            self.sheets = _xlsx_sheets(path, self.archive)
            if self.sheets is not None:
                _read_through(path, self.archive, EAGER_PARTS)
        elif kind == "ole":
            if _encrypted(data):
                raise InputError(f"{path}: the workbook is password-protected: {_PASSWORD_FIX}")
        elif kind == "markup":
            raise InputError(
                f"{path}: this is a web page or XML file with an Excel name, not a workbook; "
                "open it in Excel and save it as .xlsx, or export the data as CSV"
            )
        else:
            raise InputError(
                f"{path}: not an Excel workbook (its content is neither a workbook nor text); "
                "export it again as .xlsx or CSV"
            )

    def uncached_formulas(self, sheet: SheetInfo) -> tuple[np.ndarray, np.ndarray]:
        """The 0-based columns and 1-based rows of the sheet's formula cells saved without a
        value (openpyxl and some exporters write formulas only, leaving the calculation to
        Excel); none for a sheet whose XML is not an .xlsx part. Reading the part through
        zipfile also checks that it inflates to the size the archive declares."""
        if self.archive is None or sheet.part is None:
            return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
        columns: list[bytes] = []
        rows: list[bytes] = []
        try:
            with self.archive.open(sheet.part) as part:
                carry = b""
                while block := part.read(CHUNK_BYTES):
                    block = carry + block
                    cut = block.rfind(b"row>") + 4  # scan whole rows; keep the rest for later
                    carry = block[cut:]
                    if block.find(b"<f", 0, cut) >= 0 or block.find(b":f", 0, cut) >= 0:
                        found = _UNCACHED.findall(block, 0, cut)
                        columns.extend(column for column, _ in found)
                        rows.extend(row for _, row in found)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise _damaged(self.path, exc) from None
        numbers = np.array(rows or [b"0"], dtype="S7")[: len(rows)]
        numbers[numbers == b""] = b"0"  # a cell without a reference
        return _column_numbers(columns), numbers.astype(np.int64)


def _checked_archive(path: str, data: bytes) -> zipfile.ZipFile:
    """The zip archive, once its parts are counted and their inflated sizes are within the
    limits, and the parts calamine inflates up front are read to check they hold no more."""
    declared = _declared_parts(data)
    if declared is not None and declared > limits.WORKBOOK_PARTS.value():
        raise _too_many(path, declared)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise _damaged(path, exc) from None
    if len(infos) > limits.WORKBOOK_PARTS.value():
        raise _too_many(path, len(infos))
    most, ratio = limits.WORKBOOK_BYTES.value(), limits.WORKBOOK_RATIO.value()
    total = 0
    for info in infos:
        total += info.file_size
        if total > most:
            raise InputError(
                f"{path}: part {info.filename!r} takes the workbook over "
                f"{limits.size(total)} once inflated, above the limit of "
                f"{limits.WORKBOOK_BYTES.shown()}; refused unread (a file this large "
                "inflated is likely a zip bomb; raise the limit if you trust it)"
            )
        stored = max(info.compress_size, 1)
        if info.file_size > limits.RATIO_GRACE_BYTES and info.file_size > stored * ratio:
            raise InputError(
                f"{path}: part {info.filename!r} inflates {info.file_size // stored:,} times "
                f"(to {limits.size(info.file_size)}), above the limit of "
                f"{limits.WORKBOOK_RATIO.shown()}; refused unread (likely a zip bomb; "
                "raise the limit if you trust it)"
            )
    return archive


def _read_through(path: str, archive: zipfile.ZipFile, names: tuple[str, ...]) -> None:
    """Inflate these parts block by block and let them go: zipfile stops at the size the
    archive declares and then checks the part's CRC, so a part that holds more is damage
    (calamine would inflate it whole)."""
    present = set(archive.namelist())
    try:
        for name in names:
            if name in present:
                with archive.open(name) as part:
                    while part.read(CHUNK_BYTES):
                        pass
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise _damaged(path, exc) from None


def _declared_parts(data: bytes) -> int | None:
    """The number of parts the archive's end record declares, read before the list itself
    (which costs memory per part); None when the record is not found or is zip64's."""
    end = data.rfind(_EOCD, max(0, len(data) - (1 << 16) - 22))
    if end < 0 or end + 12 > len(data):
        return None
    (count,) = struct.unpack_from("<H", data, end + 10)
    return None if count == 0xFFFF else count


def _too_many(path: str, count: int) -> InputError:
    return InputError(
        f"{path}: the workbook has {count:,} parts, above the limit of "
        f"{limits.WORKBOOK_PARTS.shown()}; refused unread"
    )


def _damaged(path: str, exc: BaseException) -> InputError:
    cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputError(f"{path}: the workbook is damaged or cut short ({cause}); export it again")


def _encrypted(data: bytes) -> bool:
    """Whether an OLE file holds an `EncryptedPackage` stream: its name starting a directory
    entry (a multiple of 128 bytes past the 512-byte header) with its length beside it."""
    start = data.find(_ENCRYPTED)
    while start >= 0:
        if (start - 512) % 128 == 0 and data[start + 64 : start + 66] == b"\x22\x00":
            return True
        start = data.find(_ENCRYPTED, start + 1)
    return False


_TAG = re.compile(rb"<(?:\w+:)?(\w+)\b([^>]*)>")
_ATTR = re.compile(rb"([\w:]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def _tags(xml: bytes, name: str) -> list[dict[str, str]]:
    """The attributes of every `name` element (any namespace prefix), prefixes dropped."""
    found = []
    for tag, attrs in _TAG.findall(xml):
        if tag.decode() == name:
            found.append(
                {
                    key.decode().rpartition(":")[2]: html.unescape((a or b).decode("utf-8"))
                    for key, a, b in _ATTR.findall(attrs)
                }
            )
    return found


def _xlsx_sheets(path: str, archive: zipfile.ZipFile) -> list[SheetInfo] | None:
    """The sheets of an .xlsx or .xlsm, in the workbook's order, from its workbook part and
    its relationships; None for another zip (an .xlsb or .ods), left to calamine."""
    names = set(archive.namelist())
    book = "xl/workbook.xml"
    if "_rels/.rels" in names:
        for rel in _tags(_small_part(path, archive, "_rels/.rels"), "Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                book = rel.get("Target", book).lstrip("/")
    if book not in names:
        return None
    folder = posixpath.dirname(book)
    rels_name = posixpath.join(folder, "_rels", posixpath.basename(book) + ".rels")
    targets = {}
    if rels_name in names:
        for rel in _tags(_small_part(path, archive, rels_name), "Relationship"):
            target = rel.get("Target", "")
            full = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            kind = rel.get("Type", "").rpartition("/")[2]
            targets[rel.get("Id", "")] = (posixpath.normpath(full), _KINDS.get(kind, "macro"))
    xml = _small_part(path, archive, book)
    if _MAIN.encode() not in xml and b"spreadsheetml" not in xml:
        return None
    sheets = []
    for sheet in _tags(xml, "sheet"):
        part, kind = targets.get(sheet.get("id", ""), (None, "worksheet"))
        sheets.append(
            SheetInfo(
                sheet.get("name", ""),
                kind,
                sheet.get("state", "visible") == "visible",
                part if part in names else None,
            )
        )
    return sheets


def _small_part(path: str, archive: zipfile.ZipFile, name: str) -> bytes:
    """A part that lists sheets or relationships, read whole (the limits bound its size)."""
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise _damaged(path, exc) from None


def calamine_sheets(book) -> list[SheetInfo]:
    """The sheets as python-calamine lists them (for the formats other than .xlsx)."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    kinds = (
        (SheetTypeEnum.WorkSheet, "worksheet"),
        (SheetTypeEnum.ChartSheet, "chart"),
        (SheetTypeEnum.DialogSheet, "dialog"),
    )  # the enums cannot be dict keys
    return [
        SheetInfo(
            m.name,
            next((kind for typ, kind in kinds if m.typ == typ), "macro"),
            m.visible == SheetVisibleEnum.Visible,
        )
        for m in book.sheets_metadata
    ]


def choose_sheet(
    path: str, sheets: list[SheetInfo], ref: str | int | None
) -> tuple[SheetInfo, str | None]:
    """The sheet the mapping names, by 0-based index or by name ignoring case; when it names
    none, the first visible worksheet, with a line that says which when there are several."""
    names = ", ".join(s.name for s in sheets)
    if isinstance(ref, int):
        if not 0 <= ref < len(sheets):
            raise InputError(f"{path}: there is no sheet number {ref} (0-based); sheets: {names}")
        return sheets[ref], None
    if ref is not None:
        matches = [s for s in sheets if fold(s.name) == fold(ref)]
        if not matches:
            raise InputError(
                f"{path}: no sheet named {ref!r}; sheets: {names}; set read.sheet in the mapping"
            )
        return matches[0], None
    if not sheets:
        raise InputError(f"{path}: the workbook has no sheets")
    worksheets = [s for s in sheets if s.kind == "worksheet"]
    visible = [s for s in worksheets if s.visible]
    if not worksheets:
        raise InputError(
            f"{path}: the workbook has no worksheet (only {_described(sheets)}); "
            "export the data as a worksheet or CSV"
        )
    chosen = (visible or worksheets)[0]
    if len(sheets) == 1:
        return chosen, None
    skipped = sheets[: sheets.index(chosen)]
    which = "the first visible worksheet" if visible else "the first worksheet (all are hidden)"
    said = f"; skipped {_described(skipped)}" if skipped else ""
    return chosen, (
        f"{path}: read sheet {chosen.name!r}, {which} of {len(sheets)} sheets{said}; "
        "set read.sheet in the mapping to read another"
    )


def _described(sheets: list[SheetInfo]) -> str:
    """`hidden sheet 'Lookup', chart sheet 'Chart1'`."""
    words = []
    for sheet in sheets:
        kind = "sheet" if sheet.kind == "worksheet" else f"{sheet.kind} sheet"
        words.append(f"{kind if sheet.visible else 'hidden ' + kind} {sheet.name!r}")
    return ", ".join(words)


def _column_numbers(letters: list[bytes]) -> np.ndarray:
    """0-based column numbers of `A`, `B`, ..., `AA` (-1 for a cell without a reference),
    worked out once per distinct column."""
    if not letters:
        return np.array([], dtype=np.int64)
    distinct, codes = np.unique(np.array(letters, dtype=object), return_inverse=True)
    numbers = []
    for word in distinct:
        number = 0
        for byte in word:
            number = number * 26 + byte - 64
        numbers.append(number - 1)
    return np.array(numbers, dtype=np.int64)[codes]


# A cell (`<c>`, any namespace prefix) whose only content is a formula, or a formula and an
# empty value, unless it is typed as text (an empty text is a saved value): its column letters
# and row number, when it has a reference.
_P = rb"<(?:\w+:)?"
_END = rb"</(?:\w+:)?"
_UNCACHED = re.compile(
    _P
    + rb'c\b(?![^>]*\bt\s*=\s*["\']str)(?:[^>]*?\br\s*=\s*["\']([A-Z]{1,3})(\d+))?[^>]*>\s*'
    + _P
    + rb"f\b(?:[^>]*/>|[^>]*>[^<]*"
    + _END
    + rb"f>)\s*"
    + rb"(?:"
    + _P
    + rb"v\s*/>|"
    + _P
    + rb"v>\s*"
    + _END
    + rb"v>)?\s*"
    + _END
    + rb"c>"
)
