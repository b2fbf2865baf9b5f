"""Every change to people and referrals: one function per use case.

Pages (and later the partner API) call these with keyword arguments; they
raise only `core.exceptions` errors (and referrals' own subclasses of them)
for things a person can put right.
"""

import hashlib
import logging
import secrets
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Organisation, Role, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition, Refused, StaleVersion, ValidationError
from core.outbox import outbox_email_queue
from core.postcodes import clean_postcode

from .exceptions import IdempotencyConflict
from .models import (
    TEXT_LIMIT,
    ApiIdempotencyKey,
    ClosureReason,
    Notification,
    Person,
    PersonAsReferred,
    PossibleDuplicate,
    Reason,
    Referral,
    ReferralEvent,
    RejectionReason,
    SourceKind,
    Status,
)
from .selectors import move_refusal, referrals_visible_to, scheme_for_area
from .validators import normalise_nhs_number

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L, 2/Z, 5/S or 8/B: a reference is read out over the phone.
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
REFERENCE_LENGTH = 7

SOURCE_FOR_ORGANISATION = {
    Organisation.Kind.GP_PRACTICE: SourceKind.GP,
    Organisation.Kind.HEALTH: SourceKind.HEALTH,
    Organisation.Kind.SOCIAL_CARE: SourceKind.SOCIAL_CARE,
    Organisation.Kind.HOUSING: SourceKind.HOUSING,
    Organisation.Kind.THIRD_SECTOR: SourceKind.THIRD_SECTOR,
}

PERSON_FIELDS = (
    "given_name", "family_name", "preferred_name", "date_of_birth", "nhs_number", "gender",
    "ethnic_group", "address", "postcode", "phone", "email", "contact_method",
    "may_leave_message", "preferred_language", "communication_needs",
)  # fmt: skip
REFERRAL_FIELDS = (
    "reasons", "reason_other", "what_matters", "urgency", "consent_to_referral",
    "consent_to_share", "gp_feedback", "risk_flag", "risk_details", "referrer_name",
    "referrer_role", "referrer_phone", "referrer_email",
)  # fmt: skip

# Feedback the referrer hears, by the status reached (DESIGN.md: the missing loop).
FEEDBACK_STATUSES = (Status.ACCEPTED, Status.REJECTED, Status.IN_PROGRESS, Status.CLOSED)


def new_reference() -> str:
    return "SP-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _unique_reference() -> str:
    # 25^7 (6e9) references: a clash is rare, and the unique constraint is the
    # final word should two requests pick the same one at the same moment.
    while True:
        reference = new_reference()
        if not Referral.objects.filter(reference=reference).exists():
            return reference


def _field_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            field: [str(m) for e in errs for m in e.messages]
            for field, errs in error.error_dict.items()
        }
    return {"__all__": list(error.messages)}


def _clean_person(details: dict) -> dict:
    data = {key: details[key] for key in PERSON_FIELDS if key in details}
    errors: dict[str, list[str]] = {}
    for key, normalise in (("postcode", clean_postcode), ("nhs_number", normalise_nhs_number)):
        if data.get(key):
            try:
                data[key] = normalise(data[key])
            except DjangoValidationError as error:
                errors[key] = list(error.messages)
    data["nhs_number"] = data.get("nhs_number") or None
    data.setdefault("postcode", "")
    try:
        Person(**data).full_clean(
            exclude=["nhs_number", "postcode"] if errors else None,
            validate_unique=False,
            validate_constraints=False,
        )
    except DjangoValidationError as error:
        errors.update(_field_errors(error))
    if errors:
        raise ValidationError(_("Please correct the details of the person."), field_errors=errors)
    return data


