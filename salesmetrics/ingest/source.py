"""Where an input's bytes come from: a regular file, a pipe or standard input, maybe gzipped.

Reading needs a file it can look into more than once (to tell the encoding and the delimiter,
to find the header and a footer, then to parse). A regular file is that already. Standard
input, a named pipe or a process substitution (`<(cat deals.csv)`) can be read only once, and a
`.gz` file is compressed: each is copied block by block, decompressed, into a scratch file, up
to `limits.INPUT_BYTES`, so that nothing is lost to a first look and nothing is held whole in
memory. Devices, sockets and folders are refused: `/dev/zero` or `/dev/urandom` never ends.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import sys
import tempfile
import zlib
from pathlib import Path
from typing import BinaryIO

from salesmetrics import limits
from salesmetrics.errors import InputError
from salesmetrics.ingest.decode import SNIFF_BYTES, utf16_order

GZIP_MAGIC = b"\x1f\x8b"
EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # xlsx (zip), xls (OLE)
COPY_BYTES = 1 << 20


def local_file(path: str, scratch: Path, *, text: bool) -> Path:
    """A regular, uncompressed file holding the input's bytes: the file `path` itself, or a
    copy in `scratch` of standard input (`-`), a pipe, or a gzip file's content. `text`: the
    input must be text unless it is a workbook (the mapping reads it with `encoding: auto`),
    so that a stream of binary data is refused from its first block."""
    if path == "-":
        return _copy(path, sys.stdin.buffer, scratch, text, "read from standard input")
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISREG(mode):
            with open(path, "rb") as handle:
                if not (path.lower().endswith(".gz") or handle.read(2) == GZIP_MAGIC):
                    return Path(path)
                handle.seek(0)
                return _copy(path, handle, scratch, text, "once decompressed")
        if stat.S_ISFIFO(mode):
            return kept_pipe(path, text=text)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    raise InputError(
        f"{path}: not a regular file, pipe or standard input; give the path of the CSV or "
        "Excel export itself"
    )


_PIPES: dict[str, Path] = {}  # each pipe read in this run, by its path, and its copy
_SHELF: list[tempfile.TemporaryDirectory] = []  # where those copies are, removed at exit


def kept_pipe(path: str, *, text: bool = True) -> Path:
    """The copy of a named pipe or process substitution (`<(cat deals.csv)`), made on the first
    look, so that recognising the file from its header and reading it see the same bytes: a
    pipe can be read only once. Other paths are returned as they are."""
    if path in _PIPES:
        return _PIPES[path]
    try:
        if not stat.S_ISFIFO(os.stat(path).st_mode):
            return Path(path)
        if not _SHELF:
            _SHELF.append(tempfile.TemporaryDirectory(prefix="salesmetrics-pipes-"))
        with open(path, "rb") as handle:
            _PIPES[path] = _copy(path, handle, Path(_SHELF[0].name), text, "read from the pipe")
    except OSError:
        return Path(path)  # the read that follows reports it
    return _PIPES[path]


class _Prefixed(io.RawIOBase):
    """A stream read on after its first bytes were taken to look at: those bytes, then the rest."""

    def __init__(self, first: bytes, rest: BinaryIO) -> None:
        self._first = memoryview(first)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._first:
            n = min(len(buffer), len(self._first))
            buffer[:n] = self._first[:n]
            self._first = self._first[n:]
            return n
        return self._rest.readinto(buffer)  # type: ignore[attr-defined]


def _copy(path: str, raw: BinaryIO, scratch: Path, text: bool, how: str) -> Path:
    """`raw` copied (gunzipped when it is gzip) into a scratch file, refused as soon as it
    passes the input limit or its first block shows binary data."""
    limit = limits.INPUT_BYTES.value()
    target = scratch / f"input-{len(list(scratch.iterdir()))}"
    total = 0
    try:
        first = raw.read(SNIFF_BYTES)
        stream: BinaryIO = io.BufferedReader(_Prefixed(first, raw))
        packed = path.lower().endswith(".gz") or first.startswith(GZIP_MAGIC)
        if packed:
            stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
        with open(target, "wb") as out:
            while block := stream.read(COPY_BYTES):
                if not total and text:
                    _refuse_binary(path, block[:SNIFF_BYTES])
                total += len(block)
                if total > limit:
                    raise InputError(
                        f"{path}: larger than {limits.INPUT_BYTES.shown()} {how}; split the "
                        f"export, or raise {limits.INPUT_BYTES.variable} if it is genuine"
                    )
                out.write(block)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: not a readable gzip file ({exc})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return target


def _refuse_binary(path: str, head: bytes) -> None:
    """Binary data (NUL bytes that are not UTF-16's) from a stream: refused before it is read
    on, since /dev/urandom or a stray binary never ends or ends far too late."""
    if head.startswith((*EXCEL_MAGIC, b"\xff\xfe", b"\xfe\xff")):  # a workbook, a UTF-16 BOM
        return
    if b"\x00" in head and utf16_order(head) is None:
        raise InputError(
            f"{path}: this is not a text CSV file (it holds binary data); export it as CSV or Excel"
        )
