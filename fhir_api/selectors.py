"""The rows the facade shows, each already scoped to the asking client (out of scope = 404).

Referrals come from referrals.selectors exactly as the partner API takes them;
the directory from the Open Referral API's public selectors.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404

from directory import oruk_selectors
from directory.models import Location, Provider, Service
from referrals import selectors as referral_selectors
from referrals.models import ApiIdempotencyKey, PersonAsReferred, Referral

# A conditional create keeps the request's identifier as the partner API's idempotency key,
# under this prefix: `fhir-identifier:<system>|<value>`.
IDENTIFIER_KEY_PREFIX = "fhir-identifier:"


def identifier_key(system: str, value: str) -> str:
    return f"{IDENTIFIER_KEY_PREFIX}{system}|{value}"


def referrals_for(client) -> QuerySet[Referral]:
    return (
        referral_selectors.referrals_visible_to_api_client(client)
        .select_related("scheme", "person", "referring_organisation")
        .order_by("-updated_at", "-pk")
    )


def referral_for(client, resource_id: str) -> Referral:
    try:
        return referrals_for(client).get(uuid=resource_id)
    except (Referral.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise Http404 from None


def patient_details_for(client, resource_id: str) -> dict | None:
    """The person as the client's organisation referred them (a Patient's id is its referral's),
    as details for a new referral; None for an id that is unknown or another's."""
    try:
        referral = referral_for(client, resource_id)
    except Http404:
        return None
    person = referral.person_as_referred
    details = {key: getattr(person, key) for key in PersonAsReferred.FIELDS}
    return {key: value for key, value in details.items() if value not in (None, "")}


def referrals_with_identifier(client, system: str, value: str) -> QuerySet[Referral]:
    keys = ApiIdempotencyKey.objects.filter(
        api_client__organisation_id=client.organisation_id, key=identifier_key(system, value)
    )
    return referrals_for(client).filter(pk__in=keys.values("referral_id"))


def request_identifiers(client, referrals) -> dict[int, list[tuple[str, str]]]:
    """The identifiers partners gave each referral's ServiceRequest, in one query."""
    found: dict[int, list[tuple[str, str]]] = {}
    rows = ApiIdempotencyKey.objects.filter(
        api_client__organisation_id=client.organisation_id,
        referral_id__in=[r.pk for r in referrals],
        key__startswith=IDENTIFIER_KEY_PREFIX,
    ).values_list("referral_id", "key")
    for referral_id, key in rows.order_by("pk"):
        system, _bar, value = key[len(IDENTIFIER_KEY_PREFIX) :].partition("|")
        found.setdefault(referral_id, []).append((system, value))
    return found


def healthcare_services() -> QuerySet[Service]:
    return (
        oruk_selectors.oruk_services()
        .select_related("provider")
        .prefetch_related("taxonomy_terms", "at_locations__location")
        .order_by("name", "pk")
    )


def healthcare_service(resource_id: str) -> Service:
    return _get(healthcare_services(), resource_id)


def organizations() -> QuerySet[Provider]:
    return oruk_selectors.oruk_organizations()


def organization(resource_id: str) -> Provider:
    return _get(organizations(), resource_id)


def locations() -> QuerySet[Location]:
    """Places where a public service happens (a place with none is nobody's business)."""
    public = oruk_selectors.oruk_public_service_at_locations().values("location_id")
    return Location.objects.filter(pk__in=public).select_related("provider").order_by("name", "pk")


def location(resource_id: str) -> Location:
    return _get(locations(), resource_id)


def _get(queryset, resource_id):
    try:
        return queryset.get(uuid=resource_id)
    except (queryset.model.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise Http404 from None
