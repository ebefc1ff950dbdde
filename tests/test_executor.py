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


# --- NP_EXECUTOR: the executor of the deployment's engine -----------------------------------------

_PROBE = """
import json
import dagster as dg
from dagster._core.execution.api import create_execution_plan
from definitions import defs

job = defs.resolve_job_def("production_job")
executor = job.executor_def
jobs = [defs.resolve_job_def(j.name) for j in defs.jobs]
plan = create_execution_plan(job, run_config={})
print(json.dumps({
    "production": executor.name,
    "all": sorted({j.executor_def.name for j in jobs}),
    "default_config": dg.validate_run_config(job, {})["execution"],
    "run_config": dg.validate_run_config(job, {"execution": {"config": EXECUTION}})["execution"],
    "volume_step_tags": dict(plan.get_step_by_key("export_volumes.export_volume[?]").tags),
    "ocr_volume_step_tags": dict(plan.get_step_by_key("export_volumes.export_volume_ocr[?]").tags),
}))
"""


def _load_definitions(executor: str, execution: dict, **settings: str) -> dict:
    """The code location loaded as a code server loads it, with NP_EXECUTOR set (its own process: the
    settings and the Definitions are read once per process)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, **settings, "NP_EXECUTOR": executor}
    script = _PROBE.replace("EXECUTION", repr(execution))
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_local_is_the_default_and_takes_the_default_executors_run_config():
    loaded = _load_definitions("local", {"multiprocess": {"max_concurrent": 3}})
    assert loaded["production"] == "one_step_in_process" and loaded["all"] == ["one_step_in_process"]
    # The resolved `execution` of the run config, keyed by the executor's name.
    assert loaded["default_config"]["one_step_in_process"]["multiprocess"]["retries"] == {"enabled": {}}
    assert loaded["run_config"]["one_step_in_process"]["multiprocess"]["max_concurrent"] == 3


def test_ecs_runs_every_step_in_its_own_task_and_validates_its_run_config():
    from dagster_aws.ecs.executor import EcsStepHandler

    size = {
        "NP_VOLUME_STEP_CPU": "8192",
        "NP_VOLUME_STEP_MEMORY": "32768",
        "NP_OCR_VOLUME_STEP_CPU": "16384",
        "NP_OCR_VOLUME_STEP_MEMORY": "65536",
    }
    loaded = _load_definitions("ecs", {"max_concurrent": 20, "cpu": 1024, "memory": 4096}, **size)
    assert loaded["production"] == "ecs" and loaded["all"] == ["ecs"]
    # The volume step's task as the ECS step handler sizes it from the step's tags in the plan (building
    # the handler itself asks AWS for the run's own task, so only its reading of the tags runs here).
    handler = EcsStepHandler.__new__(EcsStepHandler)
    handler._task_overrides, handler._ephemeral_storage = {}, None
    handler._cpu, handler._memory = "1024", None  # the executor's own config (run config above)
    assert handler._get_task_overrides(loaded["volume_step_tags"]) == {"cpu": "8192", "memory": "32768"}
    # An OCR-heavy volume's step (domain/productions/volume_sizing.py) gets its own, larger size.
    assert handler._get_task_overrides(loaded["ocr_volume_step_tags"]) == {"cpu": "16384", "memory": "65536"}
    assert handler._get_task_overrides({}) == {"cpu": "1024"}  # other steps: the executor's config
    assert loaded["default_config"] == {"ecs": {"retries": {"enabled": {}}}}  # launched with none: valid
    assert loaded["run_config"]["ecs"]["max_concurrent"] == 20 and loaded["run_config"]["ecs"]["cpu"] == 1024


def test_k8s_runs_every_step_in_its_own_job():
    pytest.importorskip("dagster_k8s", reason="dagster-k8s is an optional install (ECS is the default)")
    loaded = _load_definitions("k8s", {"max_concurrent": 20})
    assert loaded["production"] == "k8s" and loaded["all"] == ["k8s"]
    assert loaded["run_config"]["k8s"]["max_concurrent"] == 20


def test_k8s_without_dagster_k8s_stops_with_a_message():
    from domain.errors import SettingsError
    from jobs.executor import platform_executor

    try:
        import dagster_k8s  # noqa: F401
    except ImportError:
        with pytest.raises(SettingsError, match="dagster-k8s"):
            platform_executor("k8s")
    else:
        assert platform_executor("k8s").name == "k8s"
    with pytest.raises(SettingsError, match="NP_EXECUTOR"):
        platform_executor("fargate")


def test_a_bad_executor_setting_names_the_variable():
    from domain.errors import SettingsError
    from resources.settings import load_settings

    with pytest.raises(SettingsError, match="NP_EXECUTOR"):
        load_settings({"NP_EXECUTOR": "lambda"})
    assert load_settings({}).executor == "local"


def test_the_volume_step_asks_for_its_own_size_on_each_engine():
    """The tags of the volume step, in the form each engine's step handler reads."""
    import json

    from nextpoint_assets.productions.volumes import export_volume, volume_step_tags
    from resources.settings import get_settings

    settings = get_settings()
    assert export_volume.tags == volume_step_tags(settings.volume_step_cpu, settings.volume_step_memory)
    assert volume_step_tags(2048, 8192)["ecs/cpu"] == "2048"
    # Kubernetes: the container resources of the step's pod.
    k8s = json.loads(volume_step_tags(2048, 8192)["dagster-k8s/config"])
    assert k8s["container_config"]["resources"]["requests"] == {"cpu": "2000m", "memory": "8192Mi"}


