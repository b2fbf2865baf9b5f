"""Every change to a link worker's case: one function per use case, one module per topic.

Pages, tasks and commands call these with keyword arguments. They raise only
`core.exceptions` errors, so one family is turned into form errors and
messages in one place; status changes go through referrals' transition
services, which lock the row, write the timeline and tell the referrer.

`allocation` (who holds a case), `cases` (locking an open case), `contacts`,
`plans` (what matters, goals), `closure`, `outcomes`, `team` (supervision, peer
navigators), `reminders` (the scheduled jobs), `connections` (to directory
services), `connection_work` (the thread and attendance register shared with the
provider), `documents` (files attached to a case), `prescription`, and `erasure`
(the casework's free text blanked when privacy erases the person).
"""

from .allocation import referral_allocate, referral_reassign
from .closure import CLOSURE_PARTS, case_close, closure_summary_compose
from .connection_work import (
    REGISTER_STATUSES,
    attendance_session_record,
    connection_message_post,
    connection_side_of,
)
from .connections import (
    ATTENDANCE_STATUSES,
    CONNECTION_NOTE_LIMIT,
    DECLINE_DETAILS_LIMIT,
    EXPIRE_AFTER,
    REMIND_AFTER,
    connection_accept,
    connection_decline,
    connection_propose,
    connection_record_attendance,
    connection_refer,
    connection_stats_refresh,
    connection_stats_refresh_all,
    connection_stop,
    connections_remind_and_expire,
    unmet_need_record,
)
from .contacts import MAX_CONTACT_MINUTES, contact_log
from .diary import diary_feed_token_revoke, diary_feed_token_rotate
from .documents import (
    DESCRIPTION_LIMIT,
    DocumentUnreadable,
    case_documents_erase,
    document_delete,
    document_open,
    document_upload,
)
from .erasure import casework_erase_free_text
from .messages import (
    notify_configured,
    person_message_send,
    person_message_status_check,
    person_messages_sweep,
    prescription_channel,
    session_reminders_send,
)
from .outcomes import instrument_define, outcome_record, outcome_view_record
from .plans import GOAL_LIMIT, goal_add, goal_update, what_matters_save
from .prescription import prescription_email_send, prescription_text_send
from .reminders import digest_send, digests_send, holds_resume_due, outcome_reviews_notify
from .team import peer_navigator_attach, peer_navigator_detach, supervision_note_add

__all__ = [
    "notify_configured",
    "person_message_send",
    "person_message_status_check",
    "person_messages_sweep",
    "prescription_channel",
    "prescription_text_send",
    "session_reminders_send",
    "DESCRIPTION_LIMIT",
    "REGISTER_STATUSES",
    "DocumentUnreadable",
    "attendance_session_record",
    "case_documents_erase",
    "connection_message_post",
    "connection_side_of",
    "document_delete",
    "document_open",
    "document_upload",
    "diary_feed_token_revoke",
    "diary_feed_token_rotate",
    "casework_erase_free_text",
    "referral_allocate",
    "referral_reassign",
    "ATTENDANCE_STATUSES",
    "CLOSURE_PARTS",
    "CONNECTION_NOTE_LIMIT",
    "DECLINE_DETAILS_LIMIT",
    "EXPIRE_AFTER",
    "GOAL_LIMIT",
    "MAX_CONTACT_MINUTES",
    "REMIND_AFTER",
    "case_close",
    "closure_summary_compose",
    "connection_accept",
    "connection_decline",
    "connection_propose",
    "connection_record_attendance",
    "connection_refer",
    "connection_stats_refresh",
    "connection_stats_refresh_all",
    "connection_stop",
    "connections_remind_and_expire",
    "contact_log",
    "digest_send",
    "digests_send",
    "goal_add",
    "goal_update",
    "holds_resume_due",
    "instrument_define",
    "outcome_record",
    "outcome_reviews_notify",
    "outcome_view_record",
    "peer_navigator_attach",
    "peer_navigator_detach",
    "prescription_email_send",
    "supervision_note_add",
    "unmet_need_record",
    "what_matters_save",
]
