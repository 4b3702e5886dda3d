"""The loader against crt.sh's own import, on all 10,217 real CCADB CA certificates (tests/fixtures/ccadb_import)."""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import time
from pathlib import Path

import pytest

from analysis import x509
from analysis.localdb import load_paths
from analysis.localdb.loader import verify_signature
from analysis.x509 import sha256_hex

ROOT = Path(__file__).resolve().parents[1]
PEM_CSV = ROOT / "data" / "ccadb" / "pem_csv"
FIXTURE = Path(__file__).parent / "fixtures" / "ccadb_import"

# Certificates on which the project's x509 functions (analysis/x509.py, not the loader) still differ from libx509pq,
# so their CA identity, and what joins it, differs. Remove an entry once analysis/x509.py matches on it.
X509_DIFFERENCES: dict[str, str] = {}  # certificate SHA-256 prefix -> why analysis.x509 reads it differently


def _read_gz_csv(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _write_pem_bundles(folder: Path) -> int:
    """One PEM file per CCADB year report, certificates in row order (the fixture's input order); rows written."""
    folder.mkdir()
    rows = 0
    for report in sorted(PEM_CSV.glob("AllCertificatePEMsCSVFormat_NotBeforeYear_*.csv.gz")):
        pems = [r["X.509 Certificate (PEM)"].strip().strip("'") + "\n" for r in _read_gz_csv(report)]
        (folder / report.name.replace(".csv.gz", ".pem")).write_text("".join(pems), encoding="ascii")
        rows += len(pems)
    return rows


def _crtsh_verdicts():
    cas = {r["ca_id"]: (r["name"], r["public_key_sha256_prefix"]) for r in _read_gz_csv(FIXTURE / "ca.csv.gz")}
    certs = _read_gz_csv(FIXTURE / "certificates.csv.gz")
    assert [int(r["certificate_id"]) for r in certs] == list(range(1, 10_218))
    return {
        r["sha256_prefix"]: (None if r["issuer_ca_id"] == "-1" else cas[r["issuer_ca_id"]],
                             cas[r["ca_id"]] if r["ca_id"] else None)
        for r in certs
    }, [r["sha256_prefix"] for r in certs]


@pytest.mark.slow
def test_ccadb_set_is_linked_exactly_as_crtsh_imports_it(empty_db, sql, tmp_path):
    expected, crtsh_order = _crtsh_verdicts()
    assert set(X509_DIFFERENCES) <= set(expected)
    folder = tmp_path / "ccadb"
    assert _write_pem_bundles(folder) == 10_229

    started = time.monotonic()
    report = load_paths(empty_db, [folder])
    elapsed = time.monotonic() - started
    print(f"loaded the CCADB set in {elapsed:.1f} s")
    assert report.bad_files == [] and report.warnings == []
    assert (report.files_read, report.certificates_seen, report.inserted, report.already_present) == (
        33, 10_229, 10_217, 12)

    rows = sql("""
        SELECT upper(left(encode(digest(c.certificate, 'sha256'), 'hex'), 16)), c.issuer_ca_id, i.name,
               upper(left(encode(digest(i.public_key, 'sha256'), 'hex'), 16)), s.name,
               upper(left(encode(digest(s.public_key, 'sha256'), 'hex'), 16))
        FROM certificate c JOIN ca i ON i.id = c.issuer_ca_id
        LEFT JOIN ca_certificate cac ON cac.certificate_id = c.id LEFT JOIN ca s ON s.id = cac.ca_id
        ORDER BY c.id""")
    ours = {sha: (None if issuer_id == -1 else (i_name, i_key), None if s_name is None else (s_name, s_key))
            for sha, issuer_id, i_name, i_key, s_name, s_key in rows}
    assert set(ours) == set(expected)
    differ = {sha for sha in expected if ours[sha] != expected[sha]}
    assert differ <= set(X509_DIFFERENCES), sorted(differ - set(X509_DIFFERENCES))
    same = [sha for sha in expected if sha not in X509_DIFFERENCES]
    assert sum(expected[sha][0] is None for sha in same) == 31  # all of crt.sh's -1s
    # and in crt.sh's import order (ids), apart from those certificates
    assert [r[0] for r in rows if r[0] not in X509_DIFFERENCES] == [
        sha for sha in crtsh_order if sha not in X509_DIFFERENCES]


def _ccadb_ders() -> list[bytes]:
    """Every report row's certificate, in input order (repeats included)."""
    ders = []
    for report in sorted(PEM_CSV.glob("*.csv.gz")):
        for r in _read_gz_csv(report):
            body = "".join(line for line in io.StringIO(r["X.509 Certificate (PEM)"].strip().strip("'"))
                           if not line.startswith("-----"))
            ders.append(base64.b64decode(body))
            assert sha256_hex(ders[-1]) == r["SHA-256 Fingerprint"].strip().upper()
    return ders


def test_fixture_input_order_is_the_reports_order():
    """The fixture's README defines the input order from the year reports; every report row is one of its
    certificates (a repeated certificate once)."""
    expected, _ = _crtsh_verdicts()
    seen = [sha256_hex(der)[:16] for der in _ccadb_ders()]
    assert len(seen) == 10_229 and set(seen) == set(expected)


# (certificate, does its issuer's key verify it on crt.sh?): ones `cryptography`'s own certificate API got wrong
SIGNATURE_CASES = {
    "B3C962D34019FB38": True,   # SecureNet CA Class B, MD5 with RSA
    "3B8812E6F851B6F9": True,   # below DigiCert Global Root G2: non-strict DER
    "0A552A65F22FF820": True,   # below UCA Global G2 Root: non-strict DER
    "654FE9B1A5C22655": True,   # below CFCA Global ECC: non-strict DER
    "5578748AC97944D1": False,  # below AddTrust External CA Root and COMODO Certification Authority: the issuer's key
    "7857E2DDB36187BF": False,  # verifies the bytes, but the TBSCertificate's signature algorithm differs from the
}                               # outer one, which X509_verify refuses


def _verifies_ignoring_algorithm_mismatch(der: bytes, spki: bytes) -> bool:
    """What `cryptography`'s certificate API says (the outer algorithm only); RSA PKCS#1 v1.5 keys only."""
    from cryptography import x509 as cx509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    cert = cx509.load_der_x509_certificate(der)
    try:
        serialization.load_der_public_key(spki).verify(cert.signature, cert.tbs_certificate_bytes,
                                                       padding.PKCS1v15(), cert.signature_hash_algorithm)
        return True
    except InvalidSignature:
        return False


def test_signatures_are_verified_as_openssl_does():
    cas = {r["ca_id"]: r for r in _read_gz_csv(FIXTURE / "ca.csv.gz")}
    certs = {r["sha256_prefix"]: r for r in _read_gz_csv(FIXTURE / "certificates.csv.gz")}
    ders = {sha256_hex(der)[:16]: der for der in _ccadb_ders()}
    ca_certificate = {r["ca_id"]: r["sha256_prefix"] for r in certs.values() if r["ca_id"]}
    for sha, verifies in SIGNATURE_CASES.items():
        issuer = x509.issuer_name(ders[sha])
        if verifies:
            keys = [x509.public_key(ders[ca_certificate[certs[sha]["issuer_ca_id"]]])]
            assert cas[certs[sha]["issuer_ca_id"]]["name"] == issuer
        else:  # crt.sh links it nowhere; one of the CA rows named like its issuer has the key that signed it
            assert certs[sha]["issuer_ca_id"] == "-1"
            keys = [x509.public_key(ders[ca_certificate[i]]) for i, r in cas.items() if r["name"] == issuer]
            assert sum(_verifies_ignoring_algorithm_mismatch(ders[sha], k) for k in keys) == 1
        assert [verify_signature(ders[sha], k) for k in keys] == [verifies] * len(keys), sha


def test_signature_algorithms_as_openssl_3_accepts_them():
    """Self-signed certificates made with the openssl CLI, one per algorithm, and what libx509pq's x509_verify said
    (fixtures/ccadb_import/signatures); a flipped signature bit never verifies."""
    folder = FIXTURE / "signatures"
    expected = json.loads((folder / "expected.json").read_text())["x509_verify(cert, x509_publicKey(cert))"]
    assert len(expected) == 12 and sum(expected.values()) == 10
    for name, verifies in expected.items():
        der = (folder / f"{name}.der").read_bytes()
        assert verify_signature(der, x509.public_key(der)) is verifies, name
        flipped = der[:-3] + bytes([der[-3] ^ 1]) + der[-2:]
        assert verify_signature(flipped, x509.public_key(der)) is False, name
