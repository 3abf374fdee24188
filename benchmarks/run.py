"""The benchmark: time whole `salesmetrics` processes against a DuckDB SQL reference, check
that both compute the same values, and write benchmarks/RESULTS.md.

    python benchmarks/run.py                      # sizes small and large (BENCH_SIZES)
    BENCH_SIZES=small python benchmarks/run.py    # the quick run
    BENCH_SIZES=small,large,scaling python benchmarks/run.py   # and the scaling series
    python benchmarks/run.py --sizes small --repeat 5 --no-profile
    python benchmarks/run.py --render-only       # RESULTS.md again from the last run's figures

Per size (benchmarks/generate.py writes and caches the data), interleaved, up to `--repeat`
times within `--budget`: the DuckDB reference (reference.py + reference.sql), the full default
report to JSON, and the Excel report (default KPIs, 12-month trend); then once each: the two
reports the reference is compared with (close KPIs by owner × month, email KPIs by owner ×
ISO week), the JSON report under `--memory-limit 1GB` (its values compared with the JSON
report's), and stages.py (the Excel report's stages inside one process). Also
`salesmetrics --help` and `--version`, and `salesmetrics validate` on a 100k-row deals.xlsx.
With `scaling` among the sizes, the scaling series: the JSON report over 1M deals and 1M,
2.5M, 5M (large's) and 10M activities, once each without and with `--memory-limit 1GB`, and
the reference; a report that fails there is recorded with its message.
With `outofcore`, the out-of-core series (issue 19): canonical Parquet written straight from the
generator (generate.canonical) with 1M deals and 1M to 50M activities, the full default JSON
report with `--canonical` once without and once with `--memory-limit 2GB`, the two compared,
and, where the CSV size with the same rows exists (up to 10M), the reports the DuckDB
reference checks; `outofcore` alone rewrites only its section of RESULTS.md.
Wall time by the clock around each process; CPU time and peak RSS of that process alone from
`/usr/bin/time -v` (else by polling /proc/<pid>/status for VmHWM, with CPU from wait4).

Any value where the report and the reference (or the report under the memory limit) differ
by more than float rounding (1e-9 relative) fails the run (exit 1), after RESULTS.md is
written. A target that is not met does
not fail the run: it is profiled with pyinstrument and reported.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/ is not a package)

BIN = Path(sys.executable).parent
SALESMETRICS = str(BIN / "salesmetrics")
PYINSTRUMENT = str(BIN / "pyinstrument")
RUNS = generate.DATA / "runs"
PROFILES = generate.DATA / "profiles"
RESULTS = HERE / "RESULTS.md"
PROPOSALS = HERE / "proposals.md"
LAST_RUN = generate.DATA / "last-run.pickle"
SCALING = "scaling"  # in BENCH_SIZES: the scaling series (generate.SCALING)
OUT_OF_CORE = "outofcore"  # in BENCH_SIZES: the out-of-core series (generate.OUT_OF_CORE)
CORE_LIMIT = "2GB"  # issue 19: 50M activities from canonical Parquet under DuckDB's 2 GB
CORE_TITLE = "## Out of core: canonical Parquet to 50M activities (issue 19)"
CORE_PICKLE = generate.DATA / "last-outofcore.pickle"

AS_OF = "2026-11-01"  # the default period, last-month, is then 2026-10
CHECK_FROM, CHECK_TO = "2025-01-01", "2026-10-31"  # the whole story, 22 months
CLOSE_KPIS = [
    "deals_won",
    "deals_lost",
    "win_rate",
    "revenue_won",
    "avg_deal_size",
    "sales_cycle_days",
    "pipeline_value",
]
EMAIL_KPIS = ["emails_sent", "email_open_rate", "email_response_rate"]
REL_TOL = 1e-9

# targets from issue 7 (large size unless noted)
TARGET_JSON_S = 6.0
TARGET_RATIO = 1.3
TARGET_RSS_MB = 1500.0
TARGET_STARTUP_S = 0.3
TARGET_XLSX_READ_S = 2.5
TARGET_XLSX_WRITE_S = 2.0
MEMORY_LIMIT = "1GB"  # issue 16: the large report completes under DuckDB's --memory-limit 1GB


@dataclass(frozen=True)
class Recorded:
    """A process's figures from an earlier run, kept as they were measured."""

    wall: float
    cpu: float
    rss_mb: float


PANDAS_ENGINE = {
    "small": Recorded(12.07, 11.64, 906),
    "large": Recorded(49.78, 47.06, 3_496),
}
"""The last pandas engine's full default JSON report (`SALESMETRICS_ENGINE=pandas`, deleted
since), one run each in the `make bench` of 2026-12-03 22:06 UTC at commit 43d753d (its
RESULTS.md was committed in f3ade20), on this 2-core machine, load average 1.8 / 1.5 / 1.3
before and 3.3 / 3.8 / 2.8 after."""
PANDAS_MEASURED = "2026-12-03 22:06 UTC, commit 43d753d"


# ---------------------------------------------------------------------------- measuring


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds of the process
    rss_mb: float  # peak resident set size
    error: str | None = None  # the last line on stderr of a process that failed (`tolerate`)


@dataclass
class Series:
    label: str
    runs: list[Run] = field(default_factory=list)

    def stat(self, what: str) -> tuple[float, float, float]:
        values = [getattr(r, what) for r in self.runs]
        return statistics.median(values), min(values), max(values)

    @property
    def wall(self) -> float:
        return self.stat("wall")[0]

    @property
    def cpu(self) -> float:
        return self.stat("cpu")[0]

    @property
    def rss(self) -> float:
        return max(r.rss_mb for r in self.runs)

    @property
    def error(self) -> str | None:
        return next((r.error for r in self.runs if r.error), None)


def measure(
    command: Sequence[str],
    *,
    stdout_path: Path | None = None,
    env: dict[str, str] | None = None,
    tolerate: bool = False,
) -> Run:
    """Run one process to its end (with `env` added to the environment); its wall time, CPU
    time and peak RSS. Fails on exit != 0, unless `tolerate`: then the Run carries the
    process's last line on stderr (a report that ran out of memory says why there)."""
    env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    out = stdout_path.open("wb") if stdout_path else subprocess.DEVNULL
    try:
        if shutil.which("time", path="/usr/bin"):
            run, code, stderr = _with_gnu_time(command, out, env)
        else:
            run, code, stderr = _with_polling(command, out, env)
    finally:
        if stdout_path:
            out.close()  # type: ignore[union-attr]
    if code != 0 and tolerate:
        lines = stderr.decode(errors="replace").strip().splitlines() or [f"exit {code}"]
        run.error = f"exit {code}: {lines[-1]}"
    elif code != 0:
        shown = " ".join(str(c) for c in command)
        raise RuntimeError(f"exit {code}: {shown}\n{stderr.decode(errors='replace')[-4000:]}")
    return run


def _with_gnu_time(command: Sequence[str], out, env) -> tuple[Run, int, bytes]:
    with tempfile.NamedTemporaryFile("r", suffix=".time", dir=RUNS) as report:
        began = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-v", "-o", report.name, *command],
            stdout=out,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        wall = time.perf_counter() - began
        text = Path(report.name).read_text()

    def number(label: str) -> float:
        found = re.search(rf"{re.escape(label)}: ([\d.]+)", text)
        if not found:
            raise RuntimeError(f"/usr/bin/time -v printed no {label!r}:\n{text}")
        return float(found[1])

    cpu = number("User time (seconds)") + number("System time (seconds)")
    rss = number("Maximum resident set size (kbytes)") / 1024
    return Run(wall, cpu, rss), done.returncode, done.stderr


