"""Issue 16, point 9, on the link worker's and provider's pages: the small things that add up."""

import pytest
from django.urls import reverse

from linkworkers import selectors
from tests.factories import LinkWorkerFactory, TaxonomyTermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def phones(link_worker, scheme):
    scheme.phone = "01632 960100"
    scheme.save()
    profile = link_worker.link_worker_profile
    profile.phone = "07700 900101"
    profile.save()
    return profile


def _prescription(client, referral):
    return client.get(reverse("linkworkers:prescription", args=[referral.uuid])).content.decode()


def test_the_prescription_gives_the_link_workers_number(client, link_worker, referred, phones):
    client.force_login(link_worker)
    body = _prescription(client, referred.referral)
    assert "Phone your link worker on 07700 900101." in body
    # The text version to copy into a message says so too.
    assert "Phone your link worker on 07700 900101." in selectors.prescription_text(
        referral=referred.referral, prescription=selectors.prescription_for(referred.referral)
    )


def test_without_one_the_schemes_number(client, link_worker, referred, phones):
    phones.phone = ""
    phones.save()
    client.force_login(link_worker)
    assert "Phone the scheme on 01632 960100." in _prescription(client, referred.referral)


def test_with_no_number_at_all_no_phone_line(client, link_worker, referred):
    client.force_login(link_worker)
    assert 'data-testid="prescription-phone"' not in _prescription(client, referred.referral)


def test_worker_contact_reads_the_profile_once(referred, phones, django_assert_num_queries):
    referral = (
        type(referred.referral)
        .objects.select_related("link_worker", "scheme")
        .get(pk=referred.referral.pk)
    )
    with django_assert_num_queries(1):
        contact = selectors.worker_contact(referral)
    assert (contact.phone, contact.phone_is_scheme) == ("07700 900101", False)


def test_a_worker_with_no_profile_gives_the_scheme(referred, phones):
    phones.delete()
    contact = selectors.worker_contact(referred.referral)
    assert (contact.phone, contact.phone_is_scheme) == ("01632 960100", True)


def test_provider_contact_lines_say_what_they_are(client, prys, referred):
    person = referred.referral.person
    person.contact_method, person.phone = "letter", "07700 900456"
    person.save()
    client.force_login(prys)
    body = client.get(reverse("providers:connections")).content.decode()
    assert "Letter: 07700" not in body
    assert "Prefers: Letter" in body
    assert "Phone: 07700 900456" in body


def test_the_unmet_need_select_has_its_own_label(client, link_worker, in_progress):
    TaxonomyTermFactory(name="Choirs")
    client.force_login(link_worker)
    body = client.get(reverse("linkworkers:connections", args=[in_progress.uuid])).content.decode()
    assert body.count('id="id_category"') == 1
    assert body.count('id="id_need_category"') == 1
    assert 'for="id_need_category"' in body


def test_the_caseload_rows_carry_their_labels_for_a_phone(client, link_worker, in_progress):
    client.force_login(link_worker)
    body = client.get(reverse("linkworkers:caseload")).content.decode()
    assert "table-stack" in body
    assert 'data-label="Status"' in body and 'data-label="Due next"' in body


def test_link_worker_factory_still_works_without_a_phone():
    assert LinkWorkerFactory().phone == ""
