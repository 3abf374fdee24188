"""Shared test helpers: fixture paths and a CLI runner with a fixed width and no colour."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_MAPPING = str(FIXTURES / "deals.yaml")


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
