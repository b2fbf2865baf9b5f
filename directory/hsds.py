"""Our directory as Open Referral HSDS 3.0 in its UK profile (ORUK): one place for the shape.

The ORUK API (`directory/api/`) and the `export_hsds` command both serialise
through these functions, so what the API serves and what a file holds are the
same. `import_hsds` reads the same shape back (`directory.services.service_import_hsds`).

The profile's objects have fields for which we keep no row of our own
(languages, addresses, accessibility entries, cost options, attributes, phones,
organization identifiers). Their ids are derived with uuid5 from the owning
row's uuid and a fixed name, so they are stable from one response to the next.

Empty values are left out rather than sent as null or "": the profile types
every field as a plain string or number, and an empty email or URL would not be
a valid one.
"""

import uuid
from pathlib import Path

from django.conf.locale import LANG_INFO
from django.db.models import Prefetch

from .models import (
    Location,
    Provider,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

HSDS_VERSION = "HSDS-UK-3.0"
# Where the profile lives: the base of every schema `$ref` in the profile's openapi.json.
PROFILE_URL = "https://raw.githubusercontent.com/openreferral/uk-profile/main"
ORUK_DIR = Path(__file__).resolve().parent / "oruk"
OPENAPI_PATH = ORUK_DIR / "schema" / "openapi.json"

STATUS_TO_HSDS: dict[str, str] = {
    Service.Status.ACTIVE: "active",
    Service.Status.PAUSED: "temporarily closed",
    Service.Status.CLOSED: "defunct",
}
BYDAY: dict[int, str] = {
    Schedule.Weekday.MONDAY: "MO",
    Schedule.Weekday.TUESDAY: "TU",
    Schedule.Weekday.WEDNESDAY: "WE",
    Schedule.Weekday.THURSDAY: "TH",
    Schedule.Weekday.FRIDAY: "FR",
    Schedule.Weekday.SATURDAY: "SA",
    Schedule.Weekday.SUNDAY: "SU",
}
WEEKDAY_FROM_BYDAY = {code: day for day, code in BYDAY.items()}

# The location's accessibility flags travel as accessibility entries with these descriptions.
ACCESSIBILITY_FLAGS = {
    "step_free_access": "Step-free access",
    "hearing_loop": "Hearing loop",
    "accessible_toilet": "Accessible toilet",
}
# The first letter of a GSS local authority code says which nation it is in.
NATIONS = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}
# Charities registered in England and Wales (org-id.guide scheme).
CHARITY_SCHEME = "GB-CHC"


def derived_id(owner_uuid: uuid.UUID, name: str) -> str:
    """A stable id for an HSDS object we keep no row for, derived from its owner's uuid."""
    return str(uuid.uuid5(owner_uuid, name))


def _compact(data: dict, *, required: tuple = ()) -> dict:
    """Without empty values, except the keys the profile requires (present even when empty)."""
    return {
        key: value for key, value in data.items() if key in required or value not in (None, "", [])
    }


# --- querysets with everything each shape needs, in a fixed number of queries ---


def _terms_prefetch(lookup: str) -> Prefetch:
    return Prefetch(lookup, queryset=TaxonomyTerm.objects.select_related("taxonomy", "parent"))


def services_for_list(queryset):
    return queryset.select_related("provider")


def services_for_full(queryset):
    return queryset.select_related("provider").prefetch_related(
        Prefetch(
            "at_locations",
            queryset=ServiceAtLocation.objects.select_related("location").order_by(
                "location__name", "pk"
            ),
        ),
        Prefetch("schedules", queryset=Schedule.objects.select_related("service_at_location")),
        "contacts",
        _terms_prefetch("taxonomy_terms"),
    )


def service_at_locations_for_list(queryset):
    return queryset.select_related("service__provider", "location")


def service_at_locations_for_full(queryset):
    return queryset.select_related("service__provider", "location").prefetch_related(
        Prefetch(
            "service__schedules",
            queryset=Schedule.objects.select_related("service_at_location"),
        ),
        "service__contacts",
        _terms_prefetch("service__taxonomy_terms"),
    )


def taxonomies_with_terms(queryset):
    return queryset.prefetch_related(_terms_prefetch("terms"))


