"""Connections to directory services, from proposed to attended or stopped.

Also unmet needs, and the reply-time figures shown on a listing.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition, Refused, StaleVersion
from directory.models import Service, TaxonomyTerm
from directory.selectors import provider_staff, user_manages_service
from directory.services import service_update_referral_stats
from referrals.models import (
    Notification,
    Referral,
    ReferralEvent,
)
from referrals.services import (
    user_notify,
)

from ..models import (
    CONNECTION_TRANSITIONS,
    LIVE_CONNECTION_STATUSES,
    NOTE_LIMIT,
    Connection,
    ConnectionStatus,
    DeclineReason,
    UnmetNeed,
)
from ..selectors import (
    CONNECTION_ANSWER_DUE_AFTER,
    connection_in_sight_of,
    service_referral_stats,
)
from .cases import lock_open_case, raise_if, too_long

CONNECTION_NOTE_LIMIT = 1000


DECLINE_DETAILS_LIMIT = 500


REMIND_AFTER = CONNECTION_ANSWER_DUE_AFTER


EXPIRE_AFTER = timedelta(days=14)


def _check_version(connection: Connection, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != connection.version:
        raise StaleVersion(
            _(
                "Someone else changed this connection while you were looking. "
                "Check it and try again."
            )
        )


def _lock_connection(connection: Connection) -> Connection:
    return (
        Connection.objects.select_for_update()
        .select_related("service", "service__provider", "referral")
        .get(pk=connection.pk)
    )


def _check_move(connection: Connection, to_status: str) -> None:
    if to_status not in CONNECTION_TRANSITIONS[connection.status]:
        raise InvalidTransition(
            _("This connection is %(status)s: it cannot become %(to)s.")
            % {
                "status": connection.get_status_display().lower(),
                "to": ConnectionStatus(to_status).label.lower(),
            }
        )


def _connection_event(
    *, connection: Connection, actor: User | None, text: str, now: datetime
) -> None:
    # The timeline keeps the connection's history; it is the link worker's record.
    ReferralEvent.objects.create(
        referral_id=connection.referral_id,
        kind=ReferralEvent.Kind.CONNECTION,
        actor=actor,
        note=text,
        visible_to_referrer=False,
        created_at=now,
    )


def _moved(
    connection: Connection, *, to_status: str, now: datetime, **fields: object
) -> Connection:
    connection.status = to_status
    connection.version += 1
    for name, value in fields.items():
        setattr(connection, name, value)
    connection.save(update_fields=["status", "version", *fields])
    return connection


def _tell_link_worker(connection: Connection, message: Callable[[], str], now: datetime) -> None:
    """The provider's answer (accepted, declined, attendance) goes to the case's link worker."""
    referral = connection.referral
    user_notify(
        recipient=referral.link_worker,
        referral=referral,
        message=message,
        now=now,
        kind=Notification.Kind.PROVIDER_ANSWER,
        url_path=reverse("linkworkers:connections", kwargs={"referral_uuid": referral.uuid}),
    )


def _tell_provider(
    connection: Connection, message: Callable[[], str], now: datetime,
    kind: str = Notification.Kind.OTHER,
) -> None:  # fmt: skip
    path = reverse("providers:connections")
    for recipient in provider_staff(connection.service):
        user_notify(
            recipient=recipient,
            referral=connection.referral,
            message=message,
            url_path=path,
            now=now,
            kind=kind,
        )


def _may_answer(actor: User, connection: Connection) -> bool:
    return user_manages_service(actor, connection.service)


def _refuse_answer(actor: User, connection: Connection) -> None:
    refusal = _("Only the staff of this service's provider can answer.")
    if connection_in_sight_of(actor, connection):
        raise InvalidTransition(refusal)
    raise Refused(refusal)  # another provider's connection: as if it were not there


def connection_propose(
    *,
    referral: Referral,
    actor: User,
    service: Service | None,
    note_for_provider: str = "",
    request: HttpRequest | None = None,
) -> Connection:
    """The link worker suggests a service to the person; nothing reaches the provider yet."""
    errors: dict[str, list[str]] = {}
    if service is None or service.status != Service.Status.ACTIVE:
        errors["service"] = [_("Choose an active service from the directory.")]
    if len(note_for_provider or "") > CONNECTION_NOTE_LIMIT:
        errors["note_for_provider"] = [too_long(CONNECTION_NOTE_LIMIT)]
    raise_if(errors)
    assert service is not None  # raise_if refused a missing service
    now = timezone.now()
    with transaction.atomic():
        locked = lock_open_case(
            referral=referral,
            actor=actor,
            refusal=_("Only the link worker holding this case can connect the person to a service"),
        )
        if locked.connections.filter(service=service, status__in=LIVE_CONNECTION_STATUSES).exists():
            raise_if({"service": [_("This person already has a connection to this service.")]})
        connection = Connection.objects.create(
            referral=locked,
            service=service,
            note_for_provider=note_for_provider or "",
            proposed_at=now,
            created_by=actor,
        )
        _connection_event(
            connection=connection,
            actor=actor,
            now=now,
            text=_("Proposed %(service)s.") % {"service": service.name},
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=connection,
            request=request,
            detail=f"connection on referral {locked.reference}",
        )
    return connection


def connection_refer(
    *, connection: Connection, actor: User, expected_version: int | None = None
) -> Connection:
    """Send the person to the service: its provider's staff are told and asked to answer.

    A signposting-only service takes no referrals: the person contacts it
    themselves and the connection stays proposed.
    """
    now = timezone.now()
    with transaction.atomic():
        lock_open_case(
            referral=connection.referral,
            actor=actor,
            refusal=_("Only the link worker holding this case can refer the person."),
            seen=lambda: connection_in_sight_of(actor, connection),
        )
        locked = _lock_connection(connection)
        _check_version(locked, expected_version)
        _check_move(locked, ConnectionStatus.REFERRED)
        if not locked.service.takes_direct_referrals:
            raise InvalidTransition(
                _(
                    "%(service)s does not take referrals: give the person its details so they "
                    "can contact it themselves."
                )
                % {"service": locked.service.name}
            )
        _moved(locked, to_status=ConnectionStatus.REFERRED, now=now, referred_at=now)
        _connection_event(
            connection=locked,
            actor=actor,
            now=now,
            text=_("Referred to %(service)s.") % {"service": locked.service.name},
        )
        service = locked.service
        _tell_provider(
            locked,
            lambda: (
                _("A link worker has referred someone to %(service)s. Please accept or decline.")
                % {"service": service.display_name}
            ),
            now,
        )
    return locked


def connection_accept(
    *, connection: Connection, actor: User, expected_version: int | None = None
) -> Connection:
    """The provider takes the person on; the link worker is told."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_connection(connection)
        if not _may_answer(actor, locked):
            _refuse_answer(actor, locked)
        _check_version(locked, expected_version)
        _check_move(locked, ConnectionStatus.ACCEPTED)
        _moved(locked, to_status=ConnectionStatus.ACCEPTED, now=now, answered_at=now)
        _connection_event(
            connection=locked,
            actor=actor,
            now=now,
            text=_("%(service)s accepted the referral.") % {"service": locked.service.name},
        )
        service, reference = locked.service, locked.referral.reference
        _tell_link_worker(
            locked,
            lambda: (
                _("%(service)s accepted the referral for %(ref)s.")
                % {"service": service.display_name, "ref": reference}
            ),
            now,
        )
        connection_stats_refresh(service_id=locked.service_id, now=now)
    return locked


