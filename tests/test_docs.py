"""The README's examples work as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

from salesmetrics.ingest.mapping import load_mapping

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_readme_mapping_example_loads(tmp_path: Path):
    block = next(
        b for b in re.findall(r"```yaml\n(.*?)```", README, re.DOTALL) if "entity: deals" in b
    )
    path = tmp_path / "acme_deals.yaml"
    path.write_text(block, encoding="utf-8")
    mapping = load_mapping(str(path))
    assert mapping.entity.name == "deals"
    assert mapping.parse.decimal == ","
    assert mapping.values["stage"].pairs["closed won"] == "won"
    assert mapping.columns["region"] == ("Billing Region",)
    # region from the example; the others from salesforce_opportunities, which it extends
    assert set(mapping.dimensions) == {
        "region",
        "opportunity_name",
        "fiscal_period",
    }
    assert [r.value for r in mapping.derive["status"].rules] == ["won", "lost", "open"]


def test_readme_kpi_table_matches_the_catalogue():
    from salesmetrics.kpis.catalogue import CATALOGUE

    for kpi in CATALOGUE.values():
        row = f"| `{kpi.id}` | {kpi.stage} | {kpi.unit} | {kpi.formula} | {kpi.period_date} |"
        assert row in README, f"README KPI table lacks or misstates {kpi.id}"


def test_readme_kpi_table_lists_each_variant_under_its_kpi():
    from salesmetrics.kpis.catalogue import VARIANTS

    lines = README.splitlines()
    for kpi_id, named in VARIANTS.items():
        at = lines.index(next(line for line in lines if line.startswith(f"| `{kpi_id}` |")))
        below = [line.split(" | ")[0] for line in lines[at + 1 : at + len(named)]]
        assert below == [f"| `{kpi_id}: {name}`" for name in list(named)[1:]], kpi_id
        for name, kpi in list(named.items())[1:]:
            row = (
                f"| `{kpi_id}: {name}` | {kpi.stage} | {kpi.unit} | {kpi.formula} | "
                f"{kpi.period_date} |"
            )
            assert row in README, f"README KPI table lacks or misstates {kpi_id}: {name}"


def _seed_rows() -> list[list[str]]:
    """The cells of each row of the README's seed table (seed, name, definition, ids)."""
    section = README.split("### Seed KPIs: names people look for\n", 1)[1]
    section = re.split(r"\n#{2,3} ", section, maxsplit=1)[0]
    rows = [line for line in section.splitlines() if re.match(r"\| [1-4] \|", line)]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


def test_readme_seed_table_names_only_kpis_that_exist_or_are_planned():
    """Every id the seed table names is in the catalogue, or is marked planned and is not (so
    the table is updated when it lands); every variant it names (`id: name`) is declared, or
    is marked planned; every need it names is a field no canonical entity has yet, of an
    entity that exists."""
    from salesmetrics.kpis.base import Settings
    from salesmetrics.kpis.catalogue import CATALOGUE, VARIANTS
    from salesmetrics.schema import ENTITIES

    settings = set(Settings.__dataclass_fields__)
    rows = _seed_rows()
    assert len(rows) == 128 and {r[0] for r in rows} == {"1", "2", "3", "4"}
    assert "name 128 quantitative metrics" in README
    named: set[str] = set()
    for _, name, definition, found in rows:
        assert name and definition and found, name
        for variant in re.findall(r"variants? \*[^*]+\*( and \*[^*]+\*)?( \(planned\))?", found):
            assert variant[1] == " (planned)", (name, found)
        planned = set(re.findall(r"\*\*to add\*\* `([a-z_]+)` \(planned\)", found))
        for token in re.findall(r"`([^`]+)`", found):
            if token in planned:
                assert token not in CATALOGUE, f"{token} exists: update the seed table's row"
            elif ": " in token and token.split(": ")[0] in VARIANTS:
                kpi_id, name = token.split(": ")
                assert name in VARIANTS[kpi_id], f"the seed table names {token}, not a variant"
                named.add(kpi_id)
            elif "." in token:
                entity, field = token.split(".")
                assert entity in ENTITIES and ENTITIES[entity].field(field) is None, token
                assert f"**needs** `{token}`" in found, token
            elif ":" in token or token in settings:
                assert token.split(":")[0] in settings, token
            else:
                assert token in CATALOGUE, f"the seed table names {token}, not a KPI"
                named.add(token)
    # the third seed's cost grid is there
    assert {"cost_per_lead", "cost_per_sql", "cost_per_demo", "cost_per_accomplished_poc"} < named
    assert "cost_per_successful_poc" in named


