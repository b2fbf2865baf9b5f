"""The Django admin cannot go round the referral services: people, referrals and their
timeline are read-only there, and never deleted (Ifan administers the system)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from referrals.models import Person, Referral, ReferralEvent
from tests.factories import ReferralFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client):
    user = UserFactory(username="ifan", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.mark.parametrize("model", ["person", "referral"])
def test_an_administrator_reads_but_cannot_change_or_delete(client, administrator, model):
    referral = ReferralFactory()
    ReferralEvent.objects.create(
        referral=referral, kind=ReferralEvent.Kind.NOTE, note="Called.", created_at=timezone.now()
    )
    obj = referral.person if model == "person" else referral
    change = reverse(f"admin:referrals_{model}_change", args=[obj.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"status": "closed", "given_name": "X"}).status_code == 403
    delete = reverse(f"admin:referrals_{model}_delete", args=[obj.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse(f"admin:referrals_{model}_changelist")
    bulk = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    client.post(changelist, bulk)
    assert Person.objects.filter(pk=referral.person_id).exists()
    assert Referral.objects.filter(pk=referral.pk, status=referral.status).exists()
    assert ReferralEvent.objects.filter(referral=referral).count() == 1
