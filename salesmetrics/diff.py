"""What changed between two exports of the same records: the pipeline's or the MRR's movement.

A CRM export is a snapshot: a deals export carries each deal's stage, amount and expected
close date as they are today, not how they moved; a subscriptions export may carry only each
customer's current MRR. Two snapshots, matched by id, say it. Every record in either export
falls in exactly one *move*, whose value is what it adds to the total followed (the open
pipeline, the MRR): its value in the new export if it counts there, less its value in the old
one if it counted there. So the waterfall reconciles by construction: old total + moves = new.

Deals (the open pipeline; a deal counts where it is open):
- `created`: in the new export only, and open there (+ its amount).
- `reopened`: closed in the old export, open in the new one (+ its new amount).
- `increased` / `decreased`: open in both, with a larger / smaller amount (+ the difference).
- `won` / `lost`: open in the old export, closed won / lost in the new one (- its old amount).
- `disappeared`: open in the old export and absent from the new one (- its old amount):
  deleted, merged, or filtered out of the export.
Deals closed in both, or that appeared already closed, move no open pipeline; the latter are
counted as `created_closed`. Beside the moves, four *movements* count deals open in both
exports (valued at the new amount): `advanced` and `moved_back` (stage forward or back in the
funnel's order), `slipped` (expected close date pushed from inside the period to after its
end) and `pulled_in` (from after the period's end into it).

Subscriptions (MRR; a customer counts where its MRR, summed over its rows, is above 0, and a
row flagged churned counts 0): `new` (not in the old export), `reactivation` (in it at 0),
`expansion` / `contraction` (paying in both, more / less), `churn` (paying in the old export,
at 0 or absent in the new one).

Stage changes seen: a deal at a later open stage in the new export than in the old one entered
that stage between the two, on a day no export says. Where the deals export carries no stage
dates at all, `stages_seen` gives it one: the last day before the new export's, an upper
bound (it entered the stage on that day at the latest), never over a date the export has.

Both: `rejected`: counted in one export and, in the other, only in a row that export rejected
(a blank create date, an unreadable amount...): its value leaves (or enters) with it, not as a
record gone or created. Fixing the row makes the move go away.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from salesmetrics.errors import SalesmetricsError
from salesmetrics.periods import Period
from salesmetrics.schema import DEAL_STAGES, STAGE_DATE_PREFIX

PIPELINE_MOVES = (
    ("created", "new open deals"),
    ("reopened", "closed deals open again"),
    ("increased", "open deals whose amount went up"),
    ("decreased", "open deals whose amount went down"),
    ("won", "open deals won"),
    ("lost", "open deals lost"),
    ("disappeared", "open deals no longer in the export"),
    ("rejected", "open deals whose row the other export rejected"),
)
"""The pipeline waterfall's steps in order: (id, which deals)."""

PIPELINE_MOVEMENTS = (
    ("advanced", "open in both, stage moved forward in the funnel"),
    ("moved_back", "open in both, stage moved back in the funnel"),
    ("slipped", "open in both, expected close moved from inside the period to after it"),
    ("pulled_in", "open in both, expected close moved from after the period into it"),
    ("created_closed", "new in the export and already closed: moves no open pipeline"),
)
"""Counts beside the pipeline waterfall: (id, which deals)."""

MRR_MOVES = (
    ("new", "customers not in the old export"),
    ("reactivation", "customers at 0 in the old export, paying again"),
    ("expansion", "customers paying more"),
    ("contraction", "customers paying less"),
    ("churn", "customers paying in the old export, at 0 or gone in the new one"),
    ("rejected", "customers whose row the other export rejected"),
)
"""The MRR waterfall's steps in order: (id, which customers)."""


@dataclass(frozen=True)
class Move:
    id: str
    count: int
    value: float  # what it adds to the total (moves), or the records' new value (movements)


@dataclass(frozen=True)
class Waterfall:
    """One group's total between two snapshots (group None: all): start + moves = end."""

    group: str | None
    start_count: int
    start_value: float
    end_count: int
    end_value: float
    moves: tuple[Move, ...]
    movements: tuple[Move, ...]

    def move(self, move_id: str) -> Move:
        return next(m for m in self.moves + self.movements if m.id == move_id)