def connection_decline(
    *,
    connection: Connection,
    actor: User,
    reason: str,
    details: str = "",
    expected_version: int | None = None,
) -> Connection:
    """The provider cannot take the person on, with a reason; the link worker is told."""
    errors: dict[str, list[str]] = {}
    choosable = [value for value in DeclineReason.values if value != DeclineReason.NO_RESPONSE]
    if reason not in choosable:
        errors["reason"] = [_("Choose why you cannot take the person on.")]
    if reason == DeclineReason.OTHER and not (details or "").strip():
        errors["details"] = [_("Say why, when the reason is other.")]
    if len(details or "") > DECLINE_DETAILS_LIMIT:
        errors["details"] = [too_long(DECLINE_DETAILS_LIMIT)]
    raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_connection(connection)
        if not _may_answer(actor, locked):
            _refuse_answer(actor, locked)
        _check_version(locked, expected_version)
        _check_move(locked, ConnectionStatus.DECLINED)
        _decline(locked, actor=actor, reason=reason, details=details or "", now=now)
    return locked


def _decline(
    connection: Connection, *, actor: User | None, reason: str, details: str, now: datetime
) -> None:
    _moved(
        connection,
        to_status=ConnectionStatus.DECLINED,
        now=now,
        answered_at=now,
        ended_at=now,
        decline_reason=reason,
        decline_details=details,
    )
    label = DeclineReason(reason).label
    _connection_event(
        connection=connection,
        actor=actor,
        now=now,
        text=_("%(service)s declined: %(reason)s. %(details)s")
        % {"service": connection.service.name, "reason": label, "details": details},
    )
    service, reference = connection.service, connection.referral.reference
    _tell_link_worker(
        connection,
        lambda: (
            _("%(service)s declined the referral for %(ref)s: %(reason)s.")
            % {
                "service": service.display_name,
                "ref": reference,
                "reason": DeclineReason(reason).label,
            }
        ),
        now,
    )
    connection_stats_refresh(service_id=connection.service_id, now=now)


