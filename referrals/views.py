"""Referral pages: parse, call a selector or service, render. Nothing else."""

from urllib.parse import quote_plus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from accounts.models import Role
from accounts.services import audit_view
from core.client_address import client_address_key
from core.exceptions import ApplicationError, Refused, ValidationError

from . import selectors, services
from .filters import TriageFilter
from .forms import (
    CancelForm,
    DuplicateDecisionForm,
    FilterForm,
    HoldForm,
    NoteActionForm,
    ProfessionalReferralForm,
    RejectForm,
    SearchForm,
    SelfReferralForm,
)
from .models import PossibleDuplicate, Status

PAGE_SIZE = 25
SEARCH_QUERY_KEPT = 200
CASE_ROLES = {Role.REFERRER, Role.COORDINATOR, Role.LINK_WORKER}


def _require_role(user, roles):
    if user.role not in roles:
        raise PermissionDenied


@login_required
def referral_list(request):
    _require_role(request.user, CASE_ROLES)
    filters = FilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    referrals = selectors.referral_list_for(request.user, **criteria)
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    services.referrals_view_record(
        referrals=page.object_list, actor=request.user, what="referral list", request=request
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "referrals/list.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "scheme_side": request.user.role != Role.REFERRER,
        },
    )


@login_required
def referral_new(request):
    _require_role(request.user, {Role.REFERRER})
    form = ProfessionalReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_create(
                person_details=form.person_details(),
                referral_details=form.referral_details(),
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return redirect("referrals:submitted", referral_uuid=referral.uuid)
    return render(request, "referrals/new.html", {"form": form})


@login_required
def referral_submitted(request, referral_uuid):
    referral = selectors.get_referral_for(request.user, referral_uuid)
    services.referral_view_record(referral=referral, actor=request.user, request=request)
    return render(request, "referrals/submitted.html", {"referral": referral})


def _action_forms(referral, moves):
    initial = {"version": referral.version}
    forms = {}
    if Status.ACCEPTED in moves:
        forms["accept"] = NoteActionForm(initial=initial, prefix="accept")
    if Status.REJECTED in moves:
        forms["reject"] = RejectForm(initial=initial, prefix="reject")
    if Status.CANCELLED in moves:
        forms["cancel"] = CancelForm(initial=initial, prefix="cancel")
    # First contact is recorded with the contact itself, and a case is closed with the
    # message back to the GP, on the case pages: one door each (linkworkers).
    if Status.IN_PROGRESS in moves and referral.status in (Status.ON_HOLD, Status.CLOSED):
        name = "resume" if referral.status == Status.ON_HOLD else "reopen"
        forms[name] = NoteActionForm(initial=initial, prefix=name)
    if Status.ON_HOLD in moves:
        forms["hold"] = HoldForm(initial=initial, prefix="hold")
    return forms


@login_required
def referral_detail(request, referral_uuid, action_forms=None):
    referral = selectors.get_referral_for(request.user, referral_uuid)
    services.referral_view_record(referral=referral, actor=request.user, request=request)
    moves = selectors.allowed_moves_for(request.user, referral)
    forms = _action_forms(referral, moves)
    forms.update(action_forms or {})
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "events": selectors.timeline_for(request.user, referral),
            # The scheme's words as this reader may have them: a referrer gets them only
            # when the person chose "everything" (the current choice, whenever it was made).
            "text": selectors.feedback_text_for(request.user, referral),
            "referrer_sees_text": selectors.referrer_may_see_text(referral),
            "forms": forms,
            "is_referrer": request.user.role == Role.REFERRER,
            "case_links": _case_links(request.user, referral, moves),
            # The scheme's coordinator acts for the person on data protection (privacy app).
            "subject_access_link": request.user.role == Role.COORDINATOR,
        },
    )


def _case_links(user, referral, moves) -> set[str]:
    """The case pages where this user takes the next step (first contact, closing)."""
    links = set()
    if Status.IN_PROGRESS in moves and referral.status == Status.ALLOCATED:
        links.add("contact")
    if Status.CLOSED in moves:
        links.add("close")
    if Status.ALLOCATED in moves:
        links.add("allocate")
    return links


