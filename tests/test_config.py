"""Report configs: inputs, relative paths, and mistakes named with file and line."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from salesmetrics.cli import app
from salesmetrics.config import MAX_TREND, MAX_WINDOW_DAYS, load_config
from salesmetrics.currency import Rates
from salesmetrics.errors import ConfigError
from salesmetrics.kpis.base import Settings
from salesmetrics.targets import KpiTargets, Target
from salesmetrics.yamlfile import CONFIG_MAX_BYTES


def test_inputs_resolve_against_the_config_folder_or_data_dir(tmp_path: Path):
    path = tmp_path / "report.yaml"
    path.write_text(
        "inputs:\n  - {path: deals.csv, mapping: sample_data/mappings/deals.yaml}\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.inputs[0].path == str(tmp_path / "deals.csv")
    assert config.inputs[0].mapping == "sample_data/mappings/deals.yaml"
    assert config.inputs[0].mapping_base == tmp_path
    other = tmp_path / "2026-10"
    assert load_config(path, other).inputs[0].path == str(other / "deals.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("inputs: []\n", r"line 1: inputs: expected a list"),
        (
            "inputs:\n  - {mapping: sample_data/mappings/deals.yaml}\n",
            r"line 2: inputs\[0\]: needs `path:`",
        ),
        ("input:\n  - {path: a.csv}\n", r"line 1: input: unknown key"),
        ("inputs: [\n", r"not valid YAML"),
    ],
)
def test_mistakes_name_file_and_line(tmp_path: Path, text: str, message: str):
    path = tmp_path / "report.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


FULL = """\
inputs:
  - {path: deals.csv, mapping: sample_data/mappings/deals.yaml}
period: 2026-Q3
as_of: 2026-11-23
compare: year
trend: 6
by: [owner, month]
kpis: [win_rate, revenue_won]
stages: close
strict: true
fiscal_year_start: 4
small_sample: 10
currency: USD
rates:
  EUR: 1.08
  GBP: {2026-01: 1.27, 2026-02: 1.26}
targets:
  win_rate: {target: 0.30, warn: 0.25}
  revenue_won:
    owner:
      Marcus Chen: {target: 480000, warn: 430000}
