"""The loader against crt.sh's own import, on all 10,217 real CCADB CA certificates (tests/fixtures/ccadb_import)."""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
from pathlib import Path

from analysis import x509
from analysis.localdb.loader import verify_signature
from analysis.x509 import sha256_hex

ROOT = Path(__file__).resolve().parents[2]
PEM_CSV = ROOT / "data" / "ccadb" / "pem_csv"
FIXTURE = Path(__file__).parents[1] / "fixtures" / "ccadb_import"

def _read_gz_csv(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _crtsh_verdicts():
    cas = {r["ca_id"]: (r["name"], r["public_key_sha256_prefix"]) for r in _read_gz_csv(FIXTURE / "ca.csv.gz")}
    certs = _read_gz_csv(FIXTURE / "certificates.csv.gz")
    assert [int(r["certificate_id"]) for r in certs] == list(range(1, 10_218))
    return {
        r["sha256_prefix"]: (None if r["issuer_ca_id"] == "-1" else cas[r["issuer_ca_id"]],
                             cas[r["ca_id"]] if r["ca_id"] else None)
        for r in certs
    }, [r["sha256_prefix"] for r in certs]


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
