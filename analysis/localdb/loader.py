"""Load PEM/DER certificates (and optional revocation and CT-log CSVs) into a crt.sh-compatible database.

It fills the tables exactly as crt.sh's ``import_cert`` / ``import_any_cert`` would, called once per certificate:

* a CA certificate (``x509_canIssueCerts``) finds or creates the ``ca`` row of its (``x509_subjectName``,
  ``x509_publicKey``) — a cross-certificate with the same name and key shares the row — and gets a
  ``ca_certificate`` link to it;
* its ``issuer_ca_id`` is crt.sh's ``find_issuer``: among the ``ca`` rows named like its issuer (longest public key
  first, then highest id), the first whose key verifies its signature the way OpenSSL's ``X509_verify`` does
  (:func:`verify_signature`); ``-1`` ('Issuer Not Found') when there is none;
* ``ca.num_issued`` / ``num_expired`` (``[1]`` certificates, ``[2]`` precertificates) are maintained.

**Import order.** crt.sh links a certificate only to ``ca`` rows that exist when it is imported, so the order
matters. The loader imports, repeatedly, the first certificate (in input order: paths as given, a folder's files
sorted by path, a file's PEM blocks in order; a repeated certificate counts once) that would find an issuer
(including a self-signed CA certificate's own new row); when none would, the first one left. Issuers thus come before
what they issued, as when crt.sh imports a CT log entry's chain, and the result does not depend on the order of
files unless a CA can only be linked through a cycle of certificates with no self-signed start. ``ca`` rows already
in the database count like new ones; a certificate already there is never re-linked (nor is it by crt.sh), so load
CA certificates in the same call as, or before, what they issued.

**What is a certificate.** Each file is streamed: a PEM file may hold any number of ``CERTIFICATE`` blocks (text
around them is ignored); any other file must be exactly one DER certificate. What is not exactly one certificate
— bad base64, a truncated body, bytes after the certificate, a structure that is not ``SEQUENCE { SEQUENCE,
SEQUENCE, BIT STRING }`` with definite lengths, more than ``max_certificate_bytes`` (1 MiB by default; a DER
header is checked before the rest of the file is read) — is rejected and listed by file (and PEM block number) in
``LoadReport.bad_files``; the rest of the input still loads and ``distrust-impact load`` exits 1. A certificate
that has that shape but whose fields cannot be decoded is stored with ``issuer_ca_id = -1``, as crt.sh keeps what
CT logs accepted, and listed as unparsable. A folder without a single certificate is a warning.

Loading the same files twice adds nothing (certificates are keyed by SHA-256).
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import heapq
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import psycopg2
import psycopg2.extras
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from analysis import x509

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}
MAX_CERTIFICATE_BYTES = 1 << 20  # far above any real certificate (the largest in CT logs are a few hundred KB)
_CHUNK = 1 << 16
_BEGIN = re.compile(rb"-----BEGIN ((?:TRUSTED |X509 )?)CERTIFICATE-----")
_END = re.compile(rb"-----END (?:TRUSTED |X509 )?CERTIFICATE-----")
_MARKER_TAIL = 40  # longer than any marker: a marker split across two chunks is kept whole
_NO_KEY = b"\x00"  # crt.sh's ca.public_key when x509_publicKey gives NULL; find_issuer skips such rows


@dataclass
class LoadReport:
    files_read: int = 0
    certificates_seen: int = 0
    inserted: int = 0
    already_present: int = 0
    ca_rows_created: int = 0
    issuer_not_found: int = 0
    revocations_inserted: int = 0
    ct_entries_inserted: int = 0
    bad_files: list[tuple[str, str]] = field(default_factory=list)  # (path [PEM block n], reason): rejected
    unparsable: list[tuple[str, str]] = field(default_factory=list)  # (path, sha256) loaded with issuer -1
    bad_rows: list[tuple[str, int, str]] = field(default_factory=list)  # (csv path, line, reason)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"files read: {self.files_read}; certificates seen: {self.certificates_seen}",
            f"inserted: {self.inserted}; already present: {self.already_present}; new ca rows: {self.ca_rows_created}",
            f"issuer not found (-1): {self.issuer_not_found}; unparsable (loaded as -1): {len(self.unparsable)}",
            f"revocations inserted: {self.revocations_inserted}; CT log entries inserted: {self.ct_entries_inserted}",
        ]
        if self.bad_files:
            lines.append(f"rejected (not loaded): {len(self.bad_files)}")
        lines += [f"rejected: {p}: {why}" for p, why in self.bad_files]
        lines += [f"unparsable certificate: {p} (sha256 {h})" for p, h in self.unparsable]
        lines += [f"bad row: {p}:{n}: {why}" for p, n, why in self.bad_rows]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------------------------------
# Reading: exactly one certificate per DER file or PEM block, streamed, size-capped


class NotACertificate(ValueError):
    """The bytes are not exactly one certificate."""


def _header(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, start of contents, length of contents) of the TLV at ``pos``, whose header must end by ``end``. Definite
    lengths only, in any long form (OpenSSL accepts non-minimal ones); high-tag-number tags are refused."""
    if pos + 2 > end:
        raise NotACertificate("truncated")
    tag, length = buf[pos], buf[pos + 1]
    if tag & 0x1F == 0x1F:
        raise NotACertificate("not DER: high tag number")
    start = pos + 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0:
            raise NotACertificate("not DER: indefinite length")
        if n > 8:
            raise NotACertificate("not DER: length of length over 8")
        if start + n > end:
            raise NotACertificate("truncated")
        length = int.from_bytes(buf[start : start + n], "big")
        start += n
    return tag, start, length


