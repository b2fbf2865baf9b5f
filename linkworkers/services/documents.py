"""Documents attached to a case (signed consent, letters): upload, download, delete, erase.

Files go through Django's storage API (local disk under MEDIA_ROOT, or an
S3-compatible bucket: README, "Documents") under a random name; the name a
person gave is kept for reading only. The type is judged from the content,
never from the name or the browser's word, and a name's extension is made to
agree with it, so a download never opens as something else.
"""

import logging
import os.path
import re
import unicodedata
import zipfile
from collections.abc import Collection
from typing import IO

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Role, User
from accounts.services import audit_record
from core.exceptions import ApplicationError, InvalidTransition, Refused
from referrals.models import Referral, ReferralEvent

from ..models import CaseDocument
from ..selectors import may_open_case
from .cases import raise_if, too_long

logger = logging.getLogger(__name__)

DESCRIPTION_LIMIT = 200
NAME_LIMIT = 150
DocumentKind = CaseDocument.Kind

# The extensions a name may keep for each kind; any other gets the kind's own added.
NAME_EXTENSIONS = {
    DocumentKind.PDF: (".pdf",),
    DocumentKind.PNG: (".png",),
    DocumentKind.JPEG: (".jpg", ".jpeg"),
    DocumentKind.TEXT: (".txt",),
    DocumentKind.DOCX: (".docx",),
}


class DocumentUnreadable(ApplicationError):
    """The stored file could not be read (gone from the storage, or the storage is out of reach)."""


def _is_docx(file: IO[bytes]) -> bool:
    # A .docx is a zip holding the Word part; only the zip's directory is read, nothing extracted.
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


