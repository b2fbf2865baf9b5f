"""A connection's page on the link worker's side: the message thread and attendance register."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import selectors, services
from ..forms import AttendanceSessionForm, ConnectionMessageForm
from .common import message_post, open_case, post_to_service, render_case, session_record


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
    form.is_valid()  # the service judges the words; the form only gathers them
    return post_to_service(
        request, form,
        lambda: message_post(request, connection, form),
        done=_("Message sent."), back=_back(referral, connection),
    ) or _render(request, referral, connection, message_form=form, status=400)  # fmt: skip


@login_required
@require_POST
def connection_session(request, referral_uuid, connection_uuid):
    referral = open_case(request, referral_uuid)
    connection = selectors.get_case_connection(referral, connection_uuid)
    form = AttendanceSessionForm(request.POST)
    answer = form.is_valid() and post_to_service(
        request, form, lambda: session_record(request, connection, form),
        done=_("Session recorded."), back=_back(referral, connection),
    )  # fmt: skip
    return answer or _render(request, referral, connection, session_form=form, status=400)
