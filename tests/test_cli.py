"""The CLI end to end through Typer's runner: output, exit codes, and no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from salesmetrics import __version__
from salesmetrics.cli import app
from tests.conftest import FIXTURE_MAPPING, FIXTURES


def test_version(runner):
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"salesmetrics {__version__}"


def test_help_lists_commands_and_exit_codes(runner):
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "validate" in result.output
    assert "3 rows rejected beyond --max-reject-rate" in " ".join(result.output.split())


def test_every_command_has_help_with_an_example_and_is_in_the_readme(runner):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output
        assert f"salesmetrics {name}" in readme


def test_help_does_not_import_pandas():
    code = (
        "import sys\n"
        "sys.argv = ['salesmetrics', '--help']\n"
        "from salesmetrics.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'pandas' not in sys.modules, 'pandas was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_validate_clean_file_exits_0_with_counts(runner):
    result = runner.invoke(app, ["validate", str(FIXTURES / "plain.csv"), "-m", FIXTURE_MAPPING])
    assert result.exit_code == 0, result.output
    assert "rows read" in result.output
    assert "\x1b[" not in result.output  # no escape codes when not a terminal


def test_validate_json_document(runner):
    result = runner.invoke(
        app,
        [
            "validate",
            str(FIXTURES / "bad_rows.csv"),
            "-m",
            FIXTURE_MAPPING,
            "--format",
            "json",
            "--max-reject-rate",
            "0.9",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    (item,) = document["inputs"]
    assert (item["rows_read"], item["rows_used"], item["rows_rejected"]) == (5, 2, 3)
    assert item["reject_rate"] == 0.6
    assert item["rejected"][0]["examples"][0]["row"] in (3, 4, 5)


def test_rejected_rows_exit_3_and_say_why_on_stderr(runner):
    result = runner.invoke(app, ["validate", str(FIXTURES / "bad_rows.csv"), "-m", FIXTURE_MAPPING])
    assert result.exit_code == 3
    assert "3 of 5 rows rejected (60.00%), above --max-reject-rate 0.00%" in result.stderr


def test_rejects_file_holds_every_rejected_row(runner, tmp_path):
    out = tmp_path / "rejects.csv"
    result = runner.invoke(
        app,
        [
            "validate",
            str(FIXTURES / "bad_rows.csv"),
            "-m",
            FIXTURE_MAPPING,
            "--rejects",
            str(out),
            "--max-reject-rate",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "file,row,reason,Deal ID,Created,Stage,Amount,Owner,Closed"
    assert len(lines) == 4
    assert ",4,created_at: cannot read the value,D3,not a date," in lines[2]


def test_errors_are_one_line_exit_1_without_traceback(runner):
    cases = [
        [str(FIXTURES / "empty.csv"), "-m", FIXTURE_MAPPING],
        [str(FIXTURES / "binary.csv"), "-m", FIXTURE_MAPPING],
        [str(FIXTURES / "missing.csv"), "-m", FIXTURE_MAPPING],
        [str(FIXTURES / "plain.csv"), "-m", str(FIXTURES / "broken.yaml")],
        [str(FIXTURES / "plain.csv"), "-m", "no_such_preset"],
        [str(FIXTURES / "title_rows.xlsx"), "-m", str(FIXTURES / "deals.yaml")],
    ]
    for args in cases[:-1]:
        result = runner.invoke(app, ["validate", *args])
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith("error: "), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.output


def test_wrong_sheet_is_one_line(runner, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        (FIXTURES / "deals.yaml").read_text(encoding="utf-8") + "read:\n  sheet: Pipeline\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", str(FIXTURES / "title_rows.xlsx"), "-m", str(mapping)])
    assert result.exit_code == 1
    assert "no sheet named 'Pipeline'; sheets: Deals" in result.stderr


def test_usage_errors_exit_2(runner):
    assert runner.invoke(app, ["validate"]).exit_code == 2
    result = runner.invoke(app, ["validate", "a.csv", "b.csv", "-m", FIXTURE_MAPPING])
    assert result.exit_code == 2
    assert "2 file(s) but 1 --mapping" in result.output
    assert runner.invoke(app, ["validate", "--bogus"]).exit_code == 2


def test_stdin_input(runner):
    data = (FIXTURES / "plain.csv").read_text(encoding="utf-8")
    result = runner.invoke(app, ["validate", "-", "-m", FIXTURE_MAPPING, "-f", "json"], input=data)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inputs"][0]["rows_used"] == 3


def test_config_with_data_dir(runner, tmp_path):
    config = tmp_path / "report.yaml"
    config.write_text(
        f"inputs:\n  - path: plain.csv\n    mapping: {FIXTURE_MAPPING}\n", encoding="utf-8"
    )
    result = runner.invoke(
        app, ["validate", "--config", str(config), "--data-dir", str(FIXTURES), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inputs"][0]["path"] == str(FIXTURES / "plain.csv")


def test_main_process_exit_codes_and_stderr():
    """The real entry point, as cron runs it: exit code and one line on stderr."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "salesmetrics",
            "validate",
            str(FIXTURES / "empty.csv"),
            "-m",
            FIXTURE_MAPPING,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr


