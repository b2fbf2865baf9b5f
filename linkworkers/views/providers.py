"""A provider's side: the referrals sent to their services, and their answers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from core.exceptions import ApplicationError, ValidationError
from referrals.services import referrals_view_record

from .. import selectors, services
from ..forms import (
    ConnectionAttendanceForm,
    ConnectionDeclineForm,
)
from ..home import provider_rows
from .common import posted_version


@login_required
@require_GET
def provider_connections(request):
    if request.user.role != Role.PROVIDER:
        raise Http404
    rows = list(selectors.connections_for_provider(request.user))
    referrals_view_record(
        referrals=[row.referral for row in rows], actor=request.user, request=request,
        what=f"provider connections: {len(rows)}",
    )  # fmt: skip
    return render(request, "linkworkers/provider_connections.html", {"rows": provider_rows(rows)})


def _provider_answer(request, connection_uuid, answer):
    connection = selectors.get_connection_for_provider(request.user, connection_uuid)
    try:
        answer(connection)
    except ValidationError as error:
        for problems in error.field_errors.values():
            for problem in problems:
                messages.error(request, problem)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you: the link worker has been told."))
    return redirect("providers:connections")


@login_required
@require_POST
def provider_accept(request, connection_uuid):
    def answer(connection):
        services.connection_accept(
            connection=connection, actor=request.user, expected_version=posted_version(request)
        )

    return _provider_answer(request, connection_uuid, answer)


@login_required
@require_POST
def provider_decline(request, connection_uuid):
    form = ConnectionDeclineForm(request.POST, prefix=f"d-{connection_uuid}")
    form.is_valid()
    data = form.cleaned_data

    def answer(connection):
        services.connection_decline(
            connection=connection,
            actor=request.user,
            reason=data.get("reason", ""),
            details=data.get("details", ""),
            expected_version=data.get("version"),
        )

    return _provider_answer(request, connection_uuid, answer)


@login_required
@require_POST
def provider_attendance(request, connection_uuid):
    form = ConnectionAttendanceForm(request.POST, prefix=f"a-{connection_uuid}")
    form.is_valid()
    data = form.cleaned_data

    def answer(connection):
        services.connection_record_attendance(
            connection=connection,
            actor=request.user,
            attendance=data.get("attendance", ""),
            note=data.get("note", ""),
            expected_version=data.get("version"),
        )

    return _provider_answer(request, connection_uuid, answer)
