"""The real public datasets through the example mappings in configs/examples.

Every expected figure is computed here from the files themselves with plain Python (the `csv`
module, or splitting lines), never copied from the tool's output. The published figures from
each dataset's SOURCE.md are asserted too, to catch a changed copy of the data.

Runs when SALESMETRICS_REALDATA names the datasets folder; skipped when it is unset, and an
error when it is set but the folder is missing.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import realdata_dir

DATA = realdata_dir()

from salesmetrics.ingest import load_input  # noqa: E402
from salesmetrics.ingest.load import LoadedInput  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "configs" / "examples"

INPUTS = {  # name: (dataset file, mapping relative to configs/examples)
    "maven_deals": ("maven_crm/sales_pipeline.csv", "maven_crm/deals.yaml"),
    "maven_reps": ("maven_crm/sales_teams.csv", "maven_crm/reps.yaml"),
    "olist_leads": (
        "olist_funnel/olist_marketing_qualified_leads_dataset.csv",
        "olist_funnel/leads.yaml",
    ),
    "olist_deals": ("olist_funnel/olist_closed_deals_dataset.csv", "olist_funnel/deals.yaml"),
    "online_retail": (
        "online_retail/online-retail-dataset_2010-12-01_to_2011-02-28.csv",
        "online_retail/orders.yaml",
    ),
    "cdnow": ("cdnow/CDNOW_master.txt", "cdnow/orders.yaml"),
    "telco": ("telco_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv", "telco_churn/subscriptions.yaml"),
    "xeducation": ("xeducation_leads/Leads.csv", "xeducation_leads/leads.yaml"),
}


@cache
def loaded(name: str) -> LoadedInput:
    file, mapping = INPUTS[name]
    return load_input(DATA / file, mapping, base_dir=EXAMPLES)


@cache
def csv_rows(file: str) -> tuple[dict[str, str], ...]:
    """The data rows of a CSV with a header, as dicts, read by Python's csv module."""
    with open(DATA / file, newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def blank(value: str | None) -> bool:
    return value is None or not value.strip()


def counts(q) -> tuple[int, int, int, int, int]:
    return (q.rows_read, q.rows_used, q.rows_filtered, q.rows_rejected, q.duplicates_dropped)


def reasons(items) -> dict[str, int]:
    return {r.reason: r.count for r in items}


def column(frame, name: str) -> list:
    """A frame column as plain Python values, missing values as None."""
    values = frame[name]
    return [None if missing else v for v, missing in zip(values, values.isna(), strict=True)]


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_every_row_is_accounted_for(name: str) -> None:
    q = loaded(name).quality
    assert q.rows_used + q.rows_filtered + q.rows_rejected + q.duplicates_dropped == q.rows_read
    assert len(loaded(name).frame) == q.rows_used
    assert sum(reasons(q.rejected).values()) == q.rows_rejected
    assert sum(reasons(q.filtered).values()) == q.rows_filtered


# ------------------------------------------------------------------------------- maven_crm


def maven_expected() -> dict:
    rows = csv_rows("maven_crm/sales_pipeline.csv")
    no_start = [i for i, r in enumerate(rows, start=2) if blank(r["engage_date"])]
    ids = [r["opportunity_id"] for r in rows]
    return {
        "read": len(rows),
        "rejected": len(no_start),
        "rejected_rows": no_start,
        "duplicates": len(ids) - len(set(ids)),
    }


def test_maven_deals_counts() -> None:
    expected = maven_expected()
    assert expected["read"] == 8800  # SOURCE.md
    assert expected["rejected"] == 500  # the Prospecting rows: no engage_date
    li = loaded("maven_deals")
    q = li.quality
    used = expected["read"] - expected["rejected"] - expected["duplicates"]
    assert counts(q) == (expected["read"], used, 0, expected["rejected"], expected["duplicates"])
    assert reasons(q.rejected) == {"created_at: blank": expected["rejected"]}
    assert sorted(li.rejects["row"].tolist()) == expected["rejected_rows"]


def test_maven_deals_values() -> None:
    rows = [r for r in csv_rows("maven_crm/sales_pipeline.csv") if not blank(r["engage_date"])]
    frame = loaded("maven_deals").frame
    stage_status = {"Won": "won", "Lost": "lost", "Engaging": "open", "Prospecting": "open"}
    assert Counter(column(frame, "status")) == Counter(stage_status[r["deal_stage"]] for r in rows)
    assert Counter(column(frame, "stage_raw")) == Counter(r["deal_stage"] for r in rows)

    won = frame[frame["status"] == "won"]
    csv_won = sum(float(r["close_value"]) for r in rows if r["deal_stage"] == "Won")
    assert float(won["amount"].sum()) == pytest.approx(csv_won, rel=1e-9)
    lost = frame[frame["status"] == "lost"]
    assert float(lost["amount"].sum()) == 0.0  # published with close_value 0
    assert frame.loc[frame["status"] == "open", "amount"].isna().all()

    assert frame["owner"].nunique() == len({r["sales_agent"] for r in rows})
    assert int(frame["account_id"].isna().sum()) == sum(blank(r["account"]) for r in rows)
    first_engaged = min(r["engage_date"] for r in rows)
    last_closed = max(r["close_date"] for r in rows if r["close_date"])
    assert frame["created_at"].min() == datetime.fromisoformat(first_engaged)
    assert frame["closed_at"].max() == datetime.fromisoformat(last_closed)
    by_id = {r["opportunity_id"]: r for r in rows}
    for record in frame.head(50).to_dict("records"):
        source = by_id[record["deal_id"]]
        assert record["owner"] == source["sales_agent"]
        assert record["created_at"] == datetime.fromisoformat(source["engage_date"])


def test_maven_reps() -> None:
    rows = csv_rows("maven_crm/sales_teams.csv")
    assert len(rows) == 35  # SOURCE.md
    li = loaded("maven_reps")
    assert counts(li.quality) == (len(rows), len(rows), 0, 0, 0)
    frame = li.frame
    assert dict(zip(frame["owner"], frame["team"], strict=True)) == {
        r["sales_agent"]: r["regional_office"] for r in rows
    }
    assert dict(zip(frame["owner"], frame["manager"], strict=True)) == {
        r["sales_agent"]: r["manager"] for r in rows
    }
    # every deal owner is a rep: the two files join on owner
    assert set(loaded("maven_deals").frame["owner"]) <= set(frame["owner"])


# ---------------------------------------------------------------------------- olist_funnel

MQL_FILE = "olist_funnel/olist_marketing_qualified_leads_dataset.csv"
CLOSED_FILE = "olist_funnel/olist_closed_deals_dataset.csv"


def test_olist_leads() -> None:
    rows = csv_rows(MQL_FILE)
    assert len(rows) == 8000  # SOURCE.md
    ids = [r["mql_id"] for r in rows]
    undated = sum(blank(r["first_contact_date"]) for r in rows)
    duplicates = len(ids) - len(set(ids))
    li = loaded("olist_leads")
    q = li.quality
    used = len(rows) - undated - duplicates
    assert counts(q) == (len(rows), used, 0, undated, duplicates)
    frame = li.frame
    assert (frame["created_at"] == frame["mql_at"]).all()
    assert int(frame["source"].isna().sum()) == sum(blank(r["origin"]) for r in rows) == 60
    source = Counter(column(frame, "source"))
    assert source == Counter(r["origin"] or None for r in rows)
    assert source["unknown"] == 1099  # a recorded value, kept apart from blank
    dates = [r["first_contact_date"] for r in rows]
    assert frame["created_at"].min() == datetime.fromisoformat(min(dates))
    assert frame["created_at"].max() == datetime.fromisoformat(max(dates))
    assert frame["landing_page"].nunique() == len({r["landing_page_id"] for r in rows})


def test_olist_deals() -> None:
    rows = csv_rows(CLOSED_FILE)
    assert len(rows) == 842  # SOURCE.md
    ids = [r["mql_id"] for r in rows]
    li = loaded("olist_deals")
    q = li.quality
    assert counts(q) == (len(rows), len(rows), 0, 0, len(ids) - len(set(ids)))
    frame = li.frame
    assert set(column(frame, "status")) == {"won"}
    assert set(column(frame, "stage")) == {"won"}
    assert sorted(frame["closed_at"]) == sorted(datetime.fromisoformat(r["won_date"]) for r in rows)
    assert (frame["created_at"] == frame["closed_at"]).all()  # no creation date in the file
    assert (frame["deal_id"] == frame["lead_id"]).all()
    assert frame["owner"].nunique() == len({r["sr_id"] for r in rows})
    assert Counter(column(frame, "lead_type")) == Counter(r["lead_type"] or None for r in rows)
    # every won deal is one of the MQLs
    mql_ids = {r["mql_id"] for r in csv_rows(MQL_FILE)}
    assert set(frame["lead_id"]) <= mql_ids
    assert set(frame["lead_id"]) <= set(loaded("olist_leads").frame["lead_id"])


# --------------------------------------------------------------------------- online_retail

RETAIL_FILE = "online_retail/online-retail-dataset_2010-12-01_to_2011-02-28.csv"


def test_online_retail_counts() -> None:
    rows = csv_rows(RETAIL_FILE)
    assert len(rows) == 105_335  # SOURCE.md
    cancelled = sum(r["InvoiceNo"].startswith("C") for r in rows)
    kept = [r for r in rows if not r["InvoiceNo"].startswith("C")]
    undated = sum(blank(r["InvoiceDate"]) for r in kept)
    li = loaded("online_retail")
    q = li.quality
    assert counts(q) == (len(rows), len(kept) - undated, cancelled, undated, 0)
    assert reasons(q.filtered) == {"cancellation": cancelled}
    assert q.rejected == ()


def test_online_retail_values() -> None:
    kept = [r for r in csv_rows(RETAIL_FILE) if not r["InvoiceNo"].startswith("C")]
    frame = loaded("online_retail").frame
    expected = sum(float(r["Quantity"]) * float(r["UnitPrice"]) for r in kept)
    assert float(frame["amount"].sum()) == pytest.approx(expected, rel=1e-9)
    assert float(frame["quantity"].sum()) == sum(int(r["Quantity"]) for r in kept)
    customers = {r["CustomerID"] for r in kept if not blank(r["CustomerID"])}
    assert frame["customer_id"].nunique() == len(customers)
    assert int(frame["customer_id"].isna().sum()) == sum(blank(r["CustomerID"]) for r in kept)
    assert frame["order_id"].nunique() == len({r["InvoiceNo"] for r in kept})
    assert not frame["order_id"].str.startswith("C").any()
    assert Counter(column(frame, "country")) == Counter(r["Country"] for r in kept)
    assert set(column(frame, "currency")) == {"GBP"}
    dates = [r["InvoiceDate"] for r in kept]
    assert frame["ordered_at"].min() == datetime.fromisoformat(min(dates))
    assert frame["ordered_at"].max() == datetime.fromisoformat(max(dates))


# ----------------------------------------------------------------------------------- cdnow


def cdnow_records() -> list[list[str]]:
    text = (DATA / "cdnow/CDNOW_master.txt").read_text(encoding="ascii")
    return [line.split() for line in text.splitlines() if line.strip()]


def test_cdnow() -> None:
    records = cdnow_records()
    assert len(records) == 69_659  # SOURCE.md and the authors' read_me
    assert all(len(r) == 4 for r in records)
    li = loaded("cdnow")
    assert counts(li.quality) == (len(records), len(records), 0, 0, 0)
    frame = li.frame
    customers = {r[0] for r in records}
    assert len(customers) == 23_570  # the read_me's cohort size
    assert frame["customer_id"].nunique() == len(customers)
    assert set(frame["customer_id"]) == customers  # zero-padded ids kept as text
    assert float(frame["amount"].sum()) == pytest.approx(
        sum(float(r[3]) for r in records), rel=1e-9
    )
    assert float(frame["quantity"].sum()) == sum(int(r[2]) for r in records)
    assert int((frame["amount"] == 0).sum()) == sum(float(r[3]) == 0 for r in records) == 80
    days = [r[1] for r in records]
    assert frame["ordered_at"].min() == datetime.strptime(min(days), "%Y%m%d")
    assert frame["ordered_at"].max() == datetime.strptime(max(days), "%Y%m%d")
    first = frame.iloc[0]
    assert (first["customer_id"], first["ordered_at"], first["amount"]) == (
        records[0][0],
        datetime.strptime(records[0][1], "%Y%m%d"),
        float(records[0][3]),
    )


# ----------------------------------------------------------------------------- telco_churn

TELCO_FILE = "telco_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv"


def test_telco() -> None:
    rows = csv_rows(TELCO_FILE)
    assert len(rows) == 7043  # SOURCE.md
    ids = [r["customerID"] for r in rows]
    li = loaded("telco")
    dups = len(ids) - len(set(ids))
    assert counts(li.quality) == (len(rows), len(rows) - dups, 0, 0, dups)
    frame = li.frame
    churned = sum(r["Churn"] == "Yes" for r in rows)
    assert churned == 1869  # SOURCE.md
    assert int(frame["churned"].sum()) == churned
    assert int((~frame["churned"]).sum()) == sum(r["Churn"] == "No" for r in rows)
    assert float(frame["mrr"].sum()) == pytest.approx(
        sum(float(r["MonthlyCharges"]) for r in rows), rel=1e-9
    )
    assert frame["customer_id"].nunique() == len(set(ids))
    assert Counter(column(frame, "contract")) == Counter(r["Contract"] for r in rows)
    assert int(frame["total_charges"].isna().sum()) == sum(blank(r["TotalCharges"]) for r in rows)


# ------------------------------------------------------------------------ xeducation_leads


def test_xeducation() -> None:
    rows = csv_rows("xeducation_leads/Leads.csv")
    assert len(rows) == 9240  # SOURCE.md
    ids = [r["Prospect ID"] for r in rows]
    li = loaded("xeducation")
    dups = len(ids) - len(set(ids))
    assert counts(li.quality) == (len(rows), len(rows) - dups, 0, 0, dups)
    frame = li.frame
    converted = sum(r["Converted"] == "1" for r in rows)
    assert converted == 3561  # SOURCE.md
    assert int(frame["converted"].sum()) == converted
    assert set(frame["created_at"]) == {datetime(1970, 1, 1)}  # the file has no date
    assert Counter(column(frame, "quality")) == Counter(r["Lead Quality"] or None for r in rows)
    assert Counter(column(frame, "source")) == Counter(r["Lead Source"] or None for r in rows)
    assert Counter(column(frame, "lead_origin")) == Counter(r["Lead Origin"] for r in rows)
    # the empty column every line's trailing comma makes is not reported as unused
    assert len(li.quality.unused_columns) == len(rows[0]) - 1 - 16  # 16 columns mapped
    assert all(c.strip() and not c.startswith("(column") for c in li.quality.unused_columns)


# ------------------------------------------------------------------------------------- CLI


def test_cli_validate_config_json() -> None:
    from typer.testing import CliRunner

    from salesmetrics.cli import app

    result = CliRunner().invoke(
        app,
        [
            "validate",
            "--config",
            str(EXAMPLES / "maven_crm.yaml"),
            "--data-dir",
            str(DATA / "maven_crm"),
            "--format",
            "json",
            "--max-reject-rate",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    by_file = {Path(item["path"]).name: item for item in document["inputs"]}
    assert set(by_file) == {"sales_pipeline.csv", "sales_teams.csv"}

    expected = maven_expected()
    deals = by_file["sales_pipeline.csv"]
    assert deals["entity"] == "deals"
    assert deals["rows_read"] == expected["read"]
    assert deals["rows_rejected"] == expected["rejected"]
    assert deals["rows_filtered"] == 0
    assert deals["duplicates_dropped"] == expected["duplicates"]
    assert deals["rows_used"] == expected["read"] - expected["rejected"] - expected["duplicates"]
    assert {r["reason"]: r["count"] for r in deals["rejected"]} == {
        "created_at: blank": expected["rejected"]
    }
    assert deals["reject_rate"] == pytest.approx(expected["rejected"] / expected["read"])

    reps = by_file["sales_teams.csv"]
    teams = len(csv_rows("maven_crm/sales_teams.csv"))
    assert reps["entity"] == "reps"
    assert (reps["rows_read"], reps["rows_used"], reps["rows_rejected"]) == (teams, teams, 0)
