"""Recognising an export: which mapping (a preset, or one of the user's own) fits a file.

Only the header row and the first rows are read. A mapping is scored by what it needs, not by
how much of the file it knows: the score is the share of the fields it looks for that the
file gives, from 0 to 1. It looks for what identifies its entity (a deal's stage or status, a
lead's creation date or status; `schema.Entity`) and the entity's important fields (for deals
deal_id, created_at, amount, closed_at, owner), those of them it maps; a field is found when
any of its aliases is a header (case-insensitively, trimmed, BOM removed, in any quote style
the mapping lists), or when the mapping derives it from fields found. Columns the mapping
does not know never count against it: an export of every property scores as a view of a
dozen columns does.

A mapping can win only when the file gives what identifies its entity (and the columns its
filters test) and it scores at least MIN_SCORE. Mappings that could load the file and score
within MARGIN of the best are a tie, settled only when one is plainly the one: a mapping of
the user's own beats a preset; a mapping beats the ones it `extends`; a preset of the CRM
whose signature columns the file has beats the others (SIGNATURES); one that finds as many of
its columns and reads as many of the file's as each other, and more of one, beats them.
Otherwise nothing is guessed: the error lists the tied mappings.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from salesmetrics.config import AUTO_MAPPING, InputSpec
from salesmetrics.errors import InputError, MappingError
from salesmetrics.ingest import fields, workbook
from salesmetrics.ingest.decode import decode_head
from salesmetrics.ingest.mapping import (
    PRESETS_DIR,
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
    _find_header_row,
    _head_rows,
    _sniff_delimiter,
    _unique_names,
    is_excel,
)
from salesmetrics.ingest.source import kept_pipe
from salesmetrics.yamlfile import Node, YamlError, load_yaml

MIN_SCORE = 0.5
"""The least score that recognises a file: half of the fields a mapping looks for. A HubSpot
deals view without `Create Date` finds 5 of the 6 that hubspot_deals looks for (0.83), a
Salesforce report without `Opportunity ID` and `Created Date` 4 of 6 (0.67); a file that
shares only a stage and an amount with a deals mapping 2 of 6 (0.33), and is not recognised."""
MARGIN = 0.05
"""Two loadable mappings whose scores differ by less than this are a tie."""
SHOWN = 3
"""Candidates listed in an error."""
SAMPLE_ROWS = 5
"""Data rows read below the header, for signatures in values (Zoho's `zcrm_` ids)."""

DATA_SUFFIXES = (".csv", ".csv.gz", ".xlsx", ".xls")
_PLACEHOLDER = re.compile(r"^\(column \d+\)$")


@dataclass(frozen=True)
class Signature:
    """What only one CRM writes, and the presets of that CRM it points to: all of `headers`,
    or a header matching `pattern`, or a value in the first rows starting with `value_prefix`.
    Signatures settle ties only; they never make a mapping fit."""

    crm: str
    presets: tuple[str, ...]
    headers: tuple[str, ...] = ()
    pattern: str | None = None
    value_prefix: str | None = None

    def shown_by(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str | None:
        """What in the file shows it (`columns Record ID and Deal Stage`), or None."""
        folded = {fold(h) for h in headers}
        if self.headers and all(fold(h) in folded for h in self.headers):
            return "columns " + " and ".join(self.headers)
        if self.pattern is not None:
            hit = next((h for h in headers if re.search(self.pattern, fold(h))), None)
            if hit is not None:
                return f"column {hit}"
        if self.value_prefix is not None:
            prefix = self.value_prefix.casefold()
            hit = next(
                (v for r in rows for v in r if v.strip().casefold().startswith(prefix)), None
            )
            if hit is not None:
                return f"ids like {hit.strip()}"
        return None


SIGNATURES = (
    Signature("HubSpot deals", ("hubspot_deals",), headers=("Record ID", "Deal Stage")),
    Signature("HubSpot contacts", ("hubspot_contacts",), headers=("Record ID", "Lifecycle Stage")),
    Signature("Pipedrive", ("pipedrive_deals",), pattern=r"^deal - "),
    Signature("Zoho CRM", ("zoho_deals", "zoho_leads"), pattern=r"\.id$", value_prefix="zcrm_"),
    Signature(
        "Salesforce opportunities",
        ("salesforce_opportunities",),
        pattern=r"^opportunity (id|name|owner)$",
    ),
    Signature("Salesforce leads", ("salesforce_leads",), pattern=r"^(lead id|company / account)$"),
)


@dataclass(frozen=True)
class Candidate:
    """A mapping that may read a file: a preset, or a file in one of the user's folders."""

    name: str  # the preset name, or the .yaml path of the user's own
    mapping: Mapping
    own: bool = False  # from the config's `mappings:` folders
    ancestors: frozenset[Path] = frozenset()  # the files it extends, directly or not

    @property
    def presets(self) -> set[str]:
        """The presets it is or extends, which a CRM signature may point to."""
        shipped = PRESETS_DIR.resolve()
        found = {p.stem for p in self.ancestors if p.parent == shipped}
        return found | ({self.name} if not self.own else set())


@dataclass(frozen=True)
class Score:
    """How well one candidate fits one file's headers."""

    candidate: Candidate
    found: tuple[str, ...] = ()  # the fields it looks for that the file gives ("stage|status")
    wanted: tuple[str, ...] = ()  # the fields it looks for
    columns_found: int = 0  # the mapping's columns found in the file
    columns: int = 0  # the mapping's columns
    used: int = 0  # the file's columns the mapping reads
    headers: int = 0  # the file's columns
    missing_required: tuple[str, ...] = ()  # what it needs and the file lacks
    missing: tuple[str, ...] = ()  # fields it looks for that the file lacks, with their headers
    signature: str | None = None  # "Pipedrive export (column Deal - ID)", when it is its CRM's
    unreadable: str | None = None  # its read options do not fit the file (no such sheet, ...)

    @property
    def value(self) -> float:
        if self.unreadable or not self.wanted:
            return 0.0
        return len(self.found) / len(self.wanted)

    @property
    def coverage(self) -> float:
        """The share of the mapping's columns found (settles ties only)."""
        return self.columns_found / self.columns if self.columns else 0.0

    @property
    def loadable(self) -> bool:
        """The file gives what identifies the mapping's entity, and its filters' columns."""
        return not self.missing_required and self.unreadable is None

    @property
    def fits(self) -> bool:
        return self.loadable and self.value >= MIN_SCORE

    def fields_found(self) -> str:
        """`5 of the 6 fields it looks for (missing created_at (Create Date))`."""
        text = f"{len(self.found)} of the {len(self.wanted)} fields it looks for"
        return text + (f" (missing {_listed(self.missing)})" if self.missing else "")

    def summary(self) -> str:
        """`hubspot_deals 0.50 (3 of the 6 fields it looks for (missing ...); cannot load it
        without stage or status (Deal Stage / Is Closed Won))`."""
        name = self.candidate.name
        if self.unreadable:
            return f"{name} (cannot read the file: {self.unreadable})"
        parts = [self.fields_found()]
        if self.missing_required:
            parts.append("cannot load it without " + _listed(self.missing_required))
        return f"{name} {self.value:.2f} ({'; '.join(parts)})"


@dataclass(frozen=True)
class Recognition:
    """The mapping chosen for a file, every candidate's score (best first), and what settled
    a tie (None when there was none)."""

    path: str
    chosen: Score
    scores: tuple[Score, ...] = field(default_factory=tuple)
    settled_by: str | None = None

    @property
    def name(self) -> str:
        return self.chosen.candidate.name

    def reason(self) -> str:
        """One line for stderr: which mapping, and why."""
        s = self.chosen
        runner_up = next((o for o in self.scores if o is not s and o.loadable), None)
        nxt = f", next {runner_up.candidate.name} {runner_up.value:.2f}" if runner_up else ""
        why = f"; {self.settled_by}" if self.settled_by else ""
        return (
            f"{self.path}: recognised as {self.name} ({s.fields_found()}; it reads {s.used} "
            f"of the file's {s.headers} columns; score {s.value:.2f}{nxt}{why})"
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
    """The header row of one file as each set of read options sees it, and the first data
    rows below it, read once per set.

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
        self._sheet_list: list[workbook.SheetInfo] = []
        self._sheets: dict[str, list[list[str]]] = {}
        self._cache: dict[tuple, tuple[list[str], list[list[str]]]] = {}

    def headers(self, options: ReadOptions) -> list[str]:
        return self.head(options)[0]

    def head(self, options: ReadOptions) -> tuple[list[str], list[list[str]]]:
        """The headers, and up to SAMPLE_ROWS data rows below them."""
        if self._is_excel():
            key: tuple = ("excel", options.sheet, options.header_row)
        else:
            key = ("csv", options.encoding, options.delimiter, options.header_row)
        if key not in self._cache:
            rows = self._excel(options) if self._is_excel() else self._csv(options)
            header_row = _find_header_row(rows, options)
            if header_row > len(rows):
                raise InputError(
                    f"{self.path}: there is no row {header_row} to take the header from"
                )
            sample = rows[header_row : header_row + SAMPLE_ROWS]
            self._cache[key] = (_unique_names(rows[header_row - 1]), sample)
        return self._cache[key]

    def _bytes(self) -> bytes:
        if self._head is None:
            try:
                if self.path.lower().endswith(".gz"):
                    with gzip.open(self.path, "rb") as handle:
                        head = handle.read(SNIFF_BYTES)
                else:  # a pipe is copied first, for the read that follows to see it whole
                    with open(kept_pipe(self.path, text=not is_excel(self.path)), "rb") as handle:
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
        """Whether the content is a workbook (or claims to be by its name and is not text):
        a CSV named `.xlsx` is read as the CSV it is."""
        kind = workbook.content_kind(self._bytes())
        return kind in ("zip", "ole") or (is_excel(self.path) and kind != "text")

    def _csv(self, options: ReadOptions) -> list[list[str]]:
        _, data, head = decode_head(self.path, self._bytes(), options.encoding)
        delimiter = options.delimiter
        if delimiter == "whitespace":
            data = re.sub(rb"(?m)^[ \t]+|[ \t]+(?=\r?$)", b"", data)
            head = re.sub(rb"[ \t]+", b",", data).decode("utf-8", errors="replace")
            delimiter = ","
        elif delimiter == "auto":
            delimiter = _sniff_delimiter(head.splitlines()[:HEADER_SEARCH_ROWS])
        return _head_rows(head, delimiter, HEADER_SEARCH_ROWS + 30)

    def _excel(self, options: ReadOptions) -> list[list[str]]:
        return self._sheet_rows(options.sheet)

    def _sheet_rows(self, ref: str | int | None) -> list[list[str]]:
        """The first rows of a sheet as text, read once per sheet (None: the first visible
        worksheet), once the file is checked as a full read checks it."""
        from python_calamine import CalamineError, CalamineWorkbook

        if self._book is None:
            try:
                data = Path(self.path).read_bytes()
            except OSError as exc:
                raise InputError(f"{self.path}: cannot read it ({exc.strerror})") from None
            checked = workbook.Workbook(self.path, data)
            try:
                self._book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            except CalamineError as exc:
                raise InputError(f"{self.path}: not a readable Excel workbook ({exc})") from None
            self._sheet_list = checked.sheets or workbook.calamine_sheets(self._book)
        book: Any = self._book
        names = [s.name for s in self._sheet_list]
        if ref is None:
            sheet = workbook.choose_sheet(self.path, self._sheet_list, ref)[0].name
        elif isinstance(ref, int):
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
                skip_empty_area=False, nrows=HEADER_SEARCH_ROWS + SAMPLE_ROWS
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


def score(
    candidate: Candidate, headers: Sequence[str], rows: Sequence[Sequence[str]] = ()
) -> Score:
    """How well `candidate` fits a file with these headers (placeholders for blanks ignored)
    and these first data rows (for signatures in values)."""
    headers = [h for h in headers if not _PLACEHOLDER.match(h)]
    mapping = candidate.mapping
    index = fields.by_fold(headers)
    gives = fields.given(mapping, index)
    named = [a for aliases in mapping.columns.values() for a in aliases]
    could = fields.given(mapping, fields.by_fold([*named, *_condition_columns(mapping)]))
    identity = fields.identity(mapping.entity)
    wanted = [g for g in fields.looked_for(mapping.entity) if g in identity or set(g) & could]
    found = [g for g in wanted if set(g) & gives]
    missing_required = [_described(mapping, g) for g in fields.unmet(mapping, gives)]
    filter_columns = [f.condition.column for f in mapping.filters if f.condition.column]
    missing_required += [
        f"column {c!r} (a filter tests it)" for c in filter_columns if fold(c) not in index
    ]
    sources = {fields.source(a, index) for a in mapping.columns.values()} - {None}
    tested = {index[fold(c)] for c in _condition_columns(mapping) if fold(c) in index}
    pointed = [
        f"{sig.crm} export ({shown})"
        for sig in SIGNATURES
        if set(sig.presets) & candidate.presets and (shown := sig.shown_by(headers, rows))
    ]
    return Score(
        candidate,
        found=tuple("|".join(g) for g in found),
        wanted=tuple("|".join(g) for g in wanted),
        # a header two fields read (the stage, and its default probability) counts once
        columns_found=len(
            {fields.source(a, index) for a in set(mapping.columns.values())} - {None}
        ),
        columns=len(set(mapping.columns.values())),
        used=len(sources | tested),
        headers=len(headers),
        missing_required=tuple(missing_required),
        missing=tuple(_described(mapping, g) for g in wanted if g not in found),
        signature=pointed[0] if pointed else None,
    )


def _described(mapping: Mapping, group: fields.Group) -> str:
    """`created_at (Create Date)`, `stage or status (Deal Stage / Is Closed Won)`."""
    headers = [h for name in group for h in fields.headers_for(mapping, name)]
    where = " / ".join(headers[:3]) + (" / ..." if len(headers) > 3 else "")
    return f"{' or '.join(group)} ({where or 'not in the mapping'})"


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
            headers, rows = reader.head(replace(options, footer=0))
        except InputError as exc:
            scores.append(
                Score(candidate, columns=len(candidate.mapping.columns), unreadable=_short(exc))
            )
            continue
        scores.append(score(candidate, headers, rows))
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
        near = [s for s in scores[:SHOWN] if s.found]
        shown = "; ".join(s.summary() for s in near) or "none finds a field it looks for"
        raise NotRecognised(
            f"{path}: not recognised: no mapping fits its columns (one needs the columns that "
            f"say what its rows are, and half of the fields it looks for); best candidates: "
            f"{shown}; {hint}",
            path,
            near,
            ambiguous=False,
        )
    best = fitting[0]
    close = [s for s in scores if s.loadable and s.value >= best.value - MARGIN]
    chosen, settled_by = _settle(close)
    if chosen is None:
        shown = "; ".join(s.summary() for s in close[:SHOWN])
        raise NotRecognised(
            f"{path}: not recognised: {len(close)} mappings fit it about equally (scores "
            f"within {MARGIN}): {shown}; {hint}",
            path,
            close,
            ambiguous=True,
        )
    return Recognition(path, chosen, tuple(scores), settled_by)


def _settle(close: list[Score]) -> tuple[Score | None, str | None]:
    """The one to use among near-equal fits and why, or (None, None) when nothing singles one
    out: the user's own over presets; then the one that extends all the others; then the one
    the file's CRM signature points to; then one at least as good on both counts as every
    other (it finds as many of its columns in the file and reads as many of the file's) and
    better on one."""
    if len(close) == 1:
        return (close[0], None) if close[0].fits else (None, None)
    own = [s for s in close if s.candidate.own]
    pool = own or close
    others = ", ".join(s.candidate.name for s in close if s not in pool)
    if len(pool) == 1:
        return (
            (pool[0], f"your own mapping, chosen over {others}") if pool[0].fits else (None, None)
        )
    paths = {s.candidate.mapping.path.resolve() for s in pool}
    for s in pool:
        if s.fits and paths - {s.candidate.mapping.path.resolve()} <= s.candidate.ancestors:
            return s, "it extends " + ", ".join(o.candidate.name for o in pool if o is not s)
    signed = [s for s in pool if s.signature]
    if len(signed) == 1 and signed[0].fits:
        return signed[0], f"the file is a {signed[0].signature}"
    pool = signed or pool
    for s in pool:
        if s.fits and all(_dominates(s, o) for o in pool if o is not s):
            rest = ", ".join(o.candidate.name for o in pool if o is not s)
            return s, f"it finds more of its columns or reads more of the file than {rest}"
    return None, None


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
