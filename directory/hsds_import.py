"""Reading HSDS / ORUK records into plans the import can write, or rejecting them with a reason.

Nothing here writes. `plan_service` checks one service record from a feed
against what our models can hold and returns a `ServicePlan`, or raises
`HsdsRejected` saying what is wrong (`location 3a19...: latitude 100 is out of
range`). `directory.services.service_import_hsds` then writes the plan in one
transaction, so an invalid record never half-imports.

A child collection missing from a record (no `schedules` key at all, as in a
/services list item) leaves what we hold alone; one present, even empty,
replaces it.
"""

import contextlib
import json
import math
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from uuid import UUID

from django.conf.locale import LANG_INFO
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_time
from django.utils.text import slugify

from core.postcodes import normalise_postcode

from . import postcodes
from .hsds import ACCESSIBILITY_FLAGS, CHARITY_SCHEME, WEEKDAY_FROM_BYDAY
from .models import (
    Contact,
    Location,
    Provider,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

HSDS_STATUSES = {
    "active": Service.Status.ACTIVE,
    "temporarily closed": Service.Status.PAUSED,
    "inactive": Service.Status.PAUSED,
    "defunct": Service.Status.CLOSED,
}
CHARITY_SCHEMES = {CHARITY_SCHEME, "GB-SC", "GB-NIC"}
# Terms a feed names without a taxonomy of their own go into this one.
DEFAULT_TAXONOMY = "Imported categories"
# Great Britain on the National Grid, with a margin: anything else is not a place we serve.
GRID_EASTING = (0, 700_000)
GRID_NORTHING = (0, 1_300_000)


class HsdsRejected(ValueError):
    """A record we cannot import; the message says which part and why."""


@dataclass
class OrganizationPlan:
    uuid: UUID
    fields: dict


@dataclass
class LocationPlan:
    uuid: UUID
    fields: dict


@dataclass
class SessionPlan:
    uuid: UUID
    fields: dict
    at_location: UUID | None


@dataclass
class TermPlan:
    uuid: UUID
    taxonomy_uuid: UUID | None
    taxonomy_name: str
    code: str
    name: str
    description: str
    parent_uuid: UUID | None


@dataclass
class ServicePlan:
    uuid: UUID
    fields: dict
    organization: OrganizationPlan
    # None: the record says nothing about them, so leave ours as they are.
    locations: list[tuple[UUID, LocationPlan]] | None = None
    sessions: list[SessionPlan] | None = None
    contacts: list[tuple[UUID, dict]] | None = None
    terms: list[TermPlan] | None = None


def record_uuid(value, *, kind: str, namespace: str) -> UUID:
    """Our uuid for an HSDS id.

    HSDS 3 ids are UUIDs and we keep them as they are, so a record matches its
    earlier import. Older feeds use other ids ("42", "svc-garden"): for those
    we derive a uuid5 from the feed (its URL or file), the kind of object and
    the id, which is the same on every run of the same feed.
    """
    if value is None or str(value).strip() == "":
        raise HsdsRejected(f"{kind}: id is required")
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"{namespace}#{kind}/{value}")


