"""Reads for data protection: everything the scheme holds about one person (subject access).

What a subject access bundle holds, and what it leaves out and why, is
decided here, once, for the page, the downloads and the command alike. Every
read is scoped to one scheme: the person's referrals to that scheme and the
records hanging off them, never another scheme's. The queries are a fixed
number whatever the number of referrals, events or answers (prefetches, not
one query per row).
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import get_language, gettext

from accounts.models import AuditEvent, AuditSubject, Organisation, User
from core.models import OutboxEmail
from core.outbox import about
from linkworkers.models import (
    Answer,
    AttendanceSession,
    CaseDocument,
    ClosureSummary,
    Connection,
    ConnectionMessage,
    Contact,
    Goal,
    OutcomeMeasure,
    PeerNavigatorAssignment,
    UnmetNeed,
)
from referrals import selectors as referral_selectors
from referrals.models import Person, PossibleDuplicate, Reason, Referral, ReferralEvent

Json = dict[str, Any]

# Bump when a key changes meaning or goes away; new keys may be added without a bump.
BUNDLE_FORMAT = "subject-access/1"

# Audit rows about a link worker's supervision are about their practice, not the person.
SUPERVISION_OBJECT = "linkworkers.supervisionnote"
SUPERVISION_DETAIL = "supervision note"


def referral_by_reference(reference: str) -> Referral | None:
    """A referral by its SP- reference, for the operator's command (no user, so no scope)."""
    return (
        Referral.objects.filter(reference=reference.strip().upper())
        .select_related("person", "scheme")
        .first()
    )


def scheme_referrals_of(*, person: Person, scheme: Organisation) -> QuerySet[Referral]:
    """The person's referrals to this scheme, oldest first, with every record on them."""
    referrals: QuerySet[Referral] = referral_selectors.scheme_referrals_of(person, scheme.pk)
    return referrals.select_related(
        "scheme",
        "referring_organisation",
        "referring_user",
        "link_worker",
        "area",
        "what_matters_record__updated_by",
    ).prefetch_related(
        Prefetch(
            "events",
            queryset=ReferralEvent.objects.select_related("actor").order_by("created_at", "pk"),
        ),
        Prefetch(
            "contacts",
            queryset=Contact.objects.select_related("recorded_by").order_by("happened_at", "pk"),
        ),
        Prefetch(
            "goals",
            queryset=Goal.objects.select_related("created_by").order_by("created_at", "pk"),
        ),
        Prefetch(
            "connections",
            queryset=Connection.objects.select_related("service__provider", "created_by").order_by(
                "proposed_at", "pk"
            ),
        ),
        Prefetch(
            "connections__messages",
            queryset=ConnectionMessage.objects.select_related("author").order_by(
                "created_at", "pk"
            ),
        ),
        Prefetch(
            "connections__sessions",
            queryset=AttendanceSession.objects.order_by("session_on", "pk"),
        ),
        Prefetch(
            "unmet_needs",
            queryset=UnmetNeed.objects.select_related("category", "recorded_by").order_by(
                "recorded_at", "pk"
            ),
        ),
        Prefetch(
            "outcome_measures",
            queryset=OutcomeMeasure.objects.select_related("instrument", "recorded_by").order_by(
                "answered_on", "created_at", "pk"
            ),
        ),
        Prefetch(
            "outcome_measures__answers",
            queryset=Answer.objects.select_related("item").order_by("item__order", "pk"),
        ),
        Prefetch(
            "closure_summaries",
            queryset=ClosureSummary.objects.select_related("written_by").order_by(
                "created_at", "pk"
            ),
        ),
        Prefetch(
            "documents",
            queryset=CaseDocument.objects.select_related("uploaded_by").order_by(
                "uploaded_at", "pk"
            ),
        ),
        Prefetch(
            "peer_navigators",
            queryset=PeerNavigatorAssignment.objects.select_related("user").order_by(
                "added_at", "pk"
            ),
        ),
    )


def possible_duplicates_of(*, person: Person, scheme: Organisation) -> QuerySet[PossibleDuplicate]:
    """The scheme's possible-duplicate pairs this person's record is in, either side."""
    return (
        PossibleDuplicate.objects.filter(Q(person=person) | Q(existing=person), scheme=scheme)
        .select_related("person", "existing", "referral", "decided_by")
        .order_by("created_at", "pk")
    )


