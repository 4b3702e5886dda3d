"""The crt.sh client: named queries (``queries/*.sql``), bounded pages, retries, and the Parquet cache.

Written for crt.sh's public endpoint as ``docs/queries.md`` describes it: read-only hot-standby replicas
behind a pooler in *statement* pooling mode. Hence:

* psycopg2 in **autocommit**, one statement at a time, **no named cursors, no transaction blocks, no session SET**;
  timeouts are client-side: ``connect_timeout`` and a per-statement :class:`threading.Timer` that calls
  ``conn.cancel()``.
* Large results come in **bounded pages that are idempotent key ranges**: per issuing CA, windows
  ``[start, end)`` of crt.sh's partition key ``coalesce(x509_notAfter(certificate), 'infinity')``, planned from
  per-month counts so that a page holds at most ``page_size`` rows (a month over the limit is bisected; only
  certificates sharing one notAfter second can exceed it). Each finished page is kept on disk
  (:class:`analysis.cache.Journal`), so memory stays one page and a re-run resumes where a failed run stopped.
* **Adaptive statements.** Every statement over a window (the counts that plan the pages included) is split into
  two half windows when it failed ``RetryPolicy.split_after`` times in a row or hit a statement timeout (SQLSTATE
  57014 from crt.sh's ``statement_timeout``, or the client's timer), down to one second of notAfter, until it fits
  between the faults; the pieces that succeeded are kept and never run again.
* **Transient failures** — ``40001`` recovery conflicts, ``57014`` cancellations, ``57P0x`` shutdowns, dropped
  connections (``OperationalError``/``InterfaceError``), a pooler refusing connections — are retried with
  exponential backoff and a new connection, for as long as the time budget allows (:class:`RetryPolicy`: give up
  after ``stall`` seconds without a successful statement, or at a total ``deadline``). A retried statement re-runs
  the same key range, so the result has exactly the database's rows; certificate ids are checked across pages and
  any duplicate is an error.
* One clear line when crt.sh cannot be reached or the budget runs out: :class:`CrtshUnavailable` (a
  :class:`CrtshError`) saying what was fetched, where it is kept and the command that resumes; the CLI prints it
  without a traceback.

Field extraction: ``method="client"`` (the default; see docs/queries.md for the measurement) fetches the DER over
the same index range (``unexpired_certificates_der.sql``) and parses each certificate once with
:mod:`analysis.x509`; ``method="server"`` runs crt.sh's ``x509_*`` functions (``unexpired_certificates.sql``). Both
produce the same certificates frame (docs/design.md), byte for byte.

Public API: :func:`fetch_ca` → :class:`FetchResult`; :class:`Client` (``run``, ``run_windows``, ``plan_windows``);
:class:`RetryPolicy`; :func:`resume_command`;
:func:`certificates_frame` / :func:`extract_fields` (row conversion); :func:`add_fetch_parser` (CLI).
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import hashlib
import inspect
import os
import random
import re
import shlex
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import psycopg2
import psycopg2.extensions
import pyarrow as pa

from analysis import config, x509
from analysis.cache import Bundle, CacheError, Journal, ResultCache, cache_key, utc_now
from analysis.querylib import Query, QueryError, load_queries  # noqa: F401  (QueryError re-exported)

__all__ = [
    "CrtshError", "CrtshUnavailable", "CacheMiss", "RetryPolicy", "Progress", "Window", "Client", "FetchResult",
    "fetch_ca",
    "resume_command", "is_statement_timeout",
    "load_cached", "certificates_frame", "extract_fields", "resolve_dsn", "public_dsn", "add_fetch_parser",
    "CERTIFICATE_COLUMNS", "DEFAULT_METHOD", "QueryError",
]

DEFAULT_METHOD = "client"  # chosen by benchmarks/bench_queries.py, reasoning in docs/queries.md
# Above this many unexpired certificate rows a fetch takes only the server-side aggregates (certificate_aggregates):
# rows cost ~3 KB each on the client (frames + normalisation), so 2 million stay well inside a laptop's memory.
DEFAULT_MAX_ROWS = 2_000_000
CANCEL_GRACE = 5.0  # seconds a timed-out statement gets to answer its cancel before the socket is shut down
CERTIFICATE_COLUMNS = (
    "certificate_id", "issuer_ca_id", "issuer_name", "sha256", "serial_number", "not_before", "not_after",
    "subject_o", "subject_cn", "dns_names", "policy_oids", "is_precertificate", "is_server_auth", "dedup_key",
    "parse_error",
)
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"  # RFC 5280 id-kp-serverAuth
PARSE_ERROR = "unparsable certificate: crt.sh's x509_* functions return ERROR!/NULL for it"

CERTIFICATES_SCHEMA = pa.schema([
    ("certificate_id", pa.int64()), ("issuer_ca_id", pa.int64()), ("issuer_name", pa.string()),
    ("sha256", pa.string()), ("serial_number", pa.string()), ("not_before", pa.timestamp("ns")),
    ("not_after", pa.timestamp("ns")), ("subject_o", pa.string()), ("subject_cn", pa.string()),
    ("dns_names", pa.list_(pa.string())), ("policy_oids", pa.list_(pa.string())), ("is_precertificate", pa.bool_()),
    ("is_server_auth", pa.bool_()), ("dedup_key", pa.string()), ("parse_error", pa.string()),
])
REVOCATIONS_SCHEMA = pa.schema([("certificate_id", pa.int64()), ("revocation_date", pa.timestamp("ns")),
                                ("reason_code", pa.int64())])
CT_SCHEMA = pa.schema([("certificate_id", pa.int64()), ("earliest_entry", pa.timestamp("ns"))])


# --------------------------------------------------------------------------------------------------------------------
# Errors, connection strings


class CrtshError(RuntimeError):
    """A fetch failed; ``str(exc)`` is one line fit for the CLI."""


class CrtshUnavailable(CrtshError):
    """crt.sh (or the configured database) could not be reached, or kept failing after the retries."""


class CacheMiss(CrtshError):
    """``fetch_ca(offline=True)`` found no valid cached result for these inputs."""


def resolve_dsn(dsn: str | None) -> str:
    """``None`` or ``"crtsh"`` → crt.sh's public endpoint (analysis.config.CRTSH_DSN); anything else as given."""
    return config.CRTSH_DSN if dsn in (None, "crtsh") else dsn


_PUBLIC_DSN_KEYS = ("host", "hostaddr", "port", "dbname", "user", "sslmode")


def public_dsn(dsn: str) -> str:
    """The DSN reduced to where it points (host, port, database, user, sslmode): no password, sslpassword or other
    secret is ever recorded in provenance, cache keys or notebooks. Quoted properly, so it parses back."""
    try:
        parts = psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        return "an unparsable DSN"
    return psycopg2.extensions.make_dsn(**{k: parts[k] for k in _PUBLIC_DSN_KEYS if k in parts})


def _where(dsn: str) -> str:
    try:
        p = psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        return "the database"
    return f"{p.get('host', 'localhost')}:{p.get('port', 5432)}/{p.get('dbname', '')}"


def _one_line(exc: BaseException) -> str:
    text = (getattr(exc, "pgerror", None) or str(exc) or type(exc).__name__).strip()
    return " ".join(text.split())[:300]


# psycopg2 maps 40001 (recovery conflict / serialization), 57014 (cancel), 57P01-03 (shutdown), 53300 (too many
# connections) and connection failures to OperationalError; a dropped socket may surface as InterfaceError.
TRANSIENT_SQLSTATES = {"40001", "40P01", "57014", "57P01", "57P02", "57P03", "53300", "53400", "08000", "08001",
                       "08003", "08004", "08006"}