def _clean_referral(details: dict) -> dict:
    data = {key: details[key] for key in REFERRAL_FIELDS if key in details}
    errors: dict[str, list[str]] = {}
    reasons = data.get("reasons") or []
    unknown = [code for code in reasons if code not in Reason.values]
    if not reasons:
        errors["reasons"] = [_("Choose at least one reason for the referral.")]
    elif unknown:
        errors["reasons"] = [
            _("Unknown reason code: %(codes)s.") % {"codes": ", ".join(map(str, unknown))}
        ]
    for key in ("consent_to_referral", "consent_to_share"):
        if data.get(key) is not True:
            errors[key] = [_("The person must agree to this before the referral can be made.")]
    if data.get("risk_flag") and not (data.get("risk_details") or "").strip():
        errors["risk_details"] = [_("Describe the safeguarding or risk concern.")]
    for key in ("what_matters", "risk_details"):
        if len(data.get(key) or "") > TEXT_LIMIT:
            errors[key] = [_("Keep this to %(limit)s characters or fewer.") % {"limit": TEXT_LIMIT}]
    if not (data.get("what_matters") or "").strip():
        errors["what_matters"] = [_("Say what matters to the person, in a few words.")]
    if errors:
        raise ValidationError(_("Please correct the details of the referral."), field_errors=errors)
    data["reasons"] = sorted(set(reasons), key=Reason.values.index)
    return data


# Matching a referral to a person the scheme already knows -------------------


