"""`mappings infer` and `init` as a library: inferred mappings load their files, guesses say so."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from salesmetrics.config import load_config
from salesmetrics.errors import ConfigError, MappingError
from salesmetrics.infer import (
    CANONICAL,
    GUESSED,
    PLACEHOLDER_DATE,
    Profile,
    guess_value,
    infer_mapping,
    init_config,
    knowledge,
    profile,
    q,
    refusal,
    words,
)
from salesmetrics.ingest import load_input
from salesmetrics.ingest.load import LoadedInput
from salesmetrics.ingest.mapping import fold, list_presets, load_mapping
from salesmetrics.schema import ENTITIES
from salesmetrics.yamlfile import load_yaml
from tests.conftest import FIXTURES, SAMPLE_MAPPINGS, realdata_dir
from tests.test_nearfit import hubspot

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"


def infer_and_load(path: Path, tmp_path: Path, entity: str | None = None):
    found = infer_mapping(str(path), entity)
    mapping = tmp_path / f"{path.name}.yaml"
    mapping.write_text(found.text, encoding="utf-8")
    load_mapping(str(mapping))  # loads and validates on its own
    return found, load_input(path, str(mapping))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(("file", "preset"), sorted(SAMPLE_MAPPINGS.items()))
def test_inferred_sample_mappings_read_what_the_presets_read(tmp_path, file, preset):
    found, loaded = infer_and_load(SAMPLE / file, tmp_path)
    expected = load_input(SAMPLE / file, preset)
    assert found.entity == expected.entity and found.entity_guessed
    q1, q2 = loaded.quality, expected.quality
    assert q1.rows_read == q2.rows_read
    assert q1.rows_rejected == q2.rows_rejected  # 5 deals without a create date; 0 elsewhere
    # the inferred deals mapping leaves dedupe commented out (ids repeat on 3 rows)
    assert q1.rows_used + q1.duplicates_dropped == q2.rows_used + q2.duplicates_dropped
    # every canonical field the preset fills from a column, the inferred mapping fills too
    preset_fields = {f for f in load_mapping(preset).columns if expected.mapping.entity.field(f)}
    assert preset_fields - set(found.choices) <= {"expected_close_at"}


def test_inferred_deals_mapping_reads_the_hubspot_export_field_by_field(tmp_path):
    found, loaded = infer_and_load(SAMPLE / "deals.csv", tmp_path)
    text = found.text
    assert "entity: deals                               # check: guessed from the columns" in text
    assert "# Why deals: 22 columns named like its fields (Record ID -> deal_id, Create" in text
    assert found.choices["stage"].header == "Deal Stage"
    assert found.choices["entered_demo"].header == (
        'Date entered "Presentation Scheduled (Sales Pipeline)"'
    )
    assert (
        "      closedwon: won                                # 846 rows; as in the presets" in text
    )
    assert "      renewal: renewal" in text and "already canonical" in text
    assert "# dedupe: deal_id repeats on 3 row(s)" in text
    expected = load_input(
        SAMPLE / "deals.csv", "sample_data/mappings/deals.yaml"
    ).frame.drop_duplicates("deal_id")
    ours = loaded.frame.drop_duplicates("deal_id", keep="last")
    assert Counter(ours["status"]) == Counter(expected["status"])
    assert Counter(ours["stage"]) == Counter(expected["stage"])


def test_dates_day_or_month_first_are_detected_per_column(tmp_path):
    header = ["Lead ID", "Created", "Converted Date"]
    rows = [["L1", "25/01/2026", "03/02/2026"], ["L2", "02/03/2026", "14/03/2026"]]
    found, loaded = infer_and_load(write_csv(tmp_path / "dmy.csv", header, rows), tmp_path)
    assert "  date_order: dmy" in found.text
    assert "e.g. 25/01/2026 (day first)" in found.text
    assert str(loaded.frame["created_at"].iloc[1].date()) == "2026-03-02"
    us = [["L1", "1/25/2026 1:05 PM", ""], ["L2", "3/2/2026 9:00 AM", "3/14/2026"]]
    found, loaded = infer_and_load(write_csv(tmp_path / "mdy.csv", header, us), tmp_path)
    assert "  date_order: mdy" in found.text
    assert str(loaded.frame["created_at"].iloc[1]) == "2026-03-02 09:00:00"


def test_dates_that_read_both_ways_are_a_marked_guess(tmp_path):
    rows = [["L1", "01/02/2026"], ["L2", "03/04/2026"]]
    path = write_csv(tmp_path / "ambiguous.csv", ["Lead ID", "Created Date"], rows)
    found, loaded = infer_and_load(path, tmp_path)
    assert "  date_order: dmy" in found.text
    assert "# check: Created Date: day or month first cannot be told: dmy is a guess" in found.text
    assert loaded.quality.rows_used == 2


def test_stage_values_are_listed_with_counts_and_guesses(tmp_path):
    header = ["Opportunity ID", "Created Date", "Stage", "Amount", "Close Date"]
    stages = ["Closed Won"] * 3 + ["Contract Talks", "Discovery Call", "Blue: #1", "No"]
    rows = [[f"O{i}", "2026-01-05", s, "100", "2026-02-01"] for i, s in enumerate(stages)]
    found, loaded = infer_and_load(write_csv(tmp_path / "opps.csv", header, rows), tmp_path)
    text = found.text
    assert "# Stage: 5 distinct value(s), with their rows" in text
    assert "Closed Won: won                               # 3 rows; " in text
    assert "Contract Talks: negotiation                   # check: guessed from the name; 1" in text
    assert "Discovery Call: qualification                 # check: guessed from the name; 1" in text
    assert (
        "      # check: no guess, choose prospecting, qualification, demo, proposal, negotiation,"
        ' won, lost;\n      # 1 row\n      "Blue: #1": null\n'
    ) in text
    assert '"No": null' in text  # quoted: a YAML reader must not take it for false
    mapping = load_mapping(str(tmp_path / "opps.csv.yaml"))
    assert mapping.values["stage"].pairs[fold("Blue: #1")] is None
    # rows whose stage has no guess have no status: rejected, and counted as such
    assert loaded.quality.rows_rejected == 2
    assert Counter(loaded.frame["status"]) == {"won": 3, "open": 2}


def test_text_fields_list_their_values_without_a_map(tmp_path):
    rows = [["L1", "2026-01-01", "Web"], ["L2", "2026-01-02", "Web"], ["L3", "2026-01-02", "Ads"]]
    path = write_csv(tmp_path / "leads.csv", ["Lead ID", "Created", "Lead Source"], rows)
    found, _ = infer_and_load(path, tmp_path)
    assert "source (Lead Source) is text and needs no map" in found.text
    assert "#   Web (2), Ads (1)" in found.text
    assert "  source:" not in found.text.split("values:")[1]


def test_unmatched_columns_are_offered_as_dimensions(tmp_path):
    rows = [["L1", "2026-01-01", "North", "x"], ["L2", "2026-01-02", "South", "y"]]
    header = ["Lead ID", "Created", "Sales Region Name", "Favourite Colour"]
    found, _ = infer_and_load(write_csv(tmp_path / "leads.csv", header, rows), tmp_path)
    assert "  # favourite_colour: Favourite Colour" in found.text
    assert "  # sales_region_name: Sales Region Name" in found.text


def test_a_required_date_missing_from_the_file_is_a_loud_placeholder(tmp_path):
    rows = [["P1", "Google", "1"], ["P2", "Direct", "0"]]
    header = ["Prospect ID", "Lead Source", "Converted"]
    found, loaded = infer_and_load(write_csv(tmp_path / "p.csv", header, rows), tmp_path)
    assert found.choices["created_at"].constant == PLACEHOLDER_DATE
    assert f'  created_at: "{PLACEHOLDER_DATE}"' in found.text
    assert "# NOTE: created_at: no column for it" in found.text
    assert loaded.frame["converted"].tolist() == [True, False]


def test_headerless_whitespace_files_need_an_entity(tmp_path):
    path = tmp_path / "cd.txt"
    path.write_text(" 00001 19970101  1   11.77\n 00002 19970112  5   77.00\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"no header row.*give --entity"):
        infer_mapping(str(path))
    found, loaded = infer_and_load(path, tmp_path, "orders")
    assert "  delimiter: whitespace" in found.text and "  header: false" in found.text
    assert loaded.frame["amount"].tolist() == [11.77, 77.0]
    assert str(loaded.frame["ordered_at"].iloc[1].date()) == "1997-01-12"


def test_a_file_named_like_no_entity_is_refused_and_a_bad_entity_too(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["product", "series"], [["GTX", "A"]])
    with pytest.raises(MappingError, match=r"cannot be told .* give --entity"):
        infer_mapping(str(path))
    with pytest.raises(MappingError, match="unknown entity 'deal'"):
        infer_mapping(str(path), "deal")


@pytest.mark.parametrize(
    "text",
    ["Yes", "no", "null", "True", "1", "0.5", "2026-01", "a: b", "#1", "x #y", " pad", "O'Neil",
     'say "hi"', "Ünïcode", "", "[x]", "{y}", "- z", "*star", "&amp", "!bang", "%pct", "@at", "`t"],
)  # fmt: skip
def test_quoted_scalars_read_back_as_the_same_text(tmp_path, text):
    path = tmp_path / "v.yaml"
    path.write_text(f"key: {q(text)}\n{q(text)}: value\n", encoding="utf-8")
    loaded = load_yaml(path)
    assert loaded["key"] == text
    assert loaded[text] == "value"


def test_words_and_value_guesses():
    assert words("InvoiceNo") == "invoice no"
    assert words("customerID") == "customer id"
    assert words("Deal - Owner") == "deal owner"
    assert words("close_value") == "close value"
    assert words("Associated Company IDs") == "associated company ids"
    assert words("Étape") == "etape"
    assert guess_value("stage", "Closed Lost to Competition") == ("lost", GUESSED)
    assert guess_value("stage", "Won") == ("won", CANONICAL)
    assert guess_value("channel", "LinkedIn InMail")[0] == "social"
    assert guess_value("stage", "Zebra") == (None, "")


# ------------------------------------------------------------------- CRM exports

CRM = FIXTURES / "crm" / "infer"  # written by tests/fixtures/crm/make_infer.py


@dataclass(frozen=True)
class Export:
    """What `infer` must make of one export: its entity and rows, the columns it maps for sure
    (no `# check`), and the guesses it marks (a column, or a constant)."""

    entity: str
    rows: int
    sure: dict[str, str]
    guessed: dict[str, str] = field(default_factory=dict)


EXPORTS = {
    "hubspot_deals_custom_pipeline.csv": Export(
        "deals",
        12,
        {
            "deal_id": "Record ID",
            "created_at": "Create Date",  # after Last Activity Date, never that one
            "stage": "Deal Stage",
            "amount": "Amount",
            "closed_at": "Close Date",
            "owner": "Deal owner",
            "pipeline": "Pipeline",
            "deal_type": "Deal Type",
        },
    ),
    "hubspot_deals_no_create_date.csv": Export(
        "deals",
        8,
        {
            "deal_id": "Record ID",
            "stage": "Deal Stage",
            "amount": "Amount",
            "closed_at": "Close Date",
            "owner": "Deal owner",
        },
        # its dates are a close and a last activity: neither is a creation date
        {"created_at": PLACEHOLDER_DATE},
    ),
    "hubspot_deals_all_properties.csv": Export(
        "deals",
        40,
        {
            "deal_id": "Record ID",
            "created_at": "Create Date",
            "status": "Is Closed Won",
            "stage": "Deal Stage",
            "closed_at": "Close Date",
            "probability": "Deal probability",
            "owner": "Deal owner",
            "source": "Original Traffic Source",
            "pipeline": "Pipeline",
            "deal_type": "Deal Type",
            "forecast_category": "Forecast category",
            "modified_at": "Last Modified Date",
        },
        # `Amount` is filled on 1 row of 40; never `Forecast amount` (amount x probability)
        {"amount": "Total contract value"},
    ),
    "hubspot_contacts.csv": Export(
        "leads",
        10,
        {
            "lead_id": "Record ID",
            "created_at": "Create Date",
            "owner": "Contact owner",
            "status": "Lead Status",  # not State/Region
            "account_id": "Primary Associated Company ID",
        },
    ),
    "salesforce_opportunity_report.csv": Export(
        "deals",
        12,
        {
            "deal_id": "Opportunity ID",
            "created_at": "Created Date",
            "stage": "Stage",
            "amount": "Amount",
            "closed_at": "Close Date",
            "probability": "Probability (%)",
            "owner": "Opportunity Owner",
            "source": "Lead Source",
            "deal_type": "Type",
            "account_id": "Account Name",
        },
    ),
    "salesforce_opportunities_no_ids.csv": Export(
        "deals",  # not targets, for its Fiscal Period and Amount
        10,
        {
            "stage": "Stage",
            "amount": "Amount",
            "closed_at": "Close Date",
            "probability": "Probability (%)",
            "owner": "Opportunity Owner",
            "source": "Lead Source",
            "deal_type": "Type",
            "account_id": "Account Name",
        },
        {"deal_id": "Opportunity Name", "created_at": PLACEHOLDER_DATE},
    ),
    "salesforce_lead_report.csv": Export(
        "leads",  # not reps, for its Lead Owner
        14,
        {
            "created_at": "Create Date",
            "source": "Lead Source",
            "owner": "Lead Owner",
            "status": "Lead Status",  # not State/Province
            "quality": "Rating",
        },
        {"lead_id": "Email"},
    ),
    "salesforce_opportunities_fr.csv": Export(
        "deals",
        9,
        {
            "deal_id": "ID de l'opportunité",
            "created_at": "Date de création",
            "closed_at": "Date de clôture",
            "probability": "Probabilité (%)",
            "owner": "Propriétaire de l'opportunité",
            "source": "Origine de la piste",
            "deal_type": "Type",
            "account_id": "Nom du compte",
            "stage": "Étape",  # Salesforce's French headers, which the preset knows
            "amount": "Montant",
        },
    ),
    "zoho_deals_custom.csv": Export(
        "deals",
        14,
        {
            "deal_id": "Record Id",
            "created_at": "Created Time",
            "stage": "Stage",  # and no status: `State` holds US states
            "amount": "Amount",
            "currency": "Currency",
            "closed_at": "Closing Date",
            "owner": "Deal Owner",
            "source": "Lead Source",
            "deal_type": "Type",
            "account_id": "Company Name",
            "modified_at": "Modified Time",
        },
    ),
    "pipedrive_deals_custom.csv": Export(
        "deals",
        10,
        {
            "deal_id": "Deal - ID",
            "created_at": "Deal - Deal created",
            "status": "Deal - Status",
            "stage": "Deal - Stage",
            "amount": "Deal - Value",
            "currency": "Deal - Currency",
            "expected_close_at": "Deal - Expected close date",
            "owner": "Deal - Owner",
            "pipeline": "Deal - Pipeline",
            "account_id": "Deal - Organization",
            "lost_reason": "Deal - Lost reason",
            "modified_at": "Deal - Update time",
        },
        {"closed_at": "Deal - Won time"},
    ),
    "pipedrive_activities.csv": Export(
        "activities",
        12,
        {"activity_id": "Activity - ID", "channel": "Activity - Type"},
        {"occurred_at": "Activity - Due date", "owner": "Activity - Assigned to user"},
    ),
    "deals_multilingual.csv": Export(
        "deals",
        33,
        {"deal_id": "Deal ID", "stage": "Stage", "amount": "Amount", "closed_at": "Close Date"},
        {"created_at": "Created"},
    ),
}

SAYS_WON = {
    fold(v)
    for v in (
        *("Closed Won", "closedwon", "won", "true", "Fermée gagnée", "Gewonnen"),
        *("Geschlossen und gewonnen", "Cerrada ganada", "Fechado/Ganho", "Chiusa vinta"),
        "Gesloten gewonnen",
    )
}
"""Every value in the fixtures whose name says closed-won (`true`: HubSpot's Is Closed Won)."""
SAYS_LOST = {
    fold(v)
    for v in (
        *("Closed Lost", "closedlost", "lost", "Fermée perdue", "Verloren", "Cerrada perdida"),
        *("Fechado/Perdido", "Chiusa persa", "Gesloten verloren"),
    )
}

_ENTRY = re.compile(r'^( +)("(?:[^"\\]|\\.)*"|[^:#"]+?):(?: +("(?:[^"\\]|\\.)*"|[^#]*?))?( +#.*)?$')


def entries(text: str) -> dict[tuple[str, str, str], tuple[str, bool]]:
    """Each key of a written mapping's columns, constants and value maps, as (section, field,
    key) -> (value, marked): marked when a `# check` comment is beside it or just above it."""
    found: dict[tuple[str, str, str], tuple[str, bool]] = {}
    section = current = ""
    above: list[str] = []
    for line in text.splitlines():
        if not line.startswith(" "):
            section, above = line.split(":")[0], []
            continue
        if line.strip().startswith("#"):
            above.append(line)
            continue
        m = _ENTRY.match(line)
        assert m, line
        indent, key, value, comment = len(m[1]), m[2], m[3] or "", m[4] or ""
        key, value = (json.loads(t) if t.startswith('"') else t for t in (key, value))
        marked = any("# check" in c for c in (comment, *above))
        above = []
        if section in ("columns", "constants") and indent == 2:
            found[(section, key, key)] = (value, marked)
        elif section == "values" and indent == 2:
            current = key
        elif section == "values" and indent == 6:
            found[(section, current, key)] = (value, marked)
    return found


def preset_values() -> dict[str, set[str]]:
    """field -> the raw values some preset maps (folded), as the presets themselves say."""
    known: dict[str, set[str]] = {}
    for name in list_presets():
        for f, vmap in load_mapping(name).values.items():
            known.setdefault(f, set()).update(r for r, c in vmap.pairs.items() if c is not None)
    return known


@pytest.mark.parametrize("file", sorted(EXPORTS))
def test_infer_on_each_crm_export(tmp_path, file):
    """The right entity with its reason; the sure columns unmarked and every guess marked;
    every value map line marked unless the value is canonical or one the presets know; won and
    lost only for names that say so; and the mapping loads the file."""
    expect = EXPORTS[file]
    found, loaded = infer_and_load(CRM / file, tmp_path)
    assert found.entity == expect.entity and found.entity_guessed
    assert found.reason.startswith(f"Why {expect.entity}: ")
    assert "# " + found.reason.split()[0] in found.text  # the reason is in the mapping
    assert loaded.quality.rows_read == expect.rows
    written = entries(found.text)
    columns = {k: v for (sec, k, _), v in written.items() if sec in ("columns", "constants")}
    assert {f: h for f, (h, marked) in columns.items() if not marked} == expect.sure
    assert {f: h for f, (h, marked) in columns.items() if marked} == expect.guessed
    known = preset_values()
    for (sec, name, raw), (canonical, marked) in written.items():
        if sec != "values":
            continue
        choices = {c for c in ENTITIES[expect.entity].field(name).choices}  # type: ignore[union-attr]
        sure = fold(raw) in choices or fold(raw) in known.get(name, set())
        assert marked is not sure, (name, raw, canonical)
        if name in ("stage", "status") and canonical in ("won", "lost"):
            assert fold(raw) in (SAYS_WON if canonical == "won" else SAYS_LOST), raw


def test_stages_are_won_or_lost_in_seven_languages_and_only_then(tmp_path):
    found, loaded = infer_and_load(CRM / "deals_multilingual.csv", tmp_path)
    stages = load_mapping(str(tmp_path / "deals_multilingual.csv.yaml")).values["stage"].pairs
    closed = {raw: c for raw, c in stages.items() if c in ("won", "lost")}
    assert closed == {raw: "won" for raw in SAYS_WON & set(stages)} | {
        raw: "lost" for raw in SAYS_LOST & set(stages)
    }
    assert len(closed) == 15
    # the names that only sound closed, and the funnel words, in the order of the funnel
    assert {raw: stages[fold(raw)] for raw in (
        "Meeting Booked", "Booked Demo", "Contract Signed?", "Won't Buy", "Disqualified",
        "Closed", "Dead", "Prospect", "New Lead", "Qualified", "Demo Scheduled", "Presentation",
        "Devis envoyé", "Angebot", "Proposal Sent", "Negotiating", "Verhandlung", "Blue Sky",
    )} == {
        "Meeting Booked": "prospecting", "Booked Demo": "demo", "Contract Signed?": "negotiation",
        "Won't Buy": None, "Disqualified": None, "Closed": None, "Dead": None,
        "Prospect": "prospecting", "New Lead": "prospecting", "Qualified": "qualification",
        "Demo Scheduled": "demo", "Presentation": "demo", "Devis envoyé": "proposal",
        "Angebot": "proposal", "Proposal Sent": "proposal", "Negotiating": "negotiation",
        "Verhandlung": "negotiation", "Blue Sky": None,
    }  # fmt: skip
    assert (
        "      # check: closed or stopped, but its name says neither won nor lost: choose "
        "prospecting,\n      # qualification, demo, proposal, negotiation, won, lost; 1 row\n"
        "      Closed: null\n"
    ) in found.text
    # the 5 rows whose stage has no guess have no status: rejected, and counted as such
    assert loaded.quality.rows_rejected == 5
    assert Counter(loaded.frame["status"]) == {"won": 8, "lost": 7, "open": 13}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Closed Won", "won"), ("Closed/Won", "won"), ("ClosedWon", "won"), ("Won", "won"),
        ("Fermée gagnée", "won"), ("Gagné", "won"), ("Abgeschlossen und gewonnen", "won"),
        ("Cierre ganado", "won"), ("Fechada/Ganha", "won"), ("Chiuso vinto", "won"),
        ("Gesloten/Gewonnen", "won"), ("成立", "won"),
        ("Closed Lost", "lost"), ("Closed Lost to Competition", "lost"), ("Perdu", "lost"),
        ("Geschlossen und verloren", "lost"), ("Cierre perdido", "lost"),
        ("Fechada/Perdida", "lost"), ("Chiuso perso", "lost"), ("不成立", "lost"),
        ("Meeting Booked", "prospecting"), ("Signed NDA", None), ("Won't Buy", None),
        ("Closed", None), ("Fermée", None), ("Cerrada", None), ("Not Qualified", None),
        ("Disqualified", None), ("On Hold", None), ("Win Room", None),
        ("Qualifizierung", "qualification"), ("Calificación", "qualification"),
        ("Präsentation", "demo"), ("Proposta", "proposal"), ("Propuesta", "proposal"),
        ("Négociation", "negotiation"), ("Trattativa", None),
    ],
)  # fmt: skip
def test_stage_guesses(raw, expected):
    assert guess_value("stage", raw)[0] == expected


