from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from core.exceptions import InvalidTransition
from directory.exceptions import StaleChange
from directory.models import Service
from directory.selectors import service_change_rows
from directory.services import service_change_approve, service_change_propose
from tests.factories import ProviderFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "/directory/review/"


@pytest.fixture
def change(provider, garden):
    """Prys proposes that the garden has a waiting list now, and a Welsh name fixed."""
    return service_change_propose(
        service=garden,
        actor=provider,
        data={
            "name_cy": "Gardd y gymuned",
            "capacity": "waiting_list",
            "waiting_band": "1_to_3_months",
            "takes_direct_referrals": False,
        },
    )


def review_url(change, action=""):
    return f"/directory/review/{change.uuid}/{action + '/' if action else ''}"


def test_the_queue_lists_pending_changes_for_an_editor(client, editor, change):
    client.force_login(editor)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert review_url(change) in response.content.decode()


def test_the_queue_is_for_directory_editors(client, link_worker, provider, change):
    for user in (link_worker, provider):
        client.force_login(user)
        assert client.get(QUEUE).status_code == 403


def test_a_superuser_is_a_directory_editor(client, change):
    client.force_login(UserFactory(is_superuser=True, role="admin"))
    assert client.get(QUEUE).status_code == 200


def test_the_queue_query_count_does_not_grow_with_changes(client, editor, provider, change):
    client.force_login(editor)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE).status_code == 200
        return len(queries)

    few = count()
    for n in range(4):
        service = ServiceFactory(provider=change.service.provider)
        service_change_propose(service=service, actor=provider, data={"phone": f"0{n}"})
    assert count() == few


def test_the_review_page_shows_the_difference_field_by_field(client, editor, change):
    client.force_login(editor)
    response = client.get(review_url(change))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Name in Welsh" in page
    assert "<del>Gardd gymunedol</del>" in page
    assert "<ins>Gardd y gymuned</ins>" in page
    assert "<ins>Waiting list</ins>" in page
    assert "<del>Open to new people</del>" in page
    assert "<del>(empty)</del>" in page
    assert "<ins>1 to 3 months</ins>" in page


def test_the_difference_uses_labels_for_choices_and_yes_no(change):
    rows = {row["name"]: row for row in service_change_rows(change)}
    assert list(rows) == ["name_cy", "takes_direct_referrals", "capacity", "waiting_band"]
    assert rows["takes_direct_referrals"] == {
        "name": "takes_direct_referrals",
        "label": "takes referrals",
        "before": "Yes",
        "after": "No",
    }
    assert (rows["capacity"]["before"], rows["capacity"]["after"]) == (
        "Open to new people",
        "Waiting list",
    )


def test_the_difference_is_in_welsh_on_a_welsh_page(client, editor, change):
    client.force_login(editor)
    page = client.get("/cy" + review_url(change)).content.decode()
    assert "Rhestr aros" in page


def test_the_review_page_is_404_for_others(client, provider, link_worker, change):
    for user in (provider, link_worker):
        client.force_login(user)
        assert client.get(review_url(change)).status_code == 404


def test_it_approves_a_change(client, editor, change, garden, django_capture_on_commit_callbacks):
    garden.stale_notified_on = timezone.localdate()
    garden.last_reviewed_on = None
    garden.save()
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(review_url(change, "approve"))
    assert response.status_code == 302
    assert response.url == QUEUE
    garden.refresh_from_db()
    assert garden.name_cy == "Gardd y gymuned"
    assert (garden.capacity, garden.waiting_band) == ("waiting_list", "1_to_3_months")
    assert garden.takes_direct_referrals is False
    assert garden.last_reviewed_on == timezone.localdate()
    assert garden.reviewed_by == editor
    assert garden.stale_notified_on is None
    change.refresh_from_db()
    assert (change.status, change.decided_by) == ("approved", editor)
    assert change.decided_at is not None


def test_approving_writes_an_audit_row(client, editor, change, garden):
    client.force_login(editor)
    client.post(review_url(change, "approve"))
    event = AuditEvent.objects.get(object_type="directory.service", actor=editor)
    assert event.object_id == str(garden.uuid)
    assert event.detail.startswith(f"service change {change.uuid} approved")


def test_approving_refreshes_the_search_document(editor, change, garden):
    with mock.patch("directory.services.upkeep.service_refresh_search") as refresh:
        service_change_approve(change=change, actor=editor)
    refresh.assert_called_once_with(service_ids=[garden.pk])


