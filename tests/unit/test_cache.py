"""The cache's own parts without a database: the fetch journal across processes, and no password in a sidecar.
Reruns, refreshes and damage against a real PostgreSQL are in tests/integration/test_cache.py."""

from __future__ import annotations

import psycopg2.extensions
import pytest

from analysis import cache as cache_mod
from analysis import crtsh


def test_password_never_reaches_the_sidecar():
    assert crtsh.public_dsn("host=h port=5 dbname=d user=u password=s3cret") == "host=h port=5 dbname=d user=u"
    assert "s3cret" not in crtsh.public_dsn("postgresql://u:s3cret@h:5/d")
    # every secret, not just password; and a quoted value survives the round trip
    dsn = crtsh.public_dsn("host=h dbname=d user='my user' sslpassword=k3y sslmode=require application_name=x")
    assert "k3y" not in dsn and "application_name" not in dsn
    assert psycopg2.extensions.parse_dsn(dsn) == {"host": "h", "dbname": "d", "user": "my user", "sslmode": "require"}


def test_a_journal_keeps_parts_across_processes_and_admits_one_fetch_at_a_time(tmp_path):
    import pyarrow as pa

    j = cache_mod.Journal(tmp_path / ".b.partial")
    with pytest.raises(cache_mod.CacheError, match="another fetch of the same inputs is running"):
        cache_mod.Journal(tmp_path / ".b.partial")
    j.write_part("p1", {"certificates": pa.table({"certificate_id": [3, 1]})}, rows=2)
    j.state["counts"] = {"7": [["2019-05-17T00:00:00", None, 2]]}
    j.save()
    j.close()
    again = cache_mod.Journal(tmp_path / ".b.partial")  # as the next run finds it
    assert again.resumed and again.has_part("p1") and not again.has_part("p2")
    assert again.read_part("p1")["certificates"].column("certificate_id").to_pylist() == [3, 1]
    assert again.state["parts"]["p1"]["rows"] == 2 and again.state["counts"]["7"][0][2] == 2
    (tmp_path / ".b.partial" / "parts" / "p1.certificates.parquet").unlink()  # a part whose file is gone is not done
    assert not again.has_part("p1")
    again.finish()
    again.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".b.partial"]
    assert not list((tmp_path / ".b.partial").iterdir())
