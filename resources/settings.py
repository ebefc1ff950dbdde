"""Platform settings: `NP_*` environment variables, read once and validated at start-up.

Two kinds of setting, each declared once:

- a resource's configuration is declared as a field of that resource
  (`resources/dagster_resources.py`, with `resources.config.setting`);
- the knobs no resource holds (sensor intervals, schedules, retention, PII screening, retries,
  Spark and the exchange launcher, logging) are declared in `Knobs` below.

`Settings` is one flat, frozen view of both, generated from those declarations (the resource
field fed by `NP_DB_HOST` is `Settings.db_host`), for code that runs outside Dagster: sensors'
intervals, schedules, scripts, the demo and the tests. An environment preset
(`resources/presets.py`, chosen by `NP_ENVIRONMENT`) gives values the variables have not set.
A secret (`resources.secrets.secret`) is a field here too, hidden from `repr()`; the Definitions
only ever hand it to Dagster as its variable.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, create_model, field_validator
from pydantic import model_validator as _model_validator

from domain.errors import SettingsError
from resources.config import env_name, flat_name
from resources.dagster_resources import RESOURCE_CLASSES
from resources.presets import PRESETS

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_home() -> Path:
    """All embedded-default state lives under one folder, movable by NP_HOME."""
    return REPO_ROOT / ".nextpoint"


class Knobs(BaseModel):
    """The settings no resource holds; each field is fed by `NP_<NAME>`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path = Field(default_factory=default_home, description="Folder of all embedded-default state.")
    #: Chooses the preset (resources/presets.py): `local` is the laptop's embedded defaults.
    environment: Literal["local", "staging", "production"] = "local"
    region: Literal["c2", "c4", "c5"] = "c2"
    #: Code links in the UI (nextpoint_assets/code_references.py): into this repository when set.
    git_url: str = ""
    git_branch: str = "main"
    #: The read-only file server of the local object store (scripts/file_server.py, started by scripts/ui.sh):
    #: links to local outputs open in a browser through it. Empty: links are the files' paths.
    file_server_url: str = ""

    # Sensor intervals (a sensor's interval is fixed when the code location loads).
    request_poll_seconds: int = Field(default=10, ge=1, le=3600)
    manifest_poll_seconds: int = Field(default=60, ge=5, le=3600)

    #: PII screening (docs/pii.md): what is looked for, what holds work back, how long a review may take.
    #: PERSON is asked for by name: its model is an optional install and reads ~26 pages/s per core.
    pii_types: str = "US_SSN,CREDIT_CARD,IBAN_CODE,US_BANK_ROUTING,EMAIL_ADDRESS,PHONE_NUMBER,DATE_OF_BIRTH"
    #: The kinds whose findings hold the work until approved; the others are reported only. Contact details
    #: (email, phone) and names fill every business document: holding on them would make approval routine.
    pii_hold_types: str = "US_SSN,CREDIT_CARD,IBAN_CODE,US_BANK_ROUTING,DATE_OF_BIRTH"
    pii_threshold: float = Field(default=0.5, ge=0, le=1)
    pii_approval_hours: float = Field(default=72.0, gt=0, le=24 * 365)
    pii_suggest_redactions: bool = False
    pii_review_poll_seconds: int = Field(default=60, ge=5, le=3600)

    #: resources/resilience.py: circuit breakers and backoff around the object store, backend API and mail.
    circuit_failures: int = Field(default=5, ge=1, le=1000)
    circuit_reset_seconds: float = Field(default=60.0, ge=0.1, le=3600)
    circuit_successes: int = Field(default=2, ge=1, le=100)
    retry_attempts: int = Field(default=3, ge=1, le=20)
    retry_base_seconds: float = Field(default=0.5, ge=0, le=60)
    retry_max_seconds: float = Field(default=8.0, ge=0, le=600)

    #: Recurring reports (sensors/report_schedules.py); the schedules start stopped either way.
    report_weekly_review_log_cron: str = "0 6 * * 1"
    report_monthly_user_activity_cron: str = "0 7 1 * *"
    report_schedule_format: Literal["csv", "xlsx"] = "xlsx"
    report_schedule_recipients: str = ""  # comma-separated addresses for scheduled reports

    # Housekeeping (jobs/housekeeping.py, sensors/housekeeping.py): daily clean-ups, cron in UTC.
    cleanup_work_retention_days: int = Field(default=7, ge=1, le=3650)  # work, temp, dead exports' outputs
    cleanup_archive_retention_days: int = Field(default=14, ge=1, le=3650)  # export archives (zips/)
    partition_retention_days: int = Field(default=90, ge=1, le=36_500)  # finished exports/exchanges
    #: Report files kept per case and type (per account and month): the newest N materializations, the
    #: one `latest.json` names, request files whose emailed link still works (domain/reports/retention.py).
    report_keep_last: int = Field(default=10, ge=1, le=10_000)
    report_cleanup_cron: str = "45 3 * * *"
    cleanup_work_cron: str = "0 3 * * *"
    cleanup_archive_cron: str = "15 3 * * *"
    cleanup_orphan_cron: str = "30 3 * * *"
    partition_prune_cron: str = "0 4 * * *"

    # Compute
    spark_master: str = "local[*]"
    spark_jars: str | None = None
    #: Where the exchange's database copy runs: a local/cluster Spark subprocess, or an AWS Glue job (Pipes).
    exchange_launcher: Literal["subprocess", "glue"] = "subprocess"
    glue_job_name: str | None = None
    exchange_jdbc_batch_size: int = Field(default=10_000, ge=100, le=1_000_000)
    exchange_jdbc_partitions: int = Field(default=4, ge=1, le=256)

    #: Where a run's steps execute (jobs/executor.py): `local` = in the run's container (one step in its
    #: process, several a process each); `ecs` = each step its own ECS task (dagster-aws ecs_executor, needs
    #: the EcsRunLauncher of deploy/dagster.yaml); `k8s` = each step its own Kubernetes Job (dagster-k8s
    #: k8s_job_executor, an optional install, with the K8sRunLauncher of deploy/dagster.k8s.yaml).
    executor: Literal["local", "ecs", "k8s"] = "local"
    #: Size of a volume step's own task/pod under `ecs`/`k8s` (op tags of nextpoint_assets/productions/
    #: volumes.py): CPU in ECS units (1024 = 1 vCPU), memory in MiB; a valid Fargate pair. A volume step
    #: runs one worker process per core it sees (VolumeConfig.workers = 0; on Kubernetes, the node's).
    volume_step_cpu: int = Field(default=4096, ge=256, le=16_384)
    volume_step_memory: int = Field(default=16_384, ge=512, le=122_880)
    #: The same for a volume the plan expects to be OCR-heavy (domain/productions/volume_sizing.py):
    #: tesseract is ~98 % of an OCRed page's cost, so cores shorten such a step almost in proportion.
    ocr_volume_step_cpu: int = Field(default=8192, ge=256, le=16_384)
    ocr_volume_step_memory: int = Field(default=16_384, ge=512, le=122_880)

    # Logging
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    #: The NP_* variables this view was read from in the process environment (not a setting):
    #: `build_resources` hands these to Dagster as `dg.EnvVar`.
    _from_environment: frozenset[str] = PrivateAttr(default=frozenset())

    @property
    def from_environment(self) -> frozenset[str]:
        return self._from_environment

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("pii_types", "pii_hold_types", mode="after")
    @classmethod
    def _known_pii_types(cls, value: str) -> str:
        from domain.pii.recognizers import TYPES

        names = [t.strip() for t in value.split(",") if t.strip()]
        unknown = sorted(set(names) - set(TYPES))
        if unknown or not names:
            raise ValueError(f"unknown personal data types {unknown}; choose from {', '.join(TYPES)}")
        return ",".join(names)

    @_model_validator(mode="after")
    def _glue_needs_a_job(self) -> Knobs:
        if self.exchange_launcher == "glue" and not self.glue_job_name:
            raise ValueError("NP_EXCHANGE_LAUNCHER=glue needs NP_GLUE_JOB_NAME")
        return self

    # Where embedded defaults keep their state.
    @property
    def object_store_root(self) -> Path:
        return self.home / "objects"

    @property
    def sqlite_dir(self) -> Path:
        return self.home / "databases"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"

    @property
    def events_file(self) -> Path:
        return self.home / "events" / "events.jsonl"

    @property
    def queue_dir(self) -> Path:
        return self.home / "queue"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def work_dir(self) -> Path:
        return self.home / "work"

    @property
    def search_dir(self) -> Path:
        return self.home / "search"


