"""The free text of a person's casework blanked when the person is erased.

Called by privacy's erasure service (the one door), inside its transaction,
for the erased person's referrals. The coded facts stay: contact dates, modes,
outcomes and minutes; goal statuses and dates; connection statuses, decline
codes and dates; when messages were sent about a connection (their words go);
the attendance register's dates and whether the person came; unmet need
categories; outcome measures and their answers.
"""

from collections.abc import Collection

from django.db.models import F

from ..models import (
    AttendanceSession,
    ClosureSummary,
    Connection,
    ConnectionMessage,
    Contact,
    Goal,
    SupervisionNote,
    UnmetNeed,
    WhatMatters,
)


def casework_erase_free_text(*, referral_ids: Collection[int]) -> int:
    """Blank every note and free-text answer on these referrals' casework; returns rows changed.

    Versions move on, so an edit begun on a page loaded before the erasure is
    refused as stale instead of writing the old text back.
    """
    mine = {"referral_id__in": list(referral_ids)}
    changed = Contact.objects.filter(**mine).update(notes="")
    changed += WhatMatters.objects.filter(**mine).update(
        what_matters="", strengths="", want_to_change="", version=F("version") + 1
    )
    changed += Goal.objects.filter(**mine).update(description="", progress_notes="")
    changed += ClosureSummary.objects.filter(**mine).update(
        what_mattered="", connected_to="", outcomes="", follow_up=""
    )
    changed += Connection.objects.filter(**mine).update(
        note_for_provider="", decline_details="", stop_reason="", version=F("version") + 1
    )
    changed += UnmetNeed.objects.filter(**mine).update(notes="")
    theirs = {"connection__referral_id__in": mine["referral_id__in"]}
    changed += ConnectionMessage.objects.filter(**theirs).update(text="")
    changed += AttendanceSession.objects.filter(**theirs).update(note="")
    changed += SupervisionNote.objects.filter(**mine).update(text="")
    return changed