def _lock_id(key: str) -> int:
    """A signed 64-bit number for a match key, as pg_advisory_xact_lock takes."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _lock_match_keys(keys: list[str]) -> None:
    """Hold each match key until the transaction ends, so people sharing a key are made in turn.

    Without it ten referrals for the same person arriving together all look,
    all find no one, and all create a record (finding 7 of issue 11). On
    PostgreSQL a transaction-scoped advisory lock per key makes the second
    wait for the first to commit, then see its person. Keys are taken in a
    fixed order so two referrals needing the same two keys cannot deadlock.
    SQLite has no such lock and needs none: it lets one writer in at a time.
    """
    if connection.vendor != "postgresql":
        return
    assert connection.in_atomic_block, "a match-key lock lasts until the transaction ends"
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(key)])


def _match_keys(data: dict, scheme) -> list[str]:
    keys = [
        "person-who:"
        + ":".join(
            [
                str(scheme.pk),
                data["given_name"].strip().upper(),
                data["family_name"].strip().upper(),
                data["date_of_birth"].isoformat(),
                data["postcode"],
            ]
        )
    ]
    if data.get("nhs_number"):
        keys.append(f"person-nhs:{scheme.pk}:{data['nhs_number']}")
    return keys


def _match_person(data: dict, scheme) -> tuple[Person | None, Person | None, str]:
    """(exact match, possible match, why it is possible) among people known to `scheme`.

    Exact: the NHS number and the date of birth agree; the referral is linked.
    Possible: the NHS number agrees but not the date of birth, or the name,
    date of birth and postcode agree where one side has no NHS number; the
    referral gets a new person and a coordinator decides. Two different NHS
    numbers are two people. Only people with a referral in this scheme count:
    another scheme's records are its own, and matching there would show this
    scheme (and any coordinator reviewing the pair) someone it never met.
    """
    known = Person.objects.known_to_scheme(scheme).order_by("pk")
    number = data.get("nhs_number")
    if number:
        same_number = known.filter(nhs_number=number)
        # Locked, and checked again once locked, so a merge that commits
        # meanwhile cannot leave this referral on a merged record.
        exact = (
            same_number.select_for_update()
            .filter(date_of_birth=data["date_of_birth"], merged_into__isnull=True)
            .first()
        )
        if exact is not None:
            return exact, None, ""
        possible = same_number.first()
        if possible is not None:
            return None, possible, PossibleDuplicate.Reason.NHS_NUMBER
    same_details = known.filter(
        given_name__iexact=data["given_name"].strip(),
        family_name__iexact=data["family_name"].strip(),
        date_of_birth=data["date_of_birth"],
        postcode=data["postcode"],
    )
    if number:
        same_details = same_details.filter(nhs_number__isnull=True)
    possible = same_details.first()
    return None, possible, PossibleDuplicate.Reason.DEMOGRAPHICS if possible else ""


def _person_for_referral(*, data: dict, scheme, actor, consent_method: str):
    """(person, linked, possible match, reason): the known person to link the referral to
    (linked True), or a new one, with the record it may duplicate.

    Call inside the transaction that creates the referral: the match-key lock
    is held until it commits, so the referral (which makes the person known
    to the scheme) and any possible-duplicate entry are visible to the next
    referral for the same key before it looks.
    """
    _lock_match_keys(_match_keys(data, scheme))
    exact, possible, reason = _match_person(data, scheme)
    if exact is not None:
        return exact, True, None, ""
    person = Person.objects.create(
        **data,
        consent_to_share=True,
        consent_recorded_at=timezone.now(),
        consent_recorded_by=actor if actor and actor.is_authenticated else None,
        consent_method=consent_method,
    )
    return person, False, possible, reason


@transaction.atomic
def referral_create(
    *,
    person_details: dict,
    referral_details: dict,
    actor=None,
    api_client=None,
    scheme=None,
    request=None,
) -> Referral:
    """Record a referral: professional when `actor` is a referrer or `api_client` a partner
    system acting for its organisation, self-referral when neither is given.

    The referral keeps the person as the referrer supplied them; whether they
    are someone the scheme already knows is the scheme's business and is never
    told to the referrer (DESIGN.md, Who may see what).
    """
    if actor is not None and actor.role != Role.REFERRER:
        raise InvalidTransition(_("Only referrers can make a referral."))
    if api_client is not None and (actor is not None or not api_client.is_active):
        raise InvalidTransition(_("Only an active API client can make a referral."))
    errors = {}
    try:
        referral_data = _clean_referral(referral_details)
    except ValidationError as error:
        errors.update(error.field_errors)
    if api_client is not None and not (referral_details.get("referrer_name") or "").strip():
        # No signed-in person to name: the partner system must say who referred.
        errors["referrer_name"] = [_("Give the name of the person making the referral.")]
    try:
        person_data = _clean_person(person_details)
    except ValidationError as error:
        errors.update(error.field_errors)
    if errors:
        raise ValidationError(_("Please correct the errors below."), field_errors=errors)

    if api_client is not None:
        organisation = api_client.organisation
        source_kind = SOURCE_FOR_ORGANISATION.get(organisation.kind, SourceKind.THIRD_SECTOR)
        area = organisation.area
        scheme = scheme or scheme_for_area(area)
    elif actor is not None:
        organisation = actor.organisation
        source_kind = SOURCE_FOR_ORGANISATION.get(organisation.kind, SourceKind.THIRD_SECTOR)
        area = organisation.area
        scheme = scheme or scheme_for_area(area)
        referral_data.setdefault("referrer_name", actor.get_full_name() or actor.username)
        referral_data["referrer_email"] = referral_data.get("referrer_email") or actor.email
    else:
        organisation, source_kind = None, SourceKind.SELF
        area = scheme.area if scheme else None
        scheme = scheme or scheme_for_area(None)
        # The person is the referrer: no GP involvement to choose here.
        referral_data.pop("referrer_name", None)

    person, linked, possible, reason = _person_for_referral(
        data=person_data,
        scheme=scheme,
        actor=actor,
        consent_method=_("Recorded by the referrer")
        if actor or api_client
        else _("Online self-referral form"),
    )
    now = timezone.now()
    referral = Referral.objects.create(
        reference=_unique_reference(),
        person=person,
        person_details_as_referred=PersonAsReferred.snapshot(person_data),
        source_kind=source_kind,
        referring_user=actor,
        referring_organisation=organisation,
        scheme=scheme,
        area=area,
        received_at=now,
        **referral_data,
    )
    ReferralEvent.objects.create(
        referral=referral, kind=ReferralEvent.Kind.CREATED, to_status=Status.RECEIVED,
        actor=actor, created_at=now,
    )  # fmt: skip
    if linked:
        # Linked on the NHS number and date of birth: the scheme's side only.
        ReferralEvent.objects.create(
            referral=referral, kind=ReferralEvent.Kind.NOTE, visible_to_referrer=False,
            note=_("Linked to the person already known to the scheme with the same NHS number "
                   "and date of birth."),
            created_at=now,
        )  # fmt: skip
    if possible is not None:
        PossibleDuplicate.objects.create(
            scheme=scheme, person=person, existing=possible, referral=referral,
            reason=reason, created_at=now,
        )  # fmt: skip
        ReferralEvent.objects.create(
            referral=referral, kind=ReferralEvent.Kind.NOTE, visible_to_referrer=False,
            note=_("This may be someone the scheme already knows (%(why)s): a coordinator "
                   "will decide in the possible duplicates.")
            % {"why": PossibleDuplicate.Reason(reason).label},
            created_at=now,
        )  # fmt: skip
    audit_record(
        actor=actor,
        api_client=api_client,
        action=AuditEvent.Action.CREATE,
        obj=referral,
        request=request,
        detail=f"person {person.uuid}",
    )
    return referral


def referral_create_idempotent(
    *,
    api_client,
    idempotency_key: str,
    request_hash: str,
    person_details: dict,
    referral_details: dict,
    request=None,
) -> tuple[Referral, bool]:
    """`referral_create` for a partner system that may send the same request again.

    Returns (referral, created). The same key with the same body gives back
    the referral the first request made (created False); the same key with
    another body raises IdempotencyConflict. Two identical requests racing
    each other both reach the insert of the key: the unique constraint lets
    one in, the other's transaction (referral included) is rolled back and it
    answers with the winner's referral.
    """
    stored = _stored_idempotency_key(api_client, idempotency_key, request_hash)
    if stored is not None:
        return stored.referral, False
    try:
        with transaction.atomic():
            referral = referral_create(
                person_details=person_details,
                referral_details=referral_details,
                api_client=api_client,
                request=request,
            )
            ApiIdempotencyKey.objects.create(
                api_client=api_client,
                key=idempotency_key,
                request_hash=request_hash,
                referral=referral,
            )
    except IntegrityError:
        stored = _stored_idempotency_key(api_client, idempotency_key, request_hash)
        if stored is None:
            raise
        return stored.referral, False
    return referral, True


def _stored_idempotency_key(api_client, key, request_hash):
    stored = (
        ApiIdempotencyKey.objects.select_related("referral")
        .filter(api_client=api_client, key=key)
        .first()
    )
    if stored is not None and stored.request_hash != request_hash:
        raise IdempotencyConflict(
            _(
                "This Idempotency-Key was already used for a request with a different body. "
                "Use a new key for a new referral."
            )
        )
    return stored


def referral_transition(
    *,
    referral: Referral,
    actor,
    to_status: str,
    from_status: str | None = None,
    expected_version: int | None = None,
    note: str = "",
    internal_note: str = "",
    changes: dict | None = None,
    first_contact_at=None,
    request=None,
) -> Referral:
    """Move a referral along its lifecycle; the one door every status change goes through.

    The row is locked while the move is checked, so of two coordinators
    acting at once one wins and the other is refused with a clear message
    (the loser waits for the lock, then sees the new version or status).
    It writes the timeline event and the audit row itself, so no caller can
    make a move that leaves either out. `first_contact_at` is when the first
    conversation happened, when that was before it was recorded (waiting
    times are measured to the conversation).
    """
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if expected_version is not None and locked.version != expected_version:
            raise StaleVersion(
                _(
                    "This referral was changed by someone else while you were looking at it "
                    "(it is now %(status)s). Nothing you entered was saved: check it and try again."
                )
                % {"status": locked.get_status_display()}
            )
        now = timezone.now()
        if from_status is not None and locked.status != from_status:
            # Resume and reopen both lead to in_progress; a stale page must not
            # turn one into the other.
            raise InvalidTransition(
                _("This referral is now %(status)s, so this step no longer applies.")
                % {"status": locked.get_status_display()}
            )
        refusal = move_refusal(actor=actor, referral=locked, to_status=to_status, now=now)
        if refusal:
            if actor is not None and not referrals_visible_to(actor).filter(pk=locked.pk).exists():
                # Out of the actor's sight: the same answer as for no such referral (404).
                raise Refused(refusal)
            raise InvalidTransition(refusal)
        from_status = locked.status
        for field, value in (changes or {}).items():
            setattr(locked, field, value)
        milestones: dict[str, str] = {
            Status.ACCEPTED: "accepted_at",
            Status.REJECTED: "rejected_at",
            Status.ALLOCATED: "allocated_at",
            Status.CLOSED: "closed_at",
            Status.CANCELLED: "cancelled_at",
        }
        milestone = milestones.get(to_status)
        if milestone:
            setattr(locked, milestone, now)
        first_contact = to_status == Status.IN_PROGRESS and locked.first_contact_at is None
        if first_contact:
            locked.first_contact_at = min(first_contact_at or now, now)
        locked.status = to_status
        locked.version += 1
        locked.save()
        ReferralEvent.objects.create(
            referral=locked, kind=ReferralEvent.Kind.STATUS, from_status=from_status,
            to_status=to_status, actor=actor, note=note, created_at=now,
        )  # fmt: skip
        if internal_note:
            ReferralEvent.objects.create(
                referral=locked, kind=ReferralEvent.Kind.NOTE, actor=actor, note=internal_note,
                visible_to_referrer=False, created_at=now,
            )  # fmt: skip
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=locked, request=request,
            detail=_transition_detail(locked, from_status),
        )  # fmt: skip
        if to_status in FEEDBACK_STATUSES and (to_status != Status.IN_PROGRESS or first_contact):
            _queue_feedback(referral=locked, now=now)
    return locked


def _transition_detail(referral: Referral, from_status: str) -> str:
    """The audit row's words for a move (not translated: the trail is read by administrators)."""
    if referral.status == Status.CLOSED:
        return f"closed: {referral.closure_reason}"
    if from_status == Status.CLOSED:
        return "reopened"
    return f"{from_status} -> {referral.status}"


