"""The query loader (queries/*.sql): headers, placeholders and bound parameters, without a database. The queries'
results against PostgreSQL are in tests/integration/test_queries.py."""

from __future__ import annotations

import pytest

from analysis import querylib
from tests.population import AS_OF, WINDOW

Q = querylib.load_queries()


# -- the loader ------------------------------------------------------------------------------------------------------

def test_every_query_file_has_a_header_and_matching_placeholders():
    assert set(Q) == {"resolve_ca", "ca_hierarchy", "unexpired_certificates", "unexpired_certificates_der",
                      "certificate_revocations", "earliest_ct_entries", "root_trust_records",
                      "certificate_aggregates", "certificate_counts_by_month"}
    for q in Q.values():
        assert q.params and all(p.type in ("integer", "timestamp", "bytea", "text", "bigint[]", "bytea[]")
                                for p in q.params), q.name
        for word in ("purpose:", "row:", "indexes:"):
            assert word in q.sql, (q.name, word)


def test_bind_rejects_missing_and_unknown_parameters():
    q = Q["unexpired_certificates"]
    with pytest.raises(querylib.QueryError, match="missing window_end; unknown asof"):
        q.bind({"issuer_ca_id": 1, "asof": AS_OF, "window_start": AS_OF, "as_of": AS_OF})
    assert q.bind({"issuer_ca_id": 1, "as_of": AS_OF, **WINDOW}) == {"issuer_ca_id": 1, "as_of": AS_OF, **WINDOW}


def test_loader_rejects_malformed_files(tmp_path):
    (tmp_path / "a.sql").write_text("-- name: a\n-- param: x integer\nSELECT %(x)s, %(y)s\n")
    with pytest.raises(querylib.QueryError, match="differ from declared"):
        querylib.load_queries(tmp_path)
    (tmp_path / "a.sql").write_text("-- name: b\n-- param: x integer\nSELECT %(x)s\n")
    with pytest.raises(querylib.QueryError, match="differs from the file name"):
        querylib.load_queries(tmp_path)
    (tmp_path / "a.sql").write_text("-- name: a\n-- param: x integer\nSELECT %(x)s WHERE 'a' LIKE 'a%'\n")
    with pytest.raises(querylib.QueryError, match="stray %"):
        querylib.load_queries(tmp_path)
