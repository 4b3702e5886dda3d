"""Property-based tests (hypothesis) of the invariants the impact numbers rest on.

Populations are small random certificates frames built from issuances of every shape (precertificate/certificate
pairs, lone certificates, orphan precertificates, unparsable rows), with random organisations, names (valid, wildcard,
trailing dot, with a space, unknown TLD), revocations and CT entries, rows shuffled. Example counts are modest so the
suite stays fast.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.normalise import normalise
from analysis.policies import STATUSES, Allowlist, DistrustAfter, NameConstrained, Removal, classify
from analysis.tables import date_sweep, evaluate

BASE = pd.Timestamp("2019-01-01")
NAMES = ["www.acme.fr", "acme.fr", "*.gouv.fr", "x.gouv.fr", "foo bar.fr", "host.internal", "Beta.FR."]
SETTINGS = settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

instants = st.builds(lambda d, h: BASE + pd.Timedelta(days=d, hours=h), st.integers(0, 500), st.integers(0, 23))


@st.composite
def populations(draw):
    """(certs, revocations, ct) frames."""
    rows, revs, cts = [], [], []
    cid = 1
    for i in range(draw(st.integers(0, 10))):
        shape = draw(st.sampled_from(["pair", "pair", "final", "orphan", "unparsable"]))
        nb = draw(instants)
        na = nb + pd.Timedelta(days=draw(st.integers(0, 400)))
        common = dict(issuer_ca_id=draw(st.integers(1, 2)), issuer_name="CN=CA", serial_number=f"{i:02x}",
                      not_before=nb, not_after=na, subject_o=draw(st.sampled_from([None, "ACME", " acme", "Beta"])),
                      subject_cn=draw(st.sampled_from([None, "www.gouv.fr", "Jean Dupont"])),
                      dns_names=draw(st.lists(st.sampled_from(NAMES), max_size=3)),
                      policy_oids=draw(st.sampled_from([[], ["2.23.140.1.2.1"], ["2.23.140.1.1"]])),
                      dedup_key=f"K{i}", parse_error=None)
        flags = {"pair": [True, False], "final": [False], "orphan": [True], "unparsable": [False]}[shape]
        ids = []
        for pre in flags:
            r = dict(common, certificate_id=cid, sha256=f"{cid:064X}", is_precertificate=pre)
            if shape == "unparsable":
                r.update(not_before=pd.NaT, not_after=pd.NaT, dedup_key=None, parse_error="bad")
            rows.append(r)
            ids.append(cid)
            cid += 1
        if draw(st.booleans()):
            cts.append({"certificate_id": draw(st.sampled_from(ids)),
                        "earliest_entry": nb + pd.Timedelta(hours=draw(st.integers(0, 100)))})
        if draw(st.integers(0, 3)) == 0:
            revs.append({"certificate_id": draw(st.sampled_from(ids)),
                         "revocation_date": draw(st.one_of(st.just(pd.NaT), instants))})
    rows = draw(st.permutations(rows))
    cols = ["certificate_id", "issuer_ca_id", "issuer_name", "sha256", "serial_number", "not_before", "not_after",
            "subject_o", "subject_cn", "dns_names", "policy_oids", "is_precertificate", "dedup_key", "parse_error"]
    certs = pd.DataFrame(rows, columns=cols).astype({"not_before": "datetime64[ns]", "not_after": "datetime64[ns]",
                                                      "certificate_id": "int64", "issuer_ca_id": "int64",
                                                      "is_precertificate": bool})
    rev = pd.DataFrame(revs, columns=["certificate_id", "revocation_date"]).astype(
        {"certificate_id": "int64", "revocation_date": "datetime64[ns]"})
    ct = pd.DataFrame(cts, columns=["certificate_id", "earliest_entry"]).astype(
        {"certificate_id": "int64", "earliest_entry": "datetime64[ns]"})
    return certs, rev, ct


@st.composite
def policies(draw):
    d = draw(instants)
    simple = st.sampled_from([
        Removal(d),
        DistrustAfter(d, dates_only=draw(st.booleans())),
        DistrustAfter(d, basis="earliest_sct", effective=d + pd.Timedelta(days=30)),
        NameConstrained(["gouv.fr"], d),
        Allowlist(d, d + pd.Timedelta(days=90), hostnames=["www.acme.fr"], sha256s=[f"{3:064x}"]),
    ])
    a = draw(simple)
    return a & draw(simple) if draw(st.booleans()) else a


optional_dates = st.one_of(st.none(), instants)


@SETTINGS
@given(populations(), policies(), optional_dates, optional_dates)
def test_every_issuance_has_exactly_one_status(pop, policy, expires, issued_after):
    certs, rev, ct = pop
    ev = evaluate(certs, policy, revocations=rev, ct=ct, expires_on_or_before=expires, issued_after=issued_after)
    s = ev.summary_values()
    # affected + survivors + revoked + excluded (both filters) + unparsable = total issuances
    assert (s["affected"] + s["survivors"] + s["revoked"] + s["excluded_expired"] + s["excluded_issued_after"]
            + s["unparsable"]) == s["issuances"] == len(ev.normalised.issuances)
    assert ev.normalised.issuances["certificate_rows"].sum() == len(certs)  # no row lost
    assert set(ev.verdicts["status"].unique()) <= set(STATUSES)
    # Only affected issuances have a break date that counts; every affected one has it.
    aff = ev.verdicts[ev.verdicts["status"] == "affected"]
    assert aff["breaks_on"].notna().all()
    assert (aff["breaks_on"] <= ev.normalised.issuances.loc[aff.index, "not_after"]).all()
    for name in ("by_organisation", "by_intermediate", "by_validation_level"):
        assert getattr(ev, name)()["certificates"].sum() == s["affected"]


@SETTINGS
@given(populations(), st.lists(instants, min_size=2, max_size=6), optional_dates, optional_dates)
def test_later_removal_never_breaks_more(pop, dates, expires, issued_after):
    certs, rev, ct = pop
    n = normalise(certs, revocations=rev, ct=ct)
    dates = sorted(dates)
    counts = [evaluate(n, Removal(d), expires_on_or_before=expires, issued_after=issued_after)
              .summary_values()["affected"] for d in dates]
    assert counts == sorted(counts, reverse=True)
    sweep = date_sweep(n, dates, expires_on_or_before=expires, issued_after=issued_after)
    assert sweep["affected"].tolist() == counts


@SETTINGS
@given(populations(), st.lists(instants, min_size=1, max_size=5), st.sampled_from(["not_before", "earliest_sct"]),
       st.booleans(), optional_dates)
def test_vectorised_sweep_equals_full_evaluations(pop, dates, basis, dates_only, expires):
    certs, rev, ct = pop
    n = normalise(certs, revocations=rev, ct=ct)
    fast = date_sweep(n, dates, basis, dates_only=dates_only, expires_on_or_before=expires)
    slow = date_sweep(n, dates, lambda d: DistrustAfter(d, basis=basis, dates_only=dates_only),
                      dates_only=dates_only, expires_on_or_before=expires)
    pd.testing.assert_frame_equal(fast, slow, check_dtype=False)


def _key(n):
    iss = n.issuances
    return sorted(zip(iss["crtsh_id"], iss["certificate_id"].fillna(-1), iss["precertificate_id"].fillna(-1)))


@SETTINGS
@given(populations(), st.randoms(use_true_random=False))
def test_deduplication_is_idempotent_and_order_free(pop, rnd):
    certs, rev, ct = pop
    n = normalise(certs)
    # De-duplicating the de-duplicated rows (one representative row per issuance) changes nothing.
    once = certs[certs["certificate_id"].isin(n.issuances["crtsh_id"])]
    n2 = normalise(once)
    assert len(n2.issuances) == len(n.issuances)
    assert sorted(n2.issuances["crtsh_id"]) == sorted(n.issuances["crtsh_id"])
    assert (n2.issuances["certificate_rows"] == 1).all()
    # Nor does the order of the rows.
    shuffled = certs.sample(frac=1, random_state=rnd.randint(0, 2**31 - 1))
    assert _key(normalise(shuffled)) == _key(n)


@SETTINGS
@given(populations(), policies())
def test_filters_only_move_issuances_into_excluded(pop, policy):
    certs, rev, ct = pop
    n = normalise(certs, revocations=rev, ct=ct)
    plain = classify(n, policy)["status"]
    filtered = classify(n, policy, expires_on_or_before="2019-06-01", issued_after="2019-09-01")["status"]
    changed = plain != filtered
    assert filtered[changed].isin(["excluded_expired", "excluded_issued_after"]).all()
