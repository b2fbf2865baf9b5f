"""Reads for referrals, already scoped to the user who asks (DESIGN.md, Who may see what)."""

import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Area, Organisation, Role, User
from accounts.selectors import area_and_ancestors
from core.rows import columns, fetch

from .exceptions import NoSchemeForArea
from .models import (
    REOPEN_DAYS,
    SYSTEM_TRANSITIONS,
    TRANSITIONS,
    GPFeedback,
    Notification,
    Person,
    PossibleDuplicate,
    Referral,
    ReferralEvent,
    SourceKind,
    Status,
)

LIST_RELATED = ("person", "referring_organisation", "link_worker", "scheme")


def referrals_visible_to(user):
    """Every referral this user may see; none for roles that see no person's record."""
    referrals = Referral.objects.all()
    if not (user.is_authenticated and user.is_active and user.organisation_id):
        return referrals.none()
    if user.role == Role.REFERRER:
        return referrals.filter(referring_organisation_id=user.organisation_id)
    if user.role == Role.COORDINATOR:
        return referrals.filter(scheme_id=user.organisation_id)
    if user.role == Role.LINK_WORKER:
        return referrals.filter(
            Q(link_worker_id=user.pk)
            | Q(
                scheme_id=user.organisation_id,
                link_worker__isnull=True,
                status__in=[Status.RECEIVED, Status.ACCEPTED],
            )
        )
    return referrals.none()


def get_referral_for(user, referral_uuid):
    """The referral, or 404 alike for "not there" and "not yours"."""
    try:
        return (
            referrals_visible_to(user)
            .select_related(*LIST_RELATED, "area__parent__parent", "referring_user")
            .get(uuid=referral_uuid)
        )
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def referral_list_for(user, *, status="", received_from=None, received_to=None):
    referrals = referrals_visible_to(user).select_related(*LIST_RELATED)
    if status:
        referrals = referrals.filter(status=status)
    if received_from:
        referrals = referrals.filter(received_at__date__gte=received_from)
    if received_to:
        referrals = referrals.filter(received_at__date__lte=received_to)
    return referrals.order_by("-received_at", "-pk")


def triage_queue_for(user):
    """Received first, then accepted awaiting a link worker; urgent before routine; oldest first.

    The order is the stored `triage_rank` (referrals.models.triage_rank_for),
    then received_at: one walk of the `referral_triage_queue` index, not a
    sort of the whole queue by computed expressions.
    """
    if user.role != Role.COORDINATOR or not user.organisation_id:
        return Referral.objects.none()
    return (
        referrals_visible_to(user)
        .for_triage()
        .select_related(*LIST_RELATED)
        .order_by("triage_rank", "received_at", "pk")
    )


def days_waiting(referral: Referral, today) -> int:
    """Whole UK days since the referral was received (0 on the day it came in)."""
    return (today - timezone.localdate(referral.received_at)).days


def open_cases_for(user):
    """The cases a link worker holds now, oldest first."""
    return (
        Referral.objects.open()
        .filter(link_worker_id=user.pk)
        .select_related(*LIST_RELATED)
        .order_by("received_at", "pk")
    )


# What goes back to the referrer (and through them to the GP) --------------------
#
# The person chose, when referred, what may go back to their GP (Referral.gp_feedback).
# The referrer is the GP's side, whatever kind of organisation referred: every channel
# a referrer or their organisation's partner system reads (the referral page and its
# timeline, the feedback email and notification, the partner API) asks the one question
# below, so no channel can drift from the others. The GP extract carries coded rows only,
# so it holds nothing either choice withholds.


def referrer_may_see_text(referral: Referral) -> bool:
    """Whether the scheme's words about the person may reach the referrer.

    True only when the person chose "everything". With "coded events only" the
    referrer gets the status, dates, closure and rejection reasons (coded) and
    the coded events, never free text the scheme wrote: the closure summary (the
    PRSB message back), the suggested alternative of a rejection, the words of a
    timeline event. What the referrer wrote themself (what matters, the risk,
    a cancellation's reason) stays theirs to read. Anything but "everything"
    withholds, so an unknown value fails closed. The scheme's staff always see
    the text. It is the choice as it stands now: an email already sent is
    history, the pages and the API show the current choice's view.
    """
    return referral.gp_feedback == GPFeedback.EVERYTHING


