import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import localised
from referrals.models import TEXT_LIMIT, ClosureReason


class LinkWorker(models.Model):
    """A link worker's working profile: where they work, how many cases they hold, languages."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="link_worker_profile",
    )
    scheme = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("scheme"),
        on_delete=models.PROTECT,
        related_name="link_workers",
        limit_choices_to={"kind": "scheme"},
    )
    areas = models.ManyToManyField(
        "accounts.Area", verbose_name=_("areas covered"), related_name="link_workers", blank=True
    )
    capacity = models.PositiveIntegerField(_("capacity (open cases)"), default=25)
    # Language codes such as ["en", "cy"]; a short list read whole, never filtered in SQL.
    languages = models.JSONField(_("languages"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("link worker")
        verbose_name_plural = _("link workers")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=0), name="linkworker_capacity_gte_0")
        ]

    def __str__(self):
        return str(self.user)


# The work on a case (DESIGN.md, linkworkers) -----------------------------

NOTE_LIMIT = TEXT_LIMIT  # the same limit as the referral's own free text
CLOSURE_PART_LIMIT = 450


class ContactMode(models.TextChoices):
    PHONE = "phone", _("Phone")
    FACE_TO_FACE = "face_to_face", _("Face to face")
    VIDEO = "video", _("Video call")
    HOME_VISIT = "home_visit", _("Home visit")
    TEXT = "text", _("Text message")


class ContactOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    CANCELLED = "cancelled", _("Cancelled")
    DID_NOT_ATTEND = "did_not_attend", _("Did not attend")


FAILED_OUTCOMES = (
    ContactOutcome.NO_ANSWER,
    ContactOutcome.CANCELLED,
    ContactOutcome.DID_NOT_ATTEND,
)


class Contact(models.Model):
    """A contact attempt or a meeting with the person. Kept as recorded; never edited."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    happened_at = models.DateTimeField(_("when"))
    mode = models.CharField(_("mode"), max_length=20, choices=ContactMode.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=ContactOutcome.choices)
    minutes = models.PositiveIntegerField(_("minutes"), default=0)
    notes = models.TextField(_("notes"), max_length=NOTE_LIMIT, blank=True)
    next_contact_on = models.DateField(_("next contact"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-happened_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mode__in=ContactMode.values), name="contact_mode_known"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=ContactOutcome.values), name="contact_outcome_known"
            ),
            models.CheckConstraint(condition=Q(minutes__lte=600), name="contact_minutes_lte_600"),
        ]
        # The workspace reads a case's contacts newest first; the caseload reads
        # the latest one's next contact date for every open case.
        indexes = [models.Index(fields=["referral", "-happened_at"], name="contact_referral_when")]

    def __str__(self):
        when = f"{self.happened_at:%Y-%m-%d %H:%M}"
        return f"{when} {self.get_mode_display()}: {self.get_outcome_display()}"

    @property
    def failed(self):
        return self.outcome in FAILED_OUTCOMES


class WhatMatters(models.Model):
    """The "what matters to you" conversation, in the person's words: one record per referral."""

    referral = models.OneToOneField(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="what_matters_record",
    )
    what_matters = models.TextField(_("what matters to them"), max_length=NOTE_LIMIT)
    strengths = models.TextField(_("their strengths"), max_length=NOTE_LIMIT, blank=True)
    want_to_change = models.TextField(
        _("what they want to change"), max_length=NOTE_LIMIT, blank=True
    )
    # Optimistic concurrency, as on the referral: a save against an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("what matters")
        verbose_name_plural = _("what matters")
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="whatmatters_version_positive")
        ]

    def __str__(self):
        return f"{self.referral_id}: {self.what_matters[:40]}"


class GoalStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    STOPPED = "stopped", _("Stopped")


OPEN_GOAL_STATUSES = (GoalStatus.NOT_STARTED, GoalStatus.IN_PROGRESS)


