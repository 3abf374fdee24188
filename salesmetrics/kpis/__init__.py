"""The KPI catalogue: each KPI is one declaration in its funnel stage's module."""
