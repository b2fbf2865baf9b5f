"""Rhian tries to learn about another practice's patient by referring with their NHS number.

Megan Howells is a patient of Bryn Medical Centre, and Bryn has referred her
to the Teg Valley scheme. Rhian, on the front desk at Afon Surgery, knows
Megan's NHS number and sends a referral with it under an invented name, date
of birth and postcode ("Siân Morgan"), by the web form and by Afon's GP
system through the API. Before issue 11 the referral was linked to Megan and
Rhian then read Megan's name, date of birth and postcode on the referral
page, in the API and in her GP extract (finding 1). Now whatever she does she
sees only what she typed, and the scheme decides whether the two are the same.
"""

import csv
import io
import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiScope
from accounts.services import api_client_create
from core.models import OutboxEmail
from referrals import services
from referrals.models import Notification, Person, PossibleDuplicate, Referral
from tests.factories import OrganisationFactory, ReferralFactory

pytestmark = pytest.mark.django_db

MEGAN = {"name": "Megan", "family": "Howells", "born": date(1961, 5, 14), "postcode": "CF11 9AA"}
# Every way Megan's details could show: as a page prints them, as JSON and CSV carry them.
MEGAN_TRACES = ["Megan", "Howells", "14 May 1961", "1961-05-14", "CF11 9AA"]
NHS_NUMBER = "9434765919"


@pytest.fixture
def bryn(cluster):
    return OrganisationFactory(name="Bryn Medical Centre", ods_code="W90002", area=cluster)


@pytest.fixture
def megan(bryn, scheme, cluster):
    """Bryn's referral of Megan, which the scheme holds."""
    return ReferralFactory(
        referring_organisation=bryn, scheme=scheme, area=cluster,
        person__given_name=MEGAN["name"], person__family_name=MEGAN["family"],
        person__date_of_birth=MEGAN["born"], person__postcode=MEGAN["postcode"],
        person__nhs_number=NHS_NUMBER, person__phone="07700 900999",
    ).person  # fmt: skip


def _invented(born="1990-02-02"):
    return {
        "given_name": "Siân", "family_name": "Morgan", "date_of_birth": born,
        "nhs_number": "943 476 5919", "postcode": "CF10 1AA", "contact_method": "phone",
        "phone": "07700 900123", "gender": "female", "ethnic_group": "Z",
        "preferred_language": "en",
    }  # fmt: skip


def _form(person):
    return {
        **person,
        "reasons": ["loneliness"], "what_matters": "Wants to get out more.",
        "urgency": "routine", "consent_to_referral": "on", "consent_to_share": "on",
        "gp_feedback": "everything",
    }  # fmt: skip


class AfonEmis:
    """Afon Surgery's GP system, calling the partner API with its token."""

    def __init__(self, client, practice):
        scopes = [ApiScope.REFERRALS_WRITE, ApiScope.REFERRALS_READ]
        _client, self.token = api_client_create(
            name="Afon EMIS", organisation=practice, scopes=scopes
        )
        self.client = client

    def get(self, path, **params):
        return self.client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def post(self, path, body):
        return self.client.post(
            path, json.dumps(body), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.token}",
        )  # fmt: skip


def _refer_by_web(client, rhian, person):
    client.force_login(rhian)
    response = client.post(reverse("referrals:new"), _form(person), follow=True)
    assert response.status_code == 200
    return Referral.objects.latest("pk"), response


def _refer_by_api(client, practice, person):
    emis = AfonEmis(client, practice)
    body = {
        "person": {**person, "nhs_number": person["nhs_number"]},
        "reasons": ["loneliness"], "what_matters": "Wants to get out more.",
        "consent_to_referral": True, "consent_to_share": True,
        "referrer": {"name": "Rhian Evans"},
    }  # fmt: skip
    response = emis.post("/api/v1/referrals/", body)
    assert response.status_code == 201, response.content
    return Referral.objects.latest("pk"), response, emis


def _shows_nothing_of_megan(text, *, typed_her_birthday=False):
    # When Rhian typed Megan's date of birth herself, seeing it back tells her nothing.
    traces = MEGAN_TRACES[:2] + MEGAN_TRACES[4:] if typed_her_birthday else MEGAN_TRACES
    leaked = [trace for trace in traces if trace in text]
    assert not leaked, f"Megan's details reached Rhian: {leaked}"


def _taken_up(referral, coordinator, link_worker):
    """The scheme accepts the referral and a link worker reaches Siân, who accepts it: the
    moment the GP extract codes (NHS England's guidance), so her row is in the file."""
    from linkworkers.services import contact_log, referral_allocate

    referral = services.referral_accept(referral=referral, actor=coordinator)
    referral = referral_allocate(referral=referral, actor=coordinator, link_worker=link_worker)
    contact_log(referral=referral, actor=link_worker, happened_at=timezone.now(), mode="phone",
                outcome="reached", minutes=10)  # fmt: skip


