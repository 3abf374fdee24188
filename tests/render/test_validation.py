"""The `validate` report: the table people read and the JSON tools read, line by line."""

from __future__ import annotations

import io
import json

from salesmetrics.ingest.quality import InputQuality, Lines, ValueCount
from salesmetrics.render.console import make_console
from salesmetrics.render.validation import render_json, render_table

PLACING = (
    "# my_hubspot_deals.yaml: use it as the mapping (--mapping my_hubspot_deals.yaml)\n"
    "extends: hubspot_deals\n"
    "values:\n"
    "  stage:\n"
    "    map:  # each to prospecting, qualification, demo, proposal, negotiation, won or lost\n"
    '      "Pilot [Running]": <stage>  # 12 rows\n'
)


def quality(**kw) -> InputQuality:
    base = {
        "path": "exports/deals.csv",
        "entity": "deals",
        "mapping": "hubspot_deals",
        "sha256": "0" * 64,
        "rows_read": 20,
        "rows_used": 20,
        "rows_filtered": 0,
        "rows_rejected": 0,
        "duplicates_dropped": 0,
    }
    return InputQuality(**(base | kw))


def table(q: InputQuality) -> str:
    out = io.StringIO()
    console = make_console(out)
    console.width = 120  # wide enough that each row is one line (piped output is 80 wide)
    render_table([q], console)
    return out.getvalue()


def test_unplaced_stage_values_are_listed_with_their_rows_and_the_yaml_that_places_them():
    q = quality(unplaced=(ValueCount("stage", "Pilot [Running]", 12),), placing_yaml=PLACING)
    text = table(q)
    assert "Stage values not placed" in text
    row = next(line for line in text.splitlines() if "Pilot [Running]" in line)
    assert "stage" in row and "12" in row  # the value as written: no markup eaten
    assert (
        "Deals at these stages count as open, at an unknown stage. To place them, fill in each "
        "<stage> (the first line says where):"
    ) in " ".join(text.split())
    assert PLACING in text  # the YAML whole, to copy
    document = json.loads(_json(q))
    (item,) = document["inputs"]
    assert item["unplaced"] == [{"field": "stage", "value": "Pilot [Running]", "count": 12}]
    assert item["placing_yaml"] == PLACING


def test_line_items_say_how_many_lines_made_how_many_records():
    q = quality(rows_read=9, rows_used=7, rows_rejected=2, lines_of=Lines(("deal_id",), 7, 3))
    line = next(line for line in table(q).splitlines() if "lines joined" in line)
    assert "lines joined (lines_of: deal_id)" in line and "7 lines → 3 deals" in line
    (item,) = json.loads(_json(q))["inputs"]
    assert item["lines_of"] == {"key": ["deal_id"], "lines": 7, "records": 3}


def test_a_plain_input_has_neither_part():
    q = quality()
    text = table(q)
    assert "not placed" not in text and "lines joined" not in text
    (item,) = json.loads(_json(q))["inputs"]
    assert (item["unplaced"], item["placing_yaml"], item["lines_of"]) == ([], None, None)


def _json(q: InputQuality) -> str:
    out = io.StringIO()
    render_json([q], out)
    return out.getvalue()


def test_an_input_with_anomalies_is_never_called_clean_and_lists_them():
    from salesmetrics.ingest.quality import Example, Reason

    closed = Reason(
        "closed_at before created_at (closed before it was created)",
        3,
        (Example(7, "created_at 2026-03-10, closed_at 2026-03-02"),),
    )
    q = quality(anomalies=(closed,))
    text = table(q)
    first = text.splitlines()[0]
    assert "clean" not in first and first.endswith("3 anomalies")
    assert "Anomalies: impossible values, rows kept" in text
    row = " ".join(text.split())
    assert "closed_at before created_at (closed before it was created) | 3 |" in row
    assert "7: created_at 2026-03-10, closed_at 2026-03-02" in row
    (item,) = json.loads(_json(q))["inputs"]
    assert item["anomalies"] == [
        {
            "reason": "closed_at before created_at (closed before it was created)",
            "count": 3,
            "examples": [{"row": 7, "value": "created_at 2026-03-10, closed_at 2026-03-02"}],
        }
    ]
    both = table(quality(rows_used=18, rows_rejected=2, anomalies=(closed,))).splitlines()[0]
    assert both.endswith("2 rejected, 3 anomalies")
    assert table(quality()).splitlines()[0].endswith("clean")
