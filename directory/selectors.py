"""Reads for the directory, shared by the public pages and the Open Referral API.

The directory is public: what a reader may see is every active service (and
the page of a paused one, which says so); closed services are gone.
"""

from collections.abc import Iterable, Iterator
from typing import Any, TypeGuard, overload
from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Exists,
    F,
    Field,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Concat, NullIf
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Role, User

from . import search
from .models import Schedule, Service, ServiceAtLocation, ServiceChange, ServiceCheck, TaxonomyTerm
from .postcodes import Place
from .search import nearest as search_nearest

# Accessibility filters a reader can ask for: the Location flag each one needs.
ACCESSIBILITY_FLAGS = ("step_free_access", "hearing_loop", "accessible_toilet")


def taxonomy_term_with_descendants(term: TaxonomyTerm) -> list[int]:
    """The ids of a category and every category below it (one query per level)."""
    ids = [term.pk]
    level = [term.pk]
    while level:
        level = list(TaxonomyTerm.objects.filter(parent__in=level).values_list("pk", flat=True))
        level = [pk for pk in level if pk not in ids]  # a loop in bad data must not hang us
        ids.extend(level)
    return ids


def _display_name_key(prefix: str = "") -> Coalesce | F:
    if (get_language() or "").startswith("cy"):
        return Coalesce(NullIf(f"{prefix}name_cy", Value("")), f"{prefix}name")
    return F(f"{prefix}name")


# A results page says "more than" this many rather than counting every match.
COUNT_LIMIT = 300


def _search_conditions(
    prefix: str,
    *,
    categories: list[int] | None,
    free_only: bool,
    weekday: int | None,
    welsh: bool,
    accessibility: tuple[str, ...],
) -> list[Q | Exists]:
    """The reader's filters, on a service reached through `prefix` ("" or "service__")."""
    service = OuterRef("service_id" if prefix else "pk")
    conditions: list[Q | Exists] = [Q(**{f"{prefix}status": Service.Status.ACTIVE})]
    if categories is not None:
        conditions.append(
            Exists(
                Service.taxonomy_terms.through.objects.filter(
                    service=service, taxonomyterm__in=categories
                )
            )
        )
    if free_only:
        conditions.append(Q(**{f"{prefix}is_free": True}))
    if weekday is not None:
        conditions.append(Exists(Schedule.objects.filter(service=service, weekday=weekday)))
    if welsh:
        conditions.append(Q(**{f"{prefix}welsh_offered": True}))
    for flag in accessibility:
        if flag not in ACCESSIBILITY_FLAGS:
            raise ValueError(f"unknown accessibility filter {flag!r}")
        conditions.append(
            Exists(ServiceAtLocation.objects.filter(service=service, **{f"location__{flag}": True}))
        )
    return conditions


def _placed() -> Q:
    """A location with a position on the grid (one without cannot be near anything)."""
    return Q(location__easting__isnull=False, location__northing__isnull=False)


