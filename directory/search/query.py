"""What a search means: from the words typed to a condition, a score and the reasons shown.

`plan(text)` reads the words (folded, stop words dropped, at most MAX_WORDS), then:

1. need phrases of two words or more ("low mood", "cost of living") found in the words
   become one group meaning their categories;
2. every other word becomes a group meaning its forms (the word, its English stem) in the
   documents, and the categories whose names or need words have it ("lonely" ->
   Befriending and social groups, "garddio" -> Gardening and green space);
3. a word no document and no category knows is corrected to the nearest vocabulary word
   (trigram similarity, then at most one edit, or two from eight letters up:
   "gardning" -> "gardening", "lonley" -> "lonely"), or else left out and said so;
4. filler words ("help", "group", "cymorth") are optional: they raise a service that has
   them but are not required. `-word` leaves out services that have the word.

A service must match every required group (`condition`). Results come in tiers
(`tiers`), each in name order, by the weakest way a service matches one of the words:

    4  in its name
    3  through a category it is in, and its description or name says it too
    2  through a category it is in
    1  in its description (or who it is for)
    0  in its places or its provider's name

so a page is read a tier at a time, each a query that stops at the page's end, however
many services match (`ServiceResults` in directory.selectors). If no service matches
every group, the search is `relaxed` to any group, ordered by `score`: the most groups
matched first, then the best fields.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache, reduce
from operator import add
from typing import Any

from django.db import connection
from django.db.models import Case, Expression, FloatField, Q, Value, When
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import text
from .documents import ancestors, category_token, postcode_terms
from .matching import AllOf, AnyOf, Matches, Node, NoneOf, Term

MAX_QUERY_CHARACTERS = 200
MAX_WORDS = 10
# Vocabulary words at least this similar (pg_trgm's measure) are candidates for a correction.
SIMILARITY_FLOOR = 0.2
# Points for a group matched in each field; matching a required group at all counts most.
FIELD_SCORES = {"A": 1.0, "B": 0.8, "C": 0.5, "D": 0.3}
# A service named for a category the words mean ("Telephone befriending" for "lonely").
NAMED_FOR_CATEGORY_SCORE = 0.3
# Optional (filler) words only break ties.
OPTIONAL_FACTOR = 0.25
COVERAGE_SCORE = 10.0
TIERS = (4, 3, 2, 1, 0)

_NEED_SEPARATORS = re.compile(r"[\n,;]+")


@dataclass(frozen=True)
class Category:
    pk: int
    parent_id: int | None
    name: str
    name_cy: str
    name_forms: frozenset[str]  # the forms of the words of its names
    name_terms: frozenset[str]  # the index terms of its names' words, filler words left out
    needs: tuple[tuple[frozenset[str], ...], ...]  # each need phrase, the forms of each word
    surface_words: frozenset[str]  # its words as written (folded), for spelling correction

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("cy") and self.name_cy:
            return self.name_cy
        return self.name


def _english_forms(phrase: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset({word, term}) for word, term in text.english_terms(phrase))


def _welsh_forms(phrase: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset({word}) for word, _term in text.welsh_terms(phrase))


@lru_cache(maxsize=4096)
def category_from_row(
    pk: int, parent_id: int | None, name: str, name_cy: str, need_words: str, need_words_cy: str
) -> Category:
    """A category read for searching. Kept by its row's values (the reading is a function of
    them alone, and a Category cannot change): a search re-reads only an edited category."""
    needs = [
        *(_english_forms(p) for p in _NEED_SEPARATORS.split(need_words)),
        *(_welsh_forms(p) for p in _NEED_SEPARATORS.split(need_words_cy)),
    ]
    names = [*_english_forms(name), *_welsh_forms(name_cy)]
    name_terms = {
        term
        for word, term in [*text.english_terms(name), *text.welsh_terms(name_cy)]
        if not text.is_filler(word)
    }
    surface = {
        word
        for source in (name, name_cy, need_words, need_words_cy)
        for word in text.words(source)
        if text.in_vocabulary(word)
    }
    return Category(
        pk=pk,
        parent_id=parent_id,
        name=name,
        name_cy=name_cy,
        name_forms=frozenset().union(*names),
        name_terms=frozenset(name_terms),
        needs=tuple(need for need in needs if need),
        surface_words=frozenset(surface),
    )


def load_categories() -> list[Category]:
    from ..models import TaxonomyTerm

    rows = TaxonomyTerm.objects.values_list(
        "pk", "parent_id", "name", "name_cy", "need_words", "need_words_cy"
    )
    return [category_from_row(*row) for row in rows]


@dataclass(frozen=True)
class Group:
    """Words of the search that a service must match together (one word, or a need phrase)."""

    typed: str
    word_forms: tuple[frozenset[str], ...]
    categories: frozenset[int] = frozenset()
    optional: bool = False
    corrected: str = ""  # the vocabulary word a misspelling was read as
    category_names: frozenset[str] = frozenset()  # the terms of those categories' names

    def node(self, weights: str) -> Node | None:
        parts: list[Node] = []
        text_weights = weights.replace("B", "")  # B holds category tokens only
        if text_weights and self.word_forms:
            parts.append(
                AllOf(
                    tuple(
                        AnyOf(tuple(Term(form, text_weights) for form in sorted(forms)))
                        for forms in self.word_forms
                    )
                )
            )
        if "B" in weights:
            parts += [Term(category_token(pk), "B") for pk in sorted(self.categories)]
        return AnyOf(tuple(parts)) if parts else None


@dataclass(frozen=True)
class SearchPlan:
    typed: str = ""
    groups: tuple[Group, ...] = ()
    excluded: tuple[frozenset[str], ...] = ()
    unknown: tuple[str, ...] = ()
    relaxed: bool = False
    categories: dict[int, Category] = field(default_factory=dict, compare=False)

    @property
    def is_empty(self) -> bool:
        """Nothing to search for: no words, or only stop words."""
        return not (self.groups or self.excluded or self.unknown)

    @property
    def required(self) -> tuple[Group, ...]:
        return tuple(group for group in self.groups if not group.optional)

    @property
    def can_relax(self) -> bool:
        return not self.relaxed and len(self.required) > 1

    def relax(self) -> "SearchPlan":
        return replace(self, relaxed=True)

    def condition(self, prefix: str = "") -> Q | Expression | None:
        """What a matching service satisfies; None when the search has no words."""
        if self.is_empty:
            return None
        nodes = [node for group in self.required if (node := group.node("ABCD")) is not None]
        parts: list[Node] = []
        if nodes:
            parts.append(AnyOf(tuple(nodes)) if self.relaxed else AllOf(tuple(nodes)))
        elif self.unknown or not self.excluded:
            return Q(pk__in=[])  # every word was unknown: nothing matches
        if self.excluded:
            parts.append(
                NoneOf(
                    tuple(AnyOf(tuple(Term(f) for f in sorted(forms))) for forms in self.excluded)
                )
            )
        return Matches(AllOf(tuple(parts)), prefix)

    def _levels(self, group: Group) -> dict[int, Node]:
        """The conditions for each tier (see the module's docstring) one group can reach."""
        levels: dict[int, Node] = {}
        if (name := group.node("A")) is not None:
            levels[4] = name
        category = group.node("B")
        if category is not None:
            support = [node for node in (group.node("AC"), self._named(group)) if node]
            if support:
                levels[3] = AllOf((category, AnyOf(tuple(support))))
            levels[2] = category
        if (description := group.node("C")) is not None:
            levels[1] = description
        if (place := group.node("D")) is not None:
            levels[0] = place
        return levels

    @staticmethod
    def _named(group: Group) -> Node | None:
        if not group.categories or not group.category_names:
            return None
        return AnyOf(tuple(Term(term, "A") for term in sorted(group.category_names)))

    def _at_least(self, tier: int) -> Node | None:
        """Every required group matched at this tier or above; None when none can be."""
        parts = []
        for group in self.required:
            nodes = [node for level, node in self._levels(group).items() if level >= tier]
            if not nodes:
                return None
            parts.append(AnyOf(tuple(nodes)))
        return AllOf(tuple(parts))

    def tiers(self, prefix: str = "") -> list[Matches] | None:
        """A condition for each tier a service can be in, best first; None when the results
        are ordered otherwise (a relaxed search, or one with no required words)."""
        if self.relaxed or not self.required:
            return None
        found = []
        above: Node | None = None
        for tier in TIERS:
            node = self._at_least(tier)
            if node is None:
                continue
            exact = node if above is None else AllOf((node, NoneOf((above,))))
            found.append(Matches(exact, prefix))
            above = node  # every tier below is inside the one above
        return found

    def tier(self, prefix: str = "") -> Expression | None:
        """The tier of each service as a number (higher first), for one ORDER BY."""
        whens = [
            When(Matches(node, prefix), then=Value(tier))
            for tier in TIERS
            if not self.relaxed and (node := self._at_least(tier)) is not None
        ]
        if not whens or not self.required:
            return None
        return Case(*whens, default=Value(-1), output_field=FloatField())

    def score(self, prefix: str = "") -> Expression | None:
        """Points for how well a service matches (higher first); None when nothing to rank.

        Each group adds the points of the best field its words are in (name, description,
        place or provider) and those of a category it means: a befriending service that
        says "lonely" comes before one that is only in the category. A relaxed search
        adds COVERAGE_SCORE for each required group matched, so the most groups come first.
        """
        cases: list[Expression] = []

        def case(node: Node, points: float) -> Case:
            return Case(
                When(Matches(node, prefix), then=Value(points)),
                default=Value(0.0),
                output_field=FloatField(),
            )

        for group in self.groups:
            factor = OPTIONAL_FACTOR if group.optional else 1.0
            text_whens = [
                When(Matches(node, prefix), then=Value(points * factor))
                for weight, points in FIELD_SCORES.items()
                if weight != "B" and (node := group.node(weight)) is not None
            ]
            if text_whens:
                cases.append(Case(*text_whens, default=Value(0.0), output_field=FloatField()))
            if (node := group.node("B")) is not None:
                cases.append(case(node, FIELD_SCORES["B"] * factor))
            if group.categories and group.category_names:
                named = AnyOf(tuple(Term(term, "A") for term in sorted(group.category_names)))
                cases.append(case(named, NAMED_FOR_CATEGORY_SCORE * factor))
            if self.relaxed and not group.optional and (node := group.node("ABCD")) is not None:
                cases.append(case(node, COVERAGE_SCORE))
        return reduce(add, cases) if cases else None

    def notes(self) -> list[str]:
        """What the reader should know about how the search read their words."""
        found = [
            _("Spelling: “%(typed)s” → “%(word)s”.") % {"typed": g.typed, "word": g.corrected}
            for g in self.groups
            if g.corrected
        ]
        found += [
            _("No service mentions “%(word)s”, so it was left out.") % {"word": word}
            for word in self.unknown
        ]
        if self.relaxed:
            found.append(
                _("No service matches every word: these match some of them, the most first.")
            )
        return found

    def reasons(self, service: Any) -> list[str]:
        """Why a service (with its provider, categories and places loaded) matched, when it is
        not plain from its name and description: a category, a place or its provider."""
        if not self.groups:
            return []
        seen = ServiceWords(service, self.categories)
        found: list[str] = []
        for group in self.groups:
            if seen.has(group, seen.text):
                continue
            matched = sorted(group.categories & seen.categories)
            if matched:
                found += [
                    _("Matched the category “%(category)s”.")
                    % {"category": self.categories[pk].display_name}
                    for pk in matched
                    if pk in self.categories
                ]
            elif place := seen.place_for(group):
                found.append(_("Matched the place: %(place)s.") % {"place": place})
            elif seen.has(group, seen.provider):
                found.append(_("Matched the provider's name."))
        return list(dict.fromkeys(found))


class ServiceWords:
    """A shown service's terms, field by field, for `SearchPlan.reasons`: each field's read
    only when asked for (most results match in their own text, or else a category)."""

    def __init__(self, service: Any, categories: dict[int, Category]) -> None:
        self.service = service
        self.all_categories = categories
        self.text = _terms(
            [service.name, service.description, service.eligibility],
            [service.name_cy, service.description_cy, service.eligibility_cy],
        )

    @cached_property
    def provider(self) -> set[str]:
        provider = self.service.provider
        return _terms([provider.name], [provider.name_cy])

    @cached_property
    def categories(self) -> set[int]:
        parents = {pk: category.parent_id for pk, category in self.all_categories.items()}
        return {
            pk for term in self.service.taxonomy_terms.all() for pk in ancestors(parents, term.pk)
        }

    @cached_property
    def places(self) -> list[tuple[Any, set[str]]]:
        found = []
        for at in self.service.at_locations.all():
            location = at.location
            place_terms = _terms([location.name, location.city], [location.name_cy])
            place_terms |= {term for _w, term in postcode_terms(location.postcode)}
            found.append((location.display_name, place_terms))
        return found

    @staticmethod
    def has(group: Group, terms: set[str]) -> bool:
        return bool(group.word_forms) and all(forms & terms for forms in group.word_forms)

    def place_for(self, group: Group) -> str:
        for name, terms in self.places:
            if self.has(group, terms):
                return str(name)
        return ""


def _terms(english: Iterable[str], welsh: Iterable[str]) -> set[str]:
    found = {term for source in english for _w, term in text.english_terms(source)}
    return found | {term for source in welsh for _w, term in text.welsh_terms(source)}


def _query_words(typed: str) -> tuple[list[str], list[str]]:
    """The content words of a search, and the words after a minus sign."""
    wanted: list[str] = []
    excluded: list[str] = []
    for chunk in typed[:MAX_QUERY_CHARACTERS].split():
        target = excluded if chunk.startswith("-") else wanted
        target += [word for word in text.words(chunk) if word not in text.STOP_WORDS]
    return wanted[:MAX_WORDS], excluded[:MAX_WORDS]


def _phrase_at(
    forms: list[frozenset[str]], start: int, categories: list[Category]
) -> tuple[int, frozenset[int]]:
    """The longest need phrase (two words or more) starting at `start`: its length and
    every category that has it; (0, empty) when none."""
    best, found = 0, set[int]()
    for category in categories:
        for need in category.needs:
            size = len(need)
            if size < 2 or size < best or start + size > len(forms):
                continue
            if all(forms[start + i] & need[i] for i in range(size)):
                if size > best:
                    best, found = size, set()
                found.add(category.pk)
    return best, frozenset(found)


def _word_categories(forms: frozenset[str], categories: list[Category]) -> frozenset[int]:
    return frozenset(
        category.pk
        for category in categories
        if forms & category.name_forms
        or any(len(need) == 1 and forms & need[0] for need in category.needs)
    )


def _known_terms(forms: set[str]) -> set[str]:
    from ..models import SearchWord

    if not forms:
        return set()
    return set(SearchWord.objects.filter(term__in=forms).values_list("term", flat=True))


def _correction_candidates(word: str, categories: list[Category]) -> set[str]:
    """Vocabulary words at least SIMILARITY_FLOOR similar to `word` (pg_trgm on PostgreSQL
    through its index; the same measure in Python on SQLite, whose directories are small)."""
    from ..models import SearchWord

    found = {
        surface
        for category in categories
        for surface in category.surface_words
        if text.similarity(word, surface) >= SIMILARITY_FLOOR
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, false)",
                [str(SIMILARITY_FLOOR)],
            )
            cursor.execute(
                "SELECT DISTINCT word FROM directory_searchword WHERE word %% %s", [word]
            )
            found |= {row[0] for row in cursor.fetchall()}
    else:
        vocabulary = SearchWord.objects.values_list("word", flat=True).distinct()
        found |= {v for v in vocabulary if text.similarity(word, v) >= SIMILARITY_FLOOR}
    return found


