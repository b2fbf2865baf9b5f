"""The audit trail is append-only: no update or delete through the ORM, the admin or SQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import AuditEvent, AuditRowRefused, AuditSubject
from accounts.services import audit_view
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    person = PersonFactory()
    return audit_view(
        actor=UserFactory(), what="referral list", people=[person], records=["SP-ABC123"]
    )


def test_a_list_page_writes_one_row_naming_the_records_and_people_shown(event):
    assert event.records == ["SP-ABC123"]
    assert AuditSubject.objects.filter(event=event).count() == 1


def test_a_saved_row_cannot_be_changed(event):
    event.detail = "nothing to see"
    with pytest.raises(AuditRowRefused):
        event.save()


def test_a_row_cannot_be_deleted(event):
    with pytest.raises(AuditRowRefused):
        event.delete()


@pytest.mark.parametrize("model", [AuditEvent, AuditSubject])
def test_bulk_updates_and_deletes_are_refused(event, model):
    with pytest.raises(AuditRowRefused):
        model.objects.all().delete()
    with pytest.raises(AuditRowRefused):
        model.objects.update(pk=1)
    assert model.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_auditevent SET detail = 'rewritten'",
        "DELETE FROM accounts_auditevent",
        "DELETE FROM accounts_auditsubject",
        "UPDATE accounts_auditsubject SET person_uuid = gen_random_uuid()",
    ],
)
def test_the_database_refuses_raw_sql_that_rewrites_the_trail(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.get(pk=event.pk).detail == "referral list"