class ServiceResults:
    """What a reader's search found, best first, read a page at a time.

    Ready for Django's Paginator: `count()` and slicing. A slice is a list of services
    with everything a results page shows loaded (provider, who checked it, categories,
    sessions, places), each with `distance_m` (metres to its nearest place from `near`;
    None without `near` or without a known place) and `match_reasons` (why it matched
    when its name and description do not say: a category, a place, its provider).
    `count()` stops at COUNT_LIMIT (then `more_than_limit` is true), so a broad search
    does not count the whole directory. `notes()` says how the words were read
    (spelling corrections, words no service has, a search relaxed to some words).
    """

    def __init__(
        self,
        *,
        services: QuerySet[Service],
        locations: QuerySet[ServiceAtLocation],
        plan: search.SearchPlan,
        near: Place | None,
    ) -> None:
        self.services = services
        self.locations = locations
        self.plan = plan
        self.near = near
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.services.order_by().values("pk")[: COUNT_LIMIT + 1].count()
        return min(self._count, COUNT_LIMIT)

    @property
    def more_than_limit(self) -> bool:
        self.count()
        return self._count is not None and self._count > COUNT_LIMIT

    def notes(self) -> list[str]:
        return self.plan.notes()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Service]:
        return iter(self[: self.count()])

    @overload
    def __getitem__(self, key: int) -> Service: ...

    @overload
    def __getitem__(self, key: slice) -> list[Service]: ...

    def __getitem__(self, key: int | slice) -> Service | list[Service]:
        if isinstance(key, int):
            found = self[key : key + 1]
            if not found:
                raise IndexError(key)
            return found[0]
        start, stop = key.start or 0, key.stop
        if stop is None:
            stop = self.count()
        if key.step not in (None, 1) or start < 0 or stop < 0:
            raise ValueError("only forward slices of results")
        if stop <= start:
            return []
        found = self._nearest(start, stop) if self.near else self._best(start, stop)
        for service in found:
            service.match_reasons = self.plan.reasons(service)
        return found

    def _best(self, start: int, stop: int) -> list[Service]:
        """Best match first, then by name in the reader's language.

        A tier at a time (directory.search.query), until the page is full. When the
        search matches few services (the count stops short of COUNT_LIMIT) each tier is
        sorted whole, from the matches the GIN index finds: PostgreSQL misjudges how many
        services a search matches, and walking the name index for a tier it thinks broad
        but is empty would read the whole directory. When it matches many, PostgreSQL may
        walk the name index and stop at the page's end.
        """
        by_name: list[Any] = [_display_name_key(), "pk"]
        tiers = self.plan.tiers()
        if tiers is None:
            services = self.services
            score = self.plan.score()
            if score is not None:
                services = services.annotate(score=score)
                by_name.insert(0, F("score").desc())
            found = _with_relations(list(_page_loads(services.order_by(*by_name))[start:stop]))
        else:
            few = not self.more_than_limit
            name_key = Concat(_display_name_key(), Value("")) if few else _display_name_key()
            ids: list[int] = []
            for tier in tiers:
                if len(ids) >= stop:
                    break
                ids += (
                    self.services.filter(tier)
                    .order_by(name_key, "pk")
                    .values_list("pk", flat=True)[: stop - len(ids)]
                )
            loaded = _page_loads(Service.objects.all()).in_bulk(ids[start:stop])
            found = _with_relations([loaded[pk] for pk in ids[start:stop]])
        for service in found:
            service.distance_m = None
        return found

    def _nearest(self, start: int, stop: int) -> list[Service]:
        """Nearest first; the services with no known place after them, by name."""
        assert self.near is not None
        nearest, everything = search_nearest.nearest_services(
            self.locations, self.near, stop, then=("name_key",)
        )
        page = nearest[start:stop]
        loaded = _page_loads(Service.objects.all()).in_bulk([pk for pk, _ in page])
        found = []
        for pk, metres in page:
            service = loaded[pk]
            service.distance_m = metres
            found.append(service)
        unplaced_found: list[Service] = []
        if everything and len(nearest) < stop:
            placed = ServiceAtLocation.objects.filter(_placed(), service=OuterRef("pk"))
            unplaced = _page_loads(self.services.filter(~Exists(placed))).order_by(
                _display_name_key(), "pk"
            )[max(0, start - len(nearest)) : stop - len(nearest)]
            for service in unplaced:
                service.distance_m = None
                unplaced_found.append(service)
        return _with_relations(found + unplaced_found)


def _page_loads(services: QuerySet[Service]) -> QuerySet[Service]:
    """The services of a results page with their provider and who checked them; their
    categories, sessions and places come from `_with_relations`."""
    return services.select_related("provider", "reviewed_by").defer("search_vector", "search_terms")


def _cached(model: Any, rows: list[Any]) -> QuerySet[Any]:
    """A queryset that holds `rows` as a prefetch would (`.all()` gives them). Empty as a
    query: a filter on it finds nothing rather than every row of the table."""
    found: QuerySet[Any] = QuerySet(model=model)
    found.query.set_empty()
    found._result_cache = rows
    found._prefetch_done = True  # type: ignore[attr-defined]
    return found


