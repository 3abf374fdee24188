"""Every real dataset runs end to end from its example config, as the README shows."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from salesmetrics.cli import app
from tests.conftest import realdata_dir

DATA = realdata_dir()
EXAMPLES = Path(__file__).parents[1] / "configs" / "examples"
SCHEMA = json.loads(files("salesmetrics").joinpath("report.schema.json").read_text("utf-8"))
HEADLINE = {  # a KPI each dataset is there to show; its figure is checked in its own test file
    "maven_crm": "win_rate",
    "olist_funnel": "lead_conversion_rate",
    "online_retail": "repurchase_rate",
    "cdnow": "repurchase_rate",
    "telco_churn": "customer_churn_rate",
    "xeducation_leads": "lead_conversion_rate",
}


@pytest.mark.parametrize("dataset", sorted(HEADLINE))
def test_full_report_runs_from_the_example_config(dataset: str):
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--config",
            str(EXAMPLES / f"{dataset}.yaml"),
            "--data-dir",
            str(DATA / dataset),
            "--period",
            "all",
            "--format",
            "json",
            "--as-of",
            "2026-11-23",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    assert document["period"]["label"] == "all"
    totals = {k["id"]: k for k in document["kpis"] if k["group"] == {}}
    headline = totals[HEADLINE[dataset]]
    assert headline["value"] is not None and 0 < headline["value"] < 1, headline
    assert all(i["rows_used"] > 0 for i in document["inputs"])