def referral_accept(
    *, referral: Referral, actor: User, expected_version: int | None = None, note: str = "",
    request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.ACCEPTED,
        expected_version=expected_version, request=request, internal_note=note,
    )  # fmt: skip


def referral_reject(
    *, referral: Referral, actor: User, reason: str, suggested_alternative: str,
    expected_version: int | None = None, request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    if reason not in RejectionReason.values:
        raise ValidationError(
            _("Choose a reason."), field_errors={"reason": [_("Choose a reason.")]}
        )
    if not suggested_alternative.strip() or len(suggested_alternative) > TEXT_LIMIT:
        message = _(
            "Suggest an alternative for the referrer, in %(limit)s characters or fewer."
        ) % {"limit": TEXT_LIMIT}
        raise ValidationError(message, field_errors={"suggested_alternative": [message]})
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.REJECTED,
        expected_version=expected_version, request=request, note=suggested_alternative,
        changes={"rejection_reason": reason, "suggested_alternative": suggested_alternative},
    )  # fmt: skip


def referral_cancel(
    *, referral: Referral, actor: User, reason: str = "", expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    if len(reason) > TEXT_LIMIT:
        message = _("Keep this to %(limit)s characters or fewer.") % {"limit": TEXT_LIMIT}
        raise ValidationError(message, field_errors={"reason": [message]})
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.CANCELLED,
        expected_version=expected_version, request=request, note=reason,
    )  # fmt: skip


