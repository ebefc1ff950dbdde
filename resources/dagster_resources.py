"""Dagster resources: the adapters assets use, and the one declaration of their configuration.

Every field that an `NP_*` variable feeds is declared here once, with its default, limits and
meaning (`resources.config.setting`); docs/operations.md lists them. The Definitions bind
`build_resources(get_settings())`: a variable the environment set reaches Dagster as
`dg.EnvVar`, so the UI shows the variable, not a copied value. A secret (`resources.secrets.secret`)
is only ever given as `dg.EnvVar`, never as a value, and is hidden from `repr()`; its Secrets Manager
id is the setting beside it, and adapters get both as a `resources.secrets.Secret`.

Over 400 lines on purpose: the layer contract lets only this module of resources/ import Dagster,
so the resource base class and all nine resources live here together.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import dagster as dg
from pydantic import PrivateAttr, field_validator, model_validator

from domain.errors import SettingsError
from imaging.engine import LocalDocumentEngine
from resources.backend_api import BackendApi
from resources.config import ENV, FROM, derived, env_name, flat_name, setting, takes_env_var
from resources.databases import Databases
from resources.event_bus import EventBus, open_event_bus
from resources.mailer import Mailer, open_mailer
from resources.object_store import CaseStore, ObjectStore, open_object_store
from resources.request_queue import RequestQueue, build_request_queue
from resources.search_index import SearchIndex, open_search_index
from resources.secrets import Secret, is_secret, secret, secret_id, secret_id_env

# One region for S3, SNS, SQS (and the Glue launcher): one declaration shared by three resources.
AWS_REGION: Any = setting("NP_AWS_REGION", "us-east-1", "AWS region of S3, SNS, SQS and Glue")
_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,60}$"  # database names are put into SQL: letters, digits, _


def fed(settings: Any, env: str) -> Any:
    """`dg.EnvVar(env)` when the process environment set it, else the value `settings` holds."""
    if env in getattr(settings, "from_environment", ()):
        return dg.EnvVar(env)
    return getattr(settings, flat_name(env))


def unresolved(*values: Any) -> bool:
    """True when a value is an EnvVar not read yet: cross-field checks wait for the real values."""
    return any(isinstance(v, dg.EnvVar) for v in values)


class PlatformResource(dg.ConfigurableResource):
    """A resource whose fields are declared with `setting`/`derived` (resources/config.py)."""

    #: (backend, field): the backend value that needs that field set (an S3 store needs its bucket).
    NEEDS: ClassVar[tuple[str, str] | None] = None

    _live_copy: Any = PrivateAttr(default=None)

    @field_validator("*", mode="wrap")
    @classmethod
    def _checked_when_read(cls, value: Any, handler: Callable[[Any], Any]) -> Any:
        # Dagster reads an EnvVar when the run or sensor tick starts and builds the resource again
        # from the value: the value is checked then (and `load_settings` checked it at start-up).
        return value if isinstance(value, dg.EnvVar) else handler(value)

    @model_validator(mode="after")
    def _backend_has_its_target(self) -> Self:
        if self.NEEDS is not None:
            choice, field = self.NEEDS
            backend, target = getattr(self, "backend"), getattr(self, field)  # noqa: B009
            if not unresolved(backend, target) and backend == choice and not target:
                fields = type(self).model_fields
                raise ValueError(f"{env_name(fields['backend'])}={choice} needs {env_name(fields[field])}")
        return self

    def live(self) -> Self:
        """This resource with its variables read. In a run or sensor Dagster has done so already;
        plain code (scripts, tests) holding the Definitions' object gets a resolved copy."""
        if not unresolved(*self.__dict__.values()):
            return self
        if self._live_copy is None:
            fields = type(self).model_fields
            self._live_copy = type(self)(
                **{k: v.get_value() if unresolved(v) else v for k, v in self.__dict__.items() if k in fields}
            )
        return self._live_copy

    def secret_of(self, field: str) -> Secret:
        """The secret field `field` with its Secrets Manager id (the field fed by `<NAME>_SECRET_ID`),
        named by the variable that feeds it: names come from the declaration only."""
        fields = type(self).model_fields
        name = str(env_name(fields[field]))
        id_field = next(k for k, info in fields.items() if env_name(info) == secret_id_env(name))
        return Secret(name, getattr(self, field), getattr(self, id_field))

    @classmethod
    def from_settings(cls, settings: Any, *, env_vars: bool = False) -> Self:
        """This resource from a loaded `Settings`; with `env_vars`, variables the environment set
        are given as `dg.EnvVar` (what the Definitions bind), else every value is resolved."""
        values: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if ENV in extra:
                env = str(extra[ENV])
                use_env = env_vars and takes_env_var(info)
                values[name] = fed(settings, env) if use_env else getattr(settings, flat_name(env))
                if use_env and is_secret(info) and values[name] is not None and not unresolved(values[name]):
                    # A secret reaches the Definitions as its variable only, never as a value.
                    raise SettingsError(f"{env} is a secret: the Definitions read it from the environment")
            elif FROM in extra:
                values[name] = str(getattr(settings, str(extra[FROM])))
        return cls(**values)


