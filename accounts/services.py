"""Writes for accounts: the audit trail and API clients."""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import prepared
from core.client_address import client_address
from core.exceptions import ValidationError as CoreValidationError
from core.inserts import execute_later, insert_statement

from .models import ApiClient, ApiScope, AuditEvent, AuditSubject, NotificationEmail, User

TOKEN_START = "spk"


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    request=None,
    detail: str = "",
    api_client: ApiClient | None = None,
    people: Iterable = (),
    records: Iterable[str] = (),
) -> AuditEvent:
    """Append one row to the audit trail (who, what, which record, when, from where).

    `api_client` names the partner system when the API did it (then `actor` is None).
    `people` are the people whose data was shown or changed (objects with a
    `uuid`, or uuids): one `AuditSubject` each, so the DPO can ask who looked
    at a person. `records` names what a list showed (referral references).
    A Person passed as `obj` is a subject without being named twice.
    Inside a batch of writes (`core.inserts.batched`) the row is written with the batch
    and the event returned has no id.
    """
    if actor is not None and not actor.is_authenticated:
        actor = None
    subjects = {getattr(person, "uuid", person) for person in people}
    if obj is not None and obj._meta.label_lower == "referrals.person":
        subjects.add(getattr(obj, "uuid", None))
    subjects.discard(None)
    event = AuditEvent(
        actor=actor,
        api_client=api_client,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(getattr(obj, "uuid", None) or getattr(obj, "pk", "")) if obj else "",
        detail=detail[:500],
        records=[str(record) for record in records],
        path=(request.get_full_path()[:300] if hasattr(request, "get_full_path") else ""),
        ip_address=client_address(request),
    )
    if connection.vendor == "postgresql":
        # A read's row alone in its transaction need not wait for the disk (see below).
        asynchronous = (
            action == AuditEvent.Action.VIEW
            and settings.AUDIT_READS_COMMIT_ASYNCHRONOUSLY
            and not connection.in_atomic_block
        )
        _insert_with_subjects(event, sorted(subjects, key=str), asynchronous=asynchronous)
    else:
        event.save(force_insert=True)
        if subjects:
            AuditSubject.objects.bulk_create(
                AuditSubject(event=event, person_uuid=person_uuid) for person_uuid in subjects
            )
    return event


def _insert_with_subjects(event: AuditEvent, subjects: list, *, asynchronous: bool) -> None:
    """Write the event and one AuditSubject per person in one statement (PostgreSQL).

    A read of a person's record is audited on every request (an API read too), so
    the row and its subjects go in one round trip: the event's INSERT, as the ORM
    writes it, in a WITH whose id the subjects' INSERT takes.

    `asynchronous`: the statement is its own transaction and commits without
    waiting for the write-ahead log to reach the disk (synchronous_commit off for
    this transaction only), which had cost a read more than all its queries. The
    row is as safe from an application crash, a rollback or a restart as any
    other; only a crash of the database server itself can lose it, and then only
    the rows of its last moments (up to three times wal_writer_delay, 0.6 s by
    default). Changes, and their audit rows, always wait (README, "Audit trail").
    """
    using = router.db_for_write(AuditEvent)
    insert, params = insert_statement(event, using=using, returning=False)
    subject = AuditSubject._meta
    sql = (
        f"WITH event AS ({insert} RETURNING id, created_at), "
        f"subject AS (INSERT INTO {subject.db_table} (event_id, person_uuid) "
        f"SELECT event.id, person FROM event, unnest(%s::text[]::uuid[]) AS person) "  # noqa: S608
        + (
            "SELECT id, created_at, set_config('synchronous_commit', 'off', true) FROM event"
            if asynchronous
            else "SELECT id, created_at FROM event"
        )
    )
    params = [*params, [str(person) for person in subjects]]
    # A change's row inside a batch of writes (core.inserts.batched) goes with the batch,
    # and the event is returned without its id.
    if not asynchronous and execute_later(sql, params, using=using):
        return
    database = connections[using]
    with database.cursor() as cursor:
        prepared.execute(database, cursor, [(sql, params)])
        event.pk, event.created_at = cursor.fetchone()[:2]
    event._state.adding = False
    event._state.db = using


