"""analysis.normalise on small hand-built certificates frames: every expected number is countable by eye."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest

from analysis import normalise as nm
from analysis.frames import CERTIFICATES
from analysis.normalise import NO_ORGANISATION, normalise, organisation_key, registrable_domains, validation_level

T = pd.Timestamp
DV, OV, EV = "2.23.140.1.2.1", "2.23.140.1.2.2", "2.23.140.1.1"


def row(cid, serial="01", key="K1", *, pre=False, ca=1, o=None, cn=None, names=(), oids=(DV,),
        nb="2019-01-01", na="2020-01-01", err=None):
    """One certificates-frame row (docs/design.md) with the defaults of a DV certificate."""
    return dict(certificate_id=cid, issuer_ca_id=ca, issuer_name=f"C=FR, O=Example, CN=Example CA {ca}",
                sha256=f"{cid:064X}", serial_number=serial, not_before=pd.NaT if err else T(nb),
                not_after=pd.NaT if err else T(na), subject_o=o, subject_cn=cn, dns_names=list(names),
                policy_oids=list(oids), is_precertificate=pre, is_server_auth=True, dedup_key=key,
                parse_error=err)


def frame(*rows) -> pd.DataFrame:
    return CERTIFICATES.frame(rows)


@pytest.fixture
def population():
    """Ten crt.sh rows, seven issuances:

    0. pair 1 (precert) + 2 (final)            ACME          www.acme.fr, acme.fr
    1. orphan precertificate 3                 " acme  "     *.Acme.FR.
    2. final certificate 4                     (no O=)       "foo bar.fr", host.internal
    3. 5: parse_error                          (no O=)
    4. 6: no SAN, CN www.gouv.fr               (no O=)
    5. 7 + 8: same serial & key, issuer 2      ACME SA       example.com (OV)
    6. 9 and 10: same serial, different dedup_key -> two issuances (6, 7)
    """
    return frame(
        row(1, "01", "K1", pre=True, o="ACME", names=["www.acme.fr", "acme.fr"]),
        row(2, "01", "K1", o="ACME", names=["www.acme.fr", "acme.fr"]),
        row(3, "02", "K2", pre=True, o=" acme  ", names=["*.Acme.FR."]),
        row(4, "03", "K3", names=["foo bar.fr", "host.internal"]),
        row(5, None, None, err="ASN.1 error"),
        row(6, "04", "K4", cn="www.gouv.fr"),
        row(7, "05", "K5", pre=True, ca=2, o="ACME SA", names=["example.com"], oids=[OV, "1.2.3"]),
        row(8, "05", "K5", ca=2, o="ACME SA", names=["example.com"], oids=[OV, "1.2.3"]),
        row(9, "06", "K6", o="Other", names=["other.fr"], oids=[EV, OV]),
        row(10, "06", "K7", o="Other", names=["other.fr"], oids=[]),
    )


def test_pairs_count_once_and_orphans_are_kept(population):
    n = normalise(population)
    iss = n.issuances
    assert n.certificate_rows == 10
    assert len(iss) == 8
    assert iss["certificate_rows"].sum() == 10  # nothing dropped
    assert iss["kind"].tolist() == ["pair", "orphan_precertificate", "certificate", "unparsable", "certificate",
                                    "pair", "certificate", "certificate"]
    assert iss["crtsh_id"].tolist() == [2, 3, 4, 5, 6, 8, 9, 10]
    assert iss["certificate_id"].tolist() == [2, pd.NA, 4, 5, 6, 8, 9, 10]
    assert iss["precertificate_id"].tolist() == [1, 3, pd.NA, pd.NA, pd.NA, 7, pd.NA, pd.NA]
    assert iss.loc[0, "sha256"] == f"{2:064X}" and iss.loc[0, "precertificate_sha256"] == f"{1:064X}"
    assert pd.isna(iss.loc[1, "sha256"])


def test_same_serial_and_key_under_another_issuer_is_another_issuance():
    certs = frame(row(1, "01", "K", pre=True, ca=1), row(2, "01", "K", ca=2))
    assert len(normalise(certs).issuances) == 2


def test_parse_error_rows_are_their_own_issuances_even_with_a_matching_key():
    certs = frame(row(1, "01", "K", pre=True), row(2, "01", "K", err="bad"), row(3, "01", "K"))
    iss = normalise(certs).issuances
    assert len(iss) == 2
    assert iss["is_unparsable"].tolist() == [False, True]
    assert iss["parse_error"].tolist()[1] == "bad"
    assert iss["kind"].tolist() == ["pair", "unparsable"]


def test_organisation_key_and_display(population):
    iss = normalise(population).issuances
    assert organisation_key("  Acme \t Corp ") == "acme corp"
    assert organisation_key("   ") is None and organisation_key(None) is None
    assert [None if pd.isna(k) else k for k in iss["organisation_key"]][:3] == ["acme", "acme", None]
    # The display name is the most frequent raw spelling (ties: the tidy one); the raw value is kept.
    assert iss["organisation"].tolist() == ["ACME", "ACME", NO_ORGANISATION, NO_ORGANISATION, NO_ORGANISATION,
                                            "ACME SA", "Other", "Other"]
    assert iss.loc[1, "subject_o"] == " acme  "
    # "ACME SA" is not merged with "ACME": only case and spaces are normalised.
    assert iss["organisation_key"].nunique() == 3


def test_names_registrable_domains_and_flags(population):
    n = normalise(population)
    nd = n.names_with_domains().set_index(["issuance", "dns_name"])
    assert nd.loc[(0, "www.acme.fr"), "registrable_domain"] == "acme.fr"
    w = nd.loc[(1, "*.acme.fr")]  # wildcard, upper case and trailing dot normalised
    assert bool(w["is_wildcard"]) and w["registrable_domain"] == "acme.fr"
    assert nd.loc[(2, "foo bar.fr"), "name_issue"] == "space"
    assert nd.loc[(2, "host.internal"), "name_issue"] == "unknown_suffix"
    assert pd.isna(nd.loc[(2, "host.internal"), "registrable_domain"])
    cn = nd.loc[(4, "www.gouv.fr")]
    assert bool(cn["from_subject_cn"]) and cn["registrable_domain"] == "www.gouv.fr"
    iss = n.issuances
    assert iss["dns_name_count"].tolist() == [2, 1, 2, 0, 0, 1, 1, 1]
    assert iss["registrable_domain_count"].tolist() == [1, 1, 0, 0, 1, 1, 1, 1]
    assert iss["has_invalid_name"].tolist() == [False, False, True, False, False, False, False, False]
    # Registrable domains are computed once per distinct normalised name.
    assert n.distinct_names["dns_name"].is_unique


def test_registrable_domains_table():
    t = registrable_domains(["WWW.Example.CO.UK.", "*.gouv.fr", "gouv.fr", "x.gouv.fr", "10.0.0.1", "a b.fr",
                             "bad!.fr", "", "localhost", "www.example.co.uk"]).set_index("dns_name")
    assert len(t) == 9  # the two spellings of www.example.co.uk are one name
    assert t.loc["www.example.co.uk", "registrable_domain"] == "example.co.uk"
    assert t.loc["*.gouv.fr", "name_issue"] == "public_suffix"
    assert t.loc["gouv.fr", "name_issue"] == "public_suffix"
    assert t.loc["x.gouv.fr", "registrable_domain"] == "x.gouv.fr"
    assert t.loc["10.0.0.1", "name_issue"] == "ip_address"
    assert t.loc["a b.fr", "name_issue"] == "space"
    assert t.loc["bad!.fr", "name_issue"] == "invalid_characters"
    assert t.loc["", "name_issue"] == "empty"
    assert t.loc["localhost", "name_issue"] == "unknown_suffix"
    assert t["is_valid_hostname"].sum() == 2


def test_no_network_access_for_the_public_suffix_list(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    nm._extractor.cache_clear()
    try:
        assert nm.registrable_domain("www.certinomis.fr") == "certinomis.fr"
    finally:
        nm._extractor.cache_clear()


def test_validation_levels(population):
    assert validation_level([EV, OV]) == "EV"
    assert validation_level(["1.2.3"]) == "unknown"
    assert validation_level(None) == "unknown"
    iss = normalise(population).issuances
    assert iss["validation_level"].tolist() == ["DV", "DV", "DV", "DV", "DV", "OV", "EV", "unknown"]


def test_earliest_sct_is_over_the_pair():
    certs = frame(row(1, pre=True), row(2), row(3, "02", "K2"))
    ct = pd.DataFrame({"certificate_id": [1, 2, 2], "earliest_entry": [T("2019-01-02"), T("2019-01-01 05:00"),
                                                                       T("2019-03-01")]})
    iss = normalise(certs, ct=ct).issuances
    assert iss["earliest_sct"].tolist()[0] == T("2019-01-01 05:00")
    assert pd.isna(iss["earliest_sct"].iloc[1])


def test_revocations_flag_the_issuance():
    certs = frame(row(1, pre=True), row(2), row(3, "02", "K2"), row(4, "03", "K3"))
    rev = pd.DataFrame({"certificate_id": [1, 2, 3, 999], "revocation_date": [T("2019-05-01"), T("2019-04-01"),
                                                                            pd.NaT, T("2019-01-01")],
                        "reason_code": pd.array([1, 4, None, 0], dtype="Int64")})
    iss = normalise(certs, revocations=rev).issuances
    assert iss["is_revoked"].tolist() == [True, True, False]
    assert iss["revocation_date"].iloc[0] == T("2019-04-01")  # the earliest over the pair
    assert iss["reason_code"].iloc[0] == 4
    assert pd.isna(iss["revocation_date"].iloc[1])  # revoked, date unknown


def test_parquet_style_cells_are_accepted():
    certs = frame(row(1, names=["a.example.fr"]), row(2, "02", "K2"))
    certs["dns_names"] = [np.array(["a.example.fr"], dtype=object), None]
    certs["policy_oids"] = [np.array([OV], dtype=object), None]
    iss = normalise(certs).issuances
    assert iss["dns_name_count"].tolist() == [1, 0]
    assert iss["validation_level"].tolist() == ["OV", "unknown"]


def test_report_arithmetic(population):
    r = normalise(population).report().set_index("metric")["value"]
    assert r["issuances"] == r["pairs"] + r["certificates"] + r["orphan_precertificates"] + r["unparsable"]
    assert (r["pairs"], r["certificates"], r["orphan_precertificates"], r["unparsable"]) == (2, 4, 1, 1)
    assert r["merged_rows"] == 2
    assert r["invalid_names"] == 2 and r["issuances_with_invalid_name"] == 1


def test_missing_columns_are_reported():
    with pytest.raises(ValueError, match="dedup_key"):
        normalise(frame(row(1)).drop(columns="dedup_key"))


def test_empty_frame():
    n = normalise(frame(row(1)).iloc[:0])
    assert len(n.issuances) == 0 and len(n.names) == 0


def test_a_cn_that_is_no_hostname_is_no_name():
    n = normalise(frame(row(1, cn="Service Informatique"), row(2, "02", "K2", cn="intranet.example.fr")))
    assert n.distinct_names["dns_name"].tolist() == ["intranet.example.fr"]
    assert n.names["issuance"].tolist() == [1] and n.names["from_subject_cn"].tolist() == [True]
    assert n.report().set_index("metric").loc["invalid_names", "value"] == 0


def test_parent_memo_agrees_with_tldextract_on_the_list_itself():
    """The parent shortcut of registrable_domains must give tldextract's answer, wildcards and exceptions included."""
    ext = nm._extractor()
    names = set()
    for rule in ext.tlds[::7] + ["*.kawasaki.jp", "!city.kawasaki.jp", "*.ck", "!www.ck", "gouv.fr"]:
        base = rule.lstrip("!").removeprefix("*.")
        names |= {base, f"a.{base}", f"b.a.{base}", f"city.{base}", f"www.{base}", f"x.www.{base}"}
    psl = nm._PublicSuffixes()
    for name in sorted(names):
        r = ext(name)
        expected = "unknown_suffix" if not r.suffix else "public_suffix" if not r.domain else f"{r.domain}.{r.suffix}"
        assert psl.registrable(name) == expected, name
    assert psl.registrable("x.city.kawasaki.jp") == "city.kawasaki.jp"
    assert psl.registrable("a.b.kawasaki.jp") == "a.b.kawasaki.jp"
