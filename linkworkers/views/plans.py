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

WHAT_MATTERS_FIELDS = ("what_matters", "strengths", "want_to_change")
GOAL_FIELDS = ("goal-description", "goal-target_date")


def _goal_forms(goals, bound=None, bound_goals=None):
    forms = []
    for goal in goals:
        if bound and bound[0] == goal.pk:
            form = bound[1]
        elif bound_goals and goal.pk in bound_goals:
            form = bound_goals[goal.pk]
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
                         bound_goals=None, stale=None):  # fmt: skip
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
            "goals": _goal_forms(selectors.goals_for(referral), bound_goal, bound_goals),
        },
    )  # fmt: skip


def _what_matters_changed(form, record) -> bool:
    """Whether the posted "what matters" differs from what is saved (nothing saved: any text)."""
    data = form.cleaned_data
    saved = (
        (record.what_matters, record.strengths, record.want_to_change) if record else ("", "", "")
    )
    posted = tuple((data.get(key) or "").strip() for key in WHAT_MATTERS_FIELDS)
    return posted != tuple(text.strip() for text in saved)


def _goal_changed(goal, form) -> bool:
    data = form.cleaned_data
    return (data["status"], (data["progress_notes"] or "").strip(), data["target_date"]) != (
        goal.status,
        goal.progress_notes.strip(),
        goal.target_date,
    )


@login_required
@require_http_methods(["GET", "POST"])
def what_matters(request, referral_uuid):
    """The whole tab is one form: "Save" and "Add goal" both save every part that changed."""
    referral = open_case(request, referral_uuid)
    if request.method == "GET":
        return _render_what_matters(request, referral)
    must_work_on(request, referral)
    record = selectors.what_matters_for(referral)
    goals = list(selectors.goals_for(referral))
    form = WhatMattersForm(request.POST)
    goal_form = GoalForm(request.POST, prefix="goal")
    adding = "add_goal" in request.POST or _typed(request.POST, GOAL_FIELDS)
    if not adding:
        goal_form = GoalForm(prefix="goal")
    goal_forms = {
        goal.pk: GoalUpdateForm(request.POST, prefix=str(goal.uuid))
        for goal in goals
        if f"{goal.uuid}-status" in request.POST
    }
    if record is None and not _typed(request.POST, WHAT_MATTERS_FIELDS):
        form = WhatMattersForm(initial={"version": 0})
    stale = None
    # A part left as it was is not saved (and not checked): a goal may be added before
    # anything is written under "what matters", and the reverse.
    valid = not form.is_bound or form.is_valid()
    valid = (goal_form.is_valid() or not adding) and valid
    checked = [goal_update_form.is_valid() for goal_update_form in goal_forms.values()]
    valid = all(checked) and valid
    if valid:
        wm = None
        if form.is_bound and _what_matters_changed(form, record):
            wm = {key: form.cleaned_data[key] for key in ("version", *WHAT_MATTERS_FIELDS)}
            wm["expected_version"] = wm.pop("version")
        changes = [
            (goal, goal_forms[goal.pk].cleaned_data)
            for goal in goals
            if goal.pk in goal_forms and _goal_changed(goal, goal_forms[goal.pk])
        ]
        try:
            services.plan_save(
                referral=referral, actor=request.user, request=request, what_matters=wm,
                new_goal=goal_form.cleaned_data if adding else None, goal_changes=changes,
            )  # fmt: skip
        except ValidationError as error:
            parts = {"what_matters": form, "goal": goal_form}
            parts.update({str(goal.uuid): goal_forms[goal.pk] for goal, _changes in changes})
            for key, errors in error.field_errors.items():
                part = next((name for name in parts if key.startswith(f"{name}-")), None)
                if part is not None:
                    parts[part].add_service_errors({key[len(part) + 1 :]: errors})
        except StaleVersion as error:
            # Keep what they typed beside the version saved meanwhile; saving
            # again is then a choice made having seen it.
            stale = error.message
            data = request.POST.copy()
            fresh = selectors.what_matters_for(referral)
            data["version"] = fresh.version if fresh else 0
            form = WhatMattersForm(data)
            form.is_valid()
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("Saved: what matters and the plan."))
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
    return _render_what_matters(
        request, referral, form=form, goal_form=goal_form, bound_goals=goal_forms, stale=stale
    )


def _typed(data, fields) -> bool:
    return any((data.get(name) or "").strip() for name in fields)


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
