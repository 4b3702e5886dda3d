"""analysis.crtsh against a real local PostgreSQL: fetch_ca's frames exactly, both extraction methods, paging,
errors (ambiguous root, unreachable server, client-side timeout), the read-only guest role."""

from __future__ import annotations

import datetime as dt
import json
import time

import numpy as np
import pandas as pd
import psycopg2
import pytest

from analysis import crtsh, x509
from analysis.x509 import sha256_hex
from tests.population import AS_OF, T, fetch_ca_all

TREE = ["R", "I1", "O", "I2", "Z"]  # the issuing CAs below Test Root, in hierarchy order
ISSUED = {"R": ["R", "I1", "O_by_R"], "O": ["O", "R_by_O", "Z"],
          "I1": ["pair_pre", "pair_final", "orphan_pre", "no_o", "at_as_of", "I2", "garbage"],
          "I2": ["i2_leaf"], "Z": ["z_leaf1", "z_leaf2"]}


def guest(p) -> str:
    return p.dsn.replace("user=postgres", "user=guest")


def expected_frame(p) -> pd.DataFrame:
    """The certificates frame built independently from the DER with analysis.x509's public functions."""
    rows = []
    for ca in TREE:
        for label in ISSUED[ca]:
            der = p.der[label]
            if label == "garbage":
                rows.append(dict(certificate_id=p.cert[label], issuer_ca_id=p.ca[ca], sha256=sha256_hex(der),
                                 serial_number=None, not_before=None, not_after=None, subject_o=None,
                                 subject_cn=None, dns_names=[], policy_oids=[], is_precertificate=False,
                                 is_server_auth=False, dedup_key=None, parse_error=crtsh.PARSE_ERROR))
                continue
            o = x509.name_attributes(der, "O", True)
            rows.append(dict(
                certificate_id=p.cert[label], issuer_ca_id=p.ca[ca], sha256=sha256_hex(der),
                serial_number=x509.serial_number(der).hex(), not_before=x509.not_before(der),
                not_after=x509.not_after(der), subject_o=o[0] if o else None, subject_cn=x509.common_name(der),
                dns_names=x509.alt_names(der, 2), policy_oids=x509.cert_policies(der),
                is_precertificate=x509.has_extension(der, x509.CT_POISON, True),
                is_server_auth=x509.is_eku_permitted(der, crtsh.SERVER_AUTH),
                dedup_key=sha256_hex(x509.tbscert_strip_ct_ext(der)), parse_error=None))
    names = {ca: f"C=XX, O=Test PKI (synthetic), CN={n}" for ca, n in
             [("R", "Test Root"), ("O", "Other Root"), ("I1", "Issuing CA 1"), ("I2", "Issuing CA 2"),
              ("Z", "Issuing CA Z")]}
    label_of = {v: k for k, v in p.ca.items()}
    for r in rows:
        r["issuer_name"] = names[label_of[r["issuer_ca_id"]]]
    return crtsh.certificates_frame(rows)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("certificate_id").reset_index(drop=True)


