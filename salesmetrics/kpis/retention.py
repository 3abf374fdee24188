"""Retention KPIs."""

from __future__ import annotations

from salesmetrics.kpis.base import Kpi

KPIS: tuple[Kpi, ...] = ()