# connection failures that no retry will cure
_PERMANENT_CONNECT = re.compile(r"could not translate host name|password authentication failed|"
                                r"database \"[^\"]*\" does not exist|role \"[^\"]*\" does not exist|"
                                r"no pg_hba.conf entry")


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)):
        return True
    return getattr(exc, "pgcode", None) in TRANSIENT_SQLSTATES


def is_statement_timeout(exc: BaseException) -> bool:
    """SQLSTATE 57014 raised by the server's ``statement_timeout`` (crt.sh sets one): the statement is too big for
    the server, so retrying it unchanged cannot help — its window is split instead. A cancellation (a recovery
    conflict, ``pg_cancel_backend``) has the same SQLSTATE but another message, and is retried."""
    return getattr(exc, "pgcode", None) == "57014" and "statement timeout" in str(exc)


@dataclass(frozen=True)
class RetryPolicy:
    """When a failing statement is retried, split, or given up: a time budget and a rule, not a count.

    A transient failure is retried after a backoff (``base_delay`` doubled per consecutive failure up to
    ``max_delay``, ±25 % jitter). A statement over a key window that failed ``split_after`` times in a row, or hit a
    statement timeout once, is split into two half windows (down to one second of notAfter). The fetch gives up
    only when no statement has succeeded for ``stall`` seconds, or when ``deadline`` seconds (None = no limit) have
    passed since it started; then every page already fetched stays in the cache and the error says how to resume.
    """

    stall: float = 600.0
    deadline: float | None = None
    split_after: int = 2
    base_delay: float = 0.25
    max_delay: float = 8.0

    def __post_init__(self):
        if not self.stall > 0 or (self.deadline is not None and not self.deadline > 0) or self.split_after < 1:
            raise CrtshError(f"invalid retry policy {self}: stall and deadline must be > 0, split_after >= 1")

    def delay(self, attempt: int, rng: random.Random) -> float:
        d = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return d * (0.75 + 0.5 * rng.random())


class _SplitWindow(Exception):
    """Internal: a windowed statement keeps failing (or timed out); its caller splits the window."""


@dataclass
class Progress:
    rows: int = 0
    pages: int = 0
    cas_done: int = 0
    cas_total: int = 0
    retries: int = 0
    reconnects: int = 0
    splits: int = 0  # windows split because a statement over them kept failing or timed out
    timeouts: int = 0  # statement timeouts (server statement_timeout or the client's timer)
    pages_total: int = 0
    resumed_pages: int = 0  # pages read back from an earlier, unfinished run
    ca_id: int | None = None
    phase: str = ""

    def line(self) -> str:
        pages = f"{self.pages}/{self.pages_total}" if self.pages_total else str(self.pages)
        return (f"{self.phase}: {self.rows:,} rows, {pages} pages, CAs {self.cas_done}/{self.cas_total}"
                + (f", retries {self.retries}" if self.retries else "")
                + (f", splits {self.splits}" if self.splits else ""))


