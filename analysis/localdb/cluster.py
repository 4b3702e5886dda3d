"""A throwaway PostgreSQL cluster: initdb into a temporary directory, start on a free loopback port, remove on stop.

PostgreSQL refuses to run as root, so when we are root the server binaries run as the ``postgres`` system user
(``runuser -u postgres --``) and the data directory is handed to that user.

:class:`StandbyCluster` is a read-only hot standby streaming from such a cluster (``pg_basebackup -R``), as crt.sh's
public endpoint is: with ``hot_standby_feedback = off`` and a short ``max_standby_streaming_delay``, vacuuming on the
primary cancels long reads on the standby with the real ``40001`` recovery conflict.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2


class ClusterError(RuntimeError):
    """The local cluster could not be created, started or stopped."""


def find_bindir() -> Path:
    """Where initdb/pg_ctl live: $PG_BINDIR, else the newest Debian /usr/lib/postgresql/N/bin, else PATH."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if candidates:
        return Path(candidates[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterError(
        "PostgreSQL server binaries not found: install Debian's postgresql-15 (and postgresql-plpython3-15), "
        "or set PG_BINDIR to the folder holding initdb and pg_ctl"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    """``with LocalCluster() as cluster: cluster.dsn`` — a fresh database ``certwatch`` owned by ``postgres``."""

    def __init__(self, port: int | None = None, dbname: str = "certwatch", keep: bool = False,
                 settings: dict[str, str] | None = None):
        self.port = port or free_port()
        self.dbname = dbname
        self.keep = keep
        self.settings = dict(settings or {})  # extra server settings (-c name=value)
        self.bindir = find_bindir()
        self.root: Path | None = None
        self.running = False

    # -- process helpers ---------------------------------------------------------------------------------------------
    @property
    def _as_postgres(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = self._as_postgres + [str(self.bindir / args[0]), *args[1:]]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ClusterError(f"{args[0]} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
        return proc

    @property
    def datadir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def sockdir(self) -> Path:
        assert self.root is not None
        return self.root / "sock"

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={self.dbname} user=postgres"

    def guest_dsn(self) -> str:
        """The read-only role, as crt.sh's public endpoint gives it."""
        return f"host=127.0.0.1 port={self.port} dbname={self.dbname} user=guest"

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def _make_root(self, prefix: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        os.chmod(self.root, 0o755)
        self.sockdir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sockdir, "postgres", "postgres")

    _prefix = "distrust-impact-pg-"

    def start(self) -> "LocalCluster":
        self._make_root(self._prefix)
        try:
            self._init_datadir()
            self._start_server()
            self.running = True
            self._when_started()
        except Exception:
            self.stop()
            raise
        return self

    def _init_datadir(self) -> None:
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")

    def _when_started(self) -> None:
        self._create_database()

    def _start_server(self) -> None:
        # A throwaway cluster: durability off (fsync, full-page writes), loopback only, its own socket folder.
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.sockdir} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
                + "".join(f" -c {k}={v}" for k, v in self.settings.items()))
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.root / "server.log"), "-o", opts, "-w",
                  "-t", "60", "start")

    def _create_database(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg2.connect(f"host=127.0.0.1 port={self.port} dbname=postgres user=postgres")
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{self.dbname}" ENCODING UTF8')
        finally:
            conn.close()

    def restart(self, downtime: float = 0.0) -> None:
        """Stop and start the server on the same port (used to test dropped connections)."""
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
        self.running = False
        time.sleep(downtime)
        self._start_server()
        self.running = True

    def log(self) -> str:
        path = self.root / "server.log" if self.root else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def stop(self) -> None:
        if self.running:
            try:
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
            finally:
                self.running = False
        if self.root and not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class StandbyCluster(LocalCluster):
    """A hot standby of ``primary`` (a running :class:`LocalCluster`), streaming, read-only, on its own port.

    ``with StandbyCluster(primary, streaming_delay_ms=100) as standby: standby.dsn`` — created with
    ``pg_basebackup -R`` (the primary's default ``pg_hba.conf`` from ``initdb -A trust`` allows local replication).
    """

    def __init__(self, primary: LocalCluster, *, streaming_delay_ms: int = 100, feedback: bool = False,
                 port: int | None = None, keep: bool = False, settings: dict[str, str] | None = None):
        base = {"hot_standby": "on", "hot_standby_feedback": "on" if feedback else "off",
                "max_standby_streaming_delay": f"{int(streaming_delay_ms)}ms"}
        super().__init__(port=port, dbname=primary.dbname, keep=keep, settings={**base, **(settings or {})})
        self.primary = primary

    _prefix = "distrust-impact-standby-"

    def _init_datadir(self) -> None:
        self._run("pg_basebackup", "-D", str(self.datadir), "-R", "-X", "stream", "-c", "fast",
                  "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres", "--no-sync")

    def _when_started(self) -> None:
        self.wait_for_replay()

    def wait_for_replay(self, timeout: float = 60.0) -> None:
        """Until the standby has replayed everything the primary had done when this was called (the insert position:
        with synchronous_commit off a commit may not be written yet; the WAL writer flushes it within 200 ms)."""
        with psycopg2.connect(self.primary.dsn) as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_current_wal_insert_lsn()")
            lsn = cur.fetchone()[0]
        conn.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = psycopg2.connect(self.dsn, connect_timeout=2)
                conn.autocommit = True
                try:
                    with conn.cursor() as cur:
                        cur.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,))
                        if cur.fetchone()[0]:
                            return
                finally:
                    conn.close()
            except psycopg2.OperationalError:
                pass
            if time.monotonic() > deadline:
                raise ClusterError(f"the standby did not replay up to {lsn} within {timeout:g} s")
            time.sleep(0.1)
