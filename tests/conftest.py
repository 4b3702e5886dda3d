"""Shared fixtures: one throwaway PostgreSQL cluster per test session (real server, no mocks).

The tests live in two folders. ``tests/unit`` holds the example-based tests that need nothing but the library:
no PostgreSQL, no notebook, no subprocess of the command, no whole demo population, no property runs; ``make
test-fast`` runs that folder alone, in seconds. ``tests/integration`` holds everything else. The rules below mark each
test: one that needs the cluster (through any fixture: ``item.fixturenames`` is the whole closure), starts a cluster,
standby, pooler or fault lab of its own, executes a notebook or asks the live crt.sh is marked ``integration``; one
that starts the command as a subprocess, generates the whole demo population or is a property-based test (hypothesis:
many examples through the library) is marked ``slow``. A test under ``tests/unit`` that these rules mark is a
collection error naming the test and the reason: it belongs in ``tests/integration``. With ``-m "not integration"`` a
module that declares ``pytestmark = pytest.mark.integration`` is not even imported (its imports, papermill and
nbconvert, cost seconds of their own).
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from pathlib import Path

import psycopg2
import pytest

from analysis import demo
from analysis.demo_db import load_demo
from analysis.localdb import LocalCluster, create_schema

# What a test or one of its fixtures calls when it starts PostgreSQL or papermill itself rather than through the
# fixtures below; and what makes a test slow without either: a subprocess of the command (its whole start-up, seconds
# each on a busy machine) or generating the whole demo population.
_INTEGRATION_CALLS = ("LocalCluster(", "StandbyCluster(", "Pgbouncer(", "FaultLab(", "run_reports(", "_run_one(",
                      "execute_notebook(", "papermill", "load_demo(")
_SLOW_CALLS = ("sys.executable", "_cli(", "demo.generate(")


def _calls(item, calls) -> str | None:
    """The first of ``calls`` that the test or a fixture it uses (directly or not) calls, with its caller's name."""
    names = getattr(item, "fixturenames", ())
    functions = [getattr(item, "function", None)]
    defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    functions += [d.func for name in names for d in defs.get(name, ())]
    for function in functions:
        source = _source(function)
        for call in calls:
            if call in source:
                return f"{function.__name__} calls {call.rstrip('(')}"
    return None


@functools.cache
def _source(function) -> str:
    """The function's source, read once (a fixture is shared by many tests, a test by its parameters)."""
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def classify(item) -> tuple[str, str] | None:
    """``(marker, reason)`` for a test that is not a unit test, ``None`` for one that is."""
    if "pg_cluster" in getattr(item, "fixturenames", ()):
        return "integration", "it uses the PostgreSQL cluster (fixture pg_cluster)"
    if item.get_closest_marker("crtsh"):
        return "integration", "it asks the live crt.sh (marker crtsh)"
    if reason := _calls(item, _INTEGRATION_CALLS):
        return "integration", reason
    if reason := _calls(item, _SLOW_CALLS):
        return "slow", reason
    if getattr(getattr(item, "function", None), "is_hypothesis_test", False):
        return "slow", "it is a property-based test (hypothesis)"
    for marker in ("integration", "slow"):
        if item.get_closest_marker(marker):
            return marker, f"it is marked {marker}"
    return None


INTEGRATION_MODULE = "pytestmark = pytest.mark.integration"


def pytest_ignore_collect(collection_path, config):
    markexpr = config.getoption("markexpr", "") or ""
    if "not integration" in markexpr and collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        return INTEGRATION_MODULE in collection_path.read_text(encoding="utf-8") or None
    return None


UNIT = Path(__file__).parent / "unit"


def pytest_collection_modifyitems(config, items):
    misplaced = []
    for item in items:
        kind = classify(item)
        if kind is None:
            continue
        marker, reason = kind
        item.add_marker(getattr(pytest.mark, marker))
        if item.path.is_relative_to(UNIT):
            misplaced.append(f"{item.nodeid} is {marker}: {reason}")
    if misplaced:
        raise pytest.UsageError(
            "tests/unit holds only unit tests (no PostgreSQL, notebook, subprocess or property run); move these to "
            "tests/integration:\n  " + "\n  ".join(misplaced))
    if os.environ.get("DISTRUST_IMPACT_LIVE") == "1":
        return
    skip = pytest.mark.skip(reason="needs the live crt.sh: set DISTRUST_IMPACT_LIVE=1")
    for item in items:
        if "crtsh" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module", autouse=True)
def _close_figures_left_open():
    """Close the pyplot figures a module leaves open, with the module: matplotlib warns when the 21st is opened, and
    tests/unit/test_figures.py draws with warnings as errors, so its outcome must not depend on the modules before it
    (``make test`` runs tests/integration first)."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


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