def test_readme_library_example_runs(monkeypatch, capsys):
    monkeypatch.chdir(Path(__file__).parents[1])
    blocks = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
    block = next(b for b in blocks if "import salesmetrics\n" in b)
    exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    period, win_rate = printed[0].split()
    assert re.fullmatch(r"\d{4}-\d{2}", period) and 0 < float(win_rate) < 1
    assert "Price too high" in printed[1]  # a lost reason of the sample company
    assert 0 <= float(printed[2]) <= 1


def test_readme_declaration_example_is_the_catalogues():
    from salesmetrics.kpis.catalogue import CATALOGUE

    blocks = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
    block = next(b for b in blocks if "win_rate = Rows(" in b)
    found: dict = {}
    exec(compile(block, "README.md", "exec"), found)
    assert found["win_rate"] == CATALOGUE["win_rate"].relation


def test_readme_preset_extension_example_loads(tmp_path: Path):
    block = next(
        b
        for b in re.findall(r"```yaml\n(.*?)```", README, re.DOTALL)
        if "extends: hubspot_deals" in b
    )
    path = tmp_path / "my_hubspot_deals.yaml"
    path.write_text(block, encoding="utf-8")
    stages = load_mapping(str(path)).values["stage"].pairs
    assert stages["pilot running"] == "demo" and stages["legal review"] == "negotiation"
    assert stages["closedwon"] == "won"  # the preset's own stages are kept


def test_readme_lines_of_example_joins_a_report_without_ids(tmp_path: Path):
    import csv
    import textwrap

    from salesmetrics.ingest import load_input

    block = next(
        b for b in re.findall(r"```yaml\n(.*?)```", README, re.DOTALL) if "lines_of: [" in b
    )
    mapping = tmp_path / "my_products.yaml"
    mapping.write_text(textwrap.dedent(block), encoding="utf-8")
    # the products fixture without its Opportunity ID column
    report = Path(__file__).parent / "fixtures" / "crm" / "salesforce_opportunity_products.csv"
    with report.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    gone = rows[0].index("Opportunity ID")
    data = tmp_path / "products.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            r[:gone] + r[gone + 1 :] if len(r) == len(rows[0]) else r for r in rows
        )
    loaded = load_input(data, str(mapping))
    assert loaded.frame["deal_id"].tolist() == [
        "Acme - Platform",
        "Globex - Expansion",
        "Initech - Pilot",
        "Umbrella - Renewal",
    ]
    assert loaded.frame["amount"].tolist() == [12500.0, 6200.0, 3000.0, 4400.0]
    assert (loaded.quality.lines_of.lines, loaded.quality.lines_of.records) == (8, 4)


def _readme_line(start: str) -> str:
    return next(line for line in README.splitlines() if line.startswith(start))


def test_readme_jq_example_gives_a_real_report_on_the_sample_data(runner, monkeypatch):
    import shlex

    from salesmetrics.cli import app

    monkeypatch.chdir(Path(__file__).parents[1])
    command, jq = _readme_line("salesmetrics report -c sample_data/").split(" | jq ")
    assert jq == "'.kpis[] | select(.group == {}) | {id, value}'"  # done below in Python
    result = runner.invoke(app, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    totals = {item["id"]: item["value"] for item in doc["kpis"] if item["group"] == {}}
    # latest-month: October 2026, the sample company's last month, whatever today is
    assert doc["period"]["label"] == "2026-10" and doc["warnings"] == []
    assert totals["deals_won"] > 0 and totals["mrr"] > 0 and 0 < totals["win_rate"] < 1


def test_readme_cron_line_writes_both_reports_on_the_sample_data(tmp_path: Path):
    """The crontab line as the README gives it, run by a shell in a folder laid out as
    /srv/sales, with the `--as-of 2026-11-02` the README says to add on another day."""
    import shutil
    import subprocess
    import sys

    sample = Path(__file__).parents[1] / "sample_data"
    exports = tmp_path / "exports" / "latest"
    exports.mkdir(parents=True)
    (tmp_path / "reports").mkdir()
    for export in [*sample.glob("*.csv"), *sample.glob("*.xlsx")]:
        shutil.copy(export, exports / export.name)
    shutil.copy(sample / "report.yaml", tmp_path / "report.yaml")
    shutil.copytree(sample / "mappings", tmp_path / "mappings")
    entry = _readme_line("0 6 2 * * ").split(" ", 5)[5]
    salesmetrics = Path(sys.executable).parent / "salesmetrics"
    command = entry.replace("cd /srv/sales", f"cd {tmp_path}").replace(
        ".venv/bin/salesmetrics report", f"{salesmetrics} report --as-of 2026-11-02"
    )
    done = subprocess.run(
        ["sh", "-c", command], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    written = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert written == ["sales-2026-10.json", "sales-2026-10.xlsx"]
    doc = json.loads((tmp_path / "reports" / "sales-2026-10.json").read_text(encoding="utf-8"))
    assert doc["as_of"] == "2026-11-02" and doc["warnings"] == []
