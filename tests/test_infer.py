"""`mappings infer` and `init` as a library: inferred mappings load their files, guesses say so."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest

from salesmetrics.config import load_config
from salesmetrics.errors import ConfigError, MappingError
from salesmetrics.infer import (
    PLACEHOLDER_DATE,
    guess_value,
    infer_mapping,
    init_config,
    q,
    words,
)
from salesmetrics.ingest import load_input
from salesmetrics.ingest.load import LoadedInput
from salesmetrics.ingest.mapping import fold, load_mapping
from salesmetrics.yamlfile import load_yaml
from tests.conftest import realdata_dir
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


SAMPLE_PRESETS = {
    "deals.csv": "sample_data/mappings/deals.yaml",
    "leads.csv": "sample_data/mappings/leads.yaml",
    "activities.csv": "sample_data/mappings/activities.yaml",
    "subscriptions.csv": "sample_data/mappings/subscriptions.yaml",
    "orders.xlsx": "sample_data/mappings/orders.yaml",
    "costs.csv": "sample_data/mappings/costs.yaml",
    "targets.csv": "sample_data/mappings/targets.yaml",
    "nps.csv": "sample_data/mappings/surveys.yaml",
    "reps.csv": "sample_data/mappings/reps.yaml",
}


@pytest.mark.parametrize(("file", "preset"), sorted(SAMPLE_PRESETS.items()))
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
    assert "entity: deals" in text and "# guessed, score 0.98" in text
    assert found.choices["stage"].header == "Deal Stage"
    assert found.choices["entered_demo"].header == (
        'Date entered "Presentation Scheduled (Sales Pipeline)"'
    )
    assert "      closedwon: won" in text and "# 846 rows; as in the presets" in text
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
    assert "day or month first cannot be told: dmy is a guess, check" in found.text
    assert loaded.quality.rows_used == 2


def test_stage_values_are_listed_with_counts_and_guesses(tmp_path):
    header = ["Opportunity ID", "Created Date", "Stage", "Amount", "Close Date"]
    stages = ["Closed Won"] * 3 + ["Contract Talks", "Discovery Call", "Blue: #1", "No"]
    rows = [[f"O{i}", "2026-01-05", s, "100", "2026-02-01"] for i, s in enumerate(stages)]
    found, loaded = infer_and_load(write_csv(tmp_path / "opps.csv", header, rows), tmp_path)
    text = found.text
    assert "# Stage: 5 distinct value(s), with their rows" in text
    assert "Closed Won: won                               # 3 rows; " in text
    assert "Contract Talks: negotiation                   # 1 row; guessed from the name" in text
    assert "Discovery Call: qualification" in text
    assert '"Blue: #1": null' in text
    assert "# 1 row; no guess, choose: prospecting, qualification, demo, proposal," in text
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
    assert guess_value("stage", "Closed Lost to Competition") == (
        "lost",
        "guessed from the name: check",
    )
    assert guess_value("stage", "Won") == ("won", "already canonical")
    assert guess_value("channel", "LinkedIn InMail")[0] == "social"
    assert guess_value("stage", "Zebra") == (None, "")


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
        "    mapping: renamed.yaml                   # nearly fits hubspot_deals: check renamed.yaml",
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