@dataclass(frozen=True)
class Diff:
    kind: str  # pipeline | mrr
    period: Period  # the period between the snapshots: `slipped` and `pulled_in` are about it
    currency: str | None
    by: str | None
    total: Waterfall
    groups: tuple[Waterfall, ...]
    old_rows: int
    new_rows: int
    matched: int  # ids in both exports
    notes: tuple[str, ...]

    @property
    def records(self) -> str:
        return "deals" if self.kind == "pipeline" else "customers"


Rejected = tuple[Collection[str], Collection[str]]


def classify(
    old: pd.DataFrame, new: pd.DataFrame, period: Period, rejected: Rejected = ((), ())
) -> pd.DataFrame:
    """One row per deal id in either export: its move, what it adds to the open pipeline
    (`change`), and a flag per movement. `rejected`: the ids of the rows each export (old,
    new) rejected."""
    _check(old, new, "deal_id", ("amount", "status"), "deal ids, amounts and stages")
    keep = ["deal_id", "status", "stage", "amount", "owner", "expected_close_at"]
    both = _matched(_side(old, keep, "deal_id"), _side(new, keep, "deal_id"), "deal_id")
    in_old, in_new = _present(both)
    status_old = both["status_old"].astype("string").fillna("").to_numpy()
    status_new = both["status_new"].astype("string").fillna("").to_numpy()
    open_old = in_old & (status_old == "open")
    open_new = in_new & (status_new == "open")
    amount_old, amount_new = _values(both, "amount")
    rejected_old, rejected_new = _rejected(both["deal_id"], rejected)
    move = _moves(
        {
            "rejected": (~in_old & open_new & rejected_old) | (open_old & ~in_new & rejected_new),
            "created": ~in_old & open_new,
            "reopened": in_old & ~open_old & open_new,
            "increased": open_old & open_new & (amount_new > amount_old),
            "decreased": open_old & open_new & (amount_new < amount_old),
            "won": open_old & (status_new == "won"),
            "lost": open_old & (status_new == "lost"),
            "disappeared": open_old & ~in_new,
        }
    )
    both_open = open_old & open_new
    order = {stage: i for i, stage in enumerate(DEAL_STAGES)}
    rank_old = both["stage_old"].map(order).astype("float64").to_numpy()
    rank_new = both["stage_new"].map(order).astype("float64").to_numpy()
    close_old = _dates(both["expected_close_at_old"])
    close_new = _dates(both["expected_close_at_new"])
    end = np.datetime64(period.end_exclusive, "us")
    return _rows(
        both,
        "deal_id",
        move,
        (open_old, open_new),
        (amount_old, amount_new),
        owner=both["owner_new"].astype("string").fillna(both["owner_old"].astype("string")),
        status_old=both["status_old"],
        status_new=both["status_new"],
        stage_old=both["stage_old"],
        stage_new=both["stage_new"],
        advanced=both_open & (rank_new > rank_old),
        moved_back=both_open & (rank_new < rank_old),
        slipped=both_open & (close_old < end) & (close_new >= end),
        pulled_in=both_open & (close_old >= end) & (close_new < end),
        created_closed=~in_old & in_new & ~open_new,
    )


def classify_mrr(old: pd.DataFrame, new: pd.DataFrame, rejected: Rejected = ((), ())):
    """One row per customer id in either subscriptions export: its MRR in each (summed over
    its rows; 0 where a row is flagged churned), its move and what it adds to the MRR."""
    _check(old, new, "customer_id", ("mrr",), "customer ids and MRR")
    both = _matched(_customers(old), _customers(new), "customer_id")
    in_old, in_new = _present(both)
    mrr_old, mrr_new = _values(both, "mrr")
    paying_old, paying_new = in_old & (mrr_old > 0), in_new & (mrr_new > 0)
    rejected_old, rejected_new = _rejected(both["customer_id"], rejected)
    move = _moves(
        {
            "rejected": (~in_old & paying_new & rejected_old)
            | (paying_old & ~in_new & rejected_new),
            "new": ~in_old & paying_new,
            "reactivation": in_old & ~paying_old & paying_new,
            "expansion": paying_old & paying_new & (mrr_new > mrr_old),
            "contraction": paying_old & paying_new & (mrr_new < mrr_old),
            "churn": paying_old & ~paying_new,
        }
    )
    return _rows(both, "customer_id", move, (paying_old, paying_new), (mrr_old, mrr_new))