def taxonomy_terms_for_list(queryset):
    return queryset.select_related("taxonomy", "parent")


# --- shapes ---


def taxonomy_term(term: TaxonomyTerm) -> dict:
    return _compact(
        {
            "id": str(term.uuid),
            "name": term.name,
            "description": term.description,
            "code": term.code,
            "parent_id": str(term.parent.uuid) if term.parent is not None else None,
            "taxonomy": term.taxonomy.name,
            "taxonomy_id": str(term.taxonomy.uuid),
            "term": term.name,
        },
        required=("description",),
    )


def taxonomy(tax: Taxonomy, *, with_terms: bool = False) -> dict:
    data = _compact(
        {
            "id": str(tax.uuid),
            "name": tax.name,
            "description": tax.description,
            "uri": tax.uri,
            "version": tax.version,
        },
        required=("description",),
    )
    if with_terms:
        data["taxonomy_terms"] = [taxonomy_term(term) for term in tax.terms.all()]
    return data


def organization(provider: Provider) -> dict:
    return _compact(
        {
            "id": str(provider.uuid),
            "name": provider.name,
            "description": provider.description,
            "email": provider.email,
            "website": provider.website,
            "phones": [{"id": derived_id(provider.uuid, "phone"), "number": provider.phone}]
            if provider.phone
            else [],
        },
        required=("description",),
    )


def organization_full(provider: Provider, services=None) -> dict:
    """The organization with its identifiers, and its services when they are given."""
    data = organization(provider)
    if provider.charity_number:
        data["organization_identifiers"] = [
            {
                "id": derived_id(provider.uuid, "charity_number"),
                "organization_id": str(provider.uuid),
                "identifier_scheme": CHARITY_SCHEME,
                "identifier_type": "Charity number",
                "identifier": provider.charity_number,
            }
        ]
    if services is not None:
        data["services"] = [service_summary(service) for service in services]
    return data


def service_summary(service: Service) -> dict:
    """The one-to-one fields of a service and its organization (an item of a /services page)."""
    return _compact(
        {
            "id": str(service.uuid),
            "organization_id": str(service.provider.uuid),
            "name": service.name,
            "description": service.description,
            "url": service.url,
            "email": service.email,
            "status": STATUS_TO_HSDS[service.status],
            "fees": service.cost_description,
            "minimum_age": service.minimum_age,
            "maximum_age": service.maximum_age,
            "assured_date": service.last_reviewed_on.isoformat()
            if service.last_reviewed_on
            else None,
            "alert": _alert(service),
            "last_modified": service.updated_at.isoformat(),
            "organization": organization(service.provider),
        }
    )


def _alert(service: Service) -> str:
    if service.capacity == Service.Capacity.WAITING_LIST:
        return f"Waiting list: {Service.WaitingBand(service.waiting_band).label}"
    if service.capacity == Service.Capacity.FULL:
        return "Full: not taking new people at present"
    return ""


def location(loc: Location, *, full: bool = True) -> dict:
    data = _compact(
        {
            "id": str(loc.uuid),
            "location_type": "physical",
            "name": loc.name,
            "latitude": float(loc.latitude) if loc.latitude is not None else None,
            "longitude": float(loc.longitude) if loc.longitude is not None else None,
        }
    )
    if not full:
        return data
    if loc.address_1 or loc.city or loc.postcode:
        # address_1, city, state_province, postal_code and country are required keys.
        data["addresses"] = [
            {
                "id": derived_id(loc.uuid, "address"),
                "location_id": str(loc.uuid),
                "address_1": loc.address_1,
                "address_2": loc.address_2,
                "city": loc.city,
                "state_province": NATIONS.get(loc.local_authority[:1], ""),
                "postal_code": loc.postcode,
                "country": "GB",
                "address_type": "physical",
            }
        ]
    accessibility = [
        {
            "id": derived_id(loc.uuid, f"accessibility:{flag}"),
            "location_id": str(loc.uuid),
            "description": label,
        }
        for flag, label in ACCESSIBILITY_FLAGS.items()
        if getattr(loc, flag)
    ]
    if loc.accessibility_notes:
        accessibility.append(
            {
                "id": derived_id(loc.uuid, "accessibility:notes"),
                "location_id": str(loc.uuid),
                "details": loc.accessibility_notes,
            }
        )
    if accessibility:
        data["accessibility"] = accessibility
    return data