def _with_relations(services: list[Service]) -> list[Service]:
    """Load what a results card shows of each service: its categories, its sessions and its
    places (with their locations), as `prefetch_related` would give them to `.all()`, in
    three queries whatever the page's size. Django's prefetch builds a filtered queryset
    for every service and relation; a page does not need one, and it cost more than the
    search on the bench."""
    if not services:
        return services
    ids = [service.pk for service in services]
    Link = Service.taxonomy_terms.through
    terms: dict[int, list[TaxonomyTerm]] = {pk: [] for pk in ids}
    for link in (
        Link.objects.filter(service_id__in=ids)
        .select_related("taxonomyterm")
        .order_by("taxonomyterm__name", "taxonomyterm_id")
    ):
        terms[link.service_id].append(link.taxonomyterm)
    sessions: dict[int, list[Schedule]] = {pk: [] for pk in ids}
    for schedule in Schedule.objects.filter(service_id__in=ids).order_by(
        "weekday", "opens_at", "pk"
    ):
        sessions[schedule.service_id].append(schedule)
    places: dict[int, list[ServiceAtLocation]] = {pk: [] for pk in ids}
    for at in (
        ServiceAtLocation.objects.filter(service_id__in=ids)
        .select_related("location")
        .order_by("pk")
    ):
        places[at.service_id].append(at)
    service_field = ServiceAtLocation._meta.get_field("service")
    for service in services:
        for at in places[service.pk]:
            service_field.set_cached_value(at, service)
        service._prefetched_objects_cache = {  # type: ignore[attr-defined]
            "taxonomy_terms": _cached(TaxonomyTerm, terms[service.pk]),
            "schedules": _cached(Schedule, sessions[service.pk]),
            "at_locations": _cached(ServiceAtLocation, places[service.pk]),
        }
    return services


def services_search(
    *,
    q: str = "",
    category: TaxonomyTerm | None = None,
    free_only: bool = False,
    weekday: int | None = None,
    welsh: bool = False,
    accessibility: tuple[str, ...] = (),
    near: Place | None = None,
) -> ServiceResults:
    """Active services matching a reader's search, best first (see ServiceResults).

    The one search of the directory page and the link worker's search in a case
    (directory.search; the Open Referral API's `search` reads words the same way).
    Ordered by distance from `near` when given (services with no known place
    last), else by how well they match `q`, else by name.
    """
    categories = None if category is None else taxonomy_term_with_descendants(category)

    def conditions(prefix: str) -> list[Q | Exists]:
        return _search_conditions(
            prefix,
            categories=categories,
            free_only=free_only,
            weekday=weekday,
            welsh=welsh,
            accessibility=accessibility,
        )

    services = Service.objects.filter(*conditions(""))
    locations = ServiceAtLocation.objects.filter(_placed(), *conditions("service__"))
    plan = search.plan_for(services, q or "")
    condition = plan.condition()
    if condition is not None:
        services = services.filter(condition)
        location_condition = plan.condition("service__")
        assert location_condition is not None
        locations = locations.filter(location_condition)
    if near is not None:
        # Ties in distance (services sharing a place) by name, as a page without a place.
        locations = locations.annotate(name_key=_display_name_key("service__"))
    return ServiceResults(services=services, locations=locations, plan=plan, near=near)


def active_service(uuid: UUID | str) -> Service | None:
    """An active service a link worker may connect someone to, or None."""
    return (
        Service.objects.filter(status=Service.Status.ACTIVE, uuid=uuid)
        .select_related("provider")
        .defer("search_vector", "search_terms")
        .first()
    )


def get_service(uuid: UUID | str) -> Service:
    """One service's page: 404 when there is none or it has closed."""
    return get_object_or_404(
        Service.objects.exclude(status=Service.Status.CLOSED)
        .select_related("provider")
        .defer("search_vector", "search_terms")
        .prefetch_related(
            "taxonomy_terms",
            "contacts",
            Prefetch(
                "schedules",
                queryset=Schedule.objects.select_related("service_at_location__location"),
            ),
            Prefetch(
                "at_locations",
                queryset=ServiceAtLocation.objects.select_related("location").order_by(
                    "location__name"
                ),
            ),
        ),
        uuid=uuid,
    )


