"""The CLI end to end through Typer's runner: output, exit codes, and no tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

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
    said = " ".join(result.output.split())
    assert "3 rows rejected beyond --max-reject-rate" in said
    assert "--skip-unrecognised goes on without such files unless none is usable" in said


def test_every_command_has_help_with_an_example_and_is_in_the_readme(runner):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output
        assert f"salesmetrics {name}" in readme


@pytest.mark.parametrize("command", [[], ["report"], ["explain"]])
def test_help_does_not_import_pandas_duckdb_or_spark(command):
    code = (
        "import sys\n"
        f"sys.argv = ['salesmetrics', *{command!r}, '--help']\n"
        "from salesmetrics.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "for name in ('pandas', 'duckdb', 'pyspark', 'sqlglot'):\n"
        "    assert name not in sys.modules, f'{name} was imported'\n"
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


def test_validate_says_what_each_input_can_feed_and_what_it_lacks(runner):
    # a Salesforce report without Opportunity ID or Created Date, recognised with no mapping
    path = str(FIXTURES / "crm" / "salesforce_opportunities_no_ids.csv")
    table = runner.invoke(app, ["validate", path])
    assert table.exit_code == 0, table.output
    out = " ".join(table.stdout.split())
    assert (
        "Not de-duplicated (a row exported twice counts twice): the file lacks deal_id "
        "(Opportunity ID)"
    ) in out
    assert "KPIs it can feed (" in out and " win_rate," in out
    assert re.search(
        r"\| opportunities_created +\| needs deals\.created_at: add Created Date to the export +\|",
        table.stdout,
    )
    result = runner.invoke(app, ["validate", path, "--format", "json"])
    (item,) = json.loads(result.stdout)["inputs"]
    assert (item["dedupe_key"], item["dedupe_missing"]) == ([], ["deal_id (Opportunity ID)"])
    fed = item["kpis"]
    assert "win_rate" in fed["can_feed"]
    cannot = {k["id"]: k["reason"] for k in fed["cannot_feed"]}
    assert cannot["touches_per_won_deal"] == (
        "needs deals.deal_id: add Opportunity ID to the export"
    )
    assert cannot["sales_cycle_days"] == "needs deals.created_at: add Created Date to the export"
    assert not set(fed["can_feed"]) & set(cannot)


def test_validate_lists_anomalies_and_does_not_call_the_file_clean(runner):
    path = FIXTURES / "crm" / "hubspot_deals_anomalies.csv"
    result = runner.invoke(app, ["validate", str(path), "-m", "hubspot_deals"])
    assert result.exit_code == 0, result.output  # anomalies are reported, not refused
    first = " ".join(result.output.split("+")[0].split())
    assert first.endswith("header on row 1): 5 anomalies")
    assert "clean" not in result.output.replace(str(path), "")  # a checkout may be ~/clean
    words = " ".join(result.output.replace("|", " ").split())
    assert "closed_at before created_at" in words and "3: created_at" in words
    result = runner.invoke(app, ["validate", str(path), "-m", "hubspot_deals", "-f", "json"])
    (item,) = json.loads(result.stdout)["inputs"]
    assert [a["count"] for a in item["anomalies"]] == [1, 1, 1, 1, 1]
    assert item["anomalies"][1]["examples"] == [
        {"row": 3, "value": "created_at 2026-03-10T10:00:00, closed_at 2026-03-02"}
    ]


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


def test_kpis_lists_each_named_variant_under_its_kpi(runner):
    from salesmetrics.kpis.catalogue import VARIANTS

    listed = json.loads(runner.invoke(app, ["kpis", "--format", "json"]).output)["kpis"]
    win = next(k for k in listed if k["id"] == "win_rate")
    assert win["variant"] == "won_lost"
    assert [(v["id"], v["variant"], v["formula"]) for v in win["variants"]] == [
        ("win_rate", "per_sql", VARIANTS["win_rate"]["per_sql"].formula)
    ]
    assert "variants" not in next(k for k in listed if k["id"] == "deals_won")
    table = runner.invoke(app, ["kpis", "--stage", "close"]).output
    rows = [line.split("|")[1].strip() for line in table.splitlines() if line.startswith("|")]
    at = rows.index("win_rate")
    assert rows[at + 1 :].index("win_rate:") < rows[at + 1 :].index("avg_deal_size")
    assert "per_sql" in rows


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
    said = " ".join(result.output.split())  # a long temporary path may wrap the line
    assert f"wrote json report for 2026-10 to {written}" in said  # on stderr
    assert [p.name for p in tmp_path.iterdir()] == ["sales-2026-10.json"]  # no temporary left


def test_report_formats_for_machines(runner, tmp_path):
    ndjson = _report(runner, "--format", "ndjson", "--kpi", "deals_won")
    assert [json.loads(line)["value"] for line in ndjson.output.splitlines()] == [1.0]
    csv_out = _report(runner, "--format", "csv", "--kpi", "deals_won", "--by", "owner")
    lines = csv_out.output.splitlines()
    assert lines[0].startswith("period,as_of,id,label,stage,unit,owner,value")
    assert len(lines) == 3  # the total and Ana; Ben won nothing in October or September
    every = _report(
        runner, "--format", "csv", "--kpi", "deals_won", "--by", "owner", "--all-groups"
    )
    assert [line.split(",")[6] for line in every.output.splitlines()[1:]] == ["", "Ana", "Ben"]
    said = "1 owner with no rows in 2026-10 or in 2026-09 left out; --all-groups keeps them."
    for fmt in ("table", "markdown"):
        shown = _report(runner, "--format", fmt, "--kpi", "deals_won", "--by", "owner")
        assert said in " ".join(shown.output.replace("_", "").split()), shown.output
        kept = _report(
            runner, "--format", fmt, "--kpi", "deals_won", "--by", "owner", "--all-groups"
        )
        assert "left out" not in kept.output
    book = tmp_path / "r.xlsx"
    _report(runner, "-f", "xlsx", "-o", str(book), "--kpi", "deals_won", "--by", "owner")
    cells = [c for ws in load_workbook(book) for row in ws.iter_rows(values_only=True) for c in row]
    assert said in cells
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
        f"{folder / 'nps.csv'}: recognised as sample_data/mappings/surveys.yaml (2 of the 2 "
        "fields it looks for; it reads 3 of the file's 3 columns; score 1.00)"
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
    alone = runner.invoke(app, ["report", str(folder / "mystery.csv")])
    assert alone.exit_code == 1  # one input alone: its full one-line error
    assert alone.stderr.startswith(f"error: {folder / 'mystery.csv'}: not recognised: no mapping")
    assert len(alone.stderr.splitlines()) == 1
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


def _mixed_folder(tmp_path: Path) -> tuple[Path, list[str]]:
    """Two sample exports, one no mapping knows, and one recognised that cannot be loaded
    (its dates read both day-first and month-first); with the mapping options to use."""
    folder = _sample_folder(tmp_path, "reps.csv", "nps.csv")
    (folder / "mystery.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    (folder / "team.csv").write_text("Rep,Joined\nAna,03/04/2022\nBen,05/06/2023\n", "utf-8")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "team.yaml").write_text(
        "entity: reps\ncolumns:\n  owner: Rep\n  started_at: Joined\n", encoding="utf-8"
    )
    return folder, [*OWN, "--mappings", str(mine)]


def _problems(folder: Path) -> list[str]:
    return [
        f"  {folder / 'mystery.csv'}: not recognised: no mapping shares a column with it",
        f"  {folder / 'team.csv'}: column 'Joined': cannot tell day-first from month-first dates "
        "(e.g. '03/04/2022', '05/06/2023'); set parse.date_order: dmy or mdy in the mapping",
    ]


FIX = (
    "give a file its mapping (--mapping NAME, or `mapping:` in the config) or write one with "
    "`salesmetrics mappings infer FILE`; --skip-unrecognised goes on without the files that "
    "cannot be used"
)


def test_validate_a_folder_reports_every_file_that_cannot_be_used_in_one_summary(runner, tmp_path):
    folder, mappings = _mixed_folder(tmp_path)
    result = runner.invoke(app, ["validate", str(folder), "-f", "json", *mappings])
    assert result.exit_code == 1
    document = json.loads(result.stdout)  # the usable files are validated all the same
    assert [Path(i["path"]).name for i in document["inputs"]] == ["nps.csv", "reps.csv"]
    assert document["unusable"] == [line.strip() for line in _problems(folder)]
    said = result.stderr.splitlines()
    assert [line.split(": recognised as")[0] for line in said[:3]] == [
        str(folder / name) for name in ("nps.csv", "reps.csv", "team.csv")
    ]
    assert said[3:] == ["error: 2 of 4 inputs cannot be used:", *_problems(folder), FIX]
    table = runner.invoke(app, ["validate", str(folder), *mappings])
    assert table.exit_code == 1 and "reps.csv -> reps" in table.stdout
    assert table.stderr.splitlines()[3:] == said[3:]
    quiet = runner.invoke(app, ["validate", str(folder), "-q", *mappings])
    assert quiet.exit_code == 1 and quiet.stdout == ""
    assert quiet.stderr.splitlines() == said[3:]  # errors are said with --quiet too


def test_skip_unrecognised_goes_on_with_exit_0_unless_nothing_is_usable(runner, tmp_path):
    folder, mappings = _mixed_folder(tmp_path)
    result = runner.invoke(
        app, ["validate", str(folder), "-f", "json", "--skip-unrecognised", *mappings]
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["inputs"]) == 2
    assert result.stderr.splitlines()[3:] == [
        "warning: 2 of 4 inputs left out (--skip-unrecognised):",
        *_problems(folder),
    ]
    quiet = runner.invoke(app, ["validate", str(folder), "-q", "--skip-unrecognised", *mappings])
    assert quiet.exit_code == 0 and quiet.stderr.startswith("warning: 2 of 4 inputs left out")
    (folder / "reps.csv").unlink()
    (folder / "nps.csv").unlink()
    none = runner.invoke(app, ["validate", str(folder), "--skip-unrecognised", *mappings])
    assert none.exit_code == 1
    assert none.stderr.splitlines()[1:] == [
        "error: none of the 2 inputs can be used:",
        *_problems(folder),
        FIX,
    ]


def test_report_on_a_folder_with_unusable_files_is_made_only_with_skip_unrecognised(
    runner, tmp_path
):
    folder, mappings = _mixed_folder(tmp_path)
    args = ["report", str(folder), "--period", "all", "--as-of", "2026-11-23", "-f", "json"]
    refused = runner.invoke(app, [*args, *mappings])
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr.splitlines()[3:] == [
        "error: 2 of 4 inputs cannot be used, so no report was made:",
        *_problems(folder),
        FIX,
    ]
    partial = runner.invoke(app, [*args, "--skip-unrecognised", *mappings])
    assert partial.exit_code == 0, partial.output
    document = json.loads(partial.stdout)
    assert [Path(i["path"]).name for i in document["inputs"]] == ["nps.csv", "reps.csv"]
    assert "warning: 2 of 4 inputs left out (--skip-unrecognised):" in partial.stderr


def test_an_unusable_input_outranks_rejected_rows_in_the_exit_code(runner, tmp_path):
    import shutil

    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(FIXTURES / "bad_rows.csv", folder / "deals.csv")
    (folder / "mystery.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    mine = tmp_path / "mine"
    mine.mkdir()
    shutil.copy(FIXTURE_MAPPING, mine / "deals.yaml")
    args = ["validate", str(folder), "-q", "--mappings", str(mine)]
    both = runner.invoke(app, args)
    assert both.exit_code == 1
    assert "rows rejected" in both.stderr and "1 of 2 inputs cannot be used" in both.stderr
    assert runner.invoke(app, [*args, "--skip-unrecognised"]).exit_code == 3


def test_a_read_option_the_file_disagrees_with_is_a_warning_or_with_strict_an_error(
    runner, tmp_path
):
    pinned = tmp_path / "pinned.yaml"
    pinned.write_text(f"extends: {FIXTURE_MAPPING}\nread:\n  delimiter: ','\n", encoding="utf-8")
    path = FIXTURES / "semicolon_decimal_comma.csv"
    said = (
        f"{path}: the mapping says delimiter ',' but the file uses ';' (its columns are found "
        "only with ';'): read with ';'; set `delimiter: \";\"` under `read:` in the mapping, or "
        "leave it out to have it detected"
    )
    result = runner.invoke(app, ["validate", str(path), "-m", str(pinned)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"warning: {said}\n"
    assert f"warning: {said}" in " ".join(result.stdout.split())  # the table says it as well
    document = runner.invoke(app, ["validate", str(path), "-m", str(pinned), "-f", "json", "-q"])
    assert document.stderr == "" and json.loads(document.stdout)["inputs"][0]["warnings"] == [said]
    strict = runner.invoke(app, ["report", str(path), "-m", str(pinned), "--strict"])
    assert strict.exit_code == 1
    assert strict.stderr.startswith(
        f"error: {path}: the mapping says delimiter ',' but the file uses ';'"
    )


def test_a_configs_inputs_are_all_looked_at_too(runner, tmp_path):
    folder, mappings = _mixed_folder(tmp_path)
    config = tmp_path / "report.yaml"
    config.write_text(
        "inputs:\n  - path: exports/mystery.csv\n  - path: exports/reps.csv\n"
        "    mapping: " + str(SAMPLE / "mappings" / "reps.yaml") + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", "-c", str(config), "-q", *mappings])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: 1 of 2 inputs cannot be used:",
        _problems(folder)[0],
        FIX,
    ]


# ---------------------------------------------------------------- outputs

OWNERS = {  # owner name in the export -> as the CSV report writes it
    '=HYPERLINK("http://evil.example","x")': '\'=HYPERLINK("http://evil.example","x")',
    "+Ben": "'+Ben",
    "@SUM(A1)": "'@SUM(A1)",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    " \t=1+1": "'=1+1",  # values are read stripped of surrounding blanks (tab, CR)
    "-5": "-5",  # a plain number is no formula: left as it is
}


def _hostile_deals(tmp_path: Path, owners) -> Path:
    """The fixture export (plain.csv's columns), one won October deal per owner name, created
    on 1 September: the comparison month is inside the data, and won nothing."""
    import csv

    path = tmp_path / "deals.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")  # as a CRM writes it: CR LF, CRs quoted
        writer.writerow(["Deal ID", "Created", "Stage", "Amount", "Owner", "Closed"])
        for i, owner in enumerate(owners):
            writer.writerow([f"D{i}", "2026-09-01", "Won", "100", owner, "2026-10-20"])
    return path


def _run(runner, *args: str):
    return runner.invoke(app, [*args], catch_exceptions=False)


def _report_of(runner, deals: Path, *args: str):
    return _run(
        runner,
        "report",
        str(deals),
        "-m",
        FIXTURE_MAPPING,
        "--period",
        "2026-10",
        "--as-of",
        "2026-11-23",
        *args,
    )


def _csv(text: str) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_report_csv_escapes_formulas_by_default_and_keeps_numbers(runner, tmp_path: Path):
    deals = _hostile_deals(tmp_path, OWNERS)
    options = ("--format", "csv", "--kpi", "revenue_won", "--by", "owner")
    rows = _csv(_report_of(runner, deals, *options).stdout)
    by_owner = {r["owner"]: r for r in rows if r["owner"]}
    assert sorted(by_owner) == sorted(OWNERS.values())
    # revenue 100 each in October, none in September: the change is a number, never escaped
    assert {(r["value"], r["previous"], r["change"]) for r in by_owner.values()} == {
        ("100.0", "0.0", "100.0")
    }
    total = next(r for r in rows if not r["owner"])
    assert total["value"] == "600.0"
    kept = _csv(_report_of(runner, deals, *options, "--csv-formulas", "keep").stdout)
    assert sorted(r["owner"] for r in kept if r["owner"]) == sorted(o.strip() for o in OWNERS)


def test_report_csv_keeps_a_negative_change_a_number(runner, tmp_path: Path):
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "Deal ID,Created,Stage,Amount,Owner,Closed\n"
        "D1,2026-09-01,Won,300,Ana,2026-09-20\n"
        "D2,2026-10-01,Won,100,Ana,2026-10-20\n",
        encoding="utf-8",
    )
    rows = _csv(_report_of(runner, deals, "-f", "csv", "--kpi", "revenue_won").stdout)
    assert [(r["value"], r["previous"], r["change"]) for r in rows] == [
        ("100.0", "300.0", "-200.0")
    ]


def test_rejects_file_escapes_formulas_and_keeps_negative_numbers(runner, tmp_path: Path):
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "Deal ID,Created,Stage,Amount,Owner,Closed\n"
        '"=HYPERLINK(""http://evil.example"")",not a date,Won,-500,@Ana,2026-10-20\n'
        "D2,2026-10-02,Lost,-1.5,+Ben,\n"
        "D3,2026-10-03,Won,100,Ana,2026-10-20\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejected.csv"
    args = ["validate", str(deals), "-m", FIXTURE_MAPPING, "--rejects", str(rejects), "-q"]
    assert _run(runner, *args).exit_code == 3
    rows = _csv(rejects.read_text(encoding="utf-8"))
    assert [(r["row"], r["Deal ID"], r["Amount"], r["Owner"]) for r in rows] == [
        ("2", '\'=HYPERLINK("http://evil.example")', "-500", "'@Ana"),
        ("3", "D2", "-1.5", "'+Ben"),
    ]
    _run(runner, *args, "--csv-formulas", "keep")
    rows = _csv(rejects.read_text(encoding="utf-8"))
    assert [r["Owner"] for r in rows] == ["@Ana", "+Ben"]


def test_rejects_to_stdout_and_an_empty_rejects_file(runner, tmp_path: Path):
    plain = str(FIXTURES / "plain.csv")
    to_stdout = _run(runner, "validate", plain, "-m", FIXTURE_MAPPING, "--rejects", "-", "-q")
    assert to_stdout.exit_code == 0 and to_stdout.stdout == "file,row,reason\n"
    rejects = tmp_path / "none.csv"
    _run(runner, "validate", plain, "-m", FIXTURE_MAPPING, "--rejects", str(rejects), "-q")
    assert rejects.read_text(encoding="utf-8").splitlines()[0].startswith("file,row,reason")


HOSTILE_OWNERS = (
    "\x1b]0;pwned\x07Ana",  # OSC: sets the terminal's title
    "\x1b[2JBen",  # CSI: clears the screen
    "Carla\x9b31m",  # C1 CSI
    "[/]",  # a closing tag rich would choke on
    "[red]Dan",  # markup rich would eat
    "Eve\u202egnp.exe",  # a bidi override: shows "Eveexe.png"
)


def test_table_and_markdown_strip_escape_sequences_and_show_markup_as_text(runner, tmp_path: Path):
    deals = _hostile_deals(tmp_path, HOSTILE_OWNERS)
    for output_format in ("table", "markdown"):
        result = _report_of(
            runner, deals, "-f", output_format, "--kpi", "deals_won", "--by", "owner"
        )
        assert result.exit_code == 0, result.output
        text = result.stdout
        assert not set(text) & {"\x1b", "\x07", "\x9b", "\u202e"}, output_format
        for shown in ("Ana", "Ben", "Carla", "Evegnp.exe"):
            assert shown in text
    table = _report_of(runner, deals, "--kpi", "deals_won", "--by", "owner").stdout
    assert "[/]" in table and "[red]Dan" in table
    markdown = _report_of(runner, deals, "-f", "markdown", "--kpi", "deals_won", "--by", "owner")
    assert "owner: \\[/\\]" in markdown.stdout and "owner: \\[red\\]Dan" in markdown.stdout


def test_validate_table_strips_escape_sequences_from_values_and_paths(runner, tmp_path: Path):
    deals = tmp_path / "deals\x1b[2J.csv"
    deals.write_text(
        "Deal ID,Created,Stage,Amount,Owner,Closed\n"
        "D1,\x1b]0;pwned\x07 [/] \u202e,Won,100,Ana,2026-10-20\n",
        encoding="utf-8",
    )
    result = _run(runner, "validate", str(deals), "-m", FIXTURE_MAPPING)
    assert result.exit_code == 3
    assert not set(result.stdout) & {"\x1b", "\x07", "\u202e"}
    assert "[/]" in result.stdout and "deals.csv" in result.stdout


@pytest.mark.parametrize(
    "template",
    [
        "r-{foo}.csv",
        "r-{.csv",
        "r-}.csv",
        "r-{period.__class__}.csv",
        "r-{period!r}.csv",
        "r-{as_of:>20}.csv",
        "r-{}.csv",
        "r-{0}.csv",
        "r-{period[0]}.csv",
    ],
)
def test_output_templates_hold_only_period_and_as_of(runner, tmp_path: Path, template: str):
    result = _report(runner, "-f", "csv", "--output", str(tmp_path / template))
    assert result.exit_code == 2
    assert "it may hold {period} and {as_of}" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_output_template_fields_and_braces(runner, tmp_path: Path):
    result = _report(runner, "-f", "csv", "-o", str(tmp_path / "r-{period}-{as_of}-{{x}}.csv"))
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["r-2026-10-2026-11-23-{x}.csv"]


def test_an_output_or_rejects_that_is_an_input_is_a_usage_error(runner, tmp_path: Path):
    import os
    import shutil

    deals = tmp_path / "deals.csv"
    shutil.copy(FIXTURES / "plain.csv", deals)
    mapping = tmp_path / "deals.yaml"
    shutil.copy(FIXTURE_MAPPING, mapping)
    (tmp_path / "x").mkdir()
    (tmp_path / "link.csv").symlink_to(deals)
    os.link(deals, tmp_path / "hard.csv")
    config = tmp_path / "report.yaml"
    config.write_text("period: 2026-10\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in (deals, mapping, config)}
    base = ["report", str(deals), "-m", str(mapping), "-c", str(config), "-f", "csv"]
    for output in (
        str(deals),
        str(tmp_path / "x" / ".." / "deals.csv"),
        str(tmp_path / "link.csv"),
        str(tmp_path / "hard.csv"),
        str(mapping),
        str(config),
    ):
        result = _run(runner, *base, "--output", output)
        assert result.exit_code == 2, output
        assert f"{output} is the file read as" in result.stderr
        assert "writing it would destroy it" in result.stderr
    rejects = _run(runner, "validate", str(deals), "-m", str(mapping), "--rejects", str(deals))
    assert rejects.exit_code == 2 and "--rejects" in rejects.stderr
    linked = _run(
        runner, "report", str(tmp_path / "link.csv"), "-m", str(mapping), "-o", str(deals)
    )
    assert linked.exit_code == 2
    assert before == {p: p.read_bytes() for p in before}


def test_an_output_that_is_standard_input_redirected_from_a_file_is_refused(tmp_path: Path):
    import shutil

    deals = tmp_path / "deals.csv"
    shutil.copy(FIXTURES / "plain.csv", deals)
    with deals.open("rb") as stdin:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "salesmetrics",
                "report",
                "-",
                "-m",
                FIXTURE_MAPPING,
                "--period",
                "2026-10",
                "-f",
                "csv",
                "-o",
                str(deals),
            ],
            stdin=stdin,
            capture_output=True,
            text=True,
        )
    assert done.returncode == 2 and "is the file read as standard input" in done.stderr
    assert deals.read_bytes() == (FIXTURES / "plain.csv").read_bytes()


def test_report_to_dev_stdout_writes_through_the_pipe(tmp_path: Path):
    done = subprocess.run(
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
            "-f",
            "csv",
            "-q",
            "-o",
            "/dev/stdout",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("period,as_of,id,label,stage,unit,value")


PLAIN = [str(FIXTURES / "plain.csv"), "-m", FIXTURE_MAPPING]
REPORT = ["report", *PLAIN, "--period", "2026-10"]
WRITERS_TO_STDOUT = {
    "report table": [*REPORT],
    "report json": [*REPORT, "-f", "json"],
    "report ndjson": [*REPORT, "-f", "ndjson"],
    "report csv": [*REPORT, "-f", "csv"],
    "report markdown": [*REPORT, "-f", "markdown"],
    "validate": ["validate", *PLAIN],
    "validate json": ["validate", *PLAIN, "-f", "json"],
    "validate --rejects -": ["validate", *PLAIN, "-q", "--rejects", "-"],
    "kpis": ["kpis"],
    "kpis json": ["kpis", "-f", "json"],
    "mappings list": ["mappings", "list"],
    "mappings list json": ["mappings", "list", "-f", "json"],
    "mappings show": ["mappings", "show", "hubspot_deals"],
    "mappings infer": ["mappings", "infer", str(FIXTURES / "plain.csv"), "-q"],
}


def _main_with_closed_stdout(monkeypatch, capsys, args: list[str]) -> tuple[int, str]:
    """The entry point, run here with a stdout whose reader is gone before the first byte (as
    `| head -c 1` is by the time a longer output comes): exit code and stderr."""
    import os

    from salesmetrics.cli import main

    read, write = os.pipe()
    os.close(read)
    with open(write, "w", encoding="utf-8") as stdout:
        monkeypatch.setattr(sys, "stdout", stdout)  # put back after the test
        monkeypatch.setattr(sys, "argv", ["salesmetrics", *args])
        with pytest.raises(SystemExit) as exited:
            main()
    return exited.value.code, capsys.readouterr().err


@pytest.mark.parametrize("args", WRITERS_TO_STDOUT.values(), ids=WRITERS_TO_STDOUT)
def test_every_command_exits_141_quietly_on_a_closed_stdout(monkeypatch, capsys, args):
    assert _main_with_closed_stdout(monkeypatch, capsys, args) == (141, "")


def test_init_writes_nothing_to_stdout_so_a_closed_one_does_not_matter(
    monkeypatch, capsys, tmp_path: Path
):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "deals.csv").write_bytes((FIXTURES / "plain.csv").read_bytes())
    args = ["init", str(exports), "-q"]
    assert _main_with_closed_stdout(monkeypatch, capsys, args) == (0, "")
    assert (exports / "report.yaml").is_file()


@pytest.mark.parametrize(
    "args", [["-f", "table"], ["-f", "csv", "-q", "-o", "/dev/stdout"]], ids=["table", "dev"]
)
def test_report_into_a_closed_pipe_exits_141_as_a_process(args):
    """`report -f table | head -c 1` as a real process, and a pipe written through
    /dev/stdout: no "Exception ignored" when Python flushes stdout on the way out."""
    import os

    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "salesmetrics", *REPORT, *args],
            stdout=write,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=300,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


def test_a_full_stdout_is_one_line_naming_it():
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "salesmetrics", "kpis"],
            stdout=full,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    assert (done.returncode, done.stderr) == (
        1,
        "error: standard output: No space left on device\n",
    )


def test_validate_exports_a_canonical_dataset_and_report_reads_it(runner, tmp_path):
    lake = tmp_path / "lake"
    mapping = FIXTURE_MAPPING
    result = runner.invoke(
        app, ["validate", str(FIXTURES / "plain.csv"), "-m", mapping, "--export", str(lake)]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote canonical dataset to {lake}: deals 3 rows" in result.stderr
    args = ["--period", "2026-10", "--as-of", "2026-11-01", "-f", "json", "--kpi", "deals_won"]
    direct = runner.invoke(app, ["report", str(FIXTURES / "plain.csv"), "-m", mapping, *args])
    again = runner.invoke(app, ["report", "--canonical", str(lake), *args])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["kpis"] == json.loads(direct.stdout)["kpis"]
    both = runner.invoke(app, ["report", str(FIXTURES / "plain.csv"), "--canonical", str(lake)])
    assert both.exit_code == 2


def test_a_config_canonical_is_the_twin_of_report_canonical(runner, tmp_path):
    lake = tmp_path / "lake"
    exported = runner.invoke(
        app, ["validate", str(FIXTURES / "plain.csv"), "-m", FIXTURE_MAPPING, "--export", str(lake)]
    )
    assert exported.exit_code == 0, exported.output
    config = tmp_path / "report.yaml"
    config.write_text("canonical: lake\nperiod: 2026-10\nkpis: [deals_won]\n", encoding="utf-8")
    args = ["--as-of", "2026-11-01", "-f", "json"]
    by_option = runner.invoke(
        app,
        ["report", "--canonical", str(lake), "--period", "2026-10", "--kpi", "deals_won", *args],
    )
    by_config = runner.invoke(app, ["report", "--config", str(config), *args])
    assert by_config.exit_code == 0, by_config.output
    assert json.loads(by_config.stdout)["kpis"] == json.loads(by_option.stdout)["kpis"]
    exports = runner.invoke(app, ["validate", "--config", str(config)])
    assert exports.exit_code == 2
    assert "computes from a canonical dataset (canonical:" in " ".join(exports.output.split())


def test_report_views_summary_all_and_skipped(runner):
    summary = _report(runner, "--summary")
    assert summary.exit_code == 0, summary.output
    assert "Summary ---" in summary.output and "Close ---" not in summary.output
    assert "Win rate" in summary.output  # D1 won, D2 lost: 50.0%
    default = _report(runner)
    assert "Close ---" in default.output and "Prospecting ---" not in default.output
    said = " ".join(default.output.split())
    found = re.search(
        r"(\d+) KPIs need inputs you did not give: leads, activities, [a-z_, ]+; (\d+) KPIs need "
        r"columns or settings the inputs lack; `salesmetrics kpis --missing` with the same "
        r"inputs lists them",
        said,
    )
    assert found and int(found[1]) + int(found[2]) == len(_skipped(runner))  # every one
    assert "leads_created" not in default.output
    listed = _report(runner, "--show-skipped")
    assert "  leads_created: needs leads (no leads input)" in listed.output
    both = _report(runner, "--summary", "--all")
    assert both.exit_code == 2 and "give --summary or --all, not both" in both.output


def _skipped(runner) -> list[dict]:
    done = runner.invoke(
        app, ["kpis", "--missing", str(FIXTURES / "plain.csv"), "-m", FIXTURE_MAPPING, "-f", "json"]
    )
    assert done.exit_code == 0, done.output
    return json.loads(done.output)["missing"]


def test_kpis_missing_lists_what_the_inputs_cannot_feed(runner):
    missing = _skipped(runner)
    leads = next(m for m in missing if m["id"] == "leads_created")
    assert leads == {
        "id": "leads_created",
        "stage": "prospecting",
        "reason": "needs leads (no leads input)",
    }
    assert "win_rate" not in {m["id"] for m in missing}  # the deals feed it
    table = runner.invoke(
        app, ["kpis", "--missing", str(FIXTURES / "plain.csv"), "-m", FIXTURE_MAPPING]
    )
    assert table.exit_code == 0 and "leads_created" in table.output
    assert f"{len(missing)} KPIs cannot be computed from these inputs." in table.output
    alone = runner.invoke(app, ["kpis", "--missing"])
    assert alone.exit_code == 2 and "give the report's --config or FILE" in alone.output
    unasked = runner.invoke(app, ["kpis", str(FIXTURES / "plain.csv")])
    assert unasked.exit_code == 2 and "inputs are read only with --missing" in unasked.output


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--period", "9999-12"], "--period"),
        (["--period", "0000-01"], "--period"),
        (["--from", "2026-10-01", "--to", "9999-12-31"], "--to"),
        (["--from", "1899-12-31", "--to", "2026-10-31"], "--from"),
        (["--as-of", "0001-01-15"], "--as-of"),
        (["--as-of", "9999-12-31"], "--as-of"),
        (["--period", "1900-03", "--trend", "12"], "--trend"),  # 100000 is over MAX_TREND
    ],
)
def test_dates_outside_1900_to_2200_are_usage_errors_naming_the_option(runner, args, option):
    plain = str(FIXTURES / "plain.csv")
    result = runner.invoke(app, ["report", plain, "-m", FIXTURE_MAPPING, *args])
    assert result.exit_code == 2, result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and f"Invalid value for {option}:" in error[0]
    assert "outside 1900-01-01 – 2200-12-31" in error[0] or "starts before 1900-01-01" in error[0]
    assert "Traceback" not in result.output


def test_sentinel_dates_in_the_data_never_break_a_period(runner):
    """A 9999-12-31 expected close and a 1900-01-01 creation date: `all` runs from 1900."""
    sentinels = str(FIXTURES / "crm" / "hubspot_deals_sentinel_dates.csv")
    for period in ("all", "latest-month", "2026-10"):
        result = runner.invoke(
            app,
            ["report", sentinels, "-m", "hubspot_deals", "--period", period, "--as-of",
             "2026-11-02", "--max-reject-rate", "1", "-f", "json", "--kpi", "revenue_won"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        assert document["kpis"][0]["value"] == 12000.0  # 9203, closed 9999-12-31, rejected
        if period == "all":
            assert (document["period"]["start"], document["period"]["end"]) == (
                "1900-01-01",
                "2026-10-10",
            )


@pytest.mark.parametrize("output_format", ["table", "json", "ndjson", "csv", "markdown", "xlsx"])
def test_amounts_whose_sum_overflows_are_one_error_naming_the_column(
    runner, tmp_path, output_format
):
    """1.5e308 + 1.7e308 is infinity: no format gets `inf`, `nan` or a broken JSON."""
    data = tmp_path / "deals.csv"
    data.write_text(
        "Record ID,Deal Name,Deal Stage,Amount,Currency,Close Date,Create Date\n"
        "1,A,closedwon,1.5e308,USD,2026-10-05,2026-09-01\n"
        "2,B,closedwon,1.7e308,USD,2026-10-06,2026-09-01\n",
        encoding="utf-8",
    )
    target = tmp_path / f"report.{output_format}"
    result = runner.invoke(
        app,
        ["report", str(data), "-m", "hubspot_deals", "--period", "2026-10", "-f", output_format,
         "--output", str(target)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {data}: column 'Amount': its values add up to more than 1.798e+308, the "
        "largest number a sum can hold; check it for values such as 1e308 (a placeholder or "
        "a mistyped amount)"
    ]
    assert not target.exists()


def test_a_rate_that_makes_amounts_overflow_is_one_error_naming_the_field(runner, tmp_path):
    data = tmp_path / "deals.csv"
    data.write_text(
        "Record ID,Deal Name,Deal Stage,Amount,Currency,Close Date,Create Date\n"
        "1,A,closedwon,1e308,EUR,2026-10-05,2026-09-01\n"
        "2,B,closedwon,10,USD,2026-10-06,2026-09-01\n",
        encoding="utf-8",
    )
    config = tmp_path / "report.yaml"
    config.write_text("currency: USD\nrates: {EUR: 1000}\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["report", str(data), "-m", "hubspot_deals", "-c", str(config), "--period", "2026-10",
         "-f", "json"],
    )  # fmt: skip
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: deals.amount: in USD the amounts add up to more than 1.798e+308, the largest "
        "number a sum can hold; check the export for values such as 1e308 and the rates for a "
        "mistyped one"
    ]


def test_the_same_file_given_twice_is_an_error_naming_both(runner, tmp_path, monkeypatch):
    """However the second path names it: the same text, ./x/../, a symbolic or hard link."""
    (tmp_path / "x").mkdir()
    (tmp_path / "deals.csv").write_bytes((FIXTURES / "plain.csv").read_bytes())
    (tmp_path / "link.csv").symlink_to(tmp_path / "deals.csv")
    (tmp_path / "hard.csv").hardlink_to(tmp_path / "deals.csv")
    monkeypatch.chdir(tmp_path)
    for second, first_words in [
        ("deals.csv", "deals.csv is given twice"),
        ("./x/../deals.csv", "deals.csv and ./x/../deals.csv are the same file"),
        ("link.csv", "deals.csv and link.csv are the same file"),
        ("hard.csv", "deals.csv and hard.csv are the same file"),
    ]:
        for command in ("validate", "report"):
            result = runner.invoke(
                app,
                [command, "deals.csv", second, "-m", FIXTURE_MAPPING, "-m", FIXTURE_MAPPING],
            )
            assert result.exit_code == 1, result.output
            assert result.stderr.splitlines() == [
                f"error: {first_words}: its rows would count twice; give it once"
            ]
    copy = tmp_path / "copy.csv"  # a copy is another file: two exports of the same deals
    copy.write_bytes((tmp_path / "deals.csv").read_bytes())
    result = runner.invoke(
        app, ["validate", "deals.csv", "copy.csv", "-m", FIXTURE_MAPPING, "-m", FIXTURE_MAPPING]
    )
    assert result.exit_code == 0, result.output


def test_report_variants_shows_each_variant_under_its_kpi(runner):
    """`--variants`: the sample company's win rate both ways, in JSON and in the table."""
    base = ["report", "-c", str(SAMPLE / "report.yaml"), "--period", "2026-10"]
    base += ["--as-of", "2026-11-01", "--kpi", "win_rate", "--kpi", "deals_won", "--variants"]
    result = runner.invoke(app, [*base, "--format", "json"])
    assert result.exit_code == 0, result.output
    totals = [
        (k["id"], k["variant"], k["label"], k["numerator"], k["denominator"])
        for k in json.loads(result.stdout)["kpis"]
        if k["group"] == {}
    ]
    assert totals == [
        ("deals_won", None, "Deals won", None, None),
        ("win_rate", "won_lost", "Win rate", 33.0, 142.0),  # 33 won, 109 lost
        ("win_rate", "per_sql", "Win rate (won / SQL)", 33.0, 163.0),  # 163 SQLs in October
    ]
    table = runner.invoke(app, [*base, "--no-color"])
    assert table.exit_code == 0, table.output
    lines = [line for line in table.stdout.splitlines() if "Win rate" in line]
    assert "Win rate (won / SQL)" in lines[-1] and "20.2%" in lines[-1]


def test_report_memory_limit_reaches_duckdb_and_beats_the_environment(runner, monkeypatch):
    import salesmetrics.memory as memory

    made = memory.connect
    seen: list[str] = []

    def recorded(config):
        con = made(config)
        seen.append(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        return con

    monkeypatch.setattr(memory, "connect", recorded)
    monkeypatch.setenv("SALESMETRICS_MEMORY_LIMIT", "2GB")
    result = _report(runner, "--kpi", "win_rate", "--memory-limit", "500MB", "-f", "json")
    assert result.exit_code == 0, result.output
    assert seen == ["476.8 MiB"]  # DuckDB's way to say 500MB (10^6 bytes each)
    assert _report(runner, "--kpi", "win_rate", "-f", "json").exit_code == 0
    assert seen[1:] == ["1.8 GiB"]  # the environment's 2GB


@pytest.mark.parametrize("given", ["1 gigabyte", "-5GB", "80%"])
def test_report_bad_memory_limit_is_a_usage_error_before_any_file_is_read(runner, given):
    result = runner.invoke(app, ["report", "no-such.csv", "--memory-limit", given])
    assert result.exit_code == 2
    (line,) = [line for line in result.output.splitlines() if "memory" in line]
    assert line == (
        f"Error: Invalid value for '--memory-limit': {given!r} is not a memory size: give a "
        "positive number and a unit, e.g. 1GB or 500MB (KB, MB, GB, TB count in 1000s; KiB, "
        "MiB, GiB, TiB in 1024s)"
    )


def test_report_out_of_memory_is_one_line_with_exit_1(runner, monkeypatch):
    """A real OOM: under 1MB the engine's first grouped query cannot get its buffers."""
    monkeypatch.delenv("SALESMETRICS_MEMORY_LIMIT", raising=False)
    result = _report(runner, "--kpi", "win_rate", "--memory-limit", "1MB", "-q")
    assert result.exit_code == 1
    assert result.stdout == "" and "Traceback" not in result.output
    assert result.stderr == (
        "error: the report's queries ran out of memory under the memory limit of 1MB "
        "(--memory-limit), even spilling to disk: give a higher --memory-limit, e.g. 1GB\n"
    )


def test_the_output_files_suffix_chooses_the_format_unless_format_is_given(runner, tmp_path):
    """`-o report.xlsx` writes a workbook, not the table view under a spreadsheet's name; a
    --format the suffix contradicts is a usage error before anything is read or written."""
    data = tmp_path / "deals.csv"
    data.write_text(
        "Record ID,Deal Name,Deal Stage,Amount,Currency,Close Date,Create Date\n"
        "1,A,closedwon,100,USD,2026-10-05,2026-09-01\n"
        "2,B,closedlost,50,USD,2026-10-06,2026-09-01\n",
        encoding="utf-8",
    )
    base = ["report", str(data), "-m", "hubspot_deals", "--period", "2026-10", "--kpi", "deals_won"]
    for name, starts in [("r.xlsx", b"PK\x03\x04"), ("r.json", b"{"), ("r.md", b"# ")]:
        result = runner.invoke(app, [*base, "-o", str(tmp_path / name), "-q"])
        assert result.exit_code == 0, result.stderr
        assert (tmp_path / name).read_bytes().startswith(starts), name
    document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert document["kpis"][0]["value"] == 1.0
    result = runner.invoke(app, [*base, "-o", str(tmp_path / "r.txt"), "-f", "json"])
    assert result.exit_code == 0 and json.loads((tmp_path / "r.txt").read_text())["kpis"]
    result = runner.invoke(app, [*base, "-f", "table", "-o", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 2
    assert "--format table does not write a .xlsx file (--format xlsx does)" in result.stderr
    assert not (tmp_path / "t.xlsx").exists()


@pytest.fixture
def spark_sessions(monkeypatch):
    """The Spark sessions asked for, by (remote, conf): each refused with one line, so that
    no Spark starts and the report ends in exit 1."""
    import salesmetrics.spark as spark
    from salesmetrics.errors import SalesmetricsError

    asked: list[tuple[str | None, tuple[tuple[str, str], ...]]] = []

    def session(remote=None, conf=()):
        asked.append((remote, tuple(conf)))
        raise SalesmetricsError("Spark did not start: not in this test")

    monkeypatch.setattr(spark, "session", session)
    monkeypatch.delenv("SALESMETRICS_ENGINE", raising=False)
    return asked


def test_report_engine_spark_makes_the_connection_a_spark_session(runner, spark_sessions):
    assert _report(runner, "--kpi", "win_rate", "-f", "json").exit_code == 0
    assert spark_sessions == []  # duckdb by default
    result = _report(runner, "--kpi", "win_rate", "--engine", "spark", "-q")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == "error: Spark did not start: not in this test\n"
    assert spark_sessions == [(None, ())]  # local mode, Spark's settings


def test_report_engine_from_the_environment_and_the_config(
    runner, spark_sessions, monkeypatch, tmp_path
):
    monkeypatch.setenv("SALESMETRICS_ENGINE", "spark")
    assert _report(runner, "--kpi", "win_rate", "-q").exit_code == 1
    assert spark_sessions == [(None, ())]
    monkeypatch.delenv("SALESMETRICS_ENGINE")
    config = tmp_path / "report.yaml"
    config.write_text(
        "engine: spark\nspark:\n  remote: sc://h:15002\n  conf: {spark.driver.memory: 4g}\n",
        encoding="utf-8",
    )
    assert _report(runner, "--kpi", "win_rate", "-c", str(config), "-q").exit_code == 1
    assert spark_sessions[1:] == [("sc://h:15002", (("spark.driver.memory", "4g"),))]
    again = _report(runner, "--kpi", "win_rate", "-c", str(config), "--engine", "duckdb", "-q")
    assert again.exit_code == 0, again.output  # --engine over the config's engine:
    assert len(spark_sessions) == 2


def test_report_reads_a_config_s_spark_tables_only_on_spark(runner, spark_sessions, tmp_path):
    config = tmp_path / "report.yaml"
    config.write_text(
        "spark:\n  remote: sc://h:15002\n  tables:\n    deals: crm.deals\n", encoding="utf-8"
    )
    on_duckdb = runner.invoke(app, ["report", "-c", str(config), "-q"])
    assert on_duckdb.exit_code == 1 and spark_sessions == []
    assert on_duckdb.stderr == (
        f"error: {config}: spark.tables: the entities are read from Spark's catalog, so the "
        "report runs on Spark: add `engine: spark` to the config, or give --engine spark\n"
    )
    on_spark = runner.invoke(app, ["report", "-c", str(config), "--engine", "spark", "-q"])
    assert on_spark.exit_code == 1, on_spark.output
    assert on_spark.stderr == "error: Spark did not start: not in this test\n"
    assert spark_sessions == [("sc://h:15002", ())]  # the tables are read on the config's Spark
    both = runner.invoke(app, ["report", "-c", str(config), str(FIXTURES / "plain.csv")])
    assert both.exit_code == 2 and "give inputs either in --config or as FILE" in both.output
    explained = runner.invoke(app, ["explain", "win_rate", "-c", str(config)])
    assert explained.exit_code == 2
    assert "computes from tables of Spark's catalog (spark: tables:)" in " ".join(
        explained.output.split()
    )


@pytest.mark.parametrize("where", ["option", "environment"])
def test_report_unknown_engine_is_a_usage_error(runner, monkeypatch, where):
    args = ["report", "no-such.csv"]
    if where == "option":
        args += ["--engine", "sqlite"]
    else:
        monkeypatch.setenv("SALESMETRICS_ENGINE", "sqlite")
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Invalid value for '--engine'" in result.output
    assert "'sqlite' is not one of 'duckdb', 'spark'" in result.output


def test_report_memory_limit_on_spark_is_a_usage_error_saying_it_is_duckdbs(
    runner, spark_sessions, tmp_path
):
    result = runner.invoke(
        app, ["report", "no-such.csv", "--engine", "spark", "--memory-limit", "1GB"]
    )
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert (
        "Invalid value for --memory-limit: DuckDB's memory limit, not Spark's: on the spark "
        "engine, give Spark's memory in the config's spark: conf: (spark.driver.memory: 4g, "
        "spark.executor.memory)"
    ) in said
    config = tmp_path / "report.yaml"
    config.write_text("engine: spark\n", encoding="utf-8")
    on_spark = runner.invoke(app, ["report", "no.csv", "-c", str(config), "--memory-limit", "1GB"])
    assert on_spark.exit_code == 2 and "DuckDB's memory limit, not Spark's" in on_spark.output
    duck = _report(
        runner, "-c", str(config), "--engine", "duckdb", "--memory-limit", "1GB", "-f", "json"
    )
    assert duck.exit_code == 0, duck.output
    assert spark_sessions == []
