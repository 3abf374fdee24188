"""Property: whatever hostile export, mapping and options arrive, the CLI answers as documented.

Each example writes a generated export (hostile values, broken structure, odd encodings) and a
mapping into a fresh folder, runs `validate` or `report` on them in-process, and checks what the
README's "What salesmetrics promises" section says: an exit code from the documented set, no
traceback or internal error, at most one `error:` line, no control character in what it prints,
no NaN or infinity in JSON, no formula-leading text in CSV, and no file in the folder changed but
the output and rejects files it was asked to write.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesmetrics.cli import app

DOCUMENTED_EXITS = {0, 1, 2, 3, 4, 5}
HEADER = ["Deal ID", "Created", "Stage", "Amount", "Owner", "Closed", "Currency"]
MAPPING = """entity: deals
columns:
  deal_id: Deal ID
  created_at: Created
  stage: Stage
  amount: Amount
  owner: Owner
  closed_at: Closed
  currency: Currency
values:
  stage:
    map: {Won: won, Lost: lost, Demo: demo}
    default: demo
"""
FILTERS = [
    "",
    "filters:\n  - {column: Owner, matches: '^(?!x)', reason: look-ahead}\n",
    "filters:\n  - {column: Owner, matches: '(a)\\\\1', reason: back-reference}\n",
    "filters:\n  - {column: Owner, matches: '[', reason: broken}\n",
    "filters:\n  - {column: Owner, starts_with: '=', reason: formulas}\n",
]
HOSTILE_TEXT = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tlead",
    "\rcr",
    "\x1b]0;pwned\x07owner",
    "\x1b[2Jclear",
    "\u202eevil",
    "[red]markup[/red]",
    "[link](http://x) <b>html</b> | pipe *em*",
    "Total",
    "Grand Totals (3 records)",
    "Confidential Information - Do Not Distribute",
    "François",
]
HOSTILE_DATES = [
    "2026-10-15",
    "2026-09-30",
    "1900-01-01",
    "9999-12-31",
    "0001-01-01",
    "31/12/9999",
    "2262-04-12",
    "2958466",
    "not a date",
    "",
]
HOSTILE_AMOUNTS = [
    "1000",
    "1.500",
    "1,5",
    "1e308",
    "-1e308",
    "inf",
    "NaN",
    "€100",
    "(12)",
    "",
    "99999999999999999999999999",
]
PERIODS = ["2026-10", "2026-Q4", "2026", "9999-12", "0001-01", "1900-01"]
FORMATS = ["json", "ndjson", "csv", "md", "table", "xlsx"]


@dataclass(frozen=True)
class Export:
    """A generated deals export: short to show when a run fails, made into bytes to run."""

    rows: tuple[tuple[str, ...], ...]
    damage: str
    encoding: str
    tail: bytes

    def data(self) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([HEADER, *self.rows])
        text = buffer.getvalue()
        if self.damage == "quote" and self.rows:
            text = text.replace("\n", '\n"', 1)  # a quote opened in the first data row
        elif self.damage == "nul":
            text = text.replace(",", ",\x00", 1)
        elif self.damage == "big field":
            text += "D99,2026-10-01,Won,5," + "x" * 200_000 + ",2026-10-02,USD\n"
        elif self.damage == "footer":
            text += "\nGrand Totals (3 records)\n\nCopyright (c) 2000-2026 salesforce.com, inc.\n"
        return text.encode(self.encoding, "replace") + self.tail


@st.composite
def export(draw) -> Export:
    """A deals export with hostile values, sometimes a broken structure, in an odd encoding."""
    rows = []
    for i in range(draw(st.integers(0, 8))):
        rows.append(
            (
                draw(st.sampled_from([f"D{i}", f"D{i}", "", "=1+1"])),
                draw(st.sampled_from(HOSTILE_DATES)),
                draw(st.sampled_from(["Won", "Lost", "Demo", "weird"])),
                draw(st.sampled_from(HOSTILE_AMOUNTS)),
                draw(st.sampled_from(HOSTILE_TEXT)),
                draw(st.sampled_from(HOSTILE_DATES)),
                draw(st.sampled_from(["USD", "EUR", "", "XXX"])),
            )
        )
    damage = draw(st.sampled_from(["none", "quote", "nul", "big field", "footer", "bytes"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    tail = draw(st.binary(max_size=64)) if damage == "bytes" else b""
    return Export(tuple(rows), damage, encoding, tail)


@st.composite
def invocation(draw) -> tuple[list[str], str]:
    """The arguments for one run (with {folder} to fill in) and the mapping's text."""
    mapping = MAPPING + draw(st.sampled_from(FILTERS))
    files = ["{folder}/deals.csv", "-m", "{folder}/mapping.yaml"]
    if draw(st.booleans()):
        return ["validate", *files, "--rejects", "{folder}/rejects.csv"], mapping
    fmt = draw(st.sampled_from(FORMATS))
    args = ["report", *files, "--period", draw(st.sampled_from(PERIODS)), "-f", fmt]
    args += ["--as-of", draw(st.sampled_from(["2026-11-01", "0001-01-15", "9999-12-31"]))]
    if draw(st.booleans()):
        args += ["--trend", str(draw(st.sampled_from([3, 100_000])))]
    if fmt == "xlsx" or draw(st.booleans()):
        args += ["--output", "{folder}/out." + fmt]
    return args, mapping


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


def _no_control_characters(text: str, where: str) -> None:
    bad = {c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0}
    bad |= {c for c in text if c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"}
    assert not bad, f"{where} holds control characters {sorted(map(repr, bad))}"


def _check_output(fmt: str, stdout: str, folder: Path) -> None:
    out = folder / f"out.{fmt}"
    text = out.read_text(encoding="utf-8") if out.exists() and fmt != "xlsx" else stdout
    if fmt == "json" and text.strip():
        json.loads(text, parse_constant=_refuse_constant)
    if fmt == "ndjson":
        for line in text.splitlines():
            json.loads(line, parse_constant=_refuse_constant)
    if fmt == "csv":
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                assert cell.lower() not in {"nan", "inf", "-inf"}, row
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), row
    if fmt in {"table", "md"}:
        _no_control_characters(text, fmt)


def _refuse_constant(name: str):
    raise AssertionError(f"JSON holds {name}")


# no 'Exception ignored', and no library warning: either is noise on a user's stderr
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("error::UserWarning")
@settings(
    max_examples=60,
    deadline=None,
    # the runner only sets NO_COLOR and COLUMNS: nothing in it changes between examples
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=export(), run=invocation())
def test_hostile_exports_get_documented_answers(runner, data: Export, run) -> None:
    args, mapping = run
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "deals.csv").write_bytes(data.data())
        (folder / "mapping.yaml").write_text(mapping, encoding="utf-8")
        before = _snapshot(folder)
        result = runner.invoke(app, [a.format(folder=folder) for a in args])
        after = _snapshot(folder)

        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{args}: {type(result.exception).__name__}: {result.exception}"
        )
        assert result.exit_code in DOCUMENTED_EXITS, (args, result.stderr)
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        assert sum(line.startswith("error:") for line in result.stderr.splitlines()) <= 1
        _no_control_characters(result.stderr, "stderr")
        written = {"out." + args[args.index("-f") + 1]} if "-f" in args else set()
        written |= {"rejects.csv"}
        assert {k: v for k, v in after.items() if k not in written} == before, args
        if result.exit_code in {0, 3, 4, 5} and args[0] == "report":
            _check_output(args[args.index("-f") + 1], result.stdout, folder)