stage_probabilities: {demo: 0.2, proposal: 0.4}
addressable_market: 12000
conversion_window_days: 90
response_within_hours: 2
"""


def test_every_option_is_read(tmp_path: Path):
    path = tmp_path / "report.yaml"
    path.write_text(FULL, encoding="utf-8")
    config = load_config(path)
    assert (config.period, config.as_of, config.compare, config.trend) == (
        "2026-Q3",
        date(2026, 11, 23),
        "year",
        6,
    )
    assert (config.by, config.kpis, config.stages) == (
        ("owner", "month"),
        ("win_rate", "revenue_won"),
        ("close",),
    )
    assert (config.strict, config.fiscal_year_start, config.small_sample) == (True, 4, 10)
    assert config.rates == Rates("USD", {"EUR": 1.08}, {"GBP": {"2026-01": 1.27, "2026-02": 1.26}})
    assert config.targets["win_rate"] == KpiTargets(Target(0.30, 0.25), {})
    assert config.targets["revenue_won"] == KpiTargets(
        None, {("owner", "Marcus Chen"): Target(480000.0, 430000.0)}
    )
    assert config.settings == Settings(
        stage_probabilities={"demo": 0.2, "proposal": 0.4},
        addressable_market=12000.0,
        conversion_window_days=90,
        response_within_hours=2.0,
    )


def test_a_config_may_hold_only_options(tmp_path: Path):
    path = tmp_path / "report.yaml"
    path.write_text("period: last-month\ncurrency: EUR\n", encoding="utf-8")
    config = load_config(path)
    assert config.inputs == () and config.rates == Rates("EUR")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("compare: last\n", r"line 1: compare: expected one of previous, year, none"),
        ("trend: 0\n", r"line 1: trend: expected a whole number from 1, got 0"),
        ("fiscal_year_start: 13\n", r"fiscal_year_start: expected a whole number from 1 to 12"),
        ("rates: {EUR: 1.1}\n", r"rates: needs `currency:`"),
        ("currency: usd\n", r"currency: expected a 3-letter currency code"),
        ("currency: USD\nrates:\n  EUR: -1\n", r"line 3: rates.EUR: expected a rate above 0"),
        ("currency: USD\nrates:\n  EUR: {2026-13: 1}\n", r"rates.EUR: '2026-13' is not a month"),
        (
            "targets:\n  win_rat: {target: 1}\n",
            r"line 2: targets.win_rat: unknown KPI; did you mean win_rate",
        ),
        ("targets:\n  win_rate: {goal: 1}\n", r"targets.win_rate: unknown key 'goal'"),
        ("targets:\n  win_rate: {target: high}\n", r"targets.win_rate: expected \{target: N\}"),
        ("stage_probabilities: {demoo: 0.2}\n", r"stage_probabilities.demoo: unknown stage"),
        ("stage_probabilities: {demo: 20}\n", r"expected a probability from 0 to 1, got 20"),
        ("as_of: 23/11/2026\n", r"as_of: expected a date as YYYY-MM-DD"),
        ("as_of: 2026-13-01\n", r"line 1: as_of: expected a date as YYYY-MM-DD, got '2026-13-01'"),
        ("perod: 2026-10\n", r"perod: unknown key; did you mean period\?"),
        ("strict: yes\n", r"strict: expected true or false"),
    ],
)
def test_option_mistakes_name_the_line_and_the_fix(tmp_path: Path, text: str, message: str):
    path = tmp_path / "report.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_an_input_without_a_mapping_is_recognised_later(tmp_path: Path):
    from salesmetrics.config import AUTO_MAPPING

    path = tmp_path / "report.yaml"
    path.write_text(
        "inputs:\n  - path: deals.csv\n  - {path: leads.csv, mapping: }\n"
        "  - {path: nps.csv, mapping: auto}\n",
        encoding="utf-8",
    )
    inputs = load_config(path).inputs
    assert [i.mapping for i in inputs] == [AUTO_MAPPING] * 3
    path.write_text("inputs:\n  - {path: deals.csv, mapping: [a, b]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2: inputs\[0\]: mapping: expected a preset name"):
        load_config(path)


def test_mappings_folders_are_relative_to_the_config(tmp_path: Path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "shared").mkdir()
    path = tmp_path / "configs" / "report.yaml"
    path.parent.mkdir()
    path.write_text("mappings: [../mine, ../shared]\n", encoding="utf-8")
    assert load_config(path).mapping_dirs == ((tmp_path / "mine"), (tmp_path / "shared"))
    path.write_text("mappings: ../mine\n", encoding="utf-8")
    assert load_config(path, tmp_path / "elsewhere").mapping_dirs == (tmp_path / "mine",)
    assert load_config(path.parent.parent / "configs" / "report.yaml").mapping_dirs == (
        tmp_path / "mine",
    )
    path.write_text("period: all\nmappings: [../nope]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2: mappings: ../nope: no such folder"):
        load_config(path)


def test_kpi_variants_and_the_reject_limit_are_read(tmp_path: Path):
    path = tmp_path / "report.yaml"
    path.write_text(
        "churn_variant: stripe\nnrr_reactivation: true\nrepurchase_window_days: 90\n"
        "gross_margin: 0.72\nclv_variant: transactional\ncustomer_lifespan_years: 3\n"
        "max_reject_rate: 0.06\n",
        encoding="utf-8",
    )
    config = load_config(path)
    s = config.settings
    assert (s.churn_variant, s.nrr_reactivation, s.repurchase_window_days) == ("stripe", True, 90)
    assert (s.gross_margin, s.clv_variant, s.customer_lifespan_years) == (
        0.72,
        "transactional",
        3.0,
    )
    assert config.max_reject_rate == 0.06
    defaults = load_config(_write(tmp_path, "period: all\n")).settings
    assert (defaults.churn_variant, defaults.clv_variant, defaults.gross_margin) == (
        "standard",
        "subscription",
        None,
    )


def _write(folder: Path, text: str) -> Path:
    path = folder / "other.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("churn_variant: baremetrics\n", r"churn_variant: expected one of standard, stripe"),
        ("gross_margin: 72\n", r"gross_margin: expected a fraction from 0 to 1 \(0.62 for 62%\)"),
        ("clv_variant: yearly\n", r"clv_variant: expected one of subscription, transactional"),
        ("max_reject_rate: 5\n", r"max_reject_rate: expected a fraction from 0 to 1"),
        ("repurchase_window_days: 0\n", r"repurchase_window_days: expected a whole number from 1"),
        (
            "conversion_windows:\n  win_rate: 30\n",
            r"line 2: conversion_windows.win_rate: not a KPI that matures; expected one of ",
        ),
        (
            "conversion_windows:\n  sql_to_demo_rate: -1\n",
            r"conversion_windows.sql_to_demo_rate: expected a whole number of days from 0",
        ),
    ],
)
def test_variant_mistakes_name_the_choices(tmp_path: Path, text: str, message: str):
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "variants:\n  win_rate: per_sq\n",
            r"^\S+other.yaml, line 2: variants.win_rate: unknown variant 'per_sq'; expected one "
            r"of won_lost, per_sql$",
        ),
        (
            "variants:\n  deals_won: per_sql\n",
            r"line 2: variants.deals_won: not a KPI with variants; expected one of .*win_rate",
        ),
        ("variants: per_sql\n", r"line 1: variants: expected KPI_ID: VARIANT lines"),
    ],
)
def test_unknown_variants_name_the_key_and_the_valid_names(tmp_path: Path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, text))


def test_variants_are_read_per_kpi(tmp_path: Path):
    text = "variants:\n  win_rate: per_sql\n  pipeline_coverage: next_period_due\n"
    config = load_config(_write(tmp_path, text))
    assert config.variants == {"win_rate": "per_sql", "pipeline_coverage": "next_period_due"}
    assert not config.all_variants


def test_conversion_windows_are_read_per_kpi(tmp_path: Path):
    text = "conversion_windows:\n  sql_to_demo_rate: 45\n  stage_conversion: 120\n"
    config = load_config(_write(tmp_path, text))
    assert config.settings.conversion_windows == {"sql_to_demo_rate": 45, "stage_conversion": 120}


def _config_with_inputs(folder: Path, *paths: str) -> Path:
    lines = ["period: 2026-10", "inputs:"] + [
        f"  - {{path: '{p}', mapping: m.yaml}}" for p in paths
    ]
    path = folder / "report.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "given",
    ["../../../../etc/passwd", "/etc/shadow", "sub/../../outside.csv", "link_out/passwd"],
)
def test_a_config_reads_no_input_outside_its_folder(tmp_path: Path, given: str):
    """A config from elsewhere must not make a report read (and quote) any file on the host:
    `..`, absolute paths and symbolic links are followed before the path is judged."""
    folder = tmp_path / "exports"
    (folder / "sub").mkdir(parents=True)
    (folder / "link_out").symlink_to("/etc")
    path = _config_with_inputs(folder, "deals.csv", given)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}, line 4: inputs[1].path: {given} is outside {folder}, the folder a config's "
        "inputs are read from (--data-dir, else the config's folder); move the file there, "
        "or give it on the command line"
    )


def test_a_symbolic_link_to_a_file_outside_is_refused_and_one_inside_is_read(tmp_path: Path):
    folder = tmp_path / "exports"
    folder.mkdir()
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0\n", encoding="utf-8")
    (folder / "deals.csv").symlink_to(secret)
    with pytest.raises(ConfigError, match=r"line 3: inputs\[0\].path: deals.csv is outside"):
        load_config(_config_with_inputs(folder, "deals.csv"))
    (folder / "2026-10").mkdir()
    (folder / "2026-10" / "real.csv").write_text("Deal ID\n", encoding="utf-8")
    (folder / "latest.csv").symlink_to(folder / "2026-10" / "real.csv")
    config = load_config(_config_with_inputs(folder, "latest.csv", f"{folder}/2026-10/real.csv"))
    assert [spec.path for spec in config.inputs] == [
        str(folder / "latest.csv"),
        str(folder / "2026-10" / "real.csv"),
    ]


def test_a_path_that_cannot_be_followed_is_named(tmp_path: Path):
    (tmp_path / "l1").symlink_to("l2")
    (tmp_path / "l2").symlink_to("l1")
    path = _config_with_inputs(tmp_path, "l1")
    with pytest.raises(ConfigError, match=r"line 3: inputs\[0\].path: 'l1' cannot be followed"):
        load_config(path)
    nul = _write(tmp_path, 'inputs:\n  - {path: "a\\0b.csv"}\n')
    with pytest.raises(ConfigError, match=r"line 2: inputs\[0\].path: 'a\\x00b.csv' cannot be"):
        load_config(nul)


def test_with_a_data_dir_the_inputs_stay_inside_it(tmp_path: Path):
    """--data-dir replaces the config's folder: a file beside the config is outside it."""
    data = tmp_path / "2026-10"
    data.mkdir()
    path = _config_with_inputs(tmp_path, "deals.csv", "-")
    assert [s.path for s in load_config(path, data).inputs] == [str(data / "deals.csv"), "-"]
    escape = _config_with_inputs(tmp_path, "../report.yaml")
    with pytest.raises(ConfigError, match=rf"inputs\[0\].path: ../report.yaml is outside {data},"):
        load_config(escape, data)


