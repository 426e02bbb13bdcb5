"""Real middleware servers with their real exporters, for tests and drills: MariaDB with
mysqld_exporter 0.14, PostgreSQL with postgres_exporter 0.11, Redis with redis_exporter 1.45
(Debian's packages; the exporters in tools/bin, the servers installed by `make setup`).

Each server runs on a free loopback port in a temporary folder and its exporter scrapes it;
both are stopped and the folder removed when the block ends, however it ends:

    with running_mariadb(max_connections=10) as db:
        db.metrics()                 # the exporter's /metrics, as text
        db.sql("SET GLOBAL max_connections = 5")
        with db.hold_connections(5): # connections that stay open (and idle) in the block
            ...
        db.stop_server()             # the exporter keeps running (and reports mysql_up 0)

    with running_postgres_exporter() as pg:    # pg.server is a support.postgres_server.PostgresServer
        pg.metrics(); pg.stop_server()

    with running_redis(maxmemory="2mb") as r:
        r.command("SET", "k", "v"); r.fill(1_000_000); r.hold_connections(5); r.stop_server()

Every object has `host`, `port` (the server's), `exporter_url` (…/metrics) and `metrics()`.
As root, mariadbd runs with --user=root and PostgreSQL as `nobody` (it refuses root).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import requests

from support.live import _stop, free_port
from support.paths import REPO

TOOLS_BIN = os.path.join(str(REPO), "tools", "bin")
MYSQLD_EXPORTER = os.path.join(TOOLS_BIN, "prometheus-mysqld-exporter")
POSTGRES_EXPORTER = os.path.join(TOOLS_BIN, "prometheus-postgres-exporter")
REDIS_EXPORTER = os.path.join(TOOLS_BIN, "prometheus-redis-exporter")
# The catalog's queries for postgres_exporter (pg_replication_lag, pg_postmaster_start_time_seconds)
CATALOG_QUERIES = os.path.join(str(REPO), "docs", "exporters", "postgres_exporter-queries.yaml")
# The example queries.yaml Debian's prometheus-postgres-exporter ships (make setup unpacks it into
# tools/root); its pg_stat_statements query fails without that extension
PACKAGED_QUERIES = os.path.join(str(REPO), "tools", "root", "usr", "share", "doc", "prometheus-postgres-exporter",
                                "examples", "queries.yaml")
MARIADBD = os.environ.get("MARIADBD", shutil.which("mariadbd") or "/usr/sbin/mariadbd")
MARIADB_INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
MARIADB_CLIENT = shutil.which("mariadb") or "/usr/bin/mariadb"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

START_TIMEOUT_S = 60.0
_POLL_S = 0.1
HOST = "127.0.0.1"


def _log_tail(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()[-3000:]
    except OSError:
        return "(no log)"


def _wait(what: str, check, log_path: str, process: subprocess.Popen | None = None,
          timeout: float = START_TIMEOUT_S) -> None:
    """check() until it returns truthy; RuntimeError with the log after `timeout`, or at once
    when `process` exits."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: process exited ({process.returncode}):\n{_log_tail(log_path)}")
        try:
            if check():
                return
        except (OSError, requests.RequestException, subprocess.SubprocessError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready after {timeout:g} s:\n{_log_tail(log_path)}")
        time.sleep(_POLL_S)


def _port_open(port: int) -> bool:
    with socket.create_connection((HOST, port), timeout=1):
        return True


class _Exporter:
    """The exporter half every server object shares."""

    exporter: subprocess.Popen
    exporter_port: int
    exporter_log: str

    @property
    def exporter_url(self) -> str:
        return f"http://{HOST}:{self.exporter_port}/metrics"

    def metrics(self, timeout: float = 20) -> str:
        resp = requests.get(self.exporter_url, timeout=timeout)
        resp.raise_for_status()
        return resp.text

    def _start_exporter(self, argv: list[str], env: dict[str, str], folder: str, ready_metric: str) -> None:
        self.exporter_port = free_port()
        self.exporter_log = os.path.join(folder, "exporter.log")
        with open(self.exporter_log, "wb") as log_file:
            self.exporter = subprocess.Popen(
                [a.replace("{port}", str(self.exporter_port)) for a in argv], env={**os.environ, **env},
                stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        # ready once a scrape reaches the server (its *_up is 1)
        _wait(f"{os.path.basename(argv[0])}", lambda: f"\n{ready_metric} 1" in "\n" + self.metrics(),
              self.exporter_log, self.exporter)


# --- MariaDB + mysqld_exporter -------------------------------------------------------------------


class MariaDB(_Exporter):
    USER, PASSWORD = "exporter", secrets.token_hex(8)

    def __init__(self, folder: str, port: int, process: subprocess.Popen, log_path: str):
        self.folder, self.host, self.port, self.process, self.log_path = folder, HOST, port, process, log_path
        self.socket = os.path.join(folder, "mysqld.sock")
        self._held: list[subprocess.Popen] = []

    def sql(self, statement: str, timeout: float = 30, check: bool = True) -> str:
        """Run SQL as root over the server's socket; its tab-separated output (with check=False,
        "" when the client fails)."""
        done = subprocess.run([MARIADB_CLIENT, "--no-defaults", f"--socket={self.socket}", "-uroot",
                               "--batch", "--skip-column-names", "-e", statement],
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            if not check:
                return ""
            raise RuntimeError(f"mariadb -e {statement!r} failed ({done.returncode}): {done.stderr}")
        return done.stdout

    def slave_status(self) -> dict[str, str]:
        """SHOW SLAVE STATUS as {column: value}; {} on a server that is no replica."""
        done = subprocess.run([MARIADB_CLIENT, "--no-defaults", f"--socket={self.socket}", "-uroot", "--vertical",
                               "-e", "SHOW SLAVE STATUS"], capture_output=True, text=True, timeout=30)
        pairs = (line.split(":", 1) for line in done.stdout.splitlines() if ":" in line and not line.startswith("*"))
        return {k.strip(): v.strip() for k, v in pairs}

    def replicating(self) -> bool:
        st = self.slave_status()
        return st.get("Slave_IO_Running") == "Yes" and st.get("Slave_SQL_Running") == "Yes"

    @contextlib.contextmanager
    def hold_connections(self, n: int, seconds: int = 600):
        """`n` client connections (as user `app`, no privileges, over TCP) that sleep in the block;
        those the server refuses (max_connections) exit and are counted by the server
        as Aborted_connects (refused after the handshake) or, once the extra admin connection is
        taken as well, Connection_errors_max_connections. The exporter gets in on that extra
        connection when it has CONNECTION ADMIN (exporter_connection_admin), else it is refused
        too (mysql_up 0)."""
        procs = [subprocess.Popen([MARIADB_CLIENT, "--no-defaults", f"-h{HOST}", f"-P{self.port}",
                                   "-uapp", f"-p{self.PASSWORD}", "-e", f"SELECT SLEEP({seconds})"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                 for _ in range(n)]
        try:
            yield procs
        finally:
            for p in procs:
                _stop(p, signal.SIGKILL)

    def stop_server(self) -> None:
        _stop(self.process)

    def start_server(self) -> None:
        """Start it again after stop_server(): same data, port and flags."""
        self.process = _relaunch(self.argv, self.log_path)
        _wait("mariadbd", lambda: self.sql("SELECT 1", timeout=5, check=False).strip() == "1", self.log_path, self.process)


def _relaunch(argv: list[str], log_path: str) -> subprocess.Popen:
    with open(log_path, "ab") as log_file:
        return subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)


def _tear_down(server: _Exporter | None, process: subprocess.Popen | None, folder: str) -> None:
    """Stop a server's exporter and the server (its latest process: restarts replace it), and
    remove its folder, whatever state its start reached."""
    if server is not None and getattr(server, "exporter", None) is not None:
        _stop(server.exporter)
    if process is not None:
        _stop(server.process if server is not None else process)
    shutil.rmtree(folder, ignore_errors=True)


def _mariadb_root() -> list[str]:
    return ["--user=root"] if os.geteuid() == 0 else []


@contextlib.contextmanager
def running_mariadb(max_connections: int = 20, extra_args: tuple[str, ...] = (), *, server_id: int = 1,
                    log_bin: bool = False, replica_of: "MariaDB | None" = None,
                    exporter_args: tuple[str, ...] = (), exporter_connection_admin: bool = True):
    """A fresh MariaDB (datadir in a temporary folder, TCP on loopback) and mysqld_exporter 0.14
    scraping it as a user with the grants the exporter's README asks for; `max_connections`
    10 at least (MariaDB raises anything smaller to 10) (`exporter_args`: more
    flags, e.g. --collect.info_schema.innodb_metrics). `log_bin` writes a binary log, so that
    another server can replicate it; `replica_of` (a MariaDB started with log_bin) makes this
    one its replica (GTID, user `repl`), replicating before the exporter starts.
    `exporter_connection_admin` (the catalog's advice, README "Middleware") grants the exporter's
    user CONNECTION ADMIN, so it still gets in on the extra connection past max_connections and
    reports a full server (MysqlConnectionsRejected) instead of being refused (MysqlDown)."""
    folder = tempfile.mkdtemp(prefix="mw-mariadb-")
    datadir = os.path.join(folder, "data")
    log_path = os.path.join(folder, "mariadb.log")
    server = process = None
    try:
        init = subprocess.run([MARIADB_INSTALL_DB, "--no-defaults", f"--datadir={datadir}", *_mariadb_root(),
                               "--auth-root-authentication-method=socket", "--skip-test-db"],
                              capture_output=True, text=True, timeout=180)
        if init.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
        port = free_port()
        argv = [MARIADBD, "--no-defaults", f"--datadir={datadir}", *_mariadb_root(), f"--port={port}",
                f"--bind-address={HOST}", f"--socket={os.path.join(folder, 'mysqld.sock')}",
                f"--pid-file={os.path.join(folder, 'mysqld.pid')}", f"--max-connections={max_connections}",
                "--skip-name-resolve", "--innodb-buffer-pool-size=16M", f"--server-id={server_id}",
                "--log-bin=mysql-bin" if log_bin else "--skip-log-bin",
                f"--log-error={log_path}", *extra_args]
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        server = MariaDB(folder, port, process, log_path)
        server.argv = argv
        _wait("mariadbd", lambda: server.sql("SELECT 1", timeout=5, check=False).strip() == "1", log_path, process)
        u = f"'{MariaDB.USER}'@'{HOST}'"
        # not in the binary log: a replica creates its own users and must not replay these
        server.sql(f"SET SESSION sql_log_bin = 0; CREATE USER {u} IDENTIFIED BY '{MariaDB.PASSWORD}' WITH MAX_USER_CONNECTIONS 0; "
                   f"GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR, SELECT"
                   f"{', CONNECTION ADMIN' if exporter_connection_admin else ''} ON *.* TO {u}; "
                   f"CREATE USER 'repl'@'{HOST}' IDENTIFIED BY '{MariaDB.PASSWORD}'; "
                   f"CREATE USER 'app'@'{HOST}' IDENTIFIED BY '{MariaDB.PASSWORD}'; "
                   f"GRANT REPLICATION SLAVE ON *.* TO 'repl'@'{HOST}'")
        if replica_of is not None:
            server.sql(f"CHANGE MASTER TO MASTER_HOST='{HOST}', MASTER_PORT={replica_of.port}, MASTER_USER='repl', "
                       f"MASTER_PASSWORD='{MariaDB.PASSWORD}', MASTER_USE_GTID=slave_pos; START SLAVE")
            _wait("replication", server.replicating, log_path, process)
        server._start_exporter(
            [MYSQLD_EXPORTER, "--web.listen-address=127.0.0.1:{port}", *exporter_args],
            {"DATA_SOURCE_NAME": f"{MariaDB.USER}:{MariaDB.PASSWORD}@({HOST}:{port})/"},
            folder, "mysql_up")
        yield server
    finally:
        _tear_down(server, process, folder)


# --- PostgreSQL + postgres_exporter --------------------------------------------------------------


class Postgres(_Exporter):
    def __init__(self, server):
        self.server, self.host, self.port = server, HOST, server.port

    def stop_server(self) -> None:
        _stop(self.server.process, signal.SIGINT)

    def start_server(self) -> None:
        self.server.start()

    @contextlib.contextmanager
    def hold_connections(self, n: int, dbname: str = "postgres"):
        import psycopg
        conns = []
        try:
            for _ in range(n):
                conns.append(psycopg.connect(self.server.dsn(dbname), autocommit=True, connect_timeout=5))
            yield conns
        finally:
            for c in conns:
                c.close()


@contextlib.contextmanager
def running_postgres_exporter(max_connections: int = 100, queries: str | None = CATALOG_QUERIES,
                              exporter_args: tuple[str, ...] = ()):
    """A fresh PostgreSQL (support.postgres_server.running_postgres) and postgres_exporter 0.11
    with its default metrics and `queries` (--extend.query-path; default the catalog's
    docs/exporters/postgres_exporter-queries.yaml, which pg_replication_lag and
    pg_postmaster_start_time_seconds come from; None: none), connected as the superuser."""
    from support.postgres_server import running_postgres

    folder = tempfile.mkdtemp(prefix="mw-pgexp-")
    pg = None
    try:
        with running_postgres(max_connections=max_connections) as server:
            pg = Postgres(server)
            pg._start_exporter(
                [POSTGRES_EXPORTER, "--web.listen-address=127.0.0.1:{port}",
                 *([f"--extend.query-path={queries}"] if queries else []), *exporter_args],
                {"DATA_SOURCE_NAME": server.dsn() + "?sslmode=disable"}, folder, "pg_up")
            yield pg
    finally:
        if pg is not None and getattr(pg, "exporter", None) is not None:
            _stop(pg.exporter)
        shutil.rmtree(folder, ignore_errors=True)


# --- Redis + redis_exporter ----------------------------------------------------------------------


class Redis(_Exporter):
    def __init__(self, folder: str, port: int, process: subprocess.Popen, log_path: str):
        self.folder, self.host, self.port, self.process, self.log_path = folder, HOST, port, process, log_path
        self._held: list[socket.socket] = []

    def command(self, *args: str | bytes | int, timeout: float = 10) -> bytes:
        """One command over RESP; the raw reply (first line or bulk)."""
        with socket.create_connection((HOST, self.port), timeout=timeout) as s:
            s.sendall(_resp(args))
            return _read_reply(s.makefile("rb"))

    def fill(self, nbytes: int, value_size: int = 10_000) -> None:
        """Write about `nbytes` of values (keys fill:0, fill:1, ...) in one pipeline; writes
        past maxmemory evict keys or fail with OOM, per the policy; both are ignored here."""
        value = b"x" * value_size
        n = max(1, nbytes // value_size)
        with socket.create_connection((HOST, self.port), timeout=30) as s:
            s.sendall(b"".join(_resp(("SET", f"fill:{i}", value)) for i in range(n)))
            replies = s.makefile("rb")  # one buffered reader for every reply
            for _ in range(n):
                _read_reply(replies)

    @contextlib.contextmanager
    def hold_connections(self, n: int):
        """`n` idle client connections; past maxclients Redis answers `-ERR max number of clients
        reached` and closes (counted in redis_rejected_connections_total)."""
        socks = []
        try:
            for _ in range(n):
                s = socket.create_connection((HOST, self.port), timeout=5)
                s.sendall(_resp(("PING",)))
                socks.append(s)
            yield socks
        finally:
            for s in socks:
                s.close()

    def stop_server(self) -> None:
        _stop(self.process)

    def start_server(self) -> None:
        """Start it again after stop_server(): same port and flags, empty (no persistence)."""
        self.process = _relaunch(self.argv, self.log_path)
        _wait("redis-server", lambda: self.command("PING", timeout=2) == b"+PONG", self.log_path, self.process)


def _resp(args) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(parts)


def _read_reply(f) -> bytes:
    """One RESP reply from the buffered reader `f`: a bulk string's bytes, else its first line."""
    line = f.readline().rstrip(b"\r\n")
    if line.startswith(b"$") and int(line[1:]) >= 0:
        return f.read(int(line[1:]) + 2)[:-2]
    return line


@contextlib.contextmanager
def running_redis(maxmemory: str = "0", maxclients: int = 100, policy: str = "noeviction",
                  extra_args: tuple[str, ...] = (), replica_of: "Redis | None" = None):
    """A fresh Redis (no persistence, loopback) and redis_exporter 1.45 scraping it.
    `maxmemory` as redis.conf writes it ("2mb"; "0" is unlimited); `replica_of` makes it a
    replica of that Redis, in sync before the exporter starts."""
    folder = tempfile.mkdtemp(prefix="mw-redis-")
    log_path = os.path.join(folder, "redis.log")
    server = process = None
    try:
        port = free_port()
        argv = [REDIS_SERVER, "--port", str(port), "--bind", HOST, "--dir", folder, "--save", "",
                "--appendonly", "no", "--maxmemory", maxmemory, "--maxmemory-policy", policy,
                "--maxclients", str(maxclients),
                *(["--replicaof", HOST, str(replica_of.port)] if replica_of is not None else []), *extra_args]
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        server = Redis(folder, port, process, log_path)
        server.argv = argv
        _wait("redis-server", lambda: server.command("PING", timeout=2) == b"+PONG", log_path, process)
        if replica_of is not None:
            _wait("redis replication", lambda: b"master_link_status:up" in server.command("INFO", "replication"),
                  log_path, process)
        server._start_exporter(
            [REDIS_EXPORTER, "--web.listen-address=127.0.0.1:{port}", f"--redis.addr=redis://{HOST}:{port}"],
            {}, folder, "redis_up")
        yield server
    finally:
        _tear_down(server, process, folder)
