"""The CRM presets in salesmetrics/presets/: each reads its CRM's own export, quirks included, field by field.

The fixtures in tests/fixtures/presets/ are written by make_presets.py beside them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from salesmetrics.engine import compute
from salesmetrics.errors import InputError
from salesmetrics.ingest import fields, load_input
from salesmetrics.ingest.detect import candidates, recognise
from salesmetrics.ingest.load import LoadedInput
from salesmetrics.ingest.mapping import PRESETS_DIR, list_presets, load_mapping
from salesmetrics.periods import resolve_period
from tests.conftest import FIXTURES

PRESET_FIXTURES = FIXTURES / "presets"
CRM_FIXTURES = FIXTURES / "crm"

# every preset, its entity, and the dimensions it keeps on purpose (all else is canonical)
PRESETS = {
    "hubspot_deals": (
        "deals",
        {"deal_name", "amount_in_company_currency", "last_activity_at"},
    ),
    "hubspot_contacts": ("leads", {"lifecycle_stage", "opportunity_at"}),
    "salesforce_opportunities": ("deals", {"opportunity_name", "fiscal_period"}),
    "salesforce_opportunity_products": ("deals", {"opportunity_name", "fiscal_period"}),
    "salesforce_leads": ("leads", {"company"}),
    "pipedrive_deals": ("deals", {"title", "closed_on", "won_at", "lost_at"}),
    "zoho_deals": ("deals", {"deal_name", "account_name"}),
    "zoho_leads": ("leads", {"company"}),
    "activity_log": ("activities", set()),
    "zoho_stage_history": ("stage_history", {"deal_name"}),
    "salesforce_opportunity_history": ("stage_history", {"opportunity_name"}),
    "salesforce_opportunity_field_history": ("stage_history", {"opportunity_name"}),
}


def load(file: str, preset: str | None = None) -> LoadedInput:
    return load_input(PRESET_FIXTURES / file, preset or Path(file).stem)


def values(loaded: LoadedInput, field: str) -> list:
    """A column as plain values, None for missing."""
    return [None if pd.isna(v) else v for v in loaded.frame[field].tolist()]


def stamps(*texts: str | None) -> list:
    return [None if t is None else pd.Timestamp(t) for t in texts]


def counts(loaded: LoadedInput) -> tuple[int, int, int, int, int]:
    q = loaded.quality
    return q.rows_read, q.rows_used, q.rows_filtered, q.rows_rejected, q.duplicates_dropped


def rejected(loaded: LoadedInput) -> dict[str, list[int]]:
    return {r.reason: [e.row for e in r.examples] for r in loaded.quality.rejected}


# ------------------------------------------------------------------------------ every preset


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_loads_with_canonical_fields_or_deliberate_dimensions(name):
    entity, dimensions = PRESETS[name]
    mapping = load_mapping(name)
    assert name in list_presets()
    assert mapping.entity.name == entity
    assert set(mapping.dimensions) == dimensions
    for field in [*mapping.columns, *mapping.constants, *mapping.derive, *mapping.values]:
        assert mapping.entity.field(field) is not None or field in dimensions, field
    # an export with every column the preset names has what identifies its entity
    every = fields.by_fold(a for aliases in mapping.columns.values() for a in aliases)
    assert fields.unmet(mapping, fields.given(mapping, every)) == []


def comment_block(name: str) -> str:
    text = (PRESETS_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    return text[: text.index("\nentity:")]


def extends_example(name: str) -> str:
    """The `extends:` example of a preset's comment block, as the YAML it shows."""
    lines = comment_block(name).splitlines()
    start = lines.index(f"#   extends: {name}")
    example = []
    for line in lines[start:]:
        if not line.startswith("#   "):
            break
        example.append(line[4:])
    return "\n".join(example) + "\n"


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_comment_block_says_export_maps_and_how_to_extend(name, tmp_path):
    block = comment_block(name)
    assert block.startswith(f"# salesmetrics/presets/{name}.yaml — preset `{name}`: ")
    assert "\n# Export: " in block and "\n# Maps: " in block
    example = extends_example(name)
    assert len(example.splitlines()) == 3
    own = tmp_path / "own.yaml"
    own.write_text(example, encoding="utf-8")
    mapping = load_mapping(str(own))  # the example is a valid mapping on top of the preset
    (section, spec), *_ = ((k, v) for k, v in yaml.safe_load(example).items() if k != "extends")
    assert section in ("values", "columns")
    for field, setting in spec.items():
        if section == "columns":
            assert mapping.columns[field] == (setting,)
        else:
            for raw, canonical in setting["map"].items():
                assert mapping.values[field].pairs[str(raw).casefold()] == canonical