@dataclass(frozen=True)
class FeedbackText:
    """The scheme's words about a referral's outcome, as one reader may have them.

    `shown` is False when the words are withheld from this reader; the text
    fields are then empty, so a template or serializer cannot show them by mistake.
    """

    shown: bool
    closure_summary: str
    suggested_alternative: str


def referrer_feedback_text(referral: Referral) -> FeedbackText:
    """What the referrer may read of the closure summary and the suggested alternative."""
    if referrer_may_see_text(referral):
        return FeedbackText(
            shown=True,
            closure_summary=referral.closure_summary,
            suggested_alternative=referral.suggested_alternative,
        )
    return FeedbackText(shown=False, closure_summary="", suggested_alternative="")


def feedback_text_for(user, referral: Referral) -> FeedbackText:
    """The referrer's view for a referrer; the scheme's staff read the words themselves."""
    if user.role == Role.REFERRER:
        return referrer_feedback_text(referral)
    return FeedbackText(
        shown=True,
        closure_summary=referral.closure_summary,
        suggested_alternative=referral.suggested_alternative,
    )


def timeline_for(user, referral: Referral) -> QuerySet[ReferralEvent]:
    """The referral's events; a referrer sees only what is meant for them.

    Each event carries `shown_note` (its words as this reader may read them)
    and `note_withheld`; pages show `shown_note`, never `note`.
    """
    if user.role == Role.REFERRER:
        return referrer_timeline(referral)
    return (
        ReferralEvent.objects.filter(referral=referral)
        .select_related("actor")
        .annotate(shown_note=F("note"), note_withheld=Value(False, output_field=BooleanField()))
        .order_by("created_at", "pk")
    )


def referrer_timeline(referral: Referral) -> QuerySet[ReferralEvent]:
    """The events meant for the referrer: status changes and messages, never link worker notes.

    With "coded events only" an event keeps its words only when someone of the
    referring organisation wrote them (a cancellation's reason); the scheme's
    words (the closure summary, the suggested alternative, any note on a
    status change) come back empty, marked `note_withheld`.
    """
    events = ReferralEvent.objects.filter(referral=referral, visible_to_referrer=True)
    if referrer_may_see_text(referral):
        events = events.annotate(
            shown_note=F("note"), note_withheld=Value(False, output_field=BooleanField())
        )
    elif referral.referring_organisation_id is None:
        # No referring organisation (a self-referral): no one's own words to keep.
        events = events.annotate(
            shown_note=Value("", output_field=CharField()), note_withheld=_withheld(None)
        )
    else:
        own_words = Q(actor__organisation_id=referral.referring_organisation_id)
        events = events.annotate(
            shown_note=Case(
                When(own_words, then=F("note")), default=Value(""), output_field=CharField()
            ),
            note_withheld=_withheld(own_words),
        )
    return events.select_related("actor").order_by("created_at", "pk")


def referrer_timeline_for_api(referral: Referral) -> QuerySet[ReferralEvent]:
    """`referrer_timeline` as the partner API gives it: no one's name, so no actor rows."""
    return referrer_timeline(referral).select_related(None)


def _withheld(kept: Q | None) -> Case:
    """True for an event with words the reader is not given (those matching `kept` are given).

    A Case rather than a negated Q: an event with no actor compares as NULL,
    and NULL must count as "not the referrer's own words", so withheld.
    """
    given = Q(note="") if kept is None else kept | Q(note="")
    return Case(When(given, then=Value(False)), default=Value(True), output_field=BooleanField())


