"""Real services for tests and benchmarks: a private MariaDB server and the moto server.

Each is started on 127.0.0.1 with a free port and stopped by whoever started it.
Credentials are made up at run time; none lives in the repository.
"""

from __future__ import annotations

import os
import secrets
import shutil
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


@dataclass
class MariaDB:
    host: str
    port: int
    user: str
    password: str
    process: subprocess.Popen | None = None
    datadir: Path | None = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
        if self.datadir is not None:
            shutil.rmtree(self.datadir, ignore_errors=True)


def _binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None)
        if found:
            return found
    return None


def start_mariadb() -> MariaDB:
    """Start a throw-away MariaDB on a free loopback port (the test command installs the server)."""
    import pymysql

    server = _binary("mariadbd", "mysqld")
    install_db = _binary("mariadb-install-db", "mysql_install_db")
    if not server or not install_db:
        raise RuntimeError("MariaDB is not installed: run scripts/test.sh (it installs mariadb-server), or set NP_TEST_MYSQL_PORT")
    datadir = Path(tempfile.mkdtemp(prefix="np-mariadb-"))
    user_args = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [install_db, "--no-defaults", f"--datadir={datadir}/data", "--auth-root-authentication-method=normal",
         "--skip-test-db", *user_args],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    port = free_port()
    log = open(datadir / "server.log", "wb")  # noqa: SIM115 - the server writes to it until stop()
    # Each server its own temporary folder: two servers sharing /tmp have deleted each other's temp tables.
    (datadir / "tmp").mkdir()
    process = subprocess.Popen(
        [server, "--no-defaults", f"--datadir={datadir}/data", f"--socket={datadir}/mysql.sock", f"--tmpdir={datadir}/tmp",
         f"--port={port}", "--bind-address=127.0.0.1", "--skip-name-resolve", "--innodb-buffer-pool-size=128M",
         "--innodb-flush-log-at-trx-commit=2", "--max-connections=200", *user_args],
        stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while True:
        try:
            conn = pymysql.connect(host="127.0.0.1", port=port, user="root", password="", connect_timeout=2)
            break
        except pymysql.err.OperationalError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                raise RuntimeError(f"MariaDB did not start: {(datadir / 'server.log').read_text()[-2000:]}") from None
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
        os.environ.get("NP_TEST_MYSQL_HOST", "127.0.0.1"), int(port),
        os.environ.get("NP_TEST_MYSQL_USER", "root"), os.environ.get("NP_TEST_MYSQL_PASSWORD", ""),
    )


def start_moto():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"
