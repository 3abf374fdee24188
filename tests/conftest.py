"""Shared test helpers: fixture paths and a CLI runner with a fixed width and no colour."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_MAPPING = str(FIXTURES / "deals.yaml")
SAMPLE_MAPPINGS = {  # each sample_data export and its mapping, as recognition names it
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


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked `spark` runs Spark in local mode, which needs Java: without `java` on
    PATH it is skipped on a developer's machine, but fails when CI is set (.ci/run sets it
    and installs a Java runtime), so that CI never passes by skipping the Spark tests."""
    if item.get_closest_marker("spark") is None or shutil.which("java"):
        return
    if os.environ.get("CI"):
        pytest.fail("CI is set but `java` is not on PATH: the spark tests need it", pytrace=False)
    pytest.skip("needs Java on PATH for Spark's local mode (CI installs it and runs this)")


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    return CliRunner()


def realdata_dir() -> Path:
    """The real datasets folder named by SALESMETRICS_REALDATA.

    Tests that need it are skipped only when the variable is unset (a developer without the
    data); when it is set but the folder is missing, as a broken CI would be, they fail.
    """
    value = os.environ.get("SALESMETRICS_REALDATA")
    if not value:
        pytest.skip(
            "SALESMETRICS_REALDATA is not set; set it to the real datasets folder "
            "(e.g. ../shared/datasets) to run these tests",
            allow_module_level=True,
        )
    folder = Path(value).expanduser().resolve()
    if not folder.is_dir():
        pytest.fail(
            f"SALESMETRICS_REALDATA={value!r} is set but {folder} is not a folder", pytrace=False
        )
    return folder


@pytest.fixture(scope="session")
def sample_company():
    """The sample company's full default report for 2026-10, and its inputs' quality: computed
    once for every golden-file test. Paths are relative to the repository, as a user's are."""
    import contextlib
    from datetime import date

    from salesmetrics.config import load_config
    from salesmetrics.pipeline import compute_report, frames_of, load_inputs, with_overrides

    with contextlib.chdir(Path(__file__).parents[1]):
        config = with_overrides(load_config("sample_data/report.yaml"), as_of=date(2026, 11, 23))
        loaded = load_inputs(config.inputs)
        report = compute_report(config, frames_of(loaded))
    return report, [item.quality for item in loaded]
