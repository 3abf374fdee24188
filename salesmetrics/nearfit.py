"""A preset that nearly fits an export, and the short `extends:` file that makes it fit.

`salesmetrics init` proposes such a file, beside the config, instead of a whole inferred
mapping. What may keep a preset from reading an export fully:

- headers: a column the preset names is missing, but the export has it under another name: a
  header the preset does not use whose words are exactly a name known for that field (an alias
  in any preset, or a common name such as `Deal ID` or `Opportunity Number`), and the only such
  header in the export;
- values: a closed-set field it reads (stage, status, deal type, channel...) holds values its
  value map does not place.

An export that no mapping recognises nearly fits a preset when renaming at most NEAR_RENAMES of
the columns the preset requires, as above, makes the preset recognise it (everything it
requires found, and the score recognition asks for), and no other preset does so as well; its
values are then looked at too. An export recognised as a preset nearly fits it when either kind
of gap is found (a header gap then being an optional column). A mapping of the user's own is
never extended: it is theirs to edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from salesmetrics.errors import SalesmetricsError
from salesmetrics.infer import GUESSED, Knowledge, guess_value, q, words
from salesmetrics.ingest.detect import MARGIN, Candidate, Recognition, read_headers, score
from salesmetrics.ingest.mapping import Mapping, fold
from salesmetrics.schema import STAGE_DATE_PREFIX

NEAR_RENAMES = 2
"""The most required columns an unrecognised export may hold under other names and still
nearly fit a preset."""
COMMENT_AT = 40
"""The column comments start at in an extends file, where the value allows it."""


@dataclass(frozen=True)
class Unplaced:
    """A value of a closed-set field that the preset's value map does not place."""

    field: str
    value: str  # as first spelt in the export
    rows: int
    guess: str | None  # a canonical value guessed from the name, or None
    how: str  # how the guess was made


@dataclass(frozen=True)
class Extension:
    """A preset that nearly fits an export: the renames and values its extends file adds."""

    path: str  # the export
    preset: str
    mapping: Mapping  # the preset with the renames: what the extends file reads the export as
    renamed: tuple[tuple[str, str, tuple[str, ...]], ...]  # (field, its header, preset's)
    unplaced: tuple[Unplaced, ...]
    recognised: bool  # the preset recognises the export as it is

    def reason(self, written: str) -> str:
        """One line for stderr: which preset, what the extends file `written` adds."""
        parts = [f"{name} read from {header!r}" for name, header, _ in self.renamed]
        fields = dict.fromkeys(u.field for u in self.unplaced)
        for name in fields:
            values = [u for u in self.unplaced if u.field == name]
            guessed = sum(1 for u in values if u.guess is not None)
            parts.append(
                f"{len(values)} {name} value(s) it does not map ({guessed} guessed: check them)"
            )
        how = "recognised as" if self.recognised else "nearly fits"
        added = "; ".join(parts)
        return f"{self.path}: {how} {self.preset}; wrote {written}, extending it: {added}"

    def yaml(self, written: str, export: str, today: str) -> str:
        """The extends file, commented: what it adds, why, and what to check. A value with no
        guess is written commented out, for the user to map."""
        out = [
            f"# {written}: {self.preset}, with what {export} has that it lacks.",
            f"# Written by `salesmetrics init` on {today}. Check each line marked `check`,",
            "# then, in this folder:",
            f"#   salesmetrics validate {export} --mapping {written}",
            f"extends: {self.preset}",
        ]
        if self.renamed:
            out += ["", "columns:"]
            for name, header, aliases in self.renamed:
                read = " / ".join(aliases[:2]) + (" / ..." if len(aliases) > 2 else "")
                out.append(_commented(f"  {name}: {q(header)}", f"the preset's: {read}; check"))
        blocks = [self._values(name) for name in dict.fromkeys(u.field for u in self.unplaced)]
        if blocks:
            active = any(not lines[0].startswith("#") for lines in blocks)
            out += ["", "values:" if active else "# values:  (map each value, then uncomment)"]
            out += [line for lines in blocks for line in lines]
        return "\n".join(out) + "\n"

    def _values(self, name: str) -> list[str]:
        """The value map lines of one field, commented out when none has a guess."""
        values = [u for u in self.unplaced if u.field == name]
        spec = self.mapping.entity.field(name)
        choices = ", ".join(spec.choices) if spec else ""
        entries = []
        for u in values:
            rows = f"{u.rows:,} row{'' if u.rows == 1 else 's'}"
            if u.guess is None:
                entries.append(
                    _commented(f"#     {q(u.value)}: null", f"{rows}; no guess: one of {choices}")
                )
            else:
                entries.append(_commented(f"      {q(u.value)}: {u.guess}", f"{rows}; {u.how}"))
        lead = "" if any(u.guess is not None for u in values) else "# "
        return [f"{lead}  {name}:", f"{lead}    map:", *entries]


def _commented(line: str, comment: str) -> str:
    return f"{line.ljust(COMMENT_AT - 1)} # {comment}"


# --------------------------------------------------------------------------------- finding


