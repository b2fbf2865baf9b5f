"""Rollup tables (DESIGN.md, reporting): derived from the referral tables by Celery, read by pages.

Two layers:

- Facts: one row per referral (and per connection, outcome pair and unmet
  need) holding what that referral contributes to the statistics, already
  classified (age band, deprivation quintile, waiting days...). They exist so
  that an incremental run can recompute only the referrals that changed and
  still know what those referrals used to add to each cube row.
- Cubes: counts (and sums) per cell, summed over facts. A cell is one month of
  referrals received by one scheme from one area and one source kind; every
  cube row carries its cell, by which a run finds the rows it changes.
  Dashboards and exports only ever sum cube rows.

Every counted fact row carries its record key (cellkey.py: the cell key
method), and every count in a cube has beside it the sum of the keys of the
records it counts, `<count>_key`: a page adds both up in the same query, and
a cell's noise comes from the total of the keys modulo 256.

Everything is counted by the month the referral was received (a cohort):
"of the referrals received in these months, how many were accepted, waited
how long, were connected to what". The link worker table is the exception
and says so: it counts by the month of allocation.

Facts and cubes hold ids without foreign-key constraints where the row is
derived: a nightly full run rebuilds everything, so nothing here may stop a
referral, service or organisation from being deleted.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Dimension(models.TextChoices):
    """The breakdowns of referrals received (BreakdownCube.dimension)."""

    REASON = "reason", _("Reason for referral")
    AGE_BAND = "age_band", _("Age band")
    GENDER = "gender", _("Gender")
    ETHNIC_GROUP = "ethnic_group", _("Ethnic group")
    DEPRIVATION = "deprivation", _("Deprivation quintile")


class AgeBand(models.TextChoices):
    # DESIGN.md, Statistics: the bands every page and export uses (age on the day received).
    UNDER_18 = "0-17", _("0 to 17")
    FROM_18 = "18-24", _("18 to 24")
    FROM_25 = "25-44", _("25 to 44")
    FROM_45 = "45-64", _("45 to 64")
    FROM_65 = "65-74", _("65 to 74")
    FROM_75 = "75+", _("75 and over")


class DeprivationQuintile(models.TextChoices):
    MOST = "1", _("1 (most deprived)")
    SECOND = "2", _("2")
    THIRD = "3", _("3")
    FOURTH = "4", _("4")
    LEAST = "5", _("5 (least deprived)")
    NOT_KNOWN = "unknown", _("Not known")


def key_sum() -> models.PositiveIntegerField:
    """The sum of the record keys of the records a count beside it counts (cellkey.py)."""
    return models.PositiveIntegerField(default=0, editable=False)


class CellMixin(models.Model):
    """The cell a row counts in: received month, scheme, area, source kind."""

    cell = models.CharField(max_length=64, db_index=True, editable=False)
    month = models.DateField(_("month received"))
    scheme = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("scheme"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    area = models.ForeignKey(
        "accounts.Area",
        verbose_name=_("area"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    source_kind = models.CharField(_("source"), max_length=20)

    class Meta:
        abstract = True

    def __str__(self):
        return self.cell


# Facts -------------------------------------------------------------------


class ReferralFact(CellMixin):
    referral_id = models.IntegerField(unique=True)
    record_key = models.PositiveSmallIntegerField(default=0)  # cellkey.record_key of the referral
    week = models.DateField(_("week received (Monday)"))
    reasons = models.JSONField(default=list)
    age_band = models.CharField(max_length=5, choices=AgeBand.choices)
    gender = models.CharField(max_length=20)
    ethnic_group = models.CharField(max_length=1)
    deprivation = models.CharField(max_length=7, choices=DeprivationQuintile.choices)
    accepted = models.BooleanField(default=False)
    rejected = models.BooleanField(default=False)
    cancelled = models.BooleanField(default=False)
    allocated = models.BooleanField(default=False)
    first_contact = models.BooleanField(default=False)
    connected = models.BooleanField(default=False)
    closed = models.BooleanField(default=False)
    completed = models.BooleanField(default=False)
    # The funnel's last stage: connected to a service, then closed as completed.
    connected_completed = models.BooleanField(default=False)
    wait_days = models.PositiveIntegerField(null=True)
    wait_working_days = models.PositiveIntegerField(null=True)
    link_worker_id = models.IntegerField(null=True)
    allocated_month = models.DateField(null=True)

    class Meta:
        verbose_name = _("referral fact")
        verbose_name_plural = _("referral facts")


class ConnectionFact(CellMixin):
    """A connection under one top-level category of its service: one row per category.

    A service listed under gardening and under befriending counts its connection
    under both, as an unmet need counts under its own category, so the two can
    be compared category by category. `counts_connection` is set on exactly one
    row of each connection (the lowest category, or the only row of a service
    with none): the row that totals and the table by provider add up, so a
    connection is never counted twice there.
    """

    connection_id = models.IntegerField(db_index=True)
    record_key = models.PositiveSmallIntegerField(default=0)  # of the connection
    referral_id = models.IntegerField(db_index=True)
    category_id = models.IntegerField(null=True)  # a top-level category of the service
    counts_connection = models.BooleanField(default=True)
    provider_id = models.IntegerField()
    referred = models.BooleanField(default=False)
    accepted = models.BooleanField(default=False)
    declined = models.BooleanField(default=False)
    attended = models.BooleanField(default=False)
    completed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("connection fact")
        verbose_name_plural = _("connection facts")


class UnmetNeedFact(CellMixin):
    unmet_need_id = models.IntegerField(unique=True)
    record_key = models.PositiveSmallIntegerField(default=0)  # of the unmet need
    referral_id = models.IntegerField(db_index=True)
    category_id = models.IntegerField(null=True)  # the top-level category

    class Meta:
        verbose_name = _("unmet need fact")
        verbose_name_plural = _("unmet need facts")


class OutcomeFact(CellMixin):
    """A referral's baseline and latest follow-up on one instrument (or one of its items)."""

    referral_id = models.IntegerField(db_index=True)
    record_key = models.PositiveSmallIntegerField(default=0)  # the referral's: a person counts
    instrument_id = models.IntegerField()
    item_id = models.IntegerField(null=True)  # None: the instrument's total score
    baseline = models.DecimalField(max_digits=7, decimal_places=2)
    follow_up = models.DecimalField(max_digits=7, decimal_places=2)
    change = models.DecimalField(max_digits=7, decimal_places=2)
    improved = models.BooleanField(default=False)
    worsened = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("outcome fact")
        verbose_name_plural = _("outcome facts")