# ----------------------------------------------------------------------------------- HubSpot


def test_hubspot_deals_with_bom_both_quote_styles_and_internal_and_label_stages():
    raw = (PRESET_FIXTURES / "hubspot_deals.csv").read_bytes()
    assert raw.startswith(b'\xef\xbb\xbf"Record ID"')  # the fixture really has HubSpot's BOM
    assert "Date entered “Qualified To Buy (Sales Pipeline)”".encode() in raw
    assert b'Date entered ""Appointment Scheduled (Sales Pipeline)""' in raw
    loaded = load("hubspot_deals.csv")
    assert counts(loaded) == (6, 4, 0, 1, 1)
    assert rejected(loaded) == {"created_at: blank": [7]}
    assert values(loaded, "deal_id") == ["9001", "9002", "9003", "9004"]
    assert values(loaded, "_row") == [3, 4, 5, 6]  # the older copy of 9003 (row 2) dropped
    assert values(loaded, "stage_raw") == [
        "closedwon",
        "Closed Lost",
        "presentationscheduled",
        "Contract Sent",
    ]
    assert values(loaded, "stage") == ["won", "lost", "demo", "negotiation"]
    assert values(loaded, "status") == ["won", "lost", "open", "open"]
    assert values(loaded, "amount") == [12000.0, 5000.0, 8000.5, None]
    assert values(loaded, "currency") == ["USD", "EUR", "USD", "USD"]
    assert values(loaded, "amount_in_company_currency") == ["11040.0", "5000", "8000.5", None]
    assert values(loaded, "created_at") == stamps(
        "2026-01-10 09:30", "2026-02-01 08:00", "2026-02-15 12:00", "2026-03-01 10:00"
    )
    # Close Date: when the won and lost deals closed, and the expected date of open ones
    assert values(loaded, "closed_at")[:2] == stamps("2026-03-20 14:05", "2026-03-05 10:00")
    assert values(loaded, "expected_close_at") == stamps(
        "2026-03-20 14:05", "2026-03-05 10:00", "2026-04-30", "2026-05-15"
    )
    assert values(loaded, "owner") == ["Ana Lopez", "Ben Okafor", "Ana Lopez", None]
    assert values(loaded, "deal_type") == ["new", "expansion", "new", "other"]
    (fell,) = loaded.quality.defaulted
    assert (fell.field, fell.value, fell.count) == ("deal_type", "Partner deal", 1)
    assert values(loaded, "probability") == [1.0, 0.0, 0.6, 0.9]
    assert values(loaded, "lost_reason") == [None, "Went with a competitor", None, None]
    assert values(loaded, "source") == ["Organic Search", "Referrals", "Paid Search", None]
    assert values(loaded, "pipeline") == ["Sales Pipeline"] * 4
    assert values(loaded, "forecast_category") == ["closed", "omitted", "best_case", "commit"]
    assert values(loaded, "account_id") == ["501", "503", "502", None]
    assert values(loaded, "lead_id") == ["701", None, "702", None]
    assert values(loaded, "modified_at")[2] == pd.Timestamp("2026-03-10 15:30")
    # stage history: straight quotes (prospecting, demo, negotiation, lost), curly (the rest)
    assert values(loaded, "entered_prospecting") == stamps(
        "2026-01-10 09:30", "2026-02-01 08:00", "2026-02-15 12:00", "2026-03-01 10:00"
    )
    assert values(loaded, "entered_qualification") == stamps(
        "2026-01-15 10:00", "2026-02-10 09:00", "2026-02-16 10:00", "2026-03-02 10:00"
    )
    assert values(loaded, "entered_demo") == stamps(
        "2026-02-01 11:00", None, "2026-03-10 15:00", "2026-03-05 10:00"
    )
    assert values(loaded, "entered_proposal") == stamps(
        "2026-02-20 12:00", None, None, "2026-03-08 10:00"
    )
    assert values(loaded, "entered_negotiation") == stamps(
        "2026-03-01 13:00", None, None, "2026-03-12 11:00"
    )
    assert values(loaded, "entered_won") == stamps("2026-03-20 14:05", None, None, None)
    assert values(loaded, "entered_lost") == stamps(None, "2026-03-05 10:00", None, None)
    assert loaded.quality.missing_columns == ()


