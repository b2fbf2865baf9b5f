"""The attendance register: Prys or Llinos records each session Glenys came to or missed.
The connection keeps its own status; the register sits beside it, on both sides."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.exceptions import InvalidTransition, Refused, ValidationError
from linkworkers import services
from linkworkers.models import AttendanceSession, ConnectionStatus
from referrals.models import Notification, ReferralEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(referred):
    referred.referred_at = timezone.now() - timedelta(days=20)
    referred.status = ConnectionStatus.ACCEPTED
    referred.answered_at = timezone.now() - timedelta(days=19)
    referred.save()
    return referred


def days_ago(days):
    return timezone.localdate() - timedelta(days=days)


def provider_url(connection, name="detail"):
    return reverse(f"providers:{name}", kwargs={"connection_uuid": connection.uuid})


def lw_url(connection, name="connection"):
    return reverse(
        f"linkworkers:{name}",
        kwargs={"referral_uuid": connection.referral.uuid, "connection_uuid": connection.uuid},
    )


def test_prys_records_a_session_attended(prys, link_worker, accepted):
    session = services.attendance_session_record(
        connection=accepted, actor=prys, session_on=days_ago(3), attended=True, note="Potting"
    )
    assert (session.attended, session.note, session.recorded_by) == (True, "Potting", prys)
    notice = Notification.objects.get(recipient=link_worker)
    assert "attended the session on" in notice.message
    assert ReferralEvent.objects.filter(note__contains="attended the session").exists()
    accepted.refresh_from_db()
    assert accepted.status == ConnectionStatus.ACCEPTED  # the status logic is untouched


def test_llinos_records_a_missed_session_and_prys_hears(prys, link_worker, accepted):
    services.attendance_session_record(
        connection=accepted, actor=link_worker, session_on=days_ago(1), attended=False
    )
    assert "missed the session" in Notification.objects.get(recipient=prys).message


def test_one_row_per_date(prys, accepted):
    services.attendance_session_record(
        connection=accepted, actor=prys, session_on=days_ago(2), attended=True
    )
    with pytest.raises(ValidationError) as error:
        services.attendance_session_record(
            connection=accepted, actor=prys, session_on=days_ago(2), attended=False
        )
    assert "already in the register" in error.value.field_errors["session_on"][0]
    assert AttendanceSession.objects.count() == 1


@pytest.mark.parametrize(
    ("session_on", "attended", "field", "words"),
    [
        (None, True, "session_on", "Give the date of the session."),
        ("future", True, "session_on", "The session cannot be in the future."),
        ("before", True, "session_on", "The session is before the referral to this service."),
        ("today", None, "attended", "Say whether the person came."),
    ],
)
def test_bad_entries_are_refused_naming_the_field(prys, accepted, session_on, attended, field,
                                                  words):  # fmt: skip
    day = {
        "future": days_ago(-1),
        "before": days_ago(30),
        "today": days_ago(0),
    }.get(session_on, session_on)
    with pytest.raises(ValidationError) as error:
        services.attendance_session_record(
            connection=accepted, actor=prys, session_on=day, attended=attended
        )
    assert error.value.field_errors[field] == [words]
    assert not AttendanceSession.objects.exists()


def test_the_register_waits_for_the_providers_acceptance(prys, referred):
    with pytest.raises(InvalidTransition, match="once the provider has accepted"):
        services.attendance_session_record(
            connection=referred, actor=prys, session_on=days_ago(0), attended=True
        )


def test_rhodri_cannot_keep_pryss_register(rhodri, accepted):
    with pytest.raises(Refused):
        services.attendance_session_record(
            connection=accepted, actor=rhodri, session_on=days_ago(0), attended=True
        )


def test_the_register_is_shown_on_both_sides(client, prys, link_worker, coordinator, accepted):
    services.attendance_session_record(
        connection=accepted, actor=prys, session_on=days_ago(7), attended=True
    )
    services.attendance_session_record(
        connection=accepted, actor=prys, session_on=days_ago(0), attended=False, note="Unwell"
    )
    for user, url in ((prys, provider_url(accepted)), (link_worker, lw_url(accepted)),
                      (coordinator, lw_url(accepted))):  # fmt: skip
        client.force_login(user)
        body = client.get(url).content.decode()
        assert "1 session attended, 1 missed." in body
        assert "Unwell" in body


def test_prys_records_from_his_page(client, prys, accepted):
    client.force_login(prys)
    response = client.post(
        provider_url(accepted, "session"),
        {"session_on": days_ago(1).isoformat(), "attended": "yes", "note": ""},
    )
    assert response.status_code == 302
    assert AttendanceSession.objects.get().attended is True


def test_llinos_records_from_the_case(client, link_worker, accepted):
    client.force_login(link_worker)
    response = client.post(
        lw_url(accepted, "connection_session"),
        {"session_on": days_ago(1).isoformat(), "attended": "no"},
    )
    assert response.status_code == 302
    assert AttendanceSession.objects.get().attended is False


@pytest.mark.parametrize(
    "posted",
    [
        {"session_on": "", "attended": "yes"},
        {"session_on": "31/02/2026", "attended": "yes"},
        {"session_on": "２０２６-01-01", "attended": "yes"},
        {"session_on": "2026-01-01", "attended": "perhaps"},
        {"session_on": "9999-12-31", "attended": "no"},
    ],
)
def test_hostile_register_input_is_a_form_error(client, prys, accepted, posted):
    client.force_login(prys)
    response = client.post(provider_url(accepted, "session"), posted)
    assert response.status_code == 400
    assert 'class="invalid-feedback' in response.content.decode()
    assert not AttendanceSession.objects.exists()


def test_outsiders_get_404(client, rhodri, other_link_worker, accepted):
    client.force_login(rhodri)
    posted = {"session_on": days_ago(0).isoformat(), "attended": "yes"}
    assert client.post(provider_url(accepted, "session"), posted).status_code == 404
    client.force_login(other_link_worker)
    assert client.post(lw_url(accepted, "connection_session"), posted).status_code == 404
    assert not AttendanceSession.objects.exists()


def test_the_providers_forms_are_styled_like_the_rest(client, prys, accepted, referred):
    client.force_login(prys)
    body = client.get(provider_url(accepted)).content.decode()
    assert 'class="form-label' in body and "form-control" in body
    listing = client.get(reverse("providers:connections")).content.decode()
    assert "form-select" in listing or "form-control" in listing


def test_erasure_blanks_the_words_and_keeps_the_register(link_worker, prys, accepted):
    services.connection_message_post(connection=accepted, actor=prys, text="Glenys's knee")
    services.attendance_session_record(
        connection=accepted, actor=prys, session_on=days_ago(0), attended=True, note="knee"
    )
    services.casework_erase_free_text(referral_ids=[accepted.referral_id])
    session = AttendanceSession.objects.get()
    assert (session.note, session.attended) == ("", True)
    assert accepted.messages.get().text == ""