M = TypeVar("M", bound=Callable[..., Any])


def reads_config(method: M) -> M:
    """Run `method` on the resolved resource (see `PlatformResource.live`)."""

    @functools.wraps(method)
    def wrapper(self: PlatformResource, *args: Any, **kwargs: Any) -> Any:
        return method(self.live(), *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ObjectStoreResource(PlatformResource):
    """The object store: a local folder or an S3 bucket. Case work goes through `case()`."""

    NEEDS = ("s3", "bucket")

    backend: str = setting(
        "NP_OBJECT_STORE",
        "local",
        "Where objects live: a folder under NP_HOME or S3",
        choices=("local", "s3"),
    )
    root: str = derived("object_store_root", "Folder of the local object store ($NP_HOME/objects)")
    bucket: str | None = setting("NP_S3_BUCKET", None, "S3 bucket (required with s3)")
    endpoint_url: str | None = setting("NP_S3_ENDPOINT_URL", None, "S3 endpoint override (tests: moto)")
    region: str = AWS_REGION
    presign_seconds: int = setting(
        "NP_PRESIGN_SECONDS", 7 * 24 * 3600, "Lifetime of presigned links", ge=60, le=7 * 24 * 3600
    )

    _store: ObjectStore | None = PrivateAttr(default=None)

    @reads_config
    def store(self) -> ObjectStore:
        if self._store is None:
            self._store = open_object_store(
                self.backend, Path(self.root), self.bucket, self.region, self.endpoint_url
            )
        return self._store

    @reads_config
    def case(self, case_id: int) -> CaseStore:
        return CaseStore(self.store(), case_id)

    @reads_config
    def link(self, case_id: int, relative: str) -> str:
        return self.case(case_id).link(relative, self.presign_seconds)


class DatabaseResource(PlatformResource):
    """Case, core and platform databases: SQLite files or MySQL/MariaDB, with reader and writer engines."""

    backend: str = setting(
        "NP_DB_BACKEND",
        "sqlite",
        "SQLite files under NP_HOME, or MySQL 8 / MariaDB 10.11",
        choices=("sqlite", "mysql"),
    )
    sqlite_dir: str = derived("sqlite_dir", "Folder of the SQLite databases ($NP_HOME/databases)")
    host: str = setting("NP_DB_HOST", "127.0.0.1", "Database server (writer)")
    reader_host: str | None = setting("NP_DB_READER_HOST", None, "Read replica; none: readers use the writer")
    port: int = setting("NP_DB_PORT", 3306, "Database server port", ge=1, le=65535)
    user: str = setting("NP_DB_USER", "nextpoint", "Database user")
    password: str | None = secret("NP_DB_PASSWORD", "Database password")
    password_secret_id: str | None = secret_id("NP_DB_PASSWORD", "the database password")
    name_prefix: str = setting(
        "NP_DB_NAME_PREFIX",
        "np_case",
        "Case databases are {prefix}_{case_id}",
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,40}$",
    )
    core_db_name: str = setting("NP_CORE_DB_NAME", "np_core", "The core database", pattern=_NAME)
    platform_db_name: str = setting(
        "NP_PLATFORM_DB_NAME",
        "np_platform",
        "The platform's own database (exchange state, id maps)",
        pattern=_NAME,
    )
    pool_size: int = setting("NP_DB_POOL_SIZE", 5, "Connections kept per MySQL engine", ge=1, le=100)

    _databases: Databases | None = PrivateAttr(default=None)

    @reads_config
    def databases(self) -> Databases:
        if self._databases is None:
            self._databases = Databases(self)
        return self._databases

    def teardown_after_execution(self, context) -> None:
        if self._databases is not None:
            self._databases.dispose()


