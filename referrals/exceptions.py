"""The errors only referral use cases raise; the shared family lives in core.exceptions."""

from core.exceptions import ApplicationError


class NoSchemeForArea(ApplicationError):
    """No social prescribing scheme takes referrals for this area."""

    problem_status = 422


class IdempotencyConflict(ApplicationError):
    """An Idempotency-Key already used for a request with another body."""

    problem_status = 409
