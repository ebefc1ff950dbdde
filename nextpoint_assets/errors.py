"""How typed platform errors become Dagster behaviour.

retryable   -> RetryRequested, at most MAX_RETRIES times, each after `retry_wait_seconds`: exponential
               backoff with full jitter (a random wait in [0, RETRY_BASE_SECONDS * 2**retry],
               never over RETRY_MAX_SECONDS), so steps that failed together do not retry together
permanent   -> Failure with the user-facing message, never retried
already_done-> logged and treated as success
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import dagster as dg
from tenacity import RetryCallState, Retrying, wait_random_exponential

from domain.errors import AlreadyDoneError, PermanentError, PlatformError, RetryableError

MAX_RETRIES = 3
RETRY_BASE_SECONDS = 10.0  # the first retry waits up to this; each further one up to twice as long
RETRY_MAX_SECONDS = 120.0  # no single wait is longer

RETRY_POLICY = dg.RetryPolicy(
    max_retries=MAX_RETRIES, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def user_message(exc: BaseException) -> str:
    """What a user reads when the work fails: never a stack trace, never a secret."""
    if isinstance(exc, PlatformError):
        return exc.user_message
    return "The work failed because of an internal error; the platform team has the details."


def retry_wait_seconds(retry_number: int) -> float:
    """How long to wait before retry `retry_number + 1` (0 for the first retry): full jitter, capped.

    tenacity's `wait_random_exponential` computes it from the attempt that just failed
    (`retry_number + 1` in its counting)."""
    wait = wait_random_exponential(multiplier=RETRY_BASE_SECONDS, max=RETRY_MAX_SECONDS)
    state = RetryCallState(retry_object=Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = retry_number + 1
    return wait(state)


@contextlib.contextmanager
def dagster_errors(context: dg.OpExecutionContext | dg.AssetExecutionContext) -> Iterator[None]:
    """Typed errors raised inside become Dagster's retry, failure or success (see the module doc)."""
    log = context.log
    try:
        yield
    except AlreadyDoneError as exc:
        log.info(f"Already done: {exc}")
    except RetryableError as exc:
        retry = context.retry_number
        wait = retry_wait_seconds(retry)
        then = (
            f"retry {retry + 1} of {MAX_RETRIES} in {wait:.1f} s" if retry < MAX_RETRIES else "no retry left"
        )
        log.warning(f"Retryable ({then}): {exc}")
        raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=wait) from exc
    except PermanentError as exc:
        raise dg.Failure(
            description=exc.user_message,
            metadata={k: dg.MetadataValue.text(str(v)) for k, v in exc.context.items()},
            allow_retries=False,
        ) from exc