def test_canonical_names_a_dataset_found_as_the_inputs_are(tmp_path: Path):
    """`canonical:` is `report --canonical DIR` in a config: relative to the config's folder,
    else to --data-dir, and never outside it."""
    (tmp_path / "lake" / "deals").mkdir(parents=True)
    path = _write(tmp_path, "canonical: lake\nperiod: 2026-10\n")
    config = load_config(path)
    assert (config.canonical, config.inputs) == (tmp_path / "lake", ())
    data = tmp_path / "2026-10"
    (data / "lake").mkdir(parents=True)
    (data / "lake" / "manifest.json").write_text("{}", encoding="utf-8")
    assert load_config(path, data).canonical == data / "lake"
    escape = _write(tmp_path, "canonical: ../lake\n")
    with pytest.raises(ConfigError, match=rf"line 1: canonical: ../lake is outside {data},"):
        load_config(escape, data)
    assert load_config(_write(tmp_path, "period: 2026-10\n")).canonical is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "inputs:\n  - {path: deals.csv}\ncanonical: lake\n",
            "line 3: canonical: give either inputs: (exports) or canonical: (a dataset "
            "`validate --export` wrote), not both",
        ),
        ("canonical: [lake]\n", "line 1: canonical: expected a folder, got ['lake']"),
        ("canonical: gone\n", "line 1: canonical: gone: no such folder in "),
        (
            "canonical: empty\n",
            "line 1: canonical: empty is not a canonical dataset (no manifest.json and no "
            "entity folder: deals, ",
        ),
    ],
)
def test_a_canonical_that_cannot_be_read_is_one_line(tmp_path: Path, text: str, message: str):
    (tmp_path / "empty" / "notes").mkdir(parents=True)
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text))
    assert str(caught.value).startswith(f"{tmp_path / 'other.yaml'}, {message}")


