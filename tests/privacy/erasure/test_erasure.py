"""Erasing Gwenllian: nothing that identifies her is left anywhere; the statistics' facts are.

Dewi (the scheme's DPO) erases; her case is closed and an earlier referral was rejected.
"""

import json

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from accounts.models import AuditEvent, AuditSubject
from core.exceptions import InvalidTransition, Refused, ValidationError
from core.models import OutboxEmail
from core.outbox import outbox_email_queue
from linkworkers.models import Connection, Contact, Goal, OutcomeMeasure, UnmetNeed
from privacy.services.erasure import person_correct, person_erase
from referrals.models import Person, Referral, ReferralEvent, Status
from referrals.services import referral_reopen
from reporting.models import KeptReferralFacts
from tests.factories import ReferralFactory
from tests.privacy.erasure.conftest import BORN, DETAILS, NAME, erased

pytestmark = pytest.mark.django_db

# Reference data, not about anyone: the postcode directory holds every postcode in the land.
NOT_PERSONAL = {"directory.postcode"}


def identifying(person):
    """Every string that identifies Gwenllian, as the database may hold it."""
    return [*NAME, person.nhs_number, BORN.isoformat(), *DETAILS.values()]


def rows_mentioning(needles):
    """Walk every text and JSON field of every model (the whole database through the ORM)."""
    found = []
    for model in apps.get_models():
        if model._meta.label_lower in NOT_PERSONAL:
            continue
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list("pk", *fields):
            text = json.dumps(row[1:], default=str, ensure_ascii=False).casefold()
            found += [(model._meta.label, row[0], n) for n in needles if n.casefold() in text]
    return found


@pytest.fixture
def her_records(closed_case, rejected_referral, merged_record, dpo, gp_receptionist):
    """Everything about Gwenllian, plus a correction and emails that name her."""
    person_correct(person=closed_case.person, actor=dpo, changes={"preferred_name": "Gwenni P"},
                   reason="Gwenllian asked for Gwenni P")  # fmt: skip
    person_correct(person=closed_case.person, actor=dpo, changes={"preferred_name": "Gwenni"},
                   reason="Gwenllian changed her mind")  # fmt: skip
    outbox_email_queue(
        to=gp_receptionist.email, template="referrals/email/notice", about_object=closed_case,
        context={"referral": closed_case, "recipient": gp_receptionist, "url": "/",
                 "message": "Gwenllian Prydderch was closed"},
    )  # fmt: skip
    outbox_email_queue(
        to=gp_receptionist.email, template="referrals/email/notice",
        context={"referral": closed_case, "recipient": gp_receptionist, "url": "/",
                 "message": "Overdue: SP-GWEN001 Gwenllian Prydderch"},
    )  # fmt: skip
    return closed_case.person


def test_before_the_erasure_the_walk_finds_her_everywhere(her_records):
    tables = {table for table, _pk, _needle in rows_mentioning(identifying(her_records))}
    assert {"referrals.Person", "referrals.Referral", "referrals.ReferralEvent",
            "linkworkers.Contact", "linkworkers.WhatMatters", "linkworkers.Goal",
            "linkworkers.ClosureSummary", "linkworkers.Connection", "linkworkers.UnmetNeed",
            "linkworkers.SupervisionNote", "referrals.Notification", "core.OutboxEmail",
            "privacy.PersonCorrection"} <= tables  # fmt: skip


def test_erasure_leaves_nothing_that_identifies_her(her_records, dpo):
    needles = identifying(her_records)
    person_erase(person=her_records, actor=dpo, reason="Asked in writing, ticket DP-14.")
    assert rows_mentioning(needles) == []


def test_the_person_becomes_the_tombstone(her_records, merged_record, dpo):
    person_erase(person=her_records, actor=dpo, reason="Asked in writing.")
    for record in (erased(her_records), erased(merged_record)):
        assert (record.given_name, record.family_name, str(record)) == ("", "Erased", "Erased")
        assert record.date_of_birth is None and record.nhs_number is None
        assert record.erased_at is not None
        assert not any(getattr(record, field) for field in DETAILS)


