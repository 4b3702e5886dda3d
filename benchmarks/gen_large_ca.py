"""A synthetic large CA written straight to a Parquet cache bundle, batch by batch (never the whole CA in memory).

    .venv/bin/python benchmarks/gen_large_ca.py OUT_DIR --rows 30000000 [--seed 1] [--batch-rows 1000000]
    .venv/bin/python benchmarks/gen_large_ca.py --cache-dir DIR --rows 30000000   # as a cached fetch a report reads

With ``--cache-dir``, the bundle is written where ``distrust-impact report --ca 999 --as-of 2019-05-17
--cache-dir DIR --max-rows N`` (from crt.sh, ``--source``) finds it: the cache entry of that fetch (same key), so the
report runs on it offline (``analysis.outofcore.cache_entry``).

The bundle has the layout and schemas of a real fetch (``analysis/cache.py``: ``certificates``, ``revocations``,
``ct``, ``root``, ``hierarchy``, ``trust``, ``aggregates`` with sidecars and a manifest), so
:func:`analysis.crtsh.load_cached` and :func:`analysis.outofcore.impact_from_bundle` read it as they read a fetched
CA. Shape, as ``bench_impact.py``'s in-memory generator: ~60 % of rows are precertificate/certificate pairs, the rest
final certificates (80 %) and orphan precertificates; 0.05 % unparsable rows; ~40 % of issuances without O=, the
rest over ``rows / 150`` holders (5 % spelled another way: upper case, double space); ``rows / 15`` distinct host
names under ``rows / 50`` registrable domains (wildcards, names with a space, unknown TLDs, 1 % written upper case
with a trailing dot); 0.3 % of issuances without SANs (the CN stands in, or is a person's name); 0.5 % of
issuances not for TLS servers (EKU without serverAuth); 20 intermediates whose own CA certificates are among the
rows (the hierarchy lists them: they are not counted); 2 % of rows revoked (5 % of those without a date); 95 %
seen in CT. Everything is drawn from numpy's generator with the seed: the same arguments give the same bundle.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.cache import Bundle  # noqa: E402
from analysis.frames import CERTIFICATES, CT, REVOCATIONS, TABLES  # noqa: E402

ROOT_CA_ID = 999
INTERMEDIATES = 20
OIDS = [["2.23.140.1.2.1"], ["2.23.140.1.2.2", "1.3.6.1.4.1.99999.1"], ["2.23.140.1.1", "1.3.6.1.4.1.99999.2"],
        ["2.23.140.1.2.3"], ["1.3.6.1.4.1.99999.3"]]
SUFFIXES = ["fr", "com", "gouv.fr", "co.uk", "org", "net", "de", "paris", "re", "nc", "internal"]
SUFFIX_P = [0.35, 0.2, 0.08, 0.05, 0.08, 0.08, 0.05, 0.03, 0.03, 0.02, 0.03]
LABELS = ["www", "mail", "api", "portail", "*", "extranet", "vpn"]
PAIR_SHARE = 0.6 / 1.4  # issuances that are pairs, so that pairs hold 60 % of the rows
DAY_NS = 86_400 * 10**9
_HEX_UPPER = np.frombuffer(b"".join(f"{i:02X}".encode() for i in range(256)), dtype="S2")
_HEX_LOWER = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype="S2")


def hex_strings(rng: np.random.Generator, n: int, nbytes: int, upper: bool = True) -> pa.Array:
    """``n`` random hex strings of ``nbytes`` bytes, built in Arrow's buffers (no Python string per value)."""
    raw = np.frombuffer(rng.bytes(n * nbytes), dtype=np.uint8)
    data = (_HEX_UPPER if upper else _HEX_LOWER)[raw].tobytes()
    offsets = (np.arange(n + 1, dtype=np.int32) * (2 * nbytes)).tobytes()
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


