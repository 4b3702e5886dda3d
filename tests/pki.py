"""A tiny, deterministic PKI for tests: real certificates built with cryptography (no mocks)."""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

POISON = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.3")
SCT_LIST = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")


def key(label: str) -> ec.EllipticCurvePrivateKey:
    secret = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (2**255)
    return ec.derive_private_key(secret or 1, ec.SECP256R1())


def name(cn: str, o: str | None = "Test PKI (synthetic)") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "XX")]
    if o:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def build(subject: x509.Name, subject_key, issuer: x509.Name, issuer_key, *, serial: int, ca: bool,
          not_before=dt.datetime(2018, 1, 1), not_after=dt.datetime(2020, 1, 1), sans=(), extra=()):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(subject_key.public_key()).serial_number(serial)
         .not_valid_before(not_before).not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    for ext, critical in extra:
        b = b.add_extension(ext, critical=critical)
    return b.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)


def precert_pair(subject, subject_key, issuer, issuer_key, *, serial, sans, **kw):
    """A precertificate (critical CT poison) and its final certificate (SCT list), same serial and TBS otherwise."""
    pre = build(subject, subject_key, issuer, issuer_key, serial=serial, ca=False, sans=sans,
                extra=[(x509.UnrecognizedExtension(POISON, b"\x05\x00"), True)], **kw)
    final = build(subject, subject_key, issuer, issuer_key, serial=serial, ca=False, sans=sans,
                  extra=[(x509.UnrecognizedExtension(SCT_LIST, b"\x04\x02\x00\x00"), False)], **kw)
    return pre, final