def _with_polling(command: Sequence[str], out, env) -> tuple[Run, int, bytes]:
    """Without /usr/bin/time: VmHWM (the peak RSS) from /proc while the process runs, and its
    CPU time from wait4, which reports that one child's usage."""
    with tempfile.TemporaryFile(dir=RUNS) as errors:
        began = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=errors, env=env)
        status = Path(f"/proc/{proc.pid}/status")
        peak_kb = 0
        while True:
            try:
                found = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
                peak_kb = max(peak_kb, int(found[1])) if found else peak_kb
            except OSError:
                pass
            pid, code, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.02)
        wall = time.perf_counter() - began
        errors.seek(0)
        stderr = errors.read()
    run = Run(wall, usage.ru_utime + usage.ru_stime, peak_kb / 1024)
    return run, os.waitstatus_to_exitcode(code), stderr


def series(label: str, command: Sequence[str], repeat: int, **kwargs) -> Series:
    found = Series(label)
    for _ in range(repeat):
        found.runs.append(measure(command, **kwargs))
    return found


def say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ commands


def report_command(data: Path, output: Path, *extra: str) -> list[str]:
    return [
        SALESMETRICS,
        "report",
        "--config",
        str(HERE / "report.yaml"),
        "--data-dir",
        str(data),
        "--as-of",
        AS_OF,
        "--output",
        str(output),
        "--quiet",
        *extra,
    ]


def json_command(data: Path, output: Path, *extra: str) -> list[str]:
    return report_command(data, output, "--format", "json", *extra)


def xlsx_command(data: Path, output: Path) -> list[str]:
    return report_command(data, output, "--format", "xlsx", "--trend", "12")


def check_command(data: Path, output: Path, time_dimension: str, kpis: list[str]) -> list[str]:
    command = [
        SALESMETRICS,
        "report",
        "--config",
        str(HERE / "check.yaml"),
        "--data-dir",
        str(data),
        "--as-of",
        AS_OF,
        "--from",
        CHECK_FROM,
        "--to",
        CHECK_TO,
        "--by",
        "owner",
        "--by",
        time_dimension,
        "--all-groups",  # the reference shows every owner in every month or week
        "--format",
        "json",
        "--output",
        str(output),
        "--quiet",
    ]
    for kpi in kpis:
        command += ["--kpi", kpi]
    return command


def reference_command(data: Path, output: Path) -> list[str]:
    script = str(HERE / "reference.py")
    return [
        sys.executable,
        script,
        str(data),
        "--from",
        CHECK_FROM,
        "--to",
        CHECK_TO,
        "--output",
        str(output),
    ]


def xlsx_read_command(path: Path) -> list[str]:
    mapping = str(HERE / "deals_xlsx.yaml")
    return [
        SALESMETRICS,
        "validate",
        str(path),
        "--mapping",
        mapping,
        "--format",
        "json",
        "--max-reject-rate",
        "0.01",
    ]


# ------------------------------------------------------------------------------ checking


@dataclass
class Check:
    compared: int
    mismatches: list[str]


def compare(reference: Path, ours: Sequence[Path]) -> Check:
    """Every value of the reference against the report's value for the same KPI and group."""
    found: dict[tuple, float | None] = {}
    for path in ours:
        document = json.loads(path.read_text(encoding="utf-8"))
        for item in document["kpis"]:
            found[(item["id"], tuple(sorted(item["group"].items())))] = item["value"]
    expected = json.loads(reference.read_text(encoding="utf-8"))
    mismatches = []
    for row in expected:
        key = (row["kpi"], tuple(sorted(row["group"].items())))
        want = row["value"]
        if key not in found:
            mismatches.append(f"{_key(key)}: reference {want}, missing from the report")
            continue
        got = found[key]
        same = (want is None and got is None) or (
            want is not None and got is not None and math.isclose(want, got, rel_tol=REL_TOL)
        )
        if not same:
            mismatches.append(f"{_key(key)}: reference {want!r}, report {got!r}")
    kpis = {row["kpi"] for row in expected}
    keys = {(row["kpi"], tuple(sorted(row["group"].items()))) for row in expected}
    for key in sorted(k for k in found if k[0] in kpis and k not in keys):
        mismatches.append(f"{_key(key)}: report {found[key]!r}, missing from the reference")
    return Check(len(expected), mismatches)


def compare_reports(unlimited: Path, limited: Path) -> Check:
    """Every value of the JSON report against the same report run under `--memory-limit`
    (spilling to disk must not change a number): value, previous and trend, at REL_TOL."""

    def values(path: Path) -> dict[tuple, list[float | None]]:
        found = {}
        for item in json.loads(path.read_text(encoding="utf-8"))["kpis"]:
            key = (item["id"], tuple(sorted(item["group"].items())), item.get("category"))
            trend = [point["value"] for point in item.get("trend", [])]
            found[key] = [item["value"], item.get("previous"), *trend]
        return found

    ours, theirs = values(unlimited), values(limited)
    mismatches = [f"{k}: present in one report only" for k in sorted(set(ours) ^ set(theirs))]
    for key in sorted(set(ours) & set(theirs)):
        a, b = ours[key], theirs[key]
        same = len(a) == len(b) and all(
            (x is None and y is None)
            or (x is not None and y is not None and math.isclose(x, y, rel_tol=REL_TOL))
            for x, y in zip(a, b, strict=False)
        )
        if not same:
            mismatches.append(f"{key}: {a!r}, under the limit {b!r}")
    return Check(len(ours), mismatches)


def _key(key: tuple) -> str:
    kpi, group = key
    return f"{kpi} {{{', '.join(f'{d}={v}' for d, v in group) or 'total'}}}"


# ----------------------------------------------------------------------------- profiling


@dataclass
class Profile:
    title: str
    command: str
    text_path: Path
    duration: float
    self_top: list[tuple[str, float, str]]  # (frame, seconds of its own time, mostly from)
    ours_top: list[tuple[str, float]]  # (salesmetrics function, seconds including callees)
    kpi_top: list[tuple[str, float]]  # (KPI function the engine calls, seconds with callees)