def referral_start(
    *, referral: Referral, actor: User, note: str = "", expected_version: int | None = None,
    first_contact_at: datetime | None = None, request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    """First contact made: the conversation begins (in_progress).

    Called by `linkworkers.services.contact_log` when the person is first reached,
    with the contact's time, so there is one way to start a case and it always
    has its contact row.
    """
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.IN_PROGRESS, from_status=Status.ALLOCATED,
        expected_version=expected_version, request=request, internal_note=note,
        first_contact_at=first_contact_at,
    )  # fmt: skip


def referral_hold(
    *, referral: Referral, actor: User, review_date: date | None, note: str = "",
    expected_version: int | None = None, request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    if review_date is None or review_date < timezone.localdate():
        message = _("Choose a review date that is today or later.")
        raise ValidationError(message, field_errors={"review_date": [message]})
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.ON_HOLD,
        expected_version=expected_version, request=request, internal_note=note,
        changes={"hold_review_date": review_date},
    )  # fmt: skip


def referral_resume(
    *, referral: Referral, actor: User | None, note: str = "",
    expected_version: int | None = None, request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.IN_PROGRESS, from_status=Status.ON_HOLD,
        expected_version=expected_version, request=request, internal_note=note,
        changes={"hold_review_date": None},
    )  # fmt: skip


