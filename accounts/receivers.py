"""Hooks that only a signal offers: into sign-in, and into saves made anywhere.

Django announces a log-in only by signal, and log-ins come from more than one page (our
sign-in page and the admin's), so this receiver is the adapter. (A lockout is audited by the
axes handler, accounts/lockout.py.)
"""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_otp import user_has_device

from .models import ApiClient, Organisation
from .services import api_client_forget

# Set at sign-in when the person has a second factor, so that TwoFactorMiddleware asks for it
# even where it is optional, without looking devices up on every request.
TWO_FACTOR_PENDING = "two_factor_pending"


@receiver(user_logged_in, dispatch_uid="accounts.two_factor_pending")
def note_second_factor_pending(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[TWO_FACTOR_PENDING] = user_has_device(user)


# A cached API client (accounts.services, "the token lookup, cached") must not outlive a
# change to it or to its organisation, however the change is saved (the admin, a shell).
@receiver(post_save, sender=ApiClient, dispatch_uid="accounts.api_client_changed")
@receiver(post_delete, sender=ApiClient, dispatch_uid="accounts.api_client_deleted")
def forget_changed_api_client(sender, instance, **kwargs):
    api_client_forget([instance])


@receiver(post_save, sender=Organisation, dispatch_uid="accounts.organisation_changed")
def forget_api_clients_of_changed_organisation(sender, instance, created, **kwargs):
    if not created:
        api_client_forget(ApiClient.objects.filter(organisation=instance).only("token_hash"))
