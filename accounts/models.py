import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def localised(obj, field: str) -> str:
    """The Welsh text of `field` (from `<field>_cy`) on a Welsh page when there is one."""
    if (get_language() or "").startswith("cy"):
        return getattr(obj, f"{field}_cy", "") or getattr(obj, field)
    return getattr(obj, field)


class Area(models.Model):
    """A place in the NHS geography: nation > health board / ICB > cluster / PCN."""

    class Kind(models.TextChoices):
        NATION = "nation", _("Nation")
        HEALTH_BOARD = "health_board", _("Health board")
        ICB = "icb", _("Integrated care board")
        CLUSTER = "cluster", _("Cluster")
        PCN = "pcn", _("Primary care network")
        LOCAL_AUTHORITY = "local_authority", _("Local authority")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_cy = models.CharField(_("name in Welsh"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        return localised(self, "name")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        GP_PRACTICE = "gp_practice", _("GP practice")
        HEALTH = "health", _("Health")
        SOCIAL_CARE = "social_care", _("Social care")
        HOUSING = "housing", _("Housing")
        THIRD_SECTOR = "third_sector", _("Third sector")
        SCHEME = "scheme", _("Social prescribing scheme")
        PROVIDER = "provider", _("Community provider")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    name_cy = models.CharField(_("name in Welsh"), max_length=200, blank=True)
    ods_code = models.CharField(
        _("ODS code"),
        max_length=10,
        null=True,
        blank=True,
        help_text=_("The NHS Organisation Data Service code, where the organisation has one."),
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    phone = models.CharField(
        _("phone number"),
        max_length=30,
        blank=True,
        # A default in the database too: data-migration tests insert rows through older
        # historical models that know nothing of this column.
        db_default="",
        help_text=_("The number people call, e.g. a scheme's number on letters and prescriptions."),
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ods_code"],
                condition=Q(ods_code__isnull=False),
                name="organisation_ods_code_unique",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.ods_code})" if self.ods_code else self.name

    @property
    def display_name(self):
        """The name in the reader's language, with the ODS code where there is one."""
        name = localised(self, "name")
        return f"{name} ({self.ods_code})" if self.ods_code else name


class Role(models.TextChoices):
    REFERRER = "referrer", _("Referrer")
    LINK_WORKER = "link_worker", _("Link worker")
    COORDINATOR = "coordinator", _("Coordinator")
    PROVIDER = "provider", _("Provider")
    COMMISSIONER = "commissioner", _("Commissioner")
    ADMIN = "admin", _("Administrator")
    PEER_NAVIGATOR = "peer_navigator", _("Peer navigator")
    DPO = "dpo", _("Data protection officer")


class NotificationEmail(models.TextChoices):
    """How a user hears of their notifications by email (README, "Notifications")."""

    IMMEDIATELY = "immediately", _("An email for each, straight away")
    DAILY = "daily", _("One email a day listing them (daily digest)")


class User(AbstractUser):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, db_index=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=5,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("Emails and notifications are written in this language."),
    )
    notification_email = models.CharField(
        _("emails about notifications"),
        max_length=12,
        choices=NotificationEmail.choices,
        default=NotificationEmail.IMMEDIATELY,
        # In the database too: rows written by code that predates the field get it.
        db_default=NotificationEmail.IMMEDIATELY,
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")  # type: ignore[assignment]  # django-stubs types it as str
        verbose_name_plural = _("users")  # type: ignore[assignment]

    def __str__(self):
        return self.get_full_name() or self.username


class BankHoliday(models.Model):
    """A bank holiday in Wales (and England): not a working day.

    Due dates (first contact after allocation) and waiting times counted in
    working days skip these as well as weekends. The list for 2023 to 2027 is
    loaded by a migration; an administrator adds later years in the admin.
    """

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_cy = models.CharField(_("name in Welsh"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("bank holiday")
        verbose_name_plural = _("bank holidays")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"

    @property
    def display_name(self):
        return localised(self, "name")


class AuditRowRefused(Exception):
    """An attempt to change or delete an audit row: the trail is append-only."""


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk updates and deletes: audit rows are written once and kept."""

    def update(self, **kwargs):
        raise AuditRowRefused("The audit trail is append-only: rows cannot be changed.")

    def delete(self):
        raise AuditRowRefused("The audit trail is append-only: rows cannot be deleted.")

    def _raw_delete(self, using):
        raise AuditRowRefused("The audit trail is append-only: rows cannot be deleted.")


class AppendOnlyModel(models.Model):
    """A row that is inserted once and never changed or deleted through the ORM.

    The database refuses it too on PostgreSQL (a trigger, migration 0007), so
    raw SQL from the app cannot go round it either.
    """

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditRowRefused("The audit trail is append-only: rows cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditRowRefused("The audit trail is append-only: rows cannot be deleted.")


class AuditEvent(AppendOnlyModel):
    """Who did what to which record, when and from where. Append-only.

    Written for every read of a person's record as well as every change,
    because these are health records (DESIGN.md, AuditEvent). A page that
    lists people writes one row naming the records shown (`records`), and one
    `AuditSubject` per person shown, so "who looked at this person" is one
    indexed query whatever page showed them.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("View")
        CREATE = "create", _("Create")
        CHANGE = "change", _("Change")
        EXPORT = "export", _("Export")
        LOGIN = "login", _("Log in")
        LOGOUT = "logout", _("Log out")
        LOGIN_FAILED = "login_failed", _("Failed log in")
        LOCKED_OUT = "locked_out", _("Locked out after failed log ins")
        UNLOCKED = "unlocked", _("Unlocked")
        TWO_FACTOR_ENROLLED = "2fa_enrolled", _("Set up two-factor sign-in")
        TWO_FACTOR_VERIFIED = "2fa_verified", _("Second factor accepted")
        TWO_FACTOR_FAILED = "2fa_failed", _("Second factor refused")
        RECOVERY_CODE_USED = "2fa_recovery_code", _("Recovery code used")
        TWO_FACTOR_RESET = "2fa_reset", _("Two-factor sign-in reset")
        ERASE = "erase", _("Erase")

    # Indexed by (actor, created_at) below, which serves a look-up by actor too: an index of
    # its own would only be one more to write on every audit row.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        db_index=False,
    )
    # A partner system's reads and writes through the API have no person as actor.
    api_client = models.ForeignKey(
        "ApiClient",
        verbose_name=_("API client"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    action = models.CharField(_("what"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("record type"), max_length=100, blank=True)
    object_id = models.CharField(_("record"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    # The references (SP-...) of the records a page or API answer showed.
    records = models.JSONField(_("records shown"), default=list, blank=True)
    path = models.CharField(_("page"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("from where"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor", "created_at"]),
        ]

    def __str__(self):
        who = self.actor or self.api_client
        return f"{self.created_at:%Y-%m-%d %H:%M} {who} {self.action} {self.object_type}"


class AuditSubject(AppendOnlyModel):
    """One person whose data an audit event showed or changed.

    Holds the person's uuid, not a key to the row, so the base app imports
    nothing from referrals and the trail outlives an erasure.
    """

    # Indexed by the unique (event, person) below, which serves a look-up by event too.
    event = models.ForeignKey(
        AuditEvent,
        on_delete=models.PROTECT,
        related_name="subjects",
        verbose_name=_("audit event"),
        db_index=False,
    )
    person_uuid = models.UUIDField(_("person"))

    class Meta:
        verbose_name = _("person in an audit event")
        verbose_name_plural = _("people in audit events")
        constraints = [
            models.UniqueConstraint(fields=["event", "person_uuid"], name="audit_subject_once"),
        ]
        # "Who looked at this person" and the DPO's scheme trail go from people to events:
        # (person, event) answers both from the index alone, and serves lookups by person.
        indexes = [
            models.Index(fields=["person_uuid", "event"], name="auditsubject_person_event"),
        ]

    def __str__(self):
        return f"{self.event_id}: {self.person_uuid}"


class ApiScope(models.TextChoices):
    REFERRALS_WRITE = "referrals:write", _("Make referrals")
    REFERRALS_READ = "referrals:read", _("Read the organisation's referrals")
    FHIR_WRITE = "fhir:write", _("Make referrals through FHIR")
    FHIR_READ = "fhir:read", _("Read the organisation's referrals through FHIR")


class ApiClient(models.Model):
    """A partner system (a GP system, another scheme) that uses the API for one organisation.

    Only a SHA-256 hash of its token is kept: the token is shown once, when it
    is issued, and a lost one is replaced by issuing another. The prefix is the
    token's public part, used to find the row and to tell tokens apart.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="api_clients",
    )
    token_prefix = models.CharField(_("token prefix"), max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    rate_limit = models.PositiveIntegerField(
        _("rate limit"), default=60, help_text=_("Requests per minute.")
    )
    contact_email = models.EmailField(
        _("contact email"),
        blank=True,
        help_text=_("Who is told when one of the client's webhook endpoints is disabled."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(rate_limit__gte=1), name="api_client_rate_limit"),
        ]

    def __str__(self):
        return f"{self.name} ({self.token_prefix})"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


# --- Webhooks: partner systems told of changes (README, "Partner API", "Webhooks") ---------------


class WebhookEvent(models.TextChoices):
    """The events an endpoint may choose; the names are the payload's `type` and a contract."""

    REFERRAL_ACCEPTED = "referral.accepted", _("Referral accepted")
    REFERRAL_REJECTED = "referral.rejected", _("Referral rejected")
    REFERRAL_ALLOCATED = "referral.allocated", _("Referral allocated to a link worker")
    REFERRAL_FIRST_CONTACT = "referral.first_contact", _("First contact made")
    REFERRAL_ON_HOLD = "referral.on_hold", _("Referral on hold")
    REFERRAL_CLOSED = "referral.closed", _("Referral closed")
    REFERRAL_CANCELLED = "referral.cancelled", _("Referral cancelled")


class WebhookEndpoint(models.Model):
    """An address of a partner system told of the events it chose, for its organisation's referrals.

    The signing secret (`whsec_...`, Standard Webhooks) is kept, since every
    delivery is signed with it; it is shown once, when the endpoint is added,
    and never again in the admin.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        ApiClient, verbose_name=_("API client"), on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(_("address"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["client__name", "url"]

    def __str__(self):
        return f"{self.client.name}: {self.url}"


class WebhookMessage(models.Model):
    """One event for one endpoint: the delivery outbox row, written with the change it reports.

    `msg_id` is the `webhook-id` header, the same on every attempt and replay, so
    a receiver can drop what it already has. Messages with the same `ordering_key`
    (one referral) go to an endpoint in the order they were written (by `id`): a
    message is sent only when every earlier one of its key is delivered or given up.
    `sending` is a claim with a lease (`claimed_until`): a worker that dies
    mid-delivery leaves it, and the sweep puts it back once the lease is over.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Given up")

    msg_id = models.CharField(_("webhook-id"), max_length=40, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    event_type = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    ordering_key = models.CharField(_("about"), max_length=100, db_index=True)
    # The body exactly as signed and sent, bytes for bytes.
    body = models.TextField(_("body"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"))
    next_attempt_at = models.DateTimeField(_("next attempt"))
    first_failed_at = models.DateTimeField(_("failing since"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="webhook_undelivered",
            ),
            models.Index(fields=["endpoint", "ordering_key", "id"], name="webhook_order"),
        ]

    def __str__(self):
        return f"{self.msg_id} {self.event_type} ({self.state})"


class WebhookAttempt(models.Model):
    """One try at delivering a message: the delivery log."""

    message = models.ForeignKey(
        WebhookMessage,
        verbose_name=_("webhook delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    at = models.DateTimeField(_("when"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    milliseconds = models.PositiveIntegerField(_("took (ms)"), default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
