"""Benchmark the impact library on a synthetic 1,000,000-row certificates frame.

    .venv/bin/python benchmarks/bench_impact.py [--rows 1000000] [--seed 1] [--csv-dir /tmp]
    .venv/bin/python benchmarks/bench_impact.py --scale [--large]     # memory/CPU table at 1M (and 3M) rows
    .venv/bin/python benchmarks/bench_impact.py --scale --large --load-before /tmp/before   # + another checkout's read

``--scale`` runs each size in its own process and prints one line per size: rows, issuances, peak MB above the
input frames, bytes per certificate row, CPU seconds, and the ratio of the library's core steps (normalise,
evaluate, summary and the group tables) to bare group-bys of the same columns (the issuance key, organisation,
DNS name, intermediate) in pandas and, when installed, Polars and DuckDB (single-threaded), timed in the same
process in rounds alternating with the library's (``--repeat``, default 3; each side's best round, the worst round's
ratio beside it), so ratios hold on a busy machine; and the out-of-core engine (DuckDB, every counting
rule, one thread) on the same frames written to Parquet; and the reading of the certificates frame back from a
Parquet file of the cache's schema (``analysis.frames``) in a fresh process, as a report's kernel does before it
normalises (``--load-before CHECKOUT``: the same with another checkout's ``analysis`` package, alternating).

The frame follows ``docs/design.md`` (certificates frame + revocations + CT side frames) and is shaped like a large
CA's crt.sh population: 60 % of rows are precertificate/certificate pairs, the rest final certificates, orphan
precertificates and a few unparsable rows; ~50k organisations (with case/space variants of the same name), ~40 %
DV without O=; ~200k distinct DNS names under ~60k registrable domains, with wildcards, trailing dots, upper case,
names with spaces and unknown TLDs; 20 issuing intermediates. Its rows are in the order the fetch writes them
(``analysis.crtsh.rows.sort_key``: notAfter, unparsable rows last, then crt.sh id, the ids following logging time:
a final certificate usually logged after its precertificate), so a precertificate and its certificate sit side by
side as in a cache; ``--random-order`` shuffles the rows instead (crt.sh ids in row order), the frame of the
benchmark's runs before that, where the two rows of a pair are anywhere in the frame.

Each step prints wall seconds and the peak resident memory while it ran (sampled from /proc/self/statm every
5 ms; ru_maxrss, the process high-water mark, is printed at the end). Beside the library steps, the "reference"
column times a bare pandas groupby over the same columns, so the overhead of the library's rules is visible.
Data generation is not timed.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
# --library DIR (the cache-reading step's own process): that checkout's analysis package instead of this one's
sys.path.insert(0, sys.argv[sys.argv.index("--library") + 1] if "--library" in sys.argv else str(ROOT))
LOAD_BEFORE: list[str] = []  # --load-before checkouts
ORDER = ["fetch"]  # --random-order: ["random"]
REPEAT = [3]  # --repeat: rounds of the core and the bare group-bys

from analysis.normalise import normalise  # noqa: E402
from analysis.policies import Allowlist, DistrustAfter, NameConstrained, Removal  # noqa: E402
from analysis.tables import compare_options, date_sweep, evaluate  # noqa: E402
from analysis.textfmt import format_table  # noqa: E402

OIDS = [["2.23.140.1.2.1"], ["2.23.140.1.2.2", "1.3.6.1.4.1.99999.1"], ["2.23.140.1.1", "1.3.6.1.4.1.99999.2"],
        ["2.23.140.1.2.3"], ["1.3.6.1.4.1.99999.3"]]
SUFFIXES = ["fr", "com", "gouv.fr", "co.uk", "org", "net", "de", "paris", "re", "nc", "internal"]
SUFFIX_P = [0.35, 0.2, 0.08, 0.05, 0.08, 0.08, 0.05, 0.03, 0.03, 0.02, 0.03]


def _hex(rng: np.random.Generator, n: int, nbytes: int, upper: bool = True) -> np.ndarray:
    raw = rng.bytes(n * nbytes).hex()
    if upper:
        raw = raw.upper()
    w = 2 * nbytes
    return np.array([raw[i:i + w] for i in range(0, len(raw), w)], dtype=object)


def generate(rows: int, seed: int = 1, order: str = "fetch") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(certificates, revocations, ct) frames with ``rows`` certificate rows, in the fetch's row order (``order=
    "fetch"``) or in random order (``"random"``: the frame of this benchmark's earlier runs)."""
    rng = np.random.default_rng(seed)
    n_pair_rows = int(rows * 0.6) // 2 * 2
    n_pairs = n_pair_rows // 2
    n_single = rows - n_pair_rows
    n_iss = n_pairs + n_single

    # Organisations: 50k holders, Zipf-ish popularity, 40 % of issuances without O=; some spelled two ways.
    org_names = np.array([f"Organisation {i} SAS" for i in range(50_000)], dtype=object)
    variant = np.array([f"ORGANISATION  {i} sas" for i in range(50_000)], dtype=object)
    pick = np.minimum((rng.pareto(1.2, n_iss) * 300).astype(np.int64), 49_999)
    pick = np.where(rng.random(n_iss) < 0.5, rng.integers(0, 50_000, n_iss), pick)
    org = np.where(rng.random(n_iss) < 0.05, variant[pick], org_names[pick])
    org[rng.random(n_iss) < 0.4] = None

    # Names: 200k distinct hosts under 60k registrable domains.
    suf = rng.choice(SUFFIXES, 60_000, p=SUFFIX_P)
    domains = np.array([f"site{i}.{s}" for i, s in enumerate(suf)], dtype=object)
    hosts = np.empty(200_000, dtype=object)
    hosts[:60_000] = domains
    d_of = rng.integers(0, 60_000, 140_000)
    labels = rng.choice(["www", "mail", "api", "portail", "*", "extranet", "vpn"], 140_000)
    hosts[60_000:] = [f"{lab}{i if lab != '*' else ''}.{domains[d]}" if lab != "*" else f"*.{domains[d]}"
                      for i, (lab, d) in enumerate(zip(labels, d_of))]
    hosts[rng.integers(0, 200_000, 300)] = "bad name.fr"
    host_pick = np.minimum((rng.pareto(0.9, n_iss * 2) * 2000).astype(np.int64), 199_999)
    host_pick = np.where(rng.random(n_iss * 2) < 0.5, rng.integers(0, 200_000, n_iss * 2), host_pick)
    n_names = rng.choice([1, 2, 2, 3, 4], n_iss)
    starts = np.r_[0, np.cumsum(n_names)[:-1]] % (n_iss * 2 - 4)
    style = rng.random(n_iss)
    dns = []
    for i in range(n_iss):
        s = starts[i]
        lst = list(hosts[host_pick[s:s + n_names[i]]])
        if style[i] < 0.01:
            lst = [x.upper() + "." for x in lst]  # upper case and trailing dots
        dns.append(lst)

    nb = (pd.Timestamp("2017-01-01").value
          + rng.integers(0, 365 * 3 * 86_400, n_iss).astype(np.int64) * 10**9)
    validity = rng.choice([90, 365, 730, 825], n_iss, p=[0.3, 0.4, 0.2, 0.1]).astype(np.int64) * 86_400 * 10**9
    na = nb + validity
    issuer = rng.integers(0, 20, n_iss) + 1000
    oids = rng.integers(0, len(OIDS), n_iss)
    serial = _hex(rng, n_iss, 16, upper=False)
    dedup = _hex(rng, n_iss, 32)

    # Expand issuances to rows: pairs -> precertificate + certificate, singles -> cert (80 %) or orphan precert.
    iss_of_row = np.concatenate([np.repeat(np.arange(n_pairs), 2), np.arange(n_pairs, n_iss)])
    is_pre = np.concatenate([np.tile([True, False], n_pairs), rng.random(n_single) < 0.2])
    perm = rng.permutation(rows)
    iss_of_row, is_pre = iss_of_row[perm], is_pre[perm]
    parse_error = np.full(rows, None, dtype=object)
    parse_error[rng.random(rows) < 0.0005] = "ASN.1 parse error"
    bad = parse_error != None  # noqa: E711
    nb_r = nb[iss_of_row].view("datetime64[ns]").copy()
    na_r = na[iss_of_row].view("datetime64[ns]").copy()
    nb_r[bad] = np.datetime64("NaT")
    na_r[bad] = np.datetime64("NaT")
    ids = np.arange(rows, dtype=np.int64) + 10_000_000
    if order == "fetch":
        # crt.sh ids follow logging: a precertificate is logged within a minute of its notBefore, a final
        # certificate an exponential delay after it (mean an hour: ~1 % of pairs within the minute, so
        # logged first); the rows in the fetch's order (analysis.crtsh.rows
        # sort_key: notAfter, unparsable last, then crt.sh id).
        delay = np.where(is_pre, rng.integers(0, 60, rows), rng.exponential(3600, rows).astype(np.int64))
        logged = nb[iss_of_row] + delay * 10**9
        ids[np.argsort(logged, kind="stable")] = np.arange(rows, dtype=np.int64) + 10_000_000
        key = np.where(bad, np.iinfo(np.int64).max, na_r.view("i8"))
        row_order = np.lexsort((ids, key))
        iss_of_row, is_pre, parse_error, bad, nb_r, na_r, ids = (
            a[row_order] for a in (iss_of_row, is_pre, parse_error, bad, nb_r, na_r, ids))
    cn = np.array([x[0].rstrip(".").lower() if x else None for x in dns], dtype=object)
    certs = pd.DataFrame({
        "certificate_id": ids,
        "issuer_ca_id": issuer[iss_of_row],
        "issuer_name": pd.Series([f"C=FR, O=Example CA, CN=Example Issuing CA {i}" for i in range(1000, 1020)]
                                 ).to_numpy(dtype=object)[issuer[iss_of_row] - 1000],
        "sha256": _hex(rng, rows, 32),
        "serial_number": serial[iss_of_row],
        "not_before": nb_r,
        "not_after": na_r,
        "subject_o": org[iss_of_row],
        "subject_cn": cn[iss_of_row],
        # the list columns as the fetch and the cache give them (analysis.frames: Arrow lists)
        "dns_names": pd.arrays.ArrowExtensionArray(pa.array(dns, type=pa.list_(pa.string())).take(iss_of_row)),
        "policy_oids": pd.arrays.ArrowExtensionArray(
            pa.array(OIDS, type=pa.list_(pa.string())).take(oids[iss_of_row])),
        "is_precertificate": is_pre,
        "dedup_key": dedup[iss_of_row],
        "parse_error": parse_error,
    })
    rev_rows = np.flatnonzero(rng.random(rows) < 0.02)
    revocations = pd.DataFrame({
        "certificate_id": certs["certificate_id"].to_numpy()[rev_rows],
        "revocation_date": (nb[iss_of_row[rev_rows]] + 30 * 86_400 * 10**9).view("datetime64[ns]"),
        "reason_code": pd.array(rng.integers(0, 5, len(rev_rows)), dtype="Int64"),
    })
    ct_rows = np.flatnonzero(rng.random(rows) < 0.95)
    ct = pd.DataFrame({
        "certificate_id": certs["certificate_id"].to_numpy()[ct_rows],
        "earliest_entry": (nb[iss_of_row[ct_rows]] + rng.integers(0, 3600, len(ct_rows)) * 10**9
                           ).view("datetime64[ns]"),
    })
    return certs, revocations, ct