def emails_to_person(*, person: Person, referrals: Iterable[Referral]) -> QuerySet[OutboxEmail]:
    """Emails about these referrals sent to an address the person gave (not those to staff)."""
    addresses = {person.email.lower()} | {
        str(referral.person_details_as_referred.get("email") or "").lower()
        for referral in referrals
    }
    addresses.discard("")
    return (
        OutboxEmail.objects.annotate(to_lower=Lower("to"))
        .filter(about__in=[about(referral) for referral in referrals], to_lower__in=addresses)
        .order_by("created_at", "pk")
    )


def audit_events_about(
    *, person_uuids: Iterable[UUID], objects: dict[str, list[str]]
) -> QuerySet[AuditEvent]:
    """Audit rows naming any of these people, or whose record is one of `objects`.

    `objects` maps a record type (`referrals.referral`) to the ids the audit
    trail keeps for it (uuids as text). Supervision rows are left out.
    """
    uuids = list(person_uuids)
    about_them = Q(pk__in=AuditSubject.objects.filter(person_uuid__in=uuids).values("event_id"))
    about_them |= Q(object_type="referrals.person", object_id__in=[str(uuid) for uuid in uuids])
    for object_type, ids in objects.items():
        if ids:
            about_them |= Q(object_type=object_type, object_id__in=ids)
    return (
        AuditEvent.objects.filter(about_them)
        .exclude(object_type=SUPERVISION_OBJECT)
        .exclude(detail__startswith=SUPERVISION_DETAIL)
        .select_related("actor__organisation", "api_client")
        .order_by("created_at", "pk")
    )


def other_scheme_references(*, person_uuids: Iterable[UUID], scheme: Organisation) -> set[str]:
    """References of these people's referrals to other schemes: their audit rows stay out."""
    return set(
        Referral.objects.filter(person__uuid__in=list(person_uuids))
        .exclude(scheme=scheme)
        .values_list("reference", flat=True)
    )


# The bundle ------------------------------------------------------------------------


def coded(code: str | None, label: str) -> Json | None:
    """A coded value: the stable code, and its label in the bundle's language."""
    return {"code": code, "label": str(label)} if code else None


def name_of(user: User | None) -> str | None:
    return str(user) if user is not None else None


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _person(person: Person) -> Json:
    return {
        "uuid": person.uuid,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "preferred_name": person.preferred_name,
        "date_of_birth": person.date_of_birth,
        "nhs_number": person.nhs_number,
        "gender": coded(person.gender, person.get_gender_display()),
        "ethnic_group": coded(person.ethnic_group, person.get_ethnic_group_display()),
        "address": person.address,
        "postcode": person.postcode,
        "phone": person.phone,
        "email": person.email,
        "contact_method": coded(person.contact_method, person.get_contact_method_display()),
        "may_leave_message": person.may_leave_message,
        "preferred_language": coded(
            person.preferred_language, person.get_preferred_language_display()
        ),
        "communication_needs": person.communication_needs,
        "consent_to_share": person.consent_to_share,
        "consent_recorded_at": person.consent_recorded_at,
        "consent_recorded_by": name_of(person.consent_recorded_by),
        "consent_method": person.consent_method,
        "created_at": person.created_at,
    }


def _person_as_referred(referral: Referral) -> Json:
    given = referral.person_as_referred
    return {
        "given_name": given.given_name,
        "family_name": given.family_name,
        "preferred_name": given.preferred_name,
        "date_of_birth": given.date_of_birth,
        "nhs_number": given.nhs_number,
        "address": given.address,
        "postcode": given.postcode,
        "phone": given.phone,
        "email": given.email,
        "communication_needs": given.communication_needs,
    }


def _event(event: ReferralEvent) -> Json:
    return {
        "when": event.created_at,
        "kind": coded(event.kind, event.get_kind_display()),
        "from_status": coded(event.from_status, event.get_from_status_display()),
        "to_status": coded(event.to_status, event.get_to_status_display()),
        "who": name_of(event.actor),
        "note": event.note,
        "shown_to_referrer": event.visible_to_referrer,
    }


def _contact(contact: Contact) -> Json:
    return {
        "happened_at": contact.happened_at,
        "mode": coded(contact.mode, contact.get_mode_display()),
        "outcome": coded(contact.outcome, contact.get_outcome_display()),
        "minutes": contact.minutes,
        "notes": contact.notes,
        "next_contact_on": contact.next_contact_on,
        "recorded_by": name_of(contact.recorded_by),
        "recorded_at": contact.created_at,
    }


def _what_matters(referral: Referral) -> Json | None:
    try:
        record = referral.what_matters_record
    except Referral.what_matters_record.RelatedObjectDoesNotExist:
        return None
    return {
        "what_matters": record.what_matters,
        "strengths": record.strengths,
        "want_to_change": record.want_to_change,
        "updated_at": record.updated_at,
        "updated_by": name_of(record.updated_by),
    }


