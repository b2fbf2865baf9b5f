"""Browser forms for the caseload and the case workspace: they parse; the services decide."""

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from referrals.models import ClosureReason, GPFeedback, Referral, Status

from .models import (
    CLOSURE_PART_LIMIT,
    MESSAGE_LIMIT,
    NOTE_LIMIT,
    SESSION_NOTE_LIMIT,
    ContactMode,
    ContactOutcome,
    DeclineReason,
    GoalStatus,
)
from .selectors import case_link_workers_for, diary_bounds, diary_workers_for
from .services import (
    ATTENDANCE_STATUSES,
    CONNECTION_NOTE_LIMIT,
    DECLINE_DETAILS_LIMIT,
    DESCRIPTION_LIMIT,
    GOAL_LIMIT,
    MAX_CONTACT_MINUTES,
)


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        if hasattr(value, "strftime"):
            if timezone.is_aware(value):
                value = timezone.localtime(value)
            return value.strftime("%Y-%m-%dT%H:%M")
        return value


def _text(label, *, limit, required=False, rows=3, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=limit,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ServiceErrorsMixin:
    def add_service_errors(self, field_errors):
        for name, messages in field_errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class ContactForm(ServiceErrorsMixin, forms.Form):
    happened_at = forms.DateTimeField(label=_("When"), widget=DateTimeInput)
    mode = forms.ChoiceField(label=_("How"), choices=ContactMode.choices)
    outcome = forms.ChoiceField(label=_("What happened"), choices=ContactOutcome.choices)
    minutes = forms.IntegerField(
        label=_("Minutes spent"), min_value=0, max_value=MAX_CONTACT_MINUTES, initial=0
    )
    notes = _text(_("Notes (not shown to the referrer)"), limit=NOTE_LIMIT)
    next_contact_on = forms.DateField(
        label=_("Next contact on"),
        required=False,
        widget=DateInput,
        help_text=_("Leave blank if no follow-up is arranged."),
    )


class WhatMattersForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    what_matters = _text(
        _("What matters to them"),
        limit=NOTE_LIMIT,
        required=True,
        rows=4,
        help_text=_("In their words."),
    )
    strengths = _text(_("Their strengths"), limit=NOTE_LIMIT)
    want_to_change = _text(_("What they want to change"), limit=NOTE_LIMIT)


class GoalForm(ServiceErrorsMixin, forms.Form):
    description = forms.CharField(label=_("Goal"), max_length=GOAL_LIMIT)
    target_date = forms.DateField(label=_("Target date"), required=False, widget=DateInput)


class GoalUpdateForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices)
    progress_notes = _text(_("Progress"), limit=NOTE_LIMIT, rows=2)
    target_date = forms.DateField(label=_("Target date"), required=False, widget=DateInput)


class CloseForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(label=_("Closure reason"), choices=ClosureReason.choices)
    what_mattered = _text(_("What mattered to them"), limit=CLOSURE_PART_LIMIT, required=True)
    connected_to = _text(
        _("What they were connected to"),
        limit=CLOSURE_PART_LIMIT,
        help_text=_("Groups, services or activities, and whether they went."),
    )
    outcomes = _text(
        _("Outcomes"),
        limit=CLOSURE_PART_LIMIT,
        help_text=_("What changed for them, including any wellbeing measures."),
    )
    follow_up = _text(
        _("Follow-up advice"),
        limit=CLOSURE_PART_LIMIT,
        required=True,
        help_text=_("For the GP and referrer: anything to look out for or do next."),
    )


class ReopenForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = _text(_("Why reopen it? (not shown to the referrer)"), limit=NOTE_LIMIT, rows=2)


