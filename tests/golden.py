"""Golden files: outputs reviewed by hand once, compared on every run, rewritten on purpose.

`make golden` (SALESMETRICS_UPDATE_GOLDEN=1) rewrites them; review `git diff tests/golden`.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).parent / "golden"


def check_json(name: str, actual: Any) -> None:
    """`actual` equals the JSON in tests/golden/`name`, floats to 1e-9 relative (sums taken in
    another order may differ in their last bits)."""
    path = FOLDER / name
    actual = json.loads(json.dumps(actual))  # tuples to lists, as read back
    if os.environ.get("SALESMETRICS_UPDATE_GOLDEN"):
        path.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n", "utf-8")
    _close(actual, json.loads(path.read_text(encoding="utf-8")))


def check_text(name: str, text: str) -> None:
    """`text` equals tests/golden/`name` exactly."""
    path = FOLDER / name
    if os.environ.get("SALESMETRICS_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def _close(actual: Any, expected: Any, where: str = "") -> None:
    if isinstance(expected, float) and isinstance(actual, float):
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9), where
    elif isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), where
        for key in expected:
            _close(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _close(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, where
