"""A person's page for data protection: the scheme's record of them and their referrals.

For the scheme's data protection officer and its coordinators, who act for the
people referred to the scheme (subject access, correction, erasure); anyone
else, and anyone not referred to the scheme, gets 404.
"""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.services import audit_view
from referrals.selectors import get_person_for_data_protection, scheme_referrals_of

from .common import AuthenticatedHttpRequest


@login_required
@require_GET
def person(request: AuthenticatedHttpRequest, person_uuid: UUID) -> HttpResponse:
    found = get_person_for_data_protection(request.user, person_uuid)
    referrals = list(
        scheme_referrals_of(found, request.user.organisation_id).select_related("link_worker")
    )
    audit_view(
        actor=request.user,
        what="person record (data protection)",
        obj=found,
        people=[found],
        records=[referral.reference for referral in referrals],
        request=request,
    )
    return render(
        request,
        "privacy/person.html",
        {
            "person": found,
            "referrals": referrals,
            "is_dpo": request.user.role == Role.DPO,
            "is_coordinator": request.user.role == Role.COORDINATOR,
        },
    )
