"""Recognising an export: which mapping (a preset, or one of the user's own) fits a file.

Only the header row is read. Each candidate mapping is scored on two shares:

- coverage: the share of the mapping's columns found in the file (a column counts as found
  when any of its aliases is a header; headers match case-insensitively, trimmed, BOM removed);
- explained: the share of the file's columns the mapping reads.

The score is their mean, from 0 to 1. A mapping can win only when every column it needs is
there (its required fields and the columns its filters and rules test) and it scores at least
MIN_SCORE. When another mapping that could also read the file scores within MARGIN of the
best, the file is ambiguous and nothing is guessed, unless one of them is plainly the better:
a mapping of the user's own beats a preset; one at least as good on both shares as the others
and better on one beats them (an exact fit beats a generic preset that also reads the file);
a mapping beats the ones it `extends`.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from salesmetrics.config import AUTO_MAPPING, InputSpec
from salesmetrics.errors import InputError, MappingError
from salesmetrics.ingest.mapping import (
    Mapping,
    ReadOptions,
    fold,
    list_presets,
    load_mapping,
    resolve_mapping,
)
from salesmetrics.ingest.read import (
    HEADER_SEARCH_ROWS,
    SNIFF_BYTES,
    _decode_head,
    _find_header_row,
    _head_rows,
    _sniff_delimiter,
    _unique_names,
    is_excel,
)
from salesmetrics.yamlfile import Node, YamlError, load_yaml

MIN_SCORE = 0.5
"""The least score that recognises a file. An export of a few chosen columns (9 of a preset's
28, every one of them the preset's) scores about 0.68 and passes; an export of every property
passes when the preset finds 90% of its columns and they are a tenth of the file. A file that
shares only a few headers with a mapping (its required ones among a dozen others) scores
about 0.2, and half of a preset's columns without its required ones cannot win at all."""
MARGIN = 0.05
"""Two loadable mappings whose scores differ by less than this are too close to choose from."""
SHOWN = 3
"""Candidates listed in an error."""

DATA_SUFFIXES = (".csv", ".csv.gz", ".xlsx", ".xls")
_PLACEHOLDER = re.compile(r"^\(column \d+\)$")


@dataclass(frozen=True)
class Candidate:
    """A mapping that may read a file: a preset, or a file in one of the user's folders."""

    name: str  # the preset name, or the .yaml path of the user's own
    mapping: Mapping
    own: bool = False  # from the config's `mappings:` folders
    ancestors: frozenset[Path] = frozenset()  # the files it extends, directly or not


@dataclass(frozen=True)
class Score:
    """How well one candidate fits one file's headers."""

    candidate: Candidate
    found: int  # the mapping's columns found in the file
    columns: int  # the mapping's columns
    used: int  # the file's columns the mapping reads
    headers: int  # the file's columns
    missing_required: tuple[str, ...] = ()  # what it needs and the file lacks
    missing: tuple[str, ...] = ()  # optional columns the file lacks
    unreadable: str | None = None  # its read options do not fit the file (no such sheet, ...)

    @property
    def coverage(self) -> float:
        return self.found / self.columns if self.columns else 0.0

    @property
    def explained(self) -> float:
        return self.used / self.headers if self.headers else 0.0

    @property
    def value(self) -> float:
        return 0.0 if self.unreadable else (self.coverage + self.explained) / 2

    @property
    def loadable(self) -> bool:
        """Every column the mapping needs is in the file."""
        return not self.missing_required and self.unreadable is None

    @property
    def fits(self) -> bool:
        return self.loadable and self.value >= MIN_SCORE

    def summary(self) -> str:
        """`hubspot_deals 0.62 (12 of 23 columns found; missing required deal_id (Record ID))`."""
        name = self.candidate.name
        if self.unreadable:
            return f"{name} (cannot read the file: {self.unreadable})"
        parts = [f"{self.found} of its {self.columns} columns found"]
        if self.missing_required:
            parts.append("missing required " + _listed(self.missing_required))
        if self.missing:
            parts.append("missing " + _listed(self.missing))
        return f"{name} {self.value:.2f} ({'; '.join(parts)})"


@dataclass(frozen=True)
class Recognition:
    """The mapping chosen for a file, and every candidate's score, best first."""

    path: str
    chosen: Score
    scores: tuple[Score, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return self.chosen.candidate.name

    def reason(self) -> str:
        """One line for stderr: which mapping, and why."""
        s = self.chosen
        runner_up = next((o for o in self.scores if o is not s and o.loadable), None)
        nxt = f", next {runner_up.candidate.name} {runner_up.value:.2f}" if runner_up else ""
        return (
            f"{self.path}: recognised as {self.name} ({s.used} of {s.headers} columns, all "
            f"required fields; {s.found} of its {s.columns} columns found; "
            f"score {s.value:.2f}{nxt})"
        )


class NotRecognised(InputError):
    """No mapping fits a file, or several fit it about equally. The message says it all; the
    candidates (best first) are kept for a summary of many files, which says it in brief."""

    def __init__(self, message: str, path: str, candidates: Sequence[Score], ambiguous: bool):
        super().__init__(message)
        self.path = path
        self.candidates = tuple(candidates)
        self.ambiguous = ambiguous

    def brief(self) -> str:
        """One line: `costs.csv: not recognised; nearest: zoho_deals 0.13 (lacks deal_id,
        created_at), ...`, each candidate by name, score and the fields it lacks."""
        if self.ambiguous:
            shown = ", ".join(f"{s.candidate.name} {s.value:.2f}" for s in self.candidates[:SHOWN])
            return (
                f"{self.path}: not recognised: {len(self.candidates)} mappings fit it about "
                f"equally ({shown})"
            )
        near = [s for s in self.candidates if s.value > 0]
        if not near:
            return f"{self.path}: not recognised: no mapping shares a column with it"
        return f"{self.path}: not recognised; nearest: " + ", ".join(_brief(s) for s in near[:2])


def _brief(s: Score) -> str:
    """`zoho_deals 0.13 (lacks deal_id, created_at)`: a candidate in a few words."""
    if s.unreadable:
        return f"{s.candidate.name} (cannot read the file: {s.unreadable})"
    lacks = [item.split(" (", 1)[0] for item in s.missing_required]
    return f"{s.candidate.name} {s.value:.2f}" + (f" (lacks {_listed(lacks, 3)})" if lacks else "")


def _aliases(aliases: Sequence[str], most: int = 3) -> str:
    return " / ".join(aliases[:most]) + (" / ..." if len(aliases) > most else "")


def _listed(items: Sequence[str], most: int = 4) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


# ----------------------------------------------------------------------------- candidates


def candidates(folders: Iterable[Path] = ()) -> list[Candidate]:
    """Every preset, then every mapping (`*.yaml`, `*.yml`) in `folders`, in name order."""
    found = []
    for name in list_presets():
        path = resolve_mapping(name)
        found.append(Candidate(name, load_mapping(name), False, _ancestors(path)))
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise MappingError(f"{folder}: mappings folder not found")
        files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        for path in files:
            name = _display(path)
            found.append(Candidate(name, load_mapping(name), True, _ancestors(path)))
    return found


def _display(path: Path) -> str:
    """A user's mapping by its path relative to the working folder when it is below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _ancestors(path: Path) -> frozenset[Path]:
    """The files `path` extends, following `extends:` up the chain."""
    seen: list[Path] = []
    current = path
    while True:
        try:
            raw = load_yaml(current)
        except YamlError as exc:
            raise MappingError(str(exc)) from None
        parent = raw.get("extends") if isinstance(raw, Node) else None
        if not isinstance(parent, str):
            return frozenset(seen)
        current = resolve_mapping(parent, current.parent).resolve()
        if current in seen:  # a loop; load_mapping reports it
            return frozenset(seen)
        seen.append(current)


# -------------------------------------------------------------------------------- headers


class HeaderReader:
    """The header row of one file as each set of read options sees it, read once per set.

    Only the first SNIFF_BYTES of a CSV (after gunzipping) and the first rows of a sheet are
    read, with the same delimiter, encoding and header-row rules as a full read.
    """

    def __init__(self, path: str) -> None:
        if path == "-":
            raise InputError(
                "standard input cannot be recognised (it can be read only once): "
                "give it a --mapping"
            )
        self.path = path
        self._head: bytes | None = None
        self._book: object | None = None
        self._sheets: dict[str, list[list[str]]] = {}
        self._cache: dict[tuple, list[str]] = {}

    def headers(self, options: ReadOptions) -> list[str]:
        if self._is_excel():
            key: tuple = ("excel", options.sheet, options.header_row)
        else:
            key = ("csv", options.encoding, options.delimiter, options.header_row)
        if key not in self._cache:
            self._cache[key] = self._read(options)
        return self._cache[key]

    def _read(self, options: ReadOptions) -> list[str]:
        if self._is_excel():
            return self._excel(options)
        return self._csv(options)

    def _bytes(self) -> bytes:
        if self._head is None:
            try:
                if self.path.lower().endswith(".gz"):
                    with gzip.open(self.path, "rb") as handle:
                        head = handle.read(SNIFF_BYTES)
                else:
                    with open(self.path, "rb") as handle:
                        head = handle.read(SNIFF_BYTES)
            except FileNotFoundError:
                raise InputError(f"{self.path}: file not found") from None
            except IsADirectoryError:
                raise InputError(f"{self.path}: is a folder, not a file") from None
            except (OSError, EOFError) as exc:
                raise InputError(f"{self.path}: cannot read it ({exc})") from None
            if not head.strip():
                raise InputError(
                    f"{self.path}: the file is empty; export it again with its header row"
                )
            self._head = head
        return self._head

    def _is_excel(self) -> bool:
        from salesmetrics.ingest.read import EXCEL_MAGIC

        return is_excel(self.path) or self._bytes().startswith(EXCEL_MAGIC)

    def _csv(self, options: ReadOptions) -> list[str]:
        _, data, head = _decode_head(self.path, self._bytes(), options.encoding)
        delimiter = options.delimiter
        if delimiter == "whitespace":
            data = re.sub(rb"(?m)^[ \t]+|[ \t]+(?=\r?$)", b"", data)
            head = re.sub(rb"[ \t]+", b",", data).decode("utf-8", errors="replace")
            delimiter = ","
        elif delimiter == "auto":
            delimiter = _sniff_delimiter(head.splitlines()[:HEADER_SEARCH_ROWS])
        rows = _head_rows(head, delimiter, HEADER_SEARCH_ROWS + 30)
        header_row = _find_header_row(rows, options)
        if header_row > len(rows):
            raise InputError(f"{self.path}: there is no row {header_row} to take the header from")
        return _unique_names(rows[header_row - 1])

    def _excel(self, options: ReadOptions) -> list[str]:
        text = self._sheet_rows(options.sheet if options.sheet is not None else 0)
        header_row = _find_header_row(text, options)
        if header_row > len(text):
            raise InputError(f"{self.path}: there is no row {header_row} to take the header from")
        return _unique_names(text[header_row - 1])

    def _sheet_rows(self, ref: str | int) -> list[list[str]]:
        """The first rows of a sheet as text, read once per sheet."""
        from python_calamine import CalamineWorkbook

        if self._book is None:
            try:
                self._book = CalamineWorkbook.from_path(self.path)
            except Exception as exc:  # calamine raises its own untyped errors
                raise InputError(f"{self.path}: not a readable Excel workbook ({exc})") from None
        book: Any = self._book
        names = list(book.sheet_names)
        if isinstance(ref, int):
            if not 0 <= ref < len(names):
                raise InputError(f"{self.path}: there is no sheet number {ref}")
            sheet = names[ref]
        else:
            matches = [n for n in names if fold(n) == fold(ref)]
            if not matches:
                raise InputError(f"{self.path}: no sheet named {ref!r}")
            sheet = matches[0]
        if sheet not in self._sheets:
            rows = book.get_sheet_by_name(sheet).to_python(
                skip_empty_area=False, nrows=HEADER_SEARCH_ROWS + 1
            )
            if not rows:
                raise InputError(f"{self.path}: sheet {sheet!r} is empty")
            self._sheets[sheet] = [["" if c is None else str(c) for c in r] for r in rows]
        return self._sheets[sheet]


def read_headers(path: str, options: ReadOptions | None = None) -> list[str]:
    """The file's headers as a mapping with `options` would read them (blank ones left out)."""
    names = HeaderReader(path).headers(options or ReadOptions())
    return [h for h in names if not _PLACEHOLDER.match(h)]


# -------------------------------------------------------------------------------- scoring


def score(candidate: Candidate, headers: Sequence[str]) -> Score:
    """How well `candidate` fits a file with these headers (placeholders for blanks ignored)."""
    headers = [h for h in headers if not _PLACEHOLDER.match(h)]
    mapping = candidate.mapping
    by_fold = {fold(h): h for h in headers}
    used: set[str] = set()
    found = 0
    missing: list[str] = []
    missing_required: list[str] = []
    provided = set(mapping.constants) | set(mapping.derive)
    for name, aliases in mapping.columns.items():
        hit = next((by_fold[fold(a)] for a in aliases if fold(a) in by_fold), None)
        shown = f"{name} ({_aliases(aliases)})"
        if hit is not None:
            found += 1
            used.add(hit)
            provided.add(name)
        elif _required(mapping, name):
            missing_required.append(shown)
        else:
            missing.append(shown)
    for column in _condition_columns(mapping):
        if fold(column) in by_fold:
            used.add(by_fold[fold(column)])
        else:
            missing_required.append(f"{column!r} (a filter or rule tests it)")
    entity = mapping.entity
    for name in entity.required:
        if name in provided or name in mapping.columns or _derived(mapping, name, provided):
            continue
        missing_required.append(f"{name} (not in the mapping)")
    for group in entity.one_of:
        if not provided & set(group):
            missing_required.append(" or ".join(group))
    return Score(
        candidate,
        found=found,
        columns=len(mapping.columns),
        used=len(used),
        headers=len(headers),
        missing_required=tuple(missing_required),
        missing=tuple(missing),
    )


def _required(mapping: Mapping, name: str) -> bool:
    spec = mapping.entity.field(name)
    if spec is None or not spec.required:
        return False
    return name not in mapping.constants and name not in mapping.derive


def _derived(mapping: Mapping, name: str, provided: set[str]) -> bool:
    """Fields the loader derives itself: a deal's status from its stage, an order's amount."""
    entity = mapping.entity.name
    if entity == "deals" and name == "status":
        return "stage" in provided
    if entity == "orders" and name == "amount":
        return {"quantity", "unit_price"} <= provided
    return False


def _condition_columns(mapping: Mapping) -> list[str]:
    conditions = [f.condition for f in mapping.filters]
    for derivation in mapping.derive.values():
        conditions += [r.when for r in derivation.rules if r.when is not None]
    return [c.column for c in conditions if c.column is not None]


def score_file(path: str, pool: Sequence[Candidate]) -> list[Score]:
    """Every candidate's score on `path`, best first (ties by name, so the order is stable)."""
    reader = HeaderReader(path)
    reader.headers(ReadOptions())  # problems of the file itself (missing, empty) stop here
    scores = []
    for candidate in pool:
        options = candidate.mapping.read
        if not options.header:
            continue  # a headerless format cannot be told by its headers
        try:
            headers = reader.headers(replace(options, footer=0))
        except InputError as exc:
            scores.append(
                Score(candidate, 0, len(candidate.mapping.columns), 0, 0, unreadable=_short(exc))
            )
            continue
        scores.append(score(candidate, headers))
    scores.sort(key=lambda s: (-s.value, not s.loadable, s.candidate.name))
    return scores


def _short(exc: Exception) -> str:
    text = str(exc)
    return text.split(": ", 1)[1] if ": " in text else text


# ---------------------------------------------------------------------------- recognising


def recognise(path: str, pool: Sequence[Candidate]) -> Recognition:
    """The mapping for `path`, or an InputError listing the best candidates and what they lack."""
    scores = score_file(path, pool)
    if not scores:
        raise InputError(f"{path}: no mapping to recognise it with; give it a --mapping")
    fitting = [s for s in scores if s.fits]
    hint = (
        f"name its mapping (--mapping NAME, or `mapping:` in the config), or write one with "
        f"`salesmetrics mappings infer {path}`"
    )
    if not fitting:
        near = [s for s in scores[:SHOWN] if s.value > 0]
        shown = "; ".join(s.summary() for s in near) or "none shares a column with it"
        raise NotRecognised(
            f"{path}: not recognised: no mapping fits its columns (one needs all its required "
            f"columns and a score of {MIN_SCORE}: the mean of the share of its columns found "
            f"and the share of the file's columns it reads); best candidates: {shown}; {hint}",
            path,
            near,
            ambiguous=False,
        )
    best = fitting[0]
    close = [s for s in scores if s.loadable and s.value >= best.value - MARGIN]
    chosen = _most_specific(close)
    if chosen is None:
        shown = "; ".join(s.summary() for s in close[:SHOWN])
        raise NotRecognised(
            f"{path}: not recognised: {len(close)} mappings fit it about equally (scores "
            f"within {MARGIN}): {shown}; {hint}",
            path,
            close,
            ambiguous=True,
        )
    return Recognition(path, chosen, tuple(scores))


def _most_specific(close: list[Score]) -> Score | None:
    """The one to use among near-equal fits, or None when nothing singles one out: the user's
    own over presets; then one at least as good on both shares as every other (it finds as
    much of itself in the file and reads as much of the file) and better on one; then the one
    that extends all the others."""
    if len(close) == 1:
        return close[0] if close[0].fits else None
    own = [s for s in close if s.candidate.own]
    pool = own or close
    if len(pool) == 1:
        return pool[0] if pool[0].fits else None
    for s in pool:
        others = [o for o in pool if o is not s]
        if s.fits and all(_dominates(s, o) for o in others):
            return s
    paths = {s.candidate.mapping.path.resolve() for s in pool}
    for s in pool:
        others_paths = paths - {s.candidate.mapping.path.resolve()}
        if s.fits and others_paths <= s.candidate.ancestors:
            return s
    return None


def _dominates(a: Score, b: Score) -> bool:
    return (
        a.coverage >= b.coverage
        and a.used >= b.used
        and (a.coverage > b.coverage or a.used > b.used)
    )


# -------------------------------------------------------------------------------- folders


def files_in(folder: str | Path) -> list[str]:
    """The CSV and Excel exports in `folder` (not its subfolders), by name; hidden files and
    Office lock files (`~$book.xlsx`) left out."""
    folder = Path(folder)
    found = sorted(
        p
        for p in folder.iterdir()
        if p.name.lower().endswith(DATA_SUFFIXES)
        and not p.name.startswith((".", "~$"))
        and p.is_file()
    )
    if not found:
        raise InputError(
            f"{folder}: no CSV or Excel files in this folder ({', '.join(DATA_SUFFIXES)})"
        )
    return [str(p) for p in found]


def recognise_inputs(
    specs: Iterable[InputSpec],
    folders: Iterable[Path] = (),
    *,
    on_recognised: Callable[[Recognition], None] | None = None,
    on_unrecognised: Callable[[InputSpec, InputError], None] | None = None,
) -> tuple[InputSpec, ...]:
    """The inputs with every `auto` mapping replaced by the one recognised for its file;
    `on_recognised` hears of each (the CLI says on stderr which mapping and why). A file that
    cannot be recognised (or read) is an error, or, given `on_unrecognised`, handed to it and
    left out, so that every file is looked at."""
    specs = tuple(specs)
    if all(spec.mapping != AUTO_MAPPING for spec in specs):
        return specs
    pool = candidates(folders)
    resolved = []
    for spec in specs:
        if spec.mapping != AUTO_MAPPING:
            resolved.append(spec)
            continue
        try:
            found = recognise(spec.path, pool)
        except InputError as exc:
            if on_unrecognised is None:
                raise
            on_unrecognised(spec, exc)
            continue
        if on_recognised is not None:
            on_recognised(found)
        resolved.append(replace(spec, mapping=found.name, mapping_base=None))
    return tuple(resolved)