def test_the_k8s_step_handler_reads_the_volume_steps_size():
    from nextpoint_assets.productions.volumes import volume_step_tags

    dagster_k8s = pytest.importorskip("dagster_k8s", reason="dagster-k8s is an optional install")
    user_config = dagster_k8s.job.get_user_defined_k8s_config(volume_step_tags(2048, 8192))
    assert user_config.container_config["resources"]["requests"]["cpu"] == "2000m"


# --- the fan-out: N volume-like steps at once, one process each ----------------------------------

FANOUT = 4


class BarrierConfig(dg.Config):
    folder: str


@dg.op(out=dg.DynamicOut(int))
def fan_out():
    for volume in range(1, FANOUT + 1):
        yield dg.DynamicOutput(volume, mapping_key=f"volume_{volume:03d}")


@dg.op(pool="export_volumes")
def volume_step(context: dg.OpExecutionContext, config: BarrierConfig, volume: int) -> int:
    """Arrives, then waits until every volume step has arrived: only steps that run at the same time
    can all pass (a one-at-a-time executor times out here)."""
    import time
    from pathlib import Path

    folder = Path(config.folder)
    (folder / f"{volume}.pid").write_text(str(os.getpid()))
    deadline = time.monotonic() + 120
    while len(list(folder.glob("*.pid"))) < FANOUT:
        if time.monotonic() > deadline:
            raise RuntimeError(f"volume {volume} waited alone: the steps did not run at the same time")
        time.sleep(0.05)
    context.add_output_metadata({"pid": os.getpid()})
    return os.getpid()


@dg.op
def volumes_done(pids: list[int]) -> int:
    return len(set(pids))


@dg.job(executor_def=one_step_in_process_executor)
def fan_out_volumes():
    volumes_done(fan_out().map(volume_step).collect())


def test_volume_steps_run_at_the_same_time_in_processes_of_their_own(instance, tmp_path):
    folder = tmp_path / "arrived"
    folder.mkdir()
    # The multiprocess executor runs at most one step per core by default (this machine has 2); a
    # production's run asks for as many as it has volumes.
    run_config = {
        "ops": {"volume_step": {"config": {"folder": str(folder)}}},
        "execution": {"config": {"multiprocess": {"max_concurrent": FANOUT}}},
    }
    with dg.execute_job(dg.reconstructable(fan_out_volumes), instance, run_config=run_config) as result:
        assert result.success
        pids = {
            event.step_key: event.event_specific_data.metadata["pid"].value
            for event in result.all_events
            if event.is_successful_output and event.step_key.startswith("volume_step")
        }
    assert len(pids) == FANOUT and len(set(pids.values())) == FANOUT and os.getpid() not in pids.values()
    assert {int(p.read_text()) for p in folder.glob("*.pid")} == set(pids.values())
