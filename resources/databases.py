"""Case and core databases: one SQLite file per case (embedded default) or MySQL/MariaDB.

One SQLAlchemy code path serves both. Each database has a writer engine and a
reader engine (a read replica host on MySQL, a read-only connection on SQLite).
A case database is never created by connecting to it: a missing one is a
`CaseDatabaseMissing` error that names the case.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from domain.errors import CaseDatabaseMissing, RetryableError
from domain.keys import validate_case_id
from domain.schema import case_metadata, core_metadata, platform_metadata

if TYPE_CHECKING:  # the resource declares the configuration; this module only reads it
    from resources.dagster_resources import DatabaseResource

_MYSQL_UNKNOWN_DATABASE = 1049
_MYSQL_RETRYABLE = {1205, 1213, 2003, 2006, 2013}  # lock wait, deadlock, gone away, lost connection


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


class Databases:
    """Engines for the core database and every case database, cached per name."""

    def __init__(self, config: DatabaseResource) -> None:
        """`config` is a `DatabaseResource` with its values read (see `DatabaseResource.databases`)."""
        self.config = config
        self.password = config.secret_of("password")  # read per new connection (rotation: no restart)
        self._engines: dict[tuple[str, str], Engine] = {}
        self._lock = threading.Lock()

    # Names -----------------------------------------------------------------
    def case_db_name(self, case_id: object) -> str:
        return f"{self.config.name_prefix}_{validate_case_id(case_id)}"

    @property
    def core_db_name(self) -> str:
        return self.config.core_db_name

    def sqlite_path(self, db_name: str) -> Path:
        return Path(self.config.sqlite_dir) / f"{db_name}.sqlite"

    # Engines ---------------------------------------------------------------
    def case_writer(self, case_id: object) -> Engine:
        return self._engine(self.case_db_name(case_id), "writer", case_id=case_id)

    def case_reader(self, case_id: object) -> Engine:
        return self._engine(self.case_db_name(case_id), "reader", case_id=case_id)

    def core_writer(self) -> Engine:
        return self._engine(self.core_db_name, "writer")

    def core_reader(self) -> Engine:
        return self._engine(self.core_db_name, "reader")

    def platform(self) -> Engine:
        """The platform's own database, created with its tables on first use."""
        name = self.config.platform_db_name
        with self._lock:
            engine = self._engines.get((name, "writer"))
        return engine if engine is not None else self._create(name, platform_metadata)

    def jdbc(self, db_name: str, role: str = "writer") -> dict[str, str | None]:
        """Where Spark finds a database: JDBC url, driver, user, the *name* of the password's
        environment variable and its Secrets Manager id (the password itself never leaves this
        process's environment)."""
        if self.config.backend == "sqlite":
            return {
                "url": f"jdbc:sqlite:{self.sqlite_path(db_name)}",
                "driver": "org.sqlite.JDBC",
                "user": None,
                "password_env": None,
                "password_secret_id": None,
            }
        host = self.config.reader_host if role == "reader" and self.config.reader_host else self.config.host
        options = "useUnicode=true&characterEncoding=utf8&rewriteBatchedStatements=true&useBulkStmts=true"
        return {
            "url": f"jdbc:mysql://{host}:{self.config.port}/{db_name}?{options}",
            "driver": "org.mariadb.jdbc.Driver",
            "user": self.config.user,
            "password_env": self.password.name,
            "password_secret_id": self.password.secret_id,
        }

    def _engine(self, db_name: str, role: str, case_id: object | None = None) -> Engine:
        with self._lock:
            engine = self._engines.get((db_name, role))
            if engine is None:
                if not self.exists(db_name):
                    raise CaseDatabaseMissing(
                        f"The database {db_name} does not exist.", case_id=case_id, database=db_name
                    )
                engine = self._make_engine(db_name, role)
                self._engines[(db_name, role)] = engine
            return engine

    def _make_engine(self, db_name: str, role: str) -> Engine:
        if self.config.backend == "sqlite":
            path = self.sqlite_path(db_name)
            mode = "ro" if role == "reader" else "rw"
            engine = create_engine(
                f"sqlite:///file:{path}?mode={mode}&uri=true",
                poolclass=NullPool,
                connect_args={"timeout": 30, "check_same_thread": False},
            )
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(
            self._mysql_url(db_name, role),
            pool_size=self.config.pool_size,
            pool_pre_ping=True,
            pool_recycle=1800,
            isolation_level="READ COMMITTED",
            # GROUP_CONCAT silently cuts at 1,024 bytes by default: a report would lose labels.
            connect_args={"init_command": "SET SESSION group_concat_max_len = 16777216"},
        )

    def _mysql_url(self, db_name: str | None, role: str) -> URL:
        host = self.config.reader_host if role == "reader" and self.config.reader_host else self.config.host
        return URL.create(
            "mysql+pymysql",
            username=self.config.user,
            password=self.password.get_if_set() or None,
            host=host,
            port=self.config.port,
            database=db_name,
            query={"charset": "utf8mb4"},
        )

    # Locks -----------------------------------------------------------------
    @contextlib.contextmanager
    def case_lock(self, case_id: object, name: str, timeout_seconds: int = 900) -> Iterator[None]:
        """A named lock of one case held across processes and machines: MySQL GET_LOCK, or a
        file lock beside the SQLite file. Waiting longer than the timeout is a retryable error."""
        db_name = self.case_db_name(case_id)
        busy = RetryableError(
            f"Another run holds the {name} lock of case {case_id}; the work will be retried."
        )
        if self.config.backend == "sqlite":
            self._engine(db_name, "writer", case_id=case_id)  # a missing case fails here, by name
            with open(self.sqlite_path(db_name).with_suffix(f".{name}.lock"), "a+") as handle:
                deadline = time.monotonic() + timeout_seconds
                while True:
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise busy from None
                        time.sleep(0.2)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
            return
        lock_name = f"{db_name}:{name}"[:64]
        with self.case_writer(case_id).connect() as conn:
            if (
                conn.execute(text("SELECT GET_LOCK(:n, :t)"), {"n": lock_name, "t": timeout_seconds}).scalar()
                != 1
            ):
                raise busy
            try:
                yield
            finally:
                conn.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": lock_name})

    # Existence and creation ------------------------------------------------
    def exists(self, db_name: str) -> bool:
        if self.config.backend == "sqlite":
            return self.sqlite_path(db_name).is_file()
        server = create_engine(self._mysql_url(None, "writer"), poolclass=NullPool)
        try:
            with server.connect() as conn:
                found = conn.execute(
                    text("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :n"),
                    {"n": db_name},
                ).first()
        except OperationalError as exc:
            raise _classify(exc, db_name) from exc
        finally:
            server.dispose()
        return found is not None

    def case_exists(self, case_id: object) -> bool:
        return self.exists(self.case_db_name(case_id))

    def create_case_database(self, case_id: object) -> Engine:
        """Create a case database with the contract's tables (demo data and tests)."""
        return self._create(self.case_db_name(case_id), case_metadata)

    def create_core_database(self) -> Engine:
        return self._create(self.core_db_name, core_metadata)

    def drop_database(self, db_name: str) -> None:
        self.forget(db_name)
        if self.config.backend == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.sqlite_path(db_name)}{suffix}").unlink(missing_ok=True)
            return
        server = create_engine(self._mysql_url(None, "writer"), poolclass=NullPool)
        with server.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{db_name}`"))
        server.dispose()

    def _create(self, db_name: str, metadata) -> Engine:
        if self.config.backend == "sqlite":
            path = self.sqlite_path(db_name)
            path.parent.mkdir(parents=True, exist_ok=True)
            bootstrap = create_engine(f"sqlite:///{path}", poolclass=NullPool)
            with bootstrap.begin() as conn:
                conn.execute(text("PRAGMA journal_mode = WAL"))
            bootstrap.dispose()
        else:
            server = create_engine(self._mysql_url(None, "writer"), poolclass=NullPool)
            with server.begin() as conn:
                # db_name is built from validated settings and an int case id, never user text.
                conn.execute(
                    text(
                        f"CREATE DATABASE IF NOT EXISTS `{db_name}`"
                        " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                    )
                )
            server.dispose()
        engine = self._engine(db_name, "writer")
        metadata.create_all(engine)
        return engine

    def forget(self, db_name: str) -> None:
        with self._lock:
            for role in ("writer", "reader"):
                engine = self._engines.pop((db_name, role), None)
                if engine is not None:
                    engine.dispose()

    def dispose(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


def _classify(exc: OperationalError, db_name: str) -> Exception:
    code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
    if code == _MYSQL_UNKNOWN_DATABASE:
        return CaseDatabaseMissing(f"The database {db_name} does not exist.", database=db_name)
    if code in _MYSQL_RETRYABLE:
        return RetryableError(
            "The database is busy or unreachable; the work will be retried.", database=db_name
        )
    return exc
