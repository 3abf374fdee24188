"""YAML files are read within bounds: size, nesting, alias expansion, and regular files only."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from salesmetrics.yamlfile import (
    MAPPING_MAX_BYTES,
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    Node,
    YamlError,
    load_yaml,
)


def write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def billion_laughs(levels: int) -> str:
    """The classic: each level lists the one before nine times, 9**levels strings in all."""
    lines = ["lol0: &a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_keys_carry_their_lines_and_yes_stays_text(tmp_path: Path):
    loaded = load_yaml(write(tmp_path, "a: 1\nb:\n  c: yes\n  d: true\n"))
    assert isinstance(loaded, Node)
    assert (loaded.line_of("a"), loaded.line_of("b"), loaded["b"].line_of("d")) == (1, 2, 4)
    assert loaded["b"] == {"c": "yes", "d": True}


def test_an_impossible_date_stays_text_for_its_reader_to_name(tmp_path: Path):
    from datetime import date

    loaded = load_yaml(write(tmp_path, "as_of: 2026-13-01\nday: 2026-10-31\n"))
    assert loaded == {"as_of": "2026-13-01", "day": date(2026, 10, 31)}


def test_a_billion_laughs_is_refused_before_it_is_built(tmp_path: Path):
    path = write(tmp_path, billion_laughs(9))  # 9**10 values written out; 1 KB on disk
    with pytest.raises(YamlError) as caught:
        load_yaml(path)
    assert str(caught.value) == (
        f"{path}: its aliases (*name) would repeat more than {MAX_ALIAS_NODES:,} values; "
        "write them out, or repeat fewer"
    )


def test_aliases_that_repeat_a_little_are_read(tmp_path: Path):
    path = write(tmp_path, billion_laughs(3) + "base: &b {target: 1, warn: 2}\nx: *b\ny: *b\n")
    loaded = load_yaml(path)
    assert len(loaded["lol3"]) == 9 and loaded["lol3"][0][0][0] == ["lol"] * 9
    assert loaded["x"] == loaded["y"] == {"target": 1, "warn": 2}


def test_a_merge_key_reuses_a_block(tmp_path: Path):
    loaded = load_yaml(write(tmp_path, "a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n"))
    assert loaded["c"] == {"b": 1, "d": 2}


def test_an_alias_inside_itself_is_refused(tmp_path: Path):
    path = write(tmp_path, "a: 1\nb: &x [1, *x]\n")
    with pytest.raises(YamlError, match=r"line 2: an alias refers to itself$"):
        load_yaml(path)


def test_nesting_is_bounded(tmp_path: Path):
    """Levels count the mapping at the top and the value at the bottom: `a: [[1]]` is 4 deep."""
    lists = MAX_DEPTH - 2
    deepest = load_yaml(write(tmp_path, "a: " + "[" * lists + "1" + "]" * lists + "\n"))["a"]
    for _ in range(lists):
        (deepest,) = deepest
    assert deepest == 1
    path = write(tmp_path, "x: 1\na: " + "[" * (lists + 1) + "1" + "]" * (lists + 1), "deep.yaml")
    with pytest.raises(YamlError, match=rf"deep.yaml, line 2: nested more than {MAX_DEPTH} "):
        load_yaml(path)


def test_a_file_over_the_limit_is_refused_without_reading_it_all(tmp_path: Path):
    body = "a: " + "x" * (MAPPING_MAX_BYTES - 4) + "\n"
    exact = write(tmp_path, body)
    assert exact.stat().st_size == MAPPING_MAX_BYTES
    assert len(load_yaml(exact)["a"]) == MAPPING_MAX_BYTES - 4
    over = write(tmp_path, body + "\n", "over.yaml")
    with pytest.raises(YamlError) as caught:
        load_yaml(over)
    assert str(caught.value) == (
        f"{over}: larger than {MAPPING_MAX_BYTES:,} bytes, the most a mapping file may be; "
        "is it the right file?"
    )
    with pytest.raises(YamlError, match="the most a report config may be"):
        load_yaml(over, max_bytes=10, what="report config")


def test_a_device_is_refused_before_it_is_read():
    with pytest.raises(YamlError) as caught:
        load_yaml(Path("/dev/zero"))
    assert (
        str(caught.value) == "/dev/zero: not a regular file (a device or socket); give a .yaml file"
    )


def test_a_pipe_is_read(tmp_path: Path):
    """`--config <(generate-config)` is a FIFO: read, within the same size limit."""
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("w", encoding="utf-8") as handle:
            handle.write("trend: 6\n")

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        assert load_yaml(fifo) == {"trend": 6}
    finally:
        writer.join()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "file not found"),
        (lambda p: p.mkdir(), "cannot read it (Is a directory)"),
        (lambda p: p.write_bytes(b"a: caf\xe9\n"), "not UTF-8 text (byte 7); save it as UTF-8"),
    ],
)
def test_unreadable_files_are_one_line(tmp_path: Path, setup, message: str):
    path = tmp_path / "x.yaml"
    setup(path)
    with pytest.raises(YamlError) as caught:
        load_yaml(path)
    assert str(caught.value) == f"{path}: {message}"