def test_status_guesses_say_won_lost_or_open_and_nothing_else():
    assert [guess_value("status", raw)[0] for raw in ("won", "Gewonnen", "LOST", "perdida")] == [
        "won",
        "won",
        "lost",
        "lost",
    ]
    assert guess_value("status", "In Progress") == ("open", GUESSED)
    assert guess_value("status", "Offen")[0] == "open"
    assert guess_value("status", "Closed")[0] is None
    assert guess_value("status", "Texas") == (None, "")


def column(header: str, values: list[str]) -> Profile:
    return profile(header, 0, pd.Series(values, dtype="string"))


STATES = ["California", "Texas", "New York", "Ohio", "Texas", "Oregon", "Georgia", "Florida"]
NOTES = [f"Called {n}, left a voicemail about the renewal" for n in range(12)]


@pytest.mark.parametrize(
    ("entity", "name", "header", "values", "why"),
    [
        ("deals", "status", "Status", STATES, "its values are place names"),
        ("deals", "stage", "Stage", ["France", "Germany", "Spain", "France"], "place names"),
        ("leads", "status", "State", ["CA", "TX", "NY", "WA", "CA"], "place names"),
        ("deals", "status", "Status", NOTES, "free text (12 distinct values)"),
        ("deals", "status", "Status", ["New", "Working", "Nurture"], "no value reads as won"),
        ("deals", "source", "Source", ["a@x.io", "b@y.io", "c@z.io"], "e-mail addresses"),
        ("deals", "owner", "Owner", STATES, "place names"),
        ("deals", "deal_id", "Deal ID", ["D1", "D2"] * 6, "it repeats (12 rows, 2 values)"),
        ("deals", "created_at", "Last Activity Date", ["2026-01-05"], "a last-change date"),
        ("deals", "created_at", "Modified", ["2026-01-05"], "a last-change date"),
        ("deals", "created_at", "Next Activity", ["2026-01-05"], "an activity date"),
        ("deals", "created_at", "Close Date", ["2026-01-05"], "a closing date"),
        ("deals", "amount", "Forecast amount", ["100", "200"], "weighted by probability"),
        ("deals", "probability", "Probability", ["10", "250"], "not between 0 and 100"),
        ("deals", "currency", "Currency", ["US Dollar", "Euro"], "not currency codes"),
    ],
)  # fmt: skip
def test_values_rule_fields_out_whatever_the_header(entity, name, header, values, why):
    spec = ENTITIES[entity]
    f = spec.field(name)
    assert f is not None
    assert why in refusal(spec, f, column(header, values), knowledge())


