"""Directories made before the new search: the shipped categories get their need words, and
every service its search document, when the migration runs."""

import pytest

from tests.migration_steps import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("directory", "0004_service_referral_stats")]
AFTER = [("directory", "0005_search_need_words_trigram")]


@pytest.mark.usefixtures("restore_reference_data")
def test_need_words_are_filled_where_empty_and_documents_are_built():
    apps = migrate(BEFORE)
    try:
        Taxonomy = apps.get_model("directory", "Taxonomy")
        TaxonomyTerm = apps.get_model("directory", "TaxonomyTerm")
        Provider = apps.get_model("directory", "Provider")
        Service = apps.get_model("directory", "Service")
        categories = Taxonomy.objects.create(name="Social prescribing categories")
        befriending = TaxonomyTerm.objects.create(
            taxonomy=categories, code="befriending-social", name="Befriending and social groups"
        )
        other = Taxonomy.objects.create(name="Someone else's")
        TaxonomyTerm.objects.create(taxonomy=other, code="befriending-social", name="Theirs")
        provider = Provider.objects.create(name="Cwtch Befriending")
        service = Service.objects.create(
            provider=provider, name="Lunch club", description="A hot meal and good company."
        )
        service.taxonomy_terms.add(befriending)

        apps = migrate(AFTER)
        TaxonomyTerm = apps.get_model("directory", "TaxonomyTerm")
        ours = TaxonomyTerm.objects.get(taxonomy__name="Social prescribing categories")
        assert "lonely" in ours.need_words.split("\n")
        assert "unigrwydd" in ours.need_words_cy.split("\n")
        theirs = TaxonomyTerm.objects.get(taxonomy__name="Someone else's")
        assert theirs.need_words == ""
        SearchWord = apps.get_model("directory", "SearchWord")
        assert SearchWord.objects.filter(word="lunch").exists()
    finally:
        migrate_to_latest()

    from directory.selectors import services_search

    assert [s.name for s in services_search(q="lonely")] == ["Lunch club"]
    assert [s.name for s in services_search(q="meals")] == ["Lunch club"]
