"""Writes for the directory. Every change that spans rows goes through here."""

import copy
import csv
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TextIO

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from accounts.services import audit_record

from . import hsds_import, onspd, selectors
from .exceptions import InvalidTransition, NothingChanged, StaleChange, ValidationError
from .models import (
    STALE_AFTER,
    Contact,
    Location,
    Postcode,
    Provider,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceChange,
    ServiceCheck,
    Taxonomy,
    TaxonomyTerm,
)
from .selectors import PROVIDER_EDITABLE_FIELDS

logger = logging.getLogger(__name__)

# English text is stemmed ("gardening" finds "garden"); Welsh has no stemmer in
# PostgreSQL, so Welsh text and names are indexed word for word ('simple').
_SEARCH_DOCUMENT_SQL = """
UPDATE directory_service AS s SET search_vector =
    setweight(to_tsvector('simple', coalesce(s.name, '') || ' ' || coalesce(s.name_cy, '')), 'A')
    || setweight(to_tsvector('english', coalesce(s.name, '')), 'A')
    || setweight(to_tsvector('simple', coalesce((
        SELECT string_agg(t.name || ' ' || t.name_cy, ' ')
        FROM directory_service_taxonomy_terms AS st
        JOIN directory_taxonomyterm AS t ON t.id = st.taxonomyterm_id
        WHERE st.service_id = s.id), '')), 'B')
    || setweight(to_tsvector('english', coalesce(s.description, '')), 'C')
    || setweight(to_tsvector('simple', coalesce(s.description_cy, '')), 'C')
    || setweight(to_tsvector('simple', coalesce((
        SELECT p.name || ' ' || p.name_cy FROM directory_provider AS p
        WHERE p.id = s.provider_id), '')), 'D')
"""