@pytest.mark.parametrize(
    ("entity", "name", "header", "values"),
    [
        ("deals", "team", "Region", STATES),  # a team may be a region
        ("deals", "status", "Status", ["open", "won", "lost"]),
        ("deals", "status", "Status", ["Open", "In Progress"]),  # all open: a status still
        ("deals", "stage", "Stage", ["Estimate Sent", "Closed Won", "Site Visit"]),
        ("deals", "deal_id", "Deal ID", ["D1", "D2", "D2", "D3"]),  # a re-export repeats some
        ("deals", "created_at", "Created Time", ["2026-01-05 10:00:00"]),
        ("leads", "created_at", "Create Date", ["1/5/2026"]),
        ("deals", "probability", "Probability (%)", ["0", "100"]),
        ("deals", "currency", "Currency", ["USD", "EUR", "€"]),
    ],
)  # fmt: skip
def test_values_that_fit_their_field(entity, name, header, values):
    spec = ENTITIES[entity]
    f = spec.field(name)
    assert f is not None
    assert refusal(spec, f, column(header, values), knowledge()) == ""


@pytest.mark.parametrize("file", ["zoho_stage_history.csv", "salesforce_opportunity_history.csv"])
def test_stage_histories_are_pointed_at_the_stage_history_input(tmp_path, file):
    why = {
        "zoho_stage_history.csv": "Stage Duration (Calendar Days), Moved To; Deal Name.id repeats: "
        "14 rows for 4 deals, with Modified Time",
        "salesforce_opportunity_history.csv": "From Stage, To Stage; Opportunity ID repeats: "
        "14 rows for 4 deals, with Last Modified",
    }[file]
    hint = (
        f"looks like a stage history export (one row per stage change: {why}): read it with a "
        "stage-history mapping, see the README's Stage history section"
    )
    preset = {
        "zoho_stage_history.csv": ("a Zoho CRM stage history of deals", "zoho_stage_history"),
        "salesforce_opportunity_history.csv": (
            "a Salesforce Opportunity History report",
            "salesforce_opportunity_history",
        ),
    }[file]
    fits = (
        f"this looks like {preset[0]}: try --mapping {preset[1]} (a file it reads is recognised "
        f"with no mapping at all; one of your own is needed only to change it: start it with "
        f"`extends: {preset[1]}`)"
    )
    with pytest.raises(MappingError) as raised:
        infer_mapping(str(CRM / file))
    assert str(raised.value) == (
        f"{CRM / file}: {hint}; {fits}; to read it as deals all the same, give --entity deals"
    )
    found = infer_mapping(str(CRM / file), "deals")  # asked for: read as deals, and said so
    assert found.notes[:2] == [hint, fits]  # the history preset that reads it, named
    assert "# NOTE: looks like a stage history export (one row per stage change:" in found.text


