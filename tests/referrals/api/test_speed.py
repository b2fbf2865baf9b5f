"""The partner API at the framework's speed (issue 18, point 9): few statements, whatever
the rows, and the caches that save them never outlive a change.

The token's client is read from the cache, the scheme for an area from this process's
copy, the Idempotency-Key is not looked up before the insert, the rate limit is one
round trip to Redis, and a read's audit row with its people is one statement.
"""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiScope, AuditEvent
from accounts.services import api_client_revoke, api_client_update
from core import prepared
from referrals import selectors
from referrals.models import ApiIdempotencyKey, Referral
from tests.factories import AreaFactory, ReferralFactory, SchemeFactory
from tests.outage import rate_limit_cache_down

pytestmark = pytest.mark.django_db

URL = "/api/v1/referrals/"
POSTGRES = connection.vendor == "postgresql"


def _body(referral_body, n, nhs_number=True):
    person = {**referral_body["person"], "given_name": f"Glenys{n}"}
    if not nhs_number:
        person.pop("nhs_number")
    return {**referral_body, "person": person}


def _statements(queries):
    """What each captured statement runs, written out (core.prepared); a PREPARE, sent once per
    connection the first time a statement is met, is not counted."""
    return [
        prepared.written_out(query["sql"], connection)
        for query in queries.captured_queries
        if not prepared.is_preparation(query["sql"])
    ]


