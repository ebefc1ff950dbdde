"""Circuit breakers and backoff (resources/resilience.py): the states, what counts as a failure, and
the object store on the moto server going away and coming back."""

from __future__ import annotations

import logging
import time

import boto3
import pytest
from botocore.config import Config

from domain.errors import ObjectNotFound, PermanentError, RetryableError
from resources.resilience import Guard, Policy, guard
from resources.s3_object_store import S3ObjectStore
from scripts.services import free_port


class Flaky:
    """A service that fails with `error` while `down` is set."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls = 0
        self.down = True
        self.error = error or RetryableError("The service is busy.")

    def __call__(self, value: str = "ok") -> str:
        self.calls += 1
        if self.down:
            raise self.error
        return value


def test_closed_open_half_open_closed(caplog):
    caplog.set_level(logging.INFO, logger="nextpoint")
    service = Flaky()
    g = Guard("backend_api", Policy(failures=3, reset_seconds=0.3, successes=2, attempts=1))
    for _ in range(3):
        with pytest.raises(RetryableError, match="busy"):
            g.call(service)
    assert g.state == "open" and service.calls == 3
    with pytest.raises(RetryableError, match="backend API is unavailable"):
        g.call(service)  # fails at once: the service is not called
    assert service.calls == 3

    time.sleep(0.35)
    service.down = False
    assert g.call(service, "first") == "first"
    assert g.state == "half-open"  # one success of the two it needs
    assert g.call(service, "second") == "second"
    assert g.state == "closed"
    changes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("circuit backend_api")]
    assert changes == [
        "circuit backend_api: closed -> open",
        "circuit backend_api: open -> half-open",
        "circuit backend_api: half-open -> closed",
    ]
    assert next(r for r in caplog.records if r.getMessage().endswith("-> open")).levelno == logging.WARNING


def test_a_failed_trial_call_opens_the_circuit_again():
    service = Flaky()
    g = Guard("mail_server", Policy(failures=1, reset_seconds=0.2, successes=1, attempts=1))
    with pytest.raises(RetryableError):
        g.call(service)
    time.sleep(0.25)
    with pytest.raises(RetryableError, match="busy"):
        g.call(service)  # the trial call reaches the service, and fails
    assert g.state == "open" and service.calls == 2


def test_only_retryable_errors_count_and_only_they_are_retried():
    missing = Flaky(ObjectNotFound(key="case_1/x"))
    refused = Flaky(PermanentError("The backend API refused the export callback."))
    g = Guard("object_store", Policy(failures=2, reset_seconds=60, attempts=3, base_seconds=0.01))
    for service in (missing, refused):
        for _ in range(5):
            with pytest.raises(type(service.error)):
                g.call(service)
        assert service.calls == 5  # once per call: never retried
    assert g.state == "closed"


def test_retryable_errors_are_retried_with_bounded_backoff():
    service = Flaky()
    calls_before_recovery = 2

    def recovering():
        if service.calls >= calls_before_recovery:
            service.down = False
        return service()

    g = Guard("object_store", Policy(failures=10, attempts=4, base_seconds=0.05, max_seconds=0.1))
    started = time.monotonic()
    assert g.call(recovering) == "ok"
    assert service.calls == 3
    assert time.monotonic() - started < 0.5  # two waits, each at most max_seconds (plus jitter below it)

    service.down, service.calls = True, 0
    stubborn = Guard("mail_server", Policy(failures=10, attempts=3, base_seconds=0.01, max_seconds=0.02))
    with pytest.raises(RetryableError, match="busy"):
        stubborn.call(service)
    assert service.calls == 3  # attempts, then the error


def test_the_object_store_on_moto_goes_away_and_comes_back(moto_endpoint, monkeypatch):
    """S3 unreachable: the circuit opens after the configured failures, then calls fail at once (no
    connection attempt); when S3 is back, the trial call closes it."""
    monkeypatch.setenv("NP_CIRCUIT_FAILURES", "2")
    monkeypatch.setenv("NP_CIRCUIT_RESET_SECONDS", "0.5")
    monkeypatch.setenv("NP_CIRCUIT_SUCCESSES", "1")
    monkeypatch.setenv("NP_RETRY_ATTEMPTS", "2")
    monkeypatch.setenv("NP_RETRY_BASE_SECONDS", "0.01")
    from resources.settings import get_settings

    get_settings.cache_clear()
    options = {
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "config": Config(retries={"max_attempts": 1}, connect_timeout=1),
    }
    up = boto3.client("s3", endpoint_url=moto_endpoint, **options)
    up.create_bucket(Bucket="np-resilience")
    down = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{free_port()}", **options)
    store = S3ObjectStore("np-resilience", down)
    with pytest.raises(RetryableError, match="could not be reached"):
        store.put_bytes("case_1/a.txt", b"a")  # two attempts, two failures: open
    assert guard("object_store").state == "open"

    store.client = up
    with pytest.raises(RetryableError, match="object store is unavailable"):
        store.put_bytes("case_1/a.txt", b"a")  # S3 is back, but the circuit is open: not even tried
    with pytest.raises(RetryableError, match="object store is unavailable"):
        store.head("case_1/a.txt")  # reads too: the circuit is per service
    time.sleep(0.6)
    store.put_bytes("case_1/a.txt", b"a")  # the trial call succeeds and closes the circuit
    assert guard("object_store").state == "closed"
    assert store.get_bytes("case_1/a.txt") == b"a"


def test_the_backend_api_and_the_mail_server_have_their_own_circuits(monkeypatch):
    """Both unreachable (a closed port): each call is retried, then each service's circuit opens on its
    own."""
    from resources.backend_api import BackendApi
    from resources.mailer import SmtpMailer
    from resources.secrets import Secret
    from resources.settings import get_settings

    for name, value in {
        "NP_CIRCUIT_FAILURES": "2",
        "NP_RETRY_ATTEMPTS": "2",
        "NP_RETRY_BASE_SECONDS": "0.01",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    port = free_port()
    api = BackendApi(f"http://127.0.0.1:{port}", Secret("NP_TEST_CALLBACK_SECRET", "made-up"), timeout=2)
    with pytest.raises(RetryableError, match="could not be reached"):
        api.post_export_callback(7, b"<export/>")
    assert guard("backend_api").state == "open" and guard("mail_server").state == "closed"
    with pytest.raises(RetryableError, match="backend API is unavailable"):
        api.post_export_callback(7, b"<export/>")

    mailer = SmtpMailer("127.0.0.1", port, "reports@np.example", None, Secret("NP_UNUSED"), starttls=False)
    with pytest.raises(RetryableError, match="mail server could not be reached"):
        mailer.send(["a@firm.example"], "subject", "body")
    assert guard("mail_server").state == "open"
    with pytest.raises(RetryableError, match="mail server is unavailable"):
        mailer.send(["a@firm.example"], "subject", "body")
