"""salesmetrics.memo: an answer about a frame worked out once while the frame lives."""

from __future__ import annotations

import gc

import pandas as pd

from salesmetrics import memo


def test_an_answer_is_worked_out_once_per_frame_and_key():
    first, second = pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1, 2]})
    asked = []

    def answer(frame: pd.DataFrame, key: str) -> int:
        def build() -> int:
            asked.append(key)
            return int(frame["a"].sum())

        found: int = memo.of_frame(frame, key, build)
        return found

    assert answer(first, "sum") == 3 and answer(first, "sum") == 3
    assert answer(first, "again") == 3
    assert answer(second, "sum") == 3  # an equal frame is another frame
    assert asked == ["sum", "again", "sum"]


def test_the_answers_go_with_their_frame():
    frame = pd.DataFrame({"a": [1]})
    memo.of_frame(frame, "rows", lambda: 1)
    held = id(frame)
    assert held in memo._HELD
    del frame
    gc.collect()
    assert held not in memo._HELD
