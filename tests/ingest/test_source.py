"""Where an input's bytes come from: pipes, standard input, gzip, and files that are not exports
(issue 14). The pipe and stream cases run the real CLI in a subprocess."""

from __future__ import annotations

import csv
import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest

from salesmetrics.errors import InputError
from salesmetrics.ingest.decode import SNIFF_BYTES
from salesmetrics.ingest.mapping import ReadOptions
from salesmetrics.ingest.read import read_table
from salesmetrics.ingest.source import local_file

ROOT = Path(__file__).resolve().parents[2]
DEALS = ROOT / "sample_data" / "deals.csv"  # the HubSpot deals export, 877 KB
MAPPING = ROOT / "sample_data" / "mappings" / "deals.yaml"
ALL = lambda headers: None  # noqa: E731  (keep every column)


def rows_in(path: Path) -> int:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def cli(*args: str, stdin=None, env: dict[str, str] | None = None, timeout: float = 120):
    return subprocess.run(
        [sys.executable, "-m", "salesmetrics", *args],
        stdin=stdin,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )


def rows_read(result) -> int:
    report = json.loads(result.stdout)
    return report["inputs"][0]["rows_read"]


def test_the_sample_is_larger_than_what_is_sniffed():
    assert DEALS.stat().st_size > SNIFF_BYTES  # else the cases below would prove nothing


def test_standard_input_larger_than_the_sniffed_head_is_read_whole():
    with open(DEALS, "rb") as stdin:
        result = cli("validate", "-", "-m", str(MAPPING), "-f", "json", stdin=stdin)
    assert rows_read(result) == rows_in(DEALS), result.stderr


@pytest.mark.parametrize("mapped", [True, False], ids=["with-mapping", "recognised"])
def test_a_named_pipe_is_read_whole(tmp_path: Path, mapped: bool):
    fifo = tmp_path / "deals.csv"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as out:
            out.write(DEALS.read_bytes())

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    mapping = ["-m", str(MAPPING)] if mapped else []
    result = cli("validate", str(fifo), *mapping, "-f", "json")
    writer.join(timeout=30)
    assert rows_read(result) == rows_in(DEALS), result.stderr


def test_a_process_substitution_is_read_whole():
    command = f'"{sys.executable}" -m salesmetrics validate <(cat "{DEALS}") -m "{MAPPING}" -f json'
    result = subprocess.run(["bash", "-c", command], capture_output=True, timeout=120)
    assert rows_read(result) == rows_in(DEALS), result.stderr


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_in_one_line(device: str):
    result = cli("validate", device, "-m", str(MAPPING), timeout=30)
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [
        f"error: {device}: not a regular file, pipe or standard input; give the path of the "
        "CSV or Excel export itself"
    ]


def test_a_folder_and_a_socket_are_refused(tmp_path: Path):
    with pytest.raises(InputError, match="not a regular file, pipe or standard input"):
        local_file(str(tmp_path), tmp_path, text=True)
    server = socket.socket(socket.AF_UNIX)
    path = tmp_path / "s.sock"
    server.bind(str(path))
    try:
        with pytest.raises(InputError, match=r"s\.sock: not a regular file, pipe or standard"):
            local_file(str(path), tmp_path, text=True)
    finally:
        server.close()


def test_random_bytes_on_standard_input_are_refused_from_the_first_block():
    with open("/dev/urandom", "rb") as stdin:  # endless: only the first block may be read
        result = cli("validate", "-", "-m", str(MAPPING), stdin=stdin, timeout=60)
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [
        "error: -: this is not a text CSV file (it holds binary data); export it as CSV or Excel"
    ]


def test_endless_text_on_standard_input_stops_at_the_limit():
    endless = subprocess.Popen(["yes", "D1,Won,100"], stdout=subprocess.PIPE)
    try:
        env = {"SALESMETRICS_MAX_INPUT_BYTES": "2M"}
        result = cli("validate", "-", "-m", str(MAPPING), stdin=endless.stdout, env=env)
    finally:
        endless.kill()
        endless.wait()
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [
        "error: -: larger than 2 MB (SALESMETRICS_MAX_INPUT_BYTES) read from standard input; "
        "split the export, or raise SALESMETRICS_MAX_INPUT_BYTES if it is genuine"
    ]


def test_a_gzip_file_over_the_limit_once_decompressed_is_an_error(tmp_path, monkeypatch):
    path = tmp_path / "deals.csv.gz"
    path.write_bytes(gzip.compress(b"Deal ID,Stage\n" + b"D1,Won\n" * 300_000, 1))  # 2.1 MB
    monkeypatch.setenv("SALESMETRICS_MAX_INPUT_BYTES", "1M")
    with pytest.raises(InputError) as exc:
        read_table(str(path), ReadOptions(), ALL)
    assert str(exc.value) == (
        f"{path}: larger than 1 MB (SALESMETRICS_MAX_INPUT_BYTES) once decompressed; split "
        "the export, or raise SALESMETRICS_MAX_INPUT_BYTES if it is genuine"
    )


def test_a_gzip_file_is_decompressed_block_by_block(tmp_path: Path):
    content = b"Deal ID,Stage\n" + b"D1,Won\n" * 4_000_000  # 28 MB
    path = tmp_path / "deals.csv.gz"
    path.write_bytes(gzip.compress(content, 1))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    tracemalloc.start()
    try:
        copy = local_file(str(path), scratch, text=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert copy.read_bytes() == content
    assert peak < 8 << 20  # blocks of 1 MB at a time (and zlib's), never the 28 MB whole


def test_a_large_gzip_file_reads_every_row(tmp_path: Path):
    path = tmp_path / "deals.csv.gz"
    path.write_bytes(gzip.compress(b"Deal ID,Stage\n" + b"D1,Won\n" * 100_000, 1))
    assert len(read_table(str(path), ReadOptions(), ALL).cells) == 100_000


def test_a_truncated_gzip_file_is_an_error_naming_it(tmp_path: Path):
    path = tmp_path / "deals.csv.gz"
    path.write_bytes(gzip.compress(b"Deal ID,Stage\n" + b"D1,Won\n" * 1000)[:-20])
    with pytest.raises(InputError, match=r"deals\.csv\.gz: not a readable gzip file"):
        read_table(str(path), ReadOptions(), ALL)