def test_approving_emails_the_provider_staff(
    client, editor, change, provider, django_capture_on_commit_callbacks
):
    colleague = UserFactory(role="provider", organisation=provider.organisation)
    UserFactory(role="provider", organisation=provider.organisation, email="")  # no address
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(review_url(change, "approve"))
    assert sorted(m.to[0] for m in mail.outbox) == sorted([provider.email, colleague.email])
    message = next(m for m in mail.outbox if m.to == [provider.email])
    assert message.subject == "Your change to Community garden is approved"
    assert "Hello Prys," in message.body
    assert "- Name in Welsh: Gardd y gymuned" in message.body
    assert "http://127.0.0.1:8000/directory/manage/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<li>Capacity: Waiting list</li>" in html
    assert 'href="http://127.0.0.1:8000/directory/manage/"' in html


def test_mail_waits_for_the_commit(client, editor, change, django_capture_on_commit_callbacks):
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(review_url(change, "approve"))
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_approving_rejects_get(client, editor, change):
    client.force_login(editor)
    assert client.get(review_url(change, "approve")).status_code == 405
    change.refresh_from_db()
    assert change.status == "pending"


@pytest.mark.parametrize("who", ["provider", "link_worker", "outsider"])
def test_only_an_editor_may_approve(client, request, change, garden, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(review_url(change, "approve")).status_code == 404
    change.refresh_from_db()
    garden.refresh_from_db()
    assert change.status == "pending"
    assert garden.capacity == "open"


def test_the_service_refuses_an_actor_who_is_not_an_editor(provider, change):
    with pytest.raises(InvalidTransition):
        service_change_approve(change=change, actor=provider)


def test_a_change_is_decided_once(client, editor, change):
    client.force_login(editor)
    client.post(review_url(change, "approve"))
    response = client.post(review_url(change, "approve"), follow=True)
    assert "This change has already been decided (Approved)." in response.content.decode()
    assert AuditEvent.objects.filter(actor=editor).count() == 1


def test_approving_is_refused_when_the_listing_moved_underneath(client, editor, change, garden):
    # An administrator fixed the Welsh name after Prys proposed his.
    Service.objects.filter(pk=garden.pk).update(name_cy="Gardd Gymunedol Teg")
    client.force_login(editor)
    response = client.post(review_url(change, "approve"), follow=True)
    assert (
        "The listing has changed since this was proposed (name in Welsh). "
        "Reject this change and ask the provider to make it again."
    ) in response.content.decode()
    garden.refresh_from_db()
    assert (garden.name_cy, garden.capacity) == ("Gardd Gymunedol Teg", "open")
    change.refresh_from_db()
    assert change.status == "pending"


def test_the_service_raises_stale_change(editor, change, garden):
    Service.objects.filter(pk=garden.pk).update(capacity="full")
    with pytest.raises(StaleChange):
        service_change_approve(change=change, actor=editor)


def test_a_move_in_a_field_the_change_leaves_alone_does_not_block_it(editor, change, garden):
    Service.objects.filter(pk=garden.pk).update(phone="01234 000000")
    service_change_approve(change=change, actor=editor)
    garden.refresh_from_db()
    assert (garden.phone, garden.name_cy) == ("01234 000000", "Gardd y gymuned")


def test_approving_refuses_a_combination_that_became_invalid(editor, provider, garden):
    change = service_change_propose(service=garden, actor=provider, data={"minimum_age": 50})
    Service.objects.filter(pk=garden.pk).update(maximum_age=30)
    with pytest.raises(Exception, match="Please correct") as error:
        service_change_approve(change=change, actor=editor)
    assert "maximum_age" in error.value.field_errors
    garden.refresh_from_db()
    assert garden.minimum_age is None


def test_it_rejects_a_change_with_a_reason(
    client, editor, change, garden, provider, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            review_url(change, "reject"), {"reason": "The waiting list ended last week."}
        )
    assert response.status_code == 302
    change.refresh_from_db()
    assert (change.status, change.decided_by) == ("rejected", editor)
    assert change.decision_note == "The waiting list ended last week."
    garden.refresh_from_db()
    assert (garden.name_cy, garden.capacity) == ("Gardd gymunedol", "open")
    event = AuditEvent.objects.get(actor=editor)
    assert (event.object_type, event.object_id) == ("directory.servicechange", str(change.uuid))
    [message] = mail.outbox
    assert message.to == [provider.email]
    assert message.subject == "Your change to Community garden was not approved"
    assert "The waiting list ended last week." in message.body
    assert "The waiting list ended last week." in message.alternatives[0][0]


def test_rejecting_needs_a_reason(client, editor, change):
    client.force_login(editor)
    response = client.post(review_url(change, "reject"), {"reason": "   "})
    assert response.status_code == 400
    assert response.context["reject_form"].errors["reason"] == ["This field is required."]
    change.refresh_from_db()
    assert change.status == "pending"
    assert not AuditEvent.objects.filter(actor=editor).exists()


def test_the_service_refuses_a_blank_reason(editor, change):
    from core.exceptions import ValidationError
    from directory.services import service_change_reject

    with pytest.raises(ValidationError) as error:
        service_change_reject(change=change, actor=editor, reason=" ")
    assert error.value.field_errors == {
        "reason": ["Say why the change is rejected: the provider is told."]
    }


def test_rejecting_rejects_get_and_outsiders(client, editor, outsider, change):
    client.force_login(editor)
    assert client.get(review_url(change, "reject")).status_code == 405
    client.force_login(outsider)
    assert client.post(review_url(change, "reject"), {"reason": "No"}).status_code == 404
    change.refresh_from_db()
    assert change.status == "pending"


def test_a_welsh_speaking_provider_is_told_in_welsh(
    client, editor, change, provider, django_capture_on_commit_callbacks
):
    provider.preferred_language = "cy"
    provider.save()
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(review_url(change, "reject"), {"reason": "Mae'r rhestr aros wedi dod i ben."})
    [message] = mail.outbox
    assert message.subject == "Ni chymeradwywyd eich newid i Gardd gymunedol"
    assert "Helo Prys," in message.body
    assert "http://127.0.0.1:8000/cy/directory/manage/" in message.body
    assert 'lang="cy"' in message.alternatives[0][0]


def test_the_provider_sees_the_decision(client, editor, change, provider):
    service_change_approve(change=change, actor=editor)
    client.force_login(provider)
    page = client.get("/directory/manage/").content.decode()
    assert "Approved" in page
    assert "Waiting list (1 to 3 months)" in page


def seen_on_page(client, change):
    page = client.get(review_url(change)).content.decode()
    return page.split('name="seen" value="')[1].split('"')[0]


def test_the_editor_approves_what_the_page_showed(client, editor, change, garden):
    client.force_login(editor)
    seen = seen_on_page(client, change)
    assert client.post(review_url(change, "approve"), {"seen": seen}).status_code == 302
    change.refresh_from_db()
    assert change.status == "approved"


def test_approving_is_refused_when_the_provider_edited_the_proposal_meanwhile(
    client, editor, provider, change, garden
):
    client.force_login(editor)
    seen = seen_on_page(client, change)
    service_change_propose(service=garden, actor=provider, data={"capacity": "full"})
    response = client.post(review_url(change, "approve"), {"seen": seen}, follow=True)
    assert (
        "The provider has changed this proposal since you opened it. Look at it again."
        in response.content.decode()
    )
    garden.refresh_from_db()
    change.refresh_from_db()
    assert (garden.capacity, change.status) == ("open", "pending")
    assert change.after == {"capacity": "full"}


def test_rejecting_is_refused_when_the_provider_edited_the_proposal_meanwhile(
    client, editor, provider, change, garden
):
    client.force_login(editor)
    seen = seen_on_page(client, change)
    service_change_propose(service=garden, actor=provider, data={"capacity": "full"})
    response = client.post(
        review_url(change, "reject"), {"seen": seen, "reason": "No"}, follow=True
    )
    assert "since you opened it" in response.content.decode()
    change.refresh_from_db()
    assert change.status == "pending"


@pytest.mark.django_db(transaction=True)
def test_two_editors_approving_at_once_apply_it_once(editor, change, garden):
    """Each approval locks the row: the second waits, then finds the change decided."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises every write anyway)")
    import threading

    second_editor = UserFactory(is_superuser=True, role="admin")
    outcomes = []
    barrier = threading.Barrier(2)

    def approve(actor):
        try:
            barrier.wait()
            service_change_approve(change=change, actor=actor)
            outcomes.append("approved")
        except InvalidTransition as error:
            outcomes.append(error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(a,)) for a in (editor, second_editor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["This change has already been decided (Approved).", "approved"]
    assert AuditEvent.objects.filter(detail__contains="approved").count() == 1


def test_a_decided_change_shows_the_decision_and_no_buttons(client, editor, change):
    from directory.services import service_change_reject

    service_change_reject(change=change, actor=editor, reason="The waiting list has ended.")
    client.force_login(editor)
    page = client.get(review_url(change)).content.decode()
    assert "Rejected by Carys" in page
    assert "Reason: The waiting list has ended." in page
    assert "Approve this change" not in page


def test_the_review_pages_only_answer_get(client, editor, change):
    client.force_login(editor)
    assert client.post(QUEUE).status_code == 405
    assert client.post(review_url(change)).status_code == 405


def test_a_subject_is_plain_text_not_html(
    client, editor, provider, django_capture_on_commit_callbacks
):
    shed = ServiceFactory(
        name="Men's Shed & Café", provider=ProviderFactory(organisation=provider.organisation)
    )
    change = service_change_propose(service=shed, actor=provider, data={"capacity": "full"})
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(review_url(change, "approve"))
    message = next(m for m in mail.outbox if m.to == [provider.email])
    assert message.subject == "Your change to Men's Shed & Café is approved"
