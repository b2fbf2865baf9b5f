"""Reads behind the public Open Referral UK API (`directory/api/`).

What is public: active services, and paused ones (shown with the HSDS status
"temporarily closed", so that a directory reading ours can say so rather than
lose them). Closed services never leave the building. Every other object is
public only as part of a public service, except taxonomies and organizations,
which are public in their own right.
"""

from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from . import search
from .models import Provider, Schedule, Service, ServiceAtLocation, Taxonomy, TaxonomyTerm
from .postcodes import Place

PUBLIC_STATUSES = [Service.Status.ACTIVE, Service.Status.PAUSED]


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


def oruk_services() -> QuerySet[Service]:
    return Service.objects.filter(status__in=PUBLIC_STATUSES)


def oruk_services_filtered(filters: ServiceFilters) -> QuerySet[Service]:
    """Public services matching every filter given; best match first when searching."""
    services = oruk_services()
    if filters.taxonomy_term_id:
        services = services.filter(
            Exists(
                Service.taxonomy_terms.through.objects.filter(
                    service_id=OuterRef("pk"), taxonomyterm__uuid=filters.taxonomy_term_id
                )
            )
        )
    if filters.taxonomy_id:
        services = services.filter(
            Exists(
                Service.taxonomy_terms.through.objects.filter(
                    service_id=OuterRef("pk"), taxonomyterm__taxonomy__uuid=filters.taxonomy_id
                )
            )
        )
    # The profile's wording, taken literally: "a minimum age of at least" the value and
    # "a maximum age equal to or below" it. Services without that age limit do not match.
    if filters.minimum_age is not None:
        services = services.filter(minimum_age__gte=filters.minimum_age)
    if filters.maximum_age is not None:
        services = services.filter(maximum_age__lte=filters.maximum_age)
    # Day and times must hold for the same session: "on Tuesdays, starting from 10:00".
    sessions = Q()
    if filters.day is not None:
        sessions &= Q(weekday=filters.day)
    if filters.start_time is not None:
        sessions &= Q(opens_at__gte=filters.start_time)
    if filters.end_time is not None:
        sessions &= Q(closes_at__lte=filters.end_time)
    if sessions:
        services = services.filter(
            Exists(Schedule.objects.filter(sessions, service_id=OuterRef("pk")))
        )
    if filters.modified_after is not None:
        services = services.filter(updated_at__gte=filters.modified_after)
    if filters.search:
        services = search.keyword_search(services, filters.search)
        if search.ranks_matches():
            return services.order_by(F("rank").desc(), "name", "pk")
    return services.order_by("name", "pk")


def oruk_service_at_locations(
    filters: ServiceFilters, *, near: Place | None = None, proximity: float | None = None
) -> QuerySet[ServiceAtLocation]:
    """Public services at their locations; nearest first from `near`, within `proximity` metres.

    Without a position a location cannot be near anything: it comes last when
    ordering by distance and is left out when a proximity is given.
    """
    services = oruk_services_filtered(filters).order_by().values("pk")
    rows = ServiceAtLocation.objects.filter(service__in=services)
    if near is None:
        return rows.order_by("service__name", "location__name", "pk")
    distance_squared = (F("location__easting") - near.easting) ** 2 + (
        F("location__northing") - near.northing
    ) ** 2
    rows = rows.alias(distance_squared=distance_squared)
    if proximity is not None:
        # The bounding box lets the grid index do the first cut; the circle does the rest.
        reach = int(proximity) + 1
        rows = rows.filter(
            location__easting__range=(near.easting - reach, near.easting + reach),
            location__northing__range=(near.northing - reach, near.northing + reach),
            distance_squared__lte=proximity**2,
        )
    return rows.order_by(F("distance_squared").asc(nulls_last=True), "service__name", "pk")


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