@pytest.mark.parametrize("method", ["client", "server"])
def test_fetch_ca_frames_exact(population, tmp_path, method):
    p = population
    events = []
    res = fetch_ca_all(sha256_hex(p.der["R"]), as_of=AS_OF, dsn=guest(p), cache_dir=tmp_path, method=method,
                         page_size=3, progress=lambda pr: events.append((pr.rows, pr.pages, pr.cas_done)))
    assert res.root_ca_id == p.ca["R"] and not res.from_cache
    assert res.issuing_ca_ids == [p.ca[c] for c in TREE]
    certs = res.certificates
    assert list(certs.columns) == list(crtsh.CERTIFICATE_COLUMNS)
    assert {c: str(t) for c, t in certs.dtypes.items()} == {
        "certificate_id": "int64", "issuer_ca_id": "int64", "issuer_name": "str", "sha256": "str",
        "serial_number": "str", "not_before": "datetime64[ns]", "not_after": "datetime64[ns]",
        "subject_o": "str", "subject_cn": "str", "dns_names": "list<item: string>[pyarrow]",
        "policy_oids": "list<item: string>[pyarrow]",
        "is_precertificate": "bool", "is_server_auth": "bool", "dedup_key": "str", "parse_error": "str"}
    assert certs["certificate_id"].is_unique
    pd.testing.assert_frame_equal(_sorted(certs), _sorted(expected_frame(p)))
    pair = certs.set_index("certificate_id").loc[p.cert["pair_pre"]]
    assert pair["serial_number"] == "0080ab" and pair["sha256"] == sha256_hex(p.der["pair_pre"])
    assert pair["dns_names"] == ["a.example.com", "www.a.example.com", "a.example.com"]
    assert pd.isna(certs.set_index("certificate_id").loc[p.cert["no_o"], "subject_o"])
    # side frames
    label = p.labels_by_id
    revocations = res.revocations.itertuples(index=False)
    assert sorted((label[i], d, None if pd.isna(r) else int(r)) for i, d, r in revocations) == [
        ("pair_final", T(2019, 3, 1, 10), 4), ("pair_pre", T(2019, 3, 1, 10), 4), ("z_leaf2", T(2019, 4, 2), None)]
    assert str(res.revocations["reason_code"].dtype) == "Int64"
    assert dict((label[i], t) for i, t in res.ct.itertuples(index=False)) == {
        "pair_pre": T(2017, 12, 31, 23, 59), "pair_final": T(2018, 1, 1, 2), "orphan_pre": T(2018, 1, 2)}
    assert res.ct["earliest_entry"].dtype == np.dtype("datetime64[ns]")
    assert [(r.trust_context, r.trust_purpose) for r in res.trust.itertuples()] == [
        ("Microsoft", "Server Authentication"), ("Mozilla", "Server Authentication"), ("Mozilla", "Secure Email")]
    assert set(res.hierarchy["ca_id"]) == {p.ca[c] for c in TREE}
    assert res.root["ca_id"].unique().tolist() == [p.ca["R"]]
    # aggregates summed over the CAs and windows equal the frame's own counts
    agg = res.aggregates.set_index(["dimension", "key"])
    assert int(agg.loc[("issuer_ca_id", str(p.ca["I1"])), "certificates"]) == 7
    by_org = agg.loc["organization"]
    assert int(by_org["certificates"].sum()) == len(certs)
    assert int(by_org.loc["Example Org", "certificates"]) == int((certs["subject_o"] == "Example Org").sum())
    months = agg.loc["not_after_month"]
    assert int(months["certificates"].sum()) == len(certs)
    # progress: rows grow to the total, pages counted, every CA done
    assert events[-1] == (len(certs), res.stats["pages"], len(TREE))
    assert res.stats["pages"] >= 7 and res.stats["retries"] == 0


def test_both_methods_give_identical_frames(population, tmp_path):
    p = population
    a = fetch_ca_all(p.ca["R"], as_of=AS_OF, dsn=guest(p), cache_dir=tmp_path, method="client")
    b = fetch_ca_all(p.ca["R"], as_of=AS_OF, dsn=guest(p), cache_dir=tmp_path, method="server")
    pd.testing.assert_frame_equal(a.certificates, b.certificates)
    pd.testing.assert_frame_equal(a.revocations, b.revocations)
    pd.testing.assert_frame_equal(a.aggregates, b.aggregates)