def may_change_gp_feedback(user, referral: Referral) -> bool:
    """The person tells the scheme: the link worker holding the case or a coordinator of it."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.role == Role.LINK_WORKER:
        return referral.link_worker_id is not None and referral.link_worker_id == user.pk
    if user.role == Role.COORDINATOR:
        return user.organisation_id is not None and referral.scheme_id == user.organisation_id
    return False


# Data protection: the scheme's data protection officer (and its coordinator) act for the
# people whose referrals came to the scheme: subject access, rectification, erasure.

DATA_PROTECTION_ROLES = (Role.DPO, Role.COORDINATOR)


def people_in_data_protection_scope(user):
    """The people a DPO or coordinator may export, correct or erase: those referred to it."""
    if not (
        user.is_authenticated
        and user.is_active
        and user.organisation_id
        and user.role in DATA_PROTECTION_ROLES
    ):
        return Person.objects.none()
    return Person.objects.filter(
        pk__in=Referral.objects.filter(scheme_id=user.organisation_id).values("person_id")
    )


def get_person_for_data_protection(user, person_uuid):
    """The person, or 404 alike for "not there" and "not in your scheme"."""
    try:
        return people_in_data_protection_scope(user).get(uuid=person_uuid)
    except (Person.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise Http404 from None


def get_person_by_reference_for_data_protection(user, reference):
    """The person whose referral has this SP- reference, within the user's scheme, or 404."""
    referral = (
        Referral.objects.filter(
            scheme_id=user.organisation_id, reference=str(reference).strip().upper()
        )
        .select_related("person")
        .first()
        if user.is_authenticated and user.role in DATA_PROTECTION_ROLES and user.organisation_id
        else None
    )
    if referral is None:
        raise Http404
    return referral.person


# Partner systems: an API client sees what a referrer of its organisation sees.


def referrals_visible_to_api_client(client):
    """The referrals the client's organisation made; none once the client is revoked."""
    if not (client.is_active and client.organisation_id):
        return Referral.objects.none()
    return Referral.objects.filter(referring_organisation_id=client.organisation_id)


# What the partner API's list shows of a referral (ReferralOutputSerializer): a page of 50
# loads these columns, not whole rows of the referral, its person and its scheme.
API_LIST_FIELDS = (
    "uuid", "reference", "status", "urgency", "reasons", "received_at", "accepted_at",
    "rejected_at", "allocated_at", "first_contact_at", "closed_at", "cancelled_at", "updated_at",
    "person", "scheme", "referring_organisation",
)  # fmt: skip


def referral_list_for_api_client(client):
    # The person's uuid comes along only for the audit row naming whom the answer was about;
    # the index referral_partner_list serves the order (and the count) for any organisation.
    return (
        referrals_visible_to_api_client(client)
        .select_related("scheme", "person")
        .only(*API_LIST_FIELDS, "scheme__name", "person__uuid")
        .order_by("-received_at", "-pk")
    )


def get_referral_for_api_client(client, referral_uuid):
    """The referral, or 404 alike for "not there" and "another organisation's".

    With its scheme's name (`scheme_name`) and its person's uuid (`person_uuid`, for the
    audit row). The statement is the one
    `referrals_visible_to_api_client(client).annotate(scheme_name=F("scheme__name"),
    person_uuid=F("person__uuid")).get(uuid=referral_uuid)` builds, written out: a
    partner's read asks for it every time, and the ORM's building of it cost more than
    running it (tests/referrals/api/test_speed.py holds the two together).
    """
    if not (client.is_active and client.organisation_id):
        raise Http404
    uuid_field = Referral._meta.get_field("uuid")
    try:
        key = uuid_field.get_db_prep_value(uuid_field.to_python(referral_uuid), connection)
    except (ValueError, TypeError, AttributeError, DjangoValidationError):
        raise Http404 from None
    if key is None:
        raise Http404
    table = {model: connection.ops.quote_name(model._meta.db_table)
             for model in (Referral, Organisation, Person)}  # fmt: skip
    sql = (
        f"SELECT {columns(Referral, 'r')}, s.name, p.uuid "  # noqa: S608 (model tables)
        f"FROM {table[Referral]} r INNER JOIN {table[Organisation]} s ON s.id = r.scheme_id "
        f"INNER JOIN {table[Person]} p ON p.id = r.person_id "
        "WHERE r.referring_organisation_id = %s AND r.uuid = %s"
    )
    found = fetch(
        Referral, sql, [client.organisation_id, key], extra=("scheme_name", "person_uuid")
    )
    if not found:
        raise Http404
    [referral] = found
    # Only the model's own columns are converted from the database's form (SQLite keeps
    # a uuid as text).
    referral.person_uuid = uuid_field.to_python(referral.person_uuid)
    return referral