class DocumentEngineResource(PlatformResource):
    """PDF rendering and OCR (imaging/engine.py)."""

    tessdata_prefix: str | None = setting(
        "NP_TESSDATA_PREFIX", None, "Tesseract language data; none: found under /usr/share/tesseract-ocr"
    )
    language: str = setting(
        "NP_OCR_LANGUAGE", "eng", "OCR language(s), e.g. eng+deu", pattern=r"^[a-z_+]{3,40}$"
    )

    _engine: LocalDocumentEngine | None = PrivateAttr(default=None)

    @reads_config
    def engine(self) -> LocalDocumentEngine:
        if self._engine is None:
            tessdata = Path(self.tessdata_prefix) if self.tessdata_prefix else None
            self._engine = LocalDocumentEngine(tessdata=tessdata, language=self.language)
        return self._engine


class EventBusResource(PlatformResource):
    """Where outcome events go: a JSON-lines file under NP_HOME, or an SNS topic."""

    NEEDS = ("sns", "topic_arn")

    backend: str = setting("NP_EVENT_BUS", "local", "Outcome events", choices=("local", "sns"))
    events_file: str = derived("events_file", "File of the local event bus ($NP_HOME/events/events.jsonl)")
    topic_arn: str | None = setting("NP_SNS_TOPIC_ARN", None, "SNS topic (required with sns)")
    region: str = AWS_REGION
    endpoint_url: str | None = setting("NP_SNS_ENDPOINT_URL", None, "SNS endpoint override (tests: moto)")

    @reads_config
    def bus(self) -> EventBus:
        return open_event_bus(
            self.backend, Path(self.events_file), self.topic_arn, self.region, self.endpoint_url
        )


class RequestQueueResource(PlatformResource):
    """The queue requests arrive on, and how much of it one sensor tick takes."""

    NEEDS = ("sqs", "queue_url")

    backend: str = setting(
        "NP_REQUEST_QUEUE",
        "local",
        "Where requests arrive: $NP_HOME/queue/*.json or SQS",
        choices=("local", "sqs"),
    )
    folder: str = derived("queue_dir", "Folder of the local request queue ($NP_HOME/queue)")
    queue_url: str | None = setting(
        "NP_SQS_QUEUE_URL", None, "SQS queue subscribed to the topic (required with sqs)"
    )
    region: str = AWS_REGION
    endpoint_url: str | None = setting("NP_SQS_ENDPOINT_URL", None, "SQS endpoint override (tests: moto)")
    visibility_seconds: int = setting(
        "NP_REQUEST_VISIBILITY_SECONDS", 300, "How long a taken message stays hidden", ge=30, le=43_200
    )
    tick_messages: int = setting(
        "NP_REQUEST_TICK_MESSAGES", 1000, "Messages one tick takes", ge=10, le=10_000
    )
    tick_seconds: float = setting("NP_REQUEST_TICK_SECONDS", 25.0, "Time one tick may take", ge=1, le=50)
    max_receives: int = setting(
        "NP_REQUEST_MAX_RECEIVES", 5, "Deliveries without a run before a message is rejected", ge=2, le=100
    )
    batch_max: int = setting(
        "NP_REQUEST_BATCH_MAX",
        100,
        "Stamp or report requests of one case and tick sharing a run",
        ge=1,
        le=1000,
    )

    @reads_config
    def queue(self) -> RequestQueue:
        return build_request_queue(
            self.backend,
            Path(self.folder),
            self.queue_url,
            self.region,
            self.endpoint_url,
            self.visibility_seconds,
        )


class MailerResource(PlatformResource):
    """Report mail: .eml files in $NP_HOME/outbox, or SMTP."""

    backend: str = setting("NP_MAILER", "local", "Report mail", choices=("local", "smtp"))
    outbox: str = derived("outbox_dir", "Folder of the local mailer ($NP_HOME/outbox)")
    sender: str = setting("NP_MAIL_FROM", "reports@nextpoint.local", "Sender of report mail")
    smtp_host: str = setting("NP_SMTP_HOST", "127.0.0.1", "SMTP server")
    smtp_port: int = setting("NP_SMTP_PORT", 587, "SMTP port", ge=1, le=65535)
    smtp_user: str | None = setting("NP_SMTP_USER", None, "SMTP user; none: no login")
    smtp_password: str | None = secret("NP_SMTP_PASSWORD", "SMTP password")
    smtp_password_secret_id: str | None = secret_id("NP_SMTP_PASSWORD", "the SMTP password")
    smtp_starttls: bool = setting("NP_SMTP_STARTTLS", True, "STARTTLS before login")

    @reads_config
    def mailer(self) -> Mailer:
        return open_mailer(
            self.backend,
            Path(self.outbox),
            self.sender,
            self.smtp_host,
            self.smtp_port,
            self.smtp_user,
            self.secret_of("smtp_password"),
            self.smtp_starttls,
        )