def test_as_of_moves_the_population(population, tmp_path):
    p = population
    later = fetch_ca_all(p.ca["R"], as_of="2020-01-01T00:00:00Z", dsn=guest(p), cache_dir=tmp_path)
    got = {p.labels_by_id[i] for i in later.certificates["certificate_id"]}
    assert got == {"R", "I1", "O_by_R", "O", "R_by_O", "Z", "pair_pre", "pair_final", "no_o", "I2", "garbage",
                   "z_leaf2"}
    # an aware as_of is converted to UTC before it is bound
    aware = dt.datetime(2020, 1, 1, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert crtsh.to_naive_utc(aware) == dt.datetime(2020, 1, 1)


def test_page_plan_is_bounded_and_tiles_the_range(population):
    p = population
    with crtsh.Client(guest(p)) as client:
        windows = crtsh.plan_windows(client, p.ca["I1"], AS_OF, page_size=2)
        assert windows[0].start == AS_OF and windows[-1].end is None
        assert all(a.end == b.start for a, b in zip(windows, windows[1:]))
        sizes = []
        for w in windows:
            _, rows = client.run("unexpired_certificates_der", {"issuer_ca_id": p.ca["I1"], "as_of": AS_OF,
                                                                 **w.params()})
            sizes.append(len(rows))
        assert sum(sizes) == 7 and max(sizes) <= 2
        # a limit of one: the pair shares its notAfter second, so that page holds two (the only allowed excess)
        one = crtsh.plan_windows(client, p.ca["I1"], AS_OF, page_size=1)
        counts = [sum(n for _, n in crtsh.month_counts(client, p.ca["I1"], AS_OF, w)) for w in one]
        assert sorted(counts) == [1, 1, 1, 1, 1, 2] and sum(counts) == 7


def test_ambiguous_and_unknown_roots_are_errors(population, tmp_path):
    p = population
    with pytest.raises(crtsh.CrtshError, match=r"matches 3 CAs — give one of these ids: \d+ C=XX.*Issuing CA 1"):
        fetch_ca_all("%cn=issuing ca%", as_of=AS_OF, dsn=guest(p), cache_dir=tmp_path)
    with pytest.raises(crtsh.CrtshError, match="no CA matches SHA-256 0000"):
        fetch_ca_all("00" * 32, as_of=AS_OF, dsn=guest(p), cache_dir=tmp_path)
    one = fetch_ca_all("c=xx, o=test pki (synthetic), cn=test root", as_of=AS_OF, dsn=guest(p),
                         cache_dir=tmp_path)
    assert one.root_ca_id == p.ca["R"]
    assert not list(tmp_path.glob(".*tmp"))  # failed fetches leave no temporary bundle behind


def test_client_side_statement_timeout_cancels(population):
    p = population
    locker = psycopg2.connect(p.dsn)  # holds a lock so the fetch's statement waits (and the timer fires)
    with locker.cursor() as cur:
        cur.execute("LOCK TABLE ca_certificate IN ACCESS EXCLUSIVE MODE")
    try:
        client = crtsh.Client(guest(p), statement_timeout=0.3, retry=crtsh.RetryPolicy(stall=1.0, base_delay=0.01))
        with pytest.raises(crtsh.CrtshUnavailable, match="exceeded the client timeout of 0.3 s"):
            client.run("root_trust_records", {"root_ca_id": p.ca["R"]})
        # a statement without a window cannot shrink: retried until no statement had succeeded for a second
        assert 2 <= client.progress.retries == client.progress.timeouts <= 4
    finally:
        locker.rollback()
        locker.close()


def test_the_client_sets_no_session_state_and_uses_autocommit(population):
    p = population
    with crtsh.Client(guest(p), application_name="di-test-session") as client:
        client.run("root_trust_records", {"root_ca_id": p.ca["R"]})
        assert client._conn.autocommit and client._conn.status == psycopg2.extensions.STATUS_READY
        watcher = psycopg2.connect(p.dsn)
        with watcher.cursor() as cur:
            cur.execute("SELECT state, backend_xid IS NULL FROM pg_stat_activity WHERE pid = %s",
                        (client.backend_pid,))
            assert cur.fetchone() == ("idle", True)  # not "idle in transaction"
        watcher.close()


def test_unknown_parameters_never_reach_the_server(population):
    p = population
    with crtsh.Client(guest(p)) as client:
        with pytest.raises(crtsh.QueryError, match="unknown ca"):
            client.run("root_trust_records", {"root_ca_id": 1, "ca": 2})
        assert client.backend_pid is None  # nothing was sent: not even connected


def test_fetch_cli_end_to_end(population, tmp_path, capsys):
    import argparse

    p = population
    parser = argparse.ArgumentParser()
    crtsh.add_fetch_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["fetch", "--ca", sha256_hex(p.der["R"]), "--as-of", "2019-05-17",
                              "--dsn", guest(p), "--cache-dir", str(tmp_path), "--quiet"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "16 certificate rows" in out and str(tmp_path) in out


DEMO_ROOT_SHA256 = "63EE9EF5319C126E3E7871B0EA4EB303C605A41F58E1928191B5A71FAB86B652"  # Demo Root CA


def test_demo_database_against_truth(demo_db, tmp_path):
    """The demo population (+ the real Certinomis CA certificates): fetch_ca's frames match the generator's
    truth.csv row for row, with both extraction methods."""
    from analysis import demo
    from analysis.demo_db import demo_files

    conn = psycopg2.connect(demo_db)  # statistics, as crt.sh has (without them JIT compiles for seconds)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("ANALYZE")
    conn.close()
    truth = pd.read_csv(demo_files() / "truth.csv", dtype=str, keep_default_na=False)
    ts = lambda col: pd.to_datetime(truth[col], utc=True).dt.tz_localize(None)  # noqa: E731
    truth["na"] = ts("not_after")
    below_root = truth["issuer_label"].isin(["root", "dv", "ov", "ev"])  # the cross-sign is by the partner root
    want = truth[below_root & (truth["na"] >= pd.Timestamp("2019-05-17"))].set_index("sha256")

    a = fetch_ca_all(DEMO_ROOT_SHA256, as_of="2019-05-17", dsn=demo_db, cache_dir=tmp_path, method="client")
    b = fetch_ca_all(DEMO_ROOT_SHA256, as_of="2019-05-17", dsn=demo_db, cache_dir=tmp_path, method="server")
    pd.testing.assert_frame_equal(a.certificates, b.certificates)
    got = a.certificates.set_index("sha256")
    assert a.certificates["certificate_id"].is_unique
    assert set(got.index) == set(want.index)
    got = got.loc[want.index]
    assert (got["not_after"] == want["na"]).all()
    assert (got["is_precertificate"] == (want["kind"] == "precert")).all()
    assert (got["subject_o"].fillna("") == want["organisation"]).all()
    assert (got["subject_cn"].fillna("") == want["subject_cn"]).all()
    assert (got["serial_number"].str.lstrip("0") == want["serial"].str.lstrip("0")).all()
    assert got["parse_error"].isna().all()
    # revocations and earliest CT entries per certificate row, as the generator wrote them
    rev = a.revocations.merge(a.certificates[["certificate_id", "sha256"]]).set_index("sha256")
    want_rev = want[want["revoked"] == "true"]
    assert set(rev.index) == set(want_rev.index)
    ct = a.ct.merge(a.certificates[["certificate_id", "sha256"]]).set_index("sha256")["earliest_entry"]
    want_ct = want.loc[want["earliest_ct_entry"] != "", "earliest_ct_entry"]
    assert set(ct.index) == set(want_ct.index)
    assert (ct.loc[want_ct.index] == pd.to_datetime(want_ct, utc=True).dt.tz_localize(None)).all()
    # issuances (a pair counts once) = the generator's unexpired + issued-after-as_of, plus the CA certificates
    head = demo.expected_counts()["expected_as_of_2019_05_17"]
    leaves = a.certificates[~a.certificates["sha256"].isin(truth.loc[truth["kind"].isin(["root", "intermediate",
                                                                                         "cross"]), "sha256"])]
    issuances = leaves.drop_duplicates(["issuer_ca_id", "serial_number", "dedup_key"])
    as_of = pd.Timestamp("2019-05-17")
    alive = issuances[(issuances["not_before"] <= as_of) & (issuances["not_after"] > as_of)]
    assert len(alive) == head["unexpired_issuances"]
    assert int((issuances["not_before"] > as_of).sum()) == head["issued_after_2019_05_17"]


def test_an_exhausted_budget_keeps_the_pages_and_the_printed_command_resumes(population, tmp_path):
    """A fetch that runs out of time (deadline) keeps every finished page on disk; its error names them and gives
    the exact command, which resumes without fetching those pages again and ends with exactly the rows of a fetch
    that was never interrupted."""
    import argparse
    import shlex

    p = population
    whole = crtsh.fetch_ca(p.ca["R"], crtsh.FetchOptions(as_of=AS_OF, dsn=guest(p), cache=False, page_size=2))
    slow = crtsh.Client(guest(p), retry=crtsh.RetryPolicy(deadline=3.0),
                        before_statement=lambda client, info: time.sleep(0.1))
    with pytest.raises(crtsh.CrtshUnavailable) as err:
        crtsh.fetch_ca(p.ca["R"], crtsh.FetchOptions(as_of=AS_OF, cache_dir=tmp_path, page_size=2), client=slow)
    msg = str(err.value)
    print(msg)
    partial = next(tmp_path.glob(".*.partial"))
    assert "\n" not in msg and msg.startswith("gave up on ") and "the deadline of 3 s passed" in msg
    assert f"kept in {partial}; resume with: distrust-impact fetch --ca {p.ca['R']} --as-of 2019-05-17T00:00:00 " \
           f"--dsn 'host=127.0.0.1 port=" in msg and msg.endswith(f" --cache-dir {tmp_path} --page-size 2 --deadline 3")
    state = json.loads((partial / "state.json").read_text())
    kept = {k: v["rows"] for k, v in state["parts"].items()}
    assert kept and f"fetched so far: the root (ca_id {p.ca['R']}) and its hierarchy (5 CAs)" in msg
    assert f"{len(kept)}/{state['pages_total']} pages ({sum(kept.values()):,} certificate rows)" in msg
    # the printed command, as a user would paste it (without the deadline, which would stop it again)
    argv = shlex.split(msg.split("resume with: ")[1])[1:-2] + ["--quiet"]
    parser = argparse.ArgumentParser()
    crtsh.add_fetch_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    assert args.func(args) == 0
    res = crtsh.load_cached(next(d for d in tmp_path.iterdir() if not d.name.startswith(".")))
    assert res.stats["resumed_pages"] == len(kept) and res.stats["runs"] == 2
    assert res.stats["pages"] == state["pages_total"]
    for name in ("certificates", "revocations", "ct", "hierarchy"):
        pd.testing.assert_frame_equal(getattr(res, name), getattr(whole, name))
    assert not list(tmp_path.glob(".*"))  # the progress files are gone once the bundle is complete


# A TCP relay in front of the database that can freeze (SIGUSR1): bytes stop flowing both ways on every open
# connection and on those accepted in the next 1.5 s, while the sockets stay open — a pooler that stopped answering
# (accepting connections, the cancel request's included, but never replying). Later connections are relayed normally.
# It runs in a process of its own, as a pooler does.
FREEZING_PROXY = r"""
import signal, socket, sys, threading, time
target = int(sys.argv[1])
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
open_pairs, frozen, until = [], set(), [0.0]
def freeze(*a):
    frozen.update(open_pairs)
    until[0] = time.monotonic() + 1.5
signal.signal(signal.SIGUSR1, freeze)
def pump(src, dst, pair):
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            return
        if not data:  # end of stream passed on: a cancel request waits for the server to close
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            return
        if pair not in frozen:
            try:
                dst.sendall(data)
            except OSError:
                return
while True:
    client, _ = listener.accept()
    pair = (client, socket.create_connection(("127.0.0.1", target)))
    open_pairs.append(pair)
    if time.monotonic() < until[0]:
        frozen.add(pair)
    for a, b in (pair, pair[::-1]):
        threading.Thread(target=pump, args=(a, b, pair), daemon=True).start()
"""


def test_a_statement_nobody_answers_is_cut_and_retried(population, monkeypatch):
    """The client's timer cancels; when not even the cancel is answered, the socket is shut down after
    CANCEL_GRACE seconds, and the statement is retried on a new connection (it used to wait forever: the cancel
    request itself never returned, holding the GIL)."""
    p = population
    import signal
    import subprocess
    import sys

    target = psycopg2.extensions.parse_dsn(guest(p))
    proxy = subprocess.Popen([sys.executable, "-c", FREEZING_PROXY, target["port"]], stdout=subprocess.PIPE, text=True)
    monkeypatch.setattr(crtsh, "CANCEL_GRACE", 0.5)
    try:
        port = int(proxy.stdout.readline())
        client = crtsh.Client(psycopg2.extensions.make_dsn(**dict(target, port=port)), statement_timeout=0.5,
                              retry=crtsh.RetryPolicy(stall=30, base_delay=0.01), connect_timeout=2)
        want = client.run("root_trust_records", {"root_ca_id": p.ca["R"]})
        proxy.send_signal(signal.SIGUSR1)
        time.sleep(0.2)
        t0 = time.monotonic()
        assert client.run("root_trust_records", {"root_ca_id": p.ca["R"]}) == want
        assert time.monotonic() - t0 < 8
        # timed out and cut after the unanswered cancel (more than once if a reconnect lands while still frozen)
        assert client.progress.timeouts >= 1 and client.progress.reconnects >= 1
        client.close()
    finally:
        proxy.kill()
        proxy.wait()
