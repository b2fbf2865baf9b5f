from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader
from django.utils.translation import gettext_lazy as _

from core.outbox import outbox_email_write

from .models import NotificationEmail


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def __init__(self, *args, help_text="", numeric=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = help_text
        if numeric:
            self.fields["code"].widget.attrs["inputmode"] = "numeric"
        self.helper = FormHelper()
        self.helper.form_tag = False


class NotificationEmailForm(forms.Form):
    """The account page: how the user hears of their notifications by email."""

    notification_email = forms.ChoiceField(
        label=_("Emails about your notifications"),
        choices=NotificationEmail.choices,
        widget=forms.RadioSelect,
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, its email written to the outbox instead of sent while the person waits.

    A mail server that is down or slow then delays the email (the outbox's sweep
    sends it) instead of holding the page for the SMTP timeout and failing it.
    """

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        outbox_email_write(
            to=to_email,
            subject=loader.render_to_string(subject_template_name, context),
            body_text=loader.render_to_string(email_template_name, context),
            body_html=(
                loader.render_to_string(html_email_template_name, context)
                if html_email_template_name
                else ""
            ),
            about_object=context.get("user"),
        )
