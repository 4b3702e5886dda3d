"""``distrust-impact fetch`` speaks ``report``'s vocabulary (``--ca``: SHA-256, crt.sh CA id or a CA name searched
like crt.sh), ``FetchOptions`` checks itself, and parsing in worker processes gives exactly the rows of parsing in
this one — against the test PKI in a real local PostgreSQL."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from analysis import crtsh
from analysis.sources import ReportError
from analysis.x509 import sha256_hex
from tests.population import AS_OF


def guest(p) -> str:
    return p.dsn.replace("user=postgres", "user=guest")


def fetch_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="distrust-impact")
    crtsh.add_fetch_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["fetch", *argv])


def test_ca_takes_a_fingerprint_an_id_or_a_root_name_and_they_share_one_cache_entry(population, tmp_path, capsys):
    p = population
    common = ["--as-of", "2019-05-17", "--dsn", guest(p), "--cache-dir", str(tmp_path), "--quiet"]
    by_id = fetch_args("--ca", str(p.ca["R"]), *common)
    assert by_id.func(by_id) == 0
    first = capsys.readouterr().out
    assert f"root ca_id {p.ca['R']}: 5 CAs, 16 certificate rows" in first and "fetched" in first
    # a name is searched like crt.sh's CA search (case-insensitive, anywhere in the name) and resolved to the root's
    # id first, as `report --ca` does: the same cache entry, read back without a query
    by_name = fetch_args("--ca", "TEST ROOT", *common)
    assert crtsh.command.root_from_args(by_name) == str(p.ca["R"])
    assert by_name.func(by_name) == 0
    assert "from cache" in capsys.readouterr().out
    # a fingerprint is its own cache entry (the key holds the root as given), with the same rows
    by_sha = fetch_args("--ca", sha256_hex(p.der["R"]), *common)
    assert by_sha.func(by_sha) == 0
    assert "16 certificate rows" in capsys.readouterr().out


def test_a_name_of_several_cas_or_of_an_intermediate_is_refused_like_report(population):
    p = population
    several = (r"name 'issuing ca' matches 3 CAs — give one of these crt.sh CA ids with --ca: \d+ C=XX, "
               r"O=Test PKI \(synthetic\), CN=Issuing CA 1 \(intermediate\)")
    with pytest.raises(ReportError, match=several):
        crtsh.command.root_from_args(fetch_args("--ca", "issuing ca", "--dsn", guest(p)))
    with pytest.raises(ReportError, match=r"CN=Issuing CA Z \(crt.sh CA id \d+\) is an intermediate, under"):
        crtsh.command.root_from_args(fetch_args("--ca", "issuing ca z", "--dsn", guest(p)))


@pytest.mark.parametrize("flag, value", [("--root-sha256", "AB" * 32), ("--ca-id", "3"), ("--ca-name", "certinomis")])
def test_the_flags_of_earlier_versions_are_refused_with_the_one_that_replaced_them(flag, value, capsys):
    with pytest.raises(SystemExit) as exit_:
        fetch_args("--ca", "1", flag, value)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (f"distrust-impact fetch: error: argument {flag}: removed: use --ca {value} (--ca takes a root "
                   f"SHA-256, a crt.sh CA id or a CA name, as in 'distrust-impact report')")


def test_fetch_options_refuse_what_cannot_work():
    with pytest.raises(crtsh.CrtshError, match="unknown method 'sql'"):
        crtsh.FetchOptions(method="sql")
    with pytest.raises(crtsh.CrtshError, match="page sizes must be at least 1"):
        crtsh.FetchOptions(page_size=0)
    with pytest.raises(crtsh.CrtshError, match="parse_workers must be at least 1, not 0"):
        crtsh.FetchOptions(parse_workers=0)
    with pytest.raises(crtsh.CrtshError, match="max_rows must be >= 0 or None, not -1"):
        crtsh.FetchOptions(max_rows=-1)
    with pytest.raises(crtsh.CacheMiss, match="offline=True forbids fetching"):
        crtsh.FetchOptions(offline=True, refresh=True)
    with pytest.raises(TypeError):
        crtsh.fetch_ca(1, crtsh.FetchOptions(), no_such_option=True)


def test_worker_processes_parse_exactly_the_rows_of_one_process(population):
    p = population
    options = crtsh.FetchOptions(as_of=AS_OF, dsn=guest(p), cache=False, page_size=3, aggregates=True)
    one = crtsh.fetch_ca(p.ca["R"], options, parse_workers=1)
    two = crtsh.fetch_ca(p.ca["R"], options, parse_workers=2)
    assert len(two.certificates) == 16 and len(two.revocations) == 3 and len(two.ct) == 3
    for name in ("certificates", "revocations", "ct", "aggregates", "hierarchy"):
        pd.testing.assert_frame_equal(getattr(two, name), getattr(one, name))
