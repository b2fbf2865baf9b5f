"""Keeping the directory true: providers' edits, editors' review and categories' need words,
pre-referral checks.

Every view has the same shape: fetch the object through one access helper
(404 for missing and not yours alike), call one service, redirect.
"""

from datetime import datetime
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from core.exceptions import ApplicationError, ValidationError

from . import selectors, services
from .exceptions import NothingChanged
from .forms import NeedWordsForm, ServiceChangeRejectForm, ServiceCheckForm, ServiceEditForm
from .models import ServiceChange


class AuthenticatedHttpRequest(HttpRequest):
    """What a @login_required view is given: a request whose user has signed in."""

    user: User


def _add_errors(form: forms.Form, error: ApplicationError) -> None:
    """Put a service's refusal on the form: under the field it names, or above the form."""
    field_errors = getattr(error, "field_errors", None)
    if not field_errors:
        form.add_error(None, error.message)
        return
    for name, field_messages in field_errors.items():
        for message in field_messages:
            form.add_error(name if name in form.fields else None, message)


def _seen_proposed_at(request: HttpRequest) -> datetime | None:
    """Which version of the proposal the editor's page showed (None when not said)."""
    return parse_datetime(request.POST.get("seen", ""))


@login_required
@require_GET
def manage(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A provider's listings, their pending changes and the editors' decisions."""
    if not selectors.user_is_provider_staff(request.user):
        raise PermissionDenied
    return render(
        request,
        "directory/upkeep/manage.html",
        {
            "services": selectors.services_managed_by(request.user),
            "changes": selectors.service_changes_for_provider(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    service = selectors.service_managed_by(request.user, uuid)
    pending = selectors.service_change_pending(service)
    initial = selectors.service_edit_initial(service, pending, selectors.PROVIDER_EDITABLE_FIELDS)
    form = ServiceEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.service_change_propose(
                service=service, actor=request.user, data=form.cleaned_data
            )
        except ApplicationError as error:
            _add_errors(form, error)
        else:
            if change is None:
                messages.success(request, _("Your proposed change was withdrawn."))
            else:
                messages.success(
                    request,
                    _("Thank you. Your change will show once a directory editor approves it."),
                )
            return redirect("upkeep:manage")
    return render(
        request,
        "directory/upkeep/service_edit.html",
        {"service": service, "pending": pending, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def service_confirm(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    service = selectors.service_managed_by(request.user, uuid)
    services.service_confirm_current(service=service, actor=request.user)
    messages.success(
        request,
        _("Thank you. %(service)s is marked as checked today.") % {"service": service.name},
    )
    return redirect("upkeep:manage")


@login_required
@require_GET
def review_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not selectors.user_can_review_changes(request.user):
        raise PermissionDenied
    return render(
        request,
        "directory/upkeep/review_queue.html",
        {"changes": selectors.service_changes_pending_review(request.user)},
    )


def _review_page(
    request: HttpRequest,
    change: ServiceChange,
    reject_form: ServiceChangeRejectForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "directory/upkeep/review_change.html",
        {
            "change": change,
            "rows": selectors.service_change_rows(change),
            "reject_form": reject_form or ServiceChangeRejectForm(),
        },
        status=status,
    )


@login_required
@require_GET
def review_change(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    change = selectors.service_change_for_review(request.user, uuid)
    return _review_page(request, change)


@login_required
@require_POST
def review_approve(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    change = selectors.service_change_for_review(request.user, uuid)
    try:
        services.service_change_approve(
            change=change, actor=request.user, seen_proposed_at=_seen_proposed_at(request)
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("upkeep:review_change", uuid=change.uuid)
    messages.success(
        request,
        _("Approved: the listing for %(service)s is updated.") % {"service": change.service.name},
    )
    return redirect("upkeep:review_queue")


@login_required
@require_POST
def review_reject(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    change = selectors.service_change_for_review(request.user, uuid)
    form = ServiceChangeRejectForm(request.POST)
    if form.is_valid():
        try:
            services.service_change_reject(
                change=change,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                seen_proposed_at=_seen_proposed_at(request),
            )
        except ValidationError as error:
            _add_errors(form, error)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("upkeep:review_change", uuid=change.uuid)
        else:
            messages.success(
                request,
                _("Rejected: the provider of %(service)s is told why.")
                % {"service": change.service.name},
            )
            return redirect("upkeep:review_queue")
    return _review_page(request, change, reject_form=form, status=400)


@login_required
@require_GET
def categories(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The search categories with the need words that find them, for directory editors."""
    if not selectors.user_can_review_changes(request.user):
        raise PermissionDenied
    return render(
        request,
        "directory/upkeep/categories.html",
        {"categories": selectors.categories_for_editor(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_needs(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    term = selectors.category_for_editor(request.user, uuid)
    initial = {"need_words": term.need_words, "need_words_cy": term.need_words_cy}
    form = NeedWordsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.taxonomy_term_need_words_update(
                term=term, actor=request.user, **form.cleaned_data
            )
        except NothingChanged as error:
            messages.info(request, error.message)
            return redirect("upkeep:categories")
        except ApplicationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("The need words of %(category)s are saved: searches use them now.")
                % {"category": term.display_name},
            )
            return redirect("upkeep:categories")
    return render(
        request,
        "directory/upkeep/category_needs.html",
        {"term": term, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_checks(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    """A service's quality at a glance, its recent pre-referral checks, and a form to add one."""
    service = selectors.service_for_checks(request.user, uuid)
    form = ServiceCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.service_check_record(service=service, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your check is recorded."))
            return redirect("upkeep:service_checks", uuid=service.uuid)
    checks = selectors.service_checks_recent(service)
    return render(
        request,
        "directory/upkeep/service_checks.html",
        {
            "service": service,
            "checks": checks,
            "latest_check": checks[0] if checks else None,
            "form": form,
        },
        status=400 if form.errors else 200,
    )