def test_a_config_over_the_size_limit_is_one_line(tmp_path: Path):
    """100,000 per-owner targets (4 MB) took 26 s and 630 MB; over 2 MB a config is refused."""
    path = tmp_path / "report.yaml"
    owners = "".join(f"      Rep {i:06d}: {{target: 0.3, warn: 0.2}}\n" for i in range(60_000))
    path.write_text("targets:\n  win_rate:\n    owner:\n" + owners, encoding="utf-8")
    assert path.stat().st_size > CONFIG_MAX_BYTES
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}: larger than {CONFIG_MAX_BYTES:,} bytes, the most a report config may be; "
        "is it the right file?"
    )


def test_many_targets_within_the_limit_are_read(tmp_path: Path):
    path = tmp_path / "report.yaml"
    owners = "".join(f"      Rep {i:05d}: {{target: 0.{i % 9 + 1}}}\n" for i in range(20_000))
    path.write_text("targets:\n  win_rate:\n    owner:\n" + owners, encoding="utf-8")
    groups = load_config(path).targets["win_rate"].groups
    assert len(groups) == 20_000
    assert groups[("owner", "Rep 19999")] == Target(0.2)  # 19999 % 9 + 1 = 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("currency: USD\nrates:\n  EUR: .inf\n", r"line 3: rates.EUR: expected a finite number"),
        (
            "currency: USD\nrates:\n  EUR: {2026-10: .nan}\n",
            r"line 3: rates.EUR.2026-10: expected a finite number, got nan",
        ),
        ("targets:\n  win_rate: {target: .nan}\n", r"targets.win_rate.target: expected a finite"),
        (
            "targets:\n  win_rate:\n    target: 0.3\n    warn: -.inf\n",
            r"line 4: targets.win_rate.warn: expected a finite number, got -inf",
        ),
        (
            "targets:\n  win_rate:\n    owner:\n      Ana: {target: 1.0e+309}\n",
            r"line 4: targets.win_rate.owner.Ana.target: expected a finite number, got inf",
        ),
        ("stage_probabilities: {demo: .nan}\n", r"expected a probability from 0 to 1, got nan"),
        ("addressable_market: .inf\n", r"line 1: addressable_market: expected a finite number"),
        ("response_within_hours: .NaN\n", r"response_within_hours: expected a finite number"),
        ("customer_lifespan_years: .inf\n", r"customer_lifespan_years: expected a finite"),
        ("gross_margin: .nan\n", r"gross_margin: expected a finite number, got nan"),
        ("max_reject_rate: .nan\n", r"max_reject_rate: expected a finite number, got nan"),
        ("trend: 100000\n", rf"trend: expected a whole number from 1 to {MAX_TREND}, got 100000"),
        (
            f"conversion_window_days: {10**12}\n",
            rf"conversion_window_days: expected a whole number from 1 to {MAX_WINDOW_DAYS}",
        ),
        (
            "repurchase_window_days: 100000\n",
            rf"repurchase_window_days: expected a whole number from 1 to {MAX_WINDOW_DAYS}",
        ),
        (
            "conversion_windows:\n  sql_to_demo_rate: 99999999\n",
            rf"line 2: conversion_windows.sql_to_demo_rate: expected at most {MAX_WINDOW_DAYS} ",
        ),
    ],
)
def test_numbers_are_finite_and_bounded(tmp_path: Path, text: str, message: str):
    """Infinity or NaN in a config dropped rows from sums or broke the JSON output."""
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, text))


