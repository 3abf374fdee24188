"""Stage history end to end: a deals export and its stage history, recognised with no mapping,
joined, and the funnel KPIs they feed worked out by hand; the rows joined to no deal in every
output that lists the inputs.

The two books (six deals each, Q1 2025) are written by tests/fixtures/crm/make_history.py,
whose stage paths the hand computations below read from.
"""

from __future__ import annotations

import json
from datetime import date
from importlib.resources import files

import jsonschema
import openpyxl
import pytest

from salesmetrics.cli import app
from salesmetrics.config import AUTO_MAPPING, InputSpec, ReportConfig
from salesmetrics.pipeline import compute_report, frames_of, load_inputs
from salesmetrics.render.xlsx import write_workbook
from salesmetrics.report import Report
from tests.conftest import FIXTURES

CRM = FIXTURES / "crm"
ZOHO = ("zoho_history_deals.csv", "zoho_stage_history.csv")
SALESFORCE = ("salesforce_history_opportunities.csv", "salesforce_opportunity_history.csv")
FUNNEL = ("stage_conversion", "time_in_stage_days", "demo_to_win_rate", "quote_to_close_rate")
Q1 = {"period": "2025-Q1", "as_of": date(2025, 4, 15)}


def report(*names: str) -> Report:
    loaded = load_inputs([InputSpec(str(CRM / n), AUTO_MAPPING, None) for n in names])
    return compute_report(ReportConfig(None, ()), frames_of(loaded), kpis=FUNNEL, **Q1)


def by_stage(result: Report, kpi: str) -> dict[str, tuple]:
    """stage -> (value, numerator, denominator, n) of a per-stage KPI's totals."""
    return {
        v.category: (v.value, v.numerator, v.denominator, v.n)
        for v in result.values
        if v.id == kpi and not v.group
    }


def total(result: Report, kpi: str) -> tuple:
    (v,) = [v for v in result.values if v.id == kpi and not v.group and v.category is None]
    return v.value, v.numerator, v.denominator


def test_zoho_funnel_kpis_worked_out_by_hand():
    # The Zoho book, first entries (Z1..Z6 = deals ...400001..6; closed_at is the Closing
    # Date, midnight, of the won and lost deals):
    #   Z1 won 02-10: qual 01-06 09:00, demo 01-10 09:00, prop 01-20 09:00, nego 02-03 09:00
    #   Z2 lost 02-05: qual 01-08 09:00, demo 01-15 09:00
    #   Z3 won 02-28: qual 01-13 12:00, demo 01-17 12:00 (back to qual on 01-24 and to demo on
    #      01-31: first entries kept), prop 02-14 12:00
    #   Z4 open, demo: qual 02-03 09:00, demo 02-10 09:00
    #   Z5 lost 03-05: qual 02-05 09:00, prop 02-12 09:00 (demo skipped)
    #   Z6 open, qual: qual 02-17 09:00
    result = report(*ZOHO)
    # time in stage: from entering a stage to the first later stage entered, or closed_at
    #   qual: Z1 4, Z2 7, Z3 4, Z4 7, Z5 7 (Z6 still there)       -> median 7 of 5
    #   demo: Z1 10, Z2 01-15 09:00 -> closed 02-05 00:00 = 20.625, Z3 01-17 -> 02-14 = 28
    #                                                             -> median 20.625 of 3
    #   prop: Z1 14, Z3 02-14 12:00 -> closed 02-28 00:00 = 13.5, Z5 02-12 09:00 -> 03-05
    #         00:00 = 20.625                                      -> median 14 of 3
    #   nego: Z1 02-03 09:00 -> closed 02-10 00:00 = 6.625        -> 6.625 of 1
    #   (no Zoho stage maps to prospecting)
    assert by_stage(result, "time_in_stage_days") == {
        "prospecting": (None, None, None, 0),
        "qualification": (7.0, None, None, 5),
        "demo": (20.625, None, None, 3),
        "proposal": (14.0, None, None, 3),
        "negotiation": (6.625, None, None, 1),
    }
    # stage conversion, over the 6 deals created in Q1: reached a stage = its date, a later
    # stage's date, a current stage at or after it, or won
    #   prospecting 6 -> qualification 6;  qualification 6 -> demo 5 (all but Z6; Z5 by its
    #   proposal);  demo 5 -> proposal 3 (Z1 Z3 Z5);  proposal 3 -> negotiation 2 (Z1, Z3 won)
    #   negotiation 2 -> won 2
    assert {s: v[1:3] for s, v in by_stage(result, "stage_conversion").items()} == {
        "prospecting": (6, 6),
        "qualification": (5, 6),
        "demo": (3, 5),
        "proposal": (2, 3),
        "negotiation": (2, 2),
    }
    # closed in Q1: Z1 won, Z2 lost, Z3 won, Z5 lost
    #   demo to win: entered demo Z1 Z2 Z3, of them won Z1 Z3         -> 2 / 3
    #   quote to close: reached proposal Z1 Z3 Z5, of them won Z1 Z3   -> 2 / 3
    assert total(result, "demo_to_win_rate") == (pytest.approx(2 / 3), 2, 3)
    assert total(result, "quote_to_close_rate") == (pytest.approx(2 / 3), 2, 3)


