"""The JSON document: exactly the contract's keys, valid against the schema that ships."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from importlib.resources import files

import jsonschema
import pytest

from salesmetrics.render.json_report import document, render
from tests.render.reports import sample_inputs, sample_report, stale_report

SCHEMA = json.loads(files("salesmetrics").joinpath("report.schema.json").read_text("utf-8"))


def test_document_has_the_contract_keys_and_validates():
    doc = document(sample_report(), sample_inputs(), datetime(2026, 11, 23, 6, 0, tzinfo=UTC))
    assert list(doc) == [
        "schema_version",
        "tool",
        "generated_at",
        "as_of",
        "period",
        "comparison",
        "currency",
        "group_by",
        "inputs",
        "warnings",
        "groups_left_out",
        "kpis",
        "skipped",
        "summary",
    ]
    # the panel: revenue won and win rate (a small sample, still in the panel); the moves:
    # deals won (+50%), the one other total with a change
    assert doc["summary"] == {"kpis": ["revenue_won", "win_rate"], "moves": ["deals_won"]}
    assert doc["generated_at"] == "2026-11-23T06:00:00Z"
    assert doc["period"] == {"label": "2026-10", "start": "2026-10-01", "end": "2026-10-31"}
    assert doc["comparison"]["label"] == "2026-09" and doc["group_by"] == ["owner"]
    assert doc["inputs"][0]["rows_rejected"] == 1 and "rejected" not in doc["inputs"][0]
    win = doc["kpis"][2]
    assert (win["value"], win["numerator"], win["denominator"], win["small_sample"]) == (
        0.6,
        3.0,
        5.0,
        True,
    )
    assert doc["kpis"][0]["trend"] is None and doc["kpis"][3]["group"] == {"owner": "=HYPERLINK(1)"}
    assert doc["skipped"] == [{"id": "email_open_rate", "reason": "needs activities.opened"}]
    assert doc["warnings"] == []
    jsonschema.validate(json.loads(json.dumps(doc)), SCHEMA)


def test_warnings_are_objects_with_code_entity_dates_and_message():
    doc = document(stale_report(), sample_inputs(), datetime(2026, 11, 23, tzinfo=UTC))
    assert doc["warnings"] == [
        {
            "code": "stale_input",
            "entity": "deals",
            "first": "2025-01-02",
            "last": "2026-09-30",
            "message": "deals end 2026-09-30; period 2026-10 has no deals",
        }
    ]
    mrr = doc["kpis"][-1]
    assert (mrr["group"], mrr["note"]) == ({}, "not split by owner: subscriptions carry no owner")
    jsonschema.validate(json.loads(json.dumps(doc)), SCHEMA)
    wrong = {**doc, "warnings": [{**doc["warnings"][0], "code": "late"}]}
    with pytest.raises(jsonschema.ValidationError, match="'late' is not one of"):
        jsonschema.validate(json.loads(json.dumps(wrong)), SCHEMA)


def test_rendered_json_never_holds_nan():
    out = io.StringIO()
    render(sample_report(), sample_inputs(), out)
    text = out.getvalue()
    assert "NaN" not in text and "Infinity" not in text
    jsonschema.validate(json.loads(text), SCHEMA)
