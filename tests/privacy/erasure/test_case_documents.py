"""Case documents and the person's rights: an erasure deletes the files, a subject access
export lists them (names and dates), and the access log shows who downloaded them."""

import os

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from linkworkers.models import CaseDocument
from linkworkers.services import document_open, document_upload
from privacy.services.erasure import person_erase
from privacy.services.subject_access import subject_access_bundle

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def consent(closed_case, link_worker):
    return document_upload(
        referral=closed_case, actor=link_worker, description="Signed consent",
        upload=SimpleUploadedFile("Gwenllian consent.pdf", PDF),
    )  # fmt: skip


def test_erasure_deletes_her_documents_and_their_files(
    consent, closed_case, dpo, django_capture_on_commit_callbacks
):
    path = default_storage.path(consent.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        person_erase(person=closed_case.person, actor=dpo, reason="She asked")
    assert not CaseDocument.objects.exists()
    assert not default_storage.exists(consent.file.name)
    assert not os.path.exists(path)


def test_the_export_lists_the_documents_and_their_downloads(consent, closed_case, dpo, link_worker):
    document_open(document=consent, actor=link_worker).close()
    bundle = subject_access_bundle(person=closed_case.person, scheme=closed_case.scheme, actor=dpo)
    [listed] = bundle["referrals"][0]["documents"]
    assert listed["name"] == "Gwenllian consent.pdf"
    assert listed["description"] == "Signed consent"
    assert listed["uploaded_at"] == consent.uploaded_at
    downloads = [row for row in bundle["access_log"] if "downloaded" in str(row)]
    assert downloads


def test_the_export_page_shows_the_documents(client, consent, closed_case, dpo):
    client.force_login(dpo)
    url = reverse("privacy:subject_access_html", args=[closed_case.person.uuid])
    body = client.get(url).content.decode()
    assert "Documents attached to your case" in body
    assert "Gwenllian consent.pdf" in body


def test_the_export_holds_the_thread_and_the_register(closed_case, dpo, link_worker):
    from django.utils import timezone

    from linkworkers.models import AttendanceSession, ConnectionMessage
    from tests.factories import ConnectionFactory

    connection = ConnectionFactory(referral=closed_case, status="attending",
                                   referred_at=timezone.now())  # fmt: skip
    ConnectionMessage.objects.create(
        connection=connection, author=link_worker, text="Is Tuesday good?",
        created_at=timezone.now(),
    )  # fmt: skip
    AttendanceSession.objects.create(
        connection=connection, session_on=timezone.localdate(), attended=False, note="Unwell",
        recorded_by=link_worker, recorded_at=timezone.now(),
    )  # fmt: skip
    bundle = subject_access_bundle(person=closed_case.person, scheme=closed_case.scheme, actor=dpo)
    [listed] = [c for c in bundle["referrals"][0]["connections"] if c["messages"]]
    assert listed["messages"][0]["text"] == "Is Tuesday good?"
    assert listed["sessions"][0] == {
        "date": timezone.localdate(), "attended": False, "note": "Unwell"
    }  # fmt: skip
