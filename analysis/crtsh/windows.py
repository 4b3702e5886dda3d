"""Windows of crt.sh's partition key and the page planner.

A CA's certificates are read in **windows** ``[start, end)`` of crt.sh's partition key
``coalesce(x509_notAfter(certificate), 'infinity')`` — idempotent key ranges that the index ``c_ica_notafter`` and
partition pruning serve directly. The planner counts the rows per notAfter month
(``certificate_counts_by_month.sql``) and packs the months into pages of at most ``page_size`` rows; a month over the
limit is bisected with the same count on half windows, down to one second (only certificates sharing one notAfter
second can exceed it). The windows tile ``[as_of, ∞)`` exactly: the first starts at ``as_of`` and the last is
unbounded, so a row added between planning and fetching is still fetched once.

The planning functions take the :class:`analysis.crtsh.client.Client` that runs the counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

INFINITY_START = dt.datetime(9999, 12, 31, 23, 59, 59)
_PEEL = dt.timedelta(days=400)


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
            if self.start >= INFINITY_START:
                return None
            mid = min(self.start + _PEEL, INFINITY_START)
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


def count_pieces(client, issuer_ca_id: int, as_of: dt.datetime, window: Window) -> list[tuple[Window, int]]:
    """Rows per notAfter month inside ``window`` as (window, rows) pieces that tile the counted range (a month cut
    by a window edge is clipped to it); the counting statement is split like any windowed statement."""
    pieces = []
    for w, _, rows in client.run_windows("certificate_counts_by_month", {"issuer_ca_id": issuer_ca_id,
                                                                        "as_of": as_of}, window):
        for month, n in rows:
            if month is None:  # the 'infinity' key: unparsable notAfter
                pieces.append((Window(max(INFINITY_START, w.start), None), int(n)))
                continue
            end = next_month(month)
            pieces.append((Window(max(month, w.start), end if w.end is None else min(end, w.end)), int(n)))
    return pieces


def month_counts(client, issuer_ca_id: int, as_of: dt.datetime,
                 window: Window) -> list[tuple[dt.datetime | None, int]]:
    """Rows per notAfter month in ``window`` (one statement, retried but not split)."""
    _, rows = client.run("certificate_counts_by_month", {"issuer_ca_id": issuer_ca_id, "as_of": as_of,
                                                         **window.params()})
    return [(m, int(n)) for m, n in rows]


def plan_windows(client, issuer_ca_id: int, as_of: dt.datetime, page_size: int,
                 pieces: list | None = None) -> list[Window]:
    """Windows [start, end) covering [as_of, ∞) for one CA, each holding at most ``page_size`` rows (unless more
    than that share one notAfter second), planned from per-month counts; ``pieces`` are the CA's counted pieces
    (:func:`count_pieces` over [as_of, ∞)) when the caller already has them."""
    if pieces is None:
        pieces = count_pieces(client, issuer_ca_id, as_of, Window(as_of, None))
    fine: list[tuple[Window, int]] = []
    for w, n in pieces:
        fine.extend(_bisect(client, issuer_ca_id, as_of, w, n, page_size))
    return pack_windows(fine, as_of, page_size)


def _bisect(client, issuer_ca_id, as_of, window: Window, n: int, page_size: int):
    halves = window.split() if n > page_size and window.end is not None else None
    if halves is None:
        return [(window, n)]
    left, right = halves
    n_left = sum(k for _, k in count_pieces(client, issuer_ca_id, as_of, left))
    return (_bisect(client, issuer_ca_id, as_of, left, n_left, page_size)
            + _bisect(client, issuer_ca_id, as_of, right, n - n_left, page_size))


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


def split_to_depth(window: Window, depth: int) -> list[Window]:
    out = [window]
    for _ in range(depth):
        nxt = []
        for w in out:
            nxt.extend(w.split() or (w,))
        out = nxt
    return out


def next_month(m: dt.datetime) -> dt.datetime:
    """The first instant of the next month; December 9999 (RFC 5280's "no expiry" 99991231235959Z) ends where the
    'infinity' window starts."""
    if m.year == 9999 and m.month == 12:
        return INFINITY_START
    return dt.datetime(m.year + (m.month == 12), m.month % 12 + 1, 1)

