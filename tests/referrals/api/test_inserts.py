"""core.inserts, which the partner API writes its rows with: a row written with the INSERT
kept per process is the row save() writes."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.functions import Now
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from core import inserts, prepared
from core.inserts import insert
from core.models import OutboxEmail
from referrals.models import ApiIdempotencyKey, Person, Referral
from tests.factories import PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def _row(obj):
    return type(obj).objects.filter(pk=obj.pk).values().get()


def _email(**fields):
    return OutboxEmail(to="carys@example.org", subject="New referral", body_text="Hello",
                       **fields)  # fmt: skip


def test_a_row_inserted_is_the_row_save_writes():
    saved = _email(created_at=timezone.now())
    saved.save()
    inserted = _email(created_at=saved.created_at)
    insert([inserted])
    assert inserted.pk and inserted.pk != saved.pk
    assert not inserted._state.adding and inserted._state.db == "default"
    mine, theirs = _row(inserted), _row(saved)
    for row in (mine, theirs):
        row.pop("id"), row.pop("uuid")
    assert mine == theirs


def test_defaults_auto_now_add_and_foreign_keys_are_filled_as_save_fills_them(
    afon_emis, practice, scheme
):
    referral = ReferralFactory(referring_organisation=practice, scheme=scheme)
    key = ApiIdempotencyKey(
        api_client=afon_emis.api_client, key="k", request_hash="h", referral=referral
    )
    insert([key])
    stored = ApiIdempotencyKey.objects.get(pk=key.pk)
    assert stored.created_at == key.created_at and stored.created_at is not None
    assert (stored.referral, stored.api_client) == (referral, afon_emis.api_client)


def test_the_statement_is_built_once_then_reused():
    insert([_email(created_at=timezone.now())])
    with CaptureQueriesContext(connection) as queries:
        insert([_email(created_at=timezone.now())])
    assert len(queries.captured_queries) == 1
    assert (connection.alias, OutboxEmail, True) in inserts._statements


def test_an_expression_is_written_into_its_own_statement_never_kept():
    inserts._statements.clear()
    email = _email(created_at=Now())
    insert([email])
    assert OutboxEmail.objects.get(pk=email.pk).created_at is not None
    assert (connection.alias, OutboxEmail, True) not in inserts._statements
    later = _email(created_at=timezone.now())
    insert([later])
    assert OutboxEmail.objects.get(pk=later.pk).created_at == later.created_at


def test_with_a_receiver_connected_the_ordinary_save_runs_it():
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(receiver, sender=OutboxEmail, dispatch_uid="test_inserts")
    try:
        email = _email(created_at=timezone.now())
        insert([email])
    finally:
        post_save.disconnect(dispatch_uid="test_inserts", sender=OutboxEmail)
    assert heard == [(email.pk, True)]


def test_a_model_with_a_save_of_its_own_is_saved_through_it(monkeypatch):
    saved = []

    def save(self, *args, **kwargs):
        saved.append(self)
        super(OutboxEmail, self).save(*args, **kwargs)

    monkeypatch.setattr(OutboxEmail, "save", save)
    email = _email(created_at=timezone.now())
    insert([email])
    assert saved == [email]
    assert OutboxEmail.objects.filter(pk=email.pk).exists()


def test_several_rows_go_in_one_bulk_insert(scheme):
    people = [Person(given_name=f"Glenys{n}", family_name="Pritchard", postcode="CF10 1AA",
                     date_of_birth=timezone.now().date()) for n in range(3)]  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        insert(people)
    assert len(queries.captured_queries) == 1
    assert all(person.pk and not person._state.adding for person in people)
    assert Person.objects.filter(family_name="Pritchard").count() == 3


def test_an_unsaved_related_object_is_refused_as_save_refuses_it(afon_emis):
    key = ApiIdempotencyKey(
        api_client=afon_emis.api_client, key="k", request_hash="h", referral=Referral()
    )
    with pytest.raises(ValueError, match="unsaved related object"):
        insert([key])


def test_the_audit_row_still_takes_its_time_from_the_database_default_of_now(referral):
    from accounts.services import audit_record

    event = audit_record(actor=None, action=AuditEvent.Action.VIEW, obj=referral)
    assert AuditEvent.objects.get(pk=event.pk).created_at == event.created_at


# Batches of key-less writes (core.inserts.batched) ------------------------------------------

POSTGRES = connection.vendor == "postgresql"


def _emails_to(address):
    return OutboxEmail.objects.filter(to=address).count()


def test_a_batch_sends_its_writes_in_one_round_trip_at_its_end():
    emails = [_email(created_at=timezone.now()) for _ in range(3)]
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries, inserts.batched():
            inserts.insert_unkeyed(emails[:2])
            inserts.insert_unkeyed(emails[2:])
            # Nothing is in the database yet on PostgreSQL; SQLite writes each at once.
            assert _emails_to("carys@example.org") == (0 if POSTGRES else 3)
        assert _emails_to("carys@example.org") == 3
    sent = [prepared.written_out(q["sql"], connection) for q in queries.captured_queries]
    writes = [sql for sql in sent if sql.startswith("INSERT")]
    assert len(writes) == (1 if POSTGRES else 2)  # SQLite: one insert of two rows, one of one
    if POSTGRES:
        assert all(email.pk is None for email in emails)  # no key was read back


def test_a_write_that_fails_in_the_batch_raises_at_its_end_and_rolls_back_the_rest(
    afon_emis, practice, scheme
):
    referral = ReferralFactory(referring_organisation=practice, scheme=scheme)

    def key(used):
        return ApiIdempotencyKey(
            api_client=afon_emis.api_client, key=used, request_hash="h", referral=referral
        )

    insert([key("taken")])
    with pytest.raises(IntegrityError), transaction.atomic(), inserts.batched():
        inserts.insert_unkeyed([_email(created_at=timezone.now())])
        inserts.insert_unkeyed([key("taken")])
    assert _emails_to("carys@example.org") == 0
    assert ApiIdempotencyKey.objects.count() == 1


def test_a_write_in_a_savepoint_inside_the_batch_runs_at_once_so_its_rollback_holds():
    with transaction.atomic(), inserts.batched():
        inserts.insert_unkeyed([_email(created_at=timezone.now())])
        with pytest.raises(RuntimeError), transaction.atomic():
            inserts.insert_unkeyed([_email(created_at=timezone.now())])
            raise RuntimeError
    assert _emails_to("carys@example.org") == 1


def test_writes_made_before_an_exception_are_sent_as_if_made_at_once():
    with transaction.atomic():
        with pytest.raises(LookupError), inserts.batched():
            inserts.insert_unkeyed([_email(created_at=timezone.now())])
            raise LookupError  # caught below, in the same transaction, which goes on
        assert _emails_to("carys@example.org") == 1


def test_the_databases_own_error_in_the_block_is_the_one_raised():
    with pytest.raises(DatabaseError) as raised, transaction.atomic(), inserts.batched():
        inserts.insert_unkeyed([_email(created_at=timezone.now())])
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM referrals_outboxemail")
    # Not "current transaction is aborted" from sending the batch after it.
    assert "no_such_column" in str(raised.value)
    assert _emails_to("carys@example.org") == 0


def test_a_batch_inside_a_batch_goes_with_the_outer_one():
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, inserts.batched():
        inserts.insert_unkeyed([_email(created_at=timezone.now())])
        with inserts.batched():
            inserts.insert_unkeyed([_email(created_at=timezone.now())])
        assert _emails_to("carys@example.org") == (0 if POSTGRES else 2)
    assert _emails_to("carys@example.org") == 2
    if POSTGRES:
        assert len(queries.captured_queries) == 2  # the count above, then the batch


def test_outside_a_batch_an_unkeyed_insert_runs_at_once_and_reads_its_key():
    email = _email(created_at=timezone.now())
    inserts.insert_unkeyed([email])
    assert email.pk and OutboxEmail.objects.filter(pk=email.pk).exists()


def _pair(practice, scheme, reference):
    person = PersonFactory.build()
    referral = ReferralFactory.build(
        person=person,
        referring_organisation=practice,
        scheme=scheme,
        reference=reference,
        referring_user=None,
    )
    return person, referral


def test_a_person_and_their_referral_are_one_statement_and_the_rows_save_writes(practice, scheme):
    saved_person, saved_referral = _pair(practice, scheme, "SP-T900001")
    saved_person.save()
    saved_referral.person = saved_person
    saved_referral.save()
    person, referral = _pair(practice, scheme, "SP-T900002")
    with CaptureQueriesContext(connection) as queries:
        inserts.insert_pair(person, referral, link="person")
    assert len(queries.captured_queries) == (1 if POSTGRES else 2)
    assert person.pk and referral.pk and referral.person_id == person.pk
    assert referral.person is person
    for obj in (person, referral):
        assert not obj._state.adding and obj._state.db == "default"
    assert Referral.objects.get(pk=referral.pk).person == person
    # Every column as save() writes it, but for the keys, uuids and the values given.
    mine, theirs = _row(person), _row(saved_person)
    assert {k for k in mine if mine[k] != theirs[k]} <= {
        "id", "uuid", "given_name", "family_name", "date_of_birth", "nhs_number", "created_at",
        "consent_recorded_at",
    }  # fmt: skip
    mine, theirs = _row(referral), _row(saved_referral)
    assert {k for k in mine if mine[k] != theirs[k]} <= {
        "id", "uuid", "reference", "person_id", "received_at", "updated_at", "what_matters",
        "reasons", "urgency", "referrer_name", "person_details_as_referred",
    }  # fmt: skip


def test_a_pair_that_fails_writes_neither(practice, scheme):
    ReferralFactory(referring_organisation=practice, scheme=scheme, reference="SP-T900004")
    person, referral = _pair(practice, scheme, "SP-T900004")
    before = Person.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        inserts.insert_pair(person, referral, link="person")
    assert Person.objects.count() == before
    assert Referral.objects.filter(reference="SP-T900004").count() == 1


def test_a_pair_with_an_expression_goes_the_long_way(practice, scheme):
    person, referral = _pair(practice, scheme, "SP-T900003")
    referral.received_at = Now()
    with CaptureQueriesContext(connection) as queries:
        inserts.insert_pair(person, referral, link="person")
    assert len(queries.captured_queries) == 2
    assert Referral.objects.get(pk=referral.pk).person_id == person.pk