def referral_close(
    *, referral: Referral, actor: User, reason: str, summary: str,
    expected_version: int | None = None, request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    """Close with a reason; the summary is the message back to the referrer and GP."""
    errors = {}
    if reason not in ClosureReason.values:
        errors["reason"] = [_("Choose a reason.")]
    if not summary.strip() or len(summary) > TEXT_LIMIT:
        errors["summary"] = [
            _("Write a summary for the referrer, in %(limit)s characters or fewer.")
            % {"limit": TEXT_LIMIT}
        ]
    if errors:
        raise ValidationError(_("Please correct the errors below."), field_errors=errors)
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.CLOSED,
        expected_version=expected_version, request=request, note=summary,
        changes={"closure_reason": reason, "closure_summary": summary, "hold_review_date": None},
    )  # fmt: skip


def referral_reopen(
    *, referral: Referral, actor: User, note: str = "", expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Referral:  # fmt: skip
    """Back to in_progress within REOPEN_DAYS of closure; the old closure stays in the timeline."""
    if len(note or "") > TEXT_LIMIT:
        message = _("Keep this to %(limit)s characters or fewer.") % {"limit": TEXT_LIMIT}
        raise ValidationError(message, field_errors={"note": [message]})
    return referral_transition(
        referral=referral, actor=actor, to_status=Status.IN_PROGRESS, from_status=Status.CLOSED,
        expected_version=expected_version, request=request, internal_note=note,
        changes={"closure_reason": "", "closure_summary": "", "closed_at": None},
    )  # fmt: skip


def referral_view_record(*, referral, actor, request=None, api_client=None):
    """Audit one read of a person's record (DESIGN.md: reads are audited, not only writes)."""
    return audit_record(
        actor=actor, action=AuditEvent.Action.VIEW, obj=referral.person, request=request,
        detail=f"referral {referral.reference}", api_client=api_client,
    )  # fmt: skip


# Possible duplicates: the scheme decides who is the same person -------------

DUPLICATE_MERGE = "merge"
DUPLICATE_DISMISS = "not-the-same"
DUPLICATE_UNDO_MERGE = "undo-merge"
DUPLICATE_DECISIONS = (DUPLICATE_MERGE, DUPLICATE_DISMISS, DUPLICATE_UNDO_MERGE)


def possible_duplicate_decide(
    *, duplicate: PossibleDuplicate, actor, decision: str, expected_version: int, request=None
) -> PossibleDuplicate:
    """A coordinator's decision on a possible duplicate; the one door for all three.

    merge: the newer record's referrals move to the existing record, and the
    newer record is kept, marked merged into it. not-the-same: the pair is
    dismissed and both records stay. undo-merge: the referrals that merge
    moved go back, the newer record is unmerged, and the pair waits for a
    decision again. Only a coordinator of the pair's scheme may decide. The
    pair is locked, then both people, then the referrals that move; a
    decision made on an older view of the pair is refused. Each decision
    writes an audit row and a timeline note (not shown to the referrer) on
    every referral it concerns.
    """
    if decision not in DUPLICATE_DECISIONS:
        raise InvalidTransition(_("Choose merge, not the same person, or undo the merge."))
    with transaction.atomic():
        locked = PossibleDuplicate.objects.select_for_update().get(pk=duplicate.pk)
        if not (
            actor is not None
            and actor.role == Role.COORDINATOR
            and actor.organisation_id is not None
            and actor.organisation_id == locked.scheme_id
        ):
            # Only the scheme's coordinators see a pair: to anyone else it is not there.
            raise Refused(_("Only a coordinator of this scheme can decide this."))
        if locked.version != expected_version:
            raise StaleVersion(
                _(
                    "Someone decided on these two records while you were looking at them "
                    "(now: %(state)s). Nothing was changed: look again and decide."
                )
                % {"state": locked.get_state_display()}
            )
        locked_people = Person.objects.select_for_update().filter(
            pk__in=[locked.person_id, locked.existing_id]
        )
        people = {person.pk: person for person in locked_people.order_by("pk")}
        newer, existing = people[locked.person_id], people[locked.existing_id]
        now = timezone.now()
        if decision == DUPLICATE_MERGE:
            moved = _duplicate_merge(locked, newer=newer, existing=existing, now=now)
            note = _("Merged by a coordinator: the person is the same as on the scheme's earlier "
                     "record, and this referral is now on that record.")  # fmt: skip
        elif decision == DUPLICATE_DISMISS:
            if locked.state != PossibleDuplicate.State.OPEN:
                raise InvalidTransition(_("These two records were already decided on."))
            moved = list(newer.referrals.filter(scheme_id=locked.scheme_id).order_by("pk"))
            locked.state = PossibleDuplicate.State.DISMISSED
            note = _("Checked by a coordinator: not the same person as a record the scheme "
                     "already had.")  # fmt: skip
        else:
            moved = _duplicate_unmerge(locked, newer=newer, existing=existing, now=now)
            note = _("A coordinator undid a merge: this referral is back on its own record.")
        locked.version += 1
        locked.decided_at = now
        locked.decided_by = actor
        locked.save()
        ReferralEvent.objects.bulk_create(
            ReferralEvent(
                referral=referral,
                kind=ReferralEvent.Kind.NOTE,
                actor=actor,
                note=note,
                visible_to_referrer=False,
                created_at=now,
            )  # fmt: skip
            for referral in moved
        )
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=newer, request=request,
            detail=f"possible duplicate {locked.uuid}: {decision}; person {newer.uuid} and "
            f"person {existing.uuid}; referrals {', '.join(r.reference for r in moved)}",
        )  # fmt: skip
    return locked


