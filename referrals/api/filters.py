"""Query parameters of the referral list: `status` and `updated_since`."""

import django_filters
from django.utils.translation import gettext_lazy as _

from referrals.models import Referral, Status


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices, help_text=_("Only this status."))
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=_(
            "Only referrals changed at or after this ISO 8601 date-time, "
            "such as 2026-01-31T09:00:00Z."
        ),
    )

    class Meta:
        model = Referral
        fields = ["status", "updated_since"]
