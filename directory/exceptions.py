"""One exception family for directory use cases.

Pages turn these into form errors or messages in one place each; services
never know which front end called them.
"""

from typing import Any

from django.utils.functional import Promise


class ApplicationError(Exception):
    """A use case refused: the message is safe to show to the person who asked."""

    def __init__(self, message: str | Promise, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.extra = extra or {}


class InvalidTransition(ApplicationError):
    """The move is not allowed from this status, or not for this person."""


class StaleChange(ApplicationError):
    """The listing changed, since the change was proposed, in a field the change touches."""


class NothingChanged(ApplicationError):
    """The proposed values are the ones the listing already has."""


class ValidationError(ApplicationError):
    """Bad input. `field_errors` maps each field at fault to its messages."""

    def __init__(
        self, message: str | Promise, *, field_errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message, extra={"field_errors": field_errors or {}})
        self.field_errors = field_errors or {}
