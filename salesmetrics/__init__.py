"""salesmetrics: sales-funnel KPIs from CRM exports.

The package is a library first: `salesmetrics.ingest.load_input` turns an export into a
canonical frame and a data-quality account; the CLI only wires it together.
"""

__version__ = "0.1.0"