class Pools:
    """The holders and host names a population draws from (sizes scale with the row count)."""

    def __init__(self, rows: int, rng: np.random.Generator):
        self.n_orgs = max(1_000, rows // 150)
        self.orgs = pa.array([f"Organisation {i} SAS" for i in range(self.n_orgs)], type=pa.string())
        self.org_variants = pa.array([f"ORGANISATION  {i} sas" for i in range(self.n_orgs)], type=pa.string())
        n_dom = max(600, rows // 50)
        n_hosts = max(2_000, rows // 15)
        suf = rng.choice(SUFFIXES, n_dom, p=SUFFIX_P)
        domains = [f"site{i}.{s}" for i, s in enumerate(suf)]
        d_of = rng.integers(0, n_dom, n_hosts - n_dom)
        labels = rng.choice(LABELS, n_hosts - n_dom)
        hosts = domains + [f"*.{domains[d]}" if lab == "*" else f"{lab}{i}.{domains[d]}"
                           for i, (lab, d) in enumerate(zip(labels, d_of))]
        for i in rng.integers(0, n_hosts, max(3, n_hosts // 1000)):
            hosts[i] = "bad name.fr"
        hosts[rng.integers(0, n_hosts)] = "*.gouv.fr"  # a bare public suffix
        hosts[rng.integers(0, n_hosts)] = "192.0.2.7"
        self.n_hosts = n_hosts
        self.hosts = pa.array(hosts, type=pa.string())
        # The same names as written by some issuers: upper case with a trailing dot (the library folds them).
        self.names = pa.concat_arrays([self.hosts, pc.binary_join_element_wise(pc.utf8_upper(self.hosts), ".", "")])
        self.cns = pa.array(hosts + ["Jean Dupont"], type=pa.string())
        self.oids = pa.array(OIDS, type=pa.list_(pa.string()))
        self.issuer_names = pa.array([f"C=FR, O=Example CA, CN=Example Issuing CA {i}" for i in range(INTERMEDIATES)])


def _popular(rng: np.random.Generator, n: int, size: int, shape: float, scale: float) -> np.ndarray:
    """Indices in 0..size-1, half Pareto-popular (a few very frequent), half uniform."""
    pick = np.minimum((rng.pareto(shape, n) * scale).astype(np.int64), size - 1)
    return np.where(rng.random(n) < 0.5, rng.integers(0, size, n), pick)


def issuance_batch(rng: np.random.Generator, pools: Pools, n_iss: int, first_id: int) -> dict[str, pa.Table]:
    """Certificate rows (shuffled), revocations and CT rows of ``n_iss`` issuances; crt.sh ids from ``first_id``."""
    pair = rng.random(n_iss) < PAIR_SHARE
    n_rows_of = 1 + pair.astype(np.int64)
    iss_of_row = np.repeat(np.arange(n_iss), n_rows_of)
    rows = len(iss_of_row)
    # Within a pair: precertificate then certificate; a single row: a final certificate (80 %) or an orphan precert.
    start = np.r_[0, np.cumsum(n_rows_of)[:-1]]
    second = np.arange(rows) - start[iss_of_row] == 1
    single_pre = rng.random(n_iss) < 0.2
    is_pre = np.where(pair[iss_of_row], ~second, single_pre[iss_of_row])
    perm = rng.permutation(rows)
    iss_of_row, is_pre = iss_of_row[perm], is_pre[perm]
    take = pa.array(iss_of_row)

    nb = (pd.Timestamp("2017-01-01").value + rng.integers(0, 365 * 3 * 86_400, n_iss).astype(np.int64) * 10**9)
    na = nb + rng.choice([90, 365, 730, 825], n_iss, p=[0.3, 0.4, 0.2, 0.1]).astype(np.int64) * DAY_NS
    issuer = rng.integers(0, INTERMEDIATES, n_iss)
    org = _popular(rng, n_iss, pools.n_orgs, 1.2, 300)
    org_arr = pools.orgs.take(pa.array(org))
    variant = rng.random(n_iss) < 0.05
    org_arr = pc.if_else(pa.array(variant), pools.org_variants.take(pa.array(org)), org_arr)
    org_arr = pc.if_else(pa.array(rng.random(n_iss) < 0.4), pa.nulls(n_iss, pa.string()), org_arr)

    n_names = rng.choice([1, 2, 2, 3, 4], n_iss)
    no_san = rng.random(n_iss) < 0.003
    n_names[no_san] = 0
    flat = _popular(rng, int(n_names.sum()), pools.n_hosts, 0.9, 2000)
    upper = np.repeat(rng.random(n_iss) < 0.01, n_names)
    offsets = np.r_[0, np.cumsum(n_names)].astype(np.int32)
    dns = pa.ListArray.from_arrays(pa.array(offsets), pools.names.take(pa.array(flat + upper * pools.n_hosts)))
    first_name = np.where(n_names > 0, flat[np.minimum(offsets[:-1], max(len(flat) - 1, 0))], 0)
    cn_pick = np.where(no_san & (rng.random(n_iss) < 0.5), pools.n_hosts, first_name)  # "Jean Dupont"
    cn = pools.cns.take(pa.array(cn_pick))
    server_auth = rng.random(n_iss) >= 0.005

    parse_error = rng.random(rows) < 0.0005
    nb_r, na_r = nb[iss_of_row], na[iss_of_row]
    ts = pa.timestamp("ns")
    certs = pa.table({
        "certificate_id": pa.array(first_id + np.arange(rows, dtype=np.int64)),
        "issuer_ca_id": pa.array(issuer[iss_of_row] + 1000),
        "issuer_name": pools.issuer_names.take(pa.array(issuer[iss_of_row])),
        "sha256": hex_strings(rng, rows, 32),
        "serial_number": hex_strings(rng, n_iss, 16, upper=False).take(take),
        "not_before": pa.array(nb_r, type=ts, mask=parse_error),
        "not_after": pa.array(na_r, type=ts, mask=parse_error),
        "subject_o": org_arr.take(take),
        "subject_cn": cn.take(take),
        "dns_names": dns.take(take),
        "policy_oids": pools.oids.take(pa.array(rng.integers(0, len(OIDS), n_iss)[iss_of_row])),
        "is_precertificate": pa.array(is_pre),
        "is_server_auth": pa.array(server_auth[iss_of_row]),
        "dedup_key": hex_strings(rng, n_iss, 32).take(take),
        "parse_error": pa.array(np.where(parse_error, "ASN.1 parse error", None), type=pa.string()),
    }, schema=CERTIFICATES.schema)
    ids = first_id + np.arange(rows, dtype=np.int64)
    rev = np.flatnonzero(rng.random(rows) < 0.02)
    no_date = rng.random(len(rev)) < 0.05
    revocations = pa.table({
        "certificate_id": pa.array(ids[rev]),
        "revocation_date": pa.array(nb_r[rev] + 30 * DAY_NS, type=ts, mask=no_date),
        "reason_code": pa.array(rng.integers(0, 5, len(rev)), type=pa.int64()),
    }, schema=REVOCATIONS.schema)
    seen = np.flatnonzero(rng.random(rows) < 0.95)
    ct = pa.table({"certificate_id": pa.array(ids[seen]),
                   "earliest_entry": pa.array(nb_r[seen] + rng.integers(0, 3600, len(seen)) * 10**9, type=ts)},
                  schema=CT.schema)
    return {"certificates": certs, "revocations": revocations, "ct": ct}


def _ca_rows(pools: Pools) -> pa.Table:
    """The intermediates' own CA certificates, crt.sh ids 1..20, as certificate rows (issued by the root)."""
    n = INTERMEDIATES
    nb = np.full(n, pd.Timestamp("2015-01-01").value, dtype=np.int64)
    return pa.table({
        "certificate_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
        "issuer_ca_id": pa.array(np.full(n, ROOT_CA_ID, dtype=np.int64)),
        "issuer_name": pa.array(["C=FR, O=Example CA, CN=Example Root CA"] * n),
        "sha256": pa.array([f"{i:064X}" for i in range(1, n + 1)]),
        "serial_number": pa.array([f"{i:02x}" for i in range(1, n + 1)]),
        "not_before": pa.array(nb, type=pa.timestamp("ns")),
        "not_after": pa.array(nb + 10 * 365 * DAY_NS, type=pa.timestamp("ns")),
        "subject_o": pa.array(["Example CA"] * n),
        "subject_cn": pools.issuer_names,
        "dns_names": pa.array([[]] * n, type=pa.list_(pa.string())),
        "policy_oids": pa.array([[]] * n, type=pa.list_(pa.string())),
        "is_precertificate": pa.array([False] * n),
        "is_server_auth": pa.array([True] * n),
        "dedup_key": pa.array([f"CA{i:062X}" for i in range(1, n + 1)]),
        "parse_error": pa.nulls(n, pa.string()),
    }, schema=CERTIFICATES.schema)


def _small_frames() -> dict[str, pd.DataFrame]:
    t = pd.Timestamp("2015-01-01")
    root = pd.DataFrame([{"ca_id": ROOT_CA_ID, "ca_name": "C=FR, O=Example CA, CN=Example Root CA",
                          "num_issued_certificates": 0, "num_issued_precertificates": 0,
                          "num_expired_certificates": 0, "num_expired_precertificates": 0, "matched_by": "ca_id",
                          "certificate_id": 0, "issuer_ca_id": ROOT_CA_ID, "sha256": "00" * 32, "not_before": t,
                          "not_after": t + pd.Timedelta(days=7300), "is_self_signed": True}])
    hierarchy = pd.DataFrame([{"depth": 1, "ca_id": 1000 + i, "ca_name": f"Example Issuing CA {i}",
                               "parent_ca_id": ROOT_CA_ID, "certificate_id": i + 1, "sha256": f"{i + 1:064X}",
                               "not_before": t, "not_after": t + pd.Timedelta(days=3650),
                               "path": [ROOT_CA_ID, 1000 + i], "closes_cycle": False, "other_issuer_ca_ids": [],
                               "trusted_in": []} for i in range(INTERMEDIATES)])
    empty = {name: pd.DataFrame({f.name: pd.Series([], dtype=object) for f in TABLES[name].schema})
             for name in ("trust", "aggregates")}
    return {"root": root, "hierarchy": hierarchy, **empty}


def generate_parquet(out_dir: Path | str, rows: int, seed: int = 1, batch_rows: int = 1_000_000) -> Path:
    """Write the bundle to ``out_dir`` (created) and return its path. ``rows`` subscriber rows plus the 20 CA rows."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pools = Pools(rows, rng)
    bundle = Bundle(out)
    writers = {"certificates": bundle.writer("certificates", CERTIFICATES.schema),
               "revocations": bundle.writer("revocations", REVOCATIONS.schema),
               "ct": bundle.writer("ct", CT.schema)}
    writers["certificates"].write(_ca_rows(pools))
    written, next_id = 0, 10_000_000
    while written < rows:
        # Issuances for about batch_rows rows (1.43 rows per issuance), the last batch cut to the exact total.
        n_iss = max(1, int(min(batch_rows, rows - written) / (1 + PAIR_SHARE)))
        parts = issuance_batch(rng, pools, n_iss, next_id)
        certs = parts["certificates"]
        if written + certs.num_rows > rows:
            keep = rows - written
            certs = certs.slice(0, keep)
            last = next_id + keep
            for name in ("revocations", "ct"):
                ids = parts[name]["certificate_id"]
                parts[name] = parts[name].filter(pc.less(ids, last))
        parts["certificates"] = certs
        for name, table in parts.items():
            writers[name].write(table)
        written += certs.num_rows
        next_id += certs.num_rows
    side = {"query": "benchmarks/gen_large_ca.py", "parameters": {"rows": rows, "seed": seed}}
    for w in writers.values():
        w.close(side)
    for name, frame in _small_frames().items():
        bundle.write_frame(name, frame, TABLES[name].schema, side)
    bundle.write_manifest({"root_ca_id": ROOT_CA_ID, "mode": "rows", "source": "synthetic (gen_large_ca.py)",
                           "parameters": {"rows": rows, "seed": seed}, "fetched_at": "2019-05-17T00:00:00"})
    return out


CACHED_AS_OF = "2019-05-17"


def cache_entry_for(cache_dir: Path | str, rows: int, source: str = "crtsh") -> Path:
    """The cache folder of the report of this synthetic root (crt.sh CA id 999) as of 2019-05-17 from ``source``,
    fetched with ``--max-rows rows`` (so that a fetch of it takes every row)."""
    from analysis.outofcore import cache_entry

    return cache_entry(str(ROOT_CA_ID), CACHED_AS_OF, source, Path(cache_dir), rows)[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", nargs="?", help="the bundle folder (or give --cache-dir)")
    ap.add_argument("--cache-dir", help="write the bundle as the cached fetch of crt.sh CA id 999 as of "
                                        f"{CACHED_AS_OF} (--max-rows = --rows)")
    ap.add_argument("--source", default="crtsh", help="the source of that fetch (default crtsh)")
    ap.add_argument("--rows", type=int, default=30_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch-rows", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    if bool(args.out_dir) == bool(args.cache_dir):
        ap.error("give OUT_DIR or --cache-dir (one of them)")
    out = args.out_dir or cache_entry_for(args.cache_dir, args.rows, args.source)
    t0 = time.perf_counter()
    path = generate_parquet(out, args.rows, args.seed, args.batch_rows)
    size = sum(p.stat().st_size for p in path.glob("*.parquet"))
    print(json.dumps({"bundle": str(path), "rows": args.rows, "seconds": round(time.perf_counter() - t0, 1),
                      "parquet_mb": round(size / 2**20)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
