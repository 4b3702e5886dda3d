"""Create crt.sh's schema (tables, partitions, indexes) and its ``x509_*`` functions in any PostgreSQL database.

The functions are PL/Python wrappers around :mod:`analysis.x509`, whose source is stored once in the database
(``distrust_impact_x509_source()``) and compiled once per session into PL/Python's shared ``GD`` dictionary.
Names, argument types, defaults, return types and error values follow crt.sh's libx509pq.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import psycopg2

from analysis import x509
from analysis.config import SQL_DIR


class SchemaError(RuntimeError):
    """The target database cannot hold the schema (missing extension, wrong server version…)."""


@dataclass(frozen=True)
class Fn:
    name: str  # crt.sh's SQL name
    args: str  # SQL argument list with crt.sh's defaults
    returns: str  # SQL return type (SETOF … for set-returning functions)
    call: str  # Python expression on the argument names
    on_error: str  # Python literal libx509pq returns for input it cannot parse


# What libx509pq returns on a certificate it cannot parse: 'ERROR!' for text, NULL for timestamps/bytea/int,
# false for booleans, no rows for SETOF.
FUNCTIONS = [
    Fn("x509_subjectName", "cert bytea", "text", "m.subject_name(cert)", "'ERROR!'"),
    Fn("x509_issuerName", "cert bytea", "text", "m.issuer_name(cert)", "'ERROR!'"),
    Fn("x509_name", "cert bytea, is_subject boolean DEFAULT TRUE", "bytea", "m.name_der(cert, is_subject)", "None"),
    Fn("x509_commonName", "cert bytea", "text", "m.common_name(cert)", "'ERROR!'"),
    Fn("x509_nameAttributes",
       "cert bytea, attribute_type text, is_subject boolean, attribute_values boolean DEFAULT TRUE",
       "SETOF text", "m.name_attributes(cert, attribute_type, is_subject, attribute_values)", "[]"),
    Fn("x509_altNames", "cert bytea, type_num integer DEFAULT NULL, is_subject_alt_name boolean DEFAULT TRUE",
       "SETOF text", "m.alt_names(cert, type_num, is_subject_alt_name)", "[]"),
    Fn("x509_notBefore", "cert bytea", "timestamp", "m.not_before(cert)", "None"),
    Fn("x509_notAfter", "cert bytea", "timestamp", "m.not_after(cert)", "None"),
    Fn("x509_serialNumber", "cert bytea", "bytea", "m.serial_number(cert)", "None"),
    Fn("x509_publicKey", "cert bytea", "bytea", "m.public_key(cert)", "None"),
    Fn("x509_hasExtension", "cert bytea, extension_oid text, is_critical boolean", "boolean",
       "m.has_extension(cert, extension_oid, is_critical)", "False"),
    Fn("x509_canIssueCerts", "cert bytea", "boolean", "m.can_issue_certs(cert)", "False"),
    Fn("x509_getPathLenConstraint", "cert bytea", "integer", "m.path_len_constraint(cert)", "None"),
    Fn("x509_certPolicies", "cert bytea", "SETOF text", "m.cert_policies(cert)", "[]"),
    Fn("x509_extKeyUsages", "cert bytea", "SETOF text", "m.ext_key_usages(cert)", "[]"),
    Fn("x509_isEKUPermitted", "cert bytea, eku_oid text", "boolean", "m.is_eku_permitted(cert, eku_oid)", "False"),
    Fn("x509_subjectKeyIdentifier", "cert bytea", "bytea", "m.subject_key_identifier(cert)", "None"),
    Fn("x509_authorityKeyId", "cert bytea", "bytea", "m.authority_key_id(cert)", "None"),
    Fn("x509_tbscert_strip_ct_ext", "cert bytea", "bytea", "m.tbscert_strip_ct_ext(cert)", "None"),
]

_LOADER = '''m = GD.get("distrust_impact_x509")
if m is None:
    import types
    m = types.ModuleType("distrust_impact_x509")
    src = plpy.execute("SELECT distrust_impact_x509_source() AS s")[0]["s"]
    exec(compile(src, "analysis/x509.py", "exec"), m.__dict__)
    GD["distrust_impact_x509"] = m
'''


def _dollar_quote(text: str, tag: str) -> str:
    if f"${tag}$" in text:
        raise SchemaError(f"source contains the quote tag ${tag}$")
    return f"${tag}${text}${tag}$"


def functions_sql() -> str:
    """The DDL of every x509_* function (CREATE OR REPLACE, so it can be re-run)."""
    source = inspect.getsource(x509)
    parts = [
        "CREATE OR REPLACE FUNCTION distrust_impact_x509_source() RETURNS text LANGUAGE sql IMMUTABLE AS "
        + _dollar_quote("SELECT " + _dollar_quote(source, "x509src"), "body")
        + ";"
    ]
    for fn in FUNCTIONS:
        body = _LOADER + f"try:\n    return {fn.call}\nexcept (m.X509Error, ValueError, IndexError, UnicodeError):\n" \
                         f"    return {fn.on_error}\n"
        # IMMUTABLE and PARALLEL UNSAFE, as crt.sh declares them; STRICT so a NULL certificate gives NULL
        # (libx509pq's x509_hasExtension crashes on NULL: never rely on that either way).
        parts.append(
            f"CREATE OR REPLACE FUNCTION {fn.name}({fn.args}) RETURNS {fn.returns} "
            f"LANGUAGE plpython3u IMMUTABLE STRICT PARALLEL UNSAFE AS {_dollar_quote(body, 'fn')};"
        )
    return "\n\n".join(parts)


def tables_sql() -> str:
    return (SQL_DIR / "crtsh_schema.sql").read_text()


def create_schema(dsn: str, *, replace_functions: bool = True) -> None:
    """Create the extensions, functions, tables and indexes in the database at ``dsn`` (idempotent).

    Needs a role allowed to CREATE EXTENSION plpython3u (a superuser) — on Debian, package postgresql-plpython3-NN.
    """
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version_num")
            if int(cur.fetchone()[0]) < 110000:
                raise SchemaError("PostgreSQL 11 or newer is needed (declarative partitions with indexes)")
            for ext in ("plpython3u", "pgcrypto"):
                try:
                    cur.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
                except psycopg2.Error as exc:
                    hint = " (Debian: apt-get install postgresql-plpython3-15)" if ext == "plpython3u" else ""
                    raise SchemaError(f"cannot create extension {ext}{hint}: {exc.pgerror or exc}".strip()) from exc
            cur.execute("SELECT to_regclass('public.certificate') IS NOT NULL")
            exists = cur.fetchone()[0]
            if replace_functions or not exists:
                cur.execute(functions_sql())
            if not exists:
                cur.execute(tables_sql())
    finally:
        conn.close()
