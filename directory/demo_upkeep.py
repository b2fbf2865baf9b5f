"""Demo data for keeping the directory true: who may approve providers' changes.

Call `seed_upkeep(stdout)` from directory/demo.py's `seed`. It stands on its
own (it needs only the `coordinator` login, and skips it when absent) and is
safe to run twice.
"""

from django.contrib.auth.models import Group, Permission

from accounts.models import User

EDITORS_GROUP = "Directory editors"
EDITOR_USERNAMES = ["coordinator"]


def seed_upkeep(stdout):
    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    permission = Permission.objects.get(
        content_type__app_label="directory", codename="review_servicechange"
    )
    group.permissions.add(permission)
    editors = list(User.objects.filter(username__in=EDITOR_USERNAMES))
    for user in editors:
        user.groups.add(group)
    stdout.write(
        f"directory editors: group '{EDITORS_GROUP}' with "
        f"{', '.join(u.username for u in editors) or 'nobody'}"
    )
    return group
