"""The terminal view: sections per stage, breakdown tables, bars, and plain text when piped."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from rich.console import Console

from salesmetrics.engine import compute
from salesmetrics.render.console import make_console
from salesmetrics.render.terminal import render
from salesmetrics.report import Skipped
from tests.kpis.frames import AS_OF, OCTOBER
from tests.kpis.test_mrr import FIVE
from tests.render.reports import maturing_report, sample_inputs, sample_report, stale_report


def _wide(out: io.StringIO) -> Console:
    """A piped console 120 wide, where each line of these small reports is one line."""
    console = make_console(out)
    console.width = 120
    return console


def _plain(limit: int = 20, **options) -> str:
    out = io.StringIO()
    render(sample_report(), sample_inputs(), _wide(out), limit=limit, **options)
    return out.getvalue()


def test_plain_view_has_every_part_and_no_escape_codes():
    text = _plain(show_skipped=True)
    assert "\x1b[" not in text
    assert text.startswith(
        "salesmetrics report 2026-10 (2026-10-01 to 2026-10-31), compared with 2026-09, in USD, "
        "by owner; as of 2026-11-23"
    )
    revenue = next(line for line in text.splitlines() if "Revenue won" in line)
    # value, previous, change (no arrow in ASCII: the sign says it), target, status; no
    # sparkline in ASCII
    for part in ("$1,200", "$1,500", " -20.0% ", "$2,000", "off track"):
        assert part in revenue
    assert "last 3" not in text and "▼" not in text
    win = next(line for line in text.splitlines() if "| Win rate *" in line)
    assert "60.0%" in win and " +10.0 pp " in win and "on track" in win
    unknown = next(line for line in text.splitlines() if "Win rate by amount" in line)
    assert unknown.split("|")[2].strip() == "-"  # no value: ASCII's null mark
    assert "no rows in the denominator" in unknown  # and why
    assert "| Price " in text and "75.0%" in text and "#" * 22 in text  # the bar: 0.75 of 30
    assert "=HYPERLINK(1)" in text  # a breakdown row, printed as text
    assert "exports/deals.csv -> deals: 12 rows read, 9 used, 1 filtered, 1 rejected" in text
    assert "email_open_rate: needs activities.opened" in text
    assert "* small sample" in text


def test_long_breakdowns_are_capped_with_a_hint():
    text = _plain(limit=1)
    assert "Ben | Jr" not in text
    assert "... 1 more rows not shown; --limit 0 shows all" in text


def test_warnings_come_first_and_a_total_only_kpi_says_why_once():
    out = io.StringIO()
    render(stale_report(), sample_inputs(), _wide(out), limit=20)
    lines = out.getvalue().splitlines()
    assert lines[1] == "warning: deals end 2026-09-30; period 2026-10 has no deals"
    mrr = next(line for line in lines if "| MRR" in line)
    assert "$2,000" in mrr and "not split" not in mrr  # no note column for it alone
    assert "MRR: total only, not split by owner: subscriptions carry no owner" in lines


HOSTILE = "\x1b]0;pwned\x07Ana \x1b[2J[/] [red]Ben\x9b31m \u202egnp.exe\x1b[0m"
SHOWN = "Ana [/] [red]Ben gnp.exe"  # what is left: text, markup as text, nothing acted on
ACTING = ("\x1b]0;", "\x07", "\x1b[2J", "\x9b", "\u202e")


def _hostile_report():
    report = sample_report()
    values = tuple(replace(v, group=(("owner", HOSTILE),)) if v.group else v for v in report.values)
    values = tuple(replace(v, note=HOSTILE) if v.id == "win_rate_by_amount" else v for v in values)
    values += (replace(values[5], category=HOSTILE),)
    skipped = (Skipped("email_open_rate", f"needs {HOSTILE}"),)
    inputs = [replace(sample_inputs()[0], path=f"exports/{HOSTILE}.csv")]
    return replace(report, values=values, skipped=skipped), inputs


@pytest.mark.parametrize("colour", [False, True], ids=["plain", "colour"])
def test_data_never_reaches_the_terminal_as_escape_sequences_or_markup(colour: bool):
    report, inputs = _hostile_report()
    out = io.StringIO()
    console = (
        Console(file=out, force_terminal=True, color_system="truecolor", width=200)
        if colour
        else _wide(out)
    )
    render(report, inputs, console, limit=0, show_skipped=True)
    text = out.getvalue()
    assert not [a for a in ACTING if a in text]
    if not colour:
        # a note, a category, the owner's breakdown row, an input's path, a skipped KPI's reason
        assert text.count(SHOWN) == 5
        assert f"email_open_rate: needs {SHOWN}" in text


def test_category_tables_label_counts_as_counts_and_amounts_as_money():
    # FIVE, October: start B, C, D (900), new F 500, churned D −400, end B, C, E, F (1,110)
    report = compute(
        FIVE,
        period=OCTOBER,
        as_of=AS_OF,
        kpis=["mrr_bridge", "cohort_retention", "cohort_revenue_retention"],
    )
    out = io.StringIO()
    render(report, [], make_console(out), limit=20)
    text = out.getvalue()
    assert "| movement     | amount |                                | customers |" in text
    start = next(line for line in text.splitlines() if "| start " in line)
    assert "|    900 |" in start and start.endswith("|         3 |")  # B, C, D: customers
    logo, revenue = [line for line in text.splitlines() if "| 2026-10 " in line]
    assert logo.endswith("|         1 |")  # F, the only customer of the cohort
    assert revenue.endswith("|    500 |")  # F's MRR in its first month
    assert "| cohort    |  share |                                | amount |" in text


def test_a_maturing_value_is_marked_and_its_change_has_no_colour():
    from rich.console import Console

    from salesmetrics.render.terminal import _change, _Look

    report = maturing_report()
    sql, win = report.values
    colour = _Look(Console(file=io.StringIO(), force_terminal=True), False, 80, None)
    assert _change(sql, report, colour).style == ""  # ▼, but no verdict
    assert str(_change(sql, report, colour)).startswith("▼ ")
    assert _change(win, report, colour).style == "red"
    out = io.StringIO()
    render(report, [], make_console(out))
    text = out.getvalue()
    assert "SQL to demo rate ~" in text and "Win rate ~" not in text
    assert "~ maturing: later data can still change the value" in text
