"""The local crt.sh-compatible database: cluster lifecycle, schema, loader — against a real PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import psycopg2
import pytest

from analysis import ccadb
from analysis.localdb import LocalCluster, create_schema, load_paths
from analysis.x509 import sha256_hex
from tests import pki


def test_cluster_is_removed_after_stop():
    cluster = LocalCluster()
    cluster.start()
    root = cluster.root
    assert (root / "data" / "PG_VERSION").exists()
    conn = psycopg2.connect(cluster.dsn)
    conn.close()
    cluster.stop()
    assert not root.exists()
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(cluster.dsn, connect_timeout=2)


def test_schema_is_idempotent_and_has_crtsh_tables(empty_db, sql):
    create_schema(empty_db)  # second run changes nothing and does not fail
    tables = {r[0] for r in sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    for t in ["ca", "ca_certificate", "crl_revoked", "ct_log", "trust_context", "trust_purpose",
              "root_trust_purpose", "ca_trust_purpose", "certificate_2019", "certificate_2027q1",
              "certificate_2030andbeyond"]:
        assert t in tables
    key = sql("SELECT pg_get_partkeydef('certificate'::regclass)")[0][0]
    assert key == "RANGE (COALESCE(x509_notafter(certificate), 'infinity'::timestamp without time zone))"
    indexes = {r[0] for r in sql("SELECT indexdef FROM pg_indexes WHERE tablename = 'certificate'")}
    assert any("(issuer_ca_id, COALESCE(x509_notafter(certificate)" in i for i in indexes)
    assert any("WHERE x509_canissuecerts(certificate)" in i for i in indexes)
    assert sql("SELECT id, name FROM ca") == [(-1, "Issuer Not Found")]
    assert sql("SELECT id, ctx FROM trust_context WHERE id IN (5, 6) ORDER BY id") == [(5, "Mozilla"), (6, "Chrome")]


def test_function_signatures_match_crtsh(sql):
    """Same names, positional argument types, defaults and return types as libx509pq's pg_proc entries."""
    import json

    real = json.loads((Path(__file__).parents[1] / "fixtures" / "x509" / "signatures.json").read_text())["functions"]
    ours = {
        name: (args, result, retset)
        for name, args, result, retset in sql(
            """SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                      pg_get_function_arguments(p.oid), pg_get_function_result(p.oid), p.proretset
               FROM pg_proc p WHERE p.proname LIKE 'x509\\_%'""")
    }
    assert len(ours) == 18
    for name, (args, result, retset) in ours.items():
        assert name in real, name
        assert (args, result, retset) == (
            real[name]["arguments_with_defaults"], real[name]["returns"], real[name]["returns_set"]), name


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.fixture()
def small_pki(tmp_path):
    """root -> intermediate -> leaves; a second root cross-signs the intermediate (same name and key)."""
    root_k, other_k, int_k, leaf_k = (pki.key(x) for x in ("root", "other", "int", "leaf"))
    root_n, other_n, int_n = pki.name("Test Root"), pki.name("Other Root"), pki.name("Test Issuing CA")
    root = pki.build(root_n, root_k, root_n, root_k, serial=1, ca=True, not_after=dt.datetime(2035, 1, 1))
    other = pki.build(other_n, other_k, other_n, other_k, serial=2, ca=True, not_after=dt.datetime(2035, 1, 1))
    inter = pki.build(int_n, int_k, root_n, root_k, serial=3, ca=True, not_after=dt.datetime(2030, 1, 1))
    cross = pki.build(int_n, int_k, other_n, other_k, serial=4, ca=True, not_after=dt.datetime(2030, 1, 1))
    pre, final = pki.precert_pair(pki.name("a.example.com", None), leaf_k, int_n, int_k, serial=0x80AB,
                                  sans=["a.example.com"])
    orphan, _ = pki.precert_pair(pki.name("b.example.com", None), leaf_k, int_n, int_k, serial=0x10,
                                 sans=["b.example.com"])
    stranger = pki.build(pki.name("c.example.com"), leaf_k, pki.name("Unknown CA"), pki.key("unknown"),
                         serial=5, ca=False)
    # right issuer name, wrong key: must not be attributed to the intermediate
    forged = pki.build(pki.name("d.example.com"), leaf_k, int_n, pki.key("impostor"), serial=6, ca=False)
    d = tmp_path / "certs"
    certs = {"root": root, "other": other, "inter": inter, "cross": cross, "pre": pre, "final": final,
             "orphan": orphan, "stranger": stranger, "forged": forged}
    for label, cert in certs.items():
        _write(d, f"{label}.der", pki.der(cert))
    # PEM with two certificates in one file is also accepted (here: duplicates of two above)
    from cryptography.hazmat.primitives import serialization
    (tmp_path / "bundle.pem").write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (root, pre)))
    return tmp_path, {k: pki.der(v) for k, v in certs.items()}


def _issuer_of(sql, der_bytes):
    return sql("SELECT c.issuer_ca_id FROM certificate c WHERE digest(c.certificate, 'sha256') = %s",
               (bytes.fromhex(sha256_hex(der_bytes)),))[0][0]


