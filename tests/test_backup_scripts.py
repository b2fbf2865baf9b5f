"""Backups (issue 18, point 6): the smoke check, and restore.sh's refusals. The whole drill
(backup, restore into a fresh database, migrate --check, smoke check) runs in .ci/run."""

import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.factories import ReferralFactory

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_the_smoke_check_counts_and_asks_healthz():
    ReferralFactory()
    out = StringIO()
    call_command("smoke_check", "--min-referrals", "1", stdout=out)
    assert "referrals.Referral: 1 rows" in out.getvalue()
    assert "/healthz: 200" in out.getvalue()
    with pytest.raises(CommandError, match="--min-referrals: 1 referrals, expected at least 2"):
        call_command("smoke_check", "--min-referrals", "2", stdout=StringIO())


def restore(*args):
    return subprocess.run(
        [str(ROOT / "scripts" / "restore.sh"), *args],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip


def test_restore_refuses_a_bad_name_and_a_missing_file(tmp_path):
    dump = tmp_path / "x.dump"
    dump.write_bytes(b"")
    refused = restore(str(dump), "postgres://postgres@127.0.0.1:5432/bad-name;drop")
    assert refused.returncode == 2 and "must be letters, digits and _" in refused.stderr
    missing = restore(str(tmp_path / "none.dump"), "postgres://postgres@127.0.0.1:5432/sp_x")
    assert missing.returncode == 2 and "cannot read" in missing.stderr


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="restore.sh asks PostgreSQL whether the database exists",
)
@pytest.mark.django_db
def test_restore_never_restores_over_an_existing_database(tmp_path):
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    dump = tmp_path / "x.dump"
    dump.write_bytes(b"")
    refused = restore(str(dump), url)
    assert refused.returncode == 2
    assert "already exists; restore into a new one" in refused.stderr
