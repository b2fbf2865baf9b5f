"""The caseload, a case's overview and its contacts."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ApplicationError, ValidationError
from referrals.models import ClosureReason
from referrals.services import referrals_view_record

from .. import selectors, services
from ..forms import (
    CaseloadFilterForm,
    ContactForm,
)
from .common import must_work_on, open_case, render_case


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


def _render_overview(request, referral, contact_form=None, status=200):
    contacts = list(selectors.contacts_for(referral))
    if contact_form is None:
        contact_form = ContactForm(initial={"happened_at": timezone.now()})
    return render_case(
        request, referral, "overview", "linkworkers/case_overview.html",
        {
            "contacts": contacts,
            "contact_form": contact_form,
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
