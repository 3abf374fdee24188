"""Time the stages of the Excel report (default KPIs, 12-month trend) inside one process,
through the library: import, load, compute, render JSON, write the xlsx; with the peak RSS
after each stage and the memory the loaded frames hold.

    python benchmarks/stages.py benchmarks/data/small-s1 --output /tmp/stages.json

run.py starts it as a subprocess, so each measurement starts from a fresh interpreter, as the
command line does. It prints nothing; the timings (seconds) go to --output as JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = date(2026, 11, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--config", type=Path, default=HERE / "report.yaml")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--xlsx", type=Path, help="where to write the workbook (else discarded)")
    args = parser.parse_args()

    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    peaks: dict[str, float] = {}
    clock, cpu_clock = time.perf_counter(), time.process_time()

    def lap(name: str) -> None:
        nonlocal clock, cpu_clock
        now, cpu_now = time.perf_counter(), time.process_time()
        timings[name], cpu[name] = now - clock, cpu_now - cpu_clock
        peaks[name] = _peak_mb()
        clock, cpu_clock = now, cpu_now

    from salesmetrics.config import load_config
    from salesmetrics.pipeline import compute_report, frames_of, load_inputs
    from salesmetrics.render import json_report
    from salesmetrics.render.xlsx import write_workbook

    lap("import")
    config = load_config(args.config, args.data_dir)
    loaded = load_inputs(config.inputs)
    qualities = [item.quality for item in loaded]
    frames = frames_of(loaded)
    lap("load")
    report = compute_report(config, frames, as_of=AS_OF, trend=12)
    lap("compute")
    json_report.render(report, qualities, io.StringIO())
    lap("render_json")
    workbook = args.xlsx or args.output.with_suffix(".xlsx")
    write_workbook(report, qualities, workbook)
    lap("write_xlsx")
    if args.xlsx is None:
        workbook.unlink()
    rows = {item.entity: int(item.quality.rows_used) for item in loaded}
    frames_mb = {
        name: float(frame.memory_usage(deep=True).sum()) / 2**20 for name, frame in frames.items()
    }
    result = {
        "seconds": timings,
        "cpu_seconds": cpu,
        "peak_mb": peaks,
        "rows": rows,
        "frames_mb": frames_mb,
    }
    args.output.write_text(json.dumps(result), encoding="utf-8")


def _peak_mb() -> float:
    """This process's peak RSS so far (VmHWM), in MB; NaN where /proc is missing."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return float("nan")
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    main()