def profile(title: str, command: Sequence[str], name: str, interval: float) -> Profile:
    """pyinstrument over the command; the text report and the heaviest frames."""
    PROFILES.mkdir(parents=True, exist_ok=True)
    session_path = PROFILES / f"{name}.pyisession"
    text_path = PROFILES / f"{name}.txt"
    executable, *rest = command
    subprocess.run(
        [
            PYINSTRUMENT,
            "-i",
            str(interval),
            "-r",
            "pyisession",
            "-o",
            str(session_path),
            executable,
            *rest,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    )
    subprocess.run(
        [
            PYINSTRUMENT,
            "--load",
            str(session_path),
            "-r",
            "text",
            "-o",
            str(text_path),
            "--no-color",
            "--unicode",
        ],
        check=True,
    )
    return analyse(title, command, session_path, text_path)


def analyse(title: str, command: Sequence[str], session_path: Path, text_path: Path) -> Profile:
    """The heaviest frames of a saved pyinstrument session."""
    from pyinstrument.session import Session

    session = Session.load(str(session_path))
    root = session.root_frame()
    own: dict[str, float] = {}
    inclusive: dict[str, float] = {}
    by_kpi: dict[str, float] = {}
    callers: dict[str, dict[str, float]] = {}  # own time by frame, by salesmetrics caller

    def walk(frame, stack: frozenset[str], caller: str) -> None:
        if frame.is_synthetic:
            return
        label = _frame_label(frame)
        own[label] = own.get(label, 0.0) + frame.total_self_time
        path = frame.file_path or ""
        mine = "salesmetrics/" in path and "salesmetrics/cli.py" not in path
        if mine and frame.function not in ("<module>", "<lambda>", "<listcomp>", "<dictcomp>"):
            caller = f"{frame.function} ({os.path.basename(path)})"
        by_caller = callers.setdefault(label, {})
        by_caller[caller] = by_caller.get(caller, 0.0) + frame.total_self_time
        if mine and frame.function != "<module>" and label not in stack:
            inclusive[label] = inclusive.get(label, 0.0) + frame.time
        parent = (frame.parent.file_path or "") if frame.parent is not None else ""
        if "salesmetrics/kpis/" in path and "salesmetrics/engine.py" in parent:
            by_kpi[label] = by_kpi.get(label, 0.0) + frame.time
        for child in frame.children:
            walk(child, stack | {label}, caller)

    if root is not None:
        walk(root, frozenset(), "start-up")

    def mostly(label: str) -> str:
        ranked = sorted(callers[label].items(), key=lambda kv: -kv[1])[:3]
        return ", ".join(f"{name} {secs:.1f}" for name, secs in ranked if secs >= 0.05)

    return Profile(
        title,
        " ".join(Path(c).name if i == 0 else _short(c) for i, c in enumerate(command)),
        text_path,
        session.duration,
        [(k, v, mostly(k)) for k, v in sorted(own.items(), key=lambda kv: -kv[1])[:12]],
        sorted(inclusive.items(), key=lambda kv: -kv[1])[:15],
        sorted(by_kpi.items(), key=lambda kv: -kv[1])[:12],
    )


def _short(argument: str) -> str:
    return argument.replace(str(ROOT) + os.sep, "")


def _frame_label(frame) -> str:
    path = frame.file_path or ""
    marker = "site-packages/"
    if marker in path:
        path = path.split(marker, 1)[1]
    elif str(ROOT) in path:
        path = os.path.relpath(path, ROOT)
    return f"{frame.function} ({path}:{frame.line_no})"


# -------------------------------------------------------------------------------- machine


def machine() -> dict[str, str]:
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    found = re.search(r"MemTotal:\s+(\d+) kB", meminfo)
    memory = f"{int(found[1]) / 1024 / 1024:.1f} GB" if found else "unknown"
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    versions = {}
    for package in ("pandas", "pyarrow", "numpy", "duckdb", "openpyxl", "fastexcel"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "?"
    return {
        "cores": str(os.cpu_count()),
        "memory": memory,
        "cpu": model[1].strip() if model else platform.processor() or "unknown",
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load": _load(),
        **versions,
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": "yes" if _git("status", "--porcelain", "--", "salesmetrics") else "no",
    }


def _load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


# -------------------------------------------------------------------------------- running


@dataclass
class SizeResult:
    name: str
    rows: dict[str, int]
    megabytes: float
    reference: Series
    report_json: Series
    report_xlsx: Series
    check_month: Series
    check_week: Series
    stages: dict
    check: Check
    limited: Series | None = None  # the JSON report under --memory-limit MEMORY_LIMIT
    same: Check | None = None  # its values against the JSON report's


def run_size(name: str, seed: int, repeat: int, budget: float) -> SizeResult:
    say(f"{name}: data")
    data = generate.generate(name, seed)
    work = RUNS / name
    work.mkdir(parents=True, exist_ok=True)
    reference = Series("DuckDB reference")
    report_json = Series("report, JSON")
    report_xlsx = Series("report, xlsx")
    timed = [
        (reference, reference_command(data, work / "reference.json")),
        (report_json, json_command(data, work / "report.json")),
        (report_xlsx, xlsx_command(data, work / "report.xlsx")),
    ]
    # the three are interleaved, so a slow spell of the machine hits each alike; a series
    # stops repeating when one more run would take it past its share of the budget
    share = budget / len(timed)
    for i in range(repeat):
        due = [
            (found, command)
            for found, command in timed
            if not found.runs or found.stat("wall")[0] * (len(found.runs) + 1) <= share
        ]
        if not due:
            break
        say(f"{name}: run {i + 1} of {repeat}: " + ", ".join(f.label for f, _ in due))
        for found, command in due:
            found.runs.append(measure(command))
    say(f"{name}: the reports compared with the reference")
    month_out, week_out = work / "check_month.json", work / "check_week.json"
    check_month = series("close KPIs by owner × month", _month(data, month_out), 1)
    check_week = series("email KPIs by owner × week", _week(data, week_out), 1)
    check = compare(work / "reference.json", [month_out, week_out])
    say(f"{name}: {check.compared:,} values compared, {len(check.mismatches)} differ")
    say(f"{name}: the JSON report under --memory-limit {MEMORY_LIMIT}")
    limited_out = work / "report_limited.json"
    limited = series(
        f"report, JSON, --memory-limit {MEMORY_LIMIT}",
        json_command(data, limited_out, "--memory-limit", MEMORY_LIMIT),
        1,
        tolerate=True,
    )
    same = None
    if limited.error is None:
        same = compare_reports(work / "report.json", limited_out)
        say(f"{name}: under the limit: {same.compared:,} values, {len(same.mismatches)} differ")
    else:
        say(f"{name}: under the limit: failed: {limited.error}")
    say(f"{name}: stages")
    stages_out = work / "stages.json"
    stages_run = measure(
        [sys.executable, str(HERE / "stages.py"), str(data), "--output", str(stages_out)]
    )
    stages = json.loads(stages_out.read_text()) | {"rss_mb": stages_run.rss_mb}
    files = [p for p in data.iterdir() if p.suffix == ".csv"]
    return SizeResult(
        name,
        stages["rows"],
        sum(p.stat().st_size for p in files) / 1e6,
        reference,
        report_json,
        report_xlsx,
        check_month,
        check_week,
        stages,
        check,
        limited,
        same,
    )


@dataclass
class ScalePoint:
    """One size of the scaling series: the full default JSON report without and with
    `--memory-limit`, and the DuckDB reference, on the same files."""

    name: str
    deals: int  # rows generated (a few are rejected or dropped as duplicates)
    activities: int
    megabytes: float
    reference: Series
    report: Series
    limited: Series
    same: Check | None  # the limited report's values against the unlimited one's


def run_scaling(seed: int, done: Sequence[SizeResult]) -> list[ScalePoint]:
    """The scaling series (generate.SCALING), each process once; a size the standard run
    measured already (large) is taken from it, not run again. A report that fails (out of
    memory under the limit) is recorded with its message, and the series goes on."""
    found = []
    for name in generate.SCALING:
        spec = generate.SIZES[name]
        data = generate.generate(name, seed)
        megabytes = sum(p.stat().st_size for p in data.iterdir() if p.suffix == ".csv") / 1e6
        known = next((s for s in done if s.name == name and s.limited is not None), None)
        if known is not None and known.limited is not None:
            say(f"scaling: {name}: from the {name} run above")
            point = ScalePoint(
                name,
                spec.deals,
                spec.activities,
                megabytes,
                known.reference,
                known.report_json,
                known.limited,
                known.same,
            )
            found.append(point)
            continue
        work = RUNS / name
        work.mkdir(parents=True, exist_ok=True)
        plain_out, limited_out = work / "report.json", work / "report_limited.json"
        say(f"scaling: {name}: the DuckDB reference")
        reference = series("DuckDB reference", reference_command(data, work / "ref.json"), 1)
        say(f"scaling: {name}: the JSON report")
        report = series("report, JSON", json_command(data, plain_out), 1, tolerate=True)
        say(f"scaling: {name}: the JSON report under --memory-limit {MEMORY_LIMIT}")
        limited = series(
            f"report, JSON, --memory-limit {MEMORY_LIMIT}",
            json_command(data, limited_out, "--memory-limit", MEMORY_LIMIT),
            1,
            tolerate=True,
        )
        for item in (report, limited):
            if item.error:
                say(f"scaling: {name}: {item.label}: failed: {item.error}")
        same = None
        if report.error is None and limited.error is None:
            same = compare_reports(plain_out, limited_out)
        found.append(
            ScalePoint(
                name, spec.deals, spec.activities, megabytes, reference, report, limited, same
            )
        )
    return found


@dataclass
class CorePoint:
    """One size of the out-of-core series: the full default JSON report from canonical
    Parquet without and with `--memory-limit CORE_LIMIT`, and the checks of its values."""

    activities: int
    megabytes: float  # the dataset's Parquet files
    generated: float  # seconds to write the dataset (0: cached)
    report: Series
    limited: Series
    same: Check | None  # the limited report's values against the unlimited one's
    reference: Check | None  # against the DuckDB reference on the CSV twin (up to 10M)


@dataclass
class Core:
    """The out-of-core series: its points, the profile at 10M, the machine's load average
    before and after, and when it finished."""

    points: list[CorePoint]
    profiled: Profile | None
    load_before: str
    load_after: str
    finished: datetime


def run_out_of_core(seed: int, profiled: bool) -> Core:
    """The out-of-core series (generate.OUT_OF_CORE), each process once; the limited report
    at 10M profiled unless `profiled` is False."""
    load_before = _load()
    found = []
    profile_found = None
    for activities in generate.OUT_OF_CORE:
        label = f"outofcore {activities / 1e6:g}M"
        say(f"{label}: data")
        began = time.perf_counter()
        folder = generate.canonical(activities, seed)
        took = time.perf_counter() - began
        dataset = folder / "dataset"
        megabytes = sum(p.stat().st_size for p in dataset.rglob("*.parquet")) / 1e6
        work = RUNS / f"outofcore-{activities // 1_000_000}m"
        work.mkdir(parents=True, exist_ok=True)
        plain_out, limited_out = work / "report.json", work / "report_limited.json"
        on = ("--canonical", str(dataset))
        say(f"{label}: the JSON report")
        report = series("report, JSON", json_command(folder, plain_out, *on), 1, tolerate=True)
        say(f"{label}: the JSON report under --memory-limit {CORE_LIMIT}")
        limited_command = json_command(folder, limited_out, *on, "--memory-limit", CORE_LIMIT)
        limited = series(
            f"report, JSON, --memory-limit {CORE_LIMIT}", limited_command, 1, tolerate=True
        )
        for item in (report, limited):
            if item.error:
                say(f"{label}: {item.label}: failed: {item.error}")
        same = None
        if report.error is None and limited.error is None:
            same = compare_reports(plain_out, limited_out)
            say(
                f"{label}: under the limit: {same.compared:,} values, {len(same.mismatches)} differ"
            )
        reference = None
        twin = generate.CSV_TWIN.get(activities)
        if twin is not None:
            say(f"{label}: the DuckDB reference on {twin}'s CSV files (the same rows)")
            csv = generate.generate(twin, seed)
            measure(reference_command(csv, work / "reference.json"))
            month_out, week_out = work / "check_month.json", work / "check_week.json"
            measure([*_month(folder, month_out), *on])
            measure([*_week(folder, week_out), *on])
            reference = compare(work / "reference.json", [month_out, week_out])
            say(f"{label}: {reference.compared:,} values, {len(reference.mismatches)} differ")
        if profiled and activities == 10_000_000:
            say(f"{label}: profiling the report under the limit")
            profile_found = profile(
                f"Full default report to JSON from canonical Parquet, 10M activities, "
                f"--memory-limit {CORE_LIMIT}",
                json_command(folder, work / "profiled.json", *on, "--memory-limit", CORE_LIMIT),
                "report-json-outofcore-10m",
                0.01,
            )
        found.append(CorePoint(activities, megabytes, took, report, limited, same, reference))
    return Core(found, profile_found, load_before, _load(), datetime.now(UTC))


def _core_section(core: Core) -> list[str]:
    """The out-of-core table, and what it says."""
    points, profiled = core.points, core.profiled
    lines = [
        CORE_TITLE,
        "",
        f"Run {core.finished:%Y-%m-%d %H:%M} UTC at commit {_git('rev-parse', '--short', 'HEAD')}; "
        f"load average before {core.load_before}, after {core.load_after} (other work shared "
        "the 2 cores: CPU time is the figure to compare).",
        "",
        f"`BENCH_SIZES=outofcore`: a canonical dataset (`validate --export`'s layout) with "
        "large's million deals and the roster, and 1M to 50M activities written straight to "
        "Parquet by `generate.canonical` (no CSV); the full default JSON report with "
        f"`--canonical`, each a whole process run once, without and with `--memory-limit "
        f"{CORE_LIMIT}`. The activities are read in place (DuckDB scans their Parquet); the "
        "deals and the roster are loaded. Values: the limited report against the unlimited "
        "one (value, previous, trend at 1e-9), and up to 10M, where the CSV size with the "
        "same rows exists, the close and email KPIs by owner × month and × week against the "
        "DuckDB reference on those CSV files.",
        "",
        "| activities | Parquet MB | report wall (CPU) s | peak RSS MB "
        f"| `--memory-limit {CORE_LIMIT}`: wall (CPU) s | peak RSS MB | completed "
        "| limited vs unlimited: values differ | reference: values compared, differ |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        differ = len(p.same.mismatches) if p.same else "–"
        checked = (
            f"{p.reference.compared:,}, {len(p.reference.mismatches)}" if p.reference else "none"
        )
        lines.append(
            f"| {p.activities / 1e6:g}M | {p.megabytes:,.0f} | {_timed(p.report)} | "
            f"{p.report.rss:,.0f} | {_timed(p.limited)} | {p.limited.rss:,.0f} | "
            f"{_completed(p.limited)} | {differ} | {checked} |"
        )
    first, last = points[0], points[-1]
    done = [p for p in points if p.limited.error is None]
    said = (
        f"From {first.activities / 1e6:g}M to {last.activities / 1e6:g}M activities "
        f"({last.activities / first.activities:g}× the rows), the report grows "
        f"{last.report.wall / first.report.wall:.1f}× in wall time "
        f"({last.report.cpu / first.report.cpu:.1f}× in CPU) without the limit"
    )
    if done:
        said += (
            "; under the limit its peak RSS was "
            + ", ".join(f"{p.limited.rss:,.0f}" for p in done)
            + f" MB at {', '.join(f'{p.activities / 1e6:g}M' for p in done)}"
        )
    lines += ["", said + "."]
    if profiled is not None:
        lines += [
            "",
            f"Profile ({profiled.title}, {profiled.duration:.1f} s; pyinstrument, "
            f"`{profiled.text_path.relative_to(ROOT)}`), heaviest own time:",
            "",
            "| frame | s | mostly from |",
            "|---|---|---|",
        ]
        lines += [f"| `{f}` | {secs:.2f} | `{src}` |" for f, secs, src in profiled.self_top[:8]]
    return lines


def _spliced(text: str, section: list[str]) -> str:
    """RESULTS.md's `text` with the out-of-core section replaced by `section` (or put before
    the reference check when it has none), the other sections as they were."""
    block = "\n".join(section) + "\n"
    if CORE_TITLE in text:
        start = text.index(CORE_TITLE)
        after = text.find("\n## ", start + len(CORE_TITLE))
        return text[:start] + block + ("\n" + text[after + 1 :] if after >= 0 else "")
    anchor = text.find("## Reference check")
    if anchor < 0:
        return text.rstrip("\n") + "\n\n" + block
    return text[:anchor] + block + "\n" + text[anchor:]


def _month(data: Path, out: Path) -> list[str]:
    return check_command(data, out, "month", CLOSE_KPIS)


def _week(data: Path, out: Path) -> list[str]:
    return check_command(data, out, "week", EMAIL_KPIS)


@dataclass
class Target:
    what: str
    measured: str  # wall time (or memory), which the target is judged on
    cpu: str  # the CPU time alongside, for a machine shared with other work
    limit: str
    met: bool
    by: str  # how far from the limit
    profile_key: str | None = None


def targets(sizes: list[SizeResult], startup: list[Series], xlsx_read: Series) -> list[Target]:
    found = _size_targets(sizes[-1]) if sizes else []  # the largest size run
    for command in startup:
        found.append(
            Target(
                f"`{command.label}`",
                f"{command.wall:.3f} s",
                f"{command.cpu:.3f} s",
                f"{TARGET_STARTUP_S:g} s",
                command.wall < TARGET_STARTUP_S,
                _by(command.wall, TARGET_STARTUP_S),
                "startup",
            )
        )
    found.append(
        Target(
            "Reading the 100k-row xlsx (`salesmetrics validate`, whole process)",
            f"{xlsx_read.wall:.2f} s",
            f"{xlsx_read.cpu:.2f} s",
            f"{TARGET_XLSX_READ_S:g} s",
            xlsx_read.wall < TARGET_XLSX_READ_S,
            _by(xlsx_read.wall, TARGET_XLSX_READ_S),
            "xlsx_read",
        )
    )
    return found


def _size_targets(main: SizeResult) -> list[Target]:
    """The targets judged on one size's reports."""
    note = "" if main.name == "large" else f" ({main.name} size: large not run)"
    found = []
    json_s = main.report_json.wall
    found.append(
        Target(
            f"Full default report to JSON, wall time{note}",
            f"{json_s:.2f} s",
            f"{main.report_json.cpu:.2f} s",
            f"{TARGET_JSON_S:g} s",
            json_s < TARGET_JSON_S,
            _by(json_s, TARGET_JSON_S),
            "json",
        )
    )
    ratio = json_s / main.reference.wall
    found.append(
        Target(
            f"… relative to the DuckDB reference{note}",
            f"{ratio:.1f}×",
            f"{main.report_json.cpu / main.reference.cpu:.1f}×",
            f"{TARGET_RATIO:g}×",
            ratio <= TARGET_RATIO,
            _by(ratio, TARGET_RATIO),
            "json",
        )
    )
    rss = max(main.report_json.rss, main.report_xlsx.rss)
    found.append(
        Target(
            f"Peak memory (RSS), JSON and xlsx reports{note}",
            f"{rss:,.0f} MB",
            "–",
            f"{TARGET_RSS_MB:,.0f} MB",
            rss < TARGET_RSS_MB,
            _by(rss, TARGET_RSS_MB),
            "json",
        )
    )
    limited = main.limited
    if limited is not None:
        completed = limited.error is None
        found.append(
            Target(
                f"Full default report to JSON under `--memory-limit {MEMORY_LIMIT}` (DuckDB's "
                f"own) completes{note}",
                f"completed in {limited.wall:.2f} s" if completed else f"failed: {limited.error}",
                f"{limited.cpu:.2f} s",
                "completes",
                completed,
                f"peak RSS {limited.rss:,.0f} MB",
            )
        )
    write = main.stages["seconds"]["write_xlsx"]
    found.append(
        Target(
            f"Excel report (default KPIs, 12-month trend) written (`write_workbook`){note}",
            f"{write:.2f} s",
            f"{main.stages['cpu_seconds']['write_xlsx']:.2f} s",
            f"{TARGET_XLSX_WRITE_S:g} s",
            write < TARGET_XLSX_WRITE_S,
            _by(write, TARGET_XLSX_WRITE_S),
            "xlsx",
        )
    )
    return found


def _by(measured: float, limit: float) -> str:
    if measured < limit:
        return f"{(1 - measured / limit):.0%} under"
    return f"{measured / limit:.1f}× the limit"


# -------------------------------------------------------------------------------- writing


def _s(stats: tuple[float, float, float], digits: int = 2) -> str:
    median, low, high = stats
    return f"{median:.{digits}f} [{low:.{digits}f}–{high:.{digits}f}]"


@dataclass
class Outcome:
    """Everything RESULTS.md is written from; kept in benchmarks/data/ for --render-only."""

    info: dict[str, str]
    load_after: str
    seed: int
    repeat: int
    sizes: list[SizeResult]
    startup: list[Series]
    xlsx_read: Series
    goals: list[Target]
    profiles: dict[str, Profile]
    took: float
    finished: datetime
    scaling: list[ScalePoint] = field(default_factory=list)  # BENCH_SIZES with `scaling`


def write_results(outcome: Outcome) -> None:
    info, load_after, seed, repeat = (
        outcome.info,
        outcome.load_after,
        outcome.seed,
        outcome.repeat,
    )
    sizes, startup, xlsx_read = outcome.sizes, outcome.startup, outcome.xlsx_read
    goals, profiles, took = outcome.goals, outcome.profiles, outcome.took
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run.py`); do not edit by hand: the analysis and "
        "proposals at the end come from `benchmarks/proposals.md`.",
        "",
        f"- Run: {outcome.finished:%Y-%m-%d %H:%M} UTC, sizes "
        f"{', '.join([s.name for s in sizes] + (['scaling'] if outcome.scaling else []))}, "
        f"seed {seed}, up to {repeat} runs of each timed report (fewer where they would pass "
        "the time budget: the `runs` column says how many); the whole benchmark took "
        f"{took / 60:.1f} min.",
        f"- Machine: {info['cores']} cores ({info['cpu']}), {info['memory']} RAM, "
        f"{info['system']}; Python {info['python']}, pandas {info['pandas']}, pyarrow "
        f"{info['pyarrow']}, numpy {info['numpy']}, DuckDB {info['duckdb']}, openpyxl "
        f"{info['openpyxl']}, fastexcel {info.get('fastexcel', '?')}.",
        f"- Code: commit {info['commit'] or '?'}"
        + (", with uncommitted changes in salesmetrics/" if info["dirty"] == "yes" else "")
        + ".",
        f"- Load average (1/5/15 min) before: {info['load']}; after: {load_after}. With a load "
        f"above {info['cores']} other processes shared the cores and wall times are inflated; "
        "CPU time (user + system, of the measured process alone) is given alongside.",
        "",
        "Times are seconds, as median [min–max] over the runs; peak RSS is the largest over the "
        "runs. Each run is a fresh process, so Python start-up and imports are included, as a "
        "user or cron sees them.",
        "",
        "## Targets (issues 7 and 16)",
        "",
        "| target | measured | CPU time | limit | met | by |",
        "|---|---|---|---|---|---|",
    ]
    for goal in goals:
        met = "yes" if goal.met else "**no**"
        lines.append(
            f"| {goal.what} | {goal.measured} | {goal.cpu} | {goal.limit} | {met} | {goal.by} |"
        )
    lines += ["", "## Data", ""]
    lines += [
        "Synthetic exports in the sample company's formats (`benchmarks/generate.py`), read "
        "through the `sample/*` mappings: a HubSpot deals export with stage history in USD, EUR "
        "and GBP (a few rows without a Create Date, rejected, and a few re-exported duplicates, "
        "dropped), the activity log (57% emails, with opened, replied and bounced flags) and "
        "the rep roster (20 reps in three teams). The report config is "
        "`benchmarks/report.yaml`: the sample company's options (last month, compared with the "
        "month before, 6-month trend, USD at EUR 1.08 and GBP 1.27), `--as-of 2026-11-01`. "
        "KPIs that need leads, subscriptions, orders, costs or targets are skipped, as they "
        "would be for a user with these three exports.",
        "",
        "| size | deals used | activities used | CSV size |",
        "|---|---|---|---|",
    ]
    for size in sizes:
        lines.append(
            f"| {size.name} | {size.rows.get('deals', 0):,} | "
            f"{size.rows.get('activities', 0):,} | {size.megabytes:,.0f} MB |"
        )
    lines += [
        "",
        "## Whole processes",
        "",
        "| size | process | runs | wall s | CPU s | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    for size in sizes:
        for item in (
            size.reference,
            size.report_json,
            size.report_xlsx,
            size.check_month,
            size.check_week,
            *([size.limited] if size.limited else []),
        ):
            label = item.label + (" (**failed**, below)" if item.error else "")
            lines.append(
                f"| {size.name} | {label} | {len(item.runs)} | {_s(item.stat('wall'))} | "
                f"{_s(item.stat('cpu'))} | {item.rss:,.0f} |"
            )
    for item in [*startup, xlsx_read]:
        lines.append(
            f"| – | `{item.label}` | {len(item.runs)} | {_s(item.stat('wall'), 3)} | "
            f"{_s(item.stat('cpu'), 3)} | {item.rss:,.0f} |"
        )
    lines += [
        "",
        "The DuckDB reference computes 10 KPIs over 22 months (close KPIs per month × owner, "
        "email KPIs per ISO week × owner, with totals); the full default report computes every "
        "KPI the inputs allow for one month, its previous month and a 6-month trend; the two "
        "`by owner ×` reports compute exactly what the reference does, so they are the "
        "like-for-like comparison.",
        "",
        "## Ratios to DuckDB",
        "",
        "| size | process | wall ÷ reference wall | CPU ÷ reference CPU |",
        "|---|---|---|---|",
    ]
    for size in sizes:
        ref = size.reference
        like_wall = size.check_month.wall + size.check_week.wall
        like_cpu = size.check_month.cpu + size.check_week.cpu
        for label, wall, cpu in (
            ("full default report, JSON", size.report_json.wall, size.report_json.cpu),
            ("Excel report, 12-month trend", size.report_xlsx.wall, size.report_xlsx.cpu),
            ("like for like (both `by owner ×` reports)", like_wall, like_cpu),
        ):
            lines.append(
                f"| {size.name} | {label} | {wall / ref.wall:.1f}× | {cpu / ref.cpu:.1f}× |"
            )
    lines += [
        "",
        "## Stages inside one report process",
        "",
        "`benchmarks/stages.py`: the Excel report (default KPIs, 12-month trend) through the "
        "library in one process, one run.",
        "",
        "| size | | import | load inputs | compute | render JSON | write xlsx |",
        "|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        t, peak = size.stages["seconds"], size.stages["peak_mb"]
        stages = ("import", "load", "compute", "render_json", "write_xlsx")
        lines.append(f"| {size.name} | s | " + " | ".join(f"{t[k]:.2f}" for k in stages) + " |")
        lines.append(
            f"| {size.name} | peak RSS MB after | "
            + " | ".join(f"{peak[k]:,.0f}" for k in stages)
            + " |"
        )
    lines.append("")
    lines.append(
        "Memory the loaded frames hold (pandas `memory_usage(deep=True)`): "
        + "; ".join(
            f"{size.name}: "
            + ", ".join(f"{k} {v:,.0f} MB" for k, v in size.stages["frames_mb"].items())
            for size in sizes
        )
        + "."
    )
    if len(sizes) > 1:
        lines += _scaling(sizes[0], sizes[-1])
    lines += _pandas_engine(sizes)
    lines += _memory_limit(sizes)
    if outcome.scaling:
        lines += _scaling_series(outcome.scaling)
    lines += ["", "## Reference check", ""]
    for size in sizes:
        if not size.check.mismatches:
            lines.append(
                f"- {size.name}: all {size.check.compared:,} values agree (relative tolerance "
                f"{REL_TOL:g}): {len(CLOSE_KPIS)} close KPIs per month × owner and "
                f"{len(EMAIL_KPIS)} email KPIs per ISO week × owner, with their totals."
            )
        else:
            lines.append(
                f"- {size.name}: **{len(size.check.mismatches):,} of {size.check.compared:,} "
                "values differ** (the run failed); the first ones:"
            )
            lines += [f"  - {m}" for m in size.check.mismatches[:20]]
    if profiles:
        lines += ["", "## Profiles", ""]
        lines.append(
            "pyinstrument on the processes behind the targets not met (the largest size run); "
            "full text reports in `benchmarks/data/profiles/` (not committed). Own time is "
            "time in the frame itself, not its callees; salesmetrics functions are timed "
            "with their callees. Shares are of the whole run (the profiler slows it somewhat)."
        )
        for item in profiles.values():
            lines += [
                "",
                f"### {item.title}",
                "",
                f"`pyinstrument {item.command}`: {item.duration:.1f} s.",
                "",
                "| own time: frame | s | share | from (nearest salesmetrics caller, s) |",
                "|---|---|---|---|",
            ]
            for label, secs, where in item.self_top:
                lines.append(f"| `{label}` | {secs:.2f} | {secs / item.duration:.0%} | {where} |")
            lines += ["", "| salesmetrics function, with callees | s | share |", "|---|---|---|"]
            for label, secs in item.ours_top:
                lines.append(f"| `{label}` | {secs:.2f} | {secs / item.duration:.0%} |")
            if item.kpi_top:
                lines += ["", "| KPI function the engine calls, with callees | s | share |"]
                lines.append("|---|---|---|")
                for label, secs in item.kpi_top:
                    lines.append(f"| `{label}` | {secs:.2f} | {secs / item.duration:.0%} |")
    if PROPOSALS.exists():
        lines += ["", PROPOSALS.read_text(encoding="utf-8").strip()]
    text = "\n".join(lines) + "\n"
    if CORE_PICKLE.exists():  # the out-of-core series' last figures, kept (`outofcore`)
        text = _spliced(text, _core_section(pickle.loads(CORE_PICKLE.read_bytes())))
    RESULTS.write_text(text, encoding="utf-8")


def _pandas_engine(sizes: list[SizeResult]) -> list[str]:
    """The full default JSON report against the last pandas engine's recorded figures."""
    rows = [s for s in sizes if s.name in PANDAS_ENGINE]
    if not rows:
        return []
    lines = [
        "",
        "## Against the last pandas engine (issue 16)",
        "",
        "The pandas engine is deleted; its full default JSON report was last timed in the "
        f"`make bench` of {PANDAS_MEASURED} (one run per size, on this machine, load "
        "average 1.8 to 3.8): fixed figures (`PANDAS_ENGINE` in `run.py`), not measured in "
        "this run.",
        "",
        "| size | DuckDB engine wall (CPU) s, this run | pandas engine wall (CPU) s, recorded "
        "| wall ratio | CPU ratio | peak RSS MB, this run | pandas, recorded |",
        "|---|---|---|---|---|---|---|",
    ]
    for size in rows:
        ours, theirs = size.report_json, PANDAS_ENGINE[size.name]
        lines.append(
            f"| {size.name} | {ours.wall:.2f} ({ours.cpu:.2f}) | {theirs.wall:.2f} "
            f"({theirs.cpu:.2f}) | {ours.wall / theirs.wall:.2f}× | {ours.cpu / theirs.cpu:.2f}× "
            f"| {ours.rss:,.0f} | {theirs.rss_mb:,.0f} |"
        )
    return lines


def _memory_limit(sizes: list[SizeResult]) -> list[str]:
    """The full default JSON report under --memory-limit, beside the same report without."""
    rows = [s for s in sizes if s.limited is not None]
    if not rows:
        return []
    lines = [
        "",
        f"## Under `--memory-limit {MEMORY_LIMIT}` (issue 16)",
        "",
        f"The full default JSON report once more with `--memory-limit {MEMORY_LIMIT}`: DuckDB's "
        "own limit, beyond which its joins, sorts and aggregates spill to a temporary folder. "
        "The loaded frames, which DuckDB reads in place, are outside it. Its values are "
        "compared with the report's without the limit (value, previous and trend, 1e-9 "
        "relative); the run exits 1 when they differ.",
        "",
        "| size | without: wall (CPU) s, peak RSS MB | with: wall (CPU) s, peak RSS MB | "
        "completed | values | differ |",
        "|---|---|---|---|---|---|",
    ]
    for size in rows:
        plain, limited, same = size.report_json, size.limited, size.same
        assert limited is not None
        lines.append(
            f"| {size.name} | {plain.wall:.2f} ({plain.cpu:.2f}), {plain.rss:,.0f} | "
            f"{limited.wall:.2f} ({limited.cpu:.2f}), {limited.rss:,.0f} | "
            f"{_completed(limited)} | {f'{same.compared:,}' if same else '–'} | "
            f"{len(same.mismatches) if same else '–'} |"
        )
        lines += [f"  - {m}" for m in (same.mismatches[:20] if same else [])]
    return lines


def _completed(item: Series) -> str:
    return "yes" if item.error is None else f"**no**: `{item.error}`"


def _scaling_series(points: list[ScalePoint]) -> list[str]:
    """The scaling table, and what it says about time and memory out of core."""
    lines = [
        "",
        "## Scaling to 10M activities, with and without a memory limit (issue 16)",
        "",
        f"`BENCH_SIZES=...,scaling`: the full default JSON report (as above) over large's "
        f"million deals with {', '.join(f'{p.activities / 1e6:g}M' for p in points)} "
        f"activities, each a whole process run once, without and with `--memory-limit "
        f"{MEMORY_LIMIT}`; the DuckDB reference on the same files beside them. A report that "
        "fails is recorded with its last line on stderr.",
        "",
        "| activities | CSV MB | reference wall (CPU) s | report wall (CPU) s | peak RSS MB "
        f"| `--memory-limit {MEMORY_LIMIT}`: wall (CPU) s | peak RSS MB | completed | "
        "values differ | report wall ÷ reference |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        differ = len(p.same.mismatches) if p.same else "–"
        lines.append(
            f"| {p.activities / 1e6:g}M | {p.megabytes:,.0f} | {p.reference.wall:.2f} "
            f"({p.reference.cpu:.2f}) | {_timed(p.report)} | {p.report.rss:,.0f} | "
            f"{_timed(p.limited)} | {p.limited.rss:,.0f} | {_completed(p.limited)} | {differ} | "
            f"{p.report.wall / p.reference.wall:.1f}× |"
        )
    first, last = points[0], points[-1]
    rows = (last.deals + last.activities) / (first.deals + first.activities)
    lines += ["", _out_of_core(first, last, rows, points)]
    return lines


def _timed(item: Series) -> str:
    return f"{item.wall:.2f} ({item.cpu:.2f})"


def _out_of_core(first: ScalePoint, last: ScalePoint, rows: float, points) -> str:
    """One paragraph from the figures: how time grows with the rows, and where RSS stays."""

    def grows(a: Series, b: Series) -> str:
        return f"{b.wall / a.wall:.1f}× in wall time ({b.cpu / a.cpu:.1f}× in CPU)"

    said = (
        f"From {first.activities / 1e6:g}M to {last.activities / 1e6:g}M activities the rows "
        f"read (deals and activities) grow {rows:.1f}×; the report grows "
        f"{grows(first.report, last.report)} without the limit, the DuckDB reference "
        f"{grows(first.reference, last.reference)}."
    )
    completed = [p for p in points if p.limited.error is None]
    failed = [p for p in points if p.limited.error is not None]
    if completed:
        low, high = completed[0], completed[-1]
        said += (
            f" Under `--memory-limit {MEMORY_LIMIT}` it completed at "
            f"{', '.join(f'{p.activities / 1e6:g}M' for p in completed)} activities, growing "
            f"{grows(low.limited, high.limited)} from {low.activities / 1e6:g}M to "
            f"{high.activities / 1e6:g}M, at "
            + ", ".join(f"{p.limited.wall / p.report.wall:.2f}×" for p in completed)
            + " the unlimited report's wall time; its peak RSS was "
            + ", ".join(f"{p.limited.rss:,.0f}" for p in completed)
            + " MB against "
            + ", ".join(f"{p.report.rss:,.0f}" for p in completed)
            + " MB without the limit (the loaded frames, which DuckDB reads in place, are "
            "outside its limit)."
        )
    for p in failed:
        said += (
            f" At {p.activities / 1e6:g}M activities it failed after {p.limited.wall:.1f} s "
            f"at {p.limited.rss:,.0f} MB: `{p.limited.error}`."
        )
    return said


def _scaling(small: SizeResult, large: SizeResult) -> list[str]:
    def rows(size: SizeResult) -> int:
        return size.rows.get("deals", 0) + size.rows.get("activities", 0)

    growth = rows(large) / rows(small)
    lines = [
        "",
        f"## Scaling from {small.name} to {large.name}",
        "",
        f"Rows (deals + activities) grow {growth:.1f}× ({rows(small):,} → {rows(large):,}); "
        "linear cost grows as much. Ratio of the medians:",
        "",
        f"| what | {small.name} | {large.name} | {large.name} ÷ {small.name} | "
        f"per million rows, {large.name} |",
        "|---|---|---|---|---|",
    ]
    pairs = [
        ("DuckDB reference, wall s", small.reference.wall, large.reference.wall),
        ("report JSON, wall s", small.report_json.wall, large.report_json.wall),
        ("report JSON, CPU s", small.report_json.cpu, large.report_json.cpu),
        ("report xlsx, wall s", small.report_xlsx.wall, large.report_xlsx.wall),
        ("report JSON, peak RSS MB", small.report_json.rss, large.report_json.rss),
    ]
    for stage in ("load", "compute", "write_xlsx"):
        pairs.append(
            (
                f"stage {stage.replace('_', ' ')}, s",
                small.stages["seconds"][stage],
                large.stages["seconds"][stage],
            )
        )
    for label, a, b in pairs:
        lines.append(
            f"| {label} | {a:,.2f} | {b:,.2f} | {b / a:.1f}× | {b / (rows(large) / 1e6):,.2f} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_SIZES", "small,large"),
        help="comma-separated: tiny, small, large, and scaling for the scaling series "
        "(default: $BENCH_SIZES or small,large)",
    )
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "3")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", "1")))
    parser.add_argument(
        "--budget",
        type=float,
        default=float(os.environ.get("BENCH_BUDGET", "420")),
        help="seconds per size for the repeated runs, shared by the three timed processes: a "
        "process runs fewer times (at least once) when more would pass its share (default: "
        "$BENCH_BUDGET or 420)",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip pyinstrument")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: rewrite RESULTS.md from the last run (after editing proposals.md)",
    )
    args = parser.parse_args()
    if args.render_only:
        outcome = pickle.loads(LAST_RUN.read_bytes())
        write_results(outcome)
        say(f"wrote {RESULTS.relative_to(ROOT)} from the run of {outcome.finished:%Y-%m-%d %H:%M}")
        return 1 if any(s.check.mismatches for s in outcome.sizes) else 0
    given = [s.strip() for s in args.sizes.split(",") if s.strip()]
    names = [n for n in given if n not in (SCALING, OUT_OF_CORE)]
    unknown = [n for n in names if n not in generate.SIZES or generate.SIZES[n].xlsx]
    if unknown or not given:
        parser.error(f"unknown sizes {unknown}; use tiny, small, large, scaling, outofcore")
    if OUT_OF_CORE in given:
        RUNS.mkdir(parents=True, exist_ok=True)
        core = run_out_of_core(args.seed, not args.no_profile)
        CORE_PICKLE.write_bytes(pickle.dumps(core))
        section = _core_section(core)
        old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
        RESULTS.write_text(_spliced(old, section), encoding="utf-8")
        say(f"wrote the out-of-core section of {RESULTS.relative_to(ROOT)}")
        split = [
            p
            for p in core.points
            if (p.same and p.same.mismatches) or (p.reference and p.reference.mismatches)
        ]
        for p in split:
            for line in [
                *(p.same.mismatches if p.same else []),
                *(p.reference.mismatches if p.reference else []),
            ][:10]:
                say(f"outofcore {p.activities / 1e6:g}M: {line}")
        if not names:
            return 1 if split else 0

    began = time.perf_counter()
    RUNS.mkdir(parents=True, exist_ok=True)
    info = machine()
    say(f"{info['cores']} cores, {info['memory']}, load {info['load']}")
    startup = [
        series("salesmetrics --help", [SALESMETRICS, "--help"], 5),
        series("salesmetrics --version", [SALESMETRICS, "--version"], 5),
    ]
    say("xlsx: data and reading")
    xlsx_path = generate.generate("xlsx", args.seed) / "deals.xlsx"
    xlsx_read = series("salesmetrics validate deals.xlsx", xlsx_read_command(xlsx_path), 3)
    sizes = [run_size(name, args.seed, args.repeat, args.budget) for name in names]
    scaling = run_scaling(args.seed, sizes) if SCALING in given else []
    goals = targets(sizes, startup, xlsx_read)

    profiles: dict[str, Profile] = {}
    if not args.no_profile and sizes:
        largest = generate.folder(sizes[-1].name, args.seed)
        work = RUNS / sizes[-1].name
        missed = {g.profile_key for g in goals if not g.met}
        if "json" in missed:
            say("profiling the JSON report")
            profiles["json"] = profile(
                f"Full default report to JSON ({sizes[-1].name})",
                json_command(largest, work / "profiled.json"),
                f"report-json-{sizes[-1].name}",
                0.005,
            )
        if "xlsx" in missed:
            say("profiling the xlsx report")
            profiles["xlsx"] = profile(
                f"Excel report, 12-month trend ({sizes[-1].name})",
                xlsx_command(largest, work / "profiled.xlsx"),
                f"report-xlsx-{sizes[-1].name}",
                0.005,
            )
        if "xlsx_read" in missed:
            say("profiling the xlsx reading")
            profiles["xlsx_read"] = profile(
                "Reading the 100k-row xlsx", xlsx_read_command(xlsx_path), "validate-xlsx", 0.001
            )
        if "startup" in missed:
            say("profiling salesmetrics --help")
            profiles["startup"] = profile(
                "salesmetrics --help", [SALESMETRICS, "--help"], "help", 0.0005
            )

    outcome = Outcome(
        info,
        _load(),
        args.seed,
        args.repeat,
        sizes,
        startup,
        xlsx_read,
        goals,
        profiles,
        time.perf_counter() - began,
        datetime.now(UTC),
        scaling,
    )
    LAST_RUN.write_bytes(pickle.dumps(outcome))
    write_results(outcome)
    say(f"wrote {RESULTS.relative_to(ROOT)}")
    for goal in goals:
        say(f"target {'met' if goal.met else 'NOT met'}: {goal.what}: {goal.measured}")
    failed = [s for s in sizes if s.check.mismatches]
    for size in failed:
        say(f"{size.name}: {len(size.check.mismatches)} values differ from the reference:")
        for line in size.check.mismatches[:10]:
            say(f"  {line}")
    checked = [(s.name, s.same) for s in sizes] + [(p.name, p.same) for p in scaling]
    split = [(name, same) for name, same in checked if same is not None and same.mismatches]
    for name, same in split:
        say(f"{name}: {len(same.mismatches)} values differ under --memory-limit {MEMORY_LIMIT}:")
        for line in same.mismatches[:10]:
            say(f"  {line}")
    return 1 if failed or split else 0


if __name__ == "__main__":
    sys.exit(main())
