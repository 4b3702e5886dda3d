"""Load PEM/DER certificates (and optional revocation and CT-log CSVs) into a crt.sh-compatible database.

It fills the tables the way crt.sh does:
* a ``ca`` row per CA certificate's (subject name, public key) — a cross-certificate with the same name and key shares
  the row — and a ``ca_certificate`` link from each CA certificate to it;
* each certificate's ``issuer_ca_id`` is the ``ca`` row whose name equals the certificate's issuer name *and* whose
  key verifies its signature; ``-1`` ('Issuer Not Found') when there is none;
* ``ca.num_issued`` / ``num_expired`` (``[1]`` certificates, ``[2]`` precertificates) are maintained.

Loading the same files twice adds nothing (certificates are keyed by SHA-256). A file that cannot be read or holds
no certificate is reported by name and the rest still loads; a certificate whose fields cannot be decoded is loaded
with ``issuer_ca_id = -1`` (as crt.sh keeps what CT logs accepted) and listed in the report.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import psycopg2
import psycopg2.extras
from cryptography import x509 as cx509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from analysis import x509

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}
_PEM_RE = re.compile(rb"-----BEGIN (?:TRUSTED )?CERTIFICATE-----(.+?)-----END (?:TRUSTED )?CERTIFICATE-----", re.S)


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
    bad_files: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    unparsable: list[tuple[str, str]] = field(default_factory=list)  # (path, sha256) loaded with issuer -1
    bad_rows: list[tuple[str, int, str]] = field(default_factory=list)  # (csv path, line, reason)

    def summary(self) -> str:
        lines = [
            f"files read: {self.files_read}; certificates seen: {self.certificates_seen}",
            f"inserted: {self.inserted}; already present: {self.already_present}; new ca rows: {self.ca_rows_created}",
            f"issuer not found (-1): {self.issuer_not_found}; unparsable (loaded as -1): {len(self.unparsable)}",
            f"revocations inserted: {self.revocations_inserted}; CT log entries inserted: {self.ct_entries_inserted}",
        ]
        lines += [f"bad file: {p}: {why}" for p, why in self.bad_files]
        lines += [f"unparsable certificate: {p} (sha256 {h})" for p, h in self.unparsable]
        lines += [f"bad row: {p}:{n}: {why}" for p, n, why in self.bad_rows]
        return "\n".join(lines)


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
    spki: bytes | None = None
    not_after: dt.datetime | None = None


def iter_files(paths: Iterable[str | Path]) -> Iterable[Path]:
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in CERT_SUFFIXES)
        else:
            yield p


def read_certificates(path: Path) -> list[bytes]:
    """Every certificate in a PEM (one or more blocks) or DER file; ValueError when there is none."""
    data = path.read_bytes()
    blocks = _PEM_RE.findall(data)
    if blocks:
        try:
            return [base64.b64decode(b"".join(b.split()), validate=True) for b in blocks]
        except ValueError as exc:
            raise ValueError(f"bad base64 in PEM: {exc}") from exc
    if data[:1] == b"\x30":
        return [data]
    raise ValueError("no PEM certificate block and not DER")


def _describe(der: bytes, source: str) -> _Cert:
    sha = x509.sha256_hex(der)
    try:
        cert = x509.parse(der)
        c = _Cert(der, source, sha, True)
        c.subject = x509.format_name(cert.der, cert.subject)
        c.issuer = x509.format_name(cert.der, cert.issuer)
        c.spki = cert.raw(cert.fields[5])
        c.is_ca = x509.can_issue_certs(der)
        c.is_precert = x509.has_extension(der, x509.CT_POISON, True)
        c.not_after = x509.not_after(der)
        return c
    except (x509.X509Error, ValueError, IndexError):
        return _Cert(der, source, sha, False)


def verify_signature(der: bytes, spki: bytes) -> bool:
    """Does the key ``spki`` verify the signature on certificate ``der``? (RSA PKCS#1 v1.5/PSS, ECDSA, EdDSA)"""
    try:
        cert = cx509.load_der_x509_certificate(der)
        key = serialization.load_der_public_key(spki)
        sig, tbs = cert.signature, cert.tbs_certificate_bytes
        if isinstance(key, rsa.RSAPublicKey):
            params = cert.signature_algorithm_parameters
            pad = params if isinstance(params, padding.PSS) else padding.PKCS1v15()
            key.verify(sig, tbs, pad, cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sig, tbs, ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(sig, tbs)
        else:
            return False
        return True
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False


def load_paths(
    dsn: str,
    paths: Iterable[str | Path],
    *,
    revocations_csv: str | Path | None = None,
    ct_logs_csv: str | Path | None = None,
    ct_entries_csv: str | Path | None = None,
) -> LoadReport:
    report = LoadReport()
    certs: list[_Cert] = []
    seen: set[str] = set()
    for path in iter_files(paths):
        report.files_read += 1
        try:
            ders = read_certificates(path)
        except (OSError, ValueError) as exc:
            report.bad_files.append((str(path), str(exc)))
            continue
        for der in ders:
            report.certificates_seen += 1
            c = _describe(der, str(path))
            if c.sha256 in seen:
                report.already_present += 1
                continue
            seen.add(c.sha256)
            certs.append(c)

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

    # 1. a ca row per (subject name, public key) of every CA certificate
    ca_keys = {(c.subject, c.spki) for c in new if c.parsed and c.is_ca}
    for name, spki in sorted(ca_keys, key=lambda k: (k[0], k[1])):
        cur.execute(
            "INSERT INTO ca (name, public_key, num_issued, num_expired) VALUES (%s, %s, ARRAY[0,0], ARRAY[0,0]) "
            "ON CONFLICT (name, public_key) DO NOTHING RETURNING id",
            (name, spki),
        )
        report.ca_rows_created += cur.rowcount

    # 2. issuer by name and verified signature
    issuer_names = sorted({c.issuer for c in new if c.parsed})
    cur.execute("SELECT id, name, public_key FROM ca WHERE name = ANY(%s) ORDER BY id", (issuer_names,))
    by_name: dict[str, list[tuple[int, bytes]]] = {}
    for ca_id, name, key in cur.fetchall():
        by_name.setdefault(name, []).append((ca_id, bytes(key)))
    cur.execute("SELECT id, name, public_key FROM ca WHERE name = ANY(%s)", (sorted({c.subject for c in new if c.is_ca}),))
    own_ca = {(name, bytes(key)): ca_id for ca_id, name, key in cur.fetchall()}

    rows = []
    counts: dict[int, list[int]] = {}
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    # CA certificates first, then by SHA-256: ids are deterministic for the same input
    for c in sorted(new, key=lambda c: (not c.is_ca, c.sha256)):
        issuer_id = -1
        if c.parsed:
            for ca_id, key in by_name.get(c.issuer, []):
                if verify_signature(c.der, key):
                    issuer_id = ca_id
                    break
        else:
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
    ordered = sorted(new, key=lambda c: (not c.is_ca, c.sha256))
    links = [(cid[0], own_ca[(c.subject, c.spki)]) for cid, c in zip(ids, ordered) if c.parsed and c.is_ca]
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
            for lineno, row in enumerate(reader, start=2):
                yield lineno, row
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        report.bad_files.append((str(path), str(exc)))


def _parse_ts(text: str) -> dt.datetime:
    """An ISO 8601 timestamp; with an offset it is converted to UTC, without one it is taken as UTC."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _certificate_ids(cur, sha256s: list[str]) -> dict[str, tuple[int, int, bytes]]:
    cur.execute(
        "SELECT encode(digest(c.certificate, 'sha256'), 'hex'), c.id, c.issuer_ca_id, x509_serialNumber(c.certificate) "
        "FROM certificate c WHERE digest(c.certificate, 'sha256') = ANY(%s)",
        ([bytes.fromhex(s) for s in sha256s],),
    )
    return {h.upper(): (cid, ca, bytes(serial) if serial is not None else None) for h, cid, ca, serial in cur.fetchall()}


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
