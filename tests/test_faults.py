"""Fault injection into a REAL local PostgreSQL while fetch_ca pages through a CA (no mocks).

Faults hit the fetching backend *during* a statement: a second connection takes an ACCESS EXCLUSIVE lock on
``certificate`` just before the chosen page statement, so that statement waits on the lock; a watcher sees the
backend waiting in pg_stat_activity and cancels it (SQLSTATE 57014, what a replica's recovery conflict or the
client's own timer produce) or terminates it (the connection drops: OperationalError, as when the pooler drops a
conflicted connection), then releases the lock. Also: terminating the idle connection between pages, and stopping
and restarting the whole server mid-fetch (connections refused for a while). Each scenario runs several times with
the faults on different statements, and the result must be exactly the database's rows: nothing lost, nothing twice.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import threading
import time

from pathlib import Path

import pandas as pd
import psycopg2
import psycopg2.extensions
import pytest

from analysis import crtsh
from analysis.localdb import LocalCluster, create_schema
from tests.test_queries import AS_OF, build_population, population  # noqa: F401  (module-scoped fixture)

# The server-side aggregates too, cross-checked against the rows (fetch_ca skips them by default).
fetch_ca_all = functools.partial(crtsh.fetch_ca, aggregates=True)

PAGE_QUERIES = {"unexpired_certificates_der", "unexpired_certificates", "certificate_revocations",
                "earliest_ct_entries", "certificate_counts_by_month", "certificate_aggregates"}
FAST_RETRY = crtsh.RetryPolicy(stall=60, base_delay=0.05, max_delay=1.0)


def guest(dsn: str) -> str:
    return dsn.replace("user=postgres", "user=guest")


def restart(cluster: LocalCluster, downtime: float) -> None:
    """Stop the server (fast shutdown: sessions are terminated) and start it again on the same port."""
    cluster.restart(downtime)


class Injector:
    """``before_statement`` hook: on the chosen page statements (first attempt only) inject ``kind``."""

    def __init__(self, admin_dsn: str, kind: str, at: set[int], cluster: LocalCluster | None = None):
        self.admin_dsn, self.kind, self.at, self.cluster = admin_dsn, kind, at, cluster
        self.count = 0
        self.injected: list[tuple[str, int]] = []
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def __call__(self, client: crtsh.Client, info: crtsh.PageInfo) -> None:
        if info.query not in PAGE_QUERIES or info.attempt != 1:
            return
        self.count += 1
        if self.count not in self.at:
            return
        self.injected.append((info.query, self.count))
        pid = client.backend_pid
        if self.kind == "terminate_idle":
            self._admin(f"SELECT pg_terminate_backend({pid})")
        elif self.kind in ("cancel", "terminate"):
            self._while_running(pid)
        elif self.kind == "restart":
            t = threading.Thread(target=restart, args=(self.cluster, 0.8))
            t.start()
            self.threads.append(t)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:  # until the server refuses connections
                try:
                    psycopg2.connect(self.admin_dsn, connect_timeout=1).close()
                    time.sleep(0.02)
                except psycopg2.OperationalError:
                    break

    def _admin(self, statement: str):
        conn = psycopg2.connect(self.admin_dsn)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return cur.fetchall()
        finally:
            conn.close()

    def _while_running(self, pid: int) -> None:
        locker = psycopg2.connect(self.admin_dsn)  # a transaction holding the lock until the fault is done
        with locker.cursor() as cur:
            cur.execute("LOCK TABLE certificate IN ACCESS EXCLUSIVE MODE")
        fn = "pg_cancel_backend" if self.kind == "cancel" else "pg_terminate_backend"

        def watch():
            try:
                watcher = psycopg2.connect(self.admin_dsn)
                watcher.autocommit = True
                with watcher.cursor() as cur:
                    deadline = time.monotonic() + 20
                    while time.monotonic() < deadline:
                        cur.execute("SELECT wait_event_type, state FROM pg_stat_activity WHERE pid = %s", (pid,))
                        row = cur.fetchone()
                        if row and row[0] == "Lock" and row[1] == "active":  # the page statement is running
                            cur.execute(f"SELECT {fn}(%s)", (pid,))
                            break
                        time.sleep(0.005)
                    else:
                        raise AssertionError("the fetch never waited on the lock")
                watcher.close()
            except BaseException as exc:  # surfaced by the test
                self.errors.append(exc)
            finally:
                locker.rollback()
                locker.close()

        t = threading.Thread(target=watch)
        t.start()
        self.threads.append(t)

    def join(self) -> None:
        for t in self.threads:
            t.join(30)
        assert not self.errors, self.errors


@pytest.fixture(scope="module")
def baseline(population, tmp_path_factory):
    """The fault-free result, per method."""
    return {m: fetch_ca_all(population.ca["R"], as_of=AS_OF, dsn=guest(population.dsn), method=m, cache=False,
                              cache_dir=tmp_path_factory.mktemp("base"))
            for m in ("client", "server")}


def assert_same(result: crtsh.FetchResult, base: crtsh.FetchResult) -> None:
    assert result.certificates["certificate_id"].is_unique
    pd.testing.assert_frame_equal(result.certificates, base.certificates)
    pd.testing.assert_frame_equal(result.revocations, base.revocations)
    pd.testing.assert_frame_equal(result.ct, base.ct)
    pd.testing.assert_frame_equal(result.aggregates, base.aggregates)
    pd.testing.assert_frame_equal(result.hierarchy, base.hierarchy)


# statements (counted over page statements) that get a fault, a different set each run
TARGETS = [{2, 7}, {1, 11, 12}, {5, 20, 31}]


@pytest.mark.parametrize("kind", ["cancel", "terminate", "terminate_idle"])
@pytest.mark.parametrize("run", range(len(TARGETS)))
def test_faults_mid_fetch_lose_and_repeat_nothing(population, baseline, tmp_path, kind, run):
    p = population
    method = "client" if run % 2 == 0 else "server"
    inject = Injector(p.dsn, kind, TARGETS[run])
    client = crtsh.Client(guest(p.dsn), retry=FAST_RETRY, before_statement=inject, seed=run)
    try:
        result = fetch_ca_all(p.ca["R"], as_of=AS_OF, client=client, cache_dir=tmp_path, method=method,
                                page_size=2)
    finally:
        inject.join()
        client.close()
    assert len(inject.injected) == len(TARGETS[run])
    assert result.stats["retries"] == len(TARGETS[run])  # each fault cost exactly one retry
    if kind != "cancel":
        assert result.stats["reconnects"] >= len(TARGETS[run])
    assert_same(result, baseline[method])
    assert len(result.certificates) == 16


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory):
    """A cluster of its own: restarting the session cluster would break other tests' open connections."""
    with LocalCluster() as cluster:
        create_schema(cluster.dsn)
        pop = build_population(cluster.dsn, tmp_path_factory.mktemp("restart"))
        yield cluster, pop


