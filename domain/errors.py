"""Domain errors. The API maps each one to an HTTP status in a single table."""


class DomainError(Exception):
    """Base class: a rule of the domain refused a command."""

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