class Goal(models.Model):
    """One step of the plan the person agreed, with its progress."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="goals",
    )
    description = models.CharField(_("goal"), max_length=300)
    status = models.CharField(
        _("status"), max_length=20, choices=GoalStatus.choices, default=GoalStatus.NOT_STARTED
    )
    progress_notes = models.TextField(_("progress notes"), max_length=NOTE_LIMIT, blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agreed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("agreed"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=GoalStatus.values), name="goal_status_known"
            )
        ]
        # The caseload reads the earliest target date of each case's open goals.
        indexes = [
            models.Index(
                fields=["referral", "target_date"],
                condition=Q(status__in=OPEN_GOAL_STATUSES, target_date__isnull=False),
                name="goal_open_target",
            )
        ]

    def __str__(self):
        return self.description

    @property
    def is_open(self):
        return self.status in OPEN_GOAL_STATUSES


class ClosureSummary(models.Model):
    """The parts of the PRSB "Message back to GP and referrer" written at a closure.

    The referral keeps the composed text its referrer reads; this keeps the
    parts, one row per closure (a reopened case closed again has two).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="closure_summaries",
    )
    reason = models.CharField(_("closure reason"), max_length=20, choices=ClosureReason.choices)
    what_mattered = models.TextField(_("what mattered"), max_length=CLOSURE_PART_LIMIT, blank=True)
    connected_to = models.TextField(
        _("what they were connected to"), max_length=CLOSURE_PART_LIMIT, blank=True
    )
    outcomes = models.TextField(_("outcomes"), max_length=CLOSURE_PART_LIMIT, blank=True)
    follow_up = models.TextField(_("follow-up advice"), max_length=CLOSURE_PART_LIMIT, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("written"))

    class Meta:
        verbose_name = _("closure summary")
        verbose_name_plural = _("closure summaries")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.referral_id} {self.reason}"


# A measure belongs to a case a link worker holds (or held).
RECORDING_STATUSES = ("allocated", "in_progress", "on_hold", "closed")


# The closure measure is taken at the last meeting (while the case is being
# closed) or entered just after closing; never before first contact.
CLOSURE_STATUSES = ("in_progress", "on_hold", "closed")


class ScoringMethod(models.TextChoices):
    SUM = "sum", _("Total of the items")
    MEAN = "mean", _("Mean of the items")
    PER_ITEM = "per_item", _("Each item is a separate measure")
    SUM_WITH_TABLE = "sum_with_table", _("Total converted through the instrument's table")


class Timepoint(models.TextChoices):
    BASELINE = "baseline", _("Baseline")
    REVIEW = "review", _("Review")
    CLOSURE = "closure", _("Closure")


class InstrumentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def available_to_scheme(self, scheme_id):
        """Active instruments for everyone, plus those this scheme added for itself."""
        return self.active().filter(Q(scheme__isnull=True) | Q(scheme_id=scheme_id))


