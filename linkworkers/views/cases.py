"""The caseload, a case's overview, its contacts and what may go back to the GP."""

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ApplicationError, Refused, ValidationError
from referrals.models import ClosureReason
from referrals.selectors import may_change_gp_feedback
from referrals.services import referral_gp_feedback_change, referrals_view_record

from .. import selectors, services
from ..forms import (
    CaseloadFilterForm,
    ContactForm,
    GPFeedbackForm,
)
from .common import AuthenticatedHttpRequest, must_work_on, open_case, render_case


@login_required
@require_GET
def caseload(request):
    if request.user.role not in selectors.CASE_ROLES:
        raise PermissionDenied
    filters = CaseloadFilterForm(request.GET or None, user=request.user)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    cases = selectors.caseload_for(request.user, **criteria)
    # The list shows people's names: one audit row naming everyone on it.
    referrals_view_record(
        referrals=[row.referral for row in cases.rows], actor=request.user, request=request,
        what=f"caseload: {len(cases.rows)} of {cases.open_cases} open cases",
    )  # fmt: skip
    return render(
        request,
        "linkworkers/caseload.html",
        {"filters": filters, "caseload": cases, "today": timezone.localdate()},
    )


def _render_overview(request, referral, contact_form=None, gp_feedback_form=None, status=200):
    contacts = list(selectors.contacts_for(referral))
    if contact_form is None:
        contact_form = ContactForm(initial={"happened_at": timezone.now()})
    if gp_feedback_form is None and may_change_gp_feedback(request.user, referral):
        gp_feedback_form = GPFeedbackForm(
            initial={"gp_feedback": referral.gp_feedback, "version": referral.version}
        )
    return render_case(
        request, referral, "overview", "linkworkers/case_overview.html",
        {
            "contacts": contacts,
            "contact_form": contact_form,
            "gp_feedback_form": gp_feedback_form,
            "propose_unable_to_contact": referral.is_open
            and selectors.unable_to_contact_due(contacts),
            "unable_to_contact": ClosureReason.UNABLE_TO_CONTACT,
            "unable_rule": {
                "attempts": settings.UNABLE_TO_CONTACT_ATTEMPTS,
                "days": settings.UNABLE_TO_CONTACT_MIN_DAYS,
            },
        },
        status=status,
    )  # fmt: skip


@login_required
@require_GET
def case_overview(request, referral_uuid):
    return _render_overview(request, open_case(request, referral_uuid))


@login_required
@require_POST
def contact_log(request, referral_uuid):
    referral = open_case(request, referral_uuid)
    must_work_on(request, referral)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.contact_log(referral=referral, actor=request.user, request=request,
                                 **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:case", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("Contact recorded."))
            return redirect("linkworkers:case", referral_uuid=referral.uuid)
    return _render_overview(request, referral, contact_form=form)


@login_required
@require_POST
def gp_feedback_change(request: AuthenticatedHttpRequest, referral_uuid: UUID) -> HttpResponse:
    """The person changed what may go back to their GP; their link worker or coordinator says so."""
    referral = open_case(request, referral_uuid)
    form = GPFeedbackForm(request.POST)
    if form.is_valid():
        try:
            referral = referral_gp_feedback_change(
                referral=referral, actor=request.user, request=request,
                gp_feedback=form.cleaned_data["gp_feedback"],
                expected_version=form.cleaned_data["version"],
            )  # fmt: skip
        except Refused:
            raise Http404 from None
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:case", referral_uuid=referral.uuid)
        else:
            messages.success(
                request,
                _("Recorded: from now on, what may go back to their GP is “%(choice)s”.")
                % {"choice": referral.get_gp_feedback_display()},
            )
            return redirect("linkworkers:case", referral_uuid=referral.uuid)
    return _render_overview(request, referral, gp_feedback_form=form, status=400)
