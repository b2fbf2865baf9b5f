"""Hooks that only a signal offers: saves of areas, organisations and users made anywhere.

Where a new referral goes is remembered per process (referrals.selectors: the scheme for an
area, `scheme_for_area_id`, and whom it is announced to, `scheme_coordinators_to_tell`); a
change to the area tree, to any organisation (a scheme moved, added or removed) or to a user
(a coordinator added, moved, deactivated, given another address or language) must not leave
a process routing by the old map.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Area, Organisation, User

from .selectors import forget_scheme_routes

# A save of only these leaves whom a referral is announced to as it was: a sign-in
# (Django's update_last_login) or a new password.
_USER_FIELDS_NOT_ROUTED = frozenset({"last_login", "password"})


@receiver(post_save, sender=Area, dispatch_uid="referrals.area_saved")
@receiver(post_delete, sender=Area, dispatch_uid="referrals.area_deleted")
@receiver(post_save, sender=Organisation, dispatch_uid="referrals.organisation_saved")
@receiver(post_delete, sender=Organisation, dispatch_uid="referrals.organisation_deleted")
@receiver(post_delete, sender=User, dispatch_uid="referrals.user_deleted")
def forget_scheme_routes_on_change(sender, **kwargs):
    forget_scheme_routes()


@receiver(post_save, sender=User, dispatch_uid="referrals.user_saved")
def forget_scheme_routes_on_user_saved(sender, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= _USER_FIELDS_NOT_ROUTED:
        return
    forget_scheme_routes()
