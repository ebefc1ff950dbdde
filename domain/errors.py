"""Typed errors shared by every capability.

Three kinds decide what happens next: a retryable error is tried again with
backoff, a permanent error fails the work with a message a user can act on,
and an already-done error means the work exists and nothing is to be redone.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
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


class DocumentError(PermanentError):
    """A document the work cannot use. Raised where only a local (often temporary) file is known;
    the caller that knows which exhibit and object key it is names them with `about`."""

    def about(self, exhibit_id: int | None = None, key: str | None = None) -> DocumentError:
        """The same error naming the exhibit and its object key instead of a local file."""
        context = {k: v for k, v in self.context.items() if k != "file"}
        return type(self)(self.user_message, exhibit_id=exhibit_id, key=key, **context)


class DocumentUnreadable(DocumentError):
    default_message = "A document could not be read: it is corrupt or not a PDF."


class DocumentEncrypted(DocumentError):
    default_message = "A document is password-protected and cannot be processed."


# An absolute path inside the temporary directory (or any /tmp, /var/tmp), up to a space, quote,
# colon or bracket, and not the tail of an object key ("documents/tmp/a.pdf"): PDF libraries put
# the file they were given in front of their messages.
_TEMP_PATH = re.compile(
    r"(?<![\w.~/-])(?:"
    + re.escape(tempfile.gettempdir().rstrip("/"))
    + r"|/tmp|/var/tmp|/private/var/folders)/[^\s'\"():,\]]*"
)


def without_paths(text: str, *paths: str | Path | None, name: str = "the file") -> str:
    """`text` (an exception's message) with every local file path replaced by `name`: the
    given `paths` and anything under a temporary directory. Users know exhibits and object
    keys; a worker's temporary file names mean nothing to them and tell about the host."""
    for path in sorted({str(p) for p in paths if p}, key=len, reverse=True):
        text = text.replace(path, name)
    return _TEMP_PATH.sub(name, text)
