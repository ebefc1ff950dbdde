"""The code location's executor: one step runs in the run's process, several steps one process each."""

import os

import dagster as dg
import pytest

from jobs.executor import one_step_in_process_executor


@dg.op
def where(context: dg.OpExecutionContext) -> int:
    context.add_output_metadata({"pid": os.getpid()})
    return os.getpid()


@dg.op
def where_next(context: dg.OpExecutionContext, _first: int) -> int:
    context.add_output_metadata({"pid": os.getpid()})
    return os.getpid()


@dg.job(executor_def=one_step_in_process_executor)
def one_step():
    where()


@dg.job(executor_def=one_step_in_process_executor)
def two_steps():
    where_next(where())


def _pids(instance: dg.DagsterInstance, job_name: str, run_config: dict | None = None) -> list[int]:
    with dg.execute_job(dg.reconstructable(globals()[job_name]), instance, run_config=run_config) as result:
        assert result.success
        return [
            event.event_specific_data.metadata["pid"].value
            for event in result.all_events
            if event.event_type == dg.DagsterEventType.STEP_OUTPUT
        ]


@pytest.fixture
def instance(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        yield instance


def test_one_step_runs_in_the_run_process(instance):
    assert _pids(instance, "one_step") == [os.getpid()]


def test_several_steps_get_a_process_each(instance):
    pids = _pids(instance, "two_steps")
    assert len(pids) == 2 and os.getpid() not in pids and pids[0] != pids[1]


def test_the_default_executors_config_still_chooses(instance):
    forced = {"execution": {"config": {"in_process": {}}}}
    assert _pids(instance, "two_steps", forced) == [os.getpid(), os.getpid()]
    capped = {"execution": {"config": {"multiprocess": {"max_concurrent": 1}}}}
    assert _pids(instance, "one_step", capped) == [os.getpid()]


def test_every_job_of_the_platform_uses_it():
    from definitions import defs

    jobs = [defs.resolve_job_def(job.name) for job in defs.jobs]
    jobs.append(defs.resolve_implicit_global_asset_job_def())
    assert {job.executor_def.name for job in jobs} == {"one_step_in_process"}
