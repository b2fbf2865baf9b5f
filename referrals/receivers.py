"""Hooks that only a signal offers: saves of areas and organisations made anywhere.

The scheme an area's referrals go to is remembered per process (referrals.selectors,
scheme_for_area_id); a change to the area tree or to any organisation (a scheme moved,
added or removed) must not leave a process routing by the old map.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Area, Organisation

from .selectors import forget_scheme_routes


@receiver(post_save, sender=Area, dispatch_uid="referrals.area_saved")
@receiver(post_delete, sender=Area, dispatch_uid="referrals.area_deleted")
@receiver(post_save, sender=Organisation, dispatch_uid="referrals.organisation_saved")
@receiver(post_delete, sender=Organisation, dispatch_uid="referrals.organisation_deleted")
def forget_scheme_routes_on_change(sender, **kwargs):
    forget_scheme_routes()
