"""Stage history in long form, joined to the deals: one row per stage change becomes each
deal's `entered_<stage>` dates, which the funnel KPIs read (stage conversion, time in stage,
demo to win, quote to close).

- A deal entered a stage on the earliest row that shows it there: a deal sent back and moved
  forward again keeps the date it first reached each stage (time in a stage then runs from its
  first entry to the first later stage entered after it, the time it was sent back included).
- A date the deals file already has (HubSpot's `Date entered` columns) is kept; the history
  fills only the blanks.
- A history row whose deal is in no deals input is not joined: its input counts it as
  unmatched, with examples, rather than used. So does every row when there is no deals input,
  or none with a deal_id, to join with: a stage history alone feeds no KPI, since every funnel
  KPI also reads what only the deals file holds, each deal's status and its creation or close
  date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa

from salesmetrics.ingest.load import LoadedInput
from salesmetrics.ingest.quality import Example, Reason
from salesmetrics.schema import DEAL_STAGES, HISTORY, STAGE_DATE_PREFIX

TIMESTAMP = pd.ArrowDtype(pa.timestamp("us"))
MAX_EXAMPLES = 3
NO_DEALS = "no deals input to join with: give the deals export together with its stage history"
NO_IDS = (
    "the deals input has no deal_id to join on: add the deal's id (Record Id, Opportunity ID) "
    "to the deals export"
)
NO_SUCH_DEAL = "deal_id: no such deal in the deals input"
ZOHO_PREFIX = "zcrm_"


def join_history(loaded: Sequence[LoadedInput]) -> list[LoadedInput]:
    """The inputs with every stage history joined to the deals: the deals inputs carry the
    entered_<stage> dates it gives, each history input keeps only its joined rows and counts
    the others as unmatched. Joining twice changes nothing."""
    result = list(loaded)
    histories = [i for i, item in enumerate(loaded) if item.entity == HISTORY]
    if not histories:
        return result
    deals = [i for i, item in enumerate(loaded) if item.entity == "deals"]
    ids = _deal_ids([loaded[i].frame for i in deals])
    why = NO_DEALS if not deals else NO_IDS if ids is None else NO_SUCH_DEAL
    joined = []
    for i in histories:
        item = loaded[i]
        frame = item.frame
        if ids is None:
            matched = np.zeros(len(frame), dtype=bool)
        else:
            matched = join_key(frame["deal_id"]).isin(ids).to_numpy(dtype=bool)
        result[i] = _unmatched(item, matched, why)
        rows = frame.loc[matched, ["deal_id", "stage", "changed_at"]]
        joined.append(rows.assign(deal_id=join_key(rows["deal_id"])))
    entered = first_entries(pd.concat(joined, ignore_index=True))
    for i in deals:
        result[i] = replace(loaded[i], frame=fill_entered(loaded[i].frame, entered))
    return result


def _deal_ids(frames: list[pd.DataFrame]) -> pd.Series | None:
    """Every deal id of the deals inputs; None when none of them has a deal_id column."""
    columns = [f["deal_id"] for f in frames if "deal_id" in f.columns]
    if not columns:
        return None
    return join_key(pd.concat(columns, ignore_index=True).dropna().drop_duplicates())


def join_key(ids: pd.Series) -> pd.Series:
    """A deal id as the join compares it: without Zoho's `zcrm_` prefix, which a data-backup
    export writes and a list-view export does not, so either export joins with the other."""
    return ids.str.removeprefix(ZOHO_PREFIX)


def _unmatched(item: LoadedInput, matched: np.ndarray, why: str) -> LoadedInput:
    """The history input less the rows joined to no deal, which its quality account counts."""
    count = int((~matched).sum())
    if not count:
        return item
    frame = item.frame
    left = frame[~matched]
    deals = left["deal_id"].nunique()
    reason = Reason(
        f"{why} ({deals:,} deal{'s' if deals != 1 else ''})",
        count,
        tuple(
            Example(int(row), str(deal))
            for row, deal in zip(
                left["_row"].head(MAX_EXAMPLES), left["deal_id"].head(MAX_EXAMPLES), strict=True
            )
        ),
    )
    q = item.quality
    quality = replace(
        q,
        rows_used=q.rows_used - count,
        rows_unmatched=q.rows_unmatched + count,
        unmatched=(*q.unmatched, reason),
    )
    return replace(item, frame=frame[matched].reset_index(drop=True), quality=quality)


def first_entries(history: pd.DataFrame) -> pd.DataFrame:
    """One row per deal (the index: deal_id) and one column per canonical stage it entered:
    the earliest changed_at at that stage."""
    firsts = history.groupby(["deal_id", "stage"], sort=False, observed=True)["changed_at"].min()
    wide = firsts.unstack("stage")
    return wide[[s for s in DEAL_STAGES if s in wide.columns]]


def fill_entered(deals: pd.DataFrame, entered: pd.DataFrame) -> pd.DataFrame:
    """`deals` with each blank entered_<stage> date taken from `entered` (first_entries) by
    deal_id; a date the deals already have is kept, and a stage none of them entered adds no
    column."""
    if "deal_id" not in deals.columns or entered.empty:
        return deals
    at = entered.index.get_indexer(pd.Index(join_key(deals["deal_id"])))  # -1: none
    filled = {}
    for stage in entered.columns:  # one step per stage, not per deal
        dates = entered[stage].astype("datetime64[us]").to_numpy()[at]
        dates[at < 0] = np.datetime64("NaT", "us")
        column = STAGE_DATE_PREFIX + stage
        if column not in deals.columns and np.isnat(dates).all():
            continue
        values = pd.Series(dates, index=deals.index).astype(TIMESTAMP)
        filled[column] = deals[column].fillna(values) if column in deals.columns else values
    return deals.assign(**filled)
