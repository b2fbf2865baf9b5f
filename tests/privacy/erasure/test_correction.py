"""Correcting a person's details keeps the history: Gwenllian's surname was misspelt.

Dewi (the scheme's DPO) and Carys (its coordinator) may correct; nobody else may
even see the page.
"""

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, AuditSubject
from core.exceptions import InvalidTransition, Refused, StaleVersion, ValidationError
from privacy.models import PersonCorrection
from privacy.services.erasure import person_correct, person_erase
from referrals.models import Referral
from tests.privacy.erasure.conftest import BORN

pytestmark = pytest.mark.django_db


def url(person):
    return reverse("privacy:person_correct", args=[person.uuid])


def form_data(person, **changes):
    """What the page posts: every detail as shown, the changes, the reason and what was seen."""
    page = {
        "given_name": person.given_name, "family_name": person.family_name,
        "preferred_name": person.preferred_name, "date_of_birth": person.date_of_birth,
        "nhs_number": person.nhs_number or "", "gender": person.gender,
        "ethnic_group": person.ethnic_group, "address": person.address,
        "postcode": person.postcode, "phone": person.phone, "email": person.email,
        "contact_method": person.contact_method, "preferred_language": person.preferred_language,
        "communication_needs": person.communication_needs,
    }  # fmt: skip
    seen = {key: str(value or "") for key, value in page.items()}
    seen["date_of_birth"] = person.date_of_birth.isoformat()
    seen["may_leave_message"] = "1" if person.may_leave_message else ""
    if person.may_leave_message:
        page["may_leave_message"] = "on"
    return {**page, "reason": "The person told us the spelling.", "seen": json.dumps(seen),
            **changes}  # fmt: skip


def test_it_corrects_and_keeps_the_old_values(gwenllian, closed_case, dpo):
    correction = person_correct(
        person=gwenllian, actor=dpo, changes={"family_name": "Prydderch-Jones", "phone": ""},
        reason="She told us on the phone.",
    )  # fmt: skip
    gwenllian.refresh_from_db()
    assert (gwenllian.family_name, gwenllian.phone) == ("Prydderch-Jones", "")
    assert correction.changes == {
        "family_name": ["Prydderch", "Prydderch-Jones"],
        "phone": ["07700 900456", ""],
    }
    assert (correction.actor, correction.reason) == (dpo, "She told us on the phone.")
    assert correction.created_at is not None


def test_the_correction_is_audited_naming_the_person_and_the_fields(gwenllian, closed_case, dpo):
    correction = person_correct(
        person=gwenllian, actor=dpo, changes={"family_name": "Prydderch-Jones"},
        reason="She asked.",
    )  # fmt: skip
    audit = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert audit.actor == dpo
    assert audit.detail == f"person corrected ({correction.uuid}): family_name"
    assert "Prydderch" not in audit.detail  # the trail outlives an erasure: no values in it
    assert list(AuditSubject.objects.filter(event=audit).values_list("person_uuid", flat=True)) == [
        gwenllian.uuid
    ]


def test_the_referrers_copy_stays_as_they_gave_it(gwenllian, closed_case, dpo):
    person_correct(person=gwenllian, actor=dpo, changes={"family_name": "Jones"}, reason="Asked.")
    closed_case.refresh_from_db()
    assert closed_case.person_as_referred.family_name == "Prydderch"


def test_values_are_checked_and_normalised_as_at_intake(gwenllian, closed_case, coordinator):
    with pytest.raises(ValidationError) as error:
        person_correct(
            person=gwenllian, actor=coordinator,
            changes={"nhs_number": "1234567890", "postcode": "NOT A POSTCODE"}, reason="Typo.",
        )  # fmt: skip
    assert set(error.value.field_errors) == {"nhs_number", "postcode"}
    assert not PersonCorrection.objects.exists()
    person_correct(person=gwenllian, actor=coordinator, changes={"postcode": "sa6 8aa"},
                   reason="Typo.")  # fmt: skip
    gwenllian.refresh_from_db()
    assert gwenllian.postcode == "SA6 8AA"


def test_a_reason_is_required_and_nothing_changes_without_one(gwenllian, closed_case, dpo):
    with pytest.raises(ValidationError) as error:
        person_correct(person=gwenllian, actor=dpo, changes={"family_name": "X"}, reason="  ")
    assert error.value.field_errors == {"reason": ["Say why, in a few words."]}
    gwenllian.refresh_from_db()
    assert gwenllian.family_name == "Prydderch"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_a_correction_that_changes_nothing_is_refused(gwenllian, closed_case, dpo):
    with pytest.raises(ValidationError, match="Nothing was changed"):
        person_correct(person=gwenllian, actor=dpo, changes={"family_name": "Prydderch"},
                       reason="Check.")  # fmt: skip
    assert not PersonCorrection.objects.exists()


