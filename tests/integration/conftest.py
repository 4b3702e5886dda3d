"""Fixtures the integration modules share (the cluster itself is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.population import Population, build_population, drop_database, fresh_database


@pytest.fixture(scope="module")
def population(pg_cluster, tmp_path_factory) -> Population:
    """The population, built once per test module (the tests only read it)."""
    dsn = fresh_database(pg_cluster)
    yield build_population(dsn, tmp_path_factory.mktemp("population"))
    drop_database(pg_cluster, dsn)