# Cubes: what pages read --------------------------------------------------


class ReferralCube(CellMixin):
    received = models.PositiveIntegerField(default=0)
    received_key = key_sum()
    accepted = models.PositiveIntegerField(default=0)
    accepted_key = key_sum()
    rejected = models.PositiveIntegerField(default=0)
    rejected_key = key_sum()
    cancelled = models.PositiveIntegerField(default=0)
    cancelled_key = key_sum()
    allocated = models.PositiveIntegerField(default=0)
    allocated_key = key_sum()
    first_contact = models.PositiveIntegerField(default=0)
    first_contact_key = key_sum()
    connected = models.PositiveIntegerField(default=0)
    connected_key = key_sum()
    closed = models.PositiveIntegerField(default=0)
    closed_key = key_sum()
    completed = models.PositiveIntegerField(default=0)
    completed_key = key_sum()
    connected_completed = models.PositiveIntegerField(default=0)
    connected_completed_key = key_sum()

    class Meta:
        verbose_name = _("referrals by month")
        verbose_name_plural = _("referrals by month")
        indexes = [
            models.Index(fields=["scheme", "month"]),
            models.Index(fields=["area", "month"]),
            models.Index(fields=["month"]),
            # The dashboard's area and scheme choices.
            models.Index(fields=["area", "scheme"]),
        ]