def service_refresh_search(*, service_ids: Iterable[int] | None = None) -> None:
    """Rebuild the full-text search document of these services (all when None).

    Call it after any write to a service's names, descriptions, categories or
    provider. On SQLite (development) search falls back to plain matching and
    there is nothing to build.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if service_ids is None:
            cursor.execute(_SEARCH_DOCUMENT_SQL)
        else:
            ids = list(service_ids)
            if ids:
                cursor.execute(_SEARCH_DOCUMENT_SQL + " WHERE s.id = ANY(%s)", [ids])


# --- Import from Open Referral feeds (HSDS 3 / ORUK) ---------------------------------
# The checks live in directory/hsds_import.py (reads only); these functions write.


@dataclass(frozen=True)
class HsdsImportResult:
    kind: str  # service, organization, taxonomy
    id: str  # the id as the feed gave it
    action: str  # created, updated or rejected
    reason: str = ""


def service_import_hsds(*, record, dry_run: bool = False, namespace: str = "") -> HsdsImportResult:
    """Create or update one service (with its organization, locations, sessions,
    contacts and categories) from an HSDS/ORUK record, matched by id.

    The record is checked in full before anything is written, and written in one
    transaction: an invalid record is rejected with the reason and changes
    nothing. With `dry_run` it is only checked. `namespace` (the feed's URL or
    file) makes stable uuids for feeds whose ids are not UUIDs.
    """
    raw_id = str(record.get("id", "")) if isinstance(record, dict) else ""
    try:
        plan = hsds_import.plan_service(record, namespace=namespace)
    except hsds_import.HsdsRejected as error:
        return HsdsImportResult("service", raw_id, "rejected", str(error))
    action = "updated" if Service.objects.filter(uuid=plan.uuid).exists() else "created"
    if not dry_run:
        try:
            with transaction.atomic():
                service = _service_write_plan(plan)
                service_refresh_search(service_ids=[service.pk])
        except DatabaseError as error:  # a constraint the checks could not see
            return HsdsImportResult(
                "service", raw_id, "rejected", f"the database refused it: {error}"
            )
    return HsdsImportResult("service", raw_id or str(plan.uuid), action)


def provider_import_hsds(*, record, dry_run: bool = False, namespace: str = "") -> HsdsImportResult:
    """Create or update a provider from an HSDS organization record, matched by id."""
    raw_id = str(record.get("id", "")) if isinstance(record, dict) else ""
    try:
        if not isinstance(record, dict):
            raise hsds_import.HsdsRejected("an organization must be a JSON object")
        plan = hsds_import.plan_organization(record, namespace=namespace)
    except hsds_import.HsdsRejected as error:
        return HsdsImportResult("organization", raw_id, "rejected", str(error))
    action = "updated" if Provider.objects.filter(uuid=plan.uuid).exists() else "created"
    if not dry_run:
        _provider_write_plan(plan)
        if action == "updated":
            # The provider's names are part of its services' search document.
            service_refresh_search(
                service_ids=Service.objects.filter(provider__uuid=plan.uuid).values_list(
                    "pk", flat=True
                )
            )
    return HsdsImportResult("organization", raw_id, action)


def taxonomy_import_hsds(*, record, dry_run: bool = False, namespace: str = "") -> HsdsImportResult:
    """Create or update a taxonomy and its terms (parents before children), matched by id."""
    raw_id = str(record.get("id", "")) if isinstance(record, dict) else ""
    try:
        tax_uuid, fields, terms = hsds_import.plan_taxonomy(record, namespace=namespace)
    except hsds_import.HsdsRejected as error:
        return HsdsImportResult("taxonomy", raw_id, "rejected", str(error))
    action = "updated" if Taxonomy.objects.filter(uuid=tax_uuid).exists() else "created"
    if not dry_run:
        try:
            with transaction.atomic():
                taxonomy, _ = Taxonomy.objects.update_or_create(uuid=tax_uuid, defaults=fields)
                for term in _parents_first(terms):
                    _term_write(term, taxonomy=taxonomy)
                if action == "updated":
                    # Category names are part of their services' search document.
                    service_refresh_search(
                        service_ids=Service.objects.filter(taxonomy_terms__taxonomy=taxonomy)
                        .values_list("pk", flat=True)
                        .distinct()
                    )
        except DatabaseError as error:  # a constraint the checks could not see
            return HsdsImportResult(
                "taxonomy", raw_id, "rejected", f"the database refused it: {error}"
            )
    return HsdsImportResult("taxonomy", raw_id, action)


def _provider_write_plan(plan) -> Provider:
    if not plan.fields:  # the record named an organization we already hold
        return Provider.objects.get(uuid=plan.uuid)
    provider, _ = Provider.objects.update_or_create(uuid=plan.uuid, defaults=plan.fields)
    return provider


def _service_write_plan(plan) -> Service:
    provider = _provider_write_plan(plan.organization)
    service, _ = Service.objects.update_or_create(
        uuid=plan.uuid, defaults=plan.fields | {"provider": provider}
    )
    at_locations = {row.uuid: row for row in service.at_locations.all()}
    if plan.locations is not None:
        kept = {}
        for sal_uuid, location_plan in plan.locations:
            location, _ = Location.objects.update_or_create(
                uuid=location_plan.uuid,
                defaults=location_plan.fields,
                create_defaults=location_plan.fields | {"provider": provider},
            )
            row = at_locations.get(sal_uuid) or next(
                (r for r in at_locations.values() if r.location_id == location.pk), None
            )
            if row is None:
                row = ServiceAtLocation.objects.create(
                    uuid=sal_uuid, service=service, location=location
                )
            elif row.location_id != location.pk:
                row.location = location
                row.save(update_fields=["location"])
            kept[sal_uuid] = row
        service.at_locations.exclude(pk__in=[row.pk for row in kept.values()]).delete()
        at_locations = kept
    if plan.sessions is not None:
        kept_ids = []
        for session in plan.sessions:
            row, _ = Schedule.objects.update_or_create(
                uuid=session.uuid,
                defaults=session.fields
                | {
                    "service": service,
                    "service_at_location": at_locations.get(session.at_location),
                },
            )
            kept_ids.append(row.pk)
        service.schedules.exclude(pk__in=kept_ids).delete()
    if plan.contacts is not None:
        kept_ids = [
            Contact.objects.update_or_create(
                uuid=contact_uuid, defaults=fields | {"service": service}
            )[0].pk
            for contact_uuid, fields in plan.contacts
        ]
        service.contacts.exclude(pk__in=kept_ids).delete()
    if plan.terms is not None:
        terms = _parents_first(plan.terms)
        service.taxonomy_terms.set([_term_for_service(term) for term in terms])
    return service


def _parents_first(terms: list) -> list:
    ordered, placed, pending = [], set(), list(terms)
    in_batch = {term.uuid for term in terms}
    while pending:
        ready = [t for t in pending if t.parent_uuid not in in_batch or t.parent_uuid in placed]
        if not ready:  # a loop of parents: take them as they come, the parent links fail softly
            ready = pending
        for term in ready:
            ordered.append(term)
            placed.add(term.uuid)
        pending = [t for t in pending if t.uuid not in placed]
    return ordered


def _free_code(taxonomy: Taxonomy, code: str, term_uuid) -> str:
    taken = set(
        TaxonomyTerm.objects.filter(taxonomy=taxonomy, code__startswith=code)
        .exclude(uuid=term_uuid)
        .values_list("code", flat=True)
    )
    candidate, number = code, 1
    while candidate in taken:
        number += 1
        candidate = f"{code[:95]}-{number}"
    return candidate


def _term_write(term, *, taxonomy: Taxonomy) -> TaxonomyTerm:
    parent = (
        TaxonomyTerm.objects.filter(uuid=term.parent_uuid).first() if term.parent_uuid else None
    )
    row, _ = TaxonomyTerm.objects.update_or_create(
        uuid=term.uuid,
        defaults={
            "taxonomy": taxonomy,
            "code": _free_code(taxonomy, term.code, term.uuid),
            "name": term.name,
            "description": term.description,
            "parent": parent if parent is None or parent.uuid != term.uuid else None,
        },
    )
    return row


def _term_for_service(term) -> TaxonomyTerm:
    """A service's category: ours when we know its id, else added to its taxonomy."""
    known = TaxonomyTerm.objects.filter(uuid=term.uuid).first()
    if known is not None:
        return known
    taxonomy = (
        Taxonomy.objects.filter(uuid=term.taxonomy_uuid).first() if term.taxonomy_uuid else None
    )
    if taxonomy is None:
        taxonomy = Taxonomy.objects.filter(
            name=term.taxonomy_name
        ).first() or Taxonomy.objects.create(
            uuid=term.taxonomy_uuid or uuid.uuid4(), name=term.taxonomy_name
        )
    return _term_write(term, taxonomy=taxonomy)