def _duplicate_merge(locked, *, newer, existing, now) -> list[Referral]:
    if locked.state != PossibleDuplicate.State.OPEN:
        raise InvalidTransition(_("These two records were already decided on."))
    if newer.merged_into_id is not None or existing.merged_into_id is not None:
        raise InvalidTransition(
            _("One of these records was merged into another since: decide on that one.")
        )
    referrals = list(Referral.objects.select_for_update().filter(person=newer).order_by("pk"))
    if any(referral.scheme_id != locked.scheme_id for referral in referrals):
        # Only records made before matching kept within a scheme can be like this.
        raise InvalidTransition(
            _("The newer record also has referrals in another scheme, so it cannot be merged here.")
        )
    _move_referrals(referrals, to=existing, now=now)
    newer.merged_into, newer.merged_at = existing, now
    newer.save(update_fields=["merged_into", "merged_at"])
    locked.state = PossibleDuplicate.State.MERGED
    locked.moved_referrals = [referral.pk for referral in referrals]
    return referrals


def _duplicate_unmerge(locked, *, newer, existing, now) -> list[Referral]:
    if locked.state != PossibleDuplicate.State.MERGED or newer.merged_into_id != existing.pk:
        raise InvalidTransition(_("These two records are not merged, so there is nothing to undo."))
    if existing.merged_into_id is not None:
        raise InvalidTransition(
            _("The existing record was merged into another since: undo that merge first.")
        )
    referrals = list(
        Referral.objects.select_for_update()
        .filter(pk__in=locked.moved_referrals, person=existing, scheme_id=locked.scheme_id)
        .order_by("pk")
    )
    _move_referrals(referrals, to=newer, now=now)
    newer.merged_into, newer.merged_at = None, None
    newer.save(update_fields=["merged_into", "merged_at"])
    locked.state = PossibleDuplicate.State.OPEN
    locked.moved_referrals = []
    return referrals