def audit_view(
    *,
    actor,
    what: str,
    people: Iterable = (),
    records: Iterable[str] = (),
    request=None,
    api_client: ApiClient | None = None,
    obj: models.Model | None = None,
) -> AuditEvent:
    """Audit one page or API answer that showed people's data: one row for the whole answer.

    `what` says which page or answer ("referral list", "triage queue"); a list
    passes every person shown as `people` and their references as `records`.
    """
    return audit_record(
        actor=actor, action=AuditEvent.Action.VIEW, obj=obj, request=request, detail=what,
        api_client=api_client, people=people, records=records,
    )  # fmt: skip


def token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough: there is nothing to guess.
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token: str) -> str | None:
    """The public part of a token (`spk_<prefix>_<secret>`), or None when it is not that shape."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_START or not parts[1] or not parts[2]:
        return None
    return parts[1]


def _checked_contact_email(contact_email: str) -> str:
    """The contact email, trimmed; ValidationError naming `contact_email` when malformed."""
    contact_email = (contact_email or "").strip()
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            raise ValidationError(
                {"contact_email": [_("Enter a valid email address for the contact.")]}
            ) from None
    return contact_email


def _checked_client_fields(*, name: str, scopes) -> list[str]:
    """The scopes, deduplicated in their canonical order; ValidationError naming each bad field."""
    scopes = list(dict.fromkeys(scopes))
    unknown = [scope for scope in scopes if scope not in ApiScope.values]
    errors = {}
    if unknown:
        errors["scopes"] = [
            _("Unknown scope: %(scopes)s. Known scopes: %(known)s.")
            % {"scopes": ", ".join(unknown), "known": ", ".join(ApiScope.values)}
        ]
    elif not scopes:
        errors["scopes"] = [_("Choose at least one scope.")]
    if not (name or "").strip():
        errors["name"] = [_("Give the client a name.")]
    if errors:
        raise ValidationError(errors)
    return [scope for scope in ApiScope.values if scope in scopes]


def api_client_update(
    *,
    client: ApiClient,
    name: str,
    organisation,
    scopes,
    rate_limit: int,
    actor=None,
    request=None,
    contact_email: str | None = None,
) -> ApiClient:
    """Change a partner system's name, organisation, scopes or rate limit; audited field by field.

    The token stays as it is (a lost one is replaced by issuing another client).
    """
    scopes = _checked_client_fields(name=name, scopes=scopes)
    wanted = {
        "name": name.strip(), "organisation": organisation, "scopes": scopes,
        "rate_limit": rate_limit,
    }  # fmt: skip
    if contact_email is not None:
        wanted["contact_email"] = _checked_contact_email(contact_email)
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update().get(pk=client.pk)
        changed = [field for field, value in wanted.items() if getattr(locked, field) != value]
        if not changed:
            return locked
        before = {field: str(getattr(locked, field)) for field in changed}
        for field in changed:
            setattr(locked, field, wanted[field])
        locked.save(update_fields=changed)
        api_client_forget([locked])
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=locked, request=request,
            detail="API client changed: " + "; ".join(
                f"{field} {before[field]} -> {getattr(locked, field)}" for field in changed
            ),
        )  # fmt: skip
    return locked


def api_client_create(
    *, name: str, organisation, scopes, rate_limit: int = 60, actor=None, contact_email: str = ""
) -> tuple[ApiClient, str]:
    """Issue credentials to a partner system. Returns (client, token); the token is never stored.

    Raises django.core.exceptions.ValidationError naming `scopes` or `name`
    when they are unusable.
    """
    scopes = _checked_client_fields(name=name, scopes=scopes)
    contact_email = _checked_contact_email(contact_email)
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_START}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        client = ApiClient.objects.create(
            name=name.strip(),
            organisation=organisation,
            token_prefix=prefix,
            token_hash=token_hash(token),
            scopes=[scope for scope in ApiScope.values if scope in scopes],
            rate_limit=rate_limit,
            contact_email=contact_email,
        )
        audit_record(
            actor=actor, action=AuditEvent.Action.CREATE, obj=client, detail="API client issued"
        )
    return client, token


def api_client_revoke(*, client: ApiClient, actor=None) -> ApiClient:
    """Turn a client's token off for good; its history stays. Revoking twice changes nothing."""
    with transaction.atomic():
        revoked = ApiClient.objects.filter(pk=client.pk, is_active=True).update(
            is_active=False, revoked_at=timezone.now()
        )
        if revoked:
            api_client_forget([client])
            audit_record(
                actor=actor,
                action=AuditEvent.Action.CHANGE,
                obj=client,
                detail="API client revoked",
            )
    client.refresh_from_db()
    return client


