"""What each role's home page shows, supplied by the apps that own the work.

accounts knows nothing of the other apps (DESIGN.md, Layout), so they
register a context provider here from their AppConfig.ready(); the home view
asks for the signed-in user's role and renders whatever came back.
"""

from collections import defaultdict

_providers = defaultdict(list)


def register_home_context(role, provider):
    """`provider(user) -> dict` adds to the home page context for users with `role`."""
    if provider not in _providers[role]:
        _providers[role].append(provider)


def home_context(user) -> dict:
    context = {}
    for provider in _providers.get(user.role, []):
        context.update(provider(user))
    return context
