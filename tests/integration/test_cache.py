"""The Parquet cache: reruns read it, refresh refetches, damage is detected and refetched, provenance recorded."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis import cache as cache_mod
from analysis import crtsh
from analysis.x509 import sha256_hex
from tests.population import AS_OF


def guest(p) -> str:
    return p.dsn.replace("user=postgres", "user=guest")


def fetch(p, tmp_path, **kw):
    client = crtsh.Client(guest(p))
    res = crtsh.fetch_ca(sha256_hex(p.der["R"]), as_of=AS_OF, cache_dir=tmp_path, client=client, **kw)
    return res, client.statements


def test_rerun_reads_the_cache_and_refresh_refetches(population, tmp_path):
    p = population
    first, n1 = fetch(p, tmp_path)
    assert not first.from_cache and n1 > 0
    again, n2 = fetch(p, tmp_path)
    assert again.from_cache and n2 == 0  # nothing sent to the database
    assert again.cache_path == first.cache_path
    for name in crtsh.FRAMES:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(first, name))
    fresh, n3 = fetch(p, tmp_path, refresh=True)
    assert not fresh.from_cache and n3 == n1
    pd.testing.assert_frame_equal(fresh.certificates, first.certificates)
    # another as_of or method is another cache entry
    other, n4 = fetch(p, tmp_path, method="server")
    assert n4 > 0 and other.cache_path != first.cache_path
    assert len([d for d in tmp_path.iterdir() if not d.name.startswith(".")]) == 2
    assert not [d for d in tmp_path.iterdir() if d.name.startswith(".")]  # no temporary files left


def test_sidecars_record_provenance(population, tmp_path):
    p = population
    res, _ = fetch(p, tmp_path)
    side = json.loads((res.cache_path / "certificates.json").read_text())
    assert side["query"] == "unexpired_certificates_der"
    assert side["parameters"]["as_of"] == "2019-05-17T00:00:00"
    assert side["parameters"]["root"]["root_sha256"] == sha256_hex(p.der["R"])
    assert side["rows"] == len(res.certificates) == 16
    assert side["parquet_sha256"] == cache_mod.file_sha256(res.cache_path / "certificates.parquet")
    assert set(side["sql_sha256"]) >= {"resolve_ca", "ca_hierarchy", "unexpired_certificates_der"}
    assert side["sql_sha256"]["ca_hierarchy"] == crtsh.load_queries()["ca_hierarchy"].sha256
    assert side["fetched_at"].endswith("Z") and "user=guest" in side["source"]
    for name in crtsh.FRAMES:
        meta = json.loads((res.cache_path / f"{name}.json").read_text())
        assert {"query", "sql_sha256", "parameters", "source", "fetched_at", "rows", "parquet_sha256"} <= set(meta)
    manifest = json.loads((res.cache_path / "manifest.json").read_text())
    assert manifest["root_ca_id"] == p.ca["R"] and manifest["rows"]["certificates"] == 16


@pytest.mark.parametrize("damage", ["flip_byte", "truncate", "sidecar_checksum", "delete_parquet", "garbage_sidecar",
                                    "no_manifest"])
def test_damaged_cache_is_detected_and_refetched(population, tmp_path, damage, capsys):
    p = population
    first, _ = fetch(p, tmp_path)
    path = first.cache_path / "certificates.parquet"
    side = first.cache_path / "certificates.json"
    if damage == "flip_byte":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "sidecar_checksum":
        meta = json.loads(side.read_text())
        meta["parquet_sha256"] = "0" * 64
        side.write_text(json.dumps(meta))
    elif damage == "delete_parquet":
        path.unlink()
    elif damage == "garbage_sidecar":
        side.write_text("{not json")
    elif damage == "no_manifest":
        (first.cache_path / "manifest.json").unlink()
    if damage != "no_manifest":
        with pytest.raises(cache_mod.CacheError):
            crtsh.load_cached(first.cache_path)
    again, n = fetch(p, tmp_path)
    assert not again.from_cache and n > 0
    pd.testing.assert_frame_equal(again.certificates, first.certificates)
    assert crtsh.load_cached(again.cache_path).from_cache  # repaired in place
    if damage != "no_manifest":
        assert "damaged" in capsys.readouterr().err


def test_cached_bundle_is_enough_offline(population, tmp_path):
    p = population
    first, _ = fetch(p, tmp_path)

    def no_network(client, info):
        raise AssertionError(f"{info.query} sent although the result is cached")

    offline = crtsh.fetch_ca(sha256_hex(p.der["R"]), as_of=AS_OF, cache_dir=tmp_path,
                             client=crtsh.Client(guest(p), before_statement=no_network))
    assert offline.from_cache
    loaded = crtsh.load_cached(first.cache_path)  # no database needed at all
    pd.testing.assert_frame_equal(loaded.certificates, first.certificates)
    pd.testing.assert_frame_equal(loaded.hierarchy, first.hierarchy)
    names = loaded.certificates["dns_names"]  # an Arrow list column whose cells read as Python lists
    assert str(names.dtype) == "list<item: string>[pyarrow]" and all(type(v) is list for v in names.tolist())
    assert loaded.provenance["parameters"]["as_of"] == "2019-05-17T00:00:00"


def test_cache_false_writes_nothing(population, tmp_path):
    p = population
    res = crtsh.fetch_ca(p.ca["R"], as_of=AS_OF, dsn=guest(p), cache_dir=tmp_path, cache=False)
    assert len(res.certificates) == 16 and res.cache_path is None and not res.from_cache
    assert list(tmp_path.iterdir()) == []


def test_source_name_keys_the_cache_and_offline_reads_only(population, tmp_path):
    p = population
    first = crtsh.fetch_ca(p.ca["R"], as_of=AS_OF, dsn=guest(p), cache_dir=tmp_path, source_name="unit-test")
    assert first.provenance["source"] == "unit-test" and "user=guest" in first.provenance["dsn"]
    # another DSN (a new throwaway cluster on another port), same source name: the cached result, no connection
    again = crtsh.fetch_ca(p.ca["R"], as_of=AS_OF, dsn="host=127.0.0.1 port=1 dbname=certwatch user=guest",
                           cache_dir=tmp_path, source_name="unit-test", offline=True)
    assert again.from_cache
    pd.testing.assert_frame_equal(again.certificates, first.certificates)
    with pytest.raises(crtsh.CacheMiss, match="no cached result for ca_id"):
        crtsh.fetch_ca(p.ca["R"], as_of="2020-01-01", dsn=guest(p), cache_dir=tmp_path, source_name="unit-test",
                       offline=True)
    (again.cache_path / "ct.parquet").write_bytes(b"damaged")
    with pytest.raises(crtsh.CacheMiss, match="damaged"):
        crtsh.fetch_ca(p.ca["R"], as_of=AS_OF, cache_dir=tmp_path, source_name="unit-test", offline=True)