ATTENDANCE_STATUSES = (
    ConnectionStatus.ATTENDING,
    ConnectionStatus.COMPLETED,
    ConnectionStatus.STOPPED,
)


def connection_record_attendance(
    *,
    connection: Connection,
    actor: User,
    attendance: str,
    note: str = "",
    expected_version: int | None = None,
) -> Connection:
    """The provider says whether the person is attending, has completed or has stopped."""
    errors: dict[str, list[str]] = {}
    if attendance not in ATTENDANCE_STATUSES:
        errors["attendance"] = [_("Choose attending, completed or stopped.")]
    if len(note or "") > DECLINE_DETAILS_LIMIT:
        errors["note"] = [too_long(DECLINE_DETAILS_LIMIT)]
    raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_connection(connection)
        if not _may_answer(actor, locked):
            _refuse_answer(actor, locked)
        _check_version(locked, expected_version)
        _check_move(locked, attendance)
        fields: dict[str, object] = {}
        if attendance == ConnectionStatus.ATTENDING:
            fields["attending_since"] = now
        else:
            fields["ended_at"] = now
            if attendance == ConnectionStatus.STOPPED:
                fields["stop_reason"] = note or ""
        _moved(locked, to_status=attendance, now=now, **fields)
        label = ConnectionStatus(attendance).label
        _connection_event(
            connection=locked,
            actor=actor,
            now=now,
            text=_("%(service)s recorded: %(status)s. %(note)s")
            % {"service": locked.service.name, "status": label, "note": note},
        )
        service, reference = locked.service, locked.referral.reference
        _tell_link_worker(
            locked,
            lambda: (
                _("%(service)s recorded %(status)s for %(ref)s.")
                % {
                    "service": service.display_name,
                    "ref": reference,
                    "status": ConnectionStatus(attendance).label.lower(),
                }
            ),
            now,
        )
    return locked


def connection_stop(
    *, connection: Connection, actor: User, reason: str, expected_version: int | None = None
) -> Connection:
    """The link worker ends a connection (the person changed their mind, or it did not fit)."""
    if not (reason or "").strip():
        raise_if({"reason": [_("Say why the connection stops.")]})
    if len(reason) > DECLINE_DETAILS_LIMIT:
        raise_if({"reason": [too_long(DECLINE_DETAILS_LIMIT)]})
    now = timezone.now()
    with transaction.atomic():
        lock_open_case(
            referral=connection.referral,
            actor=actor,
            refusal=_("Only the link worker holding this case can stop a connection."),
            seen=lambda: connection_in_sight_of(actor, connection),
        )
        locked = _lock_connection(connection)
        _check_version(locked, expected_version)
        _check_move(locked, ConnectionStatus.STOPPED)
        provider_knew = locked.status != ConnectionStatus.PROPOSED
        _moved(
            locked, to_status=ConnectionStatus.STOPPED, now=now, ended_at=now, stop_reason=reason
        )
        _connection_event(
            connection=locked,
            actor=actor,
            now=now,
            text=_("Stopped %(service)s: %(reason)s")
            % {"service": locked.service.name, "reason": reason},
        )
        if provider_knew:
            service = locked.service
            _tell_provider(
                locked,
                lambda: (
                    _("The link worker has stopped a referral to %(service)s.")
                    % {"service": service.display_name}
                ),
                now,
            )
    return locked