def _resource_fields() -> dict[str, Any]:
    """Every env-fed resource field as a `Settings` field: same type, default, limits, description."""
    fields: dict[str, Any] = {}
    for cls in RESOURCE_CLASSES.values():
        for info in cls.model_fields.values():
            env = env_name(info)
            if env is None:
                continue
            name = flat_name(env)
            if name in Knobs.model_fields:
                raise TypeError(f"{env} is declared both by {cls.__name__} and by Knobs")
            if name in fields and (fields[name][1].default, fields[name][1].description) != (
                info.default,
                info.description,
            ):
                raise TypeError(f"{env} is declared twice, differently ({cls.__name__})")
            fields[name] = (info.annotation, info)
    return fields


Settings = create_model("Settings", __base__=Knobs, __module__=__name__, **_resource_fields())
Settings.__doc__ = "All platform settings, flat: `Knobs` plus every env-fed resource field (read-only)."


def preset_values(environment: str) -> dict[str, Any]:
    """The preset of an environment as `Settings` values ({} for an unknown one: validation names it)."""
    values: dict[str, Any] = {}
    for key, fields in PRESETS.get(environment, {}).items():
        for field, value in fields.items():
            if key == "settings":
                name = field
            else:
                env = env_name(RESOURCE_CLASSES[key].model_fields[field])
                if env is None:
                    raise KeyError(f"preset {environment}: {key}.{field} is not fed by a variable")
                name = flat_name(env)
            if name not in Settings.model_fields:
                raise KeyError(f"preset {environment}: no setting {key}.{field}")
            values[name] = value
    return values


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read and validate settings (the process environment, or `env`); a bad value raises
    SettingsError naming the variable."""
    source = os.environ if env is None else env
    given = {
        flat_name(k): v
        for k, v in source.items()
        if k.startswith("NP_") and flat_name(k) in Settings.model_fields
    }
    environment = given.get("environment", Knobs.model_fields["environment"].default)
    try:
        settings = Settings(**{**preset_values(environment), **given})
        for cls in RESOURCE_CLASSES.values():  # the resources' own cross-field checks
            cls.from_settings(settings)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            name = f"NP_{field.upper()}" if field in Settings.model_fields else field
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError("Invalid platform settings: " + "; ".join(problems)) from None
    if env is None:
        settings._from_environment = frozenset(f"NP_{name.upper()}" for name in given)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
