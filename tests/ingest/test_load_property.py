"""Property: whatever bytes arrive, loading gives frames or the project's own error."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesmetrics.errors import SalesmetricsError
from salesmetrics.ingest import load_input

HEADERS = ["Deal ID", "Created", "Stage", "Amount", "Owner", "Closed", "Prob", "Won"]
MAPPINGS = [
    "entity: deals\ncolumns: {deal_id: Deal ID, created_at: Created, stage: Stage, "
    "amount: Amount, owner: Owner, closed_at: Closed}\nvalues:\n  stage:\n    map: {}\n"
    "    default: demo\n",
    "entity: deals\ncolumns: {deal_id: Deal ID, created_at: Created, status: Won, "
    "probability: Prob}\nvalues:\n  status:\n    map: {yes: won, no: lost}\n    default: open\n"
    "dedupe: {key: [deal_id]}\n",
    "entity: orders\ncolumns: {ordered_at: Created, quantity: Prob, unit_price: Amount}\n"
    "filters:\n  - {column: Owner, starts_with: C, reason: cancelled}\n",
    "entity: surveys\ncolumns: {responded_at: Closed, score: Amount}\n",
]
cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "2026-10-01", "31/12/2026", "$1,234.50", "(12)", "yes", "Won", "x"]),
)


@st.composite
def csv_bytes(draw) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = list(draw(st.permutations(HEADERS)))
    header = header[: draw(st.integers(len(header) - 2, len(header)))]  # now and then one short
    width = st.integers(len(header) - 1, len(header) + 1)
    rows = draw(
        st.lists(width.flatmap(lambda n: st.lists(cell, min_size=n, max_size=n)), max_size=8)
    )
    lines = [delimiter.join(header)] + [
        delimiter.join('"' + c.replace('"', '""') + '"' for c in row) for row in rows
    ]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return "\n".join(lines).encode(encoding, errors="replace")


def _load(data: bytes, mapping: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_bytes(data)
        yaml_path = Path(folder) / "mapping.yaml"
        yaml_path.write_text(mapping, encoding="utf-8")
        try:
            loaded = load_input(path, str(yaml_path))
        except SalesmetricsError as exc:
            assert str(exc).strip(), "errors carry a message"
            assert "\n" not in str(exc).strip(), "errors are one line"
            return
        q = loaded.quality
        assert q.rows_used == len(loaded.frame)
        assert q.rows_used + q.rows_filtered + q.rows_rejected + q.duplicates_dropped == q.rows_read


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=csv_bytes(), mapping=st.sampled_from(MAPPINGS))
def test_generated_csv_loads_or_fails_with_our_error(data: bytes, mapping: str):
    _load(data, mapping)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300), mapping=st.sampled_from(MAPPINGS))
def test_arbitrary_bytes_load_or_fail_with_our_error(data: bytes, mapping: str):
    _load(data, mapping)
