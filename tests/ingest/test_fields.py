"""What a mapping gives a file with given headers: fields found, identity, headers to add."""

from __future__ import annotations

from pathlib import Path

from salesmetrics.ingest import fields
from salesmetrics.ingest.mapping import load_mapping
from salesmetrics.schema import ENTITIES


def mapping_of(tmp_path: Path, text: str):
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    return load_mapping(str(path))


def test_given_counts_columns_found_constants_and_what_derives_from_them():
    pipedrive = load_mapping("pipedrive_deals")
    headers = fields.by_fold(["deal - stage", "Deal - Won time ", "\ufeffDeal - ID"])
    # closed_at from Won time (first_of); the status from the stage, as loading derives it;
    # the stage's default probability read from the stage column
    assert fields.given(pipedrive, headers) == {
        "stage",
        "stage_probability",
        "won_at",
        "closed_at",
        "deal_id",
        "status",
    }
    assert fields.unmet(pipedrive, fields.given(pipedrive, headers)) == []


def test_a_rule_list_whose_values_are_all_null_gives_nothing():
    # hubspot_deals lists `status: [{value: null}]` only to make Is Closed Won optional:
    # without Deal Stage or Is Closed Won, a file does not give a status
    hubspot = load_mapping("hubspot_deals")
    found = fields.given(hubspot, fields.by_fold(["Record ID", "Create Date", "Amount"]))
    assert "status" not in found
    assert fields.unmet(hubspot, found) == [("stage", "status")]


def test_rules_and_products_give_a_field_only_from_what_the_file_has(tmp_path):
    orders = mapping_of(
        tmp_path,
        "entity: orders\ncolumns: {ordered_at: Date, quantity: Qty, unit_price: Price}\n"
        "derive:\n  product:\n    - when: {column: SKU, equals: A1}\n      value: Widget\n",
    )
    assert "amount" in fields.given(orders, fields.by_fold(["Date", "Qty", "Price"]))
    assert "amount" not in fields.given(orders, fields.by_fold(["Date", "Qty"]))
    assert "product" in fields.given(orders, fields.by_fold(["Date", "SKU"]))
    assert "product" not in fields.given(orders, fields.by_fold(["Date"]))


def test_what_recognition_looks_for_counts_each_field_once():
    assert fields.looked_for(ENTITIES["deals"]) == [
        ("deal_id",),
        ("created_at",),
        ("stage", "status"),
        ("amount",),
        ("closed_at",),
        ("owner",),
    ]
    # a lead's identity (created_at or status) is two important fields already
    assert fields.looked_for(ENTITIES["leads"]) == [
        ("lead_id",),
        ("created_at",),
        ("status",),
        ("source",),
        ("owner",),
    ]
    # an entity with no important fields declared: its identity
    assert fields.looked_for(ENTITIES["costs"]) == [("amount",), ("incurred_at", "month")]


def test_the_headers_that_would_bring_an_absent_field():
    pipedrive = load_mapping("pipedrive_deals")
    found = fields.given(pipedrive, fields.by_fold(["Deal - Stage", "Deal - Value"]))
    absent = fields.absent(pipedrive, found)
    assert absent["created_at"] == "Deal - Deal created"  # the first alias
    assert absent["closed_at"] == "Deal - Deal closed on, Deal - Won time or Deal - Lost time"
    assert "title" not in absent  # a dimension, which no KPI needs
    assert "amount" not in absent and "status" not in absent