# Control characters other than tab, line feed, form feed and carriage return: C0, DEL and C1.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _is_plain_text(file: IO[bytes]) -> bool:
    file.seek(0)
    data = file.read(settings.DOCUMENT_MAX_BYTES + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return CONTROL_CHARACTERS.search(text) is None


def document_kind_of(file: IO[bytes]) -> str | None:
    """What the content says the file is (its magic bytes), or None for anything not accepted."""
    file.seek(0)
    head = file.read(8)
    if head.startswith(b"%PDF-"):
        kind: str | None = DocumentKind.PDF
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = DocumentKind.PNG
    elif head.startswith(b"\xff\xd8\xff"):
        kind = DocumentKind.JPEG
    elif head.startswith(b"PK\x03\x04"):
        kind = DocumentKind.DOCX if _is_docx(file) else None
    else:
        kind = DocumentKind.TEXT if _is_plain_text(file) else None
    file.seek(0)
    return kind


def document_display_name(raw: str, kind: str) -> str:
    """The name shown and offered on download: the last part of what was given, cleaned.

    Folders ("../../etc/passwd", "C:\\Users\\x.pdf") and control characters go,
    Unicode is kept (normalised), it is shortened, and its extension agrees
    with the content's kind.
    """
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip(" .")
    stem, extension = os.path.splitext(name)
    if extension.lower() not in NAME_EXTENSIONS[DocumentKind(kind)]:
        stem, extension = name, CaseDocument.EXTENSIONS[DocumentKind(kind)]
    stem = stem[: NAME_LIMIT - len(extension)].strip(" .") or _("document")
    return stem + extension


def document_upload(
    *,
    referral: Referral,
    actor: User,
    upload: "UploadedFile[bytes] | None",
    description: str = "",
    request: HttpRequest | None = None,
) -> CaseDocument:
    """Attach a file to a case: for the link worker holding it and the scheme's coordinator.

    Refused with an error on the `file` field when it is missing, empty,
    larger than DOCUMENT_MAX_BYTES, or not a PDF, PNG, JPEG, plain text or
    Word (.docx) file by its content. The file is written before the row and
    removed again if the row cannot be saved, so neither is left alone.
    """
    description = (description or "").strip()
    limit = settings.DOCUMENT_MAX_BYTES
    errors: dict[str, list[str]] = {}
    kind = None
    if upload is None:
        errors["file"] = [_("Choose a file to upload.")]
    elif not upload.size:
        errors["file"] = [_("The file is empty.")]
    elif upload.size > limit:
        errors["file"] = [
            _("The file is %(size)s: the largest allowed is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        ]
    else:
        kind = document_kind_of(upload)
        if kind is None:
            errors["file"] = [
                _(
                    "This file is not a PDF, PNG, JPEG, plain text or Word (.docx) document: "
                    "its content says otherwise, whatever its name."
                )
            ]
    if len(description) > DESCRIPTION_LIMIT:
        errors["description"] = [too_long(DESCRIPTION_LIMIT)]
    raise_if(errors)
    assert upload is not None and kind is not None  # raise_if refused them
    if not may_open_case(actor, referral):
        raise Refused(_("Only the people working on this case can add documents."))
    now = timezone.now()
    document = CaseDocument(
        referral=referral,
        name=document_display_name(upload.name or "", kind),
        description=description,
        content_type=kind,
        size=upload.size or 0,
        uploaded_by=actor,
        uploaded_at=now,
    )
    upload.seek(0)
    document.file.save("upload", upload, save=False)
    try:
        with transaction.atomic():
            document.save()
            ReferralEvent.objects.create(
                referral=referral, kind=ReferralEvent.Kind.NOTE, actor=actor,
                note=_("Document added: %(name)s") % {"name": document.name},
                visible_to_referrer=False, created_at=now,
            )  # fmt: skip
            audit_record(
                actor=actor, action=AuditEvent.Action.CREATE, obj=document, request=request,
                detail=f"document uploaded to referral {referral.reference}",
                people=[referral.person], records=[referral.reference],
            )  # fmt: skip
    except BaseException:
        _remove_files([document.file.name or ""])
        raise
    return document


def document_open(
    *, document: CaseDocument, actor: User, request: HttpRequest | None = None
) -> IO[bytes]:
    """The stored file, opened for a download; the read is audited first (it names the person).

    The caller reached the document through its case (linkworkers.selectors),
    so the case's scoping has already been applied.
    """
    referral = document.referral
    audit_record(
        actor=actor, action=AuditEvent.Action.VIEW, obj=document, request=request,
        detail=f"document downloaded from referral {referral.reference}",
        people=[referral.person], records=[referral.reference],
    )  # fmt: skip
    try:
        return document.file.open("rb")
    except (OSError, ValueError) as error:
        logger.warning("document %s could not be read: %s", document.uuid, error)
        raise DocumentUnreadable(
            _("This document could not be read just now. Try again later.")
        ) from error


def document_delete(
    *, document: CaseDocument, actor: User, request: HttpRequest | None = None
) -> None:
    """Delete a document: only who uploaded it, or the scheme's coordinator.

    The row goes in the transaction, with a timeline entry and an audit row;
    the file is removed from the storage once that has committed.
    """
    referral = document.referral
    refusal = _("Only who uploaded a document, or the coordinator, can delete it.")
    if not may_open_case(actor, referral):
        raise Refused(refusal)
    if not (document.uploaded_by_id == actor.pk or actor.role == Role.COORDINATOR):
        raise InvalidTransition(refusal)
    now = timezone.now()
    with transaction.atomic():
        deleted = CaseDocument.objects.filter(pk=document.pk).delete()[0]
        if not deleted:
            raise InvalidTransition(_("This document has already been deleted."))
        ReferralEvent.objects.create(
            referral=referral, kind=ReferralEvent.Kind.NOTE, actor=actor,
            note=_("Document deleted: %(name)s") % {"name": document.name},
            visible_to_referrer=False, created_at=now,
        )  # fmt: skip
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=document, request=request,
            detail=f"document deleted from referral {referral.reference}",
            people=[referral.person], records=[referral.reference],
        )  # fmt: skip
        names = [document.file.name or ""]
        transaction.on_commit(lambda: _remove_files(names))


def case_documents_erase(*, referral_ids: Collection[int]) -> int:
    """Delete every document on these referrals, rows now and files once committed.

    Called by privacy's erasure service inside its transaction. A file the
    storage fails to delete is logged by name (a random name, no person's).
    """
    documents = CaseDocument.objects.filter(referral_id__in=list(referral_ids))
    names = [str(name) for name in documents.values_list("file", flat=True) if name]
    deleted = documents.delete()[0]
    if names:
        transaction.on_commit(lambda: _remove_files(names))
    return deleted


def _remove_files(names: Collection[str]) -> None:
    for name in filter(None, names):
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001 - a storage outage must not undo the deletion
            logger.exception("could not delete the stored file %s", name)
