"""What every case page shares: the one access helper (with the read audited) and the case frame."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Role, User
from core.exceptions import ApplicationError, Refused, ValidationError
from referrals.selectors import referrer_may_see_text
from referrals.services import referral_view_record

from .. import selectors, services


class AuthenticatedHttpRequest(HttpRequest):
    """What a @login_required view is given: a request whose user has signed in."""

    user: User


def open_case(request, referral_uuid):
    """The case through the one access helper, with the read audited."""
    referral = selectors.get_case_for(request.user, referral_uuid)
    referral_view_record(referral=referral, actor=request.user, request=request)
    return referral


def must_work_on(request, referral):
    if not selectors.can_work_on(request.user, referral):
        raise PermissionDenied


def render_case(request, referral, tab, template, context, status=200):
    today = timezone.localdate()
    context = {
        "referral": referral,
        "tab": tab,
        "age": selectors.age_on(referral.person.date_of_birth, today),
        "can_work": selectors.can_work_on(request.user, referral),
        # Whether the referrer and GP get the scheme's words (the person's choice, as it is now).
        "referrer_sees_text": referrer_may_see_text(referral),
        "today": today,
        **context,
    }
    return render(request, template, context, status=status)


def must_coordinate(request):
    if request.user.role != Role.COORDINATOR or not request.user.organisation_id:
        raise PermissionDenied


def back_to_connections(referral):
    return redirect("linkworkers:connections", referral_uuid=referral.uuid)


def posted_version(request):
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def post_to_service(
    request: HttpRequest,
    form,
    act: Callable[[], object],
    *,
    done: str,
    back: HttpResponse,
) -> HttpResponse | None:
    """Run the use case a posted form asks for, the way every case page answers it.

    Refused answers 404 (the object stays hidden); the service's field errors go
    onto the form and None comes back, for the caller to show the form again with
    status 400; any other refusal is a message on the page it came from; success
    is the `done` message and `back`.
    """
    try:
        act()
    except Refused:
        raise Http404 from None
    except ValidationError as error:
        form.add_service_errors(error.field_errors)
        return None
    except ApplicationError as error:
        messages.error(request, error.message)
        return back
    messages.success(request, done)
    return back


def session_record(request: AuthenticatedHttpRequest, connection, form) -> None:
    """Record a session on a connection's register from either side's form."""
    services.attendance_session_record(
        connection=connection, actor=request.user, request=request,
        session_on=form.cleaned_data["session_on"],
        attended=form.cleaned_data["attended"], note=form.cleaned_data["note"],
    )  # fmt: skip


def message_post(request: AuthenticatedHttpRequest, connection, form) -> None:
    """Post a message to a connection's thread from either side's form."""
    services.connection_message_post(
        connection=connection, actor=request.user, request=request,
        text=form.cleaned_data.get("text", ""),
    )  # fmt: skip
