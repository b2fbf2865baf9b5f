"""What every case page shares: the one access helper (with the read audited) and the case frame."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Role, User
from referrals.selectors import referrer_may_see_text
from referrals.services import referral_view_record

from .. import selectors


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
