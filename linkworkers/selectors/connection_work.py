"""Reads of a connection's thread and register, and of a case's documents (already in scope:
the caller reached the connection or the case through its access helper)."""

from dataclasses import dataclass

from django.http import Http404

from ..models import AttendanceSession, CaseDocument, Connection, ConnectionMessage
from .cases import cases_visible_to


def messages_for(connection: Connection):
    return ConnectionMessage.objects.filter(connection=connection).select_related("author")


def sessions_for(connection: Connection):
    return AttendanceSession.objects.filter(connection=connection).select_related("recorded_by")


@dataclass(frozen=True)
class Register:
    """The attendance register of a connection, newest session first, with its counts."""

    sessions: list[AttendanceSession]
    attended: int
    missed: int


def register_for(connection: Connection) -> Register:
    sessions = list(sessions_for(connection))
    attended = sum(1 for session in sessions if session.attended)
    return Register(sessions=sessions, attended=attended, missed=len(sessions) - attended)


def may_open_case(user, referral) -> bool:
    """Whether `user` may open this case (its documents follow the case's scoping)."""
    return bool(cases_visible_to(user).filter(pk=referral.pk).exists())


def documents_for_case(referral):
    return CaseDocument.objects.filter(referral=referral).select_related("uploaded_by")


def get_case_document(referral, document_uuid):
    """A document of this case (already reached through get_case_for), or 404."""
    try:
        return (
            documents_for_case(referral).select_related("referral__person").get(uuid=document_uuid)
        )
    except (CaseDocument.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
