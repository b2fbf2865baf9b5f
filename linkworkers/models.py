import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from referrals.models import ClosureReason


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

NOTE_LIMIT = 2000
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
