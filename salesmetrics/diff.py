"""Pipeline movement between two exports of the same deals: what changed since the last one.

A CRM export is a snapshot: it carries each deal's stage, amount and expected close date as
they are today, not how they moved. Two snapshots of the same deals, matched by deal id, say
it. Every deal in either export falls in exactly one *value move* of the open pipeline, so the
waterfall reconciles by construction: the old open pipeline + every move = the new one.

- `created`: in the new export only, and open there (+ its amount).
- `reopened`: closed in the old export, open in the new one (+ its new amount).
- `increased` / `decreased`: open in both, with a larger / smaller amount (+ the difference).
- `won` / `lost`: open in the old export, closed won / lost in the new one (- its old amount).
- `disappeared`: open in the old export and absent from the new one (- its old amount):
  deleted, merged, or filtered out of the export.
- `rejected`: open in one export and, in the other, only in a row that export rejected (a
  blank create date, an unreadable amount...): its value leaves (or enters) with it, not as a
  deal gone or created. Fixing the row makes the move go away.

Deals that were already closed in both, or that appeared already closed, move no open
pipeline; they are counted as `created_closed` (created and closed between the snapshots)
and otherwise left out. Besides value moves, four *movements* count open deals in both exports
(their value is the new amount): `advanced` and `moved_back` (stage forward or back in the
funnel's order), `slipped` (expected close date pushed from inside the period to after its
end) and `pulled_in` (from after the period's end to inside it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesmetrics.errors import SalesmetricsError
from salesmetrics.periods import Period
from salesmetrics.schema import DEAL_STAGES

VALUE_MOVES = (
    ("created", 1, "new open deals"),
    ("reopened", 1, "closed deals open again"),
    ("increased", 1, "open deals whose amount went up"),
    ("decreased", 1, "open deals whose amount went down"),
    ("won", -1, "open deals won"),
    ("lost", -1, "open deals lost"),
    ("disappeared", -1, "open deals no longer in the export"),
    ("rejected", 0, "open deals whose row the other export rejected (either sign)"),
)
"""The waterfall's steps in order: (id, sign of the amount it moves, what it holds)."""

MOVEMENTS = (
    ("advanced", "open in both, stage moved forward in the funnel"),
    ("moved_back", "open in both, stage moved back in the funnel"),
    ("slipped", "open in both, expected close moved from inside the period to after it"),
    ("pulled_in", "open in both, expected close moved from after the period into it"),
    ("created_closed", "new in the export and already closed: moves no open pipeline"),
)
"""Counts beside the waterfall: (id, which deals)."""

NEEDS = ("deal_id", "amount")


@dataclass(frozen=True)
class Move:
    id: str
    deals: int
    value: float  # the change it brings to the open pipeline (value moves), or the deals' amount


@dataclass(frozen=True)
class PipelineMovement:
    """The movement of one group's open pipeline between two snapshots (group None: all)."""

    group: str | None
    start_deals: int
    start_value: float
    end_deals: int
    end_value: float
    moves: tuple[Move, ...]  # VALUE_MOVES in order: start + sum of values = end
    movements: tuple[Move, ...]  # MOVEMENTS in order

    def move(self, move_id: str) -> Move:
        return next(m for m in self.moves + self.movements if m.id == move_id)


@dataclass(frozen=True)
class Diff:
    period: Period  # the period between the snapshots: `slipped` and `pulled_in` are about it
    currency: str | None
    by: str | None
    total: PipelineMovement
    groups: tuple[PipelineMovement, ...]
    old_rows: int
    new_rows: int
    matched: int  # deal ids in both exports
    notes: tuple[str, ...]


def classify(
    old: pd.DataFrame,
    new: pd.DataFrame,
    period: Period,
    rejected: tuple[Collection[str], Collection[str]] = ((), ()),
) -> pd.DataFrame:
    """One row per deal id in either export: its value move, the change it brings to the
    open pipeline, and a flag per movement. Columns from each side carry `_old` / `_new`.
    `rejected` holds the deal ids of the rows each export (old, new) rejected."""
    for name, frame in (("old", old), ("new", new)):
        missing = [c for c in NEEDS if c not in frame.columns]
        if missing:
            raise SalesmetricsError(
                f"the {name} export has no {', '.join(missing)}: both exports need deal ids "
                "and amounts to be matched (map them in the deals mapping)"
            )
        if "status" not in frame.columns:
            raise SalesmetricsError(f"the {name} export has neither a deal stage nor a status")
    keep = ["deal_id", "status", "stage", "amount", "owner", "expected_close_at"]
    both = pd.merge(
        _side(old, keep),
        _side(new, keep),
        on="deal_id",
        how="outer",
        suffixes=("_old", "_new"),
        indicator=True,
    )
    in_old = both["_merge"].isin(["both", "left_only"]).to_numpy()
    in_new = both["_merge"].isin(["both", "right_only"]).to_numpy()
    status_old = both["status_old"].astype("string").fillna("").to_numpy()
    status_new = both["status_new"].astype("string").fillna("").to_numpy()
    open_old = in_old & (status_old == "open")
    open_new = in_new & (status_new == "open")
    amount_old = both["amount_old"].astype("float64").fillna(0.0).to_numpy()
    amount_new = both["amount_new"].astype("float64").fillna(0.0).to_numpy()
    ids = both["deal_id"].astype("string")
    rejected_old = ids.isin(list(rejected[0])).to_numpy()
    rejected_new = ids.isin(list(rejected[1])).to_numpy()
    conditions = {
        "rejected": (~in_old & open_new & rejected_old) | (open_old & ~in_new & rejected_new),
        "created": ~in_old & open_new,
        "reopened": in_old & ~open_old & open_new,
        "increased": open_old & open_new & (amount_new > amount_old),
        "decreased": open_old & open_new & (amount_new < amount_old),
        "won": open_old & (status_new == "won"),
        "lost": open_old & (status_new == "lost"),
        "disappeared": open_old & ~in_new,
    }
    move = np.select(list(conditions.values()), list(conditions), default="")
    change = np.select(
        list(conditions.values()),
        [
            amount_new - amount_old,  # one side's amount is 0: the deal is not in it
            amount_new,
            amount_new,
            amount_new - amount_old,
            amount_new - amount_old,
            -amount_old,
            -amount_old,
            -amount_old,
        ],
        default=0.0,
    )
    both_open = open_old & open_new
    order = {stage: i for i, stage in enumerate(DEAL_STAGES)}
    rank_old = _ranks(both, "stage_old", order)
    rank_new = _ranks(both, "stage_new", order)
    close_old = _dates(both, "expected_close_at_old")
    close_new = _dates(both, "expected_close_at_new")
    end = np.datetime64(period.end_exclusive, "us")
    out = pd.DataFrame(
        {
            "deal_id": both["deal_id"],
            "owner": _owner(both),
            "move": move,
            "change": change,
            "amount_old": both["amount_old"].astype("float64").to_numpy(),
            "amount_new": both["amount_new"].astype("float64").to_numpy(),
            "status_old": both["status_old"],
            "status_new": both["status_new"],
            "stage_old": both["stage_old"],
            "stage_new": both["stage_new"],
            "advanced": both_open & (rank_new > rank_old),
            "moved_back": both_open & (rank_new < rank_old),
            "slipped": both_open & (close_old < end) & (close_new >= end),
            "pulled_in": both_open & (close_old >= end) & (close_new < end),
            "created_closed": ~in_old & in_new & ~open_new,
            "open_old": open_old,
            "open_new": open_new,
        }
    )
    return out