def api_client_touch(*, client: ApiClient, now=None) -> bool:
    """Record that the client was used, at most once a minute (not a write per request).

    Returns False when the client turned out to be revoked meanwhile (no row was
    active to touch), True otherwise.
    """
    now = now or timezone.now()
    if client.last_used_at and now - client.last_used_at < timedelta(minutes=1):
        return True
    if not ApiClient.objects.filter(pk=client.pk, is_active=True).update(last_used_at=now):
        return False
    client.last_used_at = now
    return True


# --- API clients: the token lookup, cached -----------------------------------------------
# Each API request names its client by token. The client (with its organisation) is kept
# in the fail-open cache for API_CLIENT_CACHE_SECONDS under its token hash, so a request
# finds it with one cache read instead of a query. Revoking or changing a client, or
# changing its organisation, forgets the entry at once and again when the change commits;
# the short lifetime bounds how long a copy can outlive a change made while Redis was
# unreachable. A client is re-read from the database at least once a minute anyway, when
# its use is recorded (api_client_touch), and refused there if it was revoked.
API_CLIENT_CACHE_SECONDS = 30


def _api_client_cache():
    return caches[settings.RATELIMIT_USE_CACHE]


def _api_client_cache_key(hashed: str) -> str:
    return f"api-client:{hashed}"


def api_client_cached(hashed: str) -> ApiClient | None:
    """The client whose token has this hash, as last cached, or None."""
    client = _api_client_cache().get(_api_client_cache_key(hashed))
    return client if isinstance(client, ApiClient) else None


def api_client_remember(client: ApiClient) -> None:
    _api_client_cache().set(
        _api_client_cache_key(client.token_hash), client, API_CLIENT_CACHE_SECONDS
    )


def api_client_forget(clients: Iterable[ApiClient]) -> None:
    """Drop the cached copies of `clients`, now and once the current transaction commits."""
    keys = [_api_client_cache_key(client.token_hash) for client in clients]

    def forget():
        cache = _api_client_cache()
        for key in keys:
            cache.delete(key)

    if keys:
        forget()
        transaction.on_commit(forget)


# --- Sign-in: lockouts (django-axes) ---------------------------------------------------------


def signin_lockout_record(*, request, username: str | None) -> AuditEvent:
    """Audit the moment an account or address becomes locked out (not each refusal after it;
    those are in the trail as failed log-ins)."""
    user = User.objects.filter(username=username).first() if username else None
    return audit_record(
        actor=None,
        action=AuditEvent.Action.LOCKED_OUT,
        obj=user,
        request=request,
        detail=f"username={(username or '')[:150]}",
    )


def signin_unlock(*, actor, username: str = "", ip_address: str = "", request=None) -> int:
    """Lift a sign-in lockout: forget the failures of an account and/or an address.

    Given both, every failure of the account *or* from the address goes, which is what
    unlocks a lockout row in the admin (it may have locked either). Returns how many
    attempt records were removed; the audit row names what was unlocked even when none were.
    """
    if not username and not ip_address:
        raise ValidationError(_("Name an account or an address to unlock."))
    with transaction.atomic():
        removed = axes_reset(
            username=username or None,
            ip=ip_address or None,
            ip_or_username=bool(username and ip_address),
        )
        user = User.objects.filter(username=username).first() if username else None
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UNLOCKED,
            obj=user,
            request=request,
            detail=f"username={username[:150]} address={ip_address} attempts removed={removed}",
        )
    return removed


