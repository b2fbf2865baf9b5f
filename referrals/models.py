"""The person, the referral, its lifecycle and timeline (DESIGN.md, referrals).

Field names follow the PRSB "Referral to social prescribing services" items
where the standard has one (demographics, contact preferences, reasons, what
matters, urgency, consent, information back to the GP, risk, referrer).
"""

import uuid
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from core.postcodes import validate_postcode

from .validators import validate_nhs_number, validate_not_in_future

TEXT_LIMIT = 2000
# What an erased person is called wherever their name was shown.
ERASED_NAME = _("Erased")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    NOT_KNOWN = "not_known", _("Not known")
    NOT_STATED = "not_stated", _("Prefer not to say")


class EthnicGroup(models.TextChoices):
    """The NHS Data Dictionary ethnic category codes (2001 census groups)."""

    A = "A", _("White: British")
    B = "B", _("White: Irish")
    C = "C", _("White: any other White background")
    D = "D", _("Mixed: White and Black Caribbean")
    E = "E", _("Mixed: White and Black African")
    F = "F", _("Mixed: White and Asian")
    G = "G", _("Mixed: any other mixed background")
    H = "H", _("Asian or Asian British: Indian")
    J = "J", _("Asian or Asian British: Pakistani")
    K = "K", _("Asian or Asian British: Bangladeshi")
    L = "L", _("Asian or Asian British: any other Asian background")
    M = "M", _("Black or Black British: Caribbean")
    N = "N", _("Black or Black British: African")
    P = "P", _("Black or Black British: any other Black background")
    R = "R", _("Other ethnic groups: Chinese")
    S = "S", _("Other ethnic groups: any other ethnic group")
    Z = "Z", _("Not stated")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    WELSH = "cy", _("Welsh")


class PersonQuerySet(models.QuerySet):
    def active(self):
        """People not merged into another record: the ones lists and searches show."""
        return self.filter(merged_into__isnull=True)

    def known_to_scheme(self, scheme):
        """People with a referral in `scheme`: the only ones its referrals are matched against.

        An erased record is never matched: a new referral for the same person
        starts a new record, since the erased one holds nothing to match on.
        """
        return (
            self.active()
            .filter(erased_at__isnull=True)
            .filter(pk__in=Referral.objects.filter(scheme=scheme).values("person_id"))
        )

    def not_erased(self):
        return self.filter(erased_at__isnull=True)


