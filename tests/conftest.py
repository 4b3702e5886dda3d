"""Shared fixtures: one throwaway PostgreSQL cluster per test session (real server, no mocks).

Every test that needs that cluster (through any fixture: ``item.fixturenames`` is the whole closure), starts a
cluster of its own, or executes a notebook is marked ``integration`` here; one that starts the command as a
subprocess, generates the whole demo population or is a property-based test (hypothesis: many examples through the
whole impact library) is marked ``slow``. ``make test-fast`` (``-m "not integration and not slow"``) runs the rest:
the example-based unit tests, in seconds. A module that declares ``pytestmark = pytest.mark.integration`` is not even
imported then (its imports, papermill and nbconvert, cost seconds of their own).
"""

from __future__ import annotations

import inspect
import os

import psycopg2
import pytest

from analysis import demo
from analysis.demo_db import load_demo
from analysis.localdb import LocalCluster, create_schema

# What a test or one of its fixtures calls when it starts PostgreSQL or papermill itself rather than through the
# fixtures below; and what makes a test slow without either: a subprocess of the command (its whole start-up, seconds
# each on a busy machine) or generating the whole demo population.
_INTEGRATION_CALLS = ("LocalCluster(", "run_reports(", "_run_one(", "execute_notebook(", "papermill", "load_demo(")
_SLOW_CALLS = ("sys.executable", "_cli(", "demo.generate(")


def _calls(item, calls) -> bool:
    """Whether the test or a fixture it uses (directly or not) calls one of ``calls``."""
    names = getattr(item, "fixturenames", ())
    functions = [getattr(item, "function", None)]
    defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    functions += [d.func for name in names for d in defs.get(name, ())]
    for function in functions:
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            continue
        if any(call in source for call in calls):
            return True
    return False


INTEGRATION_MODULE = "pytestmark = pytest.mark.integration"


def pytest_ignore_collect(collection_path, config):
    markexpr = config.getoption("markexpr", "") or ""
    if "not integration" in markexpr and collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        return INTEGRATION_MODULE in collection_path.read_text(encoding="utf-8") or None
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "pg_cluster" in getattr(item, "fixturenames", ()) or _calls(item, _INTEGRATION_CALLS):
            item.add_marker(pytest.mark.integration)
        elif _calls(item, _SLOW_CALLS) or getattr(getattr(item, "function", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.slow)
    if os.environ.get("DISTRUST_IMPACT_LIVE") == "1":
        return
    skip = pytest.mark.skip(reason="needs the live crt.sh: set DISTRUST_IMPACT_LIVE=1")
    for item in items:
        if "crtsh" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def pg_cluster():
    with LocalCluster() as cluster:
        yield cluster


@pytest.fixture()
def empty_db(pg_cluster):
    """A fresh database with crt.sh's schema, dropped after the test."""
    name = f"t_{os.urandom(4).hex()}"
    admin = psycopg2.connect(pg_cluster.dsn.replace("dbname=certwatch", "dbname=postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    dsn = pg_cluster.dsn.replace("dbname=certwatch", f"dbname={name}")
    create_schema(dsn)
    yield dsn
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture()
def sql(empty_db):
    """Run one statement on the test database and return all rows."""
    conn = psycopg2.connect(empty_db)
    conn.autocommit = True

    def run(query, params=None):
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else None

    yield run
    conn.close()


@pytest.fixture(scope="session")
def demo_db(pg_cluster, tmp_path_factory):
    """DSN of a database holding the demo population and the real Certinomis CA certificates (loaded once)."""
    admin = psycopg2.connect(pg_cluster.dsn.replace("dbname=certwatch", "dbname=postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS demo")
        cur.execute("CREATE DATABASE demo")
    admin.close()
    dsn = pg_cluster.dsn.replace("dbname=certwatch", "dbname=demo")
    create_schema(dsn)
    report = load_demo(dsn, workdir=tmp_path_factory.mktemp("demo"))
    assert not report.bad_files and not report.bad_rows, report.summary()
    return dsn


@pytest.fixture(scope="session")
def demo_manifest(demo_db, tmp_path_factory):
    return demo.expected_counts()
