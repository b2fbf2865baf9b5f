"""Who may open which referral page (DESIGN.md, Who may see what). Out of scope answers 404."""

import pytest
from django.urls import reverse

from referrals.models import Status

pytestmark = pytest.mark.django_db

# Glenys's referral, received: who sees its page?
DETAIL = {
    "referrer": 200,
    "coordinator": 200,
    "link_worker": 200,  # the scheme's unallocated queue
    "other_link_worker": 200,
    "outsider_referrer": 404,
    "outsider_coordinator": 404,
    "provider": 404,
    "commissioner": 404,
}
LISTS = {  # (referral list, triage queue, new referral form)
    "referrer": (200, 403, 200),
    "coordinator": (200, 200, 403),
    "link_worker": (200, 403, 403),
    "outsider_referrer": (200, 403, 200),
    "outsider_coordinator": (200, 200, 403),
    "provider": (403, 403, 403),
    "commissioner": (403, 403, 403),
}


@pytest.mark.parametrize(("who", "status"), DETAIL.items())
def test_the_referral_page(client, people, referral, who, status):
    client.force_login(people[who])
    assert client.get(reverse("referrals:detail", args=[referral.uuid])).status_code == status


def test_once_allocated_only_the_allocated_link_worker_sees_it(client, people, referral):
    referral.status, referral.link_worker = Status.ALLOCATED, people["link_worker"]
    referral.save()
    url = reverse("referrals:detail", args=[referral.uuid])
    client.force_login(people["link_worker"])
    assert client.get(url).status_code == 200
    client.force_login(people["other_link_worker"])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(("who", "statuses"), LISTS.items())
def test_the_list_pages(client, people, referral, who, statuses):
    client.force_login(people[who])
    urls = [reverse("referrals:list"), reverse("referrals:triage"), reverse("referrals:new")]
    assert tuple(client.get(url).status_code for url in urls) == statuses


@pytest.mark.parametrize("who", ["outsider_referrer", "outsider_coordinator"])
def test_outsiders_do_not_see_it_in_lists(client, people, referral, who):
    client.force_login(people[who])
    assert referral.reference not in client.get(reverse("referrals:list")).content.decode()


@pytest.mark.parametrize(
    "who", ["outsider_referrer", "outsider_coordinator", "provider", "commissioner"]
)
@pytest.mark.parametrize("action", ["accept", "reject", "cancel", "hold", "reopen"])
def test_actions_by_outsiders_answer_404_and_change_nothing(client, people, referral, who, action):
    client.force_login(people[who])
    url = reverse("referrals:action", args=[referral.uuid, action])
    assert client.post(url, {f"{action}-version": 1}).status_code == 404
    referral.refresh_from_db()
    assert (referral.status, referral.version) == ("received", 1)


def test_an_unknown_referral_is_404(client, people):
    import uuid

    client.force_login(people["coordinator"])
    assert client.get(reverse("referrals:detail", args=[uuid.uuid4()])).status_code == 404


def test_the_submitted_page_follows_the_same_rules(client, people, referral):
    url = reverse("referrals:submitted", args=[referral.uuid])
    client.force_login(people["referrer"])
    assert client.get(url).status_code == 200
    client.force_login(people["outsider_referrer"])
    assert client.get(url).status_code == 404


def test_pages_require_login(client, referral):
    for url in [reverse("referrals:list"), reverse("referrals:detail", args=[referral.uuid]),
                reverse("referrals:triage"), reverse("notifications:list")]:  # fmt: skip
        assert client.get(url).status_code == 302


def test_actions_reject_get(client, people, referral):
    client.force_login(people["coordinator"])
    assert (
        client.get(reverse("referrals:action", args=[referral.uuid, "accept"])).status_code == 405
    )


# The possible duplicates queue: a coordinator's, and only within their scheme.
DUPLICATES = {
    "referrer": 404,
    "coordinator": 200,
    "link_worker": 404,
    "other_link_worker": 404,
    "outsider_referrer": 404,
    "outsider_coordinator": 200,  # their own scheme's queue, without Teg Valley's pairs
    "provider": 404,
    "commissioner": 404,
}


@pytest.mark.parametrize(("who", "status"), DUPLICATES.items())
def test_the_possible_duplicates_queue(client, people, who, status):
    client.force_login(people[who])
    assert client.get(reverse("referrals:duplicates")).status_code == status
