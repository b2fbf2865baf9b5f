"""Keeping the search documents current after a write (the database side is directory.search)."""

from collections.abc import Iterable

from .. import search


def service_refresh_search(*, service_ids: Iterable[int] | None = None) -> None:
    """Rebuild the search document of these services (all when None).

    Call it after any write to a service's names, descriptions, categories or
    provider.
    """
    search.refresh_documents(service_ids)
