"""What the directory search finds for what people type, the same on PostgreSQL and SQLite.

The suite runs on SQLite locally and on PostgreSQL in CI: every test here runs on both.
Taxonomy terms are made with need words as directory editors would write them.
"""

import pytest
from django.db import connection
from django.utils import translation

from directory.models import SearchWord
from directory.search import plan, text
from directory.selectors import services_search
from directory.services import service_refresh_search
from tests.directory.conftest import listed
from tests.factories import LocationFactory, ProviderFactory, TaxonomyTermFactory

pytestmark = pytest.mark.django_db


def names(results):
    return [service.name for service in results]


@pytest.fixture
def befriending(db):
    return TaxonomyTermFactory(
        code="befriending",
        name="Befriending and social groups",
        name_cy="Cyfeillio a grwpiau cymdeithasol",
        need_words="loneliness\nlonely\nisolation\nmake friends",
        need_words_cy="unigrwydd\nunig",
    )


@pytest.fixture
def bereavement(db):
    return TaxonomyTermFactory(
        code="bereavement",
        name="Bereavement",
        name_cy="Profedigaeth",
        need_words="grief\nlost someone",
        need_words_cy="galar",
    )


# Stems


def test_a_word_finds_other_forms_of_it():
    listed(name="Community garden", description="Grow vegetables.")
    listed(name="Choir", description="Sing together.")
    for typed in ("gardening", "gardens", "garden", "Gardening"):
        assert names(services_search(q=typed)) == ["Community garden"], typed


def test_the_name_comes_before_the_description():
    listed(name="Health walks", description="Meet at the garden gate for a walk.")
    listed(name="Gardening club", description="Dig, sow and grow.")
    assert names(services_search(q="gardens")) == ["Gardening club", "Health walks"]


def test_every_word_must_match_where_some_service_has_them_all():
    listed(name="Walking football", description="Football at walking pace.")
    listed(name="Health walks", description="Gentle walking.")
    assert names(services_search(q="walking football")) == ["Walking football"]


def test_a_minus_word_leaves_out_services_that_have_it():
    listed(name="Walking football", description="Football, walking pace.")
    listed(name="Health walks", description="Gentle walking.")
    assert names(services_search(q="walking -football")) == ["Health walks"]


def test_filler_words_need_not_match_but_raise_a_service_that_has_them():
    listed(name="Debt advice", description="Free advice on debts.")
    listed(name="Money help", description="Help with debts and budgeting.")
    assert names(services_search(q="help with debt")) == ["Debt advice", "Money help"]


# Categories and need words


def test_a_category_name_finds_its_services_and_those_of_the_categories_below_it(gardening):
    allotments = TaxonomyTermFactory(
        taxonomy=gardening.taxonomy, parent=gardening, name="Allotments", name_cy="Rhandiroedd"
    )
    listed(name="Dig together", description="Vegetables.", terms=[gardening])
    listed(name="Plot buddies", description="Someone alongside you.", terms=[allotments])
    listed(name="Choir", description="Sing.")
    assert names(services_search(q="green space")) == ["Dig together", "Plot buddies"]


def test_a_need_word_finds_the_services_of_its_category(befriending):
    listed(name="Lunch club", description="A hot meal and good company.", terms=[befriending])
    listed(name="Choir", description="Sing.")
    for typed in ("lonely", "loneliness", "isolated", "feeling isolated"):
        assert names(services_search(q=typed)) == ["Lunch club"], typed


def test_a_need_phrase_is_read_as_one(bereavement):
    listed(name="Listening ear", description="One-to-one sessions.", terms=[bereavement])
    listed(name="Lost property", description="Someone may have found it.")
    assert names(services_search(q="lost someone")) == ["Listening ear"]


def test_a_service_that_says_the_need_comes_before_one_only_in_its_category(befriending):
    listed(name="Allotment buddies", description="Dig together.", terms=[befriending])
    listed(
        name="Telephone calls",
        description="A chat each week.",
        eligibility="Adults who feel lonely.",
        terms=[befriending],
    )
    assert names(services_search(q="lonely")) == ["Telephone calls", "Allotment buddies"]


def test_a_category_match_says_why(befriending):
    listed(name="Lunch club", description="A hot meal.", terms=[befriending])
    [found] = services_search(q="isolation")[:20]
    assert found.match_reasons == ["Matched the category “Befriending and social groups”."]
    with translation.override("cy"):
        [found] = services_search(q="isolation")[:20]
        assert found.match_reasons == [
            "Matched the category “Cyfeillio a grwpiau cymdeithasol”."
        ] or found.match_reasons[0].endswith("“Cyfeillio a grwpiau cymdeithasol”.")


def test_a_word_in_the_name_or_description_needs_no_reason():
    listed(name="Community garden", description="Grow vegetables.")
    [found] = services_search(q="vegetables")[:20]
    assert found.match_reasons == []


def test_a_place_says_why():
    listed(
        name="Allotment buddies",
        description="Dig together.",
        location=LocationFactory(name="Pontypridd Community Garden", city="Pontypridd"),
    )
    [found] = services_search(q="pontypridd")[:20]
    assert found.match_reasons == ["Matched the place: Pontypridd Community Garden."]


def test_the_provider_says_why():
    listed(name="Men's Shed", provider=ProviderFactory(name="Glannau Trust"))
    [found] = services_search(q="trust")[:20]
    assert found.match_reasons == ["Matched the provider's name."]


def test_need_words_are_read_when_searching_so_an_edit_needs_no_rebuild(befriending):
    listed(name="Lunch club", description="A hot meal.", terms=[befriending])
    assert names(services_search(q="housebound")) == []
    befriending.need_words += "\nhousebound"
    befriending.save()
    assert names(services_search(q="housebound")) == ["Lunch club"]


