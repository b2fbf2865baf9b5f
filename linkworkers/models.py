import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import localised


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


# Outcome measures -----------------------------------------------------------
# Instruments are data, not code: a scheme adds one (items, answer ranges,
# scoring method) in the admin without a release. The scoring engine in
# linkworkers/scoring.py knows the methods below and nothing about any
# particular instrument.


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
