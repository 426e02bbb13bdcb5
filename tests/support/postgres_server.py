"""A real PostgreSQL server (Debian's postgresql-15, `make setup` makes sure it is there) for
the relay's shared store: a new cluster in a temporary folder, password authentication on a
free loopback port, stopped and removed when the block ends, however it ends.

    with running_postgres() as pg:
        dsn = pg.create_database("relay_test")   # postgresql://relay:<password>@127.0.0.1:<port>/relay_test

PostgreSQL refuses to run as root: when the tests do, initdb and postgres run as `nobody`
(setpriv), with the cluster's folder given to that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

import psycopg

from support.live import _stop, free_port

START_TIMEOUT_S = 30.0
USER = "relay"


def find_bindir() -> str:
    """$PG_BINDIR, or the newest /usr/lib/postgresql/<version>/bin holding a postgres binary."""
    env = os.environ.get("PG_BINDIR")
    if env:
        return env
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("no PostgreSQL server: run `make setup` (installs Debian's postgresql-15) or set PG_BINDIR")
    return os.path.dirname(found[-1])


class PostgresServer:
    def __init__(self, bindir: str, folder: str, port: int, password: str, process: subprocess.Popen, log_path: str,
                 argv: list[str] | None = None):
        self.bindir, self.folder, self.port, self.password = bindir, folder, port, password
        self.process, self.log_path, self.argv = process, log_path, argv or []
        self._databases = 0

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited ({self.process.returncode}):\n{self.log()}")
            try:
                psycopg.connect(self.dsn(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"postgres not ready after {START_TIMEOUT_S:g} s:\n{self.log()}") from None
                time.sleep(0.1)

    def start(self) -> None:
        """Start the server again after it was stopped: same data, port and settings."""
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(self.argv, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready()

    def dsn(self, dbname: str = "postgres", password: str | None = None) -> str:
        return f"postgresql://{USER}:{password if password is not None else self.password}@127.0.0.1:{self.port}/{dbname}"

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return fh.read()[-3000:]

    def create_database(self, prefix: str = "relay") -> str:
        """A new, empty database; its connection string."""
        self._databases += 1
        name = f"{prefix}_{self._databases}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def execute(self, dbname: str, sql: str, params=None) -> list[tuple]:
        with psycopg.connect(self.dsn(dbname), autocommit=True) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []


def _as_owner(uid: int | None) -> list[str]:
    return [] if uid is None else ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


@contextlib.contextmanager
def running_postgres(max_connections: int = 100):
    bindir = find_bindir()
    folder = tempfile.mkdtemp(prefix="relay-pg-")
    uid = 65534 if os.geteuid() == 0 else None  # nobody
    if uid is not None:
        os.chown(folder, uid, uid)
    data = os.path.join(folder, "data")
    password = secrets.token_hex(12)
    pwfile = os.path.join(folder, "pw")
    with open(pwfile, "w") as fh:
        fh.write(password + "\n")
    if uid is not None:
        os.chown(pwfile, uid, uid)
    log_path = os.path.join(folder, "postgres.log")
    process = server = None
    try:
        init = subprocess.run([*_as_owner(uid), os.path.join(bindir, "initdb"), "-D", data, "-U", USER,
                               f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C"],
                              capture_output=True, text=True, timeout=120)
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
        port = free_port()
        with open(log_path, "wb") as log_file:
            if uid is not None:
                os.chown(log_path, uid, uid)
            argv = [*_as_owner(uid), os.path.join(bindir, "postgres"), "-D", data, "-p", str(port),
                    "-k", folder, "-c", "listen_addresses=127.0.0.1", "-c", f"max_connections={max_connections}"]
            process = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        server = PostgresServer(bindir, folder, port, password, process, log_path, argv)
        server.wait_ready()
        yield server
    finally:
        if process is not None:
            _stop(server.process if server is not None else process, signal.SIGINT)  # PostgreSQL's fast shutdown
        shutil.rmtree(folder, ignore_errors=True)
