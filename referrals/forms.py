"""Browser forms: they parse and check input; the services decide and write."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.postcodes import validate_postcode

from . import selectors
from .models import (
    TEXT_LIMIT,
    ContactMethod,
    EthnicGroup,
    Gender,
    GPFeedback,
    Language,
    Reason,
    RejectionReason,
    Status,
    Urgency,
)
from .validators import validate_nhs_number, validate_not_in_future

PERSON_KEYS = (
    "given_name", "family_name", "preferred_name", "date_of_birth", "nhs_number", "gender",
    "ethnic_group", "address", "postcode", "phone", "email", "contact_method",
    "may_leave_message", "preferred_language", "communication_needs",
)  # fmt: skip


class DateInput(forms.DateInput):
    input_type = "date"


def _text(label, *, required=True, limit=TEXT_LIMIT, rows=4, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=limit,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ReferralFormBase(forms.Form):
    def person_details(self):
        return {k: self.cleaned_data[k] for k in PERSON_KEYS if k in self.cleaned_data}

    def referral_details(self):
        return {
            k: v for k, v in self.cleaned_data.items() if k not in PERSON_KEYS and k != "scheme"
        }

    def add_service_errors(self, field_errors):
        for field, messages in field_errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class ProfessionalReferralForm(ReferralFormBase):
    """The PRSB "Referral to social prescribing services" items, in one form."""

    given_name = forms.CharField(label=_("First name"), max_length=100)
    family_name = forms.CharField(label=_("Last name"), max_length=100)
    preferred_name = forms.CharField(label=_("Preferred name"), max_length=100, required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=DateInput, validators=[validate_not_in_future]
    )
    nhs_number = forms.CharField(
        label=_("NHS number"),
        max_length=12,
        required=False,
        validators=[validate_nhs_number],
        help_text=_("10 digits. Leave blank if you do not know it."),
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, initial=Gender.NOT_KNOWN)
    ethnic_group = forms.ChoiceField(
        label=_("Ethnic group"), choices=EthnicGroup.choices, initial=EthnicGroup.Z
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, validators=[validate_postcode])
    phone = forms.CharField(label=_("Phone number"), max_length=30, required=False)
    email = forms.EmailField(label=_("Email address"), required=False)
    contact_method = forms.ChoiceField(
        label=_("Best way to contact them"), choices=ContactMethod.choices
    )
    may_leave_message = forms.BooleanField(label=_("A message may be left"), required=False)
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=Language.choices, initial=Language.ENGLISH
    )
    communication_needs = forms.CharField(
        label=_("Communication or access needs"), max_length=500, required=False
    )
    reasons = forms.MultipleChoiceField(
        label=_("Reasons for referral"),
        choices=Reason.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose all that apply."),
    )
    reason_other = forms.CharField(label=_("Other reason"), max_length=200, required=False)
    what_matters = _text(
        _("What matters to the person"),
        help_text=_("In your words: what they would like help with and what they hope for."),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        widget=forms.RadioSelect,
    )
    risk_flag = forms.BooleanField(
        label=_("There is a safeguarding or risk concern"), required=False
    )
    risk_details = _text(_("Details of the concern"), required=False, rows=3)
    consent_to_referral = forms.BooleanField(
        label=_("The person agreed to be referred to social prescribing")
    )
    consent_to_share = forms.BooleanField(
        label=_("The person agreed to their details being shared with the scheme")
    )
    gp_feedback = forms.ChoiceField(
        label=_("What may go back to their GP"),
        choices=GPFeedback.choices,
        initial=GPFeedback.EVERYTHING,
        widget=forms.RadioSelect,
    )
    referrer_role = forms.CharField(label=_("Your job title"), max_length=100, required=False)
    referrer_phone = forms.CharField(label=_("Your phone number"), max_length=30, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(
                _("The person"),
                Div("given_name", "family_name", "preferred_name", css_class=""),
                "date_of_birth", "nhs_number", "gender", "ethnic_group",
            ),
            Fieldset(
                _("Contact details and preferences"),
                "address", "postcode", "phone", "email", "contact_method",
                "may_leave_message", "preferred_language", "communication_needs",
            ),
            Fieldset(
                _("The referral"),
                "reasons", "reason_other", "what_matters", "urgency", "risk_flag", "risk_details",
            ),
            Fieldset(_("Consent"), "consent_to_referral", "consent_to_share", "gp_feedback"),
            Fieldset(_("About you"), "referrer_role", "referrer_phone"),
            Submit("submit", _("Send referral")),
        )  # fmt: skip


class SelfReferralForm(ReferralFormBase):
    """The public form: plain words, only what a person can easily tell us."""

    given_name = forms.CharField(label=_("Your first name"), max_length=100)
    family_name = forms.CharField(label=_("Your last name"), max_length=100)
    date_of_birth = forms.DateField(
        label=_("Your date of birth"), widget=DateInput, validators=[validate_not_in_future]
    )
    postcode = forms.CharField(
        label=_("Your postcode"), max_length=10, validators=[validate_postcode]
    )
    phone = forms.CharField(label=_("Your phone number"), max_length=30, required=False)
    email = forms.EmailField(label=_("Your email address"), required=False)
    contact_method = forms.ChoiceField(
        label=_("How should we contact you?"), choices=ContactMethod.choices
    )
    may_leave_message = forms.BooleanField(
        label=_("We may leave a message if you do not answer"), required=False
    )
    preferred_language = forms.ChoiceField(
        label=_("Which language would you like us to use?"), choices=Language.choices
    )
    reasons = forms.MultipleChoiceField(
        label=_("What would you like help with?"),
        choices=Reason.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose all that apply."),
    )
    what_matters = _text(
        _("Tell us a little about what matters to you"),
        help_text=_("A few words are enough. You can tell us more when we talk."),
    )
    scheme: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Your local social prescribing scheme"), queryset=None, required=False
    )
    consent_to_referral = forms.BooleanField(label=_("I would like a link worker to contact me"))
    consent_to_share = forms.BooleanField(
        label=_("I agree that the scheme may keep these details to help me")
    )
    # Honeypot: hidden from people (and from screen readers); bots fill it in.
    website = forms.CharField(label=_("Leave this empty"), required=False)

    def __init__(self, *args, schemes, **kwargs):
        super().__init__(*args, **kwargs)
        # Someone who came by the Welsh address (or chose Cymraeg) is asked in Welsh, and
        # most likely wants to be spoken to in Welsh: it is the choice made for them.
        language = translation.get_language() or ""
        self.fields["preferred_language"].initial = (
            Language.WELSH if language.startswith("cy") else Language.ENGLISH
        )
        self.fields["scheme"].queryset = schemes
        if len(schemes) <= 1:
            del self.fields["scheme"]
        else:
            self.fields["scheme"].required = True
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("About you"), "given_name", "family_name", "date_of_birth", "postcode"),
            Fieldset(
                _("How we contact you"),
                "phone", "email", "contact_method", "may_leave_message", "preferred_language",
            ),
            Fieldset(
                _("What you would like help with"),
                "reasons", "what_matters", *(["scheme"] if "scheme" in self.fields else []),
            ),
            Fieldset(_("Your agreement"), "consent_to_referral", "consent_to_share"),
            Div("website", css_class="d-none", aria_hidden="true"),
            Submit("submit", _("Send")),
        )  # fmt: skip
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    def clean(self):
        data = super().clean()
        if data.get("contact_method") in ("phone", "text") and not data.get("phone"):
            self.add_error("phone", _("Give a phone number so we can call or text you."))
        if data.get("contact_method") == "email" and not data.get("email"):
            self.add_error("email", _("Give an email address so we can write to you."))
        return data

    def referral_details(self):
        details = super().referral_details()
        details.pop("website", None)
        return details


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Status.choices], required=False
    )
    received_from = forms.DateField(label=_("Received from"), required=False, widget=DateInput)
    received_to = forms.DateField(label=_("Received to"), required=False, widget=DateInput)


# Lifecycle actions: each carries the version the person was looking at.


class ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def add_service_errors(self, field_errors):
        for field, messages in field_errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class NoteActionForm(ActionForm):
    note = _text(_("Note (not shown to the referrer)"), required=False, rows=2)


class RejectForm(ActionForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=RejectionReason.choices)
    suggested_alternative = _text(_("Suggested alternative for the referrer"), rows=3)


class DuplicateDecisionForm(ActionForm):
    """Merge, not the same person, or undo: each carries the pair's version as it was seen."""


