"""Recognising exports from their headers: which mapping, why, and when to refuse."""

from __future__ import annotations

import csv
import gzip
import shutil
from pathlib import Path

import pytest

from salesmetrics.config import AUTO_MAPPING, InputSpec
from salesmetrics.errors import InputError
from salesmetrics.ingest import load_input
from salesmetrics.ingest.detect import (
    MARGIN,
    MIN_SCORE,
    SIGNATURES,
    NotRecognised,
    candidates,
    files_in,
    read_headers,
    recognise,
    recognise_inputs,
    score_file,
)
from salesmetrics.ingest.read import SNIFF_BYTES
from tests.conftest import FIXTURES, SAMPLE_MAPPINGS

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
CRM = FIXTURES / "crm"  # real exports, written by make_recognition.py beside them

CRM_PRESETS = (
    "hubspot_deals",
    "hubspot_contacts",
    "salesforce_opportunities",
    "salesforce_leads",
    "pipedrive_deals",
    "zoho_deals",
    "zoho_leads",
    "activity_log",
)


@pytest.fixture(scope="module")
def presets():
    """The CRM presets and the sample company's own mappings."""
    return candidates([SAMPLE / "mappings"])


def headers_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(("file", "preset"), sorted(SAMPLE_MAPPINGS.items()))
def test_each_sample_file_is_recognised_as_its_preset(presets, file, preset):
    found = recognise(str(SAMPLE / file), presets)
    assert found.name == preset
    s = found.chosen
    assert (s.value, s.used, s.found) == (1.0, s.headers, s.wanted)
    reason = found.reason()
    assert reason.startswith(f"{SAMPLE / file}: recognised as {preset} (")
    n = len(s.wanted)
    assert f"({n} of the {n} fields it looks for; it reads {s.headers} of the file's" in reason


def test_the_users_own_mapping_wins_over_a_preset_that_fits_as_well(presets):
    # deals.csv is a HubSpot export: hubspot_deals finds all it looks for too
    deals = recognise(str(SAMPLE / "deals.csv"), presets)
    assert deals.chosen.wanted == (
        "deal_id",
        "created_at",
        "stage|status",
        "amount",
        "closed_at",
        "owner",
    )
    runner_up = next(s for s in deals.scores if s is not deals.chosen and s.loadable)
    assert (runner_up.candidate.name, runner_up.value) == ("hubspot_deals", 1.0)
    assert deals.settled_by == "your own mapping, chosen over hubspot_deals"
    assert deals.reason().endswith(
        "score 1.00, next hubspot_deals 1.00; your own mapping, chosen over hubspot_deals)"
    )


@pytest.mark.parametrize("preset", CRM_PRESETS)
def test_each_crm_fixture_picks_its_own_preset(preset):
    path = FIXTURES / "presets" / f"{preset}.csv"
    found = recognise(str(path), candidates())
    assert found.name == preset
    assert found.chosen.value == 1.0
    assert load_input(path, found.name).quality.rows_used > 0


def test_an_export_of_a_few_chosen_columns_is_recognised(presets):
    # 9 of hubspot_deals' 28 columns, every one of them the preset's own
    path = FIXTURES / "presets" / "hubspot_deals.xlsx"
    found = recognise(str(path), presets)
    assert found.name == "hubspot_deals"
    assert found.chosen.used == found.chosen.headers == 9
    assert found.chosen.value >= MIN_SCORE


def test_a_file_without_what_identifies_the_entity_is_refused_with_the_candidates(tmp_path):
    # no stage or status (a deal's identity), no creation date (a lead's with a status)
    header = headers_of(SAMPLE / "deals.csv")
    half = [h for h in header if h not in ("Deal Stage", "Create Date")]
    path = write_csv(tmp_path / "half.csv", half, [["x"] * len(half)])
    with pytest.raises(InputError) as error:
        recognise(str(path), candidates())
    message = str(error.value)
    assert message.startswith(f"{path}: not recognised: no mapping fits its columns")
    assert (
        "best candidates: hubspot_deals 0.67 (4 of the 6 fields it looks for (missing "
        "created_at (Create Date), stage or status (Deal Stage / Is Closed Won)); cannot load "
        "it without stage or status (Deal Stage / Is Closed Won))"
    ) in message
    assert f"salesmetrics mappings infer {path}" in message
    assert "\n" not in message


