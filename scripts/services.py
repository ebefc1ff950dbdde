"""Real services for tests and benchmarks: private MariaDB and PostgreSQL servers and the moto server.

Each is started on 127.0.0.1 with a free port and stopped by whoever started it.
Credentials are made up at run time; none lives in the repository.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen | None, sig: int = signal.SIGTERM, group: bool = False) -> None:
    """Stop a server (or its whole process group) politely, then for sure."""
    if process is None or process.poll() is not None:
        return
    if group:
        os.killpg(process.pid, sig)
    else:
        process.send_signal(sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait(timeout=10)


@dataclass
class DatabaseServer:
    """A database server for tests: where it listens, who logs in, and (when started here) its process and
    data folder, both gone after stop()."""

    host: str
    port: int
    user: str
    password: str
    process: subprocess.Popen | None = None
    datadir: Path | None = None
    stop_signal = signal.SIGTERM

    def stop(self) -> None:
        stop_process(self.process, self.stop_signal)
        self.process = None
        if self.datadir is not None:
            shutil.rmtree(self.datadir, ignore_errors=True)


class MariaDB(DatabaseServer):
    pass


def _binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or next(
            (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None
        )
        if found:
            return found
    return None


def start_mariadb() -> MariaDB:
    """Start a throw-away MariaDB on a free loopback port (the test command installs the server)."""
    import pymysql

    server = _binary("mariadbd", "mysqld")
    install_db = _binary("mariadb-install-db", "mysql_install_db")
    if not server or not install_db:
        raise RuntimeError(
            "MariaDB is not installed: run scripts/test.sh (it installs mariadb-server), "
            "or set NP_TEST_MYSQL_PORT"
        )
    datadir = Path(tempfile.mkdtemp(prefix="np-mariadb-"))
    user_args = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            install_db,
            "--no-defaults",
            f"--datadir={datadir}/data",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *user_args,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    port = free_port()
    log = open(datadir / "server.log", "wb")  # noqa: SIM115 - the server writes to it until stop()
    # Each server its own temporary folder: two servers sharing /tmp have deleted each other's temp tables.
    (datadir / "tmp").mkdir()
    process = subprocess.Popen(
        [
            server,
            "--no-defaults",
            f"--datadir={datadir}/data",
            f"--socket={datadir}/mysql.sock",
            f"--tmpdir={datadir}/tmp",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=128M",
            "--innodb-flush-log-at-trx-commit=2",
            "--max-connections=200",
            *user_args,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while True:
        try:
            conn = pymysql.connect(host="127.0.0.1", port=port, user="root", password="", connect_timeout=2)
            break
        except pymysql.err.OperationalError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                raise RuntimeError(
                    f"MariaDB did not start: {(datadir / 'server.log').read_text()[-2000:]}"
                ) from None
            time.sleep(0.3)
    password = secrets.token_urlsafe(16)
    with conn.cursor() as cur:
        cur.execute("CREATE USER 'np_test'@'%%' IDENTIFIED BY %s", (password,))
        cur.execute("GRANT ALL PRIVILEGES ON *.* TO 'np_test'@'%'")
        cur.execute("FLUSH PRIVILEGES")
    conn.close()
    return MariaDB("127.0.0.1", port, "np_test", password, process, datadir)


def external_mariadb() -> MariaDB | None:
    """A MariaDB the caller already runs (NP_TEST_MYSQL_PORT, _USER, _PASSWORD)."""
    port = os.environ.get("NP_TEST_MYSQL_PORT")
    if not port:
        return None
    return MariaDB(
        os.environ.get("NP_TEST_MYSQL_HOST", "127.0.0.1"),
        int(port),
        os.environ.get("NP_TEST_MYSQL_USER", "root"),
        os.environ.get("NP_TEST_MYSQL_PASSWORD", ""),
    )


class Postgres(DatabaseServer):
    stop_signal = signal.SIGINT  # "fast" shutdown: does not wait for clients to leave


def _postgres_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres (Debian's layout)."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/postgres")]
    found = [d for d in found if (d / "initdb").exists()]
    if found:
        return max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and Path(initdb).with_name("postgres").exists() else None


def start_postgres() -> Postgres:
    """Start a throw-away PostgreSQL on a free loopback port (the test command installs the server).

    PostgreSQL refuses to run as root: as root, initdb and the server run as the `postgres`
    user (made by the Debian package) on a data folder that user owns.
    """
    import psycopg2

    bindir = _postgres_bin_dir()
    if bindir is None:
        raise RuntimeError(
            "PostgreSQL is not installed: run scripts/test.sh (it installs postgresql), "
            "or set NP_TEST_PG_PORT"
        )
    datadir = Path(tempfile.mkdtemp(prefix="np-postgres-"))
    run_as: dict = {}
    if os.geteuid() == 0:
        import pwd

        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(
                "running as root needs the `postgres` user (apt-get install postgresql)"
            ) from None
        os.chown(datadir, account.pw_uid, account.pw_gid)
        run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    user, password = "np_test", secrets.token_urlsafe(16)
    pwfile = datadir / "pwfile"
    pwfile.write_text(password + "\n")
    if run_as:
        os.chown(pwfile, run_as["user"], run_as["group"])
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    try:
        subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir / "data"),
                "-U",
                user,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            cwd=datadir,
            **run_as,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    port = free_port()
    log = open(datadir / "server.log", "wb")  # noqa: SIM115 - the server writes to it until stop()
    process = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(datadir / "data"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-k",
            str(datadir),
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=datadir,
        **run_as,
    )
    deadline = time.time() + 60
    while True:
        try:
            psycopg2.connect(
                host="127.0.0.1",
                port=port,
                user=user,
                password=password,
                dbname="postgres",
                connect_timeout=2,
            ).close()
            break
        except psycopg2.OperationalError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                raise RuntimeError(
                    f"PostgreSQL did not start: {(datadir / 'server.log').read_text()[-2000:]}"
                ) from None
            time.sleep(0.3)
    return Postgres("127.0.0.1", port, user, password, process, datadir)


def external_postgres() -> Postgres | None:
    """A PostgreSQL the caller already runs (NP_TEST_PG_PORT, _HOST, _USER, _PASSWORD).

    Its user must be allowed to create databases."""
    port = os.environ.get("NP_TEST_PG_PORT")
    if not port:
        return None
    return Postgres(
        os.environ.get("NP_TEST_PG_HOST", "127.0.0.1"),
        int(port),
        os.environ.get("NP_TEST_PG_USER", "postgres"),
        os.environ.get("NP_TEST_PG_PASSWORD", ""),
    )


def start_moto():
    """The moto server (AWS over HTTP) on a free loopback port: (server, endpoint URL)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"
