"""CRM values reach whatever shows them as text: never as terminal escape sequences, Markdown
markup or spreadsheet formulas.

A terminal acts on ESC sequences (`ESC [2J` clears the screen, `ESC ]0;...` sets the window
title, OSC 8 makes a hidden link), on C1 controls and on bidi overrides that show text in
another order than it is stored: `plain` drops them. Markdown turns `[x](url)`, `![x](src)`,
`<b>`, `*x*` and backticks into links, images, HTML and styling: `markdown` escapes them. A
spreadsheet runs a cell that starts with = + - @ tab or CR as a formula (OWASP, "CSV
Injection"): `formula` puts a `'` before it, which spreadsheets read as "this is text".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# whole escape sequences first (so `ESC [2J` leaves no "[2J"), then any control left over
_CONTROLS = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI: colours, cursor moves, erase
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # CSI in its 8-bit form
    r"|[\x1b][\]PX^_].*?(?:\x07|\x1b\\|$)"  # OSC, DCS, SOS, PM, APC, up to their end
    r"|[\x90\x98\x9d\x9e\x9f].*?(?:\x07|\x9c|$)"  # the same in 8-bit form
    r"|\x1b[ -/]*[0-~]?"  # any other ESC sequence
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]",  # C0, DEL, C1, bidi
    re.DOTALL,
)
_BREAKS = re.compile(r"[\t\n\r]+")
_MARKDOWN = re.compile(r"[\\`*\[\]<>&|~]")
# an underscore inside a word (lost_reason) never starts emphasis: only the others are escaped
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# a plain number (-12, +1.5, -1,234.50, -3e5) is read as a number, never run: left as it is
_NUMBER = r"[+-]?[\d.,]*\d[\d.,]*(?:[eE][+-]?\d+)?"
_IS_NUMBER = re.compile(_NUMBER)


def plain(text: str) -> str:
    """`text` without escape sequences, control characters or bidi overrides; tabs and line
    breaks become one space, so a value stays on its line."""
    return _BREAKS.sub(" ", _CONTROLS.sub("", text))


def markdown(text: str) -> str:
    """`text` as literal Markdown (also inside a table cell): plain, then every character that
    could start a link, an image, HTML, an entity, emphasis, code or a cell border escaped."""
    escaped = _MARKDOWN.sub(lambda m: "\\" + m.group(), plain(text))
    return _UNDERSCORE.sub(r"\\_", escaped)


def formula(text: str) -> str:
    """`text` as a spreadsheet shows it, never runs it: `'` before a formula-leading value."""
    risky = text.startswith(FORMULA_START) and not _IS_NUMBER.fullmatch(text)
    return "'" + text if risky else text


def formulas(column: pd.Series) -> pd.Series:
    """`formula` on every text of a column at once; numbers and blanks are left as they are."""
    if column.dtype.kind in "biufcmM":
        return column
    text = column.astype("string")
    starts = text.str[:1].isin(FORMULA_START)
    number = text.str.fullmatch(_NUMBER).fillna(False).astype(bool)
    return text.mask(starts & ~number, "'" + text)
