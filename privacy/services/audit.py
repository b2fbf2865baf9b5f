"""The audit viewer's one write: its downloads are audited like any other export."""

from collections.abc import Iterable
from uuid import UUID

from django.http import HttpRequest

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from referrals.models import Person


def audit_trail_export(
    *,
    actor: User,
    what: str,
    people: Iterable[Person | UUID],
    records: Iterable[str],
    request: HttpRequest | None = None,
) -> AuditEvent:
    """One EXPORT row for a download of the audit trail, naming every person in the file.

    A file of who looked at whom is itself a disclosure of those people: it is
    written to the trail the DPO reads, so their downloads are seen too.
    """
    return audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        request=request,
        detail=what,
        people=people,
        records=records,
    )