def _extract(client, rhian):
    client.force_login(rhian)
    today = timezone.localdate().isoformat()
    response = client.get(
        reverse("reporting:gp_extract_csv", kwargs={"ods_code": "W90001"}),
        {"from": today, "to": today},
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("born", ["1990-02-02", MEGAN["born"].isoformat()])
def test_by_the_web_form_rhian_sees_only_what_she_typed(
    client, gp_receptionist, megan, scheme, born, coordinator, link_worker
):
    """With an invented date of birth, and with Megan's own (which links the records)."""
    referral, submitted = _refer_by_web(client, gp_receptionist, _invented(born))
    typed = born == MEGAN["born"].isoformat()
    assert (referral.person == megan) is typed
    _shows_nothing_of_megan(submitted.content.decode(), typed_her_birthday=typed)
    assert "Siân Morgan" in submitted.content.decode()
    assert "already known" not in submitted.content.decode()

    page = client.get(reverse("referrals:detail", args=[referral.uuid])).content.decode()
    assert "Siân Morgan" in page and "CF10 1AA" in page
    _shows_nothing_of_megan(page, typed_her_birthday=typed)
    listed = client.get(reverse("referrals:list")).content.decode()
    assert "Siân Morgan" in listed
    _shows_nothing_of_megan(listed, typed_her_birthday=typed)
    home = client.get(reverse("home")).content.decode()
    _shows_nothing_of_megan(home, typed_her_birthday=typed)

    _taken_up(referral, coordinator, link_worker)
    extract = _extract(client, gp_receptionist)
    rows = list(csv.DictReader(io.StringIO(extract)))
    assert [(r["given_name"], r["family_name"], r["nhs_number"]) for r in rows] == [
        ("Siân", "Morgan", NHS_NUMBER)
    ]
    assert rows[0]["date_of_birth"] == born
    _shows_nothing_of_megan(extract, typed_her_birthday=typed)


def test_by_the_api_afons_system_sees_only_what_it_sent(client, practice, megan, scheme):
    referral, created, emis = _refer_by_api(client, practice, _invented())
    assert "person_already_known" not in created.json()
    _shows_nothing_of_megan(created.content.decode())

    detail = emis.get(f"/api/v1/referrals/{referral.uuid}/")
    assert detail.status_code == 200
    person = detail.json()["person"]
    assert (person["given_name"], person["family_name"], person["date_of_birth"]) == (
        "Siân", "Morgan", "1990-02-02"
    )  # fmt: skip
    assert person["postcode"] == "CF10 1AA"
    _shows_nothing_of_megan(detail.content.decode())
    listed = emis.get("/api/v1/referrals/")
    assert [r["id"] for r in listed.json()["results"]] == [str(referral.uuid)]
    _shows_nothing_of_megan(listed.content.decode())


def test_by_the_api_with_megans_date_of_birth_the_link_stays_the_schemes_secret(
    client, practice, megan, scheme, gp_receptionist, coordinator, link_worker
):
    referral, created, emis = _refer_by_api(
        client, practice, _invented(born=MEGAN["born"].isoformat())
    )
    assert referral.person == megan  # the scheme linked them: NHS number and birth agree
    detail = emis.get(f"/api/v1/referrals/{referral.uuid}/").json()
    assert (detail["person"]["given_name"], detail["person"]["postcode"]) == ("Siân", "CF10 1AA")
    _shows_nothing_of_megan(json.dumps(detail), typed_her_birthday=True)
    assert all("known" not in event["note"] for event in detail["timeline"])
    listed = emis.get("/api/v1/referrals/")
    _shows_nothing_of_megan(listed.content.decode(), typed_her_birthday=True)
    _taken_up(referral, coordinator, link_worker)
    extract = _extract(client, gp_receptionist)
    assert "Siân" in extract
    _shows_nothing_of_megan(extract, typed_her_birthday=True)


def test_an_invented_date_of_birth_is_queued_for_the_coordinator_not_linked(
    client, gp_receptionist, megan, scheme
):
    referral, _response = _refer_by_web(client, gp_receptionist, _invented())
    assert referral.person != megan
    assert (referral.person.given_name, referral.person.nhs_number) == ("Siân", NHS_NUMBER)
    pair = PossibleDuplicate.objects.get()
    assert (pair.person, pair.existing, pair.referral, pair.scheme) == (
        referral.person, megan, referral, scheme
    )  # fmt: skip
    assert pair.reason == "nhs_number" and pair.state == "open"
    assert Person.objects.count() == 2


def test_the_feedback_rhian_hears_names_the_person_she_referred(
    client, gp_receptionist, megan, scheme, coordinator
):
    referral, _response = _refer_by_web(
        client, gp_receptionist, _invented(born=MEGAN["born"].isoformat())
    )
    services.referral_accept(referral=referral, actor=coordinator)
    notification = Notification.objects.get(recipient=gp_receptionist)
    assert "Siân Morgan" in notification.message
    _shows_nothing_of_megan(notification.message, typed_her_birthday=True)
    email = OutboxEmail.objects.get(to=gp_receptionist.email)
    for text in (email.subject, email.body_text, email.body_html):
        _shows_nothing_of_megan(text, typed_her_birthday=True)
    assert "Siân Morgan" in email.body_text


def test_the_scheme_still_sees_its_record_of_megan(client, gp_receptionist, megan, coordinator):
    referral, _response = _refer_by_web(
        client, gp_receptionist, _invented(born=MEGAN["born"].isoformat())
    )
    client.force_login(coordinator)
    page = client.get(reverse("referrals:detail", args=[referral.uuid])).content.decode()
    assert "Megan Howells" in page and "07700 900999" in page


def test_the_scheme_sees_how_the_referrer_gave_a_linked_person(
    client, gp_receptionist, megan, coordinator
):
    """A linked referral whose name and postcode disagree with the record is worth a look."""
    referral, _response = _refer_by_web(
        client, gp_receptionist, _invented(born=MEGAN["born"].isoformat())
    )
    client.force_login(coordinator)
    response = client.get(reverse("referrals:detail", args=[referral.uuid]))
    assert "As the referrer gave them: Siân Morgan" in response.content.decode()
    first = Referral.objects.earliest("pk")
    page = client.get(reverse("referrals:detail", args=[first.uuid])).content.decode()
    assert 'data-testid="as-referred"' not in page
