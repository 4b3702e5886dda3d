"""Rows → frames: crt.sh rows (server-extracted fields, or DER parsed here) into the certificates frame and the
other frames of a fetch, with the columns and types declared in :mod:`analysis.frames`.

``extract_fields`` reproduces ``unexpired_certificates.sql`` on the client: every field is the same
:mod:`analysis.x509` function the SQL calls (libx509pq's semantics and error values), on one parse of the bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence

import pandas as pd
import pyarrow as pa

from analysis import frames, x509
from analysis.crtsh.client import CrtshError

SERVER_AUTH = "1.3.6.1.5.5.7.3.1"  # RFC 5280 id-kp-serverAuth
ORGANIZATION = "organizationName"  # x509_nameAttributes(c, 'organizationName', TRUE): the subject's O=
PARSE_ERROR = "unparsable certificate: crt.sh's x509_* functions return ERROR!/NULL for it"
CERTIFICATE_COLUMNS = frames.CERTIFICATES.names
CERTIFICATES_SCHEMA = frames.CERTIFICATES.schema
REVOCATIONS_SCHEMA = frames.REVOCATIONS.schema
CT_SCHEMA = frames.CT.schema


def _hex_upper(b) -> str | None:
    return None if b is None else bytes(b).hex().upper()


def _hex_lower(b) -> str | None:
    return None if b is None else bytes(b).hex()


def extract_fields(der: bytes) -> dict:
    """The frame's fields from one DER certificate, exactly as unexpired_certificates.sql computes them on the
    server: every field is the analysis.x509 method behind the x509_* function the SQL calls, on one parse of the
    bytes, with libx509pq's values for a certificate OpenSSL cannot decode (what x509.call returns then)."""
    der = bytes(der)
    try:
        cert = x509.parse(der)
    except x509.X509Error:
        return {"sha256": hashlib.sha256(der).digest(), "serial_number": None, "not_before": None,
                "not_after": None, "subject_o": None, "subject_cn": x509.ERROR_TEXT, "dns_names": [],
                "policy_oids": [], "is_precertificate": None, "is_server_auth": False, "dedup_key": None}
    subject_o = cert.name_attributes(ORGANIZATION, True, True)
    return {
        "sha256": hashlib.sha256(der).digest(),
        "serial_number": cert.serial_number(),
        "not_before": cert.not_before(),
        "not_after": cert.not_after(),
        "subject_o": subject_o[0] if subject_o else None,
        "subject_cn": cert.common_name(),
        "dns_names": cert.alt_names(2, True, True),
        "policy_oids": cert.cert_policies(),
        "is_precertificate": cert.has_extension(x509.CT_POISON, True),
        "is_server_auth": cert.is_eku_permitted(SERVER_AUTH),
        "dedup_key": hashlib.sha256(cert.tbscert_strip_ct_ext()).digest(),
    }


def _record(certificate_id, issuer_ca_id, issuer_name, f: Mapping) -> dict:
    """One frame row from extracted fields (server row or client parse): the design.md conversions."""
    unparsable = (f["not_after"] is None or f["not_before"] is None or f["serial_number"] is None
                  or f["subject_cn"] == x509.ERROR_TEXT)
    return {
        "certificate_id": int(certificate_id),
        "issuer_ca_id": int(issuer_ca_id),
        "issuer_name": issuer_name,
        "sha256": _hex_upper(f["sha256"]),
        "serial_number": _hex_lower(f["serial_number"]),
        "not_before": f["not_before"],
        "not_after": f["not_after"],
        "subject_o": f["subject_o"],
        "subject_cn": None if f["subject_cn"] == x509.ERROR_TEXT else f["subject_cn"],
        "dns_names": list(f["dns_names"] or []),
        "policy_oids": list(f["policy_oids"] or []),
        "is_precertificate": bool(f["is_precertificate"]),
        "is_server_auth": bool(f["is_server_auth"]),
        "dedup_key": _hex_upper(f["dedup_key"]),
        "parse_error": PARSE_ERROR if unparsable else None,
    }


def records_from_server_rows(cols: Sequence[str], rows: Sequence[tuple]) -> list[dict]:
    out = []
    for row in rows:
        r = dict(zip(cols, row))
        out.append(_record(r["certificate_id"], r["issuer_ca_id"], r["issuer_name"], r))
    return out


def records_from_der_rows(cols: Sequence[str], rows: Sequence[tuple]) -> list[dict]:
    return [_record(cid, ica, name, extract_fields(der)) for cid, ica, name, der in rows]


def parse_der_rows(rows: Sequence[tuple]) -> list[dict]:
    """:func:`records_from_der_rows` as a worker process runs it (rows of certificate id, issuer id, issuer name,
    DER bytes)."""
    return records_from_der_rows((), rows)


def sort_key(r: dict):
    na = r["not_after"]
    return (na is None, na or dt.datetime.min, r["certificate_id"])


def _records_table(records: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(records, schema=CERTIFICATES_SCHEMA)


def certificates_frame(table_or_records) -> pd.DataFrame:
    """The certificates frame (:data:`analysis.frames.CERTIFICATES`) from an Arrow table or a list of row dicts."""
    table = table_or_records if isinstance(table_or_records, pa.Table) else _records_table(list(table_or_records))
    return frames.CERTIFICATES.to_pandas(table)


def revocations_frame(table: pa.Table) -> pd.DataFrame:
    return frames.REVOCATIONS.to_pandas(table)


def ct_frame(table: pa.Table) -> pd.DataFrame:
    return frames.CT.to_pandas(table)


def bytes_to_hex(df: pd.DataFrame) -> pd.DataFrame:
    """bytea columns (SHA-256 values) as upper-case hex."""
    for c in df.columns:
        if df[c].map(lambda v: isinstance(v, (bytes, memoryview))).any():
            df[c] = df[c].map(_hex_upper)
    return df


def schema_for(name: str, frame: pd.DataFrame) -> pa.Schema:
    """The declared schema of a small frame (root, hierarchy, trust, aggregates), after checking its columns."""
    schema = frames.TABLES[name].schema
    if list(frame.columns) != schema.names:
        raise CrtshError(f"{name}: columns {list(frame.columns)} differ from the expected {schema.names}")
    return schema


def small_frame(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """A small frame read back from the cache: SQL NULL as None, list columns as lists (None kept), times naive."""
    for c in df.columns:
        if str(df[c].dtype).startswith("datetime64"):
            df[c] = df[c].astype("datetime64[ns]")
        elif df[c].dtype == object:
            df[c] = df[c].where(df[c].notna(), None)  # SQL NULL as None (e.g. the "no O=" organisation key)
    for c in ("path", "other_issuer_ca_ids", "trusted_in"):
        if c in df.columns:
            df[c] = [list(v) if v is not None else None for v in df[c]]
    if name in ("root", "hierarchy") and "parent_ca_id" in df.columns:
        df["parent_ca_id"] = df["parent_ca_id"].astype("Int64")
    return df