def _tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int, int]:
    """(tag, start of contents, end of contents, start of the TLV) of the TLV at ``pos``, which must end by
    ``end``."""
    tag, start, length = _header(buf, pos, end)
    if start + length > end:
        raise NotACertificate(f"truncated: {_bytes(start + length - end)} missing")
    return tag, start, start + length, pos


def _bytes(n: int) -> str:
    return f"{n:,} byte" + ("" if n == 1 else "s")


def _children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    out, pos = [], start
    while pos < end:
        out.append(_tlv(buf, pos, end))
        pos = out[-1][2]
    return out


def _signed_parts(der: bytes) -> tuple[tuple[int, int, int, int], ...]:
    """The Certificate's three parts (tbsCertificate, signatureAlgorithm, signatureValue); NotACertificate unless
    ``der`` is exactly ``SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }`` with nothing after it."""
    tag, start, end, _ = _tlv(der, 0, len(der))
    if tag != 0x30:
        raise NotACertificate("not a DER SEQUENCE")
    if end != len(der):
        raise NotACertificate(f"{_bytes(len(der) - end)} after the certificate")
    try:
        parts = _children(der, start, end)
        if [p[0] for p in parts] != [0x30, 0x30, 0x03]:
            raise NotACertificate("SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING } expected")
        if len(_children(der, parts[0][1], parts[0][2])) < 6:
            raise NotACertificate("too few TBSCertificate fields")
    except NotACertificate as exc:
        raise NotACertificate(f"not a certificate: {exc}") from None
    return tuple(parts)


def _read_der(f: BinaryIO, head: bytes, max_bytes: int) -> bytes:
    """The one DER certificate of a file whose first bytes are ``head``; its header is checked before the rest is
    read, so an oversized blob is refused without reading it."""
    _, start, length = _header(head, 0, len(head))
    total = start + length
    if total > max_bytes:
        raise NotACertificate(f"declares {total:,} bytes, over the {max_bytes:,}-byte limit for one certificate")
    der = head + f.read(total + 1 - len(head)) if len(head) <= total else head
    if len(der) > total:
        rest = len(der) - total + len(f.read(max_bytes))
        raise NotACertificate(f"{_bytes(rest)}{'+' if rest > max_bytes else ''} after the certificate")
    _signed_parts(der)
    return der


