"""Keeping listings true: providers propose changes, editors decide, stale ones are flagged."""

import copy
import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition, ValidationError
from core.outbox import outbox_email_queue
from core.queue import enqueue

from .. import selectors
from ..exceptions import NothingChanged, StaleChange
from ..models import (
    STALE_AFTER,
    Service,
    ServiceChange,
)
from ..selectors import PROVIDER_EDITABLE_FIELDS
from .search import service_refresh_search

logger = logging.getLogger(__name__)


def service_values_check(service: Service, data: dict[str, Any]) -> None:
    """Raise ValidationError naming each field at fault if `data` would make a bad listing."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - set(PROVIDER_EDITABLE_FIELDS))
    if unknown:
        errors["__all__"] = [
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)}
        ]
    candidate = copy.copy(service)
    for name, value in data.items():
        if name in PROVIDER_EDITABLE_FIELDS:
            setattr(candidate, name, value)
    others = [f.name for f in Service._meta.fields if f.name not in PROVIDER_EDITABLE_FIELDS]
    try:
        candidate.full_clean(
            exclude=others,
            validate_unique=False,
            validate_constraints=False,
        )
    except DjangoValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    # The database enforces these too; here they get messages that name the field.
    if candidate.capacity == Service.Capacity.WAITING_LIST and not candidate.waiting_band:
        errors.setdefault("waiting_band", []).append(
            _("Say how long the wait is when there is a waiting list.")
        )
    if candidate.capacity != Service.Capacity.WAITING_LIST and candidate.waiting_band:
        errors.setdefault("waiting_band", []).append(
            _("Leave the waiting time empty unless there is a waiting list.")
        )
    if (
        isinstance(candidate.minimum_age, int)
        and isinstance(candidate.maximum_age, int)
        and candidate.minimum_age > candidate.maximum_age
    ):
        errors.setdefault("maximum_age", []).append(
            _("The maximum age cannot be below the minimum age.")
        )
    if errors:
        raise ValidationError(_("Please correct the errors below."), field_errors=errors)


def _absolute_url(path: str) -> str:
    site: str = settings.SITE_URL
    return site.rstrip("/") + path


def _email_queue(
    *, recipient: User, template: str, context: dict[str, Any], about_object: models.Model
) -> None:
    """Write one email to the outbox in the recipient's language; core.outbox sends it."""
    with translation.override(recipient.preferred_language):
        context = {
            **context,
            "recipient": recipient,
            "manage_url": _absolute_url(reverse("upkeep:manage")),
        }
        outbox_email_queue(
            to=recipient.email, template=template, context=context, about_object=about_object
        )


def service_change_propose(
    *, service: Service, actor: User, data: dict[str, Any]
) -> ServiceChange | None:
    """Propose an edit to a listing; it waits for a directory editor and changes nothing yet.

    Only the fields whose values differ from the listing are kept (before and
    after). A service has at most one pending change: editing again while one
    waits replaces that proposal with the new one, worked out afresh against
    the listing as it stands. Sending back exactly what the listing already
    says withdraws a waiting proposal (returns None), and is refused when
    there is none.
    """
    if not selectors.user_manages_service(actor, service):
        raise InvalidTransition(_("Only the provider's own staff can change this listing."))
    with transaction.atomic():
        # Lock order everywhere: the service, then its changes.
        service = Service.objects.select_for_update().select_related("provider").get(pk=service.pk)
        service_values_check(service, data)
        pending = (
            ServiceChange.objects.select_for_update()
            .filter(service=service, status=ServiceChange.Status.PENDING)
            .first()
        )
        before = {
            name: getattr(service, name)
            for name in PROVIDER_EDITABLE_FIELDS
            if name in data and data[name] != getattr(service, name)
        }
        after = {name: data[name] for name in before}
        if not after:
            if pending is None:
                raise NothingChanged(
                    _("You have not changed anything: the listing already says this.")
                )
            audit_record(
                actor=actor,
                action=AuditEvent.Action.CHANGE,
                obj=pending,
                detail=f"service change withdrawn for service {service.uuid}",
            )
            pending.delete()
            return None
        if pending is None:
            change = ServiceChange.objects.create(
                service=service, proposed_by=actor, before=before, after=after
            )
            action = AuditEvent.Action.CREATE
        else:
            change = pending
            change.before, change.after = before, after
            change.proposed_by = actor
            change.proposed_at = timezone.now()
            change.save(update_fields=["before", "after", "proposed_by", "proposed_at"])
            action = AuditEvent.Action.CHANGE
        audit_record(
            actor=actor,
            action=action,
            obj=change,
            detail=f"service change proposed for service {service.uuid}: {', '.join(after)}",
        )
    return change


