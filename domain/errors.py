"""Domain errors. The API maps each one to an HTTP status in a single table."""


class DomainError(Exception):
    """Base class: a rule of the domain refused a command."""

    retry_after: int | None = None  # seconds after which asking again may succeed

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFoundError(DomainError):
    """No such aggregate, or one the caller may not know exists."""


class GoneError(DomainError):
    """The aggregate existed but was deleted or expired."""


class ConflictError(DomainError):
    """The command does not fit the aggregate's current state."""


class ForbiddenError(DomainError):
    """The caller is known but may not do this."""


class InvalidInputError(DomainError):
    """A value breaks a rule of the domain."""


class LegalHoldError(DomainError):
    """Withheld for legal reasons: quarantined content, or an upload matching blocked content."""


class UnauthenticatedError(DomainError):
    """The route needs a caller with an API key."""


class RestrictedError(ForbiddenError):
    """Age-restricted content while safe mode is on."""


class NotReadyError(NotFoundError):
    """The file exists for its owner but has no bytes to serve yet (or could not be processed)."""

    def __init__(self, message: str, *, processing: bool, **details: object) -> None:
        super().__init__(message, fileStatus="processing" if processing else "failed", **details)
        self.retry_after = 1 if processing else None


class UnavailableError(DomainError):
    """Not now: a store the rule needs is down, or a read model has not caught up in time."""


class NotReadableYetError(UnavailableError):
    """The command was recorded, but the read model its answer comes from has not caught up
    within the wait."""


class RangeNotSatisfiableError(DomainError):
    """A byte range that starts past the end of what is served."""


class RateLimitedError(DomainError):
    """Too many attempts in a window (reports from one address, album password guesses)."""

    def __init__(self, message: str, *, retry_after: int, **details: object) -> None:
        super().__init__(message, **details)
        self.retry_after = retry_after