class CancelForm(ActionForm):
    reason = _text(_("Why are you cancelling it?"), required=False, rows=2)


class HoldForm(ActionForm):
    review_date = forms.DateField(label=_("Review date"), widget=DateInput)
    note = _text(_("Why is it on hold? (not shown to the referrer)"), required=False, rows=2)


class SearchForm(forms.Form):
    """The header search: one box, read by `selectors.parse_search`."""

    q = forms.CharField(
        label=_("Find a person"),
        required=False,
        strip=True,
        help_text=_("A name, NHS number, date of birth or SP- reference."),
    )

    def clean_q(self):
        text = self.cleaned_data["q"]
        if len(text) > selectors.SEARCH_MAX_LENGTH:
            raise forms.ValidationError(
                _("Search for at most %(limit)s characters.")
                % {"limit": selectors.SEARCH_MAX_LENGTH}
            )
        # Control characters (a NUL, say) mean nothing here and no database takes them.
        text = "".join(char if char.isprintable() else " " for char in text).strip()
        if not text:
            return None
        query = selectors.parse_search(text)
        if query is None:
            raise forms.ValidationError(
                _(
                    "Enter a name (two letters or more), an NHS number, a date of birth "
                    "(such as 12/03/1950) or a reference (such as SP-ABC123)."
                )
            )
        return query
