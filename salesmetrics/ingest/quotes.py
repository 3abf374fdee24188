"""Quotes that open a CSV field and never close it.

A quoted field may hold line breaks (a long note), so a parser that meets an opening quote
takes every line up to the closing one into that field. When the quote never closes, the rest
of the file, or the lines up to some later quote, fall into one field and their rows are lost
without a word. The rule here: a quoted field that reaches the end of the file, or that spans
more than `limits.FIELD_LINES` lines (default 100), was never closed. The line that opens it is
set aside as a rejected row ("quote opened in row 901 never closed") and the lines after it
are read as rows of their own.

Which lines lie inside a quoted field is told from the parity of the quote characters before
each line's end (an escaped quote is doubled, so it keeps the parity): a run of lines that end
inside quotes is a multi-line field. A line whose odd quote does not open a field (`27" screen`
in an unquoted cell, which the parser keeps as it is) is checked by reading that line alone,
and then does not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CHUNK_BYTES = 1 << 24
MAX_UNCLOSED = 1000  # lines checked before the file is taken as not quoted at all


@dataclass(frozen=True)
class Unclosed:
    kept: bytes  # the data without the lines that open a quote never closed
    rows: np.ndarray  # the row number of each such line, as the rows of the data count
    lines: list[str]  # each such line's text


def odd_quotes(data: pa.Buffer) -> bool:
    """Whether the data holds an odd number of quote characters: some quote never closes, or
    one stands in an unquoted cell."""
    return bool(_count(data, 0x22) % 2)


def long_fields(values: pa.Array | pa.ChunkedArray, max_lines: int) -> bool:
    """Whether a value holds more than `max_lines` line breaks (only values longer than that
    are searched)."""
    longer = pc.filter(values, pc.greater(pc.binary_length(values), max_lines))
    if not len(longer):
        return False
    return bool(pc.max(pc.count_substring(longer, "\n")).as_py() > max_lines)


def unclosed(data: pa.Buffer, delimiter: str, header_row: int, max_lines: int) -> Unclosed | None:
    """The lines below the header (`header_row`, 1-based) that open a quote never closed,
    taken out of `data`; None when there are none."""
    newlines, quotes_per_line = _line_quotes(data)
    odd = quotes_per_line % 2 == 1
    odd[:header_row] = False  # title rows and the header are not data
    found: list[int] = []
    view = memoryview(data)
    for _ in range(MAX_UNCLOSED):
        opening = _first_unclosed(odd, max_lines)
        if opening is None:
            break
        odd[opening] = False  # read on as if the line were gone, or its quote were text
        line = _line(view, newlines, opening)
        if _opens_field(line, delimiter):
            found.append(opening)
    if not found:
        return None
    inside = np.cumsum(odd) % 2 == 1  # each line's end is inside a quoted field
    ends = np.append(newlines, len(data))
    starts = np.concatenate([[0], newlines + 1])
    lengths = ends - starts
    blank = (lengths == 0) | ((lengths == 1) & _is_cr(view, starts))  # "" or "\r"
    begins = np.concatenate([[True], ~inside[:-1]]) & ~blank  # a line that starts a row
    rows = np.cumsum(begins)  # the row number of each line (the 1st row is row 1)
    at = np.array(found, dtype=np.int64)
    pieces, last = [], 0
    for line_no in sorted(found):  # one slice per line taken out, never per row
        pieces.append(bytes(view[last : starts[line_no]]))
        last = int(ends[line_no]) + 1
    pieces.append(bytes(view[last:]))
    return Unclosed(
        b"".join(pieces),
        rows[np.sort(at)],
        [_line(view, newlines, i).rstrip("\r") for i in sorted(found)],
    )


def _line_quotes(data: pa.Buffer) -> tuple[np.ndarray, np.ndarray]:
    """Where each line ends, and how many quote characters each line holds, a chunk at a time
    so that no array as large as the data is built."""
    whole = np.frombuffer(data, dtype=np.uint8)
    ends = [np.flatnonzero(whole[i : i + CHUNK_BYTES] == 0x0A) + i for i in _chunks(len(whole))]
    newlines = np.concatenate(ends) if ends else np.array([], dtype=np.int64)
    counts = np.zeros(len(newlines) + 1, dtype=np.int64)
    for i in _chunks(len(whole)):
        at = np.flatnonzero(whole[i : i + CHUNK_BYTES] == 0x22) + i
        counts += np.bincount(np.searchsorted(newlines, at), minlength=len(counts))
    return newlines, counts


def _chunks(size: int) -> range:
    return range(0, size, CHUNK_BYTES)


def _first_unclosed(odd: np.ndarray, max_lines: int) -> int | None:
    """The first line that opens a run of lines inside a quoted field that spans more than
    `max_lines` lines or reaches the end."""
    inside = np.cumsum(odd) % 2 == 1
    if not inside.any():
        return None
    changes = np.flatnonzero(np.diff(np.concatenate([[0], inside.astype(np.int8), [0]])))
    starts, stops = changes[0::2], changes[1::2]  # runs [start, stop) of lines inside
    spans = stops - starts + 1  # with the line that closes the field
    too_long = (spans > max_lines) | (stops >= len(inside))
    return int(starts[too_long][0]) if too_long.any() else None


def _line(view: memoryview, newlines: np.ndarray, i: int) -> str:
    start = int(newlines[i - 1]) + 1 if i else 0
    end = int(newlines[i]) if i < len(newlines) else len(view)
    return bytes(view[start:end]).decode("utf-8", "replace")


def _opens_field(line: str, delimiter: str) -> bool:
    """Whether a line alone leaves a quoted field open: once its closed quoted fields are
    taken out, a field still starts with a quote."""
    d = re.escape(delimiter)
    closed = re.sub(rf'(^|{d})\s*"(?:[^"]|"")*"', r"\1", line)
    return re.search(rf'(^|{d})\s*"', closed) is not None


def _is_cr(view: memoryview, starts: np.ndarray) -> np.ndarray:
    whole = np.frombuffer(view, dtype=np.uint8)
    return whole[np.minimum(starts, max(len(whole) - 1, 0))] == 0x0D


def newlines(data: pa.Buffer) -> int:
    """The line breaks in the data."""
    return _count(data, 0x0A)


def _count(data: pa.Buffer, byte: int) -> int:
    """How often `byte` is in the data, a chunk at a time."""
    whole = np.frombuffer(data, dtype=np.uint8)
    return sum(
        int(np.count_nonzero(whole[i : i + CHUNK_BYTES] == byte)) for i in _chunks(len(whole))
    )
