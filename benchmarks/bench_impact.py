"""Benchmark the impact library on a synthetic 1,000,000-row certificates frame.

    .venv/bin/python benchmarks/bench_impact.py [--rows 1000000] [--seed 1] [--csv-dir /tmp]

The frame follows ``docs/design.md`` (certificates frame + revocations + CT side frames) and is shaped like a large
CA's crt.sh population: 60 % of rows are precertificate/certificate pairs, the rest final certificates, orphan
precertificates and a few unparsable rows; ~50k organisations (with case/space variants of the same name), ~40 %
DV without O=; ~200k distinct DNS names under ~60k registrable domains, with wildcards, trailing dots, upper case,
names with spaces and unknown TLDs; 20 issuing intermediates.

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def generate(rows: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(certificates, revocations, ct) frames with ``rows`` certificate rows."""
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
    cn = np.array([x[0].rstrip(".").lower() if x else None for x in dns], dtype=object)
    certs = pd.DataFrame({
        "certificate_id": np.arange(rows, dtype=np.int64) + 10_000_000,
        "issuer_ca_id": issuer[iss_of_row],
        "issuer_name": pd.Series([f"C=FR, O=Example CA, CN=Example Issuing CA {i}" for i in range(1000, 1020)]
                                 ).to_numpy(dtype=object)[issuer[iss_of_row] - 1000],
        "sha256": _hex(rng, rows, 32),
        "serial_number": serial[iss_of_row],
        "not_before": nb_r,
        "not_after": na_r,
        "subject_o": org[iss_of_row],
        "subject_cn": cn[iss_of_row],
        "dns_names": pd.Series(dns, dtype=object).to_numpy()[iss_of_row],
        "policy_oids": pd.Series(OIDS, dtype=object).to_numpy()[oids[iss_of_row]],
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--csv-dir", default=None, help="where to write the affected-certificates CSV (default: temp)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    certs, revocations, ct = generate(args.rows, args.seed)
    gen = time.perf_counter() - t0
    gc.collect()
    _malloc_trim()  # hand the generator's garbage back to the OS so the baseline is the input frame itself
    base = PeakRSS()._rss() / 2**20
    deep = (certs.memory_usage(deep=True).sum() + revocations.memory_usage(deep=True).sum()
            + ct.memory_usage(deep=True).sum()) / 2**20
    print(f"generated {len(certs):,} rows ({certs['subject_o'].nunique():,} raw O= values, "
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
