"""Circuit breakers and backoff around the services the platform calls: object store, backend API, mail.

`guard(service).call(fn, ...)` runs `fn` through the service's circuit breaker (pybreaker) and
retries a RetryableError with exponential backoff and full jitter (tenacity):

- closed: calls pass; `failures` retryable errors in a row open the circuit;
- open: calls fail at once with a RetryableError saying the service is unavailable, for
  `reset_seconds`, so a dead service is not hammered by every document of a production
  (the step's Dagster retry policy tries again later);
- half-open: after `reset_seconds` one call is let through; `successes` in a row close it, a
  failure opens it again.

Only RetryableError counts as a failure: a missing key or a refused request says nothing about the
service's health. One breaker per service and process, shared by every adapter of that process;
every change of state is logged (`circuit object_store: closed -> open`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pybreaker
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from domain.errors import RetryableError
from domain.log import get_logger

log = get_logger("resilience")
T = TypeVar("T")


@dataclass(frozen=True)
class Policy:
    failures: int = 5  # retryable errors in a row that open the circuit
    reset_seconds: float = 60.0  # how long it stays open before one trial call
    successes: int = 2  # trial calls that must succeed to close it again
    attempts: int = 3  # tries of one call (retryable errors only)
    base_seconds: float = 0.5  # first backoff; doubles per try, random in [0, that]
    max_seconds: float = 8.0  # no single wait longer than this


class _LogListener(pybreaker.CircuitBreakerListener):
    def state_change(self, cb: pybreaker.CircuitBreaker, old_state, new_state) -> None:
        old, new = getattr(old_state, "name", str(old_state)), getattr(new_state, "name", str(new_state))
        fields = {"circuit": cb.name, "from": old, "to": new, "failures": cb.fail_counter}
        message = f"circuit {cb.name}: {old} -> {new}"
        (log.warning if new == pybreaker.STATE_OPEN else log.info)(message, extra={"fields": fields})


class Guard:
    """One service's circuit breaker and retry policy."""

    def __init__(self, service: str, policy: Policy) -> None:
        self.service = service
        self.policy = policy
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=policy.failures,
            reset_timeout=policy.reset_seconds,
            success_threshold=policy.successes,
            exclude=[lambda exc: not isinstance(exc, RetryableError)],
            listeners=[_LogListener()],
            name=service,
            throw_new_error_on_trip=False,
        )

    @property
    def state(self) -> str:
        return self.breaker.current_state

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=wait_random_exponential(multiplier=self.policy.base_seconds, max=self.policy.max_seconds),
            # Retry while the circuit lets calls through; an open one fails at once.
            retry=retry_if_exception(
                lambda exc: (
                    isinstance(exc, RetryableError) and self.breaker.current_state != pybreaker.STATE_OPEN
                )
            ),
            reraise=True,
            before_sleep=lambda state: log.info(
                f"{self.service}: retrying after {state.outcome.exception()}",
                extra={"fields": {"service": self.service, "attempt": state.attempt_number}},
            ),
        )
        return retrying(self._through_breaker, fn, *args, **kwargs)

    def _through_breaker(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return self.breaker.call(fn, *args, **kwargs)
        except pybreaker.CircuitBreakerError:
            raise RetryableError(
                f"The {_NAMES.get(self.service, self.service)} is unavailable "
                f"(it failed {self.policy.failures} times "
                f"in a row); the work will be retried.",
                service=self.service,
            ) from None


_NAMES = {"object_store": "object store", "backend_api": "backend API", "mail_server": "mail server"}
_GUARDS: dict[str, Guard] = {}
_LOCK = threading.Lock()


def guard(service: str, policy: Policy | None = None) -> Guard:
    """The process's guard for `service` (made on first use with `policy`, or the settings' policy)."""
    with _LOCK:
        if service not in _GUARDS:
            _GUARDS[service] = Guard(service, policy or policy_from_settings())
        return _GUARDS[service]


def reset_guards() -> None:
    """Forget every breaker (tests; a process that changed its settings)."""
    with _LOCK:
        _GUARDS.clear()


def policy_from_settings() -> Policy:
    from resources.settings import get_settings

    s = get_settings()
    return Policy(
        failures=s.circuit_failures,
        reset_seconds=s.circuit_reset_seconds,
        successes=s.circuit_successes,
        attempts=s.retry_attempts,
        base_seconds=s.retry_base_seconds,
        max_seconds=s.retry_max_seconds,
    )
