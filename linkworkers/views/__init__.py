"""Link workers' pages: parse, call a selector or service, render. One module per topic:
`common` (the access helpers every case page shares), `cases` (caseload, overview, contacts),
`plans` (what matters and goals), `closure`, `outcomes`, `team` (coordination: team,
waiting list, allocation, reassignment, peer navigators, supervision), `connections`
(to services, unmet needs, the prescription) and `providers` (a provider's answers).
"""

from .cases import case_overview, caseload, contact_log, gp_feedback_change
from .closure import case_close, case_reopen
from .connections import (
    connection_propose,
    connection_refer,
    connection_stop,
    connections,
    prescription,
    prescription_email,
    unmet_need,
)
from .letter import gp_letter
from .outcomes import outcome_record, outcomes
from .plans import goal_add, goal_update, what_matters
from .providers import provider_accept, provider_attendance, provider_connections, provider_decline
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
    "gp_letter",
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
