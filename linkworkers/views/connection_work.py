"""A connection's page on the link worker's side: the message thread and attendance register."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ApplicationError, Refused, ValidationError

from .. import selectors, services
from ..forms import AttendanceSessionForm, ConnectionMessageForm
from .common import open_case, render_case


def _render(request, referral, connection, *, message_form=None, session_form=None, status=200):
    side = services.connection_side_of(request.user, connection)
    return render_case(
        request, referral, "connections", "linkworkers/connection.html",
        {
            "connection": connection,
            "thread": list(selectors.messages_for(connection)),
            "register": selectors.register_for(connection),
            "may_write": side is not None and connection.status != "proposed",
            "may_register": side is not None and connection.status in services.REGISTER_STATUSES,
            "message_form": message_form or ConnectionMessageForm(),
            "session_form": session_form or AttendanceSessionForm(),
        },
        status=status,
    )  # fmt: skip


def _back(referral, connection):
    return redirect(
        "linkworkers:connection", referral_uuid=referral.uuid, connection_uuid=connection.uuid
    )


@login_required
@require_GET
def connection_detail(request, referral_uuid, connection_uuid):
    referral = open_case(request, referral_uuid)
    connection = selectors.get_case_connection(referral, connection_uuid)
    return _render(request, referral, connection)


@login_required
@require_POST
def connection_message(request, referral_uuid, connection_uuid):
    referral = open_case(request, referral_uuid)
    connection = selectors.get_case_connection(referral, connection_uuid)
    form = ConnectionMessageForm(request.POST)
    form.is_valid()
    try:
        services.connection_message_post(
            connection=connection, actor=request.user, request=request,
            text=form.cleaned_data.get("text", ""),
        )  # fmt: skip
    except Refused:
        raise Http404 from None
    except ValidationError as error:
        form.add_service_errors(error.field_errors)
        return _render(request, referral, connection, message_form=form, status=400)
    except ApplicationError as error:
        messages.error(request, error.message)
        return _back(referral, connection)
    messages.success(request, _("Message sent."))
    return _back(referral, connection)


@login_required
@require_POST
def connection_session(request, referral_uuid, connection_uuid):
    referral = open_case(request, referral_uuid)
    connection = selectors.get_case_connection(referral, connection_uuid)
    form = AttendanceSessionForm(request.POST)
    if form.is_valid():
        try:
            services.attendance_session_record(
                connection=connection, actor=request.user, request=request,
                session_on=form.cleaned_data["session_on"],
                attended=form.cleaned_data["attended"], note=form.cleaned_data["note"],
            )  # fmt: skip
        except Refused:
            raise Http404 from None
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return _back(referral, connection)
        else:
            messages.success(request, _("Session recorded."))
            return _back(referral, connection)
    return _render(request, referral, connection, session_form=form, status=400)
