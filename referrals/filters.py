"""The triage queue's search box and filters (django-filter), on a queryset already scoped.

The queryset comes from `selectors.triage_queue_for(user)`, so a filter can
only narrow what the coordinator may see; the choices of referring
organisation are the ones that referred to the coordinator's own scheme.
A value that makes no sense (an unknown urgency, a negative number of days,
another scheme's organisation) is shown as an error on that field and
ignored, never a 500.
"""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation

from .models import Reason, Referral, SourceKind, Status, Urgency
from .validators import _ascii_digits

SEARCH_LIMIT = 100
# No one waits a century: a bound keeps the date arithmetic in range.
MAX_WAITING_DAYS = 36500


def referring_organisations_for(user) -> QuerySet[Organisation]:
    """The organisations that referred to the user's scheme: the queue's "referred by" choices.

    One index probe per organisation (on the referrals' organisation) rather
    than a scan of every referral the scheme ever had.
    """
    referred_here = Referral.objects.filter(
        referring_organisation=OuterRef("pk"), scheme_id=user.organisation_id
    )
    return Organisation.objects.filter(Exists(referred_here)).order_by("name", "pk")


def search_queue(referrals: QuerySet[Referral], text: str) -> QuerySet[Referral]:
    """A name, an SP- reference or an NHS number (any spacing, any script's digits)."""
    text = " ".join(text.split())
    if not text:
        return referrals
    digits = _ascii_digits(text)
    if digits.isdigit() and len(digits) == 10:
        return referrals.filter(person__nhs_number=digits)
    if text.upper().startswith("SP-"):
        return referrals.filter(reference__istartswith=text)
    # Every word must be part of a name: "glen prit" finds Glenys Pritchard.
    for word in text.split()[:5]:
        referrals = referrals.filter(
            Q(person__given_name__icontains=word)
            | Q(person__family_name__icontains=word)
            | Q(person__preferred_name__icontains=word)
        )
    return referrals


class DaysFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class TriageFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search the queue"),
        method="filter_search",
        max_length=SEARCH_LIMIT,
        help_text=_("A name, a reference such as SP-7K3QD9M, or an NHS number."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = django_filters.ChoiceFilter(
        label=_("Stage"),
        choices=[
            (Status.RECEIVED, _("Waiting for triage")),
            (Status.ACCEPTED, _("Waiting for a link worker")),
        ],
        empty_label=_("Both"),
    )
    urgency = django_filters.ChoiceFilter(
        label=_("Urgency"), choices=Urgency.choices, empty_label=_("Any urgency")
    )
    source_kind = django_filters.ChoiceFilter(
        label=_("Source"), choices=SourceKind.choices, empty_label=_("Any source")
    )
    practice = django_filters.ModelChoiceFilter(
        label=_("Referred by"),
        field_name="referring_organisation",
        queryset=Organisation.objects.none(),
        empty_label=_("Any organisation"),
        to_field_name="uuid",
    )
    reason = django_filters.ChoiceFilter(
        label=_("Reason"), choices=Reason.choices, method="filter_reason",
        empty_label=_("Any reason"),
    )  # fmt: skip
    waiting_over = DaysFilter(
        label=_("Waiting longer than (days)"),
        method="filter_waiting_over",
        min_value=0,
        max_value=MAX_WAITING_DAYS,
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_WAITING_DAYS}),
    )

    class Meta:
        model = Referral
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, user, today=None, **kwargs):
        super().__init__(data, queryset=queryset, **kwargs)
        self.today = today or timezone.localdate()
        self.filters["practice"].queryset = referring_organisations_for(user)

    def filter_search(self, queryset, name, value):
        return search_queue(queryset, value)

    def filter_reason(self, queryset, name, value):
        # `reasons` is a JSON list of codes: containment on PostgreSQL (jsonb @>); SQLite
        # has no JSON containment, but its text holds each code in quotes and no code is
        # part of another.
        if connection.vendor == "postgresql":
            return queryset.filter(reasons__contains=[value])
        return queryset.filter(reasons__icontains=f'"{value}"')

    def filter_waiting_over(self, queryset, name, value):
        # Waiting more than N days: received on a UK day before today minus N.
        cutoff = timezone.make_aware(
            datetime.combine(self.today - timedelta(days=int(value)), time.min)
        )
        return queryset.filter(received_at__lt=cutoff)