def _goal(goal: Goal) -> Json:
    return {
        "description": goal.description,
        "status": coded(goal.status, goal.get_status_display()),
        "progress_notes": goal.progress_notes,
        "target_date": goal.target_date,
        "agreed_at": goal.created_at,
        "agreed_by": name_of(goal.created_by),
        "updated_at": goal.updated_at,
    }


def _connection(connection: Connection) -> Json:
    return {
        "service": connection.service.name,
        "provider": connection.service.provider.name,
        "status": coded(connection.status, connection.get_status_display()),
        "note_for_provider": connection.note_for_provider,
        "decline_reason": coded(connection.decline_reason, connection.get_decline_reason_display()),
        "decline_details": connection.decline_details,
        "stop_reason": connection.stop_reason,
        "proposed_at": connection.proposed_at,
        "proposed_by": name_of(connection.created_by),
        "referred_at": connection.referred_at,
        "answered_at": connection.answered_at,
        "attending_since": connection.attending_since,
        "ended_at": connection.ended_at,
        "messages": [
            {"from": name_of(message.author), "sent_at": message.created_at, "text": message.text}
            for message in connection.messages.all()
        ],
        "sessions": [
            {"date": session.session_on, "attended": session.attended, "note": session.note}
            for session in connection.sessions.all()
        ],
    }


def _unmet_need(need: UnmetNeed) -> Json:
    return {
        "category": need.category.display_name,
        "notes": need.notes,
        "recorded_at": need.recorded_at,
        "recorded_by": name_of(need.recorded_by),
    }


def _measure(measure: OutcomeMeasure) -> Json:
    return {
        "instrument": {"code": measure.instrument.code, "name": measure.instrument.display_name},
        "timepoint": coded(measure.timepoint, measure.get_timepoint_display()),
        "answered_on": measure.answered_on,
        "raw_score": measure.raw_score,
        "converted_score": _decimal(measure.converted_score),
        "recorded_at": measure.created_at,
        "recorded_by": name_of(measure.recorded_by),
        "answers": [
            {
                "item": answer.item.display_label,
                "question": answer.item.display_text,
                "value": answer.value,
                # linkworkers' models are not typed yet; the label comes from the one helper.
                "answer_label": answer.item.answer_label(answer.value),  # type: ignore[no-untyped-call]
            }
            for answer in measure.answers.all()
        ],
    }


def _closure_summary(summary: ClosureSummary) -> Json:
    return {
        "reason": coded(summary.reason, summary.get_reason_display()),
        "what_mattered": summary.what_mattered,
        "connected_to": summary.connected_to,
        "outcomes": summary.outcomes,
        "follow_up": summary.follow_up,
        "written_at": summary.created_at,
        "written_by": name_of(summary.written_by),
    }


def _referral(referral: Referral) -> Json:
    organisation = referral.referring_organisation
    return {
        "reference": referral.reference,
        "uuid": referral.uuid,
        "status": coded(referral.status, referral.get_status_display()),
        "source_kind": coded(referral.source_kind, referral.get_source_kind_display()),
        "referring_organisation": organisation.display_name if organisation else None,
        "referred_by": name_of(referral.referring_user),
        "referrer_name": referral.referrer_name,
        "referrer_role": referral.referrer_role,
        "referrer_phone": referral.referrer_phone,
        "referrer_email": referral.referrer_email,
        "area": referral.area.name if referral.area else None,
        "reasons": [coded(code, label) for code, label in _reasons(referral.reasons)],
        "reason_other": referral.reason_other,
        "what_matters": referral.what_matters,
        "urgency": coded(referral.urgency, referral.get_urgency_display()),
        "consent_to_referral": referral.consent_to_referral,
        "consent_to_share": referral.consent_to_share,
        "gp_feedback": coded(referral.gp_feedback, referral.get_gp_feedback_display()),
        "risk_flag": referral.risk_flag,
        "risk_details": referral.risk_details,
        "link_worker": name_of(referral.link_worker),
        "rejection_reason": coded(
            referral.rejection_reason, referral.get_rejection_reason_display()
        ),
        "suggested_alternative": referral.suggested_alternative,
        "closure_reason": coded(referral.closure_reason, referral.get_closure_reason_display()),
        "closure_summary": referral.closure_summary,
        "hold_review_date": referral.hold_review_date,
        "received_at": referral.received_at,
        "accepted_at": referral.accepted_at,
        "rejected_at": referral.rejected_at,
        "allocated_at": referral.allocated_at,
        "first_contact_at": referral.first_contact_at,
        "closed_at": referral.closed_at,
        "cancelled_at": referral.cancelled_at,
        "person_as_referred": _person_as_referred(referral),
        "timeline": [_event(event) for event in referral.events.all()],
        "contacts": [_contact(contact) for contact in referral.contacts.all()],
        "what_matters_conversation": _what_matters(referral),
        "goals": [_goal(goal) for goal in referral.goals.all()],
        "connections": [_connection(connection) for connection in referral.connections.all()],
        "unmet_needs": [_unmet_need(need) for need in referral.unmet_needs.all()],
        "outcome_measures": [_measure(measure) for measure in referral.outcome_measures.all()],
        "closure_summaries": [_closure_summary(s) for s in referral.closure_summaries.all()],
        "peer_navigators": [
            {"name": name_of(peer.user), "added_at": peer.added_at, "active": peer.active}
            for peer in referral.peer_navigators.all()
        ],
        # The files themselves are given on request from the case's documents page.
        "documents": [
            {
                "name": document.name,
                "description": document.description,
                "type": document.get_content_type_display(),
                "uploaded_at": document.uploaded_at,
                "uploaded_by": name_of(document.uploaded_by),
            }
            for document in referral.documents.all()
        ],
    }