def test_a_field_someone_else_changed_meanwhile_is_refused(
    gwenllian, closed_case, dpo, coordinator
):
    person_correct(person=gwenllian, actor=coordinator, changes={"phone": "07700 900999"},
                   reason="New number.")  # fmt: skip
    with pytest.raises(StaleVersion, match="phone number"):
        person_correct(
            person=gwenllian, actor=dpo, changes={"phone": "07700 900111"},
            seen={"phone": "07700 900456"}, reason="Another number.",
        )  # fmt: skip
    gwenllian.refresh_from_db()
    assert gwenllian.phone == "07700 900999"


def test_only_the_schemes_dpo_and_coordinator_may_correct(
    gwenllian, closed_case, link_worker, outsider_dpo, outsider_coordinator
):
    for who in (link_worker, outsider_dpo, outsider_coordinator):
        with pytest.raises(Refused):
            person_correct(person=gwenllian, actor=who, changes={"family_name": "X"}, reason="?")
    gwenllian.refresh_from_db()
    assert gwenllian.family_name == "Prydderch"


def test_an_erased_person_cannot_be_corrected(gwenllian, closed_case, dpo):
    person_erase(person=gwenllian, actor=dpo, reason="Asked to be forgotten.")
    with pytest.raises(InvalidTransition, match="erased"):
        person_correct(person=gwenllian, actor=dpo, changes={"family_name": "X"}, reason="?")


# The page -------------------------------------------------------------------


def test_the_page_shows_the_details_and_the_history_and_is_audited(
    client, gwenllian, closed_case, coordinator
):
    person_correct(person=gwenllian, actor=coordinator, changes={"phone": "07700 900999"},
                   reason="New number.")  # fmt: skip
    client.force_login(coordinator)
    page = client.get(url(gwenllian))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="Prydderch"' in html
    assert "07700 900456" in html and "New number." in html  # the old value, kept
    audit = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (audit.actor, audit.detail, audit.records) == (
        coordinator, "person correction page", ["SP-GWEN001"],
    )  # fmt: skip


def test_posting_the_page_corrects_only_what_was_changed(client, gwenllian, closed_case, dpo):
    client.force_login(dpo)
    response = client.post(url(gwenllian), form_data(gwenllian, family_name="Prydderch-Jones"))
    assert response.status_code == 302
    correction = PersonCorrection.objects.get()
    assert correction.changes == {"family_name": ["Prydderch", "Prydderch-Jones"]}
    gwenllian.refresh_from_db()
    assert gwenllian.date_of_birth == BORN


def test_posting_bad_values_shows_the_errors_and_changes_nothing(
    client, gwenllian, closed_case, dpo
):
    client.force_login(dpo)
    data = form_data(gwenllian, nhs_number="1234567890", date_of_birth=date(2999, 1, 1), reason="")
    response = client.post(url(gwenllian), data)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"nhs_number", "date_of_birth", "reason"}
    assert not PersonCorrection.objects.exists()


def test_posting_over_someone_elses_change_is_refused(
    client, gwenllian, closed_case, dpo, coordinator
):
    client.force_login(dpo)
    data = form_data(gwenllian, phone="07700 900111")
    person_correct(person=gwenllian, actor=coordinator, changes={"phone": "07700 900999"},
                   reason="New number.")  # fmt: skip
    response = client.post(url(gwenllian), data, follow=True)
    assert "Someone else changed these details" in response.content.decode()
    gwenllian.refresh_from_db()
    assert gwenllian.phone == "07700 900999"


def test_the_page_says_when_the_person_was_erased(client, gwenllian, closed_case, dpo):
    person_erase(person=gwenllian, actor=dpo, reason="Asked to be forgotten.")
    client.force_login(dpo)
    page = client.get(url(gwenllian))
    assert page.status_code == 200 and page.context["form"] is None
    assert 'data-testid="erased"' in page.content.decode()
    assert client.post(url(gwenllian), {"family_name": "X"}).status_code == 200
    gwenllian.refresh_from_db()
    assert gwenllian.family_name == "Erased"


def test_a_correction_the_statistics_count_is_picked_up_by_the_next_rollup(
    gwenllian, closed_case, dpo, settings
):
    from reporting.models import ReferralFact
    from reporting.services import rollup_full, rollup_incremental

    settings.REPORTING_ROLLUP_OVERLAP_MINUTES = 0
    Referral.objects.update(updated_at=timezone.now() - timedelta(days=1))
    rollup_full()
    assert ReferralFact.objects.get(referral_id=closed_case.pk).age_band == "65-74"
    person_correct(person=gwenllian, actor=dpo, changes={"date_of_birth": date(1941, 2, 14)},
                   reason="Wrong year.")  # fmt: skip
    rollup_incremental()
    assert ReferralFact.objects.get(referral_id=closed_case.pk).age_band == "75+"
