"""The bounds on what reading one input may take, in one place.

A workbook is a zip archive: 10 MB of it can inflate to gigabytes of sheet XML, so its limits
are checked on the archive's own list of parts before any part is inflated.

Each limit has a safe default and an environment variable that overrides it, read when the limit
is checked (so a test or a run can set it): a whole number of bytes or lines, with an optional
K, M or G suffix for bytes (powers of 1024). A hostile or broken file then stops with one line
that names the file and the limit, instead of filling memory or the disk.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from salesmetrics.errors import InputError

_SIZE = re.compile(r"\s*(\d+)\s*([KMG]?)B?\s*", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


@dataclass(frozen=True)
class Limit:
    variable: str  # the environment variable that overrides the default
    default: int
    unit: str  # "bytes", or what a plain number counts ("lines", "parts", "times")

    def value(self) -> int:
        raw = os.environ.get(self.variable)
        if raw is None or not raw.strip():
            return self.default
        found = _SIZE.fullmatch(raw)
        if not found or (found[2] and self.unit != "bytes") or int(found[1]) < 1:
            suffix = ", optionally with K, M or G" if self.unit == "bytes" else ""
            raise InputError(
                f"{self.variable}={raw!r}: not a limit; give a whole number of {self.unit} "
                f"above 0{suffix}"
            )
        return int(found[1]) * _UNITS[found[2].upper()]

    def shown(self) -> str:
        """The limit as a message names it: `2 GB (SALESMETRICS_MAX_INPUT_BYTES)`,
        `200 times (SALESMETRICS_MAX_WORKBOOK_RATIO)`."""
        value = size(self.value()) if self.unit == "bytes" else f"{self.value():,} {self.unit}"
        return f"{value} ({self.variable})"


def size(n: int) -> str:
    """Bytes as a person reads them: 2 GB, 16 MB, 300 KB, 12 bytes."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


# The most bytes read from standard input, a pipe, or a compressed file once decompressed.
INPUT_BYTES = Limit("SALESMETRICS_MAX_INPUT_BYTES", 2 << 30, "bytes")
# The largest CSV field (a long note or description); a larger one is an error naming it.
FIELD_BYTES = Limit("SALESMETRICS_MAX_FIELD_BYTES", 16 << 20, "bytes")
# The most lines one quoted CSV field may span before its quote counts as never closed.
FIELD_LINES = Limit("SALESMETRICS_MAX_FIELD_LINES", 100, "lines")
# The most bytes a workbook's parts may hold once inflated, all together (a 30 MB export's
# sheets come to about 300 MB of XML).
WORKBOOK_BYTES = Limit("SALESMETRICS_MAX_WORKBOOK_BYTES", 1 << 30, "bytes")
# The most a part larger than RATIO_GRACE_BYTES may inflate, as a multiple of its stored size:
# sheet XML deflates 5 to 30 times; a zip bomb's part a thousand times.
WORKBOOK_RATIO = Limit("SALESMETRICS_MAX_WORKBOOK_RATIO", 200, "times")
RATIO_GRACE_BYTES = 1 << 20
# The most parts a workbook may have: one holds about 10 per sheet, and a few per image.
WORKBOOK_PARTS = Limit("SALESMETRICS_MAX_WORKBOOK_PARTS", 10_000, "parts")
