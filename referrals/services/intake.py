"""Making a referral (form, self-referral, API), and matching its person within the scheme."""

import hashlib
import secrets

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Organisation, Role
from accounts.services import audit_record
from core.exceptions import InvalidTransition, ValidationError
from core.inserts import batched, insert, insert_pair, insert_unkeyed
from core.postcodes import clean_postcode
from core.rows import columns, fetch, planned_apart

from ..exceptions import IdempotencyConflict, NoSchemeForArea
from ..models import (
    TEXT_LIMIT,
    ApiIdempotencyKey,
    Person,
    PersonAsReferred,
    PossibleDuplicate,
    Reason,
    Referral,
    ReferralEvent,
    SourceKind,
    Status,
    Urgency,
    triage_rank_for,
)
from ..selectors import scheme_for_area, scheme_for_area_id
from ..validators import normalise_nhs_number
from .notifications import coordinators_notify_new_referral

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


def new_reference() -> str:
    return "SP-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


# 25^7 (6e9) references: a clash is rare (one make in 6,000 at a million referrals), so
# nothing is looked up first; the unique constraint turns a clash away and the referral is
# made again with another reference, up to REFERENCE_ATTEMPTS times.
REFERENCE_ATTEMPTS = 5


def reference_taken(error: IntegrityError) -> bool:
    """Whether `error` is the reference's unique constraint refusing a reference in use."""
    diag = getattr(error.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL names the constraint
        return (diag.constraint_name or "").endswith("_reference_key")
    return f"{Referral._meta.db_table}.reference" in str(error)  # SQLite names the column


def field_errors(error: DjangoValidationError) -> dict[str, list[str]]:
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
        errors.update(field_errors(error))
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


def _lock_id(key: str) -> int:
    """A signed 64-bit number for a match key, as pg_advisory_xact_lock takes."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _match_key_lock(keys: list[str]) -> tuple[str, list] | None:
    """The statement that holds each match key until the transaction ends, so people sharing
    a key are made in turn; None where no lock is needed.

    Without it ten referrals for the same person arriving together all look,
    all find no one, and all create a record (finding 7 of issue 11). On
    PostgreSQL a transaction-scoped advisory lock per key makes the second
    wait for the first to commit, then see its person. Keys are taken in a
    fixed order so two referrals needing the same two keys cannot deadlock.
    SQLite has no such lock and needs none: it lets one writer in at a time.

    It goes to the database in the same round trip as the first look for the person,
    ahead of it (`fetch`'s `before`): each statement there sees what was committed
    when it started, so the look comes after the lock, and sees the person the
    referral it waited for made.
    """
    if connection.vendor != "postgresql":
        return None
    assert connection.in_atomic_block, "a match-key lock lasts until the transaction ends"
    # One statement for all the keys, taken in the array's order (unnest keeps it).
    return (
        "SELECT pg_advisory_xact_lock(id) FROM unnest(%s::bigint[]) AS id",
        [[_lock_id(key) for key in sorted(set(keys))]],
    )


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


def _match_person(
    data: dict, scheme, *, lock: tuple[str, list] | None = None
) -> tuple[Person | None, Person | None, str]:
    """(exact match, possible match, why it is possible) among people known to `scheme`.

    Exact: the NHS number and the date of birth agree; the referral is linked.
    Possible: the NHS number agrees but not the date of birth, or the name,
    date of birth and postcode agree where one side has no NHS number; the
    referral gets a new person and a coordinator decides. Two different NHS
    numbers are two people. Only people with a referral in this scheme count:
    another scheme's records are its own, and matching there would show this
    scheme (and any coordinator reviewing the pair) someone it never met.
    `lock`: the match keys' lock (`_match_key_lock`), taken just before the first look.
    """
    number = data.get("nhs_number")
    if number:
        # Locked, and checked again once locked, so a merge that commits
        # meanwhile cannot leave this referral on a merged record.
        exact = _known_person(
            scheme, "nhs_number = %s AND date_of_birth = %s", [number, data["date_of_birth"]],
            lock=True, before=lock,
        )  # fmt: skip
        lock = None
        if exact is not None:
            return exact, None, ""
        possible = _known_person(scheme, "nhs_number = %s", [number])
        if possible is not None:
            return None, possible, PossibleDuplicate.Reason.NHS_NUMBER
    same_details = (
        "UPPER(given_name) = UPPER(%s) AND UPPER(family_name) = UPPER(%s) "
        "AND date_of_birth = %s AND postcode = %s"
    )
    if number:
        same_details += " AND nhs_number IS NULL"
    possible = _known_person(
        scheme,
        same_details,
        [
            data["given_name"].strip(),
            data["family_name"].strip(),
            data["date_of_birth"],
            data["postcode"],
        ],
        before=lock,
    )
    return None, possible, PossibleDuplicate.Reason.DEMOGRAPHICS if possible else ""


def _known_person(
    scheme, condition: str, params: list, *, lock: bool = False,
    before: tuple[str, list] | None = None,
) -> Person | None:  # fmt: skip
    """The first person (lowest id) of `Person.objects.known_to_scheme(scheme)` meeting
    `condition` (SQL on referrals_person's own columns), locked FOR UPDATE with `lock`;
    `before`, a statement run first in the same round trip.

    The statement the ORM builds for that queryset, written out: a partner's referral
    looks for its person on every request, and building the query cost more than
    running it. `tests/referrals/test_person_matching.py` holds it to the queryset.
    "Known to the scheme" is asked of the few people the condition finds, one by one
    (`planned_apart`: not planned as a join): planning the join with
    every index of the referrals table took longer than finding the person.
    """
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {columns(Person, 'p')} FROM {quote(Person._meta.db_table)} p "  # noqa: S608
        f"WHERE p.merged_into_id IS NULL AND p.erased_at IS NULL AND {condition} "
        f"AND EXISTS (SELECT 1 FROM {quote(Referral._meta.db_table)} r "
        f"WHERE r.person_id = p.id AND r.scheme_id = %s{planned_apart()}) "
        "ORDER BY p.id LIMIT 1"
    )
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return next(iter(fetch(Person, sql, [*params, scheme.pk], before=before)), None)


def _person_for_referral(*, data: dict, scheme, actor, consent_method: str):
    """(person, linked, possible match, reason): the known person to link the referral to
    (linked True), or a new one, not yet saved (it is written with the referral), with the
    record it may duplicate.

    Call inside the transaction that creates the referral: the match-key lock
    is held until it commits, so the referral (which makes the person known
    to the scheme) and any possible-duplicate entry are visible to the next
    referral for the same key before it looks.
    """
    lock = _match_key_lock(_match_keys(data, scheme))
    exact, possible, reason = _match_person(data, scheme, lock=lock)
    if exact is not None:
        return exact, True, None, ""
    person = Person(
        **data,
        consent_to_share=True,
        consent_recorded_at=timezone.now(),
        consent_recorded_by=actor if actor and actor.is_authenticated else None,
        consent_method=consent_method,
    )
    return person, False, possible, reason


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
        area_id = organisation.area_id
        scheme = scheme or scheme_for_area_id(area_id)
    elif actor is not None:
        organisation = actor.organisation
        source_kind = SOURCE_FOR_ORGANISATION.get(organisation.kind, SourceKind.THIRD_SECTOR)
        area_id = organisation.area_id
        scheme = scheme or scheme_for_area_id(area_id)
        referral_data.setdefault("referrer_name", actor.get_full_name() or actor.username)
        referral_data["referrer_email"] = referral_data.get("referrer_email") or actor.email
    else:
        organisation, source_kind = None, SourceKind.SELF
        area_id = scheme.area_id if scheme else None
        scheme = scheme or scheme_for_area(None)
        # The person is the referrer: no GP involvement to choose here.
        referral_data.pop("referrer_name", None)

    # Everything above only reads. Within a caller's transaction (a partner's request with
    # an Idempotency-Key) no savepoint is needed: nothing below fails but the database,
    # which fails the caller's transaction too.
    for attempt in range(1, REFERENCE_ATTEMPTS + 1):
        try:
            # The rows whose keys nobody reads back (its event, audit row, notices...) go
            # to the database together, in one round trip at the end (core.inserts).
            with transaction.atomic(savepoint=False), batched():
                return _write_referral(
                    person_data=person_data, referral_data=referral_data, actor=actor,
                    api_client=api_client, organisation=organisation,
                    source_kind=source_kind, scheme=scheme, area_id=area_id, request=request,
                )  # fmt: skip
        except IntegrityError as error:
            # Within a caller's transaction the caller tries again (it holds the savepoint).
            if attempt == REFERENCE_ATTEMPTS or connection.in_atomic_block:
                raise
            if not reference_taken(error):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _write_referral(
    *, person_data, referral_data, actor, api_client, organisation, source_kind, scheme, area_id,
    request,
) -> Referral:  # fmt: skip
    person, linked, possible, reason = _person_for_referral(
        data=person_data,
        scheme=scheme,
        actor=actor,
        consent_method=_("Recorded by the referrer")
        if actor or api_client
        else _("Online self-referral form"),
    )
    now = timezone.now()
    referral = Referral(
        reference=new_reference(),
        person=person,
        person_details_as_referred=PersonAsReferred.snapshot(person_data),
        source_kind=source_kind,
        referring_user=actor,
        referring_organisation=organisation,
        scheme=scheme,
        area_id=area_id,
        received_at=now,
        # Its place in the triage queue, which the lifecycle keeps from here on.
        triage_rank=triage_rank_for(Status.RECEIVED, referral_data.get("urgency", Urgency.ROUTINE)),
        **referral_data,
    )
    if linked:
        insert([referral])
    else:
        # The new person and their referral, in one statement (PostgreSQL).
        insert_pair(person, referral, link="person")
    # The referral's first events, in one insert.
    events = [
        ReferralEvent(
            referral=referral, kind=ReferralEvent.Kind.CREATED, to_status=Status.RECEIVED,
            actor=actor, created_at=now,
        )
    ]  # fmt: skip
    if linked:
        # Linked on the NHS number and date of birth: the scheme's side only.
        events.append(ReferralEvent(
            referral=referral, kind=ReferralEvent.Kind.NOTE, visible_to_referrer=False,
            note=_("Linked to the person already known to the scheme with the same NHS number "
                   "and date of birth."),
            created_at=now,
        ))  # fmt: skip
    if possible is not None:
        PossibleDuplicate.objects.create(
            scheme=scheme, person=person, existing=possible, referral=referral,
            reason=reason, created_at=now,
        )  # fmt: skip
        events.append(ReferralEvent(
            referral=referral, kind=ReferralEvent.Kind.NOTE, visible_to_referrer=False,
            note=_("This may be someone the scheme already knows (%(why)s): a coordinator "
                   "will decide in the possible duplicates.")
            % {"why": PossibleDuplicate.Reason(reason).label},
            created_at=now,
        ))  # fmt: skip
    insert_unkeyed(events)
    audit_record(
        actor=actor,
        api_client=api_client,
        action=AuditEvent.Action.CREATE,
        obj=referral,
        request=request,
        detail=f"person {person.uuid}",
    )
    # Its coordinators hear of it in this transaction: the notice exists exactly when it does.
    coordinators_notify_new_referral(referral=referral, now=now)
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
    another body raises IdempotencyConflict. The key is not looked up first:
    a new key is the usual case, so the referral is made and the key stored in
    one transaction, and the key's unique constraint turns a repeat away. A
    repeat (or the slower of two identical requests racing each other) is
    rolled back, referral included, and answers with the first one's referral.
    """
    for attempt in range(1, REFERENCE_ATTEMPTS + 1):
        try:
            # The key goes with the referral's batch of writes: a key used before fails
            # at the batch's end, still inside the transaction it rolls back.
            with transaction.atomic(), batched():
                referral = referral_create(
                    person_details=person_details,
                    referral_details=referral_details,
                    api_client=api_client,
                    request=request,
                )
                insert_unkeyed(
                    [
                        ApiIdempotencyKey(
                            api_client=api_client,
                            key=idempotency_key,
                            request_hash=request_hash,
                            referral=referral,
                        )
                    ]
                )
        except (IntegrityError, ValidationError, InvalidTransition, NoSchemeForArea) as error:
            # The key was used before (the usual reason to fail here), or this request
            # cannot be made now: a repeat still gets its first answer.
            stored = _stored_idempotency_key(api_client, idempotency_key, request_hash)
            if stored is not None:
                return stored.referral, False
            retry = isinstance(error, IntegrityError) and reference_taken(error)
            if not retry or attempt == REFERENCE_ATTEMPTS:
                raise
        else:
            return referral, True
    raise AssertionError("unreachable")  # pragma: no cover


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
