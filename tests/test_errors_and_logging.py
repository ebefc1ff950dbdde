import json
import logging

import dagster as dg

from domain.errors import AlreadyDoneError, CaseDatabaseMissing, RetryableError
from domain.log import JsonFormatter, configure_logging, get_logger, log_context
from nextpoint_assets.errors import RETRY_POLICY, dagster_errors, retry_wait_seconds, user_message


def _op_that_raises(error):
    attempts = []

    @dg.op(retry_policy=RETRY_POLICY)
    def flaky(context):
        attempts.append(context.retry_number)
        with dagster_errors(context):
            raise error

    @dg.job
    def job():
        flaky()

    return job, attempts


def test_permanent_error_fails_once_with_the_user_message():
    job, attempts = _op_that_raises(CaseDatabaseMissing("The database np_case_9 does not exist.", case_id=9))
    result = job.execute_in_process(raise_on_error=False)
    assert not result.success and attempts == [0]
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "np_case_9 does not exist" in str(failure.event_specific_data.error.message)


def test_retryable_error_is_retried_with_growing_random_waits_then_fails(monkeypatch):
    import nextpoint_assets.errors as errors_module

    monkeypatch.setattr(errors_module, "MAX_RETRIES", 3)
    monkeypatch.setattr(errors_module, "RETRY_BASE_SECONDS", 0.001)
    job, attempts = _op_that_raises(RetryableError("busy"))
    result = job.execute_in_process(raise_on_error=False)
    assert not result.success
    assert attempts == [0, 1, 2, 3]
    waits = [
        e.event_specific_data.seconds_to_wait
        for e in result.all_events
        if e.event_type_value == "STEP_UP_FOR_RETRY"
    ]
    assert len(waits) == 3
    assert all(0 <= wait <= 0.001 * 2**retry for retry, wait in enumerate(waits))


def test_retry_waits_are_exponential_with_full_jitter_and_capped(monkeypatch):
    import nextpoint_assets.errors as errors_module

    monkeypatch.setattr(errors_module, "RETRY_BASE_SECONDS", 10.0)
    monkeypatch.setattr(errors_module, "RETRY_MAX_SECONDS", 120.0)
    samples = {retry: [retry_wait_seconds(retry) for _ in range(400)] for retry in (0, 1, 2, 3, 4, 60)}
    for retry, waits in samples.items():
        window = min(120.0, 10.0 * 2**retry)
        assert all(0 <= w <= window for w in waits)
        assert len(set(waits)) > 300  # jittered, not one fixed wait
    # The window doubles: the largest of 400 uniform draws sits in the top tenth of its window.
    assert [max(samples[r]) > 0.9 * min(120.0, 10.0 * 2**r) for r in (0, 1, 2, 3, 4)] == [True] * 5
    assert max(samples[2]) > 20.0 and max(samples[0]) <= 10.0
    assert max(samples[60]) <= 120.0  # capped, however many retries came before


def test_already_done_counts_as_success():
    job, attempts = _op_that_raises(AlreadyDoneError(case_id=1))
    assert job.execute_in_process().success


def test_user_messages_hide_internals():
    assert (
        user_message(CaseDatabaseMissing("The database x does not exist."))
        == "The database x does not exist."
    )
    assert "internal error" in user_message(KeyError("password=hunter2"))
    assert "hunter2" not in user_message(KeyError("password=hunter2"))


def test_json_logs_carry_case_and_job_context(capsys):
    logger = configure_logging("json", "INFO")
    child = get_logger("exports")
    with log_context(case_id=101, export_id=7), log_context(document_id=55):
        child.info("page rendered", extra={"fields": {"page": 3}})
    child.info("outside")
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    assert lines[0]["case_id"] == 101 and lines[0]["export_id"] == 7 and lines[0]["document_id"] == 55
    assert lines[0]["page"] == 3 and lines[0]["message"] == "page rendered"
    assert "case_id" not in lines[1]
    configure_logging("text", "INFO")
    assert isinstance(logger.handlers[0].formatter, logging.Formatter)
    assert not isinstance(logger.handlers[0].formatter, JsonFormatter)