class PeakRSS:
    """Peak resident set size while a block runs (sampled every 5 ms from /proc/self/statm)."""

    def __init__(self):
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.peak = 0
        self._stop = threading.Event()

    def _rss(self) -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * self.page

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.005)

    def __enter__(self):
        self.peak = self._rss()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self._rss())


def _malloc_trim() -> None:
    """Hand freed memory back to the OS: Arrow's pool (mimalloc keeps freed blocks for reuse) and glibc's heap, so
    each measured step starts from the same state, not from pages an earlier round left mapped."""
    pa.default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def timed(results: list, step: str, fn, reference=None):
    """Run one library step, recording seconds and peak RSS; the reference (a bare pandas groupby) is only
    remembered here and run after every library step, so its allocations do not inflate the library's numbers."""
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        out = fn()
        sec = time.perf_counter() - t0
    results.append({"step": step, "seconds": sec, "peak_rss_mb": mem.peak / 2**20, "reference_seconds": None,
                    "_reference": reference})
    return out


def run_references(results: list) -> None:
    for r in results:
        ref = r.pop("_reference", None)
        if ref is not None:
            t0 = time.perf_counter()
            ref()
            r["reference_seconds"] = time.perf_counter() - t0


def bare_groupbys(certs: pd.DataFrame) -> dict[str, tuple]:
    """Bare group-bys of the columns the library's core steps group on, per engine: {engine: (run, prepare)}.

    ``prepare`` (not measured) converts the frame to the engine's own format; ``run`` does the group-bys: issuances
    (issuer, serial, dedup key: first id, notBefore/notAfter, O=), organisations (count, first/last expiry),
    DNS names (exploded, distinct certificates), intermediates (count). No counting rules.
    """
    def pandas_run(df):
        df.groupby(["issuer_ca_id", "serial_number", "dedup_key"], sort=False).agg(
            first_id=("certificate_id", "min"), nb=("not_before", "min"), na=("not_after", "max"),
            o=("subject_o", "first"))
        df.groupby("subject_o").agg(n=("certificate_id", "size"), lo=("not_after", "min"), hi=("not_after", "max"))
        df[["certificate_id", "dns_names"]].explode("dns_names").groupby("dns_names")["certificate_id"].nunique()
        df.groupby(["issuer_ca_id", "issuer_name"]).size()

    engines = {"pandas": (pandas_run, lambda: certs)}
    cols = ["certificate_id", "issuer_ca_id", "issuer_name", "serial_number", "dedup_key", "not_before",
            "not_after", "subject_o", "dns_names"]
    try:
        os.environ.setdefault("POLARS_MAX_THREADS", "1")
        import polars as pl

        def polars_run(df):
            df.group_by(["issuer_ca_id", "serial_number", "dedup_key"]).agg(
                pl.col("certificate_id").min(), pl.col("not_before").min(), pl.col("not_after").max(),
                pl.col("subject_o").first())
            df.group_by("subject_o").agg(pl.len(), pl.col("not_after").min().alias("lo"),
                                         pl.col("not_after").max().alias("hi"))
            df.select("certificate_id", "dns_names").explode("dns_names").group_by("dns_names").agg(
                pl.col("certificate_id").n_unique())
            df.group_by(["issuer_ca_id", "issuer_name"]).agg(pl.len())

        engines["polars"] = (polars_run, lambda: pl.from_pandas(certs[cols]))
    except ImportError:
        pass
    try:
        import duckdb

        def duckdb_run(tbl):
            con = duckdb.connect(config={"threads": 1})
            con.register("c", tbl)
            for q in ("SELECT issuer_ca_id, serial_number, dedup_key, min(certificate_id), min(not_before), "
                      "max(not_after), first(subject_o) FROM c GROUP BY ALL",
                      "SELECT subject_o, count(*), min(not_after), max(not_after) FROM c GROUP BY ALL",
                      "SELECT n, count(DISTINCT certificate_id) FROM (SELECT certificate_id, unnest(dns_names) "
                      "AS n FROM c) GROUP BY n",
                      "SELECT issuer_ca_id, issuer_name, count(*) FROM c GROUP BY ALL"):
                con.sql(q).to_arrow_table()
            con.close()

        engines["duckdb"] = (duckdb_run, lambda: pa.Table.from_pandas(certs[cols], preserve_index=False))
    except ImportError:
        pass
    return engines


