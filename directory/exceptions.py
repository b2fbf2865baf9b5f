"""The errors only directory use cases raise; the shared family lives in core.exceptions."""

from core.exceptions import ApplicationError, StaleVersion


class StaleChange(StaleVersion):
    """The listing changed, since the change was proposed, in a field the change touches."""


class NothingChanged(ApplicationError):
    """The proposed values are the ones the listing already has."""
