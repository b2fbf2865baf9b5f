"""Reads behind the public Open Referral UK API (`directory/api/`).

What is public: active services, and paused ones (shown with the HSDS status
"temporarily closed", so that a directory reading ours can say so rather than
lose them). Closed services never leave the building. Every other object is
public only as part of a public service, except taxonomies and organizations,
which are public in their own right.
"""

from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat

from . import search
from .models import Provider, Schedule, Service, ServiceAtLocation, Taxonomy, TaxonomyTerm
from .postcodes import Place
from .search import nearest as search_nearest
from .search.nearest import GridDistance

PUBLIC_STATUSES = [Service.Status.ACTIVE, Service.Status.PAUSED]

# A search (`search`, or `postcode`) answers its best SEARCH_LIMIT matches at most, and its
# `total_items` counts up to there: counting every match of a broad word (as a harvester's
# plain listing still does) would cost more than finding the page. Said in the API's
# metadata (`/api/oruk/`) and the README ("Open Referral API").
SEARCH_LIMIT = 300


@dataclass(frozen=True)
class ServiceFilters:
    """The profile's service filters, already parsed; every one given must match (AND)."""

    search: str = ""
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None
    start_time: time | None = None
    end_time: time | None = None
    day: int | None = None
    modified_after: datetime | None = None


def search_limit(filters: ServiceFilters, near: Place | None = None) -> int | None:
    """How many matches a list answers at most: SEARCH_LIMIT when searching, else None."""
    return SEARCH_LIMIT if filters.search or near is not None else None


def oruk_services() -> QuerySet[Service]:
    return Service.objects.filter(status__in=PUBLIC_STATUSES)


def _conditions(filters: ServiceFilters, prefix: str = "") -> list[Q | Exists]:
    """Every filter given, on a service reached through `prefix` ("" or "service__")."""
    service = OuterRef("service_id" if prefix else "pk")
    conditions: list[Q | Exists] = [Q(**{f"{prefix}status__in": PUBLIC_STATUSES})]
    if filters.taxonomy_term_id:
        conditions.append(
            Exists(
                Service.taxonomy_terms.through.objects.filter(
                    service_id=service, taxonomyterm__uuid=filters.taxonomy_term_id
                )
            )
        )
    if filters.taxonomy_id:
        conditions.append(
            Exists(
                Service.taxonomy_terms.through.objects.filter(
                    service_id=service, taxonomyterm__taxonomy__uuid=filters.taxonomy_id
                )
            )
        )
    # The profile's wording, taken literally: "a minimum age of at least" the value and
    # "a maximum age equal to or below" it. Services without that age limit do not match.
    if filters.minimum_age is not None:
        conditions.append(Q(**{f"{prefix}minimum_age__gte": filters.minimum_age}))
    if filters.maximum_age is not None:
        conditions.append(Q(**{f"{prefix}maximum_age__lte": filters.maximum_age}))
    # Day and times must hold for the same session: "on Tuesdays, starting from 10:00".
    sessions = Q()
    if filters.day is not None:
        sessions &= Q(weekday=filters.day)
    if filters.start_time is not None:
        sessions &= Q(opens_at__gte=filters.start_time)
    if filters.end_time is not None:
        sessions &= Q(closes_at__lte=filters.end_time)
    if sessions:
        conditions.append(Exists(Schedule.objects.filter(sessions, service_id=service)))
    if filters.modified_after is not None:
        conditions.append(Q(**{f"{prefix}updated_at__gte": filters.modified_after}))
    return conditions


def _searched(filters: ServiceFilters) -> search.SearchPlan | None:
    """The directory's own search of `filters.search` (None when not searching)."""
    if not filters.search:
        return None
    return search.plan_for(Service.objects.filter(*_conditions(filters)), filters.search)


def oruk_services_filtered(filters: ServiceFilters) -> QuerySet[Service]:
    """Public services matching every filter given; best match first when searching."""
    services = Service.objects.filter(*_conditions(filters))
    plan = _searched(filters)
    if plan is None:
        return services.order_by("name", "pk")
    condition = plan.condition()
    if condition is not None:
        services = services.filter(condition)
    # In the directory page's order: its tiers, or the score of a relaxed search.
    rank = plan.tier() or plan.score()
    if rank is None:
        return services.order_by("name", "pk")
    return services.annotate(rank=rank).order_by(F("rank").desc(), "name", "pk")