def _notify_decision_on_commit(change: ServiceChange) -> None:
    def queue() -> None:
        try:
            enqueue("directory.notify_service_change_decision", change.pk)
        except Exception:  # the broker is down: the beat sweep queues it later
            logger.warning("decision emails for service change %s left for the sweep", change.pk)

    transaction.on_commit(queue)


def service_change_decision_notify(*, change_id: int) -> bool:
    """Queue the emails telling the provider staff what was decided; once per change.

    The change is claimed by a conditional update of `decision_notified_at`, so
    two runs (the task queued at decision time and the beat sweep) never both
    send. If queueing fails the claim is released for the next sweep.
    """
    claimed = (
        ServiceChange.objects.filter(pk=change_id, decision_notified_at__isnull=True)
        .exclude(status=ServiceChange.Status.PENDING)
        .update(decision_notified_at=timezone.now())
    )
    if claimed != 1:
        return False
    change = ServiceChange.objects.select_related("service").get(pk=change_id)
    try:
        for recipient_id in selectors.provider_staff(change.service).values_list("pk", flat=True):
            enqueue("directory.email_service_change_decision", change_id, recipient_id)
    except Exception:
        ServiceChange.objects.filter(pk=change_id).update(decision_notified_at=None)
        raise
    return True


def service_change_decisions_notify_pending(*, grace: timedelta = timedelta(minutes=5)) -> int:
    """Beat sweep: queue the decision emails that a broker outage left behind.

    Decisions younger than `grace` are left to the task queued when they were
    made. Returns how many changes this run queued emails for.
    """
    pending = (
        ServiceChange.objects.filter(
            decision_notified_at__isnull=True, decided_at__lt=timezone.now() - grace
        )
        .exclude(status=ServiceChange.Status.PENDING)
        .values_list("pk", flat=True)
    )
    return sum(service_change_decision_notify(change_id=pk) for pk in list(pending))


def _locked_pending_change(
    change: ServiceChange, actor: User, seen_proposed_at: datetime | None
) -> tuple[ServiceChange, Service]:
    if not selectors.user_can_review_changes(actor):
        raise InvalidTransition(_("Only a directory editor can decide on changes."))
    # Lock order everywhere: the service, then its changes.
    service = (
        Service.objects.select_for_update().select_related("provider").get(pk=change.service_id)
    )
    change = ServiceChange.objects.select_for_update().get(pk=change.pk)
    if change.status != ServiceChange.Status.PENDING:
        raise InvalidTransition(
            _("This change has already been decided (%(status)s).")
            % {"status": change.get_status_display()}
        )
    if seen_proposed_at is not None and seen_proposed_at != change.proposed_at:
        # The provider edited the proposal while the editor was reading it: never
        # decide on something other than what the editor saw.
        raise StaleChange(
            _("The provider has changed this proposal since you opened it. Look at it again.")
        )
    change.service = service
    return change, service


def service_change_approve(
    *, change: ServiceChange, actor: User, seen_proposed_at: datetime | None = None
) -> ServiceChange:
    """Apply a pending change to its listing, mark the listing reviewed, tell the provider.

    Refused, changing nothing, when the listing has since changed in a field
    the proposal touches (applying it would silently overwrite that newer
    value), or when `seen_proposed_at` (the proposal the editor looked at) is
    no longer the proposal waiting.
    """
    with transaction.atomic():
        change, service = _locked_pending_change(change, actor, seen_proposed_at)
        moved = [name for name, old in change.before.items() if getattr(service, name) != old]
        if moved:
            labels = ", ".join(str(selectors.editable_field(name).verbose_name) for name in moved)
            raise StaleChange(
                _(
                    "The listing has changed since this was proposed (%(fields)s). "
                    "Reject this change and ask the provider to make it again."
                )
                % {"fields": labels}
            )
        service_values_check(service, change.after)
        for name, value in change.after.items():
            setattr(service, name, value)
        service.last_reviewed_on = timezone.localdate()
        service.reviewed_by = actor
        service.stale_notified_on = None
        service.save(
            update_fields=[
                *change.after,
                "last_reviewed_on",
                "reviewed_by",
                "stale_notified_on",
                "updated_at",
            ]
        )
        change.status = ServiceChange.Status.APPROVED
        change.decided_by = actor
        change.decided_at = timezone.now()
        change.save(update_fields=["status", "decided_by", "decided_at"])
        service_refresh_search(service_ids=[service.pk])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CHANGE,
            obj=service,
            detail=f"service change {change.uuid} approved: {', '.join(change.after)}",
        )
        _notify_decision_on_commit(change)
    return change


