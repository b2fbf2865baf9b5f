"""Reads for the dashboards and exports: scoped to the reader, and only ever from the cubes.

`dashboard_tables` turns cube rows into `tables.Table`s. Every count is read
with the sum of its records' keys, as a `tables.Tally`. Counts are exact for
a scheme's own managers; for commissioners (and in every export) they are
published by `tables.publish_count` (cell key noise, "<5", rounding), and
shares, rates, means, the order of rows and the sentences are worked out from
the published counts, never the exact ones. One module per topic:
`scope` (who may count what, the filters), `common` (cube reads and publishing),
then one module per group of tables, and `dashboard` putting them in page order.
"""

from .dashboard import dashboard_tables
from .headline import Headline, HeadlineFigure, headline_figures
from .scope import (
    REPORTING_ROLES,
    Filters,
    Scope,
    latest_runs,
    recent_runs,
    reporting_scope_for,
)
from .waiting import waiting_figures

__all__ = [
    "Filters",
    "Headline",
    "HeadlineFigure",
    "REPORTING_ROLES",
    "Scope",
    "dashboard_tables",
    "headline_figures",
    "latest_runs",
    "recent_runs",
    "reporting_scope_for",
    "waiting_figures",
]
