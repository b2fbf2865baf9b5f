"""Documents on a case: Llinos attaches Glenys's signed consent; Carys (coordinator) may read
and delete it; Dafydd, Prys and the outsiders get 404. Types are judged from the content."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from core.exceptions import InvalidTransition, Refused, ValidationError
from linkworkers import services
from linkworkers.models import CaseDocument
from referrals.models import ReferralEvent
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40


def docx_bytes(word=True):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        if word:
            archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    return tmp_path


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def list_url(referral):
    return reverse("linkworkers:documents", kwargs={"referral_uuid": referral.uuid})


def doc_url(document, name="document"):
    return reverse(
        f"linkworkers:{name}",
        kwargs={"referral_uuid": document.referral.uuid, "document_uuid": document.uuid},
    )


def stored(document):
    return Path(default_storage.path(document.file.name))


# --- the service: types from the content ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind", "shown"),
    [
        ("consent.pdf", PDF, "application/pdf", "consent.pdf"),
        ("photo.PNG", PNG, "image/png", "photo.PNG"),
        ("scan.jpeg", JPEG, "image/jpeg", "scan.jpeg"),
        ("notes.txt", "Glenys: ffôn ✓\n".encode(), "text/plain", "notes.txt"),
        (
            "letter.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "letter.docx",
        ),
        # The name's extension is made to agree with the content.
        ("letter.html", PDF, "application/pdf", "letter.html.pdf"),
    ],
)
def test_accepted_kinds(case, link_worker, media, name, content, kind, shown):
    document = services.document_upload(
        referral=case, actor=link_worker, upload=upload(name, content), description="Consent"
    )
    assert (document.content_type, document.name, document.size) == (kind, shown, len(content))
    path = stored(document)
    assert path.read_bytes() == content
    assert path.is_relative_to(media / "case-documents" / str(case.uuid))
    assert name not in path.name  # a random storage name, never the uploaded one
    event = AuditEvent.objects.get(object_id=str(document.uuid), action="create")
    assert case.reference in event.records
    assert ReferralEvent.objects.filter(referral=case, note__contains="Document added").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("consent.pdf", b"<html><script>alert(1)</script></html>\x00"),  # HTML with a NUL
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),  # a Windows program
        ("letter.docx", docx_bytes(word=False)),  # a zip that is not a Word document
        ("image.png", b"GIF89a\x01\x00\x01\x00\x00\xff\x00"),  # a GIF named .png
        ("latin1.txt", "caf\xe9".encode("latin-1")),  # not UTF-8
        ("bell.txt", b"ring\x07ring"),  # control characters
    ],
)
def test_wrong_content_is_refused_naming_the_file_field(case, link_worker, media, name, content):
    with pytest.raises(ValidationError) as error:
        services.document_upload(referral=case, actor=link_worker, upload=upload(name, content))
    assert list(error.value.field_errors) == ["file"]
    assert "its content says otherwise" in error.value.field_errors["file"][0]
    assert not CaseDocument.objects.exists()
    assert not list(media.rglob("*.*"))


def test_oversize_is_refused_with_the_limit(case, link_worker, settings):
    settings.DOCUMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError) as error:
        services.document_upload(
            referral=case, actor=link_worker, upload=upload("big.pdf", PDF + b"0" * 200)
        )
    assert error.value.field_errors["file"] == [
        "The file is 245\xa0bytes: the largest allowed is 100\xa0bytes."
    ]


def test_empty_and_missing_files_are_refused(case, link_worker):
    with pytest.raises(ValidationError) as error:
        services.document_upload(referral=case, actor=link_worker, upload=None)
    assert error.value.field_errors["file"] == ["Choose a file to upload."]
    with pytest.raises(ValidationError) as error:
        services.document_upload(referral=case, actor=link_worker, upload=upload("a.pdf", b""))
    assert error.value.field_errors["file"] == ["The file is empty."]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd.txt"),
        ("..\\..\\Windows\\win.ini", "win.ini.txt"),
        ("/var/www/../consent.pdf", "consent.pdf.txt"),
        ("Llythyr cydsyniad – Glenys ✓.txt", "Llythyr cydsyniad – Glenys ✓.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe.txt"),  # a right-to-left override goes
        ("nul\x00name.txt", "nulname.txt"),
        ("....", "document.txt"),
        ("a" * 400 + ".txt", "a" * 146 + ".txt"),
    ],
)
def test_hostile_names_are_cleaned(case, link_worker, media, raw, shown):
    file = upload("placeholder.txt", b"hello\n")
    file.name = raw  # Django's own name cleaning is bypassed: the service must hold alone
    document = services.document_upload(referral=case, actor=link_worker, upload=file)
    assert document.name == shown
    assert stored(document).is_relative_to(media)


def test_only_people_on_the_case_may_upload(case, prys, other_link_worker, gp):
    for outsider in (prys, other_link_worker, gp):
        with pytest.raises(Refused):
            services.document_upload(referral=case, actor=outsider, upload=upload("a.pdf", PDF))
    assert not CaseDocument.objects.exists()


def test_delete_by_the_uploader_or_coordinator_only(
    case, link_worker, coordinator, media, django_capture_on_commit_callbacks
):
    mine = services.document_upload(referral=case, actor=link_worker, upload=upload("a.pdf", PDF))
    theirs = services.document_upload(referral=case, actor=coordinator, upload=upload("b.pdf", PDF))
    with pytest.raises(InvalidTransition, match="Only who uploaded"):
        services.document_delete(document=theirs, actor=link_worker)
    path = stored(mine)
    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(document=mine, actor=coordinator)
    assert not path.exists()
    assert not CaseDocument.objects.filter(pk=mine.pk).exists()
    assert AuditEvent.objects.filter(
        object_id=str(mine.uuid), action="change", detail__contains="deleted"
    ).exists()
    assert ReferralEvent.objects.filter(note="Document deleted: a.pdf").exists()


def test_erasure_deletes_the_files(case, link_worker, django_capture_on_commit_callbacks):
    document = services.document_upload(
        referral=case, actor=link_worker, upload=upload("a.pdf", PDF)
    )
    path = stored(document)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.case_documents_erase(referral_ids=[case.pk]) == 1
    assert not path.exists()
    assert not CaseDocument.objects.exists()


# --- the pages -------------------------------------------------------------------------------


def test_llinos_uploads_and_downloads(client, case, link_worker):
    client.force_login(link_worker)
    response = client.post(
        list_url(case), {"file": upload("Cydsyniad ✓.pdf", PDF), "description": "Signed consent"}
    )
    assert response.status_code == 302
    document = CaseDocument.objects.get()
    page = client.get(list_url(case)).content.decode()
    assert "Cydsyniad ✓.pdf" in page and "Signed consent" in page
    download = client.get(doc_url(document))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''Cydsyniad%20%E2%9C%93.pdf" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"]
    before = AuditEvent.objects.count()
    client.get(doc_url(document))
    assert AuditEvent.objects.count() == before + 1  # one row for one read
    read = AuditEvent.objects.filter(object_id=str(document.uuid), action="view").latest("pk")
    assert "downloaded" in read.detail and case.reference in read.records


def test_a_refused_upload_names_the_field_on_the_page(client, case, link_worker):
    client.force_login(link_worker)
    response = client.post(list_url(case), {"file": upload("x.pdf", b"MZ\x90\x00")})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="error_1_id_file"' in body or "invalid-feedback" in body
    assert "its content says otherwise" in body
    assert not CaseDocument.objects.exists()


def test_oversize_on_the_page(client, case, link_worker, settings):
    settings.DOCUMENT_MAX_BYTES = 10
    client.force_login(link_worker)
    response = client.post(list_url(case), {"file": upload("x.pdf", PDF)})
    assert response.status_code == 400
    assert "the largest allowed is 10" in response.content.decode()


def test_the_coordinator_reads_and_deletes(client, case, link_worker, coordinator):
    document = services.document_upload(
        referral=case, actor=link_worker, upload=upload("a.pdf", PDF)
    )
    client.force_login(coordinator)
    assert client.get(doc_url(document)).status_code == 200
    assert client.post(doc_url(document, "document_delete")).status_code == 302
    assert not CaseDocument.objects.exists()


def test_llinos_cannot_delete_the_coordinators_document(client, case, link_worker, coordinator):
    document = services.document_upload(
        referral=case, actor=coordinator, upload=upload("a.pdf", PDF)
    )
    client.force_login(link_worker)
    response = client.post(doc_url(document, "document_delete"), follow=True)
    assert "Only who uploaded a document" in response.content.decode()
    assert CaseDocument.objects.exists()


def test_everyone_else_gets_404(client, case, link_worker, other_link_worker, gp, prys,
                                outsider_coordinator, commissioner):  # fmt: skip
    document = services.document_upload(
        referral=case, actor=link_worker, upload=upload("a.pdf", PDF)
    )
    for user in (other_link_worker, gp, prys, outsider_coordinator, commissioner):
        client.force_login(user)
        assert client.get(list_url(case)).status_code == 404
        assert client.get(doc_url(document)).status_code == 404
        assert client.post(doc_url(document, "document_delete")).status_code == 404
        assert client.post(list_url(case), {"file": upload("b.pdf", PDF)}).status_code == 404
    assert CaseDocument.objects.count() == 1
    assert not AuditEvent.objects.filter(object_id=str(document.uuid), action="view").exists()


def test_a_document_of_another_case_is_404(client, case, link_worker):
    other = ReferralFactory(link_worker=link_worker, scheme=case.scheme, status="allocated")
    document = services.document_upload(
        referral=other, actor=link_worker, upload=upload("a.pdf", PDF)
    )
    client.force_login(link_worker)
    url = reverse(
        "linkworkers:document",
        kwargs={"referral_uuid": case.uuid, "document_uuid": document.uuid},
    )
    assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, case, link_worker):
    document = services.document_upload(
        referral=case, actor=link_worker, upload=upload("a.pdf", PDF)
    )
    assert client.get(doc_url(document)).status_code == 302


def test_a_missing_file_is_a_message_not_a_500(client, case, link_worker):
    document = services.document_upload(
        referral=case, actor=link_worker, upload=upload("a.pdf", PDF)
    )
    stored(document).unlink()
    client.force_login(link_worker)
    response = client.get(doc_url(document), follow=True)
    assert response.status_code == 200
    assert "could not be read just now" in response.content.decode()


def test_the_list_query_count_does_not_grow(client, case, link_worker,
                                            django_assert_max_num_queries):  # fmt: skip
    client.force_login(link_worker)
    services.document_upload(referral=case, actor=link_worker, upload=upload("a.pdf", PDF))
    with django_assert_max_num_queries(60) as first:
        client.get(list_url(case))
    for number in range(8):
        services.document_upload(
            referral=case, actor=link_worker, upload=upload(f"{number}.pdf", PDF)
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(list_url(case))


def test_a_c1_control_character_is_not_plain_text(case, link_worker):
    with pytest.raises(ValidationError):
        services.document_upload(
            referral=case, actor=link_worker, upload=upload("a.txt", "a\u0085b".encode())
        )


def test_a_byte_order_mark_and_windows_lines_are_plain_text(case, link_worker):
    document = services.document_upload(
        referral=case, actor=link_worker, upload=upload("a.txt", b"\xef\xbb\xbfone\r\ntwo\t3\n")
    )
    assert document.content_type == "text/plain"


def test_the_write_pages_refuse_get_and_the_download_refuses_post(client, case, link_worker):
    document = services.document_upload(
        referral=case, actor=link_worker, upload=upload("a.pdf", PDF)
    )
    client.force_login(link_worker)
    assert client.get(doc_url(document, "document_delete")).status_code == 405
    assert client.post(doc_url(document)).status_code == 405
    assert client.put(list_url(case)).status_code == 405


def test_a_text_field_posted_as_the_file_is_a_missing_file(client, case, link_worker):
    client.force_login(link_worker)
    response = client.post(list_url(case), {"file": "../../etc/passwd"})
    assert response.status_code == 400
    assert "Choose a file to upload." in response.content.decode()


def test_a_name_with_quotes_cannot_break_the_header(client, case, link_worker):
    file = upload("x.pdf", PDF)
    file.name = 'a";filename="evil.html.pdf'
    document = services.document_upload(referral=case, actor=link_worker, upload=file)
    client.force_login(link_worker)
    header = client.get(doc_url(document))["Content-Disposition"]
    assert header == 'attachment; filename="a\\";filename=\\"evil.html.pdf"'