def test_salesforce_funnel_kpis_worked_out_by_hand():
    # The Salesforce book (S1..S6 = 0065g00000AbX01..6; dates only, closed_at = Close Date):
    #   S1 won 3/3: pros 1/6, qual 1/9, demo 1/16 (amount changed 1/23), prop 2/3, nego 2/17
    #   S2 lost 2/10: pros 1/13, qual 1/20
    #   S3 won 3/12: pros 1/15, demo 1/22, prop 2/5 (back to demo 2/12, prop again 2/19)
    #   S4 open, demo: qual 2/3, demo 2/24
    #   S5 lost 3/14: pros 2/4, nego 2/14
    #   S6 open, prospecting: pros 3/3
    result = report(*SALESFORCE)
    #   pros: S1 3, S2 7, S3 7, S5 10                    -> median 7 of 4
    #   qual: S1 7, S2 1/20 -> closed 2/10 = 21, S4 21   -> median 21 of 3
    #   demo: S1 18, S3 14                               -> median 16 of 2
    #   prop: S1 14, S3 2/5 -> won 3/12 = 35             -> median 24.5 of 2
    #   nego: S1 14, S5 2/14 -> closed 3/14 = 28         -> median 21 of 2
    assert by_stage(result, "time_in_stage_days") == {
        "prospecting": (7.0, None, None, 4),
        "qualification": (21.0, None, None, 3),
        "demo": (16.0, None, None, 2),
        "proposal": (24.5, None, None, 2),
        "negotiation": (21.0, None, None, 2),
    }
    #   prospecting 6 -> qualification 5 (not S6; S3 by demo, S5 by negotiation)
    #   qualification 5 -> demo 4 (not S2);  demo 4 -> proposal 3 (not S4)
    #   proposal 3 -> negotiation 3 (S3 by its win);  negotiation 3 -> won 2 (not S5)
    assert {s: v[1:3] for s, v in by_stage(result, "stage_conversion").items()} == {
        "prospecting": (5, 6),
        "qualification": (4, 5),
        "demo": (3, 4),
        "proposal": (3, 3),
        "negotiation": (2, 3),
    }
    # closed in Q1: S1 won, S2 lost, S3 won, S5 lost
    #   demo to win: entered demo S1 S3, both won                      -> 2 / 2
    #   quote to close: reached proposal S1 S3 S5 (S5 by negotiation)  -> 2 / 3
    assert total(result, "demo_to_win_rate") == (1.0, 2, 2)
    assert total(result, "quote_to_close_rate") == (pytest.approx(2 / 3), 2, 3)