def _pem_blocks(f: BinaryIO, head: bytes, max_bytes: int) -> Iterator[tuple[int, bytes | NotACertificate]]:
    """(block number, DER or the reason it is refused) for each CERTIFICATE block, reading ``_CHUNK`` bytes at a
    time and never holding more than one block (at most ``max_bytes`` decoded)."""
    max_b64 = (max_bytes + 2) // 3 * 4
    buf, body, number, inside, trusted, too_big = head, bytearray(), 0, False, False, False
    while True:
        m = (_END if inside else _BEGIN).search(buf)
        if m is None:
            cut = max(len(buf) - _MARKER_TAIL, 0)
            if inside and not too_big:
                body += b"".join(buf[:cut].split())
                too_big = len(body) > max_b64
            buf = buf[cut:]
            chunk = f.read(_CHUNK)
            if not chunk:
                break
            buf += chunk
            continue
        if not inside:
            number, inside, trusted, too_big, body = number + 1, True, m.group(1) == b"TRUSTED ", False, bytearray()
            buf = buf[m.end() :]
            continue
        if not too_big:
            body += b"".join(buf[: m.start()].split())
            too_big = len(body) > max_b64
        buf, inside = buf[m.end() :], False
        try:
            der = b"" if too_big else base64.b64decode(bytes(body), validate=True)
        except (binascii.Error, ValueError) as exc:
            yield number, NotACertificate(f"bad base64 ({exc})")
            continue
        if too_big or len(der) > max_bytes:
            yield number, NotACertificate(f"over the {max_bytes:,}-byte limit for one certificate")
            continue
        try:
            if trusted:  # OpenSSL's TRUSTED CERTIFICATE: the certificate, then its trust settings
                der = der[: _tlv(der, 0, len(der))[2]]
            _signed_parts(der)
            yield number, der
        except NotACertificate as exc:
            yield number, exc
    if inside:
        yield number, NotACertificate("no END line (truncated PEM)")
    elif number == 0:
        yield 0, NotACertificate("no PEM certificate block and not DER")


def read_certificates(path: Path, max_bytes: int = MAX_CERTIFICATE_BYTES) -> Iterator[tuple[str, bytes | str]]:
    """(where, DER) for each certificate of a PEM or DER file, or (where, reason) for what is refused; ``where`` is
    the path, with the PEM block number when the file holds PEM. OSError when the file cannot be opened."""
    with open(path, "rb") as f:
        head = f.read(min(_CHUNK, max_bytes))
        if head[:1] == b"\x30":
            try:
                yield str(path), _read_der(f, head, max_bytes)
            except NotACertificate as exc:
                yield str(path), str(exc)
            return
        for number, item in _pem_blocks(f, head, max_bytes):
            where = f"{path} [PEM block {number}]" if number else str(path)
            yield where, item if isinstance(item, bytes) else str(item)


def iter_files(paths: Iterable[str | Path], warnings: list[str] | None = None) -> Iterable[Path]:
    for p in map(Path, paths):
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in CERT_SUFFIXES)
            if not files and warnings is not None:
                warnings.append(f"{p}: no certificate files ({', '.join(sorted(CERT_SUFFIXES))}) in this folder")
            yield from files
        else:
            yield p


# --------------------------------------------------------------------------------------------------------------------
# Signatures, as OpenSSL's X509_verify checks them


def _oid_der(dotted: str) -> bytes:
    """The contents octets of an OBJECT IDENTIFIER."""
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        septets = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            septets.append(0x80 | arc & 0x7F)
        out += bytes(reversed(septets))
    return bytes(out)


