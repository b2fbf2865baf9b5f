"""The data migrations, each on the rows of a database as it stood before it ran.

They share one walk through the migrations' history (tests/migration_steps.py, `History`):
back once to the earliest point a test here needs, then forward from test to test in the order
the migrations ran, and to the latest when the module ends. A test run alone, or on its own
in a test process, walks where it needs all the same; only the time differs.
"""

from datetime import date

import pytest
from django.utils import timezone

from directory.selectors import services_search
from tests.migration_steps import History

BACKFILL_BEFORE = [("referrals", "0007_person_matching_within_the_scheme")]
BACKFILL_AFTER = [("referrals", "0009_person_nhs_number_ascii_digits")]

OUTBOX_BEFORE = [("referrals", "0009_person_nhs_number_ascii_digits")]
OUTBOX_AFTER = [("referrals", "0010_outbox_moves_to_core")]

TRIAGE_RANK_BEFORE = [("referrals", "0012_person_erasure")]
TRIAGE_RANK_AFTER = [("referrals", "0013_referral_triage_rank")]

SEARCH_BEFORE = [("directory", "0004_service_referral_stats")]
SEARCH_AFTER = [("directory", "0005_search_need_words_trigram")]


@pytest.fixture(scope="module")
def walk(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        history = History()
        yield history
        history.end()


@pytest.fixture
def history(walk):
    """The walk, emptied of what the test wrote when it ends."""
    yield walk
    walk.empty()


def _glenys_at_teg_valley(apps, **person):
    """The Teg Valley scheme, the Afon practice and Glenys (with `person`'s extra fields), made
    with the historical models of `apps`."""
    Area = apps.get_model("accounts", "Area")
    Organisation = apps.get_model("accounts", "Organisation")
    Person = apps.get_model("referrals", "Person")
    valley = Area.objects.create(kind="health_board", code="TEG", name="Teg Valley")
    scheme = Organisation.objects.create(name="Teg Valley", kind="scheme", area=valley)
    practice = Organisation.objects.create(name="Afon", kind="gp_practice", area=valley)
    glenys = Person.objects.create(
        given_name="Glenys", family_name="Pritchard", date_of_birth=date(1948, 3, 2),
        postcode="CF10 1AA", **person,
    )  # fmt: skip
    return scheme, practice, glenys


def test_old_referrals_get_the_person_as_referred_and_ascii_numbers(history):
    """The referrals made before issue 11: what their referrers see, and their NHS numbers.

    The old "linked to a person already known" note leaves the referrer's timeline.

    They kept no copy of what the referrer typed, so the migration copies each
    referral's current person (the best record there is); an NHS number stored
    with full-width digits (the old validator let them in) becomes ASCII digits.
    """
    apps = history.at(BACKFILL_BEFORE)
    Referral = apps.get_model("referrals", "Referral")
    scheme, practice, glenys = _glenys_at_teg_valley(
        apps, nhs_number="９４３４７６５９１９", preferred_name="Glen"
    )
    referral = Referral.objects.create(
        reference="SP-AAAAAAA", person=glenys, source_kind="gp",
        referring_organisation=practice, scheme=scheme, reasons=["loneliness"],
        what_matters="Singing.", consent_to_referral=True, consent_to_share=True,
        received_at=timezone.now(),
    )  # fmt: skip
    ReferralEvent = apps.get_model("referrals", "ReferralEvent")
    ReferralEvent.objects.create(
        referral=referral, kind="created", to_status="received",
        note="Linked to a person already known to the scheme.", created_at=timezone.now(),
    )  # fmt: skip

    apps = history.at(BACKFILL_AFTER)
    Person = apps.get_model("referrals", "Person")
    Referral = apps.get_model("referrals", "Referral")
    assert Person.objects.get(pk=glenys.pk).nhs_number == "9434765919"
    as_referred = Referral.objects.get(pk=referral.pk).person_details_as_referred
    assert as_referred["given_name"] == "Glenys" and as_referred["preferred_name"] == "Glen"
    assert as_referred["date_of_birth"] == "1948-03-02"
    assert as_referred["nhs_number"] == "9434765919"
    assert as_referred["postcode"] == "CF10 1AA"
    ReferralEvent = apps.get_model("referrals", "ReferralEvent")
    created = ReferralEvent.objects.get(referral_id=referral.pk, kind="created")
    assert created.note == "" and created.visible_to_referrer
    hidden = ReferralEvent.objects.get(referral_id=referral.pk, kind="note")
    assert "already known" in hidden.note and not hidden.visible_to_referrer


def test_queued_emails_survive_the_move_and_say_what_they_are_about(history):
    """The outbox moved from referrals to core in its own table: no email is lost on the way.

    An email about Glenys's referral, queued before the move, is still there
    after it, unsent, and says what it is about; going back restores the key.
    """
    apps = history.at(OUTBOX_BEFORE)
    Referral = apps.get_model("referrals", "Referral")
    OldOutboxEmail = apps.get_model("referrals", "OutboxEmail")
    scheme, _, glenys = _glenys_at_teg_valley(apps)
    referral = Referral.objects.create(
        reference="SP-AAAAAAA", person=glenys, source_kind="self", scheme=scheme,
        reasons=["loneliness"], what_matters="Singing.", consent_to_referral=True,
        consent_to_share=True, received_at=timezone.now(),
    )  # fmt: skip
    about_glenys = OldOutboxEmail.objects.create(
        referral=referral, to="rhian@example.org", subject="Accepted",
        body_text="Accepted.", created_at=timezone.now(),
    )  # fmt: skip
    digest = OldOutboxEmail.objects.create(
        to="llinos@example.org", subject="Digest", body_text="Due.",
        created_at=timezone.now(), sent_at=timezone.now(), attempts=1,
    )  # fmt: skip

    apps = history.at(OUTBOX_AFTER)
    OutboxEmail = apps.get_model("core", "OutboxEmail")
    moved = OutboxEmail.objects.get(pk=about_glenys.pk)
    assert (moved.uuid, moved.to, moved.sent_at) == (
        about_glenys.uuid,
        "rhian@example.org",
        None,
    )
    assert moved.about == f"referrals.referral:{referral.uuid}"
    assert OutboxEmail.objects.get(pk=digest.pk).about == ""
    assert OutboxEmail.objects.get(pk=digest.pk).sent_at is not None

    apps = history.at(OUTBOX_BEFORE)
    OldOutboxEmail = apps.get_model("referrals", "OutboxEmail")
    assert OldOutboxEmail.objects.get(pk=about_glenys.pk).referral_id == referral.pk
    assert OldOutboxEmail.objects.get(pk=digest.pk).referral_id is None


def test_the_migration_ranks_every_referral_by_status_and_urgency(history):
    """The referrals already in the queue when the rank arrived get theirs from the migration."""
    apps = history.at(TRIAGE_RANK_BEFORE)
    Referral = apps.get_model("referrals", "Referral")
    scheme, practice, glenys = _glenys_at_teg_valley(apps)
    User = apps.get_model("accounts", "User")
    llinos = User.objects.create(username="llinos", role="link_worker", organisation=scheme)
    cases = {}
    for number, (status, urgency) in enumerate(
        [
            ("received", "urgent"),
            ("received", "routine"),
            ("accepted", "urgent"),
            ("accepted", "routine"),
            ("allocated", "urgent"),
            ("rejected", "routine"),
            ("closed", "urgent"),
        ]  # fmt: skip
    ):
        cases[(status, urgency)] = Referral.objects.create(
            reference=f"SP-AAAAAA{number}", person=glenys, source_kind="gp",
            referring_organisation=practice, scheme=scheme, reasons=["loneliness"],
            what_matters="Singing.", consent_to_referral=True, consent_to_share=True,
            received_at=timezone.now(), status=status, urgency=urgency,
            link_worker=llinos if status in ("allocated", "closed") else None,
        ).pk  # fmt: skip

    apps = history.at(TRIAGE_RANK_AFTER)
    Referral = apps.get_model("referrals", "Referral")
    ranks = {key: Referral.objects.get(pk=pk).triage_rank for key, pk in cases.items()}
    assert ranks == {
        ("received", "urgent"): 0, ("received", "routine"): 1,
        ("accepted", "urgent"): 2, ("accepted", "routine"): 3,
        ("allocated", "urgent"): None, ("rejected", "routine"): None,
        ("closed", "urgent"): None,
    }  # fmt: skip


def test_need_words_are_filled_where_empty_and_documents_are_built(history):
    """Directories made before the new search: the shipped categories get their need words, and
    every service its search document, when the migration runs.
    """
    apps = history.at(SEARCH_BEFORE)
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

    apps = history.at(SEARCH_AFTER)
    TaxonomyTerm = apps.get_model("directory", "TaxonomyTerm")
    ours = TaxonomyTerm.objects.get(taxonomy__name="Social prescribing categories")
    assert "lonely" in ours.need_words.split("\n")
    assert "unigrwydd" in ours.need_words_cy.split("\n")
    theirs = TaxonomyTerm.objects.get(taxonomy__name="Someone else's")
    assert theirs.need_words == ""
    SearchWord = apps.get_model("directory", "SearchWord")
    assert SearchWord.objects.filter(word="lunch").exists()

    # And the site's search, on today's models, finds the service by its need words.
    history.at_latest()
    assert [s.name for s in services_search(q="lonely")] == ["Lunch club"]
    assert [s.name for s in services_search(q="meals")] == ["Lunch club"]
