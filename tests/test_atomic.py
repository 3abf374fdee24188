"""Output files: whole or not at all, the earlier file kept through failures and signals, and
devices and FIFOs written in place, never replaced.

The signal, file-size-limit and permission tests run the real program in a subprocess.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import resource
import select
import signal
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import pytest

from salesmetrics.atomic import Interrupted, signals_held, write_atomic, write_text_atomic
from tests.conftest import FIXTURE_MAPPING, FIXTURES

ROOT = Path(__file__).parents[1]


def test_writes_the_file(tmp_path: Path):
    target = tmp_path / "out.txt"
    write_text_atomic(target, "hello")
    assert target.read_text(encoding="utf-8") == "hello"


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def fail(stream: BinaryIO) -> None:
        stream.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, fail)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_missing_folder_is_an_error_naming_the_path(tmp_path: Path):
    target = tmp_path / "nope" / "out.txt"
    with pytest.raises(FileNotFoundError) as caught:
        write_text_atomic(target, "x")
    assert caught.value.filename == str(target)
    assert caught.value.strerror == "the output folder does not exist"


def test_a_folder_is_an_error_and_is_left_alone(tmp_path: Path):
    folder = tmp_path / "reports"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as caught:
        write_text_atomic(folder, "x")
    assert caught.value.filename == str(folder)
    assert folder.is_dir() and list(folder.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["reports"]


def test_a_replaced_file_keeps_its_permissions_and_a_new_one_follows_the_umask(tmp_path: Path):
    kept = tmp_path / "kept.txt"
    kept.write_text("old", encoding="utf-8")
    kept.chmod(0o640)
    write_text_atomic(kept, "new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    umask = os.umask(0o027)
    try:
        write_text_atomic(tmp_path / "new.txt", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640  # 0o666 & ~0o027


def test_a_link_keeps_pointing_at_the_file_it_names(tmp_path: Path):
    real = tmp_path / "2026-10.csv"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(real.name)
    write_text_atomic(link, "new")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new"


def _is_device(path: str) -> bool:
    return stat.S_ISCHR(os.stat(path, follow_symlinks=False).st_mode)


def test_dev_null_is_written_to_never_replaced():
    assert _is_device("/dev/null")
    write_text_atomic("/dev/null", "a report")
    assert _is_device("/dev/null")


def test_dev_full_is_a_write_error_naming_it_and_stays_a_device():
    with pytest.raises(OSError) as caught:
        write_text_atomic("/dev/full", "a report" * 10_000)
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == "/dev/full"
    assert caught.value.strerror == "cannot write: No space left on device"
    assert _is_device("/dev/full")


def test_a_fifo_is_written_to_never_replaced(tmp_path: Path):
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_text_atomic(fifo, "a report")
    reader.join(timeout=10)
    assert received == [b"a report"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["report.pipe"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_while_writing_removes_the_temporary_and_keeps_the_earlier_file(
    tmp_path: Path, signum: int
):
    target = tmp_path / "report.csv"
    target.write_text("earlier", encoding="utf-8")
    before = signal.getsignal(signum)

    def write(stream: BinaryIO) -> None:
        stream.write(b"half a report")
        os.kill(os.getpid(), signum)  # arrives here, in the middle of the write
        stream.write(b"never written")

    with pytest.raises(Interrupted) as caught:
        write_atomic(target, write)
    assert caught.value.signum == signum and caught.value.path == str(target)
    assert target.read_text(encoding="utf-8") == "earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]
    assert signal.getsignal(signum) == before  # the earlier handler is back


def test_a_signal_in_a_held_step_waits_for_its_end(tmp_path: Path):
    """openpyxl's save is held: cut, it would leave its temporary sheet files behind."""
    target = tmp_path / "report.xlsx"
    target.write_text("earlier", encoding="utf-8")
    steps: list[str] = []

    def write(stream: BinaryIO) -> None:
        with signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            steps.append("the held step goes on")
        steps.append("not reached: the signal is raised as the held step ends")

    with pytest.raises(Interrupted):
        write_atomic(target, write)
    assert steps == ["the held step goes on"]
    assert target.read_text(encoding="utf-8") == "earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


# the real program, in a subprocess

SAMPLE_XLSX = [
    "report",
    "--config",
    str(ROOT / "sample_data" / "report.yaml"),
    "--period",
    "2026-10",
    "--as-of",
    "2026-11-01",
    "--trend",
    "12",
    "--format",
    "xlsx",
    "--quiet",
    "--output",
]
SMALL_XLSX = [
    "report",
    str(FIXTURES / "plain.csv"),
    "--mapping",
    FIXTURE_MAPPING,
    "--period",
    "2026-10",
    "--format",
    "xlsx",
    "--quiet",
    "--output",
]


def _salesmetrics(*args: str, **options) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "salesmetrics", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        **options,
    )


