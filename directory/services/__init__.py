"""Writes for the directory. Every change that spans rows goes through here, one module per topic:
`search` (the search documents), `categories` (need words), `imports` (HSDS/ORUK feeds and
the ONS postcode file), `upkeep` (providers' proposed changes, editors' decisions, stale
listings) and `checks` (link workers' pre-referral checks and the referral figures shown on a
listing).
"""

from .categories import taxonomy_term_need_words_update
from .checks import service_check_record, service_update_referral_stats
from .imports import (
    HsdsImportResult,
    PostcodeImportResult,
    postcodes_import,
    provider_import_hsds,
    service_import_hsds,
    taxonomy_import_hsds,
)
from .search import service_refresh_search
from .upkeep import (
    service_change_approve,
    service_change_decision_email_send,
    service_change_decision_notify,
    service_change_decisions_notify_pending,
    service_change_propose,
    service_change_reject,
    service_confirm_current,
    service_stale_email_send,
    services_flag_stale,
)

__all__ = [
    "HsdsImportResult",
    "PostcodeImportResult",
    "postcodes_import",
    "provider_import_hsds",
    "service_change_approve",
    "service_change_decision_email_send",
    "service_change_decision_notify",
    "service_change_decisions_notify_pending",
    "service_change_propose",
    "service_change_reject",
    "service_check_record",
    "service_confirm_current",
    "service_import_hsds",
    "service_refresh_search",
    "service_stale_email_send",
    "service_update_referral_stats",
    "services_flag_stale",
    "taxonomy_import_hsds",
    "taxonomy_term_need_words_update",
]