def test_the_largest_trend_and_windows_are_read(tmp_path: Path):
    text = (
        f"trend: {MAX_TREND}\nconversion_window_days: {MAX_WINDOW_DAYS}\n"
        f"conversion_windows: {{sql_to_demo_rate: {MAX_WINDOW_DAYS}}}\n"
    )
    config = load_config(_write(tmp_path, text))
    assert config.trend == MAX_TREND
    assert config.settings.conversion_window_days == MAX_WINDOW_DAYS


def _billion_laughs() -> str:
    lines = ["lol0: &a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    lines += [f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("up.yaml", "inputs:\n  - {path: ../../../../etc/passwd}\n", "inputs[0].path: ../../"),
        (
            "abs.yaml",
            "inputs:\n  - {path: /etc/shadow}\n",
            "inputs[0].path: /etc/shadow is outside",
        ),
        ("lol.yaml", _billion_laughs(), "its aliases (*name) would repeat more than 100,000"),
        ("nan.yaml", "currency: USD\nrates: {EUR: .nan}\n", "rates.EUR: expected a finite number"),
        ("inf.yaml", "targets:\n  win_rate: {target: .inf}\n", "targets.win_rate.target: expec"),
        ("big.yaml", "# " + "x" * CONFIG_MAX_BYTES + "\n", "the most a report config may be"),
        ("/dev/zero", None, "/dev/zero: not a regular file (a device or socket)"),
    ],
)
@pytest.mark.parametrize("command", ["report", "validate"])
def test_a_hostile_config_is_one_line_and_exit_1_through_the_cli(
    runner, tmp_path: Path, command: str, name: str, text: str | None, said: str
):
    path = Path(name) if text is None else _write(tmp_path, text).rename(tmp_path / name)
    result = runner.invoke(app, [command, "--config", str(path)])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {path}"), result.stderr
    assert said in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_trend_longer_than_the_maximum_is_a_usage_error(runner):
    result = runner.invoke(app, ["report", "deals.csv", "--trend", "100000"])
    assert result.exit_code == 2
    assert f"Invalid value for --trend: at most {MAX_TREND} periods, got 100000" in result.stderr