def near_fit(
    path: str,
    pool: Sequence[Candidate],
    know: Knowledge,
    recognised: Recognition | None = None,
) -> Extension | None:
    """The preset that nearly fits `path` (see the module's docstring), or None. `recognised`:
    what recognition chose for the file, when it chose something."""
    if recognised is not None:
        chosen = recognised.chosen.candidate
        if chosen.own:
            return None
        headers = read_headers(path, chosen.mapping.read)
        renamed = _renames(chosen.mapping, headers, know)
        return _extension(path, chosen, renamed, know, recognised=True)
    fits = []
    for candidate in pool:
        if candidate.own or not candidate.mapping.read.header:
            continue
        try:
            headers = read_headers(path, candidate.mapping.read)
        except SalesmetricsError:
            continue  # its read options do not fit the file (no such sheet, ...)
        before = score(candidate, headers)
        needed = {n for item in before.missing_required for n in _named(item)}
        if not needed:
            continue  # it fails for no missing column (a filter's column, ...)
        renamed = _renames(candidate.mapping, headers, know)
        renamed = {name: header for name, header in renamed.items() if name in needed}
        if not renamed or len(renamed) > NEAR_RENAMES:
            continue
        after = score(_with_renames(candidate, renamed), headers)
        if after.fits:
            fits.append((after.value, candidate, renamed))
    if not fits:
        return None
    fits.sort(key=lambda f: -f[0])
    if len(fits) > 1 and fits[0][0] - fits[1][0] < MARGIN:
        return None  # two presets come as near: choosing one would be a guess
    _, candidate, renamed = fits[0]
    return _extension(path, candidate, renamed, know, recognised=False)


def _named(item: str) -> list[str]:
    """The fields a `missing_required` item of a score names: `deal_id (Record ID)` ->
    [deal_id]; `stage or status` -> [stage, status]."""
    return item.split(" (", 1)[0].split(" or ")


def _renames(mapping: Mapping, headers: Sequence[str], know: Knowledge) -> dict[str, str]:
    """Each column of `mapping` missing from the file that the file has under another name: the
    one header it does not use whose words are exactly a name known for that field."""
    by_fold = {fold(h) for h in headers}
    used = {fold(a) for aliases in mapping.columns.values() for a in aliases if fold(a) in by_fold}
    known = know.synonyms.get(mapping.entity.name, {})
    renamed: dict[str, str] = {}
    for name, aliases in mapping.columns.items():
        if any(fold(a) in by_fold for a in aliases) or name.startswith(STAGE_DATE_PREFIX):
            continue
        names = known.get(name, set())
        matches = [h for h in headers if fold(h) not in used and words(h) in names]
        if len(matches) == 1:
            renamed[name] = matches[0]
    return renamed


def _with_renames(candidate: Candidate, renamed: dict[str, str]) -> Candidate:
    columns = {**candidate.mapping.columns, **{n: (h,) for n, h in renamed.items()}}
    return replace(candidate, mapping=replace(candidate.mapping, columns=columns))


def _extension(
    path: str, candidate: Candidate, renamed: dict[str, str], know: Knowledge, *, recognised: bool
) -> Extension | None:
    mapping = _with_renames(candidate, renamed).mapping
    unplaced = _unplaced(path, mapping, know)
    if not renamed and not unplaced:
        return None
    columns = candidate.mapping.columns
    renames = tuple((name, header, columns[name]) for name, header in renamed.items())
    return Extension(path, candidate.name, mapping, renames, tuple(unplaced), recognised)


def _unplaced(path: str, mapping: Mapping, know: Knowledge) -> list[Unplaced]:
    """The values of the export's closed-set fields (stage, status, ...) that `mapping`'s value
    maps do not place, each with its row count and a guess; only those columns are read."""
    from salesmetrics.ingest.read import read_table

    closed = {}
    for name, aliases in mapping.columns.items():
        spec = mapping.entity.field(name)
        vmap = mapping.values.get(name)
        if spec is None or not spec.choices or (vmap is not None and vmap.has_default):
            continue
        closed[name] = {fold(a) for a in aliases}
    if not closed:
        return []
    sources: dict[str, str] = {}

    def pick(headers: list[str]) -> list[str]:
        for name, folded in closed.items():
            found = next((h for h in headers if fold(h) in folded), None)
            if found is not None:
                sources[name] = found
        return list(dict.fromkeys(sources.values()))

    try:
        table = read_table(path, mapping.read, pick)
    except SalesmetricsError:
        return []  # the file cannot be read this way: validating it will say why
    found: list[Unplaced] = []
    for name, header in sources.items():
        spec = mapping.entity.field(name)
        vmap = mapping.values.get(name)
        placed = set(vmap.pairs if vmap else ()) | set(spec.choices if spec else ())
        counts = table.frame[header].dropna().str.strip().value_counts(sort=False)
        spelt: dict[str, tuple[str, int]] = {}
        for raw, n in counts.items():  # one step per distinct value
            key = fold(str(raw))
            if key and key not in placed:
                first, rows = spelt.get(key, (str(raw), 0))
                spelt[key] = (first, rows + int(n))
        for value, rows in sorted(spelt.values(), key=lambda v: (-v[1], v[0])):
            guess, how = guess_value(name, value, know)
            how = f"{how}: check" if how == GUESSED else how  # a guess is for the user to check
            found.append(Unplaced(name, value, rows, guess, how))
    return found
