"""Every table on the dashboard, in page order."""

from ..tables import Table
from .connections import connection_tables, unmet_need_tables
from .outcomes import outcome_table
from .referrals import (
    breakdown_tables,
    funnel_counts,
    funnel_table,
    referrals_by_area,
    referrals_by_month,
    referrals_by_scheme,
    referrals_by_week,
    referrals_by_year,
)
from .scope import Filters, Scope
from .waiting import caseload_table, waiting_tables


def dashboard_tables(
    *, scope: Scope, filters: Filters, suppress: bool | None = None
) -> list[Table]:
    """Every table on the dashboard, in page order, published for this reader.

    Counts are exact for a scheme's managers and suppressed for everyone else;
    `suppress=True` suppresses them whoever reads (exports always do).
    Reads only the cubes: a fixed number of queries whatever the data.
    """
    suppress = (not scope.exact) if suppress is None else suppress
    received = funnel_counts(scope, filters)["received"]
    tables = [referrals_by_month(scope, filters, suppress)]
    tables.append(referrals_by_week(scope, filters, suppress))
    tables.append(referrals_by_year(scope, filters, suppress))
    tables.append(funnel_table(scope, filters, suppress))
    tables.extend(waiting_tables(scope, filters, suppress))
    tables.append(caseload_table(scope, filters, suppress))
    tables.append(referrals_by_area(scope, filters, suppress))
    if scope.kind == "area":
        tables.append(referrals_by_scheme(scope, filters, suppress))
    tables.extend(breakdown_tables(scope, filters, suppress, received))
    tables.extend(connection_tables(scope, filters, suppress))
    tables.extend(unmet_need_tables(scope, filters, suppress))
    tables.append(outcome_table(scope, filters, suppress))
    return tables