class GPFeedbackForm(ServiceErrorsMixin, forms.Form):
    """The person changed their mind about what may go back to their GP."""

    gp_feedback = forms.ChoiceField(
        label=_("What may go back to their GP"),
        choices=GPFeedback.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Record it when the person tells you. It applies from now on: what the referrer "
            "was already sent stays as it was."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class CaseloadFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any open status")),
            *[(s.value, s.label) for s in (Status.ALLOCATED, Status.IN_PROGRESS, Status.ON_HOLD)],
        ],
    )
    due = forms.ChoiceField(
        label=_("Due"),
        required=False,
        choices=[("", _("All")), ("overdue", _("Overdue")), ("week", _("Due in the next 7 days"))],
    )
    link_worker: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        label=_("Link worker"), required=False, queryset=None, empty_label=_("Every link worker")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["link_worker"].queryset = case_link_workers_for(user)
        if user.role != Role.COORDINATOR:
            del self.fields["link_worker"]


class OutcomeForm(forms.Form):
    """One field per item of the instrument. The answers are checked by the service
    (outcome_record), so that its errors, which name the item, are the ones shown."""

    answered_on = forms.DateField(
        label=_("Date answered"),
        widget=DateInput(format="%Y-%m-%d", attrs={"class": "form-control"}),
        initial=timezone.localdate,
    )

    def __init__(self, *args, instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(instrument.items.all())
        for item in self.items:
            self.fields[f"item_{item.pk}"] = forms.CharField(
                label=item.display_text, required=False, max_length=10
            )

    def answers(self):
        return {item.pk: self.cleaned_data.get(f"item_{item.pk}") for item in self.items}

    def questions(self):
        """Each item with its bound field and its answers as (value, label) pairs."""
        return [
            (
                item,
                self[f"item_{item.pk}"],
                [(v, item.answer_label(v)) for v in range(item.min_value, item.max_value + 1)],
            )
            for item in self.items
        ]

    def add_service_errors(self, field_errors):
        for field, messages in field_errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


# The coordinator side ----------------------------------------------------------


class ReassignForm(ServiceErrorsMixin, forms.Form):
    link_worker: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        label=_("New link worker"), queryset=None, to_field_name="uuid",
        empty_label=_("Choose a link worker"),
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["link_worker"].queryset = choices


class SupervisionNoteForm(ServiceErrorsMixin, forms.Form):
    text = _text(_("Note"), limit=NOTE_LIMIT, required=True, rows=4)
    referral: "forms.ModelChoiceField[Referral]" = forms.ModelChoiceField(
        label=_("About a case (optional)"), queryset=None, to_field_name="uuid", required=False,
        empty_label=_("Their work in general"),
    )  # fmt: skip

    def __init__(self, *args, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = cases
        self.fields["referral"].label_from_instance = lambda r: f"{r.reference} {r.person}"


class PeerNavigatorForm(ServiceErrorsMixin, forms.Form):
    peer_navigator: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        label=_("Peer navigator"), queryset=None, to_field_name="uuid",
        empty_label=_("Choose a peer navigator"),
    )  # fmt: skip

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["peer_navigator"].queryset = choices


class ConnectionSearchForm(forms.Form):
    """Search the directory from inside a case; distance from the person's home."""

    q = forms.CharField(label=_("Keyword"), required=False, max_length=200)
    category = forms.TypedChoiceField(label=_("Category"), required=False, empty_value=None)
    nearby = forms.BooleanField(
        label=_("Nearest to the person's home first"), required=False, initial=True
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {str(term.uuid): term for term in categories}
        self.fields["category"].choices = [
            ("", _("All categories")),
            *(
                (key, "– " * term.depth + term.display_name)
                for key, term in self.categories.items()
            ),
        ]
        self.fields["category"].coerce = self.categories.get


class ConnectionProposeForm(ServiceErrorsMixin, forms.Form):
    service = forms.UUIDField(widget=forms.HiddenInput)
    note_for_provider = _text(
        _("Note for the provider"),
        limit=CONNECTION_NOTE_LIMIT,
        rows=2,
        help_text=_(
            "The provider sees this, the person's first name and, if they agreed, "
            "how to reach them."
        ),
    )
    refer = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ConnectionStopForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why it stops"), max_length=DECLINE_DETAILS_LIMIT)


class UnmetNeedForm(ServiceErrorsMixin, forms.Form):
    category = forms.TypedChoiceField(label=_("Kind of service missing"), empty_value=None)
    notes = _text(_("What the person needed"), limit=NOTE_LIMIT, rows=2)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {str(term.uuid): term for term in categories}
        self.fields["category"].choices = [
            ("", _("Choose a category")),
            *(
                (key, "– " * term.depth + term.display_name)
                for key, term in self.categories.items()
            ),
        ]
        self.fields["category"].coerce = self.categories.get


class ConnectionDeclineForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("Choose a reason"))]
        + [
            (value, label)
            for value, label in DeclineReason.choices
            if value != DeclineReason.NO_RESPONSE
        ],
    )
    details = forms.CharField(label=_("Details"), required=False, max_length=DECLINE_DETAILS_LIMIT)


class ConnectionAttendanceForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    attendance = forms.ChoiceField(
        label=_("Attendance"),
        choices=[(status.value, status.label) for status in ATTENDANCE_STATUSES],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=DECLINE_DETAILS_LIMIT)


class AllocateForm(ServiceErrorsMixin, forms.Form):
    """A coordinator's choice of link worker for an accepted referral."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    link_worker = forms.ModelChoiceField(label=_("Link worker"), queryset=User.objects.none())

    def __init__(self, *args: Any, scheme_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["link_worker"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(
            role=Role.LINK_WORKER, organisation_id=scheme_id, is_active=True
        ).order_by("last_name", "first_name")


class ConnectionMessageForm(ServiceErrorsMixin, forms.Form):
    """A message in a connection's thread (the service checks who may write and what)."""

    text = forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_LIMIT}),
    )


class AttendanceSessionForm(ServiceErrorsMixin, forms.Form):
    """One line of the attendance register: the session's date, whether they came, a note."""

    session_on = forms.DateField(label=_("Session date"), required=False, widget=DateInput)
    attended = forms.TypedChoiceField(
        label=_("Did the person come?"),
        required=False,
        choices=[("yes", _("Attended")), ("no", _("Missed"))],
        coerce=lambda value: value == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=SESSION_NOTE_LIMIT
    )


class DocumentUploadForm(ServiceErrorsMixin, forms.Form):
    """A file for the case; its size and type are checked by the service, from the content."""

    file = forms.FileField(
        label=_("File"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.txt,.docx"}),
    )
    description = forms.CharField(
        label=_("What it is (optional)"),
        required=False,
        max_length=DESCRIPTION_LIMIT,
        help_text=_("For example: signed consent form, letter from the housing office."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "PDF, PNG, JPEG, plain text or Word (.docx), up to %(limit)s."
        ) % {"limit": filesizeformat(settings.DOCUMENT_MAX_BYTES)}


class DiaryWeekForm(forms.Form):
    """Which week of whose diary: any day of the week will do (the diary starts on its Monday)."""

    week = forms.DateField(label=_("Week of"), required=False, widget=DateInput(format="%Y-%m-%d"))
    worker: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        label=_("Link worker"), required=False, queryset=None, to_field_name="uuid",
        empty_label=_("Choose a link worker"),
    )  # fmt: skip

    def __init__(self, *args: Any, user: User, today: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        worker = self.fields["worker"]
        if isinstance(worker, forms.ModelChoiceField):
            worker.queryset = diary_workers_for(user)
        if user.role != Role.COORDINATOR:
            del self.fields["worker"]

    def clean_week(self) -> Any:
        week = self.cleaned_data.get("week")
        first, last = diary_bounds(self.today)
        if week is not None and not first <= week <= last + timedelta(days=6):
            raise forms.ValidationError(
                _("Choose a week between %(first)s and %(last)s.")
                % {"first": first.isoformat(), "last": last.isoformat()}
            )
        return week
