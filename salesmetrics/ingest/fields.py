"""What a mapping gives a file with given headers: the fields it fills, what identifies the
entity and is missing, and which headers would bring a field the file lacks.

Recognising a file (detect.py) and planning its load (normalise.plan_columns) both ask these
questions, so a file is recognised only by a mapping that can load it, and a field is either
there for both or missing for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Mapping as MappingOf

from salesmetrics.ingest.mapping import Derivation, Mapping, fold
from salesmetrics.schema import Entity

Group = tuple[str, ...]
"""Fields of which any one will do (a deal's stage or its status)."""


def by_fold(headers: Iterable[str]) -> dict[str, str]:
    """The headers by the form they are compared in (case-folded, trimmed, BOM removed)."""
    return {fold(h): h for h in headers}


def source(aliases: Sequence[str], headers: MappingOf[str, str]) -> str | None:
    """The header of the first alias present, from `by_fold(headers)`; None if none is."""
    return next((headers[fold(a)] for a in aliases if fold(a) in headers), None)


def given(mapping: Mapping, headers: MappingOf[str, str]) -> set[str]:
    """The fields `mapping` fills for a file with these headers (from `by_fold`): its columns
    found, its constants, what its derivations make of those, and what loading derives itself
    (a deal's status from its stage, an order's amount from quantity and unit price).

    A derivation counts only when it can give a value: a rule list whose every value is null
    (a preset's way of making a status column optional) gives nothing.
    """
    found = {name for name, aliases in mapping.columns.items() if source(aliases, headers)}
    found |= set(mapping.constants)
    growing = True
    while growing:  # a derivation may read another's result
        growing = False
        for name, derivation in mapping.derive.items():
            if name not in found and _derives(derivation, found, headers):
                found.add(name)
                growing = True
    entity = mapping.entity.name
    if entity == "deals" and "stage" in found:
        found.add("status")
    if entity == "orders" and {"quantity", "unit_price"} <= found:
        found.add("amount")
    return found


def _derives(derivation: Derivation, found: set[str], headers: MappingOf[str, str]) -> bool:
    if derivation.kind == "multiply":
        return set(derivation.fields) <= found
    if derivation.kind == "first_of":
        return bool(set(derivation.fields) & found)
    for rule in derivation.rules:
        if rule.value is None:
            continue
        when = rule.when
        if when is None or (when.column is not None and fold(when.column) in headers):
            return True
        if when.field is not None and when.field in found:
            return True
    return False


def identity(entity: Entity) -> list[Group]:
    """What identifies a file's rows as the entity: each required field, each `one_of` group."""
    return [(name,) for name in entity.required] + list(entity.one_of)


def looked_for(entity: Entity) -> list[Group]:
    """What recognising a file looks for: the entity's important fields, and the part of its
    identity they leave out (each field counted once: a lead's identity, a creation date or a
    status, is two important fields already); the identity alone when none is declared."""
    groups = [tuple(spec.split("|")) for spec in entity.important]
    named = {name for g in groups for name in g}
    return groups + [g for g in identity(entity) if not set(g) <= named]


def unmet(mapping: Mapping, fields: set[str]) -> list[Group]:
    """The identity groups none of whose fields is among `fields` (from `given`)."""
    return [g for g in identity(mapping.entity) if not set(g) & fields]


def headers_for(mapping: Mapping, name: str) -> tuple[str, ...]:
    """The headers that would give `name`: its column's first alias, else the first alias of
    each field its `first_of` or `multiply` derivation reads; () when no header would."""
    if name in mapping.columns:
        return (mapping.columns[name][0],)
    derivation = mapping.derive.get(name)
    if derivation is None or derivation.kind == "rules":
        return ()
    return tuple(h for f in derivation.fields if f != name for h in headers_for(mapping, f))


def either(headers: Sequence[str]) -> str:
    """`A`, `A or B`, `A, B or C`."""
    if len(headers) < 2:
        return "".join(headers)
    return f"{', '.join(headers[:-1])} or {headers[-1]}"


def absent(mapping: Mapping, fields: set[str]) -> dict[str, str]:
    """Each canonical field the mapping reads from a column that this file lacks (not among
    `fields`, from `given`), with the header(s) to add to the export to have it."""
    missing: dict[str, str] = {}
    for name in [*mapping.columns, *mapping.derive]:
        if name in fields or name in missing or mapping.entity.field(name) is None:
            continue
        headers = headers_for(mapping, name)
        if headers:
            missing[name] = either(headers)
    return missing
