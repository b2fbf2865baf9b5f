"""Search over the directory's services, the same on PostgreSQL and SQLite.

- `text`: words as the search sees them (folded, English stemmed, pg_trgm's similarity).
- `documents`: each service's document of weighted terms, and the vocabulary.
- `matching`: a condition on documents, as a tsquery (PostgreSQL) or text tests (SQLite).
- `query`: what a search means: groups of words, categories by name and need words,
  spelling corrections, the condition, the score and the reasons a result matched.
- `nearest`: services nearest a place, walking an index outwards.

The selectors (`directory.selectors.services_search`, the Open Referral API's
`oruk_selectors`) are the only callers; writes call `refresh_documents` through
`directory.services.service_refresh_search`.
"""

from collections.abc import Iterable

from django.db.models import QuerySet

from ..models import SearchWord, Service, TaxonomyTerm
from .documents import rebuild
from .query import SearchPlan, load_categories, plan

__all__ = ["SearchPlan", "load_categories", "plan", "plan_for", "refresh_documents"]


def plan_for(services: QuerySet[Service], typed: str) -> SearchPlan:
    """The plan of a search among these services: relaxed to any of its words when no
    service of them matches them all."""
    found = plan(typed)
    condition = found.condition()
    if condition is not None and found.can_relax and not services.filter(condition).exists():
        found = found.relax()
    return found


def refresh_documents(service_ids: Iterable[int] | None = None) -> None:
    """Rebuild the search document of these services (all when None)."""
    rebuild(Service, TaxonomyTerm, SearchWord, service_ids)
