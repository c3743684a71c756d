"""Typed errors the engine raises for anything a user caused or can fix."""

from __future__ import annotations


class OpsError(Exception):
    """An error a user can act on: a stable code, what went wrong, and what to do."""

    code = "ops_error"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class InvalidInput(OpsError):
    """The request was malformed: wrong arguments, bad file, unknown column."""

    code = "invalid_input"


class NotFound(OpsError):
    """The thing named does not exist."""

    code = "not_found"


class Forbidden(OpsError):
    """The actor may not do this."""

    code = "forbidden"


class Conflict(OpsError):
    """The world changed under the request (state moved, already done, expired)."""

    code = "conflict"


class Unavailable(OpsError):
    """A dependency (database, MLflow, Prometheus, Alertmanager) could not be reached."""

    code = "unavailable"
