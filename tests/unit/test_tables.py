"""analysis.tables on a nine-issuance population whose every number can be counted by hand.

    issuance  rows        O=        names                        nb / na                   status (removal)
    A         1 pre+2     ACME      www.acme.fr acme.fr  (OV)    2019-01-01 / 2020-01-01   affected
    B         3           " acme "  shop.acme.fr acme.com        2019-02-01 / 2019-12-15   affected
    C         4           -         "foo bar.fr" host.internal   2019-01-01 / 2020-06-30   affected (invalid names)
    D         5 orphan    -         www.gouv.fr                  2019-01-01 / 2019-10-31   affected
    E         6           parse_error                                                      unparsable
    F         7           Beta      beta.fr                      2019-01-01 / 2019-08-15   excluded_expired
    G         8           Beta      beta.fr                      2019-06-01 / 2020-05-31   excluded_issued_after
    H         9           Beta      beta.fr   revoked 2019-07-01 2019-01-01 / 2020-01-01   revoked
    I         10          Gamma     gamma.fr (EV)                2019-01-01 / 2019-09-02   survives (expires first)

Removal on 2019-09-03; filters: expires on or before 2019-08-31, issued after 2019-05-17.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.frames import CERTIFICATES
from analysis.policies import Allowlist, DistrustAfter, NameConstrained, Removal
from analysis.tables import SUMMARY_METRICS, compare_options, date_sweep, evaluate

T = pd.Timestamp
DV, OV, EV = "2.23.140.1.2.1", "2.23.140.1.2.2", "2.23.140.1.1"
FILTERS = dict(expires_on_or_before="2019-08-31", issued_after="2019-05-17")


def row(cid, serial, *, pre=False, ca=1, o=None, names=(), oids=(DV,), nb="2019-01-01", na="2020-01-01", err=None):
    return dict(certificate_id=cid, issuer_ca_id=ca, issuer_name=f"CN=Example CA {ca}", sha256=f"{cid:064X}",
                serial_number=serial, not_before=pd.NaT if err else T(nb), not_after=pd.NaT if err else T(na),
                subject_o=o, subject_cn=None, dns_names=list(names), policy_oids=list(oids),
                is_precertificate=pre, is_server_auth=True, dedup_key=None if err else f"K{serial}",
                parse_error=err)


CERTS = CERTIFICATES.frame([
    row(1, "0a", pre=True, o="ACME", names=["www.acme.fr", "acme.fr"], oids=[OV]),
    row(2, "0a", o="ACME", names=["www.acme.fr", "acme.fr"], oids=[OV]),
    row(3, "0b", o=" acme ", names=["shop.acme.fr", "acme.com"], nb="2019-02-01", na="2019-12-15"),
    row(4, "0c", ca=2, names=["foo bar.fr", "host.internal"], na="2020-06-30"),
    row(5, "0d", pre=True, ca=2, names=["www.gouv.fr"], na="2019-10-31"),
    row(6, "0e", err="ASN.1 error"),
    row(7, "0f", o="Beta", names=["beta.fr"], na="2019-08-15"),
    row(8, "10", o="Beta", names=["beta.fr"], nb="2019-06-01", na="2020-05-31"),
    row(9, "11", o="Beta", names=["beta.fr"]),
    row(10, "12", o="Gamma", names=["gamma.fr"], oids=[EV], na="2019-09-02"),
])
REVOCATIONS = pd.DataFrame({"certificate_id": [9], "revocation_date": [T("2019-07-01")], "reason_code": [1]})


@pytest.fixture(scope="module")
def ev():
    return evaluate(CERTS, Removal("2019-09-03"), revocations=REVOCATIONS, **FILTERS)


def test_summary_numbers_and_arithmetic(ev):
    s = ev.summary().set_index("metric")["value"]
    assert list(s.index) == list(SUMMARY_METRICS)
    assert s.to_dict() == {
        "certificate_rows": 10, "issuances": 9, "unparsable": 1, "excluded_expired": 1, "excluded_issued_after": 1,
        "revoked": 1, "survivors": 1, "affected": 4, "affected_certificate_rows": 5, "organisations_affected": 1,
        "affected_without_organisation": 2, "registrable_domains_affected": 3, "affected_with_invalid_name": 1,
    }
    parts = ["unparsable", "excluded_expired", "excluded_issued_after", "revoked", "survivors", "affected"]
    assert s[parts].sum() == s["issuances"]
    assert "2019-08-31" in ev.summary().set_index("metric").loc["excluded_expired", "description"]


def test_by_status_explains_why(ev):
    t = ev.by_status()
    assert t[["status", "category", "certificates"]].values.tolist() == [
        ["affected", "removed", 4], ["survives", "expires_before_break", 1], ["revoked", "revoked", 1],
        ["excluded_expired", "excluded_expired", 1], ["excluded_issued_after", "excluded_issued_after", 1],
        ["unparsable", "unparsable", 1]]


def test_by_organisation(ev):
    t = ev.by_organisation()
    assert list(t.columns) == ["organisation", "certificates", "registrable_domains", "earliest_not_after",
                               "latest_not_after", "example_domains"]
    assert t.values.tolist() == [
        ["(no organisation)", 2, 1, T("2019-10-31"), T("2020-06-30"), "www.gouv.fr"],
        ["ACME", 2, 2, T("2019-12-15"), T("2020-01-01"), "acme.fr, acme.com"],
    ]
    # Any status can be grouped: a list of statuses, or None for every issuance.
    assert ev.by_organisation(status=["affected", "survives", "revoked"])["certificates"].sum() == 6
    assert ev.by_organisation(status=None)["certificates"].sum() == 9


def test_by_registrable_domain(ev):
    t = ev.by_registrable_domain()
    assert t[["registrable_domain", "certificates", "dns_names", "organisations"]].values.tolist() == [
        ["acme.fr", 2, 3, 1], ["(no registrable domain)", 1, 2, 0], ["acme.com", 1, 1, 1],
        ["www.gouv.fr", 1, 1, 0]]
    assert t.loc[0, "example_names"] == "acme.fr, shop.acme.fr, www.acme.fr"
    assert t.loc[0, "earliest_not_after"] == T("2019-12-15")


def test_by_intermediate_and_validation_level(ev):
    t = ev.by_intermediate()
    assert t[["issuer_name", "issuer_ca_id", "certificates", "organisations", "registrable_domains"]
             ].values.tolist() == [["CN=Example CA 1", 1, 2, 1, 2], ["CN=Example CA 2", 2, 2, 0, 1]]
    v = ev.by_validation_level()
    assert v[["validation_level", "certificates", "organisations"]].values.tolist() == [
        ["EV", 0, 0], ["OV", 1, 1], ["IV", 0, 0], ["DV", 3, 1], ["unknown", 0, 0]]


def test_expiry_histogram(ev):
    h = ev.expiry_histogram()
    assert h["month"].tolist() == ["2019-08", "2019-09", "2019-10", "2019-11", "2019-12", "2020-01", "2020-02",
                                   "2020-03", "2020-04", "2020-05", "2020-06"]
    assert h["months_from_distrust"].tolist() == list(range(-1, 10))
    by = h.set_index("month")
    assert by.loc["2019-08", ["affected", "survivors", "revoked", "excluded"]].tolist() == [0, 0, 0, 1]
    assert by.loc["2019-09", "survivors"] == 1
    assert by.loc["2020-01", ["affected", "revoked"]].tolist() == [1, 1]
    assert by.loc["2020-05", "excluded"] == 1
    assert h["total"].sum() == 8  # every issuance but the unparsable one


def test_survival_curve(ev):
    c = ev.survival_curve().set_index("date")
    assert c.index[0] == T("2019-09-03") and c.index[-1] == T("2020-06-30")
    assert len(c) == (T("2020-06-30") - T("2019-09-03")).days + 1
    assert c.loc[T("2019-09-03"), "broken"] == 4
    assert c.loc[T("2019-10-31"), "broken"] == 4  # notAfter is inclusive
    assert c.loc[T("2019-11-01"), "broken"] == 3
    assert c.loc[T("2019-12-16"), "broken"] == 2
    assert c.loc[T("2020-01-02"), "broken"] == 1
    assert c.loc[T("2020-06-30"), "share_broken"] == 0.25
    assert c.attrs == {"affected": 4, "issuances": 9}


def test_survival_curve_counts_allowlisted_certificates_from_the_sunset(ev):
    """Allowlist of what existed on 2019-05-17, sunset 2019-12-31: A (notAfter 2020-01-01) and C (2020-06-30) are
    the two it breaks, both at the sunset (B and D expire before it): nothing is broken before the sunset."""
    allow = evaluate(ev.normalised, Allowlist.existing(ev.normalised, "2019-05-17", "2019-09-03", "2019-12-31"),
                     **FILTERS)
    c = allow.survival_curve().set_index("date")
    assert c.index[0] == T("2019-09-03") and c.index[-1] == T("2020-06-30")
    assert (c.loc[:T("2019-12-30"), "broken"] == 0).all()
    assert c.loc[T("2019-12-31"), "broken"] == 2 and c.loc[T("2020-01-01"), "broken"] == 2  # inclusive notAfter
    assert (c.loc[T("2020-01-02"):, "broken"] == 1).all()
    assert c.loc[T("2019-12-31"), "share_broken"] == 1.0  # nothing broken on day 0: share of all affected
    assert c.attrs["affected"] == 2
    # A certificate counted on a day is distrusted and unexpired then: never more than the removal's count.
    removal = ev.survival_curve().set_index("date")["broken"]
    assert (c["broken"] <= removal.reindex(c.index)).all()


def test_compare_options_side_by_side(ev):
    options = {
        "removal": Removal("2019-09-03"),
        "gouv.fr": NameConstrained(["gouv.fr"], "2019-09-03"),
        "allowlist": Allowlist.existing(ev.normalised, "2019-05-17", "2019-09-03", "2019-12-31"),
    }
    t = compare_options(ev.normalised, options, **FILTERS).set_index("metric")
    assert list(t.columns) == ["removal", "gouv.fr", "allowlist"]
    assert t.loc["affected"].tolist() == [4, 3, 2]
    assert t.loc["survivors"].tolist() == [1, 2, 3]
    assert t.loc["issuances"].tolist() == [9, 9, 9]
    assert set(t.attrs["policies"]) == set(options)


@pytest.mark.parametrize("kind,make", [
    ("removal", Removal),
    ("not_before", lambda d: DistrustAfter(d)),
    ("earliest_sct", lambda d: DistrustAfter(d, basis="earliest_sct")),
])
def test_date_sweep_matches_full_evaluations(ev, kind, make):
    dates = pd.date_range("2018-12-01", "2020-08-01", freq="7D")
    fast = date_sweep(ev.normalised, dates, kind, **FILTERS)
    slow = date_sweep(ev.normalised, dates, make, **FILTERS)
    pd.testing.assert_frame_equal(fast, slow, check_dtype=False)


def test_date_sweep_removal_numbers(ev):
    t = date_sweep(ev.normalised, ["2019-09-03", "2019-11-01", "2020-07-01"]).set_index("distrust_date")
    # Without filters, removal on 2019-09-03 hits A, B, C, D and G (issued later: never trusted).
    assert t.loc[T("2019-09-03"), "affected"] == 5
    assert t.loc[T("2019-11-01"), "affected"] == 4  # D expired on 2019-10-31
    assert t.loc[T("2020-07-01"), "affected"] == 0
    assert (t["affected"] + t["survivors"] + t["revoked"] + t["excluded"] + t["unparsable"]
            == t["issuances"]).all()


def test_certificates_export_with_crtsh_links(ev, tmp_path):
    c = ev.certificates()
    assert c["crtsh_id"].tolist() == [2, 3, 4, 5]
    assert c["precertificate_id"].tolist() == [1, pd.NA, pd.NA, 5]
    assert c["sha256"].fillna("").tolist() == [f"{i:064X}" for i in (2, 3, 4)] + [""]
    assert c["precertificate_sha256"].fillna("").tolist() == [f"{1:064X}", "", "", f"{5:064X}"]
    assert c["registrable_domains"].tolist() == ["acme.fr", "acme.com acme.fr", "", "www.gouv.fr"]
    # By default (a local source: its ids are not crt.sh's) every link names the certificate by its SHA-256.
    path = ev.to_csv(tmp_path / "out" / "affected.csv")
    back = pd.read_csv(path, keep_default_na=False)
    by_sha = "https://crt.sh/?sha256={:064X}".format
    assert back["crtsh_id_url"].tolist() == [by_sha(2), by_sha(3), by_sha(4), by_sha(5)]  # D: its precertificate
    assert back["certificate_id_url"].tolist() == [by_sha(2), by_sha(3), by_sha(4), ""]
    assert back["precertificate_id_url"].tolist() == [by_sha(1), "", "", by_sha(5)]
    assert back["dns_names"].tolist()[0] == "www.acme.fr acme.fr"
    assert back["not_after"].tolist()[0] == "2020-01-01 00:00:00"
    assert list(tmp_path.joinpath("out").iterdir()) == [path]  # no temporary file left behind
    # Rows fetched from crt.sh itself may link by crt.sh id.
    back = pd.read_csv(ev.to_csv(tmp_path / "crtsh.csv", crtsh_ids=True), keep_default_na=False)
    assert back["crtsh_id_url"].tolist() == [f"https://crt.sh/?id={i}" for i in (2, 3, 4, 5)]
    assert back["precertificate_id_url"].tolist() == ["https://crt.sh/?id=1", "", "", "https://crt.sh/?id=5"]


def test_text_rendering_fits_a_mailing_list(ev):
    for name in ("summary", "by_status", "by_organisation", "by_registrable_domain", "by_intermediate",
                 "by_validation_level", "expiry_histogram", "survival_curve", "certificates"):
        text = ev.to_text(name, title=f"Certinomis: {name}")
        assert max(len(line) for line in text.splitlines()) <= 72, name


def test_results_join_issuances_and_verdicts(ev):
    r = ev.results
    assert len(r) == 9 and {"organisation", "not_after", "breaks_on", "status", "reason"} <= set(r.columns)
    assert r.loc[r["crtsh_id"] == 2, "status"].tolist() == ["affected"]


def test_evaluate_rejects_side_frames_for_a_normalised_source(ev):
    with pytest.raises(ValueError):
        evaluate(ev.normalised, Removal("2019-09-03"), revocations=REVOCATIONS)


@pytest.mark.parametrize("seed", range(5))
def test_examples_top_k_as_a_sort_of_each_group(seed):
    """The examples columns: per group the k items with most certificates, ties alphabetical, joined by ", " — the
    same as sorting each group's items by hand (pairs given sorted by group, as the tables do, and shuffled; k of
    the tables' few examples, and a k large enough to take the sorting path)."""
    import numpy as np

    from analysis.tables import _examples

    rng = np.random.default_rng(seed)
    labels = np.array([f"d{i:03d}.fr" for i in rng.permutation(300)], dtype=object)
    rank = np.empty(len(labels), dtype=np.int64)
    rank[np.argsort(labels.astype(str))] = np.arange(len(labels))
    pairs = np.unique(rng.integers(0, 40, 2000) * 1000 + rng.integers(0, 300, 2000))
    groups, items = pairs // 1000, pairs % 1000
    counts = rng.integers(1, 6, len(pairs))
    for k in (1, 3, 8, 9, 50):
        want = np.full(45, "", dtype=object)
        for g in np.unique(groups):
            mine = sorted(zip(-counts[groups == g], labels[items[groups == g]]))
            want[g] = ", ".join(label for _, label in mine[:k])
        assert list(_examples(groups, items, counts, labels, rank, 45, k)) == list(want)
        shuffle = rng.permutation(len(pairs))
        assert list(_examples(groups[shuffle], items[shuffle], counts[shuffle], labels, rank, 45, k)) == list(want)