def measure(fn, system: dict | None = None, key: str = "") -> tuple[float, float]:
    """(CPU seconds of the process, peak RSS in bytes above the RSS at the start) while ``fn`` runs; the system
    (kernel) share of the CPU seconds goes to ``system[key]`` when given."""
    gc.collect()
    _malloc_trim()
    with PeakRSS() as mem:
        start = mem.peak
        s0 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        c0 = time.process_time()
        fn()
        cpu = time.process_time() - c0
        if system is not None:
            system[key] = resource.getrusage(resource.RUSAGE_SELF).ru_stime - s0
    return cpu, mem.peak - start


def scale_one(rows: int, seed: int) -> dict:
    """One size, in this process: the library's core and all steps, then the bare group-bys."""
    certs, revocations, ct = generate(rows, seed, ORDER[0])
    out: dict = {"rows": rows, "order": ORDER[0]}
    state: dict = {}

    def core():
        norm = state["norm"] = normalise(certs, revocations=revocations, ct=ct)
        ev = state["ev"] = evaluate(norm, Removal("2019-09-03"))
        ev.summary(), ev.by_organisation(), ev.by_registrable_domain(), ev.by_intermediate()
        out["issuances"] = len(norm.issuances)

    def rest():
        norm, ev = state["norm"], state["ev"]
        cutoff, removal = "2019-05-17", "2019-09-03"
        compare_options(norm, {"removal": Removal(removal), "gouv.fr": NameConstrained(["gouv.fr"], removal),
                               "allowlist": Allowlist.existing(norm, cutoff, removal, "2020-06-30"),
                               "sct_after": DistrustAfter(cutoff, basis="earliest_sct", effective=removal)})
        date_sweep(norm, pd.date_range("2018-01-01", "2020-12-31", freq="D"))
        ev.survival_curve(), ev.expiry_histogram()
        with tempfile.TemporaryDirectory() as tmp:
            ev.to_csv(Path(tmp) / "affected.csv")

    # Rounds: the core, then each bare engine, REPEAT times over, so a slow stretch of the machine hits both sides;
    # each side's best round is its number (the core's first round, with the one-time imports and Public Suffix
    # List set-up, is printed too), and the worst round's ratio beside the best's.
    engines = {e: (run, prepare()) for e, (run, prepare) in bare_groupbys(certs).items()}
    rounds: list[dict] = []
    for i in range(REPEAT[0]):
        state.clear()
        r: dict = {}
        if i < REPEAT[0] - 1:
            r["cpu_core"], r["peak_core"] = measure(core, r, "sys_core")
        else:  # the last round: the core, then the rest of the steps
            gc.collect()
            _malloc_trim()  # the earlier rounds' freed memory handed back before the base is read
            with PeakRSS() as whole:
                base = whole.peak
                r["cpu_core"], r["peak_core"] = measure(core, r, "sys_core")
                c0 = time.process_time()
                rest()
                out["cpu_rest"] = time.process_time() - c0
            out["peak_all"] = whole.peak - base
            state.clear()
        for engine, (run, data) in engines.items():
            r[f"cpu_{engine}"], r[f"peak_{engine}"] = measure(lambda run=run, data=data: run(data), r, f"sys_{engine}")
        rounds.append(r)
    del engines
    for side in ["core"] + [k[4:] for k in rounds[0] if k.startswith("cpu_") and k != "cpu_core"]:
        best = min(rounds, key=lambda r: r[f"cpu_{side}"])  # its CPU and system seconds from its best round
        out[f"cpu_{side}"], out[f"sys_{side}"] = best[f"cpu_{side}"], best[f"sys_{side}"]
        out[f"peak_{side}"] = max(r[f"peak_{side}"] for r in rounds)
    out["cpu_core_first"] = rounds[0]["cpu_core"]
    out["cpu_all"] = out["cpu_core"] + out.pop("cpu_rest")
    for engine in ("polars", "duckdb"):
        if f"cpu_{engine}" in rounds[0]:
            out[f"worst_{engine}"] = max(r["cpu_core"] / r[f"cpu_{engine}"] for r in rounds)
    out.update(outofcore_core(certs, revocations))
    out.update(load_frame(certs, LOAD_BEFORE))
    return out