def test_loader_fills_tables_like_crtsh(empty_db, sql, small_pki):
    folder, der = small_pki
    report = load_paths(empty_db, [folder / "certs", folder / "bundle.pem"])
    assert report.inserted == 9 and report.already_present == 2  # the bundle repeats two
    assert report.bad_files == []
    # a ca row per (subject name, public key): root, other root, and one shared by the intermediate and its cross-sign
    cas = dict(sql("SELECT name, id FROM ca WHERE id > 0"))
    assert sorted(cas) == ["C=XX, O=Test PKI (synthetic), CN=Other Root",
                           "C=XX, O=Test PKI (synthetic), CN=Test Issuing CA",
                           "C=XX, O=Test PKI (synthetic), CN=Test Root"]
    inter_id = cas["C=XX, O=Test PKI (synthetic), CN=Test Issuing CA"]
    root_id = cas["C=XX, O=Test PKI (synthetic), CN=Test Root"]
    other_id = cas["C=XX, O=Test PKI (synthetic), CN=Other Root"]
    assert sql("SELECT count(*) FROM ca_certificate WHERE ca_id = %s", (inter_id,)) == [(2,)]
    assert _issuer_of(sql, der["inter"]) == root_id
    assert _issuer_of(sql, der["cross"]) == other_id
    assert _issuer_of(sql, der["root"]) == root_id  # self-signed
    assert _issuer_of(sql, der["final"]) == inter_id
    assert _issuer_of(sql, der["pre"]) == inter_id
    assert _issuer_of(sql, der["stranger"]) == -1
    assert _issuer_of(sql, der["forged"]) == -1  # name matches, signature does not verify
    # num_issued: [1] certificates, [2] precertificates; all leaves expired 2020-01-01
    assert sql("SELECT num_issued, num_expired FROM ca WHERE id = %s", (inter_id,)) == [([1, 2], [1, 2])]
    assert sql("SELECT num_issued FROM ca WHERE id = %s", (root_id,)) == [([2, 0],)]  # itself and the intermediate


def test_loading_twice_adds_nothing(empty_db, sql, small_pki):
    folder, _ = small_pki
    load_paths(empty_db, [folder / "certs"])
    before = sql("SELECT count(*), (SELECT count(*) FROM ca), (SELECT sum(num_issued[1]) FROM ca) FROM certificate")
    again = load_paths(empty_db, [folder / "certs"])
    assert again.inserted == 0 and again.already_present == 9
    counts = "SELECT count(*), (SELECT count(*) FROM ca), (SELECT sum(num_issued[1]) FROM ca) FROM certificate"
    assert sql(counts) == before


def test_bad_files_are_reported_and_the_rest_loads(empty_db, sql, small_pki):
    folder, der = small_pki
    _write(folder / "certs", "garbage.pem", b"this is not a certificate\n")
    _write(folder / "certs", "noise.der", b"\x01\x02\x03")
    _write(folder / "certs", "truncated.der", der["final"][:200])
    (folder / "certs" / "binary.crt").write_bytes(b"\xff\xfe\x00\x80 odd encoding")
    # a certificate's shape (SEQUENCE { TBSCertificate of six fields, AlgorithmIdentifier, BIT STRING }) whose fields
    # cannot be decoded (the serial number is an OCTET STRING): stored, as crt.sh stores what it cannot parse
    body = b"\x30\x0c" + b"\x04\x00" * 6 + b"\x30\x0b\x06\x09" + bytes.fromhex("2a864886f70d01010b")
    body += b"\x03\x01\x00"
    shaped = _write(folder / "certs", "shaped.der", b"\x30" + bytes([len(body)]) + body)
    report = load_paths(empty_db, [folder / "certs", folder / "does-not-exist.pem"])
    bad = {Path(p).name: why for p, why in report.bad_files}
    no_cert = "no PEM certificate block and not DER"
    assert bad == {"garbage.pem": no_cert, "noise.der": no_cert, "binary.crt": no_cert,
                   "truncated.der": f"truncated: {len(der['final']) - 200:,} bytes missing",
                   "does-not-exist.pem": "No such file or directory"}
    assert report.inserted == 10  # the 9 good ones and the undecodable one
    assert [Path(p).name for p, _ in report.unparsable] == ["shaped.der"]
    # an unparsable certificate is kept (issuer unknown), and crt.sh's functions say so
    rows = sql("SELECT c.issuer_ca_id, x509_subjectName(c.certificate), x509_notAfter(c.certificate) "
               "FROM certificate c WHERE digest(c.certificate, 'sha256') = %s",
               (bytes.fromhex(sha256_hex(shaped.read_bytes())),))
    assert rows == [(-1, "ERROR!", None)]


def _links(sql) -> dict[str, str | None]:
    return dict(sql("SELECT upper(encode(digest(c.certificate, 'sha256'), 'hex')), "
                    "CASE WHEN c.issuer_ca_id = -1 THEN NULL ELSE i.name END "
                    "FROM certificate c JOIN ca i ON i.id = c.issuer_ca_id"))