def stderr_progress(p: Progress) -> None:
    print("\r" + p.line().ljust(78), end="", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Window:
    """Key range [start, end) of the partition key; end None = unbounded (includes 'infinity')."""

    start: dt.datetime
    end: dt.datetime | None

    def params(self) -> dict:
        return {"window_start": self.start, "window_end": self.end}

    def split(self) -> tuple["Window", "Window"] | None:
        """Two windows tiling this one, or None when it cannot be split (one second, or the 'infinity' key). A
        bounded window is halved (to the second); an unbounded one gives up its first 400 days (most unexpired
        certificates expire within 13 months; what lies beyond is peeled off 400 days at a time)."""
        if self.end is None:
            if self.start >= _INFINITY_START:
                return None
            mid = min(self.start + _PEEL, _INFINITY_START)
        else:
            if self.end - self.start <= dt.timedelta(seconds=1):
                return None
            mid = (self.start + (self.end - self.start) / 2).replace(microsecond=0)
            if mid <= self.start:
                return None
        return Window(self.start, mid), Window(mid, self.end)

    def text(self) -> str:
        return f"[{self.start:%Y-%m-%d %H:%M:%S}, {'∞' if self.end is None else f'{self.end:%Y-%m-%d %H:%M:%S}'})"

    def key(self) -> str:
        return f"{self.start:%Y%m%dT%H%M%S}-{'inf' if self.end is None else f'{self.end:%Y%m%dT%H%M%S}'}"

    def as_json(self) -> list:
        return [self.start.isoformat(), None if self.end is None else self.end.isoformat()]

    @staticmethod
    def from_json(v) -> "Window":
        return Window(dt.datetime.fromisoformat(v[0]), None if v[1] is None else dt.datetime.fromisoformat(v[1]))


@dataclass(frozen=True)
class PageInfo:
    query: str
    params: Mapping
    page: int  # 1-based count of statements run by this client
    attempt: int


def to_naive_utc(value) -> dt.datetime:
    """A datetime/date/ISO string as a naive datetime holding UTC (crt.sh's timestamp without time zone)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _loaded_libpq():
    """The libpq psycopg2 is running on (already in this process), through ctypes; None when not found."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "libpq" in line and "/" in line}
        for path in sorted(paths):
            lib = ctypes.CDLL(path)  # the library already loaded: the same code and structures as psycopg2's
            lib.PQgetCancel.restype = ctypes.c_void_p
            lib.PQgetCancel.argtypes = [ctypes.c_void_p]
            lib.PQcancel.restype = ctypes.c_int
            lib.PQcancel.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
            lib.PQfreeCancel.restype = None
            lib.PQfreeCancel.argtypes = [ctypes.c_void_p]
            return lib
    except (OSError, AttributeError):
        pass
    return None


_LIBPQ = _loaded_libpq()


def _canceller(conn) -> Callable[[], None]:
    """A function that sends a cancel request for the connection's running statement, made while the connection is
    known to be open (the function itself no longer touches the connection). psycopg2's ``conn.cancel()`` holds the
    GIL while libpq waits for the server to close the cancel connection — a pooler that stopped answering would
    freeze the whole process, the timer that cuts the socket included — so libpq's thread-safe ``PQcancel`` is
    called through ctypes, which releases the GIL; ``conn.cancel()`` when libpq cannot be found."""

    def fallback():
        try:
            conn.cancel()
        except psycopg2.Error:
            pass

    ptr = getattr(conn, "pgconn_ptr", None) if _LIBPQ is not None else None
    handle = _LIBPQ.PQgetCancel(ptr) if ptr else None
    if not handle:
        return fallback

    def send():
        try:
            _LIBPQ.PQcancel(handle, ctypes.create_string_buffer(256), 256)
        finally:
            _LIBPQ.PQfreeCancel(handle)

    return send


# --------------------------------------------------------------------------------------------------------------------
# The client


class Client:
    """One autocommit connection, re-made after a failure; every statement is retried on transient errors."""

    def __init__(self, dsn: str | None = None, *, connect_timeout: int = 15, statement_timeout: float = 300.0,
                 retry: RetryPolicy = RetryPolicy(), application_name: str = "distrust-impact",
                 queries: Mapping[str, Query] | None = None, before_statement: Callable[["Client", PageInfo], None]
                 | None = None, seed: int = 0):
        self.dsn = resolve_dsn(dsn)
        self.connect_timeout = connect_timeout
        self.statement_timeout = statement_timeout
        self.retry = retry
        self.application_name = application_name
        self.queries = dict(queries) if queries is not None else load_queries()
        self.before_statement = before_statement
        self.progress = Progress()
        self.statements = 0
        self._rng = random.Random(seed)
        self._conn = None
        self._timed_out = False
        self._failures = 0  # consecutive failed attempts, any statement (the backoff grows with them)
        self._depth: dict[str, int] = {}  # per windowed query: how many halvings the last window needed
        self.begin()

    def begin(self) -> None:
        """Start the retry budget's clocks (``fetch_ca`` calls this: each fetch has its own budget)."""
        self._started = self._last_success = time.monotonic()

    # -- connection --------------------------------------------------------------------------------------------------
    def _connect(self):
        if self._conn is not None and not self._conn.closed:
            return self._conn
        if self._conn is not None:
            self.progress.reconnects += 1
        # No `options` (a pooler rejects startup parameters) and no SET: nothing that outlives a statement.
        conn = psycopg2.connect(self.dsn, connect_timeout=self.connect_timeout,
                                application_name=self.application_name)
        conn.autocommit = True
        self._conn = conn
        return conn

    @property
    def backend_pid(self) -> int | None:
        """The server process of the current connection (None when disconnected)."""
        if self._conn is None or self._conn.closed:
            return None
        return self._conn.get_backend_pid()

    def close(self) -> None:
        if self._conn is not None and not self._conn.closed:
            self._conn.close()

    def _drop(self) -> None:
        try:
            if self._conn is not None and not self._conn.closed:
                self._conn.close()
        except psycopg2.Error:
            pass

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- statements --------------------------------------------------------------------------------------------------
    def _execute(self, conn, query: Query, params: dict) -> tuple[list[str], list[tuple]]:
        """One statement under the client-side timer: when it fires, ``conn.cancel()`` (→ SQLSTATE 57014); if the
        statement still has not ended ``CANCEL_GRACE`` seconds later — a pooler can hold a client on a server
        connection that died, and then no answer and no cancel ever comes — the socket is shut down, which ends the
        statement with a dropped connection."""
        self._timed_out = False
        guard = threading.Lock()  # the timers touch the connection only while the statement runs
        running = [True]

        def cancel():
            self._timed_out = True
            with guard:
                if not running[0]:
                    return
                send = _canceller(conn)
            send()

        def cut():  # on its own timer: the cancel itself may never return
            with guard:
                if not running[0]:
                    return
                try:
                    fd = os.dup(conn.fileno())
                except (OSError, psycopg2.Error):
                    return
            with socket.socket(fileno=fd) as sock:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timers = [threading.Timer(self.statement_timeout, cancel),
                  threading.Timer(self.statement_timeout + CANCEL_GRACE, cut)]
        for t in timers:
            t.daemon = True
            t.start()
        try:
            with conn.cursor() as cur:  # a client-side cursor: no named (server-side) cursors through a pooler
                cur.execute(query.sql, params)
                cols = [d.name for d in cur.description]
                return cols, cur.fetchall()
        finally:
            for t in timers:
                t.cancel()
            with guard:
                running[0] = False

    def run(self, name: str, params: Mapping, *, splittable: bool = False) -> tuple[list[str], list[tuple]]:
        """Run a named query, retrying transient failures until the :class:`RetryPolicy` budget runs out
        (:class:`CrtshUnavailable`); returns (column names, rows). With ``splittable`` (a statement over a window
        that can still be split), raises :class:`_SplitWindow` instead of retrying once the statement failed
        ``split_after`` times or hit a statement timeout."""
        query = self.queries[name]
        bound = query.bind(params)  # QueryError before anything is sent
        attempt = failed_here = 0
        last = None
        while True:
            attempt += 1
            self._check_budget(name, bound, last)
            self.statements += 1
            if self.before_statement is not None:
                self.before_statement(self, PageInfo(name, bound, self.statements, attempt))
            connected = False
            try:
                conn = self._connect()
                connected = True
                result = self._execute(conn, query, bound)
                self._failures = 0
                self._last_success = time.monotonic()
                return result
            except psycopg2.Error as exc:
                if not is_transient(exc):
                    raise CrtshError(f"query {name} failed: {_one_line(exc)}") from None
                if _PERMANENT_CONNECT.search(str(exc)):
                    raise CrtshUnavailable(f"cannot connect to {_where(self.dsn)}: {_one_line(exc)}") from None
                timed_out = self._timed_out or is_statement_timeout(exc)
                last = (f"statement exceeded the client timeout of {self.statement_timeout:g} s" if self._timed_out
                        else _one_line(exc))
                # a cancelled statement (timeout, recovery conflict) leaves its connection usable: keep it (a new one
                # costs a round of authentication through the pooler); anything else may have broken it
                if not (getattr(exc, "pgcode", None) in ("57014", "40001") and self._conn is not None
                        and not self._conn.closed):
                    self._drop()
                self.progress.retries += 1
                self._failures += 1
                if timed_out:
                    self.progress.timeouts += 1
                if connected:  # a pooler or server refusing connections says nothing about the statement's size
                    failed_here += 1
                if splittable and (timed_out or failed_here >= self.retry.split_after):
                    raise _SplitWindow(last) from None
                remaining = self._remaining()
                time.sleep(max(0.0, min(self.retry.delay(self._failures, self._rng), remaining)))

    def _remaining(self) -> float:
        now = time.monotonic()
        left = self._last_success + self.retry.stall - now
        if self.retry.deadline is not None:
            left = min(left, self._started + self.retry.deadline - now)
        return left

    def _check_budget(self, name: str, bound: Mapping, last: str | None) -> None:
        if self._remaining() > 0:
            return
        now = time.monotonic()
        why = (f"the deadline of {self.retry.deadline:g} s passed" if self.retry.deadline is not None
               and now >= self._started + self.retry.deadline
               else f"no statement succeeded for {self.retry.stall:g} s")
        what = name
        if "issuer_ca_id" in bound:
            what += f" (CA {bound['issuer_ca_id']}"
            if "window_start" in bound:
                what += f", window {Window(bound['window_start'], bound['window_end']).text()}"
            what += ")"
        raise CrtshUnavailable(f"gave up on {what} at {_where(self.dsn)}: {why}"
                               + (f" (last error: {last})" if last else ""))

    def frame(self, name: str, params: Mapping) -> pd.DataFrame:
        cols, rows = self.run(name, params)
        return pd.DataFrame.from_records(rows, columns=cols)

    # -- adaptive windows --------------------------------------------------------------------------------------------
    def run_windows(self, name: str, params: Mapping, window: Window) -> list[tuple[Window, list[str], list[tuple]]]:
        """A windowed query over ``window``, split into smaller windows while a statement keeps failing: the
        (window, columns, rows) pieces in window order, which together are exactly the rows of ``window`` (the
        pieces tile it). A piece that succeeded is never run again. The next call for the same query starts one
        halving coarser than this one ended, so a window size that works is found again quickly."""
        depth = self._depth.get(name, 0)
        todo = [(w, 0) for w in reversed(_split_to_depth(window, depth))]
        out, deepest = [], 0
        while todo:
            w, d = todo.pop()
            halves = w.split()
            try:
                cols, rows = self.run(name, {**params, **w.params()}, splittable=halves is not None)
            except _SplitWindow:
                self.progress.splits += 1
                todo.extend([(halves[1], d + 1), (halves[0], d + 1)])
                continue
            deepest = max(deepest, d)
            out.append((w, cols, rows))
        self._depth[name] = max(0, depth + deepest - 1)
        return out

    def count_pieces(self, issuer_ca_id: int, as_of: dt.datetime, window: Window) -> list[tuple[Window, int]]:
        """Rows per notAfter month inside ``window`` as (window, rows) pieces that tile the counted range (a month
        cut by a window edge is clipped to it); the counting statement is split like any windowed statement."""
        pieces = []
        for w, _, rows in self.run_windows("certificate_counts_by_month", {"issuer_ca_id": issuer_ca_id,
                                                                          "as_of": as_of}, window):
            for month, n in rows:
                if month is None:  # the 'infinity' key: unparsable notAfter
                    pieces.append((Window(max(_INFINITY_START, w.start), None), int(n)))
                    continue
                end = _next_month(month)
                pieces.append((Window(max(month, w.start), end if w.end is None else min(end, w.end)), int(n)))
        return pieces

    def month_counts(self, issuer_ca_id: int, as_of: dt.datetime,
                     window: Window) -> list[tuple[dt.datetime | None, int]]:
        """Rows per notAfter month in ``window`` (one statement, retried but not split)."""
        _, rows = self.run("certificate_counts_by_month", {"issuer_ca_id": issuer_ca_id, "as_of": as_of,
                                                           **window.params()})
        return [(m, int(n)) for m, n in rows]

    def plan_windows(self, issuer_ca_id: int, as_of: dt.datetime, page_size: int) -> list[Window]:
        """Windows [start, end) covering [as_of, ∞) for one CA, each holding at most ``page_size`` rows (unless
        more than that share one notAfter second), planned from per-month counts."""
        return self.plan_windows_counted(issuer_ca_id, as_of, page_size)[0]

    def plan_windows_counted(self, issuer_ca_id: int, as_of: dt.datetime, page_size: int,
                             pieces: list | None = None) -> tuple[list[Window], int]:
        """:meth:`plan_windows` and the number of rows the windows hold (at planning time); ``pieces`` are the CA's
        counted pieces (:meth:`count_pieces` over [as_of, ∞)) when the caller already has them."""
        if pieces is None:
            pieces = self.count_pieces(issuer_ca_id, as_of, Window(as_of, None))
        fine: list[tuple[Window, int]] = []
        for w, n in pieces:
            fine.extend(self._bisect(issuer_ca_id, as_of, w, n, page_size))
        return pack_windows(fine, as_of, page_size), sum(n for _, n in pieces)

    def _bisect(self, issuer_ca_id, as_of, window: Window, n: int, page_size: int):
        halves = window.split() if n > page_size and window.end is not None else None
        if halves is None:
            return [(window, n)]
        left, right = halves
        n_left = sum(k for _, k in self.count_pieces(issuer_ca_id, as_of, left))
        return (self._bisect(issuer_ca_id, as_of, left, n_left, page_size)
                + self._bisect(issuer_ca_id, as_of, right, n - n_left, page_size))


def pack_windows(pieces: Sequence[tuple[Window, int]], as_of: dt.datetime, page_size: int) -> list[Window]:
    """Adjacent counted pieces packed into pages of at most ``page_size`` rows; the first page starts at ``as_of``
    and the last is unbounded, so the pages tile [as_of, ∞) exactly (a row inserted meanwhile in a gap is still
    fetched)."""
    windows: list[Window] = []
    cur_start, cur_n = as_of, 0
    for w, n in sorted(pieces, key=lambda p: p[0].start):
        if cur_n and cur_n + n > page_size:
            windows.append(Window(cur_start, w.start))
            cur_start, cur_n = w.start, 0
        cur_n += n
    windows.append(Window(cur_start, None))
    return windows


def _split_to_depth(window: Window, depth: int) -> list[Window]:
    out = [window]
    for _ in range(depth):
        nxt = []
        for w in out:
            nxt.extend(w.split() or (w,))
        out = nxt
    return out


_INFINITY_START = dt.datetime(9999, 12, 31, 23, 59, 59)
_PEEL = dt.timedelta(days=400)


def _next_month(m: dt.datetime) -> dt.datetime:
    """The first instant of the next month; December 9999 (RFC 5280's "no expiry" 99991231235959Z) ends where the
    'infinity' window starts."""
    if m.year == 9999 and m.month == 12:
        return _INFINITY_START
    return dt.datetime(m.year + (m.month == 12), m.month % 12 + 1, 1)


# --------------------------------------------------------------------------------------------------------------------
# Rows → the certificates frame (docs/design.md)


def _hex_upper(b) -> str | None:
    return None if b is None else bytes(b).hex().upper()


def _hex_lower(b) -> str | None:
    return None if b is None else bytes(b).hex()


def extract_fields(der: bytes) -> dict:
    """The frame's fields from one DER certificate, exactly as unexpired_certificates.sql computes them on the
    server: every field is the same analysis.x509 function the SQL calls (x509.call, libx509pq's semantics and
    error values, each field on its own), on one parse of the bytes."""
    der = bytes(der)

    def sql(function, *args):
        return x509.call(function, der, *args)

    subject_o = sql("x509_nameAttributes", "organizationName", True)
    stripped = sql("x509_tbscert_strip_ct_ext")
    return {
        "sha256": hashlib.sha256(der).digest(),
        "serial_number": sql("x509_serialNumber"),
        "not_before": sql("x509_notBefore"),
        "not_after": sql("x509_notAfter"),
        "subject_o": subject_o[0] if subject_o else None,
        "subject_cn": sql("x509_commonName"),
        "dns_names": sql("x509_altNames", 2),
        "policy_oids": sql("x509_certPolicies"),
        "is_precertificate": sql("x509_hasExtension", x509.CT_POISON, True),
        "is_server_auth": sql("x509_isEKUPermitted", SERVER_AUTH) or False,
        "dedup_key": None if stripped is None else hashlib.sha256(stripped).digest(),
    }


def _record(certificate_id, issuer_ca_id, issuer_name, f: Mapping) -> dict:
    """One frame row from extracted fields (server row or client parse): the design.md conversions."""
    unparsable = (f["not_after"] is None or f["not_before"] is None or f["serial_number"] is None
                  or f["subject_cn"] == x509.ERROR_TEXT)
    return {
        "certificate_id": int(certificate_id),
        "issuer_ca_id": int(issuer_ca_id),
        "issuer_name": issuer_name,
        "sha256": _hex_upper(f["sha256"]),
        "serial_number": _hex_lower(f["serial_number"]),
        "not_before": f["not_before"],
        "not_after": f["not_after"],
        "subject_o": f["subject_o"],
        "subject_cn": None if f["subject_cn"] == x509.ERROR_TEXT else f["subject_cn"],
        "dns_names": list(f["dns_names"] or []),
        "policy_oids": list(f["policy_oids"] or []),
        "is_precertificate": bool(f["is_precertificate"]),
        "is_server_auth": bool(f["is_server_auth"]),
        "dedup_key": _hex_upper(f["dedup_key"]),
        "parse_error": PARSE_ERROR if unparsable else None,
    }


def records_from_server_rows(cols: Sequence[str], rows: Sequence[tuple]) -> list[dict]:
    out = []
    for row in rows:
        r = dict(zip(cols, row))
        out.append(_record(r["certificate_id"], r["issuer_ca_id"], r["issuer_name"], r))
    return out


def records_from_der_rows(cols: Sequence[str], rows: Sequence[tuple]) -> list[dict]:
    return [_record(cid, ica, name, extract_fields(der)) for cid, ica, name, der in rows]


def _sort_key(r: dict):
    na = r["not_after"]
    return (na is None, na or dt.datetime.min, r["certificate_id"])


def _records_table(records: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(records, schema=CERTIFICATES_SCHEMA)


def certificates_frame(table_or_records) -> pd.DataFrame:
    """The certificates frame (docs/design.md dtypes) from an Arrow table or a list of row dicts."""
    table = table_or_records if isinstance(table_or_records, pa.Table) else _records_table(list(table_or_records))
    table = table.cast(CERTIFICATES_SCHEMA)
    df = table.to_pandas()
    df["certificate_id"] = df["certificate_id"].astype("int64")
    df["issuer_ca_id"] = df["issuer_ca_id"].astype("int64")
    for c in ("not_before", "not_after"):
        df[c] = df[c].astype("datetime64[ns]")
    for c in ("issuer_name", "sha256", "serial_number", "subject_o", "subject_cn", "dedup_key", "parse_error"):
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    for c in ("dns_names", "policy_oids"):
        df[c] = [list(v) if v is not None else [] for v in df[c]]
    df["is_precertificate"] = df["is_precertificate"].astype(bool)
    df["is_server_auth"] = df["is_server_auth"].astype(bool)
    return df[list(CERTIFICATE_COLUMNS)]


def revocations_frame(table: pa.Table) -> pd.DataFrame:
    df = table.cast(REVOCATIONS_SCHEMA).to_pandas()
    df["certificate_id"] = df["certificate_id"].astype("int64")
    df["revocation_date"] = df["revocation_date"].astype("datetime64[ns]")
    df["reason_code"] = df["reason_code"].astype("Int64")
    return df


def ct_frame(table: pa.Table) -> pd.DataFrame:
    df = table.cast(CT_SCHEMA).to_pandas()
    df["certificate_id"] = df["certificate_id"].astype("int64")
    df["earliest_entry"] = df["earliest_entry"].astype("datetime64[ns]")
    return df


# --------------------------------------------------------------------------------------------------------------------
# fetch_ca


@dataclass
class FetchResult:
    """Everything a report needs for one root, from crt.sh or from the cache."""

    root_ca_id: int
    root: pd.DataFrame  # resolve_ca rows: the root's ca row with each of its certificates
    hierarchy: pd.DataFrame  # ca_hierarchy rows
    certificates: pd.DataFrame  # the certificates frame (docs/design.md)
    revocations: pd.DataFrame  # certificate_id, revocation_date, reason_code
    ct: pd.DataFrame  # certificate_id, earliest_entry
    trust: pd.DataFrame  # root_trust_records rows
    aggregates: pd.DataFrame  # dimension, key, certificates, precertificates, deduplicated (summed over CAs/windows)
    provenance: dict  # the bundle manifest: parameters, source, fetched-at, row counts, SQL hashes
    from_cache: bool = False
    cache_path: Path | None = None
    stats: dict = field(default_factory=dict)

    @property
    def mode(self) -> str:
        """``rows`` (every certificate row fetched) or ``aggregates`` (a CA over ``max_rows``: server-side counts
        only, in :attr:`aggregates`)."""
        return str(self.provenance.get("mode", "rows"))

    @property
    def rows_planned(self) -> int:
        return int(self.provenance.get("rows_planned", len(self.certificates)))

    @property
    def issuing_ca_ids(self) -> list[int]:
        return _issuing_cas(self.hierarchy, self.root_ca_id)

    def summary(self) -> str:
        c = self.certificates
        return (f"root ca_id {self.root_ca_id}: {len(self.issuing_ca_ids)} CAs, {len(c):,} certificate rows "
                f"({int(c['is_precertificate'].sum()):,} precertificates, {int(c['parse_error'].notna().sum())} "
                f"unparsable), {len(self.revocations):,} revoked, {len(self.ct):,} with CT entries; "
                f"{'from cache' if self.from_cache else 'fetched'} {self.provenance.get('fetched_at')} "
                f"({self.cache_path})")


_SHA256_RE = re.compile(r"^[0-9A-Fa-f:]{64,95}$")
# Field extraction is analysis/x509.py plus the conversions here: a change to either must not reuse old results.
_CODE_VERSION = hashlib.sha256((inspect.getsource(x509) + inspect.getsource(extract_fields)
                                + inspect.getsource(_record)).encode()).hexdigest()[:16]


def parse_root(root) -> dict:
    """A root given as SHA-256 hex (colons allowed), a crt.sh CA id (int or digits), or a name pattern
    (SQL LIKE, case-insensitive; a pattern without a wildcard matches the whole name)."""
    if isinstance(root, int):
        return {"root_sha256": None, "ca_id": root, "name_pattern": None}
    text = str(root).strip()
    if _SHA256_RE.match(text) and len(text.replace(":", "")) == 64:
        return {"root_sha256": bytes.fromhex(text.replace(":", "")), "ca_id": None, "name_pattern": None}
    if text.isdigit():
        return {"root_sha256": None, "ca_id": int(text), "name_pattern": None}
    if not text:
        raise CrtshError("empty root: give a SHA-256, a crt.sh CA id or a CA name pattern")
    return {"root_sha256": None, "ca_id": None, "name_pattern": text}


def _issuing_cas(hierarchy: pd.DataFrame, root_ca_id: int) -> list[int]:
    ids = [root_ca_id]
    for ca_id in hierarchy["ca_id"].tolist() if len(hierarchy) else []:
        if int(ca_id) not in ids:
            ids.append(int(ca_id))
    return ids


def _bytes_to_hex(df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        if df[c].map(lambda v: isinstance(v, (bytes, memoryview))).any():
            df[c] = df[c].map(_hex_upper)
    return df


FRAMES = ("root", "hierarchy", "certificates", "revocations", "ct", "trust", "aggregates")


def fetch_ca(root, as_of=None, dsn: str | None = None, cache_dir: Path | str | None = None, refresh: bool = False,
             progress: Callable[[Progress], None] | bool | None = None, *, method: str = DEFAULT_METHOD,
             page_size: int = 2000, aggregate_page_size: int = 50000, client: Client | None = None,
             cache: bool = True, source_name: str | None = None, offline: bool = False,
             max_rows: int | None = DEFAULT_MAX_ROWS, aggregates: bool = False,
             retry: RetryPolicy | None = None) -> FetchResult:
    """Fetch (or read from the cache) everything a report needs for one root.

    Args:
        root: the root's SHA-256 (hex), crt.sh CA id, or a CA name pattern (an ambiguous pattern is an error listing
            the candidates).
        as_of: the date certificates must be unexpired at (notAfter >= as_of), UTC; default now. A date, datetime
            (aware ones converted to UTC) or ISO string.
        dsn: libpq connection string; None or "crtsh" = crt.sh's public endpoint.
        cache_dir: where bundles are stored (default analysis.config.CACHE_DIR).
        refresh: fetch again even when a valid cached bundle exists (an unfinished fetch of the same inputs is still
            resumed).
        progress: a callable receiving :class:`Progress` after each page, True for a line on stderr, None for quiet.
        method: "client" (DER fetched, parsed here) or "server" (crt.sh's x509_* functions).
        page_size: at most this many certificate rows per statement (see Client.plan_windows).
        client: an existing :class:`Client` (tests inject one with fault hooks); its DSN and retry policy win over
            ``dsn`` and ``retry``.
        cache: False = do not read or write the cache (the result is still assembled through a temporary bundle,
            and an interrupted fetch cannot be resumed).
        source_name: a stable name for the source (e.g. "demo"), used in the cache key and provenance instead of the
            DSN — a throwaway local cluster's DSN changes (port) from run to run.
        offline: only read the cache; :class:`CacheMiss` when it holds no valid result for these inputs (always
            with refresh=True, which refuses cached results).
        max_rows: when the CAs hold more unexpired rows than this (counted while planning the pages), fetch only
            the server-side aggregates (``result.mode == "aggregates"``); None = always fetch every row.
        aggregates: also fetch the server-side aggregates when every row is fetched (a cross-check; it costs crt.sh
            about as much server time as the rows themselves, so it is off by default).
        retry: the :class:`RetryPolicy` (time budget) of a client made here; default ``RetryPolicy()``.

    Raises :class:`CrtshUnavailable` when the retry budget runs out: its message says what was fetched, where the
    progress is kept and the command that resumes the fetch from there.
    """
    if method not in ("client", "server"):
        raise CrtshError(f"unknown method {method!r}: 'client' or 'server'")
    as_of = to_naive_utc(as_of if as_of is not None else dt.datetime.now(dt.UTC)).replace(microsecond=0)
    spec = parse_root(root)
    source_dsn = client.dsn if client is not None else resolve_dsn(dsn)
    queries = client.queries if client is not None else load_queries()
    used = ("resolve_ca", "ca_hierarchy", "root_trust_records", "certificate_counts_by_month",
            "unexpired_certificates_der" if method == "client" else "unexpired_certificates",
            "certificate_revocations", "earliest_ct_entries", "certificate_aggregates")
    sql_hashes = {name: queries[name].sha256 for name in used}
    parameters = {"root": spec, "as_of": as_of, "method": method, "max_rows": max_rows, "aggregates": aggregates}
    source = source_name or public_dsn(source_dsn)
    # The key covers what determines the result: parameters, source, SQL, and the code that turns rows into fields.
    key = cache_key(parameters=parameters, source=source, sql=sql_hashes, format=1, code=_CODE_VERSION)
    store = ResultCache(cache_dir)
    label = "ca_" + (spec["root_sha256"].hex().upper()[:16] if spec["root_sha256"] else
                     str(spec["ca_id"]) if spec["ca_id"] is not None else spec["name_pattern"]) \
            + f"_{as_of:%Y%m%dT%H%M%S}"
    if offline and refresh:
        raise CacheMiss("refresh=True refuses the cached result and offline=True forbids fetching")
    if (cache and not refresh) or offline:
        found = store.existing(label, key)
        if found is not None:
            try:
                return load_cached(found.path)
            except CacheError as exc:
                if offline:
                    raise CacheMiss(f"cached result {found.path} is damaged ({exc})") from None
                print(f"distrust-impact: cache entry {found.path.name} is damaged ({exc}); fetching again",
                      file=sys.stderr)
        if offline:
            raise CacheMiss(f"no cached result for {_describe_spec(spec)} as of {as_of:%Y-%m-%d %H:%M:%S} "
                            f"({method}, {source}) under {store.dir}")
    # cache=False: assemble the bundle in a temporary folder of its own, never under the cache directory
    scratch = None if cache else Path(tempfile.mkdtemp(prefix="distrust-impact-fetch-"))
    try:
        journal = store.journal(label, key) if cache else Journal(scratch / "fetch")
    except CacheError as exc:
        raise CrtshError(str(exc)) from None
    report = stderr_progress if progress is True else (progress or None)
    own_client = client is None
    client = client or Client(source_dsn, queries=queries, retry=retry or RetryPolicy())
    client.begin()
    final = store.bundle_path(label, key)
    try:
        result = _fetch(client, spec, as_of, method, page_size, aggregate_page_size, journal, report,
                        {"parameters": parameters, "source": source, "dsn": public_dsn(source_dsn),
                         "sql_sha256": sql_hashes, "cache_key": key}, max_rows=max_rows,
                        with_aggregates=aggregates)
        if report is stderr_progress:
            print(file=sys.stderr)
        bundle = journal.finish()
        if not cache:
            loaded = load_cached(bundle.path)
            loaded.cache_path = None
            loaded.from_cache = False
            loaded.stats = result
            return loaded
        committed = store.commit(bundle, final)
        loaded = load_cached(committed.path)
        loaded.from_cache = False
        loaded.stats = result
        return loaded
    except (CrtshUnavailable, KeyboardInterrupt) as exc:
        if report is stderr_progress:
            print(file=sys.stderr)
        kept = cache and journal.resumed
        if not kept:
            shutil.rmtree(journal.path, ignore_errors=True)
        if isinstance(exc, KeyboardInterrupt):
            raise
        command = resume_command(spec, as_of, source_dsn=source_dsn, source_name=source_name, cache_dir=store.dir,
                                 method=method, page_size=page_size, max_rows=max_rows, aggregates=aggregates,
                                 retry=client.retry, refresh=refresh and final.exists())
        raise CrtshUnavailable(f"{exc}; fetched so far: {_done_so_far(journal.state, client.progress)}; "
                               + (f"kept in {journal.path}; resume with: {command}" if kept else
                                  f"nothing is kept{'' if cache else ' (cache=False)'}; run again: {command}")) \
            from None
    except BaseException:
        shutil.rmtree(journal.path, ignore_errors=True)
        raise
    finally:
        journal.close()
        if own_client:
            client.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _done_so_far(state: Mapping, p: Progress) -> str:
    if state.get("root_ca_id") is None:
        return "nothing"
    n_cas = len(state.get("cas", []))
    parts = [f"the root (ca_id {state['root_ca_id']}) and its hierarchy ({n_cas} CAs)",
             f"row counts of {len(state.get('counts', {}))}/{n_cas} CAs"]
    if state.get("mode") == "aggregates":
        parts.append(f"aggregates of {sum(1 for k in state['parts'] if k.startswith('a'))} windows")
    elif "pages_total" in state:
        done = {k: v for k, v in state["parts"].items() if k.startswith("p")}
        parts.append(f"{len(done)}/{state['pages_total']} pages ({sum(v['rows'] for v in done.values()):,} "
                     f"certificate rows)")
    return ", ".join(parts) + f" after {p.retries} retries and {p.splits} window splits"


def resume_command(spec: dict, as_of: dt.datetime, *, source_dsn: str, source_name: str | None, cache_dir: Path,
                   method: str, page_size: int, max_rows: int | None, aggregates: bool, retry: RetryPolicy,
                   refresh: bool = False) -> str:
    """The ``distrust-impact fetch`` command that repeats this fetch with the same inputs (so the same cache
    entry), which resumes from the progress kept on disk. The DSN is given without its password."""
    cmd = ["distrust-impact", "fetch"]
    if spec["root_sha256"]:
        cmd += ["--root-sha256", spec["root_sha256"].hex().upper()]
    elif spec["ca_id"] is not None:
        cmd += ["--ca-id", str(spec["ca_id"])]
    else:
        cmd += ["--ca-name", spec["name_pattern"]]
    cmd += ["--as-of", as_of.isoformat()]
    if source_dsn != config.CRTSH_DSN:
        cmd += ["--dsn", public_dsn(source_dsn)]
    if source_name:
        cmd += ["--source-name", source_name]
    cmd += ["--cache-dir", str(Path(cache_dir).resolve())]
    if method != DEFAULT_METHOD:
        cmd += ["--method", method]
    if page_size != 2000:
        cmd += ["--page-size", str(page_size)]
    if max_rows != DEFAULT_MAX_ROWS:
        cmd += ["--max-rows", "none" if max_rows is None else str(max_rows)]
    if aggregates:
        cmd.append("--aggregates")
    if retry.stall != RetryPolicy.stall:
        cmd += ["--stall-timeout", f"{retry.stall:g}"]
    if retry.deadline is not None:
        cmd += ["--deadline", f"{retry.deadline:g}"]
    if refresh:
        cmd.append("--refresh")
    return shlex.join(cmd)


def _fetch(client: Client, spec: dict, as_of: dt.datetime, method: str, page_size: int, aggregate_page_size: int,
           journal: Journal, report, base_meta: dict, max_rows: int | None = DEFAULT_MAX_ROWS,
           with_aggregates: bool = False) -> dict:
    """Every step's result is kept in ``journal`` as soon as it is complete, and a step found there is not run
    again: an interrupted fetch resumes where it stopped."""
    p = client.progress
    st = journal.state
    st.setdefault("started_at", utc_now())
    st["runs"] = st.get("runs", 0) + 1
    meta = lambda query, **extra: dict(base_meta, query=query, fetched_at=utc_now(), **extra)  # noqa: E731

    if st.get("root_ca_id") is None:
        # 1. the root
        p.phase = "resolving the root"
        root = _bytes_to_hex(client.frame("resolve_ca", spec))
        candidates = root[["ca_id", "ca_name"]].drop_duplicates() if len(root) else root
        if len(candidates) == 0:
            raise CrtshError(f"no CA matches {_describe_spec(spec)}")
        if len(candidates) > 1:
            listing = "; ".join(f"{int(r.ca_id)} {r.ca_name}" for r in candidates.itertuples())
            raise CrtshError(f"{_describe_spec(spec)} matches {len(candidates)} CAs — give one of these ids: "
                             f"{listing}")
        root_ca_id = int(candidates["ca_id"].iloc[0])
        # 2. the hierarchy, 3. the root programs' records
        p.phase = "walking the hierarchy"
        hierarchy = _bytes_to_hex(client.frame("ca_hierarchy", {"root_ca_id": root_ca_id}))
        trust = client.frame("root_trust_records", {"root_ca_id": root_ca_id})
        for name, frame, query in (("root", root, "resolve_ca"), ("hierarchy", hierarchy, "ca_hierarchy"),
                                   ("trust", trust, "root_trust_records")):
            journal.write_frame(name, frame, _schema_for(name, frame), meta(query))
        st.update(root_ca_id=root_ca_id, cas=_issuing_cas(hierarchy, root_ca_id))
        journal.save()
    root_ca_id, cas = st["root_ca_id"], st["cas"]
    p.cas_total = len(cas)

    # 4. per CA: the rows per notAfter month (planning; a CA too large to pull row by row gets only the
    # server-side aggregates: max_rows, None = no limit)
    p.phase = "counting rows"
    counts = st.setdefault("counts", {})
    for ca_id in cas:
        if str(ca_id) not in counts:
            counts[str(ca_id)] = [[*w.as_json(), n] for w, n in client.count_pieces(ca_id, as_of, Window(as_of, None))]
            journal.save()
    pieces = {ca_id: [(Window.from_json(v[:2]), v[2]) for v in counts[str(ca_id)]] for ca_id in cas}
    rows_planned = sum(n for ca_pieces in pieces.values() for _, n in ca_pieces)
    mode = st.setdefault("mode", "rows" if max_rows is None or rows_planned <= max_rows else "aggregates")
    # 5. the pages: months over a page are split only when the rows are to be fetched
    p.phase = "planning pages"
    plans = st.setdefault("plans", {})
    for ca_id in cas:
        for kind, size, wanted in (("p", page_size, mode == "rows"),
                                   ("a", aggregate_page_size, mode == "aggregates" or with_aggregates)):
            if wanted and f"{kind}{ca_id}" not in plans:
                windows, _ = client.plan_windows_counted(ca_id, as_of, size, pieces[ca_id])
                plans[f"{kind}{ca_id}"] = [w.as_json() for w in windows]
                journal.save()
    plan = {k: [Window.from_json(v) for v in ws] for k, ws in plans.items()}
    st["pages_total"] = p.pages_total = sum(len(plan.get(f"p{ca_id}", [])) for ca_id in cas)
    journal.save()

    page_query = "unexpired_certificates_der" if method == "client" else "unexpired_certificates"
    convert = records_from_der_rows if method == "client" else records_from_server_rows
    for ca_id in cas:
        p.ca_id = ca_id
        p.phase = f"CA {ca_id}"
        params = {"issuer_ca_id": ca_id, "as_of": as_of}
        for w in plan.get(f"p{ca_id}", []):
            name = f"p{ca_id}_{w.key()}"
            if journal.has_part(name):
                p.rows += st["parts"][name]["rows"]
                p.pages += 1
                p.resumed_pages += 1
                continue
            records = [r for _, cols, rows in client.run_windows(page_query, params, w) for r in convert(cols, rows)]
            records.sort(key=_sort_key)
            # side rows in the certificates' order, so every frame's order is independent of the page size
            pos = {r["certificate_id"]: i for i, r in enumerate(records)}
            order = lambda row, pos=pos: (pos.get(row[0], len(pos)), row)  # noqa: E731
            rev = sorted((row for _, _, rows in client.run_windows("certificate_revocations", params, w)
                          for row in rows), key=order)
            ct = sorted((row for _, _, rows in client.run_windows("earliest_ct_entries", params, w) for row in rows),
                        key=order)
            journal.write_part(name, {
                "certificates": _records_table(records),
                "revocations": pa.Table.from_pylist([{"certificate_id": a, "revocation_date": b, "reason_code": c}
                                                     for a, b, c in rev], schema=REVOCATIONS_SCHEMA),
                "ct": pa.Table.from_pylist([{"certificate_id": a, "earliest_entry": b} for a, b in ct],
                                           schema=CT_SCHEMA)}, rows=len(records))
            p.rows += len(records)
            p.pages += 1
            if report:
                report(p)
        for w in plan.get(f"a{ca_id}", []):
            name = f"a{ca_id}_{w.key()}"
            if name not in st["parts"]:
                rows = [list(r) for _, _, rs in client.run_windows("certificate_aggregates", params, w) for r in rs]
                st["parts"][name] = {"aggregates": rows}
                journal.save()
        p.cas_done += 1
        if report:
            report(p)

    # 6. the frames, from the pages in plan order (memory stays one page)
    cert_w = journal.writer("certificates", CERTIFICATES_SCHEMA)
    rev_w = journal.writer("revocations", REVOCATIONS_SCHEMA)
    ct_w = journal.writer("ct", CT_SCHEMA)
    writers = (cert_w, rev_w, ct_w)
    seen: set[int] = set()
    duplicates = 0
    aggregates: dict[tuple[str, str | None], list[int]] = {}
    try:
        for ca_id in cas:
            for w in plan.get(f"p{ca_id}", []):
                tables = journal.read_part(f"p{ca_id}_{w.key()}")
                for cid in tables["certificates"].column("certificate_id").to_pylist():
                    duplicates += cid in seen
                    seen.add(cid)
                cert_w.write(tables["certificates"])
                rev_w.write(tables["revocations"])
                ct_w.write(tables["ct"])
            for w in plan.get(f"a{ca_id}", []):
                for dim, k, n, pre, dedup in st["parts"][f"a{ca_id}_{w.key()}"]["aggregates"]:
                    acc = aggregates.setdefault((dim, k), [0, 0, 0])
                    acc[0] += n
                    acc[1] += pre
                    acc[2] += dedup
        if duplicates:
            raise CrtshError(f"{duplicates} certificate ids came twice across pages: the pages overlap (a bug)")
        cert_w.close(meta(page_query, method=method, page_size=page_size, pages=p.pages, windows=p.pages_total,
                          issuing_ca_ids=cas, retries=p.retries))
        rev_w.close(meta("certificate_revocations"))
        ct_w.close(meta("earliest_ct_entries"))
    except BaseException:
        for wr in writers:
            try:
                wr.abort()
            except Exception:
                pass
        raise

    agg = pd.DataFrame([(d, k, *v) for (d, k), v in aggregates.items()],
                       columns=["dimension", "key", "certificates", "precertificates", "deduplicated"])
    agg = agg.sort_values(["dimension", "key"], na_position="first", kind="stable").reset_index(drop=True)
    journal.write_frame("aggregates", agg, _schema_for("aggregates", agg), meta("certificate_aggregates"))
    stats = {"pages": p.pages, "rows": p.rows, "retries": p.retries, "reconnects": p.reconnects,
             "splits": p.splits, "timeouts": p.timeouts, "resumed_pages": p.resumed_pages, "runs": st["runs"],
             "statements": client.statements, "windows": p.pages_total, "cas": len(cas),
             "rows_planned": rows_planned}
    journal.write_manifest(dict(base_meta, root_ca_id=root_ca_id, fetched_at=st["started_at"],
                                finished_at=utc_now(), mode=mode, rows_planned=rows_planned, frames=list(FRAMES),
                                stats=stats, rows={"certificates": cert_w.rows, "revocations": rev_w.rows,
                                                   "ct": ct_w.rows}))
    return stats


def _describe_spec(spec: dict) -> str:
    if spec["root_sha256"]:
        return f"SHA-256 {spec['root_sha256'].hex().upper()}"
    if spec["ca_id"] is not None:
        return f"ca_id {spec['ca_id']}"
    return f"name pattern {spec['name_pattern']!r}"


_SMALL_SCHEMAS = {
    "root": pa.schema([("ca_id", pa.int64()), ("ca_name", pa.string()), ("num_issued_certificates", pa.int64()),
                       ("num_issued_precertificates", pa.int64()), ("num_expired_certificates", pa.int64()),
                       ("num_expired_precertificates", pa.int64()), ("matched_by", pa.string()),
                       ("certificate_id", pa.int64()), ("issuer_ca_id", pa.int64()), ("sha256", pa.string()),
                       ("not_before", pa.timestamp("ns")), ("not_after", pa.timestamp("ns")),
                       ("is_self_signed", pa.bool_())]),
    "hierarchy": pa.schema([("depth", pa.int64()), ("ca_id", pa.int64()), ("ca_name", pa.string()),
                            ("parent_ca_id", pa.int64()), ("certificate_id", pa.int64()), ("sha256", pa.string()),
                            ("not_before", pa.timestamp("ns")), ("not_after", pa.timestamp("ns")),
                            ("path", pa.list_(pa.int64())), ("closes_cycle", pa.bool_()),
                            ("other_issuer_ca_ids", pa.list_(pa.int64())),
                            ("trusted_in", pa.list_(pa.string()))]),
    "trust": pa.schema([("certificate_id", pa.int64()), ("trust_context_id", pa.int64()),
                        ("trust_context", pa.string()), ("trust_purpose_id", pa.int64()),
                        ("trust_purpose", pa.string()), ("purpose_oid", pa.string()),
                        ("disabled_from", pa.timestamp("ns")), ("notbefore_until", pa.timestamp("ns"))]),
    "aggregates": pa.schema([("dimension", pa.string()), ("key", pa.string()), ("certificates", pa.int64()),
                             ("precertificates", pa.int64()), ("deduplicated", pa.int64())]),
}


def _schema_for(name: str, frame: pd.DataFrame) -> pa.Schema:
    schema = _SMALL_SCHEMAS[name]
    if list(frame.columns) != schema.names:
        raise CrtshError(f"{name}: columns {list(frame.columns)} differ from the expected {schema.names}")
    return schema


def load_cached(path: Path | str) -> FetchResult:
    """Read a complete cached bundle (checksums verified): the offline way to rerun every later analysis."""
    bundle = Bundle(Path(path))
    manifest = bundle.manifest()
    if manifest is None:
        raise CacheError(f"{path}: no manifest (incomplete bundle)")
    tables = {name: bundle.read_frame(name)[0] for name in FRAMES}
    frames = {name: _fix_small(name, tables[name].to_pandas()) for name in ("root", "hierarchy", "trust",
                                                                            "aggregates")}
    return FetchResult(
        root_ca_id=int(manifest["root_ca_id"]), root=frames["root"], hierarchy=frames["hierarchy"],
        certificates=certificates_frame(tables["certificates"]), revocations=revocations_frame(tables["revocations"]),
        ct=ct_frame(tables["ct"]), trust=frames["trust"], aggregates=frames["aggregates"], provenance=manifest,
        from_cache=True, cache_path=Path(path), stats=manifest.get("stats", {}),
    )


def _fix_small(name: str, df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        if str(df[c].dtype).startswith("datetime64"):
            df[c] = df[c].astype("datetime64[ns]")
        elif df[c].dtype == object:
            df[c] = df[c].where(df[c].notna(), None)  # SQL NULL as None (e.g. the "no O=" organisation key)
    for c in ("path", "other_issuer_ca_ids", "trusted_in"):
        if c in df.columns:
            df[c] = [list(v) if v is not None else None for v in df[c]]
    if name in ("root", "hierarchy") and "parent_ca_id" in df.columns:
        df["parent_ca_id"] = df["parent_ca_id"].astype("Int64")
    return df


# --------------------------------------------------------------------------------------------------------------------
# CLI


def add_fetch_parser(subparsers) -> argparse.ArgumentParser:
    """``distrust-impact fetch``: add to the CLI's subparsers; the handler returns an exit code."""
    p = subparsers.add_parser("fetch", help="fetch one root's certificates from crt.sh (or a compatible database) "
                                            "into the cache")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--root-sha256", help="SHA-256 of the root certificate (hex)")
    g.add_argument("--ca-id", type=int, help="crt.sh CA id of the root")
    g.add_argument("--ca-name", help="text found anywhere in the CA name, case-insensitive, like crt.sh's CA search "
                                     "(must match one CA)")
    p.add_argument("--as-of", help="certificates unexpired at this UTC date/time (default: now)")
    p.add_argument("--dsn", default="crtsh", help="libpq connection string (default: crt.sh's public endpoint)")
    p.add_argument("--cache-dir", type=Path, default=None, help=f"default {config.CACHE_DIR}")
    p.add_argument("--refresh", action="store_true", help="fetch again even if a cached result exists")
    p.add_argument("--method", choices=("client", "server"), default=DEFAULT_METHOD,
                   help="where the certificate fields are extracted (default: %(default)s)")
    p.add_argument("--page-size", type=int, default=2000)
    p.add_argument("--max-rows", type=_max_rows_arg, default=DEFAULT_MAX_ROWS,
                   help="above this many unexpired rows fetch only server-side aggregates; 'none' = no limit "
                        "(default: %(default)s)")
    p.add_argument("--aggregates", action="store_true", help="also fetch the server-side aggregates")
    p.add_argument("--stall-timeout", type=_seconds_arg, default=RetryPolicy.stall, metavar="SECONDS",
                   help="give up when no statement has succeeded for this long (default: %(default)g)")
    p.add_argument("--deadline", type=_seconds_arg, default=None, metavar="SECONDS",
                   help="give up after this long in total (default: no limit); what was fetched is kept and the "
                        "same command resumes")
    p.add_argument("--source-name", default=None,
                   help="a stable name for the source in the cache key instead of the DSN (e.g. 'demo')")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=_cmd_fetch)
    return p


def _max_rows_arg(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of rows or 'none': {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a negative number of rows: {text!r}")
    return value


def _seconds_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def _cmd_fetch(args) -> int:
    root = args.root_sha256 or (args.ca_id if args.ca_id is not None else args.ca_name)
    result = fetch_ca(root, as_of=args.as_of, dsn=args.dsn, cache_dir=args.cache_dir, refresh=args.refresh,
                      progress=not args.quiet, method=args.method, page_size=args.page_size,
                      max_rows=args.max_rows, aggregates=args.aggregates, source_name=args.source_name,
                      retry=RetryPolicy(stall=args.stall_timeout, deadline=args.deadline))
    print(result.summary())
    print(result.cache_path)
    return 0