def test_hubspot_deals_view_export_as_excel_with_single_quoted_labels():
    loaded = load("hubspot_deals.xlsx", "hubspot_deals")
    assert counts(loaded) == (2, 2, 0, 0, 0)
    assert values(loaded, "deal_id") == ["9101", "9102"]
    assert values(loaded, "stage") == ["won", "prospecting"]
    assert values(loaded, "status") == ["won", "open"]  # no Is Closed Won column: the stage
    assert values(loaded, "amount") == [2500.0, 700.0]
    assert values(loaded, "closed_at")[0] == pd.Timestamp("2026-04-02 16:45")
    assert values(loaded, "expected_close_at") == stamps("2026-04-02 16:45", "2026-06-30")
    assert values(loaded, "entered_won") == stamps("2026-04-02 16:45", None)
    assert values(loaded, "entered_prospecting") == stamps("2026-03-03 09:00", "2026-03-20 11:30")
    missing = " ".join(loaded.quality.missing_columns)
    assert "status (Is Closed Won)" in missing and "currency (Currency)" in missing


def test_hubspot_contacts_lifecycle_dates_in_every_spelling():
    loaded = load("hubspot_contacts.csv")
    assert counts(loaded) == (5, 4, 0, 1, 0)
    assert values(loaded, "conversion") == ["customer"] * 4  # converted_at: became a Customer
    assert rejected(loaded) == {"lead_id: blank": [6]}
    assert values(loaded, "lead_id") == ["701", "702", "703", "704"]
    assert values(loaded, "created_at") == stamps(
        "2026-01-05 08:00", "2026-02-14 13:00", "2026-02-20 16:00", "2026-03-02 07:45"
    )
    assert values(loaded, "owner") == ["Ana Lopez", "Ana Lopez", "Ben Okafor", None]
    assert values(loaded, "status") == ["Connected", "In Progress", "Attempted to Contact", "New"]
    assert values(loaded, "source") == [
        "Organic Search",
        "Paid Search",
        "Social Media",
        "Direct Traffic",
    ]
    assert values(loaded, "first_response_at") == stamps(
        "2026-01-05 09:15", "2026-02-14 13:40", None, None
    )
    # straight quotes, curly quotes, single quotes, and the older "Became a ... Date"
    assert values(loaded, "mql_at") == stamps(
        "2026-01-06 10:00", "2026-02-14 18:00", "2026-02-21 09:00", None
    )
    assert values(loaded, "sql_at") == stamps("2026-01-08 11:00", "2026-02-15 11:00", None, None)
    assert values(loaded, "opportunity_at") == ["2026-01-10 09:30", None, None, None]
    assert values(loaded, "converted_at") == stamps("2026-03-20 14:05", None, None, None)
    assert values(loaded, "lifecycle_stage")[:2] == ["Customer", "Sales Qualified Lead"]
    assert values(loaded, "account_id") == ["501", "502", None, None]


def custom_stages(tmp_path: Path) -> Path:
    """The HubSpot fixture with two stages of a company's own."""
    text = (PRESET_FIXTURES / "hubspot_deals.csv").read_text(encoding="utf-8-sig")
    text = text.replace('"presentationscheduled"', '"Pilot Running"')
    text = text.replace('"Contract Sent"', '"Legal: Review"')
    data = tmp_path / "deals.csv"
    data.write_text(text, encoding="utf-8")
    return data


def test_unknown_stages_are_open_and_validate_shows_the_extends_file(tmp_path):
    loaded = load_input(custom_stages(tmp_path), "hubspot_deals")
    assert values(loaded, "deal_id") == ["9001", "9002", "9003", "9004"]
    assert values(loaded, "stage") == ["won", "lost", None, None]
    assert values(loaded, "stage_raw")[2:] == ["Pilot Running", "Legal: Review"]
    assert values(loaded, "status") == ["won", "lost", "open", "open"]
    q = loaded.quality
    assert [(u.value, u.count) for u in q.unplaced] == [("Pilot Running", 1), ("Legal: Review", 1)]
    assert q.placing_yaml == (
        "# my_hubspot_deals.yaml: use it as the mapping (--mapping my_hubspot_deals.yaml)\n"
        "extends: hubspot_deals\n"
        "values:\n"
        "  stage:\n"
        "    map:  # each to prospecting, qualification, demo, proposal, negotiation, won or lost\n"
        '      "Pilot Running": <stage>  # 1 rows\n'
        '      "Legal: Review": <stage>  # 1 rows\n'
    )
    own = tmp_path / "my_hubspot_deals.yaml"
    own.write_text(
        q.placing_yaml.replace("<stage>", "demo", 1).replace("<stage>", "negotiation"),
        encoding="utf-8",
    )
    placed = load_input(tmp_path / "deals.csv", str(own))
    assert values(placed, "stage") == ["won", "lost", "demo", "negotiation"]
    assert placed.quality.unplaced == ()