class Instrument(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(
        _("code"), max_length=50, unique=True, help_text=_("Short name used in addresses.")
    )
    name = models.CharField(_("name"), max_length=200)
    name_cy = models.CharField(_("name in Welsh"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_cy = models.TextField(_("description in Welsh"), blank=True)
    licence = models.TextField(
        _("licence note"), blank=True, help_text=_("Who owns the instrument and on what terms.")
    )
    scoring = models.CharField(_("scoring method"), max_length=20, choices=ScoringMethod.choices)
    higher_is_better = models.BooleanField(
        _("a higher score is better"),
        default=True,
        help_text=_("For the total score; per-item instruments use each item's direction."),
    )
    # Raw total (as a string key, JSON objects have no integer keys) -> converted score.
    conversion_table = models.JSONField(
        _("conversion table"),
        default=dict,
        blank=True,
        help_text=_('Only for "total converted through a table": {"7": 7.0, "8": 9.51, ...}.'),
    )
    scheme = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("scheme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="instruments",
        limit_choices_to={"kind": "scheme"},
        help_text=_("Leave empty for an instrument every scheme may use."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scoring__in=ScoringMethod.values), name="instrument_scoring_known"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        return localised(self, "name")

    @property
    def display_description(self):
        return localised(self, "description")

    @property
    def is_per_item(self):
        return self.scoring == ScoringMethod.PER_ITEM


class Item(models.Model):
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.CASCADE, related_name="items"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    label = models.CharField(
        _("short label"), max_length=100, help_text=_('Shown in results, e.g. "Anxiety".')
    )
    label_cy = models.CharField(_("short label in Welsh"), max_length=100, blank=True)
    text = models.TextField(_("question"))
    text_cy = models.TextField(_("question in Welsh"), blank=True)
    min_value = models.SmallIntegerField(_("lowest answer"))
    max_value = models.SmallIntegerField(_("highest answer"))
    # {"0": {"en": "Not at all", "cy": "Ddim o gwbl"}, ...}: values without a label show as numbers.
    answer_labels = models.JSONField(_("answer labels"), default=dict, blank=True)
    reverse_scored = models.BooleanField(
        _("reverse scored"),
        default=False,
        help_text=_("Counted as (lowest + highest - answer) in a total."),
    )
    higher_is_better = models.BooleanField(_("a higher answer is better"), default=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["instrument", "order"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "order"], name="item_order_unique"),
            models.CheckConstraint(
                condition=Q(min_value__lt=models.F("max_value")), name="item_range_not_empty"
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def display_label(self):
        return localised(self, "label")

    @property
    def display_text(self):
        return localised(self, "text")

    def answer_label(self, value):
        """The label of an answer in the reader's language, or "" when it has none."""
        labels = self.answer_labels.get(str(value)) or {}
        language = "cy" if (get_language() or "").startswith("cy") else "en"
        return labels.get(language) or labels.get("en", "")


class OutcomeMeasure(models.Model):
    """One instrument answered for one referral at one timepoint, with its computed score."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="outcome_measures",
    )
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="measures"
    )
    timepoint = models.CharField(_("timepoint"), max_length=10, choices=Timepoint.choices)
    answered_on = models.DateField(_("answered on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Empty for per-item instruments, whose scores are the answers themselves.
    raw_score = models.IntegerField(_("raw score"), null=True, blank=True)
    converted_score = models.DecimalField(
        _("converted score"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("outcome measure")
        verbose_name_plural = _("outcome measures")
        ordering = ["answered_on", "created_at", "pk"]
        constraints = [
            # Reviews may be repeated; there is one starting point and one end.
            models.UniqueConstraint(
                fields=["referral", "instrument", "timepoint"],
                condition=Q(timepoint__in=["baseline", "closure"]),
                name="outcome_one_baseline_and_closure",
            ),
            models.CheckConstraint(
                condition=Q(timepoint__in=Timepoint.values), name="outcome_timepoint_known"
            ),
        ]
        indexes = [models.Index(fields=["referral", "timepoint", "answered_on"])]

    def __str__(self):
        return f"{self.referral_id} {self.instrument_id} {self.timepoint}"


class Answer(models.Model):
    """One item's answer. Ranges differ by item, so the service checks them, not the database."""

    measure = models.ForeignKey(
        OutcomeMeasure, verbose_name=_("measure"), on_delete=models.CASCADE, related_name="answers"
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="answers"
    )
    value = models.SmallIntegerField(_("answer"))

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["measure", "item__order"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "item"], name="answer_one_per_item"),
        ]

    def __str__(self):
        return f"{self.item}: {self.value}"


# The coordinator side: supervision, scheduled jobs, peer navigators --------


class SupervisionNote(models.Model):
    """A note about a link worker's work, by them or their manager; seen by those two only.

    Never shown to the referrer, the provider, a peer navigator or another
    link worker, and never part of an export or the API.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    link_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("link worker"),
        on_delete=models.CASCADE,
        related_name="supervision_notes",
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="supervision_notes",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("note"), max_length=NOTE_LIMIT)
    created_at = models.DateTimeField(_("written"))

    class Meta:
        verbose_name = _("supervision note")
        verbose_name_plural = _("supervision notes")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["link_worker", "-created_at"], name="supervision_by_worker")
        ]

    def __str__(self):
        return f"{self.link_worker_id} {self.created_at:%Y-%m-%d}"


class DigestSent(models.Model):
    """The daily digest went to this link worker on this day: the claim that makes it once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("link worker"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    sent_on = models.DateField(_("day"))
    created_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "sent_on"], name="digest_once_per_day")
        ]

    def __str__(self):
        return f"{self.user_id} {self.sent_on}"


class OutcomeReviewNotice(models.Model):
    """The link worker was told this baseline's review fell due: the claim that makes it once."""

    baseline = models.OneToOneField(
        OutcomeMeasure, verbose_name=_("baseline"), on_delete=models.CASCADE, related_name="+"
    )
    due_on = models.DateField(_("review due"))
    notified_at = models.DateTimeField(_("told"))

    class Meta:
        verbose_name = _("outcome review notice")
        verbose_name_plural = _("outcome review notices")

    def __str__(self):
        return f"{self.baseline_id} {self.due_on}"


class PeerNavigatorAssignment(models.Model):
    """A peer navigator (a volunteer with lived experience) attached to a case.

    They see the case's contacts and plan only, while `active`.
    """

    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="peer_navigators",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("peer navigator"),
        on_delete=models.CASCADE,
        related_name="peer_assignments",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    added_at = models.DateTimeField(_("added"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("peer navigator on a case")
        verbose_name_plural = _("peer navigators on cases")
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "user"], name="peer_navigator_once_per_case"
            )
        ]

    def __str__(self):
        return f"{self.user_id} on {self.referral_id}"


class ConnectionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    REFERRED = "referred", _("Referred")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined by the provider")
    ATTENDING = "attending", _("Attending")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")


# Which move each status allows; the services check who may make it.
CONNECTION_TRANSITIONS: dict[str, set[ConnectionStatus]] = {
    ConnectionStatus.PROPOSED: {ConnectionStatus.REFERRED, ConnectionStatus.STOPPED},
    ConnectionStatus.REFERRED: {
        ConnectionStatus.ACCEPTED,
        ConnectionStatus.DECLINED,
        ConnectionStatus.STOPPED,
    },
    ConnectionStatus.ACCEPTED: {
        ConnectionStatus.ATTENDING,
        ConnectionStatus.COMPLETED,
        ConnectionStatus.STOPPED,
    },
    ConnectionStatus.DECLINED: set(),
    ConnectionStatus.ATTENDING: {ConnectionStatus.COMPLETED, ConnectionStatus.STOPPED},
    ConnectionStatus.COMPLETED: set(),
    ConnectionStatus.STOPPED: set(),
}


# A connection still waiting for, or living on, the provider's answer.
LIVE_CONNECTION_STATUSES = (
    ConnectionStatus.PROPOSED,
    ConnectionStatus.REFERRED,
    ConnectionStatus.ACCEPTED,
    ConnectionStatus.ATTENDING,
)


class DeclineReason(models.TextChoices):
    AT_CAPACITY = "at_capacity", _("At capacity")
    NOT_SUITABLE = "not_suitable", _("Not suitable for the person")
    NOT_ELIGIBLE = "not_eligible", _("The person is not eligible")
    NO_RESPONSE = "no_response", _("No answer from the provider in time")
    OTHER = "other", _("Other")


