"""The one exception family every app's use cases raise.

Pages turn these into form errors, messages or a 404, the APIs into RFC 7807
problems (core.problems), in one place each; services never know which front
end called them. Apps subclass these for their own errors (referrals'
NoSchemeForArea, directory's NothingChanged) and never redefine them.
"""

from typing import Any

from django_stubs_ext import StrOrPromise


class ApplicationError(Exception):
    """A use case refused: the message is safe to show to the person who asked."""

    def __init__(self, message: StrOrPromise, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.extra = extra or {}


class ValidationError(ApplicationError):
    """Bad input. `field_errors` maps each field at fault to its messages."""

    def __init__(
        self, message: StrOrPromise, *, field_errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message, extra={"field_errors": field_errors or {}})
        self.field_errors = field_errors or {}


class InvalidTransition(ApplicationError):
    """The move is not allowed from this status, or not for this person on an object they see."""


class StaleVersion(ApplicationError):
    """Someone else changed the object since the actor loaded it."""


class Refused(ApplicationError):
    """You may not do this to that object, and may not know it exists.

    Raised where the actor cannot see the object (another organisation's
    referral, another provider's connection): the API answers 404 and pages
    answer 404, the same as for an object that is not there, so its
    existence does not leak. A refusal on an object the actor *can* see
    (wrong status, wrong role on their own case) stays an InvalidTransition.
    """
