"""Mozilla NSS ``certdata.txt`` parser: the built-in roots, their trust bits and distrust-after dates.

``certdata.txt`` (``lib/ckfw/builtins/certdata.txt`` in NSS) is the source of Mozilla's root store. After the
``BEGINDATA`` line it is a flat list of PKCS #11 objects, one attribute per line::

    CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE        <- every object starts with CKA_CLASS
    CKA_LABEL UTF8 "GlobalSign Root CA"
    CKA_VALUE MULTILINE_OCTAL                         <- octal-escaped bytes up to END
    \\060\\202\\003\\165 ...
    END
    CKA_NSS_SERVER_DISTRUST_AFTER CK_BBOOL CK_FALSE   <- or MULTILINE_OCTAL holding an ASCII UTCTime

Two object classes matter here:

* ``CKO_CERTIFICATE`` carries the DER (``CKA_VALUE``), issuer, serial and, since NSS 3.48 (Bug 1465613, October
  2019), ``CKA_NSS_SERVER_DISTRUST_AFTER`` / ``CKA_NSS_EMAIL_DISTRUST_AFTER``.
* ``CKO_NSS_TRUST`` carries the trust bits (``CKA_TRUST_SERVER_AUTH``, ``CKA_TRUST_EMAIL_PROTECTION``,
  ``CKA_TRUST_CODE_SIGNING``), ``CKA_CERT_SHA1_HASH`` / ``CKA_CERT_MD5_HASH`` and the issuer + serial of the
  certificate it applies to. A trust object without a certificate object is an explicit distrust entry
  (DigiNotar, the 2011 "Bogus" certificates, ...). Recent versions (2026) may also put a
  ``CKA_NSS_SERVER_DISTRUST_AFTER`` on the *trust* object (Izenpe.com, 2026-04-15); both places are read.

Parsing rules (those of NSS's own ``certdata.perl`` / ``certdata.py`` converters):

* a ``#`` line is a comment **wherever it appears, including inside an object** -- since 2019 NSS writes
  ``# For Server Distrust After: ...`` between two attributes of the same object. A parser that ended the
  object at a comment line silently dropped the rest of it (the trust bits), and with it a root;
* blank lines are ignored; an object ends only where the next ``CKA_CLASS`` begins (or at end of file);
* the pre-2011 spellings ``CKO_NETSCAPE_TRUST`` / ``CKT_NETSCAPE_*`` read as the ``CKO_NSS_*`` / ``CKT_NSS_*`` names
  NSS's own rename commit gave them (:data:`LEGACY_SPELLINGS`), so trust bits are known from 2000 on;
* a certificate's trust object is found by ``CKA_CERT_SHA1_HASH`` first, by issuer + serial otherwise (see
  :func:`parse_certdata`).

Trust semantics (NSS ``lib/certdb``, Mozilla Root Store Policy):

* ``CKT_NSS_TRUSTED_DELEGATOR`` -- trusted as a root (trust anchor) for that purpose;
* ``CKT_NSS_MUST_VERIFY_TRUST`` -- no trust as an anchor (but may appear in a chain);
* ``CKT_NSS_NOT_TRUSTED`` -- explicitly distrusted (even as an intermediate);
* distrust-after: for a built-in root, a chain is trusted for that purpose only if the leaf's
  ``notBefore <= DISTRUST_AFTER`` (NSS ``CERT_VerifyCert`` -> ``isIssuerCertAllowedAtCertIssuanceTime``).

All timestamps are naive pandas ``Timestamp`` holding UTC (docs/design.md). SHA-256/SHA-1 are upper-case hex.

Somewhat over 500 lines: one job (one file format and the bundled snapshots of it), a sixth of it this description
of the format's rules; the history across versions is :mod:`analysis.nss_history`.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.config import DATA_DIR

NSS_DATA_DIR = DATA_DIR / "nss"
SNAPSHOT_DIR = NSS_DATA_DIR / "snapshots"

# The four real certdata.txt snapshots shipped in data/nss/snapshots (provenance in data/nss/README.md).
# key = date of the NSS commit whose state the file holds.
SNAPSHOTS: dict[str, str] = {
    "2019-06-03": "certdata_2019-06-03_nss-a0c8f974b58f.txt.gz",  # last version with Certinomis - Root CA
    "2019-06-04": "certdata_2019-06-04_nss-311ccf25bcf9.txt.gz",  # Bug 1552374: Certinomis removed
    "2020-05-27": "certdata_2020-05-27_nss-9a29c1a5384d.txt.gz",  # Bug 1618404: Symantec distrust-after
    "2026-04-09": "certdata_2026-04-09_nss-b646e2b0089f.txt.gz",  # latest certdata.txt change in the mirror
}
SNAPSHOT_COMMITS: dict[str, str] = {
    "2019-06-03": "a0c8f974b58f",
    "2019-06-04": "311ccf25bcf9",
    "2020-05-27": "9a29c1a5384d",
    "2026-04-09": "b646e2b0089f",
}

TRUSTED_DELEGATOR = "CKT_NSS_TRUSTED_DELEGATOR"
MUST_VERIFY_TRUST = "CKT_NSS_MUST_VERIFY_TRUST"
NOT_TRUSTED = "CKT_NSS_NOT_TRUSTED"
TRUST_UNKNOWN = "CKT_NSS_TRUST_UNKNOWN"

# Until NSS commit 10d545fc8481 (2011-04-13, Bug 642503 "Generic blacklisting mechanism for bogus certs, Patch 1:
# rename") certdata.txt spelled classes and trust values CKO_NETSCAPE_* / CKT_NETSCAPE_*. That commit rewrote every
# value as below; reading the old names the same way makes the rename commit itself a no-op in the history. (VALID and
# UNTRUSTED both became NOT_TRUSTED there: they marked explicitly distrusted certificates.)
LEGACY_SPELLINGS = {
    "CKO_NETSCAPE_TRUST": "CKO_NSS_TRUST",
    "CKO_NETSCAPE_BUILTIN_ROOT_LIST": "CKO_NSS_BUILTIN_ROOT_LIST",
    "CKT_NETSCAPE_TRUSTED_DELEGATOR": TRUSTED_DELEGATOR,
    "CKT_NETSCAPE_TRUSTED": "CKT_NSS_TRUSTED",
    "CKT_NETSCAPE_TRUST_UNKNOWN": TRUST_UNKNOWN,
    "CKT_NETSCAPE_MUST_VERIFY": TRUST_UNKNOWN,
    "CKT_NETSCAPE_VALID": NOT_TRUSTED,
    "CKT_NETSCAPE_UNTRUSTED": NOT_TRUSTED,
    "CKT_NETSCAPE_VALID_DELEGATOR": "CKT_NSS_VALID_DELEGATOR",
}

# certdata.txt attribute -> column name for the three trust purposes the analysis cares about.
TRUST_ATTRIBUTES = {
    "CKA_TRUST_SERVER_AUTH": "server_trust",
    "CKA_TRUST_EMAIL_PROTECTION": "email_trust",
    "CKA_TRUST_CODE_SIGNING": "codesign_trust",
}
DISTRUST_AFTER_ATTRIBUTES = {
    "CKA_NSS_SERVER_DISTRUST_AFTER": "server_distrust_after",
    "CKA_NSS_EMAIL_DISTRUST_AFTER": "email_distrust_after",
}

CERTIFICATE_COLUMNS = [
    "sha256", "sha1", "label", "subject", "subject_cn", "subject_o", "subject_c", "issuer", "serial_number",
    "subject_name", "spki_sha256", "not_before", "not_after", "server_trust", "email_trust", "codesign_trust",
    "server_distrust_after", "email_distrust_after", "server_distrust_after_source",
    "email_distrust_after_source", "mozilla_ca_policy", "has_trust_object", "trust_sha1_matches",
    "is_server_trusted", "is_email_trusted",
]
TRUST_ONLY_COLUMNS = [
    "label", "sha1", "md5", "issuer", "serial_number", "server_trust", "email_trust", "codesign_trust",
    "server_distrust_after", "email_distrust_after",
]


class CertdataError(ValueError):
    """certdata.txt is malformed (unterminated MULTILINE_OCTAL, attribute outside an object, ...)."""


@dataclass
class NssObject:
    """One PKCS #11 object of certdata.txt: ``attributes[name] = (type, value)``.

    ``value`` is ``bytes`` for MULTILINE_OCTAL and OCTAL, ``str`` for UTF8 (unquoted, escapes decoded), otherwise the
    raw token (``CK_TRUE``, ``CKO_CERTIFICATE``, ``CKT_NSS_TRUSTED_DELEGATOR`` ...), pre-2011 ``CKO_NETSCAPE_*`` /
    ``CKT_NETSCAPE_*`` tokens read as their ``CKO_NSS_*`` / ``CKT_NSS_*`` names (:data:`LEGACY_SPELLINGS`).
    ``line`` is the 1-based line of CKA_CLASS.
    """

    line: int
    attributes: dict[str, tuple[str, object]] = field(default_factory=dict)

    @property
    def object_class(self) -> str | None:
        entry = self.attributes.get("CKA_CLASS")
        return entry[1] if entry else None

    def get(self, name: str, default=None):
        entry = self.attributes.get(name)
        return entry[1] if entry else default


@dataclass
class CertData:
    """A parsed certdata.txt.

    ``certificates``: one row per CKO_CERTIFICATE object (columns ``CERTIFICATE_COLUMNS``), keyed by ``sha256``.
    ``trust_only``: CKO_NSS_TRUST objects that match no certificate object (explicit distrust entries).
    ``objects``: every object, as parsed.
    ``placeholders``: labels of CKO_CERTIFICATE objects whose ``CKA_VALUE`` is not a DER certificate (the 2000
    versions' "Test certificate #3" stub holds one byte): not in ``certificates``; their trust objects are not in
    ``trust_only`` either.
    """

    certificates: pd.DataFrame
    trust_only: pd.DataFrame
    objects: list[NssObject]
    source: str = ""
    placeholders: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Counts as the data READMEs report them: certificate objects, and server-auth TRUSTED_DELEGATOR roots."""
        c = self.certificates
        return {
            "certificates": len(c),
            "server_trusted": int(c["is_server_trusted"].sum()),
            "email_trusted": int(c["is_email_trusted"].sum()),
            "server_distrust_after": int(c["server_distrust_after"].notna().sum()),
            "email_distrust_after": int(c["email_distrust_after"].notna().sum()),
            "trust_only": len(self.trust_only),
        }

    def root(self, sha256: str) -> pd.Series | None:
        """The row for one root (upper- or lower-case hex SHA-256), or None when it is not in this version."""
        rows = self.certificates[self.certificates["sha256"] == sha256.upper()]
        return None if rows.empty else rows.iloc[0]

    def __contains__(self, sha256: str) -> bool:
        return self.root(sha256) is not None


# ----------------------------------------------------------------------------------------------------------------
# Low-level decoding
# ----------------------------------------------------------------------------------------------------------------

def decode_octal(text: str) -> bytes:
    r"""Decode certdata's octal escapes (``\060\202``) and C hex escapes (``\xC4``) into bytes; other characters are
    taken literally (UTF-8)."""
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        digits = text[i + 1:i + 4]
        if ch == "\\" and len(digits) == 3 and all(d in "01234567" for d in digits):
            out.append(int(digits, 8))
            i += 4
        elif ch == "\\" and text[i + 1:i + 2] == "x" and len(text[i + 2:i + 4]) == 2 \
                and all(d in "0123456789abcdefABCDEF" for d in text[i + 2:i + 4]):
            # C hex escape: labels like "EBG ... Sa\xC4\x9Flay\xc4\xb1..." (2007-2022) become C string literals
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        elif ch == "\\" and i + 1 < len(text):
            # \" or \\ inside a UTF8 string
            out.extend(text[i + 1].encode("utf-8"))
            i += 2
        else:
            out.extend(ch.encode("utf-8"))
            i += 1
    return bytes(out)


def parse_utctime(value: bytes | str) -> pd.Timestamp:
    """Parse the ASCII UTCTime NSS stores in CKA_NSS_*_DISTRUST_AFTER, e.g. ``b"241130235959Z"``.

    RFC 5280 4.1.2.5.1: YY >= 50 is 19YY, YY < 50 is 20YY. Returns a naive Timestamp holding UTC.
    """
    text = value.decode("ascii") if isinstance(value, (bytes, bytearray)) else value
    text = text.strip()
    if len(text) != 13 or not text.endswith("Z") or not text[:12].isdigit():
        raise CertdataError(f"not a UTCTime YYMMDDHHMMSSZ: {text!r}")
    yy = int(text[:2])
    year = 1900 + yy if yy >= 50 else 2000 + yy
    return pd.Timestamp(year=year, month=int(text[2:4]), day=int(text[4:6]),
                        hour=int(text[6:8]), minute=int(text[8:10]), second=int(text[10:12]))


def _read_text(source: str | Path | bytes) -> tuple[str, str]:
    """(text, description) from a path (``.gz`` decompressed), raw bytes, or the text itself."""
    if isinstance(source, bytes):
        return _decode(source, "<bytes>"), "<bytes>"
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and len(source) < 4096):
        path = Path(source)
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        return _decode(raw, str(path)), str(path)
    return source, "<text>"