class ReportSettingsResource(PlatformResource):
    """How reports are delivered: files up to this size are attached to the email, larger ones linked."""

    attach_limit_bytes: int = setting(
        "NP_REPORT_ATTACH_LIMIT_BYTES",
        10 * 1024 * 1024,
        "Reports up to this size are attached, larger ones linked",
        ge=0,
        le=40 * 1024 * 1024,
    )


class BackendApiResource(PlatformResource):
    """The backend API; with no base URL (the embedded default) callbacks are skipped."""

    base_url: str | None = setting("NP_BACKEND_API_URL", None, "Backend API; none: no callbacks")
    hmac_secret: str | None = secret("NP_BACKEND_API_SECRET", "Shared secret signing callbacks (HMAC)")
    hmac_secret_id: str | None = secret_id("NP_BACKEND_API_SECRET", "the callbacks' shared secret")
    timeout_seconds: float = 30.0

    @reads_config
    def api(self) -> BackendApi | None:
        if not self.base_url:
            return None
        return BackendApi(self.base_url, self.secret_of("hmac_secret"), self.timeout_seconds)


class SearchIndexResource(PlatformResource):
    """Per-case full-text search of document text: FTS5 files under NP_HOME, or OpenSearch."""

    NEEDS = ("opensearch", "url")

    backend: str = setting(
        "NP_SEARCH_BACKEND", "fts5", "Full-text index of document text", choices=("fts5", "opensearch")
    )
    root: str = derived("search_dir", "Folder of the FTS5 indexes ($NP_HOME/search)")
    url: str | None = setting("NP_OPENSEARCH_URL", None, "OpenSearch (required with opensearch)")
    index_prefix: str = setting(
        "NP_OPENSEARCH_INDEX_PREFIX",
        "nextpoint",
        "Case indexes are {prefix}-case-{case_id} (lower case)",
        pattern=r"^[a-z][a-z0-9_-]{0,40}$",
    )
    user: str | None = setting("NP_OPENSEARCH_USER", None, "OpenSearch user; none: no login")
    password: str | None = secret("NP_OPENSEARCH_PASSWORD", "OpenSearch password")
    password_secret_id: str | None = secret_id("NP_OPENSEARCH_PASSWORD", "the OpenSearch password")
    timeout_seconds: float = 30.0

    _index: SearchIndex | None = PrivateAttr(default=None)

    @reads_config
    def index(self) -> SearchIndex:
        if self._index is None:
            self._index = open_search_index(
                self.backend,
                Path(self.root),
                self.url,
                self.index_prefix,
                self.user,
                self.secret_of("password"),
                self.timeout_seconds,
            )
        return self._index


#: The resources the Definitions bind, by key; `Settings` and the presets are read from these classes.
RESOURCE_CLASSES: dict[str, type[PlatformResource]] = {
    "object_store": ObjectStoreResource,
    "databases": DatabaseResource,
    "document_engine": DocumentEngineResource,
    "event_bus": EventBusResource,
    "mailer": MailerResource,
    "request_queue": RequestQueueResource,
    "backend_api": BackendApiResource,
    "report_settings": ReportSettingsResource,
    "search_index": SearchIndexResource,
}


def build_resources(settings) -> dict[str, object]:
    """Every resource the Definitions bind, from one loaded `Settings` (variables as `dg.EnvVar`)."""
    from dagster_pyspark import PySparkResource

    from resources.spark import spark_config

    return {
        **{key: cls.from_settings(settings, env_vars=True) for key, cls in RESOURCE_CLASSES.items()},
        **_io_manager(settings),
        "pyspark": PySparkResource(spark_config=spark_config(settings)),
    }


def _io_manager(settings) -> dict[str, object]:
    """Small values between steps: on S3 in production, so steps may run on any machine."""
    if settings.object_store != "s3":
        return {}
    from dagster_aws.s3 import S3PickleIOManager, S3Resource

    return {
        "io_manager": S3PickleIOManager(
            s3_resource=S3Resource(
                endpoint_url=fed(settings, "NP_S3_ENDPOINT_URL"), region_name=fed(settings, "NP_AWS_REGION")
            ),
            s3_bucket=fed(settings, "NP_S3_BUCKET"),
            s3_prefix="dagster/io",
        )
    }