class Connection(models.Model):
    """The person connected to a directory service, from proposal to the end of their time there."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="connections",
    )
    service = models.ForeignKey(
        "directory.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="connections",
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ConnectionStatus.choices,
        default=ConnectionStatus.PROPOSED,
    )
    # What the link worker writes for the provider: the only free text the provider sees.
    note_for_provider = models.TextField(_("note for the provider"), max_length=1000, blank=True)
    decline_reason = models.CharField(
        _("reason for declining"), max_length=15, choices=DeclineReason.choices, blank=True
    )
    decline_details = models.CharField(_("details"), max_length=500, blank=True)
    stop_reason = models.CharField(_("reason for stopping"), max_length=500, blank=True)
    proposed_at = models.DateTimeField(_("proposed"))
    referred_at = models.DateTimeField(_("referred"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    attending_since = models.DateTimeField(_("attending since"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # Claimed by a conditional update so the reminder goes once however often the job runs.
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        ordering = ["-proposed_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "referred_at"]),
            models.Index(fields=["service", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="declined", decline_reason__gt="")
                | (~Q(status="declined") & Q(decline_reason="")),
                name="connection_decline_reason_when_declined",
            ),
        ]

    def __str__(self):
        return f"{self.referral_id} -> {self.service_id} ({self.status})"


class UnmetNeed(models.Model):
    """A category where nothing suitable exists for the person; commissioners count these."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="unmet_needs",
    )
    category = models.ForeignKey(
        "directory.TaxonomyTerm",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("notes"), max_length=NOTE_LIMIT, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("unmet need")
        verbose_name_plural = _("unmet needs")
        ordering = ["-recorded_at", "-pk"]

    def __str__(self):
        return f"{self.referral_id}: {self.category_id}"


class PersonMessage(models.Model):
    """A text message or email to the person through GOV.UK Notify, and what became of it.

    Written in the transaction of the use case that sends it (the outbox), sent
    by a task after commit, its delivery status then polled from Notify. It
    keeps no address and no words: they are taken from the person's record and
    the case when it is sent, so correcting or erasing the person leaves nothing
    behind here.
    """

    class Kind(models.TextChoices):
        PRESCRIPTION = "prescription", _("Social prescription")
        SESSION_REMINDER = "reminder", _("Session reminder")

    class Channel(models.TextChoices):
        SMS = "sms", _("Text message")
        EMAIL = "email", _("Email")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to go to Notify")
        SENT = "sent", _("With Notify")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Not delivered")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="person_messages",
    )
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("how"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=5)
    template_id = models.CharField(_("Notify template"), max_length=64)
    # A session reminder: which connection and which day; one reminder per session.
    connection = models.ForeignKey(
        "Connection",
        verbose_name=_("connection"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    session_on = models.DateField(_("session"), null=True, blank=True)
    session_time = models.TimeField(_("starts"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="queued")
    notify_id = models.UUIDField(_("Notify id"), null=True, blank=True)
    notify_status = models.CharField(_("Notify status"), max_length=40, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("handed to Notify"), null=True, blank=True)
    status_checked_at = models.DateTimeField(_("status checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("message to a person")
        verbose_name_plural = _("messages to people")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "session_on"],
                condition=Q(kind="reminder"),
                name="person_message_one_reminder_per_session",
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="person_message_state")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_channel_display()}): {self.state}"


MESSAGE_LIMIT = 2000
SESSION_NOTE_LIMIT = 500


class ConnectionMessage(models.Model):
    """One message in a connection's thread between the link worker and the provider's staff."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    connection = models.ForeignKey(
        Connection, verbose_name=_("connection"), on_delete=models.CASCADE,
        related_name="messages",
    )  # fmt: skip
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("from"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    text = models.TextField(_("message"), max_length=MESSAGE_LIMIT)
    created_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("message about a connection")
        verbose_name_plural = _("messages about connections")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.connection_id}: {self.author_id} at {self.created_at:%Y-%m-%d %H:%M}"


class AttendanceSession(models.Model):
    """One session of a connection's service: whether the person came, recorded by either side.

    The register sits beside the connection's status, which keeps its own
    transitions: a missed session does not stop a connection.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    connection = models.ForeignKey(
        Connection, verbose_name=_("connection"), on_delete=models.CASCADE,
        related_name="sessions",
    )  # fmt: skip
    session_on = models.DateField(_("session date"))
    attended = models.BooleanField(_("attended"))
    note = models.CharField(_("note"), max_length=SESSION_NOTE_LIMIT, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("session attended or missed")
        verbose_name_plural = _("sessions attended or missed")
        ordering = ["-session_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "session_on"], name="attendance_one_row_per_session_date"
            ),
        ]

    def __str__(self):
        return (
            f"{self.connection_id}: {self.session_on} ({'attended' if self.attended else 'missed'})"
        )


def case_document_path(document: "CaseDocument", filename: str) -> str:
    """Where a document's file is kept: a random name under the case, never the uploaded name.

    The uploaded name is kept in `name` for people to read; the storage name
    carries nothing a person wrote, so no name can climb out of the folder.
    """
    return f"case-documents/{document.referral.uuid}/{uuid.uuid4().hex}{document.extension}"


class CaseDocument(models.Model):
    """A file attached to a case (signed consent, a letter): kept through Django's storage API."""

    class Kind(models.TextChoices):
        PDF = "application/pdf", "PDF"
        PNG = "image/png", "PNG"
        JPEG = "image/jpeg", "JPEG"
        TEXT = "text/plain", _("Plain text")
        DOCX = (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            _("Word document"),
        )

    EXTENSIONS: dict[str, str] = {
        Kind.PDF: ".pdf",
        Kind.PNG: ".png",
        Kind.JPEG: ".jpg",
        Kind.TEXT: ".txt",
        Kind.DOCX: ".docx",
    }

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral", verbose_name=_("referral"), on_delete=models.CASCADE,
        related_name="documents",
    )  # fmt: skip
    file = models.FileField(_("file"), upload_to=case_document_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    description = models.CharField(_("what it is"), max_length=200, blank=True)
    content_type = models.CharField(_("type"), max_length=80, choices=Kind.choices)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.referral_id}: {self.uuid}"

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "")


class DiaryFeedToken(models.Model):
    """A link worker's secret for the iCalendar feed of their diary (`/diary/feed.ics?token=`).

    Calendar apps cannot sign in, so the address carries the secret. Only its
    SHA-256 is kept: the link worker sees the address once, when they make it,
    and a new one replaces the old (the old address then answers 404).
    Revoking deletes the row.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("link worker"), on_delete=models.CASCADE,
        related_name="diary_feed_token",
    )  # fmt: skip
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("diary feed token")
        verbose_name_plural = _("diary feed tokens")

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"