def test_strict_makes_an_unknown_stage_an_error_with_the_extends_snippet(tmp_path):
    data = custom_stages(tmp_path)
    with pytest.raises(InputError) as err:
        load_input(data, "hubspot_deals", strict=True)
    message = str(err.value)
    assert (
        "2 value(s) of `stage` have no mapping: 'Pilot Running' (1 rows), 'Legal: Review' (1 rows)"
    ) in message
    assert (
        "Map each to one of prospecting, qualification, demo, proposal, negotiation, won, lost "
        "under values.stage.map in a mapping file of your own that extends the preset "
        "hubspot_deals (use that file as the mapping), or set a default: "
        '{extends: hubspot_deals, values: {stage: {map: {"Pilot Running": <stage>, '
        '"Legal: Review": <stage>}}}}'
    ) in message
    assert "\n" not in message  # one line, as every error
    # the snippet is YAML; filled in, it is a valid mapping on top of the preset
    snippet = message[message.index("{extends") :]
    filled = snippet.replace("<stage>", "demo", 1).replace("<stage>", "negotiation")
    own = tmp_path / "own.yaml"
    own.write_text(filled + "\n", encoding="utf-8")
    mapping = load_mapping(str(own))
    assert mapping.values["stage"].pairs["pilot running"] == "demo"
    assert mapping.values["stage"].pairs["legal: review"] == "negotiation"
    # and the preset's own stages still map: the child's map adds to the preset's
    assert mapping.values["stage"].pairs["closedwon"] == "won"
    loaded = load_input(data, str(own))
    assert loaded.quality.rows_rejected == load("hubspot_deals.csv").quality.rows_rejected
    assert {"demo", "negotiation", "won"} <= set(loaded.frame["stage"].dropna())


# -------------------------------------------------------------------------------- Salesforce


def test_salesforce_opportunity_report_with_footer_dollar_amounts_and_currency_column():
    loaded = load("salesforce_opportunities.csv")
    assert counts(loaded) == (5, 4, 0, 1, 0)
    assert loaded.quality.footer_lines_dropped == 5  # blank, totals, blank, two notices
    assert rejected(loaded) == {"closed_at: blank on a won or lost deal": [6]}
    assert values(loaded, "deal_id") == [
        "0065g00000AbCdE1",
        "0065g00000AbCdE2",
        "0065g00000AbCdE3",
        "0065g00000AbCdE4",
    ]
    assert values(loaded, "amount") == [1234567.0, 12500.0, 48000.0, 9999.5]
    assert values(loaded, "currency") == ["USD", "EUR", "USD", "USD"]  # the column, not the $
    assert values(loaded, "stage_raw") == [
        "Closed Won",
        "Closed Lost",
        "Id. Decision Makers",
        "Negotiation/Review",
    ]
    assert values(loaded, "stage") == ["won", "lost", "demo", "negotiation"]
    assert values(loaded, "status") == ["won", "lost", "open", "open"]
    assert values(loaded, "probability") == [1.0, 0.0, 0.6, 0.9]
    assert values(loaded, "created_at") == stamps(
        "2026-01-13", "2026-02-01", "2026-02-15", "2026-03-01"
    )  # month first: 1/13/2026
    assert values(loaded, "closed_at")[:2] == stamps("2026-03-20", "2026-03-05")
    assert values(loaded, "expected_close_at") == stamps(
        "2026-03-20", "2026-03-05", "2026-04-30", "2026-05-15"
    )
    assert values(loaded, "owner") == ["Ana Lopez", "Ben Okafor", "Ana Lopez", "Cara Diaz"]
    assert values(loaded, "account_id") == ["Acme Corp", "Globex GmbH", "Initech", "Umbrella"]
    assert values(loaded, "source") == ["Web", "Partner Referral", "Trade Show", None]
    assert values(loaded, "deal_type") == ["new", "upsell", "new", "other"]
    assert values(loaded, "fiscal_period") == ["Q1-2026", "Q1-2026", "Q2-2026", "Q2-2026"]
    assert values(loaded, "forecast_category") == ["closed", "omitted", "pipeline", "commit"]


