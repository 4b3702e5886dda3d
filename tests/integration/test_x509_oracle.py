"""The local x509_* functions against outputs of crt.sh's real libx509pq (tests/fixtures/x509/expected.json).

The fixtures are real certificates (CCADB CA certificates, real leaves) and synthetic odd ones; the expected values
were produced by executing the real C extension (see tests/fixtures/x509/README.md). Here the same SQL runs on the
local database, whose functions are PL/Python over analysis.x509.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg2
import pytest

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x509"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
QUERIES = EXPECTED["_about"]["queries"]
# Functions crt.sh has that the project neither calls nor implements.
NOT_IMPLEMENTED = {"x509_keyAlgorithm", "x509_keySize", "x509_name_print(x509_name(c,true))"}
SETOF = ("x509_altNames", "x509_nameAttributes", "x509_certPolicies", "x509_extKeyUsages")


def x509_database(pg_cluster, name: str, table: str, rows):
    """A fresh database ``name`` with crt.sh's schema and functions, and a table (text key, bytea c) of ``rows``:
    an autocommit connection to it."""
    from analysis.localdb import create_schema

    admin = psycopg2.connect(pg_cluster.dsn.replace("dbname=certwatch", "dbname=postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
        cur.execute(f"CREATE DATABASE {name}")
    admin.close()
    dsn = pg_cluster.dsn.replace("dbname=certwatch", f"dbname={name}")
    create_schema(dsn)
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(table)
        cur.executemany(f"INSERT INTO {table.split()[2]} VALUES (%s, %s)", rows)
    return conn


@pytest.fixture(scope="module")
def fixture_db(pg_cluster):
    conn = x509_database(pg_cluster, "x509_oracle", "CREATE TABLE fx (name text PRIMARY KEY, c bytea)",
                         [(name, (FIXTURES / name).read_bytes()) for name in EXPECTED["fixtures"]])
    yield conn
    conn.close()


def _sql(key: str) -> str:
    expr = QUERIES[key]
    if expr.startswith(SETOF):
        return (f"SELECT (SELECT coalesce(array_agg(t.v ORDER BY t.o), '{{}}') "
                f"FROM {expr} WITH ORDINALITY AS t(v, o)) FROM fx WHERE name = %s")
    return f"SELECT {expr} FROM fx WHERE name = %s"


CASES = [(name, key) for name, fx in EXPECTED["fixtures"].items() for key in fx["results"]
         if key not in NOT_IMPLEMENTED]


@pytest.mark.parametrize("name", sorted(EXPECTED["fixtures"]))
def test_functions_match_libx509pq(fixture_db, name):
    expected = EXPECTED["fixtures"][name]["results"]
    mismatches = {}
    with fixture_db.cursor() as cur:
        for key, want in expected.items():
            if key in NOT_IMPLEMENTED or (isinstance(want, dict) and "error" in want):
                continue
            cur.execute(_sql(key), (name,))
            got = cur.fetchone()[0]
            if got != want:
                mismatches[key] = {"got": got, "want": want}
    assert not mismatches, json.dumps(mismatches, indent=1, ensure_ascii=False, default=str)
