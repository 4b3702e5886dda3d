"""The paged fetch's threads (statements in one, journal writes in another, parsing in the caller's): the result is
exactly the sequential one at any page size, and a fetch stopped by Ctrl-C while a statement is under way cancels
that statement at once instead of waiting for it (real PostgreSQL, a real lock holding the statement)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pandas as pd
import psycopg2
import pytest

from analysis import crtsh
from tests.population import AS_OF


def guest(p) -> str:
    return p.dsn.replace("user=postgres", "user=guest")


@pytest.mark.parametrize("page_size", [1, 3, 1000])
def test_every_page_size_gives_the_same_frames_in_the_same_order(population, tmp_path, page_size):
    p = population
    one_page = crtsh.fetch_ca(p.ca["R"], as_of=AS_OF, dsn=guest(p), cache=False, page_size=10**6)
    paged = crtsh.fetch_ca(p.ca["R"], as_of=AS_OF, dsn=guest(p), cache_dir=tmp_path, page_size=page_size)
    pages = paged.stats["pages"]
    assert len(paged.certificates) == 16 and pages == paged.stats["windows"] and (pages > 5 or page_size > 16)
    for name in ("certificates", "revocations", "ct"):
        pd.testing.assert_frame_equal(getattr(paged, name), getattr(one_page, name))
    assert not [t.name for t in threading.enumerate() if t.name.startswith("crtsh-")]


def test_ctrl_c_cancels_the_statement_under_way(population, tmp_path):
    p = population
    held, pages = [], []

    def hold_the_third_page(client, info):
        # the third page's statement (in the statement thread) waits on a lock held far longer than the test;
        # Ctrl-C comes meanwhile, in the main thread
        pages.append(info.query == "unexpired_certificates_der")
        if sum(pages) == 3 and not held:
            locker = psycopg2.connect(p.dsn)
            with locker.cursor() as cur:
                cur.execute("LOCK TABLE certificate, crl_revoked, ct_log_entry IN ACCESS EXCLUSIVE MODE")
            held.append(locker)
            threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()  # Ctrl-C

    client = crtsh.Client(guest(p), before_statement=hold_the_third_page, statement_timeout=600)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            crtsh.fetch_ca(p.ca["R"], as_of=AS_OF, client=client, cache_dir=tmp_path, page_size=2)
        took = time.monotonic() - started
        with psycopg2.connect(p.dsn) as admin, admin.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'distrust-impact' AND "
                        "state = 'active'")
            still_running = cur.fetchone()[0]
        admin.close()
    finally:
        for locker in held:
            locker.rollback()
            locker.close()
        client.close()
    assert held and took < 30  # not the 600 s the statement could have waited
    assert still_running == 0  # cancelled on the server, not left waiting on the lock
    assert not [t.name for t in threading.enumerate() if t.name.startswith("crtsh-")]
    # the next fetch with the same client works (interrupt() lasts until the next fetch begins) and resumes
    res = crtsh.fetch_ca(p.ca["R"], as_of=AS_OF, client=client, cache_dir=tmp_path, page_size=2)
    assert len(res.certificates) == 16 and res.stats["runs"] == 2
