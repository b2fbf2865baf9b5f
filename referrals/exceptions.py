"""One exception family for referral use cases.

Pages turn these into form errors or messages, the API into problem responses,
in one place each; services never know which front end called them.
"""


class ApplicationError(Exception):
    """A use case refused: the message is safe to show to the person who asked."""

    def __init__(self, message, *, extra=None):
        super().__init__(message)
        self.message = str(message)
        self.extra = extra or {}


class InvalidTransition(ApplicationError):
    """The move is not allowed from this status, or not for this person."""


class StaleVersion(ApplicationError):
    """Someone else changed the referral since the actor loaded it."""


class ValidationError(ApplicationError):
    """Bad input. `field_errors` maps each field at fault to its messages."""

    def __init__(self, message, *, field_errors=None):
        super().__init__(message, extra={"field_errors": field_errors or {}})
        self.field_errors = field_errors or {}


class NoSchemeForArea(ApplicationError):
    """No social prescribing scheme takes referrals for this area."""


class IdempotencyConflict(ApplicationError):
    """An Idempotency-Key already used for a request with another body."""