# Possible duplicates: a coordinator's queue, within their scheme.


def possible_duplicates_for(user):
    """The scheme's possible duplicates; none for anyone but a coordinator of a scheme."""
    if not (
        user.is_authenticated
        and user.is_active
        and user.role == Role.COORDINATOR
        and user.organisation_id
    ):
        return PossibleDuplicate.objects.none()
    return (
        PossibleDuplicate.objects.filter(scheme_id=user.organisation_id)
        .select_related("person", "existing", "referral", "decided_by")
        .order_by("created_at", "pk")
    )


def get_possible_duplicate_for(user, duplicate_uuid):
    """The pair, or 404 alike for "not there" and "another scheme's" (or not a coordinator)."""
    try:
        return possible_duplicates_for(user).get(uuid=duplicate_uuid)
    except (PossibleDuplicate.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise Http404 from None


def scheme_referrals_of(person, scheme_id):
    """A person's referrals in one scheme: what a coordinator may compare them by."""
    return person.referrals.filter(scheme_id=scheme_id).order_by("received_at", "pk")


def notifications_for(user):
    # With the person: the page's audit row names whom each notification is about.
    return Notification.objects.filter(recipient=user).select_related("referral__person")


def unread_notification_count(user, *, cap: int | None = None):
    """How many of the user's notifications are unread; counted no further than `cap`."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return (unread[:cap] if cap else unread).count()


def get_notification_for(user, notification_uuid):
    """The user's own notification, or 404 alike for "not there" and "someone else's"."""
    try:
        return Notification.objects.select_related("referral").get(
            uuid=notification_uuid, recipient=user
        )
    except (Notification.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise Http404 from None


def move_refusal(*, actor, referral, to_status, now=None):
    """Why `actor` may not move `referral` to `to_status`, or None when they may.

    One answer for the services (which enforce it under a row lock) and the
    pages (which only show the buttons that would work).
    """
    from_status = referral.status
    roles = TRANSITIONS.get((from_status, to_status))
    if roles is None:
        return _("A referral that is %(from)s cannot be moved to %(to)s.") % {
            "from": Status(from_status).label,
            "to": Status(to_status).label,
        }
    if actor is None:
        # The system (a Celery beat job) has no role: it may make only the
        # moves listed in SYSTEM_TRANSITIONS, such as bringing a hold back on its review date.
        if (from_status, to_status) in SYSTEM_TRANSITIONS:
            return None
        return _("Your role cannot move a referral to %(to)s.") % {"to": Status(to_status).label}
    if actor.role not in roles:
        return _("Your role cannot move a referral to %(to)s.") % {"to": Status(to_status).label}
    in_scope = {
        Role.REFERRER: actor.organisation_id is not None
        and referral.referring_organisation_id == actor.organisation_id,
        Role.COORDINATOR: actor.organisation_id is not None
        and referral.scheme_id == actor.organisation_id,
        Role.LINK_WORKER: referral.link_worker_id == actor.pk,
    }.get(actor.role, False)
    if not in_scope:
        return _("This referral is not one you can change.")
    if from_status == Status.CLOSED and to_status == Status.IN_PROGRESS:
        now = now or timezone.now()
        if referral.closed_at is None or now - referral.closed_at > timedelta(days=REOPEN_DAYS):
            return _("A referral can be reopened only within %(days)s days of closing.") % {
                "days": REOPEN_DAYS
            }
        if referral.person.erased_at is not None:
            return _("The person's details have been erased, so this referral cannot be reopened.")
    return None


def allowed_moves_for(user, referral):
    return {
        to
        for (frm, to) in TRANSITIONS
        if frm == referral.status
        if move_refusal(actor=user, referral=referral, to_status=to) is None
    }


def scheme_for_area(area):
    """The scheme covering `area` (the nearest one up the tree), else the only scheme there is."""
    schemes = Organisation.objects.filter(kind=Organisation.Kind.SCHEME)
    for node in area_and_ancestors(area):
        found = schemes.filter(area_id=node.pk).order_by("pk").first()
        if found:
            return found
    only = list(schemes.order_by("pk")[:2])
    if len(only) == 1:
        return only[0]
    raise NoSchemeForArea(_("No social prescribing scheme takes referrals for this area yet."))


# Where a new referral goes, remembered in each process: the scheme for an area (a referral
# from a partner system or a referrer asks for it every time; the walk up the area tree is a
# query a level) and the scheme's coordinators, who are told of it (a query on every new
# referral). Any change to an area, an organisation or a user (referrals.receivers) empties
# this process's copy at once and stamps a new version in the shared cache when committed
# (before, the others cannot see it); every process compares its copy's version with the
# shared one, at most SCHEME_ROUTES_CHECK_SECONDS apart, so a change made by one reaches the
# others within a second of its commit (a referral in that second goes where, and is announced
# to whom, it would have been a second earlier; a round trip to Redis on every partner
# referral cost a twentieth of it). Without the shared cache (Redis out of reach) both are
# looked up as before; a copy is never older than SCHEME_ROUTES_MAX_AGE anyway.
SCHEME_ROUTES_VERSION_KEY = "referrals:scheme-routes-version"
SCHEME_ROUTES_MAX_AGE = 300.0
SCHEME_ROUTES_CHECK_SECONDS = 1.0
_scheme_routes: dict = {
    "version": None, "since": 0.0, "checked": 0.0, "schemes": {}, "coordinators": {},
    "pending": None,
}  # fmt: skip
_MISSING = object()


def _scheme_routes_cache():
    # The fail-open cache: an outage answers "nothing" instead of raising.
    return caches[settings.RATELIMIT_USE_CACHE]


def _shared_scheme_routes_version():
    """The version every process agrees on, or None when the shared cache cannot say."""
    cache = _scheme_routes_cache()
    version = cache.get(SCHEME_ROUTES_VERSION_KEY, _MISSING)
    if version is _MISSING:
        cache.add(SCHEME_ROUTES_VERSION_KEY, secrets.token_hex(8), None)
        version = cache.get(SCHEME_ROUTES_VERSION_KEY, _MISSING)
    return None if version is _MISSING else version


def _empty_scheme_routes() -> None:
    _scheme_routes.update(
        version=None, since=0.0, checked=0.0, schemes={}, coordinators={}, pending=None
    )


def forget_scheme_routes() -> None:
    """Empty this process's copy now, and have every process empty theirs once the change is
    committed (at once outside a transaction). Until then the others cannot see the change, so
    what they would look up again is what they have.

    Inside a transaction, what this process remembers until it ends may be rows only that
    transaction can see (a coordinator it added); should it roll back, the copy is emptied
    again at the next look (`_current_scheme_routes`), so a rolled-back row is never used.
    """
    _empty_scheme_routes()

    def committed():
        if _scheme_routes["pending"] is committed:
            _scheme_routes["pending"] = None
        _scheme_routes_cache().set(SCHEME_ROUTES_VERSION_KEY, secrets.token_hex(8), None)

    if connection.in_atomic_block:
        _scheme_routes["pending"] = committed
    transaction.on_commit(committed)


def _rolled_back_since_forgotten() -> bool:
    """Whether the transaction that last emptied the copy ended without committing: its
    commit hook is neither run nor still waiting (Django drops a rolled-back block's)."""
    pending = _scheme_routes["pending"]
    # Each entry: (savepoint ids, hook, robust).
    return pending is not None and not any(
        entry[1] is pending for entry in connection.run_on_commit
    )


def _current_scheme_routes() -> dict | None:
    """This process's copy, emptied first if another process changed the routes since; None
    when the shared cache cannot say (look everything up)."""
    if _rolled_back_since_forgotten():
        _empty_scheme_routes()
    now = time.monotonic()
    if _scheme_routes["version"] is None or now - _scheme_routes["checked"] >= (
        SCHEME_ROUTES_CHECK_SECONDS
    ):
        version = _shared_scheme_routes_version()
        if version is None:
            return None
        stale = now - _scheme_routes["since"] > SCHEME_ROUTES_MAX_AGE
        if _scheme_routes["version"] != version or stale:
            _scheme_routes.update(version=version, since=now, schemes={}, coordinators={})
        _scheme_routes["checked"] = now
    return _scheme_routes


def _remembered(part: str, key, look):
    """What `look()` answers for `key`, from this process's copy's `part` where it can (an
    exception it raises, such as NoSchemeForArea, is not remembered)."""
    routes = _current_scheme_routes()
    if routes is None:
        return look()
    found = routes[part]
    if key not in found:
        found[key] = look()
    return found[key]


def scheme_for_area_id(area_id: int | None):
    """`scheme_for_area` of the area with this id, from this process's copy where it can."""
    return _remembered(
        "schemes",
        area_id,
        lambda: scheme_for_area(Area.objects.filter(pk=area_id).first() if area_id else None),
    )


def scheme_coordinators(scheme_id: int | None) -> list[User]:
    """The active coordinators of a scheme: who triages its new referrals."""
    if scheme_id is None:
        return []
    # User.objects.filter(role=COORDINATOR, organisation_id=scheme_id, is_active=True)
    # .order_by("pk"), written out: every new referral asks, and the ORM's building of the
    # statement cost more than running it (tests/referrals/test_notifications.py).
    sql = (
        f"SELECT {columns(User, 'u')} FROM {connection.ops.quote_name(User._meta.db_table)} u "  # noqa: S608
        "WHERE u.role = %s AND u.organisation_id = %s AND u.is_active = %s ORDER BY u.id"
    )
    return fetch(User, sql, [Role.COORDINATOR.value, scheme_id, True])


def scheme_coordinators_to_tell(scheme_id: int | None) -> list[User]:
    """`scheme_coordinators`, from this process's copy where it can: whom a new referral is
    announced to. The records are shared between requests: read them, never change them."""
    return _remembered("coordinators", scheme_id, lambda: scheme_coordinators(scheme_id))


def self_referral_by_reference(reference):
    """The self-referral just made, for its confirmation page (the reference is the session's)."""
    return (
        Referral.objects.filter(reference=reference, source_kind=SourceKind.SELF)
        .select_related("person")
        .first()
    )


def schemes_for_self_referral():
    return Organisation.objects.filter(kind=Organisation.Kind.SCHEME).order_by("name")


# The header search (README, "Finding a person") ---------------------------------
#
# One box: a name, an NHS number (with or without spaces), a date of birth in the
# usual UK ways, or an SP- reference. It looks only among `referrals_visible_to`
# the user: the same scope as every list. A referrer's search looks at the person
# as their organisation supplied them, never at the scheme's record, so a match
# cannot tell them anything their organisation did not give.

SEARCH_MAX_LENGTH = 100
SEARCH_MAX_WORDS = 4
_REFERENCE_RE = re.compile(r"SP-?([A-Z0-9]{3,10})", re.IGNORECASE | re.ASCII)
_NUMERIC_DATE_RE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", re.ASCII)
_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_WORDY_DATE_RE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([^\W\d_]+)\.?,?\s+(\d{4})", re.ASCII)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan", "ionawr", "ion"),
            ("february", "feb", "chwefror", "chwe"),
            ("march", "mar", "mawrth", "maw"),
            ("april", "apr", "ebrill", "ebr"),
            ("may", "mai"),
            ("june", "jun", "mehefin", "meh"),
            ("july", "jul", "gorffennaf", "gorff"),
            ("august", "aug", "awst"),
            ("september", "sep", "sept", "medi"),
            ("october", "oct", "hydref", "hyd"),
            ("november", "nov", "tachwedd", "tach"),
            ("december", "dec", "rhagfyr", "rhag"),
        ],
        start=1,
    )
    for name in names
}