def test_a_later_load_links_to_ca_rows_already_there_and_relinks_nothing(empty_db, sql, tmp_path):
    """crt.sh's import_any_cert links to the ca rows that exist when a certificate is imported, and never revisits
    a certificate: the same here, across calls."""
    folder = Path(ccadb.CERTINOMIS_DIR)
    roots = {ccadb.CERTINOMIS_ROOT_CA, ccadb.CERTINOMIS_AUTORITE_RACINE}
    (tmp_path / "roots").mkdir()
    (tmp_path / "rest").mkdir()
    for pem in folder.glob("*.pem"):
        (tmp_path / ("roots" if pem.stem in roots else "rest") / pem.name).write_bytes(pem.read_bytes())
    one_call = load_paths(empty_db, [folder])
    assert (one_call.inserted, one_call.issuer_not_found) == (35, 0)
    expected = _links(sql)
    sql("TRUNCATE certificate, ca_certificate")
    sql("DELETE FROM ca WHERE id > 0")
    assert load_paths(empty_db, [tmp_path / "roots"]).inserted == 2
    later = load_paths(empty_db, [tmp_path / "rest"])
    assert (later.inserted, later.issuer_not_found, later.ca_rows_created) == (33, 0, one_call.ca_rows_created - 2)
    assert _links(sql) == expected

    sql("TRUNCATE certificate, ca_certificate")
    sql("DELETE FROM ca WHERE id > 0")
    first = load_paths(empty_db, [tmp_path / "rest"])  # without the two roots: their children find no issuer
    orphans = {sha for sha, name in _links(sql).items() if name is None}
    assert first.issuer_not_found == len(orphans) == 14 + 10  # what the two roots signed (data/ccadb/README.md)
    load_paths(empty_db, [tmp_path / "roots"])
    assert {sha for sha, name in _links(sql).items() if name is None} == orphans


def test_revocations_and_ct_entries(empty_db, sql, small_pki, tmp_path):
    folder, der = small_pki
    logs = tmp_path / "logs.csv"
    logs.write_text("id,operator,url,name\n1,Demo,https://ct.example/1/,Demo Log 1\n")
    rev = tmp_path / "rev.csv"
    with rev.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["certificate_sha256", "revocation_date", "reason_code"])
        w.writerow([sha256_hex(der["final"]), "2019-03-01T10:00:00Z", "4"])
        w.writerow(["00" * 32, "2019-03-01", "1"])  # unknown certificate: reported
        w.writerow([sha256_hex(der["orphan"]), "not a date", "1"])  # malformed date: reported
    entries = tmp_path / "ct.csv"
    with entries.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["certificate_sha256", "ct_log_id", "entry_id", "entry_timestamp"])
        w.writerow([sha256_hex(der["pre"]), 1, 10, "2018-01-01T00:05:00+00:00"])
        w.writerow([sha256_hex(der["final"]), 1, 11, "2018-01-01T02:00:00+02:00"])  # = 00:00 UTC
    report = load_paths(empty_db, [folder / "certs"], revocations_csv=rev, ct_logs_csv=logs, ct_entries_csv=entries)
    assert report.revocations_inserted == 1 and report.ct_entries_inserted == 2
    assert [(n, why) for _, n, why in report.bad_rows] == [
        (3, "unknown or malformed certificate_sha256"), (4, "Invalid isoformat string: 'not a date'")]
    # crt.sh's join: crl_revoked.ca_id = issuer_ca_id and serial_number = x509_serialNumber(certificate)
    assert sql("""SELECT encode(cr.serial_number, 'hex'), cr.reason_code, cr.revocation_date
                  FROM crl_revoked cr""") == [("0080ab", 4, dt.datetime(2019, 3, 1, 10, 0))]
    assert sql("SELECT entry_id, entry_timestamp FROM ct_log_entry ORDER BY entry_id") == [
        (10, dt.datetime(2018, 1, 1, 0, 5)), (11, dt.datetime(2018, 1, 1, 0, 0))]
    again = load_paths(empty_db, [], revocations_csv=rev, ct_entries_csv=entries)
    assert again.revocations_inserted == 0 and again.ct_entries_inserted == 0


def test_guest_role_is_read_only(pg_cluster, empty_db):
    dsn = empty_db.replace("user=postgres", "user=guest")
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM certificate")
        with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cur.execute("INSERT INTO ca (name, public_key) VALUES ('x', 'x')")
    conn.close()


def test_db_start_command_serves_and_removes_its_cluster():
    """`distrust-impact db start`: prints a DSN, serves crt.sh's schema until SIGTERM, then stops and cleans up."""
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "analysis", "db", "start"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        dsn = proc.stdout.readline().strip()
        assert dsn.startswith("host=127.0.0.1 port="), proc.stderr.read()
        conn = psycopg2.connect(dsn)
        with conn.cursor() as cur:
            cur.execute("SELECT x509_notAfter(NULL::bytea) IS NULL, count(*) FROM ca")
            assert cur.fetchone() == (True, 1)
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(dsn, connect_timeout=2)