def unmet_need_record(
    *,
    referral: Referral,
    actor: User,
    category: TaxonomyTerm | None,
    notes: str = "",
    request: HttpRequest | None = None,
) -> UnmetNeed:
    """Nothing suitable exists for the person in this category; reporting counts these."""
    errors: dict[str, list[str]] = {}
    if category is None:
        errors["category"] = [_("Choose the kind of service that was missing.")]
    if len(notes or "") > NOTE_LIMIT:
        errors["notes"] = [too_long(NOTE_LIMIT)]
    raise_if(errors)
    assert category is not None  # raise_if refused a missing category
    now = timezone.now()
    with transaction.atomic():
        locked = lock_open_case(
            referral=referral,
            actor=actor,
            refusal=_("Only the link worker holding this case can record an unmet need."),
        )
        need = UnmetNeed.objects.create(
            referral=locked,
            category=category,
            notes=notes or "",
            recorded_by=actor,
            recorded_at=now,
        )
        ReferralEvent.objects.create(
            referral=locked,
            kind=ReferralEvent.Kind.CONNECTION,
            actor=actor,
            note=_("Unmet need: %(category)s. %(notes)s")
            % {"category": category.name, "notes": notes},
            visible_to_referrer=False,
            created_at=now,
        )
    return need


def connection_stats_refresh(*, service_id: int, now: datetime | None = None) -> None:
    """Recompute a service's usual reply time and share accepted, shown on its listing."""
    usual, share = service_referral_stats(service_id, now=now)
    service_update_referral_stats(
        service=Service(pk=service_id), usual_reply_days=usual, accepted_share=share
    )


def _reminder_text(service: Service) -> str:
    return _(
        "A referral to %(service)s has waited 7 days for your answer. "
        "Please accept or "
        "decline; after 14 days it is declined for you."
    ) % {"service": service.display_name}


def connections_remind_and_expire(*, now: datetime | None = None) -> tuple[int, int]:
    """Remind providers at 7 days without an answer; decline for them at 14 days.

    Safe to run twice or in two workers: a reminder is claimed with a
    conditional update of reminder_sent_at, and the expiry locks each row and
    re-checks its status, so each happens once.
    """
    now = now or timezone.now()
    reminded = 0
    due = Connection.objects.filter(
        status=ConnectionStatus.REFERRED,
        reminder_sent_at__isnull=True,
        referred_at__lte=now - REMIND_AFTER,
        referred_at__gt=now - EXPIRE_AFTER,
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            claimed = Connection.objects.filter(
                pk=pk, status=ConnectionStatus.REFERRED, reminder_sent_at__isnull=True
            ).update(reminder_sent_at=now)
            if not claimed:
                continue
            connection = Connection.objects.select_related(
                "service", "service__provider", "referral"
            ).get(pk=pk)
            _tell_provider(
                connection, partial(_reminder_text, connection.service), now,
                kind=Notification.Kind.REMINDER,
            )  # fmt: skip
            reminded += 1
    declined = 0
    expired = Connection.objects.filter(
        status=ConnectionStatus.REFERRED, referred_at__lte=now - EXPIRE_AFTER
    ).values_list("pk", flat=True)
    for pk in list(expired):
        with transaction.atomic():
            locked = _lock_connection(Connection(pk=pk))
            if locked.status != ConnectionStatus.REFERRED:
                continue
            _decline(locked, actor=None, reason=DeclineReason.NO_RESPONSE, details="", now=now)
            declined += 1
    return reminded, declined


def connection_stats_refresh_all(*, now: datetime | None = None) -> int:
    """Recompute the listing figures of every service answered in the last 12 months.

    Answers age out of the 12-month window without anyone answering anew, so
    the daily job refreshes them too.
    """
    now = now or timezone.now()
    service_ids = (
        Connection.objects.filter(answered_at__gte=now - timedelta(days=365 + 31))
        .values_list("service_id", flat=True)
        .distinct()
    )
    count = 0
    for service_id in list(service_ids):
        connection_stats_refresh(service_id=service_id, now=now)
        count += 1
    return count