def test_previous_snapshot_is_an_input_with_the_day_it_was_exported(tmp_path: Path):
    path = tmp_path / "report.yaml"
    path.write_text(
        "inputs:\n  - {path: deals.csv}\n"
        "previous_snapshot:\n  path: old/deals.csv\n  mapping: hubspot_deals\n"
        "  as_of: 2026-10-01\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.previous_snapshot is not None
    assert config.previous_snapshot.spec.path == str(tmp_path / "old" / "deals.csv")
    assert config.previous_snapshot.spec.mapping == "hubspot_deals"
    assert config.previous_snapshot.as_of == date(2026, 10, 1)
    assert config.snapshot_inputs == (config.previous_snapshot.spec,)
    assert config.settings.snapshot_day == date(2026, 10, 1)
    assert load_config(tmp_path / "report.yaml", tmp_path / "2026-11").snapshot_inputs[0].path == (
        str(tmp_path / "2026-11" / "old" / "deals.csv")
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("previous_snapshot: old.csv\n", r"line 1: previous_snapshot: expected \{path: FILE"),
        ("previous_snapshot: {path: old.csv}\n", r"previous_snapshot.as_of: expected the day"),
        (
            "previous_snapshot: {path: old.csv, as_of: '2026-13-01'}\n",
            r"previous_snapshot.as_of: expected the day .* got '2026-13-01'",
        ),
        (
            "previous_snapshot: {path: old.csv, as_of: 2026-10-01, day: 1}\n",
            r"previous_snapshot: unknown key 'day'; expected path, mapping, as_of",
        ),
        (
            "previous_snapshot: {path: ../old.csv, as_of: 2026-10-01}\n",
            r"line 1: previous_snapshot.path: ../old.csv is outside",
        ),
        (
            "previous_snapshot: {path: '-', as_of: 2026-10-01}\n",
            r"previous_snapshot.path: a snapshot is a file, not standard input",
        ),
    ],
)
def test_previous_snapshot_mistakes_name_the_key(tmp_path: Path, text: str, message: str):
    path = tmp_path / "report.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_engine_is_duckdb_unless_the_config_says_spark_with_its_options(tmp_path: Path):
    from salesmetrics.backend import Spark

    plain = load_config(_write(tmp_path, "period: 2026-10\n"))
    assert (plain.engine, plain.spark) == ("duckdb", Spark())
    text = (
        "engine: spark\n"
        "spark:\n"
        "  remote: sc://spark.example.com:15002\n"
        "  conf:\n"
        "    spark.driver.memory: 4g\n"
        "    spark.sql.shuffle.partitions: 8\n"
        "    spark.sql.adaptive.enabled: true\n"
    )
    config = load_config(_write(tmp_path, text))
    assert config.engine == "spark"
    assert config.spark == Spark(
        "sc://spark.example.com:15002",
        (
            ("spark.driver.memory", "4g"),
            ("spark.sql.shuffle.partitions", "8"),
            ("spark.sql.adaptive.enabled", "true"),  # as Spark spells it, not Python's True
        ),
    )
    assert load_config(_write(tmp_path, "spark:\n  conf:\n")).spark == Spark()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "engine: sparc\n",
            r"^\S+other.yaml, line 1: engine: expected one of duckdb, spark, got 'sparc'$",
        ),
        ("sprak:\n  remote: sc://h:1\n", r"line 1: sprak: unknown key; did you mean spark\?$"),
        (
            "spark: sc://h:15002\n",
            r"line 1: spark: expected \{remote: sc://HOST:PORT, conf: \{KEY: VALUE, \.\.\.\}, "
            r"tables: \{ENTITY: DB.TABLE, \.\.\.\}\} \(each optional\)$",
        ),
        (
            "spark:\n  remote: sc://h:1\n  master: local\n",
            r"line 3: spark.master: unknown key; expected \{remote: ",
        ),
        (
            "spark:\n  remote: http://h:15002\n",
            r"line 2: spark.remote: expected a Spark Connect URL such as sc://host:15002, got "
            r"'http://h:15002'$",
        ),
        (
            "spark:\n  conf: spark.driver.memory=4g\n",
            r"line 2: spark.conf: expected KEY: VALUE lines \(spark.driver.memory: 4g\)$",
        ),
        (
            "spark:\n  conf:\n    spark.driver.memory: [4g]\n",
            r"line 3: spark.conf.spark.driver.memory: expected a text, number or true/false, "
            r"got \['4g'\]$",
        ),
        (
            "spark:\n  tables:\n    deals: lake.crm.deals; DROP TABLE x\n",
            r"line 3: spark.tables.deals: expected a Spark table name, db.table or "
            r"catalog.db.table \(letters, digits and underscores, parts joined by dots\), got "
            r"'lake.crm.deals; DROP TABLE x'$",
        ),
        (
            "spark:\n  tables:\n    deals: a.b.c.d\n",
            r"line 3: spark.tables.deals: expected a Spark table name, db.table or ",
        ),
        (
            "spark:\n  tables:\n    activites: lake.crm.activities\n",
            r"line 3: spark.tables.activites: unknown entity; did you mean activities\?$",
        ),
        (
            "spark:\n  tables: lake.crm\n",
            r"line 2: spark.tables: expected ENTITY: TABLE lines \(activities: "
            r"lake.crm.activities\)$",
        ),
        (
            "inputs:\n  - path: deals.csv\nspark:\n  tables:\n    deals: crm.deals\n",
            r"line 4: spark.tables: give either inputs: or spark: tables: \(entities read from "
            r"Spark's catalog\), not both$",
        ),
    ],
)
def test_engine_and_spark_mistakes_name_the_key_and_the_fix(tmp_path: Path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, text))


