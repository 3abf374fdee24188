"""`salesmetrics mappings list|show|infer` and `salesmetrics init` through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from salesmetrics.cli import app
from salesmetrics.cli_mappings import mappings_app
from salesmetrics.ingest.mapping import list_presets
from tests.test_nearfit import hubspot

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
SAMPLE_FILES = (
    "deals.csv",
    "leads.csv",
    "activities.csv",
    "subscriptions.csv",
    "orders.xlsx",
    "costs.csv",
    "targets.csv",
    "nps.csv",
    "reps.csv",
)


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in SAMPLE_FILES:
        shutil.copy(SAMPLE / name, folder / name)
    return folder


def test_every_mappings_command_has_help_with_an_example(runner):
    for command in mappings_app.registered_commands:
        result = runner.invoke(app, ["mappings", command.name, "--help"])
        assert result.exit_code == 0, result.output
        assert "Example: salesmetrics mappings " in result.output
    assert "Example: salesmetrics init " in runner.invoke(app, ["init", "--help"]).output


def test_mappings_list_names_every_preset_with_its_entity(runner):
    result = runner.invoke(app, ["mappings", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["mappings"]
    assert [r["name"] for r in rows] == list_presets()
    deals = next(r for r in rows if r["name"] == "hubspot_deals")
    assert deals["entity"] == "deals" and deals["source"] == "preset"
    assert deals["description"].startswith("HubSpot deals export")
    table = runner.invoke(app, ["mappings", "list"])
    assert table.exit_code == 0
    assert "| hubspot_deals " in table.stdout and "| deals " in table.stdout


def test_mappings_list_adds_the_users_own_from_the_config(runner, tmp_path):
    mine = tmp_path / "my_mappings"
    mine.mkdir()
    (mine / "crm.yaml").write_text(
        "entity: leads\ndescription: Our CRM leads\ncolumns:\n  lead_id: ID\n  created_at: Date\n",
        encoding="utf-8",
    )
    (mine / "broken.yaml").write_text("entity: nothing\n", encoding="utf-8")
    config = tmp_path / "report.yaml"
    config.write_text("mappings: [my_mappings]\n", encoding="utf-8")
    result = runner.invoke(app, ["mappings", "list", "-c", str(config), "-f", "json"])
    assert result.exit_code == 0, result.output
    own = [r for r in json.loads(result.stdout)["mappings"] if r["source"] == "own"]
    assert [(Path(r["name"]).name, r["entity"]) for r in own] == [
        ("broken.yaml", None),
        ("crm.yaml", "leads"),
    ]
    assert own[0]["description"].startswith("cannot be loaded: ")
    assert own[1]["description"] == "Our CRM leads"


def test_mappings_show_prints_the_file_and_resolves_extends(runner, tmp_path):
    reps = ROOT / "sample_data" / "mappings" / "reps.yaml"
    result = runner.invoke(app, ["mappings", "show", str(reps)])
    assert result.exit_code == 0, result.output
    text = reps.read_text(encoding="utf-8")
    assert result.stdout == f"# {reps}: {reps}\n{text}"
    preset = runner.invoke(app, ["mappings", "show", "zoho_leads"])
    assert preset.exit_code == 0, preset.output
    assert preset.stdout.startswith("# zoho_leads: ") and "presets/zoho_leads.yaml" in preset.stdout
    child = tmp_path / "mine.yaml"
    child.write_text(f"extends: {reps}\ncolumns:\n  owner: Name\n", encoding="utf-8")
    result = runner.invoke(app, ["mappings", "show", str(child)])
    assert result.exit_code == 0, result.output
    assert f"# ---- with `extends: {reps}` resolved" in result.stdout
    resolved = result.stdout.split("resolved")[1]
    assert "# entity: reps" in resolved and "#   owner: Name" in resolved
    assert "#   manager: Manager" in resolved  # inherited


def test_mappings_show_unknown_is_one_line(runner):
    result = runner.invoke(app, ["mappings", "show", "no_such_preset"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no mapping preset named 'no_such_preset'")


def test_mappings_infer_to_stdout_and_to_a_file(runner, tmp_path):
    result = runner.invoke(app, ["mappings", "infer", str(SAMPLE / "leads.csv")])
    assert result.exit_code == 0, result.output
    assert "entity: leads" in result.stdout and "  lead_id: Lead ID" in result.stdout
    assert "mapping written to stdout: entity leads (guessed), 12 column(s) mapped" in result.stderr
    out = tmp_path / "leads.yaml"
    args = ["mappings", "infer", str(SAMPLE / "leads.csv"), "-e", "leads", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"wrote {out}: entity leads (given)" in result.stderr
    assert f"--mapping {out}" in out.read_text(encoding="utf-8")
    check = runner.invoke(app, ["validate", str(SAMPLE / "leads.csv"), "-m", str(out), "-q"])
    assert check.exit_code == 0, check.output
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "the file exists; give --force" in again.stderr
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


def test_mappings_infer_usage_and_input_errors(runner, tmp_path):
    bad = runner.invoke(app, ["mappings", "infer", str(SAMPLE / "leads.csv"), "-e", "deal"])
    assert bad.exit_code == 2 and "unknown entity 'deal'" in bad.output
    missing = runner.invoke(app, ["mappings", "infer", str(tmp_path / "none.csv")])
    assert missing.exit_code == 1 and missing.stderr.startswith("error: ")
    assert len(missing.stderr.strip().splitlines()) == 1


def test_init_writes_a_config_that_report_runs(runner, sample_copy):
    (sample_copy / "~$orders.xlsx").write_bytes(b"lock")
    mappings = ROOT / "sample_data" / "mappings"
    result = runner.invoke(app, ["init", str(sample_copy), "--mappings", str(mappings)])
    assert result.exit_code == 0, result.output
    config = sample_copy / "report.yaml"
    assert f"wrote {config}: 9 input(s) recognised, 0 not" in result.stderr
    assert "recognised as sample_data/mappings/orders.yaml" in result.stderr
    assert "fill in each rate under `rates:`" in result.stderr  # USD, EUR and GBP amounts
    text = config.read_text(encoding="utf-8")
    assert "  - path: orders.xlsx\n    # recognised: 9 of 9 columns, score 1.00\n" in text
    assert 'sample_data/mappings/orders.yaml"\n' in text
    unfilled = runner.invoke(app, ["report", "-c", str(config), "--period", "2026-10"])
    assert unfilled.exit_code == 1 and "rates.EUR: expected a rate above 0" in unfilled.stderr
    filled = text.replace("EUR: null", "EUR: 1.08").replace("GBP: null", "GBP: 1.27")
    config.write_text(filled, encoding="utf-8")
    report = runner.invoke(
        app,
        ["report", "-c", str(config), "--period", "2026-10", "--as-of", "2026-11-23", "-f", "json"],
    )
    assert report.exit_code == 0, report.output
    document = json.loads(report.stdout)
    assert len(document["inputs"]) == 9
    assert {i["mapping"].split("/")[-1] for i in document["inputs"]} == {f"{n}.yaml" for n in (
        "deals", "leads", "activities", "subscriptions", "orders", "costs", "targets",
        "surveys", "reps")}  # fmt: skip
    won = next(k for k in document["kpis"] if k["id"] == "deals_won" and k["group"] == {})
    assert won["value"] > 0


def test_init_refuses_to_overwrite_and_lists_unknown_files(runner, sample_copy, tmp_path):
    (sample_copy / "mystery.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    out = tmp_path / "cfg.yaml"
    own = ["--mappings", str(ROOT / "sample_data" / "mappings")]
    result = runner.invoke(app, ["init", str(sample_copy), "--output", str(out), *own])
    assert result.exit_code == 0, result.output
    assert "mystery.csv: not recognised" in result.stderr
    assert "9 input(s) recognised, 1 not" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert "  - path: exports/deals.csv" in text
    assert "(salesmetrics mappings infer exports/mystery.csv --output mystery.yaml)" in text
    out.write_text("mine\n", encoding="utf-8")
    again = runner.invoke(app, ["init", str(sample_copy), "--output", str(out), *own])
    assert again.exit_code == 1 and "give --force" in again.stderr
    assert out.read_text(encoding="utf-8") == "mine\n"
    forced = runner.invoke(app, ["init", str(sample_copy), "-o", str(out), "--force", "-q", *own])
    assert forced.exit_code == 0 and forced.stderr == ""
    assert out.read_text(encoding="utf-8") == text  # the same folder gives the same config


def test_init_with_the_users_own_mappings(runner, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "people.csv").write_text("Name,Group\nAna,North\nBo,South\n", encoding="utf-8")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "people.yaml").write_text(
        "entity: reps\ncolumns:\n  owner: Name\n  team: Group\n", encoding="utf-8"
    )
    config = tmp_path / "report.yaml"
    result = runner.invoke(app, ["init", str(folder), "-o", str(config), "--mappings", str(mine)])
    assert result.exit_code == 0, result.output
    text = config.read_text(encoding="utf-8")
    assert "    mapping: mine/people.yaml" in text and "mappings: [mine]" in text
    check = runner.invoke(app, ["validate", "-c", str(config), "-q"])
    assert check.exit_code == 0, check.output


def test_init_on_a_missing_or_empty_folder_is_one_line(runner, tmp_path):
    missing = runner.invoke(app, ["init", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "no such folder" in missing.stderr
    empty = runner.invoke(app, ["init", str(tmp_path)])
    assert empty.exit_code == 1 and "no CSV or Excel files in this folder" in empty.stderr
    assert not (tmp_path / "report.yaml").exists()


def test_init_writes_an_extends_file_beside_the_config_and_never_over_one(runner, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    hubspot(folder, {"Record ID": "Deal ID", "Create Date": "Created Date"}, name="deals.csv")
    config, extends = tmp_path / "report.yaml", tmp_path / "deals.yaml"
    result = runner.invoke(app, ["init", str(folder), "-o", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:2] == [
        f"{folder / 'deals.csv'}: recognised as hubspot_deals; wrote {extends}, extending it: "
        "deal_id read from 'Deal ID'; created_at read from 'Created Date'",
        f"wrote {config}: 0 input(s) recognised, 1 with an extends file, 0 not",
    ]
    assert f"next: check the lines marked `check` in {extends}" in result.stderr
    assert "    mapping: deals.yaml " in config.read_text(encoding="utf-8")
    assert extends.read_text(encoding="utf-8").startswith(
        "# deals.yaml: hubspot_deals, with what exports/deals.csv has that it lacks.\n"
    )
    config.write_text(config.read_text(encoding="utf-8").replace("EUR: null", "EUR: 1.1"), "utf-8")
    check = runner.invoke(
        app, ["validate", "-c", str(config), "-f", "json", "--max-reject-rate", "1"]
    )
    assert check.exit_code == 0, check.output
    assert json.loads(check.stdout)["inputs"][0]["mapping"] == "deals.yaml"
    # an extends file of the same name is never replaced without --force, nor the config
    extends.write_text("mine\n", encoding="utf-8")
    config.unlink()
    again = runner.invoke(app, ["init", str(folder), "-o", str(config)])
    assert again.exit_code == 1
    assert again.stderr == f"error: {extends}: the file exists; give --force to replace it\n"
    assert extends.read_text(encoding="utf-8") == "mine\n" and not config.exists()
    forced = runner.invoke(app, ["init", str(folder), "-o", str(config), "--force", "-q"])
    assert forced.exit_code == 0 and extends.read_text(encoding="utf-8").startswith("# deals.yaml")


def test_mappings_list_strips_escape_sequences_from_descriptions(runner, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "odd.yaml").write_text(
        'entity: reps\ndescription: "\\e]0;pwned\\a\\e[2JReps [/] \\u202eexport"\n'
        "columns:\n  owner: Name\n",
        encoding="utf-8",
    )
    config = tmp_path / "report.yaml"
    config.write_text("mappings: mine\n", encoding="utf-8")
    table = runner.invoke(app, ["mappings", "list", "-c", str(config)])
    assert table.exit_code == 0, table.output
    assert not set(table.stdout) & {"\x1b", "\x07", "\u202e"}
    assert "Reps [/] export" in table.stdout


def test_infer_and_init_refuse_to_write_over_an_export(runner, sample_copy):
    deals = sample_copy / "deals.csv"
    before = deals.read_bytes()
    infer = runner.invoke(app, ["mappings", "infer", str(deals), "--output", str(deals), "--force"])
    assert infer.exit_code == 2 and "writing it would destroy it" in infer.stderr
    init = runner.invoke(
        app, ["init", str(sample_copy), "--output", str(sample_copy / "deals.csv"), "--force"]
    )
    assert init.exit_code == 2 and "writing it would destroy it" in init.stderr
    assert deals.read_bytes() == before
