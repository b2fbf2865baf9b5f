"""An administrator issues Afon Surgery's GP system a token, and later revokes it."""

import hashlib
import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import ApiClient, AuditEvent, Role
from accounts.services import api_client_create, api_client_revoke
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r"spk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def administrator(client):
    user = UserFactory(username="aled", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _works(client, token):
    return client.get("/api/v1/referrals/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_only_a_hash_of_the_token_is_kept(practice):
    client, token = api_client_create(
        name="Afon EMIS", organisation=practice, scopes=["referrals:read", "referrals:write"]
    )
    assert TOKEN_RE.fullmatch(token)
    assert client.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ApiClient.objects.filter(pk=client.pk).values().get())
    assert client.token_prefix == token.split("_")[1]
    assert client.scopes == ["referrals:write", "referrals:read"]
    assert (client.rate_limit, client.is_active) == (60, True)


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        (["referrals:delete"], "Unknown scope: referrals:delete."),
        ([], "Choose at least one scope."),
    ],
)
def test_unknown_or_no_scopes_are_refused(practice, scopes, message):
    with pytest.raises(ValidationError) as error:
        api_client_create(name="Afon EMIS", organisation=practice, scopes=scopes)
    assert message in error.value.message_dict["scopes"][0]
    assert not ApiClient.objects.exists()


def test_revoking_turns_the_token_off_and_is_audited(client, practice):
    api_client, token = api_client_create(
        name="Afon EMIS", organisation=practice, scopes=["referrals:read"]
    )
    assert _works(client, token)
    api_client_revoke(client=api_client)
    api_client_revoke(client=api_client)
    assert not _works(client, token)
    assert api_client.revoked_at is not None
    assert AuditEvent.objects.filter(object_type="accounts.apiclient", action="change").count() == 1


def test_the_command_prints_a_working_token_once(client, practice):
    out = StringIO()
    call_command(
        "create_api_client", "Afon EMIS", "--organisation", "w90001",
        "--scopes", "referrals:write,referrals:read", stdout=out,
    )  # fmt: skip
    tokens = TOKEN_RE.findall(out.getvalue())
    assert len(tokens) == 1
    api_client = ApiClient.objects.get()
    assert (api_client.name, api_client.organisation) == ("Afon EMIS", practice)
    assert api_client.scopes == ["referrals:write", "referrals:read"]
    assert _works(client, tokens[0])


def test_the_command_names_an_unknown_ods_code(practice):
    with pytest.raises(CommandError, match="No organisation has the ODS code W99999."):
        call_command(
            "create_api_client", "X", "--organisation", "W99999", "--scopes", "referrals:read"
        )
    assert not ApiClient.objects.exists()


def test_the_command_names_an_unknown_scope(practice):
    with pytest.raises(CommandError, match="Unknown scope: referrals:everything"):
        call_command(
            "create_api_client", "X", "--organisation", "W90001",
            "--scopes", "referrals:read,referrals:everything",
        )  # fmt: skip
    assert not ApiClient.objects.exists()


def test_the_admin_issues_a_token_shown_once(client, administrator, practice):
    response = client.post(
        reverse("admin:accounts_apiclient_add"),
        {
            "name": "Afon EMIS",
            "organisation": practice.pk,
            "scopes": ["referrals:read"],
            "rate_limit": 120,
        },
        follow=True,
    )
    api_client = ApiClient.objects.get()
    assert api_client.rate_limit == 120
    tokens = TOKEN_RE.findall(response.content.decode())
    assert len(tokens) == 1
    assert "it is not stored and will not be shown again" in response.content.decode()
    assert _works(client, tokens[0])
    page = client.get(reverse("admin:accounts_apiclient_change", args=[api_client.pk]))
    text = page.content.decode()
    assert api_client.token_prefix in text
    assert api_client.token_hash not in text and tokens[0] not in text
    assert AuditEvent.objects.filter(action="create", actor=administrator).exists()


def test_the_admin_revokes_selected_clients(client, administrator, practice):
    api_client, token = api_client_create(
        name="Afon EMIS", organisation=practice, scopes=["referrals:read"]
    )
    other, _token = api_client_create(
        name="Bryn EMIS", organisation=OrganisationFactory(), scopes=["referrals:read"]
    )
    response = client.post(
        reverse("admin:accounts_apiclient_changelist"),
        {"action": "revoke", "_selected_action": [api_client.pk]},
        follow=True,
    )
    assert "1 API client revoked" in response.content.decode()
    api_client.refresh_from_db()
    other.refresh_from_db()
    assert (api_client.is_active, other.is_active) == (False, True)
    assert not _works(client, token)


def test_an_edit_in_the_admin_goes_through_the_service_and_is_audited(
    client, administrator, practice
):
    api_client, token = api_client_create(
        name="Afon EMIS", organisation=practice, scopes=["referrals:read"]
    )
    url = reverse("admin:accounts_apiclient_change", args=[api_client.pk])
    data = {"name": "Afon EMIS Web", "organisation": practice.pk,
            "scopes": ["referrals:read", "referrals:write"], "rate_limit": 30}  # fmt: skip
    assert client.post(url, data).status_code == 302
    api_client.refresh_from_db()
    assert (api_client.name, api_client.rate_limit) == ("Afon EMIS Web", 30)
    assert api_client.scopes == ["referrals:write", "referrals:read"]
    audit = AuditEvent.objects.get(action="change", actor=administrator)
    assert audit.object_id == str(api_client.uuid)
    assert (
        "rate_limit 60 -> 30" in audit.detail and "name Afon EMIS -> Afon EMIS Web" in audit.detail
    )
    assert _works(client, token)


def test_an_edit_that_changes_nothing_writes_no_audit_row(client, administrator, practice):
    api_client, _token = api_client_create(
        name="Afon EMIS", organisation=practice, scopes=["referrals:read"]
    )
    url = reverse("admin:accounts_apiclient_change", args=[api_client.pk])
    data = {"name": "Afon EMIS", "organisation": practice.pk, "scopes": ["referrals:read"],
            "rate_limit": 60}  # fmt: skip
    client.post(url, data)
    assert not AuditEvent.objects.filter(action="change").exists()
