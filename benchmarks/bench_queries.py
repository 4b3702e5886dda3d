"""Benchmark of the crt.sh queries and client on a large generated population (not a timed test).

    .venv/bin/python benchmarks/bench_queries.py [--certs 200000] [--page-size 2000] [--keep]

1. Starts a throwaway local cluster with crt.sh's schema (analysis.localdb).
2. Generates the population quickly: one root and four issuing CAs (deterministic EC keys, loaded with
   analysis.localdb.load_paths so the ca/ca_certificate rows are crt.sh-like), then leaves that all reuse one leaf
   key and vary serial, subject O= (30 % without), CN, SANs, policy OID and dates; one in ten leaves also has a
   precertificate (same serial and TBS but for the poison extension). Leaves are built in two worker processes and
   COPYed straight into ``certificate`` with the issuer_ca_id already known (the loader's per-certificate signature
   check is what makes it slow; PostgreSQL still routes each row to its partition and builds every index with the
   x509_* functions). 1 % of the leaves get a CRL entry and every leaf one CT log entry. Then ANALYZE.
3. Prints EXPLAIN for every query (index scans, pruned partitions) on this population.
4. Compares the two ways to get the certificate fields over the same index ranges:
   ``server`` — crt.sh's x509_* functions (unexpired_certificates.sql) — and ``client`` — the DER bytes
   (unexpired_certificates_der.sql) parsed once per certificate with analysis.x509 — measuring the server's
   execution time (EXPLAIN ANALYZE of the same statements) and the total time of a full fetch_ca, each fetch in a
   fresh child process so its peak memory (max RSS) is its own; and the client method once more with one page per
   CA to show that the paged fetch's memory does not grow with the page count.

Results and the reasoning for the default method: docs/queries.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "--child" not in sys.argv:  # a child imports the tree its PYTHONPATH names (this one, or --baseline's)
    sys.path.insert(0, str(ROOT))

AS_OF = dt.datetime(2019, 5, 17)
N_CAS = 4


def _ca_material():
    from cryptography import x509 as cx509

    from tests import pki

    root_k = pki.key("bench-root")
    root_n = pki.name("Bench Root CA", "Bench PKI (synthetic)")
    root = pki.build(root_n, root_k, root_n, root_k, serial=1, ca=True, not_before=dt.datetime(2010, 1, 1),
                     not_after=dt.datetime(2035, 1, 1))
    cas = []
    for i in range(N_CAS):
        k = pki.key(f"bench-ca-{i}")
        n = pki.name(f"Bench Issuing CA {i}", "Bench PKI (synthetic)")
        cert = pki.build(n, k, root_n, root_k, serial=100 + i, ca=True, not_before=dt.datetime(2015, 1, 1),
                         not_after=dt.datetime(2030, 1, 1))
        cas.append((n, k, cert))
    return root, cas, cx509


def _leaves(args) -> list[tuple[int, bytes]]:
    """Worker: DER leaves for CA ``ca_index``, numbers [lo, hi)."""
    ca_index, lo, hi = args
    import random

    from cryptography import x509 as cx509

    from tests import pki

    _, cas, _ = _ca_material()
    issuer_n, issuer_k, _ = cas[ca_index]
    leaf_k = pki.key("bench-leaf")
    rng = random.Random(ca_index * 1_000_003 + lo)
    pol = lambda oid: (cx509.CertificatePolicies([cx509.PolicyInformation(cx509.ObjectIdentifier(oid), None)]),  # noqa
                       False)
    out = []
    for i in range(lo, hi):
        host = f"h{i}.c{ca_index}.example{rng.randrange(500)}.fr"
        org = None if rng.random() < 0.3 else f"Organisation {rng.randrange(300)} SA"
        nb = dt.datetime(2017, 1, 1) + dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
        na = nb + dt.timedelta(days=rng.choice((365, 730, 825)))
        sans = [host] + [f"{x}.{host}" for x in ("www", "api")[: rng.randrange(3)]]
        policy = pol("2.23.140.1.2.2" if org else "2.23.140.1.2.1")
        serial = (ca_index << 40) + i + (1 << 63 if i % 7 == 0 else 0)  # some with the high bit set
        common = dict(serial=serial, ca=False, sans=sans, not_before=nb, not_after=na)
        subject = pki.name(host, org)
        final = pki.build(subject, leaf_k, issuer_n, issuer_k, **common,
                          extra=[(cx509.UnrecognizedExtension(pki.SCT_LIST, b"\x04\x02\x00\x00"), False), policy])
        out.append((ca_index, pki.der(final)))
        if i % 10 == 0:
            pre = pki.build(subject, leaf_k, issuer_n, issuer_k, **common,
                            extra=[(cx509.UnrecognizedExtension(pki.POISON, b"\x05\x00"), True), policy])
            out.append((ca_index, pki.der(pre)))
    return out


def build_population(dsn: str, n_certs: int) -> dict:
    import psycopg2

    from analysis.localdb import load_paths
    from tests import pki

    t0 = time.perf_counter()
    root, cas, _ = _ca_material()
    with tempfile.TemporaryDirectory() as d:
        for label, cert in [("root", root)] + [(f"ca{i}", c) for i, (_, _, c) in enumerate(cas)]:
            Path(d, f"{label}.der").write_bytes(pki.der(cert))
        load_paths(dsn, [d])
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT name, id FROM ca WHERE id > 0")
    ca_ids = dict(cur.fetchall())
    issuer_ids = [ca_ids[f"C=XX, O=Bench PKI (synthetic), CN=Bench Issuing CA {i}"] for i in range(N_CAS)]
    per_ca = int(n_certs / N_CAS / 1.1) + 1  # +10 % precertificates
    chunks = [(ca, lo, min(lo + 5000, per_ca)) for ca in range(N_CAS) for lo in range(0, per_ca, 5000)]
    generated = 0
    t_copy = 0.0
    with ProcessPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        for batch in pool.map(_leaves, chunks):
            t1 = time.perf_counter()
            buf = io.StringIO()
            for ca_index, der in batch:
                buf.write(f"{issuer_ids[ca_index]}\t\\\\x{der.hex()}\n")
            buf.seek(0)
            cur.copy_expert("COPY certificate (issuer_ca_id, certificate) FROM STDIN", buf)
            t_copy += time.perf_counter() - t1
            generated += len(batch)
            print(f"\r  loaded {generated:,} certificates", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    t1 = time.perf_counter()
    cur.execute("INSERT INTO ct_log (id, operator, url, name) VALUES (1, 'Bench', 'https://ct.example/b/', 'Bench')")
    # one CT entry per leaf row (the id stands in for an entry id; timestamps spread over 2017-2019)
    cur.execute("""INSERT INTO ct_log_entry (certificate_id, entry_id, entry_timestamp, ct_log_id)
                   SELECT c.id, c.id, timestamp '2017-01-01' + (c.id %% 94608000) * interval '1 second', 1
                   FROM certificate c WHERE c.issuer_ca_id = ANY(%s)""", (issuer_ids,))
    cur.execute("""INSERT INTO crl_revoked (ca_id, serial_number, reason_code, revocation_date, last_seen_check_date)
                   SELECT c.issuer_ca_id, x509_serialNumber(c.certificate), 1, timestamp '2019-01-01',
                          timestamp '2019-01-01'
                   FROM certificate c WHERE c.issuer_ca_id = ANY(%s) AND c.id %% 100 = 0
                   ON CONFLICT DO NOTHING""", (issuer_ids,))
    cur.execute("ANALYZE")
    conn.close()
    return dict(population_info(dsn), load_seconds=round(time.perf_counter() - t0, 1), copy_seconds=round(t_copy, 1),
                side_tables_seconds=round(time.perf_counter() - t1, 1))


def population_info(dsn: str) -> dict:
    """The root, the issuing CAs and the row count of a population built by :func:`build_population`."""
    import psycopg2

    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT name, id FROM ca WHERE id > 0")
        ca_ids = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM certificate")
        total = cur.fetchone()[0]
    conn.close()
    return {"certificates": total, "root_ca_id": ca_ids["C=XX, O=Bench PKI (synthetic), CN=Bench Root CA"],
            "issuer_ca_ids": [ca_ids[f"C=XX, O=Bench PKI (synthetic), CN=Bench Issuing CA {i}"] for i in range(N_CAS)]}


# --------------------------------------------------------------------------------------------------------------------


def _patch(name: str, wrap) -> None:
    """Wrap function ``name`` wherever the client's modules hold it (the package of this tree, or the one module
    ``analysis/crtsh.py`` of an older tree given with --baseline)."""
    for mod_name, mod in list(sys.modules.items()):
        if (mod_name == "analysis.crtsh" or mod_name.startswith("analysis.crtsh.")) and hasattr(mod, name):
            setattr(mod, name, wrap(getattr(mod, name)))


def child(spec: dict) -> dict:
    """One fetch_ca in this (fresh) process: timings per query, rows, pages, peak RSS, CPU seconds."""
    from analysis import crtsh

    class TimedClient(crtsh.Client):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.seconds: dict[str, float] = {}

        def _execute(self, conn, query, params):
            t = time.perf_counter()
            try:
                return super()._execute(conn, query, params)
            finally:
                self.seconds[query.name] = self.seconds.get(query.name, 0.0) + time.perf_counter() - t

    convert_s, convert_cpu = [0.0], [0.0]

    def timed(original):
        def timed_convert(cols, rows):
            t, c = time.perf_counter(), time.thread_time()  # this thread's: the statement thread runs meanwhile
            try:
                return original(cols, rows)
            finally:
                convert_s[0] += time.perf_counter() - t
                convert_cpu[0] += time.thread_time() - c
        return timed_convert

    for fn_name in ("records_from_der_rows", "records_from_server_rows"):
        _patch(fn_name, timed)
    fetch_peak = [0.0]

    def at_end(original_load):
        def load_after_fetch(path):  # the paged fetch is over: record its peak before the result frames are read
            fetch_peak[0] = _vm_hwm_mb()
            return original_load(path)
        return load_after_fetch

    _patch("load_cached", at_end)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    client = TimedClient(spec["dsn"], statement_timeout=3600)
    cpu0 = time.process_time()
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        kw = dict(as_of=AS_OF, cache_dir=d, method=spec["method"], page_size=spec["page_size"])
        if hasattr(crtsh, "FetchOptions"):
            res = crtsh.fetch_ca(spec["root_ca_id"], crtsh.FetchOptions(**kw, parse_workers=spec.get("workers")),
                                 client=client)
        else:  # an older tree (--baseline): fetch_ca's keywords
            res = crtsh.fetch_ca(spec["root_ca_id"], client=client, **kw)
    total = time.perf_counter() - t
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the parse worker processes, when there were some
    page_query = "unexpired_certificates_der" if spec["method"] == "client" else "unexpired_certificates"
    try:  # the parse processes this tree's fetch chose when not told (an older tree has no such choice)
        from analysis.crtsh.steps import parse_workers_for
        chosen = spec.get("workers") or parse_workers_for(res.rows_planned)
    except ImportError:
        chosen = 1
    return {"method": spec["method"], "page_size": spec["page_size"], "workers": spec.get("workers"),
            "parse_workers": chosen,
            "rows": len(res.certificates),
            "pages": res.stats["pages"], "statements": res.stats["statements"], "total_s": total,
            "cpu_s": time.process_time() - cpu0, "workers_cpu_s": workers.ru_utime + workers.ru_stime,
            "workers_maxrss_mb": workers.ru_maxrss / 1024,
            "page_statements_s": client.seconds.get(page_query, 0.0), "all_statements_s": sum(client.seconds.values()),
            "convert_s": convert_s[0], "convert_cpu_s": convert_cpu[0], "fetch_peak_mb": fetch_peak[0],
            "per_query_s": client.seconds, "maxrss_mb_before": rss0 / 1024,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "unparsable": int(res.certificates["parse_error"].notna().sum()),
            "digest": _digest(res)}


def _digest(res) -> str:
    """One hash of the fetched frames, to show that two trees fetched exactly the same rows."""
    import hashlib

    h = hashlib.sha256()
    for name in ("certificates", "revocations", "ct"):
        frame = getattr(res, name)
        h.update(frame.sort_values("certificate_id", kind="stable").to_csv(index=False).encode())
    return h.hexdigest()[:16]


def _vm_hwm_mb() -> float:
    """Peak resident set size of this process so far (Linux /proc/self/status VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_child(spec: dict, tree: Path = ROOT) -> dict:
    """``child(spec)`` in a fresh process with the ``analysis`` package (and ``queries/``) of ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
                         capture_output=True, text=True, env=env, check=True, cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])


def server_seconds(dsn: str, query_name: str, issuer_ids: list[int]) -> float:
    """Server execution time of the query over each CA's whole unexpired range (EXPLAIN ANALYZE, no transfer)."""
    import psycopg2

    from analysis.querylib import load_query

    q = load_query(query_name)
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    total = 0.0
    with conn.cursor() as cur:
        for ca in issuer_ids:
            cur.execute("EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) " + q.sql,
                        q.bind({"issuer_ca_id": ca, "as_of": AS_OF, "window_start": AS_OF, "window_end": None}))
            text = "\n".join(r[0] for r in cur.fetchall())
            total += float(re.search(r"Execution Time: ([\d.]+) ms", text).group(1)) / 1000
    conn.close()
    return total


def explain_all(dsn: str, info: dict) -> str:
    import psycopg2

    from analysis.querylib import load_queries
    from analysis.x509 import sha256_hex

    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT digest(c.certificate, 'sha256') FROM ca_certificate cac JOIN certificate c ON "
                "c.id = cac.certificate_id WHERE cac.ca_id = %s", (info["root_ca_id"],))
    root_sha = bytes(cur.fetchone()[0])
    ca = info["issuer_ca_ids"][0]
    window = {"as_of": AS_OF, "window_start": dt.datetime(2020, 1, 1), "window_end": dt.datetime(2020, 7, 1)}
    params = {
        "resolve_ca": {"root_sha256": root_sha, "ca_id": None, "name_pattern": None},
        "ca_hierarchy": {"root_ca_id": info["root_ca_id"]},
        "root_trust_records": {"root_ca_id": info["root_ca_id"]},
    }
    # a page of the window: the ids and serials the client has when it asks for their revocations and CT entries
    cur.execute("SELECT c.id, x509_serialNumber(c.certificate) FROM certificate c WHERE c.issuer_ca_id = %s AND "
                "coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %s AND "
                "coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) < %s LIMIT 2000",
                (ca, window["window_start"], window["window_end"]))
    page = cur.fetchall()
    params["certificate_revocations"] = {"issuer_ca_id": ca, "certificate_ids": [r[0] for r in page],
                                         "serial_numbers": [bytes(r[1]) for r in page]}
    params["earliest_ct_entries"] = {"certificate_ids": [r[0] for r in page]}
    cur.execute("SELECT relname FROM pg_class WHERE relname LIKE 'certificate\\_%%' AND reltuples > 0")
    nonempty = {r[0] for r in cur.fetchall()}
    out = []
    for name, q in load_queries().items():
        p = params.get(name) or {"issuer_ca_id": ca, **window}
        cur.execute("EXPLAIN (COSTS OFF) " + q.sql, q.bind(p))
        plan = "\n".join(r[0] for r in cur.fetchall())
        parts = sorted(set(re.findall(r" on (certificate_\w+)", plan)))
        seq = sorted(set(re.findall(r"Seq Scan on (certificate_\w+)", plan)) & nonempty)
        idx = sorted(set(re.findall(r"Index (?:Only )?Scan (?:using|on) (\w+)", plan)))
        shown = {k: (v.isoformat() if isinstance(v, dt.datetime) else sha256_hex(v) if isinstance(v, bytes) else
                     f"[{len(v)} values]" if isinstance(v, list) else v) for k, v in p.items()}
        out.append(f"--- {name} {shown}\n    certificate partitions in plan: {', '.join(parts) or '-'}\n"
                   f"    seq scans on non-empty certificate partitions: {', '.join(seq) or 'none'} "
                   f"(an empty partition's seq scan costs nothing)\n"
                   f"    indexes: {', '.join(idx)}\n" + "\n".join("    " + line for line in plan.splitlines()))
    conn.close()
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--certs", type=int, default=200_000)
    ap.add_argument("--page-size", type=int, default=2000)
    ap.add_argument("--keep", action="store_true", help="keep the cluster running (prints its DSN)")
    ap.add_argument("--dsn", help="measure on a population an earlier --keep run left (its printed DSN) instead of "
                                  "building one")
    ap.add_argument("--explain-out", type=Path, help="also write the full EXPLAIN output to this file")
    ap.add_argument("--baseline", type=Path, metavar="TREE",
                    help="also fetch with the client of another checkout (e.g. an export of an older commit), "
                         "right before this tree's fetch, and print the ratio")
    ap.add_argument("--client-only", action="store_true",
                    help="skip the server-method fetch and the one-page-per-CA fetch")
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0

    from analysis.localdb import LocalCluster, create_schema

    cluster = None if args.dsn else LocalCluster(keep=args.keep).start()
    try:
        if cluster is None:
            info = population_info(args.dsn)
            dsn = args.dsn.replace("user=postgres", "user=guest")
            print(f"population: {info['certificates']:,} certificate rows (root ca_id {info['root_ca_id']}, issuing "
                  f"CAs {info['issuer_ca_ids']}), built earlier")
        else:
            create_schema(cluster.dsn)
            print(f"generating and loading ~{args.certs:,} certificates …", file=sys.stderr)
            info = build_population(cluster.dsn, args.certs)
            dsn = cluster.guest_dsn()
            print(f"\npopulation: {info['certificates']:,} certificate rows (root ca_id {info['root_ca_id']}, issuing "
                  f"CAs {info['issuer_ca_ids']}); generated+loaded in {info['load_seconds']} s "
                  f"(COPY {info['copy_seconds']} s, CT/CRL/ANALYZE {info['side_tables_seconds']} s)")

        explain = explain_all(dsn, info)
        if args.explain_out:
            args.explain_out.write_text(explain + "\n")
        print("\n== EXPLAIN (window 2020-01-01 .. 2020-07-01 for the per-CA queries) ==")
        print(explain)

        print("\n== server execution time over each CA's whole unexpired range (EXPLAIN ANALYZE, sum of CAs) ==")
        srv = {m: server_seconds(dsn, q, info["issuer_ca_ids"]) for m, q in
               (("server", "unexpired_certificates"), ("client", "unexpired_certificates_der"))
               if not (args.client_only and m == "server")}
        for m, s in srv.items():
            print(f"  {m:6s} {s:8.2f} s")

        print("\n== fetch_ca, each in a fresh process ==")
        spec = {"dsn": dsn, "root_ca_id": info["root_ca_id"]}
        runs = []
        if args.baseline:
            runs.append(dict(run_child({**spec, "method": "client", "page_size": args.page_size}, args.baseline),
                             tree="baseline"))
        # the client method with the default parse processes (two here: steps.parse_workers_for), and parsing in
        # the client process
        plan = [("client", args.page_size, None), ("client", args.page_size, 1)]
        if not args.client_only:
            plan = [("server", args.page_size, None)] + plan + [("client", 10**9, 1)]
        runs += [dict(run_child({**spec, "method": m, "page_size": ps, "workers": wk}), tree="this")
                 for m, ps, wk in plan]
        header = (f"{'tree':8s} {'method':7s} {'workers':>7s} {'page_size':>9s} {'rows':>8s} {'pages':>5s} "
                  f"{'stmts':>5s} "
                  f"{'server_s':>8s} {'page_stmt_s':>11s} {'parse_s':>7s} {'us/cert':>7s} {'all_stmt_s':>10s} "
                  f"{'total_s':>8s} {'cpu_s':>6s} {'wrk_cpu':>7s} {'rows/s':>8s} {'start_MB':>8s} {'fetch_MB':>8s} "
                  f"{'peak_MB':>8s} {'wrk_MB':>6s}")
        print(header)
        for r in runs:
            ps = "per-CA" if r["page_size"] >= 10**9 else str(r["page_size"])
            wk = "-" if r["method"] != "client" or r["tree"] == "baseline" else (
                str(r["workers"] or f"auto:{r['parse_workers']}"))
            print(f"{r['tree']:8s} {r['method']:7s} {wk:>7s} {ps:>9s} {r['rows']:>8,} {r['pages']:>5} "
                  f"{r['statements']:>5} "
                  f"{srv[r['method']]:>8.2f} {r['page_statements_s']:>11.2f} {r['convert_s']:>7.2f} "
                  f"{(r['convert_cpu_s'] + r.get('workers_cpu_s', 0)) / r['rows'] * 1e6:>7.0f} "
                  f"{r['all_statements_s']:>10.2f} {r['total_s']:>8.2f} {r['cpu_s']:>6.1f} "
                  f"{r.get('workers_cpu_s', 0):>7.1f} {r['rows'] / r['total_s']:>8,.0f} {r['maxrss_mb_before']:>8.0f} "
                  f"{r['fetch_peak_mb']:>8.0f} {r['maxrss_mb']:>8.0f} {r.get('workers_maxrss_mb', 0):>6.0f}")
        print("parse_s: row conversion in the client process (wall; 0 when worker processes parse); us/cert: parsing "
              "CPU per certificate row (client process + workers, the workers' start included); cpu_s: the client "
              "process's CPU; wrk_cpu: the parse workers' CPU; start_MB: after imports; fetch_MB: peak when the paged "
              "fetch is done (before the result frames are read back from the cache); peak_MB: peak including the "
              "returned frames; wrk_MB: the largest parse worker's peak")
        print("\nper-query statement seconds (execute + fetch, client-side):")
        for r in runs:
            print(f"  {r['tree']} {r['method']}/{r['page_size']}: " + ", ".join(
                f"{k} {v:.2f}" for k, v in sorted(r["per_query_s"].items())))
        if args.baseline:
            base = runs[0]
            print()
            for this in (r for r in runs if r["tree"] == "this" and r["method"] == "client"
                         and r["page_size"] == args.page_size):
                how = ("parse in-process" if this["workers"] == 1 else
                       f"default: {this['parse_workers']} parse process{'es' if this['parse_workers'] > 1 else ''}")
                print(f"this tree ({how}) "
                      f"/ baseline, client method, page size {args.page_size}: "
                      f"{(this['rows'] / this['total_s']) / (base['rows'] / base['total_s']):.2f}x rows/s "
                      f"({base['rows'] / base['total_s']:,.0f} -> {this['rows'] / this['total_s']:,.0f}); CPU "
                      f"{base['cpu_s']:.1f} -> {this['cpu_s']:.1f} s (+{this['workers_cpu_s']:.1f} s in parse "
                      f"workers); same frames: {base['digest'] == this['digest']}")
        assert len({r["rows"] for r in runs}) == 1 and len({r["digest"] for r in runs}) == 1
        if args.keep and cluster is not None:
            print(f"\ncluster kept: {cluster.dsn}")
    finally:
        if cluster is not None and not args.keep:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
