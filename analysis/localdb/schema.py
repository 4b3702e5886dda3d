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
    args: str  # SQL argument types with crt.sh's defaults (unnamed, as crt.sh declares them)
    returns: str  # SQL return type (SETOF … for set-returning functions)


# Every argument is passed to analysis.x509.call, which holds libx509pq's semantics (NULL arguments, the values
# for a certificate OpenSSL cannot decode, the 'Unsupported …' rows), so the SQL functions and the client-side
# parser give one answer. Arguments are positional (unnamed), with crt.sh's defaults.
FUNCTIONS = [
    Fn("x509_subjectName", "bytea, integer DEFAULT NULL", "text"),
    Fn("x509_issuerName", "bytea, integer DEFAULT NULL", "text"),
    Fn("x509_commonName", "bytea", "text"),
    Fn("x509_nameAttributes", "bytea, text, boolean, boolean DEFAULT TRUE", "SETOF text"),
    Fn("x509_altNames", "bytea, integer DEFAULT NULL, boolean DEFAULT TRUE, boolean DEFAULT TRUE", "SETOF text"),
    Fn("x509_notBefore", "bytea", "timestamp"),
    Fn("x509_notAfter", "bytea", "timestamp"),
    Fn("x509_serialNumber", "bytea", "bytea"),
    Fn("x509_publicKey", "bytea", "bytea"),
    Fn("x509_hasExtension", "bytea, text, boolean DEFAULT NULL", "boolean"),
    Fn("x509_canIssueCerts", "bytea", "boolean"),
    Fn("x509_getPathLenConstraint", "bytea", "integer"),
    Fn("x509_certPolicies", "bytea", "SETOF text"),
    Fn("x509_extKeyUsages", "bytea, boolean DEFAULT TRUE", "SETOF text"),
    Fn("x509_isEKUPermitted", "bytea, text", "boolean"),
    Fn("x509_subjectKeyIdentifier", "bytea", "bytea"),
    Fn("x509_authorityKeyId", "bytea", "bytea"),
    Fn("x509_tbscert_strip_ct_ext", "bytea", "bytea"),
]
if {fn.name for fn in FUNCTIONS} != set(x509.FUNCTIONS):
    raise SchemaError("analysis.x509.FUNCTIONS and the SQL declarations differ")

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
        body = _LOADER + f"return m.call({fn.name!r}, *args)\n"
        # IMMUTABLE, not STRICT, PARALLEL UNSAFE, as crt.sh declares them. A NULL certificate gives NULL or no rows
        # (libx509pq's x509_hasExtension and x509_tbscert_strip_ct_ext crash the server on NULL: never rely on it).
        parts.append(
            f"CREATE OR REPLACE FUNCTION {fn.name}({fn.args}) RETURNS {fn.returns} "
            f"LANGUAGE plpython3u IMMUTABLE PARALLEL UNSAFE AS {_dollar_quote(body, 'fn')};"
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