# signatureAlgorithm OID -> (key type, hash); hash None for EdDSA; "pss" reads the hash from the parameters. What
# X509_verify accepts with OpenSSL 3.0 (checked with libx509pq's x509_verify): not RSA with SHA-512/224 or
# SHA-512/256, nor ECDSA with SHA-3 (it has no signature-algorithm mapping for them), nor MD2 or MD4.
_SIGNATURE_ALGORITHMS: dict[bytes, tuple[str, type | None | str]] = {_oid_der(k): v for k, v in {
    "1.2.840.113549.1.1.4": ("rsa", hashes.MD5),
    "1.3.14.3.2.3": ("rsa", hashes.MD5),
    "1.2.840.113549.1.1.5": ("rsa", hashes.SHA1),
    "1.3.14.3.2.29": ("rsa", hashes.SHA1),
    "1.2.840.113549.1.1.14": ("rsa", hashes.SHA224),
    "1.2.840.113549.1.1.11": ("rsa", hashes.SHA256),
    "1.2.840.113549.1.1.12": ("rsa", hashes.SHA384),
    "1.2.840.113549.1.1.13": ("rsa", hashes.SHA512),
    "2.16.840.1.101.3.4.3.13": ("rsa", hashes.SHA3_224),
    "2.16.840.1.101.3.4.3.14": ("rsa", hashes.SHA3_256),
    "2.16.840.1.101.3.4.3.15": ("rsa", hashes.SHA3_384),
    "2.16.840.1.101.3.4.3.16": ("rsa", hashes.SHA3_512),
    "1.2.840.113549.1.1.10": ("rsa", "pss"),
    "1.2.840.10045.4.1": ("ec", hashes.SHA1),
    "1.2.840.10045.4.3.1": ("ec", hashes.SHA224),
    "1.2.840.10045.4.3.2": ("ec", hashes.SHA256),
    "1.2.840.10045.4.3.3": ("ec", hashes.SHA384),
    "1.2.840.10045.4.3.4": ("ec", hashes.SHA512),
    "1.2.840.10040.4.3": ("dsa", hashes.SHA1),
    "1.3.14.3.2.27": ("dsa", hashes.SHA1),
    "2.16.840.1.101.3.4.3.1": ("dsa", hashes.SHA224),
    "2.16.840.1.101.3.4.3.2": ("dsa", hashes.SHA256),
    "1.3.101.112": ("ed25519", None),
    "1.3.101.113": ("ed448", None),
}.items()}
_HASH_OIDS = {_oid_der(k): v for k, v in {
    "1.3.14.3.2.26": hashes.SHA1, "2.16.840.1.101.3.4.2.4": hashes.SHA224, "2.16.840.1.101.3.4.2.1": hashes.SHA256,
    "2.16.840.1.101.3.4.2.2": hashes.SHA384, "2.16.840.1.101.3.4.2.3": hashes.SHA512,
}.items()}


_MGF1 = _oid_der("1.2.840.113549.1.1.8")


def _pss_padding(der: bytes, params: tuple[int, int, int, int] | None) -> tuple[padding.PSS, type]:
    """RSASSA-PSS-params (RFC 4055): hash SHA-1, MGF1 with SHA-1, salt 20, trailer 1 unless given."""
    hash_cls, mgf_cls, salt = hashes.SHA1, hashes.SHA1, 20
    if params is None or params[0] != 0x30:
        raise ValueError("RSASSA-PSS without parameters")
    for tag, s, e, _ in _children(der, params[1], params[2]):
        inner = _tlv(der, s, e)
        if tag == 0xA0:
            hash_alg = _children(der, inner[1], inner[2])
            hash_cls = _HASH_OIDS[der[hash_alg[0][1] : hash_alg[0][2]]]
        elif tag == 0xA1:
            alg = _children(der, inner[1], inner[2])
            if der[alg[0][1] : alg[0][2]] != _MGF1:
                raise ValueError("PSS mask generation is not MGF1")
            mgf_alg = _children(der, alg[1][1], alg[1][2])
            mgf_cls = _HASH_OIDS[der[mgf_alg[0][1] : mgf_alg[0][2]]]
        elif tag == 0xA2:
            salt = int.from_bytes(der[inner[1] : inner[2]], "big", signed=True)
        elif tag == 0xA3 and int.from_bytes(der[inner[1] : inner[2]], "big") != 1:
            raise ValueError("PSS trailer field is not 1")
    if salt < 0:
        raise ValueError("negative PSS salt length")
    return padding.PSS(mgf=padding.MGF1(mgf_cls()), salt_length=salt), hash_cls


_KEYS: dict[bytes, object] = {}


def _load_key(spki: bytes):
    key = _KEYS.get(spki)
    if key is None:
        try:
            key = serialization.load_der_public_key(spki)
        except (ValueError, UnsupportedAlgorithm, TypeError):
            key = False
        if len(_KEYS) > 100_000:
            _KEYS.clear()
        _KEYS[spki] = key
    return key