def diff(
    old: pd.DataFrame,
    new: pd.DataFrame,
    period: Period,
    *,
    kind: str = "pipeline",
    by: str | None = None,
    currency: str | None = None,
    rejected: Rejected = ((), ()),
) -> Diff:
    """The movement from `old` to `new` of the open pipeline (`kind` pipeline, two deals
    exports) or of the MRR (mrr, two subscriptions exports), in total and, for deals, per
    owner (`by`: the new export's owner where the deal is in it). Amounts must already be in
    one currency. Groups with nothing at either end and no move are left out, with a note."""
    moves: tuple[tuple[str, str], ...]
    movements: tuple[tuple[str, str], ...]
    if kind == "pipeline":
        rows, key = classify(old, new, period, rejected), "deal_id"
        moves, movements = PIPELINE_MOVES, PIPELINE_MOVEMENTS
    else:
        rows, key = classify_mrr(old, new, rejected), "customer_id"
        moves, movements = MRR_MOVES, ()
    notes = []
    for name, frame in (("old", old), ("new", new)):
        repeated = int(frame[key].duplicated().sum())
        if repeated and kind == "pipeline":  # customers' rows are summed, plan by plan
            notes.append(
                f"the {name} export repeats {repeated:,} deal id(s): the last row of each is used"
            )
    total = _waterfall(None, rows, moves, movements)
    groups: tuple[Waterfall, ...] = ()
    if by is not None:
        if by != "owner" or kind != "pipeline":
            raise SalesmetricsError(
                f"a {kind} movement cannot be split by {by!r}: only deals by owner"
            )
        labels = rows["owner"].fillna("(blank)")
        every = [
            _waterfall(str(label), part, moves, movements)
            for label, part in rows.groupby(labels, sort=True)
        ]
        groups = tuple(g for g in every if g.start_count or g.end_count or _moved(g))
        if len(groups) < len(every):
            notes.append(
                f"{len(every) - len(groups)} {by}(s) with no open deal in either export and "
                "nothing that moved left out"
            )
    return Diff(
        kind=kind,
        period=period,
        currency=currency,
        by=by,
        total=total,
        groups=groups,
        old_rows=len(old),
        new_rows=len(new),
        matched=int((rows["in_old"] & rows["in_new"]).sum()),
        notes=tuple(notes),
    )


def _waterfall(group: str | None, rows: pd.DataFrame, moves, movements) -> Waterfall:
    counted_old = rows["counted_old"].to_numpy()
    counted_new = rows["counted_new"].to_numpy()
    start = float(rows["value_old"].to_numpy()[counted_old].sum())
    end = float(rows["value_new"].to_numpy()[counted_new].sum())
    steps = tuple(
        Move(m, int((rows["move"] == m).sum()), float(rows.loc[rows["move"] == m, "change"].sum()))
        for m, _ in moves
    )
    total = start + sum(m.value for m in steps)
    if not np.isclose(total, end, rtol=1e-9, atol=1e-6):
        raise SalesmetricsError(  # cannot happen while every counted record has one move
            f"the movement does not reconcile: {start:,.2f} + moves = {total:,.2f}, "
            f"but the new total is {end:,.2f}"
        )
    value_new = rows["value_new"].to_numpy()
    others = tuple(
        Move(m, int(rows[m].sum()), float(value_new[rows[m].to_numpy()].sum()))
        for m, _ in movements
    )
    return Waterfall(
        group=group,
        start_count=int(counted_old.sum()),
        start_value=start,
        end_count=int(counted_new.sum()),
        end_value=end,
        moves=steps,
        movements=others,
    )


def _check(old: pd.DataFrame, new: pd.DataFrame, key: str, needs: tuple[str, ...], what: str):
    for name, frame in (("old", old), ("new", new)):
        missing = [c for c in (key, *needs) if c not in frame.columns]
        if missing:
            raise SalesmetricsError(
                f"the {name} export has no {', '.join(missing)}: both exports need {what} to "
                "be matched (map them in the mapping)"
            )


def _matched(old: pd.DataFrame, new: pd.DataFrame, key: str) -> pd.DataFrame:
    return pd.merge(old, new, on=key, how="outer", suffixes=("_old", "_new"), indicator=True)


