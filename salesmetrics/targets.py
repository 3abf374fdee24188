"""Targets and the status of a value against one: on track, at risk or off track.

A value reaching its target is on track; one short of it but reaching the warning level is at
risk; anything else is off track. "Reaching" means at least for KPIs where higher is better
and at most where lower is better (a lead response time, a churn rate).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ON_TRACK, AT_RISK, OFF_TRACK = "on_track", "at_risk", "off_track"


@dataclass(frozen=True)
class Target:
    target: float
    warn: float | None = None  # at risk between warn and target; off track beyond warn


@dataclass(frozen=True)
class KpiTargets:
    """A KPI's targets: for the total, and for single groups such as ("owner", "Ana")."""

    overall: Target | None = None
    groups: Mapping[tuple[str, str], Target] = field(default_factory=dict)


def status(value: float | None, target: Target, higher_is_better: bool) -> str | None:
    if value is None:
        return None

    def reaches(level: float) -> bool:
        return value >= level if higher_is_better else value <= level

    if reaches(target.target):
        return ON_TRACK
    if target.warn is not None and reaches(target.warn):
        return AT_RISK
    return OFF_TRACK