def oruk_services_searched_page(
    filters: ServiceFilters, *, start: int, stop: int, few: bool
) -> list[int] | None:
    """Ids of services[start:stop] of `oruk_services_filtered`, in its order, read a tier at
    a time as the directory page reads them (`ServiceResults._best`): each tier a query that
    stops at the page's end, rather than ranking every match. `few`: the search matches
    fewer than SEARCH_LIMIT (then each tier is sorted whole from the GIN index's matches).
    None when the order is not by tiers (no search, or a relaxed one)."""
    plan = _searched(filters)
    tiers = plan.tiers() if plan is not None else None
    condition = plan.condition() if plan is not None else None
    if tiers is None or condition is None:
        return None
    services = Service.objects.filter(*_conditions(filters)).filter(condition)
    name_key = Concat(F("name"), Value("")) if few else F("name")
    ids: list[int] = []
    for tier in tiers:
        if len(ids) >= stop:
            break
        ids += (
            services.filter(tier)
            .order_by(name_key, "pk")
            .values_list("pk", flat=True)[: stop - len(ids)]
        )
    return ids[start:stop]


def oruk_service_at_locations(
    filters: ServiceFilters, *, near: Place | None = None, proximity: float | None = None
) -> QuerySet[ServiceAtLocation]:
    """Public services at their locations, by service name (`oruk_service_at_locations_near`
    when nearest first); within `proximity` metres of `near` when both are given.

    Without a position a location cannot be near anything: it is left out when a
    proximity is given.
    """
    rows = ServiceAtLocation.objects.filter(*_conditions(filters, "service__"))
    plan = _searched(filters)
    condition = plan.condition("service__") if plan is not None else None
    if condition is not None:
        rows = rows.filter(condition)
    if near is not None and proximity is not None:
        # The bounding box lets the grid index do the first cut; the circle does the rest.
        reach = int(proximity) + 1
        rows = rows.alias(distance=GridDistance(near)).filter(
            location__easting__range=(near.easting - reach, near.easting + reach),
            location__northing__range=(near.northing - reach, near.northing + reach),
            distance__lte=proximity,
        )
    return rows.order_by("service__name", "location__name", "pk")


def oruk_service_at_locations_near(
    rows: QuerySet[ServiceAtLocation], near: Place, *, start: int, stop: int
) -> list[tuple[int, float | None]]:
    """(row id, metres) of rows[start:stop] (from `oruk_service_at_locations`) nearest
    first from `near`, rows at the same distance by service name; rows without a
    position last, by service name. Walks the locations' grid index outwards
    (directory.search.nearest), so a page costs the same however many rows match."""
    placed = rows.filter(location__easting__isnull=False, location__northing__isnull=False)
    nearest, everything = search_nearest.nearest_services(
        placed.annotate(service_name=F("service__name")),
        near,
        stop,
        then=("service_name",),
        key="pk",
    )
    found: list[tuple[int, float | None]] = [(pk, metres) for pk, metres in nearest[start:stop]]
    if everything and len(nearest) < stop:
        unplaced = rows.exclude(pk__in=placed.values("pk")).values_list("pk", flat=True)[
            max(0, start - len(nearest)) : stop - len(nearest)
        ]
        found += [(pk, None) for pk in unplaced]
    return found


def oruk_public_service_at_locations() -> QuerySet[ServiceAtLocation]:
    return ServiceAtLocation.objects.filter(service__status__in=PUBLIC_STATUSES)


def oruk_taxonomies() -> QuerySet[Taxonomy]:
    return Taxonomy.objects.order_by("name", "pk")


def oruk_taxonomy_terms(
    *, taxonomy_id: str | None = None, parent_id: str | None = None, top_only: bool = False
) -> QuerySet[TaxonomyTerm]:
    terms = TaxonomyTerm.objects.all()
    if taxonomy_id:
        terms = terms.filter(taxonomy__uuid=taxonomy_id)
    if parent_id:
        terms = terms.filter(parent__uuid=parent_id)
    if top_only:
        terms = terms.filter(parent__isnull=True)
    return terms.order_by("name", "pk")


def oruk_organizations() -> QuerySet[Provider]:
    return Provider.objects.order_by("name", "pk")
