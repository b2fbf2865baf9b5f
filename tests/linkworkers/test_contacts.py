"""Llinos logs her calls and visits to Glenys; the first time she reaches her, Gwen hears."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from core.exceptions import InvalidTransition
from core.models import OutboxEmail
from core.outbox import about
from linkworkers import services
from linkworkers.models import Contact
from referrals.models import Notification, ReferralEvent, Status

pytestmark = pytest.mark.django_db


def _form(**overrides):
    when = timezone.localtime() - timedelta(hours=1)
    data = {"happened_at": when.strftime("%Y-%m-%dT%H:%M"), "mode": "phone",
            "outcome": "reached", "minutes": "25", "notes": "Talked about her garden."}  # fmt: skip
    data.update(overrides)
    return data


def _post(client, case, **overrides):
    return client.post(reverse("linkworkers:contact_log", args=[case.uuid]), _form(**overrides))


def test_she_reaches_glenys_and_the_case_is_in_progress(client, link_worker, case):
    client.force_login(link_worker)
    response = _post(client, case)
    assert response.status_code == 302
    assert response.url == reverse("linkworkers:case", args=[case.uuid])
    contact = Contact.objects.get()
    assert (contact.mode, contact.outcome, contact.minutes, contact.recorded_by) == (
        "phone", "reached", 25, link_worker,
    )  # fmt: skip
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert case.first_contact_at == contact.happened_at


def test_the_referrer_is_told_of_the_first_contact(client, link_worker, case, gp):
    client.force_login(link_worker)
    _post(client, case)
    notification = Notification.objects.get(recipient=gp)
    assert "A link worker has made first contact with Glenys Pritchard" in notification.message
    assert OutboxEmail.objects.get(to=gp.email).about == about(case)


def test_the_timeline_gets_the_contact_and_the_status_change(client, link_worker, case):
    client.force_login(link_worker)
    _post(client, case)
    kinds = list(case.events.values_list("kind", "to_status", "visible_to_referrer"))
    assert kinds == [("contact", "", False), ("status", "in_progress", True)]
    assert "Phone: Reached (25 min)." in case.events.get(kind="contact").note


def test_the_contact_is_audited(client, link_worker, case):
    client.force_login(link_worker)
    _post(client, case)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.actor, event.object_type) == (link_worker, "linkworkers.contact")


def test_a_missed_call_leaves_the_case_allocated_and_tells_no_one(client, link_worker, case):
    client.force_login(link_worker)
    _post(client, case, outcome="no_answer", minutes="2")
    case.refresh_from_db()
    assert case.status == Status.ALLOCATED and case.first_contact_at is None
    assert not Notification.objects.exists()
    assert list(case.events.values_list("kind", flat=True)) == ["contact"]


def test_later_contacts_do_not_tell_the_referrer_again(client, link_worker, case):
    client.force_login(link_worker)
    _post(client, case)
    _post(client, case, mode="face_to_face")
    assert Notification.objects.count() == 1
    assert Contact.objects.count() == 2


def test_reaching_someone_on_hold_does_not_resume_the_case(link_worker, case):
    case.status, case.hold_review_date = Status.ON_HOLD, timezone.localdate()
    case.save()
    services.contact_log(referral=case, actor=link_worker, happened_at=timezone.now(),
                         mode="phone", outcome="reached")  # fmt: skip
    case.refresh_from_db()
    assert case.status == Status.ON_HOLD


def test_a_closed_case_takes_no_contacts(link_worker, case):
    case.status = Status.CLOSED
    case.save()
    with pytest.raises(InvalidTransition, match="This case is Closed: reopen it first."):
        services.contact_log(referral=case, actor=link_worker, happened_at=timezone.now(),
                             mode="phone", outcome="reached")  # fmt: skip
    assert not Contact.objects.exists()


def test_it_rejects_get(client, link_worker, case):
    client.force_login(link_worker)
    assert client.get(reverse("linkworkers:contact_log", args=[case.uuid])).status_code == 405


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("happened_at", "", "This field is required."),
        ("happened_at", "yesterday", "Enter a valid date/time."),
        ("mode", "carrier pigeon", "Select a valid choice."),
        ("outcome", "maybe", "Select a valid choice."),
        ("minutes", "-5", "Ensure this value is greater than or equal to 0."),
        ("minutes", "601", "Ensure this value is less than or equal to 600."),
        ("notes", "x" * 2001, "Ensure this value has at most 2000 characters"),
        ("next_contact_on", "2026-02-30", "Enter a valid date."),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    client, link_worker, case, field, value, message
):
    client.force_login(link_worker)
    response = _post(client, case, **{field: value})
    assert response.status_code == 200
    assert message in str(response.context["contact_form"].errors[field])
    assert not Contact.objects.exists()
    assert not ReferralEvent.objects.exists()


def test_a_contact_in_the_future_is_refused(client, link_worker, case):
    client.force_login(link_worker)
    later = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _post(client, case, happened_at=later)
    assert response.context["contact_form"].errors["happened_at"] == [
        "A contact cannot be in the future."
    ]
    assert not Contact.objects.exists()


def test_the_next_contact_cannot_be_before_this_one(client, link_worker, case):
    client.force_login(link_worker)
    before = (timezone.localdate() - timedelta(days=3)).isoformat()
    response = _post(client, case, next_contact_on=before)
    assert response.context["contact_form"].errors["next_contact_on"] == [
        "The next contact cannot be before this one."
    ]
    case.refresh_from_db()
    assert case.status == Status.ALLOCATED and not Contact.objects.exists()


def test_the_workspace_lists_contacts_newest_first(client, link_worker, case):
    client.force_login(link_worker)
    _post(client, case, outcome="no_answer", happened_at="2026-01-05T09:00")
    _post(client, case, outcome="reached", happened_at="2026-01-07T09:00")
    contacts = client.get(reverse("linkworkers:case", args=[case.uuid])).context["contacts"]
    assert [c.outcome for c in contacts] == ["reached", "no_answer"]


def test_the_coordinator_sees_no_contact_form(client, coordinator, case):
    client.force_login(coordinator)
    html = client.get(reverse("linkworkers:case", args=[case.uuid])).content.decode()
    assert "Log a contact" not in html


def test_the_service_refuses_anyone_but_the_link_worker_holding_the_case(coordinator, case):
    with pytest.raises(
        InvalidTransition, match="Only the link worker holding this case can record a contact."
    ):
        services.contact_log(referral=case, actor=coordinator, happened_at=timezone.now(),
                             mode="phone", outcome="reached")  # fmt: skip
    assert not Contact.objects.exists()


def test_the_workspace_in_welsh(client, link_worker, case):
    client.force_login(link_worker)
    html = client.get(f"/cy/cases/{case.uuid}/").content.decode()
    assert "Cofnodi cyswllt" in html and "Trosolwg a chysylltiadau" in html