def test_a_file_sharing_only_a_stage_and_an_amount_is_refused(tmp_path):
    header = ["Deal Stage", "Amount", *(f"Custom {i}" for i in range(10))]
    path = write_csv(tmp_path / "few.csv", header, [["closedwon", "10"] + [""] * 10])
    scores = score_file(str(path), candidates())
    assert scores[0].candidate.name == "hubspot_deals"
    assert scores[0].loadable and scores[0].value == pytest.approx(2 / 6)
    assert scores[0].value < MIN_SCORE
    with pytest.raises(
        InputError, match=r"no mapping fits .* best candidates: hubspot_deals 0\.33 \(2 of"
    ):
        recognise(str(path), candidates())


def test_unknown_columns_never_count_against_a_match(tmp_path):
    # the same six HubSpot columns alone, and among 300 others: the same score
    six = ["Record ID", "Create Date", "Deal Stage", "Amount", "Close Date", "Deal owner"]
    row = ["1", "2026-01-01 10:00", "closedwon", "10", "2026-02-01 10:00", "Ana"]
    narrow = write_csv(tmp_path / "narrow.csv", six, [row])
    wide_header = [
        *(f"Property {i}" for i in range(150)),
        *six,
        *(f"Other {i}" for i in range(150)),
    ]
    wide = write_csv(tmp_path / "wide.csv", wide_header, [[""] * 150 + row + [""] * 150])
    for path in (narrow, wide):
        found = recognise(str(path), candidates())
        assert (found.name, found.chosen.value) == ("hubspot_deals", 1.0)
    assert (
        recognise(str(wide), candidates())
        .reason()
        .startswith(
            f"{wide}: recognised as hubspot_deals (6 of the 6 fields it looks for; it reads 6 of "
            "the file's 306 columns; score 1.00"
        )
    )


def test_a_file_no_mapping_knows_says_so(presets, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["foo", "bar"], [["1", "2"]])
    with pytest.raises(
        NotRecognised, match="best candidates: none finds a field it looks for"
    ) as e:
        recognise(str(path), presets)
    assert e.value.brief() == f"{path}: not recognised: no mapping shares a column with it"