def correct(word: str, categories: list[Category]) -> str:
    """The vocabulary word `word` was most likely meant to be, or "" when none is close."""
    if not text.in_vocabulary(word) or len(word) > 40:
        return ""
    allowed = 1 if len(word) <= 7 else 2
    best: tuple[int, float, int, str] | None = None
    for candidate in _correction_candidates(word, categories):
        if candidate == word:
            continue
        distance = text.edit_distance(word, candidate)
        if distance > allowed:
            continue
        key = (
            distance,
            -text.similarity(word, candidate),
            abs(len(candidate) - len(word)),
            candidate,
        )
        if best is None or key < best:
            best = key
    return best[3] if best else ""


def plan(typed: str, categories: list[Category] | None = None) -> SearchPlan:
    """Read a search (see the module's docstring)."""
    wanted, excluded = _query_words(typed or "")
    if not wanted and not excluded:
        return SearchPlan(typed=typed or "")
    if categories is None:
        categories = load_categories()
    forms = [text.forms(word) for word in wanted]
    known = _known_terms({form for word_forms in forms for form in word_forms})

    groups: list[Group] = []
    unknown: list[str] = []
    position = 0
    while position < len(wanted):
        size, phrase_categories = _phrase_at(forms, position, categories)
        if size:
            groups.append(
                Group(
                    typed=" ".join(wanted[position : position + size]),
                    word_forms=tuple(forms[position : position + size]),
                    categories=phrase_categories,
                )
            )
            position += size
            continue
        word, word_forms = wanted[position], forms[position]
        position += 1
        group = Group(
            typed=word,
            word_forms=(word_forms,),
            categories=_word_categories(word_forms, categories),
            optional=text.is_filler(word),
        )
        if not group.categories and not word_forms & known:
            corrected = correct(word, categories)
            if not corrected:
                if not group.optional:
                    unknown.append(word)
                continue
            corrected_forms = text.forms(corrected)
            group = replace(
                group,
                word_forms=(corrected_forms,),
                categories=_word_categories(corrected_forms, categories),
                corrected=corrected,
            )
        groups.append(group)
    if groups and all(group.optional for group in groups):
        groups = [replace(group, optional=False) for group in groups]
    by_pk = {category.pk: category for category in categories}
    groups = [
        replace(
            group,
            category_names=frozenset().union(*(by_pk[pk].name_terms for pk in group.categories)),
        )
        for group in groups
    ]
    return SearchPlan(
        typed=typed,
        groups=tuple(groups),
        excluded=tuple(text.forms(word) for word in excluded),
        unknown=tuple(dict.fromkeys(unknown)),
        categories=by_pk,
    )
