import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "cy" / "LC_MESSAGES" / "django.po"

pytestmark = pytest.mark.django_db


def test_english_pages_are_unprefixed_and_welsh_under_cy(client):
    english = client.get("/accounts/login/")
    welsh = client.get("/cy/accounts/login/")
    assert english.status_code == welsh.status_code == 200
    assert '<html lang="en">' in english.content.decode()
    assert '<html lang="cy">' in welsh.content.decode()
    assert "Mewngofnodi" in welsh.content.decode()


def test_the_switch_goes_to_the_same_page_in_the_other_language(client):
    response = client.post("/i18n/setlang/", {"language": "cy", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.url == "/cy/accounts/login/"
    response = client.post("/cy/i18n/setlang/", {"language": "en", "next": "/cy/accounts/login/"})
    assert response.url == "/accounts/login/"


def test_each_home_page_is_in_welsh(client):
    for role, heading in [
        ("referrer", "Eich atgyfeiriadau"),
        ("link_worker", "Eich llwyth achosion"),
        ("commissioner", "Ystadegau ar gyfer eich ardal"),
    ]:
        client.force_login(UserFactory(role=role))
        assert f"<h1>{heading}</h1>" in client.get("/cy/").content.decode()


def test_the_welsh_catalogue_is_complete():
    """Every English string has a Welsh translation, none fuzzy."""
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(CATALOGUE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr
    assert "fuzzy" not in result.stderr


def test_the_catalogue_holds_every_string_in_the_code(tmp_path):
    """Extracting the strings afresh (in a copy of the tree) leaves nothing untranslated."""
    ignore = shutil.ignore_patterns(
        ".venv", "node_modules", "staticfiles", ".git", "__pycache__", "*.sqlite3", "*.mo"
    )
    shutil.copytree(ROOT, tmp_path / "tree", ignore=ignore)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "cy", "--no-obsolete", "-v0"],
        cwd=tmp_path / "tree",
        capture_output=True,
        text=True,
        env={**os.environ, "DEBUG": "1"},
    )
    assert result.returncode == 0, result.stderr
    fresh = tmp_path / "tree" / "locale" / "cy" / "LC_MESSAGES" / "django.po"
    stats = subprocess.run(
        ["msgfmt", "--statistics", "-o", "/dev/null", str(fresh)], capture_output=True, text=True
    ).stderr
    assert "untranslated" not in stats and "fuzzy" not in stats, (
        f"Strings without Welsh: {stats.strip()} (run `make makemessages` and translate them)"
    )


def test_the_home_page_names_the_organisation_in_welsh(client):
    from tests.factories import OrganisationFactory

    practice = OrganisationFactory(
        name="Afon Surgery", name_cy="Meddygfa'r Afon", ods_code="W90009"
    )
    client.force_login(UserFactory(role="referrer", organisation=practice))
    assert "Meddygfa&#x27;r Afon (W90009)" in client.get("/cy/").content.decode()
    assert "Afon Surgery (W90009)" in client.get("/").content.decode()
