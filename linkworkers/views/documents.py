"""A case's documents: the list and upload form, the access-checked download, deletion."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from core.exceptions import ApplicationError, Refused

from .. import selectors, services
from ..forms import DocumentUploadForm
from .common import open_case, post_to_service, render_case


def _back(referral):
    return redirect("linkworkers:documents", referral_uuid=referral.uuid)


@login_required
@require_http_methods(["GET", "POST"])
def documents(request, referral_uuid):
    referral = open_case(request, referral_uuid)
    form = DocumentUploadForm()
    status = 200
    if request.method == "POST":
        form = DocumentUploadForm(request.POST, request.FILES)
        answer = form.is_valid() and post_to_service(
            request, form,
            lambda: services.document_upload(
                referral=referral, actor=request.user, request=request,
                upload=form.cleaned_data["file"] or None,
                description=form.cleaned_data["description"],
            ),
            done=_("Document added."), back=_back(referral),
        )  # fmt: skip
        if answer:
            return answer
        status = 400
    return render_case(
        request, referral, "documents", "linkworkers/documents.html",
        {
            "documents": list(selectors.documents_for_case(referral)),
            "form": form,
            "is_coordinator": request.user.role == Role.COORDINATOR,
        },
        status=status,
    )  # fmt: skip


@login_required
@require_GET
def document_download(request, referral_uuid, document_uuid):
    # The case's scoping without its page's audit row: the download writes its own, one row.
    referral = selectors.get_case_for(request.user, referral_uuid)
    document = selectors.get_case_document(referral, document_uuid)
    try:
        file = services.document_open(document=document, actor=request.user, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
        return _back(referral)
    response = FileResponse(
        file, as_attachment=True, filename=document.name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Even if a browser were to render it, it runs nothing and reaches nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def document_delete(request, referral_uuid, document_uuid):
    referral = open_case(request, referral_uuid)
    document = selectors.get_case_document(referral, document_uuid)
    try:
        services.document_delete(document=document, actor=request.user, request=request)
    except Refused:
        raise Http404 from None
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Document deleted."))
    return _back(referral)
