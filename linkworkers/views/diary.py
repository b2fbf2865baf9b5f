"""A link worker's diary: the week's page, and the iCalendar feed of their own dates."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from accounts.models import User
from core.exceptions import Refused
from referrals.services import referrals_view_record

from .. import selectors, services
from ..calendar import diary_calendar
from ..forms import DiaryWeekForm
from .common import AuthenticatedHttpRequest

# The new feed address, shown once on the diary page after it is made (only its hash is kept).
NEW_FEED_ADDRESS = "diary_feed_address"


@login_required
@require_GET
def diary(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    owner = selectors.diary_owner_for(request.user, request.GET.get("worker") or None)
    form = DiaryWeekForm(request.GET or None, user=request.user, today=today)
    chosen = form.cleaned_data.get("week") if form.is_valid() else None
    week_start = selectors.week_start_of(chosen or today)
    context: dict[str, Any] = {"form": form, "owner": owner, "today": today}
    if owner is not None:
        week = selectors.diary_for(request.user, owner, week_start=week_start, today=today)
        # The page names the people on its cases: one audit row naming them all.
        referrals_view_record(
            referrals=week.referrals, actor=request.user, request=request,
            what=f"diary of {owner.username}: week of {week_start.isoformat()}",
        )  # fmt: skip
        context.update(
            diary=week,
            this_week=selectors.week_start_of(today),
            worker_query=f"&worker={owner.uuid}" if owner != request.user else "",
        )
    if owner == request.user:
        address = request.session.pop(NEW_FEED_ADDRESS, None)
        context.update(
            feed_token=selectors.diary_feed_token_for(request.user),
            new_feed_address=address,
        )
    return render(request, "linkworkers/diary.html", context)


@login_required
@require_POST
def diary_feed_rotate(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        token = services.diary_feed_token_rotate(user=request.user, request=request)
    except Refused:
        raise Http404 from None
    request.session[NEW_FEED_ADDRESS] = request.build_absolute_uri(
        f"{reverse('diary_feed')}?token={token}"
    )
    messages.success(
        request, _("Your diary feed has a new address. Any address you made before has stopped.")
    )
    return redirect("diary:diary")


@login_required
@require_POST
def diary_feed_revoke(request: AuthenticatedHttpRequest) -> HttpResponse:
    if services.diary_feed_token_revoke(user=request.user, request=request):
        messages.success(request, _("Your diary feed is stopped: its address no longer works."))
    return redirect("diary:diary")


# GET and HEAD: some calendar apps look before they fetch.
@require_safe
def diary_feed(request) -> HttpResponse:
    """The feed, for a calendar app: the secret in the address is the only credential."""
    owner: User | None = selectors.diary_feed_owner(request.GET.get("token", ""))
    if owner is None:
        raise Http404
    entries = selectors.diary_feed_entries(owner, today=timezone.localdate())
    with translation.override(owner.preferred_language or "en"):
        body = diary_calendar(entries, now=timezone.now(), site_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="diary.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
