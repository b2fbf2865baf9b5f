"""The person, the referral, its lifecycle and timeline (DESIGN.md, referrals).

Field names follow the PRSB "Referral to social prescribing services" items
where the standard has one (demographics, contact preferences, reasons, what
matters, urgency, consent, information back to the GP, risk, referrer).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

from .validators import validate_nhs_number, validate_not_in_future, validate_postcode

TEXT_LIMIT = 2000


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


class Person(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    given_name = models.CharField(_("first name"), max_length=100)
    family_name = models.CharField(_("last name"), max_length=100)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth"), validators=[validate_not_in_future])
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

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["nhs_number"],
                condition=Q(nhs_number__isnull=False),
                name="person_nhs_number_unique",
            ),
        ]
        indexes = [models.Index(fields=["family_name", "date_of_birth", "postcode"])]

    def __str__(self):
        return f"{self.given_name} {self.family_name}"


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


class ReferralQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def for_triage(self):
        return self.filter(status__in=[Status.RECEIVED, Status.ACCEPTED])


class Referral(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="referrals"
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
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

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
    # Referrers see status changes and the closure summary, never link worker notes.
    visible_to_referrer = models.BooleanField(_("shown to the referrer"), default=True)
    created_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.referral_id} {self.kind} {self.to_status}"


class Notification(models.Model):
    """An in-app message to one user, written in their language when it was sent."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    referral = models.ForeignKey(
        Referral,
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    message = models.CharField(_("message"), max_length=500)
    created_at = models.DateTimeField(_("sent"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"])]

    def __str__(self):
        return self.message


class OutboxEmail(models.Model):
    """An email waiting to go (transactional outbox).

    Written in the same transaction as the change it reports, so it exists
    exactly when the change does; a task sends it after commit and marks it
    sent, and a periodic task sends whatever a broker or SMTP outage left.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(
        Referral,
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="emails",
        null=True,
        blank=True,
    )
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=200)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outbox email")
        verbose_name_plural = _("outbox emails")
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="outbox_unsent"
            )
        ]

    def __str__(self):
        return f"{self.to}: {self.subject}"


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
    person_already_known = models.BooleanField(_("linked to a known person"), default=False)
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