def test_the_anonymous_facts_stay(her_records, closed_case, rejected_referral, dpo):
    before = Referral.objects.values(
        "reference", "status", "reasons", "source_kind", "area_id", "scheme_id", "urgency",
        "risk_flag", "received_at", "accepted_at", "allocated_at", "first_contact_at",
        "closed_at", "rejected_at", "closure_reason", "rejection_reason", "link_worker_id",
    ).order_by("pk")  # fmt: skip
    before = list(before)
    coded = {
        "contacts": list(Contact.objects.values("happened_at", "mode", "outcome", "minutes")),
        "goals": list(Goal.objects.values("status", "target_date", "created_at")),
        "connections": list(Connection.objects.values("service_id", "status", "proposed_at")),
        "unmet": list(UnmetNeed.objects.values("category_id", "recorded_at")),
        "measures": list(OutcomeMeasure.objects.values("timepoint", "raw_score", "answered_on")),
        "events": list(ReferralEvent.objects.values("kind", "to_status", "created_at")),
    }
    person_erase(person=her_records, actor=dpo, reason="Asked in writing.")
    assert list(Referral.objects.values(*before[0]).order_by("pk")) == before
    assert coded == {
        "contacts": list(Contact.objects.values("happened_at", "mode", "outcome", "minutes")),
        "goals": list(Goal.objects.values("status", "target_date", "created_at")),
        "connections": list(Connection.objects.values("service_id", "status", "proposed_at")),
        "unmet": list(UnmetNeed.objects.values("category_id", "recorded_at")),
        "measures": list(OutcomeMeasure.objects.values("timepoint", "raw_score", "answered_on")),
        "events": list(ReferralEvent.objects.values("kind", "to_status", "created_at")),
    }
    person = erased(her_records)
    assert (person.gender, person.ethnic_group) == ("female", "A")
    kept = KeptReferralFacts.objects.get(referral=closed_case)
    assert (kept.age_band, kept.deprivation) == ("65-74", "unknown")


def test_the_corrections_keep_who_when_and_which_field_but_no_values(her_records, dpo):
    person_erase(person=her_records, actor=dpo, reason="Asked in writing.")
    corrections = list(her_records.corrections.order_by("created_at"))
    assert [c.changes for c in corrections] == [{"preferred_name": ["", ""]}] * 2
    assert [(c.actor, c.reason) for c in corrections] == [(dpo, ""), (dpo, "")]


def test_emails_naming_her_leave_the_outbox(her_records, dpo):
    assert OutboxEmail.objects.count() == 2
    person_erase(person=her_records, actor=dpo, reason="Asked in writing.")
    assert OutboxEmail.objects.count() == 0


def test_notifications_keep_only_the_reference(her_records, closed_case, dpo):
    person_erase(person=her_records, actor=dpo, reason="Asked in writing.")
    assert list(closed_case.notifications.values_list("message", flat=True)) == ["SP-GWEN001"]


def test_the_erasure_is_audited_naming_the_person_and_references(her_records, merged_record, dpo):
    person_erase(person=her_records, actor=dpo, reason="Asked in writing, ticket DP-14.")
    audit = AuditEvent.objects.get(action=AuditEvent.Action.ERASE)
    assert audit.actor == dpo
    assert audit.detail == "person erased on request: Asked in writing, ticket DP-14."
    assert audit.records == ["SP-GWEN001", "SP-GWEN002"]
    assert audit.object_id == str(her_records.uuid)
    subjects = set(AuditSubject.objects.filter(event=audit).values_list("person_uuid", flat=True))
    assert subjects == {her_records.uuid, merged_record.uuid}


def test_erasure_is_refused_while_a_referral_is_open(gwenllian, closed_case, dpo, scheme):
    ReferralFactory(person=gwenllian, scheme=scheme, reference="SP-GWEN003",
                    status=Status.ACCEPTED)  # fmt: skip
    with pytest.raises(InvalidTransition) as error:
        person_erase(person=gwenllian, actor=dpo, reason="Asked in writing.")
    assert error.value.message == (
        "This person cannot be erased while a referral may still be worked on (SP-GWEN003). "
        "Close, reject or cancel it first."
    )
    gwenllian.refresh_from_db()
    assert (gwenllian.given_name, gwenllian.erased_at) == ("Gwenllian", None)
    closed_case.refresh_from_db()
    assert closed_case.what_matters == "Gwenllian wants to sing again"
    assert not KeptReferralFacts.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ERASE).exists()