@dataclass
class PostcodeImportResult:
    read: int = 0
    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def postcodes_import(
    *,
    csv_file: TextIO,
    batch_size: int = 5000,
    on_batch: Callable[[PostcodeImportResult], None] | None = None,
) -> PostcodeImportResult:
    """Import an ONS Postcode Directory CSV into the Postcode table; safe to run twice.

    Rows are written in batches, each in one transaction, as upserts keyed by
    postcode, so a second run changes nothing and an interrupted run can simply
    be started again. A bad row is left out and reported with its line number
    and reason; it never half-imports. A file without the postcode or grid
    columns raises onspd.BadRow before anything is written.
    """
    reader = csv.DictReader(csv_file)
    cols = onspd.columns(reader.fieldnames or [])
    update_fields = ["easting", "northing", "latitude", "longitude", "local_authority", "lsoa"]
    update_fields.append("terminated_on")
    if cols.imd_decile:
        update_fields.append("imd_decile")
    result = PostcodeImportResult()
    batch: dict[str, Postcode] = {}

    def flush():
        if batch:
            with transaction.atomic():
                Postcode.objects.bulk_create(
                    batch.values(),
                    update_conflicts=True,
                    unique_fields=["postcode"],
                    update_fields=update_fields,
                )
            result.imported += len(batch)
            batch.clear()
        if on_batch is not None:
            on_batch(result)

    for row in reader:
        result.read += 1
        try:
            fields = onspd.parse(row, cols)
        except onspd.BadRow as error:
            result.rejected.append((reader.line_num, str(error)))
            continue
        # A postcode twice in one batch would upsert one row twice (PostgreSQL refuses): last wins.
        batch[fields["postcode"]] = Postcode(**fields)
        if len(batch) >= batch_size:
            flush()
    flush()
    return result