def _reasons(codes: list[str]) -> list[tuple[str, str]]:
    return [(code, str(Reason(code).label) if code in Reason.values else code) for code in codes]


def _message(email: OutboxEmail, references: dict[str, str]) -> Json:
    return {
        "referral": references.get(email.about),
        "to": email.to,
        "subject": email.subject,
        "text": email.body_text,
        "written_at": email.created_at,
        "sent_at": email.sent_at,
    }


def _duplicate(pair: PossibleDuplicate, person: Person) -> Json:
    this_is_new = pair.person_id == person.pk
    other = pair.existing if this_is_new else pair.person
    merged = pair.state == PossibleDuplicate.State.MERGED
    return {
        "found_at": pair.created_at,
        "referral": pair.referral.reference,
        "reason": coded(pair.reason, pair.get_reason_display()),
        "decision": coded(pair.state, pair.get_state_display()),
        "decided_at": pair.decided_at,
        "decided_by": name_of(pair.decided_by),
        "this_record": "new" if this_is_new else "existing",
        # Only a record the scheme decided is this person is theirs to see: another
        # record, or one not yet decided on, may be somebody else (third-party data).
        "other_record": _other_record(other) if merged else None,
    }


def _other_record(other: Person) -> Json:
    return {
        "uuid": other.uuid,
        "given_name": other.given_name,
        "family_name": other.family_name,
        "date_of_birth": other.date_of_birth,
        "nhs_number": other.nhs_number,
        "postcode": other.postcode,
        "address": other.address,
        "phone": other.phone,
        "email": other.email,
        "created_at": other.created_at,
        "merged_at": other.merged_at,
    }


def _access(event: AuditEvent, own_references: set[str]) -> Json:
    actor = event.actor
    organisation = actor.organisation if actor is not None else None
    return {
        "when": event.created_at,
        "action": coded(event.action, event.get_action_display()),
        "who": name_of(actor) if actor is not None else None,
        "role": coded(actor.role, actor.get_role_display()) if actor is not None else None,
        "organisation": organisation.display_name if organisation is not None else None,
        "partner_system": event.api_client.name if event.api_client is not None else None,
        "what": event.detail,
        # Only this person's references: a list page's row names other people's too.
        "records": [ref for ref in event.records if ref in own_references],
    }


def _in_scheme(
    event: AuditEvent, *, scheme: Organisation, own: set[str], elsewhere: set[str]
) -> bool:
    """Whether an audit row belongs to this scheme's record of the person.

    Rows about the person's referrals to another scheme (another controller's
    record), or by another scheme's staff, are that scheme's to disclose.
    """
    actor = event.actor
    if (
        actor is not None
        and actor.organisation is not None
        and actor.organisation.kind == Organisation.Kind.SCHEME
        and actor.organisation_id != scheme.pk
    ):
        return False
    if event.object_type == "referrals.referral":
        return True  # the query matched only this scheme's referrals by their object
    named = set(event.records)
    return bool(named & own) or not (named & elsewhere)