# The categories the search page offers (the demo data and real deployments both use this taxonomy).
SEARCH_TAXONOMY = "Social prescribing categories"


def search_categories() -> list[TaxonomyTerm]:
    """The categories a reader can filter by, each followed by the categories below it."""
    terms = list(TaxonomyTerm.objects.filter(taxonomy__name=SEARCH_TAXONOMY))
    children: dict[int | None, list[TaxonomyTerm]] = {}
    for term in terms:
        children.setdefault(term.parent_id, []).append(term)
    ordered: list[TaxonomyTerm] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for term in sorted(children.get(parent_id, []), key=lambda t: t.display_name.lower()):
            term.depth = depth
            ordered.append(term)
            walk(term.pk, depth + 1)

    walk(None, 0)
    return ordered


# Keeping the directory true: who keeps which listing, proposed changes, checks.

REVIEW_PERMISSION = "directory.review_servicechange"
# The fields a provider keeps current, in the order the edit form and the difference show them.
PROVIDER_EDITABLE_FIELDS = [
    "name",
    "name_cy",
    "description",
    "description_cy",
    "status",
    "is_free",
    "cost_description",
    "cost_description_cy",
    "eligibility",
    "eligibility_cy",
    "minimum_age",
    "maximum_age",
    "how_to_access",
    "how_to_access_cy",
    "welsh_offered",
    "other_languages",
    "access_route",
    "takes_direct_referrals",
    "capacity",
    "waiting_band",
    "email",
    "phone",
    "url",
]
# Roles that look at a service before referring someone to it.
CHECKING_ROLES = {Role.LINK_WORKER, Role.COORDINATOR}


def user_is_provider_staff(user: User | AnonymousUser) -> TypeGuard[User]:
    return user.is_authenticated and user.role == Role.PROVIDER and user.organisation_id is not None


