"""A person's page for data protection: Dewi (the DPO) and Carys (the coordinator) only."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from core.templatetags.nhs import nhs_number
from referrals.models import Status
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def _url(person):
    return reverse("privacy:person", args=[person.uuid])


def test_the_dpo_sees_the_details_the_referrals_and_a_link_to_the_history(
    client, dpo, glenys, glenys_referral
):
    client.force_login(dpo)
    response = client.get(_url(glenys))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Glenys Pritchard</h1>" in page
    assert "999" in page and nhs_number(glenys.nhs_number) in page  # shown 3-3-4
    assert "SP-GLENYS1" in page
    assert reverse("privacy:person_audit", args=[glenys.uuid]) in page
    for action in ["subject_access", "person_correct", "person_erase"]:
        assert reverse(f"privacy:{action}", args=[glenys.uuid]) in page
    # The DPO does not read casework: no links to the referral pages.
    assert reverse("referrals:detail", args=[glenys_referral.uuid]) not in page


def test_the_coordinator_sees_links_to_the_referrals_and_no_audit_history(
    client, coordinator, glenys, glenys_referral
):
    client.force_login(coordinator)
    page = client.get(_url(glenys)).content.decode()
    assert reverse("referrals:detail", args=[glenys_referral.uuid]) in page
    assert reverse("privacy:person_audit", args=[glenys.uuid]) not in page
    # She may export and correct; erasure is the DPO's.
    assert reverse("privacy:subject_access", args=[glenys.uuid]) in page
    assert reverse("privacy:person_correct", args=[glenys.uuid]) in page
    assert reverse("privacy:person_erase", args=[glenys.uuid]) not in page


def test_only_this_schemes_referrals_are_listed(client, coordinator, glenys, outsider_coordinator):
    ReferralFactory(person=glenys, reference="SP-ELSEWH1", scheme=outsider_coordinator.organisation)
    ReferralFactory(person=glenys, reference="SP-SECOND1", scheme=coordinator.organisation,
                    status=Status.ACCEPTED)  # fmt: skip
    client.force_login(coordinator)
    response = client.get(_url(glenys))
    assert [r.reference for r in response.context["referrals"]] == ["SP-GLENYS1", "SP-SECOND1"]
    assert "SP-ELSEWH1" not in response.content.decode()


@pytest.mark.parametrize(
    "who",
    ["referrer", "link_worker", "other_link_worker", "outsider_referrer", "outsider_coordinator",
     "provider", "commissioner", "admin", "peer_navigator"],
)  # fmt: skip
def test_everyone_else_gets_404(client, everyone, glenys, who):
    client.force_login(everyone[who])
    assert client.get(_url(glenys)).status_code == 404


def test_someone_not_referred_to_the_scheme_is_404(client, dpo, coordinator, bethan):
    for user in (dpo, coordinator):
        client.force_login(user)
        assert client.get(_url(bethan)).status_code == 404


def test_another_schemes_dpo_gets_404(client, outsider_dpo, glenys):
    client.force_login(outsider_dpo)
    assert client.get(_url(glenys)).status_code == 404


def test_the_page_is_audited_naming_the_person_and_their_referrals(client, dpo, glenys):
    client.force_login(dpo)
    client.get(_url(glenys))
    own = AuditEvent.objects.filter(actor=dpo).latest("pk")
    assert (own.action, own.object_type, own.object_id) == (
        AuditEvent.Action.VIEW, "referrals.person", str(glenys.uuid),
    )  # fmt: skip
    assert own.records == ["SP-GLENYS1"]
    assert list(own.subjects.values_list("person_uuid", flat=True)) == [glenys.uuid]


def test_the_referral_page_links_the_coordinator_to_the_persons_page(
    client, coordinator, link_worker, glenys, glenys_referral
):
    url = reverse("referrals:detail", args=[glenys_referral.uuid])
    client.force_login(coordinator)
    assert _url(glenys) in client.get(url).content.decode()
    client.force_login(link_worker)
    assert _url(glenys) not in client.get(url).content.decode()


def test_the_audit_trail_links_to_the_persons_page(client, dpo, glenys, link_worker):
    from accounts.services import audit_view

    audit_view(actor=link_worker, what="case", people=[glenys])
    client.force_login(dpo)
    assert _url(glenys) in client.get(reverse("privacy:audit")).content.decode()


def test_hostile_text_in_the_record_shows_as_text(client, coordinator, glenys):
    glenys.given_name = "<script>alert(1)</script>"
    glenys.communication_needs = "</dd><img src=x onerror=alert(2)>"
    glenys.save()
    client.force_login(coordinator)
    page = client.get(_url(glenys)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