def _temporaries(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def _signal_while_writing(folder: Path, signum: int, tries: int = 3) -> tuple[int, str, str]:
    """Run the sample company's workbook into `folder` and send `signum` while its temporary
    file exists: stopped (SIGSTOP) as soon as it appears, checked to be there still, signalled,
    continued. A run whose write ended before it was stopped is run again."""
    env = dict(os.environ, TMPDIR=str(folder / "tmp"))  # openpyxl's own temporary files
    for _ in range(tries):
        (folder / "report.xlsx").write_bytes(b"an earlier report")
        run = _salesmetrics(*SAMPLE_XLSX, str(folder / "report.xlsx"), env=env)
        while run.poll() is None and not _temporaries(folder):
            time.sleep(0.0005)
        caught = False
        if run.poll() is None:
            os.kill(run.pid, signal.SIGSTOP)
            caught = bool(_temporaries(folder))  # stopped, so the write is still going on
            if caught:
                os.kill(run.pid, signum)
            os.kill(run.pid, signal.SIGCONT)
        out, err = run.communicate(timeout=600)
        if caught and run.returncode != -signum:  # -signum: it came as the file was renamed
            return run.returncode, out, err
    pytest.fail(f"the write was not caught in {tries} runs")


def test_sigterm_sigint_sighup_while_the_workbook_is_written(tmp_path: Path):
    names = ("SIGTERM", "SIGINT", "SIGHUP")
    for name in names:
        (tmp_path / name / "tmp").mkdir(parents=True)
    with ThreadPoolExecutor(len(names)) as pool:  # three runs at once: each takes seconds
        runs = dict(
            zip(
                names,
                pool.map(lambda n: _signal_while_writing(tmp_path / n, signal.Signals[n]), names),
                strict=True,
            )
        )
    for name, (code, out, err) in runs.items():
        folder = tmp_path / name
        assert code == 128 + signal.Signals[name]
        assert out == ""
        assert err == (
            f"stopped by {name}: {folder / 'report.xlsx'} was not written (an earlier file "
            "there is as it was)\n"
        )
        assert (folder / "report.xlsx").read_bytes() == b"an earlier report"
        assert sorted(p.name for p in folder.iterdir()) == ["report.xlsx", "tmp"]
        assert list((folder / "tmp").iterdir()) == []  # openpyxl's temporary sheets too


def test_sigterm_while_writing_a_fifo_stops_and_leaves_the_fifo(tmp_path: Path):
    """A FIFO is written in place. Opened here for reading and writing (so that neither side
    waits for the other), with room for 4 KB, it takes the first bytes and is read no further:
    the program is then blocked in the middle of the 23 KB workbook when the signal comes."""
    fifo = tmp_path / "report.xlsx"
    os.mkfifo(fifo)
    end = os.open(fifo, os.O_RDWR)
    fcntl.fcntl(end, fcntl.F_SETPIPE_SZ, 4096)
    try:
        run = _salesmetrics(*SMALL_XLSX, str(fifo))
        ready, _, _ = select.select([end], [], [], 600)
        assert ready and os.read(end, 2) == b"PK"  # the zip has started; the rest waits
        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=60)
    finally:
        os.close(end)
    assert run.returncode == 128 + signal.SIGTERM and out == ""
    assert err == f"stopped by SIGTERM while writing {fifo}: part of the output went there\n"
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


@pytest.mark.parametrize(
    "limit",
    [2_000, 15_000],  # openpyxl's temporary sheet files pass 2 KB; the workbook is 23 KB
)
def test_a_file_size_limit_is_one_line_naming_the_output(tmp_path: Path, limit: int):
    """EFBIG: one line, and no "Exception ignored" from openpyxl's writers or zipfile."""
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"an earlier report")

    def set_limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    run = _salesmetrics(*SMALL_XLSX, str(target), preexec_fn=set_limit)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 1 and out == ""
    assert err == f"error: {target}: cannot write: File too large\n"
    assert target.read_bytes() == b"an earlier report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def _without_dac_override() -> None:
    """Root ignores file permissions; a root process without CAP_DAC_OVERRIDE in its bounding
    set (what its capabilities are after exec) obeys them, as anyone else does."""
    if os.geteuid() == 0:
        pr_capbset_drop, cap_dac_override = 24, 1
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(pr_capbset_drop, cap_dac_override, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE)")


def test_a_read_only_folder_is_one_line_naming_the_output(tmp_path: Path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "report.xlsx").write_bytes(b"an earlier report")
    folder.chmod(0o555)
    try:
        run = _salesmetrics(
            *SMALL_XLSX, str(folder / "report.xlsx"), preexec_fn=_without_dac_override
        )
        out, err = run.communicate(timeout=300)
    finally:
        folder.chmod(0o755)
    assert run.returncode == 1 and out == ""
    assert err == f"error: {folder / 'report.xlsx'}: cannot write: Permission denied\n"
    assert [p.name for p in folder.iterdir()] == ["report.xlsx"]
    assert (folder / "report.xlsx").read_bytes() == b"an earlier report"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/dev/full", "error: /dev/full: cannot write: No space left on device\n"),
        ("/dev/null", ""),
    ],
)
def test_devices_through_the_program(target: str, message: str):
    run = _salesmetrics(*SMALL_XLSX, target)
    out, err = run.communicate(timeout=300)
    assert (run.returncode, out, err) == (1 if message else 0, "", message)
    assert _is_device(target)