def _move_referrals(referrals, *, to, now) -> None:
    # A new version: a page opened before the move must not save over it.
    Referral.objects.filter(pk__in=[referral.pk for referral in referrals]).update(
        person=to, version=F("version") + 1, updated_at=now
    )


def possible_duplicate_view_record(*, duplicate, actor, request=None) -> None:
    """Audit the read of both records a coordinator compares (reads are audited)."""
    for person in (duplicate.person, duplicate.existing):
        audit_record(
            actor=actor, action=AuditEvent.Action.VIEW, obj=person, request=request,
            detail=f"possible duplicate {duplicate.uuid}",
        )  # fmt: skip


# Feedback to the referrer -------------------------------------------------


def _feedback_message(referral) -> str:
    return {
        Status.ACCEPTED: _("Referral %(ref)s for %(name)s was accepted by %(scheme)s."),
        Status.REJECTED: _("Referral %(ref)s for %(name)s was not accepted by %(scheme)s."),
        Status.IN_PROGRESS: _("A link worker has made first contact with %(name)s (%(ref)s)."),
        Status.CLOSED: _("Referral %(ref)s for %(name)s has been closed."),
    }[referral.status] % {
        "ref": referral.reference,
        # What the referrer supplied, never the scheme's record of the person.
        "name": referral.person_as_referred,
        "scheme": referral.scheme.name,
    }


def _queue_feedback(*, referral, now):
    """Write the in-app notification and the outbox email; send after commit."""
    recipient = referral.referring_user
    if recipient is None or not recipient.is_active:
        return
    with translation.override(recipient.preferred_language):
        path = reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid})
        context = {
            "referral": referral,
            "recipient": recipient,
            "message": _feedback_message(referral),
            "url": settings.SITE_URL.rstrip("/") + path,
        }
        Notification.objects.create(
            recipient=recipient, referral=referral, message=context["message"], created_at=now
        )
        if not recipient.email:
            return
        outbox_email_queue(
            about_object=referral,
            to=recipient.email,
            template="referrals/email/feedback",
            context=context,
            now=now,
        )


def notification_mark_read(*, notification, user):
    Notification.objects.filter(pk=notification.pk, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def colleague_notify(*, referral, recipient, message, now=None):
    """Tell a colleague (a link worker) about a case, pointing at the referral page."""
    user_notify(
        recipient=recipient,
        referral=referral,
        message=message,
        url_path=reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid}),
        now=now,
    )


def user_notify(*, recipient, referral, message, url_path, now=None) -> None:
    """Tell one user about something on a referral: an in-app notification and an email.

    `message` is a callable returning the text, called in the recipient's
    language. Call inside the transaction making the change: the outbox row
    exists exactly when the change does and is sent after commit.
    """
    if recipient is None or not recipient.is_active:
        return
    now = now or timezone.now()
    with translation.override(recipient.preferred_language):
        context = {
            "referral": referral,
            "recipient": recipient,
            "message": message(),
            "url": settings.SITE_URL.rstrip("/") + url_path,
        }
        Notification.objects.create(
            recipient=recipient, referral=referral, message=context["message"], created_at=now
        )
        if recipient.email:
            outbox_email_queue(
                about_object=referral,
                to=recipient.email,
                template="referrals/email/notice",
                context=context,
                now=now,
            )
