"""Dagster resources: thin wrappers that hand assets the adapters the settings choose.

Config fields default from NP_* settings (see docs/operations.md), so production
swaps every adapter by environment alone. No secret is ever a config value:
fields name the environment variable that holds it.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from imaging.engine import LocalDocumentEngine
from resources.backend_api import BackendApi
from resources.databases import DatabaseConfig, Databases
from resources.event_bus import EventBus, LocalEventBus, SnsEventBus
from resources.mailer import LocalMailer, Mailer, SmtpMailer
from resources.object_store import CaseStore, LocalObjectStore, ObjectStore, S3ObjectStore
from resources.request_queue import RequestQueue, build_request_queue
from resources.search_index import Fts5SearchIndex, OpenSearchIndex, SearchIndex
from resources.settings import Settings, get_settings


class ObjectStoreResource(dg.ConfigurableResource):
    """The object store: a local folder or an S3 bucket. Case work goes through `case()`."""

    backend: str = "local"
    root: str = ""
    bucket: str | None = None
    endpoint_url: str | None = None
    region: str = "us-east-1"
    presign_seconds: int = 7 * 24 * 3600

    _store: ObjectStore | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, s: Settings) -> ObjectStoreResource:
        return cls(
            backend=s.object_store,
            root=str(s.object_store_root),
            bucket=s.s3_bucket,
            endpoint_url=s.s3_endpoint_url,
            region=s.aws_region,
            presign_seconds=s.presign_seconds,
        )

    def store(self) -> ObjectStore:
        if self._store is None:
            if self.backend == "s3":
                import boto3

                client = boto3.client("s3", endpoint_url=self.endpoint_url, region_name=self.region)
                self._store = S3ObjectStore(self.bucket, client)
            else:
                self._store = LocalObjectStore(Path(self.root))
        return self._store

    def case(self, case_id: int) -> CaseStore:
        return CaseStore(self.store(), case_id)

    def link(self, case_id: int, relative: str) -> str:
        return self.case(case_id).link(relative, self.presign_seconds)


class DatabaseResource(dg.ConfigurableResource):
    """Case and core databases: SQLite files or MySQL/MariaDB, with reader and writer engines."""

    backend: str = "sqlite"
    sqlite_dir: str = ""
    host: str = "127.0.0.1"
    reader_host: str | None = None
    port: int = 3306
    user: str = "nextpoint"
    password_env: str = "NP_DB_PASSWORD"
    name_prefix: str = "np_case"
    core_db_name: str = "np_core"
    platform_db_name: str = "np_platform"

    _databases: Databases | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, s: Settings) -> DatabaseResource:
        return cls(
            backend=s.db_backend,
            sqlite_dir=str(s.sqlite_dir),
            host=s.db_host,
            reader_host=s.db_reader_host,
            port=s.db_port,
            user=s.db_user,
            password_env=s.db_password_env,
            name_prefix=s.db_name_prefix,
            core_db_name=s.core_db_name,
            platform_db_name=s.platform_db_name,
        )

    def databases(self) -> Databases:
        if self._databases is None:
            self._databases = Databases(
                DatabaseConfig(
                    backend=self.backend,
                    sqlite_dir=Path(self.sqlite_dir) if self.sqlite_dir else get_settings().sqlite_dir,
                    host=self.host,
                    reader_host=self.reader_host,
                    port=self.port,
                    user=self.user,
                    password_env=self.password_env,
                    name_prefix=self.name_prefix,
                    core_db_name=self.core_db_name,
                    platform_db_name=self.platform_db_name,
                )
            )
        return self._databases

    def teardown_after_execution(self, context) -> None:
        if self._databases is not None:
            self._databases.dispose()


class DocumentEngineResource(dg.ConfigurableResource):
    tessdata_prefix: str | None = None
    language: str = "eng"

    _engine: LocalDocumentEngine | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, s: Settings) -> DocumentEngineResource:
        return cls(
            tessdata_prefix=str(s.tessdata_prefix) if s.tessdata_prefix else None, language=s.ocr_language
        )

    def engine(self) -> LocalDocumentEngine:
        if self._engine is None:
            tessdata = Path(self.tessdata_prefix) if self.tessdata_prefix else None
            self._engine = LocalDocumentEngine(tessdata=tessdata, language=self.language)
        return self._engine


class EventBusResource(dg.ConfigurableResource):
    backend: str = "local"
    events_file: str = ""
    topic_arn: str | None = None
    region: str = "us-east-1"
    endpoint_url: str | None = None

    @classmethod
    def from_settings(cls, s: Settings) -> EventBusResource:
        import os

        return cls(
            backend=s.event_bus,
            events_file=str(s.events_file),
            topic_arn=s.sns_topic_arn,
            region=s.aws_region,
            endpoint_url=os.environ.get("NP_SNS_ENDPOINT_URL") or None,
        )

    def bus(self) -> EventBus:
        if self.backend == "sns":
            import boto3

            return SnsEventBus(
                self.topic_arn, boto3.client("sns", region_name=self.region, endpoint_url=self.endpoint_url)
            )
        return LocalEventBus(Path(self.events_file))


class RequestQueueResource(dg.ConfigurableResource):
    """The queue requests arrive on, and how much of it one sensor tick takes."""

    backend: str = "local"
    folder: str = ""
    queue_url: str | None = None
    region: str = "us-east-1"
    endpoint_url: str | None = None
    visibility_seconds: int = 300
    tick_messages: int = 1000
    tick_seconds: float = 25.0
    max_receives: int = 5
    batch_max: int = 100

    @classmethod
    def from_settings(cls, s: Settings) -> RequestQueueResource:
        return cls(
            backend=s.request_queue,
            folder=str(s.queue_dir),
            queue_url=s.sqs_queue_url,
            region=s.aws_region,
            endpoint_url=s.sqs_endpoint_url,
            visibility_seconds=s.request_visibility_seconds,
            tick_messages=s.request_tick_messages,
            tick_seconds=s.request_tick_seconds,
            max_receives=s.request_max_receives,
            batch_max=s.request_batch_max,
        )

    def queue(self) -> RequestQueue:
        return build_request_queue(
            self.backend,
            Path(self.folder),
            self.queue_url,
            self.region,
            self.endpoint_url,
            self.visibility_seconds,
        )


class MailerResource(dg.ConfigurableResource):
    backend: str = "local"
    outbox: str = ""
    sender: str = "reports@nextpoint.local"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password_env: str = "NP_SMTP_PASSWORD"
    smtp_starttls: bool = True

    @classmethod
    def from_settings(cls, s: Settings) -> MailerResource:
        return cls(
            backend=s.mailer,
            outbox=str(s.outbox_dir),
            sender=s.mail_from,
            smtp_host=s.smtp_host,
            smtp_port=s.smtp_port,
            smtp_user=s.smtp_user,
            smtp_password_env=s.smtp_password_env,
            smtp_starttls=s.smtp_starttls,
        )

    def mailer(self) -> Mailer:
        if self.backend == "smtp":
            return SmtpMailer(
                self.smtp_host,
                self.smtp_port,
                self.sender,
                self.smtp_user,
                self.smtp_password_env,
                self.smtp_starttls,
            )
        return LocalMailer(Path(self.outbox), self.sender)


class ReportSettingsResource(dg.ConfigurableResource):
    """How reports are delivered: files up to this size are attached to the email, larger ones linked."""

    attach_limit_bytes: int = 10 * 1024 * 1024

    @classmethod
    def from_settings(cls, s: Settings) -> ReportSettingsResource:
        return cls(attach_limit_bytes=s.report_attach_limit_bytes)


class BackendApiResource(dg.ConfigurableResource):
    """The backend API; with no base URL (the embedded default) callbacks are skipped."""

    base_url: str | None = None
    secret_env: str = "NP_BACKEND_API_SECRET"
    timeout_seconds: float = 30.0

    @classmethod
    def from_settings(cls, s: Settings) -> BackendApiResource:
        return cls(base_url=s.backend_api_url, secret_env=s.backend_api_secret_env)

    def api(self) -> BackendApi | None:
        return BackendApi(self.base_url, self.secret_env, self.timeout_seconds) if self.base_url else None


class SearchIndexResource(dg.ConfigurableResource):
    """Per-case full-text search of document text: FTS5 files under NP_HOME, or OpenSearch."""

    backend: str = "fts5"
    root: str = ""
    url: str | None = None
    index_prefix: str = "nextpoint"
    user: str | None = None
    password_env: str = "NP_OPENSEARCH_PASSWORD"
    timeout_seconds: float = 30.0

    _index: SearchIndex | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, s: Settings) -> SearchIndexResource:
        return cls(
            backend=s.search_backend,
            root=str(s.search_dir),
            url=s.opensearch_url,
            index_prefix=s.opensearch_index_prefix,
            user=s.opensearch_user,
            password_env=s.opensearch_password_env,
        )

    def index(self) -> SearchIndex:
        if self._index is None:
            if self.backend == "opensearch":
                self._index = OpenSearchIndex(
                    self.url or "", self.index_prefix, self.user, self.password_env, self.timeout_seconds
                )
            else:
                self._index = Fts5SearchIndex(Path(self.root) if self.root else get_settings().search_dir)
        return self._index


def build_resources(settings: Settings) -> dict[str, object]:
    """Every resource the Definitions bind, from one validated Settings."""
    from dagster_pyspark import PySparkResource

    from resources.spark import spark_config

    return {
        "object_store": ObjectStoreResource.from_settings(settings),
        "databases": DatabaseResource.from_settings(settings),
        "document_engine": DocumentEngineResource.from_settings(settings),
        "event_bus": EventBusResource.from_settings(settings),
        "mailer": MailerResource.from_settings(settings),
        "request_queue": RequestQueueResource.from_settings(settings),
        "backend_api": BackendApiResource.from_settings(settings),
        "report_settings": ReportSettingsResource.from_settings(settings),
        "search_index": SearchIndexResource.from_settings(settings),
        **_io_manager(settings),
        "pyspark": PySparkResource(spark_config=spark_config(settings)),
    }


def _io_manager(settings: Settings) -> dict[str, object]:
    """Small values between steps: on S3 in production, so steps may run on any machine."""
    if settings.object_store != "s3":
        return {}
    from dagster_aws.s3 import S3PickleIOManager, S3Resource

    return {
        "io_manager": S3PickleIOManager(
            s3_resource=S3Resource(endpoint_url=settings.s3_endpoint_url, region_name=settings.aws_region),
            s3_bucket=settings.s3_bucket,
            s3_prefix="dagster/io",
        )
    }
