"""A provider's side: the referrals sent to their services, their answers, and each
connection's page with its message thread and attendance register."""

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
    AttendanceSessionForm,
    ConnectionAttendanceForm,
    ConnectionDeclineForm,
    ConnectionMessageForm,
)
from ..home import provider_rows
from .common import message_post, post_to_service, posted_version, session_record


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
    if request.POST.get("back") == "detail":
        return redirect("providers:detail", connection_uuid=connection.uuid)
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


def _render_connection(request, connection, *, message_form=None, session_form=None, status=200):
    side = services.connection_side_of(request.user, connection)
    return render(
        request, "linkworkers/provider_connection.html",
        {
            "connection": connection,
            "decline_form": ConnectionDeclineForm(
                prefix=f"d-{connection.uuid}", initial={"version": connection.version}
            ),
            "attendance_form": ConnectionAttendanceForm(
                prefix=f"a-{connection.uuid}", initial={"version": connection.version}
            ),
            "thread": list(selectors.messages_for(connection)),
            "register": selectors.register_for(connection),
            "may_write": side is not None,
            "may_register": side is not None and connection.status in services.REGISTER_STATUSES,
            "message_form": message_form or ConnectionMessageForm(),
            "session_form": session_form or AttendanceSessionForm(),
        },
        status=status,
    )  # fmt: skip


def _open_connection(request, connection_uuid):
    """The connection through the provider's access helper, with the read audited."""
    connection = selectors.get_connection_for_provider(request.user, connection_uuid)
    referrals_view_record(
        referrals=[connection.referral], actor=request.user, request=request,
        what=f"provider connection {connection.uuid}",
    )  # fmt: skip
    return connection


def _back(connection):
    return redirect("providers:detail", connection_uuid=connection.uuid)


@login_required
@require_GET
def provider_connection(request, connection_uuid):
    return _render_connection(request, _open_connection(request, connection_uuid))


@login_required
@require_POST
def provider_message(request, connection_uuid):
    connection = _open_connection(request, connection_uuid)
    form = ConnectionMessageForm(request.POST)
    form.is_valid()  # the service judges the words; the form only gathers them
    return post_to_service(
        request, form,
        lambda: message_post(request, connection, form),
        done=_("Message sent."), back=_back(connection),
    ) or _render_connection(request, connection, message_form=form, status=400)  # fmt: skip


@login_required
@require_POST
def provider_session(request, connection_uuid):
    connection = _open_connection(request, connection_uuid)
    form = AttendanceSessionForm(request.POST)
    answer = form.is_valid() and post_to_service(
        request, form, lambda: session_record(request, connection, form),
        done=_("Session recorded."), back=_back(connection),
    )  # fmt: skip
    return answer or _render_connection(request, connection, session_form=form, status=400)
