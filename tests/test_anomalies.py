"""Impossible values: found on the rows kept, counted with examples, flagged for the KPIs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesmetrics.anomalies import (
    check,
    duration,
    entered_before_created,
    implausible,
    latest,
    negative,
)
from salesmetrics.cli import app
from salesmetrics.ingest import load_input
from tests.conftest import FIXTURES

ANOMALIES = FIXTURES / "crm" / "hubspot_deals_anomalies.csv"
AS_OF = date(2026, 4, 1)


def stamps(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), format="mixed"), dtype="timestamp[us][pyarrow]")


def test_a_hubspot_export_with_every_kind_of_anomaly_keeps_its_rows_and_lists_them():
    (item,) = check([load_input(ANOMALIES, "hubspot_deals")], AS_OF)
    q = item.quality
    assert (q.rows_read, q.rows_used, q.rows_rejected) == (7, 7, 0)
    assert not q.clean
    found = {a.reason: (a.count, [(e.row, e.value) for e in a.examples]) for a in q.anomalies}
    assert found == {
        "probability: outside 0–1, left blank": (1, [(5, "probability -0.2")]),
        "closed_at before created_at (closed before it was created)": (
            1,
            [(3, "created_at 2026-03-10T10:00:00, closed_at 2026-03-02")],
        ),
        "entered_<stage> before created_at (a stage entered before it was created)": (
            1,
            [
                (
                    6,
                    "created_at 2026-01-10T09:00:00, entered_prospecting 2026-01-02T09:00:00, "
                    "entered_qualification 2026-01-12T09:00:00, entered_demo "
                    "2026-01-20T09:00:00, entered_won 2026-02-01T09:00:00",
                )
            ],
        ),
        "created_at: outside 1990-01-01 – 2036-04-01 (parse.date_range sets the range)": (
            1,
            [(7, "created_at 1900-01-01")],
        ),
        "expected_close_at: outside 1990-01-01 – 2036-04-01 (parse.date_range sets the range)": (
            1,
            [(8, "expected_close_at 2099-12-31")],
        ),
    }
    frame = item.frame
    assert frame["deal_id"].tolist() == [f"910{i}" for i in range(1, 8)]  # all kept
    assert implausible(frame, "created_at").tolist() == [False] * 5 + [True, False]
    assert implausible(frame, "created_at", "expected_close_at").tolist() == [False] * 5 + [
        True,
        True,
    ]
    assert implausible(frame, "closed_at").tolist() == [False] * 7  # no such flag: none


def test_the_mapping_s_date_range_allows_dates_outside_the_default_one(tmp_path: Path):
    mapping = tmp_path / "old_deals.yaml"
    mapping.write_text(
        "extends: hubspot_deals\nparse:\n  date_range: {earliest: 1900-01-01, latest: 2099-12-31}\n",
        encoding="utf-8",
    )
    (item,) = check([load_input(ANOMALIES, str(mapping))], AS_OF)
    reasons = [a.reason for a in item.quality.anomalies]
    assert not any("outside 1" in r for r in reasons)
    assert "_implausible_created_at" not in item.frame.columns
    assert len(reasons) == 3  # probability, closed before created, stages out of order


def test_a_clean_input_is_returned_as_it_was():
    loaded = load_input(FIXTURES / "plain.csv", str(FIXTURES / "deals.yaml"))
    (item,) = check([loaded], AS_OF)
    assert item is loaded
    assert item.quality.clean


def test_dates_compare_by_calendar_day_and_a_same_day_date_without_time_is_0():
    created = stamps("2026-03-10 10:00", "2026-03-10 10:00", "2026-03-10 10:00", None)
    closed = stamps("2026-03-09 23:00", "2026-03-10 00:00", "2026-03-12 22:00", "2026-03-12")
    assert negative(closed, created).tolist() == [True, False, False, False]
    days = duration(closed, created, 86400.0)
    assert days[0] == pytest.approx(-11 / 24)  # negative: such a row is left out
    assert days[1] == 0.0  # same day, the close without a time of day
    assert days[2] == pytest.approx(2.5)
    assert np.isnan(days[3])


def test_a_stage_entered_before_creation_is_impossible_and_stages_in_any_order_are_not():
    deals = pd.DataFrame(
        {
            "created_at": stamps("2026-01-05 10:00", "2026-01-05 10:00", "2026-01-05 10:00"),
            "entered_prospecting": stamps("2026-01-05 00:00", "2026-01-05", None),
            "entered_proposal": stamps("2026-01-08", "2026-01-06", "2026-01-04"),
            "entered_demo": stamps(None, "2026-01-09", None),  # sent back from proposal
        }
    )
    # the same day (a date without a time): fine; demo after proposal: fine; before creation: no
    assert entered_before_created(deals).tolist() == [False, False, True]


def test_the_latest_plausible_date_is_ten_years_after_as_of():
    assert latest(date(2026, 11, 23)) == date(2036, 11, 23)
    assert latest(date(2028, 2, 29)) == date(2038, 2, 28)


OLIST_MQLS = FIXTURES / "crm" / "olist_mqls.csv"
OLIST_DEALS = FIXTURES / "crm" / "olist_closed_deals.csv"
OLIST_MAPPINGS = Path(__file__).parents[1] / "configs" / "examples" / "olist_funnel"
WON_BEFORE = (
    f"closed_at before leads.created_at of its lead_id in {OLIST_MQLS} "
    "(closed before its lead was created)"
)


def test_a_deal_won_before_its_lead_was_created_is_an_anomaly_across_the_two_inputs():
    leads = load_input(OLIST_MQLS, str(OLIST_MAPPINGS / "leads.yaml"))
    deals = load_input(OLIST_DEALS, str(OLIST_MAPPINGS / "deals.yaml"))
    checked_leads, checked_deals = check([leads, deals], AS_OF)
    assert checked_leads.quality.anomalies == ()  # the row counted is the deal's
    # MQL 2: first contact 2018-03-08, won 2018-03-06 19:38:55 (row 3 of the deals file);
    # MQL 3, won on its first contact's day, is not; MQL 4 has no lead to compare with
    (anomaly,) = checked_deals.quality.anomalies
    assert (anomaly.reason, anomaly.count) == (WON_BEFORE, 1)
    lead = "6d716c30320000000000000000000000"
    assert [(e.row, e.value) for e in anomaly.examples] == [
        (3, f"closed_at 2018-03-06T19:38:55, lead_id {lead}, leads created_at 2018-03-08")
    ]
    assert not checked_deals.quality.clean
    # alone, the deals file has nothing to compare with
    (alone,) = check([deals], AS_OF)
    assert alone.quality.anomalies == ()


def test_validate_with_several_inputs_reports_the_anomaly_across_them(runner):
    args = ["validate", str(OLIST_MQLS), str(OLIST_DEALS), "-m", str(OLIST_MAPPINGS / "leads.yaml")]
    args += ["-m", str(OLIST_MAPPINGS / "deals.yaml"), "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    leads, deals = json.loads(result.stdout)["inputs"]
    assert (leads["anomalies"], [a["reason"] for a in deals["anomalies"]]) == ([], [WON_BEFORE])
    assert deals["anomalies"][0]["count"] == 1
    table = runner.invoke(app, args[:-2])
    words = " ".join(table.output.replace("|", " ").split())
    assert "closed_at before leads.created_at of its lead_id" in words
    assert "3: closed_at 2018-03-06T19:38:55" in words