# action name -> (form class, service call taking the referral, actor, cleaned data, request)
ACTIONS = {
    "accept": (NoteActionForm, lambda r, a, d, q: services.referral_accept(
        referral=r, actor=a, request=q, expected_version=d["version"], note=d["note"])),
    "reject": (RejectForm, lambda r, a, d, q: services.referral_reject(
        referral=r, actor=a, request=q, expected_version=d["version"], reason=d["reason"],
        suggested_alternative=d["suggested_alternative"])),
    "cancel": (CancelForm, lambda r, a, d, q: services.referral_cancel(
        referral=r, actor=a, request=q, expected_version=d["version"], reason=d["reason"])),
    "hold": (HoldForm, lambda r, a, d, q: services.referral_hold(
        referral=r, actor=a, request=q, expected_version=d["version"], review_date=d["review_date"],
        note=d["note"])),
    "resume": (NoteActionForm, lambda r, a, d, q: services.referral_resume(
        referral=r, actor=a, request=q, expected_version=d["version"], note=d["note"])),
    "reopen": (NoteActionForm, lambda r, a, d, q: services.referral_reopen(
        referral=r, actor=a, request=q, expected_version=d["version"], note=d["note"])),
}  # fmt: skip


@login_required
@require_POST
def referral_action(request, referral_uuid, action):
    referral = selectors.get_referral_for(request.user, referral_uuid)
    if action not in ACTIONS:
        raise Http404
    form_class, perform = ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    if form.is_valid():
        try:
            referral = perform(referral, request.user, form.cleaned_data, request)
        except Refused:
            raise Http404 from None
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("referrals:detail", referral_uuid=referral.uuid)
        else:
            messages.success(
                request,
                _("Referral %(ref)s is now %(status)s.")
                % {"ref": referral.reference, "status": referral.get_status_display()},
            )
            if request.user.role == Role.COORDINATOR and action == "reject":
                return redirect("referrals:triage")
            return redirect("referrals:detail", referral_uuid=referral.uuid)
    return referral_detail(request, referral_uuid, action_forms={action: form})


