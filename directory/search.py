"""Keyword search over services: the one module that knows which database it runs on.

On PostgreSQL each service carries a full-text document (`search_vector`), built
by `refresh_documents`; English text is stemmed ("gardening" finds "garden") and
Welsh text and names are matched word for word. On SQLite (the embedded default
for development and `make run`) there is no document: every word must appear in
a name or description, in either language, or in the provider's name.
"""

from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, QuerySet

from .models import Service

# English text is stemmed; Welsh has no stemmer in PostgreSQL, so Welsh text and
# names are indexed word for word ('simple').
_DOCUMENT_SQL = """
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


def ranks_matches() -> bool:
    """Whether `keyword_search` can rank what it finds (best match first)."""
    return connection.vendor == "postgresql"


def keyword_search(services: QuerySet[Service], text: str) -> QuerySet[Service]:
    """The services matching `text`; annotated with `rank` where `ranks_matches()`."""
    if ranks_matches():
        query = SearchQuery(text, config="english", search_type="websearch") | SearchQuery(
            text, config="simple", search_type="websearch"
        )
        return services.filter(search_vector=query).annotate(
            rank=SearchRank(F("search_vector"), query)
        )
    for word in text.split():
        services = services.filter(
            Q(name__icontains=word)
            | Q(name_cy__icontains=word)
            | Q(description__icontains=word)
            | Q(description_cy__icontains=word)
            | Q(provider__name__icontains=word)
        )
    return services


def refresh_documents(service_ids: Iterable[int] | None = None) -> None:
    """Rebuild the search document of these services (all when None); nothing on SQLite."""
    if not ranks_matches():
        return
    with connection.cursor() as cursor:
        if service_ids is None:
            cursor.execute(_DOCUMENT_SQL)
        else:
            ids = list(service_ids)
            if ids:
                cursor.execute(_DOCUMENT_SQL + " WHERE s.id = ANY(%s)", [ids])
