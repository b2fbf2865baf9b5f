"""Imports from Open Referral feeds (HSDS 3 / ORUK) and the ONS Postcode Directory.

The checks live in directory/hsds_import.py (reads only); these functions write.
"""

import csv
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO
from uuid import UUID

from django.db import DatabaseError, transaction

from .. import hsds_import, onspd
from ..models import (
    Contact,
    Location,
    Postcode,
    Provider,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from .search import service_refresh_search


@dataclass(frozen=True)
class HsdsImportResult:
    kind: str  # service, organization, taxonomy
    id: str  # the id as the feed gave it
    action: str  # created, updated or rejected
    reason: str = ""


def service_import_hsds(
    *, record: object, dry_run: bool = False, namespace: str = ""
) -> HsdsImportResult:
    """Create or update one service (with its organization, locations, sessions,
    contacts and categories) from an HSDS/ORUK record, matched by id.

    The record is checked in full before anything is written, and written in one
    transaction: an invalid record is rejected with the reason and changes
    nothing. With `dry_run` it is only checked. `namespace` (the feed's URL or
    file) makes stable uuids for feeds whose ids are not UUIDs.
    """
    raw_id = str(record.get("id", "")) if isinstance(record, dict) else ""
    try:
        plan = hsds_import.plan_service(record, namespace=namespace)
    except hsds_import.HsdsRejected as error:
        return HsdsImportResult("service", raw_id, "rejected", str(error))
    action = "updated" if Service.objects.filter(uuid=plan.uuid).exists() else "created"
    if not dry_run:
        try:
            with transaction.atomic():
                service = _service_write_plan(plan)
                service_refresh_search(service_ids=[service.pk])
        except DatabaseError as error:  # a constraint the checks could not see
            return HsdsImportResult(
                "service", raw_id, "rejected", f"the database refused it: {error}"
            )
    return HsdsImportResult("service", raw_id or str(plan.uuid), action)


def provider_import_hsds(
    *, record: object, dry_run: bool = False, namespace: str = ""
) -> HsdsImportResult:
    """Create or update a provider from an HSDS organization record, matched by id."""
    raw_id = str(record.get("id", "")) if isinstance(record, dict) else ""
    try:
        if not isinstance(record, dict):
            raise hsds_import.HsdsRejected("an organization must be a JSON object")
        plan = hsds_import.plan_organization(record, namespace=namespace)
    except hsds_import.HsdsRejected as error:
        return HsdsImportResult("organization", raw_id, "rejected", str(error))
    action = "updated" if Provider.objects.filter(uuid=plan.uuid).exists() else "created"
    if not dry_run:
        _provider_write_plan(plan)
        if action == "updated":
            # The provider's names are part of its services' search document.
            service_refresh_search(
                service_ids=Service.objects.filter(provider__uuid=plan.uuid).values_list(
                    "pk", flat=True
                )
            )
    return HsdsImportResult("organization", raw_id, action)


def taxonomy_import_hsds(
    *, record: object, dry_run: bool = False, namespace: str = ""
) -> HsdsImportResult:
    """Create or update a taxonomy and its terms (parents before children), matched by id."""
    raw_id = str(record.get("id", "")) if isinstance(record, dict) else ""
    try:
        tax_uuid, fields, terms = hsds_import.plan_taxonomy(record, namespace=namespace)
    except hsds_import.HsdsRejected as error:
        return HsdsImportResult("taxonomy", raw_id, "rejected", str(error))
    action = "updated" if Taxonomy.objects.filter(uuid=tax_uuid).exists() else "created"
    if not dry_run:
        try:
            with transaction.atomic():
                taxonomy, _ = Taxonomy.objects.update_or_create(uuid=tax_uuid, defaults=fields)
                for term in _parents_first(terms):
                    _term_write(term, taxonomy=taxonomy)
                if action == "updated":
                    # Category names are part of their services' search document.
                    service_refresh_search(
                        service_ids=Service.objects.filter(taxonomy_terms__taxonomy=taxonomy)
                        .values_list("pk", flat=True)
                        .distinct()
                    )
        except DatabaseError as error:  # a constraint the checks could not see
            return HsdsImportResult(
                "taxonomy", raw_id, "rejected", f"the database refused it: {error}"
            )
    return HsdsImportResult("taxonomy", raw_id, action)


def _provider_write_plan(plan: hsds_import.OrganizationPlan) -> Provider:
    if not plan.fields:  # the record named an organization we already hold
        return Provider.objects.get(uuid=plan.uuid)
    provider, _ = Provider.objects.update_or_create(uuid=plan.uuid, defaults=plan.fields)
    return provider


def _service_write_plan(plan: hsds_import.ServicePlan) -> Service:
    provider = _provider_write_plan(plan.organization)
    service, _ = Service.objects.update_or_create(
        uuid=plan.uuid, defaults=plan.fields | {"provider": provider}
    )
    at_locations = {row.uuid: row for row in service.at_locations.all()}
    if plan.locations is not None:
        kept: dict[UUID, ServiceAtLocation] = {}
        for sal_uuid, location_plan in plan.locations:
            location, _ = Location.objects.update_or_create(
                uuid=location_plan.uuid,
                defaults=location_plan.fields,
                create_defaults=location_plan.fields | {"provider": provider},
            )
            row = at_locations.get(sal_uuid) or next(
                (r for r in at_locations.values() if r.location_id == location.pk), None
            )
            if row is None:
                row = ServiceAtLocation.objects.create(
                    uuid=sal_uuid, service=service, location=location
                )
            elif row.location_id != location.pk:
                row.location = location
                row.save(update_fields=["location"])
            kept[sal_uuid] = row
        service.at_locations.exclude(pk__in=[row.pk for row in kept.values()]).delete()
        at_locations = kept
    if plan.sessions is not None:
        kept_ids: list[int] = []
        for session in plan.sessions:
            schedule, _ = Schedule.objects.update_or_create(
                uuid=session.uuid,
                defaults=session.fields
                | {
                    "service": service,
                    "service_at_location": (
                        at_locations.get(session.at_location) if session.at_location else None
                    ),
                },
            )
            kept_ids.append(schedule.pk)
        service.schedules.exclude(pk__in=kept_ids).delete()
    if plan.contacts is not None:
        kept_ids = [
            Contact.objects.update_or_create(
                uuid=contact_uuid, defaults=fields | {"service": service}
            )[0].pk
            for contact_uuid, fields in plan.contacts
        ]
        service.contacts.exclude(pk__in=kept_ids).delete()
    if plan.terms is not None:
        terms = _parents_first(plan.terms)
        service.taxonomy_terms.set([_term_for_service(term) for term in terms])
    return service


def _parents_first(terms: list[hsds_import.TermPlan]) -> list[hsds_import.TermPlan]:
    ordered: list[hsds_import.TermPlan] = []
    placed: set[UUID] = set()
    pending = list(terms)
    in_batch = {term.uuid for term in terms}
    while pending:
        ready = [t for t in pending if t.parent_uuid not in in_batch or t.parent_uuid in placed]
        if not ready:  # a loop of parents: take them as they come, the parent links fail softly
            ready = pending
        for term in ready:
            ordered.append(term)
            placed.add(term.uuid)
        pending = [t for t in pending if t.uuid not in placed]
    return ordered


def _free_code(taxonomy: Taxonomy, code: str, term_uuid: UUID) -> str:
    taken = set(
        TaxonomyTerm.objects.filter(taxonomy=taxonomy, code__startswith=code)
        .exclude(uuid=term_uuid)
        .values_list("code", flat=True)
    )
    candidate, number = code, 1
    while candidate in taken:
        number += 1
        candidate = f"{code[:95]}-{number}"
    return candidate


def _term_write(term: hsds_import.TermPlan, *, taxonomy: Taxonomy) -> TaxonomyTerm:
    parent = (
        TaxonomyTerm.objects.filter(uuid=term.parent_uuid).first() if term.parent_uuid else None
    )
    row, _ = TaxonomyTerm.objects.update_or_create(
        uuid=term.uuid,
        defaults={
            "taxonomy": taxonomy,
            "code": _free_code(taxonomy, term.code, term.uuid),
            "name": term.name,
            "description": term.description,
            "parent": parent if parent is None or parent.uuid != term.uuid else None,
        },
    )
    return row


def _term_for_service(term: hsds_import.TermPlan) -> TaxonomyTerm:
    """A service's category: ours when we know its id, else added to its taxonomy."""
    known = TaxonomyTerm.objects.filter(uuid=term.uuid).first()
    if known is not None:
        return known
    taxonomy = (
        Taxonomy.objects.filter(uuid=term.taxonomy_uuid).first() if term.taxonomy_uuid else None
    )
    if taxonomy is None:
        taxonomy = Taxonomy.objects.filter(
            name=term.taxonomy_name
        ).first() or Taxonomy.objects.create(
            uuid=term.taxonomy_uuid or uuid.uuid4(), name=term.taxonomy_name
        )
    return _term_write(term, taxonomy=taxonomy)


@dataclass
class PostcodeImportResult:
    read: int = 0
    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def postcodes_import(
    *,
    csv_file: TextIO,
    batch_size: int = 5000,
    on_batch: Callable[[PostcodeImportResult], None] | None = None,
) -> PostcodeImportResult:
    """Import an ONS Postcode Directory CSV into the Postcode table; safe to run twice.

    Rows are written in batches, each in one transaction, as upserts keyed by
    postcode, so a second run changes nothing and an interrupted run can simply
    be started again. A bad row is left out and reported with its line number
    and reason; it never half-imports. A file without the postcode or grid
    columns raises onspd.BadRow before anything is written.
    """
    reader = csv.DictReader(csv_file)
    cols = onspd.columns(reader.fieldnames or [])
    update_fields = ["easting", "northing", "latitude", "longitude", "local_authority", "lsoa"]
    update_fields.append("terminated_on")
    if cols.imd_decile:
        update_fields.append("imd_decile")
    result = PostcodeImportResult()
    batch: dict[str, Postcode] = {}

    def flush() -> None:
        if batch:
            with transaction.atomic():
                Postcode.objects.bulk_create(
                    batch.values(),
                    update_conflicts=True,
                    unique_fields=["postcode"],
                    update_fields=update_fields,
                )
            result.imported += len(batch)
            batch.clear()
        if on_batch is not None:
            on_batch(result)

    for row in reader:
        result.read += 1
        try:
            fields = onspd.parse(row, cols)
        except onspd.BadRow as error:
            result.rejected.append((reader.line_num, str(error)))
            continue
        # A postcode twice in one batch would upsert one row twice (PostgreSQL refuses): last wins.
        batch[fields["postcode"]] = Postcode(**fields)
        if len(batch) >= batch_size:
            flush()
    flush()
    return result
