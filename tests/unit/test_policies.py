"""analysis.policies: each rule on hand-built certificates whose verdict is obvious."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.frames import CERTIFICATES
from analysis.normalise import normalise
from analysis.policies import (
    STATUSES,
    Allowlist,
    Compose,
    DistrustAfter,
    NameConstrained,
    Removal,
    classify,
    within_subtrees,
)

T = pd.Timestamp


def row(cid, *, nb="2019-01-01", na="2020-01-01", names=("www.example.fr",), cn=None, pre=False, key=None,
        serial=None, err=None):
    key = key or f"K{cid}"
    return dict(certificate_id=cid, issuer_ca_id=1, issuer_name="CN=Example CA", sha256=f"{cid:064X}",
                serial_number=serial or f"{cid:02x}", not_before=pd.NaT if err else T(nb),
                not_after=pd.NaT if err else T(na), subject_o=None, subject_cn=cn, dns_names=list(names),
                policy_oids=[], is_precertificate=pre, is_server_auth=True, dedup_key=None if err else key,
                parse_error=err)


def norm(*rows, **kw):
    df = CERTIFICATES.frame(rows)
    return normalise(df, **kw)


def verdicts(policy, *rows, **kw):
    return policy.evaluate(norm(*rows, **kw))


def test_removal():
    v = verdicts(Removal("2019-09-03"),
                 row(1),  # unexpired on the date
                 row(2, na="2019-09-02"),  # expired the day before
                 row(3, na="2019-09-03"),  # notAfter is inclusive: still valid at 00:00 that day
                 row(4, nb="2019-10-01"))  # issued after the removal: never trusted
    assert v["category"].tolist() == ["removed", "expires_before_break", "removed", "issued_after_removal"]
    assert v["breaks_on"].tolist() == [T("2019-09-03"), pd.NaT, T("2019-09-03"), T("2019-10-01")]
    assert all(isinstance(r, str) and r for r in v["reason"])


def test_distrust_after_not_before():
    p = DistrustAfter("2019-06-01")
    v = verdicts(p, row(1, nb="2019-06-01"), row(2, nb="2019-06-01 00:00:01"), row(3, nb="2019-07-01"),
                 row(4, nb="2019-07-01", na="2019-07-02"))
    assert v["category"].tolist() == ["trusted_not_before", "distrusted_not_before", "distrusted_not_before",
                                      "distrusted_not_before"]
    # Trusted certificates never break; distrusted ones break from max(effective, notBefore).
    assert v["breaks_on"].tolist() == [pd.NaT, T("2019-06-01 00:00:01"), T("2019-07-01"), T("2019-07-01")]


def test_distrust_after_effective_date_and_expiry_before_it():
    p = DistrustAfter("2019-06-01", effective="2019-09-03")
    v = verdicts(p, row(1, nb="2019-07-01"), row(2, nb="2019-07-01", na="2019-08-01"), row(3, nb="2019-10-01"))
    assert v["category"].tolist() == ["distrusted_not_before", "expires_before_break", "distrusted_not_before"]
    assert v["breaks_on"].tolist() == [T("2019-09-03"), pd.NaT, T("2019-10-01")]


def test_java_compares_utc_dates_only():
    rows = [row(1, nb="2019-06-01 23:59:59"), row(2, nb="2019-06-02 00:00:00")]
    exact = verdicts(DistrustAfter("2019-06-01 12:00"), *rows)["category"].tolist()
    java = verdicts(DistrustAfter("2019-06-01 12:00", dates_only=True), *rows)["category"].tolist()
    assert exact == ["distrusted_not_before", "distrusted_not_before"]
    assert java == ["trusted_not_before", "distrusted_not_before"]


def test_chrome_earliest_sct_of_the_pair():
    ct = pd.DataFrame({"certificate_id": [1, 2, 3],
                       "earliest_entry": [T("2019-05-31"), T("2019-06-05"), T("2019-06-05")]})
    p = DistrustAfter("2019-06-01", basis="earliest_sct", effective="2019-09-01")
    v = verdicts(p,
                 row(1, pre=True, key="K", serial="01"), row(2, key="K", serial="01"),  # precert logged in time
                 row(3),  # logged too late
                 row(4),  # never logged
                 ct=ct)
    assert v["category"].tolist() == ["trusted_earliest_sct", "distrusted_earliest_sct", "no_ct_entry"]
    assert v["breaks_on"].tolist() == [pd.NaT, T("2019-09-01"), T("2019-09-01")]
    assert "no CT log entry" in v["reason"].iloc[2]


def test_within_subtrees():
    names = pd.Series(["gouv.fr", "x.gouv.fr", "*.gouv.fr", "xgouv.fr", "gouv.fr.example", "a.b.gouv.fr", "fr"])
    assert within_subtrees(names, ["GOUV.FR."]).tolist() == [True, True, True, False, False, True, False]
    assert within_subtrees(names, [".gouv.fr"]).tolist() == [False, True, True, False, False, True, False]


def test_name_constraints():
    p = NameConstrained(["gouv.fr"], "2019-09-03")
    v = verdicts(p,
                 row(1, names=["www.interieur.gouv.fr", "*.gouv.fr", "GOUV.FR."]),
                 row(2, names=["www.interieur.gouv.fr", "xgouv.fr"]),  # one name outside is enough
                 row(3, names=[], cn="Www.Gouv.Fr"),  # no SAN: the CN is a hostname, judged on it
                 row(4, names=[], cn="Service Informatique"),  # no SAN, CN not a hostname
                 row(5, names=["example.com"], na="2019-08-01"))  # outside but expires first
    assert v["category"].tolist() == ["within_constraints", "outside_constraints", "within_constraints",
                                      "no_dns_name", "expires_before_break"]
    assert v["breaks_on"].tolist() == [pd.NaT, T("2019-09-03"), pd.NaT, T("2019-09-03"), pd.NaT]


def test_allowlist_by_hash_and_hostname():
    n = norm(row(1, pre=True, key="K", serial="01"), row(2, key="K", serial="01"),  # listed by precert hash
             row(3, names=["Listed.Example.FR."]),  # listed by hostname
             row(4, na="2019-12-01"),  # listed, expires before the sunset
             row(5))  # not listed
    p = Allowlist("2019-09-03", "2020-01-01", sha256s=[f"{1:064x}", f"{4:064X}"], hostnames=["listed.example.fr"])
    v = p.evaluate(n)
    assert v["category"].tolist() == ["allowlisted_until_sunset", "allowlisted_until_sunset",
                                      "allowlisted_expires_before_sunset", "not_allowlisted"]
    assert v["breaks_on"].tolist() == [T("2020-01-01"), T("2020-01-01"), pd.NaT, T("2019-09-03")]


def test_allowlist_of_existing_certificates():
    n = norm(row(1, nb="2019-05-17 23:00"), row(2, nb="2019-05-18"), row(3, err="bad"))
    p = Allowlist.existing(n, "2019-05-17", "2019-09-03", "2019-12-01")
    assert list(p.sha256s) == [f"{1:064X}"]
    assert p.evaluate(n)["category"].tolist()[:2] == ["allowlisted_until_sunset", "not_allowlisted"]
    raw = CERTIFICATES.frame([row(1, nb="2019-05-17 23:00"), row(2, nb="2019-05-18")])
    assert list(Allowlist.existing(raw, "2019-05-17", "2019-09-03", "2020-06-01").sha256s) == [f"{1:064X}"]


def test_compose_earliest_break_wins():
    n = norm(row(1, names=["www.gouv.fr"], nb="2019-07-01"), row(2, names=["example.com"]),
             row(3, names=["www.gouv.fr"]))
    p = NameConstrained(["gouv.fr"], "2019-09-03") & DistrustAfter("2019-06-01", effective="2019-08-01")
    assert isinstance(p, Compose) and len(p.policies) == 2
    v = p.evaluate(n)
    assert v["breaks_on"].tolist() == [T("2019-08-01"), T("2019-09-03"), pd.NaT]
    assert v["category"].tolist() == ["distrusted_not_before", "outside_constraints",
                                      "within_constraints+trusted_not_before"]
    assert "; " in v["reason"].iloc[2]
    assert p.date == T("2019-06-01")
    # Same category from two components with different dates: one category, two reasons.
    v2 = (Removal("2019-09-03") & Removal("2019-08-01")).evaluate(n)
    assert v2["category"].tolist() == ["removed"] * 3
    assert v2["breaks_on"].tolist() == [T("2019-08-01")] * 3


def test_classify_precedence_and_filters():
    n = norm(row(1, err="bad"),
             row(2, na="2019-08-31 23:00"),  # expires on 2019-08-31: excluded (UTC dates)
             row(3, nb="2019-05-17 23:59"),  # issued on the cutoff day: kept
             row(4, nb="2019-05-18"),  # issued after the cutoff: excluded
             row(5),  # revoked before the break
             row(6),  # revoked after the break: it broke first
             row(7),  # revoked, date unknown
             row(8, na="2019-09-01"),  # expires before the break: survives
             revocations=pd.DataFrame({"certificate_id": [5, 6, 7],
                                       "revocation_date": [T("2019-06-01"), T("2019-10-01"), pd.NaT]}))
    r = classify(n, Removal("2019-09-03"), expires_on_or_before="2019-08-31", issued_after="2019-05-17")
    assert r["status"].tolist() == ["unparsable", "excluded_expired", "affected", "excluded_issued_after",
                                    "revoked", "affected", "revoked", "survives"]
    assert r["category"].tolist() == ["unparsable", "excluded_expired", "removed", "excluded_issued_after",
                                      "revoked", "removed", "revoked", "expires_before_break"]
    assert list(r["status"].cat.categories) == list(STATUSES)


def test_policies_cite_their_rule():
    for p in (Removal("2019-09-03"), DistrustAfter("2019-06-01"), DistrustAfter("2019-06-01", "earliest_sct"),
              NameConstrained("gouv.fr", "2019-09-03"), Allowlist("2019-09-03", "2020-01-01")):
        assert p.name and p.rule
    assert "notBefore <= 2019-06-01" in DistrustAfter("2019-06-01").rule
    assert "Chrome" in DistrustAfter("2019-06-01", "earliest_sct").rule
    with pytest.raises(ValueError):
        DistrustAfter("2019-06-01", basis="notAfter")


def test_timezone_aware_dates_are_converted_to_utc():
    assert Removal(pd.Timestamp("2019-09-03 02:00", tz="Europe/Paris")).date == T("2019-09-03 00:00")


def test_allowlist_hashes_are_case_insensitive():
    n = norm(row(10), row(11))
    p = Allowlist("2019-09-03", "2019-12-01", sha256s=[f"{10:064x}"])  # "...0a": lower-case hex
    assert list(p.sha256s) == [f"{10:064X}"]
    assert p.evaluate(n)["category"].tolist() == ["allowlisted_until_sunset", "not_allowlisted"]
