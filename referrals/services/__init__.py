"""Every change to people and referrals: one function per use case, one module per topic.

Pages, the partner API, tasks and commands call these with keyword arguments;
they raise only `core.exceptions` errors (and referrals' own subclasses of them)
for things a person can put right. `intake` (making a referral, matching the
person), `lifecycle` (the one transition door and the moves through it, with
the feedback to the referrer), `consent` (the person's later change of what
may go back to their GP), `duplicates` (the coordinator's decisions on
possible duplicates), `notifications`, `people` (rectification and the
erasure tombstone, whose doors are privacy's services) and `reads` (the
audit of every page or answer that shows a person).
"""

from .consent import referral_gp_feedback_change
from .duplicates import (
    DUPLICATE_DECISIONS,
    DUPLICATE_DISMISS,
    DUPLICATE_MERGE,
    DUPLICATE_UNDO_MERGE,
    possible_duplicate_decide,
    possible_duplicate_view_record,
)
from .intake import (
    PERSON_FIELDS,
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    REFERRAL_FIELDS,
    SOURCE_FOR_ORGANISATION,
    new_reference,
    referral_create,
    referral_create_idempotent,
)
from .lifecycle import (
    FEEDBACK_STATUSES,
    referral_accept,
    referral_cancel,
    referral_close,
    referral_hold,
    referral_reject,
    referral_reopen,
    referral_resume,
    referral_start,
    referral_transition,
)
from .notifications import (
    colleague_notify,
    coordinators_notify_new_referral,
    notification_digest_send,
    notification_digests_send,
    notification_mark_read,
    notification_target,
    notifications_mark_all_read,
    user_notify,
)
from .people import (
    LIVE_STATUSES,
    TOMBSTONE_NAME,
    person_details_correct,
    person_live_referrals,
    person_records_of,
    person_tombstone,
)
from .reads import people_on, referral_view_record, referrals_view_record

__all__ = [
    "DUPLICATE_DECISIONS",
    "DUPLICATE_DISMISS",
    "DUPLICATE_MERGE",
    "DUPLICATE_UNDO_MERGE",
    "FEEDBACK_STATUSES",
    "LIVE_STATUSES",
    "PERSON_FIELDS",
    "REFERENCE_ALPHABET",
    "REFERENCE_LENGTH",
    "REFERRAL_FIELDS",
    "SOURCE_FOR_ORGANISATION",
    "TOMBSTONE_NAME",
    "colleague_notify",
    "coordinators_notify_new_referral",
    "new_reference",
    "notification_digest_send",
    "notification_digests_send",
    "notification_mark_read",
    "notification_target",
    "notifications_mark_all_read",
    "person_details_correct",
    "person_live_referrals",
    "person_records_of",
    "person_tombstone",
    "people_on",
    "possible_duplicate_decide",
    "possible_duplicate_view_record",
    "referral_accept",
    "referral_cancel",
    "referral_close",
    "referral_create",
    "referral_create_idempotent",
    "referral_gp_feedback_change",
    "referral_hold",
    "referral_reject",
    "referral_reopen",
    "referral_resume",
    "referral_start",
    "referral_transition",
    "referral_view_record",
    "referrals_view_record",
    "user_notify",
]
