"""Facts about a loaded frame (or an input read in place, salesmetrics.tables) worked out once
while it lives: a report asks them of the same frames again and again (is a column blank,
which days an input covers), and at a million rows each answer is a pass over them.

Frames are not changed in place once loaded (each step makes new ones), so an answer stays
true for as long as its frame lives; it is forgotten with it."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Any

_HELD: dict[int, tuple[weakref.ref[object], dict[Hashable, Any]]] = {}


def of_frame(frame: object, key: Hashable, build: Callable[[], Any]) -> Any:
    """`build()` the first time `key` is asked of `frame`, and the same answer after."""
    held = _HELD.get(id(frame))
    if held is None or held[0]() is not frame:
        held = (weakref.ref(frame), {})
        _HELD[id(frame)] = held
        weakref.finalize(frame, _HELD.pop, id(frame), None)
    answers = held[1]
    if key not in answers:
        answers[key] = build()
    return answers[key]