def test_spark_tables_name_an_entity_s_table_in_spark_s_catalog(tmp_path: Path):
    from salesmetrics.config import check_spark_tables

    text = (
        "engine: spark\n"
        "spark:\n"
        "  tables:\n"
        "    activities: lake.crm.activities\n"
        "    deals: crm.deals_2026\n"
        "    reps: reps\n"
    )
    config = load_config(_write(tmp_path, text))
    assert config.spark.tables == (
        ("activities", "lake.crm.activities"),
        ("deals", "crm.deals_2026"),
        ("reps", "reps"),
    )
    assert (config.inputs, config.canonical) == ((), None)
    check_spark_tables(config)  # on Spark: fine
    on_duckdb = load_config(_write(tmp_path, text.removeprefix("engine: spark\n")))
    with pytest.raises(ConfigError, match=(
        r"^\S+other.yaml: spark.tables: the entities are read from Spark's catalog, so the "
        r"report runs on Spark: add `engine: spark` to the config, or give --engine spark$"
    )):  # fmt: skip
        check_spark_tables(on_duckdb)
    check_spark_tables(replace(on_duckdb, engine="spark"))  # --engine spark


def test_spark_tables_and_a_canonical_dataset_are_two_sources_not_one(tmp_path: Path):
    (tmp_path / "canonical" / "deals").mkdir(parents=True)
    text = "canonical: canonical\nspark:\n  tables:\n    deals: crm.deals\n"
    with pytest.raises(ConfigError, match=(
        r"line 3: spark.tables: give either canonical: or spark: tables: \(entities read from "
        r"Spark's catalog\), not both$"
    )):  # fmt: skip
        load_config(_write(tmp_path, text))
