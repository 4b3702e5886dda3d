"""The out-of-core engine (analysis/outofcore.py, DuckDB over Parquet) gives exactly the pandas library's tables.

Populations: random ones from the property tests' strategy (every issuance shape, organisations spelled several
ways, invalid names, revocations with and without dates), the synthetic large-CA generator of the benchmark
(benchmarks/gen_large_ca.py, streamed to Parquet) at a small size, and hierarchy/EKU filtering. Each table is
compared with ``pandas.testing.assert_frame_equal`` (values, dtypes, order).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.outofcore import impact
from analysis.policies import DistrustAfter, DistrustBefore, NameConstrained, Removal
from analysis.tables import evaluate
from tests.integration.test_impact_properties import SETTINGS, instants, populations

# The generator lives with the benchmarks (found from wherever this module is moved to under tests/).
sys.path.insert(0, str(next(p for p in Path(__file__).resolve().parents if (p / "benchmarks").is_dir()) / "benchmarks"))

TABLES = ("by_organisation", "by_registrable_domain", "by_intermediate", "expiry_histogram", "survival_curve")


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path


def assert_same(ooc, ev) -> None:
    """Every core table of the out-of-core result equals the pandas library's."""
    assert ooc.summary_values == ev.summary_values()
    pd.testing.assert_frame_equal(ooc.summary(), ev.summary())
    for name in TABLES + ("by_validation_level", "by_status"):
        pd.testing.assert_frame_equal(getattr(ooc, name), getattr(ev, name)(), obj=name)
    assert ooc.survival_curve.attrs == ev.survival_curve().attrs


def run_both(tmp: Path, certs, rev, policy, *, ca_ids=(), ct=None, **filters):
    c = write_parquet(certs, tmp / "certificates.parquet")
    r = write_parquet(rev, tmp / "revocations.parquet")
    t = None if ct is None else write_parquet(ct, tmp / "ct.parquet")
    ooc = impact(c, policy, revocations=r, ct=t, ca_certificate_ids=ca_ids, threads=1, memory_limit="500MB",
                 work_dir=tmp, **filters)
    keep = ~certs["certificate_id"].isin(list(ca_ids))
    if "is_server_auth" in certs:
        keep &= certs["is_server_auth"] | certs["parse_error"].notna()
    ev = evaluate(certs[keep].reset_index(drop=True), policy, revocations=rev, ct=ct, **filters)
    return ooc, ev


@st.composite
def ooc_policies(draw):
    d = draw(instants)
    later = d + pd.Timedelta(days=40)
    return draw(st.sampled_from([Removal(d), NameConstrained(["example.fr", ".gouv.fr"], d),
                                 NameConstrained(["xn--bcher-kva.de"], d), DistrustAfter(d),
                                 DistrustAfter(d, dates_only=True),
                                 DistrustAfter(d, effective=later), DistrustAfter(d, "earliest_sct", effective=later),
                                 DistrustAfter(d, "earliest_sct", dates_only=True)]))


@SETTINGS
@given(pop=populations(), policy=ooc_policies(), exp=st.one_of(st.none(), instants),
       late=st.one_of(st.none(), instants))
def test_random_populations_give_the_library_tables(tmp_path_factory, pop, policy, exp, late):
    certs, rev, ct = pop
    ooc, ev = run_both(tmp_path_factory.mktemp("p"), certs, rev, policy, ct=ct, expires_on_or_before=exp,
                       issued_after=late)
    assert_same(ooc, ev)


SEED_FILTERS = {"expires_on_or_before": "2019-08-31", "issued_after": "2019-05-17"}


@pytest.mark.parametrize("policy, filters", [(Removal("2019-09-03"), SEED_FILTERS),
                                             (DistrustAfter("2019-05-17", effective="2019-09-03"), {}),
                                             (NameConstrained(["gouv.fr", ".fr"], "2019-09-03"), SEED_FILTERS),
                                             (DistrustAfter("2018-06-01", "earliest_sct", effective="2019-09-03"),
                                              {"expires_on_or_before": "2019-08-31"})])
def test_generated_large_ca_bundle_gives_the_report_tables(tmp_path, policy, filters):
    """The 30M-row generator's bundle at 20k rows, read as a report reads a cached fetch (hierarchy CA rows and
    non-TLS rows left out): every table equal."""
    from gen_large_ca import generate_parquet

    from analysis.crtsh import load_cached
    from analysis.outofcore import impact_from_bundle
    from analysis.report import subscriber_certificates

    bundle = generate_parquet(tmp_path / "bundle", rows=20_000, seed=3, batch_rows=7_000)
    fetched = load_cached(bundle)
    certs = fetched.certificates
    assert len(certs) == 20_020 and (~certs["is_server_auth"]).sum() > 0
    ooc = impact_from_bundle(bundle, policy, threads=1, work_dir=tmp_path, **filters)
    ev = evaluate(subscriber_certificates(fetched), policy, revocations=fetched.revocations, ct=fetched.ct,
                  **filters)
    assert ooc.summary_values["certificate_rows"] < 20_000 and ooc.summary_values["affected"] > 1000
    assert_same(ooc, ev)


def test_hierarchy_and_eku_rows_are_left_out(tmp_path):
    certs, rev, _ = _fixed_population()
    certs["is_server_auth"] = [True, False, True, True]
    ooc, ev = run_both(tmp_path, certs, rev, Removal("2019-03-01"), ca_ids=[3])
    assert ooc.summary_values["certificate_rows"] == 2
    assert_same(ooc, ev)


