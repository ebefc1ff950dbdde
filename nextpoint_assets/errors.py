"""How typed platform errors become Dagster behaviour.

retryable   -> RetryRequested (exponential backoff with jitter, bounded)
permanent   -> Failure with the user-facing message, never retried
already_done-> logged and treated as success
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import dagster as dg

from domain.errors import AlreadyDoneError, PermanentError, PlatformError, RetryableError

MAX_RETRIES = 3
RETRY_WAIT_SECONDS = 10

RETRY_POLICY = dg.RetryPolicy(
    max_retries=MAX_RETRIES, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def user_message(exc: BaseException) -> str:
    """What a user reads when the work fails: never a stack trace, never a secret."""
    if isinstance(exc, PlatformError):
        return exc.user_message
    return "The work failed because of an internal error; the platform team has the details."


@contextlib.contextmanager
def dagster_errors(log) -> Iterator[None]:
    try:
        yield
    except AlreadyDoneError as exc:
        log.info(f"Already done: {exc}")
    except RetryableError as exc:
        log.warning(f"Retryable: {exc}")
        raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=RETRY_WAIT_SECONDS) from exc
    except PermanentError as exc:
        raise dg.Failure(
            description=exc.user_message,
            metadata={k: dg.MetadataValue.text(str(v)) for k, v in exc.context.items()},
            allow_retries=False,
        ) from exc
