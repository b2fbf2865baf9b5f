"""Closing a case with the message back to the GP and referrer, and reopening it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError, ValidationError
from referrals import services as referrals_services
from referrals.models import ClosureReason, Status
from referrals.selectors import allowed_moves_for

from .. import selectors, services
from ..forms import (
    CloseForm,
    ReopenForm,
)
from ..models import CLOSURE_PART_LIMIT, GoalStatus
from .common import open_case, render_case


def _close_initial(request, referral):
    record = selectors.what_matters_for(referral)
    reason = request.GET.get("reason", "")
    goals = selectors.goals_for(referral).filter(status=GoalStatus.ACHIEVED)
    return {
        "version": referral.version,
        "reason": reason if reason in ClosureReason.values else "",
        "what_mattered": (record.what_matters if record else referral.what_matters)[
            :CLOSURE_PART_LIMIT
        ],
        "outcomes": "; ".join(goal.description for goal in goals)[:CLOSURE_PART_LIMIT],
        "connected_to": selectors.connected_to_text(referral)[:CLOSURE_PART_LIMIT],
    }


def _render_close(request, referral, *, form=None, reopen_form=None):
    moves = allowed_moves_for(request.user, referral)
    may_close = Status.CLOSED in moves
    may_reopen = referral.status == Status.CLOSED and Status.IN_PROGRESS in moves
    if may_close and form is None:
        form = CloseForm(initial=_close_initial(request, referral))
    if may_reopen and reopen_form is None:
        reopen_form = ReopenForm(initial={"version": referral.version})
    return render_case(
        request, referral, "close", "linkworkers/case_close.html",
        {
            "form": form if may_close else None,
            "reopen_form": reopen_form if may_reopen else None,
            "closure": referral.closure_summaries.select_related("written_by").first()
            if referral.status == Status.CLOSED
            else None,
        },
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def case_close(request, referral_uuid):
    referral = open_case(request, referral_uuid)
    if request.method == "GET":
        return _render_close(request, referral)
    form = CloseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.case_close(
                referral=referral, actor=request.user, request=request,
                expected_version=data.pop("version"), **data,
            )  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:close", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("The case is closed."))
            return redirect("linkworkers:close", referral_uuid=referral.uuid)
    return _render_close(request, referral, form=form)


@login_required
@require_POST
def case_reopen(request, referral_uuid):
    referral = open_case(request, referral_uuid)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            referral = referrals_services.referral_reopen(
                referral=referral, actor=request.user, request=request,
                expected_version=form.cleaned_data["version"], note=form.cleaned_data["note"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:close", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("The case is open again."))
            return redirect("linkworkers:case", referral_uuid=referral.uuid)
    return _render_close(request, referral, reopen_form=form)