def load_frame(certs: pd.DataFrame, libraries: list[str]) -> dict:
    """Reading the certificates frame back from the cache, as a report's fresh kernel does: the frame written to a
    Parquet file of the cache's schema (not measured), then, in a fresh process per library checkout (this one, and
    any ``--load-before`` checkout, alternating), ``pq.read_table`` and ``analysis.frames.CERTIFICATES.to_pandas``."""
    import json
    import subprocess

    import pyarrow.parquet as pq

    from analysis.frames import CERTIFICATES

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "certificates.parquet"
        table = pa.Table.from_pandas(certs.assign(is_server_auth=True)[list(CERTIFICATES.names)],
                                     preserve_index=False)
        pq.write_table(table.cast(CERTIFICATES.schema), path)
        del table
        for _ in range(2):  # best of two per library
            for name, root in [("load", str(ROOT))] + [(f"load_before{i}", r) for i, r in enumerate(libraries)]:
                proc = subprocess.run([sys.executable, __file__, "--load-one", str(path), "--library", root],
                                      capture_output=True, text=True, check=True)
                cpu, peak = json.loads(proc.stdout.strip().splitlines()[-1])
                if f"cpu_{name}" not in out or cpu < out[f"cpu_{name}"]:
                    out[f"cpu_{name}"], out[f"peak_{name}"] = cpu, peak
    return out


