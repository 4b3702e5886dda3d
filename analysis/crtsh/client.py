"""The crt.sh connection: one autocommit statement at a time, client-side timeouts and cancel, retries under a time
budget, and statements over partition-key windows split while they fail.

Written for crt.sh's public endpoint as ``docs/queries.md`` describes it: read-only hot-standby replicas behind a
pooler in *statement* pooling mode. Hence:

* psycopg2 in **autocommit**, one statement at a time, **no named cursors, no transaction blocks, no session SET**;
  timeouts are client-side: ``connect_timeout`` and a per-statement :class:`threading.Timer` that sends a cancel
  request (libpq's ``PQcancel`` through ctypes, which releases the GIL), then shuts the socket down if even that
  gets no answer.
* **Adaptive statements** (:meth:`Client.run_windows`): a statement over a window is split into two half windows
  when it failed ``RetryPolicy.split_after`` times in a row or hit a statement timeout (SQLSTATE 57014 from crt.sh's
  ``statement_timeout``, or the client's timer), down to one second of notAfter; the pieces that succeeded are kept
  and never run again. :meth:`Client.run_keys` does the same for a statement over lists of keys (halving them).
* **Transient failures** — ``40001`` recovery conflicts, ``57014`` cancellations, ``57P0x`` shutdowns, dropped
  connections (``OperationalError``/``InterfaceError``), a pooler refusing connections — are retried with
  exponential backoff and a new connection, for as long as the time budget allows (:class:`RetryPolicy`: give up
  after ``stall`` seconds without a successful statement, or at a total ``deadline``): :class:`CrtshUnavailable`.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import random
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import psycopg2
import psycopg2.extensions

from analysis import config
from analysis.crtsh.windows import Window, split_to_depth
from analysis.querylib import Query, load_queries

CANCEL_GRACE = 5.0  # seconds a timed-out statement gets to answer its cancel before the socket is shut down

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
        self._stop_statement = None  # while a statement runs: sends its cancel request
        self._failures = 0  # consecutive failed attempts, any statement (the backoff grows with them)
        self._depth: dict[str, int] = {}  # per windowed query: how many halvings the last window needed
        self.begin()

    def begin(self) -> None:
        """Start the retry budget's clocks (``fetch_ca`` calls this: each fetch has its own budget)."""
        self._started = self._last_success = time.monotonic()
        self._interrupted = False

    def interrupt(self) -> None:
        """From another thread: cancel the statement running now (a cancel request, as the timer sends) and stop
        retrying — every statement of this client raises :class:`CrtshError` until :meth:`begin`. The fetch calls it
        when its main thread stops (Ctrl-C, an error) while the statement thread is still at work."""
        self._interrupted = True
        stop = self._stop_statement
        if stop is not None:
            stop()

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

        def stop():
            with guard:
                if not running[0]:
                    return
                send = _canceller(conn)
            send()

        def cancel():
            self._timed_out = True
            stop()

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
        self._stop_statement = stop
        try:
            if self._interrupted:  # interrupt() came between the check in run() and here
                raise CrtshError("interrupted")
            with conn.cursor() as cur:  # a client-side cursor: no named (server-side) cursors through a pooler
                cur.execute(query.sql, params)
                cols = [d.name for d in cur.description]
                return cols, cur.fetchall()
        finally:
            self._stop_statement = None
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
            if self._interrupted:
                raise CrtshError(f"query {name}: interrupted")
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
                if self._interrupted:
                    raise CrtshError(f"query {name}: interrupted") from None
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
        todo = [(w, 0) for w in reversed(split_to_depth(window, depth))]
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

    def run_keys(self, name: str, params: Mapping, keys: Mapping[str, Sequence]) -> list[tuple]:
        """A statement over lists of keys (``keys``: parameter name → list, all of one length, e.g. a page's
        certificate ids and serials), split into two halves while a statement keeps failing or times out, like
        :meth:`run_windows`; the rows of all the pieces. No keys, no statement."""
        lengths = {len(v) for v in keys.values()}
        if len(lengths) != 1:
            raise CrtshError(f"{name}: key lists of different lengths {sorted(lengths)}")
        todo, out = [(0, lengths.pop())], []
        while todo:
            lo, hi = todo.pop()
            if lo == hi:
                continue
            try:
                _, rows = self.run(name, {**params, **{k: list(v[lo:hi]) for k, v in keys.items()}},
                                   splittable=hi - lo > 1)
            except _SplitWindow:
                self.progress.splits += 1
                mid = (lo + hi) // 2
                todo.extend([(mid, hi), (lo, mid)])
                continue
            out.extend(rows)
        return out