def _decode(raw: bytes, description: str) -> str:
    """UTF-8. One 2009 version has a non-UTF-8 byte in a comment: such bytes become U+FFFD (labels and values are
    valid UTF-8 or octal escapes, so no value changes), with a warning."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        warnings.warn(f"{description}: not UTF-8 at byte {exc.start}; invalid bytes replaced", stacklevel=2)
        return raw.decode("utf-8", errors="replace")


def parse_objects(text: str) -> list[NssObject]:
    """Split certdata.txt text into objects (see the module docstring for the rules).

    Comment lines (``#``) and blank lines are skipped everywhere -- also between the attributes of one object and
    inside a MULTILINE_OCTAL block -- and an object ends only where the next ``CKA_CLASS`` starts.
    """
    objects: list[NssObject] = []
    current: NssObject | None = None
    lines = text.splitlines()
    started = "BEGINDATA" not in text  # a bare snippet without the header is accepted
    i = 0
    while i < len(lines):
        raw = lines[i]
        i += 1
        line = raw.strip()
        if not started:
            started = line == "BEGINDATA"
            continue
        if not line or line.startswith("#"):
            continue  # NOT an object boundary: NSS writes comments inside objects
        parts = line.split(None, 2)
        name = parts[0]
        if not name.startswith("CKA_"):
            raise CertdataError(f"line {i}: expected an attribute, got {raw!r}")
        if len(parts) < 2:
            raise CertdataError(f"line {i}: attribute {name} without a type")
        attr_type = parts[1]
        if name == "CKA_CLASS":
            current = NssObject(line=i)
            objects.append(current)
        elif current is None:
            raise CertdataError(f"line {i}: {name} before the first CKA_CLASS")
        if attr_type == "MULTILINE_OCTAL":
            chunks = []
            while True:
                if i >= len(lines):
                    raise CertdataError(f"{name} at line {current.line}: MULTILINE_OCTAL without END")
                body = lines[i].strip()
                i += 1
                if body == "END":
                    break
                if not body or body.startswith("#"):
                    continue
                chunks.append(body)
            value: object = decode_octal("".join(chunks))
        elif attr_type == "OCTAL":  # one-line octal bytes, used for serial numbers in 2000
            value = decode_octal(parts[2].strip() if len(parts) > 2 else "")
        elif attr_type == "UTF8":
            rest = parts[2] if len(parts) > 2 else '""'
            if not (rest.startswith('"') and rest.endswith('"')):
                raise CertdataError(f"line {i}: UTF8 value not quoted: {raw!r}")
            value = decode_octal(rest[1:-1]).decode("utf-8")
        else:
            value = parts[2].strip() if len(parts) > 2 else None
            value = LEGACY_SPELLINGS.get(value, value)  # CKO_NETSCAPE_TRUST -> CKO_NSS_TRUST, ...
        current.attributes[name] = (attr_type, value)
    return objects


def _distrust_after(obj: NssObject, name: str) -> pd.Timestamp | None:
    """CKA_NSS_*_DISTRUST_AFTER: ``CK_BBOOL CK_FALSE`` (no date) or MULTILINE_OCTAL UTCTime."""
    entry = obj.attributes.get(name)
    if entry is None:
        return None
    attr_type, value = entry
    if attr_type == "CK_BBOOL":
        if value != "CK_FALSE":
            raise CertdataError(f"{name} at line {obj.line}: unexpected CK_BBOOL {value}")
        return None
    if attr_type == "MULTILINE_OCTAL":
        return parse_utctime(value)  # type: ignore[arg-type]
    raise CertdataError(f"{name} at line {obj.line}: unexpected type {attr_type}")


def _first_attr(name, oid) -> str | None:
    attrs = name.get_attributes_for_oid(oid)
    return str(attrs[0].value) if attrs else None


@functools.lru_cache(maxsize=4096)
def _der_fields(der: bytes) -> dict:
    """What parse_certdata reads from the DER (cached: a root appears in many versions of the file)."""
    return {**_certificate_fields(der), **ca_identity(der)}


def _certificate_fields(der: bytes) -> dict:
    """Subject/issuer/validity from the DER with ``cryptography`` (>= 41: *_utc accessors when present)."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    with warnings.catch_warnings():
        # cryptography warns about what some old roots do against RFC 5280 (non-positive serial numbers, a 65-character
        # countryName in two 2009-2011 roots) and reads them anyway; NSS does not care either.
        warnings.simplefilter("ignore")
        cert = x509.load_der_x509_certificate(der)
        nb = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before
        na = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after
        return {
            "subject": cert.subject.rfc4514_string(),
            "subject_cn": _first_attr(cert.subject, NameOID.COMMON_NAME),
            "subject_o": _first_attr(cert.subject, NameOID.ORGANIZATION_NAME),
            "subject_c": _first_attr(cert.subject, NameOID.COUNTRY_NAME),
            "issuer": cert.issuer.rfc4514_string(),
            "not_before": pd.Timestamp(nb).tz_localize(None) if pd.Timestamp(nb).tzinfo else pd.Timestamp(nb),
            "not_after": pd.Timestamp(na).tz_localize(None) if pd.Timestamp(na).tzinfo else pd.Timestamp(na),
        }


def _serial_hex(serial: bytes | None) -> str | None:
    """CKA_SERIAL_NUMBER holds the DER INTEGER (tag 02, length, contents) -- before 2001 only the contents; return
    the contents as lower-case hex, leading 00 kept (the crt.sh ``x509_serialNumber`` convention of
    docs/design.md)."""
    if not serial:
        return None
    if len(serial) >= 2 and serial[0] == 0x02:
        length, offset = serial[1], 2
        if length & 0x80:  # long form
            n = length & 0x7F
            length, offset = int.from_bytes(serial[2:2 + n], "big"), 2 + n
        if offset + length == len(serial):
            return serial[offset:].hex()
    return serial.hex()


def _combine(cert_value, trust_value, what: str, label: str):
    """A distrust-after may sit on the certificate object, the trust object, or both. Take the earlier date when
    both are set and differ (the stricter rule), and say where it came from."""
    if cert_value is None and trust_value is None:
        return None, None
    if trust_value is None:
        return cert_value, "certificate"
    if cert_value is None:
        return trust_value, "trust"
    if cert_value != trust_value:
        warnings.warn(f"{label}: {what} differs between certificate ({cert_value}) and trust ({trust_value}) objects",
                      stacklevel=2)
    return min(cert_value, trust_value), "both"


def parse_certdata(source: str | Path | bytes) -> CertData:
    """Parse certdata.txt (a path, ``.gz`` path, bytes, or the text) into a :class:`CertData`.

    Certificates are keyed by SHA-256 of ``CKA_VALUE``. Each is joined to its trust object by the trust object's
    ``CKA_CERT_SHA1_HASH`` (SHA-1 of the DER: the one key every version has -- the 2000-2001 trust objects carry no
    issuer or serial, and until 2011 several trust objects could share an empty issuer or a serial), else by (issuer
    DER, serial DER), the key NSS's ``nssTrust`` lookups use; ``trust_sha1_matches`` is false when only issuer and
    serial matched (a mismatch warns).
    """
    text, description = _read_text(source)
    objects = parse_objects(text)
    certs = [o for o in objects if o.object_class == "CKO_CERTIFICATE"]
    trusts = [o for o in objects if o.object_class == "CKO_NSS_TRUST"]

    trust_by_sha1: dict[bytes, list[NssObject]] = {}
    trust_by_key: dict[tuple[bytes, bytes], list[NssObject]] = {}
    for t in trusts:
        sha1 = t.get("CKA_CERT_SHA1_HASH")
        if isinstance(sha1, bytes) and len(sha1) == 20:
            trust_by_sha1.setdefault(sha1, []).append(t)
        key = (t.get("CKA_ISSUER", b""), t.get("CKA_SERIAL_NUMBER", b""))
        if all(key):
            trust_by_key.setdefault(key, []).append(t)

    def trust_for(der: bytes, key: tuple, label) -> NssObject | None:
        """The trust object with this certificate's SHA-1; among several, the one with its issuer and serial; with
        none, the only one with its issuer and serial."""
        by_hash = trust_by_sha1.get(hashlib.sha1(der).digest(), [])
        by_key = trust_by_key.get(key, [])
        if len(by_hash) > 1:
            warnings.warn(f"{description}: {len(by_hash)} trust objects with the SHA-1 of {label!r}", stacklevel=2)
            by_hash = [t for t in by_hash if any(t is k for k in by_key)] or by_hash[-1:]
        if by_hash:
            return by_hash[0]
        return by_key[0] if len(by_key) == 1 else None

    used: set[int] = set()
    rows = []
    placeholders = []
    for c in certs:
        der = c.get("CKA_VALUE")
        if not isinstance(der, bytes):
            raise CertdataError(f"certificate at line {c.line} has no CKA_VALUE")
        label = c.get("CKA_LABEL")
        key = (c.get("CKA_ISSUER", b""), c.get("CKA_SERIAL_NUMBER", b""))
        if not _is_der_sequence(der):
            placeholders.append(str(label))
            used.update(id(t) for t in trust_by_key.get(key, ()))
            continue
        t = trust_for(der, key, label)
        if t is not None:
            used.add(id(t))
        sha1 = hashlib.sha1(der).hexdigest().upper()
        trust_sha1 = t.get("CKA_CERT_SHA1_HASH") if t is not None else None
        sha1_ok = None if t is None else (isinstance(trust_sha1, bytes) and trust_sha1.hex().upper() == sha1)
        if sha1_ok is False:
            warnings.warn(f"{description}: trust object for {label!r} has a CKA_CERT_SHA1_HASH that does not match",
                          stacklevel=2)
        row = {
            "sha256": hashlib.sha256(der).hexdigest().upper(),
            "sha1": sha1,
            "label": label,
            "serial_number": _serial_hex(key[1]),
            "mozilla_ca_policy": c.get("CKA_NSS_MOZILLA_CA_POLICY") == "CK_TRUE",
            "has_trust_object": t is not None,
            "trust_sha1_matches": sha1_ok,
        }
        row.update(_der_fields(der))
        for attr, col in TRUST_ATTRIBUTES.items():
            # No trust object, or no attribute: NSS treats it as "unknown" (no trust as an anchor).
            row[col] = t.get(attr) if t is not None else None
        for attr, col in DISTRUST_AFTER_ATTRIBUTES.items():
            value, where = _combine(_distrust_after(c, attr), _distrust_after(t, attr) if t is not None else None,
                                    attr, str(label))
            row[col] = value
            row[col + "_source"] = where
        row["is_server_trusted"] = row["server_trust"] == TRUSTED_DELEGATOR
        row["is_email_trusted"] = row["email_trust"] == TRUSTED_DELEGATOR
        rows.append(row)

    certificates = pd.DataFrame(rows, columns=CERTIFICATE_COLUMNS)
    for col in ("not_before", "not_after", "server_distrust_after", "email_distrust_after"):
        certificates[col] = pd.to_datetime(certificates[col]).astype("datetime64[ns]")
    dupes = certificates["sha256"].duplicated()
    if dupes.any():
        warnings.warn(f"{description}: duplicate certificate objects {list(certificates.loc[dupes, 'sha256'])}",
                      stacklevel=2)

    trust_rows = []
    for t in trusts:
        if id(t) in used:
            continue
        sha1 = t.get("CKA_CERT_SHA1_HASH")
        md5 = t.get("CKA_CERT_MD5_HASH")
        row = {
            "label": t.get("CKA_LABEL"),
            "sha1": sha1.hex().upper() if isinstance(sha1, bytes) else None,
            "md5": md5.hex().upper() if isinstance(md5, bytes) else None,
            "issuer": _name_rfc4514(t.get("CKA_ISSUER")),
            "serial_number": _serial_hex(t.get("CKA_SERIAL_NUMBER")),
        }
        for attr, col in TRUST_ATTRIBUTES.items():
            row[col] = t.get(attr)
        for attr, col in DISTRUST_AFTER_ATTRIBUTES.items():
            row[col] = _distrust_after(t, attr)
        trust_rows.append(row)
    trust_only = pd.DataFrame(trust_rows, columns=TRUST_ONLY_COLUMNS)
    return CertData(certificates=certificates, trust_only=trust_only, objects=objects, source=description,
                    placeholders=placeholders)


def _is_der_sequence(der: bytes) -> bool:
    """True when ``der`` is one complete DER SEQUENCE (a certificate); the 2000 test stubs hold 0 or 1 byte."""
    if len(der) < 2 or der[0] != 0x30:
        return False
    length, offset = der[1], 2
    if length & 0x80:
        n = length & 0x7F
        length, offset = int.from_bytes(der[2:2 + n], "big"), 2 + n
    return offset + length == len(der)


def ca_identity(der: bytes) -> dict[str, str]:
    """crt.sh's identity of the CA a certificate belongs to: the ``ca`` row is keyed by the subject name as
    ``x509_subjectName`` prints it and the public key (``x509_publicKey``, the DER SubjectPublicKeyInfo). Returns
    ``subject_name`` and ``spki_sha256`` (upper-case hex SHA-256 of that SubjectPublicKeyInfo). A re-issued root
    (same subject and key, new certificate) has the same identity."""
    from analysis import x509

    return {"subject_name": x509.subject_name(der),
            "spki_sha256": hashlib.sha256(x509.public_key(der)).hexdigest().upper()}


def _name_rfc4514(der: bytes | None) -> str | None:
    """Issuer name of an explicit-distrust trust object (which has no certificate DER to parse)."""
    return _name_from_der(der) if isinstance(der, bytes) else None


def _name_from_der(der: bytes) -> str:
    """Minimal RFC 4514-ish rendering of a DER Name (for explicit-distrust trust objects, which carry no DER cert)."""
    oids = {"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU"}

    def read(buf, pos):
        tag = buf[pos]
        length = buf[pos + 1]
        pos += 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(buf[pos:pos + n], "big")
            pos += n
        return tag, buf[pos:pos + length], pos + length

    def oid_str(b):
        first = b[0]
        parts = [str(first // 40), str(first % 40)]
        val = 0
        for byte in b[1:]:
            val = (val << 7) | (byte & 0x7F)
            if not byte & 0x80:
                parts.append(str(val))
                val = 0
        return ".".join(parts)

    try:
        _, seq, _ = read(der, 0)
        rdns = []
        pos = 0
        while pos < len(seq):
            _, rdn, pos = read(seq, pos)
            _, atv, _ = read(rdn, 0)
            _, oid, p = read(atv, 0)
            _, val, _ = read(atv, p)
            key = oids.get(oid_str(oid), oid_str(oid))
            rdns.append(f"{key}={val.decode('utf-8', 'replace')}")
        return ",".join(reversed(rdns))
    except Exception:
        return der.hex()


# ----------------------------------------------------------------------------------------------------------------
# The bundled snapshots
# ----------------------------------------------------------------------------------------------------------------

def snapshot_path(date: str) -> Path:
    """Path of a bundled snapshot, by its date key (``"2019-06-03"``, ...; see :data:`SNAPSHOTS`)."""
    try:
        return SNAPSHOT_DIR / SNAPSHOTS[date]
    except KeyError:
        raise KeyError(f"no bundled certdata.txt snapshot for {date!r}; have {sorted(SNAPSHOTS)}") from None


def load_snapshot(date: str) -> CertData:
    """Parse one of the bundled certdata.txt snapshots."""
    return parse_certdata(snapshot_path(date))


def load_all_snapshots(dates: Iterable[str] | None = None) -> dict[str, CertData]:
    return {d: load_snapshot(d) for d in (dates or SNAPSHOTS)}