def test_a_refusal_in_brief_names_the_two_nearest_and_what_each_lacks(presets, tmp_path):
    header = headers_of(SAMPLE / "deals.csv")
    half = header[len(header) // 2 :]  # no Record ID, no Create Date
    path = write_csv(tmp_path / "half.csv", half, [["x"] * len(half)])
    with pytest.raises(NotRecognised) as error:
        recognise(str(path), presets)
    best = error.value.candidates[0]
    brief = error.value.brief()
    assert brief.startswith(
        f"{path}: not recognised; nearest: {best.candidate.name} {best.value:.2f} (lacks "
    )
    assert brief.count("(lacks ") == 2 and "\n" not in brief


MAPPING = """\
entity: deals
columns:
  deal_id: Deal ID
  created_at: Created
  stage: Stage
  amount: Amount
{extra}
values:
  stage:
    map: {{Won: won, Lost: lost, Open: prospecting}}
"""


def own_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "mappings"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def deals_file(tmp_path: Path) -> Path:
    rows = [["D1", "2026-01-05", "Won", "100"], ["D2", "2026-01-06", "Open", "50"]]
    return write_csv(tmp_path / "deals.csv", ["Deal ID", "Created", "Stage", "Amount"], rows)


def test_two_mappings_that_fit_equally_are_ambiguous(tmp_path):
    folder = own_folder(
        tmp_path, {"a.yaml": MAPPING.format(extra=""), "b.yaml": MAPPING.format(extra="")}
    )
    path = deals_file(tmp_path)
    with pytest.raises(InputError) as error:
        recognise(str(path), candidates([folder]))
    message = str(error.value)
    assert error.value.brief() == (
        f"{path}: not recognised: 2 mappings fit it about equally "
        f"({tmp_path / 'mappings' / 'a.yaml'} 1.00, {tmp_path / 'mappings' / 'b.yaml'} 1.00)"
    )
    assert f"2 mappings fit it about equally (scores within {MARGIN})" in message
    assert "a.yaml 1.00 (4 of the 4 fields it looks for)" in message
    assert "b.yaml 1.00 (4 of the 4 fields it looks for)" in message


def test_an_exact_fit_beats_an_equal_one_that_knows_columns_the_file_lacks(tmp_path):
    # both find the 4 fields they look for; generic.yaml also maps a region the file lacks:
    # 10 of its 11 columns found against 10 of 10, the same 10 of the file's columns read
    header = [f"Column {i}" for i in range(10)]
    columns = "".join(f"  field_{i}: Column {i}\n" for i in range(4, 10))
    exact = MAPPING.format(extra=columns).replace("Deal ID", "Column 0")
    exact = exact.replace("Created", "Column 1").replace("Stage", "Column 2")
    exact = exact.replace("Amount", "Column 3")
    generic = exact.replace("values:", "  region: [Region, Territory]\nvalues:")
    folder = own_folder(tmp_path, {"exact.yaml": exact, "generic.yaml": generic})
    rows = [["D1", "2026-01-05", "Won", "100", *("x" * 6)]]
    path = write_csv(tmp_path / "wide.csv", header, rows)
    found = recognise(str(path), candidates([folder]))
    assert found.name.endswith("exact.yaml")
    runner_up = found.scores[1]
    assert runner_up.candidate.name.endswith("generic.yaml")
    assert found.chosen.value == runner_up.value == 1.0
    assert (runner_up.coverage, runner_up.used) == (10 / 11, 10)
    assert found.reason().endswith(
        f"score 1.00, next {runner_up.candidate.name} 1.00; it finds more of its columns or "
        f"reads more of the file than {runner_up.candidate.name})"
    )


def test_a_crm_signature_settles_a_tie(tmp_path):
    # two mappings of the user's own, one extending the Salesforce preset and one the Zoho
    # one, both with the same six headers: a file with only those fits both equally
    six = "  deal_id: Id\n  created_at: Created\n  stage: Stage\n  amount: Amount\n"
    six += "  closed_at: Closed\n  owner: Owner\n"
    values = "values: {stage: {map: {Won: won}}}\n"
    folder = own_folder(
        tmp_path,
        {
            "sf.yaml": f"extends: salesforce_opportunities\ncolumns:\n{six}{values}",
            "zoho.yaml": f"extends: zoho_deals\ncolumns:\n{six}{values}",
        },
    )
    pool = candidates([folder])
    header = ["Id", "Created", "Stage", "Amount", "Closed", "Owner"]
    row = ["7", "2026-01-05", "Won", "1", "2026-02-01", "Ana"]
    plain = write_csv(tmp_path / "plain.csv", header, [row])
    with pytest.raises(
        InputError, match=r"2 mappings fit it about equally .*sf\.yaml 1\.00 .*zoho"
    ):
        recognise(str(plain), pool)
    zcrm = write_csv(tmp_path / "zcrm.csv", header, [["zcrm_4876876000000456001", *row[1:]]])
    found = recognise(str(zcrm), pool)
    assert found.name.endswith("zoho.yaml")
    assert found.settled_by == "the file is a Zoho CRM export (ids like zcrm_4876876000000456001)"
    companion = write_csv(tmp_path / "companion.csv", [*header, "Owner.id"], [[*row, "zcrm_1"]])
    found = recognise(str(companion), pool)
    assert found.settled_by == "the file is a Zoho CRM export (column Owner.id)"
    named = write_csv(tmp_path / "named.csv", [*header, "Opportunity Name"], [[*row, "Big"]])
    found = recognise(str(named), pool)
    assert found.name.endswith("sf.yaml")
    assert found.settled_by == (
        "the file is a Salesforce opportunities export (column Opportunity Name)"
    )


@pytest.mark.parametrize(
    ("header", "crm"),
    [
        (["Record ID", "Deal Stage"], "HubSpot deals export (columns Record ID and Deal Stage)"),
        (["record id ", "LIFECYCLE STAGE"], "HubSpot contacts export (columns Record ID and "
         "Lifecycle Stage)"),
        (["Deal - Title"], "Pipedrive export (column Deal - Title)"),
        (["Account Name.id"], "Zoho CRM export (column Account Name.id)"),
        (["Opportunity Owner"], "Salesforce opportunities export (column Opportunity Owner)"),
        (["Company / Account"], "Salesforce leads export (column Company / Account)"),
    ],
)  # fmt: skip
def test_each_crm_signature(header, crm):
    shown = [
        f"{sig.crm} export ({found})"
        for sig in SIGNATURES
        if (found := sig.shown_by(header, [["1"] * len(header)]))
    ]
    assert shown == [crm]


def test_a_candidate_that_cannot_read_the_file_is_listed_not_fatal(presets, tmp_path):
    folder = own_folder(
        tmp_path, {"sheet.yaml": MAPPING.format(extra="read:\n  sheet: Pipeline\n")}
    )
    path = tmp_path / "orders.xlsx"
    shutil.copy(SAMPLE / "orders.xlsx", path)
    scores = score_file(str(path), [*presets, *candidates([folder])])
    broken = next(s for s in scores if s.candidate.name.endswith("sheet.yaml"))
    assert broken.unreadable == "no sheet named 'Pipeline'" and not broken.loadable
    assert (
        recognise(str(path), [*presets, *candidates([folder])]).name
        == "sample_data/mappings/orders.yaml"
    )


def test_only_the_header_is_read(tmp_path):
    # past the sniffed head the file is not CSV at all; recognising it never gets there
    text = (SAMPLE / "reps.csv").read_bytes()
    body = text.split(b"\n", 1)[1]
    rows = body * (SNIFF_BYTES // len(body) + 1)
    path = tmp_path / "reps.csv"
    path.write_bytes(text + rows + b"\x00\xff" * SNIFF_BYTES)
    assert read_headers(str(path)) == ["Rep", "Team", "Manager", "Start Date", "End Date"]
    zipped = tmp_path / "reps.csv.gz"
    zipped.write_bytes(gzip.compress(text))
    assert (
        recognise(str(zipped), candidates([SAMPLE / "mappings"])).name
        == "sample_data/mappings/reps.yaml"
    )


def test_excel_headers_below_title_rows(presets):
    assert read_headers(str(SAMPLE / "orders.xlsx"))[:3] == [
        "Order ID",
        "Customer ID",
        "Order Date",
    ]


def test_files_that_cannot_be_recognised_by_headers(presets, tmp_path):
    with pytest.raises(InputError, match="standard input cannot be recognised"):
        recognise("-", presets)
    with pytest.raises(InputError, match="file not found"):
        recognise(str(tmp_path / "missing.csv"), presets)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="the file is empty"):
        recognise(str(empty), presets)


def test_files_in_a_folder(tmp_path):
    for name in ("b.csv", "a.xlsx", "c.csv.gz", "d.XLS", "notes.txt", ".hidden.csv", "~$a.xlsx"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "e.csv").write_text("x", encoding="utf-8")
    assert [Path(p).name for p in files_in(tmp_path)] == ["a.xlsx", "b.csv", "c.csv.gz", "d.XLS"]
    (tmp_path / "sub" / "readme.md").write_text("x", encoding="utf-8")
    (tmp_path / "sub" / "e.csv").unlink()
    with pytest.raises(InputError, match="no CSV or Excel files in this folder"):
        files_in(tmp_path / "sub")


def test_recognise_inputs_fills_in_auto_mappings_only(tmp_path):
    specs = (
        InputSpec(str(SAMPLE / "nps.csv"), AUTO_MAPPING, tmp_path),
        InputSpec(str(SAMPLE / "reps.csv"), "sample_data/mappings/reps.yaml", tmp_path),
    )
    heard = []
    resolved = recognise_inputs(specs, [SAMPLE / "mappings"], on_recognised=heard.append)
    assert [s.mapping for s in resolved] == [
        "sample_data/mappings/surveys.yaml",
        "sample_data/mappings/reps.yaml",
    ]
    assert resolved[1] is specs[1]
    assert [r.name for r in heard] == ["sample_data/mappings/surveys.yaml"]
    assert recognise_inputs(specs[1:]) == specs[1:]


def test_recognise_inputs_hands_over_what_it_cannot_recognise_and_goes_on(tmp_path):
    mystery = write_csv(tmp_path / "mystery.csv", ["foo", "bar"], [["1", "2"]])
    specs = (
        InputSpec(str(mystery), AUTO_MAPPING, tmp_path),
        InputSpec(str(tmp_path / "missing.csv"), AUTO_MAPPING, tmp_path),
        InputSpec(str(SAMPLE / "nps.csv"), AUTO_MAPPING, tmp_path),
    )
    refused: list[tuple[InputSpec, InputError]] = []
    resolved = recognise_inputs(
        specs, [SAMPLE / "mappings"], on_unrecognised=lambda *heard: refused.append(heard)
    )
    assert [s.mapping for s in resolved] == ["sample_data/mappings/surveys.yaml"]
    assert [spec for spec, _ in refused] == list(specs[:2])
    assert isinstance(refused[0][1], NotRecognised)
    assert str(refused[1][1]) == f"{tmp_path / 'missing.csv'}: file not found"
    with pytest.raises(NotRecognised):  # without a handler, the first stops it as before
        recognise_inputs(specs, [SAMPLE / "mappings"])


def test_scores_are_deterministic(presets):
    first = [(s.candidate.name, s.value) for s in score_file(str(SAMPLE / "leads.csv"), presets)]
    again = [(s.candidate.name, s.value) for s in score_file(str(SAMPLE / "leads.csv"), presets)]
    assert first == again
    values = [v for _, v in first]
    assert values == sorted(values, reverse=True)


# ------------------------------------------------------------ real exports (fixtures/crm)

REAL_EXPORTS = {
    # file: (preset, fields found, fields it looks for)
    "hubspot_contacts_all_properties.csv": ("hubspot_contacts", 5, 5),  # 200 columns
    "hubspot_deals_all_properties.csv": ("hubspot_deals", 6, 6),  # 150 columns
    "hubspot_deals_view_no_create_date.csv": ("hubspot_deals", 5, 6),
    "salesforce_opportunities_no_ids.csv": ("salesforce_opportunities", 4, 6),
    "zoho_deals_custom_stages.csv": ("zoho_deals", 6, 6),
    "pipedrive_deals_custom_pipeline.csv": ("pipedrive_deals", 6, 6),
}


@pytest.mark.parametrize(("file", "expected"), sorted(REAL_EXPORTS.items()))
def test_real_exports_are_recognised_with_no_mapping(file, expected):
    found = recognise(str(CRM / file), candidates())
    assert (found.name, len(found.chosen.found), len(found.chosen.wanted)) == expected
    others = [s for s in found.scores if s is not found.chosen and s.loadable]
    assert all(s.value < found.chosen.value - MARGIN for s in others)  # no tie to settle


@pytest.mark.parametrize(
    ("file", "rows"),
    [
        ("hubspot_contacts_all_properties.csv", 4),
        ("hubspot_deals_all_properties.csv", 5),
        ("hubspot_deals_view_no_create_date.csv", 5),
        ("salesforce_opportunities_no_ids.csv", 6),
    ],
)
def test_real_exports_whose_stages_are_all_mapped_load_every_row(file, rows):
    path = CRM / file
    q = load_input(path, recognise(str(path), candidates()).name).quality
    assert (q.rows_read, q.rows_used, q.rows_rejected, q.duplicates_dropped) == (rows, rows, 0, 0)


def test_a_salesforce_report_without_ids_loads_without_de_duplication():
    loaded = load_input(CRM / "salesforce_opportunities_no_ids.csv", "salesforce_opportunities")
    q = loaded.quality
    assert q.footer_lines_dropped == 5  # blank, Grand Totals, blank, the two notices
    assert (q.dedupe_key, q.dedupe_missing) == ((), ("deal_id (Opportunity ID)",))
    assert loaded.absent["created_at"] == "Created Date"
    assert loaded.frame["amount"].sum() == 98_499.5  # the Grand Totals line, not added in
    assert loaded.frame["status"].tolist() == ["won", "lost", "open", "open", "won", "open"]


def test_custom_stages_load_through_a_mapping_that_places_them(tmp_path):
    # Zoho with its Accounts module renamed Companies: Company Name.id is the account id
    zoho = tmp_path / "zoho.yaml"
    zoho.write_text(
        "extends: zoho_deals\nvalues:\n  stage:\n    map: {Discovery Call: qualification, "
        "Site Visit Done: demo, Quote Sent: proposal}\n",
        encoding="utf-8",
    )
    loaded = load_input(CRM / "zoho_deals_custom_stages.csv", str(zoho))
    assert loaded.frame["account_id"].fillna("").tolist() == [
        "zcrm_4876876000000222001",
        "zcrm_4876876000000222002",
        "zcrm_4876876000000222003",
        "",
        "zcrm_4876876000000222005",
    ]
    assert loaded.frame["account_name"].iloc[0] == "Acme Corp"
    pipedrive = tmp_path / "pipedrive.yaml"
    pipedrive.write_text(
        "extends: pipedrive_deals\nvalues:\n  stage:\n    map: {Intro Call: qualification, "
        "Partner Workshop: demo, Contract Review: negotiation, Signed: won}\n",
        encoding="utf-8",
    )
    loaded = load_input(CRM / "pipedrive_deals_custom_pipeline.csv", str(pipedrive))
    assert loaded.frame["status"].tolist() == ["won", "lost", "open", "open"]
    assert loaded.frame["pipeline"].unique().tolist() == ["Partnerships"]