def test_without_its_stage_history_a_zoho_deals_export_feeds_no_funnel_kpi():
    result = report(ZOHO[0])
    assert not [v for v in result.values if v.id in FUNNEL]
    reasons = {s.id: s.reason for s in result.skipped}
    assert reasons["demo_to_win_rate"] == "needs deals.entered_demo"
    assert set(reasons) == set(FUNNEL)


def test_a_stage_history_alone_says_it_needs_the_deals(runner):
    result = runner.invoke(
        app, ["report", str(CRM / ZOHO[1]), "--period", "2025-Q1", "--kpi", "stage_conversion"]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "1 KPI needs inputs you did not give: deals;" in said  # the skipped KPIs' line
    assert "22 rows read, 0 used" in result.stdout
    assert "22 joined to no deal (no deals input to join with" in " ".join(result.stdout.split())


# --------------------------------------------------------- the orphan rows in every output


def cli_report(runner, *options: str):
    period = ("--period", "2025-Q1", "--as-of", "2025-04-15", "--kpi", "time_in_stage_days")
    result = runner.invoke(app, ["report", *(str(CRM / n) for n in ZOHO), *period, *options])
    assert result.exit_code == 0, result.output
    return result


def test_report_json_counts_the_unmatched_rows_of_the_history_input_only(runner):
    document = json.loads(cli_report(runner, "--format", "json").stdout)
    schema = json.loads(files("salesmetrics").joinpath("report.schema.json").read_text("utf-8"))
    jsonschema.validate(document, schema)
    deals, history = document["inputs"]
    assert "rows_unmatched" not in deals
    assert (history["entity"], history["mapping"]) == ("stage_history", "zoho_stage_history")
    assert (history["rows_read"], history["rows_used"], history["rows_unmatched"]) == (22, 20, 2)


def test_report_table_and_markdown_name_the_unmatched_rows(runner):
    line = (
        "zoho_stage_history.csv -> stage_history: 22 rows read, 20 used, 0 filtered, 0 rejected, "
        "0 duplicates, 2 joined to no deal (deal_id: no such deal in the deals input (1 deal))"
    )
    assert line in " ".join(cli_report(runner).stdout.split())
    markdown = cli_report(runner, "--format", "markdown").stdout
    assert (
        "zoho_stage_history.csv: 2 stage history rows joined to no deal (deal_id: no such deal "
        "in the deals input (1 deal))." in markdown
    )


def test_validate_lists_the_unmatched_rows_with_examples(runner):
    files_ = [str(CRM / n) for n in ZOHO]
    table = runner.invoke(app, ["validate", *files_])
    assert table.exit_code == 0, table.output
    assert "joined to no deal" in table.stdout
    assert "22: zcrm_5725767000000400099" in table.stdout
    document = json.loads(runner.invoke(app, ["validate", *files_, "--format", "json"]).stdout)
    history = document["inputs"][1]
    assert (history["rows_used"], history["rows_unmatched"]) == (20, 2)
    assert history["unmatched"][0]["examples"][1] == {
        "row": 23,
        "value": "zcrm_5725767000000400099",
    }


def test_workbook_data_quality_sheet_counts_the_unmatched_rows(tmp_path):
    loaded = load_inputs([InputSpec(str(CRM / n), AUTO_MAPPING, None) for n in ZOHO])
    result = compute_report(
        ReportConfig(None, ()), frames_of(loaded), kpis=("time_in_stage_days",), **Q1
    )
    path = tmp_path / "report.xlsx"
    write_workbook(result, [item.quality for item in loaded], path)
    sheet = openpyxl.load_workbook(path)["Data quality"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    history = [r for r in rows if r[1] == "stage_history"]
    assert [r[2:5] for r in history if r[2] == "rows joined to no deal"] == [
        ["rows joined to no deal", None, 2]
    ]
    unmatched = [r for r in history if r[2] == "joined to no deal"]
    assert [(r[4], r[5], r[6]) for r in unmatched] == [
        (2, 22, "zcrm_5725767000000400099"),
        (None, 23, "zcrm_5725767000000400099"),
    ]
    assert not [r for r in rows if r[1] == "deals" and "no deal" in str(r[2])]