def verify_signature(der: bytes, spki: bytes) -> bool:
    """Does the key ``spki`` verify the signature on certificate ``der``, as OpenSSL's ``X509_verify`` decides?

    The signature is checked over the TBSCertificate bytes exactly as they are in ``der`` (non-strict DER included),
    the signature algorithm inside the TBSCertificate must equal the outer one (OID and parameters), the BIT STRING
    must have no unused bits, and the key type must fit the algorithm: RSA PKCS#1 v1.5 with MD5, SHA-1, SHA-2 and
    SHA-3, RSASSA-PSS, ECDSA with SHA-1 and SHA-2, DSA, Ed25519 and Ed448, as OpenSSL 3.0 accepts them. Keys
    ``cryptography`` cannot load never verify."""
    try:
        der = der[: _tlv(der, 0, len(der))[2]]  # like d2i_X509, ignore what follows the certificate
        tbs, outer, sig = _signed_parts(der)
        fields = _children(der, tbs[1], tbs[2])
        inner = fields[2] if fields[0][0] == 0xA0 else fields[1]  # after [0] version and serialNumber
        if der[inner[1] : inner[2]] != der[outer[1] : outer[2]]:
            return False  # X509_ALGOR_cmp
        if sig[2] <= sig[1] or der[sig[1]] != 0:
            return False  # no bits, or unused bits in the signature BIT STRING
        alg = _children(der, outer[1], outer[2])
        kind, hash_cls = _SIGNATURE_ALGORITHMS.get(der[alg[0][1] : alg[0][2]], (None, None))
        key = _load_key(spki)
        tbs_bytes, signature = der[tbs[3] : tbs[2]], der[sig[1] + 1 : sig[2]]
        if kind == "rsa" and isinstance(key, rsa.RSAPublicKey):
            if hash_cls == "pss":
                pad, hash_cls = _pss_padding(der, alg[1] if len(alg) > 1 else None)
            else:
                pad = padding.PKCS1v15()
            key.verify(signature, tbs_bytes, pad, hash_cls())
        elif kind == "ec" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, tbs_bytes, ec.ECDSA(hash_cls()))
        elif kind == "dsa" and isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, tbs_bytes, hash_cls())
        elif kind == "ed25519" and isinstance(key, ed25519.Ed25519PublicKey) or (
            kind == "ed448" and isinstance(key, ed448.Ed448PublicKey)
        ):
            key.verify(signature, tbs_bytes)
        else:
            return False
        return True
    except (InvalidSignature, UnsupportedAlgorithm, NotACertificate, ValueError, TypeError, KeyError, IndexError):
        return False


# --------------------------------------------------------------------------------------------------------------------
# crt.sh's import_any_cert, one certificate at a time in issuers-first order


@dataclass
class _Cert:
    der: bytes
    source: str
    sha256: str
    parsed: bool
    is_ca: bool = False
    is_precert: bool = False
    subject: str | None = None
    issuer: str | None = None
    spki: bytes = _NO_KEY
    not_after: dt.datetime | None = None


def _describe(der: bytes, source: str) -> _Cert:
    sha = x509.sha256_hex(der)
    try:
        cert = x509.parse(der)
        c = _Cert(der, source, sha, True)
        c.subject = x509.format_name(cert.der, cert.subject)
        c.issuer = x509.format_name(cert.der, cert.issuer)
        c.is_ca = x509.can_issue_certs(der)
        c.is_precert = x509.has_extension(der, x509.CT_POISON, True)
        c.not_after = x509.not_after(der)
        try:
            c.spki = x509.public_key(der) or _NO_KEY
        except (x509.X509Error, ValueError):
            c.spki = _NO_KEY
        return c
    except (x509.X509Error, ValueError, IndexError):
        return _Cert(der, source, sha, False)