def left_out() -> list[Json]:
    """What a bundle never holds, and why: said in the bundle itself."""
    return [
        {
            "what": gettext("Supervision notes"),
            "why": gettext(
                "Notes a link worker and their manager write about the link worker's own "
                "practice. They are about the member of staff, not about you, and are kept "
                "between the two of them."
            ),
        },
        {
            "what": gettext("Referrals to other schemes"),
            "why": gettext(
                "Another social prescribing scheme keeps its own record and answers for it. "
                "Ask that scheme for what it holds."
            ),
        },
        {
            "what": gettext("Other people's records"),
            "why": gettext(
                "Where the scheme checked whether another record was you, that record is "
                "shown only if the scheme decided it was you."
            ),
        },
        {
            "what": gettext("Staff notifications and emails to staff"),
            "why": gettext(
                "Messages the system sent to staff about your referral repeat what the "
                "timeline shows; emails sent to you are included."
            ),
        },
    ]


def subject_access_data(
    *, person: Person, scheme: Organisation, produced_by: str, produced_at: datetime | None = None
) -> Json:
    """Everything `scheme` holds about `person`, as the bundle's structure (README, Subject access).

    Values are text, numbers, booleans, lists, dicts, dates and aware
    datetimes (the JSON writer turns dates into ISO 8601); coded values are
    `{"code", "label"}` with the label in the active language.
    """
    referrals = list(scheme_referrals_of(person=person, scheme=scheme))
    duplicates = list(possible_duplicates_of(person=person, scheme=scheme))
    merged = [
        pair.person
        for pair in duplicates
        if pair.state == PossibleDuplicate.State.MERGED and pair.existing_id == person.pk
    ]
    person_uuids = [person.uuid, *(record.uuid for record in merged)]
    own = {referral.reference for referral in referrals}
    references_by_about = {about(referral): referral.reference for referral in referrals}
    objects: dict[str, list[str]] = {
        "referrals.referral": [str(r.uuid) for r in referrals],
        "linkworkers.contact": [str(c.uuid) for r in referrals for c in r.contacts.all()],
        "linkworkers.goal": [str(g.uuid) for r in referrals for g in r.goals.all()],
        "linkworkers.connection": [str(c.uuid) for r in referrals for c in r.connections.all()],
        "linkworkers.outcomemeasure": [
            str(m.uuid) for r in referrals for m in r.outcome_measures.all()
        ],
        "linkworkers.casedocument": [str(d.uuid) for r in referrals for d in r.documents.all()],
    }
    elsewhere = other_scheme_references(person_uuids=person_uuids, scheme=scheme)
    access = [
        _access(event, own)
        for event in audit_events_about(person_uuids=person_uuids, objects=objects)
        if _in_scheme(event, scheme=scheme, own=own, elsewhere=elsewhere)
    ]
    return {
        "format": BUNDLE_FORMAT,
        "language": get_language() or settings.LANGUAGE_CODE,
        "produced_at": produced_at or timezone.now(),
        "produced_by": produced_by,
        "scheme": {"uuid": scheme.uuid, "name": scheme.display_name},
        "person": _person(person),
        "merged_records": [_other_record(record) for record in merged],
        "referrals": [_referral(referral) for referral in referrals],
        "messages": [
            _message(email, references_by_about)
            for email in emails_to_person(person=person, referrals=referrals)
        ],
        "possible_duplicates": [_duplicate(pair, person) for pair in duplicates],
        "access_log": access,
        "left_out": left_out(),
    }


def bundle_counts(bundle: Json) -> list[tuple[str, int]]:
    """What a bundle holds, kind by kind, for the page that offers it."""
    referrals = bundle["referrals"]

    def total(key: str) -> int:
        return sum(len(referral[key]) for referral in referrals)

    return [
        (gettext("Referrals to this scheme"), len(referrals)),
        (gettext("Timeline entries (status changes, notes, messages)"), total("timeline")),
        (gettext("Contacts"), total("contacts")),
        (
            gettext("What matters conversations"),
            sum(1 for referral in referrals if referral["what_matters_conversation"]),
        ),
        (gettext("Goals"), total("goals")),
        (gettext("Connections to services"), total("connections")),
        (gettext("Unmet needs"), total("unmet_needs")),
        (gettext("Outcome measures"), total("outcome_measures")),
        (gettext("Closure summaries"), total("closure_summaries")),
        (gettext("Documents attached to a case"), total("documents")),
        (gettext("Emails sent to the person"), len(bundle["messages"])),
        (gettext("Possible-duplicate decisions"), len(bundle["possible_duplicates"])),
        (gettext("Records merged into this one"), len(bundle["merged_records"])),
        (gettext("Access log entries"), len(bundle["access_log"])),
    ]
