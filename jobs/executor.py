"""The code location's executor: a run of one step runs it in the run's own process.

Dagster's default executor starts a process per step. For a run with one step (a report from the
UI, one stamp request) that process is most of the wait: ~2.5 s to start and import and ~1 s to end,
around a step of 0.1 s (bench/README.md "ui_turnaround"). Runs of several steps (a production's
volumes, an exchange) still get a process per step, so their fan-out and pools are unchanged.

`platform_executor` chooses the code location's executor from `NP_EXECUTOR` (resources/settings.py):
`local` is this one; `ecs` and `k8s` start each step in its own ECS task or Kubernetes Job, sized by its
op tags (the volume step's: nextpoint_assets/productions/volumes.py), so a production's volumes spread
over as many machines as it has volumes (docs/operations.md, "Scale").

The run config is the default executor's (`execution: {config: {multiprocess: ...}}` or
`{in_process: ...}`), so every run config written for the default executor still validates, and
`in_process` still forces one process for every plan.
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg

# Private: the default executor's own constructors, so its config keeps one meaning here.
from dagster._core.definitions.executor_definition import (
    _core_in_process_executor_creation,
    _core_multiprocess_executor_creation,
)
from dagster._core.execution.retries import RetryMode
from dagster._core.execution.step_dependency_config import StepDependencyConfig

from domain.errors import SettingsError

_DEFAULT = dg.multi_or_in_process_executor


class OneStepInProcess(dg.Executor):
    """The multiprocess executor, except that a plan of one step runs in the run's own process."""

    def __init__(self, multiprocess: dg.Executor, in_process: dg.Executor) -> None:
        self._multiprocess = multiprocess
        self._in_process = in_process

    def execute(self, plan_context, execution_plan) -> Iterator[dg.DagsterEvent]:
        alone = len(execution_plan.step_keys_to_execute) == 1
        yield from (self._in_process if alone else self._multiprocess).execute(plan_context, execution_plan)

    @property
    def retries(self) -> RetryMode:
        return self._multiprocess.retries

    @property
    def step_dependency_config(self) -> StepDependencyConfig:
        return self._multiprocess.step_dependency_config


@dg.executor(
    name="one_step_in_process",
    config_schema=_DEFAULT.config_schema,
    requirements=_DEFAULT.get_requirements,
)
def one_step_in_process_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    config = init_context.executor_config
    if "in_process" in config:
        return _core_in_process_executor_creation(config["in_process"])
    multiprocess = config["multiprocess"]
    return OneStepInProcess(
        _core_multiprocess_executor_creation(multiprocess),
        _core_in_process_executor_creation(
            {
                "retries": multiprocess["retries"],
                "step_dependency_config": multiprocess.get("step_dependency_config"),
            }
        ),
    )


def platform_executor(name: str) -> dg.ExecutorDefinition:
    """The executor `NP_EXECUTOR` names. dagster-k8s is imported only when chosen: it is an optional
    install (the ECS image does not carry it), and a missing one stops the code location with a message."""
    if name == "local":
        return one_step_in_process_executor
    if name == "ecs":
        # Needs the EcsRunLauncher (deploy/dagster.yaml) when a run starts, not when the code loads.
        from dagster_aws.ecs import ecs_executor

        return ecs_executor
    if name == "k8s":
        try:
            from dagster_k8s import k8s_job_executor
        except ImportError as exc:
            raise SettingsError(
                "NP_EXECUTOR=k8s needs dagster-k8s in the image: add dagster-k8s (the dagster-aws version) "
                "to pyproject.toml and run `uv lock` (deploy/dagster.k8s.yaml)"
            ) from exc
        return k8s_job_executor
    raise SettingsError(f"NP_EXECUTOR: unknown executor {name!r}; choose local, ecs or k8s")