def test_salesforce_won_flag_decides_status_and_its_absence_leaves_it_to_the_stage(tmp_path):
    header = "Opportunity ID,Stage,Created Date,Close Date,Amount"
    rows = [
        "0061,Closed Won,1/13/2026,3/20/2026,100",
        "0062,Closed Lost,1/14/2026,3/21/2026,200",
        "0063,Prospecting,1/15/2026,4/30/2026,300",
    ]
    without = tmp_path / "without_won.csv"
    without.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    loaded = load_input(without, "salesforce_opportunities")
    assert values(loaded, "status") == ["won", "lost", "open"]
    assert any(m.startswith("status (Won / Is Won / ") for m in loaded.quality.missing_columns)
    assert "currency" not in loaded.frame.columns  # no currency column and no symbol

    with_flag = tmp_path / "with_is_won.csv"
    flagged = [r + f",{flag}" for r, flag in zip(rows, ["true", "false", "false"], strict=True)]
    # the flag wins over the stage: Salesforce says the deal is won
    flagged.append("0064,Negotiation/Review,1/16/2026,3/22/2026,400,true")
    with_flag.write_text("\n".join([header + ",Is Won", *flagged]) + "\n", encoding="utf-8")
    loaded = load_input(with_flag, "salesforce_opportunities")
    assert values(loaded, "status") == ["won", "lost", "open", "won"]


def test_salesforce_lead_report():
    loaded = load("salesforce_leads.csv")
    assert counts(loaded) == (4, 4, 0, 0, 0)
    assert loaded.quality.footer_lines_dropped == 5
    assert values(loaded, "lead_id") == [
        "00Q5g00000XyZa1",
        "00Q5g00000XyZa2",
        "00Q5g00000XyZa3",
        "00Q5g00000XyZa4",
    ]
    assert values(loaded, "created_at") == stamps(
        "2026-01-13", "2026-02-14", "2026-02-03", "2026-03-01"
    )
    assert values(loaded, "owner") == ["Ana Lopez", "Ben Okafor", "Cara Diaz", "Cara Diaz"]
    assert values(loaded, "source") == ["Web", "Partner Referral", "Trade Show", None]
    assert values(loaded, "status") == [
        "Closed - Converted",
        "Working - Contacted",
        "Open - Not Contacted",
        "Closed - Not Converted",
    ]
    assert values(loaded, "converted") == [True, False, False, False]
    assert values(loaded, "converted_at") == stamps("2026-01-20", None, None, None)
    # Converted is lead -> opportunity, declared so: it never makes a customer by itself
    assert values(loaded, "conversion") == ["opportunity"] * 4
    assert values(loaded, "quality") == ["hot", "warm", "Tier 1", None]  # own ratings pass
    assert values(loaded, "company") == ["Acme Corp", "Globex GmbH", "Initech", "Example Org"]


# ----------------------------------------------- Salesforce Opportunities with Products


MARCH_2025 = resolve_period("2025-03", pd.Timestamp("2025-04-01").date())
CLOSE_KPIS = ["deals_won", "deals_lost", "revenue_won", "win_rate", "pipeline_value"]


def close_kpis(loaded: LoadedInput) -> dict[str, float | None]:
    report = compute(
        {"deals": loaded.frame},
        period=MARCH_2025,
        as_of=pd.Timestamp("2025-04-01").date(),
        kpis=CLOSE_KPIS,
    )
    return {kpi: report.value(kpi).value for kpi in CLOSE_KPIS}


