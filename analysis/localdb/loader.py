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

The module imports; reading the files is :mod:`analysis.localdb.reading`, checking signatures
:mod:`analysis.localdb.signatures`.

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

import csv
import datetime as dt
import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import psycopg2.extras

from analysis import x509
from analysis.localdb.reading import MAX_CERTIFICATE_BYTES, iter_files, read_certificates
from analysis.localdb.signatures import verify_signature

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