def _fixed_population():
    t = pd.Timestamp("2019-01-01")
    rows = [dict(certificate_id=i, issuer_ca_id=1, issuer_name="CN=CA", sha256=f"{i:064X}", serial_number=f"{i:02x}",
                 not_before=t, not_after=t + pd.Timedelta(days=365), subject_o="ACME", subject_cn=None,
                 dns_names=["www.acme.fr"], policy_oids=[], is_precertificate=False, dedup_key=f"K{i}",
                 parse_error=None) for i in range(1, 5)]
    certs = pd.DataFrame(rows).astype({"not_before": "datetime64[ns]", "not_after": "datetime64[ns]"})
    rev = pd.DataFrame({"certificate_id": pd.Series([], dtype="int64"),
                        "revocation_date": pd.Series([], dtype="datetime64[ns]")})
    return certs, rev, None


def test_other_policies_are_refused_with_one_line(tmp_path):
    certs, rev, _ = _fixed_population()
    c = write_parquet(certs, tmp_path / "c.parquet")
    with pytest.raises(ValueError, match="and the allowlist of existing certificates, not DistrustBefore"):
        impact(c, DistrustBefore("2019-03-01"))
    with pytest.raises(ValueError, match="needs the CT side frame"):
        impact(c, DistrustAfter("2019-03-01", "earliest_sct"))
    with pytest.raises(FileNotFoundError, match="no such Parquet file"):
        impact(tmp_path / "missing.parquet", Removal("2019-03-01"))


@pytest.mark.integration
def test_demo_population_from_the_cache_gives_the_report_tables(demo_db, tmp_path):
    """The demo CA fetched through the real client into the Parquet cache (as `make report` does), then counted
    both ways (the seed scenario's removal with both analysis filters, and two other cases): every table equal."""
    from analysis import crtsh
    from analysis.outofcore import impact_from_bundle
    from analysis.report import subscriber_certificates
    from analysis.sources import demo_root_sha256

    fetched = crtsh.fetch_ca(demo_root_sha256(), as_of="2019-05-17", dsn=demo_db.replace("user=postgres", "user=guest"),
                             cache_dir=tmp_path / "cache", source_name="demo")
    for policy, filters in ((Removal("2019-09-03"), SEED_FILTERS), (Removal("2019-06-01"), {}),
                            (DistrustAfter("2019-01-01", effective="2019-09-03"), {"issued_after": "2019-05-17"}),
                            (DistrustAfter("2019-01-01", "earliest_sct", effective="2019-09-03"), SEED_FILTERS)):
        ooc = impact_from_bundle(fetched.cache_path, policy, threads=1, work_dir=tmp_path, **filters)
        ev = evaluate(subscriber_certificates(fetched), policy, revocations=fetched.revocations, ct=fetched.ct,
                      **filters)
        assert_same(ooc, ev)


def test_a_name_with_two_trailing_dots_stays_a_flagged_name_of_its_own(tmp_path):
    """``a.fr..`` normalises to ``a.fr.`` (one trailing dot dropped), an invalid name beside ``a.fr``: normalise()
    used to normalise it twice and crash on the certificate carrying both; both engines now count it, flagged."""
    certs, rev, _ = _fixed_population()
    certs.at[0, "dns_names"] = ["a.fr..", "a.fr", "A.FR."]
    ooc, ev = run_both(tmp_path, certs, rev, Removal("2019-03-01"))
    dn = ev.normalised.distinct_names.set_index("dns_name")
    assert dn.loc["a.fr.", "name_issue"] == "invalid_characters" and dn.loc["a.fr", "is_valid_hostname"]
    assert ev.normalised.issuances["dns_name_count"].tolist() == [2, 1, 1, 1]
    assert ev.summary_values()["affected_with_invalid_name"] == 1
    assert_same(ooc, ev)


@SETTINGS
@given(pop=populations(), d=instants, cutoff=instants, exp=st.one_of(st.none(), instants),
       late=st.one_of(st.none(), instants))
def test_the_allowlist_of_existing_certificates_gives_the_library_tables(tmp_path_factory, pop, d, cutoff, exp,
                                                                          late):
    """The report's ``allowlist:SUNSET`` (every certificate existing on the snapshot date listed until the sunset)
    out of core: the same tables, and the same number of hashes in its rule."""
    from analysis.normalise import normalise
    from analysis.outofcore import ExistingAllowlist
    from analysis.policies import Allowlist

    certs, rev, ct = pop
    tmp = tmp_path_factory.mktemp("a")
    sunset = d + pd.Timedelta(days=200)
    ooc = impact(write_parquet(certs, tmp / "c.parquet"), ExistingAllowlist(d, sunset, cutoff),
                 revocations=write_parquet(rev, tmp / "r.parquet"), threads=1, memory_limit="500MB", work_dir=tmp,
                 expires_on_or_before=exp, issued_after=late)
    norm = normalise(certs, revocations=rev)
    library = Allowlist.existing(norm, cutoff=cutoff, date=d, sunset=sunset)
    ev = evaluate(norm, library, expires_on_or_before=exp, issued_after=late)
    assert ooc.policy.rule == library.rule and ooc.policy.name == library.name
    assert_same(ooc, ev)
