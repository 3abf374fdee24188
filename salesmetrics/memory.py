"""DuckDB's memory: the limit a report's queries run under, the private folder they spill to
beyond it, and one line instead of a traceback when even spilling is not enough.

The limit is DuckDB's own (`memory_limit`): what its joins, sorts and aggregates may hold
before they write to disk. The loaded frames, which DuckDB reads in place, are not counted in
it, so a process's peak stays above the limit by about the size of its inputs. It is
`--memory-limit` (`limited`), else `SALESMETRICS_MEMORY_LIMIT`, else DuckDB's default (80% of
the machine's memory).

Nothing here imports DuckDB until a report computes: the CLI checks `--memory-limit` while it
parses its options, and `salesmetrics --help` imports neither pandas nor DuckDB.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from salesmetrics.errors import SalesmetricsError

if TYPE_CHECKING:
    import duckdb

VARIABLE = "SALESMETRICS_MEMORY_LIMIT"
"""The environment variable that sets the limit when `--memory-limit` is not given."""
OPTION = "--memory-limit"
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT])(I?)B\s*", re.IGNORECASE)
_GIVEN: ContextVar[str | None] = ContextVar("memory_limit", default=None)
"""The limit `limited` set (`--memory-limit`, or compute_report's `memory_limit`)."""


def parse(text: str) -> str:
    """`text` as DuckDB reads a memory limit ("1GB", "1.5GB", "512MiB"), else a
    SalesmetricsError saying what is expected. DuckDB itself takes "-5GB" or "80%" as no
    limit at all and "1 gigabyte" as 1 GB, so only a positive number and a unit pass."""
    found = _SIZE.fullmatch(text)
    if found is None or float(found[1]) <= 0:
        raise SalesmetricsError(
            f"{text!r} is not a memory size: give a positive number and a unit, e.g. 1GB or "
            "500MB (KB, MB, GB, TB count in 1000s; KiB, MiB, GiB, TiB in 1024s)"
        )
    number, unit, binary = found.groups()
    return f"{number}{unit.upper()}{'i' if binary else ''}B"


@contextmanager
def limited(size: str | None) -> Iterator[None]:
    """DuckDB connections made inside run under `size` (None: `SALESMETRICS_MEMORY_LIMIT`,
    else DuckDB's default), and a query that runs out of memory even so ends in one
    SalesmetricsError that names the limit and suggests a higher one, not in DuckDB's
    traceback."""
    import duckdb

    token = _GIVEN.set(parse(size) if size is not None else None)
    try:
        yield
    except duckdb.OutOfMemoryException:
        raise SalesmetricsError(_out_of_memory()) from None
    finally:
        _GIVEN.reset(token)


def chosen() -> tuple[str, str] | None:
    """The limit connections are made under now and where it came from: `limited`'s, else
    the environment variable's (checked: a bad value is a SalesmetricsError naming it)."""
    given = _GIVEN.get()
    if given is not None:
        return given, OPTION
    text = os.environ.get(VARIABLE, "").strip()
    if not text:
        return None
    try:
        return parse(text), VARIABLE
    except SalesmetricsError as exc:
        raise SalesmetricsError(f"{VARIABLE}: {exc}") from None


def _out_of_memory() -> str:
    found = chosen()
    if found is None:
        under = "DuckDB's default memory limit (80% of this machine's memory)"
        higher = f"free some memory, or give a higher {OPTION} (in GB, above 80% of it)"
    else:
        size, source = found
        under = f"the memory limit of {size} ({source})"
        higher = f"give a higher {OPTION}, e.g. {_twice(size)}"
    return f"the report's queries ran out of memory under {under}, even spilling to disk: {higher}"


def _twice(size: str) -> str:
    """Twice `size`, but at least 1GB: a report over a few thousand deals needs some 50MB."""
    found = _SIZE.fullmatch(size)
    assert found is not None  # sizes here are parse()'s
    number, unit, binary = found.groups()
    twice = float(number) * 2
    if twice * (1024 if binary else 1000) ** ("KMGT".index(unit) + 1) < 10**9:
        return "1GB"
    return f"{twice:.12g}{unit}{binary}B"


def connect(config: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with `config` and the memory limit chosen now (`chosen`), spilling
    to a private temporary folder that is removed with the connection (or at exit): DuckDB's
    default, `.tmp` in the working folder, would write into the user's folder."""
    import duckdb

    found = chosen()
    if found is not None:
        config = {**config, "memory_limit": found[0]}
    folder = tempfile.mkdtemp(prefix="salesmetrics-duckdb-")
    try:
        con = duckdb.connect(":memory:", config={**config, "temp_directory": folder})
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    weakref.finalize(con, shutil.rmtree, folder, ignore_errors=True)
    return con
