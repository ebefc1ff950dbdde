"""Typed errors shared by every capability.

Three kinds decide what happens next: a retryable error is tried again with
backoff, a permanent error fails the work with a message a user can act on,
and an already-done error means the work exists and nothing is to be redone.
"""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    """Base of every error the platform raises on purpose."""

    kind = "permanent"
    #: Shown to users (events, run failure descriptions); never holds secrets.
    default_message = "The work failed."

    def __init__(self, message: str | None = None, **context: Any) -> None:
        self.user_message = message or self.default_message
        self.context = {k: v for k, v in context.items() if v is not None}
        super().__init__(self.user_message)

    def __str__(self) -> str:
        if not self.context:
            return self.user_message
        details = ", ".join(f"{k}={v}" for k, v in sorted(self.context.items()))
        return f"{self.user_message} ({details})"


def validation_problems(exc) -> str:
    """A pydantic ValidationError as 'field.path: message; ...' for a rejection users can act on."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in exc.errors())


class RetryableError(PlatformError):
    """A passing fault (network, throttling, a lock): the same work may succeed later."""

    kind = "retryable"
    default_message = "A service was briefly unavailable; the work will be retried."


class PermanentError(PlatformError):
    """Bad input or state that no retry can fix."""

    kind = "permanent"


class AlreadyDoneError(PlatformError):
    """The requested work already exists; re-running it must change nothing."""

    kind = "already_done"
    default_message = "This work was already done; nothing was changed."


class InvalidKeyError(PermanentError):
    default_message = "An object key is not allowed."


class SettingsError(PermanentError):
    default_message = "The platform settings are invalid."


class CaseDatabaseMissing(PermanentError):
    default_message = "The case database does not exist."


class InvalidCaseId(PermanentError):
    default_message = "A case id must be a positive whole number."


class ObjectNotFound(PermanentError):
    default_message = "An object the work needs is missing from the object store."


class DocumentUnreadable(PermanentError):
    default_message = "A document could not be read: it is corrupt or not a PDF."


class DocumentEncrypted(PermanentError):
    default_message = "A document is password-protected and cannot be processed."
