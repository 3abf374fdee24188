"""salesmetrics: sales-funnel KPIs from CRM exports.

The package is a library first; the CLI only wires it together:

    import salesmetrics
    config = salesmetrics.load_config("sample_data/report.yaml")
    loaded = salesmetrics.load_inputs(config.inputs)
    report = salesmetrics.compute_report(      # or salesmetrics.compute(frames, ...)
        config, salesmetrics.frames_of(loaded), hints=salesmetrics.hints_of(loaded)
    )
    report.value("win_rate").value

Names are imported on first use, so `import salesmetrics` (and `salesmetrics --help`) stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    "compute": "salesmetrics.engine",
    "compute_report": "salesmetrics.pipeline",
    "frames_of": "salesmetrics.pipeline",
    "hints_of": "salesmetrics.pipeline",
    "load_inputs": "salesmetrics.pipeline",
    "load_each": "salesmetrics.pipeline",
    "load_input": "salesmetrics.ingest.load",
    "load_config": "salesmetrics.config",
    "resolve_period": "salesmetrics.periods",
    "Rates": "salesmetrics.currency",
    "Settings": "salesmetrics.kpis.base",
    "KpiTargets": "salesmetrics.targets",
    "Target": "salesmetrics.targets",
    "Report": "salesmetrics.report",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'salesmetrics' has no attribute {name!r}")