@pytest.mark.parametrize("rows", [1, 15])
def test_a_create_runs_the_same_few_statements_whatever_the_rows(
    afon_emis, practice, scheme, referral_body, rows
):
    ReferralFactory.create_batch(rows, referring_organisation=practice, scheme=scheme)
    # The first request records the token's use and fills the caches.
    assert afon_emis.post(URL, _body(referral_body, 0)).status_code == 201
    with CaptureQueriesContext(connection) as with_number:
        response = afon_emis.post(URL, _body(referral_body, 1), HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 201
    with CaptureQueriesContext(connection) as without_number:
        response = afon_emis.post(
            URL, _body(referral_body, 2, nhs_number=False), HTTP_IDEMPOTENCY_KEY="k2"
        )
    assert response.status_code == 201
    statements = _statements(with_number)
    # No look-up of the client, the area tree, the scheme or the key before its insert.
    for table in ("accounts_apiclient", "accounts_area", "accounts_organisation", "accounts_user"):
        assert not [sql for sql in statements if f'FROM "{table}"' in sql], table
    assert not [sql for sql in statements if 'FROM "referrals_apiidempotencykey"' in sql]
    # Glenys again (the same NHS number and date of birth): the savepoint of the key's
    # transaction (BEGIN and COMMIT outside a test), the match-key locks in one statement
    # (PostgreSQL) sent with the look that finds the person, the referral (its reference
    # is not looked up first), the release; and its events, the audit row and the key,
    # which on PostgreSQL go together, in one round trip (core.inserts.batched). The
    # scheme's coordinators, to whom a new referral is announced (issue 16), are this
    # process's copy (referrals.selectors.scheme_coordinators_to_tell).
    assert len(statements) == (5 if POSTGRES else 7)
    if POSTGRES:
        lock, look = statements[1].split(";\n")
        assert "pg_advisory_xact_lock" in lock and 'FROM "referrals_person"' in look
    if POSTGRES:
        batch = statements[-2]
        for table in ("referralevent", "apiidempotencykey"):
            assert f'INSERT INTO "referrals_{table}"' in batch, table
        assert 'INSERT INTO "accounts_auditevent"' in batch
    # Someone new without an NHS number: one look for them, then their record, written with
    # the referral in one statement on PostgreSQL (core.inserts.insert_pair).
    assert len(_statements(without_number)) == (5 if POSTGRES else 8)


@pytest.mark.parametrize("rows", [2, 30])
def test_the_list_and_a_read_run_three_statements_whatever_the_rows(
    afon_emis, practice, scheme, rows, django_assert_num_queries
):
    made = ReferralFactory.create_batch(rows, referring_organisation=practice, scheme=scheme)
    # The first of each also prepares its statements on this connection (core.prepared).
    afon_emis.get(URL)
    afon_emis.get(f"{URL}{made[-1].uuid}/")
    expected = 3 if POSTGRES else 4  # the audit row and its people: one statement on PostgreSQL
    with django_assert_num_queries(expected):
        listed = afon_emis.get(URL, {"page_size": 50})
    assert len(listed.json()["results"]) == rows
    with django_assert_num_queries(expected):
        assert afon_emis.get(f"{URL}{made[0].uuid}/").status_code == 200
    event = AuditEvent.objects.filter(detail="partner API referral list").latest("pk")
    assert {subject.person_uuid for subject in event.subjects.all()} == {
        referral.person.uuid for referral in made
    }
    assert listed.json()["results"][0]["scheme"] == scheme.name


def test_a_revoked_token_is_refused_at_once_though_its_client_was_cached(afon_emis):
    assert afon_emis.get(URL).status_code == 200  # now cached
    api_client_revoke(client=afon_emis.api_client)
    response = afon_emis.get(URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "The token has been revoked."


def test_a_changed_scope_is_honoured_at_once(afon_emis, practice):
    assert afon_emis.get(URL).status_code == 200
    api_client_update(
        client=afon_emis.api_client, name="Afon EMIS", organisation=practice,
        scopes=[ApiScope.REFERRALS_WRITE], rate_limit=60,
    )  # fmt: skip
    assert afon_emis.get(URL).status_code == 403


def test_a_client_changed_anywhere_else_is_forgotten_too(afon_emis):
    assert afon_emis.get(URL).status_code == 200
    afon_emis.api_client.scopes = [ApiScope.REFERRALS_WRITE]
    afon_emis.api_client.save()  # as the admin or a shell would
    assert afon_emis.get(URL).status_code == 403


def test_a_client_revoked_behind_the_caches_back_is_refused_when_its_use_is_recorded(
    afon_emis, settings
):
    """A change the cache never heard of (a bulk update): the next recording of the
    client's use, at most a minute on, finds no active row and refuses."""
    from accounts.models import ApiClient

    assert afon_emis.get(URL).status_code == 200
    ApiClient.objects.filter(pk=afon_emis.api_client.pk).update(is_active=False, last_used_at=None)
    cached = caches[settings.RATELIMIT_USE_CACHE]
    key = f"api-client:{afon_emis.api_client.token_hash}"
    stale = cached.get(key)
    stale.last_used_at = None  # as if a minute had passed since the use was recorded
    cached.set(key, stale, 30)
    assert afon_emis.get(URL).status_code == 401
    assert cached.get(key) is None


def test_a_scheme_moved_to_another_area_takes_the_next_referral(
    afon_emis, practice, scheme, referral_body
):
    assert afon_emis.post(URL, _body(referral_body, 1)).status_code == 201
    assert Referral.objects.latest("pk").scheme == scheme
    # A new scheme for the practice's own area (nearer than the scheme's, up the tree).
    nearer = SchemeFactory(name="Afon Connectors", area=practice.area)
    assert afon_emis.post(URL, _body(referral_body, 2)).status_code == 201
    assert Referral.objects.latest("pk").scheme == nearer
    nearer.area = AreaFactory()
    nearer.save()
    assert afon_emis.post(URL, _body(referral_body, 3)).status_code == 201
    assert Referral.objects.latest("pk").scheme == scheme


def test_a_scheme_added_in_a_transaction_that_rolled_back_takes_nothing_after(practice, scheme):
    from django.db import transaction

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        nearer = SchemeFactory(name="Afon Connectors", area=practice.area)
        assert selectors.scheme_for_area_id(practice.area_id) == nearer
        raise ZeroDivisionError
    assert selectors.scheme_for_area_id(practice.area_id) == scheme


def test_another_process_changing_the_map_empties_this_ones_copy_within_a_second(
    practice, scheme, routing_clock
):
    assert selectors.scheme_for_area_id(practice.area_id) == scheme
    copy = selectors._scheme_routes["schemes"]
    copy[practice.area_id] = "a route another process has since changed"
    # What another process's change leaves behind: a new version in the shared cache.
    selectors._scheme_routes_cache().set(selectors.SCHEME_ROUTES_VERSION_KEY, "theirs", None)
    # Within the second the copy is used unasked; once the second is out, the version is
    # compared again and the copy emptied.
    routing_clock(selectors.SCHEME_ROUTES_CHECK_SECONDS / 2)
    assert selectors.scheme_for_area_id(practice.area_id) == copy[practice.area_id]
    routing_clock(selectors.SCHEME_ROUTES_CHECK_SECONDS / 2)
    assert selectors.scheme_for_area_id(practice.area_id) == scheme


def test_with_the_cache_down_the_scheme_is_found_by_walking_the_tree(practice, scheme):
    with (
        rate_limit_cache_down(),
        CaptureQueriesContext(connection) as queries,
    ):
        assert selectors.scheme_for_area_id(practice.area_id) == scheme
    assert any('FROM "accounts_area"' in sql for sql in _statements(queries))


def test_a_repeat_is_rolled_back_and_answers_with_the_first(afon_emis, referral_body):
    first = afon_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY="same")
    again = afon_emis.post(URL, referral_body, HTTP_IDEMPOTENCY_KEY="same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Referral.objects.count() == 1
    assert ApiIdempotencyKey.objects.count() == 1
    # The repeat's own referral, audit row and person went with its transaction.
    assert AuditEvent.objects.filter(action="create", object_type="referrals.referral").count() == 1


@pytest.mark.skipif(not POSTGRES, reason="the one-statement audit write is PostgreSQL's")
def test_with_the_setting_on_a_reads_audit_row_alone_does_not_wait_for_the_disk(
    afon_emis, referral, settings
):
    """Off by default (every audit row is durable); a deployment may choose speed for reads."""
    from accounts.services import audit_view

    settings.AUDIT_READS_COMMIT_ASYNCHRONOUSLY = True

    with CaptureQueriesContext(connection) as queries:
        audit_view(actor=None, what="t", people=[referral.person], api_client=afon_emis.api_client)
    # Inside the test's transaction: it waits, as it must where others write alongside it.
    assert "synchronous_commit" not in _statements(queries)[0]
    connection.in_atomic_block, kept = False, connection.in_atomic_block
    try:
        with CaptureQueriesContext(connection) as queries:
            event = audit_view(actor=None, what="t2", people=[referral.person])
    finally:
        connection.in_atomic_block = kept
    assert "set_config('synchronous_commit', 'off', true)" in _statements(queries)[0]
    assert [s.person_uuid for s in event.subjects.all()] == [referral.person.uuid]
    settings.AUDIT_READS_COMMIT_ASYNCHRONOUSLY = False
    connection.in_atomic_block = False
    try:
        with CaptureQueriesContext(connection) as queries:
            audit_view(actor=None, what="t3", people=[referral.person])
    finally:
        connection.in_atomic_block = kept
    assert "synchronous_commit" not in _statements(queries)[0]


def _clashing_references(monkeypatch, taken):
    """The first reference drawn is one already in use; then fresh ones."""
    from referrals.services import intake

    fresh = intake.new_reference
    drawn = iter([taken])
    monkeypatch.setattr(intake, "new_reference", lambda: next(drawn, None) or fresh())


def test_a_reference_already_in_use_is_drawn_again(afon_emis, referral, referral_body, monkeypatch):
    _clashing_references(monkeypatch, referral.reference)
    response = afon_emis.post(URL, _body(referral_body, 1), HTTP_IDEMPOTENCY_KEY="clash")
    assert response.status_code == 201
    assert response.json()["reference"] not in ("", referral.reference)
    assert Referral.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_reference_already_in_use_is_drawn_again_without_a_key(
    afon_emis, referral, referral_body, monkeypatch
):
    _clashing_references(monkeypatch, referral.reference)
    response = afon_emis.post(URL, _body(referral_body, 1))
    assert response.status_code == 201
    assert Referral.objects.count() == 2


def test_a_read_finds_the_referral_the_querysets_statement_finds(
    afon_emis, bryn_emis, practice, scheme
):
    """get_referral_for_api_client writes out the ORM's statement: the same row, whole, with
    the scheme's name and the person's uuid; 404 alike for another organisation's, an id
    that is no uuid, and a revoked client's."""
    import uuid

    from django.db.models import F
    from django.http import Http404

    ours = ReferralFactory(referring_organisation=practice, scheme=scheme)
    expected = (
        selectors.referrals_visible_to_api_client(afon_emis.api_client)
        .annotate(scheme_name=F("scheme__name"), person_uuid=F("person__uuid"))
        .get(uuid=ours.uuid)
    )
    for asked in (ours.uuid, str(ours.uuid), str(ours.uuid).upper(), ours.uuid.hex):
        found = selectors.get_referral_for_api_client(afon_emis.api_client, asked)
        assert found == expected
        assert {f.attname: getattr(found, f.attname) for f in Referral._meta.concrete_fields} == {
            f.attname: getattr(expected, f.attname) for f in Referral._meta.concrete_fields
        }
        assert (found.scheme_name, found.person_uuid) == (scheme.name, ours.person.uuid)
        assert isinstance(found.person_uuid, uuid.UUID)
    for client, asked in (
        (bryn_emis.api_client, ours.uuid),
        (afon_emis.api_client, uuid.uuid4()),
        (afon_emis.api_client, "not-a-uuid"),
        (afon_emis.api_client, ""),
        (afon_emis.api_client, None),
    ):
        with pytest.raises(Http404):
            selectors.get_referral_for_api_client(client, asked)
    api_client_revoke(client=afon_emis.api_client)
    afon_emis.api_client.refresh_from_db()
    with pytest.raises(Http404):
        selectors.get_referral_for_api_client(afon_emis.api_client, ours.uuid)
