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
    NotRecognised,
    candidates,
    files_in,
    read_headers,
    recognise,
    recognise_inputs,
    score_file,
)
from salesmetrics.ingest.read import SNIFF_BYTES
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"

SAMPLE_FILES = {
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


@pytest.mark.parametrize(("file", "preset"), sorted(SAMPLE_FILES.items()))
def test_each_sample_file_is_recognised_as_its_preset(presets, file, preset):
    found = recognise(str(SAMPLE / file), presets)
    assert found.name == preset
    s = found.chosen
    assert (s.coverage, s.explained, s.value) == (1.0, 1.0, 1.0)
    reason = found.reason()
    assert reason.startswith(f"{SAMPLE / file}: recognised as {preset} (")
    assert f"{s.headers} of {s.headers} columns, all required fields" in reason


def test_sample_files_win_over_the_crm_presets_that_also_read_them(presets):
    # deals.csv is a HubSpot export and activities.csv an activity log: the generic presets
    # read them too, but find less of themselves in them (or read less of the file)
    deals = recognise(str(SAMPLE / "deals.csv"), presets)
    runner_up = next(s for s in deals.scores[1:] if s.loadable)
    assert runner_up.candidate.name == "hubspot_deals" and runner_up.value < 1
    activities = recognise(str(SAMPLE / "activities.csv"), presets)
    assert activities.name == "sample_data/mappings/activities.yaml"
    other = next(s for s in activities.scores[1:] if s.loadable)
    assert other.candidate.name == "activity_log"
    assert other.coverage < 1 and other.used == activities.chosen.used


@pytest.mark.parametrize("preset", CRM_PRESETS)
def test_each_crm_fixture_picks_its_own_preset(presets, preset):
    path = FIXTURES / "presets" / f"{preset}.csv"
    found = recognise(str(path), presets)
    assert found.name == preset
    assert load_input(path, found.name).quality.rows_used > 0


def test_an_export_of_a_few_chosen_columns_is_recognised(presets):
    # 9 of hubspot_deals' 28 columns, every one of them the preset's own
    path = FIXTURES / "presets" / "hubspot_deals.xlsx"
    found = recognise(str(path), presets)
    assert found.name == "hubspot_deals"
    assert found.chosen.used == found.chosen.headers == 9
    assert found.chosen.value >= MIN_SCORE


def test_a_file_with_half_the_headers_is_refused_with_the_candidates(presets, tmp_path):
    header = headers_of(SAMPLE / "deals.csv")
    half = header[len(header) // 2 :]  # the second half: no Record ID, no Create Date
    path = write_csv(tmp_path / "half.csv", half, [["x"] * len(half)])
    with pytest.raises(InputError) as error:
        recognise(str(path), presets)
    message = str(error.value)
    assert message.startswith(f"{path}: not recognised: no mapping fits its columns")
    assert "best candidates: sample_data/mappings/deals.yaml 0." in message
    assert "missing required deal_id (Record ID), created_at (Create Date)" in message
    assert f"salesmetrics mappings infer {path}" in message
    assert "\n" not in message


def test_a_file_sharing_only_a_few_headers_is_refused(presets, tmp_path):
    header = ["Record ID", "Create Date", "Deal Stage", *(f"Custom {i}" for i in range(10))]
    path = write_csv(tmp_path / "few.csv", header, [["1", "2026-01-01", "closedwon"] + [""] * 10])
    scores = score_file(str(path), presets)
    assert scores[0].loadable and scores[0].value < MIN_SCORE  # all it needs, too little else
    with pytest.raises(
        InputError,
        match=r"no mapping fits .* best candidates: sample_data/mappings/deals.yaml 0\.1",
    ):
        recognise(str(path), presets)


def test_a_file_no_mapping_knows_says_so(presets, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["foo", "bar"], [["1", "2"]])
    with pytest.raises(NotRecognised, match="best candidates: none shares a column with it") as e:
        recognise(str(path), presets)
    assert e.value.brief() == f"{path}: not recognised: no mapping shares a column with it"


def test_a_refusal_in_brief_names_the_two_nearest_and_what_each_lacks(presets, tmp_path):
    header = headers_of(SAMPLE / "deals.csv")
    half = header[len(header) // 2 :]  # no Record ID, no Create Date
    path = write_csv(tmp_path / "half.csv", half, [["x"] * len(half)])
    with pytest.raises(NotRecognised) as error:
        recognise(str(path), presets)
    best = error.value.candidates[0]
    assert best.candidate.name == "sample_data/mappings/deals.yaml"
    brief = error.value.brief()
    assert brief.startswith(
        f"{path}: not recognised; nearest: sample_data/mappings/deals.yaml {best.value:.2f} "
        "(lacks deal_id, created_at"
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
    assert "a.yaml 1.00 (4 of its 4 columns found)" in message
    assert "b.yaml 1.00 (4 of its 4 columns found)" in message


def test_an_exact_fit_beats_a_near_one_within_the_margin(tmp_path):
    # generic.yaml knows one more column, which the file lacks: 10 of 11 found against 10 of 10
    header = [f"Column {i}" for i in range(10)]
    columns = "".join(f"  field_{i}: Column {i}\n" for i in range(4, 10))
    exact = MAPPING.format(extra=columns).replace("Deal ID", "Column 0")
    exact = exact.replace("Created", "Column 1").replace("Stage", "Column 2")
    exact = exact.replace("Amount", "Column 3")
    generic = exact.replace("values:", "  owner: [Owner, Sales Rep]\nvalues:")
    folder = own_folder(tmp_path, {"exact.yaml": exact, "generic.yaml": generic})
    rows = [["D1", "2026-01-05", "Won", "100", *("x" * 6)]]
    path = write_csv(tmp_path / "wide.csv", header, rows)
    found = recognise(str(path), candidates([folder]))
    assert found.name.endswith("exact.yaml")
    runner_up = found.scores[1]
    assert runner_up.candidate.name.endswith("generic.yaml")
    assert found.chosen.value - runner_up.value < MARGIN
    assert (runner_up.coverage, runner_up.used) == (10 / 11, 10)
    assert found.reason().endswith(f"score 1.00, next {runner_up.candidate.name} 0.95)")


def test_a_mapping_beats_the_one_it_extends_and_the_users_own_beat_presets(tmp_path):
    child = "extends: base.yaml\nvalues:\n  stage:\n    map: {Won: won, Lost: lost, Open: demo}\n"
    folder = own_folder(tmp_path, {"base.yaml": MAPPING.format(extra=""), "child.yaml": child})
    found = recognise(str(deals_file(tmp_path)), candidates([folder]))
    assert found.name.endswith("child.yaml")
    # a user's mapping that extends a preset, over the preset itself (both read all of it)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "my_deals.yaml").write_text(
        f"extends: {SAMPLE / 'mappings' / 'deals.yaml'}\nvalues:\n  deal_type:\n    map: "
        "{renewal: renewal, newbusiness: new, existingbusiness: upsell}\n",
        encoding="utf-8",
    )
    found = recognise(str(SAMPLE / "deals.csv"), candidates([SAMPLE / "mappings", mine]))
    assert found.name.endswith("my_deals.yaml") and found.chosen.candidate.own


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