def test_a_deals_export_that_repeats_a_few_ids_is_no_stage_history(tmp_path):
    header = ["Deal ID", "Stage", "Last Modified Date", "Amount"]
    rows = [[f"D{i % 9}", "Closed Won", f"2026-01-{1 + i:02d}", "10"] for i in range(10)]
    found = infer_mapping(str(write_csv(tmp_path / "d.csv", header, rows)))
    assert found.entity == "deals"
    assert not any("stage history" in n for n in found.notes)


def test_a_preset_that_fits_or_nearly_fits_is_named(tmp_path):
    found = infer_mapping(str(CRM / "salesforce_opportunity_report.csv"))
    assert found.notes[0].startswith(
        "this looks like a Salesforce opportunity report: try --mapping salesforce_opportunities"
    )
    assert "the preset salesforce_opportunities fits the file" in found.reason
    near = infer_mapping(str(CRM / "salesforce_lead_report.csv"))  # without its Lead ID
    assert near.notes[0].startswith("this looks like a Salesforce lead report")
    assert "--mapping salesforce_leads" in near.notes[0]
    mystery = write_csv(tmp_path / "m.csv", ["Deal ID", "Stage", "Widget"], [["1", "Won", "x"]])
    assert not any("looks like" in n for n in infer_mapping(str(mystery)).notes)