@pytest.mark.parametrize("run", range(2))
def test_server_restart_mid_fetch(own_cluster, tmp_path, run):
    cluster, p = own_cluster
    base = fetch_ca_all(p.ca["R"], as_of=AS_OF, dsn=guest(cluster.dsn), cache=False, cache_dir=tmp_path)
    inject = Injector(cluster.dsn, "restart", {3 + 9 * run}, cluster=cluster)
    client = crtsh.Client(guest(cluster.dsn), retry=FAST_RETRY, before_statement=inject, connect_timeout=2)
    try:
        result = fetch_ca_all(p.ca["R"], as_of=AS_OF, client=client, cache_dir=tmp_path, refresh=True,
                                page_size=2)
    finally:
        inject.join()
        client.close()
    assert inject.injected and result.stats["reconnects"] >= 1 and result.stats["retries"] >= 1
    assert_same(result, base)


# -- through pgbouncer in statement pooling mode, as crt.sh's public endpoint ----------------------------------------

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


@pytest.fixture(scope="module")
def pooler(population, tmp_path_factory):
    """Debian's pgbouncer, pool_mode = statement, in front of the population's database (as the guest role)."""
    if not os.path.exists(PGBOUNCER):
        pytest.skip("pgbouncer is not installed (Debian package pgbouncer)")
    from analysis.localdb.cluster import free_port

    target = psycopg2.extensions.parse_dsn(population.dsn)
    folder = Path(tempfile.mkdtemp(prefix="distrust-impact-pgbouncer-"))  # pytest's tmp is 0700 root
    os.chmod(folder, 0o755)
    port = free_port()
    (folder / "userlist.txt").write_text('"guest" ""\n')
    (folder / "pgbouncer.ini").write_text(f"""[databases]
certwatch = host=127.0.0.1 port={target['port']} dbname={target['dbname']} user=guest

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
auth_file = {folder}/userlist.txt
pool_mode = statement
max_client_conn = 50
default_pool_size = 5
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
""")
    cmd = [PGBOUNCER, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        shutil.chown(folder, "postgres", "postgres")
        for f in folder.iterdir():
            shutil.chown(f, "postgres", "postgres")
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dsn = f"host=127.0.0.1 port={port} dbname=certwatch user=guest"
    deadline = time.monotonic() + 15
    while True:
        try:
            psycopg2.connect(dsn, connect_timeout=1).close()
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"pgbouncer did not start: {proc.stderr.read().decode(errors='replace')[-500:]}")
            time.sleep(0.1)
    yield dsn
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(folder, ignore_errors=True)


def test_the_pooler_refuses_what_crtsh_refuses(pooler):
    conn = psycopg2.connect(pooler)  # psycopg2's default: every statement inside a transaction block
    # pgbouncer 1.18 answers "long transactions not allowed" by closing the connection; newer ones say
    # "transaction blocks not allowed in statement pooling mode"
    with pytest.raises(psycopg2.Error, match="transaction blocks not allowed|long transactions not allowed|"
                                             "server closed the connection unexpectedly"):
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            cur.execute("SELECT 2")
    conn.close()
    conn = psycopg2.connect(pooler)
    conn.autocommit = True
    with pytest.raises(psycopg2.ProgrammingError, match="named cursor"):
        with conn.cursor(name="paging") as cur:
            cur.execute("SELECT 1")
    conn.close()
    with pytest.raises(psycopg2.OperationalError, match="unsupported startup parameter"):
        psycopg2.connect(pooler + " options='-c statement_timeout=1000'")


@pytest.mark.parametrize("method", ["client", "server"])
def test_fetch_through_statement_pooling(pooler, baseline, tmp_path, method):
    res = fetch_ca_all(baseline[method].root_ca_id, as_of=AS_OF, dsn=pooler, cache_dir=tmp_path, method=method,
                         page_size=2)
    assert res.stats["retries"] == 0
    assert_same(res, baseline[method])