def _present(both: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    side = both["_merge"].astype("string").to_numpy()
    return side != "right_only", side != "left_only"


def _values(both: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    return tuple(  # type: ignore[return-value]
        both[f"{column}_{side}"].astype("float64").fillna(0.0).to_numpy() for side in ("old", "new")
    )


def _rejected(ids: pd.Series, rejected: Rejected) -> tuple[np.ndarray, np.ndarray]:
    text = ids.astype("string")
    return text.isin(list(rejected[0])).to_numpy(), text.isin(list(rejected[1])).to_numpy()


def _moves(conditions: dict[str, np.ndarray]) -> np.ndarray:
    """Each record's move: the first condition it meets (in order), blank for none."""
    return np.select(list(conditions.values()), list(conditions), default="")


def _rows(both, key, move, counted, values, **columns) -> pd.DataFrame:
    """The classified records: what each adds to the total is its value where it counts in
    the new export less its value where it counted in the old one."""
    (counted_old, counted_new), (value_old, value_new) = counted, values
    in_old, in_new = _present(both)
    change = np.where(counted_new, value_new, 0.0) - np.where(counted_old, value_old, 0.0)
    return pd.DataFrame(
        {
            key: both[key],
            "move": move,
            "change": change,
            "value_old": value_old,
            "value_new": value_new,
            "counted_old": counted_old,
            "counted_new": counted_new,
            "in_old": in_old,
            "in_new": in_new,
            **{
                name: np.asarray(c) if isinstance(c, np.ndarray) else c
                for name, c in columns.items()
            },
        }
    )


def _moved(m: Waterfall) -> bool:
    return any(x.count for x in m.moves + m.movements)


def _side(frame: pd.DataFrame, keep: list[str], key: str) -> pd.DataFrame:
    """The export's columns of interest, one row per id (the last one), without blank ids."""
    side = frame.reindex(columns=keep).dropna(subset=[key])
    side = side.drop_duplicates(key, keep="last")
    return side.assign(**{key: side[key].astype("string")})


def _customers(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per customer: the MRR of its rows summed, a row flagged churned counting 0."""
    mrr = frame["mrr"].astype("float64").fillna(0.0)
    if "churned" in frame.columns:
        mrr = mrr.where(~frame["churned"].fillna(False).astype(bool), 0.0)
    ids = frame["customer_id"].astype("string")
    summed = mrr.groupby(ids, dropna=True).sum()
    return pd.DataFrame({"customer_id": summed.index.astype("string"), "mrr": summed.to_numpy()})


def _dates(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).to_numpy(dtype="datetime64[us]")


OPEN = DEAL_STAGES[: DEAL_STAGES.index("won")]  # prospecting .. negotiation


def stages_seen(old: pd.DataFrame, new: pd.DataFrame, day: date) -> tuple[pd.DataFrame, int]:
    """`new` with an entered_<stage> date of `day` for each deal seen at a later open stage
    in it than in `old` (matched by deal id, the old export's last row of each), and how many
    dates were added. Only for an export with no stage dates at all: one that has some keeps
    them, and gets none of these upper bounds beside them."""
    needed = ("deal_id", "stage")
    if any(c not in f.columns for f in (old, new) for c in needed) or _dated(new):
        return new, 0
    order = {stage: float(i) for i, stage in enumerate(OPEN)}
    last = old.dropna(subset=["deal_id"]).drop_duplicates("deal_id", keep="last")
    before = pd.Series(
        last["stage"].astype("object").map(order).to_numpy(dtype=float),
        index=last["deal_id"].astype("string").to_numpy(),
    )
    rank_old = new["deal_id"].astype("string").map(before).to_numpy(dtype=float, na_value=np.nan)
    stage_new = new["stage"].astype("object")
    rank_new = stage_new.map(order).to_numpy(dtype=float, na_value=np.nan)
    advanced = rank_new > rank_old  # NaN (a closed or unknown stage, a new deal) compares False
    stamp = np.datetime64(day, "us")
    added, columns = 0, {}
    for stage in OPEN[1:]:
        column = STAGE_DATE_PREFIX + stage
        here = advanced & (stage_new == stage).to_numpy(dtype=bool)
        if not here.any():
            continue
        known = (
            pd.to_datetime(new[column]).to_numpy(dtype="datetime64[us]")
            if column in new.columns
            else np.full(len(new), np.datetime64("NaT", "us"))
        )
        columns[column] = pd.Series(np.where(here, stamp, known), index=new.index).astype(
            "timestamp[us][pyarrow]"
        )
        added += int(here.sum())
    return (new.assign(**columns) if columns else new), added


def _dated(deals: pd.DataFrame) -> bool:
    """Whether the export has any stage date (its own columns, or a joined stage history)."""
    return any(c.startswith(STAGE_DATE_PREFIX) and deals[c].notna().any() for c in deals.columns)