def test_a_reason_is_required(gwenllian, closed_case, dpo):
    with pytest.raises(ValidationError) as error:
        person_erase(person=gwenllian, actor=dpo, reason="")
    assert error.value.field_errors == {"reason": ["Say why, in a few words."]}
    assert erased(gwenllian).erased_at is None


def test_only_the_schemes_dpo_may_erase(
    gwenllian, closed_case, coordinator, link_worker, outsider_dpo
):
    for who in (coordinator, link_worker, outsider_dpo):
        with pytest.raises(Refused):
            person_erase(person=gwenllian, actor=who, reason="Asked in writing.")
    assert erased(gwenllian).erased_at is None


def test_a_person_is_erased_once(gwenllian, closed_case, dpo):
    person_erase(person=gwenllian, actor=dpo, reason="Asked in writing.")
    with pytest.raises(InvalidTransition, match="already been erased"):
        person_erase(person=gwenllian, actor=dpo, reason="Again.")


def test_an_erased_persons_case_cannot_be_reopened(gwenllian, closed_case, dpo, link_worker):
    person_erase(person=gwenllian, actor=dpo, reason="Asked in writing.")
    closed_case.refresh_from_db()
    with pytest.raises(InvalidTransition, match="erased"):
        referral_reopen(referral=closed_case, actor=link_worker, note="Back again.")
    closed_case.refresh_from_db()
    assert closed_case.status == Status.CLOSED


def test_a_new_referral_is_never_matched_to_the_tombstone(gwenllian, closed_case, dpo):
    person_erase(person=gwenllian, actor=dpo, reason="Asked in writing.")
    assert not Person.objects.known_to_scheme(closed_case.scheme).filter(pk=gwenllian.pk).exists()


def test_her_case_pages_still_open_for_the_link_worker(client, gwenllian, closed_case, dpo,
                                                      link_worker):  # fmt: skip
    person_erase(person=gwenllian, actor=dpo, reason="Asked in writing.")
    client.force_login(link_worker)
    for name in ("linkworkers:case", "linkworkers:close", "referrals:detail"):
        page = client.get(reverse(name, args=[closed_case.uuid]))
        assert page.status_code == 200, name
        assert "Erased" in page.content.decode()


# The page -------------------------------------------------------------------


def erase_url(person):
    return reverse("privacy:person_erase", args=[person.uuid])


def test_the_page_asks_for_a_reason_and_a_typed_reference(client, gwenllian, closed_case, dpo):
    client.force_login(dpo)
    page = client.get(erase_url(gwenllian))
    assert page.status_code == 200
    assert "SP-GWEN001" in page.content.decode()
    audit = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (audit.detail, audit.records) == ("person erasure page", ["SP-GWEN001"])
    response = client.post(erase_url(gwenllian), {"reason": "Asked.", "confirm_reference": "SP-X"})
    assert response.status_code == 400
    assert "confirm_reference" in response.context["form"].errors
    assert erased(gwenllian).erased_at is None


def test_typing_the_reference_erases(client, gwenllian, closed_case, dpo):
    client.force_login(dpo)
    response = client.post(
        erase_url(gwenllian), {"reason": "Asked in writing.", "confirm_reference": " sp-gwen001 "}
    )
    assert response.status_code == 302
    assert erased(gwenllian).erased_at is not None
    page = client.get(erase_url(gwenllian))
    assert 'data-testid="erased"' in page.content.decode() and page.context["form"] is None


def test_the_page_says_why_an_open_referral_stops_it(client, gwenllian, closed_case, dpo, scheme):
    ReferralFactory(person=gwenllian, scheme=scheme, reference="SP-GWEN003")
    client.force_login(dpo)
    response = client.post(
        erase_url(gwenllian), {"reason": "Asked in writing.", "confirm_reference": "SP-GWEN003"}
    )
    assert response.status_code == 400
    assert "while a referral may still be worked on (SP-GWEN003)" in response.content.decode()
    assert erased(gwenllian).erased_at is None