def load_one(path: str) -> tuple[float, int]:
    """(CPU s, peak RSS above the start) of reading ``path`` into the certificates frame, in this fresh process."""
    import pyarrow.parquet as pq

    from analysis.frames import CERTIFICATES

    return measure(lambda: CERTIFICATES.to_pandas(pq.read_table(path)))


def outofcore_core(certs: pd.DataFrame, revocations: pd.DataFrame) -> dict:
    """The out-of-core engine (analysis/outofcore.py, DuckDB, one thread) on the same frames written to Parquet (the
    writing is not measured): the core tables with every counting rule, for the engine choice."""
    try:
        import pyarrow.parquet as pq

        from analysis.outofcore import impact
    except ImportError:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        c, r = Path(tmp) / "certificates.parquet", Path(tmp) / "revocations.parquet"
        pq.write_table(pa.Table.from_pandas(certs, preserve_index=False), c)
        pq.write_table(pa.Table.from_pandas(revocations, preserve_index=False), r)
        cpu, peak = measure(lambda: impact(c, Removal("2019-09-03"), revocations=r, threads=1, work_dir=tmp,
                                           memory_limit="8GB"))
    return {"cpu_outofcore": cpu, "peak_outofcore": peak}


def scale(sizes: list[int], seed: int) -> int:
    import json
    import subprocess

    rows = []
    for n in sizes:
        before = ([a for d in LOAD_BEFORE for a in ("--load-before", d)] + ["--repeat", str(REPEAT[0])]
                  + (["--random-order"] if ORDER[0] == "random" else []))
        proc = subprocess.run([sys.executable, __file__, "--scale-one", str(n), "--seed", str(seed), *before],
                              capture_output=True, text=True, check=True)
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    engines = [e for e in ("pandas", "polars", "duckdb") if f"cpu_{e}" in rows[0]]
    table = []
    for r in rows:
        line = {"rows": r["rows"], "issuances": r["issuances"],
                "core peak MB": r["peak_core"] / 2**20, "core B/row": r["peak_core"] / r["rows"],
                "all peak MB": r["peak_all"] / 2**20, "all B/row": r["peak_all"] / r["rows"],
                "core CPU s": r["cpu_core"], "core CPU s, first round": r["cpu_core_first"], "all CPU s": r["cpu_all"]}
        line["core system CPU s"] = r["sys_core"]
        for e in engines:
            line[f"{e} CPU s"] = r[f"cpu_{e}"]
            line[f"{e} system CPU s"] = r[f"sys_{e}"]
            line[f"core/{e} CPU"] = r["cpu_core"] / r[f"cpu_{e}"]
            if f"worst_{e}" in r:
                line[f"core/{e} CPU, worst round"] = r[f"worst_{e}"]
            line[f"core/{e} mem"] = r["peak_core"] / max(r[f"peak_{e}"], 1)
        line["cache to frame CPU s"] = r["cpu_load"]
        line["cache to frame peak MB"] = r["peak_load"] / 2**20
        for k in sorted(k for k in r if k.startswith("cpu_load_before")):
            line[f"before {k[-1]}: cache to frame CPU s"] = r[k]
            line[f"before {k[-1]}: cache to frame peak MB"] = r["peak" + k[3:]] / 2**20
        if "cpu_outofcore" in r:
            line["outofcore CPU s"] = r["cpu_outofcore"]
            line["outofcore peak MB"] = r["peak_outofcore"] / 2**20
            for e in ("duckdb", "polars"):
                if f"cpu_{e}" in r:
                    line[f"outofcore/{e} CPU"] = r["cpu_outofcore"] / r[f"cpu_{e}"]
        table.append(line)
    print("bench_impact --scale: peak memory above the input frames, CPU seconds, and ratios to bare group-bys of "
          f"the same columns (same process, same run; best of {REPEAT[0]} alternating rounds, peaks: the highest); "
          "core = normalise, evaluate, summary and group tables; "
          "all = core + compare_options, date_sweep, survival, histogram, to_csv; rows in "
          + ("random order" if ORDER[0] == "random" else "the fetch's order (notAfter, crt.sh id)"))
    t = pd.DataFrame(table).set_index("rows").T
    print(t.to_string(float_format=lambda v: f"{v:,.2f}", formatters=None))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--csv-dir", default=None, help="where to write the affected-certificates CSV (default: temp)")
    ap.add_argument("--scale", action="store_true", help="memory/CPU table per size (1M rows; see --large)")
    ap.add_argument("--large", action="store_true", help="with --scale: also 3M rows (~2 min, ~3 GB)")
    ap.add_argument("--load-before", action="append", default=[], metavar="CHECKOUT",
                    help="with --scale: also read the cache into the frame with another checkout's analysis package")
    ap.add_argument("--repeat", type=int, default=3,
                    help="with --scale: rounds of the core and the bare group-bys, alternating (best of; default 3)")
    ap.add_argument("--random-order", action="store_true",
                    help="the rows in random order (crt.sh ids in row order) instead of the fetch's order")
    ap.add_argument("--scale-one", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--load-one", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--library", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    LOAD_BEFORE[:] = [str(Path(d).resolve()) for d in args.load_before]
    ORDER[0] = "random" if args.random_order else "fetch"
    REPEAT[0] = max(1, args.repeat)
    if args.load_one is not None:
        import json

        print(json.dumps(load_one(args.load_one)))
        return 0
    if args.scale_one is not None:
        import json

        print(json.dumps(scale_one(args.scale_one, args.seed)))
        return 0
    if args.scale:
        return scale([args.rows] + ([3_000_000] if args.large else []), args.seed)

    t0 = time.perf_counter()
    certs, revocations, ct = generate(args.rows, args.seed, ORDER[0])
    gen = time.perf_counter() - t0
    gc.collect()
    _malloc_trim()  # hand the generator's garbage back to the OS so the baseline is the input frame itself
    base = PeakRSS()._rss() / 2**20
    deep = (certs.memory_usage(deep=True).sum() + revocations.memory_usage(deep=True).sum()
            + ct.memory_usage(deep=True).sum()) / 2**20
    print(f"generated {len(certs):,} rows in {ORDER[0]} order ({certs['subject_o'].nunique():,} raw O= values, "
          f"{len(revocations):,} revocations, {len(ct):,} CT rows) in {gen:.1f} s (not timed below)")
    print(f"input frames: {deep:,.0f} MB (pandas deep memory); process RSS before the steps: {base:,.0f} MB")

    removal, cutoff = "2019-09-03", "2019-05-17"
    res: list[dict] = []
    t_all = time.perf_counter()
    norm = timed(res, "normalise", lambda: normalise(certs, revocations=revocations, ct=ct),
                 reference=lambda: certs.groupby(["issuer_ca_id", "serial_number", "dedup_key"]).size())
    ev = timed(res, "evaluate (removal + filters)",
               lambda: evaluate(norm, Removal(removal), expires_on_or_before="2019-08-31", issued_after=cutoff))
    timed(res, "summary", ev.summary)
    timed(res, "by_status", ev.by_status)
    timed(res, "by_organisation", ev.by_organisation,
          reference=lambda: certs.groupby("subject_o").agg(n=("certificate_id", "size"),
                                                             lo=("not_after", "min"), hi=("not_after", "max")))
    timed(res, "by_registrable_domain", ev.by_registrable_domain,
          reference=lambda: certs[["certificate_id", "dns_names"]].explode("dns_names").groupby(
              "dns_names")["certificate_id"].nunique())
    timed(res, "by_intermediate", ev.by_intermediate,
          reference=lambda: certs.groupby(["issuer_ca_id", "issuer_name"]).size())
    timed(res, "by_validation_level", ev.by_validation_level)
    timed(res, "expiry_histogram", ev.expiry_histogram)
    timed(res, "survival_curve", ev.survival_curve)
    options = {
        "removal": Removal(removal),
        "gouv.fr": NameConstrained(["gouv.fr"], removal),
        "allowlist": Allowlist.existing(norm, cutoff, removal, "2020-06-30"),
        "sct_after": DistrustAfter(cutoff, basis="earliest_sct", effective=removal),
    }
    timed(res, "compare_options (4 policies)",
          lambda: compare_options(norm, options, expires_on_or_before="2019-08-31", issued_after=cutoff))
    dates = pd.date_range("2018-01-01", "2020-12-31", freq="D")
    timed(res, f"date_sweep ({len(dates)} dates, removal)", lambda: date_sweep(norm, dates))
    timed(res, f"date_sweep ({len(dates)} dates, earliest_sct)", lambda: date_sweep(norm, dates, "earliest_sct"))
    timed(res, "to_text (all tables)", lambda: [ev.to_text(t) for t in (
        "summary", "by_status", "by_organisation", "by_registrable_domain", "by_intermediate",
        "by_validation_level", "expiry_histogram", "survival_curve")])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.csv_dir or tmp) / "affected.csv"
        timed(res, "to_csv (affected, crt.sh links)", lambda: ev.to_csv(out))
        csv_mb = out.stat().st_size / 2**20
    total = time.perf_counter() - t_all
    lib_peak = max(r["peak_rss_mb"] for r in res)
    run_references(res)

    table = pd.DataFrame(res)
    table.loc[len(table)] = {"step": "TOTAL (library steps)", "seconds": total, "peak_rss_mb": lib_peak,
                             "reference_seconds": table["reference_seconds"].sum()}
    print()
    print(format_table(table, max_rows=None, float_digits=2,
                       title=f"bench_impact: {len(certs):,} rows -> {len(norm.issuances):,} issuances, "
                             f"{len(norm.distinct_names):,} distinct names"))
    print()
    print(f"library steps: {total:.2f} s wall, peak RSS {lib_peak:,.0f} MB (input frames included); "
          f"ru_maxrss (process high-water mark, incl. generation and references): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; CSV {csv_mb:.0f} MB; "
          f"affected {ev.summary_values()['affected']:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
