"""The operator answers Glenys's request by post: `manage.py subject_access_export SP-GLEN01`."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from accounts.models import AuditEvent
from tests.privacy.subject_access.conftest import ELSEWHERE, SUPERVISION_SECRET

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("subject_access_export", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_writes_the_html_and_json_files(glenys_record, tmp_path):
    out = run("SP-GLEN01", "--out", str(tmp_path / "sar"))
    [html_file] = (tmp_path / "sar").glob("subject-access-SP-GLEN01-*.html")
    [json_file] = (tmp_path / "sar").glob("subject-access-SP-GLEN01-*.json")
    assert f"  {html_file}" in out and f"  {json_file}" in out
    assert "for the person of SP-GLEN01 (1 referral to Teg Valley Community Connectors)" in out
    bundle = json.loads(json_file.read_text(encoding="utf-8"))
    assert [referral["reference"] for referral in bundle["referrals"]] == ["SP-GLEN01"]
    assert bundle["produced_by"] == "the subject_access_export command"
    html = html_file.read_text(encoding="utf-8")
    assert "Referral SP-GLEN01" in html and "Her daughter visits on Sundays." in html
    for left_out in (SUPERVISION_SECRET, ELSEWHERE, "SP-ELSE01"):
        assert left_out not in html
        assert left_out not in json_file.read_text(encoding="utf-8")


def test_the_referrals_scheme_is_the_scheme(glenys_record, tmp_path):
    """Asked for through her Glannau referral, the bundle is Glannau's part only."""
    run("sp-else01", "--out", str(tmp_path))
    [json_file] = tmp_path.glob("*.json")
    bundle = json.loads(json_file.read_text(encoding="utf-8"))
    assert [referral["reference"] for referral in bundle["referrals"]] == ["SP-ELSE01"]


def test_it_is_audited_as_the_command(glenys_record, tmp_path):
    run("SP-GLEN01", "--out", str(tmp_path))
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor is None
    assert event.detail == (
        "subject access export by the subject_access_export command; referrals SP-GLEN01"
    )
    assert (event.object_type, event.object_id) == ("referrals.person", str(glenys_record.uuid))
    assert list(event.subjects.values_list("person_uuid", flat=True)) == [glenys_record.uuid]


def test_an_unknown_reference_fails_clearly(case, tmp_path):
    with pytest.raises(CommandError) as error:
        run("SP-NOPE99", "--out", str(tmp_path / "sar"))
    assert str(error.value) == "No referral has the reference 'SP-NOPE99'."
    assert error.value.returncode == 1
    assert not (tmp_path / "sar").exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_an_unwritable_folder_fails_clearly(case, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(CommandError, match=r"^--out: cannot write to '.*a-file'"):
        run("SP-GLEN01", "--out", str(blocker))
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_reference_and_folder_are_required(case):
    with pytest.raises(CommandError, match="--out"):
        run("SP-GLEN01")


def test_from_the_shell_it_exits_non_zero_naming_the_reference(case, tmp_path, capsys, settings):
    # The shell's path runs django.setup() again, which would set up logging afresh with this
    # test's captured stderr, closed when the test ends: every later log line of the process
    # would fail and print a traceback. Django is set up already; its logging stays as it is.
    settings.LOGGING_CONFIG = None
    utility = ManagementUtility(["manage.py", "subject_access_export", "SP-NOPE99", "--out",
                                 str(tmp_path)])  # fmt: skip
    with pytest.raises(SystemExit) as exit_:
        utility.execute()
    assert exit_.value.code == 1
    assert "CommandError: No referral has the reference 'SP-NOPE99'." in capsys.readouterr().err