def test_the_entity_guess_says_which_columns_made_it():
    found = infer_mapping(str(CRM / "salesforce_opportunities_no_ids.csv"))
    assert found.reason == (
        "Why deals: 8 columns named like its fields (Stage -> stage, Amount -> amount, Close "
        "Date -> closed_at, Probability (%) -> probability, Opportunity Owner -> owner, Lead "
        "Source -> source, Type -> deal_type, Account Name -> account_id); 2 header(s) name its "
        "rows (Opportunity Owner, Opportunity Name); the preset salesforce_opportunities fits "
        "the file. Next best, targets: 3 columns named like "
        "its fields (Fiscal Period -> period, Amount -> amount, Opportunity Owner -> owner)."
    )
    assert found.entity_scores["deals"] > found.entity_scores["targets"] + 5
    leads = infer_mapping(str(CRM / "salesforce_lead_report.csv"))
    assert leads.entity_scores["leads"] > leads.entity_scores["reps"] + 3


def test_validate_reads_each_file_with_its_inferred_mapping(runner, tmp_path):
    from salesmetrics.cli import app

    for file in sorted(EXPORTS):
        out = tmp_path / f"{file}.yaml"
        inferred = runner.invoke(app, ["mappings", "infer", str(CRM / file), "-o", str(out)])
        assert inferred.exit_code == 0, inferred.output
        args = ["validate", str(CRM / file), "--mapping", str(out), "--max-reject-rate", "1"]
        validated = runner.invoke(app, args)
        assert validated.exit_code == 0, (file, validated.output)
        assert re.search(rf"\|rows read +\| +{EXPORTS[file].rows}\|", validated.output), file