# Keeping the directory true: providers propose changes, directory editors
# decide, stale listings are flagged, link workers record pre-referral checks.


def _service_values_check(service: Service, data: dict) -> None:
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
    return settings.SITE_URL.rstrip("/") + path


def _email_send(*, recipient: User, template: str, context: dict) -> None:
    """Send one email (subject, text and HTML templates) in the recipient's language."""
    with translation.override(recipient.preferred_language):
        context = {
            **context,
            "recipient": recipient,
            "manage_url": _absolute_url(reverse("upkeep:manage")),
        }
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=[recipient.email])
    message.attach_alternative(html, "text/html")
    message.send()


def service_change_propose(*, service: Service, actor: User, data: dict) -> ServiceChange | None:
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
        _service_values_check(service, data)
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
    from . import tasks

    def queue():
        try:
            tasks.notify_service_change_decision.delay(change.pk)
        except Exception:  # the broker is down: the beat sweep queues it later
            logger.warning("decision emails for service change %s left for the sweep", change.pk)

    transaction.on_commit(queue)


def service_change_decision_notify(*, change_id: int) -> bool:
    """Queue the emails telling the provider staff what was decided; once per change.

    The change is claimed by a conditional update of `decision_notified_at`, so
    two runs (the task queued at decision time and the beat sweep) never both
    send. If queueing fails the claim is released for the next sweep.
    """
    from . import tasks

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
            tasks.email_service_change_decision.delay(change_id, recipient_id)
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
            labels = ", ".join(str(Service._meta.get_field(name).verbose_name) for name in moved)
            raise StaleChange(
                _(
                    "The listing has changed since this was proposed (%(fields)s). "
                    "Reject this change and ask the provider to make it again."
                )
                % {"fields": labels}
            )
        _service_values_check(service, change.after)
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
    if len(reason) > max_length:
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
    _email_send(
        recipient=recipient,
        template=template,
        context={"change": change, "service": change.service, "rows": rows},
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
    from . import tasks

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
                tasks.email_service_stale.delay(pk, recipient_id)
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
    _email_send(
        recipient=recipient,
        template="directory/email/service_stale",
        context={"service": service},
    )
    return True


def service_check_record(
    *,
    service: Service,
    actor: User,
    safeguarding_policy: bool,
    insurance: bool,
    dbs: str,
    visited: bool,
    notes: str = "",
    checked_on: date | None = None,
) -> ServiceCheck:
    """Record a link worker's pre-referral check of a service (what they saw, and when)."""
    if not selectors.user_can_check_services(actor):
        raise InvalidTransition(_("Only link workers, coordinators and editors record checks."))
    checked_on = checked_on or timezone.localdate()
    notes = (notes or "").strip()
    errors: dict[str, list[str]] = {}
    if dbs not in ServiceCheck.Dbs.values:
        errors["dbs"] = [_("Say whether staff have DBS checks, or that they are not relevant.")]
    if checked_on > timezone.localdate():
        errors["checked_on"] = [_("The date of the check cannot be in the future.")]
    max_length = ServiceCheck._meta.get_field("notes").max_length
    if len(notes) > max_length:
        errors["notes"] = [_("Keep the notes under %(count)d characters.") % {"count": max_length}]
    if errors:
        raise ValidationError(_("Please correct the errors below."), field_errors=errors)
    with transaction.atomic():
        check = ServiceCheck.objects.create(
            service=service,
            checked_by=actor,
            checked_on=checked_on,
            safeguarding_policy=bool(safeguarding_policy),
            insurance=bool(insurance),
            dbs=dbs,
            visited=bool(visited),
            notes=notes,
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=check,
            detail=f"pre-referral check of service {service.uuid}",
        )
    return check


def service_update_referral_stats(*, service, usual_reply_days, accepted_share) -> None:
    """Store how the provider answers referrals (computed by linkworkers, shown on the listing)."""
    Service.objects.filter(pk=service.pk).update(
        usual_reply_days=usual_reply_days, accepted_share=accepted_share
    )