def test_salesforce_products_report_one_deal_per_opportunity_amounts_summed_over_lines():
    loaded = load_input(
        CRM_FIXTURES / "salesforce_opportunity_products.csv", "salesforce_opportunity_products"
    )
    assert counts(loaded) == (8, 8, 0, 0, 0)
    q = loaded.quality
    assert q.footer_lines_dropped == 5
    assert (q.lines_of.key, q.lines_of.lines, q.lines_of.records) == (("deal_id",), 8, 4)
    assert "Amount" in q.unused_columns  # the opportunity's amount, repeated on each line
    assert values(loaded, "deal_id") == [
        "0068d00000Pq1AaAAJ",
        "0068d00000Pq1AbAAJ",
        "0068d00000Pq1AcAAJ",
        "0068d00000Pq1AdAAJ",
    ]
    # Total Price over each opportunity's lines: 10,000 + 2,500; 5,000 + 1,200; 3,000;
    # 2,400 + 1,400 + 600
    assert values(loaded, "amount") == [12500.0, 6200.0, 3000.0, 4400.0]
    assert values(loaded, "currency") == ["USD"] * 4  # from the $ of the line amounts
    assert values(loaded, "product") == [
        "Platform License; Onboarding",
        "Platform License; Support Plan",
        "Platform License",
        "Support Plan; Training; Travel",
    ]
    assert values(loaded, "stage") == ["won", "lost", "proposal", "won"]
    assert values(loaded, "status") == ["won", "lost", "open", "won"]
    assert values(loaded, "probability") == [1.0, 0.0, 0.75, 1.0]
    assert values(loaded, "created_at") == stamps(
        "2025-01-15", "2025-02-01", "2025-02-20", "2025-03-01"
    )  # month first: 1/15/2025
    assert values(loaded, "closed_at") == stamps("2025-03-23", "2025-03-10", None, "2025-03-28")
    assert values(loaded, "owner") == ["Ana Lopez", "Ben Okafor", "Ana Lopez", "Cara Diaz"]
    assert values(loaded, "_row") == [2, 4, 6, 7]  # each opportunity's first line
    assert close_kpis(loaded) == {
        "deals_won": 2.0,  # 006A and 006D, once each though they have 2 and 3 lines
        "deals_lost": 1.0,  # 006B
        "revenue_won": 16900.0,  # 12,500 + 4,400: every line, not one line's
        "win_rate": pytest.approx(2 / 3),
        "pipeline_value": 3000.0,  # 006C, open at the end of March
    }


def test_salesforce_products_report_without_lines_of_keeps_one_line_per_deal(tmp_path):
    # what lines_of prevents: de-duplication by Opportunity ID keeps one line's amount
    own = tmp_path / "own.yaml"
    own.write_text("extends: salesforce_opportunity_products\nlines_of: null\n", encoding="utf-8")
    loaded = load_input(CRM_FIXTURES / "salesforce_opportunity_products.csv", str(own))
    assert counts(loaded) == (8, 4, 0, 0, 4)
    assert loaded.quality.lines_of is None
    assert values(loaded, "amount") == [2500.0, 1200.0, 3000.0, 600.0]  # each last line's
    assert close_kpis(loaded)["revenue_won"] == 3100.0


def test_salesforce_products_report_of_a_french_org():
    loaded = load_input(
        CRM_FIXTURES / "salesforce_opportunity_products_fr.csv", "salesforce_opportunity_products"
    )
    assert counts(loaded) == (7, 7, 0, 0, 0)
    q = loaded.quality
    assert q.encoding == "cp1252"  # ISO-8859-1, as Salesforce exports for Western Europe
    assert (q.lines_of.lines, q.lines_of.records) == (7, 4)
    # 10 000 + 2 500; 1 200 + 700; 4 000; 2 000 + 1 250,50, written `12 500,00 EUR`
    assert values(loaded, "amount") == [12500.0, 1900.0, 4000.0, 3250.5]
    assert values(loaded, "currency") == ["EUR"] * 4
    assert values(loaded, "stage_raw") == [
        "Fermée gagnée",
        "Fermée perdue",
        "Proposition/Devis",
        "Pilote en cours",
    ]
    assert values(loaded, "stage") == ["won", "lost", "proposal", None]
    assert values(loaded, "status") == ["won", "lost", "open", "open"]
    # the company's own stage: open at an unknown stage, counted in lines (2)
    assert [(u.value, u.count) for u in q.unplaced] == [("Pilote en cours", 2)]
    assert values(loaded, "created_at") == stamps(
        "2025-02-10", "2025-03-05", "2025-03-12", "2025-03-20"
    )  # day first: 20/03/2025
    assert values(loaded, "closed_at") == stamps("2025-03-23", "2025-03-28", None, None)
    assert values(loaded, "owner") == ["Claire Martin", "Hugo Petit", "Claire Martin", "Hugo Petit"]
    assert values(loaded, "account_id")[1] == "Lefèvre & Fils"
    assert values(loaded, "product")[0] == "Licence Plateforme; Intégration"
    assert close_kpis(loaded) == {
        "deals_won": 1.0,
        "deals_lost": 1.0,
        "revenue_won": 12500.0,
        "win_rate": 0.5,
        "pipeline_value": 7250.5,  # 4 000 + 3 250,50: the unplaced deal is open
    }


@pytest.mark.parametrize(
    ("path", "preset"),
    [
        (CRM_FIXTURES / "salesforce_opportunity_products.csv", "salesforce_opportunity_products"),
        (
            CRM_FIXTURES / "salesforce_opportunity_products_fr.csv",
            "salesforce_opportunity_products",
        ),
        (PRESET_FIXTURES / "salesforce_opportunities.csv", "salesforce_opportunities"),
    ],
)
def test_products_and_plain_opportunity_reports_are_each_recognised_as_theirs(path, preset):
    assert recognise(str(path), candidates()).name == preset


