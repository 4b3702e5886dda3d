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

import datetime as dt
import io
import os
import random
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
from tests import pki
from tests.population import AS_OF, build_population, fetch_ca_all

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
            # every table a page statement reads (revocations and CT read only crl_revoked and ct_log_entry)
            cur.execute("LOCK TABLE certificate, crl_revoked, ct_log_entry IN ACCESS EXCLUSIVE MODE")
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


class Pgbouncer:
    """Debian's pgbouncer in ``pool_mode = statement`` (as crt.sh's public endpoint) in front of ``target_dsn``'s
    database, as the guest role, on a port of its own that survives :meth:`restart`."""

    def __init__(self, target_dsn: str):
        from analysis.localdb.cluster import free_port

        target = psycopg2.extensions.parse_dsn(target_dsn)
        self.folder = Path(tempfile.mkdtemp(prefix="distrust-impact-pgbouncer-"))  # pytest's tmp is 0700 root
        os.chmod(self.folder, 0o755)
        self.port = free_port()
        self.dsn = f"host=127.0.0.1 port={self.port} dbname=certwatch user=guest"
        (self.folder / "userlist.txt").write_text('"guest" ""\n')
        (self.folder / "pgbouncer.ini").write_text(f"""[databases]
certwatch = host=127.0.0.1 port={target['port']} dbname={target['dbname']} user=guest

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = any
auth_file = {self.folder}/userlist.txt
pool_mode = statement
max_client_conn = 50
default_pool_size = 5
logfile = {self.folder}/pgbouncer.log
pidfile = {self.folder}/pgbouncer.pid
""")
        self.cmd = [PGBOUNCER, "-q", str(self.folder / "pgbouncer.ini")]  # -q: log to the logfile only
        self.as_user = {}
        if os.geteuid() == 0:  # pgbouncer refuses to run as root; no runuser in between, so a kill reaches it
            shutil.chown(self.folder, "postgres", "postgres")
            for f in self.folder.iterdir():
                shutil.chown(f, "postgres", "postgres")
            self.as_user = {"user": "postgres", "group": "postgres", "extra_groups": []}
        self.proc: subprocess.Popen | None = None
        self.restarts = 0

    def start(self, wait: float = 15.0) -> "Pgbouncer":
        # never a pipe nobody reads: pgbouncer blocks (and stops serving) once a full pipe buffer is not drained
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **self.as_user)
        deadline = time.monotonic() + wait
        while True:
            try:
                psycopg2.connect(self.dsn, connect_timeout=1).close()
                return self
            except psycopg2.OperationalError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.proc.kill()
                    log = self.folder / "pgbouncer.log"
                    raise RuntimeError(f"pgbouncer did not start: "
                                       f"{log.read_text(errors='replace')[-500:] if log.exists() else 'no log'}"
                                       ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # SIGKILL: every client connection drops at once
            self.proc.wait(10)
        if (self.folder / "pgbouncer.pid").exists():
            (self.folder / "pgbouncer.pid").unlink()

    def restart(self, downtime: float) -> None:
        """Kill the pooler (clients' connections drop), refuse connections for ``downtime`` s, start it again."""
        self.stop()
        time.sleep(downtime)
        self.start()
        self.restarts += 1

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pooler(population):
    """pgbouncer, pool_mode = statement, in front of the population's database (as the guest role)."""
    if not os.path.exists(PGBOUNCER):
        pytest.skip("pgbouncer is not installed (Debian package pgbouncer)")
    bouncer = Pgbouncer(population.dsn)
    try:
        bouncer.start()
    except RuntimeError as exc:
        bouncer.close()
        pytest.fail(str(exc))
    yield bouncer.dsn
    bouncer.close()


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


# -- a hot standby behind a restarting pooler, with faults on a timer ------------------------------------------------
#
# The real thing, scaled down: a primary, a streaming hot standby (hot_standby_feedback off, a short
# max_standby_streaming_delay) and pgbouncer in statement pooling mode in front of the standby; a CA large enough
# that counting its whole range takes longer than the faults leave a statement (PL/Python x509_notAfter per row).
# Faults come on timers, whatever the client is doing: backends on the standby terminated every 0.5–2 s, the pooler
# killed and restarted every 2–5 s, and on the primary an UPDATE + VACUUM every 0.3–1 s that cancels standby
# statements older than it with the real 40001 recovery conflict. Every run must end with exactly the rows of a
# fault-free fetch. DISTRUST_IMPACT_FAULT_RUNS=N runs N seeded runs per profile (default 1; benchmarks/fault_runs.py
# runs 20 and prints the table in docs/queries.md).

LAB_AS_OF = dt.datetime(2019, 5, 17)
LAB_ROWS = 12_000  # leaves of the big CA (+10 % precertificates); the small CA gets a tenth
PROFILES = {  # name: (kill backends, restart the pooler, recovery conflicts)
    "kill+conflicts": (True, False, True),
    "pooler+conflicts": (False, True, True),
    "kill+pooler+conflicts": (True, True, True),
}
# what a run gets: fast backoff (the faults are frequent), and a stall limit far above any healthy gap
LAB_RETRY = crtsh.RetryPolicy(stall=120, base_delay=0.05, max_delay=1.0)


def _lab_leaves(issuer_name, issuer_key, n: int, seed: int) -> list[bytes]:
    from cryptography import x509 as cx509

    rng = random.Random(seed)
    leaf_key = pki.key("fault-lab-leaf")
    out = []
    for i in range(n):
        nb = dt.datetime(2017, 6, 1) + dt.timedelta(seconds=rng.randrange(2 * 365 * 86400))
        na = nb + dt.timedelta(days=rng.choice((365, 730, 825)), seconds=rng.randrange(86400))
        host = f"h{seed}-{i}.example{rng.randrange(200)}.org"
        org = None if rng.random() < 0.3 else f"Organisation {rng.randrange(100)}"
        common = dict(serial=(seed << 32) + i + 1, ca=False, sans=[host], not_before=nb, not_after=na)
        out.append(pki.der(pki.build(pki.name(host, org), leaf_key, issuer_name, issuer_key, **common,
                                     extra=[(cx509.UnrecognizedExtension(pki.SCT_LIST, b"\x04\x02\x00\x00"), False)])))
        if i % 10 == 0:
            out.append(pki.der(pki.build(pki.name(host, org), leaf_key, issuer_name, issuer_key, **common,
                                         extra=[(cx509.UnrecognizedExtension(pki.POISON, b"\x05\x00"), True)])))
    return out


def build_lab_population(dsn: str, folder: Path, rows: int = LAB_ROWS) -> dict:
    """Root → two issuing CAs (loaded by the loader), their leaves COPYed in with the issuer known (PostgreSQL still
    routes each row to its partition and builds every index through the x509_* functions); CT entries for every
    leaf, a CRL entry for one in fifty. Returns the CA ids."""
    from analysis.localdb import load_paths

    root_k, big_k, small_k = pki.key("lab-root"), pki.key("lab-big"), pki.key("lab-small")
    root_n, big_n, small_n = pki.name("Lab Root"), pki.name("Lab Big CA"), pki.name("Lab Small CA")
    far = dt.datetime(2035, 1, 1)
    cas = {"root": pki.build(root_n, root_k, root_n, root_k, serial=1, ca=True, not_after=far),
           "big": pki.build(big_n, big_k, root_n, root_k, serial=2, ca=True, not_after=far),
           "small": pki.build(small_n, small_k, root_n, root_k, serial=3, ca=True, not_after=far)}
    folder.mkdir(parents=True, exist_ok=True)
    for label, cert in cas.items():
        (folder / f"{label}.der").write_bytes(pki.der(cert))
    report = load_paths(dsn, [folder])
    assert not report.bad_files and report.issuer_not_found == 0, report.summary()
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT name, id FROM ca WHERE id > 0")
        by_name = dict(cur.fetchall())
        ids = {label: by_name[f"C=XX, O=Test PKI (synthetic), CN={cn}"]
               for label, cn in (("root", "Lab Root"), ("big", "Lab Big CA"), ("small", "Lab Small CA"))}
        for label, name, key, n, seed in (("big", big_n, big_k, rows, 1), ("small", small_n, small_k, rows // 10, 2)):
            buf = io.StringIO("".join(f"{ids[label]}\t\\\\x{der.hex()}\n"
                                      for der in _lab_leaves(name, key, n, seed)))
            cur.copy_expert("COPY certificate (issuer_ca_id, certificate) FROM STDIN", buf)
        cur.execute("INSERT INTO ct_log (id, operator, url, name) VALUES (1, 'Lab', 'https://ct.example/lab/', 'Lab')")
        cur.execute("""INSERT INTO ct_log_entry (certificate_id, entry_id, entry_timestamp, ct_log_id)
                       SELECT c.id, c.id, timestamp '2017-06-01' + (c.id %% 63072000) * interval '1 second', 1
                       FROM certificate c WHERE c.issuer_ca_id IN (%(big)s, %(small)s)""", ids)
        cur.execute("""INSERT INTO crl_revoked (ca_id, serial_number, reason_code, revocation_date,
                                                last_seen_check_date)
                       SELECT c.issuer_ca_id, x509_serialNumber(c.certificate), 1, timestamp '2019-01-01',
                              timestamp '2019-01-01'
                       FROM certificate c WHERE c.issuer_ca_id IN (%(big)s, %(small)s) AND c.id %% 50 = 0
                       ON CONFLICT DO NOTHING""", ids)
        # the churn that makes recovery conflicts: updated and vacuumed on the primary while the standby reads
        cur.execute("CREATE TABLE fault_churn (id integer PRIMARY KEY, n bigint NOT NULL)")
        cur.execute("INSERT INTO fault_churn SELECT g, 0 FROM generate_series(1, 100) g")
        # a role whose statements the server stops after a while, as crt.sh's statement_timeout does
        cur.execute("CREATE ROLE timeout_guest LOGIN IN ROLE guest")
        cur.execute("ALTER ROLE timeout_guest SET statement_timeout = '300ms'")  # the test sets it to fit
        cur.execute("ALTER ROLE timeout_guest SET default_transaction_read_only = on")
        cur.execute("ANALYZE")
    conn.close()
    return ids


class FaultLab:
    """Primary + streaming hot standby + pgbouncer (statement pooling) in front of the standby, the lab population
    loaded, and the fault-free truth fetched once."""

    def __init__(self, workdir: Path, rows: int = LAB_ROWS):
        from analysis.localdb.cluster import StandbyCluster

        self.workdir = workdir
        self.primary = LocalCluster().start()
        self.standby = self.pooler = None
        try:
            create_schema(self.primary.dsn)
            t = time.monotonic()
            self.ca = build_lab_population(self.primary.dsn, workdir / "cas", rows)
            self.load_seconds = time.monotonic() - t
            self.standby = StandbyCluster(self.primary, streaming_delay_ms=100).start()
            self.pooler = Pgbouncer(self.standby.dsn).start()
            self.truth = crtsh.fetch_ca(self.ca["root"], as_of=LAB_AS_OF, dsn=guest(self.primary.dsn), cache=False)
        except BaseException:
            self.close()
            raise

    def conflicts(self) -> int:
        """Statements the standby cancelled for recovery conflicts so far (pg_stat_database_conflicts)."""
        conn = psycopg2.connect(self.standby.dsn)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT confl_snapshot + confl_lock + confl_bufferpin + confl_deadlock + confl_tablespace "
                        "FROM pg_stat_database_conflicts WHERE datname = current_database()")
            n = cur.fetchone()[0]
        conn.close()
        return int(n)

    def run(self, profile: str, seed: int, cache_dir: Path, **fetch_kw) -> dict:
        """One fetch through the pooler under ``profile``'s faults; whether it ended with exactly the true rows."""
        kill, restart, churn = PROFILES[profile]
        faults = Faults(self, seed, kill=kill, restart=restart, churn=churn)
        conflicts0 = self.conflicts()
        # a lab statement takes at most ~2 s: a client timeout of 20 s ends a statement the pooler holds on a dead
        # server connection (pgbouncer 1.18 can leave a client waiting forever on one) without waiting 300 s
        client = crtsh.Client(self.pooler.dsn, retry=fetch_kw.pop("retry", LAB_RETRY), seed=seed, connect_timeout=2,
                              statement_timeout=20)
        t = time.monotonic()
        error = None
        try:
            with faults:
                result = crtsh.fetch_ca(self.ca["root"], as_of=LAB_AS_OF, client=client, cache_dir=cache_dir,
                                        **fetch_kw)
        except crtsh.CrtshError as exc:
            result, error = None, str(exc)
        finally:
            client.close()
        seconds = time.monotonic() - t
        out = {"profile": profile, "seed": seed, "seconds": seconds, "error": error, "exact": False,
               "kills": faults.kills, "pooler_restarts": faults.restarts, "conflicts": self.conflicts() - conflicts0}
        out.update(statements=client.statements, retries=client.progress.retries, splits=client.progress.splits,
                   timeouts=client.progress.timeouts)  # what the run cost, whether it ended or gave up
        if result is not None:
            out["exact"] = same_rows(result, self.truth)
        return out

    def close(self) -> None:
        for part in (self.pooler, self.standby, self.primary):
            if part is not None:
                try:
                    part.close() if isinstance(part, Pgbouncer) else part.stop()
                except Exception:
                    pass


def same_rows(result: crtsh.FetchResult, truth: crtsh.FetchResult) -> bool:
    try:
        assert_same(result, truth)
    except AssertionError:
        return False
    return True


class Faults:
    """The fault threads of one run, each on its own seeded random timer, for as long as the ``with`` lasts."""

    def __init__(self, lab: FaultLab, seed: int, *, kill: bool, restart: bool, churn: bool):
        self.lab, self.seed = lab, seed
        self.kills = self.restarts = self.churns = 0
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._loop, args=(name, fn, lo, hi), daemon=True)
                        for name, fn, lo, hi, on in (("kill", self._kill, 0.5, 2.0, kill),
                                                     ("restart", self._restart, 2.0, 5.0, restart),
                                                     ("churn", self._churn, 0.3, 1.0, churn)) if on]

    def _loop(self, name, fn, lo, hi):
        rng = random.Random(f"{self.seed}/{name}")
        try:
            while not self.stop.wait(rng.uniform(lo, hi)):
                fn(rng)
        except BaseException as exc:  # surfaced when the run ends
            self.errors.append(exc)

    def _admin(self, dsn: str, statement: str):
        conn = psycopg2.connect(dsn, connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def _kill(self, rng):
        rows = self._admin(self.lab.standby.dsn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                                 "WHERE usename = 'guest' AND backend_type = 'client backend'")
        self.kills += sum(1 for (ok,) in rows if ok)

    def _restart(self, rng):
        self.lab.pooler.restart(rng.uniform(0.1, 0.5))
        self.restarts += 1

    def _churn(self, rng):
        self._admin(self.lab.primary.dsn, "UPDATE fault_churn SET n = n + 1")
        self._admin(self.lab.primary.dsn, "VACUUM fault_churn")
        self.churns += 1

    def __enter__(self) -> "Faults":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(30)
        if self.lab.pooler.proc is None or self.lab.pooler.proc.poll() is not None:
            self.lab.pooler.start()
        assert not self.errors, self.errors


def lab_seed(profile: str, run: int) -> int:
    base = int(os.environ.get("DISTRUST_IMPACT_FAULT_SEED", "20261201"))
    return base + 1000 * list(PROFILES).index(profile) + run


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not os.path.exists(PGBOUNCER):
        pytest.skip("pgbouncer is not installed (Debian package pgbouncer)")
    lab = FaultLab(tmp_path_factory.mktemp("lab"))
    yield lab
    lab.close()


LAB_RUNS = int(os.environ.get("DISTRUST_IMPACT_FAULT_RUNS", "1"))


@pytest.mark.parametrize("run", range(LAB_RUNS))
@pytest.mark.parametrize("profile", list(PROFILES))
def test_fetch_through_a_faulty_pooled_standby_ends_with_exactly_the_rows(lab, tmp_path, profile, run):
    seed = lab_seed(profile, run)
    base_seed = seed - 1000 * list(PROFILES).index(profile) - run
    print(f"profile {profile}, seed {seed} (DISTRUST_IMPACT_FAULT_SEED={base_seed})")
    out = lab.run(profile, seed, tmp_path)
    print(out)
    assert out["error"] is None and out["exact"], out
    kill, restart, _ = PROFILES[profile]
    # the faults did happen when the run outlasted their longest interval (whether one hit a statement is up to the
    # timers: an idle pooled server connection that is killed costs the client nothing in statement pooling)
    assert out["kills"] > 0 or not kill or out["seconds"] < 2, out
    assert out["pooler_restarts"] > 0 or not restart or out["seconds"] < 5, out


def test_a_statement_timeout_shrinks_the_window_instead_of_retrying_it(lab, tmp_path):
    """crt.sh's statement_timeout (57014 "canceling statement due to statement timeout") says the statement is too
    big: the window is split at once, never re-run at the same size; the rows are still exactly the truth. The
    role's timeout is a third of what reading the big CA's whole range of DER takes on this machine now, and the
    fetch plans one page for that whole range (a page size above its rows), so the page must be split (a half takes
    about 1.5 times the limit, a quarter about 0.75). Planning counts no longer parse rows (a skip scan and
    ``count(*)`` per month): they are far under the limit, so they cannot be what is split."""
    count = lab.standby.guest_dsn()
    sql = crtsh.load_queries()["unexpired_certificates_der"].sql
    took = []
    while len(took) < 3:  # timings on a warm backend (PL/Python imports its modules on a backend's first call);
        conn = psycopg2.connect(count)  # autovacuum after the churn can still cancel one (40001): start again
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for i in range(4):
                    t = time.monotonic()
                    cur.execute(sql, {"issuer_ca_id": lab.ca["big"], "as_of": LAB_AS_OF, "window_start": LAB_AS_OF,
                                      "window_end": None})
                    if i:
                        took.append(time.monotonic() - t)
        except psycopg2.OperationalError:
            took.clear()
        finally:
            conn.close()
    limit_ms = max(50, int(min(took) * 1000 / 3))
    admin = psycopg2.connect(lab.primary.dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"ALTER ROLE timeout_guest SET statement_timeout = '{limit_ms}ms'")
    admin.close()
    lab.standby.wait_for_replay()
    probe = psycopg2.connect(count.replace("user=guest", "user=timeout_guest"))
    with probe.cursor() as cur:
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone() == (f"{limit_ms}ms",)
    probe.close()
    windowed = []

    def record(client, info):
        if "window_start" in info.params:
            windowed.append((info.query, tuple(sorted(info.params.items()))))

    client = crtsh.Client(count.replace("user=guest", "user=timeout_guest"), retry=LAB_RETRY,
                          before_statement=record)
    res = crtsh.fetch_ca(lab.ca["root"], as_of=LAB_AS_OF, client=client, cache_dir=tmp_path, page_size=1_000_000)
    assert_same(res, lab.truth)
    s = res.stats
    assert s["timeouts"] >= 1 and s["splits"] >= 1 and s["retries"] == s["timeouts"], (limit_ms, s)
    assert len(windowed) == len(set(windowed)), "a windowed statement ran twice on the same window"