# --- Sign-in: second factor (django-otp) ------------------------------------------------------

TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def two_factor_devices(user) -> list:
    """The user's confirmed second factors (authenticator apps and recovery code sets)."""
    return list(devices_for_user(user, confirmed=True))


def two_factor_enrolment_start(*, user) -> TOTPDevice:
    """The authenticator the user is about to add: one unconfirmed device, kept across reloads.

    The secret it holds is shown as a QR code until a code from it is confirmed.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def two_factor_enrol(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm a new authenticator with a code from it; returns the new recovery codes.

    On success the authenticator replaces any earlier one, a fresh set of one-time recovery
    codes replaces any earlier set (they are returned to be shown once, never again), the
    session counts as verified, and the trail records it. A wrong code returns None and is
    audited as a failed second factor.
    """
    user = request.user
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if not device.verify_token(_normalise_token(token)):
            audit_record(
                actor=user,
                action=AuditEvent.Action.TWO_FACTOR_FAILED,
                request=request,
                detail="wrong code while setting up an authenticator",
            )
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=user).delete()
        recovery = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME)
        codes = [StaticToken.random_token() for _n in range(settings.OTP_RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=recovery, token=c) for c in codes)
        audit_record(actor=user, action=AuditEvent.Action.TWO_FACTOR_ENROLLED, request=request)
    otp_login(request, device)
    return codes


def two_factor_verify(*, request, token: str):
    """Check the second factor of the signed-in user: an authenticator code or a recovery code.

    A recovery code works once (it is deleted as it is used). Success marks the session as
    verified. Every outcome is audited: a recovery code's use is its own event, so the person
    and their administrator can see a set is being used up. Returns the device or None.
    Repeated wrong codes slow down (django-otp doubles the wait after each failure).
    """
    user = request.user
    token = _normalise_token(token)
    # Authenticator codes are digits; recovery codes are letters and digits (base32).
    model = TOTPDevice if token.isdigit() and token.isascii() else StaticDevice
    with transaction.atomic():
        device = None
        for candidate in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            if candidate.verify_token(token):
                device = candidate
                break
        if device is None:
            audit_record(actor=user, action=AuditEvent.Action.TWO_FACTOR_FAILED, request=request)
            return None
        if isinstance(device, StaticDevice):
            left = device.token_set.count()
            audit_record(
                actor=user,
                action=AuditEvent.Action.RECOVERY_CODE_USED,
                request=request,
                detail=f"recovery codes left={left}",
            )
        else:
            audit_record(actor=user, action=AuditEvent.Action.TWO_FACTOR_VERIFIED, request=request)
    otp_login(request, device)
    return device


def two_factor_reset(*, user, actor, request=None) -> int:
    """Remove every second factor of a user (a lost phone): they set one up at next sign-in.

    Their sessions verified by a removed device stop counting as verified at once.
    Returns how many devices were removed.
    """
    with transaction.atomic():
        removed = 0
        for model in (TOTPDevice, StaticDevice):
            removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.TWO_FACTOR_RESET,
            obj=user,
            request=request,
            detail=f"devices removed={removed}",
        )
    return removed


def _normalise_token(token: str) -> str:
    # People type codes with spaces ("123 456") and recovery codes in capitals.
    return "".join((token or "").split()).lower()[:32]


def user_notification_email_set(*, user, choice: str, request=None) -> User:
    """The user's choice of emails about notifications: each at once, or a daily digest.

    An unknown choice is refused, naming the field, and changes nothing.
    """
    if choice not in NotificationEmail.values:
        message = _("Choose how you want to hear of your notifications.")
        raise CoreValidationError(message, field_errors={"notification_email": [message]})
    if user.notification_email != choice:
        user.notification_email = choice
        user.save(update_fields=["notification_email"])
        audit_record(
            actor=user, action=AuditEvent.Action.CHANGE, obj=user, request=request,
            detail=f"notification emails: {choice}",
        )  # fmt: skip
    return user
