"""A preset that nearly fits an export: the renames and values found, and the extends file
written for them loads the export."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest

from salesmetrics.infer import knowledge
from salesmetrics.ingest import load_input
from salesmetrics.ingest.detect import candidates, recognise
from salesmetrics.ingest.mapping import load_mapping
from salesmetrics.nearfit import NEAR_RENAMES, Unplaced, near_fit
from tests.conftest import FIXTURES

ROOT = Path(__file__).parents[1]
HUBSPOT = FIXTURES / "presets" / "hubspot_deals.csv"  # a HubSpot deals export, as HubSpot writes it


@pytest.fixture(scope="module")
def know():
    return knowledge()


@pytest.fixture(scope="module")
def pool():
    return candidates()


def hubspot(
    folder: Path,
    headers: dict[str, str] | None = None,
    stages: dict[str, str] | None = None,
    name: str = "hubspot-crm-exports-all-deals.csv",
) -> Path:
    """The HubSpot fixture with some headers renamed and some stage values replaced, written
    back the way HubSpot writes it (UTF-8 with a BOM, every value quoted, CRLF)."""
    headers, stages = headers or {}, stages or {}
    rows = list(csv.reader(io.StringIO(HUBSPOT.read_text(encoding="utf-8-sig"))))
    rows[0] = [headers.get(h, h) for h in rows[0]]
    stage = rows[0].index("Deal Stage") if "Deal Stage" in rows[0] else None
    for row in rows[1:]:
        if stage is not None:
            row[stage] = stages.get(row[stage], row[stage])
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    path = folder / name
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    return path


def stage_counts() -> dict[str, int]:
    rows = list(csv.DictReader(io.StringIO(HUBSPOT.read_text(encoding="utf-8-sig"))))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["Deal Stage"]] = counts.get(row["Deal Stage"], 0) + 1
    return counts


def test_stage_values_the_preset_does_not_map_are_listed_with_counts_and_guesses(
    tmp_path, pool, know
):
    counts = stage_counts()
    path = hubspot(tmp_path, stages={"Contract Sent": "Zebra Track", "Closed Lost": "Lost - Legal"})
    found = recognise(str(path), pool)
    assert found.name == "hubspot_deals"  # the headers are HubSpot's: recognised as they are
    ext = near_fit(str(path), pool, know, found)
    assert ext is not None and ext.recognised and ext.renamed == ()
    assert sorted(ext.unplaced, key=lambda u: u.value) == [
        Unplaced(
            "stage", "Lost - Legal", counts["Closed Lost"], "lost", "guessed from the name: check"
        ),
        Unplaced("stage", "Zebra Track", counts["Contract Sent"], None, ""),
    ]


def test_its_extends_file_maps_the_guessed_values_and_leaves_the_others_to_the_user(
    tmp_path, pool, know
):
    path = hubspot(tmp_path, stages={"Contract Sent": "Zebra Track", "Closed Lost": "Lost - Legal"})
    ext = near_fit(str(path), pool, know, recognise(str(path), pool))
    assert ext is not None
    text = ext.yaml("deals.yaml", "exports/deals.csv", "2026-12-03")
    assert text.splitlines()[4:] == [
        "extends: hubspot_deals",
        "",
        "values:",
        "  stage:",
        "    map:",
        "      Lost - Legal: lost                # 1 row; guessed from the name: check",
        "#     Zebra Track: null                 # 1 row; no guess: one of prospecting, "
        "qualification, demo, proposal, negotiation, won, lost",
    ]
    written = tmp_path / "deals.yaml"
    written.write_text(text, encoding="utf-8")
    mapping = load_mapping(str(written))
    assert mapping.values["stage"].pairs["lost - legal"] == "lost"
    assert "pilot running" not in mapping.values["stage"].pairs  # left for the user to map
    # the user maps the value left to them, as the comment says, and the export loads
    written.write_text(text.replace("#     Zebra Track: null", "      Zebra Track: demo"), "utf-8")
    frame = load_input(path, str(written)).frame
    by_raw = dict(zip(frame["stage_raw"], frame["stage"], strict=True))
    assert (by_raw["Zebra Track"], by_raw["Lost - Legal"]) == ("demo", "lost")


def test_columns_under_other_names_are_read_by_the_extends_file_and_it_loads_them(
    tmp_path, pool, know
):
    # deals need only a stage or a status: the file is recognised, and the extends file reads
    # the id and the creation date the preset would miss
    path = hubspot(tmp_path, headers={"Record ID": "Deal ID", "Create Date": "Created Date"})
    found = recognise(str(path), pool)
    assert found.name == "hubspot_deals"
    ext = near_fit(str(path), pool, know, found)
    assert ext is not None and ext.recognised and ext.preset == "hubspot_deals"
    preset = load_mapping("hubspot_deals").columns  # Record ID, and its translations
    assert ext.renamed == (
        ("deal_id", "Deal ID", preset["deal_id"]),
        ("created_at", "Created Date", preset["created_at"]),
    )
    assert (preset["deal_id"][0], preset["created_at"][0]) == ("Record ID", "Create Date")
    assert ext.unplaced == ()
    text = ext.yaml("deals.yaml", "deals.csv", "2026-12-03")
    assert (
        "  deal_id: Deal ID                      # the preset's: Record ID / ID de fiche d'informations / ...; check\n"
        in text
    )
    written = tmp_path / "deals.yaml"
    written.write_text(text, encoding="utf-8")
    as_preset = load_input(HUBSPOT, "hubspot_deals")
    extended = load_input(path, str(written))
    assert extended.quality.rows_used == as_preset.quality.rows_used > 0
    assert extended.frame["deal_id"].tolist() == as_preset.frame["deal_id"].tolist()


def test_no_preset_is_near_when_a_required_column_has_no_known_other_name(tmp_path, pool, know):
    path = hubspot(tmp_path, headers={"Record ID": "Deal ID", "Create Date": "Opened On"})
    assert near_fit(str(path), pool, know) is None


def test_more_required_columns_under_other_names_than_allowed_are_not_near(tmp_path, know):
    # subscriptions need three columns: a customer, its MRR and the month (deals need only one
    # now, a stage or a status)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "billing.yaml").write_text(
        "entity: subscriptions\ncolumns:\n  customer_id: Account\n  mrr: Monthly Amount\n"
        "  month: Billing Month\n  plan: Plan\n",
        encoding="utf-8",
    )
    # as if it were a preset: what a user's own mapping lacks is theirs to add
    pool = [replace(c, own=False) for c in candidates([tmp_path / "mine"]) if c.own]
    path = tmp_path / "billing.csv"
    path.write_text("Customer ID,MRR,Month,Plan\nC1,100,2026-01,Pro\n", "utf-8")
    assert NEAR_RENAMES == 2 and near_fit(str(path), pool, know) is None  # 3 renames
    path.write_text("Customer ID,MRR,Billing Month,Plan\nC1,100,2026-01,Pro\n", "utf-8")
    ext = near_fit(str(path), pool, know)
    assert ext is not None and [r[:2] for r in ext.renamed] == [
        ("customer_id", "Customer ID"),
        ("mrr", "MRR"),
    ]


def test_a_mapping_of_the_users_own_is_never_extended(tmp_path, know):
    own = candidates([ROOT / "sample_data" / "mappings"])
    found = recognise(str(ROOT / "sample_data" / "deals.csv"), own)
    assert found.chosen.candidate.own
    assert near_fit(found.path, own, know, found) is None


def test_an_export_no_preset_comes_near(tmp_path, pool, know):
    path = tmp_path / "mystery.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    assert near_fit(str(path), pool, know) is None