class _Issuers:
    """The ``ca`` rows by name as find_issuer sees them, (id, public key): the rows already in the database, and the
    new ones as the import creates them. New rows get ids above every existing one in (name, public key) order, so
    that ids do not depend on the order of the input (find_issuer's "newest first" uses them; it only decides
    between rows of one name whose keys both verify a signature, which distinct keys never do)."""

    def __init__(self, rows: list[tuple[int, str, bytes]], new: Iterable[tuple[str, bytes]]):
        self.by_name: dict[str, list[tuple[int, bytes]]] = {}
        self.ids: dict[tuple[str, bytes], int] = {}
        for ca_id, name, key in rows:
            self._add(ca_id, name, key)
        first = max([0] + [r[0] for r in rows]) + 1
        self.planned = {k: first + i for i, k in enumerate(sorted(set(new) - set(self.ids)))}
        self.created: list[tuple[int, str, bytes]] = []
        self._verified: dict[tuple[int, bytes], bool] = {}

    def _add(self, ca_id: int, name: str, key: bytes) -> None:
        rows = self.by_name.setdefault(name, [])
        rows.append((ca_id, key))
        rows.sort(key=lambda r: (-len(r[1]), -r[0]))  # ORDER BY octet_length(public_key) DESC, id DESC
        self.ids[(name, key)] = ca_id

    def create(self, name: str, key: bytes) -> tuple[int, bool]:
        """The row of (name, key), created if new; (id, created?)."""
        if (name, key) in self.ids:
            return self.ids[(name, key)], False
        ca_id = self.planned[(name, key)]
        self._add(ca_id, name, key)
        self.created.append((ca_id, name, key))
        return ca_id, True

    def verifies(self, c: _Cert, index: int, key: bytes) -> bool:
        hit = self._verified.get((index, key))
        if hit is None:
            hit = self._verified[(index, key)] = verify_signature(c.der, key)
        return hit

    def find_issuer(self, c: _Cert, index: int) -> int:
        for ca_id, key in self.by_name.get(c.issuer, ()):
            if key != _NO_KEY and self.verifies(c, index, key):
                return ca_id
        return -1

    def would_link(self, c: _Cert, index: int) -> bool:
        """Would importing ``c`` now find an issuer (its own new ca row counts, as import_any_cert creates it
        first)?"""
        if not c.parsed:
            return False
        if c.is_ca and c.issuer == c.subject and c.spki != _NO_KEY and self.verifies(c, index, c.spki):
            return True
        return self.find_issuer(c, index) != -1


def _import_order(certs: list[_Cert], issuers: _Issuers) -> list[tuple[_Cert, int, int | None]]:
    """(certificate, issuer ca id, own ca id) in the order crt.sh imports them: repeatedly the first certificate
    (in input order) that would find an issuer, or, when none would, the first one left."""
    waiting: dict[str | None, set[int]] = {}
    ready: list[int] = []
    for i, c in enumerate(certs):
        if issuers.would_link(c, i):
            ready.append(i)
        else:
            waiting.setdefault(c.issuer, set()).add(i)
    heapq.heapify(ready)
    done = [False] * len(certs)
    first_left = 0
    out = []
    while len(out) < len(certs):
        if ready:
            i = heapq.heappop(ready)
        else:
            while done[first_left]:
                first_left += 1
            i = first_left
            waiting[certs[i].issuer].discard(i)
        done[i] = True
        c = certs[i]
        own = None
        created = False
        if c.parsed and c.is_ca:
            own, created = issuers.create(c.subject, c.spki)
        out.append((c, issuers.find_issuer(c, i) if c.parsed else -1, own))
        if created:
            now_ready = [j for j in waiting.get(c.subject, ()) if issuers.would_link(certs[j], j)]
            for j in now_ready:
                waiting[c.subject].discard(j)
                heapq.heappush(ready, j)
    return out


def load_paths(
    dsn: str,
    paths: Iterable[str | Path],
    *,
    revocations_csv: str | Path | None = None,
    ct_logs_csv: str | Path | None = None,
    ct_entries_csv: str | Path | None = None,
    max_certificate_bytes: int = MAX_CERTIFICATE_BYTES,
) -> LoadReport:
    report = LoadReport()
    certs: list[_Cert] = []
    seen: set[str] = set()
    for p in map(Path, paths):
        found_before = report.certificates_seen
        for path in iter_files([p], report.warnings):
            report.files_read += 1
            if path.exists() and not path.is_file():  # a device or a pipe could stream forever
                report.bad_files.append((str(path), "not a regular file"))
                continue
            try:
                for where, item in read_certificates(path, max_certificate_bytes):
                    if isinstance(item, str):
                        report.bad_files.append((where, item))
                        continue
                    report.certificates_seen += 1
                    c = _describe(item, where)
                    if c.sha256 in seen:
                        report.already_present += 1
                        continue
                    seen.add(c.sha256)
                    certs.append(c)
            except OSError as exc:
                report.bad_files.append((str(path), exc.strerror or str(exc)))
        if p.is_dir() and report.certificates_seen == found_before and not any(w.startswith(f"{p}:") for w in
                                                                                report.warnings):
            report.warnings.append(f"{p}: no certificate in this folder")

    conn = psycopg2.connect(dsn)
    try:
        with conn:  # one transaction: a failed load leaves nothing half-written
            with conn.cursor() as cur:
                _load(cur, certs, report)
                if ct_logs_csv:
                    _load_ct_logs(cur, Path(ct_logs_csv), report)
                if revocations_csv:
                    _load_revocations(cur, Path(revocations_csv), report)
                if ct_entries_csv:
                    _load_ct_entries(cur, Path(ct_entries_csv), report)
        # Fresh statistics: without them the planner guesses, and its guesses on a just-loaded table cost more
        # than the queries (JIT compilation of a 2 ms hierarchy walk, for one).
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("ANALYZE ca, certificate, ca_certificate, crl_revoked, ct_log, ct_log_entry")
    finally:
        conn.close()
    return report