def schedule(session: Schedule) -> dict:
    return _compact(
        {
            "id": str(session.uuid),
            "service_at_location_id": str(session.service_at_location.uuid)
            if session.service_at_location is not None
            else None,
            "freq": "WEEKLY",
            "interval": 1,
            "byday": BYDAY[session.weekday],
            "opens_at": session.opens_at.strftime("%H:%M:%S"),
            "closes_at": session.closes_at.strftime("%H:%M:%S"),
            "notes": session.notes,
        }
    )


def _language_name(code: str) -> str:
    return LANG_INFO.get(code, {}).get("name", code)


def languages(service: Service) -> list[dict]:
    codes = ["en"] + (["cy"] if service.welsh_offered else [])
    codes += [
        code.strip().lower()
        for code in service.other_languages.split(",")
        if code.strip() and code.strip().lower() not in ("en", "cy")
    ]
    return [
        {
            "id": derived_id(service.uuid, f"language:{code}"),
            "service_id": str(service.uuid),
            "name": _language_name(code),
            "code": code,
        }
        for code in codes
    ]


def cost_options(service: Service) -> list[dict]:
    option = {"id": derived_id(service.uuid, "cost"), "service_id": str(service.uuid)}
    if service.is_free:
        return [option | {"option": "Free", "amount": 0}]
    return [
        option
        | _compact(
            {
                "option": "Charge",
                "amount_description": service.cost_description or "There is a cost",
            }
        )
    ]


def _attribute(service: Service, term: TaxonomyTerm) -> dict:
    return {
        "id": derived_id(service.uuid, f"attribute:{term.uuid}"),
        "link_id": str(service.uuid),
        "link_type": "service",
        "taxonomy_term_id": str(term.uuid),
        "taxonomy_term": taxonomy_term(term),
    }


def contact(person) -> dict:
    return _compact(
        {
            "id": str(person.uuid),
            "name": person.name,
            "title": person.title,
            "email": person.email,
            "phones": [{"id": derived_id(person.uuid, "phone"), "number": person.phone}]
            if person.phone
            else [],
        }
    )


def _service_at_location_brief(sal: ServiceAtLocation) -> dict:
    return {
        "id": str(sal.uuid),
        "service_id": str(sal.service.uuid),
        "location_id": str(sal.location.uuid),
        "location": location(sal.location),
    }


def _service_details(service: Service, sessions) -> dict:
    data = service_summary(service)
    data |= _compact(
        {
            "eligibility_description": service.eligibility,
            "application_process": service.how_to_access,
            "phones": [{"id": derived_id(service.uuid, "phone"), "number": service.phone}]
            if service.phone
            else [],
        }
    )
    data["organization"] = organization_full(service.provider)
    service_id = {"service_id": str(service.uuid)}
    data["schedules"] = [schedule(session) | service_id for session in sessions]
    data["languages"] = languages(service)
    data["cost_options"] = cost_options(service)
    data["contacts"] = [contact(person) | service_id for person in service.contacts.all()]
    data["attributes"] = [_attribute(service, term) for term in service.taxonomy_terms.all()]
    return data


def service_full(service: Service) -> dict:
    """The whole service (/services/{id}): organization, locations, sessions, categories."""
    data = _service_details(service, service.schedules.all())
    data["service_at_locations"] = [
        _service_at_location_brief(sal) for sal in service.at_locations.all()
    ]
    return data


def service_at_location_summary(sal: ServiceAtLocation) -> dict:
    return {
        "id": str(sal.uuid),
        "service_id": str(sal.service.uuid),
        "location_id": str(sal.location.uuid),
        "location": location(sal.location, full=False),
        "service": service_summary(sal.service),
    }


def service_at_location_full(sal: ServiceAtLocation) -> dict:
    """A service at one location: the location in full and the service with its sessions there."""
    sessions = [
        session
        for session in sal.service.schedules.all()
        if session.service_at_location_id in (None, sal.pk)
    ]
    return {
        "id": str(sal.uuid),
        "service_id": str(sal.service.uuid),
        "location_id": str(sal.location.uuid),
        "location": location(sal.location),
        "service": _service_details(sal.service, sessions),
    }