def user_can_review_changes(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.has_perm(REVIEW_PERMISSION)


def user_can_check_services(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (
        user.role in CHECKING_ROLES or user.has_perm(REVIEW_PERMISSION)
    )


def user_manages_service(user: User | AnonymousUser, service: Service) -> bool:
    return (
        user_is_provider_staff(user)
        and service.provider.organisation_id is not None
        and service.provider.organisation_id == user.organisation_id
    )


def services_managed_by(user: User | AnonymousUser) -> QuerySet[Service]:
    """The services a provider's staff keep current, each with its pending change's uuid."""
    if not user_is_provider_staff(user) or user.organisation_id is None:
        return Service.objects.none()
    pending = ServiceChange.objects.filter(
        service=OuterRef("pk"), status=ServiceChange.Status.PENDING
    ).values("uuid")[:1]
    return (
        Service.objects.filter(provider__organisation_id=user.organisation_id)
        .select_related("provider")
        .annotate(pending_change_uuid=Subquery(pending))
        .order_by("name", "pk")
    )


def service_managed_by(user: User | AnonymousUser, uuid: UUID | str) -> Service:
    """Access helper: the service if this user keeps it, else 404 (missing and not yours alike)."""
    try:
        return services_managed_by(user).get(uuid=uuid)
    except Service.DoesNotExist:
        raise Http404(_("No such service.")) from None


def service_change_pending(service: Service) -> ServiceChange | None:
    return service.changes.filter(status=ServiceChange.Status.PENDING).first()


def service_edit_initial(
    service: Service, pending: ServiceChange | None, fields: Iterable[str]
) -> dict[str, Any]:
    """What the edit form starts from: the listing, with the provider's pending proposal on top."""
    initial = {name: getattr(service, name) for name in fields}
    if pending is not None:
        initial.update({k: v for k, v in pending.after.items() if k in initial})
    return initial


def service_changes_for_provider(
    user: User | AnonymousUser, *, limit: int = 20
) -> QuerySet[ServiceChange]:
    """The latest proposals for this provider's services, pending and decided."""
    if not user_is_provider_staff(user) or user.organisation_id is None:
        return ServiceChange.objects.none()
    return (
        ServiceChange.objects.filter(service__provider__organisation_id=user.organisation_id)
        .select_related("service", "proposed_by", "decided_by")
        .order_by("-proposed_at", "-pk")[:limit]
    )


def service_changes_pending_review(user: User | AnonymousUser) -> QuerySet[ServiceChange]:
    """The review queue: every pending change, oldest first, for directory editors."""
    if not user_can_review_changes(user):
        return ServiceChange.objects.none()
    return (
        ServiceChange.objects.filter(status=ServiceChange.Status.PENDING)
        .select_related("service__provider", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def service_change_for_review(user: User | AnonymousUser, uuid: UUID | str) -> ServiceChange:
    """Access helper: a change (any status) for a directory editor, else 404."""
    if not user_can_review_changes(user):
        raise Http404(_("No such change."))
    try:
        return ServiceChange.objects.select_related(
            "service__provider", "proposed_by", "decided_by"
        ).get(uuid=uuid)
    except ServiceChange.DoesNotExist:
        raise Http404(_("No such change.")) from None


def _display(field: "Field[Any, Any]", value: object) -> str:
    if value is None or value == "":
        return _("(empty)")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def editable_field(name: str) -> "Field[Any, Any]":
    """The model field behind one of PROVIDER_EDITABLE_FIELDS (all are plain columns)."""
    field = Service._meta.get_field(name)
    assert isinstance(field, Field), name
    return field


def service_change_rows(change: ServiceChange) -> list[dict[str, str]]:
    """The difference field by field, in the form's order: label, before and after, for people."""
    rows = []
    for name in PROVIDER_EDITABLE_FIELDS:
        if name not in change.after:
            continue
        field = editable_field(name)
        rows.append(
            {
                "name": name,
                "label": str(field.verbose_name),
                "before": _display(field, change.before.get(name)),
                "after": _display(field, change.after[name]),
            }
        )
    return rows


def categories_for_editor(user: User | AnonymousUser) -> list[TaxonomyTerm]:
    """Every search category, in the order of the search page, for directory editors."""
    if not user_can_review_changes(user):
        return []
    return search_categories()


def category_for_editor(user: User | AnonymousUser, uuid: UUID | str) -> TaxonomyTerm:
    """Access helper: a category whose need words a directory editor may change, else 404."""
    if not user_can_review_changes(user):
        raise Http404(_("No such category."))
    try:
        return TaxonomyTerm.objects.select_related("parent").get(uuid=uuid)
    except TaxonomyTerm.DoesNotExist:
        raise Http404(_("No such category.")) from None


def service_for_checks(user: User | AnonymousUser, uuid: UUID | str) -> Service:
    """Access helper for pre-referral checks: link workers, coordinators and editors; else 404."""
    if not user_can_check_services(user):
        raise Http404(_("No such service."))
    try:
        return Service.objects.select_related("provider", "reviewed_by").get(uuid=uuid)
    except Service.DoesNotExist:
        raise Http404(_("No such service.")) from None


def service_checks_recent(service: Service, *, limit: int = 10) -> list[ServiceCheck]:
    return list(
        service.checks.select_related("checked_by").order_by("-checked_on", "-created_at")[:limit]
    )


def service_latest_checks(service_ids: Iterable[int]) -> dict[int, ServiceCheck]:
    """The latest pre-referral check of each of these services, in one query (for lists)."""
    latest: dict[int, ServiceCheck] = {}
    checks = (
        ServiceCheck.objects.filter(service_id__in=list(service_ids))
        .select_related("checked_by")
        .order_by("service_id", "-checked_on", "-created_at")
    )
    for check in checks:
        latest.setdefault(check.service_id, check)
    return latest


def provider_staff(service: Service) -> QuerySet[User]:
    """Who hears about a listing: the active provider staff of the organisation that keeps it."""
    organisation_id = service.provider.organisation_id
    if organisation_id is None:
        return User.objects.none()
    return (
        User.objects.filter(role=Role.PROVIDER, organisation_id=organisation_id, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