def _load(cur, certs: list[_Cert], report: LoadReport) -> None:
    cur.execute(
        "SELECT encode(digest(c.certificate, 'sha256'), 'hex') FROM certificate c "
        "WHERE digest(c.certificate, 'sha256') = ANY(%s)",
        ([bytes.fromhex(c.sha256) for c in certs],),
    )
    present = {row[0].upper() for row in cur.fetchall()}
    report.already_present += sum(1 for c in certs if c.sha256 in present)
    new = [c for c in certs if c.sha256 not in present]

    names = sorted({c.issuer for c in new if c.parsed} | {c.subject for c in new if c.parsed and c.is_ca})
    cur.execute("SELECT id, name, public_key FROM ca WHERE name = ANY(%s) AND id > 0", (names,))
    issuers = _Issuers([(ca_id, name, bytes(key)) for ca_id, name, key in cur.fetchall()],
                       [(c.subject, c.spki) for c in new if c.parsed and c.is_ca])
    order = _import_order(new, issuers)

    # new ca rows in planned-id order: the serial keeps the order find_issuer assumed
    real = {}
    issuers.created.sort()
    if issuers.created:
        ids = psycopg2.extras.execute_values(
            cur, "INSERT INTO ca (name, public_key, num_issued, num_expired) VALUES %s RETURNING id",
            [(name, key, [0, 0], [0, 0]) for _, name, key in issuers.created], page_size=len(issuers.created),
            fetch=True,
        )
        real = {planned: got[0] for (planned, _, _), got in zip(issuers.created, ids)}
        report.ca_rows_created += len(ids)

    rows = []
    counts: dict[int, list[int]] = {}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for c, issuer_id, _ in order:
        issuer_id = real.get(issuer_id, issuer_id)
        if not c.parsed:
            report.unparsable.append((c.source, c.sha256))
        if issuer_id == -1:
            report.issuer_not_found += 1
        rows.append((issuer_id, c.der))
        if c.parsed:
            k = counts.setdefault(issuer_id, [0, 0, 0, 0])
            k[1 if c.is_precert else 0] += 1
            if c.not_after is not None and c.not_after < now:
                k[3 if c.is_precert else 2] += 1

    ids = psycopg2.extras.execute_values(
        cur, "INSERT INTO certificate (issuer_ca_id, certificate) VALUES %s RETURNING id", rows, page_size=500,
        fetch=True,
    )
    report.inserted += len(ids)
    links = [(cid[0], real.get(own, own)) for cid, (_, _, own) in zip(ids, order) if own is not None]
    if links:
        psycopg2.extras.execute_values(
            cur, "INSERT INTO ca_certificate (certificate_id, ca_id) VALUES %s ON CONFLICT DO NOTHING", links
        )
    for ca_id, (n_cert, n_pre, e_cert, e_pre) in counts.items():
        cur.execute(
            "UPDATE ca SET num_issued = ARRAY[coalesce(num_issued[1], 0) + %s, coalesce(num_issued[2], 0) + %s], "
            "num_expired = ARRAY[coalesce(num_expired[1], 0) + %s, coalesce(num_expired[2], 0) + %s] WHERE id = %s",
            (n_cert, n_pre, e_cert, e_pre, ca_id),
        )


