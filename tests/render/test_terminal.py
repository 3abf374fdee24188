"""The terminal view: sections per stage, breakdown tables, bars, and plain text when piped."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from rich.console import Console

from salesmetrics.engine import compute
from salesmetrics.periods import resolve_period
from salesmetrics.render.console import is_ascii, make_console
from salesmetrics.render.terminal import render
from salesmetrics.report import Skipped, TrendPoint
from salesmetrics.summary import View
from tests.kpis.frames import AS_OF, OCTOBER, frame
from tests.kpis.test_mrr import FIVE
from tests.render.reports import (
    maturing_report,
    sample_inputs,
    sample_report,
    stale_report,
    value,
)


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


def _at(width: int, report, inputs=(), *, colour: bool = False, **options) -> str:
    out = io.StringIO()
    if colour:
        console = Console(file=out, force_terminal=True, color_system="standard", width=width)
    else:
        console = make_console(out)
        console.width = width
    render(report, list(inputs), console, **options)
    return out.getvalue()


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("colour", [False, True], ids=["plain", "colour"])
def test_the_sample_company_fits_and_no_number_is_cut(sample_company, width, colour):
    from rich.text import Text

    from salesmetrics.render import format as fmt
    from salesmetrics.summary import same_value

    report, qualities = sample_company
    text = _at(width, report, qualities, colour=colour, view=View.all)
    assert max(Text.from_ansi(line).cell_len for line in text.splitlines()) <= width
    assert "…" not in text  # rich's mark of a cut cell
    copies = same_value(report)
    for v in report.values:
        if v.group or v.category is not None or v.id in copies:
            continue
        places = fmt.decimals(v.unit, (v.value, v.previous, v.target, v.change))
        shown = fmt.value(v.unit, v.value, report.currency, places=places, ascii=not colour)
        assert f" {shown} " in text, (v.id, shown)  # whole, between its cell's spaces
    if not colour:
        assert text.isascii()  # piped: every mark ASCII (the sample's data is ASCII too)


def _long_row(**extra):
    trend = tuple(TrendPoint(p, float(i)) for i, p in enumerate(("2026-08", "2026-09", "2026-10")))
    return value(
        "median_deal_size", "Revenue won from deals closed in the period", "close", "currency",
        1234567.0, previous=1200000.0, change=34567.0, change_pct=0.0288, target=1300000.0,
        status="at_risk", trend=trend, note="a note long enough to need its own column", **extra,
    )  # fmt: skip


def test_columns_drop_in_the_stated_order_as_the_width_shrinks():
    report = replace(sample_report(), values=(_long_row(),), skipped=(), group_by=())
    wide = _at(140, report, colour=True)
    assert all(h in wide for h in ("previous", "target", "last 3", "note"))
    # 80: the sparkline goes, then the target; the note moves below the table
    narrow = _at(80, report, colour=True)
    header = [line for line in narrow.splitlines() if "KPI" in line][-1]  # the stage's table
    assert "last 3" not in header and "target" not in header and "note" not in header
    assert "previous" in header and "status" in header and "$1,300,000" not in narrow
    assert "Revenue won from deals closed in the period: a note long enough" in " ".join(
        narrow.split()
    )
    for number in ("$1,234,567", "$1,200,000", "+2.9%"):
        assert number in narrow


def test_a_wide_breakdown_becomes_one_table_per_kpi():
    ids = ("revenue_won", "avg_deal_size", "median_deal_size", "pipeline_value")
    values = []
    for kpi_id in ids:
        label = f"{kpi_id.replace('_', ' ').capitalize()} of every deal"
        for owner in ("Ana Maria Lindqvist-Sorensen", "Ben"):
            values.append(
                value(kpi_id, label, "close", "currency", 12345678.0, group=(("owner", owner),))
            )
        values.append(value(kpi_id, label, "close", "currency", 24691356.0))
    report = replace(sample_report(), values=tuple(values), skipped=())
    tables = lambda text: sum(1 for line in text.splitlines() if line.startswith("| owner"))  # noqa: E731
    assert tables(_at(160, report)) == 1
    narrow = _at(45, report)  # owner 18 wide (its longest word), each amount 11
    assert tables(narrow) == len(ids) and narrow.count("$12,345,678") == 2 * len(ids)


def test_a_change_that_rounds_to_zero_has_no_arrow_nor_colour():
    from salesmetrics.render.terminal import _change, _Look

    report = sample_report()
    churn = value(
        "customer_churn_rate", "Customer churn rate", "retention", "ratio", 0.00902,
        previous=0.00905, change=-0.00003, change_pct=-0.0033,
    )  # fmt: skip
    look = _Look(Console(file=io.StringIO(), force_terminal=True), False, 80, "USD")
    shown = _change(churn, report, look)
    assert (str(shown), shown.style) == ("+0.0 pp", "")


def test_numbers_of_a_row_share_their_decimals():
    per_week = value(
        "reach_outs_per_week", "Reach outs per week", "outreach", "count", 588.0,
        previous=561.4, change=26.6, change_pct=0.047,
    )  # fmt: skip
    per_rep = value(
        "deals_closed_per_rep", "Deals closed per rep", "team", "count", 20.0,
        previous=21.57, change=-1.57, change_pct=-0.073,
    )  # fmt: skip
    report = replace(sample_report(), values=(per_week, per_rep), skipped=(), group_by=())
    text = _at(120, report)
    week = next(line for line in text.splitlines() if "Reach outs per week" in line)
    rep = next(line for line in text.splitlines() if "Deals closed per rep" in line)
    assert "| 588 |" in " ".join(week.split()) and "561 |" in week and "561.40" not in week
    assert "| 20.00 | 21.57 |" in " ".join(rep.split())


def test_one_formula_under_two_ids_is_shown_once_and_mrr_is_titled_mrr():
    kept = value(
        "mrr_expansion", "Expansion MRR", "mrr", "currency", 15910.0, previous=13962.0,
        change=1948.0, change_pct=0.1395,
    )  # fmt: skip
    copy = replace(kept, id="expansion_revenue", label="Expansion revenue", stage="retention")
    report = replace(sample_report(), values=(kept, copy), skipped=(), group_by=())
    text = _at(120, report)
    assert "MRR ---" in text and "Mrr" not in text
    assert "Retention ---" not in text and text.count("$15,910") == 1
    assert (
        "Expansion MRR (mrr_expansion) is also Expansion revenue (expansion_revenue) in "
        "Retention: the same amount, shown once." in text
    )


def test_views_summary_default_and_all():
    report = sample_report()
    empty = value("nps", "Net Promoter Score", "retention", "score", None, n=0)
    report = replace(report, values=(*report.values, empty))
    summary = _at(120, report, sample_inputs(), view=View.summary)
    assert "Summary ---" in summary and "Close ---" not in summary
    assert "exports/deals.csv" not in summary and "KPIs need" not in summary
    default = _at(120, report, sample_inputs())
    assert "Close ---" in default and "Retention ---" not in default  # no data in it
    assert "1 KPI needs inputs you did not give: activities" in default
    assert "email_open_rate" not in default
    every = _at(120, report, sample_inputs(), view=View.all)
    assert "Retention ---" in every and "  email_open_rate: needs activities.opened" in every


def test_term_dumb_and_no_color_are_plain_even_at_a_terminal(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert not is_ascii(make_console(Tty()))
    monkeypatch.setenv("TERM", "dumb")
    assert is_ascii(make_console(Tty()))
    monkeypatch.delenv("TERM")
    monkeypatch.setenv("NO_COLOR", "1")
    assert is_ascii(make_console(Tty()))
    monkeypatch.delenv("COLUMNS", raising=False)
    assert make_console(io.StringIO()).width == 80  # piped: 80 columns, not 120
    monkeypatch.setenv("COLUMNS", "100")
    assert make_console(io.StringIO()).width == 100  # unless COLUMNS says


def test_the_movement_shows_each_steps_deals_beside_its_value():
    from tests.kpis.test_movement import _report

    out = io.StringIO()
    render(_report(period=resolve_period("2026-Q4", AS_OF)), [], _wide(out))
    text = out.getvalue()
    assert "| KPI                         | deals | value |" in text  # no comparison
    assert "| Open pipeline at start      |     6 | 2,200 |" in text
    assert "| Pipeline gone from export   |     1 |  -700 |" in text
    assert text.count("movement over 2026-10-01 to 2026-10-31, not the whole of 2026-Q4") == 1


def test_the_first_month_of_the_data_says_once_why_there_is_no_comparison():
    """Every KPI of a first month has no comparison, as September is before the data: one line
    above the tables says so for all of them, grouped by the day each input starts, and no
    KPI's note repeats it."""
    deals = frame("deals", "deal_id status created_at closed_at amount owner", [
        ("D1", "won", "2026-10-02", "2026-10-20", 100.0, "Ann"),
        ("D2", "lost", "2026-10-03", "2026-10-21", 50.0, "Bob"),
    ])  # fmt: skip
    leads = frame("leads", "lead_id created_at", [("L1", "2026-10-01"), ("L2", "2026-10-05")])
    ids = ["deals_won", "win_rate", "revenue_won", "leads_created", "avg_deal_size"]
    book = {"deals": deals, "leads": leads}
    report = compute(book, period=OCTOBER, as_of=AS_OF, kpis=ids, compare="previous")
    out = io.StringIO()
    render(report, [], _wide(out))
    text = out.getvalue()
    told = [v.id for v in report.values if "no comparison" in (v.note or "")]
    assert sorted(told) == sorted(ids)  # each KPI's own note still says it (JSON, workbook)
    line = (
        "no comparison with 2026-09, before the data: leads start 2026-10-01; "
        "deals start 2026-10-02 (5 KPIs)"
    )
    assert text.count("no comparison") == 1 and line in text
    assert text.index(line) < text.index("Close")  # above the tables


def test_the_legend_explains_only_the_marks_of_values_shown():
    """A stage with no data is not shown in the default view, so its small sample's mark is not
    explained under the tables; shown with --view all, it is."""
    shown = value("leads_created", "Leads created", "prospecting", "count", 12.0)
    hidden = value("deals_lost", "Deals lost", "close", "count", None, n=0, small_sample=True)
    report = replace(sample_report(), values=(shown, hidden))
    out = io.StringIO()
    render(report, [], _wide(out))
    assert "Leads created" in out.getvalue() and "small sample" not in out.getvalue()
    out = io.StringIO()
    render(report, [], _wide(out), view=View.all)
    assert "Deals lost *" in out.getvalue() and "* small sample" in out.getvalue()