def test_a_plain_opportunity_report_is_unaffected_by_line_items():
    loaded = load("salesforce_opportunities.csv")
    assert loaded.quality.lines_of is None
    assert counts(loaded) == (5, 4, 0, 1, 0)
    assert values(loaded, "amount") == [1234567.0, 12500.0, 48000.0, 9999.5]


# --------------------------------------------------------------------------------- Pipedrive


def test_pipedrive_export_with_mixed_case_statuses_and_lost_reason():
    loaded = load("pipedrive_deals.csv")
    assert counts(loaded) == (5, 4, 0, 1, 0)
    assert rejected(loaded) == {"closed_at: blank on a won or lost deal": [6]}  # won, no date
    assert values(loaded, "deal_id") == ["101", "102", "103", "104"]
    assert values(loaded, "status") == ["won", "lost", "open", "open"]  # Won, LOST, open, Open
    assert values(loaded, "stage_raw") == [
        "Negotiations Started",
        "Proposal Made",
        "Demo Scheduled",
        "Lead In",
    ]
    assert values(loaded, "stage") == ["negotiation", "proposal", "demo", "prospecting"]
    # closed_at: Deal closed on, else Won time, else Lost time
    assert values(loaded, "closed_at") == stamps("2026-03-20 14:05", "2026-03-05 10:00", None, None)
    assert values(loaded, "lost_reason") == [None, "Price too high", None, None]
    assert values(loaded, "amount") == [15000.0, 4000.0, 8000.5, None]
    assert values(loaded, "currency") == ["EUR", "USD", "EUR", "EUR"]
    assert values(loaded, "probability") == [None, None, 0.6, 0.1]
    assert values(loaded, "created_at") == stamps(
        "2026-01-10 09:30", "2026-02-01 08:00", "2026-02-15 12:00", "2026-03-01 10:00"
    )
    assert values(loaded, "expected_close_at") == stamps(
        "2026-03-31", "2026-03-15", "2026-04-30", None
    )
    assert values(loaded, "owner") == ["Ana Lopez", "Ben Okafor", "Ana Lopez", "Cara Diaz"]
    assert values(loaded, "account_id") == ["Acme Corp", "Globex GmbH", "Initech", "Umbrella"]
    assert values(loaded, "pipeline") == ["Pipeline"] * 4
    assert values(loaded, "modified_at")[1] == pd.Timestamp("2026-03-05 10:01")
    assert loaded.quality.missing_columns == ()


def test_pipedrive_import_spellings_in_excel():
    loaded = load("pipedrive_deals.xlsx", "pipedrive_deals")
    assert counts(loaded) == (2, 2, 0, 0, 0)
    assert values(loaded, "deal_id") == ["201", "202"]
    assert values(loaded, "currency") == ["GBP", "GBP"]  # Deal - Currency of value
    assert values(loaded, "created_at") == stamps("2026-02-02 09:00", "2026-03-09 14:30")
    assert values(loaded, "closed_at") == stamps("2026-03-30 17:00", None)  # Deal - Closed on
    assert values(loaded, "status") == ["won", "open"]
    assert values(loaded, "stage") == ["proposal", "demo"]  # Needs Defined: older pipelines
    assert values(loaded, "amount") == [3200.0, 1500.0]


# -------------------------------------------------------------------------------------- Zoho


def test_zoho_deals_keep_zcrm_ids_and_read_none_as_blank():
    loaded = load("zoho_deals.csv")
    assert counts(loaded) == (5, 5, 0, 0, 0)
    assert values(loaded, "deal_id") == [f"zcrm_4876876000000456{i:03d}" for i in range(1, 6)]
    assert values(loaded, "account_id") == [
        "zcrm_4876876000000222001",
        "zcrm_4876876000000222002",
        "zcrm_4876876000000222003",
        None,
        "zcrm_4876876000000222005",
    ]
    assert values(loaded, "account_name")[0] == "Acme Corp"
    assert values(loaded, "stage_raw")[1] == "Closed Lost to Competition"
    assert values(loaded, "stage") == ["won", "lost", "proposal", "demo", "lost"]
    assert values(loaded, "status") == ["won", "lost", "open", "open", "lost"]
    assert values(loaded, "amount") == [25000.0, 7000.0, 12000.0, 3000.0, 4500.0]
    assert values(loaded, "currency") == ["USD", "EUR", "USD", "USD", "USD"]
    assert values(loaded, "probability") == [1.0, 0.0, 0.75, 0.6, 0.0]
    closed = [
        v
        for v, s in zip(values(loaded, "closed_at"), values(loaded, "status"), strict=True)
        if s != "open"
    ]
    assert closed == stamps("2026-03-20", "2026-03-05", "2026-03-28")
    assert values(loaded, "expected_close_at") == stamps(
        "2026-03-20", "2026-03-05", "2026-04-30", "2026-05-15", "2026-03-28"
    )
    assert values(loaded, "created_at")[0] == pd.Timestamp("2026-01-10 09:30")
    assert values(loaded, "deal_type") == ["new", "expansion", None, "new", "new"]  # -None-
    assert values(loaded, "source") == [
        "Web Download",
        "Trade Show",
        None,
        "Cold Call",
        "Web Download",
    ]
    assert values(loaded, "owner") == [
        "Ana Lopez",
        "Ben Okafor",
        "Ana Lopez",
        "Cara Diaz",
        "Cara Diaz",
    ]


