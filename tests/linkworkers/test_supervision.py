"""Supervision notes about Llinos's work: written and read by her and Carys, her manager, only."""

import pytest
from django.urls import reverse

from accounts.models import ApiScope, AuditEvent
from accounts.services import api_client_create
from core.exceptions import InvalidTransition, ValidationError
from linkworkers.models import SupervisionNote
from linkworkers.selectors import supervision_notes_for
from linkworkers.services import supervision_note_add

pytestmark = pytest.mark.django_db

SECRET = "Talked through the low mood of Glenys; plan a joint visit."


@pytest.fixture
def note(case, coordinator, link_worker):
    return supervision_note_add(link_worker=link_worker, author=coordinator, text=SECRET,
                                referral=case)  # fmt: skip


def test_a_link_worker_writes_about_her_own_work(client, link_worker):
    client.force_login(link_worker)
    response = client.post(reverse("linkworkers:supervision"), {"text": "Busy week."})
    assert response.status_code == 302
    note = SupervisionNote.objects.get()
    assert (note.link_worker, note.author, note.text) == (link_worker, link_worker, "Busy week.")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, actor=link_worker).exists()


def test_her_coordinator_writes_about_a_case(client, coordinator, link_worker, case):
    client.force_login(coordinator)
    url = reverse("linkworkers:supervision_for", args=[link_worker.uuid])
    assert client.post(url, {"text": SECRET, "referral": str(case.uuid)}).status_code == 302
    assert SupervisionNote.objects.get().referral == case


def test_both_read_the_notes(client, note, coordinator, link_worker):
    client.force_login(link_worker)
    assert SECRET in client.get(reverse("linkworkers:supervision")).content.decode()
    client.force_login(coordinator)
    url = reverse("linkworkers:supervision_for", args=[link_worker.uuid])
    assert SECRET in client.get(url).content.decode()
    assert AuditEvent.objects.filter(actor=coordinator, detail__startswith="supervision").exists()


@pytest.mark.parametrize(
    "who",
    ["other_link_worker", "outsider_coordinator", "referrer", "provider", "commissioner"],
)
def test_nobody_else_opens_them(client, note, people, link_worker, who):
    client.force_login(people[who])
    url = reverse("linkworkers:supervision_for", args=[link_worker.uuid])
    assert client.get(url).status_code == 404
    assert client.post(url, {"text": "Sneaky."}).status_code == 404
    assert SupervisionNote.objects.count() == 1


def test_a_peer_navigator_never_opens_them(client, note, attached, peer_navigator, link_worker):
    client.force_login(peer_navigator)
    url = reverse("linkworkers:supervision_for", args=[link_worker.uuid])
    assert client.get(url).status_code == 404
    assert client.get(reverse("linkworkers:supervision")).status_code == 403
    page = client.get(reverse("linkworkers:peer_case", args=[attached.referral.uuid]))
    assert SECRET not in page.content.decode()


def test_another_link_worker_sees_only_their_own(client, note, other_link_worker):
    client.force_login(other_link_worker)
    assert SECRET not in client.get(reverse("linkworkers:supervision")).content.decode()
    assert list(supervision_notes_for(other_link_worker, note.link_worker)) == []


def test_an_empty_note_is_refused_by_name(client, link_worker):
    client.force_login(link_worker)
    response = client.post(reverse("linkworkers:supervision"), {"text": "  "})
    assert response.status_code == 400
    assert "text" in response.context["form"].errors
    assert not SupervisionNote.objects.exists()


def test_a_case_of_another_link_worker_is_refused(case, other_link_worker):
    with pytest.raises(ValidationError) as error:
        supervision_note_add(link_worker=other_link_worker, author=other_link_worker,
                             text="Mine.", referral=case)  # fmt: skip
    assert list(error.value.field_errors) == ["referral"]


def test_another_link_worker_may_not_write_about_llinos(link_worker, other_link_worker):
    with pytest.raises(InvalidTransition):
        supervision_note_add(link_worker=link_worker, author=other_link_worker, text="Gossip.")


def test_the_referrer_page_never_shows_them(client, note, case, gp):
    client.force_login(gp)
    page = client.get(reverse("referrals:detail", args=[case.uuid])).content.decode()
    assert SECRET not in page


def test_the_case_pages_never_show_them(client, note, case, link_worker):
    client.force_login(link_worker)
    for name in ("linkworkers:case", "linkworkers:what_matters", "referrals:detail"):
        assert SECRET not in client.get(reverse(name, args=[case.uuid])).content.decode()


def test_the_api_never_shows_them(client, note, case, gp):
    _client, token = api_client_create(name="Afon EMIS", organisation=gp.organisation,
                                       scopes=[ApiScope.REFERRALS_READ])  # fmt: skip
    response = client.get(f"/api/v1/referrals/{case.uuid}/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert SECRET not in response.content.decode()
    assert "supervision" not in response.content.decode().lower()
