"""Reads for the directory, shared by the public pages and the Open Referral API.

The directory is public: what a reader may see is every active service (and
the page of a paused one, which says so); closed services are gone.
"""

from collections.abc import Iterable
from typing import Any, TypeGuard
from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Exists,
    F,
    Field,
    Min,
    OrderBy,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, NullIf, Power, Sqrt
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Role, User

from . import search
from .models import Schedule, Service, ServiceAtLocation, ServiceChange, ServiceCheck, TaxonomyTerm
from .postcodes import Place

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


def _nearest_location_distance(near: Place) -> Subquery:
    """A subquery: the squared distance in m² from `near` to the service's nearest location."""
    squared = Power(F("location__easting") - near.easting, 2) + Power(
        F("location__northing") - near.northing, 2
    )
    return Subquery(
        ServiceAtLocation.objects.filter(
            service=OuterRef("pk"),
            location__easting__isnull=False,
            location__northing__isnull=False,
        )
        .values("service")
        .annotate(nearest=Min(squared))
        .values("nearest")[:1]
    )


def _display_name_key() -> Coalesce | F:
    if (get_language() or "").startswith("cy"):
        return Coalesce(NullIf("name_cy", Value("")), "name")
    return F("name")


def services_search(
    *,
    q: str = "",
    category: TaxonomyTerm | None = None,
    free_only: bool = False,
    weekday: int | None = None,
    welsh: bool = False,
    accessibility: tuple[str, ...] = (),
    near: Place | None = None,
) -> QuerySet[Service]:
    """Active services matching a reader's search, best first.

    Ordered by distance from `near` when given (each service carries
    `distance_m`, to its nearest location; services with no known place last),
    else by relevance to `q`, else by name. Everything a results page shows is
    prefetched, so a page costs the same number of queries whatever its size.
    """
    services = (
        Service.objects.filter(status=Service.Status.ACTIVE)
        .select_related("provider")
        .defer("search_vector")  # large, and no page shows it
    )
    q = (q or "").strip()
    ranked = bool(q) and search.ranks_matches()
    if q:
        services = search.keyword_search(services, q)
    if category is not None:
        services = services.filter(
            Exists(
                Service.taxonomy_terms.through.objects.filter(
                    service=OuterRef("pk"),
                    taxonomyterm__in=taxonomy_term_with_descendants(category),
                )
            )
        )
    if free_only:
        services = services.filter(is_free=True)
    if weekday is not None:
        services = services.filter(
            Exists(Schedule.objects.filter(service=OuterRef("pk"), weekday=weekday))
        )
    if welsh:
        services = services.filter(welsh_offered=True)
    for flag in accessibility:
        if flag not in ACCESSIBILITY_FLAGS:
            raise ValueError(f"unknown accessibility filter {flag!r}")
        services = services.filter(
            Exists(
                ServiceAtLocation.objects.filter(
                    service=OuterRef("pk"), **{f"location__{flag}": True}
                )
            )
        )

    # Alphabetical in the reader's language (Welsh names fall back to English ones).
    by_name: list[str | F | Coalesce | OrderBy] = [_display_name_key(), "pk"]
    if near is not None:
        # Nearest first; relevance would only break ties between services in one place.
        services = services.annotate(distance_m=Sqrt(_nearest_location_distance(near)))
        ordering = [F("distance_m").asc(nulls_last=True), *by_name]
    elif ranked:
        ordering = [F("rank").desc(), *by_name]
    else:
        ordering = by_name
    return services.order_by(*ordering).prefetch_related(
        "taxonomy_terms",
        "schedules",
        Prefetch(
            "at_locations",
            queryset=ServiceAtLocation.objects.select_related("location").order_by("pk"),
        ),
    )


def get_service(uuid: UUID | str) -> Service:
    """One service's page: 404 when there is none or it has closed."""
    return get_object_or_404(
        Service.objects.exclude(status=Service.Status.CLOSED)
        .select_related("provider")
        .defer("search_vector")
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