class WeeklyCube(CellMixin):
    week = models.DateField(_("week received (Monday)"))
    received = models.PositiveIntegerField(default=0)
    received_key = key_sum()

    class Meta:
        verbose_name = _("referrals by week")
        verbose_name_plural = _("referrals by week")
        indexes = [
            models.Index(fields=["scheme", "month"]),
            models.Index(fields=["area", "month"]),
            models.Index(fields=["month"]),
        ]


class BreakdownCube(CellMixin):
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    value = models.CharField(max_length=30)
    received = models.PositiveIntegerField(default=0)
    received_key = key_sum()

    class Meta:
        verbose_name = _("referrals by breakdown")
        verbose_name_plural = _("referrals by breakdown")
        indexes = [
            models.Index(fields=["dimension", "scheme", "month"]),
            models.Index(fields=["dimension", "area", "month"]),
            models.Index(fields=["dimension", "month"]),
        ]


class WaitCube(CellMixin):
    """How many referrals waited exactly this long from received to first contact."""

    wait_days = models.PositiveIntegerField()
    wait_working_days = models.PositiveIntegerField()
    referrals = models.PositiveIntegerField(default=0)
    referrals_key = key_sum()

    class Meta:
        verbose_name = _("waiting times")
        verbose_name_plural = _("waiting times")
        indexes = [
            models.Index(fields=["scheme", "month"]),
            models.Index(fields=["area", "month"]),
            models.Index(fields=["month"]),
        ]


class LinkWorkerCube(CellMixin):
    """Referrals allocated to each link worker, by the month they were allocated."""

    link_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    allocated_month = models.DateField()
    referrals = models.PositiveIntegerField(default=0)
    referrals_key = key_sum()

    class Meta:
        verbose_name = _("allocations by link worker")
        verbose_name_plural = _("allocations by link worker")
        indexes = [
            models.Index(fields=["scheme", "allocated_month"]),
            models.Index(fields=["area", "allocated_month"]),
        ]