def _read_csv(path: Path, required: set[str], report: LoadReport):
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = required - set(reader.fieldnames or [])
            if missing:
                report.bad_files.append((str(path), f"missing columns: {', '.join(sorted(missing))}"))
                return
            yield from enumerate(reader, start=2)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        report.bad_files.append((str(path), str(exc)))


def _parse_ts(text: str) -> dt.datetime:
    """An ISO 8601 timestamp; with an offset it is converted to UTC, without one it is taken as UTC."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _certificate_ids(cur, sha256s: list[str]) -> dict[str, tuple[int, int, bytes]]:
    cur.execute(
        "SELECT encode(digest(c.certificate, 'sha256'), 'hex'), c.id, c.issuer_ca_id, x509_serialNumber(c.certificate) "
        "FROM certificate c WHERE digest(c.certificate, 'sha256') = ANY(%s)",
        ([bytes.fromhex(s) for s in sha256s],),
    )
    return {h.upper(): (cid, ca, bytes(serial) if serial is not None else None)
            for h, cid, ca, serial in cur.fetchall()}


def _valid_sha(text: str) -> str | None:
    text = (text or "").strip().upper()
    return text if re.fullmatch(r"[0-9A-F]{64}", text) else None


def _load_revocations(cur, path: Path, report: LoadReport) -> None:
    rows = list(_read_csv(path, {"certificate_sha256", "revocation_date", "reason_code"}, report))
    known = _certificate_ids(cur, [s for _, r in rows if (s := _valid_sha(r["certificate_sha256"]))])
    values = []
    for lineno, r in rows:
        sha = _valid_sha(r["certificate_sha256"])
        try:
            when = _parse_ts(r["revocation_date"])
            reason = int(r["reason_code"]) if r["reason_code"].strip() else None
        except ValueError as exc:
            report.bad_rows.append((str(path), lineno, str(exc)))
            continue
        if sha is None or sha not in known:
            report.bad_rows.append((str(path), lineno, "unknown or malformed certificate_sha256"))
            continue
        _, ca_id, serial = known[sha]
        if ca_id == -1 or serial is None:
            report.bad_rows.append((str(path), lineno, "certificate has no known issuer CA"))
            continue
        values.append((ca_id, serial, reason, when, when))
    if values:
        inserted = psycopg2.extras.execute_values(
            cur,
            "INSERT INTO crl_revoked (ca_id, serial_number, reason_code, revocation_date, last_seen_check_date) "
            "VALUES %s ON CONFLICT DO NOTHING RETURNING 1",
            values,
            fetch=True,
        )
        report.revocations_inserted += len(inserted)


def _load_ct_logs(cur, path: Path, report: LoadReport) -> None:
    for lineno, r in _read_csv(path, {"id", "operator", "url", "name"}, report):
        try:
            cur.execute(
                "INSERT INTO ct_log (id, operator, url, name, is_active) VALUES (%s, %s, %s, %s, TRUE) "
                "ON CONFLICT DO NOTHING",
                (int(r["id"]), r["operator"], r["url"], r["name"]),
            )
        except ValueError as exc:
            report.bad_rows.append((str(path), lineno, str(exc)))


def _load_ct_entries(cur, path: Path, report: LoadReport) -> None:
    rows = list(_read_csv(path, {"certificate_sha256", "ct_log_id", "entry_id", "entry_timestamp"}, report))
    known = _certificate_ids(cur, [s for _, r in rows if (s := _valid_sha(r["certificate_sha256"]))])
    values = []
    for lineno, r in rows:
        sha = _valid_sha(r["certificate_sha256"])
        if sha is None or sha not in known:
            report.bad_rows.append((str(path), lineno, "unknown or malformed certificate_sha256"))
            continue
        try:
            values.append((known[sha][0], int(r["entry_id"]), _parse_ts(r["entry_timestamp"]), int(r["ct_log_id"])))
        except ValueError as exc:
            report.bad_rows.append((str(path), lineno, str(exc)))
    if values:
        inserted = psycopg2.extras.execute_values(
            cur,
            "INSERT INTO ct_log_entry (certificate_id, entry_id, entry_timestamp, ct_log_id) VALUES %s "
            "ON CONFLICT DO NOTHING RETURNING 1",
            values,
            page_size=1000,
            fetch=True,
        )
        report.ct_entries_inserted += len(inserted)
