"""Outcome measures on a case."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import ApplicationError, ValidationError

from .. import selectors, services
from ..forms import (
    OutcomeForm,
)
from ..models import Timepoint
from .common import render_case


@login_required
@require_GET
def outcomes(request, referral_uuid):
    referral = selectors.case_for_user(request.user, referral_uuid)
    services.outcome_view_record(referral=referral, actor=request.user, request=request)
    results = selectors.outcomes_for_case(referral)
    return render_case(
        request,
        referral,
        "outcomes",
        "linkworkers/outcomes.html",
        {"results": results, "choices": selectors.outcome_choices_for_case(referral, results)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def outcome_record(request, referral_uuid, instrument_code, timepoint):
    referral = selectors.case_for_user(request.user, referral_uuid)
    if timepoint not in Timepoint.values:
        raise Http404
    instrument = selectors.get_instrument_for_case(referral, instrument_code)
    services.outcome_view_record(referral=referral, actor=request.user, request=request)
    form = OutcomeForm(request.POST or None, instrument=instrument)
    if request.method == "POST" and form.is_valid():
        try:
            services.outcome_record(
                referral=referral,
                instrument=instrument,
                timepoint=timepoint,
                answers=form.answers(),
                answered_on=form.cleaned_data["answered_on"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
            if not error.field_errors:
                form.add_error(None, error.message)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("%(instrument)s (%(timepoint)s) recorded.")
                % {
                    "instrument": instrument.display_name,
                    "timepoint": Timepoint(timepoint).label.lower(),
                },
            )
            return redirect("linkworkers:outcomes", referral_uuid=referral.uuid)
    return render_case(
        request,
        referral,
        "outcomes",
        "linkworkers/outcome_record.html",
        {"instrument": instrument, "timepoint": Timepoint(timepoint), "form": form},
    )
