"""Platform settings, read from NP_* environment variables and validated at start-up.

Secrets are never settings values: a setting names where a secret lives
(an environment variable, or a Secrets Manager id) and `resources.secrets`
reads it when a connection is made.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.errors import SettingsError

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_home() -> Path:
    """All embedded-default state lives under one folder, movable by NP_HOME."""
    return REPO_ROOT / ".nextpoint"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NP_", extra="ignore", frozen=True)

    home: Path = Field(default_factory=default_home, description="Folder of all embedded-default state.")
    environment: Literal["local", "staging", "production"] = "local"
    region: Literal["c2", "c4", "c5"] = "c2"

    # Object store
    object_store: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    aws_region: str = "us-east-1"
    presign_seconds: int = Field(default=7 * 24 * 3600, ge=60, le=7 * 24 * 3600)

    # Databases
    db_backend: Literal["sqlite", "mysql"] = "sqlite"
    db_host: str = "127.0.0.1"
    db_reader_host: str | None = None
    db_port: int = Field(default=3306, ge=1, le=65535)
    db_user: str = "nextpoint"
    db_password_env: str = "NP_DB_PASSWORD"
    db_name_prefix: str = Field(default="np_case", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,40}$")
    core_db_name: str = Field(default="np_core", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,60}$")
    db_pool_size: int = Field(default=5, ge=1, le=100)
    #: The platform's own database (exchange state and id maps); never a case or the core database.
    platform_db_name: str = Field(default="np_platform", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,60}$")

    # Events and mail
    event_bus: Literal["local", "sns"] = "local"
    sns_topic_arn: str | None = None
    #: Where requests arrive (sensors/requests.py): SQS subscribed to the topic, or a local folder.
    request_queue: Literal["local", "sqs"] = "local"
    sqs_queue_url: str | None = None
    sqs_endpoint_url: str | None = None
    request_poll_seconds: int = Field(default=10, ge=1, le=3600)
    request_tick_messages: int = Field(default=1000, ge=10, le=10_000)
    request_tick_seconds: float = Field(default=25.0, ge=1, le=50)
    request_visibility_seconds: int = Field(default=300, ge=30, le=43_200)
    request_max_receives: int = Field(default=5, ge=2, le=100)
    #: Stamp and report requests for one case in one tick share a run, up to this many (1: a run each).
    request_batch_max: int = Field(default=100, ge=1, le=1000)
    manifest_poll_seconds: int = Field(default=60, ge=5, le=3600)
    #: PII screening (docs/pii.md): what is looked for, what holds work back, how long a review may take.
    pii_types: str = (
        "US_SSN,CREDIT_CARD,IBAN_CODE,US_BANK_ROUTING,EMAIL_ADDRESS,PHONE_NUMBER,DATE_OF_BIRTH,PERSON"
    )
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
    mailer: Literal["local", "smtp"] = "local"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password_env: str = "NP_SMTP_PASSWORD"
    smtp_starttls: bool = True
    mail_from: str = "reports@nextpoint.local"

    # Reports
    report_attach_limit_bytes: int = Field(default=10 * 1024 * 1024, ge=0, le=40 * 1024 * 1024)
    #: Recurring reports (sensors/report_schedules.py); the schedules start stopped either way.
    report_weekly_review_log_cron: str = "0 6 * * 1"
    report_monthly_user_activity_cron: str = "0 7 1 * *"
    report_schedule_format: Literal["csv", "xlsx"] = "xlsx"
    report_schedule_recipients: str = ""  # comma-separated addresses for scheduled reports

    # Housekeeping (jobs/housekeeping.py, sensors/housekeeping.py): daily clean-ups, cron in UTC, running by default.
    cleanup_work_retention_days: int = Field(
        default=7, ge=1, le=3650
    )  # work files, temp, scratch, dead exports' outputs
    cleanup_archive_retention_days: int = Field(default=14, ge=1, le=3650)  # export archives (zips/)
    partition_retention_days: int = Field(
        default=90, ge=1, le=36_500
    )  # finished exports/exchanges partitions
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
    tessdata_prefix: Path | None = None
    ocr_language: str = Field(default="eng", pattern=r"^[a-z_+]{3,40}$")

    # Full-text search of document text (resources/search_index.py)
    search_backend: Literal["fts5", "opensearch"] = "fts5"
    opensearch_url: str | None = None
    #: Case indexes are `{prefix}-case-{case_id}`; OpenSearch index names must be lower case.
    opensearch_index_prefix: str = Field(default="nextpoint", pattern=r"^[a-z][a-z0-9_-]{0,40}$")
    opensearch_user: str | None = None
    opensearch_password_env: str = "NP_OPENSEARCH_PASSWORD"

    # Backend API
    backend_api_url: str | None = None
    backend_api_secret_env: str = "NP_BACKEND_API_SECRET"

    # Logging
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

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

    @model_validator(mode="after")
    def _production_needs(self) -> Settings:
        if self.object_store == "s3" and not self.s3_bucket:
            raise ValueError("NP_OBJECT_STORE=s3 needs NP_S3_BUCKET")
        if self.exchange_launcher == "glue" and not self.glue_job_name:
            raise ValueError("NP_EXCHANGE_LAUNCHER=glue needs NP_GLUE_JOB_NAME")
        if self.request_queue == "sqs" and not self.sqs_queue_url:
            raise ValueError("NP_REQUEST_QUEUE=sqs needs NP_SQS_QUEUE_URL")
        if self.event_bus == "sns" and not self.sns_topic_arn:
            raise ValueError("NP_EVENT_BUS=sns needs NP_SNS_TOPIC_ARN")
        if self.search_backend == "opensearch" and not self.opensearch_url:
            raise ValueError("NP_SEARCH_BACKEND=opensearch needs NP_OPENSEARCH_URL")
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


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read and validate settings; a bad value raises SettingsError naming the variable."""
    source = os.environ if env is None else env
    values = {
        k[3:].lower(): v
        for k, v in source.items()
        if k.startswith("NP_") and k[3:].lower() in Settings.model_fields
    }
    try:
        return Settings(_env_file=None, **values) if env is not None else Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            name = f"NP_{field.upper()}" if field in Settings.model_fields else field
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError("Invalid platform settings: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
