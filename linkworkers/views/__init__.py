"""Link workers' pages: parse, call a selector or service, render. One module per topic:
`common` (the access helpers every case page shares), `cases` (caseload, overview, contacts),
`plans` (what matters and goals), `closure`, `outcomes`, `team` (coordination: team,
waiting list, allocation, reassignment, peer navigators, supervision), `connections`
(to services, unmet needs, the prescription), `connection_work` (a connection's thread and
register), `documents` (files on a case) and `providers` (a provider's answers, thread and
register).
"""

from .cases import case_overview, caseload, contact_log, gp_feedback_change
from .closure import case_close, case_reopen
from .connection_work import connection_detail, connection_message, connection_session
from .connections import (
    connection_propose,
    connection_refer,
    connection_stop,
    connections,
    prescription,
    prescription_email,
    prescription_text,
    unmet_need,
)
from .documents import document_delete, document_download, documents
from .outcomes import outcome_record, outcomes
from .plans import goal_add, goal_update, what_matters
from .providers import (
    provider_accept,
    provider_attendance,
    provider_connection,
    provider_connections,
    provider_decline,
    provider_message,
    provider_session,
)
from .team import (
    allocate,
    case_people,
    case_reassign,
    peer_case,
    peer_navigator_add,
    peer_navigator_remove,
    supervision_for,
    supervision_own,
    team,
    waiting_list,
)

__all__ = [
    "connection_detail",
    "connection_message",
    "connection_session",
    "document_delete",
    "document_download",
    "documents",
    "provider_connection",
    "provider_message",
    "provider_session",
    "allocate",
    "case_close",
    "case_overview",
    "case_people",
    "case_reassign",
    "case_reopen",
    "caseload",
    "connection_propose",
    "connection_refer",
    "connection_stop",
    "connections",
    "contact_log",
    "goal_add",
    "goal_update",
    "gp_feedback_change",
    "outcome_record",
    "outcomes",
    "peer_case",
    "peer_navigator_add",
    "peer_navigator_remove",
    "prescription",
    "prescription_email",
    "prescription_text",
    "provider_accept",
    "provider_attendance",
    "provider_connections",
    "provider_decline",
    "supervision_for",
    "supervision_own",
    "team",
    "unmet_need",
    "waiting_list",
    "what_matters",
]
