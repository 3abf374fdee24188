"""Every KPI, by id. Ids are a public contract: JSON consumers depend on them."""

from __future__ import annotations

from salesmetrics.kpis import close
from salesmetrics.kpis.base import Kpi

CATALOGUE: dict[str, Kpi] = {k.id: k for k in (*close.KPIS,)}