@login_required
def triage(request: HttpRequest) -> HttpResponse:
    _require_role(request.user, {Role.COORDINATOR})
    today = timezone.localdate()
    queue = TriageFilter(
        request.GET or None, queryset=selectors.triage_queue_for(request.user),
        user=request.user, today=today,
    )  # fmt: skip
    page = Paginator(queue.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    services.referrals_view_record(
        referrals=page.object_list, actor=request.user, what="triage queue", request=request
    )
    rows = [(referral, selectors.days_waiting(referral, today)) for referral in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "referrals/triage.html",
        {
            "page": page,
            "rows": rows,
            "filters": queue.form,
            "filtered": any(value for key, value in request.GET.items() if key != "page"),
            "query": query.urlencode(),
        },
    )


# Possible duplicates: a coordinator decides who is the same person -------


def _coordinator_or_404(user):
    # Another role learns nothing, not even that the queue exists.
    if user.role != Role.COORDINATOR:
        raise Http404


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    _coordinator_or_404(request.user)
    pairs = selectors.possible_duplicates_for(request.user)
    page = Paginator(pairs.filter(state=PossibleDuplicate.State.OPEN), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    merged = list(
        pairs.filter(state=PossibleDuplicate.State.MERGED).order_by("-decided_at", "-pk")[:50]
    )
    shown = [*page.object_list, *merged]
    audit_view(
        actor=request.user, what="possible duplicates", request=request,
        people=[person for pair in shown for person in (pair.person, pair.existing)],
        records=[pair.referral.reference for pair in page.object_list],
    )  # fmt: skip
    return render(request, "referrals/duplicates.html", {"page": page, "merged": merged})


@login_required
def duplicate_detail(request: HttpRequest, duplicate_uuid) -> HttpResponse:
    _coordinator_or_404(request.user)
    pair = selectors.get_possible_duplicate_for(request.user, duplicate_uuid)
    records = [
        (label, person, list(selectors.scheme_referrals_of(person, pair.scheme_id)))
        for label, person in ((_("New record"), pair.person), (_("Existing record"), pair.existing))
    ]
    services.possible_duplicate_view_record(
        duplicate=pair, actor=request.user, request=request,
        referrals=[referral for _label, _person, referrals in records for referral in referrals],
    )  # fmt: skip
    return render(
        request,
        "referrals/duplicate.html",
        {
            "pair": pair,
            "records": records,
            "form": DuplicateDecisionForm(initial={"version": pair.version}),
        },
    )


@login_required
@require_POST
def duplicate_decide(request: HttpRequest, duplicate_uuid, decision: str) -> HttpResponse:
    _coordinator_or_404(request.user)
    pair = selectors.get_possible_duplicate_for(request.user, duplicate_uuid)
    if decision not in services.DUPLICATE_DECISIONS:
        raise Http404
    form = DuplicateDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The page was out of date: look again and decide."))
        return redirect("referrals:duplicate", duplicate_uuid=pair.uuid)
    try:
        pair = services.possible_duplicate_decide(
            duplicate=pair,
            actor=request.user,
            decision=decision,
            expected_version=form.cleaned_data["version"],
            request=request,
        )
    except Refused:
        raise Http404 from None
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("referrals:duplicate", duplicate_uuid=pair.uuid)
    messages.success(
        request,
        {
            services.DUPLICATE_MERGE: _("Merged: the referrals are now on one record."),
            services.DUPLICATE_DISMISS: _("Kept apart: not the same person."),
            services.DUPLICATE_UNDO_MERGE: _("Merge undone: the records are apart again."),
        }[decision],
    )
    return redirect("referrals:duplicates")


@login_required
def notifications(request):
    """Every role's notifications, newest first; POST marks them all read."""
    if request.method == "POST":
        count = services.notifications_mark_all_read(user=request.user)
        messages.success(
            request,
            ngettext(
                "%(count)s notification marked as read.",
                "%(count)s notifications marked as read.",
                count,
            )
            % {"count": count},
        )
        return redirect("notifications:list")
    page = Paginator(selectors.notifications_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # A notification names the person its referral is about.
    services.referrals_view_record(
        referrals=[notification.referral for notification in page.object_list],
        actor=request.user, what="notifications", request=request,
    )  # fmt: skip
    return render(request, "referrals/notifications.html", {"page": page})


def notifications_moved(request):
    """The old address (/referrals/notifications/) leads to the one for every role."""
    query = request.META.get("QUERY_STRING", "")
    return redirect(reverse("notifications:list") + (f"?{query}" if query else ""), permanent=True)


@login_required
@require_POST
def notification_open(request, notification_uuid):
    notification = selectors.get_notification_for(request.user, notification_uuid)
    services.notification_mark_read(notification=notification, user=request.user)
    return redirect(services.notification_target(notification, request.user))


@login_required
@require_POST
def notification_read(request, notification_uuid):
    notification = selectors.get_notification_for(request.user, notification_uuid)
    services.notification_mark_read(notification=notification, user=request.user)
    page = request.POST.get("page", "")
    suffix = f"?page={page}" if page.isascii() and page.isdigit() else ""
    return redirect(reverse("notifications:list") + suffix)


@login_required
def search(request):
    """The header search: the people on referrals this user may see, and no others."""
    _require_role(request.user, CASE_ROLES)
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else None
    page = None
    if query is not None:
        page = Paginator(selectors.referral_search_for(request.user, query), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        # One row naming everyone the answer showed (and that the search was made, if none).
        services.referrals_view_record(
            referrals=page.object_list, actor=request.user, what="search", request=request
        )
    return render(
        request,
        "referrals/search.html",
        {
            "form": form,
            "page": page,
            "query": f"q={quote_plus(request.GET.get('q', '')[:SEARCH_QUERY_KEPT])}",
            "scheme_side": request.user.role != Role.REFERRER,
        },
    )


def _self_referral_rate(group, request):
    return (settings.SELF_REFERRAL_RATE_LIMIT, settings.SELF_REFERRAL_RATE_WINDOW_SECONDS)


# Every submission counts against the client's address, honeypot and invalid ones too.
@ratelimit(
    group="self-referral",
    key=client_address_key,
    rate=_self_referral_rate,
    method="POST",
    block=False,
)
def self_referral(request):
    schemes = selectors.schemes_for_self_referral()
    form = SelfReferralForm(request.POST or None, schemes=schemes)
    if request.method == "POST":
        if request.limited:
            return render(request, "referrals/self_referral_limited.html", status=429)
        if request.POST.get("website"):
            # A bot filled the hidden field: look successful, keep nothing.
            return redirect("self_referral_done")
        if form.is_valid():
            scheme = form.cleaned_data.get("scheme") or schemes.first()
            try:
                referral = services.referral_create(
                    person_details=form.person_details(),
                    referral_details=form.referral_details(),
                    scheme=scheme,
                    request=request,
                )
            except ValidationError as error:
                form.add_service_errors(error.field_errors)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                request.session["self_referral"] = referral.reference
                return redirect("self_referral_done")
    return render(request, "referrals/self_referral.html", {"form": form})


def self_referral_done(request):
    reference = request.session.pop("self_referral", "")
    referral = selectors.self_referral_by_reference(reference) if reference else None
    if referral is not None:
        # The person reads their own reference: still a read of their record.
        services.referral_view_record(referral=referral, actor=request.user, request=request)
    return render(
        request,
        "referrals/self_referral_done.html",
        {"reference": referral.reference if referral else ""},
    )
