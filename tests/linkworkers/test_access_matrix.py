"""Who may open which case page, and every read audited (DESIGN.md, Who may see what).

Glenys's case is Llinos's; Siân is the peer navigator attached to it and Iolo
one who is not. Out of scope answers 404, so a case's existence does not leak.
"""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db

WORKSPACE = ["linkworkers:case", "linkworkers:what_matters", "linkworkers:outcomes",
             "linkworkers:close", "linkworkers:people"]  # fmt: skip
EVERYONE = ["link_worker", "other_link_worker", "coordinator", "referrer", "outsider_referrer",
            "outsider_coordinator", "provider", "commissioner", "peer_navigator",
            "other_peer_navigator"]  # fmt: skip
ALLOWED = {
    **{page: {"link_worker", "coordinator"} for page in WORKSPACE},
    "linkworkers:peer_case": {"peer_navigator"},
    "linkworkers:supervision_for": {"link_worker", "coordinator"},
}


@pytest.fixture
def everyone(people, peer_navigator, other_peer_navigator, attached):
    return {
        **people,
        "peer_navigator": peer_navigator,
        "other_peer_navigator": other_peer_navigator,
    }


def _url(page, case, link_worker):
    target = link_worker.uuid if page == "linkworkers:supervision_for" else case.uuid
    return reverse(page, args=[target])


@pytest.mark.parametrize("page", list(ALLOWED))
@pytest.mark.parametrize("who", EVERYONE)
def test_the_matrix(client, everyone, case, link_worker, page, who):
    client.force_login(everyone[who])
    before = AuditEvent.objects.filter(actor=everyone[who], action=AuditEvent.Action.VIEW).count()
    response = client.get(_url(page, case, link_worker))
    expected = 200 if who in ALLOWED[page] else 404
    assert response.status_code == expected
    after = AuditEvent.objects.filter(actor=everyone[who], action=AuditEvent.Action.VIEW).count()
    # Every read that shows something is audited; a refused one shows nothing.
    assert after == before + (1 if expected == 200 else 0)


@pytest.mark.parametrize("page", WORKSPACE + ["linkworkers:peer_case"])
def test_a_case_read_names_the_person(client, everyone, case, link_worker, page):
    who = "peer_navigator" if page == "linkworkers:peer_case" else "link_worker"
    client.force_login(everyone[who])
    client.get(_url(page, case, link_worker))
    event = AuditEvent.objects.filter(actor=everyone[who], action=AuditEvent.Action.VIEW).last()
    assert event.detail.endswith(f"referral {case.reference}")


@pytest.mark.parametrize("page", ["linkworkers:team", "linkworkers:waiting"])
@pytest.mark.parametrize("who", EVERYONE)
def test_the_coordinator_pages(client, everyone, page, who):
    client.force_login(everyone[who])
    allowed = who in {"coordinator", "outsider_coordinator"}
    assert client.get(reverse(page)).status_code == (200 if allowed else 403)


WRITES = [
    ("linkworkers:reassign", {"link_worker": "", "version": "3"}, {"coordinator"}),
    ("linkworkers:peer_navigator_add", {"peer_navigator": ""}, {"coordinator", "link_worker"}),
]


@pytest.mark.parametrize(("page", "data", "allowed"), WRITES)
@pytest.mark.parametrize("who", EVERYONE)
def test_the_writes(client, everyone, case, page, data, allowed, who):
    client.force_login(everyone[who])
    response = client.post(reverse(page, args=[case.uuid]), data)
    if who in allowed:
        assert response.status_code == 400  # in scope: the empty choice is refused by name
    elif who == "link_worker":
        assert response.status_code == 403  # her case, but reassigning is the coordinator's
    else:
        assert response.status_code == 404
