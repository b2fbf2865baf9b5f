"""Each service's search document: its analysed terms, each with the weight of its best field.

    A  its name                            (English stemmed, Welsh folded)
    B  its categories and every category above them, as tokens "c<id>"
    C  its description and who it is for
    D  its provider's name and its places (name, town, postcode and postcode district)

Categories go in as tokens, not words: a category's names and need words are matched
when searching (`query.py`), so an editor's change to them needs no rebuild; only a
service's own text, its categories or their place in the tree do.

On PostgreSQL the document is a tsvector (`search_vector`, GIN-indexed) written as a
literal, never through `to_tsvector`, so both databases hold exactly the same terms; on
SQLite it is text (`search_terms`): " garden:a c12:b vegetabl:c ".
"""

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction

from . import text

WEIGHTS = "ABCD"
BATCH = 2000


def category_token(term_id: int) -> str:
    return f"c{term_id}"


def ancestors(parents: dict[int, int | None], term_id: int) -> list[int]:
    """The category and every category above it (a loop in bad data ends the walk)."""
    found = [term_id]
    parent = parents.get(term_id)
    while parent is not None and parent not in found:
        found.append(parent)
        parent = parents.get(parent)
    return found


def postcode_terms(postcode: str) -> list[tuple[str, str]]:
    """ "CF37 1AB" -> the district "cf37" and the whole "cf371ab"."""
    parts = text.words(postcode)
    if not parts:
        return []
    whole = "".join(parts)
    return [(parts[0], parts[0]), (whole, whole)]


class Document:
    """The terms of one service, each kept at the weight of the best field it appears in,
    and the words they came from (for the vocabulary)."""

    def __init__(self) -> None:
        self.terms: dict[str, str] = {}
        self.words: set[tuple[str, str]] = set()

    def add(
        self, weight: str, pairs: Iterable[tuple[str, str]], *, vocabulary: bool = True
    ) -> None:
        for word, term in pairs:
            if term not in self.terms or weight < self.terms[term]:
                self.terms[term] = weight
            if vocabulary and text.in_vocabulary(word):
                self.words.add((word, term))

    def as_tsvector(self) -> str:
        return " ".join(f"'{term}':1{weight}" for term, weight in sorted(self.terms.items()))

    def as_text(self) -> str:
        inner = " ".join(f"{term}:{weight.lower()}" for term, weight in sorted(self.terms.items()))
        return f" {inner} " if inner else ""


def document(service: Any, parents: dict[int, int | None]) -> Document:
    """The document of a service loaded with its provider, categories and places."""
    doc = Document()
    doc.add("A", text.english_terms(service.name))
    doc.add("A", text.welsh_terms(service.name_cy))
    for term in service.taxonomy_terms.all():
        tokens = [category_token(pk) for pk in ancestors(parents, term.pk)]
        doc.add("B", ((token, token) for token in tokens), vocabulary=False)
    doc.add("C", text.english_terms(service.description))
    doc.add("C", text.welsh_terms(service.description_cy))
    doc.add("C", text.english_terms(service.eligibility))
    doc.add("C", text.welsh_terms(service.eligibility_cy))
    provider = service.provider
    doc.add("D", text.english_terms(provider.name))
    doc.add("D", text.welsh_terms(provider.name_cy))
    for at in service.at_locations.all():
        location = at.location
        doc.add("D", text.english_terms(f"{location.name} {location.city}"))
        doc.add("D", text.welsh_terms(location.name_cy))
        doc.add("D", postcode_terms(location.postcode), vocabulary=False)
    return doc


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def rebuild(
    service_model: Any,
    term_model: Any,
    word_model: Any,
    service_ids: Iterable[int] | None = None,
) -> None:
    """Rebuild the documents of these services (all when None) and the vocabulary.

    Takes the model classes so that a data migration can call it with its own.
    A full rebuild also forgets words no service uses any more.
    """
    parents = dict(term_model.objects.values_list("pk", "parent_id"))
    if service_ids is None:
        ids = list(service_model.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(service_ids))
    with transaction.atomic():
        if service_ids is None:
            word_model.objects.all().delete()
        for batch in _batches(ids):
            services = (
                service_model.objects.filter(pk__in=batch)
                .select_related("provider")
                .prefetch_related("taxonomy_terms", "at_locations__location")
                .only(
                    "pk", "name", "name_cy", "description", "description_cy", "eligibility",
                    "eligibility_cy", "provider__name", "provider__name_cy",
                )
            )  # fmt: skip
            documents = {service.pk: document(service, parents) for service in services}
            _write(documents)
            words = {pair for doc in documents.values() for pair in doc.words}
            word_model.objects.bulk_create(
                (word_model(word=word[:100], term=term[:100]) for word, term in sorted(words)),
                batch_size=BATCH,
                ignore_conflicts=True,
            )


def _write(documents: dict[int, Document]) -> None:
    if not documents:
        return
    postgresql = connection.vendor == "postgresql"
    column, cast = ("search_vector", "::tsvector") if postgresql else ("search_terms", "")
    rows = sorted(documents.items())
    values = ", ".join(["(%s, %s)"] * len(rows))
    params: list[Any] = []
    for pk, doc in rows:
        params += [pk, doc.as_tsvector() if postgresql else doc.as_text()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v(id, doc) AS (VALUES {values}) "
            f"UPDATE directory_service SET {column} = v.doc{cast} "
            "FROM v WHERE directory_service.id = v.id",
            params,
        )
