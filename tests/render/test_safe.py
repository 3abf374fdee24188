"""Data as text: no escape sequences for terminals, no markup for Markdown, no formulas for
spreadsheets."""

from __future__ import annotations

import pandas as pd
import pytest

from salesmetrics.render.safe import formula, formulas, markdown, plain


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("\x1b]0;pwned\x07Ana", "Ana"),  # OSC (window title) up to BEL
        ("\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 up to ST
        ("\x1b[2J\x1b[1;31mBen\x1b[0m", "Ben"),  # CSI: erase, colour
        ("Carla\x9b31m", "Carla"),  # CSI in its 8-bit form
        ("Dan\x9d0;t\x9c!", "Dan!"),  # OSC in its 8-bit form, up to ST
        ("\x1bcEve", "Eve"),  # ESC c: reset the terminal
        ("Fay\x1b]0;never ended", "Fay"),  # an unended OSC swallows the rest, as a terminal would
        ("Gus\u202egnp.exe\u202c", "Gusgnp.exe"),  # bidi override and its end
        ("Hal\u2066x\u2069", "Halx"),  # bidi isolate
        ("Ida\x00\x08\x7f\x85", "Ida"),  # C0, DEL, C1 (NEL)
        ("Jo\tand\r\nKim", "Jo and Kim"),  # breaks become one space
        ("Zoë Müller [x]", "Zoë Müller [x]"),
    ],
)
def test_plain_drops_escape_sequences_and_controls(given: str, shown: str):
    assert plain(given) == shown


@pytest.mark.parametrize(
    ("given", "escaped"),
    [
        ("[click](http://evil.example)", "\\[click\\](http://evil.example)"),
        ("![x](http://evil.example/t.png)", "!\\[x\\](http://evil.example/t.png)"),
        ("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>"),
        ("&#x202E;", "\\&#x202E;"),  # an entity would come back as a bidi override
        ("*bold* `code` ~~gone~~", "\\*bold\\* \\`code\\` \\~\\~gone\\~\\~"),
        ("a|b \\", "a\\|b \\\\"),
        ("_em_ __strong__", "\\_em\\_ \\_\\_strong\\_\\_"),
        ("lost_reason snake_case_name", "lost_reason snake_case_name"),  # inside a word: text
        ("Ana\x1b[2J\nBen", "Ana Ben"),
    ],
)
def test_markdown_escapes_what_would_be_markup(given: str, escaped: str):
    assert markdown(given) == escaped


CELLS = {
    "=1+1": "'=1+1",
    "+Ben": "'+Ben",
    "-Ben": "'-Ben",
    "@SUM(A1)": "'@SUM(A1)",
    "\t=1": "'\t=1",
    "\r=1": "'\r=1",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    "-": "'-",
    "-5": "-5",  # plain numbers are read as numbers, never run
    "+1.5": "+1.5",
    "-1,234.50": "-1,234.50",
    "-1.234,50": "-1.234,50",
    "-3e5": "-3e5",
    "Ana": "Ana",
    "5-3": "5-3",
    "": "",
}


def test_formula_marks_formula_leading_texts_as_text():
    assert {given: formula(given) for given in CELLS} == CELLS


@pytest.mark.parametrize("dtype", ["object", "string", "string[pyarrow]"])
def test_formulas_does_a_column_at_once_as_formula_does_each(dtype: str):
    column = pd.Series([*CELLS, None], dtype=dtype)
    done = formulas(column)
    assert done.iloc[:-1].tolist() == list(CELLS.values())
    assert pd.isna(done.iloc[-1])


def test_formulas_leaves_number_columns_alone():
    numbers = pd.Series([-5, 3], dtype="int64")
    assert formulas(numbers) is numbers
