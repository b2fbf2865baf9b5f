"""The "what matters" conversation and the goals of the plan."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError, StaleVersion, ValidationError

from .. import selectors, services
from ..forms import (
    GoalForm,
    GoalUpdateForm,
    WhatMattersForm,
)
from ..models import Goal
from .common import must_work_on, open_case, render_case


def _goal_forms(goals, bound=None):
    forms = []
    for goal in goals:
        if bound and bound[0] == goal.pk:
            form = bound[1]
        else:
            form = GoalUpdateForm(
                prefix=str(goal.uuid),
                initial={
                    "status": goal.status,
                    "progress_notes": goal.progress_notes,
                    "target_date": goal.target_date,
                },
            )
        forms.append((goal, form))
    return forms


def _render_what_matters(request, referral, *, form=None, goal_form=None, bound_goal=None,
                         stale=None):  # fmt: skip
    record = selectors.what_matters_for(referral)
    if form is None:
        initial = {"version": record.version if record else 0}
        if record:
            initial.update(what_matters=record.what_matters, strengths=record.strengths,
                           want_to_change=record.want_to_change)  # fmt: skip
        form = WhatMattersForm(initial=initial)
    return render_case(
        request, referral, "what_matters", "linkworkers/case_what_matters.html",
        {
            "record": record,
            "stale": stale,
            "form": form,
            "goal_form": goal_form or GoalForm(prefix="goal"),
            "goals": _goal_forms(selectors.goals_for(referral), bound_goal),
        },
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def what_matters(request, referral_uuid):
    referral = open_case(request, referral_uuid)
    if request.method == "GET":
        return _render_what_matters(request, referral)
    must_work_on(request, referral)
    form = WhatMattersForm(request.POST)
    stale = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.what_matters_save(
                referral=referral, actor=request.user, request=request,
                expected_version=data["version"], what_matters=data["what_matters"],
                strengths=data["strengths"], want_to_change=data["want_to_change"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except StaleVersion as error:
            # Keep what they typed beside the version saved meanwhile; saving
            # again is then a choice made having seen it.
            stale = error.message
            record = selectors.what_matters_for(referral)
            data = request.POST.copy()
            data["version"] = record.version if record else 0
            form = WhatMattersForm(data)
            form.is_valid()
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("What matters saved."))
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
    return _render_what_matters(request, referral, form=form, stale=stale)


@login_required
@require_POST
def goal_add(request, referral_uuid):
    referral = open_case(request, referral_uuid)
    must_work_on(request, referral)
    form = GoalForm(request.POST, prefix="goal")
    if form.is_valid():
        try:
            services.goal_add(referral=referral, actor=request.user, request=request,
                              **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("Goal added to the plan."))
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
    return _render_what_matters(request, referral, goal_form=form)


@login_required
@require_POST
def goal_update(request, referral_uuid, goal_uuid):
    referral = open_case(request, referral_uuid)
    try:
        goal = Goal.objects.select_related("referral").get(uuid=goal_uuid, referral=referral)
    except Goal.DoesNotExist:
        raise Http404 from None
    must_work_on(request, referral)
    form = GoalUpdateForm(request.POST, prefix=str(goal.uuid))
    if form.is_valid():
        try:
            services.goal_update(goal=goal, actor=request.user, request=request,
                                 **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("Goal updated."))
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
    return _render_what_matters(request, referral, bound_goal=(goal.pk, form))
