"""A throwaway PostgreSQL cluster: initdb into a temporary directory, start on a free loopback port, remove on stop.

PostgreSQL refuses to run as root, so when we are root the server binaries run as the ``postgres`` system user
(``runuser -u postgres --``) and the data directory is handed to that user.
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

    def __init__(self, port: int | None = None, dbname: str = "certwatch", keep: bool = False):
        self.port = port or free_port()
        self.dbname = dbname
        self.keep = keep
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
    def start(self) -> "LocalCluster":
        self.root = Path(tempfile.mkdtemp(prefix="distrust-impact-pg-"))
        os.chmod(self.root, 0o755)
        self.sockdir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sockdir, "postgres", "postgres")
        try:
            self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync")
            self._start_server()
            self.running = True
            self._create_database()
        except Exception:
            self.stop()
            raise
        return self

    def _start_server(self) -> None:
        # A throwaway cluster: durability off (fsync, full-page writes), loopback only, its own socket folder.
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.sockdir} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
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
