"""The data-quality account of one input.

Every row read is used, filtered, rejected or dropped as a duplicate; nothing else. A stage
history's rows are also used only once joined to a deal: those that match none are unmatched.
A row used may still hold an impossible value (an anomaly): it is listed, and kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Example:
    row: int | None  # spreadsheet row number; None when the reader could not tell
    value: str


@dataclass(frozen=True)
class Reason:
    reason: str
    count: int
    examples: tuple[Example, ...] = ()


@dataclass(frozen=True)
class ValueCount:
    """A raw value of a field and how many rows hold it: one that fell to a value map's
    default, or a stage value the mapping does not place (its deals open at an unknown stage)."""

    field: str
    value: str
    count: int


@dataclass(frozen=True)
class Lines:
    """An export of line items (`lines_of`): how many lines made how many records."""

    key: tuple[str, ...]  # the fields that tie the lines of one record together
    lines: int  # lines used (rows_used)
    records: int  # the records they make: the rows of the canonical frame


@dataclass(frozen=True)
class DateRange:
    field: str
    first: str
    last: str


@dataclass(frozen=True)
class InputQuality:
    path: str
    entity: str
    mapping: str
    sha256: str
    rows_read: int
    rows_used: int
    rows_filtered: int
    rows_rejected: int
    duplicates_dropped: int
    filtered: tuple[Reason, ...] = ()
    rejected: tuple[Reason, ...] = ()
    unreadable: tuple[Reason, ...] = ()  # optional values that could not be read: left blank
    anomalies: tuple[Reason, ...] = ()  # impossible values of rows kept (salesmetrics.anomalies)
    defaulted: tuple[ValueCount, ...] = ()
    unplaced: tuple[ValueCount, ...] = ()
    placing_yaml: str | None = None  # the YAML that would place the unplaced values
    lines_of: Lines | None = None
    date_ranges: tuple[DateRange, ...] = ()
    unused_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    dedupe_key: tuple[str, ...] = ()  # the fields rows were de-duplicated on; () for none
    dedupe_missing: tuple[str, ...] = ()  # key fields the file lacks (so no de-duplication)
    footer_lines_dropped: int = 0
    footer_first_line: int | None = None  # where the footer dropped starts (a CSV's line)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = 1  # None: the file has no header
    rows_unmatched: int = 0  # stage history rows joined to no deal (salesmetrics.ingest.history)
    unmatched: tuple[Reason, ...] = ()  # why, with examples (row: deal id)
    warnings: tuple[str, ...] = ()  # one line each, naming the file: what a reader should know

    def __post_init__(self) -> None:
        accounted = (
            self.rows_used
            + self.rows_filtered
            + self.rows_rejected
            + self.duplicates_dropped
            + self.rows_unmatched
        )
        if accounted != self.rows_read:  # a bug, never bad input: no row may go missing
            raise AssertionError(
                f"{self.path}: {accounted} rows accounted for, {self.rows_read} read"
            )

    @property
    def reject_rate(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0

    @property
    def clean(self) -> bool:
        """No row rejected and no impossible value in the rows kept."""
        return self.rows_rejected == 0 and not self.anomalies

    def to_dict(self) -> dict:
        result = asdict(self)
        result["reject_rate"] = self.reject_rate
        return result