@dataclass(frozen=True)
class SearchQuery:
    """What the search box was taken to mean: exactly one of these is set."""

    reference: str = ""
    nhs_number: str = ""
    date_of_birth: date | None = None
    words: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        if self.reference:
            return "reference"
        if self.nhs_number:
            return "nhs_number"
        if self.date_of_birth:
            return "date_of_birth"
        return "name"


def _ascii_decimal(text: str) -> str:
    """Decimal digits of any script as ASCII ('٣' -> '3'); everything else kept."""
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)


def _date_or_none(year: int, month: int, day: int, *, today: date) -> date | None:
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    return born if born <= today else None


def _two_digit_year(year: int, today: date) -> int:
    # A date of birth is in the past: '15' is 2015 until then, 1915 after.
    century = today.year // 100 * 100
    return century + year if century + year <= today.year else century - 100 + year


def parse_search(text: str, *, today: date | None = None) -> SearchQuery | None:
    """The search box's words as a query, or None when there is nothing to look for."""
    today = today or timezone.localdate()
    text = " ".join(_ascii_decimal(unicodedata.normalize("NFKC", text)).split())
    if not text:
        return None
    if match := _REFERENCE_RE.fullmatch(text):
        return SearchQuery(reference=f"SP-{match.group(1).upper()}")
    compact = re.sub(r"[\s\-]", "", text)
    if compact.isascii() and compact.isdigit():
        if len(compact) == 10:
            return SearchQuery(nhs_number=compact)
        if len(compact) in (6, 8) and text.isascii() and text.isdigit():
            year = int(compact[4:])
            year = _two_digit_year(year, today) if len(compact) == 6 else year
            born = _date_or_none(year, int(compact[2:4]), int(compact[:2]), today=today)
            return SearchQuery(date_of_birth=born) if born else None
    if match := _NUMERIC_DATE_RE.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
        year = _two_digit_year(year, today) if len(match.group(3)) == 2 else year
        born = _date_or_none(year, month, day, today=today)
        return SearchQuery(date_of_birth=born) if born else None
    if match := _ISO_DATE_RE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
        born = _date_or_none(year, month, day, today=today)
        return SearchQuery(date_of_birth=born) if born else None
    if (match := _WORDY_DATE_RE.fullmatch(text)) and match.group(2).lower() in _MONTHS:
        born = _date_or_none(
            int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)), today=today
        )
        return SearchQuery(date_of_birth=born) if born else None
    words = tuple(
        word for word in re.split(r"[\s,]+", text) if len(word) >= 2 and word.isprintable()
    )[:SEARCH_MAX_WORDS]
    return SearchQuery(words=words) if words else None


def referral_search_for(user, query: SearchQuery) -> QuerySet[Referral]:
    """The referrals the user may see whose person matches `query`, newest first."""
    referrals = referrals_visible_to(user).select_related(*LIST_RELATED)
    referrer = user.role == Role.REFERRER
    # A referrer matches on what their organisation supplied; the scheme on its record.
    field = "person_details_as_referred__{}" if referrer else "person__{}"
    if query.reference:
        referrals = referrals.filter(reference__startswith=query.reference)
    elif query.nhs_number:
        referrals = referrals.filter(**{field.format("nhs_number"): query.nhs_number})
    elif query.date_of_birth:
        born = query.date_of_birth.isoformat() if referrer else query.date_of_birth
        referrals = referrals.filter(**{field.format("date_of_birth"): born})
    else:
        for word in query.words:
            referrals = referrals.filter(
                Q(**{field.format("given_name__icontains"): word})
                | Q(**{field.format("family_name__icontains"): word})
                | Q(**{field.format("preferred_name__icontains"): word})
            )
    return referrals.order_by("-received_at", "-pk")