class Person(models.Model):
    """Someone referred: the scheme's record of them, which its staff keep.

    Why there is no unique constraint on the NHS number. Matching a referral
    to a person already known is the scheme's decision and happens within one
    scheme (DESIGN.md, Who may see what): a referral is linked automatically
    only when the NHS number and the date of birth agree with someone known
    to that scheme. So the same NHS number may sit on two rows: once per
    scheme that has met the person, and twice within a scheme while a
    coordinator decides whether a record whose date of birth disagrees is the
    same person (a PossibleDuplicate). A global unique NHS number would force
    either a cross-scheme link or a silent automatic one, the disclosure this
    rule exists to stop. What the database does enforce: an NHS number is ten
    ASCII digits (the normaliser in validators.py turns every other script's
    digits into those), and a merged record points at another, never itself.
    The exact match is made race-safe by a lock on the match key
    (services._match_key_lock), not by a constraint, because a person's
    scheme lives on their referrals.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    given_name = models.CharField(_("first name"), max_length=100)
    family_name = models.CharField(_("last name"), max_length=100)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    # Required by every form and the API; empty only once the person is erased.
    date_of_birth = models.DateField(
        _("date of birth"), null=True, validators=[validate_not_in_future]
    )
    nhs_number = models.CharField(
        _("NHS number"), max_length=10, null=True, blank=True, validators=[validate_nhs_number]
    )
    gender = models.CharField(
        _("gender"), max_length=20, choices=Gender.choices, default=Gender.NOT_KNOWN
    )
    ethnic_group = models.CharField(
        _("ethnic group"), max_length=1, choices=EthnicGroup.choices, default=EthnicGroup.Z
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    postcode = models.CharField(_("postcode"), max_length=8, validators=[validate_postcode])
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    contact_method = models.CharField(
        _("how to contact them"),
        max_length=10,
        choices=ContactMethod.choices,
        default=ContactMethod.PHONE,
    )
    may_leave_message = models.BooleanField(_("a message may be left"), default=False)
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    communication_needs = models.CharField(
        _("communication or access needs"), max_length=500, blank=True
    )
    consent_to_share = models.BooleanField(_("agreed to share their details"), default=False)
    consent_recorded_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consent recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    consent_method = models.CharField(_("how consent was given"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # A coordinator found this record to be the same person as another one: its
    # referrals moved there. Kept (not deleted) so the merge can be undone.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_records",
    )
    merged_at = models.DateTimeField(_("merged"), null=True, blank=True)
    # Erased (on request, or when every referral passed its retention period): the
    # personal details are gone; gender and ethnic group stay for the statistics
    # (privacy.services.erasure, README "What is kept and for how long").
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=Q(nhs_number__isnull=True) | Q(nhs_number__regex=r"^[0-9]{10}$"),
                name="person_nhs_number_ascii_digits",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=F("pk")), name="person_not_merged_into_itself"
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True, merged_at__isnull=True)
                | Q(merged_into__isnull=False, merged_at__isnull=False),
                name="person_merged_has_date",
            ),
            # A date of birth goes only with the rest of the details, in an erasure.
            models.CheckConstraint(
                condition=Q(date_of_birth__isnull=False) | Q(erased_at__isnull=False),
                name="person_date_of_birth_unless_erased",
            ),
        ]
        indexes = [
            models.Index(fields=["nhs_number", "date_of_birth"]),
            # Matching a referral's person compares names case-blind (UPPER(...) = UPPER(...)),
            # which a plain index on the names cannot serve. Both names are in it: on the
            # family name and date of birth alone, a family (or a partner's test run) of many
            # people born the same day had every one read and set aside for each referral.
            models.Index(
                Upper("family_name"),
                Upper("given_name"),
                F("date_of_birth"),
                name="person_match_by_names",
            ),  # fmt: skip
        ]

    def __str__(self):
        if self.erased_at is not None:
            return str(ERASED_NAME)
        return f"{self.given_name} {self.family_name}"

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class Reason(models.TextChoices):
    LONELINESS = "loneliness", _("Loneliness and isolation")
    LOW_MOOD = "low_mood", _("Low mood or anxiety")
    INACTIVITY = "inactivity", _("Physical inactivity")
    WEIGHT = "weight", _("Weight")
    MONEY = "money", _("Money worries")
    HOUSING = "housing", _("Housing")
    BEREAVEMENT = "bereavement", _("Bereavement")
    CARING = "caring", _("Caring for someone")
    LONG_TERM_CONDITION = "long_term_condition", _("Living with a long-term condition")
    OTHER = "other", _("Something else")


class SourceKind(models.TextChoices):
    GP = "gp", _("GP practice")
    HEALTH = "health", _("Health")
    SOCIAL_CARE = "social_care", _("Social care")
    HOUSING = "housing", _("Housing")
    THIRD_SECTOR = "third_sector", _("Third sector")
    SELF = "self", _("Self-referral")


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")


class GPFeedback(models.TextChoices):
    """What the person agreed may go back to their GP (PRSB "information back to the GP").

    The referrer is the GP's side: with "coded events only" they get the status,
    the coded reasons and the coded events, never the scheme's words about the
    person. Every channel asks `selectors.referrer_may_see_text`.
    """

    EVERYTHING = "everything", _("Everything, including a summary")
    CODED_ONLY = "coded_only", _("Coded events only")


class RejectionReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", _("Not eligible for the scheme")
    NEEDS_CLINICAL = "needs_clinical", _("Needs clinical or statutory support first")
    OUT_OF_AREA = "out_of_area", _("Lives outside the scheme's area")
    DUPLICATE = "duplicate", _("Already referred")
    OTHER = "other", _("Other")


class ClosureReason(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined by the person")
    UNABLE_TO_CONTACT = "unable_to_contact", _("Unable to contact")
    MOVED_AWAY = "moved_away", _("Moved away")
    NOT_APPROPRIATE = "not_appropriate", _("Not appropriate")
    DECEASED = "deceased", _("Deceased")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    ALLOCATED = "allocated", _("Allocated")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# Every allowed move and who may make it (DESIGN.md, Referral lifecycle).
# Anything not listed is refused. Closed -> in_progress is the reopen, allowed
# within REOPEN_DAYS of closure.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (Status.RECEIVED, Status.ACCEPTED): frozenset({Role.COORDINATOR}),
    (Status.RECEIVED, Status.REJECTED): frozenset({Role.COORDINATOR}),
    (Status.RECEIVED, Status.CANCELLED): frozenset({Role.REFERRER}),
    (Status.ACCEPTED, Status.ALLOCATED): frozenset({Role.COORDINATOR}),
    (Status.ACCEPTED, Status.CANCELLED): frozenset({Role.REFERRER}),
    (Status.ALLOCATED, Status.IN_PROGRESS): frozenset({Role.LINK_WORKER}),
    (Status.ALLOCATED, Status.CLOSED): frozenset({Role.LINK_WORKER, Role.COORDINATOR}),
    (Status.IN_PROGRESS, Status.ON_HOLD): frozenset({Role.LINK_WORKER}),
    (Status.IN_PROGRESS, Status.CLOSED): frozenset({Role.LINK_WORKER, Role.COORDINATOR}),
    (Status.ON_HOLD, Status.IN_PROGRESS): frozenset({Role.LINK_WORKER}),
    (Status.ON_HOLD, Status.CLOSED): frozenset({Role.LINK_WORKER, Role.COORDINATOR}),
    (Status.CLOSED, Status.IN_PROGRESS): frozenset({Role.LINK_WORKER, Role.COORDINATOR}),
}
# Moves the system makes by itself (actor None), from scheduled jobs.
SYSTEM_TRANSITIONS: frozenset[tuple[str, str]] = frozenset({(Status.ON_HOLD, Status.IN_PROGRESS)})
REOPEN_DAYS = 90
OPEN_STATUSES = (Status.ALLOCATED, Status.IN_PROGRESS, Status.ON_HOLD)
# The triage queue: received referrals to triage, then accepted ones awaiting a link worker.
TRIAGE_STATUSES = (Status.RECEIVED, Status.ACCEPTED)


def triage_rank_for(status: str, urgency: str) -> int | None:
    """Where a referral stands in the triage queue: received before accepted, urgent first.

    Stored on the referral (`triage_rank`) by the services that set status and
    urgency (intake and the lifecycle's one transition door), so the queue
    sorts by an indexed column rather than by CASE expressions over the whole
    queue. None for a referral that is not in the queue.
    """
    if status not in TRIAGE_STATUSES:
        return None
    return TRIAGE_STATUSES.index(status) * 2 + (0 if urgency == Urgency.URGENT else 1)


@dataclass(frozen=True)
class PersonAsReferred:
    """The person as the referring organisation supplied them, kept on the referral.

    Everything a referrer reads about the person (the referral page, the API,
    the GP extract, feedback) comes from this, never from the Person row: the
    scheme may have linked the referral to a record holding details the
    referrer never gave (DESIGN.md: a referrer never sees details their
    organisation did not supply).
    """

    given_name: str = ""
    family_name: str = ""
    preferred_name: str = ""
    date_of_birth: date | None = None
    nhs_number: str | None = None
    gender: str = ""
    ethnic_group: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    contact_method: str = ""
    may_leave_message: bool = False
    preferred_language: str = ""
    communication_needs: str = ""

    FIELDS = (
        "given_name", "family_name", "preferred_name", "date_of_birth", "nhs_number", "gender",
        "ethnic_group", "address", "postcode", "phone", "email", "contact_method",
        "may_leave_message", "preferred_language", "communication_needs",
    )  # fmt: skip

    @classmethod
    def from_snapshot(cls, snapshot: dict | None) -> "PersonAsReferred":
        values = {key: (snapshot or {}).get(key) for key in cls.FIELDS}
        born = values["date_of_birth"]
        values["date_of_birth"] = date.fromisoformat(born) if born else None
        return cls(**{key: value for key, value in values.items() if value is not None})

    @staticmethod
    def snapshot(details: dict) -> dict:
        """The JSON kept on the referral, from cleaned person details (or a Person's fields)."""
        snapshot = {key: details.get(key) for key in PersonAsReferred.FIELDS if key in details}
        born = snapshot.get("date_of_birth")
        if born is not None:
            snapshot["date_of_birth"] = born.isoformat()
        return snapshot

    @classmethod
    def snapshot_of(cls, person: "Person") -> dict:
        return cls.snapshot({key: getattr(person, key) for key in cls.FIELDS})

    def __str__(self):
        return f"{self.given_name} {self.family_name}".strip()


class ReferralQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def for_triage(self):
        return self.filter(status__in=TRIAGE_STATUSES)


class Referral(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="referrals"
    )
    # The person as the referrer supplied them (PersonAsReferred.snapshot): what
    # every referrer-facing reader shows. The scheme side reads `person`.
    person_details_as_referred = models.JSONField(
        _("the person as referred"), default=dict, blank=True
    )
    source_kind = models.CharField(_("source"), max_length=20, choices=SourceKind.choices)
    referring_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referred by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_made",
    )
    referring_organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("referring organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_made",
        db_index=False,  # each query by it uses a composite index that it leads (Meta)
    )
    referrer_name = models.CharField(_("referrer's name"), max_length=200, blank=True)
    referrer_role = models.CharField(_("referrer's job title"), max_length=100, blank=True)
    referrer_phone = models.CharField(_("referrer's phone number"), max_length=30, blank=True)
    referrer_email = models.EmailField(_("referrer's email address"), blank=True)
    scheme = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("scheme"),
        on_delete=models.PROTECT,
        related_name="referrals_received",
        limit_choices_to={"kind": "scheme"},
        db_index=False,  # each query by it uses a composite index that it leads (Meta)
    )
    area = models.ForeignKey(
        "accounts.Area",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        help_text=_("Where the person is supported: the referring organisation's area."),
    )
    reasons = models.JSONField(_("reasons"), default=list)
    reason_other = models.CharField(_("other reason"), max_length=200, blank=True)
    what_matters = models.TextField(_("what matters to the person"), max_length=TEXT_LIMIT)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    consent_to_referral = models.BooleanField(_("agreed to be referred"))
    consent_to_share = models.BooleanField(_("agreed to share their details"))
    gp_feedback = models.CharField(
        _("what may go back to the GP"),
        max_length=20,
        choices=GPFeedback.choices,
        default=GPFeedback.EVERYTHING,
    )
    risk_flag = models.BooleanField(_("safeguarding or risk concern"), default=False)
    risk_details = models.TextField(_("risk details"), max_length=TEXT_LIMIT, blank=True)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    link_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("link worker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_held",
        db_index=False,  # each query by it uses a composite index that it leads (Meta)
    )
    rejection_reason = models.CharField(
        _("rejection reason"), max_length=20, choices=RejectionReason.choices, blank=True
    )
    suggested_alternative = models.TextField(
        _("suggested alternative"), max_length=TEXT_LIMIT, blank=True
    )
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True
    )
    closure_summary = models.TextField(_("closure summary"), max_length=TEXT_LIMIT, blank=True)
    hold_review_date = models.DateField(_("review date"), null=True, blank=True)
    # The triage queue's order (triage_rank_for), kept by the services that set status.
    triage_rank = models.PositiveSmallIntegerField(
        _("place in the triage queue"), null=True, blank=True, editable=False
    )
    # Optimistic concurrency: every change adds one; an edit made against an
    # older version is refused instead of overwriting someone else's.
    version = models.PositiveIntegerField(_("version"), default=1)

    received_at = models.DateTimeField(_("received"), db_index=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected"), null=True, blank=True)
    allocated_at = models.DateTimeField(_("allocated"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reference__regex=r"^SP-[A-Z0-9]{6,}$"), name="referral_reference_shape"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="referral_status_known"
            ),
            models.CheckConstraint(
                condition=Q(consent_to_referral=True) & Q(consent_to_share=True),
                name="referral_has_consent",
            ),
            models.CheckConstraint(
                condition=Q(source_kind="self") | Q(referring_organisation__isnull=False),
                name="referral_professional_has_organisation",
            ),
            models.CheckConstraint(
                condition=Q(link_worker__isnull=False)
                | Q(
                    status__in=[Status.RECEIVED, Status.ACCEPTED, Status.REJECTED, Status.CANCELLED]
                ),
                name="referral_allocated_has_link_worker",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="referral_version_positive"),
        ]
        indexes = [
            models.Index(fields=["scheme", "status", "received_at"]),
            models.Index(fields=["referring_organisation", "status", "received_at"]),
            models.Index(fields=["link_worker", "status"]),
            # Open cases per link worker (caseloads, the reporting rollup): a small index.
            models.Index(
                fields=["link_worker"],
                condition=Q(status__in=OPEN_STATUSES),
                name="referral_open_by_worker",
            ),
            # The reporting rollup's "what changed since the last run".
            models.Index(fields=["updated_at"]),
            # The triage queue, in its order: a scheme's received and accepted referrals.
            models.Index(
                fields=["scheme", "triage_rank", "received_at", "id"],
                condition=Q(status__in=TRIAGE_STATUSES),
                name="referral_triage_queue",
            ),
            # The partner API's list: an organisation's referrals newest first, read a page at
            # a time in that order (and counted) from the index alone, however many there are.
            models.Index(
                fields=["referring_organisation", "-received_at", "-id"],
                name="referral_partner_list",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def person_as_referred(self) -> PersonAsReferred:
        return PersonAsReferred.from_snapshot(self.person_details_as_referred)

    @property
    def referred_details_differ(self) -> bool:
        """Whether the referrer gave the person otherwise than the scheme's record has them.

        Shown to the scheme on the referral page: a linked referral whose name or
        postcode disagrees with the record is worth a second look.
        """
        given, person = self.person_as_referred, self.person
        return (
            given.given_name.casefold(), given.family_name.casefold(), given.date_of_birth,
            given.postcode, given.nhs_number,
        ) != (
            person.given_name.casefold(), person.family_name.casefold(), person.date_of_birth,
            person.postcode, person.nhs_number,
        )  # fmt: skip

    @property
    def reason_labels(self):
        return [Reason(code).label for code in self.reasons if code in Reason.values]


class ReferralEvent(models.Model):
    """The timeline: append-only. Nothing updates or deletes a row."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Referral received")
        STATUS = "status", _("Status changed")
        NOTE = "note", _("Note")
        MESSAGE = "message", _("Message")
        CONTACT = "contact", _("Contact with the person")
        CONNECTION = "connection", _("Connection to a service")
        CONSENT = "consent", _("Consent changed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(
        _("from status"), max_length=20, choices=Status.choices, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=20, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), max_length=TEXT_LIMIT, blank=True)
    # Referrers see status changes, never link worker notes; what they see of a status
    # change's words depends on the person's choice (selectors.referrer_may_see_text).
    visible_to_referrer = models.BooleanField(_("shown to the referrer"), default=True)
    created_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.referral_id} {self.kind} {self.to_status}"


class Notification(models.Model):
    """An in-app message to one user, written in their language when it was sent.

    Every role's notifications (README, "Notifications"): `kind` says which event
    it reports, `url_path` where "Open" leads (a page the recipient may see), and
    `emailed_at` when its email went to the outbox, at once or in the daily
    digest (User.notification_email); empty while a digest is still to send it.
    """

    class Kind(models.TextChoices):
        NEW_REFERRAL = "new_referral", _("New referral to triage")
        ALLOCATED = "allocated", _("Case allocated")
        PROVIDER_ANSWER = "provider_answer", _("Provider's answer")
        REMINDER = "reminder", _("Reminder due")
        FEEDBACK = "feedback", _("News of a referral")
        OTHER = "other", _("Other")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Indexed by (recipient, read_at, created_at) below, which serves a look-up by recipient.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    referral = models.ForeignKey(
        Referral,
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER, db_default=Kind.OTHER
    )
    message = models.CharField(_("message"), max_length=500)
    url_path = models.CharField(_("link"), max_length=300, blank=True, db_default="")
    created_at = models.DateTimeField(_("sent"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "created_at"]),
            # The daily digest's "unread and not yet emailed", per recipient.
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(emailed_at__isnull=True, read_at__isnull=True),
                name="notification_digest_due",
            ),
        ]

    def __str__(self):
        return self.message


class ApiIdempotencyKey(models.Model):
    """An `Idempotency-Key` a partner system sent with a referral, and what it produced.

    The unique (client, key) pair is what makes a retry safe: of two requests
    with the same key only one can store it, so only one referral is made.
    """

    api_client = models.ForeignKey(
        "accounts.ApiClient",
        verbose_name=_("API client"),
        on_delete=models.CASCADE,
        related_name="idempotency_keys",
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    request_hash = models.CharField(_("request body hash"), max_length=64)
    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["api_client", "key"], name="api_idempotency_key_unique_per_client"
            ),
        ]

    def __str__(self):
        return self.key


class PossibleDuplicate(models.Model):
    """A new person record that may be someone the scheme already knows.

    Written when a referral's person matches a record known to the scheme on
    less than the NHS number and the date of birth together; never an
    automatic link. A coordinator of the scheme decides: merge (the newer
    record's referrals move to the existing one; the newer record is kept,
    marked merged, so the merge can be undone), or not the same person.
    """

    class Reason(models.TextChoices):
        NHS_NUMBER = "nhs_number", _("Same NHS number, different date of birth")
        DEMOGRAPHICS = "demographics", _("Same name, date of birth and postcode")

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for a decision")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Not the same person")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    scheme = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("scheme"),
        on_delete=models.PROTECT,
        related_name="possible_duplicates",
        limit_choices_to={"kind": "scheme"},
    )
    # A pair means nothing without both records and the referral: it goes with them.
    person = models.ForeignKey(
        Person,
        verbose_name=_("new record"),
        on_delete=models.CASCADE,
        related_name="possible_duplicates_as_new",
    )
    existing = models.ForeignKey(
        Person,
        verbose_name=_("existing record"),
        on_delete=models.CASCADE,
        related_name="possible_duplicates_as_existing",
    )
    referral = models.ForeignKey(
        Referral,
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="possible_duplicates",
        help_text=_("The referral that made the new record."),
    )
    reason = models.CharField(_("why"), max_length=20, choices=Reason.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    # The referrals a merge moved, so an undo moves back exactly those.
    moved_referrals = models.JSONField(_("referrals moved"), default=list, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("found"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(person=F("existing")), name="possible_duplicate_two_records"
            ),
            models.UniqueConstraint(
                fields=["person", "existing"], name="possible_duplicate_pair_unique"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "merged", "dismissed"]),
                name="possible_duplicate_state_known",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="possible_duplicate_version_positive"
            ),
        ]
        indexes = [models.Index(fields=["scheme", "state", "created_at"])]

    def __str__(self):
        return f"{self.person_id} ~ {self.existing_id} ({self.state})"
