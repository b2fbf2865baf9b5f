"""Writes for the directory. Every change that spans rows goes through here."""

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.db import connection, transaction

from . import onspd
from .models import Postcode

# English text is stemmed ("gardening" finds "garden"); Welsh has no stemmer in
# PostgreSQL, so Welsh text and names are indexed word for word ('simple').
_SEARCH_DOCUMENT_SQL = """
UPDATE directory_service AS s SET search_vector =
    setweight(to_tsvector('simple', coalesce(s.name, '') || ' ' || coalesce(s.name_cy, '')), 'A')
    || setweight(to_tsvector('english', coalesce(s.name, '')), 'A')
    || setweight(to_tsvector('simple', coalesce((
        SELECT string_agg(t.name || ' ' || t.name_cy, ' ')
        FROM directory_service_taxonomy_terms AS st
        JOIN directory_taxonomyterm AS t ON t.id = st.taxonomyterm_id
        WHERE st.service_id = s.id), '')), 'B')
    || setweight(to_tsvector('english', coalesce(s.description, '')), 'C')
    || setweight(to_tsvector('simple', coalesce(s.description_cy, '')), 'C')
    || setweight(to_tsvector('simple', coalesce((
        SELECT p.name || ' ' || p.name_cy FROM directory_provider AS p
        WHERE p.id = s.provider_id), '')), 'D')
"""


def service_refresh_search(*, service_ids: Iterable[int] | None = None) -> None:
    """Rebuild the full-text search document of these services (all when None).

    Call it after any write to a service's names, descriptions, categories or
    provider. On SQLite (development) search falls back to plain matching and
    there is nothing to build.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if service_ids is None:
            cursor.execute(_SEARCH_DOCUMENT_SQL)
        else:
            ids = list(service_ids)
            if ids:
                cursor.execute(_SEARCH_DOCUMENT_SQL + " WHERE s.id = ANY(%s)", [ids])


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

    def flush():
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
