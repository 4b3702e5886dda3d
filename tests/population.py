"""The population the query, client, cache and fault tests read (``build_population``; the module-scoped fixture
``population`` is in tests/integration/conftest.py): a tiny PKI built with tests/pki.py:

    Test Root (R, self-signed)  ── cross-signed by Other Root (O): a mutual cross-sign, R <-> O
      ├── Issuing CA 1 (I1)  ── also cross-signed by Third Root (T, not below R): another trust path
      │     ├── Issuing CA 2 (I2)
      │     └── leaves: precert/final pair, orphan precert, no-O= leaf, expired leaf, one expiring exactly at as_of,
      │                 one unparsable row (inserted directly: issuer I1, partition key 'infinity')
      └── Other Root (O) via R's cross-sign of O
            └── Issuing CA Z (Z): reached only through that cross-sign
    Third Root (T) ── one leaf of its own (not below R)
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import psycopg2.extensions
from cryptography import x509 as cx509
from cryptography.x509.oid import NameOID

from analysis import crtsh
from analysis.localdb import create_schema, load_paths
from analysis.x509 import sha256_hex
from tests import pki

AS_OF = dt.datetime(2019, 5, 17)
OV, DV = "2.23.140.1.2.2", "2.23.140.1.2.1"
T = dt.datetime
# fetch_ca with the server-side aggregates too, cross-checked against the rows (fetch_ca skips them by default)
fetch_ca_all = functools.partial(crtsh.fetch_ca, aggregates=True)
WINDOW = {"window_start": AS_OF, "window_end": None}  # one window: everything from AS_OF on


def _policies(*oids):
    return (cx509.CertificatePolicies([cx509.PolicyInformation(cx509.ObjectIdentifier(o), None) for o in oids]), False)


def _precert_pair(subject, subject_key, issuer, issuer_key, *, serial, sans, not_after, policies):
    """tests/pki.precert_pair with certificate policies (same TBS but for the poison / SCT-list extension)."""
    common = dict(serial=serial, ca=False, sans=sans, not_after=not_after)
    pre = pki.build(subject, subject_key, issuer, issuer_key, **common,
                    extra=[(cx509.UnrecognizedExtension(pki.POISON, b"\x05\x00"), True), _policies(*policies)])
    final = pki.build(subject, subject_key, issuer, issuer_key, **common,
                      extra=[(cx509.UnrecognizedExtension(pki.SCT_LIST, b"\x04\x02\x00\x00"), False),
                             _policies(*policies)])
    return pre, final


@dataclass
class Population:
    dsn: str
    ca: dict[str, int]  # label -> ca.id
    cert: dict[str, int]  # label -> certificate.id
    der: dict[str, bytes]
    garbage: bytes = b""
    labels_by_id: dict[int, str] = field(default_factory=dict)

    def ids(self, *labels) -> set[int]:
        return {self.cert[x] for x in labels}


# leaf label -> (issuer label, notBefore, notAfter); "expected at AS_OF" follows from notAfter >= AS_OF
LEAF_NOT_AFTER = {
    "pair_pre": T(2020, 6, 1), "pair_final": T(2020, 6, 1), "orphan_pre": T(2019, 9, 30), "no_o": T(2021, 3, 1),
    "expired": T(2019, 3, 1), "at_as_of": AS_OF, "i2_leaf": T(2019, 12, 1), "z_leaf1": T(2019, 12, 31),
    "z_leaf2": T(2026, 1, 15), "t_leaf": T(2020, 1, 1),
}
UNEXPIRED_AT_AS_OF = ["pair_pre", "pair_final", "orphan_pre", "no_o", "at_as_of", "i2_leaf", "z_leaf1", "z_leaf2",
                      "garbage"]


def build_population(dsn: str, folder: Path) -> Population:
    k = {x: pki.key(x) for x in ("R", "O", "T", "I1", "I2", "Z", "leaf")}
    n = {"R": pki.name("Test Root"), "O": pki.name("Other Root"), "T": pki.name("Third Root"),
         "I1": pki.name("Issuing CA 1"), "I2": pki.name("Issuing CA 2"), "Z": pki.name("Issuing CA Z")}
    far = T(2035, 1, 1)
    certs = {
        "R": pki.build(n["R"], k["R"], n["R"], k["R"], serial=1, ca=True, not_after=far),
        "O": pki.build(n["O"], k["O"], n["O"], k["O"], serial=2, ca=True, not_after=far),
        "T": pki.build(n["T"], k["T"], n["T"], k["T"], serial=3, ca=True, not_after=far),
        "R_by_O": pki.build(n["R"], k["R"], n["O"], k["O"], serial=4, ca=True, not_after=T(2030, 6, 1)),
        "O_by_R": pki.build(n["O"], k["O"], n["R"], k["R"], serial=5, ca=True, not_after=T(2029, 6, 1)),
        "I1": pki.build(n["I1"], k["I1"], n["R"], k["R"], serial=6, ca=True, not_after=T(2028, 1, 1)),
        "I1_by_T": pki.build(n["I1"], k["I1"], n["T"], k["T"], serial=7, ca=True, not_after=T(2027, 1, 1)),
        "I2": pki.build(n["I2"], k["I2"], n["I1"], k["I1"], serial=8, ca=True, not_after=T(2026, 1, 1)),
        "Z": pki.build(n["Z"], k["Z"], n["O"], k["O"], serial=9, ca=True, not_after=T(2027, 6, 1)),
    }
    leaf = k["leaf"]
    pre, final = _precert_pair(pki.name("a.example.com", "Example Org"), leaf, n["I1"], k["I1"], serial=0x80AB,
                               sans=["a.example.com", "www.a.example.com", "a.example.com"],
                               not_after=LEAF_NOT_AFTER["pair_pre"], policies=[OV])
    orphan, _ = _precert_pair(pki.name("b.example.com", None), leaf, n["I1"], k["I1"], serial=0x10,
                              sans=["b.example.com"], not_after=LEAF_NOT_AFTER["orphan_pre"], policies=[DV])
    certs.update({"pair_pre": pre, "pair_final": final, "orphan_pre": orphan})
    simple = {  # label: (subject, issuer, serial, sans, policies)
        "no_o": (pki.name("c.example.com", None), "I1", 0x11, [], [DV]),
        "expired": (pki.name("d.example.com", "Example Org"), "I1", 0x12, ["d.example.com"], [OV]),
        "at_as_of": (pki.name("e.example.com", "Another, Inc."), "I1", 0x13, ["e.example.com"], [OV]),
        "i2_leaf": (pki.name("f.example.net", "Example Org"), "I2", 0x14, ["f.example.net", "*.f.example.net"], [OV]),
        "z_leaf1": (pki.name("g.example.org", "Zed Org"), "Z", 0x15, ["g.example.org"], [OV, "1.2.3.4"]),
        "z_leaf2": (pki.name("h.example.org", None), "Z", 0x16, ["h.example.org"], [DV]),
        "t_leaf": (pki.name("t.example.org", None), "T", 0x17, ["t.example.org"], [DV]),
    }
    for label, (subject, issuer, serial, sans, pols) in simple.items():
        certs[label] = pki.build(subject, leaf, n[issuer], k[issuer], serial=serial, ca=False, sans=sans,
                                 not_after=LEAF_NOT_AFTER[label], extra=[_policies(*pols)])
    der = {label: pki.der(c) for label, c in certs.items()}
    d = folder / "certs"
    d.mkdir(parents=True, exist_ok=True)
    for label, data in der.items():
        (d / f"{label}.der").write_bytes(data)
    (folder / "logs.csv").write_text("id,operator,url,name\n1,Demo,https://ct.example/1/,Log 1\n"
                                     "2,Demo,https://ct.example/2/,Log 2\n")
    with (folder / "rev.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["certificate_sha256", "revocation_date", "reason_code"])
        w.writerow([sha256_hex(der["pair_final"]), "2019-03-01T10:00:00Z", "4"])  # the serial: pre and final both
        w.writerow([sha256_hex(der["z_leaf2"]), "2019-04-02T00:00:00Z", ""])  # no reason code
        w.writerow([sha256_hex(der["expired"]), "2019-01-02T00:00:00Z", "1"])  # expired at AS_OF: not returned
    with (folder / "ct.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["certificate_sha256", "ct_log_id", "entry_id", "entry_timestamp"])
        w.writerow([sha256_hex(der["pair_pre"]), 1, 10, "2018-01-01T00:05:00Z"])
        w.writerow([sha256_hex(der["pair_pre"]), 2, 20, "2017-12-31T23:59:00Z"])  # earlier, another log and partition
        w.writerow([sha256_hex(der["pair_final"]), 1, 11, "2018-01-01T02:00:00Z"])
        w.writerow([sha256_hex(der["orphan_pre"]), 2, 21, "2018-01-02T00:00:00Z"])
        w.writerow([sha256_hex(der["expired"]), 2, 22, "2018-01-02T00:00:00Z"])
    report = load_paths(dsn, [d], revocations_csv=folder / "rev.csv", ct_logs_csv=folder / "logs.csv",
                        ct_entries_csv=folder / "ct.csv")
    assert report.bad_files == [] and report.bad_rows == [] and report.issuer_not_found == 0, report.summary()

    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT encode(digest(c.certificate, 'sha256'), 'hex'), c.id FROM certificate c")
        by_sha = {sha.upper(): cid for sha, cid in cur.fetchall()}
        ids = {label: by_sha[sha256_hex(data)] for label, data in der.items()}
        cur.execute("SELECT name, id FROM ca WHERE id > 0")
        by_name = dict(cur.fetchall())
        cn = lambda name: name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value  # noqa: E731
        ca = {label: by_name[f"C=XX, O=Test PKI (synthetic), CN={cn(name)}"]
              for label, name in n.items()}
        # An unparsable certificate under I1, as crt.sh keeps what CT logs accepted: partition key 'infinity'.
        garbage = der["no_o"][:150]
        cur.execute("INSERT INTO certificate (issuer_ca_id, certificate) VALUES (%s, %s) RETURNING id",
                    (ca["I1"], garbage))
        ids["garbage"] = cur.fetchone()[0]
        # Root-program records (crt.sh fills these from the root stores) and crt.sh's per-CA trust summary.
        cur.execute("""INSERT INTO root_trust_purpose VALUES
                         (%(r)s, 5, 1, NULL, '2019-06-01'), (%(r)s, 1, 1, '2020-01-01', NULL),
                         (%(r)s, 5, 3, NULL, NULL), (%(t)s, 5, 1, NULL, NULL)""", {"r": ids["R"], "t": ids["T"]})
        cur.execute("""INSERT INTO ca_trust_purpose (ca_id, trust_context_id, trust_purpose_id, shortest_chain,
                                                     is_time_valid) VALUES
                         (%(i1)s, 6, 1, 2, TRUE), (%(i1)s, 5, 1, 2, TRUE), (%(i2)s, 5, 1, 3, FALSE)""",
                    {"i1": ca["I1"], "i2": ca["I2"]})
        # crt.sh's tables have statistics; without them the planner's default estimates push the recursive
        # hierarchy query over jit_above_cost and PostgreSQL spends ~0.8 s JIT-compiling a 2 ms query.
        cur.execute("ANALYZE")
    conn.close()
    der["garbage"] = garbage
    return Population(dsn=dsn, ca=ca, cert=ids, der=der, garbage=garbage,
                      labels_by_id={v: k for k, v in ids.items()})


def fresh_database(cluster) -> str:
    """A new database with crt.sh's schema on the session cluster (the caller drops it with drop_database)."""
    name = f"q_{os.urandom(4).hex()}"
    admin = psycopg2.connect(cluster.dsn.replace("dbname=certwatch", "dbname=postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    dsn = cluster.dsn.replace("dbname=certwatch", f"dbname={name}")
    create_schema(dsn)
    return dsn


def drop_database(cluster, dsn: str) -> None:
    name = psycopg2.extensions.parse_dsn(dsn)["dbname"]
    admin = psycopg2.connect(cluster.dsn.replace("dbname=certwatch", "dbname=postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()