def test_zoho_leads():
    loaded = load("zoho_leads.csv")
    assert counts(loaded) == (3, 3, 0, 0, 0)
    assert values(loaded, "lead_id") == [f"zcrm_4876876000000333{i:03d}" for i in range(1, 4)]
    assert values(loaded, "owner") == ["Ana Lopez", "Ben Okafor", "Cara Diaz"]
    assert values(loaded, "source") == ["Web Download", None, "Trade Show"]
    assert values(loaded, "status") == ["Contacted", "Not Contacted", None]
    assert values(loaded, "created_at") == stamps(
        "2026-01-05 08:00", "2026-02-20 16:00", "2026-03-02 07:45"
    )
    assert values(loaded, "company") == ["Acme Corp", "Globex GmbH", "Initech"]


# ------------------------------------------------------------------------------ activity log


def test_activity_log_with_synonym_headers():
    loaded = load("activity_log.csv")
    assert counts(loaded) == (6, 5, 0, 1, 0)
    assert rejected(loaded) == {"occurred_at: blank": [7]}
    assert values(loaded, "activity_id") == ["A1", "A2", "A3", "A4", "A5"]
    assert values(loaded, "occurred_at") == stamps(
        "2026-03-02 09:15", "2026-03-02 10:00", "2026-03-03 14:00", "2026-03-04 08:30",
        "2026-03-05 11:00",
    )  # fmt: skip
    assert values(loaded, "channel") == ["email", "call", "demo", "social", "email"]
    assert values(loaded, "direction") == [
        "outbound",
        "outbound",
        "outbound",
        "inbound",
        "outbound",
    ]
    assert values(loaded, "owner") == [
        "Ana Lopez",
        "Ana Lopez",
        "Ben Okafor",
        "Ben Okafor",
        "Cara Diaz",
    ]
    assert values(loaded, "lead_id") == ["701", "702", None, "703", "704"]  # Contact ID
    assert values(loaded, "deal_id") == [None, "9003", "9003", None, None]  # Opportunity ID
    assert values(loaded, "opened") == [True, None, None, None, False]
    assert values(loaded, "replied") == [False, None, None, None, False]
    assert values(loaded, "bounced") == [False, None, None, None, True]
    assert values(loaded, "duration_minutes") == [None, 12.0, 45.0, None, None]
    assert values(loaded, "outcome") == [None, "Connected", "Held", None, "Bounced"]


def test_activity_log_other_spellings_and_unknown_type(tmp_path):
    data = tmp_path / "log.csv"
    data.write_text(
        "Date,Type,User,Lead ID,Deal ID,Duration (min)\n"
        "2026-03-02,Email,Ana,L1,,\n"
        "2026-03-03,Meeting,Ben,,D1,30\n",
        encoding="utf-8",
    )
    loaded = load_input(data, "activity_log")
    assert values(loaded, "occurred_at") == stamps("2026-03-02", "2026-03-03")
    assert values(loaded, "channel") == ["email", "meeting"]
    assert values(loaded, "owner") == ["Ana", "Ben"]
    assert values(loaded, "lead_id") == ["L1", None]
    assert values(loaded, "deal_id") == [None, "D1"]
    assert values(loaded, "duration_minutes") == [None, 30.0]
    assert values(loaded, "direction") == ["outbound", "outbound"]  # the entity default

    data.write_text("Date,Type\n2026-03-02,Site Visit\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape('map: {"Site Visit": <channel>}')):
        load_input(data, "activity_log")
