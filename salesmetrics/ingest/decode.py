"""A CSV's bytes as UTF-8, whatever encoding the CRM wrote them in.

Arrow parses UTF-8 only, so a file in another encoding is recoded block by block into a
scratch file, never held whole. With `encoding: auto`, a UTF-8 file (BOM or not) is used as it
is; a UTF-16 file is recognised by its BOM, or without one by the NUL bytes its ASCII characters
leave on every other byte; anything else is decoded line by line: UTF-8 where a line is valid
UTF-8, Windows-1252 where it is not. A file with both kinds of lines says which lines were
Windows-1252, since a few such lines in a UTF-8 file are usually rows pasted from elsewhere.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.errors import InputError

SNIFF_BYTES = 256 * 1024  # what is read of a file to tell its encoding, delimiter and header
BLOCK_BYTES = 1 << 24  # what is recoded at a time
SHOWN_LINES = 5  # line numbers a notice lists
_LINE = pa.scalar(b"\n", pa.large_binary())


def _latin1_for_undefined(error: UnicodeError) -> tuple[str, int]:
    """The five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D), read as
    Latin-1 control characters, as Windows itself reads them, instead of failing the file."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("salesmetrics-latin1", _latin1_for_undefined)


@dataclass(frozen=True)
class Utf8File:
    """A file whose bytes from `start` (past a BOM) are UTF-8: the input itself, or its recoding."""

    file: Path
    start: int
    sha256: str  # of the input's bytes as they came (decompressed), the same for every encoding
    encoding: str  # as the input was read: utf-8, cp1252, utf-16-le, or the mapping's encoding
    notices: tuple[str, ...] = ()


def to_utf8(path: str, local: Path, encoding: str, scratch: Path) -> Utf8File:
    """`local` (the input's bytes, `path` as the user named it) as UTF-8, read in `encoding`
    (`auto`: found as the module says); recoded files go into `scratch`."""
    with open(local, "rb") as handle:
        first = handle.read(SNIFF_BYTES)
        handle.seek(0)
        sha, valid = hash_and_check_utf8(handle)
    auto = encoding == "auto"
    if auto:
        chosen = _auto_encoding(path, first)
    else:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"{path}: unknown encoding {encoding!r} in the mapping") from None
        chosen = encoding
    target = scratch / f"utf8-{len(list(scratch.iterdir()))}"
    if codecs.lookup(chosen).name not in ("utf-8", "utf-8-sig"):
        _recode(path, local, chosen, target)
        return Utf8File(target, 0, sha, chosen)
    start = len(codecs.BOM_UTF8) if first.startswith(codecs.BOM_UTF8) else 0
    if valid:
        return Utf8File(local, start, sha, chosen)
    return _recode_lines(path, local, start, sha, target)


def _auto_encoding(path: str, first: bytes) -> str:
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in first:
        order = utf16_order(first)
        if order is None:
            raise InputError(
                f"{path}: this is not a text CSV file (it holds binary data); "
                "export it as CSV or Excel"
            )
        return order
    return "utf-8"