# Misspellings


def test_a_misspelling_finds_what_was_meant_and_says_so():
    listed(name="Gardening club", description="Grow vegetables.")
    listed(name="Choir", description="Sing.")
    results = services_search(q="gardning")
    assert names(results) == ["Gardening club"]
    assert results.notes() == ["Spelling: “gardning” → “gardening”."]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("lonley", "lonely"),  # two letters swapped
        ("befreinding", "befriending"),
        ("alotment", "allotment"),  # a letter missing
        ("excercise", "exercise"),  # a letter too many
        ("bereavment", ""),  # no correction needed: its stem is bereavement's, "bereav"
    ],
)
def test_common_misspellings_are_corrected(typed, meant, befriending):
    listed(
        name="Telephone befriending",
        description="Allotment visits, exercise and bereavement support for lonely people.",
        terms=[befriending],
    )
    assert [group.corrected for group in plan(typed).groups] == [meant]
    assert names(services_search(q=typed)) == ["Telephone befriending"]


def test_a_need_word_is_corrected_too(befriending):
    listed(name="Lunch club", description="A hot meal.", terms=[befriending])
    assert names(services_search(q="lonliness")) == ["Lunch club"]


def test_a_word_nothing_is_near_is_left_out_and_said_so():
    listed(name="Gardening club", description="Grow vegetables.")
    results = services_search(q="gardening xylophone")
    assert names(results) == ["Gardening club"]
    assert results.notes() == ["No service mentions “xylophone”, so it was left out."]


def test_only_unknown_words_find_nothing():
    listed(name="Gardening club", description="Grow vegetables.")
    assert names(services_search(q="xylophone")) == []


def test_when_no_service_has_every_word_those_with_most_come_first():
    listed(name="Gardening club", description="Grow vegetables.")
    listed(name="Welsh for beginners", description="Learn Welsh.")
    listed(name="Choir", description="Sing.")
    results = services_search(q="gardening beginners")
    assert names(results) == ["Gardening club", "Welsh for beginners"]
    assert results.notes() == [
        "No service matches every word: these match some of them, the most first."
    ]


def test_the_python_trigram_similarity_is_pg_trgm_s():
    pairs = [("gardning", "gardening"), ("lonley", "lonely"), ("ngardd", "gardd"), ("x", "y")]
    if connection.vendor != "postgresql":
        # pg_trgm's own figures for these pairs (SELECT similarity(a, b) on PostgreSQL 15).
        assert [round(text.similarity(a, b), 4) for a, b in pairs] == [
            0.5833,
            0.2727,
            0.4444,
            0.0,
        ]
        return
    with connection.cursor() as cursor:
        for a, b in pairs:
            cursor.execute("SELECT similarity(%s, %s)", [a, b])
            assert text.similarity(a, b) == pytest.approx(cursor.fetchone()[0], abs=1e-6)


# Welsh


def test_welsh_words_find_welsh_descriptions_without_their_accents():
    listed(name="Choir", name_cy="Côr cymunedol", description="Sing.", description_cy="Canu.")
    listed(name="Walking football", name_cy="Pêl-droed cerdded")
    for typed in ("côr", "cor", "canu", "Côr Cymunedol"):
        assert names(services_search(q=typed)) == ["Choir"], typed


def test_a_welsh_need_word_finds_the_category(befriending):
    listed(name="Lunch club", description="A hot meal.", terms=[befriending])
    assert names(services_search(q="unigrwydd")) == ["Lunch club"]


def test_a_welsh_category_name_finds_its_services(gardening):
    listed(name="Dig together", description="Vegetables.", terms=[gardening])
    assert names(services_search(q="garddio")) == ["Dig together"]


def test_a_mutated_welsh_word_is_read_as_its_root():
    listed(name="Community garden", name_cy="Gardd gymunedol", description_cy="Ein gardd.")
    found = plan("ngardd")
    assert [group.corrected for group in found.groups] == ["gardd"]
    assert names(services_search(q="ngardd")) == ["Community garden"]


# Hostile input answers normally


@pytest.mark.parametrize(
    "typed",
    [
        "garden" * 500,
        "'; DROP TABLE directory_service; --",
        "% _ \\ ' \" & | ! ( ) : * <-> @@",
        "garden:A & !c1",
        "(((((",
        "ｇａｒｄｅｎ",  # full-width letters
        "garden\x00\x1f",
        "🌱 garden 🌱",
        "сад",  # Cyrillic
        "-",
        "- - -garden",
    ],
)
def test_hostile_searches_answer_normally(typed):
    listed(name="Community garden", description="Grow vegetables.")
    results = services_search(q=typed)
    assert results.count() >= 0
    assert isinstance(results[:20], list)
    assert isinstance(results.notes(), list)


def test_full_width_letters_are_the_letters_they_look_like():
    listed(name="Community garden", description="Grow vegetables.")
    assert names(services_search(q="ｇａｒｄｅｎ")) == ["Community garden"]


def test_a_very_long_search_reads_its_first_words_only():
    listed(name="Community garden", description="Grow vegetables.")
    found = plan("garden " * 1000)
    assert len(found.groups) <= 10


# The vocabulary


def test_refreshing_a_service_adds_its_words_to_the_vocabulary():
    service = listed(name="Pottery group", description="Throw pots.")
    assert SearchWord.objects.filter(word="pottery", term="potteri").exists()
    service.description = "Clay modelling."
    service.save()
    service_refresh_search(service_ids=[service.pk])
    assert SearchWord.objects.filter(word="modelling").exists()
    service_refresh_search()  # a full rebuild forgets words no service has
    assert not SearchWord.objects.filter(word="throw").exists()