def diff(
    old: pd.DataFrame,
    new: pd.DataFrame,
    period: Period,
    *,
    by: str | None = None,
    currency: str | None = None,
    rejected: tuple[Collection[str], Collection[str]] = ((), ()),
) -> Diff:
    """The pipeline movement from `old` to `new`, in total and per `by` group (owner, the
    new export's where the deal is in it). Amounts must already be in one currency. Groups
    with no open deal in either export and no move are left out, and counted in a note."""
    rows = classify(old, new, period, rejected)
    notes = []
    for name, frame in (("old", old), ("new", new)):
        repeated = int(frame["deal_id"].duplicated().sum())
        if repeated:
            notes.append(
                f"the {name} export repeats {repeated:,} deal id(s): the last row of each is used"
            )
    total = _movement(None, rows)
    groups: tuple[PipelineMovement, ...] = ()
    if by is not None:
        if by != "owner":
            raise SalesmetricsError(f"diff can be split by owner only, not {by!r}")
        labels = rows["owner"].fillna("(blank)")
        every = [_movement(str(label), part) for label, part in rows.groupby(labels, sort=True)]
        groups = tuple(g for g in every if g.start_deals or g.end_deals or _moved(g))
        if len(groups) < len(every):
            notes.append(
                f"{len(every) - len(groups)} {by}(s) with no open deal in either export and "
                "nothing that moved left out"
            )
    return Diff(
        period=period,
        currency=currency,
        by=by,
        total=total,
        groups=groups,
        old_rows=len(old),
        new_rows=len(new),
        matched=int((rows["status_old"].notna() & rows["status_new"].notna()).sum()),
        notes=tuple(notes),
    )


def _movement(group: str | None, rows: pd.DataFrame) -> PipelineMovement:
    open_old = rows["open_old"].to_numpy()
    open_new = rows["open_new"].to_numpy()
    start = float(rows["amount_old"].fillna(0.0)[open_old].sum())
    end = float(rows["amount_new"].fillna(0.0)[open_new].sum())
    moves = tuple(
        Move(m, int((rows["move"] == m).sum()), float(rows.loc[rows["move"] == m, "change"].sum()))
        for m, _, _ in VALUE_MOVES
    )
    total = start + sum(m.value for m in moves)
    if not np.isclose(total, end, rtol=1e-9, atol=1e-6):
        raise SalesmetricsError(  # cannot happen while every open deal has one move
            f"the pipeline movement does not reconcile: {start:,.2f} + moves = {total:,.2f}, "
            f"but the new open pipeline is {end:,.2f}"
        )
    movements = tuple(
        Move(m, int(rows[m].sum()), float(rows["amount_new"].fillna(0.0)[rows[m]].sum()))
        for m, _ in MOVEMENTS
    )
    return PipelineMovement(
        group=group,
        start_deals=int(open_old.sum()),
        start_value=start,
        end_deals=int(open_new.sum()),
        end_value=end,
        moves=moves,
        movements=movements,
    )


def _moved(m: PipelineMovement) -> bool:
    return any(x.deals for x in m.moves + m.movements)


def _side(frame: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    """The export's columns of interest, one row per deal id (the last one), without blanks."""
    side = frame.reindex(columns=keep).dropna(subset=["deal_id"])
    side = side.drop_duplicates("deal_id", keep="last")
    return side.assign(deal_id=side["deal_id"].astype("string"))


def _ranks(both: pd.DataFrame, column: str, order: Mapping[str, int]) -> np.ndarray:
    return both[column].map(order).astype("float64").to_numpy()


def _dates(both: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_datetime(both[column]).to_numpy(dtype="datetime64[us]")


def _owner(both: pd.DataFrame) -> pd.Series:
    return both["owner_new"].astype("string").fillna(both["owner_old"].astype("string"))
