"""Working with a provider on a connection: the message thread and the attendance register.

Both sides write here: the link worker holding the case, and the staff of the
provider that keeps the service (once the person has been referred to it; a
proposal is the link worker's idea alone). Each write tells the other side.
The register sits beside the connection's status, which keeps its own moves.
"""

from collections.abc import Callable
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition, Refused
from directory.selectors import provider_staff, user_manages_service
from referrals.models import Notification
from referrals.services import user_notify

from ..models import (
    MESSAGE_LIMIT,
    SESSION_NOTE_LIMIT,
    AttendanceSession,
    Connection,
    ConnectionMessage,
    ConnectionStatus,
)
from ..selectors import can_work_on, connection_in_sight_of
from .cases import raise_if, too_long
from .connections import _connection_event, _lock_connection

LINK_WORKER, PROVIDER = "link_worker", "provider"

# The register opens once the provider has taken the person on, and stays open after the
# connection ends so that sessions can be caught up.
REGISTER_STATUSES = (
    ConnectionStatus.ACCEPTED,
    ConnectionStatus.ATTENDING,
    ConnectionStatus.COMPLETED,
    ConnectionStatus.STOPPED,
)


def connection_side_of(actor: User, connection: Connection) -> str | None:
    """Which side `actor` writes for on this connection: the link worker's, the provider's, none."""
    if can_work_on(actor, connection.referral):
        return LINK_WORKER
    if (
        user_manages_service(actor, connection.service)
        and connection.status != ConnectionStatus.PROPOSED
    ):
        return PROVIDER
    return None


def _locked_side(actor: User, connection: Connection, refusal: str) -> tuple[Connection, str]:
    locked = _lock_connection(connection)
    side = connection_side_of(actor, locked)
    if side is None:
        # Out of sight answers as if it were not there (404); in sight, a reason.
        raise (InvalidTransition if connection_in_sight_of(actor, locked) else Refused)(refusal)
    return locked, side


def _tell_other_side(
    connection: Connection, *, side: str, message: Callable[[], str], now: datetime
) -> None:
    referral = connection.referral
    if side == PROVIDER:
        # The provider's word on a connection (a message, the register): their answer.
        user_notify(
            recipient=referral.link_worker,
            referral=referral,
            message=message,
            now=now,
            kind=Notification.Kind.PROVIDER_ANSWER,
            url_path=reverse(
                "linkworkers:connection",
                kwargs={"referral_uuid": referral.uuid, "connection_uuid": connection.uuid},
            ),
        )
        return
    path = reverse("providers:detail", kwargs={"connection_uuid": connection.uuid})
    for recipient in provider_staff(connection.service):
        user_notify(recipient=recipient, referral=referral, message=message, url_path=path, now=now)


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def connection_message_post(
    *, connection: Connection, actor: User, text: str, request: HttpRequest | None = None
) -> ConnectionMessage:
    """Add a message to the connection's thread; the other side is told (in-app and by email).

    The notice says who wrote about which service, not what they wrote: the
    words stay behind the sign-in.
    """
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = [_("Write a message.")]
    elif len(text) > MESSAGE_LIMIT:
        errors["text"] = [too_long(MESSAGE_LIMIT)]
    raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        locked, side = _locked_side(
            actor, connection,
            _("Only the link worker holding the case and the provider's staff can write here."),
        )  # fmt: skip
        if locked.status == ConnectionStatus.PROPOSED:
            raise InvalidTransition(
                _("Refer the person to the service first: the provider sees nothing before.")
            )
        message = ConnectionMessage.objects.create(
            connection=locked, author=actor, text=text, created_at=now
        )
        who, service, reference = _name(actor), locked.service, locked.referral.reference
        _tell_other_side(
            locked,
            side=side,
            now=now,
            message=lambda: (
                _("%(who)s sent a message about %(service)s (%(ref)s).")
                % {"who": who, "service": service.display_name, "ref": reference}
            ),
        )
        audit_record(
            actor=actor, action=AuditEvent.Action.CREATE, obj=message, request=request,
            detail=f"message on connection {locked.uuid} (referral {reference})",
        )  # fmt: skip
    return message


def attendance_session_record(
    *,
    connection: Connection,
    actor: User,
    session_on: date | None,
    attended: bool | None,
    note: str = "",
    request: HttpRequest | None = None,
) -> AttendanceSession:
    """Record one session attended or missed; either side may, and the other is told.

    One row per session date: a second entry for the same date is refused
    (naming the date) rather than counted twice. Dates in the future, or
    before the person was referred to the service, are refused.
    """
    note = (note or "").strip()
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if session_on is None:
        errors["session_on"] = [_("Give the date of the session.")]
    elif session_on > today:
        errors["session_on"] = [_("The session cannot be in the future.")]
    if attended is None:
        errors["attended"] = [_("Say whether the person came.")]
    if len(note) > SESSION_NOTE_LIMIT:
        errors["note"] = [too_long(SESSION_NOTE_LIMIT)]
    raise_if(errors)
    assert session_on is not None and attended is not None  # raise_if refused them
    now = timezone.now()
    with transaction.atomic():
        locked, side = _locked_side(
            actor, connection,
            _("Only the link worker holding the case and the provider's staff keep the register."),
        )  # fmt: skip
        if locked.status not in REGISTER_STATUSES:
            raise InvalidTransition(
                _("The register opens once the provider has accepted the person.")
            )
        if locked.referred_at and session_on < timezone.localdate(locked.referred_at):
            raise_if({"session_on": [_("The session is before the referral to this service.")]})
        day = formats.date_format(session_on, "j M Y")
        already = _("A session on %(date)s is already in the register.") % {"date": day}
        taken = {"session_on": [already]}
        if locked.sessions.filter(session_on=session_on).exists():
            raise_if(taken)
        try:
            with transaction.atomic():
                session = AttendanceSession.objects.create(
                    connection=locked, session_on=session_on, attended=attended, note=note,
                    recorded_by=actor, recorded_at=now,
                )  # fmt: skip
        except IntegrityError:  # pragma: no cover - the row lock makes this belt and braces
            raise_if(taken)
        service, reference = locked.service, locked.referral.reference
        _connection_event(
            connection=locked,
            actor=actor,
            now=now,
            text=(
                _("%(service)s: attended the session on %(date)s.")
                if attended
                else _("%(service)s: missed the session on %(date)s.")
            )
            % {"service": service.name, "date": day},
        )

        def notice() -> str:
            when = formats.date_format(session_on, "j M Y")
            words = (
                _("%(service)s: %(ref)s attended the session on %(date)s.")
                if attended
                else _("%(service)s: %(ref)s missed the session on %(date)s.")
            )
            return words % {"service": service.display_name, "ref": reference, "date": when}

        _tell_other_side(locked, side=side, message=notice, now=now)
        audit_record(
            actor=actor, action=AuditEvent.Action.CREATE, obj=session, request=request,
            detail=f"session on connection {locked.uuid} (referral {reference})",
        )  # fmt: skip
    return session