class ConnectionCube(CellMixin):
    category = models.ForeignKey(
        "directory.TaxonomyTerm",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    provider = models.ForeignKey(
        "directory.Provider", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    # ConnectionFact.counts_connection: rows whose connections totals and providers add up.
    counts_connection = models.BooleanField(default=True)
    connections = models.PositiveIntegerField(default=0)
    connections_key = key_sum()
    referred = models.PositiveIntegerField(default=0)
    referred_key = key_sum()
    accepted = models.PositiveIntegerField(default=0)
    accepted_key = key_sum()
    declined = models.PositiveIntegerField(default=0)
    declined_key = key_sum()
    attended = models.PositiveIntegerField(default=0)
    attended_key = key_sum()
    completed = models.PositiveIntegerField(default=0)
    completed_key = key_sum()

    class Meta:
        verbose_name = _("connections")
        verbose_name_plural = _("connections")
        indexes = [
            models.Index(fields=["scheme", "month"]),
            models.Index(fields=["area", "month"]),
            models.Index(fields=["month"]),
        ]


class UnmetNeedCube(CellMixin):
    category = models.ForeignKey(
        "directory.TaxonomyTerm",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    needs = models.PositiveIntegerField(default=0)
    needs_key = key_sum()

    class Meta:
        verbose_name = _("unmet needs")
        verbose_name_plural = _("unmet needs")
        indexes = [
            models.Index(fields=["scheme", "month"]),
            models.Index(fields=["area", "month"]),
            models.Index(fields=["month"]),
        ]


class OutcomeCube(CellMixin):
    instrument = models.ForeignKey(
        "linkworkers.Instrument", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    item = models.ForeignKey(
        "linkworkers.Item",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    pairs = models.PositiveIntegerField(default=0)  # people with a baseline and a follow-up
    pairs_key = key_sum()
    improved = models.PositiveIntegerField(default=0)
    improved_key = key_sum()
    worsened = models.PositiveIntegerField(default=0)
    worsened_key = key_sum()
    change_sum = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("outcomes")
        verbose_name_plural = _("outcomes")
        indexes = [
            models.Index(fields=["scheme", "month"]),
            models.Index(fields=["area", "month"]),
            models.Index(fields=["month"]),
        ]


class LinkWorkerLoad(models.Model):
    """Open cases per link worker against capacity, as at the last run (not by month)."""

    link_worker = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    scheme = models.ForeignKey(
        "accounts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    open_cases = models.PositiveIntegerField(default=0)
    open_cases_key = key_sum()
    capacity = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("caseload")
        verbose_name_plural = _("caseloads")

    def __str__(self):
        return f"{self.link_worker_id}: {self.open_cases}/{self.capacity}"


# Kept facts ----------------------------------------------------------------


class KeptReferralFacts(models.Model):
    """What a referral counts as in the statistics, kept when its person's details were erased.

    The age band and the deprivation quintile are worked out from the person's
    date of birth and postcode, which an erasure blanks. The erasure keeps
    them here first (services.referral_facts_keep), worked out by the very
    expressions the rollup uses, and the rollup reads them in place of the
    blanked fields, so every figure is the same before and after. Only the
    band and the quintile: no date of birth, age, postcode or LSOA. Not a
    rollup table: no run rebuilds or empties it.
    """

    referral = models.OneToOneField(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="kept_facts",
    )
    age_band = models.CharField(_("age band"), max_length=5, choices=AgeBand.choices)
    deprivation = models.CharField(
        _("deprivation quintile"), max_length=7, choices=DeprivationQuintile.choices
    )
    kept_at = models.DateTimeField(_("kept"))

    class Meta:
        verbose_name = _("facts kept after an erasure")
        verbose_name_plural = _("facts kept after erasures")

    def __str__(self):
        return f"{self.referral_id}: {self.age_band} {self.deprivation}"


class OpenCaseCount(models.Model):
    """Open cases now by link worker, scheme, area and source, as at the last run.

    LinkWorkerLoad holds each link worker's capacity; this splits their open
    cases by where the referrals came from, so a commissioner's "open cases
    now" counts only the cases from the areas they may see and chose.
    """

    link_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    scheme = models.ForeignKey(
        "accounts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    area = models.ForeignKey(
        "accounts.Area",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    source_kind = models.CharField(max_length=20)
    open_cases = models.PositiveIntegerField(default=0)
    open_cases_key = key_sum()  # of the referrals open: a person counts

    class Meta:
        verbose_name = _("open cases")
        verbose_name_plural = _("open cases")
        indexes = [models.Index(fields=["scheme", "area"])]

    def __str__(self):
        return f"{self.link_worker_id} {self.scheme_id} {self.area_id}: {self.open_cases}"


# Runs --------------------------------------------------------------------


class RollupRun(models.Model):
    class Kind(models.TextChoices):
        FULL = "full", _("Full")
        INCREMENTAL = "incremental", _("Changes since the last run")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    # True while queued or running, else empty: unique, so the database allows one run at a
    # time (two would rebuild the same cells); a second request joins the run under way.
    in_flight = models.BooleanField(null=True, unique=True, default=True, editable=False)
    progress = models.PositiveSmallIntegerField(_("progress (per cent)"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Changes made at or after this moment were looked for (incremental runs).
    since = models.DateTimeField(_("changes since"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Written every REPORTING_ROLLUP_HEARTBEAT_SECONDS while a worker runs it: a run in flight
    # whose heartbeat stopped (its worker was killed) is given up (services.rollup_runs_give_up).
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    referrals = models.PositiveIntegerField(_("referrals recomputed"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("rollup run")
        verbose_name_plural = _("rollup runs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="rollup_progress_le_100"),
        ]
        indexes = [models.Index(fields=["state", "finished_at"])]

    def __str__(self):
        return f"{self.kind} {self.state} {self.created_at:%Y-%m-%d %H:%M}"


# Monthly report ----------------------------------------------------------


class MonthlyReportSent(models.Model):
    """A scheme manager was sent the report for this month: the claim that makes it once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    month = models.DateField(_("month reported"))  # its first day
    created_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("monthly report sent")
        verbose_name_plural = _("monthly reports sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="monthly_report_once_per_month")
        ]

    def __str__(self):
        return f"{self.user_id} {self.month:%Y-%m}"
