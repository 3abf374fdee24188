"""The rows behind a value as a table: the answer first, the counts by reason always, the
columns that tell most as the width takes (the reason never dropped), nothing cut at 80."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from salesmetrics.explain import explain
from salesmetrics.render.console import make_console
from salesmetrics.render.explain import render_csv, render_table, summary_lines
from tests.test_duck import BOOK, OCTOBER


def table(found, width: int, monkeypatch, **options) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    stream = io.StringIO()
    render_table(found, make_console(stream, no_color=True), **options)
    return stream.getvalue()


def of_book(kpi_id: str, book=BOOK, **options):
    return explain({"deals": book}, kpi_id, period=OCTOBER, as_of=date(2026, 11, 15), **options)


def test_the_summary_says_the_value_the_rows_and_the_reasons():
    assert summary_lines(of_book("win_rate")) == [
        "Win rate (win_rate), 2026-10: 75.0%",
        "4 deals counted, 4 left out: 2 closed outside 2026-10, 2 open: neither won nor lost",
        "the counted rows give numerator 3 / denominator 4 = 75.0%",
    ]
    lines = summary_lines(of_book("revenue_won", group=[("owner", "Bob")]))
    assert lines[0] == "Revenue won (revenue_won), 2026-10, owner Bob: 300"  # no currency
    assert lines[2] == "the counted rows give sum 300 over 1 values"


@pytest.mark.parametrize("width", [80, 120])
def test_the_table_fits_the_width_and_keeps_the_reason(monkeypatch, width):
    book = BOOK.assign(owner=BOOK["owner"].mask(BOOK["owner"] == "Bob", "Bartholomew Longname"))
    found = of_book("pipeline_value", book)
    text = table(found, width, monkeypatch)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "ended by" in text  # the reason, folded if it must be
    assert "| reason" in text and "Counted (2)" in text and "Left out (6)" in text


def test_the_limit_shows_a_few_rows_of_each_and_says_how_many_more(monkeypatch):
    text = table(of_book("win_rate"), 80, monkeypatch, limit=1)
    assert "... and 3 more counted: --limit 0 shows them all" in text
    assert "... and 3 more left out" in text
    assert "4 deals counted, 4 left out: 2 closed outside 2026-10" in text  # whatever the limit


def test_data_in_the_table_is_plain_text_and_in_the_csv_never_a_formula(monkeypatch):
    owners = ["\x1b]0;pwned\x07Ann", "=1+2", "Bob", "Bob", "Bob", None, "Ann", "=1+2"]
    book = BOOK.assign(owner=pd.array(owners, dtype="string"))
    found = of_book("win_rate", book, group=[("owner", "\x1b]0;pwned\x07Ann")])
    text = table(found, 120, monkeypatch)
    assert "\x1b" not in text and "pwned" not in text
    assert text.startswith("Win rate (win_rate), 2026-10, owner Ann: ")
    formula = of_book("win_rate", book, group=[("owner", "=1+2")])
    stream = io.StringIO()
    render_csv(formula, stream)
    assert ",'=1+2" in stream.getvalue()
    kept = io.StringIO()
    render_csv(formula, kept, escape_formulas=False)
    assert ",=1+2" in kept.getvalue() and ",'=1+2" not in kept.getvalue()


def test_the_summary_of_a_ratio_over_distinct_keys_and_of_a_value_per_week():
    from tests.kpis.test_outreach import BOOK as ACTIVITIES

    def of(kpi_id: str):
        return explain(ACTIVITIES, kpi_id, period=OCTOBER, as_of=date(2026, 11, 15))

    # October activities with an owner: Ana 6, Ben 5 (tests.kpis.test_outreach); X1 has none
    lines = summary_lines(of("activities_per_rep"))
    assert lines[0] == "Activities per rep (activities_per_rep), 2026-10: 5.50"
    assert lines[2] == "the counted rows give numerator 11 / 2 distinct owner = 5.50"
    # 9 October reach outs over the 31 days the activities cover: 9 x 7 / 31
    lines = summary_lines(of("reach_outs_per_week"))
    assert (
        lines[2]
        == "the counted rows give sum 9 over 9 values, x 0.2258 for the period's length = 2.03"
    )