def utf16_order(head: bytes) -> str | None:
    """`utf-16-le` or `utf-16-be` for UTF-16 without a BOM: the high byte of every ASCII
    character is NUL, so NULs fill one half of the byte positions and almost none of the other;
    None for anything else (binary data)."""
    sample = np.frombuffer(head[: min(len(head), 1 << 16) // 2 * 2], dtype=np.uint8)
    if len(sample) < 4:
        return None
    even, odd = (sample[0::2] == 0).mean(), (sample[1::2] == 0).mean()
    if odd >= 0.5 and even <= 0.02:
        return "utf-16-le"
    if even >= 0.5 and odd <= 0.02:
        return "utf-16-be"
    return None


def _recode(path: str, local: Path, encoding: str, target: Path) -> None:
    """`local` decoded from `encoding` block by block into `target` as UTF-8."""
    undefined = "salesmetrics-latin1" if codecs.lookup(encoding).name == "cp1252" else "strict"
    decoder = codecs.getincrementaldecoder(encoding)(errors=undefined)
    offset = 0
    try:
        with open(local, "rb") as source, open(target, "wb") as out:
            while block := source.read(BLOCK_BYTES):
                out.write(decoder.decode(block).encode("utf-8", "surrogatepass"))
                offset += len(block)
            out.write(decoder.decode(b"", final=True).encode("utf-8", "surrogatepass"))
    except UnicodeDecodeError as exc:
        at = max(0, offset + exc.start)
        raise InputError(
            f"{path}: not valid {encoding} at byte {at:,}; set read.encoding in the mapping "
            "to the file's encoding, or leave it out to have it detected"
        ) from None


def _recode_lines(path: str, local: Path, start: int, sha: str, target: Path) -> Utf8File:
    """A file that is not all UTF-8, decoded line by line into `target`: Windows-1252 for the
    lines that are not valid UTF-8. Named `cp1252` when no line holds UTF-8 beyond ASCII (the
    whole file is Windows-1252), else `utf-8` with a notice listing the other lines."""
    lines_before = 0
    bad_count = 0
    shown: list[int] = []
    utf8_lines = False
    with open(local, "rb") as source, open(target, "wb") as out:
        source.seek(start)
        carry = b""
        while True:
            block = source.read(BLOCK_BYTES)
            data = carry + block
            cut = data.rfind(b"\n") + 1 if block else len(data)
            if block and not cut:
                carry = data  # one line longer than a block: read on to its end
                continue
            piece, carry = data[:cut], data[cut:]
            text, bad, nonascii = _decode_piece(piece)
            out.write(text)
            bad_count += len(bad)
            shown += (bad[: SHOWN_LINES - len(shown)] + lines_before + 1).tolist()
            utf8_lines = utf8_lines or nonascii
            lines_before += piece.count(b"\n")
            if not block:
                break
    if not utf8_lines:
        return Utf8File(target, 0, sha, "cp1252")
    lines = ", ".join(str(n) for n in shown) + (" …" if bad_count > len(shown) else "")
    notice = (
        f"{path}: {bad_count} line{'s' if bad_count > 1 else ''} not valid UTF-8 "
        f"({'line' if bad_count == 1 else 'lines'} {lines}) read as Windows-1252, the rest "
        "as UTF-8; check those rows' accents, or export the file again as UTF-8"
    )
    return Utf8File(target, 0, sha, "utf-8", (notice,))


def _decode_piece(piece: bytes) -> tuple[bytes, np.ndarray, bool]:
    """Whole lines as UTF-8: each line as it is where it is valid UTF-8, else from
    Windows-1252. Also the 0-based numbers of the lines recoded, and whether a valid line holds
    a character beyond ASCII (which a Windows-1252 file's lines never do)."""
    data = np.frombuffer(piece, dtype=np.uint8)
    newlines = np.flatnonzero(data == 0x0A)
    bad = np.unique(np.searchsorted(newlines, _invalid_utf8(data)))
    nonascii = np.unique(np.searchsorted(newlines, np.flatnonzero(data >= 0x80)))
    utf8_lines = bool(len(np.setdiff1d(nonascii, bad, assume_unique=True)))
    if not len(bad):
        return piece, bad, utf8_lines
    if not utf8_lines:  # every line beyond ASCII is Windows-1252: the piece is
        return _cp1252(piece), bad, False
    lines = pc.split_pattern(pa.array([piece], pa.large_binary()), _LINE.as_py()).flatten()
    recode = np.zeros(len(lines), dtype=bool)
    recode[bad] = True
    recoded = pc.split_pattern(
        pa.array([_cp1252(_joined(lines.filter(pa.array(recode))))], pa.large_binary()),
        _LINE.as_py(),
    ).flatten()
    order = np.empty(len(lines), dtype=np.int64)  # where each line is in kept + recoded
    order[~recode] = np.arange(int((~recode).sum()))
    order[recode] = (~recode).sum() + np.arange(len(bad))
    together = pa.concat_arrays([lines.filter(pa.array(~recode)), recoded]).take(order)
    return _joined(together), bad, True


def _joined(lines: pa.Array) -> bytes:
    """Lines joined by newlines into one bytes object, in Arrow."""
    whole = pa.LargeListArray.from_arrays(pa.array([0, len(lines)], pa.int64()), lines)
    return pc.binary_join(whole, _LINE)[0].as_py()


def _cp1252(data: bytes) -> bytes:
    return data.decode("cp1252", "salesmetrics-latin1").encode("utf-8")


def _invalid_utf8(data: np.ndarray) -> np.ndarray:
    """Positions of bytes that break UTF-8 (a bad lead byte, a character cut short or too long,
    a stray continuation byte), found at once in numpy: one per fault, at or next to it, on
    the line the fault is on."""
    size = np.zeros(len(data), dtype=np.int64)  # bytes a lead byte says its character has
    size[data < 0x80] = 1
    size[(data >= 0xC2) & (data <= 0xDF)] = 2
    size[(data >= 0xE0) & (data <= 0xEF)] = 3
    size[(data >= 0xF0) & (data <= 0xF4)] = 4
    continuation = (data & 0xC0) == 0x80
    leads = np.flatnonzero(~continuation)
    following = np.append(leads[1:], len(data)) - leads - 1  # continuation bytes after each
    want = size[leads] - 1
    faults = [
        leads[(want < 0) | (following < want)],  # a bad lead, or a character cut short
        (leads + np.maximum(want, 0) + 1)[(want >= 0) & (following > want)],  # stray bytes
    ]
    if len(data) and continuation[0]:
        faults.append(np.array([0]))
    second = np.minimum(leads + 1, len(data) - 1)
    lead, next_byte = data[leads], data[second]
    faults.append(  # overlong forms, UTF-16 surrogates and code points above U+10FFFF
        leads[
            (following >= 1)
            & (
                ((lead == 0xE0) & (next_byte < 0xA0))
                | ((lead == 0xED) & (next_byte > 0x9F))
                | ((lead == 0xF0) & (next_byte < 0x90))
                | ((lead == 0xF4) & (next_byte > 0x8F))
            )
        ]
    )
    return np.sort(np.concatenate(faults))


def decode_head(path: str, data: bytes, encoding: str) -> tuple[str, bytes, str]:
    """The encoding of a file's first bytes `data` (as `to_utf8` would choose it), those bytes
    as UTF-8, and their text: for recognising a file from its head alone."""
    if encoding == "auto":
        encoding = _auto_encoding(path, data)
    name = codecs.lookup(encoding).name if _known(encoding) else None
    if name is None:
        raise InputError(f"{path}: unknown encoding {encoding!r} in the mapping")
    if name in ("utf-8", "utf-8-sig"):
        data = data.removeprefix(codecs.BOM_UTF8)
        cut = _utf8_prefix(data)
        if not _valid_utf8(memoryview(data)[:cut]):
            data, _, utf8_lines = _decode_piece(data)
            encoding = encoding if utf8_lines else "cp1252"
    else:
        undefined = "salesmetrics-latin1" if name == "cp1252" else "replace"
        decoder = codecs.getincrementaldecoder(encoding)(errors=undefined)
        data = decoder.decode(data).encode("utf-8", "surrogatepass")
    return encoding, data, data[:SNIFF_BYTES].decode("utf-8", errors="replace")


def _known(encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


def hash_and_check_utf8(handle, block_size: int = BLOCK_BYTES) -> tuple[str, bool]:
    """The SHA-256 of a file and whether it is UTF-8, in one pass of 16 MiB blocks."""
    sha = hashlib.sha256()
    utf8 = True
    carry = b""
    while block := handle.read(block_size):
        sha.update(block)
        if utf8:
            block = carry + block
            cut = _utf8_prefix(block)
            utf8 = _valid_utf8(memoryview(block)[:cut])
            carry = block[cut:]
    return sha.hexdigest(), utf8 and not carry  # a character cut short by the end of the file


def _valid_utf8(data: memoryview) -> bool:
    """Arrow's UTF-8 check, in place: decoding would build a str as large as the data."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        whole.cast(pa.large_string())  # the cast validates
    except pa.ArrowInvalid:
        return False
    return True


def _utf8_prefix(data: bytes) -> int:
    """The length of `data` less a multi-byte character its end cuts off (its lead byte and up
    to two continuation bytes), so that blocks of a file can be checked one by one."""
    for back in range(1, min(3, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # not a continuation byte: ASCII or a lead byte
            size = 2 if 0xC0 <= byte < 0xE0 else 3 if 0xE0 <= byte < 0xF0 else 4
            return len(data) - back if byte >= 0xC0 and size > back else len(data)
    return len(data)
