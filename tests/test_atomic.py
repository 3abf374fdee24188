"""Atomic writes: the old file survives a failure and no partial file is left."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesmetrics.atomic import write_atomic, write_text_atomic


def test_writes_the_file(tmp_path: Path):
    target = tmp_path / "out.txt"
    write_text_atomic(target, "hello")
    assert target.read_text(encoding="utf-8") == "hello"


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def fail(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, fail)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_missing_folder_is_an_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        write_text_atomic(tmp_path / "nope" / "out.txt", "x")
