"""DuckDB's memory limit: the sizes taken and refused, which limit wins, the private spill
folder, and the one line a query that runs out of memory ends in."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import duckdb
import pytest

from salesmetrics.errors import SalesmetricsError
from salesmetrics.memory import VARIABLE, chosen, connect, limited, parse


def setting(con, name: str) -> str:
    return con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]


@pytest.mark.parametrize(
    ("given", "read"),
    [("1GB", "1GB"), ("500mb", "500MB"), (" 1.5 gb ", "1.5GB"), ("512MiB", "512MiB")],
)
def test_a_number_and_a_unit_is_a_size(given, read):
    assert parse(given) == read


@pytest.mark.parametrize("given", ["1 gigabyte", "-5GB", "80%", "0MB", "1000", "1G", "GB", ""])
def test_anything_else_is_refused_with_an_example(given):
    """DuckDB itself would take "-5GB" and "80%" as no limit and "1 gigabyte" as 1GB."""
    with pytest.raises(SalesmetricsError, match=r"is not a memory size: .* e\.g\. 1GB or 500MB"):
        parse(given)


def test_the_option_beats_the_environment_variable(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    assert chosen() is None
    monkeypatch.setenv(VARIABLE, "2GB")
    assert chosen() == ("2GB", VARIABLE)
    with limited("1GB"):
        assert chosen() == ("1GB", "--memory-limit")
    with limited(None):
        assert chosen() == ("2GB", VARIABLE)
    assert chosen() == ("2GB", VARIABLE)  # `limited` leaves as it found


def test_a_bad_environment_variable_is_named(monkeypatch):
    monkeypatch.setenv(VARIABLE, "lots")
    with pytest.raises(SalesmetricsError, match=rf"^{VARIABLE}: 'lots' is not a memory size"):
        connect({})


def test_the_limit_reaches_duckdb_and_it_spills_to_a_private_folder_removed_after(
    monkeypatch, tmp_path
):
    """953.6 MiB is DuckDB's way to say 1GB (10^9 bytes); the spill folder is a new one in
    the system's temporary folder, not `.tmp` in the working folder, and is gone with the
    connection."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(VARIABLE, "1GB")
    con = connect({"threads": 1})
    assert setting(con, "memory_limit") == "953.6 MiB" and setting(con, "threads") == 1
    folder = Path(setting(con, "temp_directory"))
    assert folder.is_dir() and folder.name.startswith("salesmetrics-duckdb-")
    assert not folder.is_relative_to(tmp_path) and oct(folder.stat().st_mode & 0o777) == "0o700"
    con.execute("SET memory_limit = '32MB'")  # a sort of 2M rows (32MB) spills to finish
    con.execute("CREATE TABLE t AS SELECT i, hash(i) AS h FROM range(2000000) r(i) ORDER BY h")
    assert con.execute("SELECT count(*) FROM t").fetchone() == (2_000_000,)
    assert any(name.endswith(".tmp") for name in os.listdir(folder))  # spilled there
    del con
    gc.collect()
    assert not folder.exists() and os.listdir(tmp_path) == []


def test_running_out_of_memory_is_one_line_suggesting_a_higher_limit(monkeypatch):
    """A list of 3M numbers cannot spill: under 2MB DuckDB gives up."""
    monkeypatch.delenv(VARIABLE, raising=False)
    with pytest.raises(SalesmetricsError) as raised, limited("2MB"):
        connect({}).execute("SELECT list(i) FROM range(3000000) r(i)").fetchall()
    assert str(raised.value) == (
        "the report's queries ran out of memory under the memory limit of 2MB "
        "(--memory-limit), even spilling to disk: give a higher --memory-limit, e.g. 1GB"
    )
    monkeypatch.setenv(VARIABLE, "600MB")  # twice a limit over 500MB is suggested
    said = r"600MB \(SALESMETRICS_MEMORY_LIMIT\).* e\.g\. 1200MB$"
    with pytest.raises(SalesmetricsError, match=said), limited(None):
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate")