def test_init_config_recognises_a_folder_and_lists_what_it_cannot(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("deals.csv", "reps.csv", "orders.xlsx"):
        shutil.copy(SAMPLE / name, folder / name)
    write_csv(folder / "mystery.csv", ["foo", "bar"], [["1", "2"]])
    result = init_config(folder, folder / "report.yaml", [SAMPLE / "mappings"])
    assert [r.name for r in result.recognised] == [
        "sample_data/mappings/deals.yaml",
        "sample_data/mappings/orders.yaml",
        "sample_data/mappings/reps.yaml",
    ]
    assert [Path(p).name for p, _ in result.unrecognised] == ["mystery.csv"]
    assert result.currencies[0] == "USD" and set(result.currencies) == {"USD", "EUR", "GBP"}
    text = result.text
    assert "  - path: deals.csv\n" in text and 'sample_data/mappings/deals.yaml"\n' in text
    assert "#     (salesmetrics mappings infer mystery.csv --output mystery.yaml)" in text
    assert "  EUR: null                   # one EUR is worth ? USD" in text
    (folder / "report.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"rates.EUR: expected a rate above 0, got None"):
        load_config(folder / "report.yaml")  # not filled in: refused, never summed at 1.0
    filled = text.replace("EUR: null", "EUR: 1.08").replace("GBP: null", "GBP: 1.27")
    (folder / "report.yaml").write_text(filled, encoding="utf-8")
    config = load_config(folder / "report.yaml")
    assert [Path(s.path).name for s in config.inputs] == ["deals.csv", "orders.xlsx", "reps.csv"]
    assert config.rates is not None and config.rates.currency == "USD"


def test_init_config_writes_paths_relative_to_the_config(tmp_path):
    folder = tmp_path / "data" / "2026-10"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE / "nps.csv", folder / "nps.csv")
    result = init_config(folder, tmp_path / "report.yaml")
    assert "  - path: data/2026-10/nps.csv" in result.text
    assert "# currency: USD" in result.text  # no currency column: none is set


def test_init_config_proposes_an_extends_file_where_a_preset_nearly_fits(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    hubspot(folder, {"Record ID": "Deal ID", "Create Date": "Created Date"}, name="renamed.csv")
    hubspot(folder, stages={"Contract Sent": "Pilot Running"}, name="custom.csv")
    shutil.copy(ROOT / "tests" / "fixtures" / "presets" / "zoho_deals.csv", folder)
    write_csv(folder / "mystery.csv", ["foo", "bar"], [["1", "2"]])
    result = init_config(folder, tmp_path / "report.yaml")
    assert [r.name for r in result.recognised] == ["zoho_deals"]
    assert [(Path(e.extension.path).name, e.extension.preset, e.path) for e in result.extended] == [
        ("custom.csv", "hubspot_deals", tmp_path / "custom.yaml"),
        ("renamed.csv", "hubspot_deals", tmp_path / "renamed.yaml"),
    ]
    assert [Path(p).name for p, _ in result.unrecognised] == ["mystery.csv"]
    inputs = result.text.split("inputs:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert inputs[5].startswith("    mapping: zoho_deals   ")  # its score is recognition's
    assert inputs[:5] + inputs[6:] == [
        "  - path: exports/custom.csv",
        "    mapping: custom.yaml                    # recognised as hubspot_deals: check custom.yaml",
        "  - path: exports/renamed.csv",
        "    mapping: renamed.yaml                   # recognised as hubspot_deals: check renamed.yaml",
        "  - path: exports/zoho_deals.csv",
        "# Not recognised: write a mapping for each, check it, then add it above:",
        "#   - path: exports/mystery.csv",
        "#     mapping: mystery.yaml",
        "#     (salesmetrics mappings infer exports/mystery.csv --output mystery.yaml)",
    ]
    for written in result.extended:
        written.path.write_text(written.text, encoding="utf-8")
    (tmp_path / "report.yaml").write_text(result.text.replace("EUR: null", "EUR: 1.1"), "utf-8")
    config = load_config(tmp_path / "report.yaml")
    assert [(Path(s.path).name, s.mapping) for s in config.inputs] == [
        ("custom.csv", "custom.yaml"),
        ("renamed.csv", "renamed.yaml"),
        ("zoho_deals.csv", "zoho_deals"),
    ]
    renamed = load_input(config.inputs[1].path, "renamed.yaml", base_dir=tmp_path)
    assert renamed.quality.rows_used > 0 and renamed.frame["deal_id"].notna().all()


# ------------------------------------------------------------------- the real datasets


@pytest.fixture(scope="module")
def data() -> Path:
    return realdata_dir()


def counts(loaded: LoadedInput) -> tuple[int, int, int, int]:
    q = loaded.quality
    return q.rows_read, q.rows_used, q.rows_rejected, q.duplicates_dropped


def test_infer_maven_pipeline(data, tmp_path):
    found, loaded = infer_and_load(data / "maven_crm" / "sales_pipeline.csv", tmp_path)
    assert found.entity == "deals"
    assert {k: c.header for k, c in found.choices.items()} == {
        "deal_id": "opportunity_id",
        "created_at": "engage_date",  # no header names it: the first date column, marked
        "stage": "deal_stage",
        "amount": "close_value",
        "closed_at": "close_date",
        "owner": "sales_agent",
        "product": "product",
        "account_id": "account",
    }
    assert "Engaging: qualification" in found.text
    # the 500 Prospecting rows have no engage_date: rejected, as with the example mapping
    assert counts(loaded) == (8800, 8300, 500, 0)
    assert reasons(loaded) == {"created_at: blank": 500}
    with open(data / "maven_crm" / "sales_pipeline.csv", newline="", encoding="utf-8") as f:
        stages = Counter(row["deal_stage"] for row in csv.DictReader(f))
    assert Counter(loaded.frame["status"]) == {
        "won": stages["Won"],
        "lost": stages["Lost"],
        "open": stages["Engaging"],
    }


def reasons(loaded: LoadedInput) -> dict[str, int]:
    return {r.reason: r.count for r in loaded.quality.rejected}


def test_infer_maven_teams(data, tmp_path):
    found, loaded = infer_and_load(data / "maven_crm" / "sales_teams.csv", tmp_path)
    assert found.entity == "reps"
    assert {k: c.header for k, c in found.choices.items()} == {
        "owner": "sales_agent",
        "manager": "manager",
        "team": "regional_office",
    }
    assert counts(loaded) == (35, 35, 0, 0)


def test_infer_olist(data, tmp_path):
    folder = data / "olist_funnel"
    found, loaded = infer_and_load(folder / "olist_marketing_qualified_leads_dataset.csv", tmp_path)
    assert found.entity == "leads"
    assert {k: c.header for k, c in found.choices.items()} == {
        "lead_id": "mql_id",
        "created_at": "first_contact_date",
        "source": "origin",
    }
    assert counts(loaded) == (8000, 8000, 0, 0)
    deals_file = folder / "olist_closed_deals_dataset.csv"
    guessed, as_leads = infer_and_load(deals_file, tmp_path)
    assert guessed.entity == "leads" and counts(as_leads) == (842, 842, 0, 0)
    found, loaded = infer_and_load(deals_file, tmp_path, "deals")
    assert found.choices["status"].constant == "won"  # its only date is a won date
    assert found.choices["closed_at"].header == "won_date"
    assert counts(loaded) == (842, 842, 0, 0)
    assert set(loaded.frame["status"]) == {"won"}


def test_infer_online_retail(data, tmp_path):
    path = data / "online_retail" / "online-retail-dataset_2010-12-01_to_2011-02-28.csv"
    found, loaded = infer_and_load(path, tmp_path)
    assert found.entity == "orders"
    assert {k: c.header for k, c in found.choices.items()} == {
        "order_id": "InvoiceNo",
        "customer_id": "CustomerID",
        "ordered_at": "InvoiceDate",
        "quantity": "Quantity",
        "unit_price": "UnitPrice",
        "product": "StockCode",
    }
    # nothing rejected; cancellations are kept (the example mapping filters them)
    assert counts(loaded) == (105335, 105335, 0, 0)
    first = loaded.frame.iloc[0]
    assert first["amount"] == pytest.approx(6 * 2.55)  # quantity x unit price


def test_infer_cdnow(data, tmp_path):
    path = data / "cdnow" / "CDNOW_master.txt"
    with pytest.raises(MappingError, match="no header row"):
        infer_mapping(str(path))
    found, loaded = infer_and_load(path, tmp_path, "orders")
    assert {k: c.header for k, c in found.choices.items()} == {"ordered_at": "2", "amount": "4"}
    assert counts(loaded) == (69659, 69659, 0, 0)
    assert loaded.frame["amount"].sum() == pytest.approx(2500315.63, abs=0.01)


def test_infer_telco(data, tmp_path):
    path = data / "telco_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    found, loaded = infer_and_load(path, tmp_path)
    assert found.entity == "subscriptions"
    assert {k: c.header for k, c in found.choices.items()} == {
        "customer_id": "customerID",
        "mrr": "MonthlyCharges",
        "churned": "Churn",
    }
    assert counts(loaded) == (7043, 7043, 0, 0)
    assert int(loaded.frame["churned"].sum()) == 1869


def test_infer_xeducation(data, tmp_path):
    found, loaded = infer_and_load(data / "xeducation_leads" / "Leads.csv", tmp_path)
    assert found.entity == "leads"
    assert found.choices["lead_id"].header == "Prospect ID"
    assert found.choices["created_at"].constant == PLACEHOLDER_DATE  # the file has no dates
    assert counts(loaded) == (9240, 9240, 0, 0)
    assert int(loaded.frame["converted"].sum()) == 3561
