"""Subject access for one person: the page saying what the bundle holds, and its two downloads."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import User
from accounts.services import audit_view
from core.exceptions import Refused
from referrals.models import Person
from referrals.selectors import get_person_for_data_protection

from ..exports import subject_access as exports
from ..selectors import subject_access as selectors
from ..services.subject_access import subject_access_bundle


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def _person_or_404(request: AuthenticatedHttpRequest, person_uuid: UUID) -> Person:
    """The person, for the scheme's DPO or coordinator; 404 for anyone else or anyone else's."""
    person: Person = get_person_for_data_protection(request.user, person_uuid)
    return person


@login_required
@require_GET
def subject_access(request: AuthenticatedHttpRequest, person_uuid: UUID) -> HttpResponse:
    person = _person_or_404(request, person_uuid)
    scheme = request.user.organisation
    assert scheme is not None  # the selector lets no one without a scheme through
    bundle = selectors.subject_access_data(
        person=person, scheme=scheme, produced_by=str(request.user)
    )
    references = [referral["reference"] for referral in bundle["referrals"]]
    audit_view(
        actor=request.user, what="subject access page", people=[person], records=references,
        request=request,
    )  # fmt: skip
    return render(
        request,
        "privacy/subject_access.html",
        {
            "person": person,
            "scheme": scheme,
            "references": references,
            "counts": selectors.bundle_counts(bundle),
            "left_out": bundle["left_out"],
        },
    )


def _download(request: AuthenticatedHttpRequest, person_uuid: UUID, extension: str) -> HttpResponse:
    person = _person_or_404(request, person_uuid)
    scheme = request.user.organisation
    assert scheme is not None
    try:
        bundle = subject_access_bundle(
            person=person, scheme=scheme, actor=request.user, request=request
        )
    except Refused:
        raise Http404 from None
    if extension == "html":
        content, content_type = exports.bundle_html(bundle), exports.HTML_CONTENT_TYPE
    else:
        content, content_type = exports.bundle_json(bundle), exports.JSON_CONTENT_TYPE
    response = HttpResponse(content, content_type=content_type)
    # A download, never shown in the site's pages: the file is for the person.
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(bundle, extension)}"'
    )
    return response


@login_required
@require_GET
def subject_access_html(request: AuthenticatedHttpRequest, person_uuid: UUID) -> HttpResponse:
    return _download(request, person_uuid, "html")


@login_required
@require_GET
def subject_access_json(request: AuthenticatedHttpRequest, person_uuid: UUID) -> HttpResponse:
    return _download(request, person_uuid, "json")
