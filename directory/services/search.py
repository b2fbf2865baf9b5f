"""The full-text search document of each service (PostgreSQL)."""

from collections.abc import Iterable

from django.db import connection

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