def service_change_reject(
    *,
    change: ServiceChange,
    actor: User,
    reason: str,
    seen_proposed_at: datetime | None = None,
) -> ServiceChange:
    """Turn a pending change down, with a reason the provider is told; the listing stays."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Please correct the errors below."),
            field_errors={"reason": [_("Say why the change is rejected: the provider is told.")]},
        )
    max_length = ServiceChange._meta.get_field("decision_note").max_length
    if max_length is not None and len(reason) > max_length:
        raise ValidationError(
            _("Please correct the errors below."),
            field_errors={
                "reason": [_("Keep the reason under %(count)d characters.") % {"count": max_length}]
            },
        )
    with transaction.atomic():
        change, _service = _locked_pending_change(change, actor, seen_proposed_at)
        change.status = ServiceChange.Status.REJECTED
        change.decided_by = actor
        change.decided_at = timezone.now()
        change.decision_note = reason
        change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CHANGE,
            obj=change,
            detail=f"service change rejected for service {change.service.uuid}",
        )
        _notify_decision_on_commit(change)
    return change


def service_change_decision_email_send(*, change_id: int, recipient_id: int) -> bool:
    """Tell one member of the provider's staff what was decided. False when there is no need."""
    change = (
        ServiceChange.objects.select_related("service__provider", "decided_by")
        .filter(pk=change_id)
        .exclude(status=ServiceChange.Status.PENDING)
        .first()
    )
    recipient = User.objects.filter(pk=recipient_id).first()
    if change is None or recipient is None or not recipient.email:
        return False
    if not selectors.user_manages_service(recipient, change.service) or not recipient.is_active:
        return False
    approved = change.status == ServiceChange.Status.APPROVED
    template = "directory/email/change_approved" if approved else "directory/email/change_rejected"
    with translation.override(recipient.preferred_language):
        rows = selectors.service_change_rows(change)
    _email_queue(
        recipient=recipient,
        template=template,
        context={"change": change, "service": change.service, "rows": rows},
        about_object=change,
    )
    return True


def service_confirm_current(*, service: Service, actor: User) -> Service:
    """The provider says the listing is still right: it counts as reviewed today."""
    if not selectors.user_manages_service(actor, service):
        raise InvalidTransition(_("Only the provider's own staff can confirm this listing."))
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        service.last_reviewed_on = timezone.localdate()
        service.reviewed_by = actor
        service.stale_notified_on = None
        service.save(
            update_fields=["last_reviewed_on", "reviewed_by", "stale_notified_on", "updated_at"]
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CHANGE,
            obj=service,
            detail="listing confirmed up to date by its provider",
        )
    return service


def services_flag_stale(*, today: date | None = None) -> int:
    """Flag each listing not reviewed within STALE_AFTER once, and email its provider staff.

    Safe to run twice, or on two workers at once: each service is claimed by a
    conditional update of `stale_notified_on`, and only the run whose update
    touched the row sends mail. Reviewing the listing clears the flag, so the
    next staleness is told again. Closed services are left alone. Returns the
    number of services flagged by this run.
    """
    today = today or timezone.localdate()
    candidates = list(
        Service.objects.filter(
            Q(last_reviewed_on__isnull=True) | Q(last_reviewed_on__lt=today - STALE_AFTER),
            stale_notified_on__isnull=True,
        )
        .exclude(status=Service.Status.CLOSED)
        .values_list("pk", flat=True)
    )
    flagged = 0
    for pk in candidates:
        claimed = Service.objects.filter(pk=pk, stale_notified_on__isnull=True).update(
            stale_notified_on=today
        )
        if claimed != 1:
            continue  # another run got there first
        flagged += 1
        service = Service.objects.select_related("provider").get(pk=pk)
        audit_record(
            actor=None, action=AuditEvent.Action.CHANGE, obj=service, detail="flagged as stale"
        )
        recipients = list(selectors.provider_staff(service).values_list("pk", flat=True))
        try:
            for recipient_id in recipients:
                enqueue("directory.email_service_stale", pk, recipient_id)
        except Exception:
            # Unclaim, so that tomorrow's run tells them instead of nobody.
            Service.objects.filter(pk=pk, stale_notified_on=today).update(stale_notified_on=None)
            raise
    return flagged


def service_stale_email_send(*, service_id: int, recipient_id: int) -> bool:
    """Ask one member of the provider's staff to check a stale listing. False when not needed."""
    service = Service.objects.select_related("provider").filter(pk=service_id).first()
    recipient = User.objects.filter(pk=recipient_id).first()
    if service is None or recipient is None or not recipient.email or not recipient.is_active:
        return False
    if not service.is_stale or not selectors.user_manages_service(recipient, service):
        return False
    _email_queue(
        recipient=recipient,
        template="directory/email/service_stale",
        context={"service": service},
        about_object=service,
    )
    return True