def test_kpis_lists_the_catalogue_as_json_and_filters_by_stage(runner):
    from salesmetrics.kpis.catalogue import CATALOGUE

    result = runner.invoke(app, ["kpis", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)["kpis"]
    assert [k["id"] for k in listed] == list(CATALOGUE)
    win = next(k for k in listed if k["id"] == "win_rate")
    assert win["inputs"] == ["deals.status", "deals.closed_at"]
    assert (win["stage"], win["unit"], win["kind"]) == ("close", "ratio", "ratio")
    assert win["benchmark"] == CATALOGUE["win_rate"].benchmark and win["higher_is_better"]
    close = runner.invoke(app, ["kpis", "--stage", "close", "-f", "json"])
    assert {k["stage"] for k in json.loads(close.output)["kpis"]} == {"close"}
    table = runner.invoke(app, ["kpis", "--stage", "close"])
    assert "win_rate" in table.output and "\x1b[" not in table.output
    bad = runner.invoke(app, ["kpis", "--stage", "closing"])
    assert bad.exit_code == 2 and "unknown stage 'closing'" in bad.output


def test_a_closed_output_pipe_ends_quietly():
    reader = subprocess.Popen(
        [sys.executable, "-m", "salesmetrics", "kpis", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # as `| head -0` would
    assert reader.wait() == 141
    assert reader.stderr.read() == b""


def _report(runner, *args):
    plain = str(FIXTURES / "plain.csv")  # D1 won 20 Oct (1,200), D2 lost 21 Oct, D3 open
    return runner.invoke(
        app,
        [
            "report",
            plain,
            "-m",
            FIXTURE_MAPPING,
            "--period",
            "2026-10",
            "--as-of",
            "2026-11-23",
            *args,
        ],
    )


def test_report_table_is_plain_when_piped(runner):
    result = _report(runner, "--kpi", "win_rate", "--kpi", "revenue_won")
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.output
    assert (
        "salesmetrics report 2026-10 (2026-10-01 to 2026-10-31), compared with 2026-09"
        in result.output
    )
    win = next(line for line in result.output.splitlines() if "Win rate" in line)
    assert "50.0%" in win  # D1 won, D2 lost
    assert "plain.csv -> deals: 3 rows read, 3 used" in result.output


def test_report_json_and_output_file_with_period_in_its_name(runner, tmp_path: Path):
    from importlib.resources import files

    import jsonschema

    out = tmp_path / "sales-{period}.json"
    result = _report(runner, "--format", "json", "--output", str(out), "--kpi", "revenue_won")
    assert result.exit_code == 0, result.output
    written = tmp_path / "sales-2026-10.json"
    doc = json.loads(written.read_text(encoding="utf-8"))
    schema = json.loads(files("salesmetrics").joinpath("report.schema.json").read_text("utf-8"))
    jsonschema.validate(doc, schema)
    assert doc["kpis"][0]["value"] == 1200.0 and doc["inputs"][0]["rows_read"] == 3
    assert f"wrote json report for 2026-10 to {written}" in result.output  # on stderr
    assert [p.name for p in tmp_path.iterdir()] == ["sales-2026-10.json"]  # no temporary left


def test_report_formats_for_machines(runner):
    ndjson = _report(runner, "--format", "ndjson", "--kpi", "deals_won")
    assert [json.loads(line)["value"] for line in ndjson.output.splitlines()] == [1.0]
    csv_out = _report(runner, "--format", "csv", "--kpi", "deals_won", "--by", "owner")
    lines = csv_out.output.splitlines()
    assert lines[0].startswith("period,as_of,id,label,stage,unit,owner,value")
    assert len(lines) == 4  # the total, Ana, Ben
    markdown = _report(runner, "--format", "markdown", "--kpi", "deals_won")
    assert markdown.output.startswith("# Sales report 2026-10")


def test_report_usage_errors_exit_2(runner):
    assert _report(runner, "--format", "xlsx").exit_code == 2
    bad_kpi = _report(runner, "--kpi", "win_rat")
    assert bad_kpi.exit_code == 2 and "did you mean win_rate" in bad_kpi.output
    assert _report(runner, "--stage", "closing").exit_code == 2
    bad_period = runner.invoke(
        app, ["report", "x.csv", "-m", FIXTURE_MAPPING, "--period", "2026-13"]
    )
    assert bad_period.exit_code == 2 and "month 13 does not exist" in bad_period.output
    assert _report(runner, "--as-of", "23/11/2026").exit_code == 2


def test_report_refuses_inputs_that_lost_too_many_rows(runner):
    # rejected: a blank id, an unreadable date, a won deal with no close date
    bad = str(FIXTURES / "bad_rows.csv")
    result = runner.invoke(app, ["report", bad, "-m", FIXTURE_MAPPING, "--period", "2026-10"])
    assert result.exit_code == 3
    assert "3 of 5 rows rejected (60.00%), above --max-reject-rate 5.00%" in result.output
    allowed = runner.invoke(
        app,
        ["report", bad, "-m", FIXTURE_MAPPING, "--period", "2026-10", "--max-reject-rate", "0.6"],
    )
    assert allowed.exit_code == 0, allowed.output


def test_report_fail_on_exits_4_for_a_kpi_off_track(runner, tmp_path: Path):
    config = tmp_path / "report.yaml"
    config.write_text("targets:\n  win_rate: {target: 0.6, warn: 0.4}\n", encoding="utf-8")
    at_risk = _report(runner, "-c", str(config), "--kpi", "win_rate", "--fail-on", "at-risk")
    assert at_risk.exit_code == 4 and "win_rate (total) is at risk" in at_risk.output
    assert (
        _report(runner, "-c", str(config), "--kpi", "win_rate", "--fail-on", "off-track").exit_code
        == 0
    )


STALE = "deals end 2026-10-21; period 2026-11 has no deals"  # plain.csv's last close


def test_a_period_after_the_data_warns_and_fail_on_stale_exits_5(runner):
    from importlib.resources import files

    import jsonschema

    warned = _report(runner, "--period", "2026-11", "--format", "json", "--kpi", "deals_won")
    assert warned.exit_code == 0
    assert warned.stderr == f"warning: {STALE}\n"
    doc = json.loads(warned.stdout)
    assert doc["warnings"] == [
        {
            "code": "stale_input",
            "entity": "deals",
            "first": "2026-10-01",
            "last": "2026-10-21",
            "message": STALE,
        }
    ]
    schema = json.loads(files("salesmetrics").joinpath("report.schema.json").read_text("utf-8"))
    jsonschema.validate(doc, schema)
    quiet = _report(runner, "--period", "2026-11", "--format", "json", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == ""  # --quiet: only errors
    failed = _report(runner, "--period", "2026-11", "--fail-on", "stale", "--quiet")
    assert failed.exit_code == 5 and failed.stderr == f"warning: {STALE}\n"
    assert "warning: " + STALE in failed.stdout  # the table starts with it too
    assert _report(runner, "--fail-on", "stale").exit_code == 0  # October is covered


def test_from_to_override_the_configs_period(runner, tmp_path: Path):
    config = tmp_path / "report.yaml"
    config.write_text("period: 2026-09\n", encoding="utf-8")
    plain = str(FIXTURES / "plain.csv")  # D1 won 20 Oct, D2 lost 21 Oct
    common = ["report", plain, "-m", FIXTURE_MAPPING, "-c", str(config), "--as-of", "2026-11-23"]
    dates = ["--from", "2026-10-20", "--to", "2026-10-20", "--kpi", "deals_won", "-f", "json"]
    result = runner.invoke(app, [*common, *dates])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["period"] == {
        "label": "2026-10-20 to 2026-10-20",
        "start": "2026-10-20",
        "end": "2026-10-20",
    }
    assert doc["kpis"][0]["value"] == 1  # D1
    both = runner.invoke(app, [*common, *dates, "--period", "2026-10"])
    assert both.exit_code != 0 and "either a period or from/to" in both.output


def test_fail_on_is_repeatable_and_stale_data_wins_over_targets(runner, tmp_path: Path):
    config = tmp_path / "report.yaml"
    config.write_text("targets:\n  win_rate: {target: 0.6, warn: 0.4}\n", encoding="utf-8")
    both = ["-c", str(config), "--kpi", "win_rate", "--fail-on", "at-risk", "--fail-on", "stale"]
    october = _report(runner, *both)  # win rate 1/2: at risk, and the data covers October
    assert october.exit_code == 4 and "win_rate (total) is at risk" in october.stderr
    # December: no deal closed, so no win rate and no status; the stale data says so
    december = _report(runner, *both, "--period", "2026-12", "--as-of", "2027-01-02")
    assert december.exit_code == 5
    assert "deals end 2026-10-21; period 2026-12 has no deals" in december.stderr


def _as_cron(*extra: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The JSON report of plain.csv for October, in an environment like cron's."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "salesmetrics",
            "report",
            str(FIXTURES / "plain.csv"),
            "-m",
            FIXTURE_MAPPING,
            "--period",
            "2026-10",
            "--as-of",
            "2026-11-23",
            "--format",
            "json",
            *extra,
        ],
        env={"PATH": "/usr/bin:/bin"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_cron_hears_of_a_forgotten_export_through_the_exit_code():
    done = _as_cron("--period", "2026-11", "--fail-on", "stale", "--quiet")
    assert done.returncode == 5
    assert done.stderr == f"warning: {STALE}\n"
    assert json.loads(done.stdout)["warnings"][0]["code"] == "stale_input"


def test_report_runs_under_cron_with_an_empty_environment(tmp_path: Path):
    """No HOME, no terminal, no standard input, only PATH: as cron runs it."""
    out = tmp_path / "october.json"
    done = _as_cron("--output", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and "wrote json report" in done.stderr
    first = json.loads(out.read_text(encoding="utf-8"))
    second = json.loads(_as_cron().stdout)
    first.pop("generated_at"), second.pop("generated_at")
    assert first == second  # with --as-of fixed, runs agree apart from generated_at


# ---------------------------------------------------------------- folders and recognition

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
OWN = ["--mappings", str(SAMPLE / "mappings")]  # the sample company's own mappings


def _sample_folder(tmp_path: Path, *names: str) -> Path:
    import shutil

    folder = tmp_path / "exports"
    folder.mkdir()
    for name in names:
        shutil.copy(SAMPLE / name, folder / name)
    return folder


def test_validate_a_folder_recognises_every_export_in_it(runner, tmp_path):
    folder = _sample_folder(tmp_path, "reps.csv", "nps.csv", "orders.xlsx", "targets.csv")
    (folder / "~$orders.xlsx").write_bytes(b"an Office lock file")
    (folder / ".hidden.csv").write_text("a,b\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not data", encoding="utf-8")
    (folder / "old").mkdir()
    (folder / "old" / "deals.csv").write_text(
        "not read: folders are not recursed", encoding="utf-8"
    )
    result = runner.invoke(app, ["validate", str(folder), "-f", "json", *OWN])
    assert result.exit_code == 0, result.output
    inputs = json.loads(result.stdout)["inputs"]
    assert [(Path(i["path"]).name, i["mapping"]) for i in inputs] == [
        ("nps.csv", "sample_data/mappings/surveys.yaml"),
        ("orders.xlsx", "sample_data/mappings/orders.yaml"),
        ("reps.csv", "sample_data/mappings/reps.yaml"),
        ("targets.csv", "sample_data/mappings/targets.yaml"),
    ]
    said = result.stderr.splitlines()
    assert said[0] == (
        f"{folder / 'nps.csv'}: recognised as sample_data/mappings/surveys.yaml (3 of 3 columns, all required "
        "fields; 3 of its 3 columns found; score 1.00)"
    )
    assert len(said) == 4
    quiet = runner.invoke(app, ["validate", str(folder), "-q", *OWN])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_report_a_folder(runner, tmp_path):
    folder = _sample_folder(tmp_path, "deals.csv", "reps.csv")
    result = runner.invoke(
        app,
        [
            "report",
            str(folder),
            "--period",
            "2026-10",
            "--as-of",
            "2026-11-23",
            "--kpi",
            "win_rate",
            "-f",
            "json",
            "--max-reject-rate",
            "0.01",
            *OWN,
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [i["mapping"] for i in document["inputs"]] == [
        "sample_data/mappings/deals.yaml",
        "sample_data/mappings/reps.yaml",
    ]
    assert document["kpis"][0]["id"] == "win_rate" and document["kpis"][0]["value"] > 0
    assert "deals.csv: recognised as sample_data/mappings/deals.yaml" in result.stderr


def test_files_without_mapping_are_recognised_and_auto_asks_for_it(runner, tmp_path):
    reps, nps = str(SAMPLE / "reps.csv"), str(SAMPLE / "nps.csv")
    both = runner.invoke(app, ["validate", reps, nps, "-f", "json", *OWN])
    assert both.exit_code == 0, both.output
    mixed = runner.invoke(
        app,
        [
            "validate",
            reps,
            nps,
            "-m",
            "sample_data/mappings/reps.yaml",
            "-m",
            "auto",
            "-f",
            "json",
            *OWN,
        ],
    )
    assert mixed.exit_code == 0, mixed.output
    assert [i["mapping"] for i in json.loads(mixed.stdout)["inputs"]] == [
        "sample_data/mappings/reps.yaml",
        "sample_data/mappings/surveys.yaml",
    ]
    assert "reps.csv: recognised" not in mixed.stderr and "nps.csv: recognised" in mixed.stderr


def test_folder_input_mistakes(runner, tmp_path):
    folder = _sample_folder(tmp_path, "reps.csv")
    with_mapping = runner.invoke(
        app, ["validate", str(folder), "-m", "sample_data/mappings/reps.yaml"]
    )
    assert (
        with_mapping.exit_code == 2
        and "is a folder: its files are recognised" in with_mapping.output
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["validate", str(empty)])
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"error: {empty}: no CSV or Excel files in this folder (.csv, .csv.gz, .xlsx, .xls)\n"
    )
    (folder / "mystery.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    unknown = runner.invoke(app, ["report", str(folder)])
    assert unknown.exit_code == 1
    assert unknown.stderr.splitlines()[-1].startswith(
        f"error: {folder / 'mystery.csv'}: not recognised"
    )
    stdin = runner.invoke(app, ["validate", "-"], input="a,b\n")
    assert stdin.exit_code == 1 and "standard input cannot be recognised" in stdin.stderr


def test_config_inputs_without_a_mapping_use_the_configs_own_mappings(runner, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "people.csv").write_text("Name,Group\nAna,North\n", encoding="utf-8")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "people.yaml").write_text(
        "entity: reps\ncolumns:\n  owner: Name\n  team: Group\n", encoding="utf-8"
    )
    config = tmp_path / "report.yaml"
    config.write_text("mappings: mine\ninputs:\n  - path: exports/people.csv\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "-c", str(config), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inputs"][0]["mapping"].endswith("mine/people.yaml")
    options_only = tmp_path / "options.yaml"
    options_only.write_text("mappings: [mine]\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(folder), "-c", str(options_only), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inputs"][0]["entity"] == "reps"
    without = runner.invoke(app, ["validate", str(folder)])
    assert without.exit_code == 1 and "not recognised" in without.stderr


def test_an_unplaced_stage_is_listed_by_validate_and_an_error_with_strict(runner):
    french = str(FIXTURES / "crm" / "salesforce_opportunity_products_fr.csv")
    listed = runner.invoke(app, ["validate", french, "-f", "json"])
    assert listed.exit_code == 0, listed.output
    (item,) = json.loads(listed.stdout)["inputs"]
    assert item["unplaced"] == [{"field": "stage", "value": "Pilote en cours", "count": 2}]
    assert item["lines_of"] == {"key": ["deal_id"], "lines": 7, "records": 4}
    for command in (["validate", french], ["report", french, "--period", "2025-03"]):
        strict = runner.invoke(app, [*command, "--strict"])
        assert strict.exit_code == 1
        assert "1 value(s) of `stage` have no mapping: 'Pilote en cours' (2 rows)" in strict.stderr
