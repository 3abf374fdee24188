"""The limits on one input, and how an environment variable overrides them (issue 14)."""

from __future__ import annotations

import pytest

from salesmetrics import limits
from salesmetrics.errors import InputError


def test_defaults(monkeypatch):
    for limit in (limits.INPUT_BYTES, limits.FIELD_BYTES, limits.FIELD_LINES):
        monkeypatch.delenv(limit.variable, raising=False)
    assert limits.INPUT_BYTES.value() == 2 * 1024**3
    assert limits.FIELD_BYTES.value() == 16 * 1024**2
    assert limits.FIELD_LINES.value() == 100
    assert limits.INPUT_BYTES.shown() == "2 GB (SALESMETRICS_MAX_INPUT_BYTES)"


@pytest.mark.parametrize(("raw", "value"), [("500", 500), ("64K", 65536), ("3m", 3 << 20)])
def test_a_size_in_the_environment(monkeypatch, raw: str, value: int):
    monkeypatch.setenv("SALESMETRICS_MAX_FIELD_BYTES", raw)
    assert limits.FIELD_BYTES.value() == value


@pytest.mark.parametrize("raw", ["lots", "0", "-5", "1.5G"])
def test_a_size_that_is_not_one_is_an_error_naming_the_variable(monkeypatch, raw: str):
    monkeypatch.setenv("SALESMETRICS_MAX_INPUT_BYTES", raw)
    with pytest.raises(InputError, match=rf"SALESMETRICS_MAX_INPUT_BYTES='{raw}': not a limit"):
        limits.INPUT_BYTES.value()


def test_a_line_count_takes_no_suffix(monkeypatch):
    monkeypatch.setenv("SALESMETRICS_MAX_FIELD_LINES", "5K")
    with pytest.raises(InputError, match="give a whole number of lines above 0"):
        limits.FIELD_LINES.value()


def test_sizes_as_a_person_reads_them():
    assert [limits.size(n) for n in (12, 1536, 16 << 20, 2 << 30)] == [
        "12 bytes",
        "1.5 KB",
        "16 MB",
        "2 GB",
    ]