def _text(record: dict, key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise HsdsRejected(f"{key} must be text")
    return str(value).strip()


def _clean(model, fields: dict, label: str) -> dict:
    """Each value as the model field would clean it; the first problem rejects the record."""
    cleaned = {}
    for name, value in fields.items():
        try:
            cleaned[name] = model._meta.get_field(name).clean(value, None)
        except ValidationError as error:
            raise HsdsRejected(f"{label}: {name}: {' '.join(error.messages)}") from error
    return cleaned


def _first_phone(record: dict) -> str:
    phones = record.get("phones") or []
    if isinstance(phones, list) and phones and isinstance(phones[0], dict):
        return _text(phones[0], "number")
    return ""


def _list(record: dict, key: str, label: str) -> list | None:
    if key not in record:
        return None
    value = record[key] or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise HsdsRejected(f"{label}: {key} must be a list of objects")
    return value


# --- organization ---


def plan_organization(record: dict, *, namespace: str) -> OrganizationPlan:
    org_uuid = record_uuid(record.get("id"), kind="organization", namespace=namespace)
    label = f"organization {record.get('id')}"
    if not _text(record, "name"):
        raise HsdsRejected(f"{label}: name is required")
    charity_number = ""
    for identifier in _list(record, "organization_identifiers", label) or []:
        scheme = _text(identifier, "identifier_scheme")
        kind = _text(identifier, "identifier_type").lower()
        if scheme in CHARITY_SCHEMES or "charity" in kind:
            charity_number = _text(identifier, "identifier")
            break
    fields = _clean(
        Provider,
        {
            "name": _text(record, "name"),
            "description": _text(record, "description"),
            "email": _text(record, "email"),
            "website": _text(record, "website"),
            "phone": _first_phone(record),
            "charity_number": charity_number,
        },
        label,
    )
    return OrganizationPlan(org_uuid, fields)


def _service_organization(record: dict, *, namespace: str) -> OrganizationPlan:
    if isinstance(record.get("organization"), dict):
        return plan_organization(record["organization"], namespace=namespace)
    if record.get("organization_id"):
        org_uuid = record_uuid(record["organization_id"], kind="organization", namespace=namespace)
        provider = Provider.objects.filter(uuid=org_uuid).first()
        if provider is None:
            raise HsdsRejected(f"organization {record['organization_id']} is unknown")
        return OrganizationPlan(org_uuid, {})
    raise HsdsRejected("organization is required")


# --- location ---


def _number(value, label: str, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise HsdsRejected(f"{label}: {name} {value!r} is not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise HsdsRejected(f"{label}: {name} {value!r} is not a number")
    return number


def _position(record: dict, postcode: str, label: str) -> dict:
    """Easting/northing and latitude/longitude from the record's coordinates, else its postcode."""
    latitude, longitude = record.get("latitude"), record.get("longitude")
    if latitude is not None and longitude is not None:
        latitude = _number(latitude, label, "latitude")
        longitude = _number(longitude, label, "longitude")
        if not -90 <= latitude <= 90:
            raise HsdsRejected(f"{label}: latitude {latitude:g} is out of range")
        if not -180 <= longitude <= 180:
            raise HsdsRejected(f"{label}: longitude {longitude:g} is out of range")
        easting, northing = postcodes.latlon_to_grid(latitude, longitude)
        if not (
            GRID_EASTING[0] <= easting <= GRID_EASTING[1]
            and GRID_NORTHING[0] <= northing <= GRID_NORTHING[1]
        ):
            raise HsdsRejected(
                f"{label}: latitude {latitude:g}, longitude {longitude:g} is outside Great Britain"
            )
        local_authority = ""
        # The coordinates place it; the postcode only adds the local authority when known.
        with contextlib.suppress(postcodes.PostcodeError):
            local_authority = postcodes.lookup(postcode).local_authority if postcode else ""
        return {
            "latitude": round(Decimal(str(latitude)), 6),
            "longitude": round(Decimal(str(longitude)), 6),
            "easting": easting,
            "northing": northing,
            "local_authority": local_authority,
        }
    if postcode:
        try:
            place = postcodes.lookup(postcode)
        except postcodes.PostcodeError as error:
            raise HsdsRejected(f"{label}: {error}") from error
        latitude, longitude = postcodes.grid_to_latlon(place.easting, place.northing)
        return {
            "latitude": latitude,
            "longitude": longitude,
            "easting": place.easting,
            "northing": place.northing,
            "local_authority": place.local_authority,
        }
    # A location with neither (an online service's): kept, but never "near" anywhere.
    return {
        "latitude": None,
        "longitude": None,
        "easting": None,
        "northing": None,
        "local_authority": "",
    }


def plan_location(record: dict, *, namespace: str) -> LocationPlan:
    loc_uuid = record_uuid(record.get("id"), kind="location", namespace=namespace)
    label = f"location {record.get('id')}"
    addresses = _list(record, "addresses", label) or []
    physical = [a for a in addresses if a.get("address_type", "physical") == "physical"]
    address = (physical or addresses or [{}])[0]
    postcode = _text(address, "postal_code")
    if postcode:
        try:
            postcode = normalise_postcode(postcode)
        except postcodes.PostcodeError as error:
            raise HsdsRejected(f"{label}: {error}") from error
    flags = dict.fromkeys(ACCESSIBILITY_FLAGS, False)
    notes = []
    by_label = {text.lower(): flag for flag, text in ACCESSIBILITY_FLAGS.items()}
    for entry in _list(record, "accessibility", label) or []:
        description = _text(entry, "description")
        if description.lower() in by_label:
            flags[by_label[description.lower()]] = True
            description = ""
        text = " ".join(part for part in (description, _text(entry, "details")) if part)
        if text:
            notes.append(text)
    name = _text(record, "name") or _text(address, "address_1") or postcode
    if not name:
        raise HsdsRejected(f"{label}: name is required")
    fields = {
        "name": name,
        "address_1": _text(address, "address_1"),
        "address_2": _text(address, "address_2"),
        "city": _text(address, "city"),
        "postcode": postcode,
        **flags,
        "accessibility_notes": "\n".join(notes),
    }
    fields = _clean(Location, fields, label) | _position(record, postcode, label)
    return LocationPlan(loc_uuid, fields)


# --- schedules, languages, cost, contacts, categories ---


def _date(record: dict, key: str) -> date:
    raw = _text(record, key)
    try:
        parsed = parse_date(raw[:10])  # a date-time's date will do
    except ValueError:
        parsed = None
    if parsed is None:
        raise HsdsRejected(f"{key} {raw!r} is not a date")
    return parsed


def _time(record: dict, key: str, label: str) -> time:
    raw = _text(record, key)
    parsed = parse_time(raw) if raw else None
    if parsed is None:
        raise HsdsRejected(f"{label}: {key} {raw!r} is not a time such as 10:00")
    return parsed


def plan_sessions(records: list[dict], *, service_uuid, at_locations: set, namespace: str):
    sessions = []
    for index, record in enumerate(records):
        raw_id = record.get("id") or f"{service_uuid}/{index}"
        label = f"schedule {raw_id}"
        schedule_uuid = record_uuid(raw_id, kind="schedule", namespace=namespace)
        freq = _text(record, "freq").upper() or "WEEKLY"
        days = [day.strip().upper() for day in _text(record, "byday").split(",") if day.strip()]
        if freq != "WEEKLY" or not days or str(record.get("interval") or 1) not in ("1", "1.0"):
            raise HsdsRejected(
                f"{label}: only weekly sessions (freq WEEKLY, interval 1, byday) can be imported"
            )
        unknown = [day for day in days if day not in WEEKDAY_FROM_BYDAY]
        if unknown:
            raise HsdsRejected(f"{label}: byday {','.join(unknown)} is not a day such as MO or TU")
        opens_at, closes_at = _time(record, "opens_at", label), _time(record, "closes_at", label)
        if opens_at >= closes_at:
            raise HsdsRejected(f"{label}: opens_at must be before closes_at")
        at_location = None
        if record.get("service_at_location_id"):
            at_location = record_uuid(
                record["service_at_location_id"], kind="service_at_location", namespace=namespace
            )
            if at_location not in at_locations:
                raise HsdsRejected(
                    f"{label}: service_at_location_id {record['service_at_location_id']} "
                    "is not one of this service's locations"
                )
        notes = _clean(Schedule, {"notes": _text(record, "notes")}, label)["notes"]
        for day in days:
            # One of our sessions per day: a single day keeps the feed's id.
            day_uuid = schedule_uuid if len(days) == 1 else uuid.uuid5(schedule_uuid, day)
            sessions.append(
                SessionPlan(
                    day_uuid,
                    {
                        "weekday": WEEKDAY_FROM_BYDAY[day],
                        "opens_at": opens_at,
                        "closes_at": closes_at,
                        "notes": notes,
                    },
                    at_location,
                )
            )
    return sessions


_LANGUAGE_CODES = {info["name"].lower(): code for code, info in LANG_INFO.items() if "name" in info}
_LANGUAGE_CODES["cymraeg"] = "cy"


def _languages(records: list[dict]) -> dict:
    codes = []
    for record in records:
        code = _text(record, "code").lower() or _LANGUAGE_CODES.get(_text(record, "name").lower())
        # A language named in a way we cannot code (or only an id, as ORUK allows) says nothing.
        if code and code not in codes:
            codes.append(code)
    if not codes:
        return {}
    return {
        "welsh_offered": "cy" in codes,
        "other_languages": ",".join(code for code in codes if code not in ("en", "cy")),
    }


def _cost(record: dict, label: str) -> dict:
    options = _list(record, "cost_options", label)
    fees = _text(record, "fees")
    if options is None and "fees" not in record:
        return {}
    amounts = [
        _number(option["amount"], label, "amount")
        for option in options or []
        if option.get("amount") is not None
    ]
    if any(amount > 0 for amount in amounts):
        is_free = False
    elif amounts:
        is_free = True
    else:
        # Options with no amount, or only a fees text: there is a charge we cannot price.
        is_free = not (options or fees)
    descriptions = [_text(option, "amount_description") for option in options or []]
    description = fees or "; ".join(text for text in descriptions if text)
    return {"is_free": is_free} | _clean(Service, {"cost_description": description}, label)


def plan_term(record: dict, *, namespace: str) -> TermPlan:
    term_uuid = record_uuid(record.get("id"), kind="taxonomy_term", namespace=namespace)
    label = f"taxonomy term {record.get('id')}"
    name = _text(record, "name") or _text(record, "term")
    if not name:
        raise HsdsRejected(f"{label}: name is required")
    taxonomy_uuid = (
        record_uuid(record["taxonomy_id"], kind="taxonomy", namespace=namespace)
        if record.get("taxonomy_id")
        else None
    )
    parent_uuid = (
        record_uuid(record["parent_id"], kind="taxonomy_term", namespace=namespace)
        if record.get("parent_id")
        else None
    )
    fields = _clean(
        TaxonomyTerm,
        {
            "name": name,
            "code": slugify(_text(record, "code") or name)[:100],
            "description": _text(record, "description"),
        },
        label,
    )
    return TermPlan(
        term_uuid,
        taxonomy_uuid,
        _text(record, "taxonomy") or DEFAULT_TAXONOMY,
        fields["code"],
        fields["name"],
        fields["description"],
        parent_uuid,
    )


def _terms(records: list[dict], label: str, *, namespace: str) -> list[TermPlan]:
    terms = []
    for attribute in records:
        term = attribute.get("taxonomy_term")
        if isinstance(term, dict):
            terms.append(plan_term(term, namespace=namespace))
        elif attribute.get("taxonomy_term_id"):
            term_uuid = record_uuid(
                attribute["taxonomy_term_id"], kind="taxonomy_term", namespace=namespace
            )
            known = TaxonomyTerm.objects.filter(uuid=term_uuid).select_related("taxonomy").first()
            if known is None:
                raise HsdsRejected(
                    f"{label}: taxonomy term {attribute['taxonomy_term_id']} is unknown"
                )
            terms.append(
                TermPlan(known.uuid, known.taxonomy.uuid, "", known.code, known.name, "", None)
            )
    return terms


def _contacts(records: list[dict], *, service_uuid, namespace: str) -> list:
    contacts = []
    for index, record in enumerate(records):
        raw_id = record.get("id") or f"{service_uuid}/{index}"
        label = f"contact {raw_id}"
        if not _text(record, "name"):
            raise HsdsRejected(f"{label}: name is required")
        fields = _clean(
            Contact,
            {
                "name": _text(record, "name"),
                "title": _text(record, "title"),
                "email": _text(record, "email"),
                "phone": _first_phone(record),
            },
            label,
        )
        contacts.append((record_uuid(raw_id, kind="contact", namespace=namespace), fields))
    return contacts


def _owned_elsewhere(model, uuids, service_uuid) -> UUID | None:
    """The first of these ids that already belongs to another service."""
    taken = (
        model.objects.filter(uuid__in=list(uuids))
        .exclude(service__uuid=service_uuid)
        .values_list("uuid", flat=True)
        .first()
    )
    return taken


# --- service ---


def plan_service(record, *, namespace: str) -> ServicePlan:
    """Check one HSDS service record; a plan to write, or HsdsRejected saying why not."""
    if not isinstance(record, dict):
        raise HsdsRejected("a service must be a JSON object")
    service_uuid = record_uuid(record.get("id"), kind="service", namespace=namespace)
    if not _text(record, "name"):
        raise HsdsRejected("name is required")
    status = _text(record, "status").lower() or "active"
    if status not in HSDS_STATUSES:
        raise HsdsRejected(
            f"status {status!r} is not one of active, inactive, defunct, temporarily closed"
        )
    ages = {}
    for key in ("minimum_age", "maximum_age"):
        if record.get(key) is not None:
            age = _number(record[key], "service", key)
            if age < 0 or age > 150 or age != int(age):
                raise HsdsRejected(f"{key} {record[key]!r} is not an age in whole years")
            ages[key] = int(age)
    if ages.get("minimum_age", 0) > ages.get("maximum_age", 150):
        raise HsdsRejected("minimum_age is greater than maximum_age")
    fields = _clean(
        Service,
        {
            "name": _text(record, "name"),
            "url": _text(record, "url"),
            "email": _text(record, "email"),
            "phone": _first_phone(record),
            "eligibility": _text(record, "eligibility_description"),
            "how_to_access": _text(record, "application_process"),
        },
        "service",
    )
    fields |= {
        "description": _text(record, "description"),
        "status": HSDS_STATUSES[status],
        "minimum_age": ages.get("minimum_age"),
        "maximum_age": ages.get("maximum_age"),
    }
    if record.get("assured_date"):  # when the feed does not say, our review date stands
        fields["last_reviewed_on"] = _date(record, "assured_date")
    fields |= _cost(record, "service")
    fields |= _languages(_list(record, "languages", "service") or [])
    plan = ServicePlan(service_uuid, fields, _service_organization(record, namespace=namespace))

    at_location_records = _list(record, "service_at_locations", "service")
    if at_location_records is not None:
        plan.locations = []
        for sal in at_location_records:
            if not isinstance(sal.get("location"), dict):
                raise HsdsRejected(f"service_at_location {sal.get('id')}: location is required")
            sal_uuid = record_uuid(sal.get("id"), kind="service_at_location", namespace=namespace)
            plan.locations.append((sal_uuid, plan_location(sal["location"], namespace=namespace)))
        taken = _owned_elsewhere(ServiceAtLocation, [u for u, _ in plan.locations], service_uuid)
        if taken:
            raise HsdsRejected(f"service_at_location {taken} belongs to another service")
    schedules = _list(record, "schedules", "service")
    if schedules is not None:
        at_locations = {sal_uuid for sal_uuid, _ in plan.locations or []}
        if plan.locations is None:
            at_locations = set(
                ServiceAtLocation.objects.filter(service__uuid=service_uuid).values_list(
                    "uuid", flat=True
                )
            )
        plan.sessions = plan_sessions(
            schedules, service_uuid=service_uuid, at_locations=at_locations, namespace=namespace
        )
        taken = _owned_elsewhere(Schedule, [s.uuid for s in plan.sessions], service_uuid)
        if taken:
            raise HsdsRejected(f"schedule {taken} belongs to another service")
    contacts = _list(record, "contacts", "service")
    if contacts is not None:
        plan.contacts = _contacts(contacts, service_uuid=service_uuid, namespace=namespace)
        taken = _owned_elsewhere(Contact, [u for u, _ in plan.contacts], service_uuid)
        if taken:
            raise HsdsRejected(f"contact {taken} belongs to another service")
    attributes = _list(record, "attributes", "service")
    if attributes is not None:
        plan.terms = _terms(attributes, "service", namespace=namespace)
    return plan


# --- reading a feed ---


def fetch_json(url: str):
    """GET a JSON document from another ORUK API."""
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "social-prescribing-import"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _fetch_all(base: str, collection: str, per_page: int) -> Iterator[tuple[str, dict | None, str]]:
    """(id, full record or None, error) for every item of /{collection}, page by page,
    following total_pages, each fetched in full from /{collection}/{id}."""
    page, total_pages = 1, 1
    while page <= total_pages:
        query = urllib.parse.urlencode({"page": page, "per_page": per_page})
        listing = fetch_json(f"{base}/{collection}?{query}")
        total_pages = int(listing.get("total_pages") or 0)
        for item in listing.get("contents") or []:
            item_id = str(item.get("id", ""))
            try:
                record = fetch_json(f"{base}/{collection}/{urllib.parse.quote(item_id)}")
            except (OSError, ValueError) as error:
                yield item_id, None, f"could not be fetched: {error}"
                continue
            yield item_id, record, ""
        page += 1


def fetch_services(base_url: str, *, per_page: int = 50) -> Iterator[tuple[str, dict | None, str]]:
    """Every service of the ORUK API at `base_url`, in full."""
    return _fetch_all(base_url.rstrip("/"), "services", per_page)


def fetch_taxonomies(
    base_url: str, *, per_page: int = 50
) -> Iterator[tuple[str, dict | None, str]]:
    """Every taxonomy (with its terms) of the ORUK API at `base_url`."""
    return _fetch_all(base_url.rstrip("/"), "taxonomies", per_page)


def records_from_document(document) -> dict[str, list]:
    """The taxonomies, organizations and services in a JSON document of any shape we read.

    A single service, a list of services, a /services page (`contents`), or
    what `export_hsds` writes (`taxonomies`, `organizations`, `services`).
    """
    if isinstance(document, list):
        return {"taxonomies": [], "organizations": [], "services": document}
    if isinstance(document, dict):
        if "services" in document and isinstance(document["services"], list):
            return {
                "taxonomies": document.get("taxonomies") or [],
                "organizations": document.get("organizations") or [],
                "services": document["services"],
            }
        if isinstance(document.get("contents"), list):
            return {"taxonomies": [], "organizations": [], "services": document["contents"]}
        if "id" in document:
            return {"taxonomies": [], "organizations": [], "services": [document]}
    raise HsdsRejected(
        "the document is not a service, a list of services, a page of services "
        "or an export of this directory"
    )


def plan_taxonomy(record, *, namespace: str) -> tuple[UUID, dict, list[TermPlan]]:
    if not isinstance(record, dict):
        raise HsdsRejected("a taxonomy must be a JSON object")
    tax_uuid = record_uuid(record.get("id"), kind="taxonomy", namespace=namespace)
    label = f"taxonomy {record.get('id')}"
    if not _text(record, "name"):
        raise HsdsRejected(f"{label}: name is required")
    fields = {
        "name": _text(record, "name"),
        "description": _text(record, "description"),
        "uri": _text(record, "uri"),
        "version": _text(record, "version"),
    }
    fields = _clean(Taxonomy, fields, label)
    clash = Taxonomy.objects.filter(name=fields["name"]).exclude(uuid=tax_uuid).first()
    if clash:
        raise HsdsRejected(f"{label}: another taxonomy is already called {fields['name']!r}")
    terms = [
        plan_term(term, namespace=namespace)
        for term in _list(record, "taxonomy_terms", label) or []
    ]
    return tax_uuid, fields, terms
