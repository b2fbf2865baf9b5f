"""The message thread on a connection: Llinos (link worker) and Prys (provider) write to each
other about Glenys's place in the gardening group; each is told of the other's message.
Rhodri (another provider) and Dafydd (another link worker) see nothing of it."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from core.exceptions import InvalidTransition, Refused, ValidationError
from linkworkers import services
from linkworkers.models import ConnectionMessage
from referrals.models import Notification

pytestmark = pytest.mark.django_db


def lw_url(connection, name="connection"):
    return reverse(
        f"linkworkers:{name}",
        kwargs={"referral_uuid": connection.referral.uuid, "connection_uuid": connection.uuid},
    )


def provider_url(connection, name="detail"):
    return reverse(f"providers:{name}", kwargs={"connection_uuid": connection.uuid})


# --- the service ---------------------------------------------------------------------------


def test_prys_hears_of_llinoss_message(link_worker, prys, referred):
    message = services.connection_message_post(
        connection=referred, actor=link_worker, text="  Can Glenys start on Tuesday?  "
    )
    assert message.text == "Can Glenys start on Tuesday?"
    notice = Notification.objects.get(recipient=prys)
    assert "Llinos Watkins sent a message about Community gardening group" in notice.message
    assert "Tuesday" not in notice.message  # the words stay behind the sign-in
    assert AuditEvent.objects.filter(object_id=str(message.uuid), action="create").exists()


def test_llinos_hears_of_pryss_answer(link_worker, prys, referred):
    services.connection_message_post(connection=referred, actor=prys, text="Yes, 10am.")
    notice = Notification.objects.get(recipient=link_worker)
    assert "sent a message about Community gardening group" in notice.message
    assert not Notification.objects.filter(recipient=prys).exists()


def test_an_empty_message_is_refused_naming_the_field(link_worker, referred):
    with pytest.raises(ValidationError) as error:
        services.connection_message_post(connection=referred, actor=link_worker, text="   ")
    assert error.value.field_errors == {"text": ["Write a message."]}
    assert not ConnectionMessage.objects.exists()


def test_a_long_message_is_refused(link_worker, referred):
    with pytest.raises(ValidationError) as error:
        services.connection_message_post(connection=referred, actor=link_worker, text="x" * 2001)
    assert "2000 characters" in error.value.field_errors["text"][0]


def test_no_thread_on_a_proposal(link_worker, proposed):
    with pytest.raises(InvalidTransition, match="Refer the person"):
        services.connection_message_post(connection=proposed, actor=link_worker, text="Hello")


def test_prys_cannot_write_on_a_proposal_he_cannot_see(prys, proposed):
    with pytest.raises(Refused):
        services.connection_message_post(connection=proposed, actor=prys, text="Hello")


def test_rhodri_is_refused_as_if_it_were_not_there(rhodri, referred):
    with pytest.raises(Refused):
        services.connection_message_post(connection=referred, actor=rhodri, text="Hello")


def test_the_coordinator_reads_but_does_not_write(coordinator, referred):
    with pytest.raises(InvalidTransition):
        services.connection_message_post(connection=referred, actor=coordinator, text="Hi")


# --- the pages -----------------------------------------------------------------------------


def test_llinos_sends_a_message_from_the_connection_page(client, link_worker, prys, referred):
    client.force_login(link_worker)
    response = client.post(lw_url(referred, "connection_message"), {"text": "Is there space?"})
    assert response.status_code == 302
    assert response["Location"] == lw_url(referred)
    body = client.get(lw_url(referred)).content.decode()
    assert "Is there space?" in body
    assert Notification.objects.filter(recipient=prys).count() == 1


def test_prys_reads_and_answers_on_his_page(client, link_worker, prys, referred):
    services.connection_message_post(connection=referred, actor=link_worker, text="Is there space?")
    client.force_login(prys)
    page = client.get(provider_url(referred))
    assert page.status_code == 200
    assert "Is there space?" in page.content.decode()
    response = client.post(provider_url(referred, "message"), {"text": "Plenty."})
    assert response.status_code == 302
    assert ConnectionMessage.objects.filter(author=prys, text="Plenty.").exists()
    assert Notification.objects.filter(recipient=link_worker).count() == 1


def test_the_provider_page_is_audited_naming_glenys(client, prys, referred):
    client.force_login(prys)
    client.get(provider_url(referred))
    event = AuditEvent.objects.filter(actor=prys, action="view").latest("pk")
    assert referred.referral.reference in event.records


def test_an_empty_message_comes_back_with_the_error(client, link_worker, referred):
    client.force_login(link_worker)
    response = client.post(lw_url(referred, "connection_message"), {"text": ""})
    assert response.status_code == 400
    assert "Write a message." in response.content.decode()
    assert not ConnectionMessage.objects.exists()


def test_the_message_pages_refuse_get(client, link_worker, prys, referred):
    client.force_login(link_worker)
    assert client.get(lw_url(referred, "connection_message")).status_code == 405
    client.force_login(prys)
    assert client.get(provider_url(referred, "message")).status_code == 405


def test_rhodri_gets_404_for_pryss_connection(client, rhodri, referred):
    client.force_login(rhodri)
    assert client.get(provider_url(referred)).status_code == 404
    assert client.post(provider_url(referred, "message"), {"text": "x"}).status_code == 404
    assert not ConnectionMessage.objects.exists()


def test_prys_gets_404_for_a_proposal(client, prys, proposed):
    client.force_login(prys)
    assert client.get(provider_url(proposed)).status_code == 404


def test_dafydd_and_outsiders_get_404_on_the_case_side(
    client, other_link_worker, outsider_coordinator, gp, prys, referred
):
    for user in (other_link_worker, outsider_coordinator, gp, prys):
        client.force_login(user)
        assert client.get(lw_url(referred)).status_code == 404
        response = client.post(lw_url(referred, "connection_message"), {"text": "x"})
        assert response.status_code == 404
    assert not ConnectionMessage.objects.exists()


def test_a_connection_of_another_case_is_404(client, link_worker, referred, case):
    from tests.factories import ConnectionFactory, ReferralFactory

    elsewhere = ConnectionFactory(referral=ReferralFactory(link_worker=link_worker))
    client.force_login(link_worker)
    url = reverse(
        "linkworkers:connection",
        kwargs={"referral_uuid": referred.referral.uuid, "connection_uuid": elsewhere.uuid},
    )
    assert client.get(url).status_code == 404


def test_the_coordinator_sees_the_thread_without_a_form(client, coordinator, prys, referred):
    services.connection_message_post(connection=referred, actor=prys, text="She came today.")
    client.force_login(coordinator)
    body = client.get(lw_url(referred)).content.decode()
    assert "She came today." in body
    assert 'data-testid="message-form"' not in body


def test_hostile_text_is_shown_escaped(client, link_worker, prys, referred):
    services.connection_message_post(
        connection=referred, actor=link_worker, text="<script>alert(1)</script>"
    )
    client.force_login(prys)
    body = client.get(provider_url(referred)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_the_thread_query_count_does_not_grow(client, link_worker, prys, referred,
                                              django_assert_max_num_queries):  # fmt: skip
    client.force_login(prys)
    services.connection_message_post(connection=referred, actor=prys, text="one")
    with django_assert_max_num_queries(40) as few:
        client.get(provider_url(referred))
    for number in range(10):
        services.connection_message_post(connection=referred, actor=link_worker, text=f"m{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(provider_url(referred))
