"""System checks (`manage.py check`) for what the project relies on in its dependencies."""

from importlib.metadata import version
from typing import Any

from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

from .broker import CHECKED_VERSIONS


def _major_minor(package: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version(package).split(".")[:2])


@register(Tags.compatibility)
def broker_fix_checked(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """core/broker.py patches kombu's Redis channel: say so when kombu or celery moved on."""
    messages: list[CheckMessage] = []
    for package, checked in CHECKED_VERSIONS.items():
        installed = _major_minor(package)
        if installed != checked:
            messages.append(
                CheckWarning(
                    f"core/broker.py was checked with {package} "
                    f"{'.'.join(map(str, checked))}, and {package} "
                    f"{'.'.join(map(str, installed))} is installed.",
                    hint=(
                        "Run tests/core/test_broker_outage.py (a real worker through a Redis "
                        "outage). If it passes, add this version to CHECKED_VERSIONS; if "
                        "kombu's own Redis channel now closes cleanly, remove core/broker.py."
                    ),
                    id="core.W001",
                )
            )
    return messages
