"""The printable letter back to the GP and referrer, for a closed referral."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.services import audit_view

from .. import selectors


@login_required
@require_GET
def gp_letter(request, referral_uuid):
    """At /referrals/<uuid>/letter/: whoever may see the referral page may print its letter."""
    letter = selectors.gp_letter_for(request.user, referral_uuid)
    referral = letter.referral
    audit_view(
        actor=request.user, what=f"GP letter {referral.reference}", obj=referral.person,
        records=[referral.reference], request=request,
    )  # fmt: skip
    # A referrer reads the person as their organisation gave them; the scheme, its record.
    is_referrer = request.user.role == Role.REFERRER
    person = referral.person_as_referred if is_referrer else referral.person
    return render(
        request,
        "referrals/letter.html",
        {"letter": letter, "referral": referral, "person": person, "is_referrer": is_referrer},
    )
